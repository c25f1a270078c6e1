# trace stats on every shipped trace, and errors. Sourced by run.sh.
T=scenarios/traces
for spec in \
    "openb_node $T/alibaba-gpu-2023-openb/openb_node_list_gpu_node.csv 1213" \
    "openb_node $T/alibaba-gpu-2023-openb/openb_node_list_all_node.csv 1523" \
    "openb_pod $T/alibaba-gpu-2023-openb/openb_pod_list_default.csv 8152" \
    "openb_pod $T/alibaba-gpu-2023-openb/openb_pod_list_multigpu50.csv 9061" \
    "dlrm $T/alibaba-gpu-2025-dlrm/disaggregated_DLRM_trace.csv 23871" \
    "azure_llm $T/azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv 8819" \
    "azure_llm $T/azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv 19366" \
    "spot_price $T/aws-spot-gpu-prices-2020/aws_spot_gpu_prices_flat.csv 16560" \
    "philly $T/philly-2017-job-runtimes/philly_runtime.csv 83154" \
    "pai_machine $T/alibaba-pai-2020-machines/pai_machine_spec.csv 1897"; do
    set -- $spec
    expect 0 "$ORCHSIM" trace stats "$2" --format "$1" && contains "$TMP/out" "$3"
done
# every openb pod list reads
for f in $T/alibaba-gpu-2023-openb/openb_pod_list_*.csv; do
    expect 0 "$ORCHSIM" trace stats "$f" --format openb_pod
done
expect 2 "$ORCHSIM" trace stats "$T/none.csv" --format philly && contains "$TMP/err" "none.csv"
expect 2 "$ORCHSIM" trace stats "$T/philly-2017-job-runtimes/philly_runtime.csv" --format phily
contains "$TMP/err" "unknown format 'phily'"
printf 'runtime\n12.0\nabc\n13.0\n' >"$TMP/bad.csv"
expect 2 "$ORCHSIM" trace stats "$TMP/bad.csv" --format philly && contains "$TMP/err" "$TMP/bad.csv:3"
expect 0 "$ORCHSIM" trace stats "$TMP/bad.csv" --format philly --skip-malformed
