/* Tests of models/spot: hazards and interruption counts, notice timing,
 * determinism of per-instance draws, generated and replayed prices, launch
 * failures and fallbacks, config validation, estimates from the 2020
 * availability log. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "models/spot.h"
#include "sim/rng.h"

#define S          SPOT_US_PER_S
#define HOUR       SPOT_US_PER_HOUR
#define DAY        (24 * HOUR)
#define TRACE_FILE SPOT_DEFAULT_TRACE_PATH

static void pool_init(struct spot_pool_cfg *p, const char *type, const char *az, double od)
{
    spot_pool_cfg_defaults(p);
    snprintf(p->instance_type, sizeof(p->instance_type), "%s", type);
    snprintf(p->availability_zone, sizeof(p->availability_zone), "%s", az);
    p->on_demand_usd_per_hour = od;
}

static void market_of(struct spot_market *m, struct spot_pool_cfg *pools, size_t n, uint64_t seed)
{
    struct spot_market_cfg c;
    struct os_error err = {{0}};
    spot_market_cfg_defaults(&c);
    c.seed = seed;
    c.pools = pools;
    c.npools = n;
    cr_assert_eq(spot_market_init(m, &c, &err), 0, "%s", err.msg);
}

/* --- hazards ------------------------------------------------------------------ */

Test(spot, band_midpoints_convert_to_hourly_hazard)
{
    /* p = band midpoint per 730-hour month, lambda = -ln(1 - p) / 730 h. */
    const double p[] = {0.025, 0.075, 0.125, 0.175, 0.25};
    for (int b = 0; b < SPOT_BAND_COUNT; b++) {
        struct spot_interrupt_cfg c = {.kind = SPOT_HAZARD_BAND, .band = (enum spot_band)b};
        cr_assert_float_eq(spot_band_monthly_prob((enum spot_band)b), p[b], 1e-15);
        cr_assert_float_eq(spot_hazard_per_hour(&c), -log(1 - p[b]) / 730.0, 1e-15);
    }
    /* 5-10 %: -ln(0.925)/730 = 1.0680e-4 per hour, mean life ~390 days. */
    struct spot_interrupt_cfg c = {.kind = SPOT_HAZARD_BAND, .band = SPOT_BAND_5_10};
    cr_assert_float_eq(spot_hazard_per_hour(&c), 1.06797e-4, 1e-9);
    struct spot_interrupt_cfg r = {.kind = SPOT_HAZARD_RATE, .rate_per_hour = 0.2};
    cr_assert_float_eq(spot_hazard_per_hour(&r), 0.2, 0);
    struct spot_interrupt_cfg none = {.kind = SPOT_HAZARD_NONE};
    cr_assert_float_eq(spot_hazard_per_hour(&none), 0.0, 0);
}

/* A renewal run: `slots` instances kept alive for `horizon`; an interrupted
 * one is replaced at its notice (as Karpenter does at the warning), so the
 * notices of one slot form a Poisson process of rate lambda and the total is
 * Poisson(slots * lambda * horizon). */
static unsigned long renewal_count(struct spot_market *m, int slots, int64_t horizon)
{
    unsigned long count = 0;
    uint64_t id = 1;
    for (int s = 0; s < slots; s++) {
        int64_t t = 0;
        for (;;) {
            struct spot_interruption x;
            spot_sample_interruption(m, 0, id++, t, &x);
            cr_assert(x.interrupted);
            if (x.notice_us >= horizon)
                break;
            count++;
            t = x.notice_us;
        }
    }
    return count;
}

/* Smallest k with P(X <= k) >= p for X ~ Poisson(mu). GSL has the Poisson
 * CDF (gsl_cdf_poisson_P) but no inverse, so walk up from mu - 8 sd. */
static unsigned poisson_quantile(double p, double mu)
{
    double start = floor(mu - 8 * sqrt(mu));
    unsigned k = start > 0 ? (unsigned)start : 0;
    while (gsl_cdf_poisson_P(k, mu) < p)
        k++;
    return k;
}

static void check_poisson_99(struct spot_market *m, int slots, int64_t horizon)
{
    double lambda_h = m->pools[0].hazard_per_hour;
    double mu = slots * lambda_h * ((double)horizon / (double)HOUR);
    unsigned lo = poisson_quantile(0.005, mu);
    unsigned hi = poisson_quantile(0.995, mu);
    unsigned long n = renewal_count(m, slots, horizon);
    cr_assert(n >= lo && n <= hi, "%lu interruptions, Poisson(%.1f) 99%% interval [%u, %u]", n, mu,
              lo, hi);
}

Test(spot, constant_hazard_count_falls_in_poisson_99_interval)
{
    /* Band 15-20 %: lambda = -ln(0.825)/730 h = 2.635e-4/h; 200 instances x
     * 5 years (43,800 h) -> mean 2,308 interruptions. */
    struct spot_pool_cfg p;
    struct spot_market m;
    pool_init(&p, "g5.xlarge", "us-east-1a", 1.006);
    p.interrupt.band = SPOT_BAND_15_20;
    market_of(&m, &p, 1, 42);
    check_poisson_99(&m, 200, 5 * 365 * DAY);
    spot_market_destroy(&m);

    /* The 2020 K80 calibration, 0.20/h: 20 instances x 30 days -> mean 2,880. */
    pool_init(&p, "p2.xlarge", "us-east-1c", 0.90);
    p.interrupt.kind = SPOT_HAZARD_RATE;
    p.interrupt.rate_per_hour = SPOT_LOG2020_K80_RATE_PER_HOUR;
    market_of(&m, &p, 1, 7);
    check_poisson_99(&m, 20, 30 * DAY);
    spot_market_destroy(&m);
}

Test(spot, mean_time_to_interruption_matches_hazard)
{
    /* 100,000 draws of Exponential(lambda): sample mean within 1 % (the
     * standard error is 0.32 %). */
    struct spot_pool_cfg p;
    struct spot_market m;
    pool_init(&p, "g5.xlarge", "us-east-1a", 1.006);
    p.interrupt.kind = SPOT_HAZARD_RATE;
    p.interrupt.rate_per_hour = 0.5;
    market_of(&m, &p, 1, 3);
    double sum = 0;
    for (uint64_t id = 0; id < 100000; id++) {
        struct spot_interruption x;
        spot_sample_interruption(&m, 0, id, 1000, &x);
        sum += (double)(x.notice_us - 1000);
    }
    double mean_h = sum / 100000 / (double)HOUR;
    cr_assert(fabs(mean_h - 2.0) < 0.02, "mean %.4f h, expected 2 h", mean_h);
    spot_market_destroy(&m);
}

