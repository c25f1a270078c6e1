/*
 * keda.c - KEDA's ScaledObject controller (see keda.h for the model, its
 * sources and its assumptions).
 *
 * KEDA's part is small: a poll that turns the triggers' readings into one
 * "active" bit and moves the target between 0 (or the idle count) and
 * max(min, 1), with a cooldown on the way down. Everything between 1 and N
 * is the embedded HPA (hpa.h), configured as KEDA configures the HPA it
 * creates: one External metric per trigger.
 */
#include "models/autoscale/keda.h"

#include <string.h>

#define KEDA_DEFAULT_POLL_US     (30 * HPA_US_PER_S)
#define KEDA_DEFAULT_COOLDOWN_US (300 * HPA_US_PER_S)
#define KEDA_DEFAULT_MAX         100
#define KEDA_SQS_QUEUE_LENGTH    5 /* messages per replica */

/* --- config ------------------------------------------------------------------ */

struct keda_trigger keda_trigger_sqs(void)
{
    return (struct keda_trigger){
        .scaler = KEDA_SCALER_SQS,
        .metric_type = HPA_TARGET_AVERAGE_VALUE,
        .target_milli = HPA_MILLI(KEDA_SQS_QUEUE_LENGTH),
        .activation_milli = 0,
        .scale_on_in_flight = true,
        .scale_on_delayed = false,
    };
}

struct keda_trigger keda_trigger_value(int64_t target_milli)
{
    return (struct keda_trigger){
        .scaler = KEDA_SCALER_VALUE,
        .metric_type = HPA_TARGET_AVERAGE_VALUE,
        .target_milli = target_milli,
        .activation_milli = 0,
        .scale_on_in_flight = true,
        .scale_on_delayed = false,
    };
}

void keda_cfg_defaults(struct keda_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->polling_interval_us = KEDA_DEFAULT_POLL_US;
    c->cooldown_us = KEDA_DEFAULT_COOLDOWN_US;
    c->initial_cooldown_us = 0;
    c->min_replicas = 0;
    c->max_replicas = KEDA_DEFAULT_MAX;
    c->has_idle = false;
    c->idle_replicas = 0;
    c->ntriggers = 1;
    c->triggers[0] = keda_trigger_sqs();
    hpa_ctrl_defaults(&c->hpa);
    c->has_behavior = false;
    hpa_behavior_defaults(&c->behavior);
}

int keda_cfg_validate(const struct keda_cfg *c, struct os_error *err)
{
    if (c->polling_interval_us <= 0)
        return os_errorf(err, OS_EINVAL, "polling_interval_us: %lld must be > 0",
                         (long long)c->polling_interval_us);
    if (c->cooldown_us < 0)
        return os_errorf(err, OS_EINVAL, "cooldown_us: %lld must be >= 0",
                         (long long)c->cooldown_us);
    if (c->initial_cooldown_us < 0)
        return os_errorf(err, OS_EINVAL, "initial_cooldown_us: %lld must be >= 0",
                         (long long)c->initial_cooldown_us);
    if (c->min_replicas < 0)
        return os_errorf(err, OS_EINVAL, "min_replicas: %d must be >= 0", c->min_replicas);
    if (c->max_replicas < 1 || c->max_replicas < c->min_replicas)
        return os_errorf(err, OS_EINVAL, "max_replicas: %d must be >= 1 and >= min_replicas %d",
                         c->max_replicas, c->min_replicas);
    if (c->has_idle && (c->idle_replicas < 0 || c->idle_replicas >= c->min_replicas))
        return os_errorf(err, OS_EINVAL, "idle_replicas: %d must be >= 0 and < min_replicas %d",
                         c->idle_replicas, c->min_replicas);
    if (c->ntriggers < 1 || c->ntriggers > KEDA_TRIGGERS_MAX)
        return os_errorf(err, OS_EINVAL, "triggers: %u triggers, need 1..%d", c->ntriggers,
                         KEDA_TRIGGERS_MAX);
    for (uint32_t i = 0; i < c->ntriggers; i++) {
        const struct keda_trigger *t = &c->triggers[i];
        if (t->scaler != KEDA_SCALER_SQS && t->scaler != KEDA_SCALER_VALUE)
            return os_errorf(err, OS_EINVAL, "triggers[%u].scaler: unknown scaler %d", i,
                             (int)t->scaler);
        if (t->metric_type != HPA_TARGET_AVERAGE_VALUE && t->metric_type != HPA_TARGET_VALUE)
            return os_errorf(err, OS_EINVAL,
                             "triggers[%u].metric_type: %d must be AverageValue or Value", i,
                             (int)t->metric_type);
        if (t->target_milli <= 0)
            return os_errorf(err, OS_EINVAL, "triggers[%u].target_milli: %lld must be > 0", i,
                             (long long)t->target_milli);
        if (t->activation_milli < 0)
            return os_errorf(err, OS_EINVAL, "triggers[%u].activation_milli: %lld must be >= 0", i,
                             (long long)t->activation_milli);
    }
    int rc = hpa_ctrl_validate(&c->hpa, err);
    if (rc)
        return rc;
    if (c->has_behavior) {
        rc = hpa_rules_validate(&c->behavior.up, "behavior.up", err);
        if (rc)
            return rc;
        rc = hpa_rules_validate(&c->behavior.down, "behavior.down", err);
        if (rc)
            return rc;
    }
    return 0;
}

