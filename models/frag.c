/*
 * frag.c - FGD fragmentation: target compilation, the reference definition
 * and the per-node cache. See frag.h for the measure and the fast form.
 */
#include "models/frag.h"

#include <stdlib.h>
#include <string.h>

/* Row of t->acc used for nodes without GPUs or with an out-of-range model. */
#define FRAG_ROW_NONE FRAG_MODELS

static uint32_t frag_model_row(uint8_t model)
{
    return model < FRAG_MODELS ? model : FRAG_ROW_NONE;
}

static bool frag_mask_allows(uint64_t mask, uint8_t model)
{
    if (mask == 0)
        return true;
    return model < FRAG_MODELS && (mask >> model & 1u);
}

static int frag_cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Index k of the W row for free CPU C: the number of thresholds <= C. */
static uint32_t frag_row_of(const struct frag_target *t, int32_t cpu)
{
    uint32_t lo = 0, hi = t->nthr;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t->thr[mid] <= cpu)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void frag_target_destroy(struct frag_target *t)
{
    free(t->cls);
    free(t->thr);
    free(t->w);
    free(t->acc);
    memset(t, 0, sizeof(*t));
}

int frag_target_build(struct frag_target *t, const struct placer_shape *shapes, size_t n,
                      struct os_error *err)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < n; i++) {
        const struct placer_shape *s = &shapes[i];
        if (!(s->freq >= 0))
            return os_errorf(err, OS_EINVAL, "frag target: shape %zu has frequency %g (< 0)", i,
                             s->freq);
        if (s->gpu.count > 0 && (s->gpu.milli < 1 || s->gpu.milli > GPU_MILLI))
            return os_errorf(err, OS_EINVAL,
                             "frag target: shape %zu asks %u milli-GPU per GPU (expected 1..%d)", i,
                             (unsigned)s->gpu.milli, GPU_MILLI);
    }
    size_t cap = n ? n : 1;
    t->cls = calloc(cap, sizeof(*t->cls));
    t->thr = calloc(cap, sizeof(*t->thr));
    uint32_t *cls_of = calloc(cap, sizeof(*cls_of));
    if (!t->cls || !t->thr || !cls_of)
        goto out_nomem;

    /* Classes and thresholds, in order of first appearance. */
    for (size_t i = 0; i < n; i++) {
        const struct placer_shape *s = &shapes[i];
        t->f_total += s->freq;
        if (s->gpu.count == 0) {
            t->f_cpu_only += s->freq;
            continue;
        }
        uint32_t g = 0;
        while (g < t->ncls &&
               !(t->cls[g].milli == s->gpu.milli && t->cls[g].count == s->gpu.count &&
                 t->cls[g].model_mask == s->gpu_model_mask))
            g++;
        if (g == t->ncls) {
            t->cls[g].milli = s->gpu.milli;
            t->cls[g].count = s->gpu.count;
            t->cls[g].model_mask = s->gpu_model_mask;
            t->ncls++;
        }
        cls_of[i] = g;
        t->thr[t->nthr++] = s->cpu_milli;
    }
    qsort(t->thr, t->nthr, sizeof(*t->thr), frag_cmp_i32);
    uint32_t m = 0;
    for (uint32_t k = 0; k < t->nthr; k++)
        if (m == 0 || t->thr[m - 1] != t->thr[k])
            t->thr[m++] = t->thr[k];
    t->nthr = m;

    size_t ncls = t->ncls ? t->ncls : 1;
    t->w = calloc((size_t)(t->nthr + 1) * ncls, sizeof(*t->w));
    t->acc = calloc((size_t)(FRAG_MODELS + 1) * ncls, sizeof(*t->acc));
    if (!t->w || !t->acc)
        goto out_nomem;

    /* W: row k holds the shapes with cpu <= thr[k-1], i.e. cumulative over k. */
    for (size_t i = 0; i < n; i++) {
        if (shapes[i].gpu.count == 0)
            continue;
        uint32_t k = frag_row_of(t, shapes[i].cpu_milli); /* first row that includes it */
        for (uint32_t r = k; r <= t->nthr; r++)
            t->w[(size_t)r * t->ncls + cls_of[i]] += shapes[i].freq;
    }
    for (uint32_t mo = 0; mo < FRAG_MODELS; mo++)
        for (uint32_t g = 0; g < t->ncls; g++)
            t->acc[(size_t)mo * t->ncls + g] = frag_mask_allows(t->cls[g].model_mask, (uint8_t)mo);
    /* Row FRAG_ROW_NONE stays 0: a node without a model serves no GPU class. */
    free(cls_of);
    return OS_OK;

out_nomem:
    free(cls_of);
    frag_target_destroy(t);
    return os_errorf(err, OS_ENOMEM, "frag target: out of memory for %zu shapes", n);
}

/* Peer order of typical pods: decreasing count, ties by decreasing (cpu,
 * milli, count, models). */
