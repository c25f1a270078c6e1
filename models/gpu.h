/*
 * gpu.h - per-GPU accounting for every sharing mode, the MIG geometry, the
 * allocation record and the speed share.
 *
 * What this file models (MODELS.md section 3, NVIDIA k8s-device-plugin):
 * - A sharing mode is configuration of a node pool (struct gpu_cfg), never of a
 *   pod. All GPUs of one node share one configuration, as with the device
 *   plugin's per-node config.
 * - WHOLE: exclusive whole GPUs (ECS GPU resourceRequirements, k8s
 *   nvidia.com/gpu). The GPU IDs given to a task are the lowest free ones
 *   [U: ECS does not document the choice; MODELS.md section 1].
 * - MILLI: the openb trace's fractional GPUs. A request of one GPU with
 *   gpu_milli < 1000 takes that many thousandths of one GPU; a request with
 *   count > 1 (or gpu_milli == 1000) takes whole GPUs. Default GPU choice for a
 *   fraction is best fit (the fitting GPU with least free milli, lowest index on
 *   ties) [U]; placement policies may choose differently (placer_ops.pick_gpus).
 * - TIMESLICE: R replicas per GPU advertised as nvidia.com/gpu, or as
 *   nvidia.com/gpu.shared with renameByDefault. With failRequestsGreaterThanOne
 *   a request for more than one replica is rejected; [U] we reject it at the
 *   filter (gpu_req_acceptable) where the real kubelet admits the binding and
 *   then fails the pod with UnexpectedAdmissionError. No memory isolation. The
 *   replicas of a request are spread over the GPUs with the fewest tenants
 *   (the plugin's "distributed" allocation for replicated resources), lowest
 *   index on ties.
 * - MPS: R clients per GPU, each capped at 1/R of memory and compute; same
 *   accounting and GPU choice as TIMESLICE.
 * - MIG: each GPU of the node is partitioned into a fixed layout of instances
 *   (the mig-parted configuration the node booted with); a pod takes free
 *   instances. Strategy single: every instance has the same profile and the
 *   resource is nvidia.com/gpu. Strategy mixed: instances are exposed as
 *   nvidia.com/mig-<g>g.<mem>gb. The layout is validated against the real
 *   geometry (start slots and sizes on 8 memory slices). Repartitioning a live
 *   GPU is possible when it is idle (cluster_set_gpu_layout, to one of the
 *   pool's mig_alt layouts: what the MIG manager applies), so the GPUs of one
 *   node may have different layouts (cluster.gpu_layout). Instance choice:
 *   lowest GPU, then lowest layout entry
 *   [U: the plugin's preferred allocation for MIG devices is not documented].
 *
 * State lives in struct cluster (models/cluster.h) as per-GPU arrays:
 * gpu_free_milli[g] (0..1000) and gpu_used[g] (WHOLE/MILLI: allocations on
 * the GPU; TIMESLICE/MPS: replicas in use; MIG: bit mask of used layout
 * entries). gpu_commit() and
 * gpu_release() also keep the node aggregates (free whole GPUs, free units of
 * the node's resource, max and sum of free milli) in step. gpu_release(a) is
 * the exact inverse of gpu_commit(a): after both, every array is bit-identical.
 *
 * Nothing here allocates memory; nothing reads configuration by name on the
 * hot path: resource names are mapped to small integer ids at load time with
 * gpu_res_parse().
 */
#ifndef ORCHSIM_GPU_H
#define ORCHSIM_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/os_err.h"

struct cluster;

/* Largest number of GPUs on one node. */
#define GPU_NODE_MAX 16
/* Largest number of distinct GPUs one allocation record can name. */
#define GPU_ALLOC_MAX GPU_NODE_MAX
/* One GPU in thousandths. */
#define GPU_MILLI 1000
/* MIG: memory slices and compute (SM) slices of one GPU. */
#define GPU_MIG_MEM_SLICES     8
#define GPU_MIG_COMPUTE_SLICES 7
/* MIG: most instances in one GPU's layout (1g x 7). */
#define GPU_MIG_LAYOUT_MAX 7
/* MIG: layouts one pool lets a GPU have (its boot layout and the ones it may
 * be repartitioned to). */
