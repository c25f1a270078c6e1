/*
 * placement.c - the shared placement mechanism: registry, filter, select, GPU
 * choice and binding. Policies (ecs.c, k8s.c, baselines.c, fgd.c) only score.
 *
 * The filter is the hot loop. It reads a handful of struct-of-arrays columns
 * per node (free CPU, memory, pods, the node's GPU resource id, free units,
 * largest free milli-GPU share and one flags byte) and sends a node to the
 * full check (placement_node_fits) only when its flags byte or the request says
 * something rare is involved (taints, MIG mixed strategy, selectors,
 * constraints, GPU model restrictions, an unschedulable node). Requests for k
 * whole units, with either scan (all nodes, or kube-scheduler's sampled one),
 * visit only the nodes set in the cluster's avail_bits[k] bitmap, a 64-node
 * word at a time, and need only free CPU and memory for the nodes also in
 * plain_bits (see "the indexed scan" below). Nothing here allocates per
 * decision.
 */
#include "models/placement/placement.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Candidate entries reserved past cap_nodes: placement_emit64 may write up to
 * 7 entries beyond the last candidate it appends. */
#define PLACEMENT_CAND_SLACK 64

/* ---------------- registry ---------------- */

static const struct placer_ops *const *const placement_lists[] = {
    placer_ecs_list,
    placer_k8s_list,
#if defined(__has_include)
#if __has_include("models/placement/baselines.c")
    placer_baselines_list,
#endif
#if __has_include("models/placement/fgd.c")
    placer_fgd_list,
#endif
#endif
};

#define PLACEMENT_NLISTS (sizeof placement_lists / sizeof placement_lists[0])

size_t placer_count(void)
{
    size_t n = 0;
    for (size_t l = 0; l < PLACEMENT_NLISTS; l++)
        for (size_t i = 0; placement_lists[l][i]; i++)
            n++;
    return n;
}

const struct placer_ops *placer_at(size_t k)
{
    for (size_t l = 0; l < PLACEMENT_NLISTS; l++)
        for (size_t i = 0; placement_lists[l][i]; i++)
            if (k-- == 0)
                return placement_lists[l][i];
    return NULL;
}

const struct placer_ops *placer_find(const char *name)
{
    for (size_t l = 0; l < PLACEMENT_NLISTS; l++)
        for (size_t i = 0; placement_lists[l][i]; i++)
            if (strcmp(placement_lists[l][i]->name, name) == 0)
                return placement_lists[l][i];
    return NULL;
}

int placer_check_variants(const char *who, const char *names, const char *policies, size_t stride,
                          unsigned n, struct os_error *err)
{
    for (unsigned v = 0; v < n; v++) {
        const char *name = names + v * stride, *policy = policies + v * stride;
        if (!placer_find(policy))
            return os_errorf(err, OS_EINVAL, "%s: variant '%s': unknown placement '%s'", who, name,
                             policy);
        for (unsigned u = 0; u < v; u++)
            if (strcmp(names + u * stride, name) == 0)
                return os_errorf(err, OS_EINVAL, "%s: variant name '%s' is used twice", who, name);
    }
    return OS_OK;
}

/* Levenshtein distance of two short strings (for "did you mean"). */
static size_t placement_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

int placer_init_ops(struct placer *p, const struct placer_ops *ops, const struct cluster *c,
                    const struct placer_opts *opts, struct os_error *err)
{
    memset(p, 0, sizeof *p);
    p->ops = ops;
    if (opts)
        p->opts = *opts;
    p->cap = c->cap_nodes;
    p->cand = calloc((size_t)p->cap + PLACEMENT_CAND_SLACK, sizeof *p->cand);
    p->score = calloc(p->cap, sizeof *p->score);
    p->tmp = calloc(p->cap, sizeof *p->tmp);
    if (!p->cand || !p->score || !p->tmp) {
        placer_destroy(p);
        return os_errorf(err, OS_ENOMEM, "placement: %s: cannot reserve scratch for %u nodes",
                         ops->name, c->cap_nodes);
    }
    if (ops->init) {
        int rc = ops->init(p, c, &p->opts, err);
        if (rc) {
            p->ops = NULL; /* destroy must not call ops->destroy on a failed init */
            placer_destroy(p);
            return rc;
        }
    }
    return OS_OK;
}

int placer_init(struct placer *p, const char *name, const struct cluster *c,
                const struct placer_opts *opts, struct os_error *err)
{
    const struct placer_ops *ops = placer_find(name);
    if (!ops) {
        const char *best = NULL;
        size_t bd = 4;
        for (size_t i = 0; i < placer_count(); i++) {
            size_t d = placement_edit_distance(name, placer_at(i)->name);
            if (d < bd) {
                bd = d;
                best = placer_at(i)->name;
            }
        }
        memset(p, 0, sizeof *p);
        if (best)
            return os_errorf(err, OS_EINVAL, "unknown placement policy '%s' (did you mean '%s'?)",
                             name, best);
        return os_errorf(err, OS_EINVAL, "unknown placement policy '%s'", name);
    }
    return placer_init_ops(p, ops, c, opts, err);
}

