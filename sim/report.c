/*
 * report.c - report.md, report.html and plots of a simulation results
 * directory (docs/RESULTS.md).
 *
 * The file works in three steps, each a pure function of what the previous
 * one produced:
 *   1. load: summary.json into a struct rp_summary (validated once, with JSON
 *      paths in the errors); the optional CSVs into struct rp_rows;
 *   2. plots: per-plot data files DIR/plot_*.dat in gnuplot "index" blocks
 *      (one block per variant, its first line a header whose first column is
 *      the variant name, used as the key title), then gnuplot on
 *      scripts/report_*.gp; every outcome is recorded for the report;
 *   3. render: the same tables emitted twice, as Markdown and as HTML, by
 *      one set of functions that take the output kind.
 *
 * Precision: a metric row is printed with one number of decimals for all
 * variants, chosen from the largest magnitude in the row (integers stay
 * integers). "Best" compares the printed values, so two variants that read
 * the same are both bold (a tie), never one of two equal-looking numbers.
 */
#include "sim/report.h"

#include "sim/check.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <csv.h>

#include "sim/results.h"

/* ---------------------------------------------------------------- metrics */

/* Better direction of a metric (docs/RESULTS.md; the table lives in
 * sim/check.c): -1 lower, +1 higher, 0 informational. */
static int rp_direction(const char *m)
{
    switch (check_metric_better(m)) {
    case CHECK_LOWER:
        return -1;
    case CHECK_HIGHER:
        return 1;
    default:
        return 0;
    }
}

static const char *const rp_cost[] = {"cost_usd",
                                      "tco_usd",
                                      "ops_cost_usd",
                                      "cost_per_1k_requests_usd",
                                      "cost_per_gpu_hour_usd",
                                      "idle_cost_usd",
                                      "spot_savings_usd",
                                      "fargate_cost_usd",
                                      NULL};
static const char *const rp_latency[] = {"latency_p50_ms",
                                         "latency_p95_ms",
                                         "latency_p99_ms",
                                         "ttft_p99_ms",
                                         "slo_attainment_pct",
                                         "requests_total",
                                         "requests_dropped",
                                         "fleet_latency_p50_ms",
                                         "fleet_latency_p99_ms",
                                         "fleet_slo_attainment_pct",
                                         "fleet_requests_total",
                                         "fleet_replicas_mean",
                                         NULL};
static const char *const rp_gpus[] = {"gpu_alloc_pct", "gpu_util_pct", "frag_pct",
                                      "gpus_peak",     "nodes_peak",   NULL};
static const char *const rp_jobs[] = {
    "jct_mean_s",           "jct_p50_s",       "jct_p99_s",      "job_queue_mean_s",
    "job_queue_p99_s",      "jct_mean_high_s", "jct_mean_low_s", "job_queue_mean_high_s",
    "job_queue_mean_low_s", "job_preemptions", "jobs_completed", "jobs_unfinished",
    "goodput_pct",          "pending_p50_s",   "pending_p99_s",  NULL};
static const char *const rp_spot[] = {"spot_interruptions", "job_interruptions", "lost_gpu_hours",
                                      NULL};

#define RP_NGROUPS 6 /* the five named groups and "Other" */
static const struct {
    const char *title;
    const char *const *names; /* NULL-terminated; NULL for "Other" */
} rp_groups[RP_NGROUPS] = {
    {"Cost", rp_cost}, {"Latency", rp_latency}, {"GPUs", rp_gpus},
    {"Jobs", rp_jobs}, {"Spot", rp_spot},       {"Other", NULL},
};

static bool rp_in_named_group(const char *m)
{
    for (size_t g = 0; g < RP_NGROUPS; g++)
        for (const char *const *n = rp_groups[g].names; n && *n; n++)
            if (strcmp(*n, m) == 0)
                return true;
    return false;
}

/* ---------------------------------------------------------------- summary */

struct rp_variant {
    const char *name;     /* borrowed from the cJSON tree */
    const char *orch;     /* "ecs" | "eks" | "none" | NULL when absent */
    const cJSON *metrics; /* object of numbers (null = absent), or NULL */
    const cJSON *paired;  /* paired_diff object, or NULL */
};

/* A metric row: name and which of its group it belongs to. */
struct rp_metric {
    const char *name; /* borrowed: a static group name or a key in the tree */
    int group;        /* index into rp_groups */
};

struct rp_summary {
    cJSON *root;
    const char *scenario;
    const char *description; /* NULL when the scenario has none */
    const char *version;     /* NULL when absent */
    bool has_seed, has_seeds;
    double seed, seeds;
    const cJSON *checks; /* array of strings, or NULL */
    struct rp_variant *var;
    size_t nvar;
    struct rp_metric *met; /* metrics present in at least one variant, in report order */
    size_t nmet;
    bool any_paired;
};

static void rp_summary_destroy(struct rp_summary *s)
{
    cJSON_Delete(s->root);
    free(s->var);
    free(s->met);
    memset(s, 0, sizeof *s);
}

/* Reads a whole file into a NUL-terminated buffer. */
static int rp_slurp(const char *path, char **out, size_t *len, struct os_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return os_errorf(err, errno == ENOENT ? OS_ENOENT : OS_EIO, "%s: cannot open: %s", path,
                         strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = OS_OK;
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf)
        rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
    else if (ferror(fp))
        rc = os_errorf(err, OS_EIO, "%s: read failed", path);
    fclose(fp);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return OS_OK;
}

/* True when a metric is present (a number) in variant v. null counts as absent. */
static bool rp_value(const struct rp_variant *v, const char *m, double *out)
{
    const cJSON *x = v->metrics ? cJSON_GetObjectItemCaseSensitive(v->metrics, m) : NULL;
    if (!cJSON_IsNumber(x))
        return false;
    *out = x->valuedouble;
    return true;
}

static bool rp_ci(const struct rp_variant *v, const char *m, double *out)
{
    char key[256];
    if (snprintf(key, sizeof key, "%s_ci95", m) >= (int)sizeof key)
        return false;
    return rp_value(v, key, out);
}

static bool rp_paired(const struct rp_variant *v, const char *m, double *mean, double *ci,
                      bool *has_ci)
{
    const cJSON *p = v->paired ? cJSON_GetObjectItemCaseSensitive(v->paired, m) : NULL;
    const cJSON *mu = p ? cJSON_GetObjectItemCaseSensitive(p, "mean") : NULL;
    if (!cJSON_IsNumber(mu))
        return false;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(p, "ci95");
    *mean = mu->valuedouble;
    *has_ci = cJSON_IsNumber(c);
    *ci = *has_ci ? c->valuedouble : 0.0;
    return true;
}

static bool rp_any_has(const struct rp_summary *s, const char *m)
{
    double x;
    for (size_t v = 0; v < s->nvar; v++)
        if (rp_value(&s->var[v], m, &x))
            return true;
    return false;
}

