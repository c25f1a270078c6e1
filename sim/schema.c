/*
 * schema.c - the table-driven JSON decoder, "did you mean" suggestions and
 * --set overrides. See schema.h for the contracts.
 */
#include "sim/schema.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 384

void schema_diag_add(struct schema_diag *d, const char *fmt, ...)
{
    if (d->n < SCHEMA_DIAG_MAX) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->line[d->n], sizeof d->line[d->n], fmt, ap);
        va_end(ap);
    }
    d->n++;
}

size_t schema_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return la > lb ? la : lb;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *schema_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n && candidates[i]; i++) {
        size_t d = schema_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    size_t len = strlen(word);
    size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    return best_d <= limit ? best : NULL;
}

/* The keys of a schema as a candidate list for suggestions. */
static const char *field_suggest(const struct schema *s, const char *word)
{
    const char *keys[128];
    size_t n = s->nfields < 128 ? s->nfields : 128;
    for (size_t i = 0; i < n; i++)
        keys[i] = s->fields[i].key;
    return schema_suggest(word, keys, n);
}

static const char *json_type_name(const cJSON *j)
{
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    return "an invalid value";
}

/* dst = path + ".key" or path + "[idx]" (idx used when key is NULL),
 * truncated with "..." when too long. */
static void path_child(char *dst, size_t n, const char *path, const char *key, size_t idx)
{
    int w = key ? snprintf(dst, n, "%s.%s", path, key) : snprintf(dst, n, "%s[%zu]", path, idx);
    if (w < 0 || (size_t)w >= n)
        memcpy(dst + n - 4, "...", 4);
}

struct dctx {
    const char *file;
    struct schema_diag *d;
};

#define DIAG(c, path, ...)                                                                         \
    do {                                                                                           \
        char m_[400];                                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        schema_diag_add((c)->d, "%s: %s: %s", (c)->file, path, m_);                                \
    } while (0)

static void describe_bounds(char *buf, size_t n, const struct schema_field *f, bool integer)
{
    if (f->expect) {
        snprintf(buf, n, "%s", f->expect);
    } else if (integer) {
        snprintf(buf, n, "an integer in [%.17g, %.17g]", f->min, f->max);
    } else {
        snprintf(buf, n, "a number in [%.17g, %.17g]", f->min, f->max);
    }
}

static bool decode_number(struct dctx *c, const struct schema_field *f, enum schema_kind kind,
                          const cJSON *j, void *dst, const char *path)
{
    char want[200];
    bool integer = kind == SCHEMA_INT || kind == SCHEMA_I64;
    describe_bounds(want, sizeof want, f, integer);
    if (!cJSON_IsNumber(j)) {
        if (cJSON_IsString(j))
            DIAG(c, path, "expected %s, got the string \"%.40s\"", want, j->valuestring);
        else
            DIAG(c, path, "expected %s, got %s", want, json_type_name(j));
        return false;
    }
    double v = j->valuedouble;
    if (!isfinite(v)) {
        DIAG(c, path, "expected %s, got a non-finite number", want);
        return false;
    }
    if (integer && v != floor(v)) {
        DIAG(c, path, "expected %s, got %.17g", want, v);
        return false;
    }
    if (v < f->min || v > f->max) {
        DIAG(c, path, "expected %s, got %.17g", want, v);
        return false;
    }
    switch (kind) {
    case SCHEMA_INT:
        *(int *)dst = (int)v;
        break;
    case SCHEMA_I64:
        *(int64_t *)dst = (int64_t)v;
        break;
    case SCHEMA_SECONDS:
        *(int64_t *)dst = (int64_t)llround(v * 1e6);
        break;
    default:
        *(double *)dst = v;
        break;
    }
    return true;
}

static bool decode_string(struct dctx *c, const struct schema_field *f, const cJSON *j, char *dst,
                          size_t size, const char *path)
{
    const char *want = f->expect ? f->expect : "a string";
    if (!cJSON_IsString(j)) {
        DIAG(c, path, "expected %s, got %s", want, json_type_name(j));
        return false;
    }
    size_t len = strlen(j->valuestring);
    if (len == 0 && !(f->flags & SCHEMA_EMPTY_OK)) {
        DIAG(c, path, "expected %s, got an empty string", want);
        return false;
    }
    if (len >= size) {
        DIAG(c, path, "string too long (%zu characters, at most %zu)", len, size - 1);
        return false;
    }
    memcpy(dst, j->valuestring, len + 1);
    return true;
}

