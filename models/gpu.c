/*
 * gpu.c - per-GPU accounting for the sharing modes, MIG geometry and the speed
 * share. See gpu.h for the model and its [U] choices.
 *
 * The per-GPU arrays live in struct cluster; this file changes gpu_free_milli[]
 * and gpu_used[] and then asks cluster.c to recompute the node's aggregates
 * (cluster_refresh_gpus), so there is one place that derives them. Since the
 * per-GPU state after gpu_release() equals the state before gpu_commit() and
 * the aggregates are pure functions of it, release is the exact inverse.
 */
#include "models/gpu.h"

#include <string.h>

#include "models/cluster.h"

/* The mixed-strategy MIG resource names, index k = res - GPU_RES_MIG_FIRST. */
static const char *const gpu_mig_res_names[GPU_RES_MIG_COUNT] = {
    "nvidia.com/mig-1g.5gb",  "nvidia.com/mig-1g.10gb", "nvidia.com/mig-1g.20gb",
    "nvidia.com/mig-2g.10gb", "nvidia.com/mig-2g.20gb", "nvidia.com/mig-3g.20gb",
    "nvidia.com/mig-3g.40gb", "nvidia.com/mig-4g.20gb", "nvidia.com/mig-4g.40gb",
    "nvidia.com/mig-7g.40gb", "nvidia.com/mig-7g.80gb",
};

#define GPU_RES_MIG(k) ((uint16_t)(GPU_RES_MIG_FIRST + (k)))

/*
 * Profiles from NVIDIA's MIG user guide (supported-mig-profiles) and
 * `nvidia-smi mig -lgipp` placements (MODELS.md section 3): start slots and
 * sizes on 8 memory slices. Start masks: 0x7f = {0..6}, 0x55 = {0,2,4,6},
 * 0x15 = {0,2,4}, 0x11 = {0,4}, 0x01 = {0}. The "+me" (media extension)
 * variants are not modelled.
 */
static const struct gpu_mig_profile gpu_mig_a100_40[] = {
    {"1g.5gb", GPU_RES_MIG(0), 1, 1, 0x7f, 7, 5},   {"1g.10gb", GPU_RES_MIG(1), 1, 2, 0x55, 4, 10},
    {"2g.10gb", GPU_RES_MIG(3), 2, 2, 0x15, 3, 10}, {"3g.20gb", GPU_RES_MIG(5), 3, 4, 0x11, 2, 20},
    {"4g.20gb", GPU_RES_MIG(7), 4, 4, 0x01, 1, 20}, {"7g.40gb", GPU_RES_MIG(9), 7, 8, 0x01, 1, 40},
};

/* A100-80GB and H100-80GB share one geometry. */
static const struct gpu_mig_profile gpu_mig_80gb[] = {
    {"1g.10gb", GPU_RES_MIG(1), 1, 1, 0x7f, 7, 10}, {"1g.20gb", GPU_RES_MIG(2), 1, 2, 0x55, 4, 20},
    {"2g.20gb", GPU_RES_MIG(4), 2, 2, 0x15, 3, 20}, {"3g.40gb", GPU_RES_MIG(6), 3, 4, 0x11, 2, 40},
    {"4g.40gb", GPU_RES_MIG(8), 4, 4, 0x01, 1, 40}, {"7g.80gb", GPU_RES_MIG(10), 7, 8, 0x01, 1, 80},
};

const struct gpu_mig_profile *gpu_mig_profiles(enum gpu_mig_family fam, size_t *n)
{
    switch (fam) {
    case GPU_MIG_A100_40GB:
        *n = sizeof gpu_mig_a100_40 / sizeof gpu_mig_a100_40[0];
        return gpu_mig_a100_40;
    case GPU_MIG_A100_80GB:
    case GPU_MIG_H100_80GB:
        *n = sizeof gpu_mig_80gb / sizeof gpu_mig_80gb[0];
        return gpu_mig_80gb;
    case GPU_MIG_FAMILY_NONE:
        break;
    }
    *n = 0;
    return NULL;
}

