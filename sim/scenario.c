/*
 * scenario.c - the schema of scenario files and their cross-field checks.
 * The generic decoding lives in schema.c.
 */
#include "sim/scenario.h"

#include "sim/check.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const scenario_kind_names[] = {"packing", "simulation", "replay", NULL};
const char *const scenario_pods_format_names[] = {"openb_pod", "dlrm", NULL};
const char *const scenario_orchestrator_names[] = {"none", "ecs", "eks", NULL};
const char *const scenario_sharing_names[] = {"whole", "timeslice", "mps", "mig", NULL};
static const char *const arrivals_names[] = {"azure_day", "replay", "diurnal", NULL};
const char *const scenario_metric_names[] = {"requests_per_target", "backlog", "utilization", NULL};
const char *const scenario_spot_price_names[] = {"generated", "trace", NULL};
const char *const scenario_service_scaler_names[] = {"hpa", "keda", NULL};
const char *const scenario_launch_names[] = {"ec2", "fargate", NULL};
const char *const scenario_node_group_names[] = {"own", "service", NULL};
const char *const scenario_mig_strategy_names[] = {"single", "mixed", NULL};
const char *const scenario_ecs_policy_names[] = {"target_tracking", "step", NULL};
const char *const scenario_adjust_names[] = {"change", "percent", "exact", NULL};
const char *const scenario_preemption_policy_names[] = {"PreemptLowerPriority", "Never", NULL};
static const char *const hpa_select_names[] = {"Max", "Min", "Disabled", NULL};
static const char *const hpa_policy_names[] = {"Pods", "Percent", NULL};
const char *const scenario_node_scaler_names[] = {"karpenter", "cluster-autoscaler", NULL};
const char *const scenario_consolidation_names[] = {"WhenEmptyOrUnderutilized", "WhenEmpty", NULL};
/* in the order of enum ca_expander */
const char *const scenario_ca_expander_names[] = {
    "least-waste", "random", "most-pods", "least-nodes", "priority", "price", NULL};
const char *const scenario_log_estimate_names[] = {"mle", "upper95", "lower95", NULL};

#define DAY_S 86400.0

static void step_defaults(void *obj)
{
    struct scenario_step *st = obj;
    st->lower = NAN;
    st->upper = NAN;
    st->adjustment = 0;
}
static const struct schema_field step_fields[] = {
    SCHEMA_F_DOUBLE(struct scenario_step, lower, "lower", -1e9, 1e9, 0,
                    "a bound relative to the threshold"),
    SCHEMA_F_DOUBLE(struct scenario_step, upper, "upper", -1e9, 1e9, 0,
                    "a bound relative to the threshold"),
    SCHEMA_F_INT(struct scenario_step, adjustment, "adjustment", -10000, 10000, SCHEMA_REQUIRED,
                 "an integer adjustment"),
};
static const struct schema step_schema = {
    "a step", step_fields, sizeof step_fields / sizeof step_fields[0], step_defaults};

static void hpa_policy_defaults(void *obj)
{
    struct scenario_hpa_policy *p = obj;
    p->type = 0;
    p->value = 4;
    p->period_us = 15 * INT64_C(1000000);
}
static const struct schema_field hpa_policy_fields[] = {
    SCHEMA_F_ENUM(struct scenario_hpa_policy, type, "type", hpa_policy_names, SCHEMA_REQUIRED),
    SCHEMA_F_INT(struct scenario_hpa_policy, value, "value", 1, 100000, SCHEMA_REQUIRED,
                 "a positive integer"),
    SCHEMA_F_SECONDS(struct scenario_hpa_policy, period_us, "period_s", 1, 1800, 0,
                     "seconds in [1, 1800]"),
};
static const struct schema hpa_policy_schema = {
    "a policy", hpa_policy_fields, sizeof hpa_policy_fields / sizeof hpa_policy_fields[0],
    hpa_policy_defaults};

static void hpa_rules_defaults(void *obj)
{
    struct scenario_hpa_rules *h = obj;
    memset(h, 0, sizeof *h);
    h->window_us = -1;
}
static const struct schema_field hpa_rules_fields[] = {
    SCHEMA_F_SECONDS(struct scenario_hpa_rules, window_us, "stabilization_window_s", 0, 3600, 0,
                     "seconds in [0, 3600]"),
    SCHEMA_F_ENUM(struct scenario_hpa_rules, select, "select_policy", hpa_select_names, 0),
    SCHEMA_F_ARRAY(struct scenario_hpa_rules, policies, npolicies, "policies", &hpa_policy_schema,
                   1, 0),
};
static const struct schema hpa_rules_schema = {"rules", hpa_rules_fields,
                                               sizeof hpa_rules_fields / sizeof hpa_rules_fields[0],
                                               hpa_rules_defaults};

/* "behavior" decodes into the enclosing struct scenario_scaling: its offset
 * is has_behavior's and its fields' offsets are relative to that. */
static void behavior_defaults(void *obj)
{
    struct scenario_scaling *s =
        (struct scenario_scaling *)((char *)obj - offsetof(struct scenario_scaling, has_behavior));
    s->has_behavior = true;
    hpa_rules_defaults(&s->up);
    hpa_rules_defaults(&s->down);
}
static const struct schema_field behavior_fields[] = {
    {.key = "scale_up",
     .kind = SCHEMA_OBJECT,
     .offset =
         offsetof(struct scenario_scaling, up) - offsetof(struct scenario_scaling, has_behavior),
     .sub = &hpa_rules_schema,
     .expect = "an object"},
    {.key = "scale_down",
     .kind = SCHEMA_OBJECT,
     .offset =
         offsetof(struct scenario_scaling, down) - offsetof(struct scenario_scaling, has_behavior),
     .sub = &hpa_rules_schema,
     .expect = "an object"},
};
static const struct schema behavior_schema = {"behavior", behavior_fields,
                                              sizeof behavior_fields / sizeof behavior_fields[0],
                                              behavior_defaults};

static void metric_target_defaults(void *obj)
{
    struct scenario_metric_target *m = obj;
    m->metric = SCENARIO_METRIC_BACKLOG;
    m->target = 6;
}
static const struct schema_field metric_target_fields[] = {
    SCHEMA_F_ENUM(struct scenario_metric_target, metric, "metric", scenario_metric_names,
                  SCHEMA_REQUIRED),
    SCHEMA_F_DOUBLE(struct scenario_metric_target, target, "target", 0.001, 1e9, SCHEMA_REQUIRED,
                    "a positive target value per replica"),
};
static const struct schema metric_target_schema = {
    "a metric", metric_target_fields, sizeof metric_target_fields / sizeof metric_target_fields[0],
    metric_target_defaults};

static void scaling_defaults(void *obj)
{
    struct scenario_scaling *s = obj;
    s->metric = SCENARIO_METRIC_BACKLOG;
    s->target = 6;
    s->out_cooldown_us = 300 * INT64_C(1000000);
    s->in_cooldown_us = 300 * INT64_C(1000000);
    s->down_window_us = 300 * INT64_C(1000000);
    s->keda_queue_length = 5;
    s->keda_activation_queue_length = 0;
    s->keda_polling_us = 30 * INT64_C(1000000);
    s->keda_cooldown_us = 300 * INT64_C(1000000);
    s->policy = SCENARIO_POLICY_TT;
    s->step_adjust = SCENARIO_ADJ_CHANGE;
    s->step_cooldown_us = 300 * INT64_C(1000000);
    hpa_rules_defaults(&s->up);
    hpa_rules_defaults(&s->down);
}
static const struct schema_field scaling_fields[] = {
    SCHEMA_F_ENUM(struct scenario_scaling, metric, "metric", scenario_metric_names, 0),
    SCHEMA_F_DOUBLE(struct scenario_scaling, target, "target", 0.001, 1e9, 0,
                    "a positive target value per replica"),
    SCHEMA_F_SECONDS(struct scenario_scaling, out_cooldown_us, "scale_out_cooldown_s", 0, DAY_S, 0,
                     "seconds in [0, 86400]"),
    SCHEMA_F_SECONDS(struct scenario_scaling, in_cooldown_us, "scale_in_cooldown_s", 0, DAY_S, 0,
                     "seconds in [0, 86400]"),
    SCHEMA_F_SECONDS(struct scenario_scaling, down_window_us, "scale_down_window_s", 0, 3600, 0,
                     "seconds in [0, 3600]"),
    SCHEMA_F_ENUM(struct scenario_scaling, autoscaler, "autoscaler", scenario_service_scaler_names,
                  0),
    SCHEMA_F_DOUBLE(struct scenario_scaling, keda_queue_length, "keda_queue_length", 0.001, 1e9, 0,
                    "a positive queue length per replica"),
    SCHEMA_F_DOUBLE(struct scenario_scaling, keda_activation_queue_length,
                    "keda_activation_queue_length", 0, 1e9, 0, "a queue length >= 0"),
    SCHEMA_F_SECONDS(struct scenario_scaling, keda_polling_us, "keda_polling_interval_s", 1, 3600,
                     0, "seconds in [1, 3600]"),
    SCHEMA_F_SECONDS(struct scenario_scaling, keda_cooldown_us, "keda_cooldown_s", 0, DAY_S, 0,
                     "seconds in [0, 86400]"),
    SCHEMA_F_ENUM(struct scenario_scaling, policy, "policy", scenario_ecs_policy_names, 0),
    SCHEMA_F_ENUM(struct scenario_scaling, step_adjust, "step_adjust", scenario_adjust_names, 0),
    SCHEMA_F_DOUBLE(struct scenario_scaling, step_out_threshold, "step_out_threshold", -1e9, 1e9, 0,
                    "a threshold of the metric"),
    SCHEMA_F_ARRAY(struct scenario_scaling, steps_out, nsteps_out, "steps_out", &step_schema, 1, 0),
    SCHEMA_F_DOUBLE(struct scenario_scaling, step_in_threshold, "step_in_threshold", -1e9, 1e9, 0,
                    "a threshold of the metric"),
    SCHEMA_F_ARRAY(struct scenario_scaling, steps_in, nsteps_in, "steps_in", &step_schema, 1, 0),
    SCHEMA_F_SECONDS(struct scenario_scaling, step_cooldown_us, "step_cooldown_s", 0, DAY_S, 0,
                     "seconds in [0, 86400]"),
    SCHEMA_F_ARRAY(struct scenario_scaling, more, nmore, "more_metrics", &metric_target_schema, 1,
                   0),
    {.key = "behavior",
     .kind = SCHEMA_OBJECT,
     .offset = offsetof(struct scenario_scaling, has_behavior),
     .sub = &behavior_schema,
     .expect = "an object"},
};
static const struct schema scaling_schema = {
    "scaling", scaling_fields, sizeof scaling_fields / sizeof scaling_fields[0], scaling_defaults};

