/*
 * check.c - the CI gate: parsing check strings, evaluating them against a
 * baseline, and reporting as a table or JUnit XML (see check.h for the
 * grammar and the default rule).
 *
 * Everything here works on cJSON trees the caller has parsed, so the tests
 * drive it without files or the command line; only check_report_write_junit()
 * writes a file (atomically, through sim/results.h).
 */
#include "sim/check.h"

#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/results.h"

/* Relative slack of the inclusive comparisons (check.h). */
#define CHECK_SLACK 1e-9

/* ---- parsing ---- */

static const char *skip_ws(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

static bool is_metric_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '*' || ch == '?';
}

/* A finite decimal number (no hex, inf or nan). Returns the end or NULL. */
static const char *parse_number(const char *p, double *out)
{
    const char *q = p;
    if (*q == '+' || *q == '-')
        q++;
    if (!isdigit((unsigned char)*q) && !(*q == '.' && isdigit((unsigned char)q[1])))
        return NULL;
    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
        return NULL;
    char *end;
    double v = strtod(p, &end);
    if (end == p || !isfinite(v))
        return NULL;
    *out = v;
    return end;
}

/* "at 'REST'" or "at the end", for messages. */
static void where(const char *p, char *buf, size_t n)
{
    if (*p)
        snprintf(buf, n, "at '%.80s'", p);
    else
        snprintf(buf, n, "at the end");
}

static int parse_fail(struct os_error *err, const struct check *c, const char *what, const char *p)
{
    char at[96];
    where(p, at, sizeof at);
    return os_errorf(err, OS_EINVAL, "check '%s': %s %s", c->text, what, at);
}

