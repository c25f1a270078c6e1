/*
 * metrics.h - counters, time-weighted gauges, latency histograms with bounded
 * relative error, and a time-series sampler that writes CSV rows.
 *
 * This file is generic: it knows nothing about the models. Times are the
 * engine's integer microseconds; histogram values are non-negative integers in
 * a unit the caller chooses (microseconds for latencies).
 *
 * Gauges. A gauge is a level (GPUs allocated, queue length) that changes at
 * event times. It keeps the integral of level dt over [t0, now] (in level x
 * microseconds, with compensated summation so that long runs of integer levels
 * stay exact to ~1e-15 relative), the time-weighted mean and the extremes of
 * the levels held for a positive duration. Changing a gauge is O(1) and never
 * allocates.
 *
 * Histograms. metrics_hist is a log-linear ("HDR") histogram: values below
 * 2^s (s = sig_bits) have buckets of width 1; above, each power-of-two range
 * [2^e, 2^(e+1)) is split into 2^s equal buckets, so a bucket's width is at most
 * 2^-s of its lowest value. A value is reported as its bucket's midpoint
 * (clamped to the exact min and max), so every quantile has a relative error of
 * at most 2^-(s+1): 0.39 % for the default s = 7, 0.78 % for s = 6. Storage is
 * one array of counts allocated by metrics_hist_init(); recording is O(1) and
 * never allocates. Count, sum (exact, 128-bit), min and max are exact.
 *
 * Quantiles use the nearest-rank definition: quantile(q) is the value of rank
 * max(1, ceil(q * count)) in ascending order (q = 0 gives the minimum).
 *
 * The sampler. A set of named columns read by callbacks, sampled every
 * `interval` microseconds by an engine event and written as CSV rows to a
 * caller-provided FILE * (the caller owns the file and writes it atomically
 * with sim/results.h).
 */
#ifndef ORCHSIM_METRICS_H
#define ORCHSIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/engine.h"
#include "sim/os_err.h"

/* ------------------------------------------------------------------------ */
/* Counters                                                                   */

/* A monotone event count. Zero-initialise or use metrics_counter_init(). */
struct metrics_counter {
    uint64_t n;
};

static inline void metrics_counter_init(struct metrics_counter *c)
{
    c->n = 0;
}

static inline void metrics_counter_add(struct metrics_counter *c, uint64_t k)
{
    c->n += k;
}

static inline uint64_t metrics_counter_get(const struct metrics_counter *c)
{
    return c->n;
}

/* ------------------------------------------------------------------------ */
/* Time-weighted gauges                                                       */

/* A level over time. Fields are read-only outside metrics.c; use the functions. */
struct metrics_gauge {
    int64_t t0;     /* start of the observation window */
    int64_t t_last; /* time of the last change, >= t0 */
    double level;   /* the current level, held since t_last */
    double area;    /* integral of level dt over [t0, t_last], level x us */
    double area_c;  /* Neumaier compensation term of area */
    double max;     /* largest level held for a positive duration in [t0, t_last] */
    double min;     /* smallest such level */
    bool held;      /* some level was held for a positive duration (max/min valid) */
};

/* Starts a gauge at time t0 with the given level. */
void metrics_gauge_init(struct metrics_gauge *g, int64_t t0, double level);

/* Sets the level at time now. Precondition: now >= the time of the previous
 * change (asserted). Several changes at one time are allowed; only the level
 * left standing counts, so zero-duration blips never reach max/min. */
void metrics_gauge_set(struct metrics_gauge *g, int64_t now, double level);

/* Adds delta to the level at time now (same precondition as set). */
void metrics_gauge_add(struct metrics_gauge *g, int64_t now, double delta);

/* The current level. */
static inline double metrics_gauge_level(const struct metrics_gauge *g)
{
    return g->level;
}

/* Integral of level dt over [t0, now], in level x microseconds. now >= t_last. */
double metrics_gauge_integral(const struct metrics_gauge *g, int64_t now);

/* Time-weighted mean over [t0, now]; the current level when now == t0. */
double metrics_gauge_mean(const struct metrics_gauge *g, int64_t now);

