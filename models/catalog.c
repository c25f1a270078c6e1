/*
 * catalog.c - strict loading of the instance catalog (see catalog.h for the
 * schema). Every error names the file and the JSON path of the offending
 * value; nothing unknown is silently ignored.
 */
#include "models/catalog.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Context of one parse: the file name for messages. */
struct catalog_ctx {
    const char *file;
    struct os_error *err;
};

static int catalog_fail(struct catalog_ctx *x, const char *path, const char *what)
{
    return os_errorf(x->err, OS_EINVAL, "%s: %s: %s", x->file, path, what);
}

/* Rejects keys of obj not in allowed (NULL-terminated). */
static int catalog_keys(struct catalog_ctx *x, const cJSON *obj, const char *path,
                        const char *const *allowed)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(it->string, allowed[i]) == 0;
        if (!ok) {
            char p[160];
            snprintf(p, sizeof p, "%s.%s", path, it->string);
            char msg[256];
            snprintf(msg, sizeof msg, "unknown key (expected one of:");
            for (size_t i = 0; allowed[i]; i++) {
                size_t l = strlen(msg);
                snprintf(msg + l, sizeof msg - l, " %s", allowed[i]);
            }
            size_t l = strlen(msg);
            snprintf(msg + l, sizeof msg - l, ")");
            return catalog_fail(x, p, msg);
        }
    }
    return OS_OK;
}

static const cJSON *catalog_member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* A required (or optional, when out stays untouched) string of < cap bytes. */
static int catalog_string(struct catalog_ctx *x, const cJSON *obj, const char *path,
                          const char *key, bool required, char *out, size_t cap)
{
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    const cJSON *v = catalog_member(obj, key);
    if (!v) {
        if (required)
            return catalog_fail(x, p, "missing (expected a string)");
        return OS_OK;
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return catalog_fail(x, p, "expected a string");
    if (required && v->valuestring[0] == '\0')
        return catalog_fail(x, p, "expected a non-empty string");
    if (strlen(v->valuestring) >= cap) {
        char msg[64];
        snprintf(msg, sizeof msg, "longer than %zu characters", cap - 1);
        return catalog_fail(x, p, msg);
    }
    if (out)
        strcpy(out, v->valuestring);
    return OS_OK;
}

/* An integer >= min (min 1: "a positive integer"). */
static int catalog_int(struct catalog_ctx *x, const cJSON *obj, const char *path, const char *key,
                       int32_t min, int32_t *out)
{
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    const char *what = min > 0 ? "expected a positive integer" : "expected a non-negative integer";
    const cJSON *v = catalog_member(obj, key);
    if (!v)
        return catalog_fail(x, p,
                            min > 0 ? "missing (expected a positive integer)"
                                    : "missing (expected a non-negative integer)");
    if (!cJSON_IsNumber(v))
        return catalog_fail(x, p, what);
    double d = v->valuedouble;
    if (d != floor(d) || d < min || d > INT32_MAX)
        return catalog_fail(x, p, what);
    *out = (int32_t)d;
    return OS_OK;
}

/* A finite number > 0. */
static int catalog_pos_number(struct catalog_ctx *x, const cJSON *obj, const char *path,
                              const char *key, double *out)
{
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    const cJSON *v = catalog_member(obj, key);
    if (!v)
        return catalog_fail(x, p, "missing (expected a positive number)");
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble <= 0)
        return catalog_fail(x, p, "expected a positive number");
    *out = v->valuedouble;
    return OS_OK;
}

