/*
 * replay.h - a timed replay of a pod trace on a fixed cluster (scenario kind
 * "replay"): pods arrive at their creation time and leave at their deletion
 * time, in simulated time (sim/engine.h), placed by one placement policy per
 * variant (models/placement). Pods that do not fit wait in a pending queue
 * and are retried after cluster events, as kube-scheduler does.
 *
 * Inputs (loaded by models/packing.h's shared loaders, so the cluster, the
 * requests and the fragmentation target are exactly the packing
 * experiment's): an openb node list, and either an openb pod list (the
 * 11-column files; the 5-column multigpu files have no times) or the DLRM
 * trace (alibaba-gpu-2025-dlrm: an empty creation time means "created before
 * the trace began" and becomes an arrival at the replay's start; an empty
 * deletion time means "alive at the trace's end": the pod never leaves).
 *
 * Time. Simulated time 0 is trace time start_us; a trace time x maps to
 * (x - start_us) * time_scale, rounded to the microsecond (pods created
 * before start_us arrive at 0). The run ends at duration_us, or by default at
 * the last deletion among the replayed pods.
 *
 * Semantics (each [U] is a modelling choice, documented in replay.c):
 *   - Pods are considered in arrival order (creation time, then file order);
 *     max_pods keeps the first N of them. A pod deleted at or before
 *     start_us, or whose deletion is not after its arrival, is skipped.
 *   - At one instant, deletions are processed before arrivals.
 *   - An arriving pod gets one scheduling attempt; if no node fits it, it is
 *     pending. Pending pods are retried after a deletion (the only cluster
 *     event that frees capacity), in arrival order, when the freed node could
 *     now host them; with backoff (kube-scheduler's 1 s initial, 10 s max pod
 *     backoff) a pod still backing off is retried when its backoff ends.
 *   - A pod runs from its placement until its trace deletion time (its
 *     lifetime is not shifted by the queueing delay). A pod whose deletion
 *     time comes while it is pending leaves unscheduled.
 *
 * Determinism: a run is a function of (variant, seed) only. Seeds matter
 * through the policies' random choices: the random policy, and the tie order
 * between equally scored nodes (placer_opts.tie_node_order, drawn per seed
 * as in the packing experiment; the select step's uniform ties for
 * kube-scheduler policies).
 *
 * Ownership: the caller owns cfg and res; replay_run() fills res (which then
 * needs replay_result_destroy()). Nothing is allocated per event: every
 * per-pod and per-node array is sized once per worker.
 */
#ifndef ORCHSIM_REPLAY_H
#define ORCHSIM_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/packing.h"
#include "sim/os_err.h"
#include "sim/trace.h"

#define REPLAY_VARIANTS_MAX 16
#define REPLAY_SEEDS_MAX    10000

/* One policy to run. */
struct replay_variant {
    char name[64];   /* unique; the `variant` column of the result tables */
    char policy[64]; /* placement registry name */
};

/* The experiment. Zero fields take the defaults noted. */
struct replay_cfg {
    char nodes_csv[PACKING_PATH_MAX]; /* openb_node format */
    char pods_csv[PACKING_PATH_MAX];  /* pods_format */
    enum trace_format pods_format;    /* TRACE_OPENB_POD (0 is TRACE_OPENB_NODE: also read as
                                         openb_pod) or TRACE_DLRM */
    double node_fraction;             /* keep this evenly spread share of the nodes; 0 = 1 */
    double time_scale;                /* simulated seconds per trace second; 0 = 1 */
    int64_t start_us;                 /* trace time of simulated time 0 */
    uint32_t max_pods;                /* replay the first N pods by arrival; 0 = all */
    int64_t duration_us;              /* simulated end; 0 = the last deletion */
    int64_t interval_us;              /* timeseries interval; 0 = no timeseries */
    int64_t backoff_initial_us;       /* pod backoff after the first failure; 0 = none */
    int64_t backoff_max_us;           /* cap of the doubling backoff */
    uint64_t seed0;                   /* run r uses seed0 + r */
    unsigned nseeds;                  /* 1..REPLAY_SEEDS_MAX */
    unsigned nvariants;               /* 1..REPLAY_VARIANTS_MAX */
    struct replay_variant variants[REPLAY_VARIANTS_MAX];
    unsigned threads;      /* worker threads; 0 = online CPUs */
    double popularity_pct; /* typical-pod coverage of the fragmentation target; 0 = 95 */
    bool skip_malformed;   /* skip (and count) malformed CSV rows instead of failing */
    bool series_all_seeds; /* timeseries for every seed (default: the first seed only) */
    /* Validation only: after every deletion, give every pending pod that is not
     * backing off a full placement attempt (no node-fit pre-check, no early
     * stop). Without backoff this must give the same placements as the
     * default pass (tests/unit/test_replay.c checks it). */
    bool exhaustive_retry;
};

/* One (variant, seed) run. Times are simulated seconds. */
struct replay_run {
    unsigned variant;
    uint64_t seed;
    uint32_t pods;        /* pods that arrived by the end */
    uint32_t scheduled;   /* pods placed */
    uint32_t unscheduled; /* pods whose deletion came while they were pending */
    uint32_t pending_end; /* pods still pending at the end */
    uint32_t delayed;     /* placed pods that waited > 0 */
    uint64_t attempts;    /* scheduling attempts (placement decisions, cheap fails included) */
    double gpu_alloc_pct; /* time-weighted allocated GPU share of capacity, % */
    double frag_pct;      /* time-weighted fragmentation (frag.h) of capacity, % */
    double pending_mean_s, pending_p50_s, pending_p99_s, pending_max_s; /* creation -> placement
                                                                            of placed pods; NaN
                                                                            when none */
    double pending_peak; /* most pods pending at once (held for a positive time) */
    double running_mean; /* time-weighted pods running */
    uint64_t events;     /* engine events fired */
    char *series;        /* timeseries.csv rows (no header), or NULL */
    size_t series_len;
};

/* The result: runs[v * nseeds + s]. */
struct replay_result {
    unsigned nvariants, nseeds;
    struct replay_run *runs;
    uint32_t nodes, gpus;       /* the cluster, after node_fraction */
    uint32_t pods_in;           /* pods read from the file */
    uint32_t pods_replayed;     /* after the start, lifetime and max_pods filters */
    uint32_t pods_skipped;      /* deleted at or before the start, or lifetime <= 0 */
    uint32_t shapes;            /* shapes in the fragmentation target */
    int64_t end_us;             /* simulated end of every run */
    uint32_t trace_scheduled;   /* replayed pods with an original scheduling time */
    double trace_pending_p50_s; /* the original scheduler's delay (scheduled - creation, */
    double trace_pending_p99_s; /* scaled by time_scale) over those pods; NaN when none */
    double trace_pending_mean_s;
};

/* Runs the experiment. Returns 0, or an error (bad cfg, unreadable or
 * malformed CSV naming FILE:LINE, a pod file without times, unknown policy)
 * with err filled; on error res needs no destroy. */
int replay_run(const struct replay_cfg *cfg, struct replay_result *res, struct os_error *err);

void replay_result_destroy(struct replay_result *res);

/* The nearest-rank q-quantile (metrics_sorted_quantile) of the ascending
 * sorted[0..n); NaN when n == 0. */
double replay_quantile(const int64_t *sorted, size_t n, double q);

#endif
