/*
 * writer.c - the batched writer: source_stats and transactions rows go into
 * an in-memory queue and are written one batch per transaction (design
 * notes 2-4 in db_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch_size.h"
#include "bucket_pack.h"
#include "db_internal.h"
#include "dcv_shape.h"

/* ------------------------------------------------------------------------
 * SQL text, generated from the column lists
 * ------------------------------------------------------------------------ */

#define COL_NAME(col, field)  ", " #col
#define COL_PARAM(col, field) ", ?"
#define COL_SUM(col, field)   ", " #col " = " #col " + excluded." #col
#define COL_MAX(col, field)   ", " #col " = max(" #col ", excluded." #col ")"
#define COL_COUNT(col, field) +1
#define COL_BIND(col, field)  (rc = rc ? rc : db_bind_u64(st, idx++, b->field));

/* Parameters 1..6 are the key and description of the row; the counters
 * follow in list order. */
/* clang-format off */
static const char bucket_upsert_sql[] =
    "INSERT INTO source_stats (run_id, source, family, source_bin, bucket_start_ns, bucket_len_s"
        DB_BUCKET_SUM_COLUMNS(COL_NAME) DB_BUCKET_MAX_COLUMNS(COL_NAME) ") "
    "VALUES (?, ?, ?, ?, ?, ?"
        DB_BUCKET_SUM_COLUMNS(COL_PARAM) DB_BUCKET_MAX_COLUMNS(COL_PARAM) ") "
    "ON CONFLICT (run_id, source, bucket_start_ns) DO UPDATE SET bucket_len_s = bucket_len_s"
        DB_BUCKET_SUM_COLUMNS(COL_SUM) DB_BUCKET_MAX_COLUMNS(COL_MAX);
/* clang-format on */

/* Parts of one busy second (a source evicted and seen again within it) add up. */
static const char second_upsert_sql[] =
    "INSERT INTO source_seconds (run_id, source, second_ns, queries, responses, noerror, "
    "nxdomain, refused, servfail, other_rcode, truncated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
    "?9, ?10, ?11) ON CONFLICT (run_id, second_ns, source) DO UPDATE SET "
    "queries = queries + excluded.queries, responses = responses + excluded.responses, "
    "noerror = noerror + excluded.noerror, nxdomain = nxdomain + excluded.nxdomain, "
    "refused = refused + excluded.refused, servfail = servfail + excluded.servfail, "
    "other_rcode = other_rcode + excluded.other_rcode, truncated = truncated + excluded.truncated";

static const char txn_insert_sql[] =
    "INSERT INTO transactions (run_id, kind, query_ts_ns, latency_us, family, client, "
    "client_bin, client_port, server, server_port, transport, msg_id, qname, qtype, rcode, tc, "
    "query_edns, query_do, shape, answer_ttl, resp_size, fragmented) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";

static const char attempt_insert_sql[] =
    "INSERT INTO attempts (run_id, first_ns, last_ns, name, ca, method, caa_climb, caa_labels,"
    " perspectives, usable, failed, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static const char persp_insert_sql[] =
    "INSERT OR REPLACE INTO attempt_perspectives (attempt_id, run_id, source, region,"
    " confidence, outcome, queries, failures) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

enum { BUCKET_FIXED_PARAMS = 6 };
_Static_assert(BUCKET_FIXED_PARAMS DB_BUCKET_SUM_COLUMNS(COL_COUNT)
                       DB_BUCKET_MAX_COLUMNS(COL_COUNT) == 33,
               "source_stats has 33 columns; update the schema with the list");

/* ------------------------------------------------------------------------
 * Statements and queue lifetime
 * ------------------------------------------------------------------------ */

/* Prepares one long-lived statement into *st. */
static int prepare(struct db *db, sqlite3_stmt **st, const char *sql, const char *op)
{
	int rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, op, rc);
	return 0;
}

