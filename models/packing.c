/*
 * packing.c - the FGD paper's shared-GPU packing experiment (see packing.h).
 *
 * Design note: what the peer simulator does, read from its code
 * (hkust-adsl/kubernetes-scheduler-simulator; MODELS.md section 7), and what
 * this file does about it.
 *
 * Set-up (experiments/run_scripts/generate_run_scripts.py,
 * scripts/generate_config_and_run.py, pkg/simulator/core.go Simulate):
 *   - One score plugin per run, weight 1000; every default score plugin
 *     disabled; percentageOfNodesToScore 100 (all nodes); filters: the
 *     default ones (NodeResourcesFit checks CPU and memory requests) plus
 *     Open-Gpu-Share (GPU share and GPU model `gpu_spec`).
 *   - GPU selection inside the chosen node: Random -> random fitting GPU;
 *     DotProd ("merge" dimensions) and GpuClustering, GpuPacking, BestFit ->
 *     best fit ("best": least free share that fits, lowest index); FGD -> its
 *     own frag-based choice. Whole GPUs: the lowest fully free indices.
 *   - Pods come from the CSV without creation/deletion times (the conversion
 *     script comments them out), so there are no departures.
 *   - Order of work with one math/rand stream seeded by the tuning seed:
 *     typical pods (the target workload) from the original list; pods sorted
 *     by name and shuffled (SortClusterPods, shufflePod=true); total requests
 *     recorded; TunePodsByNodeTotalResource: if the total GPU request is
 *     below tune x capacity, tuneUpPods repeatedly draws a pod uniformly from
 *     the original (name-sorted) list and APPENDS a copy after the shuffled
 *     list, stopping at the first draw whose per-GPU milli would push the
 *     total over the target (it tests MilliGpu but adds MilliGpu x count);
 *     above the target, tuneDownPods removes uniformly drawn pods until it is
 *     not. Then every pod is created in that order, placed once or failed.
 *   - Ties between the best nodes. Vanilla kube-scheduler 1.20 (selectHost)
 *     picks uniformly at random, but the peer builds on a fork
 *     (mental2008/kubernetes v1.20.5-minor, not public) and, per seed,
 *     renames every node with a random "%04d-" prefix from rand.Perm
 *     (syncClusterResourceList) - pointless unless something picks among
 *     nodes in name order. We found that uniform ties reproduce Random,
 *     DotProd and BestFit but leave GpuPacking, GpuClustering and FGD (the
 *     policies with coarse integer scores, hence many ties) 3-5 points below
 *     the published table, with CPU-starved GPUs failing pods before 90 %;
 *     breaking ties by a node order fixed per run (a random permutation per
 *     seed, i.e. first best node by prefixed name) reproduces all six within
 *     0.4 points, fragmentation included. We therefore run the policies with
 *     placer_opts.tie_node_order [U: inferred, the fork's code is not public].
 *     Random is not affected: its PreScore draws the node itself.
 *   - CPU-only pods (num_gpu 0) take CPU (and memory) only; they pass the
 *     GPU filter everywhere. A pod with num_gpu > 0 but gpu_milli 0 is
 *     CPU-only for the peer too. Shares < 1000 exist only with num_gpu 1;
 *     num_gpu > 1 always asks 1000 per GPU.
 * Metrics (pkg/simulator/analysis.go ClusterGpuFragReport, scripts/analysis.py,
 * experiments/analysis/merge_{alloc,frag}_discrete*.py):
 *   - after every pod: arrived milli-GPU (sum of every created pod's request,
 *     failed ones included), used milli-GPU (sum allocated) and the cluster's
 *     fragmentation (frag.h, target = typical pods: popularity 95 %, CPU pods
 *     included, step 1);
 *   - per run: arrive = round(arrived / GPUs / 10) (half to even), alloc =
 *     round(used / GPUs / 10, 2); the curve at integer k = 0..130 is the mean
 *     of alloc over the rows with arrive == k, else over rows with arrive in
 *     [k-1, k+1], else absent; rounded to 2 decimals. Fragmentation at k:
 *     round(100 * mean(frag milli) / 1000 / GPUs, 2).
 *   - The published table is the median over seeds 42..51.
 * What differs here, and why:
 *   - Go's math/rand stream cannot be reproduced: the shuffle, the tuning
 *     draws, the node order for ties and the random GPU choice use GSL
 *     MT19937 streams derived from the seed (sim/rng.h): "packing.workload"
 *     for the list (the same for every variant, as in the peer, where it is
 *     drawn before any scheduling), "packing.placer" for each policy's own
 *     stream (tie order; the random policy's GPU choice), "packing.place" for
 *     the select step's uniform ties (used by the random policy only).
 *     Medians over seeds are comparable, single seeds are not.
 *   - Every run builds its cluster afresh, so a run depends only on
 *     (variant, seed), whatever thread ran what before.
 *   - Float summation order inside the fragmentation differs from the peer's
 *     (frag.h's fast form), which can move an FGD score across an integer
 *     boundary in rare cases.
 * Policies: models/placement/baselines.c and fgd.c. Pods are given the group
 * of their GPU affinity class (1 = fractional, k + 1 = k whole GPUs) so that
 * gpuclustering can read per-node class counts from the cluster.
 */
#include "models/packing.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/cluster.h"
#include "models/frag.h"
#include "models/gpu.h"
#include "models/placement/placement.h"
#include "sim/pool.h"
#include "sim/results.h"
#include "sim/rng.h"
#include "sim/trace.h"

