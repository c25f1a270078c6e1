/*
 * ecs_capacity.c - ECS capacity providers: the CapacityProviderReservation
 * metric, managed scaling of the Auto Scaling group, and capacity provider
 * strategies (see ecs_capacity.h for the model and its sources).
 *
 * All comparisons of the metric with the target are done on integers
 * (pub_m * 100 against target * N), so a value of exactly the target is never
 * read as above or below it because of rounding; the double `cpr` is only
 * reported.
 */
#include "models/autoscale/ecs_capacity.h"

#include <limits.h>
#include <string.h>

void ecs_capacity_cfg_defaults(struct ecs_capacity_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->ntypes = 0;
    c->availability_zones = 1;
    c->asg_min = 0;
    c->asg_max = 100;
    c->managed_scaling = true;
    c->target_capacity = 100;
    c->min_step = 1;
    c->max_step = ECS_CAPACITY_STEP_MAX;
    c->warmup_us = 300 * ECS_CAPACITY_US_PER_S;
    c->high_periods = 1;
    c->low_periods = 15;
    c->zero_scale_out = 2;
    c->scale_in_max_pct = 50;
    c->combine = ECS_CAPACITY_COMBINE_MAX;
    c->managed_termination_protection = false;
    c->managed_draining = true;
}

int ecs_capacity_cfg_validate(const struct ecs_capacity_cfg *c, struct os_error *err)
{
    if (c->ntypes < 1 || c->ntypes > ECS_CAPACITY_TYPES_MAX)
        return os_errorf(err, OS_EINVAL, "types: %u instance types, need 1..%d", c->ntypes,
                         ECS_CAPACITY_TYPES_MAX);
    for (uint32_t i = 0; i < c->ntypes; i++) {
        const struct ecs_capacity_shape *t = &c->types[i];
        if (t->cpu_milli <= 0 || t->mem_mib <= 0 || t->gpus < 0)
            return os_errorf(err, OS_EINVAL,
                             "types[%u]: cpu_milli %d and mem_mib %d must be > 0, gpus %d >= 0", i,
                             t->cpu_milli, t->mem_mib, t->gpus);
    }
    if (c->availability_zones < 1)
        return os_errorf(err, OS_EINVAL, "availability_zones: must be >= 1");
    if (c->asg_min < 0)
        return os_errorf(err, OS_EINVAL, "asg_min: %d must be >= 0", c->asg_min);
    if (c->asg_max < c->asg_min || c->asg_max > ECS_CAPACITY_ASG_MAX)
        return os_errorf(err, OS_EINVAL, "asg_max: %d out of [asg_min %d, %d]", c->asg_max,
                         c->asg_min, ECS_CAPACITY_ASG_MAX);
    if (c->target_capacity < 1 || c->target_capacity > 100)
        return os_errorf(err, OS_EINVAL, "target_capacity: %d out of [1, 100]", c->target_capacity);
    if (c->min_step < 1 || c->min_step > ECS_CAPACITY_STEP_MAX)
        return os_errorf(err, OS_EINVAL, "min_step: %d out of [1, %d]", c->min_step,
                         ECS_CAPACITY_STEP_MAX);
    if (c->max_step < c->min_step || c->max_step > ECS_CAPACITY_STEP_MAX)
        return os_errorf(err, OS_EINVAL, "max_step: %d out of [min_step %d, %d]", c->max_step,
                         c->min_step, ECS_CAPACITY_STEP_MAX);
    if (c->warmup_us < 0 || c->warmup_us > ECS_CAPACITY_WARMUP_MAX * ECS_CAPACITY_US_PER_S)
        return os_errorf(err, OS_EINVAL, "warmup: %lld us out of [0, %d s]",
                         (long long)c->warmup_us, ECS_CAPACITY_WARMUP_MAX);
    if (c->high_periods < 1 || c->high_periods > ECS_CAPACITY_PERIODS_MAX)
        return os_errorf(err, OS_EINVAL, "high_periods: %u out of [1, %d]", c->high_periods,
                         ECS_CAPACITY_PERIODS_MAX);
    if (c->low_periods < 1 || c->low_periods > ECS_CAPACITY_PERIODS_MAX)
        return os_errorf(err, OS_EINVAL, "low_periods: %u out of [1, %d]", c->low_periods,
                         ECS_CAPACITY_PERIODS_MAX);
    if (c->zero_scale_out < 1)
        return os_errorf(err, OS_EINVAL, "zero_scale_out: %d must be >= 1", c->zero_scale_out);
    if (c->scale_in_max_pct < 1 || c->scale_in_max_pct > 100)
        return os_errorf(err, OS_EINVAL, "scale_in_max_pct: %d out of [1, 100]",
                         c->scale_in_max_pct);
    if (c->combine != ECS_CAPACITY_COMBINE_MAX && c->combine != ECS_CAPACITY_COMBINE_SUM)
        return os_errorf(err, OS_EINVAL, "combine: unknown value %d", (int)c->combine);
    return 0;
}