/* The HPA KEDA creates for the ScaledObject. */
static void keda_hpa_cfg(const struct keda_cfg *c, struct hpa_cfg *h)
{
    hpa_cfg_defaults(h);
    h->ctrl = c->hpa;
    h->spec.min_replicas = c->min_replicas > 0 ? c->min_replicas : 1; /* GetHPAMinReplicas */
    h->spec.max_replicas = c->max_replicas;
    h->spec.scale_to_zero = false;
    h->spec.nmetrics = c->ntriggers;
    for (uint32_t i = 0; i < c->ntriggers; i++)
        h->spec.metrics[i] = (struct hpa_metric_spec){
            .source = HPA_SOURCE_EXTERNAL,
            .target = c->triggers[i].metric_type,
            .resource = HPA_RESOURCE_OTHER,
            .target_utilization = 0,
            .target_milli = c->triggers[i].target_milli,
        };
    h->spec.has_behavior = c->has_behavior;
    h->spec.behavior = c->behavior;
}

int keda_init(struct keda *k, const struct keda_cfg *cfg, int64_t created_us, struct os_error *err)
{
    int rc = keda_cfg_validate(cfg, err);
    if (rc)
        return rc;
    memset(k, 0, sizeof(*k));
    struct hpa_cfg hc;
    keda_hpa_cfg(cfg, &hc);
    rc = hpa_init(&k->hpa, &hc, err);
    if (rc) {
        memset(k, 0, sizeof(*k));
        return rc;
    }
    k->cfg = *cfg;
    k->created_us = created_us;
    k->last_poll_us = KEDA_TIME_NONE;
    k->last_active_us = KEDA_TIME_NONE;
    k->active = false;
    return 0;
}

void keda_destroy(struct keda *k)
{
    hpa_destroy(&k->hpa);
    memset(k, 0, sizeof(*k));
}

/* --- triggers ------------------------------------------------------------------ */

static int64_t keda_nonneg(int64_t x)
{
    return x < 0 ? 0 : x;
}

int64_t keda_trigger_metric_milli(const struct keda_trigger *t, const struct keda_trigger_input *in)
{
    if (t->scaler == KEDA_SCALER_VALUE)
        return keda_nonneg(in->value_milli);
    int64_t messages = keda_nonneg(in->visible);
    if (t->scale_on_in_flight)
        messages += keda_nonneg(in->in_flight);
    if (t->scale_on_delayed)
        messages += keda_nonneg(in->delayed);
    return HPA_MILLI(messages);
}

bool keda_trigger_active(const struct keda_trigger *t, const struct keda_trigger_input *in)
{
    return in->valid && keda_trigger_metric_milli(t, in) > t->activation_milli;
}

/* --- the step ------------------------------------------------------------------ */

