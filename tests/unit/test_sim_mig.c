/*
 * test_sim_mig.c - MIG mixed strategy and repartitioning: the layout parser
 * against the geometry of MODELS.md section 3, per-GPU repartitioning in the
 * cluster (cluster_set_gpu_layout), the scenario checks, and the controller
 * in the simulation loop (models/sim_mig.c) on scenarios whose times are
 * fixed so that every figure is worked out by hand:
 *   boot 100 s, GPUs registered 60 s later, image pull 300 s, model load
 *   90 s, a repartition takes exactly 100 s, the controller runs at 10, 20,
 *   ... s; p4d.24xlarge: 8 A100-40GB, 96 vCPU, $21.957642/h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "models/catalog.h"
#include "models/cluster.h"
#include "models/gpu.h"
#include "models/sim.h"
#include "sim/scenario.h"
#include "tests/unit/sim_fixture.h"

/* ---- the layout parser ---- */

Test(sim_mig, layout_parser_finds_the_start_slots)
{
    struct gpu_mig_place l[GPU_MIG_LAYOUT_MAX];
    uint8_t n = 0;
    struct os_error e;
    /* 3g first at slot 0 leaves 2g only slot 4 and the second 1g no room
     * (1g starts at 0..6): the search moves 3g to slot 4, then 2g@0, 1g@2,
     * 1g@3 - the valid "3g@4 + 2g@0 + 1g + 1g" of MODELS.md */
    cr_assert_eq(
        gpu_mig_layout_parse(GPU_MIG_A100_40GB, "3g.20gb, 2g.10gb,1g.5gb,1g.5gb", l, &n, &e), OS_OK,
        "%s", e.msg);
    cr_assert_eq(n, 4);
    uint8_t want[4] = {4, 0, 2, 3};
    for (int k = 0; k < 4; k++)
        cr_assert_eq(l[k].start, want[k], "instance %d starts at %u", k, l[k].start);
    cr_assert(gpu_mig_layout_valid(GPU_MIG_A100_40GB, l, n));
    /* 4g + 2g + 1g: 4g@0, 2g@4, 1g@6 */
    cr_assert_eq(gpu_mig_layout_parse(GPU_MIG_A100_40GB, "4g.20gb,2g.10gb,1g.5gb", l, &n, &e),
                 OS_OK);
    cr_assert(n == 3 && l[0].start == 0 && l[1].start == 4 && l[2].start == 6);
    /* seven 1g */
    cr_assert_eq(gpu_mig_layout_parse(GPU_MIG_A100_80GB,
                                      "1g.10gb,1g.10gb,1g.10gb,1g.10gb,1g.10gb,1g.10gb,1g.10gb", l,
                                      &n, &e),
                 OS_OK);
    cr_assert_eq(n, 7);
}

Test(sim_mig, layout_parser_rejects_what_the_geometry_forbids)
{
    struct gpu_mig_place l[GPU_MIG_LAYOUT_MAX];
    uint8_t n = 0;
    struct os_error e;
    /* 3g + three 1g.10gb: 6 compute slices but 4 + 3 x 2 = 10 memory slices */
    cr_assert_eq(
        gpu_mig_layout_parse(GPU_MIG_A100_40GB, "3g.20gb,1g.10gb,1g.10gb,1g.10gb", l, &n, &e),
        OS_EINVAL);
    cr_assert(strstr(e.msg, "no placement"), "%s", e.msg);
    /* 4g + 4g: 8 compute slices */
    cr_assert_eq(gpu_mig_layout_parse(GPU_MIG_A100_40GB, "4g.20gb,4g.20gb", l, &n, &e), OS_EINVAL);
    /* 7g + 1g: 8 compute slices */
    cr_assert_eq(gpu_mig_layout_parse(GPU_MIG_A100_40GB, "7g.40gb,1g.5gb", l, &n, &e), OS_EINVAL);
    cr_assert(strstr(e.msg, "8 compute slices"), "%s", e.msg);
    /* an 80 GB profile on a 40 GB A100 */
    cr_assert_eq(gpu_mig_layout_parse(GPU_MIG_A100_40GB, "3g.40gb", l, &n, &e), OS_EINVAL);
    cr_assert(strstr(e.msg, "'3g.40gb' is not a MIG profile"), "%s", e.msg);
    cr_assert_eq(gpu_mig_layout_parse(GPU_MIG_A100_40GB, "3g.20gb,,1g.5gb", l, &n, &e), OS_EINVAL);
    /* three 3g: 9 compute slices */
    cr_assert_eq(gpu_mig_layout_parse(GPU_MIG_A100_40GB, "3g.20gb,3g.20gb,3g.20gb", l, &n, &e),
                 OS_EINVAL);
}

