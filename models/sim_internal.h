/*
 * sim_internal.h - the state of one simulation run, shared by models/sim.c
 * (nodes, the inference service, autoscalers, spot, sampling, results),
 * models/sim_train.c (gang-scheduled training jobs), models/sim_scale.c (KEDA,
 * the Cluster Autoscaler) and models/sim_karpenter.c (Karpenter). Not a
 * public interface.
 *
 * A run has up to three node groups, each its own capacity provider / NodePool
 * with its instance types (one on ECS and with the Cluster Autoscaler; on EKS
 * with Karpenter a NodePool's list, one cluster pool per type), GPU sharing
 * mode and placement state:
 *   G_SVC    the LLM service's nodes (the variant's instance_type, sharing)
 *   G_FLEET  the small-model fleet's nodes (the variant's fleet.*)
 *   G_TRAIN  the training jobs' nodes (the variant's training.*)
 * and up to 1 + 16 inference services: the LLM service (on G_SVC) and one per
 * fleet model (on G_FLEET), each with its own requests, replicas and service
 * scaling.
 * [U] SIM_GROUPS: a workload never runs on the other group's nodes (each
 * workload has its own capacity provider / NodePool, selected by a memberOf
 * constraint or a nodeSelector), so each group keeps its own cluster state.
 */
#ifndef ORCHSIM_SIM_INTERNAL_H
#define ORCHSIM_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/autoscale/ecs_capacity.h"
#include "models/autoscale/ecs_service.h"
#include "models/autoscale/hpa.h"
#include "models/autoscale/keda.h"
#include "models/catalog.h"
#include "models/cluster.h"
#include "models/cost.h"
#include "models/placement/placement.h"
#include "models/sim.h"
#include "models/spot.h"
#include "models/workload/arrivals.h"
#include "models/workload/inference.h"
#include "models/workload/training.h"
#include "sim/engine.h"
#include "sim/metrics.h"
#include "sim/rng.h"

#define US       INT64_C(1000000)
#define MINUTE   (60 * US)
#define NO_IDX   UINT32_MAX
#define HPA_RING 4 /* 15-s marks: the HPA reads the last 60 s */

enum node_state { N_PROVISIONING, N_REGISTERING, N_READY, N_DRAINING, N_GONE };
enum task_state { T_PENDING, T_STARTING, T_RUNNING, T_STOPPING, T_DONE };
enum { G_SVC = 0, G_FLEET = 1, G_TRAIN = 2, G_MAX = 3 };
#define SIM_MAX_SERVICES 17                 /* the LLM service and up to 16 fleet models */
#define SIM_TYPES_MAX    SCENARIO_MAX_TYPES /* instance types of one node group */
#define SIM_EXT_MAX      4 /* MIG mixed: profiles requested in one group (= KP_EXT_MAX, CA_EXT_MAX) */

struct node {
    uint32_t cid; /* node id in its group's cluster */
    uint8_t g;    /* group */
    uint8_t state;
    bool spot;
    bool cached; /* an image of its group's services pulled on this node */
    int16_t rev; /* the LLM service's image revision pulled on this node (-1 none) */
    bool evicting;
    bool noticed; /* spot: the interruption notice came */
    uint8_t ti;   /* its instance type: index into its group's types[] */
    bool awaited; /* Karpenter: a replacement that candidates wait for (drained when it is ready) */
    int cp;       /* ECS capacity provider / CA: its ASG (0 on-demand, 1 spot) */
    int64_t launch_us, ready_us;
    int64_t pod_event_us; /* last pod placed or removed, else schedulable (consolidateAfter) */
    uint32_t tasks;       /* replicas or training pods placed (starting, running, stopping) */
    uint32_t replaced_by; /* Karpenter: cordoned until this replacement is ready (NO_IDX: none) */
    cost_handle cost;
    double alloc_gpu_s, used_gpu_s;
    uint64_t ev, ev2;
};

