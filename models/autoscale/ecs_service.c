/*
 * ecs_service.c - ECS Service Auto Scaling controller (see ecs_service.h for
 * the model and its sources).
 *
 * Every alarm keeps the breach bits of its last 64 datapoints in a word
 * (bit 0 = latest), so an M-of-N alarm is a popcount of the low N bits and
 * observe() is a shift. evaluate() walks the policies once, collects the
 * largest scale-out proposal and the scale-in proposals, and applies at most
 * one change: a scale-out if any policy proposes one, else a scale-in if the
 * target tracking policies all agree (or a step policy asks for it).
 */
#include "models/autoscale/ecs_service.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#define ECS_SERVICE_DEFAULT_COOLDOWN_US (300 * ECS_SERVICE_US_PER_S)

/* Absolute tolerance of the ceil in the target tracking formula, so that
 * 4 * 75 / 50 = 6.0000000000000001 still gives 6 [U]. */
#define ECS_SERVICE_CEIL_EPS 1e-9

void ecs_service_cfg_defaults(struct ecs_service_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->min_capacity = 1;
    c->max_capacity = 10;
    c->npolicies = 0;
}

void ecs_service_policy_tt(struct ecs_service_policy *p, enum ecs_service_metric metric,
                           double target)
{
    memset(p, 0, sizeof(*p));
    p->kind = ECS_SERVICE_TARGET_TRACKING;
    p->metric = metric;
    p->u.tt.target = target;
    p->u.tt.scale_out_cooldown_us = ECS_SERVICE_DEFAULT_COOLDOWN_US;
    p->u.tt.scale_in_cooldown_us = ECS_SERVICE_DEFAULT_COOLDOWN_US;
    p->u.tt.disable_scale_in = false;
    p->u.tt.high_periods = 3;
    p->u.tt.low_periods = 15;
    p->u.tt.scale_in_margin = 0.10;
}

void ecs_service_policy_step(struct ecs_service_policy *p, enum ecs_service_metric metric,
                             enum ecs_service_cmp cmp, double threshold,
                             enum ecs_service_adjust adjust)
{
    memset(p, 0, sizeof(*p));
    p->kind = ECS_SERVICE_STEP_SCALING;
    p->metric = metric;
    p->u.step.threshold = threshold;
    p->u.step.cmp = cmp;
    p->u.step.evaluation_periods = 1;
    p->u.step.datapoints_to_alarm = 0;
    p->u.step.adjust = adjust;
    p->u.step.min_adjustment_magnitude = 0;
    p->u.step.cooldown_us = ECS_SERVICE_DEFAULT_COOLDOWN_US;
    p->u.step.nsteps = 0;
}

int ecs_service_step_add(struct ecs_service_policy *p, bool has_lower, double lower, bool has_upper,
                         double upper, int32_t adjustment, struct os_error *err)
{
    if (p->kind != ECS_SERVICE_STEP_SCALING)
        return os_errorf(err, OS_EINVAL, "step adjustment added to a non-step policy");
    struct ecs_service_step_cfg *sc = &p->u.step;
    if (sc->nsteps >= ECS_SERVICE_STEPS_MAX)
        return os_errorf(err, OS_EFULL, "step policy already has %d step adjustments (the maximum)",
                         ECS_SERVICE_STEPS_MAX);
    sc->steps[sc->nsteps++] = (struct ecs_service_step){
        .has_lower = has_lower,
        .lower = lower,
        .has_upper = has_upper,
        .upper = upper,
        .adjustment = adjustment,
    };
    return 0;
}

/* --- validation -------------------------------------------------------------- */

