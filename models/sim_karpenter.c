/*
 * sim_karpenter.c - Karpenter in a simulation run (EKS variants unless
 * capacity.autoscaler is "cluster-autoscaler"; see sim_internal.h). The
 * controller is the pure, unit-tested one of models/autoscale/karpenter.h
 * (kp_*); this file shows it each node group as a NodePool with the group's
 * instance types, the group's nodes with their pods and the pending pods,
 * and applies its NodeClaims and disruption decisions to the run.
 *
 * Each node group (G_SVC, G_FLEET, G_TRAIN; a Fargate fleet has none) is its
 * own NodePool, and its own kp_cluster (pods never go to another group's
 * nodes: [U] SIM_GROUPS). Its instance types are the variant's
 * instance_types (or instance_type alone): allocatable CPU and memory as the
 * node launch gives them ([U] SIM_ALLOCATABLE), GPUs in units of the group's
 * sharing mode on that type, 110 pods, the on-demand price of the catalog
 * and the spot price of the type's market pool at that instant. NodePool
 * settings come from the variant's capacity object, the same for every group:
 * consolidation_policy, consolidate_after_s, expire_after_s (0 = Never),
 * budget_pct (one "nodes: N%" budget), limits_gpus (GPUs of the group's
 * NodePool, counted in the sharing mode's units of types[0]).
 *
 * Provisioning (the batch window: a pending pod opens it, it closes 1 s after
 * the last one or 10 s after it opened; kp_batcher): the pending pods are
 * first tried on the cluster, then every pod still pending (replicas:
 * the service's CPU, memory and GPU units; training pods: their gang's pod)
 * goes to kp_provision with the group's nodes, and each returned NodeClaim
 * is launched with its type and capacity type (sim_node_launch_type).
 *
 * Disruption (every 10 s): kp_disrupt per group; expired nodes are drained
 * (replicas stopped and recreated by their Deployment, which provisioning
 * then places), empty ones terminated; a consolidation Delete drains its
 * candidates at once; a Replace launches the replacement NodeClaim, taints
 * the candidates at once (karpenter.sh/disrupted:NoSchedule: no new pods)
 * and drains them when the replacement is schedulable (Karpenter waits for
 * the replacement to initialize), or untaints them if the replacement is
 * lost first (spot notice or termination) or cannot launch. Drift
 * (capacity.drift_at_s: the node class changes, e.g. a new AMI): a node
 * launched before such a time is drifted from then on; a drift command (one
 * node, before any consolidation, within the budget) is carried out like a
 * consolidation Delete or Replace (a Delete that the min_nodes floor
 * refuses becomes a Replace by the node's own type and capacity type, [U]
 * SIM_KARPENTER_FLOOR). [U] SIM_DRIFT_ALL_GROUPS: every NodePool
 * of the variant shares the node class, so every group drifts.
 *
 * Assumptions, named [U] here and in docs:
 * - [U] SIM_KARPENTER_BATCH: every batch simulates from scratch: all pending
 *   pods of the group are packed again, on ready nodes with room, then on
 *   in-flight nodes (launched, not yet schedulable) at their full capacity,
 *   then on new NodeClaims, so a later batch launches nothing for pods that
 *   fit the NodeClaims already in flight. (Counting the in-flight nodes as
 *   full of earlier pods and packing the same pending pods again would
 *   launch twice for the same pods.)
 * - [U] SIM_KARPENTER_OFFERINGS: every offering is available to kp; a spot
 *   launch that finds no capacity (spot.launch_fail_prob) falls back to
 *   on-demand or fails as sim_node_launch does, and the pods wait for the
 *   next batch (no cache of unavailable offerings). max_nodes stays a hard
 *   cap: launches past it fail and the pods wait.
 * - [U] SIM_SPOT_SHARE (spot.pct): 0 = a NodePool of on-demand only, 100 =
 *   spot only (spot-to-spot consolidation is off, as Karpenter's default);
 *   0 < pct < 100 keeps the pct share of the group's nodes on spot, the
 *   flagship's "70 % spot mix": the NodePool allows both capacity types,
 *   and the capacity type of each new NodeClaim is set by the largest-
 *   remainder rule over the group's nodes (sim_spot_next), the cheapest of
 *   the claim's fitting types for it; disruption sees two NodePools, one per
 *   capacity type, so a replacement keeps its candidates' capacity type (a
 *   NodePool allowing both would replace every on-demand node by a cheaper
 *   spot one). Real clusters get such a split from two NodePools and a
 *   topology spread over a capacity-spread label, which kp does not model.
 * - [U] SIM_KARPENTER_PENDING: while a group has pending pods only
 *   expiration runs (Karpenter's consolidation simulation schedules the
 *   pending pods too; kp_disrupt does not take them).
 * - [U] SIM_KARPENTER_INFLIGHT: nodes not yet schedulable are neither
 *   candidates nor destinations of a consolidation (Karpenter refuses a
 *   command whose pods would schedule onto an uninitialized node).
 * - [U] SIM_DO_NOT_DISRUPT: training pods carry karpenter.sh/do-not-disrupt,
 *   so a node with training pods is never a consolidation candidate (shown
 *   to kp with its last pod event in the future); an expired one is
 *   cordoned and terminates with its last pod (no terminationGracePeriod).
 * - [U] SIM_KARPENTER_FLOOR: consolidation never takes a group below its
 *   min_nodes (the scenario's floor; Karpenter has none); expiration does.
 * - [U] SIM_KARPENTER_STOPPING: replicas still finishing their requests
 *   count as pods of their node, also as pods to move (conservative).
 * - consolidateAfter counts from the last pod placed on or removed from the
 *   node, else from the moment it became schedulable.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/autoscale/karpenter.h"
#include "models/sim_internal.h"

_Static_assert(SIM_EXT_MAX == KP_EXT_MAX, "one extended resource per requested MIG profile");

#define KP_MAX_PODS_PER_NODE SIM_EKS_MAX_PODS
#define KP_PODS_CAP          (1u << 16)

/* What kp is shown: provisioning, or disruption of one or two NodePools. */
enum view {
    V_PROVISION = 0,
    V_DISRUPT = 1,      /* the group's NodePool */
    V_DISRUPT_OD = 2,   /* 0 < pct < 100: its on-demand nodes (spot ones are bystanders) */
    V_DISRUPT_SPOT = 3, /* ... its spot nodes */
};

