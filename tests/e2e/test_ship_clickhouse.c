/*
 * test_ship_clickhouse.c - `dcvscope ship` into a real clickhouse-server:
 * two hosts of two sites ship what they analyzed, and ClickHouse holds
 * exactly the rows of both databases; shipping again adds nothing;
 * ClickHouse down before or killed during shipping loses nothing and
 * counts nothing twice once it is back.
 */
#include <jansson.h>
#include <sys/prctl.h>
#include <sqlite3.h>

#include "ch_server.h"

#define VALIDATORS "--no-default-validators --validators " DCV_CAPTURES_DIR "/validators-test.tsv"

/* The ClickHouse database of this test executable. */
#define CH_DB "fleet"

/* The shipped tables, and how many rows of the SQLite file each must hold
 * in ClickHouse (db/ship.c, WHAT IS SHIPPED). */
static const struct {
	const char *table;
	const char *sqlite_count;
} shipped[] = {
    {"runs", "SELECT count(*) FROM runs WHERE kind = 'live' OR finished_ns IS NOT NULL"},
    {"source_stats", "SELECT count(*) FROM source_stats"},
    {"transactions", "SELECT count(*) FROM transactions t WHERE t.shape IS NOT NULL OR "
                     "t.client IN (SELECT v.source FROM validator_sources v WHERE "
                     "v.run_id = t.run_id)"},
    {"validator_sources", "SELECT count(*) FROM validator_sources"},
    {"attempts", "SELECT count(*) FROM attempts"},
    {"attempt_perspectives", "SELECT count(*) FROM attempt_perspectives"},
    {"findings", "SELECT count(*) FROM findings WHERE run_id IS NOT NULL"},
    {"capture_intervals", "SELECT count(*) FROM capture_intervals"},
};
#define NSHIPPED (sizeof(shipped) / sizeof(shipped[0]))

/* Generates scenario into dir/name.pcap and analyzes it into dir/name.db. */
static void analyze_scenario(const char *dir, const char *scenario, const char *name)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s %s -o %s/%s.pcap >/dev/null", DCV_GEN_BINARY, scenario, dir,
	         name);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --db %s/%s.db " VALIDATORS " --no-progress %s/%s.pcap", DCV_BINARY,
	         dir, name, dir, name);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
}

/* Runs dcvscope ship; returns its exit code and the JSON report in *report. */
static int ship(const char *db_path, const char *server, const char *site, const char *extra,
                json_t **report)
{
	char cmd[2048], *out = NULL;
	snprintf(cmd, sizeof(cmd),
	         "%s ship --db %s --clickhouse %s --server %s --site %s --format json %s",
	         DCV_BINARY, db_path, ch_url(CH_DB), server, site, extra ? extra : "");
	int rc = test_run(cmd, &out);
	json_error_t e;
	json_t *root = json_loads(out ? out : "", 0, &e);
	cr_assert_not_null(root, "%s: %s: %s", cmd, e.text, out);
	free(out);
	if (report != NULL)
		*report = root;
	else
		json_decref(root);
	return rc;
}

/* Rows of table sent by one ship (delivered or spooled), from its report. */
static long long shipped_rows(json_t *report, const char *table)
{
	json_t *t = json_object_get(json_object_get(report, "tables"), table);
	cr_assert_not_null(t, "no table %s in the report", table);
	return json_integer_value(json_object_get(t, "rows"));
}

/* ClickHouse's row count of server's rows in table; with FINAL (one row per
 * key) or without (every stored row). */
static long long ch_rows(const char *table, const char *server, bool final)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT count() FROM " CH_DB ".%s%s WHERE server = '%s'", table,
	         final ? " FINAL" : "", server);
	return ch_number(sql);
}

/* Every shipped table holds exactly the database's rows for server. */
static void assert_counts_equal(const char *db_path, const char *server)
{
	for (size_t i = 0; i < NSHIPPED; i++) {
		long long want = test_sql_number(db_path, shipped[i].sqlite_count);
		long long got = ch_rows(shipped[i].table, server, true);
		cr_expect_eq(got, want, "%s of %s: ClickHouse %lld rows, SQLite %lld",
		             shipped[i].table, server, got, want);
	}
}

