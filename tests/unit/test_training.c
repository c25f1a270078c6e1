/* Tests of models/workload/training: hand-worked completion times, losses at
 * interruptions (between checkpoints, without checkpoints, during a checkpoint
 * write, during the restart overhead), re-queue and restart, speed changes,
 * the GPU-second accounting identity, queueing delay over re-queues, the
 * summary, the Philly duration sampler (median over 100k draws, determinism,
 * filters), the Poisson job stream, and the k/2 mean loss under a constant
 * interruption hazard. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>

#include "models/workload/training.h"

#define PHILLY      "scenarios/traces/philly-2017-job-runtimes/philly_runtime.csv"
#define PHILLY_ROWS 83154
#define S           INT64_C(1000000) /* one second in microseconds */
#define EPS         1e-6

static struct training book(void)
{
    struct training t;
    struct os_error err;
    cr_assert_eq(training_init(&t, 0, &err), OS_OK, "%s", err.msg);
    return t;
}

static uint32_t add(struct training *t, uint32_t gpus, double work, int64_t arrival, int64_t ckpt,
                    int64_t overhead, int64_t cost)
{
    struct training_spec s = {.gpus = gpus,
                              .work_gpu_s = work,
                              .arrival_us = arrival,
                              .ckpt_interval_us = ckpt,
                              .restart_overhead_us = overhead,
                              .ckpt_cost_us = cost};
    uint32_t id;
    struct os_error err;
    cr_assert_eq(training_add(t, &s, &id, &err), OS_OK, "%s", err.msg);
    return id;
}

static int64_t start(struct training *t, uint32_t id, int64_t now, double speed)
{
    int64_t done = -1;
    struct os_error err;
    cr_assert_eq(training_start(t, id, now, speed, &done, &err), OS_OK, "%s", err.msg);
    return done;
}

static struct training_loss interrupt(struct training *t, uint32_t id, int64_t now)
{
    struct training_loss l;
    struct os_error err;
    cr_assert_eq(training_interrupt(t, id, now, &l, &err), OS_OK, "%s", err.msg);
    return l;
}

static void complete(struct training *t, uint32_t id, int64_t now)
{
    struct os_error err;
    cr_assert_eq(training_complete(t, id, now, &err), OS_OK, "%s", err.msg);
}

/* alloc = useful + ckpt + startup + lost, per job. */
static void assert_identity(const struct training_job *j)
{
    double sum = j->useful_gpu_s + j->ckpt_gpu_s + j->startup_gpu_s + j->lost_gpu_s;
    cr_assert_float_eq(j->alloc_gpu_s, sum, 1e-9 * (1 + j->alloc_gpu_s), "alloc %.9g vs %.9g",
                       j->alloc_gpu_s, sum);
}

Test(training, uninterrupted_completion_is_start_plus_overhead_plus_work_over_n_speed)
{
    struct training t = book();
    /* n = 4, W = 14,400 GPU-s, speed 0.5: 14400 / (4 x 0.5) = 7,200 s of
     * progress; start 1,000 s + O 120 s + 7,200 s = 8,320 s. Checkpoints with
     * no write cost do not move the completion. */
    uint32_t id = add(&t, 4, 14400, 0, 1800 * S, 120 * S, 0);
    int64_t done = start(&t, id, 1000 * S, 0.5);
    cr_assert_eq(done, 8320 * S);
    cr_assert_eq(training_job(&t, id)->state, TRAINING_RUNNING);
    cr_assert_float_eq(training_work_at(&t, id, 1120 * S), 0, EPS);
    cr_assert_float_eq(training_work_at(&t, id, 4720 * S), 7200, EPS); /* half-way */
    complete(&t, id, done);
    const struct training_job *j = training_job(&t, id);
    cr_assert_eq(j->state, TRAINING_DONE);
    cr_assert_eq(j->queue_us, 1000 * S);
    cr_assert_eq(j->first_start_us, 1000 * S);
    cr_assert_float_eq(j->alloc_gpu_s, 4 * 7320.0, EPS);
    cr_assert_float_eq(j->startup_gpu_s, 480, EPS);
    cr_assert_float_eq(j->useful_gpu_s, 28800, EPS);
    cr_assert_float_eq(j->lost_gpu_s, 0, EPS);
    assert_identity(j);

    struct training_summary sum;
    struct os_error err;
    cr_assert_eq(training_summarize(&t, &sum, &err), OS_OK);
    cr_assert_eq(sum.completed, 1);
    cr_assert_float_eq(sum.jct_mean_s, 8320, EPS);
    cr_assert_float_eq(sum.jct_p99_s, 8320, EPS);
    cr_assert_float_eq(sum.queue_mean_s, 1000, EPS);
    cr_assert_float_eq(sum.goodput, 28800.0 / 29280.0, 1e-12);
    cr_assert_float_eq(sum.work_done_gpu_s, 14400, EPS);
    training_destroy(&t);
    training_destroy(&t); /* idempotent */
}

