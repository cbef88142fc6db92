/* depth_store.c - DNSSEC, CAA and EDNS results in SQLite (depth_store.h). */
#include "depth_store.h"

#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static void copy_text(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src != NULL ? (const char *)src : "");
}

/* ---- writing ---------------------------------------------------------- */

static int store_dnssec(struct db *db, int64_t run_id, const struct depth *d)
{
	const char *op = "store dnssec_names";
	size_t n;
	const struct depth_dnssec *r = depth_dnssec_results(d, &n);
	sqlite3_stmt *st = db_prepare(
	    db, op,
	    "INSERT OR REPLACE INTO dnssec_names (run_id, name, qtype, zone, status, error, "
	    "detail, ca, responses, first_ns, last_ns, expires_ns) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	int rc = SQLITE_OK;
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_text(st, 2, r[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, r[i].qtype);
		sqlite3_bind_text(st, 4, r[i].v.zone, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, dnssec_status_name(r[i].v.status), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, dnssec_error_name(r[i].v.error), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, r[i].v.detail, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, r[i].ca, -1, SQLITE_STATIC);
		db_bind_u64(st, 9, r[i].responses);
		db_bind_u64(st, 10, r[i].first_ns);
		db_bind_u64(st, 11, r[i].last_ns);
		if (r[i].v.expires_ns != 0)
			db_bind_u64(st, 12, r[i].v.expires_ns);
		else
			sqlite3_bind_null(st, 12);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? (int)n : db_sql_fail(db, op, rc);
}

static int store_caa(struct db *db, int64_t run_id, const struct depth *d)
{
	const char *op = "store caa_decisions";
	size_t n;
	const struct depth_caa *r = depth_caa_results(d, &n);
	sqlite3_stmt *st = db_prepare(
	    db, op,
	    "INSERT OR REPLACE INTO caa_decisions (run_id, ca, name, owner, rrset, allowed, "
	    "wild_allowed, reason, fix, queries, first_ns, last_ns) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	int rc = SQLITE_OK;
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_text(st, 2, r[i].ca, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r[i].owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r[i].rrset, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, r[i].allowed);
		sqlite3_bind_int(st, 7, r[i].wild_allowed);
		sqlite3_bind_text(st, 8, r[i].why, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, r[i].fix, -1, SQLITE_STATIC);
		db_bind_u64(st, 10, r[i].queries);
		db_bind_u64(st, 11, r[i].first_ns);
		db_bind_u64(st, 12, r[i].last_ns);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? (int)n : db_sql_fail(db, op, rc);
}

static int store_edns(struct db *db, int64_t run_id, const struct depth *d)
{
	const char *op = "store edns_checks";
	unsigned n;
	const struct edns_server *s = depth_edns_results(d, &n);
	sqlite3_stmt *st =
	    db_prepare(db, op,
	               "INSERT OR REPLACE INTO edns_checks (run_id, server, check_name, failures, "
	               "edns_queries, example, first_ns, last_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	int rc = SQLITE_OK, stored = 0;
	for (unsigned i = 0; i < n && rc == SQLITE_OK; i++) {
		char addr[DCV_ADDR_TEXT_MAX];
		dcv_addr_format(&s[i].server, addr, sizeof(addr));
		for (int k = 0; k < EDNS_CHECK_COUNT && rc == SQLITE_OK; k++) {
			if (s[i].fail[k] == 0)
				continue;
			sqlite3_bind_int64(st, 1, run_id);
			sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 3, edns_check_name((enum edns_check)k), -1,
			                  SQLITE_STATIC);
			db_bind_u64(st, 4, s[i].fail[k]);
			db_bind_u64(st, 5, s[i].edns_queries);
			sqlite3_bind_text(st, 6, s[i].example[k], -1, SQLITE_STATIC);
			db_bind_u64(st, 7, s[i].first_ns);
			db_bind_u64(st, 8, s[i].last_ns);
			rc = sqlite3_step(st);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
			sqlite3_reset(st);
			stored++;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? stored : db_sql_fail(db, op, rc);
}

static int store_accounting(struct db *db, int64_t run_id, const struct depth *d)
{
	const char *op = "store depth_accounting";
	const struct depth_stats *s = depth_get_stats(d);
	sqlite3_stmt *st = db_prepare(
	    db, op,
	    "INSERT OR REPLACE INTO depth_accounting (run_id, handed, kept, duplicates, dropped, "
	    "unparsable, incomplete, edns_dropped) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	int rc = sqlite3_bind_int64(st, 1, run_id);
	db_bind_u64(st, 2, s->handed);
	db_bind_u64(st, 3, s->kept);
	db_bind_u64(st, 4, s->duplicates);
	db_bind_u64(st, 5, s->dropped);
	db_bind_u64(st, 6, s->unparsable);
	db_bind_u64(st, 7, s->incomplete);
	db_bind_u64(st, 8, s->edns_dropped);
	return db_step_done(db, op, st, rc);
}

int db_depth_store(struct db *db, int64_t run_id, const struct depth *d)
{
	if (db == NULL || d == NULL)
		return -1;
	if (db_flush(db) != 0)
		return -1;
	db_writer_quiesce(db);
	if (db_begin(db, "store depth: begin") != 0)
		return -1;
	static const char *const clears[] = {
	    "DELETE FROM dnssec_names WHERE run_id = ?",
	    "DELETE FROM caa_decisions WHERE run_id = ?",
	    "DELETE FROM edns_checks WHERE run_id = ?",
	};
	const char *op = "store depth: clear the run's rows";
	for (size_t i = 0; i < sizeof(clears) / sizeof(clears[0]); i++) {
		sqlite3_stmt *st = db_prepare(db, op, clears[i]);
		if (st == NULL ||
		    db_step_done(db, op, st, sqlite3_bind_int64(st, 1, run_id)) != 0) {
			db_rollback(db);
			return -1;
		}
	}
	int a = store_dnssec(db, run_id, d);
	int b = a < 0 ? -1 : store_caa(db, run_id, d);
	int c = b < 0 ? -1 : store_edns(db, run_id, d);
	if (c < 0 || store_accounting(db, run_id, d) != 0) {
		db_rollback(db);
		return -1;
	}
	if (db_commit(db, "store depth: commit") != 0)
		return -1;
	return a + b + c;
}

/* ---- reading ---------------------------------------------------------- */

static sqlite3_stmt *prepare_run(struct db *db, const char *op, const char *sql, int64_t run_id)
{
	if (db == NULL || db_flush(db) != 0)
		return NULL;
	db_writer_quiesce(db);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_sql_fail(db, op, rc);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, run_id);
	return st;
}

static int finish_read(struct db *db, const char *op, sqlite3_stmt *st, int rc, int n)
{
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return n;
}

int db_dnssec_read(struct db *db, int64_t run_id,
                   int (*fn)(void *ctx, const struct db_dnssec_row *r), void *ctx)
{
	const char *op = "read dnssec_names";
	sqlite3_stmt *st = prepare_run(
	    db, op,
	    "SELECT name, qtype, zone, status, error, detail, ca, responses, first_ns, last_ns,"
	    " coalesce(expires_ns, 0) FROM dnssec_names WHERE run_id = ? ORDER BY"
	    " CASE status WHEN 'BOGUS' THEN 0 WHEN 'INDETERMINATE' THEN 1 WHEN 'SECURE' THEN 2"
	    " ELSE 3 END, name, qtype",
	    run_id);
	if (st == NULL)
		return -1;
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_dnssec_row r;
		memset(&r, 0, sizeof(r));
		copy_text(r.name, sizeof(r.name), sqlite3_column_text(st, 0));
		unsigned t = (unsigned)sqlite3_column_int(st, 1);
		const char *tn = dns_type_name(t);
		if (tn != NULL)
			snprintf(r.qtype, sizeof(r.qtype), "%s", tn);
		else
			snprintf(r.qtype, sizeof(r.qtype), "TYPE%u", t);
		copy_text(r.zone, sizeof(r.zone), sqlite3_column_text(st, 2));
		copy_text(r.status, sizeof(r.status), sqlite3_column_text(st, 3));
		copy_text(r.error, sizeof(r.error), sqlite3_column_text(st, 4));
		copy_text(r.detail, sizeof(r.detail), sqlite3_column_text(st, 5));
		copy_text(r.ca, sizeof(r.ca), sqlite3_column_text(st, 6));
		r.responses = (uint64_t)sqlite3_column_int64(st, 7);
		r.first_ns = (uint64_t)sqlite3_column_int64(st, 8);
		r.last_ns = (uint64_t)sqlite3_column_int64(st, 9);
		r.expires_ns = (uint64_t)sqlite3_column_int64(st, 10);
		n++;
		if (fn(ctx, &r) != 0)
			break;
	}
	return finish_read(db, op, st, rc, n);
}

int db_caa_read(struct db *db, int64_t run_id, int (*fn)(void *ctx, const struct db_caa_row *r),
                void *ctx)
{
	const char *op = "read caa_decisions";
	sqlite3_stmt *st = prepare_run(
	    db, op,
	    "SELECT ca, name, owner, rrset, allowed, wild_allowed, reason, fix, queries, first_ns,"
	    " last_ns FROM caa_decisions WHERE run_id = ? ORDER BY allowed, ca, name",
	    run_id);
	if (st == NULL)
		return -1;
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_caa_row r;
		memset(&r, 0, sizeof(r));
		copy_text(r.ca, sizeof(r.ca), sqlite3_column_text(st, 0));
		copy_text(r.name, sizeof(r.name), sqlite3_column_text(st, 1));
		copy_text(r.owner, sizeof(r.owner), sqlite3_column_text(st, 2));
		copy_text(r.rrset, sizeof(r.rrset), sqlite3_column_text(st, 3));
		r.allowed = sqlite3_column_int(st, 4);
		r.wild_allowed = sqlite3_column_int(st, 5);
		copy_text(r.reason, sizeof(r.reason), sqlite3_column_text(st, 6));
		copy_text(r.fix, sizeof(r.fix), sqlite3_column_text(st, 7));
		r.queries = (uint64_t)sqlite3_column_int64(st, 8);
		r.first_ns = (uint64_t)sqlite3_column_int64(st, 9);
		r.last_ns = (uint64_t)sqlite3_column_int64(st, 10);
		n++;
		if (fn(ctx, &r) != 0)
			break;
	}
	return finish_read(db, op, st, rc, n);
}

int db_edns_read(struct db *db, int64_t run_id, int (*fn)(void *ctx, const struct db_edns_row *r),
                 void *ctx)
{
	const char *op = "read edns_checks";
	sqlite3_stmt *st = prepare_run(db, op,
	                               "SELECT server, check_name, example, failures, edns_queries,"
	                               " first_ns, last_ns FROM edns_checks WHERE run_id = ?"
	                               " ORDER BY server, check_name",
	                               run_id);
	if (st == NULL)
		return -1;
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_edns_row r;
		memset(&r, 0, sizeof(r));
		copy_text(r.server, sizeof(r.server), sqlite3_column_text(st, 0));
		copy_text(r.check, sizeof(r.check), sqlite3_column_text(st, 1));
		copy_text(r.example, sizeof(r.example), sqlite3_column_text(st, 2));
		r.failures = (uint64_t)sqlite3_column_int64(st, 3);
		r.edns_queries = (uint64_t)sqlite3_column_int64(st, 4);
		r.first_ns = (uint64_t)sqlite3_column_int64(st, 5);
		r.last_ns = (uint64_t)sqlite3_column_int64(st, 6);
		n++;
		if (fn(ctx, &r) != 0)
			break;
	}
	return finish_read(db, op, st, rc, n);
}
