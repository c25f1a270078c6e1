/*
 * ecs.c - Amazon ECS task placement (MODELS.md section 1): strategies
 * binpack, spread and random, chained lexicographically; constraints
 * distinctInstance and memberOf with a compiled cluster-query expression.
 *
 * The filter (resources, GPUs, constraints) is placement.c's. Each strategy
 * rule is one scoring stage; placement.c keeps the best nodes after each stage
 * and picks uniformly among the final ties. So a chain
 *   spread(attribute:ecs.availability-zone), binpack(memory)
 * first keeps the instances in the AZs with the fewest tasks of this service,
 * then among those the ones with the least free memory, then picks at random.
 * [U] ECS documents the order of application but not the algorithm; this
 * lexicographic reading with a random final tie-break is our assumption
 * (ECS_CHAIN_LEXICOGRAPHIC below).
 *
 * - binpack(cpu|memory): least remaining of that resource after placement.
 * - spread(instanceId|host): fewest tasks of this group on the instance.
 * - spread(attribute:X): fewest tasks of this group on instances with the same
 *   value of X. [U] Instances without X form one more value ("absent").
 * - random: no preference.
 * - GPUs: whole GPUs only (the pool's mode must be WHOLE for ECS clusters);
 *   IDs lowest-free (gpu_choose) [U].
 * Default chain (no strategy in the request or options): the ECS service
 * default spread(attribute:ecs.availability-zone).
 */
#include "models/placement/placement.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECS_CHAIN_LEXICOGRAPHIC 1 /* the [U] chaining rule, see top */
#define ECS_ZONE_KEY            "ecs.availability-zone"

/* ---------------- expressions ---------------- */

enum ecs_node_kind { ECS_N_AND, ECS_N_OR, ECS_N_NOT, ECS_N_CMP };
enum ecs_cmp_op {
    ECS_OP_EQ,
    ECS_OP_NE,
    ECS_OP_EXISTS,
    ECS_OP_NOT_EXISTS,
    ECS_OP_MATCH,
    ECS_OP_NOT_MATCH,
    ECS_OP_IN,
    ECS_OP_NOT_IN,
    ECS_OP_GT,
    ECS_OP_GE,
    ECS_OP_LT,
    ECS_OP_LE,
};

#define ECS_VALUES_MAX 8

struct ecs_expr_node {
    uint8_t kind;
    uint8_t op;
    uint8_t a, b;     /* children (AND/OR: a, b; NOT: a) */
    bool instance_id; /* subject ec2InstanceId (node name) instead of an attribute */
    bool has_re;
    uint16_t col; /* attribute column */
    uint8_t n_vals;
    uint32_t vals[ECS_VALUES_MAX]; /* attribute: pair ids; instance id: string ids */
    int64_t num;                   /* >, >=, <, <= */
    regex_t re;                    /* =~, !~ */
};

struct ecs_parser {
    struct cluster *c;
    struct ecs_expr *e;
    const char *s; /* whole text */
    const char *p; /* cursor */
    const char *where;
    struct os_error *err;
    int rc;
};

#define ECS_TOKEN_MAX 128

static bool ecs_is_delim(char ch)
{
    return ch == '(' || ch == ')' || ch == '[' || ch == ']' || ch == ',';
}

/* Reads the next token into tok (without consuming when peek). */
static bool ecs_token(struct ecs_parser *ps, char tok[ECS_TOKEN_MAX], bool peek)
{
    const char *q = ps->p;
    while (*q == ' ' || *q == '\t' || *q == '\n')
        q++;
    size_t n = 0;
    if (*q == '\0') {
        tok[0] = '\0';
        if (!peek)
            ps->p = q;
        return false;
    }
    if (ecs_is_delim(*q)) {
        tok[n++] = *q++;
    } else {
        while (*q && *q != ' ' && *q != '\t' && *q != '\n' && !ecs_is_delim(*q)) {
            if (n + 1 < ECS_TOKEN_MAX)
                tok[n++] = *q;
            q++;
        }
    }
    tok[n] = '\0';
    if (!peek)
        ps->p = q;
    return true;
}

static int ecs_fail(struct ecs_parser *ps, const char *what)
{
    if (ps->rc == OS_OK)
        ps->rc = os_errorf(ps->err, OS_EINVAL, "%s: '%s': %s (at offset %td)", ps->where, ps->s,
                           what, ps->p - ps->s);
    return -1;
}

