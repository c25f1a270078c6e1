/*
 * orchestrator.c - turns a decoded scenario into model runs and a results
 * directory.
 *
 * Kind "packing": the FGD paper's static packing experiment (models/packing).
 * Kind "replay": a timed replay of a pod trace on a fixed cluster
 * (models/replay); results like the simulation kind's (summary.json with
 * paired differences, timeseries.csv, runs.csv, report via sim/report.c).
 * summary.json gets, per variant, the mean over seeds of the end-of-run
 * figures and, with more than one seed, a 95 % confidence half-width
 * (Student t, GSL) as <metric>_ci95. Wall-clock time goes to stderr only, so
 * the results directory is byte-identical for the same scenario and seed.
 */
#include "models/orchestrator.h"
#include "sim/pool.h"
#include "sim/progress.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include <unistd.h>

#include "models/catalog.h"
#include "models/packing.h"
#include "models/replay.h"
#include "models/sim.h"
#include "models/placement/placement.h"
#include "sim/bench.h"
#include "sim/report.h"
#include "sim/results.h"

/* Arrived-% points reported in summary.json (the paper's Fig. 9a columns). */
static const int summary_points[] = {90, 100, 110, 120, 130};

static void check_file(const char *file, const char *path, const char *what, struct schema_diag *d)
{
    struct stat st;
    if (stat(what, &st) != 0)
        schema_diag_add(d, "%s: %s: cannot open '%s': %s", file, path, what, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        schema_diag_add(d, "%s: %s: '%s' is not a regular file", file, path, what);
}

int orchestrator_check(const struct scenario *sc, struct schema_diag *d)
{
    unsigned before = d->n;
    const char *names[64];
    size_t n = placer_count();
    if (n > 63)
        n = 63;
    for (size_t i = 0; i < n; i++)
        names[i] = placer_at(i)->name;
    names[n] = NULL;
    for (unsigned v = 0; v < sc->nvariants; v++) {
        const char *p = sc->variants[v].placement;
        if (placer_find(p))
            continue;
        const char *s = schema_suggest(p, names, n);
        if (s) {
            schema_diag_add(d,
                            "%s: $.variants[%u].placement: unknown placement policy '%s' (did "
                            "you mean '%s'?)",
                            sc->file, v, p, s);
        } else {
            char list[1024] = "";
            for (size_t i = 0; i < n; i++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
            }
            schema_diag_add(d,
                            "%s: $.variants[%u].placement: unknown placement policy '%s' "
                            "(one of: %s)",
                            sc->file, v, p, list);
        }
    }
    if (sc->kind == SCENARIO_PACKING || sc->kind == SCENARIO_REPLAY) {
        check_file(sc->file, "$.cluster.nodes_csv", sc->cluster.nodes_csv, d);
        check_file(sc->file, "$.workload.pods_csv", sc->workload.pods_csv, d);
    } else {
        check_file(sc->file, "$.cluster.catalog", sc->cluster.catalog, d);
        check_file(sc->file, "$.workload.inference.trace_csv", sc->workload.inference.trace_csv, d);
        struct catalog cat;
        struct os_error e;
        if (d->n == before) {
            if (catalog_load(&cat, sc->cluster.catalog, &e) != OS_OK) {
                schema_diag_add(d, "%s", e.msg);
            } else {
                sim_check(sc, &cat, d);
                catalog_destroy(&cat);
            }
        }
    }
    return d->n > before ? OS_EINVAL : OS_OK;
}

/* Adds name = mean of x[0..n) and, when n > 1, name_ci95 = t(0.975, n-1) s/sqrt(n). */
static void add_stat(cJSON *m, const char *name, const double *x, size_t n)
{
    double mean = gsl_stats_mean(x, 1, n);
    cJSON_AddNumberToObject(m, name, round(mean * 1e6) / 1e6);
    if (n > 1) {
        double half =
            gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * gsl_stats_sd(x, 1, n) / sqrt((double)n);
        char key[96];
        snprintf(key, sizeof key, "%s_ci95", name);
        cJSON_AddNumberToObject(m, key, round(half * 1e6) / 1e6);
    }
}

/* The head every summary.json starts with: scenario, its description (when
 * given), seed, seeds, version, kind, duration_s (unless NaN), checks. */
static cJSON *summary_root(const struct scenario *sc, const char *kind, unsigned nseeds,
                           double duration_s)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", sc->name);
    if (sc->description[0])
        cJSON_AddStringToObject(root, "description", sc->description);
    cJSON_AddNumberToObject(root, "seed", (double)sc->seed);
    cJSON_AddNumberToObject(root, "seeds", nseeds);
    cJSON_AddStringToObject(root, "version", ORCHSIM_VERSION);
    cJSON_AddStringToObject(root, "kind", kind);
    if (!isnan(duration_s))
        cJSON_AddNumberToObject(root, "duration_s", duration_s);
    cJSON *checks = cJSON_AddArrayToObject(root, "checks");
    for (unsigned i = 0; i < sc->nchecks; i++)
        cJSON_AddItemToArray(checks, cJSON_CreateString(sc->checks[i]));
    return root;
}

