/*
 * test_trace.c - the streaming trace readers (sim/trace.c) on the shipped
 * traces (scenarios/traces/) and on small fixtures (tests/data/trace/).
 * Runs from the repository root.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"

#define TR "scenarios/traces/"
#define FX "tests/data/trace/"

/* Reads every record of PATH; returns the count and keeps the first and last. */
static int64_t read_all(const char *path, enum trace_format fmt, const struct trace_opts *opts,
                        struct trace_record *first, struct trace_record *last)
{
    struct trace_reader *r = malloc(sizeof *r);
    struct trace_record rec;
    struct os_error err = {{0}};
    int64_t n = 0;
    int rc;
    cr_assert_not_null(r);
    rc = trace_open(r, path, fmt, opts, &err);
    cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
    while ((rc = trace_next(r, &rec, &err)) == 1) {
        if (n == 0 && first)
            *first = rec;
        if (last)
            *last = rec;
        n++;
    }
    cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
    cr_assert_eq(r->rows, n);
    trace_close(r);
    free(r);
    return n;
}

/* Opens PATH and returns the result of the first trace_next that is not 1,
 * counting the records before it in *nrec. */
static int read_until_error(const char *path, enum trace_format fmt, const struct trace_opts *opts,
                            int *nrec, struct os_error *err)
{
    struct trace_reader r;
    struct trace_record rec;
    int rc = trace_open(&r, path, fmt, opts, err);
    *nrec = 0;
    if (rc)
        return rc;
    while ((rc = trace_next(&r, &rec, err)) == 1)
        (*nrec)++;
    trace_close(&r);
    return rc;
}

/* ---- names -------------------------------------------------------------- */

Test(trace, format_names_round_trip)
{
    for (int i = 0; i < TRACE_FORMAT_COUNT; i++) {
        enum trace_format f;
        cr_assert_eq(trace_format_parse(trace_format_name((enum trace_format)i), &f), 0);
        cr_assert_eq((int)f, i);
    }
    enum trace_format f = TRACE_DLRM;
    cr_assert_eq(trace_format_parse("openb_pods", &f), OS_EINVAL);
    cr_assert_eq(f, TRACE_DLRM);
    cr_assert_str_eq(trace_format_name(TRACE_AZURE_LLM), "azure_llm");
    cr_assert_str_eq(trace_format_name(TRACE_FORMAT_COUNT), "unknown");
}

/* ---- row counts and values of the shipped traces ------------------------ */

Test(trace, openb_default_pods)
{
    struct trace_record a, z;
    cr_assert_eq(read_all(TR "alibaba-gpu-2023-openb/openb_pod_list_default.csv", TRACE_OPENB_POD,
                          NULL, &a, &z),
                 8152);
    const struct trace_openb_pod *p = &a.openb_pod;
    cr_assert_eq(a.fmt, TRACE_OPENB_POD);
    cr_assert_eq(a.line, 2);
    cr_assert_str_eq(p->name, "openb-pod-0000");
    cr_assert_eq(p->cpu_milli, 12000);
    cr_assert_eq(p->memory_mib, 16384);
    cr_assert_eq(p->num_gpu, 1);
    cr_assert_eq(p->gpu_milli, 1000);
    cr_assert(p->has_times);
    cr_assert_str_eq(p->gpu_spec, "");
    cr_assert_eq(p->qos, TRACE_QOS_LS);
    cr_assert_eq(p->phase, TRACE_PHASE_RUNNING);
    cr_assert_eq(p->creation_us, 0);
    cr_assert_eq(p->deletion_us, 12537496LL * 1000000);
    cr_assert(p->has_scheduled);
    cr_assert_eq(p->scheduled_us, 0);

    p = &z.openb_pod;
    cr_assert_eq(z.line, 8153);
    cr_assert_str_eq(p->name, "openb-pod-8151");
    cr_assert_eq(p->cpu_milli, 3152);
    cr_assert_eq(p->memory_mib, 5600);
    cr_assert_eq(p->gpu_milli, 590);
    cr_assert_eq(p->qos, TRACE_QOS_BE);
    cr_assert_eq(p->phase, TRACE_PHASE_FAILED);
    cr_assert_eq(p->creation_us, 12901761LL * 1000000);
    cr_assert_eq(p->deletion_us, 12901792LL * 1000000);
    cr_assert_eq(p->scheduled_us, 12901762LL * 1000000);
}

