/*
 * sweep.c - parameter grids, their parallel runs, shards and the merge of
 * shard tables (see sweep.h for the formats and guarantees).
 *
 * Parallelism: one worker *process* per running point (fork), not a thread.
 * A point is a whole orchestrator_run(), which may start its own threads;
 * a process per point keeps runs fully isolated (a crash or an exit in one
 * point cannot take the others down) and needs nothing from the models about
 * thread safety. Results travel through the point's summary.json, which the
 * parent reads after all workers are done, so the table does not depend on
 * the order in which workers finish.
 *
 * Exact merges: metric values are printed as summary.json prints them (a form that
 * reads back as the same double), and the merge copies cells as text, so a
 * merged table is byte-identical to the unsharded one.
 */
#include "sim/sweep.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/bench.h"
#include "sim/results.h"

/* ---- small helpers ---- */

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static char *dup_str(const char *s)
{
    return dup_range(s, strlen(s));
}

/* Trims blanks on both sides of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* x as cJSON prints it in summary.json: %.15g, or %.17g when that does not
 * read back as the same double. Either way the text is exact. */
static void format_number(double x, char *buf, size_t len)
{
    snprintf(buf, len, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, len, "%.17g", x);
}

/* ---- grid ---- */

void sweep_grid_init(struct sweep_grid *g)
{
    memset(g, 0, sizeof *g);
    g->npoints = 1;
}

static void axis_free(struct sweep_axis *a)
{
    for (size_t i = 0; i < a->nvalues; i++)
        free(a->values[i]);
    free(a->values);
    free(a->path);
    memset(a, 0, sizeof *a);
}

void sweep_grid_destroy(struct sweep_grid *g)
{
    for (size_t i = 0; i < g->naxes; i++)
        axis_free(&g->axes[i]);
    sweep_grid_init(g);
}

int sweep_grid_add_axis(struct sweep_grid *g, const char *spec, struct os_error *err)
{
    if (g->naxes >= SWEEP_MAX_AXES)
        return os_errorf(err, OS_EFULL, "--grid '%s': at most %d axes", spec, SWEEP_MAX_AXES);
    const char *eq = strchr(spec, '=');
    if (!eq)
        return os_errorf(err, OS_EINVAL, "--grid '%s': expected PATH=V1,V2,...", spec);
    const char *p = spec;
    size_t plen = (size_t)(eq - spec);
    trim(&p, &plen);
    if (plen == 0)
        return os_errorf(err, OS_EINVAL,
                         "--grid '%s': empty PATH before '=' (expected PATH=V1,V2,...)", spec);
    for (size_t a = 0; a < g->naxes; a++)
        if (strlen(g->axes[a].path) == plen && memcmp(g->axes[a].path, p, plen) == 0)
            return os_errorf(err, OS_EINVAL, "--grid '%s': axis '%s' is given twice", spec,
                             g->axes[a].path);

    struct sweep_axis ax = {0};
    ax.path = dup_range(p, plen);
    if (!ax.path)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    size_t cap = 1;
    for (const char *c = eq + 1; *c; c++)
        cap += *c == ',';
    ax.values = calloc(cap, sizeof *ax.values);
    if (!ax.values) {
        axis_free(&ax);
        return os_errorf(err, OS_ENOMEM, "out of memory");
    }
    const char *v = eq + 1;
    for (;;) {
        const char *end = strchr(v, ',');
        size_t vlen = end ? (size_t)(end - v) : strlen(v);
        const char *s = v;
        trim(&s, &vlen);
        if (vlen == 0) {
            size_t k = ax.nvalues + 1;
            axis_free(&ax);
            return os_errorf(err, OS_EINVAL,
                             "--grid '%s': value %zu is empty (expected PATH=V1,V2,...)", spec, k);
        }
        ax.values[ax.nvalues] = dup_range(s, vlen);
        if (!ax.values[ax.nvalues]) {
            axis_free(&ax);
            return os_errorf(err, OS_ENOMEM, "out of memory");
        }
        ax.nvalues++;
        if (!end)
            break;
        v = end + 1;
    }
    if (g->npoints * ax.nvalues > SWEEP_MAX_POINTS) {
        int rc = os_errorf(err, OS_EFULL,
                           "--grid %s=...: the grid would have more than %d points (%zu x %zu)",
                           ax.path, SWEEP_MAX_POINTS, g->npoints, ax.nvalues);
        axis_free(&ax);
        return rc;
    }
    g->npoints *= ax.nvalues;
    g->axes[g->naxes++] = ax;
    return OS_OK;
}

void sweep_grid_point(const struct sweep_grid *g, size_t point, size_t *idx)
{
    for (size_t a = g->naxes; a-- > 0;) {
        idx[a] = point % g->axes[a].nvalues;
        point /= g->axes[a].nvalues;
    }
}

int sweep_grid_set(const struct sweep_grid *g, size_t point, size_t axis, char *buf, size_t len,
                   struct os_error *err)
{
    size_t idx[SWEEP_MAX_AXES];
    sweep_grid_point(g, point, idx);
    const struct sweep_axis *a = &g->axes[axis];
    int w = snprintf(buf, len, "%s=%s", a->path, a->values[idx[axis]]);
    if (w < 0 || (size_t)w >= len)
        return os_errorf(err, OS_EINVAL, "--grid %s: value too long", a->path);
    return OS_OK;
}

int sweep_shard_parse(const char *s, struct sweep_shard *sh, struct os_error *err)
{
    char *end;
    errno = 0;
    long k = strtol(s, &end, 10);
    if (end == s || *end != '/' || !isdigit((unsigned char)s[0]))
        return os_errorf(err, OS_EINVAL, "--shard '%s': expected k/N, e.g. 1/4", s);
    const char *ns = end + 1;
    long n = strtol(ns, &end, 10);
    if (end == ns || *end || !isdigit((unsigned char)ns[0]) || errno)
        return os_errorf(err, OS_EINVAL, "--shard '%s': expected k/N, e.g. 1/4", s);
    if (n < 1 || n > SWEEP_MAX_POINTS || k < 1 || k > n)
        return os_errorf(err, OS_EINVAL, "--shard '%s': expected 1 <= k <= N <= %d", s,
                         SWEEP_MAX_POINTS);
    sh->k = (unsigned)k;
    sh->n = (unsigned)n;
    return OS_OK;
}

