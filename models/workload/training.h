/*
 * training.h - book-keeping for gang-scheduled GPU training jobs (MODELS.md
 * section 8) and a generator of synthetic training-job streams whose durations
 * come from the Philly trace.
 *
 * Engine-agnostic: this file owns no clock and no placement. The orchestrator
 * decides when a job starts, on what, and when it is interrupted; it calls the
 * functions below with the current simulated time (now_us) and schedules the
 * completion event itself at the time training_start() returns. Nothing here
 * reads the engine or schedules anything.
 *
 * A job has a gang of n GPUs (all or nothing; placing them is the caller's
 * business), total work W in GPU-seconds at speed 1.0 on the reference GPU, an
 * arrival time, a checkpoint interval k, a restart overhead O and a checkpoint
 * write cost c. Its life is PENDING -> RUNNING -> (DONE | PENDING again after an
 * interruption).
 *
 * The model of one run (one start on one allocation at relative speed s, the
 * speed of the slowest GPU of the gang, computed by the caller from the catalog):
 * - Restart overhead. For O microseconds after every start, including the first,
 *   the job makes no progress: container start, framework init and loading the
 *   last checkpoint [U: one constant per job, default
 *   TRAINING_RESTART_OVERHEAD_DEFAULT_US = 120 s; MODELS.md section 6 reports
 *   image pulls of minutes and model loads of 18 s to several minutes, which a
 *   scenario can fold into O].
 * - Progress. After the overhead the gang processes n x s GPU-seconds of work
 *   per second [U: perfect linear scaling in n, and the gang runs at the speed
 *   of its slowest GPU]. An uninterrupted run from a fresh job therefore ends at
 *       start + O + W / (n s)          (with c = 0).
 * - Checkpoints. The job checkpoints every k microseconds of *progress time*
 *   (wall time spent making progress) since the progress of this run began,
 *   i.e. at progress times k, 2k, ... [U: fixed-interval checkpointing, the
 *   usual framework setting; no checkpoint at completion]. A checkpoint
 *   captures the progress at the moment it begins and takes c microseconds of
 *   wall time during which no progress is made [U: synchronous writes; default
 *   c = 0]. It is durable only when the write has finished [U]. k = 0 means the
 *   job never checkpoints. With c > 0 the wall time of p microseconds of
 *   progress is p + c x (ceil(p / k) - 1) for p > 0.
 * - Interruption (spot reclaim, node loss, preemption). The job loses all the
 *   work since its last durable checkpoint (all of this run's work when k = 0
 *   or no checkpoint finished in this run), goes back to PENDING and on its
 *   next start resumes from the checkpointed work after paying O again. The
 *   orchestrator must drop the pending completion event (a generation token, or
 *   compare with training_job()->done_us).
 * - Speed changes while running (training_set_speed) keep the work done and the
 *   checkpoint schedule (which is in progress time) and re-plan the completion.
 * Times are integer microseconds. The completion time of a run is rounded to the
 *   nearest microsecond; work is kept in double GPU-seconds.
 *
 * Accounting (GPU-seconds, charged when a run ends, i.e. at training_complete()
 * or training_interrupt(); a run in progress is not counted until it ends). Every
 * allocated GPU-second of a run falls into exactly one class, so
 *     alloc = useful + ckpt + startup + lost       (per job and in the summary):
 * - useful: n x progress time that was kept (it reached a durable checkpoint,
 *   or the job completed). Measured in allocated GPU time, not in reference
 *   work, so goodput = useful / alloc measures orchestration waste and not the
 *   speed of the GPUs (reference work done is reported apart).
 * - ckpt: n x time spent writing checkpoints that completed.
 * - startup: n x the restart overhead paid by the first start of the job.
 * - lost: n x (progress and partial checkpoint writes since the last durable
 *   checkpoint, at each interruption) + n x the restart overhead paid by every
 *   later start (it is caused by the interruption before it), as actually paid
 *   (in full, or up to an interruption during the overhead). This is MODELS.md
 *   section 10's "GPU-hours destroyed by interruptions".
 * Queueing delay is the time spent PENDING: from arrival to the first start,
 * plus from each interruption to the next start. JCT = completion - arrival.
 *
 * Ownership: struct training is caller-owned (training_init/training_destroy)
 * and owns its job array. Job ids are dense indices from 0 in order of
 * training_add(); they are never reused.
 */
#ifndef ORCHSIM_TRAINING_H
#define ORCHSIM_TRAINING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/os_err.h"
#include "sim/rng.h"

