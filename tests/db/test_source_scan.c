/* test_source_scan.c - per-source totals and per-CA series from one pass
 * over source_stats, in memory and through the SQL fallback
 * (db/source_scan.h). */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "dns_parse.h"
#include "live_store.h"
#include "mpic.h"
#include "source_scan.h"
#include "run_fixture.h"
#include "test_support.h"
#include "validator_store.h"

#define SEC    1000000000ull
#define T0     (1700000100ull * SEC) /* a multiple of the 5-minute step */
#define BUCKET 60ull

/* The file open_ok() opened last. */
static char opened[512];

static struct db *open_ok(void)
{
	char *path = opened, err[512] = "";
	snprintf(opened, sizeof(opened), "%s/scan.db", test_tmpdir());
	struct db *db = NULL;
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), 0, "db_open: %s", err);
	return db;
}

static int64_t begin(struct db *db, const char *fp, uint64_t start_ns)
{
	return fx_run_begin(db, fp, start_ns, BUCKET);
}

/* One bucket: queries all answered NOERROR but `lost`, and the TCP numbers. */
static void bucket(struct db *db, int64_t id, const char *addr, unsigned minute, uint64_t queries,
                   uint64_t lost, uint32_t conc, uint64_t rejected)
{
	struct source_bucket b;
	memset(&b, 0, sizeof(b));
	cr_assert(dcv_addr_parse(addr, &b.source));
	b.bucket_start_ns = T0 + minute * BUCKET * SEC;
	b.bucket_len_s = BUCKET;
	b.queries = queries;
	b.queries_udp = queries;
	b.responses = queries - lost;
	b.unanswered = lost;
	b.rcode[RCODE_SLOT_NOERROR] = queries - lost;
	b.rcode[RCODE_SLOT_FORMERR] = 0;
	b.rcode[RCODE_SLOT_NOTIMP] = rejected; /* any number, to be summed */
	b.retransmits = lost;
	b.peak_qps = (uint32_t)queries;
	b.max_concurrent_tcp = conc;
	b.tcp_rejected = rejected;
	cr_assert_eq(db_source_bucket_add(db, id, &b), 0, "%s", db_errmsg(db));
}

static void validator(struct db *db, int64_t id, const char *addr, const char *ca,
                      const char *region, enum mpic_confidence conf)
{
	struct mpic_source s;
	memset(&s, 0, sizeof(s));
	cr_assert(dcv_addr_parse(addr, &s.source));
	s.ca = ca;
	s.region = region;
	s.confidence = conf;
	snprintf(s.evidence, sizeof(s.evidence), "test");
	s.first_ns = T0;
	s.last_ns = T0 + 3600 * SEC;
	cr_assert_eq(db_validator_source_add(db, id, &s), 0, "%s", db_errmsg(db));
}

/*
 * Run 1 (minutes 0..9) and run 2 (minutes 20..29):
 *   10.0.0.1      minutes 0, 1, 2 of run 1: 10 queries each; TCP rejected in
 *                 minutes 1 (5 sessions) and 2 (3 sessions); 9 sessions in 0.
 *   198.18.0.1    a validator of digicert/ripe in run 1 and of
 *                 letsencrypt/arin in run 2: the greatest of each is kept
 *                 (letsencrypt, ripe).
 *   198.18.0.2    a validator of low confidence: not a validator.
 *   2001:db8::1   run 2 only.
 */
static struct db *fixture(void)
{
	struct db *db = open_ok();
	int64_t r1 = begin(db, "one", T0);
	bucket(db, r1, "10.0.0.1", 0, 10, 0, 9, 0);
	bucket(db, r1, "10.0.0.1", 1, 10, 2, 5, 4);
	bucket(db, r1, "10.0.0.1", 2, 10, 0, 3, 1);
	bucket(db, r1, "198.18.0.1", 0, 4, 1, 0, 0);
	bucket(db, r1, "198.18.0.1", 3, 6, 0, 0, 0);
	bucket(db, r1, "198.18.0.2", 3, 7, 7, 0, 0);
	validator(db, r1, "198.18.0.1", "digicert", "ripe", MPIC_CONF_LISTED);
	validator(db, r1, "198.18.0.2", "sectigo", "apnic", MPIC_CONF_LOW);
	fx_run_finish(db, r1, T0, T0 + 10 * BUCKET * SEC - 1);
	int64_t r2 = begin(db, "two", T0 + 20 * BUCKET * SEC);
	bucket(db, r2, "198.18.0.1", 20, 8, 0, 0, 0);
	bucket(db, r2, "2001:db8::1", 21, 1, 0, 0, 0);
	validator(db, r2, "198.18.0.1", "letsencrypt", "arin", MPIC_CONF_HIGH);
	fx_run_finish(db, r2, T0 + 20 * BUCKET * SEC, T0 + 30 * BUCKET * SEC - 1);
	return db;
}

