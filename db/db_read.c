/*
 * db_read.c - the read helpers of db_read.h. Every statement here is constant
 * text or built only from names in the fixed lists below.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "db_read.h"

/* Runs a query returning one integer (NULL reads as 0); text parameters
 * bind in order after the optional run id. Returns 0 or -1. */
static int query_one(struct db *db, const char *op, const char *sql, int64_t run_id,
                     const char *text, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, op, rc);
	int n = 1;
	if (run_id != 0)
		rc = sqlite3_bind_int64(st, n++, run_id);
	if (rc == SQLITE_OK && text != NULL)
		rc = sqlite3_bind_text(st, n, text, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*out = 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, op, rc);
	return 0;
}

int db_run_count(struct db *db)
{
	if (db != NULL)
		db_writer_quiesce(db);
	int64_t n = 0;
	if (db == NULL || query_one(db, "count runs", "SELECT count(*) FROM runs", 0, NULL, &n))
		return -1;
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int64_t db_run_latest(struct db *db, const char *fingerprint)
{
	if (db != NULL)
		db_writer_quiesce(db);
	int64_t id = 0;
	if (db == NULL || fingerprint == NULL)
		return -1;
	if (query_one(db, "find latest run", "SELECT max(id) FROM runs WHERE fingerprint = ?", 0,
	              fingerprint, &id))
		return -1;
	return id;
}

int64_t db_source_stats_count(struct db *db, int64_t run_id)
{
	if (db != NULL)
		db_writer_quiesce(db);
	int64_t n = 0;
	if (db == NULL ||
	    query_one(db, "count source_stats",
	              "SELECT count(*) FROM source_stats WHERE run_id = ?", run_id, NULL, &n))
		return -1;
	return n;
}

int64_t db_txn_count(struct db *db, int64_t run_id)
{
	if (db != NULL)
		db_writer_quiesce(db);
	int64_t n = 0;
	if (db == NULL ||
	    query_one(db, "count transactions",
	              "SELECT count(*) FROM transactions WHERE run_id = ?", run_id, NULL, &n))
		return -1;
	return n;
}

int db_malformed_count(struct db *db, int64_t run_id, const char *reason, uint64_t *out)
{
	if (db != NULL)
		db_writer_quiesce(db);
	int64_t n = 0;
	if (db == NULL || reason == NULL || out == NULL)
		return -1;
	if (query_one(db, "read run_malformed",
	              "SELECT count FROM run_malformed WHERE run_id = ? AND reason = ?", run_id,
	              reason, &n))
		return -1;
	*out = (uint64_t)n;
	return 0;
}

/* ------------------------------------------------------------------------
 * db_sum_column() and its whitelist
 * ------------------------------------------------------------------------ */

#define COL_STR(col, field) #col,

static const char *const source_stats_columns[] = {
    "bucket_len_s", DB_BUCKET_SUM_COLUMNS(COL_STR) DB_BUCKET_MAX_COLUMNS(COL_STR) NULL};
static const char *const transactions_columns[] = {
    "latency_us", "tc", "query_edns", "query_do", "resp_size", "fragmented", NULL};
static const char *const run_malformed_columns[] = {"count", NULL};
static const char *const runs_columns[] = {"complete", DB_ACCOUNTING_COLUMNS(COL_STR) NULL};

static const struct {
	const char *table;
	const char *run_key; /* the column naming the run */
	const char *const *columns;
} summable[] = {
    {"source_stats", "run_id", source_stats_columns},
    {"transactions", "run_id", transactions_columns},
    {"run_malformed", "run_id", run_malformed_columns},
    {"runs", "id", runs_columns},
};

int db_sum_column(struct db *db, int64_t run_id, const char *table, const char *column,
                  uint64_t *out)
{
	if (db != NULL)
		db_writer_quiesce(db);
	if (db == NULL || table == NULL || column == NULL || out == NULL)
		return -1;
	for (size_t t = 0; t < sizeof(summable) / sizeof(summable[0]); t++) {
		if (strcmp(summable[t].table, table) != 0)
			continue;
		for (const char *const *c = summable[t].columns; *c != NULL; c++) {
			if (strcmp(*c, column) != 0)
				continue;
			/* Only whitelisted names, never the caller's text. */
			char sql[160];
			snprintf(sql, sizeof(sql), "SELECT sum(%s) FROM %s WHERE %s = ?", *c,
			         summable[t].table, summable[t].run_key);
			int64_t sum = 0;
			if (query_one(db, "sum column", sql, run_id, NULL, &sum) != 0)
				return -1;
			*out = (uint64_t)sum;
			return 0;
		}
		return db_set_err(db, "sum column: %s has no counter column \"%s\"", table, column);
	}
	return db_set_err(db, "sum column: unknown table \"%s\"", table);
}