#define TRAINING_US_PER_S INT64_C(1000000)

/* [U] Restart overhead when a scenario gives none: container start + framework
 * init + checkpoint load on a warm node (image cached). */
#define TRAINING_RESTART_OVERHEAD_DEFAULT_US (INT64_C(120) * TRAINING_US_PER_S)

/* [U] Checkpoint interval when a scenario gives none: 30 minutes of progress. */
#define TRAINING_CKPT_INTERVAL_DEFAULT_US (INT64_C(1800) * TRAINING_US_PER_S)

#define TRAINING_MAX_GPUS 4096 /* a sanity bound on the gang size */

enum training_state {
    TRAINING_PENDING, /* waiting for an allocation (before its first start or re-queued) */
    TRAINING_RUNNING,
    TRAINING_DONE,
};

/* What a job is. Plain data. */
struct training_spec {
    uint32_t gpus;               /* gang size n, 1..TRAINING_MAX_GPUS */
    double work_gpu_s;           /* GPU-seconds at speed 1 on the reference GPU, >= 0 */
    int64_t arrival_us;          /* >= 0 */
    int64_t ckpt_interval_us;    /* progress time between checkpoints, >= 0; 0 = never */
    int64_t restart_overhead_us; /* >= 0, paid at every start */
    int64_t ckpt_cost_us;        /* wall time of one checkpoint write, >= 0 */
};

/* Fills s with one GPU, no work, arrival 0, checkpoint interval
 * TRAINING_CKPT_INTERVAL_DEFAULT_US, restart overhead
 * TRAINING_RESTART_OVERHEAD_DEFAULT_US, checkpoint cost 0. */
void training_spec_defaults(struct training_spec *s);

/* One job. Read through training_job(); written only by training.c. */
struct training_job {
    struct training_spec spec;
    enum training_state state;
    uint32_t starts;          /* runs begun */
    uint32_t interruptions;   /* runs ended by training_interrupt() */
    int64_t first_start_us;   /* -1 before the first start */
    int64_t last_start_us;    /* start of the current / last run, -1 before */
    int64_t pending_since_us; /* PENDING: arrival or the last interruption */
    int64_t queue_us;         /* total time PENDING in ended pending spells */
    int64_t done_us;          /* RUNNING: planned completion; DONE: completion; else -1 */
    double work_ckpt_gpu_s;   /* reference work saved by the last durable checkpoint */
    double work_done_gpu_s;   /* DONE: spec.work_gpu_s; else work_ckpt_gpu_s */
    double lost_work_gpu_s;   /* reference work lost at interruptions */
    /* allocated GPU-seconds of ended runs, by class (see the top of the file) */
    double alloc_gpu_s, useful_gpu_s, ckpt_gpu_s, startup_gpu_s, lost_gpu_s;

    /* private: the current run (RUNNING only) */
    double speed;              /* relative GPU speed of the allocation */
    double rate;               /* n x speed: reference GPU-seconds of work per second */
    int64_t progress_start_us; /* last_start_us + restart overhead */
    int64_t anchor_p_us;       /* progress time at the last re-plan */
    double anchor_work;        /* work done at the last re-plan */
    uint64_t anchor_ckpts;     /* checkpoints durable by the last re-plan */
    double anchor_ckpt_work;   /* work saved by the last of those (or at the start) */
};

/* The book. Caller-owned; fields are read-only outside training.c. */
struct training {
    struct training_job *jobs; /* owned, njobs used of cap */
    uint32_t njobs, cap;
    uint32_t pending, running, done; /* jobs in each state */
};

/* What one interruption cost (training_interrupt's optional output). */
struct training_loss {
    int64_t lost_progress_us; /* progress time since the last durable checkpoint */
    int64_t lost_wall_us;     /* that plus partial checkpoint writes (0 if during overhead) */
    double lost_work_gpu_s;   /* reference work lost */
    double lost_gpu_s;        /* n x lost_wall_us (the overhead share is charged per run) */
};

/* Initialises an empty book with room for capacity_hint jobs (0 = small; it
 * grows by doubling). OS_ENOMEM. */
int training_init(struct training *t, size_t capacity_hint, struct os_error *err);

/* Frees the jobs. Idempotent. */
void training_destroy(struct training *t);

/* Adds a PENDING job (pending from spec->arrival_us) and writes its id to *id.
 * OS_EINVAL for a bad spec (the message names the field), OS_EFULL beyond
 * UINT32_MAX - 1 jobs, OS_ENOMEM. */
