/*
 * sweep.h - parameter grids over one scenario, run in parallel, in shards or
 * on MPI ranks, and merged into one table.
 *
 * A grid is a list of axes `PATH=V1,V2,...`; its points are the cartesian
 * product, numbered 0..P-1 with the first axis varying slowest. Point i is a
 * full run of the scenario with the plain `--set` overrides followed by one
 * `PATH=VALUE` per axis, written to DIR/points/<i>/. The sweep table has one
 * row per (point, variant):
 *
 *   point,<axis paths...>,variant,<metrics...>
 *
 * with the metric columns the union of the metric names of all its rows,
 * sorted (strcmp), a missing metric an empty cell, and every number printed
 * as in summary.json (%.15g, or %.17g when that would not read back as the
 * same double). Rows are in point order
 * and, within a point, in the scenario's variant order. So the table is a
 * function of the rows alone: the sweep.csv of an unsharded run, of merged
 * shards and of MPI ranks are byte-identical.
 *
 * A shard k/N (1-based k) holds the points with index % N == k-1. Sharded
 * runs write DIR/shard-k-of-N.csv (same format); `orchsim merge` checks that
 * the shards belong to one grid (their DIR/sweep.json, when present, must be
 * identical), that every shard 1..N is there and that no point appears twice,
 * then writes the table.
 *
 * Ownership: a struct sweep_grid owns its strings (sweep_grid_destroy); a
 * struct sweep_table owns its rows (sweep_table_destroy). Nothing here keeps
 * global state; the runner forks worker processes (one point each) and waits
 * for them before it returns.
 */
#ifndef ORCHSIM_SWEEP_H
#define ORCHSIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "models/orchestrator.h"
#include "sim/os_err.h"
#include "sim/schema.h"

#define SWEEP_MAX_AXES   16
#define SWEEP_MAX_POINTS 100000

/* One axis: a scenario path and the values it takes, as given (trimmed). */
struct sweep_axis {
    char *path;
    char **values;
    size_t nvalues;
};

struct sweep_grid {
    struct sweep_axis axes[SWEEP_MAX_AXES];
    size_t naxes;
    size_t npoints; /* product of the axis sizes; 1 with no axis */
};

/* A shard: k in 1..n, or n == 0 for "every point". */
struct sweep_shard {
    unsigned k, n;
};

/* Options of `orchsim sweep`: those of `run` plus the grid and the shard.
 * run.jobs is the number of worker processes (0 = online CPUs). */
struct sweep_opts {
    struct run_opts run;
    struct sweep_grid grid;
    struct sweep_shard shard;
};

/* Zeroes g: a grid with no axis and one point. */
void sweep_grid_init(struct sweep_grid *g);

/* Parses "PATH=V1,V2,..." and appends it as the last (fastest) axis. Errors
 * (missing '=', empty path or value, an axis given twice, too many axes or
 * points) leave g unchanged and name the spec. */
int sweep_grid_add_axis(struct sweep_grid *g, const char *spec, struct os_error *err);

void sweep_grid_destroy(struct sweep_grid *g);

/* The value index of each axis at point `point` (< npoints): idx[a]. */
void sweep_grid_point(const struct sweep_grid *g, size_t point, size_t *idx);

/* Writes "PATH=VALUE" of axis `axis` at point `point` into buf. */
int sweep_grid_set(const struct sweep_grid *g, size_t point, size_t axis, char *buf, size_t len,
                   struct os_error *err);

/* Parses "k/N" (1 <= k <= N <= 100000). */
int sweep_shard_parse(const char *s, struct sweep_shard *sh, struct os_error *err);

/* True when point belongs to the shard (every point when sh->n == 0). */
bool sweep_shard_has(const struct sweep_shard *sh, size_t point);

/* ---- the table ---- */

struct sweep_metric {
    char *name;
    char *value; /* as printed in the CSV */
};

struct sweep_row {
    size_t point;
    size_t seq;         /* insertion order, breaks ties of point */
    char **axis_values; /* naxes strings */
    char *variant;
    struct sweep_metric *metrics;
    size_t nmetrics;
};

struct sweep_table {
    char **axes; /* axis paths (column names) */
    size_t naxes;
    bool has_axes; /* the axis columns are known (set by init or by the first CSV parsed) */
    struct sweep_row *rows;
    size_t nrows, cap;
};