static void capacity_defaults(void *obj)
{
    struct scenario_capacity *c = obj;
    c->target_capacity_pct = 100;
    c->warmup_us = 300 * INT64_C(1000000);
    c->min_step = 1;
    c->max_step = 10000;
    c->consolidate_after_us = 0;
    c->budget_pct = 10;
    c->batch_idle_us = 1000000;
    c->batch_max_us = 10000000;
    c->consolidation_policy = SCENARIO_CONSOLIDATE_UNDERUTILIZED;
    c->expire_after_us = 720 * 3600 * INT64_C(1000000); /* Karpenter v1 default */
    c->limits_gpus = 0;
    c->autoscaler = SCENARIO_NODES_KARPENTER;
    c->ca_expander = 0;
    c->ca_utilization_threshold = 0.5;
    c->ca_unneeded_us = 600 * INT64_C(1000000);
    c->ca_delay_after_add_us = 600 * INT64_C(1000000);
    c->ca_max_provision_us = 900 * INT64_C(1000000);
}
static const struct schema_field capacity_fields[] = {
    SCHEMA_F_INT(struct scenario_capacity, target_capacity_pct, "target_capacity_pct", 1, 100, 0,
                 "an integer percent in [1, 100]"),
    SCHEMA_F_SECONDS(struct scenario_capacity, warmup_us, "warmup_s", 0, 10000, 0,
                     "seconds in [0, 10000]"),
    SCHEMA_F_INT(struct scenario_capacity, min_step, "min_step", 1, 10000, 0,
                 "an integer in [1, 10000]"),
    SCHEMA_F_INT(struct scenario_capacity, max_step, "max_step", 1, 10000, 0,
                 "an integer in [1, 10000]"),
    SCHEMA_F_SECONDS(struct scenario_capacity, consolidate_after_us, "consolidate_after_s", 0,
                     DAY_S, 0, "seconds in [0, 86400]"),
    SCHEMA_F_INT(struct scenario_capacity, budget_pct, "budget_pct", 0, 100, 0,
                 "an integer percent in [0, 100]"),
    SCHEMA_F_SECONDS(struct scenario_capacity, batch_idle_us, "batch_idle_s", 0, 600, 0,
                     "seconds in [0, 600]"),
    SCHEMA_F_SECONDS(struct scenario_capacity, batch_max_us, "batch_max_s", 0, 600, 0,
                     "seconds in [0, 600]"),
    SCHEMA_F_ENUM(struct scenario_capacity, consolidation_policy, "consolidation_policy",
                  scenario_consolidation_names, 0),
    SCHEMA_F_SECONDS(struct scenario_capacity, expire_after_us, "expire_after_s", 0, 366 * DAY_S, 0,
                     "seconds in [0, 31622400] (0 = Never)"),
    SCHEMA_F_INT(struct scenario_capacity, limits_gpus, "limits_gpus", 0, 1000000, 0,
                 "a number of GPUs >= 0 (0 = no limit)"),
    SCHEMA_F_SCALARS(struct scenario_capacity, drift_at_s, ndrifts, "drift_at_s", SCHEMA_DOUBLE, 0,
                     0, 366 * DAY_S, 0,
                     "times in seconds at which the node class changes (nodes drift)"),
    SCHEMA_F_ENUM(struct scenario_capacity, autoscaler, "autoscaler", scenario_node_scaler_names,
                  0),
    SCHEMA_F_ENUM(struct scenario_capacity, ca_expander, "ca_expander", scenario_ca_expander_names,
                  0),
    SCHEMA_F_DOUBLE(struct scenario_capacity, ca_utilization_threshold, "ca_utilization_threshold",
                    0, 1, 0, "a fraction in [0, 1]"),
    SCHEMA_F_SECONDS(struct scenario_capacity, ca_unneeded_us, "ca_scale_down_unneeded_s", 0, DAY_S,
                     0, "seconds in [0, 86400]"),
    SCHEMA_F_SECONDS(struct scenario_capacity, ca_delay_after_add_us,
                     "ca_scale_down_delay_after_add_s", 0, DAY_S, 0, "seconds in [0, 86400]"),
    SCHEMA_F_SECONDS(struct scenario_capacity, ca_max_provision_us, "ca_max_node_provision_s", 1,
                     DAY_S, 0, "seconds in [1, 86400]"),
};
static const struct schema capacity_schema = {"capacity", capacity_fields,
                                              sizeof capacity_fields / sizeof capacity_fields[0],
                                              capacity_defaults};

static void spot_defaults(void *obj)
{
    struct scenario_spot *s = obj;
    s->pct = 0;
    s->interruptions_per_hour = -1;
    s->discount = 0.6;
    s->price = SCENARIO_SPOT_GENERATED;
    snprintf(s->trace_csv, sizeof s->trace_csv, "%s",
             "scenarios/traces/aws-spot-gpu-prices-2020/aws_spot_gpu_prices_flat.csv");
    snprintf(s->trace_zone, sizeof s->trace_zone, "%s", "us-east-1a");
    s->time_scale = 1;
    s->launch_fail_prob = 0;
    s->fallback_on_demand = true;
    snprintf(s->log_path, sizeof s->log_path, "%s",
             "scenarios/traces/aws-spot-gpu-prices-2020/availability_2020-03-15.log");
}
static const struct schema_field spot_fields[] = {
    SCHEMA_F_INT(struct scenario_spot, pct, "pct", 0, 100, 0, "an integer percent in [0, 100]"),
    SCHEMA_F_DOUBLE(struct scenario_spot, interruptions_per_hour, "interruptions_per_hour", -1, 100,
                    0, "a rate per instance-hour in [0, 100], or -1 for the advisor band's"),
    SCHEMA_F_DOUBLE(struct scenario_spot, discount, "discount", 0, 0.99, 0,
                    "a mean discount in [0, 0.99]"),
    SCHEMA_F_INT(struct scenario_spot, base, "base", 0, 100000, 0,
                 "a number of tasks >= 0 (ECS capacity provider strategy base)"),
    SCHEMA_F_ENUM(struct scenario_spot, price, "price", scenario_spot_price_names, 0),
    SCHEMA_F_STRING(struct scenario_spot, trace_csv, "trace_csv", 0,
                    "the path of an aws_spot_gpu_prices_flat.csv trace"),
    SCHEMA_F_STRING(struct scenario_spot, trace_instance_type, "trace_instance_type",
                    SCHEMA_EMPTY_OK,
                    "an instance type of the price trace (p2.xlarge ... p3.16xlarge)"),
    SCHEMA_F_STRING(struct scenario_spot, trace_zone, "trace_zone", 0,
                    "an availability zone of the price trace, e.g. us-east-1a"),
    SCHEMA_F_DOUBLE(struct scenario_spot, time_scale, "time_scale", 1e-6, 1e6, 0,
                    "simulated seconds per trace second, > 0"),
    SCHEMA_F_DOUBLE(struct scenario_spot, trace_origin_epoch_s, "trace_origin_epoch_s", 0, 4e9, 0,
                    "a Unix time in seconds (0: the series' first price is time 0)"),
    SCHEMA_F_DOUBLE(struct scenario_spot, trace_on_demand_usd_per_hour,
                    "trace_on_demand_usd_per_hour", 0, 1000, 0,
                    "the on-demand $/h of the trace's instance type (0: built in for p2/p3)"),
    SCHEMA_F_BOOL(struct scenario_spot, rebalance, "rebalance", 0),
    SCHEMA_F_DOUBLE(struct scenario_spot, launch_fail_prob, "launch_fail_prob", 0, 1, 0,
                    "a probability in [0, 1]"),
    SCHEMA_F_BOOL(struct scenario_spot, fallback_on_demand, "fallback_on_demand", 0),
    SCHEMA_F_STRING(struct scenario_spot, log_gpu, "log_gpu", SCHEMA_EMPTY_OK,
                    "a GPU type of the availability log (\"v100\" or \"k80\"), or \"\""),
    SCHEMA_F_INT(struct scenario_spot, log_gpus, "log_gpus", 0, 1024, 0,
                 "GPUs per instance in the log, 0 for any"),
    SCHEMA_F_ENUM(struct scenario_spot, log_estimate, "log_estimate", scenario_log_estimate_names,
                  0),
    SCHEMA_F_BOOL(struct scenario_spot, log_launch_failures, "log_launch_failures", 0),
    SCHEMA_F_STRING(struct scenario_spot, log_path, "log_path", 0,
                    "the path of a spot availability log"),
};
static const struct schema spot_schema = {
    "spot", spot_fields, sizeof spot_fields / sizeof spot_fields[0], spot_defaults};

static void vtraining_defaults(void *obj)
{
    struct scenario_variant_training *t = obj;
    t->min_nodes = 0;
    t->max_nodes = 16;
    spot_defaults(&t->spot);
    t->ckpt_interval_us = -1;
}
static const struct schema_field vtraining_fields[] = {
    SCHEMA_F_STRING(struct scenario_variant_training, instance_type, "instance_type", 0,
                    "an instance type of the catalog"),
    SCHEMA_F_SCALARS(struct scenario_variant_training, instance_types, ninstance_types,
                     "instance_types", SCHEMA_STRING, 1, 0, 0, 0,
                     "a list of catalog instance types"),
    SCHEMA_F_STRING(struct scenario_variant_training, placement, "placement", 0,
                    "a placement policy name"),
    SCHEMA_F_INT(struct scenario_variant_training, min_nodes, "min_nodes", 0, 10000, 0,
                 "an integer in [0, 10000]"),
    SCHEMA_F_INT(struct scenario_variant_training, max_nodes, "max_nodes", 1, 10000, 0,
                 "an integer in [1, 10000]"),
    SCHEMA_F_OBJECT(struct scenario_variant_training, spot, "spot", &spot_schema, 0),
    SCHEMA_F_SECONDS(struct scenario_variant_training, ckpt_interval_us, "checkpoint_interval_s",
                     -1, 7 * DAY_S, 0,
                     "seconds in [0, 604800] (0 = never), or -1 for the workload's"),
    SCHEMA_F_BOOL(struct scenario_variant_training, preemption, "preemption", 0),
};
static const struct schema vtraining_schema = {"training", vtraining_fields,
                                               sizeof vtraining_fields / sizeof vtraining_fields[0],
                                               vtraining_defaults};

