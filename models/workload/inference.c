/*
 * inference.c - the inference service: request pool, FIFO ring, replicas with
 * slots, least-loaded dispatch, speed changes, drain/kill, lazy queue timeout,
 * and the metrics of inference.h.
 *
 * Invariants (checked by the tests through the Little's-law sums):
 * - Every request index is in exactly one place: the free list, the queue
 *   ring, or one slot of one live replica.
 * - queue_g = ring_len, busy_g = sum of replica busy, system_g = queue_g +
 *   busy_g, slots_g = sum of concurrency over live replicas, active_g = number
 *   of active replicas.
 * - The queue is sorted by original arrival time (new arrivals at the tail,
 *   retries at the head, and in-flight requests arrived no later than any
 *   queued one), so the request with the earliest deadline is the head and one
 *   timer suffices for the queue timeout: it is armed for the head's deadline
 *   and, when it fires, drops the expired heads and re-arms.
 */
#include "models/workload/inference.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#define NONE UINT32_MAX

enum { REP_ACTIVE = 0, REP_DRAINING = 1, REP_GONE = 2 };

/* One request. `work_left` and `prefill_left` are microseconds of work at
 * speed 1 still to do in the current attempt, as of `seg_us`. */
struct inference_req {
    int64_t arrival_us;
    int64_t enq_us;   /* when it last entered the queue */
    int64_t start_us; /* start of the current attempt, or -1 */
    int64_t seg_us;   /* start of the current constant-speed segment */
    int64_t ttft_us;  /* first token of the current attempt, or -1 */
    double work_left;
    double prefill_left;
    uint64_t done_ev;
    int32_t prompt, output;
    uint32_t replica; /* in service: replica id; else NONE (last one kept in last_replica) */
    uint32_t slot;
    uint32_t retries;
    uint32_t last_replica;
    uint32_t next_free;
};

/* ------------------------------------------------------------------------ */
/* Configuration                                                              */

void inference_cfg_defaults(struct inference_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->service = INFERENCE_SERVICE_TOKENS;
    c->t_prefill_us = 250.0;  /* [U] A10G, 7B fp16, see inference.h */
    c->t_decode_us = 30000.0; /* [U] */
    c->exp_mean_us = 1000000.0;
    c->queue_timeout_us = 0;
    c->max_queue = 0;
    c->slo_us = 10 * ENGINE_US_PER_S; /* [U] */
    c->max_retries = 3;               /* [U] */
    c->hist_sig_bits = 0;
}

