/*
 * fleet_rules.c - the fleet rules over ClickHouse (fleet_rules.h).
 *
 * Data: per (site, server, CA, region) the validators' statistics, and per
 * (site, server, CA) the attempts, each summed by one GROUP BY inside
 * ClickHouse (db_ch_ca_groups_read(), db_ch_attempt_groups_read()).
 * Test: the rows of one (site, server, CA) are added up as the per-host
 * rules add up a CA's regions (rule_groups_read()), then judged by the
 * same functions with the same thresholds (rule_judge.h). The evidence
 * names the site and the server, and the regions that failed.
 */
#include "fleet_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_fleet.h"
#include "rule.h"
#include "rule_judge.h"
#include "rule_site_asymmetry.h"

static const char *const fleet_rule_ids[] = {
    "SITE_ASYMMETRY",         "TCP53_REJECTED",  "REFUSED_TO_VALIDATORS",
    "SERVFAIL_TO_VALIDATORS", "VALIDATOR_DROPS", "MPIC_QUORUM_AT_RISK",
};

unsigned fleet_rules_count(void)
{
	return sizeof(fleet_rule_ids) / sizeof(fleet_rule_ids[0]);
}

const char *fleet_rules_id(unsigned i)
{
	return i < fleet_rules_count() ? fleet_rule_ids[i] : NULL;
}

/* A growing array of the groups ClickHouse returned. */
struct arr {
	void *p;
	size_t n, cap, size;
	int oom;
};

static int arr_add(struct arr *a, const void *item)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void *p = realloc(a->p, cap * a->size);
		if (p == NULL) {
			a->oom = 1;
			return -1;
		}
		a->p = p;
		a->cap = cap;
	}
	memcpy((char *)a->p + a->n * a->size, item, a->size);
	a->n++;
	return 0;
}

static int add_site_group(void *ctx, const struct db_ch_site_group *g)
{
	return arr_add(ctx, g);
}

static int add_ca_group(void *ctx, const struct db_ch_ca_group *g)
{
	return arr_add(ctx, g);
}

static int add_attempt_group(void *ctx, const struct db_ch_attempt_group *g)
{
	return arr_add(ctx, g);
}

/* A finding about one (site, server, CA) from first_ns to last_ns. */
static void init(struct finding *f, const char *rule, enum rule_severity sev, const char *site,
                 const char *server, const char *ca, uint64_t first_ns, uint64_t last_ns)
{
	char subject[sizeof(f->subject)];
	snprintf(subject, sizeof(subject), "%s/%s/%s", site, server, ca);
	rule_finding_init(f, rule, sev, "site/server/ca", subject);
	f->first_seen_ns = first_ns;
	f->last_seen_ns = last_ns;
}

/* Which counter of a group a rule looks at. */
enum counter { C_UNANSWERED, C_REFUSED, C_SERVFAIL, C_TCP };

static uint64_t count_of(const struct db_ch_ca_group *g, enum counter c)
{
	switch (c) {
	case C_UNANSWERED:
		return g->unanswered;
	case C_REFUSED:
		return g->refused;
	case C_SERVFAIL:
		return g->servfail;
	case C_TCP:
		break;
	}
	return rule_tcp_failed(g->tcp_rejected, g->tcp_filtered, g->tcp_stalled);
}

/* Appends " region n/of" for the regions of g[0..n) with counter c. */
static void by_region(char *buf, size_t len, const struct db_ch_ca_group *g, size_t n,
                      enum counter c)
{
	rule_append(buf, len, "; by region:");
	for (size_t i = 0; i < n; i++) {
		uint64_t k = count_of(&g[i], c);
		uint64_t of = c == C_TCP ? rule_tcp_attempts(g[i].tcp_rejected, g[i].tcp_filtered,
		                                             g[i].tcp_sessions)
		                         : g[i].queries;
		if (k > 0)
			rule_append(buf, len, " %s %llu/%llu", g[i].region, (unsigned long long)k,
			            (unsigned long long)of);
	}
}

/* The per-server validator rules over the regions g[0..n) of one (site,
 * server, CA). Returns the findings, or -1 when fn failed. */
