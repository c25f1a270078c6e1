/*
 * sim_mig.c - MIG repartitioning in a simulation run (EKS node groups with
 * sharing "mig", mig_strategy "mixed" and more than one of mig_layouts).
 *
 * What it models (MODELS.md section 3): the MIG geometry of a GPU is set by
 * NVIDIA's MIG manager (mig-parted) from the node's nvidia.com/mig.config;
 * a GPU can only be repartitioned when no client uses it; the manager stops
 * the GPU clients, applies the layout and restarts the device plugin, which
 * then advertises the new nvidia.com/mig-* counts (on some clouds with a
 * reboot). Kubernetes, Karpenter and the Cluster Autoscaler never decide a
 * repartition: a controller does (a dynamic MIG partitioner, or an operator
 * relabelling nodes). The one modelled here:
 *
 * - [U] SIM_MIG_CONTROLLER: every 10 s, for each group with several layouts,
 *   the replicas waiting for a MIG instance are counted per profile (need[k]),
 *   less the free instances of the GPUs in use and the instances of the GPUs
 *   being repartitioned of the group's READY nodes (pending pods wait for
 *   them: a pod in its scheduling backoff is placed up to 10 s after they
 *   free). Each idle GPU (no
 *   instance in use, not being repartitioned) of a READY
 *   node, in node then GPU order, is a candidate: layout L scores
 *   sum_k min(need[k], instances of profile k in L); the GPU is switched to
 *   the layout of the highest score (lowest index on ties) when it beats its
 *   current layout, and need[] is reduced by what the new layout will hold,
 *   so that the next candidate serves the rest; a GPU that keeps its layout
 *   reduces need[] by its own free instances (so a GPU just repartitioned,
 *   whose pods are still in their backoff, is not switched back). Per GPU: mig-parted
 *   configures devices one by one ([U] SIM_MIG_PER_GPU: the GPUs of the node
 *   that are in use keep running, which needs a MIG manager that does not
 *   stop every GPU client of the node).
 * - The cost: for a time drawn from mig_reconfigure_s (uniform; default
 *   60-180 s [U]: stop clients, apply, restart the device plugin, no reboot)
 *   the GPU takes no pod (its new instances are held in the cluster by no
 *   pod; the allocation metrics, which count pods, see it idle), the node is
 *   billed as usual; the autoscalers see the held instances as free (they
 *   will be), so no node is launched for the pods it will take, and the node
 *   is disrupted by neither autoscaler ([U] SIM_MIG_NO_DISRUPT: the
 *   partitioner marks it karpenter.sh/do-not-disrupt and
 *   cluster-autoscaler.kubernetes.io/scale-down-disabled). Then
 *   the instances are free and pending pods are retried at once (a cluster
 *   event for the scheduling queue).
 * - Metrics: mig_repartitions (GPUs repartitioned) and
 *   mig_reconfigure_gpu_hours (GPU time spent repartitioning).
 */
#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

#include "models/sim_internal.h"

#define MIG_PERIOD (10 * US)

static bool group_repartitions(const struct group *g)
{
    return g->on && !g->fargate && g->next && g->nlayouts > 1;
}

bool sim_mig_on(const struct run *r)
{
    for (int gi = 0; gi < G_MAX; gi++)
        if (group_repartitions(&r->grp[gi]))
            return true;
    return false;
}

uint32_t sim_mig_node_held(const struct run *r, uint32_t ni)
{
    const struct node *n = &r->nodes[ni];
    const struct group *g = &r->grp[n->g];
    if (!g->gpu_reconf || n->state == N_GONE)
        return 0;
    const struct cluster *c = &g->c;
    uint32_t held = 0;
    for (uint32_t gid = c->gpu_first[n->cid]; gid < c->gpu_first[n->cid] + c->gpu_count[n->cid];
         gid++)
        held += g->gpu_reconf[gid];
    return held;
}

/* Ends the hold on GPU gid of group gi. */
static void release(struct run *r, struct group *g, uint32_t gid)
{
    g->gpu_reconf[gid] = 0;
    g->gpu_reconf_ev[gid] = 0;
    CHECK(r, cluster_release_gpu_hold(&g->c, gid, &r->err));
}

void sim_mig_node_gone(struct run *r, uint32_t ni)
{
    const struct node *n = &r->nodes[ni];
    struct group *g = &r->grp[n->g];
    if (!g->gpu_reconf)
        return;
    const struct cluster *c = &g->c;
    for (uint32_t gid = c->gpu_first[n->cid]; gid < c->gpu_first[n->cid] + c->gpu_count[n->cid];
         gid++)
        if (g->gpu_reconf[gid]) {
            engine_cancel(&r->e, g->gpu_reconf_ev[gid]);
            release(r, g, gid);
        }
}

static void ev_mig_done(struct engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    struct run *r = ctx;
    int gi = (int)(arg >> 32);
    uint32_t gid = (uint32_t)arg;
    struct group *g = &r->grp[gi];
    release(r, g, gid);
    const struct node *n = &r->nodes[g->node_of[g->c.gpu_node[gid]]];
    if (n->state == N_READY) {
        g->epoch++; /* new instances on a schedulable node */
        sim_place_pending(r);
    }
}

/* Pending replicas of group gi per extended resource (MIG profile). */
static void pending_need(const struct run *r, int gi, int64_t need[SIM_EXT_MAX])
{
    memset(need, 0, SIM_EXT_MAX * sizeof *need);
    for (uint32_t i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        const struct service *sv = &r->svcs[t->s];
        if (t->state != T_PENDING || sv->gi != gi)
            continue;
        int k = sv->ext;
        if (k >= 0)
            need[k] += sv->req.gpu.count;
    }
}

