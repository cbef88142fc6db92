/*
 * fuzz_dns_parse.c - libFuzzer target for the DNS wire parser.
 *
 * Feeds the input to dns_parse() and dns_name_to_text() (at the question,
 * at the end, and at offsets taken from the input), and aborts when a
 * promise of dns_parse.h does not hold: the return value is within the
 * input, qname is a string of qname_len bytes, a success without trailing
 * bytes consumed everything, name lengths stay within their limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcv_error.h"
#include "dns_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const uint8_t *data, size_t size, size_t off)
{
	char text[DNS_NAME_TEXT_MAX];
	bool mixed = false;
	int r = dns_name_to_text(data, size, off, text, &mixed);
	size_t n = strnlen(text, sizeof(text));
	if (n >= sizeof(text))
		abort();
	if (r < 0) {
		if (n != 0 || mixed || r < -DCV_ERROR_COUNT)
			abort();
		return;
	}
	/* compressed length at off: at least one byte, inside the input */
	if (r == 0 || off + (size_t)r > size || n == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size copy so that ASan sees any read past the end */
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);

	struct dns_msg m;
	int r = dns_parse(p, size, &m);
	if (r >= 0) {
		if (!m.header_ok || (size_t)r > size || r < DNS_HEADER_SIZE)
			abort();
		if (m.trailing != ((size_t)r < size))
			abort();
		if (strlen(m.qname) != (m.has_question ? m.qname_len : 0))
			abort();
		if (m.has_question &&
		    (m.qname_wire_len == 0 || m.qname_wire_len > DNS_NAME_WIRE_MAX))
			abort();
		if (!m.has_edns && m.rcode != m.header_rcode)
			abort();
		if (m.records == 0 && m.min_ttl != UINT32_MAX)
			abort();
	} else {
		if (r < -DCV_ERROR_COUNT || m.header_ok != (size >= DNS_HEADER_SIZE))
			abort();
		if (m.header_ok && !memchr(m.qname, 0, sizeof(m.qname)))
			abort();
	}

	check_name(p, size, DNS_HEADER_SIZE);
	if (size > 0) {
		check_name(p, size, size - 1);
		check_name(p, size, p[0] % size);
		check_name(p, size, ((size_t)p[size - 1] << 8 | p[0]) % size);
	}
	check_name(p, size, size);
	free(p);
	return 0;
}
