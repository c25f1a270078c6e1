/*
 * engine.c - event queue and run loop.
 *
 * The queue is a 4-ary min-heap of 24-byte keys (time, seq, slot, gen); the
 * payload (handler, context, argument) lives in a slot array with a free list.
 * A 4-ary heap is half as deep as a binary one and its four children share a
 * cache line pair, which makes sift-down cheaper on large queues.
 *
 * Cancellation is lazy: the slot is released at once (its generation bumped),
 * and the stale key is dropped when it reaches the root. When stale keys
 * outnumber live ones the heap is compacted in O(n), so the amortised cost of
 * a cancellation stays O(1) and memory stays proportional to live events.
 *
 * The run loop does not remove the root before calling a handler; it marks a
 * "root hole". If the handler schedules an event (the common case in a
 * simulation: every event begets a successor), the new key fills the hole with
 * one sift-down instead of a pop (sift-down) plus a push (sift-up).
 */
#include "sim/engine.h"

#include <stdlib.h>
#include <string.h>

#define ENGINE_ARITY 4
#define ENGINE_DEFAULT_CAP 1024
#define ENGINE_NO_SLOT UINT32_MAX
#define ENGINE_COMPACT_MIN 4096

static inline bool key_less(const struct engine_key *a, const struct engine_key *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void sift_up(struct engine_key *h, size_t i)
{
    struct engine_key k = h[i];
    while (i > 0) {
        size_t p = (i - 1) / ENGINE_ARITY;
        if (!key_less(&k, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = k;
}

static void sift_down(struct engine_key *h, size_t n, size_t i)
{
    struct engine_key k = h[i];
    for (;;) {
        size_t c = ENGINE_ARITY * i + 1;
        if (c >= n)
            break;
        size_t m = c;
        size_t end = c + ENGINE_ARITY < n ? c + ENGINE_ARITY : n;
        for (size_t j = c + 1; j < end; j++)
            if (key_less(&h[j], &h[m]))
                m = j;
        if (!key_less(&h[m], &k))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = k;
}

/* Removes the consumed root, if any, restoring a plain heap. */
static void fill_hole(struct engine *e)
{
    if (!e->root_hole)
        return;
    e->root_hole = false;
    e->heap_len--;
    if (e->heap_len > 0) {
        e->heap[0] = e->heap[e->heap_len];
        sift_down(e->heap, e->heap_len, 0);
    }
}

static void release_slot(struct engine *e, uint32_t s)
{
    struct engine_slot *sl = &e->slots[s];
    sl->gen++;
    if (sl->gen == 0)
        sl->gen = 1;
    sl->fn = NULL;
    sl->ctx = NULL;
    sl->next = e->free_head;
    e->free_head = s;
}

static int grow_slots(struct engine *e)
{
    uint32_t old = e->slots_cap;
    uint32_t cap = old ? old * 2 : ENGINE_DEFAULT_CAP;
    if (cap <= old)
        return OS_ENOMEM;
    struct engine_slot *s = realloc(e->slots, (size_t)cap * sizeof *s);
    if (!s)
        return OS_ENOMEM;
    for (uint32_t i = old; i < cap; i++) {
        s[i] = (struct engine_slot){.gen = 1, .next = i + 1 < cap ? i + 1 : e->free_head};
    }
    e->slots = s;
    e->slots_cap = cap;
    e->free_head = old;
    return OS_OK;
}

static int grow_heap(struct engine *e)
{
    size_t cap = e->heap_cap ? e->heap_cap * 2 : ENGINE_DEFAULT_CAP;
    struct engine_key *h = realloc(e->heap, cap * sizeof *h);
    if (!h)
        return OS_ENOMEM;
    e->heap = h;
    e->heap_cap = cap;
    return OS_OK;
}

/* Drops every stale key and rebuilds the heap (Floyd), O(n). */
static void compact(struct engine *e)
{
    fill_hole(e);
    size_t n = 0;
    for (size_t i = 0; i < e->heap_len; i++) {
        const struct engine_key *k = &e->heap[i];
        if (e->slots[k->slot].gen == k->gen)
            e->heap[n++] = *k;
    }
    e->heap_len = n;
    e->stale = 0;
    if (n > 1)
        for (size_t i = (n - 2) / ENGINE_ARITY + 1; i-- > 0;)
            sift_down(e->heap, n, i);
}

int engine_init(struct engine *e, size_t capacity, struct os_error *err)
{
    memset(e, 0, sizeof *e);
    e->free_head = ENGINE_NO_SLOT;
    if (capacity == 0)
        capacity = ENGINE_DEFAULT_CAP;
    if (capacity > UINT32_MAX / 2)
        return os_errorf(err, OS_EINVAL, "engine: capacity %zu too large", capacity);
    e->heap = malloc(capacity * sizeof *e->heap);
    e->slots = malloc(capacity * sizeof *e->slots);
    if (!e->heap || !e->slots) {
        engine_destroy(e);
        return os_errorf(err, OS_ENOMEM, "engine: cannot allocate %zu events", capacity);
    }
    e->heap_cap = capacity;
    e->slots_cap = (uint32_t)capacity;
    for (uint32_t i = 0; i < e->slots_cap; i++)
        e->slots[i] = (struct engine_slot){.gen = 1,
                                           .next = i + 1 < e->slots_cap ? i + 1 : ENGINE_NO_SLOT};
    e->free_head = 0;
    return OS_OK;
}

void engine_destroy(struct engine *e)
{
    free(e->heap);
    free(e->slots);
    memset(e, 0, sizeof *e);
}

int engine_schedule(struct engine *e, int64_t at, engine_fn fn, void *ctx, uint64_t arg,
                    uint64_t *id, struct os_error *err)
{
    if (at < e->now)
        return os_errorf(err, OS_EINVAL, "engine: event at %lld us is before now (%lld us)",
                         (long long)at, (long long)e->now);
    if (!fn)
        return os_errorf(err, OS_EINVAL, "engine: NULL handler");
    if (e->free_head == ENGINE_NO_SLOT && grow_slots(e) != OS_OK)
        return os_errorf(err, OS_ENOMEM, "engine: cannot grow to %zu events", e->live + 1);
    if (!e->root_hole && e->heap_len == e->heap_cap && grow_heap(e) != OS_OK)
        return os_errorf(err, OS_ENOMEM, "engine: cannot grow to %zu events", e->live + 1);

    uint32_t s = e->free_head;
    struct engine_slot *sl = &e->slots[s];
    e->free_head = sl->next;
    sl->fn = fn;
    sl->ctx = ctx;
    sl->arg = arg;

    struct engine_key k = {.time = at, .seq = e->seq++, .slot = s, .gen = sl->gen};
    if (e->root_hole) {
        e->root_hole = false;
        e->heap[0] = k;
        sift_down(e->heap, e->heap_len, 0);
    } else {
        e->heap[e->heap_len] = k;
        sift_up(e->heap, e->heap_len++);
    }
    e->live++;
    if (id)
        *id = (uint64_t)sl->gen << 32 | s;
    return OS_OK;
}

int engine_after(struct engine *e, int64_t delay, engine_fn fn, void *ctx, uint64_t arg,
                 uint64_t *id, struct os_error *err)
{
    if (delay < 0)
        return os_errorf(err, OS_EINVAL, "engine: negative delay %lld us", (long long)delay);
    if (delay > ENGINE_TIME_MAX - e->now)
        return os_errorf(err, OS_EINVAL, "engine: delay %lld us overflows the clock",
                         (long long)delay);
    return engine_schedule(e, e->now + delay, fn, ctx, arg, id, err);
}

bool engine_pending_id(const struct engine *e, uint64_t id)
{
    uint32_t s = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    return gen != 0 && s < e->slots_cap && e->slots[s].gen == gen && e->slots[s].fn != NULL;
}

bool engine_cancel(struct engine *e, uint64_t id)
{
    if (!engine_pending_id(e, id))
        return false;
    release_slot(e, (uint32_t)id);
    e->live--;
    e->stale++;
    if (e->stale > ENGINE_COMPACT_MIN && e->stale > e->live)
        compact(e);
    return true;
}

/* Drops stale keys from the root. Afterwards the root (if any) is live. */
static void skip_stale(struct engine *e)
{
    fill_hole(e);
    while (e->heap_len > 0 && e->slots[e->heap[0].slot].gen != e->heap[0].gen) {
        e->root_hole = true;
        e->stale--;
        fill_hole(e);
    }
}

int64_t engine_next_time(struct engine *e)
{
    skip_stale(e);
    return e->heap_len ? e->heap[0].time : ENGINE_TIME_MAX;
}

void engine_stop(struct engine *e)
{
    e->stop = true;
}

enum engine_stop_reason engine_run(struct engine *e, int64_t until)
{
    e->stop = false;
    for (;;) {
        fill_hole(e);
        if (e->heap_len == 0) {
            if (until != ENGINE_TIME_MAX && until > e->now)
                e->now = until;
            return ENGINE_EMPTY;
        }
        const struct engine_key top = e->heap[0];
        struct engine_slot *sl = &e->slots[top.slot];
        if (sl->gen != top.gen) { /* cancelled */
            e->root_hole = true;
            e->stale--;
            continue;
        }
        if (top.time > until) {
            if (until > e->now)
                e->now = until;
            return ENGINE_TIME_LIMIT;
        }
        e->root_hole = true;
        engine_fn fn = sl->fn;
        void *ctx = sl->ctx;
        uint64_t arg = sl->arg;
        release_slot(e, top.slot);
        e->live--;
        e->now = top.time;
        e->fired++;
        fn(e, ctx, arg);
        if (e->stop) {
            fill_hole(e);
            return ENGINE_STOPPED;
        }
    }
}
