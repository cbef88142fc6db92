/* test_live_store.c - capture losses per interval, progress of a running
 * run, and retention (db/live_store.h). */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "live_store.h"
#include "test_support.h"

#define SEC 1000000000ull
#define DAY (86400ull * SEC)
#define NOW (1700000000ull * SEC)

static char *db_path(void)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/live.db", test_tmpdir());
	return path;
}

static struct db *open_ok(const char *path)
{
	struct db *db = NULL;
	char err[512] = "";
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), 0, "db_open: %s", err);
	return db;
}

static int64_t begin(struct db *db, const char *kind, const char *fp)
{
	struct db_run_info info = {.kind = kind,
	                           .inputs = "x",
	                           .fingerprint = fp,
	                           .started_ns = NOW,
	                           .bucket_len_s = 60,
	                           .timeout_ms = 5000};
	int64_t id = db_run_begin(db, &info);
	cr_assert_gt(id, 0, "%s", db_errmsg(db));
	return id;
}

static void finish(struct db *db, int64_t id)
{
	struct db_run_summary sum = {.finished_ns = NOW, .complete = 1};
	cr_assert_geq(db_run_finish(db, id, &sum), 0, "%s", db_errmsg(db));
}

static void bucket_at(struct db *db, int64_t id, const char *addr, uint64_t ts_ns)
{
	struct source_bucket b;
	memset(&b, 0, sizeof(b));
	cr_assert(dcv_addr_parse(addr, &b.source));
	b.bucket_start_ns = ts_ns - ts_ns % (60 * SEC);
	b.bucket_len_s = 60;
	b.queries = 1;
	cr_assert_eq(db_source_bucket_add(db, id, &b), 0, "%s", db_errmsg(db));
}

Test(live_store, schema_version_4_has_capture_intervals)
{
	char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_geq(db_schema_version(db), 4);
	cr_assert_eq(db_close(db), 0);
	cr_assert_eq(test_sql_number(path, "SELECT count(*) FROM sqlite_schema WHERE name = "
	                                   "'capture_intervals'"),
	             1);
}

Test(live_store, interval_rows_sum_to_the_run_totals)
{
	char *path = db_path();
	struct db *db = open_ok(path);
	int64_t id = begin(db, "live", "live:a");
	struct db_capture_interval a = {.start_ns = NOW,
	                                .end_ns = NOW + 10 * SEC,
	                                .capture = "ebpf",
	                                .frames = 100,
	                                .ringbuf_dropped = 3,
	                                .evictions = 2};
	struct db_capture_interval b = a;
	b.start_ns = a.end_ns;
	b.end_ns = b.start_ns + 10 * SEC;
	b.frames = 50;
	b.ringbuf_dropped = 1;
	cr_assert_eq(db_capture_interval_add(db, id, &a), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_capture_interval_add(db, id, &b), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_close(db), 0);
	cr_assert_eq(test_sql_number(path, "SELECT sum(frames) FROM capture_intervals"), 150);
	cr_assert_eq(test_sql_number(path, "SELECT sum(ringbuf_dropped) FROM capture_intervals"),
	             4);
	cr_assert_eq(test_sql_number(path, "SELECT sum(evictions) FROM capture_intervals"), 4);
}

Test(live_store, interval_with_unknown_capture_or_run_is_refused)
{
	struct db *db = open_ok(db_path());
	int64_t id = begin(db, "live", "live:b");
	struct db_capture_interval iv = {.start_ns = NOW, .end_ns = NOW + SEC, .capture = "afxdp"};
	cr_assert_eq(db_capture_interval_add(db, id, &iv), -1);
	iv.capture = "pcap";
	cr_assert_eq(db_capture_interval_add(db, id + 100, &iv), -1, "foreign key");
	cr_assert_eq(db_close(db), 0);
}

Test(live_store, progress_updates_a_running_run_and_not_a_finished_one)
{
	char *path = db_path();
	struct db *db = open_ok(path);
	int64_t id = begin(db, "live", "live:c");
	struct run_accounting acc;
	memset(&acc, 0, sizeof(acc));
	acc.frames = 42;
	acc.queries = 21;
	acc.kernel_dropped = 5;
	struct db_run_summary sum = {
	    .first_packet_ns = NOW, .last_packet_ns = NOW + SEC, .acc = &acc};
	cr_assert_eq(db_run_progress(db, id, &sum), 0, "%s", db_errmsg(db));
	cr_assert_eq(test_sql_number(path, "SELECT queries FROM runs"), 21);
	cr_assert_eq(test_sql_number(path, "SELECT kernel_dropped FROM runs"), 5);
	cr_assert_eq(test_sql_number(path, "SELECT finished_ns FROM runs"), INT64_MIN,
	             "still running");
	finish(db, id);
	cr_assert_eq(db_run_progress(db, id, &sum), -1, "a finished run is not updated");
	cr_assert_eq(db_close(db), 0);
}

Test(live_store, retention_deletes_old_rows_and_emptied_runs_but_keeps_the_live_run)
{
	char *path = db_path();
	struct db *db = open_ok(path);
	uint64_t old = NOW - 40 * DAY, recent = NOW - 1 * DAY;
	/* an old finished run: all its rows are old */
	int64_t gone = begin(db, "offline", "old");
	bucket_at(db, gone, "192.0.2.1", old);
	finish(db, gone);
	/* a finished run with old and recent rows */
	int64_t mixed = begin(db, "offline", "mixed");
	bucket_at(db, mixed, "192.0.2.2", old);
	bucket_at(db, mixed, "192.0.2.3", recent);
	finish(db, mixed);
	/* the running live run, with only old rows so far */
	int64_t live = begin(db, "live", "live:d");
	bucket_at(db, live, "192.0.2.4", old);
	struct db_capture_interval iv = {.start_ns = old, .end_ns = old + SEC, .capture = "pcap"};
	cr_assert_eq(db_capture_interval_add(db, live, &iv), 0);
	cr_assert_eq(db_flush(db), 0);

	int64_t n = db_retention_purge(db, NOW - 30 * DAY, live);
	cr_assert_gt(n, 0, "%s", db_errmsg(db));
	cr_assert_eq(db_close(db), 0);
	cr_assert_eq(test_sql_number(path, "SELECT count(*) FROM source_stats"), 1);
	cr_assert_eq(test_sql_number(path, "SELECT count(*) FROM source_stats WHERE source = "
	                                   "'192.0.2.3'"),
	             1);
	cr_assert_eq(test_sql_number(path, "SELECT count(*) FROM capture_intervals"), 0);
	cr_assert_eq(test_sql_number(path, "SELECT count(*) FROM runs WHERE fingerprint = 'old'"),
	             0, "an emptied finished run goes");
	cr_assert_eq(test_sql_number(path, "SELECT count(*) FROM runs WHERE fingerprint = 'mixed'"),
	             1);
	cr_assert_eq(test_sql_number(path, "SELECT count(*) FROM runs WHERE kind = 'live'"), 1,
	             "the running live run stays");
	/* rows deleted: 3 source_stats + 1 interval + 1 run */
	cr_assert_eq(n, 5);
}
