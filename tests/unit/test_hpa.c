/* Tests of models/autoscale/hpa: the tolerance band, the ceil formula and the
 * integer utilisation, missing metrics and not-ready pods on scale-up and
 * scale-down, the direction-flip rules, several metrics, Object/External
 * targets, the scale-down stabilisation window, the scale-up and scale-down
 * policies (Max/Min/Disabled, periods longer than a sync), min/max clamps,
 * the sync cadence, pod grouping and validation. Every expected count is
 * worked out by hand in the comment beside it. Unless said otherwise the HPA
 * has no behavior (the controller's legacy path), tolerance 0.1, syncs every
 * 15 s and a 300 s scale-down window. */
#include <criterion/criterion.h>
#include <string.h>

#include "models/autoscale/hpa.h"

#define S(x) ((int64_t)(x)*HPA_US_PER_S)

/* One Resource cpu Utilization metric with `target` percent. */
static void cfg_util(struct hpa_cfg *c, int32_t min, int32_t max, int32_t target)
{
    hpa_cfg_defaults(c);
    c->spec.min_replicas = min;
    c->spec.max_replicas = max;
    c->spec.metrics[0].target_utilization = target;
}

/* One External metric with target type `type` and target `target_milli`. */
static void cfg_external(struct hpa_cfg *c, int32_t min, int32_t max, enum hpa_target type,
                         int64_t target_milli)
{
    hpa_cfg_defaults(c);
    c->spec.min_replicas = min;
    c->spec.max_replicas = max;
    c->spec.metrics[0] = (struct hpa_metric_spec){
        .source = HPA_SOURCE_EXTERNAL, .target = type, .target_milli = target_milli};
}

static void mk(struct hpa *h, const struct hpa_cfg *c)
{
    struct os_error err = {{0}};
    cr_assert_eq(hpa_init(h, c, &err), 0, "%s", err.msg);
}

/* Metric 0 seen through pods: `ready` pods with usage sum `usage` and
 * request sum `req`, plus not-ready and missing pods with their requests. */
static struct hpa_input in_pods(int32_t spec, uint32_t ready, int64_t usage, int64_t req,
                                uint32_t unready, int64_t unready_req, uint32_t missing,
                                int64_t missing_req)
{
    struct hpa_input in;
    memset(&in, 0, sizeof(in));
    in.spec_replicas = spec;
    in.status_replicas = -1;
    in.pods_total = spec;
    in.pods_ready = (int32_t)ready;
    in.metrics[0].valid = true;
    in.metrics[0].pods =
        (struct hpa_pods){ready, usage, req, unready, unready_req, missing, missing_req};
    return in;
}

/* Metric 0 as an Object/External value; every pod exists and is ready. */
static struct hpa_input in_value(int32_t spec, int64_t value_milli)
{
    struct hpa_input in;
    memset(&in, 0, sizeof(in));
    in.spec_replicas = spec;
    in.status_replicas = -1;
    in.pods_total = spec;
    in.pods_ready = spec;
    in.metrics[0].valid = true;
    in.metrics[0].value_milli = value_milli;
    return in;
}

/* One sync at `t` s with an External reading on a target at *cur replicas;
 * applies the decision to *cur. */
static struct hpa_decision sync_value(struct hpa *h, int t, int32_t *cur, int64_t value_milli)
{
    struct hpa_input in = in_value(*cur, value_milli);
    struct hpa_decision d = hpa_step(h, S(t), &in);
    *cur = d.desired;
    return d;
}

/* --- tolerance and the ceil formula ------------------------------------------- */

Test(hpa, tolerance_band_109_is_a_noop_111_scales)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_util(&c, 1, 100, 100);

    /* 10 ready pods requesting 1000m each (10000m), target 100 %.
     * usage 10900m: utilisation = floor(100 * 10900 / 10000) = 109 %, ratio
     * 1.09, |1.09 - 1| = 0.09 <= 0.1: no change. */
    mk(&h, &c);
    struct hpa_input in = in_pods(10, 10, 10900, 10000, 0, 0, 0, 0);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.reason, HPA_NO_CHANGE);
    cr_assert_eq(d.proposal, 10);
    cr_assert_eq(d.desired, 10);
    hpa_destroy(&h);

    /* Exactly 110 %: 110 / 100 = 1.1 <= 1 + 0.1 (the band is closed): no change. */
    mk(&h, &c);
    in = in_pods(10, 10, 11000, 10000, 0, 0, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.reason, HPA_NO_CHANGE);
    cr_assert_eq(d.desired, 10);
    hpa_destroy(&h);

    /* usage 11100m: 111 %, ratio 1.11 > 1.1: desired = ceil(1.11 * 10 ready) =
     * ceil(11.1) = 12, under the legacy cap max(2 * 10, 4) = 20. */
    mk(&h, &c);
    in = in_pods(10, 10, 11100, 10000, 0, 0, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.reason, HPA_SCALE_UP);
    cr_assert_eq(d.proposal, 12);
    cr_assert_eq(d.desired, 12);
    cr_assert_eq(d.limit, HPA_LIMIT_NONE);
    hpa_destroy(&h);

    /* Downwards: 91 % (ratio 0.91, 0.09 off) proposes 10; 89 % (0.11 off)
     * proposes ceil(0.89 * 10) = ceil(8.9) = 9. */
    mk(&h, &c);
    in = in_pods(10, 10, 9100, 10000, 0, 0, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 10);
    hpa_destroy(&h);
    mk(&h, &c);
    in = in_pods(10, 10, 8900, 10000, 0, 0, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 9);
    /* ...but a new HPA records the current 10 as its first recommendation, and
     * the 300 s window keeps the largest: stabilised max(9, 10) = 10. */
    cr_assert_eq(d.stabilized, 10);
    cr_assert_eq(d.desired, 10);
    cr_assert_eq(d.reason, HPA_NO_CHANGE);
    hpa_destroy(&h);
}

