/*
 * baselines.c - the five baseline shared-GPU policies of the FGD paper, as the
 * peer simulator implements them (hkust-adsl/kubernetes-scheduler-simulator,
 * pkg/simulator/plugin/{random,dot_product,gpu_clustering,gpu_packing,
 * best_fit}_score.go, configured by experiments/run_scripts and
 * scripts/generate_config_and_run.py).
 *
 * Common ground (shared mechanism, placement.c): the filter (CPU, memory, GPU
 * model and GPU share: Open-Gpu-Share's Filter plus NodeResourcesFit) and the
 * binding. Only one score plugin is enabled per run in the peer (weight 1000,
 * percentageOfNodesToScore 100), so only the argmax of each policy's integer
 * score matters. Scores are the peer's integers, truncations included: they
 * decide how many nodes tie. Ties go to the select step (uniform, as
 * kube-scheduler's selectHost) or, with placer_opts.tie_node_order, to the
 * first node of a random order fixed per placer, which is what the peer does
 * in effect (models/packing.c explains the evidence).
 *
 * Notation: C = node's free milli-CPU, T = node's free milli-GPU (sum over its
 * GPUs), c = pod's CPU request (non-zero default 100 as kube-scheduler's
 * GetNonzeroRequests), g = pod's total milli-GPU (milli * count).
 *
 * random: every feasible node scores the same, so the select step picks one
 *   uniformly (the peer's PreScore draws one feasible node and gives it 100).
 *   GPU: uniformly among the GPUs that fit a fractional pod (Open-Gpu-Share
 *   "random"), from the placer's own stream seeded by placer_opts.seed;
 *   whole GPUs: the lowest free indices.
 * dotprod: Tetris' alignment, the peer's "merge" dimensions normalised by the
 *   largest node ("max": 128 cores, 8 GPUs):
 *     int64(100 * (1 - ((C/128000)(c/128000) + (T/8000)(g/8000)) / 2)).
 *   GPU selection "best" (merge keeps Open-Gpu-Share's default best fit).
 * gpuclustering: puts a pod with pods of the same GPU "affinity" (a
 *   fractional pod; k whole GPUs) with b = 25 * (8000 - T) / 8000 (integer):
 *   b + 75 if the node holds only that affinity, b + 50 if it holds it among
 *   others, b + 25 if it holds no GPU pod, b otherwise; CPU-only pods 0.
 *   The per-node counts come from the cluster's group counters: the caller
 *   must configure max_groups >= GPU_NODE_MAX + 1 and give every GPU pod the
 *   group of its affinity class, 1 for a fractional pod and k + 1 for k whole
 *   GPUs (models/packing.c does); with no groups configured every node looks
 *   free of GPU pods [U].
 * gpupacking: prefer GPUs already shared, then partly used nodes, then empty
 *   nodes (integer rules in gpupacking_node below); CPU-only pods 0.
 * bestfit: least remaining resources, int64(100 * (1 - ((C - c)/128000 * 0.5
 *   + (T - g)/8000 * 0.5))). The peer normalises to 0..100, which keeps the
 *   set of best nodes.
 * GPU selection of dotprod, gpuclustering, gpupacking and bestfit is
 * Open-Gpu-Share's default "best": gpu_choose (best fit, lowest index).
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

#include "models/placement/placement.h"

/* Largest node of the openb cluster, the peer's MaxSpecCpu / MaxSpecGpu. */
#define BASE_MAX_CPU 128000
#define BASE_MAX_GPU 8000

/* gpuclustering's affinity classes as cluster group ids (ids start at 1): a
 * fractional-GPU pod is in group 1, a pod of k whole GPUs in group k + 1. */
#define BASE_GROUP_SHARE    1u
#define BASE_GROUP_WHOLE(k) ((uint32_t)(k) + 1u)
#define BASE_GROUP_LAST     BASE_GROUP_WHOLE(GPU_NODE_MAX)

static int32_t base_cpu(const struct pod_req *r)
{
    return r->cpu_milli > 0 ? r->cpu_milli : 100;
}

static bool base_fraction(const struct pod_req *r)
{
    return r->gpu.count == 1 && r->gpu.milli > 0 && r->gpu.milli < GPU_MILLI;
}

/* Total milli-GPU of the request (a whole-GPU request counts 1000 each). */
static int32_t base_gpu_total(const struct pod_req *r)
{
    if (r->gpu.count == 0)
        return 0;
    return base_fraction(r) ? r->gpu.milli : (int32_t)r->gpu.count * GPU_MILLI;
}

/*
 * Tie order (placer_opts.tie_node_order): rank[node] is the node's place in a
 * random permutation drawn once from placer_opts.seed; a policy's integer
 * score s becomes s * 2^32 + (UINT32_MAX - rank), so the select step, which
 * keeps the highest value, takes the best-ranked of the best nodes. Scores
 * here are within [-2^31, 2^31), so nothing overflows.
 */
struct base_state {
    uint32_t *rank; /* [cap_nodes], NULL when ties stay uniform */
};

