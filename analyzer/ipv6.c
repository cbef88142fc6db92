/* ipv6.c - IPv6 header and extension header walk (RFC 8200, RFC 4302, RFC 6946). */
#include "ip.h"

#include "dcv_error.h"
#include "wire.h"

enum {
	IP6_OFF_PLEN = 4,
	IP6_OFF_NH = 6,
	IP6_OFF_SRC = 8,
	IP6_OFF_DST = 24,
	IP6_FRAG_OFF_MASK = 0xfff8,
	IP6_FRAG_M = 0x0001,
};

bool ip6_nh_is_exthdr(uint8_t nh)
{
	return nh == IP6_NH_HOPOPTS || nh == IP6_NH_ROUTING || nh == IP6_NH_DSTOPTS ||
	       nh == IP6_NH_AH || nh == IP6_NH_FRAGMENT;
}

/*
 * Walks extension headers of p from off, starting with next header nh.
 * avail_end is the captured end, wire_end the end the headers claim
 * (avail_end <= wire_end). Stops at the first header that is not an
 * extension header (UDP, TCP, ESP, no-next-header, ICMPv6, ...) or at a
 * fragment header of a real fragment. in_reassembled: p is a reassembled
 * fragmentable part, where hop-by-hop and fragment headers cannot occur.
 */
static int ip6_walk(uint8_t nh, const uint8_t *p, size_t off, size_t avail_end, size_t wire_end,
                    bool in_reassembled, struct ip_info *ii)
{
	ii->fragment = false;
	for (unsigned n = 0;; n++) {
		if (!ip6_nh_is_exthdr(nh))
			break;
		if (n >= IP6_MAX_EXTHDRS)
			return DCV_E_IP6_EXTHDR;
		/* every extension header starts with next header + length */
		if (avail_end - off < 2)
			return DCV_E_IP6_EXTHDR;
		size_t hlen;
		if (nh == IP6_NH_FRAGMENT) {
			if (in_reassembled || avail_end - off < IP6_FRAG_HDR_LEN)
				return DCV_E_IP6_EXTHDR;
			uint16_t fo = wire_read_u16(p + off + 2);
			uint32_t id = wire_read_u32(p + off + 4);
			nh = p[off];
			off += IP6_FRAG_HDR_LEN;
			/* RFC 6946: offset 0 without M is an atomic fragment;
			 * it is processed like an unfragmented packet. */
			if ((fo & (IP6_FRAG_OFF_MASK | IP6_FRAG_M)) == 0)
				continue;
			ii->fragment = true;
			ii->frag_off = fo & IP6_FRAG_OFF_MASK;
			ii->frag_more = (fo & IP6_FRAG_M) != 0;
			ii->frag_id = id;
			break;
		}
		/* RFC 8200 4.3: hop-by-hop only right after the IPv6 header */
		if (nh == IP6_NH_HOPOPTS && (in_reassembled || n != 0))
			return DCV_E_IP6_EXTHDR;
		if (nh == IP6_NH_AH)
			hlen =
			    ((size_t)p[off + 1] + 2) * 4; /* RFC 4302 2.2: 32-bit words minus 2 */
		else
			hlen = ((size_t)p[off + 1] + 1) *
			       8; /* 8-octet units, not counting the first 8 */
		if (hlen > avail_end - off)
			return DCV_E_IP6_EXTHDR;
		nh = p[off];
		off += hlen;
	}
	ii->proto = nh;
	ii->l4 = p + off;
	ii->l4_len = (uint32_t)(avail_end - off);
	ii->l4_wire_len = (uint32_t)(wire_end - off);
	return (int)off;
}

/* Validated here, once: same guarantees as ip4_decode(). */
int ip6_decode(const uint8_t *p, size_t len, size_t wire_len, struct dcv_addr *src,
               struct dcv_addr *dst, struct ip_info *ii)
{
	if (len < IP6_HDR_LEN)
		return DCV_E_IP_SHORT;
	if ((p[0] >> 4) != 6)
		return DCV_E_IP_VERSION;
	size_t tot = IP6_HDR_LEN + (size_t)wire_read_u16(p + IP6_OFF_PLEN);
	size_t end = tot;
	if (tot > len) {
		if (len >= wire_len || tot > wire_len)
			return DCV_E_IP_TOTLEN;
		end = len;
	}
	ip_addr_set_v6(src, p + IP6_OFF_SRC);
	ip_addr_set_v6(dst, p + IP6_OFF_DST);
	return ip6_walk(p[IP6_OFF_NH], p, IP6_HDR_LEN, end, tot, false, ii);
}

int ip6_walk_reassembled(uint8_t nh, const uint8_t *p, size_t len, size_t wire_len,
                         struct ip_info *ii)
{
	return ip6_walk(nh, p, 0, len, wire_len, true, ii);
}