int check_parse(const char *text, struct check *c, struct os_error *err)
{
    memset(c, 0, sizeof *c);
    const char *s = skip_ws(text);
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0)
        return os_errorf(err, OS_EINVAL, "check '': empty check (expected METRIC OP EXPR)");
    if (len >= sizeof c->text)
        return os_errorf(err, OS_EINVAL, "check '%.40s...': longer than %zu characters", s,
                         sizeof c->text - 1);
    memcpy(c->text, s, len);
    c->text[len] = '\0';

    const char *p = c->text;
    const char *colon = strchr(p, ':');
    if (colon) {
        const char *vend = colon;
        while (vend > p && isspace((unsigned char)vend[-1]))
            vend--;
        size_t vlen = (size_t)(vend - p);
        if (vlen == 0)
            return parse_fail(err, c, "expected a variant name before ':'", p);
        if (vlen >= sizeof c->variant)
            return os_errorf(err, OS_EINVAL, "check '%s': variant name longer than %zu characters",
                             c->text, sizeof c->variant - 1);
        memcpy(c->variant, p, vlen);
        c->variant[vlen] = '\0';
        p = skip_ws(colon + 1);
    }

    const char *m = p;
    while (is_metric_char(*p))
        p++;
    size_t mlen = (size_t)(p - m);
    if (mlen == 0)
        return parse_fail(err, c, "expected a metric name (letters, digits, '_', glob '*' '?')", m);
    if (mlen >= sizeof c->metric)
        return os_errorf(err, OS_EINVAL, "check '%s': metric name longer than %zu characters",
                         c->text, sizeof c->metric - 1);
    memcpy(c->metric, m, mlen);
    c->metric[mlen] = '\0';
    c->glob = strpbrk(c->metric, "*?") != NULL;

    p = skip_ws(p);
    static const struct {
        const char *tok;
        enum check_op op;
    } ops[] = {{"<=", CHECK_LE}, {">=", CHECK_GE}, {"==", CHECK_EQ},
               {"<", CHECK_LT},  {">", CHECK_GT},  {"within", CHECK_WITHIN}};
    size_t k, nops = sizeof ops / sizeof ops[0];
    for (k = 0; k < nops; k++)
        if (strncmp(p, ops[k].tok, strlen(ops[k].tok)) == 0)
            break;
    if (k == nops || (ops[k].op == CHECK_WITHIN && (isalpha((unsigned char)p[6]) || p[6] == '_')) ||
        (ops[k].op != CHECK_WITHIN &&
         (p[strlen(ops[k].tok)] == '=' || p[strlen(ops[k].tok)] == '<' ||
          p[strlen(ops[k].tok)] == '>')))
        return parse_fail(err, c, "expected an operator (<=, <, >=, >, ==, within)", p);
    c->op = ops[k].op;
    p = skip_ws(p + strlen(ops[k].tok));

    if (c->op == CHECK_WITHIN) {
        const char *e = parse_number(p, &c->num);
        if (!e)
            return parse_fail(err, c, "expected a percentage after 'within' (within 5%)", p);
        if (c->num < 0)
            return parse_fail(err, c, "expected a percentage >= 0 after 'within'", p);
        p = skip_ws(e);
        if (*p != '%')
            return parse_fail(err, c, "expected '%' after the tolerance (within 5%)", p);
        c->rhs = CHECK_RHS_WITHIN_PCT;
        p = skip_ws(p + 1);
    } else if (strncmp(p, "baseline", 8) == 0 && !isalnum((unsigned char)p[8]) && p[8] != '_') {
        c->rhs = CHECK_RHS_BASELINE;
        p = skip_ws(p + 8);
        char ar = *p;
        if (ar == '*' || ar == '+' || ar == '-') {
            p = skip_ws(p + 1);
            const char *e = parse_number(p, &c->num);
            if (!e)
                return parse_fail(err, c, "expected a number after the operator", p);
            p = skip_ws(e);
            bool pct = *p == '%';
            if (pct && ar == '*')
                return parse_fail(err, c,
                                  "'%' goes with 'baseline + N%' or 'baseline - N%', not '*'", p);
            if (pct)
                p = skip_ws(p + 1);
            c->rhs = ar == '*'   ? CHECK_RHS_MUL
                     : ar == '+' ? (pct ? CHECK_RHS_ADD_PCT : CHECK_RHS_ADD)
                                 : (pct ? CHECK_RHS_SUB_PCT : CHECK_RHS_SUB);
        } else if (*p) {
            return parse_fail(err, c, "expected '*', '+', '-' or the end after 'baseline'", p);
        }
    } else {
        const char *e = parse_number(p, &c->num);
        if (!e)
            return parse_fail(err, c, "expected a number or 'baseline' after the operator", p);
        c->rhs = CHECK_RHS_NUMBER;
        p = skip_ws(e);
    }
    if (*p)
        return parse_fail(err, c, "unexpected text", p);
    return OS_OK;
}

bool check_uses_baseline(const struct check *c)
{
    return c->rhs != CHECK_RHS_NUMBER;
}

/* ---- directions and the default rule ---- */

bool check_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

enum check_better check_metric_better(const char *metric)
{
    static const char *const lower[] = {"cost_usd",
                                        "tco_usd",
                                        "ops_cost_usd",
                                        "cost_per_1k_requests_usd",
                                        "cost_per_gpu_hour_usd",
                                        "idle_cost_usd",
                                        "fargate_cost_usd",
                                        "rollout_mean_s",
                                        "requests_dropped",
                                        "requests_timed_out",
                                        "spot_interruptions",
                                        "lost_gpu_hours",
                                        "job_interruptions",
                                        "job_preemptions",
                                        "jobs_unfinished",
                                        "unscheduled",
                                        "frag_pct"};
    static const char *const lower_prefix[] = {"latency_",    "ttft_",      "pending_",      "jct_",
                                               "queue_wait_", "job_queue_", "fleet_latency_"};
    static const char *const higher[] = {
        "slo_attainment_pct",      "gpu_alloc_pct",    "gpu_util_pct",
        "jobs_completed",          "spot_savings_usd", "goodput_pct",
        "fleet_slo_attainment_pct"};
    if (check_ends_with(metric, "_ci95"))
        return CHECK_INFO;
    for (size_t i = 0; i < sizeof lower / sizeof lower[0]; i++)
        if (strcmp(metric, lower[i]) == 0)
            return CHECK_LOWER;
    for (size_t i = 0; i < sizeof lower_prefix / sizeof lower_prefix[0]; i++)
        if (strncmp(metric, lower_prefix[i], strlen(lower_prefix[i])) == 0)
            return CHECK_LOWER;
    for (size_t i = 0; i < sizeof higher / sizeof higher[0]; i++)
        if (strcmp(metric, higher[i]) == 0)
            return CHECK_HIGHER;
    return CHECK_INFO;
}

