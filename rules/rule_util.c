/* rule_util.c - helpers shared by the rule files (rule.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

double rule_cfg(const struct rule_ctx *c, enum rules_config_key k)
{
	return rules_config_get(c->cfg, k);
}

void rule_finding_init(struct finding *f, const char *rule, enum rule_severity sev,
                       const char *kind, const char *subject)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->severity = sev;
	snprintf(f->subject_kind, sizeof(f->subject_kind), "%s", kind);
	snprintf(f->subject, sizeof(f->subject), "%s", subject);
}

void rule_metric(struct finding *f, const char *key, double value)
{
	if (f->nmetrics >= FINDING_METRICS_MAX)
		return;
	struct finding_metric *m = &f->metrics[f->nmetrics++];
	snprintf(m->key, sizeof(m->key), "%s", key);
	m->value = value;
}

void rule_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

int rule_emit(struct rule_ctx *c, const struct finding *f)
{
	return c->emit(c, f);
}

double rule_z_score(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2)
{
	double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
	double p = (double)(x1 + x2) / (double)(n1 + n2);
	double se = sqrt(p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2));
	if (se == 0)
		return p1 > p2 ? INFINITY : 0;
	return (p1 - p2) / se;
}

void rule_group_add(struct rule_group *a, const struct rule_group *b)
{
	a->sources += b->sources;
	a->queries += b->queries;
	a->queries_tcp += b->queries_tcp;
	a->responses += b->responses;
	a->servfail += b->servfail;
	a->refused += b->refused;
	a->other_rcode += b->other_rcode;
	a->truncated += b->truncated;
	a->unanswered += b->unanswered;
	a->tcp_sessions += b->tcp_sessions;
	a->tcp_rejected += b->tcp_rejected;
	a->tcp_filtered += b->tcp_filtered;
	a->tcp_stalled += b->tcp_stalled;
	if (b->peak_qps > a->peak_qps)
		a->peak_qps = b->peak_qps;
	if (b->first_ns && (!a->first_ns || b->first_ns < a->first_ns))
		a->first_ns = b->first_ns;
	if (b->last_ns > a->last_ns)
		a->last_ns = b->last_ns;
}

struct groups_acc {
	struct rule_group *g;
	size_t n, cap;
	int oom;
};

static int on_source(void *arg, const struct db_rule_source *s)
{
	struct groups_acc *a = arg;
	if (s->ca[0] == '\0')
		return 0;
	struct rule_group one;
	memset(&one, 0, sizeof(one));
	snprintf(one.ca, sizeof(one.ca), "%s", s->ca);
	snprintf(one.region, sizeof(one.region), "%s", s->region);
	one.sources = 1;
	one.queries = s->queries;
	one.queries_tcp = s->queries_tcp;
	one.responses = s->responses;
	one.servfail = s->servfail;
	one.refused = s->refused;
	one.other_rcode = s->other_rcode;
	one.truncated = s->truncated;
	one.unanswered = s->unanswered;
	one.tcp_sessions = s->tcp_sessions;
	one.tcp_rejected = s->tcp_rejected;
	one.tcp_filtered = s->tcp_filtered;
	one.tcp_stalled = s->tcp_stalled;
	one.peak_qps = s->peak_qps;
	one.first_ns = s->first_ns;
	one.last_ns = s->last_ns;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->g[i].ca, one.ca) == 0 && strcmp(a->g[i].region, one.region) == 0) {
			rule_group_add(&a->g[i], &one);
			return 0;
		}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct rule_group *g = realloc(a->g, cap * sizeof(*g));
		if (g == NULL) {
			a->oom = 1;
			return 1;
		}
		a->g = g;
		a->cap = cap;
	}
	a->g[a->n++] = one;
	return 0;
}

static int group_cmp(const void *x, const void *y)
{
	const struct rule_group *a = x, *b = y;
	int d = strcmp(a->ca, b->ca);
	return d ? d : strcmp(a->region, b->region);
}

int rule_groups_read(struct rule_ctx *c, struct rule_group **out, size_t *n)
{
	size_t kept;
	const struct rule_group *g = rule_groups_cached(c, &kept);
	if (g != NULL) {
		*out = malloc((kept ? kept : 1) * sizeof(*g));
		if (*out == NULL)
			return -1;
		if (kept > 0)
			memcpy(*out, g, kept * sizeof(*g));
		*n = kept;
		return 0;
	}
	struct groups_acc a = {0};
	if (rule_sources(c, on_source, &a) < 0 || a.oom) {
		free(a.g);
		return -1;
	}
	if (a.n > 1)
		qsort(a.g, a.n, sizeof(*a.g), group_cmp);
	rule_groups_remember(c, a.g, a.n);
	*out = a.g;
	*n = a.n;
	return 0;
}
