/*
 * metrics.c - counters, time-weighted gauges, log-linear histograms and the
 * CSV time-series sampler (see metrics.h for the contracts).
 *
 * Histogram layout (s = sig_bits, S = 2^s): index(v) = v for v < 2S; for
 * larger v with e = floor(log2 v) and shift = e - s,
 * index(v) = (shift + 1) * S + (v >> shift) - S. Bucket i >= 2S therefore
 * covers [m << shift, (m + 1) << shift) with shift = i / S - 1 and
 * m = S + i % S >= S, so its width is at most 1/S of its lowest value.
 */
#include "sim/metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Gauges                                                                     */

static void neumaier_add(double *sum, double *c, double x)
{
    double t = *sum + x;
    if (fabs(*sum) >= fabs(x))
        *c += (*sum - t) + x;
    else
        *c += (x - t) + *sum;
    *sum = t;
}

void metrics_gauge_init(struct metrics_gauge *g, int64_t t0, double level)
{
    g->t0 = t0;
    g->t_last = t0;
    g->level = level;
    g->area = 0.0;
    g->area_c = 0.0;
    g->max = level;
    g->min = level;
    g->held = false;
}

void metrics_gauge_set(struct metrics_gauge *g, int64_t now, double level)
{
    assert(now >= g->t_last);
    if (now > g->t_last) {
        neumaier_add(&g->area, &g->area_c, g->level * (double)(now - g->t_last));
        if (!g->held || g->level > g->max)
            g->max = g->level;
        if (!g->held || g->level < g->min)
            g->min = g->level;
        g->held = true;
        g->t_last = now;
    }
    g->level = level;
}

void metrics_gauge_add(struct metrics_gauge *g, int64_t now, double delta)
{
    metrics_gauge_set(g, now, g->level + delta);
}

double metrics_gauge_integral(const struct metrics_gauge *g, int64_t now)
{
    assert(now >= g->t_last);
    return (g->area + g->area_c) + g->level * (double)(now - g->t_last);
}

double metrics_gauge_mean(const struct metrics_gauge *g, int64_t now)
{
    if (now <= g->t0)
        return g->level;
    return metrics_gauge_integral(g, now) / (double)(now - g->t0);
}

double metrics_gauge_max(const struct metrics_gauge *g, int64_t now)
{
    if (!g->held)
        return g->level;
    if (now > g->t_last && g->level > g->max)
        return g->level;
    return g->max;
}

double metrics_gauge_min(const struct metrics_gauge *g, int64_t now)
{
    if (!g->held)
        return g->level;
    if (now > g->t_last && g->level < g->min)
        return g->level;
    return g->min;
}

void metrics_gauge_restart(struct metrics_gauge *g, int64_t now)
{
    assert(now >= g->t_last);
    metrics_gauge_init(g, now, g->level);
}

/* ------------------------------------------------------------------------ */
/* Histograms                                                                 */

