/* test_decode_ip.c - IPv4/IPv6 and UDP/TCP header rules: malformed cases, snap truncation, padding,
 * extension headers. */
#include <criterion/criterion.h>
#include <string.h>

#include "dcv_error.h"
#include "decode.h"
#include "decode_test_util.h"
#include "ip.h"

static const uint8_t PAYLOAD[] = "0123456789abcdefghijklmnopqrstuvwxyz";
enum { PAYLOAD_LEN = sizeof(PAYLOAD) - 1 };

static struct decoder *dec;

static void setup(void)
{
	dec = decoder_new(NULL);
	cr_assert_not_null(dec);
}

static void teardown(void)
{
	decoder_free(dec);
}

TestSuite(decode_ip, .init = setup, .fini = teardown);

/* Raw IPv4 UDP frame with PAYLOAD. */
static size_t udp4(uint8_t *frame)
{
	uint8_t l4[128];
	size_t n = t_udp(l4, 40000, 53, PAYLOAD, PAYLOAD_LEN);
	return t_ip4(frame, 5, DCV_PROTO_UDP, 1, 0x4000, l4, n);
}

/* Raw IPv4 TCP frame with PAYLOAD and doff words of TCP header. */
static size_t tcp4(uint8_t *frame, unsigned doff)
{
	uint8_t l4[128];
	size_t n = t_tcp(l4, doff, 1000, 2000, DCV_TCP_PSH | DCV_TCP_ACK, PAYLOAD, PAYLOAD_LEN);
	return t_ip4(frame, 5, DCV_PROTO_TCP, 1, 0, l4, n);
}

/* Raw IPv6 UDP frame with PAYLOAD. */
static size_t udp6(uint8_t *frame)
{
	uint8_t l4[128];
	size_t n = t_udp(l4, 40000, 53, PAYLOAD, PAYLOAD_LEN);
	return t_ip6(frame, DCV_PROTO_UDP, l4, n);
}

static void assert_payload(const struct dcv_pkt *pkt)
{
	cr_assert_eq(pkt->payload_len, PAYLOAD_LEN);
	cr_assert_eq(pkt->payload_wire_len, PAYLOAD_LEN);
	cr_assert_eq(memcmp(pkt->payload, PAYLOAD, PAYLOAD_LEN), 0);
	cr_assert_not(pkt->snap_truncated);
}

/* ---- malformed headers, one table ---- */

enum { M_UDP4, M_TCP4, M_UDP6 };

struct malformed_case {
	const char *name;
	int base;                                    /* M_* frame to start from */
	void (*mutate)(uint8_t *frame, size_t *len); /* breaks it */
	int expect;
};

static void v4_cut_19(uint8_t *f, size_t *n)
{
	(void)f;
	*n = 19;
}
static void v4_ihl_4(uint8_t *f, size_t *n)
{
	(void)n;
	f[0] = 0x44;
}
static void v4_ihl_past_totlen(uint8_t *f, size_t *n)
{
	f[0] = 0x4f; /* 60 bytes of header */
	t_put16(f + 2, 40);
	*n = 80;
}
static void v4_totlen_19(uint8_t *f, size_t *n)
{
	(void)n;
	t_put16(f + 2, 19);
}
static void v4_totlen_past_frame(uint8_t *f, size_t *n)
{
	t_put16(f + 2, (uint16_t)(*n + 1));
}
static void v4_version_6(uint8_t *f, size_t *n)
{
	(void)n;
	f[0] = 0x65;
}
static void v4_options_cut(uint8_t *f, size_t *n)
{
	/* header claims 24 bytes; only 20 captured and the IP total says 24 */
	f[0] = 0x46;
	t_put16(f + 2, 24);
	*n = 20;
}
static void udp_len_7(uint8_t *f, size_t *n)
{
	(void)n;
	t_put16(f + 20 + 4, 7);
}
static void udp_len_past_ip(uint8_t *f, size_t *n)
{
	t_put16(f + 20 + 4, (uint16_t)(*n - 20 + 1));
}
static void udp_ip_payload_7(uint8_t *f, size_t *n)
{
	t_put16(f + 2, 27);
	*n = 27;
}
static void tcp_doff_4(uint8_t *f, size_t *n)
{
	(void)n;
	f[20 + 12] = 4 << 4;
}
static void tcp_doff_past_segment(uint8_t *f, size_t *n)
{
	(void)n;
	f[20 + 12] = 15 << 4; /* 60 > 20 + payload */
}
static void tcp_ip_payload_19(uint8_t *f, size_t *n)
{
	t_put16(f + 2, 39);
	*n = 39;
}
static void v6_cut_39(uint8_t *f, size_t *n)
{
	(void)f;
	*n = 39;
}
static void v6_version_4(uint8_t *f, size_t *n)
{
	(void)n;
	f[0] = 0x45;
}
static void v6_plen_past_frame(uint8_t *f, size_t *n)
{
	t_put16(f + 4, (uint16_t)(*n - 40 + 1));
}
static void v6_udp_len_past_plen(uint8_t *f, size_t *n)
{
	t_put16(f + 40 + 4, (uint16_t)(*n - 40 + 8));
}

