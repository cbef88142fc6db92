/* report_queries.c - the nightly report's read queries (report_queries.h). */
#include "report_queries.h"

#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "source_scan.h"

/* The scope condition (db_internal.h). */
#define SCOPE(run, t) DB_SCOPE(run, t)

/* Runs overlapping the scope: the run itself, or runs whose packet span
 * (started_ns until the first packet is known) meets [from, to). */
#define RUN_IN_SCOPE(r)                                                                            \
	"((?1 > 0 AND " r ".id = ?1) OR (?1 = 0 AND coalesce(" r ".first_packet_ns, " r            \
	".started_ns) < ?3 AND coalesce(" r ".last_packet_ns, " r ".started_ns) >= ?2))"

/* What a step of a series counts as failed. */
#define FAILURES "(s.unanswered + s.servfail + s.refused + s.tcp_rejected + s.tcp_filtered)"

static void copy_text(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src != NULL ? (const char *)src : "");
}

/* Steps st to the end, every column after the first ntext into out[]. */
static int step_numbers(struct db *db, const char *op, sqlite3_stmt *st, uint64_t *const *out,
                        size_t nout, int first)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		for (size_t c = 0; c < nout; c++)
			*out[c] = (uint64_t)sqlite3_column_int64(st, (int)c + first);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return rc == SQLITE_ROW;
}

int db_report_coverage(struct db *db, const struct rules_scope *scope,
                       struct db_report_coverage *out)
{
	const char *op = "report: read coverage";
	struct db_report_coverage c;
	memset(&c, 0, sizeof(c));
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT count(*), coalesce(sum(kind = 'live'), 0),"
	    " coalesce(sum(complete = 0 AND finished_ns IS NOT NULL), 0),"
	    " coalesce(min(first_packet_ns), 0), coalesce(max(last_packet_ns), 0),"
	    " coalesce(max(bucket_len_s), 0), coalesce(sum(frames), 0),"
	    " coalesce(sum(dns_frames), 0), coalesce(sum(not_ip + other_proto + other_port), 0),"
	    " coalesce(sum(queries), 0), coalesce(sum(responses), 0),"
	    " coalesce(sum(kernel_dropped), 0), coalesce(sum(snap_truncated), 0),"
	    " coalesce(sum(malformed_frames), 0), coalesce(sum(dns_malformed), 0),"
	    " coalesce(sum(unsupported_link), 0), coalesce(sum(evictions), 0)"
	    " FROM runs r WHERE " RUN_IN_SCOPE("r"),
	    scope);
	if (st == NULL)
		return -1;
	uint64_t *const runs[] = {
	    &c.runs,           &c.runs_live,        &c.runs_incomplete, &c.first_packet_ns,
	    &c.last_packet_ns, &c.bucket_len_s,     &c.frames,          &c.dns_frames,
	    &c.not_dns,        &c.queries,          &c.responses,       &c.kernel_dropped,
	    &c.snap_truncated, &c.malformed_frames, &c.dns_malformed,   &c.unsupported_link,
	    &c.evictions};
	int rc = step_numbers(db, op, st, runs, sizeof(runs) / sizeof(runs[0]), 0);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	st = db_prepare_scoped(db, op,
	                       "SELECT count(*), coalesce(sum(frames), 0),"
	                       " coalesce(sum(kernel_dropped), 0), coalesce(sum(if_dropped), 0),"
	                       " coalesce(sum(ringbuf_dropped), 0), coalesce(sum(truncated), 0)"
	                       " FROM capture_intervals i WHERE " SCOPE("i.run_id", "i.end_ns"),
	                       scope);
	if (st == NULL)
		return -1;
	uint64_t *const iv[] = {&c.intervals,     &c.iv_frames,          &c.iv_kernel_dropped,
	                        &c.iv_if_dropped, &c.iv_ringbuf_dropped, &c.iv_truncated};
	rc = step_numbers(db, op, st, iv, sizeof(iv) / sizeof(iv[0]), 0);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	*out = c;
	return 0;
}

int db_report_malformed(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                        void *ctx)
{
	const char *op = "report: read malformed packets by reason";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT m.reason, sum(m.count) FROM run_malformed m JOIN runs r ON r.id = m.run_id"
	    " WHERE " RUN_IN_SCOPE("r") " GROUP BY m.reason ORDER BY sum(m.count) DESC, m.reason",
	    scope);
	return db_rows_run(db, op, st, 1, fn, ctx);
}

