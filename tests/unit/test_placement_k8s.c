/*
 * test_placement_k8s.c - kube-scheduler filter and scores, checked against
 * values worked out by hand from the plugin formulas (the arithmetic is in the
 * comments).
 */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <string.h>

#include "models/cluster.h"
#include "models/placement/placement.h"

static void ok(int rc, const struct os_error *e)
{
    cr_assert_eq(rc, OS_OK, "%s", e->msg);
}

/* A cluster of n nodes: 4000 milli-CPU, 16384 MiB, 4 whole GPUs each. */
static void mk(struct cluster *c, uint32_t n)
{
    struct os_error e = {{0}};
    struct cluster_cfg cfg = {.max_nodes = n + 4};
    ok(cluster_init(c, &cfg, &e), &e);
    uint16_t pool;
    struct gpu_cfg g = {.mode = GPU_MODE_WHOLE};
    ok(cluster_add_pool(c, "gpu", &g, &pool, &e), &e);
    for (uint32_t i = 0; i < n; i++) {
        struct cluster_node_spec s = {.cpu_milli = 4000,
                                      .mem_mib = 16384,
                                      .gpu_count = 4,
                                      .pool = pool,
                                      .instance_type = -1,
                                      .zone = i % 2 ? "b" : "a",
                                      .state = CLUSTER_NODE_READY};
        uint32_t id;
        ok(cluster_add_node(c, &s, &id, &e), &e);
    }
}

/* Binds a CPU/memory load (no GPU) onto node n. */
static void load(struct cluster *c, uint32_t n, int32_t cpu, int32_t mem)
{
    cluster_bind(c, n, cpu, mem, CLUSTER_NO_GROUP, NULL);
}

static void scores(struct placer *p, struct cluster *c, const struct pod_req *r, uint32_t n,
                   int64_t *out)
{
    uint32_t cand[8];
    for (uint32_t i = 0; i < n; i++)
        cand[i] = i;
    p->ops->score(p, c, r, 0, cand, n, out);
}

Test(placement_k8s, num_feasible_nodes_to_find)
{
    /* N < 100: all */
    cr_assert_eq(placement_num_feasible_to_find(0, 50), 50);
    cr_assert_eq(placement_num_feasible_to_find(0, 99), 99);
    /* N = 100: pct = 50 - 100/125 = 50 -> 50, raised to the minimum 100 */
    cr_assert_eq(placement_num_feasible_to_find(0, 100), 100);
    /* N = 1000: pct = 50 - 8 = 42 -> 420 */
    cr_assert_eq(placement_num_feasible_to_find(0, 1000), 420);
    /* N = 5000: pct = 50 - 40 = 10 -> 500 */
    cr_assert_eq(placement_num_feasible_to_find(0, 5000), 500);
    /* N = 6000: pct = 50 - 48 = 2 < 5 -> 5 % -> 300 */
    cr_assert_eq(placement_num_feasible_to_find(0, 6000), 300);
    /* N = 100000: 5 % -> 5000 */
    cr_assert_eq(placement_num_feasible_to_find(0, 100000), 5000);
    /* explicit percentages */
    cr_assert_eq(placement_num_feasible_to_find(10, 5000), 500);
    cr_assert_eq(placement_num_feasible_to_find(1, 5000), 100);
    cr_assert_eq(placement_num_feasible_to_find(100, 5000), 5000);
}

/*
 * Node 0: 1000 milli-CPU and 4096 MiB already requested; node 1 empty.
 * Pod: 1000 milli-CPU, 2048 MiB, no GPU.
 * Node 0 requested after the pod: cpu 2000 / 4000, memory 6144 / 16384.
 * Node 1: cpu 1000 / 4000, memory 2048 / 16384.
 */
