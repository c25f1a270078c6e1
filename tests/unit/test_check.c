/* Tests of sim/check: the check grammar and its error messages, each
 * operator, baseline arithmetic, the within-% form, the default rule and
 * metric directions, applying checks to summaries (named variants, globs,
 * missing metrics), the benchmark comparison, the table and JUnit escaping. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check.h"

static struct check parse_ok(const char *text)
{
    struct check c;
    struct os_error err = {{0}};
    int rc = check_parse(text, &c, &err);
    cr_assert_eq(rc, OS_OK, "check_parse('%s') failed: %s", text, err.msg);
    return c;
}

static struct os_error parse_bad(const char *text)
{
    struct check c;
    struct os_error err = {{0}};
    cr_assert_eq(check_parse(text, &c, &err), OS_EINVAL, "'%s' should not parse", text);
    return err;
}

/* Evaluates `text` on value against baseline. */
static bool eval(const char *text, double value, double baseline)
{
    struct check c = parse_ok(text);
    return check_eval(&c, value, baseline);
}

/* ---- grammar ---- */

Test(check, parses_every_operator)
{
    static const struct {
        const char *text;
        enum check_op op;
    } t[] = {{"m <= 1", CHECK_LE}, {"m < 1", CHECK_LT},  {"m >= 1", CHECK_GE},
             {"m > 1", CHECK_GT},  {"m == 1", CHECK_EQ}, {"m within 1%", CHECK_WITHIN}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct check c = parse_ok(t[i].text);
        cr_expect_eq(c.op, t[i].op, "%s", t[i].text);
        cr_expect_str_eq(c.metric, "m");
        cr_expect_float_eq(c.num, 1.0, 1e-12);
    }
}

Test(check, parses_expressions_with_and_without_spaces)
{
    struct check c = parse_ok("  cost_usd<=baseline*1.05  ");
    cr_expect_str_eq(c.text, "cost_usd<=baseline*1.05");
    cr_expect_str_eq(c.metric, "cost_usd");
    cr_expect_str_eq(c.variant, "");
    cr_expect_eq(c.rhs, CHECK_RHS_MUL);
    cr_expect_float_eq(c.num, 1.05, 1e-12);
    cr_expect(check_uses_baseline(&c));

    c = parse_ok("latency_p99_ms <= 800");
    cr_expect_eq(c.rhs, CHECK_RHS_NUMBER);
    cr_expect_not(check_uses_baseline(&c));
    c = parse_ok("x >= baseline");
    cr_expect_eq(c.rhs, CHECK_RHS_BASELINE);
    c = parse_ok("x <= baseline + 2.5");
    cr_expect_eq(c.rhs, CHECK_RHS_ADD);
    c = parse_ok("x >= baseline - 3");
    cr_expect_eq(c.rhs, CHECK_RHS_SUB);
    c = parse_ok("x <= baseline + 10%");
    cr_expect_eq(c.rhs, CHECK_RHS_ADD_PCT);
    c = parse_ok("x >= baseline - 10 %");
    cr_expect_eq(c.rhs, CHECK_RHS_SUB_PCT);
    c = parse_ok("x within 5%");
    cr_expect_eq(c.rhs, CHECK_RHS_WITHIN_PCT);
    cr_expect(check_uses_baseline(&c));
    c = parse_ok("x > -1.5e3");
    cr_expect_float_eq(c.num, -1500.0, 1e-9);
}

Test(check, variant_prefix_and_glob)
{
    struct check c = parse_ok("ecs-ondemand: latency_p99_ms <= 800");
    cr_expect_str_eq(c.variant, "ecs-ondemand");
    cr_expect_str_eq(c.metric, "latency_p99_ms");
    cr_expect_not(c.glob);
    c = parse_ok("fgd:latency_*<=baseline");
    cr_expect_str_eq(c.variant, "fgd");
    cr_expect_str_eq(c.metric, "latency_*");
    cr_expect(c.glob);
}

