/* test_bucket_pack.c - a queued source_stats row comes back unpacked as it
 * was packed, and damaged bytes are refused, never read past. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "bucket_pack.h"

static struct source_bucket sample(uint8_t family, uint64_t big)
{
	struct source_bucket b;
	memset(&b, 0, sizeof(b));
	uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x35};
	b.source = family == DCV_ADDR_V6 ? dcv_addr_v6(addr) : dcv_addr_v4(addr);
	b.bucket_start_ns = 1790000000000000000ull;
	b.bucket_len_s = 60;
	b.queries = big;
	b.queries_udp = big - 1;
	b.queries_tcp = 1;
	b.responses = 127;
	b.rcode[RCODE_SLOT_NOERROR] = 128;
	b.rcode[RCODE_SLOT_REFUSED] = 16383;
	b.rcode[RCODE_SLOT_OTHER] = 16384;
	b.unanswered = 3;
	b.peak_qps = UINT32_MAX;
	b.max_concurrent_tcp = 250;
	b.tcp_rejected = 2;
	b.tcp_stalled = 15;
	b.max_served_tcp = 25;
	b.latency_sum_us = UINT64_MAX;
	b.latency_max_us = 5000000;
	return b;
}

static void assert_round_trip(const struct source_bucket *in, int64_t run)
{
	uint8_t buf[DB_BUCKET_PACKED_MAX];
	size_t n = db_bucket_pack(buf, run, in);
	cr_assert(n > 0 && n <= sizeof(buf));
	struct source_bucket out;
	int64_t got_run = 0;
	cr_assert_eq(db_bucket_unpack(buf, n, &got_run, &out), n);
	cr_assert_eq(got_run, run);
	cr_assert(memcmp(&out.source, &in->source, sizeof(in->source)) == 0);
	cr_assert_eq(out.bucket_start_ns, in->bucket_start_ns);
	cr_assert_eq(out.bucket_len_s, in->bucket_len_s);
#define SAME(col, field) cr_assert_eq(out.field, in->field, #col);
	DB_BUCKET_SUM_COLUMNS(SAME)
	DB_BUCKET_MAX_COLUMNS(SAME)
#undef SAME
}

Test(bucket_pack, rows_come_back_as_they_were_packed)
{
	for (int fam = 0; fam < 2; fam++) {
		struct source_bucket b = sample(fam ? DCV_ADDR_V6 : DCV_ADDR_V4, UINT64_MAX);
		assert_round_trip(&b, 1);
		assert_round_trip(&b, INT64_MAX);
		b = sample(fam ? DCV_ADDR_V6 : DCV_ADDR_V4, 0x80);
		assert_round_trip(&b, 42);
	}
	/* every counter at its widest at once still fits the bound */
	struct source_bucket w = sample(DCV_ADDR_V6, UINT64_MAX);
#define WIDE(col, field) w.field = (__typeof__(w.field))UINT64_MAX;
	DB_BUCKET_SUM_COLUMNS(WIDE)
	DB_BUCKET_MAX_COLUMNS(WIDE)
#undef WIDE
	w.bucket_start_ns = UINT64_MAX;
	w.bucket_len_s = UINT32_MAX;
	assert_round_trip(&w, INT64_MAX);
}

Test(bucket_pack, a_common_row_takes_a_few_dozen_bytes)
{
	struct source_bucket b = sample(DCV_ADDR_V4, 12);
	uint8_t buf[DB_BUCKET_PACKED_MAX];
	size_t n = db_bucket_pack(buf, 3, &b);
	/* 62 bytes before schema 7 added tcp_stalled and max_served_tcp: a
	 * small counter costs one byte */
	cr_assert_lt(n, 66, "%zu bytes", n);
}

Test(bucket_pack, cut_or_damaged_bytes_are_refused)
{
	struct source_bucket b = sample(DCV_ADDR_V6, 300);
	uint8_t buf[DB_BUCKET_PACKED_MAX];
	size_t n = db_bucket_pack(buf, 9, &b);
	struct source_bucket out;
	int64_t run;
	for (size_t len = 0; len < n; len++)
		cr_assert_eq(db_bucket_unpack(buf, len, &run, &out), 0, "cut at %zu", len);
	uint8_t bad[DB_BUCKET_PACKED_MAX];
	memcpy(bad, buf, n);
	bad[1] = 5; /* the family byte after a one-byte run id */
	cr_assert_eq(db_bucket_unpack(bad, n, &run, &out), 0);
	/* a varint of more than 64 bits */
	memset(bad, 0xff, sizeof(bad));
	cr_assert_eq(db_bucket_unpack(bad, sizeof(bad), &run, &out), 0);
}