static bool rp_any_paired(const struct rp_summary *s, const char *m)
{
    double a, b;
    bool c;
    for (size_t v = 1; v < s->nvar; v++)
        if (rp_paired(&s->var[v], m, &a, &b, &c))
            return true;
    return false;
}

/* `name` is a confidence half-width of another metric present somewhere. */
static bool rp_is_ci_of_present(const struct rp_summary *s, const char *name)
{
    if (!check_ends_with(name, "_ci95"))
        return false;
    char base[256];
    size_t n = strlen(name) - strlen("_ci95");
    if (n >= sizeof base)
        return false;
    memcpy(base, name, n);
    base[n] = '\0';
    return rp_any_has(s, base) || rp_any_paired(s, base);
}

static int rp_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Builds s->met: the named groups in their order, then every other metric
 * (of metrics or paired_diff) sorted by name, each once. */
static int rp_collect_metrics(struct rp_summary *s, const char *path, struct os_error *err)
{
    size_t cap = 0;
    for (size_t v = 0; v < s->nvar; v++) {
        cap += (size_t)cJSON_GetArraySize(s->var[v].metrics);
        cap += (size_t)cJSON_GetArraySize(s->var[v].paired);
    }
    for (size_t g = 0; g < RP_NGROUPS; g++)
        for (const char *const *n = rp_groups[g].names; n && *n; n++)
            cap++;
    s->met = calloc(cap + 1, sizeof *s->met);
    const char **other = calloc(cap + 1, sizeof *other);
    if (!s->met || !other) {
        free(other);
        return os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
    }
    for (size_t g = 0; g < RP_NGROUPS; g++)
        for (const char *const *n = rp_groups[g].names; n && *n; n++)
            if (rp_any_has(s, *n) || rp_any_paired(s, *n))
                s->met[s->nmet++] = (struct rp_metric){*n, (int)g};
    size_t nother = 0;
    for (size_t v = 0; v < s->nvar; v++) {
        const cJSON *objs[2] = {s->var[v].metrics, s->var[v].paired};
        for (int k = 0; k < 2; k++) {
            const cJSON *it;
            cJSON_ArrayForEach(it, objs[k])
            {
                if (k == 0 && !cJSON_IsNumber(it))
                    continue;
                if (rp_in_named_group(it->string) || rp_is_ci_of_present(s, it->string))
                    continue;
                other[nother++] = it->string;
            }
        }
    }
    qsort(other, nother, sizeof *other, rp_cmp_str);
    for (size_t i = 0; i < nother; i++)
        if (i == 0 || strcmp(other[i], other[i - 1]) != 0)
            s->met[s->nmet++] = (struct rp_metric){other[i], RP_NGROUPS - 1};
    free(other);
    return OS_OK;
}

static void rp_line_col(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int rp_validate_variant(struct rp_summary *s, size_t i, const cJSON *jv, const char *path,
                               struct os_error *err)
{
    struct rp_variant *v = &s->var[i];
    if (!cJSON_IsObject(jv))
        return os_errorf(err, OS_EINVAL, "%s: $.variants[%zu]: expected an object", path, i);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(jv, "name");
    if (!cJSON_IsString(name) || name->valuestring[0] == '\0')
        return os_errorf(err, OS_EINVAL, "%s: $.variants[%zu].name: expected a non-empty string",
                         path, i);
    v->name = name->valuestring;
    const cJSON *orch = cJSON_GetObjectItemCaseSensitive(jv, "orchestrator");
    if (orch && !cJSON_IsString(orch))
        return os_errorf(err, OS_EINVAL, "%s: $.variants[%zu].orchestrator: expected a string",
                         path, i);
    v->orch = orch ? orch->valuestring : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(jv, "metrics");
    if (m && !cJSON_IsObject(m))
        return os_errorf(err, OS_EINVAL, "%s: $.variants[%zu].metrics: expected an object", path,
                         i);
    const cJSON *it;
    cJSON_ArrayForEach(it, m)
    {
        if (!cJSON_IsNumber(it) && !cJSON_IsNull(it))
            return os_errorf(err, OS_EINVAL,
                             "%s: $.variants[%zu].metrics.%s: expected a number or null", path, i,
                             it->string);
    }
    v->metrics = m;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(jv, "paired_diff");
    if (p && !cJSON_IsObject(p) && !cJSON_IsNull(p))
        return os_errorf(err, OS_EINVAL, "%s: $.variants[%zu].paired_diff: expected an object",
                         path, i);
    const cJSON *pobj = cJSON_IsObject(p) ? p : NULL;
    cJSON_ArrayForEach(it, pobj)
    {
        const cJSON *mu = cJSON_GetObjectItemCaseSensitive(it, "mean");
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(it, "ci95");
        if (!cJSON_IsObject(it) || !cJSON_IsNumber(mu) || (ci && !cJSON_IsNumber(ci)))
            return os_errorf(err, OS_EINVAL,
                             "%s: $.variants[%zu].paired_diff.%s: expected "
                             "{\"mean\": number, \"ci95\": number}",
                             path, i, it->string);
    }
    v->paired = cJSON_IsObject(p) ? p : NULL;
    if (v->paired && i > 0 && v->paired->child)
        s->any_paired = true;
    return OS_OK;
}

static int rp_summary_load(struct rp_summary *s, const char *dir, struct os_error *err)
{
    char path[4096];
    memset(s, 0, sizeof *s);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *text = NULL;
    size_t len = 0;
    int rc = rp_slurp(path, &text, &len, err);
    if (rc)
        return rc;
    const char *end = NULL;
    s->root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!s->root) {
        int line, col;
        rp_line_col(text, end ? end : text, &line, &col);
        free(text);
        return os_errorf(err, OS_EPARSE, "%s:%d:%d: malformed JSON", path, line, col);
    }
    free(text);
    const cJSON *r = s->root;
    rc = OS_EINVAL;
    if (!cJSON_IsObject(r)) {
        os_errorf(err, rc, "%s: $: expected an object", path);
        goto out_free;
    }
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(r, "scenario");
    if (!cJSON_IsString(sc)) {
        os_errorf(err, rc, "%s: $.scenario: expected a string", path);
        goto out_free;
    }
    s->scenario = sc->valuestring;
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(r, "description");
    s->description = cJSON_IsString(desc) ? desc->valuestring : NULL;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(r, "kind");
    if (cJSON_IsString(kind) && strcmp(kind->valuestring, "simulation") != 0 &&
        strcmp(kind->valuestring, "replay") != 0) {
        os_errorf(err, rc,
                  "%s: $.kind: '%s' results have their own report; this report is for "
                  "kinds 'simulation' and 'replay'",
                  path, kind->valuestring);
        goto out_free;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(r, "version");
    s->version = cJSON_IsString(ver) ? ver->valuestring : NULL;
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(r, "seed");
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(r, "seeds");
    if ((seed && !cJSON_IsNumber(seed)) || (seeds && !cJSON_IsNumber(seeds))) {
        os_errorf(err, rc, "%s: $.%s: expected a number", path,
                  seed && !cJSON_IsNumber(seed) ? "seed" : "seeds");
        goto out_free;
    }
    s->has_seed = seed != NULL;
    s->seed = seed ? seed->valuedouble : 0;
    s->has_seeds = seeds != NULL;
    s->seeds = seeds ? seeds->valuedouble : 0;
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(r, "checks");
    if (checks && !cJSON_IsArray(checks)) {
        os_errorf(err, rc, "%s: $.checks: expected an array of strings", path);
        goto out_free;
    }
    s->checks = checks;
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(r, "variants");
    if (!cJSON_IsArray(vars) || cJSON_GetArraySize(vars) == 0) {
        os_errorf(err, rc, "%s: $.variants: expected a non-empty array", path);
        goto out_free;
    }
    s->nvar = (size_t)cJSON_GetArraySize(vars);
    s->var = calloc(s->nvar, sizeof *s->var);
    if (!s->var) {
        rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
        goto out_free;
    }
    size_t i = 0;
    const cJSON *jv;
    cJSON_ArrayForEach(jv, vars)
    {
        rc = rp_validate_variant(s, i++, jv, path, err);
        if (rc)
            goto out_free;
    }
    rc = rp_collect_metrics(s, path, err);
    if (rc)
        goto out_free;
    return OS_OK;
out_free:
    rp_summary_destroy(s);
    return rc;
}

/* ---------------------------------------------------------------- CSV */

/* Rows of one CSV: the variant name, the seed (NaN without a seed column)
 * and ncol numbers per row (NaN for an empty field). */
struct rp_rows {
    size_t n, cap, ncol;
    char **variant;
    double *seed;
    double *val; /* n * ncol */
};

static void rp_rows_destroy(struct rp_rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->variant[i]);
    free(r->variant);
    free(r->seed);
    free(r->val);
    memset(r, 0, sizeof *r);
}

