/*
 * ecs_capacity.h - ECS capacity providers: cluster auto scaling (CAS, managed
 * scaling of one Auto Scaling group per capacity provider) as a pure
 * controller driven by simulated time, and capacity provider strategies
 * (base + weight split of a service's tasks over providers). It knows nothing
 * about the engine or the cluster model: every minute the orchestrator passes
 * the provider's instances and its PROVISIONING tasks and applies the
 * decision (instances to launch, instances to terminate). MODELS.md section 1,
 * "Capacity providers / CAS"; ECS:cluster-auto-scaling (managed scale-out and
 * scale-in behaviour), ECS APIReference API_ManagedScaling, the AWS blogs
 * "Deep dive on Amazon ECS cluster auto scaling" and "Faster scaling-in for
 * Amazon ECS cluster auto scaling".
 *
 * CapacityProviderReservation (ecs_capacity_reservation(), every minute):
 *   N = instances of the group that are not draining (launched instances count
 *       from their launch, also while they boot or warm up [U]);
 *   busy = those with >= 1 non-daemon task (daemon tasks do not count);
 *   M = instances needed:
 *   - no provisioning tasks: M = busy, so every empty instance pulls the
 *     value below 100;
 *   - provisioning tasks, grouped by identical (vCPU, memory, GPU) needs: a
 *     group whose need exceeds the SMALLEST type (per dimension: the smallest
 *     vCPU, memory and GPU count among the group's types [U]) is ignored; for
 *     every other group the binpack estimate on the LARGEST type (per
 *     dimension maximum [U]) is ceil(count / k), k = min over the needed
 *     dimensions of floor(capacity / need). extra = the maximum of the
 *     groups' estimates (a lower bound on the instances needed, so scaling
 *     proceeds in steps [U: our reading of the deep-dive blog]; SUM is
 *     selectable), and M = busy + extra;
 *   - provisioning tasks that are all ignored: the value stays 100 (doc:
 *     "cluster auto scaling stops and CapacityProviderReservation remains at
 *     100%");
 *   CPR = M / N * 100, except N = 0: 200 when M > 0 (the scale-out from zero
 *   always asks for two instances, aws/containers-roadmap#961, #1716), 100
 *   when M = 0. When M > N > 0 the published value is (N + step) / N * 100
 *   with step = max(minimumScalingStepSize, min(maximumScalingStepSize, M - N)).
 *   ENIs and host ports are not modelled.
 *
 * Managed scaling (ecs_capacity_step(), one call per minute):
 * - AlarmHigh: the last high_periods (1) values are all > targetCapacity
 *   (and M > 0 [U: an empty provider never scales out, the fix of
 *   aws/containers-roadmap#653]). AlarmLow: the last low_periods (15) values
 *   are all < targetCapacity (containers-roadmap#638; the threshold is the
 *   target itself [U], as in the doc's example where 2 empty instances give
 *   98 % and scale in). Both alarms act every minute while in ALARM; the
 *   datapoint is evaluated in the call that receives it (no CloudWatch
 *   ingestion delay [U]).
 * - Scale-out (AlarmHigh): blocked while any instance is inside its warm-up
 *   (now - launched < instanceWarmupPeriod, default 300 s). Otherwise the
 *   group's desired capacity becomes ceil(N * CPR / targetCapacity) [U: the
 *   generic target tracking rule], i.e. ceil((N + step) * 100 / target) with
 *   provisioning tasks and ceil(M * 100 / target) without; from N = 0 it is
 *   max(zero_scale_out (2), minimumScalingStepSize) [U]. With more than one
 *   instance type or availability zone the scale-out is exactly N +
 *   minimumScalingStepSize (API_ManagedScaling). Capped by the ASG maximum.
 * - Scale-in (AlarmLow, so after 15 minutes, then every minute while the
 *   alarm holds): desired = ceil(N * CPR / target) = ceil(M * 100 / target)
 *   (M = busy when nothing is provisioning), but one step removes at
 *   most scale_in_max_pct (50) % of N and at least 1 ("greater than one
 *   instance and less than 50 % each minute"; the 2022 step limit), and never
 *   goes below the ASG minimum. A scale-out datapoint breaks the low streak,
 *   so it aborts an ongoing scale-in, which then starts from the beginning.
 * - Which instances: with managed termination protection only instances
 *   without non-daemon tasks (and not user-protected, not warming up [U]) are
 *   terminated, the longest-running first [U: the ASG's termination policy
 *   ends in "oldest"]; fewer candidates than wanted terminate fewer. Without
 *   it the ASG picks the longest-running instances whatever they run [U]; with
 *   managed draining (default on, ECS:enable-managed-instance-draining) their
 *   tasks are drained first (decision.drain counts them).
 * - The ASG minimum is kept: fewer than asg_min instances launch the
 *   difference at once.
 *
 * Ownership: caller-owned state, init copies the config; nothing is
 * allocated. The decision's terminate[] buffer is the caller's.
 */