int db_run_points(struct db *db, const char *op, sqlite3_stmt *st, db_report_point_fn fn, void *ctx)
{
	if (st == NULL)
		return -1;
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_report_point p;
		memset(&p, 0, sizeof(p));
		copy_text(p.key, sizeof(p.key), sqlite3_column_text(st, 0));
		uint64_t *const out[] = {&p.t_ns,      &p.queries,  &p.answered,
		                         &p.failures,  &p.peak_qps, &p.max_concurrent_tcp,
		                         &p.tcp_failed};
		for (size_t c = 0; c < sizeof(out) / sizeof(out[0]); c++)
			*out[c] = (uint64_t)sqlite3_column_int64(st, (int)c + 1);
		n++;
		if (fn(ctx, &p) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return n;
}

/* The step a row falls in: ?4 is the step in ns. */
#define STEP(t) "((" t " / ?4) * ?4)"

#define SERIES_COLUMNS                                                                             \
	" sum(s.queries), sum(s.noerror + s.nxdomain), sum(" FAILURES "), max(s.peak_qps),"        \
	" max(s.max_concurrent_tcp), sum(s.tcp_rejected + s.tcp_filtered)"

int db_report_ca_series(struct db *db, const struct rules_scope *scope, uint64_t step_ns,
                        db_report_point_fn fn, void *ctx)
{
	if (fn == NULL)
		return db_set_err(db, "report: read the time series per CA: no callback");
	struct db_source_scan scan = {.point = fn, .point_ctx = ctx, .step_ns = step_ns};
	return db_source_scan(db, scope, &scan) == 0 ? scan.npoints : -1;
}

/* Prepares a per-source series statement: ?4 the step, ?5 the source. */
static sqlite3_stmt *prepare_source(struct db *db, const char *op, const char *sql,
                                    const struct rules_scope *scope, const char *source,
                                    uint64_t step_ns)
{
	if (step_ns == 0 || source == NULL) {
		db_set_err(db, "%s: step must be > 0 and a source given", op);
		return NULL;
	}
	sqlite3_stmt *st = db_prepare_scoped(db, op, sql, scope);
	if (st != NULL) {
		db_bind_u64(st, 4, step_ns);
		sqlite3_bind_text(st, 5, source, -1, SQLITE_TRANSIENT);
	}
	return st;
}

/*
 * One source's buckets are found by key, not by scanning the span: the key
 * of source_stats is (run_id, bucket_start_ns, source) and a run's buckets
 * start on a grid of its bucket length (schema.c: "a multiple of
 * bucket_len_s seconds"), so the query walks each run's grid from its first
 * to its last bucket in the span and looks (run, start, source) up: one
 * b-tree search per bucket instead of reading every source's rows (0.2 s
 * per chart over a week of 10 000 sources).
 */
int db_report_source_series(struct db *db, const struct rules_scope *scope, const char *source,
                            uint64_t step_ns, db_report_point_fn fn, void *ctx)
{
	const char *op = "report: read the time series of a source";
	sqlite3_stmt *st = prepare_source(
	    db, op,
	    "WITH RECURSIVE r AS (SELECT id, bucket_len_s * 1000000000 AS len,"
	    " (SELECT min(x.bucket_start_ns) FROM source_stats x WHERE x.run_id = runs.id"
	    " AND x.bucket_start_ns >= ?2) AS lo,"
	    " (SELECT max(x.bucket_start_ns) FROM source_stats x WHERE x.run_id = runs.id"
	    " AND x.bucket_start_ns < ?3) AS hi FROM runs WHERE " DB_SCOPE_RUNS
	    " AND bucket_len_s > 0),"
	    " grid(run, t, hi, len) AS (SELECT id, lo, hi, len FROM r WHERE lo <= hi"
	    " UNION ALL SELECT run, t + len, hi, len FROM grid WHERE t + len <= hi)"
	    " SELECT s.source, (s.bucket_start_ns / ?4) * ?4 AS step," SERIES_COLUMNS
	    " FROM grid JOIN source_stats s ON s.run_id = grid.run AND s.bucket_start_ns = grid.t"
	    " AND s.source = ?5 GROUP BY step ORDER BY step",
	    scope, source, step_ns);
	return db_run_points(db, op, st, fn, ctx);
}

int db_report_source_seconds(struct db *db, const struct rules_scope *scope, const char *source,
                             uint64_t step_ns, db_report_point_fn fn, void *ctx)
{
	const char *op = "report: read the busy seconds of a source";
	sqlite3_stmt *st = prepare_source(
	    db, op,
	    "SELECT s.source, " STEP(
	        "s.second_ns") " AS step, max(s.queries),"
	                       " max(s.noerror + s.nxdomain), sum(s.queries - s.noerror - "
	                       "s.nxdomain), max(s.queries),"
	                       " 0, 0 FROM source_seconds s WHERE " SCOPE(
	                           "s.run_id",
	                           "s.second_ns") " AND s.source = ?5 GROUP BY step ORDER BY step",
	    scope, source, step_ns);
	return db_run_points(db, op, st, fn, ctx);
}

int db_report_attempts(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn, void *ctx)
{
	const char *op = "report: read validation attempts";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT a.ca, a.perspectives, a.usable, count(*), sum(a.status = 'corroborated'),"
	    " sum(a.status = 'at_risk'), sum(a.status = 'failed') FROM attempts a WHERE " SCOPE(
	        "a.run_id", "a.first_ns") " GROUP BY a.ca, a.perspectives, a.usable"
	                                  " ORDER BY a.ca, a.perspectives DESC, a.usable DESC",
	    scope);
	return db_rows_run(db, op, st, 1, fn, ctx);
}

