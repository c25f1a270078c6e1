/*
 * arrivals.c - trace replay (streamed, scaled, looped, optionally warped by a
 * diurnal time change), the thinned NHPP and token-count distributions. The
 * modelling choices are documented in arrivals.h.
 */
#include "models/workload/arrivals.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>

#define US_PER_S 1e6
#define DAY_US   (INT64_C(86400) * 1000000)

/* ------------------------------------------------------------------------ */
/* Tokens                                                                     */

int arrivals_tokens_fixed(struct arrivals_tokens *t, int32_t prompt, int32_t output,
                          struct os_error *err)
{
    memset(t, 0, sizeof *t);
    if (prompt < 0 || output < 0)
        return os_errorf(err, OS_EINVAL, "arrivals: fixed tokens must be >= 0 (got %d, %d)",
                         (int)prompt, (int)output);
    t->kind = ARRIVALS_TOKENS_FIXED;
    t->fixed_prompt = prompt;
    t->fixed_output = output;
    return OS_OK;
}

int arrivals_tokens_lognormal(struct arrivals_tokens *t, double prompt_median, double prompt_sigma,
                              double output_median, double output_sigma, struct os_error *err)
{
    memset(t, 0, sizeof *t);
    if (!(prompt_median > 0) || !(output_median > 0) || !(prompt_sigma >= 0) ||
        !(output_sigma >= 0) || !isfinite(prompt_median) || !isfinite(output_median) ||
        !isfinite(prompt_sigma) || !isfinite(output_sigma))
        return os_errorf(err, OS_EINVAL,
                         "arrivals: lognormal tokens need medians > 0 and sigmas >= 0");
    t->kind = ARRIVALS_TOKENS_LOGNORMAL;
    t->prompt_mu = log(prompt_median);
    t->prompt_sigma = prompt_sigma;
    t->output_mu = log(output_median);
    t->output_sigma = output_sigma;
    return OS_OK;
}

int arrivals_tokens_from_pairs(struct arrivals_tokens *t, const int32_t *prompt,
                               const int32_t *output, size_t n, struct os_error *err)
{
    memset(t, 0, sizeof *t);
    if (n == 0)
        return os_errorf(err, OS_EINVAL, "arrivals: an empirical token table needs >= 1 pair");
    for (size_t i = 0; i < n; i++)
        if (prompt[i] < 0 || output[i] < 0)
            return os_errorf(err, OS_EINVAL, "arrivals: token pair %zu is negative", i);
    t->prompt = malloc(n * sizeof *t->prompt);
    t->output = malloc(n * sizeof *t->output);
    if (!t->prompt || !t->output) {
        arrivals_tokens_destroy(t);
        return os_errorf(err, OS_ENOMEM, "arrivals: cannot allocate %zu token pairs", n);
    }
    memcpy(t->prompt, prompt, n * sizeof *prompt);
    memcpy(t->output, output, n * sizeof *output);
    t->kind = ARRIVALS_TOKENS_EMPIRICAL;
    t->n = n;
    return OS_OK;
}

static int tokens_check(const char *path, const struct trace_record *rec, struct os_error *err)
{
    const struct trace_azure_llm *q = &rec->azure_llm;
    if (q->context_tokens < 0 || q->context_tokens > INT32_MAX || q->generated_tokens < 0 ||
        q->generated_tokens > INT32_MAX)
        return os_errorf(err, OS_EINVAL, "%s:%" PRId64 ": token counts outside 0..%d", path,
                         rec->line, INT32_MAX);
    return OS_OK;
}

