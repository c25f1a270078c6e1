# Timed replay (kind "replay") end to end: results files, determinism, input
# errors. Sourced by run.sh. Shortened with workload.max_pods, on 0.8 % of
# the nodes (9 nodes, 42 GPUs) so that pods wait.

rshort="--set workload.max_pods=1500 --set cluster.node_fraction=0.008 --seeds 2 --quiet"
expect 0 "$ORCHSIM" run scenarios/openb-replay.json $rshort -o "$TMP/rp" &&
    for f in summary.json timeseries.csv runs.csv report.md report.html; do
        [ -s "$TMP/rp/$f" ] && ok || fail "openb-replay: $f missing or empty"
    done
contains "$TMP/rp/summary.json" '"kind":	"replay"'
contains "$TMP/rp/summary.json" '"pods_replayed":	1500'
for m in gpu_alloc_pct frag_pct pods_scheduled unscheduled pending_p50_s pending_p99_s \
    pending_peak trace_pending_p50_s trace_pending_p99_s; do
    contains "$TMP/rp/summary.json" "\"$m\":"
done
contains "$TMP/rp/summary.json" '"paired_diff":'
# the simulation kind's header, so sim/report.c and other tools read it alike
[ "$(head -1 "$TMP/rp/timeseries.csv")" = \
    "variant,seed,time_s,nodes,gpus,gpus_alloc,replicas,queue_len,pending,jobs_running,cost_usd" ] &&
    ok || fail "openb-replay: timeseries.csv header differs from the simulation kind's"
contains "$TMP/rp/timeseries.csv" "fgd,42,3600,9,42,"
contains "$TMP/rp/report.md" "trace_pending_p99_s"
[ "$(wc -l <"$TMP/rp/runs.csv")" -eq 15 ] && ok || fail "openb-replay: runs.csv rows"

# byte-identical for the same scenario and seeds, any -j
expect 0 "$ORCHSIM" run scenarios/openb-replay.json $rshort -j 1 -o "$TMP/rp2"
for f in summary.json timeseries.csv runs.csv report.md; do
    cmp -s "$TMP/rp/$f" "$TMP/rp2/$f" && ok || fail "openb-replay: $f differs between runs"
done

# the shipped scenario validates; a malformed pod list is one line naming FILE:LINE
expect 0 "$ORCHSIM" validate scenarios/openb-replay.json
(head -2 scenarios/traces/alibaba-gpu-2023-openb/openb_pod_list_default.csv
    echo "openb-pod-x,1000,1024,1,1000,,LS,Running,5,100") >"$TMP/rp_bad.csv"
expect 2 "$ORCHSIM" run scenarios/openb-replay.json --quiet -o "$TMP/rp_bad" \
    --set workload.pods_csv="$TMP/rp_bad.csv"
contains "$TMP/err" "$TMP/rp_bad.csv:3: expected 11 columns, got 10"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && ok || fail "openb-replay: malformed input gave more than one line"
# a 5-column pod list has no times
expect 2 "$ORCHSIM" run scenarios/openb-replay.json --quiet -o "$TMP/rp_bad" \
    --set workload.pods_csv=scenarios/traces/alibaba-gpu-2023-openb/openb_pod_list_multigpu20.csv
contains "$TMP/err" "openb_pod_list_multigpu20.csv:2: pod openb-pod-0000 has no creation or deletion time"
expect 1 "$ORCHSIM" validate scenarios/openb-replay.json --set workload.time_scal=2
contains "$TMP/err" "\$.workload.time_scal: unknown key 'time_scal' (did you mean 'time_scale'?)"
expect 1 "$ORCHSIM" validate scenarios/openb-replay.json --set workload.pod_initial_backoff_s=20
contains "$TMP/err" "\$.workload.pod_initial_backoff_s: 20 exceeds pod_max_backoff_s 10"