static int frag_cmp_shape_desc(const void *a, const void *b)
{
    const struct placer_shape *x = a, *y = b;
    if (x->freq != y->freq)
        return x->freq > y->freq ? -1 : 1;
    if (x->cpu_milli != y->cpu_milli)
        return x->cpu_milli > y->cpu_milli ? -1 : 1;
    int32_t xm = x->gpu.count ? x->gpu.milli : 0, ym = y->gpu.count ? y->gpu.milli : 0;
    if (xm != ym)
        return xm > ym ? -1 : 1;
    if (x->gpu.count != y->gpu.count)
        return x->gpu.count > y->gpu.count ? -1 : 1;
    if (x->gpu_model_mask != y->gpu_model_mask)
        return x->gpu_model_mask > y->gpu_model_mask ? -1 : 1;
    return 0;
}

size_t frag_typical_shapes(struct placer_shape *shapes, size_t n, double popularity_pct)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += shapes[i].freq;
    if (n == 0 || !(total > 0))
        return 0;
    qsort(shapes, n, sizeof(*shapes), frag_cmp_shape_desc);
    /* The peer adds shapes one at a time while the running count is below
     * popularity_pct % of all pods. */
    double expected = popularity_pct * total / 100.0, cum = 0;
    size_t k = 0;
    while (cum < expected && k < n)
        cum += shapes[k++].freq;
    double norm = k < n ? cum : total;
    for (size_t i = 0; i < k; i++)
        shapes[i].freq /= norm;
    return k;
}

/* Per-class aggregates of one GPU vector. */
static void frag_aggregate(const struct frag_target *t, const uint16_t *gpu, uint32_t ngpu,
                           uint8_t *cnt, int32_t *big)
{
    for (uint32_t g = 0; g < t->ncls; g++) {
        uint8_t c = 0;
        int32_t b = 0;
        for (uint32_t i = 0; i < ngpu; i++)
            if (gpu[i] >= t->cls[g].milli) {
                c++;
                b += gpu[i];
            }
        cnt[g] = c;
        big[g] = b;
    }
}

/* The fast form given aggregates. */
static double frag_eval(const struct frag_target *t, uint8_t model, int32_t cpu, int32_t tfree,
                        const uint8_t *cnt, const int32_t *big)
{
    const double *w = &t->w[(size_t)frag_row_of(t, cpu) * t->ncls];
    const uint8_t *acc = &t->acc[(size_t)frag_model_row(model) * t->ncls];
    double usable = 0;
    for (uint32_t g = 0; g < t->ncls; g++)
        if (acc[g] && cnt[g] >= t->cls[g].count)
            usable += w[g] * big[g];
    return (double)tfree * t->f_total - usable;
}

double frag_node_compute(const struct frag_target *t, uint8_t model, int32_t cpu_free,
                         const uint16_t *gpu_free, uint32_t ngpu)
{
    int32_t tfree = 0;
    for (uint32_t i = 0; i < ngpu; i++)
        tfree += gpu_free[i];
    const double *w = &t->w[(size_t)frag_row_of(t, cpu_free) * t->ncls];
    const uint8_t *acc = &t->acc[(size_t)frag_model_row(model) * t->ncls];
    double usable = 0;
    for (uint32_t g = 0; g < t->ncls; g++) {
        uint32_t cnt = 0;
        int32_t big = 0;
        for (uint32_t i = 0; i < ngpu; i++)
            if (gpu_free[i] >= t->cls[g].milli) {
                cnt++;
                big += gpu_free[i];
            }
        if (acc[g] && cnt >= t->cls[g].count)
            usable += w[g] * big;
    }
    return (double)tfree * t->f_total - usable;
}

double frag_node_reference(const struct placer_shape *shapes, size_t n, uint8_t model,
                           int32_t cpu_free, const uint16_t *gpu_free, uint32_t ngpu)
{
    int64_t tfree = 0;
    for (uint32_t i = 0; i < ngpu; i++)
        tfree += gpu_free[i];
    double frag = 0;
    for (size_t k = 0; k < n; k++) {
        const struct placer_shape *s = &shapes[k];
        double amount = (double)tfree; /* default: every idle milli is fragment */
        if (s->gpu.count > 0 && ngpu > 0 && frag_mask_allows(s->gpu_model_mask, model)) {
            uint32_t fits = 0;
            int64_t small = 0;
            for (uint32_t i = 0; i < ngpu; i++) {
                if (gpu_free[i] >= s->gpu.milli)
                    fits++;
                else
                    small += gpu_free[i];
            }
            if (fits >= s->gpu.count && cpu_free >= s->cpu_milli)
                amount = (double)small; /* Q3: only the too-small GPUs */
        }
        frag += s->freq * amount;
    }
    return frag;
}

void frag_nodes_destroy(struct frag_nodes *fn)
{
    free(fn->valid);
    free(fn->model);
    free(fn->ngpu);
    free(fn->cpu);
    free(fn->tfree);
    free(fn->gpu);
    free(fn->cnt);
    free(fn->big);
    free(fn->value);
    memset(fn, 0, sizeof(*fn));
}

