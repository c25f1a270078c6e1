/*
 * test_frag.c - FGD fragmentation (models/frag.h): hand-computed values, the
 * fast form against the per-shape definition, the per-node cache and the
 * choice of typical shapes.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "models/cluster.h"
#include "models/frag.h"

/* A GPU shape: cpu, per-GPU milli, GPU count, models, frequency. */
static struct placer_shape gshape(int32_t cpu, uint16_t milli, uint16_t count, uint64_t mask,
                                  double f)
{
    struct placer_shape s;
    memset(&s, 0, sizeof s);
    s.cpu_milli = cpu;
    s.gpu.count = count;
    s.gpu.milli = milli;
    s.gpu.res = GPU_RES_GPU;
    s.gpu_model_mask = mask;
    s.freq = f;
    return s;
}

static struct placer_shape cshape(int32_t cpu, double f)
{
    return gshape(cpu, 0, 0, 0, f);
}

/*
 * Target used below: A = 1 GPU x 500 milli, 4 cores, f 0.5; B = 1 whole GPU,
 * 8 cores, f 0.3; C = CPU-only, 2 cores, f 0.2.
 */
static void target_abc(struct placer_shape s[3])
{
    s[0] = gshape(4000, 500, 1, 0, 0.5);
    s[1] = gshape(8000, 1000, 1, 0, 0.3);
    s[2] = cshape(2000, 0.2);
}

Test(frag, hand_computed_node)
{
    struct placer_shape s[3];
    target_abc(s);
    struct frag_target t;
    struct os_error err;
    cr_assert_eq(frag_target_build(&t, s, 3, &err), 0, "%s", err.msg);
    uint16_t gpu[3] = {1000, 300, 600}; /* T = 1900 */

    /* 16 cores free. A: GPUs >= 500 are 1000 and 600, so A fits; only the
     * 300 is fragment for it: 0.5 * 300 = 150. B: 1000 fits; 300 + 600 are
     * fragment: 0.3 * 900 = 270. C never uses GPUs: 0.2 * 1900 = 380.
     * F = 150 + 270 + 380 = 800. */
    cr_assert_float_eq(frag_node_reference(s, 3, 0, 16000, gpu, 3), 800.0, 1e-9);
    cr_assert_float_eq(frag_node_compute(&t, 0, 16000, gpu, 3), 800.0, 1e-9);

    /* 6 cores free: B lacks CPU, so all of T is fragment for it:
     * 150 + 0.3 * 1900 + 380 = 150 + 570 + 380 = 1100. */
    cr_assert_float_eq(frag_node_reference(s, 3, 0, 6000, gpu, 3), 1100.0, 1e-9);
    cr_assert_float_eq(frag_node_compute(&t, 0, 6000, gpu, 3), 1100.0, 1e-9);

    /* 2 cores free: nothing fits, F = T = 1900. */
    cr_assert_float_eq(frag_node_compute(&t, 0, 2000, gpu, 3), 1900.0, 1e-9);

    /* No GPU of 500 free: [400, 300] (T 700). A: 700 * 0.5 = 350; B: 0.3 * 700
     * = 210; C: 140. F = 700. */
    uint16_t small[2] = {400, 300};
    cr_assert_float_eq(frag_node_compute(&t, 0, 16000, small, 2), 700.0, 1e-9);
    frag_target_destroy(&t);
}

Test(frag, model_constraint_makes_all_idle_fragment)
{
    /* One shape: 1 GPU x 500 that may only use model 1. On a model-0 node the
     * whole T is fragment; on a model-1 node only the too-small GPUs. */
    struct placer_shape s = gshape(1000, 500, 1, UINT64_C(1) << 1, 1.0);
    struct frag_target t;
    struct os_error err;
    cr_assert_eq(frag_target_build(&t, &s, 1, &err), 0);
    uint16_t gpu[2] = {1000, 200};
    cr_assert_float_eq(frag_node_compute(&t, 0, 8000, gpu, 2), 1200.0, 1e-9);
    cr_assert_float_eq(frag_node_compute(&t, 1, 8000, gpu, 2), 200.0, 1e-9);
    cr_assert_float_eq(frag_node_reference(&s, 1, 0, 8000, gpu, 2), 1200.0, 1e-9);
    cr_assert_float_eq(frag_node_reference(&s, 1, 1, 8000, gpu, 2), 200.0, 1e-9);
    /* A node without GPUs has nothing idle. */
    cr_assert_float_eq(frag_node_compute(&t, CLUSTER_GPU_NONE, 8000, NULL, 0), 0.0, 1e-12);
    frag_target_destroy(&t);
}

