/*
 * spot.h - the EC2 spot market: a price process per (instance type,
 * availability zone) pool, spot interruptions with their notices, and launch
 * failures for lack of capacity. It knows nothing about ECS, Kubernetes or the
 * engine: the orchestrators ask it for prices, for an instance's interruption
 * time at launch and for the outcome of a launch, and schedule the events
 * themselves. Billing (models/cost.h) integrates the price step functions.
 *
 * Prices. Every pool's price is a right-continuous step function of simulated
 * time: steps (t_k, p_k) with strictly increasing t_k; the price at t is p_k
 * for the last t_k <= t, the first step's price before the first step, and the
 * last step's price after the last one. Equal consecutive prices are merged,
 * so every step is a real change. Three sources fill the steps:
 *
 * - TRACE: replayed from aws-spot-gpu-prices-2020/aws_spot_gpu_prices_flat.csv
 *   (format spot_price of sim/trace.h). One series is picked by instance type
 *   and AZ (by default the pool's own). Simulation time 0 is the series' first
 *   price point (align_start, the default) or the Unix time origin_epoch_s;
 *   trace time is multiplied by time_scale (simulated seconds per trace
 *   second, e.g. 1/24 replays a day per simulated hour) and rounded to the
 *   microsecond. When the pool's type is the trace's type the trace prices are
 *   used exactly as they are. When a trace type is mapped onto a different
 *   catalog type (the trace only has p2/p3 types), the trace price is used as
 *   a fraction of the trace type's on-demand price:
 *       price = trace_price / trace_on_demand * pool_on_demand,
 *   so a p3.2xlarge at 0.94 of 3.06 $/h (30.7 %) maps onto a g5.xlarge
 *   (1.006 $/h) as 0.309 $/h. trace_on_demand is trace.on_demand_usd_per_hour,
 *   or, when that is 0, the built-in us-east-1 Linux price of the six trace
 *   types (spot_trace_type_on_demand()). [U] For series of other regions the
 *   us-east-1 price is used unless the config gives the region's price.
 *   Replayed prices are not capped at on-demand unless cap_at_on_demand is
 *   set: 2020 series of regions with higher on-demand prices legitimately
 *   exceed the us-east-1 price, and replay is meant to be exact.
 *
 * - GENERATED: the log of the price fraction y = ln(price / on_demand) follows
 *   an Ornstein-Uhlenbeck process with time constant tau and stationary
 *   standard deviation sd_log, sampled exactly at steps of step_us:
 *       y_{k+1} = mu + (y_k - mu) a + sd_log sqrt(1 - a^2) Z,   a = exp(-step/tau),
 *   y_0 drawn from the stationary law N(mu, sd_log^2) so there is no warm-up
 *   transient [U]; each step's price adds independent noise e ~ N(0, noise_sd^2)
 *   and is capped at on-demand:
 *       p_k = on_demand * min(1, exp(y_k + e_k)).
 *   mu = ln(1 - mean_discount) - (sd_log^2 + noise_sd^2) / 2, so the long-run
 *   mean of the uncapped price fraction is exactly 1 - mean_discount; the cap
 *   lowers it by a negligible amount at the defaults (P(y + e > 0) ~ 1e-130).
 *   MODELS.md section 5: EC2 "adjusts gradually based on long-term trends",
 *   typical savings 70-90 %, capped at on-demand. The process covers
 *   [0, horizon_us] and holds its last price after that. Draws come from the
 *   GSL stream (seed, "spot.price.<type>@<az>", 0) of sim/rng.h, so a pool's
 *   prices depend only on the seed and its name.
 *   Defaults: mean_discount 0.70 (MODELS.md section 5; also the floor of the
 *   2020 p3 series, see below); step 6 h and sd_log 0.045 + noise 0.02 (total
 *   ~0.049) derived from the trace: in the active us-east-1 p3.2xlarge series
 *   the median time between changes is 5.9-6.3 h and the time-weighted sd of
 *   ln(price/on-demand) is 0.037-0.071, mean price fraction 0.31-0.34;
 *   tau 3 days [U] ("days/weeks").
 *
 * - STEPS: an explicit list of (time, price) given by the caller (scenario
 *   files, tests).
 *
 * Queries. spot_price_at() is O(1) amortised for non-decreasing query times
 * (a cursor walks forward; a backward query falls back to binary search);
 * spot_price_lookup() is the same without the cursor (const, O(log n)).
 * spot_price_next_change() and the segment iterator let billing and the
 * orchestrators walk the price changes exactly.
 *
 * Interruptions. Each pool has a constant hazard lambda (per microsecond
 * internally). Its source is either a Spot Instance Advisor band (trailing
 * month reclaim frequency <5 %, 5-10 %, 10-15 %, 15-20 %, >20 %) or an
 * explicit rate. Band conversion [U]: the band's midpoint is taken as the
 * probability p that an instance running for a month (730 h, the AWS pricing
 * month) is interrupted, and lambda = -ln(1 - p) / 730 h:
 *     <5 %: 2.5 %   5-10 %: 7.5 %   10-15 %: 12.5 %   15-20 %: 17.5 %
 *     >20 %: 25 % [U: the band is open; 25 % is a choice]
 * e.g. 5-10 % gives -ln(0.925)/730 h = 1.068e-4 per hour (mean life 390 days).
 * The hazard governs the *notice*: an instance launched at L gets its notice
 * at N = L + X, X ~ Exponential(lambda), and is terminated at N + notice_us
 * (default 2 min, [EC2:spot-instance-termination-notices]); so the notice is
 * always exactly notice_us before termination, also for instances interrupted
 * within two minutes of launch. When rebalance recommendations are enabled
 * one comes at max(L, N - rebalance_lead_us) (lead default 10 min [U]; EC2
 * says it "may precede or coincide", [EC2:rebalance-recommendations]).
 * X is drawn from the stream (seed, "spot.interrupt", instance_id): it depends
 * only on the seed and the caller's instance id, not on launch order or on
 * other instances, and an instance with the same id sees the same uniform draw
 * in every variant (common random numbers). The market owns one GSL generator
 * and reseeds it per draw, so sampling allocates nothing.
 *
 * Calibration from the 2020 availability log (stanford-futuredata/
 * training_on_a_dime@85f6595 logs/aws/availability/persistent_2020-03-15.out,
 * shipped unchanged as SPOT_DEFAULT_LOG_PATH; spot_log_estimate() below
 * recomputes every figure, `orchsim spot-log` prints them): us-east-1b/c,
 * 2020-03-15T10:07 to 03-17T15:36, polled every ~10 min. All 32 instances
 * lost were K80 (1 and 8 GPUs: p2.xlarge, p2.8xlarge): 32 losses in 158.1 K80
 * instance-hours (35 instances; each loss placed half a poll interval before
 * its detection; 160.8 h with the loss at its detection, as
 * spot_log_estimate() counts), i.e. 0.20 per hour, mean life 4.9 h - far
 * beyond the >20 % band. Per size: 1 GPU 23 lost in 97.3 h (0.236/h), 8 GPUs
 * 9 in 63.5 h (0.142/h). The four V100 instances (1 and 8 GPUs: p3.2xlarge,
 * p3.16xlarge) ran 213.8 instance-hours without a loss: one-sided 95 % upper
 * bound -ln(0.05)/213.8 h = 0.014 per hour (the two-sided Garwood upper bound
 * that spot_log_estimate() reports is -ln(0.025)/T, 0.0345/h per size). 290 K80
 * launch requests failed against 35 that succeeded (0.89 per attempt; the
 * attempts were retries every ~10 min, so they are correlated). These are a
 * stress calibration of one capacity crunch, not a typical month.
 *
 * Launch failures. Each launch attempt in a pool fails for lack of capacity
 * with probability fail_prob (default 0), drawn from the stream (seed,
 * "spot.launch", attempt_id). On failure the pool's fallback decides: NONE
 * (the launch fails; the caller retries later), ON_DEMAND (the same type and
 * AZ is launched on demand, which never fails [U]) or POOL (the attempt moves
 * to another pool, which applies its own fail_prob and fallback; at most
 * npools pools are tried, so a cycle of fallbacks ends in failure).
 */
