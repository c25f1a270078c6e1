/*
 * frag.h - FGD's GPU fragmentation measure (Weng et al., "Beware of
 * Fragmentation", USENIX ATC'23; peer code pkg/utils/frag.go), computed fast.
 *
 * Definition (the peer's NodeGpuShareFragAmount + FragAmountSumExceptQ3). A
 * "target workload" is a list of pod shapes s (CPU request, per-GPU milli,
 * GPU count, allowed GPU models) with frequencies f_s. For a node with free
 * CPU C, free milli-GPU l_1..l_k (T = sum of l_i) and GPU model M, shape s
 * sees:
 *   - no GPU (CPU-only shape): all of T is fragment, whatever C is;
 *   - a model it may not use: all of T is fragment;
 *   - a node that can host it (at least count GPUs with l_i >= milli, and
 *     C >= cpu): only the GPUs too small for it, sum of l_i < milli, are
 *     fragment ("Q3 satisfied");
 *   - otherwise (lacks GPU or CPU): all of T is fragment.
 * The node's fragmentation is F(node) = sum_s f_s * fragment_s, in milli-GPU;
 * the cluster's is the sum over nodes.
 *
 * Fast form. Group the GPU shapes into classes g = (milli, count, models) and
 * let W_g(C) = sum of f_s over the shapes of class g with cpu_s <= C. With
 * cnt_g = #{i : l_i >= milli_g} and big_g = sum of those l_i,
 *     F(node) = T * sum_s f_s - sum_g acc_g(M) * [cnt_g >= count_g] * W_g(C) * big_g.
 * W_g is a step function of C, tabulated once per target at the distinct CPU
 * requests (one binary search serves every class). A node's cnt_g/big_g are
 * cached; the effect of taking CPU and some GPU share is then O(classes),
 * without allocation. The result equals the per-shape definition up to
 * floating-point summation order (tests check this against
 * frag_node_reference()).
 *
 * Ownership: struct frag_target and struct frag_nodes are caller-owned with
 * init/destroy pairs. A target is immutable after frag_target_build() and may
 * be shared by threads; a frag_nodes cache belongs to one cluster (one thread).
 */
#ifndef ORCHSIM_FRAG_H
#define ORCHSIM_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/cluster.h"
#include "models/placement/placement.h"
#include "sim/os_err.h"

/* GPU model indices usable in model masks (bit i = model i). A node whose
 * model is CLUSTER_GPU_NONE or >= FRAG_MODELS serves no GPU shape. */
#define FRAG_MODELS 64

/* One class of GPU shapes: same per-GPU milli, GPU count and allowed models. */
struct frag_class {
    uint16_t milli;      /* per-GPU share, 1..1000 */
    uint16_t count;      /* GPUs, >= 1 */
    uint64_t model_mask; /* allowed models (bit i = model i); 0 = any */
};

/* A compiled target workload. Immutable after frag_target_build(). */
struct frag_target {
    double f_total;         /* sum of all frequencies (CPU-only shapes included) */
    double f_cpu_only;      /* sum of the frequencies of CPU-only shapes */
    uint32_t ncls;          /* GPU classes */
    struct frag_class *cls; /* [ncls] */
    uint32_t nthr;          /* distinct CPU requests of GPU shapes */
    int32_t *thr;           /* [nthr], ascending */
    double *w;              /* [(nthr + 1) * ncls]: row k = W_g(C) for thr[k-1] <= C < thr[k] */
    uint8_t *acc;           /* [(FRAG_MODELS + 1) * ncls]: model m may serve class g */
};

/* Compiles shapes (frequencies >= 0; need not sum to 1) into t. A shape with
 * gpu.count == 0 is CPU-only. OS_EINVAL for a negative frequency or a GPU
 * shape whose milli is not in 1..1000; OS_ENOMEM. On failure t needs no
 * destroy. */
int frag_target_build(struct frag_target *t, const struct placer_shape *shapes, size_t n,
                      struct os_error *err);