static bool decode_enum(struct dctx *c, const struct schema_field *f, const cJSON *j, int *dst,
                        const char *path)
{
    char list[300] = "";
    size_t n = 0;
    for (; f->names[n]; n++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s'%s'", n ? ", " : "", f->names[n]);
    }
    if (!cJSON_IsString(j)) {
        DIAG(c, path, "expected one of %s, got %s", list, json_type_name(j));
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(j->valuestring, f->names[i]) == 0) {
            *dst = (int)i;
            return true;
        }
    }
    const char *s = schema_suggest(j->valuestring, f->names, n);
    if (s)
        DIAG(c, path, "unknown value '%.60s' (did you mean '%s'?)", j->valuestring, s);
    else
        DIAG(c, path, "unknown value '%.60s', expected one of %s", j->valuestring, list);
    return false;
}

static bool decode_pair(struct dctx *c, const struct schema_field *f, const cJSON *j, double *dst,
                        const char *path)
{
    const char *want = f->expect ? f->expect : "a pair [x, y]";
    if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != 2 || !cJSON_IsNumber(j->child) ||
        !cJSON_IsNumber(j->child->next)) {
        DIAG(c, path, "expected %s, got %s", want, json_type_name(j));
        return false;
    }
    dst[0] = j->child->valuedouble;
    dst[1] = j->child->next->valuedouble;
    if (!isfinite(dst[0]) || !isfinite(dst[1]) || dst[0] < f->min || dst[0] > f->max ||
        dst[1] < f->min || dst[1] > f->max) {
        DIAG(c, path, "expected %s with numbers in [%.17g, %.17g]", want, f->min, f->max);
        return false;
    }
    return true;
}

static bool decode_object(struct dctx *c, const struct schema *s, const cJSON *j, void *obj,
                          const char *path);

static bool decode_value(struct dctx *c, const struct schema_field *f, enum schema_kind kind,
                         const cJSON *j, void *dst, const char *path)
{
    switch (kind) {
    case SCHEMA_INT:
    case SCHEMA_I64:
    case SCHEMA_DOUBLE:
    case SCHEMA_SECONDS:
        return decode_number(c, f, kind, j, dst, path);
    case SCHEMA_BOOL:
        if (!cJSON_IsBool(j)) {
            DIAG(c, path, "expected true or false, got %s", json_type_name(j));
            return false;
        }
        *(bool *)dst = cJSON_IsTrue(j);
        return true;
    case SCHEMA_STRING:
        return decode_string(c, f, j, dst, f->size, path);
    case SCHEMA_ENUM:
        return decode_enum(c, f, j, dst, path);
    case SCHEMA_PAIR:
        return decode_pair(c, f, j, dst, path);
    case SCHEMA_OBJECT:
        return decode_object(c, f->sub, j, dst, path);
    case SCHEMA_ARRAY:
        break;
    }
    return false;
}

static bool decode_array(struct dctx *c, const struct schema_field *f, const cJSON *j, void *obj,
                         const char *path)
{
    if (!cJSON_IsArray(j)) {
        DIAG(c, path, "expected %s, got %s", f->expect ? f->expect : "an array", json_type_name(j));
        return false;
    }
    size_t n = (size_t)cJSON_GetArraySize(j);
    if (n < f->min_items || n > f->cap) {
        DIAG(c, path, "expected %zu to %zu elements, got %zu", f->min_items, f->cap, n);
        return false;
    }
    char *base = (char *)obj + f->offset;
    bool ok = true;
    size_t i = 0;
    for (const cJSON *e = j->child; e; e = e->next, i++) {
        char p[PATH_MAX_LEN];
        path_child(p, sizeof p, path, NULL, i);
        void *dst = base + i * f->size;
        if (f->sub) {
            ok &= decode_object(c, f->sub, e, dst, p);
        } else {
            struct schema_field ef = *f;
            ef.kind = f->elem;
            ef.size = f->size;
            if (ef.kind == SCHEMA_STRING && !f->expect)
                ef.expect = "a string";
            ok &= decode_value(c, &ef, f->elem, e, dst, p);
        }
    }
    *(unsigned *)((char *)obj + f->count_offset) = (unsigned)n;
    return ok;
}

