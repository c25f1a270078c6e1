/*
 * sim.c - one variant of a "simulation" scenario in simulated time (see sim.h).
 *
 * Event loop pieces, all engine events with this run as context:
 *   node ready        provisioning -> Ready after boot, then GPUs registered
 *                     after the device plugin / ECS agent delay: schedulable
 *   task running      a placed replica finished its image pull (first pull on
 *                     its node only) and model load: it joins the service
 *   service tick      ECS: every 60 s, one datapoint of the 1-minute metric to
 *                     target tracking; EKS: the HPA sync every 15 s on the
 *                     metric's last 60 s
 *   capacity tick     ECS: every 60 s (at :30), capacity provider managed
 *                     scaling; EKS: Karpenter's disruption loop every 10 s
 *   karpenter batch   the provisioning batch window closes
 *   spot notice/term  2-minute notice (replacements start), then termination
 *   sample            a timeseries.csv row
 *
 * Assumptions, named [U] here and in docs:
 * - [U] SIM_WARM_START: the run starts from the initial replica count
 *   running on ready nodes with the image cached (a service in steady state),
 *   not from an empty account.
 * - [U] SIM_ALLOCATABLE: a node's allocatable CPU is its vCPUs minus 0.1 vCPU
 *   and its memory 90 % of RAM (agent, kubelet and OS reservations).
 * - [U] SIM_ONE_ZONE: every node is in one availability zone.
 * - [U] SIM_TIMESLICE_SPEED: k replicas placed on one time-sliced GPU each get
 *   1/k of it times (1 - timeslice_overhead) when k > 1, whether busy or not.
 * - [U] SIM_STOP_ORDER: scale-in stops pending tasks first, then starting
 *   ones (newest first), then running ones on the node with the fewest tasks
 *   (ECS binpack's "most remaining after" and the ReplicaSet's preference for
 *   pods on crowded nodes both reduce to this with one task shape).
 * - [U] SIM_KARPENTER_TYPE: the variant fixes the NodePool's instance type,
 *   so "cheapest type that fits" is that type; the capacity type of each new
 *   NodeClaim keeps the spot share of the pool at spot.pct (largest
 *   remainder over node counts); consolidation deletes empty nodes and
 *   underutilised nodes whose pods fit in the free capacity of the others
 *   (single-node Delete; Replace needs a cheaper type, which a one-type pool
 *   lacks).
 * - [U] SIM_ECS_SPOT_CP: with 0 < spot.pct < 100 ECS uses two capacity
 *   providers, on-demand (weight 100 - pct) and spot (weight pct), base 0;
 *   each task is bound to the provider the strategy picks when it is created
 *   and can only run on that provider's instances.
 */
#include "models/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "models/autoscale/ecs_capacity.h"
#include "models/autoscale/ecs_service.h"
#include "models/autoscale/hpa.h"
#include "models/cluster.h"
#include "models/cost.h"
#include "models/gpu.h"
#include "models/placement/placement.h"
#include "models/spot.h"
#include "models/workload/arrivals.h"
#include "models/workload/inference.h"
#include "sim/engine.h"
#include "sim/metrics.h"
#include "sim/rng.h"

#define US       INT64_C(1000000)
#define MINUTE   (60 * US)
#define NO_IDX   UINT32_MAX
#define HPA_RING 4 /* 15-s marks: the HPA reads the last 60 s */

enum node_state { N_PROVISIONING, N_REGISTERING, N_READY, N_DRAINING, N_GONE };
enum task_state { T_PENDING, T_STARTING, T_RUNNING, T_STOPPING, T_DONE };

struct node {
    uint32_t cid; /* cluster node id */
    uint8_t state;
    bool spot;
    bool cached; /* image pulled on this node */
    bool evicting;
    int cp; /* ECS capacity provider (0 on-demand, 1 spot) */
    int64_t launch_us, ready_us, empty_since;
    uint32_t tasks;     /* tasks placed (starting, running, stopping) */
    uint32_t nominated; /* Karpenter: pending pods counted against it while in flight */
    cost_handle cost;
    double alloc_gpu_s, used_gpu_s;
    uint64_t ev, ev2;
};

struct task {
    uint8_t state;
    bool doomed; /* replaced: not counted against desired, stops at its node's end */
    int cp;
    uint32_t node; /* index into nodes, NO_IDX when not placed */
    uint32_t replica;
    int64_t created_us, placed_us, running_us;
    struct placement pl;
    double gpu_frac; /* physical GPUs allocated (whole 1 per GPU, MIG g/7, shared 1/R) */
    uint64_t ev;
};

struct run {
    const struct scenario *sc;
    const struct scenario_variant *v;
    const struct scenario_inference *inf;
    const struct catalog_instance *type;
    double rel_speed;
    bool ecs;
    uint64_t seed;
    struct os_error err;
    int status;

    struct engine e;
    struct cluster c;
    struct placer placer;
    struct rng rng_nodes, rng_tasks, rng_place;
    struct pod_req req;
    struct ecs_expr cp_expr[2];
    struct ecs_constraint cp_cons[2];
    uint16_t pool;

    struct node *nodes;
    uint32_t nnodes, cap_nodes;
    struct task *tasks;
    uint32_t ntasks, cap_tasks;
    uint32_t *replica_task; /* replica id -> task index */
    uint32_t cap_replicas;
    uint32_t per_node; /* replicas an empty node holds */
    uint32_t *node_of; /* cluster node id -> index into nodes (the live node in that slot) */

    /* service */
    struct inference svc;
    struct arrivals arr;
    struct arrivals_tokens tokens;
    bool arr_open, tokens_open, svc_open;
    int32_t desired;
    struct ecs_service ecs_svc;
    struct hpa hpa;
    bool hpa_open;
    struct inference_window win;
    struct inference_window ring[HPA_RING];
    unsigned ring_n;

    /* capacity */
    struct ecs_capacity cpcap[2];
    int ncp;
    struct ecs_capacity_strategy strat;
    struct ecs_capacity_instance *inst_buf;
    uint32_t *inst_node, *term_buf;
    struct ecs_capacity_group groups[1];
    int64_t batch_start, batch_last;
    bool batch_open;

    /* spot and cost */
    struct spot_market market;
    bool market_open;
    struct cost_meter cost;
    bool cost_open;
    uint64_t interruptions;
    uint64_t launches;

    /* metrics */
    struct metrics_gauge g_nodes, g_gpus, g_alloc, g_pending;
    struct metrics_hist h_pending, h_start;
    bool hists_open;
    double frag_sum;
    uint64_t frag_n;
    double nodes_peak, gpus_peak;
    double used_gpu_s; /* busy share x GPU fraction, finished tasks */

    /* timeseries */
    bool want_series;
    FILE *series;
    char *series_buf;
    size_t series_len;
    struct inference_window sample_mark;
    int64_t sample_prev;
    double cost_accrued;
};

/* Records the first failure (its message is already in r->err) and stops. */
static void fail(struct run *r, int rc)
{
    if (!r->status)
        r->status = rc;
    engine_stop(&r->e);
}

#define CHECK(r, call)                                                                             \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != OS_OK) {                                                                        \
            fail(r, rc_);                                                                          \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static double uniform(struct rng *g, const double *range)
{
    return range[0] + (range[1] - range[0]) * gsl_rng_uniform(g->r);
}

static int64_t secs(double s)
{
    return (int64_t)llround(s * 1e6);
}

/* ------------------------------------------------------------------------ */
/* GPU shares and speeds                                                      */

static double task_gpu_frac(const struct run *r)
{
    switch (r->v->sharing) {
    case SCENARIO_SHARE_TIMESLICE:
    case SCENARIO_SHARE_MPS:
        return (double)r->inf->gpus / r->v->replicas_per_gpu;
    case SCENARIO_SHARE_MIG: {
        const struct cluster_pool *p = &r->c.pools[r->pool];
        size_t n;
        const struct gpu_mig_profile *pr = gpu_mig_profiles(p->gpu.mig_family, &n);
        return (double)r->inf->gpus * pr[p->gpu.mig_layout[0].profile].compute / 7.0;
    }
    default:
        return r->inf->gpus;
    }
}

