/*
 * cost.h - billing and total cost of ownership (MODELS.md section 9): EC2
 * instances per second, spot at the price in force, the EKS control plane,
 * Fargate, and the operations effort of the team, gathered by a cost meter the
 * simulation feeds and read out as the summary metrics of DESIGN.md.
 *
 * Billing rules (all money in dollars, all times in microseconds):
 *
 * - EC2 instance, launched at L and ended at E. Its life E - L is rounded up
 *   to whole seconds [U: AWS bills "per second"; a partial second is counted
 *   as a second, as Fargate does] and a launch is billed at least
 *   ec2_min_s = 60 s [MODELS.md section 6: per-second billing, 60 s minimum].
 *   On demand: on_demand $/h x billed seconds / 3600.
 *   Spot: the exact integral of the spot price step function (models/spot.h)
 *   over [L, L + billed seconds), i.e. each second at the price in force;
 *   when the rounded life is below the 60 s minimum the whole minimum is
 *   charged at the price in force at launch [U]. An instance that EC2
 *   interrupts (COST_END_INTERRUPTED) before it has run one hour costs nothing
 *   when spot_free_if_interrupted_first_hour is set (default; EC2 User Guide
 *   "Billing for interrupted Spot Instances": Linux, interrupted by EC2 in the
 *   first hour, no charge; after it, the seconds used).
 *   Instances still running when the meter finishes are billed up to the
 *   horizon, as if terminated then.
 * - EKS control plane: clusters x $0.10 per cluster-hour (standard support),
 *   $0.60 with extended support (aws.amazon.com/eks/pricing), prorated per
 *   second over [0, horizon] [U: clusters exist for the whole run]. ECS and
 *   "none" have no control-plane fee.
 * - Fargate task or pod: (vCPU x vcpu $/h + GB x GB $/h) x billed seconds /
 *   3600, billed seconds = the duration rounded up to whole seconds, at least
 *   60 s. Defaults, us-east-1 Linux/x86: $0.04048 per vCPU-hour and $0.004445
 *   per GB-hour. Source: aws.amazon.com/fargate/pricing/ (a stored copy,
 *   consulted 2026-11-22: billing "rounded up to the nearest second"; its
 *   us-east-1 example states $0.000011244 per vCPU-second = $0.04048/h; the
 *   table itself is rendered by script), with the per-hour figures and the
 *   one-minute minimum as quoted by vantage.sh/blog/fargate-pricing and
 *   factualminds.com "Amazon Fargate & ECS task pricing" (as of June 2026).
 *   Ephemeral storage above the free 20 GB and Fargate Spot are not modelled.
 *   Fargate has no GPUs (MODELS.md section 1).
 * - Operations effort: team_size x loaded cost per engineer-year x the
 *   fraction of the team's time spent on cluster operations (EKS 15 %, ECS
 *   3.5 %: the midpoints of MODELS.md section 9's 10-20 % and 2-5 %),
 *   prorated to the horizon with a 365-day year [U]. Team size 4 [U] and
 *   $200,000 per engineer-year [U] are placeholders: all inputs are scenario
 *   parameters. It is reported separately (ops_cost_usd) and summed into the
 *   total cost of ownership.
 *
 * Metrics (cost_summary_metrics() fills them by their contract names):
 *   cost_usd        cloud cost = instances (on demand + spot) + control plane
 *                   + Fargate. Operations effort is not in it.
 *   tco_usd         cost_usd + ops_cost_usd.
 *   ops_cost_usd    operations effort (an addition to the contract list, so
 *                   that the part of tco_usd that is not cloud cost is shown).
 *   cost_per_1k_requests_usd   cost_usd x 1000 / requests completed; absent
 *                   when no request was completed.
 *   cost_per_useful_gpu_hour_usd   cost_usd / useful GPU-hours; absent when
 *                   no useful GPU time was reported.
 *   idle_cost_usd   the share of GPU-instance cost bought for GPU time that
 *                   did no useful work. For every instance i with g_i > 0
 *                   GPUs, charge C_i and life T_i seconds (end - launch, not
 *                   rounded), capacity G_i = g_i T_i GPU-seconds, allocated
 *                   GPU-seconds A_i (clamped to [0, G_i]) and used (useful)
 *                   GPU-seconds U_i (clamped to [0, A_i]):
 *                       idle_i = C_i (G_i - U_i) / G_i      (C_i when G_i = 0)
 *                   which is the sum of allocated-but-unused C_i (A_i - U_i)/G_i
 *                   and unallocated C_i (G_i - A_i)/G_i (both kept in the
 *                   report). The cost of a GPU-second is the instance's own
 *                   average, so idle time on an expensive type costs more; a
 *                   minimum-charge or rounding overhang counts as idle.
 *                   Absent when no GPU instance was launched.
 *   spot_savings_usd   for spot instances: what they would have cost on demand
 *                   over the same billed seconds minus what they cost.
 *   spot_interruptions, lost_gpu_hours   counters the simulation passes in.
 *                   The three spot metrics are absent when no spot instance
 *                   was launched and no interruption was reported.
 * "Useful" GPU time is what the caller reports as used: it should leave out
 * work that an interruption destroyed (that is what lost_gpu_hours counts).
 *
 * The meter keeps one slot per live instance (reused after termination, so a
 * steady-state run allocates nothing) and running totals.
 */