static int ecs_new_node(struct ecs_parser *ps)
{
    if (ps->e->n_nodes >= ECS_EXPR_NODES_MAX)
        return ecs_fail(ps, "expression too long");
    int i = ps->e->n_nodes++;
    memset(&ps->e->nodes[i], 0, sizeof ps->e->nodes[i]);
    return i;
}

static int ecs_parse_or(struct ecs_parser *ps);

static bool ecs_parse_int(const char *t, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(t, &end, 10);
    if (t[0] == '\0' || *end != '\0' || errno)
        return false;
    *v = x;
    return true;
}

static int ecs_add_value(struct ecs_parser *ps, struct ecs_expr_node *nd, const char *v)
{
    if (nd->n_vals >= ECS_VALUES_MAX)
        return ecs_fail(ps, "too many values in a list (at most 8)");
    uint32_t id;
    int rc = nd->instance_id ? cluster_intern(ps->c, v, &id, ps->err)
                             : cluster_label_pair(ps->c, nd->col, v, &id, ps->err);
    if (rc) {
        ps->rc = rc;
        return -1;
    }
    nd->vals[nd->n_vals++] = id;
    return 0;
}

static int ecs_parse_cmp(struct ecs_parser *ps)
{
    char tok[ECS_TOKEN_MAX];
    if (!ecs_token(ps, tok, false))
        return ecs_fail(ps, "expected a subject such as attribute:ecs.instance-type");
    int i = ecs_new_node(ps);
    if (i < 0)
        return -1;
    struct ecs_expr_node *nd = &ps->e->nodes[i];
    nd->kind = ECS_N_CMP;
    if (strncmp(tok, "attribute:", 10) == 0 && tok[10]) {
        int rc = cluster_label_key(ps->c, tok + 10, &nd->col, ps->err);
        if (rc) {
            ps->rc = rc;
            return -1;
        }
    } else if (strcmp(tok, "ec2InstanceId") == 0) {
        nd->instance_id = true;
    } else {
        return ecs_fail(ps, "unsupported subject (expected attribute:<name> or ec2InstanceId)");
    }
    if (!ecs_token(ps, tok, false))
        return ecs_fail(ps, "expected an operator");
    static const struct {
        const char *name;
        uint8_t op;
    } ops[] = {
        {"==", ECS_OP_EQ},
        {"equals", ECS_OP_EQ},
        {"!=", ECS_OP_NE},
        {"not_equals", ECS_OP_NE},
        {"exists", ECS_OP_EXISTS},
        {"!exists", ECS_OP_NOT_EXISTS},
        {"not_exists", ECS_OP_NOT_EXISTS},
        {"=~", ECS_OP_MATCH},
        {"matches", ECS_OP_MATCH},
        {"!~", ECS_OP_NOT_MATCH},
        {"not_matches", ECS_OP_NOT_MATCH},
        {"in", ECS_OP_IN},
        {"not_in", ECS_OP_NOT_IN},
        {">", ECS_OP_GT},
        {">=", ECS_OP_GE},
        {"<", ECS_OP_LT},
        {"<=", ECS_OP_LE},
    };
    int op = -1;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (strcmp(tok, ops[k].name) == 0)
            op = ops[k].op;
    if (op < 0)
        return ecs_fail(ps, "unknown operator (expected ==, !=, exists, !exists, =~, !~, in, "
                            "not_in, >, >=, <, <=)");
    nd->op = (uint8_t)op;
    switch (nd->op) {
    case ECS_OP_EXISTS:
    case ECS_OP_NOT_EXISTS:
        return i;
    case ECS_OP_IN:
    case ECS_OP_NOT_IN:
        if (!ecs_token(ps, tok, false) || strcmp(tok, "[") != 0)
            return ecs_fail(ps, "expected '[' after in/not_in");
        for (;;) {
            if (!ecs_token(ps, tok, false) || ecs_is_delim(tok[0]))
                return ecs_fail(ps, "expected a value in the list");
            if (ecs_add_value(ps, nd, tok) < 0)
                return -1;
            if (!ecs_token(ps, tok, false))
                return ecs_fail(ps, "expected ',' or ']'");
            if (strcmp(tok, "]") == 0)
                return i;
            if (strcmp(tok, ",") != 0)
                return ecs_fail(ps, "expected ',' or ']'");
        }
    default:
        break;
    }
    if (!ecs_token(ps, tok, false) || ecs_is_delim(tok[0]))
        return ecs_fail(ps, "expected a value after the operator");
    switch (nd->op) {
    case ECS_OP_EQ:
    case ECS_OP_NE:
        return ecs_add_value(ps, nd, tok) < 0 ? -1 : i;
    case ECS_OP_MATCH:
    case ECS_OP_NOT_MATCH: {
        char pat[ECS_TOKEN_MAX + 8];
        snprintf(pat, sizeof pat, "^(%s)$", tok);
        if (regcomp(&nd->re, pat, REG_EXTENDED | REG_NOSUB) != 0)
            return ecs_fail(ps, "invalid regular expression");
        nd->has_re = true;
        return i;
    }
    default:
        if (!ecs_parse_int(tok, &nd->num))
            return ecs_fail(ps, "expected an integer after a comparison");
        return i;
    }
}

