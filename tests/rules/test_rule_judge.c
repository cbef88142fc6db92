/*
 * test_rule_judge.c - the threshold tests the per-host rules and the fleet
 * rules share (rules/rule_judge.h): each fires exactly at its documented
 * thresholds, picks the documented severity, follows a changed threshold,
 * and never makes a finding about CA "unknown" critical.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "rule_judge.h"

/* One case: the counts, and what the test must conclude (-1: no finding). */
struct judge_case {
	const char *what;
	const char *ca;
	uint64_t a, b, c; /* the test's arguments after ca */
	int want;         /* -1, RULE_WARNING or RULE_CRITICAL */
};

static void check(const struct judge_case *k, size_t n, const char *rule,
                  int (*judge)(const struct judge_case *k, enum rule_severity *sev))
{
	for (size_t i = 0; i < n; i++) {
		enum rule_severity sev = RULE_INFO;
		int fired = judge(&k[i], &sev);
		if (k[i].want < 0) {
			cr_expect_eq(fired, 0, "%s: %s fired", rule, k[i].what);
			cr_expect_eq(sev, RULE_INFO, "%s: %s: severity changed without a finding",
			             rule, k[i].what);
		} else {
			cr_expect_eq(fired, 1, "%s: %s did not fire", rule, k[i].what);
			cr_expect_eq((int)sev, k[i].want, "%s: %s: severity %d", rule, k[i].what,
			             (int)sev);
		}
	}
}

static int drops(const struct judge_case *k, enum rule_severity *sev)
{
	return rule_judge_drops(NULL, k->ca, k->a, k->b, sev);
}

Test(rule_judge, validator_drops_fire_at_drops_min_and_the_shares)
{
	/* drops_min 10, drops_warning_share 0.02, drops_critical_share 0.1 */
	static const struct judge_case k[] = {
	    {"9 of 10 unanswered (below drops_min)", "digicert", 9, 10, 0, -1},
	    {"10 of 1000 (1%, below the warning share)", "digicert", 10, 1000, 0, -1},
	    {"10 of 500 (2%)", "digicert", 10, 500, 0, RULE_WARNING},
	    {"99 of 1000 (9.9%)", "digicert", 99, 1000, 0, RULE_WARNING},
	    {"100 of 1000 (10%)", "digicert", 100, 1000, 0, RULE_CRITICAL},
	    {"100 of 1000 from CA unknown", "unknown", 100, 1000, 0, RULE_WARNING},
	};
	check(k, sizeof(k) / sizeof(k[0]), "VALIDATOR_DROPS", drops);
}

static int rcode(const struct judge_case *k, enum rule_severity *sev)
{
	return rule_judge_rcode(NULL, k->ca, k->a, k->b, sev);
}

Test(rule_judge, refused_and_servfail_fire_at_validator_answer_min)
{
	/* validator_answer_min 3, validator_answer_critical_share 0.05 */
	static const struct judge_case k[] = {
	    {"2 answers", "digicert", 2, 10, 0, -1},
	    {"3 of 1000 answers", "digicert", 3, 1000, 0, RULE_WARNING},
	    {"49 of 1000 answers", "digicert", 49, 1000, 0, RULE_WARNING},
	    {"50 of 1000 answers (5%)", "digicert", 50, 1000, 0, RULE_CRITICAL},
	    {"50 of 1000 answers, CA empty", "", 50, 1000, 0, RULE_WARNING},
	};
	check(k, sizeof(k) / sizeof(k[0]), "REFUSED/SERVFAIL", rcode);
}

static int tcp53(const struct judge_case *k, enum rule_severity *sev)
{
	return rule_judge_tcp53(NULL, k->ca, k->a, k->b, k->c, sev);
}

Test(rule_judge, tcp53_rejected_needs_udp_answers_and_tcp53_min_failed)
{
	/* tcp53_min_failed 3, tcp53_warning_share 0.05, tcp53_critical_share 0.5;
	 * arguments: responses, failed, attempts */
	static const struct judge_case k[] = {
	    {"no response at all (UDP fails too)", "digicert", 0, 10, 10, -1},
	    {"2 failed", "digicert", 100, 2, 4, -1},
	    {"3 of 100 failed (3%)", "digicert", 100, 3, 100, -1},
	    {"5 of 100 failed (5%)", "digicert", 100, 5, 100, RULE_WARNING},
	    {"50 of 100 failed (50%)", "digicert", 100, 50, 100, RULE_CRITICAL},
	};
	check(k, sizeof(k) / sizeof(k[0]), "TCP53_REJECTED", tcp53);
}

static int mpic(const struct judge_case *k, enum rule_severity *sev)
{
	return rule_judge_mpic(NULL, k->ca, k->a, k->b, sev);
}

Test(rule_judge, mpic_quorum_at_risk_is_critical_from_a_share_and_a_count)
{
	/* mpic_min_attempts 1, mpic_critical_share 0.1, mpic_critical_min 3;
	 * arguments: at risk + failed, attempts */
	static const struct judge_case k[] = {
	    {"no attempt at risk", "digicert", 0, 10, 0, -1},
	    {"1 of 100", "digicert", 1, 100, 0, RULE_WARNING},
	    {"2 of 2 (share reached, count not)", "digicert", 2, 2, 0, RULE_WARNING},
	    {"3 of 30 (10%)", "digicert", 3, 30, 0, RULE_CRITICAL},
	    {"3 of 31 (below 10%)", "digicert", 3, 31, 0, RULE_WARNING},
	};
	check(k, sizeof(k) / sizeof(k[0]), "MPIC_QUORUM_AT_RISK", mpic);
}

Test(rule_judge, a_changed_threshold_changes_the_verdict)
{
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	enum rule_severity sev = RULE_INFO;
	cr_assert_eq(rule_judge_drops(&cfg, "digicert", 100, 1000, &sev), 1);
	cfg.v[RC_DROPS_MIN] = 101;
	sev = RULE_INFO;
	cr_assert_eq(rule_judge_drops(&cfg, "digicert", 100, 1000, &sev), 0);
	cfg.v[RC_ANSWER_CRIT_SHARE] = 0.5;
	cr_assert_eq(rule_judge_rcode(&cfg, "digicert", 100, 1000, &sev), 1);
	cr_assert_eq(sev, RULE_WARNING);
}