bool check_default(const char *metric, struct check *c)
{
    enum check_better b = check_metric_better(metric);
    if (b == CHECK_INFO || strlen(metric) >= sizeof c->metric)
        return false;
    memset(c, 0, sizeof *c);
    snprintf(c->metric, sizeof c->metric, "%s", metric);
    c->num = CHECK_DEFAULT_PCT;
    if (b == CHECK_LOWER) {
        c->op = CHECK_LE;
        c->rhs = CHECK_RHS_ADD_PCT;
        snprintf(c->text, sizeof c->text, "%s <= baseline + %g%%", metric, c->num);
    } else {
        c->op = CHECK_GE;
        c->rhs = CHECK_RHS_SUB_PCT;
        snprintf(c->text, sizeof c->text, "%s >= baseline - %g%%", metric, c->num);
    }
    return true;
}

/* ---- evaluation ---- */

static double rhs_value(const struct check *c, double b)
{
    switch (c->rhs) {
    case CHECK_RHS_NUMBER:
        return c->num;
    case CHECK_RHS_MUL:
        return b * c->num;
    case CHECK_RHS_ADD:
        return b + c->num;
    case CHECK_RHS_SUB:
        return b - c->num;
    case CHECK_RHS_ADD_PCT:
        return b + c->num / 100.0 * fabs(b);
    case CHECK_RHS_SUB_PCT:
        return b - c->num / 100.0 * fabs(b);
    case CHECK_RHS_BASELINE:
    case CHECK_RHS_WITHIN_PCT:
        break;
    }
    return b;
}

void check_bounds(const struct check *c, double baseline, double *lo, double *hi)
{
    double l = rhs_value(c, baseline);
    *lo = -INFINITY;
    *hi = INFINITY;
    switch (c->op) {
    case CHECK_LE:
    case CHECK_LT:
        *hi = l;
        break;
    case CHECK_GE:
    case CHECK_GT:
        *lo = l;
        break;
    case CHECK_EQ:
        *lo = *hi = l;
        break;
    case CHECK_WITHIN: {
        double d = c->num / 100.0 * fabs(baseline);
        *lo = baseline - d;
        *hi = baseline + d;
        break;
    }
    }
}

static double slack(double x)
{
    return CHECK_SLACK * fabs(x);
}

bool check_eval(const struct check *c, double value, double baseline)
{
    double lo, hi;
    check_bounds(c, baseline, &lo, &hi);
    switch (c->op) {
    case CHECK_LE:
        return value <= hi + slack(hi);
    case CHECK_LT:
        return value < hi;
    case CHECK_GE:
        return value >= lo - slack(lo);
    case CHECK_GT:
        return value > lo;
    case CHECK_EQ:
    case CHECK_WITHIN:
        return value >= lo - slack(lo) && value <= hi + slack(hi);
    }
    return false;
}

void check_format_num(double x, char *buf, size_t n)
{
    double a = fabs(x);
    if (x == 0) {
        snprintf(buf, n, "0");
    } else if (a >= 1e15 || a < 1e-4) {
        snprintf(buf, n, "%.6g", x);
    } else if (x == floor(x)) {
        snprintf(buf, n, "%.0f", x);
    } else {
        snprintf(buf, n, "%.6f", x);
        char *dot = strchr(buf, '.');
        if (dot) {
            char *e = buf + strlen(buf);
            while (e > dot + 1 && e[-1] == '0')
                *--e = '\0';
            if (e == dot + 1)
                *dot = '\0';
        }
        if (strcmp(buf, "-0") == 0)
            snprintf(buf, n, "0");
    }
}