/* An inference replica (ECS task / pod). */
struct task {
    uint8_t state;
    uint8_t s;           /* service */
    bool fargate_on;     /* a Fargate task being billed since placed_us */
    uint16_t rev;        /* the service revision it runs */
    uint16_t restarts;   /* EKS: container restarts (CrashLoopBackOff) */
    uint8_t attempts;    /* EKS: failed scheduling attempts (pod backoff) */
    uint64_t epoch_seen; /* EKS: its group's cluster epoch at the last failed attempt */
    int64_t last_try_us; /* EKS: time of the last failed attempt */
    bool doomed;         /* replaced: not counted against desired, stops at its node's end */
    int cp;
    uint32_t node; /* index into nodes, NO_IDX when not placed */
    uint32_t replica;
    int64_t created_us, placed_us, running_us;
    struct placement pl;
    double gpu_frac; /* physical GPUs allocated (whole 1 per GPU, MIG g/7, shared 1/R) */
    uint64_t ev;
};

/* Placement state of a training job (the book is in struct training). */
struct job {
    uint32_t pods;         /* pods of the gang */
    uint32_t gpus_per_pod; /* whole GPUs per pod */
    uint32_t pl0;          /* its pods: job_pl[pl0 .. pl0 + pods), job_node[...] */
    int cp;                /* ECS capacity provider */
    bool placed;
    bool victim;       /* scratch of one preemption dry run: chosen as a victim */
    uint8_t pclass;    /* priority class (index into workload.training.priorities) */
    int32_t prio;      /* its priority value (0 without classes) */
    int64_t placed_us; /* start of the current run: the pods' StartTime */
    uint64_t ev;       /* completion */
};

/* Priority classes of the training jobs and the scratch of the preemption
 * dry run (models/sim_train.c). The scratch is sized once, at setup, so a
 * decision allocates nothing. */
struct train_prio {
    unsigned n;                             /* classes; 0: every job has priority 0 */
    uint8_t order[SCENARIO_MAX_PRIORITIES]; /* class indices by value, highest first */
    double cum[SCENARIO_MAX_PRIORITIES];    /* cumulative normalised weights */
    int64_t alloc[SCENARIO_MAX_PRIORITIES]; /* GPUs held by each class's running gangs */
    struct rng rng;                         /* ("training.priority", 0): one draw per job */
    bool rng_open;
    bool preempt;       /* DefaultPreemption on (EKS, variant training.preemption) */
    uint32_t ncid;      /* node slots of the training cluster */
    uint32_t cap_pods;  /* pods a full cluster can hold: ncid x GPUs per node */
    uint32_t per_node;  /* pods a node can hold: GPU_NODE_MAX (whole GPUs) */
    int32_t *cpu, *mem; /* per node slot: free in the dry run */
    int32_t *gpu;       /* per node slot: free whole GPUs in the dry run */
    bool *ok;           /* per node slot: READY (a candidate) */
    uint32_t *head;     /* per node slot + 1: offsets into pods_on */
    uint32_t *pods_on;  /* the job of each potential victim pod, grouped by node */
    uint32_t *cand;     /* per_node: potential victims on the node being examined */
    uint32_t *cur;      /* per_node: its victims after the reprieve */
    uint32_t *best;     /* per_node: the victims of the best node so far */
    uint32_t *vjobs;    /* cap_pods: victim gangs of the dry run */
    uint32_t nvjobs;
};

