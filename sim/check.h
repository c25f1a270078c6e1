/*
 * check.h - the CI gate: limits on a run's metrics, compared with a baseline.
 *
 * A check is one line of text from the scenario's "checks" array (echoed into
 * summary.json by the run):
 *
 *     [VARIANT:] METRIC OP EXPR        OP: <=  <  >=  >  ==
 *     [VARIANT:] METRIC within N%      |value - baseline| <= N/100 * |baseline|
 *
 *     EXPR: NUMBER | baseline | baseline * NUMBER
 *         | baseline + NUMBER | baseline - NUMBER
 *         | baseline + NUMBER% | baseline - NUMBER%   (relative: b +- N/100 * |b|)
 *
 * `baseline` is the same metric of the same variant in the baseline
 * summary.json. Without a VARIANT prefix a check applies to every variant
 * present in both files. METRIC may be a glob (`latency_*`, fnmatch(3)); a
 * glob matches the metrics of the results file except the `_ci95` half-widths
 * (unless the glob itself ends in `_ci95`) and must match at least one.
 *
 * Comparisons allow a relative rounding slack of 1e-9 on inclusive operators
 * (<=, >=, ==, within), so `x == baseline * 1.1` and boundary values compare
 * as a person would expect; strict operators (<, >) have none.
 *
 * The default rule, used when the summary has no checks: every metric whose
 * better direction is known (docs/RESULTS.md) may be at most 10 % worse than
 * its baseline: `METRIC <= baseline + 10%` when lower is better,
 * `METRIC >= baseline - 10%` when higher is better. Other metrics are not
 * checked.
 *
 * Check strings are parsed once into struct check (check_parse) before any
 * value is read; check_apply() and check_bench() then fill a check_report,
 * which prints as an aligned table or JUnit XML.
 */
#ifndef ORCHSIM_CHECK_H
#define ORCHSIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

#include "sim/os_err.h"

/* The default rule's tolerance, in percent of the baseline. */
#define CHECK_DEFAULT_PCT 10.0

enum check_op {
    CHECK_LE,     /* <= */
    CHECK_LT,     /* < */
    CHECK_GE,     /* >= */
    CHECK_GT,     /* > */
    CHECK_EQ,     /* == */
    CHECK_WITHIN, /* within N%: `num` is N */
};

/* What the right-hand side of a comparison is. */
enum check_rhs {
    CHECK_RHS_NUMBER,     /* num */
    CHECK_RHS_BASELINE,   /* b */
    CHECK_RHS_MUL,        /* b * num */
    CHECK_RHS_ADD,        /* b + num */
    CHECK_RHS_SUB,        /* b - num */
    CHECK_RHS_ADD_PCT,    /* b + num/100 * |b| */
    CHECK_RHS_SUB_PCT,    /* b - num/100 * |b| */
    CHECK_RHS_WITHIN_PCT, /* CHECK_WITHIN only: b +- num/100 * |b| */
};

/* Better direction of a metric (docs/RESULTS.md). */
enum check_better {
    CHECK_INFO,   /* informational: no direction */
    CHECK_LOWER,  /* lower is better */
    CHECK_HIGHER, /* higher is better */
};

/* One parsed check. Plain data, no destructor. */
struct check {
    char text[256];   /* the check as written, trimmed, for messages and JUnit */
    char variant[64]; /* "" = every variant present in results and baseline */
    char metric[96];  /* a metric name, or a glob when `glob` */
    bool glob;        /* metric contains * or ? */
    enum check_op op;
    enum check_rhs rhs;
    double num; /* the NUMBER of the expression (a percentage for the % forms) */
};

/* Parses one check string into *c. On error returns OS_EINVAL with one line
 * in err: "check 'TEXT': what was expected, and where". */
int check_parse(const char *text, struct check *c, struct os_error *err);

/* True when evaluating c needs the baseline value. */
bool check_uses_baseline(const struct check *c);

/* The better direction of a metric name; `_ci95` half-widths are CHECK_INFO. */
enum check_better check_metric_better(const char *metric);

/* Fills *c with the default rule for `metric`. Returns false (and leaves *c
 * alone) when the metric has no known direction. */
bool check_default(const char *metric, struct check *c);

/* The bounds the check puts on a value, given the baseline (ignored when the
 * check does not use it): the value must be in [*lo, *hi] (either may be
 * infinite; strictness comes from c->op). */