void check_format_limit(const struct check *c, double baseline, char *buf, size_t n)
{
    static const char *const sym[] = {"<=", "<", ">=", ">", "=="};
    double lo, hi;
    char a[48], b[48];
    check_bounds(c, baseline, &lo, &hi);
    switch (c->op) {
    case CHECK_LE:
    case CHECK_LT:
        check_format_num(hi, a, sizeof a);
        snprintf(buf, n, "%s %s", sym[c->op], a);
        break;
    case CHECK_GE:
    case CHECK_GT:
    case CHECK_EQ:
        check_format_num(lo, a, sizeof a);
        snprintf(buf, n, "%s %s", sym[c->op], a);
        break;
    case CHECK_WITHIN:
        check_format_num(lo, a, sizeof a);
        check_format_num(hi, b, sizeof b);
        snprintf(buf, n, "%s .. %s", a, b);
        break;
    }
}

/* ---- reports ---- */

int check_report_add(struct check_report *r, const char *group, const char *metric,
                     const struct check *c, double value, double baseline, bool has_baseline,
                     struct os_error *err)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 32;
        struct check_row *rows = realloc(r->rows, cap * sizeof *rows);
        if (!rows)
            return os_errorf(err, OS_ENOMEM, "check: out of memory");
        r->rows = rows;
        r->cap = cap;
    }
    struct check_row *row = &r->rows[r->n++];
    memset(row, 0, sizeof *row);
    snprintf(row->group, sizeof row->group, "%s", group);
    snprintf(row->metric, sizeof row->metric, "%s", metric);
    snprintf(row->check, sizeof row->check, "%s", c->text);
    row->glob = c->glob;
    check_format_limit(c, baseline, row->limit, sizeof row->limit);
    row->value = value;
    row->baseline = baseline;
    row->has_baseline = has_baseline;
    row->pass = check_eval(c, value, baseline);
    if (!row->pass)
        r->nfail++;
    return OS_OK;
}

void check_report_destroy(struct check_report *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n = r->cap = r->nfail = 0;
}

/* The printed cells of one row. */
struct cells {
    char value[48], baseline[48], change[32];
};

static void row_cells(const struct check_row *row, struct cells *c)
{
    check_format_num(row->value, c->value, sizeof c->value);
    if (!row->has_baseline) {
        snprintf(c->baseline, sizeof c->baseline, "-");
        snprintf(c->change, sizeof c->change, "-");
        return;
    }
    check_format_num(row->baseline, c->baseline, sizeof c->baseline);
    if (row->baseline == 0)
        snprintf(c->change, sizeof c->change, row->value == 0 ? "0%%" : "-");
    else
        snprintf(c->change, sizeof c->change, "%+.1f%%",
                 (row->value - row->baseline) / fabs(row->baseline) * 100.0);
}

static int maxi(int a, size_t b)
{
    return (size_t)a > b ? a : (int)b;
}

void check_report_print(const struct check_report *r, FILE *out)
{
    const char *title = r->group_title ? r->group_title : "variant";
    int wg = (int)strlen(title), wm = 6, wv = 5, wl = 5, wb = 8, wc = 6;
    for (size_t i = 0; i < r->n; i++) {
        struct cells c;
        row_cells(&r->rows[i], &c);
        wg = maxi(wg, strlen(r->rows[i].group));
        wm = maxi(wm, strlen(r->rows[i].metric));
        wv = maxi(wv, strlen(c.value));
        wl = maxi(wl, strlen(r->rows[i].limit));
        wb = maxi(wb, strlen(c.baseline));
        wc = maxi(wc, strlen(c.change));
    }
    fprintf(out, "%-*s  %-*s  %*s  %-*s  %*s  %*s  %s\n", wg, title, wm, "metric", wv, "value", wl,
            "limit", wb, "baseline", wc, "change", "result");
    for (size_t i = 0; i < r->n; i++) {
        const struct check_row *row = &r->rows[i];
        struct cells c;
        row_cells(row, &c);
        fprintf(out, "%-*s  %-*s  %*s  %-*s  %*s  %*s  %s\n", wg, row->group, wm, row->metric, wv,
                c.value, wl, row->limit, wb, c.baseline, wc, c.change, row->pass ? "PASS" : "FAIL");
    }
    fprintf(out, "%zu passed, %zu failed\n", r->n - r->nfail, r->nfail);
}

