/*
 * packing.h - the FGD paper's shared-GPU packing experiment (USENIX ATC'23,
 * Fig. 9a; MODELS.md section 7) as a pure function over a plain config.
 *
 * For every (variant, seed): the openb pod list is tuned to `tune` x the
 * cluster's GPU capacity and shuffled exactly as the peer simulator does
 * (see packing.c), then placed one pod at a time by the variant's placement
 * policy (models/placement registry), with no clock and no departures. After
 * every pod the run records the arrived GPU request and the allocated GPU
 * share (percent of capacity) and the cluster's fragmentation (models/frag.h);
 * the per-run curve over arrived % = 0..130 is made the way the peer's
 * analysis scripts make it. Runs go in parallel on pthreads; every result is
 * a function of (variant, seed) only, so the output is byte-identical for
 * any number of threads.
 *
 * Ownership: the caller owns cfg and res; packing_run() fills res (which then
 * needs packing_result_destroy()).
 */
#ifndef ORCHSIM_PACKING_H
#define ORCHSIM_PACKING_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/os_err.h"

#define PACKING_PATH_MAX     4096
#define PACKING_VARIANTS_MAX 16
#define PACKING_REF_MAX      32
/* Curve points: arrived % = 0..PACKING_PCT_MAX. */
#define PACKING_PCT_MAX 130
#define PACKING_POINTS  (PACKING_PCT_MAX + 1)

/* One policy to run. */
struct packing_variant {
    char name[64];                  /* unique; the `variant` column of alloc_curve.csv */
    char policy[64];                /* placement registry name: random, dotprod, gpuclustering,
                                       gpupacking, bestfit, fgd, ... */
    unsigned nref;                  /* published points, for report.md only */
    double ref[PACKING_REF_MAX][2]; /* (arrived %, allocated %) */
};

/* The experiment. Zero fields take the defaults noted. */
struct packing_cfg {
    char nodes_csv[PACKING_PATH_MAX]; /* openb_node format */
    char pods_csv[PACKING_PATH_MAX];  /* openb_pod format (11 or 5 columns) */
    double tune;                      /* target total GPU request / capacity; <= 0: no tuning */
    uint64_t seed0;                   /* first seed; run r uses seed0 + r (the peer: 42..51) */
    unsigned nseeds;                  /* >= 1 */
    unsigned nvariants;               /* 1..PACKING_VARIANTS_MAX */
    struct packing_variant variants[PACKING_VARIANTS_MAX];
    unsigned threads;      /* worker threads; 0 = online CPUs */
    double popularity_pct; /* typical-pod coverage of the target workload; 0 = 95 (peer) */
    bool skip_malformed;   /* skip (and count) malformed CSV rows instead of failing */
};

/* One (variant, seed) run. */
struct packing_run {
    unsigned variant;
    uint64_t seed;
    uint32_t pods;                /* pods in the tuned list */
    uint32_t failed;              /* pods no node could take */
    double arrived_pct;           /* total GPU request of the list / capacity, % */
    double alloc_pct;             /* allocated GPU share at the end, % */
    double frag_pct;              /* fragmentation at the end, % of capacity */
    bool has[PACKING_POINTS];     /* point k exists */
    double alloc[PACKING_POINTS]; /* allocated % at arrived % = k */
    double frag[PACKING_POINTS];  /* fragmentation, % of capacity, at k */
};

/* The result: runs[v * nseeds + s], and per-variant medians over seeds. */
struct packing_result {
    unsigned nvariants, nseeds;
    struct packing_run *runs;
    bool med_has[PACKING_VARIANTS_MAX][PACKING_POINTS];
    double med_alloc[PACKING_VARIANTS_MAX][PACKING_POINTS];
    double med_frag[PACKING_VARIANTS_MAX][PACKING_POINTS];
    double med_failed[PACKING_VARIANTS_MAX];
    uint32_t nodes, gpus;   /* cluster size */
    uint32_t pods_in;       /* pods read from pods_csv */
    uint64_t request_milli; /* their total GPU request */
    uint32_t shapes;        /* shapes in the target workload */
};

/* Runs the experiment. Returns 0, or an error (bad cfg, unreadable or
 * malformed CSV, unknown policy) with err filled; on error res needs no
 * destroy. */
int packing_run(const struct packing_cfg *cfg, struct packing_result *res, struct os_error *err);

void packing_result_destroy(struct packing_result *res);

/*
 * Writes into DIR (created if missing), each file atomically:
 *   alloc_curve.csv  variant,seed,arrived_pct,alloc_pct,frag_pct - one row per
 *                    run and curve point (points without data are omitted)
 *   alloc_median.csv arrived_pct then one column per variant: the median over
 *                    seeds of alloc_pct (input of the plot)
 *   report.md        medians at 90, 95, 100, 110, 120, 130 % next to the
 *                    published values, fragmentation at 90 %, failed pods
 *   alloc_curve.png, alloc_curve.svg  by scripts/plot_alloc_curve.gp, when
 *                    gnuplot is installed (otherwise a note is added to
 *                    report.md and the call still succeeds)
 */
int packing_write_outputs(const struct packing_cfg *cfg, const struct packing_result *res,
                          const char *dir, struct os_error *err);

#endif
