/*
 * hpa.h - the Kubernetes HorizontalPodAutoscaler controller (autoscaling/v2)
 * as a pure controller: plain config, explicit state and one step function
 * driven by simulated time. It knows nothing about the engine or the cluster;
 * the orchestrator calls hpa_step() on its sync ticks with what the real
 * controller would read (the scale subresource and the metrics APIs) and
 * applies the desired replica count it returns (MODELS.md section 4).
 *
 * Sources: kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go
 * (reconcileAutoscaler, computeReplicasForMetrics, the two normalisation
 * paths, the scale-event bookkeeping), replica_calculator.go (the replica
 * formulas, groupPods), metrics/utilization.go (integer utilisation),
 * pkg/apis/autoscaling/v2/defaults.go (behavior defaults) and the HPA
 * documentation (kubernetes/website horizontal-pod-autoscale.md).
 *
 * Use:
 *     hpa_cfg_defaults(&cfg);  set spec.min/max, spec.metrics, maybe behavior;
 *     hpa_init(&h, &cfg, &err);
 *     on every sync tick:  d = hpa_step(&h, now_us, &in);  apply d.desired;
 *     hpa_destroy(&h);
 *
 * One sync (hpa_step), as reconcileAutoscaler does it:
 * 1. Not due (less than ctrl.sync_period_us since the last sync): nothing
 *    happens (HPA_NOT_DUE). The first call is always due.
 * 2. current = in->spec_replicas. The first sync records `current` as the
 *    initial recommendation (recordInitialRecommendation), so a new HPA does
 *    not scale down before the scale-down window has passed.
 * 3. current == 0 and min_replicas > 0: autoscaling is disabled
 *    (HPA_DISABLED). current > max: desired = max. current < min: desired =
 *    min. These two clamps skip the metrics and the stabilisation.
 * 4. Every metric proposes a replica count (below); invalid metrics are
 *    skipped. If no metric is valid, or some are invalid and the largest
 *    proposal is below current, nothing happens (HPA_METRICS_INVALID).
 *    Otherwise the proposal is the largest of the valid ones.
 * 5. Normalisation. spec.has_behavior == false reproduces the controller's
 *    path for spec.behavior == nil (normalizeDesiredReplicas): the proposal
 *    is raised to the largest recommendation of the last
 *    ctrl.downscale_window_us, then capped at max(2 * current, 4) and
 *    clamped to [min, max]. spec.has_behavior == true reproduces
 *    normalizeDesiredReplicasWithBehaviors: the stabilised recommendation
 *    is current raised to the smallest recommendation of the scale-up
 *    window and lowered to the largest of the scale-down window (each
 *    window includes the new proposal), then the scale-up (or scale-down)
 *    rate limit of the policies and the [min, max] clamp apply. With the
 *    default behavior and 15 s syncs the two paths give the same counts.
 * 6. If desired != current the change is recorded as a scale event (used by
 *    the policies of later syncs; behavior path only) and returned.
 *
 * Replica proposals per metric (replica_calculator.go). The tolerance test
 * is within(r) = (1 - tolerance_down) <= r <= (1 + tolerance_up), both 0.1
 * by default (--horizontal-pod-autoscaler-tolerance; per direction with
 * behavior.*.tolerance, the HPAConfigurableTolerance feature).
 * - Resource Utilization: utilisation = floor(100 * sum(usage) / sum(request))
 *   over the ready pods with metrics, an integer percent as in
 *   GetResourceUtilizationRatio; ratio = utilisation / target.
 * - Resource AverageValue and Pods AverageValue: average = floor(sum / n)
 *   milli-units over the ready pods with metrics; ratio = average / target.
 *   For these three, with no missing and no not-ready pods (or not-ready
 *   pods but ratio <= 1): within(ratio) -> current, else
 *   ceil(ratio * ready). Otherwise the missing pods are added at 0 % on a
 *   scale-up (ratio > 1) and at the target (Utilization: max(100 %, target)
 *   of their request) on a scale-down (ratio < 1), the not-ready pods at 0 %
 *   on a scale-up, the ratio is recomputed over all of them, and the result
 *   is current if the new ratio is within the tolerance or lies on the other
 *   side of 1 than the first ratio (the direction flipped), else
 *   ceil(new ratio * pods counted), unless that count moves against the
 *   ratio's direction (current again).
 * - Object Value and External Value: ratio = value / target; current == 0:
 *   ceil(ratio); within(ratio): current; else ceil(ratio * pods_ready). For
 *   External, value is the sum of all matching series.
 * - Object AverageValue and External AverageValue: with status replicas s,
 *   ratio = value / (target * s); within(ratio): s, else ceil(value / target).
 * Every count is capped at INT32_MAX.
 *
 * Behavior (autoscaling/v2 HPAScalingRules): policies Pods (add/remove
 * `value` pods) and Percent (ceil(start * (1 + value/100)) up,
 * trunc(start * (1 - value/100)) down), where start = current minus the
 * replicas added plus those removed by scale events younger than the
 * policy's period. select_policy Max takes the policy allowing the largest
 * change, Min the smallest, Disabled forbids changes in that direction.
 * Defaults (hpa_behavior_defaults): scale-up window 0 s, Max, Pods 4 / 15 s
 * and Percent 100 / 15 s; scale-down window unset (= ctrl.downscale_window_us,
 * 300 s), Max, Percent 100 / 15 s.
 *
 * Quantities are int64 milli-units, as Kubernetes' Quantity.MilliValue()
 * (CPU: millicores; 1 queue message = 1000). Times are int64 microseconds.
 *
 * Assumptions, named:
 * - [U] HPA_WINDOW_EXCLUSIVE: a recommendation or scale event made exactly
 *   one window (or policy period) before now lies outside it. The behavior
 *   path of the controller compares with After(cutoff), which gives this
 *   literally; the legacy path's Before(cutoff) would include it, but real
 *   syncs come slightly more than one period apart (the work queue re-adds
 *   the key after processing), so in practice it is outside there too.
 * - [U] HPA_SCALE_TO_ZERO: scaling to and from zero is not the HPA's job.
 *   min_replicas must be >= 1 unless spec.scale_to_zero is set, which stands
 *   for the alpha HPAScaleToZero feature gate (default off). With it and
 *   min_replicas == 0, a target at 0 replicas is evaluated, which only
 *   Object and External metrics can act on (Resource and Pods metrics have
 *   no pods and are invalid); scale-to-zero with KEDA goes through keda.h.
 * - [U] HPA_MISSING_FALLBACK_AGGREGATE: with a Utilization target above
 *   100 %, missing pods count as sum(request) * target / 100 instead of the
 *   controller's per-pod sum of request * target / 100 (truncated per pod);
 *   the two differ by less than one milli-unit per missing pod.
 * - Metric collection is the caller's: a metric the real controller could
 *   not fetch (metrics server down, no series) is given as valid = false.
 *
 * Ownership: the caller owns struct hpa. hpa_init copies the config and
 * allocates the recommendation and scale-event histories once, sized from
 * the windows, the policy periods and the sync period; hpa_destroy frees
 * them. hpa_step allocates nothing and is O(metrics + history length).
 */
