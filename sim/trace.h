/*
 * trace.h - streaming readers for the public workload traces (scenarios/traces/),
 * behind one record interface, and `trace stats`.
 *
 * A reader turns one CSV file of a known format into typed records, one at a
 * time: integers in the simulator's units (milli-CPU, MiB, milli-GPU, whole
 * GPUs), times as int64 microseconds, strings copied into fixed buffers inside
 * the record. Memory does not grow with the file: the file is read in fixed
 * chunks, libcsv holds at most one field (bounded by TRACE_FIELD_LIMIT) and the
 * reader holds at most one row (bounded by TRACE_ROW_BYTES). No allocation
 * happens per row.
 *
 * Errors follow sim/os_err.h. A malformed row is reported as
 *   FILE:LINE: column NAME (N): expected WHAT, got 'VALUE'
 * (or FILE:LINE: expected N columns, got M), unless trace_opts.skip_malformed is
 * set, in which case the row is skipped, counted in rows_skipped and the first
 * such message kept in first_skipped. Optional empty fields (openb
 * scheduled_time, DLRM times) are represented by a has_ flag and the value -1,
 * never by 0. Blank lines are not rows (libcsv does not report them).
 *
 * Formats (the names accepted by trace_format_parse and `--format`):
 *   openb_node   alibaba-gpu-2023-openb/openb_node_list_*.csv
 *   openb_pod    alibaba-gpu-2023-openb/openb_pod_list_*.csv (11 columns, or the
 *                5-column multigpu* files)
 *   dlrm         alibaba-gpu-2025-dlrm/disaggregated_DLRM_trace.csv
 *   azure_llm    azure-llm-inference-2023/AzureLLMInferenceTrace_*.csv
 *   spot_price   aws-spot-gpu-prices-2020/aws_spot_gpu_prices_flat.csv
 *   philly       philly-2017-job-runtimes/philly_runtime.csv
 *   pai_machine  alibaba-pai-2020-machines/pai_machine_spec.csv (headerless)
 * The folder READMEs define the columns and units; the record structs below say
 * how each column is converted.
 */
#ifndef ORCHSIM_TRACE_H
#define ORCHSIM_TRACE_H

#include <csv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/os_err.h"

enum trace_format {
    TRACE_OPENB_NODE,
    TRACE_OPENB_POD,
    TRACE_DLRM,
    TRACE_AZURE_LLM,
    TRACE_SPOT_PRICE,
    TRACE_PHILLY,
    TRACE_PAI_MACHINE,
    TRACE_FORMAT_COUNT
};

#define TRACE_NAME_MAX      64        /* bytes, with the NUL, of ids and names */
#define TRACE_SPEC_MAX      128       /* bytes, with the NUL, of an openb gpu_spec */
#define TRACE_PATH_MAX      512       /* bytes of the file name kept for messages */
#define TRACE_MAX_COLS      32        /* fields kept per row; more is a column-count error */
#define TRACE_ROW_BYTES     8192      /* bytes of field text kept per row */
#define TRACE_FIELD_LIMIT   65536     /* libcsv's field buffer; a longer field is fatal */
#define TRACE_CHUNK_DEFAULT 65536     /* bytes per read */
#define TRACE_CHUNK_MAX     (1 << 24) /* larger chunk_size values are clamped */
#define TRACE_MAX_VALUES    16        /* numeric columns in a trace_values view */

/* openb pod QoS class; NONE for rows of the 5-column files. */
enum trace_qos {
    TRACE_QOS_NONE,
    TRACE_QOS_LS,
    TRACE_QOS_BE,
    TRACE_QOS_BURSTABLE,
    TRACE_QOS_GUARANTEED
};

/* openb pod final phase; NONE for rows of the 5-column files. */
enum trace_pod_phase {
    TRACE_PHASE_NONE,
    TRACE_PHASE_RUNNING,
    TRACE_PHASE_SUCCEEDED,
    TRACE_PHASE_FAILED,
    TRACE_PHASE_PENDING
};

/* DLRM instance role: CPU-node instance or heterogeneous GPU-node instance. */
enum trace_dlrm_role { TRACE_ROLE_CN, TRACE_ROLE_HN };

/* One node of openb_node_list_*.csv. */
struct trace_openb_node {
    char sn[TRACE_NAME_MAX];    /* node name, non-empty */
    int64_t cpu_milli;          /* CPU capacity, milli-cores */
    int64_t memory_mib;         /* memory, MiB */
    int32_t num_gpu;            /* physical GPUs (column `gpu`); 0 for CPU-only nodes */
    char model[TRACE_NAME_MAX]; /* GPU model; "" for CPU-only nodes */
};

