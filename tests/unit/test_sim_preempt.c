/*
 * test_sim_preempt.c - priority classes and preemption of training gangs
 * (models/sim_train.c) through sim_run(), worked by hand.
 *
 * Every job runs exactly D = 7200 s of progress on p3.16xlarge (8 V100,
 * relative speed 1.0): Philly runtimes floored and capped at D. With a
 * restart overhead O = 180 s, a checkpoint every K = 1800 s of progress and a
 * write cost C = 30 s, an uninterrupted run takes O + D + 3 C = 7470 s; a run
 * interrupted e seconds after its start has m = floor((e - O) / (K + C))
 * durable checkpoints and loses the e - O - m (K + C) seconds since the last
 * one (times the gang's GPUs), and the restart (O again, then D - m K of
 * progress) is charged to the loss too (models/workload/training.h).
 *
 * Arrival times and gang sizes are random; each test reads them from the
 * same generator the simulator uses (training_gen, same settings, stream 0)
 * and draws the classes as models/sim_train.c documents (one uniform per job
 * from the stream ("training.priority", 0), the first class whose cumulative
 * normalised weight exceeds it), then searches the seed whose jobs make the
 * situation under test; the expected figures follow from those times.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "models/catalog.h"
#include "models/sim.h"
#include "models/workload/training.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "tests/unit/sim_fixture.h"

#define O_S       180.0
#define K_S       1800.0
#define C_S       30.0
#define D_S       7200.0
#define RUN_S     7470.0 /* O + D + 3 C */
#define HORIZON_S (3 * 86400)

/* %g rate, %d max_jobs, %s gangs, %s priorities, %s variants */
static const char *preempt_json =
    "{\"name\":\"t\",\"kind\":\"simulation\",\"seed\":1,\"duration_s\":259200,"
    "\"cluster\":{\"nodes\":{\"boot_s\":[100,100],\"device_plugin_s\":[50,50]}},"
    "\"workload\":{\"training\":{\"rate_per_hour\":%g,\"max_jobs\":%d,\"min_duration_s\":7200,"
    "\"cap_duration_s\":7200,\"gangs\":[%s],\"restart_overhead_s\":180,"
    "\"checkpoint_interval_s\":1800,\"checkpoint_cost_s\":30,\"cpu_per_gpu\":7,"
    "\"memory_gib_per_gpu\":50%s}},"
    "\"variants\":[%s]}";

static void load(double rate, int max_jobs, const char *gangs, const char *prios,
                 const char *variants)
{
    static char text[8192];
    snprintf(text, sizeof text, preempt_json, rate, max_jobs, gangs, prios, variants);
    load_text(text);
}

static void run(unsigned v, uint64_t seed, struct sim_result *r)
{
    sim_run_ok(v, seed, false, r);
}

/* ------------------------------------------------------------------------ */
/* The job stream of a seed                                                   */

#define MAX_STREAM 8

struct sjob {
    double a;      /* arrival, s */
    uint32_t gpus; /* gang size */
    unsigned cls;  /* priority class index */
};

/* The first n jobs of the stream of `seed` for the loaded scenario: the
 * generator with the settings of models/sim_train.c train_setup, and the
 * class draws of its job_new. */
