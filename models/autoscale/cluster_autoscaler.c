/*
 * cluster_autoscaler.c - the Cluster Autoscaler's loop (see
 * cluster_autoscaler.h for the model, its sources and its assumptions).
 *
 * Everything is a first-fit simulation over one array of "simulated nodes"
 * (free capacity, free pod slots, which group's template): the existing
 * nodes first, then upcoming nodes opened lazily, then the estimator's new
 * template nodes. Lazy opening keeps the exact first-fit order of a
 * snapshot that held every upcoming node: an unopened upcoming node of a
 * group is an empty template, and it comes after that group's opened ones
 * and before every node of a later group.
 */
#include "models/autoscale/cluster_autoscaler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CA_MIN_US (60 * CA_US_PER_S)

struct ca_sorted {
    double score;
    uint32_t idx;
};

/* An expansion option (expander.Option). */
struct ca_option {
    int32_t group;
    int32_t nodes;
    uint32_t pods;
    int64_t req_cpu, req_mem;
};

/* --- config ------------------------------------------------------------------ */

void ca_cfg_defaults(struct ca_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->scan_interval_us = 10 * CA_US_PER_S;
    c->max_node_provision_us = 15 * CA_MIN_US;
    c->unneeded_time_us = 10 * CA_MIN_US;
    c->unready_time_us = 20 * CA_MIN_US;
    c->delay_after_add_us = 10 * CA_MIN_US;
    c->delay_after_delete_us = 10 * CA_US_PER_S; /* = scan interval */
    c->delay_after_failure_us = 3 * CA_MIN_US;
    c->utilization_threshold = 0.5;
    c->gpu_utilization_threshold = 0.5;
    c->max_empty_bulk_delete = 10;
    c->initial_backoff_us = 5 * CA_MIN_US;
    c->max_backoff_us = 30 * CA_MIN_US;
    c->backoff_reset_us = 180 * CA_MIN_US;
    c->nexpanders = 1;
    c->expanders[0] = CA_EXPANDER_LEAST_WASTE;
    c->seed = 0;
    c->rng = NULL;
    c->max_nodes = 1024;
    c->max_pods = 8192;
    c->filter_out_schedulable = true;
}

int ca_cfg_validate(const struct ca_cfg *c, struct os_error *err)
{
    const struct {
        const char *name;
        int64_t v;
    } times[] = {
        {"scan_interval_us", c->scan_interval_us},
        {"max_node_provision_us", c->max_node_provision_us},
        {"unneeded_time_us", c->unneeded_time_us},
        {"unready_time_us", c->unready_time_us},
        {"delay_after_add_us", c->delay_after_add_us},
        {"delay_after_delete_us", c->delay_after_delete_us},
        {"delay_after_failure_us", c->delay_after_failure_us},
        {"initial_backoff_us", c->initial_backoff_us},
        {"max_backoff_us", c->max_backoff_us},
        {"backoff_reset_us", c->backoff_reset_us},
    };
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
        if (times[i].v < 0)
            return os_errorf(err, OS_EINVAL, "%s: %lld must be >= 0", times[i].name,
                             (long long)times[i].v);
    if (c->scan_interval_us <= 0)
        return os_errorf(err, OS_EINVAL, "scan_interval_us: must be > 0");
    if (!(c->utilization_threshold >= 0 && c->utilization_threshold <= 1))
        return os_errorf(err, OS_EINVAL, "utilization_threshold: %g out of [0, 1]",
                         c->utilization_threshold);
    if (!(c->gpu_utilization_threshold >= 0 && c->gpu_utilization_threshold <= 1))
        return os_errorf(err, OS_EINVAL, "gpu_utilization_threshold: %g out of [0, 1]",
                         c->gpu_utilization_threshold);
    if (c->max_empty_bulk_delete < 1 || c->max_empty_bulk_delete > CA_DELETE_MAX)
        return os_errorf(err, OS_EINVAL, "max_empty_bulk_delete: %u out of [1, %d]",
                         c->max_empty_bulk_delete, CA_DELETE_MAX);
    if (c->nexpanders < 1 || c->nexpanders > CA_EXPANDERS_MAX)
        return os_errorf(err, OS_EINVAL, "expanders: %u expanders, need 1..%d", c->nexpanders,
                         CA_EXPANDERS_MAX);
    for (uint32_t i = 0; i < c->nexpanders; i++)
        if ((unsigned)c->expanders[i] > CA_EXPANDER_PRICE)
            return os_errorf(err, OS_EINVAL, "expanders[%u]: unknown expander %d", i,
                             (int)c->expanders[i]);
    if (c->max_nodes < 1 || c->max_pods < 1)
        return os_errorf(err, OS_EINVAL, "max_nodes/max_pods: %u/%u must be >= 1", c->max_nodes,
                         c->max_pods);
    return 0;
}

