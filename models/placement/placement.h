/*
 * placement.h - the one placement interface: a pod request, the placer
 * vtable (policy), the registry, and the shared mechanism (filter, GPU
 * selection, binding) that every policy uses.
 *
 * A decision runs like kube-scheduler's cycle, for every orchestrator:
 *   1. Filter (placement.c, written once): scan nodes, keep the feasible ones
 *      (state, cpu, memory, pods, GPU resource and model, taints, nodeSelector,
 *      required node affinity, ECS constraints) in the placer's scratch array.
 *      ops->flags selects the scan: PLACER_F_SAMPLE stops after
 *      numFeasibleNodesToFind feasible nodes starting at a rotating index
 *      (kube-scheduler), in node order; otherwise every feasible node is
 *      found, in node order except for one kept quirk of whole-unit requests
 *      (placement_legacy_first in placement.c). Either scan of a request for
 *      whole units visits only the nodes of the cluster's availability index
 *      (avail_bits) and, for most of them, reads only free CPU and memory
 *      (plain_bits); the feasible set is the same as a full scan's.
 *   2. Score (the policy): ops->score() scores the feasible nodes in one batch
 *      call (no indirect call per node). A policy may have several stages
 *      (ops->stages): after each stage only the best-scoring nodes remain
 *      (lexicographic order, as ECS strategy chains).
 *   3. Select (placement.c): among the nodes with the highest score one is
 *      chosen uniformly at random with the caller's GSL RNG (one draw per
 *      decision, the same distribution as kube-scheduler's selectHost).
 *      Deterministic for a given RNG state.
 *   4. GPUs (ops->pick_gpus, or gpu_choose's default rule) and binding
 *      (cluster_bind). placement_release() is the exact inverse.
 *
 * Policies are `static const struct placer_ops` in files of this directory,
 * found by name once, at load time (placer_find / placer_init). Nothing here
 * allocates per decision: placer_init() reserves scratch sized to the
 * cluster's node capacity.
 *
 * Registering policies from other files: the registry (placement.c) lists the
 * built-in ECS and Kubernetes placers, then the NULL-terminated lists
 * `placer_baselines_list` (models/placement/baselines.c) and
 * `placer_fgd_list` (models/placement/fgd.c) when those files exist (tested
 * with __has_include at compile time). Each such file must define its list
 * with external linkage, e.g.
 *   const struct placer_ops *const placer_fgd_list[] = {&fgd_ops, NULL};
 */
#ifndef ORCHSIM_PLACEMENT_H
#define ORCHSIM_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/cluster.h"
#include "models/gpu.h"
#include "sim/os_err.h"

/* ---------------- Kubernetes selectors ---------------- */

/* A toleration (pod spec). Strings are interned ids (cluster_intern). */
enum k8s_tol_op { K8S_TOL_EQUAL = 0, K8S_TOL_EXISTS = 1 };
struct k8s_toleration {
    uint32_t key;   /* 0 = empty key: with EXISTS tolerates every taint */
    uint32_t value; /* EQUAL: must equal the taint's value */
    uint8_t op;     /* enum k8s_tol_op */
    uint8_t effect; /* enum cluster_taint_effect, 0 = all effects */
};

/* A node-selector requirement (matchExpressions). vals are label pair ids for
 * IN/NOT_IN (same column as col); for GT/LT num is the integer operand. */
enum k8s_sel_op {
    K8S_SEL_IN = 0,
    K8S_SEL_NOT_IN = 1,
    K8S_SEL_EXISTS = 2,
    K8S_SEL_DOES_NOT_EXIST = 3,
    K8S_SEL_GT = 4,
    K8S_SEL_LT = 5,
};
#define K8S_SEL_VALUES_MAX 8
struct k8s_node_req {
    uint16_t col; /* label column */
    uint8_t op;   /* enum k8s_sel_op */
    uint8_t n_vals;
    uint32_t vals[K8S_SEL_VALUES_MAX];
    int64_t num;
};

/* A node-selector term: its requirements are ANDed. */
#define K8S_TERM_REQS_MAX 8
struct k8s_node_term {
    uint8_t n_reqs;
    struct k8s_node_req reqs[K8S_TERM_REQS_MAX];
};

/* preferredDuringScheduling...: weight 1..100 and a term. */
struct k8s_preferred_term {
    int32_t weight;
    struct k8s_node_term term;
};

