/* test_db.c - the SQLite store: schema and migrations, merging, runs,
 * batching and failures, each against a real file in a temp directory. */
#include <criterion/criterion.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_read.h"
#include "test_support.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static char *db_path(void)
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
	cr_assert_not_null(db);
	return db;
}

static int64_t begin_run(struct db *db, const char *fingerprint)
{
	struct db_run_info info = {
	    .kind = "offline",
	    .inputs = "a.pcap",
	    .fingerprint = fingerprint,
	    .started_ns = 1700000000000000000ull,
	    .bucket_len_s = 60,
	    .timeout_ms = 2000,
	};
	int64_t id = db_run_begin(db, &info);
	cr_assert_gt(id, 0, "db_run_begin: %s", db_errmsg(db));
	return id;
}

static int finish_run(struct db *db, int64_t run_id, const struct run_accounting *acc)
{
	struct db_run_summary sum = {
	    .finished_ns = 1700000001000000000ull,
	    .first_packet_ns = 1600000000000000000ull,
	    .last_packet_ns = 1600000060000000000ull,
	    .acc = acc,
	    .complete = 1,
	};
	int replaced = db_run_finish(db, run_id, &sum);
	cr_assert_geq(replaced, 0, "db_run_finish: %s", db_errmsg(db));
	return replaced;
}

static struct source_bucket bucket(const char *addr, uint64_t start_s)
{
	struct source_bucket b;
	memset(&b, 0, sizeof(b));
	cr_assert(dcv_addr_parse(addr, &b.source), "bad test address %s", addr);
	b.bucket_start_ns = start_s * 1000000000ull;
	b.bucket_len_s = 60;
	return b;
}

static void add_bucket(struct db *db, int64_t run_id, const struct source_bucket *b)
{
	cr_assert_eq(db_source_bucket_add(db, run_id, b), 0, "add: %s", db_errmsg(db));
}

/* Distinct address number i: 10.x.y.z. */
static struct source_bucket nth_bucket(uint32_t i, uint64_t start_s)
{
	char addr[32];
	snprintf(addr, sizeof(addr), "10.%u.%u.%u", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
	struct source_bucket b = bucket(addr, start_s);
	b.queries = 1;
	return b;
}

static struct txn_record txn(enum txn_kind kind, int32_t rcode)
{
	struct txn_record t;
	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.query_ts_ns = 1600000005123456789ull;
	t.latency_us = kind == TXN_ANSWERED ? 1500 : 0;
	cr_assert(dcv_addr_parse("2001:db8::53:1", &t.client));
	cr_assert(dcv_addr_parse("2001:db8::1", &t.server));
	t.client_port = 40000;
	t.server_port = 53;
	t.transport = DCV_TRANSPORT_TCP;
	t.id = 0xbeef;
	t.qtype = 257; /* CAA */
	t.rcode = rcode;
	t.tc = false;
	t.query_edns = true;
	t.query_do = true;
	snprintf(t.qname, sizeof(t.qname), "_acme-challenge.example.com");
	return t;
}

/* One integer from a second, raw connection (what another process sees). */
static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(h));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: no row", sql);
	int64_t v =
	    sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	             SQLITE_OK);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql,
	             msg ? msg : "");
	sqlite3_close(h);
}

static uint64_t sum(struct db *db, int64_t run_id, const char *table, const char *column)
{
	uint64_t v = 0;
	cr_assert_eq(db_sum_column(db, run_id, table, column, &v), 0, "sum %s.%s: %s", table,
	             column, db_errmsg(db));
	return v;
}

/* ------------------------------------------------------------------------
 * Open, schema, migrations
 * ------------------------------------------------------------------------ */

Test(db_schema, a_new_file_is_created_in_wal_mode_at_the_current_version)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int version = db_schema_version(db);
	cr_assert_geq(version, 1);
	cr_assert_eq(db_run_count(db), 0);
	cr_assert_eq(db_close(db), 0);

	cr_assert_eq(raw_int(path, "PRAGMA user_version"), version);
	cr_assert_eq(raw_int(path, "PRAGMA application_id"), 0x44435653);
	cr_assert_eq(raw_int(path, "PRAGMA page_size"), 16384);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
	                           "name IN ('runs', 'run_malformed', 'source_stats', "
	                           "'transactions')"),
	             4);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM pragma_journal_mode WHERE "
	                           "journal_mode = 'wal'"),
	             1);
}

Test(db_schema, reopening_keeps_the_data_and_the_version)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int version = db_schema_version(db);
	int64_t run = begin_run(db, "fp-reopen");
	struct source_bucket b = bucket("192.0.2.7", 120);
	b.queries = 42;
	add_bucket(db, run, &b);
	finish_run(db, run, NULL);
	cr_assert_eq(db_close(db), 0);

	db = open_ok(path);
	cr_assert_eq(db_schema_version(db), version);
	cr_assert_eq(db_run_count(db), 1);
	cr_assert_eq(db_run_latest(db, "fp-reopen"), run);
	cr_assert_eq(db_source_stats_count(db, run), 1);
	cr_assert_eq(sum(db, run, "source_stats", "queries"), 42);
	cr_assert_eq(db_close(db), 0);
}

/* Version 7 added source_stats.tcp_stalled and max_served_tcp: a version 6
 * file keeps its rows, which read 0 there, and takes the new counters. */
