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
 * Or the answers collapse instead of levelling off: response rate limiting
 * (BIND, NSD, Knot RRL) debits every answer it would send, so a client that
 * stays above the limit gets almost none, a share of them as TC=1 slips.
 * That fires when the median good over S <= rate_max_spread x the most good
 * answers of one saturated second, and the source was answered (a second
 * not saturated) at fewer queries than every saturated second: the rate,
 * not the source, is refused. cap = the most good answers of one second,
 * saturated or answered (the limiter's first second lets about the limit
 * through); metric suppressed = 1.
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

/* What the saturated seconds of one source show. */
struct sat {
	size_t n;          /* saturated seconds */
	double cap;        /* median good answers over them */
	uint64_t max_good; /* most good answers in one of them */
	uint64_t q_sat, refused, slips, silent, maxq, minq, first, last;
	size_t above, above_sat; /* busy seconds above the cap, and of them saturated */
};

static void sat_scan(struct rate_ctx *x, uint64_t *goods, struct sat *t)
{
	const struct series *sr = &x->cur;
	size_t k = 0;
	for (size_t i = 0; i < sr->n; i++) {
		const struct db_rule_second *s = &sr->s[i];
		if (!saturated(x, s))
			continue;
		uint64_t good = good_of(s);
		goods[k++] = good;
		t->max_good = good > t->max_good ? good : t->max_good;
		t->q_sat += s->queries;
		t->refused += s->refused;
		t->slips += s->truncated;
		t->silent += s->queries > s->responses ? s->queries - s->responses : 0;
		t->maxq = s->queries > t->maxq ? s->queries : t->maxq;
		t->minq = t->minq == 0 || s->queries < t->minq ? s->queries : t->minq;
		t->first = t->first ? t->first : s->second_ns;
		t->last = s->second_ns + 1000000000ull;
	}
	qsort(goods, t->n, sizeof(*goods), cmp_u64);
	size_t n = t->n;
	t->cap =
	    n % 2 ? (double)goods[n / 2] : ((double)goods[n / 2 - 1] + (double)goods[n / 2]) / 2.0;
}

/* level_off() says whether the good answers of the saturated seconds level
 * off at the cap (a flat limit), and the busy seconds above it are limited. */
static bool level_off(struct rate_ctx *x, const uint64_t *goods, struct sat *t)
{
	struct rule_ctx *c = x->c;
	double spread = rule_cfg(c, RC_RATE_MAX_SPREAD),
	       need = rule_cfg(c, RC_RATE_MIN_CONSISTENCY);
	size_t within = 0;
	for (size_t i = 0; i < t->n; i++)
		within += fabs((double)goods[i] - t->cap) <= spread * t->cap;
	if (t->cap < 1 || (double)within < need * (double)t->n)
		return false;
	for (size_t i = 0; i < x->cur.n; i++)
		if ((double)x->cur.s[i].queries > t->cap * (1 + spread)) {
			t->above++;
			t->above_sat += saturated(x, &x->cur.s[i]);
		}
	return t->above > 0 && (double)t->above_sat >= need * (double)t->above;
}

/* answered_below() returns the most good answers in a second the source was
 * answered in (not saturated) at fewer queries than any saturated second,
 * or -1 when there is none. */
static double answered_below(const struct rate_ctx *x, const struct sat *t)
{
	double best = -1;
	for (size_t i = 0; i < x->cur.n; i++) {
		const struct db_rule_second *s = &x->cur.s[i];
		if (s->queries < t->minq && !saturated(x, s) && (double)good_of(s) > best)
			best = (double)good_of(s);
	}
	return best;
}

/* emit() writes the finding: a flat limit of cap, or (suppressed) answers
 * that collapse above the rate answered at. */
static int emit(struct rate_ctx *x, const struct sat *t, double cap, bool suppressed,
                double answered)
{
	struct rule_ctx *c = x->c;
	struct series *sr = &x->cur;
	double burst = (double)x->validator_peak / cap;
	enum rule_severity sev = sr->validator                     ? RULE_CRITICAL
	                         : (double)x->validator_peak > cap ? RULE_WARNING
	                                                           : RULE_INFO;
	struct finding f;
	rule_finding_init(&f, "RATE_LIMITED", sev, "source", sr->source);
	f.first_seen_ns = t->first;
	f.last_seen_ns = t->last;
	char how[320];
	if (suppressed)
		snprintf(
		    how, sizeof(how),
		    "gets almost no good answers once it sends more (at most %llu in a second, "
		    "median %.0f), while it was answered at %.0f a second: the limiter "
		    "suppresses every answer while the client stays above the limit (response "
		    "rate limiting)",
		    (unsigned long long)t->max_good, t->cap, answered);
	else
		snprintf(how, sizeof(how),
		         "gets about %.0f good answers per second once it sends more (%zu of %zu "
		         "busy seconds above the cap were limited)",
		         cap, t->above_sat, t->above);
	snprintf(f.evidence, sizeof(f.evidence),
	         "%s%s %s: in %zu saturated seconds (up to %llu queries/s, %llu queries) %llu "
	         "queries went unanswered, %llu were REFUSED and %llu answered TC=1 (slip). CA "
	         "validators peak at %llu queries/s from one source (%.1fx the cap)",
	         sr->source, sr->validator ? " (a CA validator)" : "", how, t->n,
	         (unsigned long long)t->maxq, (unsigned long long)t->q_sat,
	         (unsigned long long)t->silent, (unsigned long long)t->refused,
	         (unsigned long long)t->slips, (unsigned long long)x->validator_peak, burst);
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
	rule_metric(&f, "saturated_seconds", (double)t->n);
	rule_metric(&f, "suppressed", suppressed ? 1.0 : 0.0);
	rule_metric(&f, "max_qps", (double)t->maxq);
	rule_metric(&f, "unanswered", (double)t->silent);
	rule_metric(&f, "refused", (double)t->refused);
	rule_metric(&f, "slips", (double)t->slips);
	rule_metric(&f, "validator_peak_qps", (double)x->validator_peak);
	rule_metric(&f, "burst_factor", burst);
	return rule_emit(c, &f);
}

static int judge(struct rate_ctx *x)
{
	struct rule_ctx *c = x->c;
	struct series *sr = &x->cur;
	struct sat t = {0};
	for (size_t i = 0; i < sr->n; i++)
		t.n += saturated(x, &sr->s[i]);
	if (t.n == 0 || (double)t.n < rule_cfg(c, RC_RATE_MIN_SECONDS))
		return 0;
	uint64_t *goods = malloc(t.n * sizeof(*goods));
	if (goods == NULL)
		return -1;
	sat_scan(x, goods, &t);
	bool flat = level_off(x, goods, &t);
	free(goods);
	if (flat)
		return emit(x, &t, t.cap, false, 0);
	/* Answers that collapse instead of levelling off: RRL debits every
	 * answer it would send, so a client that stays above the limit gets
	 * (almost) none. Only a source answered at a lower rate shows that the
	 * rate, not the source, is refused. */
	double answered = answered_below(x, &t);
	if (t.cap > rule_cfg(c, RC_RATE_MAX_SPREAD) * (double)t.max_good || answered < 1)
		return 0;
	double cap = (double)t.max_good > answered ? (double)t.max_good : answered;
	return emit(x, &t, cap, true, answered);
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
