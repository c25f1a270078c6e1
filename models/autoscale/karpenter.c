/*
 * karpenter.c - Karpenter's batcher, provisioner and disruption methods (see
 * karpenter.h for the model, its sources and its assumptions).
 *
 * One packing routine (kp_pack) serves both provisioning and the
 * consolidation simulation, as in Karpenter, where consolidation runs the
 * provisioner's scheduler with the candidates' pods and without the
 * candidates. A NodeClaim's candidate instance types are a 64-bit mask.
 */
#include "models/autoscale/karpenter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KP_HOUR_US (3600 * KP_US_PER_S)

struct kp_sorted {
    double key;
    uint32_t idx;
};

/* --- config ------------------------------------------------------------------ */

void kp_cfg_defaults(struct kp_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->batch_idle_us = 1 * KP_US_PER_S;
    c->batch_max_us = 10 * KP_US_PER_S;
    c->disrupt_period_us = 10 * KP_US_PER_S;
    c->spot_to_spot = false;
    c->max_nodes = 1024;
    c->max_pods = 8192;
}

void kp_pool_defaults(struct kp_pool *p)
{
    memset(p, 0, sizeof(*p));
    p->weight = 0;
    p->limit_cpu_milli = -1;
    p->limit_gpu = -1;
    p->allow_on_demand = true;
    p->allow_spot = false;
    p->types = ~UINT64_C(0);
    p->policy = KP_WHEN_EMPTY_OR_UNDERUTILIZED;
    p->consolidate_after_us = 0;
    p->expire_after_us = 720 * KP_HOUR_US;
    p->nbudgets = 1;
    p->budgets[0] = (struct kp_budget){.percent = true, .value = 10};
}

int kp_init(struct kp *kp, const struct kp_cfg *cfg, struct os_error *err)
{
    if (cfg->batch_idle_us < 0 || cfg->batch_max_us < cfg->batch_idle_us)
        return os_errorf(err, OS_EINVAL,
                         "batch_idle_us/batch_max_us: %lld/%lld need 0 <= idle <= max",
                         (long long)cfg->batch_idle_us, (long long)cfg->batch_max_us);
    if (cfg->disrupt_period_us < 0)
        return os_errorf(err, OS_EINVAL, "disrupt_period_us: must be >= 0");
    if (cfg->max_nodes < 1 || cfg->max_pods < 1)
        return os_errorf(err, OS_EINVAL, "max_nodes/max_pods: must be >= 1");
    memset(kp, 0, sizeof(*kp));
    size_t nn = cfg->max_nodes, np = cfg->max_pods;
    size_t bytes = nn * (sizeof(struct kp_res) + sizeof(struct kp_sorted) + sizeof(double) +
                         sizeof(int32_t) + sizeof(uint32_t) + 1) +
                   np * (sizeof(struct kp_claim) + 2 * sizeof(uint32_t));
    char *m = malloc(bytes);
    if (!m)
        return os_errorf(err, OS_ENOMEM, "karpenter: %zu bytes of workspace", bytes);
    kp->mem = m;
    kp->claims = (struct kp_claim *)m;
    m += np * sizeof(struct kp_claim);
    kp->free = (struct kp_res *)m;
    m += nn * sizeof(struct kp_res);
    kp->key = (double *)m; /* holds struct kp_sorted entries (16 bytes each) */
    m += nn * (sizeof(struct kp_sorted) + sizeof(double));
    kp->free_pods = (int32_t *)m;
    m += nn * sizeof(int32_t);
    kp->cand = (uint32_t *)m;
    m += nn * sizeof(uint32_t);
    kp->order = (uint32_t *)m;
    m += 2 * np * sizeof(uint32_t); /* pods to pack, then the claim order */
    kp->in_set = (uint8_t *)m;
    kp->cfg = *cfg;
    kp->cap_claims = (uint32_t)np;
    kp->last_disrupt_us = INT64_MIN;
    return 0;
}

void kp_destroy(struct kp *kp)
{
    free(kp->mem);
    memset(kp, 0, sizeof(*kp));
}

