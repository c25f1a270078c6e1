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
#include "sim/check.h"
#include "sim/os_err.h"
#include "sim/scenario.h"
#include "sim/sweep.h"
#include "sim/trace.h"
#include "models/orchestrator.h"
#include "models/spot.h"
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
    "  bench [engine|placement|all] [--quick] [--baseline FILE [--tolerance PCT]]\n"
    "        microbenchmarks; JSON on stdout. With --baseline, a table on stderr and\n"
    "        exit 1 when a throughput falls more than PCT % (default 50) below FILE\n"
    "  check RESULTS_DIR --baseline FILE [--junit FILE]\n"
    "        apply the summary's checks (default: directed metrics at most 10 % worse)\n"
    "        against a baseline summary.json; table on stdout, exit 1 on a breach\n"
    "  sweep SCENARIO.json --grid PATH=V1,V2,... [--grid PATH=...]... [--set PATH=VALUE]...\n"
    "        [--seeds N] [-j N] [--shard k/N] [-o DIR] [--quiet]\n"
    "        run every point of the grid (first axis slowest) on N worker processes;\n"
    "        DIR (default results/<scenario name>-sweep/) gets points/<i>/, sweep.json and\n"
    "        sweep.csv (one row per point and variant), or shard-k-of-N.csv with --shard;\n"
    "        'mpirun -n N orchsim-mpi sweep ...' spreads the points over MPI ranks\n"
    "  merge DIR_OR_FILES... [-o OUT.csv]\n"
    "        check and merge the shard-k-of-N.csv tables of one sweep into its sweep.csv\n"
    "  trace stats FILE --format NAME [--skip-malformed]\n"
    "        rows, time span and per-column statistics of a trace file\n"
    "  spot-log [--gpu TYPE] [--gpus N] [FILE]\n"
    "        spot interruption hazard and launch failure probability, with 95 % CIs,\n"
    "        per (GPU type, GPUs) group of an availability log (default: the 2020 log)\n"
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
    const char *baseline = NULL;
    double tolerance = 50.0;
    bool tolerance_given = false;
    for (int i = 0; i < argc; i++) {
        bool has_next = i + 1 < argc;
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "engine") == 0) {
            want_engine = true;
        } else if (strcmp(argv[i], "placement") == 0) {
            want_placement = true;
        } else if (strcmp(argv[i], "all") == 0) {
            want_engine = want_placement = true;
        } else if (strcmp(argv[i], "--baseline") == 0 && has_next) {
            baseline = argv[++i];
        } else if (strcmp(argv[i], "--tolerance") == 0 && has_next) {
            char *end;
            tolerance = strtod(argv[++i], &end);
            tolerance_given = true;
            if (end == argv[i] || *end || !(tolerance >= 0 && tolerance <= 100))
                return usage_error("bench: --tolerance expects a percentage in [0, 100], got '%s'",
                                   argv[i]);
        } else {
            return usage_error("bench: unknown or incomplete argument '%s' (engine, placement, "
                               "all, --quick, --baseline FILE, --tolerance PCT)",
                               argv[i]);
        }
    }
    if (tolerance_given && !baseline)
        return usage_error("bench: --tolerance needs --baseline FILE (%s)",
                           "the figures it bounds");
    if (!want_engine && !want_placement)
        want_engine = want_placement = true;
    struct os_error err;
    /* Read the baseline before spending minutes on the benchmarks. */
    cJSON *base = NULL;
    if (baseline && schema_parse_file(baseline, &base, &err) != OS_OK) {
        fprintf(stderr, "orchsim: bench: %s\n", err.msg);
        return EXIT_USAGE;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddBoolToObject(out, "quick", quick);
    int rc = OS_OK;
    if (want_engine)
        rc = bench_engine(out, quick, &err);
    if (rc == OS_OK && want_placement)
        rc = bench_placement_json(out, quick, &err);
    if (rc != OS_OK) {
        fprintf(stderr, "orchsim: bench: %s\n", err.msg);
        cJSON_Delete(out);
        cJSON_Delete(base);
        return EXIT_USAGE;
    }
    char *s = cJSON_Print(out);
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    /* The comparison table goes to stderr so that stdout stays the JSON that
     * a later run can use as its baseline. */
    if (base) {
        struct check_report r = {.group_title = "benchmark"};
        rc = check_bench(out, base, baseline, tolerance, &r, stderr, &err);
        if (rc == OS_OK) {
            check_report_print(&r, stderr);
            rc = r.nfail ? EXIT_CHECK : 0;
        } else {
            fprintf(stderr, "orchsim: bench: %s\n", err.msg);
            rc = EXIT_USAGE;
        }
        check_report_destroy(&r);
    }
    cJSON_Delete(out);
    cJSON_Delete(base);
    return rc;
}