struct rp_csvp {
    const char *path;
    const char *const *cols; /* wanted numeric columns */
    size_t ncol;
    struct rp_rows *out;
    struct os_error *err;
    int rc;
    size_t line, row_line;
    bool in_row, have_header;
    char **f; /* fields of the current row */
    size_t nf, capf;
    size_t hdr_nf;
    long i_variant, i_seed, *i_col;
};

static void rp_csv_field(void *s, size_t len, void *data)
{
    struct rp_csvp *p = data;
    if (!p->in_row) {
        p->in_row = true;
        p->row_line = p->line;
    }
    if (p->rc)
        return;
    if (p->nf == p->capf) {
        size_t nc = p->capf ? p->capf * 2 : 16;
        char **nf = realloc(p->f, nc * sizeof *nf);
        if (!nf) {
            p->rc = os_errorf(p->err, OS_ENOMEM, "%s: out of memory", p->path);
            return;
        }
        p->f = nf;
        p->capf = nc;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        p->rc = os_errorf(p->err, OS_ENOMEM, "%s: out of memory", p->path);
        return;
    }
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    p->f[p->nf++] = copy;
}

static void rp_csv_header(struct rp_csvp *p)
{
    p->i_variant = p->i_seed = -1;
    for (size_t c = 0; c < p->ncol; c++)
        p->i_col[c] = -1;
    /* A UTF-8 byte order mark (spreadsheet exports) is not part of the first name. */
    if (p->nf > 0 && strncmp(p->f[0], "\xef\xbb\xbf", 3) == 0)
        memmove(p->f[0], p->f[0] + 3, strlen(p->f[0] + 3) + 1);
    for (size_t i = 0; i < p->nf; i++) {
        if (strcmp(p->f[i], "variant") == 0)
            p->i_variant = (long)i;
        else if (strcmp(p->f[i], "seed") == 0)
            p->i_seed = (long)i;
        for (size_t c = 0; c < p->ncol; c++)
            if (strcmp(p->f[i], p->cols[c]) == 0)
                p->i_col[c] = (long)i;
    }
    if (p->i_variant < 0) {
        p->rc = os_errorf(p->err, OS_EPARSE, "%s:%zu: header has no 'variant' column", p->path,
                          p->row_line);
        return;
    }
    for (size_t c = 0; c < p->ncol; c++)
        if (p->i_col[c] < 0) {
            p->rc = os_errorf(p->err, OS_EPARSE, "%s:%zu: header has no '%s' column", p->path,
                              p->row_line, p->cols[c]);
            return;
        }
    p->hdr_nf = p->nf;
    p->have_header = true;
}

static bool rp_parse_num(const char *s, double *out)
{
    if (s[0] == '\0') {
        *out = NAN;
        return true;
    }
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0')
        return false;
    *out = x;
    return true;
}

static void rp_csv_data(struct rp_csvp *p)
{
    struct rp_rows *r = p->out;
    if (p->nf != p->hdr_nf) {
        p->rc = os_errorf(p->err, OS_EPARSE, "%s:%zu: expected %zu fields, found %zu", p->path,
                          p->row_line, p->hdr_nf, p->nf);
        return;
    }
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 256;
        char **nv = realloc(r->variant, nc * sizeof *nv);
        if (nv)
            r->variant = nv;
        double *ns = realloc(r->seed, nc * sizeof *ns);
        if (ns)
            r->seed = ns;
        double *nval = realloc(r->val, nc * r->ncol * sizeof *nval + 1);
        if (nval)
            r->val = nval;
        if (!nv || !ns || !nval) {
            p->rc = os_errorf(p->err, OS_ENOMEM, "%s: out of memory", p->path);
            return;
        }
        r->cap = nc;
    }
    const char *name = p->f[p->i_variant];
    if (name[0] == '\0') {
        p->rc = os_errorf(p->err, OS_EPARSE, "%s:%zu: empty variant name", p->path, p->row_line);
        return;
    }
    double seed = NAN;
    if (p->i_seed >= 0 && !rp_parse_num(p->f[p->i_seed], &seed)) {
        p->rc = os_errorf(p->err, OS_EPARSE, "%s:%zu: column 'seed': expected a number, got '%s'",
                          p->path, p->row_line, p->f[p->i_seed]);
        return;
    }
    for (size_t c = 0; c < p->ncol; c++) {
        const char *f = p->f[p->i_col[c]];
        if (!rp_parse_num(f, &r->val[r->n * r->ncol + c])) {
            p->rc = os_errorf(p->err, OS_EPARSE, "%s:%zu: column '%s': expected a number, got '%s'",
                              p->path, p->row_line, p->cols[c], f);
            return;
        }
    }
    r->variant[r->n] = p->f[p->i_variant];
    p->f[p->i_variant] = NULL; /* ownership moves to the rows */
    r->seed[r->n] = seed;
    r->n++;
}