/* Rows whose rounded arrived % is above the last point still feed its
 * neighbour fallback (k + 1). */
#define PK_BINS (PACKING_POINTS + 1)
/* Most seeds per experiment (the scenario schema's limit; medians use a
 * stack buffer of this many doubles). */
#define PK_SEEDS_MAX 10000

/* Everything the workers share, read-only during the runs. */
struct pk_shared {
    const struct packing_cfg *cfg;
    struct packing_nodes nodes;
    struct packing_pods pods;
    uint32_t *by_name; /* pod indices sorted by name */
    int64_t capacity_milli;
    struct placer_shape *shapes; /* target workload */
    size_t nshapes;
    const struct placer_ops *ops[PACKING_VARIANTS_MAX];
    struct packing_result *res;
};

/* ---------------- loading (shared with models/replay) ---------------- */

static int pk_model_index(struct packing_nodes *nl, const char *path, const char *model,
                          uint8_t *out, struct os_error *err)
{
    for (uint32_t i = 0; i < nl->nmodels; i++)
        if (strcmp(nl->models[i], model) == 0) {
            *out = (uint8_t)i;
            return OS_OK;
        }
    if (nl->nmodels == PACKING_MODELS_MAX)
        return os_errorf(err, OS_EFULL, "%s: more than %d GPU models", path, PACKING_MODELS_MAX);
    snprintf(nl->models[nl->nmodels], sizeof nl->models[0], "%s", model);
    *out = (uint8_t)nl->nmodels++;
    return OS_OK;
}

void packing_nodes_destroy(struct packing_nodes *nl)
{
    free(nl->spec);
    free(nl->names);
    memset(nl, 0, sizeof(*nl));
}

int packing_nodes_load(struct packing_nodes *nl, const char *path, bool skip_malformed,
                       struct os_error *err)
{
    memset(nl, 0, sizeof(*nl));
    struct trace_opts topts = {.skip_malformed = skip_malformed};
    struct trace_reader rd;
    struct trace_record rec;
    uint32_t cap = 0;
    int rc = trace_open(&rd, path, TRACE_OPENB_NODE, &topts, err);
    if (rc)
        return rc;
    while ((rc = trace_next(&rd, &rec, err)) == 1) {
        const struct trace_openb_node *n = &rec.openb_node;
        if (nl->n == cap) {
            cap = cap ? 2 * cap : 1024;
            void *a = realloc(nl->spec, cap * sizeof(*nl->spec));
            if (a)
                nl->spec = a;
            void *b = realloc(nl->names, cap * sizeof(*nl->names));
            if (b)
                nl->names = b;
            if (!a || !b) {
                rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
                goto out_close;
            }
        }
        if (n->cpu_milli <= 0 || n->cpu_milli > INT32_MAX || n->memory_mib <= 0 ||
            n->memory_mib > INT32_MAX || n->num_gpu < 0 || n->num_gpu > GPU_NODE_MAX) {
            rc = os_errorf(err, OS_EINVAL,
                           "%s:%lld: node %s: cpu_milli, memory_mib or gpu out of range "
                           "(gpu at most %d)",
                           path, (long long)rec.line, n->sn, GPU_NODE_MAX);
            goto out_close;
        }
        struct cluster_node_spec *s = &nl->spec[nl->n];
        memset(s, 0, sizeof(*s));
        memcpy(nl->names[nl->n], n->sn, sizeof(n->sn));
        s->cpu_milli = (int32_t)n->cpu_milli;
        s->mem_mib = (int32_t)n->memory_mib;
        s->gpu_count = (uint8_t)n->num_gpu;
        s->gpu_model = CLUSTER_GPU_NONE;
        if (n->num_gpu > 0) {
            rc = pk_model_index(nl, path, n->model, &s->gpu_model, err);
            if (rc)
                goto out_close;
        }
        s->instance_type = -1;
        s->max_pods = 1001; /* the peer's node YAML */
        s->state = CLUSTER_NODE_READY;
        nl->gpus += s->gpu_count;
        nl->n++;
    }
    if (rc < 0)
        goto out_close;
    rc = OS_OK;
    for (uint32_t i = 0; i < nl->n; i++)
        nl->spec[i].name = nl->names[i];
    if (nl->n == 0 || nl->gpus == 0)
        rc = os_errorf(err, OS_EINVAL, "%s: no GPU nodes", path);
out_close:
    trace_close(&rd);
    if (rc)
        packing_nodes_destroy(nl);
    return rc;
}

/* Bit mask of a pod's gpu_spec ("A|B"; "" = any). */
static uint64_t pk_spec_mask(const struct packing_nodes *nl, const char *spec)
{
    uint64_t mask = 0;
    bool any = false;
    const char *p = spec;
    while (*p) {
        const char *q = strchr(p, '|');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len > 0) {
            any = true;
            for (uint32_t i = 0; i < nl->nmodels; i++)
                if (strlen(nl->models[i]) == len && memcmp(nl->models[i], p, len) == 0)
                    mask |= UINT64_C(1) << i;
        }
        p += len + (q != NULL);
    }
    if (any && mask == 0)
        mask = UINT64_C(1) << PACKING_MASK_NONE;
    return mask;
}

void packing_pods_destroy(struct packing_pods *pl)
{
    free(pl->pod);
    free(pl->req);
    memset(pl, 0, sizeof(*pl));
}

