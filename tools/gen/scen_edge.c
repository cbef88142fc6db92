/*
 * scen_edge.c - link, IP and TCP edge cases for decoding tests (Ethernet,
 * snap length EDGE_SNAPLEN). Server 192.0.2.53 / 2001:db8::53. In time order:
 *
 *  0.1 s  192.0.2.20: query + answer in 802.1Q frames (VLAN 100)
 *  0.2 s  192.0.2.21: query + answer in QinQ frames (802.1ad 200, 802.1Q 300)
 *  0.3 s  2001:db8:1::20: query with hop-by-hop and destination options headers
 *         before UDP; plain answer
 *  0.4 s  192.0.2.22: DNSKEY answer (~1.2 KB) in 5 IPv4 fragments of 256 bytes,
 *         written last fragment first
 *  0.5 s  192.0.2.30, one TCP session: a query split across 3 segments; two
 *         queries in one segment; a query whose segment is retransmitted
 *         (counted once); a query in 2 segments that arrive in reverse order;
 *         every query answered; client FIN
 *  1.0 s  not DNS: ICMP echo request/reply, NTP (UDP 123) request/reply,
 *         ARP request/reply (6 frames)
 *  1.2 s  192.0.2.43: query whose name is a compression pointer loop
 *         (0xC00E at offset 12, 0xC00C at 14): malformed, not answered
 *  1.3 s  192.0.2.44: query padded to ~650 bytes (EDNS padding, RFC 7830),
 *         cut by the 512-byte snap length (snap_truncated; header and
 *         question survive, so it is a query), answered 1 ms later
 *  7.0 s  192.0.2.20: query + answer (the capture ends here)
 */
#include <string.h>

#include "decode.h"
#include "gen_scenarios.h"
#include "gen_txn.h"

#define EDGE_FRAG_PAYLOAD 256
#define EDGE_PAD_BYTES    600

static uint64_t at_ms(uint64_t v)
{
	return GEN_EPOCH_NS + v * GEN_NS_PER_MS;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static const uint8_t mac_server[6] = {0x02, 0, 0, 0, 0, 0x53};
static const uint8_t mac_client[6] = {0x02, 0, 0, 0, 0, 0x01};

static size_t put_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return 14;
}

static void icmp_echo(struct gen_ctx *g, uint64_t ts, const struct dcv_addr *a,
                      const struct dcv_addr *b, bool reply)
{
	uint8_t f[14 + 20 + 8 + 32];
	size_t n =
	    put_eth(f, reply ? mac_client : mac_server, reply ? mac_server : mac_client, 0x0800);
	uint8_t *ip = f + n;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, 20 + 8 + 32);
	put16(ip + 4, g->ip_id++);
	ip[8] = 64;
	ip[9] = 1; /* ICMP */
	memcpy(ip + 12, a->bytes, 4);
	memcpy(ip + 16, b->bytes, 4);
	put16(ip + 10, ip_checksum(ip, 20));
	uint8_t *icmp = ip + 20;
	memset(icmp, 0, 40);
	icmp[0] = reply ? 0 : 8;
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 1);
	for (int i = 0; i < 32; i++)
		icmp[8 + i] = (uint8_t)('a' + i % 23);
	put16(icmp + 2, ip_checksum(icmp, 40));
	gen_frame(g, ts, f, sizeof(f));
	g->exp.not_dns++;
}

static void arp(struct gen_ctx *g, uint64_t ts, const struct dcv_addr *asker,
                const struct dcv_addr *target, bool reply)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t f[14 + 28];
	size_t n = put_eth(f, reply ? mac_client : bcast, reply ? mac_server : mac_client, 0x0806);
	uint8_t *a = f + n;
	put16(a, 1); /* Ethernet */
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, reply ? 2 : 1);
	memcpy(a + 8, reply ? mac_server : mac_client, 6);
	memcpy(a + 14, reply ? target->bytes : asker->bytes, 4);
	memcpy(a + 18, reply ? mac_client : (const uint8_t[6]){0}, 6);
	memcpy(a + 24, reply ? asker->bytes : target->bytes, 4);
	gen_frame(g, ts, f, sizeof(f));
	g->exp.not_dns++;
}