Test(decode_ip, malformed_headers_are_rejected_with_their_reason)
{
	static const struct malformed_case cases[] = {
	    {"IPv4 shorter than 20 bytes", M_UDP4, v4_cut_19, DCV_E_IP_SHORT},
	    {"IPv4 header length below 20", M_UDP4, v4_ihl_4, DCV_E_IP_HDRLEN},
	    {"IPv4 header length past total length", M_UDP4, v4_ihl_past_totlen, DCV_E_IP_HDRLEN},
	    {"IPv4 total length below 20", M_UDP4, v4_totlen_19, DCV_E_IP_TOTLEN},
	    {"IPv4 total length past a complete frame", M_UDP4, v4_totlen_past_frame,
	     DCV_E_IP_TOTLEN},
	    {"IPv4 version 6 behind raw IPv4 link type", M_UDP4, v4_version_6, DCV_E_IP_VERSION},
	    {"IPv4 options past the frame", M_UDP4, v4_options_cut, DCV_E_IP_TOTLEN},
	    {"UDP length below 8", M_UDP4, udp_len_7, DCV_E_UDP_LEN},
	    {"UDP length past the IP payload", M_UDP4, udp_len_past_ip, DCV_E_UDP_LEN},
	    {"UDP header cut by the IP length", M_UDP4, udp_ip_payload_7, DCV_E_UDP_SHORT},
	    {"TCP data offset below 5", M_TCP4, tcp_doff_4, DCV_E_TCP_HDRLEN},
	    {"TCP data offset past the segment", M_TCP4, tcp_doff_past_segment, DCV_E_TCP_HDRLEN},
	    {"TCP header cut by the IP length", M_TCP4, tcp_ip_payload_19, DCV_E_TCP_SHORT},
	    {"IPv6 shorter than 40 bytes", M_UDP6, v6_cut_39, DCV_E_IP_SHORT},
	    {"IPv6 version 4 behind raw IPv6 link type", M_UDP6, v6_version_4, DCV_E_IP_VERSION},
	    {"IPv6 payload length past a complete frame", M_UDP6, v6_plen_past_frame,
	     DCV_E_IP_TOTLEN},
	    {"UDP length past the IPv6 payload", M_UDP6, v6_udp_len_past_plen, DCV_E_UDP_LEN},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t frame[256] = {0};
		size_t n = cases[i].base == M_UDP4   ? udp4(frame)
		           : cases[i].base == M_TCP4 ? tcp4(frame, 5)
		                                     : udp6(frame);
		struct dcv_pkt pkt;
		/* the unbroken frame decodes: the case breaks exactly one thing */
		int link = cases[i].base == M_UDP6 ? 229 : 228;
		cr_assert_eq(t_decode(dec, link, frame, n, n, 0, &pkt), DECODE_PACKET, "%s",
		             cases[i].name);
		cases[i].mutate(frame, &n);
		int rc = t_decode(dec, link, frame, n, n, 0, &pkt);
		cr_assert_eq(rc, cases[i].expect, "%s: got %d (%s), want %s", cases[i].name, rc,
		             dcv_strerror(rc), dcv_strerror(cases[i].expect));
	}
}