Test(placement_k8s, least_allocated_default_profile_scores)
{
    struct cluster c;
    mk(&c, 2);
    load(&c, 0, 1000, 4096);
    struct placer p;
    struct os_error e = {{0}};
    ok(placer_init(&p, "k8s-default", &c, NULL, &e), &e);
    struct pod_req r = {.cpu_milli = 1000, .mem_mib = 2048};
    int64_t s[2];
    scores(&p, &c, &r, 2, s);
    /* node 0: LeastAllocated cpu (4000-2000)*100/4000 = 50,
     *         mem (16384-6144)*100/16384 = 1024000/16384 = 62 (62.5 truncated);
     *         fit = (50*1 + 62*1)/2 = 56.
     * BalancedAllocation: |0.5 - 0.375|/2 = 0.0625 -> (1-0.0625)*100 = 93 (93.75).
     * TaintToleration: no taints -> 100, weight 3 -> 300. NodeAffinity: 0.
     * total = 1*56 + 1*93 + 300 = 449 */
    cr_assert_eq(s[0], 449);
    /* node 1: cpu (4000-1000)*100/4000 = 75; mem (16384-2048)*100/16384 = 87 (87.5);
     *         fit = (75+87)/2 = 81.
     * balanced: |0.25 - 0.125|/2 = 0.0625 -> 93. total = 81 + 93 + 300 = 474 */
    cr_assert_eq(s[1], 474);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(placement_k8s, most_allocated_and_rtcr_scores)
{
    struct cluster c;
    mk(&c, 2);
    load(&c, 0, 1000, 4096);
    struct placer p;
    struct os_error e = {{0}};
    struct pod_req r = {.cpu_milli = 1000, .mem_mib = 2048};
    int64_t s[2];
    ok(placer_init(&p, "k8s-most-allocated", &c, NULL, &e), &e);
    scores(&p, &c, &r, 2, s);
    /* node 0: MostAllocated cpu 2000*100/4000 = 50; mem 6144*100/16384 = 37 (37.5);
     *         fit = 87/2 = 43. total = 43 + 93 + 300 = 436 */
    cr_assert_eq(s[0], 436);
    /* node 1: cpu 25; mem 2048*100/16384 = 12 (12.5); fit = 37/2 = 18; 18+93+300 = 411 */
    cr_assert_eq(s[1], 411);
    placer_destroy(&p);

    ok(placer_init(&p, "k8s-rtcr", &c, NULL, &e), &e);
    scores(&p, &c, &r, 2, s);
    /* shape {(0,0),(100,10)} scaled x10 -> {(0,0),(100,100)}.
     * node 0: cpu utilisation 2000*100/4000 = 50 -> 0 + (100-0)*(50-0)/100 = 50;
     *         mem 6144*100/16384 = 37 -> 37; round((50+37)/2 = 43.5) = 44.
     *         total = 44 + 93 + 300 = 437 */
    cr_assert_eq(s[0], 437);
    /* node 1: cpu 25 -> 25, mem 12 -> 12; round(37/2 = 18.5) = 19; 19 + 93 + 300 = 412 */
    cr_assert_eq(s[1], 412);
    placer_destroy(&p);

    /* a custom shape {(0,10),(50,2),(100,0)}: node 0 cpu u=50 -> 20; mem u=37 ->
     * 100 + (20-100)*(37-0)/(50-0) = 100 - 2960/50 = 100 - 59 = 41 (Go truncates
     * -59.2 towards zero); round((20+41)/2 = 30.5) = 31; total = 31 + 93 + 300 = 424 */
    struct placer_opts o = {.n_shape = 3, .shape = {{0, 10}, {50, 2}, {100, 0}}};
    ok(placer_init(&p, "k8s-rtcr", &c, &o, &e), &e);
    scores(&p, &c, &r, 2, s);
    cr_assert_eq(s[0], 424);
    placer_destroy(&p);
    struct placer_opts bad = {.n_shape = 2, .shape = {{50, 1}, {10, 2}}};
    cr_assert_eq(placer_init(&p, "k8s-rtcr", &c, &bad, &e), OS_EINVAL);
    cr_assert(strstr(e.msg, "utilization must increase") != NULL);
    cluster_destroy(&c);
}

Test(placement_k8s, zero_requests_use_non_zero_defaults_for_fit_only)
{
    struct cluster c;
    mk(&c, 2);
    struct placer p;
    struct os_error e = {{0}};
    ok(placer_init(&p, "k8s-default", &c, NULL, &e), &e);
    struct pod_req r = {.cpu_milli = 0, .mem_mib = 0};
    int64_t s[2];
    scores(&p, &c, &r, 2, s);
    /* fit: cpu counts 100: (4000-100)*100/4000 = 97 (97.5);
     * mem counts 200 MiB: (16384-200)*100/16384 = 98 (98.77); (97+98)/2 = 97.
     * BalancedAllocation is skipped for a BestEffort pod. total = 97 + 300 = 397 */
    cr_assert_eq(s[0], 397);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(placement_k8s, taints_filter_and_score)
{
    struct os_error e = {{0}};
    struct cluster c;
    struct cluster_cfg cfg = {.max_nodes = 4};
    ok(cluster_init(&c, &cfg, &e), &e);
    uint16_t pool;
    struct gpu_cfg g = {.mode = GPU_MODE_WHOLE};
    ok(cluster_add_pool(&c, "p", &g, &pool, &e), &e);
    struct cluster_taint_spec prefer = {"spot", "true", CLUSTER_TAINT_PREFER_NO_SCHEDULE};
    struct cluster_taint_spec nosched = {"nvidia.com/gpu", "", CLUSTER_TAINT_NO_SCHEDULE};
    struct cluster_node_spec s = {.cpu_milli = 4000,
                                  .mem_mib = 16384,
                                  .gpu_count = 1,
                                  .pool = pool,
                                  .instance_type = -1,
                                  .state = CLUSTER_NODE_READY};
    uint32_t id;
    s.taints = &prefer, s.n_taints = 1;
    ok(cluster_add_node(&c, &s, &id, &e), &e); /* node 0: PreferNoSchedule */
    s.taints = NULL, s.n_taints = 0;
    ok(cluster_add_node(&c, &s, &id, &e), &e); /* node 1: none */
    s.taints = &nosched, s.n_taints = 1;
    ok(cluster_add_node(&c, &s, &id, &e), &e); /* node 2: NoSchedule */

    struct pod_req r = {.cpu_milli = 1000, .mem_mib = 2048};
    cr_assert(placement_node_fits(&c, &r, 0));
    cr_assert(placement_node_fits(&c, &r, 1));
    cr_assert_not(placement_node_fits(&c, &r, 2));
    uint32_t key;
    ok(cluster_intern(&c, "nvidia.com/gpu", &key, &e), &e);
    struct k8s_toleration tol = {.key = key, .op = K8S_TOL_EXISTS};
    struct pod_req rt = r;
    rt.tolerations = &tol, rt.n_tolerations = 1;
    cr_assert(placement_node_fits(&c, &rt, 2));
    struct k8s_toleration all = {.key = 0, .op = K8S_TOL_EXISTS}; /* tolerates everything */
    rt.tolerations = &all;
    cr_assert(placement_node_fits(&c, &rt, 2));

    struct placer p;
    ok(placer_init(&p, "k8s-default", &c, NULL, &e), &e);
    int64_t sc[2];
    scores(&p, &c, &r, 2, sc);
    /* resources equal on both nodes: cpu 75, mem 87 -> fit 81; balanced 93.
     * TaintToleration raw: node 0 has 1 intolerable PreferNoSchedule, node 1 has 0;
     * reverse normalisation: max 1 -> node 0: 100 - 100*1/1 = 0, node 1: 100.
     * node 0: 81 + 93 + 3*0 = 174; node 1: 81 + 93 + 3*100 = 474 */
    cr_assert_eq(sc[0], 174);
    cr_assert_eq(sc[1], 474);
    /* the all-tolerating pod sees no intolerable taint: both get 300 */
    scores(&p, &c, &rt, 2, sc);
    cr_assert_eq(sc[0], 474);
    cr_assert_eq(sc[1], 474);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(placement_k8s, node_selector_and_affinity)
{
    struct cluster c;
    mk(&c, 4); /* zones a, b, a, b */
    struct os_error e = {{0}};
    ok(cluster_set_label(&c, 0, "gpu-gen", "3", &e), &e);
    ok(cluster_set_label(&c, 1, "gpu-gen", "5", &e), &e);
    uint16_t zone, gen;
    ok(cluster_label_key(&c, "topology.kubernetes.io/zone", &zone, &e), &e);
    ok(cluster_label_key(&c, "gpu-gen", &gen, &e), &e);
    uint32_t za, zb;
    ok(cluster_label_pair(&c, zone, "a", &za, &e), &e);
    ok(cluster_label_pair(&c, zone, "b", &zb, &e), &e);

    struct k8s_node_req sel = {.col = zone, .op = K8S_SEL_IN, .n_vals = 1, .vals = {zb}};
    struct pod_req r = {
        .cpu_milli = 100, .mem_mib = 100, .node_selector = &sel, .n_node_selector = 1};
    cr_assert_not(placement_node_fits(&c, &r, 0));
    cr_assert(placement_node_fits(&c, &r, 1));
    /* NotIn matches nodes without the label; Gt needs an integer label */
    struct k8s_node_term t = {.n_reqs = 1, .reqs = {{.col = gen, .op = K8S_SEL_GT, .num = 4}}};
    struct pod_req ra = {.cpu_milli = 100, .mem_mib = 100, .required = &t, .n_required = 1};
    cr_assert_not(placement_node_fits(&c, &ra, 0));
    cr_assert(placement_node_fits(&c, &ra, 1));
    cr_assert_not(placement_node_fits(&c, &ra, 2));
    uint32_t g3;
    ok(cluster_label_pair(&c, gen, "3", &g3, &e), &e);
    struct k8s_node_term tn = {
        .n_reqs = 1, .reqs = {{.col = gen, .op = K8S_SEL_NOT_IN, .n_vals = 1, .vals = {g3}}}};
    ra.required = &tn;
    cr_assert_not(placement_node_fits(&c, &ra, 0));
    cr_assert(placement_node_fits(&c, &ra, 2));
    struct k8s_node_term empty = {0}; /* an empty term matches nothing */
    ra.required = &empty;
    cr_assert_not(placement_node_fits(&c, &ra, 2));

    /* preferred: weight 80 for zone a, weight 20 for gpu-gen exists */
    struct k8s_preferred_term pref[2] = {
        {80, {.n_reqs = 1, .reqs = {{.col = zone, .op = K8S_SEL_IN, .n_vals = 1, .vals = {za}}}}},
        {20, {.n_reqs = 1, .reqs = {{.col = gen, .op = K8S_SEL_EXISTS}}}},
    };
    struct pod_req rp = {.cpu_milli = 1000, .mem_mib = 2048, .preferred = pref, .n_preferred = 2};
    struct placer p;
    ok(placer_init(&p, "k8s-default", &c, NULL, &e), &e);
    int64_t s[4];
    scores(&p, &c, &rp, 4, s);
    /* raw: node0 80+20 = 100, node1 20, node2 80, node3 0; normalised by max 100:
     * 100, 20, 80, 0; weight 2. Base (empty nodes) 81 + 93 + 300 = 474. */
    cr_assert_eq(s[0], 474 + 200);
    cr_assert_eq(s[1], 474 + 40);
    cr_assert_eq(s[2], 474 + 160);
    cr_assert_eq(s[3], 474);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(placement_k8s, rotating_start_index_and_sampling)
{
    struct cluster c;
    mk(&c, 200);
    struct placer p;
    struct os_error e = {{0}};
    ok(placer_init(&p, "k8s-default", &c, NULL, &e), &e);
    struct pod_req r = {.cpu_milli = 10, .mem_mib = 10};
    /* N = 200: pct = 50 - 1 = 49 -> 98 -> minimum 100 feasible nodes */
    cr_assert_eq(placement_filter(&p, &c, &r), 100);
    cr_assert_eq(p.cand[0], 0);
    cr_assert_eq(p.next_start, 100);
    cr_assert_eq(placement_filter(&p, &c, &r), 100);
    cr_assert_eq(p.cand[0], 100);
    cr_assert_eq(p.next_start, 0);
    /* make the first 150 nodes infeasible: the scan from 0 examines 150 + 50,
     * wraps, and stops at the limit only after the whole ring */
    for (uint32_t n = 0; n < 150; n++)
        load(&c, n, 4000, 0);
    uint64_t before = p.node_evals;
    cr_assert_eq(placement_filter(&p, &c, &r), 50);
    cr_assert_eq(p.node_evals - before, 200);
    cr_assert_eq(p.next_start, 0);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(placement_k8s, ties_are_random_but_deterministic)
{
    struct cluster c;
    mk(&c, 4);
    struct placer p;
    struct os_error e = {{0}};
    ok(placer_init(&p, "k8s-default", &c, NULL, &e), &e);
    struct pod_req r = {.cpu_milli = 100, .mem_mib = 100};
    gsl_rng *a = gsl_rng_alloc(gsl_rng_mt19937), *b = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(a, 42);
    gsl_rng_set(b, 42);
    int hits[4] = {0};
    for (int i = 0; i < 400; i++) {
        struct placement x, y;
        ok(placer_decide(&p, &c, &r, a, &x), &e);
        ok(placer_decide(&p, &c, &r, b, &y), &e);
        cr_assert_eq(x.node, y.node);
        hits[x.node]++;
    }
    for (int n = 0; n < 4; n++)
        cr_assert_gt(hits[n], 50, "node %d chosen %d times of 400", n, hits[n]);
    gsl_rng_free(a);
    gsl_rng_free(b);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(placement_k8s, gpu_aware_binpack_prefers_fuller_gpu_node)
{
    struct cluster c;
    mk(&c, 2);
    struct os_error e = {{0}};
    struct gpu_alloc a;
    struct gpu_req one = {.count = 1, .res = GPU_RES_GPU};
    ok(gpu_choose(&c, 0, &one, &a), &e);
    cluster_bind(&c, 0, 0, 0, CLUSTER_NO_GROUP, &a);
    struct placer p;
    ok(placer_init(&p, "k8s-binpack-gpu", &c, NULL, &e), &e);
    struct pod_req r = {.cpu_milli = 1000, .mem_mib = 2048, .gpu = one};
    int64_t s[2];
    scores(&p, &c, &r, 2, s);
    /* node 0 (the bound pod requested 0 CPU/memory -> NonZeroRequested 100 / 200):
     *   cpu (100+1000)*100/4000 = 27 (27.5); mem (200+2048)*100/16384 = 13 (13.7);
     *   nvidia.com/gpu (1+1)*100/4 = 50; MostAllocated = (27+13+50)/3 = 30.
     *   Balanced (actual requests): cpu 1000/4000 = .25, mem 2048/16384 = .125,
     *   gpu 2/4 = .5; mean .291667, population std = sqrt(((-.041667)^2 +
     *   (-.166667)^2 + (.208333)^2)/3) = sqrt(.0729167/3) = .155902 -> 84 (84.41).
     *   total = 30 + 84 + 300 = 414
     * node 1: cpu 1000*100/4000 = 25; mem 12; gpu 1*100/4 = 25; (25+12+25)/3 = 20.
     *   balanced: .25, .125, .25: mean .208333, std = sqrt((.041667^2*2 + .083333^2)/3)
     *   = sqrt(.0104167/3) = .058926 -> 94 (94.1). total = 20 + 94 + 300 = 414 */
    cr_assert_eq(s[0], 414);
    cr_assert_eq(s[1], 414);
    /* with a GPU weight of 3: node 0 fit = (27+13+150)/5 = 38 -> 38 + 84 + 300 = 422;
     * node 1 fit = (25+12+75)/5 = 22 -> 22 + 94 + 300 = 416: node 0 wins */
    placer_destroy(&p);
    struct placer_opts o = {.res_w_gpu = 3};
    ok(placer_init(&p, "k8s-binpack-gpu", &c, &o, &e), &e);
    scores(&p, &c, &r, 2, s);
    cr_assert_eq(s[0], 422);
    cr_assert_eq(s[1], 416);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(placement_k8s, place_and_release_restore_the_cluster)
{
    struct cluster c;
    mk(&c, 8);
    struct placer p;
    struct os_error e = {{0}};
    ok(placer_init(&p, "k8s-default", &c, NULL, &e), &e);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    struct pod_req r = {.cpu_milli = 500, .mem_mib = 1024, .gpu = {.count = 2, .res = GPU_RES_GPU}};
    struct placement pl[16];
    int placed = 0;
    while (placed < 16 && placer_place(&p, &c, &r, rng, &pl[placed]) == OS_OK)
        placed++;
    cr_assert_eq(placed, 16); /* 8 nodes x 4 GPUs / 2 */
    struct placement x;
    cr_assert_eq(placer_place(&p, &c, &r, rng, &x), OS_ENOFIT);
    ok(cluster_check(&c, &e), &e);
    for (int i = 0; i < placed; i++)
        placement_release(&c, &pl[i]);
    for (uint32_t n = 0; n < 8; n++) {
        cr_assert_eq(c.free_whole[n], 4);
        cr_assert_eq(c.cpu_free[n], 4000);
    }
    ok(cluster_check(&c, &e), &e);
    gsl_rng_free(rng);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(placement_k8s, registry_lookup_and_suggestion)
{
    struct cluster c;
    mk(&c, 1);
    struct placer p;
    struct os_error e = {{0}};
    cr_assert_eq(placer_init(&p, "k8s-defualt", &c, NULL, &e), OS_EINVAL);
    cr_assert_str_eq(e.msg, "unknown placement policy 'k8s-defualt' (did you mean 'k8s-default'?)");
    cr_assert_not_null(placer_find("k8s-most-allocated"));
    cr_assert_geq(placer_count(), 10);
    for (size_t i = 0; i < placer_count(); i++)
        cr_assert_not_null(placer_at(i)->score, "%s", placer_at(i)->name);
    cluster_destroy(&c);
}

/* The filter's fast paths (SIMD blocks, availability bitmaps, the sampled
 * scan at 100 %) must find exactly the nodes the full check accepts. */
Test(placement_k8s, filter_equals_full_check_randomized)
{
    struct os_error e = {{0}};
    struct cluster c;
    struct cluster_cfg cfg = {.max_nodes = 333, .max_gpus = 333 * 8};
    ok(cluster_init(&c, &cfg, &e), &e);
    uint16_t milli, whole, ts, mig;
    struct gpu_cfg gm = {.mode = GPU_MODE_MILLI}, gw = {.mode = GPU_MODE_WHOLE},
                   gt = {.mode = GPU_MODE_TIMESLICE, .replicas = 2},
                   gg = {.mode = GPU_MODE_MIG,
                         .mig_family = GPU_MIG_A100_40GB,
                         .mig_strategy = GPU_MIG_MIXED,
                         .mig_n = 2};
    gg.mig_layout[0] =
        (struct gpu_mig_place){(uint8_t)gpu_mig_profile_find(GPU_MIG_A100_40GB, "4g.20gb"), 0};
    gg.mig_layout[1] =
        (struct gpu_mig_place){(uint8_t)gpu_mig_profile_find(GPU_MIG_A100_40GB, "3g.20gb"), 4};
    ok(cluster_add_pool(&c, "m", &gm, &milli, &e), &e);
    ok(cluster_add_pool(&c, "w", &gw, &whole, &e), &e);
    ok(cluster_add_pool(&c, "t", &gt, &ts, &e), &e);
    ok(cluster_add_pool(&c, "g", &gg, &mig, &e), &e);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    struct cluster_taint_spec taint = {"dedicated", "x", CLUSTER_TAINT_NO_SCHEDULE};
    uint16_t pools[4] = {milli, whole, ts, mig};
    for (uint32_t i = 0; i < 333; i++) {
        struct cluster_node_spec s = {.cpu_milli = 8000,
                                      .mem_mib = 32768,
                                      .gpu_count = (uint8_t)(1 + gsl_rng_uniform_int(rng, 8)),
                                      .gpu_model = (uint8_t)gsl_rng_uniform_int(rng, 3),
                                      .pool = pools[i % 7 == 0 ? 1 + i % 3 : 0],
                                      .instance_type = -1,
                                      .max_pods = (uint16_t)(i % 5 == 0 ? 3 : 0),
                                      .zone = i % 2 ? "a" : "b",
                                      .state =
                                          i % 11 == 0 ? CLUSTER_NODE_DRAINING : CLUSTER_NODE_READY};
        if (i % 13 == 0)
            s.taints = &taint, s.n_taints = 1;
        uint32_t id;
        ok(cluster_add_node(&c, &s, &id, &e), &e);
    }
    uint16_t r4;
    ok(gpu_res_parse("nvidia.com/mig-4g.20gb", &r4, &e), &e);
    struct placer pk, pe;
    struct placer_opts all = {.pct_nodes_to_score = 100};
    ok(placer_init(&pk, "k8s-default", &c, &all, &e), &e);
    ok(placer_init(&pe, "ecs-random", &c, NULL, &e), &e);
    uint16_t zone;
    ok(cluster_label_key(&c, "topology.kubernetes.io/zone", &zone, &e), &e);
    uint32_t za;
    ok(cluster_label_pair(&c, zone, "a", &za, &e), &e);
    struct k8s_node_req sel = {.col = zone, .op = K8S_SEL_IN, .n_vals = 1, .vals = {za}};
    for (int round = 0; round < 400; round++) {
        struct pod_req r = {.cpu_milli = (int32_t)gsl_rng_uniform_int(rng, 3000),
                            .mem_mib = (int32_t)gsl_rng_uniform_int(rng, 9000)};
        unsigned kind = (unsigned)gsl_rng_uniform_int(rng, 6);
        if (kind == 1)
            r.gpu = (struct gpu_req){1, (uint16_t)(1 + gsl_rng_uniform_int(rng, 999)), GPU_RES_GPU};
        else if (kind == 2 || kind == 3)
            r.gpu = (struct gpu_req){(uint16_t)(1 + gsl_rng_uniform_int(rng, 4)), 0, GPU_RES_GPU};
        else if (kind == 4)
            r.gpu = (struct gpu_req){1, 0, r4};
        if (gsl_rng_uniform_int(rng, 4) == 0)
            r.gpu_model_mask = 1u << gsl_rng_uniform_int(rng, 3);
        if (gsl_rng_uniform_int(rng, 5) == 0)
            r.node_selector = &sel, r.n_node_selector = 1;
        bool want[333];
        uint32_t nwant = 0;
        for (uint32_t n = 0; n < 333; n++)
            nwant += want[n] = placement_node_fits(&c, &r, n);
        struct placer *ps[2] = {&pk, &pe};
        for (int w = 0; w < 2; w++) {
            uint32_t k = placement_filter(ps[w], &c, &r);
            cr_assert_eq(k, nwant, "round %d placer %d: %u vs %u", round, w, k, nwant);
            for (uint32_t i = 0; i < k; i++)
                cr_assert(want[ps[w]->cand[i]]);
        }
        /* change the state: bind the request somewhere feasible, or free */
        struct placement pl;
        if (nwant && gsl_rng_uniform(rng) < 0.8) {
            if (placer_decide(&pe, &c, &r, rng, &pl) == OS_OK)
                placement_bind(&c, &pl);
        }
    }
    ok(cluster_check(&c, &e), &e);
    gsl_rng_free(rng);
    placer_destroy(&pk);
    placer_destroy(&pe);
    cluster_destroy(&c);
}
