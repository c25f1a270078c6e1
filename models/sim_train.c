/*
 * sim_train.c - gang-scheduled training jobs in a simulation run (see
 * sim_internal.h): a Poisson stream of jobs whose durations come from the
 * Philly trace (models/workload/training), placed as whole gangs on the
 * training node group by the variant's placement policy, run to completion or
 * interrupted by a spot reclaim, and re-queued with the work since their last
 * checkpoint lost.
 *
 * A gang of n GPUs on a group whose largest type has G GPUs per node is one
 * pod of n GPUs when n <= G, else n / G pods of G GPUs (sim_check refuses
 * other sizes); each pod asks for cpu_per_gpu and memory_gib_per_gpu per GPU.
 *
 * Assumptions, named [U] here and in docs:
 * - [U] SIM_GANG: all pods of a gang are placed at once or none is (the
 *   Kubernetes coscheduling plugin's PodGroup with minMember = pods; on ECS,
 *   a batch controller that calls RunTask only when the whole gang fits, as
 *   AWS Batch multi-node jobs do). Pending gangs are tried in queue order
 *   (below) and a gang that does not fit does not block smaller ones behind
 *   it.
 * - [U] SIM_TRAIN_BUSY: a gang's GPUs count as used for as long as they are
 *   allocated (restart overhead and checkpoint writes included).
 * - [U] SIM_TRAIN_SPEED: a gang runs at its GPU model's relative speed with
 *   perfect scaling in n (models/workload/training.h).
 * - [U] SIM_SPOT_TRAINING (in sim.c): on EKS Karpenter drains a node at the
 *   spot notice, so its gangs stop then; on ECS standalone tasks run on a
 *   draining instance until it terminates 2 minutes later. No job writes an
 *   emergency checkpoint on the notice.
 *
 * Priority classes and preemption (workload.training.priorities,
 * variants[].training.preemption). Each job draws a class, independently of
 * its gang size, from its own stream ("training.priority", 0), so the other
 * draws are unchanged (common random numbers); a single class draws nothing.
 * - Queue order: pending gangs are tried by priority, highest first, then by
 *   arrival (kube-scheduler's PrioritySort: priority, then queue timestamp).
 *   [U] SIM_PRIO_QUEUE: a re-queued gang keeps its arrival's place; on ECS
 *   the batch controller starts higher classes first (as AWS Batch evaluates
 *   job queues of higher priority first); ECS itself has no priorities.
 * - Preemption (EKS only; ECS has none, a task waits): when a gang does not
 *   fit, DefaultPreemption's PostFilter is simulated for each of its pods in
 *   turn on a dry-run copy of the free CPU, memory and GPUs of the READY
 *   nodes (preempt_dry_run): SelectVictimsOnNode on every node, then
 *   pickOneNodeForPreemption (see there, with the sources). [U] A pod that
 *   fits a node without victims takes the first such node in the dry run.
 *   Preemption is tried as soon as the gang does not fit, in the same
 *   scheduling pass (PostFilter runs in the pod's scheduling cycle), so a
 *   preemptor does not wait for Karpenter; its victims, pending again, may
 *   make Karpenter launch nodes.
 * - [U] SIM_GANG_PREEMPT: gang preemption is all or nothing: victims are
 *   evicted only when every pod of the gang finds room; else nothing is
 *   touched and the gang waits. Upstream DefaultPreemption works pod by pod
 *   and knows no gangs (the coscheduling plugin and the alpha workload-aware
 *   preemption of KEP-5710 add group semantics elsewhere). Victims are
 *   chosen per pod as upstream, but evicting one pod of a gang interrupts the
 *   whole gang (its training process fails): all its pods are released, it
 *   loses the work since its last checkpoint (training_interrupt) and it is
 *   re-queued. The victims' other pods free capacity for the next pods of the
 *   preemptor in the same dry run.
 * - [U] SIM_PREEMPT_INSTANT: the victims go at once and the preemptor is
 *   placed in the same instant by the normal placement policy (no
 *   terminationGracePeriodSeconds, no nominatedNodeName window in which other
 *   pods could take the room). A class with preemption_policy "Never" is
 *   queued by priority but never preempts. Victims must have a strictly lower
 *   priority; no PodDisruptionBudgets.
 * - [U] SIM_PREEMPT_NODES: every READY node is examined (upstream dry-runs
 *   nodes from a random offset until it has max(10 % of the nodes, 100)
 *   candidates, i.e. all nodes of a cluster below 100), and the last tie
 *   goes to the lowest node slot (upstream: the first of a Go map
 *   iteration, effectively random).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/sim_internal.h"

static void ev_job_arrival(struct engine *e, void *ctx, uint64_t arg);
static void ev_job_done(struct engine *e, void *ctx, uint64_t arg);

static int64_t ckpt_interval(const struct run *r)
{
    int64_t v = r->v->training.ckpt_interval_us;
    return v >= 0 ? v : r->sc->workload.training.ckpt_interval_us;
}

static bool job_pending(const struct run *r, uint32_t id)
{
    return training_job(&r->book, id)->state == TRAINING_PENDING;
}

/* Sets up the priority classes (order, cumulative weights, stream) and, on
 * EKS with more than one class, the preemption scratch for the training
 * cluster's node slots. */