/* A random permutation of 0..n-1 from seed (fresh stream, load time). */
static uint32_t *base_rank_new(uint64_t seed, uint32_t n)
{
    uint32_t *rank = malloc((n ? n : 1) * sizeof(*rank));
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rank || !g) {
        free(rank);
        gsl_rng_free(g);
        return NULL;
    }
    gsl_rng_set(g, (unsigned long)(seed ^ (seed >> 32)));
    for (uint32_t i = 0; i < n; i++)
        rank[i] = i;
    gsl_ran_shuffle(g, rank, n, sizeof(*rank));
    gsl_rng_free(g);
    return rank;
}

static int base_init(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                     struct os_error *err)
{
    struct base_state *st = calloc(1, sizeof(*st));
    if (!st)
        return os_errorf(err, OS_ENOMEM, "%s: out of memory", p->ops->name);
    if (o && o->tie_node_order) {
        st->rank = base_rank_new(o->seed, c->cap_nodes);
        if (!st->rank) {
            free(st);
            return os_errorf(err, OS_ENOMEM, "%s: out of memory", p->ops->name);
        }
    }
    p->state = st;
    return OS_OK;
}

static void base_destroy(struct placer *p)
{
    struct base_state *st = p->state;
    if (st)
        free(st->rank);
    free(st);
    p->state = NULL;
}

/* Folds the tie order into the scores (no-op when ties stay uniform). */
static void base_ties(const struct placer *p, const uint32_t *cand, uint32_t n, int64_t *score)
{
    const struct base_state *st = p->state;
    if (!st || !st->rank)
        return;
    for (uint32_t i = 0; i < n; i++)
        score[i] = score[i] * ((int64_t)1 << 32) + (int64_t)(UINT32_MAX - st->rank[cand[i]]);
}

/* ---------------- random ---------------- */

static int random_init(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                       struct os_error *err)
{
    (void)c;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!g)
        return os_errorf(err, OS_ENOMEM, "random: out of memory");
    /* gsl_rng_set maps seed 0 to the generator's default; fold the high bits. */
    uint64_t s = o ? o->seed : 0;
    gsl_rng_set(g, (unsigned long)(s ^ (s >> 32)));
    p->state = g;
    return OS_OK;
}

static void random_destroy(struct placer *p)
{
    gsl_rng_free(p->state);
    p->state = NULL;
}

static void random_score(struct placer *p, const struct cluster *c, const struct pod_req *r,
                         uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score)
{
    (void)p, (void)c, (void)r, (void)stage, (void)cand;
    for (uint32_t i = 0; i < n; i++)
        score[i] = 0;
}

static int random_pick_gpus(struct placer *p, const struct cluster *c, const struct pod_req *r,
                            uint32_t node, struct gpu_alloc *out)
{
    if (!base_fraction(r) || c->pools[c->pool[node]].gpu.mode != GPU_MODE_MILLI)
        return gpu_choose(c, node, &r->gpu, out);
    /* Reservoir sampling over the fitting GPUs in index order, as the peer. */
    uint32_t g0 = c->gpu_first[node], pick = UINT32_MAX, seen = 0;
    for (uint32_t g = g0; g < g0 + c->gpu_count[node]; g++) {
        if (c->gpu_free_milli[g] < r->gpu.milli || c->gpu_used[g] == UINT8_MAX)
            continue;
        seen++;
        if (gsl_rng_uniform_int(p->state, seen) == 0)
            pick = g;
    }
    if (pick == UINT32_MAX)
        return OS_ENOFIT;
    out->node = node;
    out->mode = GPU_MODE_MILLI;
    out->n = 1;
    out->part[0] = (struct gpu_alloc_part){.gpu = pick, .amount = r->gpu.milli};
    return OS_OK;
}

/* ---------------- dotprod ---------------- */

static void dotprod_score(struct placer *p, const struct cluster *c, const struct pod_req *r,
                          uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score)
{
    (void)stage;
    double pc = (double)base_cpu(r) / BASE_MAX_CPU;
    double pg = (double)base_gpu_total(r) / BASE_MAX_GPU;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t node = cand[i];
        double nc = (double)c->cpu_free[node] / BASE_MAX_CPU;
        double ng = (double)c->milli_free_sum[node] / BASE_MAX_GPU;
        double dot = 0;
        dot += nc * pc;
        dot += ng * pg;
        double s = 1 - dot / 2;
        score[i] = (int64_t)(100.0 * s);
    }
    base_ties(p, cand, n, score);
}

/* ---------------- gpuclustering ---------------- */

static void gpuclustering_score(struct placer *p, const struct cluster *c, const struct pod_req *r,
                                uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score)
{
    (void)stage;
    if (r->gpu.count == 0) {
        for (uint32_t i = 0; i < n; i++)
            score[i] = 0;
        base_ties(p, cand, n, score);
        return;
    }
    uint32_t mine = base_fraction(r) ? BASE_GROUP_SHARE : BASE_GROUP_WHOLE(r->gpu.count);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t node = cand[i];
        int64_t b = 25 * (int64_t)(BASE_MAX_GPU - c->milli_free_sum[node]) / BASE_MAX_GPU;
        uint32_t kinds = 0;
        for (uint32_t g = BASE_GROUP_SHARE; g <= BASE_GROUP_LAST; g++)
            kinds += cluster_group_on_node(c, g, node) > 0;
        if (cluster_group_on_node(c, mine, node) > 0)
            score[i] = b + (kinds == 1 ? 75 : 50);
        else
            score[i] = b + (kinds == 0 ? 25 : 0);
    }
    base_ties(p, cand, n, score);
}

