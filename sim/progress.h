/*
 * progress.h - a progress bar on stderr for runs that take more than a
 * second: "orchsim: NAME [#########.........] 18/40 runs  4.1 s, about 4 s left".
 * Drawn only when enabled (not --quiet) and stderr is a terminal; nothing is
 * drawn before one second has passed, and at most ten times a second.
 * Thread-safe: progress_step() may be called from worker threads.
 */
#ifndef ORCHSIM_PROGRESS_H
#define ORCHSIM_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>

struct progress {
    const char *name, *unit;
    unsigned total, done;
    bool on, drawn;
    double t0, last;
    pthread_mutex_t mu;
};

/* Starts counting `total` items of `unit` ("runs", "points"). enabled=false
 * (e.g. --quiet) or a stderr that is not a terminal turns drawing off. */
void progress_init(struct progress *p, const char *name, unsigned total, const char *unit,
                   bool enabled);

/* One more item is done. */
void progress_step(struct progress *p);

/* Clears the bar if it was drawn. */
void progress_end(struct progress *p);

#endif
