/*
 * rule_edns_noncompliant.c - EDNS_NONCOMPLIANT: the server's answers break
 * EDNS (RFC 6891) or DNS COOKIE (RFC 7873) rules the way ISC's EDNS
 * compliance tests check them; CA resolvers (Let's Encrypt's since its
 * resolver upgrade) fail validation on such answers.
 *
 * Data: table edns_checks (analyzer/edns_check.h: no_opt, edns_error_rcode,
 * badvers, size_without_tc, unknown_option_echoed, cookie_not_echoed).
 * Test, per server: fires when any check failed; the evidence names every
 * failing check with its count and first example. Critical when EDNS(0)
 * queries go without OPT or get errors the plain queries do not; warning
 * otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "rule.h"

struct edns_acc {
	struct rule_ctx *c;
	struct finding f;
	bool open;
	uint64_t failures;
};

static int flush(struct edns_acc *a)
{
	if (!a->open)
		return 0;
	a->open = false;
	rule_metric(&a->f, "failures", (double)a->failures);
	snprintf(a->f.recommendation, sizeof(a->f.recommendation),
	         "Make the server EDNS-compliant: answer every EDNS query with an OPT record, "
	         "answer unknown EDNS versions with BADVERS, ignore unknown options, set TC when "
	         "the answer exceeds the requested UDP size, echo COOKIE options consistently; "
	         "update the server software or remove the middlebox or firewall rule that "
	         "rewrites DNS (test with https://ednscomp.isc.org/).");
	return rule_emit(a->c, &a->f);
}

static int on_check(void *arg, const struct db_rule_row *r)
{
	struct edns_acc *a = arg;
	if (a->open && strcmp(a->f.subject, r->t[0]) != 0 && flush(a) != 0)
		return 1;
	bool severe = strcmp(r->t[1], "no_opt") == 0 || strcmp(r->t[1], "edns_error_rcode") == 0;
	if (!a->open) {
		rule_finding_init(&a->f, "EDNS_NONCOMPLIANT", RULE_WARNING, "server", r->t[0]);
		a->f.first_seen_ns = (uint64_t)r->n[2];
		a->f.last_seen_ns = (uint64_t)r->n[3];
		a->failures = 0;
		a->open = true;
		rule_append(a->f.evidence, sizeof(a->f.evidence),
		            "of %lld answered EDNS queries, failing checks:", (long long)r->n[1]);
	}
	if (severe)
		a->f.severity = RULE_CRITICAL;
	if ((uint64_t)r->n[2] < a->f.first_seen_ns)
		a->f.first_seen_ns = (uint64_t)r->n[2];
	if ((uint64_t)r->n[3] > a->f.last_seen_ns)
		a->f.last_seen_ns = (uint64_t)r->n[3];
	a->failures += (uint64_t)r->n[0];
	rule_append(a->f.evidence, sizeof(a->f.evidence), " %s x%lld (%s);", r->t[1],
	            (long long)r->n[0], r->t[2]);
	rule_metric(&a->f, r->t[1], (double)r->n[0]);
	return 0;
}

int rule_edns_noncompliant(struct rule_ctx *c)
{
	struct edns_acc a;
	memset(&a, 0, sizeof(a));
	a.c = c;
	if (db_rule_edns_failures(c->db, c->scope, on_check, &a) < 0)
		return -1;
	return flush(&a) != 0 ? -1 : 0;
}