static void rp_csv_row(int c, void *data)
{
    (void)c;
    struct rp_csvp *p = data;
    if (!p->in_row) /* a row of zero fields cannot happen, but stay total */
        p->row_line = p->line;
    p->in_row = false;
    if (!p->rc) {
        if (!p->have_header)
            rp_csv_header(p);
        else
            rp_csv_data(p);
    }
    for (size_t i = 0; i < p->nf; i++)
        free(p->f[i]);
    p->nf = 0;
}

/* Loads DIR/NAME. Returns OS_ENOENT (err untouched) when the file is absent. */
static int rp_csv_load(const char *dir, const char *name, const char *const *cols, size_t ncol,
                       struct rp_rows *out, struct os_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    memset(out, 0, sizeof *out);
    out->ncol = ncol;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        if (errno == ENOENT)
            return OS_ENOENT;
        return os_errorf(err, OS_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    long idx[16];
    if (ncol > 16) {
        fclose(fp);
        return os_errorf(err, OS_EINVAL, "%s: too many columns", path);
    }
    struct rp_csvp p = {
        .path = path, .cols = cols, .ncol = ncol, .out = out, .err = err, .i_col = idx};
    struct csv_parser csv;
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(fp);
        return os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
    }
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t n;
    while (!p.rc && (n = getline(&buf, &bcap, fp)) >= 0) {
        p.line++;
        size_t used = csv_parse(&csv, buf, (size_t)n, rp_csv_field, rp_csv_row, &p);
        if (!p.rc && used != (size_t)n)
            p.rc = os_errorf(err, OS_EPARSE, "%s:%zu: %s", path, p.line,
                             csv_strerror(csv_error(&csv)));
    }
    if (!p.rc && ferror(fp))
        p.rc = os_errorf(err, OS_EIO, "%s: read failed", path);
    if (!p.rc && csv_fini(&csv, rp_csv_field, rp_csv_row, &p) != 0 && !p.rc)
        p.rc = os_errorf(err, OS_EPARSE, "%s:%zu: unterminated quoted field", path, p.row_line);
    if (!p.rc && !p.have_header)
        p.rc = os_errorf(err, OS_EPARSE, "%s:1: empty file (expected a header)", path);
    for (size_t i = 0; i < p.nf; i++)
        free(p.f[i]);
    free(p.f);
    free(buf);
    csv_free(&csv);
    fclose(fp);
    if (p.rc)
        rp_rows_destroy(out);
    return p.rc;
}

/* ---------------------------------------------------------------- formatting */

/* Decimals for a set of numbers printed together: 0 when all are integers,
 * otherwise from the largest magnitude. */
static int rp_decimals(const double *x, size_t n)
{
    bool integral = true;
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        if (x[i] != floor(x[i]) || fabs(x[i]) >= 1e15)
            integral = false;
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    }
    if (integral)
        return 0;
    if (m >= 100)
        return 1;
    if (m >= 1)
        return 2;
    if (m >= 0.01)
        return 4;
    return 6;
}

/* Formats x with d decimals; never "-0.00". With sign, positive values get '+'. */
static void rp_fmt(char *buf, size_t n, double x, int d, bool sign)
{
    if (isnan(x)) {
        snprintf(buf, n, "NaN");
        return;
    }
    snprintf(buf, n, sign ? "%+.*f" : "%.*f", d, x);
    /* A value that rounds to zero prints without a sign. */
    bool zero = true;
    for (const char *p = buf; *p; p++)
        if (*p >= '1' && *p <= '9')
            zero = false;
    if (zero && (buf[0] == '-' || buf[0] == '+'))
        memmove(buf, buf + 1, strlen(buf));
}

/* One formatted cell of the main table. */
struct rp_cell {
    bool has, bold;
    char val[64]; /* the value alone, used for ties */
    char text[160];
};

/* Fills cells[0..nvar) for metric m and returns the number of bold cells. */
static size_t rp_metric_cells(const struct rp_summary *s, const char *m, struct rp_cell *cells)
{
    double *x = calloc(2 * s->nvar + 1, sizeof *x);
    size_t nx = 0, nhas = 0;
    for (size_t v = 0; v < s->nvar; v++) {
        double a, c;
        if (rp_value(&s->var[v], m, &a)) {
            x[nx++] = a;
            if (rp_ci(&s->var[v], m, &c))
                x[nx++] = c;
        }
    }
    int d = x ? rp_decimals(x, nx) : 2;
    free(x);
    for (size_t v = 0; v < s->nvar; v++) {
        struct rp_cell *cl = &cells[v];
        double a, c;
        memset(cl, 0, sizeof *cl);
        cl->has = rp_value(&s->var[v], m, &a);
        if (!cl->has) {
            snprintf(cl->text, sizeof cl->text, "\xe2\x80\x93"); /* en dash */
            continue;
        }
        nhas++;
        rp_fmt(cl->val, sizeof cl->val, a, d, false);
        if (rp_ci(&s->var[v], m, &c)) {
            char cb[64];
            rp_fmt(cb, sizeof cb, c, d, false);
            snprintf(cl->text, sizeof cl->text, "%s \xc2\xb1 %s", cl->val, cb);
        } else {
            snprintf(cl->text, sizeof cl->text, "%s", cl->val);
        }
    }
    int dir = rp_direction(m);
    if (dir == 0 || nhas < 2)
        return 0;
    /* The best printed value; parse back what was printed so ties are what the reader sees. */
    bool have = false;
    double best = 0;
    for (size_t v = 0; v < s->nvar; v++) {
        if (!cells[v].has)
            continue;
        double a = strtod(cells[v].val, NULL);
        if (!have || (dir < 0 ? a < best : a > best)) {
            best = a;
            have = true;
        }
    }
    size_t nbold = 0;
    for (size_t v = 0; v < s->nvar; v++)
        if (cells[v].has && strtod(cells[v].val, NULL) == best) {
            cells[v].bold = true;
            nbold++;
        }
    return nbold;
}

/* ---------------------------------------------------------------- emitting */

enum rp_kind { RP_MD, RP_HTML };

/* Writes text escaped for the output kind. */
static void rp_text(FILE *fp, enum rp_kind k, const char *s)
{
    for (; *s; s++) {
        if (k == RP_HTML) {
            switch (*s) {
            case '&':
                fputs("&amp;", fp);
                continue;
            case '<':
                fputs("&lt;", fp);
                continue;
            case '>':
                fputs("&gt;", fp);
                continue;
            case '"':
                fputs("&quot;", fp);
                continue;
            default:
                break;
            }
        } else if (*s == '|' || *s == '*' || *s == '_' || *s == '`' || *s == '\\') {
            /* Markdown: keep names literal (table cells, emphasis). Metric names are
             * printed in code spans instead, which need no escaping. */
            fputc('\\', fp);
        } else if (*s == '\n') {
            fputc(' ', fp);
            continue;
        }
        fputc(*s, fp);
    }
}