int arrivals_tokens_from_trace(struct arrivals_tokens *t, const char *path, struct os_error *err)
{
    memset(t, 0, sizeof *t);
    struct trace_reader rd;
    int rc = trace_open(&rd, path, TRACE_AZURE_LLM, NULL, err);
    if (rc)
        return rc;
    size_t cap = 0;
    struct trace_record rec;
    while ((rc = trace_next(&rd, &rec, err)) == 1) {
        if ((rc = tokens_check(path, &rec, err)))
            goto out_free;
        if (t->n == cap) {
            size_t ncap = cap ? 2 * cap : 4096;
            int32_t *p = realloc(t->prompt, ncap * sizeof *p);
            if (p)
                t->prompt = p;
            int32_t *o = p ? realloc(t->output, ncap * sizeof *o) : NULL;
            if (!o) {
                rc = os_errorf(err, OS_ENOMEM, "%s: cannot grow the token table", path);
                goto out_free;
            }
            t->output = o;
            cap = ncap;
        }
        t->prompt[t->n] = (int32_t)rec.azure_llm.context_tokens;
        t->output[t->n] = (int32_t)rec.azure_llm.generated_tokens;
        t->n++;
    }
    if (rc < 0)
        goto out_free;
    if (t->n == 0) {
        rc = os_errorf(err, OS_EINVAL, "%s: no requests in the trace", path);
        goto out_free;
    }
    trace_close(&rd);
    t->kind = ARRIVALS_TOKENS_EMPIRICAL;
    return OS_OK;
out_free:
    trace_close(&rd);
    arrivals_tokens_destroy(t);
    return rc;
}

static int32_t lognormal_count(const gsl_rng *r, double mu, double sigma)
{
    double x = round(gsl_ran_lognormal(r, mu, sigma));
    if (x < 1)
        return 1;
    if (x > INT32_MAX)
        return INT32_MAX;
    return (int32_t)x;
}

void arrivals_tokens_draw(const struct arrivals_tokens *t, const gsl_rng *r, int32_t *prompt,
                          int32_t *output)
{
    switch (t->kind) {
    case ARRIVALS_TOKENS_FIXED:
        *prompt = t->fixed_prompt;
        *output = t->fixed_output;
        break;
    case ARRIVALS_TOKENS_LOGNORMAL:
        *prompt = lognormal_count(r, t->prompt_mu, t->prompt_sigma);
        *output = lognormal_count(r, t->output_mu, t->output_sigma);
        break;
    case ARRIVALS_TOKENS_EMPIRICAL: {
        size_t i = (size_t)gsl_rng_uniform_int(r, (unsigned long)t->n);
        *prompt = t->prompt[i];
        *output = t->output[i];
        break;
    }
    }
}

void arrivals_tokens_destroy(struct arrivals_tokens *t)
{
    free(t->prompt);
    free(t->output);
    t->prompt = t->output = NULL;
    t->n = 0;
}

/* ------------------------------------------------------------------------ */
/* Rates                                                                      */

int arrivals_rate_sine(struct arrivals_rate *r, double base_per_s, double amplitude,
                       int64_t period_us, int64_t phase_us, struct os_error *err)
{
    memset(r, 0, sizeof *r);
    if (!(base_per_s > 0) || !isfinite(base_per_s))
        return os_errorf(err, OS_EINVAL, "arrivals: base rate %g must be > 0", base_per_s);
    if (!(amplitude >= 0 && amplitude <= 1))
        return os_errorf(err, OS_EINVAL, "arrivals: amplitude %g outside 0..1", amplitude);
    if (period_us <= 0)
        return os_errorf(err, OS_EINVAL, "arrivals: period %" PRId64 " us must be > 0", period_us);
    r->kind = ARRIVALS_RATE_SINE;
    r->base_per_s = base_per_s;
    r->amplitude = amplitude;
    r->period_us = period_us;
    r->phase_us = phase_us;
    return OS_OK;
}

