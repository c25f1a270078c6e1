/*
 * cost.c - billing rules and the cost meter. The rules, defaults, sources and
 * assumptions are stated at the top of cost.h; this file computes them.
 *
 * Billing happens when an instance ends: the meter keeps only what it needs
 * until then (launch data, GPU time reported so far) in a slot that is reused
 * afterwards, and adds the charge to running totals. Dollars are doubles;
 * time stays in integer microseconds until it is converted to hours for a
 * product with a price.
 */
#include "models/cost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COST_SLOT_NONE UINT32_MAX

void cost_cfg_defaults(struct cost_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->platform = COST_PLATFORM_NONE;
    c->clusters = 1;
    c->eks_usd_per_cluster_hour = COST_EKS_USD_PER_CLUSTER_HOUR;
    c->eks_extended_support = false;
    c->eks_extended_usd_per_cluster_hour = COST_EKS_EXTENDED_USD_PER_CLUSTER_HOUR;
    c->ec2_min_s = 60;
    c->spot_free_if_interrupted_first_hour = true;
    /* us-east-1 Linux/x86, aws.amazon.com/fargate/pricing/ (see cost.h). */
    c->fargate_vcpu_usd_per_hour = COST_FARGATE_VCPU_USD_PER_HOUR;
    c->fargate_gb_usd_per_hour = COST_FARGATE_GB_USD_PER_HOUR;
    c->fargate_min_s = 60;
    c->ops_team_size = 4;                  /* [U] */
    c->ops_usd_per_engineer_year = 200000; /* [U] */
    c->ops_fraction_eks = 0.15;            /* MODELS.md section 9: 10-20 % */
    c->ops_fraction_ecs = 0.035;           /* MODELS.md section 9: 2-5 % */
    c->ops_fraction_none = 0;
}

static bool cost_nonneg(double x)
{
    return isfinite(x) && x >= 0;
}

int cost_cfg_validate(const struct cost_cfg *c, struct os_error *err)
{
    if ((unsigned)c->platform > COST_PLATFORM_EKS)
        return os_errorf(err, OS_EINVAL, "cost: unknown platform %d", (int)c->platform);
    if (c->clusters < 0)
        return os_errorf(err, OS_EINVAL, "cost: clusters %d must be >= 0", (int)c->clusters);
    if (!cost_nonneg(c->eks_usd_per_cluster_hour))
        return os_errorf(err, OS_EINVAL, "cost: eks_usd_per_cluster_hour %g must be >= 0",
                         c->eks_usd_per_cluster_hour);
    if (!cost_nonneg(c->eks_extended_usd_per_cluster_hour))
        return os_errorf(err, OS_EINVAL, "cost: eks_extended_usd_per_cluster_hour %g must be >= 0",
                         c->eks_extended_usd_per_cluster_hour);
    if (c->ec2_min_s < 0 || c->ec2_min_s > 86400)
        return os_errorf(err, OS_EINVAL, "cost: ec2_min_s %lld out of [0, 86400]",
                         (long long)c->ec2_min_s);
    if (c->fargate_min_s < 0 || c->fargate_min_s > 86400)
        return os_errorf(err, OS_EINVAL, "cost: fargate_min_s %lld out of [0, 86400]",
                         (long long)c->fargate_min_s);
    if (!cost_nonneg(c->fargate_vcpu_usd_per_hour))
        return os_errorf(err, OS_EINVAL, "cost: fargate_vcpu_usd_per_hour %g must be >= 0",
                         c->fargate_vcpu_usd_per_hour);
    if (!cost_nonneg(c->fargate_gb_usd_per_hour))
        return os_errorf(err, OS_EINVAL, "cost: fargate_gb_usd_per_hour %g must be >= 0",
                         c->fargate_gb_usd_per_hour);
    if (!cost_nonneg(c->ops_team_size))
        return os_errorf(err, OS_EINVAL, "cost: ops_team_size %g must be >= 0", c->ops_team_size);
    if (!cost_nonneg(c->ops_usd_per_engineer_year))
        return os_errorf(err, OS_EINVAL, "cost: ops_usd_per_engineer_year %g must be >= 0",
                         c->ops_usd_per_engineer_year);
    const struct {
        const char *name;
        double v;
    } fr[] = {{"ops_fraction_eks", c->ops_fraction_eks},
              {"ops_fraction_ecs", c->ops_fraction_ecs},
              {"ops_fraction_none", c->ops_fraction_none}};
    for (size_t i = 0; i < sizeof(fr) / sizeof(fr[0]); i++)
        if (!(cost_nonneg(fr[i].v) && fr[i].v <= 1))
            return os_errorf(err, OS_EINVAL, "cost: %s %g out of [0, 1]", fr[i].name, fr[i].v);
    return OS_OK;
}

