/*
 * test_replay.c - the timed replay (models/replay.h): hand-worked cases on
 * tiny clusters (queueing delay, a pod that leaves while pending, backoff,
 * CPU-only pods, the allocation integral), time scaling, the fast retry pass
 * against an exhaustive one, determinism across thread counts, and input
 * errors.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/replay.h"
#include "sim/metrics.h"
#include "sim/scenario.h"

#define OPENB "scenarios/traces/alibaba-gpu-2023-openb/"
#define POD_HDR                                                                                    \
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"            \
    "deletion_time,scheduled_time\n"
#define NODE_HDR "sn,cpu_milli,memory_mib,gpu,model\n"

/* Writes text to a fresh temporary file; path receives its name. */
static void write_tmp(char *path, size_t n, const char *text)
{
    snprintf(path, n, "/tmp/orchsim-replay-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

struct fixture {
    char nodes[64], pods[64];
    struct replay_cfg cfg;
    struct replay_result res;
};

/* A config over the given node and pod CSV bodies, one variant of `policy`,
 * one seed, backoff off. */
static void setup(struct fixture *fx, const char *nodes, const char *pods, const char *policy)
{
    memset(fx, 0, sizeof *fx);
    char buf[8192];
    snprintf(buf, sizeof buf, NODE_HDR "%s", nodes);
    write_tmp(fx->nodes, sizeof fx->nodes, buf);
    snprintf(buf, sizeof buf, POD_HDR "%s", pods);
    write_tmp(fx->pods, sizeof fx->pods, buf);
    struct replay_cfg *c = &fx->cfg;
    snprintf(c->nodes_csv, sizeof c->nodes_csv, "%s", fx->nodes);
    snprintf(c->pods_csv, sizeof c->pods_csv, "%s", fx->pods);
    c->pods_format = TRACE_OPENB_POD;
    c->seed0 = 42;
    c->nseeds = 1;
    c->nvariants = 1;
    snprintf(c->variants[0].name, sizeof c->variants[0].name, "%s", policy);
    snprintf(c->variants[0].policy, sizeof c->variants[0].policy, "%s", policy);
    c->threads = 1;
}

static void run_ok(struct fixture *fx)
{
    struct os_error err = {{0}};
    cr_assert_eq(replay_run(&fx->cfg, &fx->res, &err), 0, "%s", err.msg);
}

static void teardown(struct fixture *fx)
{
    replay_result_destroy(&fx->res);
    unlink(fx->nodes);
    unlink(fx->pods);
}

static void assert_near(double got, double want, const char *what)
{
    cr_assert(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want)), "%s: got %.12g, want %.12g", what,
              got, want);
}

/* Two nodes with one GPU each. */
#define TWO_NODES "n0,8000,16384,1,T4\nn1,8000,16384,1,T4\n"

/* Three one-GPU pods arriving at 0, 10, 20 s and leaving at 100, 50, 200 s:
 * the third waits until the second leaves at 50 s. */
#define THREE_PODS                                                                                 \
    "a,1000,1024,1,1000,,LS,Running,0,100,0\n"                                                     \
    "b,1000,1024,1,1000,,LS,Running,10,50,10\n"                                                    \
    "c,1000,1024,1,1000,,LS,Running,20,200,21\n"

Test(replay, third_pod_waits_for_a_deletion)
{
    struct fixture fx;
    setup(&fx, TWO_NODES, THREE_PODS, "bestfit");
    fx.cfg.backoff_initial_us = 1000000; /* kube-scheduler's defaults: expired by 50 s */
    fx.cfg.backoff_max_us = 10000000;
    run_ok(&fx);
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(fx.res.end_us, 200 * 1000000LL, "ends at the last deletion");
    cr_assert_eq(r->pods, 3);
    cr_assert_eq(r->scheduled, 3);
    cr_assert_eq(r->unscheduled, 0);
    cr_assert_eq(r->delayed, 1);
    assert_near(r->pending_max_s, 30, "delay of c");
    assert_near(r->pending_mean_s, 10, "mean delay");
    assert_near(r->pending_p50_s, 0, "p50 (rank 2 of 0, 0, 30)");
    assert_near(r->pending_p99_s, 30, "p99 (rank 3)");
    assert_near(r->pending_peak, 1, "one pod pending over [20, 50)");
    /* GPUs in use: 1 on [0,10), 2 on [10,100), 1 on [100,200): 290 GPU-s of 400. */
    assert_near(r->gpu_alloc_pct, 72.5, "allocation");
    /* pods running: 1,2,2 (b then c),1: (10 + 80 + 100 + 100) / 200 */
    assert_near(r->running_mean, 1.45, "running");
    /* The original scheduler: delays 0, 0, 1 s. */
    cr_assert_eq(fx.res.trace_scheduled, 3);
    assert_near(fx.res.trace_pending_p99_s, 1, "trace p99");
    assert_near(fx.res.trace_pending_p50_s, 0, "trace p50");
    teardown(&fx);
}