int ca_init(struct ca *ca, const struct ca_cfg *cfg, struct os_error *err)
{
    int rc = ca_cfg_validate(cfg, err);
    if (rc)
        return rc;
    memset(ca, 0, sizeof(*ca));
    /* Simulated nodes: the existing ones, at most one upcoming node per
     * pending pod and at most one estimator node per pod. */
    size_t nsim = (size_t)cfg->max_nodes + 2 * (size_t)cfg->max_pods;
    size_t np = cfg->max_pods;
    size_t bytes = nsim * (sizeof(struct ca_res) + 2 * sizeof(int32_t)) +
                   np * (sizeof(struct ca_sorted) + sizeof(uint32_t) + 2 * sizeof(int32_t)) +
                   cfg->max_nodes;
    char *m = malloc(bytes);
    if (!m)
        return os_errorf(err, OS_ENOMEM, "cluster autoscaler: %zu bytes of workspace", bytes);
    ca->mem = m;
    /* Largest alignment first. */
    ca->free = (struct ca_res *)m;
    m += nsim * sizeof(struct ca_res);
    ca->order = (struct ca_sorted *)m;
    m += np * sizeof(struct ca_sorted);
    ca->free_pods = (int32_t *)m;
    m += nsim * sizeof(int32_t);
    ca->free_group = (int32_t *)m;
    m += nsim * sizeof(int32_t);
    ca->idx = (uint32_t *)m;
    m += np * sizeof(uint32_t);
    ca->dest = (int32_t *)m;
    m += np * sizeof(int32_t);
    ca->loc = (int32_t *)m;
    m += np * sizeof(int32_t);
    ca->flags = (uint8_t *)m;
    ca->cfg = *cfg;
    ca->cap_nodes = cfg->max_nodes;
    ca->cap_pods = cfg->max_pods;
    ca->cap_sim = (uint32_t)nsim;
    ca->last_scan_us = CA_TIME_NONE;
    ca->last_scale_up_us = CA_TIME_NONE;
    ca->last_scale_down_us = CA_TIME_NONE;
    ca->last_down_failure_us = CA_TIME_NONE;
    ca->rng_state = cfg->seed;
    for (int g = 0; g < CA_GROUPS_MAX; g++) {
        ca->groups[g].backoff_until_us = CA_TIME_NONE;
        ca->groups[g].last_failure_us = CA_TIME_NONE;
    }
    return 0;
}

void ca_destroy(struct ca *ca)
{
    free(ca->mem);
    memset(ca, 0, sizeof(*ca));
}

void ca_scale_down_failed(struct ca *ca, int64_t now_us)
{
    ca->last_down_failure_us = now_us;
}

/* --- fitting ----------------------------------------------------------------- */

/* The pod requests GPU units or some extended resource ([U] CA_GPU_ONLY). */
static bool ca_wants_accel(const struct ca_res *req)
{
    if (req->gpu > 0)
        return true;
    for (int k = 0; k < CA_EXT_MAX; k++)
        if (req->ext[k] > 0)
            return true;
    return false;
}

/* req fits free and one pod slot, in every dimension, the extended ones
 * included; a gpu_only node takes only pods that want an accelerator. */