/* A metric name: `name` in Markdown, <code>name</code> in HTML. */
static void rp_code(FILE *fp, enum rp_kind k, const char *s)
{
    if (k == RP_MD) {
        fputc('`', fp);
        fputs(s, fp);
        fputc('`', fp);
    } else {
        fputs("<code>", fp);
        rp_text(fp, k, s);
        fputs("</code>", fp);
    }
}

static void rp_h2(FILE *fp, enum rp_kind k, const char *title)
{
    if (k == RP_MD) {
        fputs("\n## ", fp);
        rp_text(fp, k, title);
        fputs("\n\n", fp);
    } else {
        fputs("<h2>", fp);
        rp_text(fp, k, title);
        fputs("</h2>\n", fp);
    }
}

/* Table header: first column title, then one column per variant (from index v0). */
static void rp_table_head(FILE *fp, enum rp_kind k, const char *first, const struct rp_summary *s,
                          size_t v0)
{
    if (k == RP_MD) {
        fprintf(fp, "| %s |", first);
        for (size_t v = v0; v < s->nvar; v++) {
            fputc(' ', fp);
            rp_text(fp, k, s->var[v].name);
            fputs(" |", fp);
        }
        fputs("\n|---|", fp);
        for (size_t v = v0; v < s->nvar; v++)
            fputs("---:|", fp);
        fputc('\n', fp);
    } else {
        fprintf(fp, "<table>\n<thead><tr><th>%s</th>", first);
        for (size_t v = v0; v < s->nvar; v++) {
            fputs("<th>", fp);
            rp_text(fp, k, s->var[v].name);
            fputs("</th>", fp);
        }
        fputs("</tr></thead>\n<tbody>\n", fp);
    }
}

static void rp_table_end(FILE *fp, enum rp_kind k)
{
    if (k == RP_HTML)
        fputs("</tbody>\n</table>\n", fp);
}

/* Row start with the metric name and its direction arrow. */
static void rp_row_start(FILE *fp, enum rp_kind k, const char *m)
{
    int dir = rp_direction(m);
    const char *arrow = dir < 0 ? " \xe2\x86\x93" : dir > 0 ? " \xe2\x86\x91" : "";
    fputs(k == RP_MD ? "| " : "<tr><th>", fp);
    rp_code(fp, k, m);
    fputs(arrow, fp);
    fputs(k == RP_MD ? " |" : "</th>", fp);
}

static void rp_cell_out(FILE *fp, enum rp_kind k, const char *text, bool bold)
{
    if (k == RP_MD)
        fprintf(fp, bold ? " **%s** |" : " %s |", text);
    else
        fprintf(fp, bold ? "<td class=\"best\"><strong>%s</strong></td>" : "<td>%s</td>", text);
}

static void rp_row_end(FILE *fp, enum rp_kind k)
{
    fputs(k == RP_MD ? "\n" : "</tr>\n", fp);
}

static void rp_para(FILE *fp, enum rp_kind k, const char *text)
{
    if (k == RP_MD)
        fprintf(fp, "%s\n", text);
    else
        fprintf(fp, "<p>%s</p>\n", text);
}

/* ---------------------------------------------------------------- plots */

enum { RP_PLOT_COST, RP_PLOT_GPUS, RP_PLOT_CDF, RP_PLOT_QUEUE, RP_NPLOTS };

static const struct {
    const char *name;   /* output DIR/NAME.png, .svg */
    const char *script; /* scripts/report_*.gp */
    const char *data;   /* DIR/plot_*.dat it reads */
    const char *title;
} rp_plots[RP_NPLOTS] = {
    {"cost_vs_p99", "scripts/report_cost_vs_p99.gp", "plot_cost_p99.dat",
     "Cost vs p99 request latency"},
    {"gpus_over_time", "scripts/report_gpus_over_time.gp", "plot_timeseries.dat",
     "GPUs provisioned and allocated over time"},
    {"latency_cdf", "scripts/report_latency_cdf.gp", "plot_latency_cdf.dat", "Request latency CDF"},
    {"queue_over_time", "scripts/report_queue_over_time.gp", "plot_timeseries.dat",
     "Queue length over time"},
};

/* What happened to each plot, for the report. */
struct rp_plot_state {
    bool drawn;
    char note[600]; /* why it was not drawn ("" when drawn) */
};

/* Writes a name as a quoted gnuplot string (quotes and backslashes dropped). */
static void rp_gp_name(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++)
        if (*s != '"' && *s != '\\' && *s != '\n' && *s != '\r')
            fputc(*s, fp);
    fputc('"', fp);
}

static void rp_gp_num(FILE *fp, double x)
{
    if (isfinite(x))
        fprintf(fp, " %.10g", x);
    else
        fputs(" NaN", fp);
}

/* Variant names in plotting order: summary order, then names only in the CSV. */
static size_t rp_plot_order(const struct rp_summary *s, const struct rp_rows *r, const char **names)
{
    size_t n = 0;
    for (size_t v = 0; v < s->nvar; v++)
        names[n++] = s->var[v].name;
    for (size_t i = 0; i < r->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(names[j], r->variant[i]) == 0;
        if (!seen)
            names[n++] = r->variant[i];
    }
    return n;
}

/* Writes rows as one index block per variant: header line ("name" then the
 * column names), then `scale(col0) col1...` of the variant's first seed.
 * Rows with a non-positive column 0 are dropped when positive_x (log axes).
 * Returns the number of blocks written. */
static size_t rp_write_blocks(FILE *fp, const struct rp_summary *s, const struct rp_rows *r,
                              const char *const *cols, double xscale, bool positive_x)
{
    const char **names = calloc(s->nvar + r->n + 1, sizeof *names);
    if (!names)
        return 0;
    size_t nn = rp_plot_order(s, r, names), blocks = 0;
    for (size_t j = 0; j < nn; j++) {
        bool started = false, seed_set = false;
        double seed = NAN;
        for (size_t i = 0; i < r->n; i++) {
            if (strcmp(r->variant[i], names[j]) != 0)
                continue;
            if (!seed_set) {
                seed = r->seed[i];
                seed_set = true;
            } else if (!(isnan(seed) && isnan(r->seed[i])) && r->seed[i] != seed) {
                continue; /* only the first seed is plotted */
            }
            const double *row = &r->val[i * r->ncol];
            if (positive_x && !(row[0] > 0))
                continue;
            if (!started) {
                if (blocks)
                    fputs("\n\n", fp);
                rp_gp_name(fp, names[j]);
                for (size_t c = 0; c < r->ncol; c++)
                    fprintf(fp, " \"%s\"", cols[c]);
                fputc('\n', fp);
                started = true;
                blocks++;
            }
            rp_gp_num(fp, row[0] * xscale);
            for (size_t c = 1; c < r->ncol; c++)
                rp_gp_num(fp, row[c]);
            fputc('\n', fp);
        }
    }
    free(names);
    return blocks;
}

