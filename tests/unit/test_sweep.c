/* Tests of sim/sweep: grid parsing and expansion (first axis slowest), shard
 * selection, the sweep table (union of metric columns, exact numbers, CSV
 * quoting, parse/write round trip) and the merge of shard tables with its
 * checks. Running points (fork, orchestrator) is covered by tests/e2e/sweep.sh. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sweep.h"

static struct sweep_grid grid2x3(void)
{
    struct sweep_grid g;
    struct os_error err;
    sweep_grid_init(&g);
    cr_assert_eq(sweep_grid_add_axis(&g, "workload.tune=0.8,1.2", &err), 0, "%s", err.msg);
    cr_assert_eq(sweep_grid_add_axis(&g, " seed = 1, 2 ,3", &err), 0, "%s", err.msg);
    return g;
}

Test(sweep, grid_parses_axes_and_counts_points)
{
    struct sweep_grid g = grid2x3();
    cr_assert_eq(g.naxes, 2);
    cr_assert_eq(g.npoints, 6);
    cr_assert_str_eq(g.axes[0].path, "workload.tune");
    cr_assert_str_eq(g.axes[1].path, "seed", "path is trimmed");
    cr_assert_eq(g.axes[1].nvalues, 3);
    cr_assert_str_eq(g.axes[1].values[1], "2", "values are trimmed");
    sweep_grid_destroy(&g);
    cr_assert_eq(g.naxes, 0);
    cr_assert_eq(g.npoints, 1, "no axis: one point");
}

Test(sweep, first_axis_varies_slowest)
{
    struct sweep_grid g = grid2x3();
    const char *want[6][2] = {{"0.8", "1"}, {"0.8", "2"}, {"0.8", "3"},
                              {"1.2", "1"}, {"1.2", "2"}, {"1.2", "3"}};
    for (size_t p = 0; p < 6; p++) {
        size_t idx[SWEEP_MAX_AXES];
        sweep_grid_point(&g, p, idx);
        cr_assert_str_eq(g.axes[0].values[idx[0]], want[p][0], "point %zu", p);
        cr_assert_str_eq(g.axes[1].values[idx[1]], want[p][1], "point %zu", p);
    }
    char buf[64];
    struct os_error err;
    cr_assert_eq(sweep_grid_set(&g, 4, 0, buf, sizeof buf, &err), 0);
    cr_assert_str_eq(buf, "workload.tune=1.2");
    cr_assert_eq(sweep_grid_set(&g, 4, 1, buf, sizeof buf, &err), 0);
    cr_assert_str_eq(buf, "seed=2");
    sweep_grid_destroy(&g);
}

Test(sweep, grid_syntax_errors_name_the_spec)
{
    struct sweep_grid g;
    struct os_error err;
    sweep_grid_init(&g);
    cr_assert_eq(sweep_grid_add_axis(&g, "seed", &err), OS_EINVAL);
    cr_assert_str_eq(err.msg, "--grid 'seed': expected PATH=V1,V2,...");
    cr_assert_eq(sweep_grid_add_axis(&g, " =1,2", &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "empty PATH"), "%s", err.msg);
    cr_assert_eq(sweep_grid_add_axis(&g, "seed=1,,2", &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "--grid 'seed=1,,2': value 2 is empty"), "%s", err.msg);
    cr_assert_eq(sweep_grid_add_axis(&g, "seed=", &err), OS_EINVAL);
    cr_assert_eq(sweep_grid_add_axis(&g, "seed=1,2", &err), 0);
    cr_assert_eq(sweep_grid_add_axis(&g, "seed=3", &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "axis 'seed' is given twice"), "%s", err.msg);
    cr_assert_eq(g.naxes, 1, "failed specs leave the grid unchanged");
    cr_assert_eq(g.npoints, 2);
    sweep_grid_destroy(&g);
}

Test(sweep, grid_point_limit)
{
    struct sweep_grid g;
    struct os_error err;
    sweep_grid_init(&g);
    char spec[4096] = "a=0";
    for (int i = 1; i < 400; i++)
        snprintf(spec + strlen(spec), sizeof spec - strlen(spec), ",%d", i);
    cr_assert_eq(sweep_grid_add_axis(&g, spec, &err), 0);
    spec[0] = 'b';
    cr_assert_eq(sweep_grid_add_axis(&g, spec, &err), OS_EFULL, "400 x 400 points accepted");
    cr_assert(strstr(err.msg, "more than 100000 points"), "%s", err.msg);
    cr_assert_eq(g.npoints, 400);
    sweep_grid_destroy(&g);
}

Test(sweep, shards_partition_the_points)
{
    struct sweep_shard sh;
    struct os_error err;
    cr_assert_eq(sweep_shard_parse("2/3", &sh, &err), 0);
    cr_assert_eq(sh.k, 2);
    cr_assert_eq(sh.n, 3);
    cr_assert(!sweep_shard_has(&sh, 0));
    cr_assert(sweep_shard_has(&sh, 1));
    cr_assert(sweep_shard_has(&sh, 4));
    cr_assert(!sweep_shard_has(&sh, 5));
    /* Every point is in exactly one shard of N. */
    for (size_t p = 0; p < 20; p++) {
        int in = 0;
        for (unsigned k = 1; k <= 3; k++) {
            struct sweep_shard s = {.k = k, .n = 3};
            in += sweep_shard_has(&s, p);
        }
        cr_assert_eq(in, 1, "point %zu", p);
    }
    struct sweep_shard all = {0};
    cr_assert(sweep_shard_has(&all, 7));
    const char *bad[] = {"0/2", "3/2", "1/0", "1", "1/", "/2", "a/b", "1/2x", "-1/2", "1/-2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(sweep_shard_parse(bad[i], &sh, &err), OS_EINVAL, "'%s' accepted", bad[i]);
}