/* A node group: its instance types, cluster state, placer and capacity. */
struct group {
    bool on;
    bool fargate;                    /* no nodes: every task is a Fargate task (CPU only) */
    double fargate_speed;            /* relative to a V100 */
    double fargate_vcpu, fargate_gb; /* the task size billed */
    int sharing;                     /* enum scenario_sharing */
    int replicas_per_gpu;            /* TIMESLICE/MPS */
    const char *mig_profile;         /* MIG single: the profile of every instance */
    int mig_strategy;                /* enum scenario_mig_strategy */
    const char (*mig_layouts)[64];   /* MIG mixed: [0] the boot layout, then repartition targets */
    unsigned nlayouts;               /* MIG mixed: layouts (1 = no repartitioning) */
    const double *reconf_s;          /* MIG mixed: repartition time range (s) */
    /* MIG mixed with repartitioning (models/sim_mig.c), per GPU of its cluster:
     * being repartitioned, and the event that ends it */
    uint8_t *gpu_reconf;
    uint64_t *gpu_reconf_ev;
    /* MIG mixed: the profiles its services request (family table indices),
     * the extended resources the autoscalers see (SIM_EXT_MAX at most) */
    int ext_prof[SIM_EXT_MAX];
    unsigned next;
    struct rng rng_mig; /* ("sim.mig", group): repartition times */
    bool mig_open;
    double timeslice_overhead; /* TIMESLICE */
    /* instance types: [0] the variant's instance_type, then the rest of its
     * instance_types (EKS with Karpenter); a node's ti indexes these */
    unsigned ntypes;
    const struct catalog_instance *types[SIM_TYPES_MAX];
    uint16_t tpool[SIM_TYPES_MAX];     /* cluster pool of each type */
    size_t tmarket[SIM_TYPES_MAX];     /* spot market pool of each type */
    double tspeed[SIM_TYPES_MAX];      /* relative speed of each type's GPU model */
    double tmig_frac[SIM_TYPES_MAX];   /* MIG: compute slices / 7 of the profile on each type */
    uint32_t tper_node[SIM_TYPES_MAX]; /* units an empty node of each type holds */
    uint32_t gpus_max;                 /* most GPUs of a node of its types (G_TRAIN pod size) */
    /* types[0]'s figures (the only type on ECS and with the Cluster Autoscaler) */
    const struct catalog_instance *type;
    const struct scenario_spot *spot;
    const char *placement;
    int min_nodes, max_nodes;
    uint32_t live; /* nodes not GONE */
    struct cluster c;
    bool c_open;
    struct placer placer;
    bool placer_open;
    uint16_t pool;      /* tpool[0] */
    struct pod_req req; /* G_SVC: a replica; G_TRAIN: the base of a pod */
    uint32_t per_node;  /* tper_node[0]: service replicas, G_TRAIN GPUs */
    uint32_t *node_of;  /* cluster node id -> index into nodes */
    /* ECS capacity providers */
    int ncp;
    struct ecs_capacity_strategy strat;
    struct ecs_expr cp_expr[2];
    struct ecs_constraint cp_cons[2];
    struct ecs_capacity cpcap[2];
    bool cp_open[2];
    struct ecs_capacity_instance *inst_buf;
    uint32_t *inst_node, *term_buf;
    struct ecs_capacity_group shapes[SCENARIO_MAX_GANGS + 1];
    struct rng rng_nodes, rng_tasks, rng_place; /* streams (seed, name, group) */
    uint64_t epoch;     /* cluster events that may make a pending pod fit (EKS queueing) */
    size_t market_pool; /* tmarket[0] */
};

/* One inference service: the LLM service or one fleet model. */
struct service {
    struct run *r;
    uint8_t idx;
    bool llm;   /* the LLM service (else a fleet model), whatever its group */
    uint8_t gi; /* its node group */
    const struct scenario_inference *inf;
    const struct scenario_scaling *scaling;
    struct pod_req req;      /* a replica */
    double gpu_frac;         /* physical GPUs per replica (whole 1 per GPU, MIG g/7, shared 1/R) */
    const char *mig_profile; /* MIG: the profile its replicas request */
    int mig_prof;            /* MIG mixed: its profile's index in the family table */
    int8_t ext; /* MIG mixed: its profile\'s extended resource (group ext_prof), else -1 */
    double tfrac[SIM_TYPES_MAX];       /* MIG: compute slices / 7 of its profile on each type */
    uint32_t tper_node[SIM_TYPES_MAX]; /* replicas an empty node of each type holds */
    uint32_t per_boot; /* ... of types[0] in its boot MIG layout (the others' layouts) */
    struct inference svc;
    struct arrivals arr;
    struct arrivals_tokens tokens;
    bool arr_open, tokens_open, svc_open;
    int32_t desired;
    struct ecs_service ecs_svc;
    bool ecs_svc_open;
    int pol_metric[8]; /* ECS: enum scenario_metric of each policy (2 + 3 at most) */
    struct hpa hpa;
    bool hpa_open;
    struct keda keda; /* scaling.autoscaler "keda" (EKS): its ScaledObject */
    bool keda_open;
    struct inference_window win, sample_mark;
    struct inference_window ring[HPA_RING];
    unsigned ring_n;
    uint32_t *replica_task; /* replica id -> task index */
    uint32_t cap_replicas;
    /* rolling deployments */
    uint16_t rev;
    bool rolling;
    int64_t rollout_start_us;
    /* start failures: ECS relaunch throttling */
    uint32_t fail_streak; /* consecutive failed starts */
    int64_t relaunch_at;  /* no new task before this */
    uint64_t start_failures;
    uint32_t rollouts;
    double rollout_s; /* summed durations of finished rollouts */
};