struct got {
	struct db_rule_source s[16];
	struct db_report_point p[16];
	unsigned ns, np, stop_after;
};

static int on_source(void *ctx, const struct db_rule_source *s)
{
	struct got *g = ctx;
	cr_assert_lt(g->ns, 16);
	g->s[g->ns++] = *s;
	return g->stop_after && g->ns >= g->stop_after;
}

static int on_point(void *ctx, const struct db_report_point *p)
{
	struct got *g = ctx;
	cr_assert_lt(g->np, 16);
	g->p[g->np++] = *p;
	return 0;
}

static void scan_ok(struct db *db, const struct rules_scope *scope, unsigned max, struct got *g)
{
	memset(g, 0, sizeof(*g));
	struct db_source_scan scan = {.source = on_source,
	                              .source_ctx = g,
	                              .point = on_point,
	                              .point_ctx = g,
	                              .step_ns = 5 * BUCKET * SEC,
	                              .max_sources = max};
	cr_assert_eq(db_source_scan(db, scope, &scan), 0, "%s", db_errmsg(db));
	cr_assert_eq((unsigned)scan.nsources, g->ns);
	cr_assert_eq((unsigned)scan.npoints, g->np);
}

static const struct rules_scope SPAN = {.run_id = 0, .from_ns = T0, .to_ns = T0 + 3600 * SEC};

Test(source_scan, totals_are_summed_per_source_in_address_text_order)
{
	struct db *db = fixture();
	struct got g;
	scan_ok(db, &SPAN, 0, &g);
	cr_assert_eq(g.ns, 4);
	cr_assert_str_eq(g.s[0].source, "10.0.0.1");
	cr_assert_str_eq(g.s[1].source, "198.18.0.1");
	cr_assert_str_eq(g.s[2].source, "198.18.0.2");
	cr_assert_str_eq(g.s[3].source, "2001:db8::1");
	const struct db_rule_source *a = &g.s[0];
	cr_assert_str_eq(a->ca, "");
	cr_assert_eq(a->queries, 30);
	cr_assert_eq(a->unanswered, 2);
	cr_assert_eq(a->noerror, 28);
	cr_assert_eq(a->peak_qps, 10);
	cr_assert_eq(a->max_concurrent_tcp, 9);
	cr_assert_eq(a->tcp_rejected, 5);
	cr_assert_eq(a->notimp, 5);
	cr_assert_eq(a->formerr, 0);
	cr_assert_eq(a->other_rcode, 5, "other rcodes include NOTIMP");
	cr_assert_eq(a->retransmits, 2);
	cr_assert_eq(a->first_ns, T0);
	cr_assert_eq(a->last_ns, T0 + 3 * BUCKET * SEC);
	/* the buckets with rejected connections: minutes 1 and 2 */
	cr_assert_eq(a->fail_buckets, 2);
	cr_assert_eq(a->fail_conc_max, 5);
	cr_assert_eq(a->fail_conc_min, 3);
	cr_assert_eq(a->fail_first_ns, T0 + 1 * BUCKET * SEC);
	cr_assert_eq(a->fail_last_ns, T0 + 3 * BUCKET * SEC);
	db_close(db);
}

Test(source_scan, a_validator_of_two_runs_keeps_the_greatest_ca_and_region)
{
	struct db *db = fixture();
	struct got g;
	scan_ok(db, &SPAN, 0, &g);
	cr_assert_str_eq(g.s[1].ca, "letsencrypt");
	cr_assert_str_eq(g.s[1].region, "ripe");
	cr_assert_eq(g.s[1].queries, 18);
	cr_assert_eq(g.s[1].fail_buckets, 0);
	cr_assert_eq(g.s[1].fail_conc_min, 0);
	cr_assert_str_eq(g.s[2].ca, "", "a low-confidence validator is not one");
	db_close(db);
}