/* Largest / smallest level held for a positive duration over [t0, now]; the
 * current level when no level has been held for a positive duration yet. */
double metrics_gauge_max(const struct metrics_gauge *g, int64_t now);
double metrics_gauge_min(const struct metrics_gauge *g, int64_t now);

/* Restarts the window at now, keeping the current level (area 0, extremes
 * reset). */
void metrics_gauge_restart(struct metrics_gauge *g, int64_t now);

/* ------------------------------------------------------------------------ */
/* Histograms                                                                 */

#define METRICS_HIST_SIG_BITS_DEFAULT 7 /* relative error <= 2^-8 = 0.39 % */
#define METRICS_HIST_SIG_BITS_MIN     1
#define METRICS_HIST_SIG_BITS_MAX     14 /* 16,384 buckets per power of two */

/* A log-linear histogram of non-negative integers. Caller-owned storage,
 * metrics_hist_init()/metrics_hist_destroy(); counts is owned. */
struct metrics_hist {
    int sig_bits;      /* s: 2^s buckets per power of two */
    int64_t max_value; /* largest value stored exactly-bucketed; larger are clamped */
    size_t nbuckets;   /* length of counts */
    uint64_t *counts;  /* owned */
    uint64_t count;    /* values recorded */
    uint64_t sum_lo;   /* exact sum of recorded (clamped) values, low 64 bits */
    uint64_t sum_hi;   /* high 64 bits */
    int64_t min, max;  /* exact extremes of recorded (clamped) values; valid if count > 0 */
    uint64_t clamped;  /* values that were < 0 or > max_value and were clamped */
};

/*
 * Initialises an empty histogram with 2^sig_bits buckets per power of two
 * (METRICS_HIST_SIG_BITS_MIN..MAX; 0 picks the default) covering values
 * 0..max_value (max_value >= 1; INT64_MAX is allowed and costs about 57 KiB at
 * the default precision). Returns OS_EINVAL for a bad parameter, OS_ENOMEM.
 */
int metrics_hist_init(struct metrics_hist *h, int sig_bits, int64_t max_value,
                      struct os_error *err);

/* Frees the counts. Idempotent. */
void metrics_hist_destroy(struct metrics_hist *h);

/* Empties the histogram, keeping its configuration. */
void metrics_hist_reset(struct metrics_hist *h);

/* Records one value. A value below 0 is recorded as 0 and one above max_value
 * as max_value; both are counted in `clamped`. O(1), no allocation. */
void metrics_hist_record(struct metrics_hist *h, int64_t v);

/* Records the value n times. */
void metrics_hist_record_n(struct metrics_hist *h, int64_t v, uint64_t n);

/* Adds src into dst. Both must have the same sig_bits and max_value
 * (OS_EINVAL otherwise, dst unchanged). The result equals the histogram of
 * the combined values. */
int metrics_hist_merge(struct metrics_hist *dst, const struct metrics_hist *src,
                       struct os_error *err);

static inline uint64_t metrics_hist_count(const struct metrics_hist *h)
{
    return h->count;
}

/* Exact mean of the recorded values; NaN when empty. */
double metrics_hist_mean(const struct metrics_hist *h);

/* Exact sum as a double (rounded once). */
double metrics_hist_sum(const struct metrics_hist *h);

/* The nearest-rank q-quantile (0 <= q <= 1, clamped) with relative error at most
 * 2^-(sig_bits+1); NaN when empty. */
double metrics_hist_quantile(const struct metrics_hist *h, double q);

/* Sorts v ascending (exact quantiles of a small sample: metrics_sorted_quantile). */
void metrics_sort_i64(int64_t *v, size_t n);

/* The nearest-rank q-quantile of an ascending array (q clamped to [0, 1]:
 * the element of rank ceil(q n), at least 1). n must be > 0. */
int64_t metrics_sorted_quantile(const int64_t *sorted, size_t n, double q);

/* The largest possible relative error of metrics_hist_quantile for h. */
double metrics_hist_rel_error(const struct metrics_hist *h);