static int judge_ca(const struct db_ch_ca_group *g, size_t n, const struct rules_config *cfg,
                    finding_fn fn, void *ctx)
{
	struct db_ch_ca_group t = g[0];
	for (size_t i = 1; i < n; i++) {
		t.sources += g[i].sources;
		t.queries += g[i].queries;
		t.responses += g[i].responses;
		t.unanswered += g[i].unanswered;
		t.refused += g[i].refused;
		t.servfail += g[i].servfail;
		t.tcp_sessions += g[i].tcp_sessions;
		t.tcp_rejected += g[i].tcp_rejected;
		t.tcp_filtered += g[i].tcp_filtered;
		t.tcp_stalled += g[i].tcp_stalled;
		if (g[i].first_ns < t.first_ns)
			t.first_ns = g[i].first_ns;
		if (g[i].last_ns > t.last_ns)
			t.last_ns = g[i].last_ns;
	}
	int found = 0;
	enum rule_severity sev;
	struct finding f;
	uint64_t failed = count_of(&t, C_TCP);
	uint64_t tcp_attempts = rule_tcp_attempts(t.tcp_rejected, t.tcp_filtered, t.tcp_sessions);
	if (rule_judge_tcp53(cfg, t.ca, t.responses, failed, tcp_attempts, &sev)) {
		init(&f, "TCP53_REJECTED", sev, t.site, t.server, t.ca, t.first_ns, t.last_ns);
		snprintf(
		    f.evidence, sizeof(f.evidence),
		    "at site %s, server %s: %llu of %llu TCP/53 connections from %s "
		    "validators failed (%.1f%%): %llu reset, %llu never accepted, %llu accepted "
		    "but their query never answered, while %llu responses reached them",
		    t.site, t.server, (unsigned long long)failed, (unsigned long long)tcp_attempts,
		    t.ca, 100 * rule_share(failed, tcp_attempts),
		    (unsigned long long)t.tcp_rejected, (unsigned long long)t.tcp_filtered,
		    (unsigned long long)t.tcp_stalled, (unsigned long long)t.responses);
		by_region(f.evidence, sizeof(f.evidence), g, n, C_TCP);
		snprintf(f.recommendation, sizeof(f.recommendation), "%s", rule_advice_tcp53);
		rule_metric(&f, "tcp_failed", (double)failed);
		rule_metric(&f, "tcp_stalled", (double)t.tcp_stalled);
		rule_metric(&f, "tcp_attempts", (double)tcp_attempts);
		rule_metric(&f, "failed_share", rule_share(failed, tcp_attempts));
		if (fn(ctx, &f) != 0)
			return -1;
		found++;
	}
	static const struct {
		const char *id, *what, *metric;
		enum counter c;
	} answers[] = {
	    {"REFUSED_TO_VALIDATORS", "answered REFUSED", "refused", C_REFUSED},
	    {"SERVFAIL_TO_VALIDATORS", "answered SERVFAIL", "servfail", C_SERVFAIL},
	    {"VALIDATOR_DROPS", "left unanswered", "unanswered", C_UNANSWERED},
	};
	for (size_t k = 0; k < sizeof(answers) / sizeof(answers[0]); k++) {
		uint64_t count = count_of(&t, answers[k].c);
		int fires = answers[k].c == C_UNANSWERED
		                ? rule_judge_drops(cfg, t.ca, count, t.queries, &sev)
		                : rule_judge_rcode(cfg, t.ca, count, t.queries, &sev);
		if (!fires)
			continue;
		init(&f, answers[k].id, sev, t.site, t.server, t.ca, t.first_ns, t.last_ns);
		snprintf(f.evidence, sizeof(f.evidence),
		         "at site %s, server %s: %llu of %llu queries from %s validators (%llu "
		         "source(s)) were %s (%.1f%%)",
		         t.site, t.server, (unsigned long long)count, (unsigned long long)t.queries,
		         t.ca, (unsigned long long)t.sources, answers[k].what,
		         100 * rule_share(count, t.queries));
		by_region(f.evidence, sizeof(f.evidence), g, n, answers[k].c);
		snprintf(f.recommendation, sizeof(f.recommendation), "%s",
		         answers[k].c == C_REFUSED    ? rule_advice_refused
		         : answers[k].c == C_SERVFAIL ? rule_advice_servfail
		                                      : rule_advice_drops);
		rule_metric(&f, answers[k].metric, (double)count);
		rule_metric(&f, "queries", (double)t.queries);
		rule_metric(&f, "share", rule_share(count, t.queries));
		rule_metric(&f, "sources", (double)t.sources);
		if (fn(ctx, &f) != 0)
			return -1;
		found++;
	}
	return found;
}