/* ---- per-GPU repartitioning in the cluster ---- */

Test(sim_mig, cluster_repartitions_only_idle_gpus)
{
    struct cluster c;
    struct os_error e;
    struct cluster_cfg cc = {.max_nodes = 2, .max_gpus = 4};
    cr_assert_eq(cluster_init(&c, &cc, &e), OS_OK, "%s", e.msg);
    struct gpu_cfg cfg = {
        .mode = GPU_MODE_MIG, .mig_strategy = GPU_MIG_MIXED, .mig_family = GPU_MIG_A100_40GB};
    /* boot: seven 1g.5gb; alternative: 3g.20gb + 3g.20gb */
    cr_assert_eq(gpu_mig_layout_parse(cfg.mig_family,
                                      "1g.5gb,1g.5gb,1g.5gb,1g.5gb,1g.5gb,1g.5gb,1g.5gb",
                                      cfg.mig_layout, &cfg.mig_n, &e),
                 OS_OK);
    cr_assert_eq(gpu_mig_layout_parse(cfg.mig_family, "3g.20gb,3g.20gb", cfg.mig_alt[0].e,
                                      &cfg.mig_alt[0].n, &e),
                 OS_OK);
    cfg.mig_nalt = 1;
    uint16_t pool;
    cr_assert_eq(cluster_add_pool(&c, "p", &cfg, &pool, &e), OS_OK, "%s", e.msg);
    struct cluster_node_spec s = {.name = "n0",
                                  .cpu_milli = 32000,
                                  .mem_mib = 65536,
                                  .gpu_count = 2,
                                  .pool = pool,
                                  .instance_type = -1,
                                  .state = CLUSTER_NODE_READY};
    uint32_t n;
    cr_assert_eq(cluster_add_node(&c, &s, &n, &e), OS_OK, "%s", e.msg);
    cr_assert_eq(c.res_cap[n], 14);
    uint16_t r3g, r1g;
    cr_assert_eq(gpu_res_parse("nvidia.com/mig-3g.20gb", &r3g, &e), OS_OK);
    cr_assert_eq(gpu_res_parse("nvidia.com/mig-1g.5gb", &r1g, &e), OS_OK);
    struct gpu_req q3 = {.count = 1, .milli = 1000, .res = r3g};
    struct gpu_req q1 = {.count = 1, .milli = 1000, .res = r1g};
    cr_assert_not(gpu_node_fits(&c, n, &q3)); /* no 3g in the boot layout */
    /* a 1g pod on GPU 0: GPU 0 is in use, GPU 1 is idle */
    struct gpu_alloc a;
    cr_assert_eq(gpu_choose(&c, n, &q1, &a), OS_OK);
    cr_assert_eq(a.part[0].gpu, c.gpu_first[n]);
    cluster_bind(&c, n, 1000, 1024, CLUSTER_NO_GROUP, &a);
    cr_assert_eq(cluster_set_gpu_layout(&c, c.gpu_first[n], 1, false, &e), OS_EINVAL);
    cr_assert(strstr(e.msg, "in use"), "%s", e.msg);
    /* GPU 1 to 3g + 3g, held while the MIG manager works: 7 + 2 instances,
     * 6 free on GPU 0 and none on the held GPU */
    cr_assert_eq(cluster_set_gpu_layout(&c, c.gpu_first[n] + 1, 1, true, &e), OS_OK, "%s", e.msg);
    cr_assert_eq(c.res_cap[n], 9);
    cr_assert_eq(c.res_free[n], 6);
    cr_assert_not(gpu_node_fits(&c, n, &q3));
    cr_assert_eq(cluster_check(&c, &e), OS_OK, "%s", e.msg);
    cr_assert_eq(cluster_release_gpu_hold(&c, c.gpu_first[n] + 1, &e), OS_OK, "%s", e.msg);
    /* not held any more (and GPU 0 holds a pod): refused, nothing changes */
    cr_assert_eq(cluster_release_gpu_hold(&c, c.gpu_first[n] + 1, &e), OS_EINVAL);
    cr_assert_eq(cluster_release_gpu_hold(&c, c.gpu_first[n], &e), OS_EINVAL);
    cr_assert_eq(c.res_free[n], 8);
    cr_assert_eq(c.res_free[n], 8);
    cr_assert(gpu_node_fits(&c, n, &q3));
    struct gpu_alloc b;
    cr_assert_eq(gpu_choose(&c, n, &q3, &b), OS_OK);
    cr_assert_eq(b.part[0].gpu, c.gpu_first[n] + 1);
    /* 3 compute slices of 7 */
    cr_assert_float_eq(gpu_alloc_share(&c, &b), 3.0 / 7.0, 1e-12);
    cluster_bind(&c, n, 1000, 1024, CLUSTER_NO_GROUP, &b);
    cr_assert_eq(cluster_check(&c, &e), OS_OK, "%s", e.msg);
    cluster_unbind(&c, n, 1000, 1024, CLUSTER_NO_GROUP, &b);
    cluster_unbind(&c, n, 1000, 1024, CLUSTER_NO_GROUP, &a);
    /* no layout 2 in the pool */
    cr_assert_eq(cluster_set_gpu_layout(&c, c.gpu_first[n], 2, false, &e), OS_EINVAL);
    /* back to the boot layout */
    cr_assert_eq(cluster_set_gpu_layout(&c, c.gpu_first[n] + 1, 0, false, &e), OS_OK);
    cr_assert_eq(c.res_cap[n], 14);
    cr_assert_eq(c.res_free[n], 14);
    cr_assert_eq(cluster_check(&c, &e), OS_OK, "%s", e.msg);
    cluster_destroy(&c);
}