int gpu_mig_profile_find(enum gpu_mig_family fam, const char *name)
{
    size_t n;
    const struct gpu_mig_profile *p = gpu_mig_profiles(fam, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].name, name) == 0)
            return (int)i;
    return -1;
}

enum gpu_mig_family gpu_mig_family_from_model(const char *model)
{
    if (strcmp(model, "A100-40GB") == 0 || strcmp(model, "A100") == 0)
        return GPU_MIG_A100_40GB;
    if (strcmp(model, "A100-80GB") == 0)
        return GPU_MIG_A100_80GB;
    if (strcmp(model, "H100-80GB") == 0 || strcmp(model, "H100") == 0)
        return GPU_MIG_H100_80GB;
    return GPU_MIG_FAMILY_NONE;
}

int gpu_res_parse(const char *name, uint16_t *res, struct os_error *err)
{
    if (strcmp(name, "nvidia.com/gpu") == 0) {
        *res = GPU_RES_GPU;
        return OS_OK;
    }
    if (strcmp(name, "nvidia.com/gpu.shared") == 0) {
        *res = GPU_RES_SHARED;
        return OS_OK;
    }
    for (int k = 0; k < GPU_RES_MIG_COUNT; k++) {
        if (strcmp(name, gpu_mig_res_names[k]) == 0) {
            *res = GPU_RES_MIG(k);
            return OS_OK;
        }
    }
    return os_errorf(err, OS_EINVAL,
                     "unknown GPU resource '%s' (expected nvidia.com/gpu, "
                     "nvidia.com/gpu.shared or nvidia.com/mig-<g>g.<mem>gb)",
                     name);
}

const char *gpu_res_name(uint16_t res)
{
    switch (res) {
    case GPU_RES_NONE:
        return "none";
    case GPU_RES_GPU:
        return "nvidia.com/gpu";
    case GPU_RES_SHARED:
        return "nvidia.com/gpu.shared";
    case GPU_RES_MIG_MIXED:
        return "nvidia.com/mig-*";
    default:
        break;
    }
    if (res >= GPU_RES_MIG_FIRST && res < GPU_RES_COUNT)
        return gpu_mig_res_names[res - GPU_RES_MIG_FIRST];
    return "?";
}

uint8_t gpu_mig_slices(enum gpu_mig_family fam, uint8_t profile, uint8_t start)
{
    size_t n;
    const struct gpu_mig_profile *p = gpu_mig_profiles(fam, &n);
    if (profile >= n || start >= GPU_MIG_MEM_SLICES || !(p[profile].start_mask >> start & 1u))
        return 0;
    unsigned bits = ((1u << p[profile].mem_slices) - 1u) << start;
    return (uint8_t)bits;
}

bool gpu_mig_layout_valid(enum gpu_mig_family fam, const struct gpu_mig_place *pl, size_t n)
{
    size_t np;
    const struct gpu_mig_profile *p = gpu_mig_profiles(fam, &np);
    if (!p || n > GPU_MIG_LAYOUT_MAX)
        return false;
    unsigned used = 0, compute = 0;
    unsigned count[8] = {0};
    for (size_t i = 0; i < n; i++) {
        uint8_t s = gpu_mig_slices(fam, pl[i].profile, pl[i].start);
        if (s == 0 || (used & s))
            return false;
        used |= s;
        compute += p[pl[i].profile].compute;
        if (++count[pl[i].profile] > p[pl[i].profile].max_count)
            return false;
    }
    return compute <= GPU_MIG_COMPUTE_SLICES;
}

uint8_t gpu_mig_single_layout(enum gpu_mig_family fam, uint8_t profile,
                              struct gpu_mig_place out[GPU_MIG_LAYOUT_MAX])
{
    size_t np;
    const struct gpu_mig_profile *p = gpu_mig_profiles(fam, &np);
    if (profile >= np)
        return 0;
    uint8_t k = 0;
    unsigned used = 0;
    for (uint8_t s = 0; s < GPU_MIG_MEM_SLICES && k < p[profile].max_count; s++) {
        uint8_t m = gpu_mig_slices(fam, profile, s);
        if (m && !(used & m)) {
            used |= m;
            out[k].profile = profile;
            out[k].start = s;
            k++;
        }
    }
    return k;
}

