/*
 * test_lpm.c - longest-prefix match: exact answers for hand-made nestings,
 * edges of the address space, duplicates, and agreement with a brute-force
 * linear scan over 10k random prefixes and 100k random addresses per family.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lpm.h"

static struct lpm_prefix pfx(const char *text, unsigned len, uint32_t value)
{
	struct lpm_prefix p;
	memset(&p, 0, sizeof(p));
	struct dcv_addr a;
	cr_assert(dcv_addr_parse(text, &a), "bad address %s", text);
	p.family = a.family;
	p.len = (uint8_t)len;
	memcpy(p.bytes, a.bytes, 16);
	p.value = value;
	return p;
}

static uint32_t look(const struct lpm *t, const char *text)
{
	struct dcv_addr a;
	cr_assert(dcv_addr_parse(text, &a), "bad address %s", text);
	return lpm_lookup(t, &a);
}

Test(lpm, nested_prefixes_answer_the_longest)
{
	struct lpm_prefix p[] = {
	    pfx("10.0.0.0", 8, 1),      pfx("10.1.0.0", 16, 2),       pfx("10.1.2.0", 24, 3),
	    pfx("10.1.2.128", 25, 4),   pfx("10.1.2.255", 32, 5),     pfx("2001:db8::", 32, 6),
	    pfx("2001:db8:1::", 48, 7), pfx("2001:db8:1::1", 128, 8),
	};
	struct lpm *t = lpm_build(p, sizeof(p) / sizeof(p[0]));
	cr_assert_not_null(t);
	cr_expect_eq(look(t, "9.255.255.255"), LPM_NONE);
	cr_expect_eq(look(t, "10.0.0.0"), 1);
	cr_expect_eq(look(t, "10.1.0.0"), 2);
	cr_expect_eq(look(t, "10.1.1.255"), 2);
	cr_expect_eq(look(t, "10.1.2.0"), 3);
	cr_expect_eq(look(t, "10.1.2.127"), 3);
	cr_expect_eq(look(t, "10.1.2.128"), 4);
	cr_expect_eq(look(t, "10.1.2.254"), 4);
	cr_expect_eq(look(t, "10.1.2.255"), 5);
	cr_expect_eq(look(t, "10.1.3.0"), 2);
	cr_expect_eq(look(t, "10.2.0.0"), 1);
	cr_expect_eq(look(t, "10.255.255.255"), 1);
	cr_expect_eq(look(t, "11.0.0.0"), LPM_NONE);
	cr_expect_eq(look(t, "2001:db8::5"), 6);
	cr_expect_eq(look(t, "2001:db8:1::"), 7);
	cr_expect_eq(look(t, "2001:db8:1::1"), 8);
	cr_expect_eq(look(t, "2001:db8:1::2"), 7);
	cr_expect_eq(look(t, "2001:db8:2::"), 6);
	cr_expect_eq(look(t, "2001:db9::"), LPM_NONE);
	/* families do not leak into each other: ::a00:1 is not 10.0.0.1 */
	cr_expect_eq(look(t, "::a00:1"), LPM_NONE);
	lpm_free(t);
}

Test(lpm, space_edges_and_default_routes)
{
	struct lpm_prefix p[] = {
	    pfx("0.0.0.0", 0, 1),
	    pfx("255.255.255.255", 32, 2),
	    pfx("0.0.0.0", 32, 3),
	    pfx("::", 0, 4),
	    pfx("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, 5),
	    pfx("ffff::", 16, 6),
	};
	struct lpm *t = lpm_build(p, sizeof(p) / sizeof(p[0]));
	cr_assert_not_null(t);
	cr_expect_eq(look(t, "0.0.0.0"), 3);
	cr_expect_eq(look(t, "0.0.0.1"), 1);
	cr_expect_eq(look(t, "255.255.255.254"), 1);
	cr_expect_eq(look(t, "255.255.255.255"), 2);
	cr_expect_eq(look(t, "::"), 4);
	cr_expect_eq(look(t, "fffe::"), 4);
	cr_expect_eq(look(t, "ffff::1"), 6);
	cr_expect_eq(look(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), 6);
	cr_expect_eq(look(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 5);
	lpm_free(t);
}

Test(lpm, host_bits_are_masked_and_later_duplicates_win)
{
	struct lpm_prefix p[] = {pfx("192.0.2.77", 24, 1), pfx("192.0.2.0", 24, 2),
	                         pfx("2001:db8::ffff", 64, 3), pfx("2001:db8::", 64, 4)};
	struct lpm *t = lpm_build(p, 4);
	cr_assert_not_null(t);
	cr_expect_eq(look(t, "192.0.2.1"), 2);
	cr_expect_eq(look(t, "2001:db8::1"), 4);
	cr_expect_eq(lpm_ranges(t, DCV_ADDR_V4), 3); /* none, 2, none */
	lpm_free(t);
}

Test(lpm, empty_and_null_tables_match_nothing)
{
	struct lpm *t = lpm_build(NULL, 0);
	cr_assert_not_null(t);
	cr_expect_eq(look(t, "1.2.3.4"), LPM_NONE);
	cr_expect_eq(look(t, "::1"), LPM_NONE);
	lpm_free(t);
	cr_expect_eq(look(NULL, "1.2.3.4"), LPM_NONE);
}

/* ---- brute force --------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static bool covers(const struct lpm_prefix *p, const uint8_t *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->bytes, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));
	return (p->bytes[full] & m) == (a[full] & m);
}

static uint32_t brute(const struct lpm_prefix *p, size_t n, const struct dcv_addr *a)
{
	int best = -1;
	uint32_t v = LPM_NONE;
	for (size_t i = 0; i < n; i++) {
		if (p[i].family != a->family || !covers(&p[i], a->bytes))
			continue;
		if ((int)p[i].len >= best) { /* >=: a later duplicate wins */
			best = p[i].len;
			v = p[i].value;
		}
	}
	return v;
}

