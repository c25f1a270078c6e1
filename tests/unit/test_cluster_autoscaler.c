/* Tests of models/autoscale/cluster_autoscaler: the binpacking estimator's
 * node counts (first-fit decreasing by cpu/alloc + mem/alloc, GPU-aware,
 * max pods), the expanders (least-waste, most-pods with a random tie-break,
 * priority, price, chains), the max_size cap, upcoming nodes, the
 * max-node-provision-time backoff, and scale-down (utilisation, GPU
 * utilisation, movability, 10 min unneeded, delays after add, delete and
 * failure, empty bulk vs one non-empty node, min size), and extended
 * resources (MIG-mixed groups: the estimator's node count, free MIG slots
 * first, scale-down by MIG utilisation, [U] CA_EXT_UTIL). Every expected
 * value is worked out by hand in the comment beside it. Quantities: cpu
 * millicores, memory MiB, GPUs, MIG instances. */
#include <criterion/criterion.h>
#include <string.h>

#include "models/autoscale/cluster_autoscaler.h"

#define S(x) ((int64_t)(x)*CA_US_PER_S)

static void mk(struct ca *ca, const struct ca_cfg *c)
{
    struct os_error err = {{0}};
    cr_assert_eq(ca_init(ca, c, &err), 0, "%s", err.msg);
}

static struct ca_group grp(int64_t cpu, int64_t mem, int64_t gpu, int32_t target, int32_t max)
{
    return (struct ca_group){
        .alloc = {cpu, mem, gpu},
        .max_pods = 110,
        .price_per_hour = 1.0,
        .min_size = 0,
        .max_size = max,
        .target_size = target,
    };
}

static struct ca_pod pod(int64_t cpu, int64_t mem, int64_t gpu)
{
    return (struct ca_pod){.req = {cpu, mem, gpu}, .node = 0};
}

static struct ca_node node(int32_t group, int64_t cpu, int64_t mem, int64_t req_cpu,
                           int64_t req_mem)
{
    return (struct ca_node){
        .group = group,
        .alloc = {cpu, mem, 0},
        .requested = {req_cpu, req_mem, 0},
        .movable = true,
        .ready = true,
        .unneeded_since_us = CA_TIME_NONE,
    };
}

/* --- estimator ---------------------------------------------------------------- */

Test(cluster_autoscaler, estimator_first_fit_decreasing)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct ca_group g = grp(4000, 16384, 0, 0, 100);
    uint32_t placed = 0;

    /* 5 pods of 1500m: two per node (4500 > 4000): 3 nodes. */
    struct ca_pod p5[5];
    for (int i = 0; i < 5; i++)
        p5[i] = pod(1500, 2048, 0);
    cr_assert_eq(ca_estimate(&ca, &g, p5, 5, &placed), 3);
    cr_assert_eq(placed, 5);

    /* A 3000/1024, B 2500/1024, C 1000/1024, D 1000/1024, E 500/8192.
     * Scores cpu/4000 + mem/16384: A 0.8125, B 0.6875, E 0.625, C = D 0.3125.
     * Order A B E C D: A -> n0 (free 1000), B -> n1 (free 1500), E -> n0
     * (free 500), C -> n1 (free 500), D fits neither -> n2: 3 nodes. (In
     * input order it would be 2: the estimator sorts.) */
    struct ca_pod mix[5] = {pod(3000, 1024, 0), pod(2500, 1024, 0), pod(1000, 1024, 0),
                            pod(1000, 1024, 0), pod(500, 8192, 0)};
    cr_assert_eq(ca_estimate(&ca, &g, mix, 5, &placed), 3);

    /* max pods 3 per node, 7 tiny pods: ceil(7 / 3) = 3 nodes. */
    struct ca_group small = g;
    small.max_pods = 3;
    struct ca_pod tiny[7];
    for (int i = 0; i < 7; i++)
        tiny[i] = pod(10, 10, 0);
    cr_assert_eq(ca_estimate(&ca, &small, tiny, 7, &placed), 3);

    /* Memory-bound: 16384 MiB, pods of 6000 MiB: two per node; 5 pods: 3. */
    struct ca_pod mem[5];
    for (int i = 0; i < 5; i++)
        mem[i] = pod(100, 6000, 0);
    cr_assert_eq(ca_estimate(&ca, &g, mem, 5, &placed), 3);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, estimator_is_gpu_aware)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct ca_group cpu = grp(32000, 131072, 0, 0, 100);
    struct ca_group gpu = grp(32000, 131072, 4, 0, 100);
    gpu.gpu_only = true;
    uint32_t placed = 0;
    /* Three pods of 2 GPUs: none fits a CPU template; on 4-GPU nodes two per
     * node: 2 nodes. */
    struct ca_pod p[4] = {pod(1000, 4096, 2), pod(1000, 4096, 2), pod(1000, 4096, 2),
                          pod(1000, 4096, 0)};
    cr_assert_eq(ca_estimate(&ca, &cpu, p, 3, &placed), 0);
    cr_assert_eq(placed, 0);
    cr_assert_eq(ca_estimate(&ca, &gpu, p, 3, &placed), 2);
    cr_assert_eq(placed, 3);
    /* The CPU-only pod does not fit the tainted GPU group ([U] CA_GPU_ONLY). */
    cr_assert_eq(ca_estimate(&ca, &gpu, &p[3], 1, &placed), 0);
    /* A pod needing 8 GPUs fits no 4-GPU template. */
    struct ca_pod big = pod(1000, 4096, 8);
    cr_assert_eq(ca_estimate(&ca, &gpu, &big, 1, &placed), 0);
    ca_destroy(&ca);
}

