/*
 * spot.c - spot price processes (trace replay, generated OU, explicit steps),
 * interruption sampling and launch failures. The model and its assumptions are
 * described at the top of spot.h; this file only adds how it is computed.
 *
 * Every process is stored as two parallel arrays (step times, prices), built
 * once at init; queries never allocate. The market owns a single GSL
 * generator that it reseeds for each per-instance or per-attempt draw with the
 * seed sim/rng.h would derive for that (component, index) stream, folded to
 * 32 bits exactly as rng_init() does, so a draw equals the first draw of the
 * stream rng_init(seed, component, index) would create.
 */
#include "models/spot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/trace.h"

/* --- defaults and validation ------------------------------------------------- */

void spot_gen_cfg_defaults(struct spot_gen_cfg *c)
{
    c->mean_discount = 0.70;
    c->tau_us = 3 * 24 * SPOT_US_PER_HOUR;
    c->sd_log = 0.045;
    c->noise_sd = 0.02;
    c->step_us = 6 * SPOT_US_PER_HOUR;
}

void spot_trace_cfg_defaults(struct spot_trace_cfg *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->path, sizeof(c->path), "%s", SPOT_DEFAULT_TRACE_PATH);
    c->align_start = true;
    c->time_scale = 1.0;
}

void spot_interrupt_cfg_defaults(struct spot_interrupt_cfg *c)
{
    c->kind = SPOT_HAZARD_BAND;
    c->band = SPOT_BAND_5_10;
    c->rate_per_hour = 0;
}

void spot_launch_cfg_defaults(struct spot_launch_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->fail_prob = 0;
    c->fallback = SPOT_FALLBACK_NONE;
}

void spot_pool_cfg_defaults(struct spot_pool_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->price_kind = SPOT_PRICE_GENERATED;
    spot_gen_cfg_defaults(&c->gen);
    spot_trace_cfg_defaults(&c->trace);
    spot_interrupt_cfg_defaults(&c->interrupt);
    spot_launch_cfg_defaults(&c->launch);
}

void spot_market_cfg_defaults(struct spot_market_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->horizon_us = 30 * 24 * SPOT_US_PER_HOUR;
    c->notice_us = 120 * SPOT_US_PER_S;
    c->rebalance = false;
    c->rebalance_lead_us = 600 * SPOT_US_PER_S;
}

static bool spot_finite_in(double x, double lo, double hi)
{
    return isfinite(x) && x >= lo && x <= hi;
}

static int spot_gen_validate(const struct spot_gen_cfg *g, int64_t horizon_us, const char *who,
                             struct os_error *err)
{
    if (!(isfinite(g->mean_discount) && g->mean_discount >= 0 && g->mean_discount < 1))
        return os_errorf(err, OS_EINVAL, "%s: gen.mean_discount %g out of [0, 1)", who,
                         g->mean_discount);
    if (g->tau_us <= 0)
        return os_errorf(err, OS_EINVAL, "%s: gen.tau_us %lld must be > 0", who,
                         (long long)g->tau_us);
    if (!spot_finite_in(g->sd_log, 0, 10))
        return os_errorf(err, OS_EINVAL, "%s: gen.sd_log %g out of [0, 10]", who, g->sd_log);
    if (!spot_finite_in(g->noise_sd, 0, 10))
        return os_errorf(err, OS_EINVAL, "%s: gen.noise_sd %g out of [0, 10]", who, g->noise_sd);
    if (g->step_us <= 0)
        return os_errorf(err, OS_EINVAL, "%s: gen.step_us %lld must be > 0", who,
                         (long long)g->step_us);
    if (horizon_us / g->step_us >= SPOT_MAX_STEPS)
        return os_errorf(err, OS_EINVAL,
                         "%s: horizon %lld us / gen.step_us %lld us exceeds %d price steps", who,
                         (long long)horizon_us, (long long)g->step_us, SPOT_MAX_STEPS);
    return OS_OK;
}

static int spot_pool_validate(const struct spot_pool_cfg *p, size_t i, int64_t horizon_us,
                              struct os_error *err)
{
    char who[2 * SPOT_NAME_MAX + 48];
    snprintf(who, sizeof(who), "spot pool %zu (%s@%s)", i, p->instance_type, p->availability_zone);
    if (!p->instance_type[0] || !p->availability_zone[0])
        return os_errorf(err, OS_EINVAL, "%s: instance_type and availability_zone are required",
                         who);
    if (!(isfinite(p->on_demand_usd_per_hour) && p->on_demand_usd_per_hour > 0))
        return os_errorf(err, OS_EINVAL, "%s: on_demand_usd_per_hour %g must be > 0", who,
                         p->on_demand_usd_per_hour);
    switch (p->price_kind) {
    case SPOT_PRICE_GENERATED: {
        int rc = spot_gen_validate(&p->gen, horizon_us, who, err);
        if (rc)
            return rc;
        break;
    }
    case SPOT_PRICE_TRACE:
        if (!p->trace.path[0])
            return os_errorf(err, OS_EINVAL, "%s: trace.path is empty", who);
        if (!(isfinite(p->trace.time_scale) && p->trace.time_scale > 0))
            return os_errorf(err, OS_EINVAL, "%s: trace.time_scale %g must be > 0", who,
                             p->trace.time_scale);
        if (!(isfinite(p->trace.on_demand_usd_per_hour) && p->trace.on_demand_usd_per_hour >= 0))
            return os_errorf(err, OS_EINVAL, "%s: trace.on_demand_usd_per_hour %g must be >= 0",
                             who, p->trace.on_demand_usd_per_hour);
        break;
    case SPOT_PRICE_STEPS:
        if (p->steps.n == 0 || !p->steps.time_us || !p->steps.usd_per_hour)
            return os_errorf(err, OS_EINVAL, "%s: steps: at least one (time, price) is needed",
                             who);
        break;
    default:
        return os_errorf(err, OS_EINVAL, "%s: unknown price kind %d", who, (int)p->price_kind);
    }
    switch (p->interrupt.kind) {
    case SPOT_HAZARD_NONE:
        break;
    case SPOT_HAZARD_BAND:
        if ((unsigned)p->interrupt.band >= SPOT_BAND_COUNT)
            return os_errorf(err, OS_EINVAL, "%s: unknown interruption band %d", who,
                             (int)p->interrupt.band);
        break;
    case SPOT_HAZARD_RATE:
        if (!(isfinite(p->interrupt.rate_per_hour) && p->interrupt.rate_per_hour >= 0))
            return os_errorf(err, OS_EINVAL, "%s: interrupt.rate_per_hour %g must be >= 0", who,
                             p->interrupt.rate_per_hour);
        break;
    default:
        return os_errorf(err, OS_EINVAL, "%s: unknown hazard kind %d", who, (int)p->interrupt.kind);
    }
    if (!spot_finite_in(p->launch.fail_prob, 0, 1))
        return os_errorf(err, OS_EINVAL, "%s: launch.fail_prob %g out of [0, 1]", who,
                         p->launch.fail_prob);
    switch (p->launch.fallback) {
    case SPOT_FALLBACK_NONE:
    case SPOT_FALLBACK_ON_DEMAND:
        break;
    case SPOT_FALLBACK_POOL:
        if (!p->launch.fallback_type[0] || !p->launch.fallback_zone[0])
            return os_errorf(err, OS_EINVAL,
                             "%s: launch.fallback POOL needs fallback_type and fallback_zone", who);
        break;
    default:
        return os_errorf(err, OS_EINVAL, "%s: unknown launch fallback %d", who,
                         (int)p->launch.fallback);
    }
    return OS_OK;
}

