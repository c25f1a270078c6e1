/*
 * k8s.c - kube-scheduler's scoring (MODELS.md section 2), on the shared filter
 * (placement.c: NodeResourcesFit, taints, nodeSelector, required affinity,
 * with numFeasibleNodesToFind and the rotating start index).
 *
 * Score of a node = sum over plugins of weight x plugin score (0..100):
 *   NodeResourcesFit (weight 1): LeastAllocated, MostAllocated or
 *     RequestedToCapacityRatio over cpu and memory (weights 1), plus the pod's
 *     GPU resource when opts.gpu_aware. Uses NonZeroRequested for cpu/memory
 *     (a zero request counts as 100 milli-CPU / 200 MiB) and the pod's
 *     non-zero request, as the plugin (useRequested = false).
 *   BalancedAllocation (1): 1 - std of min(requested/allocatable, 1) over the
 *     same resources, with actual requests (useRequested = true); skipped for a
 *     pod requesting none of them (BestEffort).
 *   TaintToleration (3): intolerable PreferNoSchedule taints, normalised in
 *     reverse (DefaultNormalizeScore(100, reverse)).
 *   NodeAffinity (2): sum of weights of matching preferred terms, normalised
 *     (DefaultNormalizeScore(100, false)).
 * Integer arithmetic is as in pkg/scheduler/framework/plugins/noderesources
 * (least_allocated.go, most_allocated.go, requested_to_capacity_ratio.go,
 * balanced_allocation.go) and helper/normalize_score.go. Memory is in MiB
 * rather than bytes; every ratio above is unchanged by that scaling because
 * both operands scale alike (requests are whole MiB).
 * Not modelled (no data for them here): PodTopologySpread, InterPodAffinity,
 * ImageLocality, VolumeBinding; they would add a constant to every node.
 */
#include "models/placement/placement.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define K8S_MAX_NODE_SCORE 100
#define K8S_MAX_UTIL       100

enum k8s_fit { K8S_LEAST = 0, K8S_MOST = 1, K8S_RTCR = 2 };

struct k8s_state {
    enum k8s_fit fit;
    int64_t w_fit, w_bal, w_taint, w_aff;
    int64_t rw[3]; /* resource weights: cpu, memory, gpu */
    bool gpu_aware;
    uint8_t n_shape;
    int64_t shape_u[K8S_SHAPE_MAX]; /* utilization */
    int64_t shape_s[K8S_SHAPE_MAX]; /* score x 10 (MaxNodeScore / MaxCustomPriorityScore) */
    int64_t *taint_raw;             /* per candidate */
    int64_t *aff_raw;
};

static int k8s_init(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                    enum k8s_fit fit, bool gpu_aware, struct os_error *err)
{
    (void)c;
    struct k8s_state *st = calloc(1, sizeof *st);
    if (!st)
        return os_errorf(err, OS_ENOMEM, "placement: %s: out of memory", p->ops->name);
    st->taint_raw = calloc(p->cap ? p->cap : 1, sizeof *st->taint_raw);
    st->aff_raw = calloc(p->cap ? p->cap : 1, sizeof *st->aff_raw);
    if (!st->taint_raw || !st->aff_raw) {
        free(st->taint_raw);
        free(st->aff_raw);
        free(st);
        return os_errorf(err, OS_ENOMEM, "placement: %s: out of memory", p->ops->name);
    }
    st->fit = fit;
    st->w_fit = o->w_fit ? o->w_fit : 1;
    st->w_bal = o->w_balanced ? o->w_balanced : 1;
    st->w_taint = o->w_taint ? o->w_taint : 3;
    st->w_aff = o->w_affinity ? o->w_affinity : 2;
    st->rw[0] = o->res_w_cpu ? o->res_w_cpu : 1;
    st->rw[1] = o->res_w_mem ? o->res_w_mem : 1;
    st->rw[2] = o->res_w_gpu ? o->res_w_gpu : 1;
    st->gpu_aware = gpu_aware || o->gpu_aware;
    const char *bad = NULL;
    if (o->pct_nodes_to_score < 0 || o->pct_nodes_to_score > 100)
        bad = "percentageOfNodesToScore: expected 0..100";
    else if (o->w_fit < 0 || o->w_balanced < 0 || o->w_taint < 0 || o->w_affinity < 0 ||
             o->res_w_cpu < 0 || o->res_w_mem < 0 || o->res_w_gpu < 0)
        bad = "weights: expected non-negative integers";
    if (fit == K8S_RTCR) {
        if (o->n_shape == 0) {
            /* the documented bin-packing shape {(0,0),(100,10)} */
            st->n_shape = 2;
            st->shape_u[0] = 0, st->shape_s[0] = 0;
            st->shape_u[1] = 100, st->shape_s[1] = 10 * 10;
        } else if (o->n_shape > K8S_SHAPE_MAX) {
            bad = "shape: at most 10 points";
        } else {
            st->n_shape = o->n_shape;
            for (uint8_t i = 0; i < o->n_shape && !bad; i++) {
                if (o->shape[i].utilization < 0 || o->shape[i].utilization > 100 ||
                    o->shape[i].score < 0 || o->shape[i].score > 10)
                    bad = "shape: utilization 0..100 and score 0..10";
                else if (i && o->shape[i].utilization <= o->shape[i - 1].utilization)
                    bad = "shape: utilization must increase";
                st->shape_u[i] = o->shape[i].utilization;
                st->shape_s[i] = (int64_t)o->shape[i].score * (K8S_MAX_NODE_SCORE / 10);
            }
        }
    }
    if (bad) {
        free(st->taint_raw);
        free(st->aff_raw);
        free(st);
        return os_errorf(err, OS_EINVAL, "placement: %s: %s", p->ops->name, bad);
    }
    p->state = st;
    return OS_OK;
}