Test(replay, time_scale_two_doubles_every_time)
{
    struct fixture fx;
    setup(&fx, TWO_NODES, THREE_PODS, "fgd");
    fx.cfg.time_scale = 2;
    run_ok(&fx);
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(fx.res.end_us, 400 * 1000000LL);
    assert_near(r->pending_max_s, 60, "delay of c");
    assert_near(r->pending_mean_s, 20, "mean delay");
    assert_near(r->gpu_alloc_pct, 72.5, "allocation is a ratio");
    assert_near(fx.res.trace_pending_p99_s, 2, "trace delay scales too");
    teardown(&fx);
}

Test(replay, pod_deleted_while_pending_leaves_unscheduled)
{
    struct fixture fx;
    setup(&fx, "n0,8000,16384,1,T4\n",
          "a,1000,1024,1,1000,,LS,Running,0,100,0\n"
          "b,1000,1024,1,500,,LS,Pending,10,50,\n",
          "bestfit");
    run_ok(&fx);
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(fx.res.end_us, 100 * 1000000LL);
    cr_assert_eq(r->pods, 2);
    cr_assert_eq(r->scheduled, 1);
    cr_assert_eq(r->unscheduled, 1);
    cr_assert_eq(r->pending_end, 0);
    assert_near(r->pending_peak, 1, "b pending over [10, 50)");
    assert_near(r->gpu_alloc_pct, 100, "a holds the GPU all the time");
    cr_assert_eq(fx.res.trace_scheduled, 1, "b has no scheduled_time");
    teardown(&fx);
}

/* a and c fill both GPUs; b arrives at 10; a leaves at 12; e arrives at 13;
 * c leaves at 20. */
#define BACKOFF_PODS                                                                               \
    "a,1000,1024,1,1000,,LS,Running,0,12,0\n"                                                      \
    "c,1000,1024,1,1000,,LS,Running,0,20,0\n"                                                      \
    "b,1000,1024,1,1000,,LS,Running,10,50,10\n"                                                    \
    "e,1000,1024,1,1000,,LS,Running,13,40,13\n"

Test(replay, backoff_delays_the_retry_and_doubles)
{
    /* Backoff 4 s, cap 16 s. b fails at 10 (backoff to 14); a's deletion at
     * 12 moves it, but it waits for 14; e arrives at 13 and takes the GPU;
     * b fails again at 14 (backoff 8 s, to 22); c's deletion at 20 moves
     * it; it is placed at 22: a delay of 12 s. */
    struct fixture fx;
    setup(&fx, TWO_NODES, BACKOFF_PODS, "bestfit");
    fx.cfg.backoff_initial_us = 4000000;
    fx.cfg.backoff_max_us = 16000000;
    run_ok(&fx);
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(r->scheduled, 4);
    cr_assert_eq(r->delayed, 1);
    assert_near(r->pending_max_s, 12, "b waits 10 -> 22");
    /* GPUs: 2 [0,12) 1 [12,13) 2 [13,20) 1 [20,22) 2 [22,40) 1 [40,50) = 87 of 100 */
    assert_near(r->gpu_alloc_pct, 87, "allocation");
    cr_assert_eq(r->attempts, 6, "a, c, b, e, b at 14, b at 22");
    teardown(&fx);
}

Test(replay, without_backoff_a_deletion_places_at_once)
{
    /* The same trace without backoff: b is placed at 12 (2 s), e then waits
     * from 13 to 20 (7 s). */
    struct fixture fx;
    setup(&fx, TWO_NODES, BACKOFF_PODS, "bestfit");
    run_ok(&fx);
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(r->scheduled, 4);
    cr_assert_eq(r->delayed, 2);
    assert_near(r->pending_max_s, 7, "e waits 13 -> 20");
    assert_near(r->pending_mean_s, 9.0 / 4, "delays 0, 0, 2, 7");
    /* GPUs: 2 [0,12) 2 [12,20) 2 [20,40) 1 [40,50) = 90 of 100 */
    assert_near(r->gpu_alloc_pct, 90, "allocation");
    teardown(&fx);
}