Test(source_scan, the_series_holds_validator_rows_per_ca_of_their_own_run)
{
	struct db *db = fixture();
	struct got g;
	scan_ok(db, &SPAN, 0, &g);
	/* digicert: run 1, minutes 0 and 3 (one 5-minute step); letsencrypt:
	 * run 2, minute 20 */
	cr_assert_eq(g.np, 2);
	cr_assert_str_eq(g.p[0].key, "digicert");
	cr_assert_eq(g.p[0].t_ns, T0);
	cr_assert_eq(g.p[0].queries, 10);
	cr_assert_eq(g.p[0].answered, 9);
	cr_assert_eq(g.p[0].failures, 1);
	cr_assert_eq(g.p[0].peak_qps, 6);
	cr_assert_str_eq(g.p[1].key, "letsencrypt");
	cr_assert_eq(g.p[1].queries, 8);
	db_close(db);
}

static void same_source(const struct db_rule_source *a, const struct db_rule_source *b)
{
	cr_assert_str_eq(a->source, b->source);
	cr_assert_str_eq(a->ca, b->ca, "%s", a->source);
	cr_assert_str_eq(a->region, b->region, "%s", a->source);
	const uint64_t *x = &a->queries, *y = &b->queries;
	size_t n = (size_t)((const char *)(&a->fail_last_ns + 1) - (const char *)x) / sizeof(*x);
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(x[k], y[k], "%s: number %zu", a->source, k);
}

static void same_point(const struct db_report_point *a, const struct db_report_point *b)
{
	cr_assert_str_eq(a->key, b->key);
	cr_assert_eq(a->t_ns, b->t_ns);
	cr_assert_eq(a->queries, b->queries);
	cr_assert_eq(a->answered, b->answered);
	cr_assert_eq(a->failures, b->failures);
	cr_assert_eq(a->peak_qps, b->peak_qps);
	cr_assert_eq(a->max_concurrent_tcp, b->max_concurrent_tcp);
	cr_assert_eq(a->tcp_failed, b->tcp_failed);
}

Test(source_scan, more_sources_than_memory_holds_give_the_same_answers_through_sql)
{
	struct db *db = fixture();
	const struct rules_scope scopes[] = {
	    SPAN,
	    {.run_id = 1, .from_ns = 0, .to_ns = UINT64_MAX},
	    {.run_id = 0, .from_ns = T0 + 2 * BUCKET * SEC, .to_ns = T0 + 21 * BUCKET * SEC},
	};
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		struct got mem, sql;
		scan_ok(db, &scopes[i], 0, &mem);
		scan_ok(db, &scopes[i], 1, &sql);
		cr_assert_gt(mem.ns, 1, "scope %zu", i);
		cr_assert_eq(mem.ns, sql.ns, "scope %zu", i);
		cr_assert_eq(mem.np, sql.np, "scope %zu", i);
		for (unsigned k = 0; k < mem.ns; k++)
			same_source(&mem.s[k], &sql.s[k]);
		for (unsigned k = 0; k < mem.np; k++)
			same_point(&mem.p[k], &sql.p[k]);
	}
	db_close(db);
}

Test(source_scan, a_callback_that_stops_ends_the_list_and_db_rule_sources_counts_it)
{
	struct db *db = fixture();
	struct got g;
	memset(&g, 0, sizeof(g));
	g.stop_after = 2;
	cr_assert_eq(db_rule_sources(db, &SPAN, on_source, &g), 2, "%s", db_errmsg(db));
	cr_assert_eq(g.ns, 2);
	cr_assert_str_eq(g.s[1].source, "198.18.0.1");
	db_close(db);
}

Test(source_scan, a_series_without_a_step_is_refused)
{
	struct db *db = fixture();
	struct got g;
	memset(&g, 0, sizeof(g));
	struct db_source_scan scan = {.point = on_point, .point_ctx = &g};
	cr_assert_eq(db_source_scan(db, &SPAN, &scan), -1);
	cr_assert(strstr(db_errmsg(db), "step") != NULL, "%s", db_errmsg(db));
	cr_assert_eq(db_report_ca_series(db, &SPAN, 0, on_point, &g), -1);
	db_close(db);
}

/* An order-sensitive digest of everything a pass hands on. */
struct digest {
	uint64_t h;
	unsigned sources, points;
};

static void mix(struct digest *d, const void *p, size_t len)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < len; i++)
		d->h = (d->h ^ b[i]) * 1099511628211ull;
}

static int digest_source(void *ctx, const struct db_rule_source *s)
{
	struct digest *d = ctx;
	d->sources++;
	mix(d, s->source, strlen(s->source));
	mix(d, s->ca, strlen(s->ca));
	mix(d, s->region, strlen(s->region));
	mix(d, &s->queries,
	    (size_t)((const char *)(&s->fail_last_ns + 1) - (const char *)&s->queries));
	return 0;
}

