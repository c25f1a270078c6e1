/* Tests of models/autoscale/ecs_capacity: the CapacityProviderReservation
 * formula (N = 0, empty instances, binpack of two task shapes, ignored tasks,
 * step clamps), managed scaling decisions (targetCapacity < 100, warm-up,
 * the 15-minute scale-in and its 50 % steps, termination protection, ASG
 * limits), a minute-by-minute ramp through a toy cluster, and capacity
 * provider strategies. Every expected value is worked out by hand beside it. */
#include <criterion/criterion.h>
#include <string.h>

#include "models/autoscale/ecs_capacity.h"

#define MIN  ECS_CAPACITY_MINUTE_US
#define SEC  ECS_CAPACITY_US_PER_S
#define HOUR (60 * MIN)

/* g5.xlarge: 4 vCPU, 16 GiB, 1 GPU; g5.12xlarge: 48 vCPU, 192 GiB, 4 GPUs. */
static const struct ecs_capacity_shape G5X = {4000, 16384, 1};
static const struct ecs_capacity_shape G5_12X = {48000, 196608, 4};

static void cfg_one(struct ecs_capacity_cfg *c, struct ecs_capacity_shape type)
{
    ecs_capacity_cfg_defaults(c);
    c->ntypes = 1;
    c->types[0] = type;
}

static void cp_init(struct ecs_capacity *cp, const struct ecs_capacity_cfg *c)
{
    struct os_error err = {{0}};
    cr_assert_eq(ecs_capacity_init(cp, c, &err), 0, "%s", err.msg);
}

/* n instances launched long ago, the first `busy` of them running one task. */
static void fleet(struct ecs_capacity_instance *xs, uint32_t n, uint32_t busy)
{
    for (uint32_t i = 0; i < n; i++)
        xs[i] = (struct ecs_capacity_instance){.launched_us = -10 * HOUR + (int64_t)i * SEC,
                                               .tasks = i < busy ? 1 : 0};
}

static struct ecs_capacity_cpr cpr_of(const struct ecs_capacity_cfg *c,
                                      const struct ecs_capacity_instance *xs, uint32_t n,
                                      const struct ecs_capacity_group *gs, uint32_t ng)
{
    struct ecs_capacity_input in = {.instances = xs, .ninstances = n, .groups = gs, .ngroups = ng};
    struct ecs_capacity_cpr r;
    struct os_error err = {{0}};
    cr_assert_eq(ecs_capacity_reservation(c, &in, &r, &err), 0, "%s", err.msg);
    return r;
}

/* One step at minute `minute` with a terminate buffer of 64. */
static struct ecs_capacity_decision step_at(struct ecs_capacity *cp, int64_t now,
                                            const struct ecs_capacity_instance *xs, uint32_t n,
                                            const struct ecs_capacity_group *gs, uint32_t ng,
                                            uint32_t *victims)
{
    struct ecs_capacity_input in = {.instances = xs, .ninstances = n, .groups = gs, .ngroups = ng};
    struct ecs_capacity_decision d = {.terminate = victims, .terminate_cap = 64};
    struct os_error err = {{0}};
    cr_assert_eq(ecs_capacity_step(cp, now, &in, &d, &err), 0, "%s", err.msg);
    return d;
}

/* --- CapacityProviderReservation ------------------------------------------------ */

Test(ecs_capacity, cpr_with_no_instances)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    /* N = 0 with 3 provisioning 1-GPU tasks: M = 0 + ceil(3 / 1) = 3 > 0 -> 200. */
    struct ecs_capacity_group g = {.need = {2000, 8192, 1}, .count = 3};
    struct ecs_capacity_cpr r = cpr_of(&c, NULL, 0, &g, 1);
    cr_assert_eq(r.n, 0);
    cr_assert_eq(r.m, 3);
    cr_assert_float_eq(r.cpr, 200.0, 1e-12);
    /* N = 0, M = 0 (nothing to run): 100. */
    r = cpr_of(&c, NULL, 0, NULL, 0);
    cr_assert_eq(r.m, 0);
    cr_assert_float_eq(r.cpr, 100.0, 1e-12);
}

Test(ecs_capacity, cpr_with_empty_instances)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    struct ecs_capacity_instance xs[4];
    fleet(xs, 4, 3);
    /* No provisioning tasks: M = instances with a task = 3, N = 4: 3/4 = 75 %. */
    struct ecs_capacity_cpr r = cpr_of(&c, xs, 4, NULL, 0);
    cr_assert_eq(r.n, 4);
    cr_assert_eq(r.busy, 3);
    cr_assert_eq(r.m, 3);
    cr_assert_float_eq(r.cpr, 75.0, 1e-12);
    /* A draining instance leaves N: 3 busy of 3 = 100 %. */
    xs[3].draining = true;
    r = cpr_of(&c, xs, 4, NULL, 0);
    cr_assert_eq(r.n, 3);
    cr_assert_float_eq(r.cpr, 100.0, 1e-12);
    /* Daemon tasks are not counted by the caller: all empty -> 0 %. */
    fleet(xs, 4, 0);
    r = cpr_of(&c, xs, 4, NULL, 0);
    cr_assert_float_eq(r.cpr, 0.0, 1e-12);
}