/*
 * The fraction of recorded values <= threshold (for SLO attainment); NaN when
 * empty. Exact when threshold is at a bucket edge (below 2^sig_bits every
 * integer is an edge) or outside [min, max]; otherwise the bucket that contains
 * threshold is split linearly [U: values are assumed uniform within a bucket],
 * so the error is at most that bucket's count / count. Callers that need an
 * exact SLO count should also count it themselves (models/workload/inference
 * does).
 */
double metrics_hist_fraction_le(const struct metrics_hist *h, int64_t threshold);

/*
 * Writes the empirical CDF as CSV: the header "<value_col>,cdf", then one row
 * per non-empty bucket: the bucket's highest value (clamped to max) divided by
 * `unit` (e.g. 1000 for microseconds -> milliseconds), and the fraction of
 * values <= it. Numbers use %.10g. Returns OS_EIO when writing fails.
 */
int metrics_hist_write_cdf(const struct metrics_hist *h, FILE *out, const char *value_col,
                           double unit, struct os_error *err);

/* ------------------------------------------------------------------------ */
/* Time-series sampler                                                        */

#define METRICS_COL_NAME_MAX 64 /* bytes of a column name, with the NUL */

/* Reads one column's value at time now. A non-finite value is written as an
 * empty field. */
typedef double (*metrics_read_fn)(const void *ctx, int64_t now);

struct metrics_column {
    char name[METRICS_COL_NAME_MAX];
    metrics_read_fn read;
    const void *ctx;
};

/*
 * A sampler. Caller-owned; the FILE and the engine are borrowed and must
 * outlive it. Rows are "time_s,<col1>,<col2>,...": time_s is the engine time
 * in seconds with exactly six decimals (exact), values are %.10g.
 *
 * A write error cannot be returned from an event handler, so the first one is
 * kept (metrics_sampler_status()) and sampling stops.
 */
struct metrics_sampler {
    struct engine *engine;       /* borrowed */
    FILE *out;                   /* borrowed */
    int64_t interval;            /* microseconds between rows, > 0 */
    int64_t end;                 /* no sample is scheduled after this time */
    struct metrics_column *cols; /* owned */
    size_t ncols, cols_cap;
    uint64_t event; /* pending sample event id, 0 when none */
    uint64_t rows;  /* data rows written */
    bool started;
    int status; /* first write or scheduling error, or 0 */
    struct os_error status_err;
};

/* Initialises a sampler writing to out every interval_us (> 0) microseconds. */
int metrics_sampler_init(struct metrics_sampler *s, struct engine *e, int64_t interval_us,
                         FILE *out, struct os_error *err);

/* Adds a column; only before metrics_sampler_start(). Names are 1..63 bytes
 * of [a-z0-9_] and unique (OS_EINVAL otherwise). */
int metrics_sampler_add(struct metrics_sampler *s, const char *name, metrics_read_fn read,
                        const void *ctx, struct os_error *err);

/* Writes the header and schedules samples at first_us, first_us + interval,
 * ... up to and including end_us (first_us >= engine now, end_us >= first_us;
 * ENGINE_TIME_MAX means forever, in which case the caller must bound
 * engine_run()). Samples are taken by engine events, so a sample at time t
 * sees the state left by the events scheduled before it at t. */
int metrics_sampler_start(struct metrics_sampler *s, int64_t first_us, int64_t end_us,
                          struct os_error *err);

/* Writes one row at the engine's current time now (e.g. a final row). */
int metrics_sampler_sample(struct metrics_sampler *s, struct os_error *err);

/* Cancels the pending sample event; no further rows are written by events. */
void metrics_sampler_stop(struct metrics_sampler *s);

/* 0, or the first error a sample event met (with its message in *err). */
int metrics_sampler_status(const struct metrics_sampler *s, struct os_error *err);

/* Stops the sampler and frees its columns. Does not close the FILE. */
void metrics_sampler_destroy(struct metrics_sampler *s);

/* Ready-made readers: ctx is a struct metrics_gauge / metrics_counter. */
double metrics_read_gauge_level(const void *gauge, int64_t now);
double metrics_read_gauge_mean(const void *gauge, int64_t now);
double metrics_read_counter(const void *counter, int64_t now);

#endif
