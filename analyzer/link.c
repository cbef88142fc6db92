/* link.c - link-layer headers: Ethernet/VLAN, Linux cooked v1/v2, raw IP, BSD loopback. */
#include "link.h"

#include <pcap/dlt.h>

#include "dcv_error.h"
#include "wire.h"

/* The link families this file tells apart; every supported link type maps to one. */
enum link_family {
	LINK_FAM_NONE = 0,
	LINK_FAM_ETHERNET,
	LINK_FAM_SLL,
	LINK_FAM_SLL2,
	LINK_FAM_RAW,
	LINK_FAM_RAW4,
	LINK_FAM_RAW6,
	LINK_FAM_NULL,
	LINK_FAM_LOOP,
};

static enum link_family link_family_of(int linktype)
{
	/* DLT_LOOP first: on OpenBSD it is 12, which elsewhere is DLT_RAW. */
	if (linktype == DLT_LOOP || linktype == LINK_TYPE_LOOP)
		return LINK_FAM_LOOP;
	switch (linktype) {
	case LINK_TYPE_NULL:
		return LINK_FAM_NULL;
	case LINK_TYPE_EN10MB:
		return LINK_FAM_ETHERNET;
	case LINK_TYPE_DLT_RAW:
	case LINK_TYPE_DLT_RAW_OB:
	case LINK_TYPE_RAW:
		return LINK_FAM_RAW;
	case LINK_TYPE_IPV4:
		return LINK_FAM_RAW4;
	case LINK_TYPE_IPV6:
		return LINK_FAM_RAW6;
	case LINK_TYPE_LINUX_SLL:
		return LINK_FAM_SLL;
	case LINK_TYPE_LINUX_SLL2:
		return LINK_FAM_SLL2;
	default:
		return LINK_FAM_NONE;
	}
}

bool link_type_supported(int linktype)
{
	return link_family_of(linktype) != LINK_FAM_NONE;
}

static bool is_vlan_tpid(uint16_t t)
{
	return t == LINK_ETHERTYPE_VLAN || t == LINK_ETHERTYPE_QINQ || t == LINK_ETHERTYPE_QINQ9;
}

/*
 * Reads the ethertype at off, skipping up to LINK_VLAN_MAX_DEPTH tags in any
 * mix of TPIDs. The caller has checked that off + 2 <= len. Returns the
 * enum link_net and sets *hdr_len to the end of the last ethertype field.
 */
static int link_ethertype(const uint8_t *p, size_t len, size_t off, size_t *hdr_len)
{
	uint16_t type = wire_read_u16(p + off);
	unsigned depth = 0;
	while (is_vlan_tpid(type)) {
		if (++depth > LINK_VLAN_MAX_DEPTH)
			return DCV_E_LINK_VLAN_DEPTH;
		/* tag: 2 bytes TCI, then the next ethertype */
		if (len - off < 2 + LINK_VLAN_TAG_LEN)
			return DCV_E_LINK_SHORT;
		off += LINK_VLAN_TAG_LEN;
		type = wire_read_u16(p + off);
	}
	*hdr_len = off + 2;
	if (type == LINK_ETHERTYPE_IPV4)
		return LINK_NET_IPV4;
	if (type == LINK_ETHERTYPE_IPV6)
		return LINK_NET_IPV6;
	return LINK_NET_NOT_IP;
}

static int link_af(uint32_t af)
{
	switch (af) {
	case LINK_AF_INET:
		return LINK_NET_IPV4;
	case LINK_AF_INET6_LINUX:
	case LINK_AF_INET6_BSD:
	case LINK_AF_INET6_FREEBSD:
	case LINK_AF_INET6_DARWIN:
		return LINK_NET_IPV6;
	default:
		return LINK_NET_NOT_IP;
	}
}

/* Validated here, once: every header read below is preceded by its length check. */
int link_decode(int linktype, const uint8_t *p, size_t len, size_t *hdr_len)
{
	switch (link_family_of(linktype)) {
	case LINK_FAM_ETHERNET:
		if (len < LINK_ETH_HDR_LEN)
			return DCV_E_LINK_SHORT;
		return link_ethertype(p, len, LINK_ETH_TYPE_OFF, hdr_len);
	case LINK_FAM_SLL:
		/* protocol may itself be a VLAN TPID when tags were not stripped */
		if (len < LINK_SLL_HDR_LEN)
			return DCV_E_LINK_SHORT;
		return link_ethertype(p, len, LINK_SLL_PROTO_OFF, hdr_len);
	case LINK_FAM_SLL2: {
		if (len < LINK_SLL2_HDR_LEN)
			return DCV_E_LINK_SHORT;
		uint16_t type = wire_read_u16(p + LINK_SLL2_PROTO_OFF);
		*hdr_len = LINK_SLL2_HDR_LEN;
		if (type == LINK_ETHERTYPE_IPV4)
			return LINK_NET_IPV4;
		if (type == LINK_ETHERTYPE_IPV6)
			return LINK_NET_IPV6;
		return LINK_NET_NOT_IP;
	}
	case LINK_FAM_RAW:
		*hdr_len = 0;
		return LINK_NET_IP_ANY;
	case LINK_FAM_RAW4:
		*hdr_len = 0;
		return LINK_NET_IPV4;
	case LINK_FAM_RAW6:
		*hdr_len = 0;
		return LINK_NET_IPV6;
	case LINK_FAM_NULL: {
		/* AF in the capturing host's byte order, which the reader
		 * cannot know: accept either. All AF values are < 256, so at
		 * most one of the two readings is a known AF. */
		if (len < LINK_NULL_HDR_LEN)
			return DCV_E_LINK_SHORT;
		*hdr_len = LINK_NULL_HDR_LEN;
		int net = link_af(wire_read_u32le(p));
		return net != LINK_NET_NOT_IP ? net : link_af(wire_read_u32(p));
	}
	case LINK_FAM_LOOP:
		if (len < LINK_NULL_HDR_LEN)
			return DCV_E_LINK_SHORT;
		*hdr_len = LINK_NULL_HDR_LEN;
		return link_af(wire_read_u32(p));
	case LINK_FAM_NONE:
	default:
		return LINK_NET_UNSUPPORTED;
	}
}
