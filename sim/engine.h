/*
 * engine.h - the discrete-event engine: an integer-microsecond clock, a
 * priority queue of events and the run loop.
 *
 * Contracts:
 * - Time is int64_t microseconds. Events fire in (time, sequence) order, where
 *   the sequence number is assigned at scheduling time, so events scheduled for
 *   the same time fire in the order they were scheduled. The order is total and
 *   deterministic.
 * - engine_schedule() returns an id; engine_cancel(id) is O(1) (generation
 *   tokens: the event is marked cancelled at once and its queue entry is
 *   dropped when it surfaces, or earlier by compaction). An id stays harmless after its event fired
 * or was cancelled: cancelling it again returns false.
 * - At most ENGINE_MAX_PENDING (16.7 M) events can be queued at once, counting
 *   cancelled ones not yet compacted away; schedule returns OS_EFULL beyond.
 * - Storage grows by doubling while the number of pending events grows; once
 *   the high-water mark is reached, scheduling, firing and cancelling allocate
 *   nothing.
 * - Handlers may schedule and cancel events (including their own successors)
 *   and may call engine_stop().
 * - The engine knows nothing about the models: a handler is a function pointer
 *   plus an opaque context pointer and a 64-bit argument.
 */
#ifndef ORCHSIM_ENGINE_H
#define ORCHSIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/os_err.h"

#define ENGINE_US_PER_S INT64_C(1000000)
#define ENGINE_TIME_MAX INT64_MAX

struct engine;

/* An event handler. `arg` is the value given to engine_schedule(). */
typedef void (*engine_fn)(struct engine *e, void *ctx, uint64_t arg);

/* Why engine_run() returned. */
enum engine_stop_reason {
    ENGINE_EMPTY = 0,      /* no pending events are left */
    ENGINE_TIME_LIMIT = 1, /* the next event lies after the limit */
    ENGINE_STOPPED = 2,    /* a handler called engine_stop() */
};

/* Queue entry, 16 bytes: the time, then the sequence number in the high 40
 * bits and the payload slot in the low 24 bits of `tag`. Comparing tags
 * compares sequence numbers (they are unique), so (time, tag) order is
 * (time, seq) order; four children fill one 64-byte cache line. */
struct engine_key {
    int64_t time;
    uint64_t tag;
};

#define ENGINE_SLOT_BITS   24
#define ENGINE_MAX_PENDING ((UINT32_C(1) << ENGINE_SLOT_BITS) - 1)

/* Payload of a queued event. A cancelled event keeps its slot (fn == NULL)
 * until its key leaves the heap, so a key's slot is never reused under it. */
struct engine_slot {
    engine_fn fn; /* NULL once cancelled */
    void *ctx;
    uint64_t arg;
    uint32_t gen;  /* bumped whenever the slot is released; part of event ids */
    uint32_t next; /* free-list link while the slot is free */
};

/* The engine. Caller-owned; fields are private to engine.c. */
struct engine {
    int64_t now;
    uint64_t seq;
    struct engine_key *heap; /* 4-ary min-heap on (time, tag); heap[1] is line-aligned */
    void *heap_mem;          /* the allocation behind heap */
    size_t heap_len, heap_cap;
    uint64_t seq_limit; /* sequence numbers are renumbered when they reach it */
    bool root_hole;     /* heap[0] was consumed by the run loop and not yet refilled */
    struct engine_slot *slots;
    uint32_t slots_cap, free_head;
    size_t live;  /* pending events (not fired, not cancelled) */
    size_t stale; /* cancelled entries still in the heap */
    uint64_t fired;
    bool stop;
};

/* Initialises an empty engine at time 0 with room for `capacity` pending
 * events (0 picks a small default). */
int engine_init(struct engine *e, size_t capacity, struct os_error *err);

/* Frees the engine's storage. Pending events are dropped. */
void engine_destroy(struct engine *e);

/* Schedules fn(e, ctx, arg) at absolute time `at` (>= engine_now()).
 * Writes the event id to *id when id is non-NULL. Returns OS_EINVAL for a time
 * in the past, OS_ENOMEM when storage cannot grow. */
int engine_schedule(struct engine *e, int64_t at, engine_fn fn, void *ctx, uint64_t arg,
                    uint64_t *id, struct os_error *err);

/* Schedules at engine_now() + delay (delay >= 0). */
int engine_after(struct engine *e, int64_t delay, engine_fn fn, void *ctx, uint64_t arg,
                 uint64_t *id, struct os_error *err);

/* Cancels a pending event. Returns true if it was pending, false if it had
 * already fired, was already cancelled, or id is 0. O(1). */
bool engine_cancel(struct engine *e, uint64_t id);

/* True if the event with this id is still pending. */
bool engine_pending_id(const struct engine *e, uint64_t id);

/* Fires events in order while their time is <= until. On ENGINE_TIME_LIMIT
 * and ENGINE_EMPTY with until != ENGINE_TIME_MAX the clock is advanced to
 * `until`; on ENGINE_EMPTY with until == ENGINE_TIME_MAX it stays at the last
 * event's time. */
enum engine_stop_reason engine_run(struct engine *e, int64_t until);

/* Makes engine_run() return after the current handler. */
void engine_stop(struct engine *e);

static inline int64_t engine_now(const struct engine *e)
{
    return e->now;
}

/* Number of pending events. */
static inline size_t engine_pending(const struct engine *e)
{
    return e->live;
}

/* Number of events fired so far. */
static inline uint64_t engine_fired(const struct engine *e)
{
    return e->fired;
}

/* Time of the next pending event, or ENGINE_TIME_MAX when none is pending. */
int64_t engine_next_time(struct engine *e);

#endif
