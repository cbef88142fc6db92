/*
 * rule_acme_txt_missing.c - ACME_TXT_MISSING: validators get NXDOMAIN for
 * challenge names at this server (the record is not published here).
 *
 * Data: the stored validator transactions of challenge shapes (acme_dns01,
 * acme_account01, persist01, dnsauth) answered NXDOMAIN.
 * Test, per name: fires when NXDOMAIN went to >= acme_missing_min_sources
 * (2) distinct validator sources; warning. NODATA (NOERROR without the TXT)
 * is not detectable yet: the answer count of transactions is not stored.
 */
#include <stdio.h>

#include "rule.h"

static int on_name(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	if ((double)r->n[1] < rule_cfg(c, RC_ACME_MISSING_MIN_SOURCES))
		return 0;
	struct finding f;
	rule_finding_init(&f, "ACME_TXT_MISSING", RULE_WARNING, "name", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[2];
	f.last_seen_ns = (uint64_t)r->n[3];
	snprintf(f.evidence, sizeof(f.evidence),
	         "%lld validator queries for %s from %lld source(s) (%s) got NXDOMAIN",
	         (long long)r->n[0], r->t[0], (long long)r->n[1], r->t[1]);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "The challenge record %s does not exist on this nameserver when the CA looks: "
	         "publish it on every authoritative server of the zone before asking the CA to "
	         "validate (wait for zone transfer / provider propagation), check that the name "
	         "is in the zone this server serves (delegation of _acme-challenge or a CNAME to "
	         "another zone), and do not remove it until the order is valid.",
	         r->t[0]);
	rule_metric(&f, "nxdomain", (double)r->n[0]);
	rule_metric(&f, "sources", (double)r->n[1]);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_acme_txt_missing(struct rule_ctx *c)
{
	return db_rule_acme_nxdomain(c->db, c->scope, on_name, c) < 0 ? -1 : 0;
}