static int ecs_service_tt_validate(const struct ecs_service_tt_cfg *t, uint32_t i,
                                   struct os_error *err)
{
    if (!(isfinite(t->target) && t->target > 0))
        return os_errorf(err, OS_EINVAL, "policies[%u].target: %g must be a finite number > 0", i,
                         t->target);
    if (t->scale_out_cooldown_us < 0 || t->scale_in_cooldown_us < 0)
        return os_errorf(err, OS_EINVAL, "policies[%u]: cooldowns must be >= 0", i);
    if (t->high_periods < 1 || t->high_periods > ECS_SERVICE_PERIODS_MAX)
        return os_errorf(err, OS_EINVAL, "policies[%u].high_periods: %u out of [1, %d]", i,
                         t->high_periods, ECS_SERVICE_PERIODS_MAX);
    if (t->low_periods < 1 || t->low_periods > ECS_SERVICE_PERIODS_MAX)
        return os_errorf(err, OS_EINVAL, "policies[%u].low_periods: %u out of [1, %d]", i,
                         t->low_periods, ECS_SERVICE_PERIODS_MAX);
    if (!(isfinite(t->scale_in_margin) && t->scale_in_margin >= 0 && t->scale_in_margin < 1))
        return os_errorf(err, OS_EINVAL, "policies[%u].scale_in_margin: %g out of [0, 1)", i,
                         t->scale_in_margin);
    return 0;
}

static int ecs_service_step_validate(const struct ecs_service_step_cfg *s, uint32_t i,
                                     struct os_error *err)
{
    if (!isfinite(s->threshold))
        return os_errorf(err, OS_EINVAL, "policies[%u].threshold: must be finite", i);
    if (s->cmp > ECS_SERVICE_LT)
        return os_errorf(err, OS_EINVAL, "policies[%u].cmp: unknown comparison %d", i, (int)s->cmp);
    if (s->adjust > ECS_SERVICE_EXACT_CAPACITY)
        return os_errorf(err, OS_EINVAL, "policies[%u].adjust: unknown adjustment type %d", i,
                         (int)s->adjust);
    if (s->evaluation_periods < 1 || s->evaluation_periods > ECS_SERVICE_PERIODS_MAX)
        return os_errorf(err, OS_EINVAL, "policies[%u].evaluation_periods: %u out of [1, %d]", i,
                         s->evaluation_periods, ECS_SERVICE_PERIODS_MAX);
    if (s->datapoints_to_alarm > s->evaluation_periods)
        return os_errorf(err, OS_EINVAL,
                         "policies[%u].datapoints_to_alarm: %u exceeds evaluation_periods %u", i,
                         s->datapoints_to_alarm, s->evaluation_periods);
    if (s->min_adjustment_magnitude < 0)
        return os_errorf(err, OS_EINVAL, "policies[%u].min_adjustment_magnitude: %d must be >= 0",
                         i, s->min_adjustment_magnitude);
    if (s->cooldown_us < 0)
        return os_errorf(err, OS_EINVAL, "policies[%u].cooldown: must be >= 0", i);
    if (s->nsteps < 1 || s->nsteps > ECS_SERVICE_STEPS_MAX)
        return os_errorf(err, OS_EINVAL, "policies[%u].steps: %u step adjustments, need 1..%d", i,
                         s->nsteps, ECS_SERVICE_STEPS_MAX);
    bool negative_lower = false, positive_upper = false;
    for (uint32_t k = 0; k < s->nsteps; k++) {
        const struct ecs_service_step *st = &s->steps[k];
        if (!st->has_lower && !st->has_upper)
            return os_errorf(err, OS_EINVAL,
                             "policies[%u].steps[%u]: lower and upper bound can't both be absent",
                             i, k);
        if ((st->has_lower && !isfinite(st->lower)) || (st->has_upper && !isfinite(st->upper)))
            return os_errorf(err, OS_EINVAL, "policies[%u].steps[%u]: bounds must be finite", i, k);
        if (st->has_lower && st->has_upper && !(st->lower < st->upper))
            return os_errorf(err, OS_EINVAL,
                             "policies[%u].steps[%u]: lower bound %g must be < upper bound %g", i,
                             k, st->lower, st->upper);
        if (k > 0 && !st->has_lower)
            return os_errorf(err, OS_EINVAL,
                             "policies[%u].steps[%u]: only the first step may lack a lower bound",
                             i, k);
        if (k + 1 < s->nsteps && !st->has_upper)
            return os_errorf(err, OS_EINVAL,
                             "policies[%u].steps[%u]: only the last step may lack an upper bound",
                             i, k);
        if (k > 0 && s->steps[k - 1].upper != st->lower)
            return os_errorf(err, OS_EINVAL,
                             "policies[%u].steps[%u]: lower bound %g must equal the previous "
                             "step's upper bound %g (steps can't overlap or leave a gap)",
                             i, k, st->lower, s->steps[k - 1].upper);
        if (s->adjust == ECS_SERVICE_EXACT_CAPACITY && st->adjustment < 0)
            return os_errorf(err, OS_EINVAL,
                             "policies[%u].steps[%u]: ExactCapacity adjustment %d must be >= 0", i,
                             k, st->adjustment);
        if (st->has_lower && st->lower < 0)
            negative_lower = true;
        if (st->has_upper && st->upper > 0)
            positive_upper = true;
    }
    if (negative_lower && s->steps[0].has_lower)
        return os_errorf(err, OS_EINVAL,
                         "policies[%u].steps: a negative lower bound needs a first step without "
                         "a lower bound",
                         i);
    if (positive_upper && s->steps[s->nsteps - 1].has_upper)
        return os_errorf(err, OS_EINVAL,
                         "policies[%u].steps: a positive upper bound needs a last step without "
                         "an upper bound",
                         i);
    return 0;
}

