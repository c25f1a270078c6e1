/* Tests of models/autoscale/keda: activation 0 -> 1 (strictly above the
 * activation threshold), the cooldown to zero (inclusive boundary, [U]
 * KEDA_COOLDOWN_INCLUSIVE), the initial cooldown, the 30 s polling interval,
 * the embedded HPA between 1 and N on an SQS queue (ceil(messages / 5),
 * tolerance 0.1), min/max clamps, idle mode and validation. Every expected
 * count is worked out by hand in the comment beside it. Unless said
 * otherwise the ScaledObject has the defaults: polling 30 s, cooldown 300 s,
 * min 0, max 100, one SQS trigger (queueLength 5, activation 0, in-flight
 * counted), HPA syncs every 15 s with tolerance 0.1 and a 300 s scale-down
 * window, no behavior (the HPA's legacy path, up-cap max(2 * current, 4)). */
#include <criterion/criterion.h>
#include <string.h>

#include "models/autoscale/keda.h"

#define S(x) ((int64_t)(x)*HPA_US_PER_S)

static void mk(struct keda *k, const struct keda_cfg *c, int64_t created_us)
{
    struct os_error err = {{0}};
    cr_assert_eq(keda_init(k, c, created_us, &err), 0, "%s", err.msg);
}

/* One step at t_us with an SQS reading (visible, in flight) on a target at
 * *cur replicas; applies the decision to *cur. */
static struct keda_decision step_us(struct keda *k, int64_t t_us, int32_t *cur, int64_t visible,
                                    int64_t in_flight)
{
    struct keda_input in;
    memset(&in, 0, sizeof(in));
    in.spec_replicas = *cur;
    in.status_replicas = -1;
    in.pods_total = *cur;
    in.pods_ready = *cur;
    in.triggers[0].valid = true;
    in.triggers[0].visible = visible;
    in.triggers[0].in_flight = in_flight;
    struct keda_decision d = keda_step(k, t_us, &in);
    *cur = d.desired;
    return d;
}

static struct keda_decision step(struct keda *k, int t, int32_t *cur, int64_t visible)
{
    return step_us(k, S(t), cur, visible, 0);
}

/* --- the SQS metric -------------------------------------------------------------- */

Test(keda, sqs_metric_counts_visible_and_in_flight)
{
    struct keda_trigger t = keda_trigger_sqs();
    struct keda_trigger_input in = {.valid = true, .visible = 10, .in_flight = 5, .delayed = 7};
    /* Default: visible + in flight = 15 messages = 15000 milli; delayed not counted. */
    cr_assert_eq(keda_trigger_metric_milli(&t, &in), 15000);
    t.scale_on_delayed = true; /* + 7 */
    cr_assert_eq(keda_trigger_metric_milli(&t, &in), 22000);
    t.scale_on_in_flight = false; /* 10 + 7 */
    cr_assert_eq(keda_trigger_metric_milli(&t, &in), 17000);
    /* Negative readings count as 0. */
    struct keda_trigger_input neg = {.valid = true, .visible = -3};
    cr_assert_eq(keda_trigger_metric_milli(&t, &neg), 0);
    cr_assert_eq(t.target_milli, 5000); /* queueLength 5 */
}

/* --- activation ------------------------------------------------------------------ */

Test(keda, activation_is_strictly_above_the_threshold)
{
    struct keda_trigger t = keda_trigger_sqs();
    struct keda_trigger_input in = {.valid = true};
    /* Activation 0: 0 messages inactive, 1 active. */
    cr_assert_not(keda_trigger_active(&t, &in));
    in.visible = 1;
    cr_assert(keda_trigger_active(&t, &in));
    /* activationQueueLength 3: 3 is not above 3; 4 is. */
    t.activation_milli = 3000;
    in.visible = 3;
    cr_assert_not(keda_trigger_active(&t, &in));
    in.visible = 4;
    cr_assert(keda_trigger_active(&t, &in));
    /* An invalid reading is never active. */
    in.valid = false;
    cr_assert_not(keda_trigger_active(&t, &in));
}