Test(db_schema, a_version_6_file_gains_the_stalled_session_counters)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_geq(db_schema_version(db), 7);
	int64_t run = begin_run(db, "fp-v6");
	struct source_bucket b = bucket("192.0.2.7", 120);
	b.queries = 42;
	add_bucket(db, run, &b);
	finish_run(db, run, NULL);
	cr_assert_eq(db_close(db), 0);
	raw_exec(path, "ALTER TABLE transactions DROP COLUMN resp_size;"
	               "ALTER TABLE transactions DROP COLUMN fragmented;"
	               "ALTER TABLE source_stats DROP COLUMN tcp_stalled;"
	               "ALTER TABLE source_stats DROP COLUMN max_served_tcp;"
	               "PRAGMA user_version = 6");

	db = open_ok(path);
	cr_assert_eq(raw_int(path, "PRAGMA user_version"), db_schema_version(db));
	cr_assert_eq(sum(db, run, "source_stats", "queries"), 42);
	cr_assert_eq(sum(db, run, "source_stats", "tcp_stalled"), 0);
	int64_t run2 = begin_run(db, "fp-v7");
	b = bucket("192.0.2.7", 180);
	b.tcp_stalled = 15;
	b.max_served_tcp = 25;
	add_bucket(db, run2, &b);
	finish_run(db, run2, NULL);
	cr_assert_eq(sum(db, run2, "source_stats", "tcp_stalled"), 15);
	cr_assert_eq(sum(db, run2, "source_stats", "max_served_tcp"), 25);
	cr_assert_eq(db_close(db), 0);
}

/* Version 8 added transactions.resp_size and fragmented: a version 7 file
 * keeps its rows, which read 0 there, and takes the new columns. */
Test(db_schema, a_version_7_file_gains_the_answer_size_columns)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_geq(db_schema_version(db), 8);
	int64_t run = begin_run(db, "fp-v7");
	struct txn_record t = txn(TXN_ANSWERED, 0);
	cr_assert_eq(db_txn_add(db, run, &t), 0, "%s", db_errmsg(db));
	finish_run(db, run, NULL);
	cr_assert_eq(db_close(db), 0);
	raw_exec(path, "ALTER TABLE transactions DROP COLUMN resp_size;"
	               "ALTER TABLE transactions DROP COLUMN fragmented;"
	               "PRAGMA user_version = 7");

	db = open_ok(path);
	cr_assert_eq(raw_int(path, "PRAGMA user_version"), db_schema_version(db));
	cr_assert_eq(sum(db, run, "transactions", "resp_size"), 0);
	int64_t run2 = begin_run(db, "fp-v8");
	t.transport = DCV_TRANSPORT_UDP;
	t.resp_size = 2961;
	t.fragmented = true;
	cr_assert_eq(db_txn_add(db, run2, &t), 0, "%s", db_errmsg(db));
	finish_run(db, run2, NULL);
	cr_assert_eq(sum(db, run2, "transactions", "resp_size"), 2961);
	cr_assert_eq(sum(db, run2, "transactions", "fragmented"), 1);
	cr_assert_eq(sum(db, run, "transactions", "fragmented"), 0);
	cr_assert_eq(db_close(db), 0);
}

Test(db_schema, a_file_from_a_newer_build_is_refused_and_left_alone)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int version = db_schema_version(db);
	cr_assert_eq(db_close(db), 0);
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
	raw_exec(path, sql);

	char err[512] = "";
	db = (struct db *)0x1; /* must stay unchanged on failure */
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), -1);
	cr_assert_eq(db, (struct db *)0x1);
	cr_assert(strstr(err, path) != NULL, "message names the file: %s", err);
	cr_assert(strstr(err, "newer") != NULL, "message says why: %s", err);
	cr_assert_eq(raw_int(path, "PRAGMA user_version"), version + 1);
}

Test(db_schema, a_file_that_is_not_a_database_gives_an_error_naming_it)
{
	const char *path = db_path();
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is a text file, not an SQLite database\n", f);
	fclose(f);

	struct db *db = NULL;
	char err[512] = "";
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), -1);
	cr_assert_null(db);
	cr_assert(strstr(err, path) != NULL, "message names the file: %s", err);
	cr_assert(strstr(err, "not a database") != NULL, "message says why: %s", err);
	size_t len = 0;
	char *text = test_read_file(path, &len);
	cr_assert_not_null(text);
	cr_assert_eq(strncmp(text, "this is a text file", 19), 0, "file was modified");
	free(text);
}

Test(db_schema, another_applications_database_is_not_written_to)
{
	const char *path = db_path();
	raw_exec(path, "CREATE TABLE customers (name TEXT)");
	struct db *db = NULL;
	char err[512] = "";
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not a dcvscope database") != NULL, "%s", err);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM sqlite_schema"), 1);
	cr_assert_eq(raw_int(path, "PRAGMA user_version"), 0);
}

Test(db_schema, a_path_in_a_missing_directory_gives_an_error_naming_it)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/no/such/dir/x.db", test_tmpdir());
	struct db *db = NULL;
	char err[700] = "";
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), -1);
	cr_assert(strstr(err, path) != NULL, "%s", err);
}

/* ------------------------------------------------------------------------
 * source_stats
 * ------------------------------------------------------------------------ */