/* Fills the request of a pod asking for `count` GPUs of `milli` each (0 and
 * 0 for a CPU-only pod). */
static void pk_fill_gpu(struct packing_pod *pk, struct pod_req *r, int32_t count, int32_t milli,
                        uint64_t mask)
{
    r->group = CLUSTER_NO_GROUP;
    pk->gpu_total = 0;
    pk->gpu_per = 0;
    /* The peer treats a pod whose gpu-milli is 0 as a CPU-only pod. */
    if (count > 0 && milli > 0) {
        r->gpu.count = (uint16_t)count;
        r->gpu.milli = (uint16_t)milli;
        r->gpu.res = GPU_RES_GPU;
        r->gpu_model_mask = mask;
        /* gpuclustering's affinity classes (baselines.c): 1 = fraction,
         * k + 1 = k whole GPUs. */
        r->group = (count == 1 && milli < GPU_MILLI) ? 1u : (uint32_t)count + 1u;
        pk->gpu_per = milli;
        pk->gpu_total = (int64_t)milli * count;
    }
}

/* One openb_pod row into *pk and *r. */
static int pk_openb_pod(const struct packing_nodes *nl, const char *path,
                        const struct trace_record *rec, struct packing_pod *pk, struct pod_req *r,
                        struct os_error *err)
{
    const struct trace_openb_pod *p = &rec->openb_pod;
    if (p->cpu_milli < 0 || p->cpu_milli > INT32_MAX || p->memory_mib < 0 ||
        p->memory_mib > INT32_MAX || p->num_gpu < 0 || p->num_gpu > GPU_NODE_MAX ||
        p->gpu_milli < 0 || p->gpu_milli > GPU_MILLI ||
        (p->num_gpu > 1 && p->gpu_milli > 0 && p->gpu_milli != GPU_MILLI))
        return os_errorf(err, OS_EINVAL,
                         "%s:%lld: pod %s: cpu_milli, memory_mib, num_gpu (0..%d) or "
                         "gpu_milli (0..1000, and 1000 when num_gpu > 1) out of range",
                         path, (long long)rec->line, p->name, GPU_NODE_MAX);
    memcpy(pk->name, p->name, sizeof(pk->name));
    r->cpu_milli = (int32_t)p->cpu_milli;
    r->mem_mib = (int32_t)p->memory_mib;
    pk_fill_gpu(pk, r, p->num_gpu, p->gpu_milli,
                p->num_gpu > 0 && p->gpu_milli > 0 ? pk_spec_mask(nl, p->gpu_spec) : 0);
    pk->has_times = p->has_times;
    pk->creation_us = p->creation_us;
    pk->deletion_us = p->deletion_us;
    pk->has_scheduled = p->has_scheduled;
    pk->scheduled_us = p->scheduled_us;
    return OS_OK;
}

/* One DLRM instance into *pk and *r: its requests (whole GPUs, any model);
 * the RDMA share and max_instance_per_node are not modelled. */
static int pk_dlrm_pod(const char *path, const struct trace_record *rec, struct packing_pod *pk,
                       struct pod_req *r, struct os_error *err)
{
    const struct trace_dlrm *p = &rec->dlrm;
    if (p->cpu_request_milli < 0 || p->cpu_request_milli > INT32_MAX || p->memory_request_mib < 0 ||
        p->memory_request_mib > INT32_MAX || p->gpu_request < 0 || p->gpu_request > GPU_NODE_MAX)
        return os_errorf(err, OS_EINVAL,
                         "%s:%lld: instance %s: cpu_request, memory_request or gpu_request "
                         "(0..%d) out of range",
                         path, (long long)rec->line, p->instance_sn, GPU_NODE_MAX);
    memcpy(pk->name, p->instance_sn, sizeof(pk->name));
    r->cpu_milli = (int32_t)p->cpu_request_milli;
    r->mem_mib = (int32_t)p->memory_request_mib;
    pk_fill_gpu(pk, r, p->gpu_request, p->gpu_request > 0 ? GPU_MILLI : 0, 0);
    pk->has_times = true;
    pk->creation_us = p->has_creation ? p->creation_us : INT64_MIN;
    pk->deletion_us = p->has_deletion ? p->deletion_us : INT64_MAX;
    pk->has_scheduled = p->has_scheduled && p->has_creation;
    pk->scheduled_us = p->has_scheduled ? p->scheduled_us : -1;
    return OS_OK;
}

