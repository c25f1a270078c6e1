/*
 * training.c - training-job book-keeping (runs, checkpoints, interruptions and
 * their GPU-second accounting), the empirical Philly duration distribution and
 * the Poisson job-stream generator. The modelling choices are documented in
 * training.h.
 *
 * How a run is tracked. Within a run, wall time w since the end of the restart
 * overhead maps to progress time p(w) by the checkpoint cycle alone (k of
 * progress, then c of writing), independently of the speed; work grows with
 * progress at rate n x speed. A speed change therefore only re-anchors the
 * linear work(p) relation: it stores the progress, the work and the last
 * durable checkpoint's work at that moment, and everything later is computed
 * from the anchor. Checkpoint m (1-based) captures the work at progress m k and
 * is durable at wall m (k + c); a checkpoint that became durable after the
 * anchor was captured at or after the anchor's progress, so its work follows
 * from the anchor's line.
 */
#include "models/workload/training.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>

#include "sim/metrics.h"
#include "sim/trace.h"

#define US_PER_S 1e6
/* Bound on times, intervals and planned progress (~35.7 years in microseconds),
 * so sums of a few of them never overflow int64. */
#define TIME_LIMIT_US (INT64_C(1) << 50)

/* ------------------------------------------------------------------------ */
/* The checkpoint cycle                                                       */

/* Progress time after w >= 0 microseconds of wall time since progress began. */
static int64_t prog_of_wall(const struct training_spec *s, int64_t w)
{
    int64_t k = s->ckpt_interval_us, c = s->ckpt_cost_us;
    if (k == 0 || c == 0)
        return w;
    int64_t q = w / (k + c), r = w % (k + c);
    return q * k + (r < k ? r : k);
}

/* Checkpoints durable after w >= 0 microseconds of wall time since progress began. */
static int64_t ckpts_of_wall(const struct training_spec *s, int64_t w)
{
    int64_t k = s->ckpt_interval_us;
    return k == 0 ? 0 : w / (k + s->ckpt_cost_us);
}

/* Wall time needed for p >= 0 microseconds of progress: every checkpoint that
 * begins strictly before p (at k, 2k, ... < p) adds its write cost. */
static int64_t wall_of_prog(const struct training_spec *s, int64_t p)
{
    int64_t k = s->ckpt_interval_us, c = s->ckpt_cost_us;
    if (k == 0 || c == 0 || p == 0)
        return p;
    return p + c * ((p - 1) / k);
}

/* The state of a RUNNING job at time now >= last start. */
struct run_state {
    int64_t w;        /* wall time since progress began (0 during the overhead) */
    int64_t p;        /* progress time */
    int64_t m;        /* checkpoints durable in this run */
    double work;      /* reference work done */
    double ckpt_work; /* reference work saved by the last durable checkpoint */
};

static struct run_state run_at(const struct training_job *j, int64_t now)
{
    struct run_state st = {0};
    if (now > j->progress_start_us)
        st.w = now - j->progress_start_us;
    st.p = prog_of_wall(&j->spec, st.w);
    st.m = ckpts_of_wall(&j->spec, st.w);
    st.work = j->anchor_work + j->rate * (double)(st.p - j->anchor_p_us) / US_PER_S;
    if ((uint64_t)st.m == j->anchor_ckpts)
        st.ckpt_work = j->anchor_ckpt_work;
    else
        st.ckpt_work =
            j->anchor_work +
            j->rate * (double)(st.m * j->spec.ckpt_interval_us - j->anchor_p_us) / US_PER_S;
    return st;
}

/* Plans the completion from the anchor; *done_us is at least now. */
static int plan_done(struct training_job *j, uint32_t id, int64_t now, int64_t *done_us,
                     struct os_error *err)
{
    double remaining = j->spec.work_gpu_s - j->anchor_work;
    double dp = remaining > 0 ? remaining / j->rate * US_PER_S : 0.0;
    if (!(dp < (double)TIME_LIMIT_US))
        return os_errorf(err, OS_EINVAL,
                         "training: job %" PRIu32 ": %.6g GPU-s left at speed %g is beyond the "
                         "time limit",
                         id, remaining, j->speed);
    int64_t p_end = j->anchor_p_us + llround(dp);
    int64_t done = j->progress_start_us + wall_of_prog(&j->spec, p_end);
    j->done_us = done > now ? done : now;
    *done_us = j->done_us;
    return OS_OK;
}

