/*
 * replay.c - a timed replay of a pod trace on a fixed cluster (see replay.h).
 *
 * Design note: the scheduler model, and the choices it makes.
 *
 * kube-scheduler (MODELS.md section 2; pkg/scheduler/internal/queue) keeps
 * pods that failed a scheduling attempt in unschedulablePods and moves them
 * back to activeQ (or, while their backoff runs, to backoffQ) when a cluster
 * event could make them schedulable; the backoff after the k-th failed
 * attempt is podInitialBackoffSeconds * 2^(k-1), capped at
 * podMaxBackoffSeconds (defaults 1 s and 10 s, apis/config/v1/defaults.go).
 * Here:
 *   - Events. Placement filters here look at capacity only, and capacity is
 *     freed only by a deletion, so a deletion is the one event that moves
 *     pending pods. An arrival is no such event (in kube-scheduler, adding
 *     an unscheduled pod moves nobody); retrying pending pods on arrivals
 *     could not place any of them, so it is not done.
 *   - Which pods move. After the deletions of one instant, a pending pod is
 *     moved only if one of the nodes they freed could now host it
 *     (placement_node_fits): the effect of kube-scheduler's QueueingHints,
 *     which skip pods the event cannot help, made exact [U]. Every pod
 *     failed on every node at its last attempt and only the freed nodes
 *     changed since, so a pod that fits none of them cannot be placed and
 *     skipping it changes no outcome. The pass stops early once the freed
 *     nodes have no free GPU share left and no CPU-only pod is pending (the
 *     cheap bound), so a pass costs O(pending x freed nodes) cheap checks
 *     plus one placement decision per pod placed.
 *   - Order. Moved pods are tried in arrival order [U: kube-scheduler's
 *     activeQ orders by priority, then by the time the pod was last queued;
 *     the trace has no priorities and arrival order keeps the queue FIFO].
 *   - Backoff (modelled; 0 turns it off). A failed attempt k sets the pod's
 *     backoff to initial * 2^(k-1) capped at max, counted from the attempt.
 *     A moved pod still backing off is retried (a full placement decision)
 *     when its backoff ends. Only real attempts count; the 5-minute flush of
 *     unschedulablePods (podMaxInUnschedulablePodsDuration) is not modelled:
 *     with nothing freed it cannot place a pod, it only grows backoffs that
 *     reach the 10 s cap after five attempts anyway [U].
 *   - Same instant. Deletions at time t are processed before arrivals at t
 *     (a pod arriving when another leaves sees the freed capacity) [U].
 *   - Lifetime [U]. A pod leaves at its trace deletion time, whenever it was
 *     placed: queueing delay shortens its run instead of shifting it. The
 *     trace's deletion times are when the pods' objects were deleted (jobs
 *     that ended, users who gave up, the end of the observation), not run
 *     lengths measured from an immediate start; keeping them keeps the
 *     offered load over time identical for every policy, so the variants
 *     compare on the same demand, and a pod pending past its deletion time
 *     leaves unscheduled, as it would have in the cluster. Shifting would
 *     instead make a slow policy run its pods later and longer, beyond the
 *     trace's end for the 34 pods deleted at it.
 *   - Start. Pods created before start_us arrive at time 0 in creation
 *     order; their queueing delay counts from 0. Pods deleted at or before
 *     start_us, and pods whose scaled deletion is not after their scaled
 *     arrival (one openb pod has deletion == creation), are skipped and
 *     counted.
 *   - Policies run as in the packing experiment (models/packing.c): the
 *     placement registry's policy, the fragmentation target of the replayed
 *     pods (typical shapes, 95 %), ties by a per-seed node order
 *     (tie_node_order) for the shared-GPU policies, kube-scheduler's adaptive
 *     percentageOfNodesToScore for the k8s-* policies.
 * Metrics: time-weighted means over [0, end] of allocated GPU share and of
 * the cluster's fragmentation (frag.h, the FGD paper's measure against the
 * target workload), both in % of GPU capacity; queueing delay (creation to
 * placement) over placed pods, with exact nearest-rank quantiles; pods
 * pending (peak held for a positive time); pods scheduled, unscheduled,
 * still pending at the end. The original scheduler's delay (scheduled_time
 * - creation_time of the replayed pods, scaled) is the reference.
 * timeseries.csv rows (the simulation kind's columns) hold time-weighted
 * means over each interval: nodes, gpus (capacity), gpus_alloc, replicas 0,
 * queue_len 0 (no requests), pending (pods), jobs_running (pods running),
 * cost_usd empty (the trace has no prices).
 */
#include "models/replay.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/cluster.h"
#include "models/frag.h"
#include "models/gpu.h"
#include "models/placement/placement.h"
#include "sim/pool.h"
#include "sim/engine.h"
#include "sim/metrics.h"
#include "sim/rng.h"