void placer_destroy(struct placer *p)
{
    if (p->ops && p->ops->destroy)
        p->ops->destroy(p);
    free(p->cand);
    free(p->score);
    free(p->tmp);
    memset(p, 0, sizeof *p);
}

/* ---------------- the full node check ---------------- */

/* k8s ToleratesTaint (core/v1 helper). */
static bool placement_tol_matches(const struct k8s_toleration *t, const struct cluster_taint *x)
{
    if (t->effect && t->effect != x->effect)
        return false;
    if (t->key && t->key != x->key)
        return false;
    if (t->op == K8S_TOL_EXISTS)
        return true;
    return t->value == x->value;
}

static bool placement_taint_tolerated(const struct pod_req *r, const struct cluster_taint *x)
{
    for (uint8_t i = 0; i < r->n_tolerations; i++)
        if (placement_tol_matches(&r->tolerations[i], x))
            return true;
    return false;
}

bool placement_tolerates(const struct cluster *c, const struct pod_req *r, uint32_t n)
{
    const struct cluster_taint *t = c->taints + (size_t)n * CLUSTER_TAINTS_MAX;
    for (uint8_t i = 0; i < c->n_taints[n]; i++) {
        if (t[i].effect == CLUSTER_TAINT_PREFER_NO_SCHEDULE)
            continue;
        if (!placement_taint_tolerated(r, &t[i]))
            return false;
    }
    return true;
}

static bool placement_req_matches(const struct cluster *c, const struct k8s_node_req *q, uint32_t n)
{
    uint32_t pair = q->col < c->n_keys ? cluster_node_label(c, n, q->col) : 0;
    bool in = false;
    switch (q->op) {
    case K8S_SEL_IN:
    case K8S_SEL_NOT_IN:
        for (uint8_t i = 0; i < q->n_vals && pair; i++)
            in |= q->vals[i] == pair;
        return q->op == K8S_SEL_IN ? in : !in;
    case K8S_SEL_EXISTS:
        return pair != 0;
    case K8S_SEL_DOES_NOT_EXIST:
        return pair == 0;
    case K8S_SEL_GT:
        return pair && c->pair_is_num[pair] && c->pair_num[pair] > q->num;
    case K8S_SEL_LT:
        return pair && c->pair_is_num[pair] && c->pair_num[pair] < q->num;
    default:
        return false;
    }
}

bool placement_term_matches(const struct cluster *c, const struct k8s_node_term *t, uint32_t n)
{
    if (t->n_reqs == 0) /* k8s: an empty term matches no node */
        return false;
    for (uint8_t i = 0; i < t->n_reqs; i++)
        if (!placement_req_matches(c, &t->reqs[i], n))
            return false;
    return true;
}

bool placement_selectors_match(const struct cluster *c, const struct pod_req *r, uint32_t n)
{
    for (uint8_t i = 0; i < r->n_node_selector; i++)
        if (!placement_req_matches(c, &r->node_selector[i], n))
            return false;
    if (r->n_required == 0)
        return true;
    for (uint8_t i = 0; i < r->n_required; i++)
        if (placement_term_matches(c, &r->required[i], n))
            return true;
    return false;
}

