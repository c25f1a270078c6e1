/* Tests of sim/engine: order, ties, cancellation, handlers that schedule and
 * cancel, time limits, and a randomized comparison with a sorted reference. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "sim/engine.h"

#define MAXLOG 200000

struct log {
    uint64_t arg[MAXLOG];
    int64_t at[MAXLOG];
    size_t n;
};

static void record(struct engine *e, void *ctx, uint64_t arg)
{
    struct log *l = ctx;
    cr_assert_lt(l->n, MAXLOG);
    l->arg[l->n] = arg;
    l->at[l->n] = engine_now(e);
    l->n++;
}

static struct engine *new_engine(size_t cap)
{
    static __thread struct engine e; /* per test process */
    struct os_error err;
    cr_assert_eq(engine_init(&e, cap, &err), OS_OK);
    return &e;
}

Test(engine, fires_in_time_order)
{
    struct engine *e = new_engine(4);
    struct log *l = calloc(1, sizeof *l);
    int64_t times[] = {50, 10, 40, 20, 30};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(engine_schedule(e, times[i], record, l, (uint64_t)times[i], NULL, NULL), 0);
    cr_assert_eq(engine_pending(e), 5);
    cr_assert_eq(engine_run(e, ENGINE_TIME_MAX), ENGINE_EMPTY);
    cr_assert_eq(l->n, 5);
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(l->at[i], (int64_t)(i + 1) * 10);
        cr_assert_eq(l->arg[i], (i + 1) * 10);
    }
    cr_assert_eq(engine_now(e), 50);
    cr_assert_eq(engine_fired(e), 5);
    engine_destroy(e);
    free(l);
}

Test(engine, equal_times_fire_in_schedule_order)
{
    struct engine *e = new_engine(2); /* forces growth too */
    struct log *l = calloc(1, sizeof *l);
    for (uint64_t i = 0; i < 1000; i++)
        engine_schedule(e, 7, record, l, i, NULL, NULL);
    engine_run(e, ENGINE_TIME_MAX);
    cr_assert_eq(l->n, 1000);
    for (uint64_t i = 0; i < 1000; i++)
        cr_assert_eq(l->arg[i], i, "position %lu fired %lu", i, l->arg[i]);
    engine_destroy(e);
    free(l);
}

Test(engine, rejects_past_and_negative)
{
    struct engine *e = new_engine(0);
    struct os_error err;
    struct log *l = calloc(1, sizeof *l);
    engine_schedule(e, 100, record, l, 0, NULL, NULL);
    engine_run(e, ENGINE_TIME_MAX);
    cr_assert_eq(engine_schedule(e, 99, record, l, 0, NULL, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "before now") != NULL, "%s", err.msg);
    cr_assert_eq(engine_after(e, -1, record, l, 0, NULL, &err), OS_EINVAL);
    cr_assert_eq(engine_schedule(e, 100, NULL, l, 0, NULL, &err), OS_EINVAL);
    cr_assert_eq(engine_schedule(e, 100, record, l, 0, NULL, &err), OS_OK);
    engine_destroy(e);
    free(l);
}

Test(engine, cancel_is_exact_and_idempotent)
{
    struct engine *e = new_engine(0);
    struct log *l = calloc(1, sizeof *l);
    uint64_t id[10];
    for (uint64_t i = 0; i < 10; i++)
        engine_schedule(e, (int64_t)i, record, l, i, &id[i], NULL);
    cr_assert(engine_cancel(e, id[3]));
    cr_assert(engine_cancel(e, id[7]));
    cr_assert_not(engine_cancel(e, id[3]), "second cancel must be a no-op");
    cr_assert_not(engine_cancel(e, 0));
    cr_assert_not(engine_pending_id(e, id[7]));
    cr_assert(engine_pending_id(e, id[8]));
    cr_assert_eq(engine_pending(e), 8);
    engine_run(e, ENGINE_TIME_MAX);
    cr_assert_eq(l->n, 8);
    uint64_t want[] = {0, 1, 2, 4, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++)
        cr_assert_eq(l->arg[i], want[i]);
    cr_assert_not(engine_cancel(e, id[9]), "a fired event cannot be cancelled");
    engine_destroy(e);
    free(l);
}

Test(engine, stale_id_does_not_cancel_slot_reuser)
{
    struct engine *e = new_engine(1);
    struct log *l = calloc(1, sizeof *l);
    uint64_t a, b;
    engine_schedule(e, 5, record, l, 1, &a, NULL);
    cr_assert(engine_cancel(e, a));
    cr_assert_eq(engine_next_time(e), ENGINE_TIME_MAX, "the cancelled key is dropped");
    engine_schedule(e, 6, record, l, 2, &b, NULL); /* reuses a's slot */
    cr_assert_eq((uint32_t)a, (uint32_t)b, "slot reused");
    cr_assert_not(engine_cancel(e, a), "old id must not cancel the new event");
    engine_run(e, ENGINE_TIME_MAX);
    cr_assert_eq(l->n, 1);
    cr_assert_eq(l->arg[0], 2);
    engine_destroy(e);
    free(l);
}