/* One pod of openb_pod_list_*.csv. */
struct trace_openb_pod {
    char name[TRACE_NAME_MAX]; /* pod id, non-empty */
    int64_t cpu_milli;         /* CPU request, milli-cores */
    int64_t memory_mib;        /* memory request, MiB */
    int32_t num_gpu;           /* GPUs requested */
    int32_t gpu_milli;         /* per-GPU share, milli-GPU, 0..1000 */
    /* false for rows of the 5-column multigpu files: then gpu_spec is "", qos and
     * phase are NONE, every time is -1 and has_scheduled is false. */
    bool has_times;
    char gpu_spec[TRACE_SPEC_MAX]; /* allowed models, '|'-separated; "" = any */
    enum trace_qos qos;
    enum trace_pod_phase phase;
    int64_t creation_us;  /* arrival, microseconds from the trace origin */
    int64_t deletion_us;  /* departure, microseconds */
    bool has_scheduled;   /* false when scheduled_time is empty (Pending pods) */
    int64_t scheduled_us; /* microseconds, or -1 when !has_scheduled */
};

/* One instance of disaggregated_DLRM_trace.csv. Memory and disk are GiB in the
 * file and MiB here (rounded to the nearest MiB; exact for the shipped trace).
 * Times are float seconds in the file, rounded here to the nearest microsecond
 * (which removes the float noise the README mentions). */
struct trace_dlrm {
    char instance_sn[TRACE_NAME_MAX];
    enum trace_dlrm_role role;
    char app_name[TRACE_NAME_MAX];
    int64_t cpu_request_milli; /* vCPUs * 1000 */
    int64_t cpu_limit_milli;
    int32_t gpu_request; /* whole GPUs */
    int32_t gpu_limit;
    int32_t rdma_request_pct; /* percent of one RDMA NIC, 0..100 */
    int32_t rdma_limit_pct;
    int64_t memory_request_mib;
    int64_t memory_limit_mib;
    int64_t disk_request_mib;
    int64_t disk_limit_mib;
    int32_t max_instance_per_node; /* per node, same app_name; -1 = unlimited */
    bool has_creation;             /* false: created before the trace started */
    int64_t creation_us;           /* microseconds since trace start, or -1 */
    bool has_scheduled;            /* false: scheduled before the trace started */
    int64_t scheduled_us;          /* or -1 */
    bool has_deletion;             /* false: still alive at the trace end */
    int64_t deletion_us;           /* or -1 */
};

/* One request of AzureLLMInferenceTrace_*.csv. */
struct trace_azure_llm {
    /* TIMESTAMP `YYYY-MM-DD HH:MM:SS[.f...]` read as microseconds since
     * 1970-01-01 00:00:00 of an unknown zone (only differences are meaningful);
     * digits below the microsecond are rounded half up. */
    int64_t time_us;
    int64_t context_tokens;   /* prompt tokens */
    int64_t generated_tokens; /* output tokens */
};

/* One price point of aws_spot_gpu_prices_flat.csv. */
struct trace_spot_price {
    char instance_type[TRACE_NAME_MAX];
    char region[TRACE_NAME_MAX];
    char availability_zone[TRACE_NAME_MAX];
    int64_t time_us;                    /* epoch_s * 1e6: Unix time the price took effect */
    char timestamp_utc[TRACE_NAME_MAX]; /* the original string, copied unparsed */
    double price_usd_per_hour;          /* >= 0 */
    char product_description[TRACE_NAME_MAX];
};

/* One runtime of philly_runtime.csv. */
struct trace_philly {
    int64_t runtime_us; /* job runtime (float seconds in the file), >= 0 */
};

/* One machine of pai_machine_spec.csv (headerless). */
struct trace_pai_machine {
    char machine[TRACE_NAME_MAX];  /* hashed machine id */
    char gpu_type[TRACE_NAME_MAX]; /* P100, T4, V100, V100M32, MISC, CPU */
    int64_t cpu_milli;             /* cap_cpu cores * 1000 */
    /* cap_mem * 1024. Assumption: the README's "GB" is read as GiB (the sizes
     * 384/512 are the usual binary server sizes). */
    int64_t memory_mib;
    int32_t num_gpu; /* cap_gpu */
};

/* One record: a tagged union. fmt says which member is valid. The record owns
 * its strings, so it stays valid after the next trace_next() or trace_close(). */
struct trace_record {
    enum trace_format fmt;
    int64_t line; /* 1-based line of the file on which the row starts */
    union {
        struct trace_openb_node openb_node;
        struct trace_openb_pod openb_pod;
        struct trace_dlrm dlrm;
        struct trace_azure_llm azure_llm;
        struct trace_spot_price spot_price;
        struct trace_philly philly;
        struct trace_pai_machine pai_machine;
    };
};

/* A numeric column of the generic view. Names carry the unit last. */
struct trace_column {
    const char *name; /* e.g. "cpu_milli", "creation_time_s" */
    bool is_time;     /* a point in time, in seconds; used for the time span */
    bool is_epoch;    /* is_time and counted from the Unix epoch (printable as a date) */
};

/* The numeric columns of one record, for statistics and generic consumers.
 * cols points to static storage. A value that is absent (empty optional field,
 * "unlimited") has present[i] == false and v[i] == 0. */
struct trace_values {
    int n;
    const struct trace_column *cols;
    double v[TRACE_MAX_VALUES];
    bool present[TRACE_MAX_VALUES];
};