/* MPIC_QUORUM_AT_RISK of one (site, server, CA). Returns 0 or 1 findings,
 * or -1 when fn failed. */
static int judge_attempts(const struct db_ch_attempt_group *a, const struct rules_config *cfg,
                          finding_fn fn, void *ctx)
{
	uint64_t bad = a->at_risk + a->failed;
	enum rule_severity sev;
	if (!rule_judge_mpic(cfg, a->ca, bad, a->attempts, &sev))
		return 0;
	struct finding f;
	init(&f, "MPIC_QUORUM_AT_RISK", sev, a->site, a->server, a->ca, a->first_ns, a->last_ns);
	snprintf(f.evidence, sizeof(f.evidence),
	         "at site %s, server %s: %llu of %llu validation attempts by %s had perspectives "
	         "without a usable answer (%llu still corroborated but at risk, %llu failed the "
	         "quorum)",
	         a->site, a->server, (unsigned long long)bad, (unsigned long long)a->attempts,
	         a->ca, (unsigned long long)a->at_risk, (unsigned long long)a->failed);
	snprintf(f.recommendation, sizeof(f.recommendation), "%s", rule_advice_mpic);
	rule_metric(&f, "attempts", (double)a->attempts);
	rule_metric(&f, "at_risk", (double)a->at_risk);
	rule_metric(&f, "failed", (double)a->failed);
	rule_metric(&f, "share", rule_share(bad, a->attempts));
	return fn(ctx, &f) != 0 ? -1 : 1;
}

static int same_ca(const struct db_ch_ca_group *a, const struct db_ch_ca_group *b)
{
	return strcmp(a->site, b->site) == 0 && strcmp(a->server, b->server) == 0 &&
	       strcmp(a->ca, b->ca) == 0;
}

int fleet_rules_run(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                    const struct rules_config *cfg, finding_fn fn, void *ctx)
{
	struct arr sites = {.size = sizeof(struct db_ch_site_group)};
	struct arr cas = {.size = sizeof(struct db_ch_ca_group)};
	struct arr atts = {.size = sizeof(struct db_ch_attempt_group)};
	int rc = db_ch_site_groups_read(ch, from_ns, to_ns, add_site_group, &sites);
	if (rc >= 0 && !sites.oom)
		rc = db_ch_ca_groups_read(ch, from_ns, to_ns, add_ca_group, &cas);
	if (rc >= 0 && !cas.oom)
		rc = db_ch_attempt_groups_read(ch, from_ns, to_ns, add_attempt_group, &atts);
	int found = 0;
	if (rc < 0)
		goto out;
	if (sites.oom || cas.oom || atts.oom) {
		rc = FLEET_RULES_ABORTED;
		goto out;
	}
	rc = rule_site_asymmetry(sites.p, sites.n, cfg, fn, ctx);
	if (rc < 0) {
		rc = FLEET_RULES_ABORTED;
		goto out;
	}
	found += rc;
	const struct db_ch_ca_group *g = cas.p;
	for (size_t i = 0; i < cas.n;) {
		size_t j = i + 1;
		while (j < cas.n && same_ca(&g[i], &g[j]))
			j++;
		rc = judge_ca(&g[i], j - i, cfg, fn, ctx);
		if (rc < 0) {
			rc = FLEET_RULES_ABORTED;
			goto out;
		}
		found += rc;
		i = j;
	}
	const struct db_ch_attempt_group *a = atts.p;
	for (size_t i = 0; i < atts.n; i++) {
		rc = judge_attempts(&a[i], cfg, fn, ctx);
		if (rc < 0) {
			rc = FLEET_RULES_ABORTED;
			goto out;
		}
		found += rc;
	}
	rc = found;
out:
	free(sites.p);
	free(cas.p);
	free(atts.p);
	return rc;
}
