/*
 * test_fgd.c - the six shared-GPU policies (models/placement/fgd.c and
 * baselines.c) on tiny clusters, each choice worked out by hand from the
 * peer's formulas (see the files' top comments).
 */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <string.h>

#include "models/cluster.h"
#include "models/placement/placement.h"

/* A MILLI-mode cluster of n nodes; node i has cpu[i] milli-CPU and ngpu[i]
 * GPUs of model 0. Groups count GPU affinity classes (0..GPU_NODE_MAX). */
static void make_cluster(struct cluster *c, uint32_t n, const int32_t *cpu, const uint8_t *ngpu)
{
    struct os_error err;
    struct cluster_cfg cfg = {.max_nodes = n, .max_gpus = 8 * n, .max_groups = GPU_NODE_MAX + 1};
    cr_assert_eq(cluster_init(c, &cfg, &err), 0, "%s", err.msg);
    struct gpu_cfg g = {.mode = GPU_MODE_MILLI};
    uint16_t pool;
    cr_assert_eq(cluster_add_pool(c, "p", &g, &pool, &err), 0, "%s", err.msg);
    for (uint32_t i = 0; i < n; i++) {
        struct cluster_node_spec s = {.cpu_milli = cpu[i],
                                      .mem_mib = 1 << 20,
                                      .gpu_count = ngpu[i],
                                      .gpu_model = ngpu[i] ? 0 : CLUSTER_GPU_NONE,
                                      .pool = pool,
                                      .instance_type = -1,
                                      .state = CLUSTER_NODE_READY};
        uint32_t id;
        cr_assert_eq(cluster_add_node(c, &s, &id, &err), 0, "%s", err.msg);
    }
}

/* A pod: cpu, GPU count and per-GPU milli (count 0: CPU-only). Its group is
 * its GPU affinity class, as models/packing.c assigns it (1 = fraction, k + 1
 * = k whole GPUs). */
static struct pod_req pod(int32_t cpu, uint16_t count, uint16_t milli)
{
    struct pod_req r;
    memset(&r, 0, sizeof r);
    r.cpu_milli = cpu;
    r.mem_mib = 1024;
    r.group = CLUSTER_NO_GROUP;
    if (count) {
        r.gpu.count = count;
        r.gpu.milli = milli;
        r.gpu.res = GPU_RES_GPU;
        r.group = (count == 1 && milli < 1000) ? 1u : (uint32_t)count + 1u;
    }
    return r;
}

/* Binds r on node with `milli` taken from the node's GPU gpu_local (or the
 * lowest free whole GPUs for a whole-GPU pod). */
static void put(struct cluster *c, uint32_t node, const struct pod_req *r, int gpu_local)
{
    struct placement pl;
    memset(&pl, 0, sizeof pl);
    pl.node = node;
    pl.cpu_milli = r->cpu_milli;
    pl.mem_mib = r->mem_mib;
    pl.group = r->group;
    if (gpu_local >= 0) {
        pl.gpu.node = node;
        pl.gpu.mode = GPU_MODE_MILLI;
        pl.gpu.n = 1;
        pl.gpu.part[0].gpu = c->gpu_first[node] + (uint32_t)gpu_local;
        pl.gpu.part[0].amount = r->gpu.milli;
    } else {
        cr_assert_eq(gpu_choose(c, node, &r->gpu, &pl.gpu), 0);
    }
    placement_bind(c, &pl);
}

/* The node and GPU (local index) chosen for r by `policy`. */
static uint32_t choose(const char *policy, const struct cluster *c, const struct pod_req *r,
                       const struct placer_opts *o, int *gpu_local)
{
    struct placer p;
    struct os_error err;
    cr_assert_eq(placer_init(&p, policy, c, o, &err), 0, "%s", err.msg);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    struct placement pl;
    cr_assert_eq(placer_decide(&p, c, r, g, &pl), 0);
    if (gpu_local)
        *gpu_local = pl.gpu.n ? (int)(pl.gpu.part[0].gpu - c->gpu_first[pl.node]) : -1;
    gsl_rng_free(g);
    placer_destroy(&p);
    return pl.node;
}