bool sweep_shard_has(const struct sweep_shard *sh, size_t point)
{
    return sh->n == 0 || point % sh->n == sh->k - 1;
}

/* ---- table ---- */

int sweep_table_init(struct sweep_table *t, const char *const *axes, size_t naxes,
                     struct os_error *err)
{
    memset(t, 0, sizeof *t);
    if (!axes)
        return OS_OK;
    t->has_axes = true;
    if (naxes == 0)
        return OS_OK;
    t->axes = calloc(naxes, sizeof *t->axes);
    if (!t->axes)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    for (size_t a = 0; a < naxes; a++) {
        t->axes[a] = dup_str(axes[a]);
        t->naxes++;
        if (!t->axes[a]) {
            sweep_table_destroy(t);
            return os_errorf(err, OS_ENOMEM, "out of memory");
        }
    }
    return OS_OK;
}

static void row_free(struct sweep_row *r, size_t naxes)
{
    if (r->axis_values)
        for (size_t a = 0; a < naxes; a++)
            free(r->axis_values[a]);
    free(r->axis_values);
    free(r->variant);
    for (size_t m = 0; m < r->nmetrics; m++) {
        free(r->metrics[m].name);
        free(r->metrics[m].value);
    }
    free(r->metrics);
}

void sweep_table_destroy(struct sweep_table *t)
{
    for (size_t i = 0; i < t->nrows; i++)
        row_free(&t->rows[i], t->naxes);
    free(t->rows);
    for (size_t a = 0; a < t->naxes; a++)
        free(t->axes[a]);
    free(t->axes);
    memset(t, 0, sizeof *t);
}

/* Appends an empty row (axis values and variant copied); NULL when out of memory. */
static struct sweep_row *table_new_row(struct sweep_table *t, size_t point,
                                       const char *const *axis_values, const char *variant,
                                       size_t variant_len)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        struct sweep_row *rows = realloc(t->rows, cap * sizeof *rows);
        if (!rows)
            return NULL;
        t->rows = rows;
        t->cap = cap;
    }
    struct sweep_row *r = &t->rows[t->nrows];
    memset(r, 0, sizeof *r);
    r->point = point;
    r->seq = t->nrows;
    r->axis_values = calloc(t->naxes ? t->naxes : 1, sizeof *r->axis_values);
    r->variant = dup_range(variant, variant_len);
    bool ok = r->axis_values && r->variant;
    for (size_t a = 0; ok && a < t->naxes; a++)
        ok = (r->axis_values[a] = dup_str(axis_values[a])) != NULL;
    if (!ok) {
        row_free(r, t->naxes);
        return NULL;
    }
    t->nrows++;
    return r;
}

static int row_add_metric(struct sweep_row *r, const char *name, const char *value, size_t vlen)
{
    struct sweep_metric *m = realloc(r->metrics, (r->nmetrics + 1) * sizeof *m);
    if (!m)
        return OS_ENOMEM;
    r->metrics = m;
    m[r->nmetrics].name = dup_str(name);
    m[r->nmetrics].value = dup_range(value, vlen);
    if (!m[r->nmetrics].name || !m[r->nmetrics].value) {
        free(m[r->nmetrics].name);
        free(m[r->nmetrics].value);
        return OS_ENOMEM;
    }
    r->nmetrics++;
    return OS_OK;
}

int sweep_table_add_summary(struct sweep_table *t, size_t point, const char *const *axis_values,
                            const cJSON *summary, const char *source, struct os_error *err)
{
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(summary, "variants");
    if (!cJSON_IsArray(vars) || cJSON_GetArraySize(vars) == 0)
        return os_errorf(err, OS_EPARSE, "%s: no \"variants\" array", source);
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
        const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(v, "metrics");
        if (!cJSON_IsString(name) || !cJSON_IsObject(metrics))
            return os_errorf(err, OS_EPARSE, "%s: a variant lacks \"name\" or \"metrics\"", source);
        struct sweep_row *r =
            table_new_row(t, point, axis_values, name->valuestring, strlen(name->valuestring));
        if (!r)
            return os_errorf(err, OS_ENOMEM, "out of memory");
        const cJSON *m;
        cJSON_ArrayForEach(m, metrics)
        {
            if (!cJSON_IsNumber(m))
                continue;
            char num[64];
            format_number(m->valuedouble, num, sizeof num);
            if (row_add_metric(r, m->string, num, strlen(num)) != OS_OK)
                return os_errorf(err, OS_ENOMEM, "out of memory");
        }
    }
    return OS_OK;
}

/* A growable list of fields of one CSV record. */
struct fields {
    char **f;
    size_t n, cap;
};

static void fields_clear(struct fields *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        free(fs->f[i]);
    fs->n = 0;
}

static int fields_push(struct fields *fs, char *s)
{
    if (!s)
        return OS_ENOMEM;
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? 2 * fs->cap : 32;
        char **f = realloc(fs->f, cap * sizeof *f);
        if (!f) {
            free(s);
            return OS_ENOMEM;
        }
        fs->f = f;
        fs->cap = cap;
    }
    fs->f[fs->n++] = s;
    return OS_OK;
}

/* Reads one RFC 4180 record at *pos (quoted fields may hold commas, quotes as
 * "" and newlines; CRLF is accepted). Returns 1 with the fields, 0 at the end
 * of the text, or an error. *line counts lines for messages. */