/* Speed of a placed task now (MODELS.md section 8). */
static double task_speed(const struct run *r, const struct task *t)
{
    switch (r->v->sharing) {
    case SCENARIO_SHARE_TIMESLICE: {
        uint16_t k = gpu_tenants(&r->c, t->pl.gpu.part[0].gpu);
        double s = r->rel_speed / (k ? k : 1);
        return k > 1 ? s * (1 - r->v->timeslice_overhead) : s;
    }
    case SCENARIO_SHARE_MPS:
        return r->rel_speed / r->v->replicas_per_gpu;
    case SCENARIO_SHARE_MIG:
        return r->rel_speed * task_gpu_frac(r) / r->inf->gpus;
    default:
        return r->rel_speed;
    }
}

/* Time-slicing: tenants changed on a node; re-plan its running replicas. */
static void respeed_node(struct run *r, uint32_t ni)
{
    if (r->v->sharing != SCENARIO_SHARE_TIMESLICE)
        return;
    for (uint32_t i = 0; i < r->ntasks; i++) {
        struct task *t = &r->tasks[i];
        if (t->node == ni && (t->state == T_RUNNING || t->state == T_STOPPING) &&
            inference_replica_live(&r->svc, t->replica))
            if (inference_set_speed(&r->svc, t->replica, task_speed(r, t), &r->err) != OS_OK)
                fail(r, OS_EINVAL);
    }
}

/* ------------------------------------------------------------------------ */
/* Gauges                                                                     */

static void gauges_update(struct run *r)
{
    int64_t now = engine_now(&r->e);
    double nodes = 0, gpus = 0, alloc = 0, pending = 0;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *n = &r->nodes[i];
        if (n->state == N_GONE)
            continue;
        nodes++;
        if (n->state == N_READY || n->state == N_DRAINING)
            gpus += r->type->gpus;
    }
    for (uint32_t i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        if (t->state == T_PENDING)
            pending++;
        else if (t->state != T_DONE)
            alloc += t->gpu_frac;
    }
    metrics_gauge_set(&r->g_nodes, now, nodes);
    metrics_gauge_set(&r->g_gpus, now, gpus);
    metrics_gauge_set(&r->g_alloc, now, alloc);
    metrics_gauge_set(&r->g_pending, now, pending);
    if (nodes > r->nodes_peak)
        r->nodes_peak = nodes;
    if (gpus > r->gpus_peak)
        r->gpus_peak = gpus;
}

/* ------------------------------------------------------------------------ */
/* Storage                                                                    */

static int grow(void **p, uint32_t *cap, size_t elem, uint32_t need, struct os_error *err)
{
    if (need <= *cap)
        return OS_OK;
    uint32_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, (size_t)nc * elem);
    if (!q)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    *p = q;
    *cap = nc;
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* Nodes                                                                      */

static void ev_node_ready(struct engine *e, void *ctx, uint64_t arg);
static void ev_node_schedulable(struct engine *e, void *ctx, uint64_t arg);
static void ev_spot_notice(struct engine *e, void *ctx, uint64_t arg);
static void ev_spot_terminate(struct engine *e, void *ctx, uint64_t arg);
static void place_pending(struct run *r);
static void reconcile(struct run *r);

static uint32_t live_nodes(const struct run *r, int cp)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i].state != N_GONE && (cp < 0 || r->nodes[i].cp == cp))
            n++;
    return n;
}

/* Launches a node. ready: already schedulable (warm start). */
static int node_launch(struct run *r, bool spot, int cp, bool ready, uint32_t *out)
{
    if (live_nodes(r, -1) >= (uint32_t)r->v->max_nodes)
        return OS_EFULL;
    int rc = grow((void **)&r->nodes, &r->cap_nodes, sizeof *r->nodes, r->nnodes + 1, &r->err);
    if (rc)
        return rc;
    struct cluster_label labels[1] = {{"capacity-type", spot ? "spot" : "on-demand"}};
    struct cluster_node_spec spec = {
        .cpu_milli = r->type->vcpu * 1000 - 100,
        .mem_mib = (int32_t)(catalog_type_mem_mib(r->type) * 0.9),
        .gpu_count = (uint8_t)r->type->gpus,
        .gpu_model = (uint8_t)r->type->gpu_model,
        .pool = r->pool,
        .instance_type = -1,
        .instance_type_name = r->type->name,
        .zone = "us-east-1a",
        .max_pods = r->ecs ? 0 : 110,
        .state = ready ? CLUSTER_NODE_READY : CLUSTER_NODE_PROVISIONING,
        .labels = labels,
        .n_labels = 1,
    };
    uint32_t cid;
    rc = cluster_add_node(&r->c, &spec, &cid, &r->err);
    if (rc)
        return rc;
    int64_t now = engine_now(&r->e);
    uint32_t ni = r->nnodes++;
    r->node_of[cid] = ni; /* cluster_add_node reuses only GONE slots */
    struct node *n = &r->nodes[ni];
    memset(n, 0, sizeof *n);
    n->cid = cid;
    n->spot = spot;
    n->cp = cp;
    n->launch_us = now;
    n->empty_since = now;
    n->state = ready ? N_READY : N_PROVISIONING;
    n->cached = ready;
    struct cost_launch cl = {
        .lifecycle = spot ? COST_SPOT : COST_ON_DEMAND,
        .on_demand_usd_per_hour = r->type->price_usd_per_hour,
        .spot = spot ? &r->market.pools[0].price : NULL,
        .gpus = r->type->gpus,
        .launch_us = now,
    };
    rc = cost_instance_launch(&r->cost, &cl, &n->cost, &r->err);
    if (rc)
        return rc;
    r->launches++;
    if (!ready) {
        int64_t boot = secs(uniform(&r->rng_nodes, r->sc->cluster.nodes.boot_s));
        rc = engine_after(&r->e, boot, ev_node_ready, r, ni, &n->ev, &r->err);
        if (rc)
            return rc;
    } else {
        n->ready_us = now;
    }
    if (spot) {
        struct spot_interruption si;
        spot_sample_interruption(&r->market, 0, r->launches, now, &si);
        if (si.interrupted) {
            rc = engine_schedule(&r->e, si.notice_us, ev_spot_notice, r, ni, &n->ev2, &r->err);
            if (rc)
                return rc;
        }
    }
    if (out)
        *out = ni;
    gauges_update(r);
    return OS_OK;
}

static void ev_node_ready(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    struct node *n = &r->nodes[arg];
    n->state = N_REGISTERING;
    n->ready_us = engine_now(&r->e);
    int64_t reg = secs(uniform(&r->rng_nodes, r->sc->cluster.nodes.device_plugin_s));
    CHECK(r, engine_after(&r->e, reg, ev_node_schedulable, r, arg, &n->ev, &r->err));
}

static void ev_node_schedulable(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    struct node *n = &r->nodes[arg];
    n->ev = 0;
    n->state = N_READY;
    n->nominated = 0;
    n->empty_since = engine_now(&r->e);
    CHECK(r, cluster_set_state(&r->c, n->cid, CLUSTER_NODE_READY, &r->err));
    gauges_update(r);
    place_pending(r);
}

/* Ends a node's life: it must hold no task. */
static void node_terminate(struct run *r, uint32_t ni, enum cost_end_reason why)
{
    struct node *n = &r->nodes[ni];
    if (n->state == N_GONE)
        return;
    int64_t now = engine_now(&r->e);
    if (n->ev)
        engine_cancel(&r->e, n->ev);
    if (n->ev2 && why != COST_END_INTERRUPTED)
        engine_cancel(&r->e, n->ev2);
    n->ev = n->ev2 = 0;
    if (n->state == N_PROVISIONING || n->state == N_REGISTERING)
        n->ready_us = now;
    CHECK(r, cluster_set_state(&r->c, n->cid, CLUSTER_NODE_GONE, &r->err));
    n->state = N_GONE;
    double gpus_s = (double)r->type->gpus * (double)(now - n->ready_us) / 1e6;
    double alloc = n->alloc_gpu_s < gpus_s ? n->alloc_gpu_s : gpus_s;
    double used = n->used_gpu_s < alloc ? n->used_gpu_s : alloc;
    CHECK(r, cost_instance_gpu_time(&r->cost, n->cost, alloc, used, &r->err));
    CHECK(r, cost_instance_end(&r->cost, n->cost, now, why, &r->err));
    gauges_update(r);
}

/* ------------------------------------------------------------------------ */
/* Tasks                                                                      */