Test(trace, openb_pending_pods_have_no_scheduled_time)
{
    struct trace_reader r;
    struct trace_record rec;
    struct os_error err = {{0}};
    int pending = 0, unscheduled = 0, rc;
    cr_assert_eq(trace_open(&r, TR "alibaba-gpu-2023-openb/openb_pod_list_default.csv",
                            TRACE_OPENB_POD, NULL, &err),
                 0, "%s", err.msg);
    while ((rc = trace_next(&r, &rec, &err)) == 1) {
        pending += rec.openb_pod.phase == TRACE_PHASE_PENDING;
        if (!rec.openb_pod.has_scheduled) {
            unscheduled++;
            cr_assert_eq(rec.openb_pod.scheduled_us, -1);
        }
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    trace_close(&r);
    cr_assert_eq(pending, 897);
    cr_assert_eq(unscheduled, 897);
}

Test(trace, openb_all_pod_files)
{
    static const struct {
        const char *file;
        int64_t rows;
    } files[] = {
        {"cpu0", 7064},       {"cpu037", 7336},      {"cpu050", 7439},     {"cpu072", 7608},
        {"cpu100", 7853},     {"cpu200", 8832},      {"cpu235", 9240},     {"cpu250", 9420},
        {"cpu300", 10094},    {"gpushare20", 8152},  {"gpushare40", 8152}, {"gpushare60", 8152},
        {"gpushare80", 8152}, {"gpushare100", 8152}, {"gpuspec05", 8152},  {"gpuspec10", 8152},
        {"gpuspec20", 8152},  {"gpuspec25", 8152},   {"gpuspec33", 8152},  {"multigpu20", 8324},
        {"multigpu30", 8508}, {"multigpu40", 8746},  {"multigpu50", 9061},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, TR "alibaba-gpu-2023-openb/openb_pod_list_%s.csv",
                 files[i].file);
        cr_assert_eq(read_all(path, TRACE_OPENB_POD, NULL, NULL, NULL), files[i].rows, "%s", path);
    }
}

Test(trace, openb_multigpu_has_five_columns)
{
    struct trace_record a, z;
    cr_assert_eq(read_all(TR "alibaba-gpu-2023-openb/openb_pod_list_multigpu20.csv",
                          TRACE_OPENB_POD, NULL, &a, &z),
                 8324);
    cr_assert_str_eq(a.openb_pod.name, "openb-pod-0000");
    cr_assert_not(a.openb_pod.has_times);
    cr_assert_eq(a.openb_pod.creation_us, -1);
    cr_assert_eq(a.openb_pod.deletion_us, -1);
    cr_assert_not(a.openb_pod.has_scheduled);
    cr_assert_eq(a.openb_pod.qos, TRACE_QOS_NONE);
    cr_assert_eq(a.openb_pod.phase, TRACE_PHASE_NONE);
    cr_assert_str_eq(z.openb_pod.name, "openb-pod-8323");
    cr_assert_eq(z.openb_pod.cpu_milli, 88000);
    cr_assert_eq(z.openb_pod.memory_mib, 327680);
    cr_assert_eq(z.openb_pod.num_gpu, 8);
    cr_assert_eq(z.openb_pod.gpu_milli, 1000);
}

Test(trace, openb_multigpu_fixture)
{
    struct trace_record a, z;
    struct trace_values v;
    cr_assert_eq(read_all(FX "openb_pod_multigpu.csv", TRACE_OPENB_POD, NULL, &a, &z), 3);
    cr_assert_eq(a.openb_pod.gpu_milli, 1000);
    cr_assert_eq(z.openb_pod.num_gpu, 8);
    trace_record_values(&z, &v);
    cr_assert_eq(v.n, 4, "the 5-column files have no time columns in the view");
    cr_assert_str_eq(v.cols[3].name, "gpu_milli");
}

Test(trace, openb_nodes)
{
    struct trace_record a, z;
    cr_assert_eq(read_all(TR "alibaba-gpu-2023-openb/openb_node_list_gpu_node.csv",
                          TRACE_OPENB_NODE, NULL, NULL, NULL),
                 1213);
    cr_assert_eq(read_all(TR "alibaba-gpu-2023-openb/openb_node_list_all_node.csv",
                          TRACE_OPENB_NODE, NULL, &a, &z),
                 1523);
    cr_assert_str_eq(a.openb_node.sn, "openb-node-0000");
    cr_assert_eq(a.openb_node.cpu_milli, 32000);
    cr_assert_eq(a.openb_node.memory_mib, 262144);
    cr_assert_eq(a.openb_node.num_gpu, 0);
    cr_assert_str_eq(a.openb_node.model, "");
    cr_assert_str_eq(z.openb_node.sn, "openb-node-1522");
    cr_assert_eq(z.openb_node.cpu_milli, 96000);
    cr_assert_eq(z.openb_node.memory_mib, 393216);
    cr_assert_eq(z.openb_node.num_gpu, 8);
    cr_assert_str_eq(z.openb_node.model, "G2");
}