/* The score of every node under `policy` (all nodes must be feasible). */
static void scores(const char *policy, const struct cluster *c, const struct pod_req *r,
                   const struct placer_opts *o, int64_t *out)
{
    struct placer p;
    struct os_error err;
    cr_assert_eq(placer_init(&p, policy, c, o, &err), 0, "%s", err.msg);
    uint32_t cand[16];
    for (uint32_t i = 0; i < c->n_nodes; i++)
        cand[i] = i;
    p.ops->score(&p, c, r, 0, cand, c->n_nodes, out);
    placer_destroy(&p);
}

Test(fgd_policies, all_six_registered)
{
    const char *names[] = {"random", "dotprod", "gpuclustering", "gpupacking", "bestfit", "fgd"};
    for (size_t i = 0; i < 6; i++)
        cr_assert_not_null(placer_find(names[i]), "%s", names[i]);
}

/*
 * Two nodes, 32 cores and 2 GPUs each; node 1 already runs a pod of 4 cores
 * and 500 milli on GPU 0. New pod: 4 cores, 1 GPU x 500.
 */
static void two_nodes(struct cluster *c)
{
    int32_t cpu[2] = {32000, 32000};
    uint8_t ng[2] = {2, 2};
    make_cluster(c, 2, cpu, ng);
    struct pod_req old = pod(4000, 1, 500);
    put(c, 1, &old, 0);
}

Test(fgd_policies, bestfit_by_hand)
{
    struct cluster c;
    two_nodes(&c);
    struct pod_req r = pod(4000, 1, 500);
    int64_t s[2];
    scores("bestfit", &c, &r, NULL, s);
    /* node 0: (28000/128000)*0.5 + (1500/8000)*0.5 = 0.109375 + 0.09375 =
     * 0.203125 -> (1 - 0.203125) * 100 = 79.69 -> 79.
     * node 1: (24000/128000)*0.5 + (1000/8000)*0.5 = 0.09375 + 0.0625 =
     * 0.15625 -> 84.375 -> 84. */
    cr_assert_eq(s[0], 79);
    cr_assert_eq(s[1], 84);
    int gl;
    cr_assert_eq(choose("bestfit", &c, &r, NULL, &gl), 1);
    cr_assert_eq(gl, 0, "best-fit GPU: the one with 500 free");
    cluster_destroy(&c);
}

Test(fgd_policies, dotprod_by_hand)
{
    struct cluster c;
    two_nodes(&c);
    struct pod_req r = pod(4000, 1, 500);
    int64_t s[2];
    scores("dotprod", &c, &r, NULL, s);
    /* pod (4000/128000, 500/8000) = (0.03125, 0.0625).
     * node 0 (0.25, 0.25): dot = 0.0078125 + 0.015625 = 0.0234375,
     *   1 - dot/2 = 0.98828 -> 98.
     * node 1 (28000/128000, 1500/8000) = (0.21875, 0.1875): dot = 0.0068359
     *   + 0.0117188 = 0.0185547, 1 - dot/2 = 0.99072 -> 99. */
    cr_assert_eq(s[0], 98);
    cr_assert_eq(s[1], 99);
    cr_assert_eq(choose("dotprod", &c, &r, NULL, NULL), 1);
    cluster_destroy(&c);
}