/* ---- scenarios ---- */

static char trace_path[64];

/* One request at 0 s and one past the horizon: the replicas are idle. */
static void idle_trace(void)
{
    write_idle_trace(trace_path, sizeof trace_path);
}

static void done(void)
{
    unlink(trace_path);
    catalog_destroy(&cat);
}

/* The LLM service (%d replicas, fixed) and a fleet of %d models (one
 * replica each), on one p4d.24xlarge that is always there; %s: the
 * variant's MIG keys, %s: its fleet object. */
static const char *mig_json =
    "{\"name\":\"m\",\"kind\":\"simulation\",\"seed\":1,\"duration_s\":3600,"
    "\"cluster\":{\"nodes\":{\"boot_s\":[100,100],\"device_plugin_s\":[60,60]}},"
    "\"workload\":{\"inference\":{\"arrivals\":\"replay\",\"trace_csv\":\"%s\","
    "\"concurrency\":8,\"t_prefill_us\":0,\"t_decode_us\":560000,\"slo_s\":60,\"cpu\":0.9,"
    "\"memory_gib\":3,\"model_memory_gb\":5,\"image_pull_s\":[300,300],"
    "\"model_load_s\":[90,90],\"min_replicas\":%d,\"max_replicas\":%d,"
    "\"initial_replicas\":%d},"
    "\"fleet\":{\"arrivals\":\"replay\",\"trace_csv\":\"%s\",\"models\":%d,\"cpu\":0.5,"
    "\"memory_gib\":2,\"model_memory_gb\":1,\"image_pull_s\":[60,60],\"model_load_s\":[10,10],"
    "\"min_replicas\":1,\"max_replicas\":1,\"initial_replicas\":1}},"
    "\"variants\":[{\"name\":\"v\",\"orchestrator\":\"eks\",\"instance_type\":\"p4d.24xlarge\","
    "\"min_nodes\":1,\"max_nodes\":1,\"sharing\":\"mig\",\"mig_strategy\":\"mixed\","
    "\"mig_reconfigure_s\":[100,100],%s,\"fleet\":%s}]}";

static void load_mig(int llm, int fleet_models, const char *mig, const char *fleet)
{
    char text[8192];
    snprintf(text, sizeof text, mig_json, trace_path, llm, llm, llm, trace_path, fleet_models, mig,
             fleet);
    load_text(text);
}

#define FLEET_ON_SVC "{\"node_group\":\"service\",\"mig_profile\":\"1g.5gb\"}"

