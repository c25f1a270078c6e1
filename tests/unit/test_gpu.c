/* test_gpu.c - GPU sharing modes, MIG geometry, allocation records. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

#include "models/cluster.h"
#include "models/gpu.h"

/* ---------- MIG geometry (MODELS.md section 3) ---------- */

static struct gpu_mig_place mp(enum gpu_mig_family f, const char *prof, uint8_t start)
{
    int i = gpu_mig_profile_find(f, prof);
    cr_assert_geq(i, 0, "profile %s", prof);
    return (struct gpu_mig_place){(uint8_t)i, start};
}

Test(gpu, mig_valid_and_invalid_combinations_a100_40)
{
    enum gpu_mig_family f = GPU_MIG_A100_40GB;
    /* 4g@0 (slices 0-3) + 3g@4 (slices 4-7): valid */
    struct gpu_mig_place a[] = {mp(f, "4g.20gb", 0), mp(f, "3g.20gb", 4)};
    cr_assert(gpu_mig_layout_valid(f, a, 2));
    /* 4g + 4g: 4g may only start at 0, so the second overlaps: invalid */
    struct gpu_mig_place b[] = {mp(f, "4g.20gb", 0), mp(f, "4g.20gb", 0)};
    cr_assert_not(gpu_mig_layout_valid(f, b, 2));
    struct gpu_mig_place b2[] = {mp(f, "4g.20gb", 0), {b[0].profile, 4}};
    cr_assert_not(gpu_mig_layout_valid(f, b2, 2)); /* start 4 is not a 4g slot */
    /* 3g@4 + 2g@0 + 1g@2 + 1g@3: valid (7 compute slices) */
    struct gpu_mig_place c[] = {mp(f, "3g.20gb", 4), mp(f, "2g.10gb", 0), mp(f, "1g.5gb", 2),
                                mp(f, "1g.5gb", 3)};
    cr_assert(gpu_mig_layout_valid(f, c, 4));
    /* 1g x 7 at slots 0..6: valid; an eighth 1g has no slot (7 is not a start) */
    struct gpu_mig_place d[8];
    for (uint8_t s = 0; s < 7; s++)
        d[s] = mp(f, "1g.5gb", s);
    cr_assert(gpu_mig_layout_valid(f, d, 7));
    d[7] = (struct gpu_mig_place){d[0].profile, 7};
    cr_assert_not(gpu_mig_layout_valid(f, d, 8));
    /* 2g x 3 + 1g@6: valid; 3g + 3g valid; 4g + 2g + 1g valid */
    struct gpu_mig_place e[] = {mp(f, "2g.10gb", 0), mp(f, "2g.10gb", 2), mp(f, "2g.10gb", 4),
                                mp(f, "1g.5gb", 6)};
    cr_assert(gpu_mig_layout_valid(f, e, 4));
    struct gpu_mig_place g[] = {mp(f, "3g.20gb", 0), mp(f, "3g.20gb", 4)};
    cr_assert(gpu_mig_layout_valid(f, g, 2));
    struct gpu_mig_place h[] = {mp(f, "4g.20gb", 0), mp(f, "2g.10gb", 4), mp(f, "1g.5gb", 6)};
    cr_assert(gpu_mig_layout_valid(f, h, 3));
    /* 7g + anything: invalid */
    struct gpu_mig_place k[] = {mp(f, "7g.40gb", 0), mp(f, "1g.5gb", 0)};
    cr_assert_not(gpu_mig_layout_valid(f, k, 2));
    /* 1g.10gb (two memory slices) at an odd slot: invalid */
    struct gpu_mig_place m[] = {{(uint8_t)gpu_mig_profile_find(f, "1g.10gb"), 1}};
    cr_assert_not(gpu_mig_layout_valid(f, m, 1));
    /* 1g.10gb x 4 at 0,2,4,6: valid */
    struct gpu_mig_place n4[] = {mp(f, "1g.10gb", 0), mp(f, "1g.10gb", 2), mp(f, "1g.10gb", 4),
                                 mp(f, "1g.10gb", 6)};
    cr_assert(gpu_mig_layout_valid(f, n4, 4));
}

