/* test_agg.c - per-source buckets: peaks, emission timing, bounded memory. */
#include <criterion/criterion.h>
#include <string.h>

#include "agg.h"

#define SEC 1000000000ULL

struct rows {
	struct source_bucket r[64];
	int n;
};

static int collect(void *ctx, const struct source_bucket *row)
{
	struct rows *rs = ctx;
	if (rs->n < 64)
		rs->r[rs->n] = *row;
	rs->n++;
	return 0;
}

static struct dcv_addr src(uint8_t last)
{
	uint8_t b[4] = {203, 0, 113, last};
	return dcv_addr_v4(b);
}

Test(agg, peak_qps_is_the_busiest_whole_second)
{
	struct rows rs = {0};
	struct agg_config cfg = {.bucket_len_s = 60};
	struct agg *a = agg_new(&cfg, collect, NULL, &rs);
	struct dcv_addr s = src(1);
	/* 3 queries in second 0, 5 in second 1, 2 in second 2 */
	int per_sec[3] = {3, 5, 2};
	for (int sec = 0; sec < 3; sec++)
		for (int i = 0; i < per_sec[sec]; i++) {
			uint64_t ts = (uint64_t)sec * SEC + (uint64_t)i * 1000;
			agg_count_query(a, agg_get(a, &s, ts), ts);
		}
	agg_flush(a);
	cr_assert_eq(rs.n, 1);
	cr_assert_eq(rs.r[0].queries, 10);
	cr_assert_eq(rs.r[0].peak_qps, 5);
	agg_free(a);
}

Test(agg, bucket_is_emitted_only_after_its_end_plus_grace)
{
	struct rows rs = {0};
	struct agg_config cfg = {.bucket_len_s = 60, .grace_ns = 5 * SEC};
	struct agg *a = agg_new(&cfg, collect, NULL, &rs);
	struct dcv_addr s = src(2);
	agg_count_query(a, agg_get(a, &s, 10 * SEC), 10 * SEC);
	agg_advance(a, 64 * SEC);
	cr_assert_eq(rs.n, 0);
	/* a late unanswered query still lands in the open bucket */
	agg_get(a, &s, 59 * SEC)->unanswered++;
	agg_advance(a, 65 * SEC);
	cr_assert_eq(rs.n, 1);
	cr_assert_eq(rs.r[0].unanswered, 1);
	cr_assert_eq(rs.r[0].bucket_start_ns, 0);
	agg_free(a);
}

Test(agg, sources_and_buckets_are_separate_rows)
{
	struct rows rs = {0};
	struct agg *a = agg_new(NULL, collect, NULL, &rs);
	struct dcv_addr s1 = src(1), s2 = src(2);
	agg_count_query(a, agg_get(a, &s1, 0), 0);
	agg_count_query(a, agg_get(a, &s2, 0), 0);
	agg_count_query(a, agg_get(a, &s1, 61 * SEC), 61 * SEC);
	agg_flush(a);
	cr_assert_eq(rs.n, 3);
	agg_free(a);
}

Test(agg, full_table_emits_oldest_early_and_loses_nothing)
{
	struct rows rs = {0};
	struct agg_config cfg = {.max_entries = 4};
	struct agg *a = agg_new(&cfg, collect, NULL, &rs);
	for (uint8_t i = 0; i < 10; i++) {
		struct dcv_addr s = src(i);
		agg_count_query(a, agg_get(a, &s, i), i);
	}
	cr_assert_eq(agg_evictions(a), 6);
	agg_flush(a);
	cr_assert_eq(rs.n, 10);
	uint64_t total = 0;
	for (int i = 0; i < rs.n; i++)
		total += rs.r[i].queries;
	cr_assert_eq(total, 10);
	agg_free(a);
}

static int failing(void *ctx, const struct source_bucket *row)
{
	(void)ctx;
	(void)row;
	return -1;
}

Test(agg, storage_failure_is_reported)
{
	struct agg *a = agg_new(NULL, failing, NULL, NULL);
	struct dcv_addr s = src(1);
	agg_count_query(a, agg_get(a, &s, 0), 0);
	cr_assert_eq(agg_flush(a), -1);
	agg_free(a);
}

