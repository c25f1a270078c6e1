/* Tests of sim/metrics: hand-computed time-weighted gauges, histogram quantiles
 * against exact sorted quantiles (GSL), merge, SLO fractions, the CDF writer and
 * the CSV time-series sampler. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/metrics.h"

Test(metrics, gauge_hand_computed_mean)
{
    struct metrics_gauge g;
    metrics_gauge_init(&g, 0, 0.0);
    metrics_gauge_set(&g, 10, 2.0);  /* 0 over [0,10) */
    metrics_gauge_set(&g, 30, 5.0);  /* 2 over [10,30) */
    metrics_gauge_set(&g, 30, 1.0);  /* the 5 is a zero-length blip */
    metrics_gauge_add(&g, 60, -1.0); /* 1 over [30,60) */
    /* 0 over [60,100) */
    cr_assert_float_eq(metrics_gauge_integral(&g, 100), 70.0, 1e-12);
    cr_assert_float_eq(metrics_gauge_mean(&g, 100), 0.7, 1e-12);
    cr_assert_float_eq(metrics_gauge_mean(&g, 60), 70.0 / 60.0, 1e-12);
    cr_assert_float_eq(metrics_gauge_max(&g, 100), 2.0, 0);
    cr_assert_float_eq(metrics_gauge_min(&g, 100), 0.0, 0);
    cr_assert_float_eq(metrics_gauge_level(&g), 0.0, 0);

    /* A window restarted at 100 sees only what follows. */
    metrics_gauge_restart(&g, 100);
    metrics_gauge_set(&g, 100, 3.0);
    metrics_gauge_set(&g, 104, 7.0);
    cr_assert_float_eq(metrics_gauge_mean(&g, 108), (3.0 * 4 + 7.0 * 4) / 8.0, 1e-12);
    cr_assert_float_eq(metrics_gauge_max(&g, 108), 7.0, 0);
    cr_assert_float_eq(metrics_gauge_max(&g, 104), 3.0, 0); /* 7 not held yet */
    cr_assert_float_eq(metrics_gauge_min(&g, 108), 3.0, 0);
}

Test(metrics, gauge_nonzero_start_and_empty_window)
{
    struct metrics_gauge g;
    metrics_gauge_init(&g, 1000, 4.0);
    cr_assert_float_eq(metrics_gauge_mean(&g, 1000), 4.0, 0);
    cr_assert_float_eq(metrics_gauge_max(&g, 1000), 4.0, 0);
    metrics_gauge_set(&g, 1500, 2.0);
    /* 4 over [1000,1500), 2 over [1500,2000). */
    cr_assert_float_eq(metrics_gauge_mean(&g, 2000), 3.0, 1e-12);
}

/* A long run of integer levels: the compensated integral equals the exact
 * integer sum. */
Test(metrics, gauge_integral_exact_on_long_runs)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    struct metrics_gauge g;
    metrics_gauge_init(&g, 0, 0.0);
    int64_t t = 0, level = 0;
    __int128 exact = 0; /* test-only; the library stays portable */
    for (int i = 0; i < 200000; i++) {
        int64_t dt = (int64_t)gsl_rng_uniform_int(r, 5000000);
        int64_t nl = (int64_t)gsl_rng_uniform_int(r, 1000);
        exact += (__int128)level * dt;
        t += dt;
        level = nl;
        metrics_gauge_set(&g, t, (double)level);
    }
    double got = metrics_gauge_integral(&g, t);
    cr_assert(fabs(got - (double)exact) <= 1e-14 * (double)exact, "got %.17g exact %.17g", got,
              (double)exact);
    gsl_rng_free(r);
}

