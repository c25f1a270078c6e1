/*
 * orchestrator.h - wires the models a scenario asks for and runs it.
 *
 * The command line (sim/main.c) loads a scenario, then calls
 * orchestrator_check() for the checks that need the models (policy names,
 * files the scenario refers to) and orchestrator_run() to produce the results
 * directory.
 */
#ifndef ORCHSIM_ORCHESTRATOR_H
#define ORCHSIM_ORCHESTRATOR_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/os_err.h"
#include "sim/scenario.h"

#define ORCHSIM_VERSION "0.1.0"
#define RUN_MAX_SETS    64

/* Options of `orchsim run`. */
struct run_opts {
    const char *scenario;           /* the scenario file */
    const char *sets[RUN_MAX_SETS]; /* --set PATH=VALUE overrides, in order */
    size_t nsets;
    const char *out_dir; /* -o DIR; NULL = results/<scenario name> */
    int seeds;           /* --seeds N; 0 = the scenario's */
    int jobs;            /* -j N; 0 = all cores */
    bool quiet;          /* --quiet: no progress on stderr */
};

/* Checks that need the models (e.g. that a placement policy exists, with a
 * "did you mean"). Adds one line per problem to d; returns 0 when none. */
int orchestrator_check(const struct scenario *sc, struct schema_diag *d);

/* Runs the scenario and writes its results directory. */
int orchestrator_run(const struct scenario *sc, const struct run_opts *o, struct os_error *err);

#endif