int spot_market_cfg_validate(const struct spot_market_cfg *c, struct os_error *err)
{
    if (c->horizon_us < 0)
        return os_errorf(err, OS_EINVAL, "spot market: horizon_us %lld must be >= 0",
                         (long long)c->horizon_us);
    if (c->notice_us < 0)
        return os_errorf(err, OS_EINVAL, "spot market: notice_us %lld must be >= 0",
                         (long long)c->notice_us);
    if (c->rebalance_lead_us < 0)
        return os_errorf(err, OS_EINVAL, "spot market: rebalance_lead_us %lld must be >= 0",
                         (long long)c->rebalance_lead_us);
    if (c->npools > 0 && !c->pools)
        return os_errorf(err, OS_EINVAL, "spot market: %zu pools but no pool array", c->npools);
    if (c->npools > INT32_MAX)
        return os_errorf(err, OS_EINVAL, "spot market: %zu pools is too many", c->npools);
    for (size_t i = 0; i < c->npools; i++) {
        int rc = spot_pool_validate(&c->pools[i], i, c->horizon_us, err);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->pools[j].instance_type, c->pools[i].instance_type) &&
                !strcmp(c->pools[j].availability_zone, c->pools[i].availability_zone))
                return os_errorf(err, OS_EINVAL, "spot pool %zu (%s@%s): duplicate of pool %zu", i,
                                 c->pools[i].instance_type, c->pools[i].availability_zone, j);
    }
    return OS_OK;
}

/* --- hazards and built-in prices ---------------------------------------------- */

double spot_band_monthly_prob(enum spot_band b)
{
    /* Band midpoints; the open >20 % band is read as 25 % [U]. */
    static const double mid[SPOT_BAND_COUNT] = {0.025, 0.075, 0.125, 0.175, 0.25};
    return (unsigned)b < SPOT_BAND_COUNT ? mid[b] : 0.0;
}

double spot_hazard_per_hour(const struct spot_interrupt_cfg *c)
{
    switch (c->kind) {
    case SPOT_HAZARD_BAND:
        return -log1p(-spot_band_monthly_prob(c->band)) / SPOT_HOURS_PER_MONTH;
    case SPOT_HAZARD_RATE:
        return c->rate_per_hour;
    case SPOT_HAZARD_NONE:
    default:
        return 0.0;
    }
}

double spot_trace_type_on_demand(const char *instance_type)
{
    /* us-east-1 Linux on-demand $/h, aws/karpenter-provider-aws
     * pkg/providers/pricing/zz_generated.pricing_aws.go (generated from the
     * AWS Price List, 2026-01-19). p3.2xlarge matches MODELS.md section 6. */
    static const struct {
        const char *name;
        double usd_per_hour;
    } od[] = {
        {"p2.xlarge", 0.90},  {"p2.8xlarge", 7.20},  {"p2.16xlarge", 14.40},
        {"p3.2xlarge", 3.06}, {"p3.8xlarge", 12.24}, {"p3.16xlarge", 24.48},
    };
    for (size_t i = 0; i < sizeof(od) / sizeof(od[0]); i++)
        if (!strcmp(od[i].name, instance_type))
            return od[i].usd_per_hour;
    return 0.0;
}

/* --- step storage ------------------------------------------------------------ */

static int spot_price_reserve(struct spot_price *sp, size_t want, struct os_error *err)
{
    if (want <= sp->cap)
        return OS_OK;
    size_t cap = sp->cap ? sp->cap : 64;
    while (cap < want)
        cap *= 2;
    int64_t *t = realloc(sp->time_us, cap * sizeof(*t));
    if (!t)
        return os_errorf(err, OS_ENOMEM, "spot prices: cannot grow to %zu steps", cap);
    sp->time_us = t;
    double *p = realloc(sp->usd_per_hour, cap * sizeof(*p));
    if (!p)
        return os_errorf(err, OS_ENOMEM, "spot prices: cannot grow to %zu steps", cap);
    sp->usd_per_hour = p;
    sp->cap = cap;
    return OS_OK;
}

/* Appends step (t, p). t must be >= the last step's time: an equal time
 * replaces the last price; a price equal to the last one adds nothing. */
static int spot_price_append(struct spot_price *sp, int64_t t, double p, struct os_error *err)
{
    if (sp->n > 0 && t == sp->time_us[sp->n - 1]) {
        sp->usd_per_hour[sp->n - 1] = p;
        if (sp->n > 1 && sp->usd_per_hour[sp->n - 2] == p)
            sp->n--;
        return OS_OK;
    }
    if (sp->n > 0 && sp->usd_per_hour[sp->n - 1] == p)
        return OS_OK;
    int rc = spot_price_reserve(sp, sp->n + 1, err);
    if (rc)
        return rc;
    sp->time_us[sp->n] = t;
    sp->usd_per_hour[sp->n] = p;
    sp->n++;
    return OS_OK;
}

static void spot_price_zero(struct spot_price *sp, double on_demand)
{
    memset(sp, 0, sizeof(*sp));
    sp->on_demand_usd_per_hour = on_demand;
}

void spot_price_destroy(struct spot_price *sp)
{
    free(sp->time_us);
    free(sp->usd_per_hour);
    sp->time_us = NULL;
    sp->usd_per_hour = NULL;
    sp->n = sp->cap = sp->cursor = 0;
}

/* --- generated prices ------------------------------------------------------------ */