#ifndef ORCHSIM_SPOT_H
#define ORCHSIM_SPOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/os_err.h"
#include "sim/rng.h"

#define SPOT_NAME_MAX        48
#define SPOT_PATH_MAX        512
#define SPOT_US_PER_S        INT64_C(1000000)
#define SPOT_US_PER_HOUR     INT64_C(3600000000)
#define SPOT_HOURS_PER_MONTH 730.0    /* the AWS pricing month: 365 * 24 / 12 */
#define SPOT_MAX_STEPS       50000000 /* steps per process; a larger horizon/step is EINVAL */

/* Derived from the 2020 availability log (see the top of this file). */
#define SPOT_LOG2020_K80_RATE_PER_HOUR        0.20
#define SPOT_LOG2020_V100_RATE_UPPER_PER_HOUR 0.014
#define SPOT_LOG2020_K80_LAUNCH_FAIL_PROB     0.89
#define SPOT_DEFAULT_TRACE_PATH                                                                    \
    "scenarios/traces/aws-spot-gpu-prices-2020/aws_spot_gpu_prices_flat.csv"
#define SPOT_DEFAULT_LOG_PATH                                                                      \
    "scenarios/traces/aws-spot-gpu-prices-2020/availability_2020-03-15.log"

/* Where a pool's prices come from. */
enum spot_price_kind {
    SPOT_PRICE_GENERATED = 0,
    SPOT_PRICE_TRACE = 1,
    SPOT_PRICE_STEPS = 2,
};

