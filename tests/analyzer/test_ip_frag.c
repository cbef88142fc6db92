/* test_ip_frag.c - IPv4/IPv6 fragment reassembly through decode_frame(). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dcv_error.h"
#include "decode.h"
#include "decode_test_util.h"
#include "ip.h"
#include "pktbuild.h"

enum { MAX_FRAGS = 80, FRAG_CAP = 2048, SEC = 1000000000 };

struct frags {
	uint8_t data[MAX_FRAGS][FRAG_CAP];
	size_t len[MAX_FRAGS];
	unsigned n;
};

static struct frags fr;
static uint8_t payload[4000];
static struct decoder *dec;

static void collect(void *ctx, const uint8_t *frame, size_t len)
{
	struct frags *f = ctx;
	cr_assert_lt(f->n, MAX_FRAGS);
	cr_assert_leq(len, FRAG_CAP);
	memcpy(f->data[f->n], frame, len);
	f->len[f->n++] = len;
}

static void setup(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	fr.n = 0;
	dec = decoder_new(NULL);
	cr_assert_not_null(dec);
}

static void teardown(void)
{
	decoder_free(dec);
}

TestSuite(ip_frag, .init = setup, .fini = teardown);

/* Builds a UDP datagram with payload_len bytes of payload as Ethernet
 * fragments of frag_payload bytes each into fr; returns the count. */
static unsigned make_frags(int family, size_t payload_len, size_t frag_payload, uint16_t id)
{
	struct pb_packet p = {0};
	p.linktype = PB_LINK_ETHERNET;
	p.src = family == 6 ? dcv_addr_v6(T_SRC6) : dcv_addr_v4(T_SRC4);
	p.dst = family == 6 ? dcv_addr_v6(T_DST6) : dcv_addr_v4(T_DST4);
	p.proto = DCV_PROTO_UDP;
	p.sport = 53;
	p.dport = 40000;
	p.ip_id = id;
	p.payload = payload;
	p.payload_len = payload_len;
	fr.n = 0;
	unsigned n = pb_build_fragments(&p, frag_payload, collect, &fr);
	cr_assert_eq(n, fr.n);
	return n;
}

static int feed(unsigned i, uint64_t ts, struct dcv_pkt *pkt)
{
	return t_decode(dec, 1, fr.data[i], fr.len[i], fr.len[i], ts, pkt);
}

static void assert_reassembled(const struct dcv_pkt *pkt, size_t payload_len, int family)
{
	struct dcv_addr src = family == 6 ? dcv_addr_v6(T_SRC6) : dcv_addr_v4(T_SRC4);
	cr_assert(pkt->reassembled);
	cr_assert(dcv_addr_equal(&pkt->src, &src));
	cr_assert_eq(pkt->proto, DCV_PROTO_UDP);
	cr_assert_eq(pkt->sport, 53);
	cr_assert_eq(pkt->dport, 40000);
	cr_assert_eq(pkt->payload_len, payload_len);
	cr_assert_eq(pkt->payload_wire_len, payload_len);
	cr_assert_not(pkt->snap_truncated);
	cr_assert_eq(memcmp(pkt->payload, payload, payload_len), 0);
}

/* Feeds fragments in the given order; all but the last must be absorbed. */
static void feed_order(const unsigned *order, unsigned n, size_t payload_len, int family)
{
	struct dcv_pkt pkt;
	for (unsigned i = 0; i + 1 < n; i++)
		cr_assert_eq(feed(order[i], i, &pkt), DECODE_FRAGMENT, "step %u", i);
	cr_assert_eq(feed(order[n - 1], n, &pkt), DECODE_PACKET);
	assert_reassembled(&pkt, payload_len, family);
}

Test(ip_frag, ipv4_fragments_in_order_are_reassembled)
{
	unsigned n = make_frags(4, 3000, 1200, 77);
	cr_assert_eq(n, 3);
	unsigned order[] = {0, 1, 2};
	feed_order(order, n, 3000, 4);
	const struct decoder_stats *st = decoder_get_stats(dec);
	cr_assert_eq(st->fragments, 3);
	cr_assert_eq(st->reassembled, 1);
	cr_assert_eq(decoder_expire(dec, UINT64_MAX), 0);
}

Test(ip_frag, ipv6_fragments_out_of_order_are_reassembled)
{
	unsigned n = make_frags(6, 3500, 1000, 0x1234);
	cr_assert_eq(n, 4);
	unsigned order[] = {3, 1, 0, 2};
	feed_order(order, n, 3500, 6);
}

