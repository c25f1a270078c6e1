/*
 * sim_scale.c - KEDA and the Cluster Autoscaler in a simulation run (EKS
 * variants; see sim_internal.h). The controllers themselves are the pure,
 * unit-tested ones of models/autoscale/keda.h and cluster_autoscaler.h; this
 * file feeds them what the real ones would read from the cluster and applies
 * their decisions to the run's services, nodes and pods.
 *
 * KEDA (scaling.autoscaler "keda"): the service is the target of a
 * ScaledObject with one aws-sqs-queue trigger whose queue is the service's
 * request queue: messages = requests waiting (ApproximateNumberOfMessages,
 * visible) + requests in service (ApproximateNumberOfMessagesNotVisible, in
 * flight), read at the poll instant from inference_queued() and
 * inference_in_service() (not a window mean: SQS reports its approximate
 * counts as of the call). queueLength = keda_queue_length, activation =
 * keda_activation_queue_length, pollingInterval, cooldownPeriod,
 * minReplicaCount = the service's min_replicas (0 allowed), maxReplicaCount
 * = max_replicas. Each KEDA service has its own engine event that calls
 * keda_step() at keda_next_due_us(): the poll every pollingInterval and the
 * HPA's sync every 15 s both run exactly on time (the 15-s service tick
 * skips these services). With 0 replicas the service's requests wait in its
 * queue (inference.c keeps them; queue_timeout_s applies) until KEDA
 * activates the service and a replica has started: the cold start.
 *
 * Cluster Autoscaler (capacity.autoscaler "cluster-autoscaler"): replaces
 * Karpenter for every node group (G_SVC, G_FLEET, G_TRAIN; a Fargate fleet
 * has no nodes). Each group is one or two ASGs of its instance type, the
 * on-demand one when spot.pct < 100 and the spot one when spot.pct > 0.
 * Every scan interval (10 s) the scan event builds ca_input from the run
 * (pending replicas and training pods = pending pods; scheduled pods with
 * their nodes; nodes with their allocatable and requested resources from the
 * group's cluster state), calls ca_step() and applies it: a scale-up raises
 * an ASG's target, a deletion lowers it and removes the node (an empty node
 * is terminated; a node with replicas is cordoned and drained as Karpenter's
 * single-node delete does: its replicas are stopped and the Deployment
 * recreates them elsewhere), a provisioning timeout lowers the target by
 * the nodes that did not come. Then each ASG launches nodes (sim_node_launch)
 * until it has its target, which also replaces instances that ended (spot).
 *
 * Assumptions, named [U] here and in docs:
 * - [U] SIM_KEDA_WARM: with initial replicas the ScaledObject is taken as
 *   active at time 0 (initialCooldownPeriod = cooldownPeriod), the steady
 *   state of SIM_WARM_START; without, no initial cooldown.
 * - [U] SIM_KEDA_HPA: the HPA KEDA creates has the cluster's flags, with
 *   the variant's scale_down_window_s as its downscale stabilisation (as the
 *   HPA path).
 * - [U] SIM_CA_PER_GROUP: one CA controller per node group. A real cluster
 *   runs one CA whose pods reach only their own group through nodeSelectors,
 *   which ca_step() does not model; separate controllers give the same
 *   scale-ups, but the cooldowns (delay after add, after delete) are per
 *   group instead of cluster-wide and up to one group per controller scales
 *   up in a scan.
 * - [U] SIM_CA_ASG: an ASG keeps its desired count: an instance that ended
 *   (spot termination) is replaced at the next scan, and a node launch that
 *   failed (spot capacity) is retried at each scan until CA's
 *   max-node-provision-time lowers the target. max_nodes caps the group's
 *   ASGs together: each ASG's max size is its target plus the group's
 *   headroom.
 * - [U] SIM_CA_SPOT: the expander chain is the configured expander, then
 *   (two ASGs) the priority expander. The two ASGs have the same template,
 *   so least-waste, most-pods and least-nodes tie and the priority expander
 *   decides: it prefers the ASG that keeps the spot share of the group's ASG
 *   targets at spot.pct (Karpenter's largest-remainder rule; a priority
 *   ConfigMap kept up to date). A scale-up of k nodes goes to one ASG, so
 *   the share is kept at each scale-up, not within one. With "price" the
 *   spot ASG always wins (cheaper) and with "random" the draw decides: then
 *   spot.pct only says which ASGs exist.
 * - [U] SIM_CA_PDB: training pods are not evictable (a PodDisruptionBudget
 *   or the cluster-autoscaler.kubernetes.io/safe-to-evict: "false"
 *   annotation): a node with training pods is not movable, so CA removes
 *   training nodes only when empty.
 * - [U] SIM_CA_NODES: a node that booted but has not registered its GPUs
 *   is shown as not Ready (CA's handling of GPU nodes without allocatable
 *   GPUs), a provisioning node is not shown (an upcoming node of its ASG),
 *   a draining node (spot notice, or CA's own drain) is shown Ready, full
 *   (cordoned) and not movable.
 * - [U] SIM_CA_RESCHEDULE: kube-scheduler's retries of unschedulable pods
 *   (backoff 1-10 s, and on cluster events) are folded into the scan: the
 *   pending pods are tried on the cluster just before CA reads them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/autoscale/cluster_autoscaler.h"
#include "models/sim_internal.h"

_Static_assert(SIM_EXT_MAX == CA_EXT_MAX, "one extended resource per requested MIG profile");

enum { ASG_OD = 0, ASG_SPOT = 1 };
#define CA_MAX_PODS_PER_NODE SIM_EKS_MAX_PODS
#define CA_PODS_CAP          (1u << 16)

/* The Cluster Autoscaler of one node group and its ASGs. */
struct scale_group {
    bool on;
    struct ca ca;
    bool ca_open;
    struct rng rng; /* the random expander's draws */
    int nasg;
    int asg_of[2];             /* ASG_OD / ASG_SPOT -> CA group index, -1 if absent */
    int kind[2];               /* CA group index -> ASG_OD / ASG_SPOT */
    int32_t target[2];         /* each ASG's desired capacity */
    struct ca_group groups[2]; /* templates, sizes, priorities (CA group index) */
};

