/*
 * rule_rate_limited.c - RATE_LIMITED: a source's answers stop, or turn into
 * REFUSED or TC=1 slips, once its query rate passes a level.
 *
 * Data: source_seconds (one row per source per second with >= 10 queries):
 * queries, responses by rcode, truncated; from the sources' totals, which
 * sources are CA validators (medium confidence or above), which sent TCP
 * queries, and the validators' peak_qps.
 * Per source and second: good = NOERROR + NXDOMAIN answers without TC=1
 * (a slip is a TC=1 answer). A second is saturated when queries - good >=
 * rate_min_gap (3) and >= rate_min_gap_share (0.2) x queries. A source that
 * also sends TCP queries retries its TC=1 answers over TCP (the retry is
 * counted as a query of the same second): a second whose whole gap is TC=1
 * answers, with nothing dropped or REFUSED, is then a large answer retried,
 * not a limit, and is not saturated.
 * Test, per source: with S the saturated seconds, cap = median(good over S)
 * (metric inferred_qps_cap: a response-rate limit lets about cap answers a
 * second through). Fires when |S| >= rate_min_saturated_seconds (3), cap >=
 * 1, at least rate_min_consistency (0.8) of S have good within
 * rate_max_spread (0.25) x cap of the cap (flat, not proportional: a limit,
 * not random loss), and at least rate_min_consistency of the busy seconds
 * whose queries exceed cap x (1 + rate_max_spread) are saturated.
 * Severity: critical when the source is a CA validator; warning when the
 * validators' peak rate from one source (CAA tree climbing multiplies
 * queries per name) exceeds the cap, so validators would be limited too;
 * else info. Metric burst_factor = validator peak / cap.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

struct series {
	char source[DCV_ADDR_TEXT_MAX];
	bool validator;
	struct db_rule_second *s;
	size_t n, cap;
};

/* Source addresses in address-text order. */
struct addr_list {
	char (*a)[DCV_ADDR_TEXT_MAX];
	size_t n, cap;
};

struct rate_ctx {
	struct rule_ctx *c;
	struct series cur;
	bool cur_tcp; /* the current source sent TCP queries */
	uint64_t validator_peak;
	struct addr_list tcp_sources, validators;
	int rc;
};

static uint64_t good_of(const struct db_rule_second *s)
{
	uint64_t ok = s->noerror + s->nxdomain;
	return ok > s->truncated ? ok - s->truncated : 0;
}