static bool ca_fits(const struct ca_res *req, const struct ca_res *free, int32_t free_pods,
                    bool gpu_only)
{
    if (gpu_only && !ca_wants_accel(req))
        return false;
    if (free_pods < 1 || req->cpu_milli > free->cpu_milli || req->mem_mib > free->mem_mib ||
        req->gpu > free->gpu)
        return false;
    for (int k = 0; k < CA_EXT_MAX; k++)
        if (req->ext[k] > free->ext[k])
            return false;
    return true;
}

/* *a += b (sign +1) or *a -= b (sign -1), in every dimension. */
static void ca_res_add(struct ca_res *a, const struct ca_res *b, int64_t sign)
{
    a->cpu_milli += sign * b->cpu_milli;
    a->mem_mib += sign * b->mem_mib;
    a->gpu += sign * b->gpu;
    for (int k = 0; k < CA_EXT_MAX; k++)
        a->ext[k] += sign * b->ext[k];
}

static void ca_take(struct ca *ca, uint32_t s, const struct ca_res *req)
{
    ca_res_add(&ca->free[s], req, -1);
    ca->free_pods[s] -= 1;
}

static void ca_give(struct ca *ca, uint32_t s, const struct ca_res *req)
{
    ca_res_add(&ca->free[s], req, 1);
    ca->free_pods[s] += 1;
}

/* Simulated node s becomes an empty node of template g. */
static void ca_open(struct ca *ca, uint32_t s, const struct ca_group *g, int32_t gi)
{
    ca->free[s] = g->alloc;
    ca->free_pods[s] = g->max_pods;
    ca->free_group[s] = gi;
}

static int ca_cmp_sorted(const void *a, const void *b)
{
    const struct ca_sorted *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;         /* descending */
    return x->idx < y->idx ? -1 : (x->idx > y->idx); /* [U] CA_ORDER */
}

/* The binpacking estimator for template g over pods[idx[0..n)] (all pods
 * when idx is NULL), on simulated nodes from `base`. Fills the option's
 * node count, pods and request sums. */
static void ca_binpack(struct ca *ca, const struct ca_group *g, int32_t gi,
                       const struct ca_pod *pods, const uint32_t *idx, uint32_t n, uint32_t base,
                       struct ca_option *o)
{
    struct ca_res empty = g->alloc;
    uint32_t m = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = idx ? idx[k] : k;
        const struct ca_res *r = &pods[i].req;
        if (!ca_fits(r, &empty, g->max_pods, g->gpu_only))
            continue; /* the pod cannot use this group at all */
        double score = 0;
        if (g->alloc.cpu_milli > 0)
            score += (double)r->cpu_milli / (double)g->alloc.cpu_milli;
        if (g->alloc.mem_mib > 0)
            score += (double)r->mem_mib / (double)g->alloc.mem_mib;
        ca->order[m++] = (struct ca_sorted){score, i};
    }
    qsort(ca->order, m, sizeof(ca->order[0]), ca_cmp_sorted);
    memset(o, 0, sizeof(*o));
    o->group = gi;
    for (uint32_t k = 0; k < m; k++) {
        const struct ca_res *r = &pods[ca->order[k].idx].req;
        uint32_t s = base;
        for (; s < base + (uint32_t)o->nodes; s++)
            if (ca_fits(r, &ca->free[s], ca->free_pods[s], false))
                break;
        if (s == base + (uint32_t)o->nodes) {
            ca_open(ca, s, g, gi);
            o->nodes++;
        }
        ca_take(ca, s, r);
        o->pods++;
        o->req_cpu += r->cpu_milli;
        o->req_mem += r->mem_mib;
    }
}

int32_t ca_estimate(struct ca *ca, const struct ca_group *g, const struct ca_pod *pods,
                    uint32_t npods, uint32_t *npods_out)
{
    if (npods > ca->cap_pods)
        return -1;
    struct ca_option o;
    ca_binpack(ca, g, 0, pods, NULL, npods, 0, &o);
    if (npods_out)
        *npods_out = o.pods;
    return o.nodes;
}

/* --- expanders --------------------------------------------------------------- */

static uint64_t ca_splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint32_t ca_draw(struct ca *ca, uint32_t n)
{
    if (n <= 1)
        return 0;
    if (ca->cfg.rng)
        return (uint32_t)gsl_rng_uniform_int(ca->cfg.rng, n);
    return (uint32_t)(ca_splitmix(&ca->rng_state) % n);
}