/* Random prefixes drawn near each other (a few /8 or /16 roots) so that
 * nesting is common, plus random lengths in [minlen, maxlen]. */
static bool cluster; /* IPv6 prefixes all inside 2001:db8::/32 */

static void random_prefixes(struct lpm_prefix *p, size_t n, int family)
{
	unsigned width = family == DCV_ADDR_V4 ? 4 : 16;
	unsigned minlen = family == DCV_ADDR_V4 ? 8 : 16, maxlen = width * 8;
	for (size_t i = 0; i < n; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].family = (uint8_t)family;
		for (unsigned b = 0; b < width; b++)
			p[i].bytes[b] = (uint8_t)rnd();
		p[i].bytes[0] = (uint8_t)(10 + rnd() % 4); /* 4 roots: lots of overlap */
		p[i].len = (uint8_t)(minlen + rnd() % (maxlen - minlen + 1));
		if (cluster) {
			static const uint8_t db8[4] = {0x20, 0x01, 0x0d, 0xb8};
			memcpy(p[i].bytes, db8, 4);
			p[i].len = (uint8_t)(32 + rnd() % (128 - 32 + 1));
		}
		unsigned full = p[i].len / 8, rest = p[i].len % 8;
		if (full < 16) {
			if (rest)
				p[i].bytes[full] &= (uint8_t)(0xff << (8 - rest));
			else
				p[i].bytes[full] = 0;
			for (unsigned b = full + 1; b < 16; b++)
				p[i].bytes[b] = 0;
		}
		p[i].value = (uint32_t)i;
	}
}

static void brute_force_agrees(int family)
{
	enum { NPREFIX = 10000, NLOOKUP = 100000 };
	struct lpm_prefix *p = calloc(NPREFIX, sizeof(*p));
	cr_assert_not_null(p);
	random_prefixes(p, NPREFIX, family);
	struct lpm *t = lpm_build(p, NPREFIX);
	cr_assert_not_null(t);
	unsigned width = family == DCV_ADDR_V4 ? 4 : 16, hits = 0;
	for (unsigned i = 0; i < NLOOKUP; i++) {
		struct dcv_addr a;
		memset(&a, 0, sizeof(a));
		a.family = (uint8_t)family;
		if (i % 2 == 0) {
			/* inside or next to a loaded prefix */
			const struct lpm_prefix *q = &p[rnd() % NPREFIX];
			memcpy(a.bytes, q->bytes, width);
			for (unsigned b = q->len / 8; b < width; b++)
				a.bytes[b] ^= (uint8_t)(rnd() & (i % 4 == 0 ? 0xff : 0x01));
		} else {
			for (unsigned b = 0; b < width; b++)
				a.bytes[b] = (uint8_t)rnd();
			a.bytes[0] = (uint8_t)(9 + rnd() % 6);
			if (cluster && i % 3 == 0) /* inside the cluster's /32, or just outside */
				memcpy(a.bytes, "\x20\x01\x0d\xb8", 4),
				    a.bytes[3] ^= (uint8_t)(rnd() % 2);
			else if (cluster && i % 3 == 1)
				a.bytes[0] = (uint8_t)(0x1f + rnd() % 3);
		}
		uint32_t want = brute(p, NPREFIX, &a);
		uint32_t got = lpm_lookup(t, &a);
		char text[DCV_ADDR_TEXT_MAX];
		cr_assert_eq(got, want, "%s: lpm %u, linear scan %u",
		             dcv_addr_format(&a, text, sizeof(text)), got, want);
		hits += want != LPM_NONE;
	}
	cr_expect_gt(hits, NLOOKUP / 4, "the test must exercise matches (%u)", hits);
	cr_expect_lt(hits, NLOOKUP, "and misses");
	lpm_free(t);
	free(p);
}

Test(lpm, ipv4_agrees_with_linear_scan)
{
	brute_force_agrees(DCV_ADDR_V4);
}

Test(lpm, ipv6_agrees_with_linear_scan)
{
	brute_force_agrees(DCV_ADDR_V6);
}

Test(lpm, ipv6_clustered_in_one_prefix_agrees_with_linear_scan)
{
	cluster = true; /* exercises the skipped index bits and the outside buckets */
	brute_force_agrees(DCV_ADDR_V6);
}
