/*
 * report.h - the human-readable report of a simulation results directory.
 *
 * report_write() reads what a run left in DIR (docs/RESULTS.md: summary.json,
 * and when present timeseries.csv and latency_cdf.csv) and writes beside it
 * report.md, report.html (self-contained: tables plus the plots embedded as
 * data: URIs, readable offline) and the plots cost_vs_p99, gpus_over_time,
 * latency_cdf and queue_over_time as .png and .svg, drawn by gnuplot from
 * small per-plot data files (DIR/plot_*.dat) with scripts/report_*.gp.
 *
 * The report depends only on the files in DIR, so the same directory gives
 * byte-identical reports: no timestamps, no host names, variants in the
 * order of summary.json. Files are written atomically (sim/results.h); the
 * plots themselves are written by gnuplot.
 */
#ifndef ORCHSIM_REPORT_H
#define ORCHSIM_REPORT_H

#include <stddef.h>

#include "sim/os_err.h"

/* Writes DIR/report.md, DIR/report.html, the plot data files and the plots.
 *
 * summary.json is required: a missing file is OS_ENOENT, malformed JSON is
 * OS_EPARSE with "DIR/summary.json:LINE:COL", a wrong shape is OS_EINVAL with
 * the JSON path. timeseries.csv and latency_cdf.csv are optional: when absent
 * the plots they feed are skipped (and stale copies removed); a malformed row
 * is OS_EPARSE naming "FILE:LINE". gnuplot is optional too: when it is not
 * installed or a script fails, the report says so and the call still
 * succeeds. Scripts are looked up as scripts/report_*.gp relative to the
 * current directory (the project root), like every orchsim plot. */
int report_write(const char *dir, struct os_error *err);

/* RFC 4648 base64 of src[0..n) into dst, which must hold
 * REPORT_BASE64_LEN(n) bytes (the encoding, '=' padded, plus a NUL).
 * Returns the length written, not counting the NUL. */
#define REPORT_BASE64_LEN(n) (4 * (((size_t)(n) + 2) / 3) + 1)
size_t report_base64(const void *src, size_t n, char *dst);

#endif
