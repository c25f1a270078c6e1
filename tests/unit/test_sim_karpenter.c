/*
 * test_sim_karpenter.c - Karpenter in the simulation loop
 * (models/sim_karpenter.c on models/autoscale/karpenter), through sim_run()
 * on small scenarios whose timings are fixed so that every figure can be
 * worked out by hand:
 *   boot 100 s, GPUs registered 60 s later (a new node is schedulable 160 s
 *   after its launch), image pull 300 s (new nodes only), model load 90 s;
 *   Karpenter batches for 1 s and its disruption loop runs at 10, 20, ... s;
 *   per-second billing with a 60-s minimum, EKS control plane $0.10/h;
 *   g5.xlarge: 1 A10G, 4 vCPU, 16 GiB, $1.006/h; g5.12xlarge: 4 A10G,
 *   48 vCPU, 192 GiB, $5.672/h; g6.xlarge: 1 L4, $0.8048/h; p3.2xlarge:
 *   1 V100, 8 vCPU, 61 GiB, $3.06/h; p3.8xlarge: 4 V100, 32 vCPU, 244 GiB,
 *   $12.24/h.
 * The service's trace has one request of one output token at 0 s (1 s of
 * service on an A10G) and one past the horizon: the replicas are idle.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "models/catalog.h"
#include "models/sim.h"
#include "sim/scenario.h"
#include "tests/unit/sim_fixture.h"

static char trace_path[64];

static void run(unsigned v, struct sim_result *r)
{
    sim_run_ok(v, (uint64_t)sc.seed, true, r);
}

static void idle_trace(void)
{
    write_idle_trace(trace_path, sizeof trace_path);
}

/* 40 requests of 600 output tokens (600 s of service each on an A10G) in
 * the first 0.4 s, and one past the horizon. */
