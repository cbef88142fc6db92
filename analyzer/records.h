/*
 * records.h - what the analyzer hands to storage: per-source bucket
 * statistics, notable transactions and the run's packet accounting.
 *
 * These are the analyzer's output types. db/ writes them, rules/ and the
 * reports read them back; nothing in here knows about packets.
 */
#ifndef DCV_RECORDS_H
#define DCV_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "dcv_error.h"
#include "dns_parse.h"

/* Response codes kept as separate counters; everything else is "other". */
enum rcode_slot {
	RCODE_SLOT_NOERROR,
	RCODE_SLOT_FORMERR,
	RCODE_SLOT_SERVFAIL,
	RCODE_SLOT_NXDOMAIN,
	RCODE_SLOT_NOTIMP,
	RCODE_SLOT_REFUSED,
	RCODE_SLOT_OTHER,
	RCODE_SLOTS
};

/* rcode_slot_of() maps a full (extended) rcode to its counter slot. */
enum rcode_slot rcode_slot_of(unsigned rcode);

/* rcode_slot_key() returns the lowercase key of a slot ("servfail"). */
const char *rcode_slot_key(enum rcode_slot slot);

enum dcv_transport { DCV_TRANSPORT_UDP = 0, DCV_TRANSPORT_TCP = 1 };

/*
 * Statistics of one source (client address) over one time bucket. A row may
 * be emitted in parts when the aggregation table evicts a source early;
 * storage merges the parts (sums, and max for peak_qps / max_concurrent_tcp /
 * latency_max_us), so a part is never lost.
 */
struct source_bucket {
	struct dcv_addr source;
	uint64_t bucket_start_ns; /* multiple of the bucket length */
	uint32_t bucket_len_s;

	uint64_t queries; /* DNS queries received from the source */
	uint64_t queries_udp;
	uint64_t queries_tcp;
	uint64_t queries_edns; /* queries with an OPT record */
	uint64_t queries_do;   /* queries with the DO bit */
	uint64_t retransmits;  /* queries repeating an open query (same id, name, type, ports) */
	uint64_t responses;    /* responses sent to the source */
	uint64_t rcode[RCODE_SLOTS]; /* responses by rcode */
	uint64_t truncated;          /* responses with TC=1 */
	uint64_t unanswered;         /* queries with no response within the timeout */
	uint32_t peak_qps;           /* most queries in any 1-s window starting on a whole second */
	uint32_t max_concurrent_tcp; /* most TCP sessions of the source open at one instant */
	uint64_t tcp_sessions; /* TCP sessions established (SYN-ACK seen, or data mid-stream) */
	uint64_t tcp_rejected; /* SYNs answered with RST */
	uint64_t tcp_filtered; /* SYNs never answered */
	uint64_t tcp_server_closed; /* established sessions the server closed or reset first */
	uint64_t tcp_stalled;       /* sessions that carried a query and ended without any data
	                               from the server (tcp_track.h) */
	uint32_t max_served_tcp;    /* most of the source's sessions open at one instant that the
	                               server had sent data on */
	uint64_t latency_count;     /* answered transactions */
	uint64_t latency_sum_us;
	uint64_t latency_max_us;
};

/*
 * One busy second of one source: emitted for every whole second in which the
 * source sent at least AGG_SECOND_MIN_QUERIES queries (agg.h), so that rate
 * limits show as a time series without storing every quiet second.
 */
struct source_second {
	struct dcv_addr source;
	uint64_t second_ns; /* start of the second */
	uint32_t queries;   /* queries received in the second */
	uint32_t responses; /* responses sent to the source in the second */
	uint32_t rcode[RCODE_SLOTS];
	uint32_t truncated; /* responses with TC=1 */
};

/* Why a transaction is stored individually. */
enum txn_kind {
	TXN_ANSWERED = 0,   /* answered, rcode not NOERROR/NXDOMAIN (or TC=1) */
	TXN_UNANSWERED = 1, /* no response within the timeout */
};

/* The largest UDP DNS answer that crosses every path unfragmented (DNS Flag
 * Day 2020: an EDNS buffer of 1232 bytes fits the IPv6 minimum MTU). */
#define DCV_UDP_SAFE_SIZE 1232

/* One notable transaction: every answer that is not NOERROR/NXDOMAIN, every
 * unanswered query, every validation-shaped transaction (shape != 0), and
 * every UDP answer to a listed CA validator larger than DCV_UDP_SAFE_SIZE or
 * sent in IP fragments. */
struct txn_record {
	enum txn_kind kind;
	uint64_t query_ts_ns;
	uint64_t latency_us; /* 0 when unanswered */
	struct dcv_addr client, server;
	uint16_t client_port, server_port;
	enum dcv_transport transport;
	uint16_t id;
	uint16_t qtype;
	int32_t rcode; /* full rcode; -1 when unanswered */
	bool tc, query_edns, query_do;
	uint8_t shape;       /* enum dcv_shape of the query (dcv_shape.h); 0 = none */
	uint32_t answer_ttl; /* smallest answer TTL; UINT32_MAX when none */
	uint32_t resp_size;  /* the response's DNS message bytes; 0 when unanswered */
	bool fragmented;     /* the response came over UDP in IP fragments */
	char qname[DNS_NAME_TEXT_MAX];
};

/*
 * The run's packet accounting: every frame lands in exactly one of the
 * frame-level counters (dns_frames, not_ip, other_proto, other_port,
 * fragments_pending, malformed_frames, unsupported_link), so that
 *   frames == dns_frames + not_ip + other_proto + other_port
 *             + fragments_held + malformed_frames + unsupported_link.
 */
struct run_accounting {
	uint64_t frames;
	uint64_t bytes;      /* wire bytes */
	uint64_t dns_frames; /* frames that carried (part of) DNS on a DNS port */
	uint64_t not_ip;
	uint64_t other_proto;      /* IP but not UDP/TCP */
	uint64_t other_port;       /* UDP/TCP not on a DNS port */
	uint64_t fragments_held;   /* IP fragments absorbed into reassembly */
	uint64_t malformed_frames; /* frames rejected by the decoder (reason in malformed[]) */
	uint64_t unsupported_link;
	uint64_t snap_truncated; /* DNS frames cut by the snap length */
	uint64_t fragments;      /* IP fragments seen */
	uint64_t reassembled;    /* datagrams rebuilt from fragments */
	uint64_t tcp_streams;    /* TCP connections on a DNS port seen */
	uint64_t dns_messages;   /* DNS messages parsed (UDP datagrams + TCP messages) */
	uint64_t queries;
	uint64_t responses;
	uint64_t dns_malformed;                  /* DNS messages rejected by the parser */
	uint64_t dns_trailing;                   /* DNS messages with bytes after the last record */
	uint64_t malformed[DCV_ERROR_COUNT + 1]; /* by -code: decoder, TCP and DNS reasons */
	uint64_t kernel_dropped; /* capture drops reported by the source (live only) */
	uint64_t evictions;      /* table evictions (aggregation, transactions, TCP) */
};

#endif
