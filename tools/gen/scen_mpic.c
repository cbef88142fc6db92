/*
 * scen_mpic.c - CA validation traffic (multi-perspective issuance
 * corroboration, BR 3.2.2.9) inside heavy ordinary resolver traffic, at an
 * authoritative server (192.0.2.53, 2001:db8::53) for example.com,
 * example.net, example.org, shop.example and legacy.example. The capture
 * lasts MPIC_DURATION_S seconds. Ground truth: gen_expect.h.
 *
 * Ordinary traffic (--packets scales it): MPIC_RESOLVERS resolver addresses
 * (about 22 % IPv6) ask A/AAAA/MX/NS/TXT/DNSKEY/DS/SOA for ~1,400 names, 4 %
 * of them nonexistent (NXDOMAIN) and 0.5 % outside the served zones
 * (REFUSED); 0.3 % of the queries are dropped (only while >= 6 s remain).
 * Each resolver has a profile: 0x20 mixed case (15 %), EDNS 1232 or 4096
 * with or without DO, or no EDNS; qname minimisation (30 %: the ancestors
 * below the zone apex are asked first, with qtype A as Unbound does or NS as
 * Knot Resolver does). An answer with TC=1 (DNSKEY with DO over 1232 bytes,
 * anything over 512 without EDNS) is asked again over TCP. Four
 * public-resolver-like sources carry a quarter of the queries. Traps: six
 * ordinary resolvers and one public resolver, once they have asked 100 other
 * questions, now and then ask TXT _acme-challenge.X or CAA X (someone
 * checking a setup; a customer's CAA monitoring): they are not validators.
 *
 * Validation traffic: MPIC_ATTEMPTS attempts by the CAs of gen_ca.c, spread
 * over the capture, each by all of the CA's sites (one address per site per
 * attempt); methods dns-01, dns-account-01, dns-persist-01, DigiCert
 * _dnsauth TXT/CNAME, HTTP-01 (A+AAAA); then CAA for the name and every
 * ancestor down to the zone apex, in parallel per perspective. Cold caches:
 * every perspective asks every question itself, every attempt. Injected,
 * by attempt (deterministic from the seed):
 *   drop           1-3 perspectives get no answer at all (each question is
 *                  sent the CA's number of tries, new port and id each time)
 *   caa-burst      1-3 perspectives: every CAA but the first is dropped
 *   servfail-caa   1-3 perspectives get SERVFAIL for the apex CAA
 *   tc             the challenge TXT holds MPIC_STALE_TOKENS records (stale
 *                  tokens): TC=1 over UDP, retried over TCP; 0-3 perspectives'
 *                  SYNs are answered by RST (or, one in three, never)
 *   nx             the challenge record is missing (NXDOMAIN): the CA does
 *                  not go on to CAA
 *   cancelled      Let's Encrypt only: 1-2 remote perspectives never ask
 * and by zone: shop.example refuses APNIC validator networks (REFUSED, geo
 * blocking); legacy.example answers CAA with NOTIMP.
 * A CA goes on to CAA (except Sectigo, which asks CAA with the challenge)
 * only when the primary's challenge was answered and the failed remote
 * perspectives stay within the quorum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_ca.h"
#include "gen_flush.h"
#include "gen_scenarios.h"
#include "gen_txn.h"
#include "gen_vdns.h"

#define MPIC_DURATION_S      600
#define MPIC_ATTEMPTS        360
#define MPIC_FIRST_ATTEMPT_S 3
#define MPIC_LAST_ATTEMPT_S  (MPIC_DURATION_S - 25) /* every attempt ends >= 15 s early */
#define MPIC_BUSY_NS                                                                               \
	((GEN_ATTEMPT_SPAN_S + 1) * GEN_NS_PER_S)  /* one attempt per address at a time */
#define MPIC_SAME_NAME_NS    (45 * GEN_NS_PER_S)   /* GEN_ATTEMPT_SAME_NAME_GAP_S + a span */
#define MPIC_DELAY_STEP_NS   (100 * GEN_NS_PER_MS) /* wait for a free site address */
#define MPIC_STALE_TOKENS    24                    /* 24 x 56 bytes: over 1232 */
#define MPIC_RESOLVERS       2500
#define MPIC_BIG             4 /* resolvers 0..3: public-resolver-like */
#define MPIC_TRAPS           6 /* resolvers 4..9 */
#define MPIC_FIRST_PLAIN     (MPIC_BIG + MPIC_TRAPS)
#define MPIC_BIG_SHARE       250 /* per mille of ordinary queries */
#define MPIC_TRAP_SHARE      8   /* per mille, each trap */
#define MPIC_TRAP_AFTER      100 /* other questions before the first validation-shaped one */
#define MPIC_TRAP_PM         30  /* per mille of a trap's later queries are validation-shaped */
#define MPIC_PUBLIC_TRAP_PM  1   /* the same for the public resolver that is a trap */
#define MPIC_ORD_QUERIES_MIN 40000
/* ordinary queries by default: about 300,000 packets in all */
#define MPIC_ORD_QUERIES_DEFAULT 120000
#define MPIC_VALIDATION_PACKETS  14000 /* roughly, for --packets */
#define MPIC_ORD_PACKETS_PER_Q   2.39  /* qmin steps and TCP retries included */
#define MPIC_DROP_MARGIN_NS      (6 * GEN_NS_PER_S)
#define MPIC_NAME_MAX            96
#define MPIC_ACCOUNTS            4

enum {
	QT_A = 1,
	QT_NS = 2,
	QT_CNAME = 5,
	QT_SOA = 6,
	QT_MX = 15,
	QT_TXT = 16,
	QT_AAAA = 28,
	QT_DS = 43,
	QT_DNSKEY = 48,
	QT_CAA = 257,
	RC_NOTIMP = 4,
};

