/*
 * db.c - opening and closing the store, and the error helpers every db/ file
 * uses. The design notes are in db_internal.h; the file format in schema.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

int db_set_err(struct db *db, const char *fmt, ...)
{
	db_writer_quiesce(db); /* db->err belongs to the writer thread while it writes */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* The symbolic name of a primary result code, for messages a person can
 * search for. */
static const char *code_name(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_ERROR:
		return "SQLITE_ERROR";
	case SQLITE_PERM:
		return "SQLITE_PERM";
	case SQLITE_BUSY:
		return "SQLITE_BUSY";
	case SQLITE_LOCKED:
		return "SQLITE_LOCKED";
	case SQLITE_NOMEM:
		return "SQLITE_NOMEM";
	case SQLITE_READONLY:
		return "SQLITE_READONLY";
	case SQLITE_IOERR:
		return "SQLITE_IOERR";
	case SQLITE_CORRUPT:
		return "SQLITE_CORRUPT";
	case SQLITE_FULL:
		return "SQLITE_FULL";
	case SQLITE_CANTOPEN:
		return "SQLITE_CANTOPEN";
	case SQLITE_CONSTRAINT:
		return "SQLITE_CONSTRAINT";
	case SQLITE_MISMATCH:
		return "SQLITE_MISMATCH";
	case SQLITE_NOTADB:
		return "SQLITE_NOTADB";
	default:
		return "SQLite error";
	}
}

/* What a person can do about the common failures. */
static const char *code_hint(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "; another process holds the write lock (waited for the busy timeout)";
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return "; the file or its directory is not writable";
	case SQLITE_FULL:
		return "; the disk (or the file size limit) is full";
	case SQLITE_IOERR:
		return "; the disk may be full (or the file size limit reached) or failing";
	case SQLITE_NOTADB:
		return "; the file is not an SQLite database";
	default:
		return "";
	}
}

int db_sql_fail(struct db *db, const char *op, int rc)
{
	const char *msg = sqlite3_errstr(rc);
	/* sqlite3_errmsg() is more specific ("no such table: x") when it
	 * describes this very failure. */
	if (db->sql != NULL && (sqlite3_extended_errcode(db->sql) & 0xff) == (rc & 0xff))
		msg = sqlite3_errmsg(db->sql);
	return db_set_err(db, "%s: %s: %s (%s)%s", op, db->path, msg, code_name(rc), code_hint(rc));
}

const char *db_errmsg(const struct db *db)
{
	if (db == NULL)
		return "no database";
	return db->err;
}

/* ------------------------------------------------------------------------
 * Statement helpers
 * ------------------------------------------------------------------------ */

int db_exec(struct db *db, const char *op, const char *sql)
{
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, op, rc);
	return 0;
}

int db_begin(struct db *db, const char *op)
{
	return db_exec(db, op, "BEGIN IMMEDIATE");
}

int db_commit(struct db *db, const char *op)
{
	int rc = sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	db_sql_fail(db, op, rc);
	db_rollback(db);
	return -1;
}

