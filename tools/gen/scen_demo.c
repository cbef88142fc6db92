/*
 * scen_demo.c - about 20 s at an authoritative server (192.0.2.53,
 * 2001:db8::53) for example.com and example.net:
 *
 *  0-20 s    resolver traffic from 192.0.2.10-17 and 2001:db8:1::10-11 (A, AAAA,
 *            MX, NS, TXT, DNSKEY, CAA; EDNS on 90 %, DO on 30 %, ~5 % NXDOMAIN,
 *            ~1 % SERVFAIL for broken.example.net, ~1.5 % dropped before 14 s)
 *  1.5-13 s  five certificate validation attempts from six perspectives
 *            (198.51.100.10/.20, 203.0.113.10/.11, 2001:db8:ca:1::10,
 *            2001:db8:ca:2::10): _acme-challenge TXT, then CAA climbing from the
 *            name up to the apex, 12-15 ms apart; 203.0.113.11 asks over TCP (one
 *            connection per attempt); 2001:db8:ca:1::10 gets SERVFAIL for CAA once
 *  0.5-18 s  192.0.2.99 asks for example.org: REFUSED
 *  3/7/11 s  192.0.2.12 asks DNSKEY with DO and a 4096-byte buffer: the answer
 *            (~1.8 KB) leaves in two IPv4 fragments (1480 + rest)
 *  5 s       192.0.2.10 asks slow.example.com A; resent (same id, port) at 6 s,
 *            answered at 6.002 s
 *  8 s       203.0.113.77 gets TC=1, retries over TCP twice: RST (rejected)
 *  9/12 s    198.51.100.88 gets TC=1, retries over TCP twice: never answered
 *            (filtered; each SYN resent after 1 s)
 *  15/16 s   TCP sessions from 192.0.2.11 (4 queries) and 2001:db8:1::11 (3)
 *  20 s      last transaction: the capture ends at 20 s
 */
#include <stdio.h>

#include "gen_scenarios.h"
#include "gen_sign.h"
#include "gen_txn.h"

#define DEMO_END_NS     (20 * GEN_NS_PER_S)
#define DEMO_DROP_UNTIL (14 * GEN_NS_PER_S) /* drops stay >= 5 s before the end */

enum { QT_A = 1, QT_NS = 2, QT_MX = 15, QT_TXT = 16, QT_AAAA = 28, QT_DNSKEY = 48, QT_CAA = 257 };

static const char *const demo_names[] = {
    "example.com", "www.example.com", "mail.example.com", "api.example.com", "a.b.c.example.com",
    "example.net", "www.example.net", "shop.example.net", "cdn.example.net",
};
#define DEMO_NAMES (sizeof(demo_names) / sizeof(demo_names[0]))

static uint64_t ms(uint64_t v)
{
	return v * GEN_NS_PER_MS;
}

static uint64_t latency(struct gen_ctx *g)
{
	return gen_rng_range(&g->rng, 200000, 3000000); /* 0.2-3 ms */
}

static uint16_t pick_qtype(struct gen_ctx *g)
{
	uint64_t r = gen_rng_below(&g->rng, 100);
	if (r < 40)
		return QT_A;
	if (r < 65)
		return QT_AAAA;
	if (r < 73)
		return QT_MX;
	if (r < 78)
		return QT_NS;
	if (r < 88)
		return QT_TXT;
	if (r < 93)
		return QT_DNSKEY;
	return QT_CAA;
}

