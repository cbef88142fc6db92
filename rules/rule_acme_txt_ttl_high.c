/*
 * rule_acme_txt_ttl_high.c - ACME_TXT_TTL_HIGH: _acme-challenge TXT answers
 * with a TTL that keeps stale tokens cached.
 *
 * Data: the smallest answer TTL of each stored challenge transaction
 * (transactions.answer_ttl; a schema-version-3 file written before the
 * column existed has none, and the rule then finds nothing).
 * Test, per challenge name (shapes acme_dns01, acme_account01, persist01,
 * dnsauth; qtype TXT; answered): fires when answer_ttl >
 * acme_txt_ttl_max (300 s); warning.
 */
#include <stdio.h>

#include "rule.h"

static int on_name(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	struct finding f;
	rule_finding_init(&f, "ACME_TXT_TTL_HIGH", RULE_WARNING, "name", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[2];
	f.last_seen_ns = (uint64_t)r->n[3];
	snprintf(f.evidence, sizeof(f.evidence),
	         "%lld answer(s) for TXT %s carried a TTL of up to %lld s (threshold %g s)",
	         (long long)r->n[0], r->t[0], (long long)r->n[1], rule_cfg(c, RC_ACME_TTL_MAX));
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "Lower the TTL of %s to %g s or less (60 s is common): resolvers and "
	         "secondaries keep the old token for the whole TTL, so a renewed challenge "
	         "fails with 'Incorrect TXT record'.",
	         r->t[0], rule_cfg(c, RC_ACME_TTL_MAX));
	rule_metric(&f, "answers", (double)r->n[0]);
	rule_metric(&f, "max_ttl", (double)r->n[1]);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_acme_txt_ttl_high(struct rule_ctx *c)
{
	int has = db_rule_has_answer_ttl(c->db);
	if (has <= 0)
		return has;
	uint64_t max = (uint64_t)rule_cfg(c, RC_ACME_TTL_MAX);
	return db_rule_acme_ttl(c->db, c->scope, max, on_name, c) < 0 ? -1 : 0;
}