#ifndef ORCHSIM_ECS_CAPACITY_H
#define ORCHSIM_ECS_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/os_err.h"

#define ECS_CAPACITY_US_PER_S    INT64_C(1000000)
#define ECS_CAPACITY_MINUTE_US   (60 * ECS_CAPACITY_US_PER_S)
#define ECS_CAPACITY_TYPES_MAX   40     /* instance types in one ASG [U] */
#define ECS_CAPACITY_STEP_MAX    10000  /* scaling step sizes, API range 1..10000 */
#define ECS_CAPACITY_WARMUP_MAX  10000  /* instanceWarmupPeriod, seconds, API range 0..10000 */
#define ECS_CAPACITY_PERIODS_MAX 1440   /* alarm datapoints (one day of minutes) */
#define ECS_CAPACITY_ASG_MAX     100000 /* ASG maximum size limit [U] */

/* Resources of an instance type (what the agent registers) or needs of a task. */
struct ecs_capacity_shape {
    int32_t cpu_milli; /* milli-vCPU, >= 0 */
    int32_t mem_mib;   /* MiB, >= 0 */
    int32_t gpus;      /* whole GPUs, >= 0 */
};

/* How the per-group binpack estimates combine into `extra`. */
enum ecs_capacity_combine {
    ECS_CAPACITY_COMBINE_MAX = 0, /* the largest group estimate (lower bound) [U], default */
    ECS_CAPACITY_COMBINE_SUM = 1, /* the sum (no sharing of instances between groups) */
};

/* One capacity provider with its Auto Scaling group. Defaults from
 * ecs_capacity_cfg_defaults(). */
struct ecs_capacity_cfg {
    uint32_t ntypes; /* 1..ECS_CAPACITY_TYPES_MAX; default 0, must be set */
    struct ecs_capacity_shape types[ECS_CAPACITY_TYPES_MAX]; /* each > 0 in cpu and memory */
    uint32_t availability_zones;       /* AZs of the ASG, >= 1, default 1 [U] */
    int32_t asg_min;                   /* >= 0, default 0 */
    int32_t asg_max;                   /* >= asg_min, default 100 */
    bool managed_scaling;              /* default true; false: only asg_min is kept */
    int32_t target_capacity;           /* targetCapacity %, 1..100, default 100 */
    int32_t min_step;                  /* minimumScalingStepSize, 1..10000, default 1 */
    int32_t max_step;                  /* maximumScalingStepSize, min..10000, default 10000 */
    int64_t warmup_us;                 /* instanceWarmupPeriod, 0..10000 s, default 300 s */
    uint32_t high_periods;             /* AlarmHigh datapoints, default 1 */
    uint32_t low_periods;              /* AlarmLow datapoints, default 15 */
    int32_t zero_scale_out;            /* instances launched from N = 0, >= 1, default 2 */
    int32_t scale_in_max_pct;          /* largest share of N removed per step, 1..100, default 50 */
    enum ecs_capacity_combine combine; /* default MAX [U] */
    bool managed_termination_protection; /* default false (the API and console default) */
    bool managed_draining;               /* default true */
};

/* One instance of the group as the orchestrator sees it at the step. Every
 * launched, not yet terminated instance is listed, also while it boots. */
struct ecs_capacity_instance {
    int64_t launched_us; /* when the ASG launched it, <= now */
    uint32_t tasks;      /* non-daemon tasks placed on it (starting or running) */
    bool draining;       /* DRAINING or terminating: outside N, never chosen again */
    bool protect;        /* scale-in protection set by the user: never terminated */
};

/* PROVISIONING tasks of this provider with identical needs. */
struct ecs_capacity_group {
    struct ecs_capacity_shape need;
    uint32_t count;
};