Test(training, interruption_between_checkpoints_loses_work_since_last_checkpoint)
{
    struct training t = book();
    /* n = 2, W = 20,000 GPU-s (10,000 s at speed 1), k = 600 s, O = 100 s.
     * Interrupted at 1,600 s = 1,500 s of progress: checkpoints at 600 and
     * 1,200 s, so 300 s of progress = 600 GPU-s of work is lost. */
    uint32_t id = add(&t, 2, 20000, 0, 600 * S, 100 * S, 0);
    cr_assert_eq(start(&t, id, 0, 1.0), 10100 * S);
    struct training_loss l = interrupt(&t, id, 1600 * S);
    cr_assert_eq(l.lost_progress_us, 300 * S);
    cr_assert_eq(l.lost_wall_us, 300 * S);
    cr_assert_float_eq(l.lost_work_gpu_s, 600, EPS);
    cr_assert_float_eq(l.lost_gpu_s, 600, EPS);
    const struct training_job *j = training_job(&t, id);
    cr_assert_eq(j->state, TRAINING_PENDING);
    cr_assert_eq(j->interruptions, 1);
    cr_assert_eq(j->done_us, -1);
    cr_assert_float_eq(j->work_ckpt_gpu_s, 2400, EPS);
    cr_assert_float_eq(j->useful_gpu_s, 2400, EPS);
    cr_assert_float_eq(j->startup_gpu_s, 200, EPS);
    cr_assert_float_eq(j->lost_gpu_s, 600, EPS);
    assert_identity(j);

    /* Re-queued at 1,600 s, restarted at 2,000 s: 17,600 GPU-s left = 8,800 s,
     * done at 2,000 + 100 + 8,800 = 10,900 s. The restart's overhead is lost. */
    int64_t done = start(&t, id, 2000 * S, 1.0);
    cr_assert_eq(done, 10900 * S);
    complete(&t, id, done);
    j = training_job(&t, id);
    cr_assert_eq(j->starts, 2);
    cr_assert_eq(j->queue_us, 400 * S);
    cr_assert_float_eq(j->lost_gpu_s, 600 + 200, EPS);
    cr_assert_float_eq(j->useful_gpu_s, 20000, EPS); /* 2 x (1,200 + 8,800) s */
    cr_assert_float_eq(j->alloc_gpu_s, 2 * (1600.0 + 8900.0), EPS);
    cr_assert_float_eq(j->lost_work_gpu_s, 600, EPS);
    assert_identity(j);

    struct training_summary sum;
    struct os_error err;
    cr_assert_eq(training_summarize(&t, &sum, &err), OS_OK);
    cr_assert_float_eq(sum.lost_gpu_hours, 800.0 / 3600.0, 1e-12);
    cr_assert_eq(sum.interruptions, 1);
    cr_assert_float_eq(sum.jct_mean_s, 10900, EPS);
    cr_assert_float_eq(sum.goodput, 20000.0 / 21000.0, 1e-12);
    training_destroy(&t);
}

Test(training, interruption_at_a_checkpoint_loses_nothing)
{
    struct training t = book();
    uint32_t id = add(&t, 1, 5000, 0, 600 * S, 0, 0);
    start(&t, id, 0, 1.0);
    struct training_loss l = interrupt(&t, id, 1200 * S);
    cr_assert_eq(l.lost_progress_us, 0);
    cr_assert_float_eq(l.lost_work_gpu_s, 0, EPS);
    cr_assert_float_eq(training_job(&t, id)->work_ckpt_gpu_s, 1200, EPS);
    training_destroy(&t);
}