struct seconds {
	struct source_second s[16];
	int n;
};

static int collect_second(void *ctx, const struct source_second *sec)
{
	struct seconds *ss = ctx;
	if (ss->n < 16)
		ss->s[ss->n] = *sec;
	ss->n++;
	return 0;
}

static int ignore_row(void *ctx, const struct source_bucket *row)
{
	(void)ctx;
	(void)row;
	return 0;
}

Test(agg, busy_seconds_are_reported_with_their_answers_and_quiet_ones_are_not)
{
	struct seconds ss = {0};
	struct agg_config cfg = {.second_min_queries = 10};
	struct agg *a = agg_new(&cfg, ignore_row, collect_second, &ss);
	struct dcv_addr s = src(7);
	/* second 5: 30 queries, 12 answered NOERROR, 3 REFUSED, 2 TC slips */
	for (int i = 0; i < 30; i++) {
		uint64_t ts = 5 * SEC + (uint64_t)i * 1000000;
		struct source_bucket *row = agg_get(a, &s, ts);
		agg_count_query(a, row, ts);
		if (i < 12)
			agg_count_response(a, row, ts + 1000, 0, false);
		else if (i < 15)
			agg_count_response(a, row, ts + 1000, 5, false);
		else if (i < 17)
			agg_count_response(a, row, ts + 1000, 0, true);
	}
	/* second 6: 9 queries, below the threshold */
	for (int i = 0; i < 9; i++) {
		uint64_t ts = 6 * SEC + (uint64_t)i * 1000000;
		agg_count_query(a, agg_get(a, &s, ts), ts);
	}
	agg_flush(a);
	cr_assert_eq(ss.n, 1);
	cr_assert_eq(ss.s[0].second_ns, 5 * SEC);
	cr_assert_eq(ss.s[0].queries, 30);
	cr_assert_eq(ss.s[0].responses, 17);
	cr_assert_eq(ss.s[0].rcode[RCODE_SLOT_NOERROR], 14);
	cr_assert_eq(ss.s[0].rcode[RCODE_SLOT_REFUSED], 3);
	cr_assert_eq(ss.s[0].truncated, 2);
	cr_assert(dcv_addr_equal(&ss.s[0].source, &s));
	agg_free(a);
}

/* Totals of the rows emitted, for tables too large to keep every row. */
struct sums {
	uint64_t rows, queries, mismatched;
};

static int sum_rows(void *ctx, const struct source_bucket *row)
{
	struct sums *s = ctx;
	s->rows++;
	s->queries += row->queries;
	/* source n (bytes 10.x.y.z, n = x<<16|y<<8|z) sent n % 3 + 1 queries */
	uint32_t n = (uint32_t)row->source.bytes[1] << 16 | (uint32_t)row->source.bytes[2] << 8 |
	             row->source.bytes[3];
	if (row->queries != n % 3 + 1)
		s->mismatched++;
	return 0;
}

/* 30,000 sources, each seen a few times interleaved with all others: the
 * chain heads double several times while rows are open, and every source
 * still finds its own row. */
Test(agg, many_sources_keep_their_rows_while_the_heads_grow)
{
	enum { N = 30000 };
	struct sums s = {0};
	struct agg *a = agg_new(NULL, sum_rows, NULL, &s);
	for (uint32_t round = 0; round < 3; round++)
		for (uint32_t n = 0; n < N; n++) {
			if (round > n % 3)
				continue;
			uint8_t b[4] = {10, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
			struct dcv_addr src4 = dcv_addr_v4(b);
			agg_count_query(a, agg_get(a, &src4, round * SEC), round * SEC);
		}
	agg_flush(a);
	cr_assert_eq(s.rows, N);
	cr_assert_eq(s.queries, N / 3 * (1 + 2 + 3));
	cr_assert_eq(s.mismatched, 0);
	cr_assert_eq(agg_evictions(a), 0);
	agg_free(a);
}
