/*
 * scen_many_sources.c - the memory-bound input: --packets N queries (default
 * 2,000,000) from N/2 distinct sources, each asking twice (two rounds over all
 * sources, in the same order), every query answered 10 us later. Sources are
 * 80 % IPv4 (10.0.0.0/8) and 20 % IPv6 (2001:db8:5000::/48), distinct by
 * construction (a bijection of the source index), so a per-source table must
 * hold N/2 entries. Written directly, without per-packet allocation.
 * Packets = 2 N; when N is odd, source 0 asks a third time at the end.
 */
#include <stdio.h>

#include "gen_scenarios.h"
#include "gen_txn.h"

#define MANY_GAP_NS     20000 /* one query every 20 us: 50,000 queries/s */
#define MANY_LATENCY_NS 10000
#define V4_SPACE        (1u << 24) /* 10.0.0.0/8 */

/* Distinct addresses for distinct indexes: multiplying by an odd constant is a
 * bijection modulo 2^24 (and modulo 2^64 for the IPv6 interface id). */
static struct dcv_addr source_of(uint64_t s)
{
	uint8_t b[16] = {0};
	if (s % 5 != 4 && s < V4_SPACE) {
		uint32_t p =
		    (uint32_t)(((s + 1) * 0x9e3779u) & (V4_SPACE - 1)); /* +1: no 10.0.0.0 */
		b[0] = 10;
		b[1] = (uint8_t)(p >> 16);
		b[2] = (uint8_t)(p >> 8);
		b[3] = (uint8_t)p;
		return dcv_addr_v4(b);
	}
	uint64_t p = s * 0x9e3779b97f4a7c15ULL;
	b[0] = 0x20, b[1] = 0x01, b[2] = 0x0d, b[3] = 0xb8, b[4] = 0x50;
	for (int i = 0; i < 8; i++)
		b[8 + i] = (uint8_t)(p >> (56 - 8 * i));
	return dcv_addr_v6(b);
}

int scen_many_sources(struct gen_ctx *g, const struct gen_options *o)
{
	uint64_t n = o->packets ? o->packets : MANY_SOURCES_QUERIES_DEFAULT;
	uint64_t nsrc = n / 2 ? n / 2 : 1;
	const struct dcv_addr s0 = source_of(0), s4 = source_of(4);
	gen_expect_name_source(&g->exp, &s0);
	if (nsrc > 4)
		gen_expect_name_source(&g->exp, &s4);
	char name[64];
	uint64_t ts = GEN_EPOCH_NS;
	for (uint64_t i = 0; i < n; i++, ts += MANY_GAP_NS) {
		uint64_t s = i % nsrc;
		struct dcv_addr a = source_of(s);
		struct gen_flow f = gen_flow_to_server(g, &a);
		snprintf(name, sizeof(name), "h%u.example.%s", (unsigned)(s % 1000),
		         s & 1 ? "net" : "com");
		struct gen_query q = {.id = gen_random_id(g),
		                      .qname = name,
		                      .qtype = s % 3 ? 1 : 28,
		                      .edns = true,
		                      .udp_size = 1232};
		gen_udp_txn(g, ts, &f, &q, GEN_NOERROR, true, MANY_LATENCY_NS);
	}
	return g->failed ? -1 : 0;
}
