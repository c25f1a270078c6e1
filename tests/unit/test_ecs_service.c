/* Tests of models/autoscale/ecs_service: target tracking (alarm timing, the
 * ceil formula, cooldowns, the scale-in margin, several policies), step
 * scaling (each adjustment type, bounds, cooldown), min/max, validation.
 * Every expected count is worked out by hand in the comment beside it. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "models/autoscale/ecs_service.h"

#define MIN ECS_SERVICE_MINUTE_US
#define SEC ECS_SERVICE_US_PER_S

/* A service with one target tracking policy on `metric` with `target`. */
static void svc_tt(struct ecs_service *s, double target, int32_t min, int32_t max, int32_t desired)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.min_capacity = min;
    c.max_capacity = max;
    c.npolicies = 1;
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_CPU, target);
    cr_assert_eq(ecs_service_init(s, &c, desired, &err), 0, "%s", err.msg);
}

/* Feeds `value` to policy p at minute `minute`, then evaluates. */
static struct ecs_service_decision tick(struct ecs_service *s, uint32_t p, int minute, double value,
                                        int32_t running)
{
    struct os_error err = {{0}};
    struct ecs_service_decision d;
    cr_assert_eq(ecs_service_observe(s, p, minute * MIN, value, &err), 0, "%s", err.msg);
    ecs_service_evaluate(s, minute * MIN, running, &d);
    return d;
}

/* --- target tracking ------------------------------------------------------------ */

Test(ecs_service, tt_scales_out_after_exactly_three_high_datapoints)
{
    struct ecs_service s;
    svc_tt(&s, 50, 1, 100, 4);
    /* AlarmHigh needs 3 consecutive datapoints > 50: minutes 1 and 2 are not enough. */
    struct ecs_service_decision d = tick(&s, 0, 1, 75, 4);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert_eq(d.desired, 4);
    d = tick(&s, 0, 2, 75, 4);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert_not(ecs_service_alarm_high(&s, 0));
    /* Minute 3: alarm. desired = ceil(running 4 * 75 / 50) = ceil(6.0) = 6. */
    d = tick(&s, 0, 3, 75, 4);
    cr_assert(ecs_service_alarm_high(&s, 0));
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.previous, 4);
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.policy, 0);
}

Test(ecs_service, tt_high_streak_is_broken_by_a_datapoint_at_target)
{
    struct ecs_service s;
    svc_tt(&s, 50, 1, 100, 4);
    /* 75, 75, 50 (not > 50: breaks the streak), 75, 75: only 2 consecutive. */
    tick(&s, 0, 1, 75, 4);
    tick(&s, 0, 2, 75, 4);
    tick(&s, 0, 3, 50, 4);
    tick(&s, 0, 4, 75, 4);
    struct ecs_service_decision d = tick(&s, 0, 5, 75, 4);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    /* Third consecutive at minute 6: ceil(4 * 80 / 50) = ceil(6.4) = 7. */
    d = tick(&s, 0, 6, 80, 4);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 7);
}

/* desired after three identical high datapoints with `running` tasks. */
static int32_t tt_out(int32_t running, double metric, double target)
{
    struct ecs_service s;
    svc_tt(&s, target, 0, 100000, running);
    struct ecs_service_decision d = {0};
    for (int m = 1; m <= 3; m++)
        d = tick(&s, 0, m, metric, running);
    return d.desired;
}

Test(ecs_service, tt_ceil_formula)
{
    /* ceil(7 * 61 / 50) = ceil(8.54) = 9 */
    cr_assert_eq(tt_out(7, 61, 50), 9);
    /* ceil(10 * 50.001 / 50) = ceil(10.0002) = 11: any excess adds a task */
    cr_assert_eq(tt_out(10, 50.001, 50), 11);
    /* ceil(4 * 75 / 50) = 6 exactly, not 7 */
    cr_assert_eq(tt_out(4, 75, 50), 6);
    /* 10 * 0.7 / 0.1 is 70.00000000000001 in doubles; the 1e-9 guard gives 70 */
    cr_assert_eq(tt_out(10, 0.7, 0.1), 70);
    /* ALBRequestCountPerTarget 1500 against 1000 with 3 tasks: ceil(4.5) = 5 */
    cr_assert_eq(tt_out(3, 1500, 1000), 5);
    /* scale from zero [U]: base 1, backlog per task 35 against 10: ceil(3.5) = 4 */
    cr_assert_eq(tt_out(0, 35, 10), 4);
}

