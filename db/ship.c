/*
 * ship.c - shipping the SQLite tables to ClickHouse (ship.h).
 *
 * WHAT IS SHIPPED
 *
 * Per run, the rows of seven tables, then the run's own row. Each table has
 * a watermark per (target, table, run) in ship_watermarks (schema.c,
 * version 6) and one of three ways to move it:
 *
 *   table               mark                rows sent                 kind
 *   source_stats        bucket_start_ns     bucket_start_ns >= mark   FROM
 *   transactions        transactions.id     id > mark, validator's    AFTER
 *   validator_sources   -                   all of the run            EVERY
 *   attempts            attempts.id         id > mark                 AFTER
 *   attempt_perspectives attempt id         attempt_id > mark         AFTER
 *   findings            findings.id         id > mark                 AFTER
 *   capture_intervals   start_ns            start_ns > mark           AFTER
 *   runs                state               the run's row             EVERY
 *
 * AFTER: rows are only ever inserted, with growing keys; the mark is the
 * last key shipped. FROM: rows may still change while the run is live (the
 * parts of a bucket merge until the bucket closes), so the mark only moves
 * up to the run's horizon, last_packet_ns - 2 * bucket_len_s - timeout_ms
 * (a bucket is final once the clock has passed its end and the timeout of
 * its last queries; the second bucket length is margin); later buckets are
 * sent again next time, and the newer copy replaces the older in
 * ClickHouse. EVERY: small tables that are rewritten as a whole (the
 * validator judgement, the run's accounting), sent at every pass of a
 * running run.
 *
 * "Validator transactions" are the run's transactions that are
 * validation-shaped (shape not NULL) or whose client is one of the run's
 * validator_sources. A live run learns validators as it goes, so when a
 * run that was shipped while running has finished, its transactions are
 * sent once more from the start, with the final judgement.
 *
 * The run's mark in table "runs" is its state: 0 never shipped, 1 shipped
 * while running, 2 finished and shipped completely (skipped from then on).
 * A capture-file run that has not finished (an analysis in progress, or one
 * that crashed) is not shipped: it will be replaced by the next analysis of
 * the same input.
 *
 * ORDER OF EVENTS (at least once)
 *
 *   read the table's rows of the run (one SELECT, key order)
 *     -> every --batch-rows rows: deliver the batch (retries, backoff), or
 *        spool it when ClickHouse is unreachable
 *   all batches delivered or spooled -> write the new mark
 *
 * The mark moves only after every batch up to it is delivered or durably
 * spooled (written, fsync'd, renamed). A crash in between sends the batches
 * again; ClickHouse keeps one row per key (ReplacingMergeTree(shipped_ns)),
 * so they count once.
 *
 * THE SPOOL
 *
 * One file per undelivered batch: DIR/<ns>-<pid>-<seq>.batch holding the
 * ClickHouse table name, a newline, and the JSONEachRow rows. Written to a
 * dot-file, fsync'd, then renamed; the names sort in the order they were
 * written. db_ship() first delivers the spool in that order and deletes
 * each file once ClickHouse took it. A spooled batch that ClickHouse
 * refuses is renamed *.rejected (kept for a person, counted, reported),
 * never deleted. The spool holds at most spool_max_bytes of *.batch files;
 * when a batch does not fit, shipping stops and its rows stay unshipped in
 * SQLite (the watermark does not move).
 */
#include "ship.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db_internal.h"

#define NS_PER_MS 1000000ull

/* Run states kept as the mark of table "runs". */
enum { SHIP_RUN_NEW = 0, SHIP_RUN_LIVE = 1, SHIP_RUN_DONE = 2 };

enum ship_mark_kind { MARK_AFTER, MARK_FROM, MARK_EVERY };

/*
 * One shipped table. The SELECT takes ?1 run id, ?2 mark, ?3 run_start_ns
 * (each only if it uses it); its first column, "_mark", is the row's key
 * for the watermark and is not sent; every other column is sent under its
 * name, which is the ClickHouse column's.
 */
struct ship_spec {
	const char *table;
	enum ship_mark_kind kind;
	const char *select;
};

