/*
 * test_report.c - the results-directory report (sim/report.h) on hand-written
 * fixture directories (tests/data/report/, docs/RESULTS.md format), each
 * copied to a fresh temporary directory first. Expected table cells and bold
 * best values were computed by hand from the fixtures' summary.json.
 * Runs from the repository root (the gnuplot scripts are scripts/report_*.gp).
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/report.h"

#define FX "tests/data/report/"

/* ------------------------------------------------------------ helpers */

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static char *slurp_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = slurp(path);
    cr_assert_not_null(s, "%s missing", path);
    return s;
}

static void put_in(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "%s", path);
    fputs(text, fp);
    fclose(fp);
}

static bool exists_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Copies the fixture directory FX/name into a new temporary directory (dir). */
static void fixture(const char *name, char dir[64])
{
    snprintf(dir, 64, "/tmp/orchsim-report-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char src[4096];
    snprintf(src, sizeof src, FX "%s", name);
    DIR *d = opendir(src);
    cr_assert_not_null(d, "%s", src);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", src, e->d_name);
        char *text = slurp(path);
        cr_assert_not_null(text, "%s", path);
        put_in(dir, e->d_name, text);
        free(text);
    }
    closedir(d);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + strlen(needle), needle))
        n++;
    return n;
}

#define assert_has(text, needle) cr_assert_not_null(strstr((text), (needle)), "missing: %s", needle)
#define assert_lacks(text, needle)                                                                 \
    cr_assert_null(strstr((text), (needle)), "unexpected: %s", needle)

/* Runs report_write on a copy of fixture `name`, expecting success. */
static void run_ok(const char *name, char dir[64])
{
    fixture(name, dir);
    struct os_error err = {{0}};
    cr_assert_eq(report_write(dir, &err), 0, "%s", err.msg);
}

/* True when the report says gnuplot ran (it is optional on a build host). */
static bool gnuplot_ran(const char *md)
{
    return strstr(md, "gnuplot not found") == NULL;
}

/* ------------------------------------------------------------ tables */

Test(report, main_tables_with_ci_and_bold_best)
{
    char dir[64];
    run_ok("full", dir);
    char *md = slurp_in(dir, "report.md");
    assert_has(md, "# ecs-vs-eks-fixture\n");
    assert_has(md, "orchsim 0.1.0 \xc2\xb7 seed 42 \xc2\xb7 5 seeds");
    assert_has(md, "| metric | ecs-ondemand | eks-timeslice | eks-spot |\n|---|---:|---:|---:|\n");
    /* Cost: max 412.5 -> one decimal; lowest cost wins. */
    assert_has(md, "| `cost_usd` \xe2\x86\x93 | 412.5 \xc2\xb1 3.2 | 380.3 \xc2\xb1 2.5 | "
                   "**250.7 \xc2\xb1 10.5** |\n");
    assert_has(md, "| `tco_usd` \xe2\x86\x93 | 512.5 \xc2\xb1 4.0 | 520.0 \xc2\xb1 5.0 | "
                   "**360.0 \xc2\xb1 11.0** |\n");
    /* Sub-dollar values keep four decimals. */
    assert_has(md, "| `cost_per_1k_requests_usd` \xe2\x86\x93 | 0.0825 \xc2\xb1 0.0012 | "
                   "0.0761 \xc2\xb1 0.0010 | **0.0502 \xc2\xb1 0.0020** |\n");
    /* Present for one variant only: no best, absent cells are an en dash. */
    assert_has(md, "| `spot_savings_usd` \xe2\x86\x91 | \xe2\x80\x93 | \xe2\x80\x93 | "
                   "180.5 \xc2\xb1 9.0 |\n");
    /* A value without its CI prints alone. */
    assert_has(md, "| `latency_p50_ms` \xe2\x86\x93 | 120.4 \xc2\xb1 1.1 | 140.2 \xc2\xb1 1.5 | "
                   "**118.9** |\n");
    /* 810.0 and 810.04 print the same: a tie, both bold. */
    assert_has(md, "| `latency_p99_ms` \xe2\x86\x93 | **810.0 \xc2\xb1 12.5** | "
                   "950.5 \xc2\xb1 20.0 | **810.0 \xc2\xb1 30.0** |\n");
    /* Higher is better. */
    assert_has(md, "| `slo_attainment_pct` \xe2\x86\x91 | **98.70 \xc2\xb1 0.20** | "
                   "97.20 \xc2\xb1 0.40 | 96.50 \xc2\xb1 1.00 |\n");
    assert_has(md, "| `gpu_alloc_pct` \xe2\x86\x91 | 71.25 \xc2\xb1 0.50 | "
                   "**88.50 \xc2\xb1 0.75** | 85.00 |\n");
    /* Informational metrics: integers stay integers, nothing bold. */
    assert_has(md, "| `requests_total` | 500000 \xc2\xb1 0 | 500000 \xc2\xb1 0 | 500000 |\n");
    assert_has(md, "| `gpus_peak` | 16 \xc2\xb1 0 | 12 \xc2\xb1 0 | 14 |\n");
    assert_has(md, "| `jobs_completed` \xe2\x86\x91 | **120.0 \xc2\xb1 0.0** | "
                   "**120.0 \xc2\xb1 0.0** | 118.0 \xc2\xb1 1.5 |\n");
    assert_has(md, "| `spot_interruptions` \xe2\x86\x93 | \xe2\x80\x93 | \xe2\x80\x93 | "
                   "7.00 \xc2\xb1 1.20 |\n");
    assert_has(md, "| `events` | 1234567 \xc2\xb1 100 | 1300000 \xc2\xb1 150 | "
                   "1250000 \xc2\xb1 120 |\n");
    assert_has(md, "| `unscheduled` \xe2\x86\x93 | **0 \xc2\xb1 0** | **0 \xc2\xb1 0** | "
                   "2 \xc2\xb1 0 |\n");
    /* CI keys are folded into their metric, never rows of their own. */
    assert_lacks(md, "_ci95");
    /* Groups in the documented order; unlisted metrics last, sorted. */
    const char *order[] = {"## Cost",
                           "## Latency",
                           "## GPUs",
                           "## Jobs",
                           "## Spot",
                           "## Other",
                           "`events`",
                           "`unscheduled`",
                           "## Paired difference",
                           "## Best per metric",
                           "## Plots",
                           "## Checks"};
    const char *prev = md;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *at = strstr(prev, order[i]);
        cr_assert_not_null(at, "%s missing or out of order", order[i]);
        prev = at;
    }
    assert_has(md, "- `cost_usd <= baseline * 1.05`\n");
    free(md);
    remove_tree(dir);
}