static int floor_log2(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

static size_t hist_index(int s, uint64_t v)
{
    uint64_t sub = UINT64_C(1) << s;
    if (v < 2 * sub)
        return (size_t)v;
    int shift = floor_log2(v) - s;
    return (size_t)((uint64_t)(shift + 1) * sub + (v >> shift) - sub);
}

/* Lowest value and width of bucket i. */
static void hist_bucket(int s, size_t i, uint64_t *lo, uint64_t *width)
{
    uint64_t sub = UINT64_C(1) << s;
    if (i < 2 * sub) {
        *lo = i;
        *width = 1;
        return;
    }
    int shift = (int)(i / sub) - 1;
    uint64_t m = sub + i % sub;
    *lo = m << shift;
    *width = UINT64_C(1) << shift;
}

int metrics_hist_init(struct metrics_hist *h, int sig_bits, int64_t max_value, struct os_error *err)
{
    memset(h, 0, sizeof *h);
    if (sig_bits == 0)
        sig_bits = METRICS_HIST_SIG_BITS_DEFAULT;
    if (sig_bits < METRICS_HIST_SIG_BITS_MIN || sig_bits > METRICS_HIST_SIG_BITS_MAX)
        return os_errorf(err, OS_EINVAL, "metrics: histogram sig_bits %d outside %d..%d", sig_bits,
                         METRICS_HIST_SIG_BITS_MIN, METRICS_HIST_SIG_BITS_MAX);
    if (max_value < 1)
        return os_errorf(err, OS_EINVAL, "metrics: histogram max_value %" PRId64 " < 1", max_value);
    size_t n = hist_index(sig_bits, (uint64_t)max_value) + 1;
    h->counts = calloc(n, sizeof *h->counts);
    if (!h->counts)
        return os_errorf(err, OS_ENOMEM, "metrics: cannot allocate %zu histogram buckets", n);
    h->sig_bits = sig_bits;
    h->max_value = max_value;
    h->nbuckets = n;
    return OS_OK;
}

void metrics_hist_destroy(struct metrics_hist *h)
{
    free(h->counts);
    h->counts = NULL;
    h->nbuckets = 0;
}

void metrics_hist_reset(struct metrics_hist *h)
{
    memset(h->counts, 0, h->nbuckets * sizeof *h->counts);
    h->count = 0;
    h->sum_lo = h->sum_hi = 0;
    h->min = h->max = 0;
    h->clamped = 0;
}

/* 64 x 64 -> 128-bit product, added to (hi, lo). */
static void add_mul128(uint64_t *hi, uint64_t *lo, uint64_t a, uint64_t b)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    uint64_t plo = (p00 & 0xffffffffu) | (mid << 32);
    uint64_t phi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    uint64_t old = *lo;
    *lo += plo;
    *hi += phi + (*lo < old);
}

void metrics_hist_record_n(struct metrics_hist *h, int64_t v, uint64_t n)
{
    if (n == 0)
        return;
    if (v < 0 || v > h->max_value) {
        v = v < 0 ? 0 : h->max_value;
        h->clamped += n;
    }
    h->counts[hist_index(h->sig_bits, (uint64_t)v)] += n;
    if (h->count == 0 || v < h->min)
        h->min = v;
    if (h->count == 0 || v > h->max)
        h->max = v;
    h->count += n;
    add_mul128(&h->sum_hi, &h->sum_lo, (uint64_t)v, n);
}

void metrics_hist_record(struct metrics_hist *h, int64_t v)
{
    metrics_hist_record_n(h, v, 1);
}

int metrics_hist_merge(struct metrics_hist *dst, const struct metrics_hist *src,
                       struct os_error *err)
{
    if (dst->sig_bits != src->sig_bits || dst->max_value != src->max_value)
        return os_errorf(err, OS_EINVAL,
                         "metrics: cannot merge histograms with different layouts "
                         "(sig_bits %d/%d, max_value %" PRId64 "/%" PRId64 ")",
                         dst->sig_bits, src->sig_bits, dst->max_value, src->max_value);
    if (src->count == 0)
        return OS_OK;
    for (size_t i = 0; i < dst->nbuckets; i++)
        dst->counts[i] += src->counts[i];
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->count == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    uint64_t old = dst->sum_lo;
    dst->sum_lo += src->sum_lo;
    dst->sum_hi += src->sum_hi + (dst->sum_lo < old);
    dst->clamped += src->clamped;
    return OS_OK;
}

double metrics_hist_sum(const struct metrics_hist *h)
{
    return (double)h->sum_hi * 18446744073709551616.0 + (double)h->sum_lo;
}

double metrics_hist_mean(const struct metrics_hist *h)
{
    if (h->count == 0)
        return NAN;
    return metrics_hist_sum(h) / (double)h->count;
}

double metrics_hist_rel_error(const struct metrics_hist *h)
{
    return ldexp(1.0, -(h->sig_bits + 1));
}

static int metrics_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void metrics_sort_i64(int64_t *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, metrics_cmp_i64);
}

int64_t metrics_sorted_quantile(const int64_t *sorted, size_t n, double q)
{
    double r = ceil((q < 1 ? q : 1) * (double)n);
    size_t rank = r < 1 ? 1 : (r > (double)n ? n : (size_t)r);
    return sorted[rank - 1];
}