/* --- batcher ----------------------------------------------------------------- */

void kp_batcher_init(struct kp_batcher *b, int64_t idle_us, int64_t max_us)
{
    memset(b, 0, sizeof(*b));
    b->idle_us = idle_us;
    b->max_us = max_us;
}

void kp_batcher_trigger(struct kp_batcher *b, int64_t now_us)
{
    if (!b->open) {
        b->open = true;
        b->start_us = now_us;
    }
    b->last_us = now_us;
}

int64_t kp_batcher_deadline(const struct kp_batcher *b)
{
    if (!b->open)
        return INT64_MAX;
    int64_t idle = b->last_us + b->idle_us, max = b->start_us + b->max_us;
    return idle < max ? idle : max;
}

bool kp_batcher_ready(struct kp_batcher *b, int64_t now_us)
{
    if (!b->open || now_us < kp_batcher_deadline(b))
        return false;
    b->open = false;
    return true;
}

/* --- types and prices -------------------------------------------------------- */

/* One node of the type, empty: its allocatable in every dimension. */
static struct kp_res kp_type_cap(const struct kp_type *t)
{
    struct kp_res r = {.cpu_milli = t->cpu_milli,
                       .mem_mib = t->mem_mib,
                       .gpu = (int64_t)t->gpus * t->gpu_units_per_gpu};
    for (int k = 0; k < KP_EXT_MAX; k++)
        r.ext[k] = t->ext[k];
    return r;
}

/* a fits in b: every dimension, the extended ones included. */
static bool kp_res_le(const struct kp_res *a, const struct kp_res *b)
{
    if (a->cpu_milli > b->cpu_milli || a->mem_mib > b->mem_mib || a->gpu > b->gpu)
        return false;
    for (int k = 0; k < KP_EXT_MAX; k++)
        if (a->ext[k] > b->ext[k])
            return false;
    return true;
}

/* *a += b (sign +1) or *a -= b (sign -1), in every dimension. */
static void kp_res_add(struct kp_res *a, const struct kp_res *b, int64_t sign)
{
    a->cpu_milli += sign * b->cpu_milli;
    a->mem_mib += sign * b->mem_mib;
    a->gpu += sign * b->gpu;
    for (int k = 0; k < KP_EXT_MAX; k++)
        a->ext[k] += sign * b->ext[k];
}

/* The type's cheapest offering the pool allows and that is available. */
static double kp_offer_price(const struct kp_type *t, const struct kp_pool *p)
{
    double best = INFINITY;
    if (p->allow_on_demand && t->od_available && t->od_price < best)
        best = t->od_price;
    if (p->allow_spot && t->spot_available && t->spot_price < best)
        best = t->spot_price;
    return best;
}

static double kp_node_price(const struct kp_cluster *cl, const struct kp_node *n)
{
    const struct kp_type *t = &cl->types[n->type];
    return n->capacity == KP_SPOT ? t->spot_price : t->od_price;
}

/* Types of `mask` ordered by key (ties by index), at most `limit`. */
static uint32_t kp_order_types(const struct kp_cluster *cl, uint64_t mask, const double *key,
                               uint32_t limit, uint32_t *out)
{
    uint32_t n = 0;
    for (uint32_t t = 0; t < cl->ntypes; t++) {
        if (!(mask >> t & 1) || !isfinite(key[t]))
            continue;
        uint32_t j = n++;
        while (j > 0 && key[out[j - 1]] > key[t]) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = t;
    }
    return n < limit ? n : limit;
}

/* Chooses the launched type and capacity type of a NodeClaim of pool p over
 * the candidate types `mask` (see the header comment). force_spot: the
 * replacement may only be spot. Returns false if nothing can launch. */