Test(ecs_service, tt_base_is_running_not_desired)
{
    struct ecs_service s;
    svc_tt(&s, 50, 1, 100, 20); /* desired 20 but only 10 running */
    struct ecs_service_decision d = {0};
    for (int m = 1; m <= 3; m++)
        d = tick(&s, 0, m, 90, 10);
    /* ceil(10 * 90 / 50) = 18 <= desired 20: no scale-out (never lowers). */
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert_eq(d.desired, 20);
    /* metric 120: ceil(10 * 120 / 50) = 24 > 20. */
    d = tick(&s, 0, 4, 120, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 24);
}

Test(ecs_service, tt_scale_out_cooldown_allows_only_larger_scale_outs)
{
    struct ecs_service s;
    svc_tt(&s, 50, 1, 100, 10);
    struct ecs_service_decision d = {0};
    for (int m = 1; m <= 3; m++)
        d = tick(&s, 0, m, 100, 10);
    /* minute 3: ceil(10 * 100 / 50) = 20; cooldown runs 3:00..8:00. */
    cr_assert_eq(d.desired, 20);
    /* minute 4: new tasks not running yet, same proposal 20: not larger. */
    d = tick(&s, 0, 4, 100, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert_eq(d.desired, 20);
    /* minute 5: metric 150: ceil(10 * 150 / 50) = 30 > 20: a larger scale-out
     * is allowed inside the cooldown, and restarts it (5:00..10:00). */
    d = tick(&s, 0, 5, 150, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 30);
    /* An operator lowers desired to 15 at 5:30. Minute 6: proposal
     * ceil(10 * 100 / 50) = 20 > 15 but not > 30 (the last scale-out): the
     * cooldown blocks it. */
    ecs_service_set_desired(&s, 15);
    d = tick(&s, 0, 6, 100, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert_eq(d.desired, 15);
    cr_assert(d.blocked & ECS_SERVICE_BLOCK_OUT_COOLDOWN);
    /* minute 9 is still inside (9 - 5 = 4 min < 5 min); minute 10 is not:
     * 20 > 15 scales out. */
    d = tick(&s, 0, 9, 100, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    d = tick(&s, 0, 10, 100, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 20);
}

Test(ecs_service, tt_scales_in_only_below_margin_and_after_15_low_datapoints)
{
    struct ecs_service s;
    svc_tt(&s, 50, 1, 100, 10);
    struct ecs_service_decision d;
    /* AlarmLow threshold = 50 * (1 - 0.10) = 45. 46 is below target but not
     * below 45: twenty minutes of it never scale in. */
    for (int m = 1; m <= 20; m++) {
        d = tick(&s, 0, m, 46, 10);
        cr_assert_eq(d.reason, ECS_SERVICE_NONE, "minute %d", m);
    }
    cr_assert_not(ecs_service_alarm_low(&s, 0));
    /* 40 < 45 from minute 21: 14 datapoints (21..34) are not enough. */
    for (int m = 21; m <= 34; m++) {
        d = tick(&s, 0, m, 40, 10);
        cr_assert_eq(d.reason, ECS_SERVICE_NONE, "minute %d", m);
    }
    /* The 15th (minute 35): desired = ceil(10 * 40 / 50) = 8. */
    d = tick(&s, 0, 35, 40, 10);
    cr_assert(ecs_service_alarm_low(&s, 0));
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 8);
    /* Scale-in cooldown 300 s: minutes 36..39 are blocked although the alarm
     * stays in ALARM. */
    for (int m = 36; m <= 39; m++) {
        d = tick(&s, 0, m, 40, 8);
        cr_assert_eq(d.reason, ECS_SERVICE_NONE, "minute %d", m);
        cr_assert(d.blocked & ECS_SERVICE_BLOCK_IN_COOLDOWN);
    }
    /* Minute 40 = 35 + 5: with 8 running, ceil(8 * 40 / 50) = ceil(6.4) = 7. */
    d = tick(&s, 0, 40, 40, 8);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 7);
}

Test(ecs_service, tt_scale_out_cancels_scale_in_cooldown)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.min_capacity = 1;
    c.max_capacity = 100;
    c.npolicies = 1;
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_CPU, 50);
    c.policies[0].u.tt.low_periods = 2;                 /* short, to see the cooldown */
    c.policies[0].u.tt.scale_in_cooldown_us = 10 * MIN; /* 600 s */
    c.policies[0].u.tt.scale_out_cooldown_us = 0;
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    /* Minutes 1-2 low (20 < 45): ceil(10 * 20 / 50) = 4. */
    tick(&s, 0, 1, 20, 10);
    struct ecs_service_decision d = tick(&s, 0, 2, 20, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 4);
    /* Minutes 3-5 high (100 > 50) with 4 running: ceil(4 * 100 / 50) = 8. The
     * scale-out happens inside the scale-in cooldown and cancels it. */
    tick(&s, 0, 3, 100, 4);
    tick(&s, 0, 4, 100, 4);
    d = tick(&s, 0, 5, 100, 4);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 8);
    cr_assert_eq(s.last_in_us, INT64_MIN);
    /* Minutes 6-7 low again: minute 7 scales in although 7 < 2 + 10; without
     * the cancellation it would have waited until minute 12.
     * ceil(8 * 20 / 50) = ceil(3.2) = 4. */
    tick(&s, 0, 6, 20, 8);
    d = tick(&s, 0, 7, 20, 8);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 4);
}

