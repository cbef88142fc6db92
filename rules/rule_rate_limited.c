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
 * Netblocks: response rate limiting counts a /24 (IPv4) or /56 (IPv6) as
 * one client (rate_netblock.h), so validators of one netblock share one
 * limit. The validator sources of a netblock with two or more of them are
 * also judged together, on their seconds summed. When that fires and in at
 * least half of its saturated seconds two or more members lost answers
 * (together), the netblock is the limited client: if some member that lost
 * answers shows no limit alone, one finding names the netblock (subject
 * kind "netblock"; metrics sources, limited_alone) instead of its members.
 * If every such member shows a limit alone, a limit per address explains it
 * as well: the members' own findings stand, and their evidence names the
 * netblock (metrics netblock_sources, netblock_cap).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rate_netblock.h"
#include "rule.h"

/* The series being judged: one source's seconds, or a netblock's. */
struct series {
	char source[RATE_NETBLOCK_TEXT_MAX];
	bool validator;
	struct db_rule_second *s;
	size_t n, cap;
};

/* A listed source: its address (first, for bsearch by text) and its CA. */
struct listed {
	char addr[DCV_ADDR_TEXT_MAX];
	char ca[64];
};

/* Source addresses in address-text order. */
struct addr_list {
	struct listed *a;
	size_t n, cap;
};

/* What a member's finding adds when its netblock was limited as well. */
struct netblock_note {
	const char *netblock;
	size_t sources; /* members that lost answers together */
	double cap;     /* the netblock's cap */
};

/* A netblock finding's members (emit()). */
struct netblock_group {
	const struct rate_member *m;
	size_t n;      /* members */
	size_t losers; /* of them, those that lost answers in its saturated seconds */
	size_t alone;  /* of those, the ones limited alone */
};

struct rate_ctx {
	struct rule_ctx *c;
	struct series cur;
	bool cur_tcp; /* the current source (or a member) sent TCP queries */
	const char *cur_ca;
	const struct netblock_note *note;   /* a member finding's netblock, or NULL */
	const struct netblock_group *group; /* a netblock finding's members, or NULL */
	uint64_t validator_peak;
	struct addr_list tcp_sources, validators;
	struct rate_members held; /* validator sources, judged at the end */
	int rc;
};

static bool saturated(const struct rate_ctx *x, const struct db_rule_second *s)
{
	const struct rule_ctx *c = x->c;
	uint64_t good = rate_good(s);
	uint64_t gap = s->queries > good ? s->queries - good : 0;
	if (!rate_lost(s, x->cur_tcp))
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
		uint64_t good = rate_good(s);
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
		if (s->queries < t->minq && !saturated(x, s) && (double)rate_good(s) > best)
			best = (double)rate_good(s);
	}
	return best;
}

/* What judging one series found. */
struct verdict {
	struct sat t;
	double cap;      /* the inferred limit */
	bool suppressed; /* answers collapse (RRL) instead of levelling off */
	double answered; /* suppressed: the good answers of a second answered */
};

/* who() writes who was limited: the source, or a netblock's members. */
static void who(const struct rate_ctx *x, char *out, size_t len)
{
	const struct netblock_group *g = x->group;
	if (g == NULL) {
		snprintf(out, len, "%s%s", x->cur.source,
		         x->cur.validator ? " (a CA validator)" : "");
		return;
	}
	const char *ca = g->m[0].ca;
	for (size_t i = 1; i < g->n; i++)
		if (strcmp(g->m[i].ca, ca) != 0)
			ca = "CA"; /* validators of several CAs */
	int w = snprintf(out, len, "%zu %s validators of %s (", g->n, ca, x->cur.source);
	for (size_t i = 0; i < g->n && i < 4 && w > 0 && (size_t)w < len; i++)
		w += snprintf(out + w, len - (size_t)w, "%s%s", i ? ", " : "", g->m[i].source);
	if (g->n > 4 && w > 0 && (size_t)w < len)
		w += snprintf(out + w, len - (size_t)w, " and %zu more", g->n - 4);
	if (w > 0 && (size_t)w < len)
		snprintf(out + w, len - (size_t)w, ")");
}

/* emit() writes the finding: a flat limit of cap, or (suppressed) answers
 * that collapse above the rate answered at; for a source, or a netblock. */
