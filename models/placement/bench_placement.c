/*
 * bench_placement.c - every registered placement policy in tight loops, with
 * churn at a steady-state utilisation (see bench_placement.h).
 *
 * Clusters. "openb": the 1,213 GPU nodes of the openb trace
 * (scenarios/traces/alibaba-gpu-2023-openb/openb_node_list_gpu_node.csv, read
 * with sim/trace.h). "synthetic": N nodes drawn at random from the same node
 * list (or, when the file is missing, from a small built-in mix of 1/2/4/8-GPU
 * nodes). Every node pool is MILLI, which holds fractional and whole-GPU pods
 * alike.
 *
 * Workloads. "shared": pod shapes drawn from openb_pod_list_default.csv (CPU
 * only, fractional and whole-GPU pods, with their GPU-model restrictions).
 * "whole": its whole-GPU pods only, without model restrictions (ECS has no
 * fractional GPUs). ECS policies run the whole workload, the FGD-paper policies
 * the shared one, Kubernetes policies both.
 *
 * Procedure per (cluster, workload, policy): reset, fill the cluster to 90 %
 * of its GPUs with randomly placed pods (cheap first-fit on random nodes, not
 * the policy), warm up, then 5 timed runs; each iteration releases a random
 * live pod and places a new one (a second attempt when the first finds no
 * node), so utilisation stays near the fill level. Reported: the median over
 * the 5 runs of placement decisions per second (placements_per_s) and of nodes
 * examined by the filter per second (node_evals_per_s, from placer.node_evals);
 * then the filter alone on the steady-state cluster: filter passes per second
 * (filter_calls_per_s) and nodes examined per second (filter_node_evals_per_s).
 *
 * "Examined" is honest: a node counts when the filter read its columns to
 * decide it. A whole-GPU request is filtered through the cluster's
 * availability index, which rules out the nodes without enough free GPUs
 * without looking at them; those are not counted (so a whole-GPU row counts
 * the nodes in avail_bits[k], or for kube-scheduler's sampled scan those of
 * them it passed before it had enough feasible nodes). Other requests examine
 * every node the scan passes. Nodes covered per second, skipped ones
 * included, would be filter_calls_per_s times nodes (times the share of the
 * cluster a sampled scan passes).
 *
 * The clock is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID): the figures
 * are per core, and on a shared machine (CI, a laptop building something) the
 * time the thread spends descheduled would otherwise count against it. This is
 * a benchmark, not a model, so a real clock is what it reads.
 */
#include "models/placement/bench_placement.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/cluster.h"
#include "models/placement/placement.h"
#include "sim/trace.h"

#define BENCH_NODES_CSV "scenarios/traces/alibaba-gpu-2023-openb/openb_node_list_gpu_node.csv"
#define BENCH_PODS_CSV  "scenarios/traces/alibaba-gpu-2023-openb/openb_pod_list_default.csv"
#define BENCH_RUNS      5
#define BENCH_FILL      0.90 /* share of GPU capacity requested after the fill */
#define BENCH_SEED      20230701u
#define BENCH_PARTS     8 /* most GPUs one bench pod takes */

/* GPU models of the openb trace, in the order used as model indices here. */
static const char *const bench_models[] = {"G2", "T4", "P100", "V100M16", "V100M32", "G3", "A10"};
#define BENCH_NMODELS (sizeof bench_models / sizeof bench_models[0])

struct bench_node {
    int32_t cpu_milli, mem_mib;
    uint8_t gpus, model;
};

struct bench_shape {
    int32_t cpu_milli, mem_mib;
    uint16_t count, milli; /* milli 1000 for whole GPUs */
    uint64_t mask;
};

/* One live pod: enough to rebuild its exact placement record. */
struct bench_live {
    uint32_t node;
    uint32_t shape;
    uint8_t n;
    uint32_t gpu[BENCH_PARTS];
};

struct bench_set {
    struct bench_shape *v;
    size_t n;
};

struct bench {
    struct bench_node *nodes; /* the openb node list (or the built-in mix) */
    size_t n_nodes;
    struct bench_set shared, whole;
    struct placer_shape *target; /* deduplicated shared shapes with counts (FGD target) */
    size_t n_target;
    gsl_rng *rng;
    cJSON *rows;
    bool quick;
    bool have_openb; /* the node list was read from the trace */
};

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench_model_index(const char *name)
{
    for (size_t i = 0; i < BENCH_NMODELS; i++)
        if (strcmp(bench_models[i], name) == 0)
            return (int)i;
    return -1;
}

/* ---------------- inputs ---------------- */