/* Generated prices (see the top of this file). Defaults in parentheses. */
struct spot_gen_cfg {
    double mean_discount; /* (0.70) long-run mean of 1 - price/on-demand, in [0, 1) */
    int64_t tau_us;       /* (3 days) [U] OU time constant, > 0 */
    double sd_log;        /* (0.045) stationary sd of ln(price fraction), >= 0 */
    double noise_sd;      /* (0.02) per-step noise on ln(price fraction), >= 0 */
    int64_t step_us;      /* (6 h) time between price updates, > 0 */
};

/* Replayed prices (see the top of this file). Defaults in parentheses. */
struct spot_trace_cfg {
    char path[SPOT_PATH_MAX];              /* (SPOT_DEFAULT_TRACE_PATH) */
    char instance_type[SPOT_NAME_MAX];     /* ("") series type; "" = the pool's type */
    char availability_zone[SPOT_NAME_MAX]; /* ("") series AZ; "" = the pool's AZ */
    bool align_start;                      /* (true) the series' first point is time 0 */
    int64_t origin_epoch_s;                /* (0) Unix time of sim time 0 when !align_start */
    double time_scale;                     /* (1.0) simulated seconds per trace second, > 0 */
    double on_demand_usd_per_hour;         /* (0) the trace type's on-demand; 0 = built in */
    bool cap_at_on_demand;                 /* (false) cap replayed prices at the pool's */
    /* (NULL) the rows of `path` already read (spot_trace_rows_load), shared
     * read-only: the file is not read again */
    const struct spot_trace_rows *rows;
};

/* One row of a spot price trace as spot_price_init_trace uses it. */
struct spot_trace_row {
    int64_t time_us;
    int64_t line; /* in the file, for messages */
    double usd_per_hour;
    char instance_type[64]; /* TRACE_NAME_MAX of sim/trace.h */
    char availability_zone[64];
};

/* The rows of a spot price trace file, in file order. */
struct spot_trace_rows {
    char path[SPOT_PATH_MAX];
    struct spot_trace_row *row;
    size_t n, cap;
};