struct trace_opts {
    bool skip_malformed; /* skip and count malformed rows instead of failing */
    size_t chunk_size;   /* bytes per read; 0 = TRACE_CHUNK_DEFAULT. Any value reads
                          * the same records (tests use 1 to stress chunk borders). */
};

/*
 * A reader. Caller-owned storage (it is about 9 KiB; embed it or keep it on the
 * stack), initialised by trace_open()/trace_open_stream() and released by
 * trace_close(). The fields above "private" may be read at any time.
 */
struct trace_reader {
    enum trace_format fmt;
    char path[TRACE_PATH_MAX];     /* the file name used in messages */
    int ncols;                     /* columns in this file (openb_pod: 11 or 5) */
    int64_t rows;                  /* records returned so far */
    int64_t rows_skipped;          /* malformed rows skipped (skip_malformed only) */
    struct os_error first_skipped; /* why the first skipped row was skipped; "" if none */

    /* private: the reader's own state */
    FILE *fp;
    bool owns_fp;
    bool skip_malformed;
    bool csv_live; /* csv_init was called; csv_free is due */
    bool eof;      /* fread returned 0 */
    bool done;     /* csv_fini was called or reading failed; no rows follow */
    int stop_rc;   /* the error that stopped the reader (read error, huge field), or 0 */
    struct csv_parser csv;
    unsigned char *chunk;
    size_t chunk_cap, chunk_len, chunk_pos;
    int64_t line_next; /* line of the next byte given to libcsv */
    /* The row being assembled by the libcsv callbacks: a queue of one row. */
    bool row_ready;
    bool row_too_long;
    int row_nfields; /* fields seen so far (saturates at INT32_MAX) */
    int64_t row_line;
    size_t row_used;
    uint32_t field_off[TRACE_MAX_COLS];
    uint32_t field_len[TRACE_MAX_COLS];
    char row_buf[TRACE_ROW_BYTES];
};

/*
 * Opens PATH as a trace of format FMT (opts may be NULL for the defaults) and
 * checks its header. Returns 0, or OS_ENOENT (message names the path) when the
 * file does not exist, OS_EIO when it cannot be read, OS_ENOMEM, or OS_EPARSE
 * when the file is empty or its header does not match the format (the message
 * names the file and the expected header). On failure r needs no trace_close()
 * (calling it is harmless).
 */
int trace_open(struct trace_reader *r, const char *path, enum trace_format fmt,
               const struct trace_opts *opts, struct os_error *err);

/*
 * Same as trace_open() on an open stream: FP stays owned by the caller and is
 * not closed by trace_close(); NAME is used in messages. For fmemopen() input.
 */
int trace_open_stream(struct trace_reader *r, FILE *fp, const char *name, enum trace_format fmt,
                      const struct trace_opts *opts, struct os_error *err);

/*
 * Reads the next record into *rec. Returns 1 when a record was read, 0 at the
 * end of the file, or a negative enum os_err: OS_EPARSE for a malformed row (not
 * in skip mode) or a field longer than TRACE_FIELD_LIMIT, OS_EIO for a read
 * error. A malformed row is consumed, so the next call goes on with the next
 * row. A field longer than TRACE_FIELD_LIMIT or a read error stops the reader
 * (even in skip mode: libcsv cannot resume inside a field) and every later call
 * returns the same error. After the end, later calls return 0.
 */
int trace_next(struct trace_reader *r, struct trace_record *rec, struct os_error *err);

/* Releases the reader (closes the file when trace_open opened it). Idempotent. */
void trace_close(struct trace_reader *r);

/* Sets *out to the format called NAME ("openb_pod", ...). Returns 0, or
 * OS_EINVAL for an unknown name (*out is left unchanged). */
int trace_format_parse(const char *name, enum trace_format *out);

/* The name of FMT ("openb_pod", ...), or "unknown". */
const char *trace_format_name(enum trace_format fmt);

/* Fills *out with the numeric columns of REC (see struct trace_values). */
void trace_record_values(const struct trace_record *rec, struct trace_values *out);

/*
 * Reads the whole trace at PATH and prints to OUT: the row count, rows
 * skipped (and why the first one was), the time span (earliest and latest time
 * over the time columns and the span in seconds, for formats with time
 * columns), and for each numeric column its count, min, max, mean, sd and
 * median/p90/p99. Quantiles are GSL P-square estimates (gsl_rstat), so memory
 * stays constant. Nothing is printed when reading fails. Returns 0 or the
 * error of trace_open()/trace_next().
 */
int trace_stats(const char *path, enum trace_format fmt, const struct trace_opts *opts, FILE *out,
                struct os_error *err);

/* Calendar helpers for the trace formats' timestamps (also the spot log's).
 * Reads exactly n decimal digits at s. */
bool trace_digits(const char *s, int n, int *out);

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (the public-domain
 * days_from_civil algorithm by Howard Hinnant). */
int64_t trace_days_from_civil(int64_t y, int m, int d);

/* Days of month m (1..12) of year y. */
int trace_days_in_month(int64_t y, int m);

#endif