static int bench_load_nodes(struct bench *b, struct os_error *err)
{
    struct trace_reader r;
    struct trace_record rec;
    struct os_error terr;
    if (trace_open(&r, BENCH_NODES_CSV, TRACE_OPENB_NODE, NULL, &terr) != OS_OK) {
        /* built-in mix when the trace is not there: 1/2/4/8-GPU nodes */
        static const struct bench_node mix[] = {
            {32000, 131072, 1, 1}, {64000, 262144, 2, 2}, {96000, 393216, 4, 0},
            {96000, 786432, 8, 3}, {64000, 262144, 2, 0}, {96000, 393216, 8, 0},
        };
        b->n_nodes = sizeof mix / sizeof mix[0];
        b->nodes = malloc(sizeof mix);
        if (!b->nodes)
            return os_errorf(err, OS_ENOMEM, "bench: out of memory");
        memcpy(b->nodes, mix, sizeof mix);
        return OS_OK;
    }
    b->have_openb = true;
    size_t cap = 2048;
    b->nodes = malloc(cap * sizeof *b->nodes);
    int rc = b->nodes ? OS_OK : os_errorf(err, OS_ENOMEM, "bench: out of memory");
    while (rc == OS_OK) {
        int k = trace_next(&r, &rec, err);
        if (k <= 0) {
            rc = k;
            break;
        }
        const struct trace_openb_node *o = &rec.openb_node;
        int m = bench_model_index(o->model);
        if (o->num_gpu <= 0 || o->num_gpu > GPU_NODE_MAX || m < 0)
            continue;
        if (b->n_nodes == cap) {
            void *q = realloc(b->nodes, 2 * cap * sizeof *b->nodes);
            if (!q) {
                rc = os_errorf(err, OS_ENOMEM, "bench: out of memory");
                break;
            }
            b->nodes = q;
            cap *= 2;
        }
        b->nodes[b->n_nodes++] = (struct bench_node){(int32_t)o->cpu_milli, (int32_t)o->memory_mib,
                                                     (uint8_t)o->num_gpu, (uint8_t)m};
    }
    trace_close(&r);
    return rc;
}

static int bench_push(struct bench_set *s, size_t *cap, struct bench_shape v)
{
    if (s->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 1024;
        void *q = realloc(s->v, nc * sizeof *s->v);
        if (!q)
            return OS_ENOMEM;
        s->v = q;
        *cap = nc;
    }
    s->v[s->n++] = v;
    return OS_OK;
}

static uint64_t bench_spec_mask(const char *spec)
{
    uint64_t m = 0;
    char buf[TRACE_SPEC_MAX];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        int i = bench_model_index(t);
        if (i >= 0)
            m |= 1ull << i;
    }
    return m;
}

static int bench_load_pods(struct bench *b, struct os_error *err)
{
    size_t cs = 0, cw = 0;
    struct trace_reader r;
    struct trace_record rec;
    struct os_error terr;
    if (trace_open(&r, BENCH_PODS_CSV, TRACE_OPENB_POD, NULL, &terr) != OS_OK) {
        /* built-in mix: CPU-only, fractions, 1, 2, 4 and 8 GPUs */
        static const struct bench_shape mix[] = {
            {4000, 8192, 0, 0, 0},       {8000, 16384, 1, 250, 0},    {8000, 16384, 1, 500, 0},
            {12000, 32768, 1, 1000, 0},  {12000, 32768, 1, 1000, 0},  {24000, 65536, 2, 1000, 0},
            {48000, 131072, 4, 1000, 0}, {64000, 262144, 8, 1000, 0},
        };
        for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++) {
            if (bench_push(&b->shared, &cs, mix[i]) ||
                (mix[i].count && mix[i].milli == GPU_MILLI && bench_push(&b->whole, &cw, mix[i])))
                return os_errorf(err, OS_ENOMEM, "bench: out of memory");
        }
        return OS_OK;
    }
    int rc = OS_OK;
    for (;;) {
        int k = trace_next(&r, &rec, err);
        if (k <= 0) {
            rc = k;
            break;
        }
        const struct trace_openb_pod *o = &rec.openb_pod;
        if (o->num_gpu < 0 || o->num_gpu > BENCH_PARTS)
            continue;
        struct bench_shape s = {(int32_t)o->cpu_milli, (int32_t)o->memory_mib, (uint16_t)o->num_gpu,
                                (uint16_t)(o->num_gpu ? (o->gpu_milli ? o->gpu_milli : 1000) : 0),
                                bench_spec_mask(o->gpu_spec)};
        if (s.count > 1)
            s.milli = GPU_MILLI;
        if (bench_push(&b->shared, &cs, s)) {
            rc = os_errorf(err, OS_ENOMEM, "bench: out of memory");
            break;
        }
        if (s.count && s.milli == GPU_MILLI) {
            s.mask = 0;
            if (bench_push(&b->whole, &cw, s)) {
                rc = os_errorf(err, OS_ENOMEM, "bench: out of memory");
                break;
            }
        }
    }
    trace_close(&r);
    return rc;
}