static bool catalog_date_ok(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int catalog_gpu(struct catalog_ctx *x, const cJSON *o, const char *path,
                       struct catalog_gpu_model *g)
{
    static const char *const keys[] = {"name",         "memory_gb", "mig", "relative_speed",
                                       "speed_source", "note",      NULL};
    if (!cJSON_IsObject(o))
        return catalog_fail(x, path, "expected an object");
    int rc;
    if ((rc = catalog_keys(x, o, path, keys)) ||
        (rc = catalog_string(x, o, path, "name", true, g->name, sizeof g->name)) ||
        (rc = catalog_int(x, o, path, "memory_gb", 1, &g->memory_gb)) ||
        (rc = catalog_pos_number(x, o, path, "relative_speed", &g->relative_speed)) ||
        (rc = catalog_string(x, o, path, "speed_source", true, g->speed_source,
                             sizeof g->speed_source)) ||
        (rc = catalog_string(x, o, path, "note", false, NULL, 4096)))
        return rc;
    char p[160];
    snprintf(p, sizeof p, "%s.mig", path);
    const cJSON *mig = catalog_member(o, "mig");
    if (!mig)
        return catalog_fail(x, p, "missing (expected true or false)");
    if (!cJSON_IsBool(mig))
        return catalog_fail(x, p, "expected true or false");
    g->mig = cJSON_IsTrue(mig);
    g->mig_family = GPU_MIG_FAMILY_NONE;
    if (g->mig) {
        g->mig_family = gpu_mig_family_from_model(g->name);
        if (g->mig_family == GPU_MIG_FAMILY_NONE)
            return catalog_fail(x, p,
                                "MIG geometry is known only for A100-40GB, A100-80GB and "
                                "H100-80GB");
    }
    return OS_OK;
}

static int catalog_type(struct catalog_ctx *x, const cJSON *o, const char *path,
                        const struct catalog *cat, struct catalog_instance *t)
{
    static const char *const keys[] = {"name",
                                       "vcpu",
                                       "memory_gib",
                                       "gpus",
                                       "gpu_model",
                                       "gpu_memory_gb",
                                       "price_usd_per_hour",
                                       "price_date",
                                       "source",
                                       "note",
                                       NULL};
    if (!cJSON_IsObject(o))
        return catalog_fail(x, path, "expected an object");
    int rc;
    if ((rc = catalog_keys(x, o, path, keys)) ||
        (rc = catalog_string(x, o, path, "name", true, t->name, sizeof t->name)) ||
        (rc = catalog_int(x, o, path, "vcpu", 1, &t->vcpu)) ||
        (rc = catalog_pos_number(x, o, path, "memory_gib", &t->memory_gib)) ||
        (rc = catalog_int(x, o, path, "gpus", 0, &t->gpus)) ||
        (rc = catalog_pos_number(x, o, path, "price_usd_per_hour", &t->price_usd_per_hour)) ||
        (rc =
             catalog_string(x, o, path, "price_date", true, t->price_date, sizeof t->price_date)) ||
        (rc = catalog_string(x, o, path, "source", true, t->source, sizeof t->source)) ||
        (rc = catalog_string(x, o, path, "note", false, NULL, 4096)))
        return rc;
    char p[160];
    if (!catalog_date_ok(t->price_date)) {
        snprintf(p, sizeof p, "%s.price_date", path);
        return catalog_fail(x, p, "expected a date YYYY-MM-DD");
    }
    if (t->gpus > GPU_NODE_MAX) {
        snprintf(p, sizeof p, "%s.gpus", path);
        return catalog_fail(x, p, "at most 16 GPUs per instance");
    }
    snprintf(p, sizeof p, "%s.gpu_model", path);
    const cJSON *gm = catalog_member(o, "gpu_model");
    t->gpu_model = -1;
    t->gpu_memory_gb = 0;
    if (t->gpus == 0) {
        if (gm && !cJSON_IsNull(gm))
            return catalog_fail(x, p, "must be absent or null when gpus is 0");
        if (catalog_member(o, "gpu_memory_gb")) {
            snprintf(p, sizeof p, "%s.gpu_memory_gb", path);
            return catalog_fail(x, p, "must be absent when gpus is 0");
        }
        return OS_OK;
    }
    if (!gm)
        return catalog_fail(x, p, "missing (expected the name of a gpu_models entry)");
    if (!cJSON_IsString(gm) || !gm->valuestring)
        return catalog_fail(x, p, "expected a string");
    t->gpu_model = catalog_find_gpu(cat, gm->valuestring);
    if (t->gpu_model < 0) {
        char msg[CATALOG_NAME_MAX + 64];
        snprintf(msg, sizeof msg, "unknown GPU model '%.*s' (add it to $.gpu_models)",
                 CATALOG_NAME_MAX, gm->valuestring);
        return catalog_fail(x, p, msg);
    }
    return catalog_int(x, o, path, "gpu_memory_gb", 1, &t->gpu_memory_gb);
}

int catalog_parse(struct catalog *cat, const char *json, size_t len, const char *file,
                  struct os_error *err)
{
    memset(cat, 0, sizeof *cat);
    struct catalog_ctx x = {.file = file, .err = err};
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        const char *at = end ? end : cJSON_GetErrorPtr();
        int line = 1;
        for (const char *q = json; at && q < at && q < json + len; q++)
            line += *q == '\n';
        return os_errorf(err, OS_EPARSE, "%s:%d: malformed JSON", file, line);
    }
    int rc = OS_OK;
    static const char *const top[] = {"gpu_models", "instance_types", NULL};
    if (!cJSON_IsObject(root)) {
        rc = catalog_fail(&x, "$", "expected an object");
        goto out_free_json;
    }
    if ((rc = catalog_keys(&x, root, "$", top)))
        goto out_free_json;
    const cJSON *gms = catalog_member(root, "gpu_models");
    const cJSON *its = catalog_member(root, "instance_types");
    if (!cJSON_IsArray(gms)) {
        rc = catalog_fail(&x, "$.gpu_models",
                          gms ? "expected an array" : "missing (expected an array)");
        goto out_free_json;
    }
    if (!cJSON_IsArray(its)) {
        rc = catalog_fail(&x, "$.instance_types",
                          its ? "expected an array" : "missing (expected an array)");
        goto out_free_json;
    }
    size_t ng = (size_t)cJSON_GetArraySize(gms), nt = (size_t)cJSON_GetArraySize(its);
    if (ng > CATALOG_GPU_MODELS_MAX) {
        rc = catalog_fail(&x, "$.gpu_models", "at most 64 GPU models");
        goto out_free_json;
    }
    cat->gpu_models = calloc(ng ? ng : 1, sizeof *cat->gpu_models);
    cat->types = calloc(nt ? nt : 1, sizeof *cat->types);
    if (!cat->gpu_models || !cat->types) {
        rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", file);
        goto out_free_cat;
    }
    char path[64];
    size_t i = 0;
    for (const cJSON *it = gms->child; it; it = it->next, i++) {
        snprintf(path, sizeof path, "$.gpu_models[%zu]", i);
        if ((rc = catalog_gpu(&x, it, path, &cat->gpu_models[i])))
            goto out_free_cat;
        if (catalog_find_gpu(cat, cat->gpu_models[i].name) >= 0) {
            snprintf(path, sizeof path, "$.gpu_models[%zu].name", i);
            rc = catalog_fail(&x, path, "duplicate GPU model name");
            goto out_free_cat;
        }
        cat->n_gpu_models = i + 1;
    }
    i = 0;
    for (const cJSON *it = its->child; it; it = it->next, i++) {
        snprintf(path, sizeof path, "$.instance_types[%zu]", i);
        if ((rc = catalog_type(&x, it, path, cat, &cat->types[i])))
            goto out_free_cat;
        if (catalog_find_type(cat, cat->types[i].name) >= 0) {
            snprintf(path, sizeof path, "$.instance_types[%zu].name", i);
            rc = catalog_fail(&x, path, "duplicate instance type name");
            goto out_free_cat;
        }
        cat->n_types = i + 1;
    }
    cJSON_Delete(root);
    return OS_OK;

out_free_cat:
    catalog_destroy(cat);
out_free_json:
    cJSON_Delete(root);
    return rc;
}