Test(gpu, mig_slices_and_profiles)
{
    int p3 = gpu_mig_profile_find(GPU_MIG_A100_40GB, "3g.20gb");
    cr_assert_eq(gpu_mig_slices(GPU_MIG_A100_40GB, (uint8_t)p3, 4), 0xf0);
    cr_assert_eq(gpu_mig_slices(GPU_MIG_A100_40GB, (uint8_t)p3, 2), 0);
    int p7 = gpu_mig_profile_find(GPU_MIG_H100_80GB, "7g.80gb");
    cr_assert_eq(gpu_mig_slices(GPU_MIG_H100_80GB, (uint8_t)p7, 0), 0xff);
    cr_assert_eq(gpu_mig_profile_find(GPU_MIG_A100_80GB, "1g.5gb"), -1);
    cr_assert_geq(gpu_mig_profile_find(GPU_MIG_A100_80GB, "1g.10gb"), 0);
    cr_assert_eq(gpu_mig_family_from_model("H100-80GB"), GPU_MIG_H100_80GB);
    cr_assert_eq(gpu_mig_family_from_model("T4"), GPU_MIG_FAMILY_NONE);
    struct gpu_mig_place out[GPU_MIG_LAYOUT_MAX];
    cr_assert_eq(gpu_mig_single_layout(GPU_MIG_A100_40GB, (uint8_t)p3, out), 2);
    cr_assert_eq(out[0].start, 0);
    cr_assert_eq(out[1].start, 4);
    int p1 = gpu_mig_profile_find(GPU_MIG_A100_40GB, "1g.5gb");
    cr_assert_eq(gpu_mig_single_layout(GPU_MIG_A100_40GB, (uint8_t)p1, out), 7);
}

Test(gpu, resource_names_round_trip)
{
    uint16_t r;
    struct os_error e = {{0}};
    cr_assert_eq(gpu_res_parse("nvidia.com/gpu", &r, &e), OS_OK);
    cr_assert_eq(r, GPU_RES_GPU);
    cr_assert_eq(gpu_res_parse("nvidia.com/gpu.shared", &r, &e), OS_OK);
    cr_assert_eq(r, GPU_RES_SHARED);
    cr_assert_eq(gpu_res_parse("nvidia.com/mig-3g.20gb", &r, &e), OS_OK);
    cr_assert_str_eq(gpu_res_name(r), "nvidia.com/mig-3g.20gb");
    cr_assert_eq(gpu_res_parse("nvidia.com/mig-9g.1gb", &r, &e), OS_EINVAL);
    cr_assert(strstr(e.msg, "nvidia.com/mig-9g.1gb") != NULL);
}

Test(gpu, cfg_validation)
{
    struct os_error e = {{0}};
    struct gpu_cfg ts = {.mode = GPU_MODE_TIMESLICE, .replicas = 0};
    cr_assert_eq(gpu_cfg_validate(&ts, "pool 'a'", &e), OS_EINVAL);
    cr_assert(strstr(e.msg, "pool 'a': replicas") != NULL);
    struct gpu_cfg mig = {
        .mode = GPU_MODE_MIG,
        .mig_family = GPU_MIG_A100_40GB,
        .mig_strategy = GPU_MIG_SINGLE,
        .mig_n = 2,
        .mig_layout = {mp(GPU_MIG_A100_40GB, "4g.20gb", 0), mp(GPU_MIG_A100_40GB, "3g.20gb", 4)}};
    cr_assert_eq(gpu_cfg_validate(&mig, "p", &e), OS_EINVAL);
    cr_assert(strstr(e.msg, "same profile") != NULL);
    mig.mig_strategy = GPU_MIG_MIXED;
    cr_assert_eq(gpu_cfg_validate(&mig, "p", &e), OS_OK);
    mig.mig_layout[1] = mp(GPU_MIG_A100_40GB, "4g.20gb", 0);
    cr_assert_eq(gpu_cfg_validate(&mig, "p", &e), OS_EINVAL);
    struct gpu_cfg nomig = {.mode = GPU_MODE_MIG, .mig_family = GPU_MIG_FAMILY_NONE, .mig_n = 1};
    cr_assert_eq(gpu_cfg_validate(&nomig, "p", &e), OS_EINVAL);
}