/* The FGD target workload: the shared shapes, deduplicated, with counts. */
static int bench_build_target(struct bench *b, struct os_error *err)
{
    b->target = calloc(b->shared.n ? b->shared.n : 1, sizeof *b->target);
    if (!b->target)
        return os_errorf(err, OS_ENOMEM, "bench: out of memory");
    for (size_t i = 0; i < b->shared.n; i++) {
        const struct bench_shape *s = &b->shared.v[i];
        size_t j = 0;
        for (; j < b->n_target; j++) {
            const struct placer_shape *t = &b->target[j];
            if (t->cpu_milli == s->cpu_milli && t->gpu.count == s->count &&
                t->gpu.milli == s->milli && t->gpu_model_mask == s->mask)
                break;
        }
        if (j == b->n_target)
            b->target[b->n_target++] = (struct placer_shape){
                .cpu_milli = s->cpu_milli,
                .mem_mib = s->mem_mib,
                .gpu = {s->count, s->milli, s->count ? GPU_RES_GPU : GPU_RES_NONE},
                .gpu_model_mask = s->mask};
        b->target[j].freq += 1.0;
    }
    return OS_OK;
}

/* ---------------- cluster and churn ---------------- */

static int bench_cluster(struct bench *b, struct cluster *c, size_t n, bool exact,
                         struct os_error *err)
{
    struct cluster_cfg cfg = {.max_nodes = (uint32_t)n, .max_gpus = (uint32_t)n * GPU_NODE_MAX};
    int rc = cluster_init(c, &cfg, err);
    if (rc)
        return rc;
    uint16_t pool;
    struct gpu_cfg g = {.mode = GPU_MODE_MILLI};
    if ((rc = cluster_add_pool(c, "bench", &g, &pool, err)))
        goto out_destroy;
    for (size_t i = 0; i < n; i++) {
        const struct bench_node *bn =
            &b->nodes[exact ? i : gsl_rng_uniform_int(b->rng, b->n_nodes)];
        struct cluster_node_spec s = {.cpu_milli = bn->cpu_milli,
                                      .mem_mib = bn->mem_mib,
                                      .gpu_count = bn->gpus,
                                      .gpu_model = bn->model,
                                      .pool = pool,
                                      .instance_type = -1,
                                      .state = CLUSTER_NODE_READY};
        uint32_t id;
        if ((rc = cluster_add_node(c, &s, &id, err)))
            goto out_destroy;
    }
    return OS_OK;
out_destroy:
    cluster_destroy(c);
    return rc;
}

static struct pod_req bench_req(const struct bench_shape *s)
{
    return (struct pod_req){
        .cpu_milli = s->cpu_milli,
        .mem_mib = s->mem_mib,
        .gpu = {s->count, s->count ? s->milli : 0, s->count ? GPU_RES_GPU : GPU_RES_NONE},
        .gpu_model_mask = s->mask};
}

static void bench_record(struct bench_live *l, uint32_t shape, const struct placement *pl)
{
    l->node = pl->node;
    l->shape = shape;
    l->n = pl->gpu.n;
    for (uint8_t i = 0; i < pl->gpu.n && i < BENCH_PARTS; i++)
        l->gpu[i] = pl->gpu.part[i].gpu;
}

static void bench_release(struct cluster *c, const struct bench_set *set,
                          const struct bench_live *l)
{
    const struct bench_shape *s = &set->v[l->shape];
    struct placement pl = {.node = l->node, .cpu_milli = s->cpu_milli, .mem_mib = s->mem_mib};
    pl.gpu.node = l->node;
    pl.gpu.mode = GPU_MODE_MILLI;
    pl.gpu.n = l->n;
    for (uint8_t i = 0; i < l->n; i++)
        pl.gpu.part[i] = (struct gpu_alloc_part){.gpu = l->gpu[i], .amount = s->milli};
    placement_release(c, &pl);
}

/* Fills to BENCH_FILL of the GPUs with first fit on random nodes. Returns the
 * number of live pods. */