Test(ecs_service, tt_disable_scale_in)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.max_capacity = 100;
    c.npolicies = 1;
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_GPU, 60);
    c.policies[0].u.tt.disable_scale_in = true;
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    struct ecs_service_decision d;
    for (int m = 1; m <= 30; m++) {
        d = tick(&s, 0, m, 5, 10);
        cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    }
    cr_assert_eq(d.desired, 10);
}

Test(ecs_service, tt_min_and_max_clamp)
{
    struct ecs_service s;
    /* max 12: ceil(10 * 90 / 50) = 18 is capped at 12. */
    svc_tt(&s, 50, 2, 12, 10);
    struct ecs_service_decision d = {0};
    for (int m = 1; m <= 3; m++)
        d = tick(&s, 0, m, 90, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 12);
    cr_assert(d.blocked & ECS_SERVICE_BLOCK_AT_MAX);
    /* min 2: 15 low datapoints of 1 with 12 running: ceil(12 * 1 / 50) = 1 -> 2. */
    for (int m = 4; m <= 18; m++)
        d = tick(&s, 0, m, 1, 12);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 2);
    cr_assert(d.blocked & ECS_SERVICE_BLOCK_AT_MIN);

    /* min 0 is allowed: metric 0 gives ceil(0) = 0 tasks. */
    svc_tt(&s, 50, 0, 10, 3);
    for (int m = 1; m <= 15; m++)
        d = tick(&s, 0, m, 0, 3);
    cr_assert_eq(d.desired, 0);

    /* A desired count outside [min, max] is moved inside at once. */
    svc_tt(&s, 50, 1, 12, 20);
    ecs_service_evaluate(&s, MIN, 20, &d);
    cr_assert_eq(d.reason, ECS_SERVICE_CLAMP);
    cr_assert_eq(d.previous, 20);
    cr_assert_eq(d.desired, 12);
}

