/* test_db_failures.c - the store fails with a clear message, never a crash,
 * on a read-only file, a locked database and a full disk; a failed batch is
 * all or nothing and can be retried. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "db_read.h"
#include "test_support.h"

static const char *db_path(void)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/store.db", test_tmpdir());
	return path;
}

static struct db *open_ok(const char *path)
{
	struct db *db = NULL;
	char err[512] = "";
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), 0, "db_open: %s", err);
	return db;
}

static int64_t begin_run(struct db *db, const char *fingerprint)
{
	struct db_run_info info = {.kind = "offline",
	                           .inputs = "x.pcap",
	                           .fingerprint = fingerprint,
	                           .started_ns = 1,
	                           .bucket_len_s = 60,
	                           .timeout_ms = 2000};
	return db_run_begin(db, &info);
}

static struct source_bucket nth_bucket(uint32_t i)
{
	struct source_bucket b;
	memset(&b, 0, sizeof(b));
	uint8_t a[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
	b.source = dcv_addr_v4(a);
	b.bucket_len_s = 60;
	b.queries = 1;
	b.latency_sum_us = 123456789; /* make rows a realistic size */
	return b;
}

/* Drops root so that file permissions apply (tests run as root in CI);
 * returns false when that is not possible here. */
static bool become_unprivileged(void)
{
	if (geteuid() != 0)
		return true;
	return setgid(65534) == 0 && setuid(65534) == 0 && geteuid() == 65534;
}

Test(db_failures, a_read_only_file_gives_an_error_not_a_crash)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_gt(begin_run(db, "fp"), 0);
	cr_assert_eq(db_close(db), 0);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(chmod(path, 0444), 0);
	if (!become_unprivileged())
		cr_skip_test("cannot drop root privileges here");

	char err[512] = "";
	db = NULL;
	int rc = db_open(&db, path, err, sizeof(err));
	if (rc == 0) {
		/* opened for reading: reads work, every write fails clearly */
		cr_assert_eq(db_run_count(db), 1);
		cr_assert_eq(begin_run(db, "fp2"), -1);
		cr_assert(strstr(db_errmsg(db), path) != NULL, "%s", db_errmsg(db));
		cr_assert(strstr(db_errmsg(db), "readonly") != NULL ||
		              strstr(db_errmsg(db), "READONLY") != NULL,
		          "%s", db_errmsg(db));
		db_close(db);
	} else {
		cr_assert_null(db);
		cr_assert(strstr(err, path) != NULL, "message names the file: %s", err);
		cr_log_info("read-only open refused: %s", err);
	}
}

Test(db_failures, a_file_in_a_read_only_directory_cannot_be_created)
{
	const char *parent = test_tmpdir();
	cr_assert_eq(chmod(parent, 0755), 0); /* reachable, so only "ro" refuses */
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/ro", parent);
	cr_assert_eq(mkdir(dir, 0555), 0);
	if (!become_unprivileged())
		cr_skip_test("cannot drop root privileges here");
	char path[600];
	snprintf(path, sizeof(path), "%s/new.db", dir);
	struct db *db = NULL;
	char err[700] = "";
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), -1);
	cr_assert(strstr(err, path) != NULL, "message names the file: %s", err);
	cr_assert(strstr(err, "unable to open") != NULL, "message says why: %s", err);
}

/* Holds the write lock from a second connection, as another process would. */
static sqlite3 *lock_writer(const char *path)
{
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return h;
}

Test(db_failures, a_locked_database_fails_after_the_busy_timeout_and_keeps_the_rows)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_eq(db_set_busy_timeout(db, 200), 0);
	int64_t run = begin_run(db, "fp");
	cr_assert_gt(run, 0);
	for (uint32_t i = 0; i < 100; i++) {
		struct source_bucket b = nth_bucket(i);
		cr_assert_eq(db_source_bucket_add(db, run, &b), 0);
	}

	sqlite3 *other = lock_writer(path);
	cr_assert_eq(db_flush(db), -1);
	cr_assert(strstr(db_errmsg(db), "locked") != NULL, "%s", db_errmsg(db));
	cr_assert(strstr(db_errmsg(db), path) != NULL, "%s", db_errmsg(db));
	cr_assert_eq(begin_run(db, "fp2"), -1);
	cr_assert(strstr(db_errmsg(db), "locked") != NULL, "%s", db_errmsg(db));
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);

	/* the lock is gone: the same rows are written on retry, once */
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_source_stats_count(db, run), 100);
	uint64_t q = 0;
	cr_assert_eq(db_sum_column(db, run, "source_stats", "queries", &q), 0);
	cr_assert_eq(q, 100);
	cr_assert_eq(db_close(db), 0);
}

Test(db_failures, finishing_a_run_while_locked_changes_nothing)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_eq(db_set_busy_timeout(db, 100), 0);
	int64_t first = begin_run(db, "fp");
	struct db_run_summary sum = {.complete = 1};
	cr_assert_eq(db_run_finish(db, first, &sum), 0, "%s", db_errmsg(db));
	int64_t second = begin_run(db, "fp");
	sqlite3 *other = lock_writer(path);
	cr_assert_eq(db_run_finish(db, second, &sum), -1);
	cr_assert(strstr(db_errmsg(db), "finish run") != NULL, "%s", db_errmsg(db));
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	cr_assert_eq(db_run_count(db), 2);
	cr_assert_eq(db_run_finish(db, second, &sum), 1, "%s", db_errmsg(db));
	cr_assert_eq(db_run_count(db), 1);
	cr_assert_eq(db_close(db), 0);
}

Test(db_failures, a_full_disk_fails_whole_batches_and_leaves_a_sound_file)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp");
	cr_assert_gt(run, 0);
	cr_assert_eq(db_flush(db), 0);

	/* The file size limit stands in for a full disk: writes past it fail
	 * with EFBIG (SIGXFSZ ignored), which SQLite reports as full/IO error. */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 512 * 1024;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);

	int failures = 0;
	uint32_t added = 0;
	for (uint32_t i = 0; i < 200000 && failures == 0; i++) {
		struct source_bucket b = nth_bucket(i);
		if (db_source_bucket_add(db, run, &b) != 0)
			failures++;
		else
			added++;
	}
	cr_assert_gt(failures, 0, "the limit was never reached");
	cr_log_info("full disk: %s", db_errmsg(db));
	cr_assert(strstr(db_errmsg(db), path) != NULL, "%s", db_errmsg(db));
	cr_assert(strstr(db_errmsg(db), "full") != NULL || strstr(db_errmsg(db), "I/O") != NULL,
	          "%s", db_errmsg(db));
	cr_assert_eq(db_flush(db), -1);

	/* space comes back: the queued batch is written on retry */
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_source_stats_count(db, run), added);
	uint64_t q = 0; /* each row once: a failed batch left nothing behind */
	cr_assert_eq(db_sum_column(db, run, "source_stats", "queries", &q), 0);
	cr_assert_eq(q, added);
	cr_assert_eq(db_close(db), 0);

	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

Test(db_failures, closing_with_rows_that_cannot_be_written_reports_failure)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_eq(db_set_busy_timeout(db, 50), 0);
	int64_t run = begin_run(db, "fp");
	struct source_bucket b = nth_bucket(1);
	cr_assert_eq(db_source_bucket_add(db, run, &b), 0);
	sqlite3 *other = lock_writer(path);
	cr_assert_eq(db_close(db), -1);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	db = open_ok(path);
	cr_assert_eq(db_source_stats_count(db, run), 0);
	cr_assert_eq(db_close(db), 0);
}
