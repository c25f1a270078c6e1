/* Tests of models/cost: every bill is checked against dollars worked out by
 * hand, with the arithmetic in the comment above the assertion. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "models/cost.h"
#include "models/spot.h"

#define S    COST_US_PER_S
#define HOUR COST_US_PER_HOUR
#define DAY  (24 * HOUR)
#define EPS  1e-9

static struct cost_cfg cfg_of(enum cost_platform platform)
{
    struct cost_cfg c;
    cost_cfg_defaults(&c);
    c.platform = platform;
    return c;
}

static struct cost_launch on_demand(double usd_per_hour, int32_t gpus, int64_t launch_us)
{
    return (struct cost_launch){.lifecycle = COST_ON_DEMAND,
                                .on_demand_usd_per_hour = usd_per_hour,
                                .gpus = gpus,
                                .launch_us = launch_us};
}

/* $0.90 from 0 s, $1.20 from 1,000 s (on-demand 3.06 $/h, a p3.2xlarge). */
static void price_090_120(struct spot_price *sp)
{
    static const int64_t t[] = {0, 1000 * S};
    static const double p[] = {0.90, 1.20};
    struct spot_steps_cfg c = {t, p, 2};
    cr_assert_eq(spot_price_init_steps(sp, &c, 3.06, NULL), 0);
}

static double metric(const struct cost_metric *ms, size_t n, const char *name, bool *found)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ms[i].name, name)) {
            *found = true;
            return ms[i].value;
        }
    *found = false;
    return NAN;
}

/* --- EC2 instances ---------------------------------------------------------------- */

Test(cost, instance_of_30_s_is_billed_60_s)
{
    /* g5.xlarge on demand, 1.006 $/h, runs 30 s: billed the 60 s minimum,
     * 1.006 x 60 / 3600 = $0.0167667. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct cost_launch l = on_demand(1.006, 1, 5 * S);
    struct cost_charge ch;
    cr_assert_eq(cost_ec2_charge(&c, &l, 35 * S, COST_END_TERMINATED, &ch, NULL), 0);
    cr_assert_eq(ch.billed_s, 60);
    cr_assert_float_eq(ch.usd, 1.006 * 60 / 3600, EPS);
    cr_assert_float_eq(ch.usd, 0.0167667, 1e-7);
}

Test(cost, instance_of_3601_s_is_billed_per_second)
{
    /* 3,601 s at 1.006 $/h: 1.006 x 3601 / 3600 = $1.0062794. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct cost_launch l = on_demand(1.006, 1, 0);
    struct cost_charge ch;
    cr_assert_eq(cost_ec2_charge(&c, &l, 3601 * S, COST_END_TERMINATED, &ch, NULL), 0);
    cr_assert_eq(ch.billed_s, 3601);
    cr_assert_float_eq(ch.usd, 1.0062794, 1e-7);
    /* 3,600.2 s: the partial second counts, billed 3,601 s, the same $1.0062794. */
    cr_assert_eq(cost_ec2_charge(&c, &l, 3600 * S + 200000, COST_END_TERMINATED, &ch, NULL), 0);
    cr_assert_eq(ch.billed_s, 3601);
    cr_assert_float_eq(ch.usd, 1.0062794, 1e-7);
}