static int ecs_parse_unary(struct ecs_parser *ps)
{
    char tok[ECS_TOKEN_MAX];
    if (!ecs_token(ps, tok, true))
        return ecs_fail(ps, "unexpected end of expression");
    if (strcmp(tok, "not") == 0 || strcmp(tok, "!") == 0) {
        ecs_token(ps, tok, false);
        int a = ecs_parse_unary(ps);
        if (a < 0)
            return -1;
        int i = ecs_new_node(ps);
        if (i < 0)
            return -1;
        ps->e->nodes[i].kind = ECS_N_NOT;
        ps->e->nodes[i].a = (uint8_t)a;
        return i;
    }
    if (strcmp(tok, "(") == 0) {
        ecs_token(ps, tok, false);
        int a = ecs_parse_or(ps);
        if (a < 0)
            return -1;
        if (!ecs_token(ps, tok, false) || strcmp(tok, ")") != 0)
            return ecs_fail(ps, "expected ')'");
        return a;
    }
    return ecs_parse_cmp(ps);
}

static int ecs_parse_bin(struct ecs_parser *ps, bool is_or)
{
    int a = is_or ? ecs_parse_bin(ps, false) : ecs_parse_unary(ps);
    char tok[ECS_TOKEN_MAX];
    while (a >= 0 && ecs_token(ps, tok, true)) {
        bool match = is_or ? (strcmp(tok, "or") == 0 || strcmp(tok, "||") == 0)
                           : (strcmp(tok, "and") == 0 || strcmp(tok, "&&") == 0);
        if (!match)
            break;
        ecs_token(ps, tok, false);
        int b = is_or ? ecs_parse_bin(ps, false) : ecs_parse_unary(ps);
        if (b < 0)
            return -1;
        int i = ecs_new_node(ps);
        if (i < 0)
            return -1;
        ps->e->nodes[i].kind = is_or ? ECS_N_OR : ECS_N_AND;
        ps->e->nodes[i].a = (uint8_t)a;
        ps->e->nodes[i].b = (uint8_t)b;
        a = i;
    }
    return a;
}

static int ecs_parse_or(struct ecs_parser *ps)
{
    return ecs_parse_bin(ps, true);
}

void ecs_expr_destroy(struct ecs_expr *e)
{
    if (e->nodes) {
        for (uint8_t i = 0; i < e->n_nodes; i++)
            if (e->nodes[i].has_re)
                regfree(&e->nodes[i].re);
        free(e->nodes);
    }
    memset(e, 0, sizeof *e);
}

int ecs_expr_compile(struct cluster *c, const char *text, struct ecs_expr *out, const char *where,
                     struct os_error *err)
{
    memset(out, 0, sizeof *out);
    out->nodes = calloc(ECS_EXPR_NODES_MAX, sizeof *out->nodes);
    if (!out->nodes)
        return os_errorf(err, OS_ENOMEM, "%s: out of memory", where);
    struct ecs_parser ps = {.c = c, .e = out, .s = text, .p = text, .where = where, .err = err};
    int root = ecs_parse_or(&ps);
    char tok[ECS_TOKEN_MAX];
    if (root >= 0 && ecs_token(&ps, tok, true))
        root = ecs_fail(&ps, "unexpected text after the expression");
    if (root < 0) {
        int rc = ps.rc ? ps.rc : OS_EINVAL;
        ecs_expr_destroy(out);
        return rc;
    }
    out->root = (uint8_t)root;
    return OS_OK;
}

