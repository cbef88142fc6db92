/*
 * test_fleet_clickhouse.c - the fleet view over a real clickhouse-server:
 * two sites ship what they analyzed; `dcvscope report --clickhouse` shows
 * both sites and their servers with the numbers of their SQLite files,
 * `dcvscope rules --clickhouse` names the site and the server that fail
 * (SITE_ASYMMETRY and the per-server validator rules, with the per-host
 * thresholds), and a clean fleet has no fleet finding.
 */
#include <jansson.h>
#include <sqlite3.h>

#include "ch_server.h"

#define VALIDATORS "--no-default-validators --validators " DCV_CAPTURES_DIR "/validators-test.tsv"

/* Generates scenario into dir/name.pcap and analyzes it into dir/name.db. */
static void analyze_scenario(const char *dir, const char *scenario, const char *name)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s %s -o %s/%s.pcap >/dev/null", DCV_GEN_BINARY, scenario, dir,
	         name);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --db %s/%s.db " VALIDATORS " --no-progress %s/%s.pcap >/dev/null",
	         DCV_BINARY, dir, name, dir, name);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
}

/* Ships dir/name.db into ClickHouse database chdb as server of site. */
static void ship(const char *dir, const char *name, const char *chdb, const char *server,
                 const char *site)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	         "%s ship --db %s/%s.db --clickhouse %s --server %s --site %s >/dev/null",
	         DCV_BINARY, dir, name, ch_url(chdb), server, site);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
}

/* Runs a dcvscope command line that prints JSON; returns the parsed output
 * and the exit code in *rc. */
static json_t *run_json(const char *cmd, int *rc)
{
	char *out = NULL;
	*rc = test_run(cmd, &out);
	json_error_t e;
	json_t *root = json_loads(out ? out : "", 0, &e);
	cr_assert_not_null(root, "%s: %s: %s", cmd, e.text, out);
	free(out);
	return root;
}

/* The fleet findings of `dcvscope rules --clickhouse` (extra: more options). */
static json_t *fleet_rules(const char *chdb, const char *extra)
{
	char cmd[1024];
	int rc;
	snprintf(cmd, sizeof(cmd), "%s rules --clickhouse %s --format json %s", DCV_BINARY,
	         ch_url(chdb), extra ? extra : "");
	json_t *root = run_json(cmd, &rc);
	cr_assert_eq(rc, 0, "%s", cmd);
	cr_assert(json_is_array(json_object_get(root, "findings")));
	return root;
}

/* How many findings of rule (NULL: any) the array holds with subject
 * starting with prefix (NULL: any). */
static size_t count_findings(json_t *arr, const char *rule, const char *prefix)
{
	size_t n = 0, i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		const char *r = json_string_value(json_object_get(f, "rule"));
		const char *s = json_string_value(json_object_get(f, "subject"));
		if ((rule == NULL || strcmp(r, rule) == 0) &&
		    (prefix == NULL || strncmp(s, prefix, strlen(prefix)) == 0))
			n++;
	}
	return n;
}

/* The finding of rule with subject, or NULL. */
static json_t *find(json_t *arr, const char *rule, const char *subject)
{
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "rule")), rule) == 0 &&
		    strcmp(json_string_value(json_object_get(f, "subject")), subject) == 0)
			return f;
	}
	return NULL;
}

static long long num(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);
	if (path2 != NULL)
		v = json_object_get(v, path2);
	cr_assert(json_is_integer(v), "no number %s.%s", path1, path2 ? path2 : "");
	return json_integer_value(v);
}

/* What the report must show for one host, computed from its SQLite file
 * (all of it lies in the report's period). */
