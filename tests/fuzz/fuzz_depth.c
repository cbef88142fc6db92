/*
 * fuzz_depth.c - libFuzzer target for the deeper look at answers: the input
 * is one complete answer handed to depth.c four ways (a DNSKEY answer, a
 * DO=1 answer of a validator, a CAA answer of a validator and of its
 * parent name), then judged (ldns parsing, DNSSEC verification, CAA
 * records, the RFC 8659 climb); its text is also parsed as a CAA issue
 * value. Aborts when a verdict is out of its enum or a result string is not
 * terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caa.h"
#include "depth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hand(struct depth *d, const uint8_t *data, size_t size, const char *qname,
                 uint16_t qtype, const char *ca)
{
	struct depth_txn t = {.ts_ns = 1790000000ULL * 1000000000ULL,
	                      .qname = qname,
	                      .qtype = qtype,
	                      .do_bit = true,
	                      .ca = ca,
	                      .rcode = size >= 4 ? data[3] & 0x0f : 0,
	                      .wire = data,
	                      .len = (uint32_t)size};
	depth_txn(d, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535)
		return 0;
	struct depth *d = depth_new(NULL);
	if (d == NULL)
		return 0;
	hand(d, data, size, "example.test", DNS_TYPE_DNSKEY, NULL);
	hand(d, data, size, "www.example.test", DNS_TYPE_A, "letsencrypt");
	hand(d, data, size, "www.example.test", DNS_TYPE_CAA, "letsencrypt");
	hand(d, data, size, "example.test", DNS_TYPE_CAA, "digicert");
	depth_finish(d, NULL);
	size_t n;
	const struct depth_dnssec *r = depth_dnssec_results(d, &n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned)r[i].v.status > DNSSEC_BOGUS ||
		    (unsigned)r[i].v.error > DNSSEC_ERR_IO ||
		    strnlen(r[i].v.detail, sizeof(r[i].v.detail)) >= sizeof(r[i].v.detail))
			abort();
	const struct depth_caa *c = depth_caa_results(d, &n);
	for (size_t i = 0; i < n; i++)
		if (strnlen(c[i].rrset, sizeof(c[i].rrset)) >= sizeof(c[i].rrset) ||
		    strnlen(c[i].fix, sizeof(c[i].fix)) >= sizeof(c[i].fix))
			abort();
	depth_free(d);

	char text[CAA_VALUE_MAX];
	size_t k = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, k);
	text[k] = '\0';
	struct caa_issue is;
	caa_issue_parse(text, &is);
	return 0;
}