/* A summary.json tree for point p: variants "a" and "b,1" (a name that needs
 * CSV quoting); "extra_pct" only at point 2, "late_s" absent at point 3. */
static cJSON *summary_for(size_t p)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *vars = cJSON_AddArrayToObject(root, "variants");
    const char *names[] = {"a", "b,1"};
    for (int v = 0; v < 2; v++) {
        cJSON *jv = cJSON_CreateObject();
        cJSON_AddStringToObject(jv, "name", names[v]);
        cJSON *m = cJSON_AddObjectToObject(jv, "metrics");
        cJSON_AddNumberToObject(m, "cost_usd", 0.1 + 0.2 + (double)p);
        cJSON_AddNumberToObject(m, "jobs_completed", 100.0 * (double)(p + 1) + v);
        if (p != 3)
            cJSON_AddNumberToObject(m, "late_s", 1e-7 * (double)(v + 1));
        if (p == 2)
            cJSON_AddNumberToObject(m, "extra_pct", 50);
        cJSON_AddStringToObject(m, "note", "not a number: skipped");
        cJSON_AddItemToArray(vars, jv);
    }
    return root;
}

static const char *const axes2[] = {"workload.tune", "seed"};

/* The table of the points p < npoints with p % n == k - 1 (n == 0: all). */
static char *table_text(size_t npoints, unsigned k, unsigned n)
{
    struct sweep_table t;
    struct os_error err;
    cr_assert_eq(sweep_table_init(&t, axes2, 2, &err), 0);
    struct sweep_shard sh = {.k = k, .n = n};
    /* Add in reverse: the writer sorts by point. */
    for (size_t p = npoints; p-- > 0;) {
        if (!sweep_shard_has(&sh, p))
            continue;
        char tune[16], seed[16];
        snprintf(tune, sizeof tune, "%s", p < 2 ? "0.8" : "1.2");
        snprintf(seed, sizeof seed, "%zu", p % 2 + 1);
        const char *vals[] = {tune, seed};
        cJSON *s = summary_for(p);
        cr_assert_eq(sweep_table_add_summary(&t, p, vals, s, "s.json", &err), 0, "%s", err.msg);
        cJSON_Delete(s);
    }
    char *text;
    cr_assert_eq(sweep_table_to_text(&t, &text, NULL, &err), 0);
    sweep_table_destroy(&t);
    return text;
}