#define GPU_MIG_ALT_MAX 8
/* Largest TIMESLICE/MPS replica count per GPU. */
#define GPU_REPLICAS_MAX 255

/* Sharing mode of a node pool. */
enum gpu_mode {
    GPU_MODE_WHOLE = 0,
    GPU_MODE_MILLI = 1,
    GPU_MODE_TIMESLICE = 2,
    GPU_MODE_MPS = 3,
    GPU_MODE_MIG = 4,
};

/* The device plugin's --mig-strategy for MIG pools. */
enum gpu_mig_strategy {
    GPU_MIG_SINGLE = 0, /* one profile for all GPUs, exposed as nvidia.com/gpu */
    GPU_MIG_MIXED = 1,  /* exposed as nvidia.com/mig-<g>g.<mem>gb */
};

/* GPU families with a MIG geometry. GPU_MIG_FAMILY_NONE: not MIG capable. */
enum gpu_mig_family {
    GPU_MIG_FAMILY_NONE = 0,
    GPU_MIG_A100_40GB = 1,
    GPU_MIG_A100_80GB = 2,
    GPU_MIG_H100_80GB = 3,
};

/*
 * Resource ids: the extended-resource names a pod requests, mapped once at load
 * time. GPU_RES_MIG_FIRST + k is the k-th MIG resource name in gpu.c's table
 * (nvidia.com/mig-1g.5gb, ...); use gpu_res_parse()/gpu_res_name().
 */
enum {
    GPU_RES_NONE = 0,      /* the pod requests no GPU */
    GPU_RES_GPU = 1,       /* nvidia.com/gpu (ECS: resourceRequirements GPU) */
    GPU_RES_SHARED = 2,    /* nvidia.com/gpu.shared (time-slicing, renameByDefault) */
    GPU_RES_MIG_MIXED = 3, /* node marker only: several nvidia.com/mig-* resources */
    GPU_RES_MIG_FIRST = 4,
};
/* Number of MIG resource names known to gpu.c. */
#define GPU_RES_MIG_COUNT 11
#define GPU_RES_COUNT     (GPU_RES_MIG_FIRST + GPU_RES_MIG_COUNT)

/* One MIG GPU-instance profile of one family (a row of `nvidia-smi mig -lgipp`). */
struct gpu_mig_profile {
    const char *name;   /* "3g.20gb" */
    uint16_t res;       /* GPU_RES_MIG_FIRST + k: its mixed-strategy resource id */
    uint8_t compute;    /* compute slices g (1..7) */
    uint8_t mem_slices; /* memory slices occupied (1, 2, 4 or 8) */
    uint8_t start_mask; /* bit s set: may start at memory slice s */
    uint8_t max_count;  /* most instances per GPU (from NVIDIA's profile table) */
    uint16_t mem_gb;    /* memory of one instance */
};

/* One instance of a layout: profile index (into the family's table) and start. */
struct gpu_mig_place {
    uint8_t profile;
    uint8_t start;
};

/* A MIG layout of one GPU. */
struct gpu_mig_layout {
    uint8_t n;
    struct gpu_mig_place e[GPU_MIG_LAYOUT_MAX];
};

/*
 * Sharing configuration of a node pool. Plain data: fill it, then check it with
 * gpu_cfg_validate() at load time.
 */
struct gpu_cfg {
    enum gpu_mode mode;
    uint16_t replicas;         /* TIMESLICE/MPS: R >= 1 (ignored otherwise) */
    bool rename_by_default;    /* TIMESLICE: resource is nvidia.com/gpu.shared */
    bool fail_requests_gt_one; /* TIMESLICE/MPS: a request > 1 is rejected */
    enum gpu_mig_strategy mig_strategy;
    enum gpu_mig_family mig_family;
    uint8_t mig_n;                                       /* MIG: instances per GPU in mig_layout */
    struct gpu_mig_place mig_layout[GPU_MIG_LAYOUT_MAX]; /* MIG: per-GPU layout */
    /* MIG mixed: the other layouts a GPU of the pool may be repartitioned to
     * when idle (cluster_set_gpu_layout): layout k >= 1 is mig_alt[k - 1];
     * layout 0, every GPU's at boot, is mig_layout */
    uint8_t mig_nalt;
    struct gpu_mig_layout mig_alt[GPU_MIG_ALT_MAX - 1];
};