Test(ship_clickhouse, two_sites_hold_exactly_their_rows_and_shipping_twice_adds_nothing,
     .timeout = 300)
{
	char dir[256], a[300], b[300];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-clean", "clean");
	analyze_scenario(dir, "fault-region-silence", "silence");
	snprintf(a, sizeof(a), "%s/clean.db", dir);
	snprintf(b, sizeof(b), "%s/silence.db", dir);
	/* the scenarios hold what every table is about */
	cr_assert_gt(test_sql_number(b, "SELECT count(*) FROM source_stats"), 100);
	cr_assert_gt(test_sql_number(b, "SELECT count(*) FROM attempt_perspectives"), 10);
	cr_assert_gt(test_sql_number(b, "SELECT count(*) FROM findings"), 0);
	cr_assert_gt(test_sql_number(b, shipped[2].sqlite_count), 10);

	json_t *rep = NULL;
	cr_assert_eq(ship(a, "ns-east", "east", NULL, &rep), 0);
	cr_assert_eq(shipped_rows(rep, "source_stats"),
	             test_sql_number(a, "SELECT count(*) FROM source_stats"));
	cr_assert_eq(json_integer_value(json_object_get(rep, "schema_version")), 2);
	json_decref(rep);
	cr_assert_eq(ship(b, "ns-west", "west", "--batch-rows 500", NULL), 0);
	assert_counts_equal(a, "ns-east");
	assert_counts_equal(b, "ns-west");
	/* the site is on every row */
	cr_assert_eq(ch_number("SELECT count() FROM " CH_DB ".source_stats FINAL WHERE "
	                       "server = 'ns-west' AND site != 'west'"),
	             0);

	/* shipping again sends nothing: the watermarks say it is there */
	cr_assert_eq(ship(b, "ns-west", "west", NULL, &rep), 0);
	for (size_t i = 0; i < NSHIPPED; i++)
		cr_expect_eq(shipped_rows(rep, shipped[i].table), 0, "%s sent again",
		             shipped[i].table);
	json_decref(rep);

	/* without the watermarks everything is sent again, and counts once */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "sqlite3 %s 'DELETE FROM ship_watermarks'", b);
	cr_assert_eq(test_run(cmd, NULL), 0);
	cr_assert_eq(ship(b, "ns-west", "west", "--batch-rows 700", &rep), 0);
	cr_assert_eq(shipped_rows(rep, "source_stats"),
	             test_sql_number(b, "SELECT count(*) FROM source_stats"));
	json_decref(rep);
	assert_counts_equal(b, "ns-west");
	for (size_t i = 0; i < NSHIPPED; i++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "OPTIMIZE TABLE " CH_DB ".%s FINAL", shipped[i].table);
		ch_number(sql);
		long long want = test_sql_number(b, shipped[i].sqlite_count);
		cr_expect_eq(ch_rows(shipped[i].table, "ns-west", false), want,
		             "%s after OPTIMIZE FINAL", shipped[i].table);
	}
	test_remove_dir(dir);
}

/* Turns ClickHouse database "migrate" back into version 1 left half-way
 * through step 2: source_stats has tcp_stalled (added by a host that
 * failed before the second column) but not max_served_tcp. */
static void back_to_version_1_half_migrated(void)
{
	static const char *const sql[] = {
	    "ALTER TABLE migrate.source_stats DROP COLUMN max_served_tcp",
	    "DROP TABLE migrate.schema_version",
	    "CREATE TABLE migrate.schema_version (version UInt32, what String, applied_ns UInt64)"
	    " ENGINE = ReplacingMergeTree ORDER BY version",
	    "INSERT INTO migrate.schema_version VALUES (1, 'create the initial schema', 1)",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		cr_assert_eq(ch_exec(sql[i], NULL), 0, "%s", sql[i]);
	cr_assert_eq(ch_number("SELECT count() FROM system.columns WHERE database = 'migrate' AND "
	                       "table = 'source_stats' AND name = 'max_served_tcp'"),
	             0);
}

/* SQLite's sum of column over source_stats against ClickHouse's for server. */
static void assert_column_shipped(const char *db_path, const char *server, const char *column)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT sum(%s) FROM source_stats", column);
	long long want = test_sql_number(db_path, sql);
	snprintf(sql, sizeof(sql),
	         "SELECT sum(%s) FROM migrate.source_stats FINAL WHERE server = '%s'", column,
	         server);
	cr_expect_eq(ch_number(sql), want, "%s of %s", column, server);
}