/* Nearest rank, computed exactly as metrics_hist_quantile does. */
static double exact_quantile(const double *sorted, size_t n, double q)
{
    if (q <= 0.0)
        return sorted[0];
    double r = ceil(q * (double)n);
    size_t rank = r < 1.0 ? 1 : (size_t)r;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static void check_quantiles(int sig_bits, int dist)
{
    enum { N = 100000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1234 + (unsigned long)dist);
    struct metrics_hist h;
    struct os_error err;
    cr_assert_eq(metrics_hist_init(&h, sig_bits, INT64_MAX, &err), OS_OK, "%s", err.msg);
    double *v = malloc(N * sizeof *v);
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        double x;
        if (dist == 0)
            x = gsl_ran_lognormal(r, log(200000.0), 1.5); /* latencies around 0.2 s, in us */
        else if (dist == 1)
            x = gsl_ran_exponential(r, 1e6);
        else
            x = gsl_rng_uniform(r) * 250.0; /* small values: the exact linear range */
        int64_t iv = (int64_t)llround(x);
        v[i] = (double)iv;
        sum += v[i];
        metrics_hist_record(&h, iv);
    }
    gsl_sort(v, 1, N);
    cr_assert_eq(metrics_hist_count(&h), N);
    cr_assert_float_eq(metrics_hist_mean(&h), sum / N, 1e-9 * sum / N);
    cr_assert_eq((double)h.min, v[0]);
    cr_assert_eq((double)h.max, v[N - 1]);
    double bound = metrics_hist_rel_error(&h);
    cr_assert_leq(bound, 0.01);
    const double qs[] = {0.0, 0.001, 0.01, 0.1,   0.25,  0.5, 0.75,
                         0.9, 0.95,  0.99, 0.995, 0.999, 1.0};
    double worst = 0;
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double ex = exact_quantile(v, N, qs[k]);
        double got = metrics_hist_quantile(&h, qs[k]);
        double rel = ex > 0 ? fabs(got - ex) / ex : fabs(got - ex);
        if (rel > worst)
            worst = rel;
        cr_assert_leq(rel, bound, "dist %d s=%d q=%g: got %.6f exact %.6f rel %.3g > %.3g", dist,
                      sig_bits, qs[k], got, ex, rel, bound);
        /* Against GSL's interpolated quantile, which differs from the nearest
         * rank by at most the gap between neighbouring order statistics. */
        double gq = gsl_stats_quantile_from_sorted_data(v, 1, N, qs[k]);
        size_t i = (size_t)(qs[k] * (N - 1));
        double gap = v[i + 1 < N ? i + 1 : N - 1] - v[i > 0 ? i - 1 : 0];
        cr_assert_leq(fabs(got - gq), bound * gq + gap, "gsl q=%g got %g gsl %g", qs[k], got, gq);
    }
    if (dist == 2)
        cr_assert_eq(worst, 0.0, "values below 2^(s+1) are exact");
    free(v);
    metrics_hist_destroy(&h);
    gsl_rng_free(r);
}

Test(metrics, hist_quantiles_within_bound_default)
{
    check_quantiles(0, 0);
    check_quantiles(0, 1);
    check_quantiles(0, 2);
}

Test(metrics, hist_quantiles_within_bound_coarse)
{
    check_quantiles(6, 0);
    check_quantiles(6, 1);
    check_quantiles(10, 0);
}

Test(metrics, hist_merge_equals_combined)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    struct metrics_hist a, b, all;
    cr_assert_eq(metrics_hist_init(&a, 0, INT64_C(1) << 40, NULL), OS_OK);
    cr_assert_eq(metrics_hist_init(&b, 0, INT64_C(1) << 40, NULL), OS_OK);
    cr_assert_eq(metrics_hist_init(&all, 0, INT64_C(1) << 40, NULL), OS_OK);
    for (int i = 0; i < 50000; i++) {
        int64_t x = (int64_t)gsl_ran_lognormal(r, 12.0, 2.0);
        metrics_hist_record(i % 3 ? &a : &b, x);
        metrics_hist_record(&all, x);
    }
    metrics_hist_record_n(&b, 5, 1000);
    metrics_hist_record_n(&all, 5, 1000);
    cr_assert_eq(metrics_hist_merge(&a, &b, NULL), OS_OK);
    cr_assert_eq(a.count, all.count);
    cr_assert_eq(a.min, all.min);
    cr_assert_eq(a.max, all.max);
    cr_assert_eq(a.sum_lo, all.sum_lo);
    cr_assert_eq(a.sum_hi, all.sum_hi);
    cr_assert_eq(memcmp(a.counts, all.counts, a.nbuckets * sizeof *a.counts), 0);
    for (double q = 0.0; q <= 1.0; q += 0.01)
        cr_assert_eq(metrics_hist_quantile(&a, q), metrics_hist_quantile(&all, q));

    /* Different layouts do not merge. */
    struct metrics_hist c;
    struct os_error err;
    cr_assert_eq(metrics_hist_init(&c, 5, INT64_C(1) << 40, NULL), OS_OK);
    cr_assert_eq(metrics_hist_merge(&a, &c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "different layouts"), "%s", err.msg);
    metrics_hist_destroy(&a);
    metrics_hist_destroy(&b);
    metrics_hist_destroy(&all);
    metrics_hist_destroy(&c);
    gsl_rng_free(r);
}

