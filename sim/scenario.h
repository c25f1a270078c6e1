/*
 * scenario.h - a scenario file decoded once into typed structs.
 *
 * A scenario holds one workload and several variants. Paths inside a scenario
 * are relative to the current directory (run orchsim from the project root,
 * or give absolute paths). Every later model reads its configuration from
 * struct scenario; nothing reads JSON after scenario_load().
 *
 * Kinds:
 *   "packing"  - the static shared-GPU packing experiment of the FGD paper
 *                (no clock): place a tuned, shuffled pod list one by one.
 */
#ifndef ORCHSIM_SCENARIO_H
#define ORCHSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "sim/schema.h"

#define SCENARIO_MAX_VARIANTS  16
#define SCENARIO_MAX_REFERENCE 32
#define SCENARIO_PATH_LEN      1024
#define SCENARIO_MAX_CHECKS    64

enum scenario_kind { SCENARIO_PACKING = 0 };
enum scenario_rows { SCENARIO_ROWS_ERROR = 0, SCENARIO_ROWS_SKIP = 1 };

struct scenario_variant {
    char name[64];      /* unique within the scenario; used in result tables */
    char placement[64]; /* placement policy name (registry of models/placement) */
    unsigned nreference;
    double reference_alloc_pct[SCENARIO_MAX_REFERENCE][2]; /* published (arrived %, alloc %) */
};

struct scenario_cluster {
    char nodes_csv[SCENARIO_PATH_LEN]; /* openb node list */
};

struct scenario_workload {
    char pods_csv[SCENARIO_PATH_LEN]; /* openb pod list */
    double tune;                      /* packing: total GPU request / cluster GPU capacity */
};

struct scenario {
    char file[SCENARIO_PATH_LEN]; /* the file it was loaded from */
    char name[64];                /* results go to results/<name>/ */
    char description[512];
    int kind;             /* enum scenario_kind */
    int64_t seed;         /* base seed; replication r uses seed + r */
    int seeds;            /* number of replications */
    int on_malformed_row; /* enum scenario_rows: fail, or skip and count */
    struct scenario_cluster cluster;
    struct scenario_workload workload;
    unsigned nvariants;
    struct scenario_variant variants[SCENARIO_MAX_VARIANTS];
    /* CI gate: limits `orchsim check` applies to the results, e.g.
     * "p99_latency_ms <= 800", "cost_usd <= baseline * 1.05" (sim/check.h). */
    unsigned nchecks;
    char checks[SCENARIO_MAX_CHECKS][256];
};

extern const char *const scenario_kind_names[];

/* Reads FILE, applies the `--set PATH=VALUE` overrides in order, and decodes
 * it into *sc. Every problem is added to d as one line (file, JSON path, what
 * was expected, a suggestion). Returns 0, or OS_EINVAL/OS_ENOENT/OS_EPARSE
 * with d->n > 0. */
int scenario_load(const char *file, const char *const *sets, size_t nsets, struct scenario *sc,
                  struct schema_diag *d);

/* The same from a JSON text held in memory (used by tests and the fuzzer). */
int scenario_load_text(const char *name, const char *text, size_t len, const char *const *sets,
                       size_t nsets, struct scenario *sc, struct schema_diag *d);

#endif