/* Per-dimension minimum and maximum of the group's instance types. */
static void ecs_capacity_extremes(const struct ecs_capacity_cfg *c, struct ecs_capacity_shape *lo,
                                  struct ecs_capacity_shape *hi)
{
    *lo = c->types[0];
    *hi = c->types[0];
    for (uint32_t i = 1; i < c->ntypes; i++) {
        const struct ecs_capacity_shape *t = &c->types[i];
        lo->cpu_milli = t->cpu_milli < lo->cpu_milli ? t->cpu_milli : lo->cpu_milli;
        lo->mem_mib = t->mem_mib < lo->mem_mib ? t->mem_mib : lo->mem_mib;
        lo->gpus = t->gpus < lo->gpus ? t->gpus : lo->gpus;
        hi->cpu_milli = t->cpu_milli > hi->cpu_milli ? t->cpu_milli : hi->cpu_milli;
        hi->mem_mib = t->mem_mib > hi->mem_mib ? t->mem_mib : hi->mem_mib;
        hi->gpus = t->gpus > hi->gpus ? t->gpus : hi->gpus;
    }
}

int ecs_capacity_init(struct ecs_capacity *cp, const struct ecs_capacity_cfg *cfg,
                      struct os_error *err)
{
    int rc = ecs_capacity_cfg_validate(cfg, err);
    if (rc)
        return rc;
    memset(cp, 0, sizeof(*cp));
    cp->cfg = *cfg;
    ecs_capacity_extremes(cfg, &cp->smallest, &cp->largest);
    cp->last_us = INT64_MIN;
    return 0;
}

void ecs_capacity_destroy(struct ecs_capacity *cp)
{
    memset(cp, 0, sizeof(*cp));
}

static bool ecs_capacity_fits(const struct ecs_capacity_shape *need,
                              const struct ecs_capacity_shape *cap)
{
    return need->cpu_milli <= cap->cpu_milli && need->mem_mib <= cap->mem_mib &&
           need->gpus <= cap->gpus;
}

/* Tasks of shape `need` one instance of shape `cap` holds (need fits cap);
 * UINT32_MAX when the task needs nothing. */
static uint32_t ecs_capacity_per_instance(const struct ecs_capacity_shape *need,
                                          const struct ecs_capacity_shape *cap)
{
    uint32_t k = UINT32_MAX;
    if (need->cpu_milli > 0 && (uint32_t)(cap->cpu_milli / need->cpu_milli) < k)
        k = (uint32_t)(cap->cpu_milli / need->cpu_milli);
    if (need->mem_mib > 0 && (uint32_t)(cap->mem_mib / need->mem_mib) < k)
        k = (uint32_t)(cap->mem_mib / need->mem_mib);
    if (need->gpus > 0 && (uint32_t)(cap->gpus / need->gpus) < k)
        k = (uint32_t)(cap->gpus / need->gpus);
    return k;
}