int db_writer_prepare(struct db *db)
{
	if (prepare(db, &db->st_bucket_upsert, bucket_upsert_sql, "prepare source_stats upsert") ||
	    prepare(db, &db->st_second_upsert, second_upsert_sql,
	            "prepare source_seconds upsert") ||
	    prepare(db, &db->st_txn_insert, txn_insert_sql, "prepare transactions insert") ||
	    prepare(db, &db->st_attempt_insert, attempt_insert_sql, "prepare attempts insert") ||
	    prepare(db, &db->st_persp_insert, persp_insert_sql,
	            "prepare attempt_perspectives insert") ||
	    prepare(db, &db->st_run_exists, "SELECT 1 FROM runs WHERE id = ?",
	            "prepare run lookup") ||
	    prepare(db, &db->st_page_count, "PRAGMA page_count", "prepare page count"))
		return -1;
	return 0;
}

void db_writer_release(struct db *db)
{
	sqlite3_finalize(db->st_bucket_upsert);
	sqlite3_finalize(db->st_second_upsert);
	db->st_second_upsert = NULL;
	sqlite3_finalize(db->st_txn_insert);
	sqlite3_finalize(db->st_attempt_insert);
	sqlite3_finalize(db->st_persp_insert);
	sqlite3_finalize(db->st_run_exists);
	sqlite3_finalize(db->st_page_count);
	db->st_bucket_upsert = db->st_txn_insert = db->st_run_exists = db->st_page_count = NULL;
	db->st_attempt_insert = db->st_persp_insert = NULL;
	free(db->bucket_keys);
	db->bucket_keys = NULL;
	db->cap_bucket_keys = 0;
	free(db->txn_keys);
	db->txn_keys = NULL;
	db->cap_txn_keys = 0;
	struct db_queue *queues[] = {&db->q, &db->inflight};
	for (size_t i = 0; i < 2; i++) {
		struct db_queue *q = queues[i];
		free(q->buckets);
		free(q->seconds);
		free(q->txns);
		free(q->attempts);
		free(q->persps);
		free(q->arena);
		memset(q, 0, sizeof(*q));
	}
}

static size_t queue_rows(const struct db_queue *q)
{
	return q->n_buckets + q->n_seconds + q->n_txns + q->n_attempts;
}

size_t db_writer_pending(const struct db *db)
{
	return queue_rows(&db->q) + queue_rows(&db->inflight);
}

static void queue_clear(struct db_queue *q)
{
	q->n_buckets = 0;
	q->buckets_len = 0;
	q->n_seconds = 0;
	q->n_txns = 0;
	q->n_attempts = 0;
	q->n_persps = 0;
	q->arena_len = 0;
}

int db_queue_grow(void **buf, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / sz)
		return -1;
	void *p = realloc(*buf, n * sz);
	if (p == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* ------------------------------------------------------------------------
 * Writing one batch
 * ------------------------------------------------------------------------ */

/* Binds address a as its text (formatted by the caller, bound as it is)
 * and, when bin_idx > 0, as its 16 bytes. */
static int bind_addr(sqlite3_stmt *st, int text_idx, int bin_idx, const struct dcv_addr *a,
                     const char *text)
{
	int rc = sqlite3_bind_text(st, text_idx, text, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && bin_idx > 0)
		rc = sqlite3_bind_blob(st, bin_idx, a->bytes, sizeof(a->bytes), SQLITE_STATIC);
	return rc;
}

/* Runs a bound statement to completion and resets it. */
static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int write_bucket(struct db *db, const struct db_bucket_key *k, const struct source_bucket *b)
{
	sqlite3_stmt *st = db->st_bucket_upsert;
	int rc = sqlite3_bind_int64(st, 1, k->run_id);
	if (rc == SQLITE_OK)
		rc = bind_addr(st, 2, 4, &b->source, k->source);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, b->source.family);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 5, b->bucket_start_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, b->bucket_len_s);
	int idx = BUCKET_FIXED_PARAMS + 1;
	DB_BUCKET_SUM_COLUMNS(COL_BIND)
	DB_BUCKET_MAX_COLUMNS(COL_BIND)
	if (rc != SQLITE_OK)
		return rc;
	return step_reset(st);
}