/* RequestScale: KEDA's own decision at a poll; returns the new count. */
static int32_t keda_poll(struct keda *k, int64_t now_us, int32_t current,
                         const struct keda_input *in, struct keda_decision *d)
{
    const struct keda_cfg *c = &k->cfg;
    bool active = false, error = false;
    for (uint32_t i = 0; i < c->ntriggers; i++) {
        if (!in->triggers[i].valid)
            error = true;
        else if (keda_trigger_active(&c->triggers[i], &in->triggers[i]))
            active = true;
    }
    k->active = active;
    d->active = active;
    d->reason = KEDA_NO_CHANGE;

    if (active) {
        if ((c->has_idle && current < c->min_replicas) || current == 0) {
            d->reason = KEDA_ACTIVATE; /* scaleFromZeroOrIdle */
            k->last_active_us = now_us;
            return c->min_replicas > 0 ? c->min_replicas : 1;
        }
        if (!error) /* PartialTriggerError leaves lastActiveTime alone */
            k->last_active_us = now_us;
        return current;
    }
    if (error) {
        d->reason = KEDA_TRIGGER_ERROR;
        return current;
    }
    if ((c->has_idle && current > c->idle_replicas) || (current > 0 && c->min_replicas == 0)) {
        /* scaleToZeroOrIdle; [U] KEDA_COOLDOWN_INCLUSIVE. */
        bool passed = k->last_active_us == KEDA_TIME_NONE
                          ? k->created_us + c->initial_cooldown_us <= now_us
                          : k->last_active_us + c->cooldown_us <= now_us;
        if (!passed) {
            d->reason = KEDA_COOLDOWN;
            return current;
        }
        d->reason = KEDA_DEACTIVATE;
        return c->has_idle ? c->idle_replicas : c->min_replicas;
    }
    if (!c->has_idle && current < c->min_replicas) {
        d->reason = KEDA_TO_MIN;
        return c->min_replicas;
    }
    return current;
}

struct keda_decision keda_step(struct keda *k, int64_t now_us, const struct keda_input *in)
{
    const struct keda_cfg *c = &k->cfg;
    int32_t current = in->spec_replicas < 0 ? 0 : in->spec_replicas;
    struct keda_decision d;
    memset(&d, 0, sizeof(d));
    d.previous = current;
    d.reason = KEDA_NOT_POLLED;
    d.active = false;

    if (k->last_poll_us == KEDA_TIME_NONE ||
        (now_us >= k->last_poll_us && now_us - k->last_poll_us >= c->polling_interval_us)) {
        k->last_poll_us = now_us;
        current = keda_poll(k, now_us, current, in, &d);
    }

    /* [U] KEDA_POLL_FIRST: the HPA reads the count the poll left. */
    struct hpa_input hi;
    memset(&hi, 0, sizeof(hi));
    hi.spec_replicas = current;
    hi.status_replicas = in->status_replicas;
    hi.pods_total = in->pods_total;
    hi.pods_ready = in->pods_ready;
    for (uint32_t i = 0; i < c->ntriggers; i++) {
        hi.metrics[i].valid = in->triggers[i].valid;
        hi.metrics[i].value_milli = keda_trigger_metric_milli(&c->triggers[i], &in->triggers[i]);
    }
    d.hpa = hpa_step(&k->hpa, now_us, &hi);
    d.desired = d.hpa.desired;
    return d;
}

int64_t keda_next_due_us(const struct keda *k)
{
    if (k->last_poll_us == KEDA_TIME_NONE)
        return INT64_MIN;
    int64_t poll = k->last_poll_us + k->cfg.polling_interval_us;
    int64_t sync = hpa_next_due_us(&k->hpa);
    return poll < sync ? poll : sync;
}

const char *keda_reason_name(enum keda_reason r)
{
    switch (r) {
    case KEDA_NOT_POLLED:
        return "not_polled";
    case KEDA_NO_CHANGE:
        return "no_change";
    case KEDA_ACTIVATE:
        return "activate";
    case KEDA_DEACTIVATE:
        return "deactivate";
    case KEDA_COOLDOWN:
        return "cooldown";
    case KEDA_TO_MIN:
        return "to_min";
    case KEDA_TRIGGER_ERROR:
        return "trigger_error";
    }
    return "unknown";
}
