# spot-log: estimates from the 2020 availability log, and errors. Sourced by run.sh.
L=scenarios/traces/aws-spot-gpu-prices-2020/availability_2020-03-15.log

# the default file is the shipped log: four groups, figures as in models/spot.h
expect 0 "$ORCHSIM" spot-log
contains "$TMP/out" "$L: 2020-03-15T10:07:33Z to 2020-03-17T15:36:55Z"
contains "$TMP/out" "Garwood"
contains "$TMP/out" "Clopper-Pearson"
[ "$(grep -Ec '^(k80|v100) ' "$TMP/out")" -eq 4 ] && ok || fail "spot-log: expected 4 groups"
#        gpu  gpus launched lost hours hazard/h
grep -Eq '^k80 +1 +25 +23 +97\.3 +0\.2364 \[0\.1498, 0\.3547\] +75 +0\.6667 ' "$TMP/out" \
    && ok || fail "spot-log: k80 1-GPU line"
grep -Eq '^k80 +8 +10 +9 +63\.5 +0\.1417 \[0\.0648, 0\.2690\] +250 +0\.9600 ' "$TMP/out" \
    && ok || fail "spot-log: k80 8-GPU line"
grep -Eq '^v100 +1 +2 +0 +106\.9 +0\.0000 \[0\.0000, 0\.0345\] +2 +0\.0000 ' "$TMP/out" \
    && ok || fail "spot-log: v100 1-GPU line"

# filters, and an explicit FILE
expect 0 "$ORCHSIM" spot-log --gpu v100 --gpus 8 "$L"
[ "$(grep -Ec '^v100 +8 ' "$TMP/out")" -eq 1 ] && [ "$(grep -Ec '^k80 |^v100 +1 ' "$TMP/out")" -eq 0 ] \
    && ok || fail "spot-log: --gpu v100 --gpus 8 printed other groups"

# errors: no such group (lists the groups), missing file, malformed line, usage
expect 2 "$ORCHSIM" spot-log --gpu k80 --gpus 16
contains "$TMP/err" "no instance of type k80 with 16 GPU(s) was launched"
contains "$TMP/err" "k80 (1, 8 GPUs), v100 (1, 8 GPUs)"
expect 2 "$ORCHSIM" spot-log "$TMP/none.log" && contains "$TMP/err" "$TMP/none.log: no such file"
head -3 "$L" >"$TMP/bad.log"
echo '[2020-03-15T10:11:00.000Z] Instance i-0ad196950b57aa7e0 rebooted in zone us-east-1b' >>"$TMP/bad.log"
expect 2 "$ORCHSIM" spot-log "$TMP/bad.log" && contains "$TMP/err" "$TMP/bad.log:4: unknown event"
expect 2 "$ORCHSIM" spot-log --gpus 0 && contains "$TMP/err" "--gpus expects an integer"
expect 2 "$ORCHSIM" spot-log --bogus && contains "$TMP/err" "unknown or incomplete option"