/* The score an expander minimises (ties are kept for the next filter). */
static double ca_expander_score(enum ca_expander e, const struct ca_option *o,
                                const struct ca_group *groups)
{
    const struct ca_group *g = &groups[o->group];
    switch (e) {
    case CA_EXPANDER_LEAST_WASTE: {
        double avail_cpu = (double)g->alloc.cpu_milli * o->nodes;
        double avail_mem = (double)g->alloc.mem_mib * o->nodes;
        double w = 0;
        if (avail_cpu > 0)
            w += (avail_cpu - (double)o->req_cpu) / avail_cpu;
        if (avail_mem > 0)
            w += (avail_mem - (double)o->req_mem) / avail_mem;
        return w;
    }
    case CA_EXPANDER_MOST_PODS:
        return -(double)o->pods;
    case CA_EXPANDER_LEAST_NODES:
        return (double)o->nodes;
    case CA_EXPANDER_PRIORITY:
        return -(double)g->priority;
    case CA_EXPANDER_PRICE: /* [U] CA_PRICE_TOTAL */
        return g->price_per_hour * o->nodes;
    case CA_EXPANDER_RANDOM:
        return 0;
    }
    return 0;
}

/* Filters opts[0..n) in place through the chain, then draws among the
 * survivors. Returns the index of the chosen option. */
static uint32_t ca_expand(struct ca *ca, struct ca_option *opts, uint32_t n,
                          const struct ca_group *groups)
{
    for (uint32_t e = 0; e < ca->cfg.nexpanders && n > 1; e++) {
        enum ca_expander x = ca->cfg.expanders[e];
        if (x == CA_EXPANDER_RANDOM)
            break; /* random picks among all that are left */
        double best = INFINITY;
        for (uint32_t i = 0; i < n; i++) {
            double s = ca_expander_score(x, &opts[i], groups);
            if (s < best)
                best = s;
        }
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++)
            if (ca_expander_score(x, &opts[i], groups) == best)
                opts[m++] = opts[i];
        n = m;
    }
    return ca_draw(ca, n);
}

/* --- the step ---------------------------------------------------------------- */

static void ca_backoff(struct ca *ca, int32_t g, int64_t now_us)
{
    struct ca_group_state *s = &ca->groups[g];
    const struct ca_cfg *c = &ca->cfg;
    if (s->last_failure_us != CA_TIME_NONE && now_us - s->last_failure_us <= c->backoff_reset_us &&
        s->backoff_us > 0)
        s->backoff_us =
            s->backoff_us * 2 > c->max_backoff_us ? c->max_backoff_us : s->backoff_us * 2;
    else
        s->backoff_us = c->initial_backoff_us;
    s->backoff_until_us = now_us + s->backoff_us;
    s->last_failure_us = now_us;
}

/* Free capacity of a ready node as a destination; pods slots from its
 * group's template (unlimited for nodes no group owns). */
static void ca_load_node(struct ca *ca, const struct ca_input *in, uint32_t i)
{
    const struct ca_node *n = &in->nodes[i];
    ca->free[i] = n->alloc;
    ca_res_add(&ca->free[i], &n->requested, -1);
    ca->free_pods[i] = n->group >= 0 ? in->groups[n->group].max_pods - n->npods : INT32_MAX;
    ca->free_group[i] = n->group;
}

static bool ca_node_gpu_only(const struct ca_input *in, int32_t group)
{
    return group >= 0 && in->groups[group].gpu_only;
}