Test(sweep, table_has_sorted_union_columns_and_exact_numbers)
{
    char *text = table_text(4, 0, 0);
    const char *want = "point,workload.tune,seed,variant,cost_usd,extra_pct,jobs_completed,late_s\n"
                       "0,0.8,1,a,0.30000000000000004,,100,1e-07\n"
                       "0,0.8,1,\"b,1\",0.30000000000000004,,101,2e-07\n"
                       "1,0.8,2,a,1.3,,200,1e-07\n"
                       "1,0.8,2,\"b,1\",1.3,,201,2e-07\n"
                       "2,1.2,1,a,2.3,50,300,1e-07\n"
                       "2,1.2,1,\"b,1\",2.3,50,301,2e-07\n"
                       "3,1.2,2,a,3.3,,400,\n"
                       "3,1.2,2,\"b,1\",3.3,,401,\n";
    cr_assert_str_eq(text, want); /* 0.1 + 0.2 and 1e-7 printed to read back exactly */
    free(text);
}

Test(sweep, csv_round_trip_is_byte_identical)
{
    char *text = table_text(4, 0, 0);
    struct sweep_table t;
    struct os_error err;
    sweep_table_init(&t, NULL, 0, &err);
    cr_assert_eq(sweep_table_parse_csv(&t, text, strlen(text), "x.csv", &err), 0, "%s", err.msg);
    cr_assert_eq(t.naxes, 2);
    cr_assert_eq(t.nrows, 8);
    cr_assert_str_eq(t.rows[1].variant, "b,1");
    char *again;
    cr_assert_eq(sweep_table_to_text(&t, &again, NULL, &err), 0);
    cr_assert_str_eq(again, text);
    sweep_table_destroy(&t);
    free(again);
    free(text);
}

Test(sweep, csv_parse_errors_name_file_and_line)
{
    struct sweep_table t;
    struct os_error err;
    sweep_table_init(&t, NULL, 0, &err);
    const char *bad = "point,seed,variant,x\n0,1,a,2\n1,1,a\n";
    cr_assert_eq(sweep_table_parse_csv(&t, bad, strlen(bad), "s.csv", &err), OS_EPARSE);
    cr_assert_str_eq(err.msg, "s.csv:3: expected 4 fields, got 3");
    sweep_table_destroy(&t);
    sweep_table_init(&t, NULL, 0, &err);
    const char *hdr = "name,variant\n";
    cr_assert_eq(sweep_table_parse_csv(&t, hdr, strlen(hdr), "s.csv", &err), OS_EPARSE);
    cr_assert(strstr(err.msg, "not a sweep table"), "%s", err.msg);
    sweep_table_destroy(&t);
    sweep_table_init(&t, NULL, 0, &err);
    const char *pt = "point,variant\nx1,a\n";
    cr_assert_eq(sweep_table_parse_csv(&t, pt, strlen(pt), "s.csv", &err), OS_EPARSE);
    cr_assert(strstr(err.msg, "s.csv:2: point 'x1'"), "%s", err.msg);
    sweep_table_destroy(&t);
    sweep_table_init(&t, NULL, 0, &err);
    const char *q = "point,variant\n0,\"a\n";
    cr_assert_eq(sweep_table_parse_csv(&t, q, strlen(q), "s.csv", &err), OS_EPARSE);
    cr_assert(strstr(err.msg, "unterminated"), "%s", err.msg);
    sweep_table_destroy(&t);
}

/* Merges the shards of 6 points split N ways; the result equals the full table. */
static void check_merge_equals_full(unsigned n)
{
    char *full = table_text(6, 0, 0);
    struct sweep_input in[8];
    char *texts[8];
    char names[8][32];
    /* Give the shards in reverse order: the merge does not care. */
    for (unsigned k = 1; k <= n; k++) {
        unsigned i = n - k;
        texts[i] = table_text(6, k, n);
        snprintf(names[i], sizeof names[i], "shard-%u-of-%u.csv", k, n);
        in[i] = (struct sweep_input){
            .name = names[i], .text = texts[i], .len = strlen(texts[i]), .shard = {.k = k, .n = n}};
    }
    char *merged = NULL;
    struct os_error err;
    cr_assert_eq(sweep_merge_texts(in, n, 6, &merged, &err), 0, "%s", err.msg);
    cr_assert_str_eq(merged, full, "N=%u", n);
    free(merged);
    for (unsigned i = 0; i < n; i++)
        free(texts[i]);
    free(full);
}