Test(report, paired_difference_table)
{
    char dir[64];
    run_ok("full", dir);
    char *md = slurp_in(dir, "report.md");
    assert_has(md, "## Paired difference vs ecs-ondemand\n");
    assert_has(md, "| metric | eks-timeslice | eks-spot |\n|---|---:|---:|\n");
    assert_has(md, "| `cost_usd` \xe2\x86\x93 | -32.2 \xc2\xb1 1.5 (excludes 0, better) | "
                   "-161.8 \xc2\xb1 9.0 (excludes 0, better) |\n");
    /* 0.04 +- 25 rounds to an unsigned 0.0 and its interval holds 0. */
    assert_has(md, "| `latency_p99_ms` \xe2\x86\x93 | +140.5 \xc2\xb1 15.0 (excludes 0, worse) | "
                   "0.0 \xc2\xb1 25.0 (includes 0) |\n");
    assert_has(md, "| `gpu_alloc_pct` \xe2\x86\x91 | +17.25 \xc2\xb1 0.60 (excludes 0, better) | "
                   "+13.75 \xc2\xb1 1.00 (excludes 0, better) |\n");
    /* Informational: no better/worse; missing for eks-spot. */
    assert_has(md, "| `events` | +65433 \xc2\xb1 200 (excludes 0) | \xe2\x80\x93 |\n");
    free(md);
    remove_tree(dir);
}

Test(report, best_per_metric_list)
{
    char dir[64];
    run_ok("full", dir);
    char *md = slurp_in(dir, "report.md");
    const char *best = strstr(md, "## Best per metric\n");
    cr_assert_not_null(best);
    assert_has(best, "\n- `cost_usd`: **eks-spot** (250.7)\n");
    assert_has(best, "\n- `latency_p99_ms`: **ecs-ondemand**, **eks-spot** (tie, 810.0)\n");
    assert_has(best, "\n- `slo_attainment_pct`: **ecs-ondemand** (98.70)\n");
    assert_has(best, "\n- `gpu_alloc_pct`: **eks-timeslice** (88.50)\n");
    assert_has(best, "\n- `jobs_completed`: **ecs-ondemand**, **eks-timeslice** (tie, 120.0)\n");
    assert_has(best, "\n- `unscheduled`: **ecs-ondemand**, **eks-timeslice** (tie, 0)\n");
    /* Informational and single-variant metrics have no best. */
    const char *end = strstr(best, "## Plots");
    cr_assert_not_null(end);
    size_t n = (size_t)(end - best);
    char *list = strndup(best, n);
    assert_lacks(list, "`events`");
    assert_lacks(list, "`requests_total`");
    assert_lacks(list, "`spot_savings_usd`");
    assert_lacks(list, "`spot_interruptions`");
    cr_assert_eq(count(list, "\n- "), 9);
    free(list);
    free(md);
    remove_tree(dir);
}