int arrivals_rate_piecewise(struct arrivals_rate *r, size_t n, const int64_t *start_us,
                            const double *rate_per_s, int64_t period_us, struct os_error *err)
{
    memset(r, 0, sizeof *r);
    if (n == 0 || n > ARRIVALS_PIECES_MAX)
        return os_errorf(err, OS_EINVAL, "arrivals: %zu pieces (expected 1..%d)", n,
                         ARRIVALS_PIECES_MAX);
    if (period_us <= 0)
        return os_errorf(err, OS_EINVAL, "arrivals: period %" PRId64 " us must be > 0", period_us);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        int64_t lo = i == 0 ? 0 : start_us[i - 1] + 1;
        if ((i == 0 && start_us[0] != 0) || start_us[i] < lo || start_us[i] >= period_us)
            return os_errorf(err, OS_EINVAL,
                             "arrivals: piece %zu starts at %" PRId64
                             " us (need 0 = start[0] < start[1] < ... < period)",
                             i, start_us[i]);
        if (!(rate_per_s[i] >= 0) || !isfinite(rate_per_s[i]))
            return os_errorf(err, OS_EINVAL, "arrivals: piece %zu has rate %g (need >= 0)", i,
                             rate_per_s[i]);
        any = any || rate_per_s[i] > 0;
        r->start_us[i] = start_us[i];
        r->rate_per_s[i] = rate_per_s[i];
    }
    if (!any)
        return os_errorf(err, OS_EINVAL, "arrivals: every piece has rate 0");
    r->kind = ARRIVALS_RATE_PIECEWISE;
    r->npieces = n;
    r->period_us = period_us;
    return OS_OK;
}

/* Position of t (seconds) in its period, as microseconds in [0, period). */
static double wrap_us(double t_us, int64_t period_us)
{
    double p = (double)period_us;
    double x = fmod(t_us, p);
    return x < 0 ? x + p : x;
}

