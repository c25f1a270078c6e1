/*
 * trace.c - streaming trace readers (libcsv) and trace statistics (GSL).
 *
 * How a row travels. trace_pull_row() reads the file in chunks of chunk_cap
 * bytes and gives libcsv one *segment* at a time: the bytes up to and including
 * the next CR or LF (or the rest of the chunk). libcsv ends a row only at an
 * unquoted CR or LF, so one csv_parse() call completes at most one row. The
 * libcsv callbacks copy that row's fields into r->row_buf, and feeding stops
 * until the row has been converted. That one-row slot is the bounded queue
 * between the parser and the typed conversion: nothing is allocated per row and
 * memory does not depend on the file's length.
 *
 * The same segmenting gives line numbers: r->line_next counts the LFs fed so
 * far, and a row starts on the line where a segment begins while libcsv is
 * between rows (csv_parser.pstate == 0, ROW_NOT_BEGUN in libcsv.c; the field is
 * part of csv.h's public struct). Lines are counted by LF only.
 *
 * libcsv keeps the field being parsed in its own growing buffer. The realloc
 * function we give it refuses to grow beyond TRACE_FIELD_LIMIT, which bounds
 * that buffer; a longer field stops the reader with an error, even in skip mode,
 * because libcsv cannot resume in the middle of a field. Fields that fit libcsv
 * but not the row buffer make the row malformed (skippable).
 *
 * libcsv runs in its lenient mode (quotes are honoured, a stray quote is kept
 * as text) with space trimming switched off, so " 12" is not a number. All the
 * checking of values is done here, per column, by the typed converters.
 */
#include "sim/trace.h"

#include <errno.h>
#include <gsl/gsl_rstat.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Largest time in seconds whose microsecond count fits in int64_t. */
#define TRACE_MAX_SECONDS    (INT64_MAX / 1000000)
#define TRACE_MAX_SECONDS_FP 9.2e12
#define TRACE_GOT_CHARS      64 /* rendering of a bad value in a message */

/* ---- format descriptions ------------------------------------------------ */

static const char *const trace_openb_node_cols[] = {"sn", "cpu_milli", "memory_mib", "gpu",
                                                    "model"};
static const char *const trace_openb_pod_cols[] = {
    "name", "cpu_milli", "memory_mib",    "num_gpu",       "gpu_milli",     "gpu_spec",
    "qos",  "pod_phase", "creation_time", "deletion_time", "scheduled_time"};
static const char *const trace_dlrm_cols[] = {"instance_sn",   "role",
                                              "app_name",      "cpu_request",
                                              "cpu_limit",     "gpu_request",
                                              "gpu_limit",     "rdma_request",
                                              "rdma_limit",    "memory_request",
                                              "memory_limit",  "disk_request",
                                              "disk_limit",    "max_instance_per_node",
                                              "creation_time", "scheduled_time",
                                              "deletion_time"};
static const char *const trace_azure_llm_cols[] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
static const char *const trace_spot_price_cols[] = {"instance_type",      "region",
                                                    "availability_zone",  "epoch_s",
                                                    "timestamp_utc",      "spot_price_usd_per_hour",
                                                    "product_description"};
static const char *const trace_philly_cols[] = {"runtime"};
static const char *const trace_pai_machine_cols[] = {"machine", "gpu_type", "cap_cpu", "cap_mem",
                                                     "cap_gpu"};

static const struct trace_column trace_openb_node_values[] = {
    {"cpu_milli", false, false}, {"memory_mib", false, false}, {"gpu", false, false}};
static const struct trace_column trace_openb_pod_values[] = {
    {"cpu_milli", false, false},      {"memory_mib", false, false},
    {"num_gpu", false, false},        {"gpu_milli", false, false},
    {"creation_time_s", true, false}, {"deletion_time_s", true, false},
    {"scheduled_time_s", true, false}};
static const struct trace_column trace_dlrm_values[] = {
    {"cpu_request_milli", false, false},     {"cpu_limit_milli", false, false},
    {"gpu_request", false, false},           {"gpu_limit", false, false},
    {"rdma_request_pct", false, false},      {"rdma_limit_pct", false, false},
    {"memory_request_mib", false, false},    {"memory_limit_mib", false, false},
    {"disk_request_mib", false, false},      {"disk_limit_mib", false, false},
    {"max_instance_per_node", false, false}, {"creation_time_s", true, false},
    {"scheduled_time_s", true, false},       {"deletion_time_s", true, false}};
static const struct trace_column trace_azure_llm_values[] = {{"TIMESTAMP_s", true, true},
                                                             {"ContextTokens", false, false},
                                                             {"GeneratedTokens", false, false}};
static const struct trace_column trace_spot_price_values[] = {
    {"epoch_s", true, true}, {"spot_price_usd_per_hour", false, false}};
static const struct trace_column trace_philly_values[] = {{"runtime_s", false, false}};
static const struct trace_column trace_pai_machine_values[] = {
    {"cpu_milli", false, false}, {"memory_mib", false, false}, {"num_gpu", false, false}};

typedef int (*trace_convert_fn)(const struct trace_reader *r, struct trace_record *rec,
                                struct os_error *err);
typedef void (*trace_view_fn)(const struct trace_record *rec, struct trace_values *out);

/* What the reader needs to know about one format. */
struct trace_desc {
    const char *name;
    const char *const *cols; /* column names in file order (the header, if any) */
    int ncols;
    int ncols_short; /* openb_pod: the 5-column variant (a prefix of cols); 0 = none */
    bool has_header; /* false: the first line is data */
    const struct trace_column *values;
    int nvalues;
    trace_convert_fn convert;
    trace_view_fn view;
};

#define TRACE_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int trace_conv_openb_node(const struct trace_reader *, struct trace_record *,
                                 struct os_error *);
static int trace_conv_openb_pod(const struct trace_reader *, struct trace_record *,
                                struct os_error *);
static int trace_conv_dlrm(const struct trace_reader *, struct trace_record *, struct os_error *);
static int trace_conv_azure_llm(const struct trace_reader *, struct trace_record *,
                                struct os_error *);