static void burst_trace(void)
{
    snprintf(trace_path, sizeof trace_path, "/tmp/orchsim-karp-XXXXXX");
    int fd = mkstemp(trace_path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fprintf(f, "TIMESTAMP,ContextTokens,GeneratedTokens\n");
    for (int i = 0; i < 40; i++)
        fprintf(f, "2023-11-16 00:00:00.%02d00000,100,600\n", i);
    fprintf(f, "2023-11-16 05:33:20.0000000,100,1\n");
    fclose(f);
}

static void done(void)
{
    unlink(trace_path);
    catalog_destroy(&cat);
}

/* The LLM service (0.9 vCPU, 3 GiB, 1 GPU per replica). %d duration, %s
 * trace, %d min, max and initial replicas, %s variants. */
static const char *svc_json =
    "{\"name\":\"k\",\"kind\":\"simulation\",\"seed\":1,\"duration_s\":%d,"
    "\"timeseries_interval_s\":10,"
    "\"cluster\":{\"nodes\":{\"boot_s\":[100,100],\"device_plugin_s\":[60,60]}},"
    "\"workload\":{\"inference\":{\"arrivals\":\"replay\",\"trace_csv\":\"%s\","
    "\"concurrency\":8,\"t_prefill_us\":0,\"t_decode_us\":560000,\"slo_s\":60,\"cpu\":0.9,"
    "\"memory_gib\":3,\"model_memory_gb\":5,\"image_pull_s\":[300,300],"
    "\"model_load_s\":[90,90],\"min_replicas\":%d,\"max_replicas\":%d,"
    "\"initial_replicas\":%d}},"
    "\"variants\":[%s]}";

/* An EKS variant on instance types TYPES with capacity settings CAP. */
#define VARIANT(name, types, cap)                                                                  \
    "{\"name\":\"" name "\",\"orchestrator\":\"eks\",\"instance_types\":[" types "],"              \
    "\"max_nodes\":8,\"scaling\":{\"metric\":\"backlog\",\"target\":5,"                            \
    "\"scale_down_window_s\":0},\"capacity\":{" cap "}}"

static void load_svc(int duration_s, int min, int max, int initial, const char *variants)
{
    char text[8192];
    snprintf(text, sizeof text, svc_json, duration_s, trace_path, min, max, initial, variants);
    load_text(text);
}

#define EKS_HOUR 0.10 /* control plane, one hour */

/*
 * (a) Two types in a pool, pods that fit both: the cheaper one is launched.
 * One replica on [g5.xlarge, g6.xlarge] for an hour: a g6.xlarge ($0.8048)
 * all along, and its L4 (relative speed 0.97) serves the request in
 * 0.56 / 0.97 s where an A10G takes 1 s.
 */
Test(sim_karpenter, cheaper_fitting_type_is_launched)
{
    idle_trace();
    load_svc(
        3600, 1, 1, 1,
        VARIANT("g5g6", "\"g5.xlarge\",\"g6.xlarge\"", "") "," VARIANT("g5", "\"g5.xlarge\"", ""));
    struct sim_result two, one;
    run(0, &two);
    run(1, &one);
    cr_assert_eq(metric(&two, "instances_launched"), 1);
    cr_assert_float_eq(metric(&two, "cost_usd"), 0.8048 + EKS_HOUR, 1e-9);
    cr_assert_float_eq(metric(&one, "cost_usd"), 1.006 + EKS_HOUR, 1e-9);
    cr_assert_float_eq(metric(&two, "latency_p50_ms"), 1000.0 * 0.56 / 0.97, 1000.0 * 0.005);
    cr_assert_float_eq(metric(&one, "latency_p50_ms"), 1000.0, 1000.0 * 0.005);
    sim_result_destroy(&two);
    sim_result_destroy(&one);
    done();
}

/* One training job of one hour on [p3.2xlarge, p3.8xlarge], no node at
 * first, its gang drawn from two (GPUs, weight) pairs; a pod asks for 7 vCPU
 * and 50 GiB per GPU. */
static const char *train_json =
    "{\"name\":\"t\",\"kind\":\"simulation\",\"seed\":3,\"duration_s\":21600,"
    "\"cluster\":{\"nodes\":{\"boot_s\":[100,100],\"device_plugin_s\":[50,50]}},"
    "\"workload\":{\"training\":{\"rate_per_hour\":0.5,\"min_duration_s\":3600,"
    "\"cap_duration_s\":3600,\"gangs\":[{\"gpus\":%d,\"weight\":%d},{\"gpus\":%d,\"weight\":%d}],"
    "\"restart_overhead_s\":180,"
    "\"checkpoint_interval_s\":1800,\"checkpoint_cost_s\":30,\"cpu_per_gpu\":7,"
    "\"memory_gib_per_gpu\":50,\"max_jobs\":1}},"
    "\"variants\":[{\"name\":\"eks\",\"orchestrator\":\"eks\",\"training\":{"
    "\"instance_types\":[\"p3.2xlarge\",\"p3.8xlarge\"],\"max_nodes\":2}}]}";

/*
 * (a) A pod that fits only the larger type gets the larger one. A gang of 4
 * GPUs is one pod of 4 GPUs (the largest type has 4), 28 vCPU and 200 GiB:
 * only a p3.8xlarge holds it; a gang of 1 (7 vCPU, 50 GiB) fits both and
 * gets the cheaper p3.2xlarge. Either way the job waits 1 s of batching +
 * 150 s for its node and runs 180 + 3600 + 30 s (V100s at speed 1); the
 * node is launched at its arrival + 1 s and deleted (empty) by the first
 * disruption pass at or after the job's end: it lives 3960 to 3970 s.
 */
Test(sim_karpenter, pod_that_fits_only_the_larger_type_gets_it)
{
    const int gangs[2] = {4, 1};
    const double price[2] = {12.24, 3.06};
    for (int k = 0; k < 2; k++) {
        char text[4096];
        snprintf(text, sizeof text, train_json, 4, k == 0, 1, k == 1);
        load_text(text);
        struct sim_result r;
        run(0, &r);
        cr_assert_eq(metric(&r, "jobs_completed"), 1);
        cr_assert_float_eq(metric(&r, "job_queue_mean_s"), 151.0, 1e-6);
        cr_assert_float_eq(metric(&r, "jct_mean_s"), 151.0 + 3810.0, 1e-6);
        cr_assert_eq(metric(&r, "gpus_peak"), gangs[k], "gang %d", gangs[k]);
        cr_assert_eq(metric(&r, "instances_launched"), 1);
        double node = metric(&r, "cost_usd") - 6 * EKS_HOUR;
        cr_assert(node >= price[k] * 3960 / 3600 - 1e-9 && node <= price[k] * 3970 / 3600 + 1e-9,
                  "gang %d: node $%.6f", gangs[k], node);
        sim_result_destroy(&r);
        catalog_destroy(&cat);
    }
}

/*
 * (b) Consolidation Replace. [g5.xlarge, g5.12xlarge], four replicas at the
 * start: one provisioning pass packs them on one NodeClaim, whose only
 * fitting type is a g5.12xlarge ($5.672/h; four g5.xlarge would cost
 * $4.024/h, but Karpenter fills a NodeClaim while a type fits). The HPA
 * (no stabilisation window) scales to its minimum, one replica, at its sync
 * of 15 s (the one at 0 s has no metric window yet): three idle replicas go,
 * the node's last pod event. consolidateAfter 55 s: the pass at 70 s finds
 * the node underutilised; its pod fits only a new NodeClaim, and a
 * g5.xlarge is cheaper: Replace. The replacement launches at 70 s and is
 * schedulable at 230 s; the g5.12xlarge is tainted until then (still
 * serving), then drained: its idle replica stops, the node ends at 230 s,
 * and the new replica lands on the g5.xlarge (image pull + load: running at
 * 620 s). Dollars: 5.672 x 230 / 3600 + 1.006 x 3530 / 3600 + 0.10.
 * GPU-hours (schedulable GPUs): 4 x 230 s + 1 x 3370 s.
 *
 * (e) The same with consolidationPolicy WhenEmpty: the underutilised node
 * stays: 5.672 + 0.10 for the hour, one instance.
 */
Test(sim_karpenter, replace_moves_the_pod_to_a_cheaper_type_but_not_when_empty_only)
{
    idle_trace();
    load_svc(3600, 1, 4, 4,
             VARIANT("replace", "\"g5.xlarge\",\"g5.12xlarge\"",
                     "\"consolidate_after_s\":55") "," VARIANT("when-empty",
                                                               "\"g5.xlarge\",\"g5.12xlarge\"",
                                                               "\"consolidate_after_s\":55,"
                                                               "\"consolidation_policy\":"
                                                               "\"WhenEmpty\""));
    struct sim_result r, e;
    run(0, &r);
    run(1, &e);
    cr_assert_eq(metric(&r, "instances_launched"), 2);
    cr_assert_eq(at(&r, 10).replicas, 4);
    cr_assert_eq(at(&r, 20).replicas, 1);
    cr_assert_eq(at(&r, 60).nodes, 1);
    cr_assert_eq(at(&r, 60).gpus, 4);
    cr_assert_eq(at(&r, 80).nodes, 2);
    cr_assert_eq(at(&r, 220).gpus, 4);
    cr_assert_eq(at(&r, 220).replicas, 1); /* the tainted node still serves */
    cr_assert_eq(at(&r, 240).nodes, 1);
    cr_assert_eq(at(&r, 240).gpus, 1);
    cr_assert_eq(at(&r, 610).replicas, 0);
    cr_assert_eq(at(&r, 630).replicas, 1);
    cr_assert_eq(at(&r, 3600).nodes, 1);
    cr_assert_float_eq(metric(&r, "cost_usd"), 5.672 * 230 / 3600 + 1.006 * 3530 / 3600 + EKS_HOUR,
                       1e-9);
    cr_assert_float_eq(metric(&r, "gpu_hours"), (4 * 230.0 + 3370.0) / 3600, 1e-9);
    /* WhenEmpty */
    cr_assert_eq(metric(&e, "instances_launched"), 1);
    cr_assert_eq(at(&e, 3600).gpus, 4);
    cr_assert_float_eq(metric(&e, "cost_usd"), 5.672 + EKS_HOUR, 1e-9);
    sim_result_destroy(&r);
    sim_result_destroy(&e);
    done();
}

/*
 * (c) expireAfter 1800 s: the warm g5.xlarge expires at the pass of 1800 s
 * (ignoring budgets): drained, its idle replica stops and the node ends; the
 * Deployment's new replica is pending, the batch closes at 1801 s and
 * launches a node, schedulable at 1961 s (the replica waited 161 s), running
 * at 2351 s. The second node would expire at 3601 s, past the horizon.
 * Dollars: 1.006 x (1800 + 1799) / 3600 + 0.10.
 */
Test(sim_karpenter, expire_after_replaces_a_node_at_its_age)
{
    idle_trace();
    load_svc(3600, 1, 1, 1, VARIANT("expire", "\"g5.xlarge\"", "\"expire_after_s\":1800"));
    struct sim_result r;
    run(0, &r);
    cr_assert_eq(metric(&r, "instances_launched"), 2);
    cr_assert_eq(at(&r, 1790).replicas, 1);
    cr_assert_eq(at(&r, 1790).nodes, 1);
    cr_assert_eq(at(&r, 1800).nodes, 0); /* the new one comes at 1801 s */
    cr_assert_eq(at(&r, 1800).pending, 1);
    cr_assert_eq(at(&r, 1800).replicas, 0);
    cr_assert_eq(at(&r, 1970).gpus, 1);
    cr_assert_eq(at(&r, 2340).replicas, 0);
    cr_assert_eq(at(&r, 2360).replicas, 1);
    cr_assert_float_eq(metric(&r, "pending_p50_s"), 161.0, 161.0 * 0.005);
    cr_assert_float_eq(metric(&r, "cost_usd"), 1.006 * (1800 + 1799) / 3600 + EKS_HOUR, 1e-9);
    sim_result_destroy(&r);
    done();
}

/*
 * (d) limits_gpus caps the NodePool. Two replicas on two g5.xlarge at the
 * start; the HPA raises the service to its minimum, 4, at 0 s; the two new
 * replicas are pending and the batch closes at 1 s. Without a limit it
 * launches two nodes; with limits_gpus 3 one (the pool's GPUs: 2 + 1), and
 * one replica stays pending all along; with 2, none.
 */
Test(sim_karpenter, limits_gpus_caps_the_pool)
{
    idle_trace();
    load_svc(1800, 4, 4, 2,
             VARIANT("none", "\"g5.xlarge\"", "") "," VARIANT(
                 "three", "\"g5.xlarge\"", "\"limits_gpus\":3") "," VARIANT("two", "\"g5.xlarge\"",
                                                                            "\"limits_gpus\":2"));
    const double nodes[3] = {4, 3, 2};
    for (unsigned v = 0; v < 3; v++) {
        struct sim_result r;
        run(v, &r);
        cr_assert_eq(metric(&r, "instances_launched"), nodes[v], "variant %u", v);
        cr_assert_eq(metric(&r, "nodes_peak"), nodes[v], "variant %u", v);
        cr_assert_eq(at(&r, 1800).pending, 4 - nodes[v], "variant %u", v);
        cr_assert_eq(at(&r, 1800).replicas, nodes[v], "variant %u", v);
        sim_result_destroy(&r);
    }
    done();
}

/*
 * The regression every batch must avoid: pods that fit NodeClaims already in
 * flight must not launch again. A burst of 40 long requests on one replica
 * (8 slots): the HPA wants the maximum, 4, but may add one pod per 30 s, so
 * replicas are added at the syncs of 15, 45 and 75 s, each reconcile opening
 * a batch (closed 1 s later) while the nodes launched for the earlier ones
 * (schedulable 160 s after their launch) are still in flight. Every batch packs all pending
 * pods again, on the in-flight nodes first: it launches one node only. One
 * warm node + 3 = 4 instances, where counting in-flight nodes as full (or
 * ignoring them) would launch 1 + 2 + 3.
 */
Test(sim_karpenter, in_flight_claims_are_not_launched_twice)
{
    burst_trace();
    load_svc(600, 1, 4, 1,
             "{\"name\":\"step\",\"orchestrator\":\"eks\",\"instance_type\":\"g5.xlarge\","
             "\"max_nodes\":8,\"scaling\":{\"metric\":\"backlog\",\"target\":5,"
             "\"behavior\":{\"scale_up\":{\"policies\":[{\"type\":\"Pods\",\"value\":1,"
             "\"period_s\":30}]}}}}");
    struct sim_result r;
    run(0, &r);
    /* batches after the syncs of 15, 45 and 75 s: one node each, while the
     * earlier ones are in flight (the first is schedulable at 176 s) */
    cr_assert_eq(at(&r, 10).nodes, 1);
    cr_assert_eq(at(&r, 20).nodes, 2);
    cr_assert_eq(at(&r, 40).nodes, 2);
    cr_assert_eq(at(&r, 50).nodes, 3);
    cr_assert_eq(at(&r, 70).nodes, 3);
    cr_assert_eq(at(&r, 80).nodes, 4);
    cr_assert_eq(at(&r, 80).pending, 3);
    cr_assert_eq(at(&r, 170).gpus, 1);
    cr_assert_eq(at(&r, 240).gpus, 4);
    cr_assert_eq(metric(&r, "instances_launched"), 4);
    cr_assert_eq(metric(&r, "nodes_peak"), 4);
    cr_assert_eq(at(&r, 600).nodes, 4);
    sim_result_destroy(&r);
    done();
}

/*
 * [U] SIM_SPOT_SHARE: spot.pct 50 on one type. The warm start launches a
 * spot node, then an on-demand one (largest remainder: 1 <= 0.5 x 1 + 0.5,
 * 2 > 0.5 x 2 + 0.5), one replica each, all hour. A NodePool allowing both
 * capacity types would replace the on-demand node by a cheaper spot one
 * (a budget of 100 % lets both nodes be candidates); the split views keep
 * it: 2 instances, 1 spot instance-hour.
 */
Test(sim_karpenter, spot_share_survives_consolidation)
{
    idle_trace();
    load_svc(3600, 2, 2, 2,
             "{\"name\":\"mix\",\"orchestrator\":\"eks\",\"instance_type\":\"g5.xlarge\","
             "\"max_nodes\":8,\"capacity\":{\"budget_pct\":100},"
             "\"spot\":{\"pct\":50,\"interruptions_per_hour\":0}}");
    struct sim_result r;
    run(0, &r);
    cr_assert_eq(metric(&r, "instances_launched"), 2);
    cr_assert_float_eq(metric(&r, "spot_instance_hours"), 1.0, 1e-9);
    sim_result_destroy(&r);
    done();
}

/* Validation: the types are looked up with their JSON path; ECS and the
 * Cluster Autoscaler take one type per node group; instance_type must be
 * listed; every listed type must hold the workload. */
Test(sim_karpenter, instance_types_are_checked_with_their_path)
{
    static struct schema_diag d;
    char text[8192];
    idle_trace();
    snprintf(text, sizeof text, svc_json, 60, trace_path, 1, 1, 1,
             "{\"name\":\"ecs\",\"orchestrator\":\"ecs\","
             "\"instance_types\":[\"g5.xlarge\",\"g6.xlarge\"]},"
             "{\"name\":\"ca\",\"orchestrator\":\"eks\",\"capacity\":{\"autoscaler\":"
             "\"cluster-autoscaler\"},\"instance_types\":[\"g5.xlarge\",\"g6.xlarge\"]},"
             "{\"name\":\"notlisted\",\"orchestrator\":\"eks\",\"instance_type\":\"g4dn.xlarge\","
             "\"instance_types\":[\"g5.xlarge\"]},"
             "{\"name\":\"twice\",\"orchestrator\":\"eks\","
             "\"instance_types\":[\"g5.xlarge\",\"g5.xlarge\"]}");
    memset(&d, 0, sizeof d);
    cr_assert_neq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0);
    cr_assert_eq(d.n, 4, "%u: %s", d.n, d.line[0]);
    cr_assert_str_eq(d.line[0],
                     "t.json: $.variants[0].instance_types: 2 types, but an ECS capacity provider "
                     "is one Auto Scaling group of one instance type here (give one type, or run "
                     "the group on EKS with Karpenter)");
    cr_assert(strstr(d.line[1], "$.variants[1].instance_types: 2 types, but the Cluster "
                                "Autoscaler scales one ASG"),
              "%s", d.line[1]);
    cr_assert_str_eq(d.line[2], "t.json: $.variants[2].instance_type: 'g4dn.xlarge' is not one of "
                                "instance_types");
    cr_assert_str_eq(d.line[3], "t.json: $.variants[3].instance_types[1]: 'g5.xlarge' repeats "
                                "instance_types[0]");
    /* catalog checks: a misspelt type; a type whose GPU is too small */
    snprintf(text, sizeof text, svc_json, 60, trace_path, 1, 1, 1,
             "{\"name\":\"a\",\"orchestrator\":\"eks\","
             "\"instance_types\":[\"g5.xlarge\",\"g6.xlarg\"]},"
             "{\"name\":\"b\",\"orchestrator\":\"eks\",\"sharing\":\"timeslice\","
             "\"replicas_per_gpu\":4,\"instance_types\":[\"g5.xlarge\",\"g4dn.xlarge\"]}");
    memset(&d, 0, sizeof d);
    cr_assert_eq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0, "%s",
                 d.line[0]);
    cr_assert_str_eq(sc.variants[0].instance_type, "g5.xlarge", "defaults to the first");
    struct os_error err;
    cr_assert_eq(catalog_load(&cat, sc.cluster.catalog, &err), 0, "%s", err.msg);
    sim_check(&sc, &cat, &d);
    cr_assert_eq(d.n, 2, "%u", d.n);
    cr_assert_str_eq(d.line[0], "t.json: $.variants[0].instance_types[1]: unknown instance type "
                                "'g6.xlarg' (did you mean 'g6.xlarge'?)");
    cr_assert(strstr(d.line[1], "$.variants[1]: the model needs 5.0 GB but its "
                                "1/replicas_per_gpu share of GPU memory has 4.0 GB on "
                                "g4dn.xlarge"),
              "%s", d.line[1]);
    done();
}