static const struct {
	const char *key[2]; /* JSON key (and subkey) */
	const char *sql;
} expected[] = {
    {{"queries", NULL}, "SELECT sum(queries) FROM source_stats"},
    {{"responses", NULL}, "SELECT sum(responses) FROM source_stats"},
    {{"refused", NULL}, "SELECT sum(refused) FROM source_stats"},
    {{"servfail", NULL}, "SELECT sum(servfail) FROM source_stats"},
    {{"unanswered", NULL}, "SELECT sum(unanswered) FROM source_stats"},
    {{"sources", NULL}, "SELECT count(DISTINCT source) FROM source_stats"},
#define VJOIN                                                                                      \
	" FROM source_stats s JOIN validator_sources v ON v.run_id = s.run_id AND v.source = "     \
	"s.source AND v.confidence <> 'low'"
    {{"validators", "queries"}, "SELECT sum(s.queries)" VJOIN},
    {{"validators", "unanswered"}, "SELECT sum(s.unanswered)" VJOIN},
    {{"validators", "servfail"}, "SELECT sum(s.servfail)" VJOIN},
    {{"validators", "failures"},
     "SELECT sum(s.unanswered + s.refused + s.servfail + s.tcp_rejected + s.tcp_filtered)" VJOIN},
    {{"validators", "sources"}, "SELECT count(DISTINCT s.source)" VJOIN},
    {{"attempts", "total"}, "SELECT count(*) FROM attempts"},
    {{"attempts", "corroborated"}, "SELECT count(*) FROM attempts WHERE status = 'corroborated'"},
    {{"attempts", "at_risk"}, "SELECT count(*) FROM attempts WHERE status = 'at_risk'"},
    {{"attempts", "failed"}, "SELECT count(*) FROM attempts WHERE status = 'failed'"},
    {{"host_findings", "critical"},
     "SELECT count(*) FROM findings WHERE run_id IS NOT NULL AND severity = 'critical'"},
    {{"host_findings", "warning"},
     "SELECT count(*) FROM findings WHERE run_id IS NOT NULL AND severity = 'warning'"},
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

/* The row of site (and server, when not NULL) in arr. */
static json_t *row_of(json_t *arr, const char *site, const char *server)
{
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "site")), site) != 0)
			continue;
		if (server == NULL ||
		    strcmp(json_string_value(json_object_get(r, "server")), server) == 0)
			return r;
	}
	cr_assert_fail("no row for %s/%s", site, server ? server : "");
	return NULL;
}

/* Every expected number of row equals the sum over the SQLite files dbs. */
static void assert_row(json_t *row, const char *const *dbs, size_t ndbs, const char *what)
{
	for (size_t i = 0; i < NEXPECTED; i++) {
		const char *leaf = expected[i].key[1] ? expected[i].key[1] : expected[i].key[0];
		if (ndbs > 1 && strcmp(leaf, "sources") == 0)
			continue; /* distinct sources do not add up across servers */
		long long want = 0;
		for (size_t d = 0; d < ndbs; d++)
			want += test_sql_number(dbs[d], expected[i].sql);
		long long got = num(row, expected[i].key[0], expected[i].key[1]);
		cr_expect_eq(got, want, "%s %s%s%s: report %lld, SQLite %lld", what,
		             expected[i].key[0], expected[i].key[1] ? "." : "",
		             expected[i].key[1] ? expected[i].key[1] : "", got, want);
	}
}

