/*
 * bench.h - microbenchmarks of the engine (the placement benchmark lives with
 * the placement core). Benchmarks are programs that print JSON, not timed
 * tests; CI compares their output with a stored baseline.
 */
#ifndef ORCHSIM_BENCH_H
#define ORCHSIM_BENCH_H

#include <stdbool.h>

#include <cJSON.h>

#include "sim/os_err.h"

/* The classic hold model: pop the earliest event, schedule one at
 * now + Exp(mean 1 s), with N events pending, through the real engine and a
 * real handler; and the same loop on a bare binary heap without dispatch, for
 * reference. Median of `runs` timed runs after one warm-up run, for N = 1e3,
 * 1e5 and 1e6 (quick: fewer events per run, 3 runs). Adds
 * "engine": [{"pending", "events_per_s", "bare_heap_events_per_s", "ratio"}]
 * to `out`. */
int bench_engine(cJSON *out, bool quick, struct os_error *err);

/* Monotonic wall clock in seconds, for benchmarks and run timing only (never
 * read by models). */
double bench_now_s(void);

#endif