static int digest_point(void *ctx, const struct db_report_point *p)
{
	struct digest *d = ctx;
	d->points++;
	mix(d, p->key, strlen(p->key));
	mix(d, &p->t_ns, sizeof(*p) - offsetof(struct db_report_point, t_ns));
	return 0;
}

static struct digest digest_of_v(struct db *db, const struct rules_scope *scope, unsigned max,
                                 unsigned max_validators)
{
	struct digest d = {1469598103934665603ull, 0, 0};
	struct db_source_scan scan = {.source = digest_source,
	                              .source_ctx = &d,
	                              .point = digest_point,
	                              .point_ctx = &d,
	                              .step_ns = 5 * BUCKET * SEC,
	                              .max_sources = max,
	                              .max_validators = max_validators};
	cr_assert_eq(db_source_scan(db, scope, &scan), 0, "%s", db_errmsg(db));
	return d;
}

static struct digest digest_of(struct db *db, const struct rules_scope *scope, unsigned max)
{
	return digest_of_v(db, scope, max, 0);
}

Test(source_scan, hundreds_of_sources_give_the_same_answers_in_memory_and_through_sql)
{
	struct db *db = open_ok();
	int64_t r = begin(db, "many", T0);
	for (unsigned m = 0; m < 6; m++)
		for (unsigned i = 0; i < 300; i++) {
			if ((i + m) % 3 == 0)
				continue; /* not every source in every bucket */
			char addr[64];
			snprintf(addr, sizeof(addr), i % 2 ? "10.0.%u.%u" : "2001:db8::%u:%u",
			         i / 200, i % 200);
			bucket(db, r, addr, m, 1 + i % 17, i % 5 == 0, i % 7, i % 11 == 0 ? 1 : 0);
		}
	for (unsigned i = 0; i < 300; i += 10) {
		char addr[64];
		snprintf(addr, sizeof(addr), i % 2 ? "10.0.%u.%u" : "2001:db8::%u:%u", i / 200,
		         i % 200);
		validator(db, r, addr, i % 20 ? "digicert" : "google", "arin", MPIC_CONF_HIGH);
	}
	fx_run_finish(db, r, T0, T0 + 6 * BUCKET * SEC - 1);
	struct digest mem = digest_of(db, &SPAN, 0), sql = digest_of(db, &SPAN, 1);
	cr_assert_eq(mem.sources, 300);
	cr_assert_eq(mem.points, 4, "two CAs, two 5-minute steps");
	cr_assert_eq(mem.sources, sql.sources);
	cr_assert_eq(mem.points, sql.points);
	cr_assert_eq(mem.h, sql.h, "the same totals and series, in the same order");
	db_close(db);
}

