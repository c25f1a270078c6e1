/*
 * hpa.c - the HorizontalPodAutoscaler controller (see hpa.h for the model,
 * its sources and its assumptions).
 *
 * The file follows the controller's own structure so that each piece can be
 * checked against the Go source: the replica calculator (one function per
 * metric family), computeReplicasForMetrics (the max over metrics and the
 * invalid-metric rule), the two normalisation paths, and the scale-event
 * store. The recommendation and event histories keep the controller's slice
 * semantics (an entry older than every window is overwritten by the next
 * one, otherwise the slice grows) in arrays whose capacity hpa_init derives
 * from the windows and the sync period; since syncs are at least one period
 * apart, the arrays never fill (a defensive fallback overwrites the oldest
 * entry if they ever did).
 */
#include "models/autoscale/hpa.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HPA_DEFAULT_SYNC_US        (15 * HPA_US_PER_S)
#define HPA_DEFAULT_DOWN_WINDOW_US (300 * HPA_US_PER_S)
#define HPA_DEFAULT_CPU_INIT_US    (300 * HPA_US_PER_S)
#define HPA_DEFAULT_READY_DELAY_US (30 * HPA_US_PER_S)
#define HPA_DEFAULT_TOLERANCE      0.1
#define HPA_DEFAULT_CPU_TARGET     80 /* autoscaling.DefaultCPUUtilization */
#define HPA_MIN_SYNC_US            HPA_US_PER_S

/* The tolerance band of one HPA: within(r) = 1 - down <= r <= 1 + up. */
struct hpa_tol {
    double down;
    double up;
};

/* --- defaults and validation ------------------------------------------------- */

void hpa_ctrl_defaults(struct hpa_ctrl_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->sync_period_us = HPA_DEFAULT_SYNC_US;
    c->tolerance = HPA_DEFAULT_TOLERANCE;
    c->downscale_window_us = HPA_DEFAULT_DOWN_WINDOW_US;
    c->cpu_init_period_us = HPA_DEFAULT_CPU_INIT_US;
    c->readiness_delay_us = HPA_DEFAULT_READY_DELAY_US;
}

void hpa_behavior_defaults(struct hpa_behavior *b)
{
    memset(b, 0, sizeof(*b));
    /* defaultHPAScaleUpRules: window 0, Max, Pods 4 / 15 s, Percent 100 / 15 s. */
    b->up.window_us = 0;
    b->up.select = HPA_SELECT_MAX;
    b->up.tolerance = HPA_UNSET;
    b->up.npolicies = 2;
    b->up.policies[0] = (struct hpa_policy){HPA_POLICY_PODS, 4, 15 * HPA_US_PER_S};
    b->up.policies[1] = (struct hpa_policy){HPA_POLICY_PERCENT, 100, 15 * HPA_US_PER_S};
    /* defaultHPAScaleDownRules: window nil (the controller flag), Max, Percent 100 / 15 s. */
    b->down.window_us = HPA_UNSET;
    b->down.select = HPA_SELECT_MAX;
    b->down.tolerance = HPA_UNSET;
    b->down.npolicies = 1;
    b->down.policies[0] = (struct hpa_policy){HPA_POLICY_PERCENT, 100, 15 * HPA_US_PER_S};
}

void hpa_cfg_defaults(struct hpa_cfg *c)
{
    memset(c, 0, sizeof(*c));
    hpa_ctrl_defaults(&c->ctrl);
    c->spec.min_replicas = 1;
    c->spec.max_replicas = 10;
    c->spec.scale_to_zero = false;
    c->spec.nmetrics = 1;
    c->spec.metrics[0] = (struct hpa_metric_spec){
        .source = HPA_SOURCE_RESOURCE,
        .target = HPA_TARGET_UTILIZATION,
        .resource = HPA_RESOURCE_CPU,
        .target_utilization = HPA_DEFAULT_CPU_TARGET,
        .target_milli = 0,
    };
    c->spec.has_behavior = false;
    hpa_behavior_defaults(&c->spec.behavior);
}