void db_rollback(struct db *db)
{
	/* SQLite may already have rolled back (SQLITE_FULL, IOERR, NOMEM). */
	if (db->sql != NULL && !sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *db_prepare(struct db *db, const char *op, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_sql_fail(db, op, rc);
		return NULL;
	}
	return st;
}

int db_step_done(struct db *db, const char *op, sqlite3_stmt *st, int bind_rc)
{
	int rc = bind_rc == SQLITE_OK ? sqlite3_step(st) : bind_rc;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		return db_sql_fail(db, op, rc);
	return 0;
}

int db_bind_u64(sqlite3_stmt *st, int idx, uint64_t v)
{
	return sqlite3_bind_int64(st, idx, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* ------------------------------------------------------------------------
 * Open and close
 * ------------------------------------------------------------------------ */

/* Sets the per-connection pragmas. WAL is required for a writable file;
 * a write-protected one is opened read-only in whatever mode it has. */
static int configure(struct db *db)
{
	if (db_exec(db, "db_open: enable foreign keys", "PRAGMA foreign_keys = ON") != 0)
		return -1;
	/* Only a new, empty file takes a page size, and only before WAL mode. */
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA page_size = %d", DB_PAGE_SIZE);
	if (db_exec(db, "db_open: set page size", pragma) != 0)
		return -1;

	/* The first statement that reads the file: a non-database fails here. */
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_sql_fail(db, "db_open: set WAL mode", rc);
		sqlite3_finalize(st);
		return -1;
	}
	char mode[16];
	const unsigned char *text = sqlite3_column_text(st, 0);
	snprintf(mode, sizeof(mode), "%s", text != NULL ? (const char *)text : "");
	sqlite3_finalize(st);
	if (strcmp(mode, "wal") != 0 && sqlite3_db_readonly(db->sql, "main") != 1)
		return db_set_err(db,
		                  "db_open: %s: could not switch to WAL mode (journal mode is %s)",
		                  db->path, mode);

	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", DB_CACHE_KIB);
	if (db_exec(db, "db_open: set synchronous", "PRAGMA synchronous = NORMAL") != 0 ||
	    db_exec(db, "db_open: set cache size", pragma) != 0)
		return -1;
	return 0;
}

/* Frees everything db_open() may have set up; rows still queued are lost. */
static void db_free(struct db *db)
{
	db_writer_stop(db);
	db_writer_release(db);
	db_source_fold_free(db->fold);
	db_source_fold_free(db->fold_kept);
	if (db->sql != NULL)
		sqlite3_close_v2(db->sql);
	free(db->path);
	free(db);
}

/* Process-wide SQLite settings, made once before the first connection.
 * Memory statistics off: with them on, every sqlite3_malloc()/free() takes
 * a global mutex, and dcvscope never reads them. (When the library was
 * already initialized by someone else, sqlite3_config() refuses and the
 * defaults stay: slower, not wrong.) */
static void configure_library(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int db_open(struct db **out, const char *path, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure_library);
	if (out == NULL || path == NULL || path[0] == '\0') {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "db_open: no database path given");
		return -1;
	}
	struct db *db = calloc(1, sizeof(*db));
	char *path_copy = strdup(path);
	if (db == NULL || path_copy == NULL) {
		free(db);
		free(path_copy);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "db_open: %s: out of memory", path);
		return -1;
	}
	db->path = path_copy;
	db->batch_rows = DB_BATCH_ROWS_DEFAULT;
	db->batch_limit = db->limit_next = db->batch_rows;

	int rc = sqlite3_open_v2(
	    path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		db_sql_fail(db, "db_open: cannot open", rc);
		goto fail;
	}
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, DB_BUSY_TIMEOUT_MS_DEFAULT);

	if (configure(db) != 0 || db_schema_migrate(db) != 0 || db_writer_prepare(db) != 0 ||
	    db_source_scan_register(db) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", db->err);
	db_free(db);
	return -1;
}

int db_open_beside(struct db **out, const char *path, char *err, size_t errlen)
{
	struct db *db = NULL;
	if (db_open(&db, path, err, errlen) != 0)
		return -1;
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", DB_BESIDE_CACHE_KIB);
	(void)db_exec(db, "set cache size", pragma); /* a hint: the default cache works too */
	*out = db;
	return 0;
}

int db_set_busy_timeout(struct db *db, int ms)
{
	if (db == NULL || ms < 0)
		return -1;
	db_writer_quiesce(db);
	int rc = sqlite3_busy_timeout(db->sql, ms);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, "set busy timeout", rc);
	return 0;
}

int db_set_cache_kib(struct db *db, int kib)
{
	if (db == NULL || kib < 1)
		return -1;
	db_writer_quiesce(db);
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", kib);
	return db_exec(db, "set cache size", pragma);
}

int db_set_batch_rows(struct db *db, size_t rows)
{
	if (db == NULL || rows == 0)
		return -1;
	db_writer_quiesce(db);
	db->batch_rows = db->batch_limit = db->limit_next = rows;
	return 0;
}

int db_close(struct db *db)
{
	if (db == NULL)
		return 0;
	int ret = 0;
	size_t pending = db_writer_pending(db);
	if (pending > 0 && db_flush(db) != 0) {
		/* The handle is gone after this call: the reason goes to stderr. */
		fprintf(stderr, "dcvscope: %s\ndcvscope: %s: %zu queued rows were not written\n",
		        db->err, db->path, pending);
		ret = -1;
	}
	db_free(db);
	return ret;
}
