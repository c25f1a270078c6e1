/* Tests of models/autoscale/karpenter: the batcher (idle 1 s, max 10 s),
 * provisioning (NodeClaim counts and types for a batch, existing nodes
 * first, spot preference and on-demand fallback, NodePool weights, limits,
 * GPU units), eviction and disruption costs, budget arithmetic, and the
 * disruption methods (expiration, emptiness with consolidateAfter and
 * budgets, multi-node replace, filterOutSameType, single-node delete and
 * replace, spot-to-spot off, WhenEmpty), and extended resources (MIG-mixed
 * types: NodeClaim counts, unschedulable pods, free MIG slots on existing
 * nodes, consolidation). Every expected value is worked out by hand in the
 * comment beside it.
 *
 * The instance types (cpu m, mem MiB, GPUs, od $/h, spot $/h):
 *   T0 2000 / 8192      0.10 0.04
 *   T1 4000 / 16384     0.20 0.07
 *   T2 8000 / 32768     0.40 0.15
 *   T3 4000 / 16384  1  1.00 0.40
 *   T4 48000 / 196608 4 5.00 2.00
 *   T5 8000 / 32768  1 GPU of 7 units (MIG)  2.00 0.80 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/autoscale/karpenter.h"

#define S(x)  ((int64_t)(x)*KP_US_PER_S)
#define H(x)  ((int64_t)(x)*3600 * KP_US_PER_S)
#define CPU_T (UINT64_C(0x7))  /* T0..T2 */
#define GPU_T (UINT64_C(0x18)) /* T3, T4 */

static const struct kp_type TYPES[6] = {
    {2000, 8192, 0, 1, 29, 0.10, 0.04, true, true, {0}},
    {4000, 16384, 0, 1, 58, 0.20, 0.07, true, true, {0}},
    {8000, 32768, 0, 1, 58, 0.40, 0.15, true, true, {0}},
    {4000, 16384, 1, 1, 58, 1.00, 0.40, true, true, {0}},
    {48000, 196608, 4, 1, 234, 5.00, 2.00, true, true, {0}},
    {8000, 32768, 1, 7, 58, 2.00, 0.80, true, true, {0}},
};

static void mk(struct kp *kp)
{
    struct kp_cfg c;
    struct os_error err = {{0}};
    kp_cfg_defaults(&c);
    cr_assert_eq(kp_init(kp, &c, &err), 0, "%s", err.msg);
}

static struct kp_pod pod(int64_t cpu, int64_t mem, int64_t gpu)
{
    return (struct kp_pod){.req = {cpu, mem, gpu}};
}

static struct kp_pool cpu_pool(void)
{
    struct kp_pool p;
    kp_pool_defaults(&p);
    p.types = CPU_T;
    return p;
}

/* --- batcher ------------------------------------------------------------------- */

Test(karpenter, batcher_idle_and_max)
{
    struct kp_batcher b;
    kp_batcher_init(&b, S(1), S(10));
    cr_assert_eq(kp_batcher_deadline(&b), INT64_MAX);
    cr_assert_not(kp_batcher_ready(&b, S(100)));
    /* Pods at 0, 0.5, 1.2 s: closes 1 s after the last: 2.2 s. */
    kp_batcher_trigger(&b, 0);
    kp_batcher_trigger(&b, S(1) / 2);
    kp_batcher_trigger(&b, S(1) + S(1) / 5);
    cr_assert_eq(kp_batcher_deadline(&b), S(2) + S(1) / 5);
    cr_assert_not(kp_batcher_ready(&b, S(2) + S(1) / 5 - 1));
    cr_assert(kp_batcher_ready(&b, S(2) + S(1) / 5));
    cr_assert_eq(kp_batcher_deadline(&b), INT64_MAX);
    /* A pod every 0.5 s from 20 s: the window closes at 20 + 10 = 30 s. */
    int64_t t = S(20);
    for (; t < S(30); t += S(1) / 2) {
        kp_batcher_trigger(&b, t);
        cr_assert_not(kp_batcher_ready(&b, t));
    }
    cr_assert_eq(kp_batcher_deadline(&b), S(30));
    cr_assert(kp_batcher_ready(&b, S(30)));
}

/* --- provisioning -------------------------------------------------------------- */

static struct kp_cluster cluster(const struct kp_pool *pools, uint32_t npools,
                                 const struct kp_node *nodes, uint32_t nnodes,
                                 const struct kp_pod *pods, uint32_t npods)
{
    return (struct kp_cluster){TYPES, 6, pools, npools, nodes, nnodes, pods, npods};
}

Test(karpenter, batch_packs_onto_the_cheapest_fitting_type)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool(); /* on-demand only */
    struct kp_cluster cl = cluster(&p, 1, NULL, 0, NULL, 0);
    struct kp_pod pend[6];
    for (int i = 0; i < 6; i++)
        pend[i] = pod(1500, 1024, 0);
    struct kp_claim claims[8];
    struct kp_prov_result r;
    /* 5 pods of 1500m: one NodeClaim keeps the types that fit all of them:
     * 1500 -> {T0,T1,T2}, 3000 -> {T1,T2}, 4500..7500 -> {T2}: T2 $0.40. */
    cr_assert_eq(kp_provision(&kp, &cl, pend, 5, NULL, claims, 8, &r), 0);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(claims[0].type, 2);
    cr_assert_eq(claims[0].capacity, KP_ON_DEMAND);
    cr_assert_float_eq(claims[0].price, 0.40, 1e-12);
    cr_assert_eq(claims[0].npods, 5);
    /* 6 pods: 9000m fits no type; the 6th opens a claim: T0 (1500 <= 2000). */
    int32_t assign[6];
    cr_assert_eq(kp_provision(&kp, &cl, pend, 6, assign, claims, 8, &r), 0);
    cr_assert_eq(r.nclaims, 2);
    cr_assert_eq(claims[0].type, 2);
    cr_assert_eq(claims[1].type, 0);
    cr_assert_eq(assign[5], -3); /* claim 1 */
    cr_assert_eq(assign[0], -2);
    kp_destroy(&kp);
}

