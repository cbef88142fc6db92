/*
 * analyze_sources.h - the per-source totals of a run read in one pass, for
 * everything `dcvscope analyze` shows and judges after the capture: the
 * summary's source count and top sources, and the rules' input.
 *
 * Each of those used to read the run's bucket rows itself (two GROUP BY
 * queries for the top lists, a COUNT(DISTINCT), the rules' own pass): a
 * second or more at the end of a large capture. One db_source_scan() now
 * gives them all. When the totals were added up as the run was stored
 * (db_source_fold_start()) only the top lists are kept: the database holds
 * the totals and the rules walk them again. Beyond ANALYZE_SOURCES_KEPT
 * sources the pass gives up; a second pass reads them one at a time in
 * source order (db_source_scan() without memory_only) for the count, the
 * per-CA groups and the top lists, and writes them to a temporary file
 * that the rules read back (source_spill.h): memory stays bounded.
 */
#ifndef DCV_ANALYZE_SOURCES_H
#define DCV_ANALYZE_SOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "db_summary.h"
#include "rule_queries.h"
#include "source_scan.h"
#include "source_spill.h"
#include "validator_store.h"

/* Sources whose totals are kept (about 400 bytes each, and the pass's own
 * table while it reads); the rules engine caches as many
 * (RULE_SOURCES_CACHE_MAX). */
#define ANALYZE_SOURCES_KEPT 250000

/* The most sources a top list keeps by itself; longer lists keep them all. */
#define ANALYZE_SOURCES_TOP_MAX 4096

/* The best sources of one order, kept while the sources go by: up to
 * 2 * k candidates, cut to the k best whenever full. */
struct analyze_top {
	struct db_rule_source *buf, *tmp; /* 2k candidates; k for cutting */
	unsigned n, k;
	bool have_floor; /* floor is the k-th best so far: worse ones are skipped */
	struct db_rule_source floor;
};

struct analyze_sources {
	/* every source, in address-text order, when the totals were read back
	 * or every source is listed; NULL otherwise (or when too_many) */
	struct db_rule_source *src;
	unsigned n, cap;
	/* else the top lists, and the database holds the totals for the
	 * rules (db_source_scan_in_memory()) */
	bool tops;
	struct analyze_top by_queries, by_failures;
	bool too_many; /* more than ANALYZE_SOURCES_KEPT (or no memory for them) */
	/* too_many, and read again one at a time for the count, the groups
	 * and the top lists; and written to spill as they went by, for the
	 * rules (NULL: it could not be) */
	bool streamed;
	struct source_spill *spill;
	int64_t count; /* distinct sources of the run, kept or not */
	/* the validator sources (medium confidence or more) added up per CA and
	 * region, as db_ca_region_read() adds them up; valid when groups_ok */
	struct db_ca_region_row *groups;
	unsigned ngroups, capgroups;
	bool groups_ok, groups_failed;
	const struct db_source_scan *scan; /* while reading */
};

/* analyze_sources_read() reads the totals of every source of run_id into
 * *s (zeroed first), for top lists of top sources (0 = all). Returns 0, or
 * -1 (db_errmsg()). */
int analyze_sources_read(struct db *db, int64_t run_id, unsigned top, struct analyze_sources *s);

/* analyze_sources_read_early() is analyze_sources_read() from the totals
 * added up in memory, before the run's last rows are stored
 * (db_source_scan_early(); m gives the validators). Returns 0, or 1 when
 * they cannot answer: *s is then empty, call analyze_sources_read() once
 * the run is stored. */
struct mpic;
int analyze_sources_read_early(struct db *db, int64_t run_id, const struct mpic *m, unsigned top,
                               struct analyze_sources *s);

/* analyze_sources_top() calls fn for up to limit (0 = all) sources in the
 * order of db_top_sources(), with the same numbers, from s when it holds
 * them, else from db. Returns how many, or -1. */
int analyze_sources_top(struct db *db, int64_t run_id, const struct analyze_sources *s,
                        enum db_top_order order, unsigned limit, db_source_total_fn fn, void *ctx);

/* analyze_sources_ca_regions() calls fn per (CA, region) in the order and
 * with the numbers of db_ca_region_read(), from s when it added them up,
 * else from db. Returns how many, or -1. */
int analyze_sources_ca_regions(struct db *db, int64_t run_id, const struct analyze_sources *s,
                               int (*fn)(void *ctx, const struct db_ca_region_row *r), void *ctx);

/* analyze_sources_free() frees what analyze_sources_read() kept. */
void analyze_sources_free(struct analyze_sources *s);

#endif