double cost_ops_fraction(const struct cost_cfg *c)
{
    switch (c->platform) {
    case COST_PLATFORM_EKS:
        return c->ops_fraction_eks;
    case COST_PLATFORM_ECS:
        return c->ops_fraction_ecs;
    case COST_PLATFORM_NONE:
    default:
        return c->ops_fraction_none;
    }
}

/* Whole seconds of a non-negative duration, a partial second counting as one. */
static int64_t cost_ceil_s(int64_t us)
{
    return us / COST_US_PER_S + (us % COST_US_PER_S != 0);
}

int cost_ec2_charge(const struct cost_cfg *c, const struct cost_launch *l, int64_t end_us,
                    enum cost_end_reason why, struct cost_charge *out, struct os_error *err)
{
    if (!(isfinite(l->on_demand_usd_per_hour) && l->on_demand_usd_per_hour > 0))
        return os_errorf(err, OS_EINVAL, "cost: on-demand price %g must be > 0",
                         l->on_demand_usd_per_hour);
    if (l->lifecycle != COST_ON_DEMAND && l->lifecycle != COST_SPOT)
        return os_errorf(err, OS_EINVAL, "cost: unknown lifecycle %d", (int)l->lifecycle);
    if (l->lifecycle == COST_SPOT && (!l->spot || l->spot->n == 0))
        return os_errorf(err, OS_EINVAL, "cost: a spot instance needs its spot price process");
    if (end_us < l->launch_us)
        return os_errorf(err, OS_EINVAL, "cost: instance ends at %lld us before its launch %lld us",
                         (long long)end_us, (long long)l->launch_us);

    int64_t life_us = end_us - l->launch_us;
    int64_t used_s = cost_ceil_s(life_us);
    int64_t billed_s = used_s > c->ec2_min_s ? used_s : c->ec2_min_s;
    out->billed_s = billed_s;
    out->on_demand_usd = l->on_demand_usd_per_hour * ((double)billed_s / 3600.0);
    if (l->lifecycle == COST_ON_DEMAND) {
        out->usd = out->on_demand_usd;
    } else if (why == COST_END_INTERRUPTED && c->spot_free_if_interrupted_first_hour &&
               life_us < COST_US_PER_HOUR) {
        out->usd = 0;
    } else if (used_s < c->ec2_min_s) {
        /* The minimum is charged at the launch price [U]. */
        out->usd = spot_price_lookup(l->spot, l->launch_us) * ((double)billed_s / 3600.0);
    } else {
        out->usd =
            spot_price_integral_usd(l->spot, l->launch_us, l->launch_us + used_s * COST_US_PER_S);
    }
    return OS_OK;
}

int cost_fargate_charge(const struct cost_cfg *c, double vcpu, double mem_gb, int64_t start_us,
                        int64_t end_us, double *usd, struct os_error *err)
{
    if (!(isfinite(vcpu) && vcpu > 0))
        return os_errorf(err, OS_EINVAL, "cost: Fargate task with %g vCPU (must be > 0)", vcpu);
    if (!cost_nonneg(mem_gb))
        return os_errorf(err, OS_EINVAL, "cost: Fargate task with %g GB (must be >= 0)", mem_gb);
    if (end_us < start_us)
        return os_errorf(err, OS_EINVAL,
                         "cost: Fargate task ends at %lld us before its start %lld us",
                         (long long)end_us, (long long)start_us);
    int64_t s = cost_ceil_s(end_us - start_us);
    if (s < c->fargate_min_s)
        s = c->fargate_min_s;
    double per_hour = vcpu * c->fargate_vcpu_usd_per_hour + mem_gb * c->fargate_gb_usd_per_hour;
    *usd = per_hour * ((double)s / 3600.0);
    return OS_OK;
}

double cost_control_plane_usd(const struct cost_cfg *c, int64_t horizon_us)
{
    if (c->platform != COST_PLATFORM_EKS || horizon_us <= 0)
        return 0.0;
    double rate = c->eks_extended_support ? c->eks_extended_usd_per_cluster_hour
                                          : c->eks_usd_per_cluster_hour;
    return (double)c->clusters * rate * ((double)horizon_us / (double)COST_US_PER_HOUR);
}

