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
 *
 * Shared inputs. The loaders below (node list, pod list, target workload,
 * cluster) are what the experiment itself uses, exported so that other
 * experiments on the same traces (models/replay.h) read and build them the
 * same way. Each has an init/destroy pair; on error nothing is left to free.
 */
#ifndef ORCHSIM_PACKING_H
#define ORCHSIM_PACKING_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cluster.h"
#include "models/placement/placement.h"
#include "sim/os_err.h"
#include "sim/trace.h"

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

/* ---------------- shared inputs ---------------- */

/* GPU models get indices 0..PACKING_MODELS_MAX-1 in order of first
 * appearance in the node list; bit PACKING_MASK_NONE of a pod's model mask
 * means "only models no node has". */
#define PACKING_MODELS_MAX 63
#define PACKING_MASK_NONE  63

/* An openb node list. Node i's spec names point into names[i]. Every node is
 * READY, in pool 0 of packing_cluster_build's cluster, max 1001 pods (the
 * peer's node YAML). */
struct packing_nodes {
    uint32_t n;    /* nodes */
    uint32_t gpus; /* GPUs over all nodes */
    struct cluster_node_spec *spec;
    char (*names)[TRACE_NAME_MAX];
    char models[PACKING_MODELS_MAX][TRACE_NAME_MAX]; /* GPU model names by index */
    uint32_t nmodels;
};

/* One pod as the experiments need it, beside its placement request. */
struct packing_pod {
    char name[TRACE_NAME_MAX];
    int64_t gpu_total; /* milli-GPU: per-GPU share x count (peer TotalMilliGpu); 0 CPU-only */
    int32_t gpu_per;   /* per-GPU milli (peer MilliGpu); 0 for CPU-only */
    int64_t line;      /* line of the file the pod was read from */
    /* Trace times in microseconds (trace.h). false for the 5-column openb
     * files, whose times are then -1. */
    bool has_times;
    int64_t creation_us; /* INT64_MIN: created before the trace began (DLRM empty) */
    int64_t deletion_us; /* INT64_MAX: alive at the trace's end (DLRM empty) */
    bool has_scheduled;  /* the original scheduler's bind time is known */
    int64_t scheduled_us;
};

/* A pod list: pod[i] and its request req[i]. */
struct packing_pods {
    uint32_t n;
    struct packing_pod *pod;
    struct pod_req *req;
    int64_t request_milli; /* sum of gpu_total */
};

/* Reads an openb_node CSV. OS_EINVAL naming FILE:LINE for a value out of
 * range, or the file when it has no GPU node; trace errors as trace_open /
 * trace_next. */
int packing_nodes_load(struct packing_nodes *nl, const char *path, bool skip_malformed,
                       struct os_error *err);
void packing_nodes_destroy(struct packing_nodes *nl);

/*
 * Reads a pod list of format fmt: TRACE_OPENB_POD (11 or 5 columns; gpu_spec
 * becomes a model mask over nl's models) or TRACE_DLRM (whole GPUs of any
 * model; the RDMA share and max_instance_per_node are not modelled). A pod
 * whose GPU share is 0 is CPU-only, as in the peer. Requests carry
 * gpuclustering's affinity class as their group (1 = a fraction of one GPU,
 * k + 1 = k whole GPUs). OS_EINVAL naming FILE:LINE for a value out of range
 * or the file when it has no pod.
 */
int packing_pods_load(struct packing_pods *pl, const char *path, enum trace_format fmt,
                      const struct packing_nodes *nl, bool skip_malformed, struct os_error *err);
void packing_pods_destroy(struct packing_pods *pl);

/* The target workload of the fragmentation measure: the pods' shapes with
 * their counts, reduced to the typical ones covering popularity_pct % of the
 * pods (0 = 95, the peer's) by frag_typical_shapes(). *shapes is malloc'ed
 * (free() it) and holds *n shapes. */
int packing_shapes_build(const struct packing_pods *pl, double popularity_pct,
                         struct placer_shape **shapes, size_t *n, struct os_error *err);

/* cluster_init()s c for nl (one MILLI pool "openb", groups for gpuclustering)
 * and adds every node in list order (node id = list index). On error c needs
 * no destroy. */
int packing_cluster_build(struct cluster *c, const struct packing_nodes *nl, struct os_error *err);

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