struct run {
    const struct scenario *sc;
    const struct scenario_variant *v;
    bool ecs;
    uint64_t seed;
    struct os_error err;
    int status;

    struct engine e;
    struct group grp[G_MAX];

    struct node *nodes;
    uint32_t nnodes, cap_nodes;
    struct task *tasks;
    uint32_t ntasks, cap_tasks;

    /* services: [0] the LLM service when the workload has one, then the fleet */
    struct service svcs[SIM_MAX_SERVICES];
    unsigned nsvcs;

    /* training */
    struct training book;
    bool book_open;
    struct training_durations dur; /* owned when dur_open */
    bool dur_open;
    const struct training_durations *durp; /* the table in use (own or shared) */
    const struct sim_inputs *in;           /* shared inputs, may be NULL */
    struct training_gen gen;
    bool gen_open;
    struct training_spec next; /* the next arrival */
    bool next_ok;
    struct job *jobs;
    uint32_t cap_jobs;
    struct placement *job_pl;
    uint32_t *job_node;
    uint32_t njob_pl, cap_job_pl, cap_job_node;
    uint32_t pending_pods;      /* pods of pending jobs */
    double alloc_gpus;          /* GPUs held by running gangs */
    uint32_t first_pending;     /* no job below this id is pending */
    uint64_t job_interruptions; /* spot (node loss) */
    uint64_t job_preemptions;   /* gangs interrupted by preemption */
    struct train_prio prio;

    /* spot and cost */
    struct spot_market market;
    bool market_open;
    struct cost_meter cost;
    bool cost_open;
    uint64_t interruptions;
    uint64_t launches;
    uint64_t rebalances;        /* rebalance recommendations received */
    double spot_exposure_s;     /* spot instance time at risk: launch to notice or end */
    uint64_t mig_repartitions;  /* MIG mixed: node repartitions started (models/sim_mig.c) */
    uint64_t drift_disruptions; /* Karpenter drift commands carried out */
    double mig_reconf_gpu_s;    /* GPU time spent repartitioning */

    /* metrics */
    struct metrics_gauge g_nodes, g_gpus, g_alloc, g_pending;
    struct metrics_hist h_pending, h_start;
    bool hists_open;
    double frag_sum;
    uint64_t frag_n;
    double nodes_peak, gpus_peak;
    double used_gpu_s; /* busy GPU time of finished work */

    /* timeseries */
    bool want_series;
    FILE *series;
    char *series_buf;
    size_t series_len;
    int64_t sample_prev;
    double cost_accrued;
    bool warming;     /* warm start: replicas start without failures */
    int64_t retry_at; /* EKS: a pod-backoff retry event is pending at this time (0: none) */

    struct sim_scale *scale; /* models/sim_scale.c: Cluster Autoscaler state, NULL unless used */
    struct sim_karp *karp;   /* models/sim_karpenter.c: Karpenter state, NULL unless used */
};

/* EKS's pods per node (the VPC CNI's limit for these types). */
#define SIM_EKS_MAX_PODS 110

/* [U] SIM_ALLOCATABLE: what a node of type t offers pods after the kubelet's
 * and the ECS agent's reservations: 100 millicores and 10 % of memory. */
static inline int32_t sim_alloc_cpu_milli(const struct catalog_instance *t)
{
    return t->vcpu * 1000 - 100;
}
static inline int32_t sim_alloc_mem_mib(const struct catalog_instance *t)
{
    return (int32_t)(catalog_type_mem_mib(t) * 0.9);
}

/* The catalog type of node n. */
static inline const struct catalog_instance *sim_node_type(const struct run *r,
                                                           const struct node *n)
{
    return r->grp[n->g].types[n->ti];
}

/* MIG mixed: group g's extended resources (one per requested profile) on
 * a node of type ti booted with (or repartitioned to) layout li: instances
 * of each per node. Zero for other groups. */
void sim_type_ext(const struct group *g, unsigned ti, unsigned li, int64_t out[SIM_EXT_MAX]);

