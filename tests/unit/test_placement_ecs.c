/* test_placement_ecs.c - ECS strategies, chains and constraints. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <string.h>

#include "models/cluster.h"
#include "models/placement/placement.h"

static void ok(int rc, const struct os_error *e)
{
    cr_assert_eq(rc, OS_OK, "%s", e->msg);
}

struct fx {
    struct cluster c;
    struct placer p;
    gsl_rng *rng;
};

/* Nodes: {type, zone, gpus}; 8000 milli-CPU, 32768 MiB each. */
struct nd {
    const char *type, *zone;
    uint8_t gpus;
};

static void fx_init(struct fx *f, const struct nd *nodes, size_t n, const char *policy)
{
    struct os_error e = {{0}};
    memset(f, 0, sizeof *f);
    struct cluster_cfg cfg = {.max_nodes = 16, .max_groups = 4};
    ok(cluster_init(&f->c, &cfg, &e), &e);
    uint16_t pool;
    struct gpu_cfg g = {.mode = GPU_MODE_WHOLE};
    ok(cluster_add_pool(&f->c, "ecs", &g, &pool, &e), &e);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "i-%02zu", i);
        struct cluster_node_spec s = {.name = name,
                                      .cpu_milli = 8000,
                                      .mem_mib = 32768,
                                      .gpu_count = nodes[i].gpus,
                                      .pool = pool,
                                      .instance_type = -1,
                                      .instance_type_name = nodes[i].type,
                                      .zone = nodes[i].zone,
                                      .state = CLUSTER_NODE_READY};
        uint32_t id;
        ok(cluster_add_node(&f->c, &s, &id, &e), &e);
    }
    if (policy)
        ok(placer_init(&f->p, policy, &f->c, NULL, &e), &e);
    f->rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(f->rng, 1);
}

static void fx_destroy(struct fx *f)
{
    gsl_rng_free(f->rng);
    placer_destroy(&f->p);
    cluster_destroy(&f->c);
}

static uint32_t place(struct fx *f, const struct pod_req *r)
{
    struct placement pl;
    int rc = placer_place(&f->p, &f->c, r, f->rng, &pl);
    cr_assert_eq(rc, OS_OK);
    return pl.node;
}

static const struct nd four[] = {
    {"g5.xlarge", "us-east-1a", 1},
    {"g5.12xlarge", "us-east-1a", 4},
    {"g4dn.xlarge", "us-east-1b", 1},
    {"g5.xlarge", "us-east-1b", 1},
};

Test(placement_ecs, binpack_memory_least_remaining)
{
    struct fx f;
    fx_init(&f, four, 4, "ecs-binpack-memory");
    /* free memory: 32768, 24576, 16384, 28672 */
    cluster_bind(&f.c, 1, 0, 8192, CLUSTER_NO_GROUP, NULL);
    cluster_bind(&f.c, 2, 0, 16384, CLUSTER_NO_GROUP, NULL);
    cluster_bind(&f.c, 3, 0, 4096, CLUSTER_NO_GROUP, NULL);
    struct pod_req r = {.cpu_milli = 1024, .mem_mib = 4096};
    cr_assert_eq(place(&f, &r), 2); /* least remaining memory */
    /* a task too large for node 2 goes to the next least remaining (node 1) */
    struct pod_req big = {.cpu_milli = 1024, .mem_mib = 20000};
    cr_assert_eq(place(&f, &big), 1);
    fx_destroy(&f);
}

Test(placement_ecs, binpack_cpu)
{
    struct fx f;
    fx_init(&f, four, 4, "ecs-binpack-cpu");
    cluster_bind(&f.c, 3, 6000, 0, CLUSTER_NO_GROUP, NULL);
    struct pod_req r = {.cpu_milli = 1000, .mem_mib = 512};
    cr_assert_eq(place(&f, &r), 3);
    cr_assert_eq(place(&f, &r), 3);  /* 1000 left, still the least */
    cr_assert_neq(place(&f, &r), 3); /* now full */
    fx_destroy(&f);
}

Test(placement_ecs, spread_instance_counts_only_this_service)
{
    struct fx f;
    fx_init(&f, four, 4, "ecs-spread-instance");
    /* service 1 has tasks on nodes 0, 1, 2; service 2 has three on node 3 */
    cluster_bind(&f.c, 0, 0, 0, 1, NULL);
    cluster_bind(&f.c, 1, 0, 0, 1, NULL);
    cluster_bind(&f.c, 2, 0, 0, 1, NULL);
    for (int i = 0; i < 3; i++)
        cluster_bind(&f.c, 3, 0, 0, 2, NULL);
    struct pod_req r = {.cpu_milli = 100, .mem_mib = 100, .group = 1};
    cr_assert_eq(place(&f, &r), 3);
    fx_destroy(&f);
}