static bool placement_constraints_ok(const struct cluster *c, const struct pod_req *r, uint32_t n)
{
    for (uint8_t i = 0; i < r->n_constraints; i++) {
        const struct ecs_constraint *k = &r->constraints[i];
        if (k->type == ECS_CONSTRAINT_DISTINCT_INSTANCE) {
            /* [U] a task without a group has nothing to be distinct from */
            if (r->group != CLUSTER_NO_GROUP && cluster_group_on_node(c, r->group, n))
                return false;
        } else if (k->type == ECS_CONSTRAINT_MEMBER_OF) {
            if (!k->expr || !ecs_expr_eval(c, k->expr, n))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

bool placement_node_fits(const struct cluster *c, const struct pod_req *r, uint32_t n)
{
    if (n >= c->n_nodes || c->state[n] != CLUSTER_NODE_READY)
        return false;
    if (c->cpu_free[n] < r->cpu_milli || c->mem_free[n] < r->mem_mib ||
        c->pods[n] >= c->max_pods[n])
        return false;
    if (r->gpu.count) {
        if (c->gpu_count[n] == 0)
            return false;
        if (r->gpu_model_mask && !(r->gpu_model_mask >> (c->gpu_model[n] & 63) & 1u))
            return false;
        if (!gpu_node_fits(c, n, &r->gpu))
            return false;
    }
    if (c->n_taints[n] && !placement_tolerates(c, r, n))
        return false;
    if (!placement_selectors_match(c, r, n))
        return false;
    return placement_constraints_ok(c, r, n);
}

/* ---------------- the filter ---------------- */

/* What the scan needs from a request, computed once per decision. */
struct placement_q {
    /* the columns the scan reads, copied out of the cluster so that they stay
     * in registers (stores to the candidate array could alias *c otherwise) */
    const int32_t *cpu_free, *mem_free;
    const uint16_t *pods, *max_pods, *res_col, *res_free, *milli_free_max;
    const uint8_t *flags;
    int32_t cpu, mem;
    uint16_t res;        /* GPU resource id */
    uint16_t res_need;   /* whole units needed from res_free */
    uint16_t milli_need; /* MILLI fraction: free share needed on one GPU */
    bool gpu;
    bool extra; /* the request needs the full check on every node */
    /* whole units (res_need >= 1): the indexed scan */
    const uint64_t *avail;     /* avail_bits[min(res_need, GPU_NODE_MAX)] */
    const uint64_t *avail_sum; /* its summary: bit w = word w not empty */
    const uint64_t *plain;     /* plain_bits[res], NULL for a resource without one */
    uint32_t dense_words;      /* words whose 64 nodes all have column entries */
};

static void placement_q_init(struct placement_q *q, const struct cluster *c,
                             const struct pod_req *r)
{
    q->cpu_free = c->cpu_free;
    q->mem_free = c->mem_free;
    q->pods = c->pods;
    q->max_pods = c->max_pods;
    q->res_col = c->res;
    q->res_free = c->res_free;
    q->milli_free_max = c->milli_free_max;
    q->flags = c->node_flags;
    q->cpu = r->cpu_milli;
    q->mem = r->mem_mib;
    q->gpu = r->gpu.count > 0;
    bool frac = r->gpu.count == 1 && r->gpu.milli > 0 && r->gpu.milli < GPU_MILLI;
    q->res = r->gpu.res;
    q->res_need = frac ? 0 : r->gpu.count;
    q->milli_need = frac ? r->gpu.milli : 0;
    q->extra =
        r->n_node_selector || r->n_required || r->n_constraints || (q->gpu && r->gpu_model_mask);
    q->avail = q->avail_sum = NULL;
    q->plain = NULL;
    if (q->gpu && q->res_need >= 1) {
        unsigned lv = q->res_need < GPU_NODE_MAX ? q->res_need : GPU_NODE_MAX;
        q->avail = c->avail_bits[lv];
        q->avail_sum = c->avail_sum[lv];
        q->plain = q->res < CLUSTER_PLAIN_RES ? c->plain_bits[q->res] : NULL;
    }
    q->dense_words = c->cap_nodes / 64;
}

/* The cheap necessary conditions; the full check decides the rest. */
static inline bool placement_fast(const struct placement_q *q, uint32_t n)
{
    bool ok =
        (q->cpu_free[n] >= q->cpu) & (q->mem_free[n] >= q->mem) & (q->pods[n] < q->max_pods[n]);
    if (q->gpu)
        ok &= ((q->res_col[n] == q->res) | ((q->flags[n] & CLUSTER_NF_MIG_MIXED) != 0)) &
              (q->res_free[n] >= q->res_need) & (q->milli_free_max[n] >= q->milli_need);
    return ok;
}

/* Feasibility of node n: the cheap columns without branches, then the full
 * check only for the rare nodes or requests that need it (a well-predicted
 * branch). */
static inline bool placement_check(const struct cluster *c, const struct pod_req *r,
                                   const struct placement_q *q, uint32_t n)
{
    bool ok = placement_fast(q, n);
    bool slow = ok & ((q->flags[n] | (uint8_t)q->extra) != 0);
    if (__builtin_expect(slow, 0))
        ok = placement_node_fits(c, r, n);
    return ok;
}

/* Bits set in a 64-bit value (SWAR: __builtin_popcountll is a library call
 * without -mpopcnt). */
static inline uint32_t placement_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (uint32_t)((x * UINT64_C(0x0101010101010101)) >> 56);
}

#if defined(__SSE2__)
/*
 * The cheap checks of placement_fast for the 16 nodes b..b+15 at once (SSE2):
 * returns a mask with bit i set when node b+i passes them; *slow receives the
 * passing nodes that also need the full check (flags set, or the request has
 * selectors/constraints). The caller guarantees b + 16 <= n_nodes.
 * Unsigned 16-bit columns are compared as signed after flipping the top bit.
 */
__attribute__((always_inline)) static inline uint32_t placement_mask16(const struct placement_q *q,
                                                                       uint32_t b, uint32_t *slow)
{
    const __m128i cpu = _mm_set1_epi32(q->cpu - 1), mem = _mm_set1_epi32(q->mem - 1);
    uint32_t m = 0;
    for (int j = 0; j < 4; j++) {
        __m128i cf = _mm_loadu_si128((const __m128i *)(const void *)(q->cpu_free + b + 4 * j));
        __m128i mf = _mm_loadu_si128((const __m128i *)(const void *)(q->mem_free + b + 4 * j));
        __m128i ok = _mm_and_si128(_mm_cmpgt_epi32(cf, cpu), _mm_cmpgt_epi32(mf, mem));
        m |= (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(ok)) << (4 * j);
    }
    const __m128i bias = _mm_set1_epi16((short)0x8000);
#define PL_LD16(arr, off)                                                                          \
    _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)((arr) + b + (off))), bias)
    /* pods < max_pods */
    __m128i lt0 = _mm_cmpgt_epi16(PL_LD16(q->max_pods, 0), PL_LD16(q->pods, 0));
    __m128i lt1 = _mm_cmpgt_epi16(PL_LD16(q->max_pods, 8), PL_LD16(q->pods, 8));
    m &= (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(lt0, lt1));
    __m128i fl = _mm_loadu_si128((const __m128i *)(const void *)(q->flags + b));
    uint32_t flagged =
        0xffffu & ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(fl, _mm_setzero_si128()));
    if (q->gpu) {
        __m128i res = _mm_set1_epi16((short)q->res);
        __m128i e0 =
            _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(const void *)(q->res_col + b)), res);
        __m128i e1 = _mm_cmpeq_epi16(
            _mm_loadu_si128((const __m128i *)(const void *)(q->res_col + b + 8)), res);
        __m128i mixed = _mm_set1_epi8((char)CLUSTER_NF_MIG_MIXED);
        uint32_t mix = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(fl, mixed), mixed));
        m &= (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(e0, e1)) | mix;
        /* res_free >= need  <=>  !(need > res_free) */
        __m128i need = _mm_xor_si128(_mm_set1_epi16((short)q->res_need), bias);
        __m128i g0 = _mm_cmpgt_epi16(need, PL_LD16(q->res_free, 0));
        __m128i g1 = _mm_cmpgt_epi16(need, PL_LD16(q->res_free, 8));
        m &= ~(uint32_t)_mm_movemask_epi8(_mm_packs_epi16(g0, g1));
        __m128i mneed = _mm_xor_si128(_mm_set1_epi16((short)q->milli_need), bias);
        __m128i h0 = _mm_cmpgt_epi16(mneed, PL_LD16(q->milli_free_max, 0));
        __m128i h1 = _mm_cmpgt_epi16(mneed, PL_LD16(q->milli_free_max, 8));
        m &= ~(uint32_t)_mm_movemask_epi8(_mm_packs_epi16(h0, h1));
    }