#ifndef ORCHSIM_HPA_H
#define ORCHSIM_HPA_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/os_err.h"

#define HPA_US_PER_S      INT64_C(1000000)
#define HPA_METRICS_MAX   8                     /* metric specs per HPA (our capacity) */
#define HPA_POLICIES_MAX  8                     /* policies per direction (our capacity) */
#define HPA_WINDOW_MAX_US (3600 * HPA_US_PER_S) /* MaxStabilizationWindowSeconds */
#define HPA_PERIOD_MAX_US (1800 * HPA_US_PER_S) /* MaxPeriodSeconds of a policy */
#define HPA_UNSET         (-1)                  /* an optional window or tolerance */
#define HPA_TIME_NONE     INT64_MIN             /* an absent timestamp */
#define HPA_MILLI(x)      ((int64_t)(x)*1000)   /* whole units to milli-units */

/* --- config ------------------------------------------------------------------ */

/* Where a metric comes from (autoscaling/v2 MetricSourceType). */
enum hpa_source {
    HPA_SOURCE_RESOURCE = 0, /* a resource of the pods (cpu, memory), metrics.k8s.io */
    HPA_SOURCE_PODS = 1,     /* a per-pod custom metric, custom.metrics.k8s.io */
    HPA_SOURCE_OBJECT = 2,   /* a metric of one object (an Ingress, a queue CR) */
    HPA_SOURCE_EXTERNAL = 3, /* a metric outside the cluster, external.metrics.k8s.io */
};

