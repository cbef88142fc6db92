/*
 * rule_slow_answers.c - SLOW_ANSWERS: the server answers CA validators
 * after their resolvers have given up or moved on.
 *
 * CA resolvers wait about a second for an authoritative answer (Boulder's
 * test configuration: 1 s, 3 tries; DigiCert's DCV library: 2 s; Unbound
 * starts at 376 ms and retries elsewhere): an answer later than that is
 * thrown away, and when every try is late the CA reports a timeout or
 * SERVFAIL, although the capture shows every query answered. Causes: a
 * slow backend (a database, an API, a GeoIP lookup per query), an
 * overloaded server, a long queue in front of it.
 *
 * Data: the stored validator transactions (validation-shaped lookups of
 * every source, and every failure) with their latency (response time -
 * first query time).
 * Test, per CA: an answer is slow at >= slow_answer_ms (1000 ms). Fires at
 * >= slow_min (3) slow answers; critical when they are >= slow_critical_share
 * (0.1) of the CA's answered lookups, else a warning.
 */
#include <stdio.h>

#include "rule.h"

static int on_ca(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	uint64_t answered = (uint64_t)r->n[0], slow = (uint64_t)r->n[1];
	if ((double)slow < rule_cfg(c, RC_SLOW_MIN))
		return 0;
	double share = rule_share(slow, answered);
	enum rule_severity sev =
	    share >= rule_cfg(c, RC_SLOW_CRIT_SHARE) ? RULE_CRITICAL : RULE_WARNING;
	struct finding f;
	rule_finding_init(&f, "SLOW_ANSWERS", rule_ca_severity(r->t[0], sev), "ca", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[4];
	f.last_seen_ns = (uint64_t)r->n[5];
	double max_ms = (double)r->n[2] / 1000.0;
	snprintf(f.evidence, sizeof(f.evidence),
	         "%llu of %llu answered lookups from %s validators (%lld source(s)) were answered "
	         "%g ms or more after the query (%.1f%%), the slowest after %.0f ms: CA "
	         "resolvers wait about a second, so these answers come too late; example: %s",
	         (unsigned long long)slow, (unsigned long long)answered, r->t[0],
	         (long long)r->n[3], rule_cfg(c, RC_SLOW_MS), 100 * share, max_ms, r->t[1]);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "Make the server answer within a few hundred milliseconds: find what it waits "
	         "for (a database or API backend, per-query lookups, an overloaded host, a queue "
	         "in front of it), serve the zone from memory or a local copy, and add capacity "
	         "for the validators' bursts.");
	rule_metric(&f, "slow", (double)slow);
	rule_metric(&f, "answered", (double)answered);
	rule_metric(&f, "share", share);
	rule_metric(&f, "max_latency_ms", max_ms);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_slow_answers(struct rule_ctx *c)
{
	uint64_t slow_us = (uint64_t)(rule_cfg(c, RC_SLOW_MS) * 1000.0);
	return db_rule_slow_answers(c->db, c->scope, slow_us, on_ca, c) < 0 ? -1 : 0;
}