Test(metrics, hist_exact_sum_does_not_overflow)
{
    struct metrics_hist h;
    cr_assert_eq(metrics_hist_init(&h, 0, INT64_MAX, NULL), OS_OK);
    metrics_hist_record_n(&h, INT64_MAX, 4);
    cr_assert_eq(h.sum_hi, 1);
    cr_assert_eq(h.sum_lo, UINT64_MAX - 3);
    cr_assert_float_eq(metrics_hist_mean(&h), (double)INT64_MAX, 1);
    metrics_hist_destroy(&h);
}

Test(metrics, hist_fraction_le_and_clamping)
{
    struct metrics_hist h;
    struct os_error err;
    cr_assert_eq(metrics_hist_init(&h, 7, 1000000, &err), OS_OK);
    cr_assert(isnan(metrics_hist_quantile(&h, 0.5)));
    cr_assert(isnan(metrics_hist_fraction_le(&h, 10)));
    for (int64_t v = 1; v <= 100; v++)
        metrics_hist_record(&h, v);
    /* Below 2^(s+1) every integer is its own bucket: exact. */
    cr_assert_float_eq(metrics_hist_fraction_le(&h, 0), 0.0, 0);
    cr_assert_float_eq(metrics_hist_fraction_le(&h, 37), 0.37, 1e-15);
    cr_assert_float_eq(metrics_hist_fraction_le(&h, 100), 1.0, 0);
    cr_assert_float_eq(metrics_hist_quantile(&h, 0.5), 50.0, 0);
    cr_assert_float_eq(metrics_hist_quantile(&h, 0.99), 99.0, 0);

    /* Large values: the fraction is within one bucket's share. */
    metrics_hist_reset(&h);
    for (int64_t v = 0; v < 100000; v++)
        metrics_hist_record(&h, 1000 + v * 7);
    for (int64_t thr = 5000; thr < 700000; thr += 33333) {
        double exact = 0;
        if (thr >= 1000)
            exact = (double)((thr - 1000) / 7 + 1) / 100000.0;
        if (exact > 1)
            exact = 1;
        cr_assert_leq(fabs(metrics_hist_fraction_le(&h, thr) - exact), 0.005, "thr %ld", (long)thr);
    }
    /* Values outside [0, max_value] are clamped and counted. */
    metrics_hist_reset(&h);
    metrics_hist_record(&h, -5);
    metrics_hist_record(&h, 5000000);
    cr_assert_eq(h.clamped, 2);
    cr_assert_eq(h.min, 0);
    cr_assert_eq(h.max, 1000000);
    metrics_hist_destroy(&h);

    cr_assert_eq(metrics_hist_init(&h, 20, 100, &err), OS_EINVAL);
    cr_assert_eq(metrics_hist_init(&h, 7, 0, &err), OS_EINVAL);
}

Test(metrics, hist_cdf_csv)
{
    struct metrics_hist h;
    cr_assert_eq(metrics_hist_init(&h, 3, 1 << 20, NULL), OS_OK);
    metrics_hist_record(&h, 1000);
    metrics_hist_record(&h, 3000);
    metrics_hist_record(&h, 3000);
    metrics_hist_record(&h, 9000);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(metrics_hist_write_cdf(&h, f, "latency_ms", 1000.0, NULL), OS_OK);
    fclose(f);
    /* s = 3: 1000 is in [960,1023], 3000 in [2816,3071], 9000 in [8192,9215] -> max 9000. */
    cr_assert_str_eq(buf, "latency_ms,cdf\n1.023,0.25\n3.071,0.75\n9,1\n");
    free(buf);
    metrics_hist_destroy(&h);
}