static bool ecs_eval_cmp(const struct cluster *c, const struct ecs_expr_node *nd, uint32_t n)
{
    if (nd->instance_id) {
        const char *name = c->name[n];
        bool eq = false;
        for (uint8_t i = 0; i < nd->n_vals; i++)
            eq |= strcmp(cluster_string(c, nd->vals[i]), name) == 0;
        switch (nd->op) {
        case ECS_OP_EQ:
        case ECS_OP_IN:
            return eq;
        case ECS_OP_NE:
        case ECS_OP_NOT_IN:
            return !eq;
        case ECS_OP_EXISTS:
            return true;
        case ECS_OP_NOT_EXISTS:
            return false;
        case ECS_OP_MATCH:
            return regexec(&nd->re, name, 0, NULL, 0) == 0;
        case ECS_OP_NOT_MATCH:
            return regexec(&nd->re, name, 0, NULL, 0) != 0;
        default:
            return false;
        }
    }
    uint32_t pair = nd->col < c->n_keys ? cluster_node_label(c, n, nd->col) : 0;
    bool in = false;
    for (uint8_t i = 0; i < nd->n_vals && pair; i++)
        in |= nd->vals[i] == pair;
    switch (nd->op) {
    case ECS_OP_EQ:
    case ECS_OP_IN:
        return in;
    case ECS_OP_NE:
    case ECS_OP_NOT_IN:
        return !in;
    case ECS_OP_EXISTS:
        return pair != 0;
    case ECS_OP_NOT_EXISTS:
        return pair == 0;
    case ECS_OP_MATCH:
    case ECS_OP_NOT_MATCH: {
        bool m = pair && regexec(&nd->re, cluster_string(c, c->pair_val[pair]), 0, NULL, 0) == 0;
        return nd->op == ECS_OP_MATCH ? m : !m;
    }
    case ECS_OP_GT:
        return pair && c->pair_is_num[pair] && c->pair_num[pair] > nd->num;
    case ECS_OP_GE:
        return pair && c->pair_is_num[pair] && c->pair_num[pair] >= nd->num;
    case ECS_OP_LT:
        return pair && c->pair_is_num[pair] && c->pair_num[pair] < nd->num;
    case ECS_OP_LE:
        return pair && c->pair_is_num[pair] && c->pair_num[pair] <= nd->num;
    }
    return false;
}

static bool ecs_eval_node(const struct cluster *c, const struct ecs_expr *e, uint8_t i, uint32_t n)
{
    const struct ecs_expr_node *nd = &e->nodes[i];
    switch (nd->kind) {
    case ECS_N_AND:
        return ecs_eval_node(c, e, nd->a, n) && ecs_eval_node(c, e, nd->b, n);
    case ECS_N_OR:
        return ecs_eval_node(c, e, nd->a, n) || ecs_eval_node(c, e, nd->b, n);
    case ECS_N_NOT:
        return !ecs_eval_node(c, e, nd->a, n);
    default:
        return ecs_eval_cmp(c, nd, n);
    }
}

bool ecs_expr_eval(const struct cluster *c, const struct ecs_expr *e, uint32_t node)
{
    if (!e->nodes || e->n_nodes == 0)
        return true;
    return ecs_eval_node(c, e, e->root, node);
}

int ecs_strategy_parse(struct cluster *c, const char *type, const char *field,
                       struct ecs_strategy *out, const char *where, struct os_error *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(type, "random") == 0) {
        out->type = ECS_STRATEGY_RANDOM;
        return OS_OK;
    }
    if (strcmp(type, "binpack") == 0) {
        out->type = ECS_STRATEGY_BINPACK;
        if (field && strcmp(field, "cpu") == 0)
            out->field = ECS_FIELD_CPU;
        else if (field && strcmp(field, "memory") == 0)
            out->field = ECS_FIELD_MEMORY;
        else
            return os_errorf(err, OS_EINVAL,
                             "%s: field: binpack needs 'cpu' or 'memory' (got '%s')", where,
                             field ? field : "");
        return OS_OK;
    }
    if (strcmp(type, "spread") == 0) {
        out->type = ECS_STRATEGY_SPREAD;
        if (!field || !field[0])
            return os_errorf(err, OS_EINVAL,
                             "%s: field: spread needs instanceId, host or attribute:<name>", where);
        if (strcmp(field, "instanceId") == 0 || strcmp(field, "host") == 0) {
            out->field = ECS_FIELD_INSTANCE_ID;
            return OS_OK;
        }
        if (strcmp(field, "attribute:" ECS_ZONE_KEY) == 0) {
            out->field = ECS_FIELD_ZONE;
            return OS_OK;
        }
        if (strncmp(field, "attribute:", 10) == 0 && field[10]) {
            out->field = ECS_FIELD_ATTRIBUTE;
            return cluster_label_key(c, field + 10, &out->col, err);
        }
        return os_errorf(err, OS_EINVAL,
                         "%s: field: spread needs instanceId, host or attribute:<name> (got '%s')",
                         where, field);
    }
    const char *sugg = type[0] == 'b' ? "binpack" : type[0] == 's' ? "spread" : "random";
    return os_errorf(err, OS_EINVAL,
                     "%s: type: unknown strategy '%s' (expected binpack, spread or random; did "
                     "you mean '%s'?)",
                     where, type, sugg);
}