/* Empty table with the given axis columns (axes may be NULL: the first CSV
 * parsed decides them). */
int sweep_table_init(struct sweep_table *t, const char *const *axes, size_t naxes,
                     struct os_error *err);

void sweep_table_destroy(struct sweep_table *t);

/* Appends one row per variant of a summary.json tree (its numeric metrics). */
int sweep_table_add_summary(struct sweep_table *t, size_t point, const char *const *axis_values,
                            const cJSON *summary, const char *source, struct os_error *err);

/* Appends the rows of a sweep CSV text. `source` names it in errors. The
 * axis columns must equal the table's. */
int sweep_table_parse_csv(struct sweep_table *t, const char *text, size_t len, const char *source,
                          struct os_error *err);

/* Writes the table (header, rows sorted by point, stable) to fp. */
int sweep_table_write(struct sweep_table *t, FILE *fp, struct os_error *err);

/* The same into a malloc'ed NUL-terminated string (*out, caller frees). */
int sweep_table_to_text(struct sweep_table *t, char **out, size_t *len, struct os_error *err);

/* ---- merge ---- */

/* One shard's CSV text. */
struct sweep_input {
    const char *name; /* for errors, e.g. the file path */
    const char *text;
    size_t len;
    struct sweep_shard shard;
};

/* Merges n shard texts into one table text (*out, caller frees). Checks that
 * all inputs have the same shard count N, that shards 1..N each appear once,
 * that every row's point belongs to its shard, that no (point) comes from two
 * inputs and no (point, variant) twice, and, when npoints > 0, that points
 * 0..npoints-1 are all present (else that they are contiguous from 0). */
int sweep_merge_texts(const struct sweep_input *in, size_t n, size_t npoints, char **out,
                      struct os_error *err);

/* `orchsim merge`: each input is a directory (its shard-K-of-N.csv files and
 * sweep.json) or a shard file (named shard-K-of-N.csv; the sweep.json beside
 * it is used when present). Writes out (default: DIR/sweep.csv when the only
 * input is a directory) atomically. */
int sweep_merge_files(const char *const *inputs, size_t n, const char *out, struct os_error *err);

/* ---- running ---- */

/* What a validated sweep needs to run. */
struct sweep_plan {
    char dir[4096];  /* results directory */
    char name[64];   /* scenario name (of point 0) */
    cJSON *describe; /* the sweep.json tree (owned) */
};

/* Loads and checks the scenario of every point (scenario_load +
 * orchestrator_check). Each problem becomes one line in d naming the point
 * and its grid overrides; a problem shared by many points is reported once.
 * On success fills plan (release it with sweep_plan_destroy). */
int sweep_check(const struct sweep_opts *o, struct sweep_plan *plan, struct schema_diag *d);

void sweep_plan_destroy(struct sweep_plan *plan);

/* Creates DIR and DIR/points and writes DIR/sweep.json. */
int sweep_prepare_dir(const struct sweep_plan *plan, struct os_error *err);

/* Runs the points with index % n == r (all when n == 0) on `workers`
 * processes (1: in this process, in order), each point with
 * orchestrator jobs = point_jobs, and returns their table as CSV text in
 * *csv (caller frees). A failing point prints one line naming it on stderr;
 * the call then fails after the running points have finished. */
int sweep_run_points(const struct sweep_opts *o, const struct sweep_plan *plan, unsigned r,
                     unsigned n, unsigned workers, int point_jobs, char **csv,
                     struct os_error *err);

/* Writes text atomically to DIR/NAME. */
int sweep_write_text(const char *dir, const char *name, const char *text, struct os_error *err);

/* `orchsim sweep`: check, prepare, run (shard or all) and write sweep.csv or
 * shard-k-of-N.csv. Validation problems go to d (return OS_EINVAL), others to
 * err. */
int sweep_run(const struct sweep_opts *o, struct schema_diag *d, struct os_error *err);

#ifdef ORCHSIM_MPI
/* The same over MPI ranks (sim/sweep_mpi.c): rank r runs the points with
 * index % size == r; rank 0 gathers the rows and writes sweep.csv. On ranks
 * other than 0 nothing is reported (d->n == 0 and err->msg empty). */
int sweep_mpi_run(const struct sweep_opts *o, struct schema_diag *d, struct os_error *err);
#endif

#endif