static void ev_task_running(struct engine *e, void *ctx, uint64_t arg);

static int task_new(struct run *r, uint32_t *out)
{
    int rc = grow((void **)&r->tasks, &r->cap_tasks, sizeof *r->tasks, r->ntasks + 1, &r->err);
    if (rc)
        return rc;
    uint32_t ti = r->ntasks++;
    struct task *t = &r->tasks[ti];
    memset(t, 0, sizeof *t);
    t->state = T_PENDING;
    t->node = NO_IDX;
    t->replica = NO_IDX;
    t->created_us = engine_now(&r->e);
    t->gpu_frac = task_gpu_frac(r);
    if (r->ecs && r->ncp > 1) {
        uint32_t cur[2] = {0, 0};
        for (uint32_t i = 0; i < r->ntasks - 1; i++) {
            const struct task *o = &r->tasks[i];
            if (o->state != T_DONE && !o->doomed)
                cur[o->cp]++;
        }
        t->cp = (int)ecs_capacity_strategy_pick(&r->strat, cur);
    } else {
        t->cp = 0;
    }
    *out = ti;
    return OS_OK;
}

/* Releases a task's placement and books its GPU time on its node. */
static void task_unplace(struct run *r, struct task *t)
{
    if (t->node == NO_IDX)
        return;
    int64_t now = engine_now(&r->e);
    struct node *n = &r->nodes[t->node];
    n->alloc_gpu_s += t->gpu_frac * (double)(now - t->placed_us) / 1e6;
    placement_release(&r->c, &t->pl);
    n->tasks--;
    if (!n->tasks)
        n->empty_since = now;
    uint32_t ni = t->node;
    t->node = NO_IDX;
    respeed_node(r, ni);
}

/* Books the busy GPU time of a finished replica. */
static void task_book_usage(struct run *r, struct task *t)
{
    if (t->replica == NO_IDX || t->node == NO_IDX)
        return;
    struct inference_replica_stats st;
    if (inference_replica_stats(&r->svc, t->replica, &st, &r->err) != OS_OK)
        return;
    double used = st.busy_slot_s / st.concurrency * t->gpu_frac;
    r->nodes[t->node].used_gpu_s += used;
    r->used_gpu_s += used;
}

static void on_replica_gone(void *ctx, uint32_t replica)
{
    struct run *r = ctx;
    if (replica >= r->cap_replicas || r->replica_task[replica] == NO_IDX)
        return;
    struct task *t = &r->tasks[r->replica_task[replica]];
    task_book_usage(r, t);
    uint32_t ni = t->node;
    task_unplace(r, t);
    t->state = T_DONE;
    r->replica_task[replica] = NO_IDX;
    struct node *n = &r->nodes[ni];
    if (n->state == N_DRAINING && n->evicting && n->tasks == 0)
        node_terminate(r, ni, COST_END_TERMINATED);
    gauges_update(r);
}

/* Stops a task by the ECS/Kubernetes rules: gone at once unless running. */
static void task_stop(struct run *r, uint32_t ti, enum inference_remove_mode mode)
{
    struct task *t = &r->tasks[ti];
    switch (t->state) {
    case T_PENDING:
        t->state = T_DONE;
        break;
    case T_STARTING:
        engine_cancel(&r->e, t->ev);
        task_unplace(r, t);
        t->state = T_DONE;
        break;
    case T_RUNNING:
    case T_STOPPING:
        t->state = T_STOPPING;
        if (inference_remove_replica(&r->svc, t->replica, mode, &r->err) != OS_OK)
            fail(r, OS_EINVAL);
        break;
    default:
        break;
    }
    gauges_update(r);
}

/* Tries to place every pending task, oldest first. Returns tasks left pending. */
static uint32_t try_place(struct run *r)
{
    uint32_t left = 0;
    int64_t now = engine_now(&r->e);
    for (uint32_t ti = 0; ti < r->ntasks; ti++) {
        struct task *t = &r->tasks[ti];
        if (t->state != T_PENDING)
            continue;
        struct pod_req req = r->req;
        if (r->ecs && r->ncp > 1) {
            req.constraints = &r->cp_cons[t->cp];
            req.n_constraints = 1;
        }
        struct placement pl;
        int rc = placer_decide(&r->placer, &r->c, &req, r->rng_place.r, &pl);
        if (rc != OS_OK) {
            left++;
            continue;
        }
        uint32_t ni = r->node_of[pl.node];
        if (r->nodes[ni].state != N_READY) {
            left++;
            continue;
        }
        placement_bind(&r->c, &pl);
        t->pl = pl;
        t->node = ni;
        t->placed_us = now;
        t->state = T_STARTING;
        metrics_hist_record(&r->h_pending, now - t->created_us);
        struct node *n = &r->nodes[ni];
        n->tasks++;
        double delay = uniform(&r->rng_tasks, r->inf->model_load_s);
        if (!n->cached) {
            delay += uniform(&r->rng_tasks, r->inf->image_pull_s);
            n->cached = true; /* [U] later tasks wait for the same pull only as long as it lasts */
        }
        if (engine_after(&r->e, secs(delay), ev_task_running, r, ti, &t->ev, &r->err) != OS_OK) {
            fail(r, OS_ENOMEM);
            return left;
        }
        respeed_node(r, ni);
    }
    return left;
}

static void karpenter_note_pending(struct run *r);

static void place_pending(struct run *r)
{
    uint32_t left = try_place(r);
    gauges_update(r);
    if (left && !r->ecs)
        karpenter_note_pending(r);
}

static void ev_task_running(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    struct task *t = &r->tasks[arg];
    t->ev = 0;
    uint32_t id;
    CHECK(r, inference_add_replica(&r->svc, task_speed(r, t), (uint32_t)r->inf->concurrency, &id,
                                   &r->err));
    if (id >= r->cap_replicas) {
        uint32_t old = r->cap_replicas;
        CHECK(r, grow((void **)&r->replica_task, &r->cap_replicas, sizeof *r->replica_task, id + 1,
                      &r->err));
        for (uint32_t i = old; i < r->cap_replicas; i++)
            r->replica_task[i] = NO_IDX;
    }
    r->replica_task[id] = (uint32_t)arg;
    t->replica = id;
    t->state = T_RUNNING;
    t->running_us = engine_now(&r->e);
    metrics_hist_record(&r->h_start, t->running_us - t->created_us);
    gauges_update(r);
}

/* Makes the live, not doomed task count equal `desired`. */
static void reconcile(struct run *r)
{
    int32_t active = 0;
    for (uint32_t i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        if (t->state != T_DONE && t->state != T_STOPPING && !t->doomed)
            active++;
    }
    while (active < r->desired) {
        uint32_t ti;
        CHECK(r, task_new(r, &ti));
        active++;
    }
    while (active > r->desired) {
        /* [U] SIM_STOP_ORDER */
        uint32_t best = NO_IDX;
        int64_t best_key = INT64_MIN;
        for (uint32_t i = 0; i < r->ntasks; i++) {
            const struct task *t = &r->tasks[i];
            if (t->state == T_DONE || t->state == T_STOPPING || t->doomed)
                continue;
            int64_t key;
            if (t->state == T_PENDING)
                key = INT64_MAX - 1 - (int64_t)i; /* any pending, oldest last */
            else if (t->state == T_STARTING)
                key = INT64_MAX / 2 + t->created_us;
            else
                key = -(int64_t)r->nodes[t->node].tasks * 1000000 + (int64_t)i;
            if (best == NO_IDX || key > best_key) {
                best = i;
                best_key = key;
            }
        }
        if (best == NO_IDX)
            break;
        task_stop(r, best, INFERENCE_DRAIN);
        active--;
    }
    place_pending(r);
}

/* ------------------------------------------------------------------------ */
/* Service scaling                                                            */

static int32_t running_replicas(const struct run *r)
{
    int32_t n = 0;
    for (uint32_t i = 0; i < r->ntasks; i++)
        if (r->tasks[i].state == T_RUNNING)
            n++;
    return n;
}

/* The metric per replica over a window. */
static double metric_value(const struct run *r, const struct inference_window_stats *w,
                           int32_t replicas)
{
    double n = replicas > 0 ? replicas : 1;
    switch (r->v->scaling.metric) {
    case SCENARIO_METRIC_REQUESTS_PER_TARGET:
        return w->arrivals_per_s * 60.0 / n;
    case SCENARIO_METRIC_UTILIZATION:
        return isnan(w->utilization) ? 100.0 : w->utilization * 100.0;
    default:
        return w->in_system_mean / n;
    }
}

