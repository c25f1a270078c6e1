/* rng.c - derivation of per-component GSL streams from the scenario seed. */
#include "sim/rng.h"

static uint64_t splitmix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

uint64_t rng_derive_seed(uint64_t seed, const char *component, uint64_t index)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)component; *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    return splitmix64(splitmix64(seed ^ h) ^ splitmix64(index + UINT64_C(0x632be59bd9b4e019)));
}

int rng_init(struct rng *s, uint64_t seed, const char *component, uint64_t index,
             struct os_error *err)
{
    s->seed = rng_derive_seed(seed, component, index);
    s->r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!s->r)
        return os_errorf(err, OS_ENOMEM, "rng: cannot allocate stream '%s'", component);
    /* MT19937 takes 32 bits of seed; fold the 64-bit derived seed into them.
     * GSL maps seed 0 to its default seed, so 0 is avoided. */
    unsigned long s32 = (unsigned long)((s->seed ^ (s->seed >> 32)) & 0xffffffffu);
    gsl_rng_set(s->r, s32 ? s32 : 1);
    return OS_OK;
}

void rng_destroy(struct rng *s)
{
    if (s->r)
        gsl_rng_free(s->r);
    s->r = NULL;
}