static int csv_record(const char *s, size_t len, size_t *pos, size_t *line, struct fields *fs,
                      const char *source, struct os_error *err)
{
    fields_clear(fs);
    size_t i = *pos;
    if (i >= len)
        return 0;
    (*line)++;
    size_t rec_line = *line;
    for (;;) {
        if (i < len && s[i] == '"') {
            /* Quoted field: unescape into a buffer. */
            char *buf = malloc(len - i + 1);
            if (!buf)
                return os_errorf(err, OS_ENOMEM, "out of memory");
            size_t n = 0;
            i++;
            for (;;) {
                if (i >= len) {
                    free(buf);
                    return os_errorf(err, OS_EPARSE, "%s:%zu: unterminated quoted field", source,
                                     rec_line);
                }
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        buf[n++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (s[i] == '\n')
                    (*line)++;
                buf[n++] = s[i++];
            }
            buf[n] = '\0';
            if (fields_push(fs, buf) != OS_OK)
                return os_errorf(err, OS_ENOMEM, "out of memory");
            if (i < len && s[i] != ',' && s[i] != '\n' &&
                !(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
                return os_errorf(err, OS_EPARSE, "%s:%zu: text after a closing quote", source,
                                 rec_line);
        } else {
            size_t start = i;
            while (i < len && s[i] != ',' && s[i] != '\n' && s[i] != '\r')
                i++;
            if (i < len && s[i] == '\r' && !(i + 1 < len && s[i + 1] == '\n'))
                return os_errorf(err, OS_EPARSE, "%s:%zu: stray carriage return", source, rec_line);
            if (fields_push(fs, dup_range(s + start, i - start)) != OS_OK)
                return os_errorf(err, OS_ENOMEM, "out of memory");
        }
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        if (i < len && s[i] == '\r')
            i++;
        if (i < len && s[i] == '\n')
            i++;
        break;
    }
    *pos = i;
    return 1;
}

static bool parse_point(const char *s, size_t *out)
{
    if (!*s || strlen(s) > 9)
        return false;
    size_t v = 0;
    for (const char *c = s; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return false;
        v = v * 10 + (size_t)(*c - '0');
    }
    *out = v;
    return true;
}

int sweep_table_parse_csv(struct sweep_table *t, const char *text, size_t len, const char *source,
                          struct os_error *err)
{
    struct fields hdr = {0}, rec = {0};
    size_t pos = 0, line = 0;
    int rc = csv_record(text, len, &pos, &line, &hdr, source, err);
    if (rc == 0)
        rc = os_errorf(err, OS_EPARSE, "%s: empty file (expected a sweep table header)", source);
    if (rc < 0)
        goto out;
    size_t vcol = 0;
    for (size_t i = 1; i < hdr.n; i++)
        if (strcmp(hdr.f[i], "variant") == 0) {
            vcol = i;
            break;
        }
    if (strcmp(hdr.f[0], "point") != 0 || vcol == 0) {
        rc = os_errorf(err, OS_EPARSE,
                       "%s:1: not a sweep table (expected a header point,<axes...>,variant,...)",
                       source);
        goto out;
    }
    size_t naxes = vcol - 1;
    if (!t->has_axes) {
        rc = sweep_table_init(t, (const char *const *)hdr.f + 1, naxes, err);
        if (rc != OS_OK)
            goto out;
    } else {
        bool same = t->naxes == naxes;
        for (size_t a = 0; same && a < naxes; a++)
            same = strcmp(t->axes[a], hdr.f[1 + a]) == 0;
        if (!same) {
            char want[512] = "", got[512] = "";
            for (size_t a = 0; a < t->naxes; a++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", a ? "," : "",
                         t->axes[a]);
            for (size_t a = 0; a < naxes; a++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", a ? "," : "",
                         hdr.f[1 + a]);
            rc = os_errorf(err, OS_EINVAL,
                           "%s: grid axes (%s) differ from those of the other tables (%s)", source,
                           got, want);
            goto out;
        }
    }
    for (size_t i = vcol + 1; i < hdr.n; i++) {
        bool dup = false;
        for (size_t j = vcol + 1; j < i; j++)
            dup = dup || strcmp(hdr.f[i], hdr.f[j]) == 0;
        if (!hdr.f[i][0] || dup) {
            rc = os_errorf(err, OS_EPARSE, "%s:1: empty or repeated metric column '%s'", source,
                           hdr.f[i]);
            goto out;
        }
    }
    for (;;) {
        size_t at = line + 1;
        rc = csv_record(text, len, &pos, &line, &rec, source, err);
        if (rc <= 0)
            break;
        if (rec.n != hdr.n) {
            rc = os_errorf(err, OS_EPARSE, "%s:%zu: expected %zu fields, got %zu", source, at,
                           hdr.n, rec.n);
            break;
        }
        size_t point;
        if (!parse_point(rec.f[0], &point)) {
            rc = os_errorf(err, OS_EPARSE, "%s:%zu: point '%s' is not a point number", source, at,
                           rec.f[0]);
            break;
        }
        struct sweep_row *r = table_new_row(t, point, (const char *const *)rec.f + 1, rec.f[vcol],
                                            strlen(rec.f[vcol]));
        if (!r) {
            rc = os_errorf(err, OS_ENOMEM, "out of memory");
            break;
        }
        for (size_t i = vcol + 1; i < rec.n && rc >= 0; i++)
            if (rec.f[i][0] && row_add_metric(r, hdr.f[i], rec.f[i], strlen(rec.f[i])) != OS_OK)
                rc = os_errorf(err, OS_ENOMEM, "out of memory");
        if (rc < 0)
            break;
    }
out:
    fields_clear(&hdr);
    fields_clear(&rec);
    free(hdr.f);
    free(rec.f);
    return rc < 0 ? rc : OS_OK;
}

static int cmp_row(const void *a, const void *b)
{
    const struct sweep_row *x = a, *y = b;
    if (x->point != y->point)
        return x->point < y->point ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts rows by point, keeping insertion order within a point. */
static void table_sort(struct sweep_table *t)
{
    if (t->nrows)
        qsort(t->rows, t->nrows, sizeof *t->rows, cmp_row);
    for (size_t i = 0; i < t->nrows; i++)
        t->rows[i].seq = i;
}

static void put_field(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            fputc('"', fp);
        fputc(*c, fp);
    }
    fputc('"', fp);
}

int sweep_table_write(struct sweep_table *t, FILE *fp, struct os_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < t->nrows; i++)
        total += t->rows[i].nmetrics;
    const char **names = malloc((total ? total : 1) * sizeof *names);
    if (!names)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < t->nrows; i++)
        for (size_t m = 0; m < t->rows[i].nmetrics; m++)
            names[k++] = t->rows[i].metrics[m].name;
    if (k)
        qsort(names, k, sizeof *names, cmp_str);
    size_t ncols = 0;
    for (size_t i = 0; i < k; i++)
        if (ncols == 0 || strcmp(names[ncols - 1], names[i]) != 0)
            names[ncols++] = names[i];

    table_sort(t);
    fputs("point", fp);
    for (size_t a = 0; a < t->naxes; a++) {
        fputc(',', fp);
        put_field(fp, t->axes[a]);
    }
    fputs(",variant", fp);
    for (size_t c = 0; c < ncols; c++) {
        fputc(',', fp);
        put_field(fp, names[c]);
    }
    fputc('\n', fp);
    for (size_t i = 0; i < t->nrows; i++) {
        const struct sweep_row *r = &t->rows[i];
        fprintf(fp, "%zu", r->point);
        for (size_t a = 0; a < t->naxes; a++) {
            fputc(',', fp);
            put_field(fp, r->axis_values[a]);
        }
        fputc(',', fp);
        put_field(fp, r->variant);
        for (size_t c = 0; c < ncols; c++) {
            fputc(',', fp);
            for (size_t m = 0; m < r->nmetrics; m++)
                if (strcmp(r->metrics[m].name, names[c]) == 0) {
                    put_field(fp, r->metrics[m].value);
                    break;
                }
        }
        fputc('\n', fp);
    }
    free(names);
    if (ferror(fp))
        return os_errorf(err, OS_EIO, "sweep: write failed");
    return OS_OK;
}

int sweep_table_to_text(struct sweep_table *t, char **out, size_t *len, struct os_error *err)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (!m)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    int rc = sweep_table_write(t, m, err);
    if (fclose(m) != 0 && rc == OS_OK)
        rc = os_errorf(err, OS_ENOMEM, "out of memory");
    if (rc != OS_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    if (len)
        *len = n;
    return OS_OK;
}

/* ---- merge ---- */

int sweep_merge_texts(const struct sweep_input *in, size_t n, size_t npoints, char **out,
                      struct os_error *err)
{
    if (n == 0)
        return os_errorf(err, OS_EINVAL, "merge: no shard tables given");
    unsigned N = in[0].shard.n;
    for (size_t i = 0; i < n; i++) {
        const struct sweep_shard *s = &in[i].shard;
        if (s->n == 0 || s->k < 1 || s->k > s->n)
            return os_errorf(err, OS_EINVAL, "merge: %s: not a shard k/N", in[i].name);
        if (s->n != N)
            return os_errorf(err, OS_EINVAL,
                             "merge: %s is shard %u of %u but %s is shard %u of %u: not one sweep",
                             in[0].name, in[0].shard.k, N, in[i].name, s->k, s->n);
    }
    size_t *owner = malloc(N * sizeof *owner);
    if (!owner)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    for (unsigned k = 0; k < N; k++)
        owner[k] = SIZE_MAX;
    int rc = OS_OK;
    for (size_t i = 0; i < n && rc == OS_OK; i++) {
        size_t *o = &owner[in[i].shard.k - 1];
        if (*o != SIZE_MAX)
            rc = os_errorf(err, OS_EINVAL, "merge: shard %u of %u is given twice (%s and %s)",
                           in[i].shard.k, N, in[*o].name, in[i].name);
        *o = i;
    }
    if (rc != OS_OK) {
        free(owner);
        return rc;
    }
    char missing[256] = "";
    unsigned nmissing = 0;
    for (unsigned k = 0; k < N; k++)
        if (owner[k] == SIZE_MAX) {
            size_t used = strlen(missing);
            if (nmissing < 8)
                snprintf(missing + used, sizeof missing - used, "%sshard-%u-of-%u.csv",
                         nmissing ? ", " : "", k + 1, N);
            else if (nmissing == 8)
                snprintf(missing + used, sizeof missing - used, ", ...");
            nmissing++;
        }
    free(owner);
    if (nmissing)
        return os_errorf(err, OS_EINVAL, "merge: %u of %u shards missing: %s", nmissing, N,
                         missing);

    struct sweep_table t;
    sweep_table_init(&t, NULL, 0, err);
    for (size_t i = 0; i < n && rc == OS_OK; i++) {
        size_t first = t.nrows;
        rc = sweep_table_parse_csv(&t, in[i].text, in[i].len, in[i].name, err);
        for (size_t r = first; rc == OS_OK && r < t.nrows; r++)
            if (!sweep_shard_has(&in[i].shard, t.rows[r].point))
                rc = os_errorf(err, OS_EINVAL,
                               "merge: %s: point %zu does not belong to shard %u of %u", in[i].name,
                               t.rows[r].point, in[i].shard.k, N);
    }
    /* Every row's point lies in its input's residue class and every class
     * has one input, so a point can only repeat within one input. */
    if (rc == OS_OK) {
        table_sort(&t);
        size_t expect = 0;
        for (size_t r = 0; r < t.nrows && rc == OS_OK; r++) {
            const struct sweep_row *row = &t.rows[r];
            if (r > 0 && t.rows[r - 1].point == row->point) {
                for (size_t q = r; q-- > 0 && t.rows[q].point == row->point;)
                    if (strcmp(t.rows[q].variant, row->variant) == 0) {
                        rc = os_errorf(err, OS_EINVAL,
                                       "merge: point %zu, variant '%s' appears twice", row->point,
                                       row->variant);
                        break;
                    }
                continue;
            }
            if (row->point != expect)
                rc = os_errorf(err, OS_EINVAL, "merge: point %zu is missing", expect);
            expect = row->point + 1;
        }
        if (rc == OS_OK && npoints && expect < npoints)
            rc = os_errorf(err, OS_EINVAL, "merge: point %zu is missing (the grid has %zu points)",
                           expect, npoints);
        if (rc == OS_OK && npoints && expect > npoints)
            rc = os_errorf(err, OS_EINVAL, "merge: point %zu is beyond the grid's %zu points",
                           expect - 1, npoints);
    }
    if (rc == OS_OK)
        rc = sweep_table_to_text(&t, out, NULL, err);
    sweep_table_destroy(&t);
    return rc;
}

static int read_whole(const char *path, char **out, size_t *len, struct os_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return os_errorf(err, errno == ENOENT ? OS_ENOENT : OS_EIO, "%s: cannot open: %s", path,
                         strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? 2 * cap : 65536;
            char *b = realloc(buf, cap + 1);
            if (!b) {
                free(buf);
                fclose(fp);
                return os_errorf(err, OS_ENOMEM, "out of memory");
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return os_errorf(err, OS_EIO, "%s: read failed", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return OS_OK;
}

/* True when NAME is exactly shard-K-of-N.csv; fills sh. */
static bool shard_file_name(const char *name, struct sweep_shard *sh)
{
    unsigned k, n;
    int used = 0;
    if (sscanf(name, "shard-%u-of-%u.csv%n", &k, &n, &used) != 2 || name[used] != '\0')
        return false;
    char again[64];
    snprintf(again, sizeof again, "shard-%u-of-%u.csv", k, n);
    if (strcmp(again, name) != 0 || n < 1 || k < 1 || k > n)
        return false;
    sh->k = k;
    sh->n = n;
    return true;
}

struct merge_file {
    char path[4096];
    char dir[4096];
    struct sweep_shard shard;
};

static int add_merge_file(struct merge_file **files, size_t *n, size_t *cap, const char *dir,
                          const char *name, const struct sweep_shard *sh, struct os_error *err)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        struct merge_file *f = realloc(*files, c * sizeof *f);
        if (!f)
            return os_errorf(err, OS_ENOMEM, "out of memory");
        *files = f;
        *cap = c;
    }
    struct merge_file *f = &(*files)[*n];
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    snprintf(f->path, sizeof f->path, "%s/%s", dir, name);
    f->shard = *sh;
    (*n)++;
    return OS_OK;
}

static int cmp_merge_file(const void *a, const void *b)
{
    const struct merge_file *x = a, *y = b;
    if (x->shard.n != y->shard.n)
        return x->shard.n < y->shard.n ? -1 : 1;
    if (x->shard.k != y->shard.k)
        return x->shard.k < y->shard.k ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Splits a path into its directory ("." when none) and its last component. */
static void split_path(const char *path, char *dir, size_t dlen, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, dlen, ".");
        *base = path;
    } else if (slash == path) {
        snprintf(dir, dlen, "/");
        *base = slash + 1;
    } else {
        snprintf(dir, dlen, "%.*s", (int)(slash - path), path);
        *base = slash + 1;
    }
}

/* Reads DIR/sweep.json if present: *json stays NULL when it is absent. */
static int read_describe(const char *dir, cJSON **json, struct os_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    *json = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return OS_OK;
    char *text;
    size_t len;
    int rc = read_whole(path, &text, &len, err);
    if (rc != OS_OK)
        return rc;
    *json = cJSON_ParseWithLength(text, len);
    free(text);
    if (!*json)
        return os_errorf(err, OS_EPARSE, "%s: not valid JSON", path);
    return OS_OK;
}

int sweep_merge_files(const char *const *inputs, size_t n, const char *out, struct os_error *err)
{
    struct merge_file *files = NULL;
    size_t nfiles = 0, cap = 0;
    struct sweep_input *in = NULL;
    char **texts = NULL;
    cJSON *describe = NULL;
    const char *describe_from = NULL;
    char *merged = NULL;
    char out_dir[4096];
    const char *out_base = NULL;
    char default_out[4200];
    int rc = OS_OK;

    if (n == 0)
        return os_errorf(err, OS_EINVAL, "merge: give shard directories or shard-K-of-N.csv files");
    for (size_t i = 0; i < n && rc == OS_OK; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0) {
            rc =
                os_errorf(err, OS_ENOENT, "merge: %s: cannot open: %s", inputs[i], strerror(errno));
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(inputs[i]);
            if (!d) {
                rc = os_errorf(err, OS_EIO, "merge: %s: cannot open: %s", inputs[i],
                               strerror(errno));
                break;
            }
            size_t before = nfiles;
            struct dirent *e;
            while (rc == OS_OK && (e = readdir(d)) != NULL) {
                struct sweep_shard sh;
                if (shard_file_name(e->d_name, &sh))
                    rc = add_merge_file(&files, &nfiles, &cap, inputs[i], e->d_name, &sh, err);
            }
            closedir(d);
            if (rc == OS_OK && nfiles == before)
                rc = os_errorf(err, OS_ENOENT, "merge: %s: no shard-K-of-N.csv files in it",
                               inputs[i]);
        } else {
            char dir[4096];
            const char *base;
            struct sweep_shard sh;
            split_path(inputs[i], dir, sizeof dir, &base);
            if (!shard_file_name(base, &sh))
                rc = os_errorf(err, OS_EINVAL,
                               "merge: %s: cannot tell which shard it is (expected a file named "
                               "shard-K-of-N.csv)",
                               inputs[i]);
            else
                rc = add_merge_file(&files, &nfiles, &cap, dir, base, &sh, err);
        }
    }
    if (rc != OS_OK)
        goto out;
    qsort(files, nfiles, sizeof *files, cmp_merge_file);
    /* The same file given twice (a directory and a file in it) counts once. */
    size_t kept = 0;
    for (size_t i = 0; i < nfiles; i++) {
        bool same = false;
        struct stat a, b;
        if (kept && stat(files[kept - 1].path, &a) == 0 && stat(files[i].path, &b) == 0)
            same = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        if (!same)
            files[kept++] = files[i];
    }
    nfiles = kept;

    /* Shards belong to one grid when their sweep.json files agree. */
    for (size_t i = 0; i < nfiles && rc == OS_OK; i++) {
        cJSON *j;
        rc = read_describe(files[i].dir, &j, err);
        if (rc != OS_OK || !j)
            continue;
        if (!describe) {
            describe = j;
            describe_from = files[i].dir;
        } else {
            if (!cJSON_Compare(describe, j, true))
                rc = os_errorf(err, OS_EINVAL,
                               "merge: %s/sweep.json and %s/sweep.json describe different sweeps",
                               describe_from, files[i].dir);
            cJSON_Delete(j);
        }
    }
    if (rc != OS_OK)
        goto out;
    size_t npoints = 0;
    const cJSON *np = describe ? cJSON_GetObjectItemCaseSensitive(describe, "npoints") : NULL;
    if (cJSON_IsNumber(np) && np->valuedouble >= 1)
        npoints = (size_t)np->valuedouble;

    in = calloc(nfiles ? nfiles : 1, sizeof *in);
    texts = calloc(nfiles ? nfiles : 1, sizeof *texts);
    if (!in || !texts) {
        rc = os_errorf(err, OS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nfiles && rc == OS_OK; i++) {
        size_t len;
        rc = read_whole(files[i].path, &texts[i], &len, err);
        in[i] = (struct sweep_input){
            .name = files[i].path, .text = texts[i], .len = len, .shard = files[i].shard};
    }
    if (rc == OS_OK)
        rc = sweep_merge_texts(in, nfiles, npoints, &merged, err);
    if (rc != OS_OK)
        goto out;

    if (!out) {
        struct stat st;
        if (n != 1 || stat(inputs[0], &st) != 0 || !S_ISDIR(st.st_mode)) {
            rc = os_errorf(err, OS_EINVAL, "merge: give the output file with -o OUT.csv");
            goto out;
        }
        snprintf(default_out, sizeof default_out, "%s/sweep.csv", inputs[0]);
        out = default_out;
    }
    split_path(out, out_dir, sizeof out_dir, &out_base);
    if (!*out_base) {
        rc = os_errorf(err, OS_EINVAL, "merge: -o %s: expected a file name", out);
        goto out;
    }
    rc = sweep_write_text(out_dir, out_base, merged, err);
out:
    for (size_t i = 0; texts && i < nfiles; i++)
        free(texts[i]);
    free(texts);
    free(in);
    free(files);
    free(merged);
    cJSON_Delete(describe);
    return rc;
}

int sweep_write_text(const char *dir, const char *name, const char *text, struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, name, err);
    if (rc != OS_OK)
        return rc;
    fputs(text, f.fp);
    return results_file_commit(&f, err);
}

