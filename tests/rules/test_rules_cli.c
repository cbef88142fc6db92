/*
 * test_rules_cli.c - `dcvscope rules`: exit codes, --fail-on, output
 * formats, scopes, and the findings it stores.
 */
#include <jansson.h>
#include <stdlib.h>

#include "rules_fixture.h"

/* A finished run with a critical SESSION_CAP and a warning CAA-free drop. */
static void crafted(struct fx *x, uint32_t cap)
{
	fx_open(x);
	struct source_bucket b = fx_b("198.51.100.7", 0);
	b.queries = b.queries_tcp = 100;
	b.max_concurrent_tcp = cap;
	b.tcp_sessions = 50;
	b.tcp_rejected = 10;
	fx_add(x, &b);
	struct db_run_summary sum = {.finished_ns = FX_T0 + 120 * FX_NS,
	                             .first_packet_ns = FX_T0,
	                             .last_packet_ns = FX_T0 + 60 * FX_NS,
	                             .complete = 1};
	cr_assert_geq(db_run_finish(x->db, x->run, &sum), 0, "%s", db_errmsg(x->db));
	fx_close(x);
}

static int run(const char *args, char **out)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s rules %s 2>/dev/null", DCV_BINARY, args);
	return test_run(cmd, out);
}

Test(rules_cli, prints_findings_and_exits_by_fail_on)
{
	struct fx x;
	crafted(&x, 25);
	char args[1024], *out = NULL;
	snprintf(args, sizeof(args), "--db %s", x.path);
	cr_assert_eq(run(args, &out), 0);
	cr_assert_not_null(strstr(out, "CRITICAL"));
	cr_assert_not_null(strstr(out, "SESSION_CAP"));
	cr_assert_not_null(strstr(out, "198.51.100.7"));
	cr_assert_not_null(strstr(out, "fix:"));
	free(out);
	snprintf(args, sizeof(args), "--db %s --fail-on critical", x.path);
	cr_assert_eq(run(args, NULL), 5);
	snprintf(args, sizeof(args), "--db %s --fail-on warning", x.path);
	cr_assert_eq(run(args, NULL), 5);
}

Test(rules_cli, a_warning_fails_only_fail_on_warning)
{
	struct fx x;
	crafted(&x, 120);
	char args[1024];
	snprintf(args, sizeof(args), "--db %s --fail-on critical", x.path);
	cr_assert_eq(run(args, NULL), 0);
	snprintf(args, sizeof(args), "--db %s --fail-on warning", x.path);
	cr_assert_eq(run(args, NULL), 5);
}

Test(rules_cli, json_output_has_the_findings_array)
{
	struct fx x;
	crafted(&x, 25);
	char args[1024], *out = NULL;
	snprintf(args, sizeof(args), "--db %s --format json", x.path);
	cr_assert_eq(run(args, &out), 0);
	json_error_t e;
	json_t *root = json_loads(out, 0, &e);
	cr_assert_not_null(root, "%s", e.text);
	json_t *arr = json_object_get(root, "findings");
	cr_assert(json_is_array(arr));
	cr_assert_eq(json_array_size(arr), 1);
	json_t *f = json_array_get(arr, 0);
	cr_assert_str_eq(json_string_value(json_object_get(f, "rule")), "SESSION_CAP");
	cr_assert_str_eq(json_string_value(json_object_get(f, "severity")), "critical");
	cr_assert_str_eq(json_string_value(json_object_get(f, "subject")), "198.51.100.7");
	cr_assert_str_eq(json_string_value(json_object_get(f, "first_seen")),
	                 "2024-01-01T00:00:00Z");
	cr_assert_eq(
	    json_real_value(json_object_get(json_object_get(f, "metrics"), "inferred_cap")), 25);
	cr_assert(json_is_string(json_object_get(f, "recommendation")));
	json_decref(root);
	free(out);
}