Test(karpenter, sorted_by_cpu_then_memory_existing_nodes_first)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    /* One T1 node with a 3000m pod: 1000m free. */
    struct kp_pod on[1] = {pod(3000, 1024, 0)};
    struct kp_node n = {.pool = 0, .type = 1, .initialized = true, .ready = true, .npods = 1};
    struct kp_cluster cl = cluster(&p, 1, &n, 1, on, 1);
    /* Pending 800, 1500, 1500: sorted 1500, 1500, 800. The 1500s do not fit
     * the 1000m free: claim {T0,T1,T2} then {T1,T2}; the 800 fits the node. */
    struct kp_pod pend[3] = {pod(800, 1024, 0), pod(1500, 1024, 0), pod(1500, 2048, 0)};
    struct kp_claim claims[4];
    int32_t assign[3];
    struct kp_prov_result r;
    kp_provision(&kp, &cl, pend, 3, assign, claims, 4, &r);
    cr_assert_eq(r.on_existing, 1);
    cr_assert_eq(assign[0], 0);
    cr_assert_eq(assign[1], -2);
    cr_assert_eq(assign[2], -2);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(claims[0].type, 1); /* 3000m: T1 $0.20 */
    /* A deleting node is no destination: the 800 joins the claim (3800m: T1). */
    n.deleting = true;
    kp_provision(&kp, &cl, pend, 3, assign, claims, 4, &r);
    cr_assert_eq(r.on_existing, 0);
    cr_assert_eq(claims[0].npods, 3);
    cr_assert_eq(claims[0].type, 1);
    kp_destroy(&kp);
}

Test(karpenter, spot_preferred_with_on_demand_fallback)
{
    struct kp kp;
    mk(&kp);
    struct kp_type types[6];
    memcpy(types, TYPES, sizeof(types));
    struct kp_pool p = cpu_pool();
    p.allow_spot = true;
    struct kp_cluster cl = {types, 6, &p, 1, NULL, 0, NULL, 0};
    struct kp_pod pend[5];
    for (int i = 0; i < 5; i++)
        pend[i] = pod(1500, 1024, 0);
    struct kp_claim c[2];
    struct kp_prov_result r;
    /* 7500m -> T2; spot allowed and available: spot at $0.15. */
    kp_provision(&kp, &cl, pend, 5, NULL, c, 2, &r);
    cr_assert_eq(c[0].type, 2);
    cr_assert_eq(c[0].capacity, KP_SPOT);
    cr_assert_float_eq(c[0].price, 0.15, 1e-12);
    /* Two pods (3000m: T1 or T2): lowest spot price T1 $0.07. */
    kp_provision(&kp, &cl, pend, 2, NULL, c, 2, &r);
    cr_assert_eq(c[0].type, 1);
    cr_assert_eq(c[0].capacity, KP_SPOT);
    /* No spot capacity for T2: on-demand T2 at $0.40. */
    types[2].spot_available = false;
    kp_provision(&kp, &cl, pend, 5, NULL, c, 2, &r);
    cr_assert_eq(c[0].type, 2);
    cr_assert_eq(c[0].capacity, KP_ON_DEMAND);
    cr_assert_float_eq(c[0].price, 0.40, 1e-12);
    kp_destroy(&kp);
}

Test(karpenter, pool_weights_gpu_pools_and_gpu_units)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool pools[2];
    kp_pool_defaults(&pools[0]); /* GPU pool, weight 10 */
    pools[0].weight = 10;
    pools[0].types = GPU_T;
    pools[0].gpu_only = true;
    pools[1] = cpu_pool(); /* weight 50 */
    pools[1].weight = 50;
    struct kp_cluster cl = cluster(pools, 2, NULL, 0, NULL, 0);
    struct kp_claim c[4];
    int32_t assign[4];
    struct kp_prov_result r;
    /* A CPU pod: the heavier CPU pool: T0. */
    struct kp_pod cpu = pod(1000, 1024, 0);
    kp_provision(&kp, &cl, &cpu, 1, NULL, c, 4, &r);
    cr_assert_eq(c[0].pool, 1);
    cr_assert_eq(c[0].type, 0);
    /* Three 1-GPU pods: the CPU pool has no GPU type; the GPU pool: claim
     * {T3,T4}, then 2 GPUs {T4}, 3 GPUs {T4}: one T4 on-demand $5.00. */
    struct kp_pod g[3] = {pod(2000, 8192, 1), pod(2000, 8192, 1), pod(2000, 8192, 1)};
    kp_provision(&kp, &cl, g, 3, assign, c, 4, &r);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(c[0].pool, 0);
    cr_assert_eq(c[0].type, 4);
    cr_assert_float_eq(c[0].price, 5.00, 1e-12);
    /* Heavier pool wins between two CPU pools. */
    struct kp_pool two[2] = {cpu_pool(), cpu_pool()};
    two[0].weight = 10;
    two[1].weight = 50;
    struct kp_cluster cl2 = cluster(two, 2, NULL, 0, NULL, 0);
    kp_provision(&kp, &cl2, &cpu, 1, NULL, c, 4, &r);
    cr_assert_eq(c[0].pool, 1);
    /* MIG units: T5 has 1 GPU of 7 units; pods of 3 units: two per node. */
    struct kp_pool mig;
    kp_pool_defaults(&mig);
    mig.types = UINT64_C(1) << 5;
    mig.gpu_only = true;
    struct kp_cluster cl3 = cluster(&mig, 1, NULL, 0, NULL, 0);
    struct kp_pod m[3] = {pod(1000, 1024, 3), pod(1000, 1024, 3), pod(1000, 1024, 3)};
    kp_provision(&kp, &cl3, m, 3, NULL, c, 4, &r);
    cr_assert_eq(r.nclaims, 2);
    cr_assert_eq(c[0].npods, 2);
    cr_assert_eq(c[1].npods, 1);
    kp_destroy(&kp);
}