Test(trace, dlrm_instances)
{
    struct trace_record a, z;
    cr_assert_eq(
        read_all(TR "alibaba-gpu-2025-dlrm/disaggregated_DLRM_trace.csv", TRACE_DLRM, NULL, &a, &z),
        23871);
    const struct trace_dlrm *d = &a.dlrm;
    cr_assert_str_eq(d->instance_sn, "instance_0");
    cr_assert_eq(d->role, TRACE_ROLE_HN);
    cr_assert_str_eq(d->app_name, "app_0");
    cr_assert_eq(d->cpu_request_milli, 12000);
    cr_assert_eq(d->gpu_request, 1);
    cr_assert_eq(d->rdma_request_pct, 25);
    cr_assert_eq(d->memory_request_mib, 120 * 1024);
    cr_assert_eq(d->disk_request_mib, 640 * 1024);
    cr_assert_eq(d->disk_limit_mib, 800 * 1024);
    cr_assert_eq(d->max_instance_per_node, 8);
    cr_assert_not(d->has_creation);
    cr_assert_not(d->has_scheduled);
    cr_assert_not(d->has_deletion);
    cr_assert_eq(d->creation_us, -1);

    d = &z.dlrm;
    cr_assert_str_eq(d->instance_sn, "instance_23870");
    cr_assert_eq(d->role, TRACE_ROLE_CN);
    cr_assert_str_eq(d->app_name, "app_93");
    cr_assert_eq(d->cpu_limit_milli, 64000);
    cr_assert_eq(d->gpu_limit, 0);
    cr_assert_eq(d->memory_limit_mib, 320 * 1024);
    cr_assert_eq(d->max_instance_per_node, -1);
    cr_assert(d->has_creation);
    cr_assert_eq(d->creation_us, 2676571LL * 1000000);
    cr_assert(d->has_scheduled);
    cr_assert_eq(d->scheduled_us, 2676571LL * 1000000);
    cr_assert_not(d->has_deletion);
    cr_assert_eq(d->deletion_us, -1);
}