static uint32_t ecs_capacity_sat_add(uint32_t a, uint32_t b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

/* The reservation against the given smallest and largest shapes. */
static int ecs_capacity_reserve(const struct ecs_capacity_cfg *c,
                                const struct ecs_capacity_shape *small,
                                const struct ecs_capacity_shape *large,
                                const struct ecs_capacity_input *in, struct ecs_capacity_cpr *o,
                                struct os_error *err)
{
    memset(o, 0, sizeof(*o));
    for (uint32_t i = 0; i < in->ninstances; i++) {
        const struct ecs_capacity_instance *x = &in->instances[i];
        if (x->draining)
            continue;
        o->n++;
        if (x->tasks > 0)
            o->busy++;
    }
    uint32_t compatible = 0;
    for (uint32_t g = 0; g < in->ngroups; g++) {
        const struct ecs_capacity_group *gr = &in->groups[g];
        if (gr->need.cpu_milli < 0 || gr->need.mem_mib < 0 || gr->need.gpus < 0)
            return os_errorf(err, OS_EINVAL, "groups[%u]: negative resource need", g);
        if (gr->count == 0)
            continue;
        if (!ecs_capacity_fits(&gr->need, small)) {
            o->ignored = ecs_capacity_sat_add(o->ignored, gr->count);
            continue;
        }
        uint32_t k = ecs_capacity_per_instance(&gr->need, large);
        uint32_t est = k == UINT32_MAX ? 1 : gr->count / k + (gr->count % k != 0);
        if (c->combine == ECS_CAPACITY_COMBINE_SUM)
            o->extra = ecs_capacity_sat_add(o->extra, est);
        else if (est > o->extra)
            o->extra = est;
        compatible = ecs_capacity_sat_add(compatible, gr->count);
    }
    o->m = ecs_capacity_sat_add(o->busy, o->extra);
    if (o->ignored > 0 && compatible == 0) {
        /* "cluster auto scaling stops and CapacityProviderReservation
         * remains at 100%". */
        o->frozen = true;
        o->pub_m = o->n;
        o->cpr = 100.0;
        return 0;
    }
    if (o->n == 0) {
        o->pub_m = o->m;
        o->cpr = o->m > 0 ? 200.0 : 100.0;
        return 0;
    }
    if (o->m > o->n) {
        uint32_t want = o->m - o->n;
        uint32_t step = want < (uint32_t)c->max_step ? want : (uint32_t)c->max_step;
        if (step < (uint32_t)c->min_step)
            step = (uint32_t)c->min_step;
        o->step = step;
        o->pub_m = ecs_capacity_sat_add(o->n, step);
    } else {
        o->pub_m = o->m;
    }
    o->cpr = (double)o->pub_m * 100.0 / (double)o->n;
    return 0;
}

int ecs_capacity_reservation(const struct ecs_capacity_cfg *cfg,
                             const struct ecs_capacity_input *in, struct ecs_capacity_cpr *out,
                             struct os_error *err)
{
    if (cfg->ntypes < 1 || cfg->ntypes > ECS_CAPACITY_TYPES_MAX)
        return os_errorf(err, OS_EINVAL, "types: %u instance types, need 1..%d", cfg->ntypes,
                         ECS_CAPACITY_TYPES_MAX);
    struct ecs_capacity_shape lo, hi;
    ecs_capacity_extremes(cfg, &lo, &hi);
    return ecs_capacity_reserve(cfg, &lo, &hi, in, out, err);
}

bool ecs_capacity_protected(const struct ecs_capacity_cfg *cfg,
                            const struct ecs_capacity_instance *inst)
{
    return inst->protect || (cfg->managed_termination_protection && inst->tasks > 0);
}

static int64_t ecs_capacity_ceil_div(int64_t a, int64_t b)
{
    return a / b + (a % b != 0);
}

/* Inserts instance i into the sorted victim list v[0..*k) (oldest launch
 * first, then lower index), keeping at most cap entries. */
static void ecs_capacity_victim_insert(const struct ecs_capacity_instance *xs, uint32_t i,
                                       uint32_t *v, uint32_t *k, uint32_t cap)
{
    int64_t t = xs[i].launched_us;
    uint32_t pos = *k;
    while (pos > 0 && xs[v[pos - 1]].launched_us > t)
        pos--;
    if (pos >= cap)
        return;
    uint32_t end = *k < cap ? *k : cap - 1;
    for (uint32_t j = end; j > pos; j--)
        v[j] = v[j - 1];
    v[pos] = i;
    if (*k < cap)
        (*k)++;
}

int ecs_capacity_step(struct ecs_capacity *cp, int64_t now_us, const struct ecs_capacity_input *in,
                      struct ecs_capacity_decision *d, struct os_error *err)
{
    const struct ecs_capacity_cfg *c = &cp->cfg;
    if (cp->last_us != INT64_MIN && now_us <= cp->last_us)
        return os_errorf(err, OS_EINVAL,
                         "capacity step at %lld us not after the previous step at %lld us",
                         (long long)now_us, (long long)cp->last_us);
    if (d->terminate_cap > 0 && !d->terminate)
        return os_errorf(err, OS_EINVAL, "capacity step: terminate buffer is NULL");
    for (uint32_t i = 0; i < in->ninstances; i++)
        if (in->instances[i].launched_us > now_us)
            return os_errorf(err, OS_EINVAL,
                             "instances[%u]: launched at %lld us, after now %lld us", i,
                             (long long)in->instances[i].launched_us, (long long)now_us);
    int rc = ecs_capacity_reserve(c, &cp->smallest, &cp->largest, in, &d->cpr, err);
    if (rc)
        return rc;

    const struct ecs_capacity_cpr *r = &d->cpr;
    const int64_t n = r->n, target = c->target_capacity;
    bool high, low;
    if (n == 0) {
        high = r->m > 0 && !r->frozen && 200 > target;
        low = false;
    } else {
        high = r->m > 0 && !r->frozen && (int64_t)r->pub_m * 100 > target * n;
        low = (int64_t)r->pub_m * 100 < target * n;
    }
    cp->high_streak = high ? (cp->high_streak < UINT32_MAX ? cp->high_streak + 1 : UINT32_MAX) : 0;
    cp->low_streak = low ? (cp->low_streak < UINT32_MAX ? cp->low_streak + 1 : UINT32_MAX) : 0;
    cp->last_us = now_us;

    d->alarm_high = cp->high_streak >= c->high_periods;
    d->alarm_low = cp->low_streak >= c->low_periods;
    d->reason = ECS_CAPACITY_NONE;
    d->blocked = 0;
    d->launch = 0;
    d->nterminate = 0;
    d->drain = 0;

    if (!c->managed_scaling) {
        d->blocked |= ECS_CAPACITY_BLOCK_UNMANAGED;
    } else if (d->alarm_high) {
        bool warming = false;
        for (uint32_t i = 0; i < in->ninstances && !warming; i++) {
            const struct ecs_capacity_instance *x = &in->instances[i];
            warming = !x->draining && now_us - x->launched_us < c->warmup_us;
        }
        if (warming) {
            d->blocked |= ECS_CAPACITY_BLOCK_WARMUP;
        } else {
            int64_t want;
            if (n == 0)
                want = c->zero_scale_out > c->min_step ? c->zero_scale_out : c->min_step;
            else if (c->ntypes > 1 || c->availability_zones > 1)
                want = n + c->min_step;
            else
                want = ecs_capacity_ceil_div((int64_t)r->pub_m * 100, target);
            if (want > c->asg_max) {
                want = c->asg_max;
                d->blocked |= ECS_CAPACITY_BLOCK_AT_MAX;
            }
            if (want > n) {
                d->launch = (uint32_t)(want - n);
                d->reason = ECS_CAPACITY_SCALE_OUT;
                cp->scale_outs++;
            }
        }
    } else if (d->alarm_low && n > 0) {
        int64_t want = ecs_capacity_ceil_div((int64_t)r->pub_m * 100, target);
        int64_t red = n - want;
        int64_t most = n * c->scale_in_max_pct / 100;
        if (most < 1)
            most = 1;
        if (red > most)
            red = most;
        if (red > 0 && n - red < c->asg_min) {
            red = n > c->asg_min ? n - c->asg_min : 0;
            d->blocked |= ECS_CAPACITY_BLOCK_AT_MIN;
        }
        if (red > 0) {
            uint32_t cap = d->terminate_cap;
            if ((int64_t)cap < red)
                d->blocked |= ECS_CAPACITY_BLOCK_BUFFER;
            else
                cap = (uint32_t)red;
            uint32_t k = 0;
            for (uint32_t i = 0; i < in->ninstances && cap > 0; i++) {
                const struct ecs_capacity_instance *x = &in->instances[i];
                if (x->draining || ecs_capacity_protected(c, x) ||
                    now_us - x->launched_us < c->warmup_us)
                    continue;
                ecs_capacity_victim_insert(in->instances, i, d->terminate, &k, cap);
            }
            d->nterminate = k;
            if ((int64_t)k < red && !(d->blocked & ECS_CAPACITY_BLOCK_BUFFER))
                d->blocked |= ECS_CAPACITY_BLOCK_PROTECTED;
            for (uint32_t j = 0; j < k; j++)
                if (in->instances[d->terminate[j]].tasks > 0)
                    d->drain++;
            if (k > 0) {
                d->reason = ECS_CAPACITY_SCALE_IN;
                cp->scale_ins++;
            }
        }
    }

    int64_t total = n + d->launch - d->nterminate;
    if (total < c->asg_min) {
        d->launch += (uint32_t)(c->asg_min - total);
        total = c->asg_min;
        if (d->reason == ECS_CAPACITY_NONE)
            d->reason = ECS_CAPACITY_ASG_MIN;
    }
    d->desired = (int32_t)total;
    return 0;
}

int ecs_capacity_group_tasks(const struct ecs_capacity_shape *needs, uint32_t n,
                             struct ecs_capacity_group *groups, uint32_t *ngroups, uint32_t cap,
                             struct os_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        const struct ecs_capacity_shape *s = &needs[i];
        uint32_t g = 0;
        while (g < *ngroups &&
               !(groups[g].need.cpu_milli == s->cpu_milli && groups[g].need.mem_mib == s->mem_mib &&
                 groups[g].need.gpus == s->gpus))
            g++;
        if (g == *ngroups) {
            if (*ngroups >= cap)
                return os_errorf(err, OS_EFULL, "more than %u distinct task shapes", cap);
            groups[g] = (struct ecs_capacity_group){.need = *s, .count = 0};
            (*ngroups)++;
        }
        groups[g].count++;
    }
    return 0;
}