/* What the target is (autoscaling/v2 MetricTargetType). Valid pairs:
 * Resource: UTILIZATION or AVERAGE_VALUE; Pods: AVERAGE_VALUE; Object and
 * External: VALUE or AVERAGE_VALUE. */
enum hpa_target {
    HPA_TARGET_UTILIZATION = 0,   /* percent of the pods' request */
    HPA_TARGET_AVERAGE_VALUE = 1, /* value per pod */
    HPA_TARGET_VALUE = 2,         /* total value */
};

/* The resource of a Resource metric. Only CPU has the start-up readiness
 * rules of hpa_pods_classify(); the others are labels for reports. */
enum hpa_resource {
    HPA_RESOURCE_CPU = 0,
    HPA_RESOURCE_MEMORY = 1,
    HPA_RESOURCE_OTHER = 2,
};

/* One entry of spec.metrics. */
struct hpa_metric_spec {
    enum hpa_source source;
    enum hpa_target target;
    enum hpa_resource resource; /* Resource metrics only; default CPU */
    int32_t target_utilization; /* UTILIZATION: percent, > 0 */
    int64_t target_milli;       /* AVERAGE_VALUE and VALUE: milli-units, > 0 */
};

enum hpa_policy_type {
    HPA_POLICY_PODS = 0,    /* change by `value` pods per period */
    HPA_POLICY_PERCENT = 1, /* change by `value` percent per period */
};

/* HPAScalingPolicy. */
struct hpa_policy {
    enum hpa_policy_type type;
    int32_t value;     /* > 0 */
    int64_t period_us; /* (0, 1800 s] */
};

/* selectPolicy. */
enum hpa_select {
    HPA_SELECT_MAX = 0,      /* the policy allowing the largest change (default) */
    HPA_SELECT_MIN = 1,      /* the policy allowing the smallest change */
    HPA_SELECT_DISABLED = 2, /* no change in this direction */
};

/* HPAScalingRules of one direction. */
struct hpa_rules {
    int64_t window_us; /* stabilizationWindowSeconds, [0, 3600 s]; HPA_UNSET: scale-up 0,
                          scale-down ctrl.downscale_window_us */
    enum hpa_select select;
    double tolerance;   /* HPAConfigurableTolerance, >= 0; HPA_UNSET: ctrl.tolerance */
    uint32_t npolicies; /* 1..HPA_POLICIES_MAX */
    struct hpa_policy policies[HPA_POLICIES_MAX];
};

/* spec.behavior. */
struct hpa_behavior {
    struct hpa_rules up;
    struct hpa_rules down;
};

/* kube-controller-manager flags shared by every HPA of a cluster. */
struct hpa_ctrl_cfg {
    int64_t sync_period_us;      /* --horizontal-pod-autoscaler-sync-period, 15 s; >= 1 s
                                    [U: our bound, keeps the histories small] */
    double tolerance;            /* --horizontal-pod-autoscaler-tolerance, 0.1 */
    int64_t downscale_window_us; /* --horizontal-pod-autoscaler-downscale-stabilization,
                                    300 s */
    int64_t cpu_init_period_us;  /* --horizontal-pod-autoscaler-cpu-initialization-period,
                                    5 min */
    int64_t readiness_delay_us;  /* --horizontal-pod-autoscaler-initial-readiness-delay,
                                    30 s */
};

/* The HorizontalPodAutoscaler object's spec. */
struct hpa_spec {
    int32_t min_replicas; /* >= 1 (0 with scale_to_zero), default 1 */
    int32_t max_replicas; /* >= max(min, 1), default 10 [U: the API has no default] */
    bool scale_to_zero;   /* the HPAScaleToZero feature gate, default false */
    uint32_t nmetrics;    /* 1..HPA_METRICS_MAX; default one: Resource cpu Utilization 80 % */
    struct hpa_metric_spec metrics[HPA_METRICS_MAX];
    bool has_behavior;            /* spec.behavior set; default false (the common case) */
    struct hpa_behavior behavior; /* used when has_behavior; hpa_behavior_defaults() */
};

struct hpa_cfg {
    struct hpa_ctrl_cfg ctrl;
    struct hpa_spec spec;
};

