/*
 * decode_test_util.h - hand-built headers for the decoder tests, for the
 * malformed and unusual frames that pktbuild.h does not make on purpose.
 * Header-only (static functions) so each test binary takes what it uses.
 */
#ifndef DCV_DECODE_TEST_UTIL_H
#define DCV_DECODE_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "decode.h"

static const uint8_t T_SRC4[4] = {192, 0, 2, 1};
static const uint8_t T_DST4[4] = {198, 51, 100, 53};
static const uint8_t T_SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t T_DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x53};

static inline void t_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void t_put32(uint8_t *p, uint32_t v)
{
	t_put16(p, (uint16_t)(v >> 16));
	t_put16(p + 2, (uint16_t)v);
}

/* UDP header + payload at out; returns length. */
static inline size_t t_udp(uint8_t *out, uint16_t sport, uint16_t dport, const uint8_t *pl,
                           size_t n)
{
	t_put16(out, sport);
	t_put16(out + 2, dport);
	t_put16(out + 4, (uint16_t)(8 + n));
	t_put16(out + 6, 0);
	if (n)
		memcpy(out + 8, pl, n);
	return 8 + n;
}

/* TCP header (doff words, options zero-filled) + payload at out; returns length. */
static inline size_t t_tcp(uint8_t *out, unsigned doff, uint32_t seq, uint32_t ack, uint8_t flags,
                           const uint8_t *pl, size_t n)
{
	memset(out, 0, doff * 4 < 20 ? 20 : doff * 4);
	t_put16(out, 40000);
	t_put16(out + 2, 53);
	t_put32(out + 4, seq);
	t_put32(out + 8, ack);
	out[12] = (uint8_t)(doff << 4);
	out[13] = flags;
	t_put16(out + 14, 65535);
	size_t hl = doff * 4 < 20 ? 20 : doff * 4;
	if (n)
		memcpy(out + hl, pl, n);
	return hl + n;
}

/* IPv4 header (ihl words; options as NOPs) + l4 at out; returns length.
 * frag is the flags/offset word. The checksum is filled in. */
static inline size_t t_ip4(uint8_t *out, unsigned ihl, uint8_t proto, uint16_t id, uint16_t frag,
                           const uint8_t *l4, size_t n)
{
	size_t hl = ihl * 4;
	memset(out, 1, hl);
	out[0] = (uint8_t)(0x40 | ihl);
	out[1] = 0;
	t_put16(out + 2, (uint16_t)(hl + n));
	t_put16(out + 4, id);
	t_put16(out + 6, frag);
	out[8] = 64;
	out[9] = proto;
	t_put16(out + 10, 0);
	memcpy(out + 12, T_SRC4, 4);
	memcpy(out + 16, T_DST4, 4);
	uint32_t sum = 0;
	for (size_t i = 0; i < hl; i += 2)
		sum += (uint32_t)out[i] << 8 | out[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	t_put16(out + 10, (uint16_t)~sum);
	if (n)
		memmove(out + hl, l4, n);
	return hl + n;
}

/* IPv6 header + payload (extension headers and l4, already laid out) at out. */
static inline size_t t_ip6(uint8_t *out, uint8_t nh, const uint8_t *pl, size_t n)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	t_put16(out + 4, (uint16_t)n);
	out[6] = nh;
	out[7] = 64;
	memcpy(out + 8, T_SRC6, 16);
	memcpy(out + 24, T_DST6, 16);
	if (n)
		memmove(out + 40, pl, n);
	return 40 + n;
}

/* An 8-byte IPv6 option-type extension header (hop-by-hop, destination options, routing). */
static inline size_t t_ext8(uint8_t *out, uint8_t nh)
{
	memset(out, 0, 8);
	out[0] = nh;
	out[1] = 0;
	out[2] = 1; /* PadN */
	out[3] = 4;
	return 8;
}

/* IPv6 fragment header. */
static inline size_t t_frag6(uint8_t *out, uint8_t nh, uint16_t off_bytes, int more, uint32_t id)
{
	out[0] = nh;
	out[1] = 0;
	t_put16(out + 2, (uint16_t)(off_bytes | (more ? 1 : 0)));
	t_put32(out + 4, id);
	return 8;
}

/* Ethernet header with n VLAN tags of the given TPIDs. */
static inline size_t t_eth(uint8_t *out, const uint16_t *tpids, int n, uint16_t ethertype)
{
	memset(out, 0x02, 12);
	size_t off = 12;
	for (int i = 0; i < n; i++) {
		t_put16(out + off, tpids[i]);
		t_put16(out + off + 2, (uint16_t)(100 + i));
		off += 4;
	}
	t_put16(out + off, ethertype);
	return off + 2;
}

/* Decodes one frame with caplen == wirelen unless wirelen is larger. */
static inline int t_decode(struct decoder *d, int linktype, const uint8_t *frame, size_t caplen,
                           size_t wirelen, uint64_t ts_ns, struct dcv_pkt *out)
{
	struct cap_frame f = {.ts_ns = ts_ns,
	                      .data = frame,
	                      .caplen = (uint32_t)caplen,
	                      .wirelen = (uint32_t)(wirelen > caplen ? wirelen : caplen),
	                      .linktype = linktype};
	return decode_frame(d, &f, out);
}

#endif
