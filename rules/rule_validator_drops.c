/*
 * rule_validator_drops.c - VALIDATOR_DROPS: a CA's validator queries are
 * left unanswered.
 *
 * Data: source_stats of the validator sources summed per CA and region
 * (unanswered, queries); the stored unanswered validator transactions
 * (example names).
 * Test, per CA: fires when unanswered >= drops_min (10) and unanswered /
 * queries >= drops_warning_share (0.02); critical at >= drops_critical_share
 * (0.1). A CA retries a few times and then reports "query timed out".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

#define EXAMPLE_NAMES 3

/* The first EXAMPLE_NAMES names of each CA, read once for every CA that
 * fires (the query groups every CA's unanswered names anyway). */
struct drop_name {
	char ca[256]; /* as wide as db_rule_row.t */
	char qname[256];
	long long count;
};

struct drop_names {
	struct drop_name *v;
	size_t n, cap;
	unsigned in_ca; /* names of the current CA seen so far */
	int read, oom;
};

static int on_name(void *arg, const struct db_rule_row *r)
{
	struct drop_names *d = arg;
	/* rows come grouped by CA, most frequent name first */
	if (d->n > 0 && strcmp(d->v[d->n - 1].ca, r->t[0]) == 0)
		d->in_ca++;
	else
		d->in_ca = 0;
	if (d->in_ca >= EXAMPLE_NAMES)
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct drop_name *p = realloc(d->v, cap * sizeof(*p));
		if (p == NULL) {
			d->oom = 1;
			return 1;
		}
		d->v = p;
		d->cap = cap;
	}
	struct drop_name *x = &d->v[d->n++];
	snprintf(x->ca, sizeof(x->ca), "%s", r->t[0]);
	snprintf(x->qname, sizeof(x->qname), "%s", r->t[1]);
	x->count = (long long)r->n[0];
	return 0;
}

static int report(struct rule_ctx *c, const struct rule_group *ca, const struct rule_group *g,
                  size_t ng, struct drop_names *d)
{
	double share = rule_share(ca->unanswered, ca->queries);
	enum rule_severity sev;
	if (!rule_judge_drops(c->cfg, ca->ca, ca->unanswered, ca->queries, &sev))
		return 0;
	struct finding f;
	rule_finding_init(&f, "VALIDATOR_DROPS", sev, "ca", ca->ca);
	f.first_seen_ns = ca->first_ns;
	f.last_seen_ns = ca->last_ns;
	snprintf(f.evidence, sizeof(f.evidence),
	         "%llu of %llu queries from %s validators (%llu source(s)) got no answer (%.1f%%); "
	         "by region:",
	         (unsigned long long)ca->unanswered, (unsigned long long)ca->queries, ca->ca,
	         (unsigned long long)ca->sources, 100 * share);
	for (size_t i = 0; i < ng; i++)
		if (strcmp(g[i].ca, ca->ca) == 0 && g[i].unanswered)
			rule_append(f.evidence, sizeof(f.evidence), " %s %llu/%llu", g[i].region,
			            (unsigned long long)g[i].unanswered,
			            (unsigned long long)g[i].queries);
	rule_append(f.evidence, sizeof(f.evidence), "; names:");
	if (!d->read) {
		d->read = 1;
		if (db_rule_validator_names(c->db, c->scope, -1, on_name, d) < 0 || d->oom)
			return -1;
	}
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].ca, ca->ca) == 0)
			rule_append(f.evidence, sizeof(f.evidence), " %s (%lld)", d->v[i].qname,
			            d->v[i].count);
	snprintf(f.recommendation, sizeof(f.recommendation), "%s", rule_advice_drops);
	rule_metric(&f, "unanswered", (double)ca->unanswered);
	rule_metric(&f, "queries", (double)ca->queries);
	rule_metric(&f, "share", share);
	rule_metric(&f, "sources", (double)ca->sources);
	return rule_emit(c, &f);
}

int rule_validator_drops(struct rule_ctx *c)
{
	struct rule_group *g = NULL;
	size_t n = 0;
	if (rule_groups_read(c, &g, &n) != 0)
		return -1;
	int rc = 0;
	struct drop_names d = {0};
	for (size_t i = 0; i < n && rc == 0;) {
		struct rule_group ca = g[i];
		size_t j = i + 1;
		for (; j < n && strcmp(g[j].ca, g[i].ca) == 0; j++)
			rule_group_add(&ca, &g[j]);
		rc = report(c, &ca, g, n, &d);
		i = j;
	}
	free(d.v);
	free(g);
	return rc;
}