/* Runs sql on the file open_ok() opened, through a connection of its own. */
static void sql_elsewhere(const char *sql)
{
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(opened, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
	sqlite3_close(h);
}

/* The digest of the sources' totals alone, and how the scan ended. */
static struct digest totals_of(struct db *db, const struct rules_scope *scope, unsigned max,
                               bool memory_only, int *rc)
{
	struct digest d = {1469598103934665603ull, 0, 0};
	struct db_source_scan scan = {.source = digest_source,
	                              .source_ctx = &d,
	                              .max_sources = max,
	                              .memory_only = memory_only};
	*rc = db_source_scan(db, scope, &scan);
	cr_assert_geq(*rc, 0, "%s", db_errmsg(db));
	return d;
}

/* A scope found to have too many sources for memory is read in source
 * order at once by the next scans, without first reading its rows into
 * memory until they are too many again: a memory-only scan gives up
 * without reading (rows deleted elsewhere do not show). */
Test(source_scan, a_scope_found_too_large_is_not_read_into_memory_again)
{
	struct db *db = fixture();
	int rc;
	struct digest mem = totals_of(db, &SPAN, 0, false, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(mem.sources, 4);
	totals_of(db, &SPAN, 3, true, &rc);
	cr_assert_eq(rc, 1, "more than 3 sources");
	struct digest sorted = totals_of(db, &SPAN, 3, false, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(sorted.h, mem.h, "read in source order, the same totals");
	sql_elsewhere("DELETE FROM source_stats WHERE source <> '10.0.0.1'");
	totals_of(db, &SPAN, 3, true, &rc);
	cr_assert_eq(rc, 1, "known: not read again");
	struct digest one = totals_of(db, &SPAN, 4, true, &rc);
	cr_assert_eq(rc, 0, "a larger memory reads the rows");
	cr_assert_eq(one.sources, 1);
	const struct rules_scope run2 = {.run_id = 2, .from_ns = 0, .to_ns = UINT64_MAX};
	totals_of(db, &run2, 3, true, &rc);
	cr_assert_eq(rc, 0, "another scope is read");
	db_close(db);
}

/* Rows deleted through the connection (here by the retention purge: the
 * first three minutes, and 10.0.0.1 with them) make it read them again. */
Test(source_scan, what_a_scan_found_is_forgotten_when_rows_are_deleted)
{
	struct db *db = fixture();
	int rc;
	totals_of(db, &SPAN, 3, true, &rc);
	cr_assert_eq(rc, 1);
	cr_assert_gt(db_retention_purge(db, T0 + 3 * BUCKET * SEC, 0), 0, "%s", db_errmsg(db));
	struct digest d = totals_of(db, &SPAN, 3, true, &rc);
	cr_assert_eq(rc, 0, "read again");
	cr_assert_eq(d.sources, 3);
	db_close(db);
}

/* Read in source order, a callback that stops ends the list there. */
Test(source_scan, a_callback_that_stops_ends_the_list_read_in_source_order)
{
	struct db *db = fixture();
	struct got g;
	memset(&g, 0, sizeof(g));
	g.stop_after = 2;
	struct db_source_scan scan = {.source = on_source, .source_ctx = &g, .max_sources = 1};
	cr_assert_eq(db_source_scan(db, &SPAN, &scan), 0, "%s", db_errmsg(db));
	cr_assert_eq(scan.nsources, 2);
	cr_assert_eq(g.ns, 2);
	cr_assert_str_eq(g.s[0].source, "10.0.0.1");
	cr_assert_str_eq(g.s[1].source, "198.18.0.1");
	db_close(db);
}

/* The pass reads the scope's validator rows once; with more of them than
 * it holds, it looks each source up instead, with the same answers. */
Test(source_scan, validators_looked_up_one_by_one_give_the_same_answers)
{
	struct db *db = fixture();
	struct digest held = digest_of_v(db, &SPAN, 0, 0), each = digest_of_v(db, &SPAN, 0, 1);
	cr_assert_eq(held.sources, 4);
	cr_assert_gt(held.points, 0, "validators have series points");
	cr_assert_eq(each.sources, held.sources);
	cr_assert_eq(each.points, held.points);
	cr_assert_eq(each.h, held.h);
	/* and a validator's CA reaches the totals either way */
	struct got g;
	scan_ok(db, &SPAN, 0, &g);
	cr_assert_str_eq(g.s[1].ca, "letsencrypt");
	db_close(db);
}

/* memory_only: beyond max_sources the pass gives up, hands on nothing and
 * says so, instead of answering through SQL. */
Test(source_scan, a_memory_only_pass_gives_up_beyond_its_sources)
{
	struct db *db = fixture();
	struct got g;
	memset(&g, 0, sizeof(g));
	struct db_source_scan scan = {
	    .source = on_source, .source_ctx = &g, .max_sources = 2, .memory_only = true};
	cr_assert_eq(db_source_scan(db, &SPAN, &scan), 1);
	cr_assert_eq(g.ns, 0);
	cr_assert_eq(scan.nsources, 0);
	scan.max_sources = 4; /* exactly as many as there are */
	cr_assert_eq(db_source_scan(db, &SPAN, &scan), 0, "%s", db_errmsg(db));
	cr_assert_eq(g.ns, 4);
	db_close(db);
}

/* The sources of scope without a series: their digest, and whether they
 * came from the totals added up as the rows were stored. */
static struct digest sources_of(struct db *db, const struct rules_scope *scope, bool *from_fold)
{
	struct digest d = {1469598103934665603ull, 0, 0};
	struct db_source_scan scan = {.source = digest_source, .source_ctx = &d};
	cr_assert_eq(db_source_scan(db, scope, &scan), 0, "%s", db_errmsg(db));
	*from_fold = scan.from_fold;
	return d;
}

/* A run whose rows are added up as they are stored (analyze) gives the
 * totals, validators' CA and region included, that reading the stored rows
 * gives; they are kept for later scans of the run until a validator or a
 * bucket row of it is stored, then the rows are read. */
Test(source_scan, a_run_added_up_as_it_is_stored_gives_the_stored_totals)
{
	struct db *db = open_ok();
	int64_t r = begin(db, "folded", T0);
	cr_assert_eq(db_source_fold_start(db, r, 0), 0, "%s", db_errmsg(db));
	for (unsigned m = 0; m < 4; m++)
		for (unsigned i = 0; i < 40; i++) {
			char addr[64];
			snprintf(addr, sizeof(addr), i % 2 ? "10.1.0.%u" : "2001:db8::%u", i);
			bucket(db, r, addr, m, 1 + (i + m) % 9, i % 4 == 0, i % 6,
			       (i + m) % 5 == 0);
		}
	validator(db, r, "10.1.0.3", "digicert", "ripe", MPIC_CONF_HIGH);
	validator(db, r, "10.1.0.5", "sectigo", "apnic", MPIC_CONF_LOW);
	fx_run_finish(db, r, T0, T0 + 4 * BUCKET * SEC - 1);
	const struct rules_scope run = {.run_id = r, .from_ns = 0, .to_ns = UINT64_MAX};
	bool folded, kept, read;
	cr_assert_not(db_source_scan_in_memory(db, &run), "nothing handed on yet");
	struct digest f = sources_of(db, &run, &folded), k = sources_of(db, &run, &kept);
	cr_assert(folded, "the first scan takes the added-up totals");
	cr_assert(kept, "the second scan walks them again");
	cr_assert(db_source_scan_in_memory(db, &run));
	cr_assert_not(db_source_scan_in_memory(db, &SPAN), "a time span reads rows");
	cr_assert_eq(f.sources, 40);
	cr_assert_eq(k.sources, 40);
	cr_assert_eq(f.h, k.h, "a second walk differs from the first");
	/* a validator row stored: the kept totals are dropped */
	validator(db, r, "10.9.9.9", "letsencrypt", "arin", MPIC_CONF_HIGH);
	cr_assert_not(db_source_scan_in_memory(db, &run));
	struct digest s = sources_of(db, &run, &read);
	cr_assert_not(read, "the rows are read once the totals were dropped");
	cr_assert_eq(f.sources, s.sources);
	cr_assert_eq(f.h, s.h, "the added-up totals differ from the stored rows");
	db_close(db);
}

/* A fold that outgrew its sources tells the next scans of the run: a
 * memory-only scan of no more sources gives up without reading a row
 * (rows deleted elsewhere, down to one source, do not show), a larger one
 * reads them. */
Test(source_scan, a_fold_that_outgrew_its_sources_spares_the_scans_a_pass_in_vain)
{
	struct db *db = open_ok();
	int64_t r = begin(db, "outgrown", T0);
	cr_assert_eq(db_source_fold_start(db, r, 2), 0, "%s", db_errmsg(db));
	bucket(db, r, "10.1.0.1", 0, 3, 0, 0, 0);
	bucket(db, r, "10.1.0.2", 0, 3, 0, 0, 0);
	bucket(db, r, "10.1.0.3", 0, 3, 0, 0, 0);
	fx_run_finish(db, r, T0, T0 + BUCKET * SEC - 1);
	sql_elsewhere("DELETE FROM source_stats WHERE source <> '10.1.0.1'");
	const struct rules_scope run = {.run_id = r};
	int rc;
	totals_of(db, &run, 2, true, &rc);
	cr_assert_eq(rc, 1, "known from the fold: no pass");
	struct digest d = totals_of(db, &run, 3, true, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(d.sources, 1);
	db_close(db);
}

/* With the background writer on, the fold thread adds the rows up (note 8
 * in db_internal.h): in batches handed over as they fill, the rest at the
 * run's flush. The totals are those of every stored row all the same. */
Test(source_scan, a_run_added_up_by_the_fold_thread_gives_the_stored_totals)
{
	struct db *db = open_ok();
	cr_assert_eq(db_set_background(db, true), 0, "%s", db_errmsg(db));
	int64_t r = begin(db, "fed", T0);
	cr_assert_eq(db_source_fold_start(db, r, 0), 0, "%s", db_errmsg(db));
	const unsigned n = 5003; /* not a whole number of hand-overs */
	for (unsigned m = 0; m < 3; m++)
		for (unsigned i = 0; i < n; i++) {
			char addr[64];
			snprintf(addr, sizeof(addr), i % 3 ? "10.%u.%u.1" : "2001:db8::%u:%u",
			         i >> 8, i & 255);
			bucket(db, r, addr, m, 1 + (i * 7 + m) % 13, i % 5 == 0, i % 3,
			       (i + m) % 7 == 0);
		}
	/* scanned at once: the scan waits for the thread to add up the rest */
	const struct rules_scope run = {.run_id = r, .from_ns = 0, .to_ns = UINT64_MAX};
	bool folded, read;
	struct digest f = sources_of(db, &run, &folded);
	cr_assert(folded, "the scan takes the added-up totals");
	cr_assert_eq(f.sources, n);
	cr_assert_eq(db_background_fold_rows(db), 3 * n, "every row went through the thread");
	fx_run_finish(db, r, T0, T0 + 3 * BUCKET * SEC - 1);
	/* a validator row stored: the kept totals are dropped, the rows read */
	validator(db, r, "10.99.9.9", "letsencrypt", "arin", MPIC_CONF_HIGH);
	struct digest s = sources_of(db, &run, &read);
	cr_assert_not(read);
	cr_assert_eq(s.sources, n);
	cr_assert_eq(f.h, s.h, "the thread's totals differ from the stored rows");
	db_close(db);
}

/* Four perspectives of one DigiCert-style attempt (TXT _dnsauth and TXT of
 * the name from 100.p.7.1), finished: four validator sources. */
static struct mpic *four_perspectives(void)
{
	struct mpic_config cfg = {0};
	struct mpic *m = mpic_new(&cfg, NULL);
	cr_assert_not_null(m);
	for (unsigned p = 0; p < 4; p++) {
		uint8_t b[4] = {100, (uint8_t)p, 7, 1};
		struct mpic_txn a = {.ts_ns = T0 + SEC + p * 1000000ull,
		                     .source = dcv_addr_v4(b),
		                     .qname = "_dnsauth.shop.example.net",
		                     .qtype = DNS_TYPE_TXT,
		                     .transport = DCV_TRANSPORT_UDP,
		                     .edns = true,
		                     .do_bit = true,
		                     .edns_udp_size = 1232,
		                     .answers = 1,
		                     .region = "unknown"};
		a.qname_len = (uint16_t)strlen(a.qname);
		struct mpic_txn t = a;
		t.qname = "shop.example.net";
		t.qname_len = (uint16_t)strlen(t.qname);
		mpic_on_txn(m, &a);
		mpic_on_txn(m, &t);
	}
	mpic_finish(m);
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_MEDIUM, NULL, NULL), 4);
	return m;
}

/* analyze reads the run's totals while its last batch is still being
 * written, with the validators' CA and region from the MPIC table: the
 * same totals as reading the stored rows. Storing that table's validators
 * keeps them (they are the rows they stand for); another table's drops
 * them. */
Test(source_scan, totals_read_before_the_store_equal_the_stored_rows)
{
	struct db *db = open_ok();
	int64_t r = begin(db, "early", T0);
	cr_assert_eq(db_source_fold_start(db, r, 0), 0, "%s", db_errmsg(db));
	for (unsigned m = 0; m < 2; m++)
		for (unsigned i = 0; i < 6; i++) {
			char addr[64];
			snprintf(addr, sizeof(addr), "100.%u.7.1", i);
			bucket(db, r, addr, m, 3 + i + m, i == 2, i % 3, 0);
		}
	struct mpic *mp = four_perspectives(), *other = four_perspectives();
	const struct rules_scope run = {.run_id = r, .from_ns = 0, .to_ns = UINT64_MAX};
	struct digest early = {1469598103934665603ull, 0, 0};
	struct db_source_scan scan = {.source = digest_source, .source_ctx = &early};
	cr_assert_eq(db_source_scan_early(db, r, mp, &scan), 0);
	cr_assert(scan.from_fold);
	cr_assert_eq(early.sources, 6);
	fx_run_finish(db, r, T0, T0 + 2 * BUCKET * SEC - 1);
	cr_assert_eq(db_validator_sources_store_range(db, r, mp, MPIC_CONF_MEDIUM,
	                                              DB_VALIDATOR_CONF_ALL, true),
	             4, "%s", db_errmsg(db));
	cr_assert_eq(
	    db_validator_sources_store_range(db, r, mp, MPIC_CONF_LOW, MPIC_CONF_MEDIUM, false), 0,
	    "%s", db_errmsg(db));
	cr_assert(db_source_scan_in_memory(db, &run), "the same table's rows keep the totals");
	bool folded, read;
	struct digest kept = sources_of(db, &run, &folded);
	cr_assert(folded);
	cr_assert_eq(kept.h, early.h);
	cr_assert_eq(db_validator_sources_store(db, r, other, MPIC_CONF_LOW), 4, "%s",
	             db_errmsg(db));
	cr_assert_not(db_source_scan_in_memory(db, &run), "another table's rows drop them");
	struct digest stored = sources_of(db, &run, &read);
	cr_assert_not(read);
	cr_assert_eq(stored.sources, 6);
	cr_assert_eq(stored.h, early.h, "the early totals differ from the stored rows");
	mpic_free(mp);
	mpic_free(other);
	db_close(db);
}

/* Totals kept after a scan are dropped when a bucket row is queued: the
 * next scan counts it. */
Test(source_scan, a_row_stored_after_a_scan_is_counted_by_the_next)
{
	struct db *db = open_ok();
	int64_t r = begin(db, "later", T0);
	cr_assert_eq(db_source_fold_start(db, r, 0), 0, "%s", db_errmsg(db));
	bucket(db, r, "10.0.0.1", 0, 5, 0, 0, 0);
	bucket(db, r, "10.0.0.2", 0, 7, 0, 0, 0);
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db));
	const struct rules_scope run = {.run_id = r, .from_ns = 0, .to_ns = UINT64_MAX};
	struct got g;
	memset(&g, 0, sizeof(g));
	struct db_source_scan scan = {.source = on_source, .source_ctx = &g};
	cr_assert_eq(db_source_scan(db, &run, &scan), 0, "%s", db_errmsg(db));
	cr_assert(scan.from_fold);
	cr_assert_eq(g.ns, 2);
	cr_assert(db_source_scan_in_memory(db, &run));
	bucket(db, r, "10.0.0.3", 1, 11, 0, 0, 0);
	bucket(db, r, "10.0.0.1", 1, 2, 0, 0, 0);
	cr_assert_not(db_source_scan_in_memory(db, &run));
	memset(&g, 0, sizeof(g));
	cr_assert_eq(db_source_scan(db, &run, &scan), 0, "%s", db_errmsg(db));
	cr_assert_not(scan.from_fold);
	cr_assert_eq(g.ns, 3);
	cr_assert_eq(g.s[0].queries, 7, "10.0.0.1: 5 + 2");
	cr_assert_eq(g.s[2].queries, 11);
	db_close(db);
}