int ecs_service_cfg_validate(const struct ecs_service_cfg *c, struct os_error *err)
{
    if (c->min_capacity < 0)
        return os_errorf(err, OS_EINVAL, "min_capacity: %d must be >= 0", c->min_capacity);
    if (c->max_capacity < c->min_capacity || c->max_capacity > ECS_SERVICE_CAPACITY_MAX)
        return os_errorf(err, OS_EINVAL, "max_capacity: %d out of [min_capacity %d, %d]",
                         c->max_capacity, c->min_capacity, ECS_SERVICE_CAPACITY_MAX);
    if (c->npolicies > ECS_SERVICE_POLICIES_MAX)
        return os_errorf(err, OS_EINVAL, "policies: %u policies, at most %d", c->npolicies,
                         ECS_SERVICE_POLICIES_MAX);
    for (uint32_t i = 0; i < c->npolicies; i++) {
        const struct ecs_service_policy *p = &c->policies[i];
        int rc;
        if (p->metric > ECS_SERVICE_METRIC_CUSTOM)
            return os_errorf(err, OS_EINVAL, "policies[%u].metric: unknown metric %d", i,
                             (int)p->metric);
        if (p->kind == ECS_SERVICE_TARGET_TRACKING)
            rc = ecs_service_tt_validate(&p->u.tt, i, err);
        else if (p->kind == ECS_SERVICE_STEP_SCALING)
            rc = ecs_service_step_validate(&p->u.step, i, err);
        else
            rc = os_errorf(err, OS_EINVAL, "policies[%u].kind: unknown policy kind %d", i,
                           (int)p->kind);
        if (rc)
            return rc;
    }
    return 0;
}

/* --- state ------------------------------------------------------------------- */

int ecs_service_init(struct ecs_service *s, const struct ecs_service_cfg *cfg, int32_t desired,
                     struct os_error *err)
{
    int rc = ecs_service_cfg_validate(cfg, err);
    if (rc)
        return rc;
    if (desired < 0)
        return os_errorf(err, OS_EINVAL, "initial desired count %d must be >= 0", desired);
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    for (uint32_t i = 0; i < ECS_SERVICE_POLICIES_MAX; i++)
        s->pol[i].last_us = INT64_MIN;
    s->desired = desired;
    s->last_out_us = INT64_MIN;
    s->last_in_us = INT64_MIN;
    s->out_base = desired;
    s->out_desired = desired;
    return 0;
}

void ecs_service_destroy(struct ecs_service *s)
{
    memset(s, 0, sizeof(*s));
}

void ecs_service_set_desired(struct ecs_service *s, int32_t desired)
{
    s->desired = desired < 0 ? 0 : desired;
}