/* Writes the transactions row of key k (its client text formatted there). */
static int write_txn(struct db *db, const struct db_queue *q, const struct db_txn_key *k)
{
	sqlite3_stmt *st = db->st_txn_insert;
	const struct db_txn_row *t = &q->txns[k->i];
	char server[DCV_ADDR_TEXT_MAX];
	dcv_addr_format(&t->server, server, sizeof(server));
	bool answered = t->kind == TXN_ANSWERED && t->rcode >= 0;
	int rc = sqlite3_bind_int64(st, 1, t->run_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, answered ? "answered" : "unanswered", -1,
		                       SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 3, t->query_ts_ns);
	if (rc == SQLITE_OK)
		rc = answered ? db_bind_u64(st, 4, t->latency_us) : sqlite3_bind_null(st, 4);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, t->client.family);
	if (rc == SQLITE_OK)
		rc = bind_addr(st, 6, 7, &t->client, k->client);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 8, t->client_port);
	if (rc == SQLITE_OK)
		rc = bind_addr(st, 9, 0, &t->server, server);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 10, t->server_port);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 11, t->transport == DCV_TRANSPORT_TCP ? "tcp" : "udp",
		                       -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 12, t->id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 13, q->arena + t->name_off, (int)t->name_len,
		                       SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 14, t->qtype);
	if (rc == SQLITE_OK)
		rc = answered ? sqlite3_bind_int(st, 15, t->rcode) : sqlite3_bind_null(st, 15);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 16, t->tc);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 17, t->query_edns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 18, t->query_do);
	if (rc == SQLITE_OK)
		rc = t->shape ? sqlite3_bind_text(st, 19, dcv_shape_name((enum dcv_shape)t->shape),
		                                  -1, SQLITE_STATIC)
		              : sqlite3_bind_null(st, 19);
	if (rc == SQLITE_OK)
		rc = t->answer_ttl != UINT32_MAX ? sqlite3_bind_int64(st, 20, t->answer_ttl)
		                                 : sqlite3_bind_null(st, 20);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 21, t->resp_size);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 22, t->fragmented);
	if (rc != SQLITE_OK)
		return rc;
	return step_reset(st);
}

static int write_second(struct db *db, const struct db_second_row *row)
{
	sqlite3_stmt *st = db->st_second_upsert;
	const struct source_second *x = &row->s;
	int rc = sqlite3_bind_int64(st, 1, row->run_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, row->source, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 3, x->second_ns);
	const uint32_t v[] = {x->queries,
	                      x->responses,
	                      x->rcode[RCODE_SLOT_NOERROR],
	                      x->rcode[RCODE_SLOT_NXDOMAIN],
	                      x->rcode[RCODE_SLOT_REFUSED],
	                      x->rcode[RCODE_SLOT_SERVFAIL],
	                      x->rcode[RCODE_SLOT_FORMERR] + x->rcode[RCODE_SLOT_NOTIMP] +
	                          x->rcode[RCODE_SLOT_OTHER],
	                      x->truncated};
	for (int i = 0; i < 8 && rc == SQLITE_OK; i++)
		rc = sqlite3_bind_int64(st, 4 + i, v[i]);
	if (rc != SQLITE_OK)
		return rc;
	return step_reset(st);
}

/* Primary key order of source_stats: (run_id, bucket_start_ns, source). */
static int bucket_key_cmp(const void *pa, const void *pb)
{
	const struct db_bucket_key *a = pa, *b = pb;
	if (a->run_id != b->run_id)
		return a->run_id < b->run_id ? -1 : 1;
	if (a->bucket_start_ns != b->bucket_start_ns)
		return a->bucket_start_ns < b->bucket_start_ns ? -1 : 1;
	return strcmp(a->source, b->source); /* SQLite's BINARY collation */
}

/* The packed row of key k (checked by sort_buckets()). A row is unpacked
 * again for each pass over the batch (key, write) rather than kept
 * unpacked: 30-50 ns a time, against 280 bytes a row of memory. */
