/* gen_txn.c - DNS transactions over UDP and TCP. */
#include "gen_txn.h"

struct dcv_addr gen_server_for(const struct dcv_addr *client)
{
	return client->family == DCV_ADDR_V6 ? gen_v6(GEN_SERVER_V6) : gen_v4(GEN_SERVER_V4);
}

struct gen_flow gen_flow_to_server(struct gen_ctx *g, const struct dcv_addr *client)
{
	struct gen_flow f;
	f.client = *client;
	f.server = gen_server_for(client);
	/* Linux default ephemeral range, net.ipv4.ip_local_port_range */
	f.cport = (uint16_t)gen_rng_range(&g->rng, 32768, 60999);
	f.sport = GEN_DNS_PORT;
	return f;
}

uint16_t gen_random_id(struct gen_ctx *g)
{
	return (uint16_t)gen_rng_next(&g->rng);
}

uint64_t gen_udp_txn(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f,
                     const struct gen_query *q, int rcode, bool answered, uint64_t latency_ns)
{
	gen_dns_query(&g->msg, q);
	gen_udp(g, ts_ns, f, true, &g->msg);
	if (!answered) {
		gen_unanswered(g, &f->client);
		return ts_ns;
	}
	gen_dns_response(&g->msg, q, rcode, gen_dns_udp_limit(q));
	gen_udp(g, ts_ns + latency_ns, f, false, &g->msg);
	gen_answered(g);
	return ts_ns + latency_ns;
}

uint64_t gen_tcp_txn(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t,
                     const struct gen_query *q, int rcode, uint64_t latency_ns)
{
	gen_dns_query(&g->msg, q);
	gen_tcp_dns(g, ts_ns, t, true, &g->msg);
	gen_dns_response(&g->msg, q, rcode, 0);
	gen_tcp_dns(g, ts_ns + latency_ns, t, false, &g->msg);
	gen_answered(g);
	return ts_ns + latency_ns;
}
