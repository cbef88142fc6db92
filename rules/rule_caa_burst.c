/*
 * rule_caa_burst.c - CAA_BURST: CAA tree-climbing bursts for deep names
 * that coincide with failures.
 *
 * Data: attempts (caa_labels: the most names one perspective asked CAA for)
 * and the stored validator CAA transactions (shape caa).
 * Test, per attempt name: over the attempts whose perspectives climbed at
 * least caa_min_labels (3) names, count the CAA lookups for the name or an
 * ancestor made during the attempt that were dropped or REFUSED while the
 * same source got a usable CAA answer (NOERROR/NXDOMAIN) for another step of
 * that climb: part of the burst failed, so the burst (a per-source rate or
 * burst limit), not the source or the name, is the cause. A source that
 * gets nothing (geo-blocking) or SERVFAIL for one zone is left to
 * REGION_ASYMMETRY and SERVFAIL_TO_VALIDATORS. Fires at >= caa_min_failed
 * (3) such lookups; warning. Each perspective asks CAA for the name and every parent
 * in parallel, so a deep name multiplies the burst; rate limits and
 * firewalls then drop the later lookups.
 */
#include <stdio.h>

#include "rule.h"

static int on_name(void *arg, const struct db_rule_row *r)
{
	struct rule_ctx *c = arg;
	if ((double)r->n[0] < rule_cfg(c, RC_CAA_MIN_FAILED))
		return 0;
	struct finding f;
	rule_finding_init(&f, "CAA_BURST", RULE_WARNING, "name", r->t[0]);
	f.first_seen_ns = (uint64_t)r->n[3];
	f.last_seen_ns = (uint64_t)r->n[4];
	snprintf(f.evidence, sizeof(f.evidence),
	         "validators climbed up to %lld names for CAA of %s; in %lld attempt(s) %lld of "
	         "those CAA lookups failed (%lld unanswered) from %lld source(s)",
	         (long long)r->n[2], r->t[0], (long long)r->n[1], (long long)r->n[0],
	         (long long)r->n[6], (long long)r->n[5]);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "Publish a CAA record at %s (or its closest parent that you control) so that "
	         "validators stop climbing at the first answer, and make sure bursts of CAA "
	         "queries are not dropped or rate-limited by the nameserver or a firewall.",
	         r->t[0]);
	rule_metric(&f, "failed_lookups", (double)r->n[0]);
	rule_metric(&f, "attempts", (double)r->n[1]);
	rule_metric(&f, "caa_labels", (double)r->n[2]);
	rule_metric(&f, "unanswered", (double)r->n[6]);
	rule_metric(&f, "sources", (double)r->n[5]);
	return rule_emit(c, &f) != 0 ? 1 : 0;
}

int rule_caa_burst(struct rule_ctx *c)
{
	unsigned labels = (unsigned)rule_cfg(c, RC_CAA_MIN_LABELS);
	return db_rule_caa_bursts(c->db, c->scope, labels, on_name, c) < 0 ? -1 : 0;
}