static const char *const zones[] = {"example.com", "example.net", "example.org", "shop.example",
                                    "legacy.example"};
#define NZONES 5
static const unsigned zone_share[NZONES] = {300, 260, 260, 120, 60};
enum { ZONE_GEO = 3, ZONE_NOTIMP = 4 };
static const char *const geo_blocked_region = "apnic";

/* Names under each zone that certificates are requested for ("" = apex). */
static const char *const vlabels[] = {"",       "www",    "mail",        "api",    "shop",
                                      "blog",   "app",    "static",      "portal", "vpn",
                                      "dev",    "login",  "cdn",         "secure", "a.b",
                                      "api.eu", "api.us", "www.staging", "x.y.z",  "status"};
#define NVLABELS 20
#define NHOSTS   200 /* h000..h199 */
#define NSVC     20  /* svc00..svc19 under eu, us, ap */
#define PER_ZONE (NVLABELS + NHOSTS + 3 * NSVC)
#define NVNAMES  (NZONES * NVLABELS)

enum inject { INJ_NONE = 0, INJ_DROP, INJ_CAA_BURST, INJ_SERVFAIL_CAA, INJ_TC, INJ_NX };

struct persp_plan {
	uint8_t site, addr;
	uint32_t off_us;     /* first query, after the attempt's start */
	uint32_t caa_off_us; /* CAA phase, after the phase's start */
	bool drop_all, drop_caa, servfail_caa, refused;
	uint8_t tcp_fail; /* 0 none, 1 RST, 2 SYN never answered */
};

struct attempt {
	uint64_t start;
	uint8_t ca, method, zone, account;
	uint16_t vname;
	bool tc, nx;
	unsigned np;
	struct persp_plan p[GEN_PERSPECTIVES_MAX];
};

enum role { R_PLAIN = 0, R_BIG, R_TRAP, R_MONITOR };

struct resolver {
	struct dcv_addr addr;
	uint8_t role;
	bool mixcase, edns, do_bit, qmin, qmin_ns, trap;
	uint16_t udp_size;
	uint32_t queries, other, shaped, tcp;
};

struct vstate {
	uint64_t busy_until;
	bool used, shaped, tcp;
};

struct mpic {
	struct gen_ctx *g;
	uint64_t end_ns;
	char (*names)[MPIC_NAME_MAX]; /* NZONES * PER_ZONE ordinary names */
	struct resolver *res;
	struct attempt *att;
	unsigned natt;
	uint64_t next_name_ns[NVNAMES];
	struct vstate v[GEN_NCAS][GEN_CA_SITES_MAX][GEN_CA_SITE_ADDRS_MAX];
	char accounts[MPIC_ACCOUNTS][17];
	uint64_t max_span_ns;
};

/* ------------------------------------------------------------------ names */

static void vname_text(unsigned v, char *out, size_t cap)
{
	const char *label = vlabels[v % NVLABELS], *zone = zones[v / NVLABELS];
	if (*label)
		snprintf(out, cap, "%s.%s", label, zone);
	else
		snprintf(out, cap, "%s", zone);
}

static void make_names(struct mpic *s)
{
	for (unsigned z = 0; z < NZONES; z++) {
		char(*n)[MPIC_NAME_MAX] = s->names + z * PER_ZONE;
		unsigned k = 0;
		for (unsigned i = 0; i < NVLABELS; i++)
			vname_text(z * NVLABELS + i, n[k++], MPIC_NAME_MAX);
		for (unsigned i = 0; i < NHOSTS; i++)
			snprintf(n[k++], MPIC_NAME_MAX, "h%03u.%s", i, zones[z]);
		static const char *const regions[] = {"eu", "us", "ap"};
		for (unsigned r = 0; r < 3; r++)
			for (unsigned i = 0; i < NSVC; i++)
				snprintf(n[k++], MPIC_NAME_MAX, "svc%02u.%s.%s", i, regions[r],
				         zones[z]);
	}
}

static unsigned pick_share(struct gen_rng *r, const unsigned *share, unsigned n)
{
	unsigned total = 0;
	for (unsigned i = 0; i < n; i++)
		total += share[i];
	uint64_t x = gen_rng_below(r, total);
	for (unsigned i = 0; i < n; i++) {
		if (x < share[i])
			return i;
		x -= share[i];
	}
	return n - 1;
}

/* The apex of a name: the last two labels. */
static const char *apex_of(const char *name)
{
	const char *last = NULL, *prev = NULL;
	for (const char *p = name; *p; p++)
		if (*p == '.') {
			prev = last;
			last = p;
		}
	return prev ? prev + 1 : name;
}

/* ------------------------------------------------------------ resolvers */

static struct dcv_addr plain_addr(unsigned i, bool v6)
{
	uint8_t b[16] = {0};
	uint64_t p = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
	if (!v6) {
		uint32_t x = (uint32_t)(((uint64_t)(i + 1) * 0x9e3779u) & 0xffffffu);
		b[0] = 10;
		b[1] = (uint8_t)(x >> 16);
		b[2] = (uint8_t)(x >> 8);
		b[3] = (uint8_t)x;
		return dcv_addr_v4(b);
	}
	b[0] = 0x20, b[1] = 0x01, b[2] = 0x0d, b[3] = 0xb8, b[4] = 0xe0;
	for (int k = 0; k < 8; k++)
		b[8 + k] = (uint8_t)(p >> (56 - 8 * k));
	return dcv_addr_v6(b);
}