Test(ecs_capacity, cpr_binpacks_two_task_shapes)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5_12X);
    struct ecs_capacity_instance xs[2];
    fleet(xs, 2, 2);
    struct ecs_capacity_group gs[2] = {
        /* A: 4 vCPU, 16 GiB, 1 GPU x 9. Per g5.12xlarge: min(48/4 = 12,
         * 192/16 = 12, 4/1 = 4) = 4 -> ceil(9 / 4) = 3 instances. */
        {.need = {4000, 16384, 1}, .count = 9},
        /* B: 8 vCPU, 32 GiB, 2 GPUs x 3. min(6, 6, 2) = 2 -> ceil(3 / 2) = 2. */
        {.need = {8000, 32768, 2}, .count = 3},
    };
    /* MAX (default): extra = max(3, 2) = 3, M = busy 2 + 3 = 5, N = 2,
     * M - N = 3, step = max(1, min(10000, 3)) = 3, published (2 + 3) / 2 = 250 %. */
    struct ecs_capacity_cpr r = cpr_of(&c, xs, 2, gs, 2);
    cr_assert_eq(r.extra, 3);
    cr_assert_eq(r.m, 5);
    cr_assert_eq(r.step, 3);
    cr_assert_float_eq(r.cpr, 250.0, 1e-12);
    /* SUM: extra = 3 + 2 = 5, M = 7, (2 + 5) / 2 = 350 %. */
    c.combine = ECS_CAPACITY_COMBINE_SUM;
    r = cpr_of(&c, xs, 2, gs, 2);
    cr_assert_eq(r.extra, 5);
    cr_assert_eq(r.m, 7);
    cr_assert_float_eq(r.cpr, 350.0, 1e-12);
    /* Memory-bound shape: 2 vCPU, 100 GiB, 0 GPU x 5: min(24, floor(192/100) = 1)
     * = 1 -> 5 instances. */
    c.combine = ECS_CAPACITY_COMBINE_MAX;
    struct ecs_capacity_group mem = {.need = {2000, 102400, 0}, .count = 5};
    r = cpr_of(&c, xs, 2, &mem, 1);
    cr_assert_eq(r.extra, 5);
}

Test(ecs_capacity, cpr_ignores_tasks_that_fit_no_smallest_type)
{
    struct ecs_capacity_cfg c;
    ecs_capacity_cfg_defaults(&c);
    c.ntypes = 2;
    c.types[0] = G5X;
    c.types[1] = G5_12X;
    /* smallest = (4 vCPU, 16 GiB, 1 GPU), largest = (48, 192, 4) per dimension. */
    struct ecs_capacity_instance xs[3];
    fleet(xs, 3, 3);
    struct ecs_capacity_group gs[2] = {
        {.need = {4000, 16384, 1}, .count = 6}, /* fits g5.xlarge: 4 per largest -> 2 */
        {.need = {8000, 32768, 2}, .count = 4}, /* 2 GPUs: not on g5.xlarge -> ignored */
    };
    struct ecs_capacity_cpr r = cpr_of(&c, xs, 3, gs, 2);
    cr_assert_eq(r.ignored, 4);
    cr_assert_eq(r.extra, 2); /* ceil(6 / 4) */
    cr_assert_eq(r.m, 5);     /* 3 busy + 2 */
    cr_assert_not(r.frozen);
    /* Only the ignored group left: scaling stops, value held at 100 %. */
    r = cpr_of(&c, xs, 3, &gs[1], 1);
    cr_assert(r.frozen);
    cr_assert_float_eq(r.cpr, 100.0, 1e-12);
    /* Even with empty instances (which would read 0 %). */
    fleet(xs, 3, 0);
    r = cpr_of(&c, xs, 3, &gs[1], 1);
    cr_assert_float_eq(r.cpr, 100.0, 1e-12);
}

Test(ecs_capacity, cpr_step_clamps)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    struct ecs_capacity_instance xs[4];
    fleet(xs, 4, 4);
    struct ecs_capacity_group one = {.need = {2000, 8192, 1}, .count = 1};
    struct ecs_capacity_group ten = {.need = {2000, 8192, 1}, .count = 10};
    /* minimumScalingStepSize 3: M = 4 + 1 = 5, M - N = 1 -> step max(3, 1) = 3,
     * published (4 + 3) / 4 = 175 %. */
    c.min_step = 3;
    struct ecs_capacity_cpr r = cpr_of(&c, xs, 4, &one, 1);
    cr_assert_eq(r.step, 3);
    cr_assert_float_eq(r.cpr, 175.0, 1e-12);
    /* maximumScalingStepSize 2: M = 4 + 10 = 14, M - N = 10 -> step 2,
     * (4 + 2) / 4 = 150 %. */
    c.min_step = 1;
    c.max_step = 2;
    r = cpr_of(&c, xs, 4, &ten, 1);
    cr_assert_eq(r.m, 14);
    cr_assert_eq(r.step, 2);
    cr_assert_float_eq(r.cpr, 150.0, 1e-12);
    /* ... and the step launches exactly those 2 (target 100: ceil(6 * 100 / 100) = 6). */
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    uint32_t v[64];
    struct ecs_capacity_decision d = step_at(&cp, MIN, xs, 4, &ten, 1, v);
    cr_assert_eq(d.reason, ECS_CAPACITY_SCALE_OUT);
    cr_assert_eq(d.launch, 2);
    cr_assert_eq(d.desired, 6);
    /* min step 3 launches 3 for a single task. */
    c.min_step = 3;
    c.max_step = 10000;
    cp_init(&cp, &c);
    d = step_at(&cp, MIN, xs, 4, &one, 1, v);
    cr_assert_eq(d.launch, 3);
}

