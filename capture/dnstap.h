/*
 * dnstap.h - one dnstap payload in, one synthetic frame out.
 *
 * dnstap (https://dnstap.info) logs DNS messages, not packets: each Frame
 * Streams data frame holds one protobuf "Dnstap" with one "Message" (the
 * wire-format DNS message, the client and server addresses and ports, the
 * transport and the time). So that dnstap runs through the same decoder and
 * analyzer as captures ("one frame interface, one decoder"), every message
 * the analysis uses becomes a raw IPv4/IPv6 frame (LINKTYPE_RAW) carrying
 * the DNS message in one UDP datagram, at the message's time:
 *
 *   AUTH_QUERY, CLIENT_QUERY, UPDATE_QUERY:  query_message at query_time,
 *       query_address:query_port -> response_address:response_port
 *   AUTH_RESPONSE, CLIENT_RESPONSE, UPDATE_RESPONSE:  response_message at
 *       response_time, response_address:response_port -> query_address:query_port
 *
 * A message that reached the server over a stream transport (TCP, DoT, DoH,
 * DNSCrypt over TCP, DoQ) gets CAP_FRAME_STREAM in the frame flags: the
 * analyzer counts it as TCP without tracking a session, because dnstap has
 * no segments, handshakes or resets to show. Every other message type
 * (RESOLVER_*, FORWARDER_*, STUB_*, TOOL_*: traffic the server sends, not
 * receives) is counted, by type, and not turned into a frame. Nothing is
 * skipped silently: every payload lands in exactly one counter of struct
 * cap_dnstap_stats.
 */
#ifndef DCV_DNSTAP_H
#define DCV_DNSTAP_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* The Frame Streams content type of dnstap. */
#define DNSTAP_CONTENT_TYPE "protobuf:dnstap.Dnstap"

/* Link type of the synthetic frames: raw IP, version from the first nibble. */
#define DNSTAP_LINKTYPE 101 /* LINKTYPE_RAW */

/* The server port of a message that does not say (response_port is only
 * recommended for RESOLVER_* messages in the schema). */
#define DNSTAP_SERVER_PORT_DEFAULT 53

/* Message.type values (dnstap.proto), and the largest one known. */
enum dnstap_msg_type {
	DNSTAP_AUTH_QUERY = 1,
	DNSTAP_AUTH_RESPONSE = 2,
	DNSTAP_RESOLVER_QUERY = 3,
	DNSTAP_RESOLVER_RESPONSE = 4,
	DNSTAP_CLIENT_QUERY = 5,
	DNSTAP_CLIENT_RESPONSE = 6,
	DNSTAP_FORWARDER_QUERY = 7,
	DNSTAP_FORWARDER_RESPONSE = 8,
	DNSTAP_STUB_QUERY = 9,
	DNSTAP_STUB_RESPONSE = 10,
	DNSTAP_TOOL_QUERY = 11,
	DNSTAP_TOOL_RESPONSE = 12,
	DNSTAP_UPDATE_QUERY = 13,
	DNSTAP_UPDATE_RESPONSE = 14,
	DNSTAP_TYPE_MAX = 14,
};

/* SocketProtocol values, and the largest one known. */
enum dnstap_protocol {
	DNSTAP_PROTO_UDP = 1,
	DNSTAP_PROTO_TCP = 2,
	DNSTAP_PROTO_DOT = 3,
	DNSTAP_PROTO_DOH = 4,
	DNSTAP_PROTO_DNSCRYPT_UDP = 5,
	DNSTAP_PROTO_DNSCRYPT_TCP = 6,
	DNSTAP_PROTO_DOQ = 7,
	DNSTAP_PROTO_MAX = 7,
};

/* Fields a used message cannot do without (counted per field when absent). */
enum dnstap_field {
	DNSTAP_FIELD_FAMILY,        /* socket_family */
	DNSTAP_FIELD_PROTOCOL,      /* socket_protocol */
	DNSTAP_FIELD_QUERY_ADDRESS, /* query_address: the client, the source of the stats */
	DNSTAP_FIELD_DNS_MESSAGE,   /* query_message or response_message */
	DNSTAP_FIELD_TIME,          /* query_time_sec or response_time_sec */
	DNSTAP_FIELDS
};