bool check_xml_escape(const char *s, char *buf, size_t n)
{
    size_t o = 0;
    if (n == 0)
        return false;
    for (; *s; s++) {
        const char *rep;
        char one[2] = {*s, '\0'};
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
                one[0] = '?';
            rep = one;
        }
        size_t k = strlen(rep);
        if (o + k >= n) {
            buf[o] = '\0';
            return false;
        }
        memcpy(buf + o, rep, k);
        o += k;
    }
    buf[o] = '\0';
    return true;
}

void check_report_junit(const struct check_report *r, const char *suite, FILE *out)
{
    char esuite[1024], egroup[1024], ename[2048], emsg[2048];
    check_xml_escape(suite, esuite, sizeof esuite);
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites tests=\"%zu\" failures=\"%zu\">\n", r->n, r->nfail);
    fprintf(out,
            "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n",
            esuite, r->n, r->nfail);
    for (size_t i = 0; i < r->n; i++) {
        const struct check_row *row = &r->rows[i];
        char name[400];
        if (row->glob)
            snprintf(name, sizeof name, "%s [%s]", row->check, row->metric);
        else
            snprintf(name, sizeof name, "%s", row->check);
        check_xml_escape(row->group, egroup, sizeof egroup);
        check_xml_escape(name, ename, sizeof ename);
        fprintf(out, "    <testcase classname=\"%s.%s\" name=\"%s\"", esuite, egroup, ename);
        if (row->pass) {
            fprintf(out, "/>\n");
            continue;
        }
        struct cells c;
        row_cells(row, &c);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: %s = %s, limit %s, baseline %s", row->group, row->metric,
                 c.value, row->limit, c.baseline);
        check_xml_escape(msg, emsg, sizeof emsg);
        fprintf(out,
                ">\n      <failure type=\"check\" message=\"%s\">%s</failure>\n    </testcase>\n",
                emsg, emsg);
    }
    fprintf(out, "  </testsuite>\n</testsuites>\n");
}

int check_report_write_junit(const struct check_report *r, const char *suite, const char *path,
                             struct os_error *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name)
        return os_errorf(err, OS_EINVAL, "%s: --junit expects a file name", path);
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct results_file f;
    int rc = results_mkdir(dir, err);
    if (rc == OS_OK)
        rc = results_file_open(&f, dir, name, err);
    if (rc != OS_OK)
        return rc;
    check_report_junit(r, suite, f.fp);
    return results_file_commit(&f, err);
}

/* ---- results ---- */

int check_load(const cJSON *summary, const char *file, struct check **out, size_t *n,
               struct os_error *err)
{
    *out = NULL;
    *n = 0;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(summary, "checks");
    if (!arr || cJSON_IsNull(arr))
        return OS_OK;
    if (!cJSON_IsArray(arr))
        return os_errorf(err, OS_EINVAL, "%s: $.checks: expected an array of check strings", file);
    size_t cnt = (size_t)cJSON_GetArraySize(arr);
    if (cnt == 0)
        return OS_OK;
    struct check *v = calloc(cnt, sizeof *v);
    if (!v)
        return os_errorf(err, OS_ENOMEM, "check: out of memory");
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsString(it)) {
            free(v);
            return os_errorf(err, OS_EINVAL, "%s: $.checks[%zu]: expected a string", file, i);
        }
        struct os_error e;
        if (check_parse(it->valuestring, &v[i], &e) != OS_OK) {
            free(v);
            return os_errorf(err, OS_EINVAL, "%s: $.checks[%zu]: %s", file, i, e.msg);
        }
        i++;
    }
    *out = v;
    *n = cnt;
    return OS_OK;
}