int hpa_ctrl_validate(const struct hpa_ctrl_cfg *c, struct os_error *err)
{
    if (c->sync_period_us < HPA_MIN_SYNC_US)
        return os_errorf(err, OS_EINVAL, "ctrl.sync_period_us: %lld must be >= 1 s (%lld us)",
                         (long long)c->sync_period_us, (long long)HPA_MIN_SYNC_US);
    if (!isfinite(c->tolerance) || c->tolerance < 0)
        return os_errorf(err, OS_EINVAL, "ctrl.tolerance: %g must be finite and >= 0",
                         c->tolerance);
    if (c->downscale_window_us < 0 || c->downscale_window_us > HPA_WINDOW_MAX_US)
        return os_errorf(err, OS_EINVAL, "ctrl.downscale_window_us: %lld out of [0, 3600 s]",
                         (long long)c->downscale_window_us);
    if (c->cpu_init_period_us < 0)
        return os_errorf(err, OS_EINVAL, "ctrl.cpu_init_period_us: %lld must be >= 0",
                         (long long)c->cpu_init_period_us);
    if (c->readiness_delay_us < 0)
        return os_errorf(err, OS_EINVAL, "ctrl.readiness_delay_us: %lld must be >= 0",
                         (long long)c->readiness_delay_us);
    return 0;
}

int hpa_rules_validate(const struct hpa_rules *r, const char *what, struct os_error *err)
{
    if (r->window_us != HPA_UNSET && (r->window_us < 0 || r->window_us > HPA_WINDOW_MAX_US))
        return os_errorf(err, OS_EINVAL, "%s.window_us: %lld out of [0, 3600 s]", what,
                         (long long)r->window_us);
    if (r->select != HPA_SELECT_MAX && r->select != HPA_SELECT_MIN &&
        r->select != HPA_SELECT_DISABLED)
        return os_errorf(err, OS_EINVAL, "%s.select: unknown select policy %d", what,
                         (int)r->select);
    if (r->tolerance != HPA_UNSET && (!isfinite(r->tolerance) || r->tolerance < 0))
        return os_errorf(err, OS_EINVAL, "%s.tolerance: %g must be finite and >= 0", what,
                         r->tolerance);
    if (r->npolicies < 1 || r->npolicies > HPA_POLICIES_MAX)
        return os_errorf(err, OS_EINVAL, "%s.policies: %u policies, need 1..%d", what, r->npolicies,
                         HPA_POLICIES_MAX);
    for (uint32_t i = 0; i < r->npolicies; i++) {
        const struct hpa_policy *p = &r->policies[i];
        if (p->type != HPA_POLICY_PODS && p->type != HPA_POLICY_PERCENT)
            return os_errorf(err, OS_EINVAL, "%s.policies[%u].type: unknown policy type %d", what,
                             i, (int)p->type);
        if (p->value <= 0)
            return os_errorf(err, OS_EINVAL, "%s.policies[%u].value: %d must be > 0", what, i,
                             p->value);
        if (p->period_us <= 0 || p->period_us > HPA_PERIOD_MAX_US)
            return os_errorf(err, OS_EINVAL, "%s.policies[%u].period_us: %lld out of (0, 1800 s]",
                             what, i, (long long)p->period_us);
    }
    return 0;
}

static int hpa_metric_validate(const struct hpa_metric_spec *m, uint32_t i, struct os_error *err)
{
    bool pair_ok;
    switch (m->source) {
    case HPA_SOURCE_RESOURCE:
        pair_ok = m->target == HPA_TARGET_UTILIZATION || m->target == HPA_TARGET_AVERAGE_VALUE;
        break;
    case HPA_SOURCE_PODS:
        pair_ok = m->target == HPA_TARGET_AVERAGE_VALUE;
        break;
    case HPA_SOURCE_OBJECT:
    case HPA_SOURCE_EXTERNAL:
        pair_ok = m->target == HPA_TARGET_VALUE || m->target == HPA_TARGET_AVERAGE_VALUE;
        break;
    default:
        return os_errorf(err, OS_EINVAL, "spec.metrics[%u].source: unknown metric source %d", i,
                         (int)m->source);
    }
    if (!pair_ok)
        return os_errorf(err, OS_EINVAL,
                         "spec.metrics[%u].target: target type %d is not allowed for source %d "
                         "(Resource: Utilization|AverageValue, Pods: AverageValue, "
                         "Object/External: Value|AverageValue)",
                         i, (int)m->target, (int)m->source);
    if (m->source == HPA_SOURCE_RESOURCE && m->resource != HPA_RESOURCE_CPU &&
        m->resource != HPA_RESOURCE_MEMORY && m->resource != HPA_RESOURCE_OTHER)
        return os_errorf(err, OS_EINVAL, "spec.metrics[%u].resource: unknown resource %d", i,
                         (int)m->resource);
    if (m->target == HPA_TARGET_UTILIZATION && m->target_utilization <= 0)
        return os_errorf(err, OS_EINVAL, "spec.metrics[%u].target_utilization: %d must be > 0", i,
                         m->target_utilization);
    if (m->target != HPA_TARGET_UTILIZATION && m->target_milli <= 0)
        return os_errorf(err, OS_EINVAL, "spec.metrics[%u].target_milli: %lld must be > 0", i,
                         (long long)m->target_milli);
    return 0;
}

