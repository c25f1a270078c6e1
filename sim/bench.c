/*
 * bench.c - the engine hold-model benchmark.
 *
 * Both loops draw the same exponential increments from the same GSL stream,
 * so the difference between them is the cost of the engine's queue, slots,
 * cancellation tokens and dispatch over a minimal binary heap.
 */
#include "sim/bench.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/engine.h"

#define HOLD_MEAN_US 1e6

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t hold_delay(gsl_rng *r)
{
    return 1 + (int64_t)gsl_ran_exponential(r, HOLD_MEAN_US);
}

/* ---- through the engine ---- */

struct hold_ctx {
    gsl_rng *r;
    uint64_t remaining;
};

static void hold_handler(struct engine *e, void *ctx, uint64_t arg)
{
    struct hold_ctx *h = ctx;
    if (h->remaining == 0) {
        engine_stop(e);
        return;
    }
    h->remaining--;
    engine_after(e, hold_delay(h->r), hold_handler, h, arg, NULL, NULL);
}

static int run_engine(size_t pending, uint64_t events, double *rate, struct os_error *err)
{
    struct engine e;
    struct hold_ctx h = {.r = gsl_rng_alloc(gsl_rng_mt19937), .remaining = events};
    if (!h.r)
        return os_errorf(err, OS_ENOMEM, "bench: cannot allocate an RNG");
    int rc = engine_init(&e, pending, err);
    if (rc != OS_OK)
        goto out_rng;
    gsl_rng_set(h.r, 1);
    for (size_t i = 0; i < pending; i++) {
        rc = engine_schedule(&e, hold_delay(h.r), hold_handler, &h, i, NULL, err);
        if (rc != OS_OK)
            goto out_engine;
    }
    double t0 = bench_now_s();
    engine_run(&e, ENGINE_TIME_MAX);
    double dt = bench_now_s() - t0;
    *rate = (double)(events - h.remaining) / dt;
out_engine:
    engine_destroy(&e);
out_rng:
    gsl_rng_free(h.r);
    return rc;
}

/* ---- bare binary heap of (time, seq), no dispatch ---- */

struct bare_key {
    int64_t time;
    uint64_t seq;
};

static inline int bare_less(const struct bare_key *a, const struct bare_key *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static int run_bare(size_t pending, uint64_t events, double *rate, struct os_error *err)
{
    struct bare_key *h = malloc(pending * sizeof *h);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!h || !r) {
        free(h);
        if (r)
            gsl_rng_free(r);
        return os_errorf(err, OS_ENOMEM, "bench: cannot allocate %zu keys", pending);
    }
    gsl_rng_set(r, 1);
    size_t n = 0;
    uint64_t seq = 0;
    for (size_t i = 0; i < pending; i++) { /* push with sift-up */
        struct bare_key k = {hold_delay(r), seq++};
        size_t j = n++;
        while (j > 0 && bare_less(&k, &h[(j - 1) / 2])) {
            h[j] = h[(j - 1) / 2];
            j = (j - 1) / 2;
        }
        h[j] = k;
    }
    double t0 = bench_now_s();
    for (uint64_t ev = 0; ev < events; ev++) {
        int64_t now = h[0].time;
        /* pop: move the last key to the root and sift down */
        struct bare_key last = h[--n];
        size_t j = 0;
        for (;;) {
            size_t c = 2 * j + 1;
            if (c >= n)
                break;
            if (c + 1 < n && bare_less(&h[c + 1], &h[c]))
                c++;
            if (!bare_less(&h[c], &last))
                break;
            h[j] = h[c];
            j = c;
        }
        h[j] = last;
        /* push now + Exp */
        struct bare_key k = {now + hold_delay(r), seq++};
        j = n++;
        while (j > 0 && bare_less(&k, &h[(j - 1) / 2])) {
            h[j] = h[(j - 1) / 2];
            j = (j - 1) / 2;
        }
        h[j] = k;
    }
    double dt = bench_now_s() - t0;
    *rate = (double)events / dt;
    /* Keep the optimiser from discarding the heap. */
    if (h[0].time < 0)
        *rate = 0;
    free(h);
    gsl_rng_free(r);
    return OS_OK;
}

typedef int (*hold_fn)(size_t, uint64_t, double *, struct os_error *);

static int median_rate(hold_fn fn, size_t pending, uint64_t events, int runs, double *out,
                       struct os_error *err)
{
    double rates[16];
    int rc = fn(pending, events / 4 + 1, &rates[0], err); /* warm-up */
    for (int i = 0; i < runs && rc == OS_OK; i++)
        rc = fn(pending, events, &rates[i], err);
    if (rc != OS_OK)
        return rc;
    gsl_sort(rates, 1, (size_t)runs);
    *out = gsl_stats_median_from_sorted_data(rates, 1, (size_t)runs);
    return OS_OK;
}

int bench_engine(cJSON *out, bool quick, struct os_error *err)
{
    static const size_t sizes[] = {1000, 100000, 1000000};
    int runs = quick ? 3 : 5;
    cJSON *arr = cJSON_AddArrayToObject(out, "engine");
    if (!arr)
        return os_errorf(err, OS_ENOMEM, "bench: out of memory");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint64_t events = quick ? 200000 : (n >= 1000000 ? 4000000 : 3000000);
        double eng, bare;
        int rc = median_rate(run_engine, n, events, runs, &eng, err);
        if (rc == OS_OK)
            rc = median_rate(run_bare, n, events, runs, &bare, err);
        if (rc != OS_OK)
            return rc;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "pending", (double)n);
        cJSON_AddNumberToObject(o, "events_per_s", (double)llround(eng));
        cJSON_AddNumberToObject(o, "bare_heap_events_per_s", (double)llround(bare));
        cJSON_AddNumberToObject(o, "ratio", round(eng / bare * 1000) / 1000);
        cJSON_AddItemToArray(arr, o);
    }
    return OS_OK;
}
