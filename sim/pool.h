/*
 * pool.h - runs n independent items (experiment runs) on worker threads.
 * Each thread sets up its own worker state once (scratch arrays sized for
 * the experiment), takes items in claim order until none is left, and tears
 * its state down. The first error stops further claims and is returned.
 * Results must not depend on which thread ran an item: items write only to
 * their own slots.
 */
#ifndef ORCHSIM_POOL_H
#define ORCHSIM_POOL_H

#include <stddef.h>

#include "sim/os_err.h"

struct pool_job {
    void *shared;       /* passed to init */
    size_t worker_size; /* bytes of one worker's state (zeroed before init) */
    int (*init)(void *worker, void *shared, struct os_error *err);
    int (*run)(void *worker, unsigned item, struct os_error *err);
    void (*destroy)(void *worker); /* also after a failed init */
};

#define POOL_THREADS_MAX 256

/* Runs items 0..n-1 with `threads` threads (0: one per online CPU), at most
 * n and POOL_THREADS_MAX; if no thread can be started the items run on the
 * calling thread. Returns 0 or the first error (message in *err). */
int pool_run(const struct pool_job *job, unsigned n, unsigned threads, struct os_error *err);

#endif