Test(training, no_checkpoints_lose_all_work)
{
    struct training t = book();
    uint32_t id = add(&t, 2, 20000, 0, 0, 100 * S, 0);
    start(&t, id, 0, 1.0);
    struct training_loss l = interrupt(&t, id, 1600 * S);
    cr_assert_eq(l.lost_progress_us, 1500 * S);
    cr_assert_float_eq(l.lost_work_gpu_s, 3000, EPS);
    cr_assert_float_eq(training_job(&t, id)->work_ckpt_gpu_s, 0, EPS);
    /* Starts over: 2,000 + 100 + 10,000 s. */
    int64_t done = start(&t, id, 2000 * S, 1.0);
    cr_assert_eq(done, 12100 * S);
    complete(&t, id, done);
    const struct training_job *j = training_job(&t, id);
    cr_assert_float_eq(j->lost_gpu_s, 2 * 1500.0 + 2 * 100.0, EPS);
    cr_assert_float_eq(j->useful_gpu_s, 20000, EPS);
    assert_identity(j);
    training_destroy(&t);
}

Test(training, restart_on_faster_gpus_completes_at_the_right_time)
{
    struct training t = book();
    uint32_t id = add(&t, 2, 20000, 0, 600 * S, 100 * S, 0);
    start(&t, id, 0, 1.0);
    interrupt(&t, id, 1600 * S); /* 2,400 GPU-s saved */
    /* 17,600 GPU-s at 2 GPUs x speed 2 = 4,400 s: 2,000 + 100 + 4,400. */
    cr_assert_eq(start(&t, id, 2000 * S, 2.0), 6500 * S);
    training_destroy(&t);
}

Test(training, checkpoint_writes_add_wall_time_and_in_flight_write_is_lost)
{
    struct training t = book();
    /* k = 600 s, c = 60 s, W = 2,000 s: writes begin at progress 600, 1,200 and
     * 1,800 s (all before 2,000), so done = 2,000 + 3 x 60 = 2,180 s. */
    uint32_t a = add(&t, 1, 2000, 0, 600 * S, 0, 60 * S);
    int64_t done = start(&t, a, 0, 1.0);
    cr_assert_eq(done, 2180 * S);
    complete(&t, a, done);
    cr_assert_float_eq(training_job(&t, a)->ckpt_gpu_s, 180, EPS);
    cr_assert_float_eq(training_job(&t, a)->useful_gpu_s, 2000, EPS);
    assert_identity(training_job(&t, a));

    /* A run interrupted at 1,290 s is in the middle of writing checkpoint 2
     * (wall 1,260..1,320 s, progress 1,200): only checkpoint 1 (600) is
     * durable; lost progress 600 s, lost wall 1,290 - 660 = 630 s. */
    uint32_t b = add(&t, 1, 2000, 0, 600 * S, 0, 60 * S);
    start(&t, b, 0, 1.0);
    struct training_loss l = interrupt(&t, b, 1290 * S);
    cr_assert_eq(l.lost_progress_us, 600 * S);
    cr_assert_eq(l.lost_wall_us, 630 * S);
    cr_assert_float_eq(l.lost_work_gpu_s, 600, EPS);
    const struct training_job *j = training_job(&t, b);
    cr_assert_float_eq(j->work_ckpt_gpu_s, 600, EPS);
    cr_assert_float_eq(j->useful_gpu_s, 600, EPS);
    cr_assert_float_eq(j->ckpt_gpu_s, 60, EPS);
    cr_assert_float_eq(j->lost_gpu_s, 630, EPS);
    assert_identity(j);
    /* Restart: 1,400 s left, writes at progress 600 and 1,200 -> 1,520 s. */
    cr_assert_eq(start(&t, b, 1290 * S, 1.0), (1290 + 1400 + 120) * S);
    training_destroy(&t);
}