/* MIG mixed: node ni's instances of each of its group's extended resources,
 * in its current layout, and those free now. Zero for other groups. */
void sim_node_ext(const struct run *r, uint32_t ni, int64_t cap[SIM_EXT_MAX],
                  int64_t free_[SIM_EXT_MAX]);

/* Evicts node ni's replicas as a drain does (Karpenter's terminator, the
 * Cluster Autoscaler), each only if its Deployment's PodDisruptionBudget
 * allows it now; the others stay until a later retry (a replica becoming
 * ready). Ends the node when it is empty. Returns true if any was evicted. */
bool sim_evict_node(struct run *r, uint32_t ni);

/* Cordons node ni (no new pods) and evicts its replicas (sim_evict_node; the
 * Deployments recreate them elsewhere); a training node is only cordoned
 * (do-not-disrupt) and ends with its last pod; an empty node ends now.
 * Karpenter's terminator and the Cluster Autoscaler's drain. Returns true
 * if replicas were evicted. */
bool sim_drain_node(struct run *r, uint32_t ni);

/* True if every ready replica on node ni could be evicted now within its
 * Deployment's PodDisruptionBudget (always without budgets). */
bool sim_pdb_node_movable(const struct run *r, uint32_t ni);

/* Records the first failure (its message is already in r->err) and stops. */
void sim_fail(struct run *r, int rc);

/* The same in a function returning bool (false on failure). */
#define CHECK_FALSE(r, call)                                                                       \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != OS_OK) {                                                                        \
            sim_fail(r, rc_);                                                                      \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

#define CHECK(r, call)                                                                             \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != OS_OK) {                                                                        \
            sim_fail(r, rc_);                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

int64_t sim_secs(double s);
int sim_grow(void **p, uint32_t *cap, size_t elem, uint32_t need, struct os_error *err);
void sim_gauges_update(struct run *r);
/* A unit of work left node ni: books nothing, updates the node's counters. */
void sim_node_task_gone(struct run *r, uint32_t ni);
/* Tries to place pending work of every group; asks for capacity if some is left. */
void sim_place_pending(struct run *r);
/* Appends one metric to o. */
void sim_put(struct sim_result *o, const char *name, double v);
/* Tries to place every pending replica (not training pods), oldest first;
 * adds the replicas left pending per group to left[G_MAX]. */
void sim_try_place(struct run *r, uint32_t *left);
/* Launches a node of group gi's type ti (ready: already schedulable, warm
 * start) for capacity provider / ASG cp. OS_EFULL at max_nodes, OS_ENOFIT
 * when a spot launch finds no capacity and does not fall back; the index to
 * *out. sim_node_launch launches types[0]. */
int sim_node_launch_type(struct run *r, int gi, unsigned ti, bool spot, int cp, bool ready,
                         uint32_t *out);
int sim_node_launch(struct run *r, int gi, bool spot, int cp, bool ready, uint32_t *out);
/* The relative speed of the slowest GPU model among nodes[0 .. n) (a gang
 * steps at the pace of its slowest GPU [U] SIM_TRAIN_SPEED). */
double sim_nodes_speed(const struct run *r, const uint32_t *nodes, uint32_t n);
/* Ends a node's life: it must hold no task. */
void sim_node_terminate(struct run *r, uint32_t ni, enum cost_end_reason why);
/* Stops a replica by the ECS/Kubernetes rules: gone at once unless running. */
void sim_task_stop(struct run *r, uint32_t ti, enum inference_remove_mode mode);
/* Reconciles service si (or every service when si < 0) and places. */
void sim_reconcile(struct run *r, int si);

/* --- models/sim_train.c --- */

/* The scenario's training durations table (errors name the JSON path). */
int train_durations_load(struct training_durations *d, const struct scenario *sc,
                         struct os_error *err);
/* Loads the durations and starts the job stream (first arrival scheduled). */
int train_setup(struct run *r, struct os_error *err);
/* Places pending jobs, whole gangs only, by priority (highest first) then
 * arrival; on EKS with preemption a gang that does not fit may preempt gangs
 * of lower priority (DefaultPreemption). Returns pods left pending. */