static cJSON *packing_summary(const struct scenario *sc, const struct packing_cfg *cfg,
                              const struct packing_result *res)
{
    cJSON *root = summary_root(sc, "packing", cfg->nseeds, NAN);
    cJSON *cl = cJSON_AddObjectToObject(root, "cluster");
    cJSON_AddNumberToObject(cl, "nodes", res->nodes);
    cJSON_AddNumberToObject(cl, "gpus", res->gpus);
    cJSON_AddNumberToObject(cl, "pods_in_trace", res->pods_in);
    cJSON *vars = cJSON_AddArrayToObject(root, "variants");
    size_t ns = cfg->nseeds;
    double *x = malloc(ns * sizeof *x);
    if (!x) {
        cJSON_Delete(root);
        return NULL;
    }
    for (unsigned v = 0; v < res->nvariants; v++) {
        const struct packing_run *r = res->runs + (size_t)v * ns;
        cJSON *jv = cJSON_CreateObject();
        cJSON_AddItemToArray(vars, jv);
        cJSON_AddStringToObject(jv, "name", cfg->variants[v].name);
        cJSON_AddStringToObject(jv, "orchestrator", "none");
        cJSON_AddStringToObject(jv, "placement", cfg->variants[v].policy);
        cJSON *m = cJSON_AddObjectToObject(jv, "metrics");
#define STAT(NAME, EXPR)                                                                           \
    do {                                                                                           \
        for (size_t s = 0; s < ns; s++)                                                            \
            x[s] = (EXPR);                                                                         \
        add_stat(m, NAME, x, ns);                                                                  \
    } while (0)
        STAT("pods_total", (double)r[s].pods);
        STAT("unscheduled", (double)r[s].failed);
        STAT("arrived_pct", r[s].arrived_pct);
        STAT("gpu_alloc_pct", r[s].alloc_pct);
        STAT("frag_pct", r[s].frag_pct);
#undef STAT
        for (size_t k = 0; k < sizeof summary_points / sizeof summary_points[0]; k++) {
            int p = summary_points[k];
            size_t have = 0;
            for (size_t s = 0; s < ns; s++)
                if (r[s].has[p])
                    x[have++] = r[s].alloc[p];
            if (have == ns) {
                char key[64];
                snprintf(key, sizeof key, "gpu_alloc_at_arrived_%d_pct", p);
                add_stat(m, key, x, ns);
            }
        }
    }
    free(x);
    return root;
}