/* Step 3: returns true if it scaled up. ready[] holds ready nodes per group. */
static bool ca_scale_up(struct ca *ca, int64_t now_us, const struct ca_input *in,
                        const int32_t *ready, struct ca_decision *d)
{
    uint32_t nn = in->nnodes;
    int32_t upcoming[CA_GROUPS_MAX], opened[CA_GROUPS_MAX];
    for (uint32_t g = 0; g < in->ngroups; g++) {
        int32_t u = in->groups[g].target_size - ready[g];
        upcoming[g] = u > 0 ? u : 0;
        opened[g] = 0;
    }
    for (uint32_t i = 0; i < nn; i++)
        ca_load_node(ca, in, i);
    uint32_t nopen = 0, nrem = 0;
    for (uint32_t p = 0; p < in->npending; p++) {
        const struct ca_res *r = &in->pending[p].req;
        bool placed = false;
        if (ca->cfg.filter_out_schedulable) {
            for (uint32_t i = 0; i < nn && !placed; i++) {
                if (!in->nodes[i].ready || !ca_fits(r, &ca->free[i], ca->free_pods[i],
                                                    ca_node_gpu_only(in, in->nodes[i].group)))
                    continue;
                ca_take(ca, i, r);
                placed = true;
            }
        }
        for (uint32_t g = 0; g < in->ngroups && !placed; g++) {
            const struct ca_group *gr = &in->groups[g];
            for (uint32_t s = nn; s < nn + nopen && !placed; s++) {
                if (ca->free_group[s] != (int32_t)g ||
                    !ca_fits(r, &ca->free[s], ca->free_pods[s], gr->gpu_only))
                    continue;
                ca_take(ca, s, r);
                placed = true;
            }
            if (!placed && opened[g] < upcoming[g] &&
                ca_fits(r, &gr->alloc, gr->max_pods, gr->gpu_only)) {
                ca_open(ca, nn + nopen, gr, (int32_t)g);
                ca_take(ca, nn + nopen, r);
                nopen++;
                opened[g]++;
                placed = true;
            }
        }
        if (!placed)
            ca->idx[nrem++] = p;
    }
    d->unschedulable = nrem;
    if (nrem == 0)
        return false;

    struct ca_option opts[CA_GROUPS_MAX];
    uint32_t nopts = 0;
    uint32_t base = nn + nopen;
    for (uint32_t g = 0; g < in->ngroups; g++) {
        const struct ca_group *gr = &in->groups[g];
        if (gr->target_size >= gr->max_size)
            continue;
        if (ca->groups[g].backoff_until_us != CA_TIME_NONE &&
            now_us < ca->groups[g].backoff_until_us)
            continue;
        struct ca_option o;
        ca_binpack(ca, gr, (int32_t)g, in->pending, ca->idx, nrem, base, &o);
        if (o.nodes > 0)
            opts[nopts++] = o;
    }
    d->noptions = nopts;
    if (nopts == 0)
        return false;
    struct ca_option best = opts[ca_expand(ca, opts, nopts, in->groups)];
    const struct ca_group *gr = &in->groups[best.group];
    int32_t delta = best.nodes;
    if (delta > gr->max_size - gr->target_size)
        delta = gr->max_size - gr->target_size;
    d->reason = CA_SCALE_UP;
    d->up_group = best.group;
    d->up_delta = delta;
    d->up_estimate = best.nodes;
    d->up_pods = best.pods;
    ca->last_scale_up_us = now_us;
    struct ca_group_state *s = &ca->groups[best.group];
    s->requested += delta;
    s->expected_add_us = now_us + ca->cfg.max_node_provision_us;
    return true;
}

/* Utilisation as CA computes it for the scale-down threshold. */
static bool ca_underutilized(const struct ca_cfg *c, const struct ca_node *n)
{
    if (n->alloc.gpu > 0) /* GPU node: only the GPU counts */
        return (double)n->requested.gpu / (double)n->alloc.gpu < c->gpu_utilization_threshold;
    bool ext_node = false; /* [U] CA_EXT_UTIL: the busiest extended resource */
    double u = 0;
    for (int k = 0; k < CA_EXT_MAX; k++) {
        if (n->alloc.ext[k] <= 0)
            continue;
        double e = (double)n->requested.ext[k] / (double)n->alloc.ext[k];
        if (e > u)
            u = e;
        ext_node = true;
    }
    if (ext_node)
        return u < c->gpu_utilization_threshold;
    if (n->alloc.cpu_milli > 0)
        u = (double)n->requested.cpu_milli / (double)n->alloc.cpu_milli;
    if (n->alloc.mem_mib > 0) {
        double m = (double)n->requested.mem_mib / (double)n->alloc.mem_mib;
        if (m > u)
            u = m;
    }
    return u < c->utilization_threshold;
}