/* The variants array of a summary, or an error. */
static int get_variants(const cJSON *summary, const char *file, const cJSON **out,
                        struct os_error *err)
{
    *out = cJSON_GetObjectItemCaseSensitive(summary, "variants");
    if (!cJSON_IsArray(*out))
        return os_errorf(err, OS_EINVAL, "%s: $.variants: expected an array of variants", file);
    return OS_OK;
}

/* Name and metrics of variant v (index i), or an error. */
static int variant_parts(const cJSON *v, size_t i, const char *file, const char **name,
                         const cJSON **metrics, struct os_error *err)
{
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v, "name");
    if (!cJSON_IsString(nm))
        return os_errorf(err, OS_EINVAL, "%s: $.variants[%zu].name: expected a string", file, i);
    *name = nm->valuestring;
    *metrics = cJSON_GetObjectItemCaseSensitive(v, "metrics");
    if (!cJSON_IsObject(*metrics))
        return os_errorf(err, OS_EINVAL, "%s: $.variants[%zu].metrics: expected an object", file,
                         i);
    return OS_OK;
}

static const cJSON *find_variant(const cJSON *vars, const char *name)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v, "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0)
            return v;
    }
    return NULL;
}

/* The number `metric` of a metrics object; an error naming file, variant and
 * metric when it is missing or not a number. */
static int get_metric(const cJSON *metrics, const char *file, const char *variant,
                      const char *metric, const char *why, double *out, struct os_error *err)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(metrics, metric);
    if (!m)
        return os_errorf(err, OS_EINVAL, "%s: variant '%s': metric '%s' is missing (%s)", file,
                         variant, metric, why);
    if (!cJSON_IsNumber(m))
        return os_errorf(err, OS_EINVAL, "%s: variant '%s': metric '%s' is not a number", file,
                         variant, metric);
    *out = m->valuedouble;
    return OS_OK;
}

/* Applies check c to one metric of one variant. */
static int apply_one(const struct check *c, const char *metric, const char *variant,
                     const cJSON *rm, const char *rfile, const cJSON *bm, const char *bfile,
                     struct check_report *r, struct os_error *err)
{
    char why[300];
    snprintf(why, sizeof why, "check '%s'", c->text);
    double v, b = 0;
    int rc = get_metric(rm, rfile, variant, metric, why, &v, err);
    if (rc != OS_OK)
        return rc;
    bool has_b = false;
    if (check_uses_baseline(c)) {
        rc = get_metric(bm, bfile, variant, metric, why, &b, err);
        if (rc != OS_OK)
            return rc;
        has_b = true;
    } else {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(bm, metric);
        if (cJSON_IsNumber(x)) {
            b = x->valuedouble;
            has_b = true;
        }
    }
    return check_report_add(r, variant, metric, c, v, b, has_b, err);
}

/* The default rule on one variant: every directed metric of either side must
 * be on both. */
static int apply_default(const char *variant, const cJSON *rm, const char *rfile, const cJSON *bm,
                         const char *bfile, struct check_report *r, struct os_error *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, bm)
    {
        if (check_metric_better(m->string) != CHECK_INFO &&
            !cJSON_GetObjectItemCaseSensitive(rm, m->string))
            return os_errorf(err, OS_EINVAL,
                             "%s: variant '%s': metric '%s' is missing (it is in the baseline %s)",
                             rfile, variant, m->string, bfile);
    }
    cJSON_ArrayForEach(m, rm)
    {
        struct check c;
        if (!check_default(m->string, &c))
            continue;
        int rc = apply_one(&c, m->string, variant, rm, rfile, bm, bfile, r, err);
        if (rc != OS_OK)
            return rc;
    }
    return OS_OK;
}