/* What cap_dnstap_decode() made of one payload. */
enum dnstap_result {
	DNSTAP_FRAME = 1,       /* *out holds a frame */
	DNSTAP_NOT_USED = 2,    /* a message type the analysis does not use */
	DNSTAP_MISSING = 3,     /* a used type without a field it needs (*field says which) */
	DNSTAP_INVALID = 4,     /* decodes, but a value is impossible (address length, port,
	                           nanoseconds, family or protocol out of range) */
	DNSTAP_NOT_MESSAGE = 5, /* Dnstap.type is not MESSAGE, or the message is absent */
	DNSTAP_MALFORMED = 6,   /* not a protobuf Dnstap */
	DNSTAP_OVERSIZE = 7,    /* DNS message larger than one IPv4/IPv6 UDP datagram holds */
};

/* Counters of a dnstap source. Every payload read is in exactly one of
 * frames, not_used, missing_total, invalid, not_message, malformed,
 * oversize:
 *   payloads == frames + not_used + missing_total + invalid + not_message
 *               + malformed + oversize. */
struct cap_dnstap_stats {
	uint64_t payloads;                     /* data frames read */
	uint64_t frames;                       /* turned into frames */
	uint64_t by_type[DNSTAP_TYPE_MAX + 1]; /* decoded messages by type; [0] = unknown type */
	uint64_t by_protocol[DNSTAP_PROTO_MAX + 1]; /* frames by socket_protocol */
	uint64_t not_used;
	uint64_t missing[DNSTAP_FIELDS]; /* by the first field found missing */
	uint64_t missing_total;
	uint64_t invalid;
	uint64_t not_message;
	uint64_t malformed;
	uint64_t oversize;
	/* filled by the file source (frame_order.h), not by cap_dnstap_decode() */
	uint64_t out_of_order;   /* frames logged after a later one; put back in order */
	uint64_t released_early; /* frames released before the order window closed */
};

/* Largest synthetic frame: an IPv6 header and the largest payload its
 * length field allows. A DNS message over TCP may be 65535 bytes (RFC 1035
 * 4.2.2), more than one UDP datagram holds (65507 bytes over IPv4, 65527
 * over IPv6): such a message is refused as DNSTAP_OVERSIZE. */
#define DNSTAP_FRAME_MAX (40 + 65535)

/* A decoder's scratch space: the frame bytes live here. */
struct cap_dnstap_buf {
	uint8_t bytes[DNSTAP_FRAME_MAX];
};

/*
 * cap_dnstap_decode() turns one dnstap protobuf payload (p, len) into a frame
 * whose bytes are in buf, and counts the outcome in st (may be NULL).
 * Returns an enum dnstap_result; on DNSTAP_FRAME *out is filled (linktype
 * DNSTAP_LINKTYPE, flags CAP_FRAME_STREAM for stream transports) and stays
 * valid until buf is reused. On DNSTAP_MISSING, *field (may be NULL) names
 * the field. Never reads outside (p, len); cannot fail otherwise.
 */
int cap_dnstap_decode(const uint8_t *p, size_t len, struct cap_dnstap_buf *buf,
                      struct cap_frame *out, enum dnstap_field *field, struct cap_dnstap_stats *st);

/* cap_dnstap_type_name() returns the schema name of a Message.type ("AUTH_QUERY"),
 * or NULL for one the schema does not define. */
const char *cap_dnstap_type_name(unsigned type);

/* cap_dnstap_protocol_name() returns the schema name of a SocketProtocol ("UDP",
 * "DOT"), or NULL. */
const char *cap_dnstap_protocol_name(unsigned proto);

/* cap_dnstap_field_name() returns the schema name of a needed field. */
const char *cap_dnstap_field_name(enum dnstap_field f);

/* A figure that a packet capture gives and dnstap cannot: key (for JSON)
 * and what it means. */
struct cap_dnstap_gap {
	const char *key;
	const char *what;
};

/* cap_dnstap_gaps() returns the figures dnstap cannot give (*n of them): the
 * summaries print them, so that a zero is not read as "none happened". */
const struct cap_dnstap_gap *cap_dnstap_gaps(size_t *n);

/* cap_dnstap_stats_add() adds b's counters into a. */
void cap_dnstap_stats_add(struct cap_dnstap_stats *a, const struct cap_dnstap_stats *b);

#endif