struct karp_group {
    bool on;
    struct kp kp;
    bool kp_open;
    struct kp_batcher batch;
    struct kp_type types[SIM_TYPES_MAX];
};

struct sim_karp {
    struct karp_group g[G_MAX];
    int64_t period_us; /* the disruption loop's */
    /* scratch of one call */
    struct kp_node *nodes;
    uint32_t cap_nodes;
    uint32_t *node_run; /* kp node -> run node */
    uint32_t cap_node_run;
    int32_t *kp_of; /* run node -> kp node, -1 if not shown */
    uint32_t cap_kp_of;
    uint32_t *fill; /* per kp node: pods written */
    uint32_t cap_fill;
    struct kp_pod *pods, *pending;
    uint32_t cap_pods, cap_pending;
    struct kp_claim *claims;
    uint32_t cap_claims;
};

bool sim_karpenter_on(const struct run *r)
{
    return !r->ecs && !sim_ca_on(r);
}

bool sim_spot_next(int pct, uint32_t total, uint32_t spot)
{
    if (pct <= 0)
        return false;
    if (pct >= 100)
        return true;
    return (double)(spot + 1) <= (double)(total + 1) * pct / 100.0 + 0.5;
}

/* ------------------------------------------------------------------------ */
/* What kp sees                                                               */

/* GPU units per GPU of group g's type ti (MIG mixed: 1, the GPUs
 * themselves; the instances are extended resources). */
static int32_t type_upg(const struct group *g, unsigned ti)
{
    uint16_t u = g->c.pools[g->tpool[ti]].units_per_gpu;
    return u && !g->next ? u : 1;
}

/* Group gi's instance types with their prices now. */
static void types_now(struct run *r, int gi, int64_t now)
{
    const struct group *g = &r->grp[gi];
    struct kp_type *kt = r->karp->g[gi].types;
    for (unsigned ti = 0; ti < g->ntypes; ti++) {
        const struct catalog_instance *t = g->types[ti];
        kt[ti] = (struct kp_type){
            .cpu_milli = sim_alloc_cpu_milli(t), /* [U] SIM_ALLOCATABLE */
            .mem_mib = sim_alloc_mem_mib(t),
            .gpus = t->gpus,
            .gpu_units_per_gpu = type_upg(g, ti),
            .max_pods = KP_MAX_PODS_PER_NODE,
            .od_price = t->price_usd_per_hour,
            .spot_price = spot_price_at(&r->market.pools[g->tmarket[ti]].price, now),
            .od_available = true, /* [U] SIM_KARPENTER_OFFERINGS */
            .spot_available = true,
        };
        int64_t ext[SIM_EXT_MAX];
        sim_type_ext(g, ti, 0, ext);
        for (unsigned k = 0; k < SIM_EXT_MAX; k++)
            kt[ti].ext[k] = (int32_t)ext[k];
    }
}

