/*
 * test_sim.c - the simulation kind end to end through sim_run(): Little's law
 * on every run, determinism, common random numbers, cold-start timings
 * against the lifecycle delays, and the checks that need the catalog.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "models/catalog.h"
#include "models/sim.h"
#include "sim/scenario.h"
#include "tests/unit/sim_fixture.h"

static const char *base_json =
    "{\"name\":\"t\",\"kind\":\"simulation\",\"seed\":7,\"duration_s\":%d,"
    "\"cluster\":{\"nodes\":{\"boot_s\":[80,120],\"device_plugin_s\":[30,90]}},"
    "\"workload\":{\"inference\":{\"arrivals\":\"%s\","
    "\"trace_csv\":\"scenarios/traces/azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv\","
    "\"mean_rate_per_s\":%g,\"amplitude\":0.6,\"peak_hour\":1,\"slo_s\":20,\"cpu\":0.9,"
    "\"memory_gib\":3,\"model_memory_gb\":5,\"image_pull_s\":[300,480],"
    "\"model_load_s\":[60,120],\"min_replicas\":1,\"max_replicas\":40,\"initial_replicas\":2}},"
    "\"variants\":["
    "{\"name\":\"ecs\",\"orchestrator\":\"ecs\",\"instance_type\":\"g5.xlarge\",\"max_nodes\":20},"
    "{\"name\":\"eks\",\"orchestrator\":\"eks\",\"instance_type\":\"g5.xlarge\",\"max_nodes\":20},"
    "{\"name\":\"ts2\",\"orchestrator\":\"eks\",\"instance_type\":\"g5.xlarge\","
    "\"sharing\":\"timeslice\",\"replicas_per_gpu\":2,\"max_nodes\":20},"
    "{\"name\":\"spot\",\"orchestrator\":\"ecs\",\"instance_type\":\"g5.xlarge\",\"max_nodes\":20,"
    "\"spot\":{\"pct\":100,\"interruptions_per_hour\":0.2}}]}";

static void load(int duration_s, const char *arrivals, double rate)
{
    char text[4096];
    snprintf(text, sizeof text, base_json, duration_s, arrivals, rate);
    load_text(text);
}

static void run(unsigned v, uint64_t seed, bool series, struct sim_result *r)
{
    sim_run_ok(v, seed, series, r);
}

Test(sim, littles_law_and_accounting_on_every_variant)
{
    load(4 * 3600, "diurnal", 4);
    for (unsigned v = 0; v < sc.nvariants; v++) {
        struct sim_result r;
        run(v, 7, false, &r);
        cr_assert_lt(metric(&r, "littles_law_rel_err"), 1e-9, "variant %u", v);
        double total = metric(&r, "requests_total");
        /* 4 h at a mean near 4/s (sine around 1:00) */
        cr_assert_gt(total, 20000);
        cr_assert_leq(metric(&r, "gpu_alloc_pct"), 100.0 + 1e-9);
        cr_assert_leq(metric(&r, "gpu_util_pct"), metric(&r, "gpu_alloc_pct") + 1e-9);
        cr_assert_geq(metric(&r, "cost_usd"), 0);
        /* TCO = cloud + operations */
        cr_assert_float_eq(metric(&r, "tco_usd"),
                           metric(&r, "cost_usd") + metric(&r, "ops_cost_usd"), 1e-6);
        sim_result_destroy(&r);
    }
    catalog_destroy(&cat);
}

Test(sim, same_seed_same_output)
{
    load(2 * 3600, "diurnal", 4);
    struct sim_result a, b;
    run(1, 11, true, &a);
    run(1, 11, true, &b);
    cr_assert_eq(a.nmetrics, b.nmetrics);
    cr_assert_eq(memcmp(a.value, b.value, a.nmetrics * sizeof a.value[0]), 0);
    cr_assert_eq(a.series_len, b.series_len);
    cr_assert_eq(memcmp(a.series, b.series, a.series_len), 0);
    sim_result_destroy(&a);
    sim_result_destroy(&b);
    catalog_destroy(&cat);
}

/* Every variant sees the same requests for one seed (common random numbers):
 * the paired difference of a metric between two variants varies much less
 * over seeds than the difference between independent seeds. */