/* --- expanders ------------------------------------------------------------------ */

/* Three empty groups and 3 pending pods of 2000m / 4096 MiB:
 *   G0 4000m / 16384: 2 nodes; waste cpu (8000-6000)/8000 = 0.25, mem
 *      (32768-12288)/32768 = 0.625: 0.875.
 *   G1 8000m / 16384: 1 node; cpu 0.25, mem (16384-12288)/16384 = 0.25: 0.5.
 *   G2 16000m / 65536: 1 node; cpu 0.625, mem 0.8125: 1.4375.
 * Prices 0.2, 0.5, 0.7 $/h; priorities 10, 5, 10. */
static void three_groups(struct ca_group g[3], struct ca_pod p[3])
{
    g[0] = grp(4000, 16384, 0, 0, 10);
    g[1] = grp(8000, 16384, 0, 0, 10);
    g[2] = grp(16000, 65536, 0, 0, 10);
    g[0].price_per_hour = 0.2;
    g[1].price_per_hour = 0.5;
    g[2].price_per_hour = 0.7;
    g[0].priority = 10;
    g[1].priority = 5;
    g[2].priority = 10;
    for (int i = 0; i < 3; i++)
        p[i] = pod(2000, 4096, 0);
}

static struct ca_decision up_with(const enum ca_expander *ex, uint32_t nex, uint64_t seed,
                                  gsl_rng *rng)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    c.nexpanders = nex;
    for (uint32_t i = 0; i < nex; i++)
        c.expanders[i] = ex[i];
    c.seed = seed;
    c.rng = rng;
    mk(&ca, &c);
    struct ca_group g[3];
    struct ca_pod p[3];
    three_groups(g, p);
    struct ca_input in = {.groups = g, .ngroups = 3, .pending = p, .npending = 3};
    struct ca_decision d;
    cr_assert_eq(ca_step(&ca, 0, &in, &d), 0);
    ca_destroy(&ca);
    return d;
}

Test(cluster_autoscaler, least_waste_is_the_default)
{
    enum ca_expander lw = CA_EXPANDER_LEAST_WASTE;
    struct ca_decision d = up_with(&lw, 1, 0, NULL);
    cr_assert_eq(d.reason, CA_SCALE_UP);
    cr_assert_eq(d.unschedulable, 3);
    cr_assert_eq(d.noptions, 3);
    cr_assert_eq(d.up_group, 1); /* waste 0.5 < 0.875 < 1.4375 */
    cr_assert_eq(d.up_delta, 1);
    cr_assert_eq(d.up_pods, 3);
    struct ca_cfg c;
    ca_cfg_defaults(&c);
    cr_assert_eq(c.expanders[0], CA_EXPANDER_LEAST_WASTE);
    cr_assert_eq(c.nexpanders, 1);
}

Test(cluster_autoscaler, price_priority_and_chains)
{
    /* price [U]: G0 2 * 0.2 = 0.4 < G1 0.5 < G2 0.7. */
    enum ca_expander price = CA_EXPANDER_PRICE;
    cr_assert_eq(up_with(&price, 1, 0, NULL).up_group, 0);
    cr_assert_eq(up_with(&price, 1, 0, NULL).up_delta, 2);
    /* priority, least-waste: priority keeps G0 and G2 (10); least waste
     * 0.875 < 1.4375: G0 with 2 nodes. */
    enum ca_expander pl[2] = {CA_EXPANDER_PRIORITY, CA_EXPANDER_LEAST_WASTE};
    struct ca_decision d = up_with(pl, 2, 0, NULL);
    cr_assert_eq(d.up_group, 0);
    cr_assert_eq(d.up_delta, 2);
    /* least-nodes, least-waste: G1 and G2 need 1 node; G1 wastes less. */
    enum ca_expander nl[2] = {CA_EXPANDER_LEAST_NODES, CA_EXPANDER_LEAST_WASTE};
    cr_assert_eq(up_with(nl, 2, 0, NULL).up_group, 1);
    /* priority, least-nodes: G0 (2 nodes) and G2 (1 node): G2. */
    enum ca_expander pn[2] = {CA_EXPANDER_PRIORITY, CA_EXPANDER_LEAST_NODES};
    cr_assert_eq(up_with(pn, 2, 0, NULL).up_group, 2);
}

