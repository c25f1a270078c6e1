/*
 * ecs_service.h - ECS Service Auto Scaling (Application Auto Scaling on the
 * scalable dimension ecs:service:DesiredCount) as a pure controller: plain
 * config, explicit state, and two step functions driven by simulated time.
 * It knows nothing about the engine, the cluster or the workload; the
 * orchestrator feeds it one metric datapoint per policy per minute and asks it
 * for the service's desired count (MODELS.md section 1, "Service Auto
 * Scaling").
 *
 * Use:
 *     ecs_service_cfg_defaults(&cfg);  add policies; set min/max;
 *     ecs_service_init(&svc, &cfg, initial_desired, &err);
 *     every minute, for each policy p:  ecs_service_observe(&svc, p, now, value, &err);
 *     then:  ecs_service_evaluate(&svc, now, running_count, &decision);
 *
 * Alarms. Every policy owns CloudWatch alarms over its metric's 1-minute
 * datapoints. An alarm is in ALARM when at least M of its last N datapoints
 * breach (M-of-N; N <= 64). CloudWatch invokes an Auto Scaling action once per
 * period for as long as the alarm stays in ALARM (CloudWatch alarm actions doc),
 * so evaluate() reconsiders every policy whose alarm is in ALARM each time new
 * datapoints arrived; it does nothing when no policy received a datapoint since
 * the previous evaluate(), so calling it more often than once a minute is
 * harmless. Datapoints are counted in arrival order: a minute without a
 * datapoint neither breaches nor resets an alarm [U: treatMissingData=missing].
 *
 * Target tracking (ECS:service-autoscaling-targettracking, App Auto Scaling
 * "target-tracking-scaling-policy-overview"):
 * - AlarmHigh: the last high_periods (default 3, hashicorp/terraform-provider-aws
 *   #42553) datapoints are all > target.
 * - AlarmLow: the last low_periods (default 15 [U]) datapoints are all
 *   < target * (1 - scale_in_margin) (default margin 0.10 [U]: "well below").
 * - The proposal is desired = ceil(running * metric / target), where running
 *   is the RUNNING task count (not the desired count) and metric is the
 *   policy's latest datapoint; with running = 0 the base is 1 [U: scale from
 *   zero, for backlog-per-task style metrics]. A ceil guards against
 *   floating-point noise of 1e-9 [U]. A scale-in proposal uses the same
 *   formula [U: App Auto Scaling does not document the scale-in amount].
 * - disable_scale_in: the policy never proposes a scale-in and takes no part
 *   in the all-policies-agree rule.
 *
 * Step scaling (App Auto Scaling StepScalingPolicyConfiguration, StepAdjustment):
 * - One alarm: metric <cmp> threshold, datapoints_to_alarm of
 *   evaluation_periods. When it is in ALARM, the latest datapoint's breach
 *   b = metric - threshold selects the step with lower <= b < upper for a
 *   GT/GE alarm and lower < b <= upper for an LT/LE alarm (the API's examples;
 *   a missing bound is infinite). No step matching: no proposal.
 * - The step's adjustment applies to the current capacity C (the service's
 *   desired count): ChangeInCapacity C + a; ExactCapacity a;
 *   PercentChangeInCapacity C + r where r = C * a / 100 rounded toward zero
 *   when |r| > 1 and to +-1 when 0 < |r| < 1 [U: the EC2 Auto Scaling rounding
 *   rule; App Auto Scaling does not document one], then raised to
 *   min_adjustment_magnitude in magnitude when it is smaller.
 * - One cooldown (default 300 s) per policy, used as its scale-out and its
 *   scale-in cooldown.
 *
 * Cooldowns and combination (App Auto Scaling cooldown docs):
 * - Scale-out cooldown: after a scale-out at t, a policy whose scale-out
 *   cooldown has not run out since t may only make a LARGER scale-out: the
 *   capacity added by the scale-out that opened the cooldown counts as part of
 *   the next one. Concretely, inside the cooldown a step policy applies its
 *   adjustment to the capacity before that initiating scale-out (out_base),
 *   and any proposal must exceed the desired count set by the last scale-out
 *   (out_desired) and the current desired count. A scale-out inside the
 *   cooldown restarts it but keeps out_base [U].
 * - Scale-in cooldown: after a scale-in at t, a policy proposes no scale-in
 *   until its scale-in cooldown has run out since t. A scale-out cancels the
 *   scale-in cooldown at once.
 * - Several policies: scale out if ANY policy proposes a scale-out (the
 *   largest proposal wins); otherwise scale in only if ALL target tracking
 *   policies with scale-in enabled propose a scale-in, to the largest of their
 *   proposals (the least reduction). A step policy in ALARM proposing a
 *   scale-in acts on its own alarm [U], and combines with the target tracking
 *   result by taking the larger (more conservative) count [U].
 * - Every result is clamped to [min_capacity, max_capacity] (min 0 allowed).
 *   When the current desired count lies outside the range, evaluate() first
 *   moves it inside (reason CLAMP), as App Auto Scaling does when a scalable
 *   target is registered.
 *
 * Ownership: the caller owns struct ecs_service; init copies the config, so
 * the caller's cfg may be freed afterwards. Nothing is allocated; observe()
 * and evaluate() are O(policies + steps).
 */
