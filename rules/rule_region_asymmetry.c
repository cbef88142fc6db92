/*
 * rule_region_asymmetry.c - REGION_ASYMMETRY: one region's validators fail
 * significantly more than the other regions' validators.
 *
 * Data: source_stats of the validator sources summed per (CA, region)
 * (validator_sources; region "unknown" is never judged nor used as a
 * baseline).
 * Failures of a group = unanswered + REFUSED + SERVFAIL + TCP connections
 * reset or never answered; trials = queries + failed TCP connections.
 * Test: one-sided two-proportion z-test of the group's failure rate p1
 * against the baseline's p2 with the pooled standard error. Fires when both
 * sides have >= region_min_sample (30) trials, z >= region_z (3.29, p <
 * 0.0005), p1 >= region_min_ratio (2) x p2 and p1 - p2 >= region_min_diff
 * (0.02). Critical when p1 >= region_critical_rate (0.1).
 * Two levels: (1) each region of each CA against the CA's other regions
 * (subject "ca/region"; when those have too few trials, against every other
 * validator group), (2) each region across all CAs against all other
 * regions (subject "region"). The failure kind that dominates names the
 * likely cause: silence (unanswered) = geo-blocking or an asymmetric rate
 * limit; REFUSED = an ACL/geo policy; SERVFAIL = the regional server or
 * view; TCP = TCP/53 blocked for that region.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

static uint64_t fails(const struct rule_group *g)
{
	return g->unanswered + g->refused + g->servfail + g->tcp_rejected + g->tcp_filtered;
}

static uint64_t trials(const struct rule_group *g)
{
	return g->queries + g->tcp_rejected + g->tcp_filtered;
}

static int known_region(const char *r)
{
	return r[0] != '\0' && strcmp(r, "unknown") != 0 && strcmp(r, "-") != 0;
}

static const char *cause(const struct rule_group *g, const char **what)
{
	uint64_t tcp = g->tcp_rejected + g->tcp_filtered;
	uint64_t best = g->unanswered;
	const char *k = "unanswered";
	*what = "silence from this region looks like geo-blocking or a firewall, or an "
	        "asymmetric rate limit dropping this region's bursts: allow the CA validator "
	        "networks of this region (UDP and TCP 53) and exempt them from rate limits";
	if (g->refused > best) {
		best = g->refused;
		k = "refused";
		*what = "REFUSED to this region is an ACL or geo policy at the nameserver or DNS "
		        "provider (views, GeoIP ACLs, 'allow-query'): answer queries from all "
		        "regions for the validated zones";
	}
	if (g->servfail > best) {
		best = g->servfail;
		k = "servfail";
		*what = "SERVFAIL to this region points at the server or GeoDNS view that serves "
		        "it (anycast node, regional view with a broken zone or DNSSEC): fix or "
		        "resync that node";
	}
	if (tcp > best) {
		k = "tcp";
		*what = "TCP/53 from this region is reset or dropped: open TCP 53 for this "
		        "region's validator networks";
	}
	return k;
}

static int judge(struct rule_ctx *c, const char *kind, const char *subject,
                 const struct rule_group *g, const struct rule_group *base, const char *base_name)
{
	uint64_t x1 = fails(g), n1 = trials(g), x2 = fails(base), n2 = trials(base);
	double min_n = rule_cfg(c, RC_REGION_MIN_SAMPLE);
	if ((double)n1 < min_n || (double)n2 < min_n || n1 == 0 || n2 == 0)
		return 0;
	double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
	double z = rule_z_score(x1, n1, x2, n2);
	if (z < rule_cfg(c, RC_REGION_Z) || p1 < rule_cfg(c, RC_REGION_MIN_RATIO) * p2 ||
	    p1 - p2 < rule_cfg(c, RC_REGION_MIN_DIFF))
		return 0;
	const char *what = NULL;
	const char *k = cause(g, &what);
	struct finding f;
	rule_finding_init(&f, "REGION_ASYMMETRY",
	                  p1 >= rule_cfg(c, RC_REGION_CRIT_RATE) ? RULE_CRITICAL : RULE_WARNING,
	                  kind, subject);
	f.first_seen_ns = g->first_ns;
	f.last_seen_ns = g->last_ns;
	snprintf(f.evidence, sizeof(f.evidence),
	         "validators of %s (%llu source(s)) failed %llu of %llu lookups (%.1f%%) against "
	         "%llu of %llu (%.1f%%) for %s; z = %.1f. Failures: %llu unanswered, %llu REFUSED, "
	         "%llu SERVFAIL, %llu TCP reset, %llu TCP unanswered; dominant: %s; peak %llu "
	         "queries/s from one source",
	         subject, (unsigned long long)g->sources, (unsigned long long)x1,
	         (unsigned long long)n1, 100 * p1, (unsigned long long)x2, (unsigned long long)n2,
	         100 * p2, base_name, isinf(z) ? 99.0 : z, (unsigned long long)g->unanswered,
	         (unsigned long long)g->refused, (unsigned long long)g->servfail,
	         (unsigned long long)g->tcp_rejected, (unsigned long long)g->tcp_filtered, k,
	         (unsigned long long)g->peak_qps);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "Multi-perspective validation needs answers from every region: %s.", what);
	rule_metric(&f, "failures", (double)x1);
	rule_metric(&f, "trials", (double)n1);
	rule_metric(&f, "failure_rate", p1);
	rule_metric(&f, "baseline_failures", (double)x2);
	rule_metric(&f, "baseline_trials", (double)n2);
	rule_metric(&f, "baseline_rate", p2);
	rule_metric(&f, "z", isinf(z) ? 99.0 : z);
	rule_metric(&f, "unanswered", (double)g->unanswered);
	rule_metric(&f, "refused", (double)g->refused);
	rule_metric(&f, "servfail", (double)g->servfail);
	rule_metric(&f, "tcp_failed", (double)(g->tcp_rejected + g->tcp_filtered));
	return rule_emit(c, &f);
}

int rule_region_asymmetry(struct rule_ctx *c)
{
	struct rule_group *g = NULL;
	size_t n = 0;
	if (rule_groups_read(c, &g, &n) != 0)
		return -1;
	int rc = 0;
	/* (1) each CA's regions */
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!known_region(g[i].region))
			continue;
		struct rule_group same, all;
		memset(&same, 0, sizeof(same));
		memset(&all, 0, sizeof(all));
		for (size_t j = 0; j < n; j++) {
			if (j == i || !known_region(g[j].region))
				continue;
			rule_group_add(&all, &g[j]);
			if (strcmp(g[j].ca, g[i].ca) == 0)
				rule_group_add(&same, &g[j]);
		}
		char subject[160], base[96];
		snprintf(subject, sizeof(subject), "%s/%s", g[i].ca, g[i].region);
		int use_same = (double)trials(&same) >= rule_cfg(c, RC_REGION_MIN_SAMPLE);
		snprintf(base, sizeof(base), "%s",
		         use_same ? "the CA's other regions" : "all other validator groups");
		rc = judge(c, "ca/region", subject, &g[i], use_same ? &same : &all, base);
	}
	/* (2) each region across all CAs */
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!known_region(g[i].region))
			continue;
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(g[j].region, g[i].region) == 0;
		if (seen)
			continue;
		struct rule_group reg, rest;
		memset(&reg, 0, sizeof(reg));
		memset(&rest, 0, sizeof(rest));
		for (size_t j = 0; j < n; j++) {
			if (!known_region(g[j].region))
				continue;
			rule_group_add(strcmp(g[j].region, g[i].region) == 0 ? &reg : &rest, &g[j]);
		}
		rc = judge(c, "region", g[i].region, &reg, &rest, "all other regions");
	}
	free(g);
	return rc;
}