#ifndef ORCHSIM_COST_H
#define ORCHSIM_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/spot.h"
#include "sim/os_err.h"

#define COST_US_PER_S      INT64_C(1000000)
#define COST_US_PER_HOUR   INT64_C(3600000000)
#define COST_DAYS_PER_YEAR 365.0
#define COST_METRICS_MAX   12

/* Fargate us-east-1 Linux/x86, aws.amazon.com/fargate/pricing/ consulted
 * 2026-11-22 (see the top of this file). */
#define COST_FARGATE_VCPU_USD_PER_HOUR         0.04048
#define COST_FARGATE_GB_USD_PER_HOUR           0.004445
#define COST_EKS_USD_PER_CLUSTER_HOUR          0.10
#define COST_EKS_EXTENDED_USD_PER_CLUSTER_HOUR 0.60

/* Which control plane and which operations fraction apply. */
enum cost_platform {
    COST_PLATFORM_NONE = 0, /* no orchestrator (e.g. a bare placement replay) */
    COST_PLATFORM_ECS,
    COST_PLATFORM_EKS,
};

enum cost_lifecycle {
    COST_ON_DEMAND = 0,
    COST_SPOT,
};

/* Why an instance stopped: decides the spot first-hour rule. */
enum cost_end_reason {
    COST_END_TERMINATED = 0, /* by the orchestrator, autoscaler or user */
    COST_END_INTERRUPTED,    /* by EC2 (a spot interruption) */
    COST_END_HORIZON,        /* still running when the run ended */
};

/* Plain data; defaults in parentheses (cost_cfg_defaults()). */
struct cost_cfg {
    enum cost_platform platform;              /* (NONE) */
    int32_t clusters;                         /* (1) EKS clusters billed, >= 0 */
    double eks_usd_per_cluster_hour;          /* (0.10) standard support */
    bool eks_extended_support;                /* (false) */
    double eks_extended_usd_per_cluster_hour; /* (0.60) */
    int64_t ec2_min_s;                        /* (60) minimum billed seconds per launch */
    bool spot_free_if_interrupted_first_hour; /* (true) EC2 billing rule, Linux */
    double fargate_vcpu_usd_per_hour;         /* (0.04048) us-east-1 Linux/x86, see top */
    double fargate_gb_usd_per_hour;           /* (0.004445) aws.amazon.com/fargate/pricing */
    int64_t fargate_min_s;                    /* (60) */
    double ops_team_size;                     /* (4) [U] engineers, >= 0 */
    double ops_usd_per_engineer_year;         /* (200000) [U] loaded cost, >= 0 */
    double ops_fraction_eks;                  /* (0.15) of the team's time, [0, 1] */
    double ops_fraction_ecs;                  /* (0.035) */
    double ops_fraction_none;                 /* (0) */
};