Test(hpa, ceil_formula_and_integer_utilisation)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_util(&c, 1, 100, 50);

    /* 4 pods, request 4000m, usage 3000m: floor(100 * 3000 / 4000) = 75 %;
     * ratio 75 / 50 = 1.5; desired = ceil(1.5 * 4) = 6. */
    mk(&h, &c);
    struct hpa_input in = in_pods(4, 4, 3000, 4000, 0, 0, 0, 0);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.desired, 6);
    hpa_destroy(&h);

    /* 3 pods, request 3000m, usage 2100m: 70 %, ratio 1.4, ceil(4.2) = 5. */
    mk(&h, &c);
    in = in_pods(3, 3, 2100, 3000, 0, 0, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.desired, 5);
    hpa_destroy(&h);

    /* The percentage is truncated to an integer before the ratio (as in
     * GetResourceUtilizationRatio). Target 100 %, 3 pods, request 3000m:
     * usage 3330m -> floor(111.0) = 111 %, ratio 1.11, ceil(3.33) = 4;
     * usage 3329m -> floor(110.97) = 110 %, ratio 1.10, inside the band: 3. */
    cfg_util(&c, 1, 100, 100);
    mk(&h, &c);
    in = in_pods(3, 3, 3330, 3000, 0, 0, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.desired, 4);
    hpa_destroy(&h);
    mk(&h, &c);
    in = in_pods(3, 3, 3329, 3000, 0, 0, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.desired, 3);
    cr_assert_eq(d.reason, HPA_NO_CHANGE);
    hpa_destroy(&h);
}

Test(hpa, pods_average_value_and_the_legacy_scale_up_cap)
{
    struct hpa_cfg c;
    struct hpa h;
    hpa_cfg_defaults(&c);
    c.spec.max_replicas = 100;
    c.spec.metrics[0] = (struct hpa_metric_spec){
        .source = HPA_SOURCE_PODS, .target = HPA_TARGET_AVERAGE_VALUE, .target_milli = 100};
    mk(&h, &c);
    /* 4 pods with samples summing 1000m: average floor(1000 / 4) = 250m;
     * ratio 250 / 100 = 2.5; proposal ceil(2.5 * 4) = 10. Without a behavior
     * the controller caps a scale-up at max(2 * 4, 4) = 8. */
    struct hpa_input in = in_pods(4, 4, 1000, 0, 0, 0, 0, 0);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 10);
    cr_assert_eq(d.desired, 8);
    cr_assert_eq(d.limit, HPA_LIMIT_SCALE_UP_RATE);
    hpa_destroy(&h);
}

/* --- missing metrics and not-ready pods ---------------------------------------- */

Test(hpa, missing_metrics_count_as_zero_on_scale_up)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_util(&c, 1, 100, 100);

    /* spec 10: 5 ready pods at 200 % (usage 10000m of 5000m), 5 pods without
     * metrics (5000m requested). First ratio 2.0 > 1: scale-up, so missing
     * pods count as 0 %: floor(100 * 10000 / 10000) = 100 %, ratio 1.0, inside
     * the band: no change. (Plain ceil(10 * 2.0) would give 20.) */
    mk(&h, &c);
    struct hpa_input in = in_pods(10, 5, 10000, 5000, 0, 0, 5, 5000);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 10);
    cr_assert_eq(d.desired, 10);
    hpa_destroy(&h);

    /* Same with the ready pods at 300 % (15000m): 15000 / 10000 = 150 %,
     * ratio 1.5, desired = ceil(1.5 * 10 pods counted) = 15. Had the missing
     * pods counted as 100 %, it would be 200 % -> 20. */
    mk(&h, &c);
    in = in_pods(10, 5, 15000, 5000, 0, 0, 5, 5000);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 15);
    cr_assert_eq(d.desired, 15);
    hpa_destroy(&h);
}

Test(hpa, missing_metrics_count_as_target_on_scale_down)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_util(&c, 1, 100, 100);
    c.ctrl.downscale_window_us = 0; /* see the proposal applied at once */

    /* spec 10: 5 ready pods at 20 % (1000m of 5000m), 5 missing (5000m).
     * First ratio 0.2 < 1: scale-down, so missing pods count as 100 % of
     * their request: (1000 + 5000) / 10000 = 60 %, ratio 0.6, desired =
     * ceil(0.6 * 10) = 6. (At 0 % it would be 10 % -> 1.) */
    mk(&h, &c);
    struct hpa_input in = in_pods(10, 5, 1000, 5000, 0, 0, 5, 5000);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 6);
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.reason, HPA_SCALE_DOWN);
    hpa_destroy(&h);

    /* Target 150 %: missing pods count as max(100, 150) = 150 % of their
     * request. spec 4: 2 ready at 50 % (1000m of 2000m), 2 missing (2000m).
     * First ratio 50 / 150 = 0.333; then usage 1000 + 2000 * 1.5 = 4000m of
     * 4000m = 100 %, ratio 100 / 150 = 0.667, desired ceil(0.667 * 4) = 3. */
    cfg_util(&c, 1, 100, 150);
    c.ctrl.downscale_window_us = 0;
    mk(&h, &c);
    in = in_pods(4, 2, 1000, 2000, 0, 0, 2, 2000);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 3);
    hpa_destroy(&h);
}