/* --- input ------------------------------------------------------------------- */

/* One metric's view of the target's pods after groupPods: the ready pods
 * with a sample, the pods not ready yet (pending, or in their CPU start-up
 * window), and the pods without a sample. Deleted and failed pods are in no
 * group. Requests matter for Utilization targets only. */
struct hpa_pods {
    uint32_t ready;              /* pods counted with their sample */
    int64_t ready_sum_milli;     /* sum of their samples */
    int64_t ready_request_milli; /* sum of their requests */
    uint32_t unready;
    int64_t unready_request_milli;
    uint32_t missing;
    int64_t missing_request_milli;
};

/* What the controller fetched for one metric spec (same index). */
struct hpa_metric_input {
    bool valid;           /* false: fetching failed; the metric proposes nothing */
    struct hpa_pods pods; /* Resource and Pods metrics */
    int64_t value_milli;  /* Object: the value; External: the sum of the series */
};

/* What one sync reads. */
struct hpa_input {
    int32_t spec_replicas;   /* scale.spec.replicas: the current desired count (>= 0) */
    int32_t status_replicas; /* scale.status.replicas (pods that exist); < 0: spec_replicas */
    int32_t pods_total;      /* pods matching the selector (Object/External Value) */
    int32_t pods_ready;      /* of those, Running and Ready (Object/External Value) */
    struct hpa_metric_input metrics[HPA_METRICS_MAX];
};

/* A pod as groupPods sees it, for hpa_pods_classify(). */
enum hpa_pod_phase {
    HPA_POD_PENDING = 0,
    HPA_POD_RUNNING = 1,
    HPA_POD_FAILED = 2,
};

struct hpa_pod {
    enum hpa_pod_phase phase;
    bool deleting;            /* deletionTimestamp set */
    bool ready;               /* the PodReady condition is True */
    int64_t start_us;         /* status.startTime; HPA_TIME_NONE if unset */
    int64_t ready_change_us;  /* lastTransitionTime of PodReady */
    bool has_sample;          /* the metrics API returned a sample for this pod */
    int64_t sample_milli;     /* the sample (usage for Resource metrics) */
    int64_t sample_time_us;   /* its timestamp (end of its window) */
    int64_t sample_window_us; /* its window */
    int64_t request_milli;    /* the pod's request of the metric's resource */
};

/* --- state and output -------------------------------------------------------- */

/* A recommendation (unstabilised proposal) and when it was made. */
struct hpa_rec {
    int64_t t_us;
    int32_t replicas;
};

/* A scale event: |change| replicas at t_us. */
struct hpa_event {
    int64_t t_us;
    int32_t change;
    bool outdated; /* older than the direction's longest policy period when last checked */
};

/* The controller. Fields are read-only for callers (reports may read them). */
struct hpa {
    struct hpa_cfg cfg;
    int64_t last_sync_us;  /* HPA_TIME_NONE before the first sync */
    bool recorded_initial; /* recordInitialRecommendation done */
    struct hpa_rec *recs;  /* recommendations, slice semantics as in the controller */
    uint32_t nrecs, cap_recs;
    struct hpa_event *ups; /* scale-up events */
    uint32_t nups, cap_ups;
    struct hpa_event *downs; /* scale-down events */
    uint32_t ndowns, cap_downs;
    int64_t last_scale_us; /* status.lastScaleTime; HPA_TIME_NONE if never */
    void *mem;             /* the one allocation behind recs, ups and downs */
};

enum hpa_reason {
    HPA_NOT_DUE = 0,   /* less than one sync period since the last sync */
    HPA_NO_CHANGE = 1, /* evaluated; desired == current */
    HPA_SCALE_UP = 2,
    HPA_SCALE_DOWN = 3,
    HPA_ABOVE_MAX = 4,       /* current > max_replicas: set to max */
    HPA_BELOW_MIN = 5,       /* current < min_replicas: set to min */
    HPA_DISABLED = 6,        /* current == 0 and min_replicas > 0 */
    HPA_METRICS_INVALID = 7, /* no usable proposal (see the header comment) */
};