static int rp_write_cost_dat(const struct rp_summary *s, const char *dir, size_t *blocks,
                             struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, rp_plots[RP_PLOT_COST].data, err);
    if (rc)
        return rc;
    fputs("# cost_vs_p99: one block per variant: latency_p99_ms, its ci95, cost_usd, its ci95\n",
          f.fp);
    *blocks = 0;
    for (size_t v = 0; v < s->nvar; v++) {
        double x, y, xc = 0, yc = 0;
        if (!rp_value(&s->var[v], "latency_p99_ms", &x) || !rp_value(&s->var[v], "cost_usd", &y))
            continue;
        rp_ci(&s->var[v], "latency_p99_ms", &xc);
        rp_ci(&s->var[v], "cost_usd", &yc);
        if (*blocks)
            fputs("\n\n", f.fp);
        rp_gp_name(f.fp, s->var[v].name);
        fputs(" \"p99_ms\" \"p99_ci95\" \"cost_usd\" \"cost_ci95\" \"label\"\n", f.fp);
        rp_gp_num(f.fp, x);
        rp_gp_num(f.fp, xc);
        rp_gp_num(f.fp, y);
        rp_gp_num(f.fp, yc);
        fputc(' ', f.fp);
        rp_gp_name(f.fp, s->var[v].name);
        fputc('\n', f.fp);
        (*blocks)++;
    }
    return results_file_commit(&f, err);
}

static int rp_write_rows_dat(const struct rp_summary *s, const char *dir, const char *name,
                             const char *comment, const struct rp_rows *r, const char *const *cols,
                             double xscale, bool positive_x, size_t *blocks, struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, name, err);
    if (rc)
        return rc;
    fprintf(f.fp, "# %s\n", comment);
    *blocks = rp_write_blocks(f.fp, s, r, cols, xscale, positive_x);
    return results_file_commit(&f, err);
}

/* Removes DIR/NAME, ignoring a missing file. */
static void rp_unlink(const char *dir, const char *name, const char *ext)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    unlink(path);
}

/* Writes the data files and runs gnuplot for every plot whose inputs exist. */
static int rp_make_plots(const struct rp_summary *s, const char *dir, const struct rp_rows *ts,
                         bool have_ts, const struct rp_rows *cdf, bool have_cdf,
                         struct rp_plot_state *st, struct os_error *err)
{
    static const char *const ts_cols[] = {"time_h", "gpus", "gpus_alloc", "queue_len", "pending"};
    static const char *const cdf_cols[] = {"latency_ms", "cdf"};
    size_t blocks[RP_NPLOTS] = {0};
    int rc = rp_write_cost_dat(s, dir, &blocks[RP_PLOT_COST], err);
    if (rc)
        return rc;
    if (have_ts) {
        rc = rp_write_rows_dat(
            s, dir, rp_plots[RP_PLOT_GPUS].data,
            "timeseries.csv, first seed: time_h gpus gpus_alloc queue_len pending", ts, ts_cols,
            1.0 / 3600.0, false, &blocks[RP_PLOT_GPUS], err);
        if (rc)
            return rc;
        blocks[RP_PLOT_QUEUE] = blocks[RP_PLOT_GPUS];
    } else {
        rp_unlink(dir, rp_plots[RP_PLOT_GPUS].data, "");
    }
    if (have_cdf) {
        rc = rp_write_rows_dat(s, dir, rp_plots[RP_PLOT_CDF].data,
                               "latency_cdf.csv: latency_ms cdf (latency > 0, log axis)", cdf,
                               cdf_cols, 1.0, true, &blocks[RP_PLOT_CDF], err);
        if (rc)
            return rc;
    } else {
        rp_unlink(dir, rp_plots[RP_PLOT_CDF].data, "");
    }

    bool no_gnuplot = false;
    char gnuplot_msg[sizeof st[0].note] = "";
    for (int p = 0; p < RP_NPLOTS; p++) {
        memset(&st[p], 0, sizeof st[p]);
        if (blocks[p] == 0) {
            if (p == RP_PLOT_COST)
                snprintf(st[p].note, sizeof st[p].note,
                         "no variant has both cost_usd and latency_p99_ms");
            else if (p == RP_PLOT_CDF)
                snprintf(st[p].note, sizeof st[p].note, "%s",
                         have_cdf ? "latency_cdf.csv has no rows with latency > 0"
                                  : "latency_cdf.csv is absent");
            else
                snprintf(st[p].note, sizeof st[p].note, "%s",
                         have_ts ? "timeseries.csv has no rows" : "timeseries.csv is absent");
        } else if (no_gnuplot) {
            snprintf(st[p].note, sizeof st[p].note, "%s", gnuplot_msg);
        } else {
            struct os_error gerr = {{0}};
            int g = results_gnuplot(rp_plots[p].script, dir, &gerr);
            if (g == OS_OK) {
                st[p].drawn = true;
                continue;
            }
            snprintf(st[p].note, sizeof st[p].note, "%s", gerr.msg);
            if (g == OS_ENOENT) {
                no_gnuplot = true;
                snprintf(gnuplot_msg, sizeof gnuplot_msg, "%s", gerr.msg);
            }
        }
        /* Not drawn: leave no stale picture from an earlier report behind. */
        rp_unlink(dir, rp_plots[p].name, ".png");
        rp_unlink(dir, rp_plots[p].name, ".svg");
    }
    return OS_OK;
}

/* ---------------------------------------------------------------- base64 */

static const char rp_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t report_base64(const void *src, size_t n, char *dst)
{
    const unsigned char *s = src;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned long w = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8) | s[i + 2];
        dst[o++] = rp_b64[(w >> 18) & 63];
        dst[o++] = rp_b64[(w >> 12) & 63];
        dst[o++] = rp_b64[(w >> 6) & 63];
        dst[o++] = rp_b64[w & 63];
    }
    if (i < n) {
        unsigned long w = (unsigned long)s[i] << 16;
        if (i + 1 < n)
            w |= (unsigned long)s[i + 1] << 8;
        dst[o++] = rp_b64[(w >> 18) & 63];
        dst[o++] = rp_b64[(w >> 12) & 63];
        dst[o++] = i + 1 < n ? rp_b64[(w >> 6) & 63] : '=';
        dst[o++] = '=';
    }
    dst[o] = '\0';
    return o;
}

/* Streams DIR/NAME into fp as base64. Returns false if the file cannot be read. */
static bool rp_base64_file(FILE *fp, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *in = fopen(path, "rb");
    if (!in)
        return false;
    unsigned char buf[3 * 1024];
    char out[REPORT_BASE64_LEN(sizeof buf)];
    size_t n;
    /* fread on a regular file returns a full buffer until the end, so every
     * chunk but the last is a multiple of 3 bytes and needs no padding. */
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        report_base64(buf, n, out);
        fputs(out, fp);
    }
    bool ok = !ferror(in);
    fclose(in);
    return ok;
}

