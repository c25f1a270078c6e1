/*
 * sim.h - one variant of a "simulation" scenario, run in simulated time.
 *
 * A backend of up to three parts, each on its own node group (capacity
 * provider / NodePool): an LLM inference service (models/workload/inference),
 * a fleet of small-model services (GPU shares, or Fargate CPU tasks) and a
 * stream of gang-scheduled training jobs (models/workload/training,
 * models/sim_train.c), orchestrated as Amazon ECS or as Kubernetes/EKS:
 *
 *   ECS: services keep `desired` tasks, placed by the ECS placement core
 *   (whole GPUs only); Service Auto Scaling (target tracking or step scaling,
 *   models/autoscale/ecs_service) sets `desired` every minute; rolling
 *   deployments respect minimumHealthyPercent / maximumPercent; failed starts
 *   are relaunched with a growing throttle delay; capacity providers with
 *   managed scaling (models/autoscale/ecs_capacity) launch and terminate
 *   instances every minute; with a spot share, two capacity providers split
 *   the tasks by base and weight; training gangs run as standalone tasks
 *   (no preemption).
 *
 *   EKS: Deployments keep `desired` pods, placed by kube-scheduler's
 *   policies from the placement core, on whole GPUs or shared ones
 *   (time-slicing, MPS, MIG single strategy); the HPA (behavior policies) or
 *   KEDA (models/sim_scale.c) sets `desired`; rolling updates respect
 *   maxSurge / maxUnavailable; crashed containers restart after
 *   CrashLoopBackOff; Karpenter (models/sim_karpenter.c) or the Cluster
 *   Autoscaler (models/sim_scale.c) provides nodes; training gangs have
 *   priority classes and DefaultPreemption.
 *
 * Both: nodes go provisioning -> ready (boot) -> GPUs registered (device
 * plugin / ECS agent) -> schedulable; a replica starts after the image pull
 * (first pull of an image revision on a node only) and the model load; spot
 * nodes get a 2-minute notice (models/spot), their replicas are replaced at
 * the notice and killed at termination (in-flight requests retried), and
 * their training gangs lose the work since the last checkpoint; every
 * instance is billed per second with the 60 s minimum and Fargate tasks per
 * vCPU- and GB-second (models/cost).
 *
 * A run is a pure function of (scenario, variant, seed): arrivals and job
 * draws depend on the seed only, so every variant sees the same requests and
 * jobs (common random numbers).
 */
#ifndef ORCHSIM_SIM_H
#define ORCHSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/catalog.h"
#include "models/spot.h"
#include "models/workload/arrivals.h"
#include "models/workload/training.h"
#include "sim/os_err.h"
#include "sim/scenario.h"

#define SIM_METRICS_MAX 64

/* The figures of one run, in a fixed order (names in sim_metric_names). */
struct sim_result {
    unsigned nmetrics;
    unsigned overflow; /* metrics that did not fit (a programming error; sim_run fails) */
    const char *name[SIM_METRICS_MAX]; /* static storage */
    double value[SIM_METRICS_MAX];     /* NaN: does not apply (left out of summaries) */
    char *series;                      /* timeseries.csv rows (malloc'd; NULL unless asked) */
    size_t series_len;
    char *cdf; /* latency_cdf.csv rows (malloc'd; NULL unless asked) */
    size_t cdf_len;
};

/* Checks what needs the catalog: the instance type exists, has GPUs, the MIG
 * profile exists for its GPU, the model fits the GPU share. One line per
 * problem in d, naming the scenario file and JSON path. */
void sim_check(const struct scenario *sc, const struct catalog *cat, struct schema_diag *d);

/* Read-only inputs every run of a scenario needs, loaded once and shared by
 * the runs (threads may read them at once): the training durations table and
 * the token mix of each distinct inference trace. */
#define SIM_INPUT_TRACES 2
struct sim_inputs {
    struct training_durations dur;
    bool dur_open;
    struct arrivals_tokens tokens[SIM_INPUT_TRACES];
    const char *token_path[SIM_INPUT_TRACES]; /* borrowed from the scenario */
    unsigned ntokens;
    /* the rows of the first spot price trace a variant replays (the others,
     * and one that fails to load, are read by each run) */
    struct spot_trace_rows spot_rows;
    bool spot_rows_open;
};

/* Loads what sc's runs share (errors name the JSON path). */
int sim_inputs_load(struct sim_inputs *in, const struct scenario *sc, struct os_error *err);

/* Frees the tables. Idempotent. */
void sim_inputs_destroy(struct sim_inputs *in);

/* sim_run() with inputs from sim_inputs_load() (NULL: each run loads its own). */
int sim_run_with(const struct scenario *sc, const struct catalog *cat, const struct sim_inputs *in,
                 unsigned v, uint64_t seed, bool want_series, struct sim_result *out,
                 struct os_error *err);

/* Runs variant v of sc with seed `seed`. With want_series, fills series and
 * cdf (rows start with "<variant name>,<seed>," / "<variant name>,"). */
int sim_run(const struct scenario *sc, const struct catalog *cat, unsigned v, uint64_t seed,
            bool want_series, struct sim_result *out, struct os_error *err);

void sim_result_destroy(struct sim_result *r);

#endif
