/* test_decode_link.c - every supported link type, VLAN stacks, and the DLT mapping through libpcap
 * files. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>

#include "dcv_error.h"
#include "decode.h"
#include "decode_test_util.h"
#include "link.h"
#include "pcap_file.h"
#include <pcap/dlt.h>
#include "pktbuild.h"
#include "test_support.h"

static const uint8_t DNS_Q[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0,
                                0,    3,    'f',  'o',  'o',  0,    0, 1, 0, 1};

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

TestSuite(decode_link, .init = setup, .fini = teardown);

static struct pb_packet udp_packet(int linktype, int family)
{
	struct pb_packet p = {0};
	p.linktype = linktype;
	p.src = family == 6 ? dcv_addr_v6(T_SRC6) : dcv_addr_v4(T_SRC4);
	p.dst = family == 6 ? dcv_addr_v6(T_DST6) : dcv_addr_v4(T_DST4);
	p.proto = DCV_PROTO_UDP;
	p.sport = 40000;
	p.dport = 53;
	p.payload = DNS_Q;
	p.payload_len = sizeof(DNS_Q);
	return p;
}

/* Checks that pkt is the UDP DNS query of udp_packet(). */
static void assert_dns_query(const struct dcv_pkt *pkt, int family)
{
	struct dcv_addr src = family == 6 ? dcv_addr_v6(T_SRC6) : dcv_addr_v4(T_SRC4);
	struct dcv_addr dst = family == 6 ? dcv_addr_v6(T_DST6) : dcv_addr_v4(T_DST4);
	cr_assert(dcv_addr_equal(&pkt->src, &src));
	cr_assert(dcv_addr_equal(&pkt->dst, &dst));
	cr_assert_eq(pkt->proto, DCV_PROTO_UDP);
	cr_assert_eq(pkt->sport, 40000);
	cr_assert_eq(pkt->dport, 53);
	cr_assert_eq(pkt->payload_len, sizeof(DNS_Q));
	cr_assert_eq(pkt->payload_wire_len, sizeof(DNS_Q));
	cr_assert_arr_eq(pkt->payload, DNS_Q, sizeof(DNS_Q));
	cr_assert_not(pkt->snap_truncated);
	cr_assert_not(pkt->reassembled);
}

/* Raw IP bytes of the query (no link header). */
static size_t raw_ip(int family, uint8_t *out)
{
	struct pb_packet p = udp_packet(PB_LINK_RAW, family);
	return pb_build(&p, out, PB_FRAME_MAX);
}

Test(decode_link, pktbuild_link_types_decode_to_the_same_packet)
{
	static const int links[] = {PB_LINK_NULL, PB_LINK_ETHERNET, PB_LINK_RAW, PB_LINK_LINUX_SLL,
	                            PB_LINK_LINUX_SLL2};
	static uint8_t frame[PB_FRAME_MAX];
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		for (int family = 4; family <= 6; family += 2) {
			struct pb_packet p = udp_packet(links[i], family);
			size_t n = pb_build(&p, frame, sizeof(frame));
			cr_assert_gt(n, 0);
			struct dcv_pkt pkt;
			cr_assert_eq(t_decode(dec, links[i], frame, n, n, 7, &pkt), DECODE_PACKET,
			             "link %d v%d", links[i], family);
			assert_dns_query(&pkt, family);
			cr_assert_eq(pkt.ts_ns, 7);
		}
	}
}

Test(decode_link, linux_sll_v1_reads_protocol_at_offset_14)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct pb_packet p = udp_packet(PB_LINK_LINUX_SLL, 6);
	size_t n = pb_build(&p, frame, sizeof(frame));
	cr_assert_eq(frame[14], 0x86);
	cr_assert_eq(frame[15], 0xdd);
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, LINK_TYPE_LINUX_SLL, frame, n, n, 0, &pkt), DECODE_PACKET);
	/* ARP in the same header is not IP */
	frame[14] = 0x08;
	frame[15] = 0x06;
	cr_assert_eq(t_decode(dec, LINK_TYPE_LINUX_SLL, frame, n, n, 0, &pkt), DECODE_NOT_IP);
}

Test(decode_link, linux_sll_v2_reads_protocol_at_offset_0)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct pb_packet p = udp_packet(PB_LINK_LINUX_SLL2, 4);
	size_t n = pb_build(&p, frame, sizeof(frame));
	struct dcv_pkt pkt;
	cr_assert_eq(t_decode(dec, LINK_TYPE_LINUX_SLL2, frame, n, n, 0, &pkt), DECODE_PACKET);
	assert_dns_query(&pkt, 4);
	frame[0] = 0x88; /* 0x88cc LLDP */
	frame[1] = 0xcc;
	cr_assert_eq(t_decode(dec, LINK_TYPE_LINUX_SLL2, frame, n, n, 0, &pkt), DECODE_NOT_IP);
}