static int prio_setup(struct run *r, struct os_error *err)
{
    const struct scenario_training *tr = &r->sc->workload.training;
    struct train_prio *p = &r->prio;
    p->n = tr->npriorities;
    if (p->n < 2)
        return OS_OK;
    double total = 0, acc = 0;
    unsigned last = 0;
    for (unsigned k = 0; k < p->n; k++) {
        total += tr->priorities[k].weight;
        if (tr->priorities[k].weight > 0)
            last = k;
    }
    for (unsigned k = 0; k < p->n; k++) {
        acc += tr->priorities[k].weight;
        p->cum[k] = k >= last ? 1.0 : acc / total;
    }
    /* by value, highest first (values are distinct: scenario check) */
    for (unsigned k = 0; k < p->n; k++) {
        unsigned i = k;
        while (i > 0 && tr->priorities[p->order[i - 1]].value < tr->priorities[k].value) {
            p->order[i] = p->order[i - 1];
            i--;
        }
        p->order[i] = (uint8_t)k;
    }
    int rc = rng_init(&p->rng, r->seed, "training.priority", 0, err);
    if (rc)
        return rc;
    p->rng_open = true;
    p->preempt = r->v->training.preemption && !r->ecs;
    if (!p->preempt)
        return OS_OK;
    const struct group *g = &r->grp[G_TRAIN];
    p->ncid = g->c.cap_nodes;
    /* a pod holds at least one whole GPU: a node holds at most its GPUs' pods */
    p->per_node = GPU_NODE_MAX;
    p->cap_pods = p->ncid * p->per_node;
    p->cpu = calloc(p->ncid, sizeof *p->cpu);
    p->mem = calloc(p->ncid, sizeof *p->mem);
    p->gpu = calloc(p->ncid, sizeof *p->gpu);
    p->ok = calloc(p->ncid, sizeof *p->ok);
    p->head = calloc(p->ncid + 1, sizeof *p->head);
    p->pods_on = calloc(p->cap_pods, sizeof *p->pods_on);
    p->cand = calloc(p->per_node, sizeof *p->cand);
    p->cur = calloc(p->per_node, sizeof *p->cur);
    p->best = calloc(p->per_node, sizeof *p->best);
    p->vjobs = calloc(p->cap_pods, sizeof *p->vjobs);
    if (!p->cpu || !p->mem || !p->gpu || !p->ok || !p->head || !p->pods_on || !p->cand || !p->cur ||
        !p->best || !p->vjobs)
        return os_errorf(err, OS_ENOMEM, "out of memory");
    return OS_OK;
}

static void prio_teardown(struct run *r)
{
    struct train_prio *p = &r->prio;
    if (p->rng_open)
        rng_destroy(&p->rng);
    p->rng_open = false;
    free(p->cpu);
    free(p->mem);
    free(p->gpu);
    free(p->ok);
    free(p->head);
    free(p->pods_on);
    free(p->cand);
    free(p->cur);
    free(p->best);
    free(p->vjobs);
}

/* Places and counts pending work; asks Karpenter for capacity if needed. */
static void place(struct run *r)
{
    uint32_t left = train_try_place(r);
    sim_gauges_update(r);
    if (left && !r->ecs)
        sim_karpenter_note(r, G_TRAIN);
}

int train_durations_load(struct training_durations *d, const struct scenario *sc,
                         struct os_error *err)
{
    const struct scenario_training *tr = &sc->workload.training;
    struct training_durations_filter f = {
        .min_us = sim_secs(tr->min_duration_s),
        .max_us = sim_secs(tr->max_duration_s),
        .cap_us = sim_secs(tr->cap_duration_s),
    };
    int rc = training_durations_from_trace(d, tr->durations_csv, &f, err);
    if (rc) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return os_errorf(err, rc, "%s: $.workload.training.durations_csv: %s", sc->file, msg);
    }
    return OS_OK;
}