double cost_ops_usd(const struct cost_cfg *c, int64_t horizon_us)
{
    if (horizon_us <= 0)
        return 0.0;
    double years = (double)horizon_us / (COST_DAYS_PER_YEAR * 24.0 * (double)COST_US_PER_HOUR);
    return c->ops_team_size * c->ops_usd_per_engineer_year * cost_ops_fraction(c) * years;
}

/* --- the meter ------------------------------------------------------------ */

static int cost_grow(struct cost_meter *m, uint32_t want, struct os_error *err)
{
    uint32_t cap = m->cap ? m->cap : 1;
    while (cap < want) {
        if (cap > UINT32_MAX / 4)
            return os_errorf(err, OS_EFULL, "cost: more than %u live instances", cap);
        cap *= 2;
    }
    struct cost_slot *s = realloc(m->slots, (size_t)cap * sizeof(*s));
    if (!s)
        return os_errorf(err, OS_ENOMEM, "cost: cannot grow to %u instance slots", cap);
    /* Chain the new slots onto the free list, lowest index first. */
    for (uint32_t i = cap; i-- > m->cap;) {
        memset(&s[i], 0, sizeof(s[i]));
        s[i].next_free = m->free_head;
        m->free_head = i;
    }
    m->slots = s;
    m->cap = cap;
    return OS_OK;
}

int cost_meter_init(struct cost_meter *m, const struct cost_cfg *c, size_t capacity,
                    struct os_error *err)
{
    memset(m, 0, sizeof(*m));
    m->free_head = COST_SLOT_NONE;
    int rc = cost_cfg_validate(c, err);
    if (rc)
        return rc;
    m->cfg = *c;
    if (capacity > UINT32_MAX / 4)
        return os_errorf(err, OS_EINVAL, "cost: capacity %zu is too large", capacity);
    return cost_grow(m, capacity ? (uint32_t)capacity : 16, err);
}

void cost_meter_destroy(struct cost_meter *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->free_head = COST_SLOT_NONE;
    m->live = 0;
}

static struct cost_slot *cost_slot_of(struct cost_meter *m, cost_handle h)
{
    uint64_t low = h & 0xffffffffu;
    if (low == 0 || low > m->cap)
        return NULL;
    struct cost_slot *s = &m->slots[low - 1];
    if (!s->live || s->gen != (uint32_t)(h >> 32))
        return NULL;
    return s;
}

int cost_instance_launch(struct cost_meter *m, const struct cost_launch *l, cost_handle *h,
                         struct os_error *err)
{
    if (m->finished)
        return os_errorf(err, OS_EINVAL, "cost: instance launched after cost_finish()");
    if (!(isfinite(l->on_demand_usd_per_hour) && l->on_demand_usd_per_hour > 0))
        return os_errorf(err, OS_EINVAL, "cost: on-demand price %g must be > 0",
                         l->on_demand_usd_per_hour);
    if (l->lifecycle != COST_ON_DEMAND && l->lifecycle != COST_SPOT)
        return os_errorf(err, OS_EINVAL, "cost: unknown lifecycle %d", (int)l->lifecycle);
    if (l->lifecycle == COST_SPOT && (!l->spot || l->spot->n == 0))
        return os_errorf(err, OS_EINVAL, "cost: a spot instance needs its spot price process");
    if (l->gpus < 0)
        return os_errorf(err, OS_EINVAL, "cost: instance with %d GPUs", (int)l->gpus);
    if (m->free_head == COST_SLOT_NONE) {
        int rc = cost_grow(m, m->cap + 1, err);
        if (rc)
            return rc;
    }
    uint32_t i = m->free_head;
    struct cost_slot *s = &m->slots[i];
    m->free_head = s->next_free;
    s->launch = *l;
    s->alloc_gpu_s = s->used_gpu_s = 0;
    s->live = true;
    s->next_free = COST_SLOT_NONE;
    m->live++;
    if (l->lifecycle == COST_SPOT)
        m->r.instances_spot++;
    else
        m->r.instances_on_demand++;
    if (l->gpus > 0)
        m->r.instances_gpu++;
    *h = (uint64_t)s->gen << 32 | (uint64_t)(i + 1);
    return OS_OK;
}

