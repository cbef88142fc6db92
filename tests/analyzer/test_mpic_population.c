/*
 * test_mpic_population.c - validator recall and resolver false positives on a
 * generated mix that follows research/validators.md: three CA styles with
 * per-perspective address pools, two nameservers (each perspective reaches
 * this one with probability 0.6), HTTP-01 and dns-01, ordinary resolvers
 * (some with 0x20) of which a few dig validation names or ask CAA, and ACME
 * clients polling _acme-challenge right before the CA validates.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_parse.h"
#include "mpic.h"

#define MS  1000000ULL
#define SEC 1000000000ULL

enum { N_RESOLVERS = 500, N_POLLERS = 20, N_ATTEMPTS = 300, N_ZONES = 20, SPAN_S = 7200 };

struct ev {
	uint64_t ts;
	struct dcv_addr src;
	uint16_t qtype;
	int16_t rcode;
	bool mixed;
	char name[128];
};

struct evs {
	struct ev *e;
	size_t n, cap;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}
static double frand(void)
{
	return (rnd() & 0xffffff) / (double)0x1000000;
}

static void push(struct evs *v, uint64_t ts, struct dcv_addr src, const char *name, uint16_t qtype,
                 int rcode, bool mixed)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->e = realloc(v->e, v->cap * sizeof(*v->e));
		cr_assert_not_null(v->e);
	}
	struct ev *e = &v->e[v->n++];
	e->ts = ts;
	e->src = src;
	e->qtype = qtype;
	e->rcode = (int16_t)rcode;
	e->mixed = mixed;
	snprintf(e->name, sizeof(e->name), "%s", name);
}

static int by_ts(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static struct dcv_addr v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	uint8_t x[4] = {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
	return dcv_addr_v4(x);
}

/* CA styles: groups (perspectives) x hosts per group */
struct ca_style {
	const char *id;
	unsigned groups, hosts;
	bool mixed;
	unsigned first_octet;
};
static const struct ca_style CAS[] = {
    {"le", 5, 3, true, 11},
    {"digicert", 4, 2, false, 12},
    {"sectigo", 3, 2, false, 13},
};

static struct dcv_addr ca_addr(unsigned ca, unsigned g, unsigned h)
{
	return v4(CAS[ca].first_octet, 10 + g * 7, 3, 20 + h);
}

static struct dcv_addr resolver_addr(unsigned i)
{
	return v4(60 + i % 100, i / 100, 9, 53);
}

static struct dcv_addr poller_addr(unsigned i)
{
	return v4(90, i, 1, 1);
}

static void caa_climb(struct evs *v, uint64_t ts, struct dcv_addr s, const char *name, bool mixed)
{
	/* this server serves the zone: the name and the zone apex (and a sub-label) */
	const char *p = name;
	for (int k = 0; k < 3 && p != NULL; k++) {
		push(v, ts + (rnd() % 40) * MS, s, p, DNS_TYPE_CAA, 0, mixed);
		p = strchr(p, '.');
		if (p)
			p++;
		if (p && strchr(p, '.') == NULL)
			break; /* the TLD goes to the TLD servers */
	}
}

static void gen_attempt(struct evs *v, uint64_t t0, const char *name)
{
	unsigned ca = rnd() % 3;
	bool http = ca == 0 && rnd() % 3 == 0;
	const struct ca_style *c = &CAS[ca];
	char q[128];
	for (unsigned g = 0; g < c->groups; g++) {
		if (frand() > 0.6)
			continue; /* asked the other nameserver */
		struct dcv_addr s = ca_addr(ca, g, rnd() % c->hosts);
		uint64_t t = t0 + (rnd() % 200) * MS;
		int rc = frand() < 0.05 ? DNS_RCODE_SERVFAIL : 0;
		if (http) {
			push(v, t, s, name, DNS_TYPE_A, 0, c->mixed);
			push(v, t, s, name, DNS_TYPE_AAAA, 0, c->mixed);
		} else if (ca == 1) {
			snprintf(q, sizeof(q), "_dnsauth.%s", name);
			push(v, t, s, q, DNS_TYPE_TXT, rc, c->mixed);
			push(v, t, s, name, DNS_TYPE_TXT, 0, c->mixed);
		} else {
			snprintf(q, sizeof(q), "_acme-challenge.%s", name);
			push(v, t, s, q, DNS_TYPE_TXT, rc, c->mixed);
		}
		if (rc == 0)
			caa_climb(v, t + 250 * MS, s, name, c->mixed);
		if (ca == 2) {
			const char *zone = strchr(name, '.') + 1;
			push(v, t + 300 * MS, s, zone, DNS_TYPE_DNSKEY, 0, c->mixed);
		}
	}
}

struct verdict {
	unsigned validators, validators_found, ordinary, ordinary_flagged;
};

struct tally_ctx {
	struct verdict *v;
};

static bool is_ca(const struct dcv_addr *a)
{
	return a->bytes[0] >= 11 && a->bytes[0] <= 13;
}

static void tally(void *ctx, const struct mpic_source *s)
{
	struct verdict *v = ctx;
	if (is_ca(&s->source))
		v->validators_found++;
	else
		v->ordinary_flagged++;
}