/* Group gi's NodePool from the variant's capacity and spot settings. */
static void pool_of(const struct run *r, int gi, struct kp_pool *p)
{
    const struct group *g = &r->grp[gi];
    const struct scenario_capacity *cap = &r->v->capacity;
    kp_pool_defaults(p);
    p->allow_on_demand = g->spot->pct < 100;
    p->allow_spot = g->spot->pct > 0;
    p->types = g->ntypes >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << g->ntypes) - 1;
    p->policy = cap->consolidation_policy == SCENARIO_CONSOLIDATE_EMPTY
                    ? KP_WHEN_EMPTY
                    : KP_WHEN_EMPTY_OR_UNDERUTILIZED;
    p->consolidate_after_us = cap->consolidate_after_us;
    p->expire_after_us = cap->expire_after_us > 0 ? cap->expire_after_us : KP_NEVER;
    p->nbudgets = 1;
    p->budgets[0] = (struct kp_budget){.percent = true, .value = cap->budget_pct};
    p->limit_gpu = cap->limits_gpus > 0 ? (int64_t)cap->limits_gpus * type_upg(g, 0) : -1;
}

/* The request of a replica of service sv (MIG mixed: no nvidia.com/gpu,
 * one extended resource per requested profile). */
static struct kp_res replica_req(const struct service *sv)
{
    struct kp_res q = {.cpu_milli = sv->req.cpu_milli, .mem_mib = sv->req.mem_mib};
    int k = sv->ext;
    if (k >= 0)
        q.ext[k] = sv->req.gpu.count;
    else
        q.gpu = sv->req.gpu.count;
    return q;
}

/* The request of a training pod of job j. */
static struct kp_res train_pod_req(const struct run *r, const struct job *j)
{
    const struct scenario_training *tr = &r->sc->workload.training;
    return (struct kp_res){
        .cpu_milli = llround(tr->cpu_per_gpu * j->gpus_per_pod * 1000),
        .mem_mib = llround(tr->memory_gib_per_gpu * j->gpus_per_pod * 1024),
        .gpu = j->gpus_per_pod,
    };
}

/* Calls fn(r, arg, node, pod) for every pod on a node of group gi: the
 * placed replicas (starting, running or stopping) or training pods. */
static int each_pod(struct run *r, int gi,
                    int (*fn)(struct run *r, uint32_t node, const struct kp_pod *pod))
{
    int rc;
    if (gi != G_TRAIN) {
        for (uint32_t i = 0; i < r->ntasks; i++) {
            const struct task *t = &r->tasks[i];
            const struct service *sv = &r->svcs[t->s];
            if (sv->gi != gi || t->node == NO_IDX ||
                (t->state != T_STARTING && t->state != T_RUNNING && t->state != T_STOPPING))
                continue;
            struct kp_pod pod = {.req = replica_req(sv)};
            if ((rc = fn(r, t->node, &pod)))
                return rc;
        }
        return OS_OK;
    }
    for (uint32_t id = 0; r->book_open && id < r->book.njobs; id++) {
        const struct job *j = &r->jobs[id];
        if (!j->placed)
            continue;
        struct kp_pod pod = {.req = train_pod_req(r, j), .priority = j->prio};
        for (uint32_t k = 0; k < j->pods; k++)
            if ((rc = fn(r, r->job_node[j->pl0 + k], &pod)))
                return rc;
    }
    return OS_OK;
}

static int count_pod(struct run *r, uint32_t node, const struct kp_pod *pod)
{
    (void)pod;
    int32_t k = r->karp->kp_of[node];
    if (k >= 0)
        r->karp->nodes[k].npods++;
    return OS_OK;
}

static int put_pod(struct run *r, uint32_t node, const struct kp_pod *pod)
{
    struct sim_karp *s = r->karp;
    int32_t k = s->kp_of[node];
    if (k >= 0)
        s->pods[s->nodes[k].pod_first + s->fill[k]++] = *pod;
    return OS_OK;
}

/* Builds group gi's nodes and their pods, as `view` shows them, into cl
 * (pools[0] the group's NodePool; pools[1] the bystanders' in the split
 * disruption views). */