struct ramp {
    struct metrics_gauge g;
    struct metrics_counter c;
};

static void bump(struct engine *e, void *ctx, uint64_t arg)
{
    struct ramp *r = ctx;
    metrics_gauge_set(&r->g, engine_now(e), (double)arg);
    metrics_counter_add(&r->c, 1);
}

static double half(const void *ctx, int64_t now)
{
    (void)ctx;
    return now == 0 ? NAN : 0.5;
}

Test(metrics, sampler_writes_rows_every_interval)
{
    struct engine e;
    cr_assert_eq(engine_init(&e, 0, NULL), OS_OK);
    struct ramp r;
    metrics_gauge_init(&r.g, 0, 0);
    metrics_counter_init(&r.c);
    /* The gauge changes at 5, 15, 25 to 1, 2, 3. */
    for (uint64_t i = 1; i <= 3; i++)
        cr_assert_eq(engine_schedule(&e, (int64_t)(10 * i - 5), bump, &r, i, NULL, NULL), OS_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct metrics_sampler s;
    struct os_error err;
    cr_assert_eq(metrics_sampler_init(&s, &e, 10, f, &err), OS_OK);
    cr_assert_eq(metrics_sampler_add(&s, "level", metrics_read_gauge_level, &r.g, &err), OS_OK);
    cr_assert_eq(metrics_sampler_add(&s, "mean", metrics_read_gauge_mean, &r.g, &err), OS_OK);
    cr_assert_eq(metrics_sampler_add(&s, "events", metrics_read_counter, &r.c, &err), OS_OK);
    cr_assert_eq(metrics_sampler_add(&s, "half", half, NULL, &err), OS_OK);
    cr_assert_eq(metrics_sampler_add(&s, "Bad-Name", half, NULL, &err), OS_EINVAL);
    cr_assert_eq(metrics_sampler_add(&s, "level", half, NULL, &err), OS_EINVAL);
    cr_assert_eq(metrics_sampler_start(&s, 0, 30, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(metrics_sampler_add(&s, "late", half, NULL, &err), OS_EINVAL);
    cr_assert_eq(engine_run(&e, ENGINE_TIME_MAX), ENGINE_EMPTY);
    cr_assert_eq(metrics_sampler_status(&s, &err), OS_OK);
    cr_assert_eq(s.rows, 4);
    fflush(f);
    cr_assert_str_eq(buf, "time_s,level,mean,events,half\n"
                          "0.000000,0,0,0,\n"
                          "0.000010,1,0.5,1,0.5\n"
                          "0.000020,2,1,2,0.5\n"
                          "0.000030,3,1.5,3,0.5\n");
    /* A final row on demand. */
    cr_assert_eq(metrics_sampler_sample(&s, &err), OS_OK);
    fflush(f);
    cr_assert(strstr(buf, "0.000030,3,1.5,3,0.5\n0.000030,3,1.5,3,0.5\n") != NULL, "%s", buf);
    metrics_sampler_destroy(&s);
    fclose(f);
    free(buf);
    engine_destroy(&e);
}

Test(metrics, sampler_stop_cancels)
{
    struct engine e;
    cr_assert_eq(engine_init(&e, 0, NULL), OS_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct metrics_sampler s;
    cr_assert_eq(metrics_sampler_init(&s, &e, 1000000, f, NULL), OS_OK);
    cr_assert_eq(metrics_sampler_add(&s, "half", half, NULL, NULL), OS_OK);
    cr_assert_eq(metrics_sampler_start(&s, 0, ENGINE_TIME_MAX, NULL), OS_OK);
    cr_assert_eq(engine_run(&e, 2500000), ENGINE_TIME_LIMIT);
    cr_assert_eq(s.rows, 3);
    metrics_sampler_stop(&s);
    cr_assert_eq(engine_run(&e, ENGINE_TIME_MAX), ENGINE_EMPTY);
    cr_assert_eq(s.rows, 3);
    metrics_sampler_destroy(&s);
    fclose(f);
    free(buf);
    engine_destroy(&e);

    struct os_error err;
    cr_assert_eq(metrics_sampler_init(&s, &e, 0, stdout, &err), OS_EINVAL);
}