/* ---------------- gpupacking ---------------- */

/*
 * The peer's getPackingScore, from high to low:
 *   1. the pod fits on GPUs already in use: 100 - (sum over the GPUs it would
 *      use of free*100/1000) / 10, at least 50;
 *   2. it needs fully free GPUs of a used node: 50 - (fully free GPUs used),
 *      at least 33;
 *   3. every GPU of the node is free: max(33 - free GPUs, free GPUs).
 * The GPUs "it would use" are the first that fit in ascending order of free
 * share (a stable sort: lowest index first among equals).
 */
static int64_t gpupacking_node(const struct cluster *c, const struct pod_req *r, uint32_t node)
{
    uint32_t g0 = c->gpu_first[node], ng = c->gpu_count[node];
    uint32_t full = c->free_whole[node];
    if (full == ng) {
        int64_t s = 100 / 3 - (int64_t)full;
        return s > (int64_t)full ? s : (int64_t)full;
    }
    uint16_t milli = base_fraction(r) ? r->gpu.milli : GPU_MILLI;
    if (!base_fraction(r)) {
        /* Whole GPUs only fit on fully free GPUs, the last in ascending order. */
        int64_t s = 100 / 2 - (int64_t)r->gpu.count;
        return s > 100 / 3 ? s : 100 / 3;
    }
    /* A fraction takes the single tightest GPU that fits. */
    uint32_t best = UINT32_MAX;
    for (uint32_t g = g0; g < g0 + ng; g++)
        if (c->gpu_free_milli[g] >= milli &&
            (best == UINT32_MAX || c->gpu_free_milli[g] < c->gpu_free_milli[best]))
            best = g;
    if (best == UINT32_MAX)
        return 0; /* cannot happen after the filter */
    if (c->gpu_free_milli[best] == GPU_MILLI) {
        int64_t s = 100 / 2 - 1;
        return s > 100 / 3 ? s : 100 / 3;
    }
    int64_t ratio = (int64_t)c->gpu_free_milli[best] * 100 / GPU_MILLI;
    int64_t s = 100 - ratio / 10;
    return s > 100 / 2 ? s : 100 / 2;
}

static void gpupacking_score(struct placer *p, const struct cluster *c, const struct pod_req *r,
                             uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score)
{
    (void)stage;
    for (uint32_t i = 0; i < n; i++)
        score[i] = r->gpu.count == 0 ? 0 : gpupacking_node(c, r, cand[i]);
    base_ties(p, cand, n, score);
}

/* ---------------- bestfit ---------------- */

static void bestfit_score(struct placer *p, const struct cluster *c, const struct pod_req *r,
                          uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score)
{
    (void)stage;
    double pc = base_cpu(r), pg = base_gpu_total(r);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t node = cand[i];
        double s = 0;
        s += ((double)c->cpu_free[node] - pc) / BASE_MAX_CPU * 0.5;
        s += ((double)c->milli_free_sum[node] - pg) / BASE_MAX_GPU * 0.5;
        s = (1.0 - s) * 100;
        score[i] = (int64_t)s;
    }
    base_ties(p, cand, n, score);
}

/* ---------------- registry ---------------- */

static const struct placer_ops random_ops = {
    .name = "random",
    .summary = "FGD baseline: a feasible node uniformly at random, a random fitting GPU",
    .init = random_init,
    .destroy = random_destroy,
    .score = random_score,
    .pick_gpus = random_pick_gpus,
};

static const struct placer_ops dotprod_ops = {
    .name = "dotprod",
    .init = base_init,
    .destroy = base_destroy,
    .summary = "FGD baseline: Tetris dot product of free and requested (CPU, GPU)",
    .score = dotprod_score,
};

static const struct placer_ops gpuclustering_ops = {
    .name = "gpuclustering",
    .init = base_init,
    .destroy = base_destroy,
    .summary = "FGD baseline: keep pods of one GPU affinity (fraction, k GPUs) together",
    .score = gpuclustering_score,
};

static const struct placer_ops gpupacking_ops = {
    .name = "gpupacking",
    .init = base_init,
    .destroy = base_destroy,
    .summary = "FGD baseline: shared GPUs first, then used nodes, then empty nodes",
    .score = gpupacking_score,
};

static const struct placer_ops bestfit_ops = {
    .name = "bestfit",
    .init = base_init,
    .destroy = base_destroy,
    .summary = "FGD baseline: least remaining CPU and GPU after placement",
    .score = bestfit_score,
};

const struct placer_ops *const placer_baselines_list[] = {
    &random_ops, &dotprod_ops, &gpuclustering_ops, &gpupacking_ops, &bestfit_ops, NULL};