int hpa_cfg_validate(const struct hpa_cfg *c, struct os_error *err)
{
    const struct hpa_spec *s = &c->spec;
    int rc = hpa_ctrl_validate(&c->ctrl, err);
    if (rc)
        return rc;
    if (s->min_replicas < 0)
        return os_errorf(err, OS_EINVAL, "spec.min_replicas: %d must be >= 0", s->min_replicas);
    if (s->min_replicas == 0 && !s->scale_to_zero)
        return os_errorf(err, OS_EINVAL,
                         "spec.min_replicas: 0 needs spec.scale_to_zero (the HPAScaleToZero "
                         "feature gate); use KEDA for scale-to-zero");
    if (s->max_replicas < 1 || s->max_replicas < s->min_replicas)
        return os_errorf(err, OS_EINVAL, "spec.max_replicas: %d must be >= 1 and >= min %d",
                         s->max_replicas, s->min_replicas);
    if (s->nmetrics < 1 || s->nmetrics > HPA_METRICS_MAX)
        return os_errorf(err, OS_EINVAL, "spec.metrics: %u metrics, need 1..%d", s->nmetrics,
                         HPA_METRICS_MAX);
    for (uint32_t i = 0; i < s->nmetrics; i++) {
        rc = hpa_metric_validate(&s->metrics[i], i, err);
        if (rc)
            return rc;
    }
    if (s->has_behavior) {
        rc = hpa_rules_validate(&s->behavior.up, "spec.behavior.up", err);
        if (rc)
            return rc;
        rc = hpa_rules_validate(&s->behavior.down, "spec.behavior.down", err);
        if (rc)
            return rc;
    }
    return 0;
}

/* --- windows, capacities, init ------------------------------------------------- */

/* The scale-up stabilisation window in force. */
static int64_t hpa_up_window(const struct hpa_cfg *c)
{
    if (!c->spec.has_behavior || c->spec.behavior.up.window_us == HPA_UNSET)
        return 0;
    return c->spec.behavior.up.window_us;
}

/* The scale-down stabilisation window in force (maybeInitScaleDownStabilizationWindow). */
static int64_t hpa_down_window(const struct hpa_cfg *c)
{
    if (c->spec.has_behavior && c->spec.behavior.down.window_us != HPA_UNSET)
        return c->spec.behavior.down.window_us;
    return c->ctrl.downscale_window_us;
}

/* getLongestPolicyPeriod. */
static int64_t hpa_longest_period(const struct hpa_rules *r)
{
    int64_t longest = 0;
    for (uint32_t i = 0; i < r->npolicies; i++)
        if (r->policies[i].period_us > longest)
            longest = r->policies[i].period_us;
    return longest;
}

/* Entries a history spanning `span` needs when entries are >= `period`
 * apart: floor(span / period) inside the span, one duplicate from the
 * initial recommendation, one new entry (see the file comment). */
static uint32_t hpa_slots(int64_t span, int64_t period)
{
    return (uint32_t)(span / period) + 2;
}

int hpa_init(struct hpa *h, const struct hpa_cfg *cfg, struct os_error *err)
{
    int rc = hpa_cfg_validate(cfg, err);
    if (rc)
        return rc;
    memset(h, 0, sizeof(*h));
    h->cfg = *cfg;
    int64_t period = cfg->ctrl.sync_period_us;
    int64_t up_w = hpa_up_window(cfg), down_w = hpa_down_window(cfg);
    h->cap_recs = hpa_slots(up_w > down_w ? up_w : down_w, period);
    if (cfg->spec.has_behavior) {
        h->cap_ups = hpa_slots(hpa_longest_period(&cfg->spec.behavior.up), period);
        h->cap_downs = hpa_slots(hpa_longest_period(&cfg->spec.behavior.down), period);
    }
    /* Events first, then recommendations: both are 8-byte aligned. */
    size_t bytes = sizeof(struct hpa_event) * ((size_t)h->cap_ups + h->cap_downs) +
                   sizeof(struct hpa_rec) * (size_t)h->cap_recs;
    h->mem = calloc(1, bytes);
    if (!h->mem) {
        memset(h, 0, sizeof(*h));
        return os_errorf(err, OS_ENOMEM, "hpa: cannot allocate %zu bytes of history", bytes);
    }
    h->ups = h->mem;
    h->downs = h->ups + h->cap_ups;
    h->recs = (struct hpa_rec *)(void *)(h->downs + h->cap_downs);
    h->last_sync_us = HPA_TIME_NONE;
    h->last_scale_us = HPA_TIME_NONE;
    return 0;
}

