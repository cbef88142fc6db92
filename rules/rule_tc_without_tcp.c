/*
 * rule_tc_without_tcp.c - TC_WITHOUT_TCP: truncated UDP answers to a CA's
 * validators whose TCP retry fails or never comes.
 *
 * Data: the stored validator transactions (every validation-shaped query is
 * stored, answered or not): UDP answers with TC=1, and answered TCP queries
 * for the same name and type from the same source.
 * Test, per CA: a truncated answer is unretried when no answered TCP query
 * from the same source for the same name and type follows within
 * tc_retry_window_s (10 s). Fires when unretried >= tc_min_unretried (2);
 * critical when unretried / truncated >= tc_critical_share (0.5).
 * Limitation: the TCP retry of a query that is not validation-shaped is not
 * stored, so only validation-shaped truncated answers are judged.
 */
#include <stdio.h>

#include "rule.h"

#define NS_PER_S 1000000000ull

static int on_ca(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	uint64_t truncated = (uint64_t)r->n[0], unretried = (uint64_t)r->n[1];
	if ((double)unretried < rule_cfg(c, RC_TC_MIN))
		return 0;
	double share = rule_share(unretried, truncated);
	struct finding f;
	rule_finding_init(&f, "TC_WITHOUT_TCP",
	                  rule_ca_severity(r->t[0], share >= rule_cfg(c, RC_TC_CRIT_SHARE)
	                                                ? RULE_CRITICAL
	                                                : RULE_WARNING),
	                  "ca", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[2];
	f.last_seen_ns = (uint64_t)r->n[3];
	snprintf(f.evidence, sizeof(f.evidence),
	         "%llu of %llu truncated (TC=1) UDP answers to %s validators (%lld source(s)) "
	         "were not followed by an answered TCP query for the same name within %g s; "
	         "example: %s",
	         (unsigned long long)unretried, (unsigned long long)truncated, r->t[0],
	         (long long)r->n[4], rule_cfg(c, RC_TC_RETRY_WINDOW_S), r->t[1]);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "Answers to validators are truncated and the TCP retry fails: allow TCP port 53 "
	         "through every firewall to the nameserver, raise TCP connection limits, and keep "
	         "validation answers small (remove stale _acme-challenge TXT records, keep CAA "
	         "sets short) so they fit in UDP.");
	rule_metric(&f, "truncated", (double)truncated);
	rule_metric(&f, "unretried", (double)unretried);
	rule_metric(&f, "unretried_share", share);
	rule_metric(&f, "sources", (double)r->n[4]);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_tc_without_tcp(struct rule_ctx *c)
{
	uint64_t window = (uint64_t)(rule_cfg(c, RC_TC_RETRY_WINDOW_S) * (double)NS_PER_S);
	return db_rule_tc_retries(c->db, c->scope, window, on_ca, c) < 0 ? -1 : 0;
}