/* check RESULTS_DIR --baseline FILE [--junit FILE] (sim/check.h). */
static int cmd_check(int argc, char **argv)
{
    const char *dir = NULL, *baseline = NULL, *junit = NULL;
    for (int i = 0; i < argc; i++) {
        bool has_next = i + 1 < argc;
        if (strcmp(argv[i], "--baseline") == 0 && has_next)
            baseline = argv[++i];
        else if (strncmp(argv[i], "--baseline=", 11) == 0)
            baseline = argv[i] + 11;
        else if (strcmp(argv[i], "--junit") == 0 && has_next)
            junit = argv[++i];
        else if (strncmp(argv[i], "--junit=", 8) == 0)
            junit = argv[i] + 8;
        else if (argv[i][0] == '-')
            return usage_error("check: unknown or incomplete option '%s'", argv[i]);
        else if (!dir)
            dir = argv[i];
        else
            return usage_error("check: unexpected argument '%s'", argv[i]);
    }
    if (!dir)
        return usage_error("check: missing RESULTS_DIR%s", "");
    if (!baseline)
        return usage_error("check: missing --baseline FILE (a summary.json to compare with)%s", "");
    char summary[4096];
    snprintf(summary, sizeof summary, "%s/summary.json", dir);
    struct os_error err;
    cJSON *res = NULL, *base = NULL;
    struct check *checks = NULL;
    size_t nchecks = 0;
    struct check_report r = {.group_title = "variant"};
    int rc = schema_parse_file(summary, &res, &err);
    if (rc == OS_OK)
        rc = schema_parse_file(baseline, &base, &err);
    if (rc == OS_OK)
        rc = check_load(res, summary, &checks, &nchecks, &err);
    if (rc == OS_OK)
        rc = check_apply(res, summary, base, baseline, checks, nchecks, &r, stderr, &err);
    if (rc != OS_OK) {
        fprintf(stderr, "orchsim: check: %s\n", err.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (nchecks == 0)
        printf("checks: none in %s; default rule: every metric with a known better direction "
               "at most %g %% worse than baseline\n",
               summary, CHECK_DEFAULT_PCT);
    check_report_print(&r, stdout);
    if (junit) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(res, "scenario");
        char suite[128];
        snprintf(suite, sizeof suite, "orchsim.check.%s",
                 cJSON_IsString(name) ? name->valuestring : "results");
        if (check_report_write_junit(&r, suite, junit, &err) != OS_OK) {
            fprintf(stderr, "orchsim: check: %s\n", err.msg);
            rc = EXIT_USAGE;
            goto out;
        }
    }
    rc = r.nfail ? EXIT_CHECK : 0;
out:
    check_report_destroy(&r);
    free(checks);
    cJSON_Delete(res);
    cJSON_Delete(base);
    return rc;
}

/* sweep SCENARIO.json --grid PATH=V1,V2,... [--shard k/N] [run options] (sim/sweep.h):
 * --grid and --shard are taken out here, the rest parsed like `run`. */
static int cmd_sweep(int argc, char **argv)
{
    struct sweep_opts *so = calloc(1, sizeof *so);
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    struct schema_diag *d = calloc(1, sizeof *d);
    struct os_error err = {""};
    int nrest = 0, rc = 0;
    if (!so || !rest || !d) {
        fprintf(stderr, "orchsim: out of memory\n");
        rc = EXIT_USAGE;
        goto out;
    }
    sweep_grid_init(&so->grid);
    for (int i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i], *val;
        if ((strcmp(a, "--grid") == 0 || strcmp(a, "--shard") == 0) && i + 1 < argc)
            val = argv[++i];
        else if (strncmp(a, "--grid=", 7) == 0)
            val = a + 7;
        else if (strncmp(a, "--shard=", 8) == 0)
            val = a + 8;
        else {
            rest[nrest++] = argv[i];
            continue;
        }
        int r = a[2] == 'g' ? sweep_grid_add_axis(&so->grid, val, &err)
                            : sweep_shard_parse(val, &so->shard, &err);
        if (r != OS_OK)
            rc = usage_error("sweep: %s", err.msg);
    }
    if (rc == 0)
        rc = parse_run_args(nrest, rest, &so->run, true);
    if (rc == 0) {
#ifdef ORCHSIM_MPI
        rc = sweep_mpi_run(so, d, &err);
#else
        rc = sweep_run(so, d, &err);
#endif
        if (d->n)
            print_diag(d);
        else if (rc != OS_OK && err.msg[0])
            fprintf(stderr, "orchsim: %s\n", err.msg);
        rc = rc == OS_OK ? 0 : EXIT_USAGE;
    }
out:
    if (so)
        sweep_grid_destroy(&so->grid);
    free(so);
    free(rest);
    free(d);
    return rc;
}