Test(hpa, not_ready_pods_count_as_zero_on_scale_up_and_are_left_out_on_scale_down)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_util(&c, 1, 100, 100);
    c.ctrl.downscale_window_us = 0;

    /* spec 10: 5 ready pods at 200 % (10000m of 5000m), 5 not ready (5000m
     * requested). Ratio 2.0 > 1 with not-ready pods: they count as 0 %,
     * 10000 / 10000 = 100 %, inside the band: no change (plain: 20). */
    mk(&h, &c);
    struct hpa_input in = in_pods(10, 5, 10000, 5000, 5, 5000, 0, 0);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.desired, 10);
    cr_assert_eq(d.reason, HPA_NO_CHANGE);
    hpa_destroy(&h);

    /* Ready pods at 300 %: 15000 / 10000 = 150 %, ceil(1.5 * 10) = 15. */
    mk(&h, &c);
    in = in_pods(10, 5, 15000, 5000, 5, 5000, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.desired, 15);
    hpa_destroy(&h);

    /* Scale-down: not-ready pods are simply not counted. 5 ready at 20 %
     * (1000m of 5000m), 5 not ready: ratio 0.2, no missing pods, so desired =
     * ceil(0.2 * 5 ready) = 1. */
    mk(&h, &c);
    in = in_pods(10, 5, 1000, 5000, 5, 5000, 0, 0);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 1);
    cr_assert_eq(d.desired, 1);
    hpa_destroy(&h);
}

Test(hpa, direction_flip_is_a_noop)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_util(&c, 1, 100, 100);
    c.ctrl.downscale_window_us = 0;

    /* Up then down: spec 4, 2 ready at 150 % (3000m of 2000m), 2 missing
     * (2000m). Ratio 1.5 says up; missing at 0 %: 3000 / 4000 = 75 %, ratio
     * 0.75 says down: the direction flipped, keep 4. */
    mk(&h, &c);
    struct hpa_input in = in_pods(4, 2, 3000, 2000, 0, 0, 2, 2000);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 4);
    cr_assert_eq(d.desired, 4);
    hpa_destroy(&h);

    /* Down then up: target 50 %, spec 2, 1 ready at 40 % (400m of 1000m),
     * 1 missing (1000m). Ratio 40 / 50 = 0.8 says down; missing at
     * max(100, 50) = 100 %: 1400 / 2000 = 70 %, ratio 1.4 says up: keep 2. */
    cfg_util(&c, 1, 100, 50);
    c.ctrl.downscale_window_us = 0;
    mk(&h, &c);
    in = in_pods(2, 1, 400, 1000, 0, 0, 1, 1000);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 2);
    hpa_destroy(&h);

    /* The pod count flips it: spec 2 but 4 pods seen (2 ready at 70 %:
     * 1400m of 2000m; 2 missing, 2000m). Ratio 0.7, down; missing at 100 %:
     * 3400 / 4000 = 85 %, ratio 0.85, still down and outside the band, but
     * ceil(0.85 * 4) = ceil(3.4) = 4 > 2 would scale up: keep 2. */
    cfg_util(&c, 1, 100, 100);
    c.ctrl.downscale_window_us = 0;
    mk(&h, &c);
    in = in_pods(2, 2, 1400, 2000, 0, 0, 2, 2000);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 2);
    cr_assert_eq(d.desired, 2);
    hpa_destroy(&h);
}

/* --- several metrics and invalid metrics -------------------------------------- */

/* Three metrics: cpu Utilization 50 %, a Pods AverageValue of 100m and an
 * External Value of 1000m. */
static void cfg_three(struct hpa_cfg *c)
{
    cfg_util(c, 1, 100, 50);
    c->spec.nmetrics = 3;
    c->spec.metrics[1] = (struct hpa_metric_spec){
        .source = HPA_SOURCE_PODS, .target = HPA_TARGET_AVERAGE_VALUE, .target_milli = 100};
    c->spec.metrics[2] = (struct hpa_metric_spec){
        .source = HPA_SOURCE_EXTERNAL, .target = HPA_TARGET_VALUE, .target_milli = 1000};
}

static struct hpa_input in_three(void)
{
    /* spec 4, all 4 pods ready. cpu: 3000m of 4000m = 75 %, ratio 1.5 ->
     * ceil(6.0) = 6. Pods: 800m over 4 pods = 200m, ratio 2.0 -> ceil(8.0) = 8.
     * External: 500m / 1000m = 0.5 -> ceil(0.5 * 4 ready) = 2. */
    struct hpa_input in = in_pods(4, 4, 3000, 4000, 0, 0, 0, 0);
    in.metrics[1].valid = true;
    in.metrics[1].pods = (struct hpa_pods){.ready = 4, .ready_sum_milli = 800};
    in.metrics[2].valid = true;
    in.metrics[2].value_milli = 500;
    return in;
}