/* Frees what frag_target_build() reserved. Safe on a zeroed struct. */
void frag_target_destroy(struct frag_target *t);

/*
 * The peer's choice of "typical pods" (GetTypicalPods, step 1): sorts shapes
 * (whose freq holds a pod count) by decreasing count, keeps the shortest
 * prefix that covers at least popularity_pct % of all pods and rescales the
 * kept counts to frequencies summing to 1. Ties in count are ordered as the
 * peer does (larger cpu, then milli, then count first); the peer's final
 * tie-break on the gpu_spec string is replaced by the model mask [U].
 * Returns the number of shapes kept (0 when n == 0 or all counts are 0).
 */
size_t frag_typical_shapes(struct placer_shape *shapes, size_t n, double popularity_pct);

/* F(node) by the compiled form for a node state given explicitly. model is a
 * GPU model index or CLUSTER_GPU_NONE. */
double frag_node_compute(const struct frag_target *t, uint8_t model, int32_t cpu_free,
                         const uint16_t *gpu_free, uint32_t ngpu);

/* F(node) straight from the per-shape definition above (slow; the peer's
 * loop). For tests and as the documentation of the measure. */
double frag_node_reference(const struct placer_shape *shapes, size_t n, uint8_t model,
                           int32_t cpu_free, const uint16_t *gpu_free, uint32_t ngpu);

/*
 * A per-node cache of F for one cluster. Each node's entry remembers the
 * state it was computed from (free CPU, model, free milli of every GPU);
 * frag_nodes_sync() recomputes an entry only when the node changed, so the
 * cache is correct whoever binds or releases pods. sum is the sum of F over
 * the synced entries.
 */
struct frag_nodes {
    uint32_t cap;  /* node slots */
    uint32_t ncls; /* classes of the target it was made for */
    double sum;    /* sum of value[] over valid entries */
    uint8_t *valid;
    uint8_t *model;
    uint8_t *ngpu;
    int32_t *cpu;   /* free CPU seen */
    int32_t *tfree; /* T: total free milli seen */
    uint16_t *gpu;  /* [cap * GPU_NODE_MAX]: free milli seen */
    uint8_t *cnt;   /* [cap * ncls] */
    int32_t *big;   /* [cap * ncls] */
    double *value;  /* F(node) */
};

/* Reserves the cache for cap node slots; every entry starts invalid. */
int frag_nodes_init(struct frag_nodes *fn, const struct frag_target *t, uint32_t cap,
                    struct os_error *err);
void frag_nodes_destroy(struct frag_nodes *fn);

/* Invalidates every entry (sum = 0). */
void frag_nodes_reset(struct frag_nodes *fn);

/* Brings node's entry up to date with c. Returns true if it was recomputed. */
bool frag_nodes_sync(struct frag_nodes *fn, const struct frag_target *t, const struct cluster *c,
                     uint32_t node);

/* Syncs nodes 0..c->n_nodes-1 and returns sum. A GONE node counts as a node
 * without GPUs (F = 0). */
double frag_nodes_sync_all(struct frag_nodes *fn, const struct frag_target *t,
                           const struct cluster *c);

/* F(node) of a synced entry. */
static inline double frag_node_value(const struct frag_nodes *fn, uint32_t node)
{
    return fn->value[node];
}

/*
 * F(node) after hypothetically taking cpu_take milli-CPU and either `milli`
 * from the node's GPU number gpu_local (0-based within the node; milli <= its
 * free share) or `whole` fully free GPUs (whole > 0; gpu_local ignored). Pass
 * gpu_local < 0 and whole == 0 for a CPU-only pod. The entry must be synced.
 * O(classes); no allocation.
 */
double frag_node_after(const struct frag_nodes *fn, const struct frag_target *t, uint32_t node,
                       int32_t cpu_take, int gpu_local, uint16_t milli, uint32_t whole);

#endif