#ifndef ORCHSIM_ECS_SERVICE_H
#define ORCHSIM_ECS_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/os_err.h"

#define ECS_SERVICE_US_PER_S     INT64_C(1000000)
#define ECS_SERVICE_MINUTE_US    (60 * ECS_SERVICE_US_PER_S)
#define ECS_SERVICE_POLICIES_MAX 16     /* scaling policies per service */
#define ECS_SERVICE_STEPS_MAX    20     /* step adjustments per policy (App Auto Scaling quota) */
#define ECS_SERVICE_PERIODS_MAX  64     /* alarm evaluation periods (bit history) */
#define ECS_SERVICE_CAPACITY_MAX 100000 /* upper limit of max_capacity [U] */

/* What a policy's metric is. The formulas do not depend on it (every metric
 * is an average per task or per target); it names the metric in reports. */
enum ecs_service_metric {
    ECS_SERVICE_METRIC_CPU = 0,     /* ECSServiceAverageCPUUtilization, % */
    ECS_SERVICE_METRIC_MEMORY = 1,  /* ECSServiceAverageMemoryUtilization, % */
    ECS_SERVICE_METRIC_GPU = 2,     /* average GPU utilisation of the tasks, % (custom) */
    ECS_SERVICE_METRIC_ALB_REQ = 3, /* ALBRequestCountPerTarget, requests/min/target */
    ECS_SERVICE_METRIC_CUSTOM = 4,  /* e.g. queue backlog per task */
};

enum ecs_service_policy_kind {
    ECS_SERVICE_TARGET_TRACKING = 0,
    ECS_SERVICE_STEP_SCALING = 1,
};

/* Step scaling: how a step's adjustment is read. */
enum ecs_service_adjust {
    ECS_SERVICE_CHANGE_IN_CAPACITY = 0,
    ECS_SERVICE_PERCENT_CHANGE_IN_CAPACITY = 1,
    ECS_SERVICE_EXACT_CAPACITY = 2,
};

/* Comparison of a step scaling alarm: metric <cmp> threshold breaches. */
enum ecs_service_cmp {
    ECS_SERVICE_GE = 0,
    ECS_SERVICE_GT = 1,
    ECS_SERVICE_LE = 2,
    ECS_SERVICE_LT = 3,
};

/* Target tracking parameters. Defaults from ecs_service_policy_tt(). */
struct ecs_service_tt_cfg {
    double target;                 /* target value of the metric, > 0 */
    int64_t scale_out_cooldown_us; /* default 300 s (CDK aws_applicationautoscaling, ECS) */
    int64_t scale_in_cooldown_us;  /* default 300 s */
    bool disable_scale_in;         /* default false */
    uint32_t high_periods;         /* AlarmHigh datapoints, 1..64, default 3 */
    uint32_t low_periods;          /* AlarmLow datapoints, 1..64, default 15 [U] */
    double scale_in_margin;        /* AlarmLow below target*(1-margin), [0,1), default 0.10 [U] */
};