static int emit(struct rate_ctx *x, const struct verdict *v)
{
	struct rule_ctx *c = x->c;
	struct series *sr = &x->cur;
	const struct sat *t = &v->t;
	const struct netblock_group *g = x->group;
	double cap = v->cap;
	double burst = (double)x->validator_peak / cap;
	enum rule_severity sev = sr->validator                     ? RULE_CRITICAL
	                         : (double)x->validator_peak > cap ? RULE_WARNING
	                                                           : RULE_INFO;
	struct finding f;
	rule_finding_init(&f, "RATE_LIMITED", sev, g ? "netblock" : "source", sr->source);
	f.first_seen_ns = t->first;
	f.last_seen_ns = t->last;
	char whom[320], how[320], together[320] = "";
	who(x, whom, sizeof(whom));
	if (v->suppressed)
		snprintf(how, sizeof(how),
		         "%s almost no good answers once %s more (at most %llu in a second, "
		         "median %.0f), while %s answered at %.0f a second: the limiter "
		         "suppresses every answer while the client stays above the limit (response "
		         "rate limiting)",
		         g ? "together get" : "gets", g ? "they send" : "it sends",
		         (unsigned long long)t->max_good, t->cap, g ? "they were" : "it was",
		         v->answered);
	else
		snprintf(how, sizeof(how),
		         "%s about %.0f good answers per second once %s more (%zu of %zu "
		         "busy seconds above the cap were limited)",
		         g ? "together get" : "gets", cap, g ? "they send" : "it sends",
		         t->above_sat, t->above);
	if (g != NULL)
		snprintf(together, sizeof(together),
		         ". %zu of them lost answers in the same seconds, and %zu of those show no "
		         "limit alone: the limit counts the netblock as one client",
		         g->losers, g->losers - g->alone);
	else if (x->note != NULL)
		snprintf(together, sizeof(together),
		         ". %zu validators of %s lost answers in the same seconds (together about "
		         "%.0f good answers a second): a limit that counts the netblock as one "
		         "client (response rate limiting's /24 or /56) explains it as well as one "
		         "per address",
		         x->note->sources, x->note->netblock, x->note->cap);
	snprintf(f.evidence, sizeof(f.evidence),
	         "%s %s: in %zu saturated seconds (up to %llu queries/s, %llu queries) %llu "
	         "queries went unanswered, %llu were REFUSED and %llu answered TC=1 (slip). CA "
	         "validators peak at %llu queries/s from one source (%.1fx the cap)",
	         whom, how, t->n, (unsigned long long)t->maxq, (unsigned long long)t->q_sat,
	         (unsigned long long)t->silent, (unsigned long long)t->refused,
	         (unsigned long long)t->slips, (unsigned long long)x->validator_peak, burst);
	rule_append(f.evidence, sizeof(f.evidence), "%s", together);
	if (g != NULL)
		snprintf(f.recommendation, sizeof(f.recommendation),
		         "The nameserver or a filter in front of it limits the netblock %s as one "
		         "client to about %.0f answers per second: response rate limiting counts "
		         "clients by /24 (IPv4) and /56 (IPv6) (NSD/Knot/BIND rrl, BIND's "
		         "ipv4-prefix-length; dnsdist MaxQPSIPRule with a mask). A CA runs several "
		         "validators in one netblock: raise the limit above their bursts together, "
		         "or exempt the CA validator networks from rate limiting.",
		         sr->source, cap);
	else
		snprintf(
		    f.recommendation, sizeof(f.recommendation),
		    "The nameserver or a filter in front of it limits each client to about %.0f "
		    "answers per second (response rate limiting: NSD/Knot/BIND rrl "
		    "responses-per-second, PowerDNS dnsdist, firewall hashlimit). CA validators "
		    "send bursts (CAA lookups for the name and every parent, from several "
		    "perspectives at once): raise the limit above the validators' bursts or "
		    "exempt the CA validator networks from rate limiting.",
		    cap);
	rule_metric(&f, "inferred_qps_cap", cap);
	rule_metric(&f, "inferred_cap", cap); /* the same, under SESSION_CAP's key */
	rule_metric(&f, "saturated_seconds", (double)t->n);
	rule_metric(&f, "suppressed", v->suppressed ? 1.0 : 0.0);
	rule_metric(&f, "max_qps", (double)t->maxq);
	rule_metric(&f, "unanswered", (double)t->silent);
	rule_metric(&f, "refused", (double)t->refused);
	rule_metric(&f, "slips", (double)t->slips);
	rule_metric(&f, "validator_peak_qps", (double)x->validator_peak);
	rule_metric(&f, "burst_factor", burst);
	if (g != NULL) {
		rule_metric(&f, "sources", (double)g->n);
		rule_metric(&f, "limited_alone", (double)g->alone);
	} else if (x->note != NULL) {
		rule_metric(&f, "netblock_sources", (double)x->note->sources);
		rule_metric(&f, "netblock_cap", x->note->cap);
	}
	return rule_emit(c, &f);
}

/* assess() judges the current series: 1 when it is limited (*v says how),
 * 0 when not, -1 when out of memory. */
