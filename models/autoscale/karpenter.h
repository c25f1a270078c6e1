/*
 * karpenter.h - Karpenter (kubernetes-sigs/karpenter with the AWS provider)
 * as pure functions: a pod batcher, provisioning (pack pending pods onto
 * existing nodes, then onto new NodeClaims, and choose each NodeClaim's
 * instance type and capacity type) and disruption (expiration, emptiness,
 * multi-node and single-node consolidation under disruption budgets). It
 * knows nothing about the engine or the cluster: the orchestrator passes
 * the NodePools, instance types, nodes and pods as plain arrays and applies
 * the NodeClaims and deletions returned (MODELS.md section 4).
 *
 * Sources: kubernetes-sigs/karpenter pkg/controllers/provisioning
 * (batcher.go: idle 1 s, max 10 s; scheduling/scheduler.go: pods by CPU then
 * memory descending, existing nodes, then in-flight NodeClaims with the
 * fewest pods first, then a new NodeClaim from the NodePools by weight;
 * NodePool limits with subtractMax), pkg/controllers/disruption
 * (controller.go method order; emptiness.go; multinodeconsolidation.go:
 * binary search over at most 100 candidates, filterOutSameType;
 * singlenodeconsolidation.go; consolidation.go: computeConsolidation,
 * spot-to-spot needs 15 cheaper types; helpers.go
 * BuildDisruptionBudgetMapping), pkg/utils/disruption/disruption.go
 * (EvictionCost, LifetimeRemaining), aws/karpenter-provider-aws (60
 * instance types per CreateFleet; on-demand lowest-price, spot
 * price-capacity-optimized; spot preferred when the NodePool allows it).
 *
 * Provisioning (kp_provision): the pending pods, sorted by cpu then memory
 * descending (ties keep the input order), go one by one to (1) the first
 * existing node that is not being deleted and has room, (2) an in-flight
 * NodeClaim of this pass, fewest pods first, if one of its remaining
 * candidate instance types still fits all its pods plus this one, (3) a new
 * NodeClaim of the first NodePool, by weight descending, with an instance
 * type that fits the pod, is within the pool's remaining limits and has an
 * available offering of an allowed capacity type. A NodeClaim keeps every
 * candidate type that fits its pods; at the end it is launched as the
 * cheapest of them: the types are ordered by their cheapest allowed and
 * available offering and cut to the 60 cheapest; if the pool allows spot
 * and one of those has spot available, spot at the lowest spot price
 * ([U] KP_PCO_LOWEST_PRICE: price-capacity-optimized also weighs capacity
 * pools, which a simulation does not have), else on-demand at the lowest
 * on-demand price. A new NodeClaim subtracts the largest cpu and GPU of its
 * candidate types from the pool's remaining limits (subtractMax).
 *
 * Disruption (kp_disrupt, due every 10 s):
 * 1. Expiration: nodes older than their pool's expire_after are deleted,
 *    ignoring budgets (reported in d->expired; the rest still runs).
 * 2. Budgets per pool: total = initialized nodes; allowed = max(0,
 *    min over budgets of (ceil(total * pct / 100) or a count) - nodes that
 *    are not ready or being deleted).
 * 3. Candidates: initialized, ready, not deleting nodes whose pool has
 *    consolidate_after set and whose last pod event is at least
 *    consolidate_after old. Disruption cost = sum over the node's pods of
 *    clamp(1 + deletion_cost / 2^27 + priority / 2^25, -10, 10) times the
 *    lifetime remaining (1 - age / expire_after, clamped to [0, 1]; 1
 *    without expire_after). Candidates are taken in cost order (ties by node
 *    index), each one using up one unit of its pool's budget.
 * 3b. Drift (disruption/drift.go), before any consolidation: the drifted
 *    nodes (initialized, ready, not deleting, no do-not-disrupt pod:
 *    last_pod_event_us == INT64_MAX), oldest Drifted transition first (ties
 *    by node index), skipping empty ones (left to emptiness) and those whose
 *    pool has no budget left; the first whose pods can all be scheduled on
 *    the other nodes plus new NodeClaims is the command: its one candidate,
 *    deleted after the replacement (if any) initializes. consolidateAfter
 *    does not apply. [U] KP_DRIFT_ONE_CLAIM: a candidate whose pods need
 *    more than one new NodeClaim is skipped (cannot happen while its own
 *    instance type is still allowed: its pods fit one node of it).
 * 4. Emptiness: every empty candidate (within budget) is deleted at once.
 * 5. Multi-node consolidation (pools with WhenEmptyOrUnderutilized): over
 *    the first min(100, n) candidates, a binary search for the longest
 *    prefix (at least 2) that can be deleted or replaced by one cheaper
 *    NodeClaim.
 * 6. Single-node consolidation: the first candidate in cost order that can
 *    be deleted or replaced by one cheaper NodeClaim.
 * A set of candidates can be deleted when its pods (cpu, then memory
 * descending) fit first-fit on the free capacity of the other nodes that
 * are not being deleted; replaced when the pods that do not fit need
 * exactly one new NodeClaim whose candidate types include some cheaper than
 * the candidates' total price (on-demand price, or spot price for spot
 * nodes; for a type, its cheapest allowed available offering). If every
 * candidate is spot and the replacement may be spot, this is spot-to-spot
 * replacement: off unless cfg.spot_to_spot; with it, single-node needs at
 * least 15 cheaper types and launches from the 15 cheapest. Otherwise, when
 * the pool allows both capacity types the replacement is forced to spot (so
 * a failed spot launch does not bring a dearer on-demand node). Multi-node
 * replacements drop types at or above the cheapest candidate of the same
 * type (filterOutSameType).
 *
 * Quantities: cpu millicores, memory MiB, GPUs in units (a type has gpus x
 * gpu_units_per_gpu units), extended resources in units (kp_res.ext[k],
 * kp_type.ext[k]). Times int64 microseconds. Prices $/h.
 *
 * Extended resources: kp_res.ext[0..KP_EXT_MAX) are up to four extended
 * resources other than the GPU units, for example the MIG instances of each
 * profile of a MIG "mixed" pool, where pods request nvidia.com/mig-1g.10gb,
 * nvidia.com/mig-3g.40gb, ... instead of nvidia.com/gpu. Index k names the
 * same resource in every type and pod of one kp_cluster (the caller's
 * convention; unused dimensions are 0). kp_type.ext[k] is the allocatable
 * count on one node of the type (the total over its GPUs, not per GPU). The
 * ext dimensions take part in every fit, sum and difference exactly like
 * gpu: a type fits a NodeClaim's pods, and a pod fits a node's free
 * capacity, only if every ext[k] fits too; sorting stays by cpu then
 * memory.
 *
 * Assumptions, named:
 * - [U] KP_PCO_LOWEST_PRICE (above).
 * - [U] KP_ORDER: Go's sort.Slice is not stable; ties keep input/node order.
 * - [U] KP_GPU_ONLY: a pool with gpu_only stands for a GPU NodePool with a
 *   taint that only GPU pods tolerate; a pod tolerates it if it requests GPU
 *   units or any extended resource (gpu > 0 or some ext[k] > 0).
 * - [U] KP_EXT: extended resources are plain countable resources, as the
 *   scheduler's NodeResourcesFit sees them: no MIG geometry (which profiles
 *   can coexist on one GPU) beyond the per-node counts the caller gives. A
 *   MIG-mixed type keeps gpus = its physical GPUs, so NodePool limits
 *   (limit_gpu, subtractMax) still count physical GPU units (the caller
 *   converts); its pods request gpu = 0 and ext only. The model does not
 *   zero such a type's gpu capacity (a real mixed node advertises
 *   nvidia.com/gpu: 0): the caller keeps whole-GPU pods off a MIG-mixed pool
 *   (its `types` mask or a separate pool).
 * - [U] KP_BUDGET_ALWAYS: budgets have no schedules and apply to every
 *   reason.
 * - Not modelled: what makes a node drift (the caller sets drifted), the 15 s re-validation of a
 * consolidation command (the caller may call again 15 s later and compare), daemonset overhead
 *   (fold it into the type capacities), topology, minValues, the Balanced
 *   policy, launch and registration timeouts (the caller's).
 *
 * Ownership: the caller owns struct kp and every array. kp_init allocates
 * one workspace sized from cfg.max_nodes, cfg.max_pods; kp_provision and
 * kp_disrupt allocate nothing and return OS_EFULL past those capacities.
 */
