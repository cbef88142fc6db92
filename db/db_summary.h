/*
 * db_summary.h - per-source totals of one run, read back for summaries.
 */
#ifndef DCV_DB_SUMMARY_H
#define DCV_DB_SUMMARY_H

#include <stdint.h>

#include "db.h"

/* One source's totals over a run (sums over its buckets; maxima for peaks). */
struct db_source_total {
	char address[DCV_ADDR_TEXT_MAX];
	uint64_t queries, queries_udp, queries_tcp;
	uint64_t responses;
	uint64_t rcode[RCODE_SLOTS];
	uint64_t truncated;
	uint64_t unanswered;
	uint64_t retransmits;
	uint32_t peak_qps;
	uint32_t max_concurrent_tcp;
	uint64_t tcp_sessions, tcp_rejected, tcp_filtered;
	uint64_t failures; /* unanswered + SERVFAIL + REFUSED + TCP rejected + TCP filtered */
};

enum db_top_order {
	DB_TOP_BY_QUERIES,  /* most queries first */
	DB_TOP_BY_FAILURES, /* most failures first; sources without failures are left out */
};

/* Called once per source, in order. Return 0 to go on, non-zero to stop. */
typedef int (*db_source_total_fn)(void *ctx, const struct db_source_total *t);

/*
 * db_top_sources() calls fn for up to limit sources of the run (limit 0 = all)
 * in the given order. Returns the number of sources delivered, or -1 on a
 * database error (db_errmsg()).
 */
int db_top_sources(struct db *db, int64_t run_id, enum db_top_order order, unsigned limit,
                   db_source_total_fn fn, void *ctx);

/* db_source_count() returns the number of distinct sources in the run, or -1. */
int64_t db_source_count(struct db *db, int64_t run_id);

#endif
