/*
 * scen_bench.c - a large realistic mix for throughput measurement.
 *
 * Exactly --packets frames (default 5,000,000), one every BENCH_GAP_NS (or
 * slower, so that the capture lasts at least BENCH_MIN_DURATION_S). Sources:
 * a pool of max(1000, packets / 33) addresses (150,000 at the default, 80 %
 * IPv4 in 10.0.0.0/8, 20 % IPv6 in 2001:db8:b000::/48); half the queries come
 * from the 1000 busiest. About 10 % of the queries go over TCP (sessions of
 * 1-3 queries: handshake, queries, FIN), 3 % of the UDP queries stay
 * unanswered (only while the capture has >= 6 s left), 85 % carry EDNS (40 % of
 * those DO), ~5 % NXDOMAIN, 0.5 % REFUSED, 0.5 % SERVFAIL, and one event in
 * 10,000 is a DNSKEY+DO answer in two IPv4 fragments.
 *
 * UDP answers leave BENCH_LAG_PACKETS packets after their query (a FIFO), so
 * transactions overlap as on a busy server. A single frame left over at the
 * end is an NTP packet (not DNS). Nothing is allocated per packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_scenarios.h"
#include "gen_txn.h"

#define BENCH_GAP_NS         20000 /* 50,000 packets/s */
#define BENCH_MIN_DURATION_S 30
#define BENCH_LAG_PACKETS    16
#define BENCH_FIFO           32 /* > BENCH_LAG_PACKETS */
#define BENCH_BUSY_SOURCES   1000
#define BENCH_DROP_MARGIN_NS (6 * GEN_NS_PER_S)

enum { QT_A = 1, QT_NS = 2, QT_MX = 15, QT_TXT = 16, QT_AAAA = 28, QT_DNSKEY = 48, QT_CAA = 257 };

static const char *const bench_names[] = {
    "example.com",
    "www.example.com",
    "mail.example.com",
    "api.example.com",
    "cdn.example.com",
    "img.example.com",
    "a.b.c.example.com",
    "login.example.com",
    "example.net",
    "www.example.net",
    "shop.example.net",
    "static.example.net",
    "_acme-challenge.www.example.com",
    "_acme-challenge.shop.example.net",
};
#define BENCH_NAMES (sizeof(bench_names) / sizeof(bench_names[0]))

struct pending {
	struct gen_flow f;
	struct gen_query q;
	int rcode;
	uint64_t due; /* packet index at which the answer leaves */
	char qname[64];
};

struct bench {
	struct gen_ctx *g;
	uint64_t total, gap_ns, drop_until_ns;
	uint64_t pool;
	struct pending fifo[BENCH_FIFO];
	unsigned head, count;
	struct dcv_addr tcp_named[2];
};

static uint64_t now(const struct bench *b)
{
	return GEN_EPOCH_NS + b->g->exp.packets * b->gap_ns;
}

static struct dcv_addr bench_source(uint64_t s)
{
	uint8_t a[16] = {0};
	if (s % 5 != 0) {
		uint32_t p = (uint32_t)((s * 0x2545f49u) & 0xffffffu);
		a[0] = 10, a[1] = (uint8_t)(p >> 16), a[2] = (uint8_t)(p >> 8), a[3] = (uint8_t)p;
		return dcv_addr_v4(a);
	}
	uint64_t p = s * 0xd6e8feb86659fd93ULL;
	a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8, a[4] = 0xb0;
	for (int i = 0; i < 8; i++)
		a[8 + i] = (uint8_t)(p >> (56 - 8 * i));
	return dcv_addr_v6(a);
}

static struct dcv_addr pick_source(struct bench *b)
{
	struct gen_rng *r = &b->g->rng;
	uint64_t s = gen_rng_chance(r, 500) ? gen_rng_below(r, BENCH_BUSY_SOURCES)
	                                    : gen_rng_below(r, b->pool);
	return bench_source(s);
}