Test(report, single_seed_without_optional_files)
{
    char dir[64];
    fixture("single", dir);
    /* Stale outputs of an earlier report whose inputs are now gone. */
    put_in(dir, "gpus_over_time.png", "stale");
    put_in(dir, "plot_latency_cdf.dat", "stale");
    struct os_error err = {{0}};
    cr_assert_eq(report_write(dir, &err), 0, "%s", err.msg);
    char *md = slurp_in(dir, "report.md");
    assert_has(md, "orchsim 0.1.0 \xc2\xb7 seed 7 \xc2\xb7 1 seed.\n");
    assert_lacks(md, "\xc2\xb1");
    assert_lacks(md, "Paired difference");
    assert_has(md, "| metric | ecs | eks\\_mig |\n");
    assert_has(md, "| `cost_usd` \xe2\x86\x93 | 100.4 | **90.5** |\n");
    assert_has(md, "| `latency_p99_ms` \xe2\x86\x93 | **500** | 650 |\n");
    assert_has(md, "| `gpu_util_pct` \xe2\x86\x91 | 60.50 | **75.25** |\n");
    /* null = absent: one value left, so nothing is best. */
    assert_has(md, "| `frag_pct` \xe2\x86\x93 | 12 | \xe2\x80\x93 |\n");
    assert_lacks(md, "## Jobs");
    assert_lacks(md, "## Checks");
    assert_has(md, "- `gpus_over_time` not drawn: timeseries.csv is absent\n");
    assert_has(md, "- `queue_over_time` not drawn: timeseries.csv is absent\n");
    assert_has(md, "- `latency_cdf` not drawn: latency\\_cdf.csv is absent\n");
    cr_assert(!exists_in(dir, "gpus_over_time.png"));
    cr_assert(!exists_in(dir, "plot_latency_cdf.dat"));
    cr_assert(!exists_in(dir, "plot_timeseries.dat"));
    cr_assert(exists_in(dir, "plot_cost_p99.dat"));
    if (gnuplot_ran(md)) {
        cr_assert(exists_in(dir, "cost_vs_p99.png"));
        cr_assert(exists_in(dir, "cost_vs_p99.svg"));
        assert_has(md, "![Cost vs p99 request latency](cost_vs_p99.png)");
    }
    free(md);
    remove_tree(dir);
}

/* ------------------------------------------------------------ plots and HTML */

Test(report, plot_data_blocks_per_variant)
{
    char dir[64];
    run_ok("full", dir);
    char *ts = slurp_in(dir, "plot_timeseries.dat");
    /* Header lines name the variants in summary order; time is in hours. */
    const char *a = strstr(ts, "\"ecs-ondemand\" \"time_h\"");
    const char *b = strstr(ts, "\n\n\n\"eks-timeslice\" \"time_h\"");
    const char *c = strstr(ts, "\n\n\n\"eks-spot\" \"time_h\"");
    cr_assert(a && b && c && a < b && b < c, "%s", ts);
    assert_has(ts,
               "\"time_h\" \"gpus\" \"gpus_alloc\" \"queue_len\" \"pending\"\n 0.5 16 10 3 0\n");
    cr_assert_eq(count(ts, "\n\n\n"), 2);
    char *cost = slurp_in(dir, "plot_cost_p99.dat");
    assert_has(cost, " 810 12.5 412.5 3.2 \"ecs-ondemand\"\n");
    assert_has(cost, " 810.04 30 250.7 10.5 \"eks-spot\"\n");
    char *cdf = slurp_in(dir, "plot_latency_cdf.dat");
    assert_has(cdf, "\"eks-spot\" \"latency_ms\" \"cdf\"\n 19 0.05\n");
    free(ts);
    free(cost);
    free(cdf);
    remove_tree(dir);
}