Test(karpenter, pool_limits_subtract_max)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    p.limit_cpu_milli = 8000;
    struct kp_cluster cl = cluster(&p, 1, NULL, 0, NULL, 0);
    struct kp_pod pend[6];
    for (int i = 0; i < 6; i++)
        pend[i] = pod(1500, 1024, 0);
    struct kp_claim c[4];
    struct kp_prov_result r;
    /* The first claim's options {T0,T1,T2} subtract the largest cpu (8000):
     * nothing remains; the 6th pod cannot open a claim: unschedulable. */
    kp_provision(&kp, &cl, pend, 6, NULL, c, 4, &r);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(r.unschedulable, 1);
    /* An existing T1 node (being deleted, so no destination) counts too:
     * 8000 - 4000 = 4000 remain, so
     * the first claim may use T0 or T1 and subtracts 4000: nothing remains.
     * It takes 2 pods (3000m, T1); the other 3 are unschedulable. */
    struct kp_node n = {.pool = 0, .type = 1, .initialized = true, .ready = true, .deleting = true};
    cl = cluster(&p, 1, &n, 1, NULL, 0);
    kp_provision(&kp, &cl, pend, 5, NULL, c, 4, &r);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(c[0].type, 1);
    cr_assert_eq(c[0].npods, 2);
    cr_assert_eq(r.unschedulable, 3);
    kp_destroy(&kp);
}

/* --- costs and budgets ----------------------------------------------------------- */

Test(karpenter, eviction_and_disruption_cost)
{
    struct kp_pod p = pod(100, 100, 0);
    cr_assert_float_eq(kp_eviction_cost(&p), 1.0, 1e-12);
    p.deletion_cost = 134217728; /* 2^27: +1 */
    cr_assert_float_eq(kp_eviction_cost(&p), 2.0, 1e-12);
    p.deletion_cost = 0;
    p.priority = 33554432; /* 2^25: +1 */
    cr_assert_float_eq(kp_eviction_cost(&p), 2.0, 1e-12);
    p.priority = 1000000000; /* 1 + 29.8: clamped to 10 */
    cr_assert_float_eq(kp_eviction_cost(&p), 10.0, 1e-12);
    p.priority = 0;
    p.deletion_cost = INT32_MIN; /* 1 - 16: clamped to -10 */
    cr_assert_float_eq(kp_eviction_cost(&p), -10.0, 1e-12);

    /* Two default pods on a node half-way through its 720 h life: 2 * 0.5. */
    struct kp_pool pool = cpu_pool();
    struct kp_pod pods[2] = {pod(100, 100, 0), pod(100, 100, 0)};
    struct kp_node n = {.pool = 0, .type = 0, .created_us = 0, .npods = 2};
    struct kp_cluster cl = cluster(&pool, 1, &n, 1, pods, 2);
    cr_assert_float_eq(kp_disruption_cost(&cl, 0, H(360)), 1.0, 1e-12);
    cr_assert_float_eq(kp_disruption_cost(&cl, 0, 0), 2.0, 1e-12);
    cr_assert_float_eq(kp_disruption_cost(&cl, 0, H(800)), 0.0, 1e-12);
    pool.expire_after_us = KP_NEVER;
    cr_assert_float_eq(kp_disruption_cost(&cl, 0, H(800)), 2.0, 1e-12);
}

Test(karpenter, budget_arithmetic)
{
    struct kp_pool p = cpu_pool();
    struct kp_node n[30];
    for (int i = 0; i < 30; i++)
        n[i] = (struct kp_node){.pool = 0, .type = 0, .initialized = true, .ready = true};
    struct kp_cluster cl = cluster(&p, 1, n, 25, NULL, 0);
    /* 25 nodes, 10 %: ceil(2.5) = 3. */
    cr_assert_eq(kp_budget_allowed(&cl, 0), 3);
    /* One not ready, one deleting: 3 - 2 = 1. */
    n[0].ready = false;
    n[1].deleting = true;
    cr_assert_eq(kp_budget_allowed(&cl, 0), 1);
    /* Three disrupting: max(3 - 3, 0) = 0. */
    n[2].deleting = true;
    n[3].deleting = true;
    cr_assert_eq(kp_budget_allowed(&cl, 0), 0);
    /* 5 nodes: ceil(0.5) = 1. An uninitialized node does not count. */
    for (int i = 0; i < 5; i++)
        n[i] = (struct kp_node){.pool = 0, .type = 0, .initialized = true, .ready = true};
    n[5].initialized = false;
    cl.nnodes = 6;
    cr_assert_eq(kp_budget_allowed(&cl, 0), 1);
    /* 30 nodes with budgets 10 % and 2: min(3, 2) = 2. */
    for (int i = 0; i < 30; i++)
        n[i] = (struct kp_node){.pool = 0, .type = 0, .initialized = true, .ready = true};
    cl.nnodes = 30;
    p.nbudgets = 2;
    p.budgets[1] = (struct kp_budget){.percent = false, .value = 2};
    cr_assert_eq(kp_budget_allowed(&cl, 0), 2);
    /* No nodes: 0. */
    cl.nnodes = 0;
    cr_assert_eq(kp_budget_allowed(&cl, 0), 0);
}