#define RP_NONE UINT32_MAX
/* Bytes reserved per timeseries row: the variant name (< 64), the seed (<= 20
 * digits) and nine numbers of at most 24 characters each fit. */
#define RP_ROW_BYTES 320

/* Pod states of one run. */
enum rp_state { RP_NEW = 0, RP_PENDING, RP_RUNNING, RP_DONE, RP_UNSCHEDULED };

/* Everything the workers share, read-only during the runs. */
struct rp_shared {
    const struct replay_cfg *cfg;
    struct packing_nodes nodes;
    struct packing_pods pods;
    struct placer_shape *shapes; /* fragmentation target */
    size_t nshapes;
    /* The replayed pods, k = 0..n-1 in arrival order. */
    uint32_t n;
    uint32_t *pod;  /* [k]: index into pods */
    int64_t *arr_t; /* [k]: simulated arrival time */
    int64_t *dep_t; /* [k]: simulated deletion time, ENGINE_TIME_MAX = never */
    uint32_t *dep;  /* replayed pods in (deletion time, k) order */
    uint32_t ndep;  /* those with a finite deletion time */
    int64_t end;    /* simulated end */
    int64_t capacity_milli;
    const struct placer_ops *ops[REPLAY_VARIANTS_MAX];
    struct replay_result *res;
};

/* One worker: the state of the run it is doing, reused from run to run. */
struct rp_worker {
    const struct rp_shared *sh;
    struct cluster cl;
    bool cl_live;
    struct frag_target target;
    bool target_live;
    struct frag_nodes fn;
    bool fn_live;
    struct engine eng;
    bool eng_live;
    struct placer pl;
    bool pl_live;
    struct rng rsel; /* the select step's ties (and the random policy's node) */

    /* per replayed pod */
    uint8_t *state;
    uint8_t *moved;         /* a deletion could help it while it was backing off */
    uint16_t *attempts;     /* failed attempts so far */
    int64_t *backoff_until; /* its backoff ends */
    uint64_t *retry_ev;     /* pending retry event, 0 = none */
    uint32_t *prev, *next;  /* pending list links */
    struct placement *where;
    int64_t *delay; /* queueing delays of placed pods */
    uint32_t ndelay;

    /* the pending queue, in arrival order */
    uint32_t head, tail;
    uint32_t npending, npending_cpu;
    uint32_t nrunning;

    /* nodes freed at the current instant */
    uint32_t *freed;
    uint8_t *freed_mark;
    uint32_t nfreed;

    uint32_t ai, di; /* next arrival (k) and next departure (index into dep) */
    int64_t alloc_milli;
    struct metrics_gauge g_alloc, g_frag, g_pending, g_running;
    double s_alloc, s_pending, s_running; /* integrals at the previous sample */
    int64_t s_prev;

    char *series;
    size_t series_cap, series_len;
    const char *vname;
    uint64_t seed;

    struct replay_run *out;
    int rc;
    struct os_error err;
};

/* ---------------- loading ---------------- */

/* Keeps an evenly spread share f of the nodes: node i stays when
 * floor((i + 1) f) > floor(i f), so the kept nodes follow the list's order
 * and its mix of node types [U]. */
static int rp_subsample(struct packing_nodes *nl, double f, const char *path, struct os_error *err)
{
    if (!(f > 0) || f >= 1)
        return OS_OK;
    uint32_t m = 0;
    nl->gpus = 0;
    for (uint32_t i = 0; i < nl->n; i++) {
        if (floor((double)(i + 1) * f) <= floor((double)i * f))
            continue;
        nl->spec[m] = nl->spec[i];
        memcpy(nl->names[m], nl->names[i], sizeof nl->names[0]);
        nl->spec[m].name = nl->names[m];
        nl->gpus += nl->spec[m].gpu_count;
        m++;
    }
    nl->n = m;
    if (m == 0 || nl->gpus == 0)
        return os_errorf(err, OS_EINVAL, "%s: node_fraction %g keeps no GPU node", path, f);
    return OS_OK;
}

/* A trace time in simulated microseconds. */
static int64_t rp_sim_time(const struct replay_cfg *cfg, double scale, int64_t x)
{
    if (x == INT64_MAX)
        return ENGINE_TIME_MAX;
    if (x <= cfg->start_us)
        return 0;
    return llround((double)(x - cfg->start_us) * scale);
}

/* Sorts replayed pods by (time, k) through a key array. */
struct rp_key {
    int64_t t;
    uint32_t k;
};