static void vfleet_defaults(void *obj)
{
    struct scenario_variant_fleet *f = obj;
    f->launch_type = SCENARIO_LAUNCH_EC2;
    f->fargate_speed = 0.03;
    f->sharing = SCENARIO_SHARE_WHOLE;
    f->replicas_per_gpu = 4;
    f->mig_reconfigure_s[0] = 60;
    f->mig_reconfigure_s[1] = 180;
    f->timeslice_overhead = 0.05;
    f->min_nodes = 0;
    f->max_nodes = 20;
    scaling_defaults(&f->scaling);
    spot_defaults(&f->spot);
}
static const struct schema_field vfleet_fields[] = {
    SCHEMA_F_ENUM(struct scenario_variant_fleet, launch_type, "launch_type", scenario_launch_names,
                  0),
    SCHEMA_F_DOUBLE(struct scenario_variant_fleet, fargate_speed, "fargate_speed", 0.0001, 10, 0,
                    "a speed relative to a V100 in (0, 10]"),
    SCHEMA_F_STRING(struct scenario_variant_fleet, instance_type, "instance_type", 0,
                    "an instance type of the catalog"),
    SCHEMA_F_SCALARS(struct scenario_variant_fleet, instance_types, ninstance_types,
                     "instance_types", SCHEMA_STRING, 1, 0, 0, 0,
                     "a list of catalog instance types"),
    SCHEMA_F_STRING(struct scenario_variant_fleet, placement, "placement", 0,
                    "a placement policy name"),
    SCHEMA_F_ENUM(struct scenario_variant_fleet, sharing, "sharing", scenario_sharing_names, 0),
    SCHEMA_F_INT(struct scenario_variant_fleet, replicas_per_gpu, "replicas_per_gpu", 1, 48, 0,
                 "an integer in [1, 48]"),
    SCHEMA_F_STRING(struct scenario_variant_fleet, mig_profile, "mig_profile", 0,
                    "a MIG profile such as \"1g.10gb\""),
    SCHEMA_F_ENUM(struct scenario_variant_fleet, mig_strategy, "mig_strategy",
                  scenario_mig_strategy_names, 0),
    SCHEMA_F_SCALARS(struct scenario_variant_fleet, mig_layouts, nmig_layouts, "mig_layouts",
                     SCHEMA_STRING, 1, 0, 0, 0,
                     "a list of per-GPU MIG layouts such as \"4g.20gb,1g.5gb,1g.5gb\""),
    SCHEMA_F_NUM(SCHEMA_PAIR, struct scenario_variant_fleet, mig_reconfigure_s, "mig_reconfigure_s",
                 0, DAY_S, 0, "a range [lo, hi] of seconds"),
    SCHEMA_F_ENUM(struct scenario_variant_fleet, node_group, "node_group",
                  scenario_node_group_names, 0),
    SCHEMA_F_DOUBLE(struct scenario_variant_fleet, timeslice_overhead, "timeslice_overhead", 0, 0.9,
                    0, "a fraction in [0, 0.9]"),
    SCHEMA_F_INT(struct scenario_variant_fleet, min_nodes, "min_nodes", 0, 10000, 0,
                 "an integer in [0, 10000]"),
    SCHEMA_F_INT(struct scenario_variant_fleet, max_nodes, "max_nodes", 1, 10000, 0,
                 "an integer in [1, 10000]"),
    SCHEMA_F_OBJECT(struct scenario_variant_fleet, scaling, "scaling", &scaling_schema, 0),
    SCHEMA_F_OBJECT(struct scenario_variant_fleet, spot, "spot", &spot_schema, 0),
};
static const struct schema vfleet_schema = {
    "fleet", vfleet_fields, sizeof vfleet_fields / sizeof vfleet_fields[0], vfleet_defaults};

static void deployment_defaults(void *obj)
{
    struct scenario_deployment *d = obj;
    d->min_healthy_pct = 100;
    d->max_pct = 200;
    d->max_surge_pct = 25;
    d->max_unavailable_pct = 25;
    d->pdb_max_unavailable = -1;
}
static const struct schema_field deployment_fields[] = {
    SCHEMA_F_INT(struct scenario_deployment, min_healthy_pct, "min_healthy_pct", 0, 100, 0,
                 "an integer percent in [0, 100]"),
    SCHEMA_F_INT(struct scenario_deployment, max_pct, "max_pct", 100, 200, 0,
                 "an integer percent in [100, 200]"),
    SCHEMA_F_INT(struct scenario_deployment, max_surge_pct, "max_surge_pct", 0, 100, 0,
                 "an integer percent in [0, 100]"),
    SCHEMA_F_INT(struct scenario_deployment, pdb_max_unavailable, "pdb_max_unavailable", -1, 10000,
                 0,
                 "a number of pods in [1, 10000], or -1 for no PodDisruptionBudget (0 would block "
                 "every drain forever, Karpenter's terminationGracePeriod is not modelled)"),
    SCHEMA_F_INT(struct scenario_deployment, max_unavailable_pct, "max_unavailable_pct", 0, 100, 0,
                 "an integer percent in [0, 100]"),
};
static const struct schema deployment_schema = {
    "deployment", deployment_fields, sizeof deployment_fields / sizeof deployment_fields[0],
    deployment_defaults};

static void variant_defaults(void *obj)
{
    struct scenario_variant *v = obj;
    v->replicas_per_gpu = 2;
    v->mig_reconfigure_s[0] = 60;
    v->mig_reconfigure_s[1] = 180;
    v->timeslice_overhead = 0.05;
    v->max_nodes = 50;
    scaling_defaults(&v->scaling);
    capacity_defaults(&v->capacity);
    spot_defaults(&v->spot);
    vtraining_defaults(&v->training);
    vfleet_defaults(&v->fleet);
    deployment_defaults(&v->deployment);
}
static const char *const rows_names[] = {"error", "skip", NULL};

static const struct schema_field variant_fields[] = {
    SCHEMA_F_STRING(struct scenario_variant, name, "name", SCHEMA_REQUIRED,
                    "a variant name of letters, digits, '.', '_' or '-'"),
    SCHEMA_F_STRING(struct scenario_variant, placement, "placement", 0, "a placement policy name"),
    SCHEMA_F_SCALARS(struct scenario_variant, reference_alloc_pct, nreference,
                     "reference_alloc_pct", SCHEMA_PAIR, 0, 0, 1000, 0,
                     "pairs [arrived %, allocated %] with values in [0, 1000]"),
    SCHEMA_F_ENUM(struct scenario_variant, orchestrator, "orchestrator",
                  scenario_orchestrator_names, 0),
    SCHEMA_F_STRING(struct scenario_variant, instance_type, "instance_type", 0,
                    "a catalog instance type such as \"g5.xlarge\""),
    SCHEMA_F_SCALARS(struct scenario_variant, instance_types, ninstance_types, "instance_types",
                     SCHEMA_STRING, 1, 0, 0, 0, "a list of catalog instance types"),
    SCHEMA_F_ENUM(struct scenario_variant, sharing, "sharing", scenario_sharing_names, 0),
    SCHEMA_F_INT(struct scenario_variant, replicas_per_gpu, "replicas_per_gpu", 1, 48, 0,
                 "an integer in [1, 48]"),
    SCHEMA_F_STRING(struct scenario_variant, mig_profile, "mig_profile", 0,
                    "a MIG profile such as \"3g.40gb\""),
    SCHEMA_F_ENUM(struct scenario_variant, mig_strategy, "mig_strategy",
                  scenario_mig_strategy_names, 0),
    SCHEMA_F_SCALARS(struct scenario_variant, mig_layouts, nmig_layouts, "mig_layouts",
                     SCHEMA_STRING, 1, 0, 0, 0,
                     "a list of per-GPU MIG layouts such as \"4g.20gb,1g.5gb,1g.5gb\""),
    SCHEMA_F_NUM(SCHEMA_PAIR, struct scenario_variant, mig_reconfigure_s, "mig_reconfigure_s", 0,
                 DAY_S, 0, "a range [lo, hi] of seconds"),
    SCHEMA_F_DOUBLE(struct scenario_variant, timeslice_overhead, "timeslice_overhead", 0, 0.9, 0,
                    "a fraction in [0, 0.9]"),
    SCHEMA_F_INT(struct scenario_variant, min_nodes, "min_nodes", 0, 10000, 0,
                 "an integer in [0, 10000]"),
    SCHEMA_F_INT(struct scenario_variant, max_nodes, "max_nodes", 1, 10000, 0,
                 "an integer in [1, 10000]"),
    SCHEMA_F_OBJECT(struct scenario_variant, scaling, "scaling", &scaling_schema, 0),
    SCHEMA_F_OBJECT(struct scenario_variant, capacity, "capacity", &capacity_schema, 0),
    SCHEMA_F_OBJECT(struct scenario_variant, spot, "spot", &spot_schema, 0),
    SCHEMA_F_OBJECT(struct scenario_variant, training, "training", &vtraining_schema, 0),
    SCHEMA_F_OBJECT(struct scenario_variant, fleet, "fleet", &vfleet_schema, 0),
    SCHEMA_F_OBJECT(struct scenario_variant, deployment, "deployment", &deployment_schema, 0),
};
static const struct schema variant_schema = {"a variant", variant_fields,
                                             sizeof variant_fields / sizeof variant_fields[0],
                                             variant_defaults};