Test(placement_ecs, chain_spread_az_then_binpack_memory)
{
    struct fx f;
    fx_init(&f, four, 4, "ecs-spread-az-binpack-memory");
    /* service 1 has one task in us-east-1a (node 0) and none in us-east-1b */
    cluster_bind(&f.c, 0, 0, 1024, 1, NULL);
    /* in us-east-1b node 3 has less memory left than node 2 */
    cluster_bind(&f.c, 3, 0, 10000, CLUSTER_NO_GROUP, NULL);
    struct pod_req r = {.cpu_milli = 100, .mem_mib = 1024, .group = 1};
    cr_assert_eq(place(&f, &r), 3); /* AZ b first (0 tasks), then binpack -> node 3 */
    /* now a: 1, b: 1 -> both AZs tie; binpack memory over all four: node 3 again
     * (32768-10000-1024 = 21744 left, the least) */
    cr_assert_eq(place(&f, &r), 3);
    /* a: 1, b: 2 -> AZ a; binpack among nodes 0 (31744 left) and 1 (32768) -> 0 */
    cr_assert_eq(place(&f, &r), 0);
    fx_destroy(&f);
}

Test(placement_ecs, request_chain_overrides_default_and_default_is_az_spread)
{
    struct fx f;
    fx_init(&f, four, 4, "ecs");
    /* default: spread(attribute:ecs.availability-zone). Service 1 has two tasks in
     * AZ a, so the next one must go to AZ b (node 2 or 3) */
    cluster_bind(&f.c, 0, 0, 0, 1, NULL);
    cluster_bind(&f.c, 1, 0, 0, 1, NULL);
    struct pod_req r = {.cpu_milli = 100, .mem_mib = 100, .group = 1};
    uint32_t n = place(&f, &r);
    cr_assert(n == 2 || n == 3);
    /* with a request chain binpack(cpu) the loaded node 1 wins */
    cluster_bind(&f.c, 1, 4000, 0, CLUSTER_NO_GROUP, NULL);
    struct ecs_strategy bp;
    struct os_error e = {{0}};
    ok(ecs_strategy_parse(&f.c, "binpack", "cpu", &bp, "s", &e), &e);
    r.strategies = &bp;
    r.n_strategies = 1;
    cr_assert_eq(place(&f, &r), 1);
    cr_assert_eq(ecs_strategy_parse(&f.c, "binpak", "cpu", &bp, "x.json: $.strategy[0]", &e),
                 OS_EINVAL);
    cr_assert_str_eq(e.msg, "x.json: $.strategy[0]: type: unknown strategy 'binpak' (expected "
                            "binpack, spread or random; did you mean 'binpack'?)");
    cr_assert_eq(ecs_strategy_parse(&f.c, "spread", "", &bp, "s", &e), OS_EINVAL);
    ok(ecs_strategy_parse(&f.c, "spread", "attribute:rack", &bp, "s", &e), &e);
    cr_assert_eq(bp.field, ECS_FIELD_ATTRIBUTE);
    fx_destroy(&f);
}

Test(placement_ecs, random_is_uniform_over_feasible_and_deterministic)
{
    struct fx f;
    fx_init(&f, four, 4, "ecs-random");
    cluster_bind(&f.c, 2, 8000, 0, CLUSTER_NO_GROUP, NULL); /* node 2 full */
    struct pod_req r = {.cpu_milli = 100, .mem_mib = 100};
    int hits[4] = {0};
    gsl_rng *again = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(again, 1);
    for (int i = 0; i < 600; i++) {
        struct placement a, b;
        ok(placer_decide(&f.p, &f.c, &r, f.rng, &a), NULL);
        ok(placer_decide(&f.p, &f.c, &r, again, &b), NULL);
        cr_assert_eq(a.node, b.node);
        hits[a.node]++;
    }
    cr_assert_eq(hits[2], 0);
    for (int n = 0; n < 4; n++)
        if (n != 2)
            cr_assert(hits[n] > 150 && hits[n] < 250, "node %d: %d", n, hits[n]);
    gsl_rng_free(again);
    fx_destroy(&f);
}