Test(frag, multi_gpu_shape_needs_enough_full_gpus)
{
    /* 2 whole GPUs, f 1. [1000, 1000, 700]: fits, fragment = 700.
     * [1000, 700, 700]: only one full GPU, so all 2400 is fragment. */
    struct placer_shape s = gshape(1000, 1000, 2, 0, 1.0);
    struct frag_target t;
    struct os_error err;
    cr_assert_eq(frag_target_build(&t, &s, 1, &err), 0);
    uint16_t a[3] = {1000, 1000, 700}, b[3] = {1000, 700, 700};
    cr_assert_float_eq(frag_node_compute(&t, 0, 8000, a, 3), 700.0, 1e-9);
    cr_assert_float_eq(frag_node_compute(&t, 0, 8000, b, 3), 2400.0, 1e-9);
    frag_target_destroy(&t);
}

/* A one-node cluster in MILLI mode whose state we set directly. */
static void one_node_cluster(struct cluster *c, uint8_t ngpu, int32_t cpu)
{
    struct os_error err;
    struct cluster_cfg cfg = {.max_nodes = 1, .max_gpus = 8};
    cr_assert_eq(cluster_init(c, &cfg, &err), 0, "%s", err.msg);
    struct gpu_cfg g = {.mode = GPU_MODE_MILLI};
    uint16_t pool;
    cr_assert_eq(cluster_add_pool(c, "p", &g, &pool, &err), 0, "%s", err.msg);
    struct cluster_node_spec s = {.name = "n0",
                                  .cpu_milli = cpu,
                                  .mem_mib = 65536,
                                  .gpu_count = ngpu,
                                  .gpu_model = 0,
                                  .pool = pool,
                                  .instance_type = -1,
                                  .state = CLUSTER_NODE_READY};
    uint32_t id;
    cr_assert_eq(cluster_add_node(c, &s, &id, &err), 0, "%s", err.msg);
}

/* Binds `milli` of GPU `gpu_local` (or nothing if gpu_local < 0) and cpu. */
static void take(struct cluster *c, int gpu_local, uint16_t milli, int32_t cpu)
{
    struct gpu_alloc a;
    memset(&a, 0, sizeof a);
    a.node = 0;
    a.mode = GPU_MODE_MILLI;
    if (gpu_local >= 0) {
        a.n = 1;
        a.part[0].gpu = c->gpu_first[0] + (uint32_t)gpu_local;
        a.part[0].amount = milli;
    }
    cluster_bind(c, 0, cpu, 0, CLUSTER_NO_GROUP, &a);
}