static void unpack_row(const struct db_queue *q, const struct db_bucket_key *k,
                       struct source_bucket *b)
{
	int64_t run_id;
	(void)db_bucket_unpack(q->buckets + k->off, q->buckets_len - k->off, &run_id, b);
}

/* Fills db->bucket_keys with the keys of the queue's source_stats rows, in
 * primary key order: the upserts then walk the b-tree left to right
 * instead of seeking all over it (merging parts is order-independent). */
static int sort_buckets(struct db *db, const struct db_queue *q)
{
	if (db_queue_grow((void **)&db->bucket_keys, &db->cap_bucket_keys, q->n_buckets,
	                  sizeof(*db->bucket_keys)))
		return db_set_err(db, "write batch: out of memory sorting %zu source_stats rows",
		                  q->n_buckets);
	size_t pos = 0;
	for (size_t i = 0; i < q->n_buckets; i++) {
		struct db_bucket_key *k = &db->bucket_keys[i];
		struct source_bucket b;
		size_t used =
		    db_bucket_unpack(q->buckets + pos, q->buckets_len - pos, &k->run_id, &b);
		if (used == 0) /* the queue holds only what db_bucket_pack() wrote */
			return db_set_err(db, "write batch: queued source_stats row %zu is damaged",
			                  i);
		k->bucket_start_ns = b.bucket_start_ns;
		k->off = pos;
		dcv_addr_format(&b.source, k->source, sizeof(k->source));
		pos += used;
	}
	if (q->n_buckets > 1)
		qsort(db->bucket_keys, q->n_buckets, sizeof(*db->bucket_keys), bucket_key_cmp);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The connection's counter op (SQLITE_DBSTATUS_CACHE_WRITE: pages written
 * to the WAL, spills included; SQLITE_DBSTATUS_CACHE_SPILL: dirty pages
 * written before a commit) since the last call, which starts it again. */
static uint64_t pages_since(struct db *db, int op)
{
	int now = 0, high = 0;
	sqlite3_db_status(db->sql, op, &now, &high, 1);
	return now > 0 ? (uint64_t)now : 0;
}

/* The database's size in pages, as the open transaction sees it (0 when
 * it cannot be read: the batch's size then stays as it is). */
static uint64_t page_count(struct db *db)
{
	sqlite3_stmt *st = db->st_page_count;
	uint64_t n = sqlite3_step(st) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return n;
}