/* Reads every row of the trace at path (format spot_price of sim/trace.h):
 * OS_EPARSE naming file and line, OS_EIO, OS_ENOMEM. */
int spot_trace_rows_load(struct spot_trace_rows *t, const char *path, struct os_error *err);

/* Frees the rows. Idempotent on a zeroed struct. */
void spot_trace_rows_destroy(struct spot_trace_rows *t);

/* Explicit steps. The arrays are caller-owned and copied at init. Times are
 * strictly increasing; prices >= 0. */
struct spot_steps_cfg {
    const int64_t *time_us;
    const double *usd_per_hour;
    size_t n; /* >= 1 */
};

/* Spot Instance Advisor interruption-frequency bands. */
enum spot_band {
    SPOT_BAND_UNDER_5 = 0,
    SPOT_BAND_5_10,
    SPOT_BAND_10_15,
    SPOT_BAND_15_20,
    SPOT_BAND_OVER_20,
    SPOT_BAND_COUNT
};

enum spot_hazard_kind {
    SPOT_HAZARD_NONE = 0, /* never interrupted */
    SPOT_HAZARD_BAND,     /* from an advisor band (see the top of this file) */
    SPOT_HAZARD_RATE,     /* rate_per_hour as given */
};

/* Defaults in parentheses. */
struct spot_interrupt_cfg {
    enum spot_hazard_kind kind; /* (BAND) */
    enum spot_band band;        /* (SPOT_BAND_5_10) [U] a middle band for GPU types */
    double rate_per_hour;       /* (0) for kind RATE, >= 0 */
};

enum spot_fallback {
    SPOT_FALLBACK_NONE = 0,  /* the launch fails */
    SPOT_FALLBACK_ON_DEMAND, /* launch the same type and AZ on demand */
    SPOT_FALLBACK_POOL,      /* try another pool */
};

/* Defaults in parentheses. */
struct spot_launch_cfg {
    double fail_prob;                  /* (0) per attempt, in [0, 1] */
    enum spot_fallback fallback;       /* (NONE) */
    char fallback_type[SPOT_NAME_MAX]; /* for POOL: the other pool's type */
    char fallback_zone[SPOT_NAME_MAX]; /* for POOL: the other pool's AZ */
};

/* One (instance type, AZ) pool. */
struct spot_pool_cfg {
    char instance_type[SPOT_NAME_MAX];     /* catalog type name, non-empty */
    char availability_zone[SPOT_NAME_MAX]; /* non-empty */
    double on_demand_usd_per_hour;         /* from the catalog, > 0 */
    enum spot_price_kind price_kind;       /* (GENERATED) */
    struct spot_gen_cfg gen;
    struct spot_trace_cfg trace;
    struct spot_steps_cfg steps;
    struct spot_interrupt_cfg interrupt;
    struct spot_launch_cfg launch;
};

/* The market. Defaults in parentheses. */
struct spot_market_cfg {
    uint64_t seed;                     /* (0) the scenario seed */
    int64_t horizon_us;                /* (30 days) generated prices cover [0, horizon] */
    int64_t notice_us;                 /* (120 s) notice before termination, >= 0 */
    bool rebalance;                    /* (false) emit rebalance recommendations */
    int64_t rebalance_lead_us;         /* (600 s) [U] before the notice, >= 0 */
    const struct spot_pool_cfg *pools; /* caller-owned; read during init only */
    size_t npools;
};

/* A price step function. Caller-owned storage; the arrays belong to it. */
struct spot_price {
    int64_t *time_us;     /* step start times, strictly increasing */
    double *usd_per_hour; /* price from time_us[k] on */
    size_t n;             /* >= 1 after a successful init */
    size_t cap;           /* private: allocated length */
    size_t cursor;        /* private: last step found by spot_price_at() */
    double on_demand_usd_per_hour;
};

/* A constant-price piece of a step function, [start_us, end_us). */
struct spot_segment {
    int64_t start_us;
    int64_t end_us;
    double usd_per_hour;
};

