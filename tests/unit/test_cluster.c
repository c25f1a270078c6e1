/* test_cluster.c - node storage, labels, lifecycle, groups and the index. */
#include <criterion/criterion.h>
#include <string.h>

#include "models/cluster.h"

static void ok(int rc, const struct os_error *e)
{
    cr_assert_eq(rc, OS_OK, "%s", e->msg);
}

static uint16_t whole_pool(struct cluster *c)
{
    struct os_error e = {{0}};
    struct gpu_cfg g = {.mode = GPU_MODE_WHOLE};
    uint16_t id;
    ok(cluster_add_pool(c, "whole", &g, &id, &e), &e);
    return id;
}

static struct cluster_node_spec spec(uint16_t pool, uint8_t gpus, const char *zone)
{
    return (struct cluster_node_spec){.cpu_milli = 4000,
                                      .mem_mib = 16384,
                                      .gpu_count = gpus,
                                      .gpu_model = 1,
                                      .pool = pool,
                                      .instance_type = 3,
                                      .instance_type_name = "g5.xlarge",
                                      .zone = zone,
                                      .state = CLUSTER_NODE_READY};
}

Test(cluster, init_rejects_zero_nodes)
{
    struct cluster c;
    struct os_error e = {{0}};
    struct cluster_cfg cfg = {0};
    cr_assert_eq(cluster_init(&c, &cfg, &e), OS_EINVAL);
    cr_assert(strstr(e.msg, "max_nodes") != NULL);
    cluster_destroy(&c); /* safe on the zeroed struct */
}

Test(cluster, add_node_sets_hot_arrays_and_well_known_labels)
{
    struct cluster c;
    struct os_error e = {{0}};
    struct cluster_cfg cfg = {.max_nodes = 8};
    ok(cluster_init(&c, &cfg, &e), &e);
    uint16_t p = whole_pool(&c);
    struct cluster_label lab[] = {{"team", "ml"}};
    struct cluster_node_spec s = spec(p, 4, "us-east-1a");
    s.name = "ip-10-0-0-1";
    s.labels = lab;
    s.n_labels = 1;
    s.max_pods = 110;
    uint32_t n;
    ok(cluster_add_node(&c, &s, &n, &e), &e);
    cr_assert_eq(n, 0);
    cr_assert_str_eq(c.name[0], "ip-10-0-0-1");
    cr_assert_eq(c.cpu_free[0], 4000);
    cr_assert_eq(c.mem_cap[0], 16384);
    cr_assert_eq(c.free_whole[0], 4);
    cr_assert_eq(c.res_free[0], 4);
    cr_assert_eq(c.res[0], GPU_RES_GPU);
    cr_assert_eq(c.max_pods[0], 110);
    cr_assert_eq(c.milli_free_sum[0], 4000);
    int col = cluster_label_col(&c, "topology.kubernetes.io/zone");
    cr_assert_geq(col, 0);
    uint32_t pr = cluster_node_label(&c, 0, (uint16_t)col);
    cr_assert_str_eq(cluster_string(&c, c.pair_val[pr]), "us-east-1a");
    int ecs = cluster_label_col(&c, "ecs.instance-type");
    cr_assert_str_eq(cluster_string(&c, c.pair_val[cluster_node_label(&c, 0, (uint16_t)ecs)]),
                     "g5.xlarge");
    int team = cluster_label_col(&c, "team");
    cr_assert_geq(team, 0);
    cr_assert_neq(cluster_node_label(&c, 0, (uint16_t)team), 0);
    cr_assert_eq(cluster_label_col(&c, "nope"), -1);
    /* the availability index holds the node at levels 1..4 */
    for (int k = 1; k <= 4; k++)
        cr_assert_eq(c.avail_count[k], 1);
    cr_assert_eq(c.avail_count[5], 0);
    ok(cluster_check(&c, &e), &e);
    cluster_destroy(&c);
}