/* ---------------- ECS constraints and strategies ---------------- */

/* A compiled ECS cluster-query-language expression (memberOf). Supported:
 * subjects `attribute:<name>` (any node label; ecs.instance-type and
 * ecs.availability-zone are set on every node) and `ec2InstanceId` (the node
 * name); operators ==, !=, exists, !exists, =~, !~ (POSIX extended regex,
 * anchored to the whole value [U: ECS does not say whether =~ is anchored]),
 * in [a, b], not_in [a, b], >, >=, <, <= (integers); `and`/`&&`, `or`/`||`,
 * `not`/`!` and parentheses. Owned by the caller: ecs_expr_compile() /
 * ecs_expr_destroy(). */
#define ECS_EXPR_NODES_MAX 16
struct ecs_expr_node;
struct ecs_expr {
    uint8_t n_nodes;
    uint8_t root;
    struct ecs_expr_node *nodes; /* owned; ECS_EXPR_NODES_MAX entries */
};

enum ecs_constraint_type {
    ECS_CONSTRAINT_DISTINCT_INSTANCE = 0, /* no two tasks of the group on one instance */
    ECS_CONSTRAINT_MEMBER_OF = 1,         /* the node satisfies expr */
};
struct ecs_constraint {
    uint8_t type;
    const struct ecs_expr *expr; /* MEMBER_OF */
};

enum ecs_strategy_type {
    ECS_STRATEGY_BINPACK = 0, /* least remaining of `field` */
    ECS_STRATEGY_SPREAD = 1,  /* fewest tasks of this group per value of `field` */
    ECS_STRATEGY_RANDOM = 2,
};
enum ecs_field {
    ECS_FIELD_CPU = 0,         /* binpack */
    ECS_FIELD_MEMORY = 1,      /* binpack */
    ECS_FIELD_INSTANCE_ID = 2, /* spread over instances (instanceId, host) */
    ECS_FIELD_ATTRIBUTE = 3,   /* spread over a label column (attribute:...) */
    ECS_FIELD_ZONE = 4,        /* spread over attribute:ecs.availability-zone */
};
struct ecs_strategy {
    uint8_t type;  /* enum ecs_strategy_type */
    uint8_t field; /* enum ecs_field */
    uint16_t col;  /* ECS_FIELD_ATTRIBUTE: label column */
};
#define ECS_STRATEGIES_MAX  4  /* per service (ECS quota) */
#define ECS_CONSTRAINTS_MAX 10 /* per task (ECS quota) */

/* ---------------- the request ---------------- */

/*
 * One pod / task to place. Plain data built at load time; the pointers refer
 * to caller-owned arrays that outlive the request. Unused parts are zero.
 */
struct pod_req {
    int32_t cpu_milli;       /* requested CPU, milli-CPU */
    int32_t mem_mib;         /* requested memory, MiB */
    struct gpu_req gpu;      /* count, milli (MILLI mode), resource id */
    uint64_t gpu_model_mask; /* allowed catalog GPU models (bit i = model i); 0 = any */
    uint32_t group;          /* service / task group 1..max_groups; 0 = none */

    /* Kubernetes */
    const struct k8s_toleration *tolerations;
    uint8_t n_tolerations;
    const struct k8s_node_req *node_selector; /* nodeSelector, ANDed */
    uint8_t n_node_selector;
    const struct k8s_node_term *required; /* required affinity: terms ORed */
    uint8_t n_required;
    const struct k8s_preferred_term *preferred; /* preferred affinity */
    uint8_t n_preferred;

    /* ECS */
    const struct ecs_constraint *constraints;
    uint8_t n_constraints;
    const struct ecs_strategy *strategies; /* NULL: the placer's default chain */
    uint8_t n_strategies;
};

/* ---------------- placer ---------------- */

/* One pod shape of a target workload, with its frequency (FGD's "target
 * workload"; the frequencies need not sum to 1). */
struct placer_shape {
    int32_t cpu_milli;
    int32_t mem_mib;
    struct gpu_req gpu;
    uint64_t gpu_model_mask;
    double freq;
};

/* A RequestedToCapacityRatio shape point: utilization 0..100 -> score 0..10. */
struct k8s_shape_point {
    int32_t utilization;
    int32_t score;
};
#define K8S_SHAPE_MAX 10

