/*
 * cluster_autoscaler.h - the Kubernetes Cluster Autoscaler (CA) as a pure
 * controller: plain config, explicit state and one step function driven by
 * simulated time. It knows nothing about the engine or the cluster; the
 * orchestrator calls ca_step() every scan interval with what CA would read
 * (node groups, unschedulable pods, nodes and the pods on them) and applies
 * the decisions it returns (MODELS.md section 4).
 *
 * Sources: kubernetes/autoscaler cluster-autoscaler FAQ.md (parameters and
 * their defaults, scale-up and scale-down rules), estimator/
 * binpacking_estimator.go (first-fit over new template nodes),
 * estimator/decreasing_pod_orderer.go (pods ordered by cpu/alloc + mem/alloc
 * descending), expander/waste/waste.go (least-waste), expander/mostpods,
 * expander/priority, expander/random, expander/factory (chained filters with
 * a random fallback), core/static_autoscaler.go (RunOnce: no scale-down in
 * a loop that scaled up; the cooldowns), core/scaledown (unneeded nodes,
 * utilisation, empty and drain deletions), clusterstate (scale-up requests,
 * max-node-provision-time, node-group backoff).
 *
 * Use:
 *     ca_cfg_defaults(&cfg);  cfg.max_nodes = ...; cfg.max_pods = ...;
 *     ca_init(&ca, &cfg, &err);
 *     every scan interval:  ca_step(&ca, now_us, &in, &d);  apply d;
 *     if a deletion fails:  ca_scale_down_failed(&ca, now_us);
 *     ca_destroy(&ca);
 *
 * One step (ca_step) at now_us:
 * 1. Not due (less than scan_interval_us since the last step): CA_NOT_DUE.
 * 2. Scale-up requests. A group CA scaled up has upcoming nodes while
 *    target_size exceeds its ready nodes. When it has none the request is
 *    done; when now is past request time + max_node_provision_us (the time
 *    is reset by every further scale-up of the group) the scale-up timed
 *    out: the group is backed off (5 min, doubling per consecutive failure
 *    up to 30 min, reset after 3 h without failure) and reported in
 *    d->timeouts with the number of nodes that did not come up.
 * 3. Scale-up. The pending pods are first placed (first fit, in input
 *    order) on the free capacity of ready nodes and then on the upcoming
 *    nodes of every group (target_size - ready nodes, empty templates);
 *    what remains is unschedulable. For every group not backed off and below
 *    max_size, the pods that fit an empty template are ordered by
 *    cpu/alloc + mem/alloc descending and packed first-fit onto new template
 *    nodes (the binpacking estimator): an option (group, nodes, pods). The
 *    expander chain picks one option; its node count is capped at
 *    max_size - target_size. CA records the scale-up (it starts the
 *    scale-down-delay-after-add) and does no scale-down in this step.
 * 4. Scale-down. Every step (also in cooldown) each node's unneeded state is
 *    recomputed, the empty nodes first, then the nodes unneeded before, then
 *    the rest (CA's empty-first and previous-candidates sorting processors),
 *    each in node order. A node of an autoscaled group is unneeded when
 *    its utilisation is below the threshold (GPU nodes: gpu requested /
 *    allocatable below the GPU threshold; nodes with no GPU units but some
 *    extended resource: [U] CA_EXT_UTIL; other nodes: max(cpu, mem)
 *    requested / allocatable below the threshold) and all its pods are
 *    movable and fit first-fit on other ready nodes that are not unneeded
 *    themselves; pods moved onto a node stay there in the simulation (they
 *    consume its capacity, and that node must move them too if it is
 *    evaluated later; its utilisation is from its own requests). nodes[i].
 *    unneeded_since_us is set to now when a node becomes unneeded and to
 *    CA_TIME_NONE when it stops being so (the caller keeps it with the
 *    node). Then, unless in cooldown (now < last scale-up + delay_after_add,
 *    < last failure + delay_after_failure, < last deletion +
 *    delay_after_delete), the nodes unneeded for unneeded_time_us (unready
 *    nodes: unready_time_us) are deleted: all the empty ones, up to
 *    max_empty_bulk_delete, or, if none is empty, the first non-empty one;
 *    never taking a group below min_size.
 *
 * Expanders (cfg.expanders, applied in order as filters; when more than one
 * option survives the last, one is drawn at random):
 * - least-waste (default): smallest (avail_cpu - req_cpu) / avail_cpu +
 *   (avail_mem - req_mem) / avail_mem, avail = template * nodes, req = the
 *   option's pods; GPUs do not count (as waste.go).
 * - most-pods: the most pods helped. least-nodes: the fewest nodes.
 * - priority: the highest group priority.
 * - price: [U] CA_PRICE_TOTAL: CA's price expander exists for GCE/GKE only
 *   (FAQ.md) and scores node price against a "preferred" node size; here it
 *   is the cheapest total nodes * price_per_hour of the option.
 * - random: a uniform draw (gsl_rng_uniform_int on cfg.rng if set, else a
 *   SplitMix64 stream seeded by cfg.seed).
 *
 * Quantities: cpu in millicores, memory in MiB, GPUs in units of the GPU
 * resource (whole GPUs, or MIG/time-slice units if the caller uses those),
 * extended resources in their units. Times are int64 microseconds.
 *
 * Extended resources: ca_res.ext[0..CA_EXT_MAX) are up to four extended
 * resources other than the GPU resource, for example the MIG instances of
 * each profile on a MIG "mixed" node (pods request nvidia.com/mig-1g.10gb,
 * nvidia.com/mig-3g.40gb, ... and the node advertises nvidia.com/gpu: 0).
 * Index k names the same resource in every group, node and pod of one input
 * (the caller's convention; unused dimensions are 0); a template's or a
 * node's ext[k] is its total allocatable count. Every fit check (the
 * filter-out-schedulable pass, upcoming nodes, the binpacking estimator and
 * the scale-down re-packing) checks and subtracts ext[k] exactly like gpu.
 * The estimator's pod order and the least-waste expander stay on cpu and
 * memory, as in CA.
 *
 * Assumptions, named:
 * - [U] CA_UPCOMING_READY: a node "comes up" when it is ready; upcoming =
 *   target_size - ready nodes of the group (CA's clusterstate counts
 *   registered-but-unready nodes as not yet started, the same thing for a
 *   simulation that makes nodes ready some time after they register).
 * - [U] CA_ORDER: the Go sorts are not stable; ties in the pod order keep
 *   the input order, and unneeded nodes are evaluated and deleted in node
 *   order.
 * - [U] CA_GPU_ONLY: a group with gpu_only set stands for GPU nodes tainted
 *   for GPU pods (the usual EKS setup); pods that request neither GPU units
 *   nor any extended resource (gpu == 0 and every ext[k] == 0) do not fit
 *   them.
 * - [U] CA_EXT_UTIL: a node with alloc.gpu == 0 but some alloc.ext[k] > 0
 *   is a GPU node whose utilisation is the largest requested.ext[k] /
 *   alloc.ext[k] over the k with alloc.ext[k] > 0, compared with
 *   gpu_utilization_threshold. Real CA looks only at nvidia.com/gpu
 *   (utilization.Calculate with the provider's GpuConfig), which a
 *   MIG-mixed node advertises as 0: with the GPU label it reports such a
 *   node as having an "unready GPU" at utilisation 0 (always below the
 *   threshold), without it, max(cpu, mem). Here the MIG instances in use
 *   decide, which is what such a node's utilisation means.
 * - [U] CA_LEGACY_DELETE: empty nodes in bulk, else one non-empty node, as
 *   the FAQ describes (newer releases can drain in parallel).
 * - Not modelled: balance-similar-node-groups, max-nodes-total, pod
 *   priorities and expendable pods, PDBs other than through `movable`,
 *   graceful termination time (the caller's), affinity and topology spread.
 *
 * Ownership: the caller owns struct ca and every input array. ca_init
 * allocates one workspace sized from cfg.max_nodes and cfg.max_pods;
 * ca_destroy frees it. ca_step allocates nothing; inputs above those
 * capacities are refused with OS_EFULL.
 */