/* One step adjustment: applies when the breach (metric - threshold) lies
 * between lower and upper (see the header comment for which end is
 * inclusive). A bound that is absent is -infinity / +infinity. */
struct ecs_service_step {
    bool has_lower;
    double lower;
    bool has_upper;
    double upper;
    int32_t adjustment; /* tasks, percent or exact count by adjust type */
};

/* Step scaling parameters. Defaults from ecs_service_policy_step(). */
struct ecs_service_step_cfg {
    double threshold;                 /* the alarm's threshold */
    enum ecs_service_cmp cmp;         /* default GE */
    uint32_t evaluation_periods;      /* N, 1..64, default 1 */
    uint32_t datapoints_to_alarm;     /* M, 1..N; 0 = N (default) */
    enum ecs_service_adjust adjust;   /* default CHANGE_IN_CAPACITY */
    int32_t min_adjustment_magnitude; /* PercentChangeInCapacity only, >= 0, default 0 */
    int64_t cooldown_us;              /* default 300 s (App Auto Scaling API default) */
    uint32_t nsteps;                  /* 1..ECS_SERVICE_STEPS_MAX */
    /* Sorted by bounds, contiguous: steps[i].upper == steps[i+1].lower; only
     * the first may lack a lower bound and only the last an upper bound; a
     * negative lower bound needs a first step without one, and a positive
     * upper bound a last step without one (the API's rules). */
    struct ecs_service_step steps[ECS_SERVICE_STEPS_MAX];
};

struct ecs_service_policy {
    enum ecs_service_policy_kind kind;
    enum ecs_service_metric metric;
    union {
        struct ecs_service_tt_cfg tt;     /* kind == TARGET_TRACKING */
        struct ecs_service_step_cfg step; /* kind == STEP_SCALING */
    } u;
};

/* The scalable target and its policies. Defaults from ecs_service_cfg_defaults(). */
struct ecs_service_cfg {
    int32_t min_capacity; /* >= 0, default 1 */
    int32_t max_capacity; /* >= min, <= ECS_SERVICE_CAPACITY_MAX, default 10 */
    uint32_t npolicies;   /* 0..ECS_SERVICE_POLICIES_MAX; 0 = never scales */
    struct ecs_service_policy policies[ECS_SERVICE_POLICIES_MAX];
};

/* Alarm and datapoint state of one policy. */
struct ecs_service_policy_state {
    uint64_t hist_high; /* bit i: datapoint i back breached AlarmHigh (TT) or the alarm (step) */
    uint64_t hist_low;  /* bit i: datapoint i back breached AlarmLow (TT only) */
    double last_value;  /* the latest datapoint */
    int64_t last_us;    /* its time; INT64_MIN before the first */
    uint64_t ndata;     /* datapoints observed */
};

/* The controller. Fields are read-only for callers (reports may read them). */
struct ecs_service {
    struct ecs_service_cfg cfg;
    struct ecs_service_policy_state pol[ECS_SERVICE_POLICIES_MAX];
    int32_t desired;     /* the service's desired count as last set */
    int64_t last_out_us; /* last scale-out; INT64_MIN = none */
    int64_t last_in_us;  /* last scale-in; INT64_MIN = none or cancelled by a scale-out */
    int32_t out_base;    /* desired count before the scale-out that opened the cooldown */
    int32_t out_desired; /* desired count set by the last scale-out */
    uint64_t data_seen;  /* total datapoints observed, over all policies */
    uint64_t data_used;  /* data_seen at the last evaluate() that looked at alarms */
};

enum ecs_service_reason {
    ECS_SERVICE_NONE = 0,      /* desired count unchanged */
    ECS_SERVICE_SCALE_OUT = 1, /* a policy raised it */
    ECS_SERVICE_SCALE_IN = 2,  /* the policies lowered it */
    ECS_SERVICE_CLAMP = 3,     /* it was outside [min, max] and was moved inside */
};

