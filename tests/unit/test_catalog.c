/* test_catalog.c - the shipped catalog loads; bad input gives path errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "models/catalog.h"

#define CATALOG_FILE "scenarios/catalog/aws-instances.json"

Test(catalog, shipped_file_loads_with_the_models_md_figures)
{
    struct catalog cat;
    struct os_error e = {{0}};
    cr_assert_eq(catalog_load(&cat, CATALOG_FILE, &e), OS_OK, "%s", e.msg);
    const char *need[] = {"g4dn.xlarge", "g5.xlarge",    "g5.12xlarge", "g6.xlarge",
                          "p3.2xlarge",  "p4d.24xlarge", "p5.48xlarge"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        cr_assert_geq(catalog_find_type(&cat, need[i]), 0, "%s", need[i]);
    const struct catalog_instance *p4d = &cat.types[catalog_find_type(&cat, "p4d.24xlarge")];
    cr_assert_eq(p4d->gpus, 8);
    cr_assert_eq(p4d->vcpu, 96);
    cr_assert_float_eq(p4d->price_usd_per_hour, 21.957642, 1e-9);
    cr_assert_eq(catalog_type_mem_mib(p4d), 1152 * 1024);
    const struct catalog_gpu_model *a100 = &cat.gpu_models[p4d->gpu_model];
    cr_assert_str_eq(a100->name, "A100-40GB");
    cr_assert(a100->mig);
    cr_assert_eq(a100->mig_family, GPU_MIG_A100_40GB);
    const struct catalog_instance *g5 = &cat.types[catalog_find_type(&cat, "g5.12xlarge")];
    cr_assert_float_eq(g5->price_usd_per_hour, 5.672, 1e-9);
    cr_assert_eq(g5->gpus, 4);
    cr_assert_str_eq(cat.types[catalog_find_type(&cat, "p3.2xlarge")].price_date, "2026-07-20");
    const char *openb[] = {"G2", "T4", "P100", "V100M16", "V100M32", "G3", "A10"};
    for (size_t i = 0; i < sizeof openb / sizeof openb[0]; i++) {
        int g = catalog_find_gpu(&cat, openb[i]);
        cr_assert_geq(g, 0, "%s", openb[i]);
        cr_assert_gt(cat.gpu_models[g].relative_speed, 0);
        cr_assert_gt(strlen(cat.gpu_models[g].speed_source), 0);
    }
    cr_assert(cat.gpu_models[catalog_find_gpu(&cat, "H100-80GB")].mig);
    cr_assert_not(cat.gpu_models[catalog_find_gpu(&cat, "T4")].mig);
    catalog_destroy(&cat);
}

static const char gpu_ok[] = "{\"name\":\"T4\",\"memory_gb\":16,\"mig\":false,"
                             "\"relative_speed\":0.5,\"speed_source\":\"assumption: x\"}";

static void expect_error(const char *json, const char *msg)
{
    struct catalog cat;
    struct os_error e = {{0}};
    int rc = catalog_parse(&cat, json, strlen(json), "x.json", &e);
    cr_assert_neq(rc, OS_OK, "accepted: %s", json);
    cr_assert_str_eq(e.msg, msg);
    cr_assert_eq(cat.n_types, 0);
    cr_assert_null(cat.types);
}

static const char *with_type(char *buf, size_t cap, const char *type_json)
{
    snprintf(buf, cap, "{\"gpu_models\":[%s],\"instance_types\":[%s]}", gpu_ok, type_json);
    return buf;
}

#define TYPE_FIELDS                                                                                \
    "\"name\":\"t\",\"memory_gib\":16,\"gpus\":1,\"gpu_model\":\"T4\",\"gpu_memory_gb\":16,"       \
    "\"price_usd_per_hour\":1,\"price_date\":\"2026-07-20\",\"source\":\"s\""

Test(catalog, strict_errors_name_file_and_path)
{
    char buf[4096];
    expect_error(with_type(buf, sizeof buf, "{\"vcpu\":-4," TYPE_FIELDS "}"),
                 "x.json: $.instance_types[0].vcpu: expected a positive integer");
    expect_error(with_type(buf, sizeof buf, "{\"vcpu\":\"4\"," TYPE_FIELDS "}"),
                 "x.json: $.instance_types[0].vcpu: expected a positive integer");
    expect_error(with_type(buf, sizeof buf, "{\"vcpu\":4.5," TYPE_FIELDS "}"),
                 "x.json: $.instance_types[0].vcpu: expected a positive integer");
    expect_error(with_type(buf, sizeof buf, "{\"vcpu\":4,\"colour\":1," TYPE_FIELDS "}"),
                 "x.json: $.instance_types[0].colour: unknown key (expected one of: name vcpu "
                 "memory_gib gpus gpu_model gpu_memory_gb price_usd_per_hour price_date source "
                 "note)");
    snprintf(buf, sizeof buf,
             "{\"gpu_models\":[%s],\"instance_types\":[{\"vcpu\":4,\"name\":\"t\","
             "\"memory_gib\":16,\"gpus\":1,\"gpu_model\":\"K80\",\"gpu_memory_gb\":12,"
             "\"price_usd_per_hour\":1,\"price_date\":\"2026-07-20\",\"source\":\"s\"}]}",
             gpu_ok);
    expect_error(buf, "x.json: $.instance_types[0].gpu_model: unknown GPU model 'K80' (add it "
                      "to $.gpu_models)");
    snprintf(buf, sizeof buf,
             "{\"gpu_models\":[%s],\"instance_types\":[{\"vcpu\":4,\"name\":\"t\","
             "\"memory_gib\":16,\"gpus\":1,\"gpu_model\":\"T4\",\"gpu_memory_gb\":16,"
             "\"price_usd_per_hour\":-1,\"price_date\":\"2026-07-20\",\"source\":\"s\"}]}",
             gpu_ok);
    expect_error(buf, "x.json: $.instance_types[0].price_usd_per_hour: expected a positive number");
    snprintf(buf, sizeof buf,
             "{\"gpu_models\":[%s],\"instance_types\":[{\"vcpu\":4,\"name\":\"t\","
             "\"memory_gib\":16,\"gpus\":1,\"gpu_model\":\"T4\",\"gpu_memory_gb\":16,"
             "\"price_usd_per_hour\":1,\"price_date\":\"July 2026\",\"source\":\"s\"}]}",
             gpu_ok);
    expect_error(buf, "x.json: $.instance_types[0].price_date: expected a date YYYY-MM-DD");
    expect_error("{\"gpu_models\":[{\"name\":\"T4\",\"memory_gb\":16,\"mig\":true,"
                 "\"relative_speed\":1,\"speed_source\":\"s\"}],\"instance_types\":[]}",
                 "x.json: $.gpu_models[0].mig: MIG geometry is known only for A100-40GB, "
                 "A100-80GB and H100-80GB");
    expect_error("{\"gpu_models\":[{\"name\":\"T4\",\"memory_gb\":16,\"mig\":false,"
                 "\"relative_speed\":0,\"speed_source\":\"s\"}],\"instance_types\":[]}",
                 "x.json: $.gpu_models[0].relative_speed: expected a positive number");
    expect_error("{\"gpu_models\":[{\"name\":\"T4\",\"memory_gb\":16,\"mig\":false,"
                 "\"relative_speed\":1}],\"instance_types\":[]}",
                 "x.json: $.gpu_models[0].speed_source: missing (expected a string)");
    snprintf(buf, sizeof buf, "{\"gpu_models\":[%s,%s],\"instance_types\":[]}", gpu_ok, gpu_ok);
    expect_error(buf, "x.json: $.gpu_models[1].name: duplicate GPU model name");
    expect_error("{\"gpu_models\":[],\"instance_types\":{}}",
                 "x.json: $.instance_types: expected an array");
    expect_error("{\"gpu_models\":[]}", "x.json: $.instance_types: missing (expected an array)");
    expect_error("[]", "x.json: $: expected an object");
    expect_error("{\"gpu_models\":[],\n\"instance_types\":[,]}", "x.json:2: malformed JSON");
}

Test(catalog, cpu_only_type_and_missing_file)
{
    const char *j = "{\"gpu_models\":[],\"instance_types\":[{\"name\":\"c7i.large\",\"vcpu\":2,"
                    "\"memory_gib\":4,\"gpus\":0,\"price_usd_per_hour\":0.08925,"
                    "\"price_date\":\"2026-07-20\",\"source\":\"s\"}]}";
    struct catalog cat;
    struct os_error e = {{0}};
    cr_assert_eq(catalog_parse(&cat, j, strlen(j), "x.json", &e), OS_OK, "%s", e.msg);
    cr_assert_eq(cat.types[0].gpu_model, -1);
    catalog_destroy(&cat);
    cr_assert_eq(catalog_load(&cat, "no/such/file.json", &e), OS_ENOENT);
    cr_assert_str_eq(e.msg, "no/such/file.json: cannot open");
}