#undef PL_LD16
    m &= 0xffffu;
    *slow = q->extra ? m : (m & flagged);
    return m;
}

/* Filters nodes b..b+15, appending in node order until *k reaches limit.
 * Returns the offset after the last node taken when the limit was reached, or
 * 16. */
__attribute__((always_inline)) static inline uint32_t
placement_block16(const struct cluster *c, const struct pod_req *r, const struct placement_q *q,
                  uint32_t b, uint32_t *cand, uint32_t *k, uint32_t limit)
{
    uint32_t slow, m = placement_mask16(q, b, &slow);
    while (slow) {
        uint32_t i = (uint32_t)__builtin_ctz(slow);
        slow &= slow - 1;
        if (!placement_node_fits(c, r, b + i))
            m &= ~(1u << i);
    }
    uint32_t kk = *k;
    while (m) {
        uint32_t i = (uint32_t)__builtin_ctz(m);
        m &= m - 1;
        cand[kk++] = b + i;
        if (kk == limit) {
            *k = kk;
            return i + 1;
        }
    }
    *k = kk;
    return 16;
}
#endif

/* Scans nodes [from, to) in order until `limit` candidates are found; returns
 * the number of nodes examined (through the one that reached the limit). */
static uint32_t placement_scan(const struct cluster *c, const struct pod_req *r,
                               const struct placement_q *q, uint32_t from, uint32_t to,
                               uint32_t *cand, uint32_t *k, uint32_t limit)
{
    uint32_t kk = *k, n = from;
#if defined(__SSE2__)
    while (n + 16 <= to && kk < limit) {
        uint32_t used = placement_block16(c, r, q, n, cand, &kk, limit);
        n += used;
        if (used < 16) {
            *k = kk;
            return n - from;
        }
    }
#endif
    for (; n < to && kk < limit; n++) {
        cand[kk] = n;
        kk += placement_check(c, r, q, n);
    }
    *k = kk;
    return n - from;
}

/* ---------------- the indexed scan (whole units) ---------------- */

/*
 * A request for k whole units of resource r can only fit the nodes set in
 * avail_bits[min(k, GPU_NODE_MAX)] (READY, res_free >= that level); the scan
 * visits the non-empty words of that bitmap (found through avail_sum) and
 * decides a word's 64 nodes as a bit mask:
 *   - nodes also in plain_bits[r] (no flags, room for a pod, resource r) need
 *     only cpu_free >= cpu and mem_free >= mem: with SSE2 all 64 at once when
 *     the word has PLACEMENT_DENSE_BITS or more of them, else one by one;
 *   - the other nodes of the word (flags, a full pod count, another resource)
 *     take the linear scan's per-node test (the cheap columns, then the full
 *     check for a flagged node);
 *   - a request with selectors, constraints or a model mask sends every node
 *     that passed to the full check (q->extra), and one for more than
 *     GPU_NODE_MAX units checks res_free itself (the index stops there).
 * The feasible set is exactly the linear scan's. Only the columns of nodes in
 * the index are read (whole 64-node words of cpu_free/mem_free on the SSE2
 * path), and nothing is allocated.
 */
#define PLACEMENT_DENSE_BITS 12