/* One EC2 instance as the meter bills it. The instance type and AZ enter
 * through the on-demand price (from the catalog) and, for spot, the price
 * process of that (type, AZ) pool of the spot market. */
struct cost_launch {
    enum cost_lifecycle lifecycle;
    double on_demand_usd_per_hour; /* > 0; the spot savings baseline too */
    const struct spot_price *spot; /* required for COST_SPOT, ignored otherwise; not owned */
    int32_t gpus;                  /* physical GPUs of the type, >= 0 */
    int64_t launch_us;
};

/* The charge of one instance (cost_ec2_charge()). */
struct cost_charge {
    double usd;           /* what it costs */
    double on_demand_usd; /* what the same billed seconds cost on demand */
    int64_t billed_s;     /* seconds billed (after rounding and the minimum) */
};

/* Totals and breakdown (cost_report()). */
struct cost_report {
    double horizon_h;     /* hours from 0 to the horizon given to cost_finish() */
    double on_demand_usd; /* on-demand instances */
    double spot_usd;      /* spot instances */
    double control_plane_usd;
    double fargate_usd;
    double cost_usd; /* the four above */
    double ops_usd;
    double tco_usd;                  /* cost_usd + ops_usd */
    double spot_on_demand_equiv_usd; /* spot instances priced on demand */
    double spot_savings_usd;
    double gpu_instance_usd; /* instances with GPUs */
    double gpu_capacity_h;   /* sum of G_i, GPU-hours */
    double gpu_alloc_h;      /* sum of clamped A_i */
    double gpu_used_h;       /* sum of clamped U_i (useful GPU-hours) */
    double idle_alloc_usd;   /* allocated but unused */
    double idle_unalloc_usd; /* unallocated */
    double idle_usd;         /* the two above */
    uint64_t requests;
    uint64_t instances_on_demand; /* launches */
    uint64_t instances_spot;
    uint64_t instances_gpu;
    uint64_t spot_free_first_hour; /* interrupted spot instances billed nothing */
    uint64_t fargate_tasks;
    uint64_t spot_interruptions; /* passed in */
    double lost_gpu_hours;       /* passed in */
    uint64_t gpu_time_clamped;   /* instances whose reported GPU time exceeded capacity */
};

/* A summary metric: a contract name and its value. */
struct cost_metric {
    const char *name; /* static storage */
    double value;
};

/* Per-instance state (private). */
struct cost_slot {
    struct cost_launch launch;
    double alloc_gpu_s;
    double used_gpu_s;
    uint32_t gen;       /* bumped on release; part of the handle */
    uint32_t next_free; /* free-list link */
    bool live;
};

/* The meter. Caller-owned; cost_meter_init fills it, cost_meter_destroy frees
 * it. Fields are private: read them through cost_report(). */
struct cost_meter {
    struct cost_cfg cfg;
    struct cost_slot *slots;
    uint32_t cap, free_head;
    size_t live;
    bool finished;
    struct cost_report r; /* running totals; finished by cost_finish() */
};

/* An instance handle: slot index in the low 32 bits, generation in the high
 * 32, so a stale handle is detected. 0 is never a valid handle. */
typedef uint64_t cost_handle;

void cost_cfg_defaults(struct cost_cfg *c);

/* Checks a config. Returns 0 or OS_EINVAL with one line naming the field. */
int cost_cfg_validate(const struct cost_cfg *c, struct os_error *err);

/* The operations fraction that applies to c->platform. */
double cost_ops_fraction(const struct cost_cfg *c);