/* The low n bits of a word. */
static uint64_t ecs_service_mask(uint32_t n)
{
    return n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

static bool ecs_service_m_of_n(uint64_t hist, uint32_t n, uint32_t m)
{
    return (uint32_t)__builtin_popcountll(hist & ecs_service_mask(n)) >= m;
}

static bool ecs_service_step_breach(const struct ecs_service_step_cfg *sc, double v)
{
    switch (sc->cmp) {
    case ECS_SERVICE_GE:
        return v >= sc->threshold;
    case ECS_SERVICE_GT:
        return v > sc->threshold;
    case ECS_SERVICE_LE:
        return v <= sc->threshold;
    case ECS_SERVICE_LT:
        return v < sc->threshold;
    }
    return false;
}

int ecs_service_observe(struct ecs_service *s, uint32_t policy, int64_t now_us, double value,
                        struct os_error *err)
{
    if (policy >= s->cfg.npolicies)
        return os_errorf(err, OS_EINVAL, "observe: policy %u out of range (%u policies)", policy,
                         s->cfg.npolicies);
    if (!isfinite(value))
        return os_errorf(err, OS_EINVAL, "observe: policy %u: datapoint is not finite", policy);
    struct ecs_service_policy_state *ps = &s->pol[policy];
    if (ps->last_us != INT64_MIN && now_us <= ps->last_us)
        return os_errorf(err, OS_EINVAL,
                         "observe: policy %u: datapoint at %lld us not after the previous one at "
                         "%lld us",
                         policy, (long long)now_us, (long long)ps->last_us);
    const struct ecs_service_policy *p = &s->cfg.policies[policy];
    bool high, low = false;
    if (p->kind == ECS_SERVICE_TARGET_TRACKING) {
        high = value > p->u.tt.target;
        low = value < p->u.tt.target * (1.0 - p->u.tt.scale_in_margin);
    } else {
        high = ecs_service_step_breach(&p->u.step, value);
    }
    ps->hist_high = (ps->hist_high << 1) | (high ? 1u : 0u);
    ps->hist_low = (ps->hist_low << 1) | (low ? 1u : 0u);
    ps->last_value = value;
    ps->last_us = now_us;
    ps->ndata++;
    s->data_seen++;
    return 0;
}

bool ecs_service_alarm_high(const struct ecs_service *s, uint32_t policy)
{
    if (policy >= s->cfg.npolicies)
        return false;
    const struct ecs_service_policy *p = &s->cfg.policies[policy];
    const struct ecs_service_policy_state *ps = &s->pol[policy];
    if (p->kind == ECS_SERVICE_TARGET_TRACKING)
        return ecs_service_m_of_n(ps->hist_high, p->u.tt.high_periods, p->u.tt.high_periods);
    uint32_t n = p->u.step.evaluation_periods;
    uint32_t m = p->u.step.datapoints_to_alarm ? p->u.step.datapoints_to_alarm : n;
    return ecs_service_m_of_n(ps->hist_high, n, m);
}

bool ecs_service_alarm_low(const struct ecs_service *s, uint32_t policy)
{
    if (policy >= s->cfg.npolicies)
        return false;
    const struct ecs_service_policy *p = &s->cfg.policies[policy];
    if (p->kind != ECS_SERVICE_TARGET_TRACKING)
        return false;
    return ecs_service_m_of_n(s->pol[policy].hist_low, p->u.tt.low_periods, p->u.tt.low_periods);
}

/* --- decisions --------------------------------------------------------------- */

/* ceil(x) with a small tolerance, clamped to [0, INT32_MAX]. */
static int64_t ecs_service_ceil(double x)
{
    double c = ceil(x - ECS_SERVICE_CEIL_EPS);
    if (!(c > 0))
        return 0;
    if (c > (double)INT32_MAX)
        return INT32_MAX;
    return (int64_t)c;
}

/* The target tracking proposal ceil(base * metric / target). */
static int64_t ecs_service_tt_count(const struct ecs_service_tt_cfg *t, int64_t base, double v)
{
    return ecs_service_ceil((double)base * v / t->target);
}

/* The step adjustment for a breach b, or NULL when no step matches. */
static const struct ecs_service_step *ecs_service_step_find(const struct ecs_service_step_cfg *sc,
                                                            double b)
{
    bool above = sc->cmp == ECS_SERVICE_GE || sc->cmp == ECS_SERVICE_GT;
    for (uint32_t k = 0; k < sc->nsteps; k++) {
        const struct ecs_service_step *st = &sc->steps[k];
        bool lo_ok, hi_ok;
        if (above) {
            lo_ok = !st->has_lower || b >= st->lower;
            hi_ok = !st->has_upper || b < st->upper;
        } else {
            lo_ok = !st->has_lower || b > st->lower;
            hi_ok = !st->has_upper || b <= st->upper;
        }
        if (lo_ok && hi_ok)
            return st;
    }
    return NULL;
}

/* New capacity from base capacity `cur` and step adjustment `a`, >= 0. */
static int64_t ecs_service_step_apply(const struct ecs_service_step_cfg *sc, int64_t cur, int32_t a)
{
    int64_t next;
    switch (sc->adjust) {
    case ECS_SERVICE_EXACT_CAPACITY:
        next = a;
        break;
    case ECS_SERVICE_PERCENT_CHANGE_IN_CAPACITY: {
        /* C * a / 100, truncated toward zero (floor above 1, ceil below -1),
         * and +-1 when the exact value lies strictly between -1 and 1. */
        int64_t num = cur * (int64_t)a;
        int64_t r = num / 100;
        if (r == 0 && num != 0)
            r = num > 0 ? 1 : -1;
        int64_t mag = sc->min_adjustment_magnitude;
        if (a > 0 && r < mag)
            r = mag;
        else if (a < 0 && -r < mag)
            r = -mag;
        next = cur + r;
        break;
    }
    case ECS_SERVICE_CHANGE_IN_CAPACITY:
    default:
        next = cur + a;
        break;
    }
    if (next < 0)
        next = 0;
    if (next > INT32_MAX)
        next = INT32_MAX;
    return next;
}

/* True while a cooldown of length len that started at t0 (INT64_MIN: never)
 * is running at now. */
static bool ecs_service_cooling(int64_t t0, int64_t len, int64_t now)
{
    return t0 != INT64_MIN && now - t0 < len;
}

void ecs_service_evaluate(struct ecs_service *s, int64_t now_us, int32_t running,
                          struct ecs_service_decision *d)
{
    const struct ecs_service_cfg *c = &s->cfg;
    d->previous = s->desired;
    d->reason = ECS_SERVICE_NONE;
    d->policy = -1;
    d->blocked = 0;

    if (s->desired < c->min_capacity || s->desired > c->max_capacity) {
        s->desired = s->desired < c->min_capacity ? c->min_capacity : c->max_capacity;
        d->reason = ECS_SERVICE_CLAMP;
    }
    if (s->data_used == s->data_seen) {
        d->blocked |= ECS_SERVICE_BLOCK_NO_DATA;
        d->desired = s->desired;
        return;
    }
    s->data_used = s->data_seen;

    const int64_t cur = s->desired;
    const int64_t run_in = running > 0 ? running : 0;
    const int64_t run_out = running > 0 ? running : 1; /* scale from zero [U] */

    int64_t out_best = -1, tt_in_best = -1, step_in_best = -1;
    int32_t out_pol = -1, tt_in_pol = -1, step_in_pol = -1;
    int64_t out_cooldown = 0; /* scale-out cooldown of out_pol */
    uint32_t tt_in_voters = 0;
    bool tt_in_all = true;

    for (uint32_t i = 0; i < c->npolicies; i++) {
        const struct ecs_service_policy *p = &c->policies[i];
        const struct ecs_service_policy_state *ps = &s->pol[i];
        if (p->kind == ECS_SERVICE_TARGET_TRACKING) {
            const struct ecs_service_tt_cfg *t = &p->u.tt;
            if (!t->disable_scale_in)
                tt_in_voters++;
            if (ps->ndata == 0) {
                tt_in_all = false;
                continue;
            }
            if (ecs_service_alarm_high(s, i)) {
                tt_in_all = false;
                int64_t want = ecs_service_tt_count(t, run_out, ps->last_value);
                bool cool = ecs_service_cooling(s->last_out_us, t->scale_out_cooldown_us, now_us);
                int64_t floor_ = cur;
                if (cool && s->out_desired > floor_)
                    floor_ = s->out_desired;
                if (want > floor_) {
                    if (want > out_best) {
                        out_best = want;
                        out_pol = (int32_t)i;
                        out_cooldown = t->scale_out_cooldown_us;
                    }
                } else if (cool && want > cur) {
                    d->blocked |= ECS_SERVICE_BLOCK_OUT_COOLDOWN;
                }
                continue;
            }
            if (t->disable_scale_in)
                continue;
            if (!ecs_service_alarm_low(s, i)) {
                tt_in_all = false;
                continue;
            }
            if (ecs_service_cooling(s->last_in_us, t->scale_in_cooldown_us, now_us)) {
                d->blocked |= ECS_SERVICE_BLOCK_IN_COOLDOWN;
                tt_in_all = false;
                continue;
            }
            int64_t want = ecs_service_tt_count(t, run_in, ps->last_value);
            if (want >= cur) {
                tt_in_all = false;
                continue;
            }
            if (want > tt_in_best) {
                tt_in_best = want;
                tt_in_pol = (int32_t)i;
            }
        } else {
            const struct ecs_service_step_cfg *sc = &p->u.step;
            if (ps->ndata == 0 || !ecs_service_alarm_high(s, i))
                continue;
            const struct ecs_service_step *st =
                ecs_service_step_find(sc, ps->last_value - sc->threshold);
            if (!st)
                continue;
            int64_t want = ecs_service_step_apply(sc, cur, st->adjustment);
            if (want > cur) {
                if (ecs_service_cooling(s->last_out_us, sc->cooldown_us, now_us)) {
                    /* The capacity added by the initiating scale-out counts
                     * toward this one: apply the step to the capacity before
                     * it, and require more than the last scale-out set. */
                    want = ecs_service_step_apply(sc, s->out_base, st->adjustment);
                    if (want <= cur || want <= s->out_desired) {
                        d->blocked |= ECS_SERVICE_BLOCK_OUT_COOLDOWN;
                        continue;
                    }
                }
                if (want > out_best) {
                    out_best = want;
                    out_pol = (int32_t)i;
                    out_cooldown = sc->cooldown_us;
                }
            } else if (want < cur) {
                if (ecs_service_cooling(s->last_in_us, sc->cooldown_us, now_us)) {
                    d->blocked |= ECS_SERVICE_BLOCK_IN_COOLDOWN;
                    continue;
                }
                if (want > step_in_best) {
                    step_in_best = want;
                    step_in_pol = (int32_t)i;
                }
            }
        }
    }

    if (out_best >= 0) {
        int64_t next = out_best;
        if (next > c->max_capacity) {
            next = c->max_capacity;
            d->blocked |= ECS_SERVICE_BLOCK_AT_MAX;
        }
        if (next > cur) {
            /* A scale-out after the cooldown ran out opens a new chain. */
            if (!ecs_service_cooling(s->last_out_us, out_cooldown, now_us))
                s->out_base = (int32_t)cur;
            s->out_desired = (int32_t)next;
            s->last_out_us = now_us;
            s->last_in_us = INT64_MIN; /* a scale-out cancels the scale-in cooldown */
            s->desired = (int32_t)next;
            d->reason = ECS_SERVICE_SCALE_OUT;
            d->policy = out_pol;
        }
        d->desired = s->desired;
        return;
    }

    int64_t in_best = -1;
    int32_t in_pol = -1;
    if (tt_in_best >= 0) {
        if (tt_in_all && tt_in_voters > 0) {
            in_best = tt_in_best;
            in_pol = tt_in_pol;
        } else {
            d->blocked |= ECS_SERVICE_BLOCK_NOT_ALL_IN;
        }
    }
    if (step_in_best >= 0 && step_in_best > in_best) {
        in_best = step_in_best;
        in_pol = step_in_pol;
    }
    if (in_best >= 0) {
        int64_t next = in_best;
        if (next < c->min_capacity) {
            next = c->min_capacity;
            d->blocked |= ECS_SERVICE_BLOCK_AT_MIN;
        }
        if (next < cur) {
            s->desired = (int32_t)next;
            s->last_in_us = now_us;
            d->reason = ECS_SERVICE_SCALE_IN;
            d->policy = in_pol;
        }
    }
    d->desired = s->desired;
}

const char *ecs_service_reason_name(enum ecs_service_reason r)
{
    switch (r) {
    case ECS_SERVICE_NONE:
        return "none";
    case ECS_SERVICE_SCALE_OUT:
        return "scale_out";
    case ECS_SERVICE_SCALE_IN:
        return "scale_in";
    case ECS_SERVICE_CLAMP:
        return "clamp";
    }
    return "unknown";
}
