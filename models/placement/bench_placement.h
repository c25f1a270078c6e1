/*
 * bench_placement.h - the placement microbenchmark behind
 * `orchsim bench placement [--quick]`.
 *
 * Every registered placement policy runs in tight loops on synthetic clusters
 * (1k, 5k, 20k and 100k nodes; --quick: 1k and shorter runs) and on the openb cluster
 * (scenarios/traces/alibaba-gpu-2023-openb/openb_node_list_gpu_node.csv, when
 * present), with churn: pods are placed and released so the cluster stays at
 * a steady-state utilisation. Each measurement is the median of 5 runs after a
 * warm-up. Prints one JSON object:
 *   {"placement":[{"policy":NAME,"nodes":N,"cluster":"synthetic"|"openb",
 *                  "workload":"whole"|"shared","placements_per_s":X,
 *                  "node_evals_per_s":Y,"filter_calls_per_s":F,
 *                  "filter_node_evals_per_s":Z,"gpu_alloc_pct":P},...]}
 * node_evals_per_s counts the nodes the filter examined per second of whole
 * decisions (filter + score + select + bind, with the churn's releases);
 * filter_calls_per_s the filter passes per second of the filter alone and
 * filter_node_evals_per_s the nodes they examined. Nodes that the cluster's
 * availability index rules out for a whole-GPU request are not examined and
 * not counted (bench_placement.c says exactly what counts).
 */
#ifndef ORCHSIM_BENCH_PLACEMENT_H
#define ORCHSIM_BENCH_PLACEMENT_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/os_err.h"

/* Runs the benchmark and writes the JSON object to out. Returns OS_OK, or an
 * error code with err filled (e.g. a policy failed to initialise). */
int bench_placement(FILE *out, bool quick, struct os_error *err);

#endif
