/*
 * rule_session_cap.c - SESSION_CAP: the server caps concurrent TCP sessions
 * per client.
 *
 * Data: source_stats per source per bucket (max_concurrent_tcp,
 * tcp_rejected, tcp_filtered).
 * Test, per source over the scope: let the failure buckets be the buckets in
 * which TCP connections were rejected (RST to the SYN) or never answered,
 * and N the largest max_concurrent_tcp among them. The source is capped at N
 * when
 *   - failed connections (rejected + filtered) >= session_cap_min_failed (5),
 *   - N >= session_cap_min_plateau (2): a lone reset at one session is not a
 *     cap,
 *   - the source never had more than N sessions open in any bucket (a
 *     plateau, not a peak), and
 *   - every failure bucket reached at least N * (1 - session_cap_tolerance)
 *     (0.1) concurrent sessions: connections fail only when the source is at
 *     the plateau.
 * Metric inferred_cap = N. Severity: critical when N < session_cap_critical
 * (50), warning when N < session_cap_warning (200: CAs recommend at least
 * 200 concurrent sessions per client IP; DigiCert saw a cap of 25 break
 * validation), else info.
 */
#include <math.h>
#include <stdio.h>

#include "rule.h"

struct cap_ctx {
	struct rule_ctx *c;
	int rc;
};

static int on_source(void *arg, const struct db_rule_source *s)
{
	struct cap_ctx *x = arg;
	struct rule_ctx *c = x->c;
	uint64_t failed = s->tcp_rejected + s->tcp_filtered;
	uint64_t n = s->fail_conc_max;
	if (failed < (uint64_t)rule_cfg(c, RC_SESSION_CAP_MIN_FAILED) ||
	    (double)n < rule_cfg(c, RC_SESSION_CAP_MIN_PLATEAU) || s->max_concurrent_tcp > n)
		return 0;
	double floor_n = floor((double)n * (1.0 - rule_cfg(c, RC_SESSION_CAP_TOLERANCE)));
	if ((double)s->fail_conc_min < floor_n)
		return 0;
	enum rule_severity sev = RULE_INFO;
	if ((double)n < rule_cfg(c, RC_SESSION_CAP_CRITICAL))
		sev = RULE_CRITICAL;
	else if ((double)n < rule_cfg(c, RC_SESSION_CAP_WARNING))
		sev = RULE_WARNING;
	struct finding f;
	rule_finding_init(&f, "SESSION_CAP", sev, "source", s->source);
	f.first_seen_ns = s->fail_first_ns;
	f.last_seen_ns = s->fail_last_ns;
	snprintf(f.evidence, sizeof(f.evidence),
	         "%s%s%s%s%s: concurrent TCP sessions plateau at %llu while %llu further "
	         "connections failed (%llu reset, %llu never answered) in %llu time bucket(s); "
	         "%llu sessions established, %llu queries over TCP",
	         s->source, s->ca[0] ? " (" : "", s->ca, s->ca[0] ? ")" : "", "",
	         (unsigned long long)n, (unsigned long long)failed,
	         (unsigned long long)s->tcp_rejected, (unsigned long long)s->tcp_filtered,
	         (unsigned long long)s->fail_buckets, (unsigned long long)s->tcp_sessions,
	         (unsigned long long)s->queries_tcp);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "The nameserver (or a firewall/load balancer in front of it) allows about %llu "
	         "concurrent TCP connections per client address. Raise the per-client TCP "
	         "connection limit to at least %g (NSD tcp-count, Knot tcp-max-clients, BIND "
	         "tcp-clients, iptables/nftables connlimit, DDoS protection profile); CA "
	         "validators open many parallel TCP connections for CAA and DNSSEC lookups.",
	         (unsigned long long)n, rule_cfg(c, RC_SESSION_CAP_WARNING));
	rule_metric(&f, "inferred_cap", (double)n);
	rule_metric(&f, "failed_connections", (double)failed);
	rule_metric(&f, "tcp_rejected", (double)s->tcp_rejected);
	rule_metric(&f, "tcp_filtered", (double)s->tcp_filtered);
	rule_metric(&f, "tcp_sessions", (double)s->tcp_sessions);
	rule_metric(&f, "failure_buckets", (double)s->fail_buckets);
	if (rule_emit(c, &f) != 0) {
		x->rc = -1;
		return 1;
	}
	return 0;
}

int rule_session_cap(struct rule_ctx *c)
{
	struct cap_ctx x = {.c = c};
	if (rule_sources(c, on_source, &x) < 0)
		return -1;
	return x.rc;
}
