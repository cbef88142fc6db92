/*
 * test_report_browser.c - the HTML report in a real browser: headless
 * Chromium loads the page (tests/support/cdp_page.py drives it over the
 * DevTools protocol), and the test fails on any console error, uncaught
 * exception or failed load, checks that the charts and tables are in the
 * rendered DOM, that the page fits a phone's width, and keeps a screenshot
 * in the build directory (tests/report-screenshot.png).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define CDP_SCRIPT DCV_SOURCE_DIR "/tests/support/cdp_page.py"
#define VALIDATORS DCV_CAPTURES_DIR "/validators-test.tsv"
/* Seconds the driver waits for the browser, and the test for the driver. */
#define BROWSER_TIMEOUT_S 60
#define RUN_TIMEOUT_S     90
/* A phone's CSS width: the page must not scroll sideways. */
#define PHONE_WIDTH 390

static const char *chromium(void)
{
	static char path[512];
	char *out = NULL;
	int rc = test_run("command -v chromium || command -v chromium-browser", &out);
	cr_assert_eq(rc, 0, "chromium is not installed (tools/install-deps.sh installs it)");
	snprintf(path, sizeof(path), "%s", out);
	path[strcspn(path, "\n")] = '\0';
	free(out);
	return path;
}

/* Loads file in the browser at width; returns the driver's exit status and
 * its JSON report in *out. */
static int load_page(const char *file, unsigned width, const char *screenshot, json_t **out)
{
	char udd[400], cmd[4096], *text = NULL;
	snprintf(udd, sizeof(udd), "%s", test_tmpdir()); /* a private profile per load */
	snprintf(cmd, sizeof(cmd),
	         "timeout %d python3 %s --chromium %s --url file://%s --user-data-dir %s "
	         "--width %u --timeout %d%s%s",
	         RUN_TIMEOUT_S, CDP_SCRIPT, chromium(), file, udd, width, BROWSER_TIMEOUT_S,
	         screenshot ? " --screenshot " : "", screenshot ? screenshot : "");
	int rc = test_run(cmd, &text);
	json_error_t e;
	*out = json_loads(text, 0, &e);
	cr_assert_not_null(*out, "driver output is not JSON (%s): %s", e.text, text);
	free(text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", udd);
	test_run(cmd, NULL);
	return rc;
}

static void print_errors(json_t *res)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(res, "errors"), i, e)
	{
		cr_log_error("browser: %s", json_string_value(e));
	}
}

static json_int_t dom_int(json_t *res, const char *key)
{
	json_t *v = json_object_get(json_object_get(res, "dom"), key);
	cr_assert(json_is_integer(v), "dom has no %s", key);
	return json_integer_value(v);
}

static int has_section(json_t *res, const char *id)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(json_object_get(res, "dom"), "sections"), i, s)
	{
		if (strcmp(json_string_value(s), id) == 0)
			return 1;
	}
	return 0;
}

