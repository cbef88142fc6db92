/*
 * rule_tcp53_rejected.c - TCP53_REJECTED: TCP/53 from a CA's validators is
 * reset, never accepted or never answered while UDP works.
 *
 * Data: source_stats of the validator sources (validator_sources, medium
 * confidence or above), summed per CA: tcp_sessions, tcp_rejected,
 * tcp_filtered, tcp_stalled, responses.
 * Test, per CA: failed = tcp_rejected + tcp_filtered + tcp_stalled (a
 * stalled session was accepted and carried a query that never got an
 * answer: a firewall or middlebox that drops DNS over TCP after the
 * handshake, a TCP listener that does not serve); attempts = tcp_rejected +
 * tcp_filtered + tcp_sessions (the stalled ones are among the sessions).
 * Fires when UDP works (the CA's validators got responses),
 * failed >= tcp53_min_failed (3) and failed / attempts >= tcp53_warning_share
 * (0.05). Critical when failed / attempts >= tcp53_critical_share (0.5):
 * TCP/53 is essentially blocked. Names the regions whose validators failed.
 * TCP is required for answers over the UDP size (DNSSEC, large CAA and TXT
 * sets), so these lookups fail at the CA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

static uint64_t tcp_failed(const struct rule_group *g)
{
	return rule_tcp_failed(g->tcp_rejected, g->tcp_filtered, g->tcp_stalled);
}

static uint64_t tcp_attempts(const struct rule_group *g)
{
	return rule_tcp_attempts(g->tcp_rejected, g->tcp_filtered, g->tcp_sessions);
}

static int report(struct rule_ctx *c, const struct rule_group *ca, const struct rule_group *g,
                  size_t ng)
{
	uint64_t failed = tcp_failed(ca);
	uint64_t attempts = tcp_attempts(ca);
	double share = rule_share(failed, attempts);
	enum rule_severity sev;
	if (!rule_judge_tcp53(c->cfg, ca->ca, ca->responses, failed, attempts, &sev))
		return 0;
	struct finding f;
	rule_finding_init(&f, "TCP53_REJECTED", sev, "ca", ca->ca);
	f.first_seen_ns = ca->first_ns;
	f.last_seen_ns = ca->last_ns;
	snprintf(f.evidence, sizeof(f.evidence),
	         "%llu of %llu TCP/53 connections from %s validators failed (%.1f%%): %llu reset, "
	         "%llu never accepted, %llu accepted but their query never answered, while %llu "
	         "UDP/TCP responses reached them; by region:",
	         (unsigned long long)failed, (unsigned long long)attempts, ca->ca, 100.0 * share,
	         (unsigned long long)ca->tcp_rejected, (unsigned long long)ca->tcp_filtered,
	         (unsigned long long)ca->tcp_stalled, (unsigned long long)ca->responses);
	for (size_t i = 0; i < ng; i++) {
		uint64_t rf = tcp_failed(&g[i]);
		if (strcmp(g[i].ca, ca->ca) == 0 && rf > 0)
			rule_append(f.evidence, sizeof(f.evidence), " %s %llu/%llu", g[i].region,
			            (unsigned long long)rf,
			            (unsigned long long)tcp_attempts(&g[i]));
	}
	snprintf(f.recommendation, sizeof(f.recommendation), "%s", rule_advice_tcp53);
	rule_metric(&f, "tcp_failed", (double)failed);
	rule_metric(&f, "tcp_rejected", (double)ca->tcp_rejected);
	rule_metric(&f, "tcp_filtered", (double)ca->tcp_filtered);
	rule_metric(&f, "tcp_stalled", (double)ca->tcp_stalled);
	rule_metric(&f, "tcp_attempts", (double)attempts);
	rule_metric(&f, "failed_share", share);
	rule_metric(&f, "udp_responses", (double)ca->responses);
	return rule_emit(c, &f);
}

int rule_tcp53_rejected(struct rule_ctx *c)
{
	struct rule_group *g = NULL;
	size_t n = 0;
	if (rule_groups_read(c, &g, &n) != 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0;) {
		struct rule_group ca = g[i];
		size_t j = i + 1;
		for (; j < n && strcmp(g[j].ca, g[i].ca) == 0; j++)
			rule_group_add(&ca, &g[j]);
		rc = report(c, &ca, g, n);
		i = j;
	}
	free(g);
	return rc;
}
