/*
 * link.h - link-layer headers in front of IP: Ethernet with nested VLAN
 * tags, Linux cooked capture v1/v2, raw IP and BSD loopback.
 *
 * Internal to the analyzer (decode.c is the only caller).
 */
#ifndef DCV_LINK_H
#define DCV_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most VLAN tags accepted in front of the payload ethertype. QinQ needs 2;
 * 4 leaves room for provider stacks without letting a frame of repeated
 * 0x8100 words loop for long (the bound is a guess, not from a standard). */
#define LINK_VLAN_MAX_DEPTH 4

/* Link-layer values (pcap-linktypes / libpcap's pcap/dlt.h). */
enum {
	LINK_ETHERTYPE_IPV4 = 0x0800,
	LINK_ETHERTYPE_IPV6 = 0x86dd,
	LINK_ETHERTYPE_VLAN = 0x8100,  /* 802.1Q */
	LINK_ETHERTYPE_QINQ = 0x88a8,  /* 802.1ad service tag */
	LINK_ETHERTYPE_QINQ9 = 0x9100, /* pre-standard QinQ */
	LINK_ETHERTYPE_MIN = 0x0600,   /* smaller values are 802.3 lengths */

	LINK_ETH_HDR_LEN = 14,
	LINK_ETH_TYPE_OFF = 12,
	LINK_VLAN_TAG_LEN = 4,
	LINK_SLL_HDR_LEN = 16,
	LINK_SLL_PROTO_OFF = 14,
	LINK_SLL2_HDR_LEN = 20,
	LINK_SLL2_PROTO_OFF = 0,
	LINK_NULL_HDR_LEN = 4,
};

/* Numeric link types accepted by link_decode(). DLT_ values are what
 * pcap_datalink() returns; LINKTYPE_ values are what files store. libpcap
 * maps LINKTYPE_RAW (101) to DLT_RAW (12, or 14 on OpenBSD), and uses 12
 * for DLT_LOOP on OpenBSD only. */
enum {
	LINK_TYPE_NULL = 0,        /* DLT_NULL = LINKTYPE_NULL */
	LINK_TYPE_EN10MB = 1,      /* DLT_EN10MB = LINKTYPE_ETHERNET */
	LINK_TYPE_DLT_RAW = 12,    /* DLT_RAW except on OpenBSD */
	LINK_TYPE_DLT_RAW_OB = 14, /* DLT_RAW on OpenBSD */
	LINK_TYPE_RAW = 101,       /* LINKTYPE_RAW */
	LINK_TYPE_LOOP = 108,      /* DLT_LOOP = LINKTYPE_LOOP (12 on OpenBSD) */
	LINK_TYPE_LINUX_SLL = 113,
	LINK_TYPE_IPV4 = 228,
	LINK_TYPE_IPV6 = 229,
	LINK_TYPE_LINUX_SLL2 = 276,
};

/* BSD address family values found in DLT_NULL / DLT_LOOP headers. */
enum {
	LINK_AF_INET = 2,
	LINK_AF_INET6_LINUX = 10,
	LINK_AF_INET6_BSD = 24, /* NetBSD, OpenBSD */
	LINK_AF_INET6_FREEBSD = 28,
	LINK_AF_INET6_DARWIN = 30,
};

/* What follows the link header. */
enum link_net {
	LINK_NET_IPV4 = 1,
	LINK_NET_IPV6 = 2,
	LINK_NET_IP_ANY = 3,     /* raw IP: the version nibble decides */
	LINK_NET_NOT_IP = 4,     /* ARP, LLDP, 802.3 LLC, unknown AF ... */
	LINK_NET_UNSUPPORTED = 5 /* link type unknown to this decoder */
};

/*
 * link_decode() reads the link header of a frame of the given link type.
 * Returns a positive enum link_net and sets *hdr_len to the link header
 * length (always <= len), or a negative DCV_E_LINK_SHORT /
 * DCV_E_LINK_VLAN_DEPTH. *hdr_len is unchanged on failure.
 */
int link_decode(int linktype, const uint8_t *p, size_t len, size_t *hdr_len);

/* link_type_supported() says whether link_decode() knows the link type. */
bool link_type_supported(int linktype);

#endif