static int assess(struct rate_ctx *x, struct verdict *v)
{
	struct rule_ctx *c = x->c;
	struct series *sr = &x->cur;
	*v = (struct verdict){0};
	struct sat *t = &v->t;
	for (size_t i = 0; i < sr->n; i++)
		t->n += saturated(x, &sr->s[i]);
	if (t->n == 0 || (double)t->n < rule_cfg(c, RC_RATE_MIN_SECONDS))
		return 0;
	uint64_t *goods = malloc(t->n * sizeof(*goods));
	if (goods == NULL)
		return -1;
	sat_scan(x, goods, t);
	bool flat = level_off(x, goods, t);
	free(goods);
	if (flat) {
		v->cap = t->cap;
		return 1;
	}
	/* Answers that collapse instead of levelling off: RRL debits every
	 * answer it would send, so a client that stays above the limit gets
	 * (almost) none. Only a source answered at a lower rate shows that the
	 * rate, not the source, is refused. */
	double answered = answered_below(x, t);
	if (t->cap > rule_cfg(c, RC_RATE_MAX_SPREAD) * (double)t->max_good || answered < 1)
		return 0;
	v->cap = (double)t->max_good > answered ? (double)t->max_good : answered;
	v->suppressed = true;
	v->answered = answered;
	return 1;
}

/* judge() emits the current series' finding when it is limited. */
static int judge(struct rate_ctx *x)
{
	struct verdict v;
	int r = assess(x, &v);
	return r <= 0 ? r : emit(x, &v);
}

/* reserve() makes room for n seconds in the current series. 0 or -1. */
static int reserve(struct rate_ctx *x, size_t n)
{
	if (n <= x->cur.cap)
		return 0;
	size_t cap = x->cur.cap ? x->cur.cap * 2 : 64;
	cap = cap < n ? n : cap;
	struct db_rule_second *p = realloc(x->cur.s, cap * sizeof(*p));
	if (p == NULL)
		return -1;
	x->cur.s = p;
	x->cur.cap = cap;
	return 0;
}

/* load() names the current series and gives it room for n seconds. */
static int load(struct rate_ctx *x, const char *source, bool tcp, size_t n)
{
	if (reserve(x, n) != 0)
		return -1;
	x->cur.n = n;
	snprintf(x->cur.source, sizeof(x->cur.source), "%s", source);
	x->cur.validator = true; /* members and netblocks are validators' */
	x->cur_tcp = tcp;
	return 0;
}

static int load_member(struct rate_ctx *x, const struct rate_member *m)
{
	if (load(x, m->source, m->tcp, m->n) != 0)
		return -1;
	if (m->n > 0)
		memcpy(x->cur.s, m->s, m->n * sizeof(*m->s));
	return 0;
}

/* load_netblock() makes the folded seconds f[0..n) of the members m[0..k)
 * the current series. */