Test(keda, activates_zero_to_one)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    c.triggers[0].activation_milli = 3000;
    mk(&k, &c, 0);
    int32_t cur = 0;
    /* t=0: 3 messages, not above 3: inactive, current 0 already at min 0:
     * no change; the HPA does nothing at 0 replicas (min 1). */
    struct keda_decision d = step(&k, 0, &cur, 3);
    cr_assert_eq(d.reason, KEDA_NO_CHANGE);
    cr_assert_not(d.active);
    cr_assert_eq(d.hpa.reason, HPA_DISABLED);
    cr_assert_eq(cur, 0);
    /* t=30: 4 messages: active -> max(min 0, 1) = 1. The HPA then syncs on 1
     * replica: ratio 4 / (5 * 1) = 0.8 is outside the tolerance, proposal
     * ceil(4 / 5) = 1: stays 1. */
    d = step(&k, 30, &cur, 4);
    cr_assert_eq(d.reason, KEDA_ACTIVATE);
    cr_assert(d.active);
    cr_assert_eq(d.previous, 0);
    cr_assert_eq(d.hpa.proposal, 1);
    cr_assert_eq(cur, 1);
    cr_assert_eq(k.last_active_us, S(30));
    keda_destroy(&k);
}

Test(keda, activation_with_a_large_queue_then_hpa_scales_up)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    mk(&k, &c, 0);
    int32_t cur = 0;
    /* t=0: 23 messages: KEDA activates to 1; the HPA's first sync on 1 replica
     * proposes ceil(23 / 5) = 5 but the legacy up-cap is max(2 * 1, 4) = 4. */
    struct keda_decision d = step(&k, 0, &cur, 23);
    cr_assert_eq(d.reason, KEDA_ACTIVATE);
    cr_assert_eq(d.hpa.proposal, 5);
    cr_assert_eq(cur, 4);
    keda_destroy(&k);
}

/* --- cooldown ------------------------------------------------------------------- */

Test(keda, cooldown_to_zero_after_300s_inclusive)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    mk(&k, &c, 0);
    int32_t cur = 0;
    /* Active at t=0, 30, 60 (1 message): 0 -> 1, then lastActiveTime 30, 60. */
    step(&k, 0, &cur, 1);
    cr_assert_eq(cur, 1);
    struct keda_decision d = step(&k, 30, &cur, 1);
    cr_assert_eq(d.reason, KEDA_NO_CHANGE);
    d = step(&k, 60, &cur, 1);
    cr_assert_eq(k.last_active_us, S(60));
    /* From t=90 the queue is empty: inactive, min 0, current 1: cooldown
     * until 60 + 300 = 360. The HPA proposes ceil(0 / 5) = 0 -> min 1. */
    for (int t = 90; t <= 330; t += 30) {
        d = step(&k, t, &cur, 0);
        cr_assert_eq(d.reason, KEDA_COOLDOWN, "t=%d: %s", t, keda_reason_name(d.reason));
        cr_assert_eq(cur, 1, "t=%d", t);
    }
    /* t=360 = 60 + 300: the boundary is inclusive ([U] KEDA_COOLDOWN_INCLUSIVE;
     * one microsecond earlier is tested below). */
    d = step(&k, 360, &cur, 0);
    cr_assert_eq(d.reason, KEDA_DEACTIVATE);
    cr_assert_eq(cur, 0);
    cr_assert_eq(d.hpa.reason, HPA_DISABLED); /* 0 replicas: the HPA is off */
    /* Stays at 0 while inactive. */
    d = step(&k, 390, &cur, 0);
    cr_assert_eq(d.reason, KEDA_NO_CHANGE);
    cr_assert_eq(cur, 0);
    keda_destroy(&k);
}