Test(db_source_stats, two_parts_of_one_bucket_merge_into_exact_sums_and_maxima)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-merge");

	struct source_bucket a = bucket("198.51.100.9", 600), b = a;
	a.queries = 10, b.queries = 7;
	a.queries_udp = 9, b.queries_udp = 3;
	a.queries_tcp = 1, b.queries_tcp = 4;
	a.queries_edns = 8, b.queries_edns = 7;
	a.queries_do = 2, b.queries_do = 5;
	a.retransmits = 1, b.retransmits = 2;
	a.responses = 9, b.responses = 6;
	a.rcode[RCODE_SLOT_NOERROR] = 5, b.rcode[RCODE_SLOT_NOERROR] = 1;
	a.rcode[RCODE_SLOT_FORMERR] = 1, b.rcode[RCODE_SLOT_FORMERR] = 0;
	a.rcode[RCODE_SLOT_SERVFAIL] = 2, b.rcode[RCODE_SLOT_SERVFAIL] = 3;
	a.rcode[RCODE_SLOT_NXDOMAIN] = 0, b.rcode[RCODE_SLOT_NXDOMAIN] = 1;
	a.rcode[RCODE_SLOT_NOTIMP] = 0, b.rcode[RCODE_SLOT_NOTIMP] = 0;
	a.rcode[RCODE_SLOT_REFUSED] = 1, b.rcode[RCODE_SLOT_REFUSED] = 1;
	a.rcode[RCODE_SLOT_OTHER] = 0, b.rcode[RCODE_SLOT_OTHER] = 1;
	a.truncated = 1, b.truncated = 2;
	a.unanswered = 1, b.unanswered = 1;
	a.peak_qps = 8, b.peak_qps = 5;
	a.max_concurrent_tcp = 1, b.max_concurrent_tcp = 3;
	a.tcp_sessions = 1, b.tcp_sessions = 4;
	a.tcp_rejected = 0, b.tcp_rejected = 2;
	a.tcp_filtered = 3, b.tcp_filtered = 0;
	a.tcp_server_closed = 1, b.tcp_server_closed = 1;
	a.latency_count = 9, b.latency_count = 6;
	a.latency_sum_us = 90000, b.latency_sum_us = 1234567;
	a.latency_max_us = 40000, b.latency_max_us = 900000;
	add_bucket(db, run, &a);
	add_bucket(db, run, &b);
	/* a third part in a later batch merges into the stored row */
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	struct source_bucket c = bucket("198.51.100.9", 600);
	c.queries = 100;
	c.peak_qps = 50;
	add_bucket(db, run, &c);
	finish_run(db, run, NULL);

	cr_assert_eq(db_source_stats_count(db, run), 1);
	static const struct {
		const char *column;
		uint64_t want;
	} want[] = {
	    {"queries", 117},
	    {"queries_udp", 12},
	    {"queries_tcp", 5},
	    {"queries_edns", 15},
	    {"queries_do", 7},
	    {"retransmits", 3},
	    {"responses", 15},
	    {"noerror", 6},
	    {"formerr", 1},
	    {"servfail", 5},
	    {"nxdomain", 1},
	    {"notimp", 0},
	    {"refused", 2},
	    {"other_rcode", 1},
	    {"truncated", 3},
	    {"unanswered", 2},
	    {"peak_qps", 50},
	    {"max_concurrent_tcp", 3},
	    {"tcp_sessions", 5},
	    {"tcp_rejected", 2},
	    {"tcp_filtered", 3},
	    {"tcp_server_closed", 2},
	    {"latency_count", 15},
	    {"latency_sum_us", 1324567},
	    {"latency_max_us", 900000},
	    {"bucket_len_s", 60},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(sum(db, run, "source_stats", want[i].column), want[i].want,
		             "%s = %llu, want %llu", want[i].column,
		             (unsigned long long)sum(db, run, "source_stats", want[i].column),
		             (unsigned long long)want[i].want);
	cr_assert_eq(db_close(db), 0);
}

Test(db_source_stats, different_sources_and_buckets_stay_separate_rows)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-separate");
	const char *addrs[] = {"192.0.2.1", "192.0.2.2", "2001:db8::1"};
	for (size_t i = 0; i < 3; i++)
		for (uint64_t t = 0; t < 4; t++) {
			struct source_bucket b = bucket(addrs[i], 1000 + 60 * t);
			b.queries = 1;
			add_bucket(db, run, &b);
		}
	finish_run(db, run, NULL);
	cr_assert_eq(db_source_stats_count(db, run), 12);
	cr_assert_eq(sum(db, run, "source_stats", "queries"), 12);
	cr_assert_eq(db_close(db), 0);
}

Test(db_source_stats, addresses_are_stored_as_text_and_as_a_16_byte_blob)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-addr");
	struct source_bucket v4 = bucket("192.0.2.1", 60), v6 = bucket("2001:db8::abcd", 60);
	add_bucket(db, run, &v4);
	add_bucket(db, run, &v6);
	finish_run(db, run, NULL);
	cr_assert_eq(db_close(db), 0);

	cr_assert_eq(raw_int(path, "SELECT count(*) FROM source_stats WHERE source = '192.0.2.1' "
	                           "AND family = 4 AND source_bin = "
	                           "x'c0000201000000000000000000000000'"),
	             1);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM source_stats WHERE source = "
	                           "'2001:db8::abcd' AND family = 6 AND source_bin = "
	                           "x'20010db800000000000000000000abcd'"),
	             1);
	/* a CIDR range as a BLOB range: 192.0.2.0/24 */
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM source_stats WHERE family = 4 AND "
	                           "source_bin BETWEEN x'c0000200000000000000000000000000' AND "
	                           "x'c00002ff000000000000000000000000'"),
	             1);
	cr_assert_eq(raw_int(path, "SELECT bucket_start_ns FROM source_stats WHERE family = 4"),
	             60000000000);
}

