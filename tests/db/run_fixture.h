/*
 * run_fixture.h - a run to hang rows on, for the db tests that write
 * source_stats rows by hand (test_report_queries.c, test_source_scan.c).
 */
#ifndef DCV_TEST_RUN_FIXTURE_H
#define DCV_TEST_RUN_FIXTURE_H

#include <criterion/criterion.h>
#include <stdint.h>

#include "db.h"

/* Begins an offline run with fingerprint fp and bucket_len_s buckets. */
static inline int64_t fx_run_begin(struct db *db, const char *fp, uint64_t start_ns,
                                   uint32_t bucket_len_s)
{
	struct db_run_info info = {.kind = "offline",
	                           .inputs = "x",
	                           .fingerprint = fp,
	                           .started_ns = start_ns,
	                           .bucket_len_s = bucket_len_s,
	                           .timeout_ms = 5000};
	int64_t id = db_run_begin(db, &info);
	cr_assert_gt(id, 0, "%s", db_errmsg(db));
	return id;
}

/* Finishes run id as complete, with its packets from first_ns to last_ns. */
static inline void fx_run_finish(struct db *db, int64_t id, uint64_t first_ns, uint64_t last_ns)
{
	struct db_run_summary sum = {.finished_ns = last_ns,
	                             .first_packet_ns = first_ns,
	                             .last_packet_ns = last_ns,
	                             .complete = 1};
	cr_assert_geq(db_run_finish(db, id, &sum), 0, "%s", db_errmsg(db));
}

#endif