/* --- notices ------------------------------------------------------------------ */

Test(spot, notice_is_exactly_two_minutes_before_termination)
{
    struct spot_pool_cfg p;
    struct spot_market m;
    pool_init(&p, "g5.xlarge", "us-east-1a", 1.006);
    p.interrupt.kind = SPOT_HAZARD_RATE;
    p.interrupt.rate_per_hour = 30; /* mean 2 min: many notices land near launch */
    market_of(&m, &p, 1, 11);
    for (uint64_t id = 0; id < 10000; id++) {
        struct spot_interruption x;
        int64_t launch = (int64_t)id * 7 * S;
        spot_sample_interruption(&m, 0, id, launch, &x);
        cr_assert(x.interrupted);
        cr_assert_geq(x.notice_us, launch);
        cr_assert_eq(x.terminate_us - x.notice_us, 120 * S);
        cr_assert_eq(x.rebalance_us, -1, "rebalance recommendations are off by default");
    }
    spot_market_destroy(&m);
}

Test(spot, rebalance_recommendation_precedes_the_notice)
{
    struct spot_pool_cfg p;
    struct spot_market_cfg c;
    struct spot_market m;
    struct os_error err = {{0}};
    pool_init(&p, "g5.xlarge", "us-east-1a", 1.006);
    p.interrupt.kind = SPOT_HAZARD_RATE;
    p.interrupt.rate_per_hour = 4;
    spot_market_cfg_defaults(&c);
    c.pools = &p;
    c.npools = 1;
    c.rebalance = true;
    c.rebalance_lead_us = 600 * S;
    c.notice_us = 90 * S; /* configurable notice */
    cr_assert_eq(spot_market_init(&m, &c, &err), 0, "%s", err.msg);
    int clamped = 0;
    for (uint64_t id = 0; id < 5000; id++) {
        struct spot_interruption x;
        spot_sample_interruption(&m, 0, id, 50 * S, &x);
        cr_assert_eq(x.terminate_us - x.notice_us, 90 * S);
        if (x.notice_us - 600 * S >= 50 * S) {
            cr_assert_eq(x.rebalance_us, x.notice_us - 600 * S);
        } else {
            cr_assert_eq(x.rebalance_us, 50 * S, "clamped to the launch");
            clamped++;
        }
    }
    cr_assert(clamped > 0 && clamped < 5000);
    spot_market_destroy(&m);
}

Test(spot, no_hazard_means_no_interruption)
{
    struct spot_pool_cfg p;
    struct spot_market m;
    pool_init(&p, "g5.xlarge", "us-east-1a", 1.006);
    p.interrupt.kind = SPOT_HAZARD_NONE;
    market_of(&m, &p, 1, 1);
    struct spot_interruption x;
    spot_sample_interruption(&m, 0, 5, 0, &x);
    cr_assert(!x.interrupted);
    cr_assert_eq(x.notice_us, -1);
    cr_assert_eq(x.terminate_us, -1);
    spot_market_destroy(&m);
}

/* --- determinism ----------------------------------------------------------------- */

Test(spot, draws_depend_only_on_seed_and_instance_id)
{
    struct spot_pool_cfg p[2];
    struct spot_market m;
    pool_init(&p[0], "g5.xlarge", "us-east-1a", 1.006);
    pool_init(&p[1], "g5.xlarge", "us-east-1b", 1.006);
    market_of(&m, p, 2, 99);

    struct spot_interruption first, again, other_pool;
    spot_sample_interruption(&m, 0, 42, 1000, &first);
    for (uint64_t id = 0; id < 1000; id++) { /* other launches in between */
        struct spot_interruption x;
        spot_sample_interruption(&m, id % 2, id, (int64_t)id, &x);
    }
    spot_sample_interruption(&m, 0, 42, 1000, &again);
    cr_assert_eq(first.notice_us, again.notice_us);
    /* Same hazard, other pool: the same draw (common random numbers). */
    spot_sample_interruption(&m, 1, 42, 1000, &other_pool);
    cr_assert_eq(first.notice_us, other_pool.notice_us);

    /* It is the first draw of the named stream (seed, "spot.interrupt", 42). */
    struct rng r;
    cr_assert_eq(rng_init(&r, 99, "spot.interrupt", 42, NULL), 0);
    double mean_us = (double)HOUR / m.pools[0].hazard_per_hour;
    int64_t x = (int64_t)nearbyint(gsl_ran_exponential(r.r, mean_us));
    cr_assert_eq(first.notice_us, 1000 + x);
    rng_destroy(&r);

    /* Another seed gives another draw. */
    struct spot_market m2;
    market_of(&m2, p, 2, 100);
    struct spot_interruption y;
    spot_sample_interruption(&m2, 0, 42, 1000, &y);
    cr_assert_neq(first.notice_us, y.notice_us);
    spot_market_destroy(&m2);
    spot_market_destroy(&m);
}

/* --- generated prices ------------------------------------------------------------ */

Test(spot, generated_price_is_capped_and_keeps_its_mean_discount)
{
    /* Defaults (mean discount 70 %, sd_log 0.045, noise 0.02, tau 3 d, step
     * 6 h) over 20 years: 29,201 steps, ~1,200 independent tau-blocks, so the
     * time-averaged discount has a standard error of ~0.0004. */
    struct spot_gen_cfg g;
    struct spot_price sp;
    struct os_error err = {{0}};
    spot_gen_cfg_defaults(&g);
    int64_t horizon = 20 * 365 * DAY;
    cr_assert_eq(spot_price_init_generated(&sp, &g, 1.006, horizon, 5, "spot.price.g5@a", &err), 0,
                 "%s", err.msg);
    cr_assert_eq(sp.n, (size_t)(horizon / g.step_us) + 1);
    for (size_t k = 0; k < sp.n; k++) {
        cr_assert_leq(sp.usd_per_hour[k], 1.006);
        cr_assert_gt(sp.usd_per_hour[k], 0);
    }
    double mean_frac =
        spot_price_integral_usd(&sp, 0, horizon) / 1.006 / ((double)horizon / (double)HOUR);
    cr_assert(fabs((1 - mean_frac) - 0.70) < 0.005, "mean discount %.4f, configured 0.70",
              1 - mean_frac);
    spot_price_destroy(&sp);

    /* Volatile and barely discounted: often at the cap, never above it, and
     * the mean sits below the uncapped target 0.9. */
    g.mean_discount = 0.10;
    g.sd_log = 0.5;
    g.noise_sd = 0.1;
    cr_assert_eq(spot_price_init_generated(&sp, &g, 2.0, horizon, 6, "spot.price.x@b", &err), 0,
                 "%s", err.msg);
    size_t capped = 0;
    for (size_t k = 0; k < sp.n; k++) {
        cr_assert_leq(sp.usd_per_hour[k], 2.0);
        capped += sp.usd_per_hour[k] == 2.0;
    }
    cr_assert_gt(capped, 0);
    mean_frac = spot_price_integral_usd(&sp, 0, horizon) / 2.0 / ((double)horizon / (double)HOUR);
    cr_assert_lt(mean_frac, 0.90);
    spot_price_destroy(&sp);
}