Test(cluster, add_node_errors_name_the_field)
{
    struct cluster c;
    struct os_error e = {{0}};
    struct cluster_cfg cfg = {.max_nodes = 1, .max_gpus = 2};
    ok(cluster_init(&c, &cfg, &e), &e);
    uint16_t p = whole_pool(&c);
    uint32_t n;
    struct cluster_node_spec s = spec(p, 1, NULL);
    s.name = "bad";
    s.cpu_milli = -1;
    cr_assert_eq(cluster_add_node(&c, &s, &n, &e), OS_EINVAL);
    cr_assert_str_eq(e.msg, "node 'bad': cpu_milli: expected a positive integer");
    s = spec(p, 4, NULL);
    cr_assert_eq(cluster_add_node(&c, &s, &n, &e), OS_EFULL); /* GPU slots */
    s = spec(7, 1, NULL);
    cr_assert_eq(cluster_add_node(&c, &s, &n, &e), OS_EINVAL);
    s = spec(p, 1, NULL);
    ok(cluster_add_node(&c, &s, &n, &e), &e);
    cr_assert_eq(cluster_add_node(&c, &s, &n, &e), OS_EFULL); /* nodes */
    cluster_destroy(&c);
}

Test(cluster, bind_unbind_and_groups)
{
    struct cluster c;
    struct os_error e = {{0}};
    struct cluster_cfg cfg = {.max_nodes = 8, .max_groups = 2};
    ok(cluster_init(&c, &cfg, &e), &e);
    uint16_t p = whole_pool(&c);
    uint32_t n0, n1;
    struct cluster_node_spec s = spec(p, 2, "az-a");
    ok(cluster_add_node(&c, &s, &n0, &e), &e);
    s.zone = "az-b";
    ok(cluster_add_node(&c, &s, &n1, &e), &e);
    struct gpu_alloc a;
    struct gpu_req r = {.count = 1, .res = GPU_RES_GPU};
    ok(gpu_choose(&c, n1, &r, &a), &e);
    cluster_bind(&c, n1, 1000, 2048, 2, &a);
    cr_assert_eq(c.cpu_free[n1], 3000);
    cr_assert_eq(c.mem_free[n1], 14336);
    cr_assert_eq(c.pods[n1], 1);
    cr_assert_eq(c.free_whole[n1], 1);
    cr_assert_eq(cluster_group_on_node(&c, 2, n1), 1);
    cr_assert_eq(cluster_group_on_node(&c, 1, n1), 0);
    cr_assert_eq(cluster_group_on_node(&c, CLUSTER_NO_GROUP, n1), 0);
    int col = cluster_label_col(&c, "ecs.availability-zone");
    uint32_t pb = cluster_node_label(&c, n1, (uint16_t)col);
    uint32_t pa = cluster_node_label(&c, n0, (uint16_t)col);
    cr_assert_eq(cluster_group_on_pair(&c, 2, pb), 1);
    cr_assert_eq(cluster_group_on_pair(&c, 2, pa), 0);
    /* zero requests count as 100 milli / 200 MiB for kube-scheduler scoring */
    cluster_bind(&c, n0, 0, 0, CLUSTER_NO_GROUP, NULL);
    cr_assert_eq(c.cpu_nz_req[n0], 100);
    cr_assert_eq(c.mem_nz_req[n0], 200);
    cr_assert_eq(c.cpu_free[n0], 4000);
    /* relabelling moves the group's count */
    ok(cluster_set_label(&c, n1, "ecs.availability-zone", "az-a", &e), &e);
    cr_assert_eq(cluster_group_on_pair(&c, 2, pa), 1);
    cr_assert_eq(cluster_group_on_pair(&c, 2, pb), 0);
    cluster_unbind(&c, n1, 1000, 2048, 2, &a);
    cluster_unbind(&c, n0, 0, 0, CLUSTER_NO_GROUP, NULL);
    cr_assert_eq(c.cpu_nz_req[n0], 0);
    cr_assert_eq(cluster_group_on_node(&c, 2, n1), 0);
    cr_assert_eq(cluster_group_on_pair(&c, 2, pa), 0);
    cr_assert_eq(c.group_total[1], 0);
    ok(cluster_check(&c, &e), &e);
    cluster_destroy(&c);
}

