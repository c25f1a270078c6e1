/*
 * cluster.h - the nodes of one cluster as struct-of-arrays: capacities, what is
 * free, GPUs, labels, taints, node pools, lifecycle and per-group task counts.
 *
 * Layout. Every per-node field is an array indexed by node id (0..n_nodes-1);
 * every per-GPU field is an array indexed by a global GPU id; node n owns GPUs
 * gpu_first[n] .. gpu_first[n] + gpu_count[n] - 1. Hot fields (read by the
 * placement scan for every node) are plain arrays of small integers; cold
 * metadata (names, taints, labels) sits in separate arrays. Placement code reads
 * the arrays directly; only cluster.c and gpu.c write them.
 *
 * Ownership. The caller owns struct cluster and calls cluster_init() /
 * cluster_destroy(). cluster_init() reserves every array for the configured
 * maxima up front; adding nodes, binding and releasing pods never allocate.
 *
 * Strings (node names, label keys and values, taint keys) are interned into a
 * fixed table at load time; the hot path compares integer ids only.
 *
 * Labels are stored by column: cluster_label_key() registers a key and returns
 * its column; label[col * cap_nodes + node] is the node's label pair id for that
 * key, or 0 when the node lacks the key. A pair id names (column, value) and is
 * returned by cluster_label_pair(). cluster_add_node() sets the well-known
 * labels itself: node.kubernetes.io/instance-type, topology.kubernetes.io/zone,
 * ecs.instance-type and ecs.availability-zone (when the spec gives them).
 *
 * Groups (ECS service or task group; a k8s workload): when configured with
 * max_groups > 0 the cluster counts each group's pods per node and per label
 * pair (for ECS spread and distinctInstance). Group ids are 1..max_groups;
 * 0 (CLUSTER_NO_GROUP, what a zeroed request holds) means none. Arrays are
 * indexed by group - 1.
 *
 * Invariants (checked by cluster_check()):
 *   0 <= cpu_free[n] <= cpu_cap[n], 0 <= mem_free[n] <= mem_cap[n],
 *   pods[n] <= max_pods[n], free_whole[n] = #GPUs of n with nothing allocated,
 *   res_free[n] = free units of the node's advertised GPU resource,
 *   milli_free_sum[n] = sum of gpu_free_milli over n's GPUs,
 *   milli_free_max[n] = max of it in MILLI pools, 0 in other pools,
 *   the availability and plain-node bitmaps as described at their fields.
 */
#ifndef ORCHSIM_CLUSTER_H
#define ORCHSIM_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/gpu.h"
#include "sim/os_err.h"

#define CLUSTER_NAME_MAX   64   /* bytes of a node name, with the NUL */
#define CLUSTER_TAINTS_MAX 8    /* taints per node */
#define CLUSTER_GPU_NONE   0xff /* gpu_model of a node without GPUs */
#define CLUSTER_NO_GROUP   UINT32_MAX
#define CLUSTER_POOLS_MAX  256
/* Resources a node can advertise (GPU_RES_NONE, GPU, SHARED, MIG_MIXED), the
 * ones with a plain-node bitmap. */
#define CLUSTER_PLAIN_RES GPU_RES_MIG_FIRST
/* kube-scheduler's stand-ins for a zero request (schedutil.GetNonzeroRequests). */
#define CLUSTER_NZ_CPU_MILLI 100
#define CLUSTER_NZ_MEM_MIB   200

/* Lifecycle of a node (MODELS.md: provisioning -> ready -> draining -> gone). */
enum cluster_node_state {
    CLUSTER_NODE_PROVISIONING = 0, /* launched, not yet Ready: no placement */
    CLUSTER_NODE_READY = 1,        /* schedulable */
    CLUSTER_NODE_DRAINING = 2,     /* cordoned / ECS DRAINING: no new placement */
    CLUSTER_NODE_GONE = 3,         /* terminated; its slot may be reused */
};

/* Bits of node_flags[n]: rare conditions the placement scan checks with one
 * byte. A node with any bit set is examined on the slow path. */
enum {
    CLUSTER_NF_UNSCHEDULABLE = 1u << 0, /* state != READY */
    CLUSTER_NF_TAINTED = 1u << 1,       /* has taints */
    CLUSTER_NF_MIG_MIXED = 1u << 2,     /* pool is MIG mixed: exact GPU check needed */
    CLUSTER_NF_FAIL_GT_ONE = 1u << 3,   /* pool rejects requests > 1 (failRequestsGreaterThanOne) */
};

/* Taint effects, as k8s. */
enum cluster_taint_effect {
    CLUSTER_TAINT_NO_SCHEDULE = 1,
    CLUSTER_TAINT_PREFER_NO_SCHEDULE = 2,
    CLUSTER_TAINT_NO_EXECUTE = 3,
};