int spot_price_init_generated(struct spot_price *sp, const struct spot_gen_cfg *c,
                              double on_demand_usd_per_hour, int64_t horizon_us, uint64_t seed,
                              const char *stream_name, struct os_error *err)
{
    spot_price_zero(sp, on_demand_usd_per_hour);
    if (!(isfinite(on_demand_usd_per_hour) && on_demand_usd_per_hour > 0))
        return os_errorf(err, OS_EINVAL, "%s: on-demand price %g must be > 0", stream_name,
                         on_demand_usd_per_hour);
    if (horizon_us < 0)
        return os_errorf(err, OS_EINVAL, "%s: horizon %lld us must be >= 0", stream_name,
                         (long long)horizon_us);
    int rc = spot_gen_validate(c, horizon_us, stream_name, err);
    if (rc)
        return rc;
    size_t nsteps = (size_t)(horizon_us / c->step_us) + 1;
    struct rng r;
    rc = spot_price_reserve(sp, nsteps, err);
    if (rc)
        goto out_free;
    rc = rng_init(&r, seed, stream_name, 0, err);
    if (rc)
        goto out_free;
    const double s = c->sd_log, e = c->noise_sd;
    const double mu = log1p(-c->mean_discount) - (s * s + e * e) / 2;
    const double a = exp(-(double)c->step_us / (double)c->tau_us);
    const double innov = s * sqrt(fmax(0.0, 1 - a * a));
    double y = mu + gsl_ran_gaussian(r.r, 1.0) * s;
    for (size_t k = 0; k < nsteps; k++) {
        double noisy = y + gsl_ran_gaussian(r.r, 1.0) * e;
        double frac = noisy >= 0 ? 1.0 : exp(noisy);
        rc = spot_price_append(sp, (int64_t)k * c->step_us, on_demand_usd_per_hour * frac, err);
        if (rc)
            break;
        y = mu + (y - mu) * a + innov * gsl_ran_gaussian(r.r, 1.0);
    }
    rng_destroy(&r);
    if (rc)
        goto out_free;
    return OS_OK;

out_free:
    spot_price_destroy(sp);
    return rc;
}

/* --- replayed prices -------------------------------------------------------------- */

/* Adds AZ to the comma-separated list `list` unless it is already there. */
static void spot_note_zone(char *list, size_t cap, const char *az)
{
    size_t len = strlen(az);
    for (const char *p = list; (p = strstr(p, az)) != NULL; p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
            return;
    size_t used = strlen(list);
    if (used + len + 3 >= cap)
        return;
    snprintf(list + used, cap - used, "%s%s", used ? ", " : "", az);
}

int spot_price_init_trace(struct spot_price *sp, const struct spot_trace_cfg *c,
                          const char *pool_type, double on_demand_usd_per_hour,
                          struct os_error *err)
{
    spot_price_zero(sp, on_demand_usd_per_hour);
    const char *type = c->instance_type[0] ? c->instance_type : pool_type;
    const char *az = c->availability_zone;
    if (!az[0])
        return os_errorf(err, OS_EINVAL, "%s: no availability zone given for the series", c->path);
    if (!(isfinite(c->time_scale) && c->time_scale > 0))
        return os_errorf(err, OS_EINVAL, "%s: time_scale %g must be > 0", c->path, c->time_scale);
    if (!c->align_start && (c->origin_epoch_s > INT64_MAX / SPOT_US_PER_S ||
                            c->origin_epoch_s < -(INT64_MAX / SPOT_US_PER_S)))
        return os_errorf(err, OS_EINVAL, "%s: origin_epoch_s %lld is out of range", c->path,
                         (long long)c->origin_epoch_s);

    /* Mapping factor: 1 for the trace's own type, else on-demand ratio. */
    double factor = 1.0;
    if (strcmp(type, pool_type) != 0) {
        double trace_od = c->on_demand_usd_per_hour > 0 ? c->on_demand_usd_per_hour
                                                        : spot_trace_type_on_demand(type);
        if (!(trace_od > 0))
            return os_errorf(err, OS_EINVAL,
                             "%s: mapping trace type %s onto %s needs the on-demand price of %s "
                             "(give it as trace_on_demand_usd_per_hour)",
                             c->path, type, pool_type, type);
        if (!(isfinite(on_demand_usd_per_hour) && on_demand_usd_per_hour > 0))
            return os_errorf(err, OS_EINVAL, "%s: mapping onto %s needs its on-demand price",
                             c->path, pool_type);
        factor = on_demand_usd_per_hour / trace_od;
    }

    /* the rows: shared, or read now */
    struct spot_trace_rows own;
    const struct spot_trace_rows *rows = c->rows;
    int rc = OS_OK;
    if (!rows) {
        if ((rc = spot_trace_rows_load(&own, c->path, err)))
            return rc;
        rows = &own;
    }
    char zones[256] = "";
    bool have_origin = false;
    int64_t origin_us = c->align_start ? 0 : c->origin_epoch_s * SPOT_US_PER_S;
    int64_t last_epoch_us = 0;
    double last_raw = 0;
    for (size_t k = 0; k < rows->n; k++) {
        const struct spot_trace_row *row = &rows->row[k];
        if (strcmp(row->instance_type, type) != 0)
            continue;
        if (strcmp(row->availability_zone, az) != 0) {
            spot_note_zone(zones, sizeof(zones), row->availability_zone);
            continue;
        }
        if (have_origin && row->time_us <= last_epoch_us) {
            if (row->time_us == last_epoch_us && row->usd_per_hour == last_raw)
                continue; /* an exact duplicate row */
            rc = os_errorf(err, OS_EPARSE,
                           "%s:%lld: series %s@%s is not sorted by strictly increasing epoch_s",
                           c->path, (long long)row->line, type, az);
            break;
        }
        if (!have_origin && c->align_start)
            origin_us = row->time_us;
        have_origin = true;
        last_epoch_us = row->time_us;
        last_raw = row->usd_per_hour;

        int64_t dt = row->time_us - origin_us;
        int64_t t;
        if (c->time_scale == 1.0) {
            t = dt;
        } else {
            double ts = nearbyint((double)dt * c->time_scale);
            if (!(fabs(ts) < 9.0e18)) {
                rc = os_errorf(err, OS_EINVAL, "%s:%lld: time_scale %g overflows the clock",
                               c->path, (long long)row->line, c->time_scale);
                break;
            }
            t = (int64_t)ts;
        }
        double p = row->usd_per_hour * factor;
        if (c->cap_at_on_demand && p > on_demand_usd_per_hour)
            p = on_demand_usd_per_hour;
        rc = spot_price_append(sp, t, p, err);
        if (rc)
            break;
    }
    if (rows == &own)
        spot_trace_rows_destroy(&own);
    if (rc < 0)
        goto out_free;
    if (sp->n == 0) {
        rc = os_errorf(err, OS_EINVAL, "%s: no spot price series %s@%s (zones with %s: %s)",
                       c->path, type, az, type, zones[0] ? zones : "none");
        goto out_free;
    }
    return OS_OK;

out_free:
    spot_price_destroy(sp);
    return rc;
}

_Static_assert(sizeof(((struct spot_trace_row *)0)->instance_type) == TRACE_NAME_MAX,
               "a row holds what the trace reader gives");

int spot_trace_rows_load(struct spot_trace_rows *t, const char *path, struct os_error *err)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->path, sizeof(t->path), "%s", path);
    struct trace_reader rd;
    struct trace_record rec;
    int rc = trace_open(&rd, path, TRACE_SPOT_PRICE, NULL, err);
    if (rc)
        return rc;
    while ((rc = trace_next(&rd, &rec, err)) == 1) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 4096;
            struct spot_trace_row *r = realloc(t->row, cap * sizeof(*r));
            if (!r) {
                rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
                break;
            }
            t->row = r;
            t->cap = cap;
        }
        struct spot_trace_row *r = &t->row[t->n++];
        r->time_us = rec.spot_price.time_us;
        r->line = (int64_t)rec.line;
        r->usd_per_hour = rec.spot_price.price_usd_per_hour;
        snprintf(r->instance_type, sizeof(r->instance_type), "%s", rec.spot_price.instance_type);
        snprintf(r->availability_zone, sizeof(r->availability_zone), "%s",
                 rec.spot_price.availability_zone);
    }
    trace_close(&rd);
    if (rc < 0) {
        spot_trace_rows_destroy(t);
        return rc;
    }
    return OS_OK;
}