Test(frag, cache_and_hypothetical_moves)
{
    struct placer_shape s[3];
    target_abc(s);
    struct frag_target t;
    struct frag_nodes fn;
    struct cluster c;
    struct os_error err;
    cr_assert_eq(frag_target_build(&t, s, 3, &err), 0);
    one_node_cluster(&c, 3, 20000);
    cr_assert_eq(frag_nodes_init(&fn, &t, c.cap_nodes, &err), 0);

    /* State [1000, 300, 600], 16 cores free (see hand_computed_node). */
    take(&c, 1, 700, 2000);
    take(&c, 2, 400, 2000);
    cr_assert(frag_nodes_sync(&fn, &t, &c, 0));
    cr_assert_float_eq(frag_node_value(&fn, 0), 800.0, 1e-9);
    cr_assert_float_eq(fn.sum, 800.0, 1e-9);
    cr_assert_not(frag_nodes_sync(&fn, &t, &c, 0), "unchanged node is not recomputed");

    /* Take 500 from GPU 2 (600 -> 100) and 4 cores: [1000, 300, 100], 12
     * cores. A: 1000 fits; fragment 300 + 100 -> 0.5 * 400 = 200. B: 1000
     * fits -> 0.3 * 400 = 120. C: 0.2 * 1400 = 280. F' = 600. */
    cr_assert_float_eq(frag_node_after(&fn, &t, 0, 4000, 2, 500, 0), 600.0, 1e-9);
    /* Take the whole GPU 0 and 8 cores: [0, 300, 600], 8 cores. A: 600
     * fits; fragment 300 -> 150. B: no full GPU -> 0.3 * 900 = 270. C: 0.2 *
     * 900 = 180. F' = 600. */
    cr_assert_float_eq(frag_node_after(&fn, &t, 0, 8000, -1, 0, 1), 600.0, 1e-9);
    /* A CPU-only pod of 12 cores: 4 cores left, B lacks CPU:
     * 150 + 0.3 * 1900 + 380 = 1100. */
    cr_assert_float_eq(frag_node_after(&fn, &t, 0, 12000, -1, 0, 0), 1100.0, 1e-9);

    /* Doing the first move for real agrees with the hypothetical. */
    take(&c, 2, 500, 4000);
    cr_assert(frag_nodes_sync(&fn, &t, &c, 0));
    cr_assert_float_eq(frag_node_value(&fn, 0), 600.0, 1e-9);
    cr_assert_float_eq(fn.sum, 600.0, 1e-9);

    frag_nodes_destroy(&fn);
    cluster_destroy(&c);
    frag_target_destroy(&t);
}

Test(frag, fast_form_equals_definition_on_random_states)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 7);
    static const uint16_t millis[] = {100, 230, 320, 470, 500, 650, 810, 1000};
    for (int trial = 0; trial < 200; trial++) {
        struct placer_shape s[24];
        size_t n = 1 + gsl_rng_uniform_int(g, 24);
        for (size_t i = 0; i < n; i++) {
            int32_t cpu = 1000 * (int32_t)(1 + gsl_rng_uniform_int(g, 32));
            double f = gsl_rng_uniform(g);
            switch (gsl_rng_uniform_int(g, 4)) {
            case 0:
                s[i] = cshape(cpu, f);
                break;
            case 1:
                s[i] = gshape(cpu, 1000, (uint16_t)(1 + gsl_rng_uniform_int(g, 4)), 0, f);
                break;
            default:
                s[i] = gshape(cpu, millis[gsl_rng_uniform_int(g, 8)], 1,
                              gsl_rng_uniform_int(g, 3) ? 0 : UINT64_C(1) << 2, f);
            }
        }
        struct frag_target t;
        struct os_error err;
        cr_assert_eq(frag_target_build(&t, s, n, &err), 0);
        uint16_t gpu[8];
        uint32_t ng = 1 + (uint32_t)gsl_rng_uniform_int(g, 8);
        for (uint32_t i = 0; i < ng; i++)
            gpu[i] =
                (uint16_t)(gsl_rng_uniform_int(g, 3) ? 10 * gsl_rng_uniform_int(g, 101) : 1000);
        int32_t cpu = 1000 * (int32_t)gsl_rng_uniform_int(g, 40);
        uint8_t model = (uint8_t)gsl_rng_uniform_int(g, 4);
        double ref = frag_node_reference(s, n, model, cpu, gpu, ng);
        double fast = frag_node_compute(&t, model, cpu, gpu, ng);
        cr_assert(fabs(ref - fast) <= 1e-9 * (1 + fabs(ref)), "trial %d: %.12f vs %.12f", trial,
                  ref, fast);
        frag_target_destroy(&t);
    }
    gsl_rng_free(g);
}

