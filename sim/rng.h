/*
 * rng.h - seeded random streams, one per named model component.
 *
 * Every stream's seed is derived from (scenario seed, component name, index)
 * by a fixed hash (FNV-1a over the name, mixed with SplitMix64), so a stream's
 * draws depend only on those three values: adding a component, or drawing more
 * from one, never changes another component's numbers. Variants of one
 * scenario derive their workload streams from the same names and therefore see
 * the same arrivals and job sizes (common random numbers).
 *
 * The generator is GSL's MT19937. Callers draw with the GSL API on rng->r
 * (gsl_rng_uniform, gsl_ran_exponential, ...).
 */
#ifndef ORCHSIM_RNG_H
#define ORCHSIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/os_err.h"

struct rng {
    gsl_rng *r;    /* owned */
    uint64_t seed; /* the derived seed */
};

/* The seed of stream (seed, component, index). Pure function. */
uint64_t rng_derive_seed(uint64_t seed, const char *component, uint64_t index);

/* Creates the stream for (seed, component, index). */
int rng_init(struct rng *s, uint64_t seed, const char *component, uint64_t index,
             struct os_error *err);

void rng_destroy(struct rng *s);

#endif