static int trace_conv_spot_price(const struct trace_reader *, struct trace_record *,
                                 struct os_error *);
static int trace_conv_philly(const struct trace_reader *, struct trace_record *, struct os_error *);
static int trace_conv_pai_machine(const struct trace_reader *, struct trace_record *,
                                  struct os_error *);
static void trace_view_openb_node(const struct trace_record *, struct trace_values *);
static void trace_view_openb_pod(const struct trace_record *, struct trace_values *);
static void trace_view_dlrm(const struct trace_record *, struct trace_values *);
static void trace_view_azure_llm(const struct trace_record *, struct trace_values *);
static void trace_view_spot_price(const struct trace_record *, struct trace_values *);
static void trace_view_philly(const struct trace_record *, struct trace_values *);
static void trace_view_pai_machine(const struct trace_record *, struct trace_values *);

static const struct trace_desc trace_descs[TRACE_FORMAT_COUNT] = {
    [TRACE_OPENB_NODE] = {"openb_node", trace_openb_node_cols, TRACE_LEN(trace_openb_node_cols), 0,
                          true, trace_openb_node_values, TRACE_LEN(trace_openb_node_values),
                          trace_conv_openb_node, trace_view_openb_node},
    [TRACE_OPENB_POD] = {"openb_pod", trace_openb_pod_cols, TRACE_LEN(trace_openb_pod_cols), 5,
                         true, trace_openb_pod_values, TRACE_LEN(trace_openb_pod_values),
                         trace_conv_openb_pod, trace_view_openb_pod},
    [TRACE_DLRM] = {"dlrm", trace_dlrm_cols, TRACE_LEN(trace_dlrm_cols), 0, true, trace_dlrm_values,
                    TRACE_LEN(trace_dlrm_values), trace_conv_dlrm, trace_view_dlrm},
    [TRACE_AZURE_LLM] = {"azure_llm", trace_azure_llm_cols, TRACE_LEN(trace_azure_llm_cols), 0,
                         true, trace_azure_llm_values, TRACE_LEN(trace_azure_llm_values),
                         trace_conv_azure_llm, trace_view_azure_llm},
    [TRACE_SPOT_PRICE] = {"spot_price", trace_spot_price_cols, TRACE_LEN(trace_spot_price_cols), 0,
                          true, trace_spot_price_values, TRACE_LEN(trace_spot_price_values),
                          trace_conv_spot_price, trace_view_spot_price},
    [TRACE_PHILLY] = {"philly", trace_philly_cols, TRACE_LEN(trace_philly_cols), 0, true,
                      trace_philly_values, TRACE_LEN(trace_philly_values), trace_conv_philly,
                      trace_view_philly},
    [TRACE_PAI_MACHINE] = {"pai_machine", trace_pai_machine_cols, TRACE_LEN(trace_pai_machine_cols),
                           0, false, trace_pai_machine_values, TRACE_LEN(trace_pai_machine_values),
                           trace_conv_pai_machine, trace_view_pai_machine},
};

static const char *const trace_qos_names[] = {"LS", "BE", "Burstable", "Guaranteed"};
static const char *const trace_phase_names[] = {"Running", "Succeeded", "Failed", "Pending"};
static const char *const trace_role_names[] = {"CN", "HN"};

/* ---- small helpers ------------------------------------------------------ */

/* Copies SRC into DST (capacity CAP > 0), cutting it if needed. */
static void trace_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/*
 * Writes a printable, bounded rendering of S[0..len) into DST (CAP >= 8): bytes
 * outside 0x20..0x7e become \0 or \xHH, and text that does not fit is cut and
 * marked with "...".
 */
static void trace_render(char *dst, size_t cap, const char *s, size_t len)
{
    size_t pos = 0;
    size_t room = cap - 4; /* keep space for "..." and the NUL */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        size_t n;
        if (c >= 0x20 && c < 0x7f) {
            tmp[0] = (char)c;
            n = 1;
        } else if (c == 0) {
            memcpy(tmp, "\\0", 2);
            n = 2;
        } else {
            n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", c);
        }
        if (pos + n > room) {
            memcpy(dst + pos, "...", 3);
            pos += 3;
            break;
        }
        memcpy(dst + pos, tmp, n);
        pos += n;
    }
    dst[pos] = '\0';
}

/* Joins NAMES with SEP into DST (for messages). */
static void trace_join(char *dst, size_t cap, const char *const *names, int n, const char *sep)
{
    size_t pos = 0;
    dst[0] = '\0';
    for (int i = 0; i < n && pos + 1 < cap; i++) {
        int w = snprintf(dst + pos, cap - pos, "%s%s", i ? sep : "", names[i]);
        if (w < 0)
            break;
        pos += (size_t)w;
    }
}

/* Parses a whole decimal integer: optional '-', digits, nothing else. */
static bool trace_parse_i64(const char *s, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/*
 * Parses a whole decimal number: [-]digits[.digits][(e|E)[+|-]digits], with at
 * least one mantissa digit, finite. strtod() alone would also take hex, "inf",
 * "nan" and leading spaces, none of which belongs in these traces.
 */
static bool trace_parse_double(const char *s, double *out)
{
    const char *p = s;
    int digits = 0;
    if (*p == '-')
        p++;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        int exp_digits = 0;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        for (; *p >= '0' && *p <= '9'; p++)
            exp_digits++;
        if (exp_digits == 0)
            return false;
    }
    if (*p != '\0')
        return false;
    char *end;
    double v = strtod(s, &end);
    if (end != p || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool trace_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int64_t trace_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int trace_days_in_month(int64_t y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : mdays[m - 1];
}

/*
 * Parses `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1-9 fractional digits
 * into microseconds since 1970-01-01 00:00:00 (no time zone; the Azure trace
 * does not state one). Fractions finer than a microsecond round half up.
 */
static bool trace_parse_timestamp(const char *s, int64_t *us)
{
    int y, mo, d, h, mi, se;
    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' ||
        s[16] != ':')
        return false;
    if (!trace_digits(s, 4, &y) || !trace_digits(s + 5, 2, &mo) || !trace_digits(s + 8, 2, &d) ||
        !trace_digits(s + 11, 2, &h) || !trace_digits(s + 14, 2, &mi) ||
        !trace_digits(s + 17, 2, &se))
        return false;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
        return false;
    if (d > trace_days_in_month(y, mo))
        return false;
    int64_t ns = 0;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9' && n < 9; p++, n++)
            ns = ns * 10 + (*p - '0');
        if (n == 0)
            return false;
        for (; n < 9; n++)
            ns *= 10;
    }
    if (*p != '\0')
        return false;
    int64_t secs = trace_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    *us = secs * 1000000 + (ns + 500) / 1000;
    return true;
}

