/*
 * main.c - the orchsim command. Subcommands only parse their arguments and
 * dispatch; the work happens in the modules.
 *
 * Exit codes: 0 success, 1 a check or validation failed, 2 usage or input error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sim/bench.h"
#include "sim/os_err.h"
#include "sim/scenario.h"
#include "sim/trace.h"
#include "models/orchestrator.h"
#include "models/placement/bench_placement.h"

#define EXIT_CHECK 1
#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: orchsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.json [-o DIR] [--set PATH=VALUE]... [--seeds N] [-j N] [--quiet]\n"
    "        run a scenario; results go to DIR (default results/<scenario name>/)\n"
    "  validate SCENARIO.json [--set PATH=VALUE]...\n"
    "        print 'ok', or one line per error (file, JSON path, what was expected)\n"
    "  bench [engine|placement|all] [--quick]\n"
    "        microbenchmarks; JSON on stdout\n"
    "  trace stats FILE --format NAME [--skip-malformed]\n"
    "        rows, time span and per-column statistics of a trace file\n"
    "  version\n"
    "        print the version\n"
    "\n"
    "exit status: 0 success, 1 a check or validation failed, 2 usage or input error\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "orchsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run 'orchsim help' for usage)\n");
    return EXIT_USAGE;
}

static void print_diag(const struct schema_diag *d)
{
    unsigned shown = d->n < SCHEMA_DIAG_MAX ? d->n : SCHEMA_DIAG_MAX;
    for (unsigned i = 0; i < shown; i++)
        fprintf(stderr, "%s\n", d->line[i]);
    if (d->n > shown)
        fprintf(stderr, "... and %u more errors\n", d->n - shown);
}

/* Parses the options shared by run and validate. */
static int parse_run_args(int argc, char **argv, struct run_opts *o, bool allow_run_opts)
{
    memset(o, 0, sizeof *o);
    o->jobs = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (strcmp(a, "--set") == 0 && has_next) {
            if (o->nsets >= RUN_MAX_SETS)
                return usage_error("too many --set options (at most %s)", "64");
            o->sets[o->nsets++] = argv[++i];
        } else if (strncmp(a, "--set=", 6) == 0) {
            if (o->nsets >= RUN_MAX_SETS)
                return usage_error("too many --set options (at most %s)", "64");
            o->sets[o->nsets++] = a + 6;
        } else if (allow_run_opts && strcmp(a, "-o") == 0 && has_next) {
            o->out_dir = argv[++i];
        } else if (allow_run_opts && strcmp(a, "--seeds") == 0 && has_next) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 10000)
                return usage_error("--seeds expects an integer in [1, 10000], got '%s'", argv[i]);
            o->seeds = (int)v;
        } else if (allow_run_opts && strcmp(a, "-j") == 0 && has_next) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1024)
                return usage_error("-j expects an integer in [1, 1024], got '%s'", argv[i]);
            o->jobs = (int)v;
        } else if (allow_run_opts && strcmp(a, "--quiet") == 0) {
            o->quiet = true;
        } else if (a[0] == '-') {
            return usage_error("unknown or incomplete option '%s'", a);
        } else if (!o->scenario) {
            o->scenario = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (!o->scenario)
        return usage_error("%s", "missing the scenario file");
    return 0;
}

static int cmd_validate(int argc, char **argv)
{
    struct run_opts o;
    int rc = parse_run_args(argc, argv, &o, false);
    if (rc)
        return rc;
    struct scenario *sc = malloc(sizeof *sc);
    struct schema_diag *d = calloc(1, sizeof *d);
    if (!sc || !d) {
        free(sc);
        free(d);
        fprintf(stderr, "orchsim: out of memory\n");
        return EXIT_USAGE;
    }
    rc = scenario_load(o.scenario, o.sets, o.nsets, sc, d);
    if (rc == OS_OK)
        orchestrator_check(sc, d);
    if (d->n == 0) {
        printf("ok\n");
        rc = 0;
    } else {
        print_diag(d);
        /* A missing or unreadable file is an input error; a file that loads
         * but breaks the schema is a failed validation. */
        rc = (rc == OS_ENOENT || rc == OS_EIO) ? EXIT_USAGE : EXIT_CHECK;
    }
    free(sc);
    free(d);
    return rc;
}