struct ecs_capacity_input {
    const struct ecs_capacity_instance *instances;
    uint32_t ninstances;
    const struct ecs_capacity_group *groups; /* may be NULL when ngroups == 0 */
    uint32_t ngroups;
};

/* The CapacityProviderReservation calculation. */
struct ecs_capacity_cpr {
    uint32_t n;       /* instances not draining */
    uint32_t busy;    /* of them with >= 1 non-daemon task */
    uint32_t extra;   /* binpack estimate for the provisioning tasks */
    uint32_t m;       /* instances needed */
    uint32_t ignored; /* provisioning tasks that fit no smallest type */
    uint32_t step;    /* instances asked for beyond N (step-clamped), 0 unless M > N > 0 */
    uint32_t pub_m;   /* numerator of the published value: N + step when M > N > 0, else M */
    double cpr;       /* the published value, %: pub_m / n * 100, 200 or 100 when n = 0 */
    bool frozen;      /* every provisioning task was ignored: value held at 100, no scaling */
};

enum ecs_capacity_reason {
    ECS_CAPACITY_NONE = 0,
    ECS_CAPACITY_SCALE_OUT = 1, /* AlarmHigh: instances launched */
    ECS_CAPACITY_SCALE_IN = 2,  /* AlarmLow: instances terminated */
    ECS_CAPACITY_ASG_MIN = 3,   /* launched to reach the ASG minimum */
};

/* Why a wanted action was cut or not taken (bits of decision.blocked). */
enum ecs_capacity_block {
    ECS_CAPACITY_BLOCK_WARMUP = 1 << 0,    /* scale-out waits for instances to warm up */
    ECS_CAPACITY_BLOCK_AT_MAX = 1 << 1,    /* scale-out capped by asg_max */
    ECS_CAPACITY_BLOCK_AT_MIN = 1 << 2,    /* scale-in floored by asg_min */
    ECS_CAPACITY_BLOCK_PROTECTED = 1 << 3, /* fewer terminable instances than wanted */
    ECS_CAPACITY_BLOCK_BUFFER = 1 << 4,    /* terminate[] too small for the victims */
    ECS_CAPACITY_BLOCK_UNMANAGED = 1 << 5, /* managed scaling is off */
};

/* One step's outcome. The caller sets terminate and terminate_cap before the
 * call; the step fills the rest. */
struct ecs_capacity_decision {
    struct ecs_capacity_cpr cpr; /* this minute's datapoint */
    bool alarm_high, alarm_low;  /* alarm states after the datapoint */
    enum ecs_capacity_reason reason;
    uint32_t blocked;       /* enum ecs_capacity_block bits */
    int32_t desired;        /* the ASG's desired capacity after the step */
    uint32_t launch;        /* instances to launch now */
    uint32_t *terminate;    /* caller's buffer: indices into input.instances */
    uint32_t terminate_cap; /* its capacity (ninstances always suffices) */
    uint32_t nterminate;    /* entries filled, oldest launch first */
    uint32_t drain;         /* of them, how many still run tasks (drain first) */
};

/* The controller of one capacity provider. */
struct ecs_capacity {
    struct ecs_capacity_cfg cfg;
    struct ecs_capacity_shape smallest, largest; /* per-dimension min and max of the types */
    uint32_t high_streak, low_streak; /* consecutive datapoints above / below the target */
    int64_t last_us;                  /* time of the last step; INT64_MIN before the first */
    uint64_t scale_outs, scale_ins;   /* actions taken, for reports */
};

/* Defaults as documented on struct ecs_capacity_cfg (no instance types). */
void ecs_capacity_cfg_defaults(struct ecs_capacity_cfg *c);

/* Checks a config: OS_EINVAL with one line, e.g. "target_capacity: 0 out of [1, 100]". */
int ecs_capacity_cfg_validate(const struct ecs_capacity_cfg *c, struct os_error *err);

/* Validates cfg and starts the controller with both alarms at zero datapoints. */
int ecs_capacity_init(struct ecs_capacity *cp, const struct ecs_capacity_cfg *cfg,
                      struct os_error *err);

/* Holds no resources; clears *cp. */
void ecs_capacity_destroy(struct ecs_capacity *cp);

/* Computes the CapacityProviderReservation for cfg and the given instances
 * and provisioning tasks (a pure function; see the header comment). Returns 0,
 * or OS_EINVAL for a negative need. */