#ifndef ORCHSIM_KARPENTER_H
#define ORCHSIM_KARPENTER_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/os_err.h"

#define KP_US_PER_S         INT64_C(1000000)
#define KP_TYPES_MAX        64 /* instance types (a pool's type set is a 64-bit mask) */
#define KP_POOLS_MAX        8
#define KP_BUDGETS_MAX      4
#define KP_DISRUPT_MAX      100  /* candidates per command (multi-node's cap) */
#define KP_NEVER            (-1) /* consolidate_after / expire_after: Never */
#define KP_LAUNCH_TYPES     60   /* instance types per CreateFleet */
#define KP_SPOT_TO_SPOT_MIN 15   /* MinInstanceTypesForSpotToSpotConsolidation */
#define KP_MULTI_CANDIDATES 100
#define KP_EXT_MAX          4 /* extended resources besides the GPU units ([U] KP_EXT) */

enum kp_capacity {
    KP_ON_DEMAND = 0,
    KP_SPOT = 1,
};

enum kp_policy {
    KP_WHEN_EMPTY_OR_UNDERUTILIZED = 0, /* the default */
    KP_WHEN_EMPTY = 1,
};

/* Requests, capacities or free capacity. */
struct kp_res {
    int64_t cpu_milli;
    int64_t mem_mib;
    int64_t gpu;             /* GPU units */
    int64_t ext[KP_EXT_MAX]; /* units of extended resource k (e.g. MIG profile k) */
};

