/*
 * addr.h - an IPv4 or IPv6 address as one value type.
 *
 * IPv4 addresses are stored in the first 4 bytes, the rest zero, so that
 * two addresses compare equal with memcmp over the whole struct.
 */
#ifndef DCV_ADDR_H
#define DCV_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"

enum { DCV_ADDR_V4 = 4, DCV_ADDR_V6 = 6 };

/* Longest text form: full IPv6 with embedded IPv4, plus NUL. */
#define DCV_ADDR_TEXT_MAX 46

struct dcv_addr {
	uint8_t family;    /* DCV_ADDR_V4 or DCV_ADDR_V6 */
	uint8_t pad_[3];   /* always zero */
	uint8_t bytes[16]; /* network order; v4 uses bytes[0..3], rest zero */
};

/* dcv_addr_v4() builds an IPv4 address from 4 network-order bytes. */
struct dcv_addr dcv_addr_v4(const uint8_t *b4);

/* dcv_addr_v6() builds an IPv6 address from 16 network-order bytes. */
struct dcv_addr dcv_addr_v6(const uint8_t *b16);

/* dcv_addr_equal() compares family and bytes. Inline: every table lookup
 * of the per-packet path calls it. */
static inline bool dcv_addr_equal(const struct dcv_addr *a, const struct dcv_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0; /* a fixed size: compiled to loads */
}

/* dcv_addr_hash() mixes the address into a 64-bit hash with the seed. */
static inline uint64_t dcv_addr_hash(const struct dcv_addr *a, uint64_t seed)
{
	return dcv_hash_table(a->bytes, sizeof(a->bytes), seed ^ a->family);
}

/* dcv_addr_format() writes the text form (inet_ntop) into buf of at least
 * DCV_ADDR_TEXT_MAX bytes and returns buf. Never fails. */
char *dcv_addr_format(const struct dcv_addr *a, char *buf, size_t len);

/* dcv_addr_parse() parses IPv4 or IPv6 text; returns true on success and
 * leaves *out unchanged on failure. */
bool dcv_addr_parse(const char *text, struct dcv_addr *out);

#endif
