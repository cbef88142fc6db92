/*
 * rule_site_asymmetry.c - SITE_ASYMMETRY: one site fails the validators of
 * a region that the other sites of the fleet serve.
 *
 * Data: per (site, region), the source_stats of the validator sources of
 * every server of the site, summed inside ClickHouse (db/ch_fleet.h);
 * region "unknown" is never judged nor used as a baseline.
 * Failures = unanswered + REFUSED + SERVFAIL + TCP connections reset or
 * never answered; trials = queries + failed TCP connections (as
 * REGION_ASYMMETRY). Baseline: the same region at every other site.
 * Test: one-sided two-proportion z-test with the pooled standard error, the
 * thresholds of REGION_ASYMMETRY (region_min_sample trials on both sides,
 * region_z, region_min_ratio, region_min_diff; critical at
 * region_critical_rate). Subject "site/region".
 */
#include "rule_site_asymmetry.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rule.h"

static uint64_t fails(const struct db_ch_site_group *g)
{
	return g->unanswered + g->refused + g->servfail + g->tcp_rejected + g->tcp_filtered;
}

static uint64_t trials(const struct db_ch_site_group *g)
{
	return g->queries + g->tcp_rejected + g->tcp_filtered;
}

/* The failure kind that dominates, and what it suggests. */
static const char *cause(const struct db_ch_site_group *g, const char **what)
{
	uint64_t tcp = g->tcp_rejected + g->tcp_filtered, best = g->unanswered;
	const char *k = "unanswered";
	*what = "silence at one site only points at that site: a firewall, a rate limit or "
	        "an anycast node that drops this region's validators; compare its filters and "
	        "rate limits with the sites that answer";
	if (g->refused > best) {
		best = g->refused;
		k = "refused";
		*what = "REFUSED at one site only is that site's ACL or view configuration: make "
		        "it answer the validated zones like the other sites";
	}
	if (g->servfail > best) {
		best = g->servfail;
		k = "servfail";
		*what = "SERVFAIL at one site only is that site's copy of the zone or its DNSSEC: "
		        "resync or fix the node";
	}
	if (tcp > best) {
		k = "tcp";
		*what = "TCP/53 is reset or dropped at this site only: open TCP 53 there";
	}
	return k;
}

int rule_site_asymmetry(const struct db_ch_site_group *g, size_t n, const struct rules_config *cfg,
                        finding_fn fn, void *ctx)
{
	double min_n = rules_config_get(cfg, RC_REGION_MIN_SAMPLE);
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		struct db_ch_site_group base;
		memset(&base, 0, sizeof(base));
		unsigned sites = 0;
		for (size_t j = 0; j < n; j++) {
			if (j == i || strcmp(g[j].region, g[i].region) != 0)
				continue;
			sites++;
			base.queries += g[j].queries;
			base.unanswered += g[j].unanswered;
			base.refused += g[j].refused;
			base.servfail += g[j].servfail;
			base.tcp_rejected += g[j].tcp_rejected;
			base.tcp_filtered += g[j].tcp_filtered;
		}
		uint64_t x1 = fails(&g[i]), n1 = trials(&g[i]), x2 = fails(&base),
		         n2 = trials(&base);
		if (sites == 0 || (double)n1 < min_n || (double)n2 < min_n || n1 == 0 || n2 == 0)
			continue;
		double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
		double z = rule_z_score(x1, n1, x2, n2);
		if (z < rules_config_get(cfg, RC_REGION_Z) ||
		    p1 < rules_config_get(cfg, RC_REGION_MIN_RATIO) * p2 ||
		    p1 - p2 < rules_config_get(cfg, RC_REGION_MIN_DIFF))
			continue;
		const char *what = NULL, *k = cause(&g[i], &what);
		struct finding f;
		memset(&f, 0, sizeof(f));
		snprintf(f.rule, sizeof(f.rule), "SITE_ASYMMETRY");
		f.severity =
		    p1 >= rules_config_get(cfg, RC_REGION_CRIT_RATE) ? RULE_CRITICAL : RULE_WARNING;
		snprintf(f.subject_kind, sizeof(f.subject_kind), "site/region");
		snprintf(f.subject, sizeof(f.subject), "%s/%s", g[i].site, g[i].region);
		f.first_seen_ns = g[i].first_ns;
		f.last_seen_ns = g[i].last_ns;
		snprintf(f.evidence, sizeof(f.evidence),
		         "at site %s (servers %s) validators of region %s (%llu source(s)) failed "
		         "%llu of %llu lookups (%.1f%%), at the %u other site(s) %llu of %llu "
		         "(%.1f%%); z = %.1f. Failures: %llu unanswered, %llu REFUSED, %llu "
		         "SERVFAIL, %llu TCP reset, %llu TCP unanswered; dominant: %s",
		         g[i].site, g[i].servers, g[i].region, (unsigned long long)g[i].sources,
		         (unsigned long long)x1, (unsigned long long)n1, 100 * p1, sites,
		         (unsigned long long)x2, (unsigned long long)n2, 100 * p2,
		         isinf(z) ? 99.0 : z, (unsigned long long)g[i].unanswered,
		         (unsigned long long)g[i].refused, (unsigned long long)g[i].servfail,
		         (unsigned long long)g[i].tcp_rejected,
		         (unsigned long long)g[i].tcp_filtered, k);
		snprintf(
		    f.recommendation, sizeof(f.recommendation),
		    "Multi-perspective validation needs every site to answer every region: %s.",
		    what);
		rule_metric(&f, "failures", (double)x1);
		rule_metric(&f, "trials", (double)n1);
		rule_metric(&f, "failure_rate", p1);
		rule_metric(&f, "baseline_failures", (double)x2);
		rule_metric(&f, "baseline_trials", (double)n2);
		rule_metric(&f, "baseline_rate", p2);
		rule_metric(&f, "z", isinf(z) ? 99.0 : z);
		rule_metric(&f, "other_sites", (double)sites);
		if (fn(ctx, &f) != 0)
			return -1;
		found++;
	}
	return found;
}