Test(spot, generated_price_is_deterministic_per_pool)
{
    struct spot_pool_cfg p[2];
    struct spot_market a, b;
    pool_init(&p[0], "g5.xlarge", "us-east-1a", 1.006);
    pool_init(&p[1], "g5.xlarge", "us-east-1b", 1.006);
    market_of(&a, p, 2, 1234);
    market_of(&b, &p[1], 1, 1234); /* pool b alone: same prices as in market a */
    const struct spot_price *x = &a.pools[1].price, *y = &b.pools[0].price;
    cr_assert_eq(x->n, y->n);
    for (size_t k = 0; k < x->n; k++) {
        cr_assert_eq(x->time_us[k], y->time_us[k]);
        cr_assert_eq(x->usd_per_hour[k], y->usd_per_hour[k]);
    }
    /* Pools differ from each other. */
    cr_assert_neq(a.pools[0].price.usd_per_hour[1], a.pools[1].price.usd_per_hour[1]);
    /* Past the horizon (30 days by default) the last price holds. */
    cr_assert_eq(spot_price_lookup(x, 400 * DAY), x->usd_per_hour[x->n - 1]);
    spot_market_destroy(&a);
    spot_market_destroy(&b);
}

/* --- queries ---------------------------------------------------------------------- */

Test(spot, monotone_cursor_queries_agree_with_lookup)
{
    struct spot_gen_cfg g;
    struct spot_price sp;
    spot_gen_cfg_defaults(&g);
    g.step_us = 17 * 60 * S;
    cr_assert_eq(spot_price_init_generated(&sp, &g, 3.06, 60 * DAY, 8, "q", NULL), 0);
    for (int64_t t = -HOUR; t < 61 * DAY; t += 7 * 60 * S + 13)
        cr_assert_eq(spot_price_at(&sp, t), spot_price_lookup(&sp, t));
    /* Backward and random jumps fall back to binary search. */
    const int64_t ts[] = {59 * DAY, 3, 40 * DAY + 5, 40 * DAY + 4, 0, 59 * DAY, -5, 61 * DAY};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
        cr_assert_eq(spot_price_at(&sp, ts[i]), spot_price_lookup(&sp, ts[i]));
    spot_price_destroy(&sp);
}

Test(spot, segments_walk_price_changes_exactly)
{
    /* $0.90 from 100 s, $1.20 from 1,000 s, $1.05 from 5,000 s. */
    const int64_t t[] = {100 * S, 1000 * S, 5000 * S};
    const double p[] = {0.90, 1.20, 1.05};
    struct spot_steps_cfg c = {t, p, 3};
    struct spot_price sp;
    cr_assert_eq(spot_price_init_steps(&sp, &c, 3.06, NULL), 0);

    cr_assert_eq(spot_price_lookup(&sp, 0), 0.90, "the first price holds before the first step");
    cr_assert_eq(spot_price_lookup(&sp, 1000 * S - 1), 0.90);
    cr_assert_eq(spot_price_lookup(&sp, 1000 * S), 1.20);
    cr_assert_eq(spot_price_next_change(&sp, 0), 1000 * S);
    cr_assert_eq(spot_price_next_change(&sp, 1000 * S), 5000 * S);
    cr_assert_eq(spot_price_next_change(&sp, 5000 * S), INT64_MAX);

    struct spot_segments it;
    struct spot_segment s;
    spot_segments_init(&it, &sp, 0, 6000 * S);
    cr_assert(spot_segments_next(&it, &s));
    cr_assert(s.start_us == 0 && s.end_us == 1000 * S && s.usd_per_hour == 0.90);
    cr_assert(spot_segments_next(&it, &s));
    cr_assert(s.start_us == 1000 * S && s.end_us == 5000 * S && s.usd_per_hour == 1.20);
    cr_assert(spot_segments_next(&it, &s));
    cr_assert(s.start_us == 5000 * S && s.end_us == 6000 * S && s.usd_per_hour == 1.05);
    cr_assert(!spot_segments_next(&it, &s));

    /* 0.90 x 900 s + 1.20 x 2,600 s = $0.225 + $0.8667 = $1.0917 over [100 s, 3,600 s). */
    cr_assert_float_eq(spot_price_integral_usd(&sp, 100 * S, 3600 * S), 0.225 + 1.2 * 2600 / 3600,
                       1e-12);
    cr_assert_eq(spot_price_integral_usd(&sp, 50, 50), 0.0);
    spot_price_destroy(&sp);

    /* Equal consecutive prices are merged; non-increasing times are refused. */
    const int64_t t2[] = {0, 10, 20};
    const double p2[] = {1.0, 1.0, 2.0};
    struct spot_steps_cfg c2 = {t2, p2, 3};
    cr_assert_eq(spot_price_init_steps(&sp, &c2, 3.0, NULL), 0);
    cr_assert_eq(sp.n, 2);
    cr_assert_eq(spot_price_next_change(&sp, 0), 20);
    spot_price_destroy(&sp);
    const int64_t t3[] = {0, 10, 10};
    struct spot_steps_cfg c3 = {t3, p2, 3};
    struct os_error err = {{0}};
    cr_assert_eq(spot_price_init_steps(&sp, &c3, 3.0, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "time[2]") != NULL, "%s", err.msg);
}

/* --- trace replay ---------------------------------------------------------------- */

/* Rows of aws_spot_gpu_prices_flat.csv, series p3.2xlarge@us-east-1b:
 *   line 11459  1577050391  0.940000   (first point: sim time 0)
 *   line 11460  1577070501  0.935500   (+20,110 s)
 *   line 11461  1577087691  0.935500   (+37,300 s, same price: no change)
 *   line 11462  1577093672  0.936700   (+43,281 s)
 *   line 11829  1584964220  1.027400   (last point, +7,913,829 s) */
