/*
 * inference.h - an LLM inference service in simulated time: a FIFO request
 * queue in front of a changing set of replicas, each serving up to c requests
 * at once (MODELS.md section 8).
 *
 * What is modelled:
 * - Replicas are added and removed at run time by the orchestrator
 *   (inference_add_replica / inference_remove_replica). A replica has a speed
 *   (the GPU model's relative speed x the replica's GPU share, computed by the
 *   caller; MODELS.md section 8) that may change at run time
 *   (inference_set_speed, e.g. when time-slicing tenants come and go) and a
 *   concurrency c (slots).
 * - Service: work = prompt x t_prefill + output x t_decode microseconds at
 *   speed 1; a request in service progresses at the replica's current speed,
 *   so it completes when its work is done (a speed change re-plans every
 *   in-flight request). The first token comes when the prefill work is done:
 *   TTFT = wait + prompt x t_prefill / speed at constant speed. Each slot runs
 *   at the replica's full speed whatever the other slots do [U: batching
 *   interference is folded into t_decode; see inference_cfg_defaults()].
 *   For tests, INFERENCE_SERVICE_EXP draws service work from an exponential
 *   distribution instead (M/M/c).
 * - Queueing: one FIFO queue per service (the load balancer). Whenever a slot
 *   is free and the queue is not empty, the head request goes to the accepting
 *   replica with the lowest fraction of busy slots, ties to the lowest replica
 *   id [U: a least-outstanding-requests balancer; the real balancer (ALB,
 *   kube-proxy, a gateway) varies]. With max_queue > 0 an arrival that finds
 *   the queue full is rejected. With queue_timeout > 0 a request that is not
 *   in service at arrival + queue_timeout is dropped as timed out [U: the
 *   client's deadline runs from its original arrival, also across retries].
 * - Removal: INFERENCE_DRAIN stops new dispatches to the replica and lets its
 *   in-flight requests finish; INFERENCE_KILL_RETRY puts them back at the head
 *   of the queue (in arrival order, work restarts from zero, at most
 *   max_retries times per request, then dropped); INFERENCE_KILL_DROP drops
 *   them. The queue stays sorted by original arrival time in every case.
 *
 * Metrics: latency (arrival to last token), TTFT and queue-wait histograms
 * (completed requests; sim/metrics.h, <= 0.4 % relative error), an exact SLO
 * count, counters, time-weighted gauges (queue length, busy slots, requests in
 * system, slots, accepting replicas) and per-replica busy slot-time. For
 * autoscalers: windows (struct inference_window) give arrivals per target per
 * minute, backlog and mean utilisation over any window, without state shared
 * between readers.
 *
 * Little's law holds as an identity on the kept sums: at any time t,
 * integral of N(s) ds over [t0, t] = sum over departed requests of their time in
 * system + sum over present requests of (t - arrival). inference_summarize()
 * reports both sides.
 *
 * Engine use: arrivals, completions and the queue timeout are engine events
 * (handlers with this service as context). Nothing is allocated per request in
 * steady state: requests live in a pool and the queue in a ring buffer, both
 * grown by doubling only when the high-water mark rises; a replica's slot array
 * is allocated when it is added.
 *
 * Ownership: struct inference is caller-owned (inference_init /
 * inference_destroy); it borrows the engine and an arrivals source, which must
 * outlive it. Call inference_destroy() before engine_destroy(): it cancels the
 * service's pending events.
 */
#ifndef ORCHSIM_INFERENCE_H
#define ORCHSIM_INFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/workload/arrivals.h"
#include "sim/engine.h"
#include "sim/metrics.h"
#include "sim/os_err.h"
#include "sim/rng.h"

#define INFERENCE_NO_REPLICA UINT32_MAX

/* Slots per replica the orchestrator should use when a scenario gives none
 * [U: a typical continuous-batching size for a 7B model on a 24 GB GPU]. */
#define INFERENCE_CONCURRENCY_DEFAULT 8