Test(cost, spot_price_change_mid_run)
{
    /* Spot over [0, 3,600 s): $0.90 for 1,000 s then $1.20 for 2,600 s
     *   = 0.90 x 1000/3600 + 1.20 x 2600/3600 = $0.25 + $0.866667 = $1.116667.
     * On demand (3.06 $/h) the hour would cost $3.06: savings $1.943333. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct spot_price sp;
    price_090_120(&sp);
    struct cost_launch l = {.lifecycle = COST_SPOT,
                            .on_demand_usd_per_hour = 3.06,
                            .spot = &sp,
                            .gpus = 1,
                            .launch_us = 0};
    struct cost_charge ch;
    cr_assert_eq(cost_ec2_charge(&c, &l, 3600 * S, COST_END_TERMINATED, &ch, NULL), 0);
    cr_assert_float_eq(ch.usd, 0.25 + 0.8666666666666667, EPS);
    cr_assert_float_eq(ch.usd, 1.116667, 1e-6);
    cr_assert_float_eq(ch.on_demand_usd, 3.06, EPS);

    /* Launched at 500 s, ended at 1,100 s: 500 s x $0.90 + 100 s x $1.20
     *   = $0.125 + $0.033333 = $0.158333. */
    l.launch_us = 500 * S;
    cr_assert_eq(cost_ec2_charge(&c, &l, 1100 * S, COST_END_TERMINATED, &ch, NULL), 0);
    cr_assert_float_eq(ch.usd, 0.125 + 1.2 * 100 / 3600, EPS);

    /* The meter gives the same bill and the savings. */
    struct cost_meter m;
    struct cost_report r;
    cost_handle h;
    cr_assert_eq(cost_meter_init(&m, &c, 0, NULL), 0);
    l.launch_us = 0;
    cr_assert_eq(cost_instance_launch(&m, &l, &h, NULL), 0);
    cr_assert_eq(cost_instance_end(&m, h, 3600 * S, COST_END_TERMINATED, NULL), 0);
    cr_assert_eq(cost_finish(&m, 3600 * S, NULL), 0);
    cost_report(&m, &r);
    cr_assert_float_eq(r.spot_usd, 1.116667, 1e-6);
    cr_assert_float_eq(r.spot_savings_usd, 3.06 - 1.116667, 1e-6);
    cr_assert_float_eq(r.cost_usd, 1.116667, 1e-6);
    cost_meter_destroy(&m);
    spot_price_destroy(&sp);
}

Test(cost, spot_minimum_is_charged_at_the_launch_price)
{
    /* Launched at 990 s ($0.90), runs 30 s across the change at 1,000 s: the
     * 60 s minimum at the launch price, 0.90 x 60 / 3600 = $0.015. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct spot_price sp;
    price_090_120(&sp);
    struct cost_launch l = {.lifecycle = COST_SPOT,
                            .on_demand_usd_per_hour = 3.06,
                            .spot = &sp,
                            .gpus = 1,
                            .launch_us = 990 * S};
    struct cost_charge ch;
    cr_assert_eq(cost_ec2_charge(&c, &l, 1020 * S, COST_END_TERMINATED, &ch, NULL), 0);
    cr_assert_eq(ch.billed_s, 60);
    cr_assert_float_eq(ch.usd, 0.015, EPS);
    spot_price_destroy(&sp);
}

Test(cost, spot_interrupted_by_ec2_in_its_first_hour_is_free)
{
    /* EC2 billing rule: interrupted by EC2 within the first hour -> $0.
     * After the first hour, or terminated by the user, the seconds are paid. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct spot_price sp;
    price_090_120(&sp);
    struct cost_launch l = {.lifecycle = COST_SPOT,
                            .on_demand_usd_per_hour = 3.06,
                            .spot = &sp,
                            .gpus = 1,
                            .launch_us = 0};
    struct cost_charge ch;
    cr_assert_eq(cost_ec2_charge(&c, &l, 3599 * S, COST_END_INTERRUPTED, &ch, NULL), 0);
    cr_assert_eq(ch.usd, 0.0);
    cr_assert_float_eq(ch.on_demand_usd, 3.06 * 3599 / 3600, EPS);
    /* Interrupted at 3,601 s: $0.25 + 1.20 x 2601/3600 = $1.117. */
    cr_assert_eq(cost_ec2_charge(&c, &l, 3601 * S, COST_END_INTERRUPTED, &ch, NULL), 0);
    cr_assert_float_eq(ch.usd, 0.25 + 1.2 * 2601 / 3600, EPS);
    /* Terminated by the user at 3,599 s: $0.25 + 1.20 x 2599/3600 = $1.116333. */
    cr_assert_eq(cost_ec2_charge(&c, &l, 3599 * S, COST_END_TERMINATED, &ch, NULL), 0);
    cr_assert_float_eq(ch.usd, 0.25 + 1.2 * 2599 / 3600, EPS);
    /* The meter counts the free ones. */
    struct cost_meter m;
    struct cost_report r;
    cost_handle h;
    cr_assert_eq(cost_meter_init(&m, &c, 0, NULL), 0);
    cr_assert_eq(cost_instance_launch(&m, &l, &h, NULL), 0);
    cr_assert_eq(cost_instance_end(&m, h, 1800 * S, COST_END_INTERRUPTED, NULL), 0);
    cost_report(&m, &r);
    cr_assert_eq(r.spot_free_first_hour, 1);
    cr_assert_eq(r.spot_usd, 0.0);
    cr_assert_float_eq(r.spot_savings_usd, 3.06 / 2, EPS);
    cost_meter_destroy(&m);
    /* With the rule switched off an interruption is paid too. */
    c.spot_free_if_interrupted_first_hour = false;
    cr_assert_eq(cost_ec2_charge(&c, &l, 3599 * S, COST_END_INTERRUPTED, &ch, NULL), 0);
    cr_assert_float_eq(ch.usd, 0.25 + 1.2 * 2599 / 3600, EPS);
    spot_price_destroy(&sp);
}