/* Walks the constant-price pieces of [t0, t1). Plain data; no cleanup. */
struct spot_segments {
    const struct spot_price *sp;
    size_t k;    /* step in force at t */
    int64_t t;   /* start of the next piece */
    int64_t end; /* t1 */
};

/* A pool of the market (read-only for callers). */
struct spot_pool {
    char instance_type[SPOT_NAME_MAX];
    char availability_zone[SPOT_NAME_MAX];
    double on_demand_usd_per_hour;
    struct spot_price price;
    double hazard_per_hour; /* 0 = never interrupted */
    double fail_prob;
    enum spot_fallback fallback;
    int32_t fallback_pool; /* index for SPOT_FALLBACK_POOL, else -1 */
};

/* The market. Caller-owned; spot_market_init fills it, spot_market_destroy
 * frees it. Pools keep their index and address until destroy, so callers may
 * hold `const struct spot_price *` pointers into them. */
struct spot_market {
    struct spot_pool *pools;
    size_t npools;
    uint64_t seed;
    int64_t notice_us;
    bool rebalance;
    int64_t rebalance_lead_us;
    struct rng draw; /* private: reseeded for every per-instance draw */
};

/* What happens to one spot instance (all times absolute, microseconds). */
struct spot_interruption {
    bool interrupted;     /* false when the pool's hazard is 0 (then the times are -1) */
    int64_t notice_us;    /* the interruption notice (and EventBridge warning) */
    int64_t terminate_us; /* notice_us + the market's notice_us */
    int64_t rebalance_us; /* rebalance recommendation, or -1 when disabled */
};

enum spot_launch_outcome {
    SPOT_LAUNCHED = 0,           /* spot capacity in the requested pool */
    SPOT_LAUNCHED_FALLBACK_POOL, /* spot capacity in a fallback pool */
    SPOT_LAUNCHED_ON_DEMAND,     /* on demand, in the pool that fell back to it */
    SPOT_LAUNCH_FAILED,          /* no capacity and no fallback left */
};

struct spot_launch {
    enum spot_launch_outcome outcome;
    size_t pool;  /* the pool launched in (or the last one tried, on failure) */
    int attempts; /* pools tried, >= 1 */
};

/* --- configuration --------------------------------------------------------- */

void spot_gen_cfg_defaults(struct spot_gen_cfg *c);
void spot_trace_cfg_defaults(struct spot_trace_cfg *c);
void spot_interrupt_cfg_defaults(struct spot_interrupt_cfg *c);
void spot_launch_cfg_defaults(struct spot_launch_cfg *c);
/* Sets every field of a pool to its default; type, AZ and on-demand price are
 * left empty/0 and must be filled in. */
void spot_pool_cfg_defaults(struct spot_pool_cfg *c);
void spot_market_cfg_defaults(struct spot_market_cfg *c);

/* Checks a market config without reading files. Returns 0 or OS_EINVAL with
 * one line naming the pool and the field. */
int spot_market_cfg_validate(const struct spot_market_cfg *c, struct os_error *err);

/* The monthly interruption probability assumed for a band (its midpoint). */
double spot_band_monthly_prob(enum spot_band b);

/* Hazard per hour of an interruption config: -ln(1 - p)/730 for a band, the
 * rate for RATE, 0 for NONE. */
double spot_hazard_per_hour(const struct spot_interrupt_cfg *c);

/* Built-in us-east-1 Linux on-demand $/h of the six trace types (p2.xlarge,
 * p2.8xlarge, p2.16xlarge, p3.2xlarge, p3.8xlarge, p3.16xlarge), or 0 for any
 * other name. Source: aws/karpenter-provider-aws
 * pkg/providers/pricing/zz_generated.pricing_aws.go (AWS Price List, us-east-1). */
double spot_trace_type_on_demand(const char *instance_type);

/* --- price processes --------------------------------------------------------- */

/* Generates a process over [0, horizon_us] (see the top of this file) from the
 * stream (seed, stream_name, 0). */