/* ---- lengths ---- */

Test(decode_ip, ethernet_padding_after_a_short_ip_packet_is_ignored)
{
	uint8_t frame[128];
	memset(frame, 0xee, sizeof(frame));
	size_t off = t_eth(frame, NULL, 0, 0x0800);
	uint8_t l4[16];
	size_t n = t_udp(l4, 40000, 53, (const uint8_t *)"ab", 2);
	n = t_ip4(frame + off, 5, DCV_PROTO_UDP, 1, 0, l4, n); /* 30 bytes of IP */
	cr_assert_eq(off + n, 44);
	struct dcv_pkt pkt;
	/* 60-byte minimum frame: 16 bytes of padding */
	cr_assert_eq(t_decode(dec, 1, frame, 60, 60, 0, &pkt), DECODE_PACKET);
	cr_assert_eq(pkt.payload_len, 2);
	cr_assert_eq(pkt.payload_wire_len, 2);
	cr_assert_eq(memcmp(pkt.payload, "ab", 2), 0);

	off = t_eth(frame, NULL, 0, 0x86dd);
	n = t_udp(l4, 40000, 53, (const uint8_t *)"ab", 2);
	n = t_ip6(frame + off, DCV_PROTO_UDP, l4, n);
	memset(frame + off + n, 0xee, 20);
	cr_assert_eq(t_decode(dec, 1, frame, off + n + 20, off + n + 20, 0, &pkt), DECODE_PACKET);
	cr_assert_eq(pkt.payload_len, 2);
}

Test(decode_ip, udp_length_below_the_ip_payload_uses_the_udp_length)
{
	uint8_t frame[256];
	size_t n = udp4(frame);
	t_put16(frame + 20 + 4, 8 + 4);
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 228, frame, n, n, 0, &pkt), DECODE_PACKET);
	cr_assert_eq(pkt.payload_len, 4);
	cr_assert_eq(pkt.payload_wire_len, 4);
}

Test(decode_ip, snap_truncated_udp_keeps_the_claimed_length)
{
	uint8_t frame[256];
	size_t n = udp4(frame);
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 228, frame, 20 + 8 + 10, n, 0, &pkt), DECODE_PACKET);
	cr_assert(pkt.snap_truncated);
	cr_assert_eq(pkt.payload_len, 10);
	cr_assert_eq(pkt.payload_wire_len, PAYLOAD_LEN);
	cr_assert_eq(memcmp(pkt.payload, PAYLOAD, 10), 0);

	/* cut right after the UDP header: a packet with no payload bytes */
	cr_assert_eq(t_decode(dec, 228, frame, 28, n, 0, &pkt), DECODE_PACKET);
	cr_assert_eq(pkt.payload_len, 0);
	cr_assert(pkt.snap_truncated);

	/* cut inside the UDP header: ports unknown */
	cr_assert_eq(t_decode(dec, 228, frame, 27, n, 0, &pkt), DCV_E_UDP_SHORT);
	/* cut inside the IP header */
	cr_assert_eq(t_decode(dec, 228, frame, 19, n, 0, &pkt), DCV_E_IP_SHORT);
}

Test(decode_ip, snap_truncated_tcp_over_ipv6_behind_ethernet)
{
	uint8_t frame[256];
	size_t off = t_eth(frame, NULL, 0, 0x86dd);
	uint8_t l4[128];
	size_t n = t_tcp(l4, 8, 7, 9, DCV_TCP_ACK, PAYLOAD, PAYLOAD_LEN);
	n = off + t_ip6(frame + off, DCV_PROTO_TCP, l4, n);
	struct dcv_pkt pkt;
	size_t cap = off + 40 + 32 + 5;
	cr_assert_eq(t_decode(dec, 1, frame, cap, n, 0, &pkt), DECODE_PACKET);
	cr_assert(pkt.snap_truncated);
	cr_assert_eq(pkt.payload_len, 5);
	cr_assert_eq(pkt.payload_wire_len, PAYLOAD_LEN);
	cr_assert_eq(pkt.tcp_seq, 7);
	/* TCP options cut by the snap length */
	cr_assert_eq(t_decode(dec, 1, frame, off + 40 + 24, n, 0, &pkt), DCV_E_TCP_SHORT);
}