Test(ecs_service, several_policies_out_if_any_in_only_if_all)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.max_capacity = 100;
    c.npolicies = 2;
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_CPU, 50);
    ecs_service_policy_tt(&c.policies[1], ECS_SERVICE_METRIC_ALB_REQ, 1000);
    struct ecs_service s;
    struct ecs_service_decision d;

    /* (a) CPU high, requests low: out wins. ceil(10 * 75 / 50) = 15. */
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    for (int m = 1; m <= 3; m++) {
        cr_assert_eq(ecs_service_observe(&s, 0, m * MIN, 75, &err), 0);
        cr_assert_eq(ecs_service_observe(&s, 1, m * MIN, 100, &err), 0); /* < 900: low */
        ecs_service_evaluate(&s, m * MIN, 10, &d);
    }
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 15);
    cr_assert_eq(d.policy, 0);

    /* (b) both high: the larger proposal. CPU ceil(10 * 75 / 50) = 15,
     * requests ceil(10 * 1800 / 1000) = 18 -> 18 from policy 1. */
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    for (int m = 1; m <= 3; m++) {
        cr_assert_eq(ecs_service_observe(&s, 0, m * MIN, 75, &err), 0);
        cr_assert_eq(ecs_service_observe(&s, 1, m * MIN, 1800, &err), 0);
        ecs_service_evaluate(&s, m * MIN, 10, &d);
    }
    cr_assert_eq(d.desired, 18);
    cr_assert_eq(d.policy, 1);

    /* (c) CPU low (30 < 45) for 15 minutes, requests in band (950 >= 900):
     * no scale-in, the request policy does not agree. */
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    for (int m = 1; m <= 15; m++) {
        cr_assert_eq(ecs_service_observe(&s, 0, m * MIN, 30, &err), 0);
        cr_assert_eq(ecs_service_observe(&s, 1, m * MIN, 950, &err), 0);
        ecs_service_evaluate(&s, m * MIN, 10, &d);
    }
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert(d.blocked & ECS_SERVICE_BLOCK_NOT_ALL_IN);

    /* (d) both low for 15 minutes: CPU ceil(10 * 30 / 50) = 6, requests
     * ceil(10 * 500 / 1000) = 5; the larger (least reduction) 6 wins. */
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    for (int m = 1; m <= 15; m++) {
        cr_assert_eq(ecs_service_observe(&s, 0, m * MIN, 30, &err), 0);
        cr_assert_eq(ecs_service_observe(&s, 1, m * MIN, 500, &err), 0);
        ecs_service_evaluate(&s, m * MIN, 10, &d);
    }
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.policy, 0);

    /* (e) a policy with scale-in disabled does not veto: requests policy
     * disabled and high-ish (950), CPU low: ceil(10 * 30 / 50) = 6. */
    c.policies[1].u.tt.disable_scale_in = true;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    for (int m = 1; m <= 15; m++) {
        cr_assert_eq(ecs_service_observe(&s, 0, m * MIN, 30, &err), 0);
        cr_assert_eq(ecs_service_observe(&s, 1, m * MIN, 950, &err), 0);
        ecs_service_evaluate(&s, m * MIN, 10, &d);
    }
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 6);
}

Test(ecs_service, evaluate_acts_once_per_datapoint)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.max_capacity = 100;
    c.npolicies = 1;
    ecs_service_policy_step(&c.policies[0], ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 70,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    c.policies[0].u.step.cooldown_us = 0;
    cr_assert_eq(ecs_service_step_add(&c.policies[0], true, 0, false, 0, 2, &err), 0);
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    struct ecs_service_decision d = tick(&s, 0, 1, 80, 10);
    cr_assert_eq(d.desired, 12); /* 10 + 2 */
    /* A second evaluate in the same minute sees no new datapoint. */
    ecs_service_evaluate(&s, MIN + 30 * SEC, 10, &d);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert(d.blocked & ECS_SERVICE_BLOCK_NO_DATA);
    cr_assert_eq(d.desired, 12);
    /* The next datapoint, still in ALARM, acts again (cooldown 0): 12 + 2. */
    d = tick(&s, 0, 2, 80, 12);
    cr_assert_eq(d.desired, 14);
}

/* --- step scaling ------------------------------------------------------------- */

/* Scale-out policy: CPU >= 70 with steps [0,10) +1, [10,20) +2, [20,inf) +4. */
static void step_out_cfg(struct ecs_service_cfg *c, enum ecs_service_adjust adj)
{
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(c);
    c->max_capacity = 1000;
    c->npolicies = 1;
    ecs_service_policy_step(&c->policies[0], ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 70, adj);
    cr_assert_eq(ecs_service_step_add(&c->policies[0], true, 0, true, 10, 1, &err), 0);
    cr_assert_eq(ecs_service_step_add(&c->policies[0], true, 10, true, 20, 2, &err), 0);
    cr_assert_eq(ecs_service_step_add(&c->policies[0], true, 20, false, 0, 4, &err), 0);
}