static void make_resolvers(struct mpic *s)
{
	struct gen_rng *r = &s->g->rng;
	static const struct {
		const char *addr;
		uint8_t role;
		bool mixcase, edns, do_bit, trap;
		uint16_t udp;
	} fixed[MPIC_FIRST_PLAIN] = {
	    {"100.64.8.8", R_BIG, false, true, true, false, 4096},
	    {"100.64.1.1", R_BIG, true, true, true, true, 1232},
	    {"2001:db8:aaaa::8888", R_BIG, true, true, true, false, 1232},
	    {"2001:db8:aaaa::1111", R_BIG, false, true, true, false, 1232},
	    {"100.70.0.4", R_TRAP, false, true, false, true, 4096},
	    {"100.70.0.5", R_TRAP, false, true, true, true, 1232},
	    {"100.70.0.6", R_TRAP, false, false, false, true, 0},
	    {"2001:db8:aaab::7", R_TRAP, true, true, true, true, 1232},
	    {"100.70.0.8", R_MONITOR, false, true, false, true, 1232},
	    {"2001:db8:aaab::9", R_MONITOR, false, true, true, true, 1232},
	};
	for (unsigned i = 0; i < MPIC_RESOLVERS; i++) {
		struct resolver *x = &s->res[i];
		memset(x, 0, sizeof(*x));
		if (i < MPIC_FIRST_PLAIN) {
			if (!dcv_addr_parse(fixed[i].addr, &x->addr))
				abort();
			x->role = fixed[i].role;
			x->mixcase = fixed[i].mixcase;
			x->edns = fixed[i].edns;
			x->do_bit = fixed[i].do_bit;
			x->udp_size = fixed[i].udp;
			x->trap = fixed[i].trap;
			continue;
		}
		bool v6 = gen_rng_chance(r, 220);
		x->addr = plain_addr(i, v6);
		x->mixcase = gen_rng_chance(r, 150);
		unsigned e = (unsigned)gen_rng_below(r, 100);
		x->edns = e < 90;
		x->do_bit = e < 70;
		x->udp_size = (e >= 55 && e < 70) || (e >= 82 && e < 90) ? 4096 : 1232;
		if (v6)
			x->udp_size = 1232; /* no unfragmented 1.7 KB IPv6 answers */
		x->qmin = gen_rng_chance(r, 300);
		x->qmin_ns = gen_rng_chance(r, 500);
	}
}

static unsigned pick_resolver(struct gen_rng *r)
{
	unsigned x = (unsigned)gen_rng_below(r, 1000);
	if (x < MPIC_BIG_SHARE)
		return (unsigned)gen_rng_below(r, MPIC_BIG);
	x -= MPIC_BIG_SHARE;
	if (x < MPIC_TRAP_SHARE * MPIC_TRAPS)
		return MPIC_BIG + x / MPIC_TRAP_SHARE;
	/* a third of the plain resolvers are three times as busy */
	unsigned n = MPIC_RESOLVERS - MPIC_FIRST_PLAIN;
	if (gen_rng_chance(r, 500))
		return MPIC_FIRST_PLAIN + (unsigned)gen_rng_below(r, n / 3);
	return MPIC_FIRST_PLAIN + (unsigned)gen_rng_below(r, n);
}

/* ------------------------------------------------------------ ordinary */

static uint16_t pick_qtype(struct gen_rng *r, bool do_bit)
{
	unsigned x = (unsigned)gen_rng_below(r, 1000);
	if (x < 440)
		return QT_A;
	if (x < 680)
		return QT_AAAA;
	if (x < 730)
		return QT_MX;
	if (x < 770)
		return QT_NS;
	if (x < 840)
		return QT_TXT;
	if (x < 900)
		return QT_SOA;
	if (x < 960)
		return do_bit ? QT_DNSKEY : QT_A;
	return do_bit ? QT_DS : QT_AAAA;
}

static void count_query(struct resolver *x, bool shaped)
{
	x->queries++;
	if (shaped)
		x->shaped++;
	else
		x->other++;
}

/* An ordinary transaction; a TC=1 answer is asked again over TCP. */
static void ord_txn(struct mpic *s, struct resolver *x, uint64_t t, const char *name,
                    uint16_t qtype, int rcode, enum gen_vrec kind, bool shaped)
{
	struct gen_ctx *g = s->g;
	char wire[MPIC_NAME_MAX + 40];
	if (x->mixcase)
		gen_vdns_0x20(&g->rng, name, wire, sizeof(wire));
	else
		snprintf(wire, sizeof(wire), "%s", name);
	struct gen_query q = {.id = gen_random_id(g),
	                      .qname = wire,
	                      .qtype = qtype,
	                      .edns = x->edns,
	                      .do_bit = x->do_bit,
	                      .udp_size = x->udp_size};
	struct gen_flow f = gen_flow_to_server(g, &x->addr);
	gen_dns_query(&g->msg, &q);
	gen_udp(g, t, &f, true, &g->msg);
	count_query(x, shaped);
	if (t + MPIC_DROP_MARGIN_NS < s->end_ns && gen_rng_chance(&g->rng, 3)) {
		gen_unanswered(g, &x->addr);
		return;
	}
	uint64_t lat = gen_rng_range(&g->rng, 50000, 1500000);
	gen_vdns_response(&g->msg, &q, kind, 1, rcode, gen_dns_udp_limit(&q));
	gen_udp(g, t + lat, &f, false, &g->msg);
	gen_answered(g);
	if (!(g->msg.buf[2] & 0x02))
		return;
	/* TC=1: the same question over TCP */
	struct gen_flow tf = gen_flow_to_server(g, &x->addr);
	struct gen_tcp tcp;
	gen_tcp_init(g, &tcp, &tf);
	uint64_t ts = gen_tcp_handshake(g, t + lat + 300000, &tcp, 2 * GEN_NS_PER_MS);
	q.id = gen_random_id(g);
	gen_dns_query(&g->msg, &q);
	gen_tcp_dns(g, ts + 100000, &tcp, true, &g->msg);
	count_query(x, shaped);
	gen_vdns_response(&g->msg, &q, kind, 1, rcode, 0);
	gen_tcp_dns(g, ts + 100000 + lat, &tcp, false, &g->msg);
	gen_answered(g);
	gen_tcp_close(g, ts + 2 * GEN_NS_PER_MS, &tcp, false, GEN_NS_PER_MS);
	x->tcp++;
}