/* --- managed scaling ------------------------------------------------------------ */

Test(ecs_capacity, scale_out_from_zero_launches_two)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    uint32_t v[64];
    /* 10 provisioning tasks, no instances: CPR 200 > 100, AlarmHigh after 1
     * datapoint -> 2 instances (not 10). */
    struct ecs_capacity_group g = {.need = {2000, 8192, 1}, .count = 10};
    struct ecs_capacity_decision d = step_at(&cp, MIN, NULL, 0, &g, 1, v);
    cr_assert(d.alarm_high);
    cr_assert_eq(d.reason, ECS_CAPACITY_SCALE_OUT);
    cr_assert_eq(d.launch, 2);
    /* [U] minimumScalingStepSize 5 raises it to 5. */
    c.min_step = 5;
    cp_init(&cp, &c);
    d = step_at(&cp, MIN, NULL, 0, &g, 1, v);
    cr_assert_eq(d.launch, 5);
    /* Nothing to run, no instances: no scale-out even with target 90
     * (CPR 100 > 90 but M = 0; the loop of containers-roadmap#653). */
    c.min_step = 1;
    c.target_capacity = 90;
    cp_init(&cp, &c);
    d = step_at(&cp, MIN, NULL, 0, NULL, 0, v);
    cr_assert_eq(d.reason, ECS_CAPACITY_NONE);
    cr_assert_eq(d.launch, 0);
}

Test(ecs_capacity, target_capacity_below_100_keeps_a_spare_instance)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    c.target_capacity = 90;
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    uint32_t v[64];
    struct ecs_capacity_instance xs[16];
    fleet(xs, 9, 9);
    /* 9 busy of 9: CPR 100 > 90 -> desired ceil(9 * 100 / 90) = ceil(10.0) = 10. */
    struct ecs_capacity_decision d = step_at(&cp, MIN, xs, 9, NULL, 0, v);
    cr_assert_eq(d.reason, ECS_CAPACITY_SCALE_OUT);
    cr_assert_eq(d.launch, 1);
    cr_assert_eq(d.desired, 10);
    /* With the spare: 9 / 10 = 90 % = target: neither alarm, for an hour. */
    fleet(xs, 10, 9);
    for (int m = 2; m <= 62; m++) {
        d = step_at(&cp, m * MIN, xs, 10, NULL, 0, v);
        cr_assert_float_eq(d.cpr.cpr, 90.0, 1e-12);
        cr_assert_eq(d.reason, ECS_CAPACITY_NONE, "minute %d", m);
        cr_assert_not(d.alarm_low);
    }
    /* 16 busy of 16: ceil(16 * 100 / 90) = ceil(17.78) = 18 -> 2 spares launched. */
    fleet(xs, 16, 16);
    d = step_at(&cp, 63 * MIN, xs, 16, NULL, 0, v);
    cr_assert_eq(d.launch, 2);
    cr_assert_eq(d.desired, 18);
}

Test(ecs_capacity, warmup_blocks_further_scale_out)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    uint32_t v[64];
    /* 2 instances launched at 0, both busy; 5 more tasks provisioning. */
    struct ecs_capacity_instance xs[2] = {{.launched_us = 0, .tasks = 1},
                                          {.launched_us = 0, .tasks = 1}};
    struct ecs_capacity_group g = {.need = {2000, 8192, 1}, .count = 5};
    /* Minutes 1-4 (60..240 s): now - 0 < 300 s: AlarmHigh, but blocked. */
    for (int m = 1; m <= 4; m++) {
        struct ecs_capacity_decision d = step_at(&cp, m * MIN, xs, 2, &g, 1, v);
        cr_assert(d.alarm_high);
        cr_assert_eq(d.launch, 0, "minute %d", m);
        cr_assert(d.blocked & ECS_CAPACITY_BLOCK_WARMUP);
    }
    /* 299 s: still warming. */
    struct ecs_capacity_decision d = step_at(&cp, 299 * SEC, xs, 2, &g, 1, v);
    cr_assert_eq(d.launch, 0);
    /* 300 s: warm-up passed. M = 2 + 5 = 7, step 5, desired ceil(7 * 100 / 100) = 7. */
    d = step_at(&cp, 300 * SEC, xs, 2, &g, 1, v);
    cr_assert_eq(d.reason, ECS_CAPACITY_SCALE_OUT);
    cr_assert_eq(d.launch, 5);
    cr_assert_eq(d.desired, 7);
}

