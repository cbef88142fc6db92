/*
 * scen_tcp_sessions.c - exact TCP session patterns at 192.0.2.53:
 *
 *  1.0 s   X 192.0.2.101 opens 8 sessions 5 ms apart (all SYNs before any FIN),
 *          asks 2 queries on each from 1.2 s, closes them from 2.0 s, 20 ms apart
 *          (client FIN first): max_concurrent_tcp = 8
 *  3.0 s   Y 198.51.100.31: 3 SYNs (3 ports), each answered by RST: rejected 3
 *  3.5 s   Z 203.0.113.32: 3 SYNs (3 ports), each resent after 1 s, never
 *          answered: filtered 3 (the capture ends 6 s after the first)
 *  4.0 s   W 192.0.2.102: one session, one query, the server closes first
 *  5.0 s   V 2001:db8:1::103: one session over IPv6, 3 queries
 *  9.0 s   M 192.0.2.103: a session already open when the capture began
 *          (no handshake): 2 queries, then client FIN: counted as a session
 */
#include "gen_scenarios.h"
#include "gen_txn.h"

#define X_SESSIONS 8

static uint64_t at_ms(uint64_t v)
{
	return GEN_EPOCH_NS + v * GEN_NS_PER_MS;
}

static struct gen_query make_q(struct gen_ctx *g, const char *name, uint16_t qtype)
{
	struct gen_query q = {
	    .id = gen_random_id(g), .qname = name, .qtype = qtype, .edns = true, .udp_size = 1232};
	return q;
}

int scen_tcp_sessions(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct dcv_addr x = gen_v4(192, 0, 2, 101), y = gen_v4(198, 51, 100, 31),
	                      z = gen_v4(203, 0, 113, 32), w = gen_v4(192, 0, 2, 102),
	                      v = gen_v6("2001:db8:1::103"), m = gen_v4(192, 0, 2, 103);
	const struct dcv_addr *named[] = {&x, &y, &z, &w, &v, &m};
	for (unsigned i = 0; i < 6; i++)
		gen_expect_name_source(&g->exp, named[i]);
	gen_expect_source(&g->exp, &x)->max_concurrent_tcp = X_SESSIONS;
	gen_expect_source(&g->exp, &w)->max_concurrent_tcp = 1;
	gen_expect_source(&g->exp, &v)->max_concurrent_tcp = 1;
	gen_expect_source(&g->exp, &m)->max_concurrent_tcp = 1;

	struct gen_tcp xs[X_SESSIONS];
	for (unsigned i = 0; i < X_SESSIONS; i++) {
		struct gen_flow f = gen_flow_to_server(g, &x);
		f.cport = (uint16_t)(40000 + i); /* distinct ports, whatever the seed */
		gen_tcp_init(g, &xs[i], &f);
		gen_tcp_handshake(g, at_ms(1000 + 5 * i), &xs[i], 2 * GEN_NS_PER_MS);
	}
	for (unsigned i = 0; i < X_SESSIONS; i++) {
		uint64_t t = at_ms(1200 + 10 * i);
		struct gen_query q = make_q(g, "www.example.com", 1);
		t = gen_tcp_txn(g, t, &xs[i], &q, GEN_NOERROR, GEN_NS_PER_MS);
		q = make_q(g, "www.example.com", 28);
		gen_tcp_txn(g, t + GEN_NS_PER_MS, &xs[i], &q, GEN_NOERROR, GEN_NS_PER_MS);
	}
	for (unsigned i = 0; i < X_SESSIONS; i++)
		gen_tcp_close(g, at_ms(2000 + 20 * i), &xs[i], false, GEN_NS_PER_MS);

	for (unsigned i = 0; i < 3; i++) {
		struct gen_flow f = gen_flow_to_server(g, &y);
		f.cport = (uint16_t)(41000 + i);
		gen_tcp_reject(g, at_ms(3000 + 100 * i), &f, GEN_NS_PER_MS);
	}
	for (unsigned i = 0; i < 3; i++) {
		struct gen_flow f = gen_flow_to_server(g, &z);
		f.cport = (uint16_t)(42000 + i);
		gen_tcp_filtered(g, at_ms(3500 + 100 * i), &f);
	}

	{
		struct gen_flow f = gen_flow_to_server(g, &w);
		struct gen_tcp t;
		gen_tcp_init(g, &t, &f);
		uint64_t ts = gen_tcp_handshake(g, at_ms(4000), &t, GEN_NS_PER_MS);
		struct gen_query q = make_q(g, "example.com", 6);
		ts = gen_tcp_txn(g, ts + GEN_NS_PER_MS, &t, &q, GEN_NOERROR, GEN_NS_PER_MS);
		gen_tcp_close(g, at_ms(4500), &t, true, GEN_NS_PER_MS);
	}
	{
		struct gen_flow f = gen_flow_to_server(g, &v);
		struct gen_tcp t;
		gen_tcp_init(g, &t, &f);
		uint64_t ts = gen_tcp_handshake(g, at_ms(5000), &t, GEN_NS_PER_MS);
		static const uint16_t types[] = {1, 28, 15};
		for (unsigned i = 0; i < 3; i++) {
			struct gen_query q = make_q(g, "example.net", types[i]);
			ts = gen_tcp_txn(g, ts + GEN_NS_PER_MS, &t, &q, GEN_NOERROR, GEN_NS_PER_MS);
		}
		gen_tcp_close(g, ts + 10 * GEN_NS_PER_MS, &t, false, GEN_NS_PER_MS);
	}
	{
		/* mid-stream: the handshake happened before the capture started */
		struct gen_flow f = gen_flow_to_server(g, &m);
		struct gen_tcp t;
		gen_tcp_init(g, &t, &f);
		g->exp.tcp_sessions++;
		struct gen_query q = make_q(g, "mail.example.com", 1);
		gen_tcp_txn(g, at_ms(9000), &t, &q, GEN_NOERROR, GEN_NS_PER_MS);
		q = make_q(g, "example.com", 15);
		gen_tcp_txn(g, at_ms(9100), &t, &q, GEN_NOERROR, GEN_NS_PER_MS);
		gen_tcp_close(g, at_ms(9500), &t, false, GEN_NS_PER_MS);
	}
	return g->failed ? -1 : 0;
}