static void emit_ordinary(struct mpic *s, uint64_t t)
{
	struct gen_ctx *g = s->g;
	struct gen_rng *r = &g->rng;
	struct resolver *x = &s->res[pick_resolver(r)];
	char name[MPIC_NAME_MAX + 32];

	/* a trap's validation-shaped question */
	if (x->trap && x->other >= MPIC_TRAP_AFTER &&
	    gen_rng_chance(r, x->role == R_BIG ? MPIC_PUBLIC_TRAP_PM : MPIC_TRAP_PM)) {
		unsigned v = (unsigned)gen_rng_below(r, NVNAMES);
		char base[MPIC_NAME_MAX];
		vname_text(v, base, sizeof(base));
		if (x->role == R_MONITOR || gen_rng_chance(r, 400)) {
			/* CAA of the name or its zone; NOTIMP in legacy.example */
			const char *n = x->role == R_MONITOR ? apex_of(base) : base;
			ord_txn(s, x, t, n, QT_CAA, v / NVLABELS == ZONE_NOTIMP ? RC_NOTIMP : 0,
			        GEN_VREC_NONE, true);
		} else {
			snprintf(name, sizeof(name), "_acme-challenge.%s", base);
			ord_txn(s, x, t, name, QT_TXT, GEN_NOERROR, GEN_VREC_ACME, true);
		}
		return;
	}

	unsigned z = pick_share(r, zone_share, NZONES);
	uint16_t qtype = pick_qtype(r, x->do_bit);
	int rcode = GEN_NOERROR;
	unsigned u = (unsigned)gen_rng_below(r, 1000);
	if (u < 5) {
		snprintf(name, sizeof(name), "www.not-served%u.test",
		         (unsigned)gen_rng_below(r, 50));
		rcode = GEN_REFUSED;
	} else if (u < 45) {
		snprintf(name, sizeof(name), "nx%05u.%s", (unsigned)gen_rng_below(r, 100000),
		         zones[z]);
		rcode = GEN_NXDOMAIN;
	} else if (qtype == QT_DNSKEY || qtype == QT_DS || qtype == QT_SOA || qtype == QT_NS ||
	           (qtype == QT_MX && gen_rng_chance(r, 800))) {
		snprintf(name, sizeof(name), "%s", zones[z]);
	} else {
		unsigned k = (unsigned)gen_rng_below(r, 100);
		unsigned i = k < 50   ? (unsigned)gen_rng_below(r, NVLABELS)
		             : k < 85 ? NVLABELS + (unsigned)gen_rng_below(r, NHOSTS)
		                      : NVLABELS + NHOSTS + (unsigned)gen_rng_below(r, 3 * NSVC);
		snprintf(name, sizeof(name), "%s", s->names[z * PER_ZONE + i]);
	}

	/* qname minimisation: the ancestors between the apex and the name first */
	if (x->qmin && rcode != GEN_REFUSED) {
		const char *apex = apex_of(name);
		const char *steps[4];
		unsigned n = 0;
		for (const char *p = name; p < apex && n < 4; p++)
			if (*p == '.' && p + 1 < apex)
				steps[n++] = p + 1;
		for (unsigned k = n; k-- > 0;) {
			ord_txn(s, x, t, steps[k], x->qmin_ns ? QT_NS : QT_A, rcode, GEN_VREC_NONE,
			        false);
			t += gen_rng_range(r, 200000, 3000000);
		}
	}
	ord_txn(s, x, t, name, qtype, rcode, GEN_VREC_NONE, false);
}

/* ------------------------------------------------------------ planning */

static bool vname_free(const struct mpic *s, unsigned v, uint64_t start)
{
	return s->next_name_ns[v] <= start;
}

static int pick_vname(struct mpic *s, unsigned zone, uint64_t start)
{
	struct gen_rng *r = &s->g->rng;
	for (int tries = 0; tries < 20; tries++) {
		unsigned v = zone * NVLABELS + (unsigned)gen_rng_below(r, NVLABELS);
		if (vname_free(s, v, start))
			return (int)v;
	}
	for (unsigned v = 0; v < NVNAMES; v++)
		if (vname_free(s, v, start))
			return (int)v;
	return -1;
}

/* Picks a free address at every site; false when some site has none free at start. */
static bool pick_addrs(struct mpic *s, struct attempt *a)
{
	const struct gen_ca *ca = &gen_cas[a->ca];
	struct gen_rng *r = &s->g->rng;
	for (unsigned k = 0; k < ca->nsites; k++) {
		unsigned n = gen_ca_site_addrs(&ca->sites[k]);
		unsigned first = (unsigned)gen_rng_below(r, n), i;
		for (i = 0; i < n; i++)
			if (s->v[a->ca][k][(first + i) % n].busy_until <= a->start)
				break;
		if (i == n)
			return false;
		a->p[k].site = (uint8_t)k;
		a->p[k].addr = (uint8_t)((first + i) % n);
	}
	return true;
}

static bool txt_method(unsigned m)
{
	return m == GEN_M_DNS01 || m == GEN_M_ACCOUNT01 || m == GEN_M_PERSIST01 ||
	       m == GEN_M_DNSAUTH_TXT;
}