static void ntp(struct gen_ctx *g, uint64_t ts, const struct dcv_addr *client,
                const struct dcv_addr *server, bool reply)
{
	uint8_t payload[48] = {reply ? 0x24 : 0x23}; /* NTPv4 server / client mode */
	struct pb_packet p = {.src = reply ? *server : *client,
	                      .dst = reply ? *client : *server,
	                      .proto = DCV_PROTO_UDP,
	                      .sport = 123,
	                      .dport = 123,
	                      .payload = payload,
	                      .payload_len = sizeof(payload)};
	gen_frame(g, ts, g->frame, gen_build(g, &p));
	g->exp.not_dns++;
}

/* The query goes out with a hop-by-hop and a destination options header
 * (RFC 8200 4.3, 4.6; PadN options only) spliced between IPv6 and UDP. The
 * UDP checksum does not change: the pseudo header names UDP and its length. */
static void ipv6_ext_query(struct gen_ctx *g, uint64_t ts, const struct gen_flow *f,
                           const struct gen_query *q)
{
	static const uint8_t ext[16] = {60, 0, 1, 4, 0, 0, 0, 0,  /* hop-by-hop, next: dst opts */
	                                17, 0, 1, 4, 0, 0, 0, 0}; /* dst options, next: UDP */
	gen_dns_query(&g->msg, q);
	struct pb_packet p = {.src = f->client,
	                      .dst = f->server,
	                      .proto = DCV_PROTO_UDP,
	                      .sport = f->cport,
	                      .dport = f->sport,
	                      .payload = g->msg.buf,
	                      .payload_len = g->msg.len};
	size_t len = gen_build(g, &p);
	size_t ip = 14; /* Ethernet, no VLAN */
	size_t l4 = ip + 40;
	memmove(g->frame + l4 + sizeof(ext), g->frame + l4, len - l4);
	memcpy(g->frame + l4, ext, sizeof(ext));
	uint16_t plen = (uint16_t)(g->frame[ip + 4] << 8 | g->frame[ip + 5]);
	put16(g->frame + ip + 4, (uint16_t)(plen + sizeof(ext)));
	g->frame[ip + 6] = 0; /* next header: hop-by-hop */
	gen_frame(g, ts, g->frame, len + sizeof(ext));
	gen_count_dns(g, g->msg.buf, g->msg.len, false, true, &f->client);
}

/* Writes a DNS message with its length prefix as segments cut at the given
 * offsets (of the prefixed message), in order or reversed. */
static void tcp_split(struct gen_ctx *g, uint64_t ts, struct gen_tcp *t, const struct dnsb *m,
                      const size_t *cuts, unsigned ncuts, bool reverse)
{
	static uint8_t buf[2 + sizeof(m->buf)];
	buf[0] = (uint8_t)(m->len >> 8);
	buf[1] = (uint8_t)m->len;
	memcpy(buf + 2, m->buf, m->len);
	size_t total = m->len + 2;
	uint32_t base = t->cseq;
	for (unsigned k = 0; k <= ncuts; k++) {
		unsigned i = reverse ? ncuts - k : k;
		size_t from = i == 0 ? 0 : cuts[i - 1];
		size_t to = i == ncuts ? total : cuts[i];
		t->cseq = base + (uint32_t)from;
		uint8_t flags = DCV_TCP_ACK | (i == ncuts ? DCV_TCP_PSH : 0);
		gen_tcp_seg(g, ts + k * GEN_NS_PER_MS, t, true, flags, buf + from, to - from);
	}
	t->cseq = base + (uint32_t)total;
	gen_count_dns(g, m->buf, m->len, true, false, &t->f.client);
}

static void answer_tcp(struct gen_ctx *g, uint64_t ts, struct gen_tcp *t, const struct gen_query *q)
{
	gen_dns_response(&g->msg, q, GEN_NOERROR, 0);
	gen_tcp_dns(g, ts, t, false, &g->msg);
	gen_answered(g);
}