Test(cluster, lifecycle_and_slot_reuse)
{
    struct cluster c;
    struct os_error e = {{0}};
    struct cluster_cfg cfg = {.max_nodes = 2, .max_gpus = 8};
    ok(cluster_init(&c, &cfg, &e), &e);
    uint16_t p = whole_pool(&c);
    uint32_t n0, n1, n2;
    struct cluster_node_spec s = spec(p, 4, NULL);
    s.state = CLUSTER_NODE_PROVISIONING;
    ok(cluster_add_node(&c, &s, &n0, &e), &e);
    cr_assert(c.node_flags[n0] & CLUSTER_NF_UNSCHEDULABLE);
    cr_assert_eq(c.avail_count[1], 0); /* not READY: not in the index */
    ok(cluster_set_state(&c, n0, CLUSTER_NODE_READY, &e), &e);
    cr_assert_eq(c.avail_count[1], 1);
    cr_assert_not(c.node_flags[n0] & CLUSTER_NF_UNSCHEDULABLE);
    s.state = CLUSTER_NODE_READY;
    ok(cluster_add_node(&c, &s, &n1, &e), &e);
    cr_assert_eq(cluster_ready_nodes(&c), 2);
    struct gpu_alloc a;
    ok(gpu_choose(&c, n0, &(struct gpu_req){.count = 1, .res = GPU_RES_GPU}, &a), &e);
    cluster_bind(&c, n0, 1, 1, CLUSTER_NO_GROUP, &a);
    cr_assert_eq(cluster_set_state(&c, n0, CLUSTER_NODE_GONE, &e), OS_EINVAL);
    ok(cluster_set_state(&c, n0, CLUSTER_NODE_DRAINING, &e), &e);
    cr_assert_eq(c.avail_count[1], 1); /* only n1 */
    uint64_t gpus, milli;
    cluster_gpu_totals(&c, &gpus, &milli);
    cr_assert_eq(gpus, 8);
    cr_assert_eq(milli, 1000);
    cluster_unbind(&c, n0, 1, 1, CLUSTER_NO_GROUP, &a);
    ok(cluster_set_state(&c, n0, CLUSTER_NODE_GONE, &e), &e);
    /* the cluster is full, but the gone slot (4 GPUs) is reused for 2 GPUs */
    s = spec(p, 2, "az-z");
    ok(cluster_add_node(&c, &s, &n2, &e), &e);
    cr_assert_eq(n2, n0);
    cr_assert_eq(c.gpu_count[n2], 2);
    cr_assert_eq(c.free_whole[n2], 2);
    ok(cluster_check(&c, &e), &e);
    cluster_destroy(&c);
}

Test(cluster, reset_and_clear)
{
    struct cluster c;
    struct os_error e = {{0}};
    struct cluster_cfg cfg = {.max_nodes = 4};
    ok(cluster_init(&c, &cfg, &e), &e);
    uint16_t p = whole_pool(&c);
    uint32_t n;
    struct cluster_node_spec s = spec(p, 2, "a");
    ok(cluster_add_node(&c, &s, &n, &e), &e);
    struct gpu_alloc a;
    ok(gpu_choose(&c, n, &(struct gpu_req){.count = 2, .res = GPU_RES_GPU}, &a), &e);
    cluster_bind(&c, n, 100, 100, CLUSTER_NO_GROUP, &a);
    cluster_reset(&c);
    cr_assert_eq(c.free_whole[n], 2);
    cr_assert_eq(c.cpu_free[n], 4000);
    cr_assert_eq(c.pods[n], 0);
    ok(cluster_check(&c, &e), &e);
    cluster_clear(&c);
    cr_assert_eq(c.n_nodes, 0);
    cr_assert_eq(c.avail_count[1], 0);
    ok(cluster_add_node(&c, &s, &n, &e), &e);
    cr_assert_eq(n, 0);
    ok(cluster_check(&c, &e), &e);
    cluster_destroy(&c);
}

Test(cluster, strings_intern_once_and_fill_up)
{
    struct cluster c;
    struct os_error e = {{0}};
    struct cluster_cfg cfg = {.max_nodes = 1, .max_strings = 4};
    ok(cluster_init(&c, &cfg, &e), &e);
    uint32_t a, b, d;
    ok(cluster_intern(&c, "x", &a, &e), &e);
    ok(cluster_intern(&c, "x", &b, &e), &e);
    cr_assert_eq(a, b);
    cr_assert_eq(cluster_string_id(&c, "x"), a);
    cr_assert_eq(cluster_string_id(&c, "y"), 0);
    ok(cluster_intern(&c, "", &d, &e), &e);
    cr_assert_eq(d, 0);
    ok(cluster_intern(&c, "y", &d, &e), &e);
    ok(cluster_intern(&c, "z", &d, &e), &e);
    cr_assert_eq(cluster_intern(&c, "w", &d, &e), OS_EFULL);
    cluster_destroy(&c);
}