Test(ecs_capacity, scale_in_after_15_minutes_then_per_minute_steps)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    c.managed_termination_protection = true;
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    uint32_t v[64];
    struct ecs_capacity_instance xs[10];
    fleet(xs, 10, 4); /* instances 0-3 busy, 4-9 empty; older = lower index */
    struct ecs_capacity_decision d;
    /* 4 / 10 = 40 % < 100 from minute 1: 14 low datapoints do nothing. */
    for (int m = 1; m <= 14; m++) {
        d = step_at(&cp, m * MIN, xs, 10, NULL, 0, v);
        cr_assert_float_eq(d.cpr.cpr, 40.0, 1e-12);
        cr_assert_eq(d.reason, ECS_CAPACITY_NONE, "minute %d", m);
    }
    /* Minute 15: AlarmLow. desired ceil(4 * 100 / 100) = 4, i.e. remove 6,
     * but at most 50 % of 10 = 5 per step: terminate the 5 oldest empty ones,
     * instances 4..8. */
    d = step_at(&cp, 15 * MIN, xs, 10, NULL, 0, v);
    cr_assert(d.alarm_low);
    cr_assert_eq(d.reason, ECS_CAPACITY_SCALE_IN);
    cr_assert_eq(d.nterminate, 5);
    for (uint32_t j = 0; j < 5; j++)
        cr_assert_eq(v[j], 4 + j);
    cr_assert_eq(d.desired, 5);
    cr_assert_eq(d.drain, 0);
    /* Minute 16: 5 instances left (0-3 busy, 9 empty): 4 / 5 = 80 %, the alarm
     * holds (16th low datapoint): remove 5 - ceil(4 * 100 / 100) = 1 (limit
     * max(1, floor(50 % of 5)) = 2): instance 9, index 4 of the new list. */
    struct ecs_capacity_instance left[5] = {xs[0], xs[1], xs[2], xs[3], xs[9]};
    d = step_at(&cp, 16 * MIN, left, 5, NULL, 0, v);
    cr_assert_eq(d.reason, ECS_CAPACITY_SCALE_IN);
    cr_assert_eq(d.nterminate, 1);
    cr_assert_eq(v[0], 4);
    /* Minute 17: 4 busy of 4 = 100 %: nothing more. */
    d = step_at(&cp, 17 * MIN, left, 4, NULL, 0, v);
    cr_assert_eq(d.reason, ECS_CAPACITY_NONE);
    cr_assert_not(d.alarm_low);
}

Test(ecs_capacity, scale_out_aborts_an_ongoing_scale_in)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    uint32_t v[64];
    struct ecs_capacity_instance xs[4];
    fleet(xs, 4, 2); /* 50 % */
    struct ecs_capacity_group g = {.need = {2000, 8192, 1}, .count = 3};
    for (int m = 1; m <= 10; m++)
        step_at(&cp, m * MIN, xs, 4, NULL, 0, v);
    /* Minute 11: 3 tasks provisioning: M = 2 + 3 = 5 > 4 -> 125 %: high. */
    struct ecs_capacity_decision d = step_at(&cp, 11 * MIN, xs, 4, &g, 1, v);
    cr_assert(d.alarm_high);
    cr_assert_eq(d.launch, 1); /* ceil(5 * 100 / 100) - 4 */
    /* Back to 50 % from minute 12 (the tasks went away): the low count starts
     * again, so minutes 12..25 (14 datapoints) do not scale in, 26 does. */
    for (int m = 12; m <= 25; m++) {
        d = step_at(&cp, m * MIN, xs, 4, NULL, 0, v);
        cr_assert_eq(d.reason, ECS_CAPACITY_NONE, "minute %d", m);
    }
    d = step_at(&cp, 26 * MIN, xs, 4, NULL, 0, v);
    cr_assert_eq(d.reason, ECS_CAPACITY_SCALE_IN);
    cr_assert_eq(d.nterminate, 2); /* 4 - ceil(2 * 100 / 100) = 2 <= 50 % of 4 */
}

/* Four instances, oldest first: 0 runs 2 tasks, 1 empty, 2 empty but
 * user-protected, 3 empty. 1 / 4 = 25 % -> desired ceil(100 / 100) = 1, i.e.
 * remove 3, capped at 50 % of 4 = 2. */
static void tp_fleet(struct ecs_capacity_instance *xs)
{
    for (uint32_t i = 0; i < 4; i++)
        xs[i] = (struct ecs_capacity_instance){.launched_us = -(int64_t)(4 - i) * HOUR};
    xs[0].tasks = 2;
    xs[2].protect = true;
}

static struct ecs_capacity_decision
after_15_low(struct ecs_capacity_cfg *c, const struct ecs_capacity_instance *xs, uint32_t *v)
{
    struct ecs_capacity cp;
    cp_init(&cp, c);
    struct ecs_capacity_decision d = {0};
    for (int m = 1; m <= 15; m++)
        d = step_at(&cp, m * MIN, xs, 4, NULL, 0, v);
    return d;
}

