/* report_data.c - the report's numbers read from the database (report_data.h). */
#include "report_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rule_judge.h"
#include "rules.h"
#include "source_scan.h"
#include "source_spill.h"

#define NS_PER_S   1000000000ull
#define NS_PER_DAY (86400ull * NS_PER_S)

/* Makes room for one more element in a growing array. Returns 0 or -1. */
static int grow(void **arr, unsigned *cap, unsigned n, size_t size)
{
	if (n < *cap)
		return 0;
	unsigned ncap = *cap ? *cap * 2 : 16;
	void *p = realloc(*arr, (size_t)ncap * size);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int add_group(void *ctx, const struct report_group *g)
{
	struct report_groups *gs = ctx;
	if (grow((void **)&gs->g, &gs->cap, gs->n, sizeof(*gs->g)) != 0)
		return -1;
	gs->g[gs->n++] = *g;
	return 0;
}

static int add_point(void *ctx, const struct db_report_point *p)
{
	struct report_series *s = ctx;
	if (grow((void **)&s->p, &s->cap, s->n, sizeof(*s->p)) != 0)
		return -1;
	s->p[s->n++] = *p;
	return 0;
}

static int add_row(void *ctx, const struct db_rule_row *r)
{
	struct report_rows *rs = ctx;
	if (grow((void **)&rs->r, &rs->cap, rs->n, sizeof(*rs->r)) != 0)
		return -1;
	rs->r[rs->n++] = *r;
	return 0;
}

/* The callbacks above stop a query by returning -1 only when memory ran
 * out: a query that delivered fewer rows than it found means that. */
static int checked(int got, unsigned kept, struct db *db, char *err, size_t errlen)
{
	if (got < 0) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return -1;
	}
	if ((unsigned)got != kept) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The per-source totals of a period folded into its tables, and kept for
 * the rules: up to REPORT_SOURCES_KEPT of them in memory, beyond that
 * (too_many) in a temporary file (NULL: it could not be written, the
 * rules read them themselves). */
struct period_fold {
	struct report_period *p;
	struct db_rule_source *src;
	unsigned n, cap;
	int too_many, oom;
	struct source_spill *spill;
};

/* Moves the sources kept in memory to a new spill, where the rest will go;
 * without one, the rules read them themselves. */
static void start_spill(struct period_fold *f)
{
	f->too_many = 1;
	f->spill = source_spill_new();
	for (unsigned i = 0; i < f->n; i++)
		source_spill_add_or_drop(&f->spill, &f->src[i]);
	free(f->src);
	f->src = NULL;
	f->n = f->cap = 0;
}

/* Adds one source's totals to a group row. */
static void group_add(struct report_group *g, const struct db_rule_source *s)
{
	g->sources++;
	g->queries += s->queries;
	g->responses += s->responses;
	g->noerror += s->noerror;
	g->nxdomain += s->nxdomain;
	g->servfail += s->servfail;
	g->refused += s->refused;
	g->other_rcode += s->other_rcode;
	g->truncated += s->truncated;
	g->unanswered += s->unanswered;
	g->tcp_sessions += s->tcp_sessions;
	g->tcp_rejected += s->tcp_rejected;
	g->tcp_filtered += s->tcp_filtered;
	g->tcp_stalled += s->tcp_stalled;
	if (s->peak_qps > g->peak_qps)
		g->peak_qps = s->peak_qps;
	if (s->max_concurrent_tcp > g->max_concurrent_tcp)
		g->max_concurrent_tcp = s->max_concurrent_tcp;
}

/* Adds s to the group of gs named key (a new one when there is none). */
static int group_fold(struct report_groups *gs, const char *key, const struct db_rule_source *s)
{
	unsigned i = 0;
	while (i < gs->n && strcmp(gs->g[i].key, key) != 0)
		i++;
	if (i == gs->n) {
		struct report_group g;
		memset(&g, 0, sizeof(g));
		snprintf(g.key, sizeof(g.key), "%s", key);
		if (add_group(gs, &g) != 0)
			return -1;
	}
	group_add(&gs->g[i], s);
	return 0;
}

static int fold_source(void *ctx, const struct db_rule_source *s)
{
	struct period_fold *f = ctx;
	group_add(&f->p->total, s);
	/* validators (medium confidence or above) have a CA and a region */
	if (s->ca[0] != '\0' && (group_fold(&f->p->cas, s->ca, s) != 0 ||
	                         group_fold(&f->p->regions, s->region, s) != 0)) {
		f->oom = 1;
		return 1;
	}
	if (!f->too_many && (f->n == REPORT_SOURCES_KEPT ||
	                     grow((void **)&f->src, &f->cap, f->n, sizeof(*f->src)) != 0))
		start_spill(f);
	if (!f->too_many)
		f->src[f->n++] = *s;
	else
		source_spill_add_or_drop(&f->spill, s);
	return 0;
}

/* Most queries first, then by name. */
static int group_cmp(const void *x, const void *y)
{
	const struct report_group *a = x, *b = y;
	if (a->queries != b->queries)
		return a->queries > b->queries ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Reads the period's text and coverage (what series_step() needs). */
static int read_coverage(struct db *db, struct report_period *p, char *err, size_t errlen)
{
	char a[32], b[32];
	findings_format_time(p->scope.from_ns, a, sizeof(a));
	findings_format_time(p->scope.to_ns, b, sizeof(b));
	snprintf(p->text, sizeof(p->text), "%s .. %s", a, b);
	if (db_report_coverage(db, &p->scope, &p->cov) != 0) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return -1;
	}
	return 0;
}

/* Reads the period's sources, folds them into its tables and runs the
 * rules over them; with series, the per-CA time series of step_ns steps
 * comes from the same pass over the bucket rows. */
static int collect_period(struct db *db, const struct rules_config *cfg, struct report_period *p,
                          struct report_series *series, uint64_t step_ns, char *err, size_t errlen)
{
	/* one read of the per-source totals serves the tables and the rules */
	struct period_fold f = {.p = p};
	struct db_source_scan scan = {.source = fold_source, .source_ctx = &f};
	if (series != NULL) {
		scan.point = add_point;
		scan.point_ctx = series;
		scan.step_ns = step_ns;
	}
	int rc = -1;
	if (db_source_scan(db, &p->scope, &scan) != 0 || f.oom) {
		snprintf(err, errlen, "%s", f.oom ? "out of memory" : db_errmsg(db));
		goto cleanup;
	}
	if (series != NULL && checked(scan.npoints, series->n, db, err, errlen) != 0)
		goto cleanup;
	if (p->cas.n > 1)
		qsort(p->cas.g, p->cas.n, sizeof(*p->cas.g), group_cmp);
	if (p->regions.n > 1)
		qsort(p->regions.g, p->regions.n, sizeof(*p->regions.g), group_cmp);
	if (rules_run_with_early(db, &p->scope, cfg, f.too_many ? NULL : f.src, f.n, f.spill, NULL,
	                         findings_collect, &p->findings) < 0 ||
	    p->findings.oom) {
		snprintf(err, errlen, "%s", p->findings.oom ? "out of memory" : db_errmsg(db));
		goto cleanup;
	}
	rc = 0;
cleanup:
	free(f.src);
	source_spill_free(f.spill);
	return rc;
}

/* The span the data of the period covers (the period itself when the
 * runs reach past both ends): a --since 7d over one hour of data charts the
 * hour. */
static void data_span(const struct report *r, uint64_t *from, uint64_t *to)
{
	*from = r->cur.scope.from_ns;
	*to = r->cur.scope.to_ns;
	if (r->cur.cov.first_packet_ns > *from && r->cur.cov.first_packet_ns < *to)
		*from = r->cur.cov.first_packet_ns;
	if (r->cur.cov.last_packet_ns > *from && r->cur.cov.last_packet_ns < *to)
		*to = r->cur.cov.last_packet_ns;
}

/* The step of the time series: the data span over REPORT_CHART_POINTS,
 * rounded up to whole buckets (a step shorter than a bucket leaves gaps). */
static uint64_t series_step(const struct report *r)
{
	uint64_t bucket = (r->cur.cov.bucket_len_s ? r->cur.cov.bucket_len_s : 60) * NS_PER_S;
	uint64_t from, to;
	data_span(r, &from, &to);
	uint64_t step = (to - from) / REPORT_CHART_POINTS;
	return step <= bucket ? bucket : (step + bucket - 1) / bucket * bucket;
}

/* The step of per-second series: whole seconds, about
 * REPORT_SECOND_POINTS of them over the data span. */
static uint64_t seconds_step(const struct report *r)
{
	uint64_t from, to;
	data_span(r, &from, &to);
	uint64_t step = (to - from) / REPORT_SECOND_POINTS / NS_PER_S * NS_PER_S;
	return step < NS_PER_S ? NS_PER_S : step;
}

static double metric(const struct finding *f, const char *key)
{
	for (unsigned k = 0; k < f->nmetrics; k++)
		if (strcmp(f->metrics[k].key, key) == 0)
			return f->metrics[k].value;
	return 0;
}

static int collect_charts(struct db *db, struct report *r, char *err, size_t errlen)
{
	const struct collected *c = &r->cur.findings;
	for (unsigned i = 0; i < c->n && r->ncharts < REPORT_CAP_CHARTS; i++) {
		const struct finding *f = &c->f[i];
		int session = strcmp(f->rule, "SESSION_CAP") == 0;
		if ((!session && strcmp(f->rule, "RATE_LIMITED") != 0) ||
		    strcmp(f->subject_kind, "source") != 0)
			continue;
		struct report_cap_chart *ch = &r->charts[r->ncharts++];
		snprintf(ch->rule, sizeof(ch->rule), "%s", f->rule);
		snprintf(ch->source, sizeof(ch->source), "%s", f->subject);
		ch->cap = metric(f, "inferred_cap");
		/* sessions per bucket; queries per busiest second (1-s steps when short) */
		uint64_t step = session ? r->step_ns : seconds_step(r);
		int n = session ? db_report_source_series(db, &r->cur.scope, ch->source, step,
		                                          add_point, &ch->s)
		                : db_report_source_seconds(db, &r->cur.scope, ch->source, step,
		                                           add_point, &ch->s);
		if (checked(n, ch->s.n, db, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* Folds the attempt rows (per CA, perspectives, usable) into one summary
 * per CA. */
static int summarize_attempts(struct report *r)
{
	for (unsigned i = 0; i < r->attempts.n; i++) {
		const struct db_rule_row *row = &r->attempts.r[i];
		struct report_attempt_ca *a = r->nacas ? &r->acas[r->nacas - 1] : NULL;
		if (a == NULL || strcmp(a->ca, row->t[0]) != 0) {
			void *p = realloc(r->acas, (r->nacas + 1) * sizeof(*r->acas));
			if (p == NULL)
				return -1;
			r->acas = p;
			a = &r->acas[r->nacas++];
			memset(a, 0, sizeof(*a));
			snprintf(a->ca, sizeof(a->ca), "%.63s", row->t[0]);
		}
		a->attempts += (uint64_t)row->n[2];
		a->corroborated += (uint64_t)row->n[3];
		a->at_risk += (uint64_t)row->n[4];
		a->failed += (uint64_t)row->n[5];
		if (row->n[0] == row->n[1]) {
			a->all_usable += (uint64_t)row->n[2];
			continue;
		}
		size_t used = strlen(a->usable);
		if (used + 40 < sizeof(a->usable))
			snprintf(a->usable + used, sizeof(a->usable) - used, "%s%lld of %lld: %lld",
			         used ? ", " : "", (long long)row->n[1], (long long)row->n[0],
			         (long long)row->n[2]);
	}
	return 0;
}

/* Keeps a depth row while the list has room (REPORT_DEPTH_ROWS, the
 * limit the query was given). */
struct depth_keep {
	void *arr;
	size_t size;
	unsigned *n;
};

static int keep_row(struct depth_keep *k, const void *row)
{
	if (*k->n >= REPORT_DEPTH_ROWS)
		return 1;
	memcpy((char *)k->arr + (size_t)*k->n * k->size, row, k->size);
	(*k->n)++;
	return 0;
}

static int keep_dnssec(void *ctx, const struct db_report_dnssec *row)
{
	return keep_row(ctx, row);
}

static int keep_caa(void *ctx, const struct db_caa_row *row)
{
	return keep_row(ctx, row);
}

static int keep_edns(void *ctx, const struct db_edns_row *row)
{
	return keep_row(ctx, row);
}

static int collect_depth(struct db *db, const struct rules_scope *scope,
                         const struct rules_config *cfg, struct report_depth *d, char *err,
                         size_t errlen)
{
	d->expiring_days = rules_config_get(cfg, RC_DNSSEC_EXPIRING_DAYS);
	d->dnssec = calloc(REPORT_DEPTH_ROWS, sizeof(*d->dnssec));
	d->caa = calloc(REPORT_DEPTH_ROWS, sizeof(*d->caa));
	d->edns = calloc(REPORT_DEPTH_ROWS, sizeof(*d->edns));
	if (d->dnssec == NULL || d->caa == NULL || d->edns == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct depth_keep k = {d->dnssec, sizeof(*d->dnssec), &d->ndnssec};
	int n = db_report_dnssec(db, scope, (uint64_t)(d->expiring_days * (double)NS_PER_DAY),
	                         REPORT_DEPTH_ROWS, keep_dnssec, &k, &d->dnssec_tally);
	if (checked(n, d->ndnssec, db, err, errlen) != 0)
		return -1;
	k = (struct depth_keep){d->caa, sizeof(*d->caa), &d->ncaa};
	n = db_report_caa(db, scope, REPORT_DEPTH_ROWS, keep_caa, &k, &d->caa_tally);
	if (checked(n, d->ncaa, db, err, errlen) != 0)
		return -1;
	k = (struct depth_keep){d->edns, sizeof(*d->edns), &d->nedns};
	n = db_report_edns(db, scope, REPORT_DEPTH_ROWS, keep_edns, &k, &d->edns_tally);
	return checked(n, d->nedns, db, err, errlen);
}

static void step(struct progress *prog, const char *what)
{
	if (prog != NULL)
		progress_step(prog, what);
}

int report_collect(struct db *db, const struct rules_scope *scope, const struct rules_config *cfg,
                   struct progress *prog, struct report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	r->generated_ns = (uint64_t)now.tv_sec * NS_PER_S + (uint64_t)now.tv_nsec;
	r->cur.scope = *scope;
	uint64_t len = scope->to_ns - scope->from_ns;
	r->prev.scope.to_ns = scope->from_ns;
	r->prev.scope.from_ns = scope->from_ns > len ? scope->from_ns - len : 0;
	step(prog, "report: reading the period and running the rules");
	if (read_coverage(db, &r->cur, err, errlen) != 0)
		return -1;
	r->step_ns = series_step(r);
	if (collect_period(db, cfg, &r->cur, &r->ca_series, r->step_ns, err, errlen) != 0)
		return -1;
	step(prog, "report: the same over the previous period");
	if (r->prev.scope.to_ns > r->prev.scope.from_ns &&
	    (read_coverage(db, &r->prev, err, errlen) != 0 ||
	     collect_period(db, cfg, &r->prev, NULL, 0, err, errlen) != 0))
		return -1;
	step(prog, "report: attempts and failing names");
	int n = db_report_malformed(db, scope, add_row, &r->malformed);
	if (checked(n, r->malformed.n, db, err, errlen) != 0)
		return -1;
	n = db_report_attempts(db, scope, add_row, &r->attempts);
	if (checked(n, r->attempts.n, db, err, errlen) != 0)
		return -1;
	if (summarize_attempts(r) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = db_report_failing_names(db, scope, REPORT_TOP_NAMES, add_row, &r->names);
	if (checked(n, r->names.n, db, err, errlen) != 0)
		return -1;
	step(prog, "report: DNSSEC, CAA and EDNS");
	if (collect_depth(db, scope, cfg, &r->depth, err, errlen) != 0)
		return -1;
	return collect_charts(db, r, err, errlen);
}

static void period_free(struct report_period *p)
{
	findings_free(&p->findings);
	free(p->cas.g);
	free(p->regions.g);
}

void report_free(struct report *r)
{
	period_free(&r->cur);
	period_free(&r->prev);
	free(r->malformed.r);
	free(r->attempts.r);
	free(r->names.r);
	free(r->ca_series.p);
	free(r->acas);
	for (unsigned i = 0; i < r->ncharts; i++)
		free(r->charts[i].s.p);
	free(r->depth.dnssec);
	free(r->depth.caa);
	free(r->depth.edns);
	memset(r, 0, sizeof(*r));
}

int report_is_empty(const struct report *r)
{
	return r->cur.total.queries == 0 && r->cur.total.sources == 0 && r->cur.findings.n == 0;
}

uint64_t report_tcp_failed(const struct report_group *g)
{
	return rule_tcp_failed(g->tcp_rejected, g->tcp_filtered, g->tcp_stalled);
}

uint64_t report_good(const struct report_group *g)
{
	return g->noerror + g->nxdomain;
}

double report_rate(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0;
}

const char *report_change_name(enum report_change c)
{
	static const char *const names[] = {"same", "better", "worse", "new", "resolved", "n/a"};
	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

const struct report_group *report_group_find(const struct report_groups *gs, const char *key)
{
	for (unsigned i = 0; i < gs->n; i++)
		if (strcmp(gs->g[i].key, key) == 0)
			return &gs->g[i];
	return NULL;
}

enum report_change report_group_change(const struct report_group *g,
                                       const struct report_groups *prev)
{
	if (prev->n == 0)
		return REPORT_NO_DATA;
	const struct report_group *p = report_group_find(prev, g->key);
	if (p == NULL || p->queries == 0)
		return REPORT_NEW;
	double now = report_rate(report_good(g), g->queries);
	double before = report_rate(report_good(p), p->queries);
	if (now > before + REPORT_CHANGE_EPS)
		return REPORT_BETTER;
	if (now < before - REPORT_CHANGE_EPS)
		return REPORT_WORSE;
	return REPORT_SAME;
}

static const struct finding *same_finding(const struct collected *c, const struct finding *f)
{
	for (unsigned i = 0; i < c->n; i++)
		if (strcmp(c->f[i].rule, f->rule) == 0 && strcmp(c->f[i].subject, f->subject) == 0)
			return &c->f[i];
	return NULL;
}

enum report_change report_finding_change(const struct report *r, unsigned i)
{
	const struct finding *f = &r->cur.findings.f[i];
	if (r->prev.total.queries == 0)
		return REPORT_NO_DATA;
	const struct finding *p = same_finding(&r->prev.findings, f);
	if (p == NULL)
		return REPORT_NEW;
	if (f->severity > p->severity)
		return REPORT_WORSE;
	return f->severity < p->severity ? REPORT_BETTER : REPORT_SAME;
}

int report_finding_resolved(const struct report *r, unsigned i)
{
	return same_finding(&r->cur.findings, &r->prev.findings.f[i]) == NULL;
}

unsigned report_finding_rank(const struct report *r, unsigned i)
{
	unsigned rank = 0;
	for (unsigned k = 0; k < i; k++)
		rank += strcmp(r->cur.findings.f[k].rule, r->cur.findings.f[i].rule) == 0;
	return rank;
}

unsigned report_finding_more(const struct report *r, unsigned i, char *buf, size_t len)
{
	const struct collected *c = &r->cur.findings;
	if (len > 0)
		buf[0] = '\0';
	if (report_finding_rank(r, i) != REPORT_FINDINGS_PER_RULE)
		return 0;
	unsigned n = 0;
	size_t used = 0;
	for (unsigned k = i; k < c->n; k++) {
		if (strcmp(c->f[k].rule, c->f[i].rule) != 0)
			continue;
		if (n < REPORT_MORE_SUBJECTS && used < len) {
			int w = snprintf(buf + used, len - used, "%s%s", n ? ", " : "",
			                 c->f[k].subject);
			used += w > 0 ? (size_t)w : 0;
		}
		n++;
	}
	if (n > REPORT_MORE_SUBJECTS && used < len)
		snprintf(buf + used, len - used, " and %u more", n - REPORT_MORE_SUBJECTS);
	return n;
}

void report_findings_each(const struct report *r,
                          void (*fn)(void *ctx, const struct report_finding_item *it), void *ctx)
{
	const struct collected *c = &r->cur.findings;
	char more[REPORT_MORE_SUBJECTS * FINDING_SUBJECT_MAX];
	for (int sev = RULE_CRITICAL; sev >= RULE_INFO; sev--)
		for (unsigned i = 0; i < c->n; i++) {
			if ((int)c->f[i].severity != sev)
				continue;
			struct report_finding_item it = {&c->f[i], report_finding_change(r, i), 0,
			                                 more};
			it.more = report_finding_more(r, i, more, sizeof(more));
			if (it.more > 0 || report_finding_rank(r, i) < REPORT_FINDINGS_PER_RULE)
				fn(ctx, &it);
		}
	for (unsigned i = 0; i < r->prev.findings.n; i++)
		if (report_finding_resolved(r, i)) {
			struct report_finding_item it = {&r->prev.findings.f[i], REPORT_RESOLVED, 0,
			                                 ""};
			fn(ctx, &it);
		}
}

void report_headline(const struct report *r, struct report_headline *h)
{
	const struct report_group *now = &r->cur.total, *before = &r->prev.total;
	report_format_count(now->queries, h->queries, sizeof(h->queries));
	report_format_count(now->sources, h->sources, sizeof(h->sources));
	report_format_pct(report_good(now), now->queries, h->answered, sizeof(h->answered));
	report_format_count(before->queries, h->prev_queries, sizeof(h->prev_queries));
	report_format_pct(report_good(before), before->queries, h->prev_answered,
	                  sizeof(h->prev_answered));
	h->critical = report_severity_count(r, RULE_CRITICAL);
	h->warning = report_severity_count(r, RULE_WARNING);
	h->info = report_severity_count(r, RULE_INFO);
}

unsigned report_severity_count(const struct report *r, enum rule_severity s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->cur.findings.n; i++)
		n += r->cur.findings.f[i].severity == s;
	return n;
}

void report_format_count(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	size_t o = 0;
	for (int i = 0; i < nd && o + 1 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0 && o + 2 < len)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	if (len > 0)
		buf[o < len ? o : len - 1] = '\0';
}

void report_format_pct(uint64_t part, uint64_t whole, char *buf, size_t len)
{
	if (whole == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f%%", 100.0 * (double)part / (double)whole);
}

const char *report_group_header(enum report_group_col col)
{
	static const char *const h[RG_COLS] = {
	    [RG_NAME] = "Name",
	    [RG_SOURCES] = "Sources",
	    [RG_QUERIES] = "Queries",
	    [RG_SUCCESS] = "Success",
	    [RG_UNANSWERED] = "Unanswered",
	    [RG_REFUSED] = "REFUSED",
	    [RG_SERVFAIL] = "SERVFAIL",
	    [RG_TCP_REJECTED] = "TCP failed",
	    [RG_PEAK_QPS] = "Peak QPS",
	    [RG_MAX_SESSIONS] = "Max sessions",
	    [RG_CHANGE] = "Change",
	};
	return (unsigned)col < RG_COLS ? h[col] : "";
}

void report_group_cells(const struct report_group *g, const struct report_groups *prev,
                        char cells[RG_COLS][REPORT_CELL_MAX])
{
	snprintf(cells[RG_NAME], REPORT_CELL_MAX, "%s", g->key);
	report_format_count(g->sources, cells[RG_SOURCES], REPORT_CELL_MAX);
	report_format_count(g->queries, cells[RG_QUERIES], REPORT_CELL_MAX);
	report_format_pct(report_good(g), g->queries, cells[RG_SUCCESS], REPORT_CELL_MAX);
	report_format_count(g->unanswered, cells[RG_UNANSWERED], REPORT_CELL_MAX);
	report_format_count(g->refused, cells[RG_REFUSED], REPORT_CELL_MAX);
	report_format_count(g->servfail, cells[RG_SERVFAIL], REPORT_CELL_MAX);
	report_format_count(report_tcp_failed(g), cells[RG_TCP_REJECTED], REPORT_CELL_MAX);
	report_format_count(g->peak_qps, cells[RG_PEAK_QPS], REPORT_CELL_MAX);
	report_format_count(g->max_concurrent_tcp, cells[RG_MAX_SESSIONS], REPORT_CELL_MAX);
	snprintf(cells[RG_CHANGE], REPORT_CELL_MAX, "%s",
	         report_change_name(report_group_change(g, prev)));
}

unsigned report_coverage_lines(const struct report *r,
                               struct report_coverage_line out[REPORT_COVERAGE_LINES])
{
	const struct db_report_coverage *c = &r->cur.cov;
	const struct report_coverage_line lines[REPORT_COVERAGE_LINES] = {
	    {"frames", "packets seen", c->frames, 0},
	    {"dns_frames", "DNS packets analyzed", c->dns_frames, 0},
	    {"not_dns", "other traffic (not DNS)", c->not_dns, 0},
	    {"kernel_dropped", "lost in the kernel / interface",
	     c->kernel_dropped + c->iv_if_dropped, 1},
	    {"ringbuf_dropped", "lost in the eBPF ring buffer", c->iv_ringbuf_dropped, 1},
	    {"snap_truncated", "cut by the snap length", c->snap_truncated, 1},
	    {"malformed", "malformed (by reason below)", c->malformed_frames + c->dns_malformed, 1},
	    {"unsupported_link", "unsupported link layer", c->unsupported_link, 1},
	    {"evictions", "analyzer table evictions", c->evictions, 1},
	    {"queries", "DNS queries", c->queries, 0},
	};
	memcpy(out, lines, sizeof(lines));
	return REPORT_COVERAGE_LINES;
}

int report_depth_is_empty(const struct report *r)
{
	return r->depth.ndnssec == 0 && r->depth.ncaa == 0 && r->depth.nedns == 0;
}

uint64_t report_depth_more(const struct db_report_tally *t, unsigned shown)
{
	return t->rows > shown ? t->rows - shown : 0;
}

uint64_t report_lost(const struct report *r)
{
	const struct db_report_coverage *c = &r->cur.cov;
	return c->kernel_dropped + c->iv_if_dropped + c->iv_ringbuf_dropped + c->snap_truncated +
	       c->malformed_frames + c->dns_malformed + c->unsupported_link;
}