#if defined(__SSE2__)
/* Bit i set when cpu_free[b + i] >= cpu and mem_free[b + i] >= mem, i < 64. */
__attribute__((always_inline)) static inline uint64_t
placement_cpumem64(const struct placement_q *q, uint32_t b)
{
    const __m128i cpu = _mm_set1_epi32(q->cpu - 1), mem = _mm_set1_epi32(q->mem - 1);
    const int32_t *cf = q->cpu_free + b, *mf = q->mem_free + b;
    uint64_t m = 0;
#define PL_OK4(o)                                                                                  \
    _mm_and_si128(                                                                                 \
        _mm_cmpgt_epi32(_mm_loadu_si128((const __m128i *)(const void *)(cf + (o))), cpu),          \
        _mm_cmpgt_epi32(_mm_loadu_si128((const __m128i *)(const void *)(mf + (o))), mem))
    for (uint32_t j = 0; j < 64; j += 16) {
        __m128i lo = _mm_packs_epi32(PL_OK4(j), PL_OK4(j + 4));
        __m128i hi = _mm_packs_epi32(PL_OK4(j + 8), PL_OK4(j + 12));
        m |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_packs_epi16(lo, hi)) << j;
    }
#undef PL_OK4
    return m;
}

/* Byte j of placement_bitpos[b] is the position of the j-th set bit of the
 * byte b (0 past the last one). */
/* clang-format off */
static const uint64_t placement_bitpos[256] = {
    0x0, 0x0, 0x1, 0x100, 0x2, 0x200, 0x201, 0x20100, 0x3, 0x300, 0x301, 0x30100, 0x302, 0x30200,
    0x30201, 0x3020100, 0x4, 0x400, 0x401, 0x40100, 0x402, 0x40200, 0x40201, 0x4020100, 0x403,
    0x40300, 0x40301, 0x4030100, 0x40302, 0x4030200, 0x4030201, 0x403020100, 0x5, 0x500, 0x501,
    0x50100, 0x502, 0x50200, 0x50201, 0x5020100, 0x503, 0x50300, 0x50301, 0x5030100, 0x50302,
    0x5030200, 0x5030201, 0x503020100, 0x504, 0x50400, 0x50401, 0x5040100, 0x50402, 0x5040200,
    0x5040201, 0x504020100, 0x50403, 0x5040300, 0x5040301, 0x504030100, 0x5040302, 0x504030200,
    0x504030201, 0x50403020100, 0x6, 0x600, 0x601, 0x60100, 0x602, 0x60200, 0x60201, 0x6020100,
    0x603, 0x60300, 0x60301, 0x6030100, 0x60302, 0x6030200, 0x6030201, 0x603020100, 0x604, 0x60400,
    0x60401, 0x6040100, 0x60402, 0x6040200, 0x6040201, 0x604020100, 0x60403, 0x6040300, 0x6040301,
    0x604030100, 0x6040302, 0x604030200, 0x604030201, 0x60403020100, 0x605, 0x60500, 0x60501,
    0x6050100, 0x60502, 0x6050200, 0x6050201, 0x605020100, 0x60503, 0x6050300, 0x6050301,
    0x605030100, 0x6050302, 0x605030200, 0x605030201, 0x60503020100, 0x60504, 0x6050400, 0x6050401,
    0x605040100, 0x6050402, 0x605040200, 0x605040201, 0x60504020100, 0x6050403, 0x605040300,
    0x605040301, 0x60504030100, 0x605040302, 0x60504030200, 0x60504030201, 0x6050403020100, 0x7,
    0x700, 0x701, 0x70100, 0x702, 0x70200, 0x70201, 0x7020100, 0x703, 0x70300, 0x70301, 0x7030100,
    0x70302, 0x7030200, 0x7030201, 0x703020100, 0x704, 0x70400, 0x70401, 0x7040100, 0x70402,
    0x7040200, 0x7040201, 0x704020100, 0x70403, 0x7040300, 0x7040301, 0x704030100, 0x7040302,
    0x704030200, 0x704030201, 0x70403020100, 0x705, 0x70500, 0x70501, 0x7050100, 0x70502, 0x7050200,
    0x7050201, 0x705020100, 0x70503, 0x7050300, 0x7050301, 0x705030100, 0x7050302, 0x705030200,
    0x705030201, 0x70503020100, 0x70504, 0x7050400, 0x7050401, 0x705040100, 0x7050402, 0x705040200,
    0x705040201, 0x70504020100, 0x7050403, 0x705040300, 0x705040301, 0x70504030100, 0x705040302,
    0x70504030200, 0x70504030201, 0x7050403020100, 0x706, 0x70600, 0x70601, 0x7060100, 0x70602,
    0x7060200, 0x7060201, 0x706020100, 0x70603, 0x7060300, 0x7060301, 0x706030100, 0x7060302,
    0x706030200, 0x706030201, 0x70603020100, 0x70604, 0x7060400, 0x7060401, 0x706040100, 0x7060402,
    0x706040200, 0x706040201, 0x70604020100, 0x7060403, 0x706040300, 0x706040301, 0x70604030100,
    0x706040302, 0x70604030200, 0x70604030201, 0x7060403020100, 0x70605, 0x7060500, 0x7060501,
    0x706050100, 0x7060502, 0x706050200, 0x706050201, 0x70605020100, 0x7060503, 0x706050300,
    0x706050301, 0x70605030100, 0x706050302, 0x70605030200, 0x70605030201, 0x7060503020100,
    0x7060504, 0x706050400, 0x706050401, 0x70605040100, 0x706050402, 0x70605040200, 0x70605040201,
    0x7060504020100, 0x706050403, 0x70605040300, 0x70605040301, 0x7060504030100, 0x70605040302,
    0x7060504030200, 0x7060504030201, 0x706050403020100,
};
/* clang-format on */