/* The ScalingLimited condition's reason after normalisation. */
enum hpa_limit {
    HPA_LIMIT_NONE = 0,            /* DesiredWithinRange */
    HPA_LIMIT_SCALE_UP_RATE = 1,   /* ScaleUpLimit: the policies (or max(2c, 4)) capped it */
    HPA_LIMIT_TOO_MANY = 2,        /* TooManyReplicas: capped at max_replicas */
    HPA_LIMIT_SCALE_DOWN_RATE = 3, /* ScaleDownLimit */
    HPA_LIMIT_TOO_FEW = 4,         /* TooFewReplicas: raised to min_replicas */
};

/* What one sync decided. */
struct hpa_decision {
    int32_t previous; /* in->spec_replicas */
    int32_t desired;  /* the count to set (== previous unless scaling) */
    enum hpa_reason reason;
    int32_t proposal;                   /* largest metric proposal; -1 if none was computed */
    int32_t metric;                     /* index of the metric that made it; -1 if none */
    int32_t proposals[HPA_METRICS_MAX]; /* per metric; -1 when invalid or not computed */
    uint32_t invalid;                   /* number of invalid metrics */
    int32_t stabilized;                 /* after the stabilisation window; -1 if not reached */
    enum hpa_limit limit;
};

/* --- functions --------------------------------------------------------------- */

/* Controller flags: sync 15 s, tolerance 0.1, downscale window 300 s, CPU
 * initialisation period 5 min, initial readiness delay 30 s. */
void hpa_ctrl_defaults(struct hpa_ctrl_cfg *c);

/* The API's behavior defaults (see the header comment). */
void hpa_behavior_defaults(struct hpa_behavior *b);

/* Everything above: controller defaults, min 1, max 10, one metric
 * (Resource cpu Utilization 80 %, the API default), no behavior (and
 * spec.behavior pre-filled with hpa_behavior_defaults() for callers that
 * set has_behavior). */
void hpa_cfg_defaults(struct hpa_cfg *c);

/* Checks the controller flags. Returns 0 or OS_EINVAL with one line naming
 * the field. */
int hpa_ctrl_validate(const struct hpa_ctrl_cfg *c, struct os_error *err);

/* Checks one direction's rules; `what` names it in the message ("behavior.up"). */
int hpa_rules_validate(const struct hpa_rules *r, const char *what, struct os_error *err);

/* Checks a whole config. Returns 0 or OS_EINVAL with one line, e.g.
 * "spec.metrics[1].target_milli: 0 must be > 0". */
int hpa_cfg_validate(const struct hpa_cfg *c, struct os_error *err);

/* Validates cfg, copies it and allocates the histories. No sync has run.
 * Returns 0, OS_EINVAL or OS_ENOMEM (then *h holds nothing). */
int hpa_init(struct hpa *h, const struct hpa_cfg *cfg, struct os_error *err);

/* Frees the histories and clears *h. Safe on a cleared struct. */
void hpa_destroy(struct hpa *h);

/* Runs one sync at now_us if it is due (see the header comment) and returns
 * the decision. Never fails: a negative spec_replicas is read as 0, and a
 * metric whose input is unusable (no ready pods, a request sum <= 0 for a
 * Utilization target, a negative value) counts as invalid. */
struct hpa_decision hpa_step(struct hpa *h, int64_t now_us, const struct hpa_input *in);

/* The time of the next due sync; INT64_MIN (due at once) before the first sync. */
int64_t hpa_next_due_us(const struct hpa *h);

/* Groups pods as the controller's groupPods does, for one metric at now_us,
 * and sums them into *out: deleting and failed pods are dropped; pending
 * pods are not ready; pods without a sample are missing; for CPU (cpu ==
 * true) a pod within ctrl.cpu_init_period_us of its start is not ready if
 * its Ready condition is false or its sample's window began before it became
 * ready, and a later pod is not ready only if it is not Ready and never was
 * (its Ready condition last changed within ctrl.readiness_delay_us of its
 * start); every other pod with a sample is ready. */
void hpa_pods_classify(const struct hpa_ctrl_cfg *c, bool cpu, int64_t now_us,
                       const struct hpa_pod *pods, uint32_t npods, struct hpa_pods *out);

/* "not_due", "no_change", "scale_up", "scale_down", "above_max", "below_min",
 * "disabled", "metrics_invalid". */
const char *hpa_reason_name(enum hpa_reason r);

/* "none", "scale_up_rate", "too_many", "scale_down_rate", "too_few". */
const char *hpa_limit_name(enum hpa_limit l);

#endif
