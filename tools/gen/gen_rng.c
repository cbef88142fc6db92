/* gen_rng.c - splitmix64 (Steele, Lea, Flood 2014; public-domain reference by Vigna). */
#include "gen_rng.h"

void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	r->state = seed ^ 0x6a09e667f3bcc909ULL;
}

uint64_t gen_rng_next(struct gen_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t gen_rng_below(struct gen_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	/* multiply-shift: the bias for n far below 2^32 is negligible here */
	return (uint64_t)(((unsigned __int128)gen_rng_next(r) * n) >> 64);
}

uint64_t gen_rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + gen_rng_below(r, hi - lo + 1);
}

int gen_rng_chance(struct gen_rng *r, unsigned per_mille)
{
	return gen_rng_below(r, 1000) < per_mille;
}