void hpa_destroy(struct hpa *h)
{
    free(h->mem);
    memset(h, 0, sizeof(*h));
}

int64_t hpa_next_due_us(const struct hpa *h)
{
    if (h->last_sync_us == HPA_TIME_NONE)
        return INT64_MIN;
    return h->last_sync_us + h->cfg.ctrl.sync_period_us;
}

/* --- the replica calculator ---------------------------------------------------- */

static bool hpa_within(const struct hpa_tol *t, double r)
{
    return (1.0 - t->down) <= r && r <= (1.0 + t->up);
}

/* int32(math.Ceil(x)), capped to [0, INT32_MAX] (NaN gives 0). */
static int32_t hpa_ceil_count(double x)
{
    if (!(x > 0))
        return 0;
    if (x >= (double)INT32_MAX)
        return INT32_MAX;
    return (int32_t)ceil(x);
}

static int32_t hpa_clamp32(int64_t x)
{
    if (x > INT32_MAX)
        return INT32_MAX;
    if (x < INT32_MIN)
        return INT32_MIN;
    return (int32_t)x;
}

/* The usage ratio of a group of pods: for Utilization
 * int(100 * sum / request) / target (GetResourceUtilizationRatio), else
 * (sum / n) / target (GetMetricUsageRatio), both with integer division.
 * Returns false when the ratio is undefined (no request, no pods). */
static bool hpa_pods_ratio(const struct hpa_metric_spec *m, int64_t sum, int64_t request,
                           uint32_t n, double *ratio)
{
    if (m->target == HPA_TARGET_UTILIZATION) {
        if (request <= 0)
            return false;
        int64_t utilization = (sum * 100) / request;
        *ratio = (double)utilization / (double)m->target_utilization;
        return true;
    }
    if (n == 0)
        return false;
    int64_t average = sum / (int64_t)n;
    *ratio = (double)average / (double)m->target_milli;
    return true;
}

/* GetResourceReplicas / calcPlainMetricReplicas: Resource (Utilization and
 * AverageValue) and Pods metrics. Returns false for an invalid metric. */