/* Ordinary resolver traffic from one source between start and end. */
static void resolver(struct gen_ctx *g, const struct dcv_addr *src, uint64_t start, uint64_t end,
                     uint64_t mean_gap_ms)
{
	char nx[64];
	for (uint64_t t = start; t < end;
	     t += ms(gen_rng_range(&g->rng, mean_gap_ms / 2, mean_gap_ms * 3 / 2))) {
		struct gen_flow f = gen_flow_to_server(g, src);
		struct gen_query q = {.id = gen_random_id(g), .qtype = pick_qtype(g)};
		q.qname = demo_names[gen_rng_below(&g->rng, DEMO_NAMES)];
		q.edns = gen_rng_chance(&g->rng, 900);
		q.do_bit = q.edns && q.qtype != QT_DNSKEY && gen_rng_chance(&g->rng, 300);
		q.udp_size = gen_rng_chance(&g->rng, 500) ? 1232 : 4096;
		if (src->family == DCV_ADDR_V6)
			q.udp_size = 1232;
		int rcode = GEN_NOERROR;
		uint64_t r = gen_rng_below(&g->rng, 1000);
		if (r < 50) {
			snprintf(nx, sizeof(nx), "nx%04x.%s",
			         (unsigned)gen_rng_below(&g->rng, 65536),
			         gen_rng_chance(&g->rng, 500) ? "example.com" : "example.net");
			q.qname = nx;
			rcode = GEN_NXDOMAIN;
		} else if (r < 60) {
			q.qname = "broken.example.net";
			rcode = GEN_SERVFAIL;
		}
		bool answered = !(t < DEMO_DROP_UNTIL && gen_rng_chance(&g->rng, 15));
		gen_udp_txn(g, GEN_EPOCH_NS + t, &f, &q, rcode, answered, latency(g));
	}
}

/* The CAA names a validator climbs for name: name itself, then each parent down to the apex. */
static unsigned caa_chain(const char *name, const char *out[], unsigned max)
{
	unsigned n = 0, dots = 0;
	for (const char *s = name; *s; s++)
		dots += *s == '.';
	const char *s = name;
	while (n < max && dots >= 1) {
		out[n++] = s;
		while (*s != '.')
			s++;
		s++;
		dots--;
	}
	return n;
}

/* One perspective's part in a validation attempt for name. */
static void perspective(struct gen_ctx *g, const struct dcv_addr *src, uint64_t t, const char *name,
                        bool tcp, bool caa_servfail)
{
	char acme[300];
	snprintf(acme, sizeof(acme), "_acme-challenge.%s", name);
	const char *chain[8];
	unsigned nchain = caa_chain(name, chain, 8);
	struct gen_flow f = gen_flow_to_server(g, src);
	struct gen_tcp conn;
	if (tcp) {
		gen_tcp_init(g, &conn, &f);
		t = gen_tcp_handshake(g, t, &conn, ms(2)) + ms(1);
	}
	struct gen_query q = {.id = gen_random_id(g),
	                      .qname = acme,
	                      .qtype = QT_TXT,
	                      .edns = true,
	                      .do_bit = true,
	                      .udp_size = 4096};
	if (src->family == DCV_ADDR_V6)
		q.udp_size = 1232;
	if (tcp)
		t = gen_tcp_txn(g, t, &conn, &q, GEN_NOERROR, latency(g));
	else
		t = gen_udp_txn(g, t, &f, &q, GEN_NOERROR, true, latency(g));
	t += ms(gen_rng_range(&g->rng, 5, 20));
	for (unsigned i = 0; i < nchain; i++) {
		q.id = gen_random_id(g);
		q.qname = chain[i];
		q.qtype = QT_CAA;
		int rcode = caa_servfail ? GEN_SERVFAIL : GEN_NOERROR;
		if (tcp) {
			t = gen_tcp_txn(g, t, &conn, &q, rcode, latency(g));
		} else {
			f = gen_flow_to_server(g, src); /* a new socket per query */
			t = gen_udp_txn(g, t, &f, &q, rcode, true, latency(g));
		}
		if (caa_servfail)
			break; /* a CAA lookup failure is fatal for issuance (RFC 8659 3) */
		t += ms(gen_rng_range(&g->rng, 10, 12));
	}
	if (tcp)
		gen_tcp_close(g, t + ms(1), &conn, false, ms(1));
}

