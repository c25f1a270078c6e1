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
 *                     scaling
 *   karpenter         (models/sim_karpenter.c) the provisioning batch window
 *                     closes; the disruption loop every 10 s
 *   keda, ca scan     (models/sim_scale.c) a KEDA service's poll and HPA sync;
 *                     the Cluster Autoscaler every 10 s instead of Karpenter
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
 * - Node types: a node group has one instance type on ECS and with the
 *   Cluster Autoscaler, and a NodePool's list of types on EKS with Karpenter
 *   (models/sim_karpenter.c, where its [U] choices are); every node carries
 *   its type (price, GPUs, GPU model, spot market), each type is a pool of
 *   the group's cluster and has its own spot market pool, shared by the
 *   groups that list the type.
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

#include "models/gpu.h"
#include "models/sim_internal.h"

void sim_fail(struct run *r, int rc)
{
    if (!r->status)
        r->status = rc;
    engine_stop(&r->e);
}

static double uniform(struct rng *g, const double *range)
{
    return range[0] + (range[1] - range[0]) * gsl_rng_uniform(g->r);
}

int64_t sim_secs(double s)
{
    return (int64_t)llround(s * 1e6);
}

/* ------------------------------------------------------------------------ */
/* GPU shares and speeds                                                      */

/* Physical GPUs one replica of service sv holds on a node of its group's
 * type ti. */
static double service_gpu_frac(const struct run *r, const struct service *sv, unsigned ti)
{
    const struct group *g = &r->grp[sv->gi];
    if (g->fargate)
        return 0;
    switch (g->sharing) {
    case SCENARIO_SHARE_TIMESLICE:
    case SCENARIO_SHARE_MPS:
        return (double)sv->inf->gpus / g->replicas_per_gpu;
    case SCENARIO_SHARE_MIG:
        return (double)sv->inf->gpus * sv->tfrac[ti];
    default:
        return sv->inf->gpus;
    }
}

/* Speed of a placed task now (MODELS.md section 8). */
static double task_speed(const struct run *r, const struct task *t)
{
    const struct service *sv = &r->svcs[t->s];
    const struct group *g = &r->grp[sv->gi];
    if (g->fargate)
        return g->fargate_speed;
    unsigned ti = t->node != NO_IDX ? r->nodes[t->node].ti : 0;
    double speed = g->tspeed[ti];
    switch (g->sharing) {
    case SCENARIO_SHARE_TIMESLICE: {
        uint16_t k = gpu_tenants(&g->c, t->pl.gpu.part[0].gpu);
        double s = speed / (k ? k : 1);
        return k > 1 ? s * (1 - g->timeslice_overhead) : s;
    }
    case SCENARIO_SHARE_MPS:
        return speed / g->replicas_per_gpu;
    case SCENARIO_SHARE_MIG:
        return speed * sv->tfrac[ti];
    default:
        return speed;
    }
}

double sim_nodes_speed(const struct run *r, const uint32_t *nodes, uint32_t n)
{
    double s = INFINITY;
    for (uint32_t k = 0; k < n; k++) {
        const struct node *nd = &r->nodes[nodes[k]];
        double v = r->grp[nd->g].tspeed[nd->ti];
        s = v < s ? v : s;
    }
    return n ? s : 0;
}

/* Time-slicing: tenants changed on a node; re-plan its running replicas. */
static void respeed_node(struct run *r, uint32_t ni)
{
    if (r->grp[r->nodes[ni].g].sharing != SCENARIO_SHARE_TIMESLICE)
        return;
    for (uint32_t i = 0; i < r->ntasks; i++) {
        struct task *t = &r->tasks[i];
        struct service *sv = &r->svcs[t->s];
        if (t->node == ni && (t->state == T_RUNNING || t->state == T_STOPPING) &&
            inference_replica_live(&sv->svc, t->replica))
            if (inference_set_speed(&sv->svc, t->replica, task_speed(r, t), &r->err) != OS_OK)
                sim_fail(r, OS_EINVAL);
    }
}

/* ------------------------------------------------------------------------ */
/* Gauges                                                                     */

/* Pending counts replicas and training pods; alloc counts physical GPUs. */
void sim_gauges_update(struct run *r)
{
    int64_t now = engine_now(&r->e);
    double nodes = 0, gpus = 0, alloc = 0, pending = 0;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *n = &r->nodes[i];
        if (n->state == N_GONE)
            continue;
        nodes++;
        if (n->state == N_READY || n->state == N_DRAINING)
            gpus += sim_node_type(r, n)->gpus;
    }
    for (uint32_t i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        if (t->state == T_PENDING)
            pending++;
        else if (t->state != T_DONE)
            alloc += t->gpu_frac;
    }
    if (r->grp[G_TRAIN].on) {
        pending += train_pending_pods(r);
        alloc += train_alloc_gpus(r);
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

int sim_grow(void **p, uint32_t *cap, size_t elem, uint32_t need, struct os_error *err)
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

/* An EC2 rebalance recommendation for a live spot node: counted. [U]
 * SIM_REBALANCE: neither ECS spot draining nor Karpenter (events only,
 * MODELS.md section 4) nor the Cluster Autoscaler acts on it. */
static void ev_spot_rebalance(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    const struct node *n = &r->nodes[arg];
    if (n->state != N_GONE && !n->noticed)
        r->rebalances++;
}
static void ev_spot_terminate(struct engine *e, void *ctx, uint64_t arg);

/* Launches a node of group gi's type ti. ready: already schedulable (warm
 * start). A spot launch may fail for lack of capacity (spot.launch_fail_prob
 * of the type's market pool): it then falls back to on-demand or returns
 * OS_ENOFIT (no capacity). OS_EFULL at max_nodes. */
int sim_node_launch_type(struct run *r, int gi, unsigned ti, bool spot, int cp, bool ready,
                         uint32_t *out)
{
    struct group *g = &r->grp[gi];
    if (g->live >= (uint32_t)g->max_nodes)
        return OS_EFULL;
    size_t mp = g->tmarket[ti];
    if (spot && r->market.pools[mp].fail_prob > 0) {
        struct spot_launch sl;
        spot_try_launch(&r->market, mp, r->launches, &sl);
        if (sl.outcome == SPOT_LAUNCH_FAILED)
            return OS_ENOFIT;
        if (sl.outcome == SPOT_LAUNCHED_ON_DEMAND)
            spot = false;
    }
    int rc = sim_grow((void **)&r->nodes, &r->cap_nodes, sizeof *r->nodes, r->nnodes + 1, &r->err);
    if (rc)
        return rc;
    const struct catalog_instance *type = g->types[ti];
    struct cluster_label labels[1] = {{"capacity-type", spot ? "spot" : "on-demand"}};
    struct cluster_node_spec spec = {
        .cpu_milli = sim_alloc_cpu_milli(type),
        .mem_mib = sim_alloc_mem_mib(type),
        .gpu_count = (uint8_t)type->gpus,
        .gpu_model = (uint8_t)type->gpu_model,
        .pool = g->tpool[ti],
        .instance_type = -1,
        .instance_type_name = type->name,
        .zone = "us-east-1a",
        .max_pods = r->ecs ? 0 : SIM_EKS_MAX_PODS,
        .state = ready ? CLUSTER_NODE_READY : CLUSTER_NODE_PROVISIONING,
        .labels = labels,
        .n_labels = 1,
    };
    uint32_t cid;
    rc = cluster_add_node(&g->c, &spec, &cid, &r->err);
    if (rc)
        return rc;
    int64_t now = engine_now(&r->e);
    uint32_t ni = r->nnodes++;
    g->node_of[cid] = ni; /* cluster_add_node reuses only GONE slots */
    g->live++;
    struct node *n = &r->nodes[ni];
    memset(n, 0, sizeof *n);
    n->cid = cid;
    n->g = (uint8_t)gi;
    n->ti = (uint8_t)ti;
    n->spot = spot;
    n->cp = cp;
    n->launch_us = now;
    n->pod_event_us = now;
    n->replaced_by = NO_IDX;
    n->state = ready ? N_READY : N_PROVISIONING;
    n->cached = ready;
    n->rev = ready ? 0 : -1;
    struct cost_launch cl = {
        .lifecycle = spot ? COST_SPOT : COST_ON_DEMAND,
        .on_demand_usd_per_hour = type->price_usd_per_hour,
        .spot = spot ? &r->market.pools[mp].price : NULL,
        .gpus = type->gpus,
        .launch_us = now,
    };
    rc = cost_instance_launch(&r->cost, &cl, &n->cost, &r->err);
    if (rc)
        return rc;
    r->launches++;
    if (!ready) {
        int64_t boot = sim_secs(uniform(&g->rng_nodes, r->sc->cluster.nodes.boot_s));
        rc = engine_after(&r->e, boot, ev_node_ready, r, ni, &n->ev, &r->err);
        if (rc)
            return rc;
    } else {
        n->ready_us = now;
    }
    if (spot) {
        struct spot_interruption si;
        spot_sample_interruption(&r->market, mp, r->launches, now, &si);
        if (si.interrupted) {
            rc = engine_schedule(&r->e, si.notice_us, ev_spot_notice, r, ni, &n->ev2, &r->err);
            if (rc)
                return rc;
        }
        if (si.interrupted && si.rebalance_us >= now && g->spot->rebalance &&
            (rc = engine_schedule(&r->e, si.rebalance_us, ev_spot_rebalance, r, ni, NULL, &r->err)))
            return rc;
    }
    if (out)
        *out = ni;
    sim_gauges_update(r);
    return OS_OK;
}

int sim_node_launch(struct run *r, int gi, bool spot, int cp, bool ready, uint32_t *out)
{
    return sim_node_launch_type(r, gi, 0, spot, cp, ready, out);
}

static void ev_node_ready(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    struct node *n = &r->nodes[arg];
    n->state = N_REGISTERING;
    n->ready_us = engine_now(&r->e);
    int64_t reg = sim_secs(uniform(&r->grp[n->g].rng_nodes, r->sc->cluster.nodes.device_plugin_s));
    CHECK(r, engine_after(&r->e, reg, ev_node_schedulable, r, arg, &n->ev, &r->err));
}

static void ev_node_schedulable(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    struct node *n = &r->nodes[arg];
    n->ev = 0;
    n->state = N_READY;
    n->pod_event_us = engine_now(&r->e);
    r->grp[n->g].epoch++; /* a node became schedulable */
    CHECK(r, cluster_set_state(&r->grp[n->g].c, n->cid, CLUSTER_NODE_READY, &r->err));
    sim_gauges_update(r);
    if (n->awaited)
        sim_karpenter_replacement_ready(r, (uint32_t)arg);
    sim_place_pending(r);
}

/* Ends a node's life: it must hold no task. */
void sim_node_terminate(struct run *r, uint32_t ni, enum cost_end_reason why)
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
    sim_mig_node_gone(r, ni);
    if (n->state == N_PROVISIONING || n->state == N_REGISTERING)
        n->ready_us = now;
    if (n->spot && !n->noticed)
        r->spot_exposure_s += (double)(now - n->launch_us) / 1e6;
    CHECK(r, cluster_set_state(&r->grp[n->g].c, n->cid, CLUSTER_NODE_GONE, &r->err));
    n->state = N_GONE;
    r->grp[n->g].live--;
    double gpus_s = (double)sim_node_type(r, n)->gpus * (double)(now - n->ready_us) / 1e6;
    double alloc = n->alloc_gpu_s < gpus_s ? n->alloc_gpu_s : gpus_s;
    double used = n->used_gpu_s < alloc ? n->used_gpu_s : alloc;
    CHECK(r, cost_instance_gpu_time(&r->cost, n->cost, alloc, used, &r->err));
    CHECK(r, cost_instance_end(&r->cost, n->cost, now, why, &r->err));
    if (n->awaited)
        sim_karpenter_replacement_lost(r, ni);
    sim_gauges_update(r);
}

/* ------------------------------------------------------------------------ */
/* Tasks                                                                      */

static void ev_task_running(struct engine *e, void *ctx, uint64_t arg);

static int task_new(struct run *r, unsigned si, uint32_t *out)
{
    int rc = sim_grow((void **)&r->tasks, &r->cap_tasks, sizeof *r->tasks, r->ntasks + 1, &r->err);
    if (rc)
        return rc;
    const struct service *sv = &r->svcs[si];
    const struct group *g = &r->grp[sv->gi];
    uint32_t ti = r->ntasks++;
    struct task *t = &r->tasks[ti];
    memset(t, 0, sizeof *t);
    t->state = T_PENDING;
    t->s = (uint8_t)si;
    t->node = NO_IDX;
    t->replica = NO_IDX;
    t->created_us = engine_now(&r->e);
    t->gpu_frac = sv->gpu_frac;
    t->rev = sv->rev;
    if (r->ecs && g->ncp > 1) {
        uint32_t cur[2] = {0, 0};
        for (uint32_t i = 0; i < r->ntasks - 1; i++) {
            const struct task *o = &r->tasks[i];
            if (o->s == si && o->state != T_DONE && !o->doomed)
                cur[o->cp]++;
        }
        t->cp = (int)ecs_capacity_strategy_pick(&g->strat, cur);
    } else {
        t->cp = 0;
    }
    *out = ti;
    return OS_OK;
}

void sim_node_task_gone(struct run *r, uint32_t ni)
{
    struct node *n = &r->nodes[ni];
    r->grp[n->g].epoch++; /* capacity freed: pending pods may fit */
    n->tasks--;
    n->pod_event_us = engine_now(&r->e);
    /* a training node Karpenter disrupts ends with its last pod (its pods
     * are karpenter.sh/do-not-disrupt: models/sim_karpenter.c) */
    if (!n->tasks && n->g == G_TRAIN && n->state == N_DRAINING && n->evicting)
        sim_node_terminate(r, ni, COST_END_TERMINATED);
}

/* Releases a task's placement and books its GPU time on its node. */
static void task_unplace(struct run *r, struct task *t)
{
    if (t->fargate_on) {
        const struct group *g = &r->grp[r->svcs[t->s].gi];
        t->fargate_on = false;
        if (cost_fargate_task(&r->cost, g->fargate_vcpu, g->fargate_gb, t->placed_us,
                              engine_now(&r->e), &r->err) != OS_OK)
            sim_fail(r, OS_EINVAL);
        return;
    }
    if (t->node == NO_IDX)
        return;
    int64_t now = engine_now(&r->e);
    struct node *n = &r->nodes[t->node];
    n->alloc_gpu_s += t->gpu_frac * (double)(now - t->placed_us) / 1e6;
    placement_release(&r->grp[n->g].c, &t->pl);
    uint32_t ni = t->node;
    sim_node_task_gone(r, ni);
    t->node = NO_IDX;
    respeed_node(r, ni);
}

/* Books the busy GPU time of a finished replica. */
static void task_book_usage(struct run *r, struct task *t)
{
    if (t->replica == NO_IDX || t->node == NO_IDX)
        return;
    struct inference_replica_stats st;
    if (inference_replica_stats(&r->svcs[t->s].svc, t->replica, &st, &r->err) != OS_OK)
        return;
    double used = st.busy_slot_s / st.concurrency * t->gpu_frac;
    r->nodes[t->node].used_gpu_s += used;
    r->used_gpu_s += used;
}