Test(sim, common_random_numbers_shrink_paired_variance)
{
    load(3 * 3600, "diurnal", 3);
    enum { N = 6 };
    double paired[N], indep[N], a[N], b[N], b2[N];
    for (int s = 0; s < N; s++) {
        struct sim_result ra, rb, rb2;
        run(0, 100 + s, false, &ra);  /* ecs whole */
        run(1, 100 + s, false, &rb);  /* eks whole, same seed */
        run(1, 500 + s, false, &rb2); /* independent seed */
        a[s] = metric(&ra, "requests_total");
        b[s] = metric(&rb, "requests_total");
        b2[s] = metric(&rb2, "requests_total");
        paired[s] = metric(&rb, "latency_p50_ms") - metric(&ra, "latency_p50_ms");
        indep[s] = metric(&rb2, "latency_p50_ms") - metric(&ra, "latency_p50_ms");
        sim_result_destroy(&ra);
        sim_result_destroy(&rb);
        sim_result_destroy(&rb2);
    }
    for (int s = 0; s < N; s++) {
        cr_assert_eq(a[s], b[s], "same seed, same arrivals");
        cr_assert_neq(a[s], b2[s], "another seed, other arrivals");
    }
    double vp = gsl_stats_variance(paired, 1, N), vi = gsl_stats_variance(indep, 1, N);
    cr_log_info("latency_p50 difference variance: paired %.1f, independent %.1f", vp, vi);
    cr_assert_lt(vp, vi / 2, "paired %.1f vs independent %.1f", vp, vi);
    catalog_destroy(&cat);
}

/* A replica that needs a new node waits for the capacity provider tick
 * (<= 60 s), boot (80-120 s) and agent registration (30-90 s) before it is
 * placed, then the first image pull (300-480 s) and the model load
 * (60-120 s): placement delay of such tasks lies in [110, 270] s and the
 * start in [470, 870] s, plus up to the 300-s instance warm-up when managed
 * scaling holds a further scale-out until the last launch has warmed up.
 * With traffic rising fast from a small service almost every new task
 * needs a new node. */