static int cmd_run(int argc, char **argv)
{
    struct run_opts o;
    int rc = parse_run_args(argc, argv, &o, true);
    if (rc)
        return rc;
    struct scenario *sc = malloc(sizeof *sc);
    struct schema_diag *d = calloc(1, sizeof *d);
    if (!sc || !d) {
        free(sc);
        free(d);
        fprintf(stderr, "orchsim: out of memory\n");
        return EXIT_USAGE;
    }
    rc = scenario_load(o.scenario, o.sets, o.nsets, sc, d);
    if (rc == OS_OK)
        orchestrator_check(sc, d);
    if (d->n) {
        print_diag(d);
        rc = EXIT_USAGE;
        goto out;
    }
    if (o.seeds)
        sc->seeds = o.seeds;
    struct os_error err;
    rc = orchestrator_run(sc, &o, &err);
    if (rc != OS_OK) {
        fprintf(stderr, "orchsim: %s\n", err.msg);
        rc = EXIT_USAGE;
    }
out:
    free(sc);
    free(d);
    return rc;
}

/* bench_placement() prints its JSON object; merge its "placement" array. */
static int bench_placement_json(cJSON *out, bool quick, struct os_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return os_errorf(err, OS_ENOMEM, "bench: out of memory");
    int rc = bench_placement(m, quick, err);
    fclose(m);
    if (rc == OS_OK) {
        cJSON *j = cJSON_Parse(buf);
        cJSON *arr = j ? cJSON_DetachItemFromObject(j, "placement") : NULL;
        if (arr)
            cJSON_AddItemToObject(out, "placement", arr);
        else
            rc = os_errorf(err, OS_EIO, "bench: placement benchmark printed no JSON array");
        cJSON_Delete(j);
    }
    free(buf);
    return rc;
}

static int cmd_bench(int argc, char **argv)
{
    bool quick = false, want_engine = false, want_placement = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "engine") == 0)
            want_engine = true;
        else if (strcmp(argv[i], "placement") == 0)
            want_placement = true;
        else if (strcmp(argv[i], "all") == 0)
            want_engine = want_placement = true;
        else
            return usage_error("bench: unknown argument '%s' (engine, placement, all, --quick)",
                               argv[i]);
    }
    if (!want_engine && !want_placement)
        want_engine = want_placement = true;
    cJSON *out = cJSON_CreateObject();
    struct os_error err;
    int rc = OS_OK;
    if (want_engine)
        rc = bench_engine(out, quick, &err);
    if (rc == OS_OK && want_placement)
        rc = bench_placement_json(out, quick, &err);
    if (rc != OS_OK) {
        fprintf(stderr, "orchsim: bench: %s\n", err.msg);
        cJSON_Delete(out);
        return EXIT_USAGE;
    }
    char *s = cJSON_Print(out);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(out);
    return 0;
}

static int cmd_trace(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "stats") != 0)
        return usage_error("trace: expected 'trace stats FILE --format NAME'%s", "");
    const char *file = NULL, *format = NULL;
    bool skip = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strncmp(argv[i], "--format=", 9) == 0)
            format = argv[i] + 9;
        else if (strcmp(argv[i], "--skip-malformed") == 0)
            skip = true;
        else if (argv[i][0] == '-')
            return usage_error("trace stats: unknown option '%s'", argv[i]);
        else if (!file)
            file = argv[i];
        else
            return usage_error("trace stats: unexpected argument '%s'", argv[i]);
    }
    if (!file)
        return usage_error("trace stats: missing FILE%s", "");
    char names[256] = "";
    for (int f = 0; f < TRACE_FORMAT_COUNT; f++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", f ? ", " : "",
                 trace_format_name((enum trace_format)f));
    }
    if (!format)
        return usage_error("trace stats: missing --format NAME (one of: %s)", names);
    enum trace_format fmt;
    if (trace_format_parse(format, &fmt) != OS_OK) {
        fprintf(stderr, "orchsim: trace stats: unknown format '%s' (one of: %s)\n", format, names);
        return EXIT_USAGE;
    }
    struct trace_opts topts = {.skip_malformed = skip};
    struct os_error err;
    int rc = trace_stats(file, fmt, &topts, stdout, &err);
    if (rc != OS_OK) {
        fprintf(stderr, "orchsim: %s\n", err.msg);
        return EXIT_USAGE;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const char *cmd = argv[1];
    int n = argc - 2;
    char **rest = argv + 2;
    if (strcmp(cmd, "run") == 0)
        return cmd_run(n, rest);
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(n, rest);
    if (strcmp(cmd, "bench") == 0)
        return cmd_bench(n, rest);
    if (strcmp(cmd, "trace") == 0)
        return cmd_trace(n, rest);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("orchsim %s\n", ORCHSIM_VERSION);
        return 0;
    }
    return usage_error("unknown command '%s'", cmd);
}