#define ACC_COL(col, field) ", " #col

/* clang-format off */
static const struct ship_spec specs[DB_SHIP_TABLES] = {
    [DB_SHIP_SOURCE_STATS] = {"source_stats", MARK_FROM,
     "SELECT bucket_start_ns AS _mark, source, family, bucket_start_ns, bucket_len_s,"
     " queries, queries_udp, queries_tcp, queries_edns, queries_do, retransmits, responses,"
     " noerror, formerr, servfail, nxdomain, notimp, refused, other_rcode, truncated,"
     " unanswered, peak_qps, max_concurrent_tcp, tcp_sessions, tcp_rejected, tcp_filtered,"
     " tcp_server_closed, latency_count, latency_sum_us, latency_max_us, tcp_stalled,"
     " max_served_tcp FROM source_stats WHERE run_id = ?1 AND bucket_start_ns >= ?2"
     " ORDER BY bucket_start_ns, source"},
    [DB_SHIP_TRANSACTIONS] = {"transactions", MARK_AFTER,
     "SELECT t.id AS _mark, t.kind, t.query_ts_ns, t.latency_us, t.family, t.client,"
     " t.client_port, t.server AS server_addr, t.server_port, t.transport, t.msg_id, t.qname,"
     " t.qtype, t.rcode, t.tc, t.query_edns, t.query_do, coalesce(t.shape, '') AS shape,"
     " t.answer_ttl FROM transactions t WHERE t.run_id = ?1 AND t.id > ?2 AND"
     " (t.shape IS NOT NULL OR t.client IN"
     " (SELECT v.source FROM validator_sources v WHERE v.run_id = ?1))"
     " ORDER BY t.id"},
    [DB_SHIP_VALIDATOR_SOURCES] = {"validator_sources", MARK_EVERY,
     "SELECT 0 AS _mark, ?3 AS run_start_ns, source, family, ca, region, confidence,"
     " evidence, first_ns, last_ns, queries, validation_queries, failures, attempts"
     " FROM validator_sources WHERE run_id = ?1 ORDER BY source"},
    [DB_SHIP_ATTEMPTS] = {"attempts", MARK_AFTER,
     "SELECT id AS _mark, id AS attempt_id, first_ns, last_ns, name, ca, method, caa_climb,"
     " caa_labels, perspectives, usable, failed, status FROM attempts"
     " WHERE run_id = ?1 AND id > ?2 ORDER BY id"},
    [DB_SHIP_ATTEMPT_PERSPECTIVES] = {"attempt_perspectives", MARK_AFTER,
     "SELECT p.attempt_id AS _mark, a.first_ns AS attempt_first_ns, a.ca AS attempt_ca,"
     " a.name AS attempt_name, a.method AS attempt_method, p.source, p.region,"
     " p.confidence, p.outcome, p.queries, p.failures FROM attempt_perspectives p"
     " JOIN attempts a ON a.id = p.attempt_id WHERE p.run_id = ?1 AND p.attempt_id > ?2"
     " ORDER BY p.attempt_id, p.source"},
    [DB_SHIP_FINDINGS] = {"findings", MARK_AFTER,
     "SELECT id AS _mark, ?3 AS run_start_ns, rule, severity, subject_kind, subject,"
     " first_seen_ns, last_seen_ns, evidence, recommendation, metrics, created_ns"
     " FROM findings WHERE run_id = ?1 AND id > ?2 ORDER BY id"},
    [DB_SHIP_CAPTURE_INTERVALS] = {"capture_intervals", MARK_AFTER,
     "SELECT start_ns AS _mark, start_ns, end_ns, capture, frames, kernel_matched,"
     " kernel_dropped, if_dropped, ringbuf_dropped, truncated, evictions"
     " FROM capture_intervals WHERE run_id = ?1 AND start_ns > ?2 ORDER BY start_ns"},
    [DB_SHIP_RUNS] = {"runs", MARK_EVERY,
     "SELECT 0 AS _mark, ?3 AS run_start_ns, kind, inputs, started_ns,"
     " coalesce(finished_ns, 0) AS finished_ns, coalesce(first_packet_ns, 0) AS first_packet_ns,"
     " coalesce(last_packet_ns, 0) AS last_packet_ns, bucket_len_s, timeout_ms, complete"
     DB_ACCOUNTING_COLUMNS(ACC_COL) " FROM runs WHERE id = ?1"},
};
/* clang-format on */