Test(hpa, several_metrics_take_the_largest_proposal)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_three(&c);
    mk(&h, &c);
    struct hpa_input in = in_three();
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposals[0], 6);
    cr_assert_eq(d.proposals[1], 8);
    cr_assert_eq(d.proposals[2], 2);
    /* max(6, 8, 2) = 8 from metric 1; cap max(2 * 4, 4) = 8. */
    cr_assert_eq(d.proposal, 8);
    cr_assert_eq(d.metric, 1);
    cr_assert_eq(d.desired, 8);
    hpa_destroy(&h);
}

Test(hpa, invalid_metrics_block_scale_down_but_not_scale_up)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_three(&c);

    /* Metric 1 fails: max(6, 2) = 6 >= current 4, so the HPA still scales to 6. */
    mk(&h, &c);
    struct hpa_input in = in_three();
    in.metrics[1].valid = false;
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.invalid, 1);
    cr_assert_eq(d.proposals[1], -1);
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.reason, HPA_SCALE_UP);
    hpa_destroy(&h);

    /* Metric 1 fails and cpu drops to 25 % (1000m of 4000m: ratio 0.5 ->
     * ceil(2.0) = 2): max(2, 2) = 2 < 4, a scale-down with a metric missing:
     * the controller refuses to act. */
    mk(&h, &c);
    in = in_three();
    in.metrics[1].valid = false;
    in.metrics[0].pods.ready_sum_milli = 1000;
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.reason, HPA_METRICS_INVALID);
    cr_assert_eq(d.proposal, 2);
    cr_assert_eq(d.desired, 4);
    hpa_destroy(&h);

    /* All invalid: cpu has no ready pod with a sample, Pods and External fail. */
    mk(&h, &c);
    in = in_three();
    in.metrics[0].pods = (struct hpa_pods){.missing = 4, .missing_request_milli = 4000};
    in.metrics[1].valid = false;
    in.metrics[2].valid = false;
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.reason, HPA_METRICS_INVALID);
    cr_assert_eq(d.invalid, 3);
    cr_assert_eq(d.proposal, -1);
    cr_assert_eq(d.desired, 4);
    hpa_destroy(&h);
}

/* --- Object and External targets ----------------------------------------------- */

Test(hpa, external_average_value_is_ceil_total_over_target)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_external(&c, 1, 100, HPA_TARGET_AVERAGE_VALUE, 5000);
    c.ctrl.downscale_window_us = 0;

    /* 23 messages (23000m), target 5 per pod, 3 replicas: ratio 23000 /
     * (5000 * 3) = 1.53, outside the band: ceil(23000 / 5000) = ceil(4.6) = 5
     * (under the legacy cap max(2 * 3, 4) = 6). */
    mk(&h, &c);
    struct hpa_input in = in_value(3, 23000);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.desired, 5);
    hpa_destroy(&h);

    /* With 5 replicas: 23000 / 25000 = 0.92, inside the band: keep the status
     * count 5. With 4: 23000 / 20000 = 1.15: ceil(4.6) = 5. */
    mk(&h, &c);
    in = in_value(5, 23000);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 5);
    cr_assert_eq(d.reason, HPA_NO_CHANGE);
    hpa_destroy(&h);
    mk(&h, &c);
    in = in_value(4, 23000);
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.desired, 5);
    hpa_destroy(&h);

    /* The band is judged on status.replicas, and inside it the proposal is
     * the status count: spec 4 with 5 pods (status 5): 23000 / (5000 * 5) =
     * 0.92, inside: proposal 5, so the HPA sets spec to 5. */
    mk(&h, &c);
    in = in_value(4, 23000);
    in.status_replicas = 5;
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 5);
    cr_assert_eq(d.desired, 5);
    hpa_destroy(&h);
}

Test(hpa, external_and_object_value_scale_with_ready_pods)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_external(&c, 1, 100, HPA_TARGET_VALUE, 5000);
    /* Value target 5000m in total, reading 23000m: ratio 4.6; spec 3, 3 ready:
     * ceil(4.6 * 3) = ceil(13.8) = 14, capped by max(2 * 3, 4) = 6. */
    mk(&h, &c);
    struct hpa_input in = in_value(3, 23000);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 14);
    cr_assert_eq(d.desired, 6);
    hpa_destroy(&h);

    /* Object Value, only 2 of the 3 pods ready: ceil(4.6 * 2) = ceil(9.2) = 10. */
    c.spec.metrics[0].source = HPA_SOURCE_OBJECT;
    mk(&h, &c);
    in = in_value(3, 23000);
    in.pods_ready = 2;
    d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 10);
    hpa_destroy(&h);
}

