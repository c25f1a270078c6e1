/*
 * keda.h - KEDA's ScaledObject as a pure controller: KEDA's own scale loop
 * (activation 0 <-> 1 and the cooldown to zero) plus the HPA that KEDA
 * creates for 1 <-> N, which is an hpa.h controller. It knows nothing about
 * the engine or the cluster; the orchestrator calls keda_step() on its ticks
 * with the trigger readings and the target's replica counts, and applies the
 * desired count it returns (MODELS.md section 4).
 *
 * Sources: kedacore/keda-docs content/docs/2.21 reference/scaledobject-spec.md
 * and scalers/aws-sqs.md; kedacore/keda pkg/scaling/executor/
 * scale_scaledobjects.go (RequestScale, scaleToZeroOrIdle,
 * scaleFromZeroOrIdle), pkg/scaling/scale_handler.go (the polling loop),
 * the scalers' GetMetricsAndActivity (activation is value > threshold) and
 * the generated HPA (minReplicas = max(minReplicaCount, 1), maxReplicas =
 * maxReplicaCount, one External metric per trigger, behavior from
 * advanced.horizontalPodAutoscalerConfig).
 *
 * Use:
 *     keda_cfg_defaults(&cfg);  cfg.triggers[0] = keda_trigger_sqs();  ...
 *     keda_init(&k, &cfg, created_us, &err);
 *     at keda_next_due_us(&k) (or on any tick):  d = keda_step(&k, now_us, &in);
 *     apply d.desired;  ...  keda_destroy(&k);
 *
 * One step at now_us:
 * 1. KEDA's poll, if due (every polling_interval_us, the first call at
 *    once). A trigger is active when its metric is above its activation
 *    threshold (strictly); the object is active when any trigger is; a
 *    trigger whose reading is invalid is an error. Then, as RequestScale:
 *    - active, and current == 0 (or idle mode and current < min): scale to
 *      max(min, 1) and remember now as the last active time (ACTIVATE);
 *    - active otherwise: remember now as the last active time, unless a
 *      trigger is in error (NO_CHANGE either way);
 *    - inactive with a trigger in error: no change (TRIGGER_ERROR; KEDA's
 *      fallback replicas are not modelled);
 *    - inactive, current > 0 and min == 0 (or idle mode and current > idle):
 *      scale to 0 (or idle) once last_active + cooldown <= now, or, if
 *      never active, created + initial_cooldown <= now (DEACTIVATE);
 *      before that COOLDOWN;
 *    - inactive and current < min (no idle mode): scale to min (TO_MIN).
 * 2. The HPA's sync, if due (every hpa.sync_period_us), on the count the
 *    poll left: it does nothing at 0 replicas (min >= 1) and otherwise
 *    scales between max(min, 1) and max on the External metrics, for the
 *    SQS scaler with target AverageValue = queueLength, i.e.
 *    ceil(messages / queueLength) outside the tolerance.
 *
 * The SQS scaler (aws-sqs-queue): messages = ApproximateNumberOfMessages
 * (visible) + ApproximateNumberOfMessagesNotVisible (in flight, unless
 * scale_on_in_flight is false) + ApproximateNumberOfMessagesDelayed (only
 * with scale_on_delayed); queueLength default 5, activationQueueLength
 * default 0, metric type AverageValue.
 *
 * Assumptions, named:
 * - [U] KEDA_COOLDOWN_INCLUSIVE: the code scales to zero when
 *   lastActiveTime + cooldown is Before(now). lastActiveTime is stored with
 *   one-second precision (truncated) and polls come a little after their
 *   nominal time, so in practice the poll exactly one cooldown after the
 *   last active poll already scales to zero; with an exact clock that is
 *   last_active + cooldown <= now. The same holds for the initial cooldown.
 * - [U] KEDA_POLL_FIRST: when KEDA's poll and the HPA's sync fall on the
 *   same instant, the poll runs first and the HPA reads the count it wrote.
 *   (In a cluster the two loops are not aligned.)
 * - The HPA reads the same trigger readings as the poll: KEDA's metrics
 *   server queries the scaler when the HPA asks (useCachedMetrics off).
 * - Not modelled: fallback, paused annotations, scalingModifiers,
 *   restoreToOriginalReplicaCount, ScaledJobs.
 *
 * Ownership: the caller owns struct keda; keda_init copies the config and
 * initialises the embedded HPA (one allocation, freed by keda_destroy).
 * keda_step allocates nothing.
 */