int packing_pods_load(struct packing_pods *pl, const char *path, enum trace_format fmt,
                      const struct packing_nodes *nl, bool skip_malformed, struct os_error *err)
{
    memset(pl, 0, sizeof(*pl));
    if (fmt != TRACE_OPENB_POD && fmt != TRACE_DLRM)
        return os_errorf(err, OS_EINVAL, "%s: pods must be openb_pod or dlrm, not %s", path,
                         trace_format_name(fmt));
    struct trace_opts topts = {.skip_malformed = skip_malformed};
    struct trace_reader rd;
    struct trace_record rec;
    uint32_t cap = 0;
    int rc = trace_open(&rd, path, fmt, &topts, err);
    if (rc)
        return rc;
    while ((rc = trace_next(&rd, &rec, err)) == 1) {
        if (pl->n == cap) {
            cap = cap ? 2 * cap : 8192;
            void *a = realloc(pl->pod, cap * sizeof(*pl->pod));
            if (a)
                pl->pod = a;
            void *b = realloc(pl->req, cap * sizeof(*pl->req));
            if (b)
                pl->req = b;
            if (!a || !b) {
                rc = os_errorf(err, OS_ENOMEM, "%s: out of memory", path);
                goto out_close;
            }
        }
        struct packing_pod *pk = &pl->pod[pl->n];
        struct pod_req *r = &pl->req[pl->n];
        memset(pk, 0, sizeof(*pk));
        memset(r, 0, sizeof(*r));
        pk->line = rec.line;
        rc = fmt == TRACE_DLRM ? pk_dlrm_pod(path, &rec, pk, r, err)
                               : pk_openb_pod(nl, path, &rec, pk, r, err);
        if (rc)
            goto out_close;
        pl->request_milli += pk->gpu_total;
        pl->n++;
    }
    if (rc < 0)
        goto out_close;
    rc = pl->n ? OS_OK : os_errorf(err, OS_EINVAL, "%s: no pods", path);
out_close:
    trace_close(&rd);
    if (rc)
        packing_pods_destroy(pl);
    return rc;
}

int packing_cluster_build(struct cluster *c, const struct packing_nodes *nl, struct os_error *err)
{
    struct cluster_cfg ccfg = {
        .max_nodes = nl->n,
        .max_gpus = nl->gpus ? nl->gpus : 1,
        .max_strings = nl->n + 64,
        .string_bytes = nl->n * TRACE_NAME_MAX + 4096,
        .max_groups = GPU_NODE_MAX + 1, /* gpuclustering's affinity classes */
    };
    int rc = cluster_init(c, &ccfg, err);
    if (rc)
        return rc;
    struct gpu_cfg gcfg = {.mode = GPU_MODE_MILLI};
    uint16_t pool;
    rc = cluster_add_pool(c, "openb", &gcfg, &pool, err);
    for (uint32_t i = 0; rc == OS_OK && i < nl->n; i++) {
        struct cluster_node_spec s = nl->spec[i];
        s.pool = pool;
        uint32_t id;
        rc = cluster_add_node(c, &s, &id, err);
    }
    if (rc)
        cluster_destroy(c);
    return rc;
}

/* A pod's name and index, for sorting by name. */
struct pk_name {
    const char *name;
    uint32_t idx;
};

