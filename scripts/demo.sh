#!/bin/sh
# demo.sh ORCHSIM - run the flagship ECS-vs-EKS comparison, then every other
# shipped scenario, and say where the results went. make demo calls this after
# building.
set -eu
ORCHSIM=${1:-build/orchsim}
cd "$(dirname "$0")/.."
for s in scenarios/ecs-vs-eks.json $(ls scenarios/*.json | grep -v '/ecs-vs-eks.json$'); do
    name=$(basename "$s" .json)
    echo "== orchsim run $s"
    start=$(date +%s)
    "$ORCHSIM" run "$s"
    end=$(date +%s)
    echo "   results/$name/ ($((end - start)) s):"
    ls "results/$name" | sed 's/^/     /'
done
echo
echo "The flagship report: results/ecs-vs-eks/report.md and results/ecs-vs-eks/report.html"