Test(ecs_service, step_change_in_capacity_and_cooldown)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    step_out_cfg(&c, ECS_SERVICE_CHANGE_IN_CAPACITY);
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    /* 1: 75, breach 5 in [0,10): 10 + 1 = 11; cooldown 300 s from 1:00. */
    struct ecs_service_decision d = tick(&s, 0, 1, 75, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 11);
    /* 2: same step inside the cooldown: the +1 already added counts,
     * 10 + 1 = 11 is not larger than 11: blocked. */
    d = tick(&s, 0, 2, 75, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert(d.blocked & ECS_SERVICE_BLOCK_OUT_COOLDOWN);
    /* 3: 85, breach 15 in [10,20): 10 + 2 = 12 > 11: larger, applied. */
    d = tick(&s, 0, 3, 85, 10);
    cr_assert_eq(d.desired, 12);
    /* 4: 95, breach 25 in [20,inf): 10 + 4 = 14 (base still the 10 before the chain). */
    d = tick(&s, 0, 4, 95, 10);
    cr_assert_eq(d.desired, 14);
    /* 5..8: 75 -> 10 + 1 = 11 <= 14: blocked. */
    for (int m = 5; m <= 8; m++) {
        d = tick(&s, 0, m, 75, 10);
        cr_assert_eq(d.reason, ECS_SERVICE_NONE, "minute %d", m);
    }
    /* 9 = 4 + 5 min: cooldown over, base is the current 14: 14 + 1 = 15. */
    d = tick(&s, 0, 9, 75, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 15);
}

Test(ecs_service, step_bounds_inclusive_exclusive)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    struct ecs_service s;
    struct ecs_service_decision d;
    /* GE alarm: the lower bound is inclusive. 80 = 70 + 10 -> step [10,20): +2. */
    step_out_cfg(&c, ECS_SERVICE_CHANGE_IN_CAPACITY);
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    d = tick(&s, 0, 1, 80, 10);
    cr_assert_eq(d.desired, 12);
    /* 70 exactly breaches a GE 70 alarm and falls in [0,10): +1. */
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    d = tick(&s, 0, 1, 70, 10);
    cr_assert_eq(d.desired, 11);
    /* 69.9 does not breach. */
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    d = tick(&s, 0, 1, 69.9, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
}

Test(ecs_service, step_scale_in_on_a_low_alarm)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.max_capacity = 100;
    c.npolicies = 1;
    /* CPU <= 30: (-inf, -10] -> -3, (-10, 0] -> -1 (LE alarm: upper inclusive). */
    ecs_service_policy_step(&c.policies[0], ECS_SERVICE_METRIC_CPU, ECS_SERVICE_LE, 30,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    cr_assert_eq(ecs_service_step_add(&c.policies[0], false, 0, true, -10, -3, &err), 0);
    cr_assert_eq(ecs_service_step_add(&c.policies[0], true, -10, true, 0, -1, &err), 0);
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    /* 1: 25, breach -5 in (-10, 0]: 10 - 1 = 9. */
    struct ecs_service_decision d = tick(&s, 0, 1, 25, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 9);
    /* 2: 20, breach -10: upper-inclusive (-inf, -10] -> -3, but the scale-in
     * cooldown (300 s from 1:00) blocks it. */
    d = tick(&s, 0, 2, 20, 9);
    cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    cr_assert(d.blocked & ECS_SERVICE_BLOCK_IN_COOLDOWN);
    /* 6 = 1 + 5 min: 9 - 3 = 6. */
    d = tick(&s, 0, 6, 20, 9);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 6);
    /* 30 exactly breaches LE 30 with breach 0 in (-10, 0]: -1 after the cooldown. */
    d = tick(&s, 0, 11, 30, 6);
    cr_assert_eq(d.desired, 5);
}

/* desired after one breaching datapoint of a single-step percent policy. */
static int32_t pct_once(int32_t desired, int32_t pct, int32_t mam)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.min_capacity = 0;
    c.max_capacity = 1000;
    c.npolicies = 1;
    ecs_service_policy_step(&c.policies[0], ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 50,
                            ECS_SERVICE_PERCENT_CHANGE_IN_CAPACITY);
    c.policies[0].u.step.min_adjustment_magnitude = mam;
    cr_assert_eq(ecs_service_step_add(&c.policies[0], true, 0, false, 0, pct, &err), 0);
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, desired, &err), 0, "%s", err.msg);
    return tick(&s, 0, 1, 60, desired).desired;
}

