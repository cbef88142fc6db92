/*
 * db_internal.h - what the db/ files share and nothing outside db/ sees: the
 * connection struct, the write queue, error helpers and the schema entry.
 *
 * NOTES ON THE DESIGN OF THE STORE
 *
 *  1. One struct db is one sqlite3 connection. It is not thread-safe; one
 *     thread (the writer) owns it.
 *  2. Rows are not written when they are added: db_source_bucket_add() and
 *     db_txn_add() copy them into an in-memory queue (struct db_queue). The
 *     queue is written in one BEGIN IMMEDIATE..COMMIT when it holds
 *     batch_limit rows (batch_rows, more while batches land all over
 *     their tables: batch_size.h), and on db_flush(), db_run_finish() and
 *     db_close().
 *     The write lock is therefore held only while a batch is being written,
 *     never while the analyzer is producing rows: a second process (a report,
 *     another analysis) waits at most one batch, not a whole run.
 *  3. A batch is all or nothing. When writing it fails, the transaction is
 *     rolled back and the rows stay queued, so a later flush can retry them
 *     (a lock that went away, space that was freed). db_close() is the only
 *     place that gives queued rows up, and it says how many.
 *  4. Every statement used per row is prepared once in db_open() and reset
 *     after each use; no SQL text is built from data.
 *  5. Every failing sqlite3 call leaves a message in db->err that names the
 *     operation, the file and SQLite's own message; the function returns -1.
 *  6. With the background writer on (db_set_background()), a full queue is
 *     handed to a writer thread (swapped with the empty `inflight` queue) and
 *     the caller goes on queueing. While the thread writes, it alone uses
 *     the sqlite3 connection and db->err; every other entry point that
 *     touches either first calls db_writer_quiesce(), which waits for it.
 *     A batch that failed in the background stays in `inflight` and is
 *     retried, in the caller's thread, by the next hand-off or flush, which
 *     then reports the failure.
 *  7. With the background writer on, WAL checkpoints are made by a thread
 *     of their own on a second connection (checkpointer.c): a commit that
 *     leaves DB_CHECKPOINT_FRAMES pages in the WAL wakes it instead of
 *     checkpointing in the committing thread. It is stopped, and SQLite's
 *     automatic checkpoint is back, when the writer thread stops.
 *  8. With the background writer on, the fold (the run's source totals,
 *     source_scan.c) is added up by a thread of its own (fold_feed.c): an
 *     accepted bucket row is copied, packed, into the feed, which the fold
 *     thread takes in the order the rows came. While it is busy only it
 *     touches db->fold; every entry point that reads, replaces or frees
 *     the fold first calls db_fold_feed_wait(). It stops with the writer.
 */
#ifndef DCV_DB_INTERNAL_H
#define DCV_DB_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>

#include "db.h"
#include "report_queries.h"
#include "rule_queries.h"

/* Longest error message kept; longer ones are cut. */
#define DB_ERRMSG_MAX 512

/* How long a statement waits for another connection's lock before failing
 * with SQLITE_BUSY. A guess: long enough for another process to commit a
 * batch of DB_BATCH_ROWS_DEFAULT rows on a slow disk. */
#define DB_BUSY_TIMEOUT_MS_DEFAULT 5000

/* Page size of a new file. Measured with tests/db/test_db_bench.c: 16 KiB
 * pages write source_stats rows (about 100 bytes, 31 columns) 10-15% faster
 * than SQLite's default 4 KiB, with fewer WAL frames per batch. */
#define DB_PAGE_SIZE 16384

/* Page cache per connection, in KiB (PRAGMA cache_size takes -KiB). The
 * source_stats primary key is written in source order, not in file order;
 * the cache keeps its inner pages, and the recent part of the transaction
 * indexes, resident during a long analysis. Every page of it is memory the
 * analysis first touches: measured on the 5M-packet bench capture and the
 * 1M-source capture, 64 MiB was no faster than 16 or 32 MiB and cost
 * 50-100 MiB more peak memory; 32 MiB leaves room for larger indexes. */