static void on_replica_gone(void *ctx, uint32_t replica)
{
    struct service *sv = ctx;
    struct run *r = sv->r;
    if (replica >= sv->cap_replicas || sv->replica_task[replica] == NO_IDX)
        return;
    struct task *t = &r->tasks[sv->replica_task[replica]];
    task_book_usage(r, t);
    uint32_t ni = t->node;
    task_unplace(r, t);
    t->state = T_DONE;
    sv->replica_task[replica] = NO_IDX;
    if (ni != NO_IDX) {
        struct node *n = &r->nodes[ni];
        if (n->state == N_DRAINING && n->evicting && n->tasks == 0)
            sim_node_terminate(r, ni, COST_END_TERMINATED);
    }
    sim_gauges_update(r);
}

/* EKS PodDisruptionBudget (deployment.pdb_max_unavailable, MODELS.md
 * section 2): an eviction of a replica of service sv is allowed when the
 * Deployment keeps at least desired - maxUnavailable ready replicas after it
 * (disruptionsAllowed > 0). A replica not ready yet may be evicted while the
 * budget is met ([U] SIM_PDB_UNHEALTHY: the IfHealthyBudget policy). No
 * budget: always. */
static bool pdb_allows(const struct run *r, const struct service *sv, bool ready)
{
    int32_t mu = r->v->deployment.pdb_max_unavailable;
    if (mu < 0 || r->ecs)
        return true;
    int32_t healthy = 0;
    for (uint32_t i = 0; i < r->ntasks; i++)
        healthy += r->tasks[i].state == T_RUNNING && &r->svcs[r->tasks[i].s] == sv;
    int32_t min_available = sv->desired - mu;
    return ready ? healthy - 1 >= min_available : healthy >= min_available;
}

bool sim_evict_node(struct run *r, uint32_t ni)
{
    const struct node *n = &r->nodes[ni];
    bool evicted = false;
    for (uint32_t t = 0; n->g != G_TRAIN && t < r->ntasks && !r->status; t++) {
        const struct task *tk = &r->tasks[t];
        if (tk->node != ni || (tk->state != T_STARTING && tk->state != T_RUNNING) ||
            !pdb_allows(r, &r->svcs[tk->s], tk->state == T_RUNNING))
            continue;
        sim_task_stop(r, t, INFERENCE_DRAIN);
        evicted = true;
    }
    if (n->state != N_GONE && n->tasks == 0)
        sim_node_terminate(r, ni, COST_END_TERMINATED);
    return evicted;
}

bool sim_pdb_node_movable(const struct run *r, uint32_t ni)
{
    int32_t mu = r->v->deployment.pdb_max_unavailable;
    if (mu < 0 || r->ecs)
        return true;
    for (unsigned si = 0; si < r->nsvcs; si++) {
        const struct service *sv = &r->svcs[si];
        int32_t healthy = 0, here = 0;
        for (uint32_t i = 0; i < r->ntasks; i++) {
            const struct task *t = &r->tasks[i];
            if (t->s != si || t->state != T_RUNNING)
                continue;
            healthy++;
            here += t->node == ni;
        }
        if (here > healthy - (sv->desired - mu))
            return false;
    }
    return true;
}

bool sim_drain_node(struct run *r, uint32_t ni)
{
    struct node *n = &r->nodes[ni];
    if (n->state != N_DRAINING)
        CHECK_FALSE(r, cluster_set_state(&r->grp[n->g].c, n->cid, CLUSTER_NODE_DRAINING, &r->err));
    n->state = N_DRAINING;
    n->evicting = true;
    return sim_evict_node(r, ni);
}

/* Evictions a PodDisruptionBudget held back may go on: the drain of every
 * node being emptied is retried (when a replica becomes ready, and on every
 * HPA sync, as the eviction loops of Karpenter's terminator and the Cluster
 * Autoscaler retry: the budget also frees when a Deployment scales down). */
static void pdb_retry(struct run *r)
{
    if (r->v->deployment.pdb_max_unavailable < 0 || r->ecs)
        return;
    bool evicted = false;
    for (uint32_t ni = 0; ni < r->nnodes && !r->status; ni++) {
        const struct node *n = &r->nodes[ni];
        if (n->state == N_DRAINING && n->evicting && !n->noticed && n->tasks && n->g != G_TRAIN)
            evicted |= sim_evict_node(r, ni);
    }
    if (evicted)
        sim_reconcile(r, -1);
}

/* Stops a task by the ECS/Kubernetes rules: gone at once unless running. */
void sim_task_stop(struct run *r, uint32_t ti, enum inference_remove_mode mode)
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
        if (inference_remove_replica(&r->svcs[t->s].svc, t->replica, mode, &r->err) != OS_OK)
            sim_fail(r, OS_EINVAL);
        break;
    default:
        break;
    }
    sim_gauges_update(r);
}

static void ev_pod_retry(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    struct run *r = ctx;
    r->retry_at = 0;
    sim_place_pending(r);
}

/* kube-scheduler's pod backoff after n failed attempts: 1 s doubling, max
 * 10 s (podInitialBackoffSeconds, podMaxBackoffSeconds). */
static int64_t pod_backoff_us(unsigned n)
{
    int64_t b = US << (n > 4 ? 4 : n - 1);
    return b < 10 * US ? b : 10 * US;
}

/* EKS scheduling queue [U] SIM_SCHED_QUEUE: a pod that failed to schedule
 * waits in the unschedulable queue until a cluster event of its node group
 * that may make it fit (a node becomes schedulable, a pod leaves a node:
 * QueueingHints); it is then retried at once if its backoff has expired, else
 * when it expires. The 5-minute flush of the unschedulable queue is not
 * modelled (it cannot place a pod nothing changed for). Returns true when
 * pod t may be tried now; otherwise makes sure a retry happens when due. */
static bool pod_ready_to_try(struct run *r, const struct task *t, const struct group *g,
                             int64_t now)
{
    if (r->ecs || !t->attempts)
        return true;
    if (t->epoch_seen == g->epoch)
        return false;
    int64_t due = t->last_try_us + pod_backoff_us(t->attempts);
    if (now >= due)
        return true;
    if (r->retry_at <= now || due < r->retry_at) {
        r->retry_at = due;
        if (engine_schedule(&r->e, due, ev_pod_retry, r, 0, NULL, &r->err) != OS_OK)
            sim_fail(r, OS_ENOMEM);
    }
    return false;
}

static void pod_failed(struct run *r, struct task *t, const struct group *g, int64_t now)
{
    if (r->ecs)
        return;
    if (t->attempts < 255)
        t->attempts++;
    t->epoch_seen = g->epoch;
    t->last_try_us = now;
}

/* Tries to place every pending replica, oldest first. Adds the replicas left
 * pending per group to left[]. */
void sim_try_place(struct run *r, uint32_t *left)
{
    int64_t now = engine_now(&r->e);
    for (uint32_t ti = 0; ti < r->ntasks; ti++) {
        struct task *t = &r->tasks[ti];
        if (t->state != T_PENDING)
            continue;
        const struct service *sv = &r->svcs[t->s];
        struct group *g = &r->grp[sv->gi];
        if (g->fargate) {
            /* [U] SIM_FARGATE: a task is provisioned (fargate_start_s), pulls
             * its image every time (no cache) and loads the model */
            t->state = T_STARTING;
            t->placed_us = now;
            t->fargate_on = true;
            metrics_hist_record(&r->h_pending, now - t->created_us);
            double delay = uniform(&g->rng_tasks, r->sc->cluster.nodes.fargate_start_s) +
                           uniform(&g->rng_tasks, sv->inf->image_pull_s) +
                           uniform(&g->rng_tasks, sv->inf->model_load_s);
            if (engine_after(&r->e, sim_secs(delay), ev_task_running, r, ti, &t->ev, &r->err) !=
                OS_OK) {
                sim_fail(r, OS_ENOMEM);
                return;
            }
            continue;
        }
        struct pod_req req = sv->req;
        if (r->ecs && g->ncp > 1) {
            req.constraints = &g->cp_cons[t->cp];
            req.n_constraints = 1;
        }
        if (!pod_ready_to_try(r, t, g, now)) {
            left[sv->gi]++;
            continue;
        }
        struct placement pl;
        int rc = placer_decide(&g->placer, &g->c, &req, g->rng_place.r, &pl);
        if (rc != OS_OK) {
            pod_failed(r, t, g, now);
            left[sv->gi]++;
            continue;
        }
        uint32_t ni = g->node_of[pl.node];
        if (r->nodes[ni].state != N_READY) {
            pod_failed(r, t, g, now);
            left[sv->gi]++;
            continue;
        }
        placement_bind(&g->c, &pl);
        t->pl = pl;
        t->node = ni;
        t->placed_us = now;
        t->state = T_STARTING;
        metrics_hist_record(&r->h_pending, now - t->created_us);
        struct node *n = &r->nodes[ni];
        t->gpu_frac = service_gpu_frac(r, sv, n->ti);
        n->tasks++;
        n->pod_event_us = now;
        double delay = uniform(&g->rng_tasks, sv->inf->model_load_s);
        /* the LLM service's image has revisions (rolling deployments); the
         * fleet's models share one image [U] */
        bool pulled = sv->llm ? n->rev >= (int)t->rev : n->cached;
        if (!pulled) {
            delay += uniform(&g->rng_tasks, sv->inf->image_pull_s);
            /* [U] later tasks wait for the same pull only as long as it lasts */
            if (!sv->llm)
                n->cached = true;
            else if (n->rev < (int)t->rev)
                n->rev = (int16_t)t->rev;
        }
        if (engine_after(&r->e, sim_secs(delay), ev_task_running, r, ti, &t->ev, &r->err) !=
            OS_OK) {
            sim_fail(r, OS_ENOMEM);
            return;
        }
        respeed_node(r, ni);
    }
}

void sim_place_pending(struct run *r)
{
    uint32_t left[G_MAX] = {0};
    sim_try_place(r, left);
    if (r->grp[G_TRAIN].on)
        left[G_TRAIN] = train_try_place(r);
    sim_gauges_update(r);
    if (r->ecs)
        return;
    for (int gi = 0; gi < G_MAX; gi++)
        if (left[gi])
            sim_karpenter_note(r, gi);
}

static void ev_reconcile(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    sim_reconcile(ctx, (int)arg);
}

/* A start attempt failed (workload start_failure_prob). ECS stops the task;
 * the service relaunches with a growing delay [ECS:service-throttle-logic,
 * MODELS.md section 1: "growing relaunch delay, max 15 min"; [U]
 * SIM_ECS_THROTTLE: 10 s doubling per consecutive failure, reset by a
 * successful start]. Kubernetes restarts the container in place after the
 * CrashLoopBackOff delay (10 s doubling, max 300 s; kubelet) and loads the
 * model again. */
static void task_start_failed(struct run *r, uint32_t ti)
{
    struct task *t = &r->tasks[ti];
    struct service *sv = &r->svcs[t->s];
    int64_t now = engine_now(&r->e);
    sv->start_failures++;
    if (!r->ecs && t->node != NO_IDX) {
        unsigned k = t->restarts < 5 ? t->restarts : 5;
        t->restarts++;
        int64_t backoff = (int64_t)(10 << k) * US;
        if (backoff > 300 * US)
            backoff = 300 * US;
        double load = uniform(&r->grp[sv->gi].rng_tasks, sv->inf->model_load_s);
        CHECK(r, engine_after(&r->e, backoff + sim_secs(load), ev_task_running, r, ti, &t->ev,
                              &r->err));
        return;
    }
    task_unplace(r, t);
    t->state = T_DONE;
    unsigned k = sv->fail_streak < 7 ? sv->fail_streak : 7;
    sv->fail_streak++;
    int64_t delay = (int64_t)(10 << k) * US;
    if (delay > 900 * US)
        delay = 900 * US;
    sv->relaunch_at = now + delay;
    CHECK(r, engine_after(&r->e, delay, ev_reconcile, r, t->s, NULL, &r->err));
    sim_gauges_update(r);
}

static void ev_task_running(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    struct task *t = &r->tasks[arg];
    struct service *sv = &r->svcs[t->s];
    t->ev = 0;
    if (sv->inf->start_failure_prob > 0 && !r->warming &&
        gsl_rng_uniform(r->grp[sv->gi].rng_tasks.r) < sv->inf->start_failure_prob) {
        task_start_failed(r, (uint32_t)arg);
        return;
    }
    sv->fail_streak = 0;
    uint32_t id;
    CHECK(r, inference_add_replica(&sv->svc, task_speed(r, t), (uint32_t)sv->inf->concurrency, &id,
                                   &r->err));
    if (id >= sv->cap_replicas) {
        uint32_t old = sv->cap_replicas;
        CHECK(r, sim_grow((void **)&sv->replica_task, &sv->cap_replicas, sizeof *sv->replica_task,
                          id + 1, &r->err));
        for (uint32_t i = old; i < sv->cap_replicas; i++)
            sv->replica_task[i] = NO_IDX;
    }
    sv->replica_task[id] = (uint32_t)arg;
    t->replica = id;
    t->state = T_RUNNING;
    t->running_us = engine_now(&r->e);
    metrics_hist_record(&r->h_start, t->running_us - t->created_us);
    sim_gauges_update(r);
    if (sv->rolling)
        sim_reconcile(r, (int)t->s);
    pdb_retry(r);
}

/* A rolling deployment step of service si (MODELS.md section 1 for ECS,
 * the Deployment controller for EKS): with D desired tasks, at most
 * max_total tasks exist (ECS floor(D maximumPercent / 100); EKS D +
 * ceil(D maxSurge / 100)) and at least min_healthy run (ECS ceil(D
 * minimumHealthyPercent / 100); EKS D - floor(D maxUnavailable / 100)).
 * New-revision tasks start while there is room; old tasks that are not
 * running stop at once; running old tasks stop, oldest first, while the
 * running count stays at or above min_healthy. [U] SIM_HEALTHY: a task is
 * healthy once RUNNING (model loaded; no extra health-check grace). Returns
 * true while old tasks remain. */
static bool rollout_step(struct run *r, unsigned si)
{
    struct service *sv = &r->svcs[si];
    const struct scenario_deployment *dp = &r->v->deployment;
    int32_t D = sv->desired;
    int32_t max_total, min_healthy;
    if (r->ecs) {
        max_total = (int32_t)floor(D * dp->max_pct / 100.0);
        min_healthy = (int32_t)ceil(D * dp->min_healthy_pct / 100.0);
    } else {
        max_total = D + (int32_t)ceil(D * dp->max_surge_pct / 100.0);
        min_healthy = D - (int32_t)floor(D * dp->max_unavailable_pct / 100.0);
    }
    for (int guard = 0; guard < 4 * (D + 2) && !r->status; guard++) {
        int32_t old_act = 0, new_act = 0, healthy = 0;
        uint32_t old_idle = NO_IDX, old_run = NO_IDX, new_idle = NO_IDX, new_any = NO_IDX;
        for (uint32_t i = 0; i < r->ntasks; i++) {
            const struct task *t = &r->tasks[i];
            if (t->s != si || t->state == T_DONE || t->state == T_STOPPING || t->doomed)
                continue;
            bool old = t->rev < sv->rev;
            if (old)
                old_act++;
            else
                new_act++;
            if (t->state == T_RUNNING)
                healthy++;
            if (old && t->state != T_RUNNING && old_idle == NO_IDX)
                old_idle = i;
            if (old && t->state == T_RUNNING && old_run == NO_IDX)
                old_run = i;
            if (!old && t->state != T_RUNNING)
                new_idle = i; /* the newest not yet running */
            if (!old)
                new_any = i;
        }
        if (old_idle != NO_IDX) {
            sim_task_stop(r, old_idle, INFERENCE_DRAIN);
            continue;
        }
        if (new_act > D) { /* scaled in during the rollout */
            sim_task_stop(r, new_idle != NO_IDX ? new_idle : new_any, INFERENCE_DRAIN);
            continue;
        }
        if (new_act < D && old_act + new_act < max_total) {
            uint32_t ti;
            CHECK_FALSE(r, task_new(r, si, &ti));
            continue;
        }
        if (old_run != NO_IDX && healthy - 1 >= min_healthy) {
            sim_task_stop(r, old_run, INFERENCE_DRAIN);
            continue;
        }
        if (old_act == 0 && sv->rolling) {
            sv->rolling = false;
            sv->rollouts++;
            sv->rollout_s += (double)(engine_now(&r->e) - sv->rollout_start_us) / 1e6;
        }
        return old_act > 0;
    }
    return true;
}