static void k8s_destroy(struct placer *p)
{
    struct k8s_state *st = p->state;
    if (st) {
        free(st->taint_raw);
        free(st->aff_raw);
        free(st);
    }
    p->state = NULL;
}

/* helper.BuildBrokenLinearFunction */
static int64_t k8s_broken_linear(const struct k8s_state *st, int64_t u)
{
    for (uint8_t i = 0; i < st->n_shape; i++) {
        if (u <= st->shape_u[i]) {
            if (i == 0)
                return st->shape_s[0];
            return st->shape_s[i - 1] + (st->shape_s[i] - st->shape_s[i - 1]) *
                                            (u - st->shape_u[i - 1]) /
                                            (st->shape_u[i] - st->shape_u[i - 1]);
        }
    }
    return st->shape_s[st->n_shape - 1];
}

/* The fit strategy's score for resources r[0..n) with requested req[] and
 * allocatable alloc[] (alloc 0 = resource skipped). */
static int64_t k8s_fit_score(const struct k8s_state *st, const int64_t *req, const int64_t *alloc,
                             const int64_t *w, int n)
{
    int64_t sum = 0, wsum = 0;
    for (int i = 0; i < n; i++) {
        if (alloc[i] == 0)
            continue;
        int64_t s;
        switch (st->fit) {
        case K8S_LEAST: /* leastRequestedScore */
            s = req[i] > alloc[i] ? 0 : (alloc[i] - req[i]) * K8S_MAX_NODE_SCORE / alloc[i];
            break;
        case K8S_MOST: { /* mostRequestedScore */
            int64_t q = req[i] > alloc[i] ? alloc[i] : req[i];
            s = q * K8S_MAX_NODE_SCORE / alloc[i];
            break;
        }
        default: /* requested to capacity ratio */
            s = k8s_broken_linear(st, req[i] > alloc[i] ? K8S_MAX_UTIL
                                                        : req[i] * K8S_MAX_UTIL / alloc[i]);
            if (s <= 0)
                continue;
            break;
        }
        sum += s * w[i];
        wsum += w[i];
    }
    if (wsum == 0)
        return 0;
    if (st->fit == K8S_RTCR)
        return (int64_t)llround((double)sum / (double)wsum);
    return sum / wsum;
}

/* balancedResourceScorer */
static int64_t k8s_balanced(const int64_t *req, const int64_t *alloc, int n)
{
    double f[3], total = 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (alloc[i] == 0)
            continue;
        double x = (double)req[i] / (double)alloc[i];
        if (x > 1)
            x = 1;
        f[m++] = x;
        total += x;
    }
    double sd = 0;
    if (m == 2) {
        sd = fabs((f[0] - f[1]) / 2);
    } else if (m > 2) {
        double mean = total / m, s = 0;
        for (int i = 0; i < m; i++)
            s += (f[i] - mean) * (f[i] - mean);
        sd = sqrt(s / m);
    }
    return (int64_t)((1 - sd) * (double)K8S_MAX_NODE_SCORE);
}