static void stream_of(uint64_t seed, unsigned n, struct sjob *out)
{
    const struct scenario_training *tr = &sc.workload.training;
    struct os_error err;
    struct training_durations dur;
    int64_t d_us = (int64_t)(D_S * 1e6);
    cr_assert_eq(training_durations_from_values(&dur, &d_us, 1, NULL, &err), 0, "%s", err.msg);
    struct training_gen_cfg gc;
    memset(&gc, 0, sizeof gc);
    gc.rate_per_hour = tr->rate_per_hour;
    gc.end_us = sc.duration_us;
    gc.max_jobs = (uint64_t)tr->max_jobs;
    for (unsigned k = 0; k < tr->ngangs; k++)
        gc.gangs[k] = (struct training_gang){(uint32_t)tr->gangs[k].gpus, tr->gangs[k].weight};
    gc.ngangs = tr->ngangs;
    gc.durations = &dur;
    gc.ckpt_interval_us = tr->ckpt_interval_us;
    gc.restart_overhead_us = tr->restart_overhead_us;
    gc.ckpt_cost_us = tr->ckpt_cost_us;
    gc.seed = seed;
    struct training_gen g;
    cr_assert_eq(training_gen_init(&g, &gc, &err), 0, "%s", err.msg);
    struct rng pr;
    cr_assert_eq(rng_init(&pr, seed, "training.priority", 0, &err), 0, "%s", err.msg);
    double total = 0;
    for (unsigned k = 0; k < tr->npriorities; k++)
        total += tr->priorities[k].weight;
    for (unsigned i = 0; i < n; i++) {
        struct training_spec s;
        cr_assert_eq(training_gen_next(&g, &s), 1);
        out[i].a = (double)s.arrival_us / 1e6;
        out[i].gpus = s.gpus;
        double u = gsl_rng_uniform(pr.r), acc = 0;
        unsigned c = 0;
        for (; c + 1 < tr->npriorities; c++) {
            acc += tr->priorities[c].weight;
            if (u < acc / total)
                break;
        }
        out[i].cls = c;
    }
    rng_destroy(&pr);
    training_gen_destroy(&g);
    training_durations_destroy(&dur);
}

/* The pattern a test needs: gang sizes and classes of its jobs in order. */
static bool pattern(const struct sjob *s, unsigned n, const uint32_t *gpus, const unsigned *cls)
{
    for (unsigned i = 0; i < n; i++)
        if (s[i].gpus != gpus[i] || s[i].cls != cls[i])
            return false;
    return true;
}

/* An interruption e seconds after a first start: durable checkpoints. */
static int ckpts_at(double e)
{
    double t = e - O_S;
    return t <= 0 ? 0 : (int)floor(t / (K_S + C_S));
}

/* ... and the wall time lost since the last of them. */
static double lost_wall(double e)
{
    double t = e - O_S;
    return t <= 0 ? 0 : t - ckpts_at(e) * (K_S + C_S);
}

/* Not within a second of a checkpoint's end or of the overhead's (the tests
 * avoid boundaries a rounding could move). */
static bool clear_of_ckpt(double e)
{
    double t = e - O_S;
    double r = fmod(t, K_S + C_S);
    return t > 1 && r > 1 && r < K_S + C_S - 1;
}

/* The wall time of a restart after m checkpoints: O, then D - m K of progress
 * with a write every K but none at the end. */
static double restart_wall(int m)
{
    double p = D_S - m * K_S;
    return O_S + p + C_S * (ceil(p / K_S) - 1);
}

/* Searches the first seed in [1, limit] whose first n jobs have the pattern
 * and satisfy ok(). */
static uint64_t find_seed(unsigned n, const uint32_t *gpus, const unsigned *cls,
                          bool (*ok)(const struct sjob *), struct sjob *out, uint64_t limit)
{
    for (uint64_t seed = 1; seed <= limit; seed++) {
        stream_of(seed, n, out);
        if (pattern(out, n, gpus, cls) && ok(out))
            return seed;
    }
    cr_assert_fail("no seed up to %llu makes the pattern", (unsigned long long)limit);
    return 0;
}

#define EKS1(name, extra)                                                                          \
    "{\"name\":\"" name                                                                            \
    "\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":\"p3.16xlarge\","                 \
    "\"min_nodes\":1,\"max_nodes\":1" extra "}}"
#define ECS1                                                                                       \
    "{\"name\":\"ecs\",\"orchestrator\":\"ecs\",\"training\":{\"instance_type\":\"p3.16xlarge\","  \
    "\"min_nodes\":1,\"max_nodes\":1}}"
#define EKS_N(n)                                                                                   \
    "{\"name\":\"eks\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":\"p3.16xlarge\","  \
    "\"min_nodes\":" #n ",\"max_nodes\":" #n "}}"

