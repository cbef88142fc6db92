/*
 * live_store.h - what only a live run stores: capture losses per flush
 * interval (table capture_intervals, schema version 4), the running totals
 * of a run that has not finished, and retention of old rows.
 */
#ifndef DCV_LIVE_STORE_H
#define DCV_LIVE_STORE_H

#include <stdint.h>

#include "db.h"

/* One flush interval of a live capture; every counter is the increase
 * during the interval (see schema.c, table capture_intervals). */
struct db_capture_interval {
	uint64_t start_ns, end_ns; /* wall clock */
	const char *capture;       /* "ebpf" or "pcap" */
	uint64_t frames;
	uint64_t kernel_matched;
	uint64_t kernel_dropped;
	uint64_t if_dropped;
	uint64_t ringbuf_dropped;
	uint64_t truncated;
	uint64_t evictions;
};

/* db_capture_interval_add() writes one interval row of run_id now (not
 * queued; call db_flush() first so that the statistics of the interval are
 * stored before its losses). Returns 0, or -1 with nothing written. */
int db_capture_interval_add(struct db *db, int64_t run_id, const struct db_capture_interval *iv);

/* db_run_progress() updates the running run's first/last packet times and
 * accounting columns (not run_malformed) while finished_ns stays NULL: a
 * reader sees how far a live run has got. sum->finished_ns, complete and
 * fingerprint are ignored. Returns 0, or -1 (unknown run, SQL failure). */
int db_run_progress(struct db *db, int64_t run_id, const struct db_run_summary *sum);

/*
 * db_retention_purge() deletes every row whose time is before cutoff_ns
 * (the tables and columns listed under RETENTION in schema.c), then the
 * finished runs left without any row; keep_run_id (> 0) is never deleted.
 * One transaction: on -1 nothing was deleted. Returns the number of rows
 * deleted (runs included), or -1.
 */
int64_t db_retention_purge(struct db *db, uint64_t cutoff_ns, int64_t keep_run_id);

#endif