int spot_price_init_generated(struct spot_price *sp, const struct spot_gen_cfg *c,
                              double on_demand_usd_per_hour, int64_t horizon_us, uint64_t seed,
                              const char *stream_name, struct os_error *err);

/* Replays the series (type, az) of the trace (see struct spot_trace_cfg; type
 * and az are the series to pick, already defaulted by the caller). The pool's
 * type decides whether prices are mapped. Returns OS_ENOENT/OS_EIO/OS_EPARSE
 * from the reader, OS_EPARSE for an unsorted series, OS_EINVAL when the series
 * does not exist (the message lists the AZs the type has) or a mapping lacks
 * the trace type's on-demand price. */
int spot_price_init_trace(struct spot_price *sp, const struct spot_trace_cfg *c,
                          const char *pool_type, double on_demand_usd_per_hour,
                          struct os_error *err);

/* Copies explicit steps. */
int spot_price_init_steps(struct spot_price *sp, const struct spot_steps_cfg *c,
                          double on_demand_usd_per_hour, struct os_error *err);

/* Frees the steps. Idempotent. */
void spot_price_destroy(struct spot_price *sp);

/* Price in force at t ($/h). O(1) amortised for non-decreasing t. */
double spot_price_at(struct spot_price *sp, int64_t t);

/* The same without the cursor, O(log n). */
double spot_price_lookup(const struct spot_price *sp, int64_t t);

/* The first price change strictly after t, or INT64_MAX when none follows. */
int64_t spot_price_next_change(const struct spot_price *sp, int64_t t);

/* Starts a walk over the constant-price pieces of [t0, t1) (t0 <= t1). */
void spot_segments_init(struct spot_segments *it, const struct spot_price *sp, int64_t t0,
                        int64_t t1);

/* Writes the next piece to *seg; false when [t0, t1) is exhausted. */
bool spot_segments_next(struct spot_segments *it, struct spot_segment *seg);

/* Exact integral of the price over [t0, t1) in dollars (price $/h times
 * hours). 0 when t1 <= t0. */
double spot_price_integral_usd(const struct spot_price *sp, int64_t t0, int64_t t1);

/* --- the market ---------------------------------------------------------------- */

/* Builds every pool (reading traces, generating prices) and resolves fallback
 * pools. On failure nothing needs to be destroyed and err names the pool. */
int spot_market_init(struct spot_market *m, const struct spot_market_cfg *c, struct os_error *err);

void spot_market_destroy(struct spot_market *m);

/* Index of the pool (type, az), or -1. Load time. */
int spot_market_find(const struct spot_market *m, const char *type, const char *az);

/* Samples the interruption of spot instance `instance_id` launched at
 * launch_us in `pool` (see the top of this file). pool < npools. */
void spot_sample_interruption(struct spot_market *m, size_t pool, uint64_t instance_id,
                              int64_t launch_us, struct spot_interruption *out);

/* Decides launch attempt `attempt_id` in `pool`, following fallbacks. Use a
 * distinct attempt_id per attempt (retries included). pool < npools. */
void spot_try_launch(struct spot_market *m, size_t pool, uint64_t attempt_id,
                     struct spot_launch *out);