/* Charges the run that ends at now (see Accounting in training.h). */
static void charge_run(struct training_job *j, int64_t now, bool completed,
                       struct training_loss *loss)
{
    const struct training_spec *s = &j->spec;
    double n = (double)s->gpus;
    j->alloc_gpu_s += n * (double)(now - j->last_start_us) / US_PER_S;
    int64_t ov_end = now < j->progress_start_us ? now : j->progress_start_us;
    double ov = n * (double)(ov_end - j->last_start_us) / US_PER_S;
    if (j->starts == 1)
        j->startup_gpu_s += ov;
    else
        j->lost_gpu_s += ov;
    struct run_state st = run_at(j, now);
    if (completed) {
        j->useful_gpu_s += n * (double)st.p / US_PER_S;
        j->ckpt_gpu_s += n * (double)(st.w - st.p) / US_PER_S;
        return;
    }
    int64_t kept_p = st.m * s->ckpt_interval_us;
    int64_t kept_w = st.m * (s->ckpt_interval_us + s->ckpt_cost_us);
    j->useful_gpu_s += n * (double)kept_p / US_PER_S;
    j->ckpt_gpu_s += n * (double)(kept_w - kept_p) / US_PER_S;
    j->lost_gpu_s += n * (double)(st.w - kept_w) / US_PER_S;
    double lost_work = st.work - st.ckpt_work;
    if (lost_work < 0)
        lost_work = 0;
    j->lost_work_gpu_s += lost_work;
    j->work_ckpt_gpu_s = st.ckpt_work;
    if (loss) {
        loss->lost_progress_us = st.p - kept_p;
        loss->lost_wall_us = st.w - kept_w;
        loss->lost_work_gpu_s = lost_work;
        loss->lost_gpu_s = n * (double)(st.w - kept_w) / US_PER_S;
    }
}

/* ------------------------------------------------------------------------ */
/* The book                                                                   */

void training_spec_defaults(struct training_spec *s)
{
    memset(s, 0, sizeof *s);
    s->gpus = 1;
    s->ckpt_interval_us = TRAINING_CKPT_INTERVAL_DEFAULT_US;
    s->restart_overhead_us = TRAINING_RESTART_OVERHEAD_DEFAULT_US;
}

int training_init(struct training *t, size_t capacity_hint, struct os_error *err)
{
    memset(t, 0, sizeof *t);
    size_t cap = capacity_hint ? capacity_hint : 64;
    if (cap > UINT32_MAX - 1)
        cap = UINT32_MAX - 1;
    t->jobs = malloc(cap * sizeof *t->jobs);
    if (!t->jobs)
        return os_errorf(err, OS_ENOMEM, "training: cannot allocate %zu jobs", cap);
    t->cap = (uint32_t)cap;
    return OS_OK;
}

void training_destroy(struct training *t)
{
    free(t->jobs);
    t->jobs = NULL;
    t->njobs = t->cap = 0;
    t->pending = t->running = t->done = 0;
}

