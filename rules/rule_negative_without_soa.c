/*
 * rule_negative_without_soa.c - NEGATIVE_WITHOUT_SOA: the server's
 * authoritative NXDOMAIN and NODATA answers carry no SOA record.
 *
 * RFC 2308 3: a negative answer carries the zone's SOA in its authority
 * section. Unbound 1.18 and later (Let's Encrypt's resolver since
 * 2023-11-28) answer SERVFAIL when it is missing, and CAA lookups for names
 * without a CAA record are NODATA answers: the CA fails "looking up CAA"
 * for almost every name the server holds.
 *
 * Data: table edns_checks, check negative_without_soa (analyzer/
 * edns_check.h): AA=1 answers with rcode NXDOMAIN, or NOERROR without
 * answer records, not truncated, that have no SOA record.
 * Test, per server: fires at >= negative_soa_min (2) such answers;
 * critical.
 */
#include <stdio.h>

#include "rule.h"

static int on_server(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	uint64_t n = (uint64_t)r->n[0];
	if ((double)n < rule_cfg(c, RC_NEGATIVE_SOA_MIN))
		return 0;
	struct finding f;
	rule_finding_init(&f, "NEGATIVE_WITHOUT_SOA", RULE_CRITICAL, "server", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[1];
	f.last_seen_ns = (uint64_t)r->n[2];
	snprintf(f.evidence, sizeof(f.evidence),
	         "%llu authoritative negative answers (NXDOMAIN or NODATA) from %s had no SOA "
	         "record; first: %s. Let's Encrypt's resolver (Unbound 1.18 and later) turns "
	         "such an answer into SERVFAIL, so CAA lookups of names without CAA records fail",
	         (unsigned long long)n, r->t[0], r->t[1]);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "Put the zone's SOA record in the authority section of every NXDOMAIN and NODATA "
	         "answer (RFC 2308): fix or update the server software or the backend that "
	         "builds the answers (custom and API-driven servers often leave it out), and "
	         "check with dig +norec that an empty answer shows an AUTHORITY SOA.");
	rule_metric(&f, "answers", (double)n);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_negative_without_soa(struct rule_ctx *c)
{
	return db_rule_negative_no_soa(c->db, c->scope, on_server, c) < 0 ? -1 : 0;
}