/* ---------- accounting on a one-node cluster per mode ---------- */

struct one {
    struct cluster c;
    uint32_t node;
};

static void one_init(struct one *o, const struct gpu_cfg *cfg, uint8_t gpus)
{
    struct os_error e = {{0}};
    struct cluster_cfg cc = {.max_nodes = 4};
    cr_assert_eq(cluster_init(&o->c, &cc, &e), OS_OK, "%s", e.msg);
    uint16_t pool;
    cr_assert_eq(cluster_add_pool(&o->c, "p", cfg, &pool, &e), OS_OK, "%s", e.msg);
    struct cluster_node_spec s = {.name = "n0",
                                  .cpu_milli = 64000,
                                  .mem_mib = 262144,
                                  .gpu_count = gpus,
                                  .gpu_model = 0,
                                  .pool = pool,
                                  .instance_type = -1,
                                  .state = CLUSTER_NODE_READY};
    cr_assert_eq(cluster_add_node(&o->c, &s, &o->node, &e), OS_OK, "%s", e.msg);
}

static void check(const struct cluster *c)
{
    struct os_error e = {{0}};
    cr_assert_eq(cluster_check(c, &e), OS_OK, "%s", e.msg);
}

static int alloc(struct one *o, struct gpu_req r, struct gpu_alloc *a)
{
    int rc = gpu_choose(&o->c, o->node, &r, a);
    if (rc == OS_OK) {
        cr_assert(gpu_alloc_valid(&o->c, &r, a));
        gpu_commit(&o->c, a);
        check(&o->c);
    }
    return rc;
}

Test(gpu, whole_lowest_free_ids)
{
    struct one o;
    struct gpu_cfg cfg = {.mode = GPU_MODE_WHOLE};
    one_init(&o, &cfg, 4);
    struct gpu_alloc a, b;
    struct gpu_req two = {.count = 2, .res = GPU_RES_GPU};
    cr_assert_eq(alloc(&o, two, &a), OS_OK);
    cr_assert_eq(a.n, 2);
    cr_assert_eq(a.part[0].gpu, 0); /* lowest free IDs [U] */
    cr_assert_eq(a.part[1].gpu, 1);
    cr_assert_eq(o.c.free_whole[0], 2);
    struct gpu_req three = {.count = 3, .res = GPU_RES_GPU};
    struct gpu_alloc x;
    cr_assert_eq(gpu_choose(&o.c, 0, &three, &x), OS_ENOFIT);
    cr_assert_eq(alloc(&o, two, &b), OS_OK);
    cr_assert_eq(b.part[0].gpu, 2);
    cr_assert_eq(o.c.free_whole[0], 0);
    cr_assert_float_eq(gpu_alloc_share(&o.c, &b), 2.0, 1e-12);
    gpu_release(&o.c, &a);
    check(&o.c);
    cr_assert_eq(o.c.free_whole[0], 2);
    /* a fraction is not acceptable on a WHOLE pool */
    struct gpu_req frac = {.count = 1, .milli = 500, .res = GPU_RES_GPU};
    cr_assert_not(gpu_node_fits(&o.c, 0, &frac));
    cluster_destroy(&o.c);
}