/* ---- row fields and typed column readers --------------------------------- */

static const char *trace_fld(const struct trace_reader *r, int col)
{
    return r->row_buf + r->field_off[col];
}

/* Fills err with the standard malformed-column message and returns OS_EPARSE. */
static int trace_bad(const struct trace_reader *r, int col, const char *expected,
                     struct os_error *err)
{
    char got[TRACE_GOT_CHARS];
    trace_render(got, sizeof got, trace_fld(r, col), r->field_len[col]);
    return os_errorf(err, OS_EPARSE, "%s:%lld: column %s (%d): expected %s, got '%s'", r->path,
                     (long long)r->row_line, trace_descs[r->fmt].cols[col], col + 1, expected, got);
}

/* Checks that the field has no NUL byte (libcsv passes NULs through). */
static int trace_check_nul(const struct trace_reader *r, int col, struct os_error *err)
{
    if (strlen(trace_fld(r, col)) != r->field_len[col])
        return trace_bad(r, col, "text without NUL bytes", err);
    return 0;
}

/* Copies a text column into DST (capacity CAP); REQUIRED rejects "". */
static int trace_get_text(const struct trace_reader *r, int col, bool required, char *dst,
                          size_t cap, struct os_error *err)
{
    int rc = trace_check_nul(r, col, err);
    if (rc)
        return rc;
    size_t len = r->field_len[col];
    if (required && len == 0)
        return trace_bad(r, col, "a non-empty value", err);
    if (len >= cap) {
        char what[64];
        snprintf(what, sizeof what, "at most %zu bytes", cap - 1);
        return trace_bad(r, col, what, err);
    }
    memcpy(dst, trace_fld(r, col), len + 1);
    return 0;
}

/* Reads an integer column in [lo, hi]. */
static int trace_get_int(const struct trace_reader *r, int col, int64_t lo, int64_t hi,
                         int64_t *out, struct os_error *err)
{
    int64_t v;
    if (trace_parse_i64(trace_fld(r, col), &v) && v >= lo && v <= hi &&
        strlen(trace_fld(r, col)) == r->field_len[col]) {
        *out = v;
        return 0;
    }
    char what[80];
    if (lo == 0 && hi == INT64_MAX)
        snprintf(what, sizeof what, "a non-negative integer");
    else if (lo == 0)
        snprintf(what, sizeof what, "a non-negative integer up to %lld", (long long)hi);
    else
        snprintf(what, sizeof what, "an integer in [%lld, %lld]", (long long)lo, (long long)hi);
    return trace_bad(r, col, what, err);
}

static int trace_get_i32(const struct trace_reader *r, int col, int32_t lo, int32_t hi,
                         int32_t *out, struct os_error *err)
{
    int64_t v;
    int rc = trace_get_int(r, col, lo, hi, &v, err);
    if (rc == 0)
        *out = (int32_t)v;
    return rc;
}

/* Reads a non-negative integer column and multiplies it by SCALE (1000 for
 * cores -> milli-cores, 1024 for GiB -> MiB), without overflow. */
static int trace_get_scaled(const struct trace_reader *r, int col, int64_t scale, int64_t *out,
                            struct os_error *err)
{
    int rc = trace_get_int(r, col, 0, INT64_MAX / scale, out, err);
    if (rc == 0)
        *out *= scale;
    return rc;
}

/* Reads a decimal number column in [0, hi]. */
static int trace_get_number(const struct trace_reader *r, int col, double hi, const char *what,
                            double *out, struct os_error *err)
{
    double v;
    if (strlen(trace_fld(r, col)) == r->field_len[col] &&
        trace_parse_double(trace_fld(r, col), &v) && v >= 0 && v <= hi) {
        *out = v;
        return 0;
    }
    return trace_bad(r, col, what, err);
}

/*
 * Reads a time or duration in seconds and stores microseconds in *us. INTEGRAL
 * requires an integer; otherwise a decimal number is rounded to the nearest
 * microsecond. OPTIONAL accepts "" and then sets *has = false and *us = -1.
 */
static int trace_get_seconds(const struct trace_reader *r, int col, bool integral, bool optional,
                             bool *has, int64_t *us, struct os_error *err)
{
    if (optional && r->field_len[col] == 0) {
        *has = false;
        *us = -1;
        return 0;
    }
    if (has)
        *has = true;
    if (integral) {
        int64_t s;
        int rc = trace_get_int(r, col, 0, TRACE_MAX_SECONDS, &s, err);
        if (rc == 0)
            *us = s * 1000000;
        return rc;
    }
    double v;
    int rc = trace_get_number(r, col, TRACE_MAX_SECONDS_FP,
                              optional ? "a non-negative number of seconds or empty"
                                       : "a non-negative number of seconds",
                              &v, err);
    if (rc == 0)
        *us = llround(v * 1e6);
    return rc;
}

/* Reads a GiB column (decimal) as MiB, rounded to the nearest MiB. */
static int trace_get_gib_as_mib(const struct trace_reader *r, int col, int64_t *mib,
                                struct os_error *err)
{
    double v;
    int rc = trace_get_number(r, col, 1e12, "a non-negative number of GiB", &v, err);
    if (rc == 0)
        *mib = llround(v * 1024.0);
    return rc;
}