Test(keda, cooldown_boundary_one_microsecond_early)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    c.polling_interval_us = 1; /* poll on every step */
    c.hpa.sync_period_us = S(1);
    mk(&k, &c, 0);
    int32_t cur = 0;
    step_us(&k, 0, &cur, 1, 0); /* active at 0: -> 1 */
    cr_assert_eq(cur, 1);
    /* 300 s - 1 us after the last active poll: not yet. */
    struct keda_decision d = step_us(&k, S(300) - 1, &cur, 0, 0);
    cr_assert_eq(d.reason, KEDA_COOLDOWN);
    cr_assert_eq(cur, 1);
    /* Exactly 300 s: last_active + cooldown <= now: to zero. */
    d = step_us(&k, S(300), &cur, 0, 0);
    cr_assert_eq(d.reason, KEDA_DEACTIVATE);
    cr_assert_eq(cur, 0);
    keda_destroy(&k);
}

Test(keda, in_flight_messages_keep_it_active)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    mk(&k, &c, 0);
    int32_t cur = 0;
    step(&k, 0, &cur, 1);
    /* No visible messages but 2 in flight: 2 > 0, still active at t=300+. */
    struct keda_decision d = step_us(&k, S(330), &cur, 0, 2);
    cr_assert(d.active);
    cr_assert_eq(d.reason, KEDA_NO_CHANGE);
    cr_assert_eq(cur, 1);
    cr_assert_eq(k.last_active_us, S(330));
    keda_destroy(&k);
}

Test(keda, initial_cooldown)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    c.initial_cooldown_us = S(120);
    /* Created at t=10 with 2 replicas set outside KEDA, never active: the
     * initial cooldown runs to 10 + 120 = 130. Polls at 10, 40, ..., 100
     * cool down; the poll at 130 scales to 0. */
    mk(&k, &c, S(10));
    int32_t cur = 2;
    struct keda_decision d;
    for (int t = 10; t <= 100; t += 30) {
        d = step(&k, t, &cur, 0);
        cr_assert_eq(d.reason, KEDA_COOLDOWN, "t=%d", t);
        cr_assert_eq(cur, 2, "t=%d", t);
    }
    d = step(&k, 130, &cur, 0);
    cr_assert_eq(d.reason, KEDA_DEACTIVATE);
    cr_assert_eq(cur, 0);
    keda_destroy(&k);

    /* Default initial cooldown 0: the first poll already scales to 0. */
    keda_cfg_defaults(&c);
    mk(&k, &c, S(10));
    cur = 2;
    d = step(&k, 10, &cur, 0);
    cr_assert_eq(d.reason, KEDA_DEACTIVATE);
    cr_assert_eq(cur, 0);
    keda_destroy(&k);
}

/* --- cadence -------------------------------------------------------------------- */

Test(keda, polls_every_30s)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    mk(&k, &c, 0);
    cr_assert_eq(keda_next_due_us(&k), INT64_MIN);
    int32_t cur = 0;
    /* t=0: polled, empty queue: stays 0. Next due: min(poll 30, HPA sync 15) = 15. */
    struct keda_decision d = step(&k, 0, &cur, 0);
    cr_assert_eq(d.reason, KEDA_NO_CHANGE);
    cr_assert_eq(keda_next_due_us(&k), S(15));
    /* t=10 and t=29.999999: 5 messages arrive, but no poll is due: still 0. */
    d = step(&k, 10, &cur, 5);
    cr_assert_eq(d.reason, KEDA_NOT_POLLED);
    cr_assert_eq(cur, 0);
    d = step_us(&k, S(30) - 1, &cur, 5, 0);
    cr_assert_eq(d.reason, KEDA_NOT_POLLED);
    cr_assert_eq(cur, 0);
    /* t=30: polled: activate. */
    d = step(&k, 30, &cur, 5);
    cr_assert_eq(d.reason, KEDA_ACTIVATE);
    cr_assert_eq(cur, 1);
    /* The HPA last synced at 30 s - 1 us (due 15 s after its sync at 0), so at
     * t=30 it is not due; next due: min(poll 60, HPA 45 s - 1 us). */
    cr_assert_eq(d.hpa.reason, HPA_NOT_DUE);
    cr_assert_eq(keda_next_due_us(&k), S(45) - 1);
    keda_destroy(&k);
}