Test(gpu, milli_best_fit)
{
    struct one o;
    struct gpu_cfg cfg = {.mode = GPU_MODE_MILLI};
    one_init(&o, &cfg, 2);
    struct gpu_alloc a, b, d;
    /* 600 on two empty GPUs: tie, lowest index -> GPU 0 (400 left) */
    cr_assert_eq(alloc(&o, (struct gpu_req){1, 600, GPU_RES_GPU}, &a), OS_OK);
    cr_assert_eq(a.part[0].gpu, 0);
    /* 500: GPU 0 has only 400 -> GPU 1 (500 left) */
    cr_assert_eq(alloc(&o, (struct gpu_req){1, 500, GPU_RES_GPU}, &b), OS_OK);
    cr_assert_eq(b.part[0].gpu, 1);
    /* 300: both fit; best fit is GPU 0 (400 < 500) */
    cr_assert_eq(alloc(&o, (struct gpu_req){1, 300, GPU_RES_GPU}, &d), OS_OK);
    cr_assert_eq(d.part[0].gpu, 0);
    cr_assert_eq(o.c.gpu_free_milli[0], 100);
    cr_assert_eq(o.c.gpu_free_milli[1], 500);
    cr_assert_eq(o.c.milli_free_max[0], 500);
    cr_assert_eq(o.c.milli_free_sum[0], 600);
    cr_assert_eq(o.c.free_whole[0], 0);
    cr_assert_eq(gpu_tenants(&o.c, 0), 2);
    cr_assert_float_eq(gpu_alloc_share(&o.c, &d), 0.3, 1e-12);
    /* a whole GPU does not fit now */
    cr_assert_not(gpu_node_fits(&o.c, 0, &(struct gpu_req){1, 1000, GPU_RES_GPU}));
    gpu_release(&o.c, &b);
    check(&o.c);
    cr_assert(gpu_node_fits(&o.c, 0, &(struct gpu_req){1, 1000, GPU_RES_GPU}));
    cluster_destroy(&o.c);
}

Test(gpu, timeslice_distributed_and_flags)
{
    struct one o;
    struct gpu_cfg cfg = {.mode = GPU_MODE_TIMESLICE, .replicas = 4};
    one_init(&o, &cfg, 2);
    cr_assert_eq(o.c.res_cap[0], 8); /* 4 replicas x 2 GPUs advertised */
    struct gpu_alloc a, b, d;
    cr_assert_eq(alloc(&o, (struct gpu_req){1, 0, GPU_RES_GPU}, &a), OS_OK);
    cr_assert_eq(a.part[0].gpu, 0);
    cr_assert_eq(alloc(&o, (struct gpu_req){1, 0, GPU_RES_GPU}, &b), OS_OK);
    cr_assert_eq(b.part[0].gpu, 1); /* fewest tenants */
    /* 3 replicas from tenants (1,1): GPU0 -> (2,1), GPU1 -> (2,2), GPU0 -> (3,2) */
    cr_assert_eq(alloc(&o, (struct gpu_req){3, 0, GPU_RES_GPU}, &d), OS_OK);
    cr_assert_eq(d.n, 2);
    cr_assert_eq(d.part[0].gpu, 0);
    cr_assert_eq(d.part[0].amount, 2);
    cr_assert_eq(d.part[1].gpu, 1);
    cr_assert_eq(d.part[1].amount, 1);
    cr_assert_eq(o.c.res_free[0], 3);
    cr_assert_eq(gpu_tenants(&o.c, 0), 3);
    /* time-slicing share: a's one replica among 3 tenants on GPU 0 */
    cr_assert_float_eq(gpu_alloc_share(&o.c, &a), 1.0 / 3.0, 1e-12);
    /* the shared name is not advertised without renameByDefault */
    cr_assert_not(gpu_node_fits(&o.c, 0, &(struct gpu_req){1, 0, GPU_RES_SHARED}));
    gpu_release(&o.c, &d);
    check(&o.c);
    cr_assert_float_eq(gpu_alloc_share(&o.c, &a), 1.0, 1e-12);
    cluster_destroy(&o.c);

    struct gpu_cfg ren = {.mode = GPU_MODE_TIMESLICE,
                          .replicas = 2,
                          .rename_by_default = true,
                          .fail_requests_gt_one = true};
    one_init(&o, &ren, 1);
    cr_assert(gpu_node_fits(&o.c, 0, &(struct gpu_req){1, 0, GPU_RES_SHARED}));
    cr_assert_not(gpu_node_fits(&o.c, 0, &(struct gpu_req){1, 0, GPU_RES_GPU}));
    /* failRequestsGreaterThanOne: 2 replicas rejected even though 2 are free */
    cr_assert_not(gpu_node_fits(&o.c, 0, &(struct gpu_req){2, 0, GPU_RES_SHARED}));
    cr_assert_not(gpu_req_acceptable(&ren, &(struct gpu_req){2, 0, GPU_RES_SHARED}));
    cr_assert(o.c.node_flags[0] & CLUSTER_NF_FAIL_GT_ONE);
    cluster_destroy(&o.c);
}