/* How many perspectives an injected failure hits: 1 (60 %), 2 (25 %) or 3. */
static unsigned pick_k(struct gen_rng *r, unsigned np)
{
	unsigned x = (unsigned)gen_rng_below(r, 100);
	unsigned k = x < 60 ? 1 : x < 85 ? 2 : 3;
	return k < np ? k : np;
}

/* Sets chosen[] for k distinct perspectives of np. */
static void choose_distinct(struct gen_rng *r, unsigned np, unsigned k, bool *chosen)
{
	memset(chosen, 0, np * sizeof(*chosen));
	for (unsigned c = 0; c < k;) {
		unsigned i = (unsigned)gen_rng_below(r, np);
		if (!chosen[i]) {
			chosen[i] = true;
			c++;
		}
	}
}

static int persp_cmp(const void *a, const void *b)
{
	const struct persp_plan *x = a, *y = b;
	return x->off_us < y->off_us ? -1 : x->off_us > y->off_us;
}

static void plan(struct mpic *s)
{
	struct gen_rng *r = &s->g->rng;
	unsigned ca_share[GEN_NCAS];
	for (unsigned c = 0; c < GEN_NCAS; c++)
		ca_share[c] = gen_cas[c].share;
	const uint64_t first = GEN_EPOCH_NS + MPIC_FIRST_ATTEMPT_S * GEN_NS_PER_S;
	const uint64_t spacing =
	    (MPIC_LAST_ATTEMPT_S - MPIC_FIRST_ATTEMPT_S) * GEN_NS_PER_S / MPIC_ATTEMPTS;
	uint64_t prev = 0;
	for (unsigned i = 0; i < MPIC_ATTEMPTS; i++) {
		struct attempt *a = &s->att[s->natt];
		memset(a, 0, sizeof(*a));
		a->start = first + i * spacing + gen_rng_below(r, spacing / 2);
		a->start -= a->start % 1000; /* microseconds */
		if (a->start <= prev)
			a->start = prev + GEN_NS_PER_MS;
		a->ca = (uint8_t)pick_share(r, ca_share, GEN_NCAS);
		const struct gen_ca *ca = &gen_cas[a->ca];
		a->method = (uint8_t)pick_share(r, ca->method_share, GEN_M_COUNT);
		a->zone = (uint8_t)pick_share(r, zone_share, NZONES);
		a->account = (uint8_t)gen_rng_below(r, MPIC_ACCOUNTS);
		while (!pick_addrs(s, a))
			a->start += MPIC_DELAY_STEP_NS;
		int v = pick_vname(s, a->zone, a->start);
		if (v < 0)
			continue; /* every name validated recently: no attempt */
		a->vname = (uint16_t)v;
		a->zone = (uint8_t)(v / NVLABELS);
		s->next_name_ns[v] = a->start + MPIC_SAME_NAME_NS;
		a->np = ca->nsites;
		for (unsigned k = 0; k < a->np; k++) {
			struct persp_plan *p = &a->p[k];
			s->v[a->ca][p->site][p->addr].busy_until = a->start + MPIC_BUSY_NS;
			p->off_us = k == 0 ? 0
			                   : (uint32_t)gen_rng_range(r, ca->remote_min_ms * 1000,
			                                             ca->remote_max_ms * 1000) +
			                         k;
			p->caa_off_us = k == 0
			                    ? 0
			                    : (uint32_t)gen_rng_range(r, ca->remote_min_ms * 1000,
			                                              ca->remote_max_ms * 1000);
			p->refused = a->zone == ZONE_GEO &&
			             strcmp(ca->sites[p->site].region, geo_blocked_region) == 0;
		}
		/* Boulder cancels straggling remote perspectives once the outcome is known */
		if (ca->cancels && gen_rng_chance(r, 150)) {
			unsigned drop = gen_rng_chance(r, 700) ? 1 : 2;
			for (unsigned d = 0; d < drop; d++) {
				unsigned k = 1 + (unsigned)gen_rng_below(r, a->np - 1);
				a->p[k] = a->p[a->np - 1];
				a->np--;
			}
		}
		unsigned x = (unsigned)gen_rng_below(r, 1000);
		enum inject inj = x < 100   ? INJ_DROP
		                  : x < 160 ? INJ_CAA_BURST
		                  : x < 220 ? INJ_SERVFAIL_CAA
		                  : x < 340 ? INJ_TC
		                  : x < 390 ? INJ_NX
		                            : INJ_NONE;
		if (inj == INJ_TC &&
		    !(txt_method(a->method) && ca->udp_size <= GEN_SERVER_UDP_SIZE))
			inj = INJ_NONE;
		if (inj == INJ_NX && a->method == GEN_M_HTTP01)
			inj = INJ_NONE;
		bool chosen[GEN_PERSPECTIVES_MAX];
		switch (inj) {
		case INJ_DROP:
		case INJ_CAA_BURST:
		case INJ_SERVFAIL_CAA:
			choose_distinct(r, a->np, pick_k(r, a->np), chosen);
			for (unsigned k = 0; k < a->np; k++) {
				a->p[k].drop_all = chosen[k] && inj == INJ_DROP;
				a->p[k].drop_caa = chosen[k] && inj == INJ_CAA_BURST;
				a->p[k].servfail_caa = chosen[k] && inj == INJ_SERVFAIL_CAA;
			}
			break;
		case INJ_TC: {
			a->tc = true;
			unsigned y = (unsigned)gen_rng_below(r, 100);
			unsigned k = y < 40 ? 0 : y < 75 ? 1 : y < 90 ? 2 : 3;
			choose_distinct(r, a->np, k < a->np ? k : a->np, chosen);
			for (unsigned i2 = 0; i2 < a->np; i2++)
				if (chosen[i2])
					a->p[i2].tcp_fail = gen_rng_chance(r, 333) ? 2 : 1;
			break;
		}
		case INJ_NX:
			a->nx = true;
			break;
		default:
			break;
		}
		qsort(a->p, a->np, sizeof(a->p[0]), persp_cmp);
		for (unsigned k = 1; k < a->np; k++) /* distinct first-query times */
			if (a->p[k].off_us <= a->p[k - 1].off_us)
				a->p[k].off_us = a->p[k - 1].off_us + 1;
		prev = a->start;
		s->natt++;
	}
}