/* Index of the piece that contains x in [0, period). */
static size_t piece_of(const struct arrivals_rate *r, double x_us)
{
    size_t lo = 0, hi = r->npieces; /* start[lo] <= x < start[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((double)r->start_us[mid] <= x_us)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static double rate_at_s(const struct arrivals_rate *r, double t_s)
{
    if (r->kind == ARRIVALS_RATE_SINE) {
        double ph =
            2.0 * M_PI * (t_s - (double)r->phase_us / US_PER_S) / ((double)r->period_us / US_PER_S);
        return r->base_per_s * (1.0 + r->amplitude * sin(ph));
    }
    return r->rate_per_s[piece_of(r, wrap_us(t_s * US_PER_S, r->period_us))];
}

double arrivals_rate_at(const struct arrivals_rate *r, int64_t t_us)
{
    return rate_at_s(r, (double)t_us / US_PER_S);
}

double arrivals_rate_max(const struct arrivals_rate *r)
{
    if (r->kind == ARRIVALS_RATE_SINE)
        return r->base_per_s * (1.0 + r->amplitude);
    double m = 0;
    for (size_t i = 0; i < r->npieces; i++)
        m = r->rate_per_s[i] > m ? r->rate_per_s[i] : m;
    return m;
}

/* Integral of a piecewise profile over [0, x) with 0 <= x <= period (us). */
static double piecewise_partial(const struct arrivals_rate *r, double x_us)
{
    double sum = 0;
    for (size_t i = 0; i < r->npieces; i++) {
        double a = (double)r->start_us[i];
        double b = i + 1 < r->npieces ? (double)r->start_us[i + 1] : (double)r->period_us;
        if (a >= x_us)
            break;
        sum += r->rate_per_s[i] * ((b < x_us ? b : x_us) - a) / US_PER_S;
    }
    return sum;
}

/* Integral of lambda over [0, t) (t may be negative). */
static double rate_cumulative(const struct arrivals_rate *r, int64_t t_us)
{
    if (r->kind == ARRIVALS_RATE_SINE) {
        double t = (double)t_us / US_PER_S, p = (double)r->period_us / US_PER_S;
        double ph = (double)r->phase_us / US_PER_S;
        double w = 2.0 * M_PI / p;
        return r->base_per_s * (t - r->amplitude / w * (cos(w * (t - ph)) - cos(w * (0.0 - ph))));
    }
    int64_t k = t_us / r->period_us, rem = t_us % r->period_us;
    if (rem < 0) {
        rem += r->period_us;
        k--;
    }
    return (double)k * piecewise_partial(r, (double)r->period_us) +
           piecewise_partial(r, (double)rem);
}

double arrivals_rate_integral(const struct arrivals_rate *r, int64_t a_us, int64_t b_us)
{
    if (b_us <= a_us)
        return 0.0;
    return rate_cumulative(r, b_us) - rate_cumulative(r, a_us);
}

/* ------------------------------------------------------------------------ */
/* Replay                                                                     */

/* Diurnal warp: L(x) - u, with x seconds after the offset. */
struct warp_params {
    double amp, w, c0, off_ph, u;
};

static double warp_f(double x, void *p)
{
    const struct warp_params *q = p;
    return x - q->amp / q->w * (cos(q->w * (x + q->off_ph)) - q->c0) - q->u;
}

/* Sim seconds after the offset at which operational time u (seconds) falls. */
static double warp_inverse(struct arrivals *a, double u)
{
    double du = u - a->replay.warp_u;
    double x0 = a->replay.warp_x;
    if (du <= 0)
        return x0;
    const struct arrivals_diurnal *d = &a->replay.d;
    struct warp_params p;
    p.amp = d->amplitude;
    p.w = 2.0 * M_PI / ((double)d->period_us / US_PER_S);
    p.off_ph = (double)(a->replay.offset - d->phase_us) / US_PER_S;
    p.c0 = cos(p.w * p.off_ph);
    p.u = u;
    /* L' = m is in [1 - A, 1 + A], which brackets the root. */
    double lo = x0 + du / (1.0 + d->amplitude), hi = x0 + du / (1.0 - d->amplitude);
    double flo = warp_f(lo, &p), fhi = warp_f(hi, &p);
    double x;
    if (flo >= 0) {
        x = lo;
    } else if (fhi <= 0) {
        x = hi;
    } else {
        gsl_function fn = {.function = warp_f, .params = &p};
        gsl_root_fsolver_set(a->replay.solver, &fn, lo, hi);
        for (int it = 0; it < 200; it++) {
            gsl_root_fsolver_iterate(a->replay.solver);
            lo = gsl_root_fsolver_x_lower(a->replay.solver);
            hi = gsl_root_fsolver_x_upper(a->replay.solver);
            if (gsl_root_test_interval(lo, hi, 1e-7, 0.0) == GSL_SUCCESS)
                break;
        }
        x = gsl_root_fsolver_root(a->replay.solver);
    }
    if (x < x0)
        x = x0;
    a->replay.warp_u = u;
    a->replay.warp_x = x;
    return x;
}

static int replay_next(struct arrivals *a, struct arrival *out, struct os_error *err)
{
    struct trace_record rec;
    for (;;) {
        if (!a->replay.rd_open) {
            int rc = trace_open(&a->replay.rd, a->replay.path, TRACE_AZURE_LLM, NULL, err);
            if (rc)
                return rc;
            a->replay.rd_open = true;
        }
        int rc = trace_next(&a->replay.rd, &rec, err);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
        trace_close(&a->replay.rd);
        a->replay.rd_open = false;
        if (!a->replay.loop)
            return 0;
        a->replay.pass++;
    }
    int rc = tokens_check(a->replay.path, &rec, err);
    if (rc)
        return rc;
    int64_t rel =
        rec.azure_llm.time_us - a->replay.first_us + (int64_t)a->replay.pass * a->replay.period;
    int64_t t;
    if (a->replay.d.amplitude > 0) {
        double u = (double)rel * a->replay.scale / US_PER_S;
        t = a->replay.offset + llround(warp_inverse(a, u) * US_PER_S);
    } else {
        t = a->replay.offset + llround((double)rel * a->replay.scale);
    }
    if (a->emitted && t < a->last_us)
        t = a->last_us; /* rounding guard; the prescan checked the order */
    if (a->replay.end > 0 && t >= a->replay.end)
        return 0;
    out->time_us = t;
    out->prompt_tokens = (int32_t)rec.azure_llm.context_tokens;
    out->output_tokens = (int32_t)rec.azure_llm.generated_tokens;
    return 1;
}

static void replay_destroy(struct arrivals *a)
{
    if (a->replay.rd_open)
        trace_close(&a->replay.rd);
    a->replay.rd_open = false;
    if (a->replay.solver)
        gsl_root_fsolver_free(a->replay.solver);
    a->replay.solver = NULL;
}

static const struct arrivals_ops replay_ops = {
    .name = "replay",
    .next = replay_next,
    .destroy = replay_destroy,
};

/* Counts rows, measures the span and checks order and token ranges. */
static int replay_prescan(struct arrivals *a, struct os_error *err)
{
    struct trace_reader rd;
    int rc = trace_open(&rd, a->replay.path, TRACE_AZURE_LLM, NULL, err);
    if (rc)
        return rc;
    struct trace_record rec;
    int64_t prev = 0;
    while ((rc = trace_next(&rd, &rec, err)) == 1) {
        if ((rc = tokens_check(a->replay.path, &rec, err)))
            break;
        int64_t t = rec.azure_llm.time_us;
        if (a->replay.rows == 0) {
            a->replay.first_us = t;
        } else if (t < prev) {
            rc = os_errorf(err, OS_EPARSE,
                           "%s:%" PRId64 ": TIMESTAMP earlier than the previous row's; a "
                           "replay needs rows sorted by time",
                           a->replay.path, rec.line);
            break;
        }
        prev = t;
        a->replay.rows++;
    }
    trace_close(&rd);
    if (rc < 0)
        return rc;
    a->replay.span_us = a->replay.rows ? prev - a->replay.first_us : 0;
    return OS_OK;
}

int arrivals_init_replay(struct arrivals *a, const struct arrivals_replay_cfg *cfg,
                         struct os_error *err)
{
    memset(a, 0, sizeof *a);
    a->last_us = INT64_MIN;
    if (!cfg->path)
        return os_errorf(err, OS_EINVAL, "arrivals: replay needs a trace path");
    if (strlen(cfg->path) >= sizeof a->replay.path)
        return os_errorf(err, OS_EINVAL, "arrivals: trace path too long");
    double scale = cfg->time_scale == 0 ? 1.0 : cfg->time_scale;
    if (!(scale > 0) || !isfinite(scale))
        return os_errorf(err, OS_EINVAL, "%s: time_scale %g must be > 0", cfg->path,
                         cfg->time_scale);
    if (cfg->offset_us < 0)
        return os_errorf(err, OS_EINVAL, "%s: offset %" PRId64 " us must be >= 0", cfg->path,
                         cfg->offset_us);
    const struct arrivals_diurnal *d = &cfg->diurnal;
    if (d->amplitude != 0 && (!(d->amplitude > 0 && d->amplitude < 1) || d->period_us <= 0))
        return os_errorf(err, OS_EINVAL,
                         "%s: diurnal amplitude %g must be in [0, 1) with a period > 0", cfg->path,
                         d->amplitude);
    snprintf(a->replay.path, sizeof a->replay.path, "%s", cfg->path);
    a->replay.scale = scale;
    a->replay.offset = cfg->offset_us;
    a->replay.end = cfg->end_us > 0 ? cfg->end_us : 0;
    a->replay.loop = cfg->loop;
    a->replay.d = *d;
    int rc = replay_prescan(a, err);
    if (rc)
        return rc;
    if (a->replay.rows == 0)
        return os_errorf(err, OS_EINVAL, "%s: no requests in the trace", cfg->path);
    if (cfg->loop) {
        if (a->replay.rows < 2 || a->replay.span_us <= 0)
            return os_errorf(err, OS_EINVAL,
                             "%s: cannot loop a trace with fewer than two distinct times",
                             cfg->path);
        a->replay.period = a->replay.span_us + a->replay.span_us / (a->replay.rows - 1);
    }
    if (d->amplitude > 0) {
        a->replay.solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
        if (!a->replay.solver)
            return os_errorf(err, OS_ENOMEM, "arrivals: cannot allocate a root solver");
    }
    a->ops = &replay_ops;
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* NHPP                                                                       */

static int nhpp_next(struct arrivals *a, struct arrival *out, struct os_error *err)
{
    (void)err;
    const gsl_rng *r = a->nhpp.time_rng.r;
    for (;;) {
        a->nhpp.t_s += gsl_ran_exponential(r, 1.0 / a->nhpp.lmax);
        double t_us = a->nhpp.t_s * US_PER_S;
        if ((a->nhpp.end > 0 && t_us >= (double)a->nhpp.end) || t_us >= 9.0e18)
            return 0;
        if (gsl_rng_uniform(r) * a->nhpp.lmax < rate_at_s(&a->nhpp.rate, a->nhpp.t_s))
            break;
    }
    int64_t t = llround(a->nhpp.t_s * US_PER_S);
    if (t < a->nhpp.start)
        t = a->nhpp.start;
    if (a->emitted && t < a->last_us)
        t = a->last_us;
    if (a->nhpp.end > 0 && t >= a->nhpp.end)
        return 0;
    out->time_us = t;
    arrivals_tokens_draw(a->nhpp.tokens, a->nhpp.tok_rng.r, &out->prompt_tokens,
                         &out->output_tokens);
    return 1;
}

static void nhpp_destroy(struct arrivals *a)
{
    rng_destroy(&a->nhpp.time_rng);
    rng_destroy(&a->nhpp.tok_rng);
}

static const struct arrivals_ops nhpp_ops = {
    .name = "nhpp",
    .next = nhpp_next,
    .destroy = nhpp_destroy,
};

int arrivals_init_nhpp(struct arrivals *a, const struct arrivals_nhpp_cfg *cfg,
                       struct os_error *err)
{
    memset(a, 0, sizeof *a);
    a->last_us = INT64_MIN;
    const struct arrivals_rate *r = &cfg->rate;
    bool ok = (r->kind == ARRIVALS_RATE_SINE && r->base_per_s > 0 && r->amplitude >= 0 &&
               r->amplitude <= 1 && r->period_us > 0) ||
              (r->kind == ARRIVALS_RATE_PIECEWISE && r->npieces >= 1 &&
               r->npieces <= ARRIVALS_PIECES_MAX && r->period_us > 0 && arrivals_rate_max(r) > 0);
    if (!ok)
        return os_errorf(err, OS_EINVAL,
                         "arrivals: NHPP rate is not valid (build it with arrivals_rate_sine "
                         "or arrivals_rate_piecewise)");
    if (!cfg->tokens)
        return os_errorf(err, OS_EINVAL, "arrivals: NHPP needs a token distribution");
    if (cfg->start_us < 0 || (cfg->end_us > 0 && cfg->end_us <= cfg->start_us))
        return os_errorf(err, OS_EINVAL,
                         "arrivals: NHPP window [%" PRId64 ", %" PRId64 ") us is empty",
                         cfg->start_us, cfg->end_us);
    a->nhpp.rate = *r;
    a->nhpp.lmax = arrivals_rate_max(r);
    a->nhpp.t_s = (double)cfg->start_us / US_PER_S;
    a->nhpp.start = cfg->start_us;
    a->nhpp.end = cfg->end_us > 0 ? cfg->end_us : 0;
    a->nhpp.tokens = cfg->tokens;
    int rc = rng_init(&a->nhpp.time_rng, cfg->seed, "arrivals.nhpp", cfg->stream, err);
    if (rc)
        return rc;
    rc = rng_init(&a->nhpp.tok_rng, cfg->seed, "arrivals.tokens", cfg->stream, err);
    if (rc) {
        rng_destroy(&a->nhpp.time_rng);
        return rc;
    }
    a->ops = &nhpp_ops;
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* The Azure day                                                              */

void arrivals_azure_day_defaults(struct arrivals_azure_day_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->amplitude = 0.5;                        /* [U] peak/trough = 3 */
    c->peak_us = INT64_C(14) * 3600 * 1000000; /* [U] 14:00 */
    c->start_us = 0;                           /* sim time 0 is midnight */
    c->duration_us = INT64_C(86400) * 1000000; /* one day */
}

int arrivals_init_azure_day(struct arrivals *a, const struct arrivals_azure_day_cfg *cfg,
                            struct os_error *err)
{
    memset(a, 0, sizeof *a);
    const int64_t day = DAY_US;
    if (!cfg->path)
        return os_errorf(err, OS_EINVAL, "arrivals: azure day needs a trace path");
    if (!(cfg->amplitude >= 0 && cfg->amplitude < 1) || cfg->peak_us < 0 || cfg->peak_us >= day ||
        cfg->duration_us <= 0 || cfg->start_us < 0 || !(cfg->mean_rate_per_s >= 0) ||
        !isfinite(cfg->mean_rate_per_s))
        return os_errorf(err, OS_EINVAL,
                         "%s: azure day needs 0 <= amplitude < 1, 0 <= peak < 24 h, "
                         "duration > 0, start >= 0, mean rate >= 0",
                         cfg->path);
    /* A first replay (no loop) just to learn the trace's rows and span. */
    struct arrivals_replay_cfg rc0 = {.path = cfg->path, .time_scale = 1.0};
    int rc = arrivals_init_replay(a, &rc0, err);
    if (rc)
        return rc;
    int64_t rows = a->replay.rows, span = a->replay.span_us;
    arrivals_destroy(a);
    if (rows < 2 || span <= 0)
        return os_errorf(err, OS_EINVAL, "%s: need two or more distinct times", cfg->path);
    double trace_rate = (double)(rows - 1) / ((double)span / US_PER_S);
    double scale = cfg->mean_rate_per_s > 0 ? trace_rate / cfg->mean_rate_per_s : 1.0;
    struct arrivals_replay_cfg rcfg = {
        .path = cfg->path,
        .time_scale = scale,
        .offset_us = cfg->start_us,
        .loop = true,
        .end_us = cfg->start_us + cfg->duration_us,
        .diurnal =
            {
                .amplitude = cfg->amplitude,
                .period_us = day,
                /* sin(2 pi (t - phase) / P) peaks at t = phase + P / 4. */
                .phase_us = cfg->start_us + cfg->peak_us - day / 4,
            },
    };
    return arrivals_init_replay(a, &rcfg, err);
}

/* ------------------------------------------------------------------------ */
/* Common                                                                     */

int arrivals_next(struct arrivals *a, struct arrival *out, struct os_error *err)
{
    if (a->done || !a->ops)
        return 0;
    int rc = a->ops->next(a, out, err);
    if (rc != 1) {
        /* Release the file and solver early; destroy stays idempotent. */
        a->done = true;
        a->ops->destroy(a);
        return rc;
    }
    a->emitted++;
    a->last_us = out->time_us;
    return 1;
}

int64_t arrivals_trace_rows(const struct arrivals *a)
{
    return a->ops == &replay_ops ? a->replay.rows : 0;
}

int64_t arrivals_trace_span_us(const struct arrivals *a)
{
    return a->ops == &replay_ops ? a->replay.span_us : 0;
}

void arrivals_destroy(struct arrivals *a)
{
    if (a->ops && a->ops->destroy)
        a->ops->destroy(a);
    a->ops = NULL;
    a->done = true;
}