Test(gpu, mps_share_is_one_over_r)
{
    struct one o;
    struct gpu_cfg cfg = {.mode = GPU_MODE_MPS, .replicas = 4};
    one_init(&o, &cfg, 1);
    struct gpu_alloc a;
    cr_assert_eq(alloc(&o, (struct gpu_req){1, 0, GPU_RES_GPU}, &a), OS_OK);
    cr_assert_float_eq(gpu_alloc_share(&o.c, &a), 0.25, 1e-12);
    cr_assert_eq(o.c.gpu_free_milli[0], 750);
    cr_assert_eq(o.c.res_free[0], 3);
    cluster_destroy(&o.c);
}

Test(gpu, mig_single_instances_as_nvidia_gpu)
{
    struct one o;
    struct gpu_cfg cfg = {
        .mode = GPU_MODE_MIG, .mig_family = GPU_MIG_A100_40GB, .mig_strategy = GPU_MIG_SINGLE};
    cfg.mig_n = gpu_mig_single_layout(GPU_MIG_A100_40GB,
                                      (uint8_t)gpu_mig_profile_find(GPU_MIG_A100_40GB, "1g.5gb"),
                                      cfg.mig_layout);
    one_init(&o, &cfg, 2);
    cr_assert_eq(o.c.res_cap[0], 14);
    struct gpu_alloc a, b;
    cr_assert_eq(alloc(&o, (struct gpu_req){3, 0, GPU_RES_GPU}, &a), OS_OK);
    cr_assert_eq(a.n, 1);
    cr_assert_eq(a.part[0].mig_entries, 0x07);
    cr_assert_float_eq(gpu_alloc_share(&o.c, &a), 3.0 / 7.0, 1e-12);
    /* 5 more: 4 left on GPU 0, 1 on GPU 1 */
    cr_assert_eq(alloc(&o, (struct gpu_req){5, 0, GPU_RES_GPU}, &b), OS_OK);
    cr_assert_eq(b.n, 2);
    cr_assert_eq(b.part[0].mig_entries, 0x78);
    cr_assert_eq(b.part[1].mig_entries, 0x01);
    cr_assert_eq(o.c.gpu_free_milli[0], 0);
    cr_assert_eq(o.c.res_free[0], 6);
    cr_assert_eq(gpu_tenants(&o.c, 0), 7);
    gpu_release(&o.c, &a);
    check(&o.c);
    cr_assert_eq(o.c.res_free[0], 9);
    cluster_destroy(&o.c);
}

Test(gpu, mig_mixed_profiles)
{
    struct one o;
    enum gpu_mig_family f = GPU_MIG_A100_40GB;
    struct gpu_cfg cfg = {
        .mode = GPU_MODE_MIG,
        .mig_family = f,
        .mig_strategy = GPU_MIG_MIXED,
        .mig_n = 3,
        .mig_layout = {mp(f, "4g.20gb", 0), mp(f, "2g.10gb", 4), mp(f, "1g.5gb", 6)}};
    one_init(&o, &cfg, 1);
    uint16_t r2, r3, r4;
    struct os_error e;
    gpu_res_parse("nvidia.com/mig-2g.10gb", &r2, &e);
    gpu_res_parse("nvidia.com/mig-3g.20gb", &r3, &e);
    gpu_res_parse("nvidia.com/mig-4g.20gb", &r4, &e);
    cr_assert(o.c.node_flags[0] & CLUSTER_NF_MIG_MIXED);
    cr_assert_not(gpu_node_fits(&o.c, 0, &(struct gpu_req){1, 0, r3})); /* not in layout */
    cr_assert_not(gpu_node_fits(&o.c, 0, &(struct gpu_req){1, 0, GPU_RES_GPU}));
    struct gpu_alloc a, b;
    cr_assert_eq(alloc(&o, (struct gpu_req){1, 0, r2}, &a), OS_OK);
    cr_assert_eq(a.part[0].mig_entries, 0x02);
    cr_assert_float_eq(gpu_alloc_share(&o.c, &a), 2.0 / 7.0, 1e-12);
    cr_assert_not(gpu_node_fits(&o.c, 0, &(struct gpu_req){1, 0, r2}));
    cr_assert_eq(alloc(&o, (struct gpu_req){1, 0, r4}, &b), OS_OK);
    cr_assert_eq(b.part[0].mig_entries, 0x01);
    /* used compute 6 of 7 -> free milli 1000 - 6000/7 = 143 */
    cr_assert_eq(o.c.gpu_free_milli[0], 143);
    gpu_release(&o.c, &a);
    gpu_release(&o.c, &b);
    check(&o.c);
    cr_assert_eq(o.c.gpu_free_milli[0], 1000);
    cluster_destroy(&o.c);
}

