/* test_report_queries.c - the report's per-source time series
 * (db_report_source_series(), db/report_queries.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "report_queries.h"
#include "run_fixture.h"
#include "test_support.h"

#define SEC    1000000000ull
#define T0     (1700000100ull * SEC) /* a multiple of the 5-minute step */
#define BUCKET 60ull
#define MIN(m) (T0 + (uint64_t)(m)*BUCKET * SEC)

static int64_t begin(struct db *db, const char *fp, uint64_t start_ns)
{
	return fx_run_begin(db, fp, start_ns, BUCKET);
}

static void bucket(struct db *db, int64_t id, const char *addr, unsigned minute, uint64_t queries,
                   uint32_t conc, uint64_t rejected)
{
	struct source_bucket b;
	memset(&b, 0, sizeof(b));
	cr_assert(dcv_addr_parse(addr, &b.source));
	b.bucket_start_ns = MIN(minute);
	b.bucket_len_s = BUCKET;
	b.queries = queries;
	b.responses = queries;
	b.rcode[RCODE_SLOT_NOERROR] = queries;
	b.max_concurrent_tcp = conc;
	b.tcp_rejected = rejected;
	cr_assert_eq(db_source_bucket_add(db, id, &b), 0, "%s", db_errmsg(db));
}

/* Run 1 holds minutes 0..9, run 2 minutes 20..29; 10.0.0.7 sends in
 * minutes 0, 1, 4 (a gap), 7 of run 1 and 20, 26 of run 2, among the
 * buckets of other sources. */
static struct db *fixture(void)
{
	char path[512], err[512] = "";
	snprintf(path, sizeof(path), "%s/series.db", test_tmpdir());
	struct db *db = NULL;
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), 0, "db_open: %s", err);
	int64_t r1 = begin(db, "one", T0);
	for (unsigned m = 0; m < 10; m++)
		bucket(db, r1, "10.0.0.1", m, 100, 1, 0);
	bucket(db, r1, "10.0.0.7", 0, 1, 2, 0);
	bucket(db, r1, "10.0.0.7", 1, 2, 25, 3);
	bucket(db, r1, "10.0.0.7", 4, 4, 5, 0);
	bucket(db, r1, "10.0.0.7", 7, 8, 9, 1);
	bucket(db, r1, "10.0.0.9", 7, 1000, 99, 99);
	fx_run_finish(db, r1, MIN(0), MIN(10) - 1);
	int64_t r2 = begin(db, "two", MIN(20));
	bucket(db, r2, "10.0.0.7", 20, 16, 1, 0);
	bucket(db, r2, "10.0.0.7", 26, 32, 1, 0);
	bucket(db, r2, "10.0.0.1", 29, 100, 1, 0);
	fx_run_finish(db, r2, MIN(20), MIN(30) - 1);
	return db;
}

struct pts {
	struct db_report_point p[16];
	unsigned n;
};

static int on_point(void *ctx, const struct db_report_point *p)
{
	struct pts *x = ctx;
	cr_assert_lt(x->n, 16);
	x->p[x->n++] = *p;
	return 0;
}

static void series(struct db *db, const struct rules_scope *scope, struct pts *x)
{
	memset(x, 0, sizeof(*x));
	int n = db_report_source_series(db, scope, "10.0.0.7", 5 * BUCKET * SEC, on_point, x);
	cr_assert_eq(n, (int)x->n, "%s", db_errmsg(db));
}

Test(report_queries, a_source_series_sums_its_own_buckets_of_every_run_per_step)
{
	struct db *db = fixture();
	struct pts x;
	const struct rules_scope span = {.run_id = 0, .from_ns = T0, .to_ns = MIN(60)};
	series(db, &span, &x);
	/* steps of 5 minutes: 0-4 (minutes 0, 1, 4), 5-9 (7), 20-24 (20), 25-29 (26) */
	cr_assert_eq(x.n, 4);
	cr_assert_str_eq(x.p[0].key, "10.0.0.7");
	cr_assert_eq(x.p[0].t_ns, MIN(0));
	cr_assert_eq(x.p[0].queries, 7);
	cr_assert_eq(x.p[0].max_concurrent_tcp, 25);
	cr_assert_eq(x.p[0].tcp_failed, 3);
	cr_assert_eq(x.p[1].t_ns, MIN(5));
	cr_assert_eq(x.p[1].queries, 8,
	             "another source's bucket of the same minute is not counted");
	cr_assert_eq(x.p[2].t_ns, MIN(20));
	cr_assert_eq(x.p[2].queries, 16);
	cr_assert_eq(x.p[3].t_ns, MIN(25));
	cr_assert_eq(x.p[3].queries, 32);
	db_close(db);
}

Test(report_queries, a_source_series_keeps_to_the_span_and_to_the_run)
{
	struct db *db = fixture();
	struct pts x;
	/* minutes 1 .. 20 exclusive: minute 0 and run 2 are outside */
	const struct rules_scope part = {.run_id = 0, .from_ns = MIN(1), .to_ns = MIN(20)};
	series(db, &part, &x);
	cr_assert_eq(x.n, 2);
	cr_assert_eq(x.p[0].queries, 6);
	cr_assert_eq(x.p[1].queries, 8);
	const struct rules_scope run2 = {.run_id = 2, .from_ns = 0, .to_ns = UINT64_MAX};
	series(db, &run2, &x);
	cr_assert_eq(x.n, 2);
	cr_assert_eq(x.p[0].queries + x.p[1].queries, 48);
	const struct rules_scope empty = {.run_id = 0, .from_ns = MIN(40), .to_ns = MIN(50)};
	series(db, &empty, &x);
	cr_assert_eq(x.n, 0);
	db_close(db);
}
