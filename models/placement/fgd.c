/*
 * fgd.c - Fragmentation Gradient Descent (Weng et al., USENIX ATC'23), as the
 * peer simulator implements it (hkust-adsl/kubernetes-scheduler-simulator,
 * pkg/simulator/plugin/fgd_score.go + pkg/utils/frag.go).
 *
 * Score. For a feasible node with fragmentation F (models/frag.h, against the
 * target workload given in placer_opts.shapes) the pod is placed
 * hypothetically and F' computed; the node scores
 *     int64(sigmoid((F - F') / 1000) * 100)       (0..100, truncated)
 * i.e. the node where expected fragmentation grows least (or shrinks most)
 * wins. The truncation to an integer is the peer's and matters: many nodes
 * tie, and ties are broken uniformly at random by the shared select step (as
 * kube-scheduler's selectHost). The peer gives the plugin weight 1000 and no
 * NormalizeScore, which does not change the argmax.
 *   - A fractional pod (one GPU, milli < 1000) is tried on every GPU of the
 *     node with enough free share; the node's score is the best GPU's.
 *   - A pod of whole GPUs takes the lowest-indexed fully free GPUs (the peer's
 *     NodeResource.Sub and AllocateExclusiveGpuId agree on this).
 *   - A CPU-only pod only takes CPU; that can make GPUs unusable for the
 *     target shapes, which F' sees.
 *   The hypothetical uses the pod's CPU request with kube-scheduler's non-zero
 *   default (100 milli-CPU for a request of 0), as the peer's GetPodResource.
 * Ties: uniform per decision, or, with placer_opts.tie_node_order, the first
 * node in a random order fixed per placer (baselines.c explains why).
 * GPU choice (pick_gpus). For a fractional pod, the GPU with the highest of
 * those integer scores, the lowest index on ties (the peer registers this
 * function as Open-Gpu-Share's GPU selector when FGD is the score plugin).
 * Whole GPUs: the lowest-indexed free ones (gpu_choose).
 *
 * State: the compiled target (frag_target) and a per-node cache of F
 * (frag_nodes) that revalidates itself against the cluster on every look, so
 * the policy stays correct whoever binds or releases pods. No allocation per
 * decision.
 *
 * Without a target workload [U] the placer uses a one-shape target: a pod of
 * one whole GPU. F is then the free share of partly used GPUs.
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "models/frag.h"
#include "models/placement/placement.h"

struct fgd_state {
    struct frag_target target;
    struct frag_nodes nodes;
    uint32_t *rank; /* tie order (placer_opts.tie_node_order), or NULL */
};

/* kube-scheduler's non-zero CPU request (schedulerutil.GetNonzeroRequests). */
static int32_t fgd_cpu(const struct pod_req *r)
{
    return r->cpu_milli > 0 ? r->cpu_milli : 100;
}

static bool fgd_fraction(const struct pod_req *r)
{
    return r->gpu.count == 1 && r->gpu.milli > 0 && r->gpu.milli < GPU_MILLI;
}

/* The peer's score for a fragmentation change old -> new (milli-GPU). */
static int64_t fgd_score_of(double old_frag, double new_frag)
{
    double x = (old_frag - new_frag) / 1000.0;
    return (int64_t)(1.0 / (1.0 + exp(-x)) * 100.0);
}

/* Best integer score over the node's GPUs for a fractional pod; *gpu_local
 * receives the chosen GPU (lowest index among the best). -1 if none fits. */
static int64_t fgd_best_gpu(struct fgd_state *st, const struct cluster *c, const struct pod_req *r,
                            uint32_t node, int *gpu_local)
{
    double old_frag = frag_node_value(&st->nodes, node);
    uint32_t g0 = c->gpu_first[node];
    int64_t best = -1;
    int best_i = -1;
    uint16_t tried[GPU_NODE_MAX];
    int64_t tried_score[GPU_NODE_MAX];
    uint32_t ntried = 0;
    for (uint32_t i = 0; i < c->gpu_count[node]; i++) {
        uint16_t free_i = c->gpu_free_milli[g0 + i];
        if (free_i < r->gpu.milli || c->gpu_used[g0 + i] == UINT8_MAX)
            continue;
        /* GPUs with the same free share give the same F'. */
        int64_t s = -1;
        for (uint32_t k = 0; k < ntried; k++)
            if (tried[k] == free_i)
                s = tried_score[k];
        if (s < 0) {
            double nf =
                frag_node_after(&st->nodes, &st->target, node, fgd_cpu(r), (int)i, r->gpu.milli, 0);
            s = fgd_score_of(old_frag, nf);
            tried[ntried] = free_i;
            tried_score[ntried++] = s;
        }
        if (s > best) {
            best = s;
            best_i = (int)i;
        }
    }
    *gpu_local = best_i;
    return best;
}