#define DB_CACHE_KIB 32768

/* WAL pages after a commit that call for a checkpoint: SQLite's own
 * automatic checkpoint threshold (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
#define DB_CHECKPOINT_FRAMES 1000

/*
 * Column lists. Each X(column, field) pairs a column with the field of the
 * record it comes from; the SQL text of the writer and the whitelist of
 * db_sum_column() are generated from these lists, so they cannot drift
 * apart. (The CREATE TABLE text in schema.c is deliberately literal: a
 * released migration never changes.)
 */

/* source_stats columns that add up when parts of a row merge. */
#define DB_BUCKET_SUM_COLUMNS(X)                                                                   \
	X(queries, queries)                                                                        \
	X(queries_udp, queries_udp)                                                                \
	X(queries_tcp, queries_tcp)                                                                \
	X(queries_edns, queries_edns)                                                              \
	X(queries_do, queries_do)                                                                  \
	X(retransmits, retransmits)                                                                \
	X(responses, responses)                                                                    \
	X(noerror, rcode[RCODE_SLOT_NOERROR])                                                      \
	X(formerr, rcode[RCODE_SLOT_FORMERR])                                                      \
	X(servfail, rcode[RCODE_SLOT_SERVFAIL])                                                    \
	X(nxdomain, rcode[RCODE_SLOT_NXDOMAIN])                                                    \
	X(notimp, rcode[RCODE_SLOT_NOTIMP])                                                        \
	X(refused, rcode[RCODE_SLOT_REFUSED])                                                      \
	X(other_rcode, rcode[RCODE_SLOT_OTHER])                                                    \
	X(truncated, truncated)                                                                    \
	X(unanswered, unanswered)                                                                  \
	X(tcp_sessions, tcp_sessions)                                                              \
	X(tcp_rejected, tcp_rejected)                                                              \
	X(tcp_filtered, tcp_filtered)                                                              \
	X(tcp_server_closed, tcp_server_closed)                                                    \
	X(latency_count, latency_count)                                                            \
	X(latency_sum_us, latency_sum_us)                                                          \
	X(tcp_stalled, tcp_stalled)

/* source_stats columns that take the maximum when parts merge. */
#define DB_BUCKET_MAX_COLUMNS(X)                                                                   \
	X(peak_qps, peak_qps)                                                                      \
	X(max_concurrent_tcp, max_concurrent_tcp)                                                  \
	X(latency_max_us, latency_max_us)                                                          \
	X(max_served_tcp, max_served_tcp)

/* runs columns holding struct run_accounting (all but malformed[]). */
#define DB_ACCOUNTING_COLUMNS(X)                                                                   \
	X(frames, frames)                                                                          \
	X(bytes, bytes)                                                                            \
	X(dns_frames, dns_frames)                                                                  \
	X(not_ip, not_ip)                                                                          \
	X(other_proto, other_proto)                                                                \
	X(other_port, other_port)                                                                  \
	X(fragments_held, fragments_held)                                                          \
	X(malformed_frames, malformed_frames)                                                      \
	X(unsupported_link, unsupported_link)                                                      \
	X(snap_truncated, snap_truncated)                                                          \
	X(fragments, fragments)                                                                    \
	X(reassembled, reassembled)                                                                \
	X(tcp_streams, tcp_streams)                                                                \
	X(dns_messages, dns_messages)                                                              \
	X(queries, queries)                                                                        \
	X(responses, responses)                                                                    \
	X(dns_malformed, dns_malformed)                                                            \
	X(dns_trailing, dns_trailing)                                                              \
	X(kernel_dropped, kernel_dropped)                                                          \
	X(evictions, evictions)

/* A queued transaction: struct txn_record without its 1 KiB name buffer;
 * the name lives in the queue's arena at name_off. */