uint32_t train_try_place(struct run *r);
/* ECS: pending pods of provider cp grouped by shape into g->shapes. */
uint32_t train_pending_shapes(struct run *r, int cp);
/* Pods pending (for the gauge) and GPUs allocated to running gangs. */
uint32_t train_pending_pods(const struct run *r);
double train_alloc_gpus(const struct run *r);
/* Interrupts every running job with a pod on node ni (spot reclaim). */
void train_node_lost(struct run *r, uint32_t ni);
/* Books the allocations still held at the horizon. */
void train_book_horizon(struct run *r, int64_t end);
/* Puts the training metrics (NaN when the workload has none). */
int train_results(struct run *r, struct sim_result *o, struct os_error *err);
void train_teardown(struct run *r);

/* ------------------------------------------------------------------------ */
/* models/sim_scale.c: KEDA and the Cluster Autoscaler in the loop (EKS)     */

/* True when the variant's nodes are scaled by the Cluster Autoscaler
 * (capacity.autoscaler "cluster-autoscaler", EKS) instead of Karpenter. */
bool sim_ca_on(const struct run *r);
/* Service sv is scaled by KEDA: builds its ScaledObject (sv->keda) from the
 * variant's scaling settings. Called from setup_service; OS_EINVAL naming
 * the JSON path. */
int sim_keda_setup(struct run *r, struct service *sv, struct os_error *err);
/* After the warm start: schedules each KEDA service's own event and, with
 * the Cluster Autoscaler, builds its node groups and schedules its scan. */
int sim_scale_start(struct run *r, struct os_error *err);
/* Frees what sim_keda_setup and sim_scale_start made. Safe on a partial run. */
void sim_scale_teardown(struct run *r);

/* ------------------------------------------------------------------------ */
/* models/sim_karpenter.c: Karpenter in the loop (EKS unless the Cluster     */
/* Autoscaler is chosen), on models/autoscale/karpenter                      */

/* models/sim_mig.c: true when a node group repartitions MIG GPUs. */
bool sim_mig_on(const struct run *r);
/* True while GPU gid of group g is being repartitioned. */
static inline bool sim_mig_held(const struct group *g, uint32_t gid)
{
    return g->gpu_reconf && g->gpu_reconf[gid];
}
/* Node ni is going away: ends the repartitioning of its GPUs. */
void sim_mig_node_gone(struct run *r, uint32_t ni);
/* GPUs of node ni being repartitioned. */
uint32_t sim_mig_node_held(const struct run *r, uint32_t ni);
/* Starts the repartitioning controller (no-op unless sim_mig_on). */
int sim_mig_start(struct run *r, struct os_error *err);

/* True when Karpenter scales the variant's nodes. */
bool sim_karpenter_on(const struct run *r);
/* Builds each node group's NodePool and workspace; after the groups, the spot
 * market and the training set-up, before the warm start. No-op unless on. */
int sim_karpenter_setup(struct run *r, struct os_error *err);
/* Warm start of service group gi: launches ready nodes for `pods` replicas as
 * one provisioning pass would, then types[0] nodes up to min_nodes. */
int sim_karpenter_warm(struct run *r, int gi, struct os_error *err);
/* Pending work was seen in group g: opens or extends its batch window. No-op
 * unless Karpenter scales the nodes. */
void sim_karpenter_note(struct run *r, int g);
/* Schedules the disruption loop (every 10 s, the first at 10 s). */
int sim_karpenter_start(struct run *r, struct os_error *err);
/* Node ni, a consolidation replacement (awaited), became schedulable: the
 * candidates waiting for it are drained. */
void sim_karpenter_replacement_ready(struct run *r, uint32_t ni);
/* Node ni, an awaited replacement, ends or gets its spot notice before it is
 * ready: the candidates waiting for it are uncordoned (the command failed). */
void sim_karpenter_replacement_lost(struct run *r, uint32_t ni);
/* Frees what sim_karpenter_setup made. Safe on a partial run. */
void sim_karpenter_teardown(struct run *r);
/* [U] SIM_SPOT_SHARE: with spot.pct = pct, is the next node of a group of
 * `total` nodes, `spot` of them spot, a spot node? The largest-remainder
 * rule: spot if spot + 1 <= (total + 1) pct / 100 + 0.5. */
bool sim_spot_next(int pct, uint32_t total, uint32_t spot);

#endif