static int run_packing(const struct scenario *sc, const struct run_opts *o, const char *dir,
                       struct os_error *err)
{
    struct packing_cfg *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    snprintf(cfg->nodes_csv, sizeof cfg->nodes_csv, "%s", sc->cluster.nodes_csv);
    snprintf(cfg->pods_csv, sizeof cfg->pods_csv, "%s", sc->workload.pods_csv);
    cfg->tune = sc->workload.tune;
    cfg->seed0 = (uint64_t)sc->seed;
    cfg->nseeds = (unsigned)(sc->seeds > 0 ? sc->seeds : 1);
    cfg->nvariants = sc->nvariants;
    cfg->threads = o->jobs > 0 ? (unsigned)o->jobs : 0;
    cfg->skip_malformed = sc->on_malformed_row == SCENARIO_ROWS_SKIP;
    for (unsigned v = 0; v < sc->nvariants; v++) {
        struct packing_variant *pv = &cfg->variants[v];
        const struct scenario_variant *sv = &sc->variants[v];
        snprintf(pv->name, sizeof pv->name, "%s", sv->name);
        snprintf(pv->policy, sizeof pv->policy, "%s", sv->placement);
        pv->nref = sv->nreference < PACKING_REF_MAX ? sv->nreference : PACKING_REF_MAX;
        memcpy(pv->ref, sv->reference_alloc_pct, pv->nref * sizeof pv->ref[0]);
    }
    if (!o->quiet)
        fprintf(stderr, "orchsim: %s: %u variants x %u seeds ...\n", sc->name, cfg->nvariants,
                cfg->nseeds);
    double t0 = bench_now_s();
    struct packing_result res;
    int rc = packing_run(cfg, &res, err);
    if (rc != OS_OK) {
        free(cfg);
        return rc;
    }
    double wall = bench_now_s() - t0;
    rc = packing_write_outputs(cfg, &res, dir, err);
    if (rc == OS_OK) {
        cJSON *sum = packing_summary(sc, cfg, &res);
        if (!sum)
            rc = os_errorf(err, OS_ENOMEM, "out of memory");
        else
            rc = results_write_json(dir, "summary.json", sum, err);
        cJSON_Delete(sum);
    }
    if (rc == OS_OK && !o->quiet)
        fprintf(stderr, "orchsim: %s: done in %.2f s; results in %s/\n", sc->name, wall, dir);
    packing_result_destroy(&res);
    free(cfg);
    return rc;
}

/* ---------------- simulation ---------------- */

struct sim_jobs {
    const struct scenario *sc;
    const struct catalog *cat;
    unsigned nseeds, njobs;
    struct sim_result *res; /* [v * nseeds + s] */
    int *rc;
    struct os_error *errs;
    const struct sim_inputs *in; /* loaded once, shared by the runs */
    struct progress prog;
};

/* pool_job (sim/pool.h): a worker is just the jobs; run k records its own
 * result and error, so the error reported is the first run's in index
 * order whatever the threads did. */
static int sim_pool_init(void *w, void *shared, struct os_error *err)
{
    (void)err;
    *(struct sim_jobs **)w = shared;
    return OS_OK;
}

static int sim_pool_run(void *w, unsigned k, struct os_error *err)
{
    (void)err;
    struct sim_jobs *J = *(struct sim_jobs **)w;
    unsigned v = k / J->nseeds, s = k % J->nseeds;
    J->rc[k] = sim_run_with(J->sc, J->cat, J->in, v, (uint64_t)J->sc->seed + s, s == 0, &J->res[k],
                            &J->errs[k]);
    progress_step(&J->prog);
    return OS_OK;
}

static void sim_pool_destroy(void *w)
{
    (void)w;
}

