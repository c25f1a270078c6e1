#!/bin/sh
# End-to-end tests: run the built orchsim on real scenarios and traces and
# check exit codes, messages and results. Usage: ORCHSIM=build/orchsim tests/e2e/run.sh
set -u
ORCHSIM=${ORCHSIM:-build/orchsim}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
pass=0

ok() { pass=$((pass + 1)); }
fail() { echo "e2e FAIL: $*" >&2; fails=$((fails + 1)); }

# expect CODE CMD... : runs CMD, stdout to $TMP/out, stderr to $TMP/err.
expect() {
    want=$1; shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "exit $got (want $want): $*"; sed 's/^/  | /' "$TMP/err" | head -5 >&2
        return 1
    fi
    ok
}
# contains FILE TEXT
contains() {
    if grep -qF -- "$2" "$1"; then ok; else fail "$1 lacks '$2'"; sed 's/^/  | /' "$1" | head -5 >&2; fi
}

for f in tests/e2e/*.sh; do
    [ "$f" = tests/e2e/run.sh ] && continue
    . "$f"
done

echo "e2e: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
