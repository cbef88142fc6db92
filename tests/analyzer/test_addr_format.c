/* test_addr_format.c - dcv_addr_format() writes what inet_ntop() writes:
 * stored addresses are keys, and files written before stay comparable. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

static void assert_as_inet_ntop(const struct dcv_addr *a)
{
	char want[INET6_ADDRSTRLEN], got[DCV_ADDR_TEXT_MAX];
	int af = a->family == DCV_ADDR_V6 ? AF_INET6 : AF_INET;
	cr_assert_not_null(inet_ntop(af, a->bytes, want, sizeof(want)));
	cr_assert_str_eq(dcv_addr_format(a, got, sizeof(got)), want);
}

Test(addr_format, every_octet_value_in_every_position_of_ipv4)
{
	for (int pos = 0; pos < 4; pos++)
		for (int v = 0; v < 256; v++) {
			uint8_t b[4] = {10, 0, 200, 99};
			b[pos] = (uint8_t)v;
			struct dcv_addr a = dcv_addr_v4(b);
			assert_as_inet_ntop(&a);
		}
	const uint8_t extremes[][4] = {{0, 0, 0, 0}, {255, 255, 255, 255}, {1, 10, 100, 109}};
	for (size_t i = 0; i < sizeof(extremes) / sizeof(extremes[0]); i++) {
		struct dcv_addr a = dcv_addr_v4(extremes[i]);
		assert_as_inet_ntop(&a);
	}
}

Test(addr_format, pseudo_random_ipv4_and_ipv6)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 20000; i++) {
		uint8_t b[16];
		for (int k = 0; k < 16; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* zero runs, so that IPv6 compression is exercised */
			b[k] = (x & 3) == 0 ? 0 : (uint8_t)(x >> 24);
		}
		struct dcv_addr v4 = dcv_addr_v4(b), v6 = dcv_addr_v6(b);
		assert_as_inet_ntop(&v4);
		assert_as_inet_ntop(&v6);
	}
}

Test(addr_format, a_short_buffer_gets_a_cut_or_empty_string_never_an_overrun)
{
	uint8_t b[4] = {192, 168, 100, 200};
	struct dcv_addr a = dcv_addr_v4(b);
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	dcv_addr_format(&a, buf, sizeof(buf));
	cr_assert(memchr(buf, '\0', sizeof(buf)) != NULL);
}