Test(spot, trace_replay_returns_exact_trace_prices)
{
    struct spot_pool_cfg p;
    struct spot_market m;
    pool_init(&p, "p3.2xlarge", "us-east-1b", 3.06);
    p.price_kind = SPOT_PRICE_TRACE;
    market_of(&m, &p, 1, 0);
    struct spot_price *sp = &m.pools[0].price;

    cr_assert_eq(sp->time_us[0], 0);
    cr_assert_eq(spot_price_at(sp, 0), 0.94);
    cr_assert_eq(spot_price_at(sp, 20110 * S - 1), 0.94);
    cr_assert_eq(spot_price_at(sp, 20110 * S), 0.9355);
    cr_assert_eq(spot_price_at(sp, 37300 * S), 0.9355);
    cr_assert_eq(spot_price_at(sp, 43281 * S - 1), 0.9355);
    cr_assert_eq(spot_price_at(sp, 43281 * S), 0.9367);
    cr_assert_eq(spot_price_at(sp, 7913829 * S - 1), spot_price_lookup(sp, 7913829 * S - 1));
    cr_assert_eq(spot_price_at(sp, 7913829 * S), 1.0274);
    cr_assert_eq(spot_price_at(sp, 9000000 * S), 1.0274, "the last price holds after the trace");
    cr_assert_eq(spot_price_next_change(sp, 20110 * S), 43281 * S, "line 11461 is no change");
    cr_assert_leq(sp->n, 371);
    spot_market_destroy(&m);
}

Test(spot, trace_replay_origin_time_scale_and_type_mapping)
{
    struct spot_trace_cfg t;
    struct spot_price sp;
    struct os_error err = {{0}};
    spot_trace_cfg_defaults(&t);
    snprintf(t.availability_zone, sizeof(t.availability_zone), "us-east-1b");

    /* Origin at line 11460's time: the earlier point lies at -20,110 s. */
    t.align_start = false;
    t.origin_epoch_s = 1577070501;
    cr_assert_eq(spot_price_init_trace(&sp, &t, "p3.2xlarge", 3.06, &err), 0, "%s", err.msg);
    cr_assert_eq(sp.time_us[0], -20110 * S);
    cr_assert_eq(spot_price_lookup(&sp, -1), 0.94);
    cr_assert_eq(spot_price_lookup(&sp, 0), 0.9355);
    spot_price_destroy(&sp);

    /* Twice as fast: +43,281 s of trace time is +21,640.5 s of simulated time. */
    t.align_start = true;
    t.time_scale = 0.5;
    cr_assert_eq(spot_price_init_trace(&sp, &t, "p3.2xlarge", 3.06, &err), 0, "%s", err.msg);
    cr_assert_eq(spot_price_lookup(&sp, 21640500000 - 1), 0.9355);
    cr_assert_eq(spot_price_lookup(&sp, 21640500000), 0.9367);
    spot_price_destroy(&sp);

    /* p3.2xlarge mapped onto g5.xlarge: 0.94/3.06 of on-demand x 1.006 $/h. */
    t.time_scale = 1.0;
    snprintf(t.instance_type, sizeof(t.instance_type), "p3.2xlarge");
    cr_assert_eq(spot_price_init_trace(&sp, &t, "g5.xlarge", 1.006, &err), 0, "%s", err.msg);
    cr_assert_float_eq(spot_price_lookup(&sp, 0), 0.94 / 3.06 * 1.006, 1e-15);
    cr_assert_float_eq(spot_price_lookup(&sp, 43281 * S), 0.9367 / 3.06 * 1.006, 1e-15);
    spot_price_destroy(&sp);

    /* Replayed prices are not capped unless asked: 0.94 > 0.935 stays 0.94. */
    t.instance_type[0] = '\0';
    cr_assert_eq(spot_price_init_trace(&sp, &t, "p3.2xlarge", 0.935, &err), 0, "%s", err.msg);
    cr_assert_eq(spot_price_lookup(&sp, 0), 0.94);
    spot_price_destroy(&sp);
    t.cap_at_on_demand = true;
    cr_assert_eq(spot_price_init_trace(&sp, &t, "p3.2xlarge", 0.935, &err), 0, "%s", err.msg);
    cr_assert_eq(spot_price_lookup(&sp, 0), 0.935);
    cr_assert_eq(spot_price_lookup(&sp, 43281 * S), 0.935);
    spot_price_destroy(&sp);
    t.cap_at_on_demand = false;
    snprintf(t.instance_type, sizeof(t.instance_type), "p3.2xlarge");

    /* A given trace on-demand price overrides the built-in one. */
    t.on_demand_usd_per_hour = 4.0;
    cr_assert_eq(spot_price_init_trace(&sp, &t, "g5.xlarge", 1.006, &err), 0, "%s", err.msg);
    cr_assert_float_eq(spot_price_lookup(&sp, 0), 0.94 / 4.0 * 1.006, 1e-15);
    spot_price_destroy(&sp);
}

Test(spot, trace_replay_unknown_series_is_one_clear_line)
{
    struct spot_trace_cfg t;
    struct spot_price sp;
    struct os_error err = {{0}};
    spot_trace_cfg_defaults(&t);
    snprintf(t.availability_zone, sizeof(t.availability_zone), "us-east-1z");
    cr_assert_eq(spot_price_init_trace(&sp, &t, "p3.2xlarge", 3.06, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "p3.2xlarge@us-east-1z") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "us-east-1b") != NULL, "lists the zones: %s", err.msg);
    cr_assert_eq(sp.n, 0);

    /* Mapping an unknown trace type needs its on-demand price. */
    snprintf(t.availability_zone, sizeof(t.availability_zone), "us-east-1b");
    snprintf(t.instance_type, sizeof(t.instance_type), "g4dn.xlarge");
    cr_assert_eq(spot_price_init_trace(&sp, &t, "g5.xlarge", 1.006, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "on_demand_usd_per_hour") != NULL, "%s", err.msg);

    snprintf(t.path, sizeof(t.path), "no/such/file.csv");
    t.instance_type[0] = '\0';
    cr_assert_eq(spot_price_init_trace(&sp, &t, "p3.2xlarge", 3.06, &err), OS_ENOENT);
}

/* --- launches ------------------------------------------------------------------- */