/* mean/ci95 of metric m over seeds of variant v; NaN values leave it out */
static cJSON *sim_summary(const struct scenario *sc, const struct sim_jobs *J)
{
    cJSON *root = summary_root(sc, "simulation", J->nseeds, (double)sc->duration_us / 1e6);
    cJSON *vars = cJSON_AddArrayToObject(root, "variants");
    double x[10000]; /* --seeds is at most 10000 */
    unsigned ns = J->nseeds;
    for (unsigned v = 0; v < sc->nvariants; v++) {
        const struct scenario_variant *sv = &sc->variants[v];
        cJSON *jv = cJSON_CreateObject();
        cJSON_AddItemToArray(vars, jv);
        cJSON_AddStringToObject(jv, "name", sv->name);
        cJSON_AddStringToObject(jv, "orchestrator", scenario_orchestrator_names[sv->orchestrator]);
        cJSON_AddStringToObject(jv, "instance_type", sv->instance_type);
        cJSON_AddStringToObject(jv, "sharing", scenario_sharing_names[sv->sharing]);
        cJSON_AddNumberToObject(jv, "spot_pct", sv->spot.pct);
        cJSON *m = cJSON_AddObjectToObject(jv, "metrics");
        cJSON *pd = v > 0 && ns > 1 ? cJSON_AddObjectToObject(jv, "paired_diff") : NULL;
        const struct sim_result *r0 = &J->res[(size_t)v * ns];
        for (unsigned k = 0; k < r0->nmetrics; k++) {
            size_t n = 0;
            for (unsigned s = 0; s < ns; s++) {
                double val = J->res[(size_t)v * ns + s].value[k];
                if (!isnan(val))
                    x[n++] = val;
            }
            if (n == ns)
                add_stat(m, r0->name[k], x, n);
            if (pd) {
                n = 0;
                for (unsigned s = 0; s < ns; s++) {
                    double a = J->res[(size_t)v * ns + s].value[k];
                    double b = J->res[s].value[k];
                    if (!isnan(a) && !isnan(b))
                        x[n++] = a - b;
                }
                if (n == ns) {
                    cJSON *o = cJSON_AddObjectToObject(pd, r0->name[k]);
                    double mean = gsl_stats_mean(x, 1, n);
                    double half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) *
                                  gsl_stats_sd(x, 1, n) / sqrt((double)n);
                    cJSON_AddNumberToObject(o, "mean", round(mean * 1e6) / 1e6);
                    cJSON_AddNumberToObject(o, "ci95", round(half * 1e6) / 1e6);
                }
            }
        }
    }
    return root;
}

static int write_text(const char *dir, const char *name, const char *header,
                      const struct sim_jobs *J, bool cdf, bool all_seeds, struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, name, err);
    if (rc)
        return rc;
    fputs(header, f.fp);
    for (unsigned v = 0; v < J->sc->nvariants; v++) {
        const struct sim_result *r = &J->res[(size_t)v * J->nseeds];
        if (all_seeds) {
            for (unsigned s = 0; s < J->nseeds; s++) {
                const struct sim_result *q = &J->res[(size_t)v * J->nseeds + s];
                fprintf(f.fp, "%s,%llu", J->sc->variants[v].name,
                        (unsigned long long)(J->sc->seed + s));
                for (unsigned k = 0; k < q->nmetrics; k++)
                    fprintf(f.fp, ",%.10g", q->value[k]);
                fputc('\n', f.fp);
            }
        } else if (cdf && r->cdf) {
            fwrite(r->cdf, 1, r->cdf_len, f.fp);
        } else if (!cdf && r->series) {
            fwrite(r->series, 1, r->series_len, f.fp);
        }
    }
    return results_file_commit(&f, err);
}