Test(db_source_stats, rows_that_cannot_be_stored_are_refused_when_added)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-invalid");
	struct source_bucket b = bucket("192.0.2.1", 60);
	b.source.family = 0;
	cr_assert_eq(db_source_bucket_add(db, run, &b), -1);
	cr_assert(strstr(db_errmsg(db), "family") != NULL, "%s", db_errmsg(db));
	b = bucket("192.0.2.1", 60);
	cr_assert_eq(db_source_bucket_add(db, run + 99, &b), -1);
	cr_assert(strstr(db_errmsg(db), "no run with id") != NULL, "%s", db_errmsg(db));
	cr_assert_eq(db_source_bucket_add(db, run, &b), 0);
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_source_stats_count(db, run), 1);
	cr_assert_eq(db_close(db), 0);
}

/* ------------------------------------------------------------------------
 * transactions
 * ------------------------------------------------------------------------ */

Test(db_transactions, unanswered_queries_have_null_rcode_and_latency)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-txn");
	struct txn_record lost = txn(TXN_UNANSWERED, -1);
	struct txn_record failed = txn(TXN_ANSWERED, 2 /* SERVFAIL */);
	failed.tc = true;
	failed.transport = DCV_TRANSPORT_UDP;
	cr_assert_eq(db_txn_add(db, run, &lost), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_txn_add(db, run, &failed), 0, "%s", db_errmsg(db));
	finish_run(db, run, NULL);
	cr_assert_eq(db_txn_count(db, run), 2);
	cr_assert_eq(db_close(db), 0);

	cr_assert_eq(raw_int(path, "SELECT count(*) FROM transactions WHERE kind = 'unanswered' "
	                           "AND rcode IS NULL AND latency_us IS NULL AND tc = 0 AND "
	                           "transport = 'tcp'"),
	             1);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM transactions WHERE kind = 'answered' AND "
	                           "rcode = 2 AND latency_us = 1500 AND tc = 1 AND transport = "
	                           "'udp'"),
	             1);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM transactions WHERE qname = "
	                           "'_acme-challenge.example.com' AND qtype = 257 AND msg_id = "
	                           "48879 AND client = '2001:db8::53:1' AND client_port = 40000 "
	                           "AND server = '2001:db8::1' AND server_port = 53 AND family = 6 "
	                           "AND query_edns = 1 AND query_do = 1 AND query_ts_ns = "
	                           "1600000005123456789"),
	             2);
}

Test(db_transactions, a_name_without_terminator_is_cut_at_its_buffer)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-name");
	struct txn_record t = txn(TXN_UNANSWERED, -1);
	memset(t.qname, 'a', sizeof(t.qname)); /* no NUL anywhere */
	cr_assert_eq(db_txn_add(db, run, &t), 0, "%s", db_errmsg(db));
	finish_run(db, run, NULL);
	cr_assert_eq(db_close(db), 0);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT length(qname) FROM transactions");
	cr_assert_eq(raw_int(path, sql), (int64_t)sizeof(t.qname));
}

/* ------------------------------------------------------------------------
 * Runs
 * ------------------------------------------------------------------------ */

/* One run of the "same capture": 3 sources x 2 buckets, 2 transactions,
 * malformed counters; returns its id. */
static int64_t analyze_once(struct db *db, const char *fingerprint, int *replaced)
{
	int64_t run = begin_run(db, fingerprint);
	for (uint32_t i = 0; i < 3; i++)
		for (uint64_t t = 0; t < 2; t++) {
			struct source_bucket b = nth_bucket(i, 60 * t);
			b.queries = 5;
			add_bucket(db, run, &b);
		}
	struct txn_record t1 = txn(TXN_UNANSWERED, -1), t2 = txn(TXN_ANSWERED, 5);
	cr_assert_eq(db_txn_add(db, run, &t1), 0);
	cr_assert_eq(db_txn_add(db, run, &t2), 0);
	struct run_accounting acc;
	memset(&acc, 0, sizeof(acc));
	acc.frames = 1000;
	acc.dns_frames = 990;
	acc.malformed_frames = 10;
	acc.malformed[-DCV_E_IP_CHECKSUM] = 4;
	acc.malformed[-DCV_E_DNS_PTR_LOOP] = 6;
	*replaced = finish_run(db, run, &acc);
	return run;
}