/* merge DIR_OR_FILES... [-o OUT.csv] (sim/sweep.h). */
static int cmd_merge(int argc, char **argv)
{
    const char **in = calloc((size_t)argc + 1, sizeof *in);
    const char *out = NULL;
    size_t n = 0;
    if (!in) {
        fprintf(stderr, "orchsim: out of memory\n");
        return EXIT_USAGE;
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            free(in);
            return usage_error("merge: unknown or incomplete option '%s'", argv[i]);
        } else {
            in[n++] = argv[i];
        }
    }
    if (n == 0) {
        free(in);
        return usage_error("merge: missing the shard directories or %s files", "shard-K-of-N.csv");
    }
    struct os_error err;
    int rc = sweep_merge_files(in, n, out, &err);
    free(in);
    if (rc != OS_OK) {
        fprintf(stderr, "orchsim: %s\n", err.msg);
        return EXIT_USAGE;
    }
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

/* spot-log [--gpu TYPE] [--gpus N] [FILE] (models/spot.h). */
static int cmd_spot_log(int argc, char **argv)
{
    const char *file = NULL, *gpu = NULL;
    int gpus = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (strcmp(a, "--gpu") == 0 && i + 1 < argc)
            gpu = argv[++i];
        else if (strncmp(a, "--gpu=", 6) == 0)
            gpu = a + 6;
        else if (strcmp(a, "--gpus") == 0 && i + 1 < argc)
            val = argv[++i];
        else if (strncmp(a, "--gpus=", 7) == 0)
            val = a + 7;
        else if (a[0] == '-')
            return usage_error("spot-log: unknown or incomplete option '%s'", a);
        else if (!file)
            file = a;
        else
            return usage_error("spot-log: unexpected argument '%s'", a);
        if (val) {
            char *end;
            long v = strtol(val, &end, 10);
            if (end == val || *end || v < 1 || v > SPOT_LOG_MAX_GPUS)
                return usage_error("spot-log: --gpus expects an integer in [1, 1024], got '%s'",
                                   val);
            gpus = (int)v;
        }
    }
    if (gpu && !*gpu)
        return usage_error("spot-log: --gpu expects a GPU type such as k80 or v100%s", "");
    struct os_error err;
    if (spot_log_report(file ? file : SPOT_DEFAULT_LOG_PATH, gpu, gpus, stdout, &err) != OS_OK) {
        fprintf(stderr, "orchsim: spot-log: %s\n", err.msg);
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
    if (strcmp(cmd, "check") == 0)
        return cmd_check(n, rest);
    if (strcmp(cmd, "trace") == 0)
        return cmd_trace(n, rest);
    if (strcmp(cmd, "sweep") == 0)
        return cmd_sweep(n, rest);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(n, rest);
    if (strcmp(cmd, "spot-log") == 0)
        return cmd_spot_log(n, rest);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("orchsim %s\n", ORCHSIM_VERSION);
        return 0;
    }
    return usage_error("unknown command '%s'", cmd);
}