static int pk_cmp_name(const void *a, const void *b)
{
    const struct pk_name *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* sh->by_name: pod indices in name order (the peer sorts by name before
 * shuffling and before drawing tuning copies). */
static int pk_sort_by_name(struct pk_shared *sh, struct os_error *err)
{
    uint32_t npods = sh->pods.n;
    struct pk_name *tmp = malloc(npods * sizeof(*tmp));
    sh->by_name = malloc(npods * sizeof(*sh->by_name));
    if (!tmp || !sh->by_name) {
        free(tmp);
        return os_errorf(err, OS_ENOMEM, "packing: out of memory");
    }
    for (uint32_t i = 0; i < npods; i++)
        tmp[i] = (struct pk_name){.name = sh->pods.pod[i].name, .idx = i};
    qsort(tmp, npods, sizeof(*tmp), pk_cmp_name);
    for (uint32_t i = 0; i < npods; i++)
        sh->by_name[i] = tmp[i].idx;
    free(tmp);
    return OS_OK;
}

/* Orders a shape array for merging duplicates. */
static int pk_cmp_shape(const void *a, const void *b)
{
    const struct placer_shape *x = a, *y = b;
    if (x->cpu_milli != y->cpu_milli)
        return x->cpu_milli < y->cpu_milli ? -1 : 1;
    if (x->gpu.count != y->gpu.count)
        return x->gpu.count < y->gpu.count ? -1 : 1;
    if (x->gpu.milli != y->gpu.milli)
        return x->gpu.milli < y->gpu.milli ? -1 : 1;
    if (x->gpu_model_mask != y->gpu_model_mask)
        return x->gpu_model_mask < y->gpu_model_mask ? -1 : 1;
    return 0;
}

/* The target workload: shapes of the pods with their counts, reduced to the
 * typical ones (frag_typical_shapes). CPU requests take kube-scheduler's
 * non-zero default, as the peer's GetPodResource. */
int packing_shapes_build(const struct packing_pods *pl, double popularity_pct,
                         struct placer_shape **out, size_t *nout, struct os_error *err)
{
    *out = NULL;
    *nout = 0;
    struct placer_shape *shapes = calloc(pl->n ? pl->n : 1, sizeof(*shapes));
    if (!shapes)
        return os_errorf(err, OS_ENOMEM, "packing: out of memory");
    for (uint32_t i = 0; i < pl->n; i++) {
        const struct pod_req *r = &pl->req[i];
        struct placer_shape *s = &shapes[i];
        s->cpu_milli = r->cpu_milli > 0 ? r->cpu_milli : 100;
        s->gpu = r->gpu;
        s->gpu_model_mask = r->gpu_model_mask;
        s->freq = 1;
    }
    qsort(shapes, pl->n, sizeof(*shapes), pk_cmp_shape);
    size_t m = 0;
    for (uint32_t i = 0; i < pl->n; i++) {
        if (m > 0 && pk_cmp_shape(&shapes[m - 1], &shapes[i]) == 0)
            shapes[m - 1].freq += 1;
        else
            shapes[m++] = shapes[i];
    }
    *out = shapes;
    *nout = frag_typical_shapes(shapes, m, popularity_pct > 0 ? popularity_pct : 95.0);
    return OS_OK;
}

/* ---------------- one run ---------------- */

struct pk_worker {
    struct pk_shared *sh;
    struct cluster cl;
    bool cl_live;
    struct frag_target target;
    bool target_live;
    struct frag_nodes fn;
    bool fn_live;
    uint32_t *order;
    size_t order_cap;
};

/* (Re)builds the worker's cluster from the node list. Every run gets a
 * freshly built cluster, so no run can see another's history (the order of
 * the cluster's availability lists, for instance, depends on it). */
static int pk_build_cluster(struct pk_worker *w, struct os_error *err)
{
    if (w->cl_live)
        cluster_destroy(&w->cl);
    w->cl_live = false;
    int rc = packing_cluster_build(&w->cl, &w->sh->nodes, err);
    w->cl_live = rc == OS_OK;
    return rc;
}

/* pool_job.init (sim/pool.h) */
static int pk_worker_init(void *wv, void *shv, struct os_error *err)
{
    struct pk_worker *w = wv;
    struct pk_shared *sh = shv;
    memset(w, 0, sizeof(*w));
    w->sh = sh;
    int rc = frag_target_build(&w->target, sh->shapes, sh->nshapes, err);
    if (rc)
        return rc;
    w->target_live = true;
    rc = frag_nodes_init(&w->fn, &w->target, sh->nodes.n, err);
    if (rc)
        return rc;
    w->fn_live = true;
    w->order_cap = (size_t)sh->pods.n * 2 + 16;
    w->order = malloc(w->order_cap * sizeof(*w->order));
    if (!w->order)
        return os_errorf(err, OS_ENOMEM, "packing: out of memory");
    return OS_OK;
}

/* pool_job.destroy */
static void pk_worker_destroy(void *wv)
{
    struct pk_worker *w = wv;
    free(w->order);
    if (w->fn_live)
        frag_nodes_destroy(&w->fn);
    if (w->target_live)
        frag_target_destroy(&w->target);
    if (w->cl_live)
        cluster_destroy(&w->cl);
    memset(w, 0, sizeof(*w));
}

static int pk_order_push(struct pk_worker *w, size_t *n, uint32_t pod, struct os_error *err)
{
    if (*n == w->order_cap) {
        size_t cap = w->order_cap * 2;
        uint32_t *o = realloc(w->order, cap * sizeof(*o));
        if (!o)
            return os_errorf(err, OS_ENOMEM, "packing: out of memory");
        w->order = o;
        w->order_cap = cap;
    }
    w->order[(*n)++] = pod;
    return OS_OK;
}

/* The pod list of one seed: shuffle, then tune (see the design note). */
static int pk_make_order(struct pk_worker *w, gsl_rng *g, size_t *len, struct os_error *err)
{
    const struct pk_shared *sh = w->sh;
    size_t n = sh->pods.n;
    memcpy(w->order, sh->by_name, n * sizeof(*w->order));
    gsl_ran_shuffle(g, w->order, n, sizeof(*w->order));
    double tune = sh->cfg->tune;
    int64_t total = sh->pods.request_milli;
    double target = tune * (double)sh->capacity_milli;
    if (tune > 0 && (double)total > target) {
        while ((double)total > target && n > 0) {
            size_t idx = gsl_rng_uniform_int(g, n);
            total -= sh->pods.pod[w->order[idx]].gpu_total;
            memmove(&w->order[idx], &w->order[idx + 1], (n - idx - 1) * sizeof(*w->order));
            n--;
        }
    } else if (tune > 0 && (double)total < target && sh->pods.request_milli > 0) {
        for (;;) {
            uint32_t pod = sh->by_name[gsl_rng_uniform_int(g, sh->pods.n)];
            /* The peer tests the per-GPU milli, then adds the total. */
            if ((double)(total + sh->pods.pod[pod].gpu_per) > target)
                break;
            total += sh->pods.pod[pod].gpu_total;
            int rc = pk_order_push(w, &n, pod, err);
            if (rc)
                return rc;
        }
    }
    *len = n;
    return OS_OK;
}

/* numpy's round(x, 2). */
static double pk_round2(double x)
{
    return rint(x * 100.0) / 100.0;
}

/* pool_job.run */
static int pk_run_one(void *wv, unsigned run, struct os_error *err)
{
    struct pk_worker *w = wv;
    struct pk_shared *sh = w->sh;
    const struct packing_cfg *cfg = sh->cfg;
    unsigned v = run / cfg->nseeds, s = run % cfg->nseeds;
    uint64_t seed = cfg->seed0 + s;
    struct packing_run *out = &sh->res->runs[run];
    memset(out, 0, sizeof(*out));
    out->variant = v;
    out->seed = seed;

    struct rng rw = {0}, rp = {0};
    struct placer pl = {0};
    bool pl_live = false;
    int rc = rng_init(&rw, seed, "packing.workload", 0, err);
    if (rc)
        goto out;
    rc = rng_init(&rp, seed, "packing.place", 0, err);
    if (rc)
        goto out;
    size_t len;
    rc = pk_make_order(w, rw.r, &len, err);
    if (rc)
        goto out;

    rc = pk_build_cluster(w, err);
    if (rc)
        goto out;
    frag_nodes_reset(&w->fn);
    frag_nodes_sync_all(&w->fn, &w->target, &w->cl);
    struct placer_opts opts = {
        .shapes = sh->shapes,
        .n_shapes = sh->nshapes,
        .seed = rng_derive_seed(seed, "packing.placer", 0),
        .tie_node_order = true,
        .pct_nodes_to_score = 100,
    };
    rc = placer_init_ops(&pl, sh->ops[v], &w->cl, &opts, err);
    if (rc)
        goto out;
    pl_live = true;

    double gpus = (double)sh->nodes.gpus;
    double sum_alloc[PK_BINS] = {0}, sum_frag[PK_BINS] = {0};
    uint32_t cnt[PK_BINS] = {0};
    int64_t arrived = 0, used = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t pod = w->order[i];
        arrived += sh->pods.pod[pod].gpu_total;
        struct placement where;
        rc = placer_place(&pl, &w->cl, &sh->pods.req[pod], rp.r, &where);
        if (rc == OS_OK) {
            used += sh->pods.pod[pod].gpu_total;
            frag_nodes_sync(&w->fn, &w->target, &w->cl, where.node);
        } else if (rc == OS_ENOFIT) {
            out->failed++;
        } else {
            os_errorf(err, rc, "packing: variant %s, seed %llu: placement failed: %s",
                      cfg->variants[v].name, (unsigned long long)seed, os_strerror(rc));
            goto out;
        }
        double k = rint((double)arrived / gpus / 10.0);
        if (k >= 0 && k < PK_BINS) {
            sum_alloc[(int)k] += pk_round2((double)used / gpus / 10.0);
            sum_frag[(int)k] += pk_round2(w->fn.sum);
            cnt[(int)k]++;
        }
    }
    rc = OS_OK;
    for (int k = 0; k < PACKING_POINTS; k++) {
        double sa = sum_alloc[k], sf = sum_frag[k];
        uint32_t c = cnt[k];
        if (c == 0 && k > 0) {
            sa += sum_alloc[k - 1];
            sf += sum_frag[k - 1];
            c += cnt[k - 1];
        }
        if (cnt[k] == 0) {
            sa += sum_alloc[k + 1];
            sf += sum_frag[k + 1];
            c += cnt[k + 1];
        }
        if (c == 0)
            continue;
        out->has[k] = true;
        out->alloc[k] = pk_round2(sa / c);
        out->frag[k] = pk_round2(100.0 * (sf / c) / 1000.0 / gpus);
    }
    out->pods = (uint32_t)len;
    out->arrived_pct = 100.0 * (double)arrived / (double)sh->capacity_milli;
    out->alloc_pct = 100.0 * (double)used / (double)sh->capacity_milli;
    out->frag_pct = 100.0 * w->fn.sum / (double)sh->capacity_milli;
out:
    if (pl_live)
        placer_destroy(&pl);
    rng_destroy(&rp);
    rng_destroy(&rw);
    return rc;
}