Test(ecs_capacity, termination_protection)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    struct ecs_capacity_instance xs[4];
    uint32_t v[64];
    tp_fleet(xs);

    /* With managed termination protection: only empty, unprotected instances
     * (1 and 3) go; nothing to drain. */
    c.managed_termination_protection = true;
    cr_assert(ecs_capacity_protected(&c, &xs[0]));
    cr_assert_not(ecs_capacity_protected(&c, &xs[1]));
    cr_assert(ecs_capacity_protected(&c, &xs[2]));
    struct ecs_capacity_decision d = after_15_low(&c, xs, v);
    cr_assert_eq(d.nterminate, 2);
    cr_assert_eq(v[0], 1);
    cr_assert_eq(v[1], 3);
    cr_assert_eq(d.drain, 0);

    /* Without it the ASG takes the two oldest unprotected instances, 0 and 1,
     * and instance 0's 2 tasks must be drained first (managed draining). */
    c.managed_termination_protection = false;
    cr_assert_not(ecs_capacity_protected(&c, &xs[0]));
    d = after_15_low(&c, xs, v);
    cr_assert_eq(d.nterminate, 2);
    cr_assert_eq(v[0], 0);
    cr_assert_eq(v[1], 1);
    cr_assert_eq(d.drain, 1);

    /* Protection with instance 3 still warming up (warm-up 10000 s; at the
     * 15th step instance 3 is 1 h 15 min = 4500 s old, instance 1 3 h 15 min
     * = 11700 s): only instance 1 can go, one short of the 2 wanted. */
    c.managed_termination_protection = true;
    c.warmup_us = 10000 * SEC;
    d = after_15_low(&c, xs, v);
    cr_assert_eq(d.nterminate, 1);
    cr_assert_eq(v[0], 1);
    cr_assert(d.blocked & ECS_CAPACITY_BLOCK_PROTECTED);
}

Test(ecs_capacity, asg_min_and_max)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    struct ecs_capacity cp;
    uint32_t v[64];
    struct ecs_capacity_instance xs[4];
    struct ecs_capacity_decision d;

    /* max 5: 2 busy + 10 provisioning -> desired 12, capped at 5: launch 3. */
    c.asg_max = 5;
    cp_init(&cp, &c);
    fleet(xs, 2, 2);
    struct ecs_capacity_group g = {.need = {2000, 8192, 1}, .count = 10};
    d = step_at(&cp, MIN, xs, 2, &g, 1, v);
    cr_assert_eq(d.launch, 3);
    cr_assert(d.blocked & ECS_CAPACITY_BLOCK_AT_MAX);

    /* min 3: 4 empty instances, 0 %: desired ceil(0) = 0, at most 2 per step,
     * but 4 - 2 < 3: only 1 goes. */
    c.asg_max = 100;
    c.asg_min = 3;
    fleet(xs, 4, 0);
    cp_init(&cp, &c);
    for (int m = 1; m <= 15; m++)
        d = step_at(&cp, m * MIN, xs, 4, NULL, 0, v);
    cr_assert_eq(d.nterminate, 1);
    cr_assert(d.blocked & ECS_CAPACITY_BLOCK_AT_MIN);

    /* min 2 with no instances and nothing to run: launch 2 at once. */
    c.asg_min = 2;
    cp_init(&cp, &c);
    d = step_at(&cp, MIN, NULL, 0, NULL, 0, v);
    cr_assert_eq(d.reason, ECS_CAPACITY_ASG_MIN);
    cr_assert_eq(d.launch, 2);
}

Test(ecs_capacity, several_types_or_zones_scale_by_exactly_min_step)
{
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    c.availability_zones = 3;
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    uint32_t v[64];
    struct ecs_capacity_instance xs[3];
    fleet(xs, 3, 3);
    struct ecs_capacity_group g = {.need = {2000, 8192, 1}, .count = 10};
    /* 3 AZs: N + minimumScalingStepSize = 3 + 1, whatever the demand (M = 13). */
    struct ecs_capacity_decision d = step_at(&cp, MIN, xs, 3, &g, 1, v);
    cr_assert_eq(d.cpr.m, 13);
    cr_assert_eq(d.launch, 1);
}

Test(ecs_capacity, step_errors_and_unmanaged)
{
    struct ecs_capacity_cfg c;
    struct os_error err = {{0}};
    cfg_one(&c, G5X);
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    uint32_t v[64];
    struct ecs_capacity_instance x = {.launched_us = 2 * MIN};
    struct ecs_capacity_input in = {.instances = &x, .ninstances = 1};
    struct ecs_capacity_decision d = {.terminate = v, .terminate_cap = 64};
    cr_assert_eq(ecs_capacity_step(&cp, MIN, &in, &d, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "after now"), "%s", err.msg);
    cr_assert_eq(ecs_capacity_step(&cp, 2 * MIN, &in, &d, &err), 0, "%s", err.msg);
    cr_assert_eq(ecs_capacity_step(&cp, 2 * MIN, &in, &d, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "not after the previous step"), "%s", err.msg);
    struct ecs_capacity_decision nobuf = {.terminate = NULL, .terminate_cap = 4};
    cr_assert_eq(ecs_capacity_step(&cp, 3 * MIN, &in, &nobuf, &err), OS_EINVAL);

    /* Managed scaling off: the metric is still computed, nothing happens. */
    c.managed_scaling = false;
    cp_init(&cp, &c);
    struct ecs_capacity_group g = {.need = {2000, 8192, 1}, .count = 4};
    d = step_at(&cp, MIN, NULL, 0, &g, 1, v);
    cr_assert_float_eq(d.cpr.cpr, 200.0, 1e-12);
    cr_assert_eq(d.launch, 0);
    cr_assert(d.blocked & ECS_CAPACITY_BLOCK_UNMANAGED);
}

