/*
 * rule_dnssec_expiring.c - DNSSEC_EXPIRING: valid signatures that expire
 * soon; once they do, CAs get "DNSSEC: bogus" and stop issuing.
 *
 * Data: table dnssec_names, SECURE names with the earliest expiry of their
 * verified RRSIGs.
 * Test, per name: fires when that expiry is less than dnssec_expiring_days
 * (3) after the newest packet of the scope (not the wall clock: a capture
 * analyzed later is judged as of its own time); warning, critical under a
 * day.
 */
#include <stdio.h>
#include <time.h>

#include "rule.h"

#define NS_PER_DAY (86400ULL * 1000000000ULL)

static int on_name(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	uint64_t expires = (uint64_t)r->n[1], newest = (uint64_t)r->n[2];
	double left_days = expires > newest ? (double)(expires - newest) / (double)NS_PER_DAY : 0.0;
	struct finding f;
	rule_finding_init(&f, "DNSSEC_EXPIRING", left_days < 1.0 ? RULE_CRITICAL : RULE_WARNING,
	                  "name", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[3];
	f.last_seen_ns = (uint64_t)r->n[4];
	char when[32];
	time_t t = (time_t)(expires / 1000000000ULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rule_append(f.evidence, sizeof(f.evidence),
	            "the RRSIGs of %s (zone %s) expire at %s, %.1f day(s) after the newest packet",
	            r->t[0], r->t[1], when, left_days);
	rule_append(f.recommendation, sizeof(f.recommendation),
	            "Re-sign zone %s now and check that the signer runs on schedule (signature "
	            "validity should be refreshed well before expiry: e.g. re-sign daily with "
	            "two weeks of validity); expired signatures make every CA's DNSSEC check "
	            "fail.",
	            r->t[1]);
	rule_metric(&f, "days_left", left_days);
	rule_metric(&f, "expires_s", (double)(expires / 1000000000ULL));
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_dnssec_expiring(struct rule_ctx *c)
{
	double days = rule_cfg(c, RC_DNSSEC_EXPIRING_DAYS);
	return db_rule_dnssec_expiring(c->db, c->scope, (uint64_t)(days * (double)NS_PER_DAY),
	                               on_name, c) < 0
	           ? -1
	           : 0;
}