Test(report_browser, the_page_renders_its_charts_and_tables_without_errors)
{
	char dir[300], html[400], cmd[2048], *out = NULL;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	test_scenario_db("fault-session-cap", VALIDATORS, dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(cmd, sizeof(cmd), "%s report --db %s/s.db --format html -o %s", DCV_BINARY, dir,
	         html);
	cr_assert_eq(test_run(cmd, NULL), 0);
	/* what the page must show, from the same report as JSON */
	snprintf(cmd, sizeof(cmd), "%s report --db %s/s.db --format json", DCV_BINARY, dir);
	cr_assert_eq(test_run(cmd, &out), 0);
	json_t *rep = json_loads(out, 0, NULL);
	cr_assert_not_null(rep);
	free(out);
	size_t ncas = json_array_size(json_object_get(rep, "cas"));
	size_t nlimits = json_array_size(json_object_get(rep, "limit_charts"));
	/* CAs and regions, DNSSEC / CAA / EDNS, attempts, failing names, the
	 * previous period */
	json_int_t tables = 2 + (json_array_size(json_object_get(rep, "dnssec")) > 0) +
	                    (json_array_size(json_object_get(rep, "caa")) > 0) +
	                    (json_array_size(json_object_get(rep, "edns")) > 0) +
	                    (json_array_size(json_object_get(rep, "attempts")) > 0) +
	                    (json_array_size(json_object_get(rep, "failing_names")) > 0) +
	                    (json_integer_value(json_object_get(
	                         json_object_get(json_object_get(rep, "change"), "previous_total"),
	                         "queries")) > 0);
	cr_assert_gt(ncas, 0);
	cr_assert_eq(nlimits, 2, "the two capped sources");
	cr_assert_gt(json_array_size(json_object_get(rep, "dnssec")), 0,
	             "the validators' DO=1 answers have a DNSSEC table");
	json_decref(rep);

	json_t *res = NULL;
	int rc = load_page(html, 1200, DCV_TEST_BINARY_DIR "/report-screenshot.png", &res);
	print_errors(res);
	cr_assert_eq(rc, 0, "the browser reported errors or failed: %s",
	             json_string_value(json_object_get(res, "failure")));
	cr_expect_eq(json_array_size(json_object_get(res, "errors")), 0);
	/* one chart per CA (at most 6), the region chart, one per inferred limit */
	size_t charts = (ncas < 6 ? ncas : 6) + 1 + nlimits;
	cr_expect_eq(dom_int(res, "svg"), (json_int_t)charts);
	cr_expect_eq(dom_int(res, "svg_with_shapes"), (json_int_t)charts, "every chart draws");
	cr_expect_eq(dom_int(res, "svg_rendered"), (json_int_t)charts, "every chart has a size");
	cr_expect_eq(dom_int(res, "tables"), tables);
	cr_expect_gt(dom_int(res, "findings"), 0);
	cr_expect_eq(dom_int(res, "scripts"), 0);
	static const char *const sections[] = {"coverage", "findings", "charts", "cas",   "regions",
	                                       "depth",    "attempts", "names",  "change"};
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		cr_expect(has_section(res, sections[i]), "section %s", sections[i]);
	cr_expect(json_is_true(json_object_get(json_object_get(res, "dom"), "viewport")));
	size_t png = 0;
	char *shot = test_read_file(DCV_TEST_BINARY_DIR "/report-screenshot.png", &png);
	cr_assert_not_null(shot, "no screenshot");
	cr_expect_gt(png, 10000);
	cr_expect_eq(memcmp(shot, "\x89PNG", 4), 0);
	free(shot);
	json_decref(res);

	/* on a phone: no sideways scrolling of the page (tables scroll inside) */
	rc = load_page(html, PHONE_WIDTH, DCV_TEST_BINARY_DIR "/report-screenshot-phone.png", &res);
	print_errors(res);
	cr_assert_eq(rc, 0);
	cr_expect_eq(dom_int(res, "viewport_width"), PHONE_WIDTH);
	cr_expect_leq(dom_int(res, "width"), PHONE_WIDTH, "page wider than the phone");
	cr_expect_eq(dom_int(res, "svg_rendered"), (json_int_t)charts);
	json_decref(res);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	test_run(cmd, NULL);
}

Test(report_browser, a_page_with_a_console_error_fails_the_check)
{
	char dir[300], html[400];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	snprintf(html, sizeof(html), "%s/broken.html", dir);
	FILE *f = fopen(html, "w");
	cr_assert_not_null(f);
	/* a console error, an uncaught exception and a failed load: each counts */
	fputs(
	    "<!DOCTYPE html><html><head><title>broken</title></head><body>"
	    "<script>console.error('deliberately broken page')</script>"
	    "<img src=\"no-such-image.png\"><script>undefined_function()</script></body></html>\n",
	    f);
	fclose(f);
	json_t *res = NULL;
	cr_expect_eq(load_page(html, 800, NULL, &res), 1);
	json_t *errors = json_object_get(res, "errors");
	cr_assert_eq(json_array_size(errors), 3);
	static const char *const want[] = {"deliberately broken page", "undefined_function",
	                                   "no-such-image.png"};
	for (size_t k = 0; k < 3; k++) {
		int seen = 0;
		for (size_t i = 0; i < 3; i++)
			seen |=
			    strstr(json_string_value(json_array_get(errors, i)), want[k]) != NULL;
		cr_expect(seen, "no error names %s", want[k]);
	}
	json_decref(res);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	test_run(cmd, NULL);
}