static int rp_cmp_key(const void *a, const void *b)
{
    const struct rp_key *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

double replay_quantile(const int64_t *sorted, size_t n, double q)
{
    return n ? (double)metrics_sorted_quantile(sorted, n, q) : NAN;
}

/* Chooses the replayed pods, their times and orders, the end time, and the
 * original scheduler's delays. */
static int rp_prepare(struct rp_shared *sh, struct os_error *err)
{
    const struct replay_cfg *cfg = sh->cfg;
    const struct packing_pods *pl = &sh->pods;
    double scale = cfg->time_scale > 0 ? cfg->time_scale : 1.0;
    struct replay_result *res = sh->res;
    int rc = OS_OK;
    struct rp_key *keys = malloc((size_t)pl->n * sizeof *keys);
    int64_t *tdelay = malloc((size_t)pl->n * sizeof *tdelay);
    sh->pod = malloc((size_t)pl->n * sizeof *sh->pod);
    sh->arr_t = malloc((size_t)pl->n * sizeof *sh->arr_t);
    sh->dep_t = malloc((size_t)pl->n * sizeof *sh->dep_t);
    sh->dep = malloc((size_t)pl->n * sizeof *sh->dep);
    if (!keys || !tdelay || !sh->pod || !sh->arr_t || !sh->dep_t || !sh->dep) {
        rc = os_errorf(err, OS_ENOMEM, "replay: out of memory");
        goto out;
    }
    /* Arrival order: creation time, then file order. */
    uint32_t m = 0;
    for (uint32_t i = 0; i < pl->n; i++) {
        const struct packing_pod *p = &pl->pod[i];
        if (!p->has_times) {
            rc = os_errorf(err, OS_EINVAL,
                           "%s:%lld: pod %s has no creation or deletion time (a replay needs "
                           "the 11-column openb pod lists or the DLRM trace)",
                           cfg->pods_csv, (long long)p->line, p->name);
            goto out;
        }
        int64_t a = rp_sim_time(cfg, scale, p->creation_us == INT64_MIN ? 0 : p->creation_us);
        int64_t d = rp_sim_time(cfg, scale, p->deletion_us);
        if (p->deletion_us <= cfg->start_us || d <= a) {
            res->pods_skipped++;
            continue;
        }
        keys[m++] = (struct rp_key){.t = p->creation_us, .k = i};
    }
    qsort(keys, m, sizeof *keys, rp_cmp_key);
    if (cfg->max_pods > 0 && m > cfg->max_pods)
        m = cfg->max_pods;
    sh->n = m;
    uint32_t ntd = 0;
    int64_t last_dep = 0, last_arr = 0;
    for (uint32_t k = 0; k < m; k++) {
        uint32_t i = keys[k].k;
        const struct packing_pod *p = &pl->pod[i];
        sh->pod[k] = i;
        sh->arr_t[k] = rp_sim_time(cfg, scale, p->creation_us == INT64_MIN ? 0 : p->creation_us);
        sh->dep_t[k] = rp_sim_time(cfg, scale, p->deletion_us);
        if (sh->dep_t[k] != ENGINE_TIME_MAX && sh->dep_t[k] > last_dep)
            last_dep = sh->dep_t[k];
        if (sh->arr_t[k] > last_arr)
            last_arr = sh->arr_t[k];
        if (p->has_scheduled && p->creation_us != INT64_MIN) {
            int64_t dt = p->scheduled_us - p->creation_us;
            tdelay[ntd++] = dt > 0 ? llround((double)dt * scale) : 0;
        }
    }
    /* Departure order. */
    uint32_t nd = 0;
    for (uint32_t k = 0; k < m; k++)
        if (sh->dep_t[k] != ENGINE_TIME_MAX)
            keys[nd++] = (struct rp_key){.t = sh->dep_t[k], .k = k};
    qsort(keys, nd, sizeof *keys, rp_cmp_key);
    for (uint32_t j = 0; j < nd; j++)
        sh->dep[j] = keys[j].k;
    sh->ndep = nd;
    sh->end = cfg->duration_us > 0 ? cfg->duration_us : (last_dep > 0 ? last_dep : last_arr);
    if (sh->end < 1)
        sh->end = 1;
    res->pods_replayed = m;
    res->end_us = sh->end;
    res->trace_scheduled = ntd;
    double sum = 0;
    for (uint32_t j = 0; j < ntd; j++)
        sum += (double)tdelay[j];
    res->trace_pending_mean_s = ntd ? sum / ntd / 1e6 : NAN;
    metrics_sort_i64(tdelay, ntd);
    res->trace_pending_p50_s = replay_quantile(tdelay, ntd, 0.50) / 1e6;
    res->trace_pending_p99_s = replay_quantile(tdelay, ntd, 0.99) / 1e6;
    if (m == 0)
        rc = os_errorf(err, OS_EINVAL, "%s: no pod left to replay after start_s %g", cfg->pods_csv,
                       (double)cfg->start_us / 1e6);
out:
    free(keys);
    free(tdelay);
    return rc;
}

/* ---------------- the pending queue ---------------- */

static bool rp_is_gpu(const struct rp_worker *w, uint32_t k)
{
    return w->sh->pods.pod[w->sh->pod[k]].gpu_total > 0;
}

static void rp_list_append(struct rp_worker *w, uint32_t k)
{
    w->prev[k] = w->tail;
    w->next[k] = RP_NONE;
    if (w->tail != RP_NONE)
        w->next[w->tail] = k;
    else
        w->head = k;
    w->tail = k;
    w->npending++;
    w->npending_cpu += !rp_is_gpu(w, k);
}

static void rp_list_remove(struct rp_worker *w, uint32_t k)
{
    if (w->prev[k] != RP_NONE)
        w->next[w->prev[k]] = w->next[k];
    else
        w->head = w->next[k];
    if (w->next[k] != RP_NONE)
        w->prev[w->next[k]] = w->prev[k];
    else
        w->tail = w->prev[k];
    w->prev[k] = w->next[k] = RP_NONE;
    w->npending--;
    w->npending_cpu -= !rp_is_gpu(w, k);
}

/* ---------------- one run: events ---------------- */

static void rp_fail(struct rp_worker *w, int rc)
{
    if (!w->rc)
        w->rc = rc;
    engine_stop(&w->eng);
}

/* Backoff after `attempts` failed attempts (kube-scheduler's
 * calculateBackoffDuration). */
static int64_t rp_backoff(const struct replay_cfg *cfg, unsigned attempts)
{
    int64_t d = cfg->backoff_initial_us;
    if (d <= 0 || attempts == 0)
        return 0;
    for (unsigned i = 1; i < attempts && d < cfg->backoff_max_us; i++)
        d *= 2;
    return d < cfg->backoff_max_us ? d : cfg->backoff_max_us;
}

/* Updates the levels that change with a bind or release on node `node`. */
static void rp_levels(struct rp_worker *w, int64_t now, uint32_t node)
{
    frag_nodes_sync(&w->fn, &w->target, &w->cl, node);
    metrics_gauge_set(&w->g_frag, now, w->fn.sum);
    metrics_gauge_set(&w->g_alloc, now, (double)w->alloc_milli);
    metrics_gauge_set(&w->g_running, now, (double)w->nrunning);
}

/* One scheduling attempt for pod k at `now`. Returns true when it was placed
 * (it is then RUNNING and its delay recorded). */
static bool rp_attempt(struct rp_worker *w, uint32_t k, int64_t now)
{
    const struct rp_shared *sh = w->sh;
    uint32_t i = sh->pod[k];
    int64_t need = sh->pods.pod[i].gpu_total;
    w->out->attempts++;
    /* Cheap bound: not enough free GPU share in the whole cluster. */
    if (need > sh->capacity_milli - w->alloc_milli)
        return false;
    int rc = placer_place(&w->pl, &w->cl, &sh->pods.req[i], w->rsel.r, &w->where[k]);
    if (rc == OS_ENOFIT)
        return false;
    if (rc != OS_OK) {
        os_errorf(&w->err, rc, "replay: variant %s, seed %llu: placement failed: %s", w->vname,
                  (unsigned long long)w->seed, os_strerror(rc));
        rp_fail(w, rc);
        return false;
    }
    w->state[k] = RP_RUNNING;
    w->alloc_milli += need;
    w->nrunning++;
    rp_levels(w, now, w->where[k].node);
    int64_t d = now - sh->arr_t[k];
    w->delay[w->ndelay++] = d;
    w->out->scheduled++;
    w->out->delayed += d > 0;
    return true;
}

static void rp_failed_attempt(struct rp_worker *w, uint32_t k, int64_t now)
{
    if (w->attempts[k] < UINT16_MAX)
        w->attempts[k]++;
    w->backoff_until[k] = now + rp_backoff(w->sh->cfg, w->attempts[k]);
    w->moved[k] = 0;
}

static void rp_placed_from_queue(struct rp_worker *w, uint32_t k, int64_t now)
{
    rp_list_remove(w, k);
    metrics_gauge_set(&w->g_pending, now, (double)w->npending);
}

/* A moved pod whose backoff has ended: a full attempt. */
static void ev_retry(struct engine *e, void *ctx, uint64_t arg)
{
    struct rp_worker *w = ctx;
    uint32_t k = (uint32_t)arg;
    int64_t now = engine_now(e);
    w->retry_ev[k] = 0;
    if (w->state[k] != RP_PENDING)
        return;
    if (rp_attempt(w, k, now))
        rp_placed_from_queue(w, k, now);
    else if (!w->rc)
        rp_failed_attempt(w, k, now);
}

/* True when some freed node has free GPU share. */
static bool rp_freed_gpu(const struct rp_worker *w)
{
    for (uint32_t j = 0; j < w->nfreed; j++)
        if (w->cl.milli_free_sum[w->freed[j]] > 0)
            return true;
    return false;
}

/* After the deletions of one instant: moves the pending pods that a freed
 * node could now host (see the design note). */
static void rp_retry_pass(struct rp_worker *w, int64_t now)
{
    const struct rp_shared *sh = w->sh;
    bool gpu_free = rp_freed_gpu(w);
    for (uint32_t k = w->head; k != RP_NONE && !w->rc;) {
        uint32_t nx = w->next[k];
        bool all = sh->cfg->exhaustive_retry;
        if (!all && !gpu_free && w->npending_cpu == 0)
            break; /* the cheap bound: nothing pending can use the freed nodes */
        bool gpu = rp_is_gpu(w, k);
        if (w->moved[k] || (!all && gpu && !gpu_free)) {
            k = nx;
            continue;
        }
        const struct pod_req *r = &sh->pods.req[sh->pod[k]];
        bool fits = all;
        for (uint32_t j = 0; j < w->nfreed && !fits; j++)
            fits = placement_node_fits(&w->cl, r, w->freed[j]);
        if (!fits) {
            k = nx;
            continue;
        }
        if (w->backoff_until[k] > now) {
            w->moved[k] = 1;
            int rc = engine_schedule(&w->eng, w->backoff_until[k], ev_retry, w, k, &w->retry_ev[k],
                                     &w->err);
            if (rc)
                rp_fail(w, rc);
        } else if (rp_attempt(w, k, now)) {
            rp_placed_from_queue(w, k, now);
            if (gpu)
                gpu_free = rp_freed_gpu(w);
        } else if (!w->rc) {
            rp_failed_attempt(w, k, now);
        }
        k = nx;
    }
}

static void rp_depart(struct rp_worker *w, uint32_t k, int64_t now)
{
    const struct rp_shared *sh = w->sh;
    if (w->state[k] == RP_RUNNING) {
        const struct placement *pl = &w->where[k];
        placement_release(&w->cl, pl);
        w->alloc_milli -= sh->pods.pod[sh->pod[k]].gpu_total;
        w->nrunning--;
        w->state[k] = RP_DONE;
        rp_levels(w, now, pl->node);
        if (!w->freed_mark[pl->node]) {
            w->freed_mark[pl->node] = 1;
            w->freed[w->nfreed++] = pl->node;
        }
    } else if (w->state[k] == RP_PENDING) {
        rp_list_remove(w, k);
        if (w->retry_ev[k])
            engine_cancel(&w->eng, w->retry_ev[k]);
        w->retry_ev[k] = 0;
        w->state[k] = RP_UNSCHEDULED;
        w->out->unscheduled++;
        metrics_gauge_set(&w->g_pending, now, (double)w->npending);
    }
}

static void rp_arrive(struct rp_worker *w, uint32_t k, int64_t now)
{
    w->out->pods++;
    if (rp_attempt(w, k, now) || w->rc)
        return;
    w->state[k] = RP_PENDING;
    w->attempts[k] = 0;
    rp_failed_attempt(w, k, now);
    rp_list_append(w, k);
    metrics_gauge_set(&w->g_pending, now, (double)w->npending);
}

/* The trace: every deletion, then every arrival, at this instant; then the
 * next instant of either. One such event is pending at a time. */
static void ev_trace(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct rp_worker *w = ctx;
    const struct rp_shared *sh = w->sh;
    int64_t now = engine_now(e);
    while (w->di < sh->ndep && sh->dep_t[sh->dep[w->di]] == now)
        rp_depart(w, sh->dep[w->di++], now);
    if (w->nfreed > 0 && w->npending > 0)
        rp_retry_pass(w, now);
    for (uint32_t j = 0; j < w->nfreed; j++)
        w->freed_mark[w->freed[j]] = 0;
    w->nfreed = 0;
    while (w->ai < sh->n && sh->arr_t[w->ai] == now && !w->rc)
        rp_arrive(w, w->ai++, now);
    if (w->rc)
        return;
    int64_t next = ENGINE_TIME_MAX;
    if (w->ai < sh->n)
        next = sh->arr_t[w->ai];
    if (w->di < sh->ndep && sh->dep_t[sh->dep[w->di]] < next)
        next = sh->dep_t[sh->dep[w->di]];
    if (next <= sh->end) {
        int rc = engine_schedule(e, next, ev_trace, w, 0, NULL, &w->err);
        if (rc)
            rp_fail(w, rc);
    }
}

static void rp_put(struct rp_worker *w, const char *fmt, double x)
{
    size_t room = w->series_cap - w->series_len;
    int n = isfinite(x) ? snprintf(w->series + w->series_len, room, fmt, x)
                        : snprintf(w->series + w->series_len, room, ",");
    if (n > 0 && (size_t)n < room)
        w->series_len += (size_t)n;
}

/* A timeseries row: means over (previous sample, now]. */
static void ev_sample(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct rp_worker *w = ctx;
    const struct rp_shared *sh = w->sh;
    int64_t now = engine_now(e);
    double dt = (double)(now - w->s_prev);
    double ia = metrics_gauge_integral(&w->g_alloc, now);
    double ip = metrics_gauge_integral(&w->g_pending, now);
    double ir = metrics_gauge_integral(&w->g_running, now);
    if (w->series_cap - w->series_len >= RP_ROW_BYTES && dt > 0) {
        int n = snprintf(w->series + w->series_len, w->series_cap - w->series_len,
                         "%s,%llu,%.0f,%u,%u", w->vname, (unsigned long long)w->seed,
                         (double)now / 1e6, sh->nodes.n, sh->nodes.gpus);
        if (n > 0)
            w->series_len += (size_t)n;
        rp_put(w, ",%.4f", (ia - w->s_alloc) / dt / GPU_MILLI);
        rp_put(w, ",%.0f", 0.0); /* replicas */
        rp_put(w, ",%.4f", 0.0); /* queue_len */
        rp_put(w, ",%.4f", (ip - w->s_pending) / dt);
        rp_put(w, ",%.4f", (ir - w->s_running) / dt);
        rp_put(w, ",%.4f", NAN); /* cost_usd */
        w->series[w->series_len++] = '\n';
    }
    w->s_alloc = ia;
    w->s_pending = ip;
    w->s_running = ir;
    w->s_prev = now;
    int64_t iv = sh->cfg->interval_us;
    int64_t next = now + iv <= sh->end ? now + iv : (now < sh->end ? sh->end : ENGINE_TIME_MAX);
    if (next != ENGINE_TIME_MAX) {
        int rc = engine_schedule(e, next, ev_sample, w, 0, NULL, &w->err);
        if (rc)
            rp_fail(w, rc);
    }
}

/* ---------------- one run ---------------- */

/* pool_job.init (sim/pool.h) */
static int rp_worker_init(void *wv, void *shv, struct os_error *err)
{
    struct rp_worker *w = wv;
    const struct rp_shared *sh = shv;
    memset(w, 0, sizeof *w);
    w->sh = sh;
    int rc = frag_target_build(&w->target, sh->shapes, sh->nshapes, err);
    if (rc)
        return rc;
    w->target_live = true;
    rc = frag_nodes_init(&w->fn, &w->target, sh->nodes.n, err);
    if (rc)
        return rc;
    w->fn_live = true;
    size_t n = sh->n;
    w->state = calloc(n, sizeof *w->state);
    w->moved = calloc(n, sizeof *w->moved);
    w->attempts = calloc(n, sizeof *w->attempts);
    w->backoff_until = calloc(n, sizeof *w->backoff_until);
    w->retry_ev = calloc(n, sizeof *w->retry_ev);
    w->prev = calloc(n, sizeof *w->prev);
    w->next = calloc(n, sizeof *w->next);
    w->where = calloc(n, sizeof *w->where);
    w->delay = calloc(n, sizeof *w->delay);
    w->freed = calloc(sh->nodes.n, sizeof *w->freed);
    w->freed_mark = calloc(sh->nodes.n, sizeof *w->freed_mark);
    if (!w->state || !w->moved || !w->attempts || !w->backoff_until || !w->retry_ev || !w->prev ||
        !w->next || !w->where || !w->delay || !w->freed || !w->freed_mark)
        return os_errorf(err, OS_ENOMEM, "replay: out of memory for %zu pods", n);
    return OS_OK;
}

static void rp_worker_run_destroy(struct rp_worker *w)
{
    if (w->pl_live)
        placer_destroy(&w->pl);
    w->pl_live = false;
    if (w->eng_live)
        engine_destroy(&w->eng);
    w->eng_live = false;
    if (w->cl_live)
        cluster_destroy(&w->cl);
    w->cl_live = false;
    rng_destroy(&w->rsel);
    free(w->series);
    w->series = NULL;
}

/* pool_job.destroy */
static void rp_worker_destroy(void *wv)
{
    struct rp_worker *w = wv;
    rp_worker_run_destroy(w);
    free(w->state);
    free(w->moved);
    free(w->attempts);
    free(w->backoff_until);
    free(w->retry_ev);
    free(w->prev);
    free(w->next);
    free(w->where);
    free(w->delay);
    free(w->freed);
    free(w->freed_mark);
    if (w->fn_live)
        frag_nodes_destroy(&w->fn);
    if (w->target_live)
        frag_target_destroy(&w->target);
    memset(w, 0, sizeof *w);
}

/* Resets the per-pod and queue state for a new run. */
static void rp_worker_reset(struct rp_worker *w)
{
    size_t n = w->sh->n;
    memset(w->state, RP_NEW, n * sizeof *w->state);
    memset(w->moved, 0, n * sizeof *w->moved);
    memset(w->attempts, 0, n * sizeof *w->attempts);
    memset(w->backoff_until, 0, n * sizeof *w->backoff_until);
    memset(w->retry_ev, 0, n * sizeof *w->retry_ev);
    for (size_t k = 0; k < n; k++)
        w->prev[k] = w->next[k] = RP_NONE;
    w->ndelay = 0;
    w->head = w->tail = RP_NONE;
    w->npending = w->npending_cpu = w->nrunning = 0;
    w->nfreed = 0;
    w->ai = w->di = 0;
    w->alloc_milli = 0;
    w->s_alloc = w->s_pending = w->s_running = 0;
    w->s_prev = 0;
    w->series_len = 0;
    w->rc = 0;
    memset(&w->err, 0, sizeof w->err);
}

/* pool_job.run */
static int rp_run_one(void *wv, unsigned run, struct os_error *err)
{
    struct rp_worker *w = wv;
    const struct rp_shared *sh = w->sh;
    const struct replay_cfg *cfg = sh->cfg;
    unsigned v = run / cfg->nseeds, s = run % cfg->nseeds;
    uint64_t seed = cfg->seed0 + s;
    struct replay_run *out = &sh->res->runs[run];
    memset(out, 0, sizeof *out);
    out->variant = v;
    out->seed = seed;
    rp_worker_reset(w);
    w->out = out;
    w->vname = cfg->variants[v].name;
    w->seed = seed;

    int rc = packing_cluster_build(&w->cl, &sh->nodes, err);
    if (rc)
        goto out;
    w->cl_live = true;
    frag_nodes_reset(&w->fn);
    frag_nodes_sync_all(&w->fn, &w->target, &w->cl);
    struct placer_opts opts = {
        .shapes = sh->shapes,
        .n_shapes = sh->nshapes,
        .seed = rng_derive_seed(seed, "replay.placer", 0),
        .tie_node_order = true,
    };
    rc = placer_init_ops(&w->pl, sh->ops[v], &w->cl, &opts, err);
    if (rc)
        goto out;
    w->pl_live = true;
    rc = rng_init(&w->rsel, seed, "replay.place", 0, err);
    if (rc)
        goto out;
    rc = engine_init(&w->eng, (size_t)sh->n + 16, err);
    if (rc)
        goto out;
    w->eng_live = true;
    bool want_series = cfg->interval_us > 0 && (s == 0 || cfg->series_all_seeds);
    if (want_series) {
        size_t rows = (size_t)(sh->end / cfg->interval_us) + 2;
        w->series_cap = rows * RP_ROW_BYTES + 1;
        w->series = malloc(w->series_cap);
        if (!w->series) {
            rc = os_errorf(err, OS_ENOMEM, "replay: out of memory for %zu timeseries rows", rows);
            goto out;
        }
        int64_t first = cfg->interval_us < sh->end ? cfg->interval_us : sh->end;
        rc = engine_schedule(&w->eng, first, ev_sample, w, 0, NULL, err);
        if (rc)
            goto out;
    }
    metrics_gauge_init(&w->g_alloc, 0, 0);
    metrics_gauge_init(&w->g_frag, 0, w->fn.sum);
    metrics_gauge_init(&w->g_pending, 0, 0);
    metrics_gauge_init(&w->g_running, 0, 0);
    int64_t first = sh->arr_t[0];
    if (sh->ndep > 0 && sh->dep_t[sh->dep[0]] < first)
        first = sh->dep_t[sh->dep[0]];
    if (first <= sh->end) {
        rc = engine_schedule(&w->eng, first, ev_trace, w, 0, NULL, err);
        if (rc)
            goto out;
    }
    engine_run(&w->eng, sh->end);
    if (w->rc) {
        rc = w->rc;
        *err = w->err;
        goto out;
    }
    int64_t end = sh->end;
    double cap = (double)sh->capacity_milli;
    out->gpu_alloc_pct = 100.0 * metrics_gauge_mean(&w->g_alloc, end) / cap;
    out->frag_pct = 100.0 * metrics_gauge_mean(&w->g_frag, end) / cap;
    out->pending_peak = metrics_gauge_max(&w->g_pending, end);
    out->running_mean = metrics_gauge_mean(&w->g_running, end);
    out->pending_end = w->npending;
    out->events = engine_fired(&w->eng);
    double sum = 0;
    for (uint32_t j = 0; j < w->ndelay; j++)
        sum += (double)w->delay[j];
    out->pending_mean_s = w->ndelay ? sum / w->ndelay / 1e6 : NAN;
    metrics_sort_i64(w->delay, w->ndelay);
    out->pending_p50_s = replay_quantile(w->delay, w->ndelay, 0.50) / 1e6;
    out->pending_p99_s = replay_quantile(w->delay, w->ndelay, 0.99) / 1e6;
    out->pending_max_s = w->ndelay ? (double)w->delay[w->ndelay - 1] / 1e6 : NAN;
    if (w->series) {
        out->series = w->series; /* handed over */
        out->series_len = w->series_len;
        w->series = NULL;
    }
    rc = OS_OK;
out:
    rp_worker_run_destroy(w);
    return rc;
}

/* ---------------- the experiment ---------------- */

static int rp_check_cfg(const struct replay_cfg *cfg, struct os_error *err)
{
    if (cfg->nseeds == 0 || cfg->nseeds > REPLAY_SEEDS_MAX)
        return os_errorf(err, OS_EINVAL, "replay: seeds must be 1..%d, got %u", REPLAY_SEEDS_MAX,
                         cfg->nseeds);
    if (cfg->nvariants == 0 || cfg->nvariants > REPLAY_VARIANTS_MAX)
        return os_errorf(err, OS_EINVAL, "replay: 1..%d variants expected, got %u",
                         REPLAY_VARIANTS_MAX, cfg->nvariants);
    if (cfg->pods_format != TRACE_OPENB_NODE && cfg->pods_format != TRACE_OPENB_POD &&
        cfg->pods_format != TRACE_DLRM)
        return os_errorf(err, OS_EINVAL, "replay: pods must be openb_pod or dlrm, not %s",
                         trace_format_name(cfg->pods_format));
    if (cfg->time_scale < 0 || cfg->node_fraction < 0 || cfg->node_fraction > 1 ||
        cfg->start_us < 0 || cfg->duration_us < 0 || cfg->interval_us < 0 ||
        cfg->backoff_initial_us < 0 || cfg->backoff_max_us < cfg->backoff_initial_us)
        return os_errorf(err, OS_EINVAL,
                         "replay: time_scale, node_fraction (<= 1), start, duration, interval "
                         "or backoff (initial <= max) out of range");
    return placer_check_variants("replay", cfg->variants[0].name, cfg->variants[0].policy,
                                 sizeof cfg->variants[0], cfg->nvariants, err);
}

static void rp_shared_destroy(struct rp_shared *sh)
{
    packing_nodes_destroy(&sh->nodes);
    packing_pods_destroy(&sh->pods);
    free(sh->shapes);
    free(sh->pod);
    free(sh->arr_t);
    free(sh->dep_t);
    free(sh->dep);
}

void replay_result_destroy(struct replay_result *res)
{
    if (res->runs)
        for (size_t i = 0; i < (size_t)res->nvariants * res->nseeds; i++)
            free(res->runs[i].series);
    free(res->runs);
    memset(res, 0, sizeof *res);
}

int replay_run(const struct replay_cfg *cfg, struct replay_result *res, struct os_error *err)
{
    memset(res, 0, sizeof *res);
    int rc = rp_check_cfg(cfg, err);
    if (rc)
        return rc;
    struct rp_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.cfg = cfg;
    sh.res = res;
    enum trace_format fmt = cfg->pods_format == TRACE_DLRM ? TRACE_DLRM : TRACE_OPENB_POD;
    rc = packing_nodes_load(&sh.nodes, cfg->nodes_csv, cfg->skip_malformed, err);
    if (rc)
        goto out;
    rc = rp_subsample(&sh.nodes, cfg->node_fraction, cfg->nodes_csv, err);
    if (rc)
        goto out;
    rc = packing_pods_load(&sh.pods, cfg->pods_csv, fmt, &sh.nodes, cfg->skip_malformed, err);
    if (rc)
        goto out;
    sh.capacity_milli = (int64_t)sh.nodes.gpus * GPU_MILLI;
    rc = rp_prepare(&sh, err);
    if (rc)
        goto out;
    /* The fragmentation target: the shapes of the replayed pods. */
    struct packing_pods sub = sh.pods;
    struct pod_req *reqs = malloc((size_t)sh.n * sizeof *reqs);
    if (!reqs) {
        rc = os_errorf(err, OS_ENOMEM, "replay: out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < sh.n; k++)
        reqs[k] = sh.pods.req[sh.pod[k]];
    sub.n = sh.n;
    sub.req = reqs;
    rc = packing_shapes_build(&sub, cfg->popularity_pct, &sh.shapes, &sh.nshapes, err);
    free(reqs);
    if (rc)
        goto out;
    for (unsigned v = 0; v < cfg->nvariants; v++)
        sh.ops[v] = placer_find(cfg->variants[v].policy);

    unsigned nruns = cfg->nvariants * cfg->nseeds;
    res->nvariants = cfg->nvariants;
    res->nseeds = cfg->nseeds;
    res->runs = calloc(nruns, sizeof *res->runs);
    if (!res->runs) {
        rc = os_errorf(err, OS_ENOMEM, "replay: out of memory for %u runs", nruns);
        goto out;
    }
    struct pool_job job = {&sh, sizeof(struct rp_worker), rp_worker_init, rp_run_one,
                           rp_worker_destroy};
    rc = pool_run(&job, nruns, cfg->threads, err);
    if (rc)
        goto out;
    res->nodes = sh.nodes.n;
    res->gpus = sh.nodes.gpus;
    res->pods_in = sh.pods.n;
    res->shapes = (uint32_t)sh.nshapes;
    rc = OS_OK;
out:
    rp_shared_destroy(&sh);
    if (rc)
        replay_result_destroy(res);
    return rc;
}