Test(replay, cpu_only_pod_waits_for_cpu)
{
    /* One node, 1 GPU and 4 CPUs. p holds the GPU and 1 CPU; q1 (CPU-only)
     * takes 3 CPUs until 30; q2 (CPU-only, 2 CPUs) arrives at 10 and is
     * placed when q1 leaves, though no GPU share was freed. */
    struct fixture fx;
    setup(&fx, "n0,4000,16384,1,T4\n",
          "p,1000,1024,1,1000,,LS,Running,0,100,0\n"
          "q1,3000,1024,0,0,,LS,Running,0,30,0\n"
          "q2,2000,1024,0,0,,LS,Running,10,60,10\n",
          "fgd");
    run_ok(&fx);
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(r->scheduled, 3);
    cr_assert_eq(r->unscheduled, 0);
    assert_near(r->pending_max_s, 20, "q2 waits 10 -> 30");
    assert_near(r->gpu_alloc_pct, 100, "p holds the GPU");
    teardown(&fx);
}

Test(replay, deletion_and_arrival_at_one_instant)
{
    /* b arrives exactly when a leaves: deletions come first, b never waits. */
    struct fixture fx;
    setup(&fx, "n0,8000,16384,1,T4\n",
          "a,1000,1024,1,1000,,LS,Running,0,50,0\n"
          "b,1000,1024,1,1000,,LS,Running,50,80,50\n",
          "gpupacking");
    run_ok(&fx);
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(r->delayed, 0);
    cr_assert_eq(r->scheduled, 2);
    assert_near(r->gpu_alloc_pct, 100, "no gap");
    teardown(&fx);
}

Test(replay, start_and_max_pods_select_the_window)
{
    /* start 15 s: a (deleted at 12) is skipped; c (created at 0, alive)
     * arrives at 0; b at 10 -> 0 as well (created before the start); e at 13
     * -> 0. max_pods 2 keeps the first two by creation: c, then b. */
    struct fixture fx;
    setup(&fx, TWO_NODES, BACKOFF_PODS, "bestfit");
    fx.cfg.start_us = 15000000;
    fx.cfg.max_pods = 2;
    run_ok(&fx);
    cr_assert_eq(fx.res.pods_skipped, 1);
    cr_assert_eq(fx.res.pods_replayed, 2);
    cr_assert_eq(fx.res.end_us, 35 * 1000000LL, "b leaves at 50 - 15");
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(r->scheduled, 2);
    /* c on [0,5), b on [0,35): 40 GPU-s of 70 */
    assert_near(r->gpu_alloc_pct, 100.0 * 40 / 70, "allocation");
    teardown(&fx);
}

Test(replay, duration_cuts_the_run_and_timeseries_holds_interval_means)
{
    struct fixture fx;
    setup(&fx, TWO_NODES, THREE_PODS, "bestfit");
    fx.cfg.duration_us = 40 * 1000000LL;
    fx.cfg.interval_us = 10 * 1000000LL;
    run_ok(&fx);
    const struct replay_run *r = &fx.res.runs[0];
    cr_assert_eq(r->pods, 3);
    cr_assert_eq(r->scheduled, 2);
    cr_assert_eq(r->pending_end, 1, "c still waits at 40 s");
    /* Means over (0,10], (10,20], (20,30], (30,40]: GPUs in use 1, 2, 2, 2;
     * pods pending 0, 0, 1, 1; running 1, 2, 2, 2. */
    const char *want = "bestfit,42,10,2,2,1.0000,0,0.0000,0.0000,1.0000,\n"
                       "bestfit,42,20,2,2,2.0000,0,0.0000,0.0000,2.0000,\n"
                       "bestfit,42,30,2,2,2.0000,0,0.0000,1.0000,2.0000,\n"
                       "bestfit,42,40,2,2,2.0000,0,0.0000,1.0000,2.0000,\n";
    cr_assert_not_null(r->series);
    cr_assert_eq(r->series_len, strlen(want));
    cr_assert(memcmp(r->series, want, r->series_len) == 0, "%.*s", (int)r->series_len, r->series);
    teardown(&fx);
}

