/*
 * fuzz_trace_common.h - the body shared by the trace reader fuzz targets
 * (tests/fuzz/fuzz_trace_<format>.c). Each target calls fuzz_trace_run() with
 * its format.
 *
 * The input is read three times through fmemopen(): strictly with the default
 * chunk size, strictly with a tiny chunk size (1-5 bytes, from the first input
 * byte), and in skip mode. Beyond "no crash, no sanitizer report" it checks:
 * the two strict reads return the same results and byte-identical records
 * (chunk borders must not matter); every string in a record is terminated; a
 * skip-mode read ends only at the end or at a fatal error; and a clean strict
 * read skips nothing in skip mode. A broken invariant aborts.
 */
#ifndef ORCHSIM_FUZZ_TRACE_COMMON_H
#define ORCHSIM_FUZZ_TRACE_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"

/* Aborts unless every fixed string buffer of REC holds a NUL. */
static void fuzz_trace_check_strings(const struct trace_record *rec)
{
    const char *s[8];
    size_t cap[8];
    int n = 0;
    switch (rec->fmt) {
    case TRACE_OPENB_NODE:
        s[n] = rec->openb_node.sn, cap[n++] = sizeof rec->openb_node.sn;
        s[n] = rec->openb_node.model, cap[n++] = sizeof rec->openb_node.model;
        break;
    case TRACE_OPENB_POD:
        s[n] = rec->openb_pod.name, cap[n++] = sizeof rec->openb_pod.name;
        s[n] = rec->openb_pod.gpu_spec, cap[n++] = sizeof rec->openb_pod.gpu_spec;
        break;
    case TRACE_DLRM:
        s[n] = rec->dlrm.instance_sn, cap[n++] = sizeof rec->dlrm.instance_sn;
        s[n] = rec->dlrm.app_name, cap[n++] = sizeof rec->dlrm.app_name;
        break;
    case TRACE_SPOT_PRICE:
        s[n] = rec->spot_price.instance_type, cap[n++] = sizeof rec->spot_price.instance_type;
        s[n] = rec->spot_price.region, cap[n++] = sizeof rec->spot_price.region;
        s[n] = rec->spot_price.availability_zone,
        cap[n++] = sizeof rec->spot_price.availability_zone;
        s[n] = rec->spot_price.timestamp_utc, cap[n++] = sizeof rec->spot_price.timestamp_utc;
        s[n] = rec->spot_price.product_description,
        cap[n++] = sizeof rec->spot_price.product_description;
        break;
    case TRACE_PAI_MACHINE:
        s[n] = rec->pai_machine.machine, cap[n++] = sizeof rec->pai_machine.machine;
        s[n] = rec->pai_machine.gpu_type, cap[n++] = sizeof rec->pai_machine.gpu_type;
        break;
    default:
        break;
    }
    for (int i = 0; i < n; i++)
        if (!memchr(s[i], '\0', cap[i]))
            abort();
}

/* The outcome of reading one input. */
struct fuzz_trace_result {
    int rc;          /* the open error, or the last trace_next result */
    int opened;      /* trace_open_stream succeeded */
    size_t n;        /* records read */
    int64_t skipped; /* rows skipped */
    int stop_rc;     /* the reader's fatal error, or 0 */
};

/* Reads DATA with OPTS; the first CAP records are kept in RECS (may be NULL). */
static struct fuzz_trace_result fuzz_trace_read(const uint8_t *data, size_t size,
                                                enum trace_format fmt,
                                                const struct trace_opts *opts,
                                                struct trace_record *recs, size_t cap)
{
    struct fuzz_trace_result res = {0};
    struct trace_reader r;
    struct trace_record rec;
    struct trace_values vals;
    struct os_error err = {{0}};
    FILE *fp = fmemopen((void *)data, size, "r");
    if (!fp)
        return res;
    res.rc = trace_open_stream(&r, fp, "fuzz.csv", fmt, opts, &err);
    if (res.rc == 0) {
        res.opened = 1;
        while ((res.rc = trace_next(&r, &rec, &err)) == 1) {
            if (rec.fmt != fmt || rec.line < 1)
                abort();
            fuzz_trace_check_strings(&rec);
            trace_record_values(&rec, &vals);
            if (vals.n < 0 || vals.n > TRACE_MAX_VALUES)
                abort();
            if (recs && res.n < cap)
                recs[res.n] = rec;
            res.n++;
        }
        if (r.rows != (int64_t)res.n)
            abort();
        res.skipped = r.rows_skipped;
        res.stop_rc = r.stop_rc;
        trace_close(&r);
    }
    if (!memchr(err.msg, '\0', sizeof err.msg))
        abort();
    fclose(fp);
    return res;
}

#define FUZZ_TRACE_KEEP 64

static int fuzz_trace_run(const uint8_t *data, size_t size, enum trace_format fmt)
{
    static struct trace_record a[FUZZ_TRACE_KEEP], b[FUZZ_TRACE_KEEP];
    struct trace_opts strict = {0};
    struct trace_opts tiny = {.chunk_size = size ? 1 + data[0] % 5u : 1};
    struct trace_opts skip = {.skip_malformed = true};

    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    struct fuzz_trace_result ra = fuzz_trace_read(data, size, fmt, &strict, a, FUZZ_TRACE_KEEP);
    struct fuzz_trace_result rb = fuzz_trace_read(data, size, fmt, &tiny, b, FUZZ_TRACE_KEEP);
    /* Chunk borders must not change anything. */
    if (ra.rc != rb.rc || ra.opened != rb.opened || ra.n != rb.n || ra.stop_rc != rb.stop_rc)
        abort();
    for (size_t i = 0; i < ra.n && i < FUZZ_TRACE_KEEP; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0)
            abort();

    struct fuzz_trace_result rs = fuzz_trace_read(data, size, fmt, &skip, NULL, 0);
    /* The header check does not depend on skip mode. */
    if (rs.opened != ra.opened || (!rs.opened && rs.rc != ra.rc))
        abort();
    /* Skip mode stops only at the end or at a fatal error. */
    if (rs.opened && rs.rc != 0 && (rs.stop_rc == 0 || rs.rc != rs.stop_rc))
        abort();
    /* It returns every record strict mode returns, and a clean file is the same. */
    if (rs.n < ra.n || (ra.opened && ra.rc == 0 && (rs.rc != 0 || rs.n != ra.n || rs.skipped)))
        abort();
    return 0;
}

#endif
