/* Tests of sim/schema and sim/scenario: typed decoding, path-qualified
 * errors with suggestions, --set overrides, malformed JSON positions. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/scenario.h"

static const char good[] = "{\"name\": \"t\", \"kind\": \"packing\", \"seed\": 7, \"seeds\": 3,\n"
                           " \"cluster\": {\"nodes_csv\": \"n.csv\"},\n"
                           " \"workload\": {\"pods_csv\": \"p.csv\", \"tune\": 1.3},\n"
                           " \"variants\": [{\"name\": \"a\", \"placement\": \"fgd\",\n"
                           "                \"reference_alloc_pct\": [[90, 90.0], [95, 94.91]]},\n"
                           "               {\"name\": \"b\", \"placement\": \"bestfit\"}]}\n";

static int load(const char *text, const char *const *sets, size_t nsets, struct scenario *sc,
                struct schema_diag *d)
{
    memset(d, 0, sizeof *d);
    return scenario_load_text("x.json", text, strlen(text), sets, nsets, sc, d);
}

Test(scenario, decodes_typed_values)
{
    static struct scenario sc;
    static struct schema_diag d;
    cr_assert_eq(load(good, NULL, 0, &sc, &d), 0, "%s", d.line[0]);
    cr_assert_str_eq(sc.name, "t");
    cr_assert_eq(sc.kind, SCENARIO_PACKING);
    cr_assert_eq(sc.seed, 7);
    cr_assert_eq(sc.seeds, 3);
    cr_assert_eq(sc.on_malformed_row, SCENARIO_ROWS_ERROR, "default");
    cr_assert_str_eq(sc.workload.pods_csv, "p.csv");
    cr_assert_float_eq(sc.workload.tune, 1.3, 1e-12);
    cr_assert_eq(sc.nvariants, 2);
    cr_assert_str_eq(sc.variants[1].placement, "bestfit");
    cr_assert_eq(sc.variants[0].nreference, 2);
    cr_assert_float_eq(sc.variants[0].reference_alloc_pct[1][1], 94.91, 1e-12);
}

Test(scenario, misspelt_key_names_path_and_suggestion)
{
    static struct scenario sc;
    static struct schema_diag d;
    char text[1024];
    strcpy(text, good);
    char *p = strstr(text, "\"placement\": \"bestfit\"");
    memcpy(p, "\"placment\" ", 11); /* same length: "placement": -> "placment" : */
    cr_assert_eq(load(text, NULL, 0, &sc, &d), OS_EINVAL);
    cr_assert_geq(d.n, 1);
    cr_assert_str_eq(d.line[0], "x.json: $.variants[1].placment: unknown key 'placment' (did you "
                                "mean 'placement'?)");
}

Test(scenario, wrong_types_and_bounds)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *sets[] = {"seeds=0", "workload.tune=\"high\"", "kind=pakcing", "seed=-1"};
    cr_assert_eq(load(good, sets, 4, &sc, &d), OS_EINVAL);
    cr_assert_eq(d.n, 4, "got %u errors", d.n);
    /* In schema-table order: kind, seed, seeds, workload.tune. */
    cr_assert_str_eq(d.line[0],
                     "x.json: $.kind: unknown value 'pakcing' (did you mean 'packing'?)");
    cr_assert(strstr(d.line[1], "$.seed: expected a non-negative integer seed, got -1"), "%s",
              d.line[1]);
    cr_assert(strstr(d.line[2], "$.seeds: expected a number of replications in [1, 10000], got 0"),
              "%s", d.line[2]);
    cr_assert(strstr(d.line[3], "$.workload.tune: expected a ratio") &&
                  strstr(d.line[3], "got the string \"high\""),
              "%s", d.line[3]);
}

Test(scenario, missing_required_and_duplicates)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *text = "{\"name\":\"t\",\"name\":\"u\",\"kind\":\"packing\","
                       "\"cluster\":{},\"workload\":{\"pods_csv\":\"p\"},\"variants\":[]}";
    cr_assert_eq(load(text, NULL, 0, &sc, &d), OS_EINVAL);
    cr_assert_eq(d.n, 3, "got %u: %s | %s", d.n, d.line[0], d.line[1]);
    cr_assert_str_eq(d.line[0], "x.json: $.name: duplicate key 'name'");
    cr_assert(strstr(d.line[1], "$.variants: expected 1 to 16 elements, got 0"), "%s", d.line[1]);
    cr_assert(strstr(d.line[2], "$.cluster.nodes_csv: missing required key"), "%s", d.line[2]);
}