Test(fgd_policies, gpupacking_by_hand)
{
    /* node 0: 2 free GPUs; node 1: GPU 0 has 500 free; node 2: GPU 0 has 700
     * free (a 300 pod). */
    int32_t cpu[3] = {32000, 32000, 32000};
    uint8_t ng[3] = {2, 2, 2};
    struct cluster c;
    make_cluster(&c, 3, cpu, ng);
    struct pod_req a = pod(1000, 1, 500), b = pod(1000, 1, 300);
    put(&c, 1, &a, 0);
    put(&c, 2, &b, 0);
    int64_t s[3];

    /* A 500 pod. node 0 is all free: max(33 - 2, 2) = 31. node 1: tightest
     * fitting GPU has 500 free (not a free GPU): 100 - (500*100/1000)/10 =
     * 95. node 2: 700 free -> 100 - 70/10 = 93. */
    struct pod_req r = pod(1000, 1, 500);
    scores("gpupacking", &c, &r, NULL, s);
    cr_assert_eq(s[0], 31);
    cr_assert_eq(s[1], 95);
    cr_assert_eq(s[2], 93);
    cr_assert_eq(choose("gpupacking", &c, &r, NULL, NULL), 1);

    /* A 600 pod does not fit on node 1's used GPU: it must take a free GPU
     * of a used node, 50 - 1 = 49; node 2's 700 fits: 93; node 0: 31. */
    r = pod(1000, 1, 600);
    scores("gpupacking", &c, &r, NULL, s);
    cr_assert_eq(s[0], 31);
    cr_assert_eq(s[1], 49);
    cr_assert_eq(s[2], 93);

    /* One whole GPU: nodes 1 and 2 use one free GPU of a used node: 49. */
    r = pod(1000, 1, 1000);
    scores("gpupacking", &c, &r, NULL, s);
    cr_assert_eq(s[0], 31);
    cr_assert_eq(s[1], 49);
    cr_assert_eq(s[2], 49);

    /* CPU-only pods score 0 everywhere. */
    r = pod(1000, 0, 0);
    scores("gpupacking", &c, &r, NULL, s);
    cr_assert_eq(s[0] + s[1] + s[2], 0);
    cluster_destroy(&c);
}

Test(fgd_policies, gpuclustering_by_hand)
{
    /* node 0: empty, 2 GPUs. node 1: a fractional pod (500 on GPU 0). node 2:
     * a fractional pod and a whole-GPU pod. */
    int32_t cpu[3] = {32000, 32000, 32000};
    uint8_t ng[3] = {2, 2, 2};
    struct cluster c;
    make_cluster(&c, 3, cpu, ng);
    struct pod_req f = pod(1000, 1, 500), w = pod(1000, 1, 1000);
    put(&c, 1, &f, 0);
    put(&c, 2, &f, 0);
    put(&c, 2, &w, -1);
    int64_t s[3];

    /* Fractional pod. b = 25 * (8000 - T) / 8000 (integer):
     * node 0: T 2000 -> 25*6000/8000 = 18; no GPU pods -> 18 + 25 = 43.
     * node 1: T 1500 -> 25*6500/8000 = 20; only its affinity -> 20 + 75 = 95.
     * node 2: T 500 -> 25*7500/8000 = 23; its affinity among others -> 73. */
    struct pod_req r = pod(1000, 1, 300);
    scores("gpuclustering", &c, &r, NULL, s);
    cr_assert_eq(s[0], 43);
    cr_assert_eq(s[1], 95);
    cr_assert_eq(s[2], 73);
    cr_assert_eq(choose("gpuclustering", &c, &r, NULL, NULL), 1);

    /* Whole-GPU pod: node 0 43; node 1 has another affinity only -> 20;
     * node 2 has it among others -> 23 + 50 = 73. */
    r = pod(1000, 1, 1000);
    int64_t s2[2];
    uint32_t cand[2] = {0, 1};
    struct placer p;
    struct os_error err;
    cr_assert_eq(placer_init(&p, "gpuclustering", &c, NULL, &err), 0);
    p.ops->score(&p, &c, &r, 0, cand, 2, s2);
    cr_assert_eq(s2[0], 43);
    cr_assert_eq(s2[1], 20);
    uint32_t c2 = 2;
    p.ops->score(&p, &c, &r, 0, &c2, 1, s2);
    cr_assert_eq(s2[0], 73);
    placer_destroy(&p);
    cluster_destroy(&c);
}