static int run_simulation(const struct scenario *sc, const struct run_opts *o, const char *dir,
                          struct os_error *err)
{
    struct catalog cat;
    int rc = catalog_load(&cat, sc->cluster.catalog, err);
    if (rc)
        return rc;
    struct sim_jobs J;
    memset(&J, 0, sizeof J);
    J.sc = sc;
    J.cat = &cat;
    J.nseeds = (unsigned)(sc->seeds > 0 ? sc->seeds : 1);
    J.njobs = sc->nvariants * J.nseeds;
    J.res = calloc(J.njobs, sizeof *J.res);
    J.rc = calloc(J.njobs, sizeof *J.rc);
    J.errs = calloc(J.njobs, sizeof *J.errs);
    struct sim_inputs in;
    memset(&in, 0, sizeof in);
    if (!J.res || !J.rc || !J.errs) {
        rc = os_errorf(err, OS_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sim_inputs_load(&in, sc, err)))
        goto out;
    J.in = &in;
    if (!o->quiet)
        fprintf(stderr, "orchsim: %s: %u variants x %u seeds, %.1f simulated hours each\n",
                sc->name, sc->nvariants, J.nseeds, (double)sc->duration_us / 3.6e9);
    double t0 = bench_now_s();
    progress_init(&J.prog, sc->name, J.njobs, "runs", !o->quiet);
    struct pool_job job = {&J, sizeof(struct sim_jobs *), sim_pool_init, sim_pool_run,
                           sim_pool_destroy};
    rc = pool_run(&job, J.njobs, o->jobs > 0 ? (unsigned)o->jobs : 0, err);
    progress_end(&J.prog);
    if (rc)
        goto out;
    for (unsigned k = 0; k < J.njobs; k++)
        if (J.rc[k]) {
            *err = J.errs[k];
            rc = J.rc[k];
            goto out;
        }
    double wall = bench_now_s() - t0;
    cJSON *sum = sim_summary(sc, &J);
    rc = results_write_json(dir, "summary.json", sum, err);
    cJSON_Delete(sum);
    if (!rc)
        rc = write_text(dir, "timeseries.csv",
                        "variant,seed,time_s,nodes,gpus,gpus_alloc,replicas,queue_len,pending,"
                        "jobs_running,cost_usd\n",
                        &J, false, false, err);
    if (!rc)
        rc = write_text(dir, "latency_cdf.csv", "variant,latency_ms,cdf\n", &J, true, false, err);
    if (!rc) {
        char header[4096] = "variant,seed";
        const struct sim_result *r0 = &J.res[0];
        for (unsigned k = 0; k < r0->nmetrics; k++) {
            size_t used = strlen(header);
            snprintf(header + used, sizeof header - used, ",%s", r0->name[k]);
        }
        size_t used = strlen(header);
        snprintf(header + used, sizeof header - used, "\n");
        rc = write_text(dir, "runs.csv", header, &J, false, true, err);
    }
    if (!rc)
        rc = report_write(dir, err);
    if (!rc && !o->quiet)
        fprintf(stderr, "orchsim: %s: done in %.2f s; results in %s/\n", sc->name, wall, dir);
out:
    if (J.res)
        for (unsigned k = 0; k < J.njobs; k++)
            sim_result_destroy(&J.res[k]);
    free(J.res);
    free(J.rc);
    free(J.errs);
    sim_inputs_destroy(&in);
    catalog_destroy(&cat);
    return rc;
}

/* ---------------- replay ---------------- */

/* The metrics of a replay run, in summary.json and runs.csv order. */
static const char *const replay_metric_names[] = {
    "gpu_alloc_pct",        "frag_pct",
    "pods_total",           "pods_scheduled",
    "unscheduled",          "pending_at_end",
    "pods_delayed",         "pending_mean_s",
    "pending_p50_s",        "pending_p99_s",
    "pending_max_s",        "pending_peak",
    "pods_running_mean",    "scheduling_attempts",
    "trace_pending_mean_s", "trace_pending_p50_s",
    "trace_pending_p99_s",
};
#define REPLAY_NMETRICS (sizeof replay_metric_names / sizeof replay_metric_names[0])

static void replay_values(const struct replay_result *res, const struct replay_run *r, double *x)
{
    const double v[REPLAY_NMETRICS] = {
        r->gpu_alloc_pct,
        r->frag_pct,
        r->pods,
        r->scheduled,
        r->unscheduled,
        r->pending_end,
        r->delayed,
        r->pending_mean_s,
        r->pending_p50_s,
        r->pending_p99_s,
        r->pending_max_s,
        r->pending_peak,
        r->running_mean,
        (double)r->attempts,
        res->trace_pending_mean_s,
        res->trace_pending_p50_s,
        res->trace_pending_p99_s,
    };
    memcpy(x, v, sizeof v);
}

