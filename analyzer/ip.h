/*
 * ip.h - IPv4 and IPv6 header decoding (ipv4.c, ipv6.c).
 *
 * Internal to the analyzer: decode.c calls these after the link layer and
 * before fragment reassembly and the transport layer.
 */
#ifndef DCV_IP_H
#define DCV_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

enum {
	IP4_HDR_MIN = 20,
	IP4_MAX_TOTAL = 65535,
	IP6_HDR_LEN = 40,
	IP6_MAX_PAYLOAD = 65535,
	IP6_FRAG_HDR_LEN = 8,
};

/* IPv6 next-header values the extension header walk knows (RFC 8200 4.1, RFC 4302). */
enum {
	IP6_NH_HOPOPTS = 0,
	IP6_NH_ROUTING = 43,
	IP6_NH_FRAGMENT = 44,
	IP6_NH_ESP = 50,
	IP6_NH_AH = 51,
	IP6_NH_NONE = 59,
	IP6_NH_DSTOPTS = 60,
};

/* Most IPv6 extension headers walked per packet. RFC 8200 4.1 lists 6
 * header types, each at most once except destination options (twice): 7.
 * One more for slack; a longer chain is rejected as DCV_E_IP6_EXTHDR. */
#define IP6_MAX_EXTHDRS 8

/* What the network layer tells the transport layer. */
struct ip_info {
	const uint8_t *l4;    /* transport header, or the fragment's data */
	uint32_t l4_len;      /* bytes available at l4 (captured) */
	uint32_t l4_wire_len; /* bytes the IP header claims at l4 */
	uint8_t proto;        /* transport protocol / v6 next header at l4 */
	bool fragment;        /* a real fragment: offset != 0 or more fragments */
	bool frag_more;       /* more fragments follow (MF / M flag) */
	uint32_t frag_off;    /* fragment offset in bytes */
	uint32_t frag_id;     /* IPv4 identification / IPv6 fragment id */
};

/* ip_addr_set_v4() / ip_addr_set_v6() fill an address without a struct-wide memset. */
static inline void ip_addr_set_v4(struct dcv_addr *a, const uint8_t *b4)
{
	a->family = DCV_ADDR_V4;
	memset(a->pad_, 0, sizeof(a->pad_));
	memcpy(a->bytes, b4, 4);
	memset(a->bytes + 4, 0, 12);
}

static inline void ip_addr_set_v6(struct dcv_addr *a, const uint8_t *b16)
{
	a->family = DCV_ADDR_V6;
	memset(a->pad_, 0, sizeof(a->pad_));
	memcpy(a->bytes, b16, 16);
}

/*
 * ip4_decode() decodes an IPv4 header. len is what was captured from p on,
 * wire_len what was on the wire (wire_len > len means snap truncation).
 * Returns the header length, or DCV_E_IP_SHORT, DCV_E_IP_VERSION,
 * DCV_E_IP_HDRLEN, DCV_E_IP_TOTLEN, DCV_E_IP_CHECKSUM (only when
 * verify_checksum). Fills src, dst and *ii on success.
 */
int ip4_decode(const uint8_t *p, size_t len, size_t wire_len, bool verify_checksum,
               struct dcv_addr *src, struct dcv_addr *dst, struct ip_info *ii);

/*
 * ip6_decode() decodes an IPv6 header and walks its extension headers up to
 * the transport header or a fragment header (ii->fragment then says so, and
 * ii->proto is the fragment header's next header). Same length rules as
 * ip4_decode(). Returns the bytes up to l4, or DCV_E_IP_SHORT,
 * DCV_E_IP_VERSION, DCV_E_IP_TOTLEN, DCV_E_IP6_EXTHDR.
 */
int ip6_decode(const uint8_t *p, size_t len, size_t wire_len, struct dcv_addr *src,
               struct dcv_addr *dst, struct ip_info *ii);

/*
 * ip6_walk_reassembled() continues the extension header walk over a
 * reassembled fragmentable part (p, len available, wire_len claimed) that
 * starts with next header nh. Updates ii->l4, l4_len, l4_wire_len and proto.
 * Returns the bytes skipped, or DCV_E_IP6_EXTHDR (also for a second
 * fragment header or a hop-by-hop header, which cannot be there).
 */
int ip6_walk_reassembled(uint8_t nh, const uint8_t *p, size_t len, size_t wire_len,
                         struct ip_info *ii);

/* ip6_nh_is_exthdr() says whether nh is an extension header the walk follows. */
bool ip6_nh_is_exthdr(uint8_t nh);

#endif