Test(ecs_service, step_percent_change_rounding_and_min_magnitude)
{
    /* The API's example: 25 % of 4 = 1, MinAdjustmentMagnitude 2 -> +2 = 6. */
    cr_assert_eq(pct_once(4, 25, 2), 6);
    /* 25 % of 4 = 1 without a minimum: 5. */
    cr_assert_eq(pct_once(4, 25, 0), 5);
    /* 25 % of 13 = 3.25 -> rounded down to 3: 16. */
    cr_assert_eq(pct_once(13, 25, 0), 16);
    /* 5 % of 10 = 0.5, between 0 and 1 -> 1: 11. */
    cr_assert_eq(pct_once(10, 5, 0), 11);
    /* -15 % of 10 = -1.5 -> rounded up (toward zero) to -1: 9. */
    cr_assert_eq(pct_once(10, -15, 0), 9);
    /* -5 % of 10 = -0.5, between -1 and 0 -> -1: 9. */
    cr_assert_eq(pct_once(10, -5, 0), 9);
    /* -50 % of 10 = -5 with magnitude 3: |-5| >= 3, stays -5: 5. */
    cr_assert_eq(pct_once(10, -50, 3), 5);
    /* 200 % of 6 = 12: 18. */
    cr_assert_eq(pct_once(6, 200, 0), 18);
}

Test(ecs_service, step_exact_capacity)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    struct ecs_service s;
    struct ecs_service_decision d;
    /* Exact 25 on CPU >= 70: 10 -> 25. */
    step_out_cfg(&c, ECS_SERVICE_EXACT_CAPACITY);
    for (uint32_t k = 0; k < 3; k++)
        c.policies[0].u.step.steps[k].adjustment = 25;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    d = tick(&s, 0, 1, 90, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 25);
    /* Exact 3 on CPU < 20: 10 -> 3 (a scale-in). */
    ecs_service_cfg_defaults(&c);
    c.npolicies = 1;
    c.max_capacity = 100;
    ecs_service_policy_step(&c.policies[0], ECS_SERVICE_METRIC_CPU, ECS_SERVICE_LT, 20,
                            ECS_SERVICE_EXACT_CAPACITY);
    cr_assert_eq(ecs_service_step_add(&c.policies[0], false, 0, true, 0, 3, &err), 0);
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    d = tick(&s, 0, 1, 5, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 3);
}

Test(ecs_service, step_alarm_m_of_n)
{
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    step_out_cfg(&c, ECS_SERVICE_CHANGE_IN_CAPACITY);
    c.policies[0].u.step.evaluation_periods = 3;
    c.policies[0].u.step.datapoints_to_alarm = 2;
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    /* breach, no breach: 1 of 2 so far. */
    cr_assert_eq(tick(&s, 0, 1, 75, 10).reason, ECS_SERVICE_NONE);
    cr_assert_eq(tick(&s, 0, 2, 60, 10).reason, ECS_SERVICE_NONE);
    /* breach: 2 of the last 3 -> ALARM, latest 75 -> +1 = 11. */
    struct ecs_service_decision d = tick(&s, 0, 3, 75, 10);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 11);
}

Test(ecs_service, step_and_tt_combined)
{
    /* A TT policy (target 50) and a step policy (CPU >= 90: +5). At 95 for
     * three minutes with 10 running: TT ceil(10 * 95 / 50) = 19 from minute 3;
     * the step fires at minute 1: 10 + 5 = 15. */
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.max_capacity = 100;
    c.npolicies = 2;
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_CPU, 50);
    ecs_service_policy_step(&c.policies[1], ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 90,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    cr_assert_eq(ecs_service_step_add(&c.policies[1], true, 0, false, 0, 5, &err), 0);
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    struct ecs_service_decision d;
    for (int m = 1; m <= 3; m++) {
        cr_assert_eq(ecs_service_observe(&s, 0, m * MIN, 95, &err), 0);
        cr_assert_eq(ecs_service_observe(&s, 1, m * MIN, 95, &err), 0);
        ecs_service_evaluate(&s, m * MIN, 10, &d);
        if (m == 1) {
            cr_assert_eq(d.desired, 15);
            cr_assert_eq(d.policy, 1);
        }
        if (m == 2) /* step inside its cooldown: 10 + 5 = 15, not larger */
            cr_assert_eq(d.reason, ECS_SERVICE_NONE);
    }
    /* Minute 3: TT proposes 19 > 15 (larger than the last scale-out). */
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_OUT);
    cr_assert_eq(d.desired, 19);
    cr_assert_eq(d.policy, 0);
}