/* Training: a gang splits into pods of the largest type's GPUs, and each
 * listed type must hold some pod. */
Test(sim_karpenter, training_types_are_checked)
{
    static struct schema_diag d;
    char text[4096];
    snprintf(text, sizeof text, train_json, 8, 1, 8, 0);
    memset(&d, 0, sizeof d);
    cr_assert_eq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0);
    struct os_error err;
    cr_assert_eq(catalog_load(&cat, sc.cluster.catalog, &err), 0, "%s", err.msg);
    sim_check(&sc, &cat, &d);
    /* 8 GPUs: two pods of 4 on p3.8xlarge nodes; no pod fits a p3.2xlarge */
    cr_assert_eq(d.n, 1, "%u: %s", d.n, d.line[0]);
    cr_assert_str_eq(d.line[0], "t.json: $.variants[0].training.instance_types: no pod of the "
                                "training jobs fits a p3.2xlarge node (drop it from the list)");
    catalog_destroy(&cat);
    snprintf(text, sizeof text, train_json, 6, 1, 1, 0);
    memset(&d, 0, sizeof d);
    cr_assert_eq(scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d), 0);
    cr_assert_eq(catalog_load(&cat, sc.cluster.catalog, &err), 0, "%s", err.msg);
    sim_check(&sc, &cat, &d);
    cr_assert_eq(d.n, 1, "%u: %s", d.n, d.line[0]);
    cr_assert(strstr(d.line[0], "$.workload.training.gangs[0].gpus: a gang of 6 GPUs does not "
                                "split into whole p3.8xlarge nodes of 4 GPUs"),
              "%s", d.line[0]);
    catalog_destroy(&cat);
}