Test(db_runs, finishing_stores_the_accounting_and_only_nonzero_malformed_reasons)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-acc");
	struct run_accounting acc;
	memset(&acc, 0, sizeof(acc));
	acc.frames = 12345;
	acc.bytes = 9876543210ull;
	acc.evictions = 17;
	acc.kernel_dropped = 3;
	acc.malformed[-DCV_E_TCP_GAP] = 2;
	finish_run(db, run, &acc);
	cr_assert_eq(sum(db, run, "runs", "frames"), 12345);
	cr_assert_eq(sum(db, run, "runs", "bytes"), 9876543210ull);
	cr_assert_eq(sum(db, run, "runs", "evictions"), 17);
	cr_assert_eq(sum(db, run, "runs", "kernel_dropped"), 3);
	cr_assert_eq(sum(db, run, "runs", "complete"), 1);
	uint64_t n = 99;
	cr_assert_eq(db_malformed_count(db, run, "tcp_gap", &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(db_malformed_count(db, run, "ip_checksum", &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(db_close(db), 0);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM run_malformed"), 1);
	cr_assert_eq(raw_int(path, "SELECT finished_ns FROM runs"), 1700000001000000000);
	cr_assert_eq(raw_int(path, "SELECT last_packet_ns FROM runs"), 1600000060000000000);
}

Test(db_runs, a_run_not_finished_has_no_finish_time)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	begin_run(db, "fp-open");
	cr_assert_eq(db_close(db), 0);
	cr_assert_eq(raw_int(path, "SELECT finished_ns FROM runs"), INT64_MIN /* NULL */);
	cr_assert_eq(raw_int(path, "SELECT complete FROM runs"), 0);
}

Test(db_runs, analyzing_the_same_input_twice_leaves_one_runs_rows)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int replaced = -1;
	int64_t first = analyze_once(db, "sha256:same", &replaced);
	cr_assert_eq(replaced, 0);
	int64_t second = analyze_once(db, "sha256:same", &replaced);
	cr_assert_eq(replaced, 1);
	cr_assert_neq(first, second);

	cr_assert_eq(db_run_count(db), 1);
	cr_assert_eq(db_run_latest(db, "sha256:same"), second);
	cr_assert_eq(db_source_stats_count(db, second), 6);
	cr_assert_eq(db_source_stats_count(db, first), 0);
	cr_assert_eq(db_txn_count(db, second), 2);
	cr_assert_eq(db_txn_count(db, first), 0);
	cr_assert_eq(sum(db, second, "source_stats", "queries"), 30);
	cr_assert_eq(sum(db, second, "run_malformed", "count"), 10);
	cr_assert_eq(db_close(db), 0);

	cr_assert_eq(raw_int(path, "SELECT count(*) FROM source_stats"), 6);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM transactions"), 2);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM run_malformed"), 2);
	cr_assert_eq(raw_int(path, "SELECT sum(queries) FROM source_stats"), 30);

	/* a third time, after reopening: still one run */
	db = open_ok(path);
	int64_t third = analyze_once(db, "sha256:same", &replaced);
	cr_assert_eq(replaced, 1);
	cr_assert_eq(db_run_count(db), 1);
	cr_assert_eq(db_run_latest(db, "sha256:same"), third);
	cr_assert_eq(db_close(db), 0);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM source_stats"), 6);
}

Test(db_runs, an_unfinished_earlier_run_of_the_same_input_is_replaced_too)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t crashed = begin_run(db, "fp-crash");
	struct source_bucket b = nth_bucket(1, 0);
	add_bucket(db, crashed, &b);
	cr_assert_eq(db_flush(db), 0);
	int replaced = -1;
	analyze_once(db, "fp-crash", &replaced);
	cr_assert_eq(replaced, 1);
	cr_assert_eq(db_source_stats_count(db, crashed), 0);
	cr_assert_eq(db_run_count(db), 1);
	cr_assert_eq(db_close(db), 0);
}

Test(db_runs, runs_with_different_fingerprints_coexist)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int replaced = -1;
	int64_t a = analyze_once(db, "sha256:aaaa", &replaced);
	cr_assert_eq(replaced, 0);
	int64_t b = analyze_once(db, "sha256:bbbb", &replaced);
	cr_assert_eq(replaced, 0);
	cr_assert_eq(db_run_count(db), 2);
	cr_assert_eq(db_source_stats_count(db, a), 6);
	cr_assert_eq(db_source_stats_count(db, b), 6);
	cr_assert_eq(db_txn_count(db, a), 2);
	cr_assert_eq(db_txn_count(db, b), 2);
	cr_assert_eq(db_close(db), 0);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM run_malformed"), 4);
}

Test(db_runs, a_run_must_have_a_known_kind_and_a_fingerprint)
{
	struct db *db = open_ok(db_path());
	struct db_run_info info = {.kind = "replay", .fingerprint = "x"};
	cr_assert_eq(db_run_begin(db, &info), -1);
	info.kind = "live";
	info.fingerprint = NULL;
	cr_assert_eq(db_run_begin(db, &info), -1);
	cr_assert_eq(db_run_count(db), 0);
	struct db_run_summary sum = {.complete = 1};
	cr_assert_eq(db_run_finish(db, 12345, &sum), -1);
	cr_assert(strstr(db_errmsg(db), "no run with id 12345") != NULL, "%s", db_errmsg(db));
	cr_assert_eq(db_close(db), 0);
}

/* ------------------------------------------------------------------------
 * Batching
 * ------------------------------------------------------------------------ */

Test(db_batch, a_batch_is_committed_when_it_reaches_the_batch_size)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-batch");
	uint32_t i = 0;
	for (; i < DB_BATCH_ROWS_DEFAULT - 1; i++) {
		struct source_bucket b = nth_bucket(i, 0);
		add_bucket(db, run, &b);
	}
	/* another process sees nothing yet: the rows are queued */
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM source_stats"), 0);
	struct source_bucket b = nth_bucket(i++, 0);
	add_bucket(db, run, &b);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM source_stats"), DB_BATCH_ROWS_DEFAULT);
	cr_assert_eq(db_close(db), 0);
}