static int fgd_init(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                    struct os_error *err)
{
    struct fgd_state *st = calloc(1, sizeof(*st));
    if (!st)
        return os_errorf(err, OS_ENOMEM, "fgd: out of memory");
    static const struct placer_shape one_gpu = {
        .gpu = {.count = 1, .milli = GPU_MILLI, .res = GPU_RES_GPU}, .freq = 1.0};
    const struct placer_shape *shapes = o && o->n_shapes ? o->shapes : &one_gpu;
    size_t n = o && o->n_shapes ? o->n_shapes : 1;
    int rc = frag_target_build(&st->target, shapes, n, err);
    if (rc)
        goto out_free;
    rc = frag_nodes_init(&st->nodes, &st->target, c->cap_nodes, err);
    if (rc)
        goto out_target;
    if (o && o->tie_node_order) {
        /* A random node order from the seed, as baselines.c. */
        uint32_t n_nodes = c->cap_nodes ? c->cap_nodes : 1;
        gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
        st->rank = malloc(n_nodes * sizeof(*st->rank));
        if (!g || !st->rank) {
            gsl_rng_free(g);
            rc = os_errorf(err, OS_ENOMEM, "fgd: out of memory");
            goto out_nodes;
        }
        gsl_rng_set(g, (unsigned long)(o->seed ^ (o->seed >> 32)));
        for (uint32_t i = 0; i < n_nodes; i++)
            st->rank[i] = i;
        gsl_ran_shuffle(g, st->rank, n_nodes, sizeof(*st->rank));
        gsl_rng_free(g);
    }
    p->state = st;
    return OS_OK;

out_nodes:
    free(st->rank);
    frag_nodes_destroy(&st->nodes);
out_target:
    frag_target_destroy(&st->target);
out_free:
    free(st);
    return rc;
}

static void fgd_destroy(struct placer *p)
{
    struct fgd_state *st = p->state;
    if (!st)
        return;
    free(st->rank);
    frag_nodes_destroy(&st->nodes);
    frag_target_destroy(&st->target);
    free(st);
    p->state = NULL;
}

static void fgd_score(struct placer *p, const struct cluster *c, const struct pod_req *r,
                      uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score)
{
    (void)stage;
    struct fgd_state *st = p->state;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t node = cand[i];
        frag_nodes_sync(&st->nodes, &st->target, c, node);
        if (fgd_fraction(r)) {
            int gl;
            int64_t s = fgd_best_gpu(st, c, r, node, &gl);
            score[i] = s < 0 ? 0 : s;
        } else {
            uint32_t whole = r->gpu.count;
            double nf = frag_node_after(&st->nodes, &st->target, node, fgd_cpu(r), -1, 0, whole);
            score[i] = fgd_score_of(frag_node_value(&st->nodes, node), nf);
        }
    }
    if (st->rank) /* tie order: best-ranked of the best nodes (see baselines.c) */
        for (uint32_t i = 0; i < n; i++)
            score[i] = score[i] * ((int64_t)1 << 32) + (int64_t)(UINT32_MAX - st->rank[cand[i]]);
}

static int fgd_pick_gpus(struct placer *p, const struct cluster *c, const struct pod_req *r,
                         uint32_t node, struct gpu_alloc *out)
{
    struct fgd_state *st = p->state;
    if (!fgd_fraction(r) || c->pools[c->pool[node]].gpu.mode != GPU_MODE_MILLI)
        return gpu_choose(c, node, &r->gpu, out);
    frag_nodes_sync(&st->nodes, &st->target, c, node);
    int gl;
    if (fgd_best_gpu(st, c, r, node, &gl) < 0)
        return OS_ENOFIT;
    out->node = node;
    out->mode = GPU_MODE_MILLI;
    out->n = 1;
    out->part[0] =
        (struct gpu_alloc_part){.gpu = c->gpu_first[node] + (uint32_t)gl, .amount = r->gpu.milli};
    return OS_OK;
}

static const struct placer_ops fgd_ops = {
    .name = "fgd",
    .summary = "FGD: least growth of expected GPU fragmentation for the target workload",
    .init = fgd_init,
    .destroy = fgd_destroy,
    .score = fgd_score,
    .pick_gpus = fgd_pick_gpus,
};

const struct placer_ops *const placer_fgd_list[] = {&fgd_ops, NULL};