/* Allocatable and requested units of the pod's GPU resource on node n. */
static void k8s_gpu_units(const struct cluster *c, const struct pod_req *r, uint32_t n,
                          int64_t *alloc, int64_t *used)
{
    const struct gpu_cfg *cfg = &c->pools[c->pool[n]].gpu;
    if (r->gpu.count == 1 && r->gpu.milli > 0 && r->gpu.milli < GPU_MILLI) {
        *alloc = (int64_t)c->gpu_count[n] * GPU_MILLI;
        *used = *alloc - c->milli_free_sum[n];
        return;
    }
    if (cfg->mode == GPU_MODE_MIG && cfg->mig_strategy == GPU_MIG_MIXED) {
        size_t np;
        const struct gpu_mig_profile *pr = gpu_mig_profiles(cfg->mig_family, &np);
        int64_t a = 0, u = 0;
        uint32_t g0 = c->gpu_first[n];
        for (uint32_t g = g0; g < g0 + c->gpu_count[n]; g++)
            for (uint8_t j = 0; j < cfg->mig_n; j++)
                if (pr[cfg->mig_layout[j].profile].res == r->gpu.res) {
                    a++;
                    u += c->gpu_used[g] >> j & 1u;
                }
        *alloc = a;
        *used = u;
        return;
    }
    *alloc = c->res_cap[n];
    *used = (int64_t)c->res_cap[n] - c->res_free[n];
}

/* DefaultNormalizeScore(MaxNodeScore, reverse, scores) */
static void k8s_normalize(int64_t *s, uint32_t n, bool reverse)
{
    int64_t mx = 0;
    for (uint32_t i = 0; i < n; i++)
        if (s[i] > mx)
            mx = s[i];
    if (mx == 0) {
        if (reverse)
            for (uint32_t i = 0; i < n; i++)
                s[i] = K8S_MAX_NODE_SCORE;
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        int64_t v = K8S_MAX_NODE_SCORE * s[i] / mx;
        s[i] = reverse ? K8S_MAX_NODE_SCORE - v : v;
    }
}

static void k8s_score(struct placer *p, const struct cluster *c, const struct pod_req *r,
                      uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score)
{
    (void)stage;
    struct k8s_state *st = p->state;
    int64_t pod_cpu_nz = r->cpu_milli ? r->cpu_milli : CLUSTER_NZ_CPU_MILLI;
    int64_t pod_mem_nz = r->mem_mib ? r->mem_mib : CLUSTER_NZ_MEM_MIB;
    bool use_gpu = st->gpu_aware && r->gpu.count > 0;
    int64_t pod_gpu = 0;
    if (use_gpu)
        pod_gpu = (r->gpu.count == 1 && r->gpu.milli > 0 && r->gpu.milli < GPU_MILLI)
                      ? r->gpu.milli
                      : r->gpu.count;
    int nres = use_gpu ? 3 : 2;
    /* BestEffort: no request for any scored resource (actual requests) */
    bool best_effort = r->cpu_milli == 0 && r->mem_mib == 0 && pod_gpu == 0;
    bool any_taint = false;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t nd = cand[i];
        int64_t alloc[3] = {c->cpu_cap[nd], c->mem_cap[nd], 0};
        int64_t req[3] = {c->cpu_nz_req[nd] + pod_cpu_nz, c->mem_nz_req[nd] + pod_mem_nz, 0};
        int64_t act[3] = {(int64_t)c->cpu_cap[nd] - c->cpu_free[nd] + r->cpu_milli,
                          (int64_t)c->mem_cap[nd] - c->mem_free[nd] + r->mem_mib, 0};
        if (use_gpu) {
            int64_t ga, gu;
            k8s_gpu_units(c, r, nd, &ga, &gu);
            /* an extended resource: requested = allocated units + the pod's */
            alloc[2] = ga;
            req[2] = act[2] = gu + pod_gpu;
        }
        int64_t s = st->w_fit * k8s_fit_score(st, req, alloc, st->rw, nres);
        if (!best_effort)
            s += st->w_bal * k8s_balanced(act, alloc, nres);
        score[i] = s;
        if (c->node_flags[nd] & CLUSTER_NF_TAINTED) {
            int64_t cnt = 0;
            const struct cluster_taint *t = c->taints + (size_t)nd * CLUSTER_TAINTS_MAX;
            for (uint8_t k = 0; k < c->n_taints[nd]; k++) {
                if (t[k].effect != CLUSTER_TAINT_PREFER_NO_SCHEDULE)
                    continue;
                bool tol = false;
                for (uint8_t j = 0; j < r->n_tolerations && !tol; j++) {
                    const struct k8s_toleration *x = &r->tolerations[j];
                    if (x->effect && x->effect != CLUSTER_TAINT_PREFER_NO_SCHEDULE)
                        continue;
                    if (x->key && x->key != t[k].key)
                        continue;
                    tol = x->op == K8S_TOL_EXISTS || x->value == t[k].value;
                }
                cnt += !tol;
            }
            st->taint_raw[i] = cnt;
            any_taint |= cnt > 0;
        } else {
            st->taint_raw[i] = 0;
        }
    }
    /* TaintToleration: reverse-normalised; with no intolerable taint every
     * node gets 100 */
    if (any_taint) {
        k8s_normalize(st->taint_raw, n, true);
        for (uint32_t i = 0; i < n; i++)
            score[i] += st->w_taint * st->taint_raw[i];
    } else {
        for (uint32_t i = 0; i < n; i++)
            score[i] += st->w_taint * K8S_MAX_NODE_SCORE;
    }
    /* NodeAffinity preferred terms */
    if (r->n_preferred) {
        for (uint32_t i = 0; i < n; i++) {
            int64_t w = 0;
            for (uint8_t j = 0; j < r->n_preferred; j++)
                if (placement_term_matches(c, &r->preferred[j].term, cand[i]))
                    w += r->preferred[j].weight;
            st->aff_raw[i] = w;
        }
        k8s_normalize(st->aff_raw, n, false);
        for (uint32_t i = 0; i < n; i++)
            score[i] += st->w_aff * st->aff_raw[i];
    }
}