/* ---- running ---- */

/* The overrides of one point: the plain --set ones, then one per axis.
 * sets[] points into owned[] (naxes strings the caller frees). */
static int point_sets(const struct sweep_opts *o, size_t point, const char **sets, char **owned,
                      struct os_error *err)
{
    const struct sweep_grid *g = &o->grid;
    size_t idx[SWEEP_MAX_AXES];
    sweep_grid_point(g, point, idx);
    for (size_t i = 0; i < o->run.nsets; i++)
        sets[i] = o->run.sets[i];
    for (size_t a = 0; a < g->naxes; a++) {
        const struct sweep_axis *ax = &g->axes[a];
        size_t len = strlen(ax->path) + strlen(ax->values[idx[a]]) + 2;
        owned[a] = malloc(len);
        if (!owned[a]) {
            for (size_t b = 0; b < a; b++)
                free(owned[b]);
            return os_errorf(err, OS_ENOMEM, "out of memory");
        }
        snprintf(owned[a], len, "%s=%s", ax->path, ax->values[idx[a]]);
        sets[o->run.nsets + a] = owned[a];
    }
    return OS_OK;
}

static void free_owned(char **owned, size_t n)
{
    for (size_t a = 0; a < n; a++)
        free(owned[a]);
}

/* "--set a=1 --set b=2" for messages (the grid overrides of the point). */
static void point_label(const struct sweep_grid *g, size_t point, char *buf, size_t len)
{
    size_t idx[SWEEP_MAX_AXES];
    sweep_grid_point(g, point, idx);
    buf[0] = '\0';
    for (size_t a = 0; a < g->naxes; a++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s--set %s=%s", a ? " " : "", g->axes[a].path,
                 g->axes[a].values[idx[a]]);
    }
}