/* --- control plane, Fargate, operations ----------------------------------------------- */

Test(cost, eks_control_plane_for_36_hours)
{
    /* 1 cluster x $0.10 x 36 h = $3.60; extended support $0.60 x 36 = $21.60;
     * 2 clusters $7.20; ECS has no control-plane fee. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_EKS);
    cr_assert_float_eq(cost_control_plane_usd(&c, 36 * HOUR), 3.60, EPS);
    c.eks_extended_support = true;
    cr_assert_float_eq(cost_control_plane_usd(&c, 36 * HOUR), 21.60, EPS);
    c.eks_extended_support = false;
    c.clusters = 2;
    cr_assert_float_eq(cost_control_plane_usd(&c, 36 * HOUR), 7.20, EPS);
    c = cfg_of(COST_PLATFORM_ECS);
    cr_assert_eq(cost_control_plane_usd(&c, 36 * HOUR), 0.0);
}

Test(cost, fargate_2_vcpu_4_gb_for_10_minutes)
{
    /* (2 x $0.04048 + 4 x $0.004445) per hour = $0.09874/h; 600 s is 1/6 h:
     * $0.09874 / 6 = $0.0164567. 30 s is billed the 60 s minimum: $0.0016457. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_ECS);
    double usd;
    cr_assert_eq(cost_fargate_charge(&c, 2, 4, 100 * S, 700 * S, &usd, NULL), 0);
    cr_assert_float_eq(usd, 0.09874 / 6, EPS);
    cr_assert_float_eq(usd, 0.0164567, 1e-7);
    cr_assert_eq(cost_fargate_charge(&c, 2, 4, 0, 30 * S, &usd, NULL), 0);
    cr_assert_float_eq(usd, 0.09874 / 60, EPS);
    struct os_error err = {{0}};
    cr_assert_eq(cost_fargate_charge(&c, 0, 4, 0, 30 * S, &usd, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "vCPU") != NULL, "%s", err.msg);
}

Test(cost, operations_effort_prorated_over_30_days)
{
    /* EKS: 4 engineers x $200,000/yr x 15 % x 30/365 yr = $9,863.01.
     * ECS: 4 x $200,000 x 3.5 % x 30/365 = $2,301.37. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_EKS);
    cr_assert_float_eq(cost_ops_usd(&c, 30 * DAY), 4 * 200000.0 * 0.15 * 30 / 365, 1e-6);
    cr_assert_float_eq(cost_ops_usd(&c, 30 * DAY), 9863.01, 0.005);
    c = cfg_of(COST_PLATFORM_ECS);
    cr_assert_float_eq(cost_ops_usd(&c, 30 * DAY), 2301.37, 0.005);
    c = cfg_of(COST_PLATFORM_NONE);
    cr_assert_eq(cost_ops_usd(&c, 30 * DAY), 0.0);
}

Test(cost, total_cost_of_ownership_sums_the_parts)
{
    /* EKS over 30 days (720 h):
     *   g5.xlarge on demand for all 720 h: 1.006 x 720 = $724.32
     *   Fargate 2 vCPU + 4 GB for 10 min:                $0.0164567
     *   control plane 0.10 x 720 =                       $72.00
     *   cost_usd = $796.3364567
     *   ops = $9,863.0137  ->  tco_usd = $10,659.3502 */
    struct cost_cfg c = cfg_of(COST_PLATFORM_EKS);
    struct cost_meter m;
    struct cost_report r;
    cost_handle h;
    cr_assert_eq(cost_meter_init(&m, &c, 0, NULL), 0);
    struct cost_launch l = on_demand(1.006, 1, 0);
    cr_assert_eq(cost_instance_launch(&m, &l, &h, NULL), 0);
    cr_assert_eq(cost_fargate_task(&m, 2, 4, 0, 600 * S, NULL), 0);
    cr_assert_eq(cost_finish(&m, 30 * DAY, NULL), 0); /* bills the live instance to 720 h */
    cost_report(&m, &r);
    double ops = 4 * 200000.0 * 0.15 * 30 / 365;
    cr_assert_float_eq(r.on_demand_usd, 724.32, 1e-9);
    cr_assert_float_eq(r.control_plane_usd, 72.0, 1e-9);
    cr_assert_float_eq(r.fargate_usd, 0.09874 / 6, 1e-12);
    cr_assert_float_eq(r.cost_usd, 724.32 + 72.0 + 0.09874 / 6, 1e-9);
    cr_assert_float_eq(r.ops_usd, ops, 1e-6);
    cr_assert_float_eq(r.tco_usd, r.cost_usd + ops, 1e-6);
    cr_assert_float_eq(r.tco_usd, 10659.3502, 1e-4);

    struct cost_metric ms[COST_METRICS_MAX];
    size_t n = cost_summary_metrics(&m, ms);
    bool found;
    cr_assert_float_eq(metric(ms, n, "tco_usd", &found), r.tco_usd, 1e-9);
    cr_assert(found);
    cr_assert_float_eq(metric(ms, n, "ops_cost_usd", &found), ops, 1e-6);
    cost_meter_destroy(&m);
}

