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

/* dcv_hash_mum() multiplies into 128 bits and folds the halves. */
static inline uint64_t dcv_hash_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t dcv_hash_read8(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t dcv_hash_read4(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* dcv_hash_table() hashes len bytes with a seed for in-memory tables: 16
 * bytes per 128-bit multiply (the construction of wyhash), no loop for up
 * to 16 bytes. Both operands of every multiply are mixed with words drawn
 * from the seed, so that without the seed no input forces a zero product.
 * Values may change between versions: never store them (dcv_hash_bytes()
 * is the stable one). */
static inline uint64_t dcv_hash_table(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t s1 = seed ^ 0xa0761d6478bd642fULL;
	uint64_t s2 = (seed << 32 | seed >> 32) ^ 0xe7037ed1a0b428dbULL;
	uint64_t a, b;
	if (len <= 16) {
		if (len >= 4) {
			size_t q = (len >> 3) << 2; /* 0, or 4 when len >= 8 */
			a = dcv_hash_read4(p) << 32 | dcv_hash_read4(p + q);
			b = dcv_hash_read4(p + len - 4) << 32 | dcv_hash_read4(p + len - 4 - q);
		} else if (len > 0) {
			a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 | p[len - 1];
			b = 0;
		} else {
			a = b = 0;
		}
	} else {
		size_t i = len;
		do {
			s2 = dcv_hash_mum(dcv_hash_read8(p) ^ s1, dcv_hash_read8(p + 8) ^ s2);
			p += 16;
			i -= 16;
		} while (i > 16);
		/* the last 16 bytes, overlapping what the loop read */
		a = dcv_hash_read8(p + i - 16);
		b = dcv_hash_read8(p + i - 8);
	}
	return dcv_hash_mum(s1 ^ len, dcv_hash_mum(a ^ s1, b ^ s2) ^ s2);
}

#endif