static cJSON *replay_summary(const struct scenario *sc, const struct replay_cfg *cfg,
                             const struct replay_result *res)
{
    cJSON *root = summary_root(sc, "replay", cfg->nseeds, (double)res->end_us / 1e6);
    cJSON *cl = cJSON_AddObjectToObject(root, "cluster");
    cJSON_AddNumberToObject(cl, "nodes", res->nodes);
    cJSON_AddNumberToObject(cl, "gpus", res->gpus);
    cJSON_AddNumberToObject(cl, "pods_in_trace", res->pods_in);
    cJSON_AddNumberToObject(cl, "pods_replayed", res->pods_replayed);
    cJSON_AddNumberToObject(cl, "pods_skipped", res->pods_skipped);
    cJSON_AddNumberToObject(cl, "start_s", (double)cfg->start_us / 1e6);
    cJSON_AddNumberToObject(cl, "time_scale", cfg->time_scale);
    cJSON_AddNumberToObject(cl, "target_shapes", res->shapes);
    cJSON *vars = cJSON_AddArrayToObject(root, "variants");
    size_t ns = cfg->nseeds;
    double *all = malloc(ns * REPLAY_NMETRICS * sizeof *all);
    double *x = malloc(ns * sizeof *x);
    if (!all || !x) {
        free(all);
        free(x);
        cJSON_Delete(root);
        return NULL;
    }
    double *first = malloc(ns * REPLAY_NMETRICS * sizeof *first);
    if (!first) {
        free(all);
        free(x);
        cJSON_Delete(root);
        return NULL;
    }
    for (size_t s = 0; s < ns; s++)
        replay_values(res, &res->runs[s], first + s * REPLAY_NMETRICS);
    for (unsigned v = 0; v < res->nvariants; v++) {
        cJSON *jv = cJSON_CreateObject();
        cJSON_AddItemToArray(vars, jv);
        cJSON_AddStringToObject(jv, "name", cfg->variants[v].name);
        cJSON_AddStringToObject(jv, "orchestrator", "none");
        cJSON_AddStringToObject(jv, "placement", cfg->variants[v].policy);
        cJSON *m = cJSON_AddObjectToObject(jv, "metrics");
        cJSON *pd = v > 0 && ns > 1 ? cJSON_AddObjectToObject(jv, "paired_diff") : NULL;
        for (size_t s = 0; s < ns; s++)
            replay_values(res, &res->runs[(size_t)v * ns + s], all + s * REPLAY_NMETRICS);
        for (size_t k = 0; k < REPLAY_NMETRICS; k++) {
            size_t n = 0;
            for (size_t s = 0; s < ns; s++)
                if (!isnan(all[s * REPLAY_NMETRICS + k]))
                    x[n++] = all[s * REPLAY_NMETRICS + k];
            if (n == ns)
                add_stat(m, replay_metric_names[k], x, n);
            if (!pd || strncmp(replay_metric_names[k], "trace_", 6) == 0)
                continue;
            n = 0;
            for (size_t s = 0; s < ns; s++) {
                double a = all[s * REPLAY_NMETRICS + k], b = first[s * REPLAY_NMETRICS + k];
                if (!isnan(a) && !isnan(b))
                    x[n++] = a - b;
            }
            if (n == ns) {
                cJSON *o = cJSON_AddObjectToObject(pd, replay_metric_names[k]);
                double mean = gsl_stats_mean(x, 1, n);
                double half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * gsl_stats_sd(x, 1, n) /
                              sqrt((double)n);
                cJSON_AddNumberToObject(o, "mean", round(mean * 1e6) / 1e6);
                cJSON_AddNumberToObject(o, "ci95", round(half * 1e6) / 1e6);
            }
        }
    }
    free(first);
    free(all);
    free(x);
    return root;
}

/* timeseries.csv (the simulation kind's header) and runs.csv. */
static int replay_write_tables(const struct replay_cfg *cfg, const struct replay_result *res,
                               const char *dir, struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, "timeseries.csv", err);
    if (rc)
        return rc;
    fputs("variant,seed,time_s,nodes,gpus,gpus_alloc,replicas,queue_len,pending,jobs_running,"
          "cost_usd\n",
          f.fp);
    for (size_t i = 0; i < (size_t)res->nvariants * res->nseeds; i++)
        if (res->runs[i].series)
            fwrite(res->runs[i].series, 1, res->runs[i].series_len, f.fp);
    rc = results_file_commit(&f, err);
    if (rc)
        return rc;
    rc = results_file_open(&f, dir, "runs.csv", err);
    if (rc)
        return rc;
    fputs("variant,seed", f.fp);
    for (size_t k = 0; k < REPLAY_NMETRICS; k++)
        fprintf(f.fp, ",%s", replay_metric_names[k]);
    fputc('\n', f.fp);
    double x[REPLAY_NMETRICS];
    for (size_t i = 0; i < (size_t)res->nvariants * res->nseeds; i++) {
        const struct replay_run *r = &res->runs[i];
        replay_values(res, r, x);
        fprintf(f.fp, "%s,%llu", cfg->variants[r->variant].name, (unsigned long long)r->seed);
        for (size_t k = 0; k < REPLAY_NMETRICS; k++)
            fprintf(f.fp, ",%.10g", x[k]);
        fputc('\n', f.fp);
    }
    return results_file_commit(&f, err);
}