/* Backtracking over start slots: instance i at the lowest free start that
 * lets i + 1 .. n - 1 fit too. */
static bool gpu_mig_place_from(enum gpu_mig_family fam, struct gpu_mig_place *pl, size_t i,
                               size_t n, unsigned used)
{
    if (i == n)
        return true;
    for (uint8_t s = 0; s < GPU_MIG_MEM_SLICES; s++) {
        uint8_t m = gpu_mig_slices(fam, pl[i].profile, s);
        if (!m || (used & m))
            continue;
        pl[i].start = s;
        if (gpu_mig_place_from(fam, pl, i + 1, n, used | m))
            return true;
    }
    return false;
}

int gpu_mig_layout_parse(enum gpu_mig_family fam, const char *text,
                         struct gpu_mig_place out[GPU_MIG_LAYOUT_MAX], uint8_t *n,
                         struct os_error *err)
{
    size_t np;
    const struct gpu_mig_profile *p = gpu_mig_profiles(fam, &np);
    if (!p)
        return os_errorf(err, OS_EINVAL, "the GPU is not MIG capable");
    size_t k = 0;
    unsigned compute = 0;
    const char *s = text;
    for (;;) {
        size_t len = strcspn(s, ",");
        char name[24];
        while (len && *s == ' ')
            s++, len--;
        while (len && s[len - 1] == ' ')
            len--;
        if (len == 0 || len >= sizeof name)
            return os_errorf(err, OS_EINVAL, "'%s': expected profiles separated by commas", text);
        memcpy(name, s, len);
        name[len] = 0;
        int pi = gpu_mig_profile_find(fam, name);
        if (pi < 0)
            return os_errorf(err, OS_EINVAL, "'%s': '%s' is not a MIG profile of this GPU", text,
                             name);
        if (k == GPU_MIG_LAYOUT_MAX)
            return os_errorf(err, OS_EINVAL, "'%s': more than %d instances on one GPU", text,
                             GPU_MIG_LAYOUT_MAX);
        out[k].profile = (uint8_t)pi;
        out[k].start = 0;
        compute += p[pi].compute;
        k++;
        s += strcspn(s, ",");
        if (!*s)
            break;
        s++;
    }
    if (compute > GPU_MIG_COMPUTE_SLICES)
        return os_errorf(err, OS_EINVAL, "'%s': %u compute slices, a GPU has %d", text, compute,
                         GPU_MIG_COMPUTE_SLICES);
    if (!gpu_mig_place_from(fam, out, 0, k, 0) || !gpu_mig_layout_valid(fam, out, k))
        return os_errorf(err, OS_EINVAL,
                         "'%s': no placement of these instances on one GPU's memory slices", text);
    *n = (uint8_t)k;
    return OS_OK;
}