Test(hpa, scale_to_zero_needs_the_feature_gate)
{
    struct hpa_cfg c;
    struct hpa h;
    struct os_error err = {{0}};
    cfg_external(&c, 0, 10, HPA_TARGET_VALUE, 1000);
    cr_assert_eq(hpa_init(&h, &c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "spec.min_replicas") != NULL, "%s", err.msg);

    /* With HPAScaleToZero and min 0, a target at 0 is evaluated: Value
     * target 1000m, reading 2500m, current 0 -> ceil(2.5) = 3 (cap max(0, 4)). */
    c.spec.scale_to_zero = true;
    c.ctrl.downscale_window_us = 0;
    mk(&h, &c);
    int32_t cur = 0;
    struct hpa_decision d = sync_value(&h, 0, &cur, 2500);
    cr_assert_eq(d.desired, 3);
    /* Reading 0 at 3 replicas: ratio 0 -> ceil(0 * 3) = 0 = min: scale to zero. */
    d = sync_value(&h, 15, &cur, 0);
    cr_assert_eq(d.desired, 0);
    cr_assert_eq(d.reason, HPA_SCALE_DOWN);
    hpa_destroy(&h);

    /* Without the gate (min 1) a target at 0 is left alone. */
    cfg_external(&c, 1, 10, HPA_TARGET_VALUE, 1000);
    mk(&h, &c);
    cur = 0;
    d = sync_value(&h, 0, &cur, 2500);
    cr_assert_eq(d.reason, HPA_DISABLED);
    cr_assert_eq(d.desired, 0);
    hpa_destroy(&h);
}

/* --- stabilisation --------------------------------------------------------------- */

/* External AverageValue target 1000m: a reading of V milli proposes
 * ceil(V / 1000) unless V is within 10 % of 1000 * current. The sequence of
 * recommendations, with the 300 s scale-down window (exclusive at its start):
 *   t=0    current 10, V=10000 -> 10 (plus the initial recommendation 10)
 *   t=15   V=8000 -> 8     window max(8, 10, 10) = 10
 *   t=30,45  V=3000 -> 3   max = 10
 *   t=60   V=6000 -> 6     max = 10
 *   t=75..285 V=3000 -> 3  max = 10 (the t=0 entries are still inside)
 *   t=300  -> 3; window (0, 300]: the t=0 entries are out; max(8 @15, 6, 3) = 8
 *   t=315  current 8, -> 3; window (15, 315]: max(6 @60, 3) = 6
 *   t=330, 345 -> 6 (t=60 still inside)
 *   t=360  window (60, 360]: only 3s -> 3. */
static void run_stabilization(bool behavior)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_external(&c, 1, 100, HPA_TARGET_AVERAGE_VALUE, 1000);
    c.spec.has_behavior = behavior; /* the defaults: same counts as the legacy path */
    mk(&h, &c);
    int32_t cur = 10;
    struct hpa_decision d;
    for (int t = 0; t <= 285; t += 15) {
        int64_t v = t == 0 ? 10000 : t == 15 ? 8000 : t == 60 ? 6000 : 3000;
        d = sync_value(&h, t, &cur, v);
        cr_assert_eq(d.desired, 10, "t=%d: desired %d", t, d.desired);
    }
    cr_assert_eq(d.proposal, 3);
    cr_assert_eq(d.stabilized, 10);
    d = sync_value(&h, 300, &cur, 3000);
    cr_assert_eq(d.stabilized, 8);
    cr_assert_eq(d.desired, 8);
    cr_assert_eq(d.reason, HPA_SCALE_DOWN);
    d = sync_value(&h, 315, &cur, 3000);
    cr_assert_eq(d.proposal, 3); /* 3000 / 8000 = 0.375 -> ceil(3.0) = 3 */
    cr_assert_eq(d.desired, 6);
    d = sync_value(&h, 330, &cur, 3000);
    cr_assert_eq(d.desired, 6);
    d = sync_value(&h, 345, &cur, 3000);
    cr_assert_eq(d.desired, 6);
    d = sync_value(&h, 360, &cur, 3000);
    cr_assert_eq(d.desired, 3);
    hpa_destroy(&h);
}

Test(hpa, scale_down_stabilization_over_300s)
{
    run_stabilization(false);
}

Test(hpa, scale_down_stabilization_with_default_behavior)
{
    run_stabilization(true);
}

Test(hpa, scale_up_stabilization_window_takes_the_minimum)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_external(&c, 1, 100, HPA_TARGET_AVERAGE_VALUE, 1000);
    c.spec.has_behavior = true;
    c.spec.behavior.up.window_us = S(60);
    c.spec.behavior.down.window_us = 0;
    mk(&h, &c);
    int32_t cur = 2;
    /* t=0: V=8000 -> 8. Up window (-60, 0] holds the initial 2 and 8: min 2,
     * so the stabilised count stays at current 2. */
    struct hpa_decision d = sync_value(&h, 0, &cur, 8000);
    cr_assert_eq(d.proposal, 8);
    cr_assert_eq(d.desired, 2);
    /* t=15, 30, 45: still 8, the initial 2 is inside (-60+t, t]: stay at 2. */
    for (int t = 15; t <= 45; t += 15) {
        d = sync_value(&h, t, &cur, 8000);
        cr_assert_eq(d.desired, 2, "t=%d", t);
    }
    /* t=60: window (0, 60] holds only 8s: min 8; default up policies allow
     * max(2 + 4, 2 * 2) = 6: desired 6 (rate-limited). */
    d = sync_value(&h, 60, &cur, 8000);
    cr_assert_eq(d.stabilized, 8);
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.limit, HPA_LIMIT_SCALE_UP_RATE);
    hpa_destroy(&h);
}

/* --- policies ------------------------------------------------------------------ */

/* An External AverageValue HPA (target 1000m, max 100) with a behavior
 * whose scale-up rules are set by the caller; the reading 40000m always
 * proposes ceil(40) = 40. Returns the desired counts of syncs every 15 s. */