Test(db_batch, rows_across_several_batches_are_all_kept)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-many");
	const uint32_t n_buckets = 2 * DB_BATCH_ROWS_DEFAULT + 7;
	const uint32_t n_txns = DB_BATCH_ROWS_DEFAULT + 3;
	for (uint32_t i = 0; i < n_buckets; i++) {
		struct source_bucket b = nth_bucket(i / 3, 60 * (i % 3));
		b.queries = i + 1;
		add_bucket(db, run, &b);
		if (i < n_txns) {
			struct txn_record t = txn(TXN_UNANSWERED, -1);
			t.id = (uint16_t)i;
			cr_assert_eq(db_txn_add(db, run, &t), 0, "%s", db_errmsg(db));
		}
	}
	cr_assert_eq(db_close(db), 0); /* close flushes the rest */

	db = open_ok(path);
	cr_assert_eq(db_source_stats_count(db, run), n_buckets);
	cr_assert_eq(db_txn_count(db, run), n_txns);
	cr_assert_eq(sum(db, run, "source_stats", "queries"),
	             (uint64_t)n_buckets * (n_buckets + 1) / 2);
	cr_assert_eq(db_close(db), 0);
}

Test(db_batch, the_background_writer_keeps_every_row_and_merges_parts)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_eq(db_set_background(db, true), 0, "%s", db_errmsg(db));
	int64_t run = begin_run(db, "fp-background");
	const uint32_t n = 3 * DB_BATCH_ROWS_DEFAULT + 11;
	for (uint32_t i = 0; i < n; i++) {
		/* every source twice, in different batches: the parts must merge */
		struct source_bucket b = nth_bucket(i % (n / 2), 0);
		b.queries = 1;
		b.peak_qps = i;
		add_bucket(db, run, &b);
		struct txn_record t = txn(TXN_UNANSWERED, -1);
		t.id = (uint16_t)i;
		/* a name of its own: names travel in the queue's arena */
		snprintf(t.qname, sizeof(t.qname), "n%u.example", i);
		cr_assert_eq(db_txn_add(db, run, &t), 0, "%s", db_errmsg(db));
	}
	/* reads wait for the writer and see every committed row after a flush */
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_source_stats_count(db, run), n / 2);
	cr_assert_eq(db_txn_count(db, run), n);
	cr_assert_eq(sum(db, run, "source_stats", "queries"), n);
	cr_assert_eq(raw_int(path, "SELECT max(peak_qps) FROM source_stats"), n - 1);
	cr_assert_eq(raw_int(path, "SELECT count(DISTINCT qname) FROM transactions"), n);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM transactions WHERE qname IN "
	                           "('n0.example', 'n100000.example', 'n300010.example')"),
	             3, "every row keeps its own name");
	cr_assert_eq(finish_run(db, run, NULL), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_close(db), 0);
}

Test(db_batch, the_background_writer_has_the_wal_checkpointed_by_another_thread)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_eq(db_set_background(db, true), 0, "%s", db_errmsg(db));
	int64_t run = begin_run(db, "fp-checkpoint");
	/* about 60 MB of transactions and their indexes: several thousand
	 * 16 KiB pages, far over the 1000 that call for a checkpoint */
	const uint32_t n = 2 * DB_BATCH_ROWS_DEFAULT;
	for (uint32_t i = 0; i < n; i++) {
		struct txn_record t = txn(TXN_UNANSWERED, -1);
		t.id = (uint16_t)i;
		snprintf(t.qname, sizeof(t.qname), "n%u.checkpoint.example", i);
		cr_assert_eq(db_txn_add(db, run, &t), 0, "%s", db_errmsg(db));
	}
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	/* the checkpointer runs after the commits that woke it: wait for it */
	for (int tries = 0; tries < 1000 && db_background_checkpoints(db) == 0; tries++)
		usleep(10000);
	cr_assert_gt(db_background_checkpoints(db), 0, "no checkpoint in the background");
	cr_assert_eq(finish_run(db, run, NULL), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_close(db), 0);
	/* the last close checkpointed the rest and removed the WAL: the file
	 * alone holds every row */
	char wal[PATH_MAX];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	cr_assert_eq(access(wal, F_OK), -1, "%s is left behind", wal);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM transactions"), n);
}

Test(db_batch, a_background_failure_is_reported_by_the_next_flush_and_rows_survive)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_eq(db_set_busy_timeout(db, 0), 0);
	cr_assert_eq(db_set_background(db, true), 0);
	int64_t run = begin_run(db, "fp-bg-fail");
	/* another connection holds the write lock while the batch is handed off */
	sqlite3 *other;
	cr_assert_eq(sqlite3_open(path, &other), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	/* exactly one background batch (handed off at the minimum, the writer
	 * being idle), which fails in the writer thread */
	for (uint32_t i = 0; i < DB_BG_BATCH_MIN_ROWS; i++) {
		struct source_bucket b = nth_bucket(i, 0);
		add_bucket(db, run, &b);
	}
	cr_assert_eq(db_flush(db), -1, "the lock makes the batch fail");
	cr_assert_not_null(strstr(db_errmsg(db), "lock"), "%s", db_errmsg(db));
	cr_assert_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_source_stats_count(db, run), DB_BG_BATCH_MIN_ROWS);
	cr_assert_eq(db_close(db), 0);
}

/* Rows committed so far, as another process sees them (each row added by
 * add_rows() counts one query). */
static int64_t committed(const char *path)
{
	return raw_int(path, "SELECT coalesce(sum(queries), 0) FROM source_stats");
}

/* Adds n rows of the bucket starting at start_s, for the sources first,
 * first + 1, ... counted modulo `sources`. */
static void add_rows(struct db *db, int64_t run, uint32_t first, uint32_t n, uint32_t sources,
                     uint64_t start_s)
{
	for (uint32_t i = 0; i < n; i++) {
		struct source_bucket b = nth_bucket((first + i) % sources, start_s);
		add_bucket(db, run, &b);
	}
}