/* --- estimates from an availability log ---------------------------------------
 *
 * The availability log of the 2020 trace (SPOT_DEFAULT_LOG_PATH; format in
 * scenarios/traces/aws-spot-gpu-prices-2020/README.md, section "Availability
 * log") records spot instances launched by a collector that polled them about
 * every 10 minutes. Every non-empty line is `[TS] EVENT`, TS an ISO-8601 time
 * `YYYY-MM-DDTHH:MM:SS[.fff]Z`, EVENT one of
 *     Created instance ID with N GPU(s) of type T in zone AZ
 *     Instance ID running in zone AZ
 *     Instance ID not running in zone AZ
 *     Successfully deleted instance ID
 *     Instance with N GPU(s) of type T creation failed
 * A CR before the LF is dropped and empty lines are skipped; any other line
 * is an error (OS_EPARSE naming FILE:LINE), and so is a timestamp earlier
 * than the previous line's, an instance created twice, an event for an
 * instance never created and a zone that differs from the instance's creation
 * zone. Lines about an instance after its first "not running" line change
 * nothing.
 *
 * What is counted, per group of instances (GPU type T, GPUs N):
 * - launched: Created lines (successful launch attempts);
 * - lost: instances with a "not running" line; the first one is the time of
 *   the loss (interruption or termination by EC2);
 * - exposure (instance-hours): from creation to the loss; a survivor is
 *   right-censored at its deletion, or at the last timestamp of the log when
 *   it was never deleted;
 * - launch attempts failed: "creation failed" lines.
 * Estimates: hazard MLE lost / exposure per hour with the exact two-sided
 * Poisson (Garwood) interval
 *     lower = chi2_inv(a/2, 2k) / (2T)  (0 when k = 0),
 *     upper = chi2_inv(1 - a/2, 2k + 2) / (2T);
 * launch failure probability failed / (failed + launched) with the exact
 * Clopper-Pearson interval
 *     lower = beta_inv(a/2, x, n - x + 1)  (0 when x = 0),
 *     upper = beta_inv(1 - a/2, x + 1, n - x)  (1 when x = n),
 * a = 1 - SPOT_LOG_CONF, quantiles from GSL.
 * Assumptions:
 * - [U] The loss happened between the last "running" poll and the "not
 *   running" poll (608-708 s apart in the 2020 log, median 641 s: the loss
 *   time is known to within ~10 min); counting it at the detection overstates
 *   each lost instance's life by at most one poll interval. instance_hours_min
 *   counts it at the last "running" poll instead, so the MLE lies between
 *   lost / instance_hours and lost / instance_hours_min.
 * - [U] Instances of a group are exchangeable and independent, with one
 *   constant hazard over their life and over the log (no dependence on age,
 *   zone or time of day). Losses in a capacity crunch are correlated, so the
 *   intervals are too narrow for the population of all months.
 * - [U] Launch attempts are independent Bernoulli trials; in the log they are
 *   retries of one request every ~10 min, so they are correlated as well.
 * - [U] The log covers only us-east-1b and us-east-1c, 2020-03-15 to 03-17, and
 *   only p2/p3 types (K80, V100): one capacity crunch of old GPU families.
 * - The collector wrote its local clock with a literal Z; durations are
 *   unaffected unless its clock jumped (no common daylight-saving change
 *   falls between 2020-03-15 and 03-17).
 */

#define SPOT_LOG_NAME_MAX 32   /* instance ids, GPU types and zones, with the NUL */
#define SPOT_LOG_MAX_GPUS 1024 /* GPU counts outside [1, this] are malformed */
#define SPOT_LOG_CONF     0.95 /* confidence of the intervals */

/* One instance of the log. Times are Unix milliseconds. */
struct spot_log_instance {
    char id[SPOT_LOG_NAME_MAX];
    char gpu_type[SPOT_LOG_NAME_MAX];
    char zone[SPOT_LOG_NAME_MAX];
    int gpus;
    size_t line;        /* line of the Created line */
    int64_t created_ms; /* the Created line */
    int64_t seen_ms;    /* last "running" line before the loss, else created_ms */
    int64_t lost_ms;    /* first "not running" line, or -1 */
    int64_t deleted_ms; /* first "Successfully deleted" line, or -1 */
};

/* One failed launch attempt. */
struct spot_log_failure {
    char gpu_type[SPOT_LOG_NAME_MAX];
    int gpus;
    int64_t t_ms;
};

/* A parsed log. Caller-owned; spot_log_read fills it, spot_log_destroy frees
 * the arrays. Instances are in the order of their Created lines. */