static size_t bench_fill(struct bench *b, struct cluster *c, const struct bench_set *set,
                         struct bench_live *live, size_t cap)
{
    uint64_t want = (uint64_t)(BENCH_FILL * (double)c->n_gpus * GPU_MILLI), got = 0;
    size_t n = 0, misses = 0;
    while (got < want && n < cap && misses < 1000) {
        uint32_t si = (uint32_t)gsl_rng_uniform_int(b->rng, set->n);
        struct pod_req r = bench_req(&set->v[si]);
        bool placed = false;
        for (int t = 0; t < 64 && !placed; t++) {
            uint32_t node = (uint32_t)gsl_rng_uniform_int(b->rng, c->n_nodes);
            struct placement pl = {.node = node, .cpu_milli = r.cpu_milli, .mem_mib = r.mem_mib};
            if (!placement_node_fits(c, &r, node) || gpu_choose(c, node, &r.gpu, &pl.gpu))
                continue;
            placement_bind(c, &pl);
            bench_record(&live[n++], si, &pl);
            got += (uint64_t)r.gpu.count * (r.gpu.count ? r.gpu.milli : 0);
            placed = true;
        }
        misses = placed ? 0 : misses + 1;
    }
    return n;
}

struct bench_tally {
    uint64_t decisions, evals;
};

/* One churn step: release a random pod, place a new one (two attempts). */
static void bench_step(struct bench *b, struct placer *p, struct cluster *c,
                       const struct bench_set *set, struct bench_live *live, size_t *n, size_t cap,
                       struct bench_tally *t)
{
    if (*n) {
        size_t k = gsl_rng_uniform_int(b->rng, *n);
        bench_release(c, set, &live[k]);
        live[k] = live[--*n];
    }
    for (int attempt = 0; attempt < 2 && *n < cap; attempt++) {
        uint32_t si = (uint32_t)gsl_rng_uniform_int(b->rng, set->n);
        struct pod_req r = bench_req(&set->v[si]);
        struct placement pl;
        t->decisions++;
        if (placer_place(p, c, &r, b->rng, &pl) == OS_OK) {
            bench_record(&live[(*n)++], si, &pl);
            break;
        }
    }
}

static int bench_one(struct bench *b, struct cluster *c, const char *cluster_name,
                     const char *workload, const struct bench_set *set,
                     const struct placer_ops *ops, struct os_error *err)
{
    size_t cap = (size_t)c->n_gpus * 4 + c->n_nodes * 4 + 16;
    struct bench_live *live = malloc(cap * sizeof *live);
    if (!live)
        return os_errorf(err, OS_ENOMEM, "bench: out of memory");
    cluster_reset(c);
    gsl_rng_set(b->rng, BENCH_SEED);
    size_t n = bench_fill(b, c, set, live, cap);

    struct placer p;
    struct placer_opts o = {.shapes = b->target, .n_shapes = b->n_target};
    int rc = placer_init_ops(&p, ops, c, &o, err);
    if (rc) {
        free(live);
        return rc;
    }
    double warm_t = b->quick ? 0.003 : 0.05, run_t = b->quick ? 0.006 : 0.15;
    struct bench_tally t = {0};
    double t0 = bench_now(), t1 = t0;
    uint64_t steps = 0;
    while ((t1 = bench_now()) - t0 < warm_t || steps < 3) {
        bench_step(b, &p, c, set, live, &n, cap, &t);
        steps++;
    }
    double rate = steps / (t1 - t0);
    uint64_t per_run = (uint64_t)(rate * run_t);
    if (per_run < 3)
        per_run = 3;

    double pps[BENCH_RUNS], eps[BENCH_RUNS];
    for (int run = 0; run < BENCH_RUNS; run++) {
        struct bench_tally r0 = {0};
        uint64_t ev0 = p.node_evals;
        double s = bench_now();
        for (uint64_t i = 0; i < per_run; i++)
            bench_step(b, &p, c, set, live, &n, cap, &r0);
        double dt = bench_now() - s;
        pps[run] = r0.decisions / dt;
        eps[run] = (double)(p.node_evals - ev0) / dt;
    }
    /* the filter alone (no scoring, no binding) on the steady-state cluster */
    double fps[BENCH_RUNS], fcs[BENCH_RUNS];
    uint64_t fper = per_run * 4;
    for (int run = 0; run < BENCH_RUNS; run++) {
        uint64_t ev0 = p.node_evals;
        double s = bench_now();
        for (uint64_t i = 0; i < fper; i++) {
            struct pod_req r = bench_req(&set->v[gsl_rng_uniform_int(b->rng, set->n)]);
            placement_filter(&p, c, &r);
        }
        double dt = bench_now() - s;
        fps[run] = (double)(p.node_evals - ev0) / dt;
        fcs[run] = (double)fper / dt;
    }
    gsl_sort(pps, 1, BENCH_RUNS);
    gsl_sort(eps, 1, BENCH_RUNS);
    gsl_sort(fps, 1, BENCH_RUNS);
    gsl_sort(fcs, 1, BENCH_RUNS);
    uint64_t gpus, alloc;
    cluster_gpu_totals(c, &gpus, &alloc);

    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "policy", ops->name);
    cJSON_AddNumberToObject(row, "nodes", c->n_nodes);
    cJSON_AddStringToObject(row, "cluster", cluster_name);
    cJSON_AddStringToObject(row, "workload", workload);
    cJSON_AddNumberToObject(row, "placements_per_s",
                            (double)(int64_t)gsl_stats_median_from_sorted_data(pps, 1, BENCH_RUNS));
    cJSON_AddNumberToObject(row, "node_evals_per_s",
                            (double)(int64_t)gsl_stats_median_from_sorted_data(eps, 1, BENCH_RUNS));
    cJSON_AddNumberToObject(row, "filter_calls_per_s",
                            (double)(int64_t)gsl_stats_median_from_sorted_data(fcs, 1, BENCH_RUNS));
    cJSON_AddNumberToObject(row, "filter_node_evals_per_s",
                            (double)(int64_t)gsl_stats_median_from_sorted_data(fps, 1, BENCH_RUNS));
    cJSON_AddNumberToObject(row, "gpu_alloc_pct",
                            gpus ? (double)(int64_t)((double)alloc / (double)gpus) / 10.0 : 0);
    cJSON_AddItemToArray(b->rows, row);
    placer_destroy(&p);
    free(live);
    return OS_OK;
}