Test(frag, hypothetical_equals_recomputation_on_random_moves)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 11);
    struct placer_shape s[6] = {
        gshape(4000, 500, 1, 0, 0.2),  gshape(12000, 1000, 1, 0, 0.3),
        gshape(3000, 810, 1, 0, 0.15), gshape(16000, 1000, 2, 0, 0.05),
        gshape(8000, 230, 1, 2, 0.1),  cshape(8000, 0.2),
    };
    struct frag_target t;
    struct frag_nodes fn;
    struct os_error err;
    cr_assert_eq(frag_target_build(&t, s, 6, &err), 0);
    for (int trial = 0; trial < 100; trial++) {
        struct cluster c;
        one_node_cluster(&c, 8, 64000);
        cr_assert_eq(frag_nodes_init(&fn, &t, c.cap_nodes, &err), 0);
        for (int k = 0; k < 6; k++) { /* a random used state */
            int gl = (int)gsl_rng_uniform_int(g, 8);
            uint16_t free_gl = c.gpu_free_milli[c.gpu_first[0] + (uint32_t)gl];
            if (free_gl > 0)
                take(&c, gl, (uint16_t)(1 + gsl_rng_uniform_int(g, free_gl)), 4000);
        }
        frag_nodes_sync(&fn, &t, &c, 0);
        int gl = (int)gsl_rng_uniform_int(g, 8);
        uint16_t free_gl = c.gpu_free_milli[c.gpu_first[0] + (uint32_t)gl];
        uint16_t milli = free_gl ? (uint16_t)(1 + gsl_rng_uniform_int(g, free_gl)) : 0;
        int32_t cpu = 1000 * (int32_t)gsl_rng_uniform_int(g, 30);
        double hyp = frag_node_after(&fn, &t, 0, cpu, milli ? gl : -1, milli, 0);
        take(&c, milli ? gl : -1, milli, cpu);
        uint16_t now[8];
        memcpy(now, &c.gpu_free_milli[c.gpu_first[0]], sizeof now);
        double re = frag_node_compute(&t, 0, c.cpu_free[0], now, 8);
        cr_assert(fabs(hyp - re) <= 1e-9 * (1 + fabs(re)), "trial %d: %.9f vs %.9f", trial, hyp,
                  re);
        frag_nodes_destroy(&fn);
        cluster_destroy(&c);
    }
    frag_target_destroy(&t);
    gsl_rng_free(g);
}

Test(frag, typical_shapes_cover_the_threshold)
{
    /* Counts 5, 3, 2 (10 pods). 60 % = 6 pods: 5 is not enough, 5 + 3 = 8
     * is; keep two shapes with frequencies 5/8 and 3/8. */
    struct placer_shape s[3] = {cshape(1000, 2), gshape(2000, 500, 1, 0, 5),
                                gshape(3000, 1000, 1, 0, 3)};
    size_t k = frag_typical_shapes(s, 3, 60);
    cr_assert_eq(k, 2);
    cr_assert_eq(s[0].cpu_milli, 2000);
    cr_assert_float_eq(s[0].freq, 5.0 / 8.0, 1e-12);
    cr_assert_eq(s[1].cpu_milli, 3000);
    cr_assert_float_eq(s[1].freq, 3.0 / 8.0, 1e-12);

    /* Equal counts: the larger CPU request first (the peer's reverse sort).
     * 100 % keeps everything with frequencies count / total. */
    struct placer_shape e[3] = {cshape(1000, 1), cshape(4000, 1), gshape(2000, 300, 1, 0, 2)};
    cr_assert_eq(frag_typical_shapes(e, 3, 100), 3);
    cr_assert_eq(e[0].cpu_milli, 2000);
    cr_assert_eq(e[1].cpu_milli, 4000);
    cr_assert_eq(e[2].cpu_milli, 1000);
    cr_assert_float_eq(e[0].freq, 0.5, 1e-12);
    cr_assert_float_eq(e[2].freq, 0.25, 1e-12);
}

Test(frag, rejects_bad_shapes)
{
    struct placer_shape bad = gshape(1000, 1500, 1, 0, 1);
    struct frag_target t;
    struct os_error err;
    cr_assert_eq(frag_target_build(&t, &bad, 1, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "milli") != NULL, "%s", err.msg);
    struct placer_shape neg = cshape(1000, -1);
    cr_assert_eq(frag_target_build(&t, &neg, 1, &err), OS_EINVAL);
}