static int spec_check(const struct training_spec *s, struct os_error *err)
{
    if (s->gpus < 1 || s->gpus > TRAINING_MAX_GPUS)
        return os_errorf(err, OS_EINVAL, "training: gpus must be 1..%d (got %" PRIu32 ")",
                         TRAINING_MAX_GPUS, s->gpus);
    if (!(s->work_gpu_s >= 0) || !isfinite(s->work_gpu_s))
        return os_errorf(err, OS_EINVAL, "training: work_gpu_s must be finite and >= 0 (got %g)",
                         s->work_gpu_s);
    const struct {
        const char *name;
        int64_t v;
    } times[] = {
        {"arrival_us", s->arrival_us},
        {"ckpt_interval_us", s->ckpt_interval_us},
        {"restart_overhead_us", s->restart_overhead_us},
        {"ckpt_cost_us", s->ckpt_cost_us},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        if (times[i].v < 0 || times[i].v > TIME_LIMIT_US)
            return os_errorf(err, OS_EINVAL,
                             "training: %s must be 0..%" PRId64 " (got %" PRId64 ")", times[i].name,
                             TIME_LIMIT_US, times[i].v);
    return OS_OK;
}

int training_add(struct training *t, const struct training_spec *spec, uint32_t *id,
                 struct os_error *err)
{
    int rc = spec_check(spec, err);
    if (rc)
        return rc;
    if (t->njobs == UINT32_MAX - 1)
        return os_errorf(err, OS_EFULL, "training: too many jobs");
    if (t->njobs == t->cap) {
        uint64_t ncap = t->cap ? 2 * (uint64_t)t->cap : 64;
        if (ncap > UINT32_MAX - 1)
            ncap = UINT32_MAX - 1;
        struct training_job *p = realloc(t->jobs, ncap * sizeof *p);
        if (!p)
            return os_errorf(err, OS_ENOMEM, "training: cannot grow to %" PRIu64 " jobs", ncap);
        t->jobs = p;
        t->cap = (uint32_t)ncap;
    }
    struct training_job *j = &t->jobs[t->njobs];
    memset(j, 0, sizeof *j);
    j->spec = *spec;
    j->state = TRAINING_PENDING;
    j->first_start_us = -1;
    j->last_start_us = -1;
    j->pending_since_us = spec->arrival_us;
    j->done_us = -1;
    *id = t->njobs++;
    t->pending++;
    return OS_OK;
}

const struct training_job *training_job(const struct training *t, uint32_t id)
{
    return id < t->njobs ? &t->jobs[id] : NULL;
}

/* The job if it exists and is in state want, else NULL with err filled. */
static struct training_job *job_in(struct training *t, uint32_t id, enum training_state want,
                                   const char *what, struct os_error *err)
{
    static const char *const names[] = {"pending", "running", "done"};
    if (id >= t->njobs) {
        os_errorf(err, OS_EINVAL, "training: %s: no job %" PRIu32, what, id);
        return NULL;
    }
    struct training_job *j = &t->jobs[id];
    if (j->state != want) {
        os_errorf(err, OS_EINVAL, "training: %s: job %" PRIu32 " is %s, not %s", what, id,
                  names[j->state], names[want]);
        return NULL;
    }
    return j;
}

static int speed_check(uint32_t id, double speed, struct os_error *err)
{
    if (!(speed > 0) || !isfinite(speed))
        return os_errorf(err, OS_EINVAL,
                         "training: job %" PRIu32 ": speed must be finite and > 0 (got %g)", id,
                         speed);
    return OS_OK;
}

int training_start(struct training *t, uint32_t id, int64_t now_us, double speed, int64_t *done_us,
                   struct os_error *err)
{
    struct training_job *j = job_in(t, id, TRAINING_PENDING, "start", err);
    if (!j)
        return OS_EINVAL;
    int rc = speed_check(id, speed, err);
    if (rc)
        return rc;
    if (now_us < j->pending_since_us || now_us > TIME_LIMIT_US)
        return os_errorf(err, OS_EINVAL,
                         "training: start: job %" PRIu32 " at %" PRId64
                         " us, before it was pending (%" PRId64 " us) or beyond the time limit",
                         id, now_us, j->pending_since_us);
    j->queue_us += now_us - j->pending_since_us;
    j->starts++;
    if (j->first_start_us < 0)
        j->first_start_us = now_us;
    j->last_start_us = now_us;
    j->speed = speed;
    j->rate = (double)j->spec.gpus * speed;
    j->progress_start_us = now_us + j->spec.restart_overhead_us;
    j->anchor_p_us = 0;
    j->anchor_work = j->work_ckpt_gpu_s;
    j->anchor_ckpts = 0;
    j->anchor_ckpt_work = j->work_ckpt_gpu_s;
    if ((rc = plan_done(j, id, now_us, done_us, err))) {
        /* Undo: the job stays pending as it was. */
        j->queue_us -= now_us - j->pending_since_us;
        if (--j->starts == 0)
            j->first_start_us = -1;
        j->last_start_us = -1;
        return rc;
    }
    j->state = TRAINING_RUNNING;
    t->pending--;
    t->running++;
    return OS_OK;
}

int training_set_speed(struct training *t, uint32_t id, int64_t now_us, double speed,
                       int64_t *done_us, struct os_error *err)
{
    struct training_job *j = job_in(t, id, TRAINING_RUNNING, "set_speed", err);
    if (!j)
        return OS_EINVAL;
    int rc = speed_check(id, speed, err);
    if (rc)
        return rc;
    if (now_us < j->last_start_us || now_us > j->done_us)
        return os_errorf(err, OS_EINVAL,
                         "training: set_speed: job %" PRIu32 " at %" PRId64
                         " us, outside its run [%" PRId64 ", %" PRId64 "]",
                         id, now_us, j->last_start_us, j->done_us);
    struct training_job saved = *j;
    struct run_state st = run_at(j, now_us);
    j->anchor_p_us = st.p;
    j->anchor_work = st.work;
    j->anchor_ckpts = (uint64_t)st.m;
    j->anchor_ckpt_work = st.ckpt_work;
    j->speed = speed;
    j->rate = (double)j->spec.gpus * speed;
    if ((rc = plan_done(j, id, now_us, done_us, err)))
        *j = saved;
    return rc;
}

int training_complete(struct training *t, uint32_t id, int64_t now_us, struct os_error *err)
{
    struct training_job *j = job_in(t, id, TRAINING_RUNNING, "complete", err);
    if (!j)
        return OS_EINVAL;
    if (now_us != j->done_us)
        return os_errorf(err, OS_EINVAL,
                         "training: complete: job %" PRIu32 " at %" PRId64
                         " us, but it completes at %" PRId64 " us (stale event?)",
                         id, now_us, j->done_us);
    charge_run(j, now_us, true, NULL);
    j->work_ckpt_gpu_s = j->spec.work_gpu_s;
    j->work_done_gpu_s = j->spec.work_gpu_s;
    j->state = TRAINING_DONE;
    t->running--;
    t->done++;
    return OS_OK;
}

int training_interrupt(struct training *t, uint32_t id, int64_t now_us, struct training_loss *loss,
                       struct os_error *err)
{
    struct training_job *j = job_in(t, id, TRAINING_RUNNING, "interrupt", err);
    if (!j)
        return OS_EINVAL;
    if (now_us < j->last_start_us || now_us > j->done_us)
        return os_errorf(err, OS_EINVAL,
                         "training: interrupt: job %" PRIu32 " at %" PRId64
                         " us, outside its run [%" PRId64 ", %" PRId64 "]",
                         id, now_us, j->last_start_us, j->done_us);
    if (loss)
        memset(loss, 0, sizeof *loss);
    charge_run(j, now_us, false, loss);
    j->work_done_gpu_s = j->work_ckpt_gpu_s;
    j->interruptions++;
    j->state = TRAINING_PENDING;
    j->pending_since_us = now_us;
    j->done_us = -1;
    t->running--;
    t->pending++;
    return OS_OK;
}

double training_work_at(const struct training *t, uint32_t id, int64_t now_us)
{
    const struct training_job *j = training_job(t, id);
    if (!j)
        return NAN;
    if (j->state != TRAINING_RUNNING)
        return j->work_done_gpu_s;
    if (now_us < j->last_start_us)
        now_us = j->last_start_us;
    if (now_us > j->done_us)
        now_us = j->done_us;
    double w = run_at(j, now_us).work;
    return w < j->spec.work_gpu_s ? w : j->spec.work_gpu_s;
}

/* Nearest-rank quantile of n >= 1 sorted values. */
static double rank_quantile(const double *v, size_t n, double q)
{
    double r = ceil(q * (double)n);
    size_t i = r < 1 ? 0 : (size_t)r - 1;
    return v[i < n ? i : n - 1];
}

int training_summarize(const struct training *t, struct training_summary *out, struct os_error *err)
{
    memset(out, 0, sizeof *out);
    out->jobs = t->njobs;
    out->pending = t->pending;
    out->running = t->running;
    out->completed = t->done;
    size_t n = t->done;
    double *jct = NULL, *queue = NULL;
    if (n) {
        jct = malloc(n * sizeof *jct);
        queue = malloc(n * sizeof *queue);
        if (!jct || !queue) {
            free(jct);
            free(queue);
            return os_errorf(err, OS_ENOMEM, "training: cannot allocate %zu summary values", n);
        }
    }
    size_t k = 0;
    double jct_sum = 0, queue_sum = 0;
    for (uint32_t i = 0; i < t->njobs; i++) {
        const struct training_job *j = &t->jobs[i];
        out->interruptions += j->interruptions;
        out->alloc_gpu_s += j->alloc_gpu_s;
        out->useful_gpu_s += j->useful_gpu_s;
        out->ckpt_gpu_s += j->ckpt_gpu_s;
        out->startup_gpu_s += j->startup_gpu_s;
        out->lost_gpu_s += j->lost_gpu_s;
        out->lost_work_gpu_s += j->lost_work_gpu_s;
        if (j->state != TRAINING_DONE)
            continue;
        out->work_done_gpu_s += j->spec.work_gpu_s;
        jct[k] = (double)(j->done_us - j->spec.arrival_us) / US_PER_S;
        queue[k] = (double)j->queue_us / US_PER_S;
        jct_sum += jct[k];
        queue_sum += queue[k];
        k++;
    }
    out->lost_gpu_hours = out->lost_gpu_s / 3600.0;
    out->goodput = out->alloc_gpu_s > 0 ? out->useful_gpu_s / out->alloc_gpu_s : NAN;
    if (n == 0) {
        out->jct_mean_s = out->jct_p50_s = out->jct_p99_s = NAN;
        out->queue_mean_s = out->queue_p50_s = out->queue_p99_s = NAN;
        return OS_OK;
    }
    gsl_sort(jct, 1, n);
    gsl_sort(queue, 1, n);
    out->jct_mean_s = jct_sum / (double)n;
    out->jct_p50_s = rank_quantile(jct, n, 0.50);
    out->jct_p99_s = rank_quantile(jct, n, 0.99);
    out->queue_mean_s = queue_sum / (double)n;
    out->queue_p50_s = rank_quantile(queue, n, 0.50);
    out->queue_p99_s = rank_quantile(queue, n, 0.99);
    free(jct);
    free(queue);
    return OS_OK;
}

/* ------------------------------------------------------------------------ */
/* Durations                                                                  */

static int filter_check(const struct training_durations_filter *f, struct os_error *err)
{
    if (f->min_us < 0 || f->max_us < 0 || f->cap_us < 0)
        return os_errorf(err, OS_EINVAL, "training: duration filter values must be >= 0");
    if (f->max_us > 0 && f->max_us < f->min_us)
        return os_errorf(err, OS_EINVAL,
                         "training: duration filter max_us %" PRId64 " < min_us %" PRId64,
                         f->max_us, f->min_us);
    return OS_OK;
}

/* Applies the filter to one value: appends it to d (growing the array) or
 * counts it as dropped. */
static int durations_push(struct training_durations *d, size_t *cap,
                          const struct training_durations_filter *f, int64_t v,
                          struct os_error *err)
{
    if (v < f->min_us || (f->max_us > 0 && v > f->max_us)) {
        d->dropped++;
        return OS_OK;
    }
    if (f->cap_us > 0 && v > f->cap_us) {
        v = f->cap_us;
        d->capped++;
    }
    if (d->n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 4096;
        int64_t *p = realloc(d->us, ncap * sizeof *p);
        if (!p)
            return os_errorf(err, OS_ENOMEM, "training: cannot grow the duration table");
        d->us = p;
        *cap = ncap;
    }
    d->us[d->n++] = v;
    return OS_OK;
}

static int durations_finish(struct training_durations *d, const char *what, struct os_error *err)
{
    if (d->n == 0)
        return os_errorf(err, OS_EINVAL, "%s: no duration left after the filter (%zu dropped)",
                         what, d->dropped);
    metrics_sort_i64(d->us, d->n);
    return OS_OK;
}

int training_durations_from_trace(struct training_durations *d, const char *path,
                                  const struct training_durations_filter *f, struct os_error *err)
{
    memset(d, 0, sizeof *d);
    const struct training_durations_filter none = {0};
    if (!f)
        f = &none;
    int rc = filter_check(f, err);
    if (rc)
        return rc;
    struct trace_reader rd;
    if ((rc = trace_open(&rd, path, TRACE_PHILLY, NULL, err)))
        return rc;
    size_t cap = 0;
    struct trace_record rec;
    while ((rc = trace_next(&rd, &rec, err)) == 1)
        if ((rc = durations_push(d, &cap, f, rec.philly.runtime_us, err)))
            goto out_free;
    if (rc < 0)
        goto out_free;
    if ((rc = durations_finish(d, path, err)))
        goto out_free;
    trace_close(&rd);
    return OS_OK;
out_free:
    trace_close(&rd);
    training_durations_destroy(d);
    return rc;
}

int training_durations_from_values(struct training_durations *d, const int64_t *us, size_t n,
                                   const struct training_durations_filter *f, struct os_error *err)
{
    memset(d, 0, sizeof *d);
    const struct training_durations_filter none = {0};
    if (!f)
        f = &none;
    int rc = filter_check(f, err);
    if (rc)
        return rc;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (us[i] < 0) {
            rc = os_errorf(err, OS_EINVAL, "training: duration %zu is negative", i);
            goto out_free;
        }
        if ((rc = durations_push(d, &cap, f, us[i], err)))
            goto out_free;
    }
    if ((rc = durations_finish(d, "training", err)))
        goto out_free;
    return OS_OK;
out_free:
    training_durations_destroy(d);
    return rc;
}

