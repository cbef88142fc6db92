/*
 * test_rules_config.c - thresholds: defaults, overrides from an INI [rules]
 * section change what the rules conclude, bad files are refused.
 */
#include <stdlib.h>

#include "rules_fixture.h"

static const char *write_ini(const char *text)
{
	static char path[600];
	snprintf(path, sizeof(path), "%s/rules.ini", test_tmpdir());
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(rules_config, defaults_are_the_documented_ones)
{
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	cr_assert_eq(rules_config_get(&cfg, RC_SESSION_CAP_CRITICAL), 50);
	cr_assert_eq(rules_config_get(&cfg, RC_SESSION_CAP_WARNING), 200);
	cr_assert_eq(rules_config_get(&cfg, RC_ACME_TTL_MAX), 300);
	cr_assert_eq(rules_config_get(NULL, RC_REGION_MIN_SAMPLE), 30);
}

Test(rules_config, overrides_apply_and_other_sections_are_ignored)
{
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	char err[256] = "";
	const char *p = write_ini("[watch]\ninterval = 5\n[rules]\nsession_cap_critical = 10\n"
	                          "; a comment\ndrops_min=1\n");
	cr_assert_eq(rules_config_load(&cfg, p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rules_config_get(&cfg, RC_SESSION_CAP_CRITICAL), 10);
	cr_assert_eq(rules_config_get(&cfg, RC_DROPS_MIN), 1);
	cr_assert_eq(rules_config_get(&cfg, RC_SESSION_CAP_WARNING), 200);
}

Test(rules_config, bad_files_are_refused_with_a_reason)
{
	static const struct {
		const char *text, *reason;
	} cases[] = {
	    {"[rules]\nno_such_threshold = 3\n", "unknown key"},
	    {"[rules]\ndrops_min = many\n", "not a non-negative number"},
	    {"[rules]\ndrops_min = -1\n", "not a non-negative number"},
	    {"[rules]\ndrops_min = 3x\n", "not a non-negative number"},
	    {"[rules\ndrops_min = 3\n", "syntax error"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_config cfg;
		rules_config_defaults(&cfg);
		char err[256] = "";
		cr_assert_eq(rules_config_load(&cfg, write_ini(cases[i].text), err, sizeof(err)),
		             -1, "case %zu", i);
		cr_assert_not_null(strstr(err, cases[i].reason), "case %zu: %s", i, err);
	}
	struct rules_config cfg;
	char err[256] = "";
	cr_assert_eq(rules_config_load(&cfg, "/nonexistent/rules.ini", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "cannot open"));
}

Test(rules_config, printed_config_is_a_loadable_file_with_every_key)
{
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	cfg.v[RC_DROPS_MIN] = 7;
	char path[600];
	snprintf(path, sizeof(path), "%s/printed.ini", test_tmpdir());
	FILE *f = fopen(path, "w");
	rules_config_print(&cfg, f);
	fclose(f);
	char *text = test_read_file(path, NULL);
	cr_assert_not_null(strstr(text, "session_cap_warning = 200"));
	cr_assert_not_null(strstr(text, "drops_min = 7"));
	cr_assert_not_null(strstr(text, "(default 10)"));
	free(text);
	struct rules_config back;
	rules_config_defaults(&back);
	char err[256] = "";
	cr_assert_eq(rules_config_load(&back, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.v[RC_DROPS_MIN], 7);
}

Test(rules_config, a_lower_critical_cap_turns_the_finding_into_a_warning)
{
	struct fx x;
	fx_open(&x);
	struct source_bucket b = fx_b("198.51.100.7", 0);
	b.queries = b.queries_tcp = 100;
	b.max_concurrent_tcp = 25;
	b.tcp_sessions = 50;
	b.tcp_rejected = 10;
	fx_add(&x, &b);
	fx_rules(&x, NULL);
	cr_assert_eq(fx_find(&x, "SESSION_CAP", "198.51.100.7")->severity, RULE_CRITICAL);
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	char err[256];
	cr_assert_eq(rules_config_load(&cfg, write_ini("[rules]\nsession_cap_critical = 20\n"), err,
	                               sizeof(err)),
	             0);
	fx_rules(&x, &cfg);
	cr_assert_eq(fx_find(&x, "SESSION_CAP", "198.51.100.7")->severity, RULE_WARNING);
	cfg.v[RC_SESSION_CAP_MIN_FAILED] = 11;
	fx_rules(&x, &cfg);
	cr_assert_null(fx_find(&x, "SESSION_CAP", NULL));
	fx_close(&x);
}
