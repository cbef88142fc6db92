/*
 * gen_out.h - the generator context: where frames go, and the helpers that
 * turn DNS messages into UDP datagrams (fragmented when too large) and TCP
 * conversations, counting what they write into the scenario's expectations.
 *
 * Output is either direct (frames written in the order they are made: the
 * large scenarios, which must not allocate per packet) or buffered (frames
 * collected, then stably sorted by timestamp at gen_close(), so that a
 * scenario can lay out overlapping conversations one after the other).
 *
 * Counting: helpers that carry a DNS message (gen_udp, gen_tcp_dns) count it
 * in packets/dns.* and the named source's queries; session helpers count
 * tcp.sessions/rejected/filtered. Transactions are counted by the scenario
 * (gen_answered, gen_unanswered, gen_retransmit), since only it knows them.
 */
#ifndef DCV_GEN_OUT_H
#define DCV_GEN_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen_expect.h"
#include "gen_rng.h"
#include "pktbuild.h"

#define GEN_DNS_PORT        53
#define GEN_SNAPLEN_DEFAULT 262144
#define GEN_MTU             1500 /* IP packets above this are fragmented (IPv4 UDP only) */
#define GEN_FRAG_PAYLOAD    1480 /* IP payload per fragment at a 1500-byte MTU */
#define GEN_FRAGS_MAX       64   /* fragments per datagram this generator writes */
#define GEN_FRAG_FRAME_MAX  2048 /* bytes per fragment frame (payload <= GEN_FRAG_PAYLOAD) */
#define GEN_NS_PER_MS       1000000ULL
#define GEN_NS_PER_S        1000000000ULL
/* Capture start time of every scenario: 2024-01-01T00:00:00Z. */
#define GEN_EPOCH_NS (1704067200ULL * GEN_NS_PER_S)

struct gen_frame_rec {
	uint64_t ts_ns;
	uint64_t order; /* insertion order: ties keep it */
	uint32_t len;
	uint8_t *data;
};

struct gen_ctx {
	struct gen_rng rng;
	int linktype; /* PB_LINK_* of every frame */
	int vlans;    /* VLAN tags on frames built now (Ethernet only) */
	uint16_t vlan_ids[2];
	uint16_t ip_id; /* next IPv4 id / IPv6 fragment id */
	struct pcapw *w;
	bool buffered;
	bool failed; /* allocation failure: the output is incomplete */
	struct gen_frame_rec *frames;
	size_t nframes, capframes;
	struct gen_expect exp;
	uint8_t (*frags)[GEN_FRAG_FRAME_MAX]; /* GEN_FRAGS_MAX fragment frames */
	size_t frag_len[GEN_FRAGS_MAX];
	unsigned nfrags;
	uint8_t frame[PB_FRAME_MAX]; /* scratch frame, reused for every packet */
	struct dnsb msg;             /* scratch DNS message, reused */
	struct dnsb msg2;
};

/* A UDP or TCP flow between a client and the server. */
struct gen_flow {
	struct dcv_addr client, server;
	uint16_t cport, sport;
};

/* One TCP connection: the flow plus the next sequence number of each side. */
struct gen_tcp {
	struct gen_flow f;
	uint32_t cseq, sseq;
};

/* gen_open() prepares g (zeroing it) and creates the pcap file.
 * Returns 0, or -1 when the file cannot be created or memory is short. */
int gen_open(struct gen_ctx *g, const char *path, int linktype, uint32_t snaplen, bool buffered,
             uint64_t seed);

/* gen_close() writes buffered frames in time order and closes the file.
 * Returns 0, or -1 if anything failed (write error or earlier allocation failure).
 * g is unusable afterwards. */
int gen_close(struct gen_ctx *g);

/* gen_frame() writes (or buffers) one frame and counts it in packets. */
void gen_frame(struct gen_ctx *g, uint64_t ts_ns, const uint8_t *frame, size_t len);

/* gen_build() builds p (link type and VLANs taken from g) into g->frame; returns its length. */
size_t gen_build(struct gen_ctx *g, struct pb_packet *p);

/* gen_count_dns() counts one well-formed DNS message (dns.*, rcodes, the named source). */
void gen_count_dns(struct gen_ctx *g, const uint8_t *msg, size_t len, bool tcp, bool v6,
                   const struct dcv_addr *client);

/* gen_udp() sends the message as one UDP datagram on the flow (IPv4 datagrams above
 * GEN_MTU are fragmented at GEN_FRAG_PAYLOAD) and counts it. Returns the frames written. */
unsigned gen_udp(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f, bool to_server,
                 const struct dnsb *m);

/* gen_udp_fragments() sends the message as IP fragments of frag_payload bytes, in
 * reverse order when reverse is set, and counts it. Returns the fragments written. */
unsigned gen_udp_fragments(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f,
                           bool to_server, const struct dnsb *m, size_t frag_payload, bool reverse);

/* gen_tcp_init() sets up a connection with random initial sequence numbers. */
void gen_tcp_init(struct gen_ctx *g, struct gen_tcp *t, const struct gen_flow *f);

/* gen_tcp_seg() writes one segment (flags DCV_TCP_*) and advances that side's sequence
 * number by the payload length (+1 for SYN or FIN). Counts nothing but the frame. */
void gen_tcp_seg(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t, bool from_client,
                 uint8_t flags, const uint8_t *payload, size_t len);

/* gen_tcp_handshake() writes SYN at ts, SYN-ACK at ts+rtt/2, ACK at ts+rtt and counts
 * an established session. Returns the time of the ACK. */
uint64_t gen_tcp_handshake(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t, uint64_t rtt_ns);

/* gen_tcp_syn_lost() writes a SYN the server drops (its listen queue is full) and keeps
 * the sequence number, so the next gen_tcp_handshake() retransmits the same SYN. */
void gen_tcp_syn_lost(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t);

/* gen_tcp_dns() sends the message with its 2-byte length prefix in one segment and counts it. */
void gen_tcp_dns(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t, bool from_client,
                 const struct dnsb *m);

/* gen_tcp_close() writes FIN-ACK from one side, FIN-ACK from the other after gap, then the
 * last ACK after another gap. Returns the time of the last ACK. */
uint64_t gen_tcp_close(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t, bool server_first,
                       uint64_t gap_ns);

/* gen_tcp_reject() writes a SYN and the server's RST-ACK after rtt; counts tcp.rejected. */
void gen_tcp_reject(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f, uint64_t rtt_ns);

/* gen_tcp_filtered() writes a SYN and its retransmission 1 s later, never answered;
 * counts tcp.filtered. The caller keeps ts at least 5 s before the end of the capture. */
void gen_tcp_filtered(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f);

/* Transaction counters. */
void gen_answered(struct gen_ctx *g);
void gen_unanswered(struct gen_ctx *g, const struct dcv_addr *client);
void gen_retransmit(struct gen_ctx *g);

/* Address constructors for scenario constants. */
struct dcv_addr gen_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
struct dcv_addr gen_v6(const char *text); /* text must parse (generator constants) */

#endif