#ifndef ORCHSIM_CLUSTER_AUTOSCALER_H
#define ORCHSIM_CLUSTER_AUTOSCALER_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/os_err.h"

#define CA_US_PER_S      INT64_C(1000000)
#define CA_GROUPS_MAX    32 /* node groups (our capacity) */
#define CA_EXPANDERS_MAX 4  /* expanders in a chain (our capacity) */
#define CA_DELETE_MAX    32 /* nodes deleted in one step (our capacity) */
#define CA_TIME_NONE     INT64_MIN
#define CA_NO_GROUP      (-1) /* a node no group owns: never scaled down */
#define CA_EXT_MAX       4    /* extended resources besides the GPU resource */

struct ca_sorted; /* workspace entry, private to cluster_autoscaler.c */

/* Requests or capacities. */
struct ca_res {
    int64_t cpu_milli;
    int64_t mem_mib;
    int64_t gpu;             /* units of the GPU resource */
    int64_t ext[CA_EXT_MAX]; /* units of extended resource k (e.g. MIG profile k) */
};

enum ca_expander {
    CA_EXPANDER_LEAST_WASTE = 0,
    CA_EXPANDER_RANDOM = 1,
    CA_EXPANDER_MOST_PODS = 2,
    CA_EXPANDER_LEAST_NODES = 3,
    CA_EXPANDER_PRIORITY = 4,
    CA_EXPANDER_PRICE = 5,
};

