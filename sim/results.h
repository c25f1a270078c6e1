/*
 * results.h - run output directories and atomically written result files.
 *
 * Every result file is written to a temporary file beside its final name and
 * renamed into place by results_file_commit(), so a run that is killed never
 * leaves a half-written summary.json or CSV behind: a reader sees the old file
 * or the complete new one.
 */
#ifndef ORCHSIM_RESULTS_H
#define ORCHSIM_RESULTS_H

#include <stdio.h>

#include <cJSON.h>

#include "sim/os_err.h"

/* One file being written. Caller-owned; fp is valid between open and commit/abort. */
struct results_file {
    FILE *fp;
    char path[4096]; /* final path: DIR/NAME */
    char tmp[4096];  /* temporary path: DIR/.NAME.tmp.PID */
};

/* Creates dir and its parents (like mkdir -p). */
int results_mkdir(const char *dir, struct os_error *err);

/* Opens DIR/NAME for writing through a temporary file. DIR must exist. */
int results_file_open(struct results_file *f, const char *dir, const char *name,
                      struct os_error *err);

/* Flushes, syncs, closes and renames the temporary file to its final name.
 * On failure the temporary file is removed and the old file (if any) stays. */
int results_file_commit(struct results_file *f, struct os_error *err);

/* Closes and removes the temporary file; the final path is left untouched. */
void results_file_abort(struct results_file *f);

/* Writes `json` (pretty-printed, final newline) atomically to DIR/NAME. */
int results_write_json(const char *dir, const char *name, const cJSON *json, struct os_error *err);

/* Runs gnuplot (an external program) on SCRIPT with `dir` set to DIR
 * (`gnuplot -e "dir='DIR'" SCRIPT`). Returns OS_ENOENT with a clear message when
 * gnuplot is not installed, OS_EIO when it fails. */
int results_gnuplot(const char *script, const char *dir, struct os_error *err);

#endif