static bool decode_object(struct dctx *c, const struct schema *s, const cJSON *j, void *obj,
                          const char *path)
{
    if (!cJSON_IsObject(j)) {
        DIAG(c, path, "expected an object, got %s", json_type_name(j));
        return false;
    }
    if (s->defaults)
        s->defaults(obj);
    bool ok = true;
    /* Unknown and duplicate keys. */
    for (const cJSON *e = j->child; e; e = e->next) {
        char p[PATH_MAX_LEN];
        path_child(p, sizeof p, path, e->string, 0);
        const struct schema_field *f = NULL;
        for (size_t i = 0; i < s->nfields; i++)
            if (strcmp(s->fields[i].key, e->string) == 0)
                f = &s->fields[i];
        if (!f) {
            const char *sug = field_suggest(s, e->string);
            if (sug)
                DIAG(c, p, "unknown key '%.60s' (did you mean '%s'?)", e->string, sug);
            else
                DIAG(c, p, "unknown key '%.60s' in %s", e->string, s->name);
            ok = false;
            continue;
        }
        for (const cJSON *o = j->child; o != e; o = o->next)
            if (strcmp(o->string, e->string) == 0) {
                DIAG(c, p, "duplicate key '%.60s'", e->string);
                ok = false;
                break;
            }
    }
    /* Known keys, in table order, so messages come in a stable order. */
    for (size_t i = 0; i < s->nfields; i++) {
        const struct schema_field *f = &s->fields[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, f->key);
        char p[PATH_MAX_LEN];
        path_child(p, sizeof p, path, f->key, 0);
        if (!v) {
            if (f->flags & SCHEMA_REQUIRED) {
                DIAG(c, p, "missing required key (expected %s)",
                     f->expect                  ? f->expect
                     : f->kind == SCHEMA_ENUM   ? "one of the documented names"
                     : f->kind == SCHEMA_OBJECT ? "an object"
                     : f->kind == SCHEMA_ARRAY  ? "an array"
                     : f->kind == SCHEMA_STRING ? "a string"
                                                : "a value");
                ok = false;
            }
            continue;
        }
        if (f->kind == SCHEMA_ARRAY)
            ok &= decode_array(c, f, v, obj, p);
        else
            ok &= decode_value(c, f, f->kind, v, (char *)obj + f->offset, p);
    }
    return ok;
}

int schema_decode(const struct schema *s, const cJSON *json, void *obj, const char *file,
                  const char *path, struct schema_diag *d)
{
    struct dctx c = {.file = file, .d = d};
    unsigned before = d->n;
    decode_object(&c, s, json, obj, path);
    return d->n == before ? OS_OK : OS_EINVAL;
}

static bool parse_index(const char *s, size_t *out)
{
    if (!*s)
        return false;
    size_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000)
            return false;
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return true;
}

