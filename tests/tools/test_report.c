/*
 * test_report.c - `dcvscope report`: generated fault scenarios analyzed into
 * a database, then every format must show the numbers the database and the
 * generator's expectations imply; empty databases and periods, exit codes,
 * the previous-period comparison, and escaping of hostile query names.
 */
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "../rules/rules_fixture.h"

#define VALIDATORS DCV_CAPTURES_DIR "/validators-test.tsv"

static int report(const char *args, char **out)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "%s report %s 2>/dev/null", DCV_BINARY, args);
	return test_run(cmd, out);
}

static json_t *report_json(const char *dbpath)
{
	char args[1024], *out = NULL;
	snprintf(args, sizeof(args), "--db %s --format json", dbpath);
	cr_assert_eq(report(args, &out), 0);
	json_error_t e;
	json_t *j = json_loads(out, 0, &e);
	cr_assert_not_null(j, "not JSON: %s", e.text);
	free(out);
	return j;
}

static char *report_text(const char *dbpath, const char *format)
{
	char args[1024], *out = NULL;
	snprintf(args, sizeof(args), "--db %s --format %s", dbpath, format);
	cr_assert_eq(report(args, &out), 0, "format %s", format);
	return out;
}

/* One integer from an SQL query with one text parameter, straight from the
 * file: the numbers the report must show, computed without the report's
 * own queries. */
static int64_t sql_int(const char *dbpath, const char *sql, const char *param)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(db));
	if (param != NULL)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

#define CA_SUM(col)                                                                                \
	"SELECT coalesce(sum(s." col "), 0) FROM source_stats s JOIN validator_sources v"          \
	" ON v.run_id = s.run_id AND v.source = s.source AND v.confidence <> 'low'"                \
	" WHERE v.ca = ?1"
#define REGION_SUM(col)                                                                            \
	"SELECT coalesce(sum(s." col "), 0) FROM source_stats s JOIN validator_sources v"          \
	" ON v.run_id = s.run_id AND v.source = s.source AND v.confidence <> 'low'"                \
	" WHERE v.region = ?1"

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_integer(v), "no integer %s", key);
	return json_integer_value(v);
}

static json_t *find_by(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
	{
		if (strcmp(json_string_value(json_object_get(o, key)), value) == 0)
			return o;
	}
	return NULL;
}

static unsigned count_rule(json_t *findings, const char *rule, const char *severity)
{
	unsigned n = 0;
	size_t i;
	json_t *f;
	json_array_foreach(findings, i, f)
	{
		n += strcmp(json_string_value(json_object_get(f, "rule")), rule) == 0 &&
		     (severity == NULL ||
		      strcmp(json_string_value(json_object_get(f, "severity")), severity) == 0);
	}
	return n;
}

