/*
 * gen_dns.h - the DNS side of the generated server: queries as clients send
 * them, and the answers an authoritative server for example.com and
 * example.net would give (records chosen by query type, RRSIGs when DO is
 * set, truncation with TC=1 when the answer exceeds the client's UDP size).
 */
#ifndef DCV_GEN_DNS_H
#define DCV_GEN_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pktbuild.h"

/* The server's advertised EDNS UDP size (DNS flag day 2020 recommendation). */
#define GEN_SERVER_UDP_SIZE 1232
/* Answer size limit of a UDP query without EDNS (RFC 1035 4.2.1). */
#define GEN_PLAIN_UDP_MAX 512
/* Header RCODE values the scenarios use. */
enum { GEN_NOERROR = 0, GEN_SERVFAIL = 2, GEN_NXDOMAIN = 3, GEN_REFUSED = 5 };

struct gen_query {
	uint16_t id;
	const char *qname; /* text form, no trailing dot */
	uint16_t qtype;
	bool edns;
	bool do_bit;
	uint16_t udp_size; /* advertised EDNS UDP size (edns only) */
};

/* gen_dns_query() builds the query message (RD=0, as resolvers ask authoritative servers). */
void gen_dns_query(struct dnsb *m, const struct gen_query *q);

/*
 * gen_dns_response() builds the server's answer to q with the header rcode.
 * NOERROR answers carry records for the type (or an SOA when there is no
 * data); NXDOMAIN carries the SOA; other rcodes carry only the question.
 * When the answer is larger than max_len (0: no limit, as over TCP) it is
 * replaced by a truncated answer: TC=1, question and OPT only.
 */
void gen_dns_response(struct dnsb *m, const struct gen_query *q, int rcode, size_t max_len);

/* gen_dns_udp_limit() returns the answer size limit of a UDP query. */
size_t gen_dns_udp_limit(const struct gen_query *q);

#endif