int train_setup(struct run *r, struct os_error *err)
{
    const struct scenario_training *tr = &r->sc->workload.training;
    int rc;
    if (r->in && r->in->dur_open) {
        r->durp = &r->in->dur;
    } else {
        if ((rc = train_durations_load(&r->dur, r->sc, err)))
            return rc;
        r->dur_open = true;
        r->durp = &r->dur;
    }
    if ((rc = training_init(&r->book, 256, err)))
        return rc;
    r->book_open = true;
    struct training_gen_cfg gc;
    memset(&gc, 0, sizeof gc);
    gc.rate_per_hour = tr->rate_per_hour;
    gc.start_us = 0;
    gc.end_us = tr->arrivals_until_us > 0 && tr->arrivals_until_us < r->sc->duration_us
                    ? tr->arrivals_until_us
                    : r->sc->duration_us;
    gc.max_jobs = (uint64_t)tr->max_jobs;
    for (unsigned k = 0; k < tr->ngangs; k++)
        gc.gangs[k] = (struct training_gang){(uint32_t)tr->gangs[k].gpus, tr->gangs[k].weight};
    gc.ngangs = tr->ngangs;
    gc.durations = r->durp;
    gc.ckpt_interval_us = ckpt_interval(r);
    gc.restart_overhead_us = tr->restart_overhead_us;
    gc.ckpt_cost_us = tr->ckpt_cost_us;
    gc.seed = r->seed;
    gc.stream = 0;
    if ((rc = training_gen_init(&r->gen, &gc, err)))
        return rc;
    r->gen_open = true;
    if ((rc = prio_setup(r, err)))
        return rc;
    r->pending_pods = 0;
    r->alloc_gpus = 0;
    if (training_gen_next(&r->gen, &r->next))
        return engine_schedule(&r->e, r->next.arrival_us, ev_job_arrival, r, 0, NULL, err);
    return OS_OK;
}

/* Placement state for job id (its pods and capacity provider). */
static int job_new(struct run *r, uint32_t id, uint32_t gpus)
{
    struct group *g = &r->grp[G_TRAIN];
    int rc = sim_grow((void **)&r->jobs, &r->cap_jobs, sizeof *r->jobs, id + 1, &r->err);
    if (rc)
        return rc;
    uint32_t per = g->gpus_max; /* the largest node of the group's types */
    struct job *j = &r->jobs[id];
    memset(j, 0, sizeof *j);
    j->pods = gpus <= per ? 1 : gpus / per;
    j->gpus_per_pod = gpus <= per ? gpus : per;
    j->pl0 = r->njob_pl;
    if ((rc = sim_grow((void **)&r->job_pl, &r->cap_job_pl, sizeof *r->job_pl, r->njob_pl + j->pods,
                       &r->err)))
        return rc;
    if ((rc = sim_grow((void **)&r->job_node, &r->cap_job_node, sizeof *r->job_node,
                       r->njob_pl + j->pods, &r->err)))
        return rc;
    r->njob_pl += j->pods;
    const struct scenario_training *tr = &r->sc->workload.training;
    if (tr->npriorities) {
        unsigned c = 0;
        if (r->prio.n > 1) {
            double u = gsl_rng_uniform(r->prio.rng.r);
            while (u >= r->prio.cum[c])
                c++;
        }
        j->pclass = (uint8_t)c;
        j->prio = tr->priorities[c].value;
    }
    if (r->ecs && g->ncp > 1) {
        uint32_t cur[2] = {0, 0};
        for (uint32_t i = 0; i < id; i++)
            if (training_job(&r->book, i)->state != TRAINING_DONE)
                cur[r->jobs[i].cp]++;
        j->cp = (int)ecs_capacity_strategy_pick(&g->strat, cur);
    }
    r->pending_pods += j->pods;
    return OS_OK;
}

static void ev_job_arrival(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    uint32_t id;
    CHECK(r, training_add(&r->book, &r->next, &id, &r->err));
    CHECK(r, job_new(r, id, r->next.gpus));
    if (training_gen_next(&r->gen, &r->next))
        CHECK(r, engine_schedule(e, r->next.arrival_us, ev_job_arrival, r, 0, NULL, &r->err));
    place(r);
}

