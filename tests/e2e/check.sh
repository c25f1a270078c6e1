# CI gate: `orchsim check` against a baseline summary.json, and
# `orchsim bench --baseline`. Sourced by run.sh.

# A small packing run (300 pods, 2 seeds) whose scenario carries checks.
head -301 scenarios/traces/alibaba-gpu-2023-openb/openb_pod_list_default.csv >"$TMP/ck_pods.csv"
sed 's/"kind": "packing",/"kind": "packing", "checks": ["gpu_alloc_pct >= baseline - 1", "fgd: frag_pct <= baseline * 1.05", "unscheduled within 5%"],/' \
    scenarios/openb-fgd.json >"$TMP/ck_scenario.json"
expect 0 "$ORCHSIM" run "$TMP/ck_scenario.json" --seeds 2 -o "$TMP/ck_run" --quiet \
    --set workload.pods_csv="$TMP/ck_pods.csv"
contains "$TMP/ck_run/summary.json" '"fgd: frag_pct <= baseline * 1.05"'

# Against itself: everything passes, the table names every variant, JUnit has no failure.
expect 0 "$ORCHSIM" check "$TMP/ck_run" --baseline "$TMP/ck_run/summary.json" --junit "$TMP/ck_ok.xml"
contains "$TMP/out" "variant"
contains "$TMP/out" "13 passed, 0 failed"
grep -q '^fgd  *frag_pct .* PASS$' "$TMP/out" && ok || fail "check: no PASS row for fgd frag_pct"
contains "$TMP/ck_ok.xml" '<testsuite name="orchsim.check.openb-fgd" tests="13" failures="0"'
grep -q '<failure' "$TMP/ck_ok.xml" && fail "check: JUnit of a passing run has a <failure>" || ok

# An injected regression: gpu_alloc_pct drops to 50 in a copy of the results.
mkdir -p "$TMP/ck_bad"
sed 's/"gpu_alloc_pct":[^,]*/"gpu_alloc_pct":	50/' "$TMP/ck_run/summary.json" >"$TMP/ck_bad/summary.json"
expect 1 "$ORCHSIM" check "$TMP/ck_bad" --baseline "$TMP/ck_run/summary.json" --junit "$TMP/ck_bad.xml"
grep -q '^fgd  *gpu_alloc_pct  *50  *>= .* FAIL$' "$TMP/out" && ok || fail "check: no FAIL row for fgd"
contains "$TMP/out" "7 passed, 6 failed"
contains "$TMP/ck_bad.xml" '<failure type="check" message="fgd: gpu_alloc_pct = 50, limit &gt;= '

# No checks in the summary: the default rule (at most 10 % worse) applies.
sed 's/"checks":.*\],$/"checks": [],/' "$TMP/ck_run/summary.json" >"$TMP/ck_bad/summary.json"
expect 0 "$ORCHSIM" check "$TMP/ck_bad" --baseline "$TMP/ck_run/summary.json"
contains "$TMP/out" "default rule"
contains "$TMP/out" "18 passed, 0 failed"
sed -e 's/"checks":.*\],$/"checks": [],/' -e 's/"frag_pct":[^,]*/"frag_pct":	99/' \
    "$TMP/ck_run/summary.json" >"$TMP/ck_bad/summary.json"
expect 1 "$ORCHSIM" check "$TMP/ck_bad" --baseline "$TMP/ck_run/summary.json"
contains "$TMP/out" "12 passed, 6 failed"

# Input errors exit 2 with one line naming what and where.
sed 's/"checks":.*\],$/"checks": ["cost_usd =< 5"],/' "$TMP/ck_run/summary.json" >"$TMP/ck_bad/summary.json"
expect 2 "$ORCHSIM" check "$TMP/ck_bad" --baseline "$TMP/ck_run/summary.json"
contains "$TMP/err" "$TMP/ck_bad/summary.json: \$.checks[0]: check 'cost_usd =< 5': expected an operator"
sed 's/"checks":.*\],$/"checks": ["fgd: p99_nonesuch_ms <= 5"],/' "$TMP/ck_run/summary.json" >"$TMP/ck_bad/summary.json"
expect 2 "$ORCHSIM" check "$TMP/ck_bad" --baseline "$TMP/ck_run/summary.json"
contains "$TMP/err" "variant 'fgd': metric 'p99_nonesuch_ms' is missing"
printf '{\n "variants": [\n  {"name": x}\n ]\n}\n' >"$TMP/ck_broken.json"
expect 2 "$ORCHSIM" check "$TMP/ck_run" --baseline "$TMP/ck_broken.json"
contains "$TMP/err" "$TMP/ck_broken.json:3:"
expect 2 "$ORCHSIM" check "$TMP/ck_run" --baseline "$TMP/ck_none.json" && contains "$TMP/err" "ck_none.json"
expect 2 "$ORCHSIM" check "$TMP/ck_none" --baseline "$TMP/ck_run/summary.json"
expect 2 "$ORCHSIM" check "$TMP/ck_run" && contains "$TMP/err" "missing --baseline"

# bench --baseline: absurdly high baselines are a regression (1), absurdly low ones pass (0);
# stdout stays the bench JSON, the table goes to stderr.
printf '{"engine": [{"pending": 1000, "events_per_s": 1e15}, {"pending": 100000, "events_per_s": 1e15}]}\n' \
    >"$TMP/ck_bench_hi.json"
printf '{"engine": [{"pending": 1000, "events_per_s": 1, "bare_heap_events_per_s": 1}]}\n' \
    >"$TMP/ck_bench_lo.json"
expect 1 "$ORCHSIM" bench engine --quick --baseline "$TMP/ck_bench_hi.json"
grep -q '^engine/pending=1000  *events_per_s .* FAIL$' "$TMP/err" && ok || fail "bench: no FAIL row"
contains "$TMP/err" "0 passed, 2 failed"
contains "$TMP/out" '"events_per_s":'
expect 0 "$ORCHSIM" bench engine --quick --baseline "$TMP/ck_bench_lo.json" --tolerance 10
contains "$TMP/err" "2 passed, 0 failed"
expect 2 "$ORCHSIM" bench engine --quick --baseline "$TMP/ck_broken.json"
contains "$TMP/err" "$TMP/ck_broken.json:3:"
expect 2 "$ORCHSIM" bench engine --quick --baseline "$TMP/ck_bench_lo.json" --tolerance 150
contains "$TMP/err" "--tolerance expects a percentage in [0, 100], got '150'"
expect 2 "$ORCHSIM" bench engine --quick --tolerance 10
contains "$TMP/err" "--tolerance needs --baseline FILE"
