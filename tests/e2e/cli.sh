# Command-line contract: usage errors, validate, bench engine. Sourced by run.sh.

expect 2 "$ORCHSIM"
expect 2 "$ORCHSIM" frobnicate && contains "$TMP/err" "unknown command 'frobnicate'"
expect 0 "$ORCHSIM" help && contains "$TMP/out" "usage: orchsim"
expect 0 "$ORCHSIM" version && contains "$TMP/out" "orchsim "

# validate: every shipped scenario is valid
for s in scenarios/*.json; do
    expect 0 "$ORCHSIM" validate "$s" && contains "$TMP/out" "ok"
done

# validate: a misspelt key gives one line naming file, JSON path and suggestion, exit 1
sed 's/"tune"/"tunne"/' scenarios/openb-fgd.json >"$TMP/typo.json"
expect 1 "$ORCHSIM" validate "$TMP/typo.json"
contains "$TMP/err" "$TMP/typo.json: \$.workload.tunne: unknown key 'tunne' (did you mean 'tune'?)"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && ok || fail "validate printed more than one line"

# validate: a misspelt policy name
expect 1 "$ORCHSIM" validate scenarios/openb-fgd.json --set variants.0.placement=bestfitt
contains "$TMP/err" "\$.variants[0].placement: unknown placement policy 'bestfitt' (did you mean 'bestfit'?)"

# validate: malformed JSON names file:line:column; a missing file is an input error (2)
printf '{\n "name": "x",\n "seed": 4x }\n' >"$TMP/broken.json"
expect 1 "$ORCHSIM" validate "$TMP/broken.json" && contains "$TMP/err" "$TMP/broken.json:3:"
expect 2 "$ORCHSIM" validate "$TMP/none.json" && contains "$TMP/err" "cannot open"
expect 2 "$ORCHSIM" validate && contains "$TMP/err" "missing the scenario file"
expect 2 "$ORCHSIM" run scenarios/openb-fgd.json --seeds 0

# bench engine --quick prints JSON with three sizes
expect 0 "$ORCHSIM" bench engine --quick
contains "$TMP/out" '"pending":'
[ "$(grep -c '"events_per_s"' "$TMP/out")" -eq 3 ] && ok || fail "bench engine: expected 3 sizes"
