# Sweeps: a 2x2 grid over a tiny packing scenario (2 variants, --seeds 2) gives a
# byte-identical sweep.csv with -j 1, -j 2, two merged shards and 2 MPI ranks;
# grid, shard and merge errors are clear. Sourced by run.sh.

SW=tests/data/sweep/small.json
SWG="--grid workload.tune=0.8,1.2 --grid seed=1,2 --seeds 2 --quiet"

# shellcheck disable=SC2086
expect 0 "$ORCHSIM" sweep "$SW" $SWG -j 1 -o "$TMP/sw-j1"
# 4 points x 2 variants + header; point dirs hold full results
[ "$(wc -l <"$TMP/sw-j1/sweep.csv")" -eq 9 ] && ok || fail "sweep: expected 9 lines in sweep.csv"
contains "$TMP/sw-j1/sweep.csv" "point,workload.tune,seed,variant,arrived_pct,"
contains "$TMP/sw-j1/sweep.csv" "2,1.2,1,fgd,"
[ -f "$TMP/sw-j1/points/3/summary.json" ] && ok || fail "sweep: no points/3/summary.json"
contains "$TMP/sw-j1/sweep.json" '"npoints":	4'
contains "$TMP/sw-j1/sweep.json" '"workload.tune=1.2", "seed=2"'
# --seeds 2 reaches every point: every metric has its _ci95
contains "$TMP/sw-j1/sweep.csv" "gpu_alloc_pct_ci95"

# shellcheck disable=SC2086
expect 0 "$ORCHSIM" sweep "$SW" $SWG -j 2 -o "$TMP/sw-j2"
cmp -s "$TMP/sw-j1/sweep.csv" "$TMP/sw-j2/sweep.csv" && ok || fail "sweep: -j 2 differs from -j 1"

# two shards into one directory, merged
# shellcheck disable=SC2086
expect 0 "$ORCHSIM" sweep "$SW" $SWG --shard 1/2 -o "$TMP/sw-sh"
# shellcheck disable=SC2086
expect 0 "$ORCHSIM" sweep "$SW" $SWG --shard 2/2 -o "$TMP/sw-sh"
[ -f "$TMP/sw-sh/shard-1-of-2.csv" ] && [ ! -f "$TMP/sw-sh/sweep.csv" ] && ok ||
    fail "sweep --shard: expected shard-1-of-2.csv and no sweep.csv"
[ -f "$TMP/sw-sh/points/0/summary.json" ] && [ -f "$TMP/sw-sh/points/1/summary.json" ] && ok ||
    fail "sweep --shard: each shard writes its own points"
expect 0 "$ORCHSIM" merge "$TMP/sw-sh" -o "$TMP/merged.csv"
cmp -s "$TMP/sw-j1/sweep.csv" "$TMP/merged.csv" && ok || fail "merge: differs from the unsharded sweep.csv"
# files instead of the directory; default output DIR/sweep.csv
expect 0 "$ORCHSIM" merge "$TMP/sw-sh/shard-2-of-2.csv" "$TMP/sw-sh/shard-1-of-2.csv" -o "$TMP/merged2.csv"
cmp -s "$TMP/sw-j1/sweep.csv" "$TMP/merged2.csv" && ok || fail "merge of files: differs"
expect 0 "$ORCHSIM" merge "$TMP/sw-sh"
cmp -s "$TMP/sw-j1/sweep.csv" "$TMP/sw-sh/sweep.csv" && ok || fail "merge DIR: differs"

# MPI: 2 ranks, when orchsim-mpi was built (mpicc present) and mpirun exists
if [ -x "${ORCHSIM}-mpi" ] && command -v mpirun >/dev/null 2>&1; then
    MPIRUN="mpirun -n 2"
    [ "$(id -u)" -eq 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
    mpirun --help 2>&1 | grep -q -- --oversubscribe && MPIRUN="$MPIRUN --oversubscribe"
    # shellcheck disable=SC2086
    expect 0 $MPIRUN "${ORCHSIM}-mpi" sweep "$SW" $SWG -o "$TMP/sw-mpi"
    cmp -s "$TMP/sw-j1/sweep.csv" "$TMP/sw-mpi/sweep.csv" && ok || fail "sweep over 2 MPI ranks differs from -j 1"
else
    echo "e2e: skipping the MPI sweep test (no ${ORCHSIM}-mpi or no mpirun; install OpenMPI: openmpi-bin libopenmpi-dev)"
fi

# errors: grid syntax, unknown path (named, once), bad shard, missing shard on merge
expect 2 "$ORCHSIM" sweep "$SW" --grid workload.tune -o "$TMP/sw-bad"
contains "$TMP/err" "--grid 'workload.tune': expected PATH=V1,V2,..."
expect 2 "$ORCHSIM" sweep "$SW" --grid "seed=1,,2" -o "$TMP/sw-bad"
contains "$TMP/err" "value 2 is empty"
expect 2 "$ORCHSIM" sweep "$SW" --grid workload.tunne=0.8,1.2 -o "$TMP/sw-bad"
contains "$TMP/err" "sweep point 0 (--set workload.tunne=0.8): $SW: \$.workload.tunne: unknown key 'tunne' (did you mean 'tune'?)"
[ "$(grep -c tunne "$TMP/err")" -eq 1 ] && ok || fail "sweep: a shared problem should be reported once"
expect 2 "$ORCHSIM" sweep "$SW" --grid workload.tune=0.8,high --grid seed=1,2 -o "$TMP/sw-bad"
contains "$TMP/err" "sweep point 2 (--set workload.tune=high --set seed=1): $SW: \$.workload.tune: expected"
[ ! -e "$TMP/sw-bad" ] && ok || fail "sweep: an invalid grid must not create its directory"
expect 2 "$ORCHSIM" sweep "$SW" --grid seed=1,2 --shard 3/2
contains "$TMP/err" "--shard '3/2': expected 1 <= k <= N"
# a shard of another grid (other seed values) is refused
expect 0 "$ORCHSIM" sweep "$SW" --grid workload.tune=0.8,1.2 --grid seed=1,3 --seeds 2 --quiet \
    --shard 2/2 -o "$TMP/sw-other"
expect 2 "$ORCHSIM" merge "$TMP/sw-sh/shard-1-of-2.csv" "$TMP/sw-other/shard-2-of-2.csv" -o "$TMP/m.csv"
contains "$TMP/err" "describe different sweeps"
rm "$TMP/sw-sh/shard-2-of-2.csv"
expect 2 "$ORCHSIM" merge "$TMP/sw-sh" -o "$TMP/merged3.csv"
contains "$TMP/err" "merge: 1 of 2 shards missing: shard-2-of-2.csv"
expect 2 "$ORCHSIM" merge "$TMP/sw-j1/sweep.csv" -o "$TMP/merged3.csv"
contains "$TMP/err" "cannot tell which shard it is"