Test(check, bad_checks_name_the_check_and_the_place)
{
    struct os_error e = parse_bad("cost_usd =< 5");
    cr_expect(strstr(e.msg, "check 'cost_usd =< 5'"), "%s", e.msg);
    cr_expect(strstr(e.msg, "expected an operator"), "%s", e.msg);
    cr_expect(strstr(e.msg, "at '=< 5'"), "%s", e.msg);

    e = parse_bad("cost_usd <= baselin * 1.05");
    cr_expect(strstr(e.msg, "expected a number or 'baseline'"), "%s", e.msg);
    e = parse_bad("cost_usd <= baseline / 2");
    cr_expect(strstr(e.msg, "after 'baseline'"), "%s", e.msg);
    e = parse_bad("cost_usd <= baseline *");
    cr_expect(strstr(e.msg, "at the end"), "%s", e.msg);
    e = parse_bad("cost_usd <= 5 usd");
    cr_expect(strstr(e.msg, "unexpected text at 'usd'"), "%s", e.msg);
    e = parse_bad("x within 5");
    cr_expect(strstr(e.msg, "expected '%'"), "%s", e.msg);
    e = parse_bad("x within -5%");
    cr_expect(strstr(e.msg, ">= 0"), "%s", e.msg);

    parse_bad("");
    parse_bad("   ");
    parse_bad("<= 5");
    parse_bad(": x <= 5");
    parse_bad("x = 5");
    parse_bad("x <== 5");
    parse_bad("x <= inf");
    parse_bad("x <= nan");
    parse_bad("x <= 0x10");
    parse_bad("x <= baseline * 2%");
    parse_bad("x withinn 5%");
    parse_bad("x <= baseline + 5% extra");
}

/* ---- operators and arithmetic ---- */

Test(check, each_operator_at_and_around_its_limit)
{
    cr_expect(eval("m <= 10", 10, 0));
    cr_expect(eval("m <= 10", 9.9, 0));
    cr_expect_not(eval("m <= 10", 10.01, 0));
    cr_expect_not(eval("m < 10", 10, 0));
    cr_expect(eval("m < 10", 9.99, 0));
    cr_expect(eval("m >= 10", 10, 0));
    cr_expect_not(eval("m >= 10", 9.99, 0));
    cr_expect_not(eval("m > 10", 10, 0));
    cr_expect(eval("m > 10", 10.01, 0));
    cr_expect(eval("m == 10", 10, 0));
    cr_expect_not(eval("m == 10", 10.001, 0));
    cr_expect_not(eval("m == 10", 9.999, 0));
}

Test(check, baseline_arithmetic)
{
    cr_expect(eval("m <= baseline", 100, 100));
    cr_expect_not(eval("m <= baseline", 100.001, 100));
    cr_expect(eval("m <= baseline * 1.05", 105, 100));
    cr_expect_not(eval("m <= baseline * 1.05", 105.01, 100));
    cr_expect(eval("m <= baseline + 5", 105, 100));
    cr_expect_not(eval("m <= baseline + 5", 105.5, 100));
    cr_expect(eval("m >= baseline - 5", 95, 100));
    cr_expect_not(eval("m >= baseline - 5", 94.9, 100));
    /* Relative forms use |baseline|, so they stay "worse by 10 %" when negative. */
    cr_expect(eval("m <= baseline + 10%", 110, 100));
    cr_expect_not(eval("m <= baseline + 10%", 110.1, 100));
    cr_expect(eval("m <= baseline + 10%", -90, -100));
    cr_expect_not(eval("m <= baseline + 10%", -89, -100));
    cr_expect(eval("m >= baseline - 10%", 90, 100));
    cr_expect_not(eval("m >= baseline - 10%", 89.9, 100));
    /* 0.1 * 3 is not exactly 0.3: the slack keeps an exact match passing. */
    cr_expect(eval("m == baseline * 0.1", 0.3, 3));
    cr_expect(eval("m <= baseline * 1.1", 110.00000000000001, 100));
}

Test(check, within_percent)
{
    cr_expect(eval("m within 5%", 100, 100));
    cr_expect(eval("m within 5%", 105, 100));
    cr_expect(eval("m within 5%", 95, 100));
    cr_expect_not(eval("m within 5%", 105.1, 100));
    cr_expect_not(eval("m within 5%", 94.9, 100));
    cr_expect(eval("m within 5%", -104, -100));
    cr_expect_not(eval("m within 5%", -106, -100));
    cr_expect(eval("m within 0%", 0, 0));
    cr_expect_not(eval("m within 50%", 1e-9, 0));
}

