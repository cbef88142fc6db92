/* ipv4.c - IPv4 header decoding (RFC 791). */
#include "ip.h"

#include "dcv_error.h"
#include "wire.h"

enum {
	IP4_OFF_TOTLEN = 2,
	IP4_OFF_ID = 4,
	IP4_OFF_FRAG = 6,
	IP4_OFF_PROTO = 9,
	IP4_OFF_SRC = 12,
	IP4_OFF_DST = 16,
	IP4_FLAG_MF = 0x2000,
	IP4_FRAG_OFF_MASK = 0x1fff,
};

/* The one's complement sum over the header is 0xffff when the checksum is right. */
static bool ip4_checksum_ok(const uint8_t *p, size_t hl)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < hl; i += 2)
		sum += wire_read_u16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * Validated here, once: afterwards l4 .. l4 + l4_len is inside the captured
 * bytes and l4_wire_len is what the (consistent) header claims.
 * Checksums are not verified by default: captures taken on the sending host
 * see offloaded, not yet computed checksums.
 */
int ip4_decode(const uint8_t *p, size_t len, size_t wire_len, bool verify_checksum,
               struct dcv_addr *src, struct dcv_addr *dst, struct ip_info *ii)
{
	if (len < IP4_HDR_MIN)
		return DCV_E_IP_SHORT;
	if ((p[0] >> 4) != 4)
		return DCV_E_IP_VERSION;
	size_t hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < IP4_HDR_MIN)
		return DCV_E_IP_HDRLEN;
	size_t tot = wire_read_u16(p + IP4_OFF_TOTLEN);
	if (tot < IP4_HDR_MIN)
		return DCV_E_IP_TOTLEN;
	if (hl > tot)
		return DCV_E_IP_HDRLEN;
	/* Ethernet pads short frames: a total length below len is normal and
	 * the IP length wins. Above len it must be explained by the snap
	 * length (fewer bytes captured than were on the wire). */
	size_t end = tot;
	if (tot > len) {
		if (len >= wire_len || tot > wire_len)
			return DCV_E_IP_TOTLEN;
		end = len;
	}
	if (hl > end)
		return DCV_E_IP_SHORT; /* options cut by the snap length */
	if (verify_checksum && !ip4_checksum_ok(p, hl))
		return DCV_E_IP_CHECKSUM;

	uint16_t ff = wire_read_u16(p + IP4_OFF_FRAG);
	ip_addr_set_v4(src, p + IP4_OFF_SRC);
	ip_addr_set_v4(dst, p + IP4_OFF_DST);
	ii->l4 = p + hl;
	ii->l4_len = (uint32_t)(end - hl);
	ii->l4_wire_len = (uint32_t)(tot - hl);
	ii->proto = p[IP4_OFF_PROTO];
	ii->frag_off = (uint32_t)(ff & IP4_FRAG_OFF_MASK) * 8;
	ii->frag_more = (ff & IP4_FLAG_MF) != 0;
	ii->fragment = ii->frag_more || ii->frag_off != 0;
	ii->frag_id = wire_read_u16(p + IP4_OFF_ID);
	return (int)hl;
}