/* n with thousands separators, as the report prints counts. */
static void thousands(long long n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%lld", n);
	size_t o = 0;
	for (int i = 0; i < nd && o + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

static void rm_dir(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(test_run(cmd, NULL), 0);
}

/* A generated scenario analyzed into its own directory: the database, the
 * generator's expectations and the report as JSON. */
struct scen {
	char dir[300], db[400];
	json_t *expect, *report;
};

static void scen_open(struct scen *x, const char *scenario)
{
	snprintf(x->dir, sizeof(x->dir), "%s", test_tmpdir());
	snprintf(x->db, sizeof(x->db), "%s/s.db", x->dir);
	test_scenario_db(scenario, VALIDATORS, x->dir);
	char path[600];
	snprintf(path, sizeof(path), "%s/s.json", x->dir);
	json_error_t e;
	x->expect = json_load_file(path, 0, &e);
	cr_assert_not_null(x->expect, "%s", e.text);
	x->report = report_json(x->db);
}

static void scen_close(struct scen *x)
{
	json_decref(x->report);
	json_decref(x->expect);
	rm_dir(x->dir);
}

Test(report_scenarios, session_cap_shows_its_numbers_in_every_format)
{
	struct scen x;
	scen_open(&x, "fault-session-cap");
	const char *db = x.db;
	json_t *r = x.report, *expect = x.expect;

	/* coverage and totals: the generator's own counts */
	json_t *cov = json_object_get(r, "coverage");
	cr_expect_eq(jint(cov, "frames"), jint(expect, "packets"));
	cr_expect_eq(jint(cov, "lost"), 0);
	cr_expect_eq(jint(cov, "runs"), 1);
	json_t *total = json_object_get(r, "total");
	cr_expect_eq(jint(total, "queries"), json_integer_value(json_object_get(
	                                         json_object_get(expect, "dns"), "queries")));
	cr_expect_eq(jint(total, "tcp_rejected"), json_integer_value(json_object_get(
	                                              json_object_get(expect, "tcp"), "rejected")));

	/* the critical findings: both capped sources, cap 25 (the generator's
	 * max_concurrent_tcp for them), each with its chart */
	json_t *findings = json_object_get(r, "findings");
	cr_expect_eq(count_rule(findings, "SESSION_CAP", "critical"), 2);
	json_int_t ncrit = jint(json_object_get(r, "finding_counts"), "critical");
	cr_expect_eq(ncrit, (json_int_t)count_rule(findings, "SESSION_CAP", "critical") +
	                        count_rule(findings, "REGION_ASYMMETRY", "critical") +
	                        count_rule(findings, "TCP53_REJECTED", "critical") +
	                        count_rule(findings, "TC_WITHOUT_TCP", "critical") +
	                        count_rule(findings, "MPIC_QUORUM_AT_RISK", "critical"));
	json_t *charts = json_object_get(r, "limit_charts");
	cr_assert_eq(json_array_size(charts), 2);
	static const char *const capped[] = {"198.18.10.11", "203.0.113.17"};
	for (size_t k = 0; k < 2; k++) {
		json_t *ch = find_by(charts, "source", capped[k]);
		cr_assert_not_null(ch, "no chart for %s", capped[k]);
		cr_expect_eq(json_real_value(json_object_get(ch, "inferred_cap")), 25);
		json_int_t peak = 0;
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(ch, "series"), i, p)
		{
			if (jint(p, "max_concurrent_tcp") > peak)
				peak = jint(p, "max_concurrent_tcp");
		}
		cr_expect_eq(peak, 25, "%s: sessions plateau at the cap", capped[k]);
	}

	/* per-CA rows: the database's own sums */
	json_t *cas = json_object_get(r, "cas");
	cr_assert_geq(json_array_size(cas), 2);
	size_t i;
	json_t *ca;
	json_array_foreach(cas, i, ca)
	{
		const char *id = json_string_value(json_object_get(ca, "ca"));
		cr_expect_eq(jint(ca, "queries"), sql_int(db, CA_SUM("queries"), id), "%s", id);
		cr_expect_eq(jint(ca, "unanswered"), sql_int(db, CA_SUM("unanswered"), id), "%s",
		             id);
		cr_expect_eq(jint(ca, "tcp_rejected"), sql_int(db, CA_SUM("tcp_rejected"), id),
		             "%s", id);
		cr_expect_eq(jint(ca, "tcp_stalled"), sql_int(db, CA_SUM("tcp_stalled"), id), "%s",
		             id);
		cr_expect_eq(jint(ca, "refused"), sql_int(db, CA_SUM("refused"), id), "%s", id);
		cr_expect_eq(jint(ca, "servfail"), sql_int(db, CA_SUM("servfail"), id), "%s", id);
	}
	json_t *digicert = find_by(cas, "ca", "digicert");
	cr_assert_not_null(digicert);
	cr_expect_eq(jint(digicert, "tcp_rejected"), 180, "all resets hit digicert's validators");
	/* nothing stored before the capture: no comparison, not "new" */
	cr_expect_str_eq(json_string_value(json_object_get(digicert, "change")), "n/a");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(findings, 0), "change")),
	                 "n/a");
	cr_expect_eq(jint(digicert, "max_concurrent_tcp"), 25);

	/* attempts: the stored attempts, split by status */
	json_t *att = find_by(json_object_get(r, "attempts"), "ca", "digicert");
	cr_assert_not_null(att);
	cr_expect_eq(jint(att, "attempts"),
	             sql_int(db, "SELECT count(*) FROM attempts WHERE ca = ?1", "digicert"));
	cr_expect_eq(jint(att, "failed"),
	             sql_int(db,
	                     "SELECT count(*) FROM attempts WHERE ca = ?1 AND status = 'failed'",
	                     "digicert"));
	cr_expect_gt(jint(att, "failed"), 0);

	/* text, Markdown and HTML show the same numbers */
	char digicert_queries[32], counts[64];
	thousands(jint(digicert, "queries"), digicert_queries, sizeof(digicert_queries));
	snprintf(counts, sizeof(counts), "%lld critical, ", (long long)ncrit);
	char *text = report_text(db, "text");
	cr_expect_not_null(strstr(text, counts));
	cr_expect_not_null(strstr(text, "[critical] SESSION_CAP source 198.18.10.11"));
	cr_expect_not_null(strstr(text, "plateau at 25"));
	cr_expect_not_null(strstr(text, digicert_queries));
	free(text);
	char *md = report_text(db, "markdown");
	cr_expect_not_null(strstr(md, "`SESSION_CAP` source 198\\.18\\.10\\.11"));
	cr_expect_not_null(strstr(md, "| digicert |"));
	cr_expect_not_null(strstr(md, digicert_queries));
	free(md);
	char *html = report_text(db, "html");
	cr_expect_not_null(strstr(html, "Session cap: 198.18.10.11"));
	cr_expect_not_null(strstr(html, "inferred cap 25"));
	cr_expect_not_null(strstr(html, "<td>digicert</td>"));
	cr_expect_not_null(strstr(html, digicert_queries));
	cr_expect_null(strstr(html, "<script"), "the page needs no script");
	cr_expect_null(strstr(html, "http://"), "no external asset");
	cr_expect_null(strstr(html, "https://"), "no external asset");
	free(html);

	/* --fail-on: critical findings fail both levels, exit 5 */
	char args[600];
	snprintf(args, sizeof(args), "--db %s --fail-on critical", db);
	cr_expect_eq(report(args, NULL), 5);
	snprintf(args, sizeof(args), "--db %s --fail-on warning --format html", db);
	cr_expect_eq(report(args, NULL), 5);
	scen_close(&x);
}

Test(report_scenarios, region_silence_shows_the_silent_region)
{
	struct scen x;
	scen_open(&x, "fault-region-silence");
	const char *db = x.db;
	json_t *r = x.report;
	json_t *regions = json_object_get(r, "regions");
	json_t *ripe = find_by(regions, "region", "ripe");
	cr_assert_not_null(ripe);
	cr_expect_gt(jint(ripe, "queries"), 0);
	cr_expect_eq(jint(ripe, "unanswered"), jint(ripe, "queries"), "ripe hears nothing back");
	cr_expect_eq(jint(ripe, "queries"), sql_int(db, REGION_SUM("queries"), "ripe"));
	cr_expect_eq(json_real_value(json_object_get(ripe, "success_rate")), 0);
	static const char *const healthy[] = {"arin", "apnic", "lacnic", "afrinic"};
	for (size_t k = 0; k < 4; k++) {
		json_t *g = find_by(regions, "region", healthy[k]);
		cr_assert_not_null(g, "%s", healthy[k]);
		cr_expect_eq(jint(g, "unanswered"), 0, "%s", healthy[k]);
		cr_expect_eq(jint(g, "queries"), sql_int(db, REGION_SUM("queries"), healthy[k]));
	}
	json_t *findings = json_object_get(r, "findings");
	cr_expect_geq(count_rule(findings, "REGION_ASYMMETRY", NULL), 1);
	json_t *f = find_by(findings, "subject", "ripe");
	cr_assert_not_null(f, "a finding about the region itself");
	cr_expect_str_eq(json_string_value(json_object_get(f, "rule")), "REGION_ASYMMETRY");
	/* the unanswered transactions stored are the failing names' counts */
	json_int_t named = 0;
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(r, "failing_names"), i, n)
	{
		named += jint(n, "unanswered");
		cr_expect_eq(jint(n, "unanswered"),
		             sql_int(db,
		                     "SELECT count(*) FROM transactions WHERE kind = 'unanswered'"
		                     " AND qname = ?1",
		                     json_string_value(json_object_get(n, "qname"))));
	}
	cr_expect_gt(named, 0);
	char *html = report_text(db, "html");
	cr_expect_not_null(strstr(html, "Failure rate per region"));
	cr_expect_not_null(strstr(html, ">ripe</text><rect class=\"c-fail\""),
	                   "the silent region's bar is drawn in the failure colour");
	cr_expect_not_null(strstr(html, "100.00%"));
	free(html);
	scen_close(&x);
}