static int txn_key_cmp(const void *pa, const void *pb)
{
	const struct db_txn_key *a = pa, *b = pb;
	int c = strcmp(a->client, b->client); /* SQLite's BINARY collation */
	if (c != 0)
		return c;
	if (a->query_ts_ns != b->query_ts_ns)
		return a->query_ts_ns < b->query_ts_ns ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Fills db->txn_keys with the keys of the queue's transactions rows, in
 * the order they came (their time order, nearly) or, while the batches
 * outgrow the page cache (db->txn_by_client), in the order of index
 * transactions_client (client, query_ts_ns).
 *
 * Why both. Once a batch's dirty pages no longer fit in the cache, SQLite
 * writes them out before the commit (a spill), and an index page dirtied
 * again after its spill is written again. In the order the rows came, a
 * flood of clients puts each row's entry on a page of its own of the
 * per-client index; in that index's order each page is dirtied once.
 * Measured on 1,750,000 unanswered queries of random clients: 507,000
 * pages written in all in the order they came, 96,000 in client order.
 * While the batch fits in the cache the order changes little written (on
 * the 5 M-packet bench capture 14,014 pages in all in the order they came,
 * 14,599 in client order), and the order the rows came keeps them in time
 * order in the table, which matters to every read by index
 * transactions_time: the rules' read of challenge TXT answers took
 * 0.106 s on that capture's file instead of 0.375 s, its rows read in
 * order instead of scattered over the batch. */
static int order_txns(struct db *db, const struct db_queue *q)
{
	if (q->n_txns > UINT32_MAX || db_queue_grow((void **)&db->txn_keys, &db->cap_txn_keys,
	                                            q->n_txns, sizeof(*db->txn_keys)))
		return db_set_err(db, "write batch: out of memory sorting %zu transactions rows",
		                  q->n_txns);
	for (size_t i = 0; i < q->n_txns; i++) {
		struct db_txn_key *k = &db->txn_keys[i];
		k->query_ts_ns = q->txns[i].query_ts_ns;
		k->i = (uint32_t)i;
		dcv_addr_format(&q->txns[i].client, k->client, sizeof(k->client));
	}
	if (db->txn_by_client && q->n_txns > 1)
		qsort(db->txn_keys, q->n_txns, sizeof(*db->txn_keys), txn_key_cmp);
	return 0;
}

/* Writes one queue in one transaction and empties it; on failure the rows
 * stay queued (except a constraint failure: see below). Returns 0 or -1. */
static int write_queue(struct db *db, struct db_queue *q)
{
	size_t pending = queue_rows(q);
	if (pending == 0)
		return 0;
	uint64_t t0 = now_ns();
	if ((q->n_buckets > 0 && sort_buckets(db, q) != 0) ||
	    (q->n_txns > 0 && order_txns(db, q) != 0))
		return -1;
	if (db_begin(db, "write batch: begin") != 0)
		return -1;
	(void)pages_since(db, SQLITE_DBSTATUS_CACHE_WRITE); /* counted from here */
	(void)pages_since(db, SQLITE_DBSTATUS_CACHE_SPILL);
	uint64_t size0 = page_count(db);
	int rc = SQLITE_OK;
	const char *op = NULL;
	for (size_t i = 0; i < q->n_buckets && rc == SQLITE_OK; i++) {
		struct source_bucket b;
		unpack_row(q, &db->bucket_keys[i], &b);
		rc = write_bucket(db, &db->bucket_keys[i], &b);
		op = "write batch: source_stats upsert";
	}
	for (size_t i = 0; i < q->n_seconds && rc == SQLITE_OK; i++) {
		rc = write_second(db, &q->seconds[i]);
		op = "write batch: source_seconds upsert";
	}
	for (size_t i = 0; i < q->n_txns && rc == SQLITE_OK; i++) {
		rc = write_txn(db, q, &db->txn_keys[i]);
		op = "write batch: transactions insert";
	}
	if (rc == SQLITE_OK && q->n_attempts > 0) {
		rc = db_attempts_write(db, q);
		op = "write batch: attempts insert";
	}
	if (rc != SQLITE_OK) {
		db_sql_fail(db, op, rc);
		db_rollback(db);
		if ((rc & 0xff) == SQLITE_CONSTRAINT) {
			/* A rejected row is rejected again on every retry (its
			 * run was deleted meanwhile): give the batch up. */
			size_t len = strlen(db->err);
			snprintf(db->err + len, sizeof(db->err) - len, "; %zu queued rows dropped",
			         pending);
			queue_clear(q);
		}
		return -1;
	}
	uint64_t size1 = page_count(db);
	if (db_commit(db, "write batch: commit") != 0)
		return -1;
	struct db_batch_cost cost = {
	    .rows = pending,
	    .pages_written = pages_since(db, SQLITE_DBSTATUS_CACHE_WRITE),
	    .pages_grown = size1 > size0 ? size1 - size0 : 0,
	    .elapsed_ns = now_ns() - t0,
	};
	db->limit_next = db_batch_next_limit(db->batch_limit, db->batch_rows, &cost);
	db->txn_by_client = pages_since(db, SQLITE_DBSTATUS_CACHE_SPILL) > 0;
	queue_clear(q);
	return 0;
}

/* ------------------------------------------------------------------------
 * Background writer (note 6 in db_internal.h)
 * ------------------------------------------------------------------------ */

static void *writer_main(void *arg)
{
	struct db *db = arg;
	pthread_mutex_lock(&db->bg_lock);
	for (;;) {
		while (!db->bg_busy && !db->bg_stop)
			pthread_cond_wait(&db->bg_work, &db->bg_lock);
		if (!db->bg_busy)
			break; /* stop, nothing left */
		pthread_mutex_unlock(&db->bg_lock);
		int rc = write_queue(db, &db->inflight);
		pthread_mutex_lock(&db->bg_lock);
		db->bg_failed = rc != 0;
		db->bg_busy = false;
		pthread_cond_broadcast(&db->bg_idle);
	}
	pthread_mutex_unlock(&db->bg_lock);
	return NULL;
}

void db_writer_quiesce(struct db *db)
{
	/* the writer thread itself never waits for itself */
	if (!db->bg_on || pthread_equal(pthread_self(), db->bg_thread))
		return;
	pthread_mutex_lock(&db->bg_lock);
	while (db->bg_busy)
		pthread_cond_wait(&db->bg_idle, &db->bg_lock);
	pthread_mutex_unlock(&db->bg_lock);
}

void db_writer_stop(struct db *db)
{
	if (!db->bg_on)
		return;
	pthread_mutex_lock(&db->bg_lock);
	while (db->bg_busy)
		pthread_cond_wait(&db->bg_idle, &db->bg_lock);
	db->bg_stop = true;
	pthread_cond_broadcast(&db->bg_work);
	pthread_mutex_unlock(&db->bg_lock);
	pthread_join(db->bg_thread, NULL);
	db_checkpointer_stop(db);
	db_fold_feed_stop(db);
	pthread_mutex_destroy(&db->bg_lock);
	pthread_cond_destroy(&db->bg_work);
	pthread_cond_destroy(&db->bg_idle);
	db->bg_on = false;
}

int db_set_background(struct db *db, bool on)
{
	if (db == NULL)
		return -1;
	if (!on) {
		db_writer_stop(db);
		return 0;
	}
	if (db->bg_on)
		return 0;
	db->bg_busy = db->bg_stop = db->bg_failed = false;
	if (pthread_mutex_init(&db->bg_lock, NULL) != 0)
		return db_set_err(db, "%s: cannot start the writer thread", db->path);
	pthread_cond_init(&db->bg_work, NULL);
	pthread_cond_init(&db->bg_idle, NULL);
	/* before the writer thread uses the connection; not fatal: without
	 * it the commits checkpoint, as without the writer thread */
	(void)db_checkpointer_start(db);
	(void)db_fold_feed_start(db); /* not fatal either: the rows add up inline */
	if (pthread_create(&db->bg_thread, NULL, writer_main, db) != 0) {
		db_checkpointer_stop(db);
		db_fold_feed_stop(db);
		pthread_mutex_destroy(&db->bg_lock);
		pthread_cond_destroy(&db->bg_work);
		pthread_cond_destroy(&db->bg_idle);
		return db_set_err(db, "%s: cannot start the writer thread", db->path);
	}
	(void)pthread_setname_np(db->bg_thread, "dcv-writer"); /* top -H, perf */
	db->bg_on = true;
	return 0;
}

/* Retries a batch that failed in the background, in this thread. */
static int retry_inflight(struct db *db)
{
	if (queue_rows(&db->inflight) == 0)
		return 0;
	return write_queue(db, &db->inflight);
}

/* Hands the full queue to the writer thread. Returns 0, or -1 when an
 * earlier background batch failed again on retry (rows stay queued). */
static int hand_off(struct db *db)
{
	db_writer_quiesce(db);
	if (retry_inflight(db) != 0)
		return -1;
	db->batch_limit = db->limit_next;   /* the writer is idle: read it now */
	struct db_queue tmp = db->inflight; /* empty, with its capacity */
	db->inflight = db->q;
	db->q = tmp;
	pthread_mutex_lock(&db->bg_lock);
	db->bg_busy = true;
	pthread_cond_signal(&db->bg_work);
	pthread_mutex_unlock(&db->bg_lock);
	return 0;
}

int db_flush(struct db *db)
{
	if (db == NULL)
		return -1;
	db_fold_feed_push(db); /* added up meanwhile (note 8) */
	db_writer_quiesce(db);
	if (retry_inflight(db) != 0)
		return -1;
	int rc = write_queue(db, &db->q);
	db->batch_limit = db->limit_next;
	return rc;
}

/* ------------------------------------------------------------------------
 * Queueing rows
 * ------------------------------------------------------------------------ */

/* Confirms that run_id names a run, so that a row the foreign key would
 * reject is refused now, not when its batch is written. */
static int check_run(struct db *db, int64_t run_id)
{
	if (run_id <= 0)
		return db_set_err(db, "%s: invalid run id %lld", db->path, (long long)run_id);
	if (run_id == db->known_run_id)
		return 0;
	db_writer_quiesce(db);
	sqlite3_stmt *st = db->st_run_exists;
	sqlite3_bind_int64(st, 1, run_id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return db_set_err(db, "%s: no run with id %lld", db->path, (long long)run_id);
	if (rc != SQLITE_ROW)
		return db_sql_fail(db, "look up run", rc);
	db->known_run_id = run_id;
	return 0;
}

/* Makes room for one more row: a full queue is written first. */
static int make_room(struct db *db)
{
	if (queue_rows(&db->q) < db->batch_limit)
		return 0;
	return db->bg_on ? hand_off(db) : db_flush(db);
}

/* Whether the writer thread is idle (nothing in flight). */
static bool writer_idle(struct db *db)
{
	pthread_mutex_lock(&db->bg_lock);
	bool idle = !db->bg_busy;
	pthread_mutex_unlock(&db->bg_lock);
	return idle;
}

int db_queue_room(struct db *db, int64_t run_id)
{
	return check_run(db, run_id) != 0 || make_room(db) != 0 ? -1 : 0;
}

int db_queue_text(struct db_queue *q, const char *text, size_t len, uint32_t *off)
{
	if (q->arena_len + len + 1 > UINT32_MAX ||
	    db_queue_grow((void **)&q->arena, &q->arena_cap, q->arena_len + len + 1, 1))
		return -1;
	*off = (uint32_t)q->arena_len;
	if (len > 0)
		memcpy(q->arena + q->arena_len, text, len);
	q->arena[q->arena_len + len] = '\0';
	q->arena_len += len + 1;
	return 0;
}

/* Writes the batch once it is complete: batch_limit rows, or with the
 * background writer DB_BG_BATCH_MIN_ROWS once the writer is idle (checked
 * every 256 rows). A failure keeps the rows queued and is reported by the
 * next add or flush (the row itself was accepted). */
static void batch_done(struct db *db)
{
	size_t n = queue_rows(&db->q);
	if (n >= db->batch_limit)
		(void)(db->bg_on ? hand_off(db) : db_flush(db));
	else if (db->bg_on && n >= DB_BG_BATCH_MIN_ROWS && n % 256 == 0 && writer_idle(db) &&
	         queue_rows(&db->inflight) == 0) /* a failed batch is retried at batch_limit */
		(void)hand_off(db);
}

void db_queue_added(struct db *db)
{
	batch_done(db);
}

static bool family_ok(uint8_t family)
{
	return family == DCV_ADDR_V4 || family == DCV_ADDR_V6;
}

int db_source_bucket_add(struct db *db, int64_t run_id, const struct source_bucket *row)
{
	if (db == NULL)
		return -1;
	if (row == NULL || !family_ok(row->source.family))
		return db_set_err(db, "source_stats: invalid row (address family %d)",
		                  row ? row->source.family : -1);
	if (check_run(db, run_id) != 0 || make_room(db) != 0)
		return -1;
	if (db->fold_kept != NULL) /* its totals are no longer the stored ones */
		db_source_fold_forget(db);
	struct db_queue *q = &db->q;
	if (db_queue_grow((void **)&q->buckets, &q->buckets_cap,
	                  q->buckets_len + DB_BUCKET_PACKED_MAX, 1))
		return db_set_err(db, "source_stats: out of memory queueing a row");
	size_t used = db_bucket_pack(q->buckets + q->buckets_len, run_id, row);
	if (db->fold != NULL) {
		/* added up as it is accepted (by the fold thread when on, note
		 * 8), while the writer thread stores the batches before: a run
		 * whose rows are not all stored fails as a whole, and its totals
		 * with it */
		if (db->feed == NULL ||
		    db_fold_feed_row(db, q->buckets + q->buckets_len, used) != 0) {
			db_fold_feed_wait(db); /* in order: what was fed first */
			char text[DCV_ADDR_TEXT_MAX];
			dcv_addr_format(&row->source, text, sizeof(text));
			db_source_fold_row(db->fold, run_id, text, row);
		}
	}
	q->buckets_len += used;
	q->n_buckets++;
	batch_done(db);
	return 0;
}

int db_source_second_add(struct db *db, int64_t run_id, const struct source_second *row)
{
	if (db == NULL)
		return -1;
	if (row == NULL || !family_ok(row->source.family))
		return db_set_err(db, "source_seconds: invalid row (address family %d)",
		                  row ? row->source.family : -1);
	if (check_run(db, run_id) != 0 || make_room(db) != 0)
		return -1;
	struct db_queue *q = &db->q;
	if (db_queue_grow((void **)&q->seconds, &q->cap_seconds, q->n_seconds + 1,
	                  sizeof(*q->seconds)))
		return db_set_err(db, "source_seconds: out of memory queueing a row");
	struct db_second_row *r = &q->seconds[q->n_seconds];
	r->run_id = run_id;
	r->s = *row;
	dcv_addr_format(&row->source, r->source, sizeof(r->source));
	q->n_seconds++;
	batch_done(db);
	return 0;
}

int db_txn_add(struct db *db, int64_t run_id, const struct txn_record *rec)
{
	if (db == NULL)
		return -1;
	if (rec == NULL || !family_ok(rec->client.family) || !family_ok(rec->server.family) ||
	    (rec->kind != TXN_ANSWERED && rec->kind != TXN_UNANSWERED) ||
	    (rec->transport != DCV_TRANSPORT_UDP && rec->transport != DCV_TRANSPORT_TCP))
		return db_set_err(db, "transactions: invalid row (kind, transport or address "
		                      "family out of range)");
	if (check_run(db, run_id) != 0 || make_room(db) != 0)
		return -1;
	struct db_queue *q = &db->q;
	/* The name is a claim too: never read past its buffer. */
	size_t name_len = strnlen(rec->qname, sizeof(rec->qname));
	uint32_t name_off;
	if (db_queue_grow((void **)&q->txns, &q->cap_txns, q->n_txns + 1, sizeof(*q->txns)) ||
	    db_queue_text(q, rec->qname, name_len, &name_off))
		return db_set_err(db, "transactions: out of memory queueing a row");
	struct db_txn_row *t = &q->txns[q->n_txns];
	*t = (struct db_txn_row){
	    .run_id = run_id,
	    .query_ts_ns = rec->query_ts_ns,
	    .latency_us = rec->latency_us,
	    .client = rec->client,
	    .server = rec->server,
	    .client_port = rec->client_port,
	    .server_port = rec->server_port,
	    .id = rec->id,
	    .qtype = rec->qtype,
	    .rcode = rec->rcode,
	    .kind = (uint8_t)rec->kind,
	    .transport = (uint8_t)rec->transport,
	    .tc = rec->tc,
	    .query_edns = rec->query_edns,
	    .query_do = rec->query_do,
	    .shape = rec->shape < DCV_SHAPE_COUNT ? rec->shape : 0,
	    .answer_ttl = rec->answer_ttl,
	    .resp_size = rec->resp_size,
	    .fragmented = rec->fragmented,
	    .name_off = name_off,
	    .name_len = (uint32_t)name_len,
	};
	q->n_txns++;
	batch_done(db);
	return 0;
}