static void run_up(const struct hpa_rules *up, int nsyncs, int32_t *out)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_external(&c, 1, 100, HPA_TARGET_AVERAGE_VALUE, 1000);
    if (up) {
        c.spec.has_behavior = true;
        c.spec.behavior.up = *up;
    }
    mk(&h, &c);
    int32_t cur = 1;
    for (int i = 0; i < nsyncs; i++)
        out[i] = sync_value(&h, 15 * i, &cur, 40000).desired;
    hpa_destroy(&h);
}

Test(hpa, scale_up_policies_select_max_min_disabled)
{
    struct hpa_behavior b;
    int32_t got[6];
    hpa_behavior_defaults(&b);

    /* Default (Pods 4 and Percent 100 per 15 s, Max): the start count of each
     * period is the current one (the previous sync's event is exactly 15 s
     * old, so outside the period).
     *   1 -> max(1+4, ceil(1*2)) = 5 -> max(9, 10) = 10 -> max(14, 20) = 20
     *   -> max(24, 40) = 40 (the proposal). */
    run_up(&b.up, 4, got);
    cr_assert_eq(got[0], 5);
    cr_assert_eq(got[1], 10);
    cr_assert_eq(got[2], 20);
    cr_assert_eq(got[3], 40);

    /* Min: 1 -> min(5, 2) = 2 -> min(6, 4) = 4 -> min(8, 8) = 8 -> min(12, 16)
     * = 12 -> min(16, 24) = 16 -> min(20, 32) = 20. */
    b.up.select = HPA_SELECT_MIN;
    run_up(&b.up, 6, got);
    cr_assert_eq(got[0], 2);
    cr_assert_eq(got[1], 4);
    cr_assert_eq(got[2], 8);
    cr_assert_eq(got[3], 12);
    cr_assert_eq(got[4], 16);
    cr_assert_eq(got[5], 20);

    /* Disabled: never above 1. */
    b.up.select = HPA_SELECT_DISABLED;
    run_up(&b.up, 3, got);
    cr_assert_eq(got[0], 1);
    cr_assert_eq(got[2], 1);

    /* No behavior (legacy): max(2 * current, 4) per sync:
     * 1 -> 4 -> 8 -> 16 -> 32 -> 40. */
    run_up(NULL, 5, got);
    cr_assert_eq(got[0], 4);
    cr_assert_eq(got[1], 8);
    cr_assert_eq(got[2], 16);
    cr_assert_eq(got[3], 32);
    cr_assert_eq(got[4], 40);
}

Test(hpa, scale_up_policy_period_longer_than_a_sync)
{
    struct hpa_rules up;
    int32_t got[9];
    memset(&up, 0, sizeof(up));
    up.window_us = 0;
    up.select = HPA_SELECT_MAX;
    up.tolerance = HPA_UNSET;
    up.npolicies = 1;
    up.policies[0] = (struct hpa_policy){HPA_POLICY_PODS, 4, S(60)};
    /* Pods 4 per 60 s, syncs every 15 s:
     *   t=0:  start 1 -> 5 (event +4 at 0)
     *   t=15, 30, 45: the t=0 event is inside (t-60, t]: start 5 - 4 = 1,
     *         limit 5 = current: stay at 5
     *   t=60: the t=0 event is out: start 5 -> 9 (event +4 at 60)
     *   t=75..105: start 9 - 4 = 5 -> limit 9: stay
     *   t=120: -> 13. */
    run_up(&up, 9, got);
    int32_t want[9] = {5, 5, 5, 5, 9, 9, 9, 9, 13};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(got[i], want[i], "sync %d (t=%d): %d, want %d", i, 15 * i, got[i], want[i]);
}

Test(hpa, scale_down_policies)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_external(&c, 1, 100, HPA_TARGET_AVERAGE_VALUE, 1000);
    c.spec.has_behavior = true;
    c.spec.behavior.down.window_us = 0;
    c.spec.behavior.down.npolicies = 1;
    c.spec.behavior.down.policies[0] = (struct hpa_policy){HPA_POLICY_PODS, 1, S(60)};
    mk(&h, &c);
    int32_t cur = 10;
    /* Reading 2000m proposes 2 (ratio 2000 / 10000 = 0.2 -> ceil(2.0)).
     * Pods 1 per 60 s: t=0: start 10 -> floor 9: desired 9 (event -1 at 0). */
    struct hpa_decision d = sync_value(&h, 0, &cur, 2000);
    cr_assert_eq(d.desired, 9);
    cr_assert_eq(d.limit, HPA_LIMIT_SCALE_DOWN_RATE);
    /* t=15..45: the event at 0 is inside the period: start 9 + 1 = 10, floor 9. */
    for (int t = 15; t <= 45; t += 15) {
        d = sync_value(&h, t, &cur, 2000);
        cr_assert_eq(d.desired, 9, "t=%d", t);
        cr_assert_eq(d.reason, HPA_NO_CHANGE);
    }
    /* t=60: the event is out: start 9, floor 8. */
    d = sync_value(&h, 60, &cur, 2000);
    cr_assert_eq(d.desired, 8);
    hpa_destroy(&h);

    /* Two policies, Percent 50 and Pods 3 per 15 s, from 10 with proposal 2:
     * Percent floor trunc(10 * 0.5) = 5, Pods floor 10 - 3 = 7.
     * Max (largest change) -> 5; Min (smallest change) -> 7. */
    c.spec.behavior.down.npolicies = 2;
    c.spec.behavior.down.policies[0] = (struct hpa_policy){HPA_POLICY_PERCENT, 50, S(15)};
    c.spec.behavior.down.policies[1] = (struct hpa_policy){HPA_POLICY_PODS, 3, S(15)};
    mk(&h, &c);
    cur = 10;
    d = sync_value(&h, 0, &cur, 2000);
    cr_assert_eq(d.desired, 5);
    /* Next sync: the event is 15 s old (out): 5 -> max(trunc(2.5), 2) = 2. */
    d = sync_value(&h, 15, &cur, 2000);
    cr_assert_eq(d.desired, 2);
    hpa_destroy(&h);
    c.spec.behavior.down.select = HPA_SELECT_MIN;
    mk(&h, &c);
    cur = 10;
    d = sync_value(&h, 0, &cur, 2000);
    cr_assert_eq(d.desired, 7);
    hpa_destroy(&h);
    c.spec.behavior.down.select = HPA_SELECT_DISABLED;
    mk(&h, &c);
    cur = 10;
    d = sync_value(&h, 0, &cur, 2000);
    cr_assert_eq(d.desired, 10);
    cr_assert_eq(d.limit, HPA_LIMIT_SCALE_DOWN_RATE);
    hpa_destroy(&h);
}

