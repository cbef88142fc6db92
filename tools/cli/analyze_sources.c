/* analyze_sources.c - a run's per-source totals, read once after analyze. */
#include "analyze_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_scan.h"

/* What a CA would see as failed lookups (db_summary.h). */
static uint64_t failures_of(const struct db_rule_source *r)
{
	return r->unanswered + r->servfail + r->refused + r->tcp_rejected + r->tcp_filtered;
}

/* Restores the heap of v[0..n) below i: the root is the one that comes
 * last in cmp order. */
static void sift_down(const struct db_rule_source **v, unsigned i, unsigned n,
                      int (*cmp)(const void *, const void *))
{
	for (;;) {
		unsigned c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && cmp(&v[c + 1], &v[c]) > 0)
			c++;
		if (cmp(&v[c], &v[i]) <= 0)
			return;
		const struct db_rule_source *t = v[i];
		v[i] = v[c];
		v[c] = t;
		i = c;
	}
}

/* Most queries first, then by address text. */
static int by_queries(const void *p, const void *q)
{
	const struct db_rule_source *a = *(const struct db_rule_source *const *)p;
	const struct db_rule_source *b = *(const struct db_rule_source *const *)q;
	if (a->queries != b->queries)
		return a->queries > b->queries ? -1 : 1;
	return strcmp(a->source, b->source);
}

/* Most failures first, then by address text. */
static int by_failures(const void *p, const void *q)
{
	const struct db_rule_source *a = *(const struct db_rule_source *const *)p;
	const struct db_rule_source *b = *(const struct db_rule_source *const *)q;
	uint64_t fa = failures_of(a), fb = failures_of(b);
	if (fa != fb)
		return fa > fb ? -1 : 1;
	return strcmp(a->source, b->source);
}

/* Moves the k first of v[0..n) in cmp order to v[0..k), sorted, and
 * returns k (0 < k < n): a heap of the k best so far, whose root is the
 * worst of them, instead of sorting all n for the first ten. */
static unsigned select_first(const struct db_rule_source **v, unsigned n, unsigned k,
                             int (*cmp)(const void *, const void *))
{
	/* v[0..k) becomes a heap: a parent is never before its children */
	for (unsigned i = k / 2; i-- > 0;)
		sift_down(v, i, k, cmp);
	for (unsigned i = k; i < n; i++)
		if (cmp(&v[i], &v[0]) < 0) {
			v[0] = v[i];
			sift_down(v, 0, k, cmp);
		}
	qsort(v, k, sizeof(*v), cmp);
	return k;
}

/* Keeps the k best of t plus r, when r is one of them so far: a buffer of
 * 2k candidates, cut to the k best (select_first()) when full. */
static void top_offer(struct analyze_top *t, const struct db_rule_source *r,
                      int (*cmp)(const void *, const void *))
{
	const struct db_rule_source *pr = r, *pf = &t->floor;
	if (t->have_floor && cmp(&pr, &pf) >= 0)
		return;
	if (t->n == 2 * t->k) {
		const struct db_rule_source *v[2 * ANALYZE_SOURCES_TOP_MAX];
		for (unsigned i = 0; i < t->n; i++)
			v[i] = &t->buf[i];
		select_first(v, t->n, t->k, cmp);
		for (unsigned i = 0; i < t->k; i++)
			t->tmp[i] = *v[i];
		memcpy(t->buf, t->tmp, t->k * sizeof(*t->buf));
		t->n = t->k;
		t->floor = t->buf[t->k - 1];
		t->have_floor = true;
		if (cmp(&pr, &pf) >= 0)
			return;
	}
	t->buf[t->n++] = *r;
}

static int top_init(struct analyze_top *t, unsigned k)
{
	memset(t, 0, sizeof(*t));
	t->k = k;
	t->buf = malloc(2 * (size_t)k * sizeof(*t->buf));
	t->tmp = malloc((size_t)k * sizeof(*t->tmp));
	return t->buf != NULL && t->tmp != NULL ? 0 : -1;
}

static void top_free(struct analyze_top *t)
{
	free(t->buf);
	free(t->tmp);
	memset(t, 0, sizeof(*t));
}

/* The most (CA, region) pairs added up here; more are read from SQL. */
#define GROUPS_MAX 4096