Test(report_scenarios, rate_limit_is_charted_against_its_inferred_limit)
{
	struct scen x;
	scen_open(&x, "fault-rate-limit");
	const char *db = x.db;
	json_t *r = x.report;
	json_t *charts = json_object_get(r, "limit_charts"),
	       *findings = json_object_get(r, "findings");
	cr_assert_geq(count_rule(findings, "RATE_LIMITED", NULL), 1);
	size_t i;
	json_t *f;
	json_array_foreach(findings, i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "rule")), "RATE_LIMITED") != 0)
			continue;
		const char *src = json_string_value(json_object_get(f, "subject"));
		json_t *ch = find_by(charts, "source", src);
		cr_assert_not_null(ch, "no chart for %s", src);
		cr_expect_str_eq(json_string_value(json_object_get(ch, "rule")), "RATE_LIMITED");
		cr_expect_eq(json_real_value(json_object_get(ch, "inferred_cap")),
		             json_real_value(json_object_get(json_object_get(f, "metrics"),
		                                             "inferred_qps_cap")));
		/* the busiest seconds, as stored */
		json_int_t maxq = 0, maxa = 0;
		size_t k;
		json_t *p;
		json_array_foreach(json_object_get(ch, "series"), k, p)
		{
			maxq = jint(p, "queries") > maxq ? jint(p, "queries") : maxq;
			maxa = jint(p, "answered") > maxa ? jint(p, "answered") : maxa;
		}
		cr_expect_eq(
		    maxq,
		    sql_int(db, "SELECT max(queries) FROM source_seconds WHERE source = ?1", src));
		cr_expect_eq(maxa, sql_int(db,
		                           "SELECT max(noerror + nxdomain) FROM source_seconds"
		                           " WHERE source = ?1",
		                           src));
		cr_expect_gt(maxq, maxa, "%s: more queries than answers in its busiest second",
		             src);
	}
	char *html = report_text(db, "html");
	cr_expect_not_null(strstr(html, "Rate limit: 198.51.100.25"));
	cr_expect_not_null(strstr(html, "inferred limit 50"));
	free(html);
	scen_close(&x);
}

Test(report_scenarios, a_clean_capture_reports_no_finding)
{
	struct scen x;
	scen_open(&x, "fault-clean");
	const char *db = x.db;
	json_t *r = x.report, *expect = x.expect;
	cr_expect_eq(json_array_size(json_object_get(r, "findings")), 0);
	cr_expect_eq(json_array_size(json_object_get(r, "limit_charts")), 0);
	cr_expect_eq(json_array_size(json_object_get(r, "failing_names")), 0);
	cr_expect(json_is_false(json_object_get(r, "empty")));
	json_t *total = json_object_get(r, "total");
	cr_expect_eq(jint(total, "queries"), json_integer_value(json_object_get(
	                                         json_object_get(expect, "dns"), "queries")));
	cr_expect_eq(jint(total, "unanswered"), 0);
	char args[600], *text = NULL;
	snprintf(args, sizeof(args), "--db %s --fail-on warning", db);
	cr_expect_eq(report(args, &text), 0);
	cr_expect_not_null(strstr(text, "0 critical, 0 warning, 0 info"));
	cr_expect_not_null(strstr(text, "none: nothing the rules check for went wrong"));
	cr_expect_not_null(strstr(text, "no failed queries in this period"));
	free(text);
	scen_close(&x);
}

/* An empty dcvscope database (schema only). */
static void empty_db(const char *path)
{
	struct db *db = NULL;
	char err[256];
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db_close(db), 0);
}

Test(report_cli, empty_database_and_empty_period_give_a_short_report)
{
	char dir[300], db[400], args[600], *out = NULL;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	snprintf(db, sizeof(db), "%s/empty.db", dir);
	empty_db(db);
	static const char *const formats[] = {"text", "markdown", "html"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(args, sizeof(args), "--db %s --format %s --fail-on warning", db,
		         formats[i]);
		cr_assert_eq(report(args, &out), 0, "%s", formats[i]);
		cr_expect_not_null(strstr(out, "No DNS traffic is stored for this period"), "%s",
		                   formats[i]);
		free(out);
	}
	json_t *r = report_json(db);
	cr_expect(json_is_true(json_object_get(r, "empty")));
	cr_expect_eq(jint(json_object_get(r, "total"), "queries"), 0);
	cr_expect_eq(jint(json_object_get(r, "coverage"), "runs"), 0);
	json_decref(r);

	/* a filled database, a period after all its data */
	struct fx x;
	fx_open(&x);
	fx_healthy(&x, "198.51.100.7", 0, 100);
	cr_assert_eq(db_flush(x.db), 0);
	snprintf(args, sizeof(args), "--db %s --from 2030-01-01 --to 2030-01-02", x.path);
	cr_assert_eq(report(args, &out), 0);
	cr_expect_not_null(strstr(out, "2030-01-01T00:00:00Z .. 2030-01-02T00:00:00Z"));
	cr_expect_not_null(strstr(out, "No DNS traffic is stored for this period"));
	free(out);
	/* and the same database over its own period */
	snprintf(args, sizeof(args), "--db %s --format json", x.path);
	cr_assert_eq(report(args, &out), 0);
	cr_expect_not_null(strstr(out, "\"queries\": 100"));
	free(out);
	db_close(x.db);
	rm_dir(dir);
}