/* An instance type and its offerings (one zone). */
struct kp_type {
    int64_t cpu_milli; /* allocatable */
    int64_t mem_mib;
    int32_t gpus;
    int32_t gpu_units_per_gpu; /* units per GPU (1 for whole GPUs) */
    int32_t max_pods;
    double od_price; /* $/h */
    double spot_price;
    bool od_available;
    bool spot_available;
    int32_t ext[KP_EXT_MAX]; /* allocatable units of extended resource k per node
                              * (total over the node's GPUs, not per GPU) */
};

/* One spec.disruption.budgets entry (nodes: "10%" or "3"). */
struct kp_budget {
    bool percent;
    int32_t value;
};

struct kp_pool {
    int32_t weight;
    int64_t limit_cpu_milli; /* spec.limits.cpu; < 0: none */
    int64_t limit_gpu;       /* spec.limits GPU units; < 0: none */
    bool allow_on_demand;
    bool allow_spot;
    uint64_t types; /* bit i: kp_type i is allowed */
    bool gpu_only;  /* [U] KP_GPU_ONLY */
    enum kp_policy policy;
    int64_t consolidate_after_us; /* default 0; KP_NEVER: no consolidation */
    int64_t expire_after_us;      /* default 720 h; KP_NEVER */
    uint32_t nbudgets;            /* default one: nodes 10 % */
    struct kp_budget budgets[KP_BUDGETS_MAX];
};

struct kp_pod {
    struct kp_res req;
    int32_t deletion_cost; /* controller.kubernetes.io/pod-deletion-cost */
    int32_t priority;      /* spec.priority */
};

struct kp_node {
    int32_t pool;
    int32_t type;
    enum kp_capacity capacity;
    int64_t created_us;
    int64_t last_pod_event_us; /* last pod added or removed (consolidateAfter) */
    bool initialized;
    bool ready;
    bool deleting; /* marked for deletion / draining */
    bool drifted;  /* its Drifted condition is true (since drifted_us) */
    int64_t drifted_us;
    /* own_ext: the node's allocatable extended resources are ext[], not its
     * type's (e.g. a MIG-mixed node whose GPUs were repartitioned) */
    bool own_ext;
    int32_t ext[KP_EXT_MAX];
    uint32_t pod_first; /* its pods: kp_cluster.pods[pod_first .. pod_first + npods) */
    uint32_t npods;
};

/* What Karpenter sees. */
struct kp_cluster {
    const struct kp_type *types;
    uint32_t ntypes;
    const struct kp_pool *pools;
    uint32_t npools;
    const struct kp_node *nodes;
    uint32_t nnodes;
    const struct kp_pod *pods; /* pods on nodes */
    uint32_t npods;
};

/* A NodeClaim to launch. */
struct kp_claim {
    int32_t pool;
    int32_t type; /* the launched type */
    enum kp_capacity capacity;
    double price;
    uint64_t options; /* candidate types that fit its pods (bit mask) */
    struct kp_res used;
    int32_t npods;
};