/* Writes n with thousands separators ("23,034"), as the report does. */
static void thousands(long long n, char *buf, size_t len)
{
	char digits[32];
	snprintf(digits, sizeof(digits), "%lld", n);
	size_t nd = strlen(digits), o = 0;
	for (size_t i = 0; i < nd && o + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

Test(fleet_clickhouse, the_fleet_report_shows_both_sites_with_the_numbers_of_their_hosts,
     .timeout = 300)
{
	char dir[256], east[300], west[300], west2[300], cmd[1024];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-clean", "clean");
	analyze_scenario(dir, "fault-region-silence", "silence");
	analyze_scenario(dir, "fault-servfail-caa", "servfail");
	ship(dir, "clean", "report", "ns-east", "east");
	ship(dir, "silence", "report", "ns-west", "west");
	ship(dir, "servfail", "report", "ns-west2", "west");
	/* shipping again counts nothing twice */
	ship(dir, "silence", "report", "ns-west", "west");
	snprintf(east, sizeof(east), "%s/clean.db", dir);
	snprintf(west, sizeof(west), "%s/silence.db", dir);
	snprintf(west2, sizeof(west2), "%s/servfail.db", dir);

	int rc;
	snprintf(cmd, sizeof(cmd), "%s report --clickhouse %s --format json", DCV_BINARY,
	         ch_url("report"));
	json_t *root = run_json(cmd, &rc);
	cr_assert_eq(rc, 0, "%s", cmd);
	json_t *servers = json_object_get(root, "servers"), *sites = json_object_get(root, "sites");
	cr_assert_eq(json_array_size(servers), 3);
	cr_assert_eq(json_array_size(sites), 2);
	const char *e[] = {east}, *w[] = {west}, *w2[] = {west2}, *ws[] = {west, west2},
	           *all[] = {east, west, west2};
	assert_row(row_of(servers, "east", "ns-east"), e, 1, "east/ns-east");
	assert_row(row_of(servers, "west", "ns-west"), w, 1, "west/ns-west");
	assert_row(row_of(servers, "west", "ns-west2"), w2, 1, "west/ns-west2");
	assert_row(row_of(sites, "east", NULL), e, 1, "site east");
	assert_row(row_of(sites, "west", NULL), ws, 2, "site west");
	assert_row(json_object_get(root, "totals"), all, 3, "fleet");
	cr_expect_eq(num(row_of(sites, "west", NULL), "servers", NULL), 2);
	cr_expect_eq(num(json_object_get(root, "totals"), "servers", NULL), 3);
	/* the sites' validators: east answered all, west failed */
	cr_assert_eq(num(row_of(sites, "east", NULL), "validators", "failures"), 0);
	cr_assert_gt(num(row_of(servers, "west", "ns-west"), "validators", "unanswered"), 0);
	cr_assert_gt(num(row_of(servers, "west", "ns-west2"), "validators", "servfail"), 0);

	/* the findings the hosts shipped, per server, and the fleet's */
	json_t *hf = json_object_get(root, "host_findings");
	cr_assert_eq(count_findings(hf, "REGION_ASYMMETRY", "digicert/ripe"), 1);
	cr_assert_eq(count_findings(hf, "SERVFAIL_TO_VALIDATORS", "digicert"), 1);
	size_t i;
	json_t *f;
	json_array_foreach(hf, i, f)
	{
		const char *server = json_string_value(json_object_get(f, "server"));
		cr_assert(strcmp(server, "ns-west") == 0 || strcmp(server, "ns-west2") == 0,
		          "a finding of %s: the clean host shipped none", server);
	}
	json_t *ff = json_object_get(root, "fleet_findings");
	cr_assert_not_null(find(ff, "SITE_ASYMMETRY", "west/ripe"));
	cr_assert_not_null(find(ff, "VALIDATOR_DROPS", "west/ns-west/digicert"));
	cr_assert_not_null(find(ff, "SERVFAIL_TO_VALIDATORS", "west/ns-west2/digicert"));
	json_decref(root);

	/* the text shows each site's queries as counted in its SQLite files */
	long long east_q = test_sql_number(east, "SELECT sum(queries) FROM source_stats");
	long long west_q = test_sql_number(west, "SELECT sum(queries) FROM source_stats") +
	                   test_sql_number(west2, "SELECT sum(queries) FROM source_stats");
	char *text = NULL, east_s[32], west_s[32], line[128];
	snprintf(cmd, sizeof(cmd), "%s report --clickhouse %s", DCV_BINARY, ch_url("report"));
	cr_assert_eq(test_run(cmd, &text), 0, "%s", cmd);
	thousands(east_q, east_s, sizeof(east_s));
	thousands(west_q, west_s, sizeof(west_s));
	snprintf(line, sizeof(line), "  east       1  %s ", east_s);
	cr_assert_not_null(strstr(text, line), "no '%s' in:\n%s", line, text);
	snprintf(line, sizeof(line), "  west       2  %s ", west_s);
	cr_assert_not_null(strstr(text, line), "no '%s' in:\n%s", line, text);
	free(text);

	/* every format shows both sites and every server */
	static const char *const formats[] = {"text", "markdown", "html"};
	for (size_t k = 0; k < 3; k++) {
		char *out = NULL;
		snprintf(cmd, sizeof(cmd), "%s report --clickhouse %s --format %s", DCV_BINARY,
		         ch_url("report"), formats[k]);
		cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
		cr_assert_not_null(strstr(out, "east"), "%s", formats[k]);
		cr_assert_not_null(strstr(out, "west"), "%s", formats[k]);
		cr_assert_not_null(strstr(out, k == 1 ? "ns\\-west2" : "ns-west2"), "%s",
		                   formats[k]);
		cr_assert_not_null(strstr(out, "SITE_ASYMMETRY"), "%s", formats[k]);
		free(out);
	}
	/* --fail-on looks at the fleet findings */
	snprintf(cmd, sizeof(cmd), "%s report --clickhouse %s --fail-on critical >/dev/null",
	         DCV_BINARY, ch_url("report"));
	cr_assert_eq(test_run(cmd, NULL), 5, "%s", cmd);
	/* a period before every shipped bucket is empty */
	snprintf(cmd, sizeof(cmd),
	         "%s report --clickhouse %s --format json --from 2000-01-01 --to 2000-01-02",
	         DCV_BINARY, ch_url("report"));
	root = run_json(cmd, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(json_array_size(json_object_get(root, "servers")), 0);
	cr_assert_eq(json_array_size(json_object_get(root, "fleet_findings")), 0);
	cr_assert_eq(num(json_object_get(root, "totals"), "queries", NULL), 0);
	json_decref(root);
	test_remove_dir(dir);
}

Test(fleet_clickhouse, a_region_failing_at_one_site_names_that_site_and_its_server, .timeout = 300)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-clean", "clean");
	analyze_scenario(dir, "fault-clean", "clean2");
	analyze_scenario(dir, "fault-region-silence", "silence");
	ship(dir, "clean", "asym", "ns-east", "east");
	ship(dir, "clean2", "asym", "ns-east2", "east");
	ship(dir, "silence", "asym", "ns-west", "west");
	json_t *root = fleet_rules("asym", NULL);
	json_t *arr = json_object_get(root, "findings");
	/* SITE_ASYMMETRY: the silent region at west only */
	cr_assert_eq(count_findings(arr, "SITE_ASYMMETRY", NULL), 1);
	json_t *f = find(arr, "SITE_ASYMMETRY", "west/ripe");
	cr_assert_not_null(f);
	cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "critical");
	/* the per-server rules name the failing server of that site, no other */
	f = find(arr, "VALIDATOR_DROPS", "west/ns-west/digicert");
	cr_assert_not_null(f);
	cr_assert_str_eq(json_string_value(json_object_get(f, "subject_kind")), "site/server/ca");
	cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "critical");
	cr_assert_not_null(strstr(json_string_value(json_object_get(f, "evidence")), "ripe"));
	cr_assert_eq(count_findings(arr, NULL, "east/"), 0, "nothing about the clean site");
	cr_assert_eq(count_findings(arr, NULL, NULL), count_findings(arr, NULL, "west/"),
	             "every finding is about west");
	json_decref(root);

	/* the thresholds are the per-host rules': above them nothing fires */
	char cfg[300];
	snprintf(cfg, sizeof(cfg), "%s/high.ini", dir);
	FILE *fp = fopen(cfg, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "[rules]\ndrops_min = 1000000\n");
	fclose(fp);
	char extra[400];
	snprintf(extra, sizeof(extra), "--config %s", cfg);
	root = fleet_rules("asym", extra);
	arr = json_object_get(root, "findings");
	cr_assert_eq(count_findings(arr, "VALIDATOR_DROPS", NULL), 0);
	cr_assert_eq(count_findings(arr, "SITE_ASYMMETRY", NULL), 1);
	json_decref(root);
	test_remove_dir(dir);
}