Test(report_cli, usage_errors_exit_2_and_database_errors_exit_4)
{
	char dir[300], db[400], args[800];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	snprintf(db, sizeof(db), "%s/empty.db", dir);
	empty_db(db);
	static const char *const bad[] = {"--format xml",     "--format",
	                                  "--fail-on info",   "--since soon",
	                                  "--since 0",        "--since 1h --from 2024-01-01",
	                                  "--from yesterday", "--from 2024-01-02 --to 2024-01-01",
	                                  "--bogus",          "--config /nonexistent.ini",
	                                  "extra-argument"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), "--db %s %s", db, bad[i]);
		cr_expect_eq(report(args, NULL), 2, "%s", bad[i]);
	}
	snprintf(args, sizeof(args), "--db %s/missing.db", dir);
	cr_expect_eq(report(args, NULL), 4, "a missing database is an error");
	char path[500];
	snprintf(path, sizeof(path), "%s/missing.db", dir);
	cr_expect_null(fopen(path, "r"), "... and the report does not create it");
	snprintf(path, sizeof(path), "%s/not.db", dir);
	FILE *f = fopen(path, "w");
	fputs("this is not an SQLite database, not at all, really not\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "--db %s", path);
	cr_expect_eq(report(args, NULL), 4);
	snprintf(args, sizeof(args), "--db %s -o %s/no/such/dir/r.html", db, dir);
	cr_expect_eq(report(args, NULL), 3, "an output that cannot be written");
	char *out = NULL;
	cr_expect_eq(report("--help", &out), 0);
	cr_expect_not_null(strstr(out, "--format FMT"));
	free(out);
	rm_dir(dir);
}

/* Finishes the fixture's run with its last packet at second last_s. */
static void finish(struct fx *x, unsigned last_s)
{
	struct db_run_summary sum = {.finished_ns = FX_T0 + (last_s + 60) * FX_NS,
	                             .first_packet_ns = FX_T0,
	                             .last_packet_ns = FX_T0 + last_s * FX_NS,
	                             .complete = 1};
	cr_assert_geq(db_run_finish(x->db, x->run, &sum), 0, "%s", db_errmsg(x->db));
}

/* A run whose failing names are hostile: markup, Markdown syntax and
 * terminal escapes in query names a stranger chose. */
#define HOSTILE "<script>alert(1)</script>|*x*_[y](javascript:z)`\x1b[31m.example"

Test(report_cli, hostile_query_names_are_escaped_in_every_format)
{
	struct fx x;
	fx_open(&x);
	fx_healthy(&x, "198.51.100.7", 0, 100);
	for (unsigned i = 0; i < 3; i++)
		fx_txn(&x, "198.51.100.7", 1000 + i, -1, false, DCV_TRANSPORT_UDP, HOSTILE, 16,
		       DCV_SHAPE_NONE);
	finish(&x, 60);
	char args[800], *out = NULL;
	snprintf(args, sizeof(args), "--db %s --format html", x.path);
	cr_assert_eq(report(args, &out), 0);
	cr_expect_null(strstr(out, "<script"));
	cr_expect_null(strstr(out, "\x1b"));
	cr_expect_not_null(strstr(
	    out, "&lt;script&gt;alert(1)&lt;/script&gt;|*x*_[y](javascript:z)`&#xFFFD;[31m"));
	free(out);
	snprintf(args, sizeof(args), "--db %s --format markdown", x.path);
	cr_assert_eq(report(args, &out), 0);
	cr_expect_null(strstr(out, "<script"));
	cr_expect_not_null(strstr(out, "&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\|\\*x\\*\\_"
	                               "\\[y\\]\\(javascript:z\\)\\`?\\[31m"));
	free(out);
	snprintf(args, sizeof(args), "--db %s --format text", x.path);
	cr_assert_eq(report(args, &out), 0);
	cr_expect_null(strstr(out, "\x1b"));
	cr_expect_not_null(strstr(out, "<script>alert(1)</script>|*x*_[y](javascript:z)`?[31m"));
	free(out);
	snprintf(args, sizeof(args), "--db %s --format json", x.path);
	cr_assert_eq(report(args, &out), 0);
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j);
	json_t *n = json_array_get(json_object_get(j, "failing_names"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(n, "qname")), HOSTILE,
	                 "JSON keeps the name exactly");
	cr_expect_eq(jint(n, "unanswered"), 3);
	json_decref(j);
	free(out);
	db_close(x.db);
}

/* A session cap on source at minute m (as in test_rules_cli.c). */
static void capped(struct fx *x, const char *source, unsigned minute)
{
	struct source_bucket b = fx_b(source, minute);
	b.queries = b.queries_tcp = b.responses = b.rcode[RCODE_SLOT_NOERROR] = 100;
	b.max_concurrent_tcp = 25;
	b.tcp_sessions = 50;
	b.tcp_rejected = 10;
	fx_add(x, &b);
}

Test(report_cli, the_previous_period_marks_findings_new_and_resolved)
{
	struct fx x;
	fx_open(&x);
	/* previous hour: 198.51.100.7 capped; this hour: 198.51.100.9 capped */
	capped(&x, "198.51.100.7", 0);
	fx_healthy(&x, "198.51.100.9", 0, 100);
	capped(&x, "198.51.100.9", 60);
	fx_healthy(&x, "198.51.100.7", 60, 300);
	cr_assert_eq(db_flush(x.db), 0);
	char args[800], *out = NULL;
	snprintf(args, sizeof(args),
	         "--db %s --from 2024-01-01T01:00 --to 2024-01-01T02:00 --format json", x.path);
	cr_assert_eq(report(args, &out), 0);
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j);
	free(out);
	json_t *findings = json_object_get(j, "findings");
	cr_assert_eq(json_array_size(findings), 1);
	json_t *f = json_array_get(findings, 0);
	cr_expect_str_eq(json_string_value(json_object_get(f, "subject")), "198.51.100.9");
	cr_expect_str_eq(json_string_value(json_object_get(f, "change")), "new");
	json_t *ch = json_object_get(j, "change");
	cr_expect_eq(jint(json_object_get(ch, "previous_total"), "queries"), 200);
	cr_expect_eq(jint(json_object_get(j, "total"), "queries"), 400);
	json_t *res = json_object_get(ch, "resolved_findings");
	cr_assert_eq(json_array_size(res), 1);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(res, 0), "subject")),
	                 "198.51.100.7");
	json_decref(j);
	snprintf(args, sizeof(args), "--db %s --from 2024-01-01T01:00 --to 2024-01-01T02:00",
	         x.path);
	cr_assert_eq(report(args, &out), 0);
	cr_expect_not_null(strstr(out, "[resolved] SESSION_CAP source 198.51.100.7"));
	cr_expect_not_null(strstr(out, "queries 400 (before 200)"));
	free(out);
	db_close(x.db);
}