struct db_txn_row {
	int64_t run_id;
	uint64_t query_ts_ns;
	uint64_t latency_us;
	struct dcv_addr client, server;
	uint16_t client_port, server_port;
	uint16_t id, qtype;
	int32_t rcode;
	uint8_t kind, transport, tc, query_edns, query_do, shape, fragmented;
	uint32_t answer_ttl; /* UINT32_MAX: none */
	uint32_t resp_size;
	uint32_t name_off, name_len;
};

/* The sort key of a queued source_stats row (packed at off in the queue,
 * bucket_pack.h), with its address in text form: a batch is written in
 * primary key order (writer.c). */
struct db_bucket_key {
	int64_t run_id;
	uint64_t bucket_start_ns;
	size_t off;
	char source[DCV_ADDR_TEXT_MAX];
};

/* The key of a queued transactions row in index transactions_client, and
 * where the row is in the queue (writer.c). */
struct db_txn_key {
	uint64_t query_ts_ns;
	uint32_t i; /* index into the queue's txns */
	char client[DCV_ADDR_TEXT_MAX];
};

/* A queued perspective of a queued attempt; region text in the arena. */
struct db_queued_persp {
	struct dcv_addr source;
	uint32_t region_off;
	uint8_t confidence, outcome; /* enum mpic_confidence, enum mpic_outcome */
	uint32_t queries, failures;
};

/* A queued MPIC attempt (struct mpic_attempt): name and CA text in the
 * arena, its kept perspectives at persps[persp_first .. + persp_n]. */
struct db_queued_attempt {
	int64_t run_id;
	uint64_t first_ns, last_ns;
	uint32_t name_off, ca_off;
	uint8_t method, status, caa_labels; /* enum dcv_shape, enum mpic_status */
	bool caa_climb;
	uint32_t nperspectives, usable, failed;
	uint32_t persp_first, persp_n;
};

/* Rows waiting for the next batch (note 2). */
struct db_second_row {
	int64_t run_id;
	struct source_second s;
	char source[DCV_ADDR_TEXT_MAX];
};

struct db_queue {
	/* source_stats rows, packed back to back (bucket_pack.h) */
	uint8_t *buckets;
	size_t n_buckets, buckets_len, buckets_cap;
	struct db_second_row *seconds;
	size_t n_seconds, cap_seconds;
	struct db_txn_row *txns;
	size_t n_txns, cap_txns;
	struct db_queued_attempt *attempts;
	size_t n_attempts, cap_attempts;
	struct db_queued_persp *persps;
	size_t n_persps, cap_persps;
	char *arena; /* text of the queued rows (names, CAs, regions), back to back */
	size_t arena_len, arena_cap;
};

/* A scope known to have more than `over` sources (source_scan.c): a scan
 * of it that holds no more than that reads them in source order at once,
 * instead of first reading rows into memory until it gives up. Only a
 * hint: the answers are the same either way. */
struct db_source_many {
	bool known;
	struct rules_scope scope;
	size_t over;
};

struct db {
	/* configuration */
	sqlite3 *sql;
	char *path;
	size_t batch_rows;  /* rows per write transaction, at least (batch_size.h) */
	size_t batch_limit; /* rows at which the queue is written now */
	size_t limit_next;  /* what the last batch written says it should be */

	/* prepared once in db_open(), finalized in db_close() (note 4) */
	sqlite3_stmt *st_bucket_upsert;
	sqlite3_stmt *st_second_upsert;
	sqlite3_stmt *st_txn_insert;
	sqlite3_stmt *st_attempt_insert;
	sqlite3_stmt *st_persp_insert;
	sqlite3_stmt *st_run_exists;
	sqlite3_stmt *st_page_count;

	/* state */
	struct db_queue q;
	/* the keys of a batch's source_stats rows, in key order while it is
	 * written (by whichever thread writes) */
	struct db_bucket_key *bucket_keys;
	size_t cap_bucket_keys;
	/* the same for a batch's transactions rows: in the order they came,
	 * or of their per-client index while txn_by_client (writer.c) */
	struct db_txn_key *txn_keys;
	size_t cap_txn_keys;
	bool txn_by_client;   /* the last batch written outgrew the page cache */
	int64_t known_run_id; /* last run id confirmed to exist (0: none) */
	char err[DB_ERRMSG_MAX];

