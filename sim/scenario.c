/*
 * scenario.c - the schema of scenario files and their cross-field checks.
 * The generic decoding lives in schema.c.
 */
#include "sim/scenario.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

const char *const scenario_kind_names[] = {"packing", NULL};
static const char *const rows_names[] = {"error", "skip", NULL};

static const struct schema_field variant_fields[] = {
    SCHEMA_F_STRING(struct scenario_variant, name, "name", SCHEMA_REQUIRED,
                    "a variant name of letters, digits, '.', '_' or '-'"),
    SCHEMA_F_STRING(struct scenario_variant, placement, "placement", SCHEMA_REQUIRED,
                    "a placement policy name"),
    SCHEMA_F_SCALARS(struct scenario_variant, reference_alloc_pct, nreference,
                     "reference_alloc_pct", SCHEMA_PAIR, 0, 0, 1000, 0,
                     "pairs [arrived %, allocated %] with values in [0, 1000]"),
};
static const struct schema variant_schema = {
    "a variant", variant_fields, sizeof variant_fields / sizeof variant_fields[0], NULL};

static const struct schema_field cluster_fields[] = {
    SCHEMA_F_STRING(struct scenario_cluster, nodes_csv, "nodes_csv", SCHEMA_REQUIRED,
                    "the path of an openb node list CSV"),
};
static const struct schema cluster_schema = {
    "cluster", cluster_fields, sizeof cluster_fields / sizeof cluster_fields[0], NULL};

static void workload_defaults(void *obj)
{
    struct scenario_workload *w = obj;
    w->tune = 1.0;
}

static const struct schema_field workload_fields[] = {
    SCHEMA_F_STRING(struct scenario_workload, pods_csv, "pods_csv", SCHEMA_REQUIRED,
                    "the path of an openb pod list CSV"),
    SCHEMA_F_DOUBLE(struct scenario_workload, tune, "tune", 0.01, 100.0, 0,
                    "a ratio of total GPU request to cluster GPU capacity in [0.01, 100]"),
};
static const struct schema workload_schema = {"workload", workload_fields,
                                              sizeof workload_fields / sizeof workload_fields[0],
                                              workload_defaults};

static void scenario_defaults(void *obj)
{
    struct scenario *s = obj;
    s->seed = 42;
    s->seeds = 1;
    s->on_malformed_row = SCENARIO_ROWS_ERROR;
}

static const struct schema_field scenario_fields[] = {
    SCHEMA_F_STRING(struct scenario, name, "name", SCHEMA_REQUIRED,
                    "a scenario name of letters, digits, '.', '_' or '-'"),
    SCHEMA_F_STRING(struct scenario, description, "description", SCHEMA_EMPTY_OK, "a description"),
    SCHEMA_F_ENUM(struct scenario, kind, "kind", scenario_kind_names, SCHEMA_REQUIRED),
    SCHEMA_F_I64(struct scenario, seed, "seed", 0, 9007199254740991.0, 0,
                 "a non-negative integer seed"),
    SCHEMA_F_INT(struct scenario, seeds, "seeds", 1, 10000, 0,
                 "a number of replications in [1, 10000]"),
    SCHEMA_F_ENUM(struct scenario, on_malformed_row, "on_malformed_row", rows_names, 0),
    SCHEMA_F_OBJECT(struct scenario, cluster, "cluster", &cluster_schema, SCHEMA_REQUIRED),
    SCHEMA_F_OBJECT(struct scenario, workload, "workload", &workload_schema, SCHEMA_REQUIRED),
    SCHEMA_F_ARRAY(struct scenario, variants, nvariants, "variants", &variant_schema, 1,
                   SCHEMA_REQUIRED),
    SCHEMA_F_SCALARS(struct scenario, checks, nchecks, "checks", SCHEMA_STRING, 0, 0, 0, 0,
                     "a limit such as \"latency_p99_ms <= 800\""),
};
static const struct schema scenario_schema = {"the scenario", scenario_fields,
                                              sizeof scenario_fields / sizeof scenario_fields[0],
                                              scenario_defaults};

static int safe_name(const char *s)
{
    if (!*s || s[0] == '.')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* Checks that need more than one field. */
static void check(const char *file, struct scenario *sc, struct schema_diag *d)
{
    if (sc->name[0] && !safe_name(sc->name))
        schema_diag_add(d,
                        "%s: $.name: '%s' is not a safe directory name (letters, digits, '.', "
                        "'_', '-')",
                        file, sc->name);
    for (unsigned i = 0; i < sc->nvariants; i++) {
        const struct scenario_variant *v = &sc->variants[i];
        if (v->name[0] && !safe_name(v->name))
            schema_diag_add(d, "%s: $.variants[%u].name: '%s' is not a safe name", file, i,
                            v->name);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(sc->variants[j].name, v->name) == 0)
                schema_diag_add(d, "%s: $.variants[%u].name: '%s' repeats $.variants[%u].name",
                                file, i, v->name, j);
    }
}

static int load_tree(const char *name, cJSON *root, const char *const *sets, size_t nsets,
                     struct scenario *sc, struct schema_diag *d)
{
    for (size_t i = 0; i < nsets; i++) {
        struct os_error e;
        if (schema_set(root, sets[i], &e) != OS_OK)
            schema_diag_add(d, "%s: %s", name, e.msg);
    }
    if (d->n)
        return OS_EINVAL;
    memset(sc, 0, sizeof *sc);
    snprintf(sc->file, sizeof sc->file, "%s", name);
    schema_decode(&scenario_schema, root, sc, name, "$", d);
    check(name, sc, d);
    return d->n ? OS_EINVAL : OS_OK;
}

int scenario_load_text(const char *name, const char *text, size_t len, const char *const *sets,
                       size_t nsets, struct scenario *sc, struct schema_diag *d)
{
    cJSON *root;
    struct os_error e;
    int rc = schema_parse_text(name, text, len, &root, &e);
    if (rc != OS_OK) {
        schema_diag_add(d, "%s", e.msg);
        return rc;
    }
    rc = load_tree(name, root, sets, nsets, sc, d);
    cJSON_Delete(root);
    return rc;
}

int scenario_load(const char *file, const char *const *sets, size_t nsets, struct scenario *sc,
                  struct schema_diag *d)
{
    cJSON *root;
    struct os_error e;
    int rc = schema_parse_file(file, &root, &e);
    if (rc != OS_OK) {
        schema_diag_add(d, "%s", e.msg);
        return rc;
    }
    rc = load_tree(file, root, sets, nsets, sc, d);
    cJSON_Delete(root);
    return rc;
}