static void assert_balanced(const char *html, const char *open, const char *close)
{
    size_t a = count(html, open), b = count(html, close);
    cr_assert_eq(a, b, "%zu %s vs %zu %s", a, open, b, close);
}

Test(report, html_is_self_contained_and_balanced)
{
    char dir[64];
    run_ok("full", dir);
    char *md = slurp_in(dir, "report.md");
    char *html = slurp_in(dir, "report.html");
    cr_assert_eq(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">\n", 33), 0);
    assert_has(html, "</body>\n</html>\n");
    assert_balanced(html, "<table>", "</table>");
    assert_balanced(html, "<thead>", "</thead>");
    assert_balanced(html, "<tbody>", "</tbody>");
    assert_balanced(html, "<tr>", "</tr>");
    assert_balanced(html, "<th>", "</th>");
    assert_balanced(html, "<td", "</td>");
    assert_balanced(html, "<ul>", "</ul>");
    assert_balanced(html, "<li>", "</li>");
    assert_balanced(html, "<strong>", "</strong>");
    assert_balanced(html, "<code>", "</code>");
    assert_balanced(html, "<figure>", "</figure>");
    cr_assert_eq(count(html, "<table>"), 7); /* six groups + paired */
    assert_has(html, "<td class=\"best\"><strong>250.7 \xc2\xb1 10.5</strong></td>");
    assert_has(html, "<li><code>latency_p99_ms &lt;= 1000</code></li>");
    /* Nothing fetched from the network. */
    assert_lacks(html, "http://");
    assert_lacks(html, "https://");
    assert_lacks(html, "<script");
    if (gnuplot_ran(md)) {
        /* Four PNGs, as base64 data: URIs (iVBORw0KGgo = the PNG signature). */
        cr_assert_eq(count(html, "src=\"data:image/png;base64,iVBORw0KGgo"), 4);
        cr_assert_eq(count(html, "<figure>"), 4);
        assert_lacks(md, "not drawn");
    }
    free(md);
    free(html);
    remove_tree(dir);
}

Test(report, without_gnuplot_the_report_says_so)
{
    /* Each Criterion test runs in its own process, so PATH is ours to change. */
    setenv("PATH", "/nonexistent-orchsim-test", 1);
    char dir[64];
    run_ok("full", dir);
    char *md = slurp_in(dir, "report.md");
    char *html = slurp_in(dir, "report.html");
    assert_has(md, "- `cost_vs_p99` not drawn: gnuplot not found");
    assert_has(md, "- `latency_cdf` not drawn: gnuplot not found");
    assert_lacks(html, "data:image");
    assert_has(html, "<p class=\"note\"><code>cost_vs_p99</code> not drawn: gnuplot not found");
    cr_assert(!exists_in(dir, "cost_vs_p99.png"));
    /* The tables are all there. */
    assert_has(md, "**250.7 \xc2\xb1 10.5**");
    free(md);
    free(html);
    remove_tree(dir);
}

Test(report, output_is_deterministic)
{
    char dir[64];
    run_ok("full", dir);
    char *md1 = slurp_in(dir, "report.md");
    char *html1 = slurp_in(dir, "report.html");
    struct os_error err = {{0}};
    cr_assert_eq(report_write(dir, &err), 0, "%s", err.msg);
    char *md2 = slurp_in(dir, "report.md");
    char *html2 = slurp_in(dir, "report.html");
    cr_assert_str_eq(md1, md2);
    cr_assert_str_eq(html1, html2);
    free(md1);
    free(md2);
    free(html1);
    free(html2);
    remove_tree(dir);
}

/* ------------------------------------------------------------ errors */

Test(report, missing_summary_is_an_error_naming_the_file)
{
    char dir[64];
    fixture("single", dir);
    char path[128];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    unlink(path);
    struct os_error err = {{0}};
    cr_assert_eq(report_write(dir, &err), OS_ENOENT);
    assert_has(err.msg, path);
    cr_assert(!exists_in(dir, "report.md"));
    remove_tree(dir);
}

Test(report, malformed_json_names_line_and_column)
{
    char dir[64];
    fixture("bad_json", dir);
    struct os_error err = {{0}};
    cr_assert_eq(report_write(dir, &err), OS_EPARSE);
    char want[128];
    snprintf(want, sizeof want, "%s/summary.json:4:46: malformed JSON", dir);
    cr_assert_str_eq(err.msg, want);
    remove_tree(dir);
}