/* classes: 0 low, 1 high */
#define TWO_CLASSES ",\"priorities\":[{\"value\":0},{\"value\":1000}]"

/* ------------------------------------------------------------------------ */
/* One node: EKS preempts, ECS waits                                          */

/* The high job comes after the low one's first checkpoint, before its end. */
static bool mid_run(const struct sjob *s)
{
    double e = s[1].a - s[0].a;
    return e > O_S + K_S + C_S + 60 && e < RUN_S - 60 && clear_of_ckpt(e);
}

/*
 * One 8-GPU node; a low-priority 8-GPU job runs, a high-priority one arrives
 * e seconds later (after at least one checkpoint).
 * EKS: the high job preempts at once (queue 0, JCT 7470 s); the low job has
 * m durable checkpoints, loses 8 x (lost wall + the restart overhead) GPU-s,
 * waits the high job's 7470 s and then runs O + (D - m K) + writes; its JCT
 * is e + 7470 + that.
 * ECS (no preemption) and EKS with preemption off: the high job waits the
 * low job's remaining 7470 - e s.
 */
Test(sim_preempt, eks_preempts_ecs_waits)
{
    load(1, 2, "{\"gpus\":8}", TWO_CLASSES,
         EKS1("eks", "") "," ECS1 "," EKS1("eks-nopre", ",\"preemption\":false"));
    static const uint32_t gpus[] = {8, 8};
    static const unsigned cls[] = {0, 1};
    struct sjob s[2];
    uint64_t seed = find_seed(2, gpus, cls, mid_run, s, 100000);
    double e = s[1].a - s[0].a;
    int m = ckpts_at(e);
    cr_assert_geq(m, 1);
    double low_jct = e + RUN_S + restart_wall(m);
    double lost_h = 8 * (lost_wall(e) + O_S) / 3600;

    struct sim_result k, c, n;
    run(0, seed, &k);
    run(1, seed, &c);
    run(2, seed, &n);
    cr_assert_eq(metric(&k, "job_preemptions"), 1);
    cr_assert_eq(metric(&k, "job_interruptions"), 0, "preemptions are not spot interruptions");
    cr_assert_eq(metric(&k, "jobs_completed"), 2);
    cr_assert_float_eq(metric(&k, "job_queue_mean_high_s"), 0.0, 1e-6);
    cr_assert_float_eq(metric(&k, "jct_mean_high_s"), RUN_S, 1e-6);
    cr_assert_float_eq(metric(&k, "job_queue_mean_low_s"), RUN_S, 1e-6);
    cr_assert_float_eq(metric(&k, "jct_mean_low_s"), low_jct, 1e-5, "e %.6f m %d", e, m);
    cr_assert_float_eq(metric(&k, "lost_gpu_hours"), lost_h, 1e-8);

    for (int i = 0; i < 2; i++) {
        struct sim_result *w = i ? &n : &c;
        cr_assert_eq(metric(w, "job_preemptions"), 0);
        cr_assert_eq(metric(w, "jobs_completed"), 2);
        cr_assert_float_eq(metric(w, "job_queue_mean_high_s"), RUN_S - e, 1e-5);
        cr_assert_float_eq(metric(w, "jct_mean_high_s"), 2 * RUN_S - e, 1e-5);
        cr_assert_float_eq(metric(w, "job_queue_mean_low_s"), 0.0, 1e-6);
        cr_assert_float_eq(metric(w, "jct_mean_low_s"), RUN_S, 1e-6);
        cr_assert_float_eq(metric(w, "lost_gpu_hours"), 0.0, 1e-12);
    }
    sim_result_destroy(&k);
    sim_result_destroy(&c);
    sim_result_destroy(&n);
    catalog_destroy(&cat);
}

static bool both_wait(const struct sjob *s)
{
    return s[2].a - s[0].a < RUN_S - 60;
}