Test(cluster_autoscaler, ties_are_broken_at_random)
{
    /* most-pods: every group schedules the 3 pods: a three-way tie, drawn at
     * random. The draw is reproducible for a seed and covers all groups. */
    enum ca_expander mp = CA_EXPANDER_MOST_PODS;
    bool seen[3] = {false, false, false};
    for (uint64_t seed = 0; seed < 64; seed++) {
        struct ca_decision a = up_with(&mp, 1, seed, NULL);
        struct ca_decision b = up_with(&mp, 1, seed, NULL);
        cr_assert_eq(a.up_group, b.up_group);
        cr_assert(a.up_group >= 0 && a.up_group < 3);
        seen[a.up_group] = true;
    }
    cr_assert(seen[0] && seen[1] && seen[2]);
    /* The same with a caller's gsl_rng. */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    bool seen2[3] = {false, false, false};
    for (int i = 0; i < 64; i++)
        seen2[up_with(&mp, 1, 0, r).up_group] = true;
    cr_assert(seen2[0] && seen2[1] && seen2[2]);
    gsl_rng_free(r);
    /* random alone: any of the three. */
    enum ca_expander rnd = CA_EXPANDER_RANDOM;
    int32_t gsel = up_with(&rnd, 1, 7, NULL).up_group;
    cr_assert(gsel >= 0 && gsel < 3);
}

/* --- scale-up limits, upcoming nodes, provision timeout ------------------------------ */

Test(cluster_autoscaler, delta_is_capped_at_max_size)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    /* G 8000m / 16384, target 9 = 9 ready full nodes, max 10. 9 pods of
     * 2000 / 4096 (4 per node): estimate 3, capped at 10 - 9 = 1. */
    struct ca_group g = grp(8000, 16384, 0, 9, 10);
    struct ca_node n[9];
    for (int i = 0; i < 9; i++)
        n[i] = node(0, 8000, 16384, 8000, 16384);
    struct ca_pod p[9];
    for (int i = 0; i < 9; i++)
        p[i] = pod(2000, 4096, 0);
    struct ca_input in = {
        .groups = &g, .ngroups = 1, .pending = p, .npending = 9, .nodes = n, .nnodes = 9};
    struct ca_decision d;
    cr_assert_eq(ca_step(&ca, 0, &in, &d), 0);
    cr_assert_eq(d.reason, CA_SCALE_UP);
    cr_assert_eq(d.up_estimate, 3);
    cr_assert_eq(d.up_delta, 1);
    /* At max size the group offers nothing. */
    g.target_size = 10;
    /* (9 ready nodes + 1 upcoming node that 4 of the pods fill.) */
    cr_assert_eq(ca_step(&ca, S(10), &in, &d), 0);
    cr_assert_eq(d.reason, CA_NO_ACTION);
    cr_assert_eq(d.unschedulable, 5);
    cr_assert_eq(d.noptions, 0);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, pending_pods_fit_free_and_upcoming_capacity_first)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    /* One ready node with 2000m free: of 3 pods of 2000m, one fits there;
     * the other 2 need one 8000m node. */
    struct ca_group g = grp(8000, 16384, 0, 1, 10);
    struct ca_node n = node(0, 8000, 16384, 6000, 1024);
    struct ca_pod p[3] = {pod(2000, 1024, 0), pod(2000, 1024, 0), pod(2000, 1024, 0)};
    struct ca_input in = {
        .groups = &g, .ngroups = 1, .pending = p, .npending = 3, .nodes = &n, .nnodes = 1};
    struct ca_decision d;
    ca_step(&ca, 0, &in, &d);
    cr_assert_eq(d.unschedulable, 2);
    cr_assert_eq(d.up_delta, 1);
    /* The caller raises the target to 2; the node is not ready yet: the 2
     * pods fit the upcoming node: no new scale-up. */
    g.target_size = 2;
    ca_step(&ca, S(10), &in, &d);
    cr_assert_eq(d.unschedulable, 0);
    cr_assert_eq(d.reason, CA_NO_ACTION);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, provision_timeout_backs_off_the_group)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct ca_group g[3];
    struct ca_pod p[3];
    three_groups(g, p);
    struct ca_input in = {.groups = g, .ngroups = 3, .pending = p, .npending = 3};
    struct ca_decision d;
    /* t=0: least-waste picks G1 (+1). */
    ca_step(&ca, 0, &in, &d);
    cr_assert_eq(d.up_group, 1);
    g[1].target_size = 1;
    /* The node never becomes ready. Until 0 + 15 min the request is open and
     * the pods wait for the upcoming node; at t=900 s the deadline is not
     * yet passed (ExpectedAddTime.Before(now) is strict). */
    ca_step(&ca, S(900), &in, &d);
    cr_assert_eq(d.ntimeouts, 0);
    cr_assert_eq(d.unschedulable, 0);
    /* t=910: timed out: G1 is backed off for 5 min (to 1210) with 1 missing. */
    ca_step(&ca, S(910), &in, &d);
    cr_assert_eq(d.ntimeouts, 1);
    cr_assert_eq(d.timeouts[0].group, 1);
    cr_assert_eq(d.timeouts[0].missing, 1);
    cr_assert_eq(ca.groups[1].backoff_until_us, S(1210));
    /* The caller gives the node up (target 0). t=920: the pods are
     * unschedulable again; G1 is backed off: G0 (0.875) beats G2 (1.4375). */
    g[1].target_size = 0;
    ca_step(&ca, S(920), &in, &d);
    cr_assert_eq(d.noptions, 2);
    cr_assert_eq(d.up_group, 0);
    cr_assert_eq(d.up_delta, 2);
    ca_destroy(&ca);

    /* Back-off doubles on a second failure within 3 h: 5 min, then 10 min. */
    mk(&ca, &c);
    g[0].target_size = 0;
    ca_step(&ca, 0, &in, &d); /* G1 +1 */
    g[1].target_size = 1;
    ca_step(&ca, S(910), &in, &d);
    cr_assert_eq(ca.groups[1].backoff_us, S(300));
    g[1].target_size = 0;
    /* t=1210: backoff over (now < until is false): G1 again. */
    ca_step(&ca, S(1210), &in, &d);
    cr_assert_eq(d.up_group, 1);
    g[1].target_size = 1;
    ca_step(&ca, S(1210 + 910), &in, &d);
    cr_assert_eq(d.ntimeouts, 1);
    cr_assert_eq(ca.groups[1].backoff_us, S(600));
    ca_destroy(&ca);
}