Test(scenario, set_overrides_scalars_by_path)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *sets[] = {"seed=9", "workload.pods_csv=other.csv", "variants.1.placement=random",
                          "on_malformed_row=skip", "name=123"};
    cr_assert_eq(load(good, sets, 5, &sc, &d), 0, "%s", d.line[0]);
    cr_assert_eq(sc.seed, 9);
    cr_assert_str_eq(sc.workload.pods_csv, "other.csv");
    cr_assert_str_eq(sc.variants[1].placement, "random");
    cr_assert_eq(sc.on_malformed_row, SCENARIO_ROWS_SKIP);
    cr_assert_str_eq(sc.name, "123", "an existing string stays a string");
}

Test(scenario, set_errors_name_the_override)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *s1[] = {"variants.5.placement=x"};
    cr_assert_eq(load(good, s1, 1, &sc, &d), OS_EINVAL);
    cr_assert_str_eq(d.line[0],
                     "x.json: --set variants.5.placement=x: $.variants has 2 elements, no index 5");
    const char *s2[] = {"workload=3"};
    cr_assert_eq(load(good, s2, 1, &sc, &d), OS_EINVAL);
    cr_assert_str_eq(d.line[0], "x.json: --set workload=3: $.workload is not a scalar");
    const char *s3[] = {"nosuch.key=3"};
    cr_assert_eq(load(good, s3, 1, &sc, &d), OS_EINVAL);
    cr_assert_str_eq(d.line[0], "x.json: --set nosuch.key=3: $.nosuch does not exist");
    const char *s4[] = {"novalue"};
    cr_assert_eq(load(good, s4, 1, &sc, &d), OS_EINVAL);
    const char *s5[] = {"workload.tunne=2"}; /* added, then rejected with a suggestion */
    cr_assert_eq(load(good, s5, 1, &sc, &d), OS_EINVAL);
    cr_assert_str_eq(d.line[0],
                     "x.json: $.workload.tunne: unknown key 'tunne' (did you mean 'tune'?)");
}

Test(scenario, malformed_json_gives_line_and_column)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *text = "{\n  \"name\": \"t\",\n  \"seed\": 4x\n}";
    cr_assert_eq(load(text, NULL, 0, &sc, &d), OS_EPARSE);
    cr_assert(strncmp(d.line[0], "x.json:3:", 9) == 0, "%s", d.line[0]);
    cr_assert(strstr(d.line[0], "malformed JSON"), "%s", d.line[0]);
    cr_assert_eq(load("", NULL, 0, &sc, &d), OS_EPARSE);
    cr_assert(strstr(d.line[0], "empty file"), "%s", d.line[0]);
    cr_assert_eq(load("[1,2]", NULL, 0, &sc, &d), OS_EINVAL);
    cr_assert_str_eq(d.line[0], "x.json: $: expected an object, got an array");
}

Test(scenario, unsafe_names_and_repeated_variants)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *sets[] = {"name=../etc", "variants.1.name=a"};
    cr_assert_eq(load(good, sets, 2, &sc, &d), OS_EINVAL);
    cr_assert_eq(d.n, 2);
    cr_assert(strstr(d.line[0], "$.name: '../etc' is not a safe directory name"), "%s", d.line[0]);
    cr_assert(strstr(d.line[1], "$.variants[1].name: 'a' repeats $.variants[0].name"), "%s",
              d.line[1]);
}

Test(scenario, missing_file)
{
    static struct scenario sc;
    static struct schema_diag d;
    memset(&d, 0, sizeof d);
    cr_assert_eq(scenario_load("tests/data/no-such.json", NULL, 0, &sc, &d), OS_ENOENT);
    cr_assert_str_eq(d.line[0], "tests/data/no-such.json: cannot open: No such file or directory");
}

Test(schema, suggestions)
{
    const char *names[] = {"binpack", "spread", "random", NULL};
    cr_assert_str_eq(schema_suggest("binpak", names, 3), "binpack");
    cr_assert_null(schema_suggest("zzzzzz", names, 3));
    cr_assert_eq(schema_edit_distance("kitten", "sitting"), 3);
    cr_assert_eq(schema_edit_distance("", "abc"), 3);
}

/* Settings for a part of the workload that is not there would be ignored:
 * they are errors naming the path. */