/* --- 1 <-> N by the HPA ---------------------------------------------------------- */

Test(keda, hpa_scales_on_ceil_messages_over_queue_length)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    mk(&k, &c, 0);
    int32_t cur = 0;
    /* t=0: 23 messages: activate to 1, HPA up-cap 4 (see above). */
    step(&k, 0, &cur, 23);
    cr_assert_eq(cur, 4);
    /* t=15: 4 replicas, ratio 23 / (5 * 4) = 1.15 > 1.1: ceil(23 / 5) = 5. */
    struct keda_decision d = step(&k, 15, &cur, 23);
    cr_assert_eq(d.reason, KEDA_NOT_POLLED);
    cr_assert_eq(d.hpa.proposal, 5);
    cr_assert_eq(cur, 5);
    /* t=30: 24 messages: 24 / 25 = 0.96 within 0.1: stays 5. */
    d = step(&k, 30, &cur, 24);
    cr_assert_eq(d.hpa.proposal, 5);
    cr_assert_eq(cur, 5);
    /* t=45: 27 messages: 27 / 25 = 1.08 within: stays 5. */
    d = step(&k, 45, &cur, 27);
    cr_assert_eq(cur, 5);
    /* t=60: 28 messages: 28 / 25 = 1.12 outside: ceil(28 / 5) = 6. */
    d = step(&k, 60, &cur, 28);
    cr_assert_eq(d.hpa.proposal, 6);
    cr_assert_eq(cur, 6);
    /* t=75: 10 messages: 10 / 30 = 0.33 -> ceil(10 / 5) = 2, but the 300 s
     * scale-down window keeps the largest recent recommendation (6). */
    d = step(&k, 75, &cur, 10);
    cr_assert_eq(d.hpa.proposal, 2);
    cr_assert_eq(cur, 6);
    /* The recommendation 6 was made at t=60; at t=360 it is exactly one window
     * old and lies outside it ([U] HPA_WINDOW_EXCLUSIVE): only 2s remain. */
    for (int t = 90; t <= 345; t += 15) {
        step(&k, t, &cur, 10);
        cr_assert_eq(cur, 6, "t=%d", t);
    }
    d = step(&k, 360, &cur, 10);
    cr_assert_eq(cur, 2);
    keda_destroy(&k);
}

Test(keda, hpa_scale_down_without_window)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    c.hpa.downscale_window_us = 0;
    mk(&k, &c, 0);
    int32_t cur = 8;
    /* 8 replicas, 12 messages (active, nothing for KEDA to do): ratio
     * 12 / 40 = 0.3 -> ceil(12 / 5) = 3, no window: 3. */
    struct keda_decision d = step(&k, 0, &cur, 12);
    cr_assert_eq(d.reason, KEDA_NO_CHANGE);
    cr_assert_eq(d.hpa.reason, HPA_SCALE_DOWN);
    cr_assert_eq(cur, 3);
    /* 1 message: ceil(1 / 5) = 1 (the HPA's floor max(min 0, 1) = 1). */
    d = step(&k, 15, &cur, 1);
    cr_assert_eq(cur, 1);
    keda_destroy(&k);
}

/* --- min/max -------------------------------------------------------------------- */

Test(keda, max_replicas_caps_the_hpa)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    c.max_replicas = 3;
    mk(&k, &c, 0);
    int32_t cur = 2;
    /* 100 messages: ceil(100 / 5) = 20; legacy cap max(4, 4) = 4; max 3. */
    struct keda_decision d = step(&k, 0, &cur, 100);
    cr_assert_eq(d.hpa.proposal, 20);
    cr_assert_eq(cur, 3);
    cr_assert_eq(d.hpa.limit, HPA_LIMIT_TOO_MANY);
    keda_destroy(&k);
}