/*
 * (a) The mixed strategy without repartitioning: the LLM (3g.20gb) and 8
 * fleet models (1g.5gb) share one p4d whose GPUs are 3g + 2g + 1g + 1g: the
 * 2 LLM replicas and the 8 fleet replicas all fit the one node at once (8
 * GPUs hold 8 x 3g and 16 x 1g), nothing waits, one node for the hour:
 * 21.957642 + 0.10 (EKS control plane) dollars. The LLM replica computes at
 * 3/7 of an A100, so its one request of one token (0.56 s at V100 speed)
 * takes 0.56 / (3/7 x the A100's speed) s.
 */
Test(sim_mig, mixed_layout_hosts_two_services_on_one_node, .fini = done)
{
    idle_trace();
    load_mig(2, 8,
             "\"mig_profile\":\"3g.20gb\",\"mig_layouts\":[\"3g.20gb,2g.10gb,1g.5gb,1g.5gb\"]",
             FLEET_ON_SVC);
    struct sim_result r;
    sim_run_ok(0, 1, false, &r);
    cr_assert_float_eq(metric(&r, "cost_usd"), 21.957642 + 0.10, 1e-6);
    cr_assert_float_eq(metric(&r, "nodes_peak"), 1, 1e-12);
    cr_assert_float_eq(metric(&r, "replicas_mean"), 2, 1e-9);
    cr_assert_float_eq(metric(&r, "fleet_replicas_mean"), 8, 1e-9);
    cr_assert(isnan(metric(&r, "pending_p99_s"))); /* no replica ever waited */
    cr_assert_float_eq(metric(&r, "instances_launched"), 1, 1e-12);
    cr_assert(isnan(metric(&r, "mig_repartitions"))); /* one layout: no controller */
    int a100 = catalog_find_gpu(&cat, "A100-40GB");
    cr_assert_geq(a100, 0);
    double speed = cat.gpu_models[a100].relative_speed * 3.0 / 7.0;
    cr_assert_float_eq(metric(&r, "latency_p50_ms"), 560.0 / speed, 0.01 * 560.0 / speed);
    sim_result_destroy(&r);
}

/*
 * (b) Repartitioning: the node boots with seven 1g.5gb per GPU, which no
 * LLM replica (3g.20gb) can use. The 3 replicas wait; at 10 s the
 * fleet's replica took a 1g on GPU 0 at once, so at 10 s the controller
 * finds GPU 1 idle and switches it to 3g + 3g (score 2 > 0), then GPU 2
 * (need 1 left); no other GPU is touched, then or later (the free 3g of
 * GPU 2 counts against the need). Both are held for exactly 100 s, so the
 * replicas are placed at 110 s: pending 110 s, 2 repartitions, 200
 * GPU-seconds of reconfiguration.
 */
Test(sim_mig, idle_gpus_are_repartitioned_for_waiting_replicas, .fini = done)
{
    idle_trace();
    load_mig(3, 1,
             "\"mig_profile\":\"3g.20gb\",\"mig_layouts\":[\"1g.5gb,1g.5gb,1g.5gb,1g.5gb,1g.5gb,"
             "1g.5gb,1g.5gb\",\"3g.20gb,3g.20gb\"]",
             FLEET_ON_SVC);
    struct sim_result r;
    sim_run_ok(0, 1, false, &r);
    cr_assert_float_eq(metric(&r, "mig_repartitions"), 2, 1e-12);
    cr_assert_float_eq(metric(&r, "mig_reconfigure_gpu_hours"), 200.0 / 3600.0, 1e-9);
    /* quantiles come from the pending-time histogram's bins (within 2.5 s here) */
    cr_assert_float_eq(metric(&r, "pending_p50_s"), 110, 2.5);
    cr_assert_float_eq(metric(&r, "pending_p99_s"), 110, 2.5);
    cr_assert_float_eq(metric(&r, "nodes_peak"), 1, 1e-12);
    /* the fleet's replica took a 1g of the boot layout at once */
    cr_assert_float_eq(metric(&r, "fleet_replicas_mean"), 1, 1e-9);
    sim_result_destroy(&r);
}

/*
 * (c) Busy GPUs are never repartitioned: 16 LLM replicas fill the 16 3g
 * instances of 3g + 3g on all 8 GPUs, and the fleet's replica (1g.5gb, only
 * in the second layout) waits for the whole hour: no repartition, no
 * fleet replica.
 */
