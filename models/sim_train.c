/*
 * sim_train.c - gang-scheduled training jobs in a simulation run (see
 * sim_internal.h): a Poisson stream of jobs whose durations come from the
 * Philly trace (models/workload/training), placed as whole gangs on the
 * training node group by the variant's placement policy, run to completion or
 * interrupted by a spot reclaim, and re-queued with the work since their last
 * checkpoint lost.
 *
 * A gang of n GPUs on a type with G GPUs per node is one pod of n GPUs when
 * n <= G, else n / G pods of G GPUs (sim_check refuses other sizes); each pod
 * asks for cpu_per_gpu and memory_gib_per_gpu per GPU.
 *
 * Assumptions, named [U] here and in docs:
 * - [U] SIM_GANG: all pods of a gang are placed at once or none is (the
 *   Kubernetes coscheduling plugin's PodGroup with minMember = pods; on ECS,
 *   a batch controller that calls RunTask only when the whole gang fits, as
 *   AWS Batch multi-node jobs do). Pending gangs are tried in arrival order
 *   and a gang that does not fit does not block smaller ones behind it.
 * - [U] SIM_TRAIN_BUSY: a gang's GPUs count as used for as long as they are
 *   allocated (restart overhead and checkpoint writes included).
 * - [U] SIM_TRAIN_SPEED: a gang runs at its GPU model's relative speed with
 *   perfect scaling in n (models/workload/training.h).
 * - [U] SIM_SPOT_TRAINING (in sim.c): on EKS Karpenter drains a node at the
 *   spot notice, so its gangs stop then; on ECS standalone tasks run on a
 *   draining instance until it terminates 2 minutes later. No job writes an
 *   emergency checkpoint on the notice.
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

/* Places and counts pending work; asks Karpenter for capacity if needed. */
static void place(struct run *r)
{
    uint32_t left = train_try_place(r);
    sim_gauges_update(r);
    if (left && !r->ecs)
        sim_karpenter_note(r, G_TRAIN);
}

int train_setup(struct run *r, struct os_error *err)
{
    const struct scenario_training *tr = &r->sc->workload.training;
    struct training_durations_filter f = {
        .min_us = sim_secs(tr->min_duration_s),
        .max_us = sim_secs(tr->max_duration_s),
        .cap_us = sim_secs(tr->cap_duration_s),
    };
    int rc = training_durations_from_trace(&r->dur, tr->durations_csv, &f, err);
    if (rc)
        return rc;
    r->dur_open = true;
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
    gc.durations = &r->dur;
    gc.ckpt_interval_us = ckpt_interval(r);
    gc.restart_overhead_us = tr->restart_overhead_us;
    gc.ckpt_cost_us = tr->ckpt_cost_us;
    gc.seed = r->seed;
    gc.stream = 0;
    if ((rc = training_gen_init(&r->gen, &gc, err)))
        return rc;
    r->gen_open = true;
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
    uint32_t per = (uint32_t)g->type->gpus;
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
    if (training_start(&r->book, id, now, g->rel_speed, &done, &r->err) != OS_OK ||
        engine_schedule(&r->e, done, ev_job_done, r, id, &j->ev, &r->err) != OS_OK) {
        sim_fail(r, OS_EINVAL);
        return false;
    }
    j->placed = true;
    j->placed_us = now;
    r->pending_pods -= j->pods;
    r->alloc_gpus += (double)j->pods * j->gpus_per_pod;
    return true;
}

uint32_t train_try_place(struct run *r)
{
    struct group *g = &r->grp[G_TRAIN];
    uint32_t left = 0;
    if (!r->pending_pods)
        return 0;
    /* free whole GPUs on schedulable nodes: a quick bound before placing */
    int64_t free_gpus = 0;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const struct node *n = &r->nodes[i];
        if (n->g == G_TRAIN && n->state == N_READY)
            free_gpus += g->c.res_free[n->cid];
    }
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
    int64_t now = engine_now(&r->e);
    for (uint32_t id = 0; id < r->book.njobs; id++) {
        struct job *j = &r->jobs[id];
        if (!j->placed)
            continue;
        bool hit = false;
        for (uint32_t k = 0; k < j->pods && !hit; k++)
            hit = r->job_node[j->pl0 + k] == ni;
        if (!hit)
            continue;
        engine_cancel(&r->e, j->ev);
        j->ev = 0;
        release_gang(r, id);
        CHECK(r, training_interrupt(&r->book, id, now, NULL, &r->err));
        r->job_interruptions++;
        r->pending_pods += j->pods;
        if (id < r->first_pending)
            r->first_pending = id;
    }
    sim_gauges_update(r);
}

static int by_size_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x < y) - (x > y);
}

int train_pending_units(struct run *r, uint32_t *n)
{
    uint32_t k = 0;
    for (uint32_t id = r->first_pending; id < r->book.njobs; id++) {
        if (!job_pending(r, id))
            continue;
        const struct job *j = &r->jobs[id];
        int rc =
            sim_grow((void **)&r->units, &r->cap_units, sizeof *r->units, k + j->pods, &r->err);
        if (rc)
            return rc;
        for (uint32_t p = 0; p < j->pods; p++)
            r->units[k++] = j->gpus_per_pod;
    }
    qsort(r->units, k, sizeof *r->units, by_size_desc);
    *n = k;
    return OS_OK;
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
    return OS_OK;
}

void train_teardown(struct run *r)
{
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
