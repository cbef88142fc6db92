/*
 * pktbuild.h - builds well-formed frames for generated captures and tests:
 * link layer (Ethernet with VLAN tags, Linux cooked v1/v2, raw IP, BSD
 * loopback), IPv4/IPv6 (with fragmentation), UDP and TCP, and DNS messages.
 *
 * This is the writing side used by the scenario generator and the tests;
 * the analyzer never uses it.
 */
#ifndef DCV_PKTBUILD_H
#define DCV_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Link types (values of LINKTYPE_*, as stored in pcap files). */
enum {
	PB_LINK_NULL = 0, /* BSD loopback, host-order AF value */
	PB_LINK_ETHERNET = 1,
	PB_LINK_RAW = 101, /* raw IPv4/IPv6 */
	PB_LINK_LINUX_SLL = 113,
	PB_LINK_LINUX_SLL2 = 276,
};

#define PB_FRAME_MAX (65535 + 256)

/* One packet to build. Zero-initialize, then set what matters. */
struct pb_packet {
	int linktype; /* PB_LINK_* */
	int vlans;    /* 0, 1 or 2 VLAN tags (Ethernet only) */
	uint16_t vlan_ids[2];
	struct dcv_addr src, dst; /* same family */
	uint8_t proto;            /* 17 UDP, 6 TCP */
	uint16_t sport, dport;
	uint32_t seq, ack; /* TCP */
	uint8_t tcp_flags; /* TCP, DCV_TCP_* bits */
	uint16_t ip_id;    /* IPv4 id / IPv6 fragment id */
	const uint8_t *payload;
	size_t payload_len;
};

/* pb_build() writes the whole frame into out (cap bytes) and returns its
 * length, or 0 if it does not fit or the packet is inconsistent. */
size_t pb_build(const struct pb_packet *p, uint8_t *out, size_t cap);

/* Called once per fragment frame by pb_build_fragments(). */
typedef void (*pb_frame_fn)(void *ctx, const uint8_t *frame, size_t len);

/*
 * pb_build_fragments() builds the packet as IP fragments whose IP payload
 * is at most frag_payload bytes (rounded down to a multiple of 8) and calls
 * fn for each, in order. Returns the number of fragments, 0 on error.
 */
unsigned pb_build_fragments(const struct pb_packet *p, size_t frag_payload, pb_frame_fn fn,
                            void *ctx);

/* ---- DNS messages ---- */

struct dnsb {
	uint8_t buf[65535];
	size_t len;
	bool overflow; /* set when an addition did not fit; the message is then unusable */
};

enum { DNSB_ANSWER = 0, DNSB_AUTHORITY = 1, DNSB_ADDITIONAL = 2 };

/* dnsb_init() starts a message with the id and the raw flags word. */
void dnsb_init(struct dnsb *m, uint16_t id, uint16_t flags);

/* dnsb_question() appends a question (name in text form, uncompressed). */
void dnsb_question(struct dnsb *m, const char *name, uint16_t qtype, uint16_t qclass);

/* dnsb_rr() appends a record to a section (sections must be added in order). */
void dnsb_rr(struct dnsb *m, int section, const char *name, uint16_t type, uint16_t rclass,
             uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

/* dnsb_opt() appends an OPT record to the additional section (RFC 6891). */
void dnsb_opt(struct dnsb *m, uint16_t udp_size, uint8_t ext_rcode, uint8_t version, bool do_bit,
              const uint8_t *options, uint16_t options_len);

/* dnsb_name() writes a text name in wire form at out (256 bytes); returns its length or 0. */
size_t dnsb_name(const char *name, uint8_t *out);

/* Flag helpers for dnsb_init(). */
#define DNSB_QR 0x8000
#define DNSB_AA 0x0400
#define DNSB_TC 0x0200
#define DNSB_RD 0x0100
#define DNSB_RA 0x0080
#define DNSB_AD 0x0020
#define DNSB_CD 0x0010

/* ---- pcap files (written through libpcap) ---- */

struct pcapw;

/* pcapw_open() creates a nanosecond pcap file; NULL on failure (errno/perror). */
struct pcapw *pcapw_open(const char *path, int linktype, uint32_t snaplen);

/* pcapw_write() appends one frame; caplen = min(len, snaplen). */
void pcapw_write(struct pcapw *w, uint64_t ts_ns, const uint8_t *frame, size_t len);

/* pcapw_close() flushes and closes; returns 0 or -1 when a write failed. */
int pcapw_close(struct pcapw *w);

#endif