/* --- disruption ------------------------------------------------------------------ */

static struct kp_node nd(int32_t type, enum kp_capacity cap, uint32_t first, uint32_t npods)
{
    return (struct kp_node){.pool = 0,
                            .type = type,
                            .capacity = cap,
                            .created_us = 0,
                            .last_pod_event_us = 0,
                            .initialized = true,
                            .ready = true,
                            .pod_first = first,
                            .npods = npods};
}

Test(karpenter, emptiness_with_consolidate_after_and_budget)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    p.consolidate_after_us = S(30);
    /* 20 nodes (10 %: 2 allowed); nodes 0..2 empty, the rest with a pod. */
    struct kp_node n[20];
    struct kp_pod pods[20];
    for (int i = 0; i < 20; i++) {
        pods[i] = pod(1500, 1024, 0);
        n[i] = nd(0, KP_ON_DEMAND, (uint32_t)i, i < 3 ? 0 : 1);
        n[i].last_pod_event_us = S(100);
    }
    n[0].last_pod_event_us = S(110); /* too recent at t=130 */
    struct kp_cluster cl = cluster(&p, 1, n, 20, pods, 20);
    struct kp_decision d;
    /* t=130: node 0's last event is 20 s old (< 30 s): not a candidate.
     * Nodes 1, 2 are empty (cost 0): both deleted (budget 2). */
    kp_disrupt(&kp, S(130), &cl, &d);
    cr_assert(d.due);
    cr_assert_eq(d.allowed[0], 2);
    cr_assert_eq(d.method, KP_METHOD_EMPTY);
    cr_assert_eq(d.ncandidates, 2);
    cr_assert_eq(d.candidates[0], 1);
    cr_assert_eq(d.candidates[1], 2);
    cr_assert_not(d.replace);
    /* t=135: not due (10 s period). */
    kp_disrupt(&kp, S(135), &cl, &d);
    cr_assert_not(d.due);
    /* t=140: node 0 is 30 s past its last event: a candidate. With nodes 1
     * and 2 deleting, the budget is 2 - 2 = 0: nothing. */
    n[1].deleting = true;
    n[2].deleting = true;
    kp_disrupt(&kp, S(140), &cl, &d);
    cr_assert_eq(d.allowed[0], 0);
    cr_assert_eq(d.method, KP_METHOD_NONE);
    kp_destroy(&kp);
}

Test(karpenter, expiration_ignores_budgets)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    p.expire_after_us = H(1);
    p.budgets[0] = (struct kp_budget){.percent = false, .value = 0};
    struct kp_pod pods[2] = {pod(1000, 1024, 0), pod(1000, 1024, 0)};
    struct kp_node n[2] = {nd(0, KP_ON_DEMAND, 0, 1), nd(0, KP_ON_DEMAND, 1, 1)};
    n[1].created_us = S(1800);
    struct kp_cluster cl = cluster(&p, 1, n, 2, pods, 2);
    struct kp_decision d;
    /* t=3600: node 0 is 1 h old: expired despite a zero budget; node 1 not. */
    kp_disrupt(&kp, H(1), &cl, &d);
    cr_assert_eq(d.nexpired, 1);
    cr_assert_eq(d.expired[0], 0);
    cr_assert_eq(d.allowed[0], 0);
    cr_assert_eq(d.method, KP_METHOD_NONE);
    kp_destroy(&kp);
}

Test(karpenter, single_node_delete_and_filter_out_same_type)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    p.budgets[0] = (struct kp_budget){.percent = false, .value = 10};
    /* A: T2 with pods 3000 + 3000 (cost 2, free 2000); B: T1 with one 1500
     * pod (cost 1). Order B, A.
     * Multi {B, A}: 7500m need one claim, only T2 fits ($0.40 < 0.60), but
     * A is a T2 at $0.40: filterOutSameType keeps types below 0.40: none.
     * Single B: its pod fits A's 2000m free: delete B. */
    struct kp_pod pods[3] = {pod(3000, 1024, 0), pod(3000, 1024, 0), pod(1500, 1024, 0)};
    struct kp_node n[2] = {nd(2, KP_ON_DEMAND, 0, 2), nd(1, KP_ON_DEMAND, 2, 1)};
    struct kp_cluster cl = cluster(&p, 1, n, 2, pods, 3);
    struct kp_decision d;
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_SINGLE, "%s", kp_method_name(d.method));
    cr_assert_eq(d.ncandidates, 1);
    cr_assert_eq(d.candidates[0], 1);
    cr_assert_not(d.replace);
    cr_assert_float_eq(d.savings, 0.20, 1e-12);
    kp_destroy(&kp);
}