static bool rp_file_exists(const char *dir, const char *name, const char *ext)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    return access(path, R_OK) == 0;
}

/* ---------------------------------------------------------------- report body */

static void rp_title(FILE *fp, enum rp_kind k, const struct rp_summary *s)
{
    char line[512];
    if (k == RP_MD) {
        fputs("# ", fp);
        rp_text(fp, k, s->scenario);
        fputs("\n\n", fp);
    } else {
        fputs("<h1>", fp);
        rp_text(fp, k, s->scenario);
        fputs("</h1>\n", fp);
    }
    if (s->description) {
        fputs(k == RP_MD ? "" : "<p>", fp);
        rp_text(fp, k, s->description);
        fputs(k == RP_MD ? "\n\n" : "</p>\n", fp);
    }
    if (k != RP_MD)
        fputs("<p>", fp);
    int n =
        snprintf(line, sizeof line, "orchsim %s", s->version ? s->version : "(version unknown)");
    if (s->has_seed)
        n += snprintf(line + n, sizeof line - (size_t)n, " \xc2\xb7 seed %.0f", s->seed);
    if (s->has_seeds)
        n += snprintf(line + n, sizeof line - (size_t)n, " \xc2\xb7 %.0f seed%s", s->seeds,
                      s->seeds == 1 ? "" : "s");
    rp_text(fp, k, line);
    if (s->has_seeds && s->seeds > 1)
        rp_text(fp, k,
                ": values are means over seeds, \xc2\xb1 the 95 % confidence half-width "
                "(Student t)");
    fputs(k == RP_MD ? ".\n\n" : ".</p>\n", fp);

    fputs(k == RP_MD ? "Variants:\n\n" : "<p>Variants:</p>\n<ul>\n", fp);
    for (size_t v = 0; v < s->nvar; v++) {
        fputs(k == RP_MD ? "- " : "<li>", fp);
        rp_code(fp, k, s->var[v].name);
        if (s->var[v].orch) {
            fputs(" (", fp);
            rp_text(fp, k, s->var[v].orch);
            fputc(')', fp);
        }
        fputs(k == RP_MD ? "\n" : "</li>\n", fp);
    }
    if (k == RP_HTML)
        fputs("</ul>\n", fp);
    fputs(k == RP_MD ? "\n" : "", fp);
    rp_para(fp, k,
            k == RP_MD ? "Bold: the best variant per metric (\xe2\x86\x93 lower is better, "
                         "\xe2\x86\x91 higher is better; metrics without an arrow are "
                         "informational). \xe2\x80\x93: the metric does not apply."
                       : "<strong>Bold</strong>: the best variant per metric (&darr; lower is "
                         "better, &uarr; higher is better; metrics without an arrow are "
                         "informational). &ndash;: the metric does not apply.");
}

static void rp_main_tables(FILE *fp, enum rp_kind k, const struct rp_summary *s,
                           struct rp_cell *cells)
{
    for (int g = 0; g < RP_NGROUPS; g++) {
        bool any = false;
        for (size_t i = 0; i < s->nmet; i++)
            any = any || (s->met[i].group == g && rp_any_has(s, s->met[i].name));
        if (!any)
            continue;
        rp_h2(fp, k, rp_groups[g].title);
        rp_table_head(fp, k, "metric", s, 0);
        for (size_t i = 0; i < s->nmet; i++) {
            const char *m = s->met[i].name;
            if (s->met[i].group != g || !rp_any_has(s, m))
                continue;
            rp_metric_cells(s, m, cells);
            rp_row_start(fp, k, m);
            for (size_t v = 0; v < s->nvar; v++)
                rp_cell_out(fp, k, cells[v].text, cells[v].bold);
            rp_row_end(fp, k);
        }
        rp_table_end(fp, k);
    }
}

static void rp_paired_table(FILE *fp, enum rp_kind k, const struct rp_summary *s)
{
    if (!s->any_paired || s->nvar < 2)
        return;
    char title[300];
    snprintf(title, sizeof title, "Paired difference vs %s", s->var[0].name);
    rp_h2(fp, k, title);
    fputs(k == RP_MD ? "" : "<p>", fp);
    rp_text(fp, k, "Mean over seeds of (variant \xe2\x88\x92 ");
    rp_text(fp, k, s->var[0].name);
    rp_text(fp, k,
            ") with the same seed (common random numbers), \xc2\xb1 its 95 % half-width; "
            "\"excludes 0\" marks a difference the interval shows is real, with "
            "better/worse by the metric's direction.");
    fputs(k == RP_MD ? "\n\n" : "</p>\n", fp);
    rp_table_head(fp, k, "metric", s, 1);
    for (size_t i = 0; i < s->nmet; i++) {
        const char *m = s->met[i].name;
        if (!rp_any_paired(s, m))
            continue;
        double *x = calloc(2 * s->nvar + 1, sizeof *x);
        size_t nx = 0;
        for (size_t v = 1; x && v < s->nvar; v++) {
            double mu, ci;
            bool hc;
            if (rp_paired(&s->var[v], m, &mu, &ci, &hc)) {
                x[nx++] = mu;
                if (hc)
                    x[nx++] = ci;
            }
        }
        int d = x ? rp_decimals(x, nx) : 2;
        free(x);
        int dir = rp_direction(m);
        rp_row_start(fp, k, m);
        for (size_t v = 1; v < s->nvar; v++) {
            double mu, ci;
            bool hc;
            char text[200], a[64], b[64];
            if (!rp_paired(&s->var[v], m, &mu, &ci, &hc)) {
                rp_cell_out(fp, k, "\xe2\x80\x93", false);
                continue;
            }
            rp_fmt(a, sizeof a, mu, d, true);
            if (!hc) {
                rp_cell_out(fp, k, a, false);
                continue;
            }
            rp_fmt(b, sizeof b, ci, d, false);
            bool excl = mu - ci > 0 || mu + ci < 0;
            const char *verdict = !excl                   ? "includes 0"
                                  : dir == 0              ? "excludes 0"
                                  : (dir < 0) == (mu < 0) ? "excludes 0, better"
                                                          : "excludes 0, worse";
            snprintf(text, sizeof text, "%s \xc2\xb1 %s (%s)", a, b, verdict);
            rp_cell_out(fp, k, text, false);
        }
        rp_row_end(fp, k);
    }
    rp_table_end(fp, k);
}