/* Flags of the cluster-autoscaler binary. Defaults from ca_cfg_defaults(). */
struct ca_cfg {
    int64_t scan_interval_us;         /* --scan-interval, 10 s */
    int64_t max_node_provision_us;    /* --max-node-provision-time, 15 min */
    int64_t unneeded_time_us;         /* --scale-down-unneeded-time, 10 min */
    int64_t unready_time_us;          /* --scale-down-unready-time, 20 min */
    int64_t delay_after_add_us;       /* --scale-down-delay-after-add, 10 min */
    int64_t delay_after_delete_us;    /* --scale-down-delay-after-delete, scan interval */
    int64_t delay_after_failure_us;   /* --scale-down-delay-after-failure, 3 min */
    double utilization_threshold;     /* --scale-down-utilization-threshold, 0.5 */
    double gpu_utilization_threshold; /* --scale-down-gpu-utilization-threshold, 0.5 */
    uint32_t max_empty_bulk_delete;   /* --max-empty-bulk-delete, 10; <= CA_DELETE_MAX */
    int64_t initial_backoff_us;       /* --initial-node-group-backoff-duration, 5 min */
    int64_t max_backoff_us;           /* --max-node-group-backoff-duration, 30 min */
    int64_t backoff_reset_us;         /* --node-group-backoff-reset-timeout, 3 h */
    uint32_t nexpanders;              /* 1..CA_EXPANDERS_MAX; default 1 */
    enum ca_expander expanders[CA_EXPANDERS_MAX]; /* --expander, default least-waste */
    uint64_t seed;               /* the random fallback's stream when rng is NULL */
    gsl_rng *rng;                /* borrowed, may be NULL; must outlive the ca */
    uint32_t max_nodes;          /* workspace: nodes per step, default 1024 */
    uint32_t max_pods;           /* workspace: pending + scheduled pods, default 8192 */
    bool filter_out_schedulable; /* place pending pods on free capacity first, default true */
};

/* A node group and its node template. */
struct ca_group {
    struct ca_res alloc;   /* a new node's allocatable */
    int32_t max_pods;      /* pods per node, > 0 */
    double price_per_hour; /* $/h per node (price expander, reports) */
    int32_t min_size;
    int32_t max_size;
    int32_t target_size; /* the group's current desired size (the caller applies deltas) */
    int32_t priority;    /* priority expander: higher wins */
    bool spot;           /* capacity type (reports; CA itself does not care) */
    bool gpu_only;       /* [U] CA_GPU_ONLY */
};

/* A pod: its requests and, for scheduled pods, its node. */
struct ca_pod {
    struct ca_res req;
    int32_t node; /* index into ca_input.nodes for scheduled pods; ignored for pending */
};

/* A node that exists (registered). */
struct ca_node {
    int32_t group;             /* index into groups, or CA_NO_GROUP */
    struct ca_res alloc;       /* allocatable */
    struct ca_res requested;   /* sum of the requests of every pod on it (DaemonSets too) */
    int32_t npods;             /* pods on it (for max_pods) */
    bool movable;              /* every pod on it may be evicted (PDBs, local storage, ...) */
    bool ready;                /* the Ready condition */
    bool scale_down_disabled;  /* cluster-autoscaler.kubernetes.io/scale-down-disabled */
    int64_t unneeded_since_us; /* in/out, maintained by ca_step; CA_TIME_NONE initially */
};

/* What one step reads. scheduled lists the pods a drain would have to move
 * (not DaemonSet or mirror pods); their requests are included in their
 * node's `requested`. */
struct ca_input {
    const struct ca_group *groups;
    uint32_t ngroups; /* <= CA_GROUPS_MAX */
    const struct ca_pod *pending;
    uint32_t npending; /* pods the scheduler could not place */
    struct ca_node *nodes;
    uint32_t nnodes;
    const struct ca_pod *scheduled;
    uint32_t nscheduled;
};

/* Per-group state. */
struct ca_group_state {
    int32_t requested;       /* nodes of the open scale-up request; 0 if none */
    int64_t expected_add_us; /* when the request times out */
    int64_t backoff_until_us;
    int64_t backoff_us;      /* the current backoff duration; 0 if none */
    int64_t last_failure_us; /* CA_TIME_NONE if never */
};

