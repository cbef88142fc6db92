/*
 * rule_large_udp_answers.c - LARGE_UDP_ANSWERS: UDP answers to a CA's
 * validators too large to cross every path in one datagram.
 *
 * An answer larger than large_udp_size (1232 bytes, DNS Flag Day 2020: it
 * fits the IPv6 minimum MTU) travels in IP fragments somewhere on the way,
 * or already left the server in fragments (analyzer/records.h). Firewalls
 * and networks drop fragments, so the validator's resolver times out: the
 * CA reports a timeout or SERVFAIL while the server answered every query.
 * Causes: a server that sends answers as large as the client's EDNS buffer
 * allows (an old default of 4096), with large answers (stale
 * _acme-challenge TXT records piling up, RSA DNSSEC keys and signatures).
 *
 * Data: the stored validator transactions (validation-shaped ones, and
 * since schema version 8 every UDP answer to a listed validator above 1232
 * bytes or sent in fragments, DNSKEY and DS included): answered over UDP
 * with resp_size > large_udp_size or fragmented.
 * Test, per CA: such an answer was lost when the same source asked the same
 * question (name and type) again within large_udp_retry_window_s (5 s): a
 * resolver asks again when no answer came (often with a smaller EDNS
 * buffer). Fires when lost >= large_udp_min_lost (2); critical when lost /
 * answers >= large_udp_critical_share (0.5), else a warning. Large answers
 * that arrived (nothing asked again) are a risk, not a failure: silent.
 */
#include <stdio.h>

#include "rule.h"

#define NS_PER_S 1000000000ull

static int on_ca(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	uint64_t answers = (uint64_t)r->n[0], fragmented = (uint64_t)r->n[1];
	uint64_t largest = (uint64_t)r->n[2], again = (uint64_t)r->n[6];
	if ((double)again < rule_cfg(c, RC_LARGE_UDP_MIN))
		return 0;
	double share = rule_share(again, answers);
	enum rule_severity sev =
	    share >= rule_cfg(c, RC_LARGE_UDP_CRIT_SHARE) ? RULE_CRITICAL : RULE_WARNING;
	struct finding f;
	rule_finding_init(&f, "LARGE_UDP_ANSWERS", rule_ca_severity(r->t[0], sev), "ca", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[4];
	f.last_seen_ns = (uint64_t)r->n[5];
	snprintf(f.evidence, sizeof(f.evidence),
	         "%llu UDP answers to %s validators (%lld source(s)) were larger than %g bytes, up "
	         "to %llu bytes; %llu of them left the server in IP fragments; after %llu of them "
	         "the same validator asked the same question again within %g s, so the answer "
	         "did not reach it; example: %s",
	         (unsigned long long)answers, r->t[0], (long long)r->n[3],
	         rule_cfg(c, RC_LARGE_UDP_SIZE), (unsigned long long)largest,
	         (unsigned long long)fragmented, (unsigned long long)again,
	         rule_cfg(c, RC_LARGE_UDP_RETRY_S), r->t[1]);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "IP fragments of large UDP answers are dropped by many firewalls and networks. "
	         "Cap the server's UDP answers at 1232 bytes (BIND max-udp-size 1232; NSD "
	         "ipv4-edns-size and ipv6-edns-size 1232; Knot udp-max-payload 1232; PowerDNS "
	         "udp-truncation-threshold 1232) so that larger ones are truncated and retried "
	         "over TCP, keep TCP port 53 open, and shrink the answers: remove stale "
	         "_acme-challenge TXT records, sign with ECDSA (algorithm 13) instead of RSA.");
	rule_metric(&f, "answers", (double)answers);
	rule_metric(&f, "fragmented", (double)fragmented);
	rule_metric(&f, "largest", (double)largest);
	rule_metric(&f, "asked_again", (double)again);
	rule_metric(&f, "lost_share", share);
	rule_metric(&f, "sources", (double)r->n[3]);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_large_udp_answers(struct rule_ctx *c)
{
	uint64_t max = (uint64_t)rule_cfg(c, RC_LARGE_UDP_SIZE);
	uint64_t window = (uint64_t)(rule_cfg(c, RC_LARGE_UDP_RETRY_S) * (double)NS_PER_S);
	return db_rule_large_answers(c->db, c->scope, max, window, on_ca, c) < 0 ? -1 : 0;
}