static void describe_point_sets(cJSON *arr, const struct sweep_grid *g, size_t point)
{
    size_t idx[SWEEP_MAX_AXES];
    sweep_grid_point(g, point, idx);
    for (size_t a = 0; a < g->naxes; a++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s=%s", g->axes[a].path, g->axes[a].values[idx[a]]);
        cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
    }
}

static cJSON *describe_sweep(const struct sweep_opts *o, const char *name)
{
    const struct sweep_grid *g = &o->grid;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", name);
    cJSON_AddStringToObject(root, "file", o->run.scenario);
    cJSON_AddStringToObject(root, "version", ORCHSIM_VERSION);
    cJSON *sets = cJSON_AddArrayToObject(root, "sets");
    for (size_t i = 0; i < o->run.nsets; i++)
        cJSON_AddItemToArray(sets, cJSON_CreateString(o->run.sets[i]));
    if (o->run.seeds)
        cJSON_AddNumberToObject(root, "seeds", o->run.seeds);
    cJSON *axes = cJSON_AddArrayToObject(root, "axes");
    for (size_t a = 0; a < g->naxes; a++) {
        cJSON *ax = cJSON_CreateObject();
        cJSON_AddStringToObject(ax, "path", g->axes[a].path);
        cJSON *vals = cJSON_AddArrayToObject(ax, "values");
        for (size_t v = 0; v < g->axes[a].nvalues; v++)
            cJSON_AddItemToArray(vals, cJSON_CreateString(g->axes[a].values[v]));
        cJSON_AddItemToArray(axes, ax);
    }
    cJSON_AddNumberToObject(root, "npoints", (double)g->npoints);
    cJSON *points = cJSON_AddArrayToObject(root, "points");
    for (size_t p = 0; p < g->npoints; p++) {
        cJSON *jp = cJSON_CreateObject();
        cJSON_AddNumberToObject(jp, "point", (double)p);
        char dir[64];
        snprintf(dir, sizeof dir, "points/%zu", p);
        cJSON_AddStringToObject(jp, "dir", dir);
        describe_point_sets(cJSON_AddArrayToObject(jp, "set"), g, p);
        cJSON_AddItemToArray(points, jp);
    }
    return root;
}