static int count_stored(const char *path, int64_t run_id)
{
	struct db *db;
	char err[256];
	cr_assert_eq(db_open(&db, path, err, sizeof(err)), 0);
	struct fx tmp;
	tmp.nfound = 0;
	struct rules_scope scope = {.run_id = run_id};
	int n = db_findings_read(db, &scope, fx_collect, &tmp);
	if (n > 0)
		cr_assert_eq(tmp.found[0].metrics[0].value, 25);
	db_close(db);
	return n;
}

Test(rules_cli, findings_are_stored_once_per_scope)
{
	struct fx x;
	crafted(&x, 25);
	char args[1024];
	snprintf(args, sizeof(args), "--db %s", x.path);
	cr_assert_eq(run(args, NULL), 0);
	cr_assert_eq(run(args, NULL), 0);
	cr_assert_eq(count_stored(x.path, x.run), 1, "a re-run replaces, never adds");
	/* a time span is stored apart from the run */
	snprintf(args, sizeof(args), "--db %s --since 1h", x.path);
	cr_assert_eq(run(args, NULL), 0);
	cr_assert_eq(count_stored(x.path, x.run), 1);
}

Test(rules_cli, time_spans_select_what_the_rules_see)
{
	struct fx x;
	crafted(&x, 25);
	char args[1024], *out = NULL;
	snprintf(args, sizeof(args), "--db %s --from 2024-01-01T00:00:00 --to 2024-01-01T00:05",
	         x.path);
	cr_assert_eq(run(args, &out), 0);
	cr_assert_not_null(strstr(out, "SESSION_CAP"));
	free(out);
	snprintf(args, sizeof(args), "--db %s --from 2024-01-02 --fail-on warning", x.path);
	cr_assert_eq(run(args, &out), 0);
	cr_assert_not_null(strstr(out, "0 finding(s)"));
	free(out);
}

Test(rules_cli, usage_errors_exit_2_and_database_errors_exit_4)
{
	struct fx x;
	crafted(&x, 25);
	char args[1024];
	static const char *const bad[] = {"--format xml",     "--fail-on info",     "--since soon",
	                                  "--run 0",          "--run 1 --since 1h", "--bogus",
	                                  "--from yesterday", "extra-argument"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), "--db %s %s", x.path, bad[i]);
		cr_assert_eq(run(args, NULL), 2, "%s", bad[i]);
	}
	char notdb[600];
	snprintf(notdb, sizeof(notdb), "%s/not.db", test_tmpdir());
	FILE *f = fopen(notdb, "w");
	fputs("this is not an SQLite database, not at all, really not\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "--db %s", notdb);
	cr_assert_eq(run(args, NULL), 4);
	snprintf(args, sizeof(args), "--db %s --config /nonexistent.ini", x.path);
	cr_assert_eq(run(args, NULL), 2);
}

Test(rules_cli, config_file_and_print_config)
{
	struct fx x;
	crafted(&x, 25);
	char ini[600], args[1400], *out = NULL;
	snprintf(ini, sizeof(ini), "%s/r.ini", test_tmpdir());
	FILE *f = fopen(ini, "w");
	fputs("[rules]\nsession_cap_critical = 10\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "--db %s --config %s --fail-on critical", x.path, ini);
	cr_assert_eq(run(args, NULL), 0, "the cap of 25 is now only a warning");
	snprintf(args, sizeof(args), "--config %s --print-config", ini);
	cr_assert_eq(run(args, &out), 0);
	cr_assert_not_null(strstr(out, "session_cap_critical = 10"));
	cr_assert_not_null(strstr(out, "# inferred cap below this is critical (default 50)"));
	for (unsigned i = 0; i < RC_COUNT; i++)
		cr_assert_not_null(strchr(out, '='));
	free(out);
	cr_assert_eq(run("--help", &out), 0);
	cr_assert_not_null(strstr(out, "--fail-on"));
	free(out);
}