/* Reads a column that must be one of NAMES[0..n); *out = index + BASE. */
static int trace_get_enum(const struct trace_reader *r, int col, const char *const *names, int n,
                          int base, int *out, struct os_error *err)
{
    const char *f = trace_fld(r, col);
    if (strlen(f) == r->field_len[col]) {
        for (int i = 0; i < n; i++) {
            if (strcmp(f, names[i]) == 0) {
                *out = i + base;
                return 0;
            }
        }
    }
    char what[128];
    char list[96];
    trace_join(list, sizeof list, names, n, ", ");
    snprintf(what, sizeof what, "one of %s", list);
    return trace_bad(r, col, what, err);
}

/* ---- per-format conversion ---------------------------------------------- */

static int trace_conv_openb_node(const struct trace_reader *r, struct trace_record *rec,
                                 struct os_error *err)
{
    struct trace_openb_node *n = &rec->openb_node;
    int rc = trace_get_text(r, 0, true, n->sn, sizeof n->sn, err);
    if (!rc)
        rc = trace_get_int(r, 1, 0, INT64_MAX, &n->cpu_milli, err);
    if (!rc)
        rc = trace_get_int(r, 2, 0, INT64_MAX, &n->memory_mib, err);
    if (!rc)
        rc = trace_get_i32(r, 3, 0, INT32_MAX, &n->num_gpu, err);
    if (!rc)
        rc = trace_get_text(r, 4, false, n->model, sizeof n->model, err);
    return rc;
}

static int trace_conv_openb_pod(const struct trace_reader *r, struct trace_record *rec,
                                struct os_error *err)
{
    struct trace_openb_pod *p = &rec->openb_pod;
    int qos = TRACE_QOS_NONE, phase = TRACE_PHASE_NONE;
    p->creation_us = p->deletion_us = p->scheduled_us = -1;
    p->has_times = r->ncols == trace_descs[TRACE_OPENB_POD].ncols;
    int rc = trace_get_text(r, 0, true, p->name, sizeof p->name, err);
    if (!rc)
        rc = trace_get_int(r, 1, 0, INT64_MAX, &p->cpu_milli, err);
    if (!rc)
        rc = trace_get_int(r, 2, 0, INT64_MAX, &p->memory_mib, err);
    if (!rc)
        rc = trace_get_i32(r, 3, 0, INT32_MAX, &p->num_gpu, err);
    if (!rc)
        rc = trace_get_i32(r, 4, 0, 1000, &p->gpu_milli, err);
    if (rc || !p->has_times)
        return rc;
    rc = trace_get_text(r, 5, false, p->gpu_spec, sizeof p->gpu_spec, err);
    if (!rc)
        rc = trace_get_enum(r, 6, trace_qos_names, TRACE_LEN(trace_qos_names), TRACE_QOS_LS, &qos,
                            err);
    if (!rc)
        rc = trace_get_enum(r, 7, trace_phase_names, TRACE_LEN(trace_phase_names),
                            TRACE_PHASE_RUNNING, &phase, err);
    if (!rc)
        rc = trace_get_seconds(r, 8, true, false, NULL, &p->creation_us, err);
    if (!rc)
        rc = trace_get_seconds(r, 9, true, false, NULL, &p->deletion_us, err);
    if (!rc)
        rc = trace_get_seconds(r, 10, true, true, &p->has_scheduled, &p->scheduled_us, err);
    p->qos = (enum trace_qos)qos;
    p->phase = (enum trace_pod_phase)phase;
    return rc;
}

static int trace_conv_dlrm(const struct trace_reader *r, struct trace_record *rec,
                           struct os_error *err)
{
    struct trace_dlrm *d = &rec->dlrm;
    int role = TRACE_ROLE_CN;
    int rc = trace_get_text(r, 0, true, d->instance_sn, sizeof d->instance_sn, err);
    if (!rc)
        rc = trace_get_enum(r, 1, trace_role_names, TRACE_LEN(trace_role_names), TRACE_ROLE_CN,
                            &role, err);
    if (!rc)
        rc = trace_get_text(r, 2, true, d->app_name, sizeof d->app_name, err);
    if (!rc)
        rc = trace_get_scaled(r, 3, 1000, &d->cpu_request_milli, err);
    if (!rc)
        rc = trace_get_scaled(r, 4, 1000, &d->cpu_limit_milli, err);
    if (!rc)
        rc = trace_get_i32(r, 5, 0, INT32_MAX, &d->gpu_request, err);
    if (!rc)
        rc = trace_get_i32(r, 6, 0, INT32_MAX, &d->gpu_limit, err);
    if (!rc)
        rc = trace_get_i32(r, 7, 0, 100, &d->rdma_request_pct, err);
    if (!rc)
        rc = trace_get_i32(r, 8, 0, 100, &d->rdma_limit_pct, err);
    if (!rc)
        rc = trace_get_gib_as_mib(r, 9, &d->memory_request_mib, err);
    if (!rc)
        rc = trace_get_gib_as_mib(r, 10, &d->memory_limit_mib, err);
    if (!rc)
        rc = trace_get_gib_as_mib(r, 11, &d->disk_request_mib, err);
    if (!rc)
        rc = trace_get_gib_as_mib(r, 12, &d->disk_limit_mib, err);
    if (!rc) {
        /* -1 means unlimited; 0 would forbid the app on every node. */
        int64_t v;
        if (trace_parse_i64(trace_fld(r, 13), &v) && (v == -1 || (v >= 1 && v <= INT32_MAX)) &&
            strlen(trace_fld(r, 13)) == r->field_len[13])
            d->max_instance_per_node = (int32_t)v;
        else
            rc = trace_bad(r, 13, "-1 (unlimited) or a positive integer", err);
    }
    if (!rc)
        rc = trace_get_seconds(r, 14, false, true, &d->has_creation, &d->creation_us, err);
    if (!rc)
        rc = trace_get_seconds(r, 15, false, true, &d->has_scheduled, &d->scheduled_us, err);
    if (!rc)
        rc = trace_get_seconds(r, 16, false, true, &d->has_deletion, &d->deletion_us, err);
    d->role = (enum trace_dlrm_role)role;
    return rc;
}