/* Layout k of a MIG pool (0: mig_layout); *n receives its size. */
static inline const struct gpu_mig_place *gpu_cfg_layout(const struct gpu_cfg *cfg, uint8_t k,
                                                         uint8_t *n)
{
    if (k == 0 || k > cfg->mig_nalt) {
        *n = cfg->mig_n;
        return cfg->mig_layout;
    }
    *n = cfg->mig_alt[k - 1].n;
    return cfg->mig_alt[k - 1].e;
}

/* Instances of MIG profile `profile` in layout k of a pool. */
static inline uint8_t gpu_cfg_layout_count(const struct gpu_cfg *cfg, uint8_t k, int profile)
{
    uint8_t n, c = 0;
    const struct gpu_mig_place *l = gpu_cfg_layout(cfg, k, &n);
    for (uint8_t j = 0; j < n; j++)
        c += l[j].profile == profile;
    return c;
}

/* The GPU part of a request. count == 0 means no GPU. */
struct gpu_req {
    uint16_t count; /* units of `res`: whole GPUs, replicas, MIG instances */
    uint16_t milli; /* MILLI only: per-GPU share 1..1000 when count == 1; else 1000 */
    uint16_t res;   /* GPU_RES_* id of the requested resource */
};

/* One GPU touched by an allocation. */
struct gpu_alloc_part {
    uint32_t gpu;        /* global GPU index (cluster per-GPU arrays) */
    uint16_t amount;     /* WHOLE: 1000; MILLI: milli taken; TIMESLICE/MPS: replicas;
                            MIG: instances taken (popcount of mig_entries) */
    uint8_t mig_entries; /* MIG: bit j = the pool's mig_layout[j] taken on this GPU */
    uint8_t pad;
};

/* What one pod holds on one node. gpu_release() of it undoes gpu_commit(). */
struct gpu_alloc {
    uint32_t node;
    uint8_t mode; /* enum gpu_mode of the node's pool at allocation time */
    uint8_t n;    /* parts used; 0 for a pod without GPUs */
    struct gpu_alloc_part part[GPU_ALLOC_MAX];
};

/* ---- resources and MIG geometry (load time) ---- */

/* Maps an extended-resource name ("nvidia.com/gpu", "nvidia.com/gpu.shared",
 * "nvidia.com/mig-3g.20gb") to its id. OS_EINVAL with a message otherwise. */
int gpu_res_parse(const char *name, uint16_t *res, struct os_error *err);

/* The resource name of an id ("nvidia.com/mig-3g.20gb"); "?" if unknown. */
const char *gpu_res_name(uint16_t res);

/* The profile table of a family and its length (NULL, 0 for NONE). */
const struct gpu_mig_profile *gpu_mig_profiles(enum gpu_mig_family fam, size_t *n);

/* Index of profile `name` ("3g.20gb") in the family's table, or -1. */
int gpu_mig_profile_find(enum gpu_mig_family fam, const char *name);

/* The family for a GPU model name: "A100-40GB" (also "A100"), "A100-80GB",
 * "H100-80GB" (also "H100"); GPU_MIG_FAMILY_NONE otherwise. */
enum gpu_mig_family gpu_mig_family_from_model(const char *model);

/* Bit mask of memory slices a profile occupies when started at `start`; 0 if
 * `start` is not one of the profile's start slots. */
uint8_t gpu_mig_slices(enum gpu_mig_family fam, uint8_t profile, uint8_t start);

/* True if the instances can coexist on one GPU: each start is valid for its
 * profile, slices do not overlap, at most max_count of each profile and at
 * most 7 compute slices in total. */
bool gpu_mig_layout_valid(enum gpu_mig_family fam, const struct gpu_mig_place *pl, size_t n);

/* Fills a single-strategy layout: max_count instances of `profile` at its
 * lowest start slots. Returns the count. */