Test(replay, dlrm_trace_replays_with_open_ended_times)
{
    /* One node, 16 CPUs and 2 GPUs. i0 existed before the trace (empty
     * creation: arrives at 0) and never leaves (empty deletion); i2 (CPU
     * only, 8 CPUs) arrives at 5 and takes the other 8 CPUs; i1 (1 GPU, 4
     * CPUs) arrives at 10, finds no CPU and leaves unscheduled at 30. */
    char nodes[64], pods[64];
    write_tmp(nodes, sizeof nodes, NODE_HDR "n0,16000,65536,2,A10\n");
    write_tmp(pods, sizeof pods,
              "instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,"
              "rdma_request,rdma_limit,memory_request,memory_limit,disk_request,disk_limit,"
              "max_instance_per_node,creation_time,scheduled_time,deletion_time\n"
              "i0,HN,app_0,8,8,1,1,25,25,8.0,8.0,10.0,10.0,-1,,,\n"
              "i1,HN,app_0,4,4,1,1,25,25,8.0,8.0,10.0,10.0,-1,10.0,12.0,30.0\n"
              "i2,CN,app_1,8,8,0,0,0,0,8.0,8.0,10.0,10.0,-1,5.0,5.0,60.0\n");
    struct replay_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.nodes_csv, sizeof cfg.nodes_csv, "%s", nodes);
    snprintf(cfg.pods_csv, sizeof cfg.pods_csv, "%s", pods);
    cfg.pods_format = TRACE_DLRM;
    cfg.seed0 = 1;
    cfg.nseeds = 1;
    cfg.nvariants = 1;
    snprintf(cfg.variants[0].name, sizeof cfg.variants[0].name, "fgd");
    snprintf(cfg.variants[0].policy, sizeof cfg.variants[0].policy, "fgd");
    struct replay_result res;
    struct os_error err = {{0}};
    cr_assert_eq(replay_run(&cfg, &res, &err), 0, "%s", err.msg);
    const struct replay_run *r = &res.runs[0];
    cr_assert_eq(res.end_us, 60 * 1000000LL, "the last finite deletion");
    cr_assert_eq(r->pods, 3);
    cr_assert_eq(r->scheduled, 2);
    cr_assert_eq(r->unscheduled, 1);
    assert_near(r->gpu_alloc_pct, 50, "i0 holds one of two GPUs throughout");
    cr_assert_eq(res.trace_scheduled, 2, "i0 has no creation time");
    assert_near(res.trace_pending_p99_s, 2, "i1 was bound 2 s after creation");
    replay_result_destroy(&res);
    unlink(nodes);
    unlink(pods);
}

/* ---- the openb trace ---- */

/* The first 3000 pods of the default list's 34-day window on 0.8 % of the
 * GPU nodes (9 nodes, 42 GPUs): enough contention for pods to wait. */
static void openb_cfg(struct replay_cfg *c, const char *policy)
{
    memset(c, 0, sizeof *c);
    snprintf(c->nodes_csv, sizeof c->nodes_csv, OPENB "openb_node_list_gpu_node.csv");
    snprintf(c->pods_csv, sizeof c->pods_csv, OPENB "openb_pod_list_default.csv");
    c->pods_format = TRACE_OPENB_POD;
    c->node_fraction = 0.008;
    c->start_us = 9964800 * 1000000LL;
    c->max_pods = 3000;
    c->seed0 = 42;
    c->nseeds = 1;
    c->nvariants = 1;
    snprintf(c->variants[0].name, sizeof c->variants[0].name, "%s", policy);
    snprintf(c->variants[0].policy, sizeof c->variants[0].policy, "%s", policy);
}

static void assert_same_outcome(const struct replay_run *a, const struct replay_run *b,
                                double tscale)
{
    cr_assert_eq(a->pods, b->pods);
    cr_assert_eq(a->scheduled, b->scheduled);
    cr_assert_eq(a->unscheduled, b->unscheduled);
    cr_assert_eq(a->delayed, b->delayed);
    assert_near(b->gpu_alloc_pct, a->gpu_alloc_pct, "gpu_alloc_pct");
    assert_near(b->frag_pct, a->frag_pct, "frag_pct");
    assert_near(b->pending_mean_s, a->pending_mean_s * tscale, "pending_mean_s");
    assert_near(b->pending_p99_s, a->pending_p99_s * tscale, "pending_p99_s");
    assert_near(b->pending_max_s, a->pending_max_s * tscale, "pending_max_s");
    assert_near(b->pending_peak, a->pending_peak, "pending_peak");
}