Test(decode_link, raw_ip_link_types_choose_the_version_by_nibble)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct dcv_pkt pkt;
	static const int raw_types[] = {LINK_TYPE_DLT_RAW, LINK_TYPE_DLT_RAW_OB, LINK_TYPE_RAW};
	for (size_t i = 0; i < 3; i++) {
		size_t n = raw_ip(4, frame);
		cr_assert_eq(t_decode(dec, raw_types[i], frame, n, n, 0, &pkt), DECODE_PACKET);
		assert_dns_query(&pkt, 4);
		n = raw_ip(6, frame);
		cr_assert_eq(t_decode(dec, raw_types[i], frame, n, n, 0, &pkt), DECODE_PACKET);
		assert_dns_query(&pkt, 6);
	}
	size_t n = raw_ip(4, frame);
	frame[0] = 0x55; /* version 5 */
	cr_assert_eq(t_decode(dec, LINK_TYPE_RAW, frame, n, n, 0, &pkt), DCV_E_IP_VERSION);
	cr_assert_eq(t_decode(dec, LINK_TYPE_RAW, frame, 0, 0, 0, &pkt), DCV_E_IP_SHORT);
}

Test(decode_link, linktype_ipv4_and_ipv6_fix_the_version)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct dcv_pkt pkt;
	size_t n = raw_ip(4, frame);
	cr_assert_eq(t_decode(dec, LINK_TYPE_IPV4, frame, n, n, 0, &pkt), DECODE_PACKET);
	assert_dns_query(&pkt, 4);
	cr_assert_eq(t_decode(dec, LINK_TYPE_IPV6, frame, n, n, 0, &pkt), DCV_E_IP_VERSION);
	n = raw_ip(6, frame);
	cr_assert_eq(t_decode(dec, LINK_TYPE_IPV6, frame, n, n, 0, &pkt), DECODE_PACKET);
	assert_dns_query(&pkt, 6);
	cr_assert_eq(t_decode(dec, LINK_TYPE_IPV4, frame, n, n, 0, &pkt), DCV_E_IP_VERSION);
}

Test(decode_link, bsd_null_accepts_either_byte_order_and_every_inet6_value)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct dcv_pkt pkt;
	static const uint32_t af6[] = {10, 24, 28, 30};
	for (int big = 0; big <= 1; big++) {
		size_t n = 4 + raw_ip(4, frame + 4);
		if (big)
			t_put32(frame, 2);
		else
			memcpy(frame, (uint8_t[]){2, 0, 0, 0}, 4);
		cr_assert_eq(t_decode(dec, LINK_TYPE_NULL, frame, n, n, 0, &pkt), DECODE_PACKET);
		assert_dns_query(&pkt, 4);
		for (size_t i = 0; i < 4; i++) {
			n = 4 + raw_ip(6, frame + 4);
			if (big)
				t_put32(frame, af6[i]);
			else
				memcpy(frame, (uint8_t[]){(uint8_t)af6[i], 0, 0, 0}, 4);
			cr_assert_eq(t_decode(dec, LINK_TYPE_NULL, frame, n, n, 0, &pkt),
			             DECODE_PACKET, "AF %u big-endian %d", af6[i], big);
			assert_dns_query(&pkt, 6);
		}
	}
	t_put32(frame, 7); /* AF_OSI-ish: not IP */
	cr_assert_eq(t_decode(dec, LINK_TYPE_NULL, frame, 60, 60, 0, &pkt), DECODE_NOT_IP);
}

Test(decode_link, bsd_loop_reads_the_family_in_network_order)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct dcv_pkt pkt;
	size_t n = 4 + raw_ip(6, frame + 4);
	t_put32(frame, 24);
	cr_assert_eq(t_decode(dec, LINK_TYPE_LOOP, frame, n, n, 0, &pkt), DECODE_PACKET);
	assert_dns_query(&pkt, 6);
	n = 4 + raw_ip(4, frame + 4);
	t_put32(frame, 2);
	cr_assert_eq(t_decode(dec, LINK_TYPE_LOOP, frame, n, n, 0, &pkt), DECODE_PACKET);
	/* host order on a little-endian machine is not DLT_LOOP's order */
	memcpy(frame, (uint8_t[]){2, 0, 0, 0}, 4);
	cr_assert_eq(t_decode(dec, LINK_TYPE_LOOP, frame, n, n, 0, &pkt), DECODE_NOT_IP);
}

/* Ethernet frame with the given VLAN TPIDs in front of the query; returns length. */
static size_t vlan_frame(uint8_t *frame, const uint16_t *tpids, int n, int family)
{
	size_t off = t_eth(frame, tpids, n, family == 6 ? 0x86dd : 0x0800);
	return off + raw_ip(family, frame + off);
}