/* A new revision of service arg's image: a rolling deployment starts. */
static void ev_deploy(struct engine *e, void *ctx, uint64_t arg)
{
    struct run *r = ctx;
    struct service *sv = &r->svcs[arg];
    if (sv->rolling) { /* the previous rollout is superseded */
        sv->rollouts++;
        sv->rollout_s += (double)(engine_now(e) - sv->rollout_start_us) / 1e6;
    }
    sv->rev++;
    sv->rolling = true;
    sv->rollout_start_us = engine_now(e);
    sim_reconcile(r, (int)arg);
}

/* Makes service si's live, not doomed task count equal its desired count. */
static void reconcile_one(struct run *r, unsigned si)
{
    struct service *sv = &r->svcs[si];
    if (sv->rolling && rollout_step(r, si))
        return;
    int32_t active = 0;
    for (uint32_t i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        if (t->s == si && t->state != T_DONE && t->state != T_STOPPING && !t->doomed)
            active++;
    }
    while (active < sv->desired && engine_now(&r->e) >= sv->relaunch_at) {
        uint32_t ti;
        CHECK(r, task_new(r, si, &ti));
        active++;
    }
    while (active > sv->desired) {
        /* [U] SIM_STOP_ORDER */
        uint32_t best = NO_IDX;
        int64_t best_key = INT64_MIN;
        for (uint32_t i = 0; i < r->ntasks; i++) {
            const struct task *t = &r->tasks[i];
            if (t->s != si || t->state == T_DONE || t->state == T_STOPPING || t->doomed)
                continue;
            int64_t key;
            if (t->state == T_PENDING)
                key = INT64_MAX - 1 - (int64_t)i; /* any pending, oldest last */
            else if (t->state == T_STARTING)
                key = INT64_MAX / 2 + t->created_us;
            else if (t->node == NO_IDX) /* Fargate: newest first */
                key = t->created_us;
            else
                key = -(int64_t)r->nodes[t->node].tasks * 1000000 + (int64_t)i;
            if (best == NO_IDX || key > best_key) {
                best = i;
                best_key = key;
            }
        }
        if (best == NO_IDX)
            break;
        sim_task_stop(r, best, INFERENCE_DRAIN);
        active--;
    }
}

/* Reconciles service si (or every service when si < 0) and places. */
void sim_reconcile(struct run *r, int si)
{
    if (si >= 0)
        reconcile_one(r, (unsigned)si);
    else
        for (unsigned k = 0; k < r->nsvcs && !r->status; k++)
            reconcile_one(r, k);
    sim_place_pending(r);
}

/* ------------------------------------------------------------------------ */
/* Service scaling                                                            */

static int32_t running_replicas(const struct run *r, unsigned si)
{
    int32_t n = 0;
    for (uint32_t i = 0; i < r->ntasks; i++)
        if (r->tasks[i].s == si && r->tasks[i].state == T_RUNNING)
            n++;
    return n;
}

/* The metric per replica over a window. */
static double metric_value(int metric, const struct inference_window_stats *w, int32_t replicas)
{
    double n = replicas > 0 ? replicas : 1;
    switch (metric) {
    case SCENARIO_METRIC_REQUESTS_PER_TARGET:
        return w->arrivals_per_s * 60.0 / n;
    case SCENARIO_METRIC_UTILIZATION:
        return isnan(w->utilization) ? 100.0 : w->utilization * 100.0;
    default:
        return w->in_system_mean / n;
    }
}

/* The Application Auto Scaling metric of a scenario metric. */
static enum ecs_service_metric ecs_metric(int metric)
{
    return metric == SCENARIO_METRIC_REQUESTS_PER_TARGET ? ECS_SERVICE_METRIC_ALB_REQ
           : metric == SCENARIO_METRIC_UTILIZATION       ? ECS_SERVICE_METRIC_GPU
                                                         : ECS_SERVICE_METRIC_CUSTOM;
}

/* ECS: one datapoint of the 1-minute metric to target tracking. */
static void ecs_service_tick(struct run *r, unsigned si, int64_t now)
{
    struct service *sv = &r->svcs[si];
    struct inference_window_stats ws;
    int32_t running = running_replicas(r, si);
    inference_window_read(&sv->svc, &sv->win, &ws);
    inference_window_mark(&sv->svc, &sv->win);
    /* each policy watches its metric (a step pair: the same one) */
    for (uint32_t p = 0; p < sv->ecs_svc.cfg.npolicies; p++)
        CHECK(r, ecs_service_observe(&sv->ecs_svc, p, now,
                                     metric_value(sv->pol_metric[p], &ws, running), &r->err));
    struct ecs_service_decision d;
    ecs_service_evaluate(&sv->ecs_svc, now, running, &d);
    if (d.desired != sv->desired) {
        sv->desired = d.desired;
        sim_reconcile(r, (int)si);
    }
}

/* EKS: the HPA sync on the metric over the last 60 s (four 15-s marks). */
static void hpa_tick(struct run *r, unsigned si, int64_t now)
{
    struct service *sv = &r->svcs[si];
    struct inference_window_stats ws;
    int32_t running = running_replicas(r, si);
    unsigned oldest = sv->ring_n >= HPA_RING ? sv->ring_n % HPA_RING : 0;
    inference_window_read(&sv->svc, &sv->ring[oldest], &ws);
    inference_window_mark(&sv->svc, &sv->ring[sv->ring_n % HPA_RING]);
    sv->ring_n++;
    int32_t existing = 0;
    for (uint32_t i = 0; i < r->ntasks; i++)
        if (r->tasks[i].s == si && r->tasks[i].state != T_DONE && !r->tasks[i].doomed)
            existing++;
    struct hpa_input in;
    memset(&in, 0, sizeof in);
    in.spec_replicas = sv->desired;
    in.status_replicas = existing;
    in.pods_total = existing;
    in.pods_ready = running;
    for (unsigned k = 0; k <= sv->scaling->nmore; k++) {
        int m = k ? sv->scaling->more[k - 1].metric : sv->scaling->metric;
        in.metrics[k].valid = running > 0 || m != SCENARIO_METRIC_UTILIZATION;
        double total = metric_value(m, &ws, running) * (running > 0 ? running : 1);
        in.metrics[k].value_milli = (int64_t)llround(total * 1000.0);
    }
    struct hpa_decision d = hpa_step(&sv->hpa, now, &in);
    if (d.desired != sv->desired && d.reason != HPA_NOT_DUE) {
        sv->desired = d.desired;
        sim_reconcile(r, (int)si);
    }
}