static int k8s_init_least(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                          struct os_error *err)
{
    return k8s_init(p, c, o, K8S_LEAST, false, err);
}

static int k8s_init_most(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                         struct os_error *err)
{
    return k8s_init(p, c, o, K8S_MOST, false, err);
}

static int k8s_init_rtcr(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                         struct os_error *err)
{
    return k8s_init(p, c, o, K8S_RTCR, false, err);
}

static int k8s_init_binpack_gpu(struct placer *p, const struct cluster *c,
                                const struct placer_opts *o, struct os_error *err)
{
    return k8s_init(p, c, o, K8S_MOST, true, err);
}

static const struct placer_ops k8s_ops_default = {
    .name = "k8s-default",
    .summary = "kube-scheduler default profile: LeastAllocated + BalancedAllocation + "
               "TaintToleration + NodeAffinity",
    .flags = PLACER_F_SAMPLE,
    .init = k8s_init_least,
    .destroy = k8s_destroy,
    .score = k8s_score,
};

static const struct placer_ops k8s_ops_most = {
    .name = "k8s-most-allocated",
    .summary = "kube-scheduler with NodeResourcesFit MostAllocated (cpu, memory)",
    .flags = PLACER_F_SAMPLE,
    .init = k8s_init_most,
    .destroy = k8s_destroy,
    .score = k8s_score,
};

static const struct placer_ops k8s_ops_rtcr = {
    .name = "k8s-rtcr",
    .summary = "kube-scheduler with RequestedToCapacityRatio (default bin-packing shape)",
    .flags = PLACER_F_SAMPLE,
    .init = k8s_init_rtcr,
    .destroy = k8s_destroy,
    .score = k8s_score,
};

static const struct placer_ops k8s_ops_binpack_gpu = {
    .name = "k8s-binpack-gpu",
    .summary = "kube-scheduler MostAllocated over cpu, memory and the pod's GPU resource",
    .flags = PLACER_F_SAMPLE,
    .init = k8s_init_binpack_gpu,
    .destroy = k8s_destroy,
    .score = k8s_score,
};

const struct placer_ops *const placer_k8s_list[] = {
    &k8s_ops_default, &k8s_ops_most, &k8s_ops_rtcr, &k8s_ops_binpack_gpu, NULL,
};
