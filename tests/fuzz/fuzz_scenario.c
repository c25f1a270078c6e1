/* libFuzzer target: the scenario loader (JSON parse, schema decode, --set)
 * and, for a simulation that loads, the catalog checks of sim_check (instance
 * types, GPU shares, MIG layouts) against the shipped catalog. The first line
 * of the input, when it starts with "--set ", is applied as an override, so
 * the fuzzer explores overrides as well as documents. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/catalog.h"
#include "models/sim.h"
#include "sim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scenario sc;
    static struct schema_diag d;
    char set[256];
    const char *sets[1];
    size_t nsets = 0;
    if (size > 6 && memcmp(data, "--set ", 6) == 0) {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - data) - 6 : size - 6;
        if (n >= sizeof set)
            n = sizeof set - 1;
        memcpy(set, data + 6, n);
        set[n] = '\0';
        sets[0] = set;
        nsets = 1;
        size_t skip = nl ? (size_t)(nl - data) + 1 : size;
        data += skip;
        size -= skip;
    }
    static struct catalog cat;
    static int cat_state; /* 0 not tried, 1 loaded, -1 failed */
    if (!cat_state) {
        struct os_error err;
        cat_state = catalog_load(&cat, "scenarios/catalog/aws-instances.json", &err) ? -1 : 1;
        if (cat_state < 0)
            fprintf(stderr,
                    "fuzz_scenario: %s (run from the project root): sim_check is not "
                    "fuzzed\n",
                    err.msg);
    }
    memset(&d, 0, sizeof d);
    if (scenario_load_text("fuzz.json", (const char *)data, size, sets, nsets, &sc, &d) == 0 &&
        sc.kind == SCENARIO_SIMULATION && cat_state == 1) {
        memset(&d, 0, sizeof d);
        sim_check(&sc, &cat, &d);
    }
    return 0;
}