	/* background writer (note 6); all zero when it is off */
	bool bg_on;
	pthread_t bg_thread;
	pthread_mutex_t bg_lock;
	pthread_cond_t bg_work, bg_idle;
	struct db_queue inflight; /* the batch the writer thread owns while bg_busy */
	bool bg_busy;             /* inflight is being written */
	bool bg_stop;             /* the thread should exit */
	bool bg_failed;           /* writing inflight failed; its rows wait for a retry */

	/* the checkpointer of note 7 (NULL: off), and the checkpoints made by
	 * the ones stopped before */
	struct db_checkpointer *ckpt;
	uint64_t ckpt_done;

	/* one run's source totals added up as its rows are accepted (NULL:
	 * none; source_scan.h), in the thread that adds them or, with the
	 * feed on, in the fold thread (note 8) */
	struct db_source_fold *fold;
	struct db_fold_feed *feed; /* NULL: off */
	uint64_t fold_rows_done;   /* added up by the fold threads stopped before */
	/* a fold already handed on, kept for further scans of its run until a
	 * bucket row is queued again (main thread; source_scan.c) */
	struct db_source_fold *fold_kept;
	/* a scope whose sources the last scan found too many for memory */
	struct db_source_many many;
};

/* db_source_fold_row() adds an accepted bucket row of run_id, source text
 * source, to the fold (rows of other runs are skipped); the last rows wait
 * in a short queue until db_source_fold_flush(), which the scan calls
 * before the fold is read. source_scan.c. */
void db_source_fold_row(struct db_source_fold *f, int64_t run_id, const char *source,
                        const struct source_bucket *b);
void db_source_fold_flush(struct db_source_fold *f);

/* db_source_scan_forget() says that bucket rows were deleted: what a scan
 * found of a scope's sources (struct db_source_many) is forgotten (rows
 * added only make more sources). source_scan.c. */
void db_source_scan_forget(struct db *db);

/* db_source_fold_give_up() makes the fold give up (a row it cannot take):
 * the scan then reads the stored rows. */
void db_source_fold_give_up(struct db_source_fold *f);

/* db_source_fold_resolved_from() says whether the kept fold is run_id's and
 * took the validators' CA and region from m (db_source_scan_early()). */
struct mpic;
bool db_source_fold_resolved_from(const struct db *db, int64_t run_id, const struct mpic *m);

/* db_source_fold_forget() drops the kept fold (db->fold_kept): a bucket
 * row or a validator row of the run is about to change what it added up. */
void db_source_fold_forget(struct db *db);

/* db_source_fold_free() frees a fold; NULL is a no-op. */
void db_source_fold_free(struct db_source_fold *f);

/* db_fold_feed_start() starts the fold thread of note 8. Returns 0, or -1
 * when it cannot (the rows are then added up where they are accepted).
 * fold_feed.c. */
int db_fold_feed_start(struct db *db);

/* db_fold_feed_row() feeds one accepted bucket row of db->fold (non-NULL),
 * packed (len bytes, bucket_pack.h), to the fold thread. Returns 0, or -1
 * when memory ran out (the row was not taken: add it up after
 * db_fold_feed_wait()). */
int db_fold_feed_row(struct db *db, const uint8_t *packed, size_t len);

/* db_fold_feed_push() hands every row fed so far to the fold thread
 * (waiting for it to take them) and returns; db_fold_feed_wait() returns
 * once they are added up. Both are no-ops when the feed is off. */
void db_fold_feed_push(struct db *db);
void db_fold_feed_wait(struct db *db);

/* db_fold_feed_stop() adds up what is left and stops the thread, if on. */
void db_fold_feed_stop(struct db *db);

/* db_checkpointer_start() starts the checkpointer of note 7 for db's file.
 * Returns 0 (also when the file is read-only: nothing to checkpoint), or
 * -1 when it cannot (SQLite then checkpoints as before). checkpointer.c. */