int db_report_failing_names(struct db *db, const struct rules_scope *scope, unsigned limit,
                            db_rule_row_fn fn, void *ctx)
{
	const char *op = "report: read the names that failed most";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT t.qname, coalesce(group_concat(DISTINCT v.ca), ''), count(*),"
	    " sum(t.kind = 'unanswered'), sum(t.rcode = 2), sum(t.rcode = 5),"
	    " sum(t.kind = 'answered' AND t.rcode NOT IN (0, 2, 3, 5)), count(DISTINCT t.client),"
	    " count(v.ca) FROM transactions t LEFT JOIN validator_sources v ON v.run_id = t.run_id"
	    " AND v.source = t.client AND v.confidence <> 'low'"
	    " WHERE " SCOPE("t.run_id", "t.query_ts_ns") " AND (t.kind = 'unanswered'"
	                                                 " OR t.rcode NOT IN (0, 3)) GROUP BY "
	                                                 "t.qname ORDER BY count(*) DESC, t.qname"
	                                                 " LIMIT ?4",
	    scope);
	if (st != NULL)
		sqlite3_bind_int64(st, 4, limit);
	return db_rows_run(db, op, st, 2, fn, ctx);
}

/* ---- the deeper look: DNSSEC, CAA, EDNS ------------------------------- */

/* Steps a depth statement to its end: row(st, arg) copies a row's own
 * columns and hands them on (non-zero stops). From column first on, each
 * row also holds the tally: the rows of the scope into t->rows, then the
 * counts into *counts[]. Finalizes st. Returns the rows, or -1. */