/* ---------------- the placers ---------------- */

struct ecs_state {
    uint8_t n;
    struct ecs_strategy chain[ECS_STRATEGIES_MAX];
    int zone_col; /* column of ecs.availability-zone, -1 until some node has it */
};

static int ecs_init_chain(struct placer *p, const struct cluster *c, const struct placer_opts *o,
                          const struct ecs_strategy *def, uint8_t n_def, struct os_error *err)
{
    struct ecs_state *st = calloc(1, sizeof *st);
    if (!st)
        return os_errorf(err, OS_ENOMEM, "placement: %s: out of memory", p->ops->name);
    if (o && o->n_strategies) {
        if (o->n_strategies > ECS_STRATEGIES_MAX) {
            free(st);
            return os_errorf(err, OS_EINVAL, "placement: %s: at most %d strategy rules",
                             p->ops->name, ECS_STRATEGIES_MAX);
        }
        st->n = o->n_strategies;
        memcpy(st->chain, o->strategies, st->n * sizeof st->chain[0]);
    } else {
        st->n = n_def;
        memcpy(st->chain, def, n_def * sizeof def[0]);
    }
    st->zone_col = cluster_label_col(c, ECS_ZONE_KEY);
    p->state = st;
    return OS_OK;
}

static void ecs_destroy(struct placer *p)
{
    free(p->state);
    p->state = NULL;
}

static const struct ecs_strategy *ecs_chain(const struct placer *p, const struct pod_req *r,
                                            uint8_t *n)
{
    const struct ecs_state *st = p->state;
    if (r->n_strategies && r->strategies) {
        *n = r->n_strategies < ECS_STRATEGIES_MAX ? r->n_strategies : ECS_STRATEGIES_MAX;
        return r->strategies;
    }
    *n = st->n;
    return st->chain;
}

static uint32_t ecs_stages(const struct placer *p, const struct pod_req *r)
{
    uint8_t n;
    ecs_chain(p, r, &n);
    return n ? n : 1;
}

/* Tasks of `group` on nodes lacking column col ([U] the "absent" value). */
static int64_t ecs_absent_count(const struct cluster *c, uint32_t group, uint16_t col)
{
    if (group == CLUSTER_NO_GROUP || group - 1 >= c->cfg.max_groups)
        return 0;
    int64_t with = 0;
    for (uint32_t pr = 1; pr < c->n_pairs; pr++)
        if (c->pair_col[pr] == col)
            with += cluster_group_on_pair(c, group, pr);
    return (int64_t)c->group_total[group - 1] - with;
}