/* --- GPU metrics --------------------------------------------------------------------- */

Test(cost, idle_dollars_on_a_hand_example)
{
    /* Instance A: 2 GPUs, $2.00/h, 1 h -> C = $2.00, capacity G = 7,200 GPU-s.
     *   Allocated 5,400 GPU-s (1.5 GPUs all hour), used 3,600 (1 GPU busy).
     *   allocated-but-unused: 2.00 x (5400-3600)/7200 = $0.50
     *   unallocated:          2.00 x (7200-5400)/7200 = $0.50
     * Instance B: 1 GPU, $1.00/h, 1 h, nothing allocated: unallocated $1.00.
     * Instance C: no GPU, $0.50/h, 1 h: not a GPU instance.
     * idle = $2.00; cost = $3.50; useful = 1 GPU-hour -> $3.50 per useful GPU-hour. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct cost_meter m;
    struct cost_report r;
    cost_handle a, b, cpu;
    cr_assert_eq(cost_meter_init(&m, &c, 2, NULL), 0);
    struct cost_launch la = on_demand(2.0, 2, 0), lb = on_demand(1.0, 1, 0),
                       lc = on_demand(0.5, 0, 0);
    cr_assert_eq(cost_instance_launch(&m, &la, &a, NULL), 0);
    cr_assert_eq(cost_instance_launch(&m, &lb, &b, NULL), 0);
    cr_assert_eq(cost_instance_launch(&m, &lc, &cpu, NULL), 0);
    cr_assert_eq(cost_instance_gpu_time(&m, a, 3600, 3600, NULL), 0); /* GPU 0 busy */
    cr_assert_eq(cost_instance_gpu_time(&m, a, 1800, 0, NULL), 0);    /* half of GPU 1, idle */
    cr_assert_eq(cost_instance_end(&m, a, HOUR, COST_END_TERMINATED, NULL), 0);
    cr_assert_eq(cost_instance_end(&m, b, HOUR, COST_END_TERMINATED, NULL), 0);
    cr_assert_eq(cost_instance_end(&m, cpu, HOUR, COST_END_TERMINATED, NULL), 0);
    cr_assert_eq(cost_finish(&m, HOUR, NULL), 0);
    cost_report(&m, &r);
    cr_assert_float_eq(r.idle_alloc_usd, 0.50, EPS);
    cr_assert_float_eq(r.idle_unalloc_usd, 0.50 + 1.00, EPS);
    cr_assert_float_eq(r.idle_usd, 2.00, EPS);
    cr_assert_float_eq(r.gpu_instance_usd, 3.00, EPS);
    cr_assert_float_eq(r.gpu_capacity_h, 3.0, EPS);
    cr_assert_float_eq(r.gpu_alloc_h, 1.5, EPS);
    cr_assert_float_eq(r.gpu_used_h, 1.0, EPS);
    cr_assert_float_eq(r.cost_usd, 3.50, EPS);

    struct cost_metric ms[COST_METRICS_MAX];
    size_t n = cost_summary_metrics(&m, ms);
    bool found;
    cr_assert_float_eq(metric(ms, n, "idle_cost_usd", &found), 2.00, EPS);
    cr_assert(found);
    cr_assert_float_eq(metric(ms, n, "cost_per_useful_gpu_hour_usd", &found), 3.50, EPS);
    cr_assert(found);
    cost_meter_destroy(&m);
}