Test(db_batch, batches_grow_while_they_land_all_over_their_table_and_shrink_as_they_append)
{
	enum { BASE = 1000 };
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_eq(db_set_batch_rows(db, BASE), 0, "%s", db_errmsg(db));
	int64_t run = begin_run(db, "fp-batch-size");
	/* BASE sources fill the empty table (appending), then their second
	 * parts are merged into every page of it: scattered */
	add_rows(db, run, 0, 2 * BASE, BASE, 0);
	cr_assert_eq(committed(path), 2 * BASE);
	/* the next batch is twice as large: it waits for 2 * BASE rows */
	add_rows(db, run, 0, 2 * BASE - 1, BASE, 0);
	cr_assert_eq(committed(path), 2 * BASE, "written at the base size");
	add_rows(db, run, 0, 1, BASE, 0);
	cr_assert_eq(committed(path), 4 * BASE, "not written at twice the base size");
	/* scattered again: 4 * BASE, the most */
	add_rows(db, run, 0, 4 * BASE - 1, BASE, 0);
	cr_assert_eq(committed(path), 4 * BASE, "written at twice the base size");
	add_rows(db, run, 0, 1, BASE, 0);
	cr_assert_eq(committed(path), 8 * BASE, "not written at 4 times the base size");
	/* scattered once more, and the batch stays at the most: rows of a
	 * later bucket (appending) are written at 4 * BASE */
	add_rows(db, run, 0, 4 * BASE, 4 * BASE, 60);
	cr_assert_eq(committed(path), 12 * BASE, "the batch grew past 4 times the base size");
	/* that batch appended: the next one is half as large, and the one
	 * after it, appending too, back at the base size */
	add_rows(db, run, 0, 2 * BASE - 1, 4 * BASE, 120);
	cr_assert_eq(committed(path), 12 * BASE, "the batch shrank by more than half");
	add_rows(db, run, 2 * BASE - 1, 1, 4 * BASE, 120);
	cr_assert_eq(committed(path), 14 * BASE, "the batch did not shrink");
	add_rows(db, run, 0, BASE - 1, 4 * BASE, 180);
	cr_assert_eq(committed(path), 14 * BASE);
	add_rows(db, run, BASE - 1, 1, 4 * BASE, 180);
	cr_assert_eq(committed(path), 15 * BASE, "the batch is not back at the base size");
	cr_assert_eq(db_source_stats_count(db, run), BASE + 4 * BASE + 2 * BASE + BASE);
	cr_assert_eq(db_close(db), 0);
}

/* Clients in an order of their own for the transactions batch tests:
 * arrival k of a batch is client (k % TXN_CLIENTS) * 7919 modulo
 * TXN_CLIENTS (a prime), twice each, the later query first for odd
 * clients. */
enum { TXN_CLIENTS = 10007 };

static uint32_t txn_client_of_arrival(uint32_t k)
{
	return (k % TXN_CLIENTS) * 7919 % TXN_CLIENTS;
}

/* Queues and writes one batch of 2 * TXN_CLIENTS transactions rows, those
 * of batch `nth` a thousand seconds after those of batch nth - 1. */
static void add_txn_batch(struct db *db, int64_t run, uint32_t nth)
{
	for (uint32_t k = 0; k < 2 * TXN_CLIENTS; k++) {
		uint32_t i = txn_client_of_arrival(k);
		uint32_t twice = k / TXN_CLIENTS;
		struct txn_record t = txn(TXN_UNANSWERED, -1);
		char addr[32];
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", (i >> 16) & 0xff, (i >> 8) & 0xff,
		         i & 0xff);
		cr_assert(dcv_addr_parse(addr, &t.client));
		t.query_ts_ns = 1000000000ull * (i + 1000ull * TXN_CLIENTS * nth) +
		                ((i % 2) ? 1 - twice : twice);
		t.client_port = (uint16_t)(1024 + i % 60000);
		snprintf(t.qname, sizeof(t.qname), "q%u.example", i);
		cr_assert_eq(db_txn_add(db, run, &t), 0, "%s", db_errmsg(db));
	}
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
}

/* Rows of batch nth (add_txn_batch()) whose id is out of the order they
 * came in, and those out of index transactions_client's order. */
static int64_t txn_rows_out_of_arrival(const char *path, uint32_t nth)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
	         "WITH b AS (SELECT id - (SELECT min(id) FROM transactions) - %u AS k,"
	         " query_ts_ns / 1000000000 %% %u AS i FROM transactions)"
	         " SELECT count(*) FROM b WHERE k >= 0 AND k < %u AND i <> (k %% %u) * 7919 %% %u",
	         2 * TXN_CLIENTS * nth, 1000 * TXN_CLIENTS, 2 * TXN_CLIENTS, TXN_CLIENTS,
	         TXN_CLIENTS);
	return raw_int(path, sql);
}

static int64_t txn_rows_out_of_client_order(const char *path, uint32_t nth)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
	         "WITH m AS (SELECT min(id) + %u AS lo FROM transactions)"
	         " SELECT count(*) FROM transactions a JOIN transactions b ON b.id = a.id + 1"
	         " WHERE a.id >= (SELECT lo FROM m) AND b.id < (SELECT lo FROM m) + %u"
	         " AND (b.client, b.query_ts_ns) < (a.client, a.query_ts_ns)",
	         2 * TXN_CLIENTS * nth, 2 * TXN_CLIENTS);
	return raw_int(path, sql);
}