Test(ship_clickhouse, a_version_1_database_gains_the_stalled_session_counters, .timeout = 300)
{
	char dir[256], a[300], b[300], url[300];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-clean", "clean");
	analyze_scenario(dir, "fault-session-cap-stall", "stall");
	snprintf(a, sizeof(a), "%s/clean.db", dir);
	snprintf(b, sizeof(b), "%s/stall.db", dir);
	cr_assert_gt(test_sql_number(b, "SELECT sum(tcp_stalled) FROM source_stats"), 0);
	cr_assert_gt(test_sql_number(b, "SELECT max(max_served_tcp) FROM source_stats"), 0);
	snprintf(url, sizeof(url), "%s", ch_url("migrate"));
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s ship --db %s --clickhouse %s --server ns-a --format json",
	         DCV_BINARY, a, url);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	back_to_version_1_half_migrated();

	/* the next ship migrates: the column there already is kept */
	char *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s ship --db %s --clickhouse %s --server ns-b --format json",
	         DCV_BINARY, b, url);
	cr_assert_eq(test_run(cmd, &out), 0, "%s: %s", cmd, out);
	json_error_t e;
	json_t *rep = json_loads(out ? out : "", 0, &e);
	cr_assert_not_null(rep, "%s: %s", e.text, out);
	free(out);
	cr_assert_eq(json_integer_value(json_object_get(rep, "schema_version")), 2);
	json_decref(rep);
	cr_assert_eq(ch_number("SELECT max(version) FROM migrate.schema_version"), 2);
	assert_column_shipped(b, "ns-b", "tcp_stalled");
	assert_column_shipped(b, "ns-b", "max_served_tcp");
	/* the rows shipped before the columns existed read 0 */
	cr_assert_eq(ch_number("SELECT sum(max_served_tcp) FROM migrate.source_stats FINAL "
	                       "WHERE server = 'ns-a'"),
	             0);
	test_remove_dir(dir);
}

Test(ship_clickhouse, clickhouse_down_before_shipping_spools_and_delivers_later, .timeout = 300)
{
	char dir[256], db[300], spool[300], extra[400];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-region-silence", "down");
	snprintf(db, sizeof(db), "%s/down.db", dir);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	snprintf(extra, sizeof(extra), "--spool %s --tries 2 --batch-rows 400", spool);

	ch_stop(SIGKILL);
	json_t *rep = NULL;
	cr_assert_eq(ship(db, "ns-down", "north", extra, &rep), 6, "exit 6: spooled");
	cr_assert(json_is_true(json_object_get(rep, "unreachable")));
	long long spooled = 0;
	for (size_t i = 0; i < NSHIPPED; i++) {
		json_t *t = json_object_get(json_object_get(rep, "tables"), shipped[i].table);
		long long rows = json_integer_value(json_object_get(t, "spooled_rows"));
		cr_expect_eq(rows, test_sql_number(db, shipped[i].sqlite_count), "%s spooled",
		             shipped[i].table);
		spooled += json_integer_value(json_object_get(t, "spooled_batches"));
	}
	cr_assert_gt(spooled, 3);
	cr_assert_eq(
	    json_integer_value(json_object_get(json_object_get(rep, "spool"), "batches_left")),
	    spooled);
	json_decref(rep);

	/* still down: the spool stays, nothing new is spooled twice */
	cr_assert_eq(ship(db, "ns-down", "north", extra, &rep), 6);
	cr_assert_eq(shipped_rows(rep, "source_stats"), 0);
	json_decref(rep);

	cr_assert_eq(ch_start(), 0, "clickhouse-server restarts");
	cr_assert_eq(ship(db, "ns-down", "north", extra, &rep), 0);
	json_t *sp = json_object_get(rep, "spool");
	cr_assert_eq(json_integer_value(json_object_get(sp, "replayed")), spooled);
	cr_assert_eq(json_integer_value(json_object_get(sp, "batches_left")), 0);
	json_decref(rep);
	assert_counts_equal(db, "ns-down");
	test_remove_dir(dir);
}