Test(keda, min_replicas_above_zero)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    c.min_replicas = 2;
    c.hpa.downscale_window_us = 0;
    mk(&k, &c, 0);
    /* Inactive at 0 replicas with min 2 (no idle count): raised to 2. */
    int32_t cur = 0;
    struct keda_decision d = step(&k, 0, &cur, 0);
    cr_assert_eq(d.reason, KEDA_TO_MIN);
    cr_assert_eq(cur, 2);
    keda_destroy(&k);

    /* Active at 0 replicas: activation goes to max(min 2, 1) = 2. */
    mk(&k, &c, 0);
    cur = 0;
    d = step(&k, 0, &cur, 1);
    cr_assert_eq(d.reason, KEDA_ACTIVATE);
    cr_assert_eq(cur, 2);
    keda_destroy(&k);

    /* Inactive at 5 replicas, min 2: KEDA never scales to zero (min > 0); the
     * HPA proposes ceil(0 / 5) = 0 and clamps to min 2. */
    mk(&k, &c, 0);
    cur = 5;
    d = step(&k, 0, &cur, 0);
    cr_assert_eq(d.reason, KEDA_NO_CHANGE);
    cr_assert_eq(cur, 2);
    cr_assert_eq(d.hpa.limit, HPA_LIMIT_TOO_FEW);
    keda_destroy(&k);
}

Test(keda, idle_replicas)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    c.min_replicas = 3;
    c.has_idle = true;
    c.idle_replicas = 0;
    mk(&k, &c, 0);
    int32_t cur = 0;
    /* Inactive at idle 0: stays (no TO_MIN in idle mode). */
    struct keda_decision d = step(&k, 0, &cur, 0);
    cr_assert_eq(d.reason, KEDA_NO_CHANGE);
    cr_assert_eq(cur, 0);
    /* Active: 0 < min 3: to 3. */
    d = step(&k, 30, &cur, 2);
    cr_assert_eq(d.reason, KEDA_ACTIVATE);
    cr_assert_eq(cur, 3);
    /* Inactive from t=60: cooldown from the last active poll 30 to 330. */
    d = step(&k, 300, &cur, 0);
    cr_assert_eq(d.reason, KEDA_COOLDOWN);
    cr_assert_eq(cur, 3);
    d = step(&k, 330, &cur, 0);
    cr_assert_eq(d.reason, KEDA_DEACTIVATE);
    cr_assert_eq(cur, 0);
    keda_destroy(&k);
}

/* --- errors --------------------------------------------------------------------- */

Test(keda, trigger_error_leaves_the_count)
{
    struct keda_cfg c;
    struct keda k;
    keda_cfg_defaults(&c);
    mk(&k, &c, 0);
    int32_t cur = 0;
    step(&k, 0, &cur, 1);
    cr_assert_eq(cur, 1);
    struct keda_input in;
    memset(&in, 0, sizeof(in));
    in.spec_replicas = 1;
    in.status_replicas = -1;
    in.triggers[0].valid = false;
    /* Long after the cooldown, the scaler fails: inactive with an error, no
     * fallback configured: KEDA leaves the count alone (and the HPA has no
     * valid metric). */
    struct keda_decision d = keda_step(&k, S(1000), &in);
    cr_assert_eq(d.reason, KEDA_TRIGGER_ERROR);
    cr_assert_eq(d.desired, 1);
    cr_assert_eq(d.hpa.reason, HPA_METRICS_INVALID);
    keda_destroy(&k);
}

Test(keda, validation_names_the_field)
{
    struct keda_cfg c;
    struct os_error err = {{0}};
    keda_cfg_defaults(&c);
    cr_assert_eq(keda_cfg_validate(&c, &err), 0, "%s", err.msg);
    c.triggers[0].target_milli = 0;
    cr_assert_eq(keda_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "triggers[0].target_milli") != NULL, "%s", err.msg);
    keda_cfg_defaults(&c);
    c.has_idle = true;
    c.idle_replicas = 0; /* min 0: idle must be < min */
    cr_assert_eq(keda_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "idle_replicas") != NULL, "%s", err.msg);
    keda_cfg_defaults(&c);
    c.polling_interval_us = 0;
    cr_assert_eq(keda_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert_str_eq(keda_reason_name(KEDA_DEACTIVATE), "deactivate");
}