/* The runs to look at: every live run, and capture-file runs once finished. */
static const char runs_sql[] =
    "SELECT id, fingerprint, finished_ns IS NOT NULL, coalesce(last_packet_ns, 0),"
    " bucket_len_s, timeout_ms,"
    " CASE WHEN kind = 'live' THEN started_ns ELSE coalesce(first_packet_ns, started_ns) END"
    " FROM runs WHERE kind = 'live' OR finished_ns IS NOT NULL ORDER BY id";

const char *db_ship_table_name(enum db_ship_table t)
{
	return (unsigned)t < DB_SHIP_TABLES ? specs[t].table : "?";
}

/* One run as the shipper sees it. */
struct ship_run {
	int64_t id;
	char fp[256];
	bool finished;
	uint64_t last_packet_ns;
	uint64_t bucket_len_s, timeout_ms;
	int64_t start_ns;
	int64_t state; /* SHIP_RUN_* */
};

/* A batch being built: JSONEachRow text. */
struct ship_batch {
	char *p;
	size_t len, cap;
	size_t rows;
};

struct shipper {
	struct db *db;
	struct db_ch *ch;
	const struct db_ship_opts *o;
	struct db_ship_report *rep;
	size_t batch_rows;
	unsigned tries;
	uint64_t spool_max;
	uint64_t shipped_ns; /* the version of every row of this pass */
	bool down;           /* unreachable: spool the rest without trying */
	bool err_is_note;    /* rep->err only says why ClickHouse was unreachable */
	unsigned spool_seq;
	struct ship_batch b;
};

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Keeps the first failure's message in the report (a failure replaces the
 * note that ClickHouse is unreachable). Returns -1. */
static int fail(struct shipper *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct shipper *s, const char *fmt, ...)
{
	if (s->rep->err[0] != '\0' && !s->err_is_note)
		return -1;
	s->err_is_note = false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->rep->err, sizeof(s->rep->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Marks ClickHouse unreachable for the rest of the pass, noting why. */
static void went_down(struct shipper *s)
{
	if (s->down)
		return;
	s->down = true;
	s->rep->unreachable = true;
	if (s->rep->err[0] == '\0') {
		snprintf(s->rep->err, sizeof(s->rep->err), "%s", db_ch_errmsg(s->ch));
		s->err_is_note = true;
	}
}

/* ------------------------------------------------------------------------
 * Watermarks (SQLite table ship_watermarks)
 * ------------------------------------------------------------------------ */

static int mark_get(struct shipper *s, const char *tbl, int64_t run_id, int64_t *out)
{
	const char *op = "ship: read watermark";
	sqlite3_stmt *st = db_prepare(s->db, op,
	                              "SELECT mark FROM ship_watermarks WHERE target = ?1 AND "
	                              "tbl = ?2 AND run_id = ?3");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, db_ch_target(s->ch), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tbl, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, run_id);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(s->db, op, rc);
	return 0;
}

static int mark_set(struct shipper *s, const char *tbl, int64_t run_id, int64_t mark)
{
	const char *op = "ship: write watermark";
	sqlite3_stmt *st = db_prepare(
	    s->db, op,
	    "INSERT INTO ship_watermarks (target, tbl, run_id, mark, updated_ns)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (target, tbl, run_id) DO UPDATE SET"
	    " mark = excluded.mark, updated_ns = excluded.updated_ns");
	if (st == NULL)
		return -1;
	int rc = sqlite3_bind_text(st, 1, db_ch_target(s->ch), -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, tbl, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, run_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, mark);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 5, wall_ns());
	return db_step_done(s->db, op, st, rc);
}

