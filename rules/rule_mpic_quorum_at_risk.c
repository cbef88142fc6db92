/*
 * rule_mpic_quorum_at_risk.c - MPIC_QUORUM_AT_RISK: validation attempts in
 * which some perspectives got no usable answer.
 *
 * Data: attempts (status corroborated / at_risk / failed, CA/B BR 3.2.2.9
 * quorum) and attempt_perspectives (outcome per perspective).
 * Test, per CA: fires when at_risk + failed >= mpic_min_attempts (1).
 * Critical when (at_risk + failed) / attempts >= mpic_critical_share (0.1)
 * and at_risk + failed >= mpic_critical_min (3); else warning. Evidence:
 * the counts, the failing perspectives by region and outcome, and the names.
 */
#include <stdio.h>
#include <string.h>

#include "rule.h"

#define EXAMPLE_ROWS 4

struct append_ctx {
	const char *ca;
	char *buf;
	size_t len;
	unsigned shown;
	int names; /* 1: rows are (ca, name, n); 0: (ca, region, outcome, n, sources) */
};

static int on_row(void *arg, const struct db_rule_row *r)
{
	struct append_ctx *a = arg;
	if (strcmp(r->t[0], a->ca) != 0 || a->shown++ >= EXAMPLE_ROWS)
		return 0;
	if (a->names)
		rule_append(a->buf, a->len, " %s (%lld)", r->t[1], (long long)r->n[0]);
	else
		rule_append(a->buf, a->len, " %s %s %lld (%lld source(s))", r->t[1], r->t[2],
		            (long long)r->n[0], (long long)r->n[1]);
	return 0;
}

static int on_ca(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	uint64_t attempts = (uint64_t)r->n[0], at_risk = (uint64_t)r->n[1],
	         failed = (uint64_t)r->n[2];
	uint64_t bad = at_risk + failed;
	enum rule_severity sev;
	if (!rule_judge_mpic(c->cfg, r->t[0], bad, attempts, &sev))
		return 0;
	double share = rule_share(bad, attempts);
	struct finding f;
	rule_finding_init(&f, "MPIC_QUORUM_AT_RISK", sev, "ca", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[3];
	f.last_seen_ns = (uint64_t)r->n[4];
	snprintf(f.evidence, sizeof(f.evidence),
	         "%llu of %llu validation attempts by %s had perspectives without a usable answer "
	         "(%llu still corroborated but at risk, %llu failed the quorum); failing "
	         "perspectives:",
	         (unsigned long long)bad, (unsigned long long)attempts, r->t[0],
	         (unsigned long long)at_risk, (unsigned long long)failed);
	struct append_ctx a = {.ca = r->t[0], .buf = f.evidence, .len = sizeof(f.evidence)};
	if (db_rule_attempt_failures(c->db, c->scope, on_row, &a) < 0)
		return -1;
	rule_append(f.evidence, sizeof(f.evidence), "; names:");
	a.shown = 0;
	a.names = 1;
	if (db_rule_attempt_names(c->db, c->scope, on_row, &a) < 0)
		return -1;
	snprintf(f.recommendation, sizeof(f.recommendation), "%s", rule_advice_mpic);
	rule_metric(&f, "attempts", (double)attempts);
	rule_metric(&f, "at_risk", (double)at_risk);
	rule_metric(&f, "failed", (double)failed);
	rule_metric(&f, "share", share);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_mpic_quorum_at_risk(struct rule_ctx *c)
{
	return db_rule_attempt_cas(c->db, c->scope, on_ca, c) < 0 ? -1 : 0;
}