const char *ecs_capacity_reason_name(enum ecs_capacity_reason r)
{
    switch (r) {
    case ECS_CAPACITY_NONE:
        return "none";
    case ECS_CAPACITY_SCALE_OUT:
        return "scale_out";
    case ECS_CAPACITY_SCALE_IN:
        return "scale_in";
    case ECS_CAPACITY_ASG_MIN:
        return "asg_min";
    }
    return "unknown";
}

/* --- capacity provider strategy ---------------------------------------------- */

int ecs_capacity_strategy_validate(const struct ecs_capacity_strategy *s, struct os_error *err)
{
    if (s->n == 0)
        return os_errorf(err, OS_EINVAL, "capacity provider strategy: no capacity provider given");
    if (s->n > ECS_CAPACITY_STRATEGY_MAX)
        return os_errorf(err, OS_EINVAL,
                         "capacity provider strategy: %u capacity providers, at most %d", s->n,
                         ECS_CAPACITY_STRATEGY_MAX);
    int32_t base_at = -1;
    uint64_t wsum = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        const struct ecs_capacity_strategy_item *it = &s->items[i];
        for (uint32_t j = 0; j < i; j++)
            if (s->items[j].provider == it->provider)
                return os_errorf(err, OS_EINVAL,
                                 "capacity provider strategy: provider %d is listed twice",
                                 it->provider);
        if (it->base > ECS_CAPACITY_BASE_MAX)
            return os_errorf(err, OS_EINVAL,
                             "capacity provider strategy: provider %d: base %u out of [0, %d]",
                             it->provider, it->base, ECS_CAPACITY_BASE_MAX);
        if (it->weight > ECS_CAPACITY_WEIGHT_MAX)
            return os_errorf(err, OS_EINVAL,
                             "capacity provider strategy: provider %d: weight %u out of [0, %d]",
                             it->provider, it->weight, ECS_CAPACITY_WEIGHT_MAX);
        if (it->base > 0) {
            if (base_at >= 0)
                return os_errorf(err, OS_EINVAL,
                                 "capacity provider strategy: base is set on providers %d and %d; "
                                 "only one provider may have a base",
                                 s->items[base_at].provider, it->provider);
            base_at = (int32_t)i;
        }
        wsum += it->weight;
    }
    if (s->n > 1 && wsum == 0)
        return os_errorf(err, OS_EINVAL,
                         "capacity provider strategy: all %u weights are 0; at least one provider "
                         "needs a weight > 0",
                         s->n);
    return 0;
}