Test(fleet_clickhouse, servfail_at_one_server_is_servfail_to_validators_of_that_server,
     .timeout = 300)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-clean", "clean");
	analyze_scenario(dir, "fault-servfail-caa", "servfail");
	ship(dir, "clean", "servfail", "ns-east", "east");
	ship(dir, "servfail", "servfail", "ns-west", "west");
	json_t *root = fleet_rules("servfail", NULL);
	json_t *arr = json_object_get(root, "findings");
	json_t *f = find(arr, "SERVFAIL_TO_VALIDATORS", "west/ns-west/digicert");
	cr_assert_not_null(f);
	cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "critical");
	cr_assert_eq(count_findings(arr, "SERVFAIL_TO_VALIDATORS", "east/"), 0);
	cr_assert_eq(count_findings(arr, NULL, "east/"), 0);
	json_decref(root);
	test_remove_dir(dir);
}

/* The real capture of a firewall that lets TCP/53 connect and drops the
 * queries (tests/captures/bind-tcp53-silent.pcap) at one server: the fleet's
 * TCP53_REJECTED counts its stalled sessions as a host does. */
Test(fleet_clickhouse, tcp_accepted_but_never_answered_at_one_server_is_tcp53_rejected_there,
     .timeout = 300)
{
	char dir[256], cmd[2048];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-clean", "clean");
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --db %s/silent.db --no-default-validators --validators "
	         "%s/validators-lab.tsv --timeout-ms 1000 --no-progress %s/bind-tcp53-silent.pcap "
	         ">/dev/null",
	         DCV_BINARY, dir, DCV_CAPTURES_DIR, DCV_CAPTURES_DIR);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	ship(dir, "clean", "stalled", "ns-east", "east");
	ship(dir, "silent", "stalled", "ns-west", "west");
	json_t *root = fleet_rules("stalled", NULL);
	json_t *arr = json_object_get(root, "findings");
	const char *subjects[] = {"west/ns-west/letsencrypt", "west/ns-west/digicert"};
	for (size_t i = 0; i < 2; i++) {
		json_t *f = find(arr, "TCP53_REJECTED", subjects[i]);
		cr_assert_not_null(f, "no TCP53_REJECTED for %s", subjects[i]);
		cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "critical");
		json_t *m = json_object_get(f, "metrics");
		cr_assert_eq(json_number_value(json_object_get(m, "tcp_stalled")), 9);
		cr_assert_eq(json_number_value(json_object_get(m, "tcp_failed")), 9);
		cr_assert_eq(json_number_value(json_object_get(m, "tcp_attempts")), 9);
	}
	cr_assert_eq(count_findings(arr, NULL, "east/"), 0);
	json_decref(root);
	test_remove_dir(dir);
}