int64_t training_durations_draw(const struct training_durations *d, const gsl_rng *r)
{
    size_t i = (size_t)(gsl_rng_uniform(r) * (double)d->n);
    return d->us[i < d->n ? i : d->n - 1];
}

int64_t training_durations_quantile(const struct training_durations *d, double q)
{
    return metrics_sorted_quantile(d->us, d->n, q > 0 ? q : 0);
}

void training_durations_destroy(struct training_durations *d)
{
    free(d->us);
    d->us = NULL;
    d->n = 0;
}

/* ------------------------------------------------------------------------ */
/* Job streams                                                                */

static int gen_check(const struct training_gen_cfg *c, struct os_error *err)
{
    if (!(c->rate_per_hour > 0) || !isfinite(c->rate_per_hour))
        return os_errorf(err, OS_EINVAL, "training: rate_per_hour must be finite and > 0 (got %g)",
                         c->rate_per_hour);
    if (c->start_us < 0 || c->start_us > TIME_LIMIT_US || c->end_us > TIME_LIMIT_US)
        return os_errorf(err, OS_EINVAL, "training: start_us/end_us outside 0..%" PRId64,
                         TIME_LIMIT_US);
    if (c->ngangs < 1 || c->ngangs > TRAINING_GANGS_MAX)
        return os_errorf(err, OS_EINVAL, "training: ngangs must be 1..%d (got %zu)",
                         TRAINING_GANGS_MAX, c->ngangs);
    for (size_t i = 0; i < c->ngangs; i++)
        if (c->gangs[i].gpus < 1 || c->gangs[i].gpus > TRAINING_MAX_GPUS ||
            !(c->gangs[i].weight >= 0) || !isfinite(c->gangs[i].weight))
            return os_errorf(err, OS_EINVAL,
                             "training: gangs[%zu]: gpus must be 1..%d and weight finite, >= 0", i,
                             TRAINING_MAX_GPUS);
    if (c->max_gpus > 0 && c->max_gpus < c->min_gpus)
        return os_errorf(err, OS_EINVAL, "training: max_gpus %" PRIu32 " < min_gpus %" PRIu32,
                         c->max_gpus, c->min_gpus);
    if (!c->durations || c->durations->n == 0)
        return os_errorf(err, OS_EINVAL, "training: the generator needs durations");
    struct training_spec s;
    training_spec_defaults(&s);
    s.ckpt_interval_us = c->ckpt_interval_us;
    s.restart_overhead_us = c->restart_overhead_us;
    s.ckpt_cost_us = c->ckpt_cost_us;
    return spec_check(&s, err);
}