Test(karpenter, single_node_replace_with_cheaper_type)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    struct kp_pod pods[1] = {pod(1500, 1024, 0)};
    struct kp_node n = nd(2, KP_ON_DEMAND, 0, 1);
    struct kp_cluster cl = cluster(&p, 1, &n, 1, pods, 1);
    struct kp_decision d;
    /* A lone T2 ($0.40) with a 1500m pod: the pod needs one claim {T0,T1,T2};
     * cheaper than 0.40: T0, T1; on-demand only: T0 $0.10; saves 0.30. */
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_SINGLE);
    cr_assert(d.replace);
    cr_assert_eq(d.replacement.type, 0);
    cr_assert_eq(d.replacement.capacity, KP_ON_DEMAND);
    cr_assert_float_eq(d.savings, 0.30, 1e-12);
    kp_destroy(&kp);

    /* The pool allows spot too: on-demand -> spot is allowed and forced to
     * spot: T0 spot $0.04, saves 0.36. */
    mk(&kp);
    p.allow_spot = true;
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert(d.replace);
    cr_assert_eq(d.replacement.type, 0);
    cr_assert_eq(d.replacement.capacity, KP_SPOT);
    cr_assert_float_eq(d.savings, 0.36, 1e-12);
    kp_destroy(&kp);

    /* A spot node: spot-to-spot is off by default: no action. */
    mk(&kp);
    n.capacity = KP_SPOT;
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_NONE);
    kp_destroy(&kp);

    /* With the feature gate, single-node needs 15 cheaper spot types; there
     * are 2 (T0 0.04, T1 0.07 < 0.15): still no action. */
    struct kp_cfg c;
    struct os_error err;
    kp_cfg_defaults(&c);
    c.spot_to_spot = true;
    cr_assert_eq(kp_init(&kp, &c, &err), 0);
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_NONE);
    kp_destroy(&kp);

    /* WhenEmpty: never consolidates a non-empty node. */
    mk(&kp);
    n.capacity = KP_ON_DEMAND;
    p.policy = KP_WHEN_EMPTY;
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_NONE);
    kp_destroy(&kp);
}

Test(karpenter, multi_node_replaces_three_with_one)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    p.budgets[0] = (struct kp_budget){.percent = false, .value = 10};
    /* Three T1 ($0.20) nodes with one 1500m pod each (cost 1 each; node
     * order). Binary search over 3 candidates: lo 1, hi 2.
     *   mid 1, {0,1}: pods 1500, 1500; node 2 has 2500 free: one fits, the
     *   other needs a claim {T0,T1,T2}; < 0.40: T0, T1; same type T1 at 0.20:
     *   keep < 0.20: T0: valid -> lo 2.
     *   mid 2, {0,1,2}: 4500m: claim {T2} $0.40 < 0.60, T2 is no candidate's
     *   type: valid. Replace all three with T2; saves 0.20. */
    struct kp_pod pods[3] = {pod(1500, 1024, 0), pod(1500, 1024, 0), pod(1500, 1024, 0)};
    struct kp_node n[3] = {nd(1, KP_ON_DEMAND, 0, 1), nd(1, KP_ON_DEMAND, 1, 1),
                           nd(1, KP_ON_DEMAND, 2, 1)};
    struct kp_cluster cl = cluster(&p, 1, n, 3, pods, 3);
    struct kp_decision d;
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_MULTI, "%s", kp_method_name(d.method));
    cr_assert_eq(d.ncandidates, 3);
    cr_assert(d.replace);
    cr_assert_eq(d.replacement.type, 2);
    cr_assert_float_eq(d.savings, 0.20, 1e-12);
    kp_destroy(&kp);

    /* Default budget 10 % of 3 = ceil(0.3) = 1: one candidate only, no
     * multi-node; single-node on node 0: its pod fits node 1 (2500 free):
     * delete node 0. */
    mk(&kp);
    kp_pool_defaults(&p);
    p.types = CPU_T;
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert_eq(d.allowed[0], 1);
    cr_assert_eq(d.method, KP_METHOD_SINGLE);
    cr_assert_eq(d.candidates[0], 0);
    cr_assert_not(d.replace);
    kp_destroy(&kp);
}

Test(karpenter, candidates_in_disruption_cost_order)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    p.budgets[0] = (struct kp_budget){.percent = false, .value = 1}; /* no multi-node */
    /* X, Y: T1 nodes with one 1500 pod each; either could go. X's pod has
     * deletion cost 2^27 (cost 2): Y (cost 1) is deleted. */
    struct kp_pod pods[2] = {pod(1500, 1024, 0), pod(1500, 1024, 0)};
    pods[0].deletion_cost = 134217728;
    struct kp_node n[2] = {nd(1, KP_ON_DEMAND, 0, 1), nd(1, KP_ON_DEMAND, 1, 1)};
    struct kp_cluster cl = cluster(&p, 1, n, 2, pods, 2);
    struct kp_decision d;
    kp_disrupt(&kp, H(1), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_SINGLE);
    cr_assert_eq(d.candidates[0], 1);
    kp_destroy(&kp);
    /* At 540 h: X, created at 0, has (720 - 540) / 720 = 0.25 of its life
     * left: cost 2 * 0.25 = 0.5; Y, created at 500 h, (720 - 40) / 720 =
     * 0.944: X goes first. */
    mk(&kp);
    n[1].created_us = H(500);
    kp_disrupt(&kp, H(540), &cl, &d);
    cr_assert_eq(d.candidates[0], 0);
    kp_destroy(&kp);
}

/* --- extended resources (MIG "mixed") --------------------------------------------- */