/* ---------- randomized alloc/free over every mode ---------- */

struct snap {
    void *p[12];
    size_t sz[12];
    int n;
};

static void snap_add(struct snap *s, const void *p, size_t sz)
{
    s->p[s->n] = malloc(sz);
    memcpy(s->p[s->n], p, sz);
    s->sz[s->n++] = sz;
}

static void snap_take(struct snap *s, const struct cluster *c)
{
    size_t nn = c->n_nodes, ng = c->n_gpus;
    s->n = 0;
    snap_add(s, c->gpu_free_milli, ng * sizeof *c->gpu_free_milli);
    snap_add(s, c->gpu_used, ng * sizeof *c->gpu_used);
    snap_add(s, c->free_whole, nn * sizeof *c->free_whole);
    snap_add(s, c->res_free, nn * sizeof *c->res_free);
    snap_add(s, c->milli_free_max, nn * sizeof *c->milli_free_max);
    snap_add(s, c->milli_free_sum, nn * sizeof *c->milli_free_sum);
    snap_add(s, c->cpu_free, nn * sizeof *c->cpu_free);
    snap_add(s, c->mem_free, nn * sizeof *c->mem_free);
    snap_add(s, c->pods, nn * sizeof *c->pods);
    snap_add(s, c->avail_level, nn * sizeof *c->avail_level);
    snap_add(s, c->cpu_nz_req, nn * sizeof *c->cpu_nz_req);
    snap_add(s, c->mem_nz_req, nn * sizeof *c->mem_nz_req);
}

static void snap_cmp_free(struct snap *a, struct snap *b)
{
    for (int i = 0; i < a->n; i++) {
        cr_assert_eq(a->sz[i], b->sz[i]);
        cr_assert_eq(memcmp(a->p[i], b->p[i], a->sz[i]), 0, "array %d differs", i);
        free(a->p[i]);
        free(b->p[i]);
    }
}