/* ------------------------------------------------------------ emission */

struct vq {
	char name[MPIC_NAME_MAX + 40];
	uint16_t qtype;
	enum gen_vrec kind;
	bool challenge; /* the record the CA looks for: big when a->tc, absent when a->nx */
};

static enum gen_outcome outcome_of(int rcode, unsigned answers)
{
	switch (rcode) {
	case GEN_NOERROR:
		return answers ? GEN_OUT_ANSWERED : GEN_OUT_NEGATIVE;
	case GEN_NXDOMAIN:
		return GEN_OUT_NEGATIVE;
	case GEN_REFUSED:
		return GEN_OUT_REFUSED;
	case GEN_SERVFAIL:
		return GEN_OUT_SERVFAIL;
	default:
		return GEN_OUT_OTHER_RCODE;
	}
}

static bool shaped(const struct vq *q)
{
	return q->qtype == QT_CAA || q->name[0] == '_';
}

struct emit {
	struct mpic *s;
	const struct attempt *a;
	const struct gen_ca *ca;
	uint64_t last_ns;
};

/* One question of a perspective at t; returns its outcome. */
static enum gen_outcome ask(struct emit *e, const struct persp_plan *p, uint64_t t,
                            const struct vq *v, bool drop, int rcode)
{
	struct gen_ctx *g = e->s->g;
	const struct gen_ca *ca = e->ca;
	const struct gen_ca_site *site = &ca->sites[p->site];
	struct vstate *vs = &e->s->v[e->a->ca][p->site][p->addr];
	struct dcv_addr addr = gen_ca_site_addr(site, p->addr);
	if (!vs->used) {
		vs->used = true;
		gen_expect_add_validator(&g->exp, &addr, ca->id, site->region, ca->listed);
	}
	if (shaped(v))
		vs->shaped = true;
	char wire[sizeof(v->name)];
	if (ca->mixcase)
		gen_vdns_0x20(&g->rng, v->name, wire, sizeof(wire));
	else
		snprintf(wire, sizeof(wire), "%s", v->name);
	struct gen_query q = {.qname = wire,
	                      .qtype = v->qtype,
	                      .edns = true,
	                      .do_bit = ca->do_bit,
	                      .udp_size = ca->udp_size};
	if (drop) {
		for (unsigned k = 0; k < ca->tries; k++) {
			uint64_t tk = t + k * (uint64_t)ca->retry_ms * GEN_NS_PER_MS;
			struct gen_flow f = gen_flow_to_server(g, &addr);
			q.id = gen_random_id(g);
			gen_dns_query(&g->msg, &q);
			gen_udp(g, tk, &f, true, &g->msg);
			gen_unanswered(g, &addr);
			if (tk > e->last_ns)
				e->last_ns = tk;
		}
		return GEN_OUT_UNANSWERED;
	}
	struct gen_flow f = gen_flow_to_server(g, &addr);
	q.id = gen_random_id(g);
	gen_dns_query(&g->msg, &q);
	gen_udp(g, t, &f, true, &g->msg);
	unsigned ntxt = v->challenge && e->a->tc ? MPIC_STALE_TOKENS : 1;
	uint64_t lat = gen_rng_range(&g->rng, 80000, 900000);
	gen_vdns_response(&g->msg, &q, v->kind, ntxt, rcode, gen_dns_udp_limit(&q));
	gen_udp(g, t + lat, &f, false, &g->msg);
	gen_answered(g);
	uint64_t last = t + lat;
	enum gen_outcome o;
	if (!(g->msg.buf[2] & 0x02)) {
		o = outcome_of(rcode, gen_vdns_answer_count(&g->msg));
	} else {
		/* TC=1: the resolver asks again over TCP */
		struct gen_flow tf = gen_flow_to_server(g, &addr);
		uint64_t ts = t + lat + 200000;
		uint64_t rtt = (20 + 15 * (uint64_t)p->site) * GEN_NS_PER_MS;
		if (p->tcp_fail == 1) {
			gen_tcp_reject(g, ts, &tf, 100000);
			o = GEN_OUT_TCP_FAILURE;
			last = ts;
		} else if (p->tcp_fail == 2) {
			gen_tcp_filtered(g, ts, &tf);
			o = GEN_OUT_TCP_FAILURE;
			last = ts + GEN_NS_PER_S;
		} else {
			struct gen_tcp tcp;
			gen_tcp_init(g, &tcp, &tf);
			uint64_t ack = gen_tcp_handshake(g, ts, &tcp, rtt);
			q.id = gen_random_id(g);
			gen_dns_query(&g->msg, &q);
			gen_tcp_dns(g, ack + 50000, &tcp, true, &g->msg);
			gen_vdns_response(&g->msg, &q, v->kind, ntxt, rcode, 0);
			gen_tcp_dns(g, ack + 50000 + lat, &tcp, false, &g->msg);
			gen_answered(g);
			o = outcome_of(rcode, gen_vdns_answer_count(&g->msg));
			last = gen_tcp_close(g, ack + 50000 + lat + rtt / 2, &tcp, false, rtt / 2);
			vs->tcp = true;
		}
	}
	if (last > e->last_ns)
		e->last_ns = last;
	return o;
}