/* Forgets the marks of runs that no longer exist (replaced, purged). */
static int marks_prune(struct shipper *s)
{
	const char *op = "ship: prune watermarks";
	sqlite3_stmt *st = db_prepare(s->db, op,
	                              "DELETE FROM ship_watermarks WHERE target = ?1 AND run_id "
	                              "NOT IN (SELECT id FROM runs)");
	if (st == NULL)
		return -1;
	return db_step_done(s->db, op, st,
	                    sqlite3_bind_text(st, 1, db_ch_target(s->ch), -1, SQLITE_STATIC));
}

/* ------------------------------------------------------------------------
 * The spool
 * ------------------------------------------------------------------------ */

static int is_batch_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 6 && strcmp(e->d_name + n - 6, ".batch") == 0;
}

/* Counts the spooled batches and their bytes. Returns 0 or -1. */
static int spool_usage(const char *dir, uint64_t *files, uint64_t *bytes)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, is_batch_file, alphasort);
	*files = 0;
	*bytes = 0;
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &sb) == 0) {
			(*files)++;
			*bytes += (uint64_t)sb.st_size;
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

/* Writes all of buf to fd. Returns 0 or -1 (errno). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Spools one batch (see THE SPOOL). Returns 0, or -1 with the reason. */
static int spool_write(struct shipper *s, const char *table, const struct ship_batch *b)
{
	const char *dir = s->o->spool_dir;
	if (dir == NULL)
		return fail(s,
		            "%s; no --spool directory to keep the batch in (its rows stay "
		            "unshipped in the database)",
		            db_ch_errmsg(s->ch));
	uint64_t files = 0, bytes = 0;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return fail(s, "spool %s: %s", dir, strerror(errno));
	if (spool_usage(dir, &files, &bytes) != 0)
		return fail(s, "spool %s: %s", dir, strerror(errno));
	uint64_t size = strlen(table) + 1 + b->len;
	if (bytes + size > s->spool_max)
		return fail(s,
		            "%s; the spool %s is full (%llu of %llu bytes; the rows stay "
		            "unshipped in the database)",
		            db_ch_errmsg(s->ch), dir, (unsigned long long)bytes,
		            (unsigned long long)s->spool_max);
	char name[128], tmp[4096], path[4096];
	snprintf(name, sizeof(name), "%020llu-%d-%06u.batch", (unsigned long long)wall_ns(),
	         (int)getpid(), s->spool_seq++);
	snprintf(tmp, sizeof(tmp), "%s/.%s", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return fail(s, "spool %s: %s", tmp, strerror(errno));
	int rc = write_all(fd, table, strlen(table));
	if (rc == 0)
		rc = write_all(fd, "\n", 1);
	if (rc == 0)
		rc = write_all(fd, b->p, b->len);
	if (rc == 0)
		rc = fsync(fd);
	int err = errno;
	close(fd);
	if (rc != 0 || rename(tmp, path) != 0) {
		err = rc != 0 ? err : errno;
		unlink(tmp);
		return fail(s, "spool %s: %s", path, strerror(err));
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* the rename itself */
		close(dfd);
	}
	return 0;
}

/* Reads a whole file (malloc'd, NUL-terminated). Returns NULL on failure. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 65536 * 2;
			char *p = realloc(buf, ncap);
			if (p == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Delivers the spooled batches in order; stops at the first that cannot
 * be delivered because ClickHouse is unreachable. Returns 0 or -1 (a
 * batch refused or unreadable: kept, reported). */
static int spool_replay(struct shipper *s)
{
	const char *dir = s->o->spool_dir;
	if (dir == NULL)
		return 0;
	struct dirent **names = NULL;
	int n = scandir(dir, &names, is_batch_file, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : fail(s, "spool %s: %s", dir, strerror(errno));
	int result = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (s->down)
			continue;
		size_t len = 0;
		char *text = read_file(path, &len);
		char *nl = text ? memchr(text, '\n', len) : NULL;
		int rc = DB_CH_REJECTED;
		if (nl != NULL) {
			*nl = '\0';
			for (unsigned t = 0; t < s->tries; t++) {
				rc = db_ch_insert(s->ch, text, nl + 1,
				                  len - (size_t)(nl + 1 - text));
				if (rc != DB_CH_UNREACHABLE)
					break;
				if (t + 1 < s->tries) {
					s->rep->retries++;
					unsigned ms = DB_SHIP_BACKOFF_MS_FIRST << t;
					sleep_ms(ms < DB_SHIP_BACKOFF_MS_MAX
					             ? ms
					             : DB_SHIP_BACKOFF_MS_MAX);
				}
			}
		}
		if (rc == DB_CH_OK) {
			s->rep->spool_replayed++;
			if (unlink(path) != 0)
				result = fail(s, "spool %s: delivered but not deleted: %s", path,
				              strerror(errno));
		} else if (rc == DB_CH_UNREACHABLE) {
			went_down(s);
		} else {
			char bad[4200];
			snprintf(bad, sizeof(bad), "%.*s.rejected", (int)(strlen(path) - 6), path);
			rename(path, bad);
			s->rep->spool_rejected++;
			result = fail(s, "spool %s: %s; kept as %s", path,
			              text == NULL || nl == NULL ? "unreadable or not a batch"
			                                         : db_ch_errmsg(s->ch),
			              bad);
		}
		free(text);
	}
	free(names);
	return result;
}

/* ------------------------------------------------------------------------
 * Batches
 * ------------------------------------------------------------------------ */

static int batch_append(struct ship_batch *b, const char *text, size_t len)
{
	if (b->len + len + 2 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + len + 2)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, text, len);
	b->len += len;
	b->p[b->len++] = '\n';
	b->p[b->len] = '\0';
	b->rows++;
	return 0;
}

/*
 * deliver() sends the batch of table t: tries up to s->tries times with
 * doubling waits while ClickHouse is unreachable; then (or at once when it
 * was already found unreachable in this pass) spools it. Returns 0 sent or
 * spooled, -1 neither (refused, spool full or absent).
 */
static int deliver(struct shipper *s, enum db_ship_table t)
{
	struct ship_batch *b = &s->b;
	if (b->rows == 0)
		return 0;
	const char *table = specs[t].table;
	int rc = DB_CH_UNREACHABLE;
	for (unsigned i = 0; !s->down && i < s->tries; i++) {
		rc = db_ch_insert(s->ch, table, b->p, b->len);
		if (rc != DB_CH_UNREACHABLE)
			break;
		if (i + 1 < s->tries) {
			s->rep->retries++;
			unsigned ms = DB_SHIP_BACKOFF_MS_FIRST << i;
			sleep_ms(ms < DB_SHIP_BACKOFF_MS_MAX ? ms : DB_SHIP_BACKOFF_MS_MAX);
		}
	}
	if (rc == DB_CH_REJECTED)
		return fail(s, "%s", db_ch_errmsg(s->ch));
	if (rc == DB_CH_OK) {
		s->rep->table[t].rows += b->rows;
		s->rep->table[t].batches++;
	} else {
		went_down(s);
		if (spool_write(s, table, b) != 0)
			return -1;
		s->rep->table[t].rows += b->rows;
		s->rep->table[t].spooled_rows += b->rows;
		s->rep->table[t].spooled_batches++;
	}
	b->len = 0;
	b->rows = 0;
	return 0;
}

/* A JSON string of SQLite text; bytes that are not valid UTF-8 become '?'. */
static json_t *text_value(const unsigned char *p, int n)
{
	json_t *v = json_stringn((const char *)p, (size_t)n);
	if (v != NULL)
		return v;
	char *copy = malloc((size_t)n + 1);
	if (copy == NULL)
		return NULL;
	for (int i = 0; i < n; i++)
		copy[i] = p[i] < 0x80 ? (char)p[i] : '?';
	v = json_stringn(copy, (size_t)n);
	free(copy);
	return v;
}

/* Appends the current row of st as one JSON object to the batch. */
static int row_to_batch(struct shipper *s, const struct ship_run *r, sqlite3_stmt *st)
{
	json_t *o = json_object();
	if (o == NULL)
		return -1;
	json_object_set_new(o, "server", json_string(s->o->server));
	json_object_set_new(o, "site", json_string(s->o->site));
	json_object_set_new(o, "run_fp",
	                    text_value((const unsigned char *)r->fp, (int)strlen(r->fp)));
	json_object_set_new(o, "run_id", json_integer(r->id));
	json_object_set_new(o, "shipped_ns", json_integer((json_int_t)s->shipped_ns));
	int n = sqlite3_column_count(st);
	for (int i = 1; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		json_t *v = NULL;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(st, i));
			break;
		case SQLITE_TEXT:
			v = text_value(sqlite3_column_text(st, i), sqlite3_column_bytes(st, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default: /* BLOBs are not selected */
			continue;
		}
		if (v == NULL || json_object_set_new(o, name, v) != 0) {
			json_decref(o);
			return -1;
		}
	}
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return -1;
	int rc = batch_append(&s->b, text, strlen(text));
	free(text);
	return rc;
}

/* ------------------------------------------------------------------------
 * Shipping
 * ------------------------------------------------------------------------ */

/* The time before which a live run's buckets can no longer change. */
static int64_t run_horizon(const struct ship_run *r)
{
	uint64_t back = 2 * r->bucket_len_s * 1000000000ull + r->timeout_ms * NS_PER_MS;
	return r->last_packet_ns > back ? (int64_t)(r->last_packet_ns - back) : 0;
}

/* Ships table t of run r from its watermark; moves the watermark when every
 * batch is delivered or spooled. Returns 0 or -1. */
static int ship_table(struct shipper *s, const struct ship_run *r, enum db_ship_table t)
{
	const struct ship_spec *sp = &specs[t];
	int64_t mark = 0;
	if (sp->kind != MARK_EVERY && mark_get(s, sp->table, r->id, &mark) != 0)
		return fail(s, "%s", db_errmsg(s->db));
	/* a run shipped while running is sent again with the final judgement */
	if (t == DB_SHIP_TRANSACTIONS && r->finished && r->state == SHIP_RUN_LIVE)
		mark = 0;
	char op[96];
	snprintf(op, sizeof(op), "ship: read %s", sp->table);
	sqlite3_stmt *st = db_prepare(s->db, op, sp->select);
	if (st == NULL)
		return fail(s, "%s", db_errmsg(s->db));
	int nparams = sqlite3_bind_parameter_count(st);
	int rc = sqlite3_bind_int64(st, 1, r->id);
	if (rc == SQLITE_OK && nparams >= 2)
		rc = sqlite3_bind_int64(st, 2, mark);
	if (rc == SQLITE_OK && nparams >= 3)
		rc = sqlite3_bind_int64(st, 3, r->start_ns);
	if (rc != SQLITE_OK) {
		db_sql_fail(s->db, op, rc);
		sqlite3_finalize(st);
		return fail(s, "%s", db_errmsg(s->db));
	}
	int64_t last = mark;
	uint64_t rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		rows++;
		if (row_to_batch(s, r, st) != 0) {
			sqlite3_finalize(st);
			return fail(s, "ship %s: out of memory", sp->table);
		}
		if (s->b.rows >= s->batch_rows && deliver(s, t) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		db_sql_fail(s->db, op, rc);
		sqlite3_finalize(st);
		return fail(s, "%s", db_errmsg(s->db));
	}
	sqlite3_finalize(st);
	if (deliver(s, t) != 0)
		return -1;
	if (sp->kind == MARK_EVERY || rows == 0)
		return 0;
	int64_t next = last;
	if (sp->kind == MARK_FROM && !r->finished) {
		int64_t horizon = run_horizon(r);
		next = last < horizon ? last : horizon;
		if (next < mark)
			next = mark;
	}
	if (next != mark && mark_set(s, sp->table, r->id, next) != 0)
		return fail(s, "%s", db_errmsg(s->db));
	return 0;
}

/* Reads the runs to ship (see WHAT IS SHIPPED). *out is malloc'd. */
static int runs_read(struct shipper *s, struct ship_run **out, size_t *n)
{
	const char *op = "ship: read runs";
	sqlite3_stmt *st = db_prepare(s->db, op, runs_sql);
	if (st == NULL)
		return fail(s, "%s", db_errmsg(s->db));
	struct ship_run *runs = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct ship_run *p = realloc(runs, ncap * sizeof(*p));
			if (p == NULL) {
				free(runs);
				sqlite3_finalize(st);
				return fail(s, "ship: out of memory");
			}
			runs = p;
			cap = ncap;
		}
		struct ship_run *r = &runs[count++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		const unsigned char *fp = sqlite3_column_text(st, 1);
		snprintf(r->fp, sizeof(r->fp), "%s", fp ? (const char *)fp : "");
		r->finished = sqlite3_column_int(st, 2) != 0;
		r->last_packet_ns = (uint64_t)sqlite3_column_int64(st, 3);
		r->bucket_len_s = (uint64_t)sqlite3_column_int64(st, 4);
		r->timeout_ms = (uint64_t)sqlite3_column_int64(st, 5);
		r->start_ns = sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(runs);
		db_sql_fail(s->db, op, rc);
		return fail(s, "%s", db_errmsg(s->db));
	}
	*out = runs;
	*n = count;
	return 0;
}

