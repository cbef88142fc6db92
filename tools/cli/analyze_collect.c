/* analyze_collect.c - what the analyze summaries show, read back from the database. */
#include <stdlib.h>
#include <string.h>

#include "analyze_report.h"

/* Attempts listed in the summary: the first ones that were not corroborated. */
#define ANALYZE_PROBLEM_ATTEMPTS_MAX 50

/* A growable array of fixed-size items. */
struct grow_list {
	void *items;
	size_t size;
	unsigned n, cap;
};

static int push(struct grow_list *l, const void *item)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 16;
		void *grown = realloc(l->items, (size_t)cap * l->size);
		if (grown == NULL)
			return -1;
		l->items = grown;
		l->cap = cap;
	}
	memcpy((char *)l->items + (size_t)l->n * l->size, item, l->size);
	l->n++;
	return 0;
}

static int push_source(void *ctx, const struct db_source_total *t)
{
	return push(ctx, t);
}

static int push_validator(void *ctx, const struct db_validator_row *v)
{
	return push(ctx, v);
}

static int push_ca_region(void *ctx, const struct db_ca_region_row *c)
{
	return push(ctx, c);
}

static int push_dnssec(void *ctx, const struct db_dnssec_row *d)
{
	return push(ctx, d);
}

static int push_caa(void *ctx, const struct db_caa_row *c)
{
	return push(ctx, c);
}

static int push_edns(void *ctx, const struct db_edns_row *e)
{
	return push(ctx, e);
}

static int push_attempt(void *ctx, const struct db_attempt_row *a)
{
	return push(ctx, a);
}

int analyze_collect(struct db *db, int64_t run_id, unsigned top,
                    const struct analyze_sources *sources, struct analyze_report *r)
{
	struct grow_list q = {.size = sizeof(struct db_source_total)};
	struct grow_list f = {.size = sizeof(struct db_source_total)};
	struct grow_list v = {.size = sizeof(struct db_validator_row)};
	struct grow_list c = {.size = sizeof(struct db_ca_region_row)};
	struct grow_list a = {.size = sizeof(struct db_attempt_row)};
	struct grow_list ds = {.size = sizeof(struct db_dnssec_row)};
	struct grow_list ca = {.size = sizeof(struct db_caa_row)};
	struct grow_list ed = {.size = sizeof(struct db_edns_row)};
	int rc = 0;
	if (analyze_sources_top(db, run_id, sources, DB_TOP_BY_QUERIES, top, push_source, &q) < 0 ||
	    analyze_sources_top(db, run_id, sources, DB_TOP_BY_FAILURES, top, push_source, &f) <
	        0 ||
	    db_validators_read(db, run_id, "medium", 0, push_validator, &v) < 0 ||
	    analyze_sources_ca_regions(db, run_id, sources, push_ca_region, &c) < 0 ||
	    db_attempt_totals(db, run_id, &r->attempts) < 0 ||
	    db_attempts_read(db, run_id, true, ANALYZE_PROBLEM_ATTEMPTS_MAX, push_attempt, &a) <
	        0 ||
	    db_dnssec_read(db, run_id, push_dnssec, &ds) < 0 ||
	    db_caa_read(db, run_id, push_caa, &ca) < 0 ||
	    db_edns_read(db, run_id, push_edns, &ed) < 0)
		rc = -1;
	r->source_count = rc == 0 ? sources->count : -1;
	r->top_queries = q.items;
	r->ntop_queries = q.n;
	r->top_failures = f.items;
	r->ntop_failures = f.n;
	r->validators = v.items;
	r->nvalidators = v.n;
	r->ca_regions = c.items;
	r->nca_regions = c.n;
	r->problem_attempts = a.items;
	r->nproblem_attempts = a.n;
	r->dnssec = ds.items;
	r->ndnssec = ds.n;
	r->caa = ca.items;
	r->ncaa = ca.n;
	r->edns = ed.items;
	r->nedns = ed.n;
	return rc == 0 && r->source_count >= 0 ? 0 : -1;
}

void analyze_collect_free(struct analyze_report *r)
{
	free(r->top_queries);
	free(r->top_failures);
	free(r->validators);
	free(r->ca_regions);
	free(r->problem_attempts);
	free(r->dnssec);
	free(r->caa);
	free(r->edns);
	r->dnssec = NULL;
	r->caa = NULL;
	r->edns = NULL;
	r->top_queries = r->top_failures = NULL;
	r->validators = NULL;
	r->ca_regions = NULL;
	r->problem_attempts = NULL;
}