Test(ship_clickhouse, clickhouse_killed_while_shipping_loses_and_doubles_nothing, .timeout = 300)
{
	char dir[256], db[300], cmd[2048];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-region-silence", "killed");
	snprintf(db, sizeof(db), "%s/killed.db", dir);

	/* small batches, so that the kill lands between two of them */
	snprintf(
	    cmd, sizeof(cmd),
	    "(%s ship --db %s --clickhouse %s --server ns-killed --site south --spool %s/spool "
	    "--tries 2 --batch-rows 20 --format json > %s/ship.json 2>%s/ship.err; "
	    "echo $? > %s/ship.rc) &",
	    DCV_BINARY, db, ch_url(CH_DB), dir, dir, dir, dir);
	cr_assert_eq(system(cmd), 0);
	for (int i = 0; i < 1500 && ch_rows("source_stats", "ns-killed", false) <= 0; i++)
		ch_sleep_ms(10);
	ch_stop(SIGKILL);
	char rc_path[300];
	snprintf(rc_path, sizeof(rc_path), "%s/ship.rc", dir);
	char *rc_text = NULL;
	for (int i = 0; i < 600 && (rc_text = test_read_file(rc_path, NULL)) == NULL; i++)
		ch_sleep_ms(100);
	cr_assert_not_null(rc_text, "ship did not end");
	int first_rc = atoi(rc_text);
	free(rc_text);
	cr_assert(first_rc == 6 || first_rc == 0, "exit %d: spooled (or done before the kill)",
	          first_rc);
	cr_log_info("the kill came %s", first_rc == 6 ? "while shipping" : "after shipping ended");

	cr_assert_eq(ch_start(), 0, "clickhouse-server restarts");
	json_t *rep = NULL;
	snprintf(cmd, sizeof(cmd), "--spool %s/spool --tries 2 --batch-rows 20", dir);
	cr_assert_eq(ship(db, "ns-killed", "south", cmd, &rep), 0);
	json_decref(rep);
	assert_counts_equal(db, "ns-killed");
	test_remove_dir(dir);
}

Test(ship_clickhouse, watch_ships_at_every_flush_and_at_stop, .timeout = 120)
{
	char dir[256], db[300], cmd[2048];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	snprintf(db, sizeof(db), "%s/live.db", dir);
	/* libpcap on loopback; a few queries nobody answers make source rows */
	snprintf(cmd, sizeof(cmd),
	         "%s watch -i lo --capture pcap --config /dev/null --db %s --flush-s 1 "
	         "--rules-s 0 --duration-s 5 --timeout-ms 500 --clickhouse %s --server ns-live "
	         "--site lab --spool %s/spool > %s/watch.out 2> %s/watch.err &"
	         " for i in 1 2 3 4 5 6; do sleep 0.5; "
	         "kdig @127.0.0.1 -p 53 +notcp +timeout=1 +retry=0 ship-test.example. A "
	         ">/dev/null 2>&1; done; wait",
	         DCV_BINARY, db, ch_url(CH_DB), dir, dir, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	/* shipped while running: more than one pass reached ClickHouse */
	cr_assert_gt(test_sql_number(db, "SELECT count(*) FROM capture_intervals"), 3);
	cr_assert_gt(test_sql_number(db, "SELECT count(*) FROM source_stats"), 0);
	cr_assert_eq(test_sql_number(db, "SELECT count(*) FROM ship_watermarks WHERE tbl = 'runs' "
	                                 "AND mark = 2"),
	             1, "the finished run was shipped completely");
	assert_counts_equal(db, "ns-live");
	cr_assert_eq(ch_number("SELECT count() FROM " CH_DB ".runs FINAL WHERE server = "
	                       "'ns-live' AND finished_ns > 0 AND site = 'lab'"),
	             1);
	test_remove_dir(dir);
}

/* A ClickHouse that takes connections and never answers (a listening
 * socket nobody accepts on): every shipping pass waits for its statement
 * timeout (DB_CH_STATEMENT_TIMEOUT_MS, a minute), in the shipping thread,
 * while watch goes on reading frames and flushing every second. */
Test(ship_clickhouse, a_hanging_clickhouse_does_not_hold_up_the_capture, .timeout = 120)
{
	int hang = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(hang, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t salen = sizeof(sa);
	cr_assert_eq(bind(hang, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(hang, 64), 0);
	cr_assert_eq(getsockname(hang, (struct sockaddr *)&sa, &salen), 0);

	char dir[256], db[300], url[128];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	snprintf(db, sizeof(db), "%s/hang.db", dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hang", (unsigned)ntohs(sa.sin_port));
	char out[320], errlog[320];
	snprintf(out, sizeof(out), "%s/watch.out", dir);
	snprintf(errlog, sizeof(errlog), "%s/watch.err", dir);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!freopen(out, "w", stdout) || !freopen(errlog, "w", stderr))
			_exit(127);
		execl(DCV_BINARY, DCV_BINARY, "watch", "-i", "lo", "--capture", "pcap", "--config",
		      "/dev/null", "--db", db, "--flush-s", "1", "--rules-s", "0", "--timeout-ms",
		      "500", "--clickhouse", url, "--server", "ns-hang", (char *)NULL);
		_exit(127);
	}
	/* about seven seconds of queries nobody answers: rows for every flush */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "for i in 1 2 3 4 5; do sleep 0.5; kdig @127.0.0.1 -p 53 +notcp +timeout=1 "
	         "+retry=0 hang-test.example. A >/dev/null 2>&1; done; true");
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "watch ended early");
	long long intervals = test_sql_number(db, "SELECT count(*) FROM capture_intervals");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(hang);
	char *log = test_read_file(errlog, NULL);
	cr_expect_geq(
	    intervals, 4,
	    "%lld flushes in seven seconds: shipping held up the capture loop; stderr:\n%s",
	    intervals, log ? log : "");
	free(log);
	test_remove_dir(dir);
}