static void validation(struct gen_ctx *g)
{
	static const uint64_t when_ms[] = {1500, 4500, 7500, 10500, 13000};
	static const char *const what[] = {"a.b.c.example.com", "www.example.net",
	                                   "x.y.example.com", "a.b.c.example.com",
	                                   "shop.example.net"};
	const struct dcv_addr p[] = {gen_v4(198, 51, 100, 10),    gen_v4(198, 51, 100, 20),
	                             gen_v4(203, 0, 113, 10),     gen_v4(203, 0, 113, 11),
	                             gen_v6("2001:db8:ca:1::10"), gen_v6("2001:db8:ca:2::10")};
	for (unsigned a = 0; a < sizeof(when_ms) / sizeof(when_ms[0]); a++)
		for (unsigned i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
			uint64_t t =
			    GEN_EPOCH_NS + ms(when_ms[a]) + ms(gen_rng_below(&g->rng, 300));
			perspective(g, &p[i], t, what[a], i == 3, a == 3 && i == 4);
		}
}

/* A client that gets TC=1 over UDP, then tries TCP twice. */
static void tcp_fallback(struct gen_ctx *g, const struct dcv_addr *src, uint64_t t, bool rejected,
                         uint64_t second_ms)
{
	struct gen_flow f = gen_flow_to_server(g, src);
	struct gen_query q = {.id = gen_random_id(g),
	                      .qname = "example.com",
	                      .qtype = QT_DNSKEY,
	                      .edns = rejected,
	                      .do_bit = rejected,
	                      .udp_size = 1232};
	t = gen_udp_txn(g, t, &f, &q, GEN_NOERROR, true, latency(g)) + ms(3);
	for (int i = 0; i < 2; i++) {
		struct gen_flow tf = gen_flow_to_server(g, src);
		uint64_t at = i == 0 ? t : GEN_EPOCH_NS + ms(second_ms);
		if (rejected)
			gen_tcp_reject(g, at, &tf, ms(1));
		else
			gen_tcp_filtered(g, at, &tf);
	}
}

static void tcp_resolver(struct gen_ctx *g, const struct dcv_addr *src, uint64_t t, unsigned n)
{
	struct gen_flow f = gen_flow_to_server(g, src);
	struct gen_tcp conn;
	gen_tcp_init(g, &conn, &f);
	t = gen_tcp_handshake(g, t, &conn, ms(1)) + ms(1);
	for (unsigned i = 0; i < n; i++) {
		struct gen_query q = {
		    .id = gen_random_id(g), .qtype = pick_qtype(g), .edns = true, .udp_size = 1232};
		q.qname = demo_names[gen_rng_below(&g->rng, DEMO_NAMES)];
		q.do_bit = gen_rng_chance(&g->rng, 500);
		t = gen_tcp_txn(g, t, &conn, &q, GEN_NOERROR, latency(g)) + ms(2);
	}
	gen_tcp_close(g, t + ms(50), &conn, false, ms(1));
}

