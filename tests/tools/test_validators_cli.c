/*
 * test_validators_cli.c - `dcvscope validators lookup|check`: output and
 * exit codes (0 listed / clean, 1 not listed / warnings, 2 usage, 3 an input
 * could not be read), JSON shape, geo databases and AS rows.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_support.h"

#define EMPTY_ETC "--etc-dir /nonexistent-dcvscope-etc"

static int run(const char *args, char **out)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "%s validators %s 2>/dev/null", DCV_BINARY, args);
	return test_run(cmd, out);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

Test(validators_cli, listed_address_prints_its_rows_and_exits_0)
{
	char *out = NULL;
	cr_expect_eq(run("lookup 216.168.241.1 " EMPTY_ETC, &out), 0);
	cr_expect(strstr(out, "216.168.241.1: listed, 1 row") != NULL, "%s", out);
	cr_expect(strstr(out, "digicert") != NULL, "%s", out);
	cr_expect(strstr(out, "216.168.240.0/20") != NULL, "%s", out);
	cr_expect(strstr(out, "reseller") != NULL, "%s", out);
	cr_expect(strstr(out, "https://www.thesslstore.com/") != NULL, "%s", out);
	free(out);
}

Test(validators_cli, unlisted_address_exits_1)
{
	char *out = NULL;
	cr_expect_eq(run("lookup 192.0.2.1 " EMPTY_ETC, &out), 1);
	cr_expect(strstr(out, "192.0.2.1: not listed") != NULL, "%s", out);
	free(out);
	cr_expect_eq(run("lookup 2001:db8::1 " EMPTY_ETC, NULL), 1);
	cr_expect_eq(run("lookup 216.168.241.1 --no-defaults", NULL), 1, "no table at all");
}

Test(validators_cli, usage_errors_exit_2)
{
	cr_expect_eq(run("", NULL), 2);
	cr_expect_eq(run("frobnicate", NULL), 2);
	cr_expect_eq(run("lookup", NULL), 2);
	cr_expect_eq(run("lookup 1.2.3.4 5.6.7.8", NULL), 2);
	cr_expect_eq(run("lookup not-an-address", NULL), 2);
	cr_expect_eq(run("lookup 1.2.3.4 --format xml", NULL), 2);
	cr_expect_eq(run("lookup 1.2.3.4 --bogus", NULL), 2);
	cr_expect_eq(run("check", NULL), 2);
	cr_expect_eq(run("check --bogus x", NULL), 2);
}

Test(validators_cli, help_exits_0)
{
	char *out = NULL;
	cr_expect_eq(run("--help", &out), 0);
	cr_expect(strstr(out, "usage: dcvscope validators lookup") != NULL, "%s", out);
	free(out);
	cr_expect_eq(run("lookup --help", &out), 0);
	cr_expect(strstr(out, "--asn-db") != NULL);
	free(out);
	cr_expect_eq(run("check --help", &out), 0);
	cr_expect(strstr(out, "exit codes: 0 clean, 1 warnings") != NULL);
	free(out);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s --help", DCV_BINARY);
	cr_expect_eq(test_run(cmd, &out), 0);
	cr_expect(strstr(out, "validators lookup ADDRESS") != NULL, "%s", out);
	free(out);
}

Test(validators_cli, unreadable_inputs_exit_3)
{
	cr_expect_eq(run("lookup 1.2.3.4 " EMPTY_ETC " --validators /nonexistent/v.tsv", NULL), 3);
	cr_expect_eq(run("lookup 1.2.3.4 " EMPTY_ETC " --geoip /nonexistent/c.mmdb", NULL), 3);
	cr_expect_eq(run("lookup 1.2.3.4 " EMPTY_ETC " --asn-db /nonexistent/a.mmdb", NULL), 3);
	cr_expect_eq(run("check /nonexistent/v.tsv", NULL), 3);
}

Test(validators_cli, json_lists_rows_and_geo)
{
	const char *dir = test_tmpdir();
	char file[512], args[1024];
	snprintf(file, sizeof(file), "%s/extra.tsv", dir);
	write_file(
	    file,
	    "#@ format ca-validators 1\n"
	    "newca\t216.168.240.0/20\tremote\tarin\thttps://example.org/n\t2026-05\tofficial\n");
	snprintf(args, sizeof(args),
	         "lookup 216.168.241.1 " EMPTY_ETC " --validators %s --format json", file);
	char *out = NULL;
	cr_assert_eq(run(args, &out), 0);
	json_error_t err;
	json_t *root = json_loads(out, 0, &err);
	cr_assert_not_null(root, "%s: %s", err.text, out);
	cr_expect_str_eq(json_string_value(json_object_get(root, "address")), "216.168.241.1");
	cr_expect(json_is_true(json_object_get(root, "listed")));
	json_t *m = json_object_get(root, "matches");
	cr_assert_eq(json_array_size(m), 2);
	json_t *first = json_array_get(m, 0), *second = json_array_get(m, 1);
	cr_expect_str_eq(json_string_value(json_object_get(first, "ca")), "newca",
	                 "official first");
	cr_expect_str_eq(json_string_value(json_object_get(first, "prefix")), "216.168.240.0/20");
	cr_expect_str_eq(json_string_value(json_object_get(first, "role")), "remote");
	cr_expect_str_eq(json_string_value(json_object_get(first, "region")), "arin");
	cr_expect_str_eq(json_string_value(json_object_get(first, "conf")), "official");
	cr_expect_str_eq(json_string_value(json_object_get(first, "asof")), "2026-05");
	cr_expect_str_eq(json_string_value(json_object_get(first, "source")),
	                 "https://example.org/n");
	cr_expect(json_is_false(json_object_get(first, "by_asn")));
	cr_expect_str_eq(json_string_value(json_object_get(second, "ca")), "digicert");
	json_t *geo = json_object_get(root, "geo");
	cr_expect(json_is_null(json_object_get(geo, "country")));
	cr_expect_str_eq(json_string_value(json_object_get(geo, "region")), "unknown");
	cr_expect(json_is_null(json_object_get(geo, "asn")));
	json_decref(root);
	free(out);
}

Test(validators_cli, geo_databases_feed_country_and_as_rows)
{
	if (test_run("python3 -c 'import ipaddress' 2>/dev/null", NULL) != 0)
		cr_skip_test("python3 is not available to write the test databases");
	const char *dir = test_tmpdir();
	char cmd[4096], cdb[512], adb[512], file[512];
	snprintf(cdb, sizeof(cdb), "%s/c.mmdb", dir);
	snprintf(adb, sizeof(adb), "%s/a.mmdb", dir);
	snprintf(file, sizeof(file), "%s/as.tsv", dir);
	snprintf(cmd, sizeof(cmd),
	         "python3 %s/tests/support/mmdb_writer.py %s GeoLite2-Country "
	         "'2001:db8::/32={\"country\":{\"iso_code\":\"DE\"}}' && "
	         "python3 %s/tests/support/mmdb_writer.py %s GeoLite2-ASN "
	         "'2001:db8::/32={\"autonomous_system_number\":64496}'",
	         DCV_SOURCE_DIR, cdb, DCV_SOURCE_DIR, adb);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	write_file(file, "#@ format ca-validators 1\n"
	                 "asca\tAS64496\tremote\tripe\thttps://example.org/as\t2026\tthirdparty\n");
	char args[2048];
	char *out = NULL;
	snprintf(args, sizeof(args), "lookup 2001:db8::7 " EMPTY_ETC " --geoip %s --asn-db %s", cdb,
	         adb);
	cr_expect_eq(run(args, &out), 1, "no AS row loaded yet");
	cr_expect(strstr(out, "geo: country DE, region ripe, origin AS64496") != NULL, "%s", out);
	free(out);
	snprintf(args, sizeof(args),
	         "lookup 2001:db8::7 " EMPTY_ETC " --geoip %s --asn-db %s --validators %s", cdb,
	         adb, file);
	cr_expect_eq(run(args, &out), 0);
	cr_expect(strstr(out, "asca") != NULL, "%s", out);
	cr_expect(strstr(out, "AS64496") != NULL, "%s", out);
	free(out);
}

Test(validators_cli, etc_dir_dropins_are_read)
{
	const char *dir = test_tmpdir();
	char path[512], args[1024];
	snprintf(path, sizeof(path), "%s/validators.d", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/validators.d/50-local.tsv", dir);
	write_file(path, "#@ format ca-validators 1\n"
	                 "local\t198.51.100.0/24\tdcv\t-\thttps://example.org/l\t-\treseller\n");
	char *out = NULL;
	snprintf(args, sizeof(args), "lookup 198.51.100.9 --etc-dir %s", dir);
	cr_expect_eq(run(args, &out), 0);
	cr_expect(strstr(out, "local") != NULL, "%s", out);
	free(out);
}

Test(validators_cli, check_reports_warnings_and_summary)
{
	char *out = NULL;
	cr_expect_eq(run("check " DCV_SOURCE_DIR "/analyzer/data/validators.tsv " DCV_SOURCE_DIR
	                 "/analyzer/data/caa-identifiers.tsv",
	                 &out),
	             0);
	cr_expect(strstr(out, "summary: 2 files, 35 rows (33 IPv4, 0 IPv6, 2 AS), 5 CAs, 17 issuer "
	                      "domains, 0 warnings") != NULL,
	          "%s", out);
	free(out);

	const char *dir = test_tmpdir();
	char file[512], args[1024];
	snprintf(file, sizeof(file), "%s/bad.tsv", dir);
	write_file(file, "#@ format ca-validators 1\n"
	                 "ok\t192.0.2.0/24\tdcv\t-\thttps://example.org/\t-\treseller\n"
	                 "ok6\t2001:db8::/32\tdcv\t-\thttps://example.org/\t-\treseller\n"
	                 "Bad\t192.0.2.0/24\tdcv\t-\thttps://example.org/\t-\treseller\n"
	                 "ok\t192.0.2.1/24\tdcv\t-\thttps://example.org/\t-\treseller\n");
	snprintf(args, sizeof(args), "check %s", file);
	cr_expect_eq(run(args, &out), 1);
	char want[1024];
	snprintf(want, sizeof(want), "%s:4: bad CA id 'Bad'", file);
	cr_expect(strstr(out, want) != NULL, "%s", out);
	snprintf(want, sizeof(want), "%s:5: host bits set", file);
	cr_expect(strstr(out, want) != NULL, "%s", out);
	cr_expect(strstr(out, "2 rows (1 IPv4, 1 IPv6, 0 AS), 2 CAs") != NULL, "%s", out);
	cr_expect(strstr(out, "2 warnings") != NULL, "%s", out);
	free(out);

	/* one unreadable file among good ones: 3, the others still checked */
	snprintf(args, sizeof(args), "check %s /nonexistent/x.tsv", file);
	cr_expect_eq(run(args, &out), 3);
	cr_expect(strstr(out, "summary: 2 files") != NULL, "%s", out);
	free(out);
}