Test(spot, launch_failures_follow_their_probability_and_fallbacks)
{
    struct spot_pool_cfg p[3];
    struct spot_market m;
    pool_init(&p[0], "g5.xlarge", "us-east-1a", 1.006);
    p[0].launch.fail_prob = 0.3;
    pool_init(&p[1], "g5.xlarge", "us-east-1b", 1.006);
    p[1].launch.fail_prob = 0.3;
    p[1].launch.fallback = SPOT_FALLBACK_ON_DEMAND;
    pool_init(&p[2], "g6.xlarge", "us-east-1a", 0.8048);
    p[2].launch.fail_prob = 1.0;
    p[2].launch.fallback = SPOT_FALLBACK_POOL;
    snprintf(p[2].launch.fallback_type, SPOT_NAME_MAX, "g5.xlarge");
    snprintf(p[2].launch.fallback_zone, SPOT_NAME_MAX, "us-east-1a");
    market_of(&m, p, 3, 77);

    /* 100,000 attempts at 30 %: mean 30,000, sd 145; allow 4 sd. */
    const int n = 100000;
    int failed = 0, on_demand = 0, fell_back = 0, failed_after_fallback = 0;
    for (int i = 0; i < n; i++) {
        struct spot_launch l;
        spot_try_launch(&m, 0, (uint64_t)i, &l);
        cr_assert(l.outcome == SPOT_LAUNCHED || l.outcome == SPOT_LAUNCH_FAILED);
        failed += l.outcome == SPOT_LAUNCH_FAILED;
        spot_try_launch(&m, 1, (uint64_t)i, &l);
        cr_assert(l.outcome == SPOT_LAUNCHED || l.outcome == SPOT_LAUNCHED_ON_DEMAND);
        on_demand += l.outcome == SPOT_LAUNCHED_ON_DEMAND;
        spot_try_launch(&m, 2, (uint64_t)i, &l);
        cr_assert_eq(l.attempts, 2);
        if (l.outcome == SPOT_LAUNCHED_FALLBACK_POOL) {
            cr_assert_eq(l.pool, 0);
            fell_back++;
        } else {
            cr_assert_eq(l.outcome, SPOT_LAUNCH_FAILED);
            failed_after_fallback++;
        }
    }
    double sd = sqrt(n * 0.3 * 0.7);
    cr_assert(fabs(failed - 0.3 * n) < 4 * sd, "%d failures", failed);
    cr_assert(fabs(on_demand - 0.3 * n) < 4 * sd, "%d on-demand fallbacks", on_demand);
    cr_assert(fabs(failed_after_fallback - 0.3 * n) < 4 * sd, "%d", failed_after_fallback);
    cr_assert_eq(fell_back + failed_after_fallback, n);

    /* The same attempt id gives the same outcome. */
    struct spot_launch a, b;
    spot_try_launch(&m, 0, 12345, &a);
    spot_try_launch(&m, 0, 12345, &b);
    cr_assert_eq(a.outcome, b.outcome);
    spot_market_destroy(&m);
}

Test(spot, fallback_cycle_ends_in_failure)
{
    struct spot_pool_cfg p[2];
    struct spot_market m;
    pool_init(&p[0], "a", "z1", 1.0);
    pool_init(&p[1], "b", "z1", 1.0);
    for (int i = 0; i < 2; i++) {
        p[i].launch.fail_prob = 1.0;
        p[i].launch.fallback = SPOT_FALLBACK_POOL;
        snprintf(p[i].launch.fallback_type, SPOT_NAME_MAX, "%s", i ? "a" : "b");
        snprintf(p[i].launch.fallback_zone, SPOT_NAME_MAX, "z1");
    }
    market_of(&m, p, 2, 1);
    struct spot_launch l;
    spot_try_launch(&m, 0, 1, &l);
    cr_assert_eq(l.outcome, SPOT_LAUNCH_FAILED);
    cr_assert_eq(l.attempts, 2);
    spot_market_destroy(&m);
}

/* --- validation ----------------------------------------------------------------- */

Test(spot, bad_config_is_one_clear_line)
{
    struct spot_pool_cfg p[2];
    struct spot_market_cfg c;
    struct spot_market m;
    struct os_error err = {{0}};
    spot_market_cfg_defaults(&c);
    c.pools = p;
    c.npools = 1;

    pool_init(&p[0], "g5.xlarge", "us-east-1a", 1.006);
    p[0].gen.mean_discount = 1.2;
    cr_assert_eq(spot_market_init(&m, &c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "g5.xlarge@us-east-1a") && strstr(err.msg, "gen.mean_discount"), "%s",
              err.msg);

    pool_init(&p[0], "g5.xlarge", "us-east-1a", 0);
    cr_assert_eq(spot_market_init(&m, &c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "on_demand_usd_per_hour") != NULL, "%s", err.msg);

    pool_init(&p[0], "g5.xlarge", "us-east-1a", 1.006);
    p[0].launch.fail_prob = -0.1;
    cr_assert_eq(spot_market_init(&m, &c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "launch.fail_prob") != NULL, "%s", err.msg);

    pool_init(&p[0], "g5.xlarge", "us-east-1a", 1.006);
    p[0].launch.fallback = SPOT_FALLBACK_POOL;
    snprintf(p[0].launch.fallback_type, SPOT_NAME_MAX, "g6.xlarge");
    snprintf(p[0].launch.fallback_zone, SPOT_NAME_MAX, "us-east-1a");
    cr_assert_eq(spot_market_init(&m, &c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "not a pool") != NULL, "%s", err.msg);

    pool_init(&p[0], "g5.xlarge", "us-east-1a", 1.006);
    pool_init(&p[1], "g5.xlarge", "us-east-1a", 1.006);
    c.npools = 2;
    cr_assert_eq(spot_market_init(&m, &c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "duplicate") != NULL, "%s", err.msg);

    /* A trace failure names the pool. */
    pool_init(&p[0], "p3.2xlarge", "us-east-1q", 3.06);
    p[0].price_kind = SPOT_PRICE_TRACE;
    c.npools = 1;
    cr_assert_eq(spot_market_init(&m, &c, &err), OS_EINVAL);
    cr_assert(strncmp(err.msg, "spot pool p3.2xlarge@us-east-1q: ", 33) == 0, "%s", err.msg);
}

/* The rows read once (spot_trace_rows_load) and shared by pools: every data
 * line of the file is a row (16,561 lines with the header), and a pool
 * built on them gives the series the file gives (the values of
 * trace_replay_origin_time_scale_and_type_mapping: p3.2xlarge@us-east-1b,
 * origin at line 11460's time). A missing series names what the rows hold. */
Test(spot, shared_trace_rows_give_the_series_of_the_file)
{
    struct spot_trace_rows rows;
    struct os_error err = {{0}};
    struct spot_trace_cfg t;
    spot_trace_cfg_defaults(&t);
    cr_assert_eq(spot_trace_rows_load(&rows, t.path, &err), 0, "%s", err.msg);
    cr_assert_eq(rows.n, 16560);
    t.rows = &rows;
    snprintf(t.availability_zone, sizeof(t.availability_zone), "us-east-1b");
    t.align_start = false;
    t.origin_epoch_s = 1577070501;
    struct spot_price sp;
    cr_assert_eq(spot_price_init_trace(&sp, &t, "p3.2xlarge", 3.06, &err), 0, "%s", err.msg);
    cr_assert_eq(sp.time_us[0], -20110 * S);
    cr_assert_eq(spot_price_lookup(&sp, -1), 0.94);
    cr_assert_eq(spot_price_lookup(&sp, 0), 0.9355);
    cr_assert_eq(spot_price_lookup(&sp, 43281 * S), 0.9367);
    spot_price_destroy(&sp);
    snprintf(t.availability_zone, sizeof(t.availability_zone), "us-east-1z");
    cr_assert_eq(spot_price_init_trace(&sp, &t, "p3.2xlarge", 3.06, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "no spot price series p3.2xlarge@us-east-1z (zones with "
                              "p3.2xlarge: ") != NULL,
              "%s", err.msg);
    spot_trace_rows_destroy(&rows);
}

