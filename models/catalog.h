/*
 * catalog.h - instance types and GPU models, with prices and sources, loaded
 * from scenarios/catalog/aws-instances.json.
 *
 * The JSON is parsed strictly (cJSON): an unknown key, a wrong type, a
 * negative or zero figure where a positive one is needed, a duplicate name or
 * an instance type naming an unknown GPU model is an error whose message names
 * the file and the JSON path, e.g.
 *   scenarios/catalog/aws-instances.json: $.instance_types[3].vcpu: expected a positive integer
 * Users add types by editing the JSON. Names are looked up at load time only;
 * afterwards models refer to types and GPU models by index.
 *
 * Schema:
 *   { "gpu_models": [ { "name": "A100-40GB", "memory_gb": 40, "mig": true,
 *                       "relative_speed": 2.0, "speed_source": "...",
 *                       "note": "..." (optional) }, ... ],
 *     "instance_types": [ { "name": "p4d.24xlarge", "vcpu": 96, "memory_gib": 1152,
 *                           "gpus": 8, "gpu_model": "A100-40GB",
 *                           "gpu_memory_gb": 320, "price_usd_per_hour": 21.957642,
 *                           "price_date": "2026-07-20", "source": "...",
 *                           "note": "..." (optional) }, ... ] }
 *   "mig": true is accepted only for GPU models with a known MIG geometry
 *   (gpu_mig_family_from_model). gpus may be 0 (then gpu_model is absent or null).
 *   relative_speed is > 0; speed_source is a citation or "assumption: ...".
 */
#ifndef ORCHSIM_CATALOG_H
#define ORCHSIM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/gpu.h"
#include "sim/os_err.h"

#define CATALOG_NAME_MAX       48
#define CATALOG_TEXT_MAX       256
#define CATALOG_GPU_MODELS_MAX 64 /* GPU model indices fit a uint64_t mask */

struct catalog_gpu_model {
    char name[CATALOG_NAME_MAX];
    int32_t memory_gb;
    bool mig;                       /* MIG capable */
    enum gpu_mig_family mig_family; /* its geometry (NONE unless mig) */
    double relative_speed;          /* > 0; 1.0 = the reference GPU */
    char speed_source[CATALOG_TEXT_MAX];
};

struct catalog_instance {
    char name[CATALOG_NAME_MAX];
    int32_t vcpu;
    double memory_gib;
    int32_t gpus;
    int32_t gpu_model; /* index into gpu_models, -1 when gpus == 0 */
    int32_t gpu_memory_gb;
    double price_usd_per_hour; /* on-demand, us-east-1, Linux */
    char price_date[16];       /* "YYYY-MM-DD" */
    char source[CATALOG_TEXT_MAX];
};

/* The catalog. Caller-owned; catalog_load fills it, catalog_destroy frees it. */
struct catalog {
    struct catalog_gpu_model *gpu_models;
    size_t n_gpu_models;
    struct catalog_instance *types;
    size_t n_types;
};

/* Reads and validates a catalog file. On failure *cat is left empty and err
 * holds one line naming the file and JSON path. */
int catalog_load(struct catalog *cat, const char *path, struct os_error *err);

/* Parses catalog JSON from memory; `file` names it in messages. */
int catalog_parse(struct catalog *cat, const char *json, size_t len, const char *file,
                  struct os_error *err);

void catalog_destroy(struct catalog *cat);

/* Index of an instance type / GPU model by exact name, or -1. Load time. */
int catalog_find_type(const struct catalog *cat, const char *name);
int catalog_find_gpu(const struct catalog *cat, const char *name);

/* Memory of an instance type in MiB (memory_gib * 1024, rounded down). */
int32_t catalog_type_mem_mib(const struct catalog_instance *t);

#endif