void spot_trace_rows_destroy(struct spot_trace_rows *t)
{
    free(t->row);
    t->row = NULL;
    t->n = t->cap = 0;
}

/* --- explicit steps ---------------------------------------------------------------- */

int spot_price_init_steps(struct spot_price *sp, const struct spot_steps_cfg *c,
                          double on_demand_usd_per_hour, struct os_error *err)
{
    spot_price_zero(sp, on_demand_usd_per_hour);
    if (c->n == 0 || !c->time_us || !c->usd_per_hour)
        return os_errorf(err, OS_EINVAL, "spot steps: at least one (time, price) is needed");
    int rc = spot_price_reserve(sp, c->n, err);
    if (rc)
        goto out_free;
    for (size_t k = 0; k < c->n; k++) {
        if (k > 0 && c->time_us[k] <= c->time_us[k - 1]) {
            rc = os_errorf(err, OS_EINVAL, "spot steps: time[%zu] = %lld is not after time[%zu]", k,
                           (long long)c->time_us[k], k - 1);
            goto out_free;
        }
        if (!(isfinite(c->usd_per_hour[k]) && c->usd_per_hour[k] >= 0)) {
            rc = os_errorf(err, OS_EINVAL, "spot steps: price[%zu] = %g must be >= 0", k,
                           c->usd_per_hour[k]);
            goto out_free;
        }
        rc = spot_price_append(sp, c->time_us[k], c->usd_per_hour[k], err);
        if (rc)
            goto out_free;
    }
    return OS_OK;

out_free:
    spot_price_destroy(sp);
    return rc;
}

/* --- queries ---------------------------------------------------------------------- */

/* The step in force at t: the last k with time_us[k] <= t, or 0 before the
 * first step. */