static bool kp_choose(const struct kp_cluster *cl, const struct kp_pool *p, uint64_t mask,
                      bool force_spot, struct kp_claim *c)
{
    double key[KP_TYPES_MAX];
    uint32_t ord[KP_TYPES_MAX];
    for (uint32_t t = 0; t < cl->ntypes; t++)
        key[t] = kp_offer_price(&cl->types[t], p);
    uint32_t n = kp_order_types(cl, mask, key, KP_LAUNCH_TYPES, ord);
    int32_t best = -1;
    if (p->allow_spot) { /* [U] KP_PCO_LOWEST_PRICE */
        for (uint32_t i = 0; i < n; i++) {
            const struct kp_type *t = &cl->types[ord[i]];
            if (t->spot_available && (best < 0 || t->spot_price < cl->types[best].spot_price))
                best = (int32_t)ord[i];
        }
        if (best >= 0) {
            c->type = best;
            c->capacity = KP_SPOT;
            c->price = cl->types[best].spot_price;
            return true;
        }
    }
    if (force_spot || !p->allow_on_demand)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        const struct kp_type *t = &cl->types[ord[i]];
        if (t->od_available && (best < 0 || t->od_price < cl->types[best].od_price))
            best = (int32_t)ord[i];
    }
    if (best < 0)
        return false;
    c->type = best;
    c->capacity = KP_ON_DEMAND;
    c->price = cl->types[best].od_price;
    return true;
}

/* --- packing ----------------------------------------------------------------- */

/* [U] KP_GPU_ONLY: a GPU pool takes pods that request GPU units or any
 * extended resource (a MIG-mixed pool's pods request only the latter). */
static bool kp_pod_allowed(const struct kp_pool *p, const struct kp_pod *pod)
{
    if (!p->gpu_only || pod->req.gpu > 0)
        return true;
    for (int k = 0; k < KP_EXT_MAX; k++)
        if (pod->req.ext[k] > 0)
            return true;
    return false;
}

/* Types of mask that hold `used` plus pod in one node of pod count npods+1. */
static uint64_t kp_fitting(const struct kp_cluster *cl, uint64_t mask, const struct kp_res *used,
                           int32_t npods, const struct kp_pod *pod)
{
    struct kp_res need = *used;
    kp_res_add(&need, &pod->req, 1);
    uint64_t out = 0;
    for (uint32_t t = 0; t < cl->ntypes; t++) {
        if (!(mask >> t & 1))
            continue;
        struct kp_res cap = kp_type_cap(&cl->types[t]);
        if (kp_res_le(&need, &cap) && npods + 1 <= cl->types[t].max_pods)
            out |= UINT64_C(1) << t;
    }
    return out;
}

static int kp_cmp_pods(const void *a, const void *b, const struct kp_pod *pods)
{
    const struct kp_pod *x = &pods[*(const uint32_t *)a], *y = &pods[*(const uint32_t *)b];
    if (x->req.cpu_milli != y->req.cpu_milli)
        return x->req.cpu_milli > y->req.cpu_milli ? -1 : 1;
    if (x->req.mem_mib != y->req.mem_mib)
        return x->req.mem_mib > y->req.mem_mib ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1; /* [U] KP_ORDER */
}