int schema_set(cJSON *root, const char *assignment, struct os_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return os_errorf(err, OS_EINVAL, "--set %s: expected PATH=VALUE", assignment);
    char path[PATH_MAX_LEN];
    size_t plen = (size_t)(eq - assignment);
    if (plen >= sizeof path)
        return os_errorf(err, OS_EINVAL, "--set %s: path too long", assignment);
    memcpy(path, assignment, plen);
    path[plen] = '\0';
    const char *value = eq + 1;

    cJSON *node = root;
    char *save = NULL;
    char shown[PATH_MAX_LEN] = "$";
    char *tok = strtok_r(path, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        size_t idx;
        if (cJSON_IsArray(node)) {
            if (!parse_index(tok, &idx))
                return os_errorf(err, OS_EINVAL, "--set %s: %s is an array; '%s' is not an index",
                                 assignment, shown, tok);
            int n = cJSON_GetArraySize(node);
            if (idx >= (size_t)n)
                return os_errorf(err, OS_EINVAL, "--set %s: %s has %d elements, no index %zu",
                                 assignment, shown, n, idx);
            size_t used = strlen(shown);
            snprintf(shown + used, sizeof shown - used, "[%zu]", idx);
            cJSON *child = cJSON_GetArrayItem(node, (int)idx);
            if (!next) {
                if (cJSON_IsObject(child) || cJSON_IsArray(child))
                    return os_errorf(err, OS_EINVAL, "--set %s: %s is not a scalar", assignment,
                                     shown);
                goto assign_array;
            }
            node = child;
        } else if (cJSON_IsObject(node)) {
            size_t used = strlen(shown);
            snprintf(shown + used, sizeof shown - used, ".%s", tok);
            cJSON *child = cJSON_GetObjectItemCaseSensitive(node, tok);
            if (!next) {
                if (child && (cJSON_IsObject(child) || cJSON_IsArray(child)))
                    return os_errorf(err, OS_EINVAL, "--set %s: %s is not a scalar", assignment,
                                     shown);
                bool as_string = child && cJSON_IsString(child);
                cJSON *v = NULL;
                if (!as_string) {
                    v = cJSON_Parse(value);
                    if (v && (cJSON_IsObject(v) || cJSON_IsArray(v))) {
                        cJSON_Delete(v);
                        v = NULL;
                    }
                }
                if (!v)
                    v = cJSON_CreateString(value);
                if (!v)
                    return os_errorf(err, OS_ENOMEM, "--set %s: out of memory", assignment);
                if (child)
                    cJSON_ReplaceItemInObjectCaseSensitive(node, tok, v);
                else
                    cJSON_AddItemToObject(node, tok, v);
                return OS_OK;
            }
            if (!child)
                return os_errorf(err, OS_EINVAL, "--set %s: %s does not exist", assignment, shown);
            node = child;
        } else {
            return os_errorf(err, OS_EINVAL, "--set %s: %s is a scalar, cannot descend into it",
                             assignment, shown);
        }
        tok = next;
        continue;
    assign_array : {
        cJSON *old = cJSON_GetArrayItem(node, (int)idx);
        cJSON *v = NULL;
        if (!cJSON_IsString(old)) {
            v = cJSON_Parse(value);
            if (v && (cJSON_IsObject(v) || cJSON_IsArray(v))) {
                cJSON_Delete(v);
                v = NULL;
            }
        }
        if (!v)
            v = cJSON_CreateString(value);
        if (!v)
            return os_errorf(err, OS_ENOMEM, "--set %s: out of memory", assignment);
        cJSON_ReplaceItemInArray(node, (int)idx, v);
        return OS_OK;
    }
    }
    return os_errorf(err, OS_EINVAL, "--set %s: empty path", assignment);
}

int schema_parse_text(const char *name, const char *text, size_t len, cJSON **out,
                      struct os_error *err)
{
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (*out)
        return OS_OK;
    /* Position of the error: cJSON points at (or just past) the offending byte. */
    size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char near[24];
    size_t k = 0;
    for (size_t i = off; i < len && k < sizeof near - 1 && text[i] != '\n'; i++)
        near[k++] = (text[i] >= 32 && text[i] < 127) ? text[i] : '?';
    near[k] = '\0';
    if (len == 0)
        return os_errorf(err, OS_EPARSE, "%s: empty file, expected a JSON object", name);
    return os_errorf(err, OS_EPARSE, "%s:%zu:%zu: malformed JSON near '%s'", name, line, col,
                     k ? near : "end of file");
}

int schema_parse_file(const char *file, cJSON **out, struct os_error *err)
{
    *out = NULL;
    FILE *fp = fopen(file, "rb");
    if (!fp)
        return os_errorf(err, errno == ENOENT ? OS_ENOENT : OS_EIO, "%s: cannot open: %s", file,
                         strerror(errno));
    int rc = OS_OK;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            if (cap > (size_t)64 << 20) {
                rc = os_errorf(err, OS_EINVAL, "%s: larger than 64 MiB", file);
                goto out_free;
            }
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", file);
                goto out_free;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        rc = os_errorf(err, OS_EIO, "%s: read error", file);
        goto out_free;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        rc = os_errorf(err, OS_EPARSE, "%s: contains a NUL byte, not a JSON text", file);
        goto out_free;
    }
    rc = schema_parse_text(file, buf, len, out, err);
out_free:
    free(buf);
    fclose(fp);
    return rc;
}
