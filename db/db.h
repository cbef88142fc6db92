/*
 * db.h - dcvscope's SQLite store: the only place that writes SQL text.
 *
 * One database file holds capture runs, per-source per-bucket statistics and
 * notable transactions. The schema is created and migrated on open
 * (PRAGMA user_version); the file runs in WAL mode. Writes are batched: rows
 * go through prepared statements inside one transaction per batch.
 *
 * A run is identified by its input fingerprint: when a run finishes, earlier
 * runs with the same fingerprint are deleted with all their rows, in the
 * same transaction, so analyzing the same capture twice never double-counts.
 */
#ifndef DCV_DB_H
#define DCV_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyzer/records.h"

#define DB_PATH_DEFAULT       "dcvscope.db"
#define DB_BATCH_ROWS_DEFAULT 100000 /* rows per write transaction */
/* With the background writer on, a queue of at least this many rows is
 * handed to the writer as soon as it is idle, so that it starts early and
 * writes while the analyzer produces the next rows. While it is busy the
 * queue grows on, up to the batch size: when writing is slow (a large
 * table in random key order) batches grow and each commit, which writes
 * every page the batch touched, serves more rows. The batch size itself
 * grows, up to 4 times DB_BATCH_ROWS_DEFAULT, while full batches land all
 * over their tables (batch_size.h). */
#define DB_BG_BATCH_MIN_ROWS 16384

struct db;

/* What is known about a run when it starts. */
struct db_run_info {
	const char *kind;        /* "offline" or "live" */
	const char *inputs;      /* human-readable list of inputs (file names, interface) */
	const char *fingerprint; /* identity of the input; equal fingerprints = same input */
	uint64_t started_ns;     /* wall clock when the run started */
	uint32_t bucket_len_s;
	uint32_t timeout_ms;
};

/* What is known when it ends. */
struct db_run_summary {
	uint64_t finished_ns;
	uint64_t first_packet_ns, last_packet_ns;
	const struct run_accounting *acc;
	int complete; /* 1 when every input was read to its end */
	/* when non-NULL, replaces the fingerprint given at db_run_begin(): an
	 * input read from a pipe is only known once it has been read */
	const char *fingerprint;
};

/*
 * db_open() opens or creates the database at path, sets WAL mode and migrates
 * the schema to the current version. Returns 0 and *out, or -1 with a message
 * in err (errlen bytes) and *out unchanged. A file with a newer schema than
 * this build knows is refused.
 */
int db_open(struct db **out, const char *path, char *err, size_t errlen);

/* db_close() flushes pending rows and closes. Returns 0, or -1 if the final
 * flush failed (the database stays consistent: the batch is rolled back).
 * The handle is freed either way, so the reason of a failed final flush is
 * printed on stderr; call db_flush() first to get it from db_errmsg(). */
int db_close(struct db *db);

/* db_errmsg() returns the last error message (never NULL). */
const char *db_errmsg(const struct db *db);

/* db_set_busy_timeout() sets how long a write waits for another process's
 * lock before failing with a "locked" error (default 5000 ms; 0 = fail at
 * once). Returns 0 or -1. */
int db_set_busy_timeout(struct db *db, int ms);

/* db_set_cache_kib() sets the connection's page cache, in KiB (default
 * 32 MiB, at least 1): a smaller cache makes smaller batches outgrow it.
 * Returns 0 or -1. */
int db_set_cache_kib(struct db *db, int kib);

/* db_set_batch_rows() sets the rows of a write transaction (default
 * DB_BATCH_ROWS_DEFAULT, at least 1): the queue is written when it holds
 * that many, or up to 4 times as many while full batches land all over
 * their tables (batch_size.h). Returns 0 or -1. */
int db_set_batch_rows(struct db *db, size_t rows);

/* Page cache of a connection opened with db_open_beside(), in KiB. */
#define DB_BESIDE_CACHE_KIB 2048

/* db_open_beside() is db_open() for a second connection to a file that
 * another connection writes, for a thread beside it that reads rows once
 * or appends a few: a page cache of DB_BESIDE_CACHE_KIB instead of the
 * 32 MiB sized for writing a large run. */
int db_open_beside(struct db **out, const char *path, char *err, size_t errlen);

/*
 * db_set_background() moves the writing of full batches to a writer thread,
 * so that producing rows and writing them overlap (on = true). Rows, order,
 * merging and error reporting stay the same: a failure in the background is
 * reported by the next add or flush. Reads and db_run_finish() wait for the
 * writer first. While it is on, batches are DB_BG_BATCH_MIN_ROWS rows to
 * the batch size (see there). Returns 0, or -1 if
 * the thread cannot be started (the store then keeps writing in the
 * caller's thread).
 */
int db_set_background(struct db *db, bool on);

/* db_background_checkpoints() returns how many WAL checkpoints copied pages
 * in the background since db_open() (with the background writer on, a
 * thread of its own checkpoints the WAL; 0 while it never has). */
uint64_t db_background_checkpoints(struct db *db);

/* db_background_fold_rows() returns how many bucket rows the fold thread
 * has added up to the run's source totals since db_open() (with the
 * background writer on, a thread of its own does; 0 while it never has). */
uint64_t db_background_fold_rows(struct db *db);

/* db_schema_version() returns the schema version of the open file. */
int db_schema_version(struct db *db);

/* db_run_begin() records a new run; returns its id (> 0) or -1. */
int64_t db_run_begin(struct db *db, const struct db_run_info *info);

/* db_source_bucket_add() queues one (part of a) source bucket row. Parts of
 * the same (run, source, bucket) merge: counters add, maxima take the max.
 * Returns 0 when the row is accepted (queued; written with its batch), or -1
 * when it is not (invalid row, unknown run, or the queue was full and
 * writing it failed: the queued rows are kept for the next try). */
int db_source_bucket_add(struct db *db, int64_t run_id, const struct source_bucket *row);

/* db_source_second_add() queues one busy second of a source (records.h).
 * Returns 0 or -1 as db_source_bucket_add(). */
int db_source_second_add(struct db *db, int64_t run_id, const struct source_second *row);

/* db_txn_add() queues one notable transaction. Returns 0 or -1 as
 * db_source_bucket_add(). */
int db_txn_add(struct db *db, int64_t run_id, const struct txn_record *rec);

/* db_flush() writes the queued rows now, in one transaction. Returns 0, or
 * -1 with nothing written and the rows still queued (a retry may succeed). */
int db_flush(struct db *db);

/*
 * db_run_finish() flushes, stores the run's accounting, and deletes earlier
 * runs with the same fingerprint (and their rows). Returns the number of
 * earlier runs replaced (>= 0) or -1.
 * The summary, the malformed-by-reason rows and the deletions are one
 * transaction: on -1 none of them happened (queued rows the flush already
 * wrote stay written). sum->acc may be NULL: the accounting is then zero.
 */
int db_run_finish(struct db *db, int64_t run_id, const struct db_run_summary *sum);

#endif
