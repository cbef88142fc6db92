/*
 * rule_validator_answers.c - the common test of REFUSED_TO_VALIDATORS and
 * SERVFAIL_TO_VALIDATORS (each defined in its own file): a CA's validators
 * get a given error rcode.
 *
 * Data: source_stats of the validator sources summed per CA and region
 * (counts), and the stored transactions with that rcode (example names).
 * Test, per CA: fires when the CA's validators got >= validator_answer_min
 * (3) such answers; critical when they are >= validator_answer_critical_share
 * (0.05) of the CA's queries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

#define EXAMPLE_NAMES 3

struct names_acc {
	struct db_rule_row *r;
	size_t n, cap;
	int oom;
};

static int on_name(void *arg, const struct db_rule_row *r)
{
	struct names_acc *a = arg;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct db_rule_row *p = realloc(a->r, cap * sizeof(*p));
		if (p == NULL) {
			a->oom = 1;
			return 1;
		}
		a->r = p;
		a->cap = cap;
	}
	a->r[a->n++] = *r;
	return 0;
}

int rule_validator_rcode(struct rule_ctx *c, const char *id, int rcode, const char *rcode_name,
                         const char *advice)
{
	struct rule_group *g = NULL;
	size_t n = 0;
	struct names_acc names = {0};
	if (rule_groups_read(c, &g, &n) != 0)
		return -1;
	if (db_rule_validator_names(c->db, c->scope, rcode, on_name, &names) < 0 || names.oom) {
		free(g);
		free(names.r);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0;) {
		struct rule_group ca = g[i];
		size_t j = i + 1;
		for (; j < n && strcmp(g[j].ca, g[i].ca) == 0; j++)
			rule_group_add(&ca, &g[j]);
		size_t first = i;
		i = j;
		uint64_t count = rcode == 5 ? ca.refused : ca.servfail;
		double share = rule_share(count, ca.queries);
		enum rule_severity sev;
		if (!rule_judge_rcode(c->cfg, ca.ca, count, ca.queries, &sev))
			continue;
		struct finding f;
		rule_finding_init(&f, id, sev, "ca", ca.ca);
		snprintf(f.evidence, sizeof(f.evidence),
		         "%llu of %llu queries from %s validators (%llu source(s)) were answered "
		         "%s (%.1f%%); by region:",
		         (unsigned long long)count, (unsigned long long)ca.queries, ca.ca,
		         (unsigned long long)ca.sources, rcode_name, 100 * share);
		for (size_t k = first; k < j; k++) {
			uint64_t rk = rcode == 5 ? g[k].refused : g[k].servfail;
			if (rk)
				rule_append(f.evidence, sizeof(f.evidence), " %s %llu", g[k].region,
				            (unsigned long long)rk);
		}
		rule_append(f.evidence, sizeof(f.evidence), "; names:");
		unsigned shown = 0;
		uint64_t nfirst = 0, nlast = 0;
		for (size_t k = 0; k < names.n; k++) {
			const struct db_rule_row *r = &names.r[k];
			if (strcmp(r->t[0], ca.ca) != 0)
				continue;
			if (!nfirst || (uint64_t)r->n[1] < nfirst)
				nfirst = (uint64_t)r->n[1];
			if ((uint64_t)r->n[2] > nlast)
				nlast = (uint64_t)r->n[2];
			if (shown++ < EXAMPLE_NAMES)
				rule_append(f.evidence, sizeof(f.evidence), " %s (%lld)", r->t[1],
				            (long long)r->n[0]);
		}
		if (shown == 0)
			rule_append(f.evidence, sizeof(f.evidence),
			            " (no validation-shaped query)");
		else if (shown > EXAMPLE_NAMES)
			rule_append(f.evidence, sizeof(f.evidence), " and %u more",
			            shown - EXAMPLE_NAMES);
		f.first_seen_ns = nfirst ? nfirst : ca.first_ns;
		f.last_seen_ns = nlast ? nlast : ca.last_ns;
		snprintf(f.recommendation, sizeof(f.recommendation), "%s", advice);
		rule_metric(&f, rcode == 5 ? "refused" : "servfail", (double)count);
		rule_metric(&f, "queries", (double)ca.queries);
		rule_metric(&f, "share", share);
		rule_metric(&f, "names", (double)shown);
		rc = rule_emit(c, &f);
	}
	free(g);
	free(names.r);
	return rc;
}