/* Binds every pod of job id or none. */
static bool place_gang(struct run *r, uint32_t id)
{
    struct group *g = &r->grp[G_TRAIN];
    const struct scenario_training *tr = &r->sc->workload.training;
    struct job *j = &r->jobs[id];
    struct pod_req req = g->req;
    req.cpu_milli = (int32_t)llround(tr->cpu_per_gpu * j->gpus_per_pod * 1000);
    req.mem_mib = (int32_t)llround(tr->memory_gib_per_gpu * j->gpus_per_pod * 1024);
    req.gpu.count = (uint16_t)j->gpus_per_pod;
    if (r->ecs && g->ncp > 1) {
        req.constraints = &g->cp_cons[j->cp];
        req.n_constraints = 1;
    }
    uint32_t k;
    for (k = 0; k < j->pods; k++) {
        struct placement pl;
        if (placer_decide(&g->placer, &g->c, &req, g->rng_place.r, &pl) != OS_OK)
            break;
        uint32_t ni = g->node_of[pl.node];
        if (r->nodes[ni].state != N_READY)
            break;
        placement_bind(&g->c, &pl);
        r->job_pl[j->pl0 + k] = pl;
        r->job_node[j->pl0 + k] = ni;
    }
    if (k < j->pods) {
        while (k--)
            placement_release(&g->c, &r->job_pl[j->pl0 + k]);
        return false;
    }
    int64_t now = engine_now(&r->e);
    for (k = 0; k < j->pods; k++)
        r->nodes[r->job_node[j->pl0 + k]].tasks++;
    int64_t done;
    double speed = sim_nodes_speed(r, &r->job_node[j->pl0], j->pods);
    if (training_start(&r->book, id, now, speed, &done, &r->err) != OS_OK ||
        engine_schedule(&r->e, done, ev_job_done, r, id, &j->ev, &r->err) != OS_OK) {
        sim_fail(r, OS_EINVAL);
        return false;
    }
    j->placed = true;
    j->placed_us = now;
    r->pending_pods -= j->pods;
    r->alloc_gpus += (double)j->pods * j->gpus_per_pod;
    r->prio.alloc[j->pclass] += (int64_t)j->pods * j->gpus_per_pod;
    return true;
}

/* Releases job id's pods and books their GPU time on their nodes. */
static void release_gang(struct run *r, uint32_t id)
{
    struct group *g = &r->grp[G_TRAIN];
    struct job *j = &r->jobs[id];
    double dt = (double)(engine_now(&r->e) - j->placed_us) / 1e6;
    double gpu_s = j->gpus_per_pod * dt;
    for (uint32_t k = 0; k < j->pods; k++) {
        uint32_t ni = r->job_node[j->pl0 + k];
        placement_release(&g->c, &r->job_pl[j->pl0 + k]);
        r->nodes[ni].alloc_gpu_s += gpu_s;
        r->nodes[ni].used_gpu_s += gpu_s; /* [U] SIM_TRAIN_BUSY */
        r->used_gpu_s += gpu_s;
        sim_node_task_gone(r, ni);
    }
    j->placed = false;
    r->alloc_gpus -= (double)j->pods * j->gpus_per_pod;
    r->prio.alloc[j->pclass] -= (int64_t)j->pods * j->gpus_per_pod;
}

/* Interrupts running job id now (a spot reclaim or a preemption): it loses
 * the work since its last checkpoint and waits again. */
static bool job_requeue(struct run *r, uint32_t id)
{
    struct job *j = &r->jobs[id];
    engine_cancel(&r->e, j->ev);
    j->ev = 0;
    release_gang(r, id);
    CHECK_FALSE(r, training_interrupt(&r->book, id, engine_now(&r->e), NULL, &r->err));
    r->pending_pods += j->pods;
    if (id < r->first_pending)
        r->first_pending = id;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Placement by priority, and DefaultPreemption                               */

/* Whole GPUs free on READY training nodes. */
static int64_t free_whole_gpus(const struct run *r)
{
    const struct group *g = &r->grp[G_TRAIN];
    int64_t free_gpus = 0;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *n = &r->nodes[i];
        if (n->g == G_TRAIN && n->state == N_READY)
            free_gpus += g->c.res_free[n->cid];
    }
    return free_gpus;
}

/* A pod of job id: its CPU (milli) and memory (MiB), as place_gang asks. */
static void pod_size(const struct run *r, const struct job *j, int32_t *cpu, int32_t *mem)
{
    const struct scenario_training *tr = &r->sc->workload.training;
    *cpu = (int32_t)llround(tr->cpu_per_gpu * j->gpus_per_pod * 1000);
    *mem = (int32_t)llround(tr->memory_gib_per_gpu * j->gpus_per_pod * 1024);
}

/* Dry run: node n has room for a pod of (cpu, mem, gpus). */
static bool dry_fits(const struct train_prio *p, uint32_t n, int32_t cpu, int32_t mem, int32_t gpus)
{
    return p->cpu[n] >= cpu && p->mem[n] >= mem && p->gpu[n] >= gpus;
}

/* Dry run: adds (sign 1) or takes (-1) a pod of job v on node n. */
static void dry_move(const struct run *r, struct train_prio *p, uint32_t v, uint32_t n, int sign)
{
    const struct job *j = &r->jobs[v];
    int32_t cpu, mem;
    pod_size(r, j, &cpu, &mem);
    p->cpu[n] += sign * cpu;
    p->mem[n] += sign * mem;
    p->gpu[n] += sign * (int32_t)j->gpus_per_pod;
}