Test(check, limits_format_for_people)
{
    char buf[64];
    struct check c = parse_ok("m <= baseline * 1.1");
    check_format_limit(&c, 100, buf, sizeof buf);
    cr_expect_str_eq(buf, "<= 110");
    c = parse_ok("m within 5%");
    check_format_limit(&c, 200, buf, sizeof buf);
    cr_expect_str_eq(buf, "190 .. 210");
    c = parse_ok("m > 0.25");
    check_format_limit(&c, 0, buf, sizeof buf);
    cr_expect_str_eq(buf, "> 0.25");
    check_format_num(93.6517220, buf, sizeof buf);
    cr_expect_str_eq(buf, "93.651722");
    check_format_num(183290498, buf, sizeof buf);
    cr_expect_str_eq(buf, "183290498");
    check_format_num(-0.0000001, buf, sizeof buf);
    cr_expect_str_eq(buf, "-1e-07");
}

/* ---- directions and the default rule ---- */

Test(check, metric_directions_follow_results_md)
{
    cr_expect_eq(check_metric_better("cost_usd"), CHECK_LOWER);
    cr_expect_eq(check_metric_better("latency_p99_ms"), CHECK_LOWER);
    cr_expect_eq(check_metric_better("pending_p50_s"), CHECK_LOWER);
    cr_expect_eq(check_metric_better("queue_wait_mean_s"), CHECK_LOWER);
    cr_expect_eq(check_metric_better("unscheduled"), CHECK_LOWER);
    cr_expect_eq(check_metric_better("frag_pct"), CHECK_LOWER);
    cr_expect_eq(check_metric_better("gpu_alloc_pct"), CHECK_HIGHER);
    cr_expect_eq(check_metric_better("slo_attainment_pct"), CHECK_HIGHER);
    cr_expect_eq(check_metric_better("jobs_completed"), CHECK_HIGHER);
    cr_expect_eq(check_metric_better("events"), CHECK_INFO);
    cr_expect_eq(check_metric_better("gpu_alloc_pct_ci95"), CHECK_INFO);
    cr_expect_eq(check_metric_better("latency_p99_ms_ci95"), CHECK_INFO);
    cr_expect_eq(check_metric_better("gpu_alloc_at_arrived_90_pct"), CHECK_INFO);
}

Test(check, default_rule_allows_ten_percent_worse)
{
    struct check c;
    cr_assert(check_default("cost_usd", &c));
    cr_expect_str_eq(c.text, "cost_usd <= baseline + 10%");
    cr_expect(check_eval(&c, 110, 100));
    cr_expect_not(check_eval(&c, 110.5, 100));
    cr_expect(check_eval(&c, 50, 100)); /* better is always fine */

    cr_assert(check_default("gpu_alloc_pct", &c));
    cr_expect_str_eq(c.text, "gpu_alloc_pct >= baseline - 10%");
    cr_expect(check_eval(&c, 81, 90));
    cr_expect_not(check_eval(&c, 80.9, 90));
    cr_expect(check_eval(&c, 99, 90));

    cr_expect_not(check_default("events", &c));
    cr_expect_not(check_default("cost_usd_ci95", &c));
}

/* ---- applying checks to summaries ---- */

static const char *const RESULTS =
    "{\"scenario\": \"t\", \"checks\": [], \"variants\": ["
    " {\"name\": \"a\", \"metrics\": {\"cost_usd\": 100, \"cost_usd_ci95\": 3,"
    "   \"gpu_alloc_pct\": 90, \"events\": 7, \"latency_p50_ms\": 10, \"latency_p99_ms\": 50}},"
    " {\"name\": \"b\", \"metrics\": {\"cost_usd\": 200, \"gpu_alloc_pct\": 70, \"events\": 9}},"
    " {\"name\": \"new\", \"metrics\": {\"cost_usd\": 1}}]}";
static const char *const BASELINE =
    "{\"scenario\": \"t\", \"variants\": ["
    " {\"name\": \"b\", \"metrics\": {\"cost_usd\": 150, \"gpu_alloc_pct\": 72, \"events\": 1}},"
    " {\"name\": \"a\", \"metrics\": {\"cost_usd\": 100, \"gpu_alloc_pct\": 95,"
    "   \"latency_p50_ms\": 10, \"latency_p99_ms\": 40}}]}";