Test(decode_link, single_vlan_and_qinq_tags_are_skipped)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct dcv_pkt pkt;
	struct pb_packet p = udp_packet(PB_LINK_ETHERNET, 4);
	p.vlans = 1;
	p.vlan_ids[0] = 10;
	size_t n = pb_build(&p, frame, sizeof(frame));
	cr_assert_eq(n, 18 + raw_ip(4, frame + 1000));
	cr_assert_eq(t_decode(dec, 1, frame, n, n, 0, &pkt), DECODE_PACKET);
	assert_dns_query(&pkt, 4);
	p = udp_packet(PB_LINK_ETHERNET, 6);
	p.vlans = 2;
	n = pb_build(&p, frame, sizeof(frame));
	cr_assert_eq(t_decode(dec, 1, frame, n, n, 0, &pkt), DECODE_PACKET);
	assert_dns_query(&pkt, 6);
}

Test(decode_link, any_mix_of_tpids_up_to_the_depth_limit)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct dcv_pkt pkt;
	uint16_t tpids[LINK_VLAN_MAX_DEPTH + 1];
	static const uint16_t kinds[] = {0x9100, 0x88a8, 0x8100};
	for (int i = 0; i <= LINK_VLAN_MAX_DEPTH; i++)
		tpids[i] = kinds[i % 3];
	for (int depth = 0; depth <= LINK_VLAN_MAX_DEPTH; depth++) {
		size_t n = vlan_frame(frame, tpids, depth, 4);
		cr_assert_eq(t_decode(dec, 1, frame, n, n, 0, &pkt), DECODE_PACKET, "depth %d",
		             depth);
		assert_dns_query(&pkt, 4);
	}
	size_t n = vlan_frame(frame, tpids, LINK_VLAN_MAX_DEPTH + 1, 4);
	cr_assert_eq(t_decode(dec, 1, frame, n, n, 0, &pkt), DCV_E_LINK_VLAN_DEPTH);
}

Test(decode_link, non_ip_ethertypes_are_not_ip)
{
	static uint8_t frame[128];
	struct dcv_pkt pkt;
	static const uint16_t types[] = {0x0806, 0x88cc, 0x8847, 0x8864, 0x002e /* 802.3 length */};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(frame, 0, sizeof(frame));
		t_eth(frame, NULL, 0, types[i]);
		cr_assert_eq(t_decode(dec, 1, frame, 60, 60, 0, &pkt), DECODE_NOT_IP, "0x%04x",
		             types[i]);
	}
	/* ARP behind a VLAN tag */
	uint16_t vlan = 0x8100;
	t_eth(frame, &vlan, 1, 0x0806);
	cr_assert_eq(t_decode(dec, 1, frame, 60, 60, 0, &pkt), DECODE_NOT_IP);
}

Test(decode_link, unknown_link_types_are_unsupported)
{
	static const uint8_t frame[64];
	struct dcv_pkt pkt;
	static const int unknown[] = {-1, 6, 105, 127, 147, 275, 277};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		cr_assert_not(decode_linktype_supported(unknown[i]));
		cr_assert_eq(t_decode(dec, unknown[i], frame, 64, 64, 0, &pkt),
		             DECODE_UNSUPPORTED_LINK);
	}
	static const int known[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		cr_assert(decode_linktype_supported(known[i]), "%d", known[i]);
}

struct link_case {
	const char *name;
	int linktype;
	uint8_t bytes[24];
	size_t len;
	int expect;
};