static int build(struct run *r, int gi, enum view view, struct kp_cluster *cl,
                 struct kp_pool pools[2])
{
    struct sim_karp *s = r->karp;
    const struct group *g = &r->grp[gi];
    int64_t now = engine_now(&r->e);
    int rc;
    types_now(r, gi, now);
    pool_of(r, gi, &pools[0]);
    uint32_t npools = 1;
    if (view == V_DISRUPT_OD || view == V_DISRUPT_SPOT) {
        bool spot = view == V_DISRUPT_SPOT;
        pools[0].allow_spot = spot;
        pools[0].allow_on_demand = !spot;
        /* the other capacity type's nodes: destinations only */
        kp_pool_defaults(&pools[1]);
        pools[1].types = 0;
        pools[1].consolidate_after_us = KP_NEVER;
        pools[1].expire_after_us = KP_NEVER;
        pools[1].budgets[0] = (struct kp_budget){.percent = false, .value = 0}; /* nor drift */
        npools = 2;
    }
    if ((rc = sim_grow((void **)&s->kp_of, &s->cap_kp_of, sizeof *s->kp_of, r->nnodes, &r->err)))
        return rc;
    uint32_t n = 0;
    int64_t bystander_gpu = 0;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *nd = &r->nodes[i];
        s->kp_of[i] = -1;
        if (nd->g != gi || nd->state == N_GONE)
            continue;
        if ((rc = sim_grow((void **)&s->nodes, &s->cap_nodes, sizeof *s->nodes, n + 1, &r->err)) ||
            (rc = sim_grow((void **)&s->node_run, &s->cap_node_run, sizeof *s->node_run, n + 1,
                           &r->err)) ||
            (rc = sim_grow((void **)&s->fill, &s->cap_fill, sizeof *s->fill, n + 1, &r->err)))
            return rc;
        bool ready = nd->state == N_READY || nd->state == N_DRAINING;
        bool in_flight = nd->state == N_PROVISIONING || nd->state == N_REGISTERING;
        struct kp_node *kn = &s->nodes[n];
        *kn = (struct kp_node){
            .pool = 0,
            .type = nd->ti,
            .capacity = nd->spot ? KP_SPOT : KP_ON_DEMAND,
            .created_us = nd->launch_us,
            /* [U] SIM_MIG_NO_DISRUPT: not a candidate while repartitioning */
            .last_pod_event_us = sim_mig_node_held(r, i) ? INT64_MAX : nd->pod_event_us,
            .initialized = ready,
            .ready = ready,
            /* [U] SIM_KARPENTER_INFLIGHT: in flight, a destination only when provisioning */
            .deleting = nd->state == N_DRAINING || (in_flight && view != V_PROVISION),
        };
        /* drifted: launched before a node class change that has happened */
        for (unsigned k = 0; k < r->v->capacity.ndrifts; k++) {
            int64_t at = sim_secs(r->v->capacity.drift_at_s[k]);
            if (nd->launch_us < at && at <= engine_now(&r->e) &&
                (!kn->drifted || at < kn->drifted_us)) {
                kn->drifted = true;
                kn->drifted_us = at;
            }
        }
        if (g->next) { /* MIG mixed: the instances of its GPUs' current layouts */
            int64_t cap[SIM_EXT_MAX], fr[SIM_EXT_MAX];
            sim_node_ext(r, i, cap, fr);
            kn->own_ext = true;
            for (unsigned k = 0; k < SIM_EXT_MAX; k++)
                kn->ext[k] = (int32_t)cap[k];
        }
        if (npools == 2 && nd->spot != (view == V_DISRUPT_SPOT)) {
            kn->pool = 1;
            bystander_gpu +=
                (int64_t)s->g[gi].types[nd->ti].gpus * s->g[gi].types[nd->ti].gpu_units_per_gpu;
        }
        /* [U] SIM_DO_NOT_DISRUPT */
        if (gi == G_TRAIN && nd->tasks)
            kn->last_pod_event_us = INT64_MAX;
        s->node_run[n] = i;
        s->kp_of[i] = (int32_t)n;
        s->fill[n] = 0;
        n++;
    }
    /* the NodePool's limit counts the whole group */
    if (npools == 2 && pools[0].limit_gpu >= 0)
        pools[0].limit_gpu =
            pools[0].limit_gpu > bystander_gpu ? pools[0].limit_gpu - bystander_gpu : 0;
    if ((rc = each_pod(r, gi, count_pod)))
        return rc;
    uint32_t np = 0;
    for (uint32_t k = 0; k < n; k++) {
        s->nodes[k].pod_first = np;
        np += s->nodes[k].npods;
    }
    if (np > s->g[gi].kp.cfg.max_pods)
        return os_errorf(&r->err, OS_EFULL, "karpenter: %u pods on the nodes of group %d exceed %u",
                         np, gi, s->g[gi].kp.cfg.max_pods);
    if ((rc = sim_grow((void **)&s->pods, &s->cap_pods, sizeof *s->pods, np ? np : 1, &r->err)) ||
        (rc = each_pod(r, gi, put_pod)))
        return rc;
    *cl = (struct kp_cluster){
        .types = s->g[gi].types,
        .ntypes = g->ntypes,
        .pools = pools,
        .npools = npools,
        .nodes = s->nodes,
        .nnodes = n,
        .pods = s->pods,
        .npods = np,
    };
    return OS_OK;
}

/* Appends one pending pod. */
static int push_pending(struct run *r, uint32_t *n, struct kp_pod pod)
{
    struct sim_karp *s = r->karp;
    int rc = sim_grow((void **)&s->pending, &s->cap_pending, sizeof *s->pending, *n + 1, &r->err);
    if (rc)
        return rc;
    s->pending[(*n)++] = pod;
    return OS_OK;
}