/* Appends base + i for every set bit i of m, in bit order, at cand + k and
 * returns the new count. Without branches on the bits: each byte of m stores
 * 8 entries and advances by its bit count, so up to 7 entries past the
 * returned count are overwritten (PLACEMENT_CAND_SLACK). */
__attribute__((always_inline)) static inline uint32_t placement_emit64(uint32_t *cand, uint32_t k,
                                                                       uint64_t m, uint32_t base)
{
    uint64_t cnt = m - ((m >> 1) & UINT64_C(0x5555555555555555)); /* set bits per byte */
    cnt = (cnt & UINT64_C(0x3333333333333333)) + ((cnt >> 2) & UINT64_C(0x3333333333333333));
    cnt = (cnt + (cnt >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    const __m128i zero = _mm_setzero_si128(), eight = _mm_set1_epi32(8);
    __m128i at = _mm_set1_epi32((int)base);
    for (uint32_t j = 0; j < 64; j += 8) {
        const void *row = &placement_bitpos[(m >> j) & 0xff];
        __m128i pos = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)row), zero);
        _mm_storeu_si128((__m128i *)(void *)(cand + k),
                         _mm_add_epi32(_mm_unpacklo_epi16(pos, zero), at));
        _mm_storeu_si128((__m128i *)(void *)(cand + k + 4),
                         _mm_add_epi32(_mm_unpackhi_epi16(pos, zero), at));
        k += (uint32_t)(cnt >> j) & 0xffu;
        at = _mm_add_epi32(at, eight);
    }
    return k;
}
#endif

/* Appends base + i for every set bit i of m, in bit order; `dense` says m
 * likely has many bits (the table is then faster than a loop over them). */
__attribute__((always_inline)) static inline uint32_t
placement_emit(uint32_t *cand, uint32_t k, uint64_t m, uint32_t base, bool dense)
{
#if defined(__SSE2__)
    if (dense)
        return placement_emit64(cand, k, m, base);
#else
    (void)dense;
#endif
    for (; m; m &= m - 1)
        cand[k++] = base + (uint32_t)__builtin_ctzll(m);
    return k;
}

/* The feasible nodes among x, a set of nodes of word w that are all in the
 * index q->avail (bit i = node 64 w + i). *dense is set when the word was
 * decided 64 nodes at a time. */
__attribute__((always_inline)) static inline uint64_t
placement_word(const struct cluster *c, const struct pod_req *r, const struct placement_q *q,
               uint32_t w, uint64_t x, bool *dense)
{
    const uint32_t base = w * 64;
    const int32_t *cf = q->cpu_free, *mf = q->mem_free, cpu = q->cpu, mem = q->mem;
    uint64_t plain = q->plain ? x & q->plain[w] : 0, rest = x & ~plain, ok = 0;
    *dense = false;
#if defined(__SSE2__)
    if (w < q->dense_words && placement_popcount64(plain) >= PLACEMENT_DENSE_BITS) {
        ok = plain & placement_cpumem64(q, base);
        *dense = true;
    } else
#endif
    {
        for (uint64_t y = plain; y; y &= y - 1) {
            uint32_t i = (uint32_t)__builtin_ctzll(y), n = base + i;
            ok |= (uint64_t)((cf[n] >= cpu) & (mf[n] >= mem)) << i;
        }
    }
    if (__builtin_expect(rest != 0, 0)) {
        const uint16_t *pd = q->pods, *mp = q->max_pods, *rc = q->res_col, res = q->res;
        const uint8_t *fl = q->flags;
        for (; rest; rest &= rest - 1) {
            uint32_t i = (uint32_t)__builtin_ctzll(rest), n = base + i;
            uint8_t f = fl[n];
            bool fit = (cf[n] >= cpu) & (mf[n] >= mem) & (pd[n] < mp[n]) &
                       ((rc[n] == res) | ((f & CLUSTER_NF_MIG_MIXED) != 0));
            if (fit & (f != 0) & !q->extra) /* with extra, the loop below checks it */
                fit = placement_node_fits(c, r, n);
            ok |= (uint64_t)fit << i;
        }
    }
    if (__builtin_expect(q->res_need > GPU_NODE_MAX, 0)) {
        for (uint64_t y = ok; y; y &= y - 1) {
            uint32_t i = (uint32_t)__builtin_ctzll(y);
            if (q->res_free[base + i] < q->res_need)
                ok &= ~(UINT64_C(1) << i);
        }
    }
    if (__builtin_expect(q->extra, 0)) {
        for (uint64_t y = ok; y; y &= y - 1) {
            uint32_t i = (uint32_t)__builtin_ctzll(y);
            if (!placement_node_fits(c, r, base + i))
                ok &= ~(UINT64_C(1) << i);
        }
    }
    return ok;
}