int training_gen_init(struct training_gen *g, const struct training_gen_cfg *cfg,
                      struct os_error *err)
{
    memset(g, 0, sizeof *g);
    int rc = gen_check(cfg, err);
    if (rc)
        return rc;
    g->cfg = *cfg;
    /* Keep the pairs inside the GPU filter, then make the weights cumulative. */
    size_t k = 0;
    double total = 0;
    for (size_t i = 0; i < cfg->ngangs; i++) {
        uint32_t n = cfg->gangs[i].gpus;
        if (n < cfg->min_gpus || (cfg->max_gpus > 0 && n > cfg->max_gpus) ||
            cfg->gangs[i].weight == 0)
            continue;
        total += cfg->gangs[i].weight;
        g->cfg.gangs[k].gpus = n;
        g->cfg.gangs[k].weight = total;
        k++;
    }
    if (k == 0 || !(total > 0) || !isfinite(total))
        return os_errorf(err, OS_EINVAL,
                         "training: no gang size of positive weight within gpus %" PRIu32
                         "..%" PRIu32,
                         cfg->min_gpus, cfg->max_gpus);
    for (size_t i = 0; i < k; i++)
        g->cfg.gangs[i].weight /= total;
    g->cfg.ngangs = k;
    if ((rc = rng_init(&g->arr_rng, cfg->seed, "training.arrivals", cfg->stream, err)))
        goto out_destroy;
    if ((rc = rng_init(&g->gpu_rng, cfg->seed, "training.gpus", cfg->stream, err)))
        goto out_destroy;
    if ((rc = rng_init(&g->dur_rng, cfg->seed, "training.duration", cfg->stream, err)))
        goto out_destroy;
    return OS_OK;
out_destroy:
    training_gen_destroy(g);
    return rc;
}

