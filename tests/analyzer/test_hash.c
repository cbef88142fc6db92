/* test_hash.c - the table hash: every byte counts, seeds count, addresses spread. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "hash.h"

Test(hash_table, same_input_same_value_other_seed_other_value)
{
	const char *n = "_acme-challenge.www.example.com";
	cr_assert_eq(dcv_hash_table(n, strlen(n), 7), dcv_hash_table(n, strlen(n), 7));
	cr_assert_neq(dcv_hash_table(n, strlen(n), 7), dcv_hash_table(n, strlen(n), 8));
	/* a prefix is another key */
	cr_assert_neq(dcv_hash_table(n, 16, 7), dcv_hash_table(n, 17, 7));
}

Test(hash_table, every_byte_of_every_length_changes_the_value)
{
	uint8_t buf[80];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 1; len <= 64; len++) {
		uint64_t base = dcv_hash_table(buf, len, 0x1234);
		for (size_t i = 0; i < len; i++) {
			buf[i] ^= 0x20; /* what lowercasing would change */
			cr_assert_neq(dcv_hash_table(buf, len, 0x1234), base, "len %zu byte %zu",
			              len, i);
			buf[i] ^= 0x20;
		}
		/* bytes past len are not read into the value */
		buf[len] ^= 0xff;
		cr_assert_eq(dcv_hash_table(buf, len, 0x1234), base, "len %zu", len);
		buf[len] ^= 0xff;
	}
	cr_assert_neq(dcv_hash_table(buf, 0, 1), dcv_hash_table(buf, 0, 2));
}

Test(hash_table, consecutive_addresses_spread_over_the_chains)
{
	/* 65536 neighbouring IPv4 sources, as a /16 scan sends them, into 4096
	 * chains by the low bits: about 16 each, none far above */
	enum { CHAINS = 4096, N = 65536 };
	static uint32_t load[CHAINS];
	memset(load, 0, sizeof(load));
	for (uint32_t i = 0; i < N; i++) {
		struct dcv_addr a = {.family = DCV_ADDR_V4};
		a.bytes[0] = 198;
		a.bytes[1] = 51;
		a.bytes[2] = (uint8_t)(i >> 8);
		a.bytes[3] = (uint8_t)i;
		load[dcv_addr_hash(&a, 0x9e3779b97f4a7c15ULL) & (CHAINS - 1)]++;
	}
	uint32_t max = 0;
	for (unsigned i = 0; i < CHAINS; i++)
		if (load[i] > max)
			max = load[i];
	cr_assert_lt(max, 40, "longest chain %u (16 on average)", max);
	/* the family is part of the key: v4 0.0.0.0 is not v6 :: */
	struct dcv_addr v4 = {.family = DCV_ADDR_V4}, v6 = {.family = DCV_ADDR_V6};
	cr_assert_neq(dcv_addr_hash(&v4, 1), dcv_addr_hash(&v6, 1));
}