static int run_depth(struct db *db, const char *op, sqlite3_stmt *st,
                     int (*row)(sqlite3_stmt *st, void *arg), void *arg, int first,
                     struct db_report_tally *t, uint64_t *const *counts, size_t ncounts)
{
	if (st == NULL)
		return -1;
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t->rows = (uint64_t)sqlite3_column_int64(st, first);
		for (size_t c = 0; c < ncounts; c++)
			*counts[c] = (uint64_t)sqlite3_column_int64(st, first + 1 + (int)c);
		n++;
		if (row(st, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return n;
}

struct dnssec_arg {
	db_report_dnssec_fn fn;
	void *ctx;
};

static int dnssec_row(sqlite3_stmt *st, void *arg)
{
	const struct dnssec_arg *a = arg;
	struct db_report_dnssec r;
	memset(&r, 0, sizeof(r));
	copy_text(r.d.name, sizeof(r.d.name), sqlite3_column_text(st, 0));
	unsigned t = (unsigned)sqlite3_column_int(st, 1);
	const char *tn = dns_type_name(t);
	if (tn != NULL)
		snprintf(r.d.qtype, sizeof(r.d.qtype), "%s", tn);
	else
		snprintf(r.d.qtype, sizeof(r.d.qtype), "TYPE%u", t);
	copy_text(r.d.status, sizeof(r.d.status), sqlite3_column_text(st, 2));
	copy_text(r.d.error, sizeof(r.d.error), sqlite3_column_text(st, 3));
	copy_text(r.d.detail, sizeof(r.d.detail), sqlite3_column_text(st, 4));
	copy_text(r.d.ca, sizeof(r.d.ca), sqlite3_column_text(st, 5));
	r.d.responses = (uint64_t)sqlite3_column_int64(st, 6);
	r.d.first_ns = (uint64_t)sqlite3_column_int64(st, 7);
	r.d.last_ns = (uint64_t)sqlite3_column_int64(st, 8);
	r.d.expires_ns = (uint64_t)sqlite3_column_int64(st, 9);
	r.expiring = sqlite3_column_int(st, 10);
	return a->fn(a->ctx, &r);
}

int db_report_dnssec(struct db *db, const struct rules_scope *scope, uint64_t within_ns,
                     unsigned limit, db_report_dnssec_fn fn, void *ctx,
                     struct db_report_tally *tally)
{
	const char *op = "report: read the DNSSEC status per name";
	/* problem: 0 BOGUS, 1 INDETERMINATE, 2 expiring, 3 the others; the
	 * newest packet as in db_rule_dnssec_expiring() */
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "WITH newest AS (SELECT max(coalesce(r.last_packet_ns, r.started_ns)) AS ns"
	    " FROM runs r WHERE " SCOPE(
	        "r.id",
	        "r.last_packet_ns") "),"
	                            " d AS (SELECT d.*, CASE d.status WHEN 'BOGUS' THEN 0 WHEN "
	                            "'INDETERMINATE' THEN 1"
	                            " WHEN 'INSECURE' THEN 2 ELSE 3 END AS worst FROM dnssec_names "
	                            "d"
	                            " WHERE " SCOPE(
	                                "d.run_id",
	                                "d.last_ns") "),"
	                                             " w AS (SELECT name, qtype, status, error, "
	                                             "detail, ca, worst,"
	                                             " row_number() OVER (PARTITION BY name, qtype "
	                                             "ORDER BY worst, last_ns DESC) AS k,"
	                                             " sum(responses) OVER p AS responses, "
	                                             "min(first_ns) OVER p AS first_ns,"
	                                             " max(last_ns) OVER p AS last_ns, "
	                                             "min(expires_ns) OVER p AS expires_ns"
	                                             " FROM d WINDOW p AS (PARTITION BY name, "
	                                             "qtype)),"
	                                             " n AS (SELECT w.*, CASE WHEN worst < 2 THEN "
	                                             "worst WHEN worst = 3 AND"
	                                             " expires_ns < (SELECT ns FROM newest) + ?4 "
	                                             "THEN 2 ELSE 3 END AS problem"
	                                             " FROM w WHERE k = 1)"
	                                             " SELECT name, qtype, status, error, detail, "
	                                             "ca, responses, first_ns, last_ns,"
	                                             " coalesce(expires_ns, 0), problem = 2, "
	                                             "count(*) OVER (), sum(problem = 0) OVER (),"
	                                             " sum(problem = 1) OVER (), sum(problem = 2) "
	                                             "OVER () FROM n"
	                                             " ORDER BY problem, CASE WHEN problem = 2 "
	                                             "THEN expires_ns END, name, qtype LIMIT ?5",
	    scope);
	if (st != NULL) {
		db_bind_u64(st, 4, within_ns);
		sqlite3_bind_int64(st, 5, limit);
	}
	struct db_report_tally t;
	memset(&t, 0, sizeof(t));
	uint64_t *const counts[] = {&t.bogus, &t.indeterminate, &t.expiring};
	struct dnssec_arg a = {fn, ctx};
	int n = run_depth(db, op, st, dnssec_row, &a, 11, &t, counts,
	                  sizeof(counts) / sizeof(counts[0]));
	if (n >= 0)
		*tally = t;
	return n;
}

struct caa_arg {
	db_report_caa_fn fn;
	void *ctx;
};

static int caa_row(sqlite3_stmt *st, void *arg)
{
	const struct caa_arg *a = arg;
	struct db_caa_row r;
	memset(&r, 0, sizeof(r));
	copy_text(r.ca, sizeof(r.ca), sqlite3_column_text(st, 0));
	copy_text(r.name, sizeof(r.name), sqlite3_column_text(st, 1));
	copy_text(r.owner, sizeof(r.owner), sqlite3_column_text(st, 2));
	copy_text(r.rrset, sizeof(r.rrset), sqlite3_column_text(st, 3));
	r.allowed = sqlite3_column_int(st, 4);
	r.wild_allowed = sqlite3_column_int(st, 5);
	copy_text(r.reason, sizeof(r.reason), sqlite3_column_text(st, 6));
	copy_text(r.fix, sizeof(r.fix), sqlite3_column_text(st, 7));
	r.queries = (uint64_t)sqlite3_column_int64(st, 8);
	r.first_ns = (uint64_t)sqlite3_column_int64(st, 9);
	r.last_ns = (uint64_t)sqlite3_column_int64(st, 10);
	return a->fn(a->ctx, &r);
}

int db_report_caa(struct db *db, const struct rules_scope *scope, unsigned limit,
                  db_report_caa_fn fn, void *ctx, struct db_report_tally *tally)
{
	const char *op = "report: read the CAA decisions";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "WITH w AS (SELECT c.*, row_number() OVER (PARTITION BY c.ca, c.name"
	    " ORDER BY c.allowed, c.last_ns DESC) AS k, sum(c.queries) OVER p AS q,"
	    " min(c.first_ns) OVER p AS f, max(c.last_ns) OVER p AS l FROM caa_decisions c"
	    " WHERE " SCOPE(
	        "c.run_id",
	        "c.last_ns") " WINDOW p AS (PARTITION BY c.ca, c.name))"
	                     " SELECT ca, name, owner, rrset, allowed, wild_allowed, reason, fix, "
	                     "q, f, l,"
	                     " count(*) OVER (), sum(allowed = 0) OVER () FROM w WHERE k = 1"
	                     " ORDER BY allowed, ca, name LIMIT ?4",
	    scope);
	if (st != NULL)
		sqlite3_bind_int64(st, 4, limit);
	struct db_report_tally t;
	memset(&t, 0, sizeof(t));
	uint64_t *const counts[] = {&t.denied};
	struct caa_arg a = {fn, ctx};
	int n = run_depth(db, op, st, caa_row, &a, 11, &t, counts, 1);
	if (n >= 0)
		*tally = t;
	return n;
}