int db_checkpointer_start(struct db *db);

/* db_checkpointer_stop() stops it, if on, and gives the checkpoints back to
 * the committing connection. */
void db_checkpointer_stop(struct db *db);

/* db_set_err() formats a message into db->err. Returns -1 so callers can
 * `return db_set_err(...)`. */
int db_set_err(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* db_sql_fail() records a failed sqlite3 call: "<op>: <path>: <sqlite message>
 * (<code name>)". Returns -1. */
int db_sql_fail(struct db *db, const char *op, int rc);

/* db_exec() runs SQL text without results (no data in it: constant text
 * only). Returns 0 or -1 with a message naming op. */
int db_exec(struct db *db, const char *op, const char *sql);

/* db_begin() opens a write transaction (BEGIN IMMEDIATE: the write lock is
 * taken now, waiting up to the busy timeout). Returns 0 or -1. */
int db_begin(struct db *db, const char *op);

/* db_commit() commits; on failure it rolls back. Returns 0 or -1. */
int db_commit(struct db *db, const char *op);

/* db_rollback() rolls back if a transaction is open; keeps db->err. */
void db_rollback(struct db *db);

/* db_prepare() prepares a statement for one use. Returns it, or NULL after
 * recording the failure under op (db_errmsg()). The caller finalizes it. */
sqlite3_stmt *db_prepare(struct db *db, const char *op, const char *sql);

/* db_step_done() steps a statement that returns no row and finalizes it;
 * bind_rc is the result of the binds before it (a failed bind is reported
 * instead of stepping). Returns 0 or -1. */
int db_step_done(struct db *db, const char *op, sqlite3_stmt *st, int bind_rc);

/* db_bind_u64() binds an unsigned counter, clamped to INT64_MAX (SQLite
 * integers are signed 64-bit). */
int db_bind_u64(sqlite3_stmt *st, int idx, uint64_t v);

/*
 * DB_SCOPE(run, t) selects the rows of a struct rules_scope bound by
 * db_prepare_scoped(): rows of the runs that can hold rows of the scope
 * (?1 itself, or with ?1 = 0 the runs whose packets overlap [?2, ?3); a
 * bucket may start up to one bucket before its run's first packet) whose
 * time t lies in [?2, ?3). A run scope binds ?2 = 0 and ?3 = INT64_MAX.
 * Written so that the (run_id, time) keys of every table serve it: a time
 * span reads its range of each run instead of scanning the whole table.
 */
#define DB_SCOPE(run, t)                                                                           \
	"(" run " IN (SELECT id FROM runs WHERE " DB_SCOPE_RUNS ") AND " t " >= ?2 AND " t " < "   \
	"?3)"

/* DB_SCOPE_RUNS is DB_SCOPE()'s condition on a row of table runs: the runs
 * that can hold rows of the scope. */
#define DB_SCOPE_RUNS                                                                              \
	"((?1 > 0 AND id = ?1) OR (?1 = 0 AND (last_packet_ns IS NULL OR last_packet_ns >= ?2)"    \
	" AND (first_packet_ns IS NULL OR first_packet_ns < ?3 + bucket_len_s * 1000000000)))"

/* db_prepare_scoped() flushes queued rows, prepares sql and binds a
 * struct rules_scope as ?1 run id (0 = a time span), ?2 from_ns, ?3 to_ns
 * (0 and INT64_MAX for a run), as DB_SCOPE() reads them. Returns the
 * statement, or NULL (db_errmsg()). */
sqlite3_stmt *db_prepare_scoped(struct db *db, const char *op, const char *sql,
                                const struct rules_scope *scope);

/* db_rows_run() steps st (NULL: returns -1) to the end, the first ntext
 * columns into r.t and the rest into r.n of a struct db_rule_row, calling fn
 * for each (non-zero stops). Finalizes st. Returns the rows, or -1. */
int db_rows_run(struct db *db, const char *op, sqlite3_stmt *st, int ntext, db_rule_row_fn fn,
                void *ctx);

/* db_schema_migrate() brings the open file to DB_SCHEMA_VERSION (schema.c).
 * Returns 0 or -1; refuses a newer file and a foreign, non-empty one. */
int db_schema_migrate(struct db *db);

/* db_run_points() steps and finalizes a series statement (columns: key,
 * t_ns, then the numbers of struct db_report_point in order), handing each
 * point to fn until it returns non-zero (report_queries.c). Returns the
 * points handed on (the stopping one included) or -1 (op names the read). */
int db_run_points(struct db *db, const char *op, sqlite3_stmt *st, db_report_point_fn fn,
                  void *ctx);

/* db_source_scan_register() registers the SQL function db_source_scan()
 * folds rows with (source_scan.c); it holds no state. Returns 0 or -1. */
int db_source_scan_register(struct db *db);

/* db_writer_prepare() prepares the per-row statements (writer.c). */
int db_writer_prepare(struct db *db);

/* db_writer_release() finalizes them and frees the queue. Discards rows. */
void db_writer_release(struct db *db);

/* db_queue_room() makes room in the queue for one more row of run_id (which
 * must name a run; a full queue is written or handed off first). Returns 0
 * or -1 (db->err set). */
int db_queue_room(struct db *db, int64_t run_id);

/* db_queue_grow() grows *buf to hold at least need elements of size sz.
 * Returns 0 or -1. */
int db_queue_grow(void **buf, size_t *cap, size_t need, size_t sz);

/* db_queue_text() appends len bytes of text and a NUL to the queue's arena
 * and sets *off to where they start. Returns 0 or -1 (out of memory). */
int db_queue_text(struct db_queue *q, const char *text, size_t len, uint32_t *off);

/* db_queue_added() tells the writer a row was queued: a complete batch is
 * written or handed off. */
void db_queue_added(struct db *db);

/* db_attempts_write() writes the queued attempts of q with their
 * perspectives, inside the caller's transaction (validator_store.c).
 * Returns SQLITE_OK or the failing SQLite code. */
int db_attempts_write(struct db *db, const struct db_queue *q);

/* db_writer_pending() returns the number of queued rows (in flight included). */
size_t db_writer_pending(const struct db *db);

/* db_writer_quiesce() waits until the background writer (if any) is idle;
 * afterwards the caller may use the connection and db->err (note 6). */
void db_writer_quiesce(struct db *db);

/* db_writer_stop() ends the background writer thread (after quiescing). */
void db_writer_stop(struct db *db);

/* ---- ClickHouse (clickhouse.c, ch_schema.c) ---------------------------- */

struct db_ch;

/* db_ch_schema_apply() creates the database and runs the migration steps
 * the server lacks (ch_schema.c). Returns a db_ch_result. */
int db_ch_schema_apply(struct db_ch *ch);

/* db_ch_fail() records msg as the handle's error (prefixed with the target)
 * and returns result. */
int db_ch_fail(struct db_ch *ch, int result, const char *msg);

/* ---- ClickHouse reads (ch_select.c) ------------------------------------ */

/*
 * db_ch_select() runs sql (a SELECT without a FORMAT clause) in the
 * database, asks for the answer as JSONCompact and calls fn with each row
 * (a JSON array, the caller's only during the call); fn returns 0 to go
 * on. Returns how many rows fn saw, or a db_ch_result (< 0; an answer that
 * is not JSONCompact is DB_CH_REJECTED).
 */
int db_ch_select(struct db_ch *ch, const char *sql, int (*fn)(void *ctx, json_t *row), void *ctx);

/* db_ch_row_u64() returns column i of row as a number: ClickHouse writes
 * 64-bit integers as JSON strings, smaller ones as numbers (0 when absent). */
uint64_t db_ch_row_u64(json_t *row, size_t i);

/* db_ch_row_text() copies column i of row, a string, into out (cut to len;
 * "" when absent). */
void db_ch_row_text(json_t *row, size_t i, char *out, size_t len);

#endif