/* The controller. Fields are read-only for callers. */
struct ca {
    struct ca_cfg cfg;
    int64_t last_scan_us;         /* CA_TIME_NONE before the first step */
    int64_t last_scale_up_us;     /* CA_TIME_NONE if never */
    int64_t last_scale_down_us;   /* last deletion decision */
    int64_t last_down_failure_us; /* ca_scale_down_failed() */
    uint64_t rng_state;           /* SplitMix64 for the random fallback */
    struct ca_group_state groups[CA_GROUPS_MAX];
    void *mem; /* the workspace */
    struct ca_res *free;
    int32_t *free_pods;
    int32_t *free_group; /* which group's template a simulated node is; -1 existing */
    struct ca_sorted *order;
    uint32_t *idx;  /* pod indices (unschedulable pods) */
    int32_t *loc;   /* per scheduled pod: its node in the scale-down simulation */
    int32_t *dest;  /* per scheduled pod: tentative destination during a drain check */
    uint8_t *flags; /* per node: removed in the scale-down simulation */
    uint32_t cap_nodes, cap_pods, cap_sim;
};

enum ca_reason {
    CA_NOT_DUE = 0,
    CA_NO_ACTION = 1,
    CA_SCALE_UP = 2,
    CA_SCALE_DOWN = 3,
};

/* Why scale-down did or did not delete anything this step. */
enum ca_down_status {
    CA_DOWN_NOT_RUN = 0,       /* not due, or the step scaled up */
    CA_DOWN_DELETED = 1,       /* d->delete lists the nodes */
    CA_DOWN_NO_CANDIDATES = 2, /* nothing unneeded long enough (or min size) */
    CA_DOWN_COOLDOWN_ADD = 3,  /* within delay_after_add of a scale-up */
    CA_DOWN_COOLDOWN_FAIL = 4, /* within delay_after_failure of a failure */
    CA_DOWN_COOLDOWN_DEL = 5,  /* within delay_after_delete of a deletion */
};

struct ca_timeout {
    int32_t group;
    int32_t missing; /* nodes that did not come up */
};

/* What one step decided. */
struct ca_decision {
    enum ca_reason reason;
    uint32_t unschedulable; /* pending pods not helped by existing or upcoming nodes */
    uint32_t noptions;      /* groups that could help */
    int32_t up_group;       /* CA_SCALE_UP: the chosen group; -1 otherwise */
    int32_t up_delta;       /* nodes to add (capped at max_size - target_size) */
    int32_t up_estimate;    /* the estimator's count before the cap */
    uint32_t up_pods;       /* pods the option schedules */
    enum ca_down_status down;
    uint32_t nunneeded; /* nodes unneeded after this step */
    uint32_t ndelete;
    bool delete_empty;              /* the deleted nodes are empty (bulk) */
    uint32_t delete[CA_DELETE_MAX]; /* node indices */
    uint32_t ntimeouts;
    struct ca_timeout timeouts[CA_GROUPS_MAX];
};

/* Scan 10 s, provision 15 min, unneeded 10 min, unready 20 min, delays
 * after add 10 min / delete 10 s / failure 3 min, thresholds 0.5 and 0.5,
 * bulk 10, backoff 5 min .. 30 min reset 3 h, least-waste, seed 0, no rng,
 * capacities 1024 nodes and 8192 pods. */
void ca_cfg_defaults(struct ca_cfg *c);

/* Returns 0 or OS_EINVAL with one line naming the field. */
int ca_cfg_validate(const struct ca_cfg *c, struct os_error *err);

/* Validates cfg, copies it and allocates the workspace. Returns 0,
 * OS_EINVAL or OS_ENOMEM (then *ca holds nothing). */
int ca_init(struct ca *ca, const struct ca_cfg *cfg, struct os_error *err);

/* Frees the workspace and clears *ca. Safe on a cleared struct. */
void ca_destroy(struct ca *ca);

/* Runs one loop at now_us if due (see the header comment) and fills *d.
 * Updates in->nodes[i].unneeded_since_us. Returns 0, or OS_EINVAL (a bad
 * group or node index, no state changed) or OS_EFULL (inputs above the
 * workspace capacities). */
int ca_step(struct ca *ca, int64_t now_us, struct ca_input *in, struct ca_decision *d);

/* Records a failed node deletion: scale-down pauses for delay_after_failure. */
void ca_scale_down_failed(struct ca *ca, int64_t now_us);

/* The binpacking estimator alone: how many template nodes of group g the
 * pods need (pods that do not fit an empty template are left out); the
 * number of pods placed goes to *npods_out if non-NULL. Uses the
 * workspace; returns -1 if npods exceeds it. */
int32_t ca_estimate(struct ca *ca, const struct ca_group *g, const struct ca_pod *pods,
                    uint32_t npods, uint32_t *npods_out);

/* "least-waste", "random", "most-pods", "least-nodes", "priority", "price". */
const char *ca_expander_name(enum ca_expander e);

#endif