int gpu_cfg_validate(const struct gpu_cfg *cfg, const char *where, struct os_error *err)
{
    switch (cfg->mode) {
    case GPU_MODE_WHOLE:
    case GPU_MODE_MILLI:
        return OS_OK;
    case GPU_MODE_TIMESLICE:
    case GPU_MODE_MPS:
        if (cfg->replicas < 1 || cfg->replicas > GPU_REPLICAS_MAX)
            return os_errorf(err, OS_EINVAL, "%s: replicas: expected an integer in 1..%d", where,
                             GPU_REPLICAS_MAX);
        return OS_OK;
    case GPU_MODE_MIG:
        break;
    default:
        return os_errorf(err, OS_EINVAL, "%s: unknown sharing mode %d", where, (int)cfg->mode);
    }
    size_t np;
    const struct gpu_mig_profile *p = gpu_mig_profiles(cfg->mig_family, &np);
    if (!p)
        return os_errorf(err, OS_EINVAL, "%s: MIG needs an A100-40GB, A100-80GB or H100-80GB GPU",
                         where);
    if (cfg->mig_n == 0)
        return os_errorf(err, OS_EINVAL, "%s: mig layout: expected at least one instance", where);
    if (!gpu_mig_layout_valid(cfg->mig_family, cfg->mig_layout, cfg->mig_n))
        return os_errorf(err, OS_EINVAL,
                         "%s: mig layout: instances overlap, start at an invalid slot or exceed "
                         "7 compute slices",
                         where);
    if (cfg->mig_strategy == GPU_MIG_SINGLE) {
        for (uint8_t i = 1; i < cfg->mig_n; i++)
            if (cfg->mig_layout[i].profile != cfg->mig_layout[0].profile)
                return os_errorf(err, OS_EINVAL,
                                 "%s: mig strategy single: every instance must have the same "
                                 "profile (found %s and %s)",
                                 where, p[cfg->mig_layout[0].profile].name,
                                 p[cfg->mig_layout[i].profile].name);
        if (cfg->mig_nalt)
            return os_errorf(err, OS_EINVAL,
                             "%s: mig strategy single: repartitioning layouts need the mixed "
                             "strategy",
                             where);
    } else if (cfg->mig_strategy != GPU_MIG_MIXED) {
        return os_errorf(err, OS_EINVAL, "%s: unknown mig strategy %d", where,
                         (int)cfg->mig_strategy);
    }
    if (cfg->mig_nalt > GPU_MIG_ALT_MAX - 1)
        return os_errorf(err, OS_EINVAL, "%s: %u repartitioning layouts, at most %d", where,
                         cfg->mig_nalt, GPU_MIG_ALT_MAX - 1);
    for (uint8_t k = 0; k < cfg->mig_nalt; k++)
        if (cfg->mig_alt[k].n == 0 ||
            !gpu_mig_layout_valid(cfg->mig_family, cfg->mig_alt[k].e, cfg->mig_alt[k].n))
            return os_errorf(err, OS_EINVAL, "%s: mig layout %u: not a valid layout", where,
                             k + 1u);
    return OS_OK;
}

uint16_t gpu_cfg_resource(const struct gpu_cfg *cfg)
{
    switch (cfg->mode) {
    case GPU_MODE_TIMESLICE:
    case GPU_MODE_MPS:
        return cfg->rename_by_default ? GPU_RES_SHARED : GPU_RES_GPU;
    case GPU_MODE_MIG:
        return cfg->mig_strategy == GPU_MIG_MIXED ? GPU_RES_MIG_MIXED : GPU_RES_GPU;
    default:
        return GPU_RES_GPU;
    }
}

uint16_t gpu_cfg_units_per_gpu(const struct gpu_cfg *cfg)
{
    switch (cfg->mode) {
    case GPU_MODE_TIMESLICE:
    case GPU_MODE_MPS:
        return cfg->replicas;
    case GPU_MODE_MIG:
        return cfg->mig_n;
    default:
        return 1;
    }
}

/* A request for a fraction of one GPU (MILLI semantics). */
static inline bool gpu_req_fraction(const struct gpu_req *r)
{
    return r->count == 1 && r->milli > 0 && r->milli < GPU_MILLI;
}

/* The MIG profile index the request asks for on this pool, or -1 for any
 * (single strategy), or -2 if the pool has none of it. */
static int gpu_mig_wanted(const struct gpu_cfg *cfg, const struct gpu_req *r)
{
    if (cfg->mig_strategy == GPU_MIG_SINGLE)
        return -1;
    size_t np;
    const struct gpu_mig_profile *p = gpu_mig_profiles(cfg->mig_family, &np);
    for (size_t i = 0; i < np; i++)
        if (p[i].res == r->res)
            return (int)i;
    return -2;
}

bool gpu_req_acceptable(const struct gpu_cfg *cfg, const struct gpu_req *r)
{
    if (r->count == 0)
        return true;
    if (gpu_req_fraction(r) && cfg->mode != GPU_MODE_MILLI)
        return false;
    uint16_t res = gpu_cfg_resource(cfg);
    if (res == GPU_RES_MIG_MIXED) {
        if (gpu_mig_wanted(cfg, r) < 0)
            return false;
    } else if (r->res != res) {
        return false;
    }
    if (cfg->fail_requests_gt_one && r->count > 1 &&
        (cfg->mode == GPU_MODE_TIMESLICE || cfg->mode == GPU_MODE_MPS))
        return false;
    return true;
}