/* Group gi's pending pods, in queue order, at most `cap`. */
static int pending_pods(struct run *r, int gi, uint32_t cap, uint32_t *out)
{
    uint32_t n = 0;
    int rc;
    if (gi != G_TRAIN) {
        for (uint32_t i = 0; i < r->ntasks && n < cap; i++) {
            const struct task *t = &r->tasks[i];
            const struct service *sv = &r->svcs[t->s];
            if (t->state != T_PENDING || sv->gi != gi)
                continue;
            struct kp_pod pod = {.req = replica_req(sv)};
            if ((rc = push_pending(r, &n, pod)))
                return rc;
        }
    } else {
        for (uint32_t id = 0; r->book_open && id < r->book.njobs; id++) {
            const struct job *j = &r->jobs[id];
            if (j->placed || training_job(&r->book, id)->state != TRAINING_PENDING)
                continue;
            struct kp_pod pod = {.req = train_pod_req(r, j), .priority = j->prio};
            for (uint32_t k = 0; k < j->pods && n < cap; k++)
                if ((rc = push_pending(r, &n, pod)))
                    return rc;
        }
    }
    *out = n;
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* Provisioning                                                               */

/* The cheapest type of mask with an offering of the capacity type, or -1. */
static int cheapest(const struct kp_type *types, unsigned n, uint64_t mask, bool spot)
{
    int best = -1;
    double bp = INFINITY;
    for (unsigned t = 0; t < n; t++) {
        if (!(mask >> t & 1) || !(spot ? types[t].spot_available : types[t].od_available))
            continue;
        double p = spot ? types[t].spot_price : types[t].od_price;
        if (p < bp) {
            bp = p;
            best = (int)t;
        }
    }
    return best;
}

/* Launches claims[0 .. n) of group gi; [U] SIM_SPOT_SHARE sets the capacity
 * type of each when the group mixes them. Stops at the first launch that
 * fails (max_nodes, no spot capacity): the rest wait for the next batch. */
static int launch_claims(struct run *r, int gi, const struct kp_claim *claims, uint32_t n,
                         bool ready)
{
    const struct group *g = &r->grp[gi];
    const struct kp_type *kt = r->karp->g[gi].types;
    int pct = g->spot->pct;
    uint32_t total = 0, nspot = 0;
    for (uint32_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i].g == gi && r->nodes[i].state != N_GONE) {
            total++;
            nspot += r->nodes[i].spot;
        }
    for (uint32_t c = 0; c < n; c++) {
        struct kp_claim cl = claims[c];
        if (cl.type < 0)
            continue;
        if (pct > 0 && pct < 100) {
            bool want = sim_spot_next(pct, total, nspot);
            int t = cheapest(kt, g->ntypes, cl.options, want);
            if (want != (cl.capacity == KP_SPOT) && t >= 0) {
                cl.type = t;
                cl.capacity = want ? KP_SPOT : KP_ON_DEMAND;
            }
        }
        uint32_t ni;
        int rc =
            sim_node_launch_type(r, gi, (unsigned)cl.type, cl.capacity == KP_SPOT, 0, ready, &ni);
        if (rc == OS_EFULL || rc == OS_ENOFIT)
            return OS_OK; /* retried at the next batch */
        if (rc)
            return rc;
        total++;
        nspot += r->nodes[ni].spot;
    }
    return OS_OK;
}

/* One provisioning pass of group gi: kp_provision on its pending pods, then
 * the launches (ready nodes at the warm start). */
static int provision(struct run *r, int gi, bool ready)
{
    struct sim_karp *s = r->karp;
    struct karp_group *kg = &s->g[gi];
    struct kp_cluster cl;
    struct kp_pool pools[2];
    int rc = build(r, gi, V_PROVISION, &cl, pools);
    if (rc)
        return rc;
    uint32_t np;
    if ((rc = pending_pods(r, gi, kg->kp.cap_claims, &np)))
        return rc;
    if (!np)
        return OS_OK;
    if ((rc = sim_grow((void **)&s->claims, &s->cap_claims, sizeof *s->claims, np, &r->err)))
        return rc;
    struct kp_prov_result out;
    rc = kp_provision(&kg->kp, &cl, s->pending, np, NULL, s->claims, np, &out);
    if (rc)
        return os_errorf(&r->err, rc, "karpenter: provisioning refused its input (%s)",
                         rc == OS_EFULL ? "above its capacities" : "bad index");
    return launch_claims(r, gi, s->claims, out.nclaims, ready);
}

static void ev_batch(struct engine *e, void *ctx, uint64_t arg)
{
    struct run *r = ctx;
    int gi = (int)arg;
    struct kp_batcher *b = &r->karp->g[gi].batch;
    int64_t now = engine_now(e);
    if (!kp_batcher_ready(b, now)) {
        CHECK(r, engine_schedule(e, kp_batcher_deadline(b), ev_batch, r, arg, NULL, &r->err));
        return;
    }
    if (gi == G_TRAIN) {
        train_try_place(r);
    } else {
        uint32_t left[G_MAX] = {0};
        sim_try_place(r, left);
    }
    CHECK(r, provision(r, gi, false));
    sim_gauges_update(r);
}