Test(ip_frag, ipv4_fragments_in_reverse_order_are_reassembled)
{
	unsigned n = make_frags(4, 3900, 512, 9);
	unsigned order[MAX_FRAGS];
	for (unsigned i = 0; i < n; i++)
		order[i] = n - 1 - i;
	feed_order(order, n, 3900, 4);
}

Test(ip_frag, duplicated_fragments_are_absorbed_once)
{
	unsigned n = make_frags(4, 2000, 800, 5);
	cr_assert_eq(n, 3);
	struct dcv_pkt pkt;
	cr_assert_eq(feed(0, 1, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(0, 2, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(2, 3, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(2, 4, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(1, 5, &pkt), DECODE_PACKET);
	assert_reassembled(&pkt, 2000, 4);
	cr_assert_eq(decoder_get_stats(dec)->reassembled, 1);
	/* a late duplicate opens a new datagram that times out */
	cr_assert_eq(feed(1, 6, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(decoder_expire(dec, UINT64_MAX), 1);
	cr_assert_eq(decoder_get_stats(dec)->frag_expired_fragments, 1);
}

Test(ip_frag, fragments_of_different_datagrams_do_not_mix)
{
	static struct frags a, b;
	make_frags(4, 2000, 1000, 1);
	a = fr;
	make_frags(4, 2000, 1000, 2);
	b = fr;
	/* same id from the other family does not mix either */
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 1, a.data[0], a.len[0], a.len[0], 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(t_decode(dec, 1, b.data[1], b.len[1], b.len[1], 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(t_decode(dec, 1, b.data[2], b.len[2], b.len[2], 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(t_decode(dec, 1, a.data[1], a.len[1], a.len[1], 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(t_decode(dec, 1, b.data[0], b.len[0], b.len[0], 0, &pkt), DECODE_PACKET);
	cr_assert_eq(t_decode(dec, 1, a.data[2], a.len[2], a.len[2], 0, &pkt), DECODE_PACKET);
	assert_reassembled(&pkt, 2000, 4);
}

/* Raw IPv4 fragment carrying bytes [off, off + n) of l4 (offset in bytes). */
static size_t frag4(uint8_t *out, uint16_t id, const uint8_t *l4, size_t off, size_t n, int more)
{
	return t_ip4(out, 5, DCV_PROTO_UDP, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)),
	             l4 + off, n);
}

/* UDP datagram of len bytes (header + payload) in l4; returns len. */
static size_t udp_l4(uint8_t *l4, size_t len)
{
	return t_udp(l4, 53, 40000, payload, len - 8);
}

Test(ip_frag, overlapping_fragments_with_identical_data_are_accepted)
{
	uint8_t l4[2048], f[2048];
	size_t total = udp_l4(l4, 1008);
	struct dcv_pkt pkt;
	size_t n = frag4(f, 3, l4, 0, 512, 1);
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_FRAGMENT);
	n = frag4(f, 3, l4, 256, 512, 1); /* overlaps both neighbours */
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_FRAGMENT);
	n = frag4(f, 3, l4, 504, total - 504, 0);
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_PACKET);
	assert_reassembled(&pkt, 1000, 4);
}

Test(ip_frag, overlapping_fragments_with_different_data_drop_the_datagram)
{
	uint8_t l4[2048], f[2048];
	size_t total = udp_l4(l4, 1008);
	struct dcv_pkt pkt;
	size_t n = frag4(f, 3, l4, 0, 512, 1);
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_FRAGMENT);
	l4[300] ^= 1;
	n = frag4(f, 3, l4, 256, 512, 1);
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DCV_E_FRAG_OVERLAP);
	const struct decoder_stats *st = decoder_get_stats(dec);
	cr_assert_eq(st->frag_dropped, 1);
	cr_assert_eq(st->frag_dropped_fragments, 1);
	/* the datagram is gone: the last piece alone does not complete it */
	l4[300] ^= 1;
	n = frag4(f, 3, l4, 504, total - 504, 0);
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(st->reassembled, 0);
}

Test(ip_frag, fragments_time_out_by_frame_timestamps)
{
	make_frags(4, 2000, 1000, 11);
	struct dcv_pkt pkt;
	uint64_t t0 = 100ull * SEC;
	cr_assert_eq(feed(0, t0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(1, t0 + 1 * SEC, &pkt), DECODE_FRAGMENT);
	/* the timeout counts from the first fragment */
	uint64_t late = t0 + (uint64_t)DECODE_FRAG_TIMEOUT_MS_DEFAULT * 1000000u + 1;
	cr_assert_eq(feed(2, late, &pkt), DECODE_FRAGMENT);
	const struct decoder_stats *st = decoder_get_stats(dec);
	cr_assert_eq(st->frag_expired, 1);
	cr_assert_eq(st->frag_expired_fragments, 2);
	cr_assert_eq(st->reassembled, 0);
	/* flush at end of input */
	cr_assert_eq(decoder_expire(dec, UINT64_MAX), 1);
	cr_assert_eq(st->frag_expired, 2);
	cr_assert_eq(st->frag_expired_fragments, 3);
}

/* A capture filtered on 'port 53' keeps only the first fragment of an IPv4
 * datagram: once the wait is over it comes out as far as it goes, with the
 * UDP header's length; a chain without its first fragment never does. */
Test(ip_frag, a_first_fragment_alone_is_delivered_as_far_as_it_goes)
{
	make_frags(4, 3000, 1000, 21);
	struct dcv_pkt pkt;
	uint64_t t0 = 50ull * SEC, wait = (uint64_t)DECODE_FRAG_PARTIAL_MS_DEFAULT * 1000000u;
	cr_assert_eq(feed(0, t0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(decoder_take_partial(dec, t0 + wait, &pkt), 0, "still waiting");
	cr_assert_eq(decoder_take_partial(dec, t0 + wait + 1, &pkt), DECODE_PACKET);
	cr_assert(pkt.reassembled);
	cr_assert(pkt.snap_truncated);
	cr_assert_eq(pkt.ts_ns, t0);
	cr_assert_eq(pkt.sport, 53);
	cr_assert_eq(pkt.dport, 40000);
	cr_assert_eq(pkt.payload_wire_len, 3000);
	cr_assert_eq(pkt.payload_len, 1000 - 8, "the first fragment's data after the UDP header");
	cr_assert_eq(memcmp(pkt.payload, payload, pkt.payload_len), 0);
	cr_assert_eq(decoder_take_partial(dec, UINT64_MAX, &pkt), 0, "taken once");
	const struct decoder_stats *st = decoder_get_stats(dec);
	cr_assert_eq(st->frag_partial, 1);
	cr_assert_eq(st->frag_expired, 0);

	/* the second and third fragments of another datagram: no start */
	make_frags(4, 3000, 1000, 22);
	cr_assert_eq(feed(1, t0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(2, t0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(decoder_take_partial(dec, UINT64_MAX, &pkt), 0);
	cr_assert_eq(decoder_expire(dec, UINT64_MAX), 1);
	cr_assert_eq(st->frag_partial, 1);
	cr_assert_eq(st->frag_expired, 1);
}

/* IPv6 too (a capture whose own loss left only the first fragment). */
Test(ip_frag, an_ipv6_first_fragment_alone_is_delivered)
{
	make_frags(6, 2500, 1200, 23);
	struct dcv_pkt pkt;
	cr_assert_eq(feed(0, SEC, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(2, SEC, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(decoder_take_partial(dec, 3ull * SEC, &pkt), DECODE_PACKET);
	cr_assert_eq(pkt.src.family, DCV_ADDR_V6);
	cr_assert_eq(pkt.payload_wire_len, 2500);
	cr_assert_eq(pkt.payload_len, 1200 - 8, "the gap ends what is delivered");
}

Test(ip_frag, configured_timeout_applies_and_expire_keeps_young_chains)
{
	struct decoder_config cfg = {.frag_timeout_ms = 2000};
	decoder_free(dec);
	dec = decoder_new(&cfg);
	make_frags(6, 2000, 1000, 12);
	struct dcv_pkt pkt;
	cr_assert_eq(feed(0, 10ull * SEC, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(decoder_expire(dec, 12ull * SEC), 0);
	cr_assert_eq(feed(1, 12ull * SEC, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(2, 12ull * SEC + 1, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(decoder_get_stats(dec)->frag_expired, 1);
}

Test(ip_frag, full_table_evicts_the_oldest_datagram)
{
	struct decoder_config cfg = {.frag_max_datagrams = 2};
	decoder_free(dec);
	dec = decoder_new(&cfg);
	static struct frags d[3];
	for (int i = 0; i < 3; i++) {
		make_frags(4, 2000, 1000, (uint16_t)(100 + i));
		d[i] = fr;
	}
	struct dcv_pkt pkt;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(
		    t_decode(dec, 1, d[i].data[0], d[i].len[0], d[i].len[0], (uint64_t)i, &pkt),
		    DECODE_FRAGMENT);
	const struct decoder_stats *st = decoder_get_stats(dec);
	cr_assert_eq(st->frag_evicted, 1);
	cr_assert_eq(st->frag_expired_fragments, 1);
	/* datagrams 1 and 2 complete, datagram 0 lost its first piece */
	for (int i = 1; i < 3; i++) {
		cr_assert_eq(t_decode(dec, 1, d[i].data[1], d[i].len[1], d[i].len[1], 5, &pkt),
		             DECODE_FRAGMENT);
		cr_assert_eq(t_decode(dec, 1, d[i].data[2], d[i].len[2], d[i].len[2], 5, &pkt),
		             DECODE_PACKET);
	}
	cr_assert_eq(t_decode(dec, 1, d[0].data[1], d[0].len[1], d[0].len[1], 6, &pkt),
	             DECODE_FRAGMENT);
	cr_assert_eq(t_decode(dec, 1, d[0].data[2], d[0].len[2], d[0].len[2], 6, &pkt),
	             DECODE_FRAGMENT);
	cr_assert_eq(st->reassembled, 2);
}

Test(ip_frag, byte_budget_evicts_older_datagrams)
{
	/* the budget holds one whole 64 KiB buffer: a second large datagram evicts the first */
	struct decoder_config cfg = {.frag_max_bytes = 1};
	decoder_free(dec);
	dec = decoder_new(&cfg);
	uint8_t l4[2048], f[2048];
	udp_l4(l4, 1024);
	struct dcv_pkt pkt;
	size_t n = frag4(f, 1, l4, 0, 1024, 1);
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_FRAGMENT);
	/* a piece near the end of the 64 KiB space needs the largest buffer */
	n = t_ip4(f, 5, DCV_PROTO_UDP, 2, (uint16_t)(0x2000 | (64000 / 8)), l4, 1024);
	cr_assert_eq(t_decode(dec, 228, f, n, n, 1, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(decoder_get_stats(dec)->frag_evicted, 1);
}

struct frag_case {
	const char *name;
	uint16_t frag_word; /* MF | offset/8 of the second fragment */
	size_t len;         /* its data length */
	int expect;
};

Test(ip_frag, inconsistent_fragments_are_rejected)
{
	static const struct frag_case cases[] = {
	    {"more fragments with a length not a multiple of 8", 0x2000 | 64, 100,
	     DCV_E_FRAG_OFFSET},
	    {"end past 65535 bytes", 8189, 64, DCV_E_FRAG_TOO_BIG},
	    {"second last fragment with a different end", 64, 64, DCV_E_FRAG_OFFSET},
	    {"last fragment before data already held", 16, 8, DCV_E_FRAG_OFFSET},
	    {"more fragments past the known end", 0x2000 | 128, 512, DCV_E_FRAG_OFFSET},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decoder_free(dec);
		dec = decoder_new(NULL);
		uint8_t l4[4096], f[4096];
		memset(l4, 0x5a, sizeof(l4));
		udp_l4(l4, 1200);
		struct dcv_pkt pkt;
		/* held already: [0, 256) and the last piece [1024, 1200) */
		size_t n = frag4(f, 7, l4, 0, 256, 1);
		cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_FRAGMENT);
		n = frag4(f, 7, l4, 1024, 176, 0);
		cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_FRAGMENT);
		n = t_ip4(f, 5, DCV_PROTO_UDP, 7, cases[i].frag_word, l4, cases[i].len);
		int rc = t_decode(dec, 228, f, n, n, 0, &pkt);
		cr_assert_eq(rc, cases[i].expect, "%s: got %d (%s)", cases[i].name, rc,
		             dcv_strerror(rc));
	}
}

Test(ip_frag, too_many_fragments_drop_the_datagram)
{
	uint8_t l4[8192], f[2048];
	memset(l4, 1, sizeof(l4));
	struct dcv_pkt pkt;
	for (unsigned i = 0; i < DECODE_FRAG_MAX_FRAGS; i++) {
		size_t n = frag4(f, 8, l4, i * 8, 8, 1);
		cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_FRAGMENT);
	}
	size_t n = frag4(f, 8, l4, DECODE_FRAG_MAX_FRAGS * 8, 8, 1);
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DCV_E_FRAG_TOO_MANY);
	cr_assert_eq(decoder_get_stats(dec)->frag_dropped_fragments, DECODE_FRAG_MAX_FRAGS);
}

Test(ip_frag, fragments_of_other_protocols_are_not_stored)
{
	uint8_t f[256], data[64] = {8};
	size_t n = t_ip4(f, 5, 1 /* ICMP */, 9, 0x2000, data, 64);
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 228, f, n, n, 0, &pkt), DECODE_OTHER_PROTO);
	uint8_t pl[128];
	size_t m = t_frag6(pl, 58 /* ICMPv6 */, 0, 1, 9);
	memset(pl + m, 0, 64);
	n = t_ip6(f, IP6_NH_FRAGMENT, pl, m + 64);
	cr_assert_eq(t_decode(dec, 229, f, n, n, 0, &pkt), DECODE_OTHER_PROTO);
	cr_assert_eq(decoder_expire(dec, UINT64_MAX), 0);
}

Test(ip_frag, ipv6_extension_header_inside_the_fragmentable_part_is_walked)
{
	/* fragmentable part: destination options (8) + UDP (8 + 1000) */
	uint8_t part[2048], f[2048], pl[2048];
	size_t plen = t_ext8(part, DCV_PROTO_UDP);
	plen += t_udp(part + plen, 53, 40000, payload, 1000);
	struct dcv_pkt pkt;
	size_t m = t_frag6(pl, IP6_NH_DSTOPTS, 512, 0, 0xfeed);
	memcpy(pl + m, part + 512, plen - 512);
	size_t n = t_ip6(f, IP6_NH_FRAGMENT, pl, m + plen - 512);
	cr_assert_eq(t_decode(dec, 229, f, n, n, 0, &pkt), DECODE_FRAGMENT);
	/* a hop-by-hop header in front of the fragment header is unfragmentable */
	m = t_ext8(pl, IP6_NH_FRAGMENT);
	m += t_frag6(pl + m, IP6_NH_DSTOPTS, 0, 1, 0xfeed);
	memcpy(pl + m, part, 512);
	n = t_ip6(f, IP6_NH_HOPOPTS, pl, m + 512);
	cr_assert_eq(t_decode(dec, 229, f, n, n, 0, &pkt), DECODE_PACKET);
	cr_assert(pkt.reassembled);
	cr_assert_eq(pkt.payload_len, 1000);
	cr_assert_eq(memcmp(pkt.payload, payload, 1000), 0);
}

Test(ip_frag, snap_truncated_last_fragment_gives_a_truncated_packet)
{
	unsigned n = make_frags(4, 2000, 800, 21); /* 800 + 800 + 408 bytes */
	cr_assert_eq(n, 3);
	struct dcv_pkt pkt;
	cr_assert_eq(feed(0, 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(1, 0, &pkt), DECODE_FRAGMENT);
	/* last fragment: only 100 of its bytes after the IP header captured */
	size_t cap = 14 + 20 + 100;
	cr_assert_eq(t_decode(dec, 1, fr.data[2], cap, fr.len[2], 0, &pkt), DECODE_PACKET);
	cr_assert(pkt.reassembled);
	cr_assert(pkt.snap_truncated);
	cr_assert_eq(pkt.payload_wire_len, 2000);
	cr_assert_eq(fr.len[2], 14 + 20 + 408);
	cr_assert_eq(pkt.payload_len, 800 + 800 + 100 - 8);
	cr_assert_eq(memcmp(pkt.payload, payload, pkt.payload_len), 0);
}

Test(ip_frag, snap_truncated_middle_fragment_keeps_only_the_prefix)
{
	unsigned n = make_frags(6, 3000, 1000, 22);
	cr_assert_eq(n, 4);
	struct dcv_pkt pkt;
	cr_assert_eq(feed(0, 0, &pkt), DECODE_FRAGMENT);
	size_t cap = 14 + 48 + 200;
	cr_assert_eq(t_decode(dec, 1, fr.data[1], cap, fr.len[1], 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(3, 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(2, 0, &pkt), DECODE_PACKET);
	cr_assert(pkt.snap_truncated);
	/* first fragment's 1000 bytes hold the UDP header; then 200 more */
	cr_assert_eq(pkt.payload_len, 1000 - 8 + 200);
	cr_assert_eq(pkt.payload_wire_len, 3000);
	cr_assert_eq(memcmp(pkt.payload, payload, pkt.payload_len), 0);
}

Test(ip_frag, fragment_cut_before_any_data_still_completes_the_datagram)
{
	unsigned n = make_frags(4, 2000, 800, 23);
	cr_assert_eq(n, 3);
	struct dcv_pkt pkt;
	/* the last fragment arrives first with only its IP header captured */
	cr_assert_eq(t_decode(dec, 1, fr.data[2], 14 + 20, fr.len[2], 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(0, 0, &pkt), DECODE_FRAGMENT);
	cr_assert_eq(feed(1, 0, &pkt), DECODE_PACKET);
	cr_assert(pkt.snap_truncated);
	cr_assert_eq(pkt.payload_len, 800 + 800 - 8);
	cr_assert_eq(pkt.payload_wire_len, 2000);
}