Test(db_batch, transactions_rows_keep_the_order_they_came_and_each_its_own_fields)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-txn-order");
	add_txn_batch(db, run, 0);
	add_txn_batch(db, run, 1);
	/* every row kept its own client, name, time and port */
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM transactions WHERE"
	                           " client = '10.' || ((query_ts_ns / 1000000000 % 10007000)"
	                           " >> 16 & 255) || '.' || ((query_ts_ns / 1000000000"
	                           " % 10007000) >> 8 & 255) || '.' || ((query_ts_ns"
	                           " / 1000000000 % 10007000) & 255) AND qname = 'q' ||"
	                           " (query_ts_ns / 1000000000 % 10007000) || '.example'"
	                           " AND client_port = 1024 + (query_ts_ns / 1000000000"
	                           " % 10007000) % 60000"),
	             4 * TXN_CLIENTS);
	/* and the bytes of its own address */
	cr_assert_eq(raw_int(path, "SELECT count(DISTINCT client_bin) FROM transactions"),
	             TXN_CLIENTS);
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM (SELECT client FROM transactions"
	                           " GROUP BY client HAVING count(DISTINCT client_bin) > 1)"),
	             0);
	/* batches that fit in the page cache: ids in the order the rows came,
	 * which is what reads by time want */
	cr_assert_eq(txn_rows_out_of_arrival(path, 0), 0);
	cr_assert_eq(txn_rows_out_of_arrival(path, 1), 0);
	cr_assert_gt(txn_rows_out_of_client_order(path, 1), 0, "the check cannot fail");
	cr_assert_eq(db_close(db), 0);
}

Test(db_batch, transactions_rows_follow_the_client_index_while_batches_outgrow_the_cache)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-txn-spill");
	cr_assert_eq(db_set_cache_kib(db, 0), -1, "a cache of nothing accepted");
	cr_assert_eq(db_set_cache_kib(db, 64), 0, "%s", db_errmsg(db));
	/* the first batch comes in order, and outgrows four pages of cache */
	add_txn_batch(db, run, 0);
	cr_assert_eq(txn_rows_out_of_arrival(path, 0), 0);
	/* the next ones follow index transactions_client (client, time) */
	add_txn_batch(db, run, 1);
	cr_assert_eq(txn_rows_out_of_client_order(path, 1), 0, "not in the index's order");
	cr_assert_gt(txn_rows_out_of_arrival(path, 1), 0, "the check cannot fail");
	cr_assert_eq(db_set_cache_kib(db, 32768), 0, "%s", db_errmsg(db));
	add_txn_batch(db, run, 2);
	cr_assert_eq(txn_rows_out_of_client_order(path, 2), 0, "not in the index's order");
	/* that one fitted: back to the order they came */
	add_txn_batch(db, run, 3);
	cr_assert_eq(txn_rows_out_of_arrival(path, 3), 0);
	cr_assert_eq(db_close(db), 0);
}

Test(db_batch, a_batch_size_of_zero_is_refused)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	cr_assert_eq(db_set_batch_rows(db, 0), -1);
	cr_assert_eq(db_set_batch_rows(NULL, 10), -1);
	cr_assert_eq(db_close(db), 0);
}

Test(db_source_seconds, parts_of_one_busy_second_add_up)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-seconds");
	struct source_second sec;
	memset(&sec, 0, sizeof(sec));
	uint8_t a[4] = {198, 51, 100, 9};
	sec.source = dcv_addr_v4(a);
	sec.second_ns = 1700000005000000000ull;
	sec.queries = 40;
	sec.responses = 25;
	sec.rcode[RCODE_SLOT_NOERROR] = 20;
	sec.rcode[RCODE_SLOT_REFUSED] = 5;
	sec.truncated = 3;
	cr_assert_eq(db_source_second_add(db, run, &sec), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_source_second_add(db, run, &sec), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	cr_assert_eq(raw_int(path, "SELECT count(*) FROM source_seconds"), 1);
	cr_assert_eq(raw_int(path, "SELECT queries FROM source_seconds"), 80);
	cr_assert_eq(raw_int(path, "SELECT refused FROM source_seconds"), 10);
	cr_assert_eq(raw_int(path, "SELECT truncated FROM source_seconds"), 6);
	cr_assert_eq(
	    raw_int(path, "SELECT count(*) FROM source_seconds WHERE source = '198.51.100.9'"), 1);
	cr_assert_eq(db_close(db), 0);
}

/* ------------------------------------------------------------------------
 * Read helpers
 * ------------------------------------------------------------------------ */

Test(db_read, sum_column_accepts_only_known_counter_columns)
{
	const char *path = db_path();
	struct db *db = open_ok(path);
	int64_t run = begin_run(db, "fp-sum");
	uint64_t v = 77;
	cr_assert_eq(db_sum_column(db, run, "source_stats", "queries", &v), 0);
	cr_assert_eq(v, 0);
	v = 77;
	cr_assert_eq(
	    db_sum_column(db, run, "source_stats", "queries) FROM runs; DROP TABLE runs; --", &v),
	    -1);
	cr_assert_eq(v, 77);
	cr_assert(strstr(db_errmsg(db), "no counter column") != NULL, "%s", db_errmsg(db));
	cr_assert_eq(db_sum_column(db, run, "sqlite_schema", "rootpage", &v), -1);
	cr_assert_eq(db_sum_column(db, run, "source_stats", "source", &v), -1);
	cr_assert_eq(db_sum_column(db, run, "transactions", "queries", &v), -1);
	cr_assert_eq(db_run_count(db), 1);
	cr_assert_eq(db_close(db), 0);
}