/* A handler that schedules a successor 10 us later and a "victim" 5 us later,
 * then the next firing cancels the victim if it is still pending. Event 0 at
 * t=0 schedules 1@10 and v1000@5; v1000 fires at 5 (it schedules 1001@15 and
 * v2000@10... ). To keep the arithmetic simple, victims do nothing. */
struct chain {
    struct log log;
    uint64_t victim;
    int budget;
};

static void victim_fn(struct engine *e, void *ctx, uint64_t arg)
{
    struct chain *c = ctx;
    record(e, &c->log, arg);
}

static void chain_fn(struct engine *e, void *ctx, uint64_t arg)
{
    struct chain *c = ctx;
    record(e, &c->log, arg);
    if (arg % 2 == 1) /* odd steps cancel the victim scheduled by the even step */
        cr_assert(engine_cancel(e, c->victim));
    if (c->budget-- <= 0)
        return;
    engine_after(e, 10, chain_fn, c, arg + 1, NULL, NULL);
    engine_after(e, 15, victim_fn, c, 1000 + arg, &c->victim, NULL);
}

Test(engine, handlers_schedule_and_cancel)
{
    struct engine *e = new_engine(0);
    struct chain *c = calloc(1, sizeof *c);
    c->budget = 4;
    engine_schedule(e, 0, chain_fn, c, 0, NULL, NULL);
    engine_run(e, ENGINE_TIME_MAX);
    /* t0 step0: sched step1@10, v1000@15. t10 step1: cancels v1000; sched step2@20,
     * v1001@25. t20 step2: sched step3@30, v1002@35. t25 v1001 fires. t30 step3:
     * cancels v1002; sched step4@40, v1003@45. t40 step4: budget exhausted.
     * t45 v1003 fires. */
    uint64_t want_arg[] = {0, 1, 2, 1001, 3, 4, 1003};
    int64_t want_at[] = {0, 10, 20, 25, 30, 40, 45};
    cr_assert_eq(c->log.n, 7);
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(c->log.arg[i], want_arg[i], "firing %d", i);
        cr_assert_eq(c->log.at[i], want_at[i], "firing %d", i);
    }
    engine_destroy(e);
    free(c);
}

static void cancel_then_self(struct engine *e, void *ctx, uint64_t arg)
{
    uint64_t *victim = ctx;
    (void)arg;
    cr_assert(engine_cancel(e, *victim));
}

Test(engine, handler_cancels_equal_time_event)
{
    struct engine *e = new_engine(0);
    struct log *l = calloc(1, sizeof *l);
    uint64_t victim;
    engine_schedule(e, 10, cancel_then_self, &victim, 0, NULL, NULL);
    engine_schedule(e, 10, record, l, 42, &victim, NULL);
    engine_schedule(e, 10, record, l, 43, NULL, NULL);
    engine_run(e, ENGINE_TIME_MAX);
    cr_assert_eq(l->n, 1);
    cr_assert_eq(l->arg[0], 43);
    engine_destroy(e);
    free(l);
}

Test(engine, time_limit_and_resume)
{
    struct engine *e = new_engine(0);
    struct log *l = calloc(1, sizeof *l);
    for (int64_t t = 0; t < 100; t += 10)
        engine_schedule(e, t, record, l, (uint64_t)t, NULL, NULL);
    cr_assert_eq(engine_run(e, 45), ENGINE_TIME_LIMIT);
    cr_assert_eq(l->n, 5);
    cr_assert_eq(engine_now(e), 45, "clock advances to the limit");
    cr_assert_eq(engine_next_time(e), 50);
    cr_assert_eq(engine_run(e, 50), ENGINE_TIME_LIMIT, "event at the limit fires");
    cr_assert_eq(l->n, 6);
    cr_assert_eq(engine_run(e, 1000), ENGINE_EMPTY);
    cr_assert_eq(engine_now(e), 1000);
    cr_assert_eq(engine_next_time(e), ENGINE_TIME_MAX);
    engine_destroy(e);
    free(l);
}

static void stopper(struct engine *e, void *ctx, uint64_t arg)
{
    record(e, ctx, arg);
    if (arg == 3)
        engine_stop(e);
}

Test(engine, stop_from_handler)
{
    struct engine *e = new_engine(0);
    struct log *l = calloc(1, sizeof *l);
    for (uint64_t i = 0; i < 10; i++)
        engine_schedule(e, (int64_t)i, stopper, l, i, NULL, NULL);
    cr_assert_eq(engine_run(e, ENGINE_TIME_MAX), ENGINE_STOPPED);
    cr_assert_eq(l->n, 4);
    cr_assert_eq(engine_pending(e), 6);
    cr_assert_eq(engine_run(e, ENGINE_TIME_MAX), ENGINE_EMPTY);
    cr_assert_eq(l->n, 10);
    engine_destroy(e);
    free(l);
}