Test(training, interruption_during_restart_overhead)
{
    struct training t = book();
    uint32_t id = add(&t, 4, 4000, 0, 600 * S, 120 * S, 0);
    start(&t, id, 0, 1.0);
    struct training_loss l = interrupt(&t, id, 60 * S);
    cr_assert_eq(l.lost_wall_us, 0);
    cr_assert_float_eq(l.lost_work_gpu_s, 0, EPS);
    const struct training_job *j = training_job(&t, id);
    cr_assert_float_eq(j->startup_gpu_s, 240, EPS); /* first start: startup */
    cr_assert_float_eq(j->lost_gpu_s, 0, EPS);
    /* A restart interrupted in its overhead: the paid overhead is lost. */
    start(&t, id, 100 * S, 1.0);
    interrupt(&t, id, 150 * S);
    j = training_job(&t, id);
    cr_assert_float_eq(j->lost_gpu_s, 200, EPS);
    assert_identity(j);
    training_destroy(&t);
}

Test(training, speed_change_keeps_work_and_checkpoint_schedule)
{
    struct training t = book();
    /* n = 1, W = 3,600, k = 1,000 s, O = 0. At 1,500 s (work 1,500, checkpoint
     * 1 at 1,000) the speed goes to 2: 2,100 left at rate 2 = 1,050 s, done
     * 2,550 s. Checkpoint 2 comes at progress 2,000 s with work 1,500 + 2 x 500 =
     * 2,500; an interruption at 2,200 s (work 2,900) loses 400. */
    uint32_t id = add(&t, 1, 3600, 0, 1000 * S, 0, 0);
    cr_assert_eq(start(&t, id, 0, 1.0), 3600 * S);
    int64_t done = 0;
    struct os_error err;
    cr_assert_eq(training_set_speed(&t, id, 1500 * S, 2.0, &done, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(done, 2550 * S);
    cr_assert_float_eq(training_work_at(&t, id, 2200 * S), 2900, EPS);
    struct training_loss l = interrupt(&t, id, 2200 * S);
    cr_assert_float_eq(l.lost_work_gpu_s, 400, EPS);
    cr_assert_eq(l.lost_progress_us, 200 * S);
    cr_assert_float_eq(training_job(&t, id)->work_ckpt_gpu_s, 2500, EPS);

    /* Slowing down: W = 3,600 at speed 1 to 1,800 s, then speed 0.5. */
    uint32_t b = add(&t, 1, 3600, 0, 0, 0, 0);
    start(&t, b, 0, 1.0);
    cr_assert_eq(training_set_speed(&t, b, 1800 * S, 0.5, &done, &err), OS_OK);
    cr_assert_eq(done, 5400 * S);
    /* The completion event planned before the change is stale. */
    cr_assert_eq(training_complete(&t, b, 3600 * S, &err), OS_EINVAL);
    complete(&t, b, 5400 * S);
    training_destroy(&t);
}

Test(training, queueing_delay_sums_over_requeues)
{
    struct training t = book();
    uint32_t id = add(&t, 1, 10000, 50 * S, 0, 0, 0);
    start(&t, id, 300 * S, 1.0); /* 250 s */
    interrupt(&t, id, 400 * S);
    start(&t, id, 1000 * S, 1.0); /* 600 s */
    interrupt(&t, id, 1100 * S);
    int64_t done = start(&t, id, 1150 * S, 1.0); /* 50 s */
    complete(&t, id, done);
    const struct training_job *j = training_job(&t, id);
    cr_assert_eq(j->queue_us, 900 * S);
    cr_assert_eq(j->interruptions, 2);
    cr_assert_eq(j->starts, 3);
    cr_assert_eq(done, 11150 * S);
    struct training_summary sum;
    struct os_error err;
    cr_assert_eq(training_summarize(&t, &sum, &err), OS_OK);
    cr_assert_float_eq(sum.queue_mean_s, 900, EPS);
    cr_assert_float_eq(sum.jct_mean_s, 11100, EPS); /* from the arrival at 50 s */
    training_destroy(&t);
}

Test(training, summary_quantiles_are_nearest_rank)
{
    struct training t = book();
    /* 100 jobs, job i runs i + 1 seconds from time 0: JCTs 1..100 s. */
    for (int i = 0; i < 100; i++) {
        uint32_t id = add(&t, 1, i + 1, 0, 0, 0, 0);
        complete(&t, id, start(&t, id, 0, 1.0));
    }
    uint32_t pend = add(&t, 1, 5, 0, 0, 0, 0);
    (void)pend;
    struct training_summary sum;
    struct os_error err;
    cr_assert_eq(training_summarize(&t, &sum, &err), OS_OK);
    cr_assert_eq(sum.jobs, 101);
    cr_assert_eq(sum.completed, 100);
    cr_assert_eq(sum.pending, 1);
    cr_assert_float_eq(sum.jct_mean_s, 50.5, EPS);
    cr_assert_float_eq(sum.jct_p50_s, 50, EPS);
    cr_assert_float_eq(sum.jct_p99_s, 99, EPS);
    cr_assert_float_eq(sum.goodput, 1.0, 1e-12);
    training_destroy(&t);

    t = book();
    cr_assert_eq(training_summarize(&t, &sum, &err), OS_OK);
    cr_assert(isnan(sum.jct_mean_s) && isnan(sum.goodput));
    training_destroy(&t);
}

Test(training, bad_calls_are_refused)
{
    struct training t = book();
    struct os_error err;
    struct training_spec s;
    training_spec_defaults(&s);
    cr_assert_eq(s.restart_overhead_us, 120 * S);
    uint32_t id;
    s.gpus = 0;
    cr_assert_eq(training_add(&t, &s, &id, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "gpus"), "%s", err.msg);
    training_spec_defaults(&s);
    s.work_gpu_s = NAN;
    cr_assert_eq(training_add(&t, &s, &id, &err), OS_EINVAL);
    training_spec_defaults(&s);
    s.ckpt_interval_us = -1;
    cr_assert_eq(training_add(&t, &s, &id, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "ckpt_interval_us"), "%s", err.msg);

    id = add(&t, 1, 100, 10 * S, 0, 0, 0);
    int64_t done;
    cr_assert_eq(training_start(&t, id, 5 * S, 1.0, &done, &err), OS_EINVAL); /* before arrival */
    cr_assert_eq(training_start(&t, id, 10 * S, 0.0, &done, &err), OS_EINVAL);
    cr_assert_eq(training_start(&t, 7, 10 * S, 1.0, &done, &err), OS_EINVAL);
    cr_assert_eq(training_complete(&t, id, 10 * S, &err), OS_EINVAL); /* pending */
    cr_assert_eq(training_interrupt(&t, id, 10 * S, NULL, &err), OS_EINVAL);
    cr_assert_eq(training_job(&t, id)->state, TRAINING_PENDING);
    cr_assert_eq(training_job(&t, id)->queue_us, 0);
    done = start(&t, id, 10 * S, 1.0);
    cr_assert_eq(training_start(&t, id, 10 * S, 1.0, &done, &err), OS_EINVAL); /* running */
    cr_assert_eq(training_interrupt(&t, id, done + 1, NULL, &err), OS_EINVAL);
    cr_assert_eq(training_complete(&t, id, done - 1, &err), OS_EINVAL);
    /* An impossible completion time is refused and leaves the job pending. */
    uint32_t slow = add(&t, 1, 1e9, 0, 0, 0, 0);
    cr_assert_eq(training_start(&t, slow, 0, 1e-9, &done, &err), OS_EINVAL);
    cr_assert_eq(training_job(&t, slow)->state, TRAINING_PENDING);
    cr_assert_eq(training_job(&t, slow)->starts, 0);
    cr_assert_null(training_job(&t, 99));
    cr_assert(isnan(training_work_at(&t, 99, 0)));
    training_destroy(&t);
}

Test(training, many_jobs_grow_the_book)
{
    struct training t = book();
    for (uint32_t i = 0; i < 1000; i++)
        cr_assert_eq(add(&t, 1 + i % 8, 10, 0, 0, 0, 0), i);
    cr_assert_eq(t.njobs, 1000);
    cr_assert_eq(t.pending, 1000);
    cr_assert_eq(training_job(&t, 999)->spec.gpus, 1 + 999 % 8);
    training_destroy(&t);
}

/* ------------------------------------------------------------------------ */
/* Constant hazard: mean loss per interruption ~ k/2                           */

Test(training, constant_hazard_loses_about_half_a_checkpoint_interval)
{
    /* Interruptions come at rate lambda per second of run time, so the progress
     * time T before an interruption is exponential. The progress lost is
     * L = T mod k, a truncated exponential on [0, k) with mean
     *     E[L] = 1/lambda - k e^(-lambda k) / (1 - e^(-lambda k)),
     * which tends to k/2 (the mean of a uniform) as lambda k -> 0. With
     * lambda k = 0.02 it is 0.49833 k. The sample mean of N draws is within
     * 4 sd / sqrt(N) of E[L] (sd from the sample, <= k / sqrt(12) ~ uniform),
     * and within that plus |k/2 - E[L]| of k/2. */
    const int N = 20000;
    const int64_t k = 600 * S, overhead = 120 * S;
    const double lk = 0.02, mean_t_us = (double)k / lk;
    const uint32_t n = 2;
    const double speed = 1.5;
    struct training t;
    struct os_error err;
    cr_assert_eq(training_init(&t, (size_t)N, &err), OS_OK);
    struct rng r;
    cr_assert_eq(rng_init(&r, 7, "test.training.hazard", 0, &err), OS_OK);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < N; i++) {
        uint32_t id = add(&t, n, 1e8, 0, k, overhead, 0);
        start(&t, id, 0, speed);
        int64_t T = llround(gsl_ran_exponential(r.r, mean_t_us));
        struct training_loss l = interrupt(&t, id, overhead + T);
        cr_assert_eq(l.lost_progress_us, T % k);
        cr_assert_float_eq(l.lost_work_gpu_s, n * speed * (double)(T % k) / 1e6,
                           1e-6 * (1 + l.lost_work_gpu_s));
        double x = (double)l.lost_progress_us / (double)k;
        sum += x;
        sum2 += x * x;
    }
    double mean = sum / N;
    double sd = sqrt((sum2 - sum * sum / N) / (N - 1));
    double tol = 4 * sd / sqrt(N);
    double exact = 1 / lk - exp(-lk) / (1 - exp(-lk));
    cr_assert(sd > 0.25 && sd < 0.30, "sd %g vs uniform 0.2887", sd);
    cr_assert(fabs(mean - exact) < tol, "mean %g, E %g, tol %g", mean, exact, tol);
    cr_assert(fabs(mean - 0.5) < tol + fabs(0.5 - exact), "mean %g vs k/2", mean);

    struct training_summary s;
    cr_assert_eq(training_summarize(&t, &s, &err), OS_OK);
    cr_assert_eq(s.interruptions, (uint64_t)N);
    /* Each lost GPU-second is n x lost progress (no restart happened). */
    cr_assert_float_eq(s.lost_gpu_s, n * sum * (double)k / 1e6, 1e-9 * s.lost_gpu_s);
    rng_destroy(&r);
    training_destroy(&t);
}

/* ------------------------------------------------------------------------ */
/* Durations                                                                  */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

Test(training, philly_sampler_reproduces_median_and_is_deterministic)
{
    struct training_durations d;
    struct os_error err;
    cr_assert_eq(training_durations_from_trace(&d, PHILLY, NULL, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(d.n, PHILLY_ROWS);
    cr_assert_eq(d.us[0], 0);
    cr_assert_eq(d.us[d.n - 1], INT64_C(4628239) * S);            /* README: max 4,628,239 s */
    cr_assert_eq(training_durations_quantile(&d, 0.5), 1186 * S); /* README: median 1,186 s */

    /* 100k draws: the sample median's rank is within 4 sd = 4 sqrt(0.25 / N) of
     * 0.5 in the trace's CDF, so it lies between those trace quantiles. */
    enum { N = 100000 };
    int64_t *x = malloc(N * sizeof *x);
    cr_assert_not_null(x);
    struct rng r1, r2, r3;
    cr_assert_eq(rng_init(&r1, 42, "training.duration", 0, &err), OS_OK);
    cr_assert_eq(rng_init(&r2, 42, "training.duration", 0, &err), OS_OK);
    cr_assert_eq(rng_init(&r3, 43, "training.duration", 0, &err), OS_OK);
    int same = 1, differ = 0;
    for (int i = 0; i < N; i++) {
        x[i] = training_durations_draw(&d, r1.r);
        int64_t y = training_durations_draw(&d, r2.r);
        int64_t z = training_durations_draw(&d, r3.r);
        same &= x[i] == y;
        differ |= x[i] != z;
    }
    cr_assert(same, "same seed, same draws");
    cr_assert(differ, "another seed, other draws");
    qsort(x, N, sizeof *x, cmp_i64);
    int64_t med = x[N / 2 - 1]; /* nearest rank: ceil(0.5 N) */
    double delta = 4 * sqrt(0.25 / N);
    int64_t lo = training_durations_quantile(&d, 0.5 - delta);
    int64_t hi = training_durations_quantile(&d, 0.5 + delta);
    cr_assert(lo <= med && med <= hi, "median %lld s outside [%lld, %lld] s", (long long)(med / S),
              (long long)(lo / S), (long long)(hi / S));
    cr_assert(fabs((double)med / (double)(1186 * S) - 1) < 0.05, "median %lld s vs 1186 s",
              (long long)(med / S));
    free(x);
    rng_destroy(&r1);
    rng_destroy(&r2);
    rng_destroy(&r3);
    training_durations_destroy(&d);
    training_durations_destroy(&d);
}

Test(training, duration_filters_drop_and_cap)
{
    struct training_durations d;
    struct os_error err;
    const int64_t v[] = {40, 0, 20, 30, 10};
    struct training_durations_filter f = {.min_us = 10, .max_us = 30, .cap_us = 25};
    cr_assert_eq(training_durations_from_values(&d, v, 5, &f, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(d.n, 3);
    cr_assert_eq(d.dropped, 2);
    cr_assert_eq(d.capped, 1);
    cr_assert_eq(d.us[0], 10);
    cr_assert_eq(d.us[1], 20);
    cr_assert_eq(d.us[2], 25);
    training_durations_destroy(&d);

    f = (struct training_durations_filter){.min_us = 100};
    cr_assert_eq(training_durations_from_values(&d, v, 5, &f, &err), OS_EINVAL);
    f = (struct training_durations_filter){.min_us = 10, .max_us = 5};
    cr_assert_eq(training_durations_from_values(&d, v, 5, &f, &err), OS_EINVAL);

    /* On the trace: the two zero runtimes go with min 1 s; 1 day caps the tail. */
    f = (struct training_durations_filter){.min_us = S, .cap_us = 86400 * S};
    cr_assert_eq(training_durations_from_trace(&d, PHILLY, &f, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(d.n, PHILLY_ROWS - 2);
    cr_assert_eq(d.dropped, 2);
    cr_assert(d.capped > 0);
    cr_assert_eq(d.us[d.n - 1], 86400 * S);
    training_durations_destroy(&d);

    cr_assert_eq(training_durations_from_trace(&d, "no/such/file.csv", NULL, &err), OS_ENOENT);
}

/* ------------------------------------------------------------------------ */
/* Job streams                                                                */

static void gen_cfg(struct training_gen_cfg *c, const struct training_durations *d)
{
    memset(c, 0, sizeof *c);
    c->rate_per_hour = 20;
    c->end_us = 1000 * 3600 * S; /* 1,000 h */
    c->gangs[0] = (struct training_gang){1, 0.5};
    c->gangs[1] = (struct training_gang){4, 0.3};
    c->gangs[2] = (struct training_gang){8, 0.2};
    c->ngangs = 3;
    c->durations = d;
    c->ckpt_interval_us = 1800 * S;
    c->restart_overhead_us = 120 * S;
    c->seed = 11;
}

Test(training, job_stream_is_poisson_with_the_gang_mix_and_deterministic)
{
    const int64_t v[] = {100 * S, 200 * S, 300 * S};
    struct training_durations d;
    struct os_error err;
    cr_assert_eq(training_durations_from_values(&d, v, 3, NULL, &err), OS_OK);
    struct training_gen_cfg c;
    gen_cfg(&c, &d);
    struct training_gen g1, g2;
    cr_assert_eq(training_gen_init(&g1, &c, &err), OS_OK, "%s", err.msg);
    cr_assert_eq(training_gen_init(&g2, &c, &err), OS_OK, "%s", err.msg);
    /* Changing the gang mix must not move the arrival times (separate streams). */
    struct training_gen_cfg c3 = c;
    c3.gangs[0].weight = 0.1;
    struct training_gen g3;
    cr_assert_eq(training_gen_init(&g3, &c3, &err), OS_OK, "%s", err.msg);

    uint64_t count = 0, by[9] = {0};
    int64_t last = 0;
    struct training_spec a, b, e;
    while (training_gen_next(&g1, &a) == 1) {
        cr_assert_eq(training_gen_next(&g2, &b), 1);
        cr_assert_eq(training_gen_next(&g3, &e), 1);
        cr_assert(memcmp(&a, &b, sizeof a) == 0, "same seed, same job");
        cr_assert_eq(a.arrival_us, e.arrival_us);
        cr_assert(a.arrival_us >= last && a.arrival_us < c.end_us);
        last = a.arrival_us;
        double per_gpu = a.work_gpu_s / a.gpus;
        cr_assert(fabs(per_gpu - 100) < EPS || fabs(per_gpu - 200) < EPS ||
                      fabs(per_gpu - 300) < EPS,
                  "work = duration x gpus, got %g", a.work_gpu_s);
        cr_assert_eq(a.ckpt_interval_us, 1800 * S);
        cr_assert_eq(a.restart_overhead_us, 120 * S);
        cr_assert(a.gpus == 1 || a.gpus == 4 || a.gpus == 8);
        by[a.gpus]++;
        count++;
    }
    cr_assert_eq(training_gen_next(&g1, &a), 0, "ended stays ended");
    /* 20,000 expected; Poisson sd 141. */
    cr_assert(fabs((double)count - 20000) < 4 * sqrt(20000.0), "count %llu",
              (unsigned long long)count);
    const double p[9] = {[1] = 0.5, [4] = 0.3, [8] = 0.2};
    for (int gpus = 1; gpus <= 8; gpus++) {
        if (p[gpus] == 0)
            continue;
        double sd = sqrt(count * p[gpus] * (1 - p[gpus]));
        cr_assert(fabs((double)by[gpus] - count * p[gpus]) < 4 * sd, "gpus %d: %llu of %llu", gpus,
                  (unsigned long long)by[gpus], (unsigned long long)count);
    }
    training_gen_destroy(&g1);
    training_gen_destroy(&g2);
    training_gen_destroy(&g3);
    training_gen_destroy(&g3);

    /* Another seed gives other arrivals. */
    c.seed = 12;
    cr_assert_eq(training_gen_init(&g1, &c, &err), OS_OK);
    c.seed = 11;
    cr_assert_eq(training_gen_init(&g2, &c, &err), OS_OK);
    training_gen_next(&g1, &a);
    training_gen_next(&g2, &b);
    cr_assert_neq(a.arrival_us, b.arrival_us);
    training_gen_destroy(&g1);
    training_gen_destroy(&g2);
    training_durations_destroy(&d);
}

Test(training, job_stream_gpu_filter_and_limits)
{
    const int64_t v[] = {60 * S};
    struct training_durations d;
    struct os_error err;
    cr_assert_eq(training_durations_from_values(&d, v, 1, NULL, &err), OS_OK);
    struct training_gen_cfg c;
    gen_cfg(&c, &d);
    c.min_gpus = 2;
    c.max_jobs = 500;
    c.end_us = 0;
    struct training_gen g;
    cr_assert_eq(training_gen_init(&g, &c, &err), OS_OK, "%s", err.msg);
    struct training_spec s;
    uint64_t n = 0, eight = 0;
    while (training_gen_next(&g, &s) == 1) {
        cr_assert(s.gpus == 4 || s.gpus == 8);
        cr_assert_float_eq(s.work_gpu_s, 60.0 * s.gpus, EPS);
        eight += s.gpus == 8;
        n++;
    }
    cr_assert_eq(n, 500);
    /* Renormalised: P(8) = 0.2 / 0.5 = 0.4. */
    cr_assert(fabs((double)eight - 200) < 4 * sqrt(500 * 0.4 * 0.6), "%llu",
              (unsigned long long)eight);
    training_gen_destroy(&g);

    c.min_gpus = 16;
    cr_assert_eq(training_gen_init(&g, &c, &err), OS_EINVAL);
    c.min_gpus = 0;
    c.rate_per_hour = 0;
    cr_assert_eq(training_gen_init(&g, &c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "rate_per_hour"), "%s", err.msg);
    c.rate_per_hour = 1;
    c.durations = NULL;
    cr_assert_eq(training_gen_init(&g, &c, &err), OS_EINVAL);
    training_durations_destroy(&d);
}