struct fixture {
    cJSON *res, *base;
    struct check checks[8];
    size_t n;
    struct check_report r;
    struct os_error err;
};

static void setup_fx(struct fixture *f, const char *const *texts, size_t n)
{
    memset(f, 0, sizeof *f);
    f->res = cJSON_Parse(RESULTS);
    f->base = cJSON_Parse(BASELINE);
    cr_assert(f->res && f->base);
    for (size_t i = 0; i < n; i++)
        f->checks[i] = parse_ok(texts[i]);
    f->n = n;
}

static int apply_fx(struct fixture *f)
{
    return check_apply(f->res, "res.json", f->base, "base.json", f->checks, f->n, &f->r, NULL,
                       &f->err);
}

static void teardown_fx(struct fixture *f)
{
    check_report_destroy(&f->r);
    cJSON_Delete(f->res);
    cJSON_Delete(f->base);
}

static const struct check_row *row(const struct check_report *r, const char *group,
                                   const char *metric)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->rows[i].group, group) == 0 && strcmp(r->rows[i].metric, metric) == 0)
            return &r->rows[i];
    cr_assert_fail("no row %s/%s", group, metric);
    return NULL;
}

Test(check, apply_checks_to_common_variants)
{
    static const char *const t[] = {"cost_usd <= baseline * 1.2", "a: gpu_alloc_pct >= 92"};
    struct fixture f;
    setup_fx(&f, t, 2);
    cr_assert_eq(apply_fx(&f), OS_OK, "%s", f.err.msg);
    /* a: cost, alloc; b: cost ("new" is not in the baseline) */
    cr_expect_eq(f.r.n, 3);
    cr_expect(row(&f.r, "a", "cost_usd")->pass);
    cr_expect_not(row(&f.r, "b", "cost_usd")->pass); /* 200 > 180 */
    cr_expect_not(row(&f.r, "a", "gpu_alloc_pct")->pass);
    cr_expect_eq(f.r.nfail, 2);
    cr_expect_str_eq(row(&f.r, "b", "cost_usd")->limit, "<= 180");
    teardown_fx(&f);
}

Test(check, apply_glob_skips_ci95)
{
    static const char *const t[] = {"a: latency_* <= baseline", "a: *_ci95 <= 5"};
    struct fixture f;
    setup_fx(&f, t, 2);
    cr_assert_eq(apply_fx(&f), OS_OK, "%s", f.err.msg);
    cr_expect_eq(f.r.n, 3);
    cr_expect(row(&f.r, "a", "latency_p50_ms")->pass);
    cr_expect_not(row(&f.r, "a", "latency_p99_ms")->pass);
    cr_expect(row(&f.r, "a", "cost_usd_ci95")->pass);
    cr_expect(f.r.rows[0].glob);
    teardown_fx(&f);
}

Test(check, default_rule_on_summaries)
{
    struct fixture f;
    setup_fx(&f, NULL, 0);
    /* b lacks nothing directed on either side, a has latency on both. */
    cr_assert_eq(apply_fx(&f), OS_OK, "%s", f.err.msg);
    /* a: cost, alloc, p50, p99; b: cost, alloc. events and _ci95 unchecked. */
    cr_expect_eq(f.r.n, 6);
    cr_expect(row(&f.r, "a", "cost_usd")->pass);
    cr_expect(row(&f.r, "a", "gpu_alloc_pct")->pass);      /* 90 >= 85.5 */
    cr_expect_not(row(&f.r, "a", "latency_p99_ms")->pass); /* 50 > 44 */
    cr_expect_not(row(&f.r, "b", "cost_usd")->pass);       /* 200 > 165 */
    cr_expect(row(&f.r, "b", "gpu_alloc_pct")->pass);      /* 70 >= 64.8 */
    teardown_fx(&f);
}

