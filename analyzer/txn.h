/*
 * txn.h - query/response matching and unanswered-query detection.
 *
 * A query opens a pending transaction keyed by (client address and port,
 * server address and port, transport, DNS id, qtype, qname). The response
 * with the same key closes it (latency = response time - first query time).
 * A query still open timeout_ms after it was sent is unanswered: the drop a
 * CA sees as a timeout. A query repeating an open key is a retransmission of
 * it (counted; latency still runs from the first copy).
 *
 * Pending transactions live in a bounded table; when it is full the oldest
 * is dropped and counted as evicted (neither answered nor unanswered). A
 * caller can name queries to keep then (txn_set_keep(): a CA's validation
 * queries), so that a flood of other queries does not push them out before
 * the timeout judges them.
 */
#ifndef DCV_TXN_H
#define DCV_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "records.h"

#define TXN_TIMEOUT_MS_DEFAULT  5000       /* CAs' resolvers give up after a few seconds */
#define TXN_MAX_PENDING_DEFAULT (1u << 17) /* 131072 open queries, about 50 MiB */
#define TXN_QNAME_KEEP                                                                             \
	256 /* qname bytes kept per pending query; longer names are cut for storage only */
/* Kept queries (txn_set_keep()) take at most 1 / TXN_KEPT_SHARE of the table. */
#define TXN_KEPT_SHARE 4

struct txn_config {
	uint32_t timeout_ms;  /* 0 = default */
	uint32_t max_pending; /* 0 = default */
};

/* The identifying parts of a DNS message in flight. */
struct txn_key {
	struct dcv_addr client, server;
	uint16_t client_port, server_port;
	uint16_t id, qtype;
	enum dcv_transport transport;
	const char *qname; /* lowercased presentation form */
	uint16_t qname_len;
};

/* What the query said about its sender besides the key (resolver fingerprints). */
struct txn_query_info {
	bool edns, do_bit;
	bool mixed_case;   /* 0x20 encoding */
	uint16_t udp_size; /* EDNS UDP payload size; 0 without EDNS */
	uint8_t edns_version;
	bool cookie;         /* a COOKIE option (RFC 7873) */
	bool unknown_option; /* an option other than NSID, ECS, COOKIE, EDE */
};

/* What the response said. */
struct txn_answer_info {
	int32_t rcode; /* full (extended) rcode */
	bool tc;
	uint16_t answers; /* answer records of the query type (0 with NOERROR = NODATA) */
	uint32_t ttl;     /* smallest TTL in the answer section; UINT32_MAX when empty */
};

/* A transaction that ended: answered (rcode >= 0) or unanswered (rcode -1). */
struct txn_result {
	const struct txn_key *key; /* qname cut to TXN_QNAME_KEEP bytes */
	uint64_t query_ts_ns;
	uint64_t end_ts_ns;   /* response time, or query time + timeout */
	uint32_t retransmits; /* extra copies of the query seen */
	struct txn_query_info query;
	int32_t rcode; /* -1 when unanswered */
	bool tc;
	uint16_t answers;
	uint32_t answer_ttl; /* UINT32_MAX when unanswered or no answer records */
};

/* Called for every transaction that ends by response or timeout. */
typedef void (*txn_done_fn)(void *ctx, const struct txn_result *r);

struct txn_stats {
	uint64_t answered;
	uint64_t unanswered;
	uint64_t retransmits;         /* queries that repeated an open transaction */
	uint64_t unmatched_responses; /* responses with no open query (capture started late, or
	                                 answer after the timeout) */
	uint64_t evicted;             /* open queries dropped because the table was full */
	uint64_t kept;                /* open queries passed over for eviction (txn_set_keep()) */
	uint64_t pending_at_end;      /* queries too recent at end of input to call unanswered */
};

struct txn_table;

/* txn_new() allocates a table; NULL on allocation failure. cfg may be NULL. */
struct txn_table *txn_new(const struct txn_config *cfg, txn_done_fn done, void *ctx);

/* txn_free() frees without reporting. NULL is a no-op. */
void txn_free(struct txn_table *t);

/* Says whether an open query should outlast others when the table is full
 * (k->qname is cut to TXN_QNAME_KEEP bytes). */
typedef bool (*txn_keep_fn)(void *ctx, const struct txn_key *k);

/* txn_set_keep() sets the queries to keep (keep NULL: none). When the
 * table is full and its oldest open query is one to keep, that query moves
 * to a second list, in time order like the first, and the oldest of the
 * others goes instead; the timeout judges kept queries like any other. The
 * kept list holds at most 1 / TXN_KEPT_SHARE of the table: beyond that the
 * oldest goes, kept or not. keep is asked only when the table is full. */
void txn_set_keep(struct txn_table *t, txn_keep_fn keep, void *ctx);

/* txn_query() records a query at ts_ns (qi may be NULL: nothing known).
 * Returns true when it retransmits an open transaction (then nothing new is
 * opened). */
bool txn_query(struct txn_table *t, const struct txn_key *k, uint64_t ts_ns,
               const struct txn_query_info *qi);

/* txn_response() closes the matching transaction (reported through done) and
 * returns true, or counts an unmatched response and returns false. */
bool txn_response(struct txn_table *t, const struct txn_key *k, uint64_t ts_ns,
                  const struct txn_answer_info *ai);

/* txn_expire() reports every open query older than the timeout at now_ns as
 * unanswered. */
void txn_expire(struct txn_table *t, uint64_t now_ns);

/* txn_finish() ends the input at last_ns: open queries older than the timeout
 * become unanswered, younger ones are counted in pending_at_end. */
void txn_finish(struct txn_table *t, uint64_t last_ns);

/* txn_key_hash() is the hash under which txn_query() and txn_response()
 * look k up. txn_prefetch() starts loading the chain head of hash h and
 * txn_prefetch_entry(), once that head is in, the first transaction of
 * the chain. Hints for a caller that looks ahead; no effect on results. */
uint64_t txn_key_hash(const struct txn_table *t, const struct txn_key *k);
void txn_prefetch(const struct txn_table *t, uint64_t h);
void txn_prefetch_entry(const struct txn_table *t, uint64_t h);

/* txn_get_stats() returns the counters (never NULL). */
const struct txn_stats *txn_get_stats(const struct txn_table *t);

#endif