/* Options given to a placer at load time. Zero means the default. */
struct placer_opts {
    /* Kubernetes */
    int32_t pct_nodes_to_score;              /* percentageOfNodesToScore 0..100; 0 = adaptive */
    int32_t w_fit;                           /* NodeResourcesFit weight, default 1 */
    int32_t w_balanced;                      /* BalancedAllocation, default 1 */
    int32_t w_taint;                         /* TaintToleration, default 3 */
    int32_t w_affinity;                      /* NodeAffinity, default 2 */
    bool gpu_aware;                          /* add the pod's GPU resource to the fit resources */
    int32_t res_w_cpu, res_w_mem, res_w_gpu; /* resource weights, default 1 each */
    uint8_t n_shape;                         /* RequestedToCapacityRatio; 0 = {(0,0),(100,10)} */
    struct k8s_shape_point shape[K8S_SHAPE_MAX];
    /* ECS: default strategy chain for requests without one */
    uint8_t n_strategies;
    struct ecs_strategy strategies[ECS_STRATEGIES_MAX];
    /* Shared-GPU policies (FGD): the target workload */
    const struct placer_shape *shapes;
    size_t n_shapes;
    /* Seed of a policy's own random stream (the "random" policy's GPU choice,
     * tie_node_order; pick_gpus has no RNG argument). Any value is valid. */
    uint64_t seed;
    /* Ties between the best nodes. false: uniformly at random by the select
     * step, per decision (kube-scheduler's selectHost). true: the node first in
     * a random node order drawn once from `seed` for the placer's life, which
     * is what the FGD paper's simulator does in effect [U: inferred from its
     * per-seed random renaming of nodes and from its published results; its
     * forked kube-scheduler is not public]. Honoured by the shared-GPU
     * policies of baselines.c and fgd.c (not by "random"). */
    bool tie_node_order;
};

struct placer;

/* A placement policy. See the top of this file for the decision steps. */
struct placer_ops {
    const char *name;    /* registry key, e.g. "k8s-default", "ecs-binpack-memory" */
    const char *summary; /* one line for `orchsim` help */
    uint32_t flags;      /* PLACER_F_* */

    /* Optional: builds p->state from opts (may allocate; load time). */
    int (*init)(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                struct os_error *err);
    /* Optional: frees p->state. */
    void (*destroy)(struct placer *p);
    /* Optional: number of scoring stages for r (default 1). */
    uint32_t (*stages)(const struct placer *p, const struct pod_req *r);
    /* Required: writes score[i] for node cand[i], i < n, at `stage`. Higher is
     * better. May use p->tmp (n int64 entries) as workspace. */
    void (*score)(struct placer *p, const struct cluster *c, const struct pod_req *r,
                  uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score);
    /* Optional: chooses GPUs on the chosen node; must fill a record that
     * gpu_alloc_valid() accepts. NULL: gpu_choose(). */
    int (*pick_gpus)(struct placer *p, const struct cluster *c, const struct pod_req *r,
                     uint32_t node, struct gpu_alloc *out);
};

enum {
    PLACER_F_SAMPLE = 1u << 0, /* kube-scheduler numFeasibleNodesToFind + rotating start */
};

/* A placer instance: a policy plus its state and scratch. Caller-owned. */
struct placer {
    const struct placer_ops *ops;
    void *state;             /* the policy's own (ops->init) */
    struct placer_opts opts; /* copy of the options (shapes pointer not deep-copied) */
    uint32_t cap;            /* scratch entries (cluster cap_nodes) */
    uint32_t *cand;          /* feasible nodes of the current decision (cap entries
                                and some slack the filter may scribble on) */
    int64_t *score;          /* their scores */
    int64_t *tmp;            /* workspace for ops->score */
    uint32_t next_start;     /* PLACER_F_SAMPLE: rotating start index */
    uint64_t node_evals;     /* nodes examined by the filter, cumulative: nodes whose
                                columns it read to decide them (a node the
                                availability index rules out is not examined) */
    uint64_t decisions;      /* decisions made, cumulative */
};

/* A bound pod: what placement_release() needs to undo it exactly. */
struct placement {
    uint32_t node;
    int32_t cpu_milli;
    int32_t mem_mib;
    uint32_t group;
    struct gpu_alloc gpu;
};

/* ---- registry ---- */