Test(fgd_policies, random_is_uniform_over_nodes_and_gpus)
{
    /* Three identical empty nodes of 2 GPUs: each node about 1/3 of the time,
     * each GPU about 1/2. */
    int32_t cpu[3] = {32000, 32000, 32000};
    uint8_t ng[3] = {2, 2, 2};
    struct cluster c;
    make_cluster(&c, 3, cpu, ng);
    struct placer p;
    struct os_error err;
    struct placer_opts o = {.seed = 5};
    cr_assert_eq(placer_init(&p, "random", &c, &o, &err), 0);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    unsigned node_hits[3] = {0}, gpu_hits[2] = {0};
    struct pod_req r = pod(1000, 1, 300);
    for (int i = 0; i < 3000; i++) {
        struct placement pl;
        cr_assert_eq(placer_decide(&p, &c, &r, g, &pl), 0);
        node_hits[pl.node]++;
        gpu_hits[pl.gpu.part[0].gpu - c.gpu_first[pl.node]]++;
    }
    for (int i = 0; i < 3; i++)
        cr_assert(node_hits[i] > 900 && node_hits[i] < 1100, "node %d: %u", i, node_hits[i]);
    cr_assert(gpu_hits[0] > 1400 && gpu_hits[0] < 1600, "gpu 0: %u", gpu_hits[0]);
    gsl_rng_free(g);
    placer_destroy(&p);
    cluster_destroy(&c);
}

/* FGD with a one-shape target: 1 GPU x 500 milli, 1 core, frequency 1. */
static const struct placer_shape fgd_shape = {
    .cpu_milli = 1000, .gpu = {.count = 1, .milli = 500, .res = GPU_RES_GPU}, .freq = 1.0};

Test(fgd_policies, fgd_by_hand_fractional)
{
    /* node 0: 1 GPU, free. node 1: 1 GPU with 700 free. */
    int32_t cpu[2] = {32000, 32000};
    uint8_t ng[2] = {1, 1};
    struct cluster c;
    make_cluster(&c, 2, cpu, ng);
    struct pod_req old = pod(1000, 1, 300);
    put(&c, 1, &old, 0);
    struct placer_opts o = {.shapes = &fgd_shape, .n_shapes = 1};
    int64_t s[2];

    /* Pod 300. Before: both nodes can host the 500 shape, F = 0.
     * node 0 -> [700]: still hosts it, F' = 0, sigmoid(0) = 0.5 -> 50.
     * node 1 -> [400]: cannot, all 400 is fragment: sigmoid(-0.4) = 0.4013
     * -> 40. FGD keeps node 1's GPU usable: node 0. */
    struct pod_req r = pod(1000, 1, 300);
    scores("fgd", &c, &r, &o, s);
    cr_assert_eq(s[0], 50);
    cr_assert_eq(s[1], 40);
    cr_assert_eq(choose("fgd", &c, &r, &o, NULL), 0);

    /* Pod 700. node 0 -> [300]: F' = 300, sigmoid(-0.3) = 0.4256 -> 42.
     * node 1 -> [0]: nothing idle, F' = 0 -> 50. Node 1. */
    r = pod(1000, 1, 700);
    scores("fgd", &c, &r, &o, s);
    cr_assert_eq(s[0], 42);
    cr_assert_eq(s[1], 50);
    cr_assert_eq(choose("fgd", &c, &r, &o, NULL), 1);
    cluster_destroy(&c);
}

Test(fgd_policies, fgd_picks_the_gpu_that_keeps_shapes_usable)
{
    /* One node, GPUs [1000, 700] (a 300 pod on GPU 1). Pod 400:
     * GPU 0 -> [600, 700]: both host 500, F' = 0 -> 50.
     * GPU 1 -> [1000, 300]: 300 is fragment, F' = 300 -> 42.
     * FGD takes GPU 0; best fit would take GPU 1. */
    int32_t cpu[1] = {32000};
    uint8_t ng[1] = {2};
    struct cluster c;
    make_cluster(&c, 1, cpu, ng);
    struct pod_req old = pod(1000, 1, 300);
    put(&c, 0, &old, 1);
    struct placer_opts o = {.shapes = &fgd_shape, .n_shapes = 1};
    struct pod_req r = pod(1000, 1, 400);
    int gl;
    cr_assert_eq(choose("fgd", &c, &r, &o, &gl), 0);
    cr_assert_eq(gl, 0);
    cr_assert_eq(choose("bestfit", &c, &r, NULL, &gl), 0);
    cr_assert_eq(gl, 1);
    cluster_destroy(&c);
}