/* Extended resource k: 0 nvidia.com/mig-3g.40gb, 1 nvidia.com/mig-1g.10gb,
 * 2 nvidia.com/mig-2g.20gb (offered by no type). The types (cpu m, mem MiB,
 * physical GPUs, MIG instances per node {3g, 1g, 2g}, od $/h):
 *   X0 8000 / 32768      0  {0, 0, 0}  0.40   (CPU)
 *   X1 32000 / 131072    2  {2, 4, 0}  4.00   (MIG-mixed)
 *   X2 16000 / 65536     1  {0, 4, 0}  2.00   (MIG-mixed, 1g only) */
#define MIG_3G 0
#define MIG_1G 1
#define MIG_2G 2
#define MIG_T  (UINT64_C(0x6)) /* X1, X2 */

static const struct kp_type XTYPES[3] = {
    {8000, 32768, 0, 1, 58, 0.40, 0.15, true, true, {0, 0, 0, 0}},
    {32000, 131072, 2, 1, 58, 4.00, 1.60, true, true, {2, 4, 0, 0}},
    {16000, 65536, 1, 1, 58, 2.00, 0.80, true, true, {0, 4, 0, 0}},
};

/* A pod requesting n instances of MIG profile k and no nvidia.com/gpu. */
static struct kp_pod xpod(int64_t cpu, int64_t mem, int k, int64_t n)
{
    struct kp_pod p = {.req = {.cpu_milli = cpu, .mem_mib = mem}};
    p.req.ext[k] = n;
    return p;
}

static struct kp_pool mig_pool(void)
{
    struct kp_pool p;
    kp_pool_defaults(&p);
    p.types = MIG_T;
    p.gpu_only = true;
    return p;
}

/* Pool 0: CPU (X0), weight 50; pool 1: MIG (X1, X2), gpu_only, weight 0. */
static void cpu_and_mig_pools(struct kp_pool pools[2])
{
    kp_pool_defaults(&pools[0]);
    pools[0].types = UINT64_C(0x1);
    pools[0].weight = 50;
    pools[1] = mig_pool();
}

Test(karpenter, ext_pods_need_two_mig_nodes)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool pools[2];
    cpu_and_mig_pools(pools);
    struct kp_cluster cl = {XTYPES, 3, pools, 2, NULL, 0, NULL, 0};
    /* 3 pods of one 3g (1000m / 4096) and 5 of one 1g (500m / 2048).
     * Sorted by cpu: the three 3g pods, then the five 1g pods.
     *   3g #1: the CPU pool (weight 50) has no 3g; the MIG pool: X1 only
     *          (X2 has no 3g): claim C0 {X1}.
     *   3g #2: C0 holds 2 x 3g: C0 (2 pods).
     *   3g #3: 3 x 3g > 2: new claim C1 {X1}; order C1 (1 pod), C0 (2).
     *   1g #1: C1 (2 pods); 1g #2: C1 (3); 1g #3: C0 (3); 1g #4: C0 (4);
     *   1g #5: C1 (4) (fewest pods first, ties in order).
     * C0: 2 x 3g + 2 x 1g; C1: 1 x 3g + 3 x 1g: exactly 2 NodeClaims, as
     * ceil(3 / 2) = 2 for the 3g and ceil(5 / 4) = 2 for the 1g. Both X1
     * on-demand at $4.00. (Ignoring ext: 5500m fits one node, or, with the
     * gpu_only pool refusing pods without GPUs, they would go to X0s.) */
    struct kp_pod pend[8];
    for (int i = 0; i < 3; i++)
        pend[i] = xpod(1000, 4096, MIG_3G, 1);
    for (int i = 3; i < 8; i++)
        pend[i] = xpod(500, 2048, MIG_1G, 1);
    struct kp_claim c[8];
    int32_t assign[8];
    struct kp_prov_result r;
    cr_assert_eq(kp_provision(&kp, &cl, pend, 8, assign, c, 8, &r), 0);
    cr_assert_eq(r.nclaims, 2);
    cr_assert_eq(r.unschedulable, 0);
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(c[k].pool, 1);
        cr_assert_eq(c[k].type, 1);
        cr_assert_eq(c[k].capacity, KP_ON_DEMAND);
        cr_assert_float_eq(c[k].price, 4.00, 1e-12);
        cr_assert_eq(c[k].npods, 4);
        cr_assert_eq(c[k].used.gpu, 0);
    }
    cr_assert_eq(c[0].used.ext[MIG_3G], 2);
    cr_assert_eq(c[0].used.ext[MIG_1G], 2);
    cr_assert_eq(c[1].used.ext[MIG_3G], 1);
    cr_assert_eq(c[1].used.ext[MIG_1G], 3);
    cr_assert_eq(c[0].used.cpu_milli, 3000);
    cr_assert_eq(assign[2], -3); /* the third 3g pod opened C1 */
    cr_assert_eq(assign[7], -3); /* the last 1g pod joined C1 */
    /* Only 1g pods (4 of them): X1 and X2 both fit; one claim {X1, X2}
     * launched as the cheaper X2 ($2.00), with all 4 of its 1g. */
    cr_assert_eq(kp_provision(&kp, &cl, pend + 3, 4, NULL, c, 8, &r), 0);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(c[0].options, UINT64_C(0x6));
    cr_assert_eq(c[0].type, 2);
    cr_assert_float_eq(c[0].price, 2.00, 1e-12);
    kp_destroy(&kp);
}