struct spot_log {
    char path[SPOT_PATH_MAX];
    struct spot_log_instance *inst;
    size_t ninst;
    struct spot_log_failure *fail;
    size_t nfail;
    size_t nlines;    /* lines read, empty ones included */
    int64_t first_ms; /* first timestamp, -1 for a log without events */
    int64_t last_ms;  /* last timestamp (the censoring time), -1 likewise */
    size_t inst_cap;  /* private: allocated lengths and the id index */
    size_t fail_cap;
    uint32_t *index; /* private: open addressing, instance index + 1, 0 = free */
    size_t index_cap;
};

/* A (GPU type, GPUs) group of launched instances. */
struct spot_log_group {
    char gpu_type[SPOT_LOG_NAME_MAX];
    int gpus;
};

/* Estimates for one group (see above). */
struct spot_log_estimate {
    char gpu_type[SPOT_LOG_NAME_MAX];      /* the filter; "" = every type */
    int gpus;                              /* the filter; 0 = any number */
    int launched;                          /* instances created (successful launch attempts) */
    int lost;                              /* instances with a "not running" line */
    int launch_failed;                     /* "creation failed" lines */
    double instance_hours;                 /* exposure, each loss at its detection */
    double instance_hours_min;             /* exposure, each loss at its last "running" poll */
    double hazard_per_hour;                /* MLE lost / instance_hours */
    double hazard_lo, hazard_hi;           /* exact Poisson (Garwood) interval, SPOT_LOG_CONF */
    double launch_fail_prob;               /* launch_failed / (launch_failed + launched) */
    double launch_fail_lo, launch_fail_hi; /* Clopper-Pearson interval, SPOT_LOG_CONF */
    int64_t first_ms, last_ms;             /* the log's first and last timestamps */
};

/* Reads and checks a whole log (see above). Returns 0, OS_ENOENT naming the
 * path, OS_EIO, OS_ENOMEM, or OS_EPARSE naming FILE:LINE and what was
 * expected. On failure *log holds nothing to destroy. */
int spot_log_read(struct spot_log *log, const char *path, struct os_error *err);

/* Frees the arrays. Idempotent. */
void spot_log_destroy(struct spot_log *log);

/* The distinct groups of launched instances, sorted by GPU type, then GPUs.
 * Writes at most cap and returns how many there are. */
size_t spot_log_groups(const struct spot_log *log, struct spot_log_group *out, size_t cap);

/* Estimates for the instances of type gpu_type (NULL or "" = every type) with
 * `gpus` GPUs (0 = any). Returns 0, or OS_EINVAL when no such instance was
 * launched (the message lists the log's groups), when they have no exposure
 * (all created at the log's last timestamp) or when gpus < 0. */
int spot_log_estimate_group(const struct spot_log *log, const char *gpu_type, int gpus,
                            struct spot_log_estimate *out, struct os_error *err);

/* spot_log_read + spot_log_estimate_group + spot_log_destroy. */
int spot_log_estimate(const char *path, const char *gpu_type, int gpus,
                      struct spot_log_estimate *out, struct os_error *err);

/* Prints the estimates of every group of the log at path that passes the
 * filters (gpu_type NULL or "" and gpus 0 pass everything): a comment line
 * naming the file, its span and the methods, a header line, then one line
 * per group (gpu, gpus, launched, lost, inst_hours, hazard/h, hazard_95ci,
 * attempts, fail_prob, fail_95ci) in the order of spot_log_groups(). Errors
 * as spot_log_read and spot_log_estimate_group; nothing is printed on error. */
int spot_log_report(const char *path, const char *gpu_type, int gpus, FILE *out,
                    struct os_error *err);

/* Exact two-sided Poisson (Garwood) interval of confidence conf for a rate
 * from k events in exposure t > 0 (per unit of t). */
void spot_poisson_rate_ci(int k, double t, double conf, double *lo, double *hi);

/* Exact two-sided Clopper-Pearson interval of confidence conf for a
 * probability from x successes in n >= 1 trials (0 <= x <= n). */
void spot_binomial_ci(int x, int n, double conf, double *lo, double *hi);

#endif