/* The DCV questions of a method for base name X; returns how many. */
static unsigned dcv_questions(const struct mpic *s, const struct attempt *a, const char *x,
                              struct vq *q)
{
	memset(q, 0, 2 * sizeof(*q));
	switch (a->method) {
	case GEN_M_DNS01:
		snprintf(q[0].name, sizeof(q[0].name), "_acme-challenge.%s", x);
		q[0].qtype = QT_TXT, q[0].kind = GEN_VREC_ACME, q[0].challenge = true;
		return 1;
	case GEN_M_ACCOUNT01:
		snprintf(q[0].name, sizeof(q[0].name), "_%s._acme-challenge.%s",
		         s->accounts[a->account], x);
		q[0].qtype = QT_TXT, q[0].kind = GEN_VREC_ACME, q[0].challenge = true;
		return 1;
	case GEN_M_PERSIST01:
		snprintf(q[0].name, sizeof(q[0].name), "_validation-persist.%s", x);
		q[0].qtype = QT_TXT, q[0].kind = GEN_VREC_PERSIST, q[0].challenge = true;
		return 1;
	case GEN_M_DNSAUTH_TXT:
	case GEN_M_DNSAUTH_CNAME: {
		uint16_t t = a->method == GEN_M_DNSAUTH_TXT ? QT_TXT : QT_CNAME;
		snprintf(q[0].name, sizeof(q[0].name), "_dnsauth.%s", x);
		q[0].qtype = t, q[0].kind = GEN_VREC_DNSAUTH, q[0].challenge = true;
		snprintf(q[1].name, sizeof(q[1].name), "%s", x);
		q[1].qtype = t, q[1].kind = GEN_VREC_NONE;
		return 2;
	}
	default: /* HTTP-01: A and AAAA together */
		snprintf(q[0].name, sizeof(q[0].name), "%s", x);
		q[0].qtype = QT_A;
		snprintf(q[1].name, sizeof(q[1].name), "%s", x);
		q[1].qtype = QT_AAAA;
		return 2;
	}
}

static enum gen_outcome worst(enum gen_outcome a, enum gen_outcome b)
{
	return a > b ? a : b;
}

static void emit_attempt(struct mpic *s, const struct attempt *a)
{
	struct gen_ctx *g = s->g;
	struct emit e = {s, a, &gen_cas[a->ca], a->start};
	char x[MPIC_NAME_MAX];
	vname_text(a->vname, x, sizeof(x));
	const char *apex = apex_of(x);

	struct gen_attempt_expect ae;
	memset(&ae, 0, sizeof(ae));
	snprintf(ae.name, sizeof(ae.name), "%s", x);
	snprintf(ae.ca, sizeof(ae.ca), "%s", e.ca->id);
	snprintf(ae.method, sizeof(ae.method), "%s", gen_method_name((enum gen_method)a->method));
	ae.first_ns = a->start;
	ae.nperspectives = a->np;
	for (unsigned k = 0; k < a->np; k++) {
		ae.p[k].addr = gen_ca_site_addr(&e.ca->sites[a->p[k].site], a->p[k].addr);
		ae.p[k].outcome = GEN_OUT_ANSWERED;
	}

	/* DCV phase: every perspective, its questions in parallel (20 us apart) */
	struct vq dq[2];
	unsigned ndq = dcv_questions(s, a, x, dq);
	enum gen_outcome primary_challenge = GEN_OUT_ANSWERED;
	unsigned remote_failed = 0;
	for (unsigned k = 0; k < a->np; k++) {
		const struct persp_plan *p = &a->p[k];
		uint64_t t = a->start + (uint64_t)p->off_us * 1000;
		enum gen_outcome dcv = GEN_OUT_ANSWERED;
		for (unsigned j = 0; j < ndq; j++) {
			int rcode = p->refused                 ? GEN_REFUSED
			            : a->nx && dq[j].challenge ? GEN_NXDOMAIN
			                                       : GEN_NOERROR;
			enum gen_outcome o = ask(&e, p, t + j * 20000, &dq[j], p->drop_all, rcode);
			if (k == 0 && j == 0)
				primary_challenge = o;
			dcv = worst(dcv, o);
		}
		ae.p[k].outcome = worst(ae.p[k].outcome, dcv);
		if (k > 0 && dcv > GEN_OUT_NEGATIVE)
			remote_failed++;
	}

	/* CAA phase: X and every ancestor down to the apex, in parallel */
	bool go =
	    e.ca->caa_after_ms == 0 || (primary_challenge == GEN_OUT_ANSWERED &&
	                                remote_failed <= gen_quorum_failures_allowed(a->np - 1));
	if (go) {
		uint64_t base =
		    e.ca->caa_after_ms == 0
		        ? a->start + 1000000
		        : a->start +
		              (uint64_t)(e.ca->remote_max_ms + e.ca->caa_after_ms) * GEN_NS_PER_MS;
		for (unsigned k = 0; k < a->np; k++) {
			const struct persp_plan *p = &a->p[k];
			uint64_t t = e.ca->caa_after_ms == 0
			                 ? a->start + (uint64_t)p->off_us * 1000 + 1000000
			                 : base + (uint64_t)p->caa_off_us * 1000;
			unsigned j = 0;
			for (const char *n = x;; j++) {
				struct vq v;
				memset(&v, 0, sizeof(v));
				snprintf(v.name, sizeof(v.name), "%s", n);
				v.qtype = QT_CAA;
				int rcode = p->refused                     ? GEN_REFUSED
				            : a->zone == ZONE_NOTIMP       ? RC_NOTIMP
				            : p->servfail_caa && n == apex ? GEN_SERVFAIL
				                                           : GEN_NOERROR;
				bool drop = p->drop_all || (p->drop_caa && (j > 0 || n == apex));
				enum gen_outcome o = ask(&e, p, t + j * 30000, &v, drop, rcode);
				ae.p[k].outcome = worst(ae.p[k].outcome, o);
				if (n == apex)
					break;
				n = strchr(n, '.') + 1;
			}
		}
	}
	if (e.last_ns - a->start > s->max_span_ns)
		s->max_span_ns = e.last_ns - a->start;
	gen_expect_add_attempt(&g->exp, &ae);
}

