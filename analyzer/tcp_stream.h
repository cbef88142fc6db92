/*
 * tcp_stream.h - one direction of a TCP connection: byte-stream reassembly
 * and cutting into DNS messages (RFC 7766 section 8: every message is
 * preceded by a 2-byte big-endian length).
 *
 * Layout of the per-direction buffer (allocated lazily, grown by powers of
 * two, never larger than env->max_bytes):
 *
 *   data[0 .. pend)             in-order bytes not yet cut: less than one
 *                               whole message between calls (invariant)
 *   data[pend + (s - next_seq)] the byte with sequence number s, for s inside
 *                               one of the out-of-order ranges
 *
 * so out-of-order bytes are written once, where they belong, and become
 * in-order bytes without moving when the gap before them is filled.
 *
 * Stream states:
 *
 *   UNSYNCED --plausible length prefix--> SYNCED --finish--> DONE
 *       (mid-stream)        tcp_stream_sync() ^   \--MSGLEN/OVERFLOW/GAP/NOMEM--> DEAD
 *
 * UNSYNCED skips segments until one starts with a plausible DNS length
 * prefix (tcp_stream_plausible_start()). A length prefix below the DNS
 * header size kills the stream: nothing in the byte stream marks where the
 * next message starts, so any resync would be a guess that can deliver
 * garbage as DNS; the direction is given up instead (DEAD).
 *
 * Sequence numbers use serial arithmetic (RFC 1982 style, 32-bit), so the
 * stream works across the 2^32 wrap.
 */
#ifndef DCV_TCP_STREAM_H
#define DCV_TCP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_DNS_HEADER_LEN 12u /* RFC 1035 4.1.1 */
#define TCP_DNS_LEN_PREFIX 2u  /* RFC 7766 8 */

/* Disjoint out-of-order ranges per direction. A guess: real reordering
 * leaves one or two holes; more than this is treated as an overflow. */
#define TCP_STREAM_MAX_RANGES 16

/* Smallest buffer allocated; buffers grow by powers of two. */
#define TCP_STREAM_MIN_ALLOC 1024

/* An emptied buffer larger than this is freed after use, so connections
 * between large messages hold little memory. */
#define TCP_STREAM_KEEP_BYTES 16384

/* All stream buffers of one tracker together. A guess: 4096 full buffers
 * of the default 128 KiB; not a config option yet. */
#define TCP_STREAM_BUDGET_BYTES_DEFAULT ((uint64_t)512 << 20)

enum tcp_stream_state {
	TCP_STREAM_UNSYNCED = 0, /* mid-stream, message boundary not found yet */
	TCP_STREAM_SYNCED,       /* next_seq is the next byte expected */
	TCP_STREAM_DEAD,         /* given up after an error; segments are ignored */
	TCP_STREAM_DONE,         /* finished; segments are ignored */
};

struct tcp_stream_buf; /* private: capacity, out-of-order ranges, bytes */

struct tcp_stream {
	uint32_t next_seq;          /* SYNCED: sequence number of the next in-order byte */
	uint32_t pend;              /* in-order bytes in buf (a partial message) */
	uint8_t state;              /* enum tcp_stream_state */
	bool to_server;             /* direction (client -> server), for the sync check */
	struct tcp_stream_buf *buf; /* NULL until a message spans segments or data comes early */
};

/* Shared by every stream of one tracker: limits and the memory budget. */
struct tcp_stream_env {
	uint32_t max_bytes; /* per direction: pend + out-of-order extent */
	uint64_t budget;    /* all buffers together */
	uint64_t used;      /* bytes allocated now (capacities) */
};

/* Where complete messages go. msg is valid during the call only. */
struct tcp_stream_sink {
	void *ctx;
	void (*emit)(void *ctx, const uint8_t *msg, uint32_t len);
};

/* Non-negative results of tcp_stream_push(): what the segment was. */
enum tcp_push_result {
	TCP_PUSH_ACCEPTED = 0, /* new in-order bytes (messages may have been emitted) */
	TCP_PUSH_RETRANS,      /* every byte was seen before */
	TCP_PUSH_OUT_OF_ORDER, /* stored ahead of a gap */
	TCP_PUSH_UNSYNCED,     /* skipped: no message boundary found yet */
	TCP_PUSH_IGNORED,      /* stream DEAD or DONE, or nothing to do */
};

/* tcp_stream_init() sets up an UNSYNCED stream without a buffer. Cannot fail. */
void tcp_stream_init(struct tcp_stream *s, bool to_server);

/* tcp_stream_sync() makes the stream SYNCED at next_seq (the ISN + 1 from a
 * SYN or SYN-ACK). Only an UNSYNCED stream changes. */
void tcp_stream_sync(struct tcp_stream *s, uint32_t next_seq);

/*
 * tcp_stream_push() feeds one segment: len bytes at p with sequence number
 * seq, followed by lost bytes the capture did not keep (snap length).
 * Complete messages are emitted through sink before it returns, the ones
 * completed by this segment in stream order.
 * Returns an enum tcp_push_result, or a negative code after which the
 * stream is DEAD and its buffer freed:
 *   DCV_E_TCP_MSGLEN   a length prefix < TCP_DNS_HEADER_LEN
 *   DCV_E_TCP_OVERFLOW data would need more than env->max_bytes, more than
 *                      TCP_STREAM_MAX_RANGES holes, or more than the budget
 *   DCV_E_TCP_GAP      lost > 0 and the lost bytes were new
 *   DCV_ENOMEM         allocation failed
 * Messages completed before the error are still emitted.
 */
int tcp_stream_push(struct tcp_stream *s, struct tcp_stream_env *env, uint32_t seq,
                    const uint8_t *p, uint32_t len, uint32_t lost,
                    const struct tcp_stream_sink *sink);

/*
 * tcp_stream_finish() ends the stream (DONE) and frees its buffer. Returns
 * DCV_E_TCP_GAP when out-of-order bytes were still waiting for a gap to be
 * filled, else 0. A partial message at the end is not an error (the capture
 * or the connection simply ended). Finishing twice returns 0.
 */
int tcp_stream_finish(struct tcp_stream *s, struct tcp_stream_env *env);

/* tcp_stream_release() frees the buffer without any check (tracker teardown). */
void tcp_stream_release(struct tcp_stream *s, struct tcp_stream_env *env);

/*
 * tcp_stream_plausible_start() says whether p starts with a DNS length
 * prefix and header of the expected direction: length >= 12, QR = 0 towards
 * the server and 1 from it, a defined opcode, QDCOUNT <= 1 and section
 * counts that fit in the claimed length. Needs the 2 + 12 first bytes.
 */
bool tcp_stream_plausible_start(const uint8_t *p, size_t len, bool to_server);

/* tcp_stream_has_gap() says whether out-of-order bytes are waiting. */
bool tcp_stream_has_gap(const struct tcp_stream *s);

#endif