void sim_karpenter_note(struct run *r, int gi)
{
    if (!r->karp || !r->karp->g[gi].on)
        return; /* ECS, or the Cluster Autoscaler finds pending pods on its scan */
    struct kp_batcher *b = &r->karp->g[gi].batch;
    bool open = b->open;
    kp_batcher_trigger(b, engine_now(&r->e));
    if (!open)
        CHECK(r, engine_schedule(&r->e, kp_batcher_deadline(b), ev_batch, r, (uint64_t)gi, NULL,
                                 &r->err));
}

int sim_karpenter_warm(struct run *r, int gi, struct os_error *err)
{
    struct group *g = &r->grp[gi];
    struct sim_karp *s = r->karp;
    struct kp_cluster cl;
    struct kp_pool pools[2];
    int rc = build(r, gi, V_PROVISION, &cl, pools);
    uint32_t np = 0;
    /* each service's initial replicas, in service order */
    for (unsigned si = 0; !rc && si < r->nsvcs; si++) {
        const struct service *sv = &r->svcs[si];
        struct kp_pod pod = {.req = replica_req(sv)};
        for (int32_t k = 0; !rc && sv->gi == gi && k < sv->desired && np < s->g[gi].kp.cap_claims;
             k++)
            rc = push_pending(r, &np, pod);
    }
    if (!rc && np &&
        !(rc = sim_grow((void **)&s->claims, &s->cap_claims, sizeof *s->claims, np, &r->err))) {
        struct kp_prov_result out;
        rc = kp_provision(&s->g[gi].kp, &cl, s->pending, np, NULL, s->claims, np, &out);
        if (!rc)
            rc = launch_claims(r, gi, s->claims, out.nclaims, true);
    }
    /* the group's floor, of types[0] */
    uint32_t total = 0, nspot = 0;
    for (uint32_t i = 0; !rc && i < r->nnodes; i++)
        if (r->nodes[i].g == gi && r->nodes[i].state != N_GONE) {
            total++;
            nspot += r->nodes[i].spot;
        }
    while (!rc && total < (uint32_t)g->min_nodes) {
        rc = sim_node_launch(r, gi, sim_spot_next(g->spot->pct, total, nspot), 0, true, NULL);
        if (rc == OS_EFULL || rc == OS_ENOFIT) {
            rc = OS_OK;
            break;
        }
        nspot += !rc && r->nodes[r->nnodes - 1].spot;
        total++;
    }
    if (rc)
        return os_errorf(err, rc, "%s", r->err.msg[0] ? r->err.msg : "karpenter: warm start");
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* Disruption                                                                 */

/* Node ni is a candidate waiting for replacement rep: tainted, still
 * running its pods. */
static void cordon_for(struct run *r, uint32_t ni, uint32_t rep)
{
    struct node *n = &r->nodes[ni];
    CHECK(r, cluster_set_state(&r->grp[n->g].c, n->cid, CLUSTER_NODE_DRAINING, &r->err));
    n->state = N_DRAINING;
    n->replaced_by = rep;
}

void sim_karpenter_replacement_ready(struct run *r, uint32_t ni)
{
    r->nodes[ni].awaited = false;
    bool evicted = false;
    for (uint32_t i = 0; i < r->nnodes && !r->status; i++) {
        struct node *n = &r->nodes[i];
        if (n->replaced_by != ni)
            continue;
        n->replaced_by = NO_IDX;
        if (n->state == N_DRAINING && !n->noticed && !n->evicting)
            evicted |= sim_drain_node(r, i);
    }
    if (evicted)
        sim_reconcile(r, -1);
}

static void ev_place(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    sim_place_pending(ctx);
}

void sim_karpenter_replacement_lost(struct run *r, uint32_t ni)
{
    r->nodes[ni].awaited = false;
    for (uint32_t i = 0; i < r->nnodes && !r->status; i++) {
        struct node *n = &r->nodes[i];
        if (n->replaced_by != ni)
            continue;
        n->replaced_by = NO_IDX;
        if (n->state == N_DRAINING && !n->noticed && !n->evicting) {
            CHECK(r, cluster_set_state(&r->grp[n->g].c, n->cid, CLUSTER_NODE_READY, &r->err));
            r->grp[n->g].epoch++; /* untainted: schedulable again */
            n->state = N_READY;
        }
    }
    /* (later in this instant: the caller may be ending a node) */
    CHECK(r, engine_after(&r->e, 0, ev_place, r, 0, NULL, &r->err));
}

/* Applies a consolidation command of group gi (candidates as run node
 * indices). Returns true if replicas were evicted. */
static bool apply_command(struct run *r, int gi, struct kp_decision *d)
{
    const struct group *g = &r->grp[gi];
    /* [U] SIM_KARPENTER_FLOOR */
    uint32_t staying = g->live; /* nodes not already being emptied */
    for (uint32_t i = 0; i < r->nnodes; i++)
        staying -= r->nodes[i].g == gi && r->nodes[i].state == N_DRAINING && r->nodes[i].evicting;
    uint32_t removable = staying > (uint32_t)g->min_nodes ? staying - (uint32_t)g->min_nodes : 0;
    bool evicted = false;
    if (d->method == KP_METHOD_EMPTY) {
        for (uint32_t k = 0; k < d->ncandidates && k < removable && !r->status; k++)
            if (r->nodes[d->candidates[k]].tasks == 0)
                sim_node_terminate(r, d->candidates[k], COST_END_TERMINATED);
        return false;
    }
    if (d->method == KP_METHOD_DRIFT && !d->replace && removable < 1) {
        /* [U] SIM_KARPENTER_FLOOR: a drifted node the floor keeps is
         * replaced by a new node of its own type and capacity type */
        const struct node *n = &r->nodes[d->candidates[0]];
        d->replace = true;
        d->replacement =
            (struct kp_claim){.type = n->ti, .capacity = n->spot ? KP_SPOT : KP_ON_DEMAND};
    }
    if (d->ncandidates - (d->replace ? 1 : 0) > removable)
        return false;
    if (!d->replace) {
        for (uint32_t k = 0; k < d->ncandidates && !r->status; k++)
            evicted |= sim_drain_node(r, d->candidates[k]);
        r->drift_disruptions += d->method == KP_METHOD_DRIFT;
        return evicted;
    }
    uint32_t rep;
    const struct kp_claim *c = &d->replacement;
    int rc = sim_node_launch_type(r, gi, (unsigned)c->type, c->capacity == KP_SPOT, 0, false, &rep);
    if (rc == OS_EFULL || rc == OS_ENOFIT)
        return false; /* the command fails; candidates keep running */
    CHECK_FALSE(r, rc);
    r->nodes[rep].awaited = true;
    r->drift_disruptions += d->method == KP_METHOD_DRIFT;
    for (uint32_t k = 0; k < d->ncandidates && !r->status; k++)
        cordon_for(r, d->candidates[k], rep);
    return false;
}

/* Group gi's pods waiting for a node. */
static uint32_t group_pending(const struct run *r, int gi)
{
    if (gi == G_TRAIN)
        return train_pending_pods(r);
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->ntasks; i++)
        n += r->tasks[i].state == T_PENDING && r->svcs[r->tasks[i].s].gi == gi;
    return n;
}