Test(trace, dlrm_optional_times_fixture)
{
    struct trace_reader r;
    struct trace_record rec;
    struct os_error err = {{0}};
    cr_assert_eq(trace_open(&r, FX "dlrm_optional_times.csv", TRACE_DLRM, NULL, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(trace_next(&r, &rec, &err), 1, "%s", err.msg);
    cr_assert_not(rec.dlrm.has_creation);
    cr_assert_not(rec.dlrm.has_deletion);
    cr_assert_eq(trace_next(&r, &rec, &err), 1, "%s", err.msg);
    cr_assert(rec.dlrm.has_creation);
    cr_assert_eq(rec.dlrm.creation_us, 475000000, "float noise is rounded away");
    cr_assert(rec.dlrm.has_scheduled, "an explicit 0.0 is a time, not an empty field");
    cr_assert_eq(rec.dlrm.scheduled_us, 0);
    cr_assert_not(rec.dlrm.has_deletion);
    cr_assert_eq(rec.dlrm.max_instance_per_node, -1);
    cr_assert_eq(trace_next(&r, &rec, &err), OS_EPARSE);
    cr_assert_str_eq(err.msg, FX "dlrm_optional_times.csv:4: column max_instance_per_node (14): "
                                 "expected -1 (unlimited) or a positive integer, got '0'");
    cr_assert_eq(trace_next(&r, &rec, &err), 0);
    trace_close(&r);
}

Test(trace, azure_requests_and_span)
{
    struct trace_record a, z;
    cr_assert_eq(read_all(TR "azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv",
                          TRACE_AZURE_LLM, NULL, &a, &z),
                 8819);
    /* 2023-11-16 18:17:03.9799600 as Unix microseconds (no time zone applied). */
    cr_assert_eq(a.azure_llm.time_us, 1700158623979960LL);
    cr_assert_eq(a.azure_llm.context_tokens, 4808);
    cr_assert_eq(a.azure_llm.generated_tokens, 10);
    cr_assert_eq(z.azure_llm.time_us, 1700162059928016LL);
    cr_assert_eq(z.azure_llm.context_tokens, 549);
    cr_assert_eq(z.azure_llm.generated_tokens, 173);
    cr_assert_eq(z.line, 8820);
    /* 19:14:19.928016 - 18:17:03.979960 = 3435.948056 s (the README rounds to 3,436). */
    cr_assert_eq(z.azure_llm.time_us - a.azure_llm.time_us, 3435948056LL);

    cr_assert_eq(read_all(TR "azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv",
                          TRACE_AZURE_LLM, NULL, &a, &z),
                 19366);
    cr_assert_eq(z.azure_llm.time_us - a.azure_llm.time_us, 3501721937LL);
}

Test(trace, azure_crlf_without_final_newline)
{
    struct trace_record a, z;
    struct trace_opts tiny = {.chunk_size = 1};
    for (int pass = 0; pass < 2; pass++) {
        cr_assert_eq(read_all(FX "azure_crlf_no_final_newline.csv", TRACE_AZURE_LLM,
                              pass ? &tiny : NULL, &a, &z),
                     3);
        cr_assert_eq(a.line, 2);
        cr_assert_eq(z.line, 4);
        cr_assert_eq(z.azure_llm.context_tokens, 549);
        cr_assert_eq(z.azure_llm.generated_tokens, 173, "the last field has no CR or LF");
        cr_assert_eq(z.azure_llm.time_us - a.azure_llm.time_us, 3435948056LL);
    }
}

Test(trace, azure_bad_timestamp)
{
    struct os_error err = {{0}};
    int n;
    cr_assert_eq(read_until_error(FX "azure_bad_timestamp.csv", TRACE_AZURE_LLM, NULL, &n, &err),
                 OS_EPARSE);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(err.msg, FX "azure_bad_timestamp.csv:3: column TIMESTAMP (1): expected a "
                                 "timestamp 'YYYY-MM-DD HH:MM:SS.fffffff', got "
                                 "'2023-02-30 18:17:04.0319600'");
}

Test(trace, azure_timestamp_forms)
{
    static const struct {
        const char *ts;
        bool ok;
        long long us;
    } cases[] = {
        {"1970-01-01 00:00:00", true, 0},
        {"1970-01-01 00:00:01.5", true, 1500000},
        {"1970-01-01 00:00:00.0000005", true, 1}, /* rounds half up */
        {"1970-01-01 00:00:00.0000004", true, 0},
        {"1969-12-31 23:59:59", true, -1000000},
        {"2000-02-29 00:00:00", true, 951782400000000LL},
        {"2023-11-16 18:17:03.9799600", true, 1700158623979960LL},
        {"2023-02-29 00:00:00", false, 0},
        {"2023-11-16T18:17:03", false, 0},
        {"2023-11-16 24:00:00", false, 0},
        {"2023-11-16 18:17:03.", false, 0},
        {"2023-11-16 18:17:03.1234567890", false, 0},
        {"2023-1-16 18:17:03", false, 0},
        {"", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        int len = snprintf(buf, sizeof buf, "TIMESTAMP,ContextTokens,GeneratedTokens\n%s,1,2\n",
                           cases[i].ts);
        FILE *fp = fmemopen(buf, (size_t)len, "r");
        struct trace_reader r;
        struct trace_record rec;
        struct os_error err = {{0}};
        cr_assert_not_null(fp);
        cr_assert_eq(trace_open_stream(&r, fp, "mem", TRACE_AZURE_LLM, NULL, &err), 0);
        int rc = trace_next(&r, &rec, &err);
        if (!cases[i].ok) {
            cr_assert_eq(rc, OS_EPARSE, "'%s' should be rejected", cases[i].ts);
        } else {
            cr_assert_eq(rc, 1, "'%s': %s", cases[i].ts, err.msg);
            cr_assert_eq(rec.azure_llm.time_us, cases[i].us, "'%s'", cases[i].ts);
        }
        trace_close(&r);
        fclose(fp);
    }
}

Test(trace, spot_prices)
{
    struct trace_record a, z;
    cr_assert_eq(read_all(TR "aws-spot-gpu-prices-2020/aws_spot_gpu_prices_flat.csv",
                          TRACE_SPOT_PRICE, NULL, &a, &z),
                 16560);
    const struct trace_spot_price *s = &a.spot_price;
    cr_assert_str_eq(s->instance_type, "p2.16xlarge");
    cr_assert_str_eq(s->region, "eu-west-1");
    cr_assert_str_eq(s->availability_zone, "eu-west-1a");
    cr_assert_eq(s->time_us, 1577022115LL * 1000000);
    cr_assert_str_eq(s->timestamp_utc, "2019-12-22T13:41:55.000Z");
    cr_assert_float_eq(s->price_usd_per_hour, 4.6656, 1e-12);
    cr_assert_str_eq(s->product_description, "Linux/UNIX");
    s = &z.spot_price;
    cr_assert_str_eq(s->instance_type, "p3.8xlarge");
    cr_assert_str_eq(s->availability_zone, "us-west-2c");
    cr_assert_eq(s->time_us, 1584962803LL * 1000000);
    cr_assert_float_eq(s->price_usd_per_hour, 3.8855, 1e-12);
}

Test(trace, spot_price_rejects_nan)
{
    struct os_error err = {{0}};
    int n;
    cr_assert_eq(read_until_error(FX "spot_price_small.csv", TRACE_SPOT_PRICE, NULL, &n, &err),
                 OS_EPARSE);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(err.msg, FX "spot_price_small.csv:3: column spot_price_usd_per_hour (6): "
                                 "expected a non-negative price in USD, got 'nan'");
}

Test(trace, philly_runtimes)
{
    struct trace_record a, z;
    cr_assert_eq(
        read_all(TR "philly-2017-job-runtimes/philly_runtime.csv", TRACE_PHILLY, NULL, &a, &z),
        83154);
    cr_assert_eq(a.philly.runtime_us, 0);
    cr_assert_eq(z.philly.runtime_us, 4628239LL * 1000000);
}

Test(trace, philly_blank_line_and_negative)
{
    struct os_error err = {{0}};
    struct trace_opts skip = {.skip_malformed = true};
    int n;
    cr_assert_eq(read_until_error(FX "philly_blank_and_negative.csv", TRACE_PHILLY, NULL, &n, &err),
                 OS_EPARSE);
    cr_assert_eq(n, 3, "the blank line is not a row");
    cr_assert_str_eq(err.msg, FX "philly_blank_and_negative.csv:6: column runtime (1): expected a "
                                 "non-negative number of seconds, got '-1.0'");
    cr_assert_eq(read_all(FX "philly_blank_and_negative.csv", TRACE_PHILLY, &skip, NULL, NULL), 3);
}

Test(trace, pai_machines_headerless)
{
    struct trace_record a, z;
    cr_assert_eq(read_all(TR "alibaba-pai-2020-machines/pai_machine_spec.csv", TRACE_PAI_MACHINE,
                          NULL, &a, &z),
                 1897);
    cr_assert_eq(a.line, 1, "the file has no header");
    cr_assert_str_eq(a.pai_machine.machine, "7399a758eb02bae1a3621236");
    cr_assert_str_eq(a.pai_machine.gpu_type, "CPU");
    cr_assert_eq(a.pai_machine.cpu_milli, 96000);
    cr_assert_eq(a.pai_machine.memory_mib, 512 * 1024);
    cr_assert_eq(a.pai_machine.num_gpu, 0);
    cr_assert_str_eq(z.pai_machine.machine, "a12e33726524543425a94398");
    cr_assert_str_eq(z.pai_machine.gpu_type, "V100M32");
    cr_assert_eq(z.pai_machine.memory_mib, 384 * 1024);
    cr_assert_eq(z.pai_machine.num_gpu, 8);
    cr_assert_eq(z.line, 1897);
    cr_assert_eq(read_all(FX "pai_machine_small.csv", TRACE_PAI_MACHINE, NULL, NULL, NULL), 2);
}

/* ---- malformed input ---------------------------------------------------- */

#define MALFORMED FX "openb_pod_malformed.csv"

Test(trace, malformed_rows_name_file_line_and_column)
{
    static const char *const want[] = {
        MALFORMED ":3: column cpu_milli (2): expected a non-negative integer, got '12x00'",
        MALFORMED ":4: expected 11 columns, got 10",
        MALFORMED ":5: column memory_mib (3): expected a non-negative integer, got '-5'",
        MALFORMED ":6: column qos (7): expected one of LS, BE, Burstable, Guaranteed, got 'XX'",
        MALFORMED
        ":7: column gpu_milli (5): expected a non-negative integer up to 1000, got '1500'",
        MALFORMED ":8: column name (1): expected a non-empty value, got ''",
    };
    struct trace_reader r;
    struct trace_record rec;
    struct os_error err = {{0}};
    cr_assert_eq(trace_open(&r, MALFORMED, TRACE_OPENB_POD, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(trace_next(&r, &rec, &err), 1, "%s", err.msg);
    cr_assert_str_eq(rec.openb_pod.name, "openb-pod-0000");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_eq(trace_next(&r, &rec, &err), OS_EPARSE);
        cr_assert_str_eq(err.msg, want[i]);
    }
    cr_assert_eq(trace_next(&r, &rec, &err), 1, "%s", err.msg);
    cr_assert_str_eq(rec.openb_pod.name, "openb-pod-0007");
    cr_assert_eq(rec.line, 9);
    cr_assert_eq(rec.openb_pod.phase, TRACE_PHASE_PENDING);
    cr_assert_not(rec.openb_pod.has_scheduled);
    cr_assert_eq(rec.openb_pod.scheduled_us, -1);
    cr_assert_str_eq(rec.openb_pod.gpu_spec, "V100M32");
    cr_assert_eq(trace_next(&r, &rec, &err), 0);
    cr_assert_eq(r.rows_skipped, 0);
    trace_close(&r);
}

Test(trace, skip_mode_counts_and_keeps_first_message)
{
    struct trace_reader r;
    struct trace_record rec;
    struct os_error err = {{0}};
    struct trace_opts skip = {.skip_malformed = true};
    int n = 0, rc;
    cr_assert_eq(trace_open(&r, MALFORMED, TRACE_OPENB_POD, &skip, &err), 0, "%s", err.msg);
    cr_assert_str_eq(r.first_skipped.msg, "");
    while ((rc = trace_next(&r, &rec, &err)) == 1)
        n++;
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(r.rows, 2);
    cr_assert_eq(r.rows_skipped, 6);
    cr_assert_str_eq(r.first_skipped.msg, MALFORMED ":3: column cpu_milli (2): expected a "
                                                    "non-negative integer, got '12x00'");
    trace_close(&r);
}

Test(trace, missing_file)
{
    struct trace_reader r;
    struct os_error err = {{0}};
    cr_assert_eq(trace_open(&r, FX "no_such_trace.csv", TRACE_PHILLY, NULL, &err), OS_ENOENT);
    cr_assert_str_eq(err.msg, FX "no_such_trace.csv: no such file");
    trace_close(&r); /* harmless after a failed open */
}

Test(trace, wrong_header)
{
    struct trace_reader r;
    struct os_error err = {{0}};
    cr_assert_eq(trace_open(&r, FX "openb_pod_wrong_header.csv", TRACE_OPENB_POD, NULL, &err),
                 OS_EPARSE);
    cr_assert_str_eq(
        err.msg,
        FX "openb_pod_wrong_header.csv:1: header does not match format openb_pod: expected "
           "'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
           "deletion_time,scheduled_time' or 'name,cpu_milli,memory_mib,num_gpu,gpu_milli', got "
           "'name,cpu,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
           "deletion_time,scheduled_time'");
    /* A real file of another format is refused too. */
    cr_assert_eq(trace_open(&r, TR "philly-2017-job-runtimes/philly_runtime.csv", TRACE_AZURE_LLM,
                            NULL, &err),
                 OS_EPARSE);
    cr_assert(strstr(err.msg, "expected 'TIMESTAMP,ContextTokens,GeneratedTokens', got 'runtime'"),
              "%s", err.msg);
}

Test(trace, empty_and_header_only_files)
{
    struct trace_reader r;
    struct os_error err = {{0}};
    cr_assert_eq(trace_open(&r, FX "empty.csv", TRACE_PHILLY, NULL, &err), OS_EPARSE);
    cr_assert_str_eq(err.msg, FX "empty.csv: empty file: expected the philly header 'runtime'");
    cr_assert_eq(read_all(FX "empty.csv", TRACE_PAI_MACHINE, NULL, NULL, NULL), 0,
                 "a headerless format has no header to miss");
    cr_assert_eq(read_all(FX "openb_pod_header_only.csv", TRACE_OPENB_POD, NULL, NULL, NULL), 0);
}

Test(trace, quoted_fields)
{
    struct trace_reader r;
    struct trace_record rec;
    struct os_error err = {{0}};
    cr_assert_eq(trace_open(&r, FX "openb_pod_quoted.csv", TRACE_OPENB_POD, NULL, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(trace_next(&r, &rec, &err), 1, "%s", err.msg);
    cr_assert_str_eq(rec.openb_pod.name, "pod,with \"comma\"");
    cr_assert_eq(rec.openb_pod.cpu_milli, 12000);
    cr_assert_str_eq(rec.openb_pod.gpu_spec, "V100M16|V100M32");
    cr_assert_eq(rec.openb_pod.scheduled_us, 1000000);
    cr_assert_eq(trace_next(&r, &rec, &err), 1, "%s", err.msg);
    cr_assert_str_eq(rec.openb_pod.name, "pod\ntwo lines");
    cr_assert_eq(rec.line, 3);
    cr_assert_eq(trace_next(&r, &rec, &err), 1, "%s", err.msg);
    cr_assert_str_eq(rec.openb_pod.name, "plain");
    cr_assert_eq(rec.line, 5, "line numbers count the newline inside the quoted field");
    cr_assert_not(rec.openb_pod.has_scheduled);
    cr_assert_eq(trace_next(&r, &rec, &err), OS_EPARSE);
    cr_assert_str_eq(err.msg, FX "openb_pod_quoted.csv:6: column cpu_milli (2): expected a "
                                 "non-negative integer, got '1 000'");
    cr_assert_eq(trace_next(&r, &rec, &err), 0);
    trace_close(&r);
}

/* Reads BUF[0..len) as FMT and returns the first result that is not 1. */
static int read_mem(const char *buf, size_t len, enum trace_format fmt,
                    const struct trace_opts *opts, int *nrec, struct os_error *err,
                    int64_t *skipped)
{
    struct trace_reader r;
    struct trace_record rec;
    FILE *fp = fmemopen((void *)buf, len, "r");
    int rc;
    cr_assert_not_null(fp);
    *nrec = 0;
    rc = trace_open_stream(&r, fp, "mem.csv", fmt, opts, err);
    if (rc == 0) {
        while ((rc = trace_next(&r, &rec, err)) == 1)
            (*nrec)++;
        if (skipped)
            *skipped = r.rows_skipped;
        trace_close(&r);
    }
    fclose(fp);
    return rc;
}

Test(trace, embedded_nul_bytes)
{
    static const char num[] = "runtime\n12\0003\n5\n";
    static const char txt[] = "sn,cpu_milli,memory_mib,gpu,model\nno\000de,1,2,0,\n";
    struct os_error err = {{0}};
    int n;
    cr_assert_eq(read_mem(num, sizeof num - 1, TRACE_PHILLY, NULL, &n, &err, NULL), OS_EPARSE);
    cr_assert_str_eq(err.msg, "mem.csv:2: column runtime (1): expected a non-negative number of "
                              "seconds, got '12\\03'");
    cr_assert_eq(read_mem(txt, sizeof txt - 1, TRACE_OPENB_NODE, NULL, &n, &err, NULL), OS_EPARSE);
    cr_assert_str_eq(err.msg,
                     "mem.csv:2: column sn (1): expected text without NUL bytes, got 'no\\0de'");
}

Test(trace, utf8_bom_in_header_is_accepted)
{
    static const char buf[] = "\xEF\xBB\xBFruntime\n1.5\n";
    struct os_error err = {{0}};
    int n;
    cr_assert_eq(read_mem(buf, sizeof buf - 1, TRACE_PHILLY, NULL, &n, &err, NULL), 0, "%s",
                 err.msg);
    cr_assert_eq(n, 1);
}

Test(trace, over_long_fields_are_bounded)
{
    /* A 10000-byte field fits libcsv's bound but not the row buffer: the row is
     * malformed and can be skipped. */
    size_t big = 10000, huge = TRACE_FIELD_LIMIT + 10;
    char *buf = malloc(huge + 64);
    struct os_error err = {{0}};
    struct trace_opts skip = {.skip_malformed = true};
    int64_t skipped = 0;
    int n;
    cr_assert_not_null(buf);
    size_t len = (size_t)sprintf(buf, "runtime\n1\n");
    memset(buf + len, '7', big);
    len += big;
    len += (size_t)sprintf(buf + len, "\n2\n");
    cr_assert_eq(read_mem(buf, len, TRACE_PHILLY, NULL, &n, &err, NULL), OS_EPARSE);
    cr_assert_str_eq(err.msg, "mem.csv:3: row longer than 8192 bytes");
    cr_assert_eq(read_mem(buf, len, TRACE_PHILLY, &skip, &n, &err, &skipped), 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(skipped, 1);

    /* A field longer than TRACE_FIELD_LIMIT stops the reader, even in skip mode. */
    len = (size_t)sprintf(buf, "runtime\n1\n");
    memset(buf + len, '7', huge);
    len += huge;
    len += (size_t)sprintf(buf + len, "\n2\n");
    cr_assert_eq(read_mem(buf, len, TRACE_PHILLY, &skip, &n, &err, NULL), OS_EPARSE);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(err.msg, "mem.csv:3: field longer than 65535 bytes");
    free(buf);
}

Test(trace, fatal_error_is_sticky)
{
    size_t huge = TRACE_FIELD_LIMIT + 10;
    char *buf = malloc(huge + 16);
    struct trace_reader r;
    struct trace_record rec;
    struct os_error err = {{0}};
    cr_assert_not_null(buf);
    size_t len = (size_t)sprintf(buf, "runtime\n");
    memset(buf + len, '1', huge);
    len += huge;
    FILE *fp = fmemopen(buf, len, "r");
    cr_assert_eq(trace_open_stream(&r, fp, "mem.csv", TRACE_PHILLY, NULL, &err), 0);
    cr_assert_eq(trace_next(&r, &rec, &err), OS_EPARSE);
    cr_assert_eq(trace_next(&r, &rec, &err), OS_EPARSE, "no silent end after a fatal error");
    cr_assert_str_eq(err.msg, "mem.csv: reading stopped after an earlier error");
    trace_close(&r);
    trace_close(&r); /* idempotent */
    fclose(fp);
    free(buf);
}

Test(trace, too_many_columns)
{
    static const char buf[] = "runtime\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,"
                              "23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40\n";
    struct os_error err = {{0}};
    int n;
    cr_assert_eq(read_mem(buf, sizeof buf - 1, TRACE_PHILLY, NULL, &n, &err, NULL), OS_EPARSE);
    cr_assert_str_eq(err.msg, "mem.csv:2: expected 1 columns, got 40");
}

/* ---- streaming ---------------------------------------------------------- */

Test(trace, chunk_size_does_not_change_records)
{
    static const struct {
        const char *path;
        enum trace_format fmt;
    } files[] = {
        {TR "alibaba-gpu-2023-openb/openb_pod_list_gpuspec33.csv", TRACE_OPENB_POD},
        {TR "azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv", TRACE_AZURE_LLM},
        {FX "openb_pod_quoted.csv", TRACE_OPENB_POD},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct trace_reader a, b;
        struct trace_record ra, rb;
        struct os_error err = {{0}};
        struct trace_opts tiny = {.chunk_size = 3};
        int rca, rcb;
        cr_assert_eq(trace_open(&a, files[i].path, files[i].fmt, NULL, &err), 0, "%s", err.msg);
        cr_assert_eq(trace_open(&b, files[i].path, files[i].fmt, &tiny, &err), 0, "%s", err.msg);
        do {
            rca = trace_next(&a, &ra, &err);
            rcb = trace_next(&b, &rb, &err);
            cr_assert_eq(rca, rcb, "%s", files[i].path);
            if (rca == 1)
                cr_assert_eq(memcmp(&ra, &rb, sizeof ra), 0, "%s:%lld", files[i].path,
                             (long long)ra.line);
        } while (rca != 0);
        trace_close(&a);
        trace_close(&b);
    }
}

/* ---- generic view and stats --------------------------------------------- */

Test(trace, values_view_marks_absent_fields)
{
    struct trace_record z;
    struct trace_values v;
    read_all(MALFORMED, TRACE_OPENB_POD, &(struct trace_opts){.skip_malformed = true}, NULL, &z);
    trace_record_values(&z, &v);
    cr_assert_eq(v.n, 7);
    cr_assert_str_eq(v.cols[4].name, "creation_time_s");
    cr_assert(v.cols[4].is_time);
    cr_assert(v.present[4]);
    cr_assert_float_eq(v.v[4], 12901761.0, 1e-9);
    cr_assert_str_eq(v.cols[6].name, "scheduled_time_s");
    cr_assert_not(v.present[6], "an empty scheduled_time is absent, not 0");
}

static char *stats_text(const char *path, enum trace_format fmt, int *rc, struct os_error *err)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    *rc = trace_stats(path, fmt, NULL, out, err);
    fclose(out);
    return text;
}

Test(trace, stats_azure_code)
{
    struct os_error err = {{0}};
    int rc;
    char *t = stats_text(TR "azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv",
                         TRACE_AZURE_LLM, &rc, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert(strstr(t, "rows          8819\n"), "%s", t);
    cr_assert(strstr(t, "rows skipped  0\n"), "%s", t);
    cr_assert(strstr(t, "time first    1700158623.979960 s (2023-11-16 18:17:03.979960)\n"), "%s",
              t);
    cr_assert(strstr(t, "time span     3435.948056 s\n"), "%s", t);
    cr_assert(strstr(t, "\nContextTokens                  8819              3           7437"),
              "%s", t);
    free(t);
}

Test(trace, stats_reports_skips_and_hides_missing_time_columns)
{
    struct os_error err = {{0}};
    struct trace_opts skip = {.skip_malformed = true};
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_eq(trace_stats(MALFORMED, TRACE_OPENB_POD, &skip, out, &err), 0, "%s", err.msg);
    fclose(out);
    cr_assert(strstr(text, "rows          2\nrows skipped  6\nfirst skipped " MALFORMED ":3:"),
              "%s", text);
    cr_assert(strstr(text, "time span     12901792.000000 s\n"), "%s", text);
    free(text);

    int rc;
    text = stats_text(FX "openb_pod_multigpu.csv", TRACE_OPENB_POD, &rc, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert(strstr(text, "gpu_milli"), "%s", text);
    cr_assert_null(strstr(text, "creation_time_s"), "%s", text);
    cr_assert_null(strstr(text, "time span"), "%s", text);
    free(text);
}

Test(trace, stats_errors_print_nothing)
{
    struct os_error err = {{0}};
    int rc;
    char *t = stats_text(FX "no_such_trace.csv", TRACE_PHILLY, &rc, &err);
    cr_assert_eq(rc, OS_ENOENT);
    cr_assert_str_eq(t, "");
    free(t);
    t = stats_text(MALFORMED, TRACE_OPENB_POD, &rc, &err);
    cr_assert_eq(rc, OS_EPARSE);
    cr_assert_str_eq(t, "");
    cr_assert(strstr(err.msg, MALFORMED ":3: column cpu_milli (2)"), "%s", err.msg);
    free(t);
}