int frag_nodes_init(struct frag_nodes *fn, const struct frag_target *t, uint32_t cap,
                    struct os_error *err)
{
    memset(fn, 0, sizeof(*fn));
    size_t c = cap ? cap : 1, g = t->ncls ? t->ncls : 1;
    fn->cap = cap;
    fn->ncls = t->ncls;
    fn->valid = calloc(c, 1);
    fn->model = calloc(c, 1);
    fn->ngpu = calloc(c, 1);
    fn->cpu = calloc(c, sizeof(*fn->cpu));
    fn->tfree = calloc(c, sizeof(*fn->tfree));
    fn->gpu = calloc(c * GPU_NODE_MAX, sizeof(*fn->gpu));
    fn->cnt = calloc(c * g, 1);
    fn->big = calloc(c * g, sizeof(*fn->big));
    fn->value = calloc(c, sizeof(*fn->value));
    if (!fn->valid || !fn->model || !fn->ngpu || !fn->cpu || !fn->tfree || !fn->gpu || !fn->cnt ||
        !fn->big || !fn->value) {
        frag_nodes_destroy(fn);
        return os_errorf(err, OS_ENOMEM, "frag cache: out of memory for %u nodes", cap);
    }
    return OS_OK;
}

void frag_nodes_reset(struct frag_nodes *fn)
{
    memset(fn->valid, 0, fn->cap ? fn->cap : 1);
    fn->sum = 0;
}

bool frag_nodes_sync(struct frag_nodes *fn, const struct frag_target *t, const struct cluster *c,
                     uint32_t node)
{
    uint8_t ngpu = c->gpu_count[node];
    uint8_t model = c->gpu_model[node];
    int32_t cpu = c->cpu_free[node];
    if (c->state[node] == CLUSTER_NODE_GONE)
        ngpu = 0; /* a terminated node holds no idle GPUs */
    const uint16_t *g = &c->gpu_free_milli[c->gpu_first[node]];
    uint16_t *seen = &fn->gpu[(size_t)node * GPU_NODE_MAX];
    if (fn->valid[node] && fn->ngpu[node] == ngpu && fn->model[node] == model &&
        fn->cpu[node] == cpu && memcmp(seen, g, ngpu * sizeof(*g)) == 0)
        return false;

    int32_t tfree = 0;
    for (uint32_t i = 0; i < ngpu; i++)
        tfree += g[i];
    memcpy(seen, g, ngpu * sizeof(*g));
    fn->ngpu[node] = ngpu;
    fn->model[node] = model;
    fn->cpu[node] = cpu;
    fn->tfree[node] = tfree;
    uint8_t *cnt = &fn->cnt[(size_t)node * t->ncls];
    int32_t *big = &fn->big[(size_t)node * t->ncls];
    frag_aggregate(t, seen, ngpu, cnt, big);
    double v = frag_eval(t, model, cpu, tfree, cnt, big);
    if (fn->valid[node])
        fn->sum -= fn->value[node];
    fn->sum += v;
    fn->value[node] = v;
    fn->valid[node] = 1;
    return true;
}

double frag_nodes_sync_all(struct frag_nodes *fn, const struct frag_target *t,
                           const struct cluster *c)
{
    for (uint32_t n = 0; n < c->n_nodes && n < fn->cap; n++)
        frag_nodes_sync(fn, t, c, n);
    return fn->sum;
}

double frag_node_after(const struct frag_nodes *fn, const struct frag_target *t, uint32_t node,
                       int32_t cpu_take, int gpu_local, uint16_t milli, uint32_t whole)
{
    const uint8_t *cnt = &fn->cnt[(size_t)node * t->ncls];
    const int32_t *big = &fn->big[(size_t)node * t->ncls];
    int32_t cpu = fn->cpu[node] - cpu_take;
    const double *w = &t->w[(size_t)frag_row_of(t, cpu) * t->ncls];
    const uint8_t *acc = &t->acc[(size_t)frag_model_row(fn->model[node]) * t->ncls];
    int32_t tfree = fn->tfree[node];
    double usable = 0;
    if (whole > 0) {
        /* Whole GPUs are fully free: they count in every class. */
        tfree -= (int32_t)whole * GPU_MILLI;
        for (uint32_t g = 0; g < t->ncls; g++) {
            int32_t c2 = (int32_t)cnt[g] - (int32_t)whole;
            if (acc[g] && c2 >= (int32_t)t->cls[g].count)
                usable += w[g] * (big[g] - (int32_t)whole * GPU_MILLI);
        }
    } else if (gpu_local >= 0) {
        int32_t l = fn->gpu[(size_t)node * GPU_NODE_MAX + (uint32_t)gpu_local];
        int32_t l2 = l - milli;
        tfree -= milli;
        for (uint32_t g = 0; g < t->ncls; g++) {
            int32_t m = t->cls[g].milli;
            int32_t c2 = cnt[g] - (l >= m) + (l2 >= m);
            if (acc[g] && c2 >= (int32_t)t->cls[g].count)
                usable += w[g] * (big[g] - (l >= m ? l : 0) + (l2 >= m ? l2 : 0));
        }
    } else {
        for (uint32_t g = 0; g < t->ncls; g++)
            if (acc[g] && cnt[g] >= t->cls[g].count)
                usable += w[g] * big[g];
    }
    return (double)tfree * t->f_total - usable;
}