double metrics_hist_quantile(const struct metrics_hist *h, double q)
{
    if (h->count == 0)
        return NAN;
    if (!(q > 0.0))
        return (double)h->min;
    if (q >= 1.0)
        return (double)h->max;
    double r = ceil(q * (double)h->count);
    uint64_t rank = r < 1.0 ? 1 : (uint64_t)r;
    if (rank > h->count)
        rank = h->count;
    uint64_t cum = 0;
    for (size_t i = 0; i < h->nbuckets; i++) {
        cum += h->counts[i];
        if (cum >= rank) {
            uint64_t lo, w;
            hist_bucket(h->sig_bits, i, &lo, &w);
            double mid = (double)lo + (double)(w - 1) / 2.0;
            if (mid < (double)h->min)
                mid = (double)h->min;
            if (mid > (double)h->max)
                mid = (double)h->max;
            return mid;
        }
    }
    return (double)h->max; /* not reached: cum ends at count */
}

double metrics_hist_fraction_le(const struct metrics_hist *h, int64_t threshold)
{
    if (h->count == 0)
        return NAN;
    if (threshold < h->min)
        return 0.0;
    if (threshold >= h->max)
        return 1.0;
    size_t b = hist_index(h->sig_bits, (uint64_t)threshold);
    uint64_t below = 0;
    for (size_t i = 0; i < b; i++)
        below += h->counts[i];
    uint64_t lo, w;
    hist_bucket(h->sig_bits, b, &lo, &w);
    double part = (double)h->counts[b] * (double)((uint64_t)threshold - lo + 1) / (double)w;
    return ((double)below + part) / (double)h->count;
}

int metrics_hist_write_cdf(const struct metrics_hist *h, FILE *out, const char *value_col,
                           double unit, struct os_error *err)
{
    if (!(unit > 0.0))
        return os_errorf(err, OS_EINVAL, "metrics: CDF unit must be > 0");
    if (fprintf(out, "%s,cdf\n", value_col) < 0)
        goto out_io;
    uint64_t cum = 0;
    for (size_t i = 0; i < h->nbuckets && cum < h->count; i++) {
        if (!h->counts[i])
            continue;
        cum += h->counts[i];
        uint64_t lo, w;
        hist_bucket(h->sig_bits, i, &lo, &w);
        uint64_t hi = lo + (w - 1);
        if (hi > (uint64_t)h->max)
            hi = (uint64_t)h->max;
        if (fprintf(out, "%.10g,%.10g\n", (double)hi / unit, (double)cum / (double)h->count) < 0)
            goto out_io;
    }
    return OS_OK;
out_io:
    return os_errorf(err, OS_EIO, "metrics: cannot write CDF rows");
}

/* ------------------------------------------------------------------------ */
/* Sampler                                                                    */

static bool column_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= METRICS_COL_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

int metrics_sampler_init(struct metrics_sampler *s, struct engine *e, int64_t interval_us,
                         FILE *out, struct os_error *err)
{
    memset(s, 0, sizeof *s);
    if (interval_us <= 0)
        return os_errorf(err, OS_EINVAL, "metrics: sampler interval %" PRId64 " us must be > 0",
                         interval_us);
    if (!e || !out)
        return os_errorf(err, OS_EINVAL, "metrics: sampler needs an engine and an output");
    s->engine = e;
    s->out = out;
    s->interval = interval_us;
    s->end = ENGINE_TIME_MAX;
    return OS_OK;
}