struct sim_scale {
    struct scale_group g[G_MAX];
    int64_t scan_us;
    /* scratch for one step */
    struct ca_node *nodes;
    uint32_t cap_nodes;
    uint32_t *node_run; /* CA node index -> run node index */
    uint32_t cap_node_run;
    int32_t *ca_of; /* run node index -> CA node index, -1 if not shown */
    uint32_t cap_ca_of;
    struct ca_pod *pending, *sched;
    uint32_t cap_pending, cap_sched;
    /* CA's unneeded-since time of every run node (kept with the node) */
    int64_t *unneeded;
    uint32_t cap_unneeded, known;
};

/* ------------------------------------------------------------------------ */
/* KEDA                                                                       */

static void ev_keda(struct engine *e, void *ctx, uint64_t arg);

int sim_keda_setup(struct run *r, struct service *sv, struct os_error *err)
{
    const struct scenario_scaling *s = sv->scaling;
    struct keda_cfg kc;
    keda_cfg_defaults(&kc);
    kc.polling_interval_us = s->keda_polling_us;
    kc.cooldown_us = s->keda_cooldown_us;
    kc.initial_cooldown_us = sv->inf->initial_replicas > 0 ? s->keda_cooldown_us : 0;
    kc.min_replicas = sv->inf->min_replicas;
    kc.max_replicas = sv->inf->max_replicas;
    kc.ntriggers = 1;
    kc.triggers[0] = keda_trigger_sqs();
    kc.triggers[0].target_milli = (int64_t)llround(s->keda_queue_length * 1000.0);
    kc.triggers[0].activation_milli = (int64_t)llround(s->keda_activation_queue_length * 1000.0);
    kc.hpa.downscale_window_us = s->down_window_us;
    int rc = keda_init(&sv->keda, &kc, engine_now(&r->e), err);
    if (rc) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return os_errorf(err, rc, "%s: $.variants[%u].%sscaling: KEDA: %s", r->sc->file,
                         (unsigned)(r->v - r->sc->variants), sv->llm ? "" : "fleet.", msg);
    }
    sv->keda_open = true;
    return OS_OK;
}