/* util.MoreImportantPod (kubernetes pkg/scheduler/util/utils.go): higher
 * priority first, then the earlier start (the longer-running pod); the job id
 * breaks what is left, deterministically. */
static bool more_important(const struct run *r, uint32_t a, uint32_t b)
{
    const struct job *x = &r->jobs[a], *y = &r->jobs[b];
    if (x->prio != y->prio)
        return x->prio > y->prio;
    if (x->placed_us != y->placed_us)
        return x->placed_us < y->placed_us;
    return a < b;
}

/*
 * SelectVictimsOnNode (kubernetes pkg/scheduler/framework/plugins/
 * defaultpreemption/default_preemption.go) on node n of the dry run, for a
 * pod of (cpu, mem, gpus): remove every pod of lower priority (p->pods_on
 * holds only those); if the pod does not fit even then, the node is no
 * candidate (false). Else sort them by importance (MoreImportantPod) and add
 * them back one by one, most important first, keeping each that still lets
 * the pod fit (the reprieve); the others, in that order, are the victims
 * (p->cur, *nvict). No PodDisruptionBudgets, so no violating victims go
 * first.
 */
static bool select_victims(const struct run *r, struct train_prio *p, uint32_t n, int32_t cpu,
                           int32_t mem, int32_t gpus, uint32_t *nvict)
{
    uint32_t nc = 0;
    int64_t fc = p->cpu[n], fm = p->mem[n], fg = p->gpu[n];
    for (uint32_t e = p->head[n]; e < p->head[n + 1]; e++) {
        uint32_t v = p->pods_on[e];
        if (r->jobs[v].victim)
            continue; /* already evicted for an earlier pod: its room is in the dry run */
        int32_t vc, vm;
        pod_size(r, &r->jobs[v], &vc, &vm);
        fc += vc;
        fm += vm;
        fg += r->jobs[v].gpus_per_pod;
        /* insertion by importance, most important first */
        uint32_t i = nc++;
        while (i > 0 && more_important(r, v, p->cand[i - 1])) {
            p->cand[i] = p->cand[i - 1];
            i--;
        }
        p->cand[i] = v;
    }
    if (!nc || fc < cpu || fm < mem || fg < gpus)
        return false;
    *nvict = 0;
    for (uint32_t i = 0; i < nc; i++) {
        const struct job *j = &r->jobs[p->cand[i]];
        int32_t vc, vm;
        pod_size(r, j, &vc, &vm);
        if (fc - vc >= cpu && fm - vm >= mem && fg - (int64_t)j->gpus_per_pod >= gpus) {
            fc -= vc; /* reprieved */
            fm -= vm;
            fg -= j->gpus_per_pod;
        } else {
            p->cur[(*nvict)++] = p->cand[i];
        }
    }
    return true;
}

/*
 * pickOneNodeForPreemption (kubernetes pkg/scheduler/framework/preemption/
 * preemption.go), without score plugins: true when victims a (na of them,
 * most important first) make a better node than victims b:
 *   1. fewer PodDisruptionBudget violations (none here: always equal);
 *   2. a lower highest victim priority (victims[0]);
 *   3. a lower sum of victim priorities, each shifted by MaxInt32 + 1 so that
 *      more victims never sum lower (upstream's comment);
 *   4. fewer victims;
 *   5. a later earliest start time among the highest-priority victims
 *      (util.GetEarliestPodStartTime: victims[0] here, by the sort order);
 *   6. else the first node (upstream: the first of a map iteration; here the
 *      lowest node slot, since nodes are examined in slot order).
 */
static bool better_victims(const struct run *r, const uint32_t *a, uint32_t na, const uint32_t *b,
                           uint32_t nb)
{
    int32_t ha = r->jobs[a[0]].prio, hb = r->jobs[b[0]].prio;
    if (ha != hb)
        return ha < hb;
    int64_t sa = 0, sb = 0;
    for (uint32_t i = 0; i < na; i++)
        sa += (int64_t)r->jobs[a[i]].prio + INT64_C(2147483648);
    for (uint32_t i = 0; i < nb; i++)
        sb += (int64_t)r->jobs[b[i]].prio + INT64_C(2147483648);
    if (sa != sb)
        return sa < sb;
    if (na != nb)
        return na < nb;
    return r->jobs[a[0]].placed_us > r->jobs[b[0]].placed_us;
}