static void ev_service_tick(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    struct inference_window_stats ws;
    int32_t running = running_replicas(r);
    if (r->ecs) {
        inference_window_read(&r->svc, &r->win, &ws);
        inference_window_mark(&r->svc, &r->win);
        double val = metric_value(r, &ws, running);
        CHECK(r, ecs_service_observe(&r->ecs_svc, 0, now, val, &r->err));
        struct ecs_service_decision d;
        ecs_service_evaluate(&r->ecs_svc, now, running, &d);
        if (d.desired != r->desired) {
            r->desired = d.desired;
            reconcile(r);
        }
        CHECK(r, engine_after(e, MINUTE, ev_service_tick, r, 0, NULL, &r->err));
        return;
    }
    /* HPA: the metric over the last 60 s (four 15-s marks) */
    unsigned oldest = r->ring_n >= HPA_RING ? r->ring_n % HPA_RING : 0;
    inference_window_read(&r->svc, &r->ring[oldest], &ws);
    inference_window_mark(&r->svc, &r->ring[r->ring_n % HPA_RING]);
    r->ring_n++;
    int32_t existing = 0;
    for (uint32_t i = 0; i < r->ntasks; i++)
        if (r->tasks[i].state != T_DONE && !r->tasks[i].doomed)
            existing++;
    struct hpa_input in;
    memset(&in, 0, sizeof in);
    in.spec_replicas = r->desired;
    in.status_replicas = existing;
    in.pods_total = existing;
    in.pods_ready = running;
    in.metrics[0].valid = running > 0 || r->v->scaling.metric != SCENARIO_METRIC_UTILIZATION;
    double total = metric_value(r, &ws, running) * (running > 0 ? running : 1);
    in.metrics[0].value_milli = (int64_t)llround(total * 1000.0);
    struct hpa_decision d = hpa_step(&r->hpa, now, &in);
    if (d.desired != r->desired && d.reason != HPA_NOT_DUE) {
        r->desired = d.desired;
        reconcile(r);
    }
    CHECK(r, engine_after(e, r->hpa.cfg.ctrl.sync_period_us, ev_service_tick, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* ECS capacity providers                                                     */

static void ev_ecs_capacity(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    for (int cp = 0; cp < r->ncp; cp++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < r->nnodes; i++) {
            const struct node *nd = &r->nodes[i];
            if (nd->state == N_GONE || nd->cp != cp)
                continue;
            r->inst_buf[n] = (struct ecs_capacity_instance){
                .launched_us = nd->launch_us,
                .tasks = nd->tasks,
                .draining = nd->state == N_DRAINING,
            };
            r->inst_node[n++] = i;
        }
        uint32_t pending = 0;
        for (uint32_t i = 0; i < r->ntasks; i++)
            if (r->tasks[i].state == T_PENDING && r->tasks[i].cp == cp)
                pending++;
        r->groups[0].count = pending;
        struct ecs_capacity_input in = {
            .instances = r->inst_buf,
            .ninstances = n,
            .groups = r->groups,
            .ngroups = pending ? 1 : 0,
        };
        struct ecs_capacity_decision d;
        memset(&d, 0, sizeof d);
        d.terminate = r->term_buf;
        d.terminate_cap = n;
        CHECK(r, ecs_capacity_step(&r->cpcap[cp], now, &in, &d, &r->err));
        for (uint32_t k = 0; k < d.launch; k++) {
            int rc =
                node_launch(r, cp == 1 || (r->ncp == 1 && r->v->spot.pct == 100), cp, false, NULL);
            if (rc == OS_EFULL)
                break;
            CHECK(r, rc);
        }
        for (uint32_t k = 0; k < d.nterminate; k++) {
            uint32_t ni = r->inst_node[d.terminate[k]];
            if (r->nodes[ni].tasks == 0)
                node_terminate(r, ni, COST_END_TERMINATED);
        }
    }
    CHECK(r, engine_after(e, MINUTE, ev_ecs_capacity, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* Karpenter                                                                  */

static void ev_karpenter_batch(struct engine *e, void *ctx, uint64_t arg);

static void karpenter_note_pending(struct run *r)
{
    int64_t now = engine_now(&r->e);
    r->batch_last = now;
    if (r->batch_open)
        return;
    r->batch_open = true;
    r->batch_start = now;
    CHECK(r, engine_after(&r->e, r->v->capacity.batch_idle_us, ev_karpenter_batch, r, 0, NULL,
                          &r->err));
}

/* Spot for the next NodeClaim? Keeps the spot share at spot.pct. [U] */
static bool karpenter_pick_spot(const struct run *r)
{
    if (r->v->spot.pct <= 0)
        return false;
    if (r->v->spot.pct >= 100)
        return true;
    uint32_t total = 0, spot = 0;
    for (uint32_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i].state != N_GONE) {
            total++;
            spot += r->nodes[i].spot;
        }
    return (double)(spot + 1) <= (double)(total + 1) * r->v->spot.pct / 100.0 + 0.5;
}

static void ev_karpenter_batch(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    const struct scenario_capacity *cap = &r->v->capacity;
    int64_t idle_end = r->batch_last + cap->batch_idle_us;
    int64_t max_end = r->batch_start + cap->batch_max_us;
    if (now < idle_end && now < max_end) {
        int64_t at = idle_end < max_end ? idle_end : max_end;
        CHECK(r, engine_schedule(e, at, ev_karpenter_batch, r, 0, NULL, &r->err));
        return;
    }
    r->batch_open = false;
    uint32_t pending = try_place(r);
    /* nominate pending pods onto in-flight NodeClaims first */
    uint32_t rest = pending;
    for (uint32_t i = 0; i < r->nnodes && rest; i++) {
        struct node *n = &r->nodes[i];
        if (n->state != N_PROVISIONING && n->state != N_REGISTERING)
            continue;
        uint32_t room = r->per_node > n->nominated ? r->per_node - n->nominated : 0;
        uint32_t take = room < rest ? room : rest;
        n->nominated += take;
        rest -= take;
    }
    while (rest) {
        uint32_t ni;
        int rc = node_launch(r, karpenter_pick_spot(r), 0, false, &ni);
        if (rc == OS_EFULL)
            break;
        CHECK(r, rc);
        uint32_t take = r->per_node < rest ? r->per_node : rest;
        r->nodes[ni].nominated = take;
        rest -= take;
    }
    gauges_update(r);
}

/* How many more replicas node ni could take now. */
static uint32_t node_room(const struct run *r, uint32_t ni)
{
    const struct node *n = &r->nodes[ni];
    if (n->state != N_READY)
        return 0;
    uint32_t cid = n->cid;
    int32_t cpu = r->c.cpu_free[cid] / (r->req.cpu_milli ? r->req.cpu_milli : 1);
    int32_t mem = r->c.mem_free[cid] / (r->req.mem_mib ? r->req.mem_mib : 1);
    int32_t gpu = r->c.res_free[cid] / (r->req.gpu.count ? r->req.gpu.count : 1);
    int32_t m = cpu < mem ? cpu : mem;
    m = m < gpu ? m : gpu;
    return m > 0 ? (uint32_t)m : 0;
}

static void ev_karpenter_disrupt(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    const struct scenario_capacity *cap = &r->v->capacity;
    uint32_t total = 0, not_ready = 0, pending = 0;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *n = &r->nodes[i];
        if (n->state == N_GONE)
            continue;
        total++;
        if (n->state != N_READY)
            not_ready++;
    }
    for (uint32_t i = 0; i < r->ntasks; i++)
        pending += r->tasks[i].state == T_PENDING;
    /* budget: ceil(total * pct) - deleting - not ready */
    int32_t allowed = (int32_t)ceil(total * cap->budget_pct / 100.0) - (int32_t)not_ready;
    uint32_t floor_nodes = (uint32_t)r->v->min_nodes;
    if (!pending) {
        /* empty nodes first */
        for (uint32_t i = 0; i < r->nnodes && allowed > 0 && total > floor_nodes; i++) {
            struct node *n = &r->nodes[i];
            if (n->state != N_READY || n->tasks || now - n->empty_since < cap->consolidate_after_us)
                continue;
            node_terminate(r, i, COST_END_TERMINATED);
            allowed--;
            total--;
        }
        /* single-node delete: the least loaded node whose replicas fit elsewhere */
        if (allowed > 0 && total > floor_nodes) {
            uint32_t best = NO_IDX;
            for (uint32_t i = 0; i < r->nnodes; i++) {
                const struct node *n = &r->nodes[i];
                if (n->state != N_READY || !n->tasks ||
                    now - n->empty_since < cap->consolidate_after_us)
                    continue;
                bool busy = false;
                for (uint32_t t = 0; t < r->ntasks; t++)
                    if (r->tasks[t].node == i && r->tasks[t].state != T_RUNNING)
                        busy = true;
                if (busy)
                    continue;
                if (best == NO_IDX || n->tasks < r->nodes[best].tasks)
                    best = i;
            }
            if (best != NO_IDX) {
                uint32_t room = 0;
                for (uint32_t i = 0; i < r->nnodes; i++)
                    if (i != best)
                        room += node_room(r, i);
                if (room >= r->nodes[best].tasks) {
                    /* taint, evict: the Deployment recreates the pods, which
                     * the scheduler puts on the free capacity */
                    struct node *n = &r->nodes[best];
                    n->state = N_DRAINING;
                    n->evicting = true;
                    CHECK(r, cluster_set_state(&r->c, n->cid, CLUSTER_NODE_DRAINING, &r->err));
                    for (uint32_t t = 0; t < r->ntasks; t++)
                        if (r->tasks[t].node == best && r->tasks[t].state == T_RUNNING) {
                            task_stop(r, t, INFERENCE_DRAIN);
                        }
                    reconcile(r);
                }
            }
        }
    }
    CHECK(r, engine_after(e, 10 * US, ev_karpenter_disrupt, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* Spot                                                                       */

static void ev_spot_notice(struct engine *e, void *ctx, uint64_t arg)
{
    struct run *r = ctx;
    struct node *n = &r->nodes[arg];
    if (n->state == N_GONE)
        return;
    r->interruptions++;
    /* ECS spot draining / Karpenter interruption handling: no new work, the
     * replicas are replaced now and killed at termination */
    if (n->state == N_READY)
        CHECK(r, cluster_set_state(&r->c, n->cid, CLUSTER_NODE_DRAINING, &r->err));
    else if (n->ev) {
        engine_cancel(e, n->ev);
        n->ev = 0;
        CHECK(r, cluster_set_state(&r->c, n->cid, CLUSTER_NODE_DRAINING, &r->err));
    }
    n->state = N_DRAINING;
    for (uint32_t t = 0; t < r->ntasks; t++)
        if (r->tasks[t].node == arg && r->tasks[t].state != T_DONE)
            r->tasks[t].doomed = true;
    CHECK(r, engine_after(e, r->market.notice_us, ev_spot_terminate, r, arg, &n->ev2, &r->err));
    reconcile(r);
}

static void ev_spot_terminate(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    struct node *n = &r->nodes[arg];
    n->ev2 = 0;
    if (n->state == N_GONE)
        return;
    for (uint32_t t = 0; t < r->ntasks; t++) {
        struct task *tk = &r->tasks[t];
        if (tk->node != arg || tk->state == T_DONE)
            continue;
        if (tk->state == T_RUNNING || tk->state == T_STOPPING) {
            tk->state = T_STOPPING;
            CHECK(r, inference_remove_replica(&r->svc, tk->replica, INFERENCE_KILL_RETRY, &r->err));
        } else {
            task_stop(r, t, INFERENCE_KILL_RETRY);
        }
    }
    node_terminate(r, (uint32_t)arg, COST_END_INTERRUPTED);
    place_pending(r);
}

/* ------------------------------------------------------------------------ */
/* Sampling                                                                   */

static double fragmentation_pct(const struct run *r)
{
    /* GPU capacity free on ready nodes where a replica cannot start (its
     * CPU, memory or GPU units do not suffice), over all GPUs of ready nodes */
    double total = 0, frag = 0;
    uint32_t upg = r->c.pools[r->pool].units_per_gpu;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *n = &r->nodes[i];
        if (n->state != N_READY)
            continue;
        total += r->type->gpus;
        if (!node_room(r, i))
            frag += (double)r->c.res_free[n->cid] / (upg ? upg : 1);
    }
    return total > 0 ? 100.0 * frag / total : 0;
}

static void ev_sample(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    r->frag_sum += fragmentation_pct(r);
    r->frag_n++;
    if (r->series) {
        double nodes = 0, gpus = 0;
        for (uint32_t i = 0; i < r->nnodes; i++) {
            const struct node *n = &r->nodes[i];
            if (n->state == N_GONE)
                continue;
            nodes++;
            if (n->state == N_READY || n->state == N_DRAINING)
                gpus += r->type->gpus;
            double price = n->spot ? spot_price_at(&r->market.pools[0].price, now)
                                   : r->type->price_usd_per_hour;
            int64_t from = n->launch_us > r->sample_prev ? n->launch_us : r->sample_prev;
            r->cost_accrued += price * (double)(now - from) / 3.6e9;
        }
        struct inference_window_stats ws;
        inference_window_read(&r->svc, &r->sample_mark, &ws);
        inference_window_mark(&r->svc, &r->sample_mark);
        uint32_t jobs = 0; /* training jobs are not simulated yet */
        uint32_t pend = 0;
        for (uint32_t i = 0; i < r->ntasks; i++)
            pend += r->tasks[i].state == T_PENDING;
        fprintf(r->series, "%s,%llu,%.0f,%.0f,%.0f,%.4f,%u,%.4f,%u,%u,%.4f\n", r->v->name,
                (unsigned long long)r->seed, (double)now / 1e6, nodes, gpus, r->g_alloc.level,
                inference_active_replicas(&r->svc), ws.queue_mean, pend, jobs, r->cost_accrued);
        r->sample_prev = now;
    }
    if (now + r->sc->interval_us <= r->sc->duration_us)
        CHECK(r, engine_after(e, r->sc->interval_us, ev_sample, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                     */

static int setup_pool(struct run *r, const struct catalog *cat, struct os_error *err)
{
    struct gpu_cfg g;
    memset(&g, 0, sizeof g);
    const struct scenario_variant *v = r->v;
    switch (v->sharing) {
    case SCENARIO_SHARE_TIMESLICE:
        g.mode = GPU_MODE_TIMESLICE;
        g.replicas = (uint16_t)v->replicas_per_gpu;
        break;
    case SCENARIO_SHARE_MPS:
        g.mode = GPU_MODE_MPS;
        g.replicas = (uint16_t)v->replicas_per_gpu;
        break;
    case SCENARIO_SHARE_MIG: {
        g.mode = GPU_MODE_MIG;
        g.mig_strategy = GPU_MIG_SINGLE;
        g.mig_family = cat->gpu_models[r->type->gpu_model].mig_family;
        int p = gpu_mig_profile_find(g.mig_family, v->mig_profile);
        if (p < 0)
            return os_errorf(err, OS_EINVAL, "unknown MIG profile '%s'", v->mig_profile);
        g.mig_n = gpu_mig_single_layout(g.mig_family, (uint8_t)p, g.mig_layout);
        break;
    }
    default:
        g.mode = GPU_MODE_WHOLE;
        break;
    }
    int rc = cluster_add_pool(&r->c, v->instance_type, &g, &r->pool, err);
    if (rc)
        return rc;
    memset(&r->req, 0, sizeof r->req);
    r->req.cpu_milli = (int32_t)llround(r->inf->cpu * 1000);
    r->req.mem_mib = (int32_t)llround(r->inf->memory_gib * 1024);
    r->req.gpu.count = (uint16_t)r->inf->gpus;
    r->req.gpu.milli = 1000;
    r->req.gpu.res = gpu_cfg_resource(&g);
    r->req.group = 1;
    /* replicas per empty node */
    int32_t cpu = (r->type->vcpu * 1000 - 100) / r->req.cpu_milli;
    int32_t mem = (int32_t)(catalog_type_mem_mib(r->type) * 0.9) / r->req.mem_mib;
    int32_t gpu = r->type->gpus * gpu_cfg_units_per_gpu(&g) / r->req.gpu.count;
    int32_t m = cpu < mem ? cpu : mem;
    m = m < gpu ? m : gpu;
    if (m < 1)
        return os_errorf(err, OS_EINVAL,
                         "%s: a replica (%.2f vCPU, %.2f GiB, %d GPU units) does not fit an empty "
                         "%s node",
                         r->sc->file, r->inf->cpu, r->inf->memory_gib, r->inf->gpus, r->type->name);
    r->per_node = (uint32_t)m;
    return OS_OK;
}

static int setup_arrivals(struct run *r, struct os_error *err)
{
    const struct scenario_inference *f = r->inf;
    int rc;
    switch (f->arrivals) {
    case SCENARIO_ARR_REPLAY: {
        struct arrivals_replay_cfg c = {.path = f->trace_csv,
                                        .time_scale = f->time_scale,
                                        .loop = true,
                                        .end_us = r->sc->duration_us};
        rc = arrivals_init_replay(&r->arr, &c, err);
        break;
    }
    case SCENARIO_ARR_DIURNAL: {
        rc = arrivals_tokens_from_trace(&r->tokens, f->trace_csv, err);
        if (rc)
            return rc;
        r->tokens_open = true;
        struct arrivals_nhpp_cfg c;
        memset(&c, 0, sizeof c);
        rc = arrivals_rate_sine(&c.rate, f->mean_rate_per_s, f->amplitude, 86400 * US,
                                secs(f->peak_hour * 3600.0) - 6 * 3600 * US, err);
        if (rc)
            return rc;
        c.end_us = r->sc->duration_us;
        c.tokens = &r->tokens;
        c.seed = r->seed;
        c.stream = 0;
        rc = arrivals_init_nhpp(&r->arr, &c, err);
        break;
    }
    default: {
        struct arrivals_azure_day_cfg c;
        arrivals_azure_day_defaults(&c);
        c.path = f->trace_csv;
        c.mean_rate_per_s = f->mean_rate_per_s;
        c.amplitude = f->amplitude;
        c.peak_us = secs(f->peak_hour * 3600.0);
        c.duration_us = r->sc->duration_us;
        rc = arrivals_init_azure_day(&r->arr, &c, err);
        break;
    }
    }
    if (rc == OS_OK)
        r->arr_open = true;
    return rc;
}

static int setup(struct run *r, const struct catalog *cat, struct os_error *err)
{
    const struct scenario *sc = r->sc;
    const struct scenario_variant *v = r->v;
    int rc = engine_init(&r->e, 1 << 14, err);
    if (rc)
        return rc;
    struct cluster_cfg cc = {.max_nodes = (uint32_t)v->max_nodes + 8, .max_groups = 1};
    cc.max_gpus = cc.max_nodes * (uint32_t)(r->type->gpus > 0 ? r->type->gpus : 1);
    if ((rc = cluster_init(&r->c, &cc, err)) || (rc = setup_pool(r, cat, err)))
        return rc;
    struct placer_opts po;
    memset(&po, 0, sizeof po);
    po.seed = r->seed;
    po.gpu_aware = true;
    if ((rc = placer_init(&r->placer, v->placement, &r->c, &po, err)))
        return rc;
    if ((rc = rng_init(&r->rng_nodes, r->seed, "sim.nodes", 0, err)) ||
        (rc = rng_init(&r->rng_tasks, r->seed, "sim.tasks", 0, err)) ||
        (rc = rng_init(&r->rng_place, r->seed, "sim.place", 0, err)))
        return rc;
    /* capacity providers: on-demand and/or spot */
    r->ncp = 1;
    if (r->ecs && v->spot.pct > 0 && v->spot.pct < 100) {
        r->ncp = 2;
        r->strat.n = 2;
        r->strat.items[0] =
            (struct ecs_capacity_strategy_item){0, 0, (uint32_t)(100 - v->spot.pct)};
        r->strat.items[1] = (struct ecs_capacity_strategy_item){1, 0, (uint32_t)v->spot.pct};
        const char *expr[2] = {"attribute:capacity-type == on-demand",
                               "attribute:capacity-type == spot"};
        for (int k = 0; k < 2; k++) {
            if ((rc = ecs_expr_compile(&r->c, expr[k], &r->cp_expr[k], sc->file, err)))
                return rc;
            r->cp_cons[k] = (struct ecs_constraint){ECS_CONSTRAINT_MEMBER_OF, &r->cp_expr[k]};
        }
    }
    for (int k = 0; k < r->ncp; k++) {
        struct ecs_capacity_cfg cfg;
        ecs_capacity_cfg_defaults(&cfg);
        cfg.ntypes = 1;
        cfg.types[0] = (struct ecs_capacity_shape){r->type->vcpu * 1000 - 100,
                                                   (int32_t)(catalog_type_mem_mib(r->type) * 0.9),
                                                   r->type->gpus};
        cfg.asg_min = k == 0 ? v->min_nodes : 0;
        cfg.asg_max = v->max_nodes;
        cfg.target_capacity = v->capacity.target_capacity_pct;
        cfg.min_step = v->capacity.min_step;
        cfg.max_step = v->capacity.max_step;
        cfg.warmup_us = v->capacity.warmup_us;
        cfg.managed_termination_protection = true;
        if ((rc = ecs_capacity_init(&r->cpcap[k], &cfg, err)))
            return rc;
    }
    r->groups[0].need = (struct ecs_capacity_shape){r->req.cpu_milli, r->req.mem_mib, r->inf->gpus};
    uint32_t cap = (uint32_t)v->max_nodes + 8;
    r->inst_buf = calloc(cap, sizeof *r->inst_buf);
    r->inst_node = calloc(cap, sizeof *r->inst_node);
    r->term_buf = calloc(cap, sizeof *r->term_buf);
    r->node_of = calloc(r->c.cap_nodes, sizeof *r->node_of);
    if (!r->inst_buf || !r->inst_node || !r->term_buf || !r->node_of)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    /* spot market: one pool, the variant's type */
    struct spot_pool_cfg pool;
    spot_pool_cfg_defaults(&pool);
    snprintf(pool.instance_type, sizeof pool.instance_type, "%s", r->type->name);
    snprintf(pool.availability_zone, sizeof pool.availability_zone, "%s", "us-east-1a");
    pool.on_demand_usd_per_hour = r->type->price_usd_per_hour;
    pool.gen.mean_discount = v->spot.discount;
    if (v->spot.interruptions_per_hour >= 0) {
        pool.interrupt.kind = SPOT_HAZARD_RATE;
        pool.interrupt.rate_per_hour = v->spot.interruptions_per_hour;
    }
    struct spot_market_cfg mc;
    spot_market_cfg_defaults(&mc);
    mc.seed = r->seed;
    mc.horizon_us = sc->duration_us + 3600 * US;
    mc.pools = &pool;
    mc.npools = 1;
    if ((rc = spot_market_init(&r->market, &mc, err)))
        return rc;
    r->market_open = true;
    struct cost_cfg ccfg;
    cost_cfg_defaults(&ccfg);
    ccfg.platform = r->ecs ? COST_PLATFORM_ECS : COST_PLATFORM_EKS;
    ccfg.ops_team_size = sc->tco.team_size;
    ccfg.ops_usd_per_engineer_year = sc->tco.usd_per_engineer_year;
    ccfg.ops_fraction_ecs = sc->tco.fraction_ecs;
    ccfg.ops_fraction_eks = sc->tco.fraction_eks;
    if ((rc = cost_meter_init(&r->cost, &ccfg, 256, err)))
        return rc;
    r->cost_open = true;
    if ((rc = metrics_hist_init(&r->h_pending, 0, 7 * 86400 * US, err)) ||
        (rc = metrics_hist_init(&r->h_start, 0, 7 * 86400 * US, err)))
        return rc;
    r->hists_open = true;
    metrics_gauge_init(&r->g_nodes, 0, 0);
    metrics_gauge_init(&r->g_gpus, 0, 0);
    metrics_gauge_init(&r->g_alloc, 0, 0);
    metrics_gauge_init(&r->g_pending, 0, 0);
    /* the service */
    struct inference_cfg ic;
    inference_cfg_defaults(&ic);
    ic.t_prefill_us = r->inf->t_prefill_us;
    ic.t_decode_us = r->inf->t_decode_us;
    ic.slo_us = r->inf->slo_us;
    ic.queue_timeout_us = r->inf->queue_timeout_us;
    ic.seed = r->seed;
    ic.capacity_hint = 4096;
    ic.hooks.ctx = r;
    ic.hooks.on_replica_gone = on_replica_gone;
    if ((rc = inference_init(&r->svc, &r->e, &ic, err)))
        return rc;
    r->svc_open = true;
    if ((rc = setup_arrivals(r, err)) || (rc = inference_feed(&r->svc, &r->arr, err)))
        return rc;
    /* service scaling */
    r->desired = r->inf->initial_replicas;
    if (r->ecs) {
        struct ecs_service_cfg scfg;
        ecs_service_cfg_defaults(&scfg);
        scfg.min_capacity = r->inf->min_replicas;
        scfg.max_capacity = r->inf->max_replicas;
        scfg.npolicies = 1;
        enum ecs_service_metric m =
            v->scaling.metric == SCENARIO_METRIC_REQUESTS_PER_TARGET ? ECS_SERVICE_METRIC_ALB_REQ
            : v->scaling.metric == SCENARIO_METRIC_UTILIZATION       ? ECS_SERVICE_METRIC_GPU
                                                                     : ECS_SERVICE_METRIC_CUSTOM;
        ecs_service_policy_tt(&scfg.policies[0], m, v->scaling.target);
        scfg.policies[0].u.tt.scale_out_cooldown_us = v->scaling.out_cooldown_us;
        scfg.policies[0].u.tt.scale_in_cooldown_us = v->scaling.in_cooldown_us;
        if ((rc = ecs_service_init(&r->ecs_svc, &scfg, r->desired, err)))
            return rc;
    } else {
        struct hpa_cfg hc;
        hpa_cfg_defaults(&hc);
        hc.ctrl.downscale_window_us = v->scaling.down_window_us;
        hc.spec.min_replicas = r->inf->min_replicas > 0 ? r->inf->min_replicas : 1;
        hc.spec.max_replicas = r->inf->max_replicas;
        hc.spec.nmetrics = 1;
        hc.spec.metrics[0] = (struct hpa_metric_spec){
            .source = HPA_SOURCE_EXTERNAL,
            .target = HPA_TARGET_AVERAGE_VALUE,
            .target_milli = (int64_t)llround(v->scaling.target * 1000.0),
        };
        if ((rc = hpa_init(&r->hpa, &hc, err)))
            return rc;
        r->hpa_open = true;
    }
    return OS_OK;
}

/* [U] SIM_WARM_START: nodes for the initial replicas, ready and cached, and
 * the replicas running. */
static int warm_start(struct run *r, struct os_error *err)
{
    uint32_t want = (uint32_t)r->desired;
    uint32_t nodes = (want + r->per_node - 1) / r->per_node;
    if (nodes < (uint32_t)r->v->min_nodes)
        nodes = (uint32_t)r->v->min_nodes;
    for (uint32_t k = 0; k < nodes; k++) {
        bool spot;
        int cp = 0;
        if (r->ecs && r->ncp > 1) {
            uint32_t counts[2];
            int rc = ecs_capacity_strategy_split(&r->strat, k + 1, counts, err);
            if (rc)
                return rc;
            uint32_t have1 = 0;
            for (uint32_t i = 0; i < r->nnodes; i++)
                have1 += r->nodes[i].cp == 1;
            cp = counts[1] > have1 ? 1 : 0;
            spot = cp == 1;
        } else if (r->ecs) {
            spot = r->v->spot.pct == 100;
        } else {
            spot = karpenter_pick_spot(r);
        }
        int rc = node_launch(r, spot, cp, true, NULL);
        if (rc == OS_EFULL)
            break;
        if (rc)
            return rc;
    }
    for (uint32_t k = 0; k < want; k++) {
        uint32_t ti;
        int rc = task_new(r, &ti);
        if (rc)
            return rc;
    }
    try_place(r);
    /* the placed replicas are running at time 0 */
    for (uint32_t i = 0; i < r->ntasks; i++) {
        struct task *t = &r->tasks[i];
        if (t->state != T_STARTING)
            continue;
        engine_cancel(&r->e, t->ev);
        ev_task_running(&r->e, r, i);
        t->created_us = t->running_us = 0;
    }
    metrics_hist_reset(&r->h_pending);
    metrics_hist_reset(&r->h_start);
    if (r->status)
        return os_errorf(err, r->status, "%s", r->err.msg);
    gauges_update(r);
    return OS_OK;
}

static void teardown(struct run *r)
{
    if (r->svc_open)
        inference_destroy(&r->svc);
    if (r->arr_open)
        arrivals_destroy(&r->arr);
    if (r->tokens_open)
        arrivals_tokens_destroy(&r->tokens);
    if (r->hpa_open)
        hpa_destroy(&r->hpa);
    for (int k = 0; k < 2; k++) {
        ecs_capacity_destroy(&r->cpcap[k]);
        if (r->cp_expr[k].nodes)
            ecs_expr_destroy(&r->cp_expr[k]);
    }
    if (r->ecs)
        ecs_service_destroy(&r->ecs_svc);
    if (r->market_open)
        spot_market_destroy(&r->market);
    if (r->cost_open)
        cost_meter_destroy(&r->cost);
    if (r->hists_open) {
        metrics_hist_destroy(&r->h_pending);
        metrics_hist_destroy(&r->h_start);
    }
    placer_destroy(&r->placer);
    cluster_destroy(&r->c);
    rng_destroy(&r->rng_nodes);
    rng_destroy(&r->rng_tasks);
    rng_destroy(&r->rng_place);
    engine_destroy(&r->e);
    free(r->nodes);
    free(r->tasks);
    free(r->replica_task);
    free(r->inst_buf);
    free(r->inst_node);
    free(r->term_buf);
    free(r->node_of);
    if (r->series)
        fclose(r->series);
    free(r->series_buf);
}

/* ------------------------------------------------------------------------ */
/* Results                                                                    */

static void put(struct sim_result *o, const char *name, double v)
{
    if (o->nmetrics < SIM_METRICS_MAX) {
        o->name[o->nmetrics] = name;
        o->value[o->nmetrics++] = v;
    }
}

static int finish(struct run *r, struct sim_result *o, struct os_error *err)
{
    int64_t end = r->sc->duration_us;
    /* book live replicas and nodes at the horizon */
    for (uint32_t i = 0; i < r->ntasks; i++) {
        struct task *t = &r->tasks[i];
        if (t->node == NO_IDX)
            continue;
        if (t->state == T_RUNNING || t->state == T_STOPPING)
            task_book_usage(r, t);
        r->nodes[t->node].alloc_gpu_s += t->gpu_frac * (double)(end - t->placed_us) / 1e6;
    }
    for (uint32_t i = 0; i < r->nnodes; i++) {
        struct node *n = &r->nodes[i];
        if (n->state == N_GONE)
            continue;
        if (n->state == N_PROVISIONING || n->state == N_REGISTERING)
            n->ready_us = end;
        double gpus_s = (double)r->type->gpus * (double)(end - n->ready_us) / 1e6;
        double alloc = n->alloc_gpu_s < gpus_s ? n->alloc_gpu_s : gpus_s;
        double used = n->used_gpu_s < alloc ? n->used_gpu_s : alloc;
        int rc = cost_instance_gpu_time(&r->cost, n->cost, alloc, used, err);
        if (!rc)
            rc = cost_instance_end(&r->cost, n->cost, end, COST_END_HORIZON, err);
        if (rc)
            return rc;
    }
    struct inference_summary s;
    inference_summarize(&r->svc, &s);
    cost_add_requests(&r->cost, s.requests_total);
    /* inference replicas lose no stored work (killed requests are retried and
     * counted); lost GPU-hours apply to training jobs, not simulated yet */
    cost_add_interruptions(&r->cost, r->interruptions, 0);
    int rc = cost_finish(&r->cost, end, err);
    if (rc)
        return rc;
    struct cost_report cr;
    cost_report(&r->cost, &cr);
    double gpu_s = metrics_gauge_integral(&r->g_gpus, end) / 1e6;
    double alloc_s = metrics_gauge_integral(&r->g_alloc, end) / 1e6;
    put(o, "cost_usd", cr.cost_usd);
    put(o, "tco_usd", cr.tco_usd);
    put(o, "ops_cost_usd", cr.ops_usd);
    put(o, "cost_per_1k_requests_usd",
        s.requests_total ? cr.cost_usd * 1000.0 / (double)s.requests_total : NAN);
    put(o, "cost_per_gpu_hour_usd", cr.gpu_used_h > 0 ? cr.cost_usd / cr.gpu_used_h : NAN);
    put(o, "idle_cost_usd", cr.idle_usd);
    put(o, "spot_savings_usd", cr.spot_savings_usd);
    put(o, "latency_p50_ms", s.latency_p50_ms);
    put(o, "latency_p95_ms", s.latency_p95_ms);
    put(o, "latency_p99_ms", s.latency_p99_ms);
    put(o, "ttft_p99_ms", s.ttft_p99_ms);
    put(o, "queue_wait_p99_ms", s.wait_p99_ms);
    put(o, "slo_attainment_pct", s.slo_attainment_pct);
    put(o, "requests_total", (double)s.requests_total);
    put(o, "requests_dropped", (double)s.dropped);
    put(o, "requests_timed_out", (double)s.timed_out);
    put(o, "requests_retried", (double)s.retried);
    put(o, "gpu_alloc_pct", gpu_s > 0 ? 100.0 * alloc_s / gpu_s : NAN);
    put(o, "gpu_util_pct", gpu_s > 0 ? 100.0 * r->used_gpu_s / gpu_s : NAN);
    put(o, "frag_pct", r->frag_n ? r->frag_sum / (double)r->frag_n : NAN);
    put(o, "gpus_peak", r->gpus_peak);
    put(o, "nodes_peak", r->nodes_peak);
    put(o, "gpu_hours", gpu_s / 3600.0);
    put(o, "replicas_mean", s.replicas_mean);
    put(o, "replica_util_pct", s.utilization_pct);
    put(o, "pending_p50_s", metrics_hist_quantile(&r->h_pending, 0.5) / 1e6);
    put(o, "pending_p99_s", metrics_hist_quantile(&r->h_pending, 0.99) / 1e6);
    put(o, "replica_start_p50_s", metrics_hist_quantile(&r->h_start, 0.5) / 1e6);
    put(o, "spot_interruptions", (double)r->interruptions);
    put(o, "instances_launched", (double)r->launches);
    put(o, "littles_law_rel_err",
        s.time_in_system_s > 0 ? fabs(s.in_system_area_s - s.time_in_system_s) / s.time_in_system_s
                               : 0);
    put(o, "events", (double)engine_fired(&r->e));
    if (r->want_series) {
        fclose(r->series); /* finalises series_buf and series_len */
        r->series = NULL;
        o->series = r->series_buf; /* handed over */
        o->series_len = r->series_len;
        r->series_buf = NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        if (!m)
            return os_errorf(err, OS_ENOMEM, "out of memory");
        /* 200 quantiles of latency */
        const struct metrics_hist *h = &r->svc.latency;
        for (int k = 1; k <= 200 && s.completed; k++) {
            double q = k / 200.0;
            fprintf(m, "%s,%.3f,%.3f\n", r->v->name, metrics_hist_quantile(h, q) / 1000.0, q);
        }
        fclose(m);
        o->cdf = buf;
        o->cdf_len = len;
    }
    return OS_OK;
}

void sim_result_destroy(struct sim_result *r)
{
    free(r->series);
    free(r->cdf);
    memset(r, 0, sizeof *r);
}

int sim_run(const struct scenario *sc, const struct catalog *cat, unsigned v, uint64_t seed,
            bool want_series, struct sim_result *out, struct os_error *err)
{
    memset(out, 0, sizeof *out);
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    r->sc = sc;
    r->v = &sc->variants[v];
    r->inf = &sc->workload.inference;
    r->ecs = r->v->orchestrator == SCENARIO_ORCH_ECS;
    r->seed = seed;
    int ti = catalog_find_type(cat, r->v->instance_type);
    int rc;
    if (ti < 0 || cat->types[ti].gpus < 1) {
        rc = os_errorf(err, OS_EINVAL, "%s: $.variants[%u].instance_type: no GPU type '%s'",
                       sc->file, v, r->v->instance_type);
        free(r);
        return rc;
    }
    r->type = &cat->types[ti];
    r->rel_speed = cat->gpu_models[r->type->gpu_model].relative_speed;
    r->want_series = want_series;
    if (want_series) {
        r->series = open_memstream(&r->series_buf, &r->series_len);
        if (!r->series) {
            free(r);
            return os_errorf(err, OS_ENOMEM, "out of memory");
        }
    }
    rc = setup(r, cat, err);
    if (!rc)
        rc = warm_start(r, err);
    if (!rc) {
        engine_after(&r->e, r->ecs ? MINUTE : 0, ev_service_tick, r, 0, NULL, err);
        if (r->ecs)
            engine_after(&r->e, MINUTE / 2, ev_ecs_capacity, r, 0, NULL, err);
        else
            engine_after(&r->e, 10 * US, ev_karpenter_disrupt, r, 0, NULL, err);
        inference_window_mark(&r->svc, &r->win);
        inference_window_mark(&r->svc, &r->sample_mark);
        engine_after(&r->e, sc->interval_us, ev_sample, r, 0, NULL, err);
        engine_run(&r->e, sc->duration_us);
        if (r->status)
            rc = os_errorf(err, r->status, "%s: variant %s: %s", sc->file, r->v->name, r->err.msg);
        else if ((rc = inference_status(&r->svc, err)))
            ;
        else
            rc = finish(r, out, err);
    }
    teardown(r);
    free(r);
    if (rc)
        sim_result_destroy(out);
    return rc;
}

void sim_check(const struct scenario *sc, const struct catalog *cat, struct schema_diag *d)
{
    for (unsigned i = 0; i < sc->nvariants; i++) {
        const struct scenario_variant *v = &sc->variants[i];
        int ti = catalog_find_type(cat, v->instance_type);
        if (ti < 0) {
            const char *names[64];
            size_t n = cat->n_types < 63 ? cat->n_types : 63;
            for (size_t k = 0; k < n; k++)
                names[k] = cat->types[k].name;
            names[n] = NULL;
            const char *s = schema_suggest(v->instance_type, names, n);
            schema_diag_add(d, "%s: $.variants[%u].instance_type: unknown instance type '%s'%s%s%s",
                            sc->file, i, v->instance_type, s ? " (did you mean '" : "", s ? s : "",
                            s ? "'?)" : "");
            continue;
        }
        const struct catalog_instance *t = &cat->types[ti];
        if (t->gpus < 1) {
            schema_diag_add(d, "%s: $.variants[%u].instance_type: '%s' has no GPU", sc->file, i,
                            t->name);
            continue;
        }
        const struct catalog_gpu_model *g = &cat->gpu_models[t->gpu_model];
        double mem = g->memory_gb, need = sc->workload.inference.model_memory_gb;
        const char *what = "the GPU";
        if (v->sharing == SCENARIO_SHARE_MIG) {
            if (!g->mig) {
                schema_diag_add(d, "%s: $.variants[%u].sharing: %s (%s) is not MIG capable",
                                sc->file, i, t->name, g->name);
                continue;
            }
            int p = gpu_mig_profile_find(g->mig_family, v->mig_profile);
            if (p < 0) {
                schema_diag_add(d,
                                "%s: $.variants[%u].mig_profile: '%s' is not a MIG profile of %s",
                                sc->file, i, v->mig_profile, g->name);
                continue;
            }
            size_t n;
            mem = gpu_mig_profiles(g->mig_family, &n)[p].mem_gb;
            what = "the MIG instance";
        } else if (v->sharing == SCENARIO_SHARE_TIMESLICE) {
            /* no memory isolation: R copies of the model share the GPU */
            mem = g->memory_gb / (double)v->replicas_per_gpu;
            what = "its 1/replicas_per_gpu share of GPU memory";
        } else if (v->sharing == SCENARIO_SHARE_MPS) {
            mem = g->memory_gb / (double)v->replicas_per_gpu;
            what = "the MPS client's memory cap";
        }
        if (need > mem)
            schema_diag_add(d,
                            "%s: $.variants[%u]: the model needs %.1f GB but %s has %.1f GB on "
                            "%s",
                            sc->file, i, need, what, mem, t->name);
    }
}