static int trace_conv_azure_llm(const struct trace_reader *r, struct trace_record *rec,
                                struct os_error *err)
{
    struct trace_azure_llm *a = &rec->azure_llm;
    int rc = 0;
    if (strlen(trace_fld(r, 0)) != r->field_len[0] ||
        !trace_parse_timestamp(trace_fld(r, 0), &a->time_us))
        rc = trace_bad(r, 0, "a timestamp 'YYYY-MM-DD HH:MM:SS.fffffff'", err);
    if (!rc)
        rc = trace_get_int(r, 1, 0, INT64_MAX, &a->context_tokens, err);
    if (!rc)
        rc = trace_get_int(r, 2, 0, INT64_MAX, &a->generated_tokens, err);
    return rc;
}

static int trace_conv_spot_price(const struct trace_reader *r, struct trace_record *rec,
                                 struct os_error *err)
{
    struct trace_spot_price *s = &rec->spot_price;
    int rc = trace_get_text(r, 0, true, s->instance_type, sizeof s->instance_type, err);
    if (!rc)
        rc = trace_get_text(r, 1, true, s->region, sizeof s->region, err);
    if (!rc)
        rc = trace_get_text(r, 2, true, s->availability_zone, sizeof s->availability_zone, err);
    if (!rc)
        rc = trace_get_seconds(r, 3, true, false, NULL, &s->time_us, err);
    if (!rc)
        rc = trace_get_text(r, 4, true, s->timestamp_utc, sizeof s->timestamp_utc, err);
    if (!rc)
        rc =
            trace_get_number(r, 5, 1e9, "a non-negative price in USD", &s->price_usd_per_hour, err);
    if (!rc)
        rc = trace_get_text(r, 6, true, s->product_description, sizeof s->product_description, err);
    return rc;
}

static int trace_conv_philly(const struct trace_reader *r, struct trace_record *rec,
                             struct os_error *err)
{
    return trace_get_seconds(r, 0, false, false, NULL, &rec->philly.runtime_us, err);
}

static int trace_conv_pai_machine(const struct trace_reader *r, struct trace_record *rec,
                                  struct os_error *err)
{
    struct trace_pai_machine *m = &rec->pai_machine;
    int rc = trace_get_text(r, 0, true, m->machine, sizeof m->machine, err);
    if (!rc)
        rc = trace_get_text(r, 1, true, m->gpu_type, sizeof m->gpu_type, err);
    if (!rc)
        rc = trace_get_scaled(r, 2, 1000, &m->cpu_milli, err);
    if (!rc)
        rc = trace_get_scaled(r, 3, 1024, &m->memory_mib, err);
    if (!rc)
        rc = trace_get_i32(r, 4, 0, INT32_MAX, &m->num_gpu, err);
    return rc;
}

/* ---- the generic numeric view ------------------------------------------- */

static void trace_set(struct trace_values *o, int i, bool present, double v)
{
    o->present[i] = present;
    o->v[i] = present ? v : 0.0;
}

static void trace_set_time(struct trace_values *o, int i, bool present, int64_t us)
{
    trace_set(o, i, present, (double)us / 1e6);
}

static void trace_view_openb_node(const struct trace_record *rec, struct trace_values *o)
{
    const struct trace_openb_node *n = &rec->openb_node;
    trace_set(o, 0, true, (double)n->cpu_milli);
    trace_set(o, 1, true, (double)n->memory_mib);
    trace_set(o, 2, true, n->num_gpu);
}

static void trace_view_openb_pod(const struct trace_record *rec, struct trace_values *o)
{
    const struct trace_openb_pod *p = &rec->openb_pod;
    trace_set(o, 0, true, (double)p->cpu_milli);
    trace_set(o, 1, true, (double)p->memory_mib);
    trace_set(o, 2, true, p->num_gpu);
    trace_set(o, 3, true, p->gpu_milli);
    if (!p->has_times) {
        o->n = 4; /* the 5-column files have no time columns */
        return;
    }
    trace_set_time(o, 4, true, p->creation_us);
    trace_set_time(o, 5, true, p->deletion_us);
    trace_set_time(o, 6, p->has_scheduled, p->scheduled_us);
}

static void trace_view_dlrm(const struct trace_record *rec, struct trace_values *o)
{
    const struct trace_dlrm *d = &rec->dlrm;
    trace_set(o, 0, true, (double)d->cpu_request_milli);
    trace_set(o, 1, true, (double)d->cpu_limit_milli);
    trace_set(o, 2, true, d->gpu_request);
    trace_set(o, 3, true, d->gpu_limit);
    trace_set(o, 4, true, d->rdma_request_pct);
    trace_set(o, 5, true, d->rdma_limit_pct);
    trace_set(o, 6, true, (double)d->memory_request_mib);
    trace_set(o, 7, true, (double)d->memory_limit_mib);
    trace_set(o, 8, true, (double)d->disk_request_mib);
    trace_set(o, 9, true, (double)d->disk_limit_mib);
    trace_set(o, 10, d->max_instance_per_node >= 0, d->max_instance_per_node);
    trace_set_time(o, 11, d->has_creation, d->creation_us);
    trace_set_time(o, 12, d->has_scheduled, d->scheduled_us);
    trace_set_time(o, 13, d->has_deletion, d->deletion_us);
}

static void trace_view_azure_llm(const struct trace_record *rec, struct trace_values *o)
{
    const struct trace_azure_llm *a = &rec->azure_llm;
    trace_set_time(o, 0, true, a->time_us);
    trace_set(o, 1, true, (double)a->context_tokens);
    trace_set(o, 2, true, (double)a->generated_tokens);
}

static void trace_view_spot_price(const struct trace_record *rec, struct trace_values *o)
{
    trace_set_time(o, 0, true, rec->spot_price.time_us);
    trace_set(o, 1, true, rec->spot_price.price_usd_per_hour);
}

static void trace_view_philly(const struct trace_record *rec, struct trace_values *o)
{
    trace_set(o, 0, true, (double)rec->philly.runtime_us / 1e6);
}

static void trace_view_pai_machine(const struct trace_record *rec, struct trace_values *o)
{
    const struct trace_pai_machine *m = &rec->pai_machine;
    trace_set(o, 0, true, (double)m->cpu_milli);
    trace_set(o, 1, true, (double)m->memory_mib);
    trace_set(o, 2, true, m->num_gpu);
}

