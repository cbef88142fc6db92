/*
 * decode.h - link layer, IPv4/IPv6 and UDP/TCP header decoding.
 *
 * decode_frame() turns one captured frame into one transport-layer packet
 * (struct dcv_pkt), reassembling IP fragments on the way. It validates every
 * header once, here, so that later stages can rely on payload/payload_len
 * being inside the frame (or inside the reassembly buffer).
 *
 * Supported link types: Ethernet (802.1Q and QinQ VLAN tags, 0x8100, 0x88a8,
 * 0x9100), Linux cooked v1 (LINKTYPE_LINUX_SLL) and v2 (LINKTYPE_LINUX_SLL2),
 * raw IP (DLT_RAW, LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6) and BSD
 * loopback (DLT_NULL, DLT_LOOP).
 */
#ifndef DCV_DECODE_H
#define DCV_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/frame.h"
#include "addr.h"

/* TCP flag bits as in the TCP header. */
enum {
	DCV_TCP_FIN = 0x01,
	DCV_TCP_SYN = 0x02,
	DCV_TCP_RST = 0x04,
	DCV_TCP_PSH = 0x08,
	DCV_TCP_ACK = 0x10,
};

enum { DCV_PROTO_UDP = 17, DCV_PROTO_TCP = 6 };

/* One transport-layer packet. payload points into the frame or into the
 * decoder's reassembly buffer; valid until the next decode_frame() call. */
struct dcv_pkt {
	uint64_t ts_ns;
	struct dcv_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;     /* DCV_PROTO_UDP or DCV_PROTO_TCP */
	uint8_t tcp_flags; /* DCV_TCP_* (TCP only) */
	uint32_t tcp_seq;  /* TCP only */
	uint32_t tcp_ack;  /* TCP only */
	const uint8_t *payload;
	uint32_t payload_len;      /* bytes available at payload */
	uint32_t payload_wire_len; /* transport payload length claimed by the headers */
	bool snap_truncated;       /* payload_len < payload_wire_len: frame cut by snap length */
	bool reassembled;          /* payload comes from IP fragment reassembly */
};

/* Outcome of decode_frame() besides a packet and an error code. */
enum decode_status {
	DECODE_PACKET = 1,   /* *out holds a UDP or TCP packet */
	DECODE_FRAGMENT = 2, /* an IP fragment was stored; no packet yet */
	DECODE_NOT_IP = 3,   /* ARP, LLDP, ...: not IPv4/IPv6 */
	DECODE_OTHER_PROTO =
	    4, /* IP, but not UDP/TCP (ICMP, ...), or a non-first fragment chain of those */
	DECODE_UNSUPPORTED_LINK = 5, /* link type this decoder does not know */
};

/* Limits of the fragment reassembly table; each one is a default that the
 * caller may override through struct decoder_config. */
#define DECODE_FRAG_MAX_DATAGRAMS_DEFAULT 4096  /* datagrams being reassembled at once */
#define DECODE_FRAG_TIMEOUT_MS_DEFAULT    30000 /* RFC 791 suggests 15 s; Linux uses 30 s */
/* A UDP datagram whose first fragment came this long ago without the rest is
 * delivered as far as it goes (decoder_take_partial()): a server sends the
 * fragments of one datagram back to back, and a capture filtered on
 * 'port 53' keeps only the first fragment of an IPv4 datagram. */
#define DECODE_FRAG_PARTIAL_MS_DEFAULT 500
#define DECODE_FRAG_MAX_FRAGS          64 /* fragments per datagram (a guess, generous for DNS) */
#define DECODE_FRAG_MAX_BYTES_DEFAULT  (64u << 20) /* fragment data held at once, all datagrams */
#define DECODE_FRAG_MAX_BYTES_MIN      65536u      /* one whole datagram always fits */

struct decoder_config {
	uint32_t frag_max_datagrams; /* 0 = default */
	uint32_t frag_timeout_ms;    /* 0 = default */
	uint32_t frag_max_bytes;     /* 0 = default; raised to DECODE_FRAG_MAX_BYTES_MIN */
	uint32_t frag_partial_ms;    /* 0 = default */
	bool verify_ipv4_checksum;   /* false (default): offloaded checksums are common */
};

/* Counters the decoder keeps about fragments; the caller reads them. */
struct decoder_stats {
	uint64_t fragments;              /* IP fragments seen (v4 and v6) */
	uint64_t reassembled;            /* datagrams completed from fragments */
	uint64_t frag_expired;           /* datagrams given up after the timeout */
	uint64_t frag_evicted;           /* datagrams dropped because the table was full */
	uint64_t frag_expired_fragments; /* fragments inside expired/evicted datagrams */
	uint64_t frag_dropped;           /* datagrams dropped because a fragment was invalid */
	uint64_t frag_dropped_fragments; /* earlier fragments inside those dropped datagrams */
	uint64_t frag_partial;           /* UDP datagrams delivered without their later fragments */
};

struct decoder;

/* decoder_new() allocates a decoder; NULL on allocation failure. cfg may be NULL. */
struct decoder *decoder_new(const struct decoder_config *cfg);

/* decoder_free() frees the decoder and any pending fragments. NULL is a no-op. */
void decoder_free(struct decoder *d);

/*
 * decode_frame() decodes one frame.
 * Returns a positive enum decode_status, or a negative DCV_E* code when the
 * frame is malformed (the code names the reason). On DECODE_PACKET, *out is
 * filled; otherwise *out is unspecified. Frames must come in capture order;
 * f->ts_ns also drives fragment expiry.
 */
int decode_frame(struct decoder *d, const struct cap_frame *f, struct dcv_pkt *out);

/*
 * decode_peek() decodes what decode_frame() would, without a decoder: no
 * state is read or changed and IPv4 checksums are not verified. An IP
 * fragment gives DECODE_OTHER_PROTO (only reassembly could say more). For a
 * look ahead at frames decode_frame() sees later (prefetching).
 */
int decode_peek(const struct cap_frame *f, struct dcv_pkt *out);

/*
 * decode_frame_peeked() is decode_frame() for a frame that decode_peek()
 * has seen (peek_rc, *peeked; payload still pointing into f): a packet it
 * decoded is taken as it is instead of being decoded again (unless the
 * decoder verifies IPv4 checksums, which the peek does not); anything else
 * is decoded in full.
 */
int decode_frame_peeked(struct decoder *d, const struct cap_frame *f, int peek_rc,
                        const struct dcv_pkt *peeked, struct dcv_pkt *out);

/*
 * decoder_expire() drops fragment chains older than the timeout at now_ns
 * (called at end of input with UINT64_MAX to flush). Returns how many
 * datagrams were dropped; they are also counted in stats.
 */
unsigned decoder_expire(struct decoder *d, uint64_t now_ns);

/*
 * decoder_take_partial() delivers, one per call, the UDP datagrams whose
 * first fragment came more than frag_partial_ms before now_ns without the
 * rest: *out is the packet as far as its contiguous start goes (ts_ns the
 * first fragment's, snap_truncated and reassembled set, payload_wire_len
 * the UDP header's length). Returns DECODE_PACKET, 0 when there is none,
 * or a DCV_E_* code for a datagram whose start is not a valid UDP header
 * (given up: counted in frag_expired).
 */
int decoder_take_partial(struct decoder *d, uint64_t now_ns, struct dcv_pkt *out);

/* decoder_stats() returns the decoder's counters (never NULL). */
const struct decoder_stats *decoder_get_stats(const struct decoder *d);

/* decode_linktype_supported() says whether decode_frame() knows the link type. */
bool decode_linktype_supported(int linktype);

#endif