int training_add(struct training *t, const struct training_spec *spec, uint32_t *id,
                 struct os_error *err);

/* Starts PENDING job id at now_us (>= its arrival and >= its last
 * interruption) on an allocation of relative speed `speed` (> 0, finite) and
 * writes to *done_us the absolute completion time if it is not interrupted:
 *     now + O + wall((W - work_ckpt) / (n speed))
 * (wall() adds the checkpoint writes, see the top of the file). OS_EINVAL for
 * a bad id, state, time or speed. */
int training_start(struct training *t, uint32_t id, int64_t now_us, double speed, int64_t *done_us,
                   struct os_error *err);

/* Changes the speed of RUNNING job id at now_us (last start <= now <= planned
 * completion) and writes the new completion time to *done_us. Work done and
 * the checkpoint schedule are kept. OS_EINVAL otherwise. */
int training_set_speed(struct training *t, uint32_t id, int64_t now_us, double speed,
                       int64_t *done_us, struct os_error *err);

/* Completes RUNNING job id. now_us must equal its planned completion time
 * (training_job(t, id)->done_us), so that a stale completion event (scheduled
 * before an interruption or a speed change) is refused with OS_EINVAL instead
 * of corrupting the book. */
int training_complete(struct training *t, uint32_t id, int64_t now_us, struct os_error *err);

/* Interrupts RUNNING job id at now_us (last start <= now <= planned
 * completion; at the planned completion time itself the interruption wins and
 * the job does not complete): the work since its last durable checkpoint is lost, the run is
 * charged (see Accounting) and the job is PENDING again from now_us. Writes
 * what was lost to *loss when loss is not NULL. OS_EINVAL otherwise. */
int training_interrupt(struct training *t, uint32_t id, int64_t now_us, struct training_loss *loss,
                       struct os_error *err);

/* The job with this id, or NULL. The pointer is valid until the next
 * training_add() (which may grow the array). */
const struct training_job *training_job(const struct training *t, uint32_t id);

/* Reference work done by RUNNING job id at now_us (not durable: it includes
 * progress since the last checkpoint); for other states work_done_gpu_s. NaN
 * for a bad id. */
double training_work_at(const struct training *t, uint32_t id, int64_t now_us);

/*
 * Summary over the jobs (runs still in progress are not charged). Time
 * statistics are in seconds, over completed jobs, NaN when none completed;
 * quantiles are nearest-rank (as sim/metrics.h: the value of rank
 * max(1, ceil(q n)) in ascending order), exact on the kept values.
 */
struct training_summary {
    uint32_t jobs, pending, running, completed;
    uint64_t interruptions;
    double jct_mean_s, jct_p50_s, jct_p99_s;       /* completed jobs */
    double queue_mean_s, queue_p50_s, queue_p99_s; /* completed jobs, total pending time */
    double alloc_gpu_s, useful_gpu_s, ckpt_gpu_s, startup_gpu_s, lost_gpu_s; /* all jobs */
    double lost_gpu_hours;                                                   /* lost_gpu_s / 3600 */
    double goodput;         /* useful / alloc; NaN when nothing was allocated */
    double work_done_gpu_s; /* reference work of completed jobs */
    double lost_work_gpu_s; /* reference work lost at interruptions */
};

/* Fills *out. OS_ENOMEM (a temporary array for the quantiles). */
int training_summarize(const struct training *t, struct training_summary *out,
                       struct os_error *err);

/* ------------------------------------------------------------------------ */
/* Durations: the empirical distribution of Philly job runtimes               */

/*
 * The runtimes of scenarios/traces/philly-2017-job-runtimes/philly_runtime.csv
 * (format philly of sim/trace.h: one column `runtime`, seconds, 83,154 jobs,
 * median 1,186 s, max ~53.6 days). The file has no GPU counts, arrival times
 * or job status; the README notes the runtime is most likely the job's end
 * minus start over its attempts, so it includes Philly's own queueing between
 * retries [U]. Gang sizes therefore come from a separate distribution (see
 * training_gen) and the GPU-count filter applies there.
 *
 * Filters, applied while loading: rows below min_us or above max_us are
 * dropped (max_us 0 = no upper bound); then every value above cap_us is set
 * to cap_us (cap_us 0 = no cap), which keeps the tail's mass but bounds run
 * length. The kept values are sorted and drawn by inverse CDF: a uniform
 * u in [0, 1) gives the value of rank floor(u n) + 1, so each kept row is drawn
 * with probability 1/n (the empirical step CDF; no interpolation).
 */