#ifndef ORCHSIM_KEDA_H
#define ORCHSIM_KEDA_H

#include <stdbool.h>
#include <stdint.h>

#include "models/autoscale/hpa.h"
#include "sim/os_err.h"

#define KEDA_TRIGGERS_MAX HPA_METRICS_MAX
#define KEDA_TIME_NONE    HPA_TIME_NONE

/* Which scaler a trigger uses. */
enum keda_scaler {
    KEDA_SCALER_SQS = 0,   /* aws-sqs-queue: the metric is a message count */
    KEDA_SCALER_VALUE = 1, /* any scaler whose metric the caller computes (value_milli) */
};

/* One entry of spec.triggers. */
struct keda_trigger {
    enum keda_scaler scaler;
    enum hpa_target metric_type; /* HPA_TARGET_AVERAGE_VALUE (default) or HPA_TARGET_VALUE */
    int64_t target_milli;        /* SQS: queueLength * 1000, default 5000; > 0 */
    int64_t activation_milli;    /* SQS: activationQueueLength * 1000, default 0; >= 0 */
    bool scale_on_in_flight;     /* SQS: count in-flight messages, default true */
    bool scale_on_delayed;       /* SQS: count delayed messages, default false */
};

/* The ScaledObject's spec and the cluster's HPA flags. Defaults from
 * keda_cfg_defaults(). */
struct keda_cfg {
    int64_t polling_interval_us; /* pollingInterval, 30 s; > 0 */
    int64_t cooldown_us;         /* cooldownPeriod, 300 s; >= 0 */
    int64_t initial_cooldown_us; /* initialCooldownPeriod, 0 s; >= 0 */
    int32_t min_replicas;        /* minReplicaCount, 0; >= 0 */
    int32_t max_replicas;        /* maxReplicaCount, 100; >= max(min, 1) */
    bool has_idle;               /* idleReplicaCount set, default false */
    int32_t idle_replicas;       /* idleReplicaCount, 0 <= idle < min */
    uint32_t ntriggers;          /* 1..KEDA_TRIGGERS_MAX; default 1 SQS trigger */
    struct keda_trigger triggers[KEDA_TRIGGERS_MAX];
    struct hpa_ctrl_cfg hpa;      /* kube-controller-manager's HPA flags (hpa_ctrl_defaults) */
    bool has_behavior;            /* advanced.horizontalPodAutoscalerConfig.behavior set */
    struct hpa_behavior behavior; /* pre-filled with hpa_behavior_defaults() */
};

/* One trigger's reading at a step. */
struct keda_trigger_input {
    bool valid;          /* false: the scaler returned an error */
    int64_t visible;     /* SQS: ApproximateNumberOfMessages */
    int64_t in_flight;   /* SQS: ApproximateNumberOfMessagesNotVisible */
    int64_t delayed;     /* SQS: ApproximateNumberOfMessagesDelayed */
    int64_t value_milli; /* KEDA_SCALER_VALUE: the metric, milli-units */
};

/* What a step reads. */
struct keda_input {
    int32_t spec_replicas;   /* the target's spec.replicas (>= 0) */
    int32_t status_replicas; /* its status.replicas; < 0: the count after KEDA's poll */
    int32_t pods_total;      /* pods of the target (Value metrics) */
    int32_t pods_ready;      /* of those, Running and Ready (Value metrics) */
    struct keda_trigger_input triggers[KEDA_TRIGGERS_MAX];
};

