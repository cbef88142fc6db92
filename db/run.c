/*
 * run.c - the run lifecycle: a run row is inserted when the analysis starts
 * (finished_ns NULL) and completed when it ends, in the same transaction
 * that replaces earlier runs of the same input.
 *
 *   db_run_begin()   INSERT runs            -> running (finished_ns NULL)
 *   db_run_finish()  flush queued rows; then one transaction:
 *                    UPDATE runs summary + accounting,
 *                    rewrite run_malformed,
 *                    DELETE earlier runs with the same fingerprint
 *                    and their source_stats / transactions / run_malformed
 *                                         -> finished (finished_ns set)
 *
 * A run that never finishes (crash) keeps finished_ns NULL; the next run of
 * the same input replaces it like any earlier run.
 */
#include <string.h>

#include "db_internal.h"

int64_t db_run_begin(struct db *db, const struct db_run_info *info)
{
	if (db != NULL)
		db_writer_quiesce(db);
	if (db == NULL)
		return -1;
	if (info == NULL || info->kind == NULL || info->fingerprint == NULL ||
	    (strcmp(info->kind, "offline") != 0 && strcmp(info->kind, "live") != 0))
		return db_set_err(db, "begin run: kind must be \"offline\" or \"live\" and a "
		                      "fingerprint is required");
	const char *op = "begin run: insert into runs";
	sqlite3_stmt *st = db_prepare(db, op,
	                              "INSERT INTO runs (kind, inputs, fingerprint, started_ns, "
	                              "bucket_len_s, timeout_ms) VALUES (?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	int rc = sqlite3_bind_text(st, 1, info->kind, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, info->inputs ? info->inputs : "", -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, info->fingerprint, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 4, info->started_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, info->bucket_len_s);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, info->timeout_ms);
	if (db_step_done(db, op, st, rc) != 0)
		return -1;
	return sqlite3_last_insert_rowid(db->sql);
}

#define ACC_SET(col, field)  ", " #col " = ?"
#define ACC_BIND(col, field) (rc = rc ? rc : db_bind_u64(st, idx++, acc->field));

/* UPDATE runs with the summary and the accounting; fails on an unknown id. */
static int update_run(struct db *db, int64_t run_id, const struct db_run_summary *sum,
                      const struct run_accounting *acc)
{
	const char *op = "finish run: update runs";
	sqlite3_stmt *st =
	    db_prepare(db, op,
	               "UPDATE runs SET finished_ns = ?, first_packet_ns = ?, "
	               "last_packet_ns = ?, complete = ?, fingerprint = coalesce(?, "
	               "fingerprint)" DB_ACCOUNTING_COLUMNS(ACC_SET) " WHERE id = ?");
	if (st == NULL)
		return -1;
	int rc = db_bind_u64(st, 1, sum->finished_ns);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 2, sum->first_packet_ns);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 3, sum->last_packet_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, sum->complete ? 1 : 0);
	/* NULL keeps the fingerprint given at db_run_begin() */
	if (rc == SQLITE_OK)
		rc = sum->fingerprint != NULL
		         ? sqlite3_bind_text(st, 5, sum->fingerprint, -1, SQLITE_TRANSIENT)
		         : sqlite3_bind_null(st, 5);
	int idx = 6;
	DB_ACCOUNTING_COLUMNS(ACC_BIND)
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, idx, run_id);
	if (db_step_done(db, op, st, rc) != 0)
		return -1;
	if (sqlite3_changes(db->sql) != 1)
		return db_set_err(db,
		                  "finish run: %s: no run with id %lld (was it replaced by a later "
		                  "run of the same input?)",
		                  db->path, (long long)run_id);
	return 0;
}

/* Rewrites the run's non-zero malformed-by-reason counters. */
static int write_malformed(struct db *db, int64_t run_id, const struct run_accounting *acc)
{
	const char *op = "finish run: write run_malformed";
	sqlite3_stmt *st = db_prepare(db, op, "DELETE FROM run_malformed WHERE run_id = ?");
	if (st == NULL || db_step_done(db, op, st, sqlite3_bind_int64(st, 1, run_id)) != 0)
		return -1;
	st = db_prepare(db, op,
	                "INSERT INTO run_malformed (run_id, reason, count) VALUES (?, ?, ?)");
	if (st == NULL)
		return -1;
	/* malformed[] is indexed by -code; index 0 (DCV_OK) is not a reason. */
	for (int i = 1; i <= DCV_ERROR_COUNT; i++) {
		if (acc->malformed[i] == 0)
			continue;
		int rc = sqlite3_bind_int64(st, 1, run_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 2, dcv_error_name(-i), -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = db_bind_u64(st, 3, acc->malformed[i]);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			sqlite3_reset(st);
		}
		if (rc != SQLITE_DONE) {
			db_sql_fail(db, op, rc == SQLITE_OK ? SQLITE_ERROR : rc);
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

/* Deletes runs older than run_id with its fingerprint, children first.
 * Returns how many runs went, or -1. */
static int replace_earlier(struct db *db, int64_t run_id)
{
	static const char *const deletes[] = {
	    "DELETE FROM dnssec_names WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM caa_decisions WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM edns_checks WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM depth_accounting WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM findings WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM source_seconds WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM attempt_perspectives WHERE run_id IN (SELECT e.id FROM runs e, runs r "
	    "WHERE r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM attempts WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM validator_sources WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM source_stats WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM transactions WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM run_malformed WHERE run_id IN (SELECT e.id FROM runs e, runs r WHERE "
	    "r.id = ?1 AND e.fingerprint = r.fingerprint AND e.id < r.id)",
	    "DELETE FROM runs WHERE id < ?1 AND fingerprint = (SELECT fingerprint FROM runs "
	    "WHERE id = ?1)",
	};
	const char *op = "finish run: delete earlier runs of the same input";
	db_source_scan_forget(db); /* rows deleted: fewer sources */
	for (size_t i = 0; i < sizeof(deletes) / sizeof(deletes[0]); i++) {
		sqlite3_stmt *st = db_prepare(db, op, deletes[i]);
		if (st == NULL || db_step_done(db, op, st, sqlite3_bind_int64(st, 1, run_id)) != 0)
			return -1;
	}
	/* changes() is that of the last statement: the runs themselves. */
	return sqlite3_changes(db->sql);
}

int db_run_finish(struct db *db, int64_t run_id, const struct db_run_summary *sum)
{
	if (db == NULL)
		return -1;
	if (sum == NULL)
		return db_set_err(db, "finish run: no summary given");
	static const struct run_accounting zero_acc;
	const struct run_accounting *acc = sum->acc != NULL ? sum->acc : &zero_acc;
	if (db_flush(db) != 0)
		return -1;
	if (db_begin(db, "finish run: begin") != 0)
		return -1;
	int replaced = -1;
	if (update_run(db, run_id, sum, acc) != 0 || write_malformed(db, run_id, acc) != 0 ||
	    (replaced = replace_earlier(db, run_id)) < 0) {
		db_rollback(db);
		return -1;
	}
	if (db_commit(db, "finish run: commit") != 0)
		return -1;
	if (replaced > 0)
		db->known_run_id = 0; /* it may have named a deleted run */
	return replaced;
}
