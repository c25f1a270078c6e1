/*
 * sim_fixture.h - what every simulation test file needs: a scenario decoded
 * from JSON text (with the catalog checks), a metric by name, a run. Include
 * after <criterion/criterion.h>. Static per test file.
 */
#ifndef ORCHSIM_TEST_SIM_FIXTURE_H
#define ORCHSIM_TEST_SIM_FIXTURE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/catalog.h"
#include "models/sim.h"
#include "sim/scenario.h"

static struct scenario sc;
static struct catalog cat;

/* Decodes text into sc, loads its catalog into cat and runs sim_check: the
 * test fails on any diagnostic. The caller destroys cat. */
static inline void load_text(const char *text)
{
    static struct schema_diag d;
    memset(&d, 0, sizeof d);
    int rc = scenario_load_text("t.json", text, strlen(text), NULL, 0, &sc, &d);
    cr_assert_eq(rc, 0, "%s", d.n ? d.line[0] : "");
    struct os_error err;
    cr_assert_eq(catalog_load(&cat, sc.cluster.catalog, &err), 0, "%s", err.msg);
    sim_check(&sc, &cat, &d);
    cr_assert_eq(d.n, 0, "%s", d.line[0]);
}

/* The metric called name of a run (the test fails when it is absent). */
static inline double metric(const struct sim_result *r, const char *name)
{
    for (unsigned k = 0; k < r->nmetrics; k++)
        if (strcmp(r->name[k], name) == 0)
            return r->value[k];
    cr_assert_fail("no metric %s", name);
    return NAN;
}

/* Runs variant v of sc with seed (the test fails on an error). */
static inline void sim_run_ok(unsigned v, uint64_t seed, bool series, struct sim_result *r)
{
    struct os_error err;
    int rc = sim_run(&sc, &cat, v, seed, series, r, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
}

/* One timeseries row: nodes, schedulable GPUs, active replicas and pending
 * pods at t. */
struct row {
    double nodes, gpus, replicas, pending;
};

static inline struct row at(const struct sim_result *r, double t)
{
    const char *p = r->series, *end = r->series + r->series_len;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        cr_assert_not_null(c);
        unsigned long long seed;
        double ts, nodes, gpus, alloc, queue;
        unsigned replicas, pending;
        if (sscanf(c + 1, "%llu,%lf,%lf,%lf,%lf,%u,%lf,%u", &seed, &ts, &nodes, &gpus, &alloc,
                   &replicas, &queue, &pending) == 8 &&
            ts == t)
            return (struct row){nodes, gpus, replicas, pending};
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    cr_assert_fail("no timeseries row at %g s", t);
    return (struct row){0, 0, 0, 0};
}

/* Writes an Azure-format trace of one request of one output token at 0 s
 * and one past a 5.5-h horizon (the replicas are idle) to a new temporary
 * file whose name goes to path (at least 32 bytes). */
static inline void write_idle_trace(char *path, size_t size)
{
    snprintf(path, size, "/tmp/orchsim-idle-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fprintf(f, "TIMESTAMP,ContextTokens,GeneratedTokens\n"
               "2023-11-16 00:00:00.0000000,100,1\n"
               "2023-11-16 05:33:20.0000000,100,1\n");
    fclose(f);
}

#endif