int cost_instance_gpu_time(struct cost_meter *m, cost_handle h, double alloc_gpu_s,
                           double used_gpu_s, struct os_error *err)
{
    struct cost_slot *s = cost_slot_of(m, h);
    if (!s)
        return os_errorf(err, OS_EINVAL, "cost: GPU time for an unknown or ended instance");
    if (!(cost_nonneg(alloc_gpu_s) && cost_nonneg(used_gpu_s)))
        return os_errorf(err, OS_EINVAL, "cost: GPU time must be >= 0 (allocated %g, used %g)",
                         alloc_gpu_s, used_gpu_s);
    if (used_gpu_s > alloc_gpu_s * (1 + 1e-12))
        return os_errorf(err, OS_EINVAL, "cost: used GPU time %g s exceeds the allocated %g s",
                         used_gpu_s, alloc_gpu_s);
    s->alloc_gpu_s += alloc_gpu_s;
    s->used_gpu_s += used_gpu_s;
    return OS_OK;
}

/* Bills slot s ended at end_us and releases it. */
static int cost_bill(struct cost_meter *m, struct cost_slot *s, int64_t end_us,
                     enum cost_end_reason why, struct os_error *err)
{
    struct cost_charge ch;
    int rc = cost_ec2_charge(&m->cfg, &s->launch, end_us, why, &ch, err);
    if (rc)
        return rc;
    struct cost_report *r = &m->r;
    if (s->launch.lifecycle == COST_SPOT) {
        r->spot_usd += ch.usd;
        r->spot_on_demand_equiv_usd += ch.on_demand_usd;
        if (why == COST_END_INTERRUPTED && m->cfg.spot_free_if_interrupted_first_hour &&
            end_us - s->launch.launch_us < COST_US_PER_HOUR)
            r->spot_free_first_hour++;
    } else {
        r->on_demand_usd += ch.usd;
    }
    if (s->launch.gpus > 0) {
        double g = (double)s->launch.gpus * ((double)(end_us - s->launch.launch_us) / 1e6);
        double a = s->alloc_gpu_s, u = s->used_gpu_s;
        if (a > g * (1 + 1e-9) + 1e-6)
            r->gpu_time_clamped++;
        if (a > g)
            a = g;
        if (u > a)
            u = a;
        r->gpu_instance_usd += ch.usd;
        r->gpu_capacity_h += g / 3600.0;
        r->gpu_alloc_h += a / 3600.0;
        r->gpu_used_h += u / 3600.0;
        if (g > 0) {
            r->idle_alloc_usd += ch.usd * ((a - u) / g);
            r->idle_unalloc_usd += ch.usd * ((g - a) / g);
        } else {
            r->idle_unalloc_usd += ch.usd;
        }
    }
    /* Release the slot; the generation makes the old handle stale. */
    uint32_t i = (uint32_t)(s - m->slots);
    s->live = false;
    s->gen++;
    s->next_free = m->free_head;
    m->free_head = i;
    m->live--;
    return OS_OK;
}

int cost_instance_end(struct cost_meter *m, cost_handle h, int64_t end_us, enum cost_end_reason why,
                      struct os_error *err)
{
    if (m->finished)
        return os_errorf(err, OS_EINVAL, "cost: instance ended after cost_finish()");
    if ((unsigned)why > COST_END_HORIZON)
        return os_errorf(err, OS_EINVAL, "cost: unknown end reason %d", (int)why);
    struct cost_slot *s = cost_slot_of(m, h);
    if (!s)
        return os_errorf(err, OS_EINVAL, "cost: end of an unknown or already ended instance");
    return cost_bill(m, s, end_us, why, err);
}

int cost_fargate_task(struct cost_meter *m, double vcpu, double mem_gb, int64_t start_us,
                      int64_t end_us, struct os_error *err)
{
    if (m->finished)
        return os_errorf(err, OS_EINVAL, "cost: Fargate task after cost_finish()");
    double usd;
    int rc = cost_fargate_charge(&m->cfg, vcpu, mem_gb, start_us, end_us, &usd, err);
    if (rc)
        return rc;
    m->r.fargate_usd += usd;
    m->r.fargate_tasks++;
    return OS_OK;
}

void cost_add_requests(struct cost_meter *m, uint64_t n)
{
    m->r.requests += n;
}

void cost_add_interruptions(struct cost_meter *m, uint64_t n, double lost_gpu_hours)
{
    m->r.spot_interruptions += n;
    if (isfinite(lost_gpu_hours) && lost_gpu_hours > 0)
        m->r.lost_gpu_hours += lost_gpu_hours;
}