/* kp_disrupt on group gi as `view` shows it: drains the expired nodes
 * (forceful: no budget, no floor) and returns the consolidation command in
 * *d with its candidates as run node indices and their disruption cost. */
static int evaluate(struct run *r, int gi, enum view view, int64_t now, struct kp_decision *d,
                    double *cost, bool *evicted)
{
    struct sim_karp *s = r->karp;
    struct kp_cluster cl;
    struct kp_pool pools[2];
    int rc = build(r, gi, view, &cl, pools);
    if (rc)
        return rc;
    if ((rc = kp_disrupt(&s->g[gi].kp, now, &cl, d)))
        return os_errorf(&r->err, rc, "karpenter: disruption refused its input (%s)",
                         rc == OS_EFULL ? "above its capacities" : "bad index");
    *cost = 0;
    for (uint32_t k = 0; k < d->ncandidates; k++) {
        *cost += kp_disruption_cost(&cl, d->candidates[k], now);
        d->candidates[k] = s->node_run[d->candidates[k]];
    }
    for (uint32_t k = 0; k < d->nexpired; k++)
        d->expired[k] = s->node_run[d->expired[k]];
    for (uint32_t k = 0; k < d->nexpired && !r->status; k++)
        *evicted |= sim_drain_node(r, d->expired[k]);
    return OS_OK;
}

/* One disruption pass of group gi. With both capacity types ([U]
 * SIM_SPOT_SHARE) each NodePool is evaluated and one command runs, as
 * Karpenter's loop does: the earlier method (emptiness, multi-node,
 * single-node), then the cheaper candidates to disrupt (the on-demand
 * NodePool on a tie); the empty nodes of both go together. A pass that
 * expired nodes, or finds pending pods ([U] SIM_KARPENTER_PENDING), runs no
 * consolidation. */
