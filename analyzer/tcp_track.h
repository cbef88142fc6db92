/*
 * tcp_track.h - TCP connections to DNS ports: session state and DNS message
 * reassembly (RFC 7766: each message is preceded by a 2-byte length).
 *
 * The tracker owns one bounded table of connections keyed by the 4-tuple.
 * Per connection it follows the handshake and teardown (session events) and,
 * per direction, rebuilds the byte stream from segments that may arrive
 * out of order, retransmitted or overlapping, then cuts it into DNS messages.
 * Captures that start mid-connection are picked up at the first segment
 * whose payload starts with a plausible length prefix.
 *
 * Session state machine (per connection, client = side that sent the SYN or,
 * mid-stream, the side not on the DNS port):
 *
 *      SYN            SYN-ACK                 FIN/RST (either side)
 *   ─────▶ SYN_SENT ─────────▶ ESTABLISHED ─────────────────▶ CLOSED
 *             │  RST from server        ▲ data without handshake
 *             ├──────────────▶ REJECTED │ (mid-stream pickup)
 *             │  no answer within syn_timeout
 *             └──────────────▶ FILTERED
 *
 * Each transition emits one struct tcp_session_event; so does the server's
 * first data on an established connection (SERVED).
 */
#ifndef DCV_TCP_TRACK_H
#define DCV_TCP_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "decode.h"

#define TCP_MAX_CONNECTIONS_DEFAULT 65536 /* connections tracked at once */
#define TCP_SYN_TIMEOUT_MS_DEFAULT                                                                 \
	3000 /* SYN with no SYN-ACK/RST: filtered (Linux first SYN RTO is 1 s; 3 s covers one      \
	        retry) */
#define TCP_IDLE_TIMEOUT_MS_DEFAULT                                                                \
	120000 /* idle connection considered closed (NSD tcp-timeout default is 120 s) */
#define TCP_STREAM_MAX_BYTES_DEFAULT                                                               \
	131072 /* buffered bytes per direction, in order + out of order */

struct tcp_config {
	uint32_t max_connections;  /* 0 = default */
	uint32_t syn_timeout_ms;   /* 0 = default */
	uint32_t idle_timeout_ms;  /* 0 = default */
	uint32_t stream_max_bytes; /* 0 = default; never below 2 + 65535 */
};

enum tcp_event_kind {
	TCP_EV_OPEN,     /* connection established (or picked up mid-stream) */
	TCP_EV_CLOSE,    /* established connection ended (FIN, RST, idle timeout, eviction, end of
	                    input) */
	TCP_EV_REJECTED, /* SYN answered with RST */
	TCP_EV_FILTERED, /* SYN never answered within syn_timeout */
	TCP_EV_SERVED,   /* the server sent its first data on an established connection */
};

struct tcp_session_event {
	enum tcp_event_kind kind;
	uint64_t ts_ns; /* when the transition happened */
	struct dcv_addr client, server;
	uint16_t client_port, server_port;
	uint32_t concurrent; /* client's established sessions open right after this event
	                        (for CLOSE: the count before the close, so the peak is visible;
	                        for REJECTED, FILTERED: plus the client's older attempts still
	                        in their handshake; FILTERED: at least the client's established
	                        sessions at the first SYN) */
	uint32_t served;     /* of the client's established sessions, those the server has sent
	                        data on (OPEN, SERVED, CLOSE: as concurrent; a stalled CLOSE: the
	                        most while it waited) */
	bool stalled; /* CLOSE: carried a DNS message to the server and ended (FIN, RST or idle)
	                 without any data from the server: a server that stopped accepting */
	bool closed_by_server; /* CLOSE: server sent the first FIN or the RST */
	bool reset;            /* CLOSE: ended by RST */
	bool timed_out;        /* CLOSE: idle timeout, eviction or end of input */
	uint64_t opened_ns;    /* CLOSE: when it opened */
	uint32_t messages;     /* CLOSE: DNS messages carried, both directions */
};

/* One DNS message rebuilt from a TCP stream. msg is valid during the callback only. */
struct tcp_dns_message {
	uint64_t ts_ns; /* time of the segment that completed the message */
	struct dcv_addr client, server;
	uint16_t client_port, server_port;
	bool to_server;     /* direction: client -> server */
	const uint8_t *msg; /* the message without its length prefix */
	uint32_t len;
};

struct tcp_callbacks {
	void *ctx;
	void (*on_session)(void *ctx, const struct tcp_session_event *ev);
	void (*on_message)(void *ctx, const struct tcp_dns_message *m);
	/* on_error: a stream problem (DCV_E_TCP_*) the caller counts as malformed */
	void (*on_error)(void *ctx, int code);
};

struct tcp_stats {
	uint64_t connections;            /* connections seen (tracked entries created) */
	uint64_t evicted;                /* connections evicted because the table was full */
	uint64_t retransmitted_segments; /* segments whose bytes were all seen before */
	uint64_t out_of_order_segments;  /* segments buffered ahead of a gap */
	uint64_t midstream_pickups;      /* connections picked up without a handshake */
	uint64_t syn_pending_at_end;     /* SYNs too recent at end of input to call filtered */
	uint64_t unsynced_segments; /* payload segments skipped before a picked-up direction found
	                               a message boundary (a plausible length prefix) */
};

struct tcp_tracker;

/* tcp_tracker_new() allocates a tracker; NULL on allocation failure. cfg may be NULL.
 * The callbacks struct is copied. */
struct tcp_tracker *tcp_tracker_new(const struct tcp_config *cfg, const struct tcp_callbacks *cb);

/* tcp_tracker_free() frees everything without emitting events. NULL is a no-op. */
void tcp_tracker_free(struct tcp_tracker *t);

/*
 * tcp_tracker_packet() feeds one TCP packet. to_server says which side is the
 * DNS server (the caller decides from the port set). Events and messages are
 * delivered through the callbacks before it returns. Returns 0, or a
 * negative DCV_E* code for a problem with this packet (already reported via
 * on_error as well).
 */
int tcp_tracker_packet(struct tcp_tracker *t, const struct dcv_pkt *pkt, bool to_server);

/*
 * tcp_tracker_expire() applies the SYN and idle timeouts at now_ns (the
 * time of the latest packet). tcp_tracker_finish() ends the input: every
 * established connection is closed (timed_out), SYNs older than the SYN
 * timeout at last_ns become FILTERED, and younger pending SYNs are counted
 * in stats.syn_pending_at_end instead, because the capture ended before an
 * answer could have been seen.
 */
void tcp_tracker_expire(struct tcp_tracker *t, uint64_t now_ns);
void tcp_tracker_finish(struct tcp_tracker *t, uint64_t last_ns);

/* tcp_tracker_get_stats() returns the counters (never NULL). */
const struct tcp_stats *tcp_tracker_get_stats(const struct tcp_tracker *t);

#endif