static bool saturated(const struct rate_ctx *x, const struct db_rule_second *s)
{
	const struct rule_ctx *c = x->c;
	uint64_t good = good_of(s);
	uint64_t gap = s->queries > good ? s->queries - good : 0;
	if (x->cur_tcp && s->refused == 0 && s->responses >= s->queries)
		return false; /* only TC=1 answers, retried over TCP */
	return (double)gap >= rule_cfg(c, RC_RATE_MIN_GAP) &&
	       (double)gap >= rule_cfg(c, RC_RATE_MIN_GAP_SHARE) * (double)s->queries;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int judge(struct rate_ctx *x)
{
	struct rule_ctx *c = x->c;
	struct series *sr = &x->cur;
	size_t ns = 0;
	for (size_t i = 0; i < sr->n; i++)
		ns += saturated(x, &sr->s[i]);
	if (ns == 0 || (double)ns < rule_cfg(c, RC_RATE_MIN_SECONDS))
		return 0;
	uint64_t *goods = malloc(ns * sizeof(*goods));
	if (goods == NULL)
		return -1;
	size_t k = 0;
	uint64_t q_sat = 0, refused = 0, slips = 0, silent = 0, maxq = 0, first = 0, last = 0;
	for (size_t i = 0; i < sr->n; i++) {
		const struct db_rule_second *s = &sr->s[i];
		if (!saturated(x, s))
			continue;
		goods[k++] = good_of(s);
		q_sat += s->queries;
		refused += s->refused;
		slips += s->truncated;
		silent += s->queries > s->responses ? s->queries - s->responses : 0;
		maxq = s->queries > maxq ? s->queries : maxq;
		first = first ? first : s->second_ns;
		last = s->second_ns + 1000000000ull;
	}
	qsort(goods, ns, sizeof(*goods), cmp_u64);
	double cap = ns % 2 ? (double)goods[ns / 2]
	                    : ((double)goods[ns / 2 - 1] + (double)goods[ns / 2]) / 2.0;
	double spread = rule_cfg(c, RC_RATE_MAX_SPREAD);
	size_t within = 0;
	for (size_t i = 0; i < ns; i++)
		within += fabs((double)goods[i] - cap) <= spread * cap;
	free(goods);
	double need = rule_cfg(c, RC_RATE_MIN_CONSISTENCY);
	if (cap < 1 || (double)within < need * (double)ns)
		return 0;
	size_t above = 0, above_sat = 0;
	for (size_t i = 0; i < sr->n; i++)
		if ((double)sr->s[i].queries > cap * (1 + spread)) {
			above++;
			above_sat += saturated(x, &sr->s[i]);
		}
	if (above == 0 || (double)above_sat < need * (double)above)
		return 0;
	double burst = (double)x->validator_peak / cap;
	enum rule_severity sev = sr->validator                     ? RULE_CRITICAL
	                         : (double)x->validator_peak > cap ? RULE_WARNING
	                                                           : RULE_INFO;
	struct finding f;
	rule_finding_init(&f, "RATE_LIMITED", sev, "source", sr->source);
	f.first_seen_ns = first;
	f.last_seen_ns = last;
	snprintf(f.evidence, sizeof(f.evidence),
	         "%s%s gets about %.0f good answers per second once it sends more: in %zu "
	         "saturated seconds (up to %llu queries/s, %llu queries) %llu queries went "
	         "unanswered, %llu were REFUSED and %llu answered TC=1 (slip); %zu of %zu busy "
	         "seconds above the cap were limited. CA validators peak at %llu queries/s from "
	         "one source (%.1fx the cap)",
	         sr->source, sr->validator ? " (a CA validator)" : "", cap, ns,
	         (unsigned long long)maxq, (unsigned long long)q_sat, (unsigned long long)silent,
	         (unsigned long long)refused, (unsigned long long)slips, above_sat, above,
	         (unsigned long long)x->validator_peak, burst);
	snprintf(f.recommendation, sizeof(f.recommendation),
	         "The nameserver or a filter in front of it limits each client to about %.0f "
	         "answers per second (response rate limiting: NSD/Knot/BIND rrl "
	         "responses-per-second, PowerDNS dnsdist, firewall hashlimit). CA validators "
	         "send bursts (CAA lookups for the name and every parent, from several "
	         "perspectives at once): raise the limit above the validators' bursts or exempt "
	         "the CA validator networks from rate limiting.",
	         cap);
	rule_metric(&f, "inferred_qps_cap", cap);
	rule_metric(&f, "inferred_cap", cap); /* the same, under SESSION_CAP's key */
	rule_metric(&f, "saturated_seconds", (double)ns);
	rule_metric(&f, "max_qps", (double)maxq);
	rule_metric(&f, "unanswered", (double)silent);
	rule_metric(&f, "refused", (double)refused);
	rule_metric(&f, "slips", (double)slips);
	rule_metric(&f, "validator_peak_qps", (double)x->validator_peak);
	rule_metric(&f, "burst_factor", burst);
	return rule_emit(c, &f);
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Appends source (the sources come in address-text order); 0 or -1. */
static int list_add(struct addr_list *l, const char *source)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char(*p)[DCV_ADDR_TEXT_MAX] = realloc(l->a, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		l->a = p;
		l->cap = cap;
	}
	snprintf(l->a[l->n++], DCV_ADDR_TEXT_MAX, "%s", source);
	return 0;
}

static bool list_has(const struct addr_list *l, const char *source)
{
	return l->n > 0 && bsearch(source, l->a, l->n, sizeof(*l->a), cmp_text) != NULL;
}

static int on_second(void *arg, const struct db_rule_second *s)
{
	struct rate_ctx *x = arg;
	if (x->cur.n > 0 && strcmp(x->cur.source, s->source) != 0) {
		if (judge(x) != 0) {
			x->rc = -1;
			return 1;
		}
		x->cur.n = 0;
	}
	if (x->cur.n == 0) {
		snprintf(x->cur.source, sizeof(x->cur.source), "%s", s->source);
		x->cur.validator = list_has(&x->validators, s->source);
		x->cur_tcp = list_has(&x->tcp_sources, s->source);
	}
	if (x->cur.n == x->cur.cap) {
		size_t cap = x->cur.cap ? x->cur.cap * 2 : 64;
		struct db_rule_second *p = realloc(x->cur.s, cap * sizeof(*p));
		if (p == NULL) {
			x->rc = -1;
			return 1;
		}
		x->cur.s = p;
		x->cur.cap = cap;
	}
	x->cur.s[x->cur.n++] = *s;
	return 0;
}

static int on_source(void *arg, const struct db_rule_source *s)
{
	struct rate_ctx *x = arg;
	bool validator = s->ca[0] != '\0';
	if (validator && s->peak_qps > x->validator_peak)
		x->validator_peak = s->peak_qps;
	if ((validator && list_add(&x->validators, s->source) != 0) ||
	    (s->queries_tcp > 0 && list_add(&x->tcp_sources, s->source) != 0)) {
		x->rc = -1;
		return 1;
	}
	return 0;
}

int rule_rate_limited(struct rule_ctx *c)
{
	struct rate_ctx x = {.c = c};
	int rc = rule_sources(c, on_source, &x) < 0 ? -1 : 0;
	if (rc == 0 && db_rule_seconds(c->db, c->scope, on_second, &x) < 0)
		rc = -1;
	if (rc == 0 && x.rc == 0 && x.cur.n > 0 && judge(&x) != 0)
		rc = -1;
	free(x.cur.s);
	free(x.tcp_sources.a);
	free(x.validators.a);
	return rc ? rc : x.rc;
}
