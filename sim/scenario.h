/*
 * scenario.h - a scenario file decoded once into typed structs.
 *
 * A scenario holds one workload and several variants. Paths inside a scenario
 * are relative to the current directory (run orchsim from the project root,
 * or give absolute paths). Every later model reads its configuration from
 * struct scenario; nothing reads JSON after scenario_load().
 *
 * Kinds:
 *   "packing"  - the static shared-GPU packing experiment of the FGD paper
 *                (no clock): place a tuned, shuffled pod list one by one.
 *   "replay"   - a timed replay of a pod trace on a fixed openb cluster:
 *                pods arrive and leave at their trace times, pending pods
 *                wait and are retried (models/replay.h).
 */
#ifndef ORCHSIM_SCENARIO_H
#define ORCHSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/schema.h"

#define SCENARIO_MAX_VARIANTS    16
#define SCENARIO_MAX_REFERENCE   32
#define SCENARIO_PATH_LEN        1024
#define SCENARIO_MAX_CHECKS      64
#define SCENARIO_MAX_TYPES       8 /* instance types of one node group (a NodePool's list) */
#define SCENARIO_MAX_MIG_LAYOUTS 8 /* MIG mixed: layouts of one node group */

enum scenario_kind { SCENARIO_PACKING = 0, SCENARIO_SIMULATION = 1, SCENARIO_REPLAY = 2 };
enum scenario_orchestrator { SCENARIO_ORCH_NONE = 0, SCENARIO_ORCH_ECS = 1, SCENARIO_ORCH_EKS = 2 };
enum scenario_sharing {
    SCENARIO_SHARE_WHOLE = 0,
    SCENARIO_SHARE_TIMESLICE = 1,
    SCENARIO_SHARE_MPS = 2,
    SCENARIO_SHARE_MIG = 3,
};
enum scenario_arrivals {
    SCENARIO_ARR_AZURE_DAY = 0,
    SCENARIO_ARR_REPLAY = 1,
    SCENARIO_ARR_DIURNAL = 2
};
enum scenario_metric {
    SCENARIO_METRIC_REQUESTS_PER_TARGET = 0, /* requests per minute per replica */
    SCENARIO_METRIC_BACKLOG = 1,             /* requests waiting or in service per replica */
    SCENARIO_METRIC_UTILIZATION = 2,         /* busy slots / slots, % */
};
enum scenario_rows { SCENARIO_ROWS_ERROR = 0, SCENARIO_ROWS_SKIP = 1 };
enum scenario_pods_format { SCENARIO_PODS_OPENB = 0, SCENARIO_PODS_DLRM = 1 };

enum scenario_service_scaler { SCENARIO_SCALER_HPA = 0, SCENARIO_SCALER_KEDA = 1 };
enum scenario_ecs_policy { SCENARIO_POLICY_TT = 0, SCENARIO_POLICY_STEP = 1 };
enum scenario_adjust { SCENARIO_ADJ_CHANGE = 0, SCENARIO_ADJ_PERCENT = 1, SCENARIO_ADJ_EXACT = 2 };

/* One step of an ECS step scaling policy: bounds relative to the alarm
 * threshold (absent: -/+ infinity), and the adjustment. */
struct scenario_step {
    double lower, upper; /* NaN: absent */
    int adjustment;
};
#define SCENARIO_MAX_STEPS 20

/* One HPA scaling policy (HPAScalingPolicy). */
struct scenario_hpa_policy {
    int type; /* 0 Pods, 1 Percent */
    int value;
    int64_t period_us;
};

/* HPA behavior of one direction (spec.behavior.scaleUp / scaleDown). */
struct scenario_hpa_rules {
    int64_t window_us; /* stabilizationWindowSeconds; -1: the default */
    int select;        /* 0 Max, 1 Min, 2 Disabled */
    struct scenario_hpa_policy policies[8];
    unsigned npolicies; /* 0: the default policies */
};
enum scenario_node_scaler { SCENARIO_NODES_KARPENTER = 0, SCENARIO_NODES_CA = 1 };
/* Karpenter's spec.disruption.consolidationPolicy of a NodePool. */
enum scenario_consolidation {
    SCENARIO_CONSOLIDATE_UNDERUTILIZED = 0, /* WhenEmptyOrUnderutilized (the default) */
    SCENARIO_CONSOLIDATE_EMPTY = 1,         /* WhenEmpty */
};