static void pick_query(struct bench *b, struct gen_query *q, char *namebuf, int *rcode, bool v6)
{
	struct gen_rng *r = &b->g->rng;
	static const uint16_t types[] = {QT_A,  QT_A,  QT_A,   QT_A,   QT_AAAA,   QT_AAAA, QT_AAAA,
	                                 QT_MX, QT_NS, QT_TXT, QT_TXT, QT_DNSKEY, QT_CAA};
	memset(q, 0, sizeof(*q));
	q->id = gen_random_id(b->g);
	q->qtype = types[gen_rng_below(r, sizeof(types) / sizeof(types[0]))];
	q->qname = bench_names[gen_rng_below(r, BENCH_NAMES)];
	q->edns = gen_rng_chance(r, 850);
	/* DNSKEY+DO is the fragment event's, so that fragments stay "a few" */
	q->do_bit = q->edns && q->qtype != QT_DNSKEY && gen_rng_chance(r, 400);
	q->udp_size = v6 || gen_rng_chance(r, 600) ? 1232 : 4096;
	*rcode = GEN_NOERROR;
	uint64_t x = gen_rng_below(r, 1000);
	if (x < 50) {
		snprintf(namebuf, 64, "nx%05u.example.%s", (unsigned)gen_rng_below(r, 100000),
		         x & 1 ? "net" : "com");
		q->qname = namebuf;
		*rcode = GEN_NXDOMAIN;
	} else if (x < 55) {
		q->qname = "example.org";
		*rcode = GEN_REFUSED;
	} else if (x < 60) {
		*rcode = GEN_SERVFAIL;
	}
}

static void emit_answer(struct bench *b)
{
	struct pending *p = &b->fifo[b->head];
	struct gen_ctx *g = b->g;
	gen_dns_response(&g->msg, &p->q, p->rcode, gen_dns_udp_limit(&p->q));
	gen_udp(g, now(b), &p->f, false, &g->msg);
	gen_answered(g);
	b->head = (b->head + 1) % BENCH_FIFO;
	b->count--;
}

/* A UDP query; its answer (if any) is queued. Costs 1 frame now, 1 later if answered. */
static void udp_event(struct bench *b, bool answered)
{
	struct gen_ctx *g = b->g;
	struct pending *p = &b->fifo[(b->head + b->count) % BENCH_FIFO];
	struct dcv_addr src = pick_source(b);
	p->f = gen_flow_to_server(g, &src);
	pick_query(b, &p->q, p->qname, &p->rcode, src.family == DCV_ADDR_V6);
	gen_dns_query(&g->msg, &p->q);
	gen_udp(g, now(b), &p->f, true, &g->msg);
	if (!answered) {
		gen_unanswered(g, &src);
		return;
	}
	p->due = g->exp.packets + BENCH_LAG_PACKETS;
	b->count++;
}

static unsigned tcp_cost(unsigned queries)
{
	return 3 + 2 * queries + 3;
}

static void tcp_event(struct bench *b, unsigned queries)
{
	struct gen_ctx *g = b->g;
	struct dcv_addr src = pick_source(b);
	struct gen_flow f = gen_flow_to_server(g, &src);
	struct gen_tcp t;
	char namebuf[64];
	gen_tcp_init(g, &t, &f);
	gen_tcp_handshake(g, now(b), &t, 2 * b->gap_ns);
	for (unsigned i = 0; i < queries; i++) {
		struct gen_query q;
		int rcode;
		pick_query(b, &q, namebuf, &rcode, src.family == DCV_ADDR_V6);
		gen_tcp_txn(g, now(b), &t, &q, rcode, b->gap_ns);
	}
	gen_tcp_close(g, now(b), &t, false, b->gap_ns);
	for (unsigned i = 0; i < 2; i++)
		if (dcv_addr_equal(&src, &b->tcp_named[i]))
			gen_expect_source(&g->exp, &src)->max_concurrent_tcp = 1;
}