/* A bucket stored in two parts (the analyzer's table was full): the store
 * merges them, the fold cannot, so the scan reads the merged rows. */
Test(source_scan, a_bucket_stored_in_parts_is_read_back_merged)
{
	struct db *db = open_ok();
	int64_t r = begin(db, "parts", T0);
	cr_assert_eq(db_source_fold_start(db, r, 0), 0, "%s", db_errmsg(db));
	bucket(db, r, "10.0.0.9", 1, 10, 0, 5, 2);
	bucket(db, r, "10.0.0.9", 2, 10, 0, 4, 1);
	cr_assert_eq(db_flush(db), 0, "%s", db_errmsg(db)); /* the first parts are stored */
	bucket(db, r, "10.0.0.9", 1, 6, 0, 3, 1);           /* the rest of minute 1 */
	fx_run_finish(db, r, T0, T0 + 4 * BUCKET * SEC - 1);
	const struct rules_scope run = {.run_id = r, .from_ns = 0, .to_ns = UINT64_MAX};
	struct got g;
	memset(&g, 0, sizeof(g));
	struct db_source_scan scan = {.source = on_source, .source_ctx = &g};
	cr_assert_eq(db_source_scan(db, &run, &scan), 0, "%s", db_errmsg(db));
	cr_assert_not(scan.from_fold);
	cr_assert_eq(g.ns, 1);
	cr_assert_eq(g.s[0].queries, 26);
	cr_assert_eq(g.s[0].tcp_rejected, 4);
	cr_assert_eq(g.s[0].fail_buckets, 2, "minute 1 is one bucket");
	cr_assert_eq(g.s[0].fail_conc_min, 4, "minute 1 reached 5 sessions");
	db_close(db);
}

/* Only the run's own scope takes the added-up totals. */
Test(source_scan, a_time_span_reads_the_stored_rows)
{
	struct db *db = open_ok();
	int64_t r = begin(db, "span", T0);
	cr_assert_eq(db_source_fold_start(db, r, 0), 0, "%s", db_errmsg(db));
	bucket(db, r, "10.0.0.7", 0, 3, 0, 0, 0);
	fx_run_finish(db, r, T0, T0 + BUCKET * SEC - 1);
	bool folded;
	struct digest d = sources_of(db, &SPAN, &folded);
	cr_assert_not(folded);
	cr_assert_eq(d.sources, 1);
	db_close(db);
}