/*
 * (g) Drift: the node class changes at 1000 s (a new AMI), so the three
 * g5.xlarge of the warm start (one replica each, min = max = 3) are drifted.
 * Each drift command launches a replacement (schedulable 160 s later) and
 * drains the drifted node then; a drained replica is recreated on the
 * replacement and serves after the image pull and model load (390 s).
 * - Budget 10 % of 3 nodes = 1 at a time: commands at 1000, 1160 (the loop
 *   at the instant of the first drain, which freed the budget) and 1320;
 *   drains at 1160, 1320, 1480. The first new replica serves at 1550: from
 *   1480 to 1550 none does (Karpenter waits for the node, not for the pods;
 *   no PDB is modelled).
 * - Budget 100 %: commands at 1000, 1010, 1020 (one per loop), 6 nodes
 *   at 1030, drains at 1160, 1170, 1180, no replica from 1180 to 1550 and
 *   all three back at 1570.
 * Either way three replacements, each adding 160 s of node time:
 * cost 1.006 x (3 x 7200 + 3 x 160) / 3600 + 2 h of control plane.
 */
Test(sim_karpenter, drift_replaces_nodes_within_the_budget)
{
    idle_trace();
    load_svc(
        7200, 3, 3, 3,
        VARIANT("one", "\"g5.xlarge\"", "\"drift_at_s\":[1000]") "," VARIANT(
            "all", "\"g5.xlarge\"",
            "\"drift_at_s\":[1000],\"budget_pct\":100") "," VARIANT("none", "\"g5.xlarge\"", ""));
    struct sim_result one, all, none;
    run(0, &one);
    run(1, &all);
    run(2, &none);
    double cost = 1.006 * (3 * 7200 + 3 * 160) / 3600.0 + 2 * EKS_HOUR;
    cr_assert_float_eq(metric(&one, "drift_disruptions"), 3, 1e-12);
    cr_assert_float_eq(metric(&all, "drift_disruptions"), 3, 1e-12);
    cr_assert(isnan(metric(&none, "drift_disruptions")));
    cr_assert_float_eq(metric(&one, "instances_launched"), 6, 1e-12);
    cr_assert_float_eq(metric(&one, "cost_usd"), cost, 1e-9);
    cr_assert_float_eq(metric(&all, "cost_usd"), cost, 1e-9);
    cr_assert_float_eq(metric(&none, "cost_usd"), 1.006 * 6 + 2 * EKS_HOUR, 1e-9);
    cr_assert_eq(at(&one, 1030).nodes, 4);
    cr_assert_eq(at(&one, 1150).replicas, 3);
    cr_assert_eq(at(&one, 1170).nodes, 4);
    cr_assert_eq(at(&one, 1310).replicas, 2);
    cr_assert_eq(at(&one, 1330).replicas, 1);
    cr_assert_eq(at(&one, 1470).replicas, 1);
    cr_assert_eq(at(&one, 1470).nodes, 4);
    cr_assert_eq(at(&one, 1490).replicas, 0);
    cr_assert_eq(at(&one, 1490).nodes, 3);
    cr_assert_eq(at(&one, 1540).replicas, 0);
    cr_assert_eq(at(&one, 1560).replicas, 1);
    cr_assert_eq(at(&all, 1030).nodes, 6);
    cr_assert_eq(at(&all, 1190).nodes, 3);
    cr_assert_eq(at(&all, 1190).replicas, 0);
    cr_assert_eq(at(&all, 1540).replicas, 0);
    cr_assert_eq(at(&all, 1560).replicas, 2);
    cr_assert_eq(at(&all, 1570).replicas, 3);
    cr_assert_eq(at(&none, 1510).replicas, 3);
    sim_result_destroy(&one);
    sim_result_destroy(&all);
    sim_result_destroy(&none);
    done();
}