/*
 * The dry run of [U] SIM_GANG_PREEMPT for pending job id: copies the free
 * capacity of the READY nodes, indexes the running pods of lower priority by
 * node, then for each pod of the gang takes the first node where it fits,
 * or else the best node by pickOneNodeForPreemption among those where
 * SelectVictimsOnNode frees room, evicting the victims' whole gangs (their
 * pods' room returns to the dry run). True when every pod found room; the
 * victim gangs are then p->vjobs[0 .. p->nvjobs), flagged `victim`. Changes
 * nothing outside the scratch.
 */
static bool preempt_dry_run(struct run *r, uint32_t id)
{
    struct train_prio *p = &r->prio;
    const struct group *g = &r->grp[G_TRAIN];
    const struct job *j = &r->jobs[id];
    int32_t cpu, mem, gpus = (int32_t)j->gpus_per_pod;
    pod_size(r, j, &cpu, &mem);
    memset(p->ok, 0, p->ncid * sizeof *p->ok);
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *n = &r->nodes[i];
        if (n->g != G_TRAIN || n->state != N_READY)
            continue;
        p->ok[n->cid] = true;
        p->cpu[n->cid] = g->c.cpu_free[n->cid];
        p->mem[n->cid] = g->c.mem_free[n->cid];
        p->gpu[n->cid] = g->c.res_free[n->cid];
    }
    /* the running pods of lower priority, by node (counting sort) */
    memset(p->head, 0, (p->ncid + 1) * sizeof *p->head);
    for (uint32_t v = 0; v < r->book.njobs; v++) {
        const struct job *x = &r->jobs[v];
        if (!x->placed || x->prio >= j->prio)
            continue;
        for (uint32_t k = 0; k < x->pods; k++)
            p->head[r->job_pl[x->pl0 + k].node + 1]++;
    }
    for (uint32_t n = 0; n < p->ncid; n++)
        p->head[n + 1] += p->head[n];
    for (uint32_t v = 0; v < r->book.njobs; v++) {
        const struct job *x = &r->jobs[v];
        if (!x->placed || x->prio >= j->prio)
            continue;
        for (uint32_t k = 0; k < x->pods; k++)
            p->pods_on[p->head[r->job_pl[x->pl0 + k].node]++] = v;
    }
    for (uint32_t n = p->ncid; n > 0; n--)
        p->head[n] = p->head[n - 1]; /* the fill advanced each start to the next */
    p->head[0] = 0;
    p->nvjobs = 0;
    for (uint32_t k = 0; k < j->pods; k++) {
        uint32_t at = NO_IDX;
        for (uint32_t n = 0; n < p->ncid && at == NO_IDX; n++)
            if (p->ok[n] && dry_fits(p, n, cpu, mem, gpus))
                at = n;
        if (at == NO_IDX) {
            uint32_t nbest = 0;
            for (uint32_t n = 0; n < p->ncid; n++) {
                uint32_t nv;
                if (!p->ok[n] || !select_victims(r, p, n, cpu, mem, gpus, &nv))
                    continue;
                if (at == NO_IDX || better_victims(r, p->cur, nv, p->best, nbest)) {
                    uint32_t *t = p->best;
                    p->best = p->cur;
                    p->cur = t;
                    nbest = nv;
                    at = n;
                }
            }
            if (at == NO_IDX)
                return false;
            for (uint32_t i = 0; i < nbest; i++) {
                uint32_t v = p->best[i];
                if (r->jobs[v].victim)
                    continue;
                r->jobs[v].victim = true;
                p->vjobs[p->nvjobs++] = v;
                const struct job *x = &r->jobs[v];
                for (uint32_t q = 0; q < x->pods; q++)
                    dry_move(r, p, v, r->job_pl[x->pl0 + q].node, 1);
            }
        }
        p->cpu[at] -= cpu; /* the preemptor's pod holds its room */
        p->mem[at] -= mem;
        p->gpu[at] -= gpus;
    }
    return true;
}

/* Pending job id may preempt: preemption is on, its class may preempt, and
 * the free GPUs plus those of lower-priority gangs could hold it (a bound
 * that spares the dry run when no victim set can help). */
static bool may_preempt(const struct run *r, uint32_t id, int64_t free_gpus)
{
    const struct scenario_training *tr = &r->sc->workload.training;
    const struct job *j = &r->jobs[id];
    if (!r->prio.preempt || tr->priorities[j->pclass].preemption_policy == SCENARIO_PREEMPT_NEVER)
        return false;
    int64_t room = free_gpus;
    for (unsigned c = 0; c < r->prio.n; c++)
        if (tr->priorities[c].value < j->prio)
            room += r->prio.alloc[c];
    return room >= (int64_t)j->pods * j->gpus_per_pod;
}