Test(check, missing_metric_names_variant_and_metric)
{
    static const char *const t[] = {"nonesuch_ms <= 5"};
    struct fixture f;
    setup_fx(&f, t, 1);
    cr_expect_eq(apply_fx(&f), OS_EINVAL);
    cr_expect(strstr(f.err.msg, "res.json: variant 'a': metric 'nonesuch_ms' is missing"), "%s",
              f.err.msg);
    teardown_fx(&f);

    static const char *const t2[] = {"b: latency_p99_ms <= baseline"};
    setup_fx(&f, t2, 1);
    cr_expect_eq(apply_fx(&f), OS_EINVAL);
    cr_expect(strstr(f.err.msg, "variant 'b': metric 'latency_p99_ms'"), "%s", f.err.msg);
    teardown_fx(&f);

    /* in the results but not the baseline, and the check needs the baseline */
    static const char *const t3[] = {"events <= baseline"};
    setup_fx(&f, t3, 1);
    cr_expect_eq(apply_fx(&f), OS_EINVAL);
    cr_expect(strstr(f.err.msg, "base.json: variant 'a': metric 'events' is missing"), "%s",
              f.err.msg);
    teardown_fx(&f);

    static const char *const t4[] = {"zzz: cost_usd <= 5"};
    setup_fx(&f, t4, 1);
    cr_expect_eq(apply_fx(&f), OS_EINVAL);
    cr_expect(strstr(f.err.msg, "no variant 'zzz'"), "%s", f.err.msg);
    teardown_fx(&f);

    static const char *const t5[] = {"a: nope_* <= 5"};
    setup_fx(&f, t5, 1);
    cr_expect_eq(apply_fx(&f), OS_EINVAL);
    cr_expect(strstr(f.err.msg, "no metric matches 'nope_*'"), "%s", f.err.msg);
    teardown_fx(&f);
}

Test(check, default_rule_metric_missing_in_results)
{
    struct fixture f;
    setup_fx(&f, NULL, 0);
    cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(f.res, "variants"), 0);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(a, "metrics"), "latency_p99_ms");
    cr_expect_eq(apply_fx(&f), OS_EINVAL);
    cr_expect(strstr(f.err.msg, "variant 'a': metric 'latency_p99_ms' is missing"), "%s",
              f.err.msg);
    teardown_fx(&f);
}

Test(check, load_parses_summary_checks)
{
    cJSON *j = cJSON_Parse("{\"checks\": [\"cost_usd <= 5\", \"fgd: x within 2%\"]}");
    struct check *c;
    size_t n;
    struct os_error err;
    cr_assert_eq(check_load(j, "s.json", &c, &n, &err), OS_OK, "%s", err.msg);
    cr_expect_eq(n, 2);
    cr_expect_str_eq(c[1].variant, "fgd");
    free(c);
    cJSON_Delete(j);

    j = cJSON_Parse("{\"checks\": [\"cost_usd <= 5\", \"cost_usd <=\"]}");
    cr_expect_eq(check_load(j, "s.json", &c, &n, &err), OS_EINVAL);
    cr_expect(strstr(err.msg, "s.json: $.checks[1]: check 'cost_usd <='"), "%s", err.msg);
    cJSON_Delete(j);

    j = cJSON_Parse("{\"checks\": [3]}");
    cr_expect_eq(check_load(j, "s.json", &c, &n, &err), OS_EINVAL);
    cJSON_Delete(j);

    j = cJSON_Parse("{}");
    cr_expect_eq(check_load(j, "s.json", &c, &n, &err), OS_OK);
    cr_expect_eq(n, 0);
    cJSON_Delete(j);
}

/* ---- benchmarks ---- */