static void inference_fill(struct scenario_inference *f);
/* Runs only when "inference" is present: records that it is. */
static void inference_defaults(void *obj)
{
    inference_fill(obj);
    struct scenario_workload *w =
        (struct scenario_workload *)((char *)obj - offsetof(struct scenario_workload, inference));
    w->has_inference = true;
}

static void inference_fill(struct scenario_inference *f)
{
    f->arrivals = SCENARIO_ARR_AZURE_DAY;
    snprintf(f->trace_csv, sizeof f->trace_csv, "%s",
             "scenarios/traces/azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv");
    f->mean_rate_per_s = 2.0;
    f->amplitude = 0.5;
    f->peak_hour = 14;
    f->time_scale = 1;
    f->concurrency = 8;
    /* At speed 1.0 = the catalog's reference GPU (V100). The inference model's
     * A10G estimates (250 us/prompt token, 30 ms/output token at batch 8; see
     * inference_cfg_defaults) times the A10G's relative speed 0.56. [U] */
    f->t_prefill_us = 140;
    f->t_decode_us = 16800;
    f->slo_us = 10 * INT64_C(1000000);
    f->cpu = 2;
    f->memory_gib = 8;
    f->gpus = 1;
    f->model_memory_gb = 16;
    f->image_pull_s[0] = 300;
    f->image_pull_s[1] = 480;
    f->model_load_s[0] = 60;
    f->model_load_s[1] = 120;
    f->min_replicas = 1;
    f->max_replicas = 50;
    f->initial_replicas = 2;
    f->models = 1;
}
static const struct schema_field inference_fields[] = {
    SCHEMA_F_ENUM(struct scenario_inference, arrivals, "arrivals", arrivals_names, 0),
    SCHEMA_F_STRING(struct scenario_inference, trace_csv, "trace_csv", 0,
                    "the path of an Azure LLM inference trace CSV"),
    SCHEMA_F_DOUBLE(struct scenario_inference, mean_rate_per_s, "mean_rate_per_s", 0.0001, 1e6, 0,
                    "a positive rate in requests per second"),
    SCHEMA_F_DOUBLE(struct scenario_inference, amplitude, "amplitude", 0, 0.95, 0,
                    "a diurnal amplitude in [0, 0.95]"),
    SCHEMA_F_DOUBLE(struct scenario_inference, peak_hour, "peak_hour", 0, 23.999, 0,
                    "an hour in [0, 24)"),
    SCHEMA_F_DOUBLE(struct scenario_inference, time_scale, "time_scale", 0.001, 1000, 0,
                    "a factor in [0.001, 1000]"),
    SCHEMA_F_INT(struct scenario_inference, concurrency, "concurrency", 1, 1024, 0,
                 "an integer in [1, 1024]"),
    SCHEMA_F_DOUBLE(struct scenario_inference, t_prefill_us, "t_prefill_us", 0, 1e7, 0,
                    "microseconds per prompt token in [0, 1e7]"),
    SCHEMA_F_DOUBLE(struct scenario_inference, t_decode_us, "t_decode_us", 0, 1e7, 0,
                    "microseconds per output token in [0, 1e7]"),
    SCHEMA_F_SECONDS(struct scenario_inference, slo_us, "slo_s", 0.001, DAY_S, 0,
                     "seconds in (0, 86400]"),
    SCHEMA_F_SECONDS(struct scenario_inference, queue_timeout_us, "queue_timeout_s", 0, DAY_S, 0,
                     "seconds in [0, 86400] (0: none)"),
    SCHEMA_F_DOUBLE(struct scenario_inference, cpu, "cpu", 0.01, 1024, 0, "vCPUs in [0.01, 1024]"),
    SCHEMA_F_DOUBLE(struct scenario_inference, memory_gib, "memory_gib", 0.01, 65536, 0,
                    "GiB in [0.01, 65536]"),
    SCHEMA_F_INT(struct scenario_inference, gpus, "gpus", 1, 8, 0, "an integer in [1, 8]"),
    SCHEMA_F_DOUBLE(struct scenario_inference, model_memory_gb, "model_memory_gb", 0, 1024, 0,
                    "GB in [0, 1024]"),
    SCHEMA_F_NUM(SCHEMA_PAIR, struct scenario_inference, image_pull_s, "image_pull_s", 0, DAY_S, 0,
                 "a range [min, max] of seconds"),
    SCHEMA_F_NUM(SCHEMA_PAIR, struct scenario_inference, model_load_s, "model_load_s", 0, DAY_S, 0,
                 "a range [min, max] of seconds"),
    SCHEMA_F_INT(struct scenario_inference, min_replicas, "min_replicas", 0, 10000, 0,
                 "an integer in [0, 10000]"),
    SCHEMA_F_INT(struct scenario_inference, max_replicas, "max_replicas", 1, 10000, 0,
                 "an integer in [1, 10000]"),
    SCHEMA_F_INT(struct scenario_inference, models, "models", 1, 16, 0,
                 "a number of models in [1, 16]"),
    SCHEMA_F_SCALARS(struct scenario_inference, deploy_at_s, ndeploys, "deploy_at_s", SCHEMA_DOUBLE,
                     0, 0, 366 * DAY_S, 0,
                     "times in seconds of rolling deployments of a new image"),
    SCHEMA_F_DOUBLE(struct scenario_inference, start_failure_prob, "start_failure_prob", 0, 0.99, 0,
                    "a probability in [0, 0.99]"),
    SCHEMA_F_INT(struct scenario_inference, initial_replicas, "initial_replicas", 0, 10000, 0,
                 "an integer in [0, 10000]"),
};
static const struct schema inference_schema = {"inference", inference_fields,
                                               sizeof inference_fields / sizeof inference_fields[0],
                                               inference_defaults};

/* Runs only when "fleet" is present: records that it is. The fleet's
 * defaults are a small model: 1 GB of weights, 2 requests at once, 4 s SLO,
 * one replica per model at least. [U] */
static void fleet_defaults(void *obj)
{
    struct scenario_inference *f = obj;
    inference_fill(f);
    f->arrivals = SCENARIO_ARR_DIURNAL;
    f->mean_rate_per_s = 0.2;
    f->concurrency = 2;
    f->slo_us = 4 * INT64_C(1000000);
    f->cpu = 0.5;
    f->memory_gib = 2;
    f->model_memory_gb = 1;
    f->image_pull_s[0] = 60;
    f->image_pull_s[1] = 120;
    f->model_load_s[0] = 10;
    f->model_load_s[1] = 20;
    f->min_replicas = 1;
    f->max_replicas = 8;
    f->initial_replicas = 1;
    f->models = 8;
    struct scenario_workload *w =
        (struct scenario_workload *)((char *)obj - offsetof(struct scenario_workload, fleet));
    w->has_fleet = true;
}
static const struct schema fleet_schema = {"fleet", inference_fields,
                                           sizeof inference_fields / sizeof inference_fields[0],
                                           fleet_defaults};

static void gang_defaults(void *obj)
{
    struct scenario_gang *g = obj;
    g->gpus = 1;
    g->weight = 1;
}
static const struct schema_field gang_fields[] = {
    SCHEMA_F_INT(struct scenario_gang, gpus, "gpus", 1, 4096, SCHEMA_REQUIRED,
                 "an integer number of GPUs in [1, 4096]"),
    SCHEMA_F_DOUBLE(struct scenario_gang, weight, "weight", 0, 1e9, 0,
                    "a non-negative relative weight"),
};
static const struct schema gang_schema = {
    "a gang", gang_fields, sizeof gang_fields / sizeof gang_fields[0], gang_defaults};

static void priority_defaults(void *obj)
{
    struct scenario_priority *p = obj;
    p->value = 0;
    p->weight = 1;
    p->preemption_policy = SCENARIO_PREEMPT_LOWER;
}
/* value: a PriorityClass value, a 32-bit integer of at most 1e9 (larger ones
 * are reserved for system classes). */
static const struct schema_field priority_fields[] = {
    SCHEMA_F_INT(struct scenario_priority, value, "value", -2147483648.0, 1e9, SCHEMA_REQUIRED,
                 "an integer priority in [-2147483648, 1000000000]"),
    SCHEMA_F_DOUBLE(struct scenario_priority, weight, "weight", 0, 1e9, 0,
                    "a non-negative relative weight"),
    SCHEMA_F_ENUM(struct scenario_priority, preemption_policy, "preemption_policy",
                  scenario_preemption_policy_names, 0),
};
static const struct schema priority_schema = {"a priority class", priority_fields,
                                              sizeof priority_fields / sizeof priority_fields[0],
                                              priority_defaults};