/* ---------------- the experiment ---------------- */

static void pk_shared_destroy(struct pk_shared *sh)
{
    packing_nodes_destroy(&sh->nodes);
    packing_pods_destroy(&sh->pods);
    free(sh->by_name);
    free(sh->shapes);
}

static int pk_check_cfg(const struct packing_cfg *cfg, struct os_error *err)
{
    if (cfg->nseeds == 0 || cfg->nseeds > PK_SEEDS_MAX)
        return os_errorf(err, OS_EINVAL, "packing: seeds must be 1..%d, got %u", PK_SEEDS_MAX,
                         cfg->nseeds);
    if (cfg->nvariants == 0 || cfg->nvariants > PACKING_VARIANTS_MAX)
        return os_errorf(err, OS_EINVAL, "packing: 1..%d variants expected, got %u",
                         PACKING_VARIANTS_MAX, cfg->nvariants);
    if (!(cfg->tune <= 100))
        return os_errorf(err, OS_EINVAL, "packing: tune %g is not a ratio (expected <= 100)",
                         cfg->tune);
    return placer_check_variants("packing", cfg->variants[0].name, cfg->variants[0].policy,
                                 sizeof cfg->variants[0], cfg->nvariants, err);
}

static void pk_medians(struct packing_result *res)
{
    double vals[PK_SEEDS_MAX];
    for (unsigned v = 0; v < res->nvariants; v++) {
        unsigned ns = res->nseeds;
        for (int k = 0; k < PACKING_POINTS; k++) {
            size_t m = 0;
            for (unsigned s = 0; s < ns; s++) {
                const struct packing_run *r = &res->runs[v * res->nseeds + s];
                if (r->has[k])
                    vals[m++] = r->alloc[k];
            }
            if (m == 0)
                continue;
            gsl_sort(vals, 1, m);
            res->med_has[v][k] = true;
            res->med_alloc[v][k] = gsl_stats_median_from_sorted_data(vals, 1, m);
            m = 0;
            for (unsigned s = 0; s < ns; s++) {
                const struct packing_run *r = &res->runs[v * res->nseeds + s];
                if (r->has[k])
                    vals[m++] = r->frag[k];
            }
            gsl_sort(vals, 1, m);
            res->med_frag[v][k] = gsl_stats_median_from_sorted_data(vals, 1, m);
        }
        for (unsigned s = 0; s < ns; s++)
            vals[s] = res->runs[v * res->nseeds + s].failed;
        gsl_sort(vals, 1, ns);
        res->med_failed[v] = gsl_stats_median_from_sorted_data(vals, 1, ns);
    }
}