static inline const struct gpu_cfg *gpu_node_cfg(const struct cluster *c, uint32_t node)
{
    return &c->pools[c->pool[node]].gpu;
}

/* Free layout entries of MIG GPU g matching profile `want` (-1 = any). */
static inline unsigned gpu_mig_free_entries(const struct cluster *c, const struct gpu_cfg *cfg,
                                            uint32_t g, int want)
{
    uint8_t n, used = c->gpu_used[g];
    const struct gpu_mig_place *l = gpu_cfg_layout(cfg, c->gpu_layout[g], &n);
    unsigned m = 0;
    for (uint8_t j = 0; j < n; j++)
        if (!(used >> j & 1u) && (want < 0 || l[j].profile == want))
            m |= 1u << j;
    return m;
}

bool gpu_node_fits(const struct cluster *c, uint32_t node, const struct gpu_req *r)
{
    if (r->count == 0)
        return true;
    const struct gpu_cfg *cfg = gpu_node_cfg(c, node);
    if (c->gpu_count[node] == 0 || !gpu_req_acceptable(cfg, r))
        return false;
    switch (cfg->mode) {
    case GPU_MODE_WHOLE:
        return c->free_whole[node] >= r->count;
    case GPU_MODE_MILLI:
        if (gpu_req_fraction(r)) {
            if (c->milli_free_max[node] < r->milli)
                return false;
            /* a GPU also needs room in its tenant counter */
            uint32_t g0 = c->gpu_first[node];
            for (uint32_t g = g0; g < g0 + c->gpu_count[node]; g++)
                if (c->gpu_free_milli[g] >= r->milli && c->gpu_used[g] < UINT8_MAX)
                    return true;
            return false;
        }
        return c->free_whole[node] >= r->count;
    case GPU_MODE_TIMESLICE:
    case GPU_MODE_MPS:
        return c->res_free[node] >= r->count;
    case GPU_MODE_MIG: {
        int want = gpu_mig_wanted(cfg, r);
        if (want == -1)
            return c->res_free[node] >= r->count;
        unsigned have = 0;
        uint32_t g0 = c->gpu_first[node];
        for (uint32_t g = g0; g < g0 + c->gpu_count[node]; g++)
            have += (unsigned)__builtin_popcount(gpu_mig_free_entries(c, cfg, g, want));
        return have >= r->count;
    }
    }
    return false;
}

int gpu_choose(const struct cluster *c, uint32_t node, const struct gpu_req *r,
               struct gpu_alloc *out)
{
    const struct gpu_cfg *cfg = gpu_node_cfg(c, node);
    out->node = node;
    out->mode = (uint8_t)cfg->mode;
    out->n = 0;
    if (r->count == 0)
        return OS_OK;
    if (!gpu_node_fits(c, node, r))
        return OS_ENOFIT;
    uint32_t g0 = c->gpu_first[node], g1 = g0 + c->gpu_count[node];
    switch (cfg->mode) {
    case GPU_MODE_WHOLE:
    case GPU_MODE_MILLI:
        if (cfg->mode == GPU_MODE_MILLI && gpu_req_fraction(r)) {
            /* best fit [U]: the fitting GPU with the least free milli */
            uint32_t best = UINT32_MAX;
            for (uint32_t g = g0; g < g1; g++)
                if (c->gpu_free_milli[g] >= r->milli && c->gpu_used[g] < UINT8_MAX &&
                    (best == UINT32_MAX || c->gpu_free_milli[g] < c->gpu_free_milli[best]))
                    best = g;
            out->part[0] = (struct gpu_alloc_part){.gpu = best, .amount = r->milli};
            out->n = 1;
            return OS_OK;
        }
        /* lowest free GPU IDs [U] */
        for (uint32_t g = g0; g < g1 && out->n < r->count; g++)
            if (c->gpu_used[g] == 0 && c->gpu_free_milli[g] == GPU_MILLI)
                out->part[out->n++] = (struct gpu_alloc_part){.gpu = g, .amount = GPU_MILLI};
        return OS_OK;
    case GPU_MODE_TIMESLICE:
    case GPU_MODE_MPS: {
        /* distributed: each replica to the GPU with the fewest tenants */
        uint16_t take[GPU_NODE_MAX] = {0};
        for (uint16_t k = 0; k < r->count; k++) {
            uint32_t best = UINT32_MAX;
            unsigned best_used = 0;
            for (uint32_t g = g0; g < g1; g++) {
                unsigned u = c->gpu_used[g] + take[g - g0];
                if (u < cfg->replicas && (best == UINT32_MAX || u < best_used)) {
                    best = g;
                    best_used = u;
                }
            }
            take[best - g0]++;
        }
        for (uint32_t g = g0; g < g1; g++)
            if (take[g - g0])
                out->part[out->n++] = (struct gpu_alloc_part){.gpu = g, .amount = take[g - g0]};
        return OS_OK;
    }
    case GPU_MODE_MIG: {
        int want = gpu_mig_wanted(cfg, r);
        unsigned left = r->count;
        for (uint32_t g = g0; g < g1 && left; g++) {
            unsigned fr = gpu_mig_free_entries(c, cfg, g, want), mask = 0, k = 0;
            for (uint8_t j = 0; j < GPU_MIG_LAYOUT_MAX && left; j++)
                if (fr >> j & 1u) {
                    mask |= 1u << j;
                    k++;
                    left--;
                }
            if (k)
                out->part[out->n++] = (struct gpu_alloc_part){
                    .gpu = g, .amount = (uint16_t)k, .mig_entries = (uint8_t)mask};
        }
        return OS_OK;
    }
    }
    return OS_ENOFIT;
}