Test(report_cli, output_file_holds_what_stdout_shows)
{
	struct fx x;
	fx_open(&x);
	capped(&x, "198.51.100.7", 0);
	cr_assert_eq(db_flush(x.db), 0);
	char path[600], args[1400], *out = NULL;
	snprintf(path, sizeof(path), "%s.md", x.path);
	snprintf(args, sizeof(args), "--db %s --format markdown -o %s", x.path, path);
	cr_assert_eq(report(args, &out), 0);
	cr_expect_eq(out[0], '\0', "nothing on stdout with -o");
	free(out);
	char *file = test_read_file(path, NULL);
	cr_assert_not_null(file);
	snprintf(args, sizeof(args), "--db %s --format markdown", x.path);
	cr_assert_eq(report(args, &out), 0);
	/* equal but for the generation time on the second line */
	cr_expect_not_null(strstr(file, "`SESSION_CAP` source 198\\.51\\.100\\.7"));
	cr_expect_str_eq(strstr(file, "## Coverage"), strstr(out, "## Coverage"));
	free(file);
	free(out);
	db_close(x.db);
}

/* -o onto what is not a regular file writes through it and leaves it what it
 * was: a character device (a private copy of /dev/null, so that a failure
 * cannot break the machine's) stays a device, a symlink stays a link and its
 * target gets the report. */
Test(report_cli, output_onto_a_device_or_symlink_keeps_it)
{
	struct fx x;
	fx_open(&x);
	capped(&x, "198.51.100.7", 0);
	cr_assert_eq(db_flush(x.db), 0);
	char null_path[600], target[600], link_path[600], args[1400], *out = NULL;
	snprintf(null_path, sizeof(null_path), "%s.null", x.path);
	snprintf(target, sizeof(target), "%s.target.md", x.path);
	snprintf(link_path, sizeof(link_path), "%s.link.md", x.path);
	cr_assert_eq(mknod(null_path, S_IFCHR | 0666, makedev(1, 3)), 0, "mknod: %s",
	             strerror(errno));
	cr_assert_eq(symlink(target, link_path), 0);

	snprintf(args, sizeof(args), "--db %s --format markdown -o %s", x.path, null_path);
	cr_assert_eq(report(args, &out), 0);
	free(out);
	struct stat st;
	cr_assert_eq(lstat(null_path, &st), 0);
	cr_expect(S_ISCHR(st.st_mode), "the device was replaced by a file");

	snprintf(args, sizeof(args), "--db %s --format markdown -o %s", x.path, link_path);
	cr_assert_eq(report(args, &out), 0);
	free(out);
	cr_assert_eq(lstat(link_path, &st), 0);
	cr_expect(S_ISLNK(st.st_mode), "the symlink was replaced by a file");
	char *file = test_read_file(target, NULL);
	cr_assert_not_null(file, "the symlink's target holds no report");
	cr_expect_not_null(strstr(file, "## Coverage"));
	free(file);
	unlink(null_path);
	unlink(link_path);
	unlink(target);
	db_close(x.db);
}

/* The nightly mail (tools/dcvscope-report-mail.sh) with a sendmail that
 * keeps the message: the reports are written, and the mail is MIME with a
 * text part and the HTML page inline and attached, decoding to the files. */
Test(report_cli, the_mail_script_writes_the_reports_and_a_mime_mail)
{
	struct fx x;
	fx_open(&x);
	capped(&x, "198.51.100.7", 0);
	finish(&x, 60);
	char dir[300], cmd[4096], *out = NULL;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	snprintf(
	    cmd, sizeof(cmd),
	    "printf '#!/bin/sh\\n[ \"$1\" = -t ] || exit 9\\ncat > %s/mail.eml\\n' > %s/sendmail"
	    " && chmod +x %s/sendmail",
	    dir, dir, dir);
	cr_assert_eq(test_run(cmd, NULL), 0);
	snprintf(cmd, sizeof(cmd),
	         "DCVSCOPE=%s DCVSCOPE_DB=%s REPORT_DIR=%s/reports MAILTO=dns@example.com "
	         "MAILFROM=dcvscope@example.com SENDMAIL=%s/sendmail sh "
	         "%s/tools/dcvscope-report-mail.sh",
	         DCV_BINARY, x.path, dir, dir, DCV_SOURCE_DIR);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	static const char *const ext[] = {"html", "md", "txt", "json"};
	for (size_t i = 0; i < 4; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/reports/report-latest.%s", dir, ext[i]);
		char *body = test_read_file(path, NULL);
		cr_assert_not_null(body, "%s missing", path);
		cr_expect_not_null(strstr(body, "SESSION_CAP"), "%s", path);
		free(body);
	}
	/* parse it as a mail reader would */
	snprintf(cmd, sizeof(cmd),
	         "python3 -c \"import email,sys; m=email.message_from_file(open('%s/mail.eml'));"
	         " print(m['To']); print(m['Subject']);"
	         " [print(p.get_content_type(), p.get_filename(),"
	         " p.get_payload(decode=True) == open('%s/reports/report-latest.'"
	         " + ('txt' if p.get_content_type() == 'text/plain' else 'html'), 'rb').read())"
	         " for p in m.walk() if not p.is_multipart()]\"",
	         dir, dir);
	cr_assert_eq(test_run(cmd, &out), 0);
	char day[16], want[512];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(want, sizeof(want),
	         "dns@example.com\n"
	         "dcvscope report %s: 1 critical, 0 warning, 0 info finding(s)\n"
	         "text/plain None True\n"
	         "text/html None True\n"
	         "text/html dcvscope-report-%s.html True\n",
	         day, day);
	cr_expect_str_eq(out, want);
	free(out);
	db_close(x.db);
}

/* ---- DNSSEC, CAA and EDNS --------------------------------------------- */

/* Runs SQL that changes the file (rows the analysis does not produce). */
static void sql_exec(const char *dbpath, const char *sql)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s", msg);
	sqlite3_close(db);
}

/* One text value from an SQL query with one text parameter. */
static void sql_text(const char *dbpath, const char *sql, const char *param, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(db));
	if (param != NULL)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_string(v), "no string %s", key);
	return json_string_value(v);
}

/* 2024-01-01T00:00:01Z and :02Z, inside both demo runs. */
#define T1 "1704067201000000000"
#define T2 "1704067202000000000"