/* The split of a valid strategy (no checks). */
static void ecs_capacity_split(const struct ecs_capacity_strategy *s, uint32_t total,
                               uint32_t *counts)
{
    uint64_t wsum = 0;
    uint32_t rest = total;
    for (uint32_t i = 0; i < s->n; i++) {
        counts[i] = 0;
        wsum += s->items[i].weight;
    }
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->items[i].base > 0) {
            uint32_t b = s->items[i].base < rest ? s->items[i].base : rest;
            counts[i] = b;
            rest -= b;
        }
    }
    if (rest == 0)
        return;
    if (wsum == 0) { /* a single provider with weight 0 takes the rest [U] */
        counts[0] += rest;
        return;
    }
    uint64_t given = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        uint64_t q = (uint64_t)rest * s->items[i].weight / wsum;
        counts[i] += (uint32_t)q;
        given += q;
    }
    /* Largest remainders: at most n - 1 tasks are left. A task goes to the
     * item with the largest remainder not yet served, ties to the first. */
    uint32_t served = 0; /* bit i: item i got its extra task */
    for (uint64_t left = rest - given; left > 0; left--) {
        int32_t best = -1;
        uint64_t best_r = 0;
        for (uint32_t i = 0; i < s->n; i++) {
            if (served & (UINT32_C(1) << i) || s->items[i].weight == 0)
                continue;
            uint64_t r = (uint64_t)rest * s->items[i].weight % wsum;
            if (best < 0 || r > best_r) {
                best = (int32_t)i;
                best_r = r;
            }
        }
        counts[best]++;
        served |= UINT32_C(1) << best;
    }
}