static int apply_checks(const struct check *checks, size_t n, const char *variant, const cJSON *rm,
                        const char *rfile, const cJSON *bm, const char *bfile,
                        struct check_report *r, struct os_error *err)
{
    for (size_t k = 0; k < n; k++) {
        const struct check *c = &checks[k];
        if (c->variant[0] && strcmp(c->variant, variant) != 0)
            continue;
        int rc;
        if (!c->glob) {
            rc = apply_one(c, c->metric, variant, rm, rfile, bm, bfile, r, err);
            if (rc != OS_OK)
                return rc;
            continue;
        }
        bool want_ci = check_ends_with(c->metric, "_ci95");
        size_t matched = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, rm)
        {
            if (check_ends_with(m->string, "_ci95") != want_ci ||
                fnmatch(c->metric, m->string, 0) != 0)
                continue;
            matched++;
            rc = apply_one(c, m->string, variant, rm, rfile, bm, bfile, r, err);
            if (rc != OS_OK)
                return rc;
        }
        if (matched == 0)
            return os_errorf(err, OS_EINVAL,
                             "%s: variant '%s': no metric matches '%s' (check '%s')", rfile,
                             variant, c->metric, c->text);
    }
    return OS_OK;
}

int check_apply(const cJSON *results, const char *results_file, const cJSON *baseline,
                const char *baseline_file, const struct check *checks, size_t n,
                struct check_report *r, FILE *log, struct os_error *err)
{
    const cJSON *rvars, *bvars;
    int rc = get_variants(results, results_file, &rvars, err);
    if (rc == OS_OK)
        rc = get_variants(baseline, baseline_file, &bvars, err);
    if (rc != OS_OK)
        return rc;
    /* A check naming a variant must find it on both sides. */
    for (size_t k = 0; k < n; k++) {
        const char *vn = checks[k].variant;
        if (!vn[0])
            continue;
        const char *file = !find_variant(rvars, vn)   ? results_file
                           : !find_variant(bvars, vn) ? baseline_file
                                                      : NULL;
        if (file)
            return os_errorf(err, OS_EINVAL, "%s: no variant '%s' (check '%s')", file, vn,
                             checks[k].text);
    }
    size_t common = 0, i = 0;
    const cJSON *rv;
    cJSON_ArrayForEach(rv, rvars)
    {
        const char *name;
        const cJSON *rm, *bm;
        rc = variant_parts(rv, i, results_file, &name, &rm, err);
        if (rc != OS_OK)
            return rc;
        const cJSON *bv = find_variant(bvars, name);
        if (!bv) {
            if (log)
                fprintf(
                    log,
                    "orchsim: check: note: variant '%s' is not in the baseline %s; not checked\n",
                    name, baseline_file);
            i++;
            continue;
        }
        size_t bi = 0;
        for (const cJSON *x = bvars->child; x && x != bv; x = x->next)
            bi++;
        const char *bname;
        rc = variant_parts(bv, bi, baseline_file, &bname, &bm, err);
        if (rc != OS_OK)
            return rc;
        common++;
        if (n == 0)
            rc = apply_default(name, rm, results_file, bm, baseline_file, r, err);
        else
            rc = apply_checks(checks, n, name, rm, results_file, bm, baseline_file, r, err);
        if (rc != OS_OK)
            return rc;
        i++;
    }
    if (common == 0)
        return os_errorf(err, OS_EINVAL, "%s: no variant is also in the baseline %s", results_file,
                         baseline_file);
    return OS_OK;
}

/* ---- benchmarks ---- */

/* Fields that identify a benchmark entry (the rest are measurements). */
static const char *const bench_keys[] = {"policy", "cluster", "workload", "nodes", "pending"};

/* "section/policy/cluster/workload/nodes=N" from the key fields present, or
 * "section/[i]" when there are none. */