Test(fleet_clickhouse, a_clean_fleet_has_no_fleet_finding, .timeout = 300)
{
	char dir[256], cmd[1024];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-clean", "clean");
	/* a copy for the second host: the shipping watermarks are per file */
	snprintf(cmd, sizeof(cmd), "cp %s/clean.db %s/clean2.db", dir, dir);
	cr_assert_eq(test_run(cmd, NULL), 0);
	ship(dir, "clean", "clean", "ns-east", "east");
	ship(dir, "clean2", "clean", "ns-west", "west");
	json_t *root = fleet_rules("clean", NULL);
	cr_assert_eq(json_array_size(json_object_get(root, "findings")), 0);
	json_decref(root);
	int rc;
	snprintf(cmd, sizeof(cmd), "%s report --clickhouse %s --format json --fail-on warning",
	         DCV_BINARY, ch_url("clean"));
	root = run_json(cmd, &rc);
	cr_assert_eq(rc, 0, "%s", cmd);
	cr_assert_eq(json_array_size(json_object_get(root, "fleet_findings")), 0);
	cr_assert_eq(json_array_size(json_object_get(root, "sites")), 2);
	cr_assert_eq(num(json_object_get(root, "totals"), "validators", "failures"), 0);
	json_decref(root);
	test_remove_dir(dir);
}

Test(fleet_clickhouse, site_and_server_names_are_escaped_in_every_format, .timeout = 300)
{
	char dir[256], cmd[2048];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-region-silence", "silence");
	snprintf(cmd, sizeof(cmd),
	         "%s ship --db %s/silence.db --clickhouse %s --server 'ns<b>1' --site "
	         "'<i>west' >/dev/null",
	         DCV_BINARY, dir, ch_url("escape"));
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	static const struct {
		const char *format, *raw, *escaped;
	} k[] = {
	    {"html", "<i>west", "&lt;i&gt;west"},
	    {"markdown", "<i>west", "&lt;i&gt;west"},
	    {"html", "ns<b>1", "ns&lt;b&gt;1"},
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		char *out = NULL;
		snprintf(cmd, sizeof(cmd), "%s report --clickhouse %s --format %s", DCV_BINARY,
		         ch_url("escape"), k[i].format);
		cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
		cr_assert_null(strstr(out, k[i].raw), "%s shows %s unescaped", k[i].format,
		               k[i].raw);
		cr_assert_not_null(strstr(out, k[i].escaped), "%s lacks %s", k[i].format,
		                   k[i].escaped);
		free(out);
	}
	int rc;
	snprintf(cmd, sizeof(cmd), "%s report --clickhouse %s --format json", DCV_BINARY,
	         ch_url("escape"));
	json_t *root = run_json(cmd, &rc);
	cr_assert_eq(rc, 0);
	json_t *server = json_array_get(json_object_get(root, "servers"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(server, "site")), "<i>west");
	cr_assert_str_eq(json_string_value(json_object_get(server, "server")), "ns<b>1");
	json_decref(root);
	test_remove_dir(dir);
}