int sweep_check(const struct sweep_opts *o, struct sweep_plan *plan, struct schema_diag *d)
{
    memset(plan, 0, sizeof *plan);
    const struct sweep_grid *g = &o->grid;
    size_t nsets = o->run.nsets + g->naxes;
    struct scenario *sc = malloc(sizeof *sc);
    struct schema_diag *pd = malloc(sizeof *pd);
    const char **sets = malloc((nsets ? nsets : 1) * sizeof *sets);
    char *owned[SWEEP_MAX_AXES];
    /* Distinct problems seen so far: one shared by many points is reported once. */
    char(*seen)[512] = calloc(SCHEMA_DIAG_MAX, sizeof *seen);
    unsigned nseen = 0, repeats = 0;
    if (!sc || !pd || !sets || !seen) {
        schema_diag_add(d, "orchsim: sweep: out of memory");
        goto out;
    }
    for (size_t p = 0; p < g->npoints && d->n < SCHEMA_DIAG_MAX; p++) {
        struct os_error err;
        if (point_sets(o, p, sets, owned, &err) != OS_OK) {
            schema_diag_add(d, "%s", err.msg);
            break;
        }
        memset(pd, 0, sizeof *pd);
        int rc = scenario_load(o->run.scenario, sets, nsets, sc, pd);
        if (rc == OS_OK)
            orchestrator_check(sc, pd);
        free_owned(owned, g->naxes);
        if (pd->n == 0) {
            if (p == 0)
                snprintf(plan->name, sizeof plan->name, "%s", sc->name);
            continue;
        }
        char label[1024];
        point_label(g, p, label, sizeof label);
        unsigned shown = pd->n < SCHEMA_DIAG_MAX ? pd->n : SCHEMA_DIAG_MAX;
        for (unsigned i = 0; i < shown; i++) {
            bool dup = false;
            for (unsigned s = 0; s < nseen && !dup; s++)
                dup = strcmp(seen[s], pd->line[i]) == 0;
            if (dup) {
                repeats++;
                continue;
            }
            if (nseen < SCHEMA_DIAG_MAX)
                memcpy(seen[nseen++], pd->line[i], sizeof seen[0]);
            if (g->naxes)
                schema_diag_add(d, "sweep point %zu (%s): %s", p, label, pd->line[i]);
            else
                schema_diag_add(d, "sweep point %zu: %s", p, pd->line[i]);
        }
    }
    if (d->n && repeats)
        schema_diag_add(d, "(the same %s at %u other grid point%s)",
                        repeats == 1 ? "problem recurs" : "problems recur", repeats,
                        repeats == 1 ? "" : "s");
    if (d->n == 0) {
        if (o->run.out_dir)
            snprintf(plan->dir, sizeof plan->dir, "%s", o->run.out_dir);
        else
            snprintf(plan->dir, sizeof plan->dir, "results/%s-sweep", plan->name);
        plan->describe = describe_sweep(o, plan->name);
        if (!plan->describe)
            schema_diag_add(d, "orchsim: sweep: out of memory");
    }
out:
    free(seen);
    free(sets);
    free(pd);
    free(sc);
    return d->n ? OS_EINVAL : OS_OK;
}