Test(placement_ecs, gpus_whole_lowest_ids_and_capacity)
{
    struct fx f;
    fx_init(&f, four, 4, "ecs-binpack-memory");
    struct pod_req r = {.cpu_milli = 100, .mem_mib = 100, .gpu = {.count = 2, .res = GPU_RES_GPU}};
    struct placement pl;
    ok(placer_place(&f.p, &f.c, &r, f.rng, &pl), NULL);
    cr_assert_eq(pl.node, 1); /* the only node with >= 2 GPUs */
    cr_assert_eq(pl.gpu.n, 2);
    cr_assert_eq(pl.gpu.part[0].gpu, f.c.gpu_first[1]); /* lowest free GPU IDs */
    cr_assert_eq(pl.gpu.part[1].gpu, f.c.gpu_first[1] + 1);
    ok(placer_place(&f.p, &f.c, &r, f.rng, &pl), NULL);
    cr_assert_eq(pl.gpu.part[0].gpu, f.c.gpu_first[1] + 2);
    cr_assert_eq(placer_place(&f.p, &f.c, &r, f.rng, &pl), OS_ENOFIT);
    fx_destroy(&f);
}

Test(placement_ecs, distinct_instance_and_member_of)
{
    struct fx f;
    fx_init(&f, four, 4, "ecs-binpack-memory");
    struct os_error e = {{0}};
    struct ecs_expr g5;
    ok(ecs_expr_compile(&f.c, "attribute:ecs.instance-type =~ g5.*", &g5, "c", &e), &e);
    struct ecs_constraint cons[2] = {{ECS_CONSTRAINT_DISTINCT_INSTANCE, NULL},
                                     {ECS_CONSTRAINT_MEMBER_OF, &g5}};
    struct pod_req r = {
        .cpu_milli = 100, .mem_mib = 100, .group = 3, .constraints = cons, .n_constraints = 2};
    cr_assert_not(placement_node_fits(&f.c, &r, 2)); /* g4dn */
    bool seen[4] = {false};
    for (int i = 0; i < 3; i++)
        seen[place(&f, &r)] = true;
    cr_assert(seen[0] && seen[1] && seen[3]);
    struct placement pl;
    cr_assert_eq(placer_place(&f.p, &f.c, &r, f.rng, &pl), OS_ENOFIT); /* all used */
    ecs_expr_destroy(&g5);
    fx_destroy(&f);
}

Test(placement_ecs, expressions)
{
    struct fx f;
    fx_init(&f, four, 4, NULL);
    struct os_error e = {{0}};
    ok(cluster_set_label(&f.c, 1, "rack", "12", &e), &e);
    struct {
        const char *text;
        bool want[4];
    } cases[] = {
        {"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", {1, 1, 1, 1}},
        {"attribute:ecs.availability-zone == us-east-1b", {0, 0, 1, 1}},
        {"attribute:ecs.instance-type != g5.xlarge", {0, 1, 1, 0}},
        {"attribute:ecs.instance-type =~ g5\\..*large and "
         "attribute:ecs.availability-zone == us-east-1a",
         {1, 1, 0, 0}},
        {"not (attribute:ecs.instance-type =~ g5.*) or attribute:rack exists", {0, 1, 1, 0}},
        {"attribute:rack > 10", {0, 1, 0, 0}},
        {"attribute:rack !exists && attribute:ecs.instance-type not_in [g4dn.xlarge]",
         {1, 0, 0, 1}},
        {"ec2InstanceId in [i-00, i-03]", {1, 0, 0, 1}},
        {"attribute:ecs.instance-type =~ g5", {0, 0, 0, 0}}, /* anchored [U] */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct ecs_expr x;
        ok(ecs_expr_compile(&f.c, cases[k].text, &x, "t", &e), &e);
        for (uint32_t n = 0; n < 4; n++)
            cr_assert_eq(ecs_expr_eval(&f.c, &x, n), cases[k].want[n], "'%s' on node %u",
                         cases[k].text, n);
        ecs_expr_destroy(&x);
    }
    struct ecs_expr x;
    cr_assert_eq(ecs_expr_compile(&f.c, "attribute:a ~~ b", &x, "s.json: $.c[0]", &e), OS_EINVAL);
    cr_assert(strncmp(e.msg, "s.json: $.c[0]: 'attribute:a ~~ b': unknown operator", 52) == 0, "%s",
              e.msg);
    cr_assert_eq(ecs_expr_compile(&f.c, "task:group == x", &x, "s", &e), OS_EINVAL);
    cr_assert_eq(ecs_expr_compile(&f.c, "(attribute:a exists", &x, "s", &e), OS_EINVAL);
    cr_assert_eq(ecs_expr_compile(&f.c, "attribute:a exists extra", &x, "s", &e), OS_EINVAL);
    fx_destroy(&f);
}