int ecs_capacity_strategy_split(const struct ecs_capacity_strategy *s, uint32_t total,
                                uint32_t *counts, struct os_error *err)
{
    int rc = ecs_capacity_strategy_validate(s, err);
    if (rc)
        return rc;
    ecs_capacity_split(s, total, counts);
    return 0;
}

uint32_t ecs_capacity_strategy_pick(const struct ecs_capacity_strategy *s, const uint32_t *current)
{
    uint32_t want[ECS_CAPACITY_STRATEGY_MAX];
    uint64_t total = 0;
    for (uint32_t i = 0; i < s->n; i++)
        total += current[i];
    ecs_capacity_split(s, total >= UINT32_MAX ? UINT32_MAX : (uint32_t)total + 1, want);
    uint32_t best = 0;
    int64_t best_d = INT64_MIN;
    for (uint32_t i = 0; i < s->n; i++) {
        int64_t d = (int64_t)want[i] - (int64_t)current[i];
        if (d > best_d) {
            best = i;
            best_d = d;
        }
    }
    return best;
}

uint32_t ecs_capacity_strategy_pick_remove(const struct ecs_capacity_strategy *s,
                                           const uint32_t *current)
{
    uint32_t want[ECS_CAPACITY_STRATEGY_MAX];
    uint64_t total = 0;
    for (uint32_t i = 0; i < s->n; i++)
        total += current[i];
    ecs_capacity_split(s, total == 0 ? 0 : (uint32_t)(total - 1), want);
    uint32_t best = 0;
    int64_t best_d = INT64_MIN;
    for (uint32_t i = 0; i < s->n; i++) {
        if (current[i] == 0)
            continue;
        int64_t d = (int64_t)current[i] - (int64_t)want[i];
        if (d > best_d) {
            best = i;
            best_d = d;
        }
    }
    return best;
}