static void ev_service_tick(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    for (unsigned si = 0; si < r->nsvcs && !r->status; si++) {
        if (r->ecs)
            ecs_service_tick(r, si, now);
        else if (r->svcs[si].hpa_open) /* KEDA services have their own event */
            hpa_tick(r, si, now);
    }
    pdb_retry(r);
    struct hpa_ctrl_cfg hc; /* every HPA has the controller's sync period */
    hpa_ctrl_defaults(&hc);
    int64_t period = r->ecs ? MINUTE : hc.sync_period_us;
    CHECK(r, engine_after(e, period, ev_service_tick, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* ECS capacity providers                                                     */

static void ecs_capacity_group_step(struct run *r, int gi, int64_t now)
{
    struct group *g = &r->grp[gi];
    for (int cp = 0; cp < g->ncp; cp++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < r->nnodes; i++) {
            const struct node *nd = &r->nodes[i];
            if (nd->state == N_GONE || nd->g != gi || nd->cp != cp)
                continue;
            g->inst_buf[n] = (struct ecs_capacity_instance){
                .launched_us = nd->launch_us,
                .tasks = nd->tasks,
                .draining = nd->state == N_DRAINING,
            };
            g->inst_node[n++] = i;
        }
        uint32_t nshapes = 0;
        if (gi != G_TRAIN) {
            uint32_t pending = 0;
            for (uint32_t i = 0; i < r->ntasks; i++) {
                const struct task *t = &r->tasks[i];
                if (t->state == T_PENDING && t->cp == cp && r->svcs[t->s].gi == gi)
                    pending++;
            }
            g->shapes[0].count = pending;
            nshapes = pending ? 1 : 0;
        } else {
            nshapes = train_pending_shapes(r, cp);
        }
        struct ecs_capacity_input in = {
            .instances = g->inst_buf,
            .ninstances = n,
            .groups = g->shapes,
            .ngroups = nshapes,
        };
        struct ecs_capacity_decision d;
        memset(&d, 0, sizeof d);
        d.terminate = g->term_buf;
        d.terminate_cap = n;
        CHECK(r, ecs_capacity_step(&g->cpcap[cp], now, &in, &d, &r->err));
        for (uint32_t k = 0; k < d.launch; k++) {
            int rc = sim_node_launch(r, gi, cp == 1 || (g->ncp == 1 && g->spot->pct == 100), cp,
                                     false, NULL);
            if (rc == OS_EFULL || rc == OS_ENOFIT)
                break; /* the ASG retries at the next step */
            CHECK(r, rc);
        }
        for (uint32_t k = 0; k < d.nterminate; k++) {
            uint32_t ni = g->inst_node[d.terminate[k]];
            if (r->nodes[ni].tasks == 0)
                sim_node_terminate(r, ni, COST_END_TERMINATED);
        }
    }
}

static void ev_ecs_capacity(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    for (int gi = 0; gi < G_MAX && !r->status; gi++)
        if (r->grp[gi].on)
            ecs_capacity_group_step(r, gi, now);
    CHECK(r, engine_after(e, MINUTE, ev_ecs_capacity, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* Fragmentation                                                              */

/* How many more replicas of a service of its group node ni could take now
 * (the services of a group have one replica shape). */
static uint32_t node_room(const struct run *r, uint32_t ni)
{
    const struct node *n = &r->nodes[ni];
    if (n->state != N_READY || n->g == G_TRAIN)
        return 0;
    const struct group *g = &r->grp[n->g];
    uint32_t cid = n->cid;
    int32_t cpu = g->c.cpu_free[cid] / (g->req.cpu_milli ? g->req.cpu_milli : 1);
    int32_t mem = g->c.mem_free[cid] / (g->req.mem_mib ? g->req.mem_mib : 1);
    int32_t gpu = g->c.res_free[cid] / (g->req.gpu.count ? g->req.gpu.count : 1);
    if (g->next) { /* MIG mixed: instances of the first service's profile */
        int64_t cap[SIM_EXT_MAX], fr[SIM_EXT_MAX];
        sim_node_ext(r, ni, cap, fr);
        gpu = (int32_t)(fr[0] / (g->req.gpu.count ? g->req.gpu.count : 1));
    }
    int32_t m = cpu < mem ? cpu : mem;
    m = m < gpu ? m : gpu;
    return m > 0 ? (uint32_t)m : 0;
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
    n->noticed = true;
    r->spot_exposure_s += (double)(engine_now(e) - n->launch_us) / 1e6;
    struct group *g = &r->grp[n->g];
    /* ECS spot draining / Karpenter interruption handling: no new work */
    if (n->state == N_READY)
        CHECK(r, cluster_set_state(&g->c, n->cid, CLUSTER_NODE_DRAINING, &r->err));
    else if (n->ev) {
        engine_cancel(e, n->ev);
        n->ev = 0;
        CHECK(r, cluster_set_state(&g->c, n->cid, CLUSTER_NODE_DRAINING, &r->err));
    }
    n->state = N_DRAINING;
    CHECK(r, engine_after(e, r->market.notice_us, ev_spot_terminate, r, arg, &n->ev2, &r->err));
    if (n->awaited) /* a consolidation replacement that will not come */
        sim_karpenter_replacement_lost(r, (uint32_t)arg);
    if (n->g == G_TRAIN) {
        /* [U] SIM_SPOT_TRAINING: Karpenter drains the node at the notice, so
         * the gang stops now; ECS spot draining leaves standalone tasks
         * running until the instance terminates. No job checkpoints on the
         * notice. */
        if (!r->ecs) {
            train_node_lost(r, (uint32_t)arg);
            sim_place_pending(r);
        }
        return;
    }
    /* the service's replicas are replaced now and killed at termination */
    for (uint32_t t = 0; t < r->ntasks; t++)
        if (r->tasks[t].node == arg && r->tasks[t].state != T_DONE)
            r->tasks[t].doomed = true;
    sim_reconcile(r, -1);
}

static void ev_spot_terminate(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    struct node *n = &r->nodes[arg];
    n->ev2 = 0;
    if (n->state == N_GONE)
        return;
    if (n->g == G_TRAIN) {
        train_node_lost(r, (uint32_t)arg);
    } else {
        for (uint32_t t = 0; t < r->ntasks; t++) {
            struct task *tk = &r->tasks[t];
            if (tk->node != arg || tk->state == T_DONE)
                continue;
            if (tk->state == T_RUNNING || tk->state == T_STOPPING) {
                tk->state = T_STOPPING;
                CHECK(r, inference_remove_replica(&r->svcs[tk->s].svc, tk->replica,
                                                  INFERENCE_KILL_RETRY, &r->err));
            } else {
                sim_task_stop(r, t, INFERENCE_KILL_RETRY);
            }
        }
    }
    sim_node_terminate(r, (uint32_t)arg, COST_END_INTERRUPTED);
    sim_place_pending(r);
}

/* ------------------------------------------------------------------------ */
/* Sampling                                                                   */

static double fragmentation_pct(const struct run *r)
{
    /* GPU capacity free on ready nodes where a replica cannot start (its
     * CPU, memory or GPU units do not suffice), over all GPUs of ready nodes */
    double total = 0, frag = 0;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *n = &r->nodes[i];
        if (n->state != N_READY || n->g == G_TRAIN)
            continue;
        const struct group *g = &r->grp[n->g];
        uint32_t upg = g->c.pools[g->tpool[n->ti]].units_per_gpu;
        total += sim_node_type(r, n)->gpus;
        if (!node_room(r, i))
            frag += (double)g->c.res_free[n->cid] / (upg ? upg : 1);
    }
    return total > 0 ? 100.0 * frag / total : 0;
}

static void ev_sample(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    int64_t now = engine_now(e);
    if (r->nsvcs) {
        r->frag_sum += fragmentation_pct(r);
        r->frag_n++;
    }
    if (r->series) {
        double nodes = 0, gpus = 0;
        for (uint32_t i = 0; i < r->nnodes; i++) {
            const struct node *n = &r->nodes[i];
            if (n->state == N_GONE)
                continue;
            nodes++;
            const struct group *g = &r->grp[n->g];
            const struct catalog_instance *type = sim_node_type(r, n);
            if (n->state == N_READY || n->state == N_DRAINING)
                gpus += type->gpus;
            double price = n->spot ? spot_price_at(&r->market.pools[g->tmarket[n->ti]].price, now)
                                   : type->price_usd_per_hour;
            int64_t from = n->launch_us > r->sample_prev ? n->launch_us : r->sample_prev;
            r->cost_accrued += price * (double)(now - from) / 3.6e9;
        }
        double queue = 0;
        uint32_t replicas = 0;
        for (unsigned si = 0; si < r->nsvcs; si++) {
            struct service *sv = &r->svcs[si];
            struct inference_window_stats ws;
            inference_window_read(&sv->svc, &sv->sample_mark, &ws);
            inference_window_mark(&sv->svc, &sv->sample_mark);
            replicas += inference_active_replicas(&sv->svc);
            queue += ws.queue_mean;
        }
        uint32_t jobs = r->book_open ? r->book.running : 0;
        uint32_t pend = 0;
        for (uint32_t i = 0; i < r->ntasks; i++)
            pend += r->tasks[i].state == T_PENDING;
        if (r->grp[G_TRAIN].on)
            pend += train_pending_pods(r);
        fprintf(r->series, "%s,%llu,%.0f,%.0f,%.0f,%.4f,%u,%.4f,%u,%u,%.4f\n", r->v->name,
                (unsigned long long)r->seed, (double)now / 1e6, nodes, gpus, r->g_alloc.level,
                replicas, queue, pend, jobs, r->cost_accrued);
        r->sample_prev = now;
    }
    if (now + r->sc->interval_us <= r->sc->duration_us)
        CHECK(r, engine_after(e, r->sc->interval_us, ev_sample, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                     */

/* The GPU sharing configuration of group g on a node of type t (MIG: the
 * profile's single-strategy layout on t's GPU family; *mig_frac its compute
 * slices / 7). */
static int group_gpu_cfg(const struct group *g, const struct catalog *cat,
                         const struct catalog_instance *t, struct gpu_cfg *gc, double *mig_frac,
                         struct os_error *err)
{
    memset(gc, 0, sizeof *gc);
    *mig_frac = 0;
    switch (g->sharing) {
    case SCENARIO_SHARE_TIMESLICE:
        gc->mode = GPU_MODE_TIMESLICE;
        gc->replicas = (uint16_t)g->replicas_per_gpu;
        break;
    case SCENARIO_SHARE_MPS:
        gc->mode = GPU_MODE_MPS;
        gc->replicas = (uint16_t)g->replicas_per_gpu;
        break;
    case SCENARIO_SHARE_MIG: {
        gc->mode = GPU_MODE_MIG;
        gc->mig_strategy = GPU_MIG_SINGLE;
        gc->mig_family = cat->gpu_models[t->gpu_model].mig_family;
        if (g->mig_strategy == SCENARIO_MIG_MIXED) {
            gc->mig_strategy = GPU_MIG_MIXED;
            /* mig_layouts[0] at boot, the others as repartition targets */
            for (unsigned k = 0; k < g->nlayouts; k++) {
                struct gpu_mig_layout *l = k ? &gc->mig_alt[k - 1] : NULL;
                int rc =
                    gpu_mig_layout_parse(gc->mig_family, g->mig_layouts[k],
                                         l ? l->e : gc->mig_layout, l ? &l->n : &gc->mig_n, err);
                if (rc) {
                    char msg[sizeof err->msg];
                    snprintf(msg, sizeof msg, "%s", err->msg);
                    return os_errorf(err, rc, "MIG layout on %s: %s", t->name, msg);
                }
            }
            gc->mig_nalt = (uint8_t)(g->nlayouts ? g->nlayouts - 1 : 0);
            break; /* each service's share: its own profile (setup_group) */
        }
        int p = gpu_mig_profile_find(gc->mig_family, g->mig_profile);
        if (p < 0)
            return os_errorf(err, OS_EINVAL, "unknown MIG profile '%s' on %s", g->mig_profile,
                             t->name);
        gc->mig_n = gpu_mig_single_layout(gc->mig_family, (uint8_t)p, gc->mig_layout);
        size_t np;
        *mig_frac = gpu_mig_profiles(gc->mig_family, &np)[p].compute / 7.0;
        break;
    }
    default:
        gc->mode = GPU_MODE_WHOLE;
        break;
    }
    return OS_OK;
}

void sim_type_ext(const struct group *g, unsigned ti, unsigned li, int64_t out[SIM_EXT_MAX])
{
    memset(out, 0, SIM_EXT_MAX * sizeof *out);
    if (!g->next)
        return;
    const struct gpu_cfg *gc = &g->c.pools[g->tpool[ti]].gpu;
    for (unsigned k = 0; k < g->next; k++)
        out[k] = gpu_cfg_layout_count(gc, (uint8_t)li, g->ext_prof[k]) * g->types[ti]->gpus;
}

void sim_node_ext(const struct run *r, uint32_t ni, int64_t cap[SIM_EXT_MAX],
                  int64_t free_[SIM_EXT_MAX])
{
    memset(cap, 0, SIM_EXT_MAX * sizeof *cap);
    memset(free_, 0, SIM_EXT_MAX * sizeof *free_);
    const struct node *n = &r->nodes[ni];
    const struct group *g = &r->grp[n->g];
    if (!g->next || n->state == N_GONE)
        return;
    const struct cluster *c = &g->c;
    const struct gpu_cfg *gc = &c->pools[c->pool[n->cid]].gpu;
    for (uint32_t gid = c->gpu_first[n->cid]; gid < c->gpu_first[n->cid] + c->gpu_count[n->cid];
         gid++) {
        uint8_t ln;
        const struct gpu_mig_place *l = gpu_cfg_layout(gc, c->gpu_layout[gid], &ln);
        /* a GPU being repartitioned (held) counts as free in its new layout:
         * the autoscalers wait for it */
        bool held = sim_mig_held(g, gid);
        for (uint8_t j = 0; j < ln; j++)
            for (unsigned k = 0; k < g->next; k++)
                if (l[j].profile == g->ext_prof[k]) {
                    cap[k]++;
                    free_[k] += held || !(c->gpu_used[gid] >> j & 1u);
                }
    }
}

/* Service sv on its group: a replica's request (CPU, memory, GPU units of
 * the group's resource, or one MIG profile's instances with the mixed
 * strategy), its compute share on each type and the replicas an empty node
 * of each type holds. gc0: the group's boot configuration on types[0]. */
static int service_shape(struct run *r, struct service *sv, const struct gpu_cfg *gc0,
                         struct os_error *err)
{
    const struct group *g = &r->grp[sv->gi];
    const struct scenario_inference *inf = sv->inf;
    memset(&sv->req, 0, sizeof sv->req);
    sv->req.group = 1;
    sv->req.cpu_milli = (int32_t)llround(inf->cpu * 1000);
    sv->req.mem_mib = (int32_t)llround(inf->memory_gib * 1024);
    sv->req.gpu.count = (uint16_t)inf->gpus;
    sv->req.gpu.milli = 1000;
    sv->req.gpu.res = gpu_cfg_resource(gc0);
    bool mixed = g->sharing == SCENARIO_SHARE_MIG && g->mig_strategy == SCENARIO_MIG_MIXED;
    sv->mig_prof = -1;
    for (unsigned ti = 0; ti < g->ntypes; ti++) {
        const struct catalog_instance *t = g->types[ti];
        const struct gpu_cfg *gc = &g->c.pools[g->tpool[ti]].gpu;
        int32_t units = t->gpus * g->c.pools[g->tpool[ti]].units_per_gpu;
        sv->tfrac[ti] = g->tmig_frac[ti];
        if (mixed) {
            size_t np;
            const struct gpu_mig_profile *pr = gpu_mig_profiles(gc->mig_family, &np);
            int p = gpu_mig_profile_find(gc->mig_family, sv->mig_profile);
            if (p < 0)
                return os_errorf(err, OS_EINVAL, "unknown MIG profile '%s' on %s", sv->mig_profile,
                                 t->name);
            int in_layout = 0; /* the most of its instances a GPU can have */
            for (uint8_t li = 0; li <= gc->mig_nalt; li++) {
                int in = gpu_cfg_layout_count(gc, li, p);
                in_layout = in > in_layout ? in : in_layout;
            }
            units = t->gpus * in_layout;
            sv->tfrac[ti] = pr[p].compute / 7.0;
            if (ti == 0) {
                char res[48];
                snprintf(res, sizeof res, "nvidia.com/mig-%s", sv->mig_profile);
                int rc = gpu_res_parse(res, &sv->req.gpu.res, err);
                if (rc)
                    return rc;
                sv->mig_prof = p;
            }
        }
        /* replicas per empty node */
        int32_t cpu = sim_alloc_cpu_milli(t) / sv->req.cpu_milli;
        int32_t mem = sim_alloc_mem_mib(t) / sv->req.mem_mib;
        int32_t gpu = units / sv->req.gpu.count;
        int32_t m = cpu < mem ? cpu : mem;
        m = m < gpu ? m : gpu;
        if (m < 1)
            return os_errorf(err, OS_EINVAL,
                             "%s: a replica (%.2f vCPU, %.2f GiB, %d GPU units) does not fit an "
                             "empty %s node",
                             r->sc->file, inf->cpu, inf->memory_gib, inf->gpus, t->name);
        sv->tper_node[ti] = (uint32_t)m;
        if (ti == 0) { /* on types[0] in the boot layout */
            int32_t boot = units;
            if (mixed) {
                boot = gpu_cfg_layout_count(gc, 0, sv->mig_prof) * t->gpus;
            }
            int32_t b = boot / sv->req.gpu.count;
            b = b < cpu ? b : cpu;
            b = b < mem ? b : mem;
            sv->per_boot = (uint32_t)(b > 0 ? b : 0);
        }
    }
    return OS_OK;
}

/* The cluster (one pool per instance type), placer, capacity providers and
 * spot pool of group gi. */
static int setup_group(struct run *r, const struct catalog *cat, int gi, struct os_error *err)
{
    struct group *g = &r->grp[gi];
    const struct scenario_variant *v = r->v;
    /* one stream per group (the service group's is stream 0), so a group's
     * draws do not depend on what the other groups did */
    int rc;
    if ((rc = rng_init(&g->rng_nodes, r->seed, "sim.nodes", (uint64_t)gi, err)) ||
        (rc = rng_init(&g->rng_tasks, r->seed, "sim.tasks", (uint64_t)gi, err)) ||
        (rc = rng_init(&g->rng_place, r->seed, "sim.place", (uint64_t)gi, err)))
        return rc;
    struct cluster_cfg cc = {.max_nodes = (uint32_t)g->max_nodes + 8, .max_groups = 1};
    cc.max_gpus = cc.max_nodes * (g->gpus_max > 0 ? g->gpus_max : 1);
    rc = cluster_init(&g->c, &cc, err);
    if (rc)
        return rc;
    g->c_open = true;
    struct gpu_cfg gc, gc0;
    for (unsigned ti = 0; ti < g->ntypes; ti++) {
        if ((rc = group_gpu_cfg(g, cat, g->types[ti], &gc, &g->tmig_frac[ti], err)) ||
            (rc = cluster_add_pool(&g->c, g->types[ti]->name, &gc, &g->tpool[ti], err)))
            return rc;
        if (ti == 0)
            gc0 = gc;
    }
    g->pool = g->tpool[0];
    struct placer_opts po;
    memset(&po, 0, sizeof po);
    po.seed = r->seed;
    po.gpu_aware = true;
    if ((rc = placer_init(&g->placer, g->placement, &g->c, &po, err)))
        return rc;
    g->placer_open = true;
    memset(&g->req, 0, sizeof g->req);
    g->req.gpu.milli = 1000;
    g->req.gpu.res = gpu_cfg_resource(&gc0);
    g->req.group = 1;
    const struct scenario_inference *inf = NULL;
    for (unsigned si = 0; si < r->nsvcs; si++) {
        struct service *sv = &r->svcs[si];
        if (sv->gi != gi)
            continue;
        if ((rc = service_shape(r, sv, &gc0, err)))
            return rc;
        sv->ext = -1; /* its profile's extended resource, when mixed */
        for (unsigned k = 0; sv->mig_prof >= 0 && k < g->next; k++)
            if (g->ext_prof[k] == sv->mig_prof)
                sv->ext = (int8_t)k;
        if (sv->mig_prof >= 0 && sv->ext < 0) {
            if (g->next == SIM_EXT_MAX)
                return os_errorf(err, OS_EINVAL, "more than %d MIG profiles in one node group",
                                 SIM_EXT_MAX);
            sv->ext = (int8_t)g->next;
            g->ext_prof[g->next++] = sv->mig_prof;
        }
        if (!inf) { /* the group's first service: its request is the group's */
            inf = sv->inf;
            g->req = sv->req;
        }
        for (unsigned ti = 0; ti < g->ntypes; ti++)
            if (sv->tper_node[ti] > g->tper_node[ti])
                g->tper_node[ti] = sv->tper_node[ti];
    }
    for (unsigned ti = 0; ti < g->ntypes && !inf; ti++)
        g->tper_node[ti] = (uint32_t)g->types[ti]->gpus; /* pod sizes: checked by sim_check */
    g->per_node = g->tper_node[0];
    /* capacity providers: on-demand and/or spot */
    g->ncp = 1;
    if (r->ecs && g->spot->pct > 0 && g->spot->pct < 100) {
        g->ncp = 2;
        g->strat.n = 2;
        g->strat.items[0] = (struct ecs_capacity_strategy_item){0, (uint32_t)g->spot->base,
                                                                (uint32_t)(100 - g->spot->pct)};
        g->strat.items[1] = (struct ecs_capacity_strategy_item){1, 0, (uint32_t)g->spot->pct};
        const char *expr[2] = {"attribute:capacity-type == on-demand",
                               "attribute:capacity-type == spot"};
        for (int k = 0; k < 2; k++) {
            if ((rc = ecs_expr_compile(&g->c, expr[k], &g->cp_expr[k], r->sc->file, err)))
                return rc;
            g->cp_cons[k] = (struct ecs_constraint){ECS_CONSTRAINT_MEMBER_OF, &g->cp_expr[k]};
        }
    }
    for (int k = 0; k < g->ncp; k++) {
        struct ecs_capacity_cfg cfg;
        ecs_capacity_cfg_defaults(&cfg);
        cfg.ntypes = 1;
        cfg.types[0] = (struct ecs_capacity_shape){sim_alloc_cpu_milli(g->type),
                                                   sim_alloc_mem_mib(g->type), g->type->gpus};
        cfg.asg_min = k == 0 ? g->min_nodes : 0;
        cfg.asg_max = g->max_nodes;
        cfg.target_capacity = v->capacity.target_capacity_pct;
        cfg.min_step = v->capacity.min_step;
        cfg.max_step = v->capacity.max_step;
        cfg.warmup_us = v->capacity.warmup_us;
        cfg.managed_termination_protection = true;
        if ((rc = ecs_capacity_init(&g->cpcap[k], &cfg, err)))
            return rc;
        g->cp_open[k] = true;
    }
    if (inf)
        g->shapes[0].need =
            (struct ecs_capacity_shape){g->req.cpu_milli, g->req.mem_mib, inf->gpus};
    uint32_t cap = (uint32_t)g->max_nodes + 8;
    g->inst_buf = calloc(cap, sizeof *g->inst_buf);
    g->inst_node = calloc(cap, sizeof *g->inst_node);
    g->term_buf = calloc(cap, sizeof *g->term_buf);
    g->node_of = calloc(g->c.cap_nodes, sizeof *g->node_of);
    if (!g->inst_buf || !g->inst_node || !g->term_buf || !g->node_of)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    return OS_OK;
}

/* The JSON path of group gi's spot settings within a variant. */
static const char *group_path(int gi)
{
    return gi == G_SVC ? "spot" : gi == G_FLEET ? "fleet.spot" : "training.spot";
}

/* The spot pool of type t with group gi's spot settings (one zone). */
static int spot_pool_of(const struct run *r, int gi, const struct catalog_instance *t,
                        struct spot_pool_cfg *pool, struct os_error *err)
{
    const struct group *g = &r->grp[gi];
    const struct scenario_spot *sp = g->spot;
    spot_pool_cfg_defaults(pool);
    snprintf(pool->instance_type, sizeof pool->instance_type, "%s", t->name);
    snprintf(pool->availability_zone, sizeof pool->availability_zone, "%s", "us-east-1a");
    pool->on_demand_usd_per_hour = t->price_usd_per_hour;
    pool->gen.mean_discount = sp->discount;
    if (sp->price == SCENARIO_SPOT_TRACE) {
        pool->price_kind = SPOT_PRICE_TRACE;
        size_t len = strlen(sp->trace_csv);
        if (len >= sizeof pool->trace.path)
            return os_errorf(err, OS_EINVAL,
                             "%s: $.variants[%u]%s.spot.trace_csv: path longer than %zu bytes",
                             r->sc->file, (unsigned)(r->v - r->sc->variants),
                             gi == G_TRAIN ? ".training" : "", sizeof pool->trace.path - 1);
        memcpy(pool->trace.path, sp->trace_csv, len + 1);
        if (r->in && r->in->spot_rows_open && strcmp(r->in->spot_rows.path, sp->trace_csv) == 0)
            pool->trace.rows = &r->in->spot_rows; /* read once for the scenario */
        snprintf(pool->trace.instance_type, sizeof pool->trace.instance_type, "%s",
                 sp->trace_instance_type);
        snprintf(pool->trace.availability_zone, sizeof pool->trace.availability_zone, "%s",
                 sp->trace_zone);
        pool->trace.time_scale = sp->time_scale;
        pool->trace.on_demand_usd_per_hour = sp->trace_on_demand_usd_per_hour;
        if (sp->trace_origin_epoch_s > 0) {
            pool->trace.align_start = false;
            pool->trace.origin_epoch_s = (int64_t)llround(sp->trace_origin_epoch_s);
        }
    }
    if (sp->interruptions_per_hour >= 0) {
        pool->interrupt.kind = SPOT_HAZARD_RATE;
        pool->interrupt.rate_per_hour = sp->interruptions_per_hour;
    }
    double fail = sp->launch_fail_prob;
    if (sp->log_gpu[0]) {
        /* estimated from the availability log: the MLE or a 95 % bound */
        struct spot_log_estimate est;
        int rc = spot_log_estimate(sp->log_path, sp->log_gpu, sp->log_gpus, &est, err);
        if (rc) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            return os_errorf(err, rc, "%s: $.variants[%u].%s.log_gpu: %s", r->sc->file,
                             (unsigned)(r->v - r->sc->variants), group_path(gi), msg);
        }
        pool->interrupt.kind = SPOT_HAZARD_RATE;
        pool->interrupt.rate_per_hour = sp->log_estimate == SCENARIO_LOG_UPPER95 ? est.hazard_hi
                                        : sp->log_estimate == SCENARIO_LOG_LOWER95
                                            ? est.hazard_lo
                                            : est.hazard_per_hour;
        if (sp->log_launch_failures)
            fail = sp->log_estimate == SCENARIO_LOG_UPPER95   ? est.launch_fail_hi
                   : sp->log_estimate == SCENARIO_LOG_LOWER95 ? est.launch_fail_lo
                                                              : est.launch_fail_prob;
    }
    if (fail > 0) {
        pool->launch.fail_prob = fail;
        pool->launch.fallback =
            sp->fallback_on_demand ? SPOT_FALLBACK_ON_DEMAND : SPOT_FALLBACK_NONE;
    }
    return OS_OK;
}

/* Service sv's request stream. Random streams are ("...", sv->idx) of the
 * seed, so every variant sees the same requests per service. [U] The
 * azure_day profile has no randomness: fleet models given it all see the
 * same requests. */
static int setup_arrivals(struct run *r, struct service *sv, struct os_error *err)
{
    const struct scenario_inference *f = sv->inf;
    int rc;
    switch (f->arrivals) {
    case SCENARIO_ARR_REPLAY: {
        struct arrivals_replay_cfg c = {.path = f->trace_csv,
                                        .time_scale = f->time_scale,
                                        .loop = true,
                                        .end_us = r->sc->duration_us};
        rc = arrivals_init_replay(&sv->arr, &c, err);
        break;
    }
    case SCENARIO_ARR_DIURNAL: {
        /* the token mix of a trace is read once per run: services with the
         * same trace borrow the first one's table (read-only) */
        const struct arrivals_tokens *tokens = NULL;
        for (unsigned k = 0; r->in && k < r->in->ntokens && !tokens; k++)
            if (strcmp(r->in->token_path[k], f->trace_csv) == 0)
                tokens = &r->in->tokens[k];
        for (unsigned k = 0; k < r->nsvcs && &r->svcs[k] != sv && !tokens; k++)
            if (r->svcs[k].tokens_open && strcmp(r->svcs[k].inf->trace_csv, f->trace_csv) == 0)
                tokens = &r->svcs[k].tokens;
        if (!tokens) {
            rc = arrivals_tokens_from_trace(&sv->tokens, f->trace_csv, err);
            if (rc)
                return rc;
            sv->tokens_open = true;
            tokens = &sv->tokens;
        }
        struct arrivals_nhpp_cfg c;
        memset(&c, 0, sizeof c);
        rc = arrivals_rate_sine(&c.rate, f->mean_rate_per_s, f->amplitude, 86400 * US,
                                sim_secs(f->peak_hour * 3600.0) - 6 * 3600 * US, err);
        if (rc)
            return rc;
        c.end_us = r->sc->duration_us;
        c.tokens = tokens;
        c.seed = r->seed;
        c.stream = sv->idx;
        rc = arrivals_init_nhpp(&sv->arr, &c, err);
        break;
    }
    default: {
        struct arrivals_azure_day_cfg c;
        arrivals_azure_day_defaults(&c);
        c.path = f->trace_csv;
        c.mean_rate_per_s = f->mean_rate_per_s;
        c.amplitude = f->amplitude;
        c.peak_us = sim_secs(f->peak_hour * 3600.0);
        c.duration_us = r->sc->duration_us;
        rc = arrivals_init_azure_day(&sv->arr, &c, err);
        break;
    }
    }
    if (rc == OS_OK)
        sv->arr_open = true;
    return rc;
}

/* An ECS step scaling pair: scale out on metric >= step_out_threshold, in on
 * metric <= step_in_threshold, both on the service's metric. */
static int step_policies(struct ecs_service_cfg *c, enum ecs_service_metric m,
                         const struct scenario_scaling *s, struct os_error *err)
{
    static const enum ecs_service_adjust adj[] = {ECS_SERVICE_CHANGE_IN_CAPACITY,
                                                  ECS_SERVICE_PERCENT_CHANGE_IN_CAPACITY,
                                                  ECS_SERVICE_EXACT_CAPACITY};
    c->npolicies = 2;
    ecs_service_policy_step(&c->policies[0], m, ECS_SERVICE_GE, s->step_out_threshold,
                            adj[s->step_adjust]);
    ecs_service_policy_step(&c->policies[1], m, ECS_SERVICE_LE, s->step_in_threshold,
                            adj[s->step_adjust]);
    c->policies[0].u.step.cooldown_us = s->step_cooldown_us;
    c->policies[1].u.step.cooldown_us = s->step_cooldown_us;
    for (int k = 0; k < 2; k++) {
        const struct scenario_step *st = k ? s->steps_in : s->steps_out;
        unsigned n = k ? s->nsteps_in : s->nsteps_out;
        for (unsigned i = 0; i < n; i++) {
            int rc = ecs_service_step_add(&c->policies[k], !isnan(st[i].lower), st[i].lower,
                                          !isnan(st[i].upper), st[i].upper, st[i].adjustment, err);
            if (rc)
                return rc;
        }
    }
    return ecs_service_cfg_validate(c, err);
}

/* One direction of the HPA's spec.behavior from the scenario (unset fields
 * keep hpa_behavior_defaults()). */
static void hpa_rules_from(struct hpa_rules *h, const struct scenario_hpa_rules *s)
{
    if (s->window_us >= 0)
        h->window_us = s->window_us;
    h->select = (enum hpa_select)s->select;
    if (s->npolicies) {
        h->npolicies = s->npolicies;
        for (unsigned i = 0; i < s->npolicies; i++)
            h->policies[i] = (struct hpa_policy){(enum hpa_policy_type)s->policies[i].type,
                                                 s->policies[i].value, s->policies[i].period_us};
    }
}

/* Service si: its requests, replicas and service scaling. */
static int setup_service(struct run *r, unsigned si, struct os_error *err)
{
    struct service *sv = &r->svcs[si];
    sv->gpu_frac = service_gpu_frac(r, sv, 0);
    struct inference_cfg ic;
    inference_cfg_defaults(&ic);
    ic.t_prefill_us = sv->inf->t_prefill_us;
    ic.t_decode_us = sv->inf->t_decode_us;
    ic.slo_us = sv->inf->slo_us;
    ic.queue_timeout_us = sv->inf->queue_timeout_us;
    ic.seed = r->seed;
    ic.stream = sv->idx;
    ic.capacity_hint = 4096;
    ic.hooks.ctx = sv;
    ic.hooks.on_replica_gone = on_replica_gone;
    int rc = inference_init(&sv->svc, &r->e, &ic, err);
    if (rc)
        return rc;
    sv->svc_open = true;
    if ((rc = setup_arrivals(r, sv, err)) || (rc = inference_feed(&sv->svc, &sv->arr, err)))
        return rc;
    sv->desired = sv->inf->initial_replicas;
    if (r->ecs) {
        struct ecs_service_cfg scfg;
        ecs_service_cfg_defaults(&scfg);
        scfg.min_capacity = sv->inf->min_replicas;
        scfg.max_capacity = sv->inf->max_replicas;
        scfg.npolicies = 1;
        enum ecs_service_metric m = ecs_metric(sv->scaling->metric);
        if (sv->scaling->policy == SCENARIO_POLICY_STEP) {
            if ((rc = step_policies(&scfg, m, sv->scaling, err))) {
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err->msg);
                return os_errorf(err, rc, "%s: $.variants[%u].%sscaling: %s", r->sc->file,
                                 (unsigned)(r->v - r->sc->variants), sv->llm ? "" : "fleet.", msg);
            }
        } else {
            ecs_service_policy_tt(&scfg.policies[0], m, sv->scaling->target);
            scfg.policies[0].u.tt.scale_out_cooldown_us = sv->scaling->out_cooldown_us;
            scfg.policies[0].u.tt.scale_in_cooldown_us = sv->scaling->in_cooldown_us;
        }
        for (uint32_t p = 0; p < scfg.npolicies; p++)
            sv->pol_metric[p] = sv->scaling->metric;
        /* more target tracking policies, one per extra metric */
        for (unsigned k = 0; k < sv->scaling->nmore; k++) {
            struct ecs_service_policy *pp = &scfg.policies[scfg.npolicies];
            ecs_service_policy_tt(pp, ecs_metric(sv->scaling->more[k].metric),
                                  sv->scaling->more[k].target);
            pp->u.tt.scale_out_cooldown_us = sv->scaling->out_cooldown_us;
            pp->u.tt.scale_in_cooldown_us = sv->scaling->in_cooldown_us;
            sv->pol_metric[scfg.npolicies++] = sv->scaling->more[k].metric;
        }
        if ((rc = ecs_service_init(&sv->ecs_svc, &scfg, sv->desired, err)))
            return rc;
        sv->ecs_svc_open = true;
    } else if (sv->scaling->autoscaler == SCENARIO_SCALER_KEDA) {
        if ((rc = sim_keda_setup(r, sv, err)))
            return rc;
    } else {
        struct hpa_cfg hc;
        hpa_cfg_defaults(&hc);
        hc.ctrl.downscale_window_us = sv->scaling->down_window_us;
        hc.spec.min_replicas = sv->inf->min_replicas > 0 ? sv->inf->min_replicas : 1;
        hc.spec.max_replicas = sv->inf->max_replicas;
        hc.spec.nmetrics = 1 + sv->scaling->nmore;
        for (unsigned k = 0; k <= sv->scaling->nmore; k++)
            hc.spec.metrics[k] = (struct hpa_metric_spec){
                .source = HPA_SOURCE_EXTERNAL,
                .target = HPA_TARGET_AVERAGE_VALUE,
                .target_milli = (int64_t)llround(
                    (k ? sv->scaling->more[k - 1].target : sv->scaling->target) * 1000.0),
            };
        if (sv->scaling->has_behavior) {
            hc.spec.has_behavior = true;
            hpa_behavior_defaults(&hc.spec.behavior);
            hpa_rules_from(&hc.spec.behavior.up, &sv->scaling->up);
            hpa_rules_from(&hc.spec.behavior.down, &sv->scaling->down);
        }
        if ((rc = hpa_init(&sv->hpa, &hc, err)))
            return rc;
        sv->hpa_open = true;
    }
    /* rolling deployments of the LLM service */
    for (unsigned k = 0; sv->llm && k < sv->inf->ndeploys; k++) {
        int64_t at = sim_secs(sv->inf->deploy_at_s[k]);
        if (at < r->sc->duration_us &&
            (rc = engine_schedule(&r->e, at, ev_deploy, r, si, NULL, err)))
            return rc;
    }
    return OS_OK;
}

/* The spot market pool of group gi's type ti: a new one in pools[*n], or the
 * pool of an earlier group that lists the same type (one zone), whose spot
 * settings must then be the same. */
static int market_pool_of(struct run *r, int gi, unsigned ti, struct spot_pool_cfg *pools,
                          size_t *n, struct os_error *err)
{
    const struct scenario *sc = r->sc;
    const struct scenario_variant *v = r->v;
    struct group *g = &r->grp[gi];
    const struct catalog_instance *t = g->types[ti];
    int same = -1;
    unsigned sk = 0;
    for (int k = 0; k < gi && same < 0; k++)
        for (unsigned j = 0; r->grp[k].on && !r->grp[k].fargate && j < r->grp[k].ntypes; j++)
            if (r->grp[k].types[j] == t) {
                same = k;
                sk = j;
            }
    if (same < 0) {
        g->tmarket[ti] = *n;
        return spot_pool_of(r, gi, t, &pools[(*n)++], err);
    }
    const struct scenario_spot *a = r->grp[same].spot, *b = g->spot;
    if (a->price != b->price || a->discount != b->discount ||
        a->interruptions_per_hour != b->interruptions_per_hour ||
        a->launch_fail_prob != b->launch_fail_prob ||
        a->fallback_on_demand != b->fallback_on_demand || strcmp(a->trace_csv, b->trace_csv) ||
        strcmp(a->trace_zone, b->trace_zone) ||
        strcmp(a->trace_instance_type, b->trace_instance_type) || a->time_scale != b->time_scale ||
        a->trace_on_demand_usd_per_hour != b->trace_on_demand_usd_per_hour ||
        a->trace_origin_epoch_s != b->trace_origin_epoch_s || a->rebalance != b->rebalance ||
        strcmp(a->log_gpu, b->log_gpu) || a->log_gpus != b->log_gpus ||
        a->log_estimate != b->log_estimate || a->log_launch_failures != b->log_launch_failures ||
        strcmp(a->log_path, b->log_path))
        return os_errorf(err, OS_EINVAL,
                         "%s: $.variants[%u]: %s and %s run on %s but describe its spot market "
                         "differently (price, discount, interruptions, launch failures must "
                         "match)",
                         sc->file, (unsigned)(v - sc->variants), group_path(same), group_path(gi),
                         t->name);
    g->tmarket[ti] = r->grp[same].tmarket[sk];
    return OS_OK;
}

static int setup(struct run *r, const struct catalog *cat, struct os_error *err)
{
    const struct scenario *sc = r->sc;
    const struct scenario_variant *v = r->v;
    int rc = engine_init(&r->e, 1 << 14, err);
    if (rc)
        return rc;
    struct spot_pool_cfg pools[G_MAX * SIM_TYPES_MAX];
    size_t npools = 0;
    for (int gi = 0; gi < G_MAX; gi++) {
        struct group *g = &r->grp[gi];
        if (!g->on)
            continue;
        if (g->fargate) {
            /* no nodes, no market: only the start-up draws */
            if ((rc = rng_init(&g->rng_tasks, r->seed, "sim.tasks", (uint64_t)gi, err)))
                return rc;
            continue;
        }
        if ((rc = setup_group(r, cat, gi, err)))
            return rc;
        for (unsigned ti = 0; ti < g->ntypes && !rc; ti++)
            rc = market_pool_of(r, gi, ti, pools, &npools, err);
        if (rc)
            return rc;
        g->market_pool = g->tmarket[0];
    }
    /* spot market: one pool per instance type */
    struct spot_market_cfg mc;
    spot_market_cfg_defaults(&mc);
    mc.seed = r->seed;
    mc.horizon_us = sc->duration_us + 3600 * US;
    for (int gi = 0; gi < G_MAX; gi++)
        if (r->grp[gi].on && r->grp[gi].spot && r->grp[gi].spot->rebalance)
            mc.rebalance = true;
    mc.pools = pools;
    mc.npools = npools;
    if ((rc = spot_market_init(&r->market, &mc, err))) {
        if (err->msg[0] && !strstr(err->msg, sc->file)) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            /* the message names the pool's type: blame the group that has it */
            const char *path = "spot";
            for (int gi = G_MAX - 1; gi >= 0; gi--)
                for (unsigned ti = 0;
                     r->grp[gi].on && !r->grp[gi].fargate && ti < r->grp[gi].ntypes; ti++)
                    if (strstr(msg, r->grp[gi].types[ti]->name))
                        path = group_path(gi);
            return os_errorf(err, rc, "%s: $.variants[%u].%s: %s", sc->file,
                             (unsigned)(v - sc->variants), path, msg);
        }
        return rc;
    }
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
    if (r->grp[G_TRAIN].on && (rc = train_setup(r, err)))
        return rc;
    for (unsigned si = 0; si < r->nsvcs; si++)
        if ((rc = setup_service(r, si, err)))
            return rc;
    return sim_karpenter_setup(r, err);
}

/* Launches `count` ready nodes of group gi's types[0] at time 0, splitting
 * them over the capacity providers (ECS) or the spot share (EKS) as scaling
 * would. */
static int warm_nodes(struct run *r, int gi, uint32_t count, struct os_error *err)
{
    struct group *g = &r->grp[gi];
    uint32_t have1 = 0;
    for (uint32_t k = 0; k < count; k++) {
        bool spot;
        int cp = 0;
        if (r->ecs && g->ncp > 1) {
            uint32_t counts[2];
            int rc = ecs_capacity_strategy_split(&g->strat, k + 1, counts, err);
            if (rc)
                return rc;
            cp = counts[1] > have1 ? 1 : 0;
            spot = cp == 1;
        } else if (r->ecs) {
            spot = g->spot->pct == 100;
        } else {
            uint32_t total = 0, nspot = 0;
            for (uint32_t i = 0; i < r->nnodes; i++)
                if (r->nodes[i].state != N_GONE && r->nodes[i].g == gi) {
                    total++;
                    nspot += r->nodes[i].spot;
                }
            spot = sim_spot_next(g->spot->pct, total, nspot);
        }
        int rc = sim_node_launch(r, gi, spot, cp, true, NULL);
        if (rc == OS_EFULL || rc == OS_ENOFIT)
            break;
        if (rc)
            return rc;
        have1 += cp == 1;
    }
    return OS_OK;
}

/* [U] SIM_WARM_START: nodes for the initial replicas, ready and cached, and
 * the replicas running (with Karpenter, the nodes its provisioning would
 * launch for them); the training group starts at its min_nodes. */
static int warm_start(struct run *r, struct os_error *err)
{
    int rc;
    if (r->grp[G_TRAIN].on &&
        (rc = warm_nodes(r, G_TRAIN, (uint32_t)r->grp[G_TRAIN].min_nodes, err)))
        return rc;
    for (int gi = G_SVC; gi <= G_FLEET; gi++) {
        const struct group *g = &r->grp[gi];
        if (!g->on || g->fargate)
            continue;
        if (sim_karpenter_on(r)) {
            if ((rc = sim_karpenter_warm(r, gi, err)))
                return rc;
            continue;
        }
        /* [U] SIM_WARM_NODES: the replicas of each workload part (the LLM
         * service, the fleet's models) at their boot-layout count per node;
         * parts sharing the group's GPU resource (or one MIG profile) add up,
         * distinct MIG profiles of a mixed layout share nodes (the largest
         * count; CPU and memory are not shared out) */
        uint32_t want[2] = {0, 0}, per[2] = {1, 1}, nodes = 0;
        double by_profile[SIM_EXT_MAX] = {0}; /* mixed: nodes' worth per profile */
        for (unsigned si = 0; si < r->nsvcs; si++)
            if (r->svcs[si].gi == gi) {
                const struct service *sv = &r->svcs[si];
                want[!sv->llm] += (uint32_t)sv->desired;
                per[!sv->llm] = sv->per_boot;
                int k = sv->ext;
                if (k >= 0 && sv->per_boot)
                    by_profile[k] += (double)sv->desired / sv->per_boot;
            }
        if (g->next) {
            for (unsigned k = 0; k < g->next; k++)
                if ((uint32_t)ceil(by_profile[k] - 1e-9) > nodes)
                    nodes = (uint32_t)ceil(by_profile[k] - 1e-9);
        } else if (want[0] && want[1]) {
            double need = (double)want[0] / per[0] + (double)want[1] / per[1];
            nodes = (uint32_t)ceil(need - 1e-9);
        } else {
            unsigned k = want[0] ? 0 : 1;
            nodes = per[k] ? (want[k] + per[k] - 1) / per[k] : 0;
        }
        if (nodes < (uint32_t)g->min_nodes)
            nodes = (uint32_t)g->min_nodes;
        if ((rc = warm_nodes(r, gi, nodes, err)))
            return rc;
    }
    for (unsigned si = 0; si < r->nsvcs; si++)
        for (int32_t k = 0; k < r->svcs[si].desired; k++) {
            uint32_t ti;
            if ((rc = task_new(r, si, &ti)))
                return rc;
        }
    uint32_t left[G_MAX] = {0};
    sim_try_place(r, left);
    /* the placed replicas are running at time 0 */
    r->warming = true;
    for (uint32_t i = 0; i < r->ntasks; i++) {
        struct task *t = &r->tasks[i];
        if (t->state != T_STARTING)
            continue;
        engine_cancel(&r->e, t->ev);
        ev_task_running(&r->e, r, i);
        t->created_us = t->running_us = 0;
    }
    r->warming = false;
    metrics_hist_reset(&r->h_pending);
    metrics_hist_reset(&r->h_start);
    if (r->status)
        return os_errorf(err, r->status, "%s", r->err.msg);
    sim_gauges_update(r);
    return OS_OK;
}

static void teardown(struct run *r)
{
    train_teardown(r);
    sim_scale_teardown(r);
    sim_karpenter_teardown(r);
    for (unsigned si = r->nsvcs; si-- > 0;) { /* borrowers (later) before lenders */
        struct service *sv = &r->svcs[si];
        if (sv->svc_open)
            inference_destroy(&sv->svc);
        if (sv->arr_open)
            arrivals_destroy(&sv->arr);
        if (sv->tokens_open)
            arrivals_tokens_destroy(&sv->tokens);
        if (sv->hpa_open)
            hpa_destroy(&sv->hpa);
        if (sv->ecs_svc_open)
            ecs_service_destroy(&sv->ecs_svc);
        free(sv->replica_task);
    }
    for (int gi = 0; gi < G_MAX; gi++) {
        struct group *g = &r->grp[gi];
        for (int k = 0; k < 2; k++) {
            if (g->cp_open[k])
                ecs_capacity_destroy(&g->cpcap[k]);
            if (g->cp_expr[k].nodes)
                ecs_expr_destroy(&g->cp_expr[k]);
        }
        if (g->placer_open)
            placer_destroy(&g->placer);
        if (g->c_open)
            cluster_destroy(&g->c);
        rng_destroy(&g->rng_nodes);
        rng_destroy(&g->rng_tasks);
        rng_destroy(&g->rng_place);
        if (g->mig_open)
            rng_destroy(&g->rng_mig);
        free(g->gpu_reconf);
        free(g->gpu_reconf_ev);
        free(g->inst_buf);
        free(g->inst_node);
        free(g->term_buf);
        free(g->node_of);
    }
    if (r->market_open)
        spot_market_destroy(&r->market);
    if (r->cost_open)
        cost_meter_destroy(&r->cost);
    if (r->hists_open) {
        metrics_hist_destroy(&r->h_pending);
        metrics_hist_destroy(&r->h_start);
    }
    engine_destroy(&r->e);
    free(r->nodes);
    free(r->tasks);
    if (r->series)
        fclose(r->series);
    free(r->series_buf);
}

/* ------------------------------------------------------------------------ */
/* Results                                                                    */

void sim_put(struct sim_result *o, const char *name, double v)
{
    if (o->nmetrics < SIM_METRICS_MAX) {
        o->name[o->nmetrics] = name;
        o->value[o->nmetrics++] = v;
    } else {
        o->overflow++;
    }
}

static int finish(struct run *r, struct sim_result *o, struct os_error *err)
{
    int64_t end = r->sc->duration_us;
    /* book live replicas, gangs and nodes at the horizon */
    for (uint32_t i = 0; i < r->ntasks; i++) {
        struct task *t = &r->tasks[i];
        if (t->fargate_on) {
            const struct group *g = &r->grp[r->svcs[t->s].gi];
            t->fargate_on = false;
            int rc =
                cost_fargate_task(&r->cost, g->fargate_vcpu, g->fargate_gb, t->placed_us, end, err);
            if (rc)
                return rc;
            continue;
        }
        if (t->node == NO_IDX)
            continue;
        if (t->state == T_RUNNING || t->state == T_STOPPING)
            task_book_usage(r, t);
        r->nodes[t->node].alloc_gpu_s += t->gpu_frac * (double)(end - t->placed_us) / 1e6;
    }
    if (r->grp[G_TRAIN].on)
        train_book_horizon(r, end);
    for (uint32_t i = 0; i < r->nnodes; i++) {
        struct node *n = &r->nodes[i];
        if (n->state == N_GONE)
            continue;
        if (n->state == N_PROVISIONING || n->state == N_REGISTERING)
            n->ready_us = end;
        if (n->spot && !n->noticed)
            r->spot_exposure_s += (double)(end - n->launch_us) / 1e6;
        double gpus_s = (double)sim_node_type(r, n)->gpus * (double)(end - n->ready_us) / 1e6;
        double alloc = n->alloc_gpu_s < gpus_s ? n->alloc_gpu_s : gpus_s;
        double used = n->used_gpu_s < alloc ? n->used_gpu_s : alloc;
        int rc = cost_instance_gpu_time(&r->cost, n->cost, alloc, used, err);
        if (!rc)
            rc = cost_instance_end(&r->cost, n->cost, end, COST_END_HORIZON, err);
        if (rc)
            return rc;
    }
    /* the LLM service, and the fleet's models summed */
    struct inference_summary s;
    memset(&s, 0, sizeof s);
    bool svc = r->sc->workload.has_inference;
    if (svc)
        inference_summarize(&r->svcs[0].svc, &s);
    unsigned f0 = svc ? 1 : 0;
    bool fleet = r->nsvcs > f0;
    uint64_t requests = 0, f_requests = 0;
    double little = 0, f_left = 0, f_met = 0, f_replicas = 0;
    struct metrics_hist f_lat;
    memset(&f_lat, 0, sizeof f_lat);
    if (fleet) {
        int rc = metrics_hist_init(&f_lat, 0, INT64_MAX, err);
        if (rc)
            return rc;
    }
    for (unsigned si = 0; si < r->nsvcs; si++) {
        struct inference_summary x;
        inference_summarize(&r->svcs[si].svc, &x);
        requests += x.requests_total;
        if (x.time_in_system_s > 0) {
            double e = fabs(x.in_system_area_s - x.time_in_system_s) / x.time_in_system_s;
            little = e > little ? e : little;
        }
        if (si < f0)
            continue;
        f_requests += x.requests_total;
        double left = (double)(x.completed + x.rejected + x.timed_out + x.killed);
        f_left += left;
        f_met += left * x.slo_attainment_pct / 100.0;
        f_replicas += x.replicas_mean;
        int rc = metrics_hist_merge(&f_lat, &r->svcs[si].svc.latency, err);
        if (rc) {
            metrics_hist_destroy(&f_lat);
            return rc;
        }
    }
    double f_p99 = fleet ? metrics_hist_quantile(&f_lat, 0.99) / 1000.0 : NAN;
    double f_p50 = fleet ? metrics_hist_quantile(&f_lat, 0.50) / 1000.0 : NAN;
    metrics_hist_destroy(&f_lat);
    cost_add_requests(&r->cost, requests);
    /* inference replicas lose no stored work (killed requests are retried and
     * counted); training jobs lose the work since their checkpoint */
    struct training_summary ts;
    memset(&ts, 0, sizeof ts);
    if (r->book_open) {
        int rc = training_summarize(&r->book, &ts, err);
        if (rc)
            return rc;
    }
    cost_add_interruptions(&r->cost, r->interruptions, ts.lost_gpu_hours);
    int rc = cost_finish(&r->cost, end, err);
    if (rc)
        return rc;
    struct cost_report cr;
    cost_report(&r->cost, &cr);
    double gpu_s = metrics_gauge_integral(&r->g_gpus, end) / 1e6;
    double alloc_s = metrics_gauge_integral(&r->g_alloc, end) / 1e6;
    double na = NAN;
    sim_put(o, "cost_usd", cr.cost_usd);
    sim_put(o, "tco_usd", cr.tco_usd);
    sim_put(o, "ops_cost_usd", cr.ops_usd);
    sim_put(o, "cost_per_1k_requests_usd",
            requests ? cr.cost_usd * 1000.0 / (double)requests : NAN);
    sim_put(o, "cost_per_gpu_hour_usd", cr.gpu_used_h > 0 ? cr.cost_usd / cr.gpu_used_h : NAN);
    sim_put(o, "idle_cost_usd", cr.idle_usd);
    sim_put(o, "spot_savings_usd", cr.spot_savings_usd);
    sim_put(o, "latency_p50_ms", svc ? s.latency_p50_ms : na);
    sim_put(o, "latency_p95_ms", svc ? s.latency_p95_ms : na);
    sim_put(o, "latency_p99_ms", svc ? s.latency_p99_ms : na);
    sim_put(o, "ttft_p99_ms", svc ? s.ttft_p99_ms : na);
    sim_put(o, "queue_wait_p99_ms", svc ? s.wait_p99_ms : na);
    sim_put(o, "slo_attainment_pct", svc ? s.slo_attainment_pct : na);
    sim_put(o, "requests_total", svc ? (double)s.requests_total : na);
    sim_put(o, "requests_dropped", svc ? (double)s.dropped : na);
    sim_put(o, "requests_timed_out", svc ? (double)s.timed_out : na);
    sim_put(o, "requests_retried", svc ? (double)s.retried : na);
    sim_put(o, "gpu_alloc_pct", gpu_s > 0 ? 100.0 * alloc_s / gpu_s : NAN);
    sim_put(o, "gpu_util_pct", gpu_s > 0 ? 100.0 * r->used_gpu_s / gpu_s : NAN);
    sim_put(o, "frag_pct", r->frag_n ? r->frag_sum / (double)r->frag_n : NAN);
    sim_put(o, "gpus_peak", r->gpus_peak);
    sim_put(o, "nodes_peak", r->nodes_peak);
    sim_put(o, "gpu_hours", gpu_s / 3600.0);
    sim_put(o, "replicas_mean", svc ? s.replicas_mean : na);
    sim_put(o, "replica_util_pct", svc ? s.utilization_pct : na);
    sim_put(o, "pending_p50_s", svc ? metrics_hist_quantile(&r->h_pending, 0.5) / 1e6 : na);
    sim_put(o, "pending_p99_s", svc ? metrics_hist_quantile(&r->h_pending, 0.99) / 1e6 : na);
    sim_put(o, "replica_start_p50_s", svc ? metrics_hist_quantile(&r->h_start, 0.5) / 1e6 : na);
    sim_put(o, "spot_interruptions", (double)r->interruptions);
    sim_put(o, "spot_instance_hours", r->spot_exposure_s / 3600.0);
    bool reb = false;
    for (int gi = 0; gi < G_MAX; gi++)
        reb |= r->grp[gi].on && r->grp[gi].spot && r->grp[gi].spot->rebalance;
    sim_put(o, "spot_rebalance_recommendations", reb ? (double)r->rebalances : NAN);
    sim_put(o, "instances_launched", (double)r->launches);
    sim_put(o, "drift_disruptions", r->v->capacity.ndrifts ? (double)r->drift_disruptions : NAN);
    sim_put(o, "mig_repartitions", sim_mig_on(r) ? (double)r->mig_repartitions : NAN);
    sim_put(o, "mig_reconfigure_gpu_hours", sim_mig_on(r) ? r->mig_reconf_gpu_s / 3600.0 : NAN);
    sim_put(o, "littles_law_rel_err", r->nsvcs ? little : na);
    sim_put(o, "fleet_latency_p50_ms", f_p50);
    sim_put(o, "fleet_latency_p99_ms", f_p99);
    sim_put(o, "fleet_slo_attainment_pct", fleet && f_left > 0 ? 100.0 * f_met / f_left : na);
    sim_put(o, "fleet_requests_total", fleet ? (double)f_requests : na);
    sim_put(o, "fleet_replicas_mean", fleet ? f_replicas : na);
    sim_put(o, "fargate_cost_usd", r->grp[G_FLEET].fargate ? cr.fargate_usd : na);
    uint64_t fails = 0;
    bool may_fail = false;
    for (unsigned si = 0; si < r->nsvcs; si++) {
        fails += r->svcs[si].start_failures;
        may_fail |= r->svcs[si].inf->start_failure_prob > 0;
    }
    sim_put(o, "task_start_failures", may_fail ? (double)fails : na);
    if (svc && r->svcs[0].inf->ndeploys) {
        const struct service *s0 = &r->svcs[0];
        sim_put(o, "rollouts", (double)s0->rollouts);
        sim_put(o, "rollout_mean_s", s0->rollouts ? s0->rollout_s / s0->rollouts : na);
    }
    if ((rc = train_results(r, o, err)))
        return rc;
    sim_put(o, "events", (double)engine_fired(&r->e));
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
        for (int k = 1; svc && k <= 200 && s.completed; k++) {
            double q = k / 200.0;
            fprintf(m, "%s,%.3f,%.3f\n", r->v->name,
                    metrics_hist_quantile(&r->svcs[0].svc.latency, q) / 1000.0, q);
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

/* Group gi's types and settings from the variant: types[0] is its
 * instance_type, then the other instance_types in their order; OS_EINVAL
 * naming the JSON path. */
static int group_init(struct run *r, const struct catalog *cat, int gi, unsigned v,
                      struct os_error *err)
{
    const struct scenario_variant *var = r->v;
    struct group *g = &r->grp[gi];
    static const char *const paths[G_MAX] = {"instance_type", "fleet.instance_type",
                                             "training.instance_type"};
    const char *name = gi == G_SVC     ? var->instance_type
                       : gi == G_FLEET ? var->fleet.instance_type
                                       : var->training.instance_type;
    if (gi == G_FLEET && var->fleet.launch_type == SCENARIO_LAUNCH_FARGATE) {
        const struct scenario_inference *f = &r->sc->workload.fleet;
        g->on = true;
        g->fargate = true;
        g->fargate_speed = var->fleet.fargate_speed;
        g->sharing = SCENARIO_SHARE_WHOLE;
        g->spot = &var->fleet.spot;
        g->placement = var->fleet.placement;
        /* memory in GB = GiB x 1.073741824 */
        return cost_fargate_size(f->cpu, f->memory_gib * 1.073741824, &g->fargate_vcpu,
                                 &g->fargate_gb, err);
    }
    const char(*list)[48] = gi == G_SVC     ? var->instance_types
                            : gi == G_FLEET ? var->fleet.instance_types
                                            : var->training.instance_types;
    unsigned nlist = gi == G_SVC     ? var->ninstance_types
                     : gi == G_FLEET ? var->fleet.ninstance_types
                                     : var->training.ninstance_types;
    g->ntypes = 0;
    for (unsigned k = 0; k <= nlist; k++) {
        const char *tn = k == 0 ? name : list[k - 1];
        if (k > 0 && strcmp(tn, name) == 0)
            continue;
        int ci = catalog_find_type(cat, tn);
        if (ci < 0 || cat->types[ci].gpus < 1)
            return os_errorf(err, OS_EINVAL, "%s: $.variants[%u].%s: no GPU type '%s'", r->sc->file,
                             v, paths[gi], tn);
        if (g->ntypes == SIM_TYPES_MAX)
            return os_errorf(err, OS_EINVAL, "%s: $.variants[%u].%ss: more than %d types",
                             r->sc->file, v, paths[gi], SIM_TYPES_MAX);
        const struct catalog_instance *t = &cat->types[ci];
        g->types[g->ntypes] = t;
        g->tspeed[g->ntypes] = cat->gpu_models[t->gpu_model].relative_speed;
        if ((uint32_t)t->gpus > g->gpus_max)
            g->gpus_max = (uint32_t)t->gpus;
        g->ntypes++;
    }
    g->on = true;
    g->type = g->types[0];
    g->sharing = SCENARIO_SHARE_WHOLE;
    g->timeslice_overhead = 0;
    g->replicas_per_gpu = 1;
    g->mig_profile = "";
    switch (gi) {
    case G_SVC:
        g->spot = &var->spot;
        g->placement = var->placement;
        g->min_nodes = var->min_nodes;
        g->max_nodes = var->max_nodes;
        g->sharing = var->sharing;
        g->replicas_per_gpu = var->replicas_per_gpu;
        g->mig_profile = var->mig_profile;
        g->mig_strategy = var->mig_strategy;
        g->mig_layouts = var->mig_layouts;
        g->nlayouts = var->nmig_layouts;
        g->reconf_s = var->mig_reconfigure_s;
        g->timeslice_overhead = var->timeslice_overhead;
        break;
    case G_FLEET:
        g->spot = &var->fleet.spot;
        g->placement = var->fleet.placement;
        g->min_nodes = var->fleet.min_nodes;
        g->max_nodes = var->fleet.max_nodes;
        g->sharing = var->fleet.sharing;
        g->replicas_per_gpu = var->fleet.replicas_per_gpu;
        g->mig_profile = var->fleet.mig_profile;
        g->mig_strategy = var->fleet.mig_strategy;
        g->mig_layouts = var->fleet.mig_layouts;
        g->nlayouts = var->fleet.nmig_layouts;
        g->reconf_s = var->fleet.mig_reconfigure_s;
        g->timeslice_overhead = var->fleet.timeslice_overhead;
        break;
    default:
        g->spot = &var->training.spot;
        g->placement = var->training.placement;
        g->min_nodes = var->training.min_nodes;
        g->max_nodes = var->training.max_nodes;
        break;
    }
    return OS_OK;
}

/* The services: the LLM service first, then one per fleet model. */
static void services_init(struct run *r)
{
    const struct scenario *sc = r->sc;
    r->nsvcs = 0;
    if (sc->workload.has_inference) {
        struct service *sv = &r->svcs[r->nsvcs++];
        sv->gi = G_SVC;
        sv->llm = true;
        sv->inf = &sc->workload.inference;
        sv->scaling = &r->v->scaling;
        sv->mig_profile = r->v->mig_profile;
    }
    for (int k = 0; sc->workload.has_fleet && k < sc->workload.fleet.models; k++) {
        struct service *sv = &r->svcs[r->nsvcs++];
        bool shared = r->v->fleet.node_group == SCENARIO_GROUP_SERVICE;
        sv->gi = shared ? G_SVC : G_FLEET;
        sv->inf = &sc->workload.fleet;
        sv->scaling = &r->v->fleet.scaling;
        /* on the service's group: its own profile (mixed) or the group's */
        sv->mig_profile = shared && r->v->mig_strategy == SCENARIO_MIG_SINGLE
                              ? r->v->mig_profile
                              : r->v->fleet.mig_profile;
    }
    for (unsigned si = 0; si < r->nsvcs; si++) {
        r->svcs[si].r = r;
        r->svcs[si].ext = -1; /* set by setup_group on a MIG mixed group */
        r->svcs[si].mig_prof = -1;
        /* stream 0 is the LLM service's, 1 + k fleet model k's */
        r->svcs[si].idx = (uint8_t)(sc->workload.has_inference ? si : si + 1);
    }
}

int sim_inputs_load(struct sim_inputs *in, const struct scenario *sc, struct os_error *err)
{
    memset(in, 0, sizeof *in);
    if (sc->kind != SCENARIO_SIMULATION)
        return OS_OK;
    int rc;
    if (sc->workload.has_training) {
        if ((rc = train_durations_load(&in->dur, sc, err)))
            return rc;
        in->dur_open = true;
    }
    for (unsigned v = 0; v < sc->nvariants && !in->spot_rows_open; v++) {
        const struct scenario_spot *sps[3] = {&sc->variants[v].spot, &sc->variants[v].fleet.spot,
                                              &sc->variants[v].training.spot};
        for (int k = 0; k < 3 && !in->spot_rows_open; k++) {
            struct os_error e;
            if (sps[k]->price != SCENARIO_SPOT_TRACE)
                continue;
            /* a failure is reported by the run that reads it, with its path */
            if (spot_trace_rows_load(&in->spot_rows, sps[k]->trace_csv, &e) == OS_OK)
                in->spot_rows_open = true;
            else
                break;
        }
    }
    const struct scenario_inference *svc[2] = {sc->workload.has_inference ? &sc->workload.inference
                                                                          : NULL,
                                               sc->workload.has_fleet ? &sc->workload.fleet : NULL};
    for (int k = 0; k < 2; k++) {
        if (!svc[k] || svc[k]->arrivals != SCENARIO_ARR_DIURNAL ||
            (in->ntokens && strcmp(in->token_path[0], svc[k]->trace_csv) == 0))
            continue;
        if ((rc = arrivals_tokens_from_trace(&in->tokens[in->ntokens], svc[k]->trace_csv, err))) {
            sim_inputs_destroy(in);
            return rc;
        }
        in->token_path[in->ntokens++] = svc[k]->trace_csv;
    }
    return OS_OK;
}

void sim_inputs_destroy(struct sim_inputs *in)
{
    if (in->dur_open)
        training_durations_destroy(&in->dur);
    for (unsigned k = 0; k < in->ntokens; k++)
        arrivals_tokens_destroy(&in->tokens[k]);
    if (in->spot_rows_open)
        spot_trace_rows_destroy(&in->spot_rows);
    memset(in, 0, sizeof *in);
}

int sim_run(const struct scenario *sc, const struct catalog *cat, unsigned v, uint64_t seed,
            bool want_series, struct sim_result *out, struct os_error *err)
{
    return sim_run_with(sc, cat, NULL, v, seed, want_series, out, err);
}

int sim_run_with(const struct scenario *sc, const struct catalog *cat, const struct sim_inputs *in,
                 unsigned v, uint64_t seed, bool want_series, struct sim_result *out,
                 struct os_error *err)
{
    memset(out, 0, sizeof *out);
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    r->sc = sc;
    r->v = &sc->variants[v];
    r->ecs = r->v->orchestrator == SCENARIO_ORCH_ECS;
    r->seed = seed;
    r->in = in;
    int rc = OS_OK;
    if (sc->workload.has_inference)
        rc = group_init(r, cat, G_SVC, v, err);
    if (!rc && sc->workload.has_fleet && r->v->fleet.node_group == SCENARIO_GROUP_OWN)
        rc = group_init(r, cat, G_FLEET, v, err);
    if (!rc && sc->workload.has_training)
        rc = group_init(r, cat, G_TRAIN, v, err);
    if (rc) {
        free(r);
        return rc;
    }
    services_init(r);
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
    if (!rc)
        rc = sim_scale_start(r, err);
    if (!rc)
        rc = sim_mig_start(r, err);
    if (!rc && r->nsvcs) {
        rc = engine_after(&r->e, r->ecs ? MINUTE : 0, ev_service_tick, r, 0, NULL, err);
        for (unsigned si = 0; si < r->nsvcs; si++) {
            inference_window_mark(&r->svcs[si].svc, &r->svcs[si].win);
            inference_window_mark(&r->svcs[si].svc, &r->svcs[si].sample_mark);
        }
    }
    if (!rc)
        rc = r->ecs ? engine_after(&r->e, MINUTE / 2, ev_ecs_capacity, r, 0, NULL, err)
                    : sim_karpenter_start(r, err);
    if (!rc)
        rc = engine_after(&r->e, sc->interval_us, ev_sample, r, 0, NULL, err);
    if (!rc) {
        engine_run(&r->e, sc->duration_us);
        if (r->status)
            rc = os_errorf(err, r->status, "%s: variant %s: %s", sc->file, r->v->name, r->err.msg);
        for (unsigned si = 0; !rc && si < r->nsvcs; si++)
            rc = inference_status(&r->svcs[si].svc, err);
        if (!rc)
            rc = finish(r, out, err);
        if (!rc && out->overflow)
            rc = os_errorf(err, OS_EFULL, "internal: %u metrics beyond SIM_METRICS_MAX (%d)",
                           out->overflow, SIM_METRICS_MAX);
    }
    teardown(r);
    free(r);
    if (rc)
        sim_result_destroy(out);
    return rc;
}

/* The GPU type `name` of $.variants[i].<path>, or NULL with a diagnostic. */
static const struct catalog_instance *check_type(const struct scenario *sc,
                                                 const struct catalog *cat, unsigned i,
                                                 const char *path, const char *name,
                                                 struct schema_diag *d)
{
    int ti = catalog_find_type(cat, name);
    if (ti < 0) {
        const char *names[64];
        size_t n = cat->n_types < 63 ? cat->n_types : 63;
        for (size_t k = 0; k < n; k++)
            names[k] = cat->types[k].name;
        names[n] = NULL;
        const char *s = schema_suggest(name, names, n);
        schema_diag_add(d, "%s: $.variants[%u].%s: unknown instance type '%s'%s%s%s", sc->file, i,
                        path, name, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
        return NULL;
    }
    const struct catalog_instance *t = &cat->types[ti];
    if (t->gpus < 1) {
        schema_diag_add(d, "%s: $.variants[%u].%s: '%s' has no GPU", sc->file, i, path, t->name);
        return NULL;
    }
    return t;
}

/* Training on types t[0 .. n): a gang of n GPUs is one pod when n <= G, the
 * most GPUs of a node of the types, else n / G pods of G GPUs (sim_train.c):
 * every gang must split so, every pod must fit one of the types (GPUs, CPU
 * and memory), and every type must hold some pod. */
static void check_training(const struct scenario *sc, const struct catalog_instance *const *t,
                           unsigned nt, unsigned i, struct schema_diag *d)
{
    const struct scenario_training *tr = &sc->workload.training;
    const struct scenario_variant *v = &sc->variants[i];
    unsigned big = 0;
    for (unsigned k = 1; k < nt; k++)
        if (t[k]->gpus > t[big]->gpus)
            big = k;
    int G = t[big]->gpus;
    bool used[SIM_TYPES_MAX] = {false};
    const char *path =
        v->training.ninstance_types ? "training.instance_types" : "training.instance_type";
    for (unsigned k = 0; k < tr->ngangs; k++) {
        int n = tr->gangs[k].gpus;
        if (n > G && n % G) {
            schema_diag_add(d,
                            "%s: $.workload.training.gangs[%u].gpus: a gang of %d GPUs does not "
                            "split into whole %s nodes of %d GPUs (variant %s)",
                            sc->file, k, n, t[big]->name, G, v->name);
            continue;
        }
        int per = n < G ? n : G;
        double cpu = tr->cpu_per_gpu * per, mem = tr->memory_gib_per_gpu * per;
        bool fits = false;
        for (unsigned j = 0; j < nt; j++) {
            double cpu_cap = sim_alloc_cpu_milli(t[j]) / 1000.0,
                   mem_cap = sim_alloc_mem_mib(t[j]) / 1024.0;
            if (t[j]->gpus >= per && cpu <= cpu_cap && mem <= mem_cap)
                fits = used[j] = true;
        }
        if (fits)
            continue;
        double cpu_cap = sim_alloc_cpu_milli(t[big]) / 1000.0,
               mem_cap = sim_alloc_mem_mib(t[big]) / 1024.0;
        schema_diag_add(d,
                        "%s: $.variants[%u].%s: a pod of %d GPUs needs %.1f vCPU and %.1f GiB but "
                        "a %s node allocates %.1f vCPU and %.1f GiB (lower "
                        "workload.training.cpu_per_gpu / memory_gib_per_gpu)",
                        sc->file, i, path, per, cpu, mem, t[big]->name, cpu_cap, mem_cap);
    }
    for (unsigned j = 0; j < nt && nt > 1; j++)
        if (!used[j])
            schema_diag_add(d,
                            "%s: $.variants[%u].training.instance_types: no pod of the training "
                            "jobs fits a %s node (drop it from the list)",
                            sc->file, i, t[j]->name);
}

/* An empty node of type t holds a replica of inf (CPU, memory, GPU units of
 * the sharing mode; as setup_group computes them). pre: "" or "fleet.";
 * listed: the group has instance_types. */
static void check_replica(const struct scenario *sc, const struct catalog *cat, unsigned i,
                          const char *pre, bool listed, const struct catalog_instance *t,
                          const struct scenario_inference *inf, int sharing, int replicas_per_gpu,
                          const char *mig_profile, const char (*layouts)[64], unsigned nlayouts,
                          struct schema_diag *d)
{
    int upg = 1;
    if (sharing == SCENARIO_SHARE_TIMESLICE || sharing == SCENARIO_SHARE_MPS) {
        upg = replicas_per_gpu;
    } else if (sharing == SCENARIO_SHARE_MIG) {
        const struct catalog_gpu_model *g = &cat->gpu_models[t->gpu_model];
        int p = g->mig ? gpu_mig_profile_find(g->mig_family, mig_profile) : -1;
        if (p < 0)
            return; /* check_share says why */
        struct gpu_mig_place layout[GPU_MIG_LAYOUT_MAX];
        if (nlayouts) { /* mixed: most instances of the profile in a layout */
            upg = 0;
            for (unsigned k = 0; k < nlayouts; k++) {
                uint8_t nl = 0;
                struct os_error e;
                if (gpu_mig_layout_parse(g->mig_family, layouts[k], layout, &nl, &e) != OS_OK)
                    return; /* check_layouts says why */
                int in = 0;
                for (uint8_t j = 0; j < nl; j++)
                    in += layout[j].profile == p;
                upg = in > upg ? in : upg;
            }
            if (upg == 0) {
                schema_diag_add(d,
                                "%s: $.variants[%u].%smig_profile: '%s' is in none of the "
                                "group's mig_layouts",
                                sc->file, i, pre, mig_profile);
                return;
            }
        } else {
            upg = gpu_mig_single_layout(g->mig_family, (uint8_t)p, layout);
        }
    }
    int64_t cpu_cap = sim_alloc_cpu_milli(t);
    int64_t mem_cap = sim_alloc_mem_mib(t);
    if (llround(inf->cpu * 1000) > cpu_cap || llround(inf->memory_gib * 1024) > mem_cap ||
        inf->gpus > t->gpus * upg)
        schema_diag_add(d,
                        "%s: $.variants[%u].%sinstance_type%s: a replica (%.2f vCPU, %.2f GiB, %d "
                        "GPU units) does not fit an empty %s node (%.1f vCPU, %.1f GiB, %d units)",
                        sc->file, i, pre, listed ? "s" : "", inf->cpu, inf->memory_gib, inf->gpus,
                        t->name, (double)cpu_cap / 1000, (double)mem_cap / 1024, t->gpus * upg);
}

/* MIG mixed: the group's types share one MIG profile table (profiles are
 * named and numbered per table: A100-40GB, or the 80 GB A100 and H100; a
 * NodePool mixing them would need a layout per type). */
static void check_one_family(const struct scenario *sc, const struct catalog *cat, unsigned i,
                             const char *pre, const struct catalog_instance *const *t, unsigned n,
                             struct schema_diag *d)
{
    if (n < 2)
        return;
    size_t np;
    const struct gpu_mig_profile *p0 =
        gpu_mig_profiles(cat->gpu_models[t[0]->gpu_model].mig_family, &np);
    for (unsigned k = 1; k < n; k++)
        if (gpu_mig_profiles(cat->gpu_models[t[k]->gpu_model].mig_family, &np) != p0) {
            schema_diag_add(d,
                            "%s: $.variants[%u].%sinstance_types: %s (%s) and %s (%s) have "
                            "different MIG geometries; one mig_layouts list needs one GPU family",
                            sc->file, i, pre, t[k]->name, cat->gpu_models[t[k]->gpu_model].name,
                            t[0]->name, cat->gpu_models[t[0]->gpu_model].name);
            return;
        }
}

/* MIG mixed: every layout of $.variants[i].<pre>mig_layouts parses on type
 * t's GPU. False (with the errors) if one does not. */
static bool check_layouts(const struct scenario *sc, const struct catalog *cat, unsigned i,
                          const char *pre, const struct catalog_instance *t,
                          const char (*layouts)[64], unsigned n, struct schema_diag *d)
{
    const struct catalog_gpu_model *g = &cat->gpu_models[t->gpu_model];
    if (!g->mig)
        return true; /* check_share says it is not MIG capable */
    bool ok = true;
    for (unsigned k = 0; k < n; k++) {
        struct gpu_mig_place layout[GPU_MIG_LAYOUT_MAX];
        uint8_t nl;
        struct os_error e;
        if (gpu_mig_layout_parse(g->mig_family, layouts[k], layout, &nl, &e) != OS_OK) {
            schema_diag_add(d, "%s: $.variants[%u].%smig_layouts[%u]: %s (%s, %s)", sc->file, i,
                            pre, k, e.msg, t->name, g->name);
            ok = false;
        }
    }
    return ok;
}

/* The model of a service fits its GPU share on type t. pre: "" or "fleet.". */
static void check_share(const struct scenario *sc, const struct catalog *cat, unsigned i,
                        const char *pre, const struct catalog_instance *t, int sharing,
                        int replicas_per_gpu, const char *mig_profile, double need,
                        struct schema_diag *d)
{
    const struct catalog_gpu_model *g = &cat->gpu_models[t->gpu_model];
    double mem = g->memory_gb;
    const char *what = "the GPU";
    if (sharing == SCENARIO_SHARE_MIG) {
        if (!g->mig) {
            schema_diag_add(d, "%s: $.variants[%u].%ssharing: %s (%s) is not MIG capable", sc->file,
                            i, pre, t->name, g->name);
            return;
        }
        int p = gpu_mig_profile_find(g->mig_family, mig_profile);
        if (p < 0) {
            schema_diag_add(d, "%s: $.variants[%u].%smig_profile: '%s' is not a MIG profile of %s",
                            sc->file, i, pre, mig_profile, g->name);
            return;
        }
        size_t n;
        mem = gpu_mig_profiles(g->mig_family, &n)[p].mem_gb;
        what = "the MIG instance";
    } else if (sharing == SCENARIO_SHARE_TIMESLICE) {
        /* no memory isolation: R copies of the model share the GPU */
        mem = g->memory_gb / (double)replicas_per_gpu;
        what = "its 1/replicas_per_gpu share of GPU memory";
    } else if (sharing == SCENARIO_SHARE_MPS) {
        mem = g->memory_gb / (double)replicas_per_gpu;
        what = "the MPS client's memory cap";
    }
    if (need > mem)
        schema_diag_add(
            d, "%s: $.variants[%u]%s%.*s: the model needs %.1f GB but %s has %.1f GB on %s",
            sc->file, i, *pre ? "." : "", *pre ? (int)strlen(pre) - 1 : 0, pre, need, what, mem,
            t->name);
}

/* The types of one node group, each checked by check_type: the listed
 * <pre>instance_types (named by their index), or <pre>instance_type alone.
 * The ones found go to out[]; returns their count. */
static unsigned check_group_types(const struct scenario *sc, const struct catalog *cat, unsigned i,
                                  const char *pre, const char *type, const char (*list)[48],
                                  unsigned n, const struct catalog_instance **out,
                                  struct schema_diag *d)
{
    char path[64];
    unsigned m = 0;
    if (!n) {
        snprintf(path, sizeof path, "%sinstance_type", pre);
        const struct catalog_instance *t = check_type(sc, cat, i, path, type, d);
        if (t)
            out[m++] = t;
        return m;
    }
    for (unsigned k = 0; k < n && k < SIM_TYPES_MAX; k++) {
        snprintf(path, sizeof path, "%sinstance_types[%u]", pre, k);
        const struct catalog_instance *t = check_type(sc, cat, i, path, list[k], d);
        if (t)
            out[m++] = t;
    }
    return m;
}

void sim_check(const struct scenario *sc, const struct catalog *cat, struct schema_diag *d)
{
    const struct catalog_instance *t[SIM_TYPES_MAX];
    for (unsigned i = 0; i < sc->nvariants; i++) {
        const struct scenario_variant *v = &sc->variants[i];
        if (sc->workload.has_training) {
            const struct scenario_variant_training *vt = &v->training;
            unsigned n = check_group_types(sc, cat, i, "training.", vt->instance_type,
                                           vt->instance_types, vt->ninstance_types, t, d);
            if (n)
                check_training(sc, t, n, i, d);
        }
        if (sc->workload.has_fleet && v->fleet.launch_type == SCENARIO_LAUNCH_FARGATE) {
            double vc, gb;
            struct os_error e;
            if (cost_fargate_size(sc->workload.fleet.cpu,
                                  sc->workload.fleet.memory_gib * 1.073741824, &vc, &gb,
                                  &e) != OS_OK)
                schema_diag_add(d, "%s: $.workload.fleet: %s (variant %s runs it on Fargate)",
                                sc->file, e.msg, v->name);
        } else if (sc->workload.has_fleet && v->fleet.node_group == SCENARIO_GROUP_OWN) {
            const struct scenario_variant_fleet *f = &v->fleet;
            unsigned n = check_group_types(sc, cat, i, "fleet.", f->instance_type,
                                           f->instance_types, f->ninstance_types, t, d);
            if (f->sharing == SCENARIO_SHARE_MIG && f->mig_strategy == SCENARIO_MIG_MIXED)
                check_one_family(sc, cat, i, "fleet.", t, n, d);
            for (unsigned k = 0; k < n; k++) {
                if (f->sharing == SCENARIO_SHARE_MIG && f->mig_strategy == SCENARIO_MIG_MIXED &&
                    !check_layouts(sc, cat, i, "fleet.", t[k], f->mig_layouts, f->nmig_layouts, d))
                    continue;
                check_share(sc, cat, i, "fleet.", t[k], f->sharing, f->replicas_per_gpu,
                            f->mig_profile, sc->workload.fleet.model_memory_gb, d);
                check_replica(sc, cat, i, "fleet.", f->ninstance_types > 0, t[k],
                              &sc->workload.fleet, f->sharing, f->replicas_per_gpu, f->mig_profile,
                              f->mig_layouts, f->mig_strategy ? f->nmig_layouts : 0, d);
            }
        }
        if (!sc->workload.has_inference)
            continue;
        unsigned n = check_group_types(sc, cat, i, "", v->instance_type, v->instance_types,
                                       v->ninstance_types, t, d);
        bool mixed = v->sharing == SCENARIO_SHARE_MIG && v->mig_strategy == SCENARIO_MIG_MIXED;
        bool shared = sc->workload.has_fleet && v->fleet.node_group == SCENARIO_GROUP_SERVICE;
        /* on the service's group the fleet requests its own profile (mixed) or
         * the group's units */
        const char *fprof = mixed ? v->fleet.mig_profile : v->mig_profile;
        if (mixed)
            check_one_family(sc, cat, i, "", t, n, d);
        for (unsigned k = 0; k < n; k++) {
            if (mixed && !check_layouts(sc, cat, i, "", t[k], v->mig_layouts, v->nmig_layouts, d))
                continue;
            unsigned nl = mixed ? v->nmig_layouts : 0;
            check_share(sc, cat, i, "", t[k], v->sharing, v->replicas_per_gpu, v->mig_profile,
                        sc->workload.inference.model_memory_gb, d);
            check_replica(sc, cat, i, "", v->ninstance_types > 0, t[k], &sc->workload.inference,
                          v->sharing, v->replicas_per_gpu, v->mig_profile, v->mig_layouts, nl, d);
            if (!shared)
                continue;
            check_share(sc, cat, i, "fleet.", t[k], v->sharing, v->replicas_per_gpu, fprof,
                        sc->workload.fleet.model_memory_gb, d);
            check_replica(sc, cat, i, "fleet.", v->ninstance_types > 0, t[k], &sc->workload.fleet,
                          v->sharing, v->replicas_per_gpu, fprof, v->mig_layouts, nl, d);
        }
    }
}