/* --- validation and errors ------------------------------------------------------ */

static void expect_invalid(const struct ecs_service_cfg *c, const char *needle)
{
    struct os_error err = {{0}};
    cr_assert_eq(ecs_service_cfg_validate(c, &err), OS_EINVAL, "expected an error with '%s'",
                 needle);
    cr_assert(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

Test(ecs_service, validation_messages)
{
    struct ecs_service_cfg c;
    ecs_service_cfg_defaults(&c);
    c.min_capacity = 5;
    c.max_capacity = 4;
    expect_invalid(&c, "max_capacity: 4 out of [min_capacity 5");
    ecs_service_cfg_defaults(&c);
    c.min_capacity = -1;
    expect_invalid(&c, "min_capacity: -1 must be >= 0");

    ecs_service_cfg_defaults(&c);
    c.npolicies = 1;
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_CPU, 0);
    expect_invalid(&c, "policies[0].target: 0 must be a finite number > 0");
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_CPU, 50);
    c.policies[0].u.tt.low_periods = 65;
    expect_invalid(&c, "policies[0].low_periods: 65 out of [1, 64]");
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_CPU, 50);
    c.policies[0].u.tt.scale_in_margin = 1.0;
    expect_invalid(&c, "scale_in_margin");

    struct os_error err = {{0}};
    struct ecs_service_policy *p = &c.policies[0];
    /* no steps */
    ecs_service_policy_step(p, ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 70,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    expect_invalid(&c, "policies[0].steps: 0 step adjustments");
    /* a gap between 10 and 15 */
    ecs_service_step_add(p, true, 0, true, 10, 1, &err);
    ecs_service_step_add(p, true, 15, false, 0, 2, &err);
    expect_invalid(&c, "can't overlap or leave a gap");
    /* an overlap */
    p->u.step.steps[1].lower = 5;
    expect_invalid(&c, "can't overlap or leave a gap");
    /* both bounds absent */
    p->u.step.nsteps = 1;
    p->u.step.steps[0] = (struct ecs_service_step){.adjustment = 1};
    expect_invalid(&c, "lower and upper bound can't both be absent");
    /* a middle step without an upper bound */
    ecs_service_policy_step(p, ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 70,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    ecs_service_step_add(p, true, 0, false, 0, 1, &err);
    ecs_service_step_add(p, true, 10, false, 0, 2, &err);
    expect_invalid(&c, "only the last step may lack an upper bound");
    /* a negative lower bound without an open first step */
    ecs_service_policy_step(p, ECS_SERVICE_METRIC_CPU, ECS_SERVICE_LE, 30,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    ecs_service_step_add(p, true, -10, true, 0, -1, &err);
    expect_invalid(&c, "a negative lower bound needs a first step without a lower bound");
    /* M > N */
    ecs_service_policy_step(p, ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 70,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    ecs_service_step_add(p, true, 0, false, 0, 1, &err);
    p->u.step.evaluation_periods = 2;
    p->u.step.datapoints_to_alarm = 3;
    expect_invalid(&c, "datapoints_to_alarm: 3 exceeds evaluation_periods 2");
    /* a negative exact capacity */
    ecs_service_policy_step(p, ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 70,
                            ECS_SERVICE_EXACT_CAPACITY);
    ecs_service_step_add(p, true, 0, false, 0, -2, &err);
    expect_invalid(&c, "ExactCapacity adjustment -2 must be >= 0");
    /* too many steps */
    ecs_service_policy_step(p, ECS_SERVICE_METRIC_CPU, ECS_SERVICE_GE, 70,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    for (int k = 0; k < ECS_SERVICE_STEPS_MAX; k++)
        cr_assert_eq(ecs_service_step_add(p, true, k, true, k + 1, 1, &err), 0);
    cr_assert_eq(ecs_service_step_add(p, true, 20, false, 0, 1, &err), OS_EFULL);
    /* adding a step to a TT policy */
    ecs_service_policy_tt(p, ECS_SERVICE_METRIC_CPU, 50);
    cr_assert_eq(ecs_service_step_add(p, true, 0, false, 0, 1, &err), OS_EINVAL);
}

Test(ecs_service, observe_errors)
{
    struct ecs_service s;
    struct os_error err = {{0}};
    svc_tt(&s, 50, 1, 10, 1);
    cr_assert_eq(ecs_service_observe(&s, 1, MIN, 10, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "policy 1 out of range"), "%s", err.msg);
    cr_assert_eq(ecs_service_observe(&s, 0, MIN, NAN, &err), OS_EINVAL);
    cr_assert_eq(ecs_service_observe(&s, 0, 2 * MIN, 10, &err), 0);
    cr_assert_eq(ecs_service_observe(&s, 0, 2 * MIN, 10, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "not after the previous one"), "%s", err.msg);
    struct ecs_service_cfg c;
    ecs_service_cfg_defaults(&c);
    cr_assert_eq(ecs_service_init(&s, &c, -1, &err), OS_EINVAL);
    cr_assert_str_eq(ecs_service_reason_name(ECS_SERVICE_SCALE_IN), "scale_in");
}

Test(ecs_service, step_scale_in_combines_with_tt_by_the_larger_count)
{
    /* TT on CPU (target 50) and a step policy "requests < 100: -1 task".
     * Part 1: the step acts alone on its own alarm, then TT alone after its
     * 15 low datapoints. Part 2: both propose a scale-in in the same minute
     * and the larger count wins [U]. */
    struct ecs_service_cfg c;
    struct os_error err = {{0}};
    ecs_service_cfg_defaults(&c);
    c.max_capacity = 100;
    c.npolicies = 2;
    ecs_service_policy_tt(&c.policies[0], ECS_SERVICE_METRIC_CPU, 50);
    ecs_service_policy_step(&c.policies[1], ECS_SERVICE_METRIC_ALB_REQ, ECS_SERVICE_LT, 100,
                            ECS_SERVICE_CHANGE_IN_CAPACITY);
    c.policies[1].u.step.cooldown_us = 60 * MIN; /* keep it quiet after its first step */
    cr_assert_eq(ecs_service_step_add(&c.policies[1], false, 0, true, 0, -1, &err), 0);
    struct ecs_service s;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    struct ecs_service_decision d;
    for (int m = 1; m <= 14; m++) {
        cr_assert_eq(ecs_service_observe(&s, 0, m * MIN, 30, &err), 0);
        cr_assert_eq(ecs_service_observe(&s, 1, m * MIN, 50, &err), 0);
        ecs_service_evaluate(&s, m * MIN, 10, &d);
        if (m == 1) { /* the step acts alone on its own alarm: 10 - 1 = 9 */
            cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
            cr_assert_eq(d.desired, 9);
            cr_assert_eq(d.policy, 1);
        }
    }
    /* Minute 15: TT AlarmLow, ceil(9 * 30 / 50) = ceil(5.4) = 6; the TT
     * scale-in cooldown counts from the step's scale-in at minute 1 (300 s,
     * over). The step is in its 60-minute cooldown, so TT alone: 6. */
    cr_assert_eq(ecs_service_observe(&s, 0, 15 * MIN, 30, &err), 0);
    cr_assert_eq(ecs_service_observe(&s, 1, 15 * MIN, 50, &err), 0);
    ecs_service_evaluate(&s, 15 * MIN, 9, &d);
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 6);
    cr_assert_eq(d.policy, 0);

    /* Both ready at once (step cooldown 0): TT ceil(10 * 30 / 50) = 6, step
     * 10 - 1 = 9: the larger, 9, wins [U]. */
    c.policies[1].u.step.cooldown_us = 0;
    cr_assert_eq(ecs_service_init(&s, &c, 10, &err), 0, "%s", err.msg);
    for (int m = 1; m <= 15; m++) {
        cr_assert_eq(ecs_service_observe(&s, 0, m * MIN, 30, &err), 0);
        /* requests in band until minute 15 so the step stays quiet */
        cr_assert_eq(ecs_service_observe(&s, 1, m * MIN, m < 15 ? 500 : 50, &err), 0);
        ecs_service_evaluate(&s, m * MIN, 10, &d);
    }
    cr_assert_eq(d.reason, ECS_SERVICE_SCALE_IN);
    cr_assert_eq(d.desired, 9);
    cr_assert_eq(d.policy, 1);
}