static void ecs_score(struct placer *p, const struct cluster *c, const struct pod_req *r,
                      uint32_t stage, const uint32_t *cand, uint32_t n, int64_t *score)
{
    struct ecs_state *st = p->state;
    uint8_t len;
    const struct ecs_strategy *chain = ecs_chain(p, r, &len);
    if (len == 0 || stage >= len) {
        memset(score, 0, n * sizeof *score);
        return;
    }
    const struct ecs_strategy *s = &chain[stage];
    switch (s->type) {
    case ECS_STRATEGY_BINPACK:
        if (s->field == ECS_FIELD_CPU)
            for (uint32_t i = 0; i < n; i++)
                score[i] = -(int64_t)c->cpu_free[cand[i]];
        else
            for (uint32_t i = 0; i < n; i++)
                score[i] = -(int64_t)c->mem_free[cand[i]];
        return;
    case ECS_STRATEGY_SPREAD: {
        if (s->field == ECS_FIELD_INSTANCE_ID) {
            for (uint32_t i = 0; i < n; i++)
                score[i] = -(int64_t)cluster_group_on_node(c, r->group, cand[i]);
            return;
        }
        int col = s->col;
        if (s->field == ECS_FIELD_ZONE) {
            if (st->zone_col < 0)
                st->zone_col = cluster_label_col(c, ECS_ZONE_KEY);
            col = st->zone_col;
        }
        if (col < 0 || (uint32_t)col >= c->n_keys) {
            memset(score, 0, n * sizeof *score);
            return;
        }
        int64_t absent = -1; /* computed on first need */
        for (uint32_t i = 0; i < n; i++) {
            uint32_t pr = cluster_node_label(c, cand[i], (uint16_t)col);
            if (pr) {
                score[i] = -(int64_t)cluster_group_on_pair(c, r->group, pr);
            } else {
                if (absent < 0)
                    absent = ecs_absent_count(c, r->group, (uint16_t)col);
                score[i] = -absent;
            }
        }
        return;
    }
    default: /* random: every node equal; placement.c picks uniformly */
        memset(score, 0, n * sizeof *score);
        return;
    }
}

static const struct ecs_strategy ecs_def_zone[] = {{ECS_STRATEGY_SPREAD, ECS_FIELD_ZONE, 0}};
static const struct ecs_strategy ecs_def_binpack_cpu[] = {{ECS_STRATEGY_BINPACK, ECS_FIELD_CPU, 0}};
static const struct ecs_strategy ecs_def_binpack_mem[] = {
    {ECS_STRATEGY_BINPACK, ECS_FIELD_MEMORY, 0}};
static const struct ecs_strategy ecs_def_spread_inst[] = {
    {ECS_STRATEGY_SPREAD, ECS_FIELD_INSTANCE_ID, 0}};
static const struct ecs_strategy ecs_def_random[] = {{ECS_STRATEGY_RANDOM, 0, 0}};
static const struct ecs_strategy ecs_def_zone_binpack_mem[] = {
    {ECS_STRATEGY_SPREAD, ECS_FIELD_ZONE, 0}, {ECS_STRATEGY_BINPACK, ECS_FIELD_MEMORY, 0}};

#define ECS_VARIANT(ident, chain)                                                                  \
    static int ecs_init_##ident(struct placer *p, const struct cluster *c,                         \
                                const struct placer_opts *o, struct os_error *err)                 \
    {                                                                                              \
        return ecs_init_chain(p, c, o, chain, (uint8_t)(sizeof chain / sizeof chain[0]), err);     \
    }

ECS_VARIANT(service, ecs_def_zone)
ECS_VARIANT(binpack_cpu, ecs_def_binpack_cpu)
ECS_VARIANT(binpack_mem, ecs_def_binpack_mem)
ECS_VARIANT(spread_inst, ecs_def_spread_inst)
ECS_VARIANT(random, ecs_def_random)
ECS_VARIANT(zone_binpack_mem, ecs_def_zone_binpack_mem)

#define ECS_OPS(ident, nm, text)                                                                   \
    static const struct placer_ops ecs_ops_##ident = {                                             \
        .name = nm,                                                                                \
        .summary = text,                                                                           \
        .init = ecs_init_##ident,                                                                  \
        .destroy = ecs_destroy,                                                                    \
        .stages = ecs_stages,                                                                      \
        .score = ecs_score,                                                                        \
    };

ECS_OPS(service, "ecs", "ECS: the service's strategy chain (default spread by AZ)")
ECS_OPS(binpack_cpu, "ecs-binpack-cpu", "ECS binpack(cpu): least remaining CPU")
ECS_OPS(binpack_mem, "ecs-binpack-memory", "ECS binpack(memory): least remaining memory")
ECS_OPS(spread_inst, "ecs-spread-instance", "ECS spread(instanceId): fewest group tasks")
ECS_OPS(random, "ecs-random", "ECS random")
ECS_OPS(zone_binpack_mem, "ecs-spread-az-binpack-memory",
        "ECS spread(availability-zone) then binpack(memory)")

const struct placer_ops *const placer_ecs_list[] = {
    &ecs_ops_service,
    &ecs_ops_binpack_cpu,
    &ecs_ops_binpack_mem,
    &ecs_ops_spread_inst,
    &ecs_ops_random,
    &ecs_ops_zone_binpack_mem,
    NULL,
};