Test(fgd_policies, fgd_by_hand_cpu_only_pod)
{
    /* Target: 1 GPU x 500 needing 8 cores. node 0: 10 cores, 1 free GPU;
     * node 1: 50 cores, 1 free GPU. A CPU-only pod of 4 cores on node 0
     * leaves 6 cores: the shape no longer fits, its 1000 idle milli become
     * fragment: sigmoid(-1) = 0.2689 -> 26. On node 1 nothing changes: 50. */
    struct placer_shape shape = fgd_shape;
    shape.cpu_milli = 8000;
    int32_t cpu[2] = {10000, 50000};
    uint8_t ng[2] = {1, 1};
    struct cluster c;
    make_cluster(&c, 2, cpu, ng);
    struct placer_opts o = {.shapes = &shape, .n_shapes = 1};
    struct pod_req r = pod(4000, 0, 0);
    int64_t s[2];
    scores("fgd", &c, &r, &o, s);
    cr_assert_eq(s[0], 26);
    cr_assert_eq(s[1], 50);
    cr_assert_eq(choose("fgd", &c, &r, &o, NULL), 1);
    cluster_destroy(&c);
}

Test(fgd_policies, fgd_by_hand_whole_gpu_pod)
{
    /* Target: 1 GPU x 500, 1 core. node 0: 2 GPUs [1000, 1000]; node 1: 2
     * GPUs [1000, 300] (a 700 pod). Pod: one whole GPU.
     * node 0 -> [0, 1000]: the 1000 hosts the shape, F 0 -> 0: 50.
     * node 1: before, 1000 hosts it and 300 is fragment (F = 300); after
     * [0, 300] nothing hosts it, F' = 300: sigmoid(0) -> 50. A tie: both
     * nodes score 50. */
    int32_t cpu[2] = {32000, 32000};
    uint8_t ng[2] = {2, 2};
    struct cluster c;
    make_cluster(&c, 2, cpu, ng);
    struct pod_req old = pod(1000, 1, 700);
    put(&c, 1, &old, 1);
    struct placer_opts o = {.shapes = &fgd_shape, .n_shapes = 1};
    struct pod_req r = pod(1000, 1, 1000);
    int64_t s[2];
    scores("fgd", &c, &r, &o, s);
    cr_assert_eq(s[0], 50);
    cr_assert_eq(s[1], 50);
    cluster_destroy(&c);
}

Test(fgd_policies, tie_node_order_fixes_one_node_per_seed)
{
    /* Four identical empty nodes: every policy but random ties them all.
     * With tie_node_order the same node wins every decision for one seed
     * (whatever the select step's RNG does), and the seeds spread the choice. */
    int32_t cpu[4] = {32000, 32000, 32000, 32000};
    uint8_t ng[4] = {2, 2, 2, 2};
    struct cluster c;
    make_cluster(&c, 4, cpu, ng);
    struct pod_req r = pod(1000, 1, 500);
    const char *policies[] = {"dotprod", "gpuclustering", "gpupacking", "bestfit", "fgd"};
    for (size_t k = 0; k < 5; k++) {
        unsigned seen = 0;
        for (uint64_t seed = 1; seed <= 16; seed++) {
            struct placer_opts o = {.seed = seed, .tie_node_order = true};
            if (strcmp(policies[k], "fgd") == 0) {
                o.shapes = &fgd_shape;
                o.n_shapes = 1;
            }
            struct placer p;
            struct os_error err;
            cr_assert_eq(placer_init(&p, policies[k], &c, &o, &err), 0, "%s", err.msg);
            gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
            uint32_t first = UINT32_MAX;
            for (unsigned long t = 0; t < 8; t++) {
                gsl_rng_set(g, t + 1);
                struct placement pl;
                cr_assert_eq(placer_decide(&p, &c, &r, g, &pl), 0);
                if (first == UINT32_MAX)
                    first = pl.node;
                cr_assert_eq(pl.node, first, "%s seed %llu", policies[k], (unsigned long long)seed);
            }
            seen |= 1u << first;
            gsl_rng_free(g);
            placer_destroy(&p);
        }
        cr_assert(__builtin_popcount(seen) >= 2, "%s: seeds never change the order", policies[k]);
    }
    cluster_destroy(&c);
}