static void training_fill(struct scenario_training *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->durations_csv, sizeof t->durations_csv, "%s",
             "scenarios/traces/philly-2017-job-runtimes/philly_runtime.csv");
    t->min_duration_s = 60;
    /* [U] gang sizes: MODELS.md section 8 gives none; Philly (Jeon et al.,
     * ATC'19) reports most jobs on one GPU and a tail of 2-8+ GPU jobs. */
    t->gangs[0] = (struct scenario_gang){1, 0.5};
    t->gangs[1] = (struct scenario_gang){2, 0.2};
    t->gangs[2] = (struct scenario_gang){4, 0.2};
    t->gangs[3] = (struct scenario_gang){8, 0.1};
    t->ngangs = 4;
    t->ckpt_interval_us = 1800 * INT64_C(1000000);
    t->restart_overhead_us = 120 * INT64_C(1000000);
    t->cpu_per_gpu = 4;
    t->memory_gib_per_gpu = 32;
}
/* Runs only when "training" is present: records that it is. */
static void training_defaults(void *obj)
{
    training_fill(obj);
    struct scenario_workload *w =
        (struct scenario_workload *)((char *)obj - offsetof(struct scenario_workload, training));
    w->has_training = true;
}
static const struct schema_field training_fields[] = {
    SCHEMA_F_DOUBLE(struct scenario_training, rate_per_hour, "rate_per_hour", 0.0001, 1e6,
                    SCHEMA_REQUIRED, "job arrivals per hour in [0.0001, 1e6]"),
    SCHEMA_F_STRING(struct scenario_training, durations_csv, "durations_csv", 0,
                    "the path of a Philly runtime CSV"),
    SCHEMA_F_DOUBLE(struct scenario_training, min_duration_s, "min_duration_s", 0, 1e9, 0,
                    "seconds >= 0"),
    SCHEMA_F_DOUBLE(struct scenario_training, max_duration_s, "max_duration_s", 0, 1e9, 0,
                    "seconds >= 0 (0 = no limit)"),
    SCHEMA_F_DOUBLE(struct scenario_training, cap_duration_s, "cap_duration_s", 0, 1e9, 0,
                    "seconds >= 0 (0 = no cap)"),
    SCHEMA_F_ARRAY(struct scenario_training, gangs, ngangs, "gangs", &gang_schema, 1, 0),
    SCHEMA_F_SECONDS(struct scenario_training, ckpt_interval_us, "checkpoint_interval_s", 0,
                     7 * DAY_S, 0, "seconds in [0, 604800] (0 = never)"),
    SCHEMA_F_SECONDS(struct scenario_training, ckpt_cost_us, "checkpoint_cost_s", 0, DAY_S, 0,
                     "seconds in [0, 86400]"),
    SCHEMA_F_SECONDS(struct scenario_training, restart_overhead_us, "restart_overhead_s", 0, DAY_S,
                     0, "seconds in [0, 86400]"),
    SCHEMA_F_DOUBLE(struct scenario_training, cpu_per_gpu, "cpu_per_gpu", 0.01, 1024, 0,
                    "vCPUs in [0.01, 1024]"),
    SCHEMA_F_DOUBLE(struct scenario_training, memory_gib_per_gpu, "memory_gib_per_gpu", 0.01, 65536,
                    0, "GiB in [0.01, 65536]"),
    SCHEMA_F_INT(struct scenario_training, max_jobs, "max_jobs", 0, 100000000, 0,
                 "an integer >= 0 (0 = no limit)"),
    SCHEMA_F_SECONDS(struct scenario_training, arrivals_until_us, "arrivals_until_s", 0,
                     366 * DAY_S, 0, "seconds >= 0 (0 = the whole run)"),
    SCHEMA_F_ARRAY(struct scenario_training, priorities, npriorities, "priorities",
                   &priority_schema, 1, 0),
};
static const struct schema training_schema = {"training", training_fields,
                                              sizeof training_fields / sizeof training_fields[0],
                                              training_defaults};

static void nodes_defaults(void *obj)
{
    struct scenario_nodes *n = obj;
    n->boot_s[0] = 80;
    n->boot_s[1] = 120;
    n->device_plugin_s[0] = 30;
    n->device_plugin_s[1] = 90;
    n->fargate_start_s[0] = 30;
    n->fargate_start_s[1] = 60;
}
static const struct schema_field nodes_fields[] = {
    SCHEMA_F_NUM(SCHEMA_PAIR, struct scenario_nodes, boot_s, "boot_s", 0, DAY_S, 0,
                 "a range [min, max] of seconds"),
    SCHEMA_F_NUM(SCHEMA_PAIR, struct scenario_nodes, device_plugin_s, "device_plugin_s", 0, DAY_S,
                 0, "a range [min, max] of seconds"),
    SCHEMA_F_NUM(SCHEMA_PAIR, struct scenario_nodes, fargate_start_s, "fargate_start_s", 0, DAY_S,
                 0, "a range [min, max] of seconds"),
};
static const struct schema nodes_schema = {
    "nodes", nodes_fields, sizeof nodes_fields / sizeof nodes_fields[0], nodes_defaults};

static void tco_defaults(void *obj)
{
    struct scenario_tco *t = obj;
    t->team_size = 4;
    t->usd_per_engineer_year = 200000;
    t->fraction_ecs = 0.035;
    t->fraction_eks = 0.15;
}
static const struct schema_field tco_fields[] = {
    SCHEMA_F_DOUBLE(struct scenario_tco, team_size, "team_size", 0, 10000, 0,
                    "engineers in [0, 10000]"),
    SCHEMA_F_DOUBLE(struct scenario_tco, usd_per_engineer_year, "usd_per_engineer_year", 0, 1e8, 0,
                    "dollars in [0, 1e8]"),
    SCHEMA_F_DOUBLE(struct scenario_tco, fraction_ecs, "fraction_ecs", 0, 1, 0,
                    "a fraction in [0, 1]"),
    SCHEMA_F_DOUBLE(struct scenario_tco, fraction_eks, "fraction_eks", 0, 1, 0,
                    "a fraction in [0, 1]"),
};
static const struct schema tco_schema = {"tco", tco_fields,
                                         sizeof tco_fields / sizeof tco_fields[0], tco_defaults};

static const struct schema_field cluster_fields[] = {
    SCHEMA_F_STRING(struct scenario_cluster, nodes_csv, "nodes_csv", 0,
                    "the path of an openb node list CSV"),
    SCHEMA_F_DOUBLE(struct scenario_cluster, node_fraction, "node_fraction", 0.0001, 1, 0,
                    "a fraction of the node list in (0, 1]"),
    SCHEMA_F_OBJECT(struct scenario_cluster, nodes, "nodes", &nodes_schema, 0),
    SCHEMA_F_STRING(struct scenario_cluster, catalog, "catalog", 0,
                    "the path of an instance catalog JSON"),
};
static void cluster_defaults(void *obj)
{
    struct scenario_cluster *c = obj;
    nodes_defaults(&c->nodes);
    c->node_fraction = 1;
    snprintf(c->catalog, sizeof c->catalog, "%s", "scenarios/catalog/aws-instances.json");
}
static const struct schema cluster_schema = {
    "cluster", cluster_fields, sizeof cluster_fields / sizeof cluster_fields[0], cluster_defaults};

static void workload_defaults(void *obj)
{
    struct scenario_workload *w = obj;
    w->tune = 1.0;
    w->time_scale = 1;
    w->pod_initial_backoff_us = 1 * INT64_C(1000000); /* kube-scheduler defaults */
    w->pod_max_backoff_us = 10 * INT64_C(1000000);
    inference_fill(&w->inference);
    training_fill(&w->training);
}

static const struct schema_field workload_fields[] = {
    SCHEMA_F_STRING(struct scenario_workload, pods_csv, "pods_csv", 0,
                    "the path of an openb pod list CSV"),
    SCHEMA_F_DOUBLE(struct scenario_workload, tune, "tune", 0.01, 100.0, 0,
                    "a ratio of total GPU request to cluster GPU capacity in [0.01, 100]"),
    SCHEMA_F_ENUM(struct scenario_workload, pods_format, "pods_format", scenario_pods_format_names,
                  0),
    SCHEMA_F_DOUBLE(struct scenario_workload, time_scale, "time_scale", 0.001, 1000, 0,
                    "simulated seconds per trace second in [0.001, 1000]"),
    SCHEMA_F_SECONDS(struct scenario_workload, start_us, "start_s", 0, 1e9, 0,
                     "a trace time in seconds in [0, 1e9]"),
    SCHEMA_F_INT(struct scenario_workload, max_pods, "max_pods", 0, 100000000, 0,
                 "a number of pods >= 0 (0 = all)"),
    SCHEMA_F_SECONDS(struct scenario_workload, pod_initial_backoff_us, "pod_initial_backoff_s", 0,
                     3600, 0, "seconds in [0, 3600] (0 = no backoff)"),
    SCHEMA_F_SECONDS(struct scenario_workload, pod_max_backoff_us, "pod_max_backoff_s", 0, 3600, 0,
                     "seconds in [0, 3600]"),
    SCHEMA_F_OBJECT(struct scenario_workload, inference, "inference", &inference_schema, 0),
    SCHEMA_F_OBJECT(struct scenario_workload, fleet, "fleet", &fleet_schema, 0),
    SCHEMA_F_OBJECT(struct scenario_workload, training, "training", &training_schema, 0),
};
static const struct schema workload_schema = {"workload", workload_fields,
                                              sizeof workload_fields / sizeof workload_fields[0],
                                              workload_defaults};

static void scenario_defaults(void *obj)
{
    struct scenario *s = obj;
    s->seed = 42;
    s->seeds = 1;
    s->on_malformed_row = SCENARIO_ROWS_ERROR;
    s->duration_us = 86400 * INT64_C(1000000);
    s->interval_us = 300 * INT64_C(1000000);
    tco_defaults(&s->tco);
    cluster_defaults(&s->cluster);
}

static const struct schema_field scenario_fields[] = {
    SCHEMA_F_STRING(struct scenario, name, "name", SCHEMA_REQUIRED,
                    "a scenario name of letters, digits, '.', '_' or '-'"),
    SCHEMA_F_STRING(struct scenario, description, "description", SCHEMA_EMPTY_OK, "a description"),
    SCHEMA_F_ENUM(struct scenario, kind, "kind", scenario_kind_names, SCHEMA_REQUIRED),
    SCHEMA_F_I64(struct scenario, seed, "seed", 0, 9007199254740991.0, 0,
                 "a non-negative integer seed"),
    SCHEMA_F_INT(struct scenario, seeds, "seeds", 1, 10000, 0,
                 "a number of replications in [1, 10000]"),
    SCHEMA_F_ENUM(struct scenario, on_malformed_row, "on_malformed_row", rows_names, 0),
    SCHEMA_F_SECONDS(struct scenario, duration_us, "duration_s", 1, 366 * DAY_S, 0,
                     "seconds in [1, 31622400]"),
    SCHEMA_F_SECONDS(struct scenario, interval_us, "timeseries_interval_s", 1, DAY_S, 0,
                     "seconds in [1, 86400]"),
    SCHEMA_F_OBJECT(struct scenario, tco, "tco", &tco_schema, 0),
    SCHEMA_F_OBJECT(struct scenario, cluster, "cluster", &cluster_schema, SCHEMA_REQUIRED),
    SCHEMA_F_OBJECT(struct scenario, workload, "workload", &workload_schema, SCHEMA_REQUIRED),
    SCHEMA_F_ARRAY(struct scenario, variants, nvariants, "variants", &variant_schema, 1,
                   SCHEMA_REQUIRED),
    SCHEMA_F_SCALARS(struct scenario, checks, nchecks, "checks", SCHEMA_STRING, 0, 0, 0, 0,
                     "a limit such as \"latency_p99_ms <= 800\""),
};
static const struct schema scenario_schema = {"the scenario", scenario_fields,
                                              sizeof scenario_fields / sizeof scenario_fields[0],
                                              scenario_defaults};