void trace_record_values(const struct trace_record *rec, struct trace_values *out)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)rec->fmt >= TRACE_FORMAT_COUNT)
        return;
    const struct trace_desc *d = &trace_descs[rec->fmt];
    out->cols = d->values;
    out->n = d->nvalues;
    d->view(rec, out);
}

/* ---- libcsv plumbing ---------------------------------------------------- */

/* libcsv's realloc: refuses to grow a field buffer beyond TRACE_FIELD_LIMIT. */
static void *trace_csv_realloc(void *p, size_t n)
{
    if (n > TRACE_FIELD_LIMIT)
        return NULL;
    return realloc(p, n);
}

/* No character is a space to libcsv: fields are taken exactly as written. */
static int trace_csv_no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* libcsv field callback: appends one field to the pending row. */
static void trace_on_field(void *data, size_t len, void *ctx)
{
    struct trace_reader *r = ctx;
    int i = r->row_nfields;
    if (r->row_nfields < INT_MAX)
        r->row_nfields++;
    if (i >= TRACE_MAX_COLS || r->row_too_long)
        return;
    if (len + 1 > sizeof r->row_buf - r->row_used) {
        r->row_too_long = true;
        return;
    }
    if (len)
        memcpy(r->row_buf + r->row_used, data, len);
    r->row_buf[r->row_used + len] = '\0';
    r->field_off[i] = (uint32_t)r->row_used;
    r->field_len[i] = (uint32_t)len;
    r->row_used += len + 1;
}

/* libcsv row callback: the pending row is complete. */
static void trace_on_row(int c, void *ctx)
{
    struct trace_reader *r = ctx;
    (void)c;
    r->row_ready = true;
}

static void trace_row_reset(struct trace_reader *r)
{
    r->row_ready = false;
    r->row_too_long = false;
    r->row_nfields = 0;
    r->row_used = 0;
}

/* Fills the chunk buffer. Returns 1 when bytes were read, 0 at end of input. */
static int trace_read_chunk(struct trace_reader *r, struct os_error *err)
{
    if (r->eof)
        return 0;
    size_t n = fread(r->chunk, 1, r->chunk_cap, r->fp);
    if (n == 0) {
        if (ferror(r->fp)) {
            int e = errno;
            r->done = true;
            r->stop_rc = OS_EIO;
            return os_errorf(err, OS_EIO, "%s: read error: %s", r->path,
                             e ? strerror(e) : "unknown");
        }
        r->eof = true;
        return 0;
    }
    r->chunk_len = n;
    r->chunk_pos = 0;
    return 1;
}

/* Gives libcsv the next segment of the chunk (see the top of this file). */
static int trace_feed_segment(struct trace_reader *r, struct os_error *err)
{
    const unsigned char *s = r->chunk + r->chunk_pos;
    size_t avail = r->chunk_len - r->chunk_pos;
    size_t n = avail;
    for (size_t i = 0; i < avail; i++) {
        if (s[i] == '\n' || s[i] == '\r') {
            n = i + 1;
            break;
        }
    }
    if (r->csv.pstate == 0) /* between rows: a row starting here starts on this line */
        r->row_line = r->line_next;
    size_t used = csv_parse(&r->csv, s, n, trace_on_field, trace_on_row, r);
    if (used != n) {
        int e = csv_error(&r->csv);
        r->done = true;
        r->stop_rc = OS_EPARSE;
        if (e == CSV_ENOMEM)
            return os_errorf(err, OS_EPARSE, "%s:%lld: field longer than %d bytes", r->path,
                             (long long)r->line_next, TRACE_FIELD_LIMIT - 1);
        return os_errorf(err, OS_EPARSE, "%s:%lld: CSV error: %s", r->path, (long long)r->line_next,
                         csv_strerror(e));
    }
    r->chunk_pos += n;
    if (s[n - 1] == '\n')
        r->line_next++;
    return 0;
}

/* Makes the next row ready in r->row_buf. Returns 1, 0 at the end, or <0. */
static int trace_pull_row(struct trace_reader *r, struct os_error *err)
{
    if (r->stop_rc)
        return os_errorf(err, r->stop_rc, "%s: reading stopped after an earlier error", r->path);
    while (!r->row_ready) {
        if (r->done)
            return 0;
        if (r->chunk_pos < r->chunk_len) {
            int rc = trace_feed_segment(r, err);
            if (rc < 0)
                return rc;
            continue;
        }
        int rc = trace_read_chunk(r, err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            /* End of input: submits a last row that has no final newline. */
            csv_fini(&r->csv, trace_on_field, trace_on_row, r);
            r->done = true;
        }
    }
    return 1;
}

/* ---- header ------------------------------------------------------------- */