Test(mpic_population, validators_found_and_resolvers_left_alone)
{
	struct evs v = {0};
	char name[96];
	/* ordinary resolvers */
	for (unsigned i = 0; i < N_RESOLVERS; i++) {
		struct dcv_addr r = resolver_addr(i);
		bool mixed = i % 5 == 0;
		unsigned n = 50 + rnd() % 1500;
		for (unsigned k = 0; k < n; k++) {
			static const uint16_t types[] = {DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_MX,
			                                 DNS_TYPE_NS, DNS_TYPE_TXT};
			snprintf(name, sizeof(name), "h%u.zone%u.com", rnd() % 200,
			         rnd() % N_ZONES);
			push(&v, (uint64_t)(frand() * SPAN_S * 1e9), r, name, types[rnd() % 5], 0,
			     mixed);
		}
		if (i % 20 == 0) { /* an operator's dig through this resolver */
			snprintf(name, sizeof(name), "_acme-challenge.h%u.zone%u.com", rnd() % 200,
			         rnd() % N_ZONES);
			push(&v, (uint64_t)(frand() * SPAN_S * 1e9), r, name, DNS_TYPE_TXT, 0,
			     mixed);
		}
		if (i % 50 == 1) { /* a user's CAA lookup */
			snprintf(name, sizeof(name), "zone%u.com", rnd() % N_ZONES);
			push(&v, (uint64_t)(frand() * SPAN_S * 1e9), r, name, DNS_TYPE_CAA, 0,
			     mixed);
		}
	}
	/* CA attempts, some right after an ACME client's propagation polling, some
	 * while a resolver digs the same name */
	for (unsigned a = 0; a < N_ATTEMPTS; a++) {
		uint64_t t0 = 60 * SEC + (uint64_t)(frand() * (SPAN_S - 120) * 1e9);
		snprintf(name, sizeof(name), "w%u.zone%u.com", a, rnd() % N_ZONES);
		if (a % (N_ATTEMPTS / N_POLLERS) == 0) {
			struct dcv_addr p = poller_addr(a / (N_ATTEMPTS / N_POLLERS));
			char q[112];
			snprintf(q, sizeof(q), "_acme-challenge.%s", name);
			unsigned polls = 3 + rnd() % 4;
			for (unsigned k = 0; k < polls; k++)
				push(&v, t0 - (polls - k) * 2 * SEC, p, q, DNS_TYPE_TXT,
				     k + 1 < polls ? DNS_RCODE_NXDOMAIN : 0, false);
		}
		if (a % 25 == 3) {
			char q[112];
			snprintf(q, sizeof(q), "_acme-challenge.%s", name);
			push(&v, t0 + SEC, resolver_addr(a), q, DNS_TYPE_TXT, 0, a % 2);
		}
		gen_attempt(&v, t0, name);
	}
	qsort(v.e, v.n, sizeof(*v.e), by_ts);

	struct mpic *m = mpic_new(NULL, NULL);
	cr_assert_not_null(m);
	uint64_t next_adv = SEC;
	struct timespec b, e;
	clock_gettime(CLOCK_MONOTONIC, &b);
	for (size_t i = 0; i < v.n; i++) {
		const struct ev *x = &v.e[i];
		if (x->ts >= next_adv) {
			mpic_advance(m, x->ts);
			next_adv = x->ts + SEC;
		}
		struct mpic_txn t = {
		    .ts_ns = x->ts,
		    .source = x->src,
		    .qname = x->name,
		    .qname_len = (uint16_t)strlen(x->name),
		    .qtype = x->qtype,
		    .mixed_case = x->mixed,
		    .edns = true,
		    .do_bit = true,
		    .edns_udp_size = 1232,
		    .rcode = x->rcode,
		    .answers = x->rcode == 0,
		    .region = "unknown",
		};
		mpic_on_txn(m, &t);
	}
	mpic_finish(m);
	clock_gettime(CLOCK_MONOTONIC, &e);
	double ns =
	    ((double)(e.tv_sec - b.tv_sec) * 1e9 + (double)(e.tv_nsec - b.tv_nsec)) / (double)v.n;

	/* ground truth: every CA address and every other source that sent anything */
	struct verdict vd = {0};
	bool seen_ca[3][8][4] = {{{0}}};
	for (size_t i = 0; i < v.n; i++) {
		const struct dcv_addr *a = &v.e[i].src;
		if (is_ca(a))
			seen_ca[a->bytes[0] - 11][(a->bytes[1] - 10) / 7][a->bytes[3] - 20] = true;
	}
	for (unsigned c = 0; c < 3; c++)
		for (unsigned g = 0; g < 8; g++)
			for (unsigned h = 0; h < 4; h++)
				vd.validators += seen_ca[c][g][h];
	vd.ordinary = N_RESOLVERS + N_POLLERS;
	mpic_foreach_source(m, MPIC_CONF_MEDIUM, tally, &vd);
	struct verdict high = {0};
	mpic_foreach_source(m, MPIC_CONF_HIGH, tally, &high);
	const struct mpic_stats *st = mpic_get_stats(m);
	printf("population: %zu txns, %.0f ns/txn; attempts %llu (corroborated %llu, at risk "
	       "%llu, failed %llu)\n",
	       v.n, ns, (unsigned long long)st->attempts, (unsigned long long)st->corroborated,
	       (unsigned long long)st->at_risk, (unsigned long long)st->failed);
	printf("population: validators %u, found >= MEDIUM %u (HIGH %u); ordinary %u, flagged "
	       ">= MEDIUM %u (HIGH %u)\n",
	       vd.validators, vd.validators_found, high.validators_found, vd.ordinary,
	       vd.ordinary_flagged, high.ordinary_flagged);
	cr_expect_geq(vd.validators_found * 100, vd.validators * 95, "recall %u/%u",
	              vd.validators_found, vd.validators);
	cr_expect_leq(vd.ordinary_flagged * 100, vd.ordinary * 1, "false positives %u/%u",
	              vd.ordinary_flagged, vd.ordinary);
	mpic_free(m);
	free(v.e);
}