bool gpu_alloc_valid(const struct cluster *c, const struct gpu_req *r, const struct gpu_alloc *a)
{
    if (r->count == 0)
        return a->n == 0;
    uint32_t node = a->node;
    if (node >= c->n_nodes || a->n == 0 || a->n > GPU_ALLOC_MAX)
        return false;
    const struct gpu_cfg *cfg = gpu_node_cfg(c, node);
    if (a->mode != cfg->mode || !gpu_req_acceptable(cfg, r))
        return false;
    uint32_t g0 = c->gpu_first[node], g1 = g0 + c->gpu_count[node];
    uint32_t seen = 0, total = 0;
    int want = cfg->mode == GPU_MODE_MIG ? gpu_mig_wanted(cfg, r) : -1;
    for (uint8_t i = 0; i < a->n; i++) {
        const struct gpu_alloc_part *p = &a->part[i];
        if (p->gpu < g0 || p->gpu >= g1 || (seen >> (p->gpu - g0) & 1u) || p->amount == 0)
            return false;
        seen |= 1u << (p->gpu - g0);
        switch (cfg->mode) {
        case GPU_MODE_WHOLE:
        case GPU_MODE_MILLI:
            if (cfg->mode == GPU_MODE_MILLI && gpu_req_fraction(r)) {
                if (a->n != 1 || p->amount != r->milli || c->gpu_free_milli[p->gpu] < r->milli ||
                    c->gpu_used[p->gpu] == UINT8_MAX)
                    return false;
            } else if (p->amount != GPU_MILLI || c->gpu_used[p->gpu] != 0 ||
                       c->gpu_free_milli[p->gpu] != GPU_MILLI) {
                return false;
            }
            total += 1;
            break;
        case GPU_MODE_TIMESLICE:
        case GPU_MODE_MPS:
            if (c->gpu_used[p->gpu] + p->amount > cfg->replicas)
                return false;
            total += p->amount;
            break;
        case GPU_MODE_MIG:
            if (p->mig_entries == 0 ||
                (p->mig_entries & ~gpu_mig_free_entries(c, cfg, p->gpu, want)) ||
                (unsigned)__builtin_popcount(p->mig_entries) != p->amount)
                return false;
            total += p->amount;
            break;
        }
    }
    return total == r->count;
}