/* The SITE_ASYMMETRY findings of `dcvscope rules --clickhouse` on database
 * db (owned by *root). */
static json_t *fleet_findings(const char *db, json_t **root)
{
	char cmd[1024], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s rules --clickhouse %s --format json", DCV_BINARY,
	         ch_url(db));
	cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
	json_error_t e;
	*root = json_loads(out ? out : "", 0, &e);
	cr_assert_not_null(*root, "%s: %s", e.text, out);
	free(out);
	json_t *arr = json_object_get(*root, "findings");
	cr_assert(json_is_array(arr));
	return arr;
}

/* How many findings of arr are of rule. */
static size_t count_rule(json_t *arr, const char *rule)
{
	size_t n = 0, i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "rule")), rule) == 0)
			n++;
	}
	return n;
}

Test(ship_clickhouse, a_region_silent_at_one_site_only_is_site_asymmetry_there, .timeout = 300)
{
	char dir[256], a[300], b[300], cmd[1024];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	analyze_scenario(dir, "fault-clean", "clean");
	analyze_scenario(dir, "fault-region-silence", "silence");
	snprintf(a, sizeof(a), "%s/clean.db", dir);
	snprintf(b, sizeof(b), "%s/silence.db", dir);
	/* a database of its own: the other tests ship silent regions too */
	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
		         "%s ship --db %s --clickhouse %s --server %s --site %s >/dev/null",
		         DCV_BINARY, i ? b : a, ch_url("sites"), i ? "ns-west" : "ns-east",
		         i ? "west" : "east");
		cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	}
	json_t *root = NULL;
	json_t *arr = fleet_findings("sites", &root);
	/* the per-server rules also speak about ns-west (test_fleet_clickhouse.c) */
	cr_assert_eq(count_rule(arr, "SITE_ASYMMETRY"), 1,
	             "one SITE_ASYMMETRY: the silent region at west");
	json_t *f = json_array_get(arr, 0);
	cr_assert_str_eq(json_string_value(json_object_get(f, "rule")), "SITE_ASYMMETRY");
	cr_assert_str_eq(json_string_value(json_object_get(f, "subject_kind")), "site/region");
	cr_assert_str_eq(json_string_value(json_object_get(f, "subject")), "west/ripe");
	cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "critical");
	json_decref(root);

	/* the same silence at both sites is not a site's fault */
	snprintf(cmd, sizeof(cmd),
	         "%s ship --db %s --clickhouse %s --server ns-east2 --site east >/dev/null",
	         DCV_BINARY, b, ch_url("both"));
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd),
	         "%s ship --db %s --clickhouse %s --server ns-west --site west >/dev/null",
	         DCV_BINARY, b, ch_url("both"));
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	arr = fleet_findings("both", &root);
	cr_assert_eq(count_rule(arr, "SITE_ASYMMETRY"), 0);
	json_decref(root);
	test_remove_dir(dir);
}
