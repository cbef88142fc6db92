/*
 * test_db_bench.c - write throughput of the store (a benchmark, not a test:
 * it asserts row counts, never timings). Skipped unless DCV_BENCH=1:
 *   DCV_BENCH=1 build/tests/db_test_db_bench --verbose
 * Workload: 1,000,000 source_stats rows (20,000 sources x 50 buckets, each
 * bucket's sources in hash order, as the aggregation table emits them) and
 * 200,000 transactions, into a fresh file.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_read.h"
#include "test_support.h"

enum { BENCH_SOURCES = 20000, BENCH_BUCKETS = 50, BENCH_TXNS = 200000 };

static double clock_s(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time; the machine may be shared, so CPU time is reported too. */
static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* A bijection on 0..2^32-1: sources in a scrambled but repeatable order. */
static uint32_t scramble(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

Test(db_bench, write_one_million_source_rows_and_200k_transactions)
{
	if (getenv("DCV_BENCH") == NULL)
		cr_skip_test("benchmark: set DCV_BENCH=1 to run");
	char path[512];
	snprintf(path, sizeof(path), "%s/bench.db", test_tmpdir());
	struct db *db = NULL;
	char err[512];
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), 0, "%s", err);
	struct db_run_info info = {.kind = "offline",
	                           .inputs = "bench",
	                           .fingerprint = "bench",
	                           .bucket_len_s = 60,
	                           .timeout_ms = 2000};
	int64_t run = db_run_begin(db, &info);
	cr_assert_gt(run, 0);

	double t0 = now_s(), c0 = cpu_s();
	for (uint32_t k = 0; k < BENCH_BUCKETS; k++) {
		for (uint32_t s = 0; s < BENCH_SOURCES; s++) {
			uint32_t h = scramble(s);
			struct source_bucket b;
			memset(&b, 0, sizeof(b));
			if (s % 4 == 0) {
				uint8_t a6[16] = {0x20,
				                  0x01,
				                  0x0d,
				                  0xb8,
				                  [12] = (uint8_t)(h >> 24),
				                  (uint8_t)(h >> 16),
				                  (uint8_t)(h >> 8),
				                  (uint8_t)h};
				b.source = dcv_addr_v6(a6);
			} else {
				uint8_t a4[4] = {(uint8_t)(h >> 24), (uint8_t)(h >> 16),
				                 (uint8_t)(h >> 8), (uint8_t)h};
				b.source = dcv_addr_v4(a4);
			}
			b.bucket_start_ns = (1700000000ull + 60ull * k) * 1000000000ull;
			b.bucket_len_s = 60;
			b.queries = 10 + h % 1000;
			b.queries_udp = b.queries - h % 7;
			b.queries_tcp = h % 7;
			b.queries_edns = b.queries / 2;
			b.queries_do = b.queries / 3;
			b.retransmits = h % 3;
			b.responses = b.queries - 1;
			b.rcode[RCODE_SLOT_NOERROR] = b.responses - 2;
			b.rcode[RCODE_SLOT_SERVFAIL] = 1;
			b.rcode[RCODE_SLOT_REFUSED] = 1;
			b.unanswered = 1;
			b.peak_qps = h % 500;
			b.max_concurrent_tcp = h % 9;
			b.tcp_sessions = h % 11;
			b.latency_count = b.responses;
			b.latency_sum_us = b.responses * 1234;
			b.latency_max_us = 50000 + h % 100000;
			cr_assert_eq(db_source_bucket_add(db, run, &b), 0, "%s", db_errmsg(db));
		}
	}
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	double t1 = now_s(), c1 = cpu_s();
	for (uint32_t i = 0; i < BENCH_TXNS; i++) {
		uint32_t h = scramble(i);
		struct txn_record t;
		memset(&t, 0, sizeof(t));
		t.kind = i % 3 ? TXN_ANSWERED : TXN_UNANSWERED;
		t.query_ts_ns = 1700000000000000000ull + i * 1000000ull;
		t.latency_us = t.kind == TXN_ANSWERED ? h % 100000 : 0;
		uint8_t c4[4] = {(uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8),
		                 (uint8_t)h};
		uint8_t s4[4] = {192, 0, 2, 53};
		t.client = dcv_addr_v4(c4);
		t.server = dcv_addr_v4(s4);
		t.client_port = (uint16_t)(1024 + h % 60000);
		t.server_port = 53;
		t.transport = (enum dcv_transport)(h & 1);
		t.id = (uint16_t)h;
		t.qtype = i % 2 ? 257 : 16;
		t.rcode = t.kind == TXN_ANSWERED ? 2 : -1;
		t.query_edns = true;
		snprintf(t.qname, sizeof(t.qname), "_acme-challenge.host%u.example.com", h % 5000);
		cr_assert_eq(db_txn_add(db, run, &t), 0, "%s", db_errmsg(db));
	}
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	double t2 = now_s(), c2 = cpu_s();
	struct db_run_summary sum = {.complete = 1};
	cr_assert_eq(db_run_finish(db, run, &sum), 0, "%s", db_errmsg(db));
	cr_assert_eq(db_source_stats_count(db, run), (int64_t)BENCH_SOURCES * BENCH_BUCKETS);
	cr_assert_eq(db_txn_count(db, run), BENCH_TXNS);
	cr_assert_eq(db_close(db), 0);
	double t3 = now_s(), c3 = cpu_s();

	double rows = (double)BENCH_SOURCES * BENCH_BUCKETS;
	cr_log_info("source_stats: %.0f rows in %.2f s = %.0f rows/s", rows, t1 - t0,
	            rows / (t1 - t0));
	cr_log_info("transactions: %d rows in %.2f s = %.0f rows/s", BENCH_TXNS, t2 - t1,
	            BENCH_TXNS / (t2 - t1));
	cr_log_info("overall: %.0f rows in %.2f s = %.0f rows/s (finish+close %.2f s)",
	            rows + BENCH_TXNS, t3 - t0, (rows + BENCH_TXNS) / (t3 - t0), t3 - t2);
	/* the file is about 150 MB: do not leave it behind */
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char f[600];
		snprintf(f, sizeof(f), "%s%s", path, suffixes[i]);
		unlink(f);
	}
	*strrchr(path, '/') = '\0';
	rmdir(path);
	printf("db bench (wall): source_stats %.0f rows/s, transactions %.0f rows/s, overall "
	       "%.0f rows/s\n",
	       rows / (t1 - t0), BENCH_TXNS / (t2 - t1), (rows + BENCH_TXNS) / (t3 - t0));
	printf("db bench (cpu):  source_stats %.0f rows/s, transactions %.0f rows/s, overall "
	       "%.0f rows/s\n",
	       rows / (c1 - c0), BENCH_TXNS / (c2 - c1), (rows + BENCH_TXNS) / (c3 - c0));
}