int packing_run(const struct packing_cfg *cfg, struct packing_result *res, struct os_error *err)
{
    memset(res, 0, sizeof(*res));
    int rc = pk_check_cfg(cfg, err);
    if (rc)
        return rc;
    struct pk_shared sh;
    memset(&sh, 0, sizeof(sh));
    sh.cfg = cfg;
    sh.res = res;
    rc = packing_nodes_load(&sh.nodes, cfg->nodes_csv, cfg->skip_malformed, err);
    if (rc)
        goto out;
    rc = packing_pods_load(&sh.pods, cfg->pods_csv, TRACE_OPENB_POD, &sh.nodes, cfg->skip_malformed,
                           err);
    if (rc)
        goto out;
    sh.capacity_milli = (int64_t)sh.nodes.gpus * GPU_MILLI;
    rc = pk_sort_by_name(&sh, err);
    if (rc)
        goto out;
    rc = packing_shapes_build(&sh.pods, cfg->popularity_pct, &sh.shapes, &sh.nshapes, err);
    if (rc)
        goto out;
    for (unsigned v = 0; v < cfg->nvariants; v++)
        sh.ops[v] = placer_find(cfg->variants[v].policy);

    unsigned nruns = cfg->nvariants * cfg->nseeds;
    res->nvariants = cfg->nvariants;
    res->nseeds = cfg->nseeds;
    res->runs = calloc(nruns, sizeof(*res->runs));
    if (!res->runs) {
        rc = os_errorf(err, OS_ENOMEM, "packing: out of memory for %u runs", nruns);
        goto out;
    }
    struct pool_job job = {&sh, sizeof(struct pk_worker), pk_worker_init, pk_run_one,
                           pk_worker_destroy};
    rc = pool_run(&job, nruns, cfg->threads, err);
    if (rc)
        goto out;
    pk_medians(res);
    res->nodes = sh.nodes.n;
    res->gpus = sh.nodes.gpus;
    res->pods_in = sh.pods.n;
    res->request_milli = (uint64_t)sh.pods.request_milli;
    res->shapes = (uint32_t)sh.nshapes;
    rc = OS_OK;
out:
    pk_shared_destroy(&sh);
    if (rc) {
        free(res->runs);
        memset(res, 0, sizeof(*res));
    }
    return rc;
}

void packing_result_destroy(struct packing_result *res)
{
    free(res->runs);
    memset(res, 0, sizeof(*res));
}

/* ---------------- outputs ---------------- */

static const int pk_report_points[] = {90, 95, 100, 110, 120, 130};
#define PK_NPOINTS (sizeof pk_report_points / sizeof pk_report_points[0])

/* The published value at arrived % k, or NAN. */
static double pk_ref(const struct packing_variant *v, int k)
{
    for (unsigned i = 0; i < v->nref && i < PACKING_REF_MAX; i++)
        if (v->ref[i][0] == k)
            return v->ref[i][1];
    return NAN;
}

static int pk_write_curve(const struct packing_cfg *cfg, const struct packing_result *res,
                          const char *dir, struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, "alloc_curve.csv", err);
    if (rc)
        return rc;
    fputs("variant,seed,arrived_pct,alloc_pct,frag_pct\n", f.fp);
    for (unsigned v = 0; v < res->nvariants; v++)
        for (unsigned s = 0; s < res->nseeds; s++) {
            const struct packing_run *r = &res->runs[v * res->nseeds + s];
            for (int k = 0; k < PACKING_POINTS; k++)
                if (r->has[k])
                    fprintf(f.fp, "%s,%llu,%d,%.2f,%.2f\n", cfg->variants[v].name,
                            (unsigned long long)r->seed, k, r->alloc[k], r->frag[k]);
        }
    if (ferror(f.fp)) {
        results_file_abort(&f);
        return os_errorf(err, OS_EIO, "%s/alloc_curve.csv: write failed", dir);
    }
    return results_file_commit(&f, err);
}

static int pk_write_median(const struct packing_cfg *cfg, const struct packing_result *res,
                           const char *dir, struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, "alloc_median.csv", err);
    if (rc)
        return rc;
    fputs("arrived_pct", f.fp);
    for (unsigned v = 0; v < res->nvariants; v++)
        fprintf(f.fp, ",%s", cfg->variants[v].name);
    fputc('\n', f.fp);
    for (int k = 0; k < PACKING_POINTS; k++) {
        fprintf(f.fp, "%d", k);
        for (unsigned v = 0; v < res->nvariants; v++) {
            if (res->med_has[v][k])
                fprintf(f.fp, ",%.3f", res->med_alloc[v][k]);
            else
                fputs(",NaN", f.fp);
        }
        fputc('\n', f.fp);
    }
    if (ferror(f.fp)) {
        results_file_abort(&f);
        return os_errorf(err, OS_EIO, "%s/alloc_median.csv: write failed", dir);
    }
    return results_file_commit(&f, err);
}

static void pk_cell(FILE *fp, bool has, double x, bool sign)
{
    if (!has || isnan(x))
        fputs(" – |", fp);
    else
        fprintf(fp, sign ? " %+.2f |" : " %.2f |", x);
}