/* Service scaling of the inference replicas: ECS target tracking, the HPA,
 * or (EKS) KEDA's aws-sqs-queue scaler on the service's queue. */
struct scenario_scaling {
    int autoscaler;          /* EKS: enum scenario_service_scaler (hpa) */
    int metric;              /* enum scenario_metric */
    double target;           /* target value of the metric per replica */
    int64_t out_cooldown_us; /* ECS scale-out cooldown (300 s) */
    int64_t in_cooldown_us;  /* ECS scale-in cooldown (300 s) */
    int64_t down_window_us;  /* HPA scale-down stabilization (300 s) */
    /* KEDA (queue length = requests waiting + in service, as SQS visible +
     * in flight); min replicas come from the service (0 allowed) */
    double keda_queue_length;            /* queueLength per replica (5) */
    double keda_activation_queue_length; /* activationQueueLength (0) */
    int64_t keda_polling_us;             /* pollingInterval (30 s) */
    int64_t keda_cooldown_us;            /* cooldownPeriod (300 s) */
    /* ECS: a step scaling policy pair instead of target tracking */
    int policy;                /* enum scenario_ecs_policy (target_tracking) */
    int step_adjust;           /* enum scenario_adjust (change) */
    double step_out_threshold; /* scale-out alarm: metric >= threshold */
    struct scenario_step steps_out[SCENARIO_MAX_STEPS];
    unsigned nsteps_out;
    double step_in_threshold; /* scale-in alarm: metric <= threshold */
    struct scenario_step steps_in[SCENARIO_MAX_STEPS];
    unsigned nsteps_in;
    int64_t step_cooldown_us; /* (300 s) */
    /* more metrics: ECS more target tracking policies (scale out when any
     * asks, in when all allow), EKS more HPA metrics (the largest proposal) */
    struct scenario_metric_target {
        int metric; /* enum scenario_metric */
        double target;
    } more[3];
    unsigned nmore;
    /* EKS: HPA spec.behavior (absent: the defaults) */
    bool has_behavior;
    struct scenario_hpa_rules up, down;
};

/* Capacity: ECS capacity provider managed scaling; on EKS Karpenter or the
 * Cluster Autoscaler. */
struct scenario_capacity {
    int autoscaler;               /* EKS: enum scenario_node_scaler (karpenter) */
    int target_capacity_pct;      /* ECS targetCapacity (100) */
    int64_t warmup_us;            /* ECS instanceWarmupPeriod (300 s) */
    int min_step, max_step;       /* ECS minimum/maximumScalingStepSize (1, 10000) */
    int64_t consolidate_after_us; /* Karpenter consolidateAfter (0 s) */
    int budget_pct;               /* Karpenter disruption budget, nodes % (10) */
    int64_t batch_idle_us;        /* Karpenter batch idle duration (1 s) */
    int64_t batch_max_us;         /* Karpenter batch max duration (10 s) */
    /* Karpenter NodePool settings, the same for every node group of the
     * variant (each group is its own NodePool; models/sim_karpenter.c) */
    int consolidation_policy; /* enum scenario_consolidation (WhenEmptyOrUnderutilized) */
    int64_t expire_after_us;  /* expireAfter (720 h); 0 = Never */
    int limits_gpus;          /* spec.limits of each group's NodePool, GPUs (0 = none) */
    /* times (s) at which the EC2NodeClass changes (e.g. a new AMI): every
     * node launched before is drifted and Karpenter replaces it */
    double drift_at_s[16];
    unsigned ndrifts;
    /* Cluster Autoscaler (models/autoscale/cluster_autoscaler.h) */
    int ca_expander;                 /* enum ca_expander order: least-waste (0) */
    double ca_utilization_threshold; /* --scale-down-utilization-threshold (0.5) */
    int64_t ca_unneeded_us;          /* --scale-down-unneeded-time (600 s) */
    int64_t ca_delay_after_add_us;   /* --scale-down-delay-after-add (600 s) */
    int64_t ca_max_provision_us;     /* --max-node-provision-time (900 s) */
};

