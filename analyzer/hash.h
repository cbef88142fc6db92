/*
 * hash.h - one fast non-cryptographic hash for every table in the analyzer.
 *
 * Tables keyed by attacker-chosen values (source addresses, DNS ids) get a
 * per-process random seed so that a crafted flood cannot aim at one bucket.
 */
#ifndef DCV_HASH_H
#define DCV_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* dcv_hash_mix() is a 64-bit finalizer (splitmix64): full avalanche. */
static inline uint64_t dcv_hash_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* dcv_hash_bytes() hashes len bytes with a seed, 8 bytes per step. */
static inline uint64_t dcv_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		h = dcv_hash_mix(h ^ v);
		p += 8;
		len -= 8;
	}
	uint64_t tail = 0;
	memcpy(&tail, p, len);
	return dcv_hash_mix(h ^ tail ^ ((uint64_t)len << 56));
}

#endif