static int load_netblock(struct rate_ctx *x, const struct rate_member *m, size_t k,
                         const struct rate_folded *f, size_t n)
{
	bool tcp = false;
	for (size_t i = 0; i < k; i++)
		tcp |= m[i].tcp;
	if (load(x, m[0].netblock, tcp, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		x->cur.s[i] = f[i].s;
	return 0;
}

static int cmp_folded_second(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key, e = ((const struct rate_folded *)elem)->s.second_ns;
	return k < e ? -1 : k > e;
}

/* lost_together() says whether member m lost answers in a second that is
 * saturated for its netblock (sat[] over the folded seconds f). */
static bool lost_together(const struct rate_member *m, const struct rate_folded *f, size_t nf,
                          const bool *sat)
{
	for (size_t j = 0; j < m->n; j++) {
		const struct rate_folded *d =
		    bsearch(&m->s[j].second_ns, f, nf, sizeof(*f), cmp_folded_second);
		if (d != NULL && sat[d - f] && rate_lost(&m->s[j], m->tcp))
			return true;
	}
	return false;
}

/* judge_members() judges each member alone; note, when not NULL, adds the
 * netblock to their findings. */
static int judge_members(struct rate_ctx *x, const struct rate_member *m, size_t k,
                         const struct netblock_note *note)
{
	for (size_t i = 0; i < k; i++) {
		x->note = note;
		int rc = load_member(x, &m[i]) != 0 ? -1 : judge(x);
		x->note = NULL;
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* judge_netblock() judges the validator sources m[0..k) of one netblock:
 * together, then (unless the netblock is the limited client) alone. */
static int judge_netblock(struct rate_ctx *x, const struct rate_member *m, size_t k)
{
	if (k < 2)
		return judge_members(x, m, k, NULL);
	struct rate_folded *f = NULL;
	size_t nf = 0;
	bool *sat = NULL;
	struct verdict nv;
	int rc = -1, r;
	if (rate_netblock_fold(m, k, &f, &nf) != 0 || load_netblock(x, m, k, f, nf) != 0 ||
	    (r = assess(x, &nv)) < 0 || (sat = calloc(nf ? nf : 1, sizeof(*sat))) == NULL)
		goto out;
	size_t sat_n = 0, sat_together = 0;
	for (size_t i = 0; i < nf; i++) {
		sat[i] = saturated(x, &f[i].s);
		sat_n += sat[i];
		sat_together += sat[i] && f[i].losing >= 2;
	}
	if (r == 0 || sat_n == 0 || 2 * sat_together < sat_n) {
		rc = judge_members(x, m, k, NULL);
		goto out;
	}
	struct netblock_group g = {.m = m, .n = k};
	for (size_t i = 0; i < k; i++) {
		if (!lost_together(&m[i], f, nf, sat))
			continue;
		struct verdict mv;
		g.losers++;
		if (load_member(x, &m[i]) != 0 || (r = assess(x, &mv)) < 0)
			goto out;
		g.alone += r == 1;
	}
	if (g.alone == g.losers) {
		/* each one limited alone: a limit per address fits as well */
		struct netblock_note note = {m[0].netblock, g.losers, nv.cap};
		rc = judge_members(x, m, k, &note);
		goto out;
	}
	if (load_netblock(x, m, k, f, nf) != 0)
		goto out;
	x->group = &g;
	rc = emit(x, &nv);
	x->group = NULL;
out:
	free(sat);
	free(f);
	return rc;
}

/* judge_held() judges the validator sources held back, by netblock. */
static int judge_held(struct rate_ctx *x)
{
	struct rate_members *h = &x->held;
	rate_members_group(h);
	for (size_t i = 0; i < h->n;) {
		size_t j = i + 1;
		while (j < h->n && strcmp(h->m[j].netblock, h->m[i].netblock) == 0)
			j++;
		if (judge_netblock(x, &h->m[i], j - i) != 0)
			return -1;
		i = j;
	}
	return 0;
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Appends source (the sources come in address-text order); 0 or -1. */
static int list_add(struct addr_list *l, const char *source, const char *ca)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct listed *p = realloc(l->a, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		l->a = p;
		l->cap = cap;
	}
	snprintf(l->a[l->n].addr, sizeof(l->a[l->n].addr), "%s", source);
	snprintf(l->a[l->n++].ca, sizeof(l->a[0].ca), "%s", ca);
	return 0;
}

static const struct listed *list_find(const struct addr_list *l, const char *source)
{
	return l->n > 0 ? bsearch(source, l->a, l->n, sizeof(*l->a), cmp_text) : NULL;
}

/* done_source() judges the current source now, or holds it back with its
 * netblock when it is a CA validator. */
static int done_source(struct rate_ctx *x)
{
	char netblock[RATE_NETBLOCK_TEXT_MAX];
	if (x->cur_ca == NULL || !rate_netblock_of(x->cur.source, netblock, sizeof(netblock)))
		return judge(x);
	return rate_members_add(&x->held, x->cur.source, x->cur_ca, x->cur_tcp, x->cur.s, x->cur.n);
}

static int on_second(void *arg, const struct db_rule_second *s)
{
	struct rate_ctx *x = arg;
	if (x->cur.n > 0 && strcmp(x->cur.source, s->source) != 0) {
		if (done_source(x) != 0) {
			x->rc = -1;
			return 1;
		}
		x->cur.n = 0;
	}
	if (x->cur.n == 0) {
		snprintf(x->cur.source, sizeof(x->cur.source), "%s", s->source);
		const struct listed *v = list_find(&x->validators, s->source);
		x->cur.validator = v != NULL;
		x->cur_ca = v != NULL ? v->ca : NULL;
		x->cur_tcp = list_find(&x->tcp_sources, s->source) != NULL;
	}
	if (reserve(x, x->cur.n + 1) != 0) {
		x->rc = -1;
		return 1;
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
	if ((validator && list_add(&x->validators, s->source, s->ca) != 0) ||
	    (s->queries_tcp > 0 && list_add(&x->tcp_sources, s->source, "") != 0)) {
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
	if (rc == 0 && x.rc == 0 && x.cur.n > 0 && done_source(&x) != 0)
		rc = -1;
	if (rc == 0 && x.rc == 0 && judge_held(&x) != 0)
		rc = -1;
	free(x.cur.s);
	free(x.tcp_sources.a);
	free(x.validators.a);
	rate_members_free(&x.held);
	return rc ? rc : x.rc;
}