static int check_cfg(const struct inference_cfg *c, struct os_error *err)
{
    if (c->service != INFERENCE_SERVICE_TOKENS && c->service != INFERENCE_SERVICE_EXP)
        return os_errorf(err, OS_EINVAL, "inference: unknown service kind %d", (int)c->service);
    if (!(c->t_prefill_us >= 0) || !isfinite(c->t_prefill_us))
        return os_errorf(err, OS_EINVAL, "inference: t_prefill_us %g must be >= 0",
                         c->t_prefill_us);
    if (!(c->t_decode_us >= 0) || !isfinite(c->t_decode_us))
        return os_errorf(err, OS_EINVAL, "inference: t_decode_us %g must be >= 0", c->t_decode_us);
    if (c->service == INFERENCE_SERVICE_EXP && (!(c->exp_mean_us > 0) || !isfinite(c->exp_mean_us)))
        return os_errorf(err, OS_EINVAL, "inference: exp_mean_us %g must be > 0", c->exp_mean_us);
    if (c->queue_timeout_us < 0)
        return os_errorf(err, OS_EINVAL, "inference: queue_timeout_us %" PRId64 " must be >= 0",
                         c->queue_timeout_us);
    if (c->slo_us <= 0)
        return os_errorf(err, OS_EINVAL, "inference: slo_us %" PRId64 " must be > 0", c->slo_us);
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* Pool and ring                                                              */

static int pool_grow(struct inference *s, struct os_error *err)
{
    uint32_t cap = s->reqs_cap ? 2 * s->reqs_cap : 64;
    if (cap <= s->reqs_cap || cap >= NONE)
        return os_errorf(err, OS_EFULL, "inference: more than %u requests in the system",
                         s->reqs_cap);
    struct inference_req *r = realloc(s->reqs, (size_t)cap * sizeof *r);
    if (!r)
        return os_errorf(err, OS_ENOMEM, "inference: cannot grow the request pool to %u", cap);
    for (uint32_t i = s->reqs_cap; i < cap; i++)
        r[i].next_free = i + 1 < cap ? i + 1 : s->free_head;
    s->free_head = s->reqs_cap;
    s->reqs = r;
    s->reqs_cap = cap;
    return OS_OK;
}

static int req_alloc(struct inference *s, uint32_t *out, struct os_error *err)
{
    if (s->free_head == NONE) {
        int rc = pool_grow(s, err);
        if (rc)
            return rc;
    }
    *out = s->free_head;
    s->free_head = s->reqs[*out].next_free;
    s->reqs_used++;
    return OS_OK;
}

static void req_free(struct inference *s, uint32_t i)
{
    s->reqs[i].next_free = s->free_head;
    s->free_head = i;
    s->reqs_used--;
}

/* Doubles the ring (its capacity is a power of two), keeping the order. */
static int ring_grow(struct inference *s, struct os_error *err)
{
    uint32_t cap = s->ring_cap ? 2 * s->ring_cap : 64;
    if (cap <= s->ring_cap)
        return os_errorf(err, OS_EFULL, "inference: queue longer than %u", s->ring_cap);
    uint32_t *r = malloc((size_t)cap * sizeof *r);
    if (!r)
        return os_errorf(err, OS_ENOMEM, "inference: cannot grow the queue to %u", cap);
    for (uint32_t i = 0; i < s->ring_len; i++)
        r[i] = s->ring[(s->ring_head + i) & (s->ring_cap - 1)];
    free(s->ring);
    s->ring = r;
    s->ring_cap = cap;
    s->ring_head = 0;
    return OS_OK;
}

/* Makes room for one more entry in the ring. */
static int ring_reserve(struct inference *s, struct os_error *err)
{
    return s->ring_len < s->ring_cap ? OS_OK : ring_grow(s, err);
}

static void ring_push_back(struct inference *s, uint32_t i)
{
    s->ring[(s->ring_head + s->ring_len) & (s->ring_cap - 1)] = i;
    s->ring_len++;
}

static void ring_push_front(struct inference *s, uint32_t i)
{
    s->ring_head = (s->ring_head + s->ring_cap - 1) & (s->ring_cap - 1);
    s->ring[s->ring_head] = i;
    s->ring_len++;
}

static uint32_t ring_front(const struct inference *s)
{
    return s->ring[s->ring_head];
}

static uint32_t ring_pop_front(struct inference *s)
{
    uint32_t i = s->ring[s->ring_head];
    s->ring_head = (s->ring_head + 1) & (s->ring_cap - 1);
    s->ring_len--;
    return i;
}

/* ------------------------------------------------------------------------ */
/* Accounting helpers                                                         */

static int64_t now_of(const struct inference *s)
{
    return engine_now(s->engine);
}

static void fail(struct inference *s, int rc)
{
    if (!s->status)
        s->status = rc;
}

/* A request leaves the system (any outcome). */
static void depart(struct inference *s, uint32_t i, enum inference_outcome outcome)
{
    struct inference_req *q = &s->reqs[i];
    int64_t now = now_of(s);
    s->sojourn_sum_us += now - q->arrival_us;
    s->present_arrival_sum_us -= q->arrival_us;
    metrics_gauge_add(&s->system_g, now, -1);
    switch (outcome) {
    case INFERENCE_COMPLETED: {
        int64_t lat = now - q->arrival_us;
        s->completed++;
        metrics_hist_record(&s->latency, lat);
        metrics_hist_record(&s->ttft, q->ttft_us - q->arrival_us);
        if (lat <= s->cfg.slo_us)
            s->slo_met++;
        break;
    }
    case INFERENCE_REJECTED:
        s->rejected++;
        break;
    case INFERENCE_TIMED_OUT:
        s->timed_out++;
        break;
    case INFERENCE_KILLED:
        s->killed++;
        break;
    }
    if (s->cfg.hooks.on_request) {
        struct inference_request_info info = {
            .outcome = outcome,
            .arrival_us = q->arrival_us,
            .start_us = q->start_us,
            .ttft_us = outcome == INFERENCE_COMPLETED ? q->ttft_us : -1,
            .end_us = now,
            .prompt_tokens = q->prompt,
            .output_tokens = q->output,
            .retries = q->retries,
            .replica = q->last_replica,
        };
        s->cfg.hooks.on_request(s->cfg.hooks.ctx, &info);
    }
    req_free(s, i);
}

/* Brings a request's progress up to now at the speed it has been running at;
 * records the first token if the prefill finished in this segment. */
static void advance(struct inference_req *q, int64_t now, double speed)
{
    double done = (double)(now - q->seg_us) * speed;
    if (q->ttft_us < 0 && q->prefill_left <= done)
        q->ttft_us = q->seg_us + llround(q->prefill_left / speed);
    q->prefill_left = q->prefill_left > done ? q->prefill_left - done : 0.0;
    q->work_left = q->work_left > done ? q->work_left - done : 0.0;
    q->seg_us = now;
}

static void on_done(struct engine *e, void *ctx, uint64_t arg);

static int plan_completion(struct inference *s, uint32_t i, double speed, struct os_error *err)
{
    struct inference_req *q = &s->reqs[i];
    int64_t d = llround(q->work_left / speed);
    return engine_after(s->engine, d < 0 ? 0 : d, on_done, s, i, &q->done_ev, err);
}

/* ------------------------------------------------------------------------ */
/* Timeout                                                                    */

static void on_timeout(struct engine *e, void *ctx, uint64_t arg);

static void arm_timeout(struct inference *s)
{
    if (s->cfg.queue_timeout_us <= 0 || s->ring_len == 0)
        return;
    int64_t deadline = s->reqs[ring_front(s)].arrival_us + s->cfg.queue_timeout_us;
    int64_t now = now_of(s);
    if (deadline < now)
        deadline = now;
    if (s->timeout_ev && engine_pending_id(s->engine, s->timeout_ev)) {
        /* The pending timer fires no later than the head's deadline unless a
         * retry with an earlier deadline was just put at the head. */
        if (s->timeout_at <= deadline)
            return;
        engine_cancel(s->engine, s->timeout_ev);
    }
    s->timeout_at = deadline;
    int rc = engine_schedule(s->engine, deadline, on_timeout, s, 0, &s->timeout_ev, &s->status_err);
    if (rc)
        fail(s, rc);
}

static void on_timeout(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct inference *s = ctx;
    int64_t now = engine_now(e);
    s->timeout_ev = 0;
    while (s->ring_len && s->reqs[ring_front(s)].arrival_us + s->cfg.queue_timeout_us <= now) {
        uint32_t i = ring_pop_front(s);
        s->queue_time_sum_us += now - s->reqs[i].enq_us;
        metrics_gauge_add(&s->queue_g, now, -1);
        depart(s, i, INFERENCE_TIMED_OUT);
    }
    arm_timeout(s);
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                   */

/* The accepting replica with a free slot and the lowest busy fraction, ties
 * to the lowest id [U]; NONE if there is none. */
static uint32_t pick_replica(const struct inference *s)
{
    uint32_t best = NONE;
    for (uint32_t k = 0; k < s->live_len; k++) {
        uint32_t id = s->live[k];
        const struct inference_replica *r = &s->reps[id];
        if (r->state != REP_ACTIVE || r->busy >= r->concurrency)
            continue;
        if (best == NONE) {
            best = id;
            continue;
        }
        const struct inference_replica *b = &s->reps[best];
        uint64_t lhs = (uint64_t)r->busy * b->concurrency;
        uint64_t rhs = (uint64_t)b->busy * r->concurrency;
        if (lhs < rhs || (lhs == rhs && id < best))
            best = id;
    }
    return best;
}

static int start_service(struct inference *s, uint32_t i, uint32_t id, struct os_error *err)
{
    struct inference_replica *r = &s->reps[id];
    struct inference_req *q = &s->reqs[i];
    int64_t now = now_of(s);
    uint32_t slot = 0;
    while (r->slot_req[slot] != NONE)
        slot++;
    r->slot_req[slot] = i;
    r->busy++;
    metrics_gauge_add(&r->busy_g, now, 1);
    metrics_gauge_add(&s->busy_g, now, 1);
    metrics_hist_record(&s->wait, now - q->enq_us);
    q->replica = id;
    q->last_replica = id;
    q->slot = slot;
    q->start_us = now;
    q->seg_us = now;
    q->ttft_us = -1;
    if (s->cfg.service == INFERENCE_SERVICE_EXP) {
        q->prefill_left = 0.0;
        q->work_left = gsl_ran_exponential(s->rng.r, s->cfg.exp_mean_us);
    } else {
        q->prefill_left = (double)q->prompt * s->cfg.t_prefill_us;
        q->work_left = q->prefill_left + (double)q->output * s->cfg.t_decode_us;
    }
    if (q->prefill_left <= 0.0)
        q->ttft_us = now;
    return plan_completion(s, i, r->speed, err);
}

static int dispatch(struct inference *s, struct os_error *err)
{
    while (s->ring_len) {
        uint32_t id = pick_replica(s);
        if (id == NONE)
            break;
        uint32_t i = ring_pop_front(s);
        int64_t now = now_of(s);
        s->queue_time_sum_us += now - s->reqs[i].enq_us;
        metrics_gauge_add(&s->queue_g, now, -1);
        int rc = start_service(s, i, id, err);
        if (rc)
            return rc;
    }
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* Replicas                                                                   */

static void live_remove(struct inference *s, uint32_t id)
{
    uint32_t pos = s->reps[id].live_pos;
    uint32_t last = s->live[--s->live_len];
    s->live[pos] = last;
    s->reps[last].live_pos = pos;
}

/* The replica has no request left and is removed. */
static void replica_gone(struct inference *s, uint32_t id)
{
    struct inference_replica *r = &s->reps[id];
    int64_t now = now_of(s);
    if (r->state == REP_ACTIVE)
        metrics_gauge_add(&s->active_g, now, -1);
    r->state = REP_GONE;
    r->gone_us = now;
    metrics_gauge_set(&r->busy_g, now, 0);
    metrics_gauge_add(&s->slots_g, now, -(double)r->concurrency);
    free(r->slot_req);
    r->slot_req = NULL;
    live_remove(s, id);
    if (s->cfg.hooks.on_replica_gone)
        s->cfg.hooks.on_replica_gone(s->cfg.hooks.ctx, id);
}

static void on_done(struct engine *e, void *ctx, uint64_t arg)
{
    struct inference *s = ctx;
    uint32_t i = (uint32_t)arg;
    struct inference_req *q = &s->reqs[i];
    uint32_t id = q->replica;
    struct inference_replica *r = &s->reps[id];
    int64_t now = engine_now(e);
    advance(q, now, r->speed);
    if (q->ttft_us < 0 || q->ttft_us > now)
        q->ttft_us = now; /* rounding guard: the first token is never after the last */
    q->done_ev = 0;
    r->slot_req[q->slot] = NONE;
    r->busy--;
    r->completed++;
    metrics_gauge_add(&r->busy_g, now, -1);
    metrics_gauge_add(&s->busy_g, now, -1);
    s->service_time_sum_us += now - q->start_us;
    q->replica = NONE;
    depart(s, i, INFERENCE_COMPLETED);
    if (r->state == REP_DRAINING && r->busy == 0)
        replica_gone(s, id);
    int rc = dispatch(s, &s->status_err);
    if (rc)
        fail(s, rc);
    arm_timeout(s);
}

static int find_replica(const struct inference *s, uint32_t id, struct os_error *err)
{
    if (id >= s->reps_len)
        return os_errorf(err, OS_EINVAL, "inference: no replica %u", id);
    if (s->reps[id].state == REP_GONE)
        return os_errorf(err, OS_EINVAL, "inference: replica %u is gone", id);
    return OS_OK;
}

int inference_add_replica(struct inference *s, double speed, uint32_t concurrency, uint32_t *id,
                          struct os_error *err)
{
    if (!(speed > 0) || !isfinite(speed))
        return os_errorf(err, OS_EINVAL, "inference: replica speed %g must be > 0", speed);
    if (concurrency < 1 || concurrency > 65535)
        return os_errorf(err, OS_EINVAL, "inference: replica concurrency %u outside 1..65535",
                         concurrency);
    if (s->reps_len == s->reps_cap) {
        uint32_t cap = s->reps_cap ? 2 * s->reps_cap : 8;
        if (cap <= s->reps_cap || cap >= NONE)
            return os_errorf(err, OS_EFULL, "inference: too many replicas");
        struct inference_replica *r = realloc(s->reps, (size_t)cap * sizeof *r);
        if (!r)
            return os_errorf(err, OS_ENOMEM, "inference: cannot grow the replica table");
        s->reps = r;
        uint32_t *l = realloc(s->live, (size_t)cap * sizeof *l);
        if (!l)
            return os_errorf(err, OS_ENOMEM, "inference: cannot grow the replica table");
        s->live = l;
        s->reps_cap = cap;
    }
    uint32_t *slots = malloc((size_t)concurrency * sizeof *slots);
    if (!slots)
        return os_errorf(err, OS_ENOMEM, "inference: cannot allocate %u slots", concurrency);
    for (uint32_t k = 0; k < concurrency; k++)
        slots[k] = NONE;
    int64_t now = now_of(s);
    uint32_t n = s->reps_len++;
    struct inference_replica *r = &s->reps[n];
    memset(r, 0, sizeof *r);
    r->concurrency = concurrency;
    r->state = REP_ACTIVE;
    r->speed = speed;
    r->added_us = now;
    r->gone_us = -1;
    r->slot_req = slots;
    metrics_gauge_init(&r->busy_g, now, 0);
    r->live_pos = s->live_len;
    s->live[s->live_len++] = n;
    metrics_gauge_add(&s->slots_g, now, (double)concurrency);
    metrics_gauge_add(&s->active_g, now, 1);
    if (id)
        *id = n;
    int rc = dispatch(s, err);
    if (rc)
        return rc;
    return OS_OK;
}

/* Sorts killed requests by (arrival, index) so retries keep arrival order. */
static void sort_by_arrival(const struct inference *s, uint32_t *v, uint32_t n)
{
    for (uint32_t a = 1; a < n; a++) {
        uint32_t x = v[a];
        uint32_t b = a;
        while (b > 0) {
            const struct inference_req *p = &s->reqs[v[b - 1]], *q = &s->reqs[x];
            if (p->arrival_us < q->arrival_us || (p->arrival_us == q->arrival_us && v[b - 1] < x))
                break;
            v[b] = v[b - 1];
            b--;
        }
        v[b] = x;
    }
}

int inference_remove_replica(struct inference *s, uint32_t id, enum inference_remove_mode mode,
                             struct os_error *err)
{
    int rc = find_replica(s, id, err);
    if (rc)
        return rc;
    if (mode != INFERENCE_DRAIN && mode != INFERENCE_KILL_RETRY && mode != INFERENCE_KILL_DROP)
        return os_errorf(err, OS_EINVAL, "inference: unknown remove mode %d", (int)mode);
    struct inference_replica *r = &s->reps[id];
    int64_t now = now_of(s);
    if (mode == INFERENCE_DRAIN) {
        if (r->state == REP_ACTIVE) {
            r->state = REP_DRAINING;
            metrics_gauge_add(&s->active_g, now, -1);
        }
        if (r->busy == 0)
            replica_gone(s, id);
        return OS_OK;
    }
    /* Kill: take every in-flight request off the replica. The retried ones
     * are collected in the replica's own slot array (reused as scratch). */
    uint32_t nretry = 0;
    for (uint32_t k = 0; k < r->concurrency; k++) {
        uint32_t i = r->slot_req[k];
        if (i == NONE)
            continue;
        struct inference_req *q = &s->reqs[i];
        engine_cancel(s->engine, q->done_ev);
        q->done_ev = 0;
        q->replica = NONE;
        s->service_time_sum_us += now - q->start_us;
        r->killed++;
        r->busy--;
        metrics_gauge_add(&r->busy_g, now, -1);
        metrics_gauge_add(&s->busy_g, now, -1);
        if (mode == INFERENCE_KILL_RETRY && q->retries < s->cfg.max_retries) {
            q->retries++;
            s->retried++;
            r->slot_req[nretry++] = i;
        } else {
            depart(s, i, INFERENCE_KILLED);
        }
    }
    sort_by_arrival(s, r->slot_req, nretry);
    for (uint32_t k = nretry; k-- > 0;) {
        uint32_t i = r->slot_req[k];
        rc = ring_reserve(s, err);
        if (rc)
            return rc; /* the unqueued retries are lost; the service is broken (OS_ENOMEM) */
        s->reqs[i].enq_us = now;
        ring_push_front(s, i);
        metrics_gauge_add(&s->queue_g, now, 1);
    }
    for (uint32_t k = 0; k < r->concurrency; k++)
        r->slot_req[k] = NONE;
    replica_gone(s, id);
    rc = dispatch(s, err);
    arm_timeout(s);
    return rc;
}

int inference_set_speed(struct inference *s, uint32_t id, double speed, struct os_error *err)
{
    int rc = find_replica(s, id, err);
    if (rc)
        return rc;
    if (!(speed > 0) || !isfinite(speed))
        return os_errorf(err, OS_EINVAL, "inference: replica speed %g must be > 0", speed);
    struct inference_replica *r = &s->reps[id];
    int64_t now = now_of(s);
    for (uint32_t k = 0; k < r->concurrency; k++) {
        uint32_t i = r->slot_req[k];
        if (i == NONE)
            continue;
        struct inference_req *q = &s->reqs[i];
        advance(q, now, r->speed);
        engine_cancel(s->engine, q->done_ev);
        rc = plan_completion(s, i, speed, err);
        if (rc)
            return rc;
    }
    r->speed = speed;
    return OS_OK;
}

bool inference_replica_live(const struct inference *s, uint32_t id)
{
    return id < s->reps_len && s->reps[id].state != REP_GONE;
}

int inference_replica_stats(const struct inference *s, uint32_t id,
                            struct inference_replica_stats *out, struct os_error *err)
{
    if (id >= s->reps_len)
        return os_errorf(err, OS_EINVAL, "inference: no replica %u", id);
    const struct inference_replica *r = &s->reps[id];
    int64_t end = r->state == REP_GONE ? r->gone_us : now_of(s);
    out->draining = r->state == REP_DRAINING;
    out->gone = r->state == REP_GONE;
    out->speed = r->speed;
    out->concurrency = r->concurrency;
    out->busy = r->busy;
    out->added_us = r->added_us;
    out->gone_us = r->gone_us;
    out->busy_slot_s = metrics_gauge_integral(&r->busy_g, end) / 1e6;
    int64_t life = end - r->added_us;
    out->utilization =
        life > 0 ? metrics_gauge_integral(&r->busy_g, end) / ((double)r->concurrency * (double)life)
                 : NAN;
    out->completed = r->completed;
    out->killed = r->killed;
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                   */

int inference_submit(struct inference *s, int32_t prompt_tokens, int32_t output_tokens,
                     struct os_error *err)
{
    if (prompt_tokens < 0 || output_tokens < 0)
        return os_errorf(err, OS_EINVAL, "inference: negative token counts (%d, %d)",
                         (int)prompt_tokens, (int)output_tokens);
    int64_t now = now_of(s);
    uint32_t i;
    int rc = ring_reserve(s, err);
    if (rc)
        return rc;
    rc = req_alloc(s, &i, err);
    if (rc)
        return rc;
    struct inference_req *q = &s->reqs[i];
    q->arrival_us = now;
    q->enq_us = now;
    q->start_us = -1;
    q->seg_us = now;
    q->ttft_us = -1;
    q->work_left = q->prefill_left = 0;
    q->done_ev = 0;
    q->prompt = prompt_tokens;
    q->output = output_tokens;
    q->replica = NONE;
    q->last_replica = NONE;
    q->slot = 0;
    q->retries = 0;
    s->arrived++;
    s->present_arrival_sum_us += now;
    metrics_gauge_add(&s->system_g, now, 1);
    if (s->cfg.max_queue && s->ring_len >= s->cfg.max_queue) {
        depart(s, i, INFERENCE_REJECTED);
        return OS_OK;
    }
    ring_push_back(s, i);
    metrics_gauge_add(&s->queue_g, now, 1);
    rc = dispatch(s, err);
    arm_timeout(s);
    return rc;
}

static void on_feed(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    struct inference *s = ctx;
    s->feed_ev = 0;
    int rc = inference_submit(s, s->next_arrival.prompt_tokens, s->next_arrival.output_tokens,
                              &s->status_err);
    if (rc) {
        fail(s, rc);
        return;
    }
    rc = arrivals_next(s->src, &s->next_arrival, &s->status_err);
    if (rc < 0) {
        fail(s, rc);
        return;
    }
    if (rc == 1) {
        rc = engine_schedule(s->engine, s->next_arrival.time_us, on_feed, s, 0, &s->feed_ev,
                             &s->status_err);
        if (rc)
            fail(s, rc);
    }
}

int inference_feed(struct inference *s, struct arrivals *src, struct os_error *err)
{
    if (s->src)
        return os_errorf(err, OS_EINVAL, "inference: the service already has a source");
    int rc = arrivals_next(src, &s->next_arrival, err);
    if (rc < 0)
        return rc;
    s->src = src;
    if (rc == 0)
        return OS_OK;
    if (s->next_arrival.time_us < now_of(s))
        return os_errorf(err, OS_EINVAL,
                         "inference: first arrival at %" PRId64 " us is before now (%" PRId64
                         " us)",
                         s->next_arrival.time_us, now_of(s));
    return engine_schedule(s->engine, s->next_arrival.time_us, on_feed, s, 0, &s->feed_ev, err);
}

int inference_status(const struct inference *s, struct os_error *err)
{
    if (s->status && err)
        *err = s->status_err;
    return s->status;
}

uint64_t inference_queued(const struct inference *s)
{
    return s->ring_len;
}

uint64_t inference_in_service(const struct inference *s)
{
    return (uint64_t)metrics_gauge_level(&s->busy_g);
}

uint32_t inference_active_replicas(const struct inference *s)
{
    return (uint32_t)metrics_gauge_level(&s->active_g);
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                                 */

int inference_init(struct inference *s, struct engine *e, const struct inference_cfg *cfg,
                   struct os_error *err)
{
    memset(s, 0, sizeof *s);
    s->free_head = NONE;
    int rc = check_cfg(cfg, err);
    if (rc)
        return rc;
    s->engine = e;
    s->cfg = *cfg;
    s->t0 = engine_now(e);
    rc = rng_init(&s->rng, cfg->seed, "inference.service", cfg->stream, err);
    if (rc)
        return rc;
    rc = metrics_hist_init(&s->latency, cfg->hist_sig_bits, INT64_MAX, err);
    if (!rc)
        rc = metrics_hist_init(&s->ttft, cfg->hist_sig_bits, INT64_MAX, err);
    if (!rc)
        rc = metrics_hist_init(&s->wait, cfg->hist_sig_bits, INT64_MAX, err);
    if (rc)
        goto out_destroy;
    size_t hint = cfg->capacity_hint ? cfg->capacity_hint : 64;
    while (s->reqs_cap < hint && !rc)
        rc = pool_grow(s, err);
    while (s->ring_cap < hint && !rc)
        rc = ring_grow(s, err);
    if (rc)
        goto out_destroy;
    int64_t t0 = s->t0;
    metrics_gauge_init(&s->queue_g, t0, 0);
    metrics_gauge_init(&s->busy_g, t0, 0);
    metrics_gauge_init(&s->system_g, t0, 0);
    metrics_gauge_init(&s->slots_g, t0, 0);
    metrics_gauge_init(&s->active_g, t0, 0);
    return OS_OK;
out_destroy:
    inference_destroy(s);
    return rc;
}

void inference_destroy(struct inference *s)
{
    if (s->engine) {
        for (uint32_t k = 0; k < s->live_len; k++) {
            struct inference_replica *r = &s->reps[s->live[k]];
            for (uint32_t j = 0; j < r->concurrency; j++)
                if (r->slot_req[j] != NONE)
                    engine_cancel(s->engine, s->reqs[r->slot_req[j]].done_ev);
        }
        if (s->timeout_ev)
            engine_cancel(s->engine, s->timeout_ev);
        if (s->feed_ev)
            engine_cancel(s->engine, s->feed_ev);
    }
    for (uint32_t k = 0; k < s->reps_len; k++)
        free(s->reps[k].slot_req);
    free(s->reps);
    free(s->live);
    free(s->reqs);
    free(s->ring);
    metrics_hist_destroy(&s->latency);
    metrics_hist_destroy(&s->ttft);
    metrics_hist_destroy(&s->wait);
    rng_destroy(&s->rng);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------------ */
/* Windows and summary                                                        */

void inference_window_mark(const struct inference *s, struct inference_window *w)
{
    int64_t now = now_of(s);
    w->t = now;
    w->arrived = s->arrived;
    w->completed = s->completed;
    w->busy_area = metrics_gauge_integral(&s->busy_g, now);
    w->slots_area = metrics_gauge_integral(&s->slots_g, now);
    w->queue_area = metrics_gauge_integral(&s->queue_g, now);
    w->system_area = metrics_gauge_integral(&s->system_g, now);
}

void inference_window_read(const struct inference *s, const struct inference_window *w,
                           struct inference_window_stats *out)
{
    int64_t now = now_of(s);
    double dt = (double)(now - w->t);
    memset(out, 0, sizeof *out);
    out->seconds = dt / 1e6;
    out->queued = s->ring_len;
    out->in_service = inference_in_service(s);
    out->backlog = out->queued + out->in_service;
    out->active_replicas = inference_active_replicas(s);
    if (dt <= 0) {
        out->utilization = out->queue_mean = out->in_system_mean = NAN;
        return;
    }
    out->arrivals_per_s = (double)(s->arrived - w->arrived) / out->seconds;
    out->completed_per_s = (double)(s->completed - w->completed) / out->seconds;
    uint32_t targets = out->active_replicas ? out->active_replicas : 1;
    out->requests_per_target_per_min = out->arrivals_per_s * 60.0 / targets;
    double slots = metrics_gauge_integral(&s->slots_g, now) - w->slots_area;
    out->utilization =
        slots > 0 ? (metrics_gauge_integral(&s->busy_g, now) - w->busy_area) / slots : NAN;
    out->queue_mean = (metrics_gauge_integral(&s->queue_g, now) - w->queue_area) / dt;
    out->in_system_mean = (metrics_gauge_integral(&s->system_g, now) - w->system_area) / dt;
}

static double ms(double us)
{
    return us / 1000.0;
}

void inference_summarize(const struct inference *s, struct inference_summary *out)
{
    int64_t now = now_of(s);
    memset(out, 0, sizeof *out);
    out->seconds = (double)(now - s->t0) / 1e6;
    out->requests_total = s->arrived;
    out->completed = s->completed;
    out->rejected = s->rejected;
    out->timed_out = s->timed_out;
    out->killed = s->killed;
    out->dropped = s->rejected + s->killed;
    out->retried = s->retried;
    out->in_system = (uint64_t)metrics_gauge_level(&s->system_g);
    uint64_t left = s->completed + s->rejected + s->timed_out + s->killed;
    out->slo_attainment_pct = left ? 100.0 * (double)s->slo_met / (double)left : NAN;
    out->latency_mean_ms = ms(metrics_hist_mean(&s->latency));
    out->latency_p50_ms = ms(metrics_hist_quantile(&s->latency, 0.50));
    out->latency_p95_ms = ms(metrics_hist_quantile(&s->latency, 0.95));
    out->latency_p99_ms = ms(metrics_hist_quantile(&s->latency, 0.99));
    out->latency_max_ms = s->latency.count ? ms((double)s->latency.max) : NAN;
    out->ttft_mean_ms = ms(metrics_hist_mean(&s->ttft));
    out->ttft_p50_ms = ms(metrics_hist_quantile(&s->ttft, 0.50));
    out->ttft_p95_ms = ms(metrics_hist_quantile(&s->ttft, 0.95));
    out->ttft_p99_ms = ms(metrics_hist_quantile(&s->ttft, 0.99));
    out->wait_mean_ms = ms(metrics_hist_mean(&s->wait));
    out->wait_p95_ms = ms(metrics_hist_quantile(&s->wait, 0.95));
    out->wait_p99_ms = ms(metrics_hist_quantile(&s->wait, 0.99));
    out->queue_len_mean = metrics_gauge_mean(&s->queue_g, now);
    out->queue_len_max = metrics_gauge_max(&s->queue_g, now);
    out->busy_slots_mean = metrics_gauge_mean(&s->busy_g, now);
    out->slots_mean = metrics_gauge_mean(&s->slots_g, now);
    double slot_area = metrics_gauge_integral(&s->slots_g, now);
    out->utilization_pct =
        slot_area > 0 ? 100.0 * metrics_gauge_integral(&s->busy_g, now) / slot_area : NAN;
    out->replicas_mean = metrics_gauge_mean(&s->active_g, now);
    out->replicas_max = metrics_gauge_max(&s->active_g, now);
    out->throughput_per_s = out->seconds > 0 ? (double)s->completed / out->seconds : NAN;
    out->in_system_area_s = metrics_gauge_integral(&s->system_g, now) / 1e6;
    double present = metrics_gauge_level(&s->system_g);
    out->time_in_system_s =
        ((double)s->sojourn_sum_us + present * (double)now - (double)s->present_arrival_sum_us) /
        1e6;
}

/* ------------------------------------------------------------------------ */
/* Time-series columns                                                        */

static double col_queue(const void *c, int64_t now)
{
    (void)now;
    return (double)((const struct inference *)c)->ring_len;
}

static double col_in_service(const void *c, int64_t now)
{
    (void)now;
    return metrics_gauge_level(&((const struct inference *)c)->busy_g);
}

static double col_replicas(const void *c, int64_t now)
{
    (void)now;
    return metrics_gauge_level(&((const struct inference *)c)->active_g);
}

static double col_slots(const void *c, int64_t now)
{
    (void)now;
    return metrics_gauge_level(&((const struct inference *)c)->slots_g);
}

static double col_completed(const void *c, int64_t now)
{
    (void)now;
    return (double)((const struct inference *)c)->completed;
}

static double col_lost(const void *c, int64_t now)
{
    (void)now;
    const struct inference *s = c;
    return (double)(s->rejected + s->timed_out + s->killed);
}

int inference_add_columns(struct inference *s, struct metrics_sampler *sampler, const char *prefix,
                          struct os_error *err)
{
    static const struct {
        const char *name;
        metrics_read_fn fn;
    } cols[] = {
        {"queue_len", col_queue}, {"in_service", col_in_service}, {"replicas", col_replicas},
        {"slots", col_slots},     {"completed", col_completed},   {"lost", col_lost},
    };
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        char name[METRICS_COL_NAME_MAX];
        int n = snprintf(name, sizeof name, "%s%s", prefix ? prefix : "", cols[k].name);
        if (n < 0 || (size_t)n >= sizeof name)
            return os_errorf(err, OS_EINVAL, "inference: column prefix '%s' too long", prefix);
        int rc = metrics_sampler_add(sampler, name, cols[k].fn, s, err);
        if (rc)
            return rc;
    }
    return OS_OK;
}