/* Insertion sort (stable, allocation-free; qsort has no context argument in C11). */
static void kp_sort_pods(uint32_t *idx, uint32_t n, const struct kp_pod *pods)
{
    for (uint32_t i = 1; i < n; i++) {
        uint32_t v = idx[i], j = i;
        while (j > 0 && kp_cmp_pods(&idx[j - 1], &v, pods) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

/* Packs pods[idx[0..n)] (idx is sorted in place) onto the nodes not
 * excluded (kp->in_set[i] != 0 or deleting) and then new claims. */
static int kp_pack(struct kp *kp, const struct kp_cluster *cl, const struct kp_pod *pods,
                   uint32_t *idx, uint32_t n, int32_t *assign, struct kp_claim *claims,
                   uint32_t cap_claims, struct kp_prov_result *out)
{
    memset(out, 0, sizeof(*out));
    int64_t rem_cpu[KP_POOLS_MAX], rem_gpu[KP_POOLS_MAX];
    for (uint32_t p = 0; p < cl->npools; p++) {
        rem_cpu[p] = cl->pools[p].limit_cpu_milli;
        rem_gpu[p] = cl->pools[p].limit_gpu;
    }
    for (uint32_t i = 0; i < cl->nnodes; i++) {
        const struct kp_node *nd = &cl->nodes[i];
        const struct kp_type *t = &cl->types[nd->type];
        kp->free[i] = kp_type_cap(t);
        if (nd->own_ext) /* its extended resources differ from its type's */
            for (unsigned k = 0; k < KP_EXT_MAX; k++)
                kp->free[i].ext[k] = nd->ext[k];
        kp->free_pods[i] = t->max_pods - (int32_t)nd->npods;
        for (uint32_t k = 0; k < nd->npods; k++)
            kp_res_add(&kp->free[i], &cl->pods[nd->pod_first + k].req, -1);
        if (nd->deleting || kp->in_set[i])
            kp->free_pods[i] = -1; /* not a destination */
        if (!kp->in_set[i]) {
            rem_cpu[nd->pool] -= t->cpu_milli;
            rem_gpu[nd->pool] -= kp_type_cap(t).gpu;
        }
    }
    uint32_t pool_order[KP_POOLS_MAX];
    for (uint32_t p = 0; p < cl->npools; p++) {
        uint32_t j = p;
        while (j > 0 && cl->pools[pool_order[j - 1]].weight < cl->pools[p].weight) {
            pool_order[j] = pool_order[j - 1];
            j--;
        }
        pool_order[j] = p;
    }
    kp_sort_pods(idx, n, pods);
    uint32_t *perm = kp->order + kp->cap_claims; /* claims, fewest pods first */
    for (uint32_t k = 0; k < n; k++) {
        uint32_t pi = idx[k];
        const struct kp_pod *pod = &pods[pi];
        int32_t where = -1; /* >= 0 node, <= -2 claim */
        bool placed = false;
        /* (1) existing nodes */
        for (uint32_t i = 0; i < cl->nnodes && !placed; i++) {
            if (kp->free_pods[i] < 1 || !kp_pod_allowed(&cl->pools[cl->nodes[i].pool], pod) ||
                !kp_res_le(&pod->req, &kp->free[i]))
                continue;
            kp_res_add(&kp->free[i], &pod->req, -1);
            kp->free_pods[i]--;
            where = (int32_t)i;
            placed = true;
            out->on_existing++;
        }
        /* (2) in-flight claims, fewest pods first */
        for (uint32_t j = 0; j < out->nclaims && !placed; j++) {
            struct kp_claim *c = &claims[perm[j]];
            if (!kp_pod_allowed(&cl->pools[c->pool], pod))
                continue;
            uint64_t m = kp_fitting(cl, c->options, &c->used, c->npods, pod);
            if (!m)
                continue;
            c->options = m;
            kp_res_add(&c->used, &pod->req, 1);
            c->npods++;
            where = -2 - (int32_t)perm[j];
            placed = true;
            /* keep perm ordered by npods (stable: move right past equals) */
            uint32_t v = perm[j], q = j;
            while (q + 1 < out->nclaims && claims[perm[q + 1]].npods < c->npods) {
                perm[q] = perm[q + 1];
                q++;
            }
            perm[q] = v;
        }
        /* (3) a new claim */
        for (uint32_t q = 0; q < cl->npools && !placed; q++) {
            uint32_t p = pool_order[q];
            const struct kp_pool *pl = &cl->pools[p];
            if (!kp_pod_allowed(pl, pod))
                continue;
            const struct kp_res zero = {0};
            uint64_t m = kp_fitting(cl, pl->types, &zero, 0, pod);
            for (uint32_t t = 0; t < cl->ntypes; t++) {
                const struct kp_type *ty = &cl->types[t];
                if (!(m >> t & 1))
                    continue;
                if (!isfinite(kp_offer_price(ty, pl)) ||
                    (pl->limit_cpu_milli >= 0 && ty->cpu_milli > rem_cpu[p]) ||
                    (pl->limit_gpu >= 0 && kp_type_cap(ty).gpu > rem_gpu[p]))
                    m &= ~(UINT64_C(1) << t);
            }
            if (!m)
                continue;
            if (out->nclaims >= cap_claims)
                return OS_EFULL;
            uint32_t ci = out->nclaims++;
            claims[ci] = (struct kp_claim){
                .pool = (int32_t)p, .type = -1, .options = m, .used = pod->req, .npods = 1};
            int64_t max_cpu = 0, max_gpu = 0; /* subtractMax */
            for (uint32_t t = 0; t < cl->ntypes; t++) {
                if (!(m >> t & 1))
                    continue;
                if (cl->types[t].cpu_milli > max_cpu)
                    max_cpu = cl->types[t].cpu_milli;
                if (kp_type_cap(&cl->types[t]).gpu > max_gpu)
                    max_gpu = kp_type_cap(&cl->types[t]).gpu;
            }
            rem_cpu[p] -= max_cpu;
            rem_gpu[p] -= max_gpu;
            /* a claim with 1 pod goes after those with 0 (none) and before
             * those with more: insert at the first claim with > 1 pods */
            uint32_t j = ci;
            while (j > 0 && claims[perm[j - 1]].npods > 1) {
                perm[j] = perm[j - 1];
                j--;
            }
            perm[j] = ci;
            where = -2 - (int32_t)ci;
            placed = true;
        }
        if (!placed)
            out->unschedulable++;
        if (assign)
            assign[pi] = where;
    }
    for (uint32_t c = 0; c < out->nclaims; c++)
        if (!kp_choose(cl, &cl->pools[claims[c].pool], claims[c].options, false, &claims[c]))
            claims[c].type = -1; /* (cannot happen: every option has an offering) */
    return 0;
}

static int kp_check(const struct kp *kp, const struct kp_cluster *cl)
{
    if (cl->ntypes > KP_TYPES_MAX || cl->npools > KP_POOLS_MAX)
        return OS_EFULL;
    if (cl->nnodes > kp->cfg.max_nodes || cl->npods > kp->cfg.max_pods)
        return OS_EFULL;
    for (uint32_t i = 0; i < cl->nnodes; i++) {
        const struct kp_node *n = &cl->nodes[i];
        if (n->pool < 0 || (uint32_t)n->pool >= cl->npools || n->type < 0 ||
            (uint32_t)n->type >= cl->ntypes || n->pod_first + n->npods > cl->npods)
            return OS_EINVAL;
    }
    return 0;
}

int kp_provision(struct kp *kp, const struct kp_cluster *cl, const struct kp_pod *pending,
                 uint32_t npending, int32_t *assign, struct kp_claim *claims, uint32_t cap_claims,
                 struct kp_prov_result *out)
{
    memset(out, 0, sizeof(*out));
    int rc = kp_check(kp, cl);
    if (rc)
        return rc;
    if (npending > kp->cap_claims || cap_claims > kp->cap_claims)
        return OS_EFULL;
    memset(kp->in_set, 0, cl->nnodes);
    for (uint32_t i = 0; i < npending; i++)
        kp->order[i] = i;
    return kp_pack(kp, cl, pending, kp->order, npending, assign, claims, cap_claims, out);
}

/* --- disruption -------------------------------------------------------------- */

double kp_eviction_cost(const struct kp_pod *p)
{
    double c = 1.0 + (double)p->deletion_cost / 134217728.0 /* 2^27 */ +
               (double)p->priority / 33554432.0; /* 2^25 */
    return c < -10.0 ? -10.0 : c > 10.0 ? 10.0 : c;
}

double kp_disruption_cost(const struct kp_cluster *cl, uint32_t node, int64_t now_us)
{
    const struct kp_node *n = &cl->nodes[node];
    double cost = 0;
    for (uint32_t k = 0; k < n->npods; k++)
        cost += kp_eviction_cost(&cl->pods[n->pod_first + k]);
    int64_t exp = cl->pools[n->pool].expire_after_us;
    double remaining = 1.0;
    if (exp > 0) {
        remaining = (double)(exp - (now_us - n->created_us)) / (double)exp;
        remaining = remaining < 0 ? 0 : remaining > 1 ? 1 : remaining;
    }
    return cost * remaining;
}

int32_t kp_budget_allowed(const struct kp_cluster *cl, uint32_t pool)
{
    int32_t total = 0, disrupting = 0;
    for (uint32_t i = 0; i < cl->nnodes; i++) {
        const struct kp_node *n = &cl->nodes[i];
        if (n->pool != (int32_t)pool || !n->initialized)
            continue;
        total++;
        if (!n->ready || n->deleting)
            disrupting++;
    }
    const struct kp_pool *p = &cl->pools[pool];
    int32_t allowed = INT32_MAX;
    for (uint32_t b = 0; b < p->nbudgets; b++) {
        int32_t a = p->budgets[b].percent
                        ? (int32_t)(((int64_t)total * p->budgets[b].value + 99) / 100) /* ceil */
                        : p->budgets[b].value;
        if (a < allowed)
            allowed = a;
    }
    if (p->nbudgets == 0)
        allowed = total;
    allowed -= disrupting;
    return allowed > 0 ? allowed : 0;
}

/* computeConsolidation over candidate nodes set[0..n). Returns 0 (no
 * action), 1 (delete) or 2 (replace, *rep filled). */
static int kp_consolidate(struct kp *kp, const struct kp_cluster *cl, const uint32_t *set,
                          uint32_t n, const uint8_t *gone, struct kp_claim *rep, double *savings)
{
    for (uint32_t i = 0; i < cl->nnodes; i++)
        kp->in_set[i] = gone[i];
    uint32_t np = 0;
    double cand_price = 0;
    bool all_spot = true;
    for (uint32_t k = 0; k < n; k++) {
        const struct kp_node *nd = &cl->nodes[set[k]];
        kp->in_set[set[k]] = 1;
        for (uint32_t j = 0; j < nd->npods; j++)
            kp->order[np++] = nd->pod_first + j;
        cand_price += kp_node_price(cl, nd);
        all_spot = all_spot && nd->capacity == KP_SPOT;
    }
    struct kp_prov_result r;
    if (kp_pack(kp, cl, cl->pods, kp->order, np, NULL, kp->claims, kp->cap_claims, &r) != 0)
        return 0;
    if (r.unschedulable > 0)
        return 0;
    *savings = cand_price;
    if (r.nclaims == 0)
        return 1;
    if (r.nclaims != 1)
        return 0;
    struct kp_claim c = kp->claims[0];
    const struct kp_pool *pl = &cl->pools[c.pool];
    uint64_t opts = 0;
    if (all_spot && pl->allow_spot) {
        if (!kp->cfg.spot_to_spot)
            return 0; /* spot-to-spot consolidation is off */
        uint32_t cnt = 0;
        for (uint32_t t = 0; t < cl->ntypes; t++)
            if ((c.options >> t & 1) && cl->types[t].spot_available &&
                cl->types[t].spot_price < cand_price) {
                opts |= UINT64_C(1) << t;
                cnt++;
            }
        if (n == 1 && cnt < KP_SPOT_TO_SPOT_MIN)
            return 0;
        /* (launching from the 15 cheapest still picks the cheapest) */
        struct kp_pool spot_only = *pl;
        spot_only.allow_on_demand = false;
        if (!kp_choose(cl, &spot_only, opts, true, &c))
            return 0;
    } else {
        for (uint32_t t = 0; t < cl->ntypes; t++)
            if ((c.options >> t & 1) && kp_offer_price(&cl->types[t], pl) < cand_price)
                opts |= UINT64_C(1) << t;
        if (n > 1) { /* filterOutSameType */
            double max_price = INFINITY;
            for (uint32_t k = 0; k < n; k++) {
                const struct kp_node *nd = &cl->nodes[set[k]];
                double p = kp_node_price(cl, nd);
                if ((opts >> nd->type & 1) && p < max_price)
                    max_price = p;
            }
            for (uint32_t t = 0; t < cl->ntypes; t++)
                if ((opts >> t & 1) && !(kp_offer_price(&cl->types[t], pl) < max_price))
                    opts &= ~(UINT64_C(1) << t);
        }
        if (!opts)
            return 0;
        bool force_spot = pl->allow_spot && pl->allow_on_demand;
        if (!kp_choose(cl, pl, opts, force_spot, &c))
            return 0;
    }
    c.options = opts;
    *rep = c;
    *savings = cand_price - c.price;
    return 2;
}

static int kp_cmp_sorted(const void *a, const void *b)
{
    const struct kp_sorted *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx); /* [U] KP_ORDER */
}

static void kp_command(struct kp_decision *d, enum kp_method m, const uint32_t *set, uint32_t n,
                       int kind, const struct kp_claim *rep, double savings)
{
    d->method = m;
    d->ncandidates = n;
    memcpy(d->candidates, set, n * sizeof(set[0]));
    d->replace = kind == 2;
    if (d->replace)
        d->replacement = *rep;
    d->savings = savings;
}

int kp_disrupt(struct kp *kp, int64_t now_us, const struct kp_cluster *cl, struct kp_decision *d)
{
    memset(d, 0, sizeof(*d));
    if (kp->last_disrupt_us != INT64_MIN &&
        (now_us < kp->last_disrupt_us || now_us - kp->last_disrupt_us < kp->cfg.disrupt_period_us))
        return 0;
    int rc = kp_check(kp, cl);
    if (rc)
        return rc;
    kp->last_disrupt_us = now_us;
    d->due = true;
    /* gone: nodes already deleting or expired now; kp->cand's storage (one
     * uint32 per node) serves as this byte array. */
    uint8_t *gone = (uint8_t *)kp->cand;
    memset(gone, 0, cl->nnodes);

    /* 1. Expiration. */
    for (uint32_t i = 0; i < cl->nnodes; i++) {
        const struct kp_node *n = &cl->nodes[i];
        int64_t exp = cl->pools[n->pool].expire_after_us;
        gone[i] = n->deleting;
        if (n->deleting || exp < 0 || now_us - n->created_us < exp)
            continue;
        gone[i] = 1;
        if (d->nexpired < KP_DISRUPT_MAX)
            d->expired[d->nexpired++] = i;
    }
    /* 2. Budgets. */
    int32_t budget[KP_POOLS_MAX];
    for (uint32_t p = 0; p < cl->npools; p++)
        budget[p] = d->allowed[p] = kp_budget_allowed(cl, p);
    /* 3b. Drift: one drifted node with pods per command. */
    struct kp_sorted *s = (struct kp_sorted *)kp->key;
    uint32_t nd = 0;
    for (uint32_t i = 0; i < cl->nnodes; i++) {
        const struct kp_node *n = &cl->nodes[i];
        if (n->drifted && !gone[i] && n->initialized && n->ready && n->npods > 0 &&
            n->last_pod_event_us != INT64_MAX)
            s[nd++] = (struct kp_sorted){(double)n->drifted_us, i};
    }
    qsort(s, nd, sizeof(s[0]), kp_cmp_sorted);
    for (uint32_t k = 0; k < nd; k++) {
        uint32_t i = s[k].idx;
        const struct kp_node *n = &cl->nodes[i];
        if (budget[n->pool] <= 0)
            continue;
        for (uint32_t j = 0; j < cl->nnodes; j++)
            kp->in_set[j] = gone[j];
        kp->in_set[i] = 1;
        for (uint32_t j = 0; j < n->npods; j++)
            kp->order[j] = n->pod_first + j;
        struct kp_prov_result pr;
        if (kp_pack(kp, cl, cl->pods, kp->order, n->npods, NULL, kp->claims, kp->cap_claims, &pr) !=
                0 ||
            pr.unschedulable > 0 || pr.nclaims > 1) /* [U] KP_DRIFT_ONE_CLAIM */
            continue;
        kp_command(d, KP_METHOD_DRIFT, &i, 1, pr.nclaims ? 2 : 1, &kp->claims[0],
                   kp_node_price(cl, n) - (pr.nclaims ? kp->claims[0].price : 0));
        return 0;
    }

    /* 3. Candidates in cost order. */
    uint32_t nc = 0;
    for (uint32_t i = 0; i < cl->nnodes; i++) {
        const struct kp_node *n = &cl->nodes[i];
        const struct kp_pool *p = &cl->pools[n->pool];
        if (gone[i] || !n->initialized || !n->ready || p->consolidate_after_us < 0 ||
            now_us - n->last_pod_event_us < p->consolidate_after_us)
            continue;
        s[nc++] = (struct kp_sorted){kp_disruption_cost(cl, i, now_us), i};
    }
    qsort(s, nc, sizeof(s[0]), kp_cmp_sorted);
    uint32_t set[KP_DISRUPT_MAX];
    struct kp_claim rep;
    double savings = 0;

    /* 4. Emptiness. */
    uint32_t ns = 0;
    int32_t b[KP_POOLS_MAX];
    memcpy(b, budget, sizeof(b));
    for (uint32_t k = 0; k < nc && ns < KP_DISRUPT_MAX; k++) {
        const struct kp_node *n = &cl->nodes[s[k].idx];
        if (n->npods == 0 && b[n->pool] > 0) {
            b[n->pool]--;
            set[ns++] = s[k].idx;
        }
    }
    if (ns > 0) {
        for (uint32_t k = 0; k < ns; k++)
            savings += kp_node_price(cl, &cl->nodes[set[k]]);
        kp_command(d, KP_METHOD_EMPTY, set, ns, 1, NULL, savings);
        return 0;
    }

    /* 5. Multi-node consolidation. */
    memcpy(b, budget, sizeof(b));
    for (uint32_t k = 0; k < nc && ns < KP_MULTI_CANDIDATES; k++) {
        const struct kp_node *n = &cl->nodes[s[k].idx];
        if (cl->pools[n->pool].policy != KP_WHEN_EMPTY_OR_UNDERUTILIZED || b[n->pool] <= 0)
            continue;
        b[n->pool]--;
        set[ns++] = s[k].idx;
    }
    if (ns >= 2) {
        int lo = 1, hi = (int)ns - 1, best = -1, best_kind = 0;
        struct kp_claim best_rep;
        double best_sav = 0;
        while (lo <= hi) {
            int mid = (lo + hi) / 2;
            int kind = kp_consolidate(kp, cl, set, (uint32_t)mid + 1, gone, &rep, &savings);
            if (kind) {
                best = mid;
                best_kind = kind;
                best_rep = rep;
                best_sav = savings;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (best >= 0) {
            kp_command(d, KP_METHOD_MULTI, set, (uint32_t)best + 1, best_kind, &best_rep, best_sav);
            return 0;
        }
    }

    /* 6. Single-node consolidation. */
    memcpy(b, budget, sizeof(b));
    for (uint32_t k = 0; k < nc; k++) {
        uint32_t i = s[k].idx;
        const struct kp_node *n = &cl->nodes[i];
        if (cl->pools[n->pool].policy != KP_WHEN_EMPTY_OR_UNDERUTILIZED || b[n->pool] <= 0)
            continue;
        b[n->pool]--;
        int kind = kp_consolidate(kp, cl, &i, 1, gone, &rep, &savings);
        if (kind) {
            kp_command(d, KP_METHOD_SINGLE, &i, 1, kind, &rep, savings);
            return 0;
        }
    }
    return 0;
}

const char *kp_method_name(enum kp_method m)
{
    switch (m) {
    case KP_METHOD_NONE:
        return "none";
    case KP_METHOD_DRIFT:
        return "drift";
    case KP_METHOD_EMPTY:
        return "emptiness";
    case KP_METHOD_MULTI:
        return "multi_node";
    case KP_METHOD_SINGLE:
        return "single_node";
    }
    return "unknown";
}