enum scenario_spot_price { SCENARIO_SPOT_GENERATED = 0, SCENARIO_SPOT_TRACE = 1 };

/* Spot capacity of a variant (models/spot.h). */
struct scenario_spot {
    int pct;                       /* share of nodes launched as spot, 0..100 (0) */
    double interruptions_per_hour; /* hazard per spot instance; < 0: the advisor band's */
    double discount;               /* generated: mean spot discount vs on-demand (0.6) */
    int base;  /* ECS: tasks on the on-demand provider first (strategy base, 0) */
    int price; /* enum scenario_spot_price (generated) */
    char trace_csv[SCENARIO_PATH_LEN];   /* trace: aws_spot_gpu_prices_flat.csv */
    char trace_instance_type[48];        /* trace: the series' type ("" = the node type) */
    char trace_zone[32];                 /* trace: the series' AZ (us-east-1a) */
    double time_scale;                   /* trace: simulated s per trace s (1) */
    double trace_origin_epoch_s;         /* trace: Unix time of simulated 0 (0: the series start) */
    double trace_on_demand_usd_per_hour; /* trace: the series type\'s on-demand $/h (0: built in) */
    bool rebalance;          /* emit EC2 rebalance recommendations (counted; no reaction) (false) */
    double launch_fail_prob; /* a spot launch fails for lack of capacity (0) */
    bool fallback_on_demand; /* a failed spot launch falls back to on-demand (true) */
    /* hazard (and optionally launch failures) estimated from the 2020
     * availability log (models/spot.h spot_log_estimate) instead */
    char log_gpu[16];                 /* "" (off), "v100" or "k80" */
    int log_gpus;                     /* GPUs per instance in the log (0 = any) */
    int log_estimate;                 /* enum scenario_log_estimate (mle) */
    bool log_launch_failures;         /* also take launch_fail_prob from the log (false) */
    char log_path[SCENARIO_PATH_LEN]; /* the log */
};
enum scenario_log_estimate {
    SCENARIO_LOG_MLE = 0,
    SCENARIO_LOG_UPPER95 = 1,
    SCENARIO_LOG_LOWER95 = 2
};

/* The training node group of a variant (when the workload has training). */
struct scenario_variant_training {
    char instance_type[48]; /* catalog type of the training node group (required) */
    /* EKS with Karpenter: the NodePool's types ([] = instance_type alone;
     * instance_type defaults to the first and must be one of them) */
    char instance_types[SCENARIO_MAX_TYPES][48];
    unsigned ninstance_types;
    char placement[64];       /* placement policy (the variant's orchestrator default) */
    int min_nodes, max_nodes; /* (0, 16) */
    struct scenario_spot spot;
    int64_t ckpt_interval_us; /* overrides workload.training's when >= 0 (-1) */
    /* EKS: a pending gang may preempt running gangs of lower priority
     * (kube-scheduler's DefaultPreemption, models/sim_train.c). Absent: true
     * on EKS, false on ECS (which has no preemption; true is refused). */
    bool preemption;
    bool preemption_given; /* the key was in the file (set by the loader) */
};

/* The small-model fleet's node group of a variant (when the workload has a
 * fleet): its own instance type and GPU sharing. */
enum scenario_launch { SCENARIO_LAUNCH_EC2 = 0, SCENARIO_LAUNCH_FARGATE = 1 };
/* Where the fleet's pods run: its own node group, or the LLM service's
 * (EKS: one NodePool or ASG for both; e.g. a MIG mixed layout). */
enum scenario_node_group { SCENARIO_GROUP_OWN = 0, SCENARIO_GROUP_SERVICE = 1 };
enum scenario_mig_strategy { SCENARIO_MIG_SINGLE = 0, SCENARIO_MIG_MIXED = 1 };

