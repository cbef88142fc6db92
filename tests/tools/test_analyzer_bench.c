/* test_analyzer_bench.c - dcv-analyzer-bench runs the analyzer analyze runs:
 * the same rows come out of the same capture. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

/* dcv-analyzer-bench lives in tools/bench/ of the build tree, beside the
 * directory of dcvscope. */
static void bench_binary(char *out, size_t cap)
{
	snprintf(out, cap, "%s", DCV_BINARY);
	char *slash = strrchr(out, '/');
	cr_assert_not_null(slash);
	snprintf(slash, cap - (size_t)(slash - out), "/bench/dcv-analyzer-bench");
}

Test(analyzer_bench, counts_the_rows_analyze_stores)
{
	const char *dir = test_tmpdir();
	char bin[1024], cmd[4096], *out = NULL;
	bench_binary(bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "%s demo -o %s/demo.pcap >/dev/null", DCV_GEN_BINARY, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "%s analyze --no-rules --db %s/demo.db %s/demo.pcap >/dev/null",
	         DCV_BINARY, dir, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "%s --runs 2 %s/demo.pcap", bin, dir);
	cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
	unsigned long long frames = 0, buckets = 0, txns = 0;
	double seconds = -1;
	cr_assert_eq(sscanf(out, "frames=%llu seconds=%lf buckets=%llu transactions=%llu", &frames,
	                    &seconds, &buckets, &txns),
	             4, "unexpected output: %s", out);
	char db[1100];
	snprintf(db, sizeof(db), "%s/demo.db", dir);
	cr_expect_eq((long long)frames, (long long)test_sql_number(db, "SELECT frames FROM runs"));
	cr_expect_gt(buckets, 0);
	cr_expect_eq((long long)buckets,
	             (long long)test_sql_number(db, "SELECT count(*) FROM source_stats"));
	cr_expect_eq((long long)txns,
	             (long long)test_sql_number(db, "SELECT count(*) FROM transactions"));
	cr_expect_geq(seconds, 0);
	free(out);
}

Test(analyzer_bench, an_unreadable_file_exits_3_and_bad_usage_2)
{
	char bin[1024], cmd[2048];
	bench_binary(bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "%s /nonexistent/x.pcap 2>/dev/null", bin);
	cr_expect_eq(test_run(cmd, NULL), 3);
	snprintf(cmd, sizeof(cmd), "%s --runs 0 x.pcap 2>/dev/null", bin);
	cr_expect_eq(test_run(cmd, NULL), 2);
	snprintf(cmd, sizeof(cmd), "%s 2>/dev/null", bin);
	cr_expect_eq(test_run(cmd, NULL), 2);
}