enum inference_service_kind {
    INFERENCE_SERVICE_TOKENS, /* prompt x t_prefill + output x t_decode */
    INFERENCE_SERVICE_EXP,    /* exponential with mean exp_mean_us (tests, M/M/c) */
};

enum inference_remove_mode {
    INFERENCE_DRAIN,      /* finish in-flight requests, accept no new ones */
    INFERENCE_KILL_RETRY, /* in-flight requests go back to the queue head */
    INFERENCE_KILL_DROP,  /* in-flight requests are dropped */
};

enum inference_outcome {
    INFERENCE_COMPLETED,
    INFERENCE_REJECTED,  /* queue full at arrival */
    INFERENCE_TIMED_OUT, /* not in service by arrival + queue_timeout */
    INFERENCE_KILLED,    /* in service on a killed replica and not retried */
};

/* What happened to one request; given to the on_request hook when it leaves. */
struct inference_request_info {
    enum inference_outcome outcome;
    int64_t arrival_us;
    int64_t start_us; /* start of the last service attempt, or -1 */
    int64_t ttft_us;  /* absolute time of the first token (completed only), or -1 */
    int64_t end_us;   /* time it left the service */
    int32_t prompt_tokens, output_tokens;
    uint32_t retries; /* times it was put back in the queue */
    uint32_t replica; /* replica of the last attempt, or INFERENCE_NO_REPLICA */
};

/* Hooks, called synchronously from the service. They must not call functions
 * of this service that change its state (schedule an engine event instead). */
struct inference_hooks {
    void *ctx;
    void (*on_request)(void *ctx, const struct inference_request_info *info);
    void (*on_replica_gone)(void *ctx, uint32_t replica_id); /* after drain or kill */
};

struct inference_cfg {
    enum inference_service_kind service;
    double t_prefill_us;      /* per prompt token at speed 1, >= 0 */
    double t_decode_us;       /* per output token at speed 1, >= 0 */
    double exp_mean_us;       /* EXP only: mean work at speed 1, > 0 */
    int64_t queue_timeout_us; /* 0: none */
    size_t max_queue;         /* 0: unbounded */
    int64_t slo_us;           /* latency SLO, > 0 */
    uint32_t max_retries;     /* KILL_RETRY: retries per request before it is dropped */
    int hist_sig_bits;        /* histogram precision, 0 = default (0.39 %) */
    uint64_t seed, stream;    /* EXP: rng stream ("inference.service", stream) */
    size_t capacity_hint;     /* initial request pool and queue size, 0 = small */
    struct inference_hooks hooks;
};

/*
 * Fills c with the defaults, all [U] assumptions for a 7B-parameter model in
 * fp16 on an A10G-class GPU (24 GB, 600 GB/s; the g5.xlarge of MODELS.md
 * section 6), not measurements:
 * - t_prefill 250 us/token: prefill is compute-bound, ~14 GFLOP per token; at
 *   ~56 effective TFLOPS (quoted dense fp16 tensor peaks for the A10/A10G range
 *   from ~70 to 125 TFLOPS) that is ~4,000 tokens/s.
 * - t_decode 30,000 us/token per request: decode is bandwidth-bound, one step
 *   reads the 14 GB of weights (~23 ms at 600 GB/s) plus KV cache; with the
 *   default batch of c = 8 requests a step takes ~30 ms and yields one token
 *   for each of them, which is why slots do not slow each other down here.
 * - concurrency (a replica parameter): INFERENCE_CONCURRENCY_DEFAULT = 8.
 * - SLO 10 s end to end (at these numbers the Azure code trace's median request
 *   takes ~0.9 s and conv's ~4.2 s of service); no queue timeout, unbounded queue,
 *   max_retries 3.
 */
void inference_cfg_defaults(struct inference_cfg *c);

/* Per-replica state; private to inference.c, read through
 * inference_replica_stats(). */
struct inference_replica {
    uint32_t concurrency;
    uint32_t busy;
    int state; /* 0 active, 1 draining, 2 gone */
    uint32_t live_pos;
    double speed;
    int64_t added_us, gone_us;
    uint32_t *slot_req; /* concurrency entries: request index or UINT32_MAX (owned) */
    struct metrics_gauge busy_g;
    uint64_t completed;
    uint64_t killed; /* in-flight requests killed on it (retried or dropped) */
};

