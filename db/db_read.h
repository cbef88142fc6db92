/*
 * db_read.h - small read helpers over the store for the CLI and the tests.
 * Report queries come later; these answer "how many" and "how much".
 *
 * Reads see committed rows only: rows still queued by the writer are not
 * counted until db_flush() (or db_run_finish()) writes them.
 */
#ifndef DCV_DB_READ_H
#define DCV_DB_READ_H

#include <stdint.h>

#include "db.h"

/* db_run_count() returns the number of runs in the file, or -1. */
int db_run_count(struct db *db);

/* db_run_latest() returns the id of the newest run with this fingerprint,
 * 0 when there is none, or -1 on error. */
int64_t db_run_latest(struct db *db, const char *fingerprint);

/* db_source_stats_count() returns the number of source_stats rows of the
 * run (one per source and bucket, parts merged), or -1. */
int64_t db_source_stats_count(struct db *db, int64_t run_id);

/* db_txn_count() returns the number of stored transactions of the run, or -1. */
int64_t db_txn_count(struct db *db, int64_t run_id);

/*
 * db_sum_column() sums a counter column over the rows of one run into *out:
 * table is "source_stats", "transactions", "run_malformed" or "runs" (the
 * run's own row), and column one of that table's counter columns. Names are
 * checked against a fixed list and never put into SQL as given. Returns 0
 * (with 0 when the run has no rows), or -1 with *out unchanged for an
 * unknown table/column or a database error.
 */
int db_sum_column(struct db *db, int64_t run_id, const char *table, const char *column,
                  uint64_t *out);

/* db_malformed_count() stores into *out the run's count for one malformed
 * reason (a dcv_error_name() key; 0 when the run has none). Returns 0 or -1. */
int db_malformed_count(struct db *db, int64_t run_id, const char *reason, uint64_t *out);

#endif
