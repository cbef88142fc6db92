/*
 * source_scan.h - one pass over the source_stats rows of a scope that gives
 * both the per-source totals (what the rules and the report's per-CA,
 * per-region and total tables fold) and the validators' per-CA time series
 * (the report's chart), so a report reads each bucket row once.
 *
 * The rows are read in primary-key order and added up in memory, keyed by
 * source, by an SQL function the scan calls for each row (registered when
 * the database is opened), instead of by an SQL GROUP BY: the table's key
 * leads with time, so grouping by source in SQL sorts every row of the span
 * in a temporary b-tree (7 s of CPU for a week of 10 000 sources,
 * tools/bench/report_bench.sh), while a hash table of the sources costs one
 * lookup per row. Beyond max_sources distinct sources the pass gives up and
 * reads the rows again sorted by source (SQLite's sorter spills to its
 * temporary file), adding up one source at a time: memory stays bounded
 * under a flood of random sources. A GROUP BY over the same rows took
 * twice as long (the aggregate functions, 27 per row, cost more than the
 * sort: 3.6 s against 1.0 s for a million sources in the sqlite3 shell).
 * The connection remembers the last scope found too large, so that the
 * next scans of it go to the sorted read at once.
 */
#ifndef DCV_SOURCE_SCAN_H
#define DCV_SOURCE_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "report_queries.h"
#include "rule_queries.h"

/* Distinct sources the in-memory pass holds (about 330 bytes each with
 * the hash table, so some 80 MB) before it reads them in source order. A
 * guess, of the order of the rules' own RULE_SOURCES_CACHE_MAX. */
#define DB_SOURCE_SCAN_MAX_DEFAULT 250000

/* What one pass delivers, and where. */
struct db_source_scan {
	/* every source's totals, in address-text order (as db_rule_sources());
	 * NULL: none wanted. Non-zero from it stops the list. */
	int (*source)(void *ctx, const struct db_rule_source *s);
	void *source_ctx;
	/* the validators' traffic per CA per step_ns (> 0) step, ordered by CA
	 * then time (as db_report_ca_series()); NULL: no series. Non-zero from
	 * it stops the list. */
	db_report_point_fn point;
	void *point_ctx;
	uint64_t step_ns;
	/* distinct sources held in memory before reading them one at a time
	 * in source order; 0 means DB_SOURCE_SCAN_MAX_DEFAULT */
	unsigned max_sources;
	/* true: beyond max_sources, give up (db_source_scan() returns 1, nothing
	 * handed on) instead of reading them in source order */
	bool memory_only;
	/* validator rows held in memory before each source is looked up
	 * instead; 0 means SCAN_VALIDATORS_MAX (scan_validators.h) */
	unsigned max_validators;
	/* out: how many sources and points were handed on (the one whose
	 * callback stopped the list included) */
	int nsources, npoints;
	/* out: the totals were added up as the rows were stored
	 * (db_source_fold_start()), none was read back */
	bool from_fold;
};

/*
 * db_source_scan() reads the source_stats rows of scope and hands on what
 * scan asks for. The numbers are those of db_rule_sources() and
 * db_report_ca_series() over the same scope, whichever way they were
 * computed. Returns 0, 1 when scan->memory_only and the sources are more
 * than it holds (nothing handed on), or -1 (db_errmsg()); on failure some
 * rows may have been handed on already.
 */
int db_source_scan(struct db *db, const struct rules_scope *scope, struct db_source_scan *scan);

/*
 * db_source_fold_start() makes the database add up the bucket rows of
 * run_id as it accepts them (up to max_sources sources; 0 means
 * DB_SOURCE_SCAN_MAX_DEFAULT), so that the first db_source_scan() of that
 * run (its run scope, without a series) reads none of them back: analyze
 * stores a run and then reads its totals at once. The totals are those of
 * the stored rows (the scan writes every queued row first, and fails when
 * it cannot); when they cannot be (a bucket of a source stored in parts,
 * too many sources) the scan reads the rows as always. Call it before the
 * run's first row. Returns 0 or -1.
 */
int db_source_fold_start(struct db *db, int64_t run_id, unsigned max_sources);

/*
 * db_source_scan_early() hands on the sources of run_id from the fold, as
 * db_source_scan() of the run's scope would with scan->memory_only, before
 * the run's last rows are stored: it waits for neither the writer thread
 * nor the file (analyze reads the totals while its last batch is written),
 * and takes the validators' CA and region from m, as
 * db_validator_sources_store() will store them (medium confidence or
 * above). Returns 0, or 1 when the fold cannot answer (nothing handed on:
 * scan once the run is stored). Leaves db_errmsg() alone.
 */
struct mpic;
int db_source_scan_early(struct db *db, int64_t run_id, const struct mpic *m,
                         struct db_source_scan *scan);

/* db_source_scan_in_memory() says whether db_source_scan() of scope
 * (without a series) would read no rows: the run's totals, added up by
 * the fold and handed on once, are still held and still those stored (no
 * bucket row was queued since). Such a scan costs a walk over memory, so a
 * reader may scan again instead of keeping a copy. */
bool db_source_scan_in_memory(const struct db *db, const struct rules_scope *scope);

#endif