static size_t spot_price_find(const struct spot_price *sp, int64_t t)
{
    size_t lo = 0, hi = sp->n; /* answer in [lo, hi): first k with time > t, minus one */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->time_us[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

double spot_price_at(struct spot_price *sp, int64_t t)
{
    size_t k = sp->cursor;
    if (k >= sp->n || t < sp->time_us[k]) {
        k = spot_price_find(sp, t);
    } else {
        while (k + 1 < sp->n && sp->time_us[k + 1] <= t)
            k++;
    }
    sp->cursor = k;
    return sp->usd_per_hour[k];
}

double spot_price_lookup(const struct spot_price *sp, int64_t t)
{
    return sp->usd_per_hour[spot_price_find(sp, t)];
}

int64_t spot_price_next_change(const struct spot_price *sp, int64_t t)
{
    /* Before the first step k is 0 and the first price holds through step 0,
     * so the first change is step 1 there too. */
    size_t k = spot_price_find(sp, t);
    return k + 1 < sp->n ? sp->time_us[k + 1] : INT64_MAX;
}

void spot_segments_init(struct spot_segments *it, const struct spot_price *sp, int64_t t0,
                        int64_t t1)
{
    it->sp = sp;
    it->k = spot_price_find(sp, t0);
    it->t = t0;
    it->end = t1;
}

bool spot_segments_next(struct spot_segments *it, struct spot_segment *seg)
{
    const struct spot_price *sp = it->sp;
    if (it->t >= it->end)
        return false;
    /* Before the first step k is 0: the first price holds until step 1. */
    size_t k = it->k;
    int64_t next = k + 1 < sp->n ? sp->time_us[k + 1] : INT64_MAX;
    seg->start_us = it->t;
    seg->end_us = next < it->end ? next : it->end;
    seg->usd_per_hour = sp->usd_per_hour[k];
    it->t = seg->end_us;
    it->k = it->t >= next ? k + 1 : k;
    return true;
}

double spot_price_integral_usd(const struct spot_price *sp, int64_t t0, int64_t t1)
{
    struct spot_segments it;
    struct spot_segment seg;
    double usd = 0;
    spot_segments_init(&it, sp, t0, t1);
    while (spot_segments_next(&it, &seg))
        usd += seg.usd_per_hour * ((double)(seg.end_us - seg.start_us) / (double)SPOT_US_PER_HOUR);
    return usd;
}

/* --- the market ---------------------------------------------------------------- */

int spot_market_find(const struct spot_market *m, const char *type, const char *az)
{
    for (size_t i = 0; i < m->npools; i++)
        if (!strcmp(m->pools[i].instance_type, type) && !strcmp(m->pools[i].availability_zone, az))
            return (int)i;
    return -1;
}

void spot_market_destroy(struct spot_market *m)
{
    if (m->pools)
        for (size_t i = 0; i < m->npools; i++)
            spot_price_destroy(&m->pools[i].price);
    free(m->pools);
    m->pools = NULL;
    m->npools = 0;
    rng_destroy(&m->draw);
}

static int spot_pool_build(struct spot_pool *p, const struct spot_pool_cfg *c,
                           const struct spot_market_cfg *mc, struct os_error *err)
{
    snprintf(p->instance_type, sizeof(p->instance_type), "%s", c->instance_type);
    snprintf(p->availability_zone, sizeof(p->availability_zone), "%s", c->availability_zone);
    p->on_demand_usd_per_hour = c->on_demand_usd_per_hour;
    p->hazard_per_hour = spot_hazard_per_hour(&c->interrupt);
    p->fail_prob = c->launch.fail_prob;
    p->fallback = c->launch.fallback;
    p->fallback_pool = -1;

    int rc;
    char name[2 * SPOT_NAME_MAX + 16];
    switch (c->price_kind) {
    case SPOT_PRICE_GENERATED:
        snprintf(name, sizeof(name), "spot.price.%s@%s", c->instance_type, c->availability_zone);
        rc = spot_price_init_generated(&p->price, &c->gen, c->on_demand_usd_per_hour,
                                       mc->horizon_us, mc->seed, name, err);
        break;
    case SPOT_PRICE_TRACE: {
        struct spot_trace_cfg t = c->trace;
        if (!t.availability_zone[0])
            snprintf(t.availability_zone, sizeof(t.availability_zone), "%s", c->availability_zone);
        rc = spot_price_init_trace(&p->price, &t, c->instance_type, c->on_demand_usd_per_hour, err);
        break;
    }
    case SPOT_PRICE_STEPS:
    default:
        rc = spot_price_init_steps(&p->price, &c->steps, c->on_demand_usd_per_hour, err);
        break;
    }
    if (rc && err) {
        /* Prefix the pool so the one line says where. */
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        os_errorf(err, rc, "spot pool %s@%s: %s", c->instance_type, c->availability_zone, msg);
    }
    return rc;
}

int spot_market_init(struct spot_market *m, const struct spot_market_cfg *c, struct os_error *err)
{
    memset(m, 0, sizeof(*m));
    int rc = spot_market_cfg_validate(c, err);
    if (rc)
        return rc;
    m->seed = c->seed;
    m->notice_us = c->notice_us;
    m->rebalance = c->rebalance;
    m->rebalance_lead_us = c->rebalance_lead_us;
    rc = rng_init(&m->draw, c->seed, "spot.interrupt", 0, err);
    if (rc)
        return rc;
    m->pools = calloc(c->npools ? c->npools : 1, sizeof(*m->pools));
    if (!m->pools) {
        rc = os_errorf(err, OS_ENOMEM, "spot market: cannot allocate %zu pools", c->npools);
        goto out_destroy;
    }
    for (size_t i = 0; i < c->npools; i++) {
        rc = spot_pool_build(&m->pools[i], &c->pools[i], c, err);
        m->npools = i + 1; /* so destroy frees what this pool allocated */
        if (rc)
            goto out_destroy;
    }
    for (size_t i = 0; i < c->npools; i++) {
        const struct spot_launch_cfg *l = &c->pools[i].launch;
        if (l->fallback != SPOT_FALLBACK_POOL)
            continue;
        int j = spot_market_find(m, l->fallback_type, l->fallback_zone);
        if (j < 0 || (size_t)j == i) {
            rc = os_errorf(err, OS_EINVAL, "spot pool %zu (%s@%s): fallback pool %s@%s %s", i,
                           m->pools[i].instance_type, m->pools[i].availability_zone,
                           l->fallback_type, l->fallback_zone,
                           j < 0 ? "is not a pool of the market" : "is the pool itself");
            goto out_destroy;
        }
        m->pools[i].fallback_pool = j;
    }
    return OS_OK;

out_destroy:
    spot_market_destroy(m);
    return rc;
}

/* Reseeds the market's generator to the start of stream (seed, name, index):
 * the fold below is the one rng_init() applies. */
static void spot_reseed(struct spot_market *m, const char *name, uint64_t index)
{
    uint64_t s = rng_derive_seed(m->seed, name, index);
    unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xffffffffu);
    gsl_rng_set(m->draw.r, s32 ? s32 : 1);
}

void spot_sample_interruption(struct spot_market *m, size_t pool, uint64_t instance_id,
                              int64_t launch_us, struct spot_interruption *out)
{
    const struct spot_pool *p = &m->pools[pool];
    out->interrupted = false;
    out->notice_us = out->terminate_us = out->rebalance_us = -1;
    if (!(p->hazard_per_hour > 0))
        return;
    spot_reseed(m, "spot.interrupt", instance_id);
    double mean_us = (double)SPOT_US_PER_HOUR / p->hazard_per_hour;
    double x = nearbyint(gsl_ran_exponential(m->draw.r, mean_us));
    /* A notice the int64 clock cannot hold is no interruption at all. */
    double room = (double)INT64_MAX - (double)launch_us - (double)m->notice_us - 1e6;
    if (!(x < room))
        return;
    out->interrupted = true;
    out->notice_us = launch_us + (int64_t)x;
    out->terminate_us = out->notice_us + m->notice_us;
    if (m->rebalance) {
        int64_t rb = out->notice_us - m->rebalance_lead_us;
        out->rebalance_us = rb > launch_us ? rb : launch_us;
    }
}

void spot_try_launch(struct spot_market *m, size_t pool, uint64_t attempt_id,
                     struct spot_launch *out)
{
    size_t cur = pool;
    spot_reseed(m, "spot.launch", attempt_id);
    out->attempts = 0;
    for (;;) {
        const struct spot_pool *p = &m->pools[cur];
        out->attempts++;
        out->pool = cur;
        bool fails = p->fail_prob > 0 && gsl_rng_uniform(m->draw.r) < p->fail_prob;
        if (!fails) {
            out->outcome = cur == pool ? SPOT_LAUNCHED : SPOT_LAUNCHED_FALLBACK_POOL;
            return;
        }
        switch (p->fallback) {
        case SPOT_FALLBACK_ON_DEMAND:
            out->outcome = SPOT_LAUNCHED_ON_DEMAND;
            return;
        case SPOT_FALLBACK_POOL:
            if ((size_t)out->attempts < m->npools && p->fallback_pool >= 0) {
                cur = (size_t)p->fallback_pool;
                continue;
            }
            out->outcome = SPOT_LAUNCH_FAILED;
            return;
        case SPOT_FALLBACK_NONE:
        default:
            out->outcome = SPOT_LAUNCH_FAILED;
            return;
        }
    }
}

/* --- estimates from an availability log ---------------------------------------
 *
 * The log is read line by line with getline(); each line is matched against
 * the five event formats by a small cursor matcher (no sscanf, whose %s and
 * %d accept more than the formats allow). Instances are found by id through an
 * open-addressing index (FNV-1a), so reading is linear in the log's length.
 * Timestamps are converted by hand (days from the civil date), never through
 * the C library's locale or time zone.
 */

#define SPOT_MS_PER_HOUR 3600000.0

/* Reads exactly n decimal digits (trace_digits) and moves past them. */
static bool spot_digits(const char **p, int n, int *out)
{
    if (!trace_digits(*p, n, out))
        return false;
    *p += n;
    return true;
}

static bool spot_lit(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Parses `[YYYY-MM-DDTHH:MM:SS[.f...]Z] ` into Unix milliseconds (fractions
 * beyond milliseconds are truncated). */
static bool spot_parse_stamp(const char **p, int64_t *ms)
{
    int y, mo, d, h, mi, s, frac = 0;
    const char *q = *p;
    if (!(spot_lit(&q, "[") && spot_digits(&q, 4, &y) && spot_lit(&q, "-") &&
          spot_digits(&q, 2, &mo) && spot_lit(&q, "-") && spot_digits(&q, 2, &d) &&
          spot_lit(&q, "T") && spot_digits(&q, 2, &h) && spot_lit(&q, ":") &&
          spot_digits(&q, 2, &mi) && spot_lit(&q, ":") && spot_digits(&q, 2, &s)))
        return false;
    if (*q == '.') {
        int ndig = 0;
        for (q++; *q >= '0' && *q <= '9'; q++, ndig++)
            if (ndig < 3)
                frac = frac * 10 + (*q - '0');
        if (ndig == 0)
            return false;
        for (; ndig < 3; ndig++)
            frac *= 10;
    }
    if (!spot_lit(&q, "Z] "))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > trace_days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
        return false;
    int64_t sec = trace_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    *ms = sec * 1000 + frac;
    *p = q;
    return true;
}

/* Reads a non-empty token up to the next space or the end of the line into
 * buf (cap bytes with the NUL); false when empty or too long. */
static bool spot_word(const char **p, char *buf, size_t cap)
{
    size_t n = strcspn(*p, " ");
    if (n == 0 || n >= cap)
        return false;
    memcpy(buf, *p, n);
    buf[n] = '\0';
    *p += n;
    return true;
}

/* Reads a GPU count in [1, SPOT_LOG_MAX_GPUS] without sign or leading zero. */
static bool spot_count(const char **p, int *out)
{
    const char *q = *p;
    int v = 0;
    if (*q < '1' || *q > '9')
        return false;
    for (; *q >= '0' && *q <= '9'; q++) {
        v = v * 10 + (*q - '0');
        if (v > SPOT_LOG_MAX_GPUS)
            return false;
    }
    *p = q;
    *out = v;
    return true;
}

enum spot_log_event {
    SPOT_EV_CREATED,
    SPOT_EV_RUNNING,
    SPOT_EV_NOT_RUNNING,
    SPOT_EV_DELETED,
    SPOT_EV_FAILED,
};

/* One parsed line. */
struct spot_log_line {
    enum spot_log_event ev;
    int64_t t_ms;
    char id[SPOT_LOG_NAME_MAX];
    char gpu_type[SPOT_LOG_NAME_MAX];
    char zone[SPOT_LOG_NAME_MAX];
    int gpus;
};

/* Matches the text after the timestamp against the five formats. The
 * "Instance with" form is tried before "Instance ID" so that it is never
 * read as an instance called "with". */
static bool spot_parse_event(const char *p, struct spot_log_line *l)
{
    const char *q = p;
    if (spot_lit(&q, "Created instance ")) {
        l->ev = SPOT_EV_CREATED;
        return spot_word(&q, l->id, sizeof l->id) && spot_lit(&q, " with ") &&
               spot_count(&q, &l->gpus) && spot_lit(&q, " GPU(s) of type ") &&
               spot_word(&q, l->gpu_type, sizeof l->gpu_type) && spot_lit(&q, " in zone ") &&
               spot_word(&q, l->zone, sizeof l->zone) && *q == '\0';
    }
    if (spot_lit(&q, "Successfully deleted instance ")) {
        l->ev = SPOT_EV_DELETED;
        return spot_word(&q, l->id, sizeof l->id) && *q == '\0';
    }
    if (!spot_lit(&q, "Instance "))
        return false;
    const char *after = q;
    if (spot_lit(&q, "with ")) {
        l->ev = SPOT_EV_FAILED;
        if (spot_count(&q, &l->gpus) && spot_lit(&q, " GPU(s) of type ") &&
            spot_word(&q, l->gpu_type, sizeof l->gpu_type) && spot_lit(&q, " creation failed") &&
            *q == '\0')
            return true;
        q = after;
    }
    if (!spot_word(&q, l->id, sizeof l->id))
        return false;
    if (spot_lit(&q, " running in zone "))
        l->ev = SPOT_EV_RUNNING;
    else if (spot_lit(&q, " not running in zone "))
        l->ev = SPOT_EV_NOT_RUNNING;
    else
        return false;
    return spot_word(&q, l->zone, sizeof l->zone) && *q == '\0';
}

static uint64_t spot_fnv1a(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

/* Slot of id in the index: the slot holding it, or the free slot where it
 * would go. The index is never full (at most half used). */
static size_t spot_log_slot(const struct spot_log *log, const char *id)
{
    size_t mask = log->index_cap - 1;
    size_t i = (size_t)spot_fnv1a(id) & mask;
    while (log->index[i] && strcmp(log->inst[log->index[i] - 1].id, id) != 0)
        i = (i + 1) & mask;
    return i;
}

static struct spot_log_instance *spot_log_find(const struct spot_log *log, const char *id)
{
    if (!log->index_cap)
        return NULL;
    uint32_t k = log->index[spot_log_slot(log, id)];
    return k ? &log->inst[k - 1] : NULL;
}

/* Makes room for one more instance (array and index). */
static int spot_log_reserve_instance(struct spot_log *log, struct os_error *err)
{
    if (log->ninst >= UINT32_MAX - 1)
        return os_errorf(err, OS_EFULL, "%s: more than %u instances", log->path,
                         (unsigned)(UINT32_MAX - 1));
    if (log->ninst == log->inst_cap) {
        size_t cap = log->inst_cap ? 2 * log->inst_cap : 64;
        struct spot_log_instance *a = realloc(log->inst, cap * sizeof *a);
        if (!a)
            return os_errorf(err, OS_ENOMEM, "%s: out of memory", log->path);
        log->inst = a;
        log->inst_cap = cap;
    }
    if (2 * (log->ninst + 1) > log->index_cap) {
        size_t cap = log->index_cap ? 2 * log->index_cap : 128;
        uint32_t *old = log->index;
        size_t old_cap = log->index_cap;
        log->index = calloc(cap, sizeof *log->index);
        if (!log->index) {
            log->index = old;
            return os_errorf(err, OS_ENOMEM, "%s: out of memory", log->path);
        }
        log->index_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i])
                log->index[spot_log_slot(log, log->inst[old[i] - 1].id)] = old[i];
        free(old);
    }
    return 0;
}

static int spot_log_add_failure(struct spot_log *log, const struct spot_log_line *l,
                                struct os_error *err)
{
    if (log->nfail == log->fail_cap) {
        size_t cap = log->fail_cap ? 2 * log->fail_cap : 256;
        struct spot_log_failure *a = realloc(log->fail, cap * sizeof *a);
        if (!a)
            return os_errorf(err, OS_ENOMEM, "%s: out of memory", log->path);
        log->fail = a;
        log->fail_cap = cap;
    }
    struct spot_log_failure *f = &log->fail[log->nfail++];
    memcpy(f->gpu_type, l->gpu_type, sizeof f->gpu_type);
    f->gpus = l->gpus;
    f->t_ms = l->t_ms;
    return 0;
}

/* Applies one parsed line of line number `ln`. */
static int spot_log_apply(struct spot_log *log, const struct spot_log_line *l, size_t ln,
                          struct os_error *err)
{
    if (l->ev == SPOT_EV_FAILED)
        return spot_log_add_failure(log, l, err);
    struct spot_log_instance *in = spot_log_find(log, l->id);
    if (l->ev == SPOT_EV_CREATED) {
        if (in)
            return os_errorf(err, OS_EPARSE,
                             "%s:%zu: instance %s created again (first at line %zu)", log->path, ln,
                             l->id, in->line);
        int rc = spot_log_reserve_instance(log, err);
        if (rc)
            return rc;
        in = &log->inst[log->ninst++];
        memset(in, 0, sizeof *in);
        memcpy(in->id, l->id, sizeof in->id);
        memcpy(in->gpu_type, l->gpu_type, sizeof in->gpu_type);
        memcpy(in->zone, l->zone, sizeof in->zone);
        in->gpus = l->gpus;
        in->line = ln;
        in->created_ms = in->seen_ms = l->t_ms;
        in->lost_ms = in->deleted_ms = -1;
        log->index[spot_log_slot(log, l->id)] = (uint32_t)log->ninst;
        return 0;
    }
    if (!in)
        return os_errorf(err, OS_EPARSE,
                         "%s:%zu: instance %s has no 'Created instance' line before", log->path, ln,
                         l->id);
    if (l->ev != SPOT_EV_DELETED && strcmp(l->zone, in->zone) != 0)
        return os_errorf(err, OS_EPARSE, "%s:%zu: instance %s is in zone %s (line %zu), not %s",
                         log->path, ln, l->id, in->zone, in->line, l->zone);
    switch (l->ev) {
    case SPOT_EV_RUNNING:
        if (in->lost_ms < 0)
            in->seen_ms = l->t_ms;
        break;
    case SPOT_EV_NOT_RUNNING:
        if (in->lost_ms < 0)
            in->lost_ms = l->t_ms;
        break;
    case SPOT_EV_DELETED:
        if (in->deleted_ms < 0)
            in->deleted_ms = l->t_ms;
        break;
    default:
        break;
    }
    return 0;
}

/* Reads every line of fp. */
static int spot_log_read_lines(struct spot_log *log, FILE *fp, struct os_error *err)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&buf, &cap, fp)) >= 0) {
        size_t ln = ++log->nlines;
        size_t n = (size_t)len;
        if (n && buf[n - 1] == '\n')
            buf[--n] = '\0';
        if (n && buf[n - 1] == '\r')
            buf[--n] = '\0';
        if (n == 0)
            continue;
        if (strlen(buf) != n) {
            rc = os_errorf(err, OS_EPARSE, "%s:%zu: NUL byte in the line", log->path, ln);
            break;
        }
        struct spot_log_line l;
        const char *p = buf;
        if (!spot_parse_stamp(&p, &l.t_ms)) {
            rc = os_errorf(err, OS_EPARSE,
                           "%s:%zu: expected a timestamp '[YYYY-MM-DDTHH:MM:SS.sssZ] ' at the "
                           "start of the line, got '%.40s'",
                           log->path, ln, buf);
            break;
        }
        if (!spot_parse_event(p, &l)) {
            rc = os_errorf(err, OS_EPARSE,
                           "%s:%zu: unknown event '%.80s' (expected 'Created instance ID with N "
                           "GPU(s) of type T in zone AZ', 'Instance ID [not ]running in zone AZ', "
                           "'Successfully deleted instance ID' or 'Instance with N GPU(s) of type "
                           "T creation failed')",
                           log->path, ln, p);
            break;
        }
        if (log->last_ms >= 0 && l.t_ms < log->last_ms) {
            rc =
                os_errorf(err, OS_EPARSE, "%s:%zu: timestamp %.26s is earlier than the line before",
                          log->path, ln, buf);
            break;
        }
        if (log->first_ms < 0)
            log->first_ms = l.t_ms;
        log->last_ms = l.t_ms;
        rc = spot_log_apply(log, &l, ln, err);
        if (rc)
            break;
    }
    if (rc == 0 && ferror(fp))
        rc = os_errorf(err, OS_EIO, "%s: read error after line %zu", log->path, log->nlines);
    free(buf);
    return rc;
}

