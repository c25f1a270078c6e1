#!/bin/sh
# demo.sh ORCHSIM - run every shipped scenario and say where the results went.
# (make demo calls this after building; later the flagship ECS-vs-EKS comparison
# becomes the headline scenario.)
set -eu
ORCHSIM=${1:-build/orchsim}
cd "$(dirname "$0")/.."
for s in scenarios/*.json; do
    name=$(basename "$s" .json)
    echo "== orchsim run $s"
    start=$(date +%s)
    "$ORCHSIM" run "$s"
    end=$(date +%s)
    echo "   results/$name/ ($((end - start)) s):"
    ls "results/$name" | sed 's/^/     /'
done