struct kp_cfg {
    int64_t batch_idle_us;     /* BATCH_IDLE_DURATION, 1 s */
    int64_t batch_max_us;      /* BATCH_MAX_DURATION, 10 s */
    int64_t disrupt_period_us; /* disruption poll, 10 s; 0: every kp_disrupt call evaluates
                                  (the caller keeps the cadence) */
    bool spot_to_spot;         /* SpotToSpotConsolidation feature gate, default false */
    uint32_t max_nodes;        /* workspace, default 1024 */
    uint32_t max_pods;         /* workspace, default 8192 */
};

/* The workspace and the disruption cadence. */
struct kp {
    struct kp_cfg cfg;
    int64_t last_disrupt_us;
    void *mem;
    struct kp_res *free; /* per node */
    int32_t *free_pods;
    uint32_t *order; /* pod indices */
    double *key;     /* per node: disruption cost */
    uint32_t *cand;  /* candidate node indices */
    uint8_t *in_set; /* per node */
    struct kp_claim *claims;
    uint32_t cap_claims;
};

/* The provisioning batcher: a window opens at the first pending pod and
 * closes 1 s after the last one or 10 s after it opened. */
struct kp_batcher {
    int64_t idle_us, max_us;
    bool open;
    int64_t start_us, last_us;
};

struct kp_prov_result {
    uint32_t nclaims; /* claims written to the caller's array */
    uint32_t on_existing;
    uint32_t unschedulable;
};

/* Disruption methods in Karpenter's order (an earlier one acts first). */
enum kp_method {
    KP_METHOD_NONE = 0,
    KP_METHOD_DRIFT = 1,
    KP_METHOD_EMPTY = 2,
    KP_METHOD_MULTI = 3,
    KP_METHOD_SINGLE = 4,
};

struct kp_decision {
    bool due;
    uint32_t nexpired;
    uint32_t expired[KP_DISRUPT_MAX];
    enum kp_method method;
    bool replace;                /* a replacement NodeClaim is launched first */
    struct kp_claim replacement; /* when replace */
    uint32_t ncandidates;
    uint32_t candidates[KP_DISRUPT_MAX]; /* node indices to delete */
    double savings;                      /* $/h: candidates' price - replacement's */
    int32_t allowed[KP_POOLS_MAX];       /* budgets at this evaluation */
};

/* Batch 1 s / 10 s, disruption every 10 s, no spot-to-spot, 1024 nodes,
 * 8192 pods. */
void kp_cfg_defaults(struct kp_cfg *c);

/* Weight 0, no limits, on-demand only, every type, WhenEmptyOrUnderutilized,
 * consolidateAfter 0 s, expireAfter 720 h, budget nodes 10 %. */
void kp_pool_defaults(struct kp_pool *p);

int kp_init(struct kp *kp, const struct kp_cfg *cfg, struct os_error *err);
void kp_destroy(struct kp *kp);

void kp_batcher_init(struct kp_batcher *b, int64_t idle_us, int64_t max_us);
/* A pod became pending at now_us: opens the window or extends its idle timer. */
void kp_batcher_trigger(struct kp_batcher *b, int64_t now_us);
/* When the open window closes (INT64_MAX if none is open). */
int64_t kp_batcher_deadline(const struct kp_batcher *b);
/* True (and the window is closed) if a window is open and now_us is at or
 * past its deadline: provision now. */
bool kp_batcher_ready(struct kp_batcher *b, int64_t now_us);

/* Packs pending[0..npending) (see the header comment). assign[i] (if non-NULL)
 * gets the node index for pods placed on existing nodes, -2 - k for
 * NodeClaim k, -1 for unschedulable pods. Returns 0, OS_EINVAL (bad
 * indices) or OS_EFULL (more claims than cap_claims, or past the workspace). */
int kp_provision(struct kp *kp, const struct kp_cluster *cl, const struct kp_pod *pending,
                 uint32_t npending, int32_t *assign, struct kp_claim *claims, uint32_t cap_claims,
                 struct kp_prov_result *out);

/* One disruption evaluation at now_us if due (see the header comment). */
int kp_disrupt(struct kp *kp, int64_t now_us, const struct kp_cluster *cl, struct kp_decision *d);

/* Allowed disruptions of pool p now (step 2). */
int32_t kp_budget_allowed(const struct kp_cluster *cl, uint32_t pool);

/* EvictionCost of one pod. */
double kp_eviction_cost(const struct kp_pod *p);

/* The node's disruption cost at now_us. */
double kp_disruption_cost(const struct kp_cluster *cl, uint32_t node, int64_t now_us);

const char *kp_method_name(enum kp_method m);

#endif