Test(decode_ip, ip_length_past_the_wire_length_is_malformed_even_when_truncated)
{
	uint8_t frame[256];
	size_t n = udp4(frame);
	t_put16(frame + 2, 1500);
	struct dcv_pkt pkt;
	/* caplen 40 of 80 on the wire, but IP claims 1500 */
	cr_assert_eq(t_decode(dec, 228, frame, 40, 80, 0, &pkt), DCV_E_IP_TOTLEN);
	(void)n;
}

/* ---- IPv4 ---- */

Test(decode_ip, ipv4_options_are_skipped)
{
	uint8_t frame[256], l4[128];
	size_t n = t_udp(l4, 1, 2, PAYLOAD, PAYLOAD_LEN);
	n = t_ip4(frame, 9, DCV_PROTO_UDP, 1, 0, l4, n);
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 228, frame, n, n, 0, &pkt), DECODE_PACKET);
	cr_assert_eq(pkt.sport, 1);
	cr_assert_eq(pkt.dport, 2);
	assert_payload(&pkt);
}

Test(decode_ip, tcp_fields_and_options_are_read)
{
	uint8_t frame[256];
	size_t n = tcp4(frame, 8);
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 228, frame, n, n, 0, &pkt), DECODE_PACKET);
	cr_assert_eq(pkt.proto, DCV_PROTO_TCP);
	cr_assert_eq(pkt.sport, 40000);
	cr_assert_eq(pkt.dport, 53);
	cr_assert_eq(pkt.tcp_seq, 1000);
	cr_assert_eq(pkt.tcp_ack, 2000);
	cr_assert_eq(pkt.tcp_flags, DCV_TCP_PSH | DCV_TCP_ACK);
	assert_payload(&pkt);
}

Test(decode_ip, icmp_and_other_protocols_are_other_proto)
{
	uint8_t frame[128], icmp[8] = {8, 0};
	size_t n = t_ip4(frame, 5, 1, 1, 0, icmp, sizeof(icmp));
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 228, frame, n, n, 0, &pkt), DECODE_OTHER_PROTO);
	n = t_ip4(frame, 5, 132 /* SCTP */, 1, 0, icmp, sizeof(icmp));
	cr_assert_eq(t_decode(dec, 228, frame, n, n, 0, &pkt), DECODE_OTHER_PROTO);
	n = t_ip6(frame, 58 /* ICMPv6 */, icmp, sizeof(icmp));
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DECODE_OTHER_PROTO);
}

Test(decode_ip, ipv4_checksums_are_not_verified_unless_asked)
{
	uint8_t frame[256];
	size_t n = udp4(frame);
	frame[10] ^= 0xff; /* offloaded: the header checksum is garbage */
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 228, frame, n, n, 0, &pkt), DECODE_PACKET);

	struct decoder_config cfg = {.verify_ipv4_checksum = true};
	struct decoder *strict = decoder_new(&cfg);
	cr_assert_eq(t_decode(strict, 228, frame, n, n, 0, &pkt), DCV_E_IP_CHECKSUM);
	frame[10] ^= 0xff;
	cr_assert_eq(t_decode(strict, 228, frame, n, n, 0, &pkt), DECODE_PACKET);
	decoder_free(strict);
}

/* ---- IPv6 extension headers ---- */

/* IPv6 frame: chain of extension headers given as (type) list, then UDP. */
static size_t v6_with_exts(uint8_t *frame, const uint8_t *types, size_t nt, uint8_t last)
{
	uint8_t pl[512];
	size_t off = 0;
	for (size_t i = 0; i < nt; i++) {
		uint8_t next = i + 1 < nt ? types[i + 1] : last;
		if (types[i] == IP6_NH_AH) {
			memset(pl + off, 0, 16);
			pl[off] = next;
			pl[off + 1] = 2; /* (2 + 2) * 4 = 16 bytes */
			off += 16;
		} else if (types[i] == IP6_NH_FRAGMENT) {
			off += t_frag6(pl + off, next, 0, 0, 5); /* atomic */
		} else {
			off += t_ext8(pl + off, next);
		}
	}
	off += t_udp(pl + off, 40000, 53, PAYLOAD, PAYLOAD_LEN);
	return t_ip6(frame, nt ? types[0] : last, pl, off);
}