Test(sim, ecs_cold_start_matches_lifecycle_delays)
{
    load(6 * 3600, "diurnal", 6);
    struct sim_result r;
    run(0, 3, false, &r);
    double pend = metric(&r, "pending_p50_s"), start = metric(&r, "replica_start_p50_s");
    cr_log_info("ECS: pending p50 %.0f s, start p50 %.0f s", pend, start);
    cr_assert(pend >= 110 && pend <= 270 + 300, "pending p50 %.0f s", pend);
    cr_assert(start >= 470 && start <= 870 + 300, "start p50 %.0f s", start);
    cr_assert(start - pend >= 360 && start - pend <= 600, "pull + load %.0f s", start - pend);
    cr_assert_gt(metric(&r, "instances_launched"), 2);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

/* Spot at a constant hazard of 0.2 per instance-hour: interruptions happen,
 * the service replaces the replicas and keeps serving. */
Test(sim, spot_interruptions_are_replaced)
{
    load(12 * 3600, "diurnal", 4);
    struct sim_result r;
    run(3, 5, false, &r);
    double n = metric(&r, "spot_interruptions");
    cr_assert_gt(n, 0);
    cr_assert_gt(metric(&r, "spot_savings_usd"), 0);
    cr_assert_gt(metric(&r, "slo_attainment_pct"), 50);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

Test(sim, catalog_checks_name_the_path)
{
    load(3600, "diurnal", 1);
    static struct schema_diag d;
    memset(&d, 0, sizeof d);
    snprintf(sc.variants[1].instance_type, sizeof sc.variants[1].instance_type, "g5.xlarg");
    sc.variants[2].replicas_per_gpu = 8; /* 24 GB / 8 = 3 GB < 5 GB */
    sim_check(&sc, &cat, &d);
    cr_assert_eq(d.n, 2, "%u", d.n);
    cr_assert_str_eq(d.line[0], "t.json: $.variants[1].instance_type: unknown instance type "
                                "'g5.xlarg' (did you mean 'g5.xlarge'?)");
    cr_assert(strstr(d.line[1], "$.variants[2]: the model needs 5.0 GB but its "
                                "1/replicas_per_gpu share of GPU memory has 3.0 GB"),
              "%s", d.line[1]);
    catalog_destroy(&cat);
}

/* ------------------------------------------------------------------------ */
/* Training jobs                                                              */

/* One node group of p3.16xlarge (8 V100, relative speed 1.0); every Philly
 * runtime is capped at and floored to `dur` seconds, so every job's work is
 * exactly dur x gpus GPU-seconds. %s: extra workload keys; %s: variants. */
static const char *train_json =
    "{\"name\":\"t\",\"kind\":\"simulation\",\"seed\":3,\"duration_s\":%d,"
    "\"cluster\":{\"nodes\":{\"boot_s\":[100,100],\"device_plugin_s\":[50,50]}},"
    "\"workload\":{\"training\":{\"rate_per_hour\":%g,\"min_duration_s\":%d,"
    "\"cap_duration_s\":%d,\"gangs\":[{\"gpus\":%d}],\"restart_overhead_s\":180,"
    "\"checkpoint_interval_s\":1800,\"checkpoint_cost_s\":30,\"cpu_per_gpu\":7,"
    "\"memory_gib_per_gpu\":50%s}},"
    "\"variants\":[%s]}";

static void load_train(int duration_s, double rate, int dur, int gpus, const char *extra,
                       const char *variants)
{
    char text[4096];
    snprintf(text, sizeof text, train_json, duration_s, rate, dur, dur, gpus, extra, variants);
    load_text(text);
}

/* One 8-GPU job on a warm node: JCT = restart overhead 180 s + work
 * 3600 x 8 / (8 x 1.0) = 3600 s + one 30-s checkpoint write (at 1800 s of
 * progress; none at completion) = 3810 s, no queueing; goodput = the kept
 * progress over the allocation = 3600 / 3810. */
Test(sim, training_job_time_by_hand)
{
    load_train(6 * 3600, 0.5, 3600, 8, ",\"max_jobs\":1",
               "{\"name\":\"eks\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"min_nodes\":1,\"max_nodes\":2}},"
               "{\"name\":\"ecs\",\"orchestrator\":\"ecs\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"min_nodes\":1,\"max_nodes\":2}}");
    for (unsigned v = 0; v < 2; v++) {
        struct sim_result r;
        run(v, 3, false, &r);
        cr_assert_eq(metric(&r, "jobs_completed"), 1, "variant %u", v);
        cr_assert_float_eq(metric(&r, "jct_mean_s"), 3810.0, 1e-6, "variant %u", v);
        cr_assert_float_eq(metric(&r, "job_queue_mean_s"), 0.0, 1e-9);
        cr_assert_float_eq(metric(&r, "goodput_pct"), 100.0 * 3600 / 3810, 1e-9);
        cr_assert_float_eq(metric(&r, "lost_gpu_hours"), 0.0, 1e-12);
        cr_assert(isnan(metric(&r, "latency_p99_ms")), "no inference: NaN");
        sim_result_destroy(&r);
    }
    catalog_destroy(&cat);
}

/* With no node at all, Karpenter batches the pending pod (idle window 1 s),
 * launches a NodeClaim, which boots (100 s) and registers its GPUs (50 s):
 * the job waits exactly 151 s. On ECS the task waits in PROVISIONING for the
 * next capacity provider step (every minute; CapacityProviderReservation
 * above target scales out at once from zero instances), then the same 150 s:
 * a wait in (150, 210]. */
Test(sim, training_waits_for_capacity)
{
    load_train(6 * 3600, 0.5, 3600, 8, ",\"max_jobs\":1",
               "{\"name\":\"eks\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"max_nodes\":2}},"
               "{\"name\":\"ecs\",\"orchestrator\":\"ecs\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"max_nodes\":2}}");
    struct sim_result k, e;
    run(0, 3, false, &k);
    run(1, 3, false, &e);
    cr_assert_float_eq(metric(&k, "job_queue_mean_s"), 151.0, 1e-6);
    cr_assert_float_eq(metric(&k, "jct_mean_s"), 151.0 + 3810.0, 1e-6);
    cr_assert_gt(metric(&e, "job_queue_mean_s"), 150.0);
    cr_assert_leq(metric(&e, "job_queue_mean_s"), 210.0);
    cr_assert_eq(metric(&e, "jobs_completed"), 1);
    sim_result_destroy(&k);
    sim_result_destroy(&e);
    catalog_destroy(&cat);
}

/* A gang of 16 GPUs needs two 8-GPU nodes at once: all or nothing. */
Test(sim, training_gang_spans_nodes)
{
    load_train(6 * 3600, 0.5, 3600, 16, ",\"max_jobs\":1",
               "{\"name\":\"eks\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"min_nodes\":1,\"max_nodes\":4}}");
    struct sim_result r;
    run(0, 3, false, &r);
    /* one warm node is not enough: a second one comes after 151 s */
    cr_assert_float_eq(metric(&r, "job_queue_mean_s"), 151.0, 1e-6);
    cr_assert_float_eq(metric(&r, "jct_mean_s"), 151.0 + 3810.0, 1e-6);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

/* Spot: a long run with a constant hazard. The interruption count is inside
 * the Poisson 99 % interval of rate x the spot instance-hours at risk; every
 * interruption of a busy node destroys work; shorter checkpoint intervals
 * lose less (paired runs: same jobs, same seed). */
static unsigned poisson_q(double p, double mu)
{
    unsigned k = 0;
    while (gsl_cdf_poisson_P(k, mu) < p)
        k++;
    return k;
}

Test(sim, training_spot_interruptions_and_checkpoints)
{
    load_train(10 * 86400, 3, 7200, 8, "",
               "{\"name\":\"ck10\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"max_nodes\":16,\"checkpoint_interval_s\":600,"
               "\"spot\":{\"pct\":100,\"interruptions_per_hour\":0.1}}},"
               "{\"name\":\"ck60\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"max_nodes\":16,\"checkpoint_interval_s\":3600,"
               "\"spot\":{\"pct\":100,\"interruptions_per_hour\":0.1}}},"
               "{\"name\":\"od\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"max_nodes\":16}}");
    struct sim_result a, b, o;
    run(0, 5, false, &a);
    run(1, 5, false, &b);
    run(2, 5, false, &o);
    for (int k = 0; k < 2; k++) {
        const struct sim_result *r = k ? &b : &a;
        double mu = 0.1 * metric(r, "spot_instance_hours");
        double n = metric(r, "spot_interruptions");
        unsigned lo = poisson_q(0.005, mu), hi = poisson_q(0.995, mu);
        cr_assert(n >= lo && n <= hi, "%g interruptions, Poisson(%.1f) 99%% [%u, %u]", n, mu, lo,
                  hi);
        cr_assert_gt(metric(r, "job_interruptions"), 5);
        cr_assert_gt(metric(r, "lost_gpu_hours"), 0);
    }
    cr_assert_lt(metric(&a, "lost_gpu_hours"), metric(&b, "lost_gpu_hours"));
    cr_assert_eq(metric(&o, "spot_interruptions"), 0);
    cr_assert_eq(metric(&o, "lost_gpu_hours"), 0);
    cr_assert_gt(metric(&o, "goodput_pct"), metric(&b, "goodput_pct"));
    /* spot is cheaper per GPU-hour than on demand */
    cr_assert_lt(metric(&a, "cost_per_gpu_hour_usd"), metric(&o, "cost_per_gpu_hour_usd"));
    sim_result_destroy(&a);
    sim_result_destroy(&b);
    sim_result_destroy(&o);
    catalog_destroy(&cat);
}

/* Gangs that do not split into whole nodes, and pods that do not fit a
 * node, are refused with the JSON path. */
Test(sim, training_checks_name_the_path)
{
    char text[4096];
    snprintf(text, sizeof text, train_json, 3600, 1.0, 600, 600, 12, "",
             "{\"name\":\"a\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
             "\"p3.16xlarge\"}}");
    static struct schema_diag d;
    memset(&d, 0, sizeof d);
    cr_assert_eq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0);
    struct os_error err;
    cr_assert_eq(catalog_load(&cat, sc.cluster.catalog, &err), 0, "%s", err.msg);
    sim_check(&sc, &cat, &d);
    cr_assert_eq(d.n, 1);
    cr_assert(strstr(d.line[0], "$.workload.training.gangs[0].gpus: a gang of 12 GPUs"), "%s",
              d.line[0]);
    catalog_destroy(&cat);
    memset(&d, 0, sizeof d);
    snprintf(text, sizeof text, train_json, 3600, 1.0, 600, 600, 1, "",
             "{\"name\":\"a\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
             "\"g4dn.xlarge\"}}");
    cr_assert_eq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0);
    cr_assert_eq(catalog_load(&cat, sc.cluster.catalog, &err), 0, "%s", err.msg);
    sim_check(&sc, &cat, &d);
    cr_assert_eq(d.n, 1);
    cr_assert(strstr(d.line[0], "$.variants[0].training.instance_type: a pod of 1 GPUs needs"),
              "%s", d.line[0]);
    catalog_destroy(&cat);
}

/* ------------------------------------------------------------------------ */
/* Fargate and rolling deployments                                            */

/* One small model on Fargate for an hour, one task all along: 0.5 vCPU and
 * 2 GiB = 2.147 GB round up to the 0.5 vCPU / 3 GB size, billed
 * 0.5 x 0.04048 + 3 x 0.004445 = 0.033575 $ for the hour; EKS adds its
 * control plane, 0.10 $. */
Test(sim, fargate_fleet_bills_task_size_by_hand)
{
    load_text("{\"name\":\"t\",\"kind\":\"simulation\",\"seed\":1,\"duration_s\":3600,"
              "\"cluster\":{},\"workload\":{\"fleet\":{\"models\":1,\"mean_rate_per_s\":0.05,"
              "\"cpu\":0.5,\"memory_gib\":2,\"min_replicas\":1,\"max_replicas\":1,"
              "\"initial_replicas\":1}},"
              "\"variants\":[{\"name\":\"ecs\",\"orchestrator\":\"ecs\",\"fleet\":{\"launch_type\":"
              "\"fargate\"}},{\"name\":\"eks\",\"orchestrator\":\"eks\",\"fleet\":{\"launch_type\":"
              "\"fargate\"}}]}");
    struct sim_result e, k;
    run(0, 1, false, &e);
    run(1, 1, false, &k);
    cr_assert_float_eq(metric(&e, "fargate_cost_usd"), 0.033575, 1e-9);
    cr_assert_float_eq(metric(&e, "cost_usd"), 0.033575, 1e-9);
    cr_assert_float_eq(metric(&k, "cost_usd"), 0.033575 + 0.10, 1e-9);
    cr_assert_eq(metric(&e, "gpu_hours"), 0);
    cr_assert_gt(metric(&e, "fleet_requests_total"), 20); /* night-time diurnal traffic */
    sim_result_destroy(&e);
    sim_result_destroy(&k);
    catalog_destroy(&cat);
}

/* A rolling deployment of 4 replicas, one per g5.xlarge, with fixed
 * timings. ECS 100/200: 4 new tasks start while the 4 old keep running (never
 * fewer than 4 healthy); the new tasks need new instances: the capacity
 * provider's next step (every minute) launches them, 100 s boot + 50 s
 * registration, 300 s image pull + 60 s load, so the rollout takes
 * (0, 60] + 510 s. EKS 25/25: at most 5 pods and at least 3 running: at
 * 1000 s one old pod stops (its node still drains its requests) and two new
 * pods wait for two Karpenter nodes (1-s batch, 100-s boot, 50-s
 * registration: schedulable at 1151, ready after the 300-s pull and 60-s
 * load at 1511); then the last two old pods go and their replacements run
 * on nodes that hold the new image or need it pulled once more: at least
 * 151 + 2 x 360 = 871 s, at most that plus the batch windows and pod
 * backoffs (10 s each). At most 4 + 2 nodes: the 4 old ones and the two
 * launched for the first pair (a seventh would mean more than 5 pods). */
Test(sim, rolling_deployment_keeps_min_healthy)
{
    load_text("{\"name\":\"t\",\"kind\":\"simulation\",\"seed\":1,\"duration_s\":7200,"
              "\"timeseries_interval_s\":5,"
              "\"cluster\":{\"nodes\":{\"boot_s\":[100,100],\"device_plugin_s\":[50,50]}},"
              "\"workload\":{\"inference\":{\"arrivals\":\"diurnal\",\"mean_rate_per_s\":0.5,"
              "\"trace_csv\":\"scenarios/traces/azure-llm-inference-2023/"
              "AzureLLMInferenceTrace_conv.csv\",\"cpu\":0.9,\"memory_gib\":3,"
              "\"model_memory_gb\":5,\"image_pull_s\":[300,300],\"model_load_s\":[60,60],"
              "\"min_replicas\":4,\"max_replicas\":4,\"initial_replicas\":4,"
              "\"deploy_at_s\":[1000]}},"
              "\"variants\":[{\"name\":\"ecs\",\"orchestrator\":\"ecs\",\"instance_type\":"
              "\"g5.xlarge\"},{\"name\":\"eks\",\"orchestrator\":\"eks\",\"instance_type\":"
              "\"g5.xlarge\"}]}");
    for (unsigned v = 0; v < 2; v++) {
        struct sim_result r;
        run(v, 1, true, &r);
        cr_assert_eq(metric(&r, "rollouts"), 1, "variant %u", v);
        double d = metric(&r, "rollout_mean_s");
        if (v == 0)
            cr_assert(d > 510 && d <= 570, "ECS rollout %g s", d);
        else
            cr_assert(d >= 871 && d <= 891, "EKS rollout %g s", d);
        /* replicas serving (timeseries column 7) never below min healthy */
        int min_ok = v == 0 ? 4 : 3, lo = 1000, seen = 0;
        double max_nodes = 0;
        const char *p = r.series;
        while (p && *p) {
            double t, nodes, gpus, alloc;
            int reps;
            if (sscanf(strchr(p, ',') + 1, "%*[^,],%lf,%lf,%lf,%lf,%d", &t, &nodes, &gpus, &alloc,
                       &reps) == 5 &&
                t > 0) {
                lo = reps < lo ? reps : lo;
                max_nodes = nodes > max_nodes ? nodes : max_nodes;
                seen++;
            }
            p = strchr(p, '\n');
            p = p ? p + 1 : NULL;
        }
        cr_assert_gt(seen, 1000);
        cr_assert_geq(lo, min_ok, "variant %u: %d replicas at some point", v, lo);
        if (v == 1)
            cr_assert_leq(max_nodes, 6, "EKS: %g nodes", max_nodes);
        sim_result_destroy(&r);
    }
    catalog_destroy(&cat);
}

/* Replicas serving (timeseries column 7) at the last sample <= t_s. */
static int replicas_at(const struct sim_result *r, double t_s)
{
    int last = -1;
    for (const char *p = r->series; p && *p;) {
        double t, nodes, gpus, alloc;
        int reps;
        if (sscanf(strchr(p, ',') + 1, "%*[^,],%lf,%lf,%lf,%lf,%d", &t, &nodes, &gpus, &alloc,
                   &reps) == 5 &&
            t <= t_s)
            last = reps;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return last;
}

static const char *scale_json =
    "{\"name\":\"t\",\"kind\":\"simulation\",\"seed\":1,\"duration_s\":3600,"
    "\"timeseries_interval_s\":30,"
    "\"cluster\":{\"nodes\":{\"boot_s\":[100,100],\"device_plugin_s\":[50,50]}},"
    "\"workload\":{\"inference\":{\"arrivals\":\"diurnal\",\"mean_rate_per_s\":%g,"
    "\"amplitude\":0,\"trace_csv\":\"scenarios/traces/azure-llm-inference-2023/"
    "AzureLLMInferenceTrace_conv.csv\",\"cpu\":0.9,\"memory_gib\":3,\"model_memory_gb\":5,"
    "\"image_pull_s\":[300,300],\"model_load_s\":[60,60],\"min_replicas\":1,"
    "\"max_replicas\":10,\"initial_replicas\":%d}},"
    "\"variants\":[{\"name\":\"v\",\"orchestrator\":\"%s\",\"instance_type\":\"g5.xlarge\","
    "\"scaling\":%s}]}";

/* ECS step scaling in the loop: an out alarm that always breaches (metric >=
 * 0) adds 3 tasks at the first minute and again after each 300-s cooldown:
 * desired 1 -> 4 (60 s) -> 7 (360 s) -> 10 (660 s). An in alarm that always
 * breaches removes one task per cooldown down to the minimum, 1. */
Test(sim, ecs_step_scaling_by_hand)
{
    char text[4096];
    snprintf(text, sizeof text, scale_json, 0.5, 1, "ecs",
             "{\"policy\":\"step\",\"step_out_threshold\":0,\"steps_out\":[{\"lower\":0,"
             "\"adjustment\":3}],\"step_in_threshold\":-1,\"steps_in\":[{\"upper\":0,"
             "\"adjustment\":-1}]}");
    load_text(text);
    struct sim_result r;
    run(0, 1, true, &r);
    cr_assert_leq(replicas_at(&r, 300), 4);
    /* the cooldown shows in serving replicas: the 3 tasks asked at 60 s
     * serve by 1000 s and those asked at 360 s by 1200 s, each about 14 min
     * after the ask (capacity provider scale-out, boot, registration, a
     * 300-s pull, a 60-s load: sim::ecs_cold_start_matches_lifecycle_delays);
     * without the cooldown all 9 would be asked at once and 10 would serve
     * at 1000 s */
    cr_assert_eq(replicas_at(&r, 1000), 4);
    cr_assert_eq(replicas_at(&r, 1200), 7);
    cr_assert_eq(replicas_at(&r, 3600), 10);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
    snprintf(text, sizeof text, scale_json, 0.5, 10, "ecs",
             "{\"policy\":\"step\",\"step_out_threshold\":1e9,\"steps_out\":[{\"lower\":0,"
             "\"adjustment\":3}],\"step_in_threshold\":1e9,\"steps_in\":[{\"upper\":0,"
             "\"adjustment\":-1}]}");
    load_text(text);
    run(0, 1, true, &r);
    /* the first step at 60 s, then one per 300 s: 9 at 60 s, 8 at 360 s */
    cr_assert_eq(replicas_at(&r, 30), 10);
    cr_assert_eq(replicas_at(&r, 90), 9);
    cr_assert_eq(replicas_at(&r, 400), 8);
    cr_assert_eq(replicas_at(&r, 700), 7);
    cr_assert_eq(replicas_at(&r, 3600), 1);
    sim_result_destroy(&r);
    catalog_destroy(&cat);
}

/* HPA behavior in the loop: scale-up limited to 1 pod per 120 s, against a
 * load that asks for the maximum at once: the desired count grows by one
 * every 120 s, so after 20 min at most 1 + 10 replicas could exist. */
Test(sim, hpa_behavior_limits_scale_up)
{
    char text[4096];
    snprintf(text, sizeof text, scale_json, 6.0, 1, "eks",
             "{\"target\":1,\"behavior\":{\"scale_up\":{\"policies\":[{\"type\":\"Pods\","
             "\"value\":1,\"period_s\":120}]}}}");
    load_text(text);
    struct sim_result slow, fast;
    run(0, 1, true, &slow);
    catalog_destroy(&cat);
    snprintf(text, sizeof text, scale_json, 6.0, 1, "eks", "{\"target\":1}");
    load_text(text);
    run(0, 1, true, &fast);
    /* default behavior: 4 pods or 100 % per 15 s: the maximum within a minute */
    cr_assert_leq(replicas_at(&slow, 900), 1 + 900 / 120);
    cr_assert_gt(replicas_at(&fast, 900), replicas_at(&slow, 900));
    cr_assert_eq(replicas_at(&fast, 3600), 10);
    sim_result_destroy(&slow);
    sim_result_destroy(&fast);
    catalog_destroy(&cat);
}

/* Start failures: half of the start attempts crash. Both orchestrators
 * still finish the rollout, later than without failures: ECS relaunches a
 * failed task after its throttle delay (10 s doubling), Kubernetes restarts
 * the container in place after CrashLoopBackOff (10 s doubling, max 300 s). */
Test(sim, start_failures_slow_a_rollout)
{
    const char *fmt =
        "{\"name\":\"t\",\"kind\":\"simulation\",\"seed\":1,\"duration_s\":14400,"
        "\"cluster\":{\"nodes\":{\"boot_s\":[100,100],\"device_plugin_s\":[50,50]}},"
        "\"workload\":{\"inference\":{\"arrivals\":\"diurnal\",\"mean_rate_per_s\":0.5,"
        "\"trace_csv\":\"scenarios/traces/azure-llm-inference-2023/"
        "AzureLLMInferenceTrace_conv.csv\",\"cpu\":0.9,\"memory_gib\":3,"
        "\"model_memory_gb\":5,\"image_pull_s\":[300,300],\"model_load_s\":[60,60],"
        "\"min_replicas\":4,\"max_replicas\":4,\"initial_replicas\":4,"
        "\"deploy_at_s\":[1000],\"start_failure_prob\":%g}},"
        "\"variants\":[{\"name\":\"ecs\",\"orchestrator\":\"ecs\",\"instance_type\":"
        "\"g5.xlarge\"},{\"name\":\"eks\",\"orchestrator\":\"eks\",\"instance_type\":"
        "\"g5.xlarge\"}]}";
    char text[4096];
    double base[2];
    for (int pass = 0; pass < 2; pass++) {
        snprintf(text, sizeof text, fmt, pass ? 0.5 : 0.0);
        load_text(text);
        for (unsigned v = 0; v < 2; v++) {
            struct sim_result r;
            run(v, 1, false, &r);
            cr_assert_eq(metric(&r, "rollouts"), 1, "pass %d variant %u", pass, v);
            double d = metric(&r, "rollout_mean_s");
            if (!pass) {
                base[v] = d;
                cr_assert(isnan(metric(&r, "task_start_failures")));
            } else {
                cr_assert_gt(metric(&r, "task_start_failures"), 0);
                cr_assert_gt(d, base[v] + 10, "variant %u: %g vs %g", v, d, base[v]);
            }
            sim_result_destroy(&r);
        }
        catalog_destroy(&cat);
    }
}

/* Rebalance recommendations are counted only when enabled; a recommendation
 * precedes its interruption notice, so over a long run their count is close
 * to the interruptions' (differences only at the horizon and for nodes
 * interrupted within the lead time of their launch). */
Test(sim, spot_rebalance_recommendations_counted)
{
    load_train(5 * 86400, 3, 7200, 8, "",
               "{\"name\":\"reb\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"max_nodes\":16,\"spot\":{\"pct\":100,"
               "\"interruptions_per_hour\":0.1,\"rebalance\":true}}},"
               "{\"name\":\"off\",\"orchestrator\":\"eks\",\"training\":{\"instance_type\":"
               "\"p3.16xlarge\",\"max_nodes\":16,\"spot\":{\"pct\":100,"
               "\"interruptions_per_hour\":0.1}}}");
    struct sim_result a, b;
    run(0, 5, false, &a);
    run(1, 5, false, &b);
    double n = metric(&a, "spot_rebalance_recommendations");
    double k = metric(&a, "spot_interruptions");
    cr_assert_gt(n, 5);
    cr_assert_lt(fabs(n - k), 0.2 * k + 3, "%g recommendations, %g interruptions", n, k);
    cr_assert(isnan(metric(&b, "spot_rebalance_recommendations")));
    sim_result_destroy(&a);
    sim_result_destroy(&b);
    catalog_destroy(&cat);
}

/* Several metrics: the primary target never asks for more (backlog 1000 per
 * replica), a second one does (busy-slot utilization above 10 %). ECS: any
 * target tracking policy may scale out; EKS: the HPA takes the largest
 * proposal. Without the second metric the service stays at 1 replica. */
Test(sim, several_scaling_metrics)
{
    const char *orch[2] = {"ecs", "eks"};
    for (int v = 0; v < 2; v++) {
        char text[4096];
        struct sim_result one, two;
        snprintf(text, sizeof text, scale_json, 1.0, 1, orch[v], "{\"target\":1000}");
        load_text(text);
        run(0, 1, true, &one);
        catalog_destroy(&cat);
        snprintf(text, sizeof text, scale_json, 1.0, 1, orch[v],
                 "{\"target\":1000,\"more_metrics\":[{\"metric\":\"utilization\",\"target\":10}]}");
        load_text(text);
        run(0, 1, true, &two);
        catalog_destroy(&cat);
        cr_assert_eq(replicas_at(&one, 3600), 1, "%s: %d", orch[v], replicas_at(&one, 3600));
        cr_assert_gt(replicas_at(&two, 3600), 2, "%s: %d", orch[v], replicas_at(&two, 3600));
        sim_result_destroy(&one);
        sim_result_destroy(&two);
    }
}