static bool hpa_replicas_pods(const struct hpa_tol *tol, int32_t current,
                              const struct hpa_metric_spec *m, const struct hpa_pods *p,
                              int32_t *out)
{
    if (p->ready == 0) /* "did not receive metrics for targeted pods" */
        return false;
    if (p->ready_sum_milli < 0 || p->ready_request_milli < 0 || p->unready_request_milli < 0 ||
        p->missing_request_milli < 0)
        return false;
    double ratio;
    if (!hpa_pods_ratio(m, p->ready_sum_milli, p->ready_request_milli, p->ready, &ratio))
        return false;

    bool up_with_unready = p->unready > 0 && ratio > 1.0;
    if (!up_with_unready && p->missing == 0) {
        *out = hpa_within(tol, ratio) ? current : hpa_ceil_count(ratio * (double)p->ready);
        return true;
    }

    int64_t sum = p->ready_sum_milli, request = p->ready_request_milli;
    uint32_t n = p->ready;
    if (p->missing > 0) {
        if (ratio < 1.0) {
            /* Scale-down: missing pods use the target (Utilization: max(100 %,
             * target) of their request; [U] HPA_MISSING_FALLBACK_AGGREGATE). */
            if (m->target == HPA_TARGET_UTILIZATION) {
                int64_t fallback = m->target_utilization > 100 ? m->target_utilization : 100;
                sum += p->missing_request_milli * fallback / 100;
            } else {
                sum += (int64_t)p->missing * m->target_milli;
            }
            request += p->missing_request_milli;
            n += p->missing;
        } else if (ratio > 1.0) {
            /* Scale-up: missing pods use 0. */
            request += p->missing_request_milli;
            n += p->missing;
        }
    }
    if (up_with_unready) {
        /* Scale-up: not-ready pods use 0. */
        request += p->unready_request_milli;
        n += p->unready;
    }
    double new_ratio;
    if (!hpa_pods_ratio(m, sum, request, n, &new_ratio))
        return false;
    if (hpa_within(tol, new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
        (ratio > 1.0 && new_ratio < 1.0)) {
        *out = current; /* too small a change, or the direction flipped */
        return true;
    }
    int32_t replicas = hpa_ceil_count(new_ratio * (double)n);
    if ((new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current))
        replicas = current; /* the pod count flipped the direction */
    *out = replicas;
    return true;
}

/* GetObjectMetricReplicas / GetExternalMetricReplicas via
 * getUsageRatioReplicaCount: Value targets. */
static bool hpa_replicas_value(const struct hpa_tol *tol, int32_t current,
                               const struct hpa_metric_spec *m, const struct hpa_input *in,
                               int64_t value, int32_t *out)
{
    if (value < 0)
        return false;
    double ratio = (double)value / (double)m->target_milli;
    if (current == 0) {
        *out = hpa_ceil_count(ratio); /* scale to zero or to n pods */
        return true;
    }
    if (hpa_within(tol, ratio)) {
        *out = current;
        return true;
    }
    if (in->pods_total <= 0) /* "no pods returned by selector" */
        return false;
    int32_t ready = in->pods_ready < 0 ? 0 : in->pods_ready;
    *out = hpa_ceil_count(ratio * (double)ready);
    return true;
}

/* GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas:
 * AverageValue targets, based on the status replica count. */
static bool hpa_replicas_average(const struct hpa_tol *tol, int32_t status,
                                 const struct hpa_metric_spec *m, int64_t value, int32_t *out)
{
    if (value < 0)
        return false;
    /* With status == 0 the controller's ratio is +Inf or NaN, never within
     * the tolerance, so it goes straight to the formula below. */
    if (status > 0) {
        double ratio = (double)value / ((double)m->target_milli * (double)status);
        if (hpa_within(tol, ratio)) {
            *out = status;
            return true;
        }
    }
    *out = hpa_ceil_count((double)value / (double)m->target_milli);
    return true;
}

/* computeReplicasForMetric: one metric's proposal; false if invalid. */
static bool hpa_metric_replicas(const struct hpa_tol *tol, int32_t current, int32_t status,
                                const struct hpa_metric_spec *m, const struct hpa_input *in,
                                const struct hpa_metric_input *mi, int32_t *out)
{
    if (!mi->valid)
        return false;
    switch (m->source) {
    case HPA_SOURCE_RESOURCE:
    case HPA_SOURCE_PODS:
        return hpa_replicas_pods(tol, current, m, &mi->pods, out);
    case HPA_SOURCE_OBJECT:
    case HPA_SOURCE_EXTERNAL:
        if (m->target == HPA_TARGET_VALUE)
            return hpa_replicas_value(tol, current, m, in, mi->value_milli, out);
        return hpa_replicas_average(tol, status, m, mi->value_milli, out);
    }
    return false;
}

/* tolerancesForHpa: per-direction tolerances only with a behavior. */
static struct hpa_tol hpa_tolerances(const struct hpa_cfg *c)
{
    struct hpa_tol t = {c->ctrl.tolerance, c->ctrl.tolerance};
    if (c->spec.has_behavior) {
        if (c->spec.behavior.down.tolerance != HPA_UNSET)
            t.down = c->spec.behavior.down.tolerance;
        if (c->spec.behavior.up.tolerance != HPA_UNSET)
            t.up = c->spec.behavior.up.tolerance;
    }
    return t;
}

/* --- histories ----------------------------------------------------------------- */

/* Stores a recommendation in slot `old` (an entry outside every window) or
 * appends it; with neither possible, overwrites the oldest entry. */
static void hpa_rec_store(struct hpa *h, int64_t old, int64_t now_us, int32_t replicas)
{
    struct hpa_rec r = {now_us, replicas};
    if (old >= 0) {
        h->recs[old] = r;
    } else if (h->nrecs < h->cap_recs) {
        h->recs[h->nrecs++] = r;
    } else {
        uint32_t oldest = 0;
        for (uint32_t i = 1; i < h->nrecs; i++)
            if (h->recs[i].t_us < h->recs[oldest].t_us)
                oldest = i;
        h->recs[oldest] = r;
    }
}

/* getReplicasChangePerPeriod: replicas changed by events younger than
 * `period` ([U] HPA_WINDOW_EXCLUSIVE: an event exactly `period` ago is out). */
static int64_t hpa_change_in_period(const struct hpa_event *ev, uint32_t n, int64_t period,
                                    int64_t now_us)
{
    int64_t sum = 0;
    for (uint32_t i = 0; i < n; i++)
        if (ev[i].t_us > now_us - period)
            sum += ev[i].change;
    return sum;
}

/* storeScaleEvent (behavior path only): marks the direction's events older
 * than its longest policy period as outdated, then overwrites the last
 * outdated one or appends. */
static void hpa_store_event(struct hpa *h, int64_t now_us, int32_t prev, int32_t next)
{
    if (!h->cfg.spec.has_behavior)
        return;
    const struct hpa_rules *rules;
    struct hpa_event *ev;
    uint32_t *n, cap;
    int32_t change;
    if (next > prev) {
        rules = &h->cfg.spec.behavior.up;
        ev = h->ups;
        n = &h->nups;
        cap = h->cap_ups;
        change = next - prev;
    } else {
        rules = &h->cfg.spec.behavior.down;
        ev = h->downs;
        n = &h->ndowns;
        cap = h->cap_downs;
        change = prev - next;
    }
    int64_t cutoff = now_us - hpa_longest_period(rules);
    int64_t slot = -1;
    for (uint32_t i = 0; i < *n; i++) {
        if (ev[i].t_us < cutoff)
            ev[i].outdated = true;
        if (ev[i].outdated)
            slot = i;
    }
    struct hpa_event e = {now_us, change, false};
    if (slot >= 0) {
        ev[slot] = e;
    } else if (*n < cap) {
        ev[(*n)++] = e;
    } else {
        uint32_t oldest = 0;
        for (uint32_t i = 1; i < *n; i++)
            if (ev[i].t_us < ev[oldest].t_us)
                oldest = i;
        ev[oldest] = e;
    }
}

/* --- normalisation ------------------------------------------------------------- */

/* normalizeDesiredReplicas (spec.behavior == nil): the largest
 * recommendation of the downscale window, then convertDesiredReplicasWithRules. */
static int32_t hpa_normalize_legacy(struct hpa *h, int64_t now_us, int32_t current,
                                    int32_t proposal, struct hpa_decision *d)
{
    const struct hpa_spec *s = &h->cfg.spec;
    int64_t cutoff = now_us - h->cfg.ctrl.downscale_window_us;
    int32_t stabilized = proposal;
    int64_t old = -1;
    for (uint32_t i = 0; i < h->nrecs; i++) {
        if (h->recs[i].t_us < cutoff)
            old = i;
        else if (h->recs[i].t_us > cutoff && h->recs[i].replicas > stabilized)
            stabilized = h->recs[i].replicas; /* [U] HPA_WINDOW_EXCLUSIVE */
    }
    hpa_rec_store(h, old, now_us, proposal);
    d->stabilized = stabilized;

    /* calculateScaleUpLimit: max(2 * current, 4). */
    int64_t up_limit = 2 * (int64_t)current > 4 ? 2 * (int64_t)current : 4;
    int64_t max_allowed;
    enum hpa_limit max_reason;
    if (s->max_replicas > up_limit) {
        max_allowed = up_limit;
        max_reason = HPA_LIMIT_SCALE_UP_RATE;
    } else {
        max_allowed = s->max_replicas;
        max_reason = HPA_LIMIT_TOO_MANY;
    }
    if (stabilized < s->min_replicas) {
        d->limit = HPA_LIMIT_TOO_FEW;
        return s->min_replicas;
    }
    if (stabilized > max_allowed) {
        d->limit = max_reason;
        return (int32_t)max_allowed;
    }
    return stabilized;
}

/* calculateScaleUpLimitWithScalingRules. */
static int64_t hpa_scale_up_limit(const struct hpa *h, int64_t now_us, int32_t current)
{
    const struct hpa_rules *r = &h->cfg.spec.behavior.up;
    if (r->select == HPA_SELECT_DISABLED)
        return current;
    bool pick_min = r->select == HPA_SELECT_MIN;
    int64_t result = pick_min ? INT64_MAX : INT64_MIN;
    for (uint32_t i = 0; i < r->npolicies; i++) {
        const struct hpa_policy *p = &r->policies[i];
        int64_t added = hpa_change_in_period(h->ups, h->nups, p->period_us, now_us);
        int64_t deleted = hpa_change_in_period(h->downs, h->ndowns, p->period_us, now_us);
        int64_t start = (int64_t)current - added + deleted;
        int64_t proposed;
        if (p->type == HPA_POLICY_PODS)
            proposed = start + p->value;
        else /* rounded up, or a small percentage might never add a pod */
            proposed = (int64_t)ceil((double)start * (1 + (double)p->value / 100));
        if (pick_min ? proposed < result : proposed > result)
            result = proposed;
    }
    return result;
}

/* calculateScaleDownLimitWithBehaviors. */
static int64_t hpa_scale_down_limit(const struct hpa *h, int64_t now_us, int32_t current)
{
    const struct hpa_rules *r = &h->cfg.spec.behavior.down;
    if (r->select == HPA_SELECT_DISABLED)
        return current;
    /* Max (the largest change) is the lowest floor; Min the highest. */
    bool pick_highest = r->select == HPA_SELECT_MIN;
    int64_t result = pick_highest ? INT64_MIN : INT64_MAX;
    for (uint32_t i = 0; i < r->npolicies; i++) {
        const struct hpa_policy *p = &r->policies[i];
        int64_t added = hpa_change_in_period(h->ups, h->nups, p->period_us, now_us);
        int64_t deleted = hpa_change_in_period(h->downs, h->ndowns, p->period_us, now_us);
        int64_t start = (int64_t)current - added + deleted;
        int64_t proposed;
        if (p->type == HPA_POLICY_PODS)
            proposed = start - p->value;
        else /* int32(float64) truncates toward zero */
            proposed = (int64_t)((double)start * (1 - (double)p->value / 100));
        if (pick_highest ? proposed > result : proposed < result)
            result = proposed;
    }
    return result;
}

/* normalizeDesiredReplicasWithBehaviors: stabilizeRecommendationWithBehaviors,
 * then convertDesiredReplicasWithBehaviorRate. */
static int32_t hpa_normalize_behavior(struct hpa *h, int64_t now_us, int32_t current,
                                      int32_t proposal, struct hpa_decision *d)
{
    const struct hpa_spec *s = &h->cfg.spec;
    int64_t up_cutoff = now_us - hpa_up_window(&h->cfg);
    int64_t down_cutoff = now_us - hpa_down_window(&h->cfg);
    int32_t up_rec = proposal, down_rec = proposal;
    int64_t old = -1;
    for (uint32_t i = 0; i < h->nrecs; i++) {
        const struct hpa_rec *r = &h->recs[i];
        if (r->t_us > up_cutoff && r->replicas < up_rec)
            up_rec = r->replicas;
        if (r->t_us > down_cutoff && r->replicas > down_rec)
            down_rec = r->replicas;
        if (r->t_us < up_cutoff && r->t_us < down_cutoff)
            old = i;
    }
    int32_t stabilized = current;
    if (stabilized < up_rec)
        stabilized = up_rec;
    if (stabilized > down_rec)
        stabilized = down_rec;
    hpa_rec_store(h, old, now_us, proposal);
    d->stabilized = stabilized;

    if (stabilized > current) {
        int64_t limit = hpa_scale_up_limit(h, now_us, current);
        if (limit < current)
            limit = current; /* wait until the scale-up events age out */
        int64_t allowed;
        enum hpa_limit reason;
        if (s->max_replicas > limit) {
            allowed = limit;
            reason = HPA_LIMIT_SCALE_UP_RATE;
        } else {
            allowed = s->max_replicas;
            reason = HPA_LIMIT_TOO_MANY;
        }
        if (stabilized > allowed) {
            d->limit = reason;
            return (int32_t)allowed;
        }
    } else if (stabilized < current) {
        int64_t limit = hpa_scale_down_limit(h, now_us, current);
        if (limit > current)
            limit = current;
        int64_t allowed;
        enum hpa_limit reason;
        if (s->min_replicas < limit) {
            allowed = limit;
            reason = HPA_LIMIT_SCALE_DOWN_RATE;
        } else {
            allowed = s->min_replicas;
            reason = HPA_LIMIT_TOO_FEW;
        }
        if (stabilized < allowed) {
            d->limit = reason;
            return hpa_clamp32(allowed);
        }
    }
    return stabilized;
}

/* --- the sync ------------------------------------------------------------------ */

/* Records a rescale from prev to next at now_us. */
static void hpa_rescale(struct hpa *h, int64_t now_us, int32_t prev, int32_t next,
                        struct hpa_decision *d)
{
    d->desired = next;
    hpa_store_event(h, now_us, prev, next);
    h->last_scale_us = now_us;
}

struct hpa_decision hpa_step(struct hpa *h, int64_t now_us, const struct hpa_input *in)
{
    const struct hpa_spec *s = &h->cfg.spec;
    int32_t current = in->spec_replicas < 0 ? 0 : in->spec_replicas;
    struct hpa_decision d;
    memset(&d, 0, sizeof(d));
    d.previous = current;
    d.desired = current;
    d.reason = HPA_NOT_DUE;
    d.proposal = -1;
    d.metric = -1;
    d.stabilized = -1;
    d.limit = HPA_LIMIT_NONE;
    for (uint32_t i = 0; i < HPA_METRICS_MAX; i++)
        d.proposals[i] = -1;

    if (h->last_sync_us != HPA_TIME_NONE &&
        (now_us < h->last_sync_us || now_us - h->last_sync_us < h->cfg.ctrl.sync_period_us))
        return d;
    h->last_sync_us = now_us;
    if (!h->recorded_initial) {
        hpa_rec_store(h, -1, now_us, current);
        h->recorded_initial = true;
    }

    if (current == 0 && s->min_replicas != 0) {
        d.reason = HPA_DISABLED;
        return d;
    }
    if (current > s->max_replicas) {
        d.reason = HPA_ABOVE_MAX;
        hpa_rescale(h, now_us, current, s->max_replicas, &d);
        return d;
    }
    if (current < s->min_replicas) {
        d.reason = HPA_BELOW_MIN;
        hpa_rescale(h, now_us, current, s->min_replicas, &d);
        return d;
    }

    /* computeReplicasForMetrics: the largest valid proposal. */
    struct hpa_tol tol = hpa_tolerances(&h->cfg);
    int32_t status = in->status_replicas < 0 ? current : in->status_replicas;
    int32_t best = 0;
    for (uint32_t i = 0; i < s->nmetrics; i++) {
        int32_t r;
        if (!hpa_metric_replicas(&tol, current, status, &s->metrics[i], in, &in->metrics[i], &r)) {
            d.invalid++;
            continue;
        }
        d.proposals[i] = r;
        if (d.metric < 0 || r > best) {
            best = r;
            d.metric = (int32_t)i;
        }
    }
    if (d.metric >= 0)
        d.proposal = best;
    if (d.invalid >= s->nmetrics || (d.invalid > 0 && best < current)) {
        d.reason = HPA_METRICS_INVALID;
        return d;
    }

    int32_t desired = s->has_behavior ? hpa_normalize_behavior(h, now_us, current, best, &d)
                                      : hpa_normalize_legacy(h, now_us, current, best, &d);
    if (desired == current) {
        d.reason = HPA_NO_CHANGE;
        return d;
    }
    d.reason = desired > current ? HPA_SCALE_UP : HPA_SCALE_DOWN;
    hpa_rescale(h, now_us, current, desired, &d);
    return d;
}

/* --- pods ---------------------------------------------------------------------- */

void hpa_pods_classify(const struct hpa_ctrl_cfg *c, bool cpu, int64_t now_us,
                       const struct hpa_pod *pods, uint32_t npods, struct hpa_pods *out)
{
    memset(out, 0, sizeof(*out));
    for (uint32_t i = 0; i < npods; i++) {
        const struct hpa_pod *p = &pods[i];
        if (p->deleting || p->phase == HPA_POD_FAILED)
            continue; /* ignored */
        if (p->phase == HPA_POD_PENDING) {
            out->unready++;
            out->unready_request_milli += p->request_milli;
            continue;
        }
        if (!p->has_sample) {
            out->missing++;
            out->missing_request_milli += p->request_milli;
            continue;
        }
        if (cpu) {
            bool unready;
            if (p->start_us == HPA_TIME_NONE)
                unready = true;
            else if (p->start_us + c->cpu_init_period_us > now_us)
                /* Still initialising: skip the sample if the pod is not ready or
                 * the sample's window began before the pod became ready. */
                unready = !p->ready || p->sample_time_us < p->ready_change_us + p->sample_window_us;
            else
                /* Later: skip it only if the pod is not ready and never was. */
                unready = !p->ready && p->start_us + c->readiness_delay_us > p->ready_change_us;
            if (unready) {
                out->unready++;
                out->unready_request_milli += p->request_milli;
                continue;
            }
        }
        out->ready++;
        out->ready_sum_milli += p->sample_milli;
        out->ready_request_milli += p->request_milli;
    }
}

const char *hpa_reason_name(enum hpa_reason r)
{
    switch (r) {
    case HPA_NOT_DUE:
        return "not_due";
    case HPA_NO_CHANGE:
        return "no_change";
    case HPA_SCALE_UP:
        return "scale_up";
    case HPA_SCALE_DOWN:
        return "scale_down";
    case HPA_ABOVE_MAX:
        return "above_max";
    case HPA_BELOW_MIN:
        return "below_min";
    case HPA_DISABLED:
        return "disabled";
    case HPA_METRICS_INVALID:
        return "metrics_invalid";
    }
    return "unknown";
}

const char *hpa_limit_name(enum hpa_limit l)
{
    switch (l) {
    case HPA_LIMIT_NONE:
        return "none";
    case HPA_LIMIT_SCALE_UP_RATE:
        return "scale_up_rate";
    case HPA_LIMIT_TOO_MANY:
        return "too_many";
    case HPA_LIMIT_SCALE_DOWN_RATE:
        return "scale_down_rate";
    case HPA_LIMIT_TOO_FEW:
        return "too_few";
    }
    return "unknown";
}