Test(decode_link, truncated_link_headers_are_rejected)
{
	static const struct link_case cases[] = {
	    {"ethernet shorter than 14 bytes", 1, {0}, 13, DCV_E_LINK_SHORT},
	    {"VLAN tag without its ethertype",
	     1,
	     {[12] = 0x81, [13] = 0x00, [14] = 0, [15] = 1},
	     16,
	     DCV_E_LINK_SHORT},
	    {"QinQ inner tag cut",
	     1,
	     {[12] = 0x88, [13] = 0xa8, [16] = 0x81, [17] = 0},
	     19,
	     DCV_E_LINK_SHORT},
	    {"cooked v1 shorter than 16 bytes", 113, {0}, 15, DCV_E_LINK_SHORT},
	    {"cooked v2 shorter than 20 bytes", 276, {0}, 19, DCV_E_LINK_SHORT},
	    {"null shorter than 4 bytes", 0, {2}, 3, DCV_E_LINK_SHORT},
	    {"loop shorter than 4 bytes", 108, {0}, 2, DCV_E_LINK_SHORT},
	    {"empty ethernet frame", 1, {0}, 0, DCV_E_LINK_SHORT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dcv_pkt pkt;
		int rc = t_decode(dec, cases[i].linktype, cases[i].bytes, cases[i].len,
		                  cases[i].len, 0, &pkt);
		cr_assert_eq(rc, cases[i].expect, "%s: got %d (%s)", cases[i].name, rc,
		             dcv_strerror(rc));
	}
}

/* ---- through real libpcap files ---- */

/* Writes frame to a pcap of link type dlt with pcapw, reads it back with
 * cap_file_open, and decodes it. Returns the link type libpcap reported. */
static int roundtrip(int dlt, const uint8_t *frame, size_t n, int family)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/link%d.pcap", test_tmpdir(), dlt);
	struct pcapw *w = pcapw_open(path, dlt, 0);
	cr_assert_not_null(w, "pcapw_open dlt %d", dlt);
	pcapw_write(w, 1700000000123456789ull, frame, n);
	cr_assert_eq(pcapw_close(w), 0);

	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open(path, err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	struct cap_frame f;
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_FRAME);
	cr_assert_eq(f.ts_ns, 1700000000123456789ull);
	cr_assert_eq(f.caplen, n);
	int lt = cap_file_linktype(cf);
	cr_assert_eq(f.linktype, lt);
	struct dcv_pkt pkt;
	cr_assert_eq(decode_frame(dec, &f, &pkt), DECODE_PACKET, "dlt %d read back as %d", dlt, lt);
	assert_dns_query(&pkt, family);
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_EOF);
	cap_file_close(cf);
	return lt;
}

Test(decode_link, every_link_type_survives_a_pcap_file_roundtrip)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct pb_packet p;
	size_t n;

	p = udp_packet(PB_LINK_ETHERNET, 4);
	p.vlans = 2;
	n = pb_build(&p, frame, sizeof(frame));
	cr_assert_eq(roundtrip(1, frame, n, 4), 1);

	p = udp_packet(PB_LINK_LINUX_SLL, 6);
	n = pb_build(&p, frame, sizeof(frame));
	cr_assert_eq(roundtrip(113, frame, n, 6), 113);

	p = udp_packet(PB_LINK_LINUX_SLL2, 4);
	n = pb_build(&p, frame, sizeof(frame));
	cr_assert_eq(roundtrip(276, frame, n, 4), 276);

	p = udp_packet(PB_LINK_NULL, 6);
	n = pb_build(&p, frame, sizeof(frame));
	cr_assert_eq(roundtrip(0, frame, n, 6), 0);

	n = 4 + raw_ip(4, frame + 4);
	t_put32(frame, 2);
	cr_assert_eq(roundtrip(108, frame, n, 4), 108);

	/* DLT_RAW is stored as LINKTYPE_RAW (101) and read back as DLT_RAW */
	n = raw_ip(6, frame);
	cr_assert_eq(roundtrip(LINK_TYPE_DLT_RAW, frame, n, 6), LINK_TYPE_DLT_RAW);

	n = raw_ip(4, frame);
	cr_assert_eq(roundtrip(228, frame, n, 4), 228);
	n = raw_ip(6, frame);
	cr_assert_eq(roundtrip(229, frame, n, 6), 229);
}

Test(decode_link, linktype_raw_101_in_a_file_is_read_as_dlt_raw)
{
	/* A file that stores LINKTYPE_RAW (101), written byte by byte as other
	 * tools write it: libpcap reports DLT_RAW (12 on Linux) on reading.
	 * (pcap_open_dead() itself refuses 101: it takes DLT values.) */
	static uint8_t frame[PB_FRAME_MAX];
	size_t n = raw_ip(6, frame);
	uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
	memcpy(hdr + 16, (uint8_t[]){0xff, 0xff, 0, 0, 101, 0, 0, 0}, 8);
	uint8_t rec[16] = {0};
	uint32_t len = (uint32_t)n;
	memcpy(rec + 8, &len, 4); /* little-endian host, as the magic says */
	memcpy(rec + 12, &len, 4);
	char path[512];
	snprintf(path, sizeof(path), "%s/raw101.pcap", test_tmpdir());
	FILE *fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	fwrite(hdr, 1, sizeof(hdr), fp);
	fwrite(rec, 1, sizeof(rec), fp);
	fwrite(frame, 1, n, fp);
	fclose(fp);

	char err[CAP_ERR_MAX];
	struct cap_file *cf = cap_file_open(path, err, sizeof(err));
	cr_assert_not_null(cf, "%s", err);
	struct cap_frame f;
	cr_assert_eq(cap_file_next(cf, &f), CAP_NEXT_FRAME);
	cr_assert_eq(f.linktype, DLT_RAW);
	struct dcv_pkt pkt;
	cr_assert_eq(decode_frame(dec, &f, &pkt), DECODE_PACKET);
	assert_dns_query(&pkt, 6);
	cap_file_close(cf);
}