/* A taint: interned key and value (0 = empty value) and effect. */
struct cluster_taint {
    uint32_t key;
    uint32_t value;
    uint8_t effect; /* enum cluster_taint_effect */
};

/* Sizing of a cluster, fixed for its lifetime. Zero fields take defaults. */
struct cluster_cfg {
    uint32_t max_nodes;      /* required, >= 1 */
    uint32_t max_gpus;       /* total GPU slots; default max_nodes * 8 */
    uint32_t max_strings;    /* interned strings; default 4096 */
    uint32_t string_bytes;   /* bytes for their text; default 64 KiB */
    uint32_t max_label_keys; /* label columns; default 16 */
    uint32_t max_pairs;      /* distinct (key, value) label pairs; default 4096 */
    uint32_t max_groups;     /* groups counted per node; default 0 (none) */
};

/* A node pool: the sharing configuration its nodes share. */
struct cluster_pool {
    char name[CLUSTER_NAME_MAX];
    struct gpu_cfg gpu;
    uint16_t res;           /* gpu_cfg_resource(&gpu) */
    uint16_t units_per_gpu; /* gpu_cfg_units_per_gpu(&gpu) */
};

/* A label to set on a node, as strings (interned by cluster_add_node). */
struct cluster_label {
    const char *key;
    const char *value;
};

/* A taint to set on a node, as strings. */
struct cluster_taint_spec {
    const char *key;
    const char *value; /* NULL or "" for none */
    enum cluster_taint_effect effect;
};

/* Everything needed to add one node. Strings are copied (interned). */
struct cluster_node_spec {
    const char *name;               /* unique is not enforced; NULL gives "node-<id>" */
    int32_t cpu_milli;              /* allocatable CPU, milli-CPU, > 0 */
    int32_t mem_mib;                /* allocatable memory, MiB, > 0 */
    uint8_t gpu_count;              /* 0..GPU_NODE_MAX */
    uint8_t gpu_model;              /* catalog GPU model index (< 64), CLUSTER_GPU_NONE if none */
    uint16_t pool;                  /* from cluster_add_pool() */
    int32_t instance_type;          /* catalog instance-type index, -1 if none */
    const char *instance_type_name; /* for the well-known labels; NULL = none */
    const char *zone;               /* availability zone; NULL = none */
    uint16_t max_pods;              /* 0 = unlimited */
    enum cluster_node_state state;  /* initial state; use CLUSTER_NODE_READY */
    const struct cluster_label *labels;
    size_t n_labels;
    const struct cluster_taint_spec *taints;
    size_t n_taints;
};

/* The cluster. Caller-owned; fields readable by placement code, written only
 * through the functions below (and gpu.c). */
struct cluster {
    struct cluster_cfg cfg;
    uint32_t n_nodes; /* node ids in use: 0..n_nodes-1 (GONE ones included) */
    uint32_t cap_nodes;
    uint32_t n_gpus; /* GPU ids in use */
    uint32_t cap_gpus;

    /* ---- hot, per node ---- */
    int32_t *cpu_free; /* milli-CPU not requested */
    int32_t *cpu_cap;  /* allocatable milli-CPU */
    int32_t *mem_free; /* MiB */
    int32_t *mem_cap;
    uint16_t *pods;      /* pods bound */
    uint16_t *max_pods;  /* 65535 when unlimited */
    uint8_t *node_flags; /* CLUSTER_NF_* */
    uint8_t *gpu_count;
    uint8_t *gpu_model;       /* catalog index, CLUSTER_GPU_NONE if no GPUs */
    uint32_t *gpu_first;      /* id of the node's first GPU */
    uint8_t *free_whole;      /* GPUs with nothing allocated */
    uint16_t *res;            /* advertised GPU resource id (pool's) */
    uint16_t *res_cap;        /* units of it: gpu_count * units_per_gpu */
    uint16_t *res_free;       /* units free */
    uint16_t *milli_free_max; /* MILLI pools: max free milli over GPUs; else 0 */
    int32_t *milli_free_sum;  /* sum of gpu_free_milli over the node's GPUs */
    uint16_t *pool;           /* pool id */
    int32_t *cpu_nz_req;      /* kube-scheduler NonZeroRequested: sum of pod CPU requests
                                 with 0 counted as 100 milli (for scoring) */
    int32_t *mem_nz_req;      /* the same for memory, 0 counted as 200 MiB */

    /* ---- hot, per GPU ---- */
    uint16_t *gpu_free_milli; /* 0..1000: share not allocated (for metrics in
                                 TIMESLICE/MPS/MIG: 1000 - used fraction) */
    uint8_t *gpu_layout;      /* MIG: the GPU's layout in its pool (0 = mig_layout; see
                                 cluster_set_gpu_layout) */
    uint8_t *gpu_used;        /* WHOLE/MILLI: allocations on the GPU; TIMESLICE/MPS:
                                 replicas in use; MIG: used layout entries
                                 (bit j = mig_layout[j]) */