Test(sim_mig, gpus_in_use_are_not_repartitioned, .fini = done)
{
    idle_trace();
    load_mig(16, 1,
             "\"mig_profile\":\"3g.20gb\",\"mig_layouts\":[\"3g.20gb,3g.20gb\",\"1g.5gb,1g.5gb,"
             "1g.5gb,1g.5gb,1g.5gb,1g.5gb,1g.5gb\"]",
             FLEET_ON_SVC);
    struct sim_result r;
    sim_run_ok(0, 1, false, &r);
    cr_assert_float_eq(metric(&r, "mig_repartitions"), 0, 1e-12);
    cr_assert_float_eq(metric(&r, "fleet_replicas_mean"), 0, 1e-9);
    cr_assert_float_eq(metric(&r, "replicas_mean"), 16, 1e-9);
    sim_result_destroy(&r);
}

/* Loads text expecting diagnostics (scenario and catalog checks); returns
 * how many and puts them in d. */
static unsigned load_bad(const char *text, struct schema_diag *d)
{
    memset(d, 0, sizeof *d);
    int rc = scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, d);
    if (rc != OS_OK)
        return d->n;
    struct os_error err;
    cr_assert_eq(catalog_load(&cat, sc.cluster.catalog, &err), 0, "%s", err.msg);
    sim_check(&sc, &cat, d);
    catalog_destroy(&cat);
    return d->n;
}

static bool has(const struct schema_diag *d, const char *s)
{
    for (unsigned k = 0; k < d->n; k++)
        if (strstr(d->line[k], s))
            return true;
    return false;
}

#define BASE                                                                                       \
    "{\"name\":\"t\",\"kind\":\"simulation\",\"cluster\":{},\"workload\":{\"inference\":{},"       \
    "\"fleet\":{\"models\":2}},\"variants\":[{\"name\":\"a\",\"orchestrator\":\"%s\","             \
    "\"instance_type\":\"p4d.24xlarge\",%s}]}"

static unsigned bad(const char *orch, const char *keys, struct schema_diag *d)
{
    char text[4096];
    snprintf(text, sizeof text, BASE, orch, keys);
    return load_bad(text, d);
}

Test(sim_mig, bad_mig_settings_name_their_path)
{
    static struct schema_diag d;
    cr_assert_geq(
        bad("eks", "\"mig_strategy\":\"mixed\",\"fleet\":{\"node_group\":\"service\"}", &d), 1);
    cr_assert(has(&d, "$.variants[0].mig_strategy: \"mixed\" needs sharing \"mig\""), "%s",
              d.line[0]);
    bad("eks",
        "\"sharing\":\"mig\",\"mig_profile\":\"3g.20gb\",\"mig_strategy\":\"mixed\","
        "\"fleet\":{\"node_group\":\"service\",\"mig_profile\":\"1g.5gb\"}",
        &d);
    cr_assert(has(&d, "$.variants[0].mig_layouts: missing"), "%s", d.line[0]);
    bad("eks",
        "\"sharing\":\"mig\",\"mig_profile\":\"3g.20gb\",\"mig_layouts\":[\"3g.20gb\"],"
        "\"fleet\":{\"node_group\":\"service\"}",
        &d);
    cr_assert(has(&d, "$.variants[0].mig_layouts: layouts are for mig_strategy \"mixed\""), "%s",
              d.line[0]);
    bad("eks",
        "\"sharing\":\"mig\",\"mig_profile\":\"3g.20gb\",\"mig_strategy\":\"mixed\","
        "\"mig_layouts\":[\"3g.20gb,1g.5gb\",\"3g.20gb,1g.10gb,1g.10gb,1g.10gb\"],"
        "\"fleet\":{\"node_group\":\"service\",\"mig_profile\":\"1g.5gb\"}",
        &d);
    cr_assert(has(&d, "$.variants[0].mig_layouts[1]: '3g.20gb,1g.10gb,1g.10gb,1g.10gb': no "
                      "placement"),
              "%s", d.line[0]);
    bad("eks",
        "\"sharing\":\"mig\",\"mig_profile\":\"3g.20gb\",\"mig_strategy\":\"mixed\","
        "\"mig_layouts\":[\"3g.20gb,3g.20gb\"],"
        "\"fleet\":{\"node_group\":\"service\",\"mig_profile\":\"1g.5gb\"}",
        &d);
    cr_assert(has(&d, "$.variants[0].fleet.mig_profile: '1g.5gb' is in none of the group's "
                      "mig_layouts"),
              "%s", d.line[0]);
    bad("eks",
        "\"sharing\":\"mig\",\"mig_profile\":\"3g.20gb\",\"mig_strategy\":\"mixed\","
        "\"mig_layouts\":[\"3g.20gb,3g.20gb\"],\"mig_reconfigure_s\":[200,100],"
        "\"fleet\":{\"node_group\":\"service\",\"mig_profile\":\"3g.20gb\"}",
        &d);
    cr_assert(has(&d, "$.variants[0].mig_reconfigure_s: the range [200, 100] has min > max"), "%s",
              d.line[0]);
}