static void rp_best_list(FILE *fp, enum rp_kind k, const struct rp_summary *s,
                         struct rp_cell *cells)
{
    bool any = false;
    for (size_t i = 0; i < s->nmet; i++) {
        const char *m = s->met[i].name;
        if (!rp_any_has(s, m))
            continue;
        size_t nbold = rp_metric_cells(s, m, cells);
        if (nbold == 0)
            continue;
        if (!any) {
            rp_h2(fp, k, "Best per metric");
            if (k == RP_HTML)
                fputs("<ul>\n", fp);
            any = true;
        }
        fputs(k == RP_MD ? "- " : "<li>", fp);
        rp_code(fp, k, m);
        fputs(": ", fp);
        size_t j = 0;
        const char *val = "";
        for (size_t v = 0; v < s->nvar; v++) {
            if (!cells[v].bold)
                continue;
            if (j++)
                fputs(", ", fp);
            fputs(k == RP_MD ? "**" : "<strong>", fp);
            rp_text(fp, k, s->var[v].name);
            fputs(k == RP_MD ? "**" : "</strong>", fp);
            val = cells[v].val;
        }
        fprintf(fp, " (%s%s)", nbold > 1 ? "tie, " : "", val);
        fputs(k == RP_MD ? "\n" : "</li>\n", fp);
    }
    if (any && k == RP_HTML)
        fputs("</ul>\n", fp);
}

static void rp_plots_section(FILE *fp, enum rp_kind k, const char *dir,
                             const struct rp_plot_state *st)
{
    rp_h2(fp, k, "Plots");
    for (int p = 0; p < RP_NPLOTS; p++) {
        const char *name = rp_plots[p].name;
        if (!st[p].drawn) {
            fputs(k == RP_MD ? "- " : "<p class=\"note\">", fp);
            rp_code(fp, k, name);
            fputs(" not drawn: ", fp);
            rp_text(fp, k, st[p].note);
            fputs(k == RP_MD ? "\n" : "</p>\n", fp);
            continue;
        }
        if (k == RP_MD) {
            fprintf(fp, "![%s](%s.png)\n\n%s: [%s.png](%s.png), [%s.svg](%s.svg)\n\n",
                    rp_plots[p].title, name, rp_plots[p].title, name, name, name, name);
            continue;
        }
        fprintf(fp, "<figure>\n");
        char png[128];
        snprintf(png, sizeof png, "%s.png", name);
        if (rp_file_exists(dir, name, ".png")) {
            fprintf(fp, "<img alt=\"%s\" src=\"data:image/png;base64,", rp_plots[p].title);
            rp_base64_file(fp, dir, png);
            fputs("\">\n", fp);
        } else {
            fprintf(fp, "<p class=\"note\">%s.png is missing</p>\n", name);
        }
        fprintf(fp, "<figcaption>%s (<code>%s.png</code>, <code>%s.svg</code>)</figcaption>\n",
                rp_plots[p].title, name, name);
        fputs("</figure>\n", fp);
    }
}

static void rp_checks(FILE *fp, enum rp_kind k, const struct rp_summary *s)
{
    if (cJSON_GetArraySize(s->checks) == 0)
        return;
    rp_h2(fp, k, "Checks");
    rp_para(fp, k,
            k == RP_MD ? "Limits declared by the scenario (evaluated by `orchsim check`):"
                       : "Limits declared by the scenario (evaluated by <code>orchsim "
                         "check</code>):");
    if (k == RP_MD)
        fputc('\n', fp);
    else
        fputs("<ul>\n", fp);
    const cJSON *c;
    cJSON_ArrayForEach(c, s->checks)
    {
        if (!cJSON_IsString(c))
            continue;
        fputs(k == RP_MD ? "- " : "<li>", fp);
        rp_code(fp, k, c->valuestring);
        fputs(k == RP_MD ? "\n" : "</li>\n", fp);
    }
    if (k == RP_HTML)
        fputs("</ul>\n", fp);
}

static const char rp_css[] =
    "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;"
    "color:#222}\n"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
    "th,td{border:1px solid #ccc;padding:0.25em 0.6em}\n"
    "td{text-align:right;font-variant-numeric:tabular-nums}\n"
    "thead th{background:#f0f0f0}\n"
    "tbody th{text-align:left;font-weight:normal}\n"
    "td.best{background:#e6f4e6}\n"
    "figure{margin:1em 0}\n"
    "img{max-width:100%;height:auto;border:1px solid #ddd}\n"
    ".note{color:#a00}\n";

static void rp_body(FILE *fp, enum rp_kind k, const struct rp_summary *s, const char *dir,
                    const struct rp_plot_state *st, struct rp_cell *cells)
{
    if (k == RP_HTML) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", fp);
        rp_text(fp, k, s->scenario);
        fprintf(fp, " - orchsim report</title>\n<style>\n%s</style>\n</head>\n<body>\n", rp_css);
    }
    rp_title(fp, k, s);
    rp_main_tables(fp, k, s, cells);
    rp_paired_table(fp, k, s);
    rp_best_list(fp, k, s, cells);
    rp_plots_section(fp, k, dir, st);
    rp_checks(fp, k, s);
    if (k == RP_HTML)
        fputs("</body>\n</html>\n", fp);
}

static int rp_write_file(const char *dir, const char *name, enum rp_kind k,
                         const struct rp_summary *s, const struct rp_plot_state *st,
                         struct rp_cell *cells, struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, name, err);
    if (rc)
        return rc;
    rp_body(f.fp, k, s, dir, st, cells);
    if (ferror(f.fp)) {
        results_file_abort(&f);
        return os_errorf(err, OS_EIO, "%s/%s: write failed", dir, name);
    }
    return results_file_commit(&f, err);
}

int report_write(const char *dir, struct os_error *err)
{
    static const char *const ts_cols[] = {"time_s", "gpus", "gpus_alloc", "queue_len", "pending"};
    static const char *const cdf_cols[] = {"latency_ms", "cdf"};
    struct rp_summary s;
    int rc = rp_summary_load(&s, dir, err);
    if (rc)
        return rc;
    struct rp_rows ts, cdf;
    int tsrc = rp_csv_load(dir, "timeseries.csv", ts_cols, 5, &ts, err);
    if (tsrc && tsrc != OS_ENOENT) {
        rc = tsrc;
        goto out_summary;
    }
    int cdfrc = rp_csv_load(dir, "latency_cdf.csv", cdf_cols, 2, &cdf, err);
    if (cdfrc && cdfrc != OS_ENOENT) {
        rc = cdfrc;
        goto out_ts;
    }
    struct rp_plot_state st[RP_NPLOTS];
    rc = rp_make_plots(&s, dir, &ts, tsrc == OS_OK, &cdf, cdfrc == OS_OK, st, err);
    if (rc)
        goto out_cdf;
    struct rp_cell *cells = calloc(s.nvar, sizeof *cells);
    if (!cells) {
        rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", dir);
        goto out_cdf;
    }
    rc = rp_write_file(dir, "report.md", RP_MD, &s, st, cells, err);
    if (!rc)
        rc = rp_write_file(dir, "report.html", RP_HTML, &s, st, cells, err);
    free(cells);
out_cdf:
    rp_rows_destroy(&cdf);
out_ts:
    rp_rows_destroy(&ts);
out_summary:
    rp_summary_destroy(&s);
    return rc;
}