Test(gpu, randomized_alloc_free_returns_to_empty)
{
    struct os_error e = {{0}};
    struct cluster c;
    struct cluster_cfg cc = {.max_nodes = 64, .max_gpus = 64 * 8};
    cr_assert_eq(cluster_init(&c, &cc, &e), OS_OK);
    enum gpu_mig_family f = GPU_MIG_H100_80GB;
    struct gpu_cfg cfgs[6] = {
        {.mode = GPU_MODE_WHOLE},
        {.mode = GPU_MODE_MILLI},
        {.mode = GPU_MODE_TIMESLICE, .replicas = 3},
        {.mode = GPU_MODE_MPS, .replicas = 4, .rename_by_default = true},
        {.mode = GPU_MODE_MIG, .mig_family = f, .mig_strategy = GPU_MIG_SINGLE},
        {.mode = GPU_MODE_MIG,
         .mig_family = f,
         .mig_strategy = GPU_MIG_MIXED,
         .mig_n = 4,
         .mig_layout = {mp(f, "3g.40gb", 4), mp(f, "2g.20gb", 0), mp(f, "1g.10gb", 2),
                        mp(f, "1g.10gb", 3)}},
    };
    cfgs[4].mig_n =
        gpu_mig_single_layout(f, (uint8_t)gpu_mig_profile_find(f, "2g.20gb"), cfgs[4].mig_layout);
    uint16_t pools[6];
    for (int i = 0; i < 6; i++)
        cr_assert_eq(cluster_add_pool(&c, "p", &cfgs[i], &pools[i], &e), OS_OK, "%s", e.msg);
    for (uint32_t n = 0; n < 48; n++) {
        struct cluster_node_spec s = {.cpu_milli = 32000,
                                      .mem_mib = 65536,
                                      .gpu_count = (uint8_t)(1u << (n % 4)),
                                      .pool = pools[n % 6],
                                      .instance_type = -1,
                                      .state = CLUSTER_NODE_READY};
        uint32_t id;
        cr_assert_eq(cluster_add_node(&c, &s, &id, &e), OS_OK, "%s", e.msg);
    }
    struct snap before, after;
    snap_take(&before, &c);

    uint16_t mig_res[4];
    gpu_res_parse("nvidia.com/mig-3g.40gb", &mig_res[0], &e);
    gpu_res_parse("nvidia.com/mig-2g.20gb", &mig_res[1], &e);
    gpu_res_parse("nvidia.com/mig-1g.10gb", &mig_res[2], &e);
    mig_res[3] = GPU_RES_GPU;

    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    enum { LIVE = 4096 };
    struct gpu_alloc *live = calloc(LIVE, sizeof *live);
    int32_t *live_cpu = calloc(LIVE, sizeof *live_cpu);
    cr_assert(live && live_cpu);
    int nlive = 0, commits = 0;
    for (int step = 0; step < 20000; step++) {
        bool do_alloc = nlive == 0 || (nlive < LIVE && gsl_rng_uniform(rng) < 0.55);
        if (do_alloc) {
            uint32_t n = (uint32_t)gsl_rng_uniform_int(rng, c.n_nodes);
            struct gpu_req r = {0};
            unsigned kind = (unsigned)gsl_rng_uniform_int(rng, 5);
            if (kind == 0) {
                r = (struct gpu_req){1, (uint16_t)(1 + gsl_rng_uniform_int(rng, 999)), GPU_RES_GPU};
            } else if (kind == 1) {
                r = (struct gpu_req){(uint16_t)(1 + gsl_rng_uniform_int(rng, 3)), 0, GPU_RES_GPU};
            } else if (kind == 2) {
                r = (struct gpu_req){(uint16_t)(1 + gsl_rng_uniform_int(rng, 2)), 0,
                                     GPU_RES_SHARED};
            } else {
                r = (struct gpu_req){1, 0, mig_res[gsl_rng_uniform_int(rng, 4)]};
            }
            int32_t cpu = (int32_t)gsl_rng_uniform_int(rng, 2000);
            struct gpu_alloc a;
            if (c.cpu_free[n] >= cpu && gpu_choose(&c, n, &r, &a) == OS_OK) {
                cr_assert(gpu_alloc_valid(&c, &r, &a));
                cluster_bind(&c, n, cpu, 10, CLUSTER_NO_GROUP, &a);
                live[nlive] = a;
                live_cpu[nlive++] = cpu;
                commits++;
            }
        } else {
            int k = (int)gsl_rng_uniform_int(rng, (unsigned long)nlive);
            cluster_unbind(&c, live[k].node, live_cpu[k], 10, CLUSTER_NO_GROUP, &live[k]);
            live[k] = live[nlive - 1];
            live_cpu[k] = live_cpu[--nlive];
        }
        if (step % 997 == 0)
            check(&c);
    }
    cr_assert_gt(commits, 2000, "the test must actually allocate (%d)", commits);
    while (nlive > 0) {
        nlive--;
        cluster_unbind(&c, live[nlive].node, live_cpu[nlive], 10, CLUSTER_NO_GROUP, &live[nlive]);
    }
    check(&c);
    snap_take(&after, &c);
    snap_cmp_free(&before, &after);
    free(live);
    free(live_cpu);
    gsl_rng_free(rng);
    cluster_destroy(&c);
}