/* --- scale-down ---------------------------------------------------------------- */

/* Group 4000m / 16384 (target 3, min 0): n0 75 % used, n1 25 % used with one
 * movable pod of 1000m / 1024 MiB, n2 empty. */
struct sd {
    struct ca_group g;
    struct ca_node n[3];
    struct ca_pod sched[2];
    struct ca_input in;
};

static void sd_init(struct sd *s)
{
    s->g = grp(4000, 16384, 0, 3, 10);
    s->n[0] = node(0, 4000, 16384, 3000, 4096);
    s->n[1] = node(0, 4000, 16384, 1000, 1024);
    s->n[2] = node(0, 4000, 16384, 0, 0);
    s->sched[0] = (struct ca_pod){.req = {3000, 4096, 0}, .node = 0};
    s->sched[1] = (struct ca_pod){.req = {1000, 1024, 0}, .node = 1};
    s->in = (struct ca_input){.groups = &s->g,
                              .ngroups = 1,
                              .nodes = s->n,
                              .nnodes = 3,
                              .scheduled = s->sched,
                              .nscheduled = 2};
}

Test(cluster_autoscaler, unneeded_for_10_min_then_empty_first)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct sd s;
    sd_init(&s);
    struct ca_decision d;
    /* t=0: n0 at 75 % is needed; n1 (25 %) is unneeded, its pod fits n0's
     * 1000m; n2 is empty and unneeded. Nothing is deleted before 10 min. */
    ca_step(&ca, 0, &s.in, &d);
    cr_assert_eq(d.nunneeded, 2);
    cr_assert_eq(s.n[0].unneeded_since_us, CA_TIME_NONE);
    cr_assert_eq(s.n[1].unneeded_since_us, 0);
    cr_assert_eq(s.n[2].unneeded_since_us, 0);
    cr_assert_eq(d.down, CA_DOWN_NO_CANDIDATES);
    ca_step(&ca, S(590), &s.in, &d);
    cr_assert_eq(d.ndelete, 0);
    /* t=600: both eligible; the empty one goes first, alone. */
    ca_step(&ca, S(600), &s.in, &d);
    cr_assert_eq(d.reason, CA_SCALE_DOWN);
    cr_assert_eq(d.ndelete, 1);
    cr_assert_eq(d.delete[0], 2);
    cr_assert(d.delete_empty);
    /* The caller deletes n2. t=605 is not a scan; at t=610 the delay after
     * delete (10 s) has passed: n1, unneeded since 0, is drained. */
    s.g.target_size = 2;
    s.in.nnodes = 2;
    ca_step(&ca, S(605), &s.in, &d);
    cr_assert_eq(d.reason, CA_NOT_DUE);
    ca_step(&ca, S(610), &s.in, &d);
    cr_assert_eq(d.ndelete, 1);
    cr_assert_eq(d.delete[0], 1);
    cr_assert_not(d.delete_empty);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, delay_after_delete)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    c.scan_interval_us = S(1);
    c.delay_after_delete_us = S(30);
    mk(&ca, &c);
    struct sd s;
    sd_init(&s);
    struct ca_decision d;
    ca_step(&ca, 0, &s.in, &d);
    ca_step(&ca, S(600), &s.in, &d);
    cr_assert_eq(d.delete[0], 2);
    s.in.nnodes = 2;
    s.g.target_size = 2;
    /* 600 + 30: cooldown until 630. */
    ca_step(&ca, S(629), &s.in, &d);
    cr_assert_eq(d.down, CA_DOWN_COOLDOWN_DEL);
    ca_step(&ca, S(630), &s.in, &d);
    cr_assert_eq(d.down, CA_DOWN_DELETED);
    cr_assert_eq(d.delete[0], 1);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, delay_after_add)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct sd s;
    sd_init(&s);
    /* t=0: a pending 8000m pod fits no node of this group but a second group
     * (16000m): scale-up, and no scale-down this loop. */
    struct ca_group g2[2] = {s.g, grp(16000, 65536, 0, 0, 10)};
    s.in.groups = g2;
    s.in.ngroups = 2;
    struct ca_pod big = pod(8000, 1024, 0);
    s.in.pending = &big;
    s.in.npending = 1;
    struct ca_decision d;
    ca_step(&ca, 0, &s.in, &d);
    cr_assert_eq(d.reason, CA_SCALE_UP);
    cr_assert_eq(d.up_group, 1);
    cr_assert_eq(d.down, CA_DOWN_NOT_RUN);
    cr_assert_eq(s.n[2].unneeded_since_us, CA_TIME_NONE);
    /* The new node comes up and takes the pod. t=10: n1, n2 unneeded since
     * 10; scale-down is in its 10 min cooldown after the add. */
    g2[1].target_size = 1;
    s.in.npending = 0;
    ca_step(&ca, S(10), &s.in, &d);
    cr_assert_eq(s.n[2].unneeded_since_us, S(10));
    cr_assert_eq(d.down, CA_DOWN_COOLDOWN_ADD);
    ca_step(&ca, S(590), &s.in, &d);
    cr_assert_eq(d.down, CA_DOWN_COOLDOWN_ADD);
    /* t=600: cooldown over, but unneeded only 590 s. t=610: deleted. */
    ca_step(&ca, S(600), &s.in, &d);
    cr_assert_eq(d.down, CA_DOWN_NO_CANDIDATES);
    ca_step(&ca, S(610), &s.in, &d);
    cr_assert_eq(d.down, CA_DOWN_DELETED);
    cr_assert_eq(d.delete[0], 2);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, delay_after_failure)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct sd s;
    sd_init(&s);
    struct ca_decision d;
    ca_step(&ca, 0, &s.in, &d);
    ca_step(&ca, S(600), &s.in, &d);
    cr_assert_eq(d.ndelete, 1);
    /* The deletion fails at 600: no scale-down until 600 + 180 = 780. */
    ca_scale_down_failed(&ca, S(600));
    ca_step(&ca, S(770), &s.in, &d);
    cr_assert_eq(d.down, CA_DOWN_COOLDOWN_FAIL);
    ca_step(&ca, S(780), &s.in, &d);
    cr_assert_eq(d.down, CA_DOWN_DELETED);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, utilisation_movability_and_fit)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct sd s;
    sd_init(&s);
    struct ca_decision d;
    /* n1 at exactly 50 % memory (8192 / 16384): not below 0.5: needed. */
    s.n[1].requested.mem_mib = 8192;
    ca_step(&ca, 0, &s.in, &d);
    cr_assert_eq(s.n[1].unneeded_since_us, CA_TIME_NONE);
    /* Back to 25 %, but not movable: needed. */
    s.n[1].requested.mem_mib = 1024;
    s.n[1].movable = false;
    ca_step(&ca, S(10), &s.in, &d);
    cr_assert_eq(s.n[1].unneeded_since_us, CA_TIME_NONE);
    cr_assert_eq(s.n[2].unneeded_since_us, 0); /* n2 stays unneeded since 0 */
    /* Movable, but n0 is full (4000 used). The empty n2 is evaluated first
     * (empty-first order) and counts as removed, so n1's pod fits nowhere:
     * n1 is needed, n2 unneeded. */
    s.n[1].movable = true;
    s.n[0].requested.cpu_milli = 4000;
    ca_step(&ca, S(20), &s.in, &d);
    cr_assert_eq(s.n[1].unneeded_since_us, CA_TIME_NONE);
    cr_assert_eq(s.n[2].unneeded_since_us, 0);
    cr_assert_eq(d.nunneeded, 1);
    /* n0 back at 75 % (1000 free): n1's pod fits n0: n1 unneeded since 30. */
    s.n[0].requested.cpu_milli = 3000;
    ca_step(&ca, S(30), &s.in, &d);
    cr_assert_eq(s.n[1].unneeded_since_us, S(30));
    cr_assert_eq(d.nunneeded, 2);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, gpu_nodes_use_gpu_utilisation)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct ca_group g = grp(32000, 131072, 4, 2, 10);
    g.gpu_only = true;
    /* n0: cpu 90 % but 1 of 4 GPUs (25 %): unneeded if its GPU pod moves;
     * n1: cpu 10 %, 2 of 4 GPUs (50 %, not below 0.5): needed. n0's pod
     * (1 GPU) fits n1's 2 free GPUs. */
    struct ca_node n[2] = {node(0, 32000, 131072, 28800, 4096), node(0, 32000, 131072, 3200, 4096)};
    n[0].alloc.gpu = 4;
    n[0].requested.gpu = 1;
    n[1].alloc.gpu = 4;
    n[1].requested.gpu = 2;
    struct ca_pod sched[2] = {{.req = {1000, 1024, 1}, .node = 0},
                              {.req = {3200, 4096, 2}, .node = 1}};
    struct ca_input in = {
        .groups = &g, .ngroups = 1, .nodes = n, .nnodes = 2, .scheduled = sched, .nscheduled = 2};
    struct ca_decision d;
    ca_step(&ca, 0, &in, &d);
    cr_assert_eq(n[0].unneeded_since_us, 0);
    cr_assert_eq(n[1].unneeded_since_us, CA_TIME_NONE);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, empty_bulk_limit_and_min_size)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    /* 12 empty nodes, min 0: at most 10 deleted at once. */
    struct ca_group g = grp(4000, 16384, 0, 12, 20);
    struct ca_node n[12];
    for (int i = 0; i < 12; i++)
        n[i] = node(0, 4000, 16384, 0, 0);
    struct ca_input in = {.groups = &g, .ngroups = 1, .nodes = n, .nnodes = 12};
    struct ca_decision d;
    ca_step(&ca, 0, &in, &d);
    ca_step(&ca, S(600), &in, &d);
    cr_assert_eq(d.ndelete, 10);
    cr_assert(d.delete_empty);
    for (uint32_t i = 0; i < 10; i++)
        cr_assert_eq(d.delete[i], i);
    ca_destroy(&ca);

    /* min 10: 12 - 10 = 2 may go. */
    mk(&ca, &c);
    g.min_size = 10;
    for (int i = 0; i < 12; i++)
        n[i].unneeded_since_us = CA_TIME_NONE;
    ca_step(&ca, 0, &in, &d);
    ca_step(&ca, S(600), &in, &d);
    cr_assert_eq(d.ndelete, 2);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, unready_nodes_wait_20_min)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct ca_group g = grp(4000, 16384, 0, 1, 10);
    struct ca_node n = node(0, 4000, 16384, 0, 0);
    n.ready = false;
    struct ca_input in = {.groups = &g, .ngroups = 1, .nodes = &n, .nnodes = 1};
    struct ca_decision d;
    ca_step(&ca, 0, &in, &d);
    ca_step(&ca, S(600), &in, &d);
    cr_assert_eq(d.ndelete, 0);
    ca_step(&ca, S(1200), &in, &d);
    cr_assert_eq(d.ndelete, 1);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, validation_and_bad_input)
{
    struct ca_cfg c;
    struct os_error err = {{0}};
    ca_cfg_defaults(&c);
    cr_assert_eq(ca_cfg_validate(&c, &err), 0, "%s", err.msg);
    cr_assert_eq(c.scan_interval_us, S(10));
    cr_assert_eq(c.max_node_provision_us, S(900));
    cr_assert_eq(c.unneeded_time_us, S(600));
    cr_assert_eq(c.delay_after_add_us, S(600));
    cr_assert_eq(c.delay_after_failure_us, S(180));
    cr_assert_eq(c.max_empty_bulk_delete, 10);
    c.max_empty_bulk_delete = 0;
    cr_assert_eq(ca_cfg_validate(&c, &err), OS_EINVAL);
    cr_assert(strstr(err.msg, "max_empty_bulk_delete") != NULL, "%s", err.msg);
    ca_cfg_defaults(&c);
    c.utilization_threshold = 1.5;
    cr_assert_eq(ca_cfg_validate(&c, &err), OS_EINVAL);

    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct ca_group g = grp(4000, 16384, 0, 1, 10);
    struct ca_node n = node(3, 4000, 16384, 0, 0); /* group 3 of 1 */
    struct ca_input in = {.groups = &g, .ngroups = 1, .nodes = &n, .nnodes = 1};
    struct ca_decision d;
    cr_assert_eq(ca_step(&ca, 0, &in, &d), OS_EINVAL);
    cr_assert_str_eq(ca_expander_name(CA_EXPANDER_LEAST_WASTE), "least-waste");
    ca_destroy(&ca);
}