/*
 * Two runs of the demo scenario (seeds 1 and 2: real RSASHA256 signatures,
 * every name SECURE, the RRSIGs expiring 2024-02-01) and rows that make
 * each list show a problem: example.com CAA turned BOGUS in run 2, a
 * hostile name INDETERMINATE, 20 unsigned names (the list is cut at 20),
 * letsencrypt allowed for www.example.com in run 1 and denied in run 2, a
 * hostile name allowed, and one EDNS check failing in both runs.
 */
static void depth_db(char *dir, size_t dlen, char *db, size_t len)
{
	snprintf(dir, dlen, "%s", test_tmpdir());
	snprintf(db, len, "%s/d.db", dir);
	for (int seed = 1; seed <= 2; seed++) {
		char cmd[2048];
		snprintf(cmd, sizeof(cmd),
		         "%s demo --seed %d -o %s/d%d.pcap >/dev/null && %s analyze --db %s"
		         " --no-default-validators --validators %s --no-progress %s/d%d.pcap"
		         " >/dev/null 2>&1",
		         DCV_GEN_BINARY, seed, dir, seed, DCV_BINARY, db, VALIDATORS, dir, seed);
		cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	}
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM runs", NULL), 2);
	cr_assert_eq(
	    sql_int(db, "SELECT count(*) FROM dnssec_names WHERE status <> 'SECURE'", NULL), 0,
	    "the demo's signatures verify");
	sql_exec(
	    db,
	    "UPDATE dnssec_names SET status = 'BOGUS', error = 'DNSSEC_BOGUS',"
	    " detail = 'RRSIG example.com. CAA expired at 2023-12-31T00:00:00Z',"
	    " expires_ns = NULL WHERE run_id = 2 AND name = 'example.com' AND qtype = 257;"
	    "INSERT INTO dnssec_names VALUES (1, '" HOSTILE "', 16, 'example.', 'INDETERMINATE',"
	    " 'DNSKEY_MISSING', 'no DNSKEY for " HOSTILE "', 'digicert', 5, " T1 ", " T2 ", NULL);"
	    "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 19)"
	    " INSERT INTO dnssec_names SELECT 1, printf('n%02d.unsigned.example', i), 1, '',"
	    " 'INSECURE', '', 'no DS', '', 1, " T1 ", " T2 ", NULL FROM k;"
	    "INSERT INTO caa_decisions VALUES (1, 'letsencrypt', 'www.example.com',"
	    " 'www.example.com', '0 issue \"letsencrypt.org\"', 1, 0, 'letsencrypt.org is"
	    " listed', '', 2, " T1 ", " T2 ");"
	    "INSERT INTO caa_decisions VALUES (2, 'letsencrypt', 'www.example.com',"
	    " 'example.com', '0 issue \"digicert.com\"', 0, 0, 'no issue property names"
	    " letsencrypt.org', 'example.com. CAA 0 issue \"letsencrypt.org\"', 3, " T1 ", " T2 ");"
	    "INSERT INTO caa_decisions VALUES (1, 'digicert', '" HOSTILE "', '" HOSTILE "',"
	    " '0 issue \"digicert.com\"', 1, 1, 'digicert.com is listed', '', 1, " T1 ", " T2 ");"
	    "INSERT INTO edns_checks VALUES (1, '192.0.2.53', 'no_opt', 3, 10,"
	    " 'A? www.example.com answered without OPT', " T1 ", " T2 ");"
	    "INSERT INTO edns_checks VALUES (2, '192.0.2.53', 'no_opt', 4, 12,"
	    " 'A? later.example.com answered without OPT', " T2 ", " T2 ");");
}

