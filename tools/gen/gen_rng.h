/*
 * gen_rng.h - the generator's own deterministic PRNG (splitmix64).
 *
 * Captures must be byte-identical for a given seed on every platform, so
 * the generator never uses rand(): every random choice goes through one
 * struct gen_rng that lives in the generator context.
 */
#ifndef DCV_GEN_RNG_H
#define DCV_GEN_RNG_H

#include <stdint.h>

struct gen_rng {
	uint64_t state;
};

/* gen_rng_seed() starts the sequence for seed; the same seed gives the same sequence. */
void gen_rng_seed(struct gen_rng *r, uint64_t seed);

/* gen_rng_next() returns the next 64 random bits. */
uint64_t gen_rng_next(struct gen_rng *r);

/* gen_rng_below() returns a value in [0, n); n = 0 returns 0. */
uint64_t gen_rng_below(struct gen_rng *r, uint64_t n);

/* gen_rng_range() returns a value in [lo, hi] (hi >= lo). */
uint64_t gen_rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi);

/* gen_rng_chance() returns 1 with probability per_mille / 1000. */
int gen_rng_chance(struct gen_rng *r, unsigned per_mille);

#endif