/* --- extended resources (MIG "mixed") --------------------------------------------- */

/* Extended resource k: 0 nvidia.com/mig-3g.40gb, 1 nvidia.com/mig-1g.10gb,
 * 2 nvidia.com/mig-2g.20gb. A MIG-mixed node advertises nvidia.com/gpu: 0
 * and, here, 2 x 3g and 4 x 1g (32000m / 131072 MiB). */
#define MIG_3G 0
#define MIG_1G 1
#define MIG_2G 2

static struct ca_group mig_grp(int32_t target, int32_t max)
{
    struct ca_group g = grp(32000, 131072, 0, target, max);
    g.alloc.ext[MIG_3G] = 2;
    g.alloc.ext[MIG_1G] = 4;
    g.gpu_only = true;
    return g;
}

/* A pod requesting n instances of MIG profile k and no nvidia.com/gpu. */
static struct ca_pod xpod(int64_t cpu, int64_t mem, int k, int64_t n, int32_t node)
{
    struct ca_pod p = {.req = {.cpu_milli = cpu, .mem_mib = mem}, .node = node};
    p.req.ext[k] = n;
    return p;
}

static struct ca_node mig_node(int64_t req_cpu, int64_t req_3g, int64_t req_1g)
{
    struct ca_node n = node(0, 32000, 131072, req_cpu, 8192);
    n.alloc.ext[MIG_3G] = 2;
    n.alloc.ext[MIG_1G] = 4;
    n.requested.ext[MIG_3G] = req_3g;
    n.requested.ext[MIG_1G] = req_1g;
    return n;
}