Test(check, bench_throughput_may_fall_at_most_tolerance)
{
    cJSON *cur = cJSON_Parse(
        "{\"quick\": true, \"engine\": [{\"pending\": 1000, \"events_per_s\": 600, \"ratio\": 0.1},"
        " {\"pending\": 5, \"events_per_s\": 10}],"
        " \"placement\": [{\"policy\": \"fgd\", \"nodes\": 10, \"placements_per_s\": 40,"
        "   \"node_evals_per_s\": 1000, \"gpu_alloc_pct\": 1}]}");
    cJSON *base = cJSON_Parse(
        "{\"quick\": true, \"engine\": [{\"pending\": 1000, \"events_per_s\": 1000}],"
        " \"placement\": [{\"policy\": \"fgd\", \"nodes\": 10, \"placements_per_s\": 100,"
        "   \"node_evals_per_s\": 1000}]}");
    struct check_report r = {0};
    struct os_error err;
    cr_assert_eq(check_bench(cur, base, "b.json", 50, &r, NULL, &err), OS_OK, "%s", err.msg);
    cr_expect_eq(r.n, 3);
    cr_expect(row(&r, "engine/pending=1000", "events_per_s")->pass);
    cr_expect_not(row(&r, "placement/fgd/nodes=10", "placements_per_s")->pass);
    cr_expect(row(&r, "placement/fgd/nodes=10", "node_evals_per_s")->pass);
    cr_expect_str_eq(row(&r, "engine/pending=1000", "events_per_s")->limit, ">= 500");
    cr_expect_eq(r.nfail, 1);
    check_report_destroy(&r);

    /* Nothing in common is an input error. */
    cJSON *other = cJSON_Parse("{\"engine\": [{\"pending\": 7, \"events_per_s\": 1}]}");
    cr_expect_eq(check_bench(other, base, "b.json", 50, &r, NULL, &err), OS_EINVAL);
    cr_expect(strstr(err.msg, "b.json"), "%s", err.msg);
    check_report_destroy(&r);
    cJSON_Delete(other);
    cJSON_Delete(cur);
    cJSON_Delete(base);
}

/* ---- output ---- */

Test(check, xml_escape)
{
    char buf[128];
    cr_expect(check_xml_escape("a<b>&\"c'\x01\td", buf, sizeof buf));
    cr_expect_str_eq(buf, "a&lt;b&gt;&amp;&quot;c&apos;?\td");
    /* Truncation never splits an entity. */
    cr_expect_not(check_xml_escape("ab&c", buf, 5));
    cr_expect_str_eq(buf, "ab");
}

static char *render(const struct check_report *r, bool junit)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cr_assert(m);
    if (junit)
        check_report_junit(r, "orchsim.check.t<&>", m);
    else
        check_report_print(r, m);
    fclose(m);
    return buf;
}

Test(check, junit_has_one_suite_escaped_names_and_failures)
{
    struct check_report r = {.group_title = "variant"};
    struct os_error err;
    struct check c = parse_ok("ecs<1>: cost_usd <= baseline * 1.05");
    cr_assert_eq(check_report_add(&r, "ecs<1>", "cost_usd", &c, 120, 100, true, &err), OS_OK);
    c = parse_ok("cost_usd < 1000");
    cr_assert_eq(check_report_add(&r, "a&b", "cost_usd", &c, 120, 100, true, &err), OS_OK);
    char *x = render(&r, true);
    cr_expect(strstr(x, "<testsuites tests=\"2\" failures=\"1\">"), "%s", x);
    cr_expect(strstr(x, "<testsuite name=\"orchsim.check.t&lt;&amp;&gt;\" tests=\"2\""), "%s", x);
    cr_expect(strstr(x, "classname=\"orchsim.check.t&lt;&amp;&gt;.ecs&lt;1&gt;\""), "%s", x);
    cr_expect(strstr(x, "name=\"ecs&lt;1&gt;: cost_usd &lt;= baseline * 1.05\""), "%s", x);
    cr_expect(strstr(x, "<failure type=\"check\" message=\"ecs&lt;1&gt;: cost_usd = 120, limit "
                        "&lt;= 105, baseline 100\">"),
              "%s", x);
    cr_expect(strstr(x, "classname=\"orchsim.check.t&lt;&amp;&gt;.a&amp;b\" name=\"cost_usd "
                        "&lt; 1000\"/>"),
              "%s", x);
    /* exactly one suite and one failure */
    cr_expect_null(strstr(strstr(x, "<testsuite ") + 1, "<testsuite "));
    cr_expect_null(strstr(strstr(x, "<failure") + 1, "<failure"));
    free(x);

    char *t = render(&r, false);
    cr_expect(strstr(t, "variant  metric    value  limit   baseline  change  result\n"), "%s", t);
    cr_expect(strstr(t, "ecs<1>   cost_usd    120  <= 105       100  +20.0%  FAIL\n"), "%s", t);
    cr_expect(strstr(t, "a&b      cost_usd    120  < 1000       100  +20.0%  PASS\n"), "%s", t);
    cr_expect(strstr(t, "1 passed, 1 failed\n"), "%s", t);
    free(t);
    check_report_destroy(&r);
}