Test(sim_mig, fleet_on_the_service_group_refuses_its_own_node_settings)
{
    static struct schema_diag d;
    bad("eks", "\"fleet\":{\"node_group\":\"service\",\"instance_type\":\"g5.xlarge\"}", &d);
    cr_assert(has(&d, "$.variants[0].fleet.instance_type: the fleet runs on the service's node "
                      "group"),
              "%s", d.line[0]);
    bad("eks", "\"fleet\":{\"node_group\":\"service\",\"max_nodes\":3}", &d);
    cr_assert(has(&d, "$.variants[0].fleet.min_nodes"), "%s", d.line[0]);
    bad("eks", "\"fleet\":{\"node_group\":\"service\",\"spot\":{\"pct\":50}}", &d);
    cr_assert(has(&d, "$.variants[0].fleet.spot"), "%s", d.line[0]);
    bad("ecs", "\"fleet\":{\"node_group\":\"service\"}", &d);
    cr_assert(has(&d, "$.variants[0].fleet.node_group: \"service\" is modelled on EKS only"), "%s",
              d.line[0]);
    /* drift is a Karpenter disruption */
    bad("ecs", "\"capacity\":{\"drift_at_s\":[100]}", &d);
    cr_assert(has(&d, "$.variants[0].capacity.drift_at_s: drift is a Karpenter disruption"), "%s",
              d.line[0]);
    bad("eks", "\"capacity\":{\"drift_at_s\":[0]}", &d);
    cr_assert(has(&d, "$.variants[0].capacity.drift_at_s[0]: 0 s, but only nodes launched before"),
              "%s", d.line[0]);
    bad("eks", "\"fleet\":{\"node_group\":\"service\",\"timeslice_overhead\":0.2}", &d);
    cr_assert(has(&d, "$.variants[0].fleet.timeslice_overhead: the fleet runs on the service's"),
              "%s", d.line[0]);
    /* one layout list for GPUs of two MIG profile tables */
    bad("eks",
        "\"instance_types\":[\"p4d.24xlarge\",\"p5.48xlarge\"],\"sharing\":\"mig\","
        "\"mig_profile\":\"1g.10gb\",\"mig_strategy\":\"mixed\",\"mig_layouts\":[\"1g.10gb\"],"
        "\"fleet\":{\"node_group\":\"service\",\"mig_profile\":\"1g.10gb\"}",
        &d);
    cr_assert(has(&d, "$.variants[0].instance_types: p5.48xlarge (H100-80GB) and p4d.24xlarge "
                      "(A100-40GB) have different MIG geometries"),
              "%s", d.line[0]);
    bad("eks", "\"deployment\":{\"pdb_max_unavailable\":0}", &d);
    cr_assert(has(&d, "$.variants[0].deployment.pdb_max_unavailable: 0 blocks every voluntary "
                      "drain forever"),
              "%s", d.line[0]);
    bad("ecs", "\"deployment\":{\"pdb_max_unavailable\":1}", &d);
    cr_assert(has(&d, "$.variants[0].deployment.pdb_max_unavailable: a PodDisruptionBudget is a "
                      "Kubernetes object"),
              "%s", d.line[0]);
    /* the fleet's own profile on a whole-GPU service group */
    bad("eks", "\"fleet\":{\"node_group\":\"service\",\"mig_profile\":\"1g.5gb\"}", &d);
    cr_assert(has(&d, "$.variants[0].fleet.mig_profile: on the service's node group"), "%s",
              d.line[0]);
}