/* ECS policies are whole-GPU only; the FGD-paper policies are for sharing. */
static bool bench_runs(const struct placer_ops *ops, bool shared)
{
    bool ecs = strncmp(ops->name, "ecs", 3) == 0, k8s = strncmp(ops->name, "k8s", 3) == 0;
    return shared ? !ecs : (ecs || k8s);
}

static int bench_cluster_all(struct bench *b, size_t n, bool exact, struct os_error *err)
{
    struct cluster c;
    gsl_rng_set(b->rng, BENCH_SEED + n);
    int rc = bench_cluster(b, &c, n, exact, err);
    if (rc)
        return rc;
    const char *name = exact ? "openb" : "synthetic";
    for (int w = 0; w < 2 && rc == OS_OK; w++) {
        bool shared = w == 1;
        const struct bench_set *set = shared ? &b->shared : &b->whole;
        if (set->n == 0)
            continue;
        for (size_t i = 0; i < placer_count() && rc == OS_OK; i++)
            if (bench_runs(placer_at(i), shared))
                rc = bench_one(b, &c, name, shared ? "shared" : "whole", set, placer_at(i), err);
    }
    cluster_destroy(&c);
    return rc;
}

int bench_placement(FILE *out, bool quick, struct os_error *err)
{
    struct bench b = {.quick = quick};
    int rc = OS_OK;
    b.rng = gsl_rng_alloc(gsl_rng_mt19937);
    b.rows = cJSON_CreateArray();
    if (!b.rng || !b.rows) {
        rc = os_errorf(err, OS_ENOMEM, "bench: out of memory");
        goto out_free;
    }
    if ((rc = bench_load_nodes(&b, err)) || (rc = bench_load_pods(&b, err)) ||
        (rc = bench_build_target(&b, err)))
        goto out_free;
    static const size_t full[] = {1000, 5000, 20000, 100000};
    static const size_t small[] = {1000};
    const size_t *sizes = quick ? small : full;
    size_t nsizes = quick ? 1 : sizeof full / sizeof full[0];
    for (size_t i = 0; i < nsizes && rc == OS_OK; i++)
        rc = bench_cluster_all(&b, sizes[i], false, err);
    if (rc == OS_OK && b.have_openb)
        rc = bench_cluster_all(&b, b.n_nodes, true, err);
    if (rc == OS_OK) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddItemToObject(root, "placement", b.rows);
        b.rows = NULL;
        char *s = cJSON_PrintUnformatted(root);
        if (s) {
            fprintf(out, "%s\n", s);
            free(s);
        } else {
            rc = os_errorf(err, OS_ENOMEM, "bench: out of memory");
        }
        cJSON_Delete(root);
    }
out_free:
    cJSON_Delete(b.rows);
    free(b.nodes);
    free(b.shared.v);
    free(b.whole.v);
    free(b.target);
    if (b.rng)
        gsl_rng_free(b.rng);
    return rc;
}