struct scenario_variant_fleet {
    int launch_type;        /* enum scenario_launch (ec2): fargate runs the models on CPU */
    double fargate_speed;   /* fargate: a task's speed relative to a V100 (0.03) [U] */
    char instance_type[48]; /* catalog type of the fleet's node group (required for ec2) */
    char instance_types[SCENARIO_MAX_TYPES][48]; /* as the variant's instance_types */
    unsigned ninstance_types;
    char placement[64];   /* placement policy (the variant's orchestrator default) */
    int sharing;          /* enum scenario_sharing (whole) */
    int replicas_per_gpu; /* TIMESLICE/MPS: R (4) */
    char mig_profile[32]; /* MIG: the profile a replica requests */
    int mig_strategy;     /* enum scenario_mig_strategy (single) */
    char mig_layouts[SCENARIO_MAX_MIG_LAYOUTS][64]; /* mixed: "4g.20gb,1g.5gb,..." per GPU */
    unsigned nmig_layouts;
    double mig_reconfigure_s[2]; /* repartition of an idle node (60, 180) [U] */
    int node_group;              /* enum scenario_node_group (own) */
    double timeslice_overhead;   /* (0.05) [U] */
    int min_nodes, max_nodes;    /* (0, 20) */
    struct scenario_scaling scaling;
    struct scenario_spot spot;
};

/* Rolling deployments of the LLM service (workload.inference.deploy_at_s). */
struct scenario_deployment {
    int min_healthy_pct;     /* ECS minimumHealthyPercent (100) */
    int max_pct;             /* ECS maximumPercent (200) */
    int max_surge_pct;       /* Kubernetes maxSurge, rounded up (25) */
    int max_unavailable_pct; /* Kubernetes maxUnavailable, rounded down (25) */
    /* EKS: a PodDisruptionBudget (maxUnavailable, pods) on each Deployment
     * (the LLM service and every fleet model) that evictions respect (-1:
     * none) */
    int pdb_max_unavailable;
};

struct scenario_variant {
    char name[64];      /* unique within the scenario; used in result tables */
    char placement[64]; /* placement policy name (registry of models/placement);
                           simulation default: "ecs-binpack-memory" (ECS) or
                           "k8s-default" (EKS) */
    unsigned nreference;
    double reference_alloc_pct[SCENARIO_MAX_REFERENCE][2]; /* published (arrived %, alloc %) */
    /* simulation kind */
    int orchestrator;       /* enum scenario_orchestrator */
    char instance_type[48]; /* catalog type of the node pool */
    /* EKS with Karpenter: the NodePool's instance types ([] = instance_type
     * alone; instance_type defaults to the first and must be one of them).
     * ECS and the Cluster Autoscaler take one type per node group. */
    char instance_types[SCENARIO_MAX_TYPES][48];
    unsigned ninstance_types;
    int sharing;          /* enum scenario_sharing */
    int replicas_per_gpu; /* TIMESLICE/MPS: R (2) */
    char mig_profile[32]; /* MIG: the profile a replica requests, e.g. "3g.40gb" */
    /* MIG strategy of the node group: single (every instance is mig_profile,
     * exposed as nvidia.com/gpu) or mixed (per-GPU layouts of several
     * profiles, exposed as nvidia.com/mig-<profile>): mig_layouts[0] is the
     * layout nodes boot with, the others are the layouts the MIG manager may
     * switch a node to when its GPUs are idle (repartitioning, taking
     * mig_reconfigure_s during which its GPUs take no pod). */
    int mig_strategy;
    char mig_layouts[SCENARIO_MAX_MIG_LAYOUTS][64];
    unsigned nmig_layouts;
    double mig_reconfigure_s[2];
    double timeslice_overhead; /* context-switch loss when k > 1 tenants share a GPU (0.05) [U] */
    int min_nodes, max_nodes;  /* node pool / ASG bounds (0, 50) */
    struct scenario_scaling scaling;
    struct scenario_capacity capacity;
    struct scenario_spot spot;
    struct scenario_variant_training training;
    struct scenario_variant_fleet fleet;
    struct scenario_deployment deployment;
};