static int safe_name(const char *s)
{
    if (!*s || s[0] == '.')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static void check_range(const char *file, const char *path, const double *r, struct schema_diag *d)
{
    if (r[0] > r[1])
        schema_diag_add(d, "%s: %s: the range [%g, %g] has min > max", file, path, r[0], r[1]);
}

/* The instance types of one node group, $.variants[i].<pre>instance_types:
 * no repeats; instance_type defaults to the first and must be one of them;
 * ECS (one Auto Scaling group per capacity provider) and the Cluster
 * Autoscaler (one ASG per group) take one type. */
static void check_types(const char *file, unsigned i, const char *pre, char *type, size_t size,
                        char (*types)[48], unsigned n, const struct scenario_variant *v,
                        struct schema_diag *d)
{
    if (!n)
        return;
    bool listed = false;
    for (unsigned k = 0; k < n; k++) {
        listed = listed || strcmp(types[k], type) == 0;
        for (unsigned j = 0; j < k; j++)
            if (strcmp(types[j], types[k]) == 0)
                schema_diag_add(d,
                                "%s: $.variants[%u].%sinstance_types[%u]: '%s' repeats "
                                "instance_types[%u]",
                                file, i, pre, k, types[k], j);
    }
    if (!type[0])
        snprintf(type, size, "%s", types[0]);
    else if (!listed)
        schema_diag_add(d, "%s: $.variants[%u].%sinstance_type: '%s' is not one of instance_types",
                        file, i, pre, type);
    if (n > 1 && v->orchestrator == SCENARIO_ORCH_ECS)
        schema_diag_add(d,
                        "%s: $.variants[%u].%sinstance_types: %u types, but an ECS capacity "
                        "provider is one Auto Scaling group of one instance type here (give one "
                        "type, or run the group on EKS with Karpenter)",
                        file, i, pre, n);
    else if (n > 1 && v->capacity.autoscaler == SCENARIO_NODES_CA)
        schema_diag_add(d,
                        "%s: $.variants[%u].%sinstance_types: %u types, but the Cluster "
                        "Autoscaler scales one ASG of one instance type per node group here "
                        "(give one type, or use capacity.autoscaler \"karpenter\")",
                        file, i, pre, n);
}

/* The MIG strategy keys of one node group ($.variants[i].<pre>...): mixed
 * needs sharing "mig" and at least one layout; layouts and a repartition
 * time only make sense with mixed. */
static void check_mig_keys(const char *file, unsigned i, const char *pre, int sharing, int strategy,
                           unsigned nlayouts, const double *reconf, struct schema_diag *d)
{
    if (strategy == SCENARIO_MIG_MIXED && sharing != SCENARIO_SHARE_MIG)
        schema_diag_add(d, "%s: $.variants[%u].%smig_strategy: \"mixed\" needs sharing \"mig\"",
                        file, i, pre);
    else if (strategy == SCENARIO_MIG_MIXED && nlayouts == 0)
        schema_diag_add(d,
                        "%s: $.variants[%u].%smig_layouts: missing (the mixed strategy needs the "
                        "per-GPU layout, e.g. [\"4g.20gb,2g.10gb,1g.5gb\"])",
                        file, i, pre);
    else if (strategy != SCENARIO_MIG_MIXED && nlayouts > 0)
        schema_diag_add(d,
                        "%s: $.variants[%u].%smig_layouts: layouts are for mig_strategy "
                        "\"mixed\" (the single strategy's layout is mig_profile's)",
                        file, i, pre);
    char path[64];
    snprintf(path, sizeof path, "$.variants[%u].%smig_reconfigure_s", i, pre);
    check_range(file, path, reconf, d);
}

/* fleet.node_group "service": the fleet's pods run on the LLM service's
 * node group (EKS), so the fleet's own node-group settings would be ignored:
 * each one given is an error; fleet.mig_profile is the profile the fleet
 * requests there (mixed strategy). */
static void check_fleet_on_service(const char *file, unsigned i, const struct scenario *sc,
                                   const struct scenario_variant *v, struct schema_diag *d)
{
    const struct scenario_variant_fleet *f = &v->fleet;
    struct scenario_variant_fleet def;
    memset(&def, 0, sizeof def);
    vfleet_defaults(&def);
    const char *bad = NULL;
    if (!sc->workload.has_inference)
        schema_diag_add(d,
                        "%s: $.variants[%u].fleet.node_group: \"service\" needs the LLM service "
                        "(workload.inference) whose node group the fleet shares",
                        file, i);
    if (v->orchestrator != SCENARIO_ORCH_EKS)
        schema_diag_add(d,
                        "%s: $.variants[%u].fleet.node_group: \"service\" is modelled on EKS "
                        "only (one NodePool or ASG for both; ECS runs the fleet on its own "
                        "capacity provider)",
                        file, i);
    if (f->instance_type[0] || f->ninstance_types)
        bad = "instance_type";
    else if (f->launch_type != def.launch_type)
        bad = "launch_type";
    else if (f->sharing != def.sharing)
        bad = "sharing";
    else if (f->replicas_per_gpu != def.replicas_per_gpu)
        bad = "replicas_per_gpu";
    else if (f->mig_strategy != def.mig_strategy || f->nmig_layouts)
        bad = "mig_strategy";
    else if (f->min_nodes != def.min_nodes || f->max_nodes != def.max_nodes)
        bad = "min_nodes";
    else if (f->placement[0])
        bad = "placement";
    else if (f->mig_reconfigure_s[0] != def.mig_reconfigure_s[0] ||
             f->mig_reconfigure_s[1] != def.mig_reconfigure_s[1])
        bad = "mig_reconfigure_s";
    else if (f->timeslice_overhead != def.timeslice_overhead)
        bad = "timeslice_overhead";
    else if (f->fargate_speed != def.fargate_speed)
        bad = "fargate_speed";
    else if (memcmp(&f->spot, &def.spot, sizeof def.spot) != 0)
        bad = "spot";
    if (bad)
        schema_diag_add(d,
                        "%s: $.variants[%u].fleet.%s: the fleet runs on the service's node group "
                        "(fleet.node_group \"service\"); set it on the variant instead",
                        file, i, bad);
    if (v->sharing == SCENARIO_SHARE_MIG && v->mig_strategy == SCENARIO_MIG_MIXED &&
        !f->mig_profile[0])
        schema_diag_add(d,
                        "%s: $.variants[%u].fleet.mig_profile: missing (the fleet's replicas "
                        "request one profile of the service group's mixed layout)",
                        file, i);
    if (f->mig_profile[0] &&
        (v->sharing != SCENARIO_SHARE_MIG || v->mig_strategy != SCENARIO_MIG_MIXED) &&
        strcmp(f->mig_profile, v->mig_profile) != 0)
        schema_diag_add(d,
                        "%s: $.variants[%u].fleet.mig_profile: on the service's node group the "
                        "fleet gets the group's GPU units; a profile of its own needs "
                        "sharing \"mig\" with mig_strategy \"mixed\"",
                        file, i);
}

static void check_simulation(const char *file, struct scenario *sc, struct schema_diag *d)
{
    const struct scenario_inference *f = &sc->workload.inference;
    if (!sc->workload.has_inference && !sc->workload.has_training && !sc->workload.has_fleet) {
        schema_diag_add(d,
                        "%s: $.workload.inference: missing required key (a simulation needs "
                        "an inference service, a fleet, training jobs or several)",
                        file);
    } else if (sc->workload.has_inference) {
        if (f->models != 1)
            schema_diag_add(d,
                            "%s: $.workload.inference.models: %d, but the main service is one "
                            "model (use \"fleet\" for many)",
                            file, f->models);
        if (f->min_replicas > f->max_replicas)
            schema_diag_add(d, "%s: $.workload.inference.min_replicas: %d exceeds max_replicas %d",
                            file, f->min_replicas, f->max_replicas);
        if (f->initial_replicas > f->max_replicas)
            schema_diag_add(d,
                            "%s: $.workload.inference.initial_replicas: %d exceeds max_replicas %d",
                            file, f->initial_replicas, f->max_replicas);
        check_range(file, "$.workload.inference.image_pull_s", f->image_pull_s, d);
        check_range(file, "$.workload.inference.model_load_s", f->model_load_s, d);
    }
    if (sc->workload.has_fleet) {
        const struct scenario_inference *fl = &sc->workload.fleet;
        if (fl->min_replicas > fl->max_replicas)
            schema_diag_add(d, "%s: $.workload.fleet.min_replicas: %d exceeds max_replicas %d",
                            file, fl->min_replicas, fl->max_replicas);
        if (fl->initial_replicas > fl->max_replicas)
            schema_diag_add(d, "%s: $.workload.fleet.initial_replicas: %d exceeds max_replicas %d",
                            file, fl->initial_replicas, fl->max_replicas);
        check_range(file, "$.workload.fleet.image_pull_s", fl->image_pull_s, d);
        if (fl->ndeploys)
            schema_diag_add(d,
                            "%s: $.workload.fleet.deploy_at_s: rolling deployments are modelled "
                            "for the LLM service (workload.inference) only",
                            file);
        check_range(file, "$.workload.fleet.model_load_s", fl->model_load_s, d);
    }
    check_range(file, "$.cluster.nodes.boot_s", sc->cluster.nodes.boot_s, d);
    check_range(file, "$.cluster.nodes.device_plugin_s", sc->cluster.nodes.device_plugin_s, d);
    check_range(file, "$.cluster.nodes.fargate_start_s", sc->cluster.nodes.fargate_start_s, d);
    for (unsigned i = 0; i < sc->nvariants; i++) {
        struct scenario_variant *v = &sc->variants[i];
        if (sc->workload.has_inference)
            check_types(file, i, "", v->instance_type, sizeof v->instance_type, v->instance_types,
                        v->ninstance_types, v, d);
        if (sc->workload.has_fleet && v->fleet.launch_type == SCENARIO_LAUNCH_EC2)
            check_types(file, i, "fleet.", v->fleet.instance_type, sizeof v->fleet.instance_type,
                        v->fleet.instance_types, v->fleet.ninstance_types, v, d);
        if (sc->workload.has_training)
            check_types(file, i, "training.", v->training.instance_type,
                        sizeof v->training.instance_type, v->training.instance_types,
                        v->training.ninstance_types, v, d);
        if (v->orchestrator == SCENARIO_ORCH_NONE)
            schema_diag_add(d, "%s: $.variants[%u].orchestrator: expected \"ecs\" or \"eks\"", file,
                            i);
        if (!v->instance_type[0] && sc->workload.has_inference)
            schema_diag_add(d, "%s: $.variants[%u].instance_type: missing required key", file, i);
        if (v->orchestrator == SCENARIO_ORCH_ECS && v->sharing != SCENARIO_SHARE_WHOLE)
            schema_diag_add(d,
                            "%s: $.variants[%u].sharing: ECS assigns whole GPUs only (expected "
                            "\"whole\", got \"%s\")",
                            file, i, scenario_sharing_names[v->sharing]);
        if (v->sharing == SCENARIO_SHARE_MIG && !v->mig_profile[0])
            schema_diag_add(d,
                            "%s: $.variants[%u].mig_profile: missing (sharing \"mig\" needs "
                            "a profile such as \"3g.40gb\")",
                            file, i);
        check_mig_keys(file, i, "", v->sharing, v->mig_strategy, v->nmig_layouts,
                       v->mig_reconfigure_s, d);
        if (v->min_nodes > v->max_nodes)
            schema_diag_add(d, "%s: $.variants[%u].min_nodes: %d exceeds max_nodes %d", file, i,
                            v->min_nodes, v->max_nodes);
        if (v->orchestrator == SCENARIO_ORCH_ECS &&
            v->capacity.autoscaler != SCENARIO_NODES_KARPENTER)
            schema_diag_add(d,
                            "%s: $.variants[%u].capacity.autoscaler: ECS scales instances with "
                            "capacity providers (the cluster-autoscaler is an EKS option)",
                            file, i);
        if (v->orchestrator == SCENARIO_ORCH_ECS &&
            (v->scaling.autoscaler != SCENARIO_SCALER_HPA ||
             v->fleet.scaling.autoscaler != SCENARIO_SCALER_HPA))
            schema_diag_add(d,
                            "%s: $.variants[%u].%sscaling.autoscaler: ECS services scale with "
                            "Service Auto Scaling (KEDA is an EKS option)",
                            file, i, v->scaling.autoscaler != SCENARIO_SCALER_HPA ? "" : "fleet.");
        if (sc->workload.has_fleet && v->fleet.launch_type == SCENARIO_LAUNCH_FARGATE &&
            sc->workload.fleet.gpus > 0 && v->fleet.sharing != SCENARIO_SHARE_WHOLE)
            schema_diag_add(d,
                            "%s: $.variants[%u].fleet.sharing: Fargate has no GPUs to share "
                            "(expected \"whole\")",
                            file, i);
        if (v->orchestrator == SCENARIO_ORCH_ECS && v->deployment.max_pct <= 100 &&
            v->deployment.min_healthy_pct >= 100)
            schema_diag_add(d,
                            "%s: $.variants[%u].deployment: max_pct 100 with min_healthy_pct 100 "
                            "leaves a rolling deployment no room to start or stop a task",
                            file, i);
        if (v->orchestrator == SCENARIO_ORCH_EKS && v->deployment.max_surge_pct == 0 &&
            v->deployment.max_unavailable_pct == 0)
            schema_diag_add(d,
                            "%s: $.variants[%u].deployment: max_surge_pct and max_unavailable_pct "
                            "may not both be 0",
                            file, i);
        if (v->scaling.policy == SCENARIO_POLICY_STEP) {
            if (v->orchestrator != SCENARIO_ORCH_ECS)
                schema_diag_add(d,
                                "%s: $.variants[%u].scaling.policy: step scaling is an ECS "
                                "(Application Auto Scaling) policy",
                                file, i);
            else if (!v->scaling.nsteps_out || !v->scaling.nsteps_in)
                schema_diag_add(d,
                                "%s: $.variants[%u].scaling: step scaling needs steps_out and "
                                "steps_in",
                                file, i);
        }
        if (v->scaling.has_behavior && v->orchestrator != SCENARIO_ORCH_EKS)
            schema_diag_add(d, "%s: $.variants[%u].scaling.behavior: an HPA setting (EKS only)",
                            file, i);
        for (unsigned k = 0; k < v->capacity.ndrifts; k++)
            if (!(v->capacity.drift_at_s[k] > 0))
                schema_diag_add(d,
                                "%s: $.variants[%u].capacity.drift_at_s[%u]: %g s, but only "
                                "nodes launched before a node class change drift (give a "
                                "time > 0)",
                                file, i, k, v->capacity.drift_at_s[k]);
        if (v->deployment.pdb_max_unavailable == 0)
            schema_diag_add(d,
                            "%s: $.variants[%u].deployment.pdb_max_unavailable: 0 blocks every "
                            "voluntary drain forever (no terminationGracePeriod is modelled); give "
                            "1 or more, or -1 for none",
                            file, i);
        if (v->deployment.pdb_max_unavailable >= 0 && v->orchestrator != SCENARIO_ORCH_EKS)
            schema_diag_add(d,
                            "%s: $.variants[%u].deployment.pdb_max_unavailable: a "
                            "PodDisruptionBudget is a Kubernetes object (EKS only)",
                            file, i);
        if (v->capacity.ndrifts && (v->orchestrator != SCENARIO_ORCH_EKS ||
                                    v->capacity.autoscaler != SCENARIO_NODES_KARPENTER))
            schema_diag_add(d,
                            "%s: $.variants[%u].capacity.drift_at_s: drift is a Karpenter "
                            "disruption (EKS with capacity.autoscaler \"karpenter\")",
                            file, i);
        if (v->capacity.batch_max_us < v->capacity.batch_idle_us)
            schema_diag_add(d,
                            "%s: $.variants[%u].capacity.batch_max_s: %g s is shorter than "
                            "batch_idle_s %g s (the window closes at the earlier of the two)",
                            file, i, v->capacity.batch_max_us / 1e6,
                            v->capacity.batch_idle_us / 1e6);
        if (v->capacity.min_step > v->capacity.max_step)
            schema_diag_add(d, "%s: $.variants[%u].capacity.min_step: %d exceeds max_step %d", file,
                            i, v->capacity.min_step, v->capacity.max_step);
        if (!v->placement[0])
            snprintf(v->placement, sizeof v->placement, "%s",
                     v->orchestrator == SCENARIO_ORCH_ECS ? "ecs-binpack-memory" : "k8s-default");
        struct scenario_variant_fleet *vf = &v->fleet;
        if (sc->workload.has_fleet) {
            if (!vf->instance_type[0] && vf->launch_type == SCENARIO_LAUNCH_EC2 &&
                vf->node_group == SCENARIO_GROUP_OWN)
                schema_diag_add(d,
                                "%s: $.variants[%u].fleet.instance_type: missing required key "
                                "(the workload has a fleet)",
                                file, i);
            if (vf->min_nodes > vf->max_nodes)
                schema_diag_add(d, "%s: $.variants[%u].fleet.min_nodes: %d exceeds max_nodes %d",
                                file, i, vf->min_nodes, vf->max_nodes);
            if (v->orchestrator == SCENARIO_ORCH_ECS && vf->sharing != SCENARIO_SHARE_WHOLE)
                schema_diag_add(d,
                                "%s: $.variants[%u].fleet.sharing: ECS assigns whole GPUs only "
                                "(expected \"whole\", got \"%s\")",
                                file, i, scenario_sharing_names[vf->sharing]);
            if (vf->node_group == SCENARIO_GROUP_SERVICE)
                check_fleet_on_service(file, i, sc, v, d);
            else if (vf->sharing == SCENARIO_SHARE_MIG && !vf->mig_profile[0])
                schema_diag_add(d,
                                "%s: $.variants[%u].fleet.mig_profile: missing (sharing \"mig\" "
                                "needs a profile such as \"1g.10gb\")",
                                file, i);
            check_mig_keys(file, i, "fleet.", vf->sharing, vf->mig_strategy, vf->nmig_layouts,
                           vf->mig_reconfigure_s, d);
            if (!vf->placement[0])
                snprintf(vf->placement, sizeof vf->placement, "%s",
                         v->orchestrator == SCENARIO_ORCH_ECS ? "ecs-binpack-memory"
                                                              : "k8s-default");
        }
        /* settings for a part the workload does not have would be ignored */
        if (!sc->workload.has_training && v->training.instance_type[0])
            schema_diag_add(d,
                            "%s: $.variants[%u].training: the workload has no training jobs "
                            "(add workload.training or remove this object)",
                            file, i);
        if (!sc->workload.has_fleet &&
            (v->fleet.instance_type[0] || v->fleet.launch_type != SCENARIO_LAUNCH_EC2))
            schema_diag_add(d,
                            "%s: $.variants[%u].fleet: the workload has no fleet (add "
                            "workload.fleet or remove this object)",
                            file, i);
        const struct scenario_spot *sps[3] = {&v->spot, &v->fleet.spot, &v->training.spot};
        static const char *const spn[3] = {"spot", "fleet.spot", "training.spot"};
        for (int k = 0; k < 3; k++)
            if (sps[k]->log_launch_failures && !sps[k]->log_gpu[0])
                schema_diag_add(d,
                                "%s: $.variants[%u].%s.log_launch_failures: needs log_gpu (the "
                                "log's GPU type to estimate from)",
                                file, i, spn[k]);
        struct scenario_variant_training *vt = &v->training;
        if (sc->workload.has_training) {
            if (!vt->instance_type[0])
                schema_diag_add(d,
                                "%s: $.variants[%u].training.instance_type: missing required key "
                                "(the workload has training jobs)",
                                file, i);
            if (vt->min_nodes > vt->max_nodes)
                schema_diag_add(d, "%s: $.variants[%u].training.min_nodes: %d exceeds max_nodes %d",
                                file, i, vt->min_nodes, vt->max_nodes);
            if (!vt->placement[0])
                snprintf(vt->placement, sizeof vt->placement, "%s",
                         v->orchestrator == SCENARIO_ORCH_ECS ? "ecs-binpack-memory"
                                                              : "k8s-default");
        }
        /* ECS has no preemption: a task that does not fit waits */
        if (v->orchestrator == SCENARIO_ORCH_ECS && vt->preemption_given && vt->preemption)
            schema_diag_add(d,
                            "%s: $.variants[%u].training.preemption: ECS has no preemption (a "
                            "task that does not fit waits); expected false or absent",
                            file, i);
        if (!vt->preemption_given)
            vt->preemption = v->orchestrator == SCENARIO_ORCH_EKS;
    }
    if (sc->workload.has_training) {
        const struct scenario_training *t = &sc->workload.training;
        double w = 0;
        for (unsigned k = 0; k < t->ngangs; k++)
            w += t->gangs[k].weight;
        if (!(w > 0))
            schema_diag_add(d, "%s: $.workload.training.gangs: the weights sum to 0", file);
        if (t->max_duration_s > 0 && t->max_duration_s < t->min_duration_s)
            schema_diag_add(d,
                            "%s: $.workload.training.max_duration_s: %g is below min_duration_s "
                            "%g",
                            file, t->max_duration_s, t->min_duration_s);
        double pw = 0;
        for (unsigned k = 0; k < t->npriorities; k++) {
            pw += t->priorities[k].weight;
            for (unsigned j = 0; j < k; j++)
                if (t->priorities[j].value == t->priorities[k].value)
                    schema_diag_add(d,
                                    "%s: $.workload.training.priorities[%u].value: %d repeats "
                                    "priorities[%u] (each class needs its own value)",
                                    file, k, t->priorities[k].value, j);
        }
        if (t->npriorities && !(pw > 0))
            schema_diag_add(d, "%s: $.workload.training.priorities: the weights sum to 0", file);
    }
}

/* The trace inputs of a packing or replay scenario: node and pod lists, a
 * placement per variant. pods: what pods_csv holds. */
static void check_trace_inputs(const char *file, const struct scenario *sc, const char *pods,
                               struct schema_diag *d)
{
    if (!sc->cluster.nodes_csv[0])
        schema_diag_add(d,
                        "%s: $.cluster.nodes_csv: missing required key (expected the path of "
                        "an openb node list CSV)",
                        file);
    if (!sc->workload.pods_csv[0])
        schema_diag_add(d,
                        "%s: $.workload.pods_csv: missing required key (expected the path of %s)",
                        file, pods);
    for (unsigned i = 0; i < sc->nvariants; i++)
        if (!sc->variants[i].placement[0])
            schema_diag_add(d,
                            "%s: $.variants[%u].placement: missing required key (expected a "
                            "placement policy name)",
                            file, i);
}

static void check_replay(const char *file, struct scenario *sc, struct schema_diag *d)
{
    check_trace_inputs(file, sc, "an openb pod list or DLRM trace CSV", d);
    const struct scenario_workload *w = &sc->workload;
    if (w->pod_initial_backoff_us > w->pod_max_backoff_us)
        schema_diag_add(d, "%s: $.workload.pod_initial_backoff_s: %g exceeds pod_max_backoff_s %g",
                        file, (double)w->pod_initial_backoff_us / 1e6,
                        (double)w->pod_max_backoff_us / 1e6);
}

/* Keys that only some kinds of scenario use (a bit per kind: 1 packing, 2
 * simulation, 4 replay); a key given to a kind that does not use it would be
 * silently ignored, so it is an error. Keys not listed are used by all. */
#define K_P 1
#define K_S 2
#define K_R 4
struct kind_key {
    const char *obj; /* "" top level, "cluster" or "workload" */
    const char *key;
    unsigned kinds;
};
static const struct kind_key kind_keys[] = {
    {"", "on_malformed_row", K_P | K_R},
    {"", "duration_s", K_S | K_R},
    {"", "timeseries_interval_s", K_S | K_R},
    {"", "tco", K_S},
    {"cluster", "nodes_csv", K_P | K_R},
    {"cluster", "node_fraction", K_R},
    {"cluster", "nodes", K_S},
    {"cluster", "catalog", K_S},
    {"workload", "pods_csv", K_P | K_R},
    {"workload", "tune", K_P},
    {"workload", "pods_format", K_R},
    {"workload", "time_scale", K_R},
    {"workload", "start_s", K_R},
    {"workload", "max_pods", K_R},
    {"workload", "pod_initial_backoff_s", K_R},
    {"workload", "pod_max_backoff_s", K_R},
    {"workload", "inference", K_S},
    {"workload", "fleet", K_S},
    {"workload", "training", K_S},
};

/* A variant key a kind uses: name and placement all; reference_alloc_pct
 * packing; the others (orchestrator, types, sharing, scaling, ...) the
 * simulation. */
static bool variant_key_used(const char *key, int kind)
{
    if (strcmp(key, "name") == 0 || strcmp(key, "placement") == 0)
        return true;
    if (strcmp(key, "reference_alloc_pct") == 0)
        return kind == SCENARIO_PACKING;
    return kind == SCENARIO_SIMULATION;
}

static void check_kind_keys(const char *file, const cJSON *root, int kind, struct schema_diag *d)
{
    static const char *const kind_names[] = {"packing", "simulation", "replay"};
    unsigned bit = kind == SCENARIO_PACKING ? K_P : kind == SCENARIO_SIMULATION ? K_S : K_R;
    for (size_t k = 0; k < sizeof kind_keys / sizeof kind_keys[0]; k++) {
        const struct kind_key *kk = &kind_keys[k];
        if (kk->kinds & bit)
            continue;
        const cJSON *o = kk->obj[0] ? cJSON_GetObjectItemCaseSensitive(root, kk->obj) : root;
        if (cJSON_IsObject(o) && cJSON_GetObjectItemCaseSensitive(o, kk->key))
            schema_diag_add(d, "%s: $.%s%s%s: a %s scenario does not use it", file, kk->obj,
                            kk->obj[0] ? "." : "", kk->key, kind_names[kind]);
    }
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "variants");
    int i = 0;
    for (const cJSON *v = cJSON_IsArray(vars) ? vars->child : NULL; v; v = v->next, i++)
        for (const cJSON *f = cJSON_IsObject(v) ? v->child : NULL; f; f = f->next)
            if (!variant_key_used(f->string, kind))
                schema_diag_add(d, "%s: $.variants[%d].%s: a %s scenario does not use it", file, i,
                                f->string, kind_names[kind]);
}

