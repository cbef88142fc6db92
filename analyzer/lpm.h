/*
 * lpm.h - longest-prefix match over IPv4 and IPv6 prefixes, built once from a
 * list and then read-only.
 *
 * Representation (both families): the prefixes are flattened into sorted,
 * disjoint address ranges, each carrying the value of the longest prefix that
 * covers it (LPM_NONE for the gaps); adjacent ranges with the same value are
 * merged, so n prefixes give at most 2n+1 ranges. A direct index on 16
 * address bits narrows every lookup to the ranges starting in one bucket (for
 * IPv4 the top 16 bits; for IPv6 the 16 bits after the leading bits that all
 * loaded prefixes share, up to 48 of them); a binary search over those
 * finishes it. Lookup
 * cost: one index read plus log2(ranges in the bucket) compares, no
 * allocation, no recursion.
 */
#ifndef DCV_LPM_H
#define DCV_LPM_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define LPM_NONE UINT32_MAX /* lookup result when no prefix covers the address */

/* One prefix to load: host bits beyond len are ignored (masked). */
struct lpm_prefix {
	uint8_t family; /* DCV_ADDR_V4 or DCV_ADDR_V6 */
	uint8_t len;    /* 0..32 or 0..128 */
	uint8_t bytes[16];
	uint32_t value; /* anything but LPM_NONE */
};

struct lpm;

/*
 * lpm_build() builds the structure from n prefixes (the array is not kept).
 * When the same prefix appears twice, the later one in the array wins.
 * Prefixes with a bad family or length are ignored. Returns NULL on
 * allocation failure.
 */
struct lpm *lpm_build(const struct lpm_prefix *prefixes, size_t n);

/* lpm_free() frees. NULL is a no-op. */
void lpm_free(struct lpm *t);

/* lpm_lookup() returns the value of the longest prefix covering addr, or
 * LPM_NONE. t may be NULL (nothing matches). Never allocates. */
uint32_t lpm_lookup(const struct lpm *t, const struct dcv_addr *addr);

/* lpm_memory() returns the bytes the built structure occupies. */
size_t lpm_memory(const struct lpm *t);

/* lpm_ranges() returns the number of ranges of one family (for tests and the
 * benchmark). */
size_t lpm_ranges(const struct lpm *t, int family);

#endif