/*
 * (h) Drift with a spot share: each capacity type is its own NodePool view,
 * the other type's nodes destinations only. With budget_pct 0 no drifted
 * node may be disrupted, in either view: no drift command all day. With the
 * default budget every replacement keeps its node's capacity type, so the
 * spot share (half of 4 nodes, the warm start's largest remainder) holds:
 * the spot instance-hours with drift equal those without it plus the
 * replacements' 160-s overlaps of the spot nodes.
 */
Test(sim_karpenter, drift_keeps_the_budget_and_capacity_type_of_each_pool)
{
    idle_trace();
#define SPOT_VARIANT(name, cap)                                                                    \
    "{\"name\":\"" name "\",\"orchestrator\":\"eks\",\"instance_types\":[\"g5.xlarge\"],"          \
    "\"max_nodes\":8,\"scaling\":{\"metric\":\"backlog\",\"target\":5,"                            \
    "\"scale_down_window_s\":0},\"spot\":{\"pct\":50,\"interruptions_per_hour\":0},"               \
    "\"capacity\":{" cap "}}"
    load_svc(7200, 4, 4, 4,
             SPOT_VARIANT("zero", "\"drift_at_s\":[1000],\"budget_pct\":0") "," SPOT_VARIANT(
                 "ten", "\"drift_at_s\":[1000]") "," SPOT_VARIANT("none", ""));
#undef SPOT_VARIANT
    struct sim_result zero, ten, none;
    run(0, &zero);
    run(1, &ten);
    run(2, &none);
    cr_assert_float_eq(metric(&zero, "drift_disruptions"), 0, 1e-12);
    cr_assert_float_eq(metric(&zero, "instances_launched"), 4, 1e-12);
    cr_assert_float_eq(metric(&ten, "drift_disruptions"), 4, 1e-12);
    cr_assert_float_eq(metric(&ten, "instances_launched"), 8, 1e-12);
    /* two spot nodes replaced by spot nodes: 2 x 160 s more spot time */
    cr_assert_float_eq(metric(&ten, "spot_instance_hours"),
                       metric(&none, "spot_instance_hours") + 2 * 160 / 3600.0, 1e-9);
    sim_result_destroy(&zero);
    sim_result_destroy(&ten);
    sim_result_destroy(&none);
    done();
}