/* ------------------------------------------------------------ scenario */

static uint64_t ordinary_queries(const struct gen_options *o)
{
	if (o->packets == 0)
		return MPIC_ORD_QUERIES_DEFAULT;
	double q = o->packets > MPIC_VALIDATION_PACKETS
	               ? (double)(o->packets - MPIC_VALIDATION_PACKETS) / MPIC_ORD_PACKETS_PER_Q
	               : 0;
	return q < MPIC_ORD_QUERIES_MIN ? MPIC_ORD_QUERIES_MIN : (uint64_t)q;
}

static int finish(struct mpic *s)
{
	struct gen_ctx *g = s->g;
	struct gen_mpic_expect *m = &g->exp.mpic;
	m->present = true;
	for (unsigned i = 0; i < MPIC_RESOLVERS; i++) {
		const struct resolver *x = &s->res[i];
		if (x->queries)
			m->resolvers++;
		if (x->shaped && m->nsample < GEN_RESOLVER_SAMPLE_MAX)
			m->sample[m->nsample++] = x->addr;
		struct gen_source_expect *n = gen_expect_source(&g->exp, &x->addr);
		if (n != NULL && x->tcp) {
			fprintf(stderr, "mpic: named resolver used TCP\n");
			return -1;
		}
	}
	for (unsigned c = 0; c < GEN_NCAS; c++)
		for (unsigned k = 0; k < gen_cas[c].nsites; k++)
			for (unsigned i = 0; i < gen_ca_site_addrs(&gen_cas[c].sites[k]); i++) {
				const struct vstate *vs = &s->v[c][k][i];
				struct dcv_addr a = gen_ca_site_addr(&gen_cas[c].sites[k], i);
				struct gen_source_expect *n = gen_expect_source(&g->exp, &a);
				if (n != NULL)
					n->max_concurrent_tcp = vs->tcp ? 1 : 0;
				if (vs->used && !vs->shaped) {
					fprintf(stderr,
					        "mpic: a validator sent no validation query\n");
					return -1;
				}
			}
	if (s->max_span_ns >= GEN_ATTEMPT_SPAN_S * GEN_NS_PER_S || s->max_span_ns >= MPIC_BUSY_NS) {
		fprintf(stderr, "mpic: an attempt lasted too long\n");
		return -1;
	}
	return 0;
}

int scen_mpic(struct gen_ctx *g, const struct gen_options *o)
{
	struct mpic *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -1;
	s->g = g;
	s->end_ns = GEN_EPOCH_NS + MPIC_DURATION_S * GEN_NS_PER_S;
	s->names = calloc(NZONES * PER_ZONE, sizeof(*s->names));
	s->res = calloc(MPIC_RESOLVERS, sizeof(*s->res));
	s->att = calloc(MPIC_ATTEMPTS, sizeof(*s->att));
	int rc = -1;
	if (s->names == NULL || s->res == NULL || s->att == NULL)
		goto out;
	make_names(s);
	make_resolvers(s);
	for (unsigned i = 0; i < MPIC_ACCOUNTS; i++) {
		/* base32 of the first 10 bytes of SHA-256(account URI): 16 characters */
		for (unsigned k = 0; k < 16; k++)
			s->accounts[i][k] =
			    "abcdefghijklmnopqrstuvwxyz234567"[gen_rng_below(&g->rng, 32)];
		s->accounts[i][16] = '\0';
	}
	/* named sources: two ordinary resolvers (one a trap) and two validators */
	gen_expect_name_source(&g->exp, &s->res[0].addr);
	gen_expect_name_source(&g->exp, &s->res[MPIC_BIG].addr);
	struct dcv_addr le0 = gen_ca_site_addr(&gen_cas[0].sites[0], 0);
	struct dcv_addr gs0 = gen_ca_site_addr(&gen_cas[3].sites[0], 0);
	gen_expect_name_source(&g->exp, &le0);
	gen_expect_name_source(&g->exp, &gs0);

	plan(s);
	uint64_t nq = ordinary_queries(o);
	uint64_t span = MPIC_DURATION_S * GEN_NS_PER_S;
	unsigned ai = 0;
	for (uint64_t k = 0; k < nq; k++) {
		/* query k in the k-th slice of the capture: sorted, ending at the end */
		uint64_t t = GEN_EPOCH_NS + (uint64_t)(((unsigned __int128)span * k) / nq) +
		             gen_rng_below(&g->rng, span / nq);
		while (ai < s->natt && s->att[ai].start <= t)
			emit_attempt(s, &s->att[ai++]);
		emit_ordinary(s, t);
		if ((k & 1023) == 0) {
			uint64_t h = ai < s->natt && s->att[ai].start < t ? s->att[ai].start : t;
			gen_flush_before(g, h);
		}
	}
	while (ai < s->natt)
		emit_attempt(s, &s->att[ai++]);
	rc = g->failed ? -1 : finish(s);
out:
	free(s->names);
	free(s->res);
	free(s->att);
	free(s);
	return rc;
}