/* NULL-terminated lists of policies, one per policy file. ecs.c and k8s.c
 * always exist; the others are linked in when their files exist. */
extern const struct placer_ops *const placer_ecs_list[];
extern const struct placer_ops *const placer_k8s_list[];
extern const struct placer_ops *const placer_baselines_list[];
extern const struct placer_ops *const placer_fgd_list[];

/* The policy named `name`, or NULL. Load time. */
const struct placer_ops *placer_find(const char *name);

/* Checks n experiment variants laid out `stride` bytes apart, whose name and
 * policy strings start at names and policies: every policy is registered and
 * no name repeats. OS_EINVAL with "<who>: variant '<name>': ..." otherwise. */
int placer_check_variants(const char *who, const char *names, const char *policies, size_t stride,
                          unsigned n, struct os_error *err);

/* Number of registered policies and the i-th (for the bench and help). */
size_t placer_count(void);
const struct placer_ops *placer_at(size_t i);

/* Looks `name` up and initialises p for clusters with c->cap_nodes node slots.
 * opts may be NULL. OS_EINVAL naming the unknown policy (with a suggestion). */
int placer_init(struct placer *p, const char *name, const struct cluster *c,
                const struct placer_opts *opts, struct os_error *err);

/* The same with an ops pointer. */
int placer_init_ops(struct placer *p, const struct placer_ops *ops, const struct cluster *c,
                    const struct placer_opts *opts, struct os_error *err);

void placer_destroy(struct placer *p);

/* ---- decisions (hot path; no allocation) ---- */

/* Chooses a node and GPUs for r without changing the cluster. Returns OS_OK
 * and fills *out, or OS_ENOFIT when no node is feasible (not an error: err is
 * not touched; there is none to pass). */
int placer_decide(struct placer *p, const struct cluster *c, const struct pod_req *r, gsl_rng *rng,
                  struct placement *out);

/* placer_decide, then placement_bind on success. */
int placer_place(struct placer *p, struct cluster *c, const struct pod_req *r, gsl_rng *rng,
                 struct placement *out);

/* Binds a decided placement (takes the capacity). */
void placement_bind(struct cluster *c, const struct placement *pl);

/* Releases a bound placement: the exact inverse of placement_bind. */
void placement_release(struct cluster *c, const struct placement *pl);

/* ---- the shared mechanism, for policies and tests ---- */

/* True if node n passes every filter for r (the full check, slow path). */
bool placement_node_fits(const struct cluster *c, const struct pod_req *r, uint32_t n);

/* Fills cand with feasible nodes the way placer_decide does, for ops flags
 * `flags`, updating p->next_start (by the node slots passed, skipped ones
 * included) and p->node_evals (by the nodes examined). Returns the count. */
uint32_t placement_filter(struct placer *p, const struct cluster *c, const struct pod_req *r);

/* True if the node's taints are all tolerated for scheduling (NoSchedule and
 * NoExecute; PreferNoSchedule never filters). */
bool placement_tolerates(const struct cluster *c, const struct pod_req *r, uint32_t n);

/* True if node n matches a term / all of r's nodeSelector / r's required
 * affinity (no terms = true). */
bool placement_term_matches(const struct cluster *c, const struct k8s_node_term *t, uint32_t n);
bool placement_selectors_match(const struct cluster *c, const struct pod_req *r, uint32_t n);

/* kube-scheduler's numFeasibleNodesToFind(percentageOfNodesToScore, n). */
uint32_t placement_num_feasible_to_find(int32_t pct, uint32_t n_nodes);

/* ---- ECS expressions (ecs.c) ---- */

/* Compiles a memberOf expression; label keys and values are interned in c.
 * `where` prefixes error messages (file and JSON path). */
int ecs_expr_compile(struct cluster *c, const char *text, struct ecs_expr *out, const char *where,
                     struct os_error *err);
void ecs_expr_destroy(struct ecs_expr *e);
bool ecs_expr_eval(const struct cluster *c, const struct ecs_expr *e, uint32_t node);

/* Parses an ECS strategy field ("cpu", "memory", "instanceId", "host",
 * "attribute:ecs.availability-zone") for strategy `type`. */
int ecs_strategy_parse(struct cluster *c, const char *type, const char *field,
                       struct ecs_strategy *out, const char *where, struct os_error *err);

#endif