/*
 * (i) Drift with a PodDisruptionBudget of maxUnavailable 1 on the 3-replica
 * Deployment (same cluster as (g), budget 10 %): node 0's replica may go at
 * 1160 (3 ready, 2 after); node 1's drain at 1320 finds 2 ready and waits
 * until node 0's moved replica is ready at 1160 + 390 = 1550, when it is
 * evicted and node 1 ends; node 2's replacement (launched at 1550, the loop
 * after the budget freed) is ready at 1710, its drain waits for node 1's
 * moved replica (placed at 1550 on a new node: ready at 1940). Never fewer
 * than 2 replicas serve; node time beyond 3 nodes: 160 + 390 + 390 s.
 */
Test(sim_karpenter, drift_waits_for_the_pod_disruption_budget)
{
    idle_trace();
    load_svc(7200, 3, 3, 3,
             "{\"name\":\"pdb\",\"orchestrator\":\"eks\",\"instance_types\":[\"g5.xlarge\"],"
             "\"max_nodes\":8,\"scaling\":{\"metric\":\"backlog\",\"target\":5,"
             "\"scale_down_window_s\":0},\"capacity\":{\"drift_at_s\":[1000]},"
             "\"deployment\":{\"pdb_max_unavailable\":1}}");
    struct sim_result r;
    run(0, &r);
    cr_assert_float_eq(metric(&r, "drift_disruptions"), 3, 1e-12);
    cr_assert_float_eq(metric(&r, "cost_usd"), 1.006 * (3 * 7200 + 940) / 3600.0 + 2 * EKS_HOUR,
                       1e-9);
    for (double t = 1000; t <= 2400; t += 10)
        cr_assert_geq(at(&r, t).replicas, 2, "at %g s", t);
    cr_assert_eq(at(&r, 1540).nodes, 4);
    cr_assert_eq(at(&r, 1930).nodes, 4);
    cr_assert_eq(at(&r, 1950).nodes, 3);
    cr_assert_eq(at(&r, 2320).replicas, 2);
    cr_assert_eq(at(&r, 2340).replicas, 3);
    sim_result_destroy(&r);
    done();
}