/* The controller. Fields are read-only for callers. */
struct keda {
    struct keda_cfg cfg;
    struct hpa hpa;         /* the HPA KEDA created (keda-hpa-<name>) */
    int64_t created_us;     /* the ScaledObject's creation time */
    int64_t last_poll_us;   /* KEDA_TIME_NONE before the first poll */
    int64_t last_active_us; /* status.lastActiveTime; KEDA_TIME_NONE if never active */
    bool active;            /* the Active condition after the last poll */
};

/* What KEDA's own loop did at a step. */
enum keda_reason {
    KEDA_NOT_POLLED = 0,    /* the poll was not due */
    KEDA_NO_CHANGE = 1,     /* polled; KEDA left the count alone */
    KEDA_ACTIVATE = 2,      /* 0 (or idle) -> max(min, 1) */
    KEDA_DEACTIVATE = 3,    /* -> 0 (or idle) after the cooldown */
    KEDA_COOLDOWN = 4,      /* inactive, waiting for the cooldown */
    KEDA_TO_MIN = 5,        /* inactive and below minReplicaCount: raised to it */
    KEDA_TRIGGER_ERROR = 6, /* inactive with a scaler error: no change */
};

struct keda_decision {
    int32_t previous;        /* in->spec_replicas */
    int32_t desired;         /* after the poll and the HPA sync */
    enum keda_reason reason; /* KEDA's poll */
    bool active;             /* the object's activity at the poll (false if not polled) */
    struct hpa_decision hpa; /* the HPA's sync (reason HPA_NOT_DUE if not due) */
};

/* Polling 30 s, cooldown 300 s, initial cooldown 0 s, min 0, max 100, no
 * idle count, one SQS trigger with its defaults, HPA flags
 * hpa_ctrl_defaults(), no behavior. */
void keda_cfg_defaults(struct keda_cfg *c);

/* An aws-sqs-queue trigger with its defaults: AverageValue, queueLength 5,
 * activationQueueLength 0, in-flight counted, delayed not. */
struct keda_trigger keda_trigger_sqs(void);

/* A trigger on a caller-computed metric: AverageValue target `target_milli`,
 * activation 0. */
struct keda_trigger keda_trigger_value(int64_t target_milli);

/* Checks a config. Returns 0 or OS_EINVAL with one line naming the field,
 * e.g. "triggers[0].target_milli: 0 must be > 0". */
int keda_cfg_validate(const struct keda_cfg *c, struct os_error *err);

/* Validates cfg and starts the controller for a ScaledObject created at
 * created_us: no poll yet, never active; builds the HPA. Returns 0,
 * OS_EINVAL or OS_ENOMEM. */
int keda_init(struct keda *k, const struct keda_cfg *cfg, int64_t created_us, struct os_error *err);

/* Frees the HPA's history and clears *k. */
void keda_destroy(struct keda *k);

/* Runs KEDA's poll and the HPA's sync at now_us, each only if due (see the
 * header comment), and returns what they decided. Never fails; a negative
 * replica count is read as 0. */
struct keda_decision keda_step(struct keda *k, int64_t now_us, const struct keda_input *in);

/* The earlier of the next poll and the next HPA sync; INT64_MIN before
 * the first step. */
int64_t keda_next_due_us(const struct keda *k);

/* The metric a trigger reports, in milli-units (SQS: messages * 1000). */
int64_t keda_trigger_metric_milli(const struct keda_trigger *t,
                                  const struct keda_trigger_input *in);

/* True when the trigger's reading is valid and above its activation threshold. */
bool keda_trigger_active(const struct keda_trigger *t, const struct keda_trigger_input *in);

/* "not_polled", "no_change", "activate", "deactivate", "cooldown", "to_min",
 * "trigger_error". */
const char *keda_reason_name(enum keda_reason r);

#endif