uint16_t gpu_shared_free_milli(const struct gpu_cfg *cfg, uint8_t layout, uint8_t used)
{
    if (cfg->mode == GPU_MODE_MIG) {
        size_t np;
        const struct gpu_mig_profile *p = gpu_mig_profiles(cfg->mig_family, &np);
        uint8_t n;
        const struct gpu_mig_place *l = gpu_cfg_layout(cfg, layout, &n);
        unsigned compute = 0;
        for (uint8_t j = 0; j < n; j++)
            if (used >> j & 1u)
                compute += p[l[j].profile].compute;
        return (uint16_t)(GPU_MILLI - compute * GPU_MILLI / GPU_MIG_COMPUTE_SLICES);
    }
    return (uint16_t)(GPU_MILLI - (unsigned)used * GPU_MILLI / cfg->replicas);
}

static void gpu_apply(struct cluster *c, const struct gpu_alloc *a, bool take)
{
    if (a->n == 0)
        return;
    const struct gpu_cfg *cfg = gpu_node_cfg(c, a->node);
    for (uint8_t i = 0; i < a->n; i++) {
        const struct gpu_alloc_part *p = &a->part[i];
        uint32_t g = p->gpu;
        switch (cfg->mode) {
        case GPU_MODE_WHOLE:
        case GPU_MODE_MILLI:
            if (take) {
                c->gpu_free_milli[g] = (uint16_t)(c->gpu_free_milli[g] - p->amount);
                c->gpu_used[g]++;
            } else {
                c->gpu_free_milli[g] = (uint16_t)(c->gpu_free_milli[g] + p->amount);
                c->gpu_used[g]--;
            }
            break;
        case GPU_MODE_TIMESLICE:
        case GPU_MODE_MPS:
            c->gpu_used[g] =
                (uint8_t)(take ? c->gpu_used[g] + p->amount : c->gpu_used[g] - p->amount);
            c->gpu_free_milli[g] = gpu_shared_free_milli(cfg, c->gpu_layout[g], c->gpu_used[g]);
            break;
        case GPU_MODE_MIG:
            c->gpu_used[g] = (uint8_t)(take ? c->gpu_used[g] | p->mig_entries
                                            : c->gpu_used[g] & ~p->mig_entries);
            c->gpu_free_milli[g] = gpu_shared_free_milli(cfg, c->gpu_layout[g], c->gpu_used[g]);
            break;
        }
    }
    cluster_refresh_gpus(c, a->node);
}

void gpu_commit(struct cluster *c, const struct gpu_alloc *a)
{
    gpu_apply(c, a, true);
}

void gpu_release(struct cluster *c, const struct gpu_alloc *a)
{
    gpu_apply(c, a, false);
}

uint16_t gpu_tenants(const struct cluster *c, uint32_t gpu)
{
    const struct gpu_cfg *cfg = gpu_node_cfg(c, c->gpu_node[gpu]);
    if (cfg->mode == GPU_MODE_MIG)
        return (uint16_t)__builtin_popcount(c->gpu_used[gpu]);
    return c->gpu_used[gpu];
}

double gpu_alloc_share(const struct cluster *c, const struct gpu_alloc *a)
{
    if (a->n == 0)
        return 0.0;
    const struct gpu_cfg *cfg = gpu_node_cfg(c, a->node);
    double s = 0.0;
    for (uint8_t i = 0; i < a->n; i++) {
        const struct gpu_alloc_part *p = &a->part[i];
        switch (cfg->mode) {
        case GPU_MODE_WHOLE:
            s += 1.0;
            break;
        case GPU_MODE_MILLI:
            s += p->amount / (double)GPU_MILLI;
            break;
        case GPU_MODE_MPS:
            s += p->amount / (double)cfg->replicas;
            break;
        case GPU_MODE_TIMESLICE: {
            unsigned t = c->gpu_used[p->gpu];
            s += t ? p->amount / (double)t : 1.0;
            break;
        }
        case GPU_MODE_MIG: {
            size_t np;
            const struct gpu_mig_profile *pr = gpu_mig_profiles(cfg->mig_family, &np);
            uint8_t n;
            const struct gpu_mig_place *l = gpu_cfg_layout(cfg, c->gpu_layout[p->gpu], &n);
            for (uint8_t j = 0; j < n; j++)
                if (p->mig_entries >> j & 1u)
                    s += pr[l[j].profile].compute / (double)GPU_MIG_COMPUTE_SLICES;
            break;
        }
        }
    }
    return s;
}
