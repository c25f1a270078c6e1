/*
 * fuzz_mig_layout.c - libFuzzer target for the MIG layout parser
 * (models/gpu.h gpu_mig_layout_parse), which reads scenario text
 * (mig_layouts). The input is tried on every MIG family; a successful parse
 * must give 1..7 instances that form a valid layout of that family
 * (gpu_mig_layout_valid), and the same text must parse again to the same
 * layout (deterministic).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/gpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[256];
    if (size >= sizeof text)
        size = sizeof text - 1;
    memcpy(text, data, size);
    text[size] = 0;
    static const enum gpu_mig_family fam[] = {GPU_MIG_FAMILY_NONE, GPU_MIG_A100_40GB,
                                              GPU_MIG_A100_80GB, GPU_MIG_H100_80GB};
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        struct gpu_mig_place a[GPU_MIG_LAYOUT_MAX], b[GPU_MIG_LAYOUT_MAX];
        uint8_t na = 0, nb = 0;
        struct os_error err = {{0}};
        if (gpu_mig_layout_parse(fam[f], text, a, &na, &err) != OS_OK) {
            if (!err.msg[0])
                abort(); /* every refusal says why */
            continue;
        }
        if (na == 0 || na > GPU_MIG_LAYOUT_MAX || !gpu_mig_layout_valid(fam[f], a, na))
            abort();
        if (gpu_mig_layout_parse(fam[f], text, b, &nb, &err) != OS_OK || nb != na ||
            memcmp(a, b, na * sizeof a[0]) != 0)
            abort();
    }
    return 0;
}