/*
 * The order of candidates within a word, kept from the first version of this
 * scan so that placements stay exactly as they were (ties are broken by
 * position in the candidate list): with SSE2, in a word of a full 64 nodes of
 * which 24 or more are in the index, the 16-node quarters holding 4 or more of
 * them come first (in node order), then the word's other nodes; otherwise
 * node order. Returns the mask of the quarters that come first. [placement.h
 * promises node order; moving to it would change which tied node a given
 * random draw picks, so it is left for a deliberate change of results.]
 */
static inline uint64_t placement_legacy_first(uint64_t x, uint32_t w, uint32_t nn)
{
#if defined(__SSE2__)
    if ((w + 1) * 64 > nn)
        return 0;
    uint64_t b = x - ((x >> 1) & UINT64_C(0x5555555555555555)); /* set bits per quarter */
    b = (b & UINT64_C(0x3333333333333333)) + ((b >> 2) & UINT64_C(0x3333333333333333));
    b = (b + (b >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    b = (b + (b >> 8)) & UINT64_C(0x00ff00ff00ff00ff);
    if ((b * UINT64_C(0x0001000100010001)) >> 48 < 24)
        return 0;
    /* a quarter's count (<= 16) + 0x7ffc reaches bit 15 when it is >= 4 */
    return ((b + UINT64_C(0x7ffc7ffc7ffc7ffc)) >> 15 & UINT64_C(0x0001000100010001)) * 0xffffu;
#else
    (void)x, (void)w, (void)nn;
    return 0;
#endif
}

/* The indexed scan of nodes [from, to) until `limit` candidates are found;
 * returns the number of node slots passed (through the node that reached the
 * limit), as placement_scan does, and adds to *evals the nodes of the index
 * examined on the way. */
static uint32_t placement_ix_scan(const struct cluster *c, const struct pod_req *r,
                                  const struct placement_q *q, uint32_t from, uint32_t to,
                                  uint32_t *cand, uint32_t *k, uint32_t limit, uint64_t *evals)
{
    if (from >= to)
        return 0;
    uint32_t kk = *k, w0 = from / 64, w1 = (to - 1) / 64;
    uint64_t ev = 0;
    for (uint32_t sw = w0 / 64; sw <= w1 / 64; sw++) {
        uint64_t s = q->avail_sum[sw];
        if (sw == w0 / 64)
            s &= ~UINT64_C(0) << (w0 % 64);
        if (sw == w1 / 64)
            s &= ~UINT64_C(0) >> (63 - w1 % 64);
        for (; s; s &= s - 1) {
            uint32_t w = sw * 64 + (uint32_t)__builtin_ctzll(s);
            uint64_t x = q->avail[w];
            if (w == w0)
                x &= ~UINT64_C(0) << (from % 64);
            if (w == w1 && to % 64)
                x &= ~UINT64_C(0) >> (64 - to % 64);
            if (!x)
                continue;
            bool dense;
            uint64_t ok = placement_word(c, r, q, w, x, &dense);
            if (kk + 64 < limit) { /* the limit cannot be reached in this word */
                kk = placement_emit(cand, kk, ok, w * 64, dense);
            } else {
                for (; ok; ok &= ok - 1) {
                    uint32_t i = (uint32_t)__builtin_ctzll(ok);
                    cand[kk++] = w * 64 + i;
                    if (kk == limit) {
                        *evals += ev + placement_popcount64(x & (~UINT64_C(0) >> (63 - i)));
                        *k = kk;
                        return w * 64 + i + 1 - from;
                    }
                }
            }
            ev += placement_popcount64(x);
        }
    }
    *evals += ev;
    *k = kk;
    return to - from;
}

/* schedule_one.go numFeasibleNodesToFind. [U] n_nodes counts every node slot,
 * cordoned and GONE ones included (kube-scheduler counts the nodes in its
 * snapshot, which has no deleted nodes). */
uint32_t placement_num_feasible_to_find(int32_t pct, uint32_t n_nodes)
{
    const uint32_t min_find = 100; /* minFeasibleNodesToFind */
    const int32_t min_pct = 5;     /* minFeasibleNodesPercentageToFind */
    if (n_nodes < min_find || pct >= 100)
        return n_nodes;
    if (pct <= 0) {
        pct = 50 - (int32_t)(n_nodes / 125);
        if (pct < min_pct)
            pct = min_pct;
    }
    uint32_t k = (uint32_t)((uint64_t)n_nodes * (uint32_t)pct / 100);
    return k < min_find ? min_find : k;
}

uint32_t placement_filter(struct placer *p, const struct cluster *c, const struct pod_req *r)
{
    struct placement_q q;
    placement_q_init(&q, c, r);
    uint32_t *cand = p->cand, k = 0;
    uint32_t nn = c->n_nodes;
    uint32_t flags = p->ops ? p->ops->flags : 0;

    if (flags & PLACER_F_SAMPLE) {
        /* kube-scheduler: stop after numFeasibleNodesToFind feasible nodes,
         * starting where the previous cycle stopped; the nodes passed count
         * towards the next start whether or not the index let us skip them */
        if (nn == 0)
            return 0;
        uint32_t limit = placement_num_feasible_to_find(p->opts.pct_nodes_to_score, nn);
        uint32_t start = p->next_start < nn ? p->next_start : 0;
        uint32_t seen;
        if (q.avail) {
            uint64_t evals = 0;
            seen = placement_ix_scan(c, r, &q, start, nn, cand, &k, limit, &evals);
            if (k < limit)
                seen += placement_ix_scan(c, r, &q, 0, start, cand, &k, limit, &evals);
            p->node_evals += evals;
        } else {
            seen = placement_scan(c, r, &q, start, nn, cand, &k, limit);
            if (k < limit)
                seen += placement_scan(c, r, &q, 0, start, cand, &k, limit);
            p->node_evals += seen;
        }
        p->next_start = (uint32_t)(((uint64_t)start + seen) % nn);
        return k;
    }

    if (q.avail) {
        /* only the nodes in the index, word by word (placement_legacy_first) */
        uint32_t words = (nn + 63) / 64, sum_words = (words + 63) / 64;
        for (uint32_t sw = 0; sw < sum_words; sw++) {
            for (uint64_t s = q.avail_sum[sw]; s; s &= s - 1) {
                uint32_t w = sw * 64 + (uint32_t)__builtin_ctzll(s);
                uint64_t x = q.avail[w], first = placement_legacy_first(x, w, nn);
                bool dense;
                uint64_t ok = placement_word(c, r, &q, w, x, &dense);
                if (first)
                    k = placement_emit(cand, k, ok & first, w * 64, dense);
                if (~first)
                    k = placement_emit(cand, k, ok & ~first, w * 64, dense);
            }
        }
        p->node_evals += c->avail_count[q.res_need < GPU_NODE_MAX ? q.res_need : GPU_NODE_MAX];
        return k;
    }

    placement_scan(c, r, &q, 0, nn, cand, &k, UINT32_MAX);
    p->node_evals += nn;
    return k;
}

/* ---------------- decide, bind, release ---------------- */

/* Keeps the candidates with the highest score (stable); returns how many. */
static uint32_t placement_keep_best(uint32_t *cand, int64_t *score, uint32_t k)
{
    int64_t best = score[0];
    for (uint32_t i = 1; i < k; i++)
        if (score[i] > best)
            best = score[i];
    uint32_t m = 0;
    for (uint32_t i = 0; i < k; i++)
        if (score[i] == best)
            cand[m++] = cand[i];
    return m;
}

/* The highest score; among ties one uniformly at random with a single draw
 * from rng (the index among the tied nodes in candidate order). This is the
 * distribution of kube-scheduler's selectHost reservoir sampling with one
 * random number instead of one per tie. Without an RNG the first best wins. */
static uint32_t placement_select(const uint32_t *cand, const int64_t *score, uint32_t k,
                                 gsl_rng *rng)
{
    int64_t best = score[0];
    uint32_t cnt = 1, first = 0;
    for (uint32_t i = 1; i < k; i++) {
        if (score[i] > best) {
            best = score[i];
            cnt = 1;
            first = i;
        } else if (score[i] == best) {
            cnt++;
        }
    }
    if (cnt == 1 || !rng)
        return cand[first];
    uint32_t want = (uint32_t)gsl_rng_uniform_int(rng, cnt);
    for (uint32_t i = first;; i++)
        if (score[i] == best && want-- == 0)
            return cand[i];
}

int placer_decide(struct placer *p, const struct cluster *c, const struct pod_req *r, gsl_rng *rng,
                  struct placement *out)
{
    p->decisions++;
    uint32_t k = placement_filter(p, c, r);
    if (k == 0)
        return OS_ENOFIT;
    uint32_t node;
    if (k == 1) {
        node = p->cand[0];
    } else {
        uint32_t stages = p->ops->stages ? p->ops->stages(p, r) : 1;
        if (stages == 0)
            stages = 1;
        for (uint32_t s = 0;; s++) {
            p->ops->score(p, c, r, s, p->cand, k, p->score);
            if (s + 1 >= stages)
                break;
            k = placement_keep_best(p->cand, p->score, k);
            if (k == 1)
                break;
        }
        node = k == 1 ? p->cand[0] : placement_select(p->cand, p->score, k, rng);
    }
    out->node = node;
    out->cpu_milli = r->cpu_milli;
    out->mem_mib = r->mem_mib;
    out->group = r->group;
    int rc = p->ops->pick_gpus ? p->ops->pick_gpus(p, c, r, node, &out->gpu)
                               : gpu_choose(c, node, &r->gpu, &out->gpu);
    if (rc)
        return OS_ENOFIT;
    return OS_OK;
}

void placement_bind(struct cluster *c, const struct placement *pl)
{
    cluster_bind(c, pl->node, pl->cpu_milli, pl->mem_mib, pl->group, &pl->gpu);
}

void placement_release(struct cluster *c, const struct placement *pl)
{
    cluster_unbind(c, pl->node, pl->cpu_milli, pl->mem_mib, pl->group, &pl->gpu);
}

int placer_place(struct placer *p, struct cluster *c, const struct pod_req *r, gsl_rng *rng,
                 struct placement *out)
{
    int rc = placer_decide(p, c, r, rng, out);
    if (rc == OS_OK)
        placement_bind(c, out);
    return rc;
}