/* The LLM inference service of a simulation. */
struct scenario_inference {
    int arrivals;                      /* enum scenario_arrivals */
    char trace_csv[SCENARIO_PATH_LEN]; /* azure_llm trace (arrivals and token mix) */
    double mean_rate_per_s;            /* azure_day/diurnal: daily mean rate */
    double amplitude;                  /* diurnal amplitude, 0..0.95 (0.5) */
    double peak_hour;                  /* hour of the daily peak (14) */
    double time_scale;                 /* replay: simulated s per trace s (1) */
    int concurrency;                   /* requests a replica serves at once (8) */
    double t_prefill_us, t_decode_us;  /* per token at speed 1 = V100 (140, 16800) */
    int64_t slo_us;                    /* latency SLO (10 s) */
    int64_t queue_timeout_us;          /* 0: none */
    double cpu;                        /* vCPU per replica (2) */
    double memory_gib;                 /* per replica (8) */
    int gpus;                          /* GPU units per replica (1) */
    double model_memory_gb;            /* GPU memory the model needs (16) */
    double image_pull_s[2];            /* uniform range, first pull on a node (300, 480) */
    double model_load_s[2];            /* uniform range, every start (60, 120) */
    int min_replicas, max_replicas, initial_replicas; /* (1, 50, 2) */
    int models;                /* fleet: independent copies (own traffic and replicas), 1..16 (1) */
    double deploy_at_s[8];     /* rolling deployments of a new image at these times */
    double start_failure_prob; /* a start attempt fails (crash before ready) (0) [U] */
    unsigned ndeploys;
};

/* One gang size of the training job stream, with its relative weight. */
struct scenario_gang {
    int gpus;
    double weight;
};

#define SCENARIO_MAX_GANGS 16

/* PriorityClass.preemptionPolicy of a priority class. */
enum scenario_preemption_policy {
    SCENARIO_PREEMPT_LOWER = 0, /* PreemptLowerPriority (the default) */
    SCENARIO_PREEMPT_NEVER = 1, /* Never: queued by priority, never preempts */
};

/* One priority class of the training jobs (a Kubernetes PriorityClass; on ECS
 * only the order in which pending jobs are started). */
struct scenario_priority {
    int value;             /* higher wins; distinct across the classes */
    double weight;         /* relative share of the jobs (1) */
    int preemption_policy; /* enum scenario_preemption_policy (PreemptLowerPriority) */
};

#define SCENARIO_MAX_PRIORITIES 8

/* A Poisson stream of gang-scheduled training jobs (models/workload/training). */
struct scenario_training {
    double rate_per_hour;                  /* job arrivals per hour (required) */
    char durations_csv[SCENARIO_PATH_LEN]; /* philly runtimes (scenarios/traces/philly-...) */
    double min_duration_s;                 /* drop shorter runtimes (60) */
    double max_duration_s;                 /* drop longer runtimes (0 = none) */
    double cap_duration_s;                 /* cap longer runtimes at this (0 = none) */
    struct scenario_gang gangs[SCENARIO_MAX_GANGS];
    unsigned ngangs;
    int64_t ckpt_interval_us;    /* progress between checkpoints (1800 s; 0 = never) */
    int64_t ckpt_cost_us;        /* wall time of a checkpoint write (0) */
    int64_t restart_overhead_us; /* start, init and checkpoint load (120 s) */
    double cpu_per_gpu;          /* vCPU per GPU of the gang (4) */
    double memory_gib_per_gpu;   /* GiB per GPU of the gang (32) */
    int max_jobs;                /* stop the stream after this many (0 = none) */
    int64_t arrivals_until_us;   /* no arrivals after this (0 = the whole run) */
    /* priority classes, each job draws one independently of its gang size
     * (none: every job has priority 0) */
    struct scenario_priority priorities[SCENARIO_MAX_PRIORITIES];
    unsigned npriorities;
};

/* Node lifecycle timings (MODELS.md section 6), uniform ranges in seconds. */
struct scenario_nodes {
    double boot_s[2];          /* request -> Ready (80, 120) */
    double device_plugin_s[2]; /* Ready -> GPUs advertised / agent registered (30, 90) */
    double fargate_start_s[2]; /* Fargate task provisioning before its image pull (30, 60) [U] */
};

struct scenario_cluster {
    char nodes_csv[SCENARIO_PATH_LEN]; /* packing, replay: openb node list */
    double node_fraction;              /* replay: keep this evenly spread share of the nodes (1) */
    struct scenario_nodes nodes;       /* simulation */
    char catalog[SCENARIO_PATH_LEN];   /* instance catalog (scenarios/catalog/aws-instances.json) */
};

