/* progress.c - see progress.h. */
#include "sim/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR 24

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, const char *name, unsigned total, const char *unit,
                   bool enabled)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    p->unit = unit;
    p->total = total;
    p->on = enabled && total > 0 && isatty(STDERR_FILENO);
    p->t0 = now_s();
    pthread_mutex_init(&p->mu, NULL);
}

static void draw(struct progress *p, double t)
{
    char bar[BAR + 1];
    unsigned fill = p->total ? (unsigned)((unsigned long long)p->done * BAR / p->total) : BAR;
    for (unsigned i = 0; i < BAR; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR] = '\0';
    double el = t - p->t0;
    fprintf(stderr, "\r\033[Korchsim: %s [%s] %u/%u %s  %.1f s", p->name, bar, p->done, p->total,
            p->unit, el);
    if (p->done > 0 && p->done < p->total)
        fprintf(stderr, ", about %.0f s left", el / p->done * (p->total - p->done));
    fflush(stderr);
    p->drawn = true;
    p->last = t;
}

void progress_step(struct progress *p)
{
    pthread_mutex_lock(&p->mu);
    p->done++;
    if (p->on) {
        double t = now_s();
        if (t - p->t0 >= 1.0 && (t - p->last >= 0.1 || p->done == p->total))
            draw(p, t);
    }
    pthread_mutex_unlock(&p->mu);
}

void progress_end(struct progress *p)
{
    pthread_mutex_lock(&p->mu);
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = false;
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_destroy(&p->mu);
}
