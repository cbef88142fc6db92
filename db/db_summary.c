/* db_summary.c - per-source totals of a run, for the analyze summary. */
#include "db_summary.h"

#include <stdio.h>
#include <string.h>

#include "db_internal.h"

/* failures of a source: what a CA would see as a failed lookup */
#define FAILURES_EXPR                                                                              \
	"(sum(unanswered) + sum(servfail) + sum(refused) + sum(tcp_rejected) + sum(tcp_filtered))"

/* The ranking runs over one cheap expression; the full totals are then summed
 * for the chosen sources only (the sums of every column over every source of
 * a large run cost more than the rest of the summary). */
#define TOTALS_SELECT                                                                              \
	"SELECT source, sum(queries), sum(queries_udp), sum(queries_tcp), sum(responses),"         \
	" sum(noerror), sum(formerr), sum(servfail), sum(nxdomain), sum(notimp), sum(refused),"    \
	" sum(other_rcode), sum(truncated), sum(unanswered), sum(retransmits), max(peak_qps),"     \
	" max(max_concurrent_tcp), sum(tcp_sessions), sum(tcp_rejected), "                         \
	"sum(tcp_filtered), " FAILURES_EXPR                                                        \
	" AS failures FROM source_stats WHERE run_id = ?1 AND source IN "

static const char *const top_sql[] = {
    [DB_TOP_BY_QUERIES] =
        TOTALS_SELECT "(SELECT source FROM source_stats WHERE run_id = ?1 GROUP BY source"
                      " ORDER BY sum(queries) DESC, source LIMIT ?2)"
                      " GROUP BY source ORDER BY sum(queries) DESC, source",
    [DB_TOP_BY_FAILURES] = TOTALS_SELECT
    "(SELECT source FROM source_stats WHERE run_id = ?1 GROUP BY source"
    " HAVING " FAILURES_EXPR " > 0 ORDER BY " FAILURES_EXPR " DESC, source LIMIT ?2)"
    " GROUP BY source ORDER BY failures DESC, source",
};

int db_top_sources(struct db *db, int64_t run_id, enum db_top_order order, unsigned limit,
                   db_source_total_fn fn, void *ctx)
{
	if ((unsigned)order > DB_TOP_BY_FAILURES)
		return db_set_err(db, "top sources: unknown order %d", (int)order);
	if (db_flush(db) != 0)
		return -1;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->sql, top_sql[order], -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, "top sources: prepare", rc);
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, limit == 0 ? -1 : (sqlite3_int64)limit);
	int n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_source_total t;
		memset(&t, 0, sizeof(t));
		const unsigned char *addr = sqlite3_column_text(st, 0);
		if (addr != NULL)
			snprintf(t.address, sizeof(t.address), "%s", (const char *)addr);
		int c = 1;
		t.queries = (uint64_t)sqlite3_column_int64(st, c++);
		t.queries_udp = (uint64_t)sqlite3_column_int64(st, c++);
		t.queries_tcp = (uint64_t)sqlite3_column_int64(st, c++);
		t.responses = (uint64_t)sqlite3_column_int64(st, c++);
		for (int s = 0; s < RCODE_SLOTS; s++)
			t.rcode[s] = (uint64_t)sqlite3_column_int64(st, c++);
		t.truncated = (uint64_t)sqlite3_column_int64(st, c++);
		t.unanswered = (uint64_t)sqlite3_column_int64(st, c++);
		t.retransmits = (uint64_t)sqlite3_column_int64(st, c++);
		t.peak_qps = (uint32_t)sqlite3_column_int64(st, c++);
		t.max_concurrent_tcp = (uint32_t)sqlite3_column_int64(st, c++);
		t.tcp_sessions = (uint64_t)sqlite3_column_int64(st, c++);
		t.tcp_rejected = (uint64_t)sqlite3_column_int64(st, c++);
		t.tcp_filtered = (uint64_t)sqlite3_column_int64(st, c++);
		t.failures = (uint64_t)sqlite3_column_int64(st, c++);
		n++;
		if (fn(ctx, &t) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return db_sql_fail(db, "top sources", rc);
	}
	sqlite3_finalize(st);
	return n;
}

int64_t db_source_count(struct db *db, int64_t run_id)
{
	if (db_flush(db) != 0)
		return -1;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    db->sql, "SELECT count(DISTINCT source) FROM source_stats WHERE run_id = ?1", -1, &st,
	    NULL);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, "source count: prepare", rc);
	sqlite3_bind_int64(st, 1, run_id);
	int64_t n = -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		db_sql_fail(db, "source count", rc);
	sqlite3_finalize(st);
	return n;
}