static void expect_cfg_invalid(const struct ecs_capacity_cfg *c, const char *needle)
{
    struct os_error err = {{0}};
    cr_assert_eq(ecs_capacity_cfg_validate(c, &err), OS_EINVAL, "expected '%s'", needle);
    cr_assert(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

Test(ecs_capacity, cfg_validation)
{
    struct ecs_capacity_cfg c;
    ecs_capacity_cfg_defaults(&c);
    expect_cfg_invalid(&c, "types: 0 instance types");
    cfg_one(&c, G5X);
    c.target_capacity = 0;
    expect_cfg_invalid(&c, "target_capacity: 0 out of [1, 100]");
    cfg_one(&c, G5X);
    c.min_step = 5;
    c.max_step = 4;
    expect_cfg_invalid(&c, "max_step: 4 out of [min_step 5, 10000]");
    cfg_one(&c, G5X);
    c.warmup_us = 10001 * SEC;
    expect_cfg_invalid(&c, "warmup");
    cfg_one(&c, G5X);
    c.asg_min = 3;
    c.asg_max = 2;
    expect_cfg_invalid(&c, "asg_max: 2 out of [asg_min 3");
    cfg_one(&c, G5X);
    c.types[0].mem_mib = 0;
    expect_cfg_invalid(&c, "types[0]");
}

Test(ecs_capacity, group_tasks)
{
    struct ecs_capacity_shape needs[5] = {
        {1000, 2048, 1}, {2000, 4096, 0}, {1000, 2048, 1}, {1000, 2048, 1}, {2000, 4096, 0}};
    struct ecs_capacity_group gs[2];
    uint32_t ng = 0;
    struct os_error err = {{0}};
    cr_assert_eq(ecs_capacity_group_tasks(needs, 5, gs, &ng, 2, &err), 0, "%s", err.msg);
    cr_assert_eq(ng, 2);
    cr_assert_eq(gs[0].count, 3);
    cr_assert_eq(gs[1].count, 2);
    struct ecs_capacity_shape other = {1, 1, 1};
    cr_assert_eq(ecs_capacity_group_tasks(&other, 1, gs, &ng, 2, &err), OS_EFULL);
}

/* --- a ramp, minute by minute ------------------------------------------------------ */

/* A toy cluster for the ramp: g5.xlarge instances that register `boot` after
 * launch, tasks of 2 vCPU / 8 GiB / 1 GPU (one per instance), placed on
 * registered free instances at every minute tick before the step. */
struct toy {
    struct ecs_capacity_instance xs[64];
    int64_t ready[64];
    uint32_t n;
    uint32_t provisioning; /* tasks waiting for an instance */
    uint32_t running;
};

static void toy_place(struct toy *t, int64_t now)
{
    for (uint32_t i = 0; i < t->n && t->provisioning > 0; i++) {
        if (t->ready[i] <= now && t->xs[i].tasks == 0) {
            t->xs[i].tasks = 1;
            t->provisioning--;
            t->running++;
        }
    }
}

static void toy_apply(struct toy *t, const struct ecs_capacity_decision *d, int64_t now,
                      int64_t boot)
{
    /* Terminate (indices refer to the list as passed; remove from the back). */
    bool gone[64] = {false};
    for (uint32_t j = 0; j < d->nterminate; j++)
        gone[d->terminate[j]] = true;
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        if (gone[i])
            continue;
        t->xs[k] = t->xs[i];
        t->ready[k] = t->ready[i];
        k++;
    }
    t->n = k;
    for (uint32_t j = 0; j < d->launch; j++) {
        t->xs[t->n] = (struct ecs_capacity_instance){.launched_us = now};
        t->ready[t->n] = now + boot;
        t->n++;
    }
}

Test(ecs_capacity, ramp_scale_out_lag_and_scale_in)
{
    /* Model: defaults (target 100, steps 1..10000, warm-up 300 s, AlarmHigh
     * 1 x 1 min, AlarmLow 15 x 1 min) with termination protection; instances
     * register 90 s after launch; 10 one-GPU tasks arrive at t = 0 on an
     * empty provider.
     *
     * Expected scale-out lag (alarm 1 min + step + warm-up):
     *   1:00  first datapoint: N = 0, M = 10 -> CPR 200, AlarmHigh -> launch 2
     *   2:30  the 2 register; 3:00 tick places 2 tasks
     *   2:00-5:00  AlarmHigh holds (M = 2 + 8 = 10) but warm-up blocks
     *   6:00  warm-up over (6:00 - 1:00 = 300 s): step min(10000, 10 - 2) = 8,
     *         desired ceil(10 * 100 / 100) = 10 -> launch 8
     *   7:30  they register; 8:00 tick places the last 8 tasks
     * so the last task waits 8 minutes: 1 (first datapoint) + 5 (warm-up
     * before the second step) + 1.5 (boot) rounded up to the minute tick.
     *
     * Ramp down: at 20:00 six tasks end. CPR = 4 / 10 = 40 % from the 20:00
     * datapoint; the 15th low datapoint is 34:00: desired ceil(4 * 100 / 100)
     * = 4, 6 to remove, at most 50 % of 10 = 5 -> 5 empty instances go; 35:00:
     * 4 / 5 = 80 %, still ALARM -> the 6th goes; 36:00: 100 %, steady. */
    struct ecs_capacity_cfg c;
    cfg_one(&c, G5X);
    c.managed_termination_protection = true;
    struct ecs_capacity cp;
    cp_init(&cp, &c);
    const int64_t boot = 90 * SEC;
    struct toy t = {.provisioning = 10};
    uint32_t v[64];
    uint32_t launched_at[64] = {0}; /* instances launched at minute m */
    uint32_t terminated_at[64] = {0};
    int all_running_at = -1;
    const struct ecs_capacity_shape need = {2000, 8192, 1};

    for (int m = 1; m <= 40; m++) {
        int64_t now = m * MIN;
        if (m == 20) { /* six tasks end, on the instances of the second launch */
            uint32_t freed = 0;
            for (uint32_t i = 0; i < t.n && freed < 6; i++)
                if (t.xs[i].launched_us == 6 * MIN && t.xs[i].tasks == 1) {
                    t.xs[i].tasks = 0;
                    t.running--;
                    freed++;
                }
            cr_assert_eq(freed, 6);
        }
        toy_place(&t, now);
        if (t.running == 10 && all_running_at < 0)
            all_running_at = m;
        struct ecs_capacity_group g = {.need = need, .count = t.provisioning};
        struct ecs_capacity_decision d = step_at(&cp, now, t.xs, t.n, &g, 1, v);
        for (uint32_t j = 0; j < d.nterminate; j++)
            cr_assert_eq(t.xs[v[j]].tasks, 0, "minute %d: a busy instance chosen", m);
        launched_at[m] = d.launch;
        terminated_at[m] = d.nterminate;
        if (m >= 2 && m <= 5)
            cr_assert(d.blocked & ECS_CAPACITY_BLOCK_WARMUP, "minute %d", m);
        toy_apply(&t, &d, now, boot);
    }
    for (int m = 1; m <= 40; m++) {
        uint32_t want_l = m == 1 ? 2 : m == 6 ? 8 : 0;
        uint32_t want_t = m == 34 ? 5 : m == 35 ? 1 : 0;
        cr_assert_eq(launched_at[m], want_l, "minute %d: launched %u", m, launched_at[m]);
        cr_assert_eq(terminated_at[m], want_t, "minute %d: terminated %u", m, terminated_at[m]);
    }
    cr_assert_eq(all_running_at, 8);
    cr_assert_eq(t.n, 4);
    cr_assert_eq(cp.scale_outs, 2);
    cr_assert_eq(cp.scale_ins, 2);
}

/* --- capacity provider strategy ------------------------------------------------------ */

static struct ecs_capacity_strategy strat2(uint32_t base_a, uint32_t wa, uint32_t wb)
{
    struct ecs_capacity_strategy s = {.n = 2};
    s.items[0] = (struct ecs_capacity_strategy_item){.provider = 0, .base = base_a, .weight = wa};
    s.items[1] = (struct ecs_capacity_strategy_item){.provider = 1, .base = 0, .weight = wb};
    return s;
}

Test(ecs_capacity, strategy_base_then_weights)
{
    struct os_error err = {{0}};
    uint32_t n[ECS_CAPACITY_STRATEGY_MAX];
    /* base 2 on A, A:1 B:3, 10 tasks: 2 base + 8 split 1:3 = 2:6 -> A 4, B 6. */
    struct ecs_capacity_strategy s = strat2(2, 1, 3);
    cr_assert_eq(ecs_capacity_strategy_split(&s, 10, n, &err), 0, "%s", err.msg);
    cr_assert_eq(n[0], 4);
    cr_assert_eq(n[1], 6);
    /* 1 task: the base is not full yet: A 1, B 0. */
    ecs_capacity_strategy_split(&s, 1, n, &err);
    cr_assert_eq(n[0], 1);
    cr_assert_eq(n[1], 0);
    /* 3 tasks: 2 base + 1 split 1:3 -> 0.25 / 0.75, B has the larger
     * remainder: A 2, B 1. */
    ecs_capacity_strategy_split(&s, 3, n, &err);
    cr_assert_eq(n[0], 2);
    cr_assert_eq(n[1], 1);
    /* A:2 B:1, 5 tasks: 10/3 = 3 r 1, 5/3 = 1 r 2 -> the leftover task to B:
     * A 3, B 2. */
    s = strat2(0, 2, 1);
    ecs_capacity_strategy_split(&s, 5, n, &err);
    cr_assert_eq(n[0], 3);
    cr_assert_eq(n[1], 2);
    /* A:1 B:1 C:1, 10 tasks: 3 each, remainders 1, 1, 1, one left -> A (first). */
    struct ecs_capacity_strategy s3 = {.n = 3};
    for (uint32_t i = 0; i < 3; i++)
        s3.items[i] = (struct ecs_capacity_strategy_item){.provider = (int32_t)i, .weight = 1};
    ecs_capacity_strategy_split(&s3, 10, n, &err);
    cr_assert_eq(n[0], 4);
    cr_assert_eq(n[1], 3);
    cr_assert_eq(n[2], 3);
    /* Weight 0 on C: C gets nothing beyond a base. 10 over A:1 B:1 -> 5, 5, 0. */
    s3.items[2].weight = 0;
    ecs_capacity_strategy_split(&s3, 10, n, &err);
    cr_assert_eq(n[0], 5);
    cr_assert_eq(n[1], 5);
    cr_assert_eq(n[2], 0);
    /* Base on a weight-0 provider: base 3 on C, then A:1 B:1 over 7 -> 4, 3, 3. */
    s3.items[2].base = 3;
    ecs_capacity_strategy_split(&s3, 10, n, &err);
    cr_assert_eq(n[0], 4);
    cr_assert_eq(n[1], 3);
    cr_assert_eq(n[2], 3);
    /* A single provider with weight 0 takes everything [U]. */
    struct ecs_capacity_strategy s1 = {.n = 1};
    s1.items[0] = (struct ecs_capacity_strategy_item){.provider = 7, .base = 2, .weight = 0};
    ecs_capacity_strategy_split(&s1, 5, n, &err);
    cr_assert_eq(n[0], 5);
}

Test(ecs_capacity, strategy_pick_follows_the_split)
{
    /* Placing tasks one at a time with pick() reproduces split(k) after each
     * of k = 1..40 tasks; removing them with pick_remove() walks it back. */
    struct ecs_capacity_strategy s = strat2(2, 1, 3);
    struct os_error err = {{0}};
    uint32_t cur[2] = {0, 0}, want[2];
    for (uint32_t k = 1; k <= 40; k++) {
        cur[ecs_capacity_strategy_pick(&s, cur)]++;
        ecs_capacity_strategy_split(&s, k, want, &err);
        cr_assert(cur[0] == want[0] && cur[1] == want[1], "k=%u: %u,%u vs %u,%u", k, cur[0], cur[1],
                  want[0], want[1]);
    }
    for (uint32_t k = 39;; k--) {
        cur[ecs_capacity_strategy_pick_remove(&s, cur)]--;
        ecs_capacity_strategy_split(&s, k, want, &err);
        cr_assert(cur[0] == want[0] && cur[1] == want[1], "k=%u", k);
        if (k == 0)
            break;
    }
    /* From an unbalanced start (A 0, B 5), the next tasks fill A's base. */
    cur[0] = 0;
    cur[1] = 5;
    cr_assert_eq(ecs_capacity_strategy_pick(&s, cur), 0);
}

static void expect_strategy_invalid(const struct ecs_capacity_strategy *s, const char *needle)
{
    struct os_error err = {{0}};
    cr_assert_eq(ecs_capacity_strategy_validate(s, &err), OS_EINVAL, "expected '%s'", needle);
    cr_assert(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

Test(ecs_capacity, strategy_validation)
{
    struct ecs_capacity_strategy s = strat2(0, 0, 0);
    expect_strategy_invalid(&s, "all 2 weights are 0; at least one provider needs a weight > 0");
    s = strat2(2, 1, 1);
    s.items[1].base = 1;
    expect_strategy_invalid(&s,
                            "base is set on providers 0 and 1; only one provider may have a base");
    s = strat2(0, 1001, 1);
    expect_strategy_invalid(&s, "weight 1001 out of [0, 1000]");
    s = strat2(100001, 1, 1);
    expect_strategy_invalid(&s, "base 100001 out of [0, 100000]");
    s = strat2(0, 1, 1);
    s.items[1].provider = 0;
    expect_strategy_invalid(&s, "provider 0 is listed twice");
    struct ecs_capacity_strategy big = {.n = 21};
    for (uint32_t i = 0; i < ECS_CAPACITY_STRATEGY_MAX; i++)
        big.items[i] = (struct ecs_capacity_strategy_item){.provider = (int32_t)i, .weight = 1};
    expect_strategy_invalid(&big, "21 capacity providers, at most 20");
    struct ecs_capacity_strategy none = {.n = 0};
    expect_strategy_invalid(&none, "no capacity provider given");
    uint32_t n[2];
    struct os_error err = {{0}};
    s = strat2(0, 0, 0);
    cr_assert_eq(ecs_capacity_strategy_split(&s, 4, n, &err), OS_EINVAL);
}