Test(cluster_autoscaler, ext_estimator_counts_mig_nodes)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    /* 3 pods of one 3g (1000m / 4096) and 5 of one 1g (500m / 2048).
     * Scores: 3g 1000/32000 + 4096/131072 = 0.0625, 1g 0.03125: the three
     * 3g first. 3g, 3g -> n0 (its 2 x 3g); 3g -> n1; 1g x 4 -> n0 (its
     * 4 x 1g); the fifth 1g -> n1: 2 nodes. (Ignoring ext: 5500m on one
     * node; or none, as the gpu_only group refuses pods without GPUs.) */
    struct ca_group mig = mig_grp(0, 10);
    struct ca_group cpu = grp(32000, 131072, 0, 0, 10);
    struct ca_pod p[9];
    for (int i = 0; i < 3; i++)
        p[i] = xpod(1000, 4096, MIG_3G, 1, 0);
    for (int i = 3; i < 8; i++)
        p[i] = xpod(500, 2048, MIG_1G, 1, 0);
    p[8] = xpod(1000, 4096, MIG_2G, 1, 0);
    uint32_t placed = 0;
    cr_assert_eq(ca_estimate(&ca, &mig, p, 8, &placed), 2);
    cr_assert_eq(placed, 8);
    /* The CPU template has no MIG instances: none of them fits it. */
    cr_assert_eq(ca_estimate(&ca, &cpu, p, 8, &placed), 0);
    cr_assert_eq(placed, 0);
    /* A 2g pod fits neither template. */
    cr_assert_eq(ca_estimate(&ca, &mig, &p[8], 1, &placed), 0);

    /* ca_step with both groups: only the MIG group is an option: +2 nodes
     * for the 8 pods; the 2g pod stays unschedulable. */
    struct ca_group g[2] = {cpu, mig};
    struct ca_input in = {.groups = g, .ngroups = 2, .pending = p, .npending = 9};
    struct ca_decision d;
    cr_assert_eq(ca_step(&ca, 0, &in, &d), 0);
    cr_assert_eq(d.reason, CA_SCALE_UP);
    cr_assert_eq(d.unschedulable, 9);
    cr_assert_eq(d.noptions, 1);
    cr_assert_eq(d.up_group, 1);
    cr_assert_eq(d.up_delta, 2);
    cr_assert_eq(d.up_pods, 8);
    ca_destroy(&ca);
}