static void tcp_session(struct gen_ctx *g, const struct dcv_addr *client)
{
	struct gen_flow f = gen_flow_to_server(g, client);
	struct gen_tcp t;
	gen_tcp_init(g, &t, &f);
	uint64_t ts = gen_tcp_handshake(g, at_ms(500), &t, GEN_NS_PER_MS);
	struct gen_query q = {
	    .id = 0x0a01, .qname = "www.example.com", .qtype = 1, .edns = true, .udp_size = 1232};

	/* one message across three segments: cut inside the length prefix and the question */
	static const size_t cuts3[] = {1, 20};
	gen_dns_query(&g->msg, &q);
	tcp_split(g, ts + GEN_NS_PER_MS, &t, &g->msg, cuts3, 2, false);
	answer_tcp(g, ts + 5 * GEN_NS_PER_MS, &t, &q);

	/* two messages in one segment */
	struct gen_query q1 = q, q2 = q;
	q1.id = 0x0a02;
	q1.qtype = 28;
	q2.id = 0x0a03;
	q2.qtype = 15;
	static uint8_t two[2 * (2 + 512)];
	size_t n = 0;
	const struct gen_query *qs[2] = {&q1, &q2};
	for (int i = 0; i < 2; i++) {
		gen_dns_query(&g->msg, qs[i]);
		two[n] = (uint8_t)(g->msg.len >> 8);
		two[n + 1] = (uint8_t)g->msg.len;
		memcpy(two + n + 2, g->msg.buf, g->msg.len);
		n += 2 + g->msg.len;
		gen_count_dns(g, g->msg.buf, g->msg.len, true, false, client);
	}
	gen_tcp_seg(g, ts + 20 * GEN_NS_PER_MS, &t, true, DCV_TCP_PSH | DCV_TCP_ACK, two, n);
	answer_tcp(g, ts + 21 * GEN_NS_PER_MS, &t, &q1);
	answer_tcp(g, ts + 22 * GEN_NS_PER_MS, &t, &q2);

	/* a retransmitted segment (RTO 200 ms): same sequence number, same bytes */
	struct gen_query q3 = q;
	q3.id = 0x0a04;
	q3.qname = "mail.example.com";
	gen_dns_query(&g->msg, &q3);
	static uint8_t seg[2 + 512];
	seg[0] = (uint8_t)(g->msg.len >> 8);
	seg[1] = (uint8_t)g->msg.len;
	memcpy(seg + 2, g->msg.buf, g->msg.len);
	uint32_t seq = t.cseq;
	gen_tcp_seg(g, ts + 40 * GEN_NS_PER_MS, &t, true, DCV_TCP_PSH | DCV_TCP_ACK, seg,
	            g->msg.len + 2);
	t.cseq = seq;
	gen_tcp_seg(g, ts + 240 * GEN_NS_PER_MS, &t, true, DCV_TCP_PSH | DCV_TCP_ACK, seg,
	            g->msg.len + 2);
	gen_count_dns(g, g->msg.buf, g->msg.len, true, false, client);
	answer_tcp(g, ts + 241 * GEN_NS_PER_MS, &t, &q3);

	/* a query in two segments arriving in reverse order */
	struct gen_query q4 = q;
	q4.id = 0x0a05;
	q4.qname = "api.example.com";
	static const size_t cuts2[] = {10};
	gen_dns_query(&g->msg, &q4);
	tcp_split(g, ts + 260 * GEN_NS_PER_MS, &t, &g->msg, cuts2, 1, true);
	answer_tcp(g, ts + 263 * GEN_NS_PER_MS, &t, &q4);

	gen_tcp_close(g, ts + 300 * GEN_NS_PER_MS, &t, false, GEN_NS_PER_MS);
	gen_expect_source(&g->exp, client)->max_concurrent_tcp = 1;
}