/*
 * Queue order without preemption (ECS): one node runs low job 0; low job 1
 * and then high job 2 arrive and wait. When job 0 ends (a0 + 7470), job 2
 * starts first, and job 1 only when job 2 ends, 7470 s later.
 */
Test(sim_preempt, ecs_starts_the_higher_priority_first)
{
    load(2, 3, "{\"gpus\":8}", TWO_CLASSES, ECS1);
    static const uint32_t gpus[] = {8, 8, 8};
    static const unsigned cls[] = {0, 0, 1};
    struct sjob s[3];
    uint64_t seed = find_seed(3, gpus, cls, both_wait, s, 100000);
    double end0 = s[0].a + RUN_S;

    struct sim_result r;
    run(0, seed, &r);
    cr_assert_eq(metric(&r, "job_preemptions"), 0);
    cr_assert_eq(metric(&r, "jobs_completed"), 3);
    cr_assert_float_eq(metric(&r, "job_queue_mean_high_s"), end0 - s[2].a, 1e-5);
    cr_assert_float_eq(metric(&r, "job_queue_mean_low_s"), (end0 + RUN_S - s[1].a) / 2, 1e-5);
    cr_assert_float_eq(metric(&r, "jct_mean_low_s"), (RUN_S + end0 + 2 * RUN_S - s[1].a) / 2, 1e-5);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

/* ------------------------------------------------------------------------ */
/* Victim selection                                                           */

/* Jobs 0..n-2 all run when job n-1 arrives, and the last victim candidates
 * are interrupted clear of a checkpoint. */
static bool all_overlap4(const struct sjob *s)
{
    return s[3].a - s[0].a < RUN_S - 60 && clear_of_ckpt(s[3].a - s[0].a);
}

/*
 * Two nodes, classes -5 (low) and 1000 (high). Job 0 (low, 8 GPUs) fills one
 * node; jobs 1 and 2 (low, 4 GPUs each) share the other; job 3 (high, 8 GPUs)
 * arrives. On either node SelectVictimsOnNode must evict everything (no
 * reprieve leaves 8 GPUs): one victim of priority -5 on the first node, two
 * on the second. pickOneNodeForPreemption: no PDBs; the highest victim
 * priority ties (-5); the sums of priorities shifted by 2^31 differ:
 * 2^31 - 5 against 2 (2^31 - 5), so the first node wins and only job 0 is
 * preempted (unshifted sums, -5 against -10, would evict jobs 1 and 2).
 * Job 0 restarts when jobs 1 and 2 have left the other node, at a2 + 7470.
 */
Test(sim_preempt, lowest_shifted_priority_sum_picks_the_node)
{
    load(4, 4, "{\"gpus\":4},{\"gpus\":8}",
         ",\"priorities\":[{\"value\":-5,\"weight\":3},{\"value\":1000}]", EKS_N(2));
    static const uint32_t gpus[] = {8, 4, 4, 8};
    static const unsigned cls[] = {0, 0, 0, 1};
    struct sjob s[4];
    uint64_t seed = find_seed(4, gpus, cls, all_overlap4, s, 1000000);
    double e0 = s[3].a - s[0].a;
    int m = ckpts_at(e0);
    double restart_at = s[2].a + RUN_S;
    double jct0 = restart_at + restart_wall(m) - s[0].a;

    struct sim_result r;
    run(0, seed, &r);
    cr_assert_eq(metric(&r, "job_preemptions"), 1);
    cr_assert_float_eq(metric(&r, "lost_gpu_hours"), 8 * (lost_wall(e0) + O_S) / 3600, 1e-8);
    cr_assert_eq(metric(&r, "jobs_completed"), 4);
    cr_assert_float_eq(metric(&r, "jct_mean_high_s"), RUN_S, 1e-6);
    cr_assert_float_eq(metric(&r, "job_queue_mean_high_s"), 0.0, 1e-6);
    cr_assert_float_eq(metric(&r, "jct_mean_low_s"), (jct0 + 2 * RUN_S) / 3, 1e-5);
    cr_assert_float_eq(metric(&r, "job_queue_mean_low_s"), (restart_at - s[3].a) / 3, 1e-5);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

static bool latest_start_ok(const struct sjob *s)
{
    double e0 = s[2].a - s[0].a, e1 = s[2].a - s[1].a;
    return e0 < RUN_S - 60 && clear_of_ckpt(e0) && clear_of_ckpt(e1) &&
           fabs(lost_wall(e0) - lost_wall(e1)) > 10;
}

/*
 * Two nodes, each running one low 8-GPU job (job 0 started first); a high
 * 8-GPU job arrives. Both nodes offer one victim of the same priority: the
 * sums and counts tie, so the latest start time of the highest-priority
 * victims decides: job 1 (the younger) is preempted, whatever node it is on.
 * It loses what it did since its last checkpoint and restarts when job 0
 * leaves, at a0 + 7470.
 */
Test(sim_preempt, latest_started_victim_is_preempted)
{
    load(2, 3, "{\"gpus\":8}", TWO_CLASSES, EKS_N(2));
    static const uint32_t gpus[] = {8, 8, 8};
    static const unsigned cls[] = {0, 0, 1};
    struct sjob s[3];
    uint64_t seed = find_seed(3, gpus, cls, latest_start_ok, s, 1000000);
    double e1 = s[2].a - s[1].a;
    double jct1 = s[0].a + RUN_S + restart_wall(ckpts_at(e1)) - s[1].a;

    struct sim_result r;
    run(0, seed, &r);
    cr_assert_eq(metric(&r, "job_preemptions"), 1);
    cr_assert_float_eq(metric(&r, "lost_gpu_hours"), 8 * (lost_wall(e1) + O_S) / 3600, 1e-8);
    cr_assert_float_eq(metric(&r, "jct_mean_low_s"), (RUN_S + jct1) / 2, 1e-5);
    cr_assert_float_eq(metric(&r, "job_queue_mean_low_s"), (s[0].a + RUN_S - s[2].a) / 2, 1e-5);
    cr_assert_float_eq(metric(&r, "jct_mean_high_s"), RUN_S, 1e-6);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

static bool reprieve_ok(const struct sjob *s)
{
    double e1 = s[2].a - s[1].a;
    return s[2].a - s[0].a < RUN_S - 60 && clear_of_ckpt(e1);
}

/*
 * One node holding two low 4-GPU jobs; a high 4-GPU job arrives. Without
 * both, 8 GPUs are free; the reprieve adds back the more important one first
 * (equal priority: the earlier start, job 0), which still leaves 4 GPUs, so
 * only job 1 is a victim. Job 1 restarts when job 0 ends, at a0 + 7470.
 */
Test(sim_preempt, reprieve_keeps_the_longer_running_pod)
{
    load(2, 3, "{\"gpus\":4}", TWO_CLASSES, EKS1("eks", ""));
    static const uint32_t gpus[] = {4, 4, 4};
    static const unsigned cls[] = {0, 0, 1};
    struct sjob s[3];
    uint64_t seed = find_seed(3, gpus, cls, reprieve_ok, s, 100000);
    double e1 = s[2].a - s[1].a;
    double jct1 = s[0].a + RUN_S + restart_wall(ckpts_at(e1)) - s[1].a;

    struct sim_result r;
    run(0, seed, &r);
    cr_assert_eq(metric(&r, "job_preemptions"), 1);
    cr_assert_float_eq(metric(&r, "lost_gpu_hours"), 4 * (lost_wall(e1) + O_S) / 3600, 1e-8);
    cr_assert_float_eq(metric(&r, "jct_mean_low_s"), (RUN_S + jct1) / 2, 1e-5);
    cr_assert_float_eq(metric(&r, "jct_mean_high_s"), RUN_S, 1e-6);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

/* ------------------------------------------------------------------------ */
/* Preemption that cannot help                                                */

static bool all_overlap5(const struct sjob *s)
{
    return s[4].a - s[0].a < RUN_S - 60;
}

/*
 * Two nodes, each running one low and one high 4-GPU job (spreading puts
 * jobs 0 and 1 on different nodes, then 2 and 3 one on each); a high 8-GPU
 * job arrives. The low jobs hold 8 GPUs in all, but on either node evicting
 * the low job frees only 4: no node is a candidate, nothing is preempted,
 * and the job waits for the first node to empty, the one job 2 left last, at
 * a2 + 7470 (jobs 0 and 1 came earlier).
 */
Test(sim_preempt, victims_too_small_on_every_node)
{
    load(4, 5, "{\"gpus\":4},{\"gpus\":8}", TWO_CLASSES, EKS_N(2));
    static const uint32_t gpus[] = {4, 4, 4, 4, 8};
    static const unsigned cls[] = {0, 0, 1, 1, 1};
    struct sjob s[5];
    uint64_t seed = find_seed(5, gpus, cls, all_overlap5, s, 1000000);

    struct sim_result r;
    run(0, seed, &r);
    cr_assert_eq(metric(&r, "job_preemptions"), 0);
    cr_assert_float_eq(metric(&r, "lost_gpu_hours"), 0.0, 1e-12);
    cr_assert_eq(metric(&r, "jobs_completed"), 5);
    cr_assert_float_eq(metric(&r, "jct_mean_low_s"), RUN_S, 1e-6);
    cr_assert_float_eq(metric(&r, "job_queue_mean_high_s"), (s[2].a + RUN_S - s[4].a) / 3, 1e-5);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

static bool all_overlap6(const struct sjob *s)
{
    return s[5].a - s[0].a < RUN_S - 60;
}

/*
 * All or nothing: three nodes; job 0 (low, 8 GPUs) fills one, jobs 1 and 2
 * (low, 4) go to the other two (spreading), jobs 3 and 4 (high, 4) fill them
 * up. A high 16-GPU gang (two 8-GPU pods) arrives: the low jobs hold 16 GPUs,
 * and the first pod could preempt job 0, but the second finds no node where
 * evicting lower-priority pods frees 8 GPUs; so nothing is preempted and the
 * gang waits for two empty nodes: job 0's at a0 + 7470 and the node job 3
 * leaves, at a3 + 7470.
 */
Test(sim_preempt, gang_preempts_all_or_nothing)
{
    load(6, 6,
         "{\"gpus\":4,\"weight\":0.7},{\"gpus\":8,\"weight\":0.15},"
         "{\"gpus\":16,\"weight\":0.15}",
         TWO_CLASSES,
         "{\"name\":\"eks\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
         "\"p3.16xlarge\",\"min_nodes\":3,\"max_nodes\":3}}");
    static const uint32_t gpus[] = {8, 4, 4, 4, 4, 16};
    static const unsigned cls[] = {0, 0, 0, 1, 1, 1};
    struct sjob s[6];
    uint64_t seed = find_seed(6, gpus, cls, all_overlap6, s, 2000000);
    double start = s[3].a + RUN_S;

    struct sim_result r;
    run(0, seed, &r);
    cr_assert_eq(metric(&r, "job_preemptions"), 0);
    cr_assert_float_eq(metric(&r, "lost_gpu_hours"), 0.0, 1e-12);
    cr_assert_eq(metric(&r, "jobs_completed"), 6);
    cr_assert_float_eq(metric(&r, "jct_mean_low_s"), RUN_S, 1e-6);
    cr_assert_float_eq(metric(&r, "job_queue_mean_high_s"), (start - s[5].a) / 3, 1e-5);
    cr_assert_float_eq(metric(&r, "jct_mean_high_s"), (3 * RUN_S + start - s[5].a) / 3, 1e-5);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

/* ------------------------------------------------------------------------ */
/* Scenario keys and common random numbers                                    */

/* ECS refuses preemption, naming the path; equal values are refused. */
Test(sim_preempt, scenario_checks_name_the_path)
{
    static char text[8192];
    static struct schema_diag d;
    snprintf(text, sizeof text, preempt_json, 1.0, 2, "{\"gpus\":8}", TWO_CLASSES,
             "{\"name\":\"ecs\",\"orchestrator\":\"ecs\",\"training\":{\"instance_type\":"
             "\"p3.16xlarge\",\"preemption\":true}}");
    memset(&d, 0, sizeof d);
    cr_assert_neq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0);
    cr_assert_eq(d.n, 1);
    cr_assert(strstr(d.line[0], "t.json: $.variants[0].training.preemption: ECS has no preemption"),
              "%s", d.line[0]);

    snprintf(text, sizeof text, preempt_json, 1.0, 2, "{\"gpus\":8}",
             ",\"priorities\":[{\"value\":7},{\"value\":7}]", EKS1("eks", ""));
    memset(&d, 0, sizeof d);
    cr_assert_neq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0);
    cr_assert_eq(d.n, 1);
    cr_assert(strstr(d.line[0], "$.workload.training.priorities[1].value: 7 repeats"), "%s",
              d.line[0]);

    /* the defaults: on for EKS, off for ECS; explicit false is fine on ECS */
    snprintf(text, sizeof text, preempt_json, 1.0, 2, "{\"gpus\":8}", TWO_CLASSES,
             EKS1("eks", "") "," ECS1 ",{\"name\":\"ecs2\",\"orchestrator\":\"ecs\",\"training\":{"
                             "\"instance_type\":\"p3.16xlarge\",\"preemption\":false}}");
    memset(&d, 0, sizeof d);
    cr_assert_eq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0, "%s",
                 d.line[0]);
    cr_assert(sc.variants[0].training.preemption);
    cr_assert(!sc.variants[1].training.preemption);
    cr_assert(!sc.variants[2].training.preemption);
    cr_assert_eq(sc.workload.training.npriorities, 2);
    cr_assert_eq(sc.workload.training.priorities[1].value, 1000);
    cr_assert_float_eq(sc.workload.training.priorities[1].weight, 1.0, 0);
}

/*
 * Priority classes come from their own stream: with ample warm capacity (no
 * job waits, so the order and preemption never matter) a workload with
 * classes runs exactly the jobs of the same workload without them; the
 * per-class figures are NaN with one class and split the jobs with two.
 */
Test(sim_preempt, classes_leave_the_other_draws_unchanged)
{
    const char *v = "{\"name\":\"eks\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
                    "\"p3.16xlarge\",\"min_nodes\":8,\"max_nodes\":8}}";
    load(1, 20, "{\"gpus\":8}", "", v);
    struct sim_result a, b;
    run(0, 5, &a);
    catalog_destroy(&cat);
    load(1, 20, "{\"gpus\":8}", TWO_CLASSES, v);
    run(0, 5, &b);
    cr_assert_eq(metric(&a, "jobs_completed"), 20);
    cr_assert_eq(metric(&b, "jobs_completed"), 20);
    cr_assert_float_eq(metric(&a, "jct_mean_s"), RUN_S, 1e-6);
    cr_assert_float_eq(metric(&b, "jct_mean_s"), RUN_S, 1e-6);
    cr_assert_eq(metric(&a, "cost_usd"), metric(&b, "cost_usd"));
    cr_assert_eq(metric(&a, "gpu_alloc_pct"), metric(&b, "gpu_alloc_pct"));
    cr_assert(isnan(metric(&a, "jct_mean_high_s")) && isnan(metric(&a, "job_queue_mean_low_s")));
    cr_assert_float_eq(metric(&b, "jct_mean_high_s"), RUN_S, 1e-6);
    cr_assert_float_eq(metric(&b, "jct_mean_low_s"), RUN_S, 1e-6);
    cr_assert_eq(metric(&b, "job_preemptions"), 0);
    sim_result_destroy(&a);
    sim_result_destroy(&b);
    catalog_destroy(&cat);
}