Test(karpenter, ext_no_type_offers_is_unschedulable)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool pools[2];
    cpu_and_mig_pools(pools);
    struct kp_cluster cl = {XTYPES, 3, pools, 2, NULL, 0, NULL, 0};
    /* A 2g pod: no type offers 2g (the CPU pool's X0 would fit its 1000m
     * if ext were ignored). A pod of 3 x 3g: X1 has 2 per node. Both are
     * unschedulable; no NodeClaim. */
    struct kp_pod pend[2] = {xpod(1000, 4096, MIG_2G, 1), xpod(1000, 4096, MIG_3G, 3)};
    struct kp_claim c[4];
    int32_t assign[2];
    struct kp_prov_result r;
    cr_assert_eq(kp_provision(&kp, &cl, pend, 2, assign, c, 4, &r), 0);
    cr_assert_eq(r.nclaims, 0);
    cr_assert_eq(r.unschedulable, 2);
    cr_assert_eq(assign[0], -1);
    cr_assert_eq(assign[1], -1);
    /* NodePool limits stay on physical GPU units: limit 2 GPUs. Three 3g
     * pods: C0 {X1} takes two and subtracts X1's 2 GPUs (subtractMax):
     * nothing remains, so the third 3g pod cannot open a claim. */
    pools[1].limit_gpu = 2;
    struct kp_pod three[3] = {xpod(1000, 4096, MIG_3G, 1), xpod(1000, 4096, MIG_3G, 1),
                              xpod(1000, 4096, MIG_3G, 1)};
    cr_assert_eq(kp_provision(&kp, &cl, three, 3, NULL, c, 4, &r), 0);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(c[0].npods, 2);
    cr_assert_eq(r.unschedulable, 1);
    kp_destroy(&kp);
}

Test(karpenter, ext_free_capacity_on_existing_nodes)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool pools[2];
    cpu_and_mig_pools(pools);
    /* An X1 node of the MIG pool running 2 x 3g: both 3g taken, 4 x 1g
     * free, 30000m free. Pending: one 3g, one 1g. The 3g does not fit the
     * node (0 free 3g): a new claim {X1}; the 1g fits the node. (Ignoring
     * ext, both would go onto the node and no claim would be made.) */
    struct kp_pod on[2] = {xpod(1000, 4096, MIG_3G, 1), xpod(1000, 4096, MIG_3G, 1)};
    struct kp_node n = {
        .pool = 1, .type = 1, .initialized = true, .ready = true, .pod_first = 0, .npods = 2};
    struct kp_cluster cl = {XTYPES, 3, pools, 2, &n, 1, on, 2};
    struct kp_pod pend[2] = {xpod(500, 2048, MIG_1G, 1), xpod(1000, 4096, MIG_3G, 1)};
    struct kp_claim c[4];
    int32_t assign[2];
    struct kp_prov_result r;
    cr_assert_eq(kp_provision(&kp, &cl, pend, 2, assign, c, 4, &r), 0);
    cr_assert_eq(r.on_existing, 1);
    cr_assert_eq(assign[0], 0);
    cr_assert_eq(assign[1], -2);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(c[0].type, 1);
    kp_destroy(&kp);
}

Test(karpenter, ext_consolidation_deletes_the_node_whose_pods_fit)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = mig_pool();
    p.budgets[0] = (struct kp_budget){.percent = false, .value = 10};
    /* A: X1 ($4.00) with one 3g pod (cost 1); B: X2 ($2.00, 1g only) with
     * two 1g pods (cost 2). Candidates in cost order: A, B.
     * Multi {A, B}: 3g + 2 x 1g need one claim; only X1 has 3g: {X1}, $4 <
     * $6, but A is an X1 at $4: filterOutSameType keeps types below $4:
     * none.
     * Single A: its 3g pod does not fit B (X2 has no 3g); a new X1 at $4
     * is not cheaper than A's $4: no.
     * Single B: its two 1g pods fit A's 4 free 1g: delete B, saving $2.
     * (Ignoring ext, A's pod would fit B's 16000m and A would be deleted,
     * saving $4.) */
    struct kp_pod pods[3] = {xpod(1000, 4096, MIG_3G, 1), xpod(500, 2048, MIG_1G, 1),
                             xpod(500, 2048, MIG_1G, 1)};
    struct kp_node n[2] = {nd(1, KP_ON_DEMAND, 0, 1), nd(2, KP_ON_DEMAND, 1, 2)};
    struct kp_cluster cl = {XTYPES, 3, &p, 1, n, 2, pods, 3};
    struct kp_decision d;
    cr_assert_eq(kp_disrupt(&kp, S(10), &cl, &d), 0);
    cr_assert_eq(d.method, KP_METHOD_SINGLE, "%s", kp_method_name(d.method));
    cr_assert_eq(d.ncandidates, 1);
    cr_assert_eq(d.candidates[0], 1);
    cr_assert_not(d.replace);
    cr_assert_float_eq(d.savings, 2.00, 1e-12);
    kp_destroy(&kp);

    /* B with three 1g pods and A with one 3g and two 1g: A has 2 free 1g.
     * Single A: its 3g fits nowhere else, X1 not cheaper: no. Single B: two
     * of its 1g fit A, the third needs a claim {X1, X2}; cheaper than $2:
     * none: no. Multi {A, B}: 3g + 5 x 1g: one X1 holds 4 x 1g: two claims:
     * no. Nothing to do. (Ignoring ext, B's pods would fit A's cpu.) */
    mk(&kp);
    struct kp_pod pods2[6] = {xpod(1000, 4096, MIG_3G, 1), xpod(500, 2048, MIG_1G, 1),
                              xpod(500, 2048, MIG_1G, 1),  xpod(500, 2048, MIG_1G, 1),
                              xpod(500, 2048, MIG_1G, 1),  xpod(500, 2048, MIG_1G, 1)};
    n[0] = nd(1, KP_ON_DEMAND, 0, 3);
    n[1] = nd(2, KP_ON_DEMAND, 3, 3);
    cl.pods = pods2;
    cl.npods = 6;
    cr_assert_eq(kp_disrupt(&kp, S(10), &cl, &d), 0);
    cr_assert_eq(d.method, KP_METHOD_NONE, "%s", kp_method_name(d.method));
    kp_destroy(&kp);
}