/* Instances of each requested profile in layout li of the pool (one GPU). */
static void layout_have(const struct group *g, const struct gpu_cfg *gc, uint8_t li,
                        int64_t have[SIM_EXT_MAX])
{
    memset(have, 0, SIM_EXT_MAX * sizeof *have);
    for (unsigned k = 0; k < g->next; k++)
        have[k] = gpu_cfg_layout_count(gc, li, g->ext_prof[k]);
}

static int64_t layout_score(const int64_t need[SIM_EXT_MAX], const int64_t have[SIM_EXT_MAX])
{
    int64_t s = 0;
    for (unsigned k = 0; k < SIM_EXT_MAX; k++)
        s += need[k] < have[k] ? need[k] : have[k];
    return s;
}

static void mig_group_step(struct run *r, int gi)
{
    struct group *g = &r->grp[gi];
    struct cluster *c = &g->c;
    int64_t need[SIM_EXT_MAX], have[SIM_EXT_MAX];
    pending_need(r, gi, need);
    /* the free instances of GPUs in use, and the instances of GPUs being
     * repartitioned, will serve some of it: the pods wait for them (the
     * scheduling queue's backoff); idle GPUs are weighed below */
    for (uint32_t ni = 0; ni < r->nnodes; ni++) {
        const struct node *n = &r->nodes[ni];
        if (n->g != gi || n->state != N_READY)
            continue;
        const struct gpu_cfg *gc = &c->pools[c->pool[n->cid]].gpu;
        for (uint32_t gid = c->gpu_first[n->cid]; gid < c->gpu_first[n->cid] + c->gpu_count[n->cid];
             gid++) {
            if (!c->gpu_used[gid])
                continue;
            uint8_t ln;
            const struct gpu_mig_place *l = gpu_cfg_layout(gc, c->gpu_layout[gid], &ln);
            for (uint8_t j = 0; j < ln; j++)
                for (unsigned k = 0; k < g->next; k++)
                    if (l[j].profile == g->ext_prof[k] &&
                        (g->gpu_reconf[gid] || !(c->gpu_used[gid] >> j & 1u)) && need[k] > 0)
                        need[k]--;
        }
    }
    int64_t total = 0;
    for (unsigned k = 0; k < SIM_EXT_MAX; k++)
        total += need[k];
    for (uint32_t ni = 0; total > 0 && ni < r->nnodes; ni++) {
        const struct node *n = &r->nodes[ni];
        if (n->g != gi || n->state != N_READY || n->replaced_by != NO_IDX)
            continue;
        const struct gpu_cfg *gc = &c->pools[c->pool[n->cid]].gpu;
        for (uint32_t gid = c->gpu_first[n->cid];
             total > 0 && gid < c->gpu_first[n->cid] + c->gpu_count[n->cid]; gid++) {
            if (c->gpu_used[gid] || g->gpu_reconf[gid])
                continue;
            layout_have(g, gc, c->gpu_layout[gid], have);
            int64_t best = layout_score(need, have);
            int bl = -1;
            for (uint8_t li = 0; li <= gc->mig_nalt; li++) {
                if (li == c->gpu_layout[gid])
                    continue;
                layout_have(g, gc, li, have);
                int64_t s = layout_score(need, have);
                if (s > best) {
                    best = s;
                    bl = li;
                }
            }
            /* the layout it keeps or gets serves its part of the need */
            layout_have(g, gc, bl < 0 ? c->gpu_layout[gid] : (uint8_t)bl, have);
            for (unsigned k = 0; k < SIM_EXT_MAX; k++) {
                int64_t take = need[k] < have[k] ? need[k] : have[k];
                need[k] -= take;
                total -= take;
            }
            if (bl < 0)
                continue;
            double lo = g->reconf_s[0], hi = g->reconf_s[1];
            double sec = lo + (hi - lo) * gsl_rng_uniform(g->rng_mig.r);
            int64_t dt = sim_secs(sec);
            CHECK(r, cluster_set_gpu_layout(c, gid, (uint8_t)bl, true, &r->err));
            g->gpu_reconf[gid] = 1;
            r->mig_repartitions++;
            r->mig_reconf_gpu_s += sec;
            CHECK(r, engine_after(&r->e, dt > 0 ? dt : 1, ev_mig_done, r, (uint64_t)gi << 32 | gid,
                                  &g->gpu_reconf_ev[gid], &r->err));
        }
    }
}

static void ev_mig_tick(struct engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    struct run *r = ctx;
    for (int gi = 0; gi < G_MAX && !r->status; gi++)
        if (group_repartitions(&r->grp[gi]))
            mig_group_step(r, gi);
    if (engine_now(e) + MIG_PERIOD <= r->sc->duration_us)
        CHECK(r, engine_after(e, MIG_PERIOD, ev_mig_tick, r, 0, NULL, &r->err));
}

int sim_mig_start(struct run *r, struct os_error *err)
{
    if (!sim_mig_on(r))
        return OS_OK;
    for (int gi = 0; gi < G_MAX; gi++) {
        struct group *g = &r->grp[gi];
        if (!group_repartitions(g))
            continue;
        int rc = rng_init(&g->rng_mig, r->seed, "sim.mig", (uint64_t)gi, err);
        if (rc)
            return rc;
        g->mig_open = true;
        g->gpu_reconf = calloc(g->c.cap_gpus, sizeof *g->gpu_reconf);
        g->gpu_reconf_ev = calloc(g->c.cap_gpus, sizeof *g->gpu_reconf_ev);
        if (!g->gpu_reconf || !g->gpu_reconf_ev)
            return os_errorf(err, OS_ENOMEM, "out of memory");
    }
    return engine_after(&r->e, MIG_PERIOD, ev_mig_tick, r, 0, NULL, err);
}