int scen_edge(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct dcv_addr server = gen_v4(GEN_SERVER_V4);
	const struct dcv_addr c_vlan = gen_v4(192, 0, 2, 20), c_qinq = gen_v4(192, 0, 2, 21),
	                      c_v6 = gen_v6("2001:db8:1::20"), c_frag = gen_v4(192, 0, 2, 22),
	                      c_tcp = gen_v4(192, 0, 2, 30), c_bad = gen_v4(192, 0, 2, 43),
	                      c_snap = gen_v4(192, 0, 2, 44);
	gen_expect_name_source(&g->exp, &c_tcp);
	gen_expect_name_source(&g->exp, &c_bad);
	gen_expect_name_source(&g->exp, &c_snap);
	gen_expect_name_source(&g->exp, &c_v6);

	struct gen_query q = {
	    .id = 0x0e01, .qname = "www.example.com", .qtype = 1, .edns = true, .udp_size = 1232};
	struct gen_flow f = gen_flow_to_server(g, &c_vlan);
	g->vlans = 1;
	g->vlan_ids[0] = 100;
	gen_udp_txn(g, at_ms(100), &f, &q, GEN_NOERROR, true, GEN_NS_PER_MS);
	g->vlans = 2;
	g->vlan_ids[0] = 200;
	g->vlan_ids[1] = 300;
	f = gen_flow_to_server(g, &c_qinq);
	q.id = 0x0e02;
	gen_udp_txn(g, at_ms(200), &f, &q, GEN_NOERROR, true, GEN_NS_PER_MS);
	g->vlans = 0;

	f = gen_flow_to_server(g, &c_v6);
	q.id = 0x0e03;
	q.qtype = 28;
	ipv6_ext_query(g, at_ms(300), &f, &q);
	gen_dns_response(&g->msg, &q, GEN_NOERROR, gen_dns_udp_limit(&q));
	gen_udp(g, at_ms(301), &f, false, &g->msg);
	gen_answered(g);

	f = gen_flow_to_server(g, &c_frag);
	struct gen_query qk = {
	    .id = 0x0e04, .qname = "example.com", .qtype = 48, .edns = true, .udp_size = 4096};
	gen_dns_query(&g->msg, &qk);
	gen_udp(g, at_ms(400), &f, true, &g->msg);
	gen_dns_response(&g->msg, &qk, GEN_NOERROR, gen_dns_udp_limit(&qk));
	gen_udp_fragments(g, at_ms(401), &f, false, &g->msg, EDGE_FRAG_PAYLOAD, true);
	gen_answered(g);

	tcp_session(g, &c_tcp);

	const struct dcv_addr c_icmp = gen_v4(192, 0, 2, 40), c_ntp = gen_v4(192, 0, 2, 41),
	                      c_arp = gen_v4(192, 0, 2, 42);
	icmp_echo(g, at_ms(1000), &c_icmp, &server, false);
	icmp_echo(g, at_ms(1001), &server, &c_icmp, true);
	ntp(g, at_ms(1010), &c_ntp, &server, false);
	ntp(g, at_ms(1011), &c_ntp, &server, true);
	arp(g, at_ms(1020), &c_arp, &server, false);
	arp(g, at_ms(1021), &c_arp, &server, true);

	/* compression pointer loop in the question name */
	{
		static const uint8_t bad[] = {0x0e, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00,
		                              0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x0e,
		                              0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01};
		f = gen_flow_to_server(g, &c_bad);
		struct pb_packet p = {.src = c_bad,
		                      .dst = server,
		                      .proto = DCV_PROTO_UDP,
		                      .sport = f.cport,
		                      .dport = GEN_DNS_PORT,
		                      .payload = bad,
		                      .payload_len = sizeof(bad)};
		gen_frame(g, at_ms(1200), g->frame, gen_build(g, &p));
		g->exp.malformed++;
	}
	/* a padded query longer than the snap length, then its (short) answer:
	 * the cut query still has its header and question, so it counts as a
	 * query and is matched like any other */
	{
		static uint8_t pad[4 + EDGE_PAD_BYTES];
		put16(pad, 12); /* EDNS padding option (RFC 7830) */
		put16(pad + 2, EDGE_PAD_BYTES);
		struct dnsb *m = &g->msg;
		dnsb_init(m, 0x0e06, 0);
		dnsb_question(m, "www.example.net", 1, 1);
		dnsb_opt(m, 1232, 0, 0, false, pad, sizeof(pad));
		f = gen_flow_to_server(g, &c_snap);
		gen_udp(g, at_ms(1300), &f, true, m);
		g->exp.snap_truncated++;
		struct gen_query cut = {.id = 0x0e06, .qname = "www.example.net", .qtype = 1};
		gen_dns_response(m, &cut, GEN_NOERROR, 0);
		gen_udp(g, at_ms(1301), &f, false, m);
		gen_answered(g);
	}

	f = gen_flow_to_server(g, &c_vlan);
	q.id = 0x0e07;
	q.qtype = 1;
	q.qname = "example.com";
	gen_udp_txn(g, at_ms(7000), &f, &q, GEN_NOERROR, true, GEN_NS_PER_MS);
	return g->failed ? -1 : 0;
}