/* DNSKEY with DO and a 4096-byte buffer from an IPv4 source: the answer is fragmented.
 * Returns false (writing nothing) when the frames do not fit in budget. */
static bool fragment_event(struct bench *b, uint64_t budget)
{
	struct gen_ctx *g = b->g;
	struct dcv_addr src = bench_source(1 + gen_rng_below(&g->rng, 3)); /* IPv4 sources */
	struct gen_query q = {.id = gen_random_id(g),
	                      .qname = "example.com",
	                      .qtype = QT_DNSKEY,
	                      .edns = true,
	                      .do_bit = true,
	                      .udp_size = 4096};
	gen_dns_response(&g->msg2, &q, GEN_NOERROR, gen_dns_udp_limit(&q));
	uint64_t frags = (8 + g->msg2.len + GEN_FRAG_PAYLOAD - 1) / GEN_FRAG_PAYLOAD;
	if (1 + frags > budget)
		return false;
	struct gen_flow f = gen_flow_to_server(g, &src);
	gen_dns_query(&g->msg, &q);
	gen_udp(g, now(b), &f, true, &g->msg);
	gen_udp(g, now(b) + b->gap_ns / 2, &f, false, &g->msg2);
	gen_answered(g);
	return true;
}

static void filler_ntp(struct bench *b)
{
	struct gen_ctx *g = b->g;
	uint8_t ntp[48] = {0x23}; /* NTPv4 client request */
	struct pb_packet p = {.src = bench_source(1),
	                      .dst = gen_v4(GEN_SERVER_V4),
	                      .proto = 17,
	                      .sport = 123,
	                      .dport = 123,
	                      .payload = ntp,
	                      .payload_len = sizeof(ntp)};
	gen_frame(g, now(b), g->frame, gen_build(g, &p));
	g->exp.not_dns++;
}

int scen_bench(struct gen_ctx *g, const struct gen_options *o)
{
	struct bench *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -1;
	b->g = g;
	b->total = o->packets ? o->packets : BENCH_PACKETS_DEFAULT;
	b->gap_ns = BENCH_GAP_NS;
	if (b->total * b->gap_ns < BENCH_MIN_DURATION_S * GEN_NS_PER_S)
		b->gap_ns = BENCH_MIN_DURATION_S * GEN_NS_PER_S / b->total;
	uint64_t end = GEN_EPOCH_NS + (b->total - 1) * b->gap_ns;
	b->drop_until_ns = end - BENCH_DROP_MARGIN_NS;
	b->pool = b->total / 33 > BENCH_BUSY_SOURCES ? b->total / 33 : BENCH_BUSY_SOURCES;
	/* named: the busiest IPv4 and IPv6 sources of the pool's head */
	b->tcp_named[0] = bench_source(7);
	b->tcp_named[1] = bench_source(5);
	gen_expect_name_source(&g->exp, &b->tcp_named[0]);
	gen_expect_name_source(&g->exp, &b->tcp_named[1]);

	while (g->exp.packets < b->total) {
		uint64_t left = b->total - g->exp.packets;
		if (b->count && (b->fifo[b->head].due <= g->exp.packets || left <= b->count)) {
			emit_answer(b);
			continue;
		}
		uint64_t budget = left - b->count;
		uint64_t x = gen_rng_below(&g->rng, 100000);
		if (x < 10 && fragment_event(b, budget))
			continue;
		if (x < 5300) {
			unsigned queries = 1 + (unsigned)gen_rng_below(&g->rng, 3);
			while (queries > 0 && tcp_cost(queries) > budget)
				queries--;
			if (queries > 0) {
				tcp_event(b, queries);
				continue;
			}
		}
		if (budget >= 2 && b->count < BENCH_FIFO) {
			bool drop = now(b) < b->drop_until_ns && gen_rng_chance(&g->rng, 30);
			udp_event(b, !drop);
		} else {
			filler_ntp(b);
		}
	}
	free(b);
	return g->failed ? -1 : 0;
}