/* Checks that need more than one field. */
static void check(const char *file, struct scenario *sc, struct schema_diag *d)
{
    if (sc->kind == SCENARIO_PACKING)
        check_trace_inputs(file, sc, "an openb pod list CSV", d);
    else if (sc->kind == SCENARIO_REPLAY)
        check_replay(file, sc, d);
    else
        check_simulation(file, sc, d);
    for (unsigned i = 0; i < sc->nchecks; i++) {
        struct check ck;
        struct os_error e;
        if (check_parse(sc->checks[i], &ck, &e) != OS_OK)
            schema_diag_add(d, "%s: $.checks[%u]: %s", file, i, e.msg);
    }
    if (sc->name[0] && !safe_name(sc->name))
        schema_diag_add(d,
                        "%s: $.name: '%s' is not a safe directory name (letters, digits, '.', "
                        "'_', '-')",
                        file, sc->name);
    for (unsigned i = 0; i < sc->nvariants; i++) {
        const struct scenario_variant *v = &sc->variants[i];
        if (v->name[0] && !safe_name(v->name))
            schema_diag_add(d, "%s: $.variants[%u].name: '%s' is not a safe name", file, i,
                            v->name);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(sc->variants[j].name, v->name) == 0)
                schema_diag_add(d, "%s: $.variants[%u].name: '%s' repeats $.variants[%u].name",
                                file, i, v->name, j);
    }
}