static void pk_write_report_body(FILE *fp, const struct packing_cfg *cfg,
                                 const struct packing_result *res, const char *plot_error)
{
    fprintf(fp, "# Shared-GPU packing (FGD, USENIX ATC'23, Fig. 9a)\n\n");
    fprintf(fp,
            "- Cluster: `%s` - %u nodes, %u GPUs.\n"
            "- Workload: `%s` - %u pods, %.1f GPUs requested; tuned to %.2f x capacity "
            "(`tune`), shuffled per seed; target workload for fragmentation: %u pod shapes.\n"
            "- Seeds %llu..%llu (%u per variant); values are medians over seeds. "
            "Published values: the peer's "
            "`experiments/analysis/expected_results/analysis_allo_discrete.csv` "
            "(median of seeds 42..51).\n\n",
            cfg->nodes_csv, res->nodes, res->gpus, cfg->pods_csv, res->pods_in,
            res->request_milli / 1000.0, cfg->tune, res->shapes, (unsigned long long)cfg->seed0,
            (unsigned long long)(cfg->seed0 + cfg->nseeds - 1), cfg->nseeds);

    fputs("## Allocated GPUs (% of capacity) when arrived GPU requests reach k % of "
          "capacity\n\n| variant |",
          fp);
    for (size_t j = 0; j < PK_NPOINTS; j++)
        fprintf(fp, " %d |", pk_report_points[j]);
    fputs(" frag @90 | failed pods |\n|---|", fp);
    for (size_t j = 0; j < PK_NPOINTS + 2; j++)
        fputs("---|", fp);
    fputc('\n', fp);
    for (unsigned v = 0; v < res->nvariants; v++) {
        fprintf(fp, "| %s |", cfg->variants[v].name);
        for (size_t j = 0; j < PK_NPOINTS; j++) {
            int k = pk_report_points[j];
            pk_cell(fp, res->med_has[v][k], res->med_alloc[v][k], false);
        }
        pk_cell(fp, res->med_has[v][90], res->med_frag[v][90], false);
        fprintf(fp, " %.1f |\n", res->med_failed[v]);
    }

    bool any_ref = false;
    for (unsigned v = 0; v < res->nvariants; v++)
        any_ref = any_ref || cfg->variants[v].nref > 0;
    if (any_ref) {
        fputs("\n## Published\n\n| variant |", fp);
        for (size_t j = 0; j < PK_NPOINTS; j++)
            fprintf(fp, " %d |", pk_report_points[j]);
        fputs("\n|---|", fp);
        for (size_t j = 0; j < PK_NPOINTS; j++)
            fputs("---|", fp);
        fputc('\n', fp);
        for (unsigned v = 0; v < res->nvariants; v++) {
            fprintf(fp, "| %s |", cfg->variants[v].name);
            for (size_t j = 0; j < PK_NPOINTS; j++)
                pk_cell(fp, true, pk_ref(&cfg->variants[v], pk_report_points[j]), false);
            fputc('\n', fp);
        }
        fputs("\n## Deviation (ours - published, percentage points)\n\n| variant |", fp);
        for (size_t j = 0; j < PK_NPOINTS; j++)
            fprintf(fp, " %d |", pk_report_points[j]);
        fputs(" max abs |\n|---|", fp);
        for (size_t j = 0; j < PK_NPOINTS + 1; j++)
            fputs("---|", fp);
        fputc('\n', fp);
        for (unsigned v = 0; v < res->nvariants; v++) {
            fprintf(fp, "| %s |", cfg->variants[v].name);
            double worst = NAN;
            for (size_t j = 0; j < PK_NPOINTS; j++) {
                int k = pk_report_points[j];
                double d = res->med_alloc[v][k] - pk_ref(&cfg->variants[v], k);
                bool has = res->med_has[v][k] && !isnan(d);
                pk_cell(fp, has, d, true);
                if (has && (isnan(worst) || fabs(d) > worst))
                    worst = fabs(d);
            }
            pk_cell(fp, !isnan(worst), worst, false);
            fputc('\n', fp);
        }
    }
    fputs("\nFiles: `alloc_curve.csv` (every seed: variant,seed,arrived_pct,alloc_pct,"
          "frag_pct), `alloc_median.csv` (medians, one column per variant)",
          fp);
    if (plot_error)
        fprintf(fp, ". No plot: %s\n", plot_error);
    else
        fputs(", `alloc_curve.png`, `alloc_curve.svg`.\n", fp);
}

static int pk_write_report(const struct packing_cfg *cfg, const struct packing_result *res,
                           const char *dir, const char *plot_error, struct os_error *err)
{
    struct results_file f;
    int rc = results_file_open(&f, dir, "report.md", err);
    if (rc)
        return rc;
    pk_write_report_body(f.fp, cfg, res, plot_error);
    if (ferror(f.fp)) {
        results_file_abort(&f);
        return os_errorf(err, OS_EIO, "%s/report.md: write failed", dir);
    }
    return results_file_commit(&f, err);
}

int packing_write_outputs(const struct packing_cfg *cfg, const struct packing_result *res,
                          const char *dir, struct os_error *err)
{
    int rc = results_mkdir(dir, err);
    if (rc)
        return rc;
    rc = pk_write_curve(cfg, res, dir, err);
    if (rc)
        return rc;
    rc = pk_write_median(cfg, res, dir, err);
    if (rc)
        return rc;
    struct os_error gerr = {{0}};
    bool plotted = results_gnuplot("scripts/plot_alloc_curve.gp", dir, &gerr) == OS_OK;
    return pk_write_report(cfg, res, dir, plotted ? NULL : gerr.msg, err);
}