/* A key another kind of scenario uses would be ignored: an error naming it. */
Test(scenario, keys_of_another_kind_are_errors)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *packing = "{\"name\":\"p\",\"kind\":\"packing\",\"tco\":{},\"duration_s\":60,"
                          "\"cluster\":{\"nodes_csv\":\"n.csv\",\"catalog\":\"c.json\"},"
                          "\"workload\":{\"pods_csv\":\"p.csv\",\"start_s\":1},"
                          "\"variants\":[{\"name\":\"a\",\"placement\":\"fgd\","
                          "\"instance_type\":\"g5.xlarge\"}]}";
    cr_assert_eq(load(packing, NULL, 0, &sc, &d), OS_EINVAL);
    cr_assert_eq(d.n, 5, "%u: %s", d.n, d.line[0]);
    cr_assert(strstr(d.line[0], "$.duration_s: a packing scenario does not use it"), "%s",
              d.line[0]);
    cr_assert(strstr(d.line[1], "$.tco: a packing scenario does not use it"), "%s", d.line[1]);
    cr_assert(strstr(d.line[2], "$.cluster.catalog: a packing"), "%s", d.line[2]);
    cr_assert(strstr(d.line[3], "$.workload.start_s: a packing"), "%s", d.line[3]);
    cr_assert(strstr(d.line[4], "$.variants[0].instance_type: a packing"), "%s", d.line[4]);
    const char *sim = "{\"name\":\"s\",\"kind\":\"simulation\",\"cluster\":{},"
                      "\"workload\":{\"inference\":{},\"tune\":1.2},\"variants\":[{\"name\":"
                      "\"a\",\"orchestrator\":\"eks\",\"instance_type\":\"g5.xlarge\","
                      "\"reference_alloc_pct\":[[1,1]]}]}";
    cr_assert_eq(load(sim, NULL, 0, &sc, &d), OS_EINVAL);
    cr_assert_eq(d.n, 2, "%u: %s", d.n, d.line[0]);
    cr_assert(strstr(d.line[0], "$.workload.tune: a simulation scenario does not use it"), "%s",
              d.line[0]);
    cr_assert(strstr(d.line[1], "$.variants[0].reference_alloc_pct: a simulation"), "%s",
              d.line[1]);
    /* an override counts as given */
    const char *rep = "{\"name\":\"r\",\"kind\":\"replay\",\"cluster\":{\"nodes_csv\":\"n.csv\"},"
                      "\"workload\":{\"pods_csv\":\"p.csv\"},\"variants\":[{\"name\":\"a\","
                      "\"placement\":\"fgd\"}]}";
    const char *set[1] = {"variants.0.max_nodes=3"};
    cr_assert_eq(load(rep, set, 1, &sc, &d), OS_EINVAL);
    cr_assert(strstr(d.line[0], "$.variants[0].max_nodes: a replay scenario does not use it"), "%s",
              d.line[0]);
    cr_assert_eq(load(rep, NULL, 0, &sc, &d), OS_OK, "%s", d.line[0]);
}

Test(scenario, fleet_deployments_are_errors)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *text = "{\"name\":\"t\",\"kind\":\"simulation\",\"cluster\":{},\"workload\":{"
                       "\"fleet\":{\"deploy_at_s\":[3600]}},\"variants\":[{\"name\":\"a\","
                       "\"orchestrator\":\"eks\",\"fleet\":{\"instance_type\":\"g5.xlarge\"}}]}";
    cr_assert_eq(load(text, NULL, 0, &sc, &d), OS_EINVAL);
    cr_assert(strstr(d.line[0], "$.workload.fleet.deploy_at_s: rolling deployments are modelled "
                                "for the LLM service"),
              "%s", d.line[0]);
}

Test(scenario, settings_for_an_absent_part_are_errors)
{
    static struct scenario sc;
    static struct schema_diag d;
    const char *text =
        "{\"name\":\"t\",\"kind\":\"simulation\",\"cluster\":{},\"workload\":{\"inference\":{}},"
        "\"variants\":[{\"name\":\"a\",\"orchestrator\":\"eks\",\"instance_type\":\"g5.xlarge\","
        "\"training\":{\"instance_type\":\"p3.16xlarge\"},\"fleet\":{\"launch_type\":\"fargate\"},"
        "\"spot\":{\"log_launch_failures\":true}}]}";
    cr_assert_eq(load(text, NULL, 0, &sc, &d), OS_EINVAL);
    cr_assert_eq(d.n, 3);
    cr_assert(strstr(d.line[0], "$.variants[0].training: the workload has no training jobs"), "%s",
              d.line[0]);
    cr_assert(strstr(d.line[1], "$.variants[0].fleet: the workload has no fleet"), "%s", d.line[1]);
    cr_assert(strstr(d.line[2], "$.variants[0].spot.log_launch_failures: needs log_gpu"), "%s",
              d.line[2]);
}