int metrics_sampler_add(struct metrics_sampler *s, const char *name, metrics_read_fn read,
                        const void *ctx, struct os_error *err)
{
    if (s->started)
        return os_errorf(err, OS_EINVAL, "metrics: column '%s' added after the sampler started",
                         name);
    if (!read || !column_name_ok(name))
        return os_errorf(err, OS_EINVAL,
                         "metrics: bad column '%s' (expected 1..%d bytes of [a-z0-9_] and a "
                         "reader)",
                         name, METRICS_COL_NAME_MAX - 1);
    if (strcmp(name, "time_s") == 0)
        return os_errorf(err, OS_EINVAL, "metrics: column name 'time_s' is reserved");
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return os_errorf(err, OS_EINVAL, "metrics: duplicate column '%s'", name);
    if (s->ncols == s->cols_cap) {
        size_t cap = s->cols_cap ? 2 * s->cols_cap : 8;
        struct metrics_column *c = realloc(s->cols, cap * sizeof *c);
        if (!c)
            return os_errorf(err, OS_ENOMEM, "metrics: cannot grow sampler columns");
        s->cols = c;
        s->cols_cap = cap;
    }
    struct metrics_column *c = &s->cols[s->ncols++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->read = read;
    c->ctx = ctx;
    return OS_OK;
}

static int sampler_write_row(struct metrics_sampler *s, struct os_error *err)
{
    int64_t now = engine_now(s->engine);
    int64_t sec = now / ENGINE_US_PER_S, frac = now % ENGINE_US_PER_S;
    int rc;
    if (now < 0)
        rc = fprintf(s->out, "-%" PRId64 ".%06" PRId64, -sec, -frac);
    else
        rc = fprintf(s->out, "%" PRId64 ".%06" PRId64, sec, frac);
    for (size_t i = 0; i < s->ncols && rc >= 0; i++) {
        double v = s->cols[i].read(s->cols[i].ctx, now);
        rc = isfinite(v) ? fprintf(s->out, ",%.10g", v) : fputc(',', s->out);
    }
    if (rc >= 0)
        rc = fputc('\n', s->out);
    if (rc < 0)
        return os_errorf(err, OS_EIO, "metrics: cannot write a time-series row at %" PRId64 " us",
                         now);
    s->rows++;
    return OS_OK;
}

static void sampler_fire(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct metrics_sampler *s = ctx;
    s->event = 0;
    if (s->status)
        return;
    int rc = sampler_write_row(s, &s->status_err);
    if (rc == OS_OK) {
        int64_t now = engine_now(e);
        if (now <= s->end - s->interval)
            rc = engine_after(e, s->interval, sampler_fire, s, 0, &s->event, &s->status_err);
    }
    s->status = rc;
}

int metrics_sampler_start(struct metrics_sampler *s, int64_t first_us, int64_t end_us,
                          struct os_error *err)
{
    if (s->started)
        return os_errorf(err, OS_EINVAL, "metrics: sampler already started");
    if (first_us < engine_now(s->engine) || end_us < first_us)
        return os_errorf(err, OS_EINVAL,
                         "metrics: sampler window [%" PRId64 ", %" PRId64 "] us is empty or "
                         "in the past",
                         first_us, end_us);
    int rc = fputs("time_s", s->out) < 0 ? -1 : 0;
    for (size_t i = 0; i < s->ncols && rc >= 0; i++)
        rc = fprintf(s->out, ",%s", s->cols[i].name);
    if (rc >= 0)
        rc = fputc('\n', s->out);
    if (rc < 0)
        return os_errorf(err, OS_EIO, "metrics: cannot write the time-series header");
    rc = engine_schedule(s->engine, first_us, sampler_fire, s, 0, &s->event, err);
    if (rc)
        return rc;
    s->end = end_us;
    s->started = true;
    return OS_OK;
}

int metrics_sampler_sample(struct metrics_sampler *s, struct os_error *err)
{
    return sampler_write_row(s, err);
}

void metrics_sampler_stop(struct metrics_sampler *s)
{
    if (s->event && s->engine)
        engine_cancel(s->engine, s->event);
    s->event = 0;
}

int metrics_sampler_status(const struct metrics_sampler *s, struct os_error *err)
{
    if (s->status && err)
        *err = s->status_err;
    return s->status;
}

void metrics_sampler_destroy(struct metrics_sampler *s)
{
    metrics_sampler_stop(s);
    free(s->cols);
    s->cols = NULL;
    s->ncols = s->cols_cap = 0;
}

double metrics_read_gauge_level(const void *gauge, int64_t now)
{
    (void)now;
    return ((const struct metrics_gauge *)gauge)->level;
}

double metrics_read_gauge_mean(const void *gauge, int64_t now)
{
    return metrics_gauge_mean(gauge, now);
}

double metrics_read_counter(const void *counter, int64_t now)
{
    (void)now;
    return (double)((const struct metrics_counter *)counter)->n;
}