Test(replay, openb_fast_pass_equals_exhaustive_retries, .timeout = 60)
{
    /* Without backoff, moving only the pods a freed node can host (with the
     * early stop) must place exactly what retrying every pending pod does. */
    const char *const policies[] = {"bestfit", "fgd", "dotprod"};
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        struct replay_cfg cfg;
        openb_cfg(&cfg, policies[i]);
        struct replay_result fast, slow;
        struct os_error err = {{0}};
        cr_assert_eq(replay_run(&cfg, &fast, &err), 0, "%s", err.msg);
        cfg.exhaustive_retry = true;
        cr_assert_eq(replay_run(&cfg, &slow, &err), 0, "%s", err.msg);
        cr_assert_gt(fast.runs[0].delayed, 10, "%s: the case needs contention", policies[i]);
        assert_same_outcome(&fast.runs[0], &slow.runs[0], 1.0);
        cr_assert_lt(fast.runs[0].attempts, slow.runs[0].attempts, "the fast pass tries less");
        replay_result_destroy(&fast);
        replay_result_destroy(&slow);
    }
}

Test(replay, openb_time_scale_two_doubles_delays, .timeout = 60)
{
    /* Without backoff every event keeps its order when all times double. */
    const char *const policies[] = {"random", "fgd"};
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        struct replay_cfg cfg;
        openb_cfg(&cfg, policies[i]);
        struct replay_result one, two;
        struct os_error err = {{0}};
        cr_assert_eq(replay_run(&cfg, &one, &err), 0, "%s", err.msg);
        cfg.time_scale = 2;
        cr_assert_eq(replay_run(&cfg, &two, &err), 0, "%s", err.msg);
        cr_assert_eq(two.end_us, 2 * one.end_us);
        cr_assert_gt(one.runs[0].delayed, 0);
        assert_same_outcome(&one.runs[0], &two.runs[0], 2.0);
        assert_near(two.trace_pending_p99_s, 2 * one.trace_pending_p99_s, "trace p99");
        replay_result_destroy(&one);
        replay_result_destroy(&two);
    }
}

Test(replay, openb_runs_are_identical_for_any_thread_count, .timeout = 60)
{
    struct replay_cfg cfg;
    openb_cfg(&cfg, "random");
    cfg.nvariants = 3;
    snprintf(cfg.variants[1].name, sizeof cfg.variants[1].name, "fgd");
    snprintf(cfg.variants[1].policy, sizeof cfg.variants[1].policy, "fgd");
    snprintf(cfg.variants[2].name, sizeof cfg.variants[2].name, "k8s");
    snprintf(cfg.variants[2].policy, sizeof cfg.variants[2].policy, "k8s-default");
    cfg.nseeds = 2;
    cfg.backoff_initial_us = 1000000;
    cfg.backoff_max_us = 10000000;
    cfg.interval_us = 3600 * 1000000LL;
    cfg.series_all_seeds = true;
    struct replay_result a, b;
    struct os_error err = {{0}};
    cfg.threads = 1;
    cr_assert_eq(replay_run(&cfg, &a, &err), 0, "%s", err.msg);
    cfg.threads = 4;
    cr_assert_eq(replay_run(&cfg, &b, &err), 0, "%s", err.msg);
    for (unsigned i = 0; i < 6; i++) {
        const struct replay_run *x = &a.runs[i], *y = &b.runs[i];
        assert_same_outcome(x, y, 1.0);
        cr_assert_eq(x->attempts, y->attempts);
        cr_assert_eq(x->events, y->events);
        cr_assert_eq(x->series_len, y->series_len);
        cr_assert(memcmp(x->series, y->series, x->series_len) == 0, "run %u series differ", i);
    }
    /* The random policy depends on the seed; its two seeds differ. */
    cr_assert(a.runs[0].gpu_alloc_pct != a.runs[1].gpu_alloc_pct ||
              a.runs[0].unscheduled != a.runs[1].unscheduled);
    replay_result_destroy(&a);
    replay_result_destroy(&b);
}

/* ---- errors ---- */

Test(replay, five_column_pod_list_has_no_times)
{
    struct replay_cfg cfg;
    openb_cfg(&cfg, "fgd");
    snprintf(cfg.pods_csv, sizeof cfg.pods_csv, OPENB "openb_pod_list_multigpu20.csv");
    struct replay_result res;
    struct os_error err = {{0}};
    cr_assert_eq(replay_run(&cfg, &res, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "openb_pod_list_multigpu20.csv:2: pod ") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "has no creation or deletion time") != NULL, "%s", err.msg);
}