int scen_demo(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	gen_sign_enable(true); /* the demo answers DNSKEY queries: signatures must verify */
	const struct dcv_addr refused = gen_v4(192, 0, 2, 99);
	const struct dcv_addr retrans = gen_v4(192, 0, 2, 10);
	const struct dcv_addr frag = gen_v4(192, 0, 2, 12);
	const struct dcv_addr rejected = gen_v4(203, 0, 113, 77);
	const struct dcv_addr filtered = gen_v4(198, 51, 100, 88);
	const struct dcv_addr tcp_validator = gen_v4(203, 0, 113, 11);
	const struct dcv_addr v6_validator = gen_v6("2001:db8:ca:1::10");
	const struct dcv_addr tcp_v6 = gen_v6("2001:db8:1::11");
	const struct dcv_addr *named[] = {&refused,  &retrans,       &frag,         &rejected,
	                                  &filtered, &tcp_validator, &v6_validator, &tcp_v6};
	for (unsigned i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		gen_expect_name_source(&g->exp, named[i]);
	gen_expect_source(&g->exp, &tcp_validator)->max_concurrent_tcp = 1;
	gen_expect_source(&g->exp, &tcp_v6)->max_concurrent_tcp = 1;

	for (uint8_t h = 10; h <= 17; h++) {
		struct dcv_addr a = gen_v4(192, 0, 2, h);
		resolver(g, &a, ms(gen_rng_below(&g->rng, 100)), DEMO_END_NS - ms(200), 150);
	}
	for (int i = 0; i < 2; i++) {
		struct dcv_addr a = gen_v6(i ? "2001:db8:1::11" : "2001:db8:1::10");
		resolver(g, &a, ms(gen_rng_below(&g->rng, 100)), DEMO_END_NS - ms(200), 200);
	}
	validation(g);

	for (uint64_t t = 500; t < 18000; t += 500) {
		struct gen_flow f = gen_flow_to_server(g, &refused);
		struct gen_query q = {.id = gen_random_id(g),
		                      .qname = (t / 500) % 2 ? "www.example.org" : "example.org",
		                      .qtype = (t / 500) % 3 ? QT_A : QT_AAAA};
		gen_udp_txn(g, GEN_EPOCH_NS + ms(t), &f, &q, GEN_REFUSED, true, latency(g));
	}

	for (uint64_t t = 3000; t <= 11000; t += 4000) {
		struct gen_flow f = gen_flow_to_server(g, &frag);
		struct gen_query q = {.id = gen_random_id(g),
		                      .qname = t == 7000 ? "example.net" : "example.com",
		                      .qtype = QT_DNSKEY,
		                      .edns = true,
		                      .do_bit = true,
		                      .udp_size = 4096};
		gen_udp_txn(g, GEN_EPOCH_NS + ms(t), &f, &q, GEN_NOERROR, true, latency(g));
	}

	/* retransmission: same id, name, type and source port, 1 s later */
	{
		struct gen_flow f = gen_flow_to_server(g, &retrans);
		struct gen_query q = {.id = 0x5a5a,
		                      .qname = "slow.example.com",
		                      .qtype = QT_A,
		                      .edns = true,
		                      .udp_size = 1232};
		gen_dns_query(&g->msg, &q);
		gen_udp(g, GEN_EPOCH_NS + ms(5000), &f, true, &g->msg);
		gen_udp(g, GEN_EPOCH_NS + ms(6000), &f, true, &g->msg);
		gen_retransmit(g);
		gen_dns_response(&g->msg, &q, GEN_NOERROR, gen_dns_udp_limit(&q));
		gen_udp(g, GEN_EPOCH_NS + ms(6002), &f, false, &g->msg);
		gen_answered(g);
	}

	tcp_fallback(g, &rejected, GEN_EPOCH_NS + ms(8000), true, 8200);
	tcp_fallback(g, &filtered, GEN_EPOCH_NS + ms(9000), false, 12000);
	const struct dcv_addr tcp_v4 = gen_v4(192, 0, 2, 11);
	tcp_resolver(g, &tcp_v4, GEN_EPOCH_NS + ms(15000), 4);
	tcp_resolver(g, &tcp_v6, GEN_EPOCH_NS + ms(16000), 3);

	/* the last transaction fixes the end of the capture at 20 s */
	const struct dcv_addr last = gen_v4(192, 0, 2, 13);
	struct gen_flow f = gen_flow_to_server(g, &last);
	struct gen_query q = {.id = gen_random_id(g),
	                      .qname = "www.example.com",
	                      .qtype = QT_A,
	                      .edns = true,
	                      .udp_size = 1232};
	gen_udp_txn(g, GEN_EPOCH_NS + DEMO_END_NS - ms(1), &f, &q, GEN_NOERROR, true, ms(1) / 2);
	return g->failed ? -1 : 0;
}