/* Adds a validator source (r->ca set) to its (CA, region). */
static void group_add(struct analyze_sources *s, const struct db_rule_source *r)
{
	if (r->ca[0] == '\0' || s->groups_failed)
		return;
	struct db_ca_region_row *g = NULL;
	for (unsigned i = 0; i < s->ngroups && g == NULL; i++)
		if (strcmp(s->groups[i].ca, r->ca) == 0 &&
		    strcmp(s->groups[i].region, r->region) == 0)
			g = &s->groups[i];
	if (g == NULL) {
		if (s->ngroups == s->capgroups) {
			unsigned cap = s->capgroups ? s->capgroups * 2 : 16;
			struct db_ca_region_row *p =
			    cap <= GROUPS_MAX ? realloc(s->groups, cap * sizeof(*p)) : NULL;
			if (p == NULL) {
				s->groups_failed = true;
				return;
			}
			s->groups = p;
			s->capgroups = cap;
		}
		g = &s->groups[s->ngroups++];
		memset(g, 0, sizeof(*g));
		snprintf(g->ca, sizeof(g->ca), "%s", r->ca);
		snprintf(g->region, sizeof(g->region), "%s", r->region);
	}
	g->sources++;
	g->queries += r->queries;
	g->responses += r->responses;
	g->unanswered += r->unanswered;
	g->servfail += r->servfail;
	g->refused += r->refused;
	g->other_rcode += r->other_rcode; /* FORMERR and NOTIMP included, as there */
	g->tcp_sessions += r->tcp_sessions;
	g->tcp_rejected += r->tcp_rejected;
	g->tcp_filtered += r->tcp_filtered;
	g->tcp_stalled += r->tcp_stalled;
	if (r->peak_qps > g->peak_qps)
		g->peak_qps = (uint32_t)r->peak_qps;
	if (r->max_concurrent_tcp > g->max_concurrent_tcp)
		g->max_concurrent_tcp = (uint32_t)r->max_concurrent_tcp;
}

/* Most queries first, then by CA and region. */
static int group_cmp(const void *p, const void *q)
{
	const struct db_ca_region_row *a = p, *b = q;
	if (a->queries != b->queries)
		return a->queries > b->queries ? -1 : 1;
	int c = strcmp(a->ca, b->ca);
	return c != 0 ? c : strcmp(a->region, b->region);
}

static int keep(void *ctx, const struct db_rule_source *r)
{
	struct analyze_sources *s = ctx;
	s->count++;
	group_add(s, r);
	source_spill_add_or_drop(&s->spill, r); /* dropped: the rules read for themselves */
	/* the totals held by the database are walked again by the rules, and
	 * more sources than memory holds are read again: only the top lists
	 * are kept */
	if (s->tops && (s->scan->from_fold || s->streamed)) {
		top_offer(&s->by_queries, r, by_queries);
		if (failures_of(r) > 0)
			top_offer(&s->by_failures, r, by_failures);
		return 0;
	}
	if (s->too_many)
		return 0; /* still counted */
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 1024;
		struct db_rule_source *p = realloc(s->src, cap * sizeof(*p));
		if (p == NULL) {
			free(s->src);
			s->src = NULL;
			s->n = s->cap = 0;
			s->too_many = true;
			return 0;
		}
		s->src = p;
		s->cap = cap;
	}
	s->src[s->n++] = *r;
	return 0;
}

/* Zeroes s and sets scan up to read into it, with top lists of top sources. */
static void read_begin(struct analyze_sources *s, unsigned top, struct db_source_scan *scan)
{
	memset(s, 0, sizeof(*s));
	*scan = (struct db_source_scan){.source = keep,
	                                .source_ctx = s,
	                                .max_sources = ANALYZE_SOURCES_KEPT,
	                                .memory_only = true};
	s->scan = scan;
	/* without memory for the top lists, every source is kept */
	s->tops = top > 0 && top <= ANALYZE_SOURCES_TOP_MAX && top_init(&s->by_queries, top) == 0 &&
	          top_init(&s->by_failures, top) == 0;
	if (!s->tops) {
		top_free(&s->by_queries);
		top_free(&s->by_failures);
	}
}

/* Ends the scan that returned rc. */
static void read_end(struct analyze_sources *s, int rc, const struct db_source_scan *scan)
{
	s->scan = NULL;
	s->groups_ok = rc == 0 && !s->groups_failed; /* every source went by */
	if (s->groups_ok && s->ngroups > 1)
		qsort(s->groups, s->ngroups, sizeof(*s->groups), group_cmp);
	if (rc == 0 && !scan->from_fold && !s->streamed) {
		top_free(&s->by_queries); /* read back: every source was kept */
		top_free(&s->by_failures);
		s->tops = false;
	}
}

int analyze_sources_read(struct db *db, int64_t run_id, unsigned top, struct analyze_sources *s)
{
	struct rules_scope scope = {.run_id = run_id};
	struct db_source_scan scan;
	read_begin(s, top, &scan);
	int rc = db_source_scan(db, &scope, &scan);
	read_end(s, rc, &scan);
	if (rc == 1 && s->tops) {
		/* more than memory holds: the count, the groups and the top lists
		 * from one pass over them one at a time (the rules read them
		 * again for themselves) */
		analyze_sources_free(s);
		read_begin(s, top, &scan);
		s->too_many = s->streamed = true;
		s->spill = source_spill_new();
		scan.memory_only = false;
		rc = db_source_scan(db, &scope, &scan);
		read_end(s, rc, &scan);
	} else if (rc == 1) {
		/* and no top lists: each reader goes to SQL, as it would alone */
		analyze_sources_free(s);
		s->too_many = true;
		s->count = db_source_count(db, run_id);
		rc = s->count < 0 ? -1 : 0;
	}
	if (rc != 0)
		analyze_sources_free(s);
	return rc;
}