/* Pods on node i in the scale-down simulation. */
static uint32_t ca_pods_on(const struct ca *ca, const struct ca_input *in, uint32_t i)
{
    uint32_t cnt = 0;
    for (uint32_t p = 0; p < in->nscheduled; p++)
        cnt += ca->loc[p] == (int32_t)i;
    return cnt;
}

/* Tries to move every pod on node i to other ready nodes that are not
 * removed; commits the moves on success, undoes them otherwise. A node
 * whose pods are not all movable fails at once. */
static bool ca_drain_fits(struct ca *ca, const struct ca_input *in, uint32_t i, uint32_t npods)
{
    if (npods > 0 && !in->nodes[i].movable)
        return false;
    bool ok = true;
    for (uint32_t p = 0; p < in->nscheduled; p++) {
        ca->dest[p] = -1;
        if (!ok || ca->loc[p] != (int32_t)i)
            continue;
        const struct ca_res *r = &in->scheduled[p].req;
        for (uint32_t j = 0; j < in->nnodes; j++) {
            if (j == i || ca->flags[j] || !in->nodes[j].ready ||
                !ca_fits(r, &ca->free[j], ca->free_pods[j],
                         ca_node_gpu_only(in, in->nodes[j].group)))
                continue;
            ca_take(ca, j, r);
            ca->dest[p] = (int32_t)j;
            break;
        }
        if (ca->dest[p] < 0)
            ok = false;
    }
    for (uint32_t p = 0; p < in->nscheduled; p++) {
        if (ca->loc[p] != (int32_t)i || ca->dest[p] < 0)
            continue;
        if (ok)
            ca->loc[p] = ca->dest[p];
        else
            ca_give(ca, (uint32_t)ca->dest[p], &in->scheduled[p].req);
    }
    return ok;
}

/* Step 4. flags[i]: 0 needed (or not evaluated yet), 1 unneeded with pods,
 * 2 unneeded and empty. */
static void ca_scale_down(struct ca *ca, int64_t now_us, struct ca_input *in, struct ca_decision *d)
{
    const struct ca_cfg *c = &ca->cfg;
    for (uint32_t i = 0; i < in->nnodes; i++) {
        ca_load_node(ca, in, i);
        ca->flags[i] = 0;
    }
    for (uint32_t p = 0; p < in->nscheduled; p++)
        ca->loc[p] = in->scheduled[p].node;
    /* Passes: empty nodes, then nodes unneeded before, then the rest. */
    uint32_t nunneeded = 0;
    for (int pass = 0; pass < 3; pass++) {
        for (uint32_t i = 0; i < in->nnodes; i++) {
            struct ca_node *n = &in->nodes[i];
            uint32_t npods = ca_pods_on(ca, in, i);
            bool prev = n->unneeded_since_us != CA_TIME_NONE;
            int want = npods == 0 ? 0 : prev ? 1 : 2;
            if (want != pass)
                continue;
            bool unneeded = n->group >= 0 && !n->scale_down_disabled && ca_underutilized(c, n) &&
                            ca_drain_fits(ca, in, i, npods);
            if (unneeded) {
                ca->flags[i] = npods == 0 ? 2 : 1;
                if (!prev)
                    n->unneeded_since_us = now_us;
                nunneeded++;
            } else {
                n->unneeded_since_us = CA_TIME_NONE;
            }
        }
    }
    d->nunneeded = nunneeded;

    if (ca->last_scale_up_us != CA_TIME_NONE &&
        now_us < ca->last_scale_up_us + c->delay_after_add_us) {
        d->down = CA_DOWN_COOLDOWN_ADD;
        return;
    }
    if (ca->last_down_failure_us != CA_TIME_NONE &&
        now_us < ca->last_down_failure_us + c->delay_after_failure_us) {
        d->down = CA_DOWN_COOLDOWN_FAIL;
        return;
    }
    if (ca->last_scale_down_us != CA_TIME_NONE &&
        now_us < ca->last_scale_down_us + c->delay_after_delete_us) {
        d->down = CA_DOWN_COOLDOWN_DEL;
        return;
    }
    int32_t deleted[CA_GROUPS_MAX] = {0};
    for (int pass = 2; pass >= 1 && d->ndelete == 0; pass--) {
        uint32_t limit = pass == 2 ? c->max_empty_bulk_delete : 1;
        for (uint32_t i = 0; i < in->nnodes && d->ndelete < limit; i++) {
            const struct ca_node *n = &in->nodes[i];
            if (ca->flags[i] != pass)
                continue;
            int64_t wait = n->ready ? c->unneeded_time_us : c->unready_time_us;
            if (n->unneeded_since_us > now_us - wait)
                continue;
            const struct ca_group *g = &in->groups[n->group];
            if (g->target_size - deleted[n->group] <= g->min_size)
                continue;
            deleted[n->group]++;
            d->delete[d->ndelete++] = i;
            d->delete_empty = pass == 2;
        }
    }
    if (d->ndelete == 0) {
        d->down = CA_DOWN_NO_CANDIDATES;
        return;
    }
    d->down = CA_DOWN_DELETED;
    d->reason = CA_SCALE_DOWN;
    ca->last_scale_down_us = now_us;
}

