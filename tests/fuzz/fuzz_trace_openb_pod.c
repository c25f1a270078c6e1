/* fuzz_trace_openb_pod.c - libFuzzer target for the openb_pod trace reader (see
 * fuzz_trace_common.h). */
#include "tests/fuzz/fuzz_trace_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_trace_run(data, size, TRACE_OPENB_POD);
}
