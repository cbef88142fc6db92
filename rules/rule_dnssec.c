/*
 * rule_dnssec.c - DNSSEC_BOGUS, DNSSEC_RRSIG_MISSING, DNSSEC_NSEC_MISSING,
 * DNSSEC_DNSKEY_MISSING: answers to DO=1 queries that a CA's validating
 * resolver would reject (CA/B ballot SC-085v2: no issuance on a bogus chain).
 *
 * Data: table dnssec_names (analyzer/dnssec.h judged every DO=1 answer,
 * verifying the signatures at the answer's capture time against the DNSKEYs
 * of the capture and of --dnskeys).
 * Test, per name: fires when any answer was BOGUS with the rule's error
 * kind; critical (a CA gets "DNSSEC: bogus"). An INDETERMINATE
 * DNSKEY_MISSING (the capture holds no DNSKEY answer and --dnskeys gave
 * none) is a gap of the capture, not of the server: it stays in the
 * dnssec table without a finding.
 */
#include <stdio.h>
#include <string.h>

#include "rule.h"

struct dnssec_rule {
	const char *id;
	const char *error; /* dnssec_names.error */
	const char *advice;
};

struct dnssec_arg {
	struct rule_ctx *c;
	const struct dnssec_rule *rule;
};

static int on_name(void *arg, const struct db_rule_row *r)
{
	struct dnssec_arg *a = arg;
	struct finding f;
	rule_finding_init(&f, a->rule->id, RULE_CRITICAL, "name", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[2];
	f.last_seen_ns = (uint64_t)r->n[3];
	rule_append(f.evidence, sizeof(f.evidence),
	            "%lld answer(s) to DO=1 queries for %s are %s (%s): %s", (long long)r->n[1],
	            r->t[0], r->t[2], a->rule->error, r->t[1]);
	rule_append(f.recommendation, sizeof(f.recommendation), "%s", a->rule->advice);
	rule_metric(&f, "responses", (double)r->n[1]);
	rule_metric(&f, "qtype", (double)r->n[0]);
	return rule_emit(a->c, &f) != 0 ? 1 : 0;
}

static int run(struct rule_ctx *c, const struct dnssec_rule *rule)
{
	struct dnssec_arg a = {.c = c, .rule = rule};
	return db_rule_dnssec_errors(c->db, c->scope, rule->error, on_name, &a) < 0 ? -1 : 0;
}

int rule_dnssec_bogus(struct rule_ctx *c)
{
	static const struct dnssec_rule r = {
	    "DNSSEC_BOGUS", "DNSSEC_BOGUS",
	    "CAs validate DNSSEC and refuse to issue on a bogus answer: re-sign the zone (an "
	    "expired or not yet valid RRSIG means the signer stopped or the clock is wrong; a "
	    "signature that does not verify means records changed after signing or the keys "
	    "were swapped), make sure every nameserver serves the fresh zone, and check with "
	    "'dig +dnssec' and a validating resolver."};
	return run(c, &r);
}

int rule_dnssec_rrsig_missing(struct rule_ctx *c)
{
	static const struct dnssec_rule r = {
	    "DNSSEC_RRSIG_MISSING", "RSIGS_MISSING",
	    "The zone is signed (it has DNSKEYs or a DS) but this server answers DO=1 queries "
	    "without RRSIGs: it serves an unsigned copy of the zone. Load the signed zone on "
	    "every nameserver (or enable online signing), or remove the DS at the parent to "
	    "go unsigned deliberately."};
	return run(c, &r);
}

int rule_dnssec_nsec_missing(struct rule_ctx *c)
{
	static const struct dnssec_rule r = {
	    "DNSSEC_NSEC_MISSING", "NSEC_MISSING",
	    "Negative answers (NXDOMAIN, NODATA: e.g. a CAA lookup for a name without CAA) of "
	    "a signed zone must prove the absence with NSEC or NSEC3 records. Re-sign the zone "
	    "with NSEC/NSEC3 and make sure the server returns them for DO=1 queries."};
	return run(c, &r);
}

int rule_dnssec_dnskey_missing(struct rule_ctx *c)
{
	static const struct dnssec_rule r = {
	    "DNSSEC_DNSKEY_MISSING", "DNSKEY_MISSING",
	    "The answers are signed with a key the zone does not publish (or no DNSKEY was seen "
	    "for the zone). Publish the signing keys in the zone's DNSKEY RRset, finish the key "
	    "rollover, or give the zone's keys to dcvscope with --dnskeys when the capture "
	    "holds no DNSKEY answer."};
	return run(c, &r);
}