/* --- drift --------------------------------------------------------------------- */

/*
 * Three T1 nodes (4000m, $0.20) with one 3000m pod each; n0 drifted at 50 s,
 * n1 at 20 s, n2 not. Consolidation is off (consolidateAfter Never), a
 * budget of 10 nodes.
 * (a) Oldest drift first: n1. Its pod does not fit the others' 1000m free,
 *     so it needs one NodeClaim: the cheapest type of 3000m is T1 ($0.20):
 *     a drift command replacing n1 by a T1, saving 0.
 * (b) Budget 0: no command.
 * (c) n1 empty: left to emptiness (off here): the next drifted, n0.
 * (d) n1 has a do-not-disrupt pod: n0.
 * (e) n2 is a T2 (8000m, 5000m free): n1's pod fits there, so drift deletes
 *     n1 without a replacement (saving $0.20), ahead of consolidation, which
 *     (consolidateAfter 0) would otherwise act too.
 */
Test(karpenter, drift_replaces_the_oldest_drifted_node_first)
{
    struct kp kp;
    mk(&kp);
    struct kp_pool p = cpu_pool();
    p.consolidate_after_us = KP_NEVER;
    p.budgets[0] = (struct kp_budget){.percent = false, .value = 10};
    struct kp_pod pods[3] = {pod(3000, 1024, 0), pod(3000, 1024, 0), pod(3000, 1024, 0)};
    struct kp_node n[3] = {nd(1, KP_ON_DEMAND, 0, 1), nd(1, KP_ON_DEMAND, 1, 1),
                           nd(1, KP_ON_DEMAND, 2, 1)};
    n[0].drifted = n[1].drifted = true;
    n[0].drifted_us = S(50);
    n[1].drifted_us = S(20);
    struct kp_cluster cl = cluster(&p, 1, n, 3, pods, 3);
    struct kp_decision d;
    /* (a) */
    kp_disrupt(&kp, S(100), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_DRIFT, "%s", kp_method_name(d.method));
    cr_assert_eq(d.ncandidates, 1);
    cr_assert_eq(d.candidates[0], 1);
    cr_assert(d.replace);
    cr_assert_eq(d.replacement.type, 1);
    cr_assert_float_eq(d.savings, 0, 1e-12);
    /* (b) */
    p.budgets[0].value = 0;
    kp_disrupt(&kp, S(200), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_NONE, "%s", kp_method_name(d.method));
    p.budgets[0].value = 10;
    /* (c) */
    n[1].npods = 0;
    n[2].pod_first = 1;
    kp_disrupt(&kp, S(300), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_DRIFT);
    cr_assert_eq(d.candidates[0], 0);
    n[1].npods = 1;
    n[2].pod_first = 2;
    /* (d) */
    n[1].last_pod_event_us = INT64_MAX;
    kp_disrupt(&kp, S(400), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_DRIFT);
    cr_assert_eq(d.candidates[0], 0);
    n[1].last_pod_event_us = 0;
    /* (e) */
    n[2].type = 2;
    p.consolidate_after_us = 0;
    kp_disrupt(&kp, S(500), &cl, &d);
    cr_assert_eq(d.method, KP_METHOD_DRIFT, "%s", kp_method_name(d.method));
    cr_assert_eq(d.candidates[0], 1);
    cr_assert_not(d.replace);
    cr_assert_float_eq(d.savings, 0.20, 1e-12);
    /* without drift, consolidation acts on the same cluster */
    n[0].drifted = n[1].drifted = false;
    kp_disrupt(&kp, S(600), &cl, &d);
    cr_assert_neq(d.method, KP_METHOD_DRIFT);
    cr_assert_neq(d.method, KP_METHOD_NONE);
    kp_destroy(&kp);
}

/* disrupt_period_us 0: every call evaluates (the caller keeps the cadence);
 * with the default 10 s a second call at the same instant is not due. */
Test(karpenter, period_zero_evaluates_every_call)
{
    struct kp kp;
    struct kp_cfg c;
    struct os_error err = {{0}};
    struct kp_pool p = cpu_pool();
    struct kp_cluster cl = cluster(&p, 1, NULL, 0, NULL, 0);
    struct kp_decision d;
    kp_cfg_defaults(&c);
    cr_assert_eq(kp_init(&kp, &c, &err), 0, "%s", err.msg);
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert(d.due);
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert_not(d.due);
    kp_destroy(&kp);
    c.disrupt_period_us = 0;
    cr_assert_eq(kp_init(&kp, &c, &err), 0, "%s", err.msg);
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert(d.due);
    kp_disrupt(&kp, S(10), &cl, &d);
    cr_assert(d.due);
    kp_destroy(&kp);
    c.disrupt_period_us = -1;
    cr_assert_eq(kp_init(&kp, &c, &err), OS_EINVAL);
}