static int load_tree(const char *name, cJSON *root, const char *const *sets, size_t nsets,
                     struct scenario *sc, struct schema_diag *d)
{
    for (size_t i = 0; i < nsets; i++) {
        struct os_error e;
        if (schema_set(root, sets[i], &e) != OS_OK)
            schema_diag_add(d, "%s: %s", name, e.msg);
    }
    if (d->n)
        return OS_EINVAL;
    memset(sc, 0, sizeof *sc);
    snprintf(sc->file, sizeof sc->file, "%s", name);
    schema_decode(&scenario_schema, root, sc, name, "$", d);
    /* variants[].training.preemption defaults by orchestrator (check) */
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "variants");
    for (unsigned i = 0; i < sc->nvariants && cJSON_IsArray(vars); i++) {
        const cJSON *t =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(vars, (int)i), "training");
        sc->variants[i].training.preemption_given =
            cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(t, "preemption"));
    }
    if (sc->kind >= SCENARIO_PACKING && sc->kind <= SCENARIO_REPLAY)
        check_kind_keys(name, root, sc->kind, d);
    /* A replay runs until its last deletion unless duration_s is given. */
    if (sc->kind == SCENARIO_REPLAY && !cJSON_GetObjectItemCaseSensitive(root, "duration_s"))
        sc->duration_us = 0;
    check(name, sc, d);
    return d->n ? OS_EINVAL : OS_OK;
}

int scenario_load_text(const char *name, const char *text, size_t len, const char *const *sets,
                       size_t nsets, struct scenario *sc, struct schema_diag *d)
{
    cJSON *root;
    struct os_error e;
    int rc = schema_parse_text(name, text, len, &root, &e);
    if (rc != OS_OK) {
        schema_diag_add(d, "%s", e.msg);
        return rc;
    }
    rc = load_tree(name, root, sets, nsets, sc, d);
    cJSON_Delete(root);
    return rc;
}

int scenario_load(const char *file, const char *const *sets, size_t nsets, struct scenario *sc,
                  struct schema_diag *d)
{
    cJSON *root;
    struct os_error e;
    int rc = schema_parse_file(file, &root, &e);
    if (rc != OS_OK) {
        schema_diag_add(d, "%s", e.msg);
        return rc;
    }
    rc = load_tree(file, root, sets, nsets, sc, d);
    cJSON_Delete(root);
    return rc;
}