/* Preempts for job id when the dry run finds room for the whole gang:
 * interrupts the victim gangs, then places the gang ([U]
 * SIM_PREEMPT_INSTANT). True when victims were interrupted (the gang runs
 * unless the placement policy refuses a node the dry run took, e.g. for a
 * filter it does not model: then the gang waits and the victims are lost,
 * as when a preemptor loses its nominated node upstream). */
static bool preempt_for(struct run *r, uint32_t id)
{
    struct train_prio *p = &r->prio;
    bool found = preempt_dry_run(r, id);
    for (uint32_t i = 0; i < p->nvjobs; i++)
        r->jobs[p->vjobs[i]].victim = false;
    if (!found)
        return false;
    for (uint32_t i = 0; i < p->nvjobs; i++) {
        if (!job_requeue(r, p->vjobs[i]))
            return true;
        r->job_preemptions++;
    }
    /* the room is there: the dry run took it on the same free capacity; a
     * gang the policy cannot place after all stays pending */
    place_gang(r, id);
    return true;
}

/* Arrival order: the only order when every job has the same priority. */
static uint32_t try_place_fifo(struct run *r)
{
    uint32_t left = 0;
    /* free whole GPUs on schedulable nodes: a quick bound before placing */
    int64_t free_gpus = free_whole_gpus(r);
    uint32_t first = NO_IDX;
    for (uint32_t id = r->first_pending; id < r->book.njobs && !r->status; id++) {
        if (!job_pending(r, id))
            continue;
        struct job *j = &r->jobs[id];
        int64_t need = (int64_t)j->pods * j->gpus_per_pod;
        if (need <= free_gpus && place_gang(r, id)) {
            free_gpus -= need;
            continue;
        }
        left += j->pods;
        if (first == NO_IDX)
            first = id;
    }
    r->first_pending = first == NO_IDX ? r->book.njobs : first;
    return left;
}

/* Priority order: class by class, highest first, each in arrival order.
 * Victims of a preemption have lower priority, so this pass still reaches
 * them; the pass repeats after a preemption, since victims' other pods may
 * have freed room for a gang tried earlier. It ends: each repeat follows a
 * preemption that placed its gang, which swaps running gangs for one of
 * strictly higher priority, so the running set, as a list of priorities
 * sorted downwards, only grows lexicographically. */
static uint32_t try_place_prio(struct run *r)
{
    uint32_t left;
    bool again;
    do {
        again = false;
        left = 0;
        int64_t free_gpus = free_whole_gpus(r);
        uint32_t first = NO_IDX;
        for (unsigned o = 0; o < r->prio.n && !r->status; o++) {
            unsigned c = r->prio.order[o];
            for (uint32_t id = r->first_pending; id < r->book.njobs && !r->status; id++) {
                struct job *j = &r->jobs[id];
                if (j->pclass != c || !job_pending(r, id))
                    continue;
                int64_t need = (int64_t)j->pods * j->gpus_per_pod;
                if (need <= free_gpus && place_gang(r, id)) {
                    free_gpus -= need;
                    continue;
                }
                if (may_preempt(r, id, free_gpus) && preempt_for(r, id)) {
                    free_gpus = free_whole_gpus(r);
                    if (!job_pending(r, id)) {
                        again = true;
                        continue;
                    }
                }
                left += j->pods;
                if (id < first)
                    first = id;
            }
        }
        r->first_pending = first == NO_IDX ? r->book.njobs : first;
    } while (again && !r->status);
    return left;
}

uint32_t train_try_place(struct run *r)
{
    if (!r->pending_pods)
        return 0;
    return r->prio.n < 2 ? try_place_fifo(r) : try_place_prio(r);
}

static void ev_job_done(struct engine *e, void *ctx, uint64_t arg)
{
    struct run *r = ctx;
    uint32_t id = (uint32_t)arg;
    r->jobs[id].ev = 0;
    release_gang(r, id);
    CHECK(r, training_complete(&r->book, id, engine_now(e), &r->err));
    place(r);
}

void train_node_lost(struct run *r, uint32_t ni)
{
    for (uint32_t id = 0; id < r->book.njobs; id++) {
        struct job *j = &r->jobs[id];
        if (!j->placed)
            continue;
        bool hit = false;
        for (uint32_t k = 0; k < j->pods && !hit; k++)
            hit = r->job_node[j->pl0 + k] == ni;
        if (!hit)
            continue;
        if (!job_requeue(r, id))
            return;
        r->job_interruptions++;
    }
    sim_gauges_update(r);
}

