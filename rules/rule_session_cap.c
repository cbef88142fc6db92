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
 *
 * A server whose own TCP client limit is full (BIND tcp-clients, NSD
 * tcp-count, Knot tcp-max-clients) refuses nothing: the kernel completes
 * the handshake and the session stalls, its query never answered. When the
 * source has no cap from refusals, the same test runs on the stalled
 * sessions (tcp_stalled >= session_cap_min_failed) with N the largest
 * max_served_tcp (sessions open at once that the server answered on) among
 * the buckets with stalled sessions: no bucket served more than N, and
 * every stall bucket served at least N * (1 - session_cap_tolerance).
 * Metric stalled = 1 then.
 */
#include <math.h>
#include <stdio.h>

#include "rule.h"

struct cap_ctx {
	struct rule_ctx *c;
	int rc;
};

/* plateau() says whether `failed` failures at a plateau of n sessions make
 * a cap: no bucket above n (peak), every failure bucket at least
 * n * (1 - tolerance) (least). */
static bool plateau(struct rule_ctx *c, uint64_t failed, uint64_t n, uint64_t peak, uint64_t least)
{
	if (failed < (uint64_t)rule_cfg(c, RC_SESSION_CAP_MIN_FAILED) ||
	    (double)n < rule_cfg(c, RC_SESSION_CAP_MIN_PLATEAU) || peak > n)
		return false;
	return (double)least >= floor((double)n * (1.0 - rule_cfg(c, RC_SESSION_CAP_TOLERANCE)));
}

/* emit() hands f on; 1 (stop) with x->rc = -1 when that fails. */
static int emit(struct cap_ctx *x, struct finding *f)
{
	if (rule_emit(x->c, f) == 0)
		return 0;
	x->rc = -1;
	return 1;
}

/* cap_severity(): critical below session_cap_critical, warning below
 * session_cap_warning, else info. */
static enum rule_severity cap_severity(struct rule_ctx *c, uint64_t n)
{
	if ((double)n < rule_cfg(c, RC_SESSION_CAP_CRITICAL))
		return RULE_CRITICAL;
	return (double)n < rule_cfg(c, RC_SESSION_CAP_WARNING) ? RULE_WARNING : RULE_INFO;
}

/* cap_finding() starts s's finding at a cap of n seen from first_ns to
 * last_ns; its evidence starts with the source and its CA. */
static void cap_finding(struct rule_ctx *c, const struct db_rule_source *s, uint64_t n,
                        uint64_t first_ns, uint64_t last_ns, struct finding *f)
{
	rule_finding_init(f, "SESSION_CAP", cap_severity(c, n), "source", s->source);
	f->first_seen_ns = first_ns;
	f->last_seen_ns = last_ns;
	if (s->ca[0])
		snprintf(f->evidence, sizeof(f->evidence), "%s (%s): ", s->source, s->ca);
	else
		snprintf(f->evidence, sizeof(f->evidence), "%s: ", s->source);
}

/* stalled_cap() judges the source's stalled sessions (see the top). */
static int stalled_cap(struct cap_ctx *x, const struct db_rule_source *s)
{
	struct rule_ctx *c = x->c;
	uint64_t n = s->stall_served_max;
	if (!plateau(c, s->tcp_stalled, n, s->max_served_tcp, s->stall_served_min))
		return 0;
	struct finding f;
	cap_finding(c, s, n, s->stall_first_ns, s->stall_last_ns, &f);
	rule_append(f.evidence, sizeof(f.evidence),
	            "the server answered on at most %llu of its TCP sessions at once while "
	            "%llu further sessions were accepted, carried a query and were never answered, "
	            "in %llu time bucket(s); up to %llu sessions open at once, %llu established, "
	            "%llu queries over TCP, %llu unanswered in all",
	            (unsigned long long)n, (unsigned long long)s->tcp_stalled,
	            (unsigned long long)s->stall_buckets, (unsigned long long)s->max_concurrent_tcp,
	            (unsigned long long)s->tcp_sessions, (unsigned long long)s->queries_tcp,
	            (unsigned long long)s->unanswered);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "The nameserver serves about %llu TCP connections at once (for this client or for "
	         "all): the kernel completes further handshakes, but the server never reads them. "
	         "Raise the server's TCP client limit to at least %g concurrent connections per "
	         "client (BIND tcp-clients, NSD tcp-count, Knot tcp-max-clients, or the load "
	         "balancer in front); CA validators open many parallel TCP connections for CAA and "
	         "DNSSEC lookups.",
	         (unsigned long long)n, rule_cfg(c, RC_SESSION_CAP_WARNING));
	rule_metric(&f, "inferred_cap", (double)n);
	rule_metric(&f, "stalled", 1);
	rule_metric(&f, "stalled_sessions", (double)s->tcp_stalled);
	rule_metric(&f, "max_concurrent_tcp", (double)s->max_concurrent_tcp);
	rule_metric(&f, "tcp_sessions", (double)s->tcp_sessions);
	rule_metric(&f, "failure_buckets", (double)s->stall_buckets);
	return emit(x, &f);
}

static int on_source(void *arg, const struct db_rule_source *s)
{
	struct cap_ctx *x = arg;
	struct rule_ctx *c = x->c;
	uint64_t failed = s->tcp_rejected + s->tcp_filtered;
	uint64_t n = s->fail_conc_max;
	if (!plateau(c, failed, n, s->max_concurrent_tcp, s->fail_conc_min))
		return stalled_cap(x, s);
	struct finding f;
	cap_finding(c, s, n, s->fail_first_ns, s->fail_last_ns, &f);
	rule_append(f.evidence, sizeof(f.evidence),
	            "concurrent TCP sessions plateau at %llu while %llu further "
	            "connections failed (%llu reset, %llu never answered) in %llu time bucket(s); "
	            "%llu sessions established, %llu queries over TCP",
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
	return emit(x, &f);
}

int rule_session_cap(struct rule_ctx *c)
{
	struct cap_ctx x = {.c = c};
	if (rule_sources(c, on_source, &x) < 0)
		return -1;
	return x.rc;
}