int cost_finish(struct cost_meter *m, int64_t horizon_us, struct os_error *err)
{
    if (m->finished)
        return os_errorf(err, OS_EINVAL, "cost: cost_finish() called twice");
    if (horizon_us < 0)
        return os_errorf(err, OS_EINVAL, "cost: horizon %lld us must be >= 0",
                         (long long)horizon_us);
    /* Check every live instance before billing any, so a failure changes nothing. */
    for (uint32_t i = 0; i < m->cap; i++)
        if (m->slots[i].live && m->slots[i].launch.launch_us > horizon_us)
            return os_errorf(err, OS_EINVAL,
                             "cost: an instance launched at %lld us, after the horizon %lld us",
                             (long long)m->slots[i].launch.launch_us, (long long)horizon_us);
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].live)
            continue;
        int rc = cost_bill(m, &m->slots[i], horizon_us, COST_END_HORIZON, err);
        if (rc)
            return rc;
    }
    m->r.horizon_h = (double)horizon_us / (double)COST_US_PER_HOUR;
    m->r.control_plane_usd = cost_control_plane_usd(&m->cfg, horizon_us);
    m->r.ops_usd = cost_ops_usd(&m->cfg, horizon_us);
    m->finished = true;
    return OS_OK;
}

void cost_report(const struct cost_meter *m, struct cost_report *out)
{
    *out = m->r;
    out->cost_usd = out->on_demand_usd + out->spot_usd + out->control_plane_usd + out->fargate_usd;
    out->tco_usd = out->cost_usd + out->ops_usd;
    out->spot_savings_usd = out->spot_on_demand_equiv_usd - out->spot_usd;
    out->idle_usd = out->idle_alloc_usd + out->idle_unalloc_usd;
}

size_t cost_summary_metrics(const struct cost_meter *m, struct cost_metric *out)
{
    struct cost_report r;
    size_t n = 0;
    cost_report(m, &r);
    out[n++] = (struct cost_metric){"cost_usd", r.cost_usd};
    out[n++] = (struct cost_metric){"tco_usd", r.tco_usd};
    out[n++] = (struct cost_metric){"ops_cost_usd", r.ops_usd};
    if (r.requests > 0)
        out[n++] = (struct cost_metric){"cost_per_1k_requests_usd",
                                        r.cost_usd * 1000.0 / (double)r.requests};
    if (r.gpu_used_h > 0)
        out[n++] = (struct cost_metric){"cost_per_useful_gpu_hour_usd", r.cost_usd / r.gpu_used_h};
    if (r.instances_gpu > 0)
        out[n++] = (struct cost_metric){"idle_cost_usd", r.idle_usd};
    if (r.instances_spot > 0 || r.spot_interruptions > 0 || r.lost_gpu_hours > 0) {
        out[n++] = (struct cost_metric){"spot_savings_usd", r.spot_savings_usd};
        out[n++] = (struct cost_metric){"spot_interruptions", (double)r.spot_interruptions};
        out[n++] = (struct cost_metric){"lost_gpu_hours", r.lost_gpu_hours};
    }
    return n;
}

/* Fargate task sizes (Amazon ECS developer guide, "Task CPU and memory",
 * Linux): vCPU -> memory range (GB) and step. */
static const struct {
    double vcpu, mem_lo, mem_hi, step;
} fargate_sizes[] = {
    {0.25, 0.5, 2, 0}, /* 0.5, 1 or 2 GB only (cost_fargate_size) */
    {0.5, 1, 4, 1},    {1, 2, 8, 1}, {2, 4, 16, 1}, {4, 8, 30, 1}, {8, 16, 60, 4}, {16, 32, 120, 8},
};

int cost_fargate_size(double vcpu, double mem_gb, double *out_vcpu, double *out_gb,
                      struct os_error *err)
{
    if (!(vcpu > 0) || !(mem_gb >= 0))
        return os_errorf(err, OS_EINVAL, "fargate: %g vCPU and %g GB is not a task size", vcpu,
                         mem_gb);
    for (size_t k = 0; k < sizeof fargate_sizes / sizeof fargate_sizes[0]; k++) {
        if (fargate_sizes[k].vcpu < vcpu || fargate_sizes[k].mem_hi < mem_gb)
            continue;
        double m = fargate_sizes[k].mem_lo;
        if (k == 0) {
            /* 0.25 vCPU: 0.5, 1 or 2 GB */
            m = mem_gb <= 0.5 ? 0.5 : mem_gb <= 1 ? 1 : 2;
        } else if (mem_gb > m) {
            m += ceil((mem_gb - m) / fargate_sizes[k].step - 1e-9) * fargate_sizes[k].step;
        }
        *out_vcpu = fargate_sizes[k].vcpu;
        *out_gb = m;
        return OS_OK;
    }
    return os_errorf(err, OS_EINVAL,
                     "fargate: no task size has %g vCPU and %g GB (at most 16 vCPU and 120 GB)",
                     vcpu, mem_gb);
}
