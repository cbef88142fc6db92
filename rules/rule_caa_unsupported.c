/*
 * rule_caa_unsupported.c - CAA_UNSUPPORTED: the server, or a filter in
 * front of it, does not handle CAA (type 257) queries: it answers them
 * with an error rcode, or they are dropped while other queries are
 * answered.
 *
 * Every CA checks CAA before it issues (RFC 8659); a name without CAA must
 * get NOERROR (NODATA) or NXDOMAIN. Let's Encrypt documents both failures:
 * NOTIMP or another error rcode for the "unknown" type, and timeouts from
 * firewalls that drop unknown query types (research/validators.md).
 * SERVFAIL and REFUSED have their own rules.
 *
 * Data: the stored validator transactions (validation-shaped: every CAA and
 * challenge lookup of every source).
 * Test, per CA: fires when >= caa_odd_min (2) CAA lookups got an rcode other
 * than NOERROR, NXDOMAIN, SERVFAIL and REFUSED (FORMERR, NOTIMP, ...), or
 * when >= caa_drop_min (3) CAA lookups went unanswered, at least
 * caa_drop_share (0.9) of them (a filter on the type drops them all; a
 * rate limit or a blocked region only a part), while the same validators'
 * other lookups (at least 2) went unanswered at most a fifth as often.
 * Critical.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rule.h"

static int on_ca(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	uint64_t caa = (uint64_t)r->n[0], lost = (uint64_t)r->n[1], odd = (uint64_t)r->n[2];
	uint64_t other = (uint64_t)r->n[3], other_lost = (uint64_t)r->n[4];
	double lost_share = rule_share(lost, caa), other_share = rule_share(other_lost, other);
	bool errors = (double)odd >= rule_cfg(c, RC_CAA_ODD_MIN);
	bool dropped = (double)lost >= rule_cfg(c, RC_CAA_DROP_MIN) &&
	               lost_share >= rule_cfg(c, RC_CAA_DROP_SHARE) && other >= 2 &&
	               other_share * 5 <= lost_share;
	if (!errors && !dropped)
		return 0;
	struct finding f;
	rule_finding_init(&f, "CAA_UNSUPPORTED", rule_ca_severity(r->t[0], RULE_CRITICAL), "ca",
	                  r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[6];
	f.last_seen_ns = (uint64_t)r->n[7];
	const char *rc = dns_rcode_name((unsigned)atoi(r->t[2]));
	if (errors)
		rule_append(f.evidence, sizeof(f.evidence),
		            "%llu of %llu CAA lookups from %s validators were answered %s (an "
		            "error for a type the server does not know; a name without CAA must "
		            "get NOERROR or NXDOMAIN).",
		            (unsigned long long)odd, (unsigned long long)caa, r->t[0],
		            rc != NULL ? rc : r->t[2]);
	if (dropped)
		rule_append(f.evidence, sizeof(f.evidence),
		            "%s%llu of %llu CAA lookups from %s validators got no answer (%.0f%%), "
		            "while %llu of their %llu other lookups did not (%.0f%%): CAA queries "
		            "are dropped.",
		            errors ? " " : "", (unsigned long long)lost, (unsigned long long)caa,
		            r->t[0], 100 * lost_share, (unsigned long long)other_lost,
		            (unsigned long long)other, 100 * other_share);
	rule_append(f.evidence, sizeof(f.evidence), " %lld source(s); example: %s",
	            (long long)r->n[5], r->t[1]);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "Every CA looks up CAA (type 257) for the name and each parent before it "
	         "issues, and fails when the lookup errs or times out. Update the nameserver "
	         "software so that it answers CAA queries (NOERROR with no data when there is "
	         "no CAA record), and remove firewall or DNS-filter rules that drop or block "
	         "unknown query types.");
	rule_metric(&f, "caa_lookups", (double)caa);
	rule_metric(&f, "caa_error_rcode", (double)odd);
	rule_metric(&f, "caa_unanswered", (double)lost);
	rule_metric(&f, "other_lookups", (double)other);
	rule_metric(&f, "other_unanswered", (double)other_lost);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_caa_unsupported(struct rule_ctx *c)
{
	return db_rule_caa_answers(c->db, c->scope, on_ca, c) < 0 ? -1 : 0;
}