/* --- estimates from an availability log -------------------------------------------- */

#define LOG_FILE SPOT_DEFAULT_LOG_PATH

/* Writes text to a fresh temporary file whose name goes to path. */
static void write_log(char path[32], const char *text)
{
    snprintf(path, 32, "/tmp/orchsim-spotlog-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    cr_assert(fp != NULL);
    fputs(text, fp);
    cr_assert_eq(fclose(fp), 0);
}

/* Expects reading `text` to fail with code; returns nothing, checks that the
 * message contains want (with the temp path substituted for "%s"). */
static void expect_log_error(const char *text, int code, const char *want_fmt)
{
    char path[32], want[256];
    struct spot_log slog;
    struct os_error err = {{0}};
    write_log(path, text);
    snprintf(want, sizeof want, want_fmt, path);
    cr_assert_eq(spot_log_read(&slog, path, &err), code, "%s", err.msg);
    cr_assert(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
    unlink(path);
}

Test(spot, log_hand_computed_hazard_and_intervals)
{
    /* Two k80 1-GPU instances from 10:00: i-a is seen running at 11:50 and
     * found not running at 12:00 (lost after exactly 2 h, 1 h 50 min at its
     * last "running" poll); i-b survives to the log's last line at 13:00
     * (censored after 3 h). Two k80 1-GPU attempts failed; one v100 8-GPU
     * failure belongs to another group.
     *   MLE 1 / 5 h = 0.2 per hour.
     *   Garwood lower = chi2_inv(0.025, 2) / 10 = -2 ln(0.975) / 10
     *                 = -ln(0.975) / 5 = 0.005063561597
     *     (chi2 with 2 df: F(x) = 1 - exp(-x/2)).
     *   Garwood upper = chi2_inv(0.975, 4) / 10 = 11.143286781878 / 10
     *     (chi2 with 4 df: F(x) = 1 - exp(-x/2)(1 + x/2) = 0.975 solved by
     *     Newton; R: qchisq(0.975, 4) = 11.14329).
     *   Launch failures x = 2 of n = 4 attempts: p = 0.5; Clopper-Pearson
     *   lower = beta_inv(0.025; 2, 3), where I_x(2, 3) = 6x^2 - 8x^3 + 3x^4,
     *   root 0.067585986489 (R: qbeta(0.025, 2, 3) = 0.06758599); upper =
     *   beta_inv(0.975; 3, 2) = 1 - 0.067585986489 by symmetry. */
    const char *text = "[2020-03-15T10:00:00.000Z] Created instance i-a with 1 GPU(s) of type k80 "
                       "in zone us-east-1b\n"
                       "[2020-03-15T10:00:00.000Z] Created instance i-b with 1 GPU(s) of type k80 "
                       "in zone us-east-1c\n"
                       "[2020-03-15T10:00:01.000Z] Instance with 1 GPU(s) of type k80 creation "
                       "failed\n"
                       "[2020-03-15T10:00:02.000Z] Instance with 8 GPU(s) of type v100 creation "
                       "failed\n"
                       "[2020-03-15T10:10:00.000Z] Instance with 1 GPU(s) of type k80 creation "
                       "failed\n"
                       "[2020-03-15T11:50:00.000Z] Instance i-a running in zone us-east-1b\n"
                       "[2020-03-15T11:50:00.000Z] Instance i-b running in zone us-east-1c\n"
                       "[2020-03-15T12:00:00.000Z] Instance i-a not running in zone us-east-1b\n"
                       "[2020-03-15T12:00:05.000Z] Successfully deleted instance i-a\n"
                       "\n"
                       "[2020-03-15T13:00:00.000Z] Instance i-b running in zone us-east-1c\n";
    char path[32];
    struct spot_log_estimate e;
    struct os_error err = {{0}};
    write_log(path, text);
    cr_assert_eq(spot_log_estimate(path, "k80", 1, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.launched, 2);
    cr_assert_eq(e.lost, 1);
    cr_assert_eq(e.launch_failed, 2);
    cr_assert_float_eq(e.instance_hours, 5.0, 1e-12);
    cr_assert_float_eq(e.instance_hours_min, 2.0 - 10.0 / 60 + 3.0, 1e-12);
    cr_assert_float_eq(e.hazard_per_hour, 0.2, 1e-12);
    cr_assert_float_eq(e.hazard_lo, 0.005063561597, 1e-11);
    cr_assert_float_eq(e.hazard_hi, 1.114328678188, 1e-9);
    cr_assert_float_eq(e.launch_fail_prob, 0.5, 1e-15);
    cr_assert_float_eq(e.launch_fail_lo, 0.067585986489, 1e-9);
    cr_assert_float_eq(e.launch_fail_hi, 0.932414013511, 1e-9);
    /* The span is 10:00 to 13:00 on 2020-03-15 = 1584266400 s (Unix). */
    cr_assert_eq(e.first_ms, INT64_C(1584266400000));
    cr_assert_eq(e.last_ms, INT64_C(1584266400000) + 3 * 3600000);
    unlink(path);
}

Test(spot, log_censoring_rule)
{
    /* v100 8 GPUs: i-1 deleted without a loss at 23:30 -> censored at its
     * deletion after 1.5 h; i-2 never lost nor deleted -> censored at the
     * log's last line (another group's), 2020-02-28 22:00 to 2020-03-01 02:00
     * = 28 h across the leap day. k = 0 in T = 29.5 h: MLE 0, lower 0, upper
     * chi2_inv(0.975, 2) / 2T = -ln(0.025) / 29.5 = 0.125046761156.
     * k80 1 GPU: i-3 is never seen running and found not running after 26 h
     * (leap day again; the exposure at its last poll is 0); the later
     * "running" and second "not running" lines change nothing. One failure
     * in two attempts: Clopper-Pearson beta_inv(0.025; 1, 2) = 1 - sqrt(0.975)
     * and beta_inv(0.975; 2, 1) = sqrt(0.975). Timestamps without a fraction
     * are accepted. */
    const char *text = "[2020-02-28T22:00:00Z] Created instance i-1 with 8 GPU(s) of type v100 in "
                       "zone z1\n"
                       "[2020-02-28T22:00:00.000Z] Created instance i-2 with 8 GPU(s) of type v100 "
                       "in zone z1\n"
                       "[2020-02-28T23:00:00Z] Created instance i-3 with 1 GPU(s) of type k80 in "
                       "zone z2\n"
                       "[2020-02-28T23:30:00Z] Successfully deleted instance i-1\n"
                       "[2020-03-01T01:00:00Z] Instance i-3 not running in zone z2\n"
                       "[2020-03-01T01:10:00Z] Instance i-3 running in zone z2\n"
                       "[2020-03-01T01:20:00Z] Instance i-3 not running in zone z2\n"
                       "[2020-03-01T02:00:00Z] Instance with 1 GPU(s) of type k80 creation "
                       "failed\n";
    char path[32];
    struct spot_log slog;
    struct spot_log_estimate e;
    struct os_error err = {{0}};
    write_log(path, text);
    cr_assert_eq(spot_log_read(&slog, path, &err), 0, "%s", err.msg);
    cr_assert_eq(slog.ninst, 3);
    cr_assert_eq(slog.nfail, 1);

    cr_assert_eq(spot_log_estimate_group(&slog, "v100", 8, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.launched, 2);
    cr_assert_eq(e.lost, 0);
    cr_assert_float_eq(e.instance_hours, 29.5, 1e-12);
    cr_assert_float_eq(e.instance_hours_min, 29.5, 1e-12);
    cr_assert_float_eq(e.hazard_per_hour, 0, 0);
    cr_assert_float_eq(e.hazard_lo, 0, 0);
    cr_assert_float_eq(e.hazard_hi, 0.125046761156, 1e-11);
    cr_assert_eq(e.launch_failed, 0);
    cr_assert_float_eq(e.launch_fail_lo, 0, 0);
    cr_assert_float_eq(e.launch_fail_hi, 1 - pow(0.025, 0.5), 1e-9); /* x = 0, n = 2 */

    cr_assert_eq(spot_log_estimate_group(&slog, "k80", 0, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.lost, 1);
    cr_assert_float_eq(e.instance_hours, 26.0, 1e-12);
    cr_assert_float_eq(e.instance_hours_min, 0.0, 1e-12);
    cr_assert_float_eq(e.launch_fail_prob, 0.5, 1e-15);
    cr_assert_float_eq(e.launch_fail_lo, 0.012579117093, 1e-9);
    cr_assert_float_eq(e.launch_fail_hi, 0.987420882907, 1e-9);

    /* Every type and size pooled. */
    cr_assert_eq(spot_log_estimate_group(&slog, NULL, 0, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.launched, 3);
    cr_assert_eq(e.lost, 1);
    cr_assert_float_eq(e.instance_hours, 55.5, 1e-12);

    struct spot_log_group g[4];
    cr_assert_eq(spot_log_groups(&slog, g, 4), 2);
    cr_assert_str_eq(g[0].gpu_type, "k80");
    cr_assert_eq(g[0].gpus, 1);
    cr_assert_str_eq(g[1].gpu_type, "v100");
    cr_assert_eq(g[1].gpus, 8);

    /* No such instances: one line that lists the groups. */
    cr_assert_eq(spot_log_estimate_group(&slog, "a100", 0, &e, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "no instance of type a100") &&
                  strstr(err.msg, "k80 (1 GPUs), v100 (8 GPUs)"),
              "%s", err.msg);
    cr_assert_eq(spot_log_estimate_group(&slog, "k80", 8, &e, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "type k80 with 8 GPU(s)") != NULL, "%s", err.msg);
    spot_log_destroy(&slog);
    spot_log_destroy(&slog); /* idempotent */
    unlink(path);
}

Test(spot, log_interval_helpers_match_closed_forms)
{
    /* k = 0: [0, -ln(a/2) / T]; k = 1: lower -ln(1 - a/2) / T (chi2, 2 df). */
    double lo, hi;
    spot_poisson_rate_ci(0, 10.0, 0.95, &lo, &hi);
    cr_assert_float_eq(lo, 0, 0);
    cr_assert_float_eq(hi, -log(0.025) / 10.0, 1e-12);
    spot_poisson_rate_ci(1, 10.0, 0.90, &lo, &hi);
    cr_assert_float_eq(lo, -log(0.95) / 10.0, 1e-12);
    /* x = n: [(a/2)^(1/n), 1]; x = 0: [0, 1 - (a/2)^(1/n)]. */
    spot_binomial_ci(5, 5, 0.95, &lo, &hi);
    cr_assert_float_eq(lo, pow(0.025, 1.0 / 5), 1e-9);
    cr_assert_float_eq(hi, 1, 0);
    spot_binomial_ci(0, 5, 0.95, &lo, &hi);
    cr_assert_float_eq(lo, 0, 0);
    cr_assert_float_eq(hi, 1 - pow(0.025, 1.0 / 5), 1e-9);
}

Test(spot, log_malformed_line_names_file_and_line)
{
    const char *ok = "[2020-03-15T10:07:33.000Z] Created instance i-1 with 1 GPU(s) of type k80 in "
                     "zone us-east-1b\n";
    char text[1024];
    snprintf(text, sizeof text, "%s\n%s", ok,
             "[2020-03-15T10:17:33.000Z] Instance i-1 exploded in zone us-east-1b\n");
    expect_log_error(text, OS_EPARSE, "%s:3: unknown event 'Instance i-1 exploded");
    /* A bad date, a missing bracket, a zero or signed GPU count, a trailing
     * word: each is an error naming the line. */
    expect_log_error("[2020-13-15T10:07:33.000Z] Instance with 1 GPU(s) of type k80 creation "
                     "failed\n",
                     OS_EPARSE, "%s:1: expected a timestamp");
    expect_log_error("[2021-02-29T10:07:33.000Z] Instance with 1 GPU(s) of type k80 creation "
                     "failed\n",
                     OS_EPARSE, "%s:1: expected a timestamp");
    expect_log_error("2020-03-15T10:07:33.000Z Instance with 1 GPU(s) of type k80 creation "
                     "failed\n",
                     OS_EPARSE, "%s:1: expected a timestamp");
    expect_log_error("[2020-03-15T10:07:33.000Z] Instance with 0 GPU(s) of type k80 creation "
                     "failed\n",
                     OS_EPARSE, "%s:1: unknown event");
    expect_log_error("[2020-03-15T10:07:33.000Z] Instance with -1 GPU(s) of type k80 creation "
                     "failed\n",
                     OS_EPARSE, "%s:1: unknown event");
    expect_log_error("[2020-03-15T10:07:33.000Z] Successfully deleted instance i-1 now\n",
                     OS_EPARSE, "%s:1: unknown event");
    /* Inconsistent events. */
    snprintf(text, sizeof text, "%s%s", ok,
             "[2020-03-15T10:17:33.000Z] Instance i-2 running in zone us-east-1b\n");
    expect_log_error(text, OS_EPARSE, "%s:2: instance i-2 has no 'Created instance' line");
    snprintf(text, sizeof text, "%s%s", ok,
             "[2020-03-15T10:17:33.000Z] Instance i-1 running in zone us-east-1c\n");
    expect_log_error(text, OS_EPARSE, "%s:2: instance i-1 is in zone us-east-1b (line 1)");
    snprintf(text, sizeof text, "%s%s", ok, ok);
    expect_log_error(text, OS_EPARSE, "%s:2: instance i-1 created again (first at line 1)");
    snprintf(text, sizeof text, "%s%s", ok,
             "[2020-03-15T10:07:32.000Z] Instance i-1 running in zone us-east-1b\n");
    expect_log_error(text, OS_EPARSE, "%s:2: timestamp [2020-03-15T10:07:32.000Z] is earlier");
    /* CRLF line ends are accepted. */
    char path[32];
    struct spot_log_estimate e;
    struct os_error err = {{0}};
    write_log(path, "[2020-03-15T10:00:00.000Z] Created instance i-1 with 1 GPU(s) of type k80 in "
                    "zone z\r\n[2020-03-15T11:00:00.000Z] Instance i-1 running in zone z\r\n");
    cr_assert_eq(spot_log_estimate(path, "k80", 1, &e, &err), 0, "%s", err.msg);
    cr_assert_float_eq(e.instance_hours, 1.0, 1e-12);
    unlink(path);
}

Test(spot, log_missing_file_and_bad_filter)
{
    struct spot_log_estimate e;
    struct os_error err = {{0}};
    cr_assert_eq(spot_log_estimate("/nonexistent/avail.log", "k80", 1, &e, &err), OS_ENOENT);
    cr_assert_str_eq(err.msg, "/nonexistent/avail.log: no such file");
    cr_assert_eq(spot_log_estimate(LOG_FILE, "k80", -1, &e, &err), OS_EINVAL);
    cr_assert_eq(spot_log_estimate(LOG_FILE, "k80", 16, &e, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "k80 (1, 8 GPUs), v100 (1, 8 GPUs)") != NULL, "%s", err.msg);
}

/* The 2020 log (figures computed independently, see spot.h): instance-hours
 * to 0.05 h, hazards to 5e-4 per hour. */
Test(spot, log_2020_figures)
{
    struct spot_log slog;
    struct spot_log_estimate e;
    struct os_error err = {{0}};
    cr_assert_eq(spot_log_read(&slog, LOG_FILE, &err), 0, "%s", err.msg);
    cr_assert_eq(slog.nlines, 2464);
    cr_assert_eq(slog.ninst, 39);
    cr_assert_eq(slog.nfail, 290);

    cr_assert_eq(spot_log_estimate_group(&slog, "k80", 1, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.launched, 25);
    cr_assert_eq(e.lost, 23);
    cr_assert_eq(e.launch_failed, 50);
    cr_assert_float_eq(e.instance_hours, 97.3, 0.05);
    cr_assert_float_eq(e.hazard_per_hour, 0.236, 5e-4);
    cr_assert(e.hazard_lo < e.hazard_per_hour && e.hazard_per_hour < e.hazard_hi);
    cr_assert_float_eq(e.launch_fail_prob, 50.0 / 75, 1e-12);
    cr_assert(e.instance_hours_min < e.instance_hours);
    cr_assert(e.instance_hours_min > e.instance_hours - 23 * 11.0 / 60);

    cr_assert_eq(spot_log_estimate_group(&slog, "k80", 8, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.launched, 10);
    cr_assert_eq(e.lost, 9);
    cr_assert_eq(e.launch_failed, 240);
    cr_assert_float_eq(e.instance_hours, 63.5, 0.05);
    cr_assert_float_eq(e.hazard_per_hour, 0.142, 5e-4);
    cr_assert_float_eq(e.launch_fail_prob, 240.0 / 250, 1e-12);

    for (int gpus = 1; gpus <= 8; gpus += 7) {
        cr_assert_eq(spot_log_estimate_group(&slog, "v100", gpus, &e, &err), 0, "%s", err.msg);
        cr_assert_eq(e.launched, 2);
        cr_assert_eq(e.lost, 0);
        cr_assert_eq(e.launch_failed, 0);
        cr_assert_float_eq(e.instance_hours, 106.9, 0.05);
        cr_assert_float_eq(e.hazard_per_hour, 0, 0);
        cr_assert_float_eq(e.hazard_hi, -log(0.025) / e.instance_hours, 1e-12);
    }

    /* All K80 pooled: 32 losses in 160.8 h, the 0.20/h of the calibration. */
    cr_assert_eq(spot_log_estimate_group(&slog, "k80", 0, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.lost, 32);
    cr_assert_eq(e.launch_failed, 290);
    cr_assert_float_eq(e.instance_hours, 160.8, 0.05);
    cr_assert_float_eq(e.hazard_per_hour, SPOT_LOG2020_K80_RATE_PER_HOUR, 0.005);
    spot_log_destroy(&slog);
}

Test(spot, log_report_prints_one_line_per_group)
{
    char *buf = NULL;
    size_t len = 0;
    struct os_error err = {{0}};
    FILE *m = open_memstream(&buf, &len);
    cr_assert(m != NULL);
    cr_assert_eq(spot_log_report(LOG_FILE, "k80", 0, m, &err), 0, "%s", err.msg);
    fclose(m);
    cr_assert(strstr(buf, "2020-03-15T10:07:33Z to 2020-03-17T15:36:55Z (53.5 h)") != NULL, "%s",
              buf);
    cr_assert(strstr(buf, "\nk80       1       25   23       97.3   0.2364 [0.1498, 0.3547]") !=
                  NULL,
              "%s", buf);
    cr_assert(strstr(buf, "\nk80       8       10    9       63.5   0.1417 ") != NULL, "%s", buf);
    cr_assert(strstr(buf, "v100") == NULL, "%s", buf);
    free(buf);

    /* An error prints nothing. */
    buf = NULL;
    m = open_memstream(&buf, &len);
    cr_assert_eq(spot_log_report(LOG_FILE, "a100", 0, m, &err), OS_EINVAL);
    fclose(m);
    cr_assert_eq(len, 0);
    free(buf);
}