Test(decode_ip, ipv6_extension_headers_are_walked_to_udp)
{
	static const uint8_t chain[] = {IP6_NH_HOPOPTS, IP6_NH_DSTOPTS,  IP6_NH_ROUTING,
	                                IP6_NH_AH,      IP6_NH_FRAGMENT, IP6_NH_DSTOPTS};
	uint8_t frame[1024];
	size_t n = v6_with_exts(frame, chain, sizeof(chain), DCV_PROTO_UDP);
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DECODE_PACKET);
	cr_assert_eq(pkt.dport, 53);
	assert_payload(&pkt);
	cr_assert_not(pkt.reassembled); /* atomic fragment (RFC 6946) */
	cr_assert_eq(decoder_get_stats(dec)->fragments, 0);
}

Test(decode_ip, ipv6_esp_and_no_next_header_are_other_proto)
{
	uint8_t frame[1024];
	static const uint8_t dst[] = {IP6_NH_DSTOPTS};
	size_t n = v6_with_exts(frame, dst, 1, IP6_NH_ESP);
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DECODE_OTHER_PROTO);
	n = v6_with_exts(frame, NULL, 0, IP6_NH_ESP);
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DECODE_OTHER_PROTO);
	n = v6_with_exts(frame, dst, 1, IP6_NH_NONE);
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DECODE_OTHER_PROTO);
}

Test(decode_ip, ipv6_extension_chain_longer_than_the_limit_is_rejected)
{
	uint8_t types[IP6_MAX_EXTHDRS + 1];
	memset(types, IP6_NH_DSTOPTS, sizeof(types));
	uint8_t frame[1024];
	struct dcv_pkt pkt;
	size_t n = v6_with_exts(frame, types, IP6_MAX_EXTHDRS, DCV_PROTO_UDP);
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DECODE_PACKET);
	n = v6_with_exts(frame, types, IP6_MAX_EXTHDRS + 1, DCV_PROTO_UDP);
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DCV_E_IP6_EXTHDR);
}

Test(decode_ip, invalid_ipv6_extension_headers_are_rejected)
{
	uint8_t frame[1024];
	struct dcv_pkt pkt;
	size_t n;

	/* hop-by-hop after another extension header (RFC 8200 4.3) */
	static const uint8_t late_hbh[] = {IP6_NH_DSTOPTS, IP6_NH_HOPOPTS};
	n = v6_with_exts(frame, late_hbh, 2, DCV_PROTO_UDP);
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DCV_E_IP6_EXTHDR);

	/* extension header length past the payload */
	static const uint8_t one[] = {IP6_NH_ROUTING};
	n = v6_with_exts(frame, one, 1, DCV_PROTO_UDP);
	frame[41] = 200;
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DCV_E_IP6_EXTHDR);

	/* payload ends inside the first two bytes of an extension header */
	n = t_ip6(frame, IP6_NH_DSTOPTS, (const uint8_t *)"\x11", 1);
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DCV_E_IP6_EXTHDR);

	/* fragment header cut short */
	n = t_ip6(frame, IP6_NH_FRAGMENT, (const uint8_t *)"\x11\x00\x00\x00\x00", 5);
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DCV_E_IP6_EXTHDR);

	/* AH length counts 4-byte words minus 2: 16 bytes claimed, 12 there */
	uint8_t pl[12] = {DCV_PROTO_UDP, 2};
	n = t_ip6(frame, IP6_NH_AH, pl, sizeof(pl));
	cr_assert_eq(t_decode(dec, 229, frame, n, n, 0, &pkt), DCV_E_IP6_EXTHDR);

	/* extension header cut by the snap length is still not decodable */
	n = v6_with_exts(frame, one, 1, DCV_PROTO_UDP);
	cr_assert_eq(t_decode(dec, 229, frame, 44, n, 0, &pkt), DCV_E_IP6_EXTHDR);
}
