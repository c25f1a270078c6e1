/*
 * fuzz_spot_log.c - libFuzzer target for the spot availability log reader
 * (models/spot.h spot_log_read). The input is written to a temporary file
 * (the reader takes a path) and read; a successful read must give groups whose
 * counts are consistent (lost <= launched, exposure >= 0), and every estimate
 * of a listed group must succeed with a hazard inside its interval.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "models/spot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz-spot-log-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    struct spot_log log;
    struct os_error err;
    if (spot_log_read(&log, path, &err) == OS_OK) {
        struct spot_log_group g[16];
        size_t n = spot_log_groups(&log, g, 16);
        for (size_t i = 0; i < n && i < 16; i++) {
            struct spot_log_estimate e;
            if (spot_log_estimate_group(&log, g[i].gpu_type, g[i].gpus, &e, &err) != OS_OK)
                continue; /* a group with failed launches only has no instance */
            if (e.lost > e.launched || e.instance_hours < 0 ||
                (e.instance_hours > 0 &&
                 !(e.hazard_lo <= e.hazard_per_hour && e.hazard_per_hour <= e.hazard_hi)))
                abort();
        }
        spot_log_destroy(&log);
    }
    unlink(path);
    return 0;
}