void sweep_plan_destroy(struct sweep_plan *plan)
{
    cJSON_Delete(plan->describe);
    plan->describe = NULL;
}

int sweep_prepare_dir(const struct sweep_plan *plan, struct os_error *err)
{
    char points[4200];
    snprintf(points, sizeof points, "%s/points", plan->dir);
    int rc = results_mkdir(points, err);
    if (rc == OS_OK)
        rc = results_write_json(plan->dir, "sweep.json", plan->describe, err);
    return rc;
}

static void point_dir(const struct sweep_plan *plan, size_t point, char *buf, size_t len)
{
    snprintf(buf, len, "%s/points/%zu", plan->dir, point);
}

/* Runs one point in this process into DIR/points/<point>/. */
static int run_point(const struct sweep_opts *o, const struct sweep_plan *plan, size_t point,
                     int jobs, struct os_error *err)
{
    size_t nsets = o->run.nsets + o->grid.naxes;
    struct scenario *sc = malloc(sizeof *sc);
    struct schema_diag *d = calloc(1, sizeof *d);
    const char **sets = malloc((nsets ? nsets : 1) * sizeof *sets);
    char *owned[SWEEP_MAX_AXES];
    int rc;
    if (!sc || !d || !sets) {
        rc = os_errorf(err, OS_ENOMEM, "out of memory");
        goto out;
    }
    rc = point_sets(o, point, sets, owned, err);
    if (rc != OS_OK)
        goto out;
    rc = scenario_load(o->run.scenario, sets, nsets, sc, d);
    free_owned(owned, o->grid.naxes);
    if (rc != OS_OK) {
        /* Checked up front; only a file changed since can get here. */
        rc = os_errorf(err, rc, "%s", d->n ? d->line[0] : "cannot load the scenario");
        goto out;
    }
    if (o->run.seeds)
        sc->seeds = o->run.seeds;
    char dir[4200];
    point_dir(plan, point, dir, sizeof dir);
    struct run_opts ro = {.scenario = o->run.scenario, .out_dir = dir, .jobs = jobs, .quiet = true};
    rc = orchestrator_run(sc, &ro, err);
out:
    free(sets);
    free(d);
    free(sc);
    return rc;
}

