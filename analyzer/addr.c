/* addr.c - IPv4/IPv6 address value type. */
#include "addr.h"

#include <arpa/inet.h>
#include <string.h>

#include "hash.h"

struct dcv_addr dcv_addr_v4(const uint8_t *b4)
{
	struct dcv_addr a;
	memset(&a, 0, sizeof(a));
	a.family = DCV_ADDR_V4;
	memcpy(a.bytes, b4, 4);
	return a;
}

struct dcv_addr dcv_addr_v6(const uint8_t *b16)
{
	struct dcv_addr a;
	memset(&a, 0, sizeof(a));
	a.family = DCV_ADDR_V6;
	memcpy(a.bytes, b16, 16);
	return a;
}

/* The dotted quad of b, as inet_ntop() writes it; buf holds at least 16. */
static void format_v4(const uint8_t *b, char *buf)
{
	char *p = buf;
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

char *dcv_addr_format(const struct dcv_addr *a, char *buf, size_t len)
{
	/* every stored row formats its addresses: no printf for IPv4 */
	if (a->family != DCV_ADDR_V6 && len >= 16) {
		format_v4(a->bytes, buf);
		return buf;
	}
	int af = a->family == DCV_ADDR_V6 ? AF_INET6 : AF_INET;
	if (inet_ntop(af, a->bytes, buf, (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
	return buf;
}

bool dcv_addr_parse(const char *text, struct dcv_addr *out)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, text, b) == 1) {
		*out = dcv_addr_v4(b);
		return true;
	}
	if (inet_pton(AF_INET6, text, b) == 1) {
		*out = dcv_addr_v6(b);
		return true;
	}
	return false;
}