static void bench_label(const char *section, const cJSON *e, size_t idx, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "%s", section);
    bool any = false;
    for (size_t k = 0; k < sizeof bench_keys / sizeof bench_keys[0] && used < n; k++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, bench_keys[k]);
        if (cJSON_IsString(f))
            used += (size_t)snprintf(buf + used, n - used, "/%s", f->valuestring);
        else if (cJSON_IsNumber(f))
            used +=
                (size_t)snprintf(buf + used, n - used, "/%s=%.15g", bench_keys[k], f->valuedouble);
        else
            continue;
        any = true;
    }
    if (!any && used < n)
        snprintf(buf + used, n - used, "/[%zu]", idx);
}

static const cJSON *bench_find(const char *section, const cJSON *arr, const char *label)
{
    char l[256];
    size_t idx = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        bench_label(section, e, idx++, l, sizeof l);
        if (strcmp(l, label) == 0)
            return e;
    }
    return NULL;
}

int check_bench(const cJSON *cur, const cJSON *base, const char *base_file, double tol_pct,
                struct check_report *r, FILE *log, struct os_error *err)
{
    if (!cJSON_IsObject(base))
        return os_errorf(err, OS_EINVAL, "%s: expected a JSON object written by 'orchsim bench'",
                         base_file);
    const cJSON *qc = cJSON_GetObjectItemCaseSensitive(cur, "quick");
    const cJSON *qb = cJSON_GetObjectItemCaseSensitive(base, "quick");
    if (log && cJSON_IsBool(qc) && cJSON_IsBool(qb) && cJSON_IsTrue(qc) != cJSON_IsTrue(qb))
        fprintf(log, "orchsim: bench: note: comparing a %s run with a %s baseline\n",
                cJSON_IsTrue(qc) ? "--quick" : "full", cJSON_IsTrue(qb) ? "--quick" : "full");
    size_t before = r->n;
    const cJSON *sec;
    cJSON_ArrayForEach(sec, cur)
    {
        if (!cJSON_IsArray(sec))
            continue;
        const cJSON *bsec = cJSON_GetObjectItemCaseSensitive(base, sec->string);
        if (!cJSON_IsArray(bsec)) {
            if (log)
                fprintf(log, "orchsim: bench: note: no '%s' results in the baseline %s\n",
                        sec->string, base_file);
            continue;
        }
        size_t idx = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, sec)
        {
            char label[256];
            bench_label(sec->string, e, idx++, label, sizeof label);
            const cJSON *be = bench_find(sec->string, bsec, label);
            if (!be) {
                if (log)
                    fprintf(log, "orchsim: bench: note: %s is not in the baseline %s\n", label,
                            base_file);
                continue;
            }
            const cJSON *f;
            cJSON_ArrayForEach(f, e)
            {
                if (!cJSON_IsNumber(f) || !check_ends_with(f->string, "_per_s"))
                    continue;
                const cJSON *bf = cJSON_GetObjectItemCaseSensitive(be, f->string);
                if (!cJSON_IsNumber(bf)) {
                    if (log)
                        fprintf(log, "orchsim: bench: note: %s %s is not in the baseline %s\n",
                                label, f->string, base_file);
                    continue;
                }
                struct check c = {.op = CHECK_GE, .rhs = CHECK_RHS_SUB_PCT, .num = tol_pct};
                snprintf(c.metric, sizeof c.metric, "%s", f->string);
                snprintf(c.text, sizeof c.text, "%s >= baseline - %g%%", f->string, tol_pct);
                int rc = check_report_add(r, label, f->string, &c, f->valuedouble, bf->valuedouble,
                                          true, err);
                if (rc != OS_OK)
                    return rc;
            }
        }
    }
    if (r->n == before)
        return os_errorf(err, OS_EINVAL,
                         "%s: no throughput figure of this benchmark run is in the baseline",
                         base_file);
    return OS_OK;
}