struct inference_req;

/* The service. Caller-owned; fields are private to inference.c except where a
 * comment says read-only. */
struct inference {
    struct engine *engine; /* borrowed */
    struct inference_cfg cfg;
    struct rng rng; /* EXP service draws */
    int64_t t0;     /* engine time at init */

    /* request pool and FIFO ring of request indices */
    struct inference_req *reqs;
    uint32_t reqs_cap, free_head, reqs_used;
    uint32_t *ring;
    uint32_t ring_cap, ring_head, ring_len;

    /* replicas: id = index; `live` lists the ids of replicas not yet gone */
    struct inference_replica *reps;
    uint32_t reps_len, reps_cap;
    uint32_t *live;
    uint32_t live_len;

    uint64_t timeout_ev;
    int64_t timeout_at;   /* time of the pending timeout event */
    struct arrivals *src; /* borrowed, may be NULL */
    struct arrival next_arrival;
    uint64_t feed_ev;
    int status; /* first error met inside an event handler, or 0 */
    struct os_error status_err;

    /* read-only: counters */
    uint64_t arrived, completed, rejected, timed_out, killed, retried, slo_met;
    /* read-only: exact sums in microseconds */
    int64_t sojourn_sum_us;         /* time in system of departed requests */
    int64_t present_arrival_sum_us; /* arrival times of requests in the system */
    int64_t queue_time_sum_us;      /* every stay in the queue that ended */
    int64_t service_time_sum_us;    /* every service attempt that ended */

    /* read-only: gauges */
    struct metrics_gauge queue_g;  /* requests waiting */
    struct metrics_gauge busy_g;   /* requests in service (busy slots) */
    struct metrics_gauge system_g; /* waiting + in service */
    struct metrics_gauge slots_g;  /* slots of replicas not gone (active + draining) */
    struct metrics_gauge active_g; /* accepting replicas */

    /* read-only: histograms, microseconds, completed requests */
    struct metrics_hist latency; /* arrival to completion */
    struct metrics_hist ttft;    /* arrival to first token */
    struct metrics_hist wait;    /* queue stay before each service start */
};

/* Initialises a service on engine e (at the engine's current time) with no
 * replicas. Returns OS_EINVAL for bad parameters (message names the field),
 * OS_ENOMEM. */
int inference_init(struct inference *s, struct engine *e, const struct inference_cfg *cfg,
                   struct os_error *err);

/* Cancels the service's pending events and frees its storage. Idempotent. */
void inference_destroy(struct inference *s);

/* Adds a replica with the given speed (> 0) and concurrency (1..65535) at the
 * engine's current time; writes its id (ids are never reused) to *id.
 * Queued requests are dispatched to it at once. */
int inference_add_replica(struct inference *s, double speed, uint32_t concurrency, uint32_t *id,
                          struct os_error *err);

/* Removes a replica (see the modes above). Killing a draining replica is
 * allowed; removing a gone one is OS_EINVAL. The on_replica_gone hook runs
 * when the replica is gone: at once for kills and idle drains, else when its
 * last request completes. */
int inference_remove_replica(struct inference *s, uint32_t id, enum inference_remove_mode mode,
                             struct os_error *err);

/* Changes a live replica's speed (> 0) from now on; in-flight requests keep
 * the work already done and finish at the new speed. */
int inference_set_speed(struct inference *s, uint32_t id, double speed, struct os_error *err);

/* True if the replica exists and is not gone (active or draining). */
bool inference_replica_live(const struct inference *s, uint32_t id);

struct inference_replica_stats {
    bool draining, gone;
    double speed;
    uint32_t concurrency, busy;
    int64_t added_us, gone_us; /* gone_us = -1 while live */
    double busy_slot_s;        /* integral of busy slots, slot-seconds */
    double utilization;        /* busy_slot_s / (concurrency x lifetime); NaN at lifetime 0 */
    uint64_t completed, killed;
};