int ca_step(struct ca *ca, int64_t now_us, struct ca_input *in, struct ca_decision *d)
{
    memset(d, 0, sizeof(*d));
    d->reason = CA_NOT_DUE;
    d->up_group = -1;
    if (ca->last_scan_us != CA_TIME_NONE &&
        (now_us < ca->last_scan_us || now_us - ca->last_scan_us < ca->cfg.scan_interval_us))
        return 0;
    if (in->ngroups > CA_GROUPS_MAX)
        return OS_EFULL;
    if (in->nnodes > ca->cap_nodes || in->npending + in->nscheduled > ca->cap_pods)
        return OS_EFULL;
    int32_t ready[CA_GROUPS_MAX] = {0};
    for (uint32_t i = 0; i < in->nnodes; i++) {
        int32_t g = in->nodes[i].group;
        if (g != CA_NO_GROUP && (g < 0 || (uint32_t)g >= in->ngroups))
            return OS_EINVAL;
        if (g >= 0 && in->nodes[i].ready)
            ready[g]++;
    }
    for (uint32_t p = 0; p < in->nscheduled; p++)
        if (in->scheduled[p].node < 0 || (uint32_t)in->scheduled[p].node >= in->nnodes)
            return OS_EINVAL;
    ca->last_scan_us = now_us;
    d->reason = CA_NO_ACTION;

    /* 2. Scale-up requests: done, or timed out (ExpectedAddTime.Before(now)). */
    for (uint32_t g = 0; g < in->ngroups; g++) {
        struct ca_group_state *s = &ca->groups[g];
        if (s->requested == 0)
            continue;
        int32_t missing = in->groups[g].target_size - ready[g];
        if (missing <= 0) {
            s->requested = 0;
        } else if (s->expected_add_us < now_us) {
            ca_backoff(ca, (int32_t)g, now_us);
            d->timeouts[d->ntimeouts++] = (struct ca_timeout){(int32_t)g, missing};
            s->requested = 0;
        }
    }

    /* 3. Scale-up; RunOnce returns after a scale-up. */
    if (ca_scale_up(ca, now_us, in, ready, d))
        return 0;

    /* 4. Scale-down. */
    ca_scale_down(ca, now_us, in, d);
    return 0;
}

const char *ca_expander_name(enum ca_expander e)
{
    switch (e) {
    case CA_EXPANDER_LEAST_WASTE:
        return "least-waste";
    case CA_EXPANDER_RANDOM:
        return "random";
    case CA_EXPANDER_MOST_PODS:
        return "most-pods";
    case CA_EXPANDER_LEAST_NODES:
        return "least-nodes";
    case CA_EXPANDER_PRIORITY:
        return "priority";
    case CA_EXPANDER_PRICE:
        return "price";
    }
    return "unknown";
}