int ecs_capacity_reservation(const struct ecs_capacity_cfg *cfg,
                             const struct ecs_capacity_input *in, struct ecs_capacity_cpr *out,
                             struct os_error *err);

/* One minute of managed scaling at now_us (strictly after the previous
 * step): publishes the datapoint, updates the alarms and fills *d. Returns 0,
 * or OS_EINVAL for a time not after the previous step, an instance launched
 * after now_us, or a NULL terminate buffer with terminate_cap > 0. On error
 * the state is unchanged. */
int ecs_capacity_step(struct ecs_capacity *cp, int64_t now_us, const struct ecs_capacity_input *in,
                      struct ecs_capacity_decision *d, struct os_error *err);

/* Managed termination protection as ECS sets it: true when the provider uses
 * it and the instance runs a non-daemon task (or the user protected it). */
bool ecs_capacity_protected(const struct ecs_capacity_cfg *cfg,
                            const struct ecs_capacity_instance *inst);

/* Groups task needs into distinct shapes: adds each of the n needs to groups
 * (count += 1 for an equal shape, else a new group), keeping the order of
 * first appearance. groups[0..*ngroups) may hold groups already. Returns 0, or
 * OS_EFULL when more than cap distinct shapes are needed. O(n * groups). */
int ecs_capacity_group_tasks(const struct ecs_capacity_shape *needs, uint32_t n,
                             struct ecs_capacity_group *groups, uint32_t *ngroups, uint32_t cap,
                             struct os_error *err);

/* "none", "scale_out", "scale_in", "asg_min". */
const char *ecs_capacity_reason_name(enum ecs_capacity_reason r);

/* --- capacity provider strategy ---------------------------------------------- */

#define ECS_CAPACITY_STRATEGY_MAX 20     /* providers in a strategy */
#define ECS_CAPACITY_BASE_MAX     100000 /* base range 0..100000 */
#define ECS_CAPACITY_WEIGHT_MAX   1000   /* weight range 0..1000 */

struct ecs_capacity_strategy_item {
    int32_t provider; /* the caller's provider id; unique in the strategy */
    uint32_t base;    /* tasks this provider runs first; only one provider may have one */
    uint32_t weight;  /* share of the tasks beyond the base; 0 = none */
};

/*
 * A service's (or the cluster's default) capacity provider strategy
 * [ECS:cluster-capacity-providers]. The first `base` tasks go to the provider
 * with the base; the rest are split in proportion to the weights. The split's
 * rounding is undocumented: orchsim uses the largest-remainder method [U]:
 * every provider first gets floor(rest * weight / total_weight), and the
 * tasks left go one each to the largest remainders (rest * weight mod
 * total_weight), ties to the provider listed first. A single provider with
 * weight 0 takes all tasks beyond its base [U].
 */
struct ecs_capacity_strategy {
    uint32_t n;
    struct ecs_capacity_strategy_item items[ECS_CAPACITY_STRATEGY_MAX];
};

/* Checks the strategy: 1..20 providers, no provider twice, base <= 100000 on
 * at most one provider, weights <= 1000, and with two or more providers at
 * least one weight > 0. OS_EINVAL with one line, e.g. "capacity provider
 * strategy: base is set on providers 3 and 5; only one provider may have a
 * base". */
int ecs_capacity_strategy_validate(const struct ecs_capacity_strategy *s, struct os_error *err);

/* Splits `total` tasks: counts[i] for items[i] (n entries). Returns 0, or the
 * validation error. */
int ecs_capacity_strategy_split(const struct ecs_capacity_strategy *s, uint32_t total,
                                uint32_t *counts, struct os_error *err);

/* Index of the item whose provider gets the next task, given the current
 * per-item task counts: the one furthest below its share of split(total + 1)
 * (ties to the first listed). The strategy must be valid. */
uint32_t ecs_capacity_strategy_pick(const struct ecs_capacity_strategy *s, const uint32_t *current);

/* Index of the item from which the next task is removed on scale-in: the one
 * furthest above its share of split(total - 1) (ties to the first listed).
 * The strategy must be valid and the current total >= 1. */
uint32_t ecs_capacity_strategy_pick_remove(const struct ecs_capacity_strategy *s,
                                           const uint32_t *current);

#endif