Test(cluster_autoscaler, ext_pods_fill_free_mig_slots_first)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    /* One ready MIG node (target 1) with both 3g taken and 4 x 1g free.
     * Pending, in order: 3g, 3g, 1g x 5. Filter-out-schedulable: the 3g
     * pods do not fit it (0 free 3g); the first four 1g do; the fifth finds
     * no 1g left. No upcoming node (target 1 = 1 ready). Left: 3g, 3g, 1g:
     * one new node (2 x 3g + 1 x 1g). (Ignoring ext, all 7 would fit the
     * node's 30000m free and nothing would scale up.) */
    struct ca_group g = mig_grp(1, 10);
    struct ca_node n = mig_node(2000, 2, 0);
    struct ca_pod p[7];
    for (int i = 0; i < 2; i++)
        p[i] = xpod(1000, 4096, MIG_3G, 1, 0);
    for (int i = 2; i < 7; i++)
        p[i] = xpod(500, 2048, MIG_1G, 1, 0);
    struct ca_input in = {
        .groups = &g, .ngroups = 1, .pending = p, .npending = 7, .nodes = &n, .nnodes = 1};
    struct ca_decision d;
    cr_assert_eq(ca_step(&ca, 0, &in, &d), 0);
    cr_assert_eq(d.reason, CA_SCALE_UP);
    cr_assert_eq(d.unschedulable, 3);
    cr_assert_eq(d.up_delta, 1);
    cr_assert_eq(d.up_pods, 3);
    ca_destroy(&ca);
}