/*
 * (j) A held eviction must be retried when the budget frees by a scale-down,
 * not only when a replica becomes ready: as (i), but the HPA may go down to
 * 2 replicas and does so about 1400 s in (its window), stopping the starting
 * replacement of the evicted replica. Node 1's drain, held since 1320 s
 * (2 ready of desired 3), is allowed once desired is 2 and must end at the
 * next retry (an HPA sync, 15 s); then node 2 drifts and drains too: 3 drift
 * commands, 3 nodes (or fewer) afterwards. Without the periodic retry node 1
 * stayed draining to the end (2 drift commands, 4 nodes).
 */
Test(sim_karpenter, held_evictions_are_retried_after_a_scale_down)
{
    idle_trace();
    load_svc(7200, 2, 3, 3,
             "{\"name\":\"pdb\",\"orchestrator\":\"eks\",\"instance_types\":[\"g5.xlarge\"],"
             "\"max_nodes\":8,\"scaling\":{\"metric\":\"backlog\",\"target\":5,"
             "\"scale_down_window_s\":1400},\"capacity\":{\"drift_at_s\":[1000]},"
             "\"deployment\":{\"pdb_max_unavailable\":1}}");
    struct sim_result r;
    run(0, &r);
    cr_assert_float_eq(metric(&r, "drift_disruptions"), 3, 1e-12);
    cr_assert_leq(at(&r, 3000).nodes, 3);
    cr_assert_leq(at(&r, 7000).nodes, 3);
    for (double t = 1000; t <= 3000; t += 10)
        cr_assert_geq(at(&r, t).replicas, 1, "at %g s", t);
    sim_result_destroy(&r);
    done();
}