Test(hpa, per_direction_tolerance_with_behavior)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_util(&c, 1, 100, 100);
    c.spec.has_behavior = true;
    c.spec.behavior.up.tolerance = 0.2;
    mk(&h, &c);
    /* 115 %: ratio 1.15 <= 1 + 0.2: no change (with 0.1 it would be ceil(11.5) = 12). */
    struct hpa_input in = in_pods(10, 10, 11500, 10000, 0, 0, 0, 0);
    struct hpa_decision d = hpa_step(&h, 0, &in);
    cr_assert_eq(d.proposal, 10);
    hpa_destroy(&h);
}

/* --- min/max clamps ------------------------------------------------------------ */

Test(hpa, min_max_clamps)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_external(&c, 2, 6, HPA_TARGET_AVERAGE_VALUE, 1000);
    c.ctrl.downscale_window_us = 0;

    /* Current 8 > max 6: set to 6 without looking at the metrics. */
    mk(&h, &c);
    int32_t cur = 8;
    struct hpa_decision d = sync_value(&h, 0, &cur, 0);
    cr_assert_eq(d.reason, HPA_ABOVE_MAX);
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.proposal, -1);
    hpa_destroy(&h);

    /* Current 1 < min 2: set to 2. */
    mk(&h, &c);
    cur = 1;
    d = sync_value(&h, 0, &cur, 40000);
    cr_assert_eq(d.reason, HPA_BELOW_MIN);
    cr_assert_eq(d.desired, 2);
    hpa_destroy(&h);

    /* Current 0 with min 2: autoscaling disabled, stays 0. */
    mk(&h, &c);
    cur = 0;
    d = sync_value(&h, 0, &cur, 40000);
    cr_assert_eq(d.reason, HPA_DISABLED);
    cr_assert_eq(d.desired, 0);
    hpa_destroy(&h);

    /* Current 4, proposal 40: the legacy cap max(8, 4) = 8 is above max 6:
     * TooManyReplicas, 6. */
    mk(&h, &c);
    cur = 4;
    d = sync_value(&h, 0, &cur, 40000);
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.limit, HPA_LIMIT_TOO_MANY);
    hpa_destroy(&h);

    /* Current 4, reading 0: proposal ceil(0) = 0 < min 2: TooFewReplicas, 2. */
    mk(&h, &c);
    cur = 4;
    d = sync_value(&h, 0, &cur, 0);
    cr_assert_eq(d.proposal, 0);
    cr_assert_eq(d.desired, 2);
    cr_assert_eq(d.limit, HPA_LIMIT_TOO_FEW);
    hpa_destroy(&h);

    /* The same two with the default behavior. */
    c.spec.has_behavior = true;
    c.spec.behavior.down.window_us = 0;
    mk(&h, &c);
    cur = 4;
    d = sync_value(&h, 0, &cur, 40000); /* policies allow max(8, 8) = 8 > max 6 */
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.limit, HPA_LIMIT_TOO_MANY);
    hpa_destroy(&h);
    mk(&h, &c);
    cur = 4;
    d = sync_value(&h, 0, &cur, 0); /* Percent 100 allows 0; min 2 wins */
    cr_assert_eq(d.desired, 2);
    cr_assert_eq(d.limit, HPA_LIMIT_TOO_FEW);
    hpa_destroy(&h);
}

/* --- cadence ------------------------------------------------------------------- */

Test(hpa, syncs_only_every_sync_period)
{
    struct hpa_cfg c;
    struct hpa h;
    cfg_external(&c, 1, 100, HPA_TARGET_AVERAGE_VALUE, 1000);
    mk(&h, &c);
    cr_assert_eq(hpa_next_due_us(&h), INT64_MIN);
    int32_t cur = 1;
    struct hpa_decision d = sync_value(&h, 0, &cur, 40000);
    cr_assert_eq(d.desired, 4); /* legacy cap max(2, 4) = 4 */
    cr_assert_eq(hpa_next_due_us(&h), S(15));
    /* t=10: not due; nothing changes and no recommendation is recorded. */
    d = sync_value(&h, 10, &cur, 40000);
    cr_assert_eq(d.reason, HPA_NOT_DUE);
    cr_assert_eq(d.desired, 4);
    cr_assert_eq(d.proposal, -1);
    /* t=15: due: 4 -> 8. */
    d = sync_value(&h, 15, &cur, 40000);
    cr_assert_eq(d.desired, 8);
    /* Going back in time is never due. */
    d = sync_value(&h, 5, &cur, 40000);
    cr_assert_eq(d.reason, HPA_NOT_DUE);
    hpa_destroy(&h);
}

