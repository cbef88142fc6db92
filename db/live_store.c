/*
 * live_store.c - capture losses per interval, progress of a running run,
 * and retention (live_store.h; tables documented in schema.c).
 */
#include "live_store.h"

#include <string.h>

#include "db_internal.h"

int db_capture_interval_add(struct db *db, int64_t run_id, const struct db_capture_interval *iv)
{
	if (db == NULL)
		return -1;
	db_writer_quiesce(db);
	if (iv == NULL || iv->capture == NULL ||
	    (strcmp(iv->capture, "ebpf") != 0 && strcmp(iv->capture, "pcap") != 0))
		return db_set_err(db, "capture interval: capture must be \"ebpf\" or \"pcap\"");
	const char *op = "capture interval: insert into capture_intervals";
	sqlite3_stmt *st = db_prepare(
	    db, op,
	    "INSERT OR REPLACE INTO capture_intervals (run_id, start_ns, end_ns, capture, "
	    "frames, kernel_matched, kernel_dropped, if_dropped, ringbuf_dropped, "
	    "truncated, evictions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	int rc = sqlite3_bind_int64(st, 1, run_id);
	const uint64_t v[] = {iv->start_ns,        iv->end_ns,         iv->frames,
	                      iv->kernel_matched,  iv->kernel_dropped, iv->if_dropped,
	                      iv->ringbuf_dropped, iv->truncated,      iv->evictions};
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 2, v[0]);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 3, v[1]);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, iv->capture, -1, SQLITE_STATIC);
	for (int i = 2; i < 9 && rc == SQLITE_OK; i++)
		rc = db_bind_u64(st, i + 3, v[i]);
	return db_step_done(db, op, st, rc);
}

#define ACC_SET(col, field)  ", " #col " = ?"
#define ACC_BIND(col, field) (rc = rc ? rc : db_bind_u64(st, idx++, acc->field));

int db_run_progress(struct db *db, int64_t run_id, const struct db_run_summary *sum)
{
	if (db == NULL)
		return -1;
	db_writer_quiesce(db);
	if (sum == NULL || sum->acc == NULL)
		return db_set_err(db, "run progress: no accounting given");
	const struct run_accounting *acc = sum->acc;
	const char *op = "run progress: update runs";
	sqlite3_stmt *st = db_prepare(
	    db, op,
	    "UPDATE runs SET first_packet_ns = ?, last_packet_ns = ?" DB_ACCOUNTING_COLUMNS(
	        ACC_SET) " WHERE id = ? AND finished_ns IS NULL");
	if (st == NULL)
		return -1;
	int rc = db_bind_u64(st, 1, sum->first_packet_ns);
	if (rc == SQLITE_OK)
		rc = db_bind_u64(st, 2, sum->last_packet_ns);
	int idx = 3;
	DB_ACCOUNTING_COLUMNS(ACC_BIND)
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, idx, run_id);
	if (db_step_done(db, op, st, rc) != 0)
		return -1;
	if (sqlite3_changes(db->sql) != 1)
		return db_set_err(db, "run progress: %s: no running run with id %lld", db->path,
		                  (long long)run_id);
	return 0;
}

int64_t db_retention_purge(struct db *db, uint64_t cutoff_ns, int64_t keep_run_id)
{
	/* children before parents; ?1 = cutoff, ?2 = the run to keep */
	static const char *const deletes[] = {
	    "DELETE FROM source_stats WHERE bucket_start_ns < ?1",
	    "DELETE FROM source_seconds WHERE second_ns < ?1",
	    "DELETE FROM transactions WHERE query_ts_ns < ?1",
	    "DELETE FROM attempt_perspectives WHERE attempt_id IN "
	    "(SELECT id FROM attempts WHERE last_ns < ?1)",
	    "DELETE FROM attempts WHERE last_ns < ?1",
	    "DELETE FROM validator_sources WHERE last_ns < ?1",
	    "DELETE FROM findings WHERE last_seen_ns < ?1",
	    "DELETE FROM capture_intervals WHERE end_ns < ?1",
	    "DELETE FROM dnssec_names WHERE last_ns < ?1",
	    "DELETE FROM caa_decisions WHERE last_ns < ?1",
	    "DELETE FROM edns_checks WHERE last_ns < ?1",
	    "DELETE FROM depth_accounting WHERE run_id IN (SELECT id FROM runs r WHERE "
	    "r.finished_ns IS NOT NULL AND r.id <> ?2"
	    " AND NOT EXISTS (SELECT 1 FROM source_stats WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM transactions WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM dnssec_names WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM caa_decisions WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM edns_checks WHERE run_id = r.id))",
	    /* finished runs left without any row */
	    "DELETE FROM run_malformed WHERE run_id IN (SELECT id FROM runs r WHERE "
	    "r.finished_ns IS NOT NULL AND r.id <> ?2"
	    " AND NOT EXISTS (SELECT 1 FROM source_stats WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM source_seconds WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM transactions WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM attempts WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM validator_sources WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM findings WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM capture_intervals WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM dnssec_names WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM caa_decisions WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM edns_checks WHERE run_id = r.id)"
	    " AND NOT EXISTS (SELECT 1 FROM depth_accounting WHERE run_id = r.id))",
	    "DELETE FROM runs WHERE finished_ns IS NOT NULL AND id <> ?2"
	    " AND NOT EXISTS (SELECT 1 FROM source_stats WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM source_seconds WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM transactions WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM attempts WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM validator_sources WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM findings WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM capture_intervals WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM run_malformed WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM dnssec_names WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM caa_decisions WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM edns_checks WHERE run_id = runs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM depth_accounting WHERE run_id = runs.id)",
	};
	if (db == NULL)
		return -1;
	/* queued rows may be older than the cutoff too: write them first */
	if (db_flush(db) != 0)
		return -1;
	const char *op = "retention: delete old rows";
	db_source_fold_forget(db); /* totals held are no longer the stored ones */
	db_source_scan_forget(db); /* nor, maybe, what a scan found */
	if (db_begin(db, op) != 0)
		return -1;
	int64_t total = 0;
	for (size_t i = 0; i < sizeof(deletes) / sizeof(deletes[0]); i++) {
		sqlite3_stmt *st = db_prepare(db, op, deletes[i]);
		if (st == NULL)
			goto fail;
		int rc = db_bind_u64(st, 1, cutoff_ns);
		if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= 2)
			rc = sqlite3_bind_int64(st, 2, keep_run_id);
		if (db_step_done(db, op, st, rc) != 0)
			goto fail;
		total += sqlite3_changes(db->sql);
	}
	if (db_commit(db, op) != 0)
		return -1;
	db->known_run_id = 0; /* it may have named a deleted run */
	return total;
fail:
	db_rollback(db);
	return -1;
}