Test(sweep, merged_shards_equal_the_unsharded_table)
{
    check_merge_equals_full(1);
    check_merge_equals_full(2); /* shard 1 has extra_pct (point 2), shard 2 does not */
    check_merge_equals_full(4);
    check_merge_equals_full(8); /* shards 7 and 8 are empty: header only */
}

Test(sweep, merge_rejects_missing_duplicate_and_foreign_shards)
{
    char *s1 = table_text(4, 1, 2), *s2 = table_text(4, 2, 2), *s3 = table_text(4, 1, 3);
    struct os_error err;
    char *out = NULL;
    struct sweep_input in[3] = {
        {.name = "A", .text = s1, .len = strlen(s1), .shard = {1, 2}},
        {.name = "B", .text = s2, .len = strlen(s2), .shard = {2, 2}},
    };
    /* Missing shard. */
    cr_assert_eq(sweep_merge_texts(in, 1, 0, &out, &err), OS_EINVAL);
    cr_assert_str_eq(err.msg, "merge: 1 of 2 shards missing: shard-2-of-2.csv");
    /* The same shard twice. */
    in[1] = (struct sweep_input){.name = "C", .text = s1, .len = strlen(s1), .shard = {1, 2}};
    cr_assert_eq(sweep_merge_texts(in, 2, 0, &out, &err), OS_EINVAL);
    cr_assert_str_eq(err.msg, "merge: shard 1 of 2 is given twice (A and C)");
    /* Shards of different splits. */
    in[1] = (struct sweep_input){.name = "D", .text = s3, .len = strlen(s3), .shard = {1, 3}};
    cr_assert_eq(sweep_merge_texts(in, 2, 0, &out, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "not one sweep"), "%s", err.msg);
    /* A table under the wrong shard name: its points are not in that shard. */
    in[1] = (struct sweep_input){.name = "E", .text = s1, .len = strlen(s1), .shard = {2, 2}};
    cr_assert_eq(sweep_merge_texts(in, 2, 0, &out, &err), OS_EINVAL);
    cr_assert_str_eq(err.msg, "merge: E: point 0 does not belong to shard 2 of 2");
    /* The grid has more points than the shards hold. */
    in[1] = (struct sweep_input){.name = "B", .text = s2, .len = strlen(s2), .shard = {2, 2}};
    cr_assert_eq(sweep_merge_texts(in, 2, 6, &out, &err), OS_EINVAL);
    cr_assert_str_eq(err.msg, "merge: point 4 is missing (the grid has 6 points)");
    cr_assert_eq(sweep_merge_texts(in, 2, 4, &out, &err), 0, "%s", err.msg);
    free(out);
    free(s1);
    free(s2);
    free(s3);
}

Test(sweep, merge_rejects_other_axes_gaps_and_repeated_rows)
{
    struct os_error err;
    char *out = NULL;
    const char *a = "point,seed,variant,x\n0,1,a,1\n";
    const char *b = "point,tune,variant,x\n1,1,a,1\n";
    struct sweep_input in[2] = {
        {.name = "A", .text = a, .len = strlen(a), .shard = {1, 2}},
        {.name = "B", .text = b, .len = strlen(b), .shard = {2, 2}},
    };
    cr_assert_eq(sweep_merge_texts(in, 2, 0, &out, &err), OS_EINVAL);
    cr_assert_str_eq(err.msg, "B: grid axes (tune) differ from those of the other tables (seed)");
    const char *gap = "point,seed,variant,x\n2,1,a,1\n";
    in[1] = (struct sweep_input){.name = "B", .text = gap, .len = strlen(gap), .shard = {1, 2}};
    in[0] = (struct sweep_input){
        .name = "A", .text = "point,seed,variant\n", .len = 19, .shard = {2, 2}};
    cr_assert_eq(sweep_merge_texts(in, 2, 0, &out, &err), OS_EINVAL);
    cr_assert_str_eq(err.msg, "merge: point 0 is missing");
    const char *twice = "point,seed,variant,x\n0,1,a,1\n0,1,a,2\n";
    in[1] = (struct sweep_input){.name = "B", .text = twice, .len = strlen(twice), .shard = {1, 2}};
    cr_assert_eq(sweep_merge_texts(in, 2, 0, &out, &err), OS_EINVAL);
    cr_assert_str_eq(err.msg, "merge: point 0, variant 'a' appears twice");
}