/* --- pod grouping --------------------------------------------------------------- */

Test(hpa, pods_classify_follows_group_pods)
{
    struct hpa_ctrl_cfg c;
    hpa_ctrl_defaults(&c); /* CPU init 300 s, readiness delay 30 s */
    int64_t now = S(1000);
    struct hpa_pod base = {
        .phase = HPA_POD_RUNNING,
        .ready = true,
        .start_us = now - S(600),
        .ready_change_us = now - S(590),
        .has_sample = true,
        .sample_milli = 500,
        .sample_time_us = now,
        .sample_window_us = S(30),
        .request_milli = 1000,
    };
    struct hpa_pod p[9];
    for (int i = 0; i < 9; i++)
        p[i] = base;
    /* 0: an ordinary ready pod: ready. */
    /* 1: deleting: ignored. 2: failed: ignored. */
    p[1].deleting = true;
    p[2].phase = HPA_POD_FAILED;
    /* 3: pending: not ready. */
    p[3].phase = HPA_POD_PENDING;
    /* 4: running without a sample: missing. */
    p[4].has_sample = false;
    /* 5: started 60 s ago (inside the 300 s CPU window), Ready since 50 s ago;
     * the sample's window began at now - 30 s, after it became ready: ready. */
    p[5].start_us = now - S(60);
    p[5].ready_change_us = now - S(50);
    /* 6: same, but Ready only 10 s ago: now < (now - 10) + 30: not ready. */
    p[6].start_us = now - S(60);
    p[6].ready_change_us = now - S(10);
    /* 7: started 600 s ago, not Ready, condition last changed 5 s after start
     * (it never became ready): 5 < 30 s delay: not ready. */
    p[7].ready = false;
    p[7].ready_change_us = p[7].start_us + S(5);
    /* 8: started 600 s ago, not Ready, condition changed 400 s after start (it
     * was ready and failed later): counted as ready, with its sample. */
    p[8].ready = false;
    p[8].ready_change_us = p[8].start_us + S(400);

    struct hpa_pods g;
    hpa_pods_classify(&c, true, now, p, 9, &g);
    cr_assert_eq(g.ready, 3); /* pods 0, 5, 8 */
    cr_assert_eq(g.ready_sum_milli, 1500);
    cr_assert_eq(g.ready_request_milli, 3000);
    cr_assert_eq(g.unready, 3); /* pods 3, 6, 7 */
    cr_assert_eq(g.unready_request_milli, 3000);
    cr_assert_eq(g.missing, 1); /* pod 4 */
    cr_assert_eq(g.missing_request_milli, 1000);

    /* For a non-CPU metric only pending pods are not ready: 6 and 7 count. */
    hpa_pods_classify(&c, false, now, p, 9, &g);
    cr_assert_eq(g.ready, 5);
    cr_assert_eq(g.unready, 1);
    cr_assert_eq(g.missing, 1);
}

/* --- validation ------------------------------------------------------------------ */

Test(hpa, validation_names_the_field)
{
    struct hpa_cfg c;
    struct os_error err = {{0}};
    hpa_cfg_defaults(&c);
    cr_assert_eq(hpa_cfg_validate(&c, &err), 0, "%s", err.msg);

    c.spec.max_replicas = 0;
    cr_assert_eq(hpa_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "spec.max_replicas") != NULL, "%s", err.msg);

    hpa_cfg_defaults(&c);
    c.spec.metrics[0].source = HPA_SOURCE_PODS; /* Pods with Utilization: not allowed */
    cr_assert_eq(hpa_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "spec.metrics[0].target") != NULL, "%s", err.msg);

    hpa_cfg_defaults(&c);
    c.spec.metrics[0] = (struct hpa_metric_spec){
        .source = HPA_SOURCE_EXTERNAL, .target = HPA_TARGET_VALUE, .target_milli = 0};
    cr_assert_eq(hpa_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "spec.metrics[0].target_milli: 0 must be > 0") != NULL, "%s",
              err.msg);

    hpa_cfg_defaults(&c);
    c.spec.has_behavior = true;
    c.spec.behavior.up.policies[1].period_us = S(1801);
    cr_assert_eq(hpa_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "spec.behavior.up.policies[1].period_us") != NULL, "%s", err.msg);

    hpa_cfg_defaults(&c);
    c.spec.has_behavior = true;
    c.spec.behavior.down.window_us = S(3601);
    cr_assert_eq(hpa_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "spec.behavior.down.window_us") != NULL, "%s", err.msg);

    hpa_cfg_defaults(&c);
    c.ctrl.tolerance = -0.1;
    cr_assert_eq(hpa_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "ctrl.tolerance") != NULL, "%s", err.msg);

    cr_assert_str_eq(hpa_reason_name(HPA_SCALE_UP), "scale_up");
    cr_assert_str_eq(hpa_limit_name(HPA_LIMIT_TOO_FEW), "too_few");
}