/* Does the pending row hold exactly the first N names of COLS? */
static bool trace_header_is(const struct trace_reader *r, const char *const *cols, int n)
{
    if (r->row_nfields != n || r->row_too_long)
        return false;
    for (int i = 0; i < n; i++) {
        const char *f = trace_fld(r, i);
        size_t len = r->field_len[i];
        if (i == 0 && len >= 3 && memcmp(f, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM */
            f += 3;
            len -= 3;
        }
        if (len != strlen(cols[i]) || memcmp(f, cols[i], len) != 0)
            return false;
    }
    return true;
}

static int trace_read_header(struct trace_reader *r, struct os_error *err)
{
    const struct trace_desc *d = &trace_descs[r->fmt];
    char want[256], want_short[160], got[200];
    trace_join(want, sizeof want, d->cols, d->ncols, ",");
    int rc = trace_pull_row(r, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return os_errorf(err, OS_EPARSE, "%s: empty file: expected the %s header '%s'", r->path,
                         d->name, want);
    if (trace_header_is(r, d->cols, d->ncols)) {
        r->ncols = d->ncols;
    } else if (d->ncols_short && trace_header_is(r, d->cols, d->ncols_short)) {
        r->ncols = d->ncols_short;
    } else {
        /* Render what we got, fields joined by commas. */
        size_t pos = 0;
        int shown = r->row_nfields < TRACE_MAX_COLS ? r->row_nfields : TRACE_MAX_COLS;
        got[0] = '\0';
        for (int i = 0; i < shown && !r->row_too_long && pos + 8 < sizeof got; i++) {
            if (i)
                got[pos++] = ',';
            trace_render(got + pos, sizeof got - pos, trace_fld(r, i), r->field_len[i]);
            pos += strlen(got + pos);
        }
        if (d->ncols_short) {
            trace_join(want_short, sizeof want_short, d->cols, d->ncols_short, ",");
            return os_errorf(err, OS_EPARSE,
                             "%s:%lld: header does not match format %s: expected '%s' or '%s', "
                             "got '%s'",
                             r->path, (long long)r->row_line, d->name, want, want_short, got);
        }
        return os_errorf(err, OS_EPARSE,
                         "%s:%lld: header does not match format %s: expected '%s', got '%s'",
                         r->path, (long long)r->row_line, d->name, want, got);
    }
    trace_row_reset(r);
    return 0;
}

/* ---- public API --------------------------------------------------------- */

int trace_format_parse(const char *name, enum trace_format *out)
{
    for (int i = 0; i < TRACE_FORMAT_COUNT; i++) {
        if (name && strcmp(name, trace_descs[i].name) == 0) {
            *out = (enum trace_format)i;
            return 0;
        }
    }
    return OS_EINVAL;
}

const char *trace_format_name(enum trace_format fmt)
{
    if ((unsigned)fmt >= TRACE_FORMAT_COUNT)
        return "unknown";
    return trace_descs[fmt].name;
}

int trace_open_stream(struct trace_reader *r, FILE *fp, const char *name, enum trace_format fmt,
                      const struct trace_opts *opts, struct os_error *err)
{
    int rc;
    memset(r, 0, sizeof *r);
    trace_copy_str(r->path, sizeof r->path, name ? name : "(stream)");
    r->done = true; /* until the open succeeds, trace_next() reads nothing */
    if ((unsigned)fmt >= TRACE_FORMAT_COUNT)
        return os_errorf(err, OS_EINVAL, "%s: unknown trace format %d", r->path, (int)fmt);
    if (!fp)
        return os_errorf(err, OS_EINVAL, "%s: no stream to read", r->path);
    r->done = false;
    r->fmt = fmt;
    r->fp = fp;
    r->line_next = 1;
    r->row_line = 1;
    r->skip_malformed = opts && opts->skip_malformed;
    r->chunk_cap = opts && opts->chunk_size ? opts->chunk_size : TRACE_CHUNK_DEFAULT;
    if (r->chunk_cap > TRACE_CHUNK_MAX)
        r->chunk_cap = TRACE_CHUNK_MAX;
    r->chunk = malloc(r->chunk_cap);
    if (!r->chunk) {
        rc = os_errorf(err, OS_ENOMEM, "%s: cannot allocate a %zu-byte read buffer", r->path,
                       r->chunk_cap);
        goto out_forget_fp;
    }
    if (csv_init(&r->csv, 0) != 0) {
        rc = os_errorf(err, OS_ENOMEM, "%s: cannot initialise libcsv", r->path);
        goto out_free_chunk;
    }
    r->csv_live = true;
    csv_set_realloc_func(&r->csv, trace_csv_realloc);
    csv_set_space_func(&r->csv, trace_csv_no_space);
    csv_set_blk_size(&r->csv, 1024);
    if (trace_descs[fmt].has_header) {
        rc = trace_read_header(r, err);
        if (rc)
            goto out_free_csv;
    } else {
        r->ncols = trace_descs[fmt].ncols;
    }
    return 0;

out_free_csv:
    csv_free(&r->csv);
    r->csv_live = false;
out_free_chunk:
    free(r->chunk);
    r->chunk = NULL;
out_forget_fp:
    r->fp = NULL;
    r->done = true;
    return rc;
}

int trace_open(struct trace_reader *r, const char *path, enum trace_format fmt,
               const struct trace_opts *opts, struct os_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        memset(r, 0, sizeof *r);
        r->done = true;
        if (e == ENOENT)
            return os_errorf(err, OS_ENOENT, "%s: no such file", path);
        return os_errorf(err, OS_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    int rc = trace_open_stream(r, fp, path, fmt, opts, err);
    if (rc) {
        fclose(fp);
        return rc;
    }
    r->owns_fp = true;
    return 0;
}

int trace_next(struct trace_reader *r, struct trace_record *rec, struct os_error *err)
{
    const struct trace_desc *d = &trace_descs[r->fmt];
    for (;;) {
        int rc = trace_pull_row(r, err);
        if (rc <= 0)
            return rc;
        struct os_error row_err = {{0}};
        memset(rec, 0, sizeof *rec);
        rec->fmt = r->fmt;
        rec->line = r->row_line;
        if (r->row_nfields != r->ncols)
            rc = os_errorf(&row_err, OS_EPARSE, "%s:%lld: expected %d columns, got %d", r->path,
                           (long long)r->row_line, r->ncols, r->row_nfields);
        else if (r->row_too_long)
            rc = os_errorf(&row_err, OS_EPARSE, "%s:%lld: row longer than %d bytes", r->path,
                           (long long)r->row_line, TRACE_ROW_BYTES);
        else
            rc = d->convert(r, rec, &row_err);
        trace_row_reset(r);
        if (rc == 0) {
            r->rows++;
            return 1;
        }
        if (!r->skip_malformed) {
            if (err)
                *err = row_err;
            return rc;
        }
        if (r->rows_skipped++ == 0)
            r->first_skipped = row_err;
    }
}

void trace_close(struct trace_reader *r)
{
    if (r->csv_live)
        csv_free(&r->csv);
    r->csv_live = false;
    free(r->chunk);
    r->chunk = NULL;
    if (r->fp && r->owns_fp)
        fclose(r->fp);
    r->fp = NULL;
    r->owns_fp = false;
    r->done = true;
}

/* ---- statistics --------------------------------------------------------- */

/* Running statistics of one numeric column: constant memory. */
struct trace_stat_col {
    gsl_rstat_workspace *rs; /* count, min, max, mean, sd, median (P-square) */
    gsl_rstat_quantile_workspace *q90;
    gsl_rstat_quantile_workspace *q99;
};

static void trace_stat_free(struct trace_stat_col *c, int n)
{
    for (int i = 0; i < n; i++) {
        if (c[i].rs)
            gsl_rstat_free(c[i].rs);
        if (c[i].q90)
            gsl_rstat_quantile_free(c[i].q90);
        if (c[i].q99)
            gsl_rstat_quantile_free(c[i].q99);
    }
}

/* Prints V in a 14-wide column: integers exactly, other values with 3 decimals. */
static void trace_print_num(FILE *out, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        fprintf(out, " %14.0f", v);
    else
        fprintf(out, " %14.3f", v);
}

/* Prints microseconds US as seconds, and as a UTC date when EPOCH. */
static void trace_print_time(FILE *out, const char *label, int64_t us, bool epoch)
{
    int64_t s = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        s -= 1;
        frac += 1000000;
    }
    fprintf(out, "%-14s%lld.%06lld s", label, (long long)s, (long long)frac);
    if (epoch) {
        time_t t = (time_t)s;
        struct tm tm;
        char date[32];
        if (gmtime_r(&t, &tm) && strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm))
            fprintf(out, " (%s.%06lld)", date, (long long)frac);
    }
    fputc('\n', out);
}

int trace_stats(const char *path, enum trace_format fmt, const struct trace_opts *opts, FILE *out,
                struct os_error *err)
{
    struct trace_reader *r;
    struct trace_stat_col cols[TRACE_MAX_VALUES] = {{0}};
    struct trace_record rec;
    struct trace_values vals;
    int ncols = 0, shown = 0, rc;
    bool have_time = false, epoch = false;
    int64_t t_min = 0, t_max = 0;

    if ((unsigned)fmt >= TRACE_FORMAT_COUNT)
        return os_errorf(err, OS_EINVAL, "%s: unknown trace format %d", path, (int)fmt);
    r = malloc(sizeof *r); /* about 9 KiB: keep it off the caller's stack */
    if (!r)
        return os_errorf(err, OS_ENOMEM, "%s: cannot allocate a trace reader", path);
    rc = trace_open(r, path, fmt, opts, err);
    if (rc)
        goto out_free_reader;
    ncols = trace_descs[fmt].nvalues;
    for (int i = 0; i < ncols; i++) {
        cols[i].rs = gsl_rstat_alloc();
        cols[i].q90 = gsl_rstat_quantile_alloc(0.90);
        cols[i].q99 = gsl_rstat_quantile_alloc(0.99);
        if (!cols[i].rs || !cols[i].q90 || !cols[i].q99) {
            rc = os_errorf(err, OS_ENOMEM, "%s: cannot allocate statistics", path);
            goto out_free_stats;
        }
    }

    while ((rc = trace_next(r, &rec, err)) == 1) {
        trace_record_values(&rec, &vals);
        if (vals.n > shown)
            shown = vals.n;
        for (int i = 0; i < vals.n; i++) {
            if (!vals.present[i])
                continue;
            gsl_rstat_add(vals.v[i], cols[i].rs);
            gsl_rstat_quantile_add(vals.v[i], cols[i].q90);
            gsl_rstat_quantile_add(vals.v[i], cols[i].q99);
            if (vals.cols[i].is_time) {
                /* Back to microseconds: exact while |us| < 2^53 (about 285 years
                 * from the origin), which covers every shipped trace. */
                int64_t us = llround(vals.v[i] * 1e6);
                if (!have_time || us < t_min)
                    t_min = us;
                if (!have_time || us > t_max)
                    t_max = us;
                have_time = true;
                epoch = vals.cols[i].is_epoch;
            }
        }
    }
    if (rc < 0)
        goto out_free_stats;

    fprintf(out, "%-14s%s\n", "trace", path);
    fprintf(out, "%-14s%s\n", "format", trace_format_name(fmt));
    fprintf(out, "%-14s%lld\n", "rows", (long long)r->rows);
    fprintf(out, "%-14s%lld\n", "rows skipped", (long long)r->rows_skipped);
    if (r->rows_skipped > 0)
        fprintf(out, "%-14s%s\n", "first skipped", r->first_skipped.msg);
    if (have_time) {
        trace_print_time(out, "time first", t_min, epoch);
        trace_print_time(out, "time last", t_max, epoch);
        fprintf(out, "%-14s%.6f s\n", "time span", (double)(t_max - t_min) / 1e6);
    }
    fprintf(out, "\n%-24s %10s %14s %14s %14s %14s %14s %14s %14s\n", "column", "count", "min",
            "max", "mean", "sd", "median", "p90", "p99");
    /* Columns no row has (the times of the 5-column openb files) are not shown;
     * with no rows at all, every column is shown with count 0. */
    if (r->rows == 0)
        shown = ncols;
    for (int i = 0; i < shown; i++) {
        size_t n = gsl_rstat_n(cols[i].rs);
        fprintf(out, "%-24s %10zu", trace_descs[fmt].values[i].name, n);
        if (n == 0) {
            for (int k = 0; k < 7; k++)
                fprintf(out, " %14s", "-");
        } else {
            trace_print_num(out, gsl_rstat_min(cols[i].rs));
            trace_print_num(out, gsl_rstat_max(cols[i].rs));
            fprintf(out, " %14.3f %14.3f", gsl_rstat_mean(cols[i].rs), gsl_rstat_sd(cols[i].rs));
            trace_print_num(out, gsl_rstat_median(cols[i].rs));
            trace_print_num(out, gsl_rstat_quantile_get(cols[i].q90));
            trace_print_num(out, gsl_rstat_quantile_get(cols[i].q99));
        }
        fputc('\n', out);
    }
    fprintf(out, "(median, p90 and p99 are GSL P-square estimates, which can be far off on sorted "
                 "input; times in seconds)\n");
    rc = 0;

out_free_stats:
    trace_stat_free(cols, ncols);
    trace_close(r);
out_free_reader:
    free(r);
    return rc;
}
