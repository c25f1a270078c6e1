/* pool.c - see pool.h. */
#include "sim/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pool_state {
    const struct pool_job *job;
    unsigned n;
    atomic_uint next;
    atomic_bool failed;
    pthread_mutex_t lock;
    int rc;
    struct os_error err;
};

static void *pool_thread(void *arg)
{
    struct pool_state *st = arg;
    const struct pool_job *job = st->job;
    void *w = calloc(1, job->worker_size ? job->worker_size : 1);
    struct os_error err = {{0}};
    int rc = w ? job->init(w, job->shared, &err) : os_errorf(&err, OS_ENOMEM, "out of memory");
    while (rc == OS_OK && !atomic_load(&st->failed)) {
        unsigned item = atomic_fetch_add(&st->next, 1);
        if (item >= st->n)
            break;
        rc = job->run(w, item, &err);
    }
    if (rc) {
        pthread_mutex_lock(&st->lock);
        if (!atomic_load(&st->failed)) {
            st->rc = rc;
            st->err = err;
            atomic_store(&st->failed, true);
        }
        pthread_mutex_unlock(&st->lock);
    }
    if (w) {
        job->destroy(w);
        free(w);
    }
    return NULL;
}

int pool_run(const struct pool_job *job, unsigned n, unsigned threads, struct os_error *err)
{
    if (n == 0)
        return OS_OK;
    struct pool_state st;
    memset(&st, 0, sizeof st);
    st.job = job;
    st.n = n;
    atomic_init(&st.next, 0);
    atomic_init(&st.failed, false);
    pthread_mutex_init(&st.lock, NULL);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned nth = threads ? threads : (ncpu > 0 ? (unsigned)ncpu : 1);
    if (nth > n)
        nth = n;
    if (nth > POOL_THREADS_MAX)
        nth = POOL_THREADS_MAX;
    pthread_t th[POOL_THREADS_MAX];
    unsigned started = 0;
    for (; started < nth; started++)
        if (pthread_create(&th[started], NULL, pool_thread, &st) != 0)
            break;
    if (started == 0)
        pool_thread(&st); /* no thread could start: run here */
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&st.lock);
    if (atomic_load(&st.failed)) {
        *err = st.err;
        return st.rc;
    }
    return OS_OK;
}