Test(report_depth, dnssec_caa_and_edns_rows_are_shown_in_every_format)
{
	char dir[300], db[400], args[1200], *out = NULL;
	depth_db(dir, sizeof(dir), db, sizeof(db));
	json_t *r = report_json(db);

	/* the totals: one row per name and type across the two runs */
	json_t *tot = json_object_get(r, "depth_totals");
	json_int_t names = sql_int(db,
	                           "SELECT count(*) FROM (SELECT DISTINCT name, qtype"
	                           " FROM dnssec_names)",
	                           NULL);
	cr_expect_eq(names, 13 + 1 + 20);
	cr_expect_eq(jint(tot, "dnssec"), names);
	cr_expect_eq(jint(tot, "dnssec_bogus"), 1);
	cr_expect_eq(jint(tot, "dnssec_indeterminate"), 1);
	cr_expect_eq(jint(tot, "dnssec_expiring"), 0, "31 days left, the threshold is 3");
	cr_expect_eq(jint(tot, "caa"), 2);
	cr_expect_eq(jint(tot, "caa_denied"), 1);
	cr_expect_eq(jint(tot, "edns"), 1);

	/* DNSSEC: BOGUS first (run 2's verdict, the answers of both runs),
	 * then INDETERMINATE, then the others by name; cut at 20 */
	json_t *dn = json_object_get(r, "dnssec");
	cr_assert_eq(json_array_size(dn), 20);
	json_t *d0 = json_array_get(dn, 0);
	cr_expect_str_eq(jstr(d0, "name"), "example.com");
	cr_expect_str_eq(jstr(d0, "qtype"), "CAA");
	cr_expect_str_eq(jstr(d0, "status"), "BOGUS");
	cr_expect_str_eq(jstr(d0, "error"), "DNSSEC_BOGUS");
	cr_expect_str_eq(jstr(d0, "detail"),
	                 "RRSIG example.com. CAA expired at 2023-12-31T00:00:00Z");
	char ca[64];
	sql_text(db, "SELECT ca FROM dnssec_names WHERE run_id = 2 AND name = ?1 AND qtype = 257",
	         "example.com", ca, sizeof(ca));
	cr_expect_str_eq(jstr(d0, "ca"), ca);
	json_int_t answers =
	    sql_int(db, "SELECT sum(responses) FROM dnssec_names WHERE name = ?1 AND qtype = 257",
	            "example.com");
	cr_expect_eq(answers, 24, "12 answers in each run");
	cr_expect_eq(jint(d0, "responses"), answers);
	cr_expect_str_eq(jstr(d0, "expires"), "2024-02-01T00:00:00Z", "run 1's signatures");
	json_t *d1 = json_array_get(dn, 1);
	cr_expect_str_eq(jstr(d1, "name"), HOSTILE);
	cr_expect_str_eq(jstr(d1, "status"), "INDETERMINATE");
	cr_expect(json_is_null(json_object_get(d1, "expires")));
	json_t *d2 = json_array_get(dn, 2);
	cr_expect_str_eq(jstr(d2, "name"), "_acme-challenge.a.b.c.example.com");
	cr_expect_str_eq(jstr(d2, "status"), "SECURE");
	cr_expect_eq(jint(d2, "responses"),
	             sql_int(db, "SELECT sum(responses) FROM dnssec_names WHERE name = ?1",
	                     "_acme-challenge.a.b.c.example.com"));
	cr_expect(json_is_false(json_object_get(d2, "expiring")));

	/* CAA: run 2's denial wins over run 1's permission; queries of both */
	json_t *caa = json_object_get(r, "caa");
	cr_assert_eq(json_array_size(caa), 2);
	json_t *c0 = json_array_get(caa, 0);
	cr_expect_str_eq(jstr(c0, "ca"), "letsencrypt");
	cr_expect_str_eq(jstr(c0, "name"), "www.example.com");
	cr_expect(json_is_false(json_object_get(c0, "allowed")));
	cr_expect_str_eq(jstr(c0, "rrset_owner"), "example.com");
	cr_expect_str_eq(jstr(c0, "rrset"), "0 issue \"digicert.com\"");
	cr_expect_str_eq(jstr(c0, "fix"), "example.com. CAA 0 issue \"letsencrypt.org\"");
	cr_expect_eq(
	    jint(c0, "queries"),
	    sql_int(db, "SELECT sum(queries) FROM caa_decisions WHERE ca = ?1", "letsencrypt"));
	json_t *c1 = json_array_get(caa, 1);
	cr_expect_str_eq(jstr(c1, "name"), HOSTILE);
	cr_expect(json_is_true(json_object_get(c1, "allowed")));
	cr_expect(json_is_null(json_object_get(c1, "fix")));

	/* EDNS: both runs' failures, the example of the first */
	json_t *ed = json_object_get(r, "edns");
	cr_assert_eq(json_array_size(ed), 1);
	json_t *e0 = json_array_get(ed, 0);
	cr_expect_str_eq(jstr(e0, "server"), "192.0.2.53");
	cr_expect_str_eq(jstr(e0, "check"), "no_opt");
	cr_expect_eq(
	    jint(e0, "failures"),
	    sql_int(db, "SELECT sum(failures) FROM edns_checks WHERE server = ?1", "192.0.2.53"));
	cr_expect_eq(jint(e0, "failures"), 7);
	cr_expect_eq(jint(e0, "edns_queries"), 22);
	cr_expect_str_eq(jstr(e0, "example"), "A? www.example.com answered without OPT");
	json_decref(r);

	/* text: the same rows, the section between the regions and the attempts */
	char *text = report_text(db, "text");
	char line[512];
	const char *sec = strstr(text, "\nDNSSEC, CAA and EDNS\n--------------------\n");
	cr_assert_not_null(sec);
	cr_expect(sec > strstr(text, "\nRegions\n"));
	cr_expect(sec < strstr(text, "\nValidation attempts (MPIC)\n"));
	cr_expect_not_null(strstr(sec, "DNSSEC: 34 name(s): 1 BOGUS, 1 INDETERMINATE, 0 expiring "
	                               "within 3 day(s)\n"));
	snprintf(line, sizeof(line),
	         "\n  BOGUS         example.com CAA  error DNSSEC_BOGUS  CA %s  24 answer(s)  "
	         "expires 2024-02-01T00:00:00Z\n    RRSIG example.com. CAA expired at "
	         "2023-12-31T00:00:00Z\n  INDETERMINATE <script>alert(1)</script>|*x*_[y]"
	         "(javascript:z)`?[31m.example TXT  error DNSKEY_MISSING",
	         ca);
	cr_expect_not_null(strstr(sec, line), "%s", line);
	cr_expect_not_null(strstr(sec, "\n  ... and 14 more name(s)\nCAA: 2 decision(s), 1 denied\n"
	                               "  denied   letsencrypt www.example.com  RRset example.com:"
	                               " 0 issue \"digicert.com\"\n    no issue property names "
	                               "letsencrypt.org\n    add: example.com. CAA 0 issue "
	                               "\"letsencrypt.org\"\n  allowed  digicert <script>"));
	cr_expect_not_null(strstr(sec, "\nEDNS: 1 failing check(s)\n  192.0.2.53 no_opt: 7 of 22 "
	                               "EDNS queries; e.g. A? www.example.com answered without "
	                               "OPT\n"));
	cr_expect_null(strstr(text, "\x1b"));
	free(text);

	/* Markdown: tables, every data string escaped */
	char *md = report_text(db, "markdown");
	sec = strstr(md, "\n## DNSSEC, CAA and EDNS\n");
	cr_assert_not_null(sec);
	cr_expect(sec < strstr(md, "\n## Validation attempts (MPIC)\n"));
	snprintf(line, sizeof(line),
	         "| BOGUS | example\\.com | CAA | DNSSEC\\_BOGUS | RRSIG example\\.com\\. CAA "
	         "expired at 2023\\-12\\-31T00:00:00Z | %s | 24 | 2024-02-01T00:00:00Z |\n",
	         ca);
	cr_expect_not_null(strstr(sec, line), "%s", line);
	cr_expect_not_null(strstr(sec, "| INDETERMINATE | &lt;script&gt;alert\\(1\\)&lt;/script&gt;"
	                               "\\|\\*x\\*\\_\\[y\\]\\(javascript:z\\)\\`?\\[31m\\.example"
	                               " | TXT |"));
	cr_expect_not_null(strstr(sec, "\n... and 14 more name(s).\n"));
	cr_expect_not_null(strstr(sec, "| **denied** | letsencrypt | www\\.example\\.com | "
	                               "example\\.com | 0 issue \"digicert\\.com\" | no issue "
	                               "property names letsencrypt\\.org | example\\.com\\. CAA 0 "
	                               "issue \"letsencrypt\\.org\" |\n"));
	cr_expect_not_null(strstr(sec, "| 192\\.0\\.2\\.53 | no\\_opt | 7 | 22 | A? www\\.example"
	                               "\\.com answered without OPT |\n"));
	cr_expect_null(strstr(md, "<script"));
	free(md);

	/* HTML: the rows in tables, every data string escaped */
	char *html = report_text(db, "html");
	sec = strstr(html, "<section id=\"depth\">");
	cr_assert_not_null(sec);
	cr_expect(sec < strstr(html, "<section id=\"attempts\">"));
	snprintf(line, sizeof(line),
	         "<tr><td class=\"bad\">BOGUS</td><td class=\"name\">example.com</td><td>CAA</td>"
	         "<td class=\"name\">DNSSEC_BOGUS</td><td class=\"name\">RRSIG example.com. CAA "
	         "expired at 2023-12-31T00:00:00Z</td><td class=\"name\">%s</td><td>24</td>"
	         "<td>2024-02-01T00:00:00Z</td></tr>",
	         ca);
	cr_expect_not_null(strstr(sec, line), "%s", line);
	cr_expect_not_null(strstr(sec,
	                          "<td class=\"name\">&lt;script&gt;alert(1)&lt;/script&gt;|*x*"
	                          "_[y](javascript:z)`&#xFFFD;[31m.example</td>"));
	cr_expect_not_null(strstr(sec, "... and 14 more name(s)."));
	cr_expect_not_null(strstr(sec, "<tr><td class=\"bad\">denied</td><td class=\"name\">"
	                               "letsencrypt</td><td class=\"name\">www.example.com</td>"
	                               "<td class=\"name\">example.com</td><td class=\"name\">0 "
	                               "issue &quot;digicert.com&quot;</td>"));
	cr_expect_not_null(strstr(sec, "<code>example.com. CAA 0 issue &quot;letsencrypt.org&quot;"
	                               "</code>"));
	cr_expect_not_null(strstr(sec, "<td class=\"name\">192.0.2.53</td><td class=\"name\">no_opt"
	                               "</td><td class=\"bad\">7</td><td>22</td>"));
	cr_expect_null(strstr(html, "<script"));
	cr_expect_null(strstr(html, "\x1b"));
	free(html);

	/* a threshold of 40 days: the SECURE names expire within it (as
	 * DNSSEC_EXPIRING says), listed after the problems, soonest first */
	char ini[500];
	snprintf(ini, sizeof(ini), "%s/rules.ini", dir);
	FILE *f = fopen(ini, "w");
	cr_assert_not_null(f);
	fputs("[rules]\ndnssec_expiring_days = 40\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "--db %s --config %s --format json", db, ini);
	cr_assert_eq(report(args, &out), 0);
	r = json_loads(out, 0, NULL);
	cr_assert_not_null(r);
	free(out);
	json_int_t secure = sql_int(db,
	                            "SELECT count(*) FROM (SELECT name FROM dnssec_names GROUP BY"
	                            " name, qtype HAVING min(status) = 'SECURE' AND max(status) ="
	                            " 'SECURE')",
	                            NULL);
	cr_expect_eq(secure, 12);
	tot = json_object_get(r, "depth_totals");
	cr_expect_eq(jint(tot, "dnssec_expiring"), secure);
	cr_expect_eq(json_real_value(json_object_get(tot, "dnssec_expiring_days")), 40);
	/* the rule fires for these and for example.com, SECURE in run 1 (the
	 * list shows it BOGUS, its worst) */
	cr_expect_eq(count_rule(json_object_get(r, "findings"), "DNSSEC_EXPIRING", NULL),
	             (unsigned)secure + 1);
	dn = json_object_get(r, "dnssec");
	cr_expect(json_is_true(json_object_get(json_array_get(dn, 2), "expiring")));
	cr_expect(json_is_true(json_object_get(json_array_get(dn, 13), "expiring")));
	cr_expect_str_eq(jstr(json_array_get(dn, 14), "status"), "INSECURE");
	cr_expect(json_is_false(json_object_get(json_array_get(dn, 14), "expiring")));
	json_decref(r);
	snprintf(args, sizeof(args), "--db %s --config %s", db, ini);
	cr_assert_eq(report(args, &out), 0);
	cr_expect_not_null(strstr(out, "1 BOGUS, 1 INDETERMINATE, 12 expiring within 40 day(s)"));
	cr_expect_not_null(strstr(out, "expires 2024-02-01T00:00:00Z  EXPIRING\n"));
	free(out);
	rm_dir(dir);
}

Test(report_depth, a_period_without_depth_rows_says_so_in_one_line)
{
	struct fx x;
	fx_open(&x);
	fx_healthy(&x, "198.51.100.7", 0, 100);
	finish(&x, 60);
	char *out = report_text(x.path, "text");
	cr_expect_not_null(strstr(out,
	                          "\nDNSSEC, CAA and EDNS\n--------------------\nnone: no DNSSEC "
	                          "status, CAA decision or EDNS failure in this period\n\n"));
	cr_expect_null(strstr(out, "DNSSEC: "), "no empty lists");
	free(out);
	out = report_text(x.path, "markdown");
	cr_expect_not_null(strstr(out, "\n## DNSSEC, CAA and EDNS\n\nNone: no DNSSEC status, CAA "
	                               "decision or EDNS failure in this period.\n"));
	cr_expect_null(strstr(out, "### DNSSEC per name"));
	free(out);
	out = report_text(x.path, "html");
	cr_expect_not_null(strstr(out, "<section id=\"depth\">\n<h2>DNSSEC, CAA and EDNS</h2>\n<p "
	                               "class=\"note\">None: no DNSSEC status, CAA decision or "
	                               "EDNS failure in this period.</p>\n</section>\n"));
	free(out);
	json_t *r = report_json(x.path);
	cr_expect_eq(json_array_size(json_object_get(r, "dnssec")), 0);
	cr_expect(json_is_array(json_object_get(r, "caa")));
	cr_expect_eq(json_array_size(json_object_get(r, "caa")), 0);
	cr_expect_eq(json_array_size(json_object_get(r, "edns")), 0);
	cr_expect_eq(jint(json_object_get(r, "depth_totals"), "dnssec"), 0);
	json_decref(r);
	db_close(x.db);
}