struct training_durations_filter {
    int64_t min_us; /* >= 0 */
    int64_t max_us; /* 0 = none */
    int64_t cap_us; /* 0 = none */
};

struct training_durations {
    int64_t *us; /* sorted ascending, n values (owned) */
    size_t n;
    size_t dropped; /* rows removed by min/max */
    size_t capped;  /* values lowered to cap_us */
};

/* Loads a philly trace with the filter (NULL = none). Returns trace errors,
 * OS_EINVAL for a bad filter or when no row is left, OS_ENOMEM. */
int training_durations_from_trace(struct training_durations *d, const char *path,
                                  const struct training_durations_filter *f, struct os_error *err);

/* The same from n caller values (microseconds, >= 0; copied and sorted). */
int training_durations_from_values(struct training_durations *d, const int64_t *us, size_t n,
                                   const struct training_durations_filter *f, struct os_error *err);

/* One draw with r (one uniform). */
int64_t training_durations_draw(const struct training_durations *d, const gsl_rng *r);

/* The nearest-rank q-quantile of the kept values (q clamped to [0, 1]). */
int64_t training_durations_quantile(const struct training_durations *d, double q);

/* Frees the values. Idempotent. */
void training_durations_destroy(struct training_durations *d);

/* ------------------------------------------------------------------------ */
/* Job streams                                                                */

/* One point of the gang-size distribution: `gpus` with relative weight. */
struct training_gang {
    uint32_t gpus; /* 1..TRAINING_MAX_GPUS */
    double weight; /* >= 0 */
};

#define TRAINING_GANGS_MAX 32

/*
 * A Poisson stream of jobs: exponential gaps with mean 3600 / rate_per_hour
 * seconds from start_us (the first job at start_us + the first gap), ending
 * before end_us (<= 0: no end) or after max_jobs (0: no limit). Each job draws
 * its gang size from the pairs (only pairs with min_gpus <= gpus <= max_gpus
 * are kept; max_gpus 0 = no upper bound; the kept weights are normalised) and
 * its duration D from the durations, and gets
 *     work = D x gpus  (GPU-seconds at speed 1)
 * [U: the Philly runtime is taken as the wall time of a gang of `gpus`
 * reference GPUs with perfect scaling; the draw of D is independent of the
 * gang size, since the trace does not pair them]. Checkpoint interval, restart
 * overhead and checkpoint cost are copied from the config into every spec.
 *
 * Randomness: gaps come from the rng stream ("training.arrivals", stream),
 * gang sizes from ("training.gpus", stream) and durations from
 * ("training.duration", stream) of sim/rng.h, so each is a function of (seed,
 * stream) alone and changing one distribution leaves the other draws as they
 * were (common random numbers across variants).
 */
struct training_gen_cfg {
    double rate_per_hour; /* > 0 */
    int64_t start_us;     /* >= 0 */
    int64_t end_us;       /* <= 0: none */
    uint64_t max_jobs;    /* 0: none */
    struct training_gang gangs[TRAINING_GANGS_MAX];
    size_t ngangs;                              /* 1..TRAINING_GANGS_MAX */
    uint32_t min_gpus;                          /* GPU-count filter on the gangs; 0 = none */
    uint32_t max_gpus;                          /* 0 = none */
    const struct training_durations *durations; /* borrowed */
    int64_t ckpt_interval_us, restart_overhead_us, ckpt_cost_us;
    uint64_t seed, stream;
};

/* A generator. Caller-owned; borrows cfg->durations, which must outlive it. */
struct training_gen {
    struct training_gen_cfg cfg; /* gangs filtered, weights cumulative and normalised */
    struct rng arr_rng, gpu_rng, dur_rng;
    double t_s;       /* time of the last arrival after start_us, seconds */
    uint64_t emitted; /* read-only: jobs returned */
    bool done;        /* read-only */
};

/* Starts a generator. OS_EINVAL for a bad config (the message names the
 * field; also when the GPU filter leaves no pair of positive weight),
 * OS_ENOMEM. */
int training_gen_init(struct training_gen *g, const struct training_gen_cfg *cfg,
                      struct os_error *err);

/* Writes the next job to *out (arrival times non-decreasing). Returns 1, or 0
 * when the stream has ended (and on every later call). */
int training_gen_next(struct training_gen *g, struct training_spec *out);

/* Releases the streams. Idempotent. */
void training_gen_destroy(struct training_gen *g);

#endif