/* Ships one run's tables, then records its state. Returns 0 or -1. */
static int ship_run(struct shipper *s, struct ship_run *r)
{
	if (mark_get(s, "runs", r->id, &r->state) != 0)
		return fail(s, "%s", db_errmsg(s->db));
	if (r->state == SHIP_RUN_DONE)
		return 0;
	s->rep->runs++;
	for (int t = 0; t < DB_SHIP_TABLES; t++)
		if (ship_table(s, r, (enum db_ship_table)t) != 0)
			return -1;
	int64_t state = r->finished ? SHIP_RUN_DONE : SHIP_RUN_LIVE;
	if (state != r->state && mark_set(s, "runs", r->id, state) != 0)
		return fail(s, "%s", db_errmsg(s->db));
	return 0;
}

int db_ship(struct db *db, struct db_ch *ch, const struct db_ship_opts *o,
            struct db_ship_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	if (db == NULL || ch == NULL || o == NULL || o->server == NULL || o->site == NULL ||
	    o->server[0] == '\0' || o->site[0] == '\0') {
		snprintf(rep->err, sizeof(rep->err),
		         "ship: a database, a ClickHouse server, a "
		         "server name and a site are required");
		return -1;
	}
	struct shipper s = {
	    .db = db,
	    .ch = ch,
	    .o = o,
	    .rep = rep,
	    .batch_rows = o->batch_rows ? o->batch_rows : DB_SHIP_BATCH_ROWS_DEFAULT,
	    .tries = o->tries ? o->tries : DB_SHIP_TRIES_DEFAULT,
	    .spool_max = o->spool_max_bytes ? o->spool_max_bytes
	                                    : (uint64_t)DB_SHIP_SPOOL_MAX_MB_DEFAULT << 20,
	    .shipped_ns = wall_ns(),
	};
	/* the rows the analysis still holds in memory belong to this pass */
	if (db_flush(db) != 0) {
		fail(&s, "%s", db_errmsg(db));
		return -1;
	}
	int rc = db_ch_schema_migrate(ch);
	if (rc == DB_CH_REJECTED) {
		fail(&s, "%s", db_ch_errmsg(ch));
		return -1;
	}
	if (rc == DB_CH_UNREACHABLE) {
		went_down(&s);
	} else {
		rep->schema_version = db_ch_schema_version();
	}
	int spooled_rc = spool_replay(&s); /* a refused batch is reported, not blocking */
	int result = 0;
	struct ship_run *runs = NULL;
	size_t nruns = 0;
	if (result == 0 && (marks_prune(&s) != 0 || runs_read(&s, &runs, &nruns) != 0))
		result = fail(&s, "%s", db_errmsg(db));
	for (size_t i = 0; result == 0 && i < nruns; i++)
		result = ship_run(&s, &runs[i]);
	free(runs);
	free(s.b.p);
	if (o->spool_dir != NULL)
		spool_usage(o->spool_dir, &rep->spool_left, &rep->spool_bytes);
	if (result != 0 || spooled_rc != 0)
		return -1;
	return s.down || rep->spool_left > 0 ? 1 : 0;
}