    /* ---- cold, per node ---- */
    uint8_t *state;     /* enum cluster_node_state */
    uint8_t *gpu_block; /* GPU ids reserved for the slot (>= gpu_count) */
    uint32_t *gpu_node; /* per GPU: the owning node */
    char (*name)[CLUSTER_NAME_MAX];
    int32_t *instance_type; /* catalog index or -1 */
    uint32_t *zone;         /* interned zone string, 0 = none */
    uint8_t *n_taints;
    struct cluster_taint *taints; /* [node * CLUSTER_TAINTS_MAX + i] */
    uint32_t *label;              /* [col * cap_nodes + node]: pair id or 0 */

    /* ---- label and string tables (load time) ---- */
    uint32_t n_keys;
    uint32_t *key_str;  /* column -> interned key string */
    uint32_t n_pairs;   /* pair ids 1..n_pairs-1 in use (0 = none) */
    uint16_t *pair_col; /* pair -> column */
    uint32_t *pair_val; /* pair -> interned value string */
    int64_t *pair_num;  /* pair -> value as an integer (Gt/Lt) */
    bool *pair_is_num;
    uint32_t *pair_hash; /* open addressing, 2 * max_pairs slots */
    uint32_t n_strings;  /* string ids 1..n_strings-1 in use (0 = none) */
    uint32_t *str_off;   /* string -> offset into str_bytes */
    char *str_bytes;
    uint32_t str_used;
    uint32_t *str_hash; /* open addressing, 2 * max_strings slots */

    /* ---- pools ---- */
    uint16_t n_pools;
    struct cluster_pool *pools;

    /* ---- groups (max_groups > 0) ---- */
    uint16_t *group_node;  /* [(group-1) * cap_nodes + node]: pods of the group */
    uint32_t *group_pair;  /* [(group-1) * max_pairs + pair]: pods on nodes with the pair */
    uint32_t *group_total; /* [group-1]: pods of the group */

    /* ---- whole-unit availability index ----
     * Bit n of avail_bits[k] (k = 1..GPU_NODE_MAX) is set when node n is READY
     * and res_free[n] >= k; avail_count[k] counts the set bits. A request for k
     * units scans only the set bits of avail_bits[k], in node order, 64 nodes
     * per word. */
    uint64_t *avail_bits[GPU_NODE_MAX + 1];
    uint32_t avail_count[GPU_NODE_MAX + 1];
    uint32_t avail_words; /* words per bitmap: (cap_nodes + 63) / 64 */
    uint8_t *avail_level; /* per node: the k such that its bit is set in avail_bits[1..k] */
    /* Bit w of avail_sum[k] is set when word w of avail_bits[k] is not zero, so
     * that a scan of a sparse level skips empty words 64 at a time. */
    uint64_t *avail_sum[GPU_NODE_MAX + 1];
    uint32_t avail_sum_words; /* (avail_words + 63) / 64 */
    uint32_t n_gone;          /* nodes in state GONE (slots to reuse) */

    /* ---- plain-node index ----
     * Bit n of plain_bits[r] (r < CLUSTER_PLAIN_RES) is set when node n has no
     * node_flags bit set (so it is READY and untainted, and its pool is neither
     * MIG mixed nor failRequestsGreaterThanOne), advertises resource r
     * (res[n] == r) and has room for one more pod (pods[n] < max_pods[n]). For
     * a node in both avail_bits[k] and plain_bits[r], a plain request for k
     * whole units of r (no selectors, constraints or model mask) fits when its
     * CPU and memory do, so the placement filter reads only those two columns.
     * Same layout as avail_bits (avail_words words each). */
    uint64_t *plain_bits[CLUSTER_PLAIN_RES];
};

/* Reserves all storage for cfg. OS_EINVAL for max_nodes == 0; OS_ENOMEM. On
 * failure nothing is left allocated. */
int cluster_init(struct cluster *c, const struct cluster_cfg *cfg, struct os_error *err);

/* Frees everything cluster_init() reserved. Safe on a zeroed struct. */
void cluster_destroy(struct cluster *c);

/* Removes every node and group count but keeps pools, strings and labels
 * keys: the cluster is as after cluster_init() plus cluster_add_pool() calls. */
void cluster_clear(struct cluster *c);

/* Returns every node to empty (all capacity free, no pods, group counts 0),
 * keeping the nodes. */
void cluster_reset(struct cluster *c);

/* Adds a node pool. The configuration is validated (gpu_cfg_validate). */
int cluster_add_pool(struct cluster *c, const char *name, const struct gpu_cfg *gpu, uint16_t *id,
                     struct os_error *err);

