/* Tests of models/workload/arrivals: replay count and span (with scaling and
 * looping), the thinned NHPP against the integral of its rate, token tables,
 * the one-day Azure profile, determinism and input errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/workload/arrivals.h"

#define CODE      "scenarios/traces/azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv"
#define CONV      "scenarios/traces/azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv"
#define CODE_ROWS 8819
#define CODE_SPAN INT64_C(3435948056) /* 19:14:19.9280160 - 18:17:03.9799600 */
#define HOUR      (INT64_C(3600) * 1000000)
#define DAY       (24 * HOUR)

struct run {
    uint64_t n;
    int64_t first, last;
    struct arrival a0;
    bool monotone;
};

static struct run drain(struct arrivals *a)
{
    struct run r = {.monotone = true};
    struct arrival x;
    struct os_error err;
    int rc;
    while ((rc = arrivals_next(a, &x, &err)) == 1) {
        if (r.n == 0) {
            r.first = x.time_us;
            r.a0 = x;
        } else if (x.time_us < r.last) {
            r.monotone = false;
        }
        r.last = x.time_us;
        r.n++;
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_eq(arrivals_next(a, &x, &err), 0, "ended stays ended");
    return r;
}

Test(arrivals, replay_reproduces_count_and_span)
{
    struct arrivals a;
    struct os_error err;
    struct arrivals_replay_cfg cfg = {.path = CODE, .offset_us = 5000000};
    cr_assert_eq(arrivals_init_replay(&a, &cfg, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(arrivals_trace_rows(&a), CODE_ROWS);
    cr_assert_eq(arrivals_trace_span_us(&a), CODE_SPAN);
    struct run r = drain(&a);
    cr_assert_eq(r.n, CODE_ROWS);
    cr_assert_eq(r.first, 5000000);
    cr_assert_eq(r.last, 5000000 + CODE_SPAN);
    cr_assert_eq(r.a0.prompt_tokens, 4808);
    cr_assert_eq(r.a0.output_tokens, 10);
    cr_assert(r.monotone);
    arrivals_destroy(&a);
    arrivals_destroy(&a); /* idempotent */
}

Test(arrivals, replay_time_scale_stretches_and_compresses)
{
    const double scales[] = {2.5, 0.1, 1.0 / 3.0};
    for (size_t k = 0; k < 3; k++) {
        struct arrivals a;
        struct os_error err;
        struct arrivals_replay_cfg cfg = {.path = CODE, .time_scale = scales[k]};
        cr_assert_eq(arrivals_init_replay(&a, &cfg, &err), OS_OK, "%s", err.msg);
        struct run r = drain(&a);
        cr_assert_eq(r.n, CODE_ROWS);
        cr_assert_eq(r.first, 0);
        cr_assert_eq(r.last, llround((double)CODE_SPAN * scales[k]), "scale %g", scales[k]);
        cr_assert(r.monotone);
        arrivals_destroy(&a);
    }
}

Test(arrivals, replay_end_cuts_and_loop_repeats)
{
    struct arrivals a;
    struct os_error err;
    /* No loop, end in the middle: fewer rows. */
    struct arrivals_replay_cfg cfg = {.path = CODE, .end_us = CODE_SPAN / 2};
    cr_assert_eq(arrivals_init_replay(&a, &cfg, &err), OS_OK, "%s", err.msg);
    struct run r = drain(&a);
    cr_assert(r.n > 1000 && r.n < CODE_ROWS, "%lu", (unsigned long)r.n);
    cr_assert_lt(r.last, CODE_SPAN / 2);
    arrivals_destroy(&a);

    /* Loop over exactly three periods P = span + span / (n - 1), scaled. */
    const double scale = 0.5;
    int64_t period = CODE_SPAN + CODE_SPAN / (CODE_ROWS - 1);
    cfg = (struct arrivals_replay_cfg){.path = CODE,
                                       .time_scale = scale,
                                       .offset_us = 7,
                                       .loop = true,
                                       .end_us = 7 + llround(3 * period * scale)};
    cr_assert_eq(arrivals_init_replay(&a, &cfg, &err), OS_OK, "%s", err.msg);
    r = drain(&a);
    cr_assert_eq(r.n, 3 * CODE_ROWS);
    cr_assert_eq(r.last, 7 + llround((2 * period + CODE_SPAN) * scale));
    cr_assert(r.monotone);
    arrivals_destroy(&a);
}

Test(arrivals, replay_rejects_unsorted_and_bad_input)
{
    char path[] = "/tmp/orchsim-arrivals-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
          "2023-11-16 18:17:03.9799600,10,2\r\n"
          "2023-11-16 18:17:05.0000000,10,2\r\n"
          "2023-11-16 18:17:04.0000000,10,2\r\n",
          f);
    fclose(f);
    struct arrivals a;
    struct os_error err;
    struct arrivals_replay_cfg cfg = {.path = path};
    cr_assert_eq(arrivals_init_replay(&a, &cfg, &err), OS_EPARSE);
    cr_assert(strstr(err.msg, ":4: TIMESTAMP earlier") != NULL, "%s", err.msg);
    arrivals_destroy(&a);
    unlink(path);

    cfg = (struct arrivals_replay_cfg){.path = CODE, .time_scale = -1};
    cr_assert_eq(arrivals_init_replay(&a, &cfg, &err), OS_EINVAL);
    cfg = (struct arrivals_replay_cfg){.path = "scenarios/traces/nope.csv"};
    cr_assert_eq(arrivals_init_replay(&a, &cfg, &err), OS_ENOENT);
    cfg = (struct arrivals_replay_cfg){.path = CODE, .diurnal = {.amplitude = 1.0}};
    cr_assert_eq(arrivals_init_replay(&a, &cfg, &err), OS_EINVAL);
}

Test(arrivals, rate_integral_matches_numeric)
{
    struct arrivals_rate r;
    cr_assert_eq(arrivals_rate_sine(&r, 4.0, 0.7, HOUR, 1234567, NULL), OS_OK);
    int64_t a = 100000, b = 5 * HOUR + 777;
    double sum = 0;
    int64_t step = 1000;
    for (int64_t t = a; t < b; t += step) {
        int64_t e = t + step < b ? t + step : b;
        sum += arrivals_rate_at(&r, t + (e - t) / 2) * (double)(e - t) / 1e6;
    }
    cr_assert_float_eq(arrivals_rate_integral(&r, a, b), sum, 1e-6 * sum);
    cr_assert_float_eq(arrivals_rate_max(&r), 6.8, 1e-12);

    int64_t starts[] = {0, 6 * HOUR, 18 * HOUR};
    double rates[] = {1.0, 5.0, 2.0};
    cr_assert_eq(arrivals_rate_piecewise(&r, 3, starts, rates, DAY, NULL), OS_OK);
    cr_assert_float_eq(arrivals_rate_at(&r, DAY + 7 * HOUR), 5.0, 0);
    cr_assert_float_eq(arrivals_rate_at(&r, -HOUR), 2.0, 0);
    /* One day = 6 h x 1 + 12 h x 5 + 6 h x 2 = 78 h of unit rate. */
    cr_assert_float_eq(arrivals_rate_integral(&r, 0, DAY), 78.0 * 3600, 1e-6);
    cr_assert_float_eq(arrivals_rate_integral(&r, 5 * HOUR, DAY + 7 * HOUR),
                       78.0 * 3600 - 5 * 3600 + 6 * 3600 + 3600 * 5, 1e-6);

    struct os_error err;
    int64_t bad[] = {0, 5, 5};
    cr_assert_eq(arrivals_rate_piecewise(&r, 3, bad, rates, DAY, &err), OS_EINVAL);
    double zeros[] = {0, 0, 0};
    cr_assert_eq(arrivals_rate_piecewise(&r, 3, starts, zeros, DAY, &err), OS_EINVAL);
    cr_assert_eq(arrivals_rate_sine(&r, 1.0, 1.5, DAY, 0, &err), OS_EINVAL);
}

/* Counts per window against the integral of lambda: each within 4 standard
 * deviations of a Poisson count (the windows are independent). */
static void check_windows(const struct arrivals_rate *rate, int64_t start, int64_t end,
                          int64_t window, uint64_t seed)
{
    struct arrivals_tokens tok;
    cr_assert_eq(arrivals_tokens_fixed(&tok, 100, 10, NULL), OS_OK);
    struct arrivals a;
    struct os_error err;
    struct arrivals_nhpp_cfg cfg = {
        .rate = *rate, .start_us = start, .end_us = end, .tokens = &tok, .seed = seed};
    cr_assert_eq(arrivals_init_nhpp(&a, &cfg, &err), OS_OK, "%s", err.msg);
    size_t nw = (size_t)((end - start + window - 1) / window);
    uint64_t *cnt = calloc(nw, sizeof *cnt);
    struct arrival x;
    int rc;
    int64_t last = start;
    uint64_t total = 0;
    while ((rc = arrivals_next(&a, &x, &err)) == 1) {
        cr_assert_geq(x.time_us, last);
        cr_assert_lt(x.time_us, end);
        cr_assert_eq(x.prompt_tokens, 100);
        last = x.time_us;
        cnt[(x.time_us - start) / window]++;
        total++;
    }
    cr_assert_eq(rc, 0);
    double chi2 = 0;
    for (size_t i = 0; i < nw; i++) {
        int64_t a0 = start + (int64_t)i * window;
        int64_t b0 = a0 + window < end ? a0 + window : end;
        double mu = arrivals_rate_integral(rate, a0, b0);
        if (mu == 0) {
            cr_assert_eq(cnt[i], 0, "window %zu has rate 0", i);
            continue;
        }
        double z = ((double)cnt[i] - mu) / sqrt(mu);
        chi2 += z * z;
        cr_assert_leq(fabs(z), 4.0, "window %zu: %lu arrivals, expected %.1f (z = %.2f)", i,
                      (unsigned long)cnt[i], mu, z);
    }
    /* The sum of squares over nw windows is about chi-square(nw). */
    cr_assert_leq(chi2, nw + 5 * sqrt(2.0 * nw), "chi2 %.1f over %zu windows", chi2, nw);
    double mu = arrivals_rate_integral(rate, start, end);
    cr_assert_leq(fabs((double)total - mu), 4 * sqrt(mu));
    free(cnt);
    arrivals_destroy(&a);
    arrivals_tokens_destroy(&tok);
}

Test(arrivals, nhpp_sine_counts_match_integral)
{
    struct arrivals_rate r;
    /* A strong diurnal swing: 0.6 .. 5.4 requests per second. */
    cr_assert_eq(arrivals_rate_sine(&r, 3.0, 0.8, DAY, 8 * HOUR, NULL), OS_OK);
    check_windows(&r, 0, DAY, HOUR, 1);
    check_windows(&r, 3 * HOUR + 17, 9 * HOUR, 600 * 1000000LL, 2);
}

Test(arrivals, nhpp_piecewise_counts_match_integral)
{
    struct arrivals_rate r;
    int64_t starts[] = {0, 2 * HOUR, 3 * HOUR, 5 * HOUR};
    double rates[] = {0.5, 8.0, 0.0, 3.0};
    cr_assert_eq(arrivals_rate_piecewise(&r, 4, starts, rates, 6 * HOUR, NULL), OS_OK);
    check_windows(&r, 0, 12 * HOUR, HOUR / 2, 3);
}

static uint64_t hash_stream(struct arrivals *a, bool with_tokens)
{
    uint64_t h = 1469598103934665603ULL;
    struct arrival x;
    while (arrivals_next(a, &x, NULL) == 1) {
        h = (h ^ (uint64_t)x.time_us) * 1099511628211ULL;
        if (with_tokens)
            h = (h ^ (uint64_t)x.prompt_tokens << 32 ^ (uint64_t)x.output_tokens) *
                1099511628211ULL;
    }
    return h;
}

Test(arrivals, nhpp_is_deterministic_and_streams_are_independent)
{
    struct arrivals_tokens emp, fixed;
    struct os_error err;
    cr_assert_eq(arrivals_tokens_from_trace(&emp, CODE, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(emp.n, CODE_ROWS);
    cr_assert_eq(arrivals_tokens_fixed(&fixed, 1, 1, NULL), OS_OK);
    struct arrivals_rate r;
    cr_assert_eq(arrivals_rate_sine(&r, 20.0, 0.5, HOUR, 0, NULL), OS_OK);
    struct arrivals_nhpp_cfg cfg = {
        .rate = r, .end_us = HOUR / 4, .tokens = &emp, .seed = 42, .stream = 0};
    uint64_t h[5];
    struct arrivals a;
    for (int k = 0; k < 5; k++) {
        struct arrivals_nhpp_cfg c = cfg;
        if (k == 2)
            c.stream = 1;
        if (k == 3)
            c.seed = 43;
        if (k == 4)
            c.tokens = &fixed;
        cr_assert_eq(arrivals_init_nhpp(&a, &c, &err), OS_OK, "%s", err.msg);
        h[k] = hash_stream(&a, false);
        arrivals_destroy(&a);
    }
    cr_assert_eq(h[0], h[1], "same seed, same times");
    cr_assert_neq(h[0], h[2], "another stream");
    cr_assert_neq(h[0], h[3], "another seed");
    cr_assert_eq(h[0], h[4], "token distribution does not move the times (CRN)");

    /* Tokens drawn from the empirical table keep its mean. */
    cfg.end_us = 2 * HOUR;
    cr_assert_eq(arrivals_init_nhpp(&a, &cfg, &err), OS_OK);
    double sum_p = 0, n = 0, trace_p = 0;
    struct arrival x;
    while (arrivals_next(&a, &x, NULL) == 1) {
        sum_p += x.prompt_tokens;
        n++;
    }
    for (size_t i = 0; i < emp.n; i++)
        trace_p += emp.prompt[i];
    trace_p /= (double)emp.n;
    cr_assert_leq(fabs(sum_p / n - trace_p) / trace_p, 0.03, "%g vs %g", sum_p / n, trace_p);
    arrivals_destroy(&a);
    arrivals_tokens_destroy(&emp);
    arrivals_tokens_destroy(&fixed);
}

Test(arrivals, lognormal_tokens_have_the_median)
{
    struct arrivals_tokens t;
    cr_assert_eq(arrivals_tokens_lognormal(&t, 1000, 0.8, 100, 1.2, NULL), OS_OK);
    struct rng s;
    cr_assert_eq(rng_init(&s, 1, "test", 0, NULL), OS_OK);
    int below_p = 0, below_o = 0, n = 20000;
    for (int i = 0; i < n; i++) {
        int32_t p, o;
        arrivals_tokens_draw(&t, s.r, &p, &o);
        cr_assert_geq(p, 1);
        below_p += p < 1000;
        below_o += o < 100;
    }
    cr_assert_leq(fabs(below_p / (double)n - 0.5), 0.02);
    cr_assert_leq(fabs(below_o / (double)n - 0.5), 0.02);
    rng_destroy(&s);
    arrivals_tokens_destroy(&t);
    cr_assert_eq(arrivals_tokens_lognormal(&t, 0, 0.8, 100, 1.2, NULL), OS_EINVAL);
}

/* The warp is exactly the time change: for every request, the integral of m
 * from the offset to its warped time equals its unwarped (operational) time. */
Test(arrivals, diurnal_warp_is_the_time_change)
{
    struct arrivals_replay_cfg plain = {
        .path = CODE, .time_scale = 2.0, .offset_us = HOUR, .loop = true, .end_us = 2 * DAY};
    struct arrivals_replay_cfg warped = plain;
    plain.end_us = 0; /* endless; the warped process decides when to stop */
    warped.diurnal =
        (struct arrivals_diurnal){.amplitude = 0.9, .period_us = DAY, .phase_us = 5 * HOUR};
    struct arrivals_rate m;
    cr_assert_eq(arrivals_rate_sine(&m, 1.0, 0.9, DAY, 5 * HOUR, NULL), OS_OK);
    struct arrivals p, w;
    struct os_error err;
    cr_assert_eq(arrivals_init_replay(&p, &plain, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(arrivals_init_replay(&w, &warped, &err), OS_OK, "%s", err.msg);
    struct arrival xp, xw;
    uint64_t n = 0;
    double worst = 0;
    while (arrivals_next(&w, &xw, &err) == 1) {
        cr_assert_eq(arrivals_next(&p, &xp, &err), 1);
        cr_assert_eq(xw.prompt_tokens, xp.prompt_tokens);
        double u = (double)(xp.time_us - HOUR) / 1e6;
        double l = arrivals_rate_integral(&m, HOUR, xw.time_us);
        worst = fabs(l - u) > worst ? fabs(l - u) : worst;
        n++;
    }
    /* 0.5 us rounding of each side plus the solver's 0.1 us. */
    cr_assert_leq(worst, 2e-6, "worst |L(t) - u| = %g s", worst);
    /* Operational time reached L(47 h) of the looped trace. */
    double expect = arrivals_rate_integral(&m, HOUR, 2 * DAY) * 1e6 /
                    (2.0 * (double)(CODE_SPAN + CODE_SPAN / (CODE_ROWS - 1))) * CODE_ROWS;
    cr_assert_leq(fabs((double)n - expect) / expect, 0.02, "%lu vs %.0f", (unsigned long)n, expect);
    arrivals_destroy(&p);
    arrivals_destroy(&w);
}

Test(arrivals, azure_day_follows_the_diurnal_curve)
{
    struct arrivals_azure_day_cfg cfg;
    arrivals_azure_day_defaults(&cfg);
    cfg.path = CONV;
    cfg.mean_rate_per_s = 2.0;
    struct arrivals a;
    struct os_error err;
    cr_assert_eq(arrivals_init_azure_day(&a, &cfg, &err), OS_OK, "%s", err.msg);
    uint64_t hour[24] = {0}, total = 0;
    struct arrival x;
    int rc;
    int64_t last = 0;
    while ((rc = arrivals_next(&a, &x, &err)) == 1) {
        cr_assert_geq(x.time_us, last);
        cr_assert_lt(x.time_us, DAY);
        last = x.time_us;
        hour[x.time_us / HOUR]++;
        total++;
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    /* The day's mean rate: operational time covers exactly one day. */
    cr_assert_leq(fabs((double)total / 86400.0 - 2.0) / 2.0, 0.02, "total %lu",
                  (unsigned long)total);
    /* Four-hour windows against 2/s x the integral of m over them. The conv
     * trace is bursty at the scale of minutes (single hours deviate by up to
     * a third), so only longer windows are compared: within 10 %, peak window
     * 12-16 h, trough 0-4 h, and their ratio within 15 % of the curve's. */
    struct arrivals_rate m;
    cr_assert_eq(arrivals_rate_sine(&m, 2.0, 0.5, DAY, 14 * HOUR - DAY / 4, NULL), OS_OK);
    double got[6], want[6];
    size_t peak = 0, trough = 0;
    for (size_t w = 0; w < 6; w++) {
        got[w] = 0;
        for (size_t i = 4 * w; i < 4 * w + 4; i++)
            got[w] += (double)hour[i];
        want[w] = arrivals_rate_integral(&m, (int64_t)w * 4 * HOUR, (int64_t)(w + 1) * 4 * HOUR);
        cr_assert_leq(fabs(got[w] - want[w]) / want[w], 0.10, "window %zu: %.0f vs %.0f", w, got[w],
                      want[w]);
        peak = got[w] > got[peak] ? w : peak;
        trough = got[w] < got[trough] ? w : trough;
    }
    cr_assert_eq(peak, 3);
    cr_assert_eq(trough, 0);
    double ratio = (got[3] / got[0]) / (want[3] / want[0]);
    cr_assert(fabs(ratio - 1) < 0.15, "peak/trough ratio off by %.2f", ratio);
    arrivals_destroy(&a);

    /* Deterministic: the same config gives the same stream. */
    cfg.duration_us = 2 * HOUR;
    cr_assert_eq(arrivals_init_azure_day(&a, &cfg, &err), OS_OK);
    uint64_t h1 = hash_stream(&a, true);
    arrivals_destroy(&a);
    cr_assert_eq(arrivals_init_azure_day(&a, &cfg, &err), OS_OK);
    cr_assert_eq(hash_stream(&a, true), h1);
    arrivals_destroy(&a);
}