int catalog_load(struct catalog *cat, const char *path, struct os_error *err)
{
    memset(cat, 0, sizeof *cat);
    FILE *f = fopen(path, "rb");
    if (!f)
        return os_errorf(err, OS_ENOENT, "%s: cannot open", path);
    int rc = OS_OK;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        rc = os_errorf(err, OS_EIO, "%s: cannot read", path);
        goto out_close;
    }
    long sz = ftell(f);
    if (sz < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = os_errorf(err, OS_EIO, "%s: cannot read", path);
        goto out_close;
    }
    buf = malloc((size_t)sz + 1);
    if (!buf) {
        rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
        goto out_close;
    }
    if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        rc = os_errorf(err, OS_EIO, "%s: cannot read", path);
        goto out_free_buf;
    }
    buf[sz] = '\0';
    rc = catalog_parse(cat, buf, (size_t)sz, path, err);
out_free_buf:
    free(buf);
out_close:
    fclose(f);
    return rc;
}

void catalog_destroy(struct catalog *cat)
{
    free(cat->gpu_models);
    free(cat->types);
    memset(cat, 0, sizeof *cat);
}

int catalog_find_type(const struct catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n_types; i++)
        if (strcmp(cat->types[i].name, name) == 0)
            return (int)i;
    return -1;
}

int catalog_find_gpu(const struct catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n_gpu_models; i++)
        if (strcmp(cat->gpu_models[i].name, name) == 0)
            return (int)i;
    return -1;
}

int32_t catalog_type_mem_mib(const struct catalog_instance *t)
{
    return (int32_t)floor(t->memory_gib * 1024.0);
}