static int run_replay(const struct scenario *sc, const struct run_opts *o, const char *dir,
                      struct os_error *err)
{
    struct replay_cfg *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    const struct scenario_workload *w = &sc->workload;
    snprintf(cfg->nodes_csv, sizeof cfg->nodes_csv, "%s", sc->cluster.nodes_csv);
    snprintf(cfg->pods_csv, sizeof cfg->pods_csv, "%s", w->pods_csv);
    cfg->pods_format = w->pods_format == SCENARIO_PODS_DLRM ? TRACE_DLRM : TRACE_OPENB_POD;
    cfg->node_fraction = sc->cluster.node_fraction;
    cfg->time_scale = w->time_scale;
    cfg->start_us = w->start_us;
    cfg->max_pods = (uint32_t)w->max_pods;
    cfg->duration_us = sc->duration_us;
    cfg->interval_us = sc->interval_us;
    cfg->backoff_initial_us = w->pod_initial_backoff_us;
    cfg->backoff_max_us = w->pod_max_backoff_us;
    cfg->seed0 = (uint64_t)sc->seed;
    cfg->nseeds = (unsigned)(sc->seeds > 0 ? sc->seeds : 1);
    cfg->nvariants = sc->nvariants;
    cfg->threads = o->jobs > 0 ? (unsigned)o->jobs : 0;
    cfg->skip_malformed = sc->on_malformed_row == SCENARIO_ROWS_SKIP;
    for (unsigned v = 0; v < sc->nvariants; v++) {
        snprintf(cfg->variants[v].name, sizeof cfg->variants[v].name, "%s", sc->variants[v].name);
        snprintf(cfg->variants[v].policy, sizeof cfg->variants[v].policy, "%s",
                 sc->variants[v].placement);
    }
    if (!o->quiet)
        fprintf(stderr, "orchsim: %s: %u variants x %u seeds ...\n", sc->name, cfg->nvariants,
                cfg->nseeds);
    double t0 = bench_now_s();
    struct replay_result res;
    int rc = replay_run(cfg, &res, err);
    if (rc != OS_OK) {
        free(cfg);
        return rc;
    }
    double wall = bench_now_s() - t0;
    cJSON *sum = replay_summary(sc, cfg, &res);
    if (!sum)
        rc = os_errorf(err, OS_ENOMEM, "out of memory");
    else
        rc = results_write_json(dir, "summary.json", sum, err);
    cJSON_Delete(sum);
    if (!rc)
        rc = replay_write_tables(cfg, &res, dir, err);
    if (!rc)
        rc = report_write(dir, err);
    if (rc == OS_OK && !o->quiet)
        fprintf(stderr, "orchsim: %s: done in %.2f s (%u pods, %u nodes); results in %s/\n",
                sc->name, wall, res.pods_replayed, res.nodes, dir);
    replay_result_destroy(&res);
    free(cfg);
    return rc;
}

int orchestrator_run(const struct scenario *sc, const struct run_opts *o, struct os_error *err)
{
    char dir[SCENARIO_PATH_LEN + 16];
    if (o->out_dir)
        snprintf(dir, sizeof dir, "%s", o->out_dir);
    else
        snprintf(dir, sizeof dir, "results/%s", sc->name);
    int rc = results_mkdir(dir, err);
    if (rc != OS_OK)
        return rc;
    switch (sc->kind) {
    case SCENARIO_PACKING:
        return run_packing(sc, o, dir, err);
    case SCENARIO_SIMULATION:
        return run_simulation(sc, o, dir, err);
    case SCENARIO_REPLAY:
        return run_replay(sc, o, dir, err);
    default:
        return os_errorf(err, OS_EINVAL, "%s: kind %d is not runnable", sc->file, sc->kind);
    }
}