struct scenario_workload {
    char pods_csv[SCENARIO_PATH_LEN]; /* packing: openb pod list; replay: openb or DLRM */
    double tune;                      /* packing: total GPU request / cluster GPU capacity */
    /* replay (models/replay.h) */
    int pods_format;                /* enum scenario_pods_format (openb_pod) */
    double time_scale;              /* simulated seconds per trace second (1) */
    int64_t start_us;               /* trace time at which the replay begins (0) */
    int max_pods;                   /* replay only the first N pods by arrival; 0 = all */
    int64_t pod_initial_backoff_us; /* kube-scheduler podInitialBackoffSeconds (1 s; 0 = none) */
    int64_t pod_max_backoff_us;     /* podMaxBackoffSeconds (10 s) */
    bool has_inference;             /* simulation: the "inference" object is present */
    struct scenario_inference inference;
    bool has_fleet;                  /* simulation: the "fleet" object is present */
    struct scenario_inference fleet; /* a fleet of small models, each one service */
    bool has_training;               /* simulation: the "training" object is present */
    struct scenario_training training;
};

/* Operations effort for the total cost of ownership (MODELS.md section 9). */
struct scenario_tco {
    double team_size;             /* engineers (4) [U] */
    double usd_per_engineer_year; /* loaded cost (200000) [U] */
    double fraction_ecs;          /* share of their time on cluster operations (0.035) */
    double fraction_eks;          /* (0.15) */
};

struct scenario {
    char file[SCENARIO_PATH_LEN]; /* the file it was loaded from */
    char name[64];                /* results go to results/<name>/ */
    char description[2048];
    int kind;             /* enum scenario_kind */
    int64_t seed;         /* base seed; replication r uses seed + r */
    int seeds;            /* number of replications */
    int on_malformed_row; /* enum scenario_rows: fail, or skip and count */
    int64_t duration_us;  /* simulation: simulated time (1 day); replay: 0 (the
                             default) = until the last deletion */
    int64_t interval_us;  /* simulation, replay: timeseries.csv interval (300 s) */
    struct scenario_tco tco;
    struct scenario_cluster cluster;
    struct scenario_workload workload;
    unsigned nvariants;
    struct scenario_variant variants[SCENARIO_MAX_VARIANTS];
    /* CI gate: limits `orchsim check` applies to the results, e.g.
     * "p99_latency_ms <= 800", "cost_usd <= baseline * 1.05" (sim/check.h). */
    unsigned nchecks;
    char checks[SCENARIO_MAX_CHECKS][256];
};

extern const char *const scenario_kind_names[];
extern const char *const scenario_pods_format_names[];
extern const char *const scenario_orchestrator_names[];
extern const char *const scenario_sharing_names[];
extern const char *const scenario_metric_names[];
extern const char *const scenario_spot_price_names[];
extern const char *const scenario_log_estimate_names[];
extern const char *const scenario_service_scaler_names[];
extern const char *const scenario_node_scaler_names[];
extern const char *const scenario_consolidation_names[];
extern const char *const scenario_ca_expander_names[];
extern const char *const scenario_launch_names[];
extern const char *const scenario_node_group_names[];
extern const char *const scenario_mig_strategy_names[];
extern const char *const scenario_ecs_policy_names[];
extern const char *const scenario_adjust_names[];
extern const char *const scenario_preemption_policy_names[];

/* Reads FILE, applies the `--set PATH=VALUE` overrides in order, and decodes
 * it into *sc. Every problem is added to d as one line (file, JSON path, what
 * was expected, a suggestion). Returns 0, or OS_EINVAL/OS_ENOENT/OS_EPARSE
 * with d->n > 0. */
int scenario_load(const char *file, const char *const *sets, size_t nsets, struct scenario *sc,
                  struct schema_diag *d);

/* The same from a JSON text held in memory (used by tests and the fuzzer). */
int scenario_load_text(const char *name, const char *text, size_t len, const char *const *sets,
                       size_t nsets, struct scenario *sc, struct schema_diag *d);

#endif