uint8_t gpu_mig_single_layout(enum gpu_mig_family fam, uint8_t profile,
                              struct gpu_mig_place out[GPU_MIG_LAYOUT_MAX]);

/* Parses a per-GPU layout "4g.20gb,2g.10gb,1g.5gb" (profile names of the
 * family, separated by commas, in any order) and gives each instance the
 * lowest start slots that let all of them fit (a search over the placements
 * of `nvidia-smi mig -lgipp`). OS_EINVAL naming the problem: unknown profile,
 * more than 7 compute slices, too many of a profile, no placement. */
int gpu_mig_layout_parse(enum gpu_mig_family fam, const char *text,
                         struct gpu_mig_place out[GPU_MIG_LAYOUT_MAX], uint8_t *n,
                         struct os_error *err);

/* Checks a pool configuration: R in 1..255 for TIMESLICE/MPS, a valid MIG
 * layout (single: one profile). `where` prefixes the message (file and JSON
 * path). */
int gpu_cfg_validate(const struct gpu_cfg *cfg, const char *where, struct os_error *err);

/* The resource a node of this pool advertises: GPU_RES_GPU, GPU_RES_SHARED
 * or GPU_RES_MIG_MIXED (then per-instance mig resources). */
uint16_t gpu_cfg_resource(const struct gpu_cfg *cfg);

/* Units of the advertised resource one GPU provides (WHOLE/MILLI 1,
 * TIMESLICE/MPS R, MIG single: layout size; MIG mixed: the boot layout's
 * size; a repartitioned GPU has its layout's). */
uint16_t gpu_cfg_units_per_gpu(const struct gpu_cfg *cfg);

/* True if a request is acceptable to the pool at all, whatever is free (the
 * resource matches; failRequestsGreaterThanOne; milli only in MILLI mode). */
bool gpu_req_acceptable(const struct gpu_cfg *cfg, const struct gpu_req *r);

/* ---- accounting on a cluster (hot path; no allocation) ---- */

/* True if node `node` can hold the GPU part of r now (exact check over its
 * GPUs). count == 0 always fits. */
bool gpu_node_fits(const struct cluster *c, uint32_t node, const struct gpu_req *r);

/* Chooses GPUs on `node` by the default rule of the node's mode (see top) and
 * fills *out without changing state. OS_ENOFIT if it does not fit. */
int gpu_choose(const struct cluster *c, uint32_t node, const struct gpu_req *r,
               struct gpu_alloc *out);

/* Checks that `a` (from gpu_choose or a policy's pick_gpus hook) names GPUs of
 * a->node with enough free capacity for r. For policies that fill records. */
bool gpu_alloc_valid(const struct cluster *c, const struct gpu_req *r, const struct gpu_alloc *a);

/* Applies a record chosen on the current state: takes the capacity and
 * updates the node aggregates. The record must be valid (gpu_alloc_valid). */
void gpu_commit(struct cluster *c, const struct gpu_alloc *a);

/* Returns the capacity of a committed record: the exact inverse of gpu_commit. */
void gpu_release(struct cluster *c, const struct gpu_alloc *a);

/* The free milli a TIMESLICE/MPS/MIG GPU shows for metrics: 1000 minus the
 * used fraction (MIG: compute slices of the used entries of layout `layout`). */
uint16_t gpu_shared_free_milli(const struct gpu_cfg *cfg, uint8_t layout, uint8_t used);

/* ---- speed share ---- */

/* Active tenants of a GPU: pods holding a share of it (WHOLE 0/1, MILLI the
 * allocations on it, TIMESLICE/MPS replicas in use, MIG instances in use). */
uint16_t gpu_tenants(const struct cluster *c, uint32_t gpu);

/* The share of GPU compute a record gives its pod, summed over its parts:
 * WHOLE 1.0 per GPU; MILLI milli/1000 [U]; MIG compute slices / 7; MPS 1/R
 * per replica; TIMESLICE amount / tenants of the GPU now (the caller applies
 * a switching overhead; the share changes when tenants come and go). */
double gpu_alloc_share(const struct cluster *c, const struct gpu_alloc *a);

#endif