struct edns_arg {
	db_report_edns_fn fn;
	void *ctx;
};

static int edns_row(sqlite3_stmt *st, void *arg)
{
	const struct edns_arg *a = arg;
	struct db_edns_row r;
	memset(&r, 0, sizeof(r));
	copy_text(r.server, sizeof(r.server), sqlite3_column_text(st, 0));
	copy_text(r.check, sizeof(r.check), sqlite3_column_text(st, 1));
	copy_text(r.example, sizeof(r.example), sqlite3_column_text(st, 2));
	r.failures = (uint64_t)sqlite3_column_int64(st, 3);
	r.edns_queries = (uint64_t)sqlite3_column_int64(st, 4);
	r.first_ns = (uint64_t)sqlite3_column_int64(st, 5);
	r.last_ns = (uint64_t)sqlite3_column_int64(st, 6);
	return a->fn(a->ctx, &r);
}

int db_report_edns(struct db *db, const struct rules_scope *scope, unsigned limit,
                   db_report_edns_fn fn, void *ctx, struct db_report_tally *tally)
{
	const char *op = "report: read the failing EDNS checks";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "WITH w AS (SELECT e.*, row_number() OVER (PARTITION BY e.server, e.check_name"
	    " ORDER BY e.first_ns) AS k, sum(e.failures) OVER p AS fl,"
	    " sum(e.edns_queries) OVER p AS eq, min(e.first_ns) OVER p AS f,"
	    " max(e.last_ns) OVER p AS l FROM edns_checks e WHERE " SCOPE(
	        "e.run_id", "e.last_ns") " WINDOW p AS (PARTITION BY e.server, e.check_name))"
	                                 " SELECT server, check_name, example, fl, eq, f, l,"
	                                 " count(*) OVER () FROM w WHERE k = 1"
	                                 " ORDER BY server, check_name LIMIT ?4",
	    scope);
	if (st != NULL)
		sqlite3_bind_int64(st, 4, limit);
	struct db_report_tally t;
	memset(&t, 0, sizeof(t));
	struct edns_arg a = {fn, ctx};
	int n = run_depth(db, op, st, edns_row, &a, 7, &t, NULL, 0);
	if (n >= 0)
		*tally = t;
	return n;
}