int training_gen_next(struct training_gen *g, struct training_spec *out)
{
    const struct training_gen_cfg *c = &g->cfg;
    if (g->done || (c->max_jobs > 0 && g->emitted >= c->max_jobs)) {
        g->done = true;
        return 0;
    }
    g->t_s += gsl_ran_exponential(g->arr_rng.r, 3600.0 / c->rate_per_hour);
    double t = (double)c->start_us + g->t_s * US_PER_S;
    if (!(t < (double)TIME_LIMIT_US) || (c->end_us > 0 && llround(t) >= c->end_us)) {
        g->done = true;
        return 0;
    }
    double u = gsl_rng_uniform(g->gpu_rng.r);
    size_t i = 0;
    while (i + 1 < c->ngangs && u >= c->gangs[i].weight)
        i++;
    int64_t d_us = training_durations_draw(c->durations, g->dur_rng.r);

    training_spec_defaults(out);
    out->gpus = c->gangs[i].gpus;
    out->arrival_us = llround(t);
    out->work_gpu_s = (double)d_us / US_PER_S * (double)out->gpus; /* [U] see training.h */
    out->ckpt_interval_us = c->ckpt_interval_us;
    out->restart_overhead_us = c->restart_overhead_us;
    out->ckpt_cost_us = c->ckpt_cost_us;
    g->emitted++;
    return 1;
}

void training_gen_destroy(struct training_gen *g)
{
    rng_destroy(&g->arr_rng);
    rng_destroy(&g->gpu_rng);
    rng_destroy(&g->dur_rng);
    g->done = true;
}
