# Simulation scenarios end to end: results files, determinism, catalog checks.
# Sourced by run.sh. Runs are shortened with --set duration_s.

short="--set duration_s=10800 --set timeseries_interval_s=600 --seeds 2 --quiet"
for s in ecs-inference eks-inference ecs-vs-eks; do
    expect 0 "$ORCHSIM" run scenarios/$s.json $short -o "$TMP/$s" || continue
    for f in summary.json timeseries.csv latency_cdf.csv runs.csv report.md report.html; do
        [ -s "$TMP/$s/$f" ] && ok || fail "$s: $f missing or empty"
    done
    contains "$TMP/$s/summary.json" '"kind":	"simulation"'
    contains "$TMP/$s/summary.json" '"latency_p99_ms_ci95":'
    # Little's law holds exactly in every variant: no relative error but 0
    # (each value, or the mean of a paired difference on the next line)
    grep -A1 '"littles_law_rel_err":' "$TMP/$s/summary.json" |
        grep -qE '(rel_err"|"mean"):[[:space:]]+(-|[1-9]|0[.0-9])' &&
        fail "$s: Little's law off in a variant" || ok
    contains "$TMP/$s/summary.json" '"littles_law_rel_err":	0'
    contains "$TMP/$s/timeseries.csv" "variant,seed,time_s,nodes,gpus,gpus_alloc"
done
contains "$TMP/ecs-vs-eks/summary.json" '"paired_diff":'
contains "$TMP/ecs-vs-eks/report.md" "Paired difference"
contains "$TMP/ecs-vs-eks/report.md" "The flagship comparison: one AI backend"
contains "$TMP/ecs-vs-eks/summary.json" '"description":	"The flagship comparison'

# same scenario, overrides and seeds: byte-identical results, any -j
expect 0 "$ORCHSIM" run scenarios/ecs-vs-eks.json $short -j 1 -o "$TMP/again"
for f in summary.json timeseries.csv latency_cdf.csv runs.csv report.md; do
    cmp -s "$TMP/ecs-vs-eks/$f" "$TMP/again/$f" && ok || fail "ecs-vs-eks: $f differs between runs"
done

# a different seed changes the (random) arrivals
expect 0 "$ORCHSIM" run scenarios/ecs-vs-eks.json $short --set seed=7 -o "$TMP/seed7"
cmp -s "$TMP/ecs-vs-eks/summary.json" "$TMP/seed7/summary.json" &&
    fail "seed=7 gave the same summary" || ok

# errors that need the catalog or cross-field rules: one line, exit 1 on validate
expect 1 "$ORCHSIM" validate scenarios/ecs-inference.json --set variants.0.instance_type=g5.xlarg
contains "$TMP/err" "\$.variants[0].instance_type: unknown instance type 'g5.xlarg' (did you mean 'g5.xlarge'?)"
expect 1 "$ORCHSIM" validate scenarios/ecs-inference.json --set variants.0.sharing=timeslice
contains "$TMP/err" "\$.variants[0].sharing: ECS assigns whole GPUs only"
expect 1 "$ORCHSIM" validate scenarios/eks-inference.json --set variants.3.mig_profile=9g.99gb
contains "$TMP/err" "\$.variants[3].mig_profile: '9g.99gb' is not a MIG profile of A100-40GB"
expect 1 "$ORCHSIM" validate scenarios/ecs-vs-eks.json --set 'variants.9.mig_layouts.1=4g.20gb,4g.20gb'
contains "$TMP/err" "\$.variants[9].mig_layouts[1]: '4g.20gb,4g.20gb': 8 compute slices, a GPU has 7"
# a MIG mixed group none of whose types exists (found by the fuzzer: a crash)
expect 1 "$ORCHSIM" validate scenarios/ecs-vs-eks.json --set variants.8.instance_type=p9.xlarge
contains "$TMP/err" "\$.variants[8].instance_type: unknown instance type 'p9.xlarge'"
expect 1 "$ORCHSIM" validate scenarios/ecs-vs-eks.json --set variants.8.fleet.mig_profile=4g.20gb
contains "$TMP/err" "\$.variants[8].fleet.mig_profile: '4g.20gb' is in none of the group's mig_layouts"
expect 1 "$ORCHSIM" validate scenarios/eks-inference.json --set variants.2.replicas_per_gpu=8
contains "$TMP/err" "the model needs 5.0 GB but its 1/replicas_per_gpu share of GPU memory has 3.0 GB"
expect 1 "$ORCHSIM" validate scenarios/ecs-inference.json --set workload.inference.min_replicas=30
contains "$TMP/err" "\$.workload.inference.min_replicas: 30 exceeds max_replicas 20"
expect 2 "$ORCHSIM" run scenarios/ecs-inference.json --set workload.inference.trace_csv=/nonexistent.csv
contains "$TMP/err" "\$.workload.inference.trace_csv: cannot open '/nonexistent.csv'"

# training jobs on spot: runs, reports job metrics, errors name the path
expect 0 "$ORCHSIM" run scenarios/spot-training.json --set duration_s=43200 --seeds 2 --quiet -o "$TMP/st"
contains "$TMP/st/summary.json" '"jct_mean_s":'
contains "$TMP/st/summary.json" '"lost_gpu_hours":'
contains "$TMP/st/report.md" "## Jobs"
expect 2 "$ORCHSIM" run scenarios/spot-training.json --quiet -o "$TMP/st2" --set variants.1.training.spot.log_gpu=a100
contains "$TMP/err" "\$.variants[1].training.spot.log_gpu: scenarios/traces/aws-spot-gpu-prices-2020/availability_2020-03-15.log: no instance of type a100"
expect 1 "$ORCHSIM" validate scenarios/spot-training.json --set workload.training.gangs.4.gpus=12
contains "$TMP/err" "\$.workload.training.gangs[4].gpus: a gang of 12 GPUs does not split into whole p3.16xlarge nodes"
expect 1 "$ORCHSIM" validate scenarios/spot-training.json --set variants.0.training.instance_type=p3.16xlarg
contains "$TMP/err" "\$.variants[0].training.instance_type: unknown instance type 'p3.16xlarg' (did you mean 'p3.16xlarge'?)"
expect 1 "$ORCHSIM" validate scenarios/ecs-vs-eks.json --set variants.0.fleet.sharing=timeslice
contains "$TMP/err" "\$.variants[0].fleet.sharing: ECS assigns whole GPUs only"
# runtime input errors name the JSON path
expect 2 "$ORCHSIM" run scenarios/spot-training.json --quiet -o "$TMP/st3" --set workload.training.durations_csv=/nonexistent.csv
contains "$TMP/err" "\$.workload.training.durations_csv: /nonexistent.csv"
expect 2 "$ORCHSIM" run scenarios/spot-training.json --quiet -o "$TMP/st3" --set variants.1.training.spot.trace_instance_type=p9.xlarge
contains "$TMP/err" "\$.variants[1].training.spot: spot pool p3.16xlarge"
