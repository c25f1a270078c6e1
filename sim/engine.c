/*
 * engine.c - event queue and run loop.
 *
 * The queue is a 4-ary min-heap of 16-byte keys (time, seq << 24 | slot); the
 * payload (handler, context, argument) lives in a slot array with a free list.
 * A 4-ary heap is half as deep as a binary one, and the array is offset so
 * that the four children of a node fill exactly one 64-byte cache line, which
 * makes sift-down cheap on large queues.
 *
 * Cancellation is lazy: the slot is marked (fn = NULL) at once, and the key is
 * dropped, and its slot released, when it reaches the root. When cancelled
 * keys outnumber live ones the heap is compacted in O(n), so the amortised
 * cost of a cancellation stays O(1) and memory stays proportional to live
 * events. Sequence numbers have 40 bits; if they ever run out, the queue is
 * renumbered in order (O(n log n), once per 10^12 events).
 *
 * The run loop does not remove the root before calling a handler; it marks a
 * "root hole". If the handler schedules an event (the common case in a
 * simulation: every event begets a successor), the new key fills the hole with
 * one sift-down instead of a pop (sift-down) plus a push (sift-up).
 */
#include "sim/engine.h"

#include <stdlib.h>
#include <string.h>

#define ENGINE_ARITY       4
#define ENGINE_DEFAULT_CAP 1024
#define ENGINE_NO_SLOT     UINT32_MAX
#define ENGINE_COMPACT_MIN 4096
#define ENGINE_SLOT_MASK   ((UINT64_C(1) << ENGINE_SLOT_BITS) - 1)
#define ENGINE_SEQ_LIMIT   (UINT64_C(1) << (64 - ENGINE_SLOT_BITS))

static inline bool key_less(const struct engine_key *a, const struct engine_key *b)
{
    return a->time < b->time || (a->time == b->time && a->tag < b->tag);
}

static inline uint32_t key_slot(const struct engine_key *k)
{
    return (uint32_t)(k->tag & ENGINE_SLOT_MASK);
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
    if (cap > ENGINE_MAX_PENDING + 1)
        cap = ENGINE_MAX_PENDING + 1;
    if (cap <= old)
        return OS_EFULL;
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

/* Moves the heap to storage for `cap` keys, with heap[1] on a 64-byte line. */
static int resize_heap(struct engine *e, size_t cap)
{
    size_t bytes = (cap + 4) * sizeof(struct engine_key);
    bytes = (bytes + 63) & ~(size_t)63;
    void *mem = aligned_alloc(64, bytes);
    if (!mem)
        return OS_ENOMEM;
    struct engine_key *h = (struct engine_key *)mem + 3;
    if (e->heap_len)
        memcpy(h, e->heap, e->heap_len * sizeof *h);
    free(e->heap_mem);
    e->heap_mem = mem;
    e->heap = h;
    e->heap_cap = cap;
    return OS_OK;
}

/* Drops every cancelled key, releasing its slot, and rebuilds the heap
 * (Floyd), O(n). */
static void compact(struct engine *e)
{
    fill_hole(e);
    size_t n = 0;
    for (size_t i = 0; i < e->heap_len; i++) {
        const struct engine_key *k = &e->heap[i];
        if (e->slots[key_slot(k)].fn)
            e->heap[n++] = *k;
        else
            release_slot(e, key_slot(k));
    }
    e->heap_len = n;
    e->stale = 0;
    if (n > 1)
        for (size_t i = (n - 2) / ENGINE_ARITY + 1; i-- > 0;)
            sift_down(e->heap, n, i);
}

static int key_cmp(const void *a, const void *b)
{
    const struct engine_key *x = a, *y = b;
    return key_less(x, y) ? -1 : key_less(y, x);
}

/* Sequence numbers ran out: renumber the queue 0..n-1 in firing order. A
 * sorted array is a valid heap. */
static void renumber(struct engine *e)
{
    compact(e);
    qsort(e->heap, e->heap_len, sizeof *e->heap, key_cmp);
    for (size_t i = 0; i < e->heap_len; i++)
        e->heap[i].tag = (uint64_t)i << ENGINE_SLOT_BITS | key_slot(&e->heap[i]);
    e->seq = e->heap_len;
}

int engine_init(struct engine *e, size_t capacity, struct os_error *err)
{
    memset(e, 0, sizeof *e);
    e->free_head = ENGINE_NO_SLOT;
    e->seq_limit = ENGINE_SEQ_LIMIT;
    if (capacity == 0)
        capacity = ENGINE_DEFAULT_CAP;
    if (capacity > ENGINE_MAX_PENDING)
        return os_errorf(err, OS_EINVAL, "engine: capacity %zu exceeds %lu pending events",
                         capacity, (unsigned long)ENGINE_MAX_PENDING);
    e->slots = malloc(capacity * sizeof *e->slots);
    if (!e->slots || resize_heap(e, capacity) != OS_OK) {
        engine_destroy(e);
        return os_errorf(err, OS_ENOMEM, "engine: cannot allocate %zu events", capacity);
    }
    e->slots_cap = (uint32_t)capacity;
    for (uint32_t i = 0; i < e->slots_cap; i++)
        e->slots[i] =
            (struct engine_slot){.gen = 1, .next = i + 1 < e->slots_cap ? i + 1 : ENGINE_NO_SLOT};
    e->free_head = 0;
    return OS_OK;
}

void engine_destroy(struct engine *e)
{
    free(e->heap_mem);
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
    if (e->free_head == ENGINE_NO_SLOT) {
        int rc = grow_slots(e);
        if (rc != OS_OK)
            return os_errorf(err, rc,
                             rc == OS_EFULL ? "engine: more than %zu queued events"
                                            : "engine: cannot grow to %zu events",
                             rc == OS_EFULL ? (size_t)ENGINE_MAX_PENDING : e->live + 1);
    }
    if (!e->root_hole && e->heap_len == e->heap_cap && resize_heap(e, e->heap_cap * 2) != OS_OK)
        return os_errorf(err, OS_ENOMEM, "engine: cannot grow to %zu events", e->live + 1);
    if (e->seq >= e->seq_limit)
        renumber(e);

    uint32_t s = e->free_head;
    struct engine_slot *sl = &e->slots[s];
    e->free_head = sl->next;
    sl->fn = fn;
    sl->ctx = ctx;
    sl->arg = arg;

    struct engine_key k = {.time = at, .tag = e->seq++ << ENGINE_SLOT_BITS | s};
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
    e->slots[(uint32_t)id].fn = NULL; /* released when its key leaves the heap */
    e->live--;
    e->stale++;
    if (e->stale > ENGINE_COMPACT_MIN && e->stale > e->live)
        compact(e);
    return true;
}

/* Drops cancelled keys from the root. Afterwards the root (if any) is live. */
static void skip_stale(struct engine *e)
{
    fill_hole(e);
    while (e->heap_len > 0 && !e->slots[key_slot(&e->heap[0])].fn) {
        release_slot(e, key_slot(&e->heap[0]));
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
        uint32_t s = key_slot(&top);
        struct engine_slot *sl = &e->slots[s];
        if (!sl->fn) { /* cancelled */
            release_slot(e, s);
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
        release_slot(e, s);
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