int analyze_sources_read_early(struct db *db, int64_t run_id, const struct mpic *m, unsigned top,
                               struct analyze_sources *s)
{
	struct db_source_scan scan;
	read_begin(s, top, &scan);
	int rc = db_source_scan_early(db, run_id, m, &scan);
	read_end(s, rc, &scan);
	if (rc != 0)
		analyze_sources_free(s);
	return rc;
}

void analyze_sources_free(struct analyze_sources *s)
{
	free(s->src);
	s->src = NULL;
	s->n = s->cap = 0;
	top_free(&s->by_queries);
	top_free(&s->by_failures);
	s->tops = false;
	free(s->groups);
	s->groups = NULL;
	s->ngroups = s->capgroups = 0;
	s->groups_ok = false;
	source_spill_free(s->spill);
	s->spill = NULL;
}

int analyze_sources_ca_regions(struct db *db, int64_t run_id, const struct analyze_sources *s,
                               int (*fn)(void *ctx, const struct db_ca_region_row *r), void *ctx)
{
	if (!s->groups_ok)
		return db_ca_region_read(db, run_id, fn, ctx);
	int n = 0;
	for (unsigned i = 0; i < s->ngroups; i++) {
		n++;
		if (fn(ctx, &s->groups[i]) != 0)
			break;
	}
	return n;
}

static void to_total(const struct db_rule_source *r, struct db_source_total *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->address, sizeof(t->address), "%s", r->source);
	t->queries = r->queries;
	t->queries_udp = r->queries_udp;
	t->queries_tcp = r->queries_tcp;
	t->responses = r->responses;
	t->rcode[RCODE_SLOT_NOERROR] = r->noerror;
	t->rcode[RCODE_SLOT_FORMERR] = r->formerr;
	t->rcode[RCODE_SLOT_SERVFAIL] = r->servfail;
	t->rcode[RCODE_SLOT_NXDOMAIN] = r->nxdomain;
	t->rcode[RCODE_SLOT_NOTIMP] = r->notimp;
	t->rcode[RCODE_SLOT_REFUSED] = r->refused;
	t->rcode[RCODE_SLOT_OTHER] = r->other_rcode - r->formerr - r->notimp;
	t->truncated = r->truncated;
	t->unanswered = r->unanswered;
	t->retransmits = r->retransmits;
	t->peak_qps = (uint32_t)r->peak_qps;
	t->max_concurrent_tcp = (uint32_t)r->max_concurrent_tcp;
	t->tcp_sessions = r->tcp_sessions;
	t->tcp_rejected = r->tcp_rejected;
	t->tcp_filtered = r->tcp_filtered;
	t->failures = failures_of(r);
}

int analyze_sources_top(struct db *db, int64_t run_id, const struct analyze_sources *s,
                        enum db_top_order order, unsigned limit, db_source_total_fn fn, void *ctx)
{
	const struct analyze_top *kept =
	    order == DB_TOP_BY_QUERIES ? &s->by_queries : &s->by_failures;
	if ((s->too_many && !s->streamed) || (s->tops && (limit == 0 || limit > kept->k)))
		return db_top_sources(db, run_id, order, limit, fn, ctx);
	const struct db_rule_source *all = s->tops ? kept->buf : s->src;
	unsigned nall = s->tops ? kept->n : s->n;
	const struct db_rule_source **v = malloc((nall ? nall : 1) * sizeof(*v));
	if (v == NULL)
		return db_top_sources(db, run_id, order, limit, fn, ctx);
	int (*cmp)(const void *, const void *) =
	    order == DB_TOP_BY_QUERIES ? by_queries : by_failures;
	unsigned n = 0;
	for (unsigned i = 0; i < nall; i++)
		if (order == DB_TOP_BY_QUERIES || failures_of(&all[i]) > 0)
			v[n++] = &all[i];
	if (limit != 0 && n > limit) {
		n = select_first(v, n, limit, cmp);
	} else if (n > 1) {
		qsort(v, n, sizeof(*v), cmp);
	}
	int k = 0;
	for (unsigned i = 0; i < n; i++) {
		struct db_source_total t;
		to_total(v[i], &t);
		k++;
		if (fn(ctx, &t) != 0)
			break;
	}
	free(v);
	return k;
}