Test(cost, gpu_time_beyond_capacity_is_clamped_and_counted)
{
    /* 1 GPU for 1 h at $1/h with 4,000 GPU-s reported: clamped to 3,600,
     * idle $0, counted once. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct cost_meter m;
    struct cost_report r;
    cost_handle h;
    cr_assert_eq(cost_meter_init(&m, &c, 0, NULL), 0);
    struct cost_launch l = on_demand(1.0, 1, 0);
    cr_assert_eq(cost_instance_launch(&m, &l, &h, NULL), 0);
    cr_assert_eq(cost_instance_gpu_time(&m, h, 4000, 4000, NULL), 0);
    struct os_error err = {{0}};
    cr_assert_eq(cost_instance_gpu_time(&m, h, 10, 20, &err), OS_EINVAL, "used > allocated");
    cr_assert_eq(cost_instance_end(&m, h, HOUR, COST_END_TERMINATED, NULL), 0);
    cost_report(&m, &r);
    cr_assert_eq(r.gpu_time_clamped, 1);
    cr_assert_float_eq(r.idle_usd, 0.0, EPS);
    cr_assert_float_eq(r.gpu_used_h, 1.0, EPS);
    cost_meter_destroy(&m);
}

/* --- metrics ------------------------------------------------------------------------- */

Test(cost, metrics_that_do_not_apply_are_absent)
{
    struct cost_cfg c = cfg_of(COST_PLATFORM_ECS);
    struct cost_meter m;
    cost_handle h;
    struct cost_metric ms[COST_METRICS_MAX];
    bool found;
    cr_assert_eq(cost_meter_init(&m, &c, 0, NULL), 0);
    struct cost_launch l = on_demand(0.5, 0, 0); /* a CPU instance */
    cr_assert_eq(cost_instance_launch(&m, &l, &h, NULL), 0);
    cr_assert_eq(cost_finish(&m, HOUR, NULL), 0);
    size_t n = cost_summary_metrics(&m, ms);
    cr_assert_eq(n, 3, "cost_usd, tco_usd, ops_cost_usd only");
    metric(ms, n, "cost_per_1k_requests_usd", &found);
    cr_assert(!found, "no requests: no cost per 1k requests");
    metric(ms, n, "idle_cost_usd", &found);
    cr_assert(!found, "no GPU instance: no idle dollars");
    metric(ms, n, "spot_savings_usd", &found);
    cr_assert(!found, "no spot: no spot metrics");

    /* 2,000 requests: $0.50 x 1000 / 2000 = $0.25 per 1k requests. */
    cost_add_requests(&m, 2000);
    n = cost_summary_metrics(&m, ms);
    cr_assert_float_eq(metric(ms, n, "cost_per_1k_requests_usd", &found), 0.25, EPS);
    cr_assert(found);
    /* Interruptions reported make the spot metrics apply. */
    cost_add_interruptions(&m, 3, 1.5);
    n = cost_summary_metrics(&m, ms);
    cr_assert_eq(metric(ms, n, "spot_interruptions", &found), 3.0);
    cr_assert(found);
    cr_assert_eq(metric(ms, n, "lost_gpu_hours", &found), 1.5);
    cr_assert_eq(metric(ms, n, "spot_savings_usd", &found), 0.0);
    cr_assert_leq(n, COST_METRICS_MAX);
    cost_meter_destroy(&m);
}

/* --- the meter ------------------------------------------------------------------------ */

Test(cost, handles_finish_and_errors)
{
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct cost_meter m;
    struct cost_report r;
    struct os_error err = {{0}};
    cost_handle h1, h2;
    cr_assert_eq(cost_meter_init(&m, &c, 0, NULL), 0);
    struct cost_launch l = on_demand(3.6, 0, 0); /* $0.001 per second */
    cr_assert_eq(cost_instance_launch(&m, &l, &h1, NULL), 0);
    cr_assert_neq(h1, 0);
    cr_assert_eq(cost_instance_end(&m, h1, 100 * S, COST_END_TERMINATED, NULL), 0);
    cr_assert_eq(cost_instance_end(&m, h1, 100 * S, COST_END_TERMINATED, &err), OS_EINVAL,
                 "a handle ends once");
    /* The slot is reused with a new generation: the old handle stays stale. */
    cr_assert_eq(cost_instance_launch(&m, &l, &h2, NULL), 0);
    cr_assert_neq(h1, h2);
    cr_assert_eq(cost_instance_gpu_time(&m, h1, 1, 1, &err), OS_EINVAL);
    cr_assert_eq(cost_instance_end(&m, h2, -1, COST_END_TERMINATED, &err), OS_EINVAL,
                 "end before launch");
    /* An instance launched after the horizon refuses the finish and changes nothing. */
    cost_handle late;
    l.launch_us = 500 * S;
    cr_assert_eq(cost_instance_launch(&m, &l, &late, NULL), 0);
    cr_assert_eq(cost_finish(&m, 400 * S, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "after the horizon") != NULL, "%s", err.msg);
    cr_assert_eq(cost_instance_end(&m, late, 560 * S, COST_END_TERMINATED, NULL), 0);
    /* Finish bills h2 (launched at 0) up to 400 s: $0.40; with 100 s and 60 s
     * before: 0.10 + 0.06 + 0.40 = $0.56. */
    cr_assert_eq(cost_finish(&m, 400 * S, NULL), 0);
    cost_report(&m, &r);
    cr_assert_float_eq(r.on_demand_usd, 0.56, EPS);
    cr_assert_eq(r.instances_on_demand, 3);
    cr_assert_eq(cost_instance_launch(&m, &l, &h1, &err), OS_EINVAL);
    cr_assert_eq(cost_finish(&m, 500 * S, &err), OS_EINVAL);
    cr_assert_eq(cost_fargate_task(&m, 1, 2, 0, S, &err), OS_EINVAL);
    cost_meter_destroy(&m);
}

Test(cost, steady_state_reuses_slots)
{
    /* 10,000 launch/end cycles with at most 4 live instances: no growth. */
    struct cost_cfg c = cfg_of(COST_PLATFORM_NONE);
    struct cost_meter m;
    cr_assert_eq(cost_meter_init(&m, &c, 4, NULL), 0);
    cost_handle h[4];
    struct cost_launch l = on_demand(1.0, 1, 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(cost_instance_launch(&m, &l, &h[i], NULL), 0);
    for (int k = 0; k < 10000; k++) {
        int i = k % 4;
        cr_assert_eq(cost_instance_end(&m, h[i], l.launch_us + HOUR, COST_END_TERMINATED, NULL), 0);
        cr_assert_eq(cost_instance_launch(&m, &l, &h[i], NULL), 0);
    }
    cr_assert_eq(m.cap, 4);
    cr_assert_eq(m.live, 4);
    cost_meter_destroy(&m);
}

Test(cost, bad_config_is_one_clear_line)
{
    struct cost_cfg c = cfg_of(COST_PLATFORM_EKS);
    struct cost_meter m;
    struct os_error err = {{0}};
    c.ops_fraction_eks = 1.5;
    cr_assert_eq(cost_meter_init(&m, &c, 0, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "ops_fraction_eks") != NULL, "%s", err.msg);
    c = cfg_of(COST_PLATFORM_EKS);
    c.clusters = -1;
    cr_assert_eq(cost_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "clusters") != NULL, "%s", err.msg);
    c = cfg_of(COST_PLATFORM_NONE);
    struct cost_launch l = {.lifecycle = COST_SPOT, .on_demand_usd_per_hour = 1.0};
    struct cost_charge ch;
    cr_assert_eq(cost_ec2_charge(&c, &l, 0, COST_END_TERMINATED, &ch, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "spot price process") != NULL, "%s", err.msg);
}

Test(cost, spot_bill_from_the_market_equals_the_integral)
{
    /* A generated pool of the market, billed by the meter over 10 days: the
     * charge is the exact integral of the price over the billed seconds. */
    struct spot_pool_cfg p;
    struct spot_market_cfg mc;
    struct spot_market market;
    spot_pool_cfg_defaults(&p);
    snprintf(p.instance_type, sizeof(p.instance_type), "g5.12xlarge");
    snprintf(p.availability_zone, sizeof(p.availability_zone), "us-east-1a");
    p.on_demand_usd_per_hour = 5.672;
    spot_market_cfg_defaults(&mc);
    mc.seed = 9;
    mc.pools = &p;
    mc.npools = 1;
    cr_assert_eq(spot_market_init(&market, &mc, NULL), 0);
    const struct spot_price *sp = &market.pools[0].price;

    struct cost_cfg c = cfg_of(COST_PLATFORM_EKS);
    struct cost_meter m;
    struct cost_report r;
    cost_handle h;
    cr_assert_eq(cost_meter_init(&m, &c, 0, NULL), 0);
    struct cost_launch l = {.lifecycle = COST_SPOT,
                            .on_demand_usd_per_hour = 5.672,
                            .spot = sp,
                            .gpus = 4,
                            .launch_us = 1234567};
    int64_t end = l.launch_us + 10 * DAY + 500000; /* + 0.5 s: billed up to the next second */
    cr_assert_eq(cost_instance_launch(&m, &l, &h, NULL), 0);
    cr_assert_eq(cost_instance_end(&m, h, end, COST_END_INTERRUPTED, NULL), 0);
    cost_report(&m, &r);
    double expect = spot_price_integral_usd(sp, l.launch_us, l.launch_us + (10 * DAY + S));
    cr_assert_float_eq(r.spot_usd, expect, 1e-9);
    cr_assert_float_eq(r.spot_on_demand_equiv_usd, 5.672 * (10 * 86400 + 1) / 3600.0, 1e-9);
    cr_assert_gt(r.spot_savings_usd, 0);
    cr_assert_lt(r.spot_usd, r.spot_on_demand_equiv_usd);
    cost_meter_destroy(&m);
    spot_market_destroy(&market);
}

/* Fargate task sizes: the smallest valid size that holds the request. */
Test(cost, fargate_size_rounds_up_to_a_valid_size)
{
    struct os_error err;
    double v, m;
    cr_assert_eq(cost_fargate_size(0.2, 0.3, &v, &m, &err), 0);
    cr_assert(v == 0.25 && m == 0.5);
    cr_assert_eq(cost_fargate_size(0.25, 1.5, &v, &m, &err), 0);
    cr_assert(v == 0.25 && m == 2);
    cr_assert_eq(cost_fargate_size(0.5, 2, &v, &m, &err), 0);
    cr_assert(v == 0.5 && m == 2, "%g %g", v, m);
    cr_assert_eq(cost_fargate_size(0.5, 5, &v, &m, &err), 0); /* 0.5 vCPU holds 4 GB at most */
    cr_assert(v == 1 && m == 5, "%g %g", v, m);
    cr_assert_eq(cost_fargate_size(3, 9.2, &v, &m, &err), 0);
    cr_assert(v == 4 && m == 10, "%g %g", v, m);
    cr_assert_eq(cost_fargate_size(8, 17, &v, &m, &err), 0); /* 16 + 4-GB steps */
    cr_assert(v == 8 && m == 20, "%g %g", v, m);
    cr_assert_eq(cost_fargate_size(16, 121, &v, &m, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "at most 16 vCPU and 120 GB"), "%s", err.msg);
}