int inference_replica_stats(const struct inference *s, uint32_t id,
                            struct inference_replica_stats *out, struct os_error *err);

/* A request arrives now. Returns 0 (also when it is rejected: that is an
 * outcome, counted), or OS_EINVAL for negative tokens, OS_ENOMEM. */
int inference_submit(struct inference *s, int32_t prompt_tokens, int32_t output_tokens,
                     struct os_error *err);

/* Feeds the service from src: each arrival becomes an engine event that
 * submits it. The first arrival must not lie before the engine's current time.
 * One source per service. A later error of the source or of a submission stops
 * the feed and is kept (inference_status()). */
int inference_feed(struct inference *s, struct arrivals *src, struct os_error *err);

/* 0, or the first error met inside an event handler (message copied to err). */
int inference_status(const struct inference *s, struct os_error *err);

/* Requests waiting, in service, and both. */
uint64_t inference_queued(const struct inference *s);
uint64_t inference_in_service(const struct inference *s);
uint32_t inference_active_replicas(const struct inference *s);

/* A window start mark for autoscaler metrics. Caller-owned; any number of
 * readers may keep their own. */
struct inference_window {
    int64_t t;
    uint64_t arrived, completed;
    double busy_area, slots_area, queue_area, system_area;
};

struct inference_window_stats {
    double seconds;        /* window length */
    double arrivals_per_s; /* arrivals in the window / seconds */
    double completed_per_s;
    double requests_per_target_per_min; /* arrivals per minute / max(1, active replicas now) [U] */
    double utilization;                 /* integral of busy / integral of slots; NaN if no slots */
    double queue_mean;                  /* time-average waiting requests */
    double in_system_mean;
    uint64_t queued, in_service, backlog; /* now; backlog = queued + in_service */
    uint32_t active_replicas;             /* now */
};

/* Marks the start of a window at the engine's current time. */
void inference_window_mark(const struct inference *s, struct inference_window *w);

/* Statistics over [w->t, now]. Rates are 0 and means NaN for an empty window. */
void inference_window_read(const struct inference *s, const struct inference_window *w,
                           struct inference_window_stats *out);

/* End-of-run (or any-time) summary at the engine's current time. Latency values
 * in milliseconds are NaN when no request completed. */
struct inference_summary {
    double seconds;          /* observation time, now - t0 */
    uint64_t requests_total; /* arrivals */
    uint64_t completed;
    uint64_t rejected;  /* queue full */
    uint64_t timed_out; /* queue timeout */
    uint64_t killed;    /* dropped at a replica kill */
    uint64_t dropped;   /* rejected + killed (timed-out requests are counted apart) */
    uint64_t retried;   /* retry events */
    uint64_t in_system; /* still waiting or in service now */
    /* completed with latency <= SLO, over requests that left (completed,
     * rejected, timed out, killed) x 100 [U: a lost request misses the SLO] */
    double slo_attainment_pct;
    double latency_mean_ms, latency_p50_ms, latency_p95_ms, latency_p99_ms, latency_max_ms;
    double ttft_mean_ms, ttft_p50_ms, ttft_p95_ms, ttft_p99_ms;
    double wait_mean_ms, wait_p95_ms, wait_p99_ms;
    double queue_len_mean, queue_len_max;
    double busy_slots_mean, slots_mean;
    double utilization_pct; /* integral of busy slots / integral of slots x 100 */
    double replicas_mean, replicas_max;
    double throughput_per_s; /* completed / seconds */
    /* Little's law, both sides in request-seconds (equal up to rounding):
     * integral of N dt, and the sum of times in system (departed + present). */
    double in_system_area_s;
    double time_in_system_s;
};

void inference_summarize(const struct inference *s, struct inference_summary *out);

/* Adds time-series columns <prefix>queue_len, <prefix>in_service,
 * <prefix>replicas, <prefix>slots, <prefix>completed, <prefix>lost (rejected +
 * timed out + killed) to a sampler that has not started. */
int inference_add_columns(struct inference *s, struct metrics_sampler *sampler, const char *prefix,
                          struct os_error *err);

#endif
