/*
 * rule_caa_denies_ca.c - CAA_DENIES_CA: the CAA RRset a CA finds for a name
 * (RFC 8659 3: the first non-empty one climbing towards the root) does not
 * name that CA, so it must refuse to issue.
 *
 * Data: table caa_decisions (analyzer/caa.h decided, for every CA whose
 * validators asked CAA for a name, with the CA's issuer domains from
 * caa-identifiers.tsv).
 * Test, per (CA, name): fires when the decision denies; critical (the
 * issuance fails for certain).
 */
#include <stdio.h>
#include <string.h>

#include "rule.h"

static int on_denial(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	char ca[64];
	const char *name = strchr(r->t[0], ' ');
	snprintf(ca, sizeof(ca), "%.*s", name ? (int)(name - r->t[0]) : 0, r->t[0]);
	name = name ? name + 1 : r->t[0];
	char subject[FINDING_SUBJECT_MAX];
	subject[0] = '\0';
	rule_append(subject, sizeof(subject), "%s/%s", ca, name);
	struct finding f;
	rule_finding_init(&f, "CAA_DENIES_CA", rule_ca_severity(ca, RULE_CRITICAL), "ca/name",
	                  subject);
	f.first_seen_ns = (uint64_t)r->n[1];
	f.last_seen_ns = (uint64_t)r->n[2];
	rule_append(f.evidence, sizeof(f.evidence),
	            "%s asked CAA for %s %lld time(s); the relevant RRset (%s) does not name an "
	            "issuer domain of %s, so %s may not issue for %s",
	            ca, name, (long long)r->n[0], r->t[1], ca, ca, name);
	rule_append(f.recommendation, sizeof(f.recommendation),
	            "If %s should issue for %s, add to the zone: %s (keep the other issue records "
	            "for the CAs you use); otherwise request the certificate from a CA the RRset "
	            "names.",
	            ca, name, r->t[2]);
	rule_metric(&f, "queries", (double)r->n[0]);
	rule_metric(&f, "wild_allowed", (double)r->n[3]);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_caa_denies_ca(struct rule_ctx *c)
{
	return db_rule_caa_denials(c->db, c->scope, on_denial, c) < 0 ? -1 : 0;
}