/* Two MIG nodes of one gpu_only group (target 2, min 0); n1 runs one 3g and
 * two 1g (3200m): MIG utilisation max(1/2, 2/4) = 0.5, not below 0.5: it is
 * needed. n0's pods are listed first in sched. */
struct mig_sd {
    struct ca_group g;
    struct ca_node n[2];
    struct ca_pod sched[6];
    struct ca_input in;
};

static void mig_sd_init(struct mig_sd *s, struct ca_node n0, uint32_t n0_pods)
{
    s->g = mig_grp(2, 10);
    s->n[0] = n0;
    s->n[1] = mig_node(3200, 1, 2);
    uint32_t k = 0;
    for (; k < n0_pods; k++)
        s->sched[k] = xpod(1000, 2048, MIG_1G, 1, 0);
    s->sched[k++] = xpod(1200, 4096, MIG_3G, 1, 1);
    s->sched[k++] = xpod(1000, 2048, MIG_1G, 1, 1);
    s->sched[k++] = xpod(1000, 2048, MIG_1G, 1, 1);
    s->in = (struct ca_input){.groups = &s->g,
                              .ngroups = 1,
                              .nodes = s->n,
                              .nnodes = 2,
                              .scheduled = s->sched,
                              .nscheduled = k};
}

Test(cluster_autoscaler, ext_mig_node_scale_down_by_mig_utilisation)
{
    struct ca_cfg c;
    struct ca ca;
    ca_cfg_defaults(&c);
    mk(&ca, &c);
    struct mig_sd s;
    struct ca_decision d;
    /* n0: cpu 28800 / 32000 = 0.9 (DaemonSets and one pod), one 1g in use:
     * MIG utilisation max(0/2, 1/4) = 0.25 < 0.5 ([U] CA_EXT_UTIL; by cpu
     * it would be 0.9 and needed). Its 1g pod (1000m) fits n1 (2 free 1g,
     * 28800m free): unneeded at 0, deleted (not empty) at 600 s. */
    mig_sd_init(&s, mig_node(28800, 0, 1), 1);
    ca_step(&ca, 0, &s.in, &d);
    cr_assert_eq(d.nunneeded, 1);
    cr_assert_eq(s.n[0].unneeded_since_us, 0);
    cr_assert_eq(s.n[1].unneeded_since_us, CA_TIME_NONE);
    ca_step(&ca, S(590), &s.in, &d);
    cr_assert_eq(d.ndelete, 0);
    ca_step(&ca, S(600), &s.in, &d);
    cr_assert_eq(d.reason, CA_SCALE_DOWN);
    cr_assert_eq(d.ndelete, 1);
    cr_assert_eq(d.delete[0], 0);
    cr_assert_not(d.delete_empty);
    ca_destroy(&ca);

    /* n0 with three 1g in use: 3/4 = 0.75, not below 0.5: needed, though
     * its cpu (3200 / 32000 = 0.1) is low and its three 1g pods would fit
     * n1 were it not so: nothing is deleted at 600 s. */
    mk(&ca, &c);
    mig_sd_init(&s, mig_node(3200, 0, 3), 3);
    ca_step(&ca, 0, &s.in, &d);
    cr_assert_eq(d.nunneeded, 0);
    cr_assert_eq(s.n[0].unneeded_since_us, CA_TIME_NONE);
    ca_step(&ca, S(600), &s.in, &d);
    cr_assert_eq(d.ndelete, 0);
    cr_assert_eq(d.down, CA_DOWN_NO_CANDIDATES);
    ca_destroy(&ca);

    /* n0 at 1/4 again, but n1 runs 4 x 1g (no 1g free; its utilisation
     * max(1/2, 4/4) = 1): n0's 1g pod fits nowhere (n1 has 27800m free),
     * so n0 is needed. */
    mk(&ca, &c);
    mig_sd_init(&s, mig_node(28800, 0, 1), 1);
    s.n[1].requested.ext[MIG_1G] = 4;
    s.n[1].requested.cpu_milli = 4200;
    ca_step(&ca, 0, &s.in, &d);
    cr_assert_eq(s.n[0].unneeded_since_us, CA_TIME_NONE);
    cr_assert_eq(d.nunneeded, 0);
    ca_destroy(&ca);

    /* the first case with n0 annotated scale-down-disabled (a GPU being
     * repartitioned): never unneeded, nothing deleted at 600 s */
    mk(&ca, &c);
    mig_sd_init(&s, mig_node(28800, 0, 1), 1);
    s.n[0].scale_down_disabled = true;
    ca_step(&ca, 0, &s.in, &d);
    cr_assert_eq(d.nunneeded, 0);
    ca_step(&ca, S(600), &s.in, &d);
    cr_assert_eq(d.ndelete, 0);
    ca_destroy(&ca);
}