/* Pure billing of one EC2 instance ended at end_us for `why` (see the top of
 * this file). Returns 0, or OS_EINVAL for end before launch, a missing spot
 * process or a non-positive on-demand price. */
int cost_ec2_charge(const struct cost_cfg *c, const struct cost_launch *l, int64_t end_us,
                    enum cost_end_reason why, struct cost_charge *out, struct os_error *err);

/* Pure billing of one Fargate task of vcpu vCPUs and mem_gb GB running over
 * [start_us, end_us]. */
int cost_fargate_charge(const struct cost_cfg *c, double vcpu, double mem_gb, int64_t start_us,
                        int64_t end_us, double *usd, struct os_error *err);

/* The smallest Fargate task size (Linux) with at least vcpu vCPUs and mem_gb
 * GB: vCPU 0.25 (0.5, 1, 2 GB), 0.5 (1-4 GB), 1 (2-8), 2 (4-16), 4 (8-30) in
 * 1-GB steps, 8 (16-60) in 4-GB steps, 16 (32-120) in 8-GB steps (Amazon ECS
 * developer guide, task CPU and memory). OS_EINVAL beyond 16 vCPU / 120 GB. */
int cost_fargate_size(double vcpu, double mem_gb, double *out_vcpu, double *out_gb,
                      struct os_error *err);

/* Control-plane dollars over [0, horizon_us]. */
double cost_control_plane_usd(const struct cost_cfg *c, int64_t horizon_us);

/* Operations-effort dollars over [0, horizon_us]. */
double cost_ops_usd(const struct cost_cfg *c, int64_t horizon_us);

/* Initialises an empty meter with room for `capacity` live instances (0 picks
 * a small default; it grows by doubling). The config is validated and copied. */
int cost_meter_init(struct cost_meter *m, const struct cost_cfg *c, size_t capacity,
                    struct os_error *err);

void cost_meter_destroy(struct cost_meter *m);

/* Starts billing an instance; writes its handle. */
int cost_instance_launch(struct cost_meter *m, const struct cost_launch *l, cost_handle *h,
                         struct os_error *err);

/* Adds GPU time of a live instance: alloc_gpu_s GPU-seconds allocated to
 * pods/tasks and used_gpu_s of them doing useful work (0 <= used <= alloc).
 * May be called any number of times before the instance ends. */
int cost_instance_gpu_time(struct cost_meter *m, cost_handle h, double alloc_gpu_s,
                           double used_gpu_s, struct os_error *err);

/* Bills the instance up to end_us and releases its handle. */
int cost_instance_end(struct cost_meter *m, cost_handle h, int64_t end_us, enum cost_end_reason why,
                      struct os_error *err);

/* Bills a Fargate task (see cost_fargate_charge()). */
int cost_fargate_task(struct cost_meter *m, double vcpu, double mem_gb, int64_t start_us,
                      int64_t end_us, struct os_error *err);

/* Counts completed requests. */
void cost_add_requests(struct cost_meter *m, uint64_t n);

/* Adds spot interruptions and the GPU-hours of work they destroyed. */
void cost_add_interruptions(struct cost_meter *m, uint64_t n, double lost_gpu_hours);

/* Ends the run at horizon_us: bills live instances up to it (reason HORIZON;
 * an instance launched after the horizon is an error), adds control plane and
 * operations effort for [0, horizon_us]. After it, instance and Fargate
 * events return OS_EINVAL; the request and interruption counters still add. */
int cost_finish(struct cost_meter *m, int64_t horizon_us, struct os_error *err);

/* Copies the totals. Before cost_finish() control plane and operations are 0
 * and live instances are not yet billed. */
void cost_report(const struct cost_meter *m, struct cost_report *out);

/* Writes the summary metrics that apply (see the top of this file) to out
 * (room for COST_METRICS_MAX) and returns how many. */
size_t cost_summary_metrics(const struct cost_meter *m, struct cost_metric *out);

#endif