/* Appends the rows of one finished point (its summary.json) to t. */
static int collect_point(struct sweep_table *t, const struct sweep_opts *o,
                         const struct sweep_plan *plan, size_t point, struct os_error *err)
{
    char dir[4200], path[4300];
    point_dir(plan, point, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *text;
    size_t len;
    int rc = read_whole(path, &text, &len, err);
    if (rc != OS_OK)
        return rc;
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    if (!j)
        return os_errorf(err, OS_EPARSE, "%s: not valid JSON", path);
    size_t idx[SWEEP_MAX_AXES];
    const char *vals[SWEEP_MAX_AXES];
    sweep_grid_point(&o->grid, point, idx);
    for (size_t a = 0; a < o->grid.naxes; a++)
        vals[a] = o->grid.axes[a].values[idx[a]];
    rc = sweep_table_add_summary(t, point, vals, j, path, err);
    cJSON_Delete(j);
    return rc;
}

static void report_point_failure(const struct sweep_opts *o, size_t point, const char *msg)
{
    char label[1024];
    point_label(&o->grid, point, label, sizeof label);
    fprintf(stderr, "orchsim: sweep point %zu%s%s%s: %s\n", point, *label ? " (" : "", label,
            *label ? ")" : "", msg);
}

static void report_done(const struct sweep_opts *o, size_t point, size_t done, size_t total,
                        double wall)
{
    if (o->run.quiet)
        return;
    char label[1024];
    point_label(&o->grid, point, label, sizeof label);
    fprintf(stderr, "orchsim: sweep: [%zu/%zu] point %zu%s%s%s done in %.2f s\n", done, total,
            point, *label ? " (" : "", label, *label ? ")" : "", wall);
}

int sweep_run_points(const struct sweep_opts *o, const struct sweep_plan *plan, unsigned r,
                     unsigned n, unsigned workers, int point_jobs, char **csv, struct os_error *err)
{
    const struct sweep_grid *g = &o->grid;
    struct sweep_shard sel = {.k = r + 1, .n = n};
    size_t nsel = 0;
    for (size_t p = 0; p < g->npoints; p++)
        nsel += sweep_shard_has(&sel, p);
    size_t *points = malloc((nsel ? nsel : 1) * sizeof *points);
    pid_t *pids = malloc((workers ? workers : 1) * sizeof *pids);
    size_t *slot_point = malloc((workers ? workers : 1) * sizeof *slot_point);
    double *slot_t0 = malloc((workers ? workers : 1) * sizeof *slot_t0);
    const char **axes = calloc(g->naxes ? g->naxes : 1, sizeof *axes);
    struct sweep_table t = {0};
    int rc = OS_OK;
    if (!points || !pids || !slot_point || !slot_t0 || !axes) {
        rc = os_errorf(err, OS_ENOMEM, "out of memory");
        goto out;
    }
    nsel = 0;
    for (size_t p = 0; p < g->npoints; p++)
        if (sweep_shard_has(&sel, p))
            points[nsel++] = p;
    if (workers < 1)
        workers = 1;
    if (workers > nsel)
        workers = nsel ? (unsigned)nsel : 1;
    if (point_jobs < 0)
        point_jobs = workers > 1 ? 1 : 0;

    size_t failed = 0, first_failed = 0, done = 0;
    if (workers == 1) {
        for (size_t i = 0; i < nsel; i++) {
            struct os_error perr;
            double t0 = bench_now_s();
            if (run_point(o, plan, points[i], point_jobs, &perr) != OS_OK) {
                report_point_failure(o, points[i], perr.msg);
                failed = 1;
                first_failed = points[i];
                break;
            }
            report_done(o, points[i], ++done, nsel, bench_now_s() - t0);
        }
    } else {
        /* A pool of forked workers, one point each; stop starting new points
         * after the first failure, but wait for those running. */
        size_t next = 0;
        unsigned running = 0;
        for (unsigned s = 0; s < workers; s++)
            pids[s] = 0;
        while (next < nsel || running > 0) {
            while (!failed && running < workers && next < nsel) {
                unsigned s = 0;
                while (pids[s] != 0)
                    s++;
                fflush(stdout);
                fflush(stderr);
                pid_t pid = fork();
                if (pid < 0) {
                    report_point_failure(o, points[next], strerror(errno));
                    failed++;
                    first_failed = points[next];
                    break;
                }
                if (pid == 0) {
                    struct os_error perr;
                    int prc = run_point(o, plan, points[next], point_jobs, &perr);
                    if (prc != OS_OK)
                        report_point_failure(o, points[next], perr.msg);
                    fflush(stderr);
                    _exit(prc == OS_OK ? 0 : 1);
                }
                pids[s] = pid;
                slot_point[s] = points[next];
                slot_t0[s] = bench_now_s();
                running++;
                next++;
            }
            if (running == 0)
                break;
            int status;
            pid_t pid = waitpid(-1, &status, 0);
            if (pid < 0) {
                if (errno == EINTR)
                    continue;
                rc = os_errorf(err, OS_EIO, "sweep: waitpid: %s", strerror(errno));
                goto out;
            }
            unsigned s = 0;
            while (s < workers && pids[s] != pid)
                s++;
            if (s == workers)
                continue; /* not one of ours */
            pids[s] = 0;
            running--;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                report_done(o, slot_point[s], ++done, nsel, bench_now_s() - slot_t0[s]);
            } else {
                if (!WIFEXITED(status))
                    report_point_failure(o, slot_point[s], "the worker process died");
                if (!failed || slot_point[s] < first_failed)
                    first_failed = slot_point[s];
                failed++;
            }
        }
    }
    if (failed) {
        rc =
            os_errorf(err, OS_EIO, "sweep: %zu point%s failed (first: point %zu); no table written",
                      failed, failed == 1 ? "" : "s", first_failed);
        goto out;
    }
    for (size_t a = 0; a < g->naxes; a++)
        axes[a] = g->axes[a].path;
    rc = sweep_table_init(&t, axes, g->naxes, err);
    for (size_t i = 0; rc == OS_OK && i < nsel; i++)
        rc = collect_point(&t, o, plan, points[i], err);
    if (rc == OS_OK)
        rc = sweep_table_to_text(&t, csv, NULL, err);
out:
    sweep_table_destroy(&t);
    free(axes);
    free(slot_t0);
    free(slot_point);
    free(pids);
    free(points);
    return rc;
}

int sweep_run(const struct sweep_opts *o, struct schema_diag *d, struct os_error *err)
{
    struct sweep_plan plan;
    int rc = sweep_check(o, &plan, d);
    if (rc != OS_OK)
        return rc;
    rc = sweep_prepare_dir(&plan, err);
    if (rc != OS_OK)
        goto out;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned workers = o->run.jobs > 0 ? (unsigned)o->run.jobs : (cpus > 0 ? (unsigned)cpus : 1);
    unsigned r = o->shard.n ? o->shard.k - 1 : 0;
    char *csv = NULL;
    rc = sweep_run_points(o, &plan, r, o->shard.n, workers, -1, &csv, err);
    if (rc != OS_OK)
        goto out;
    char name[64];
    if (o->shard.n)
        snprintf(name, sizeof name, "shard-%u-of-%u.csv", o->shard.k, o->shard.n);
    else
        snprintf(name, sizeof name, "sweep.csv");
    rc = sweep_write_text(plan.dir, name, csv, err);
    free(csv);
    if (rc == OS_OK && !o->run.quiet)
        fprintf(stderr, "orchsim: sweep: %s/%s written\n", plan.dir, name);
out:
    sweep_plan_destroy(&plan);
    return rc;
}