Test(engine, mass_cancellation_compacts)
{
    struct engine *e = new_engine(0);
    struct log *l = calloc(1, sizeof *l);
    enum { N = 50000 };
    uint64_t *ids = malloc(N * sizeof *ids);
    for (uint64_t i = 0; i < N; i++)
        engine_schedule(e, (int64_t)(N - i), record, l, i, &ids[i], NULL);
    for (uint64_t i = 0; i < N; i++)
        if (i % 10 != 0)
            cr_assert(engine_cancel(e, ids[i]));
    cr_assert_eq(engine_pending(e), N / 10);
    cr_assert_leq(e->heap_len, (size_t)N / 10 * 2 + 4096 + 1, "stale keys were compacted");
    engine_run(e, ENGINE_TIME_MAX);
    cr_assert_eq(l->n, N / 10);
    for (size_t i = 1; i < l->n; i++)
        cr_assert_lt(l->at[i - 1], l->at[i]);
    free(ids);
    engine_destroy(e);
    free(l);
}

/* Randomized: 100k events with random times (many ties), a random 20 %
 * cancelled, compared with a reference sorted by (time, schedule order). */
struct ref {
    int64_t t;
    uint64_t seq;
};

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

Test(engine, randomized_matches_sorted_reference)
{
    enum { N = 100000 };
    struct engine *e = new_engine(16);
    struct log *l = calloc(1, sizeof *l);
    struct ref *ref = malloc(N * sizeof *ref);
    uint64_t *ids = malloc(N * sizeof *ids);
    bool *cancelled = calloc(N, 1);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12345);
    for (uint64_t i = 0; i < N; i++) {
        int64_t t = (int64_t)gsl_rng_uniform_int(r, 5000); /* ~20 events per time */
        engine_schedule(e, t, record, l, i, &ids[i], NULL);
        ref[i] = (struct ref){t, i};
    }
    size_t n = 0;
    for (uint64_t i = 0; i < N; i++)
        if (gsl_rng_uniform(r) < 0.2) {
            cr_assert(engine_cancel(e, ids[i]));
            cancelled[i] = true;
        }
    for (uint64_t i = 0; i < N; i++)
        if (!cancelled[i])
            ref[n++] = ref[i];
    qsort(ref, n, sizeof *ref, ref_cmp);
    engine_run(e, ENGINE_TIME_MAX);
    cr_assert_eq(l->n, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(l->arg[i], ref[i].seq, "event %zu", i);
        cr_assert_eq(l->at[i], ref[i].t);
    }
    gsl_rng_free(r);
    free(cancelled);
    free(ids);
    free(ref);
    free(l);
    engine_destroy(e);
}

/* Hold model: steady state must not allocate (capacities stay fixed). */
static void hold(struct engine *e, void *ctx, uint64_t arg)
{
    gsl_rng *r = ctx;
    engine_after(e, 1 + (int64_t)gsl_rng_uniform_int(r, 1000000), hold, r, arg, NULL, NULL);
}

Test(engine, steady_state_does_not_grow)
{
    struct engine *e = new_engine(1000);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int i = 0; i < 1000; i++)
        engine_schedule(e, (int64_t)gsl_rng_uniform_int(r, 1000000), hold, r, 0, NULL, NULL);
    size_t hc = e->heap_cap, sc = e->slots_cap;
    engine_run(e, 100 * ENGINE_US_PER_S);
    cr_assert_gt(engine_fired(e), 50000);
    cr_assert_eq(engine_pending(e), 1000);
    cr_assert_eq(e->heap_cap, hc);
    cr_assert_eq(e->slots_cap, sc);
    gsl_rng_free(r);
    engine_destroy(e);
}

/* Sequence numbers are renumbered when they run out; order must survive,
 * including ties and cancelled events. The limit is lowered to force it. */
Test(engine, sequence_renumbering_keeps_order)
{
    struct engine *e = new_engine(0);
    struct log *l = calloc(1, sizeof *l);
    e->seq_limit = 100;
    uint64_t ids[250];
    for (uint64_t i = 0; i < 250; i++)
        engine_schedule(e, (int64_t)(i % 7), record, l, i, &ids[i], NULL);
    for (uint64_t i = 0; i < 250; i += 3)
        cr_assert(engine_cancel(e, ids[i]));
    engine_run(e, ENGINE_TIME_MAX);
    size_t k = 0;
    for (int64_t t = 0; t < 7; t++)
        for (uint64_t i = 0; i < 250; i++)
            if (i % 7 == (uint64_t)t && i % 3 != 0) {
                cr_assert_eq(l->arg[k], i, "position %zu", k);
                k++;
            }
    cr_assert_eq(l->n, k);
    engine_destroy(e);
    free(l);
}