/* Why a proposal was not applied (bit set in ecs_service_decision.blocked). */
enum ecs_service_block {
    ECS_SERVICE_BLOCK_OUT_COOLDOWN = 1 << 0, /* scale-out not larger than the last one */
    ECS_SERVICE_BLOCK_IN_COOLDOWN = 1 << 1,  /* a scale-in proposal fell in its cooldown */
    ECS_SERVICE_BLOCK_NOT_ALL_IN = 1 << 2,   /* some TT policy did not agree to scale in */
    ECS_SERVICE_BLOCK_AT_MAX = 1 << 3,       /* scale-out capped by max_capacity */
    ECS_SERVICE_BLOCK_AT_MIN = 1 << 4,       /* scale-in floored by min_capacity */
    ECS_SERVICE_BLOCK_NO_DATA = 1 << 5,      /* no datapoint arrived since the last evaluate */
};

/* What evaluate() decided. */
struct ecs_service_decision {
    int32_t previous; /* desired count before */
    int32_t desired;  /* desired count after (== previous when reason is NONE) */
    enum ecs_service_reason reason;
    int32_t policy;   /* index of the policy whose proposal was applied; -1 none */
    uint32_t blocked; /* enum ecs_service_block bits, for diagnostics */
};

/* Defaults: min 1, max 10, no policies. */
void ecs_service_cfg_defaults(struct ecs_service_cfg *c);

/* Fills *p as a target tracking policy on `metric` with `target` and the
 * defaults above (cooldowns 300 s, AlarmHigh 3, AlarmLow 15, margin 0.10). */
void ecs_service_policy_tt(struct ecs_service_policy *p, enum ecs_service_metric metric,
                           double target);

/* Fills *p as a step scaling policy on `metric` with alarm `cmp threshold`,
 * adjustment type `adjust`, 1 of 1 evaluation periods, cooldown 300 s and no
 * steps (add them with ecs_service_step_add()). */
void ecs_service_policy_step(struct ecs_service_policy *p, enum ecs_service_metric metric,
                             enum ecs_service_cmp cmp, double threshold,
                             enum ecs_service_adjust adjust);

/* Appends a step to a step scaling policy. Returns 0, or OS_EINVAL when *p is
 * not a step policy, OS_EFULL when it has ECS_SERVICE_STEPS_MAX steps. */
int ecs_service_step_add(struct ecs_service_policy *p, bool has_lower, double lower, bool has_upper,
                         double upper, int32_t adjustment, struct os_error *err);

/* Checks a config. Returns 0 or OS_EINVAL with one line naming the field,
 * e.g. "policies[1].target: 0 must be > 0". */
int ecs_service_cfg_validate(const struct ecs_service_cfg *c, struct os_error *err);

/* Validates cfg and starts the controller with the service's current desired
 * count (>= 0; it may lie outside [min, max], see evaluate()). No alarm is in
 * ALARM and no cooldown is running. */
int ecs_service_init(struct ecs_service *s, const struct ecs_service_cfg *cfg, int32_t desired,
                     struct os_error *err);

/* Holds no resources; clears *s. */
void ecs_service_destroy(struct ecs_service *s);

/* Records policy `policy`'s datapoint `value` for the minute ending at now_us.
 * Returns OS_EINVAL for a bad policy index, a non-finite value, or a time not
 * after the policy's previous datapoint. */
int ecs_service_observe(struct ecs_service *s, uint32_t policy, int64_t now_us, double value,
                        struct os_error *err);

/* Decides the desired count at now_us from the alarms' states, the latest
 * datapoints, `running` (tasks in RUNNING state, >= 0; negative is read as
 * 0) and the cooldowns; updates the state and fills *d. Never fails. */
void ecs_service_evaluate(struct ecs_service *s, int64_t now_us, int32_t running,
                          struct ecs_service_decision *d);

/* Sets the desired count from outside (a deployment, an operator). It is
 * clamped to [min, max] at the next evaluate(). Cooldowns are unchanged. */
void ecs_service_set_desired(struct ecs_service *s, int32_t desired);

/* Alarm states of a policy after the latest datapoint, for reports and tests. */
bool ecs_service_alarm_high(const struct ecs_service *s, uint32_t policy);
bool ecs_service_alarm_low(const struct ecs_service *s, uint32_t policy);

/* "none", "scale_out", "scale_in", "clamp". */
const char *ecs_service_reason_name(enum ecs_service_reason r);

#endif
