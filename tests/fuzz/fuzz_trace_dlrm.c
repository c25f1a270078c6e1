/* fuzz_trace_dlrm.c - libFuzzer target for the dlrm trace reader (see fuzz_trace_common.h). */
#include "tests/fuzz/fuzz_trace_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_trace_run(data, size, TRACE_DLRM);
}