Test(report, wrong_shape_names_the_json_path)
{
    char dir[64];
    fixture("single", dir);
    struct os_error err = {{0}};
    put_in(dir, "summary.json",
           "{\"scenario\": \"x\", \"variants\": [{\"name\": \"a\", \"metrics\": {}},"
           " {\"name\": \"b\", \"metrics\": {\"cost_usd\": \"cheap\"}}]}");
    cr_assert_eq(report_write(dir, &err), OS_EINVAL);
    assert_has(err.msg, "summary.json: $.variants[1].metrics.cost_usd: expected a number");
    put_in(dir, "summary.json", "{\"scenario\": \"x\", \"variants\": []}");
    cr_assert_eq(report_write(dir, &err), OS_EINVAL);
    assert_has(err.msg, "$.variants: expected a non-empty array");
    put_in(dir, "summary.json",
           "{\"scenario\": \"x\", \"variants\": [{\"name\": \"a\"}, {\"name\": \"b\", "
           "\"paired_diff\": {\"cost_usd\": {\"ci95\": 1}}}]}");
    cr_assert_eq(report_write(dir, &err), OS_EINVAL);
    assert_has(err.msg, "$.variants[1].paired_diff.cost_usd: expected");
    put_in(dir, "summary.json",
           "{\"scenario\": \"x\", \"kind\": \"packing\", \"variants\": [{\"name\": \"a\"}]}");
    cr_assert_eq(report_write(dir, &err), OS_EINVAL);
    assert_has(err.msg, "$.kind: 'packing' results have their own report");
    remove_tree(dir);
}

Test(report, malformed_csv_rows_name_file_and_line)
{
    char dir[64];
    fixture("bad_csv", dir);
    struct os_error err = {{0}};
    cr_assert_eq(report_write(dir, &err), OS_EPARSE);
    char want[256];
    snprintf(want, sizeof want,
             "%s/timeseries.csv:3: column 'gpus_alloc': expected a number, got 'ten'", dir);
    cr_assert_str_eq(err.msg, want);

    put_in(dir, "timeseries.csv",
           "variant,seed,time_s,nodes,gpus,gpus_alloc,replicas,queue_len,pending,jobs_running,"
           "cost_usd\n\"ecs-ondemand\",42,1800,4,16,10,4,3,0,3,19.2\n\nshort,42,3600\n");
    cr_assert_eq(report_write(dir, &err), OS_EPARSE);
    assert_has(err.msg, "timeseries.csv:4: expected 11 fields, found 3");

    put_in(dir, "timeseries.csv", "variant,seed,time_s,gpus\n");
    cr_assert_eq(report_write(dir, &err), OS_EPARSE);
    assert_has(err.msg, "timeseries.csv:1: header has no 'gpus_alloc' column");

    unlink(strcat(strcpy(want, dir), "/timeseries.csv"));
    put_in(dir, "latency_cdf.csv", "variant,latency_ms,cdf\na,1.5,0.5\nb,\"2.5,1\n");
    cr_assert_eq(report_write(dir, &err), OS_EPARSE);
    assert_has(err.msg, "latency_cdf.csv:3: unterminated quoted field");

    /* A header alone is fine: the plot is skipped. */
    put_in(dir, "latency_cdf.csv", "variant,latency_ms,cdf\n");
    cr_assert_eq(report_write(dir, &err), 0, "%s", err.msg);
    char *md = slurp_in(dir, "report.md");
    assert_has(md, "- `latency_cdf` not drawn: latency\\_cdf.csv has no rows with latency > 0\n");
    free(md);
    remove_tree(dir);
}

/* ------------------------------------------------------------ base64 */

Test(report, base64_rfc4648_test_vectors)
{
    /* RFC 4648 section 10. */
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char buf[REPORT_BASE64_LEN(6)];
        size_t n = report_base64(in[i], strlen(in[i]), buf);
        cr_assert_str_eq(buf, out[i], "base64(\"%s\")", in[i]);
        cr_assert_eq(n, strlen(out[i]));
    }
    /* Every 6-bit value, including the last two alphabet characters. */
    static const unsigned char bin[] = {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0xfb, 0xff, 0xbf};
    char buf[REPORT_BASE64_LEN(sizeof bin)];
    report_base64(bin, sizeof bin, buf);
    cr_assert_str_eq(buf, "ABCDEFGH+/+/");
    cr_assert_eq(REPORT_BASE64_LEN(0), 1);
    cr_assert_eq(REPORT_BASE64_LEN(4), 9);
}