int spot_log_read(struct spot_log *log, const char *path, struct os_error *err)
{
    memset(log, 0, sizeof *log);
    log->first_ms = log->last_ms = -1;
    if (strlen(path) >= sizeof log->path)
        return os_errorf(err, OS_EINVAL, "%.100s...: path longer than %zu bytes", path,
                         sizeof log->path - 1);
    snprintf(log->path, sizeof log->path, "%s", path);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        if (e == ENOENT)
            return os_errorf(err, OS_ENOENT, "%s: no such file", path);
        return os_errorf(err, OS_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    int rc = spot_log_read_lines(log, fp, err);
    fclose(fp);
    if (rc)
        spot_log_destroy(log);
    return rc;
}

void spot_log_destroy(struct spot_log *log)
{
    free(log->inst);
    free(log->fail);
    free(log->index);
    log->inst = NULL;
    log->fail = NULL;
    log->index = NULL;
    log->ninst = log->nfail = log->inst_cap = log->fail_cap = log->index_cap = 0;
}

static int spot_group_cmp(const void *a, const void *b)
{
    const struct spot_log_group *x = a, *y = b;
    int c = strcmp(x->gpu_type, y->gpu_type);
    return c ? c : (x->gpus > y->gpus) - (x->gpus < y->gpus);
}

size_t spot_log_groups(const struct spot_log *log, struct spot_log_group *out, size_t cap)
{
    /* Quadratic in the number of groups, which is a handful. */
    size_t n = 0;
    for (size_t i = 0; i < log->ninst; i++) {
        const struct spot_log_instance *in = &log->inst[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen =
                log->inst[j].gpus == in->gpus && strcmp(log->inst[j].gpu_type, in->gpu_type) == 0;
        if (seen)
            continue;
        if (n < cap) {
            memcpy(out[n].gpu_type, in->gpu_type, sizeof out[n].gpu_type);
            out[n].gpus = in->gpus;
        }
        n++;
    }
    if (n && cap)
        qsort(out, n < cap ? n : cap, sizeof *out, spot_group_cmp);
    return n;
}

void spot_poisson_rate_ci(int k, double t, double conf, double *lo, double *hi)
{
    double a = 1 - conf;
    *lo = k > 0 ? gsl_cdf_chisq_Pinv(a / 2, 2.0 * k) / (2 * t) : 0;
    *hi = gsl_cdf_chisq_Pinv(1 - a / 2, 2.0 * k + 2) / (2 * t);
}

void spot_binomial_ci(int x, int n, double conf, double *lo, double *hi)
{
    double a = 1 - conf;
    *lo = x > 0 ? gsl_cdf_beta_Pinv(a / 2, x, n - x + 1) : 0;
    *hi = x < n ? gsl_cdf_beta_Pinv(1 - a / 2, x + 1, n - x) : 1;
}

static bool spot_log_matches(const char *type, int gpus, const char *want_type, int want_gpus)
{
    return (!want_type || !*want_type || strcmp(type, want_type) == 0) &&
           (want_gpus == 0 || gpus == want_gpus);
}

/* "k80 (1, 8 GPUs), v100 (1, 8 GPUs)" into buf (cap > 0), cut short when
 * it does not fit. */
static void spot_log_describe_groups(const struct spot_log *log, char *buf, size_t cap)
{
    struct spot_log_group g[32];
    size_t n = spot_log_groups(log, g, 32);
    size_t shown = n < 32 ? n : 32, used = 0;
    snprintf(buf, cap, "%s", n ? "" : "none");
    for (size_t i = 0; i < shown; i++) {
        bool first_of_type = i == 0 || strcmp(g[i].gpu_type, g[i - 1].gpu_type) != 0;
        bool last_of_type = i + 1 == shown || strcmp(g[i].gpu_type, g[i + 1].gpu_type) != 0;
        int w;
        if (first_of_type)
            w = snprintf(buf + used, cap - used, "%s%s (%d", i ? ", " : "", g[i].gpu_type,
                         g[i].gpus);
        else
            w = snprintf(buf + used, cap - used, ", %d", g[i].gpus);
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
        if (last_of_type) {
            w = snprintf(buf + used, cap - used, " GPUs)");
            if (w < 0 || (size_t)w >= cap - used)
                return;
            used += (size_t)w;
        }
    }
    if (n > shown)
        snprintf(buf + used, cap - used, ", ...");
}

int spot_log_estimate_group(const struct spot_log *log, const char *gpu_type, int gpus,
                            struct spot_log_estimate *out, struct os_error *err)
{
    memset(out, 0, sizeof *out);
    if (gpus < 0)
        return os_errorf(err, OS_EINVAL, "%s: GPUs per instance must be >= 0 (0 = any), got %d",
                         log->path, gpus);
    snprintf(out->gpu_type, sizeof out->gpu_type, "%s", gpu_type ? gpu_type : "");
    out->gpus = gpus;
    out->first_ms = log->first_ms;
    out->last_ms = log->last_ms;
    int64_t exposure_ms = 0, exposure_min_ms = 0;
    for (size_t i = 0; i < log->ninst; i++) {
        const struct spot_log_instance *in = &log->inst[i];
        if (!spot_log_matches(in->gpu_type, in->gpus, gpu_type, gpus))
            continue;
        out->launched++;
        int64_t end, end_min;
        if (in->lost_ms >= 0) {
            out->lost++;
            end = in->lost_ms;
            end_min = in->seen_ms;
        } else {
            end = end_min = in->deleted_ms >= 0 ? in->deleted_ms : log->last_ms;
        }
        exposure_ms += end - in->created_ms;
        exposure_min_ms += end_min - in->created_ms;
    }
    for (size_t i = 0; i < log->nfail; i++)
        out->launch_failed +=
            spot_log_matches(log->fail[i].gpu_type, log->fail[i].gpus, gpu_type, gpus);
    char what[96];
    if (gpus)
        snprintf(what, sizeof what, "%s%s with %d GPU(s)", out->gpu_type[0] ? "type " : "any type",
                 out->gpu_type, gpus);
    else
        snprintf(what, sizeof what, "%s%s", out->gpu_type[0] ? "type " : "any type", out->gpu_type);
    if (out->launched == 0) {
        char groups[256];
        spot_log_describe_groups(log, groups, sizeof groups);
        return os_errorf(err, OS_EINVAL,
                         "%s: no instance of %s was launched (%d launch attempts failed); the log "
                         "has %s",
                         log->path, what, out->launch_failed, groups);
    }
    if (exposure_ms <= 0)
        return os_errorf(err, OS_EINVAL,
                         "%s: the instances of %s have no exposure (created at the log's last "
                         "timestamp)",
                         log->path, what);
    out->instance_hours = (double)exposure_ms / SPOT_MS_PER_HOUR;
    out->instance_hours_min = (double)exposure_min_ms / SPOT_MS_PER_HOUR;
    out->hazard_per_hour = out->lost / out->instance_hours;
    spot_poisson_rate_ci(out->lost, out->instance_hours, SPOT_LOG_CONF, &out->hazard_lo,
                         &out->hazard_hi);
    int attempts = out->launch_failed + out->launched;
    out->launch_fail_prob = (double)out->launch_failed / attempts;
    spot_binomial_ci(out->launch_failed, attempts, SPOT_LOG_CONF, &out->launch_fail_lo,
                     &out->launch_fail_hi);
    return 0;
}

int spot_log_estimate(const char *path, const char *gpu_type, int gpus,
                      struct spot_log_estimate *out, struct os_error *err)
{
    struct spot_log log;
    int rc = spot_log_read(&log, path, err);
    if (rc)
        return rc;
    rc = spot_log_estimate_group(&log, gpu_type, gpus, out, err);
    spot_log_destroy(&log);
    return rc;
}

/* "2020-03-15T10:07:33Z" from Unix milliseconds (gmtime_r: no time zone). */
static void spot_format_utc(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || !gmtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, cap, "?");
}

int spot_log_report(const char *path, const char *gpu_type, int gpus, FILE *out,
                    struct os_error *err)
{
    struct spot_log log;
    int rc = spot_log_read(&log, path, err);
    if (rc)
        return rc;
    /* Estimate every group first so that an error prints nothing. */
    size_t ngroups = spot_log_groups(&log, NULL, 0), nest = 0;
    struct spot_log_group *g = calloc(ngroups ? ngroups : 1, sizeof *g);
    struct spot_log_estimate *est = calloc(ngroups ? ngroups : 1, sizeof *est);
    if (!g || !est) {
        rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
        goto out_free;
    }
    spot_log_groups(&log, g, ngroups);
    for (size_t i = 0; i < ngroups && rc == 0; i++)
        if (spot_log_matches(g[i].gpu_type, g[i].gpus, gpu_type, gpus))
            rc = spot_log_estimate_group(&log, g[i].gpu_type, g[i].gpus, &est[nest++], err);
    if (rc == 0 && nest == 0) {
        /* Nothing matches: the estimator says so and lists the groups. */
        struct spot_log_estimate none;
        rc = spot_log_estimate_group(&log, gpu_type, gpus, &none, err);
        if (rc == 0) /* unreachable: a match would be a group */
            rc = os_errorf(err, OS_EINVAL, "%s: no matching group", path);
    }
    if (rc)
        goto out_free;
    char t0[32], t1[32];
    spot_format_utc(log.first_ms, t0, sizeof t0);
    spot_format_utc(log.last_ms, t1, sizeof t1);
    fprintf(out,
            "# %s: %s to %s (%.1f h); losses at detection, survivors censored at deletion or "
            "the log's end; 95 %% CIs: hazard exact Poisson (Garwood), launch failure "
            "Clopper-Pearson\n",
            path, t0, t1, (double)(log.last_ms - log.first_ms) / SPOT_MS_PER_HOUR);
    fprintf(out, "%-6s %4s %8s %4s %10s %8s %-17s %8s %9s %s\n", "gpu", "gpus", "launched", "lost",
            "inst_hours", "hazard/h", "hazard_95ci", "attempts", "fail_prob", "fail_95ci");
    for (size_t i = 0; i < nest; i++) {
        const struct spot_log_estimate *e = &est[i];
        char hci[64], fci[64];
        snprintf(hci, sizeof hci, "[%.4f, %.4f]", e->hazard_lo, e->hazard_hi);
        snprintf(fci, sizeof fci, "[%.4f, %.4f]", e->launch_fail_lo, e->launch_fail_hi);
        fprintf(out, "%-6s %4d %8d %4d %10.1f %8.4f %-17s %8d %9.4f %s\n", e->gpu_type, e->gpus,
                e->launched, e->lost, e->instance_hours, e->hazard_per_hour, hci,
                e->launched + e->launch_failed, e->launch_fail_prob, fci);
    }
out_free:
    free(g);
    free(est);
    spot_log_destroy(&log);
    return rc;
}