/* One KEDA step of service si: the poll and the HPA sync, each if due. */
static void ev_keda(struct engine *e, void *ctx, uint64_t arg)
{
    struct run *r = ctx;
    unsigned si = (unsigned)arg;
    struct service *sv = &r->svcs[si];
    int32_t existing = 0, ready = 0;
    for (uint32_t i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        if (t->s != si || t->state == T_DONE || t->doomed)
            continue;
        existing++;
        ready += t->state == T_RUNNING;
    }
    struct keda_input in;
    memset(&in, 0, sizeof in);
    in.spec_replicas = sv->desired;
    in.status_replicas = existing;
    in.pods_total = existing;
    in.pods_ready = ready;
    in.triggers[0].valid = true;
    in.triggers[0].visible = (int64_t)inference_queued(&sv->svc);
    in.triggers[0].in_flight = (int64_t)inference_in_service(&sv->svc);
    struct keda_decision d = keda_step(&sv->keda, engine_now(e), &in);
    if (d.desired != sv->desired) {
        sv->desired = d.desired;
        sim_reconcile(r, (int)si);
    }
    if (r->status)
        return;
    CHECK(r, engine_schedule(e, keda_next_due_us(&sv->keda), ev_keda, r, arg, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* Cluster Autoscaler                                                         */

static void ev_ca(struct engine *e, void *ctx, uint64_t arg);

bool sim_ca_on(const struct run *r)
{
    return !r->ecs && r->v->capacity.autoscaler == SCENARIO_NODES_CA;
}

/* [U] SIM_CA_SPOT: does a new node of group gi keep the spot share of its
 * ASG targets at spot.pct if it is spot? */
static bool ca_prefer_spot(const struct run *r, const struct scale_group *sg, int gi)
{
    int32_t spot = sg->target[sg->asg_of[ASG_SPOT]];
    int32_t total = spot + sg->target[sg->asg_of[ASG_OD]];
    return sim_spot_next(r->grp[gi].spot->pct, (uint32_t)total, (uint32_t)spot);
}

/* Pods of group gi CA may have to consider at once: its nodes full of
 * replicas (or pods) plus its services' replicas at their maximum (pending
 * ones); training queues are cut at the capacity (ca_group_step). */
static uint32_t ca_pods_cap(const struct run *r, int gi)
{
    const struct group *g = &r->grp[gi];
    uint64_t per = g->per_node < CA_MAX_PODS_PER_NODE ? g->per_node : CA_MAX_PODS_PER_NODE;
    uint64_t n = (uint64_t)g->c.cap_nodes * per;
    for (unsigned si = 0; si < r->nsvcs; si++)
        if (r->svcs[si].gi == gi)
            n += (uint64_t)r->svcs[si].inf->max_replicas;
    if (gi == G_TRAIN)
        n += 4096;
    return n > CA_PODS_CAP ? CA_PODS_CAP : (uint32_t)n;
}

/* Group gi's ASGs (targets from the warm-start nodes) and its controller. */
static int ca_group_setup(struct run *r, int gi, struct os_error *err)
{
    struct group *g = &r->grp[gi];
    struct scale_group *sg = &r->scale->g[gi];
    const struct scenario_capacity *cap = &r->v->capacity;
    int pct = g->spot->pct;
    sg->asg_of[ASG_OD] = sg->asg_of[ASG_SPOT] = -1;
    if (pct < 100) {
        sg->asg_of[ASG_OD] = sg->nasg;
        sg->kind[sg->nasg++] = ASG_OD;
    }
    if (pct > 0) {
        sg->asg_of[ASG_SPOT] = sg->nasg;
        sg->kind[sg->nasg++] = ASG_SPOT;
    }
    uint16_t upg = g->c.pools[g->pool].units_per_gpu;
    for (int k = 0; k < sg->nasg; k++) {
        struct ca_group *cg = &sg->groups[k];
        cg->alloc.cpu_milli = sim_alloc_cpu_milli(g->type); /* [U] SIM_ALLOCATABLE */
        cg->alloc.mem_mib = sim_alloc_mem_mib(g->type);
        cg->alloc.gpu = g->next ? 0 : (int64_t)g->type->gpus * (upg ? upg : 1);
        int64_t ext[SIM_EXT_MAX];
        sim_type_ext(g, 0, 0, ext); /* the ASG's template: the boot layout */
        for (unsigned e = 0; e < SIM_EXT_MAX; e++)
            cg->alloc.ext[e] = ext[e];
        cg->max_pods = CA_MAX_PODS_PER_NODE;
        /* the on-demand ASG (or the only one) keeps the group's minimum */
        cg->min_size = sg->kind[k] == ASG_OD || sg->nasg == 1 ? g->min_nodes : 0;
        cg->spot = sg->kind[k] == ASG_SPOT;
        cg->gpu_only = true;
    }
    /* the warm-start nodes belong to the ASG of their capacity type (or the
     * group's only ASG when a spot launch fell back to on-demand) */
    for (uint32_t i = 0; i < r->nnodes; i++) {
        struct node *n = &r->nodes[i];
        if (n->g != gi || n->state == N_GONE)
            continue;
        int kind = n->spot ? ASG_SPOT : ASG_OD;
        if (sg->asg_of[kind] < 0)
            kind = 1 - kind;
        n->cp = kind;
        sg->target[sg->asg_of[kind]]++;
    }
    struct ca_cfg cc;
    ca_cfg_defaults(&cc);
    cc.max_node_provision_us = cap->ca_max_provision_us;
    cc.unneeded_time_us = cap->ca_unneeded_us;
    cc.delay_after_add_us = cap->ca_delay_after_add_us;
    cc.utilization_threshold = cap->ca_utilization_threshold;
    cc.gpu_utilization_threshold = cap->ca_utilization_threshold;
    cc.nexpanders = 1;
    cc.expanders[0] = (enum ca_expander)cap->ca_expander;
    if (sg->nasg > 1 && cc.expanders[0] != CA_EXPANDER_PRIORITY)
        cc.expanders[cc.nexpanders++] = CA_EXPANDER_PRIORITY; /* [U] SIM_CA_SPOT */
    int rc = rng_init(&sg->rng, r->seed, "sim.ca", (uint64_t)gi, err);
    if (rc)
        return rc;
    cc.rng = sg->rng.r;
    cc.max_nodes = g->c.cap_nodes;
    cc.max_pods = ca_pods_cap(r, gi);
    if ((rc = ca_init(&sg->ca, &cc, err)))
        return rc;
    sg->ca_open = true;
    sg->on = true;
    return OS_OK;
}

/* CA deletes node ni: sim_drain_node (an empty node ends at once). */
static void ca_remove_node(struct run *r, uint32_t ni)
{
    sim_drain_node(r, ni);
}

/* A pod of a training job's: its requests (as place_gang asks). */
static struct ca_res train_pod_req(const struct run *r, const struct job *j)
{
    const struct scenario_training *tr = &r->sc->workload.training;
    return (struct ca_res){
        .cpu_milli = llround(tr->cpu_per_gpu * j->gpus_per_pod * 1000),
        .mem_mib = llround(tr->memory_gib_per_gpu * j->gpus_per_pod * 1024),
        .gpu = j->gpus_per_pod,
    };
}

/* Appends a pod to s->pending or s->sched. */
static int ca_push(struct run *r, struct ca_pod **buf, uint32_t *cap, uint32_t *n,
                   struct ca_res req, int32_t node)
{
    int rc = sim_grow((void **)buf, cap, sizeof **buf, *n + 1, &r->err);
    if (rc)
        return rc;
    (*buf)[(*n)++] = (struct ca_pod){req, node};
    return OS_OK;
}

/* Builds the nodes of group gi into s->nodes, s->node_run and s->ca_of. */
static int ca_build_nodes(struct run *r, int gi, uint32_t *nn)
{
    struct sim_scale *s = r->scale;
    struct scale_group *sg = &s->g[gi];
    const struct cluster *c = &r->grp[gi].c;
    int rc;
    if ((rc = sim_grow((void **)&s->ca_of, &s->cap_ca_of, sizeof *s->ca_of, r->nnodes, &r->err)))
        return rc;
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *nd = &r->nodes[i];
        s->ca_of[i] = -1;
        if (nd->g != gi ||
            (nd->state != N_REGISTERING && nd->state != N_READY && nd->state != N_DRAINING))
            continue;
        if ((rc = sim_grow((void **)&s->nodes, &s->cap_nodes, sizeof *s->nodes, n + 1, &r->err)) ||
            (rc = sim_grow((void **)&s->node_run, &s->cap_node_run, sizeof *s->node_run, n + 1,
                           &r->err)))
            return rc;
        uint32_t cid = nd->cid;
        struct ca_node *cn = &s->nodes[n];
        memset(cn, 0, sizeof *cn);
        cn->group = sg->asg_of[nd->cp];
        /* [U] SIM_MIG_NO_DISRUPT: not removed while a GPU is repartitioned */
        cn->scale_down_disabled = sim_mig_node_held(r, i) > 0;
        int64_t ecap[SIM_EXT_MAX], efree[SIM_EXT_MAX];
        sim_node_ext(r, i, ecap, efree);
        bool mixed = r->grp[gi].next > 0; /* MIG mixed: instances are extended resources */
        cn->alloc = (struct ca_res){.cpu_milli = c->cpu_cap[cid],
                                    .mem_mib = c->mem_cap[cid],
                                    .gpu = mixed ? 0 : c->res_cap[cid]};
        for (unsigned k = 0; k < SIM_EXT_MAX; k++)
            cn->alloc.ext[k] = ecap[k];
        if (nd->state == N_DRAINING) {
            cn->requested = cn->alloc; /* cordoned: no room [U] SIM_CA_NODES */
        } else {
            cn->requested = (struct ca_res){.cpu_milli = c->cpu_cap[cid] - c->cpu_free[cid],
                                            .mem_mib = c->mem_cap[cid] - c->mem_free[cid],
                                            .gpu = mixed ? 0 : c->res_cap[cid] - c->res_free[cid]};
            for (unsigned k = 0; k < SIM_EXT_MAX; k++)
                cn->requested.ext[k] = ecap[k] - efree[k];
        }
        cn->npods = (int32_t)nd->tasks;
        /* [U] SIM_CA_PDB: training pods are not evictable; replicas are
         * within their PodDisruptionBudget (deployment.pdb_max_unavailable) */
        cn->movable = nd->state != N_DRAINING && (gi != G_TRAIN || nd->tasks == 0) &&
                      (gi == G_TRAIN || sim_pdb_node_movable(r, i));
        cn->ready = nd->state != N_REGISTERING;
        cn->unneeded_since_us = s->unneeded[i];
        s->node_run[n] = i;
        s->ca_of[i] = (int32_t)n;
        n++;
    }
    *nn = n;
    return OS_OK;
}

/* Builds group gi's pending and scheduled pods. */
static int ca_build_pods(struct run *r, int gi, uint32_t cap, uint32_t *np, uint32_t *ns)
{
    struct sim_scale *s = r->scale;
    uint32_t p = 0, q = 0;
    int rc;
    if (gi != G_TRAIN) {
        for (uint32_t i = 0; i < r->ntasks; i++) {
            const struct task *t = &r->tasks[i];
            const struct service *sv = &r->svcs[t->s];
            if (sv->gi != gi)
                continue;
            struct ca_res req = {.cpu_milli = sv->req.cpu_milli, .mem_mib = sv->req.mem_mib};
            int ek = sv->ext;
            if (ek >= 0)
                req.ext[ek] = sv->req.gpu.count;
            else
                req.gpu = sv->req.gpu.count;
            if (t->state == T_PENDING)
                rc = ca_push(r, &s->pending, &s->cap_pending, &p, req, -1);
            else if ((t->state == T_STARTING || t->state == T_RUNNING) && t->node != NO_IDX &&
                     s->ca_of[t->node] >= 0)
                rc = ca_push(r, &s->sched, &s->cap_sched, &q, req, s->ca_of[t->node]);
            else
                continue; /* stopping replicas leave on their own */
            if (rc)
                return rc;
        }
    } else {
        for (uint32_t id = 0; id < r->book.njobs; id++) {
            const struct job *j = &r->jobs[id];
            struct ca_res req = train_pod_req(r, j);
            if (j->placed) {
                for (uint32_t k = 0; k < j->pods; k++) {
                    int32_t cn = s->ca_of[r->job_node[j->pl0 + k]];
                    if (cn >= 0 && (rc = ca_push(r, &s->sched, &s->cap_sched, &q, req, cn)))
                        return rc;
                }
            } else if (training_job(&r->book, id)->state == TRAINING_PENDING) {
                for (uint32_t k = 0; k < j->pods; k++)
                    if ((rc = ca_push(r, &s->pending, &s->cap_pending, &p, req, -1)))
                        return rc;
            }
        }
    }
    /* the workspace holds cap pods: the pending queue's tail waits a scan */
    if (q > cap)
        return os_errorf(&r->err, OS_EFULL, "cluster autoscaler: %u scheduled pods exceed %u", q,
                         cap);
    if (p + q > cap)
        p = cap - q;
    *np = p;
    *ns = q;
    return OS_OK;
}

/* One CA scan of group gi at now: read, step, apply. */
static void ca_group_step(struct run *r, int gi, int64_t now)
{
    struct sim_scale *s = r->scale;
    struct scale_group *sg = &s->g[gi];
    struct group *g = &r->grp[gi];
    uint32_t nn = 0, np = 0, ns = 0;
    CHECK(r, ca_build_nodes(r, gi, &nn));
    CHECK(r, ca_build_pods(r, gi, sg->ca.cap_pods, &np, &ns));
    /* the ASGs: sizes, headroom under max_nodes, prices, priorities */
    int32_t live[2] = {0, 0}, sum = 0;
    for (uint32_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i].g == gi && r->nodes[i].state != N_GONE)
            live[sg->asg_of[r->nodes[i].cp]]++;
    for (int k = 0; k < sg->nasg; k++)
        sum += sg->target[k];
    int32_t used = (int32_t)g->live > sum ? (int32_t)g->live : sum;
    int32_t headroom = g->max_nodes > used ? g->max_nodes - used : 0;
    bool spot_first = sg->nasg > 1 && ca_prefer_spot(r, sg, gi);
    for (int k = 0; k < sg->nasg; k++) {
        struct ca_group *cg = &sg->groups[k];
        bool spot = sg->kind[k] == ASG_SPOT;
        cg->target_size = sg->target[k];
        cg->max_size = sg->target[k] + headroom;
        cg->price_per_hour = spot ? spot_price_at(&r->market.pools[g->market_pool].price, now)
                                  : g->type->price_usd_per_hour;
        cg->priority = spot == spot_first ? 1 : 0;
    }
    struct ca_input in = {
        .groups = sg->groups,
        .ngroups = (uint32_t)sg->nasg,
        .pending = s->pending,
        .npending = np,
        .nodes = s->nodes,
        .nnodes = nn,
        .scheduled = s->sched,
        .nscheduled = ns,
    };
    struct ca_decision d;
    int rc = ca_step(&sg->ca, now, &in, &d);
    if (rc) {
        os_errorf(&r->err, rc, "cluster autoscaler: step refused its input (%s)",
                  rc == OS_EFULL ? "above its capacities" : "bad index");
        sim_fail(r, rc);
        return;
    }
    /* the unneeded times stay with the nodes */
    for (uint32_t k = 0; k < nn; k++)
        s->unneeded[s->node_run[k]] = s->nodes[k].unneeded_since_us;
    for (uint32_t k = 0; k < d.ntimeouts; k++) {
        int32_t a = d.timeouts[k].group;
        sg->target[a] -= d.timeouts[k].missing;
        if (sg->target[a] < live[a])
            sg->target[a] = live[a];
    }
    if (d.reason == CA_SCALE_UP)
        sg->target[d.up_group] += d.up_delta;
    bool drained = false;
    for (uint32_t k = 0; k < d.ndelete && !r->status; k++) {
        uint32_t ni = s->node_run[d.delete[k]];
        sg->target[s->nodes[d.delete[k]].group]--;
        live[s->nodes[d.delete[k]].group]--;
        drained |= r->nodes[ni].tasks > 0;
        ca_remove_node(r, ni);
    }
    if (drained)
        sim_reconcile(r, -1);
    /* each ASG launches up to its desired capacity [U] SIM_CA_ASG */
    for (int k = 0; k < sg->nasg && !r->status; k++) {
        while (live[k] < sg->target[k]) {
            rc = sim_node_launch(r, gi, sg->kind[k] == ASG_SPOT, sg->kind[k], false, NULL);
            if (rc == OS_EFULL || rc == OS_ENOFIT)
                break; /* retried at the next scan */
            CHECK(r, rc);
            live[k]++;
        }
    }
}

static void ev_ca(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    struct sim_scale *s = r->scale;
    int64_t now = engine_now(e);
    sim_place_pending(r); /* [U] SIM_CA_RESCHEDULE */
    if (s->known < r->nnodes) {
        CHECK(r, sim_grow((void **)&s->unneeded, &s->cap_unneeded, sizeof *s->unneeded, r->nnodes,
                          &r->err));
        for (uint32_t i = s->known; i < r->nnodes; i++)
            s->unneeded[i] = CA_TIME_NONE;
        s->known = r->nnodes;
    }
    for (int gi = 0; gi < G_MAX && !r->status; gi++)
        if (s->g[gi].on)
            ca_group_step(r, gi, now);
    if (r->status)
        return;
    sim_gauges_update(r);
    CHECK(r, engine_after(e, s->scan_us, ev_ca, r, 0, NULL, &r->err));
}

/* ------------------------------------------------------------------------ */
/* Start and teardown                                                         */

int sim_scale_start(struct run *r, struct os_error *err)
{
    int rc;
    for (unsigned si = 0; si < r->nsvcs; si++)
        if (r->svcs[si].keda_open &&
            (rc = engine_schedule(&r->e, engine_now(&r->e), ev_keda, r, si, NULL, err)))
            return rc;
    if (!sim_ca_on(r))
        return OS_OK;
    r->scale = calloc(1, sizeof *r->scale);
    if (!r->scale)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    for (int gi = 0; gi < G_MAX; gi++) {
        const struct group *g = &r->grp[gi];
        if (g->on && !g->fargate && (rc = ca_group_setup(r, gi, err)))
            return rc;
    }
    struct ca_cfg cc; /* every group's controller scans at the default interval */
    ca_cfg_defaults(&cc);
    r->scale->scan_us = cc.scan_interval_us;
    return engine_after(&r->e, r->scale->scan_us, ev_ca, r, 0, NULL, err);
}

void sim_scale_teardown(struct run *r)
{
    for (unsigned si = 0; si < r->nsvcs; si++)
        if (r->svcs[si].keda_open) {
            keda_destroy(&r->svcs[si].keda);
            r->svcs[si].keda_open = false;
        }
    struct sim_scale *s = r->scale;
    if (!s)
        return;
    for (int gi = 0; gi < G_MAX; gi++) {
        if (s->g[gi].ca_open)
            ca_destroy(&s->g[gi].ca);
        rng_destroy(&s->g[gi].rng);
    }
    free(s->nodes);
    free(s->node_run);
    free(s->ca_of);
    free(s->pending);
    free(s->sched);
    free(s->unneeded);
    free(s);
    r->scale = NULL;
}