void check_bounds(const struct check *c, double baseline, double *lo, double *hi);

/* True when `value` satisfies c against `baseline`. */
bool check_eval(const struct check *c, double value, double baseline);

/* Formats the limit as people read it: "<= 105.5", "84.2 .. 102.9". */
void check_format_limit(const struct check *c, double baseline, char *buf, size_t n);

/* Formats a number compactly: up to 6 decimals, trailing zeros trimmed; %g
 * for very large or very small magnitudes. */
void check_format_num(double x, char *buf, size_t n);

/* ---- reports ---- */

/* One line of the table: one (variant or benchmark, metric, check). */
struct check_row {
    char group[128]; /* variant name or benchmark label */
    char metric[96]; /* the metric checked */
    char check[256]; /* the check's text */
    char limit[64];  /* check_format_limit() */
    bool glob;       /* the check's metric was a glob */
    double value;
    double baseline;
    bool has_baseline;
    bool pass;
};

/* A growing list of rows. Zero-initialise it, or use CHECK_REPORT_INIT;
 * check_report_destroy() frees the rows. */
struct check_report {
    const char *group_title; /* heading of the first column: "variant", "benchmark" */
    struct check_row *rows;
    size_t n, cap;
    size_t nfail;
};

/* Evaluates c on one value and appends the row. Returns OS_ENOMEM on
 * allocation failure. */
int check_report_add(struct check_report *r, const char *group, const char *metric,
                     const struct check *c, double value, double baseline, bool has_baseline,
                     struct os_error *err);

void check_report_destroy(struct check_report *r);

/* Prints the rows as an aligned table (variant, metric, value, limit,
 * baseline, change, result) and a closing "N passed, M failed" line. */
void check_report_print(const struct check_report *r, FILE *out);

/* Writes JUnit XML: one <testsuite name="suite">, one <testcase> per row with
 * classname "suite.group" and name the check text (plus the metric when the
 * check is a glob), and a <failure> for each failed row. */
void check_report_junit(const struct check_report *r, const char *suite, FILE *out);

/* check_report_junit() into the file `path`, written atomically. */
int check_report_write_junit(const struct check_report *r, const char *suite, const char *path,
                             struct os_error *err);

/* Copies s into buf (size n, always terminated) with &, <, >, " and '
 * replaced by XML entities and control characters other than tab, newline
 * and carriage return (not allowed in XML 1.0) replaced by '?'. Returns false
 * when the result was truncated. */
bool check_xml_escape(const char *s, char *buf, size_t n);

/* ---- results ---- */

/* Parses the "checks" array of a summary.json tree (absent or empty: *n = 0)
 * into a new array *out (caller frees). `file` prefixes error messages, which
 * name the JSON path and the check. */
int check_load(const cJSON *summary, const char *file, struct check **out, size_t *n,
               struct os_error *err);

/* Applies checks[0..n) (or, when n == 0, the default rule) to the results
 * summary against the baseline summary (cJSON trees of summary.json; the
 * file names only label messages) and appends one row per (variant, metric,
 * check) to r. Variants in the results but not the baseline are skipped with
 * a note on `log` (may be NULL). Input errors (no such variant for a named
 * check, a metric missing from the results or, when the check needs it, the
 * baseline, a value that is not a number, no variant in common) return
 * OS_EINVAL with one line in err naming variant and metric. */
int check_apply(const cJSON *results, const char *results_file, const cJSON *baseline,
                const char *baseline_file, const struct check *checks, size_t n,
                struct check_report *r, FILE *log, struct os_error *err);

/* ---- benchmarks ---- */

/* Compares the output of `orchsim bench` (cur) with an earlier one (base):
 * every throughput figure (a key ending in `_per_s`) of every benchmark entry
 * may fall at most tol_pct % below its baseline (`X >= baseline - tol_pct%`).
 * Entries are matched by section ("engine", "placement", ...) and by their
 * key fields (pending, nodes, policy, cluster, workload); sections or entries
 * on one side only are noted on `log` and skipped. Returns OS_EINVAL when
 * nothing could be compared (the baseline does not match this benchmark). */
int check_bench(const cJSON *cur, const cJSON *base, const char *base_file, double tol_pct,
                struct check_report *r, FILE *log, struct os_error *err);

/* True if s ends with suffix (metric names: "_ci95", "_per_s"). */
bool check_ends_with(const char *s, const char *suffix);

#endif
