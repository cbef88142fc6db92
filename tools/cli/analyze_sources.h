/*
 * analyze_sources.h - the per-source totals of a run read in one pass, for
 * everything `dcvscope analyze` shows and judges after the capture: the
 * summary's source count and top sources, and the rules' input.
 *
 * Each of those used to read the run's bucket rows itself (two GROUP BY
 * queries for the top lists, a COUNT(DISTINCT), the rules' own pass): a
 * second or more at the end of a large capture. One db_source_scan() now
 * gives them all. Beyond ANALYZE_SOURCES_KEPT sources the pass gives up
 * and nothing is kept: the count and the top lists then come from SQL and
 * the rules read for themselves, as before, so memory stays bounded.
 */
#ifndef DCV_ANALYZE_SOURCES_H
#define DCV_ANALYZE_SOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "db_summary.h"
#include "rule_queries.h"

/* Sources whose totals are kept (about 400 bytes each, and the pass's own
 * table while it reads); the rules engine caches as many
 * (RULE_SOURCES_CACHE_MAX). */
#define ANALYZE_SOURCES_KEPT 250000

struct analyze_sources {
	struct db_rule_source *src; /* in address-text order; NULL when too_many */
	unsigned n, cap;
	bool too_many; /* more than ANALYZE_SOURCES_KEPT (or no memory for them) */
	int64_t count; /* distinct sources of the run, kept or not */
};

/* analyze_sources_read() reads the totals of every source of run_id into
 * *s (zeroed first). Returns 0, or -1 (db_errmsg()). */
int analyze_sources_read(struct db *db, int64_t run_id, struct analyze_sources *s);

/* analyze_sources_top() calls fn for up to limit (0 = all) sources in the
 * order of db_top_sources(), with the same numbers, from s when it holds
 * them, else from db. Returns how many, or -1. */
int analyze_sources_top(struct db *db, int64_t run_id, const struct analyze_sources *s,
                        enum db_top_order order, unsigned limit, db_source_total_fn fn, void *ctx);

/* analyze_sources_free() frees what analyze_sources_read() kept. */
void analyze_sources_free(struct analyze_sources *s);

#endif