static void disrupt_group(struct run *r, int gi, int64_t now)
{
    int pct = r->grp[gi].spot->pct;
    enum view views[2] = {V_DISRUPT, V_DISRUPT};
    unsigned nviews = 1;
    if (pct > 0 && pct < 100) {
        views[0] = V_DISRUPT_OD;
        views[1] = V_DISRUPT_SPOT;
        nviews = 2;
    }
    struct kp_decision d[2];
    double cost[2] = {0, 0};
    bool evicted = false, expired = false;
    for (unsigned v = 0; v < nviews && !r->status; v++) {
        int rc = evaluate(r, gi, views[v], now, &d[v], &cost[v], &evicted);
        if (rc) {
            sim_fail(r, rc);
            return;
        }
        expired = expired || d[v].nexpired > 0;
    }
    if (!expired && !r->status && !group_pending(r, gi)) {
        int best = -1;
        for (unsigned v = 0; v < nviews; v++) {
            if (d[v].method == KP_METHOD_NONE)
                continue;
            if (best < 0 || d[v].method < d[best].method ||
                (d[v].method == d[best].method && cost[v] < cost[best]))
                best = (int)v;
        }
        for (unsigned v = 0; v < nviews && best >= 0 && !r->status; v++)
            if ((int)v == best ||
                (d[v].method == KP_METHOD_EMPTY && d[best].method == KP_METHOD_EMPTY))
                evicted |= apply_command(r, gi, &d[v]);
    }
    if (evicted && !r->status)
        sim_reconcile(r, -1);
}

static void ev_disrupt(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    for (int gi = 0; gi < G_MAX && !r->status; gi++)
        if (r->karp->g[gi].on)
            disrupt_group(r, gi, now);
    if (r->status)
        return;
    sim_gauges_update(r);
    CHECK(r, engine_after(e, r->karp->period_us, ev_disrupt, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                     */

/* Pods kp may have to hold at once for group gi: its nodes full (of replicas,
 * or of 1-GPU training pods), the services at twice their maximum (rolling
 * deployments, replaced replicas) and, for training, a queue of 4096 pods
 * (a longer queue's tail waits a batch). */
static uint32_t pods_cap(const struct run *r, int gi)
{
    const struct group *g = &r->grp[gi];
    uint32_t per = 1;
    for (unsigned ti = 0; ti < g->ntypes; ti++)
        per = g->tper_node[ti] > per ? g->tper_node[ti] : per;
    per = per < KP_MAX_PODS_PER_NODE ? per : KP_MAX_PODS_PER_NODE;
    uint64_t n = (uint64_t)g->c.cap_nodes * per + 64;
    for (unsigned si = 0; si < r->nsvcs; si++)
        if (r->svcs[si].gi == gi)
            n += 2 * (uint64_t)r->svcs[si].inf->max_replicas;
    if (gi == G_TRAIN)
        n += 4096;
    return n > KP_PODS_CAP ? KP_PODS_CAP : (uint32_t)n;
}

int sim_karpenter_setup(struct run *r, struct os_error *err)
{
    if (!sim_karpenter_on(r))
        return OS_OK;
    r->karp = calloc(1, sizeof *r->karp);
    if (!r->karp)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    const struct scenario_capacity *cap = &r->v->capacity;
    struct kp_cfg dc;
    kp_cfg_defaults(&dc);
    r->karp->period_us = dc.disrupt_period_us;
    for (int gi = 0; gi < G_MAX; gi++) {
        const struct group *g = &r->grp[gi];
        struct karp_group *kg = &r->karp->g[gi];
        if (!g->on || g->fargate)
            continue;
        struct kp_cfg kc;
        kp_cfg_defaults(&kc);
        kc.batch_idle_us = cap->batch_idle_us;
        kc.batch_max_us = cap->batch_max_us; /* >= batch_idle_us (sim/scenario.c) */
        kc.max_nodes = g->c.cap_nodes;
        kc.max_pods = pods_cap(r, gi);
        kc.disrupt_period_us = 0; /* the cadence is ev_disrupt's (every view evaluates) */
        int rc = kp_init(&kg->kp, &kc, err);
        if (rc)
            return rc;
        kg->kp_open = true;
        kp_batcher_init(&kg->batch, cap->batch_idle_us, cap->batch_max_us);
        kg->on = true;
    }
    return OS_OK;
}

int sim_karpenter_start(struct run *r, struct os_error *err)
{
    if (!r->karp)
        return OS_OK;
    return engine_after(&r->e, r->karp->period_us, ev_disrupt, r, 0, NULL, err);
}

void sim_karpenter_teardown(struct run *r)
{
    struct sim_karp *s = r->karp;
    if (!s)
        return;
    for (int gi = 0; gi < G_MAX; gi++)
        if (s->g[gi].kp_open)
            kp_destroy(&s->g[gi].kp);
    free(s->nodes);
    free(s->node_run);
    free(s->kp_of);
    free(s->fill);
    free(s->pods);
    free(s->pending);
    free(s->claims);
    free(s);
    r->karp = NULL;
}