uint32_t train_pending_shapes(struct run *r, int cp)
{
    struct group *g = &r->grp[G_TRAIN];
    const struct scenario_training *tr = &r->sc->workload.training;
    uint32_t n = 0;
    for (uint32_t id = r->first_pending; id < r->book.njobs; id++) {
        const struct job *j = &r->jobs[id];
        if (!job_pending(r, id) || j->cp != cp)
            continue;
        struct ecs_capacity_shape need = {
            (int32_t)llround(tr->cpu_per_gpu * j->gpus_per_pod * 1000),
            (int32_t)llround(tr->memory_gib_per_gpu * j->gpus_per_pod * 1024),
            (int32_t)j->gpus_per_pod,
        };
        uint32_t s = 0;
        while (s < n && g->shapes[s].need.gpus != need.gpus)
            s++;
        if (s == n) {
            if (n == sizeof g->shapes / sizeof g->shapes[0])
                continue; /* cannot happen: one shape per gang size */
            g->shapes[n++] = (struct ecs_capacity_group){need, 0};
        }
        g->shapes[s].count += j->pods;
    }
    return n;
}

uint32_t train_pending_pods(const struct run *r)
{
    return r->pending_pods;
}

double train_alloc_gpus(const struct run *r)
{
    return r->alloc_gpus;
}

void train_book_horizon(struct run *r, int64_t end)
{
    for (uint32_t id = 0; id < r->book.njobs; id++) {
        const struct job *j = &r->jobs[id];
        if (!j->placed)
            continue;
        double gpu_s = j->gpus_per_pod * (double)(end - j->placed_us) / 1e6;
        for (uint32_t k = 0; k < j->pods; k++) {
            uint32_t ni = r->job_node[j->pl0 + k];
            r->nodes[ni].alloc_gpu_s += gpu_s;
            r->nodes[ni].used_gpu_s += gpu_s;
            r->used_gpu_s += gpu_s;
        }
    }
}

int train_results(struct run *r, struct sim_result *o, struct os_error *err)
{
    struct training_summary s;
    memset(&s, 0, sizeof s);
    bool on = r->book_open;
    if (on) {
        int rc = training_summarize(&r->book, &s, err);
        if (rc)
            return rc;
    }
    double na = NAN;
    sim_put(o, "jobs_completed", on ? (double)s.completed : na);
    sim_put(o, "jobs_unfinished", on ? (double)(s.jobs - s.completed) : na);
    sim_put(o, "jct_mean_s", on ? s.jct_mean_s : na);
    sim_put(o, "jct_p50_s", on ? s.jct_p50_s : na);
    sim_put(o, "jct_p99_s", on ? s.jct_p99_s : na);
    sim_put(o, "job_queue_mean_s", on ? s.queue_mean_s : na);
    sim_put(o, "job_queue_p99_s", on ? s.queue_p99_s : na);
    sim_put(o, "goodput_pct", on && !isnan(s.goodput) ? 100.0 * s.goodput : na);
    sim_put(o, "lost_gpu_hours", on ? s.lost_gpu_hours : na);
    sim_put(o, "job_interruptions", on ? (double)r->job_interruptions : na);
    sim_put(o, "job_preemptions", on ? (double)r->job_preemptions : na);
    /* completed jobs of the highest and of the lowest priority class */
    double jct[2] = {0, 0}, queue[2] = {0, 0};
    uint32_t done[2] = {0, 0};
    const struct train_prio *p = &r->prio;
    for (uint32_t id = 0; on && p->n > 1 && id < r->book.njobs; id++) {
        const struct training_job *tj = training_job(&r->book, id);
        unsigned c = r->jobs[id].pclass;
        int k = c == p->order[0] ? 0 : c == p->order[p->n - 1] ? 1 : -1;
        if (tj->state != TRAINING_DONE || k < 0)
            continue;
        jct[k] += (double)(tj->done_us - tj->spec.arrival_us) / 1e6;
        queue[k] += (double)tj->queue_us / 1e6;
        done[k]++;
    }
    sim_put(o, "jct_mean_high_s", done[0] ? jct[0] / done[0] : na);
    sim_put(o, "jct_mean_low_s", done[1] ? jct[1] / done[1] : na);
    sim_put(o, "job_queue_mean_high_s", done[0] ? queue[0] / done[0] : na);
    sim_put(o, "job_queue_mean_low_s", done[1] ? queue[1] / done[1] : na);
    return OS_OK;
}

void train_teardown(struct run *r)
{
    prio_teardown(r);
    if (r->gen_open)
        training_gen_destroy(&r->gen);
    if (r->book_open)
        training_destroy(&r->book);
    if (r->dur_open)
        training_durations_destroy(&r->dur);
    free(r->jobs);
    free(r->job_pl);
    free(r->job_node);
}