/* Adds a node, empty, in spec->state. Reuses the slot of a GONE node with a
 * large enough GPU block, else appends. OS_EFULL when no slot, GPU ids,
 * strings or label pairs are left; OS_EINVAL for bad figures (the message
 * names the field). *id receives the node id. */
int cluster_add_node(struct cluster *c, const struct cluster_node_spec *spec, uint32_t *id,
                     struct os_error *err);

/* Changes a node's lifecycle state. Going to GONE requires an empty node
 * (OS_EINVAL otherwise). */
int cluster_set_state(struct cluster *c, uint32_t node, enum cluster_node_state st,
                      struct os_error *err);

/* MIG: repartitions GPU `gpu` (a global GPU id) to layout `layout` of its
 * node's pool (0 = mig_layout, k = mig_alt[k - 1]). The GPU must be idle
 * (OS_EINVAL otherwise). With hold, every instance of the new layout is
 * marked used, so no pod gets it while the MIG manager works (a record of no
 * pod; cluster_release_gpu_hold ends it). Node aggregates follow. */
int cluster_set_gpu_layout(struct cluster *c, uint32_t gpu, uint8_t layout, bool hold,
                           struct os_error *err);

/* Ends the hold of cluster_set_gpu_layout: the GPU's instances are free.
 * OS_EINVAL if the GPU is not held (every instance used). */
int cluster_release_gpu_hold(struct cluster *c, uint32_t gpu, struct os_error *err);

/* Takes cpu/memory/one pod slot on a node and commits the GPU record
 * (gpu_commit), counting the pod for `group` (CLUSTER_NO_GROUP for none). The
 * caller has checked that it fits (placement does). */
void cluster_bind(struct cluster *c, uint32_t node, int32_t cpu_milli, int32_t mem_mib,
                  uint32_t group, const struct gpu_alloc *gpu);

/* The exact inverse of cluster_bind with the same arguments. */
void cluster_unbind(struct cluster *c, uint32_t node, int32_t cpu_milli, int32_t mem_mib,
                    uint32_t group, const struct gpu_alloc *gpu);

/* Interns a string (load time); *id > 0. OS_EFULL when the table is full. */
int cluster_intern(struct cluster *c, const char *s, uint32_t *id, struct os_error *err);

/* The id of an already interned string, or 0. */
uint32_t cluster_string_id(const struct cluster *c, const char *s);

/* The text of a string id ("" for 0). */
const char *cluster_string(const struct cluster *c, uint32_t id);

/* Column of a label key, registering it if new. OS_EFULL past max_label_keys. */
int cluster_label_key(struct cluster *c, const char *key, uint16_t *col, struct os_error *err);

/* Column of a registered key, or -1. */
int cluster_label_col(const struct cluster *c, const char *key);

/* Pair id of (column, value), registering it if new. */
int cluster_label_pair(struct cluster *c, uint16_t col, const char *value, uint32_t *pair,
                       struct os_error *err);

/* Sets (or replaces) a label on an existing node. */
int cluster_set_label(struct cluster *c, uint32_t node, const char *key, const char *value,
                      struct os_error *err);

/* The pair id of `node`'s label in column `col`, or 0. */
static inline uint32_t cluster_node_label(const struct cluster *c, uint32_t node, uint16_t col)
{
    return c->label[(size_t)col * c->cap_nodes + node];
}

/* Pods of `group` on `node` (0 without groups). */
static inline uint32_t cluster_group_on_node(const struct cluster *c, uint32_t group, uint32_t node)
{
    return group - 1 < c->cfg.max_groups ? c->group_node[(size_t)(group - 1) * c->cap_nodes + node]
                                         : 0;
}

/* Pods of `group` on nodes labelled with `pair` (0 without groups). */
static inline uint32_t cluster_group_on_pair(const struct cluster *c, uint32_t group, uint32_t pair)
{
    return group - 1 < c->cfg.max_groups
               ? c->group_pair[(size_t)(group - 1) * c->cfg.max_pairs + pair]
               : 0;
}

/* Number of READY nodes. */
uint32_t cluster_ready_nodes(const struct cluster *c);

/* GPU totals over READY and DRAINING nodes: GPUs and allocated milli. */
void cluster_gpu_totals(const struct cluster *c, uint64_t *gpus, uint64_t *alloc_milli);

/* Recomputes node n's GPU aggregates (free_whole, res_free, milli_free_max,
 * milli_free_sum) and its place in the availability index from its per-GPU
 * arrays. Called by gpu.c after it changes them. */
void cluster_refresh_gpus(struct cluster *c, uint32_t node);

/* Verifies every invariant listed at the top by recomputing aggregates.
 * Returns OS_OK or OS_EINVAL naming the first broken one (for tests). */
int cluster_check(const struct cluster *c, struct os_error *err);

#endif