Test(replay, missing_column_names_file_and_line)
{
    struct fixture fx;
    setup(&fx, TWO_NODES, "a,1000,1024,1,1000,,LS,Running,0,100,0\nb,1000,1024,1,1000,,LS\n",
          "fgd");
    struct os_error err = {{0}};
    cr_assert_eq(replay_run(&fx.cfg, &fx.res, &err), OS_EPARSE);
    char want[128];
    snprintf(want, sizeof want, "%s:3: expected", fx.pods);
    cr_assert(strstr(err.msg, want) == err.msg, "%s", err.msg);
    cr_assert_null(strchr(err.msg, '\n'), "one line");
    unlink(fx.nodes);
    unlink(fx.pods);
}

Test(replay, bad_config_is_rejected)
{
    struct replay_cfg cfg;
    openb_cfg(&cfg, "fgdd");
    struct replay_result res;
    struct os_error err = {{0}};
    cr_assert_eq(replay_run(&cfg, &res, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "unknown placement 'fgdd'") != NULL, "%s", err.msg);
    openb_cfg(&cfg, "fgd");
    cfg.node_fraction = 0.0001; /* keeps no node */
    cr_assert_eq(replay_run(&cfg, &res, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "keeps no GPU node") != NULL, "%s", err.msg);
}

Test(replay, quantile_is_nearest_rank)
{
    int64_t v[] = {30, 0, 0};
    metrics_sort_i64(v, 3); /* 0, 0, 30 */
    cr_assert_eq(v[2], 30);
    cr_assert_eq(replay_quantile(v, 3, 0.5), 0);
    cr_assert_eq(replay_quantile(v, 3, 0.99), 30);
    cr_assert_eq(replay_quantile(v, 3, 0), 0);
    cr_assert(isnan(replay_quantile(v, 0, 0.5)));
}

/* ---- the scenario schema of kind "replay" ---- */

#define REPLAY_JSON(extra)                                                                         \
    "{\"name\": \"r\", \"kind\": \"replay\", " extra "\"cluster\": {\"nodes_csv\": \"n.csv\"},"    \
    " \"workload\": {\"pods_csv\": \"p.csv\"}, \"variants\": [{\"name\": \"f\", \"placement\": "   \
    "\"fgd\"}]}"

static int load(const char *text, struct scenario *sc, struct schema_diag *d)
{
    memset(d, 0, sizeof *d);
    return scenario_load_text("r.json", text, strlen(text), NULL, 0, sc, d);
}

Test(replay, scenario_defaults)
{
    static struct scenario sc;
    struct schema_diag d;
    cr_assert_eq(load(REPLAY_JSON(""), &sc, &d), 0, "%s", d.line[0]);
    cr_assert_eq(sc.kind, SCENARIO_REPLAY);
    cr_assert_eq(sc.duration_us, 0, "until the last deletion");
    cr_assert_eq(sc.interval_us, 300 * 1000000LL);
    cr_assert_eq(sc.workload.pods_format, SCENARIO_PODS_OPENB);
    cr_assert_eq(sc.workload.time_scale, 1.0);
    cr_assert_eq(sc.workload.start_us, 0);
    cr_assert_eq(sc.workload.max_pods, 0);
    cr_assert_eq(sc.workload.pod_initial_backoff_us, 1000000, "kube-scheduler's 1 s");
    cr_assert_eq(sc.workload.pod_max_backoff_us, 10000000, "and 10 s");
    cr_assert_eq(sc.cluster.node_fraction, 1.0);
}

Test(replay, scenario_keys_and_errors)
{
    static struct scenario sc;
    struct schema_diag d;
    cr_assert_eq(load(REPLAY_JSON("\"duration_s\": 3600, "), &sc, &d), 0, "%s", d.line[0]);
    cr_assert_eq(sc.duration_us, 3600 * 1000000LL);
    const char *bad = "{\"name\": \"r\", \"kind\": \"replay\", \"cluster\": {}, \"workload\": "
                      "{\"time_scale\": 0, \"pods_format\": \"dlrn\"}, \"variants\": [{\"name\": "
                      "\"f\"}]}";
    cr_assert_neq(load(bad, &sc, &d), 0);
    const char *want[] = {"$.workload.time_scale: expected simulated seconds per trace second",
                          "$.workload.pods_format", "did you mean 'dlrm'",
                          "$.cluster.nodes_csv: missing required key",
                          "$.variants[0].placement: missing required key"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        bool found = false;
        for (unsigned k = 0; k < d.n && k < SCHEMA_DIAG_MAX; k++)
            found = found || strstr(d.line[k], want[i]) != NULL;
        cr_assert(found, "no diagnostic with '%s' (first: %s)", want[i], d.line[0]);
    }
}
