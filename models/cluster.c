/*
 * cluster.c - node storage (struct-of-arrays), string and label tables, node
 * pools, lifecycle, binding, and the availability index.
 *
 * Everything is reserved in cluster_init(); later calls only write into the
 * reserved arrays. The GPU aggregates of a node are always recomputed from its
 * per-GPU arrays (cluster_refresh_gpus), never adjusted incrementally, so they
 * cannot drift and a release restores them exactly.
 */
#include "models/cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLUSTER_UNLIMITED_PODS UINT16_MAX

static uint32_t cluster_pow2_at_least(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* FNV-1a: load-time hashing of strings and pairs. */
static uint32_t cluster_hash_bytes(const void *data, size_t n, uint32_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t cluster_str_slots(const struct cluster *c)
{
    return cluster_pow2_at_least(2 * c->cfg.max_strings);
}

static uint32_t cluster_pair_slots(const struct cluster *c)
{
    return cluster_pow2_at_least(2 * c->cfg.max_pairs);
}

void cluster_destroy(struct cluster *c)
{
    void *arrays[] = {
        c->cpu_free,       c->cpu_cap,       c->mem_free,   c->mem_cap,     c->pods,
        c->max_pods,       c->node_flags,    c->gpu_count,  c->gpu_model,   c->gpu_first,
        c->free_whole,     c->res,           c->res_cap,    c->res_free,    c->milli_free_max,
        c->milli_free_sum, c->pool,          c->cpu_nz_req, c->mem_nz_req,  c->gpu_free_milli,
        c->gpu_used,       c->gpu_layout,    c->state,      c->gpu_block,   c->gpu_node,
        c->name,           c->instance_type, c->zone,       c->n_taints,    c->taints,
        c->label,          c->key_str,       c->pair_col,   c->pair_val,    c->pair_num,
        c->pair_is_num,    c->pair_hash,     c->str_off,    c->str_bytes,   c->str_hash,
        c->pools,          c->group_node,    c->group_pair, c->group_total, c->avail_level,
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    for (int k = 0; k <= GPU_NODE_MAX; k++) {
        free(c->avail_bits[k]);
        free(c->avail_sum[k]);
    }
    for (int r = 0; r < CLUSTER_PLAIN_RES; r++)
        free(c->plain_bits[r]);
    memset(c, 0, sizeof *c);
}

int cluster_init(struct cluster *c, const struct cluster_cfg *cfg, struct os_error *err)
{
    memset(c, 0, sizeof *c);
    if (!cfg || cfg->max_nodes == 0)
        return os_errorf(err, OS_EINVAL, "cluster: max_nodes: expected a positive integer");
    c->cfg = *cfg;
    struct cluster_cfg *k = &c->cfg;
    if (k->max_gpus == 0)
        k->max_gpus = k->max_nodes * 8;
    if (k->max_strings == 0)
        k->max_strings = 4096;
    if (k->string_bytes == 0)
        k->string_bytes = 64 * 1024;
    if (k->max_label_keys == 0)
        k->max_label_keys = 16;
    if (k->max_pairs == 0)
        k->max_pairs = 4096;
    if (k->max_label_keys > UINT16_MAX)
        return os_errorf(err, OS_EINVAL, "cluster: max_label_keys: at most %u", UINT16_MAX);
    c->cap_nodes = k->max_nodes;
    c->cap_gpus = k->max_gpus;
    c->avail_words = (c->cap_nodes + 63) / 64;
    c->avail_sum_words = (c->avail_words + 63) / 64;
    size_t nn = c->cap_nodes, ng = c->cap_gpus ? c->cap_gpus : 1;

#define CLUSTER_ALLOC(field, count)                                                                \
    do {                                                                                           \
        size_t cnt_ = (size_t)(count);                                                             \
        c->field = calloc(cnt_ > 0 ? cnt_ : 1, sizeof *c->field);                                  \
        if (!c->field)                                                                             \
            goto out_nomem;                                                                        \
    } while (0)
    CLUSTER_ALLOC(cpu_free, nn);
    CLUSTER_ALLOC(cpu_cap, nn);
    CLUSTER_ALLOC(mem_free, nn);
    CLUSTER_ALLOC(mem_cap, nn);
    CLUSTER_ALLOC(pods, nn);
    CLUSTER_ALLOC(max_pods, nn);
    CLUSTER_ALLOC(node_flags, nn);
    CLUSTER_ALLOC(gpu_count, nn);
    CLUSTER_ALLOC(gpu_model, nn);
    CLUSTER_ALLOC(gpu_first, nn);
    CLUSTER_ALLOC(free_whole, nn);
    CLUSTER_ALLOC(res, nn);
    CLUSTER_ALLOC(res_cap, nn);
    CLUSTER_ALLOC(res_free, nn);
    CLUSTER_ALLOC(milli_free_max, nn);
    CLUSTER_ALLOC(milli_free_sum, nn);
    CLUSTER_ALLOC(pool, nn);
    CLUSTER_ALLOC(cpu_nz_req, nn);
    CLUSTER_ALLOC(mem_nz_req, nn);
    CLUSTER_ALLOC(gpu_free_milli, ng);
    CLUSTER_ALLOC(gpu_used, ng);
    CLUSTER_ALLOC(gpu_layout, ng);
    CLUSTER_ALLOC(gpu_node, ng);
    CLUSTER_ALLOC(state, nn);
    CLUSTER_ALLOC(gpu_block, nn);
    CLUSTER_ALLOC(name, nn);
    CLUSTER_ALLOC(instance_type, nn);
    CLUSTER_ALLOC(zone, nn);
    CLUSTER_ALLOC(n_taints, nn);
    CLUSTER_ALLOC(taints, nn * CLUSTER_TAINTS_MAX);
    CLUSTER_ALLOC(label, nn * k->max_label_keys);
    CLUSTER_ALLOC(key_str, k->max_label_keys);
    CLUSTER_ALLOC(pair_col, k->max_pairs);
    CLUSTER_ALLOC(pair_val, k->max_pairs);
    CLUSTER_ALLOC(pair_num, k->max_pairs);
    CLUSTER_ALLOC(pair_is_num, k->max_pairs);
    CLUSTER_ALLOC(pair_hash, cluster_pair_slots(c));
    CLUSTER_ALLOC(str_off, k->max_strings);
    CLUSTER_ALLOC(str_bytes, k->string_bytes);
    CLUSTER_ALLOC(str_hash, cluster_str_slots(c));
    CLUSTER_ALLOC(pools, CLUSTER_POOLS_MAX);
    CLUSTER_ALLOC(avail_level, nn);
    if (k->max_groups) {
        CLUSTER_ALLOC(group_node, (size_t)k->max_groups * nn);
        CLUSTER_ALLOC(group_pair, (size_t)k->max_groups * k->max_pairs);
        CLUSTER_ALLOC(group_total, k->max_groups);
    }
    for (int lv = 1; lv <= GPU_NODE_MAX; lv++) {
        CLUSTER_ALLOC(avail_bits[lv], c->avail_words);
        CLUSTER_ALLOC(avail_sum[lv], c->avail_sum_words);
    }
    for (int r = 0; r < CLUSTER_PLAIN_RES; r++)
        CLUSTER_ALLOC(plain_bits[r], c->avail_words);
#undef CLUSTER_ALLOC
    /* id 0 of strings and pairs means "none" */
    c->n_strings = 1;
    c->str_used = 1; /* str_bytes[0] = "" */
    c->n_pairs = 1;
    return OS_OK;

out_nomem:
    cluster_destroy(c);
    return os_errorf(err, OS_ENOMEM, "cluster: cannot reserve storage for %u nodes",
                     cfg->max_nodes);
}

/* ---------------- strings and labels ---------------- */

uint32_t cluster_string_id(const struct cluster *c, const char *s)
{
    uint32_t mask = cluster_str_slots(c) - 1;
    uint32_t h = cluster_hash_bytes(s, strlen(s), 2166136261u) & mask;
    for (;;) {
        uint32_t id = c->str_hash[h];
        if (id == 0)
            return 0;
        if (strcmp(c->str_bytes + c->str_off[id], s) == 0)
            return id;
        h = (h + 1) & mask;
    }
}

int cluster_intern(struct cluster *c, const char *s, uint32_t *id, struct os_error *err)
{
    if (s[0] == '\0') {
        *id = 0;
        return OS_OK;
    }
    uint32_t mask = cluster_str_slots(c) - 1;
    uint32_t h = cluster_hash_bytes(s, strlen(s), 2166136261u) & mask;
    for (;;) {
        uint32_t cur = c->str_hash[h];
        if (cur == 0)
            break;
        if (strcmp(c->str_bytes + c->str_off[cur], s) == 0) {
            *id = cur;
            return OS_OK;
        }
        h = (h + 1) & mask;
    }
    size_t len = strlen(s) + 1;
    if (c->n_strings >= c->cfg.max_strings || c->str_used + len > c->cfg.string_bytes)
        return os_errorf(err, OS_EFULL,
                         "cluster: string table full (%u strings, %u bytes); raise "
                         "max_strings/string_bytes",
                         c->cfg.max_strings, c->cfg.string_bytes);
    uint32_t nid = c->n_strings++;
    c->str_off[nid] = c->str_used;
    memcpy(c->str_bytes + c->str_used, s, len);
    c->str_used += (uint32_t)len;
    c->str_hash[h] = nid;
    *id = nid;
    return OS_OK;
}

const char *cluster_string(const struct cluster *c, uint32_t id)
{
    return id && id < c->n_strings ? c->str_bytes + c->str_off[id] : "";
}

int cluster_label_col(const struct cluster *c, const char *key)
{
    uint32_t sid = cluster_string_id(c, key);
    if (sid == 0)
        return -1;
    for (uint32_t i = 0; i < c->n_keys; i++)
        if (c->key_str[i] == sid)
            return (int)i;
    return -1;
}

int cluster_label_key(struct cluster *c, const char *key, uint16_t *col, struct os_error *err)
{
    int found = cluster_label_col(c, key);
    if (found >= 0) {
        *col = (uint16_t)found;
        return OS_OK;
    }
    if (key[0] == '\0')
        return os_errorf(err, OS_EINVAL, "cluster: empty label key");
    if (c->n_keys >= c->cfg.max_label_keys)
        return os_errorf(err, OS_EFULL, "cluster: more than %u label keys (at '%s')",
                         c->cfg.max_label_keys, key);
    uint32_t sid;
    int rc = cluster_intern(c, key, &sid, err);
    if (rc)
        return rc;
    c->key_str[c->n_keys] = sid;
    *col = (uint16_t)c->n_keys++;
    return OS_OK;
}

int cluster_label_pair(struct cluster *c, uint16_t col, const char *value, uint32_t *pair,
                       struct os_error *err)
{
    uint32_t vid;
    int rc = cluster_intern(c, value, &vid, err);
    if (rc)
        return rc;
    uint32_t key[2] = {col, vid};
    uint32_t mask = cluster_pair_slots(c) - 1;
    uint32_t h = cluster_hash_bytes(key, sizeof key, 2166136261u) & mask;
    for (;;) {
        uint32_t cur = c->pair_hash[h];
        if (cur == 0)
            break;
        if (c->pair_col[cur] == col && c->pair_val[cur] == vid) {
            *pair = cur;
            return OS_OK;
        }
        h = (h + 1) & mask;
    }
    if (c->n_pairs >= c->cfg.max_pairs)
        return os_errorf(err, OS_EFULL, "cluster: more than %u label values; raise max_pairs",
                         c->cfg.max_pairs);
    uint32_t p = c->n_pairs++;
    c->pair_col[p] = col;
    c->pair_val[p] = vid;
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    c->pair_is_num[p] = value[0] != '\0' && *end == '\0' && errno == 0;
    c->pair_num[p] = c->pair_is_num[p] ? v : 0;
    c->pair_hash[h] = p;
    *pair = p;
    return OS_OK;
}

/* Moves the group counts of node n from pair `from` to pair `to`. */
static void cluster_group_repair(struct cluster *c, uint32_t n, uint32_t from, uint32_t to)
{
    for (uint32_t g = 0; g < c->cfg.max_groups; g++) {
        uint32_t k = c->group_node[(size_t)g * c->cap_nodes + n];
        if (!k)
            continue;
        uint32_t *gp = c->group_pair + (size_t)g * c->cfg.max_pairs;
        if (from)
            gp[from] -= k;
        if (to)
            gp[to] += k;
    }
}

static int cluster_put_label(struct cluster *c, uint32_t n, const char *key, const char *value,
                             struct os_error *err)
{
    uint16_t col;
    uint32_t pair;
    int rc = cluster_label_key(c, key, &col, err);
    if (!rc)
        rc = cluster_label_pair(c, col, value, &pair, err);
    if (rc)
        return rc;
    uint32_t *slot = &c->label[(size_t)col * c->cap_nodes + n];
    if (*slot != pair && c->cfg.max_groups)
        cluster_group_repair(c, n, *slot, pair);
    *slot = pair;
    return OS_OK;
}

int cluster_set_label(struct cluster *c, uint32_t node, const char *key, const char *value,
                      struct os_error *err)
{
    if (node >= c->n_nodes)
        return os_errorf(err, OS_EINVAL, "cluster: no node %u", node);
    return cluster_put_label(c, node, key, value, err);
}

/* ---------------- pools ---------------- */

int cluster_add_pool(struct cluster *c, const char *name, const struct gpu_cfg *gpu, uint16_t *id,
                     struct os_error *err)
{
    if (c->n_pools >= CLUSTER_POOLS_MAX)
        return os_errorf(err, OS_EFULL, "cluster: more than %d node pools", CLUSTER_POOLS_MAX);
    if (strlen(name) >= CLUSTER_NAME_MAX)
        return os_errorf(err, OS_EINVAL, "cluster: pool name '%s' longer than %d bytes", name,
                         CLUSTER_NAME_MAX - 1);
    char where[CLUSTER_NAME_MAX + 16];
    snprintf(where, sizeof where, "pool '%s'", name);
    int rc = gpu_cfg_validate(gpu, where, err);
    if (rc)
        return rc;
    struct cluster_pool *p = &c->pools[c->n_pools];
    memset(p, 0, sizeof *p);
    strcpy(p->name, name);
    p->gpu = *gpu;
    p->res = gpu_cfg_resource(gpu);
    p->units_per_gpu = gpu_cfg_units_per_gpu(gpu);
    *id = c->n_pools++;
    return OS_OK;
}

/* ---------------- availability index ---------------- */

static void cluster_avail_set(struct cluster *c, uint32_t n, unsigned level)
{
    unsigned old = c->avail_level[n];
    uint32_t w = n / 64;
    uint64_t bit = UINT64_C(1) << (n % 64), wbit = UINT64_C(1) << (w % 64);
    for (unsigned k = old + 1; k <= level; k++) {
        c->avail_bits[k][w] |= bit;
        c->avail_sum[k][w / 64] |= wbit;
        c->avail_count[k]++;
    }
    for (unsigned k = level + 1; k <= old; k++) {
        c->avail_bits[k][w] &= ~bit;
        if (c->avail_bits[k][w] == 0)
            c->avail_sum[k][w / 64] &= ~wbit;
        c->avail_count[k]--;
    }
    c->avail_level[n] = (uint8_t)level;
}

static unsigned cluster_avail_wanted(const struct cluster *c, uint32_t n)
{
    if (c->state[n] != CLUSTER_NODE_READY)
        return 0;
    return c->res_free[n] < GPU_NODE_MAX ? c->res_free[n] : GPU_NODE_MAX;
}

/* True if node n belongs in plain_bits[res[n]] (see cluster.h). */
static bool cluster_plain_wanted(const struct cluster *c, uint32_t n)
{
    return c->node_flags[n] == 0 && c->pods[n] < c->max_pods[n];
}

/* Puts node n in or out of plain_bits[res[n]] after a change of its flags,
 * pods or pod limit (hot: every bind and unbind). */
static inline void cluster_plain_refresh(struct cluster *c, uint32_t n)
{
    uint16_t r = c->res[n];
    if (r >= CLUSTER_PLAIN_RES)
        return;
    uint64_t bit = UINT64_C(1) << (n % 64);
    uint64_t *w = &c->plain_bits[r][n / 64];
    *w = cluster_plain_wanted(c, n) ? (*w | bit) : (*w & ~bit);
}

/* Takes node n out of every plain-node bitmap (before its resource changes). */
static void cluster_plain_drop(struct cluster *c, uint32_t n)
{
    for (int r = 0; r < CLUSTER_PLAIN_RES; r++)
        c->plain_bits[r][n / 64] &= ~(UINT64_C(1) << (n % 64));
}

void cluster_refresh_gpus(struct cluster *c, uint32_t n)
{
    const struct cluster_pool *p = &c->pools[c->pool[n]];
    const struct gpu_cfg *cfg = &p->gpu;
    uint32_t g0 = c->gpu_first[n], g1 = g0 + c->gpu_count[n];
    unsigned whole = 0, units = 0, mmax = 0;
    int32_t msum = 0;
    for (uint32_t g = g0; g < g1; g++) {
        uint8_t u = c->gpu_used[g];
        uint16_t f = c->gpu_free_milli[g];
        msum += f;
        switch (cfg->mode) {
        case GPU_MODE_WHOLE:
        case GPU_MODE_MILLI:
            whole += u == 0;
            units += u == 0;
            if (u < UINT8_MAX && f > mmax)
                mmax = f;
            break;
        case GPU_MODE_TIMESLICE:
        case GPU_MODE_MPS:
            whole += u == 0;
            units += (unsigned)(cfg->replicas - u);
            break;
        case GPU_MODE_MIG: {
            uint8_t ln;
            gpu_cfg_layout(cfg, c->gpu_layout[g], &ln);
            whole += u == 0;
            units += (unsigned)(ln - __builtin_popcount(u));
            break;
        }
        }
    }
    c->free_whole[n] = (uint8_t)whole;
    c->res_free[n] = (uint16_t)units;
    c->milli_free_max[n] = cfg->mode == GPU_MODE_MILLI ? (uint16_t)mmax : 0;
    c->milli_free_sum[n] = msum;
    unsigned want = cluster_avail_wanted(c, n);
    if (want != c->avail_level[n])
        cluster_avail_set(c, n, want);
}

/* ---------------- nodes ---------------- */

static uint8_t cluster_flags_for(const struct cluster *c, uint32_t n)
{
    const struct gpu_cfg *cfg = &c->pools[c->pool[n]].gpu;
    uint8_t f = 0;
    if (c->state[n] != CLUSTER_NODE_READY)
        f |= CLUSTER_NF_UNSCHEDULABLE;
    if (c->n_taints[n])
        f |= CLUSTER_NF_TAINTED;
    if (cfg->mode == GPU_MODE_MIG && cfg->mig_strategy == GPU_MIG_MIXED)
        f |= CLUSTER_NF_MIG_MIXED;
    if (cfg->fail_requests_gt_one && (cfg->mode == GPU_MODE_TIMESLICE || cfg->mode == GPU_MODE_MPS))
        f |= CLUSTER_NF_FAIL_GT_ONE;
    return f;
}

/* Empties node n's resources (capacity stays). */
static void cluster_empty_node(struct cluster *c, uint32_t n)
{
    c->cpu_free[n] = c->cpu_cap[n];
    c->mem_free[n] = c->mem_cap[n];
    c->pods[n] = 0;
    c->cpu_nz_req[n] = 0;
    c->mem_nz_req[n] = 0;
    cluster_plain_refresh(c, n);
    uint32_t g0 = c->gpu_first[n];
    for (uint32_t g = g0; g < g0 + c->gpu_count[n]; g++) {
        c->gpu_free_milli[g] = GPU_MILLI;
        c->gpu_used[g] = 0;
        c->gpu_layout[g] = 0;
    }
    if (c->gpu_count[n]) /* every GPU back to its boot layout */
        c->res_cap[n] = (uint16_t)(c->gpu_count[n] * c->pools[c->pool[n]].units_per_gpu);
    cluster_refresh_gpus(c, n);
}

static int cluster_spec_check(const struct cluster *c, const struct cluster_node_spec *s,
                              const char *nm, struct os_error *err)
{
    if (s->cpu_milli <= 0)
        return os_errorf(err, OS_EINVAL, "node '%s': cpu_milli: expected a positive integer", nm);
    if (s->mem_mib <= 0)
        return os_errorf(err, OS_EINVAL, "node '%s': mem_mib: expected a positive integer", nm);
    if (s->gpu_count > GPU_NODE_MAX)
        return os_errorf(err, OS_EINVAL, "node '%s': gpu_count: at most %d", nm, GPU_NODE_MAX);
    if (s->gpu_count && s->gpu_model >= 64)
        return os_errorf(err, OS_EINVAL, "node '%s': gpu_model: expected a catalog index < 64", nm);
    if (s->pool >= c->n_pools)
        return os_errorf(err, OS_EINVAL, "node '%s': pool: no pool %u (add pools first)", nm,
                         s->pool);
    if (s->n_taints > CLUSTER_TAINTS_MAX)
        return os_errorf(err, OS_EINVAL, "node '%s': taints: at most %d", nm, CLUSTER_TAINTS_MAX);
    if (s->state > CLUSTER_NODE_DRAINING)
        return os_errorf(err, OS_EINVAL, "node '%s': state: a new node cannot be gone", nm);
    if (s->name && strlen(s->name) >= CLUSTER_NAME_MAX)
        return os_errorf(err, OS_EINVAL, "node '%s': name: longer than %d bytes", nm,
                         CLUSTER_NAME_MAX - 1);
    const struct cluster_pool *p = &c->pools[s->pool];
    unsigned units = (unsigned)s->gpu_count * p->units_per_gpu;
    if (units > UINT16_MAX)
        return os_errorf(err, OS_EINVAL, "node '%s': %u GPU units exceed %u", nm, units,
                         UINT16_MAX);
    for (size_t i = 0; i < s->n_taints; i++) {
        if (!s->taints[i].key || !s->taints[i].key[0])
            return os_errorf(err, OS_EINVAL, "node '%s': taints[%zu].key: expected a string", nm,
                             i);
        if (s->taints[i].effect < CLUSTER_TAINT_NO_SCHEDULE ||
            s->taints[i].effect > CLUSTER_TAINT_NO_EXECUTE)
            return os_errorf(err, OS_EINVAL, "node '%s': taints[%zu].effect: unknown effect", nm,
                             i);
    }
    return OS_OK;
}

int cluster_add_node(struct cluster *c, const struct cluster_node_spec *s, uint32_t *id,
                     struct os_error *err)
{
    const char *nm = s->name ? s->name : "(unnamed)";
    int rc = cluster_spec_check(c, s, nm, err);
    if (rc)
        return rc;

    /* pick a slot: a GONE one with a big enough GPU block, else a new one */
    uint32_t n = UINT32_MAX;
    if (c->n_gone) {
        for (uint32_t i = 0; i < c->n_nodes; i++)
            if (c->state[i] == CLUSTER_NODE_GONE && c->gpu_block[i] >= s->gpu_count) {
                n = i;
                c->n_gone--;
                break;
            }
    }
    if (n == UINT32_MAX) {
        if (c->n_nodes >= c->cap_nodes)
            return os_errorf(err, OS_EFULL, "node '%s': cluster full (%u nodes)", nm, c->cap_nodes);
        if (c->n_gpus + s->gpu_count > c->cap_gpus)
            return os_errorf(err, OS_EFULL, "node '%s': cluster GPU slots full (%u GPUs)", nm,
                             c->cap_gpus);
        n = c->n_nodes++;
        c->gpu_first[n] = c->n_gpus;
        c->gpu_block[n] = s->gpu_count;
        c->n_gpus += s->gpu_count;
        c->avail_level[n] = 0;
    }

    const struct cluster_pool *p = &c->pools[s->pool];
    cluster_plain_drop(c, n); /* a reused slot may have had another resource */
    c->cpu_cap[n] = s->cpu_milli;
    c->mem_cap[n] = s->mem_mib;
    c->max_pods[n] = s->max_pods ? s->max_pods : CLUSTER_UNLIMITED_PODS;
    c->gpu_count[n] = s->gpu_count;
    c->gpu_model[n] = s->gpu_count ? s->gpu_model : CLUSTER_GPU_NONE;
    c->pool[n] = s->pool;
    c->res[n] = s->gpu_count ? p->res : GPU_RES_NONE;
    c->res_cap[n] = (uint16_t)(s->gpu_count * p->units_per_gpu);
    c->state[n] = (uint8_t)s->state;
    c->instance_type[n] = s->instance_type;
    for (uint32_t g = c->gpu_first[n]; g < c->gpu_first[n] + c->gpu_block[n]; g++)
        c->gpu_node[g] = n;
    if (s->name)
        strcpy(c->name[n], s->name);
    else
        snprintf(c->name[n], CLUSTER_NAME_MAX, "node-%u", n);
    for (uint32_t k = 0; k < c->cfg.max_label_keys; k++)
        c->label[(size_t)k * c->cap_nodes + n] = 0;
    if (c->cfg.max_groups)
        for (uint32_t g = 0; g < c->cfg.max_groups; g++)
            c->group_node[(size_t)g * c->cap_nodes + n] = 0;

    /* strings and labels; on failure the slot is left GONE */
    c->n_taints[n] = 0;
    c->zone[n] = 0;
    c->node_flags[n] = CLUSTER_NF_UNSCHEDULABLE;
    if (s->zone && (rc = cluster_intern(c, s->zone, &c->zone[n], err)))
        goto out_gone;
    for (size_t i = 0; i < s->n_taints; i++) {
        struct cluster_taint *t = &c->taints[(size_t)n * CLUSTER_TAINTS_MAX + i];
        t->effect = (uint8_t)s->taints[i].effect;
        if ((rc = cluster_intern(c, s->taints[i].key, &t->key, err)))
            goto out_gone;
        if ((rc = cluster_intern(c, s->taints[i].value ? s->taints[i].value : "", &t->value, err)))
            goto out_gone;
        c->n_taints[n] = (uint8_t)(i + 1);
    }
    if (s->instance_type_name) {
        if ((rc = cluster_put_label(c, n, "node.kubernetes.io/instance-type", s->instance_type_name,
                                    err)) ||
            (rc = cluster_put_label(c, n, "ecs.instance-type", s->instance_type_name, err)))
            goto out_gone;
    }
    if (s->zone) {
        if ((rc = cluster_put_label(c, n, "topology.kubernetes.io/zone", s->zone, err)) ||
            (rc = cluster_put_label(c, n, "ecs.availability-zone", s->zone, err)))
            goto out_gone;
    }
    for (size_t i = 0; i < s->n_labels; i++)
        if ((rc = cluster_put_label(c, n, s->labels[i].key, s->labels[i].value, err)))
            goto out_gone;

    c->node_flags[n] = cluster_flags_for(c, n);
    cluster_empty_node(c, n);
    *id = n;
    return OS_OK;

out_gone:
    c->state[n] = CLUSTER_NODE_GONE;
    c->gpu_count[n] = 0;
    c->cpu_cap[n] = c->mem_cap[n] = 0;
    c->n_taints[n] = 0;
    c->node_flags[n] = CLUSTER_NF_UNSCHEDULABLE;
    cluster_empty_node(c, n);
    c->n_gone++;
    return rc;
}

int cluster_set_state(struct cluster *c, uint32_t n, enum cluster_node_state st,
                      struct os_error *err)
{
    if (n >= c->n_nodes || c->state[n] == CLUSTER_NODE_GONE)
        return os_errorf(err, OS_EINVAL, "cluster: no live node %u", n);
    if (st > CLUSTER_NODE_GONE)
        return os_errorf(err, OS_EINVAL, "cluster: unknown node state %d", (int)st);
    if (st == CLUSTER_NODE_GONE) {
        if (c->pods[n])
            return os_errorf(err, OS_EINVAL, "node '%s': cannot remove with %u pods bound",
                             c->name[n], c->pods[n]);
        c->n_gone++;
        c->gpu_count[n] = 0; /* the block stays reserved for reuse */
        c->res_cap[n] = 0;
        c->n_taints[n] = 0;
        for (uint32_t k = 0; k < c->cfg.max_label_keys; k++)
            c->label[(size_t)k * c->cap_nodes + n] = 0;
    }
    c->state[n] = (uint8_t)st;
    c->node_flags[n] = cluster_flags_for(c, n);
    cluster_plain_refresh(c, n);
    cluster_refresh_gpus(c, n);
    return OS_OK;
}

int cluster_set_gpu_layout(struct cluster *c, uint32_t gpu, uint8_t layout, bool hold,
                           struct os_error *err)
{
    if (gpu >= c->n_gpus)
        return os_errorf(err, OS_EINVAL, "cluster: no GPU %u", gpu);
    uint32_t n = c->gpu_node[gpu];
    if (n >= c->n_nodes || c->state[n] == CLUSTER_NODE_GONE ||
        gpu >= c->gpu_first[n] + c->gpu_count[n])
        return os_errorf(err, OS_EINVAL, "cluster: GPU %u is on no live node", gpu);
    const struct gpu_cfg *cfg = &c->pools[c->pool[n]].gpu;
    if (cfg->mode != GPU_MODE_MIG || layout > cfg->mig_nalt)
        return os_errorf(err, OS_EINVAL, "node '%s': pool has no MIG layout %u", c->name[n],
                         (unsigned)layout);
    if (c->gpu_used[gpu])
        return os_errorf(err, OS_EINVAL,
                         "node '%s': GPU %u is in use; MIG repartitioning needs an idle GPU",
                         c->name[n], gpu - c->gpu_first[n]);
    uint8_t was, now;
    gpu_cfg_layout(cfg, c->gpu_layout[gpu], &was);
    gpu_cfg_layout(cfg, layout, &now);
    c->gpu_layout[gpu] = layout;
    c->res_cap[n] = (uint16_t)(c->res_cap[n] - was + now);
    c->gpu_used[gpu] = hold ? (uint8_t)((1u << now) - 1u) : 0;
    c->gpu_free_milli[gpu] = gpu_shared_free_milli(cfg, layout, c->gpu_used[gpu]);
    cluster_refresh_gpus(c, n);
    return OS_OK;
}

int cluster_release_gpu_hold(struct cluster *c, uint32_t gpu, struct os_error *err)
{
    if (gpu >= c->n_gpus)
        return os_errorf(err, OS_EINVAL, "cluster: no GPU %u", gpu);
    uint32_t n = c->gpu_node[gpu];
    uint8_t ln;
    const struct gpu_cfg *cfg = &c->pools[c->pool[n]].gpu;
    gpu_cfg_layout(cfg, c->gpu_layout[gpu], &ln);
    if (cfg->mode != GPU_MODE_MIG || c->gpu_used[gpu] != (1u << ln) - 1u)
        return os_errorf(err, OS_EINVAL, "cluster: GPU %u is not held for a repartition", gpu);
    c->gpu_used[gpu] = 0;
    c->gpu_free_milli[gpu] = GPU_MILLI;
    cluster_refresh_gpus(c, n);
    return OS_OK;
}

void cluster_bind(struct cluster *c, uint32_t n, int32_t cpu_milli, int32_t mem_mib, uint32_t group,
                  const struct gpu_alloc *gpu)
{
    c->cpu_free[n] -= cpu_milli;
    c->mem_free[n] -= mem_mib;
    c->cpu_nz_req[n] += cpu_milli ? cpu_milli : CLUSTER_NZ_CPU_MILLI;
    c->mem_nz_req[n] += mem_mib ? mem_mib : CLUSTER_NZ_MEM_MIB;
    c->pods[n]++;
    cluster_plain_refresh(c, n);
    if (gpu && gpu->n)
        gpu_commit(c, gpu);
    if (group - 1 < c->cfg.max_groups) {
        size_t gi = group - 1;
        c->group_node[gi * c->cap_nodes + n]++;
        c->group_total[gi]++;
        uint32_t *gp = c->group_pair + gi * c->cfg.max_pairs;
        for (uint32_t k = 0; k < c->n_keys; k++) {
            uint32_t pr = c->label[(size_t)k * c->cap_nodes + n];
            if (pr)
                gp[pr]++;
        }
    }
}

void cluster_unbind(struct cluster *c, uint32_t n, int32_t cpu_milli, int32_t mem_mib,
                    uint32_t group, const struct gpu_alloc *gpu)
{
    c->cpu_free[n] += cpu_milli;
    c->mem_free[n] += mem_mib;
    c->cpu_nz_req[n] -= cpu_milli ? cpu_milli : CLUSTER_NZ_CPU_MILLI;
    c->mem_nz_req[n] -= mem_mib ? mem_mib : CLUSTER_NZ_MEM_MIB;
    c->pods[n]--;
    cluster_plain_refresh(c, n);
    if (gpu && gpu->n)
        gpu_release(c, gpu);
    if (group - 1 < c->cfg.max_groups) {
        size_t gi = group - 1;
        c->group_node[gi * c->cap_nodes + n]--;
        c->group_total[gi]--;
        uint32_t *gp = c->group_pair + gi * c->cfg.max_pairs;
        for (uint32_t k = 0; k < c->n_keys; k++) {
            uint32_t pr = c->label[(size_t)k * c->cap_nodes + n];
            if (pr)
                gp[pr]--;
        }
    }
}

void cluster_reset(struct cluster *c)
{
    for (uint32_t n = 0; n < c->n_nodes; n++)
        cluster_empty_node(c, n);
    if (c->cfg.max_groups) {
        memset(c->group_node, 0, (size_t)c->cfg.max_groups * c->cap_nodes * sizeof *c->group_node);
        memset(c->group_pair, 0,
               (size_t)c->cfg.max_groups * c->cfg.max_pairs * sizeof *c->group_pair);
        memset(c->group_total, 0, c->cfg.max_groups * sizeof *c->group_total);
    }
}

void cluster_clear(struct cluster *c)
{
    c->n_nodes = 0;
    c->n_gpus = 0;
    c->n_gone = 0;
    for (int k = 1; k <= GPU_NODE_MAX; k++) {
        memset(c->avail_bits[k], 0, c->avail_words * sizeof *c->avail_bits[k]);
        memset(c->avail_sum[k], 0, c->avail_sum_words * sizeof *c->avail_sum[k]);
        c->avail_count[k] = 0;
    }
    for (int r = 0; r < CLUSTER_PLAIN_RES; r++)
        memset(c->plain_bits[r], 0, c->avail_words * sizeof *c->plain_bits[r]);
    if (c->cfg.max_groups) {
        memset(c->group_pair, 0,
               (size_t)c->cfg.max_groups * c->cfg.max_pairs * sizeof *c->group_pair);
        memset(c->group_total, 0, c->cfg.max_groups * sizeof *c->group_total);
    }
}

uint32_t cluster_ready_nodes(const struct cluster *c)
{
    uint32_t k = 0;
    for (uint32_t n = 0; n < c->n_nodes; n++)
        k += c->state[n] == CLUSTER_NODE_READY;
    return k;
}

void cluster_gpu_totals(const struct cluster *c, uint64_t *gpus, uint64_t *alloc_milli)
{
    uint64_t g = 0, a = 0;
    for (uint32_t n = 0; n < c->n_nodes; n++) {
        if (c->state[n] != CLUSTER_NODE_READY && c->state[n] != CLUSTER_NODE_DRAINING)
            continue;
        g += c->gpu_count[n];
        a += (uint64_t)c->gpu_count[n] * GPU_MILLI - (uint64_t)c->milli_free_sum[n];
    }
    *gpus = g;
    *alloc_milli = a;
}

int cluster_check(const struct cluster *c, struct os_error *err)
{
    for (uint32_t n = 0; n < c->n_nodes; n++) {
        const char *nm = c->name[n];
        if (c->cpu_free[n] < 0 || c->cpu_free[n] > c->cpu_cap[n])
            return os_errorf(err, OS_EINVAL, "node '%s': cpu_free %d outside 0..%d", nm,
                             c->cpu_free[n], c->cpu_cap[n]);
        if (c->mem_free[n] < 0 || c->mem_free[n] > c->mem_cap[n])
            return os_errorf(err, OS_EINVAL, "node '%s': mem_free %d outside 0..%d", nm,
                             c->mem_free[n], c->mem_cap[n]);
        if (c->pods[n] > c->max_pods[n])
            return os_errorf(err, OS_EINVAL, "node '%s': %u pods > max %u", nm, c->pods[n],
                             c->max_pods[n]);
        const struct gpu_cfg *cfg = &c->pools[c->pool[n]].gpu;
        uint32_t g0 = c->gpu_first[n];
        unsigned whole = 0, units = 0, mmax = 0, cap = 0;
        int32_t msum = 0;
        for (uint32_t g = g0; g < g0 + c->gpu_count[n]; g++) {
            uint8_t u = c->gpu_used[g];
            if (c->gpu_free_milli[g] > GPU_MILLI || c->gpu_node[g] != n)
                return os_errorf(err, OS_EINVAL, "node '%s': GPU %u inconsistent", nm, g);
            msum += c->gpu_free_milli[g];
            whole += u == 0;
            switch (cfg->mode) {
            case GPU_MODE_WHOLE:
            case GPU_MODE_MILLI:
                units += u == 0;
                if (u < UINT8_MAX && c->gpu_free_milli[g] > mmax)
                    mmax = c->gpu_free_milli[g];
                if ((u == 0) != (c->gpu_free_milli[g] == GPU_MILLI))
                    return os_errorf(err, OS_EINVAL, "node '%s': GPU %u: tenants %u, free %u", nm,
                                     g, u, c->gpu_free_milli[g]);
                break;
            case GPU_MODE_TIMESLICE:
            case GPU_MODE_MPS:
                if (u > cfg->replicas)
                    return os_errorf(err, OS_EINVAL, "node '%s': GPU %u: %u > %u replicas", nm, g,
                                     u, cfg->replicas);
                units += (unsigned)(cfg->replicas - u);
                break;
            case GPU_MODE_MIG: {
                uint8_t ln;
                gpu_cfg_layout(cfg, c->gpu_layout[g], &ln);
                if (u >> ln || c->gpu_layout[g] > cfg->mig_nalt)
                    return os_errorf(err, OS_EINVAL, "node '%s': GPU %u: bad MIG mask", nm, g);
                units += (unsigned)(ln - __builtin_popcount(u));
                cap += ln;
                break;
            }
            }
        }
        if (cfg->mode != GPU_MODE_MILLI)
            mmax = 0;
        if (cfg->mode == GPU_MODE_MIG && c->gpu_count[n] && cap != c->res_cap[n])
            return os_errorf(err, OS_EINVAL, "node '%s': %u MIG instances, res_cap %u", nm, cap,
                             c->res_cap[n]);
        if (whole != c->free_whole[n] || units != c->res_free[n] || mmax != c->milli_free_max[n] ||
            msum != c->milli_free_sum[n])
            return os_errorf(err, OS_EINVAL, "node '%s': GPU aggregates stale", nm);
        unsigned lv = cluster_avail_wanted(c, n);
        if (lv != c->avail_level[n])
            return os_errorf(err, OS_EINVAL, "node '%s': availability level %u, expected %u", nm,
                             c->avail_level[n], lv);
        for (unsigned k = 1; k <= GPU_NODE_MAX; k++) {
            bool in = c->avail_bits[k][n / 64] >> (n % 64) & 1u;
            if (in != (k <= lv))
                return os_errorf(err, OS_EINVAL, "node '%s': availability index broken at %u", nm,
                                 k);
        }
        for (unsigned r = 0; r < CLUSTER_PLAIN_RES; r++) {
            bool in = c->plain_bits[r][n / 64] >> (n % 64) & 1u;
            if (in != (r == c->res[n] && cluster_plain_wanted(c, n)))
                return os_errorf(err, OS_EINVAL, "node '%s': plain-node index broken at %u", nm, r);
        }
    }
    for (unsigned k = 1; k <= GPU_NODE_MAX; k++) {
        uint32_t cnt = 0;
        for (uint32_t w = 0; w < c->avail_words; w++) {
            cnt += (uint32_t)__builtin_popcountll(c->avail_bits[k][w]);
            bool sum = c->avail_sum[k][w / 64] >> (w % 64) & 1u;
            if (sum != (c->avail_bits[k][w] != 0))
                return os_errorf(err, OS_EINVAL, "availability summary at %u broken at word %u", k,
                                 w);
        }
        if (cnt != c->avail_count[k])
            return os_errorf(err, OS_EINVAL, "availability count at %u: %u, expected %u", k,
                             c->avail_count[k], cnt);
    }
    /* no plain-node bit beyond the nodes in use */
    uint32_t in_plain = 0, want_plain = 0;
    for (uint32_t n = 0; n < c->n_nodes; n++)
        want_plain += c->res[n] < CLUSTER_PLAIN_RES && cluster_plain_wanted(c, n);
    for (unsigned r = 0; r < CLUSTER_PLAIN_RES; r++)
        for (uint32_t w = 0; w < c->avail_words; w++)
            in_plain += (uint32_t)__builtin_popcountll(c->plain_bits[r][w]);
    if (in_plain != want_plain)
        return os_errorf(err, OS_EINVAL, "plain-node index: %u nodes, expected %u", in_plain,
                         want_plain);
    return OS_OK;
}
