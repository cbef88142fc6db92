/* gen_fault.c - the shared world of the fault-* scenarios (see gen_fault.h). */
#include "gen_fault.h"
#include "gen_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_txn.h"
#include "gen_vdns.h"

#define FIRST_ATTEMPT_S 3
#define LAST_ATTEMPT_S  (GEN_FAULT_DURATION_S - 25) /* attempts end >= 15 s early */
#define ADDR_BUSY_NS    (12 * GEN_NS_PER_S)         /* one attempt per address at a time */
#define DELAY_STEP_NS   (100 * GEN_NS_PER_MS)
#define TC_HEALTHY_PM   100 /* TXT challenges with stale tokens, where TCP works */
#define BATCH_FIRST_S   20
#define BATCH_EVERY_S   25 /* session-cap batches of one source */
#define RATE_EVERY_S    10 /* rate-limit batches of one source */
#define BATCH_LAST_S    (GEN_FAULT_DURATION_S - 20)
#define RATE_CAP_MAX    256
#define BATCH_NAMES_MAX 256
#define WAVES           30
#define WAVE_EVERY_NS   (5500 * GEN_NS_PER_MS)
#define NAME_MAX_TEXT   (GEN_FAULT_NAME_MAX - 40)
#define DEEP_NAMES      9

enum { QT_A = 1, QT_NS = 2, QT_SOA = 6, QT_MX = 15, QT_TXT = 16, QT_AAAA = 28, QT_CAA = 257 };

static const char *const zones[] = {"example.com", "example.net", "example.org"};
#define NZONES 3
static const char *const vlabels[] = {"",     "www",    "api",   "shop", "blog", "app",
                                      "mail", "portal", "login", "cdn",  "a.b",  "x.y.z"};
#define NVLABELS (sizeof(vlabels) / sizeof(vlabels[0]))

/* CA shares of the attempts (per mille) and their methods: gen_ca.c order. */
static const unsigned ca_share[GEN_NCAS] = {400, 250, 150, 200};
static const unsigned dns01_share[GEN_NCAS] = {700, 0, 650, 500}; /* rest HTTP-01 */

struct fw {
	struct gen_ctx *g;
	const struct gen_fault_spec *s;
	struct gen_fault_result *r;
	uint64_t t0;
	struct dcv_addr res[GEN_FAULT_RESOLVERS];
	bool res_used[GEN_FAULT_RESOLVERS];
	uint64_t busy_until[GEN_NCAS][GEN_CA_SITES_MAX][GEN_CA_SITE_ADDRS_MAX];
	bool vused[GEN_NCAS][GEN_CA_SITES_MAX][GEN_CA_SITE_ADDRS_MAX];
	struct {
		unsigned ca, site, addr;
	} batch[GEN_FAULT_BATCH_SOURCES];
	uint64_t ring[RATE_CAP_MAX]; /* rate limiter: last responses of one batch source */
	unsigned ring_n, ring_head;
};

/* ------------------------------------------------------------ helpers */

static void lower_copy(char *out, size_t cap, const char *in)
{
	size_t i;
	for (i = 0; in[i] && i + 1 < cap; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
	out[i] = '\0';
}

static void hit_name(struct gen_fault_result *r, const char *name)
{
	char low[GEN_FAULT_NAME_MAX];
	lower_copy(low, sizeof(low), name);
	for (unsigned i = 0; i < r->nnames; i++)
		if (strcmp(r->names[i], low) == 0)
			return;
	if (r->nnames < GEN_FAULT_NAMES_MAX)
		memcpy(r->names[r->nnames++], low, strlen(low) + 1);
}

static void hit_source(struct gen_fault_result *r, const struct dcv_addr *a, unsigned ca)
{
	r->ca_hit[ca] = true;
	for (unsigned i = 0; i < r->nsources; i++)
		if (dcv_addr_equal(&r->sources[i], a))
			return;
	if (r->nsources < GEN_FAULT_SOURCES_MAX)
		r->sources[r->nsources++] = *a;
}

/* The zone apex of a name: its last two labels. */
static const char *apex_of(const char *name)
{
	const char *last = NULL, *prev = NULL;
	for (const char *s = name; *s; s++)
		if (*s == '.') {
			prev = last;
			last = s;
		}
	return prev ? prev + 1 : name;
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

static void note_validator(struct fw *w, unsigned ca, unsigned site, unsigned ai)
{
	if (w->vused[ca][site][ai])
		return;
	w->vused[ca][site][ai] = true;
	const struct gen_ca_site *st = &gen_cas[ca].sites[site];
	struct dcv_addr a = gen_ca_site_addr(st, ai);
	gen_expect_add_validator(&w->g->exp, &a, gen_cas[ca].id, st->region, gen_cas[ca].listed);
}

/* Sets every answer record's TTL (and an RRSIG's original TTL) to ttl. The
 * builder writes uncompressed names, so a plain label walk finds the records. */
static void set_answer_ttl(struct dnsb *m, uint32_t ttl)
{
	size_t off = 12, len = m->len;
	unsigned an = (unsigned)m->buf[6] << 8 | m->buf[7];
	while (off < len && m->buf[off] != 0)
		off += 1u + m->buf[off];
	off += 1 + 4; /* root label, qtype, qclass */
	for (unsigned i = 0; i < an && off < len; i++) {
		while (off < len && m->buf[off] != 0)
			off += 1u + m->buf[off];
		off += 1;
		if (off + 10 > len)
			return;
		uint16_t type = (uint16_t)(m->buf[off] << 8 | m->buf[off + 1]);
		uint16_t rdlen = (uint16_t)(m->buf[off + 8] << 8 | m->buf[off + 9]);
		for (int k = 0; k < 4; k++)
			m->buf[off + 4 + k] = (uint8_t)(ttl >> (24 - 8 * k));
		if (type == 46 && off + 10 + 8 <= len) /* RRSIG original TTL */
			for (int k = 0; k < 4; k++)
				m->buf[off + 10 + 4 + k] = (uint8_t)(ttl >> (24 - 8 * k));
		off += 10u + rdlen;
	}
}

/* ------------------------------------------------------------ ordinary traffic */

static void make_resolvers(struct fw *w)
{
	static const char *const big[GEN_FAULT_BIG] = {
	    "100.64.8.8", "100.64.1.1", "2001:db8:aaaa::8888", "2001:db8:aaaa::1111"};
	for (unsigned i = 0; i < GEN_FAULT_RESOLVERS; i++) {
		if (i < GEN_FAULT_BIG) {
			w->res[i] = gen_v6(big[i]); /* parses IPv4 text as well */
			continue;
		}
		if (gen_rng_chance(&w->g->rng, 200)) {
			char text[64];
			snprintf(text, sizeof(text), "2001:db8:aaac::%x", i);
			w->res[i] = gen_v6(text);
		} else {
			w->res[i] =
			    gen_v4(100, 64, (uint8_t)(10 + i / 200), (uint8_t)(1 + i % 200));
		}
	}
}

static void ordinary_query(struct fw *w, unsigned ri, uint64_t t, bool nx)
{
	struct gen_ctx *g = w->g;
	static const char *const labels[] = {"", "www", "mail", "api", "shop", "blog", "cdn"};
	static const uint16_t types[] = {QT_A,    QT_A,  QT_A,  QT_A,   QT_AAAA, QT_AAAA,
	                                 QT_AAAA, QT_MX, QT_NS, QT_SOA, QT_TXT,  QT_A};
	char name[NAME_MAX_TEXT];
	const char *zone = zones[gen_rng_below(&g->rng, NZONES)];
	uint16_t qtype = types[gen_rng_below(&g->rng, sizeof(types) / sizeof(types[0]))];
	if (nx) {
		snprintf(name, sizeof(name), "nx%05u.%s", (unsigned)gen_rng_below(&g->rng, 100000),
		         zone);
	} else if (gen_rng_chance(&g->rng, 500)) {
		snprintf(name, sizeof(name), "h%03u.%s", (unsigned)gen_rng_below(&g->rng, 200),
		         zone);
	} else {
		const char *l = labels[gen_rng_below(&g->rng, sizeof(labels) / sizeof(labels[0]))];
		snprintf(name, sizeof(name), "%s%s%s", l, *l ? "." : "", zone);
	}
	struct gen_query q = {.id = gen_random_id(g),
	                      .qname = name,
	                      .qtype = qtype,
	                      .edns = true,
	                      .do_bit = ri % 2 == 0,
	                      .udp_size = ri % 3 == 0 ? 4096 : 1232};
	struct gen_flow f = gen_flow_to_server(g, &w->res[ri]);
	gen_udp_txn(g, t, &f, &q, nx ? GEN_NXDOMAIN : GEN_NOERROR, true,
	            gen_rng_range(&g->rng, 100000, 900000));
	w->res_used[ri] = true;
}

static void ordinary(struct fw *w)
{
	struct gen_ctx *g = w->g;
	const struct gen_fault_spec *s = w->s;
	uint64_t span = (GEN_FAULT_DURATION_S - 2) * GEN_NS_PER_S;
	for (unsigned k = 0; k < s->bg_queries; k++) {
		uint64_t t =
		    w->t0 + span * k / s->bg_queries + gen_rng_below(&g->rng, span / s->bg_queries);
		unsigned ri =
		    gen_rng_chance(&g->rng, s->big_share_pm)
		        ? (unsigned)gen_rng_below(&g->rng, GEN_FAULT_BIG)
		        : GEN_FAULT_BIG +
		              (unsigned)gen_rng_below(&g->rng, GEN_FAULT_RESOLVERS - GEN_FAULT_BIG);
		ordinary_query(w, ri, t, gen_rng_chance(&g->rng, s->nx_pm));
	}
}

/* Busy mode: every big resolver opens GEN_FAULT_WAVE_SESSIONS sessions 20 ms
 * apart, asks 3 questions on each, and closes them all 1.5 s after the wave
 * began: waves never overlap, so at most GEN_FAULT_WAVE_SESSIONS are open. */
static void tcp_waves(struct fw *w)
{
	struct gen_ctx *g = w->g;
	static const uint16_t types[] = {QT_A, QT_AAAA, QT_MX};
	for (unsigned b = 0; b < GEN_FAULT_BIG; b++)
		for (unsigned v = 0; v < WAVES; v++) {
			uint64_t wt =
			    w->t0 + 3 * GEN_NS_PER_S + v * WAVE_EVERY_NS + b * 1200 * GEN_NS_PER_MS;
			for (unsigned i = 0; i < GEN_FAULT_WAVE_SESSIONS; i++) {
				struct gen_flow f = gen_flow_to_server(g, &w->res[b]);
				f.cport = (uint16_t)(20000 + 64 * v + i); /* distinct per wave */
				struct gen_tcp t;
				gen_tcp_init(g, &t, &f);
				uint64_t ts = gen_tcp_handshake(g, wt + i * 20 * GEN_NS_PER_MS, &t,
				                                2 * GEN_NS_PER_MS);
				for (unsigned k = 0; k < 3; k++) {
					char name[NAME_MAX_TEXT];
					snprintf(name, sizeof(name), "h%03u.%s",
					         (unsigned)gen_rng_below(&g->rng, 200),
					         zones[(v + k) % NZONES]);
					struct gen_query q = {.id = gen_random_id(g),
					                      .qname = name,
					                      .qtype = types[k],
					                      .edns = true,
					                      .do_bit = true,
					                      .udp_size = 1232};
					ts = gen_tcp_txn(g, ts + 5 * GEN_NS_PER_MS, &t, &q,
					                 GEN_NOERROR, GEN_NS_PER_MS);
				}
				gen_tcp_close(g, wt + 1500 * GEN_NS_PER_MS + i * 10 * GEN_NS_PER_MS,
				              &t, false, GEN_NS_PER_MS);
			}
		}
}

/* ------------------------------------------------------------ validation questions */

enum tcp_fate { TCP_OK = 0, TCP_RST, TCP_SILENT, TCP_NO_RETRY };

struct vq {
	char name[GEN_FAULT_NAME_MAX];
	char base[GEN_FAULT_NAME_MAX];
	uint16_t qtype;
	enum gen_vrec kind;
	bool challenge;     /* the record the CA looks for */
	bool big;           /* challenge TXT with stale tokens */
	unsigned caa_index; /* CAA: position in the perspective's burst */
};

/* What the server (and the network before it) does with one question. */
struct fate {
	bool drop;
	int rcode;
	enum tcp_fate tcp;
	bool ttl_high;
	bool hit; /* the fault changed this question's fate */
};

static bool is_acme(const char *name)
{
	return strncmp(name, "_acme-challenge.", 16) == 0;
}

static struct fate decide(struct fw *w, unsigned ca, unsigned site, const struct vq *v)
{
	const struct gen_fault_spec *s = w->s;
	const char *region = gen_cas[ca].sites[site].region;
	struct fate f = {false, GEN_NOERROR, TCP_OK, false, false};
	switch (s->kind) {
	case GEN_FAULT_REGION_SILENCE:
		f.drop = f.hit = strcmp(region, s->region) == 0;
		break;
	case GEN_FAULT_REGION_REFUSED:
		if (strcmp(region, s->region) == 0)
			f.rcode = GEN_REFUSED, f.hit = true;
		break;
	case GEN_FAULT_SERVFAIL_CAA:
		if (v->qtype == QT_CAA && strcmp(apex_of(v->name), s->zone) == 0)
			f.rcode = GEN_SERVFAIL, f.hit = true;
		break;
	case GEN_FAULT_ACME_MISSING:
		if (v->challenge && is_acme(v->name) && strcmp(apex_of(v->name), s->zone) == 0)
			f.rcode = GEN_NXDOMAIN, f.hit = true;
		break;
	case GEN_FAULT_ACME_TTL:
		f.ttl_high = f.hit = v->challenge && is_acme(v->name) && v->qtype == QT_TXT;
		break;
	case GEN_FAULT_TCP53_RST:
		f.tcp = TCP_RST;
		break;
	case GEN_FAULT_TC_NO_TCP:
		f.tcp = gen_rng_chance(&w->g->rng, 333) ? TCP_SILENT : TCP_NO_RETRY;
		break;
	case GEN_FAULT_CAA_BURST:
		f.drop = f.hit = v->qtype == QT_CAA && v->caa_index >= GEN_FAULT_BURST_ANSWERED;
		break;
	default:
		break;
	}
	return f;
}

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

/* One question of a perspective at t; returns its outcome, and the time of its
 * last frame in *last. */
static enum gen_outcome ask(struct fw *w, unsigned ca, unsigned site, unsigned ai, uint64_t t,
                            const struct vq *v, uint64_t *last)
{
	struct gen_ctx *g = w->g;
	const struct gen_ca *c = &gen_cas[ca];
	struct dcv_addr addr = gen_ca_site_addr(&c->sites[site], ai);
	note_validator(w, ca, site, ai);
	struct fate f = decide(w, ca, site, v);
	char wire[GEN_FAULT_NAME_MAX];
	if (c->mixcase)
		gen_vdns_0x20(&g->rng, v->name, wire, sizeof(wire));
	else
		snprintf(wire, sizeof(wire), "%s", v->name);
	struct gen_query q = {.qname = wire,
	                      .qtype = v->qtype,
	                      .edns = true,
	                      .do_bit = c->do_bit,
	                      .udp_size = c->udp_size};
	if (f.hit) {
		hit_source(w->r, &addr, ca);
		hit_name(w->r, v->base);
		hit_name(w->r, v->name);
	}
	*last = t;
	if (f.drop) {
		for (unsigned k = 0; k < c->tries; k++) {
			uint64_t tk = t + k * (uint64_t)c->retry_ms * GEN_NS_PER_MS;
			struct gen_flow fl = gen_flow_to_server(g, &addr);
			q.id = gen_random_id(g);
			gen_udp_txn(g, tk, &fl, &q, 0, false, 0);
			*last = tk;
		}
		w->r->failed_questions++;
		return GEN_OUT_UNANSWERED;
	}
	unsigned ntxt = v->big ? GEN_FAULT_STALE_TOKENS : 1;
	struct gen_flow fl = gen_flow_to_server(g, &addr);
	q.id = gen_random_id(g);
	gen_dns_query(&g->msg, &q);
	gen_udp(g, t, &fl, true, &g->msg);
	uint64_t lat = gen_rng_range(&g->rng, 80000, 900000);
	gen_vdns_response(&g->msg, &q, v->kind, ntxt, f.rcode, gen_dns_udp_limit(&q));
	bool tc = g->msg.buf[2] & 0x02;
	if (f.ttl_high && !tc) {
		set_answer_ttl(&g->msg, GEN_FAULT_ACME_TTL_S);
		gen_sign_message(&g->msg); /* the original TTL is signed */
	}
	gen_udp(g, t + lat, &fl, false, &g->msg);
	gen_answered(g);
	*last = t + lat;
	if (!tc) {
		if (f.rcode != GEN_NOERROR)
			w->r->failed_questions++;
		return outcome_of(f.rcode, gen_vdns_answer_count(&g->msg));
	}
	/* TC=1: the resolver asks again over TCP (unless the fault hides it) */
	w->r->tc_answers++;
	if (f.tcp != TCP_OK) {
		hit_source(w->r, &addr, ca);
		hit_name(w->r, v->base);
		hit_name(w->r, v->name);
		w->r->failed_questions++;
	}
	struct gen_flow tf = gen_flow_to_server(g, &addr);
	uint64_t ts = t + lat + 200000;
	uint64_t rtt = (20 + 15 * (uint64_t)site) * GEN_NS_PER_MS;
	switch (f.tcp) {
	case TCP_RST:
		gen_tcp_reject(g, ts, &tf, 100000);
		w->r->resets++;
		*last = ts;
		return GEN_OUT_TCP_FAILURE;
	case TCP_SILENT:
		gen_tcp_filtered(g, ts, &tf);
		*last = ts + GEN_NS_PER_S;
		return GEN_OUT_TCP_FAILURE;
	case TCP_NO_RETRY:
		return GEN_OUT_TCP_FAILURE;
	default:
		break;
	}
	struct gen_tcp tcp;
	gen_tcp_init(g, &tcp, &tf);
	uint64_t ack = gen_tcp_handshake(g, ts, &tcp, rtt);
	q.id = gen_random_id(g);
	gen_dns_query(&g->msg, &q);
	gen_tcp_dns(g, ack + 50000, &tcp, true, &g->msg);
	gen_vdns_response(&g->msg, &q, v->kind, ntxt, f.rcode, 0);
	if (f.ttl_high) {
		set_answer_ttl(&g->msg, GEN_FAULT_ACME_TTL_S);
		gen_sign_message(&g->msg); /* the original TTL is signed */
	}
	gen_tcp_dns(g, ack + 50000 + lat, &tcp, false, &g->msg);
	gen_answered(g);
	*last = gen_tcp_close(g, ack + 50000 + lat + rtt / 2, &tcp, false, rtt / 2);
	return outcome_of(f.rcode, gen_vdns_answer_count(&g->msg));
}

/* ------------------------------------------------------------ attempts */

struct attempt {
	uint64_t start;
	unsigned ca, np;
	bool dns01, big;
	char x[NAME_MAX_TEXT];
	uint8_t addr[GEN_CA_SITES_MAX];
};

static void pick_name(struct fw *w, char *x, size_t cap)
{
	struct gen_rng *r = &w->g->rng;
	if (w->s->deep_pm && gen_rng_chance(r, w->s->deep_pm)) {
		/* 6, 7 or 8 labels under example.com */
		static const char *const tails[] = {"p.q.r.example.com", "o.p.q.r.example.com",
		                                    "n.o.p.q.r.example.com"};
		unsigned d = (unsigned)gen_rng_below(r, DEEP_NAMES);
		snprintf(x, cap, "d%u.%s", d, tails[d % 3]);
		return;
	}
	const char *l = vlabels[gen_rng_below(r, NVLABELS)];
	const char *z = zones[gen_rng_below(r, NZONES)];
	snprintf(x, cap, "%s%s%s", l, *l ? "." : "", z);
}

static bool pick_addrs(struct fw *w, struct attempt *a)
{
	const struct gen_ca *c = &gen_cas[a->ca];
	for (unsigned k = 0; k < c->nsites; k++) {
		unsigned n = gen_ca_site_addrs(&c->sites[k]);
		unsigned first = (unsigned)gen_rng_below(&w->g->rng, n), i;
		for (i = 0; i < n; i++)
			if (w->busy_until[a->ca][k][(first + i) % n] <= a->start)
				break;
		if (i == n)
			return false;
		a->addr[k] = (uint8_t)((first + i) % n);
	}
	return true;
}

static void emit_attempt(struct fw *w, const struct attempt *a)
{
	struct gen_rng *r = &w->g->rng;
	const struct gen_ca *c = &gen_cas[a->ca];
	struct vq dq[2];
	unsigned ndq;
	memset(dq, 0, sizeof(dq));
	for (unsigned j = 0; j < 2; j++)
		snprintf(dq[j].base, sizeof(dq[j].base), "%s", a->x);
	if (a->ca == 1) { /* DigiCert: TXT _dnsauth.X and TXT X */
		snprintf(dq[0].name, sizeof(dq[0].name), "_dnsauth.%s", a->x);
		dq[0].qtype = QT_TXT, dq[0].kind = GEN_VREC_DNSAUTH, dq[0].challenge = true;
		dq[0].big = a->big;
		snprintf(dq[1].name, sizeof(dq[1].name), "%s", a->x);
		dq[1].qtype = QT_TXT;
		ndq = 2;
	} else if (a->dns01) {
		snprintf(dq[0].name, sizeof(dq[0].name), "_acme-challenge.%s", a->x);
		dq[0].qtype = QT_TXT, dq[0].kind = GEN_VREC_ACME, dq[0].challenge = true;
		dq[0].big = a->big;
		ndq = 1;
	} else { /* HTTP-01: A and AAAA together */
		snprintf(dq[0].name, sizeof(dq[0].name), "%s", a->x);
		dq[0].qtype = QT_A;
		snprintf(dq[1].name, sizeof(dq[1].name), "%s", a->x);
		dq[1].qtype = QT_AAAA;
		ndq = 2;
	}
	enum gen_outcome primary = GEN_OUT_ANSWERED;
	unsigned remote_failed = 0;
	uint64_t last = 0;
	for (unsigned k = 0; k < a->np; k++) {
		uint64_t t = a->start + (k ? gen_rng_range(r, c->remote_min_ms * 1000ULL,
		                                           c->remote_max_ms * 1000ULL) *
		                                 1000
		                           : 0);
		enum gen_outcome worst = GEN_OUT_ANSWERED;
		for (unsigned j = 0; j < ndq; j++) {
			enum gen_outcome o =
			    ask(w, a->ca, k, a->addr[k], t + j * 20000, &dq[j], &last);
			if (k == 0 && j == 0)
				primary = o;
			if (o > worst)
				worst = o;
		}
		if (k > 0 && worst > GEN_OUT_NEGATIVE)
			remote_failed++;
	}
	bool go = c->caa_after_ms == 0 || (primary == GEN_OUT_ANSWERED &&
	                                   remote_failed <= gen_quorum_failures_allowed(a->np - 1));
	if (!go)
		return;
	for (unsigned k = 0; k < a->np; k++) {
		uint64_t t = a->start +
		             (c->caa_after_ms == 0
		                  ? GEN_NS_PER_MS
		                  : (uint64_t)(c->remote_max_ms + c->caa_after_ms) * GEN_NS_PER_MS +
		                        gen_rng_range(r, c->remote_min_ms * 1000ULL,
		                                      c->remote_max_ms * 1000ULL) *
		                            1000);
		unsigned j = 0;
		for (const char *n = a->x;; j++) {
			struct vq v;
			memset(&v, 0, sizeof(v));
			snprintf(v.name, sizeof(v.name), "%s", n);
			snprintf(v.base, sizeof(v.base), "%s", a->x);
			v.qtype = QT_CAA;
			v.caa_index = j;
			ask(w, a->ca, k, a->addr[k], t + j * 30000, &v, &last);
			if (n == apex_of(a->x))
				break;
			n = strchr(n, '.') + 1;
		}
	}
}

static void attempts(struct fw *w)
{
	struct gen_rng *r = &w->g->rng;
	const struct gen_fault_spec *s = w->s;
	const uint64_t first = w->t0 + FIRST_ATTEMPT_S * GEN_NS_PER_S;
	const uint64_t lastok = w->t0 + LAST_ATTEMPT_S * GEN_NS_PER_S;
	const uint64_t spacing = (LAST_ATTEMPT_S - FIRST_ATTEMPT_S) * GEN_NS_PER_S / s->attempts;
	for (unsigned i = 0; i < s->attempts; i++) {
		struct attempt a;
		memset(&a, 0, sizeof(a));
		a.start = first + i * spacing + gen_rng_below(r, spacing / 2);
		a.start -= a.start % 1000;
		a.ca = pick_share(r, ca_share, GEN_NCAS);
		a.np = gen_cas[a.ca].nsites;
		a.dns01 = gen_rng_chance(r, dns01_share[a.ca]);
		bool tc_all = s->kind == GEN_FAULT_TCP53_RST || s->kind == GEN_FAULT_TC_NO_TCP;
		a.big = tc_all || gen_rng_chance(r, TC_HEALTHY_PM);
		pick_name(w, a.x, sizeof(a.x));
		while (!pick_addrs(w, &a) && a.start <= lastok)
			a.start += DELAY_STEP_NS;
		if (a.start > lastok)
			continue;
		for (unsigned k = 0; k < a.np; k++)
			w->busy_until[a.ca][k][a.addr[k]] = a.start + ADDR_BUSY_NS;
		emit_attempt(w, &a);
	}
}

/* ------------------------------------------------------------ batches */

/* over_cap() writes a connection of the batch beyond the cap, its SYN at
 * tsyn: reset, or its SYN dropped (cap_drops), or completed with query q
 * never answered, the client closing it 1 s later (cap_stalls). */
static void over_cap(struct fw *w, const struct gen_flow *tf, struct gen_query *q, uint64_t tsyn,
                     uint64_t rtt)
{
	struct gen_ctx *g = w->g;
	if (w->s->cap_drops) {
		gen_tcp_filtered(g, tsyn, tf);
		return;
	}
	if (!w->s->cap_stalls) {
		gen_tcp_reject(g, tsyn, tf, 100000);
		w->r->resets++;
		return;
	}
	struct gen_tcp t;
	gen_tcp_init(g, &t, tf);
	uint64_t ack = gen_tcp_handshake(g, tsyn, &t, rtt);
	q->id = gen_random_id(g);
	gen_dns_query(&g->msg, q);
	gen_tcp_dns(g, ack + 50000, &t, true, &g->msg);
	gen_unanswered(g, &tf->client);
	gen_tcp_close(g, ack + GEN_NS_PER_S, &t, false, GEN_NS_PER_MS);
}

/* Session cap: the source asks TXT for batch_names challenge names 0.5 ms
 * apart; each answer has TC=1 and is asked again over a new TCP connection;
 * the server completes the first cap handshakes (all still open when the
 * later SYNs come; the last backlog of them only on the SYN's retransmission
 * 1 s later) and resets the rest (or drops them: cap_drops; or completes
 * them and never answers, the client closing each after 1 s: cap_stalls);
 * the open ones close 1.5 s later. */
static void session_batch(struct fw *w, unsigned b, uint64_t t0)
{
	struct gen_ctx *g = w->g;
	const struct gen_ca *c = &gen_cas[w->batch[b].ca];
	unsigned site = w->batch[b].site, ai = w->batch[b].addr;
	struct dcv_addr addr = gen_ca_site_addr(&c->sites[site], ai);
	note_validator(w, w->batch[b].ca, site, ai);
	/* captured at the server: SYN-ACK 0.1 ms after the SYN, before the next SYN */
	uint64_t rtt = 200000;
	for (unsigned i = 0; i < w->s->batch_names; i++) {
		char name[GEN_FAULT_NAME_MAX], wire[GEN_FAULT_NAME_MAX], base[NAME_MAX_TEXT];
		snprintf(base, sizeof(base), "b%03u.example.com", i);
		snprintf(name, sizeof(name), "_acme-challenge.%s", base);
		if (c->mixcase)
			gen_vdns_0x20(&g->rng, name, wire, sizeof(wire));
		else
			snprintf(wire, sizeof(wire), "%s", name);
		struct gen_query q = {.id = gen_random_id(g),
		                      .qname = wire,
		                      .qtype = QT_TXT,
		                      .edns = true,
		                      .do_bit = c->do_bit,
		                      .udp_size = c->udp_size};
		uint64_t tq = t0 + i * 500000ULL;
		struct gen_flow f = gen_flow_to_server(g, &addr);
		gen_dns_query(&g->msg, &q);
		gen_udp(g, tq, &f, true, &g->msg);
		gen_vdns_response(&g->msg, &q, GEN_VREC_ACME, GEN_FAULT_STALE_TOKENS, GEN_NOERROR,
		                  gen_dns_udp_limit(&q));
		gen_udp(g, tq + 300000, &f, false, &g->msg);
		gen_answered(g);
		w->r->tc_answers++;
		struct gen_flow tf = gen_flow_to_server(g, &addr);
		tf.cport = (uint16_t)(33000 + i); /* distinct within the batch */
		if (i >= w->s->cap) {
			over_cap(w, &tf, &q, tq + 500000, rtt);
			w->r->failed_questions++;
			hit_name(w->r, base);
			continue;
		}
		struct gen_tcp t;
		gen_tcp_init(g, &t, &tf);
		uint64_t tsyn = tq + 500000;
		if (i + w->s->backlog >= w->s->cap) {
			gen_tcp_syn_lost(g, tsyn, &t); /* the client retries 1 s later */
			tsyn += GEN_NS_PER_S;
		}
		uint64_t ack = gen_tcp_handshake(g, tsyn, &t, rtt);
		q.id = gen_random_id(g);
		gen_tcp_txn(g, ack + 50000, &t, &q, GEN_NOERROR, GEN_NS_PER_MS);
		gen_tcp_close(g, t0 + 1500 * GEN_NS_PER_MS + i * 2 * GEN_NS_PER_MS, &t, false,
		              GEN_NS_PER_MS);
	}
}

/* Rate limit: the source validates batch_names names in 0.5 s: TXT
 * _acme-challenge.X, then CAA for X, its parent and the apex, 3.5 ms apart.
 * The server answers while fewer than cap responses went to the source in
 * the last second, and drops the rest. */
static void rate_batch(struct fw *w, unsigned b, uint64_t t0)
{
	struct gen_ctx *g = w->g;
	const struct gen_ca *c = &gen_cas[w->batch[b].ca];
	unsigned site = w->batch[b].site, ai = w->batch[b].addr;
	struct dcv_addr addr = gen_ca_site_addr(&c->sites[site], ai);
	note_validator(w, w->batch[b].ca, site, ai);
	uint64_t t = t0;
	for (unsigned i = 0; i < w->s->batch_names; i++) {
		char x[NAME_MAX_TEXT];
		snprintf(x, sizeof(x), "n%02u.app.example.org", i);
		for (unsigned j = 0; j < 4; j++, t += 3500000ULL) {
			char name[GEN_FAULT_NAME_MAX], wire[GEN_FAULT_NAME_MAX];
			static const char *const up[] = {"", "app.example.org", "example.org"};
			if (j == 0)
				snprintf(name, sizeof(name), "_acme-challenge.%s", x);
			else
				snprintf(name, sizeof(name), "%s", j == 1 ? x : up[j - 1]);
			if (c->mixcase)
				gen_vdns_0x20(&g->rng, name, wire, sizeof(wire));
			else
				snprintf(wire, sizeof(wire), "%s", name);
			struct gen_query q = {.id = gen_random_id(g),
			                      .qname = wire,
			                      .qtype = j ? QT_CAA : QT_TXT,
			                      .edns = true,
			                      .do_bit = c->do_bit,
			                      .udp_size = c->udp_size};
			uint64_t lat = gen_rng_range(&g->rng, 80000, 900000);
			uint64_t tr = t + lat;
			bool ok =
			    w->ring_n < w->s->cap || tr - w->ring[w->ring_head] >= GEN_NS_PER_S;
			struct gen_flow f = gen_flow_to_server(g, &addr);
			if (!ok) {
				gen_udp_txn(g, t, &f, &q, 0, false, 0);
				w->r->failed_questions++;
				hit_name(w->r, x);
				continue;
			}
			/* remember the response: the ring holds the last cap of them */
			if (w->ring_n < w->s->cap) {
				w->ring[(w->ring_head + w->ring_n) % w->s->cap] = tr;
				w->ring_n++;
			} else {
				w->ring[w->ring_head] = tr;
				w->ring_head = (w->ring_head + 1) % w->s->cap;
			}
			gen_dns_query(&g->msg, &q);
			gen_udp(g, t, &f, true, &g->msg);
			gen_vdns_response(&g->msg, &q, j ? GEN_VREC_NONE : GEN_VREC_ACME, 1,
			                  GEN_NOERROR, gen_dns_udp_limit(&q));
			gen_udp(g, tr, &f, false, &g->msg);
			gen_answered(g);
		}
	}
}

static void batches(struct fw *w)
{
	const struct gen_fault_spec *s = w->s;
	bool cap = s->kind == GEN_FAULT_SESSION_CAP;
	uint64_t first = s->batch_first_ms ? s->batch_first_ms * GEN_NS_PER_MS
	                                   : BATCH_FIRST_S * GEN_NS_PER_S + 100 * GEN_NS_PER_MS;
	for (unsigned b = 0; b < w->r->nbatch; b++) {
		w->ring_n = w->ring_head = 0;
		for (unsigned k = 0; k < s->batches; k++) {
			uint64_t off = first + (k * (cap ? BATCH_EVERY_S : RATE_EVERY_S) + b * 3) *
			                           GEN_NS_PER_S;
			if (off > BATCH_LAST_S * GEN_NS_PER_S)
				break;
			if (cap)
				session_batch(w, b, w->t0 + off);
			else
				rate_batch(w, b, w->t0 + off);
		}
	}
}

/* ------------------------------------------------------------ the run */

void gen_fault_add_cas_and_sources(struct gen_finding_expect *f, const struct gen_fault_result *r)
{
	char text[DCV_ADDR_TEXT_MAX];
	for (unsigned c = 0; c < GEN_NCAS; c++)
		if (r->ca_hit[c])
			gen_finding_add_subject(f, gen_cas[c].id);
	for (unsigned i = 0; i < r->nsources; i++)
		gen_finding_add_subject(f, dcv_addr_format(&r->sources[i], text, sizeof(text)));
}

int gen_fault_run(struct gen_ctx *g, const struct gen_fault_spec *s, struct gen_fault_result *r)
{
	struct fw *w = calloc(1, sizeof(*w));
	memset(r, 0, sizeof(*r));
	if (w == NULL)
		return -1;
	w->g = g;
	w->s = s;
	w->r = r;
	w->t0 = GEN_EPOCH_NS;
	if ((s->kind == GEN_FAULT_RATE_LIMIT && (s->cap == 0 || s->cap > RATE_CAP_MAX)) ||
	    s->batch_names > BATCH_NAMES_MAX || s->backlog > s->cap || s->attempts == 0 ||
	    s->bg_queries == 0) {
		free(w);
		return -1;
	}
	make_resolvers(w);
	for (unsigned i = 0; i < GEN_FAULT_BIG; i++)
		gen_expect_name_source(&g->exp, &w->res[i])->max_concurrent_tcp =
		    s->busy_tcp ? GEN_FAULT_WAVE_SESSIONS : 0;
	if (s->kind == GEN_FAULT_SESSION_CAP || s->kind == GEN_FAULT_RATE_LIMIT) {
		/* letsencrypt's primary (arin, unlisted) and a listed ripe site */
		w->batch[0].ca = 0, w->batch[0].site = 0, w->batch[0].addr = 0;
		if (s->kind == GEN_FAULT_SESSION_CAP)
			w->batch[1].ca = 1, w->batch[1].site = 2, w->batch[1].addr = 0;
		else
			w->batch[1].ca = 3, w->batch[1].site = 3, w->batch[1].addr = 0;
		r->nbatch = GEN_FAULT_BATCH_SOURCES;
		for (unsigned b = 0; b < r->nbatch; b++) {
			const struct gen_ca *c = &gen_cas[w->batch[b].ca];
			r->batch[b] =
			    gen_ca_site_addr(&c->sites[w->batch[b].site], w->batch[b].addr);
			r->batch_ca[b] = c->id;
			r->ca_hit[w->batch[b].ca] = true;
			r->sources[r->nsources++] = r->batch[b];
			struct gen_source_expect *n = gen_expect_name_source(&g->exp, &r->batch[b]);
			if (n != NULL && s->kind == GEN_FAULT_SESSION_CAP)
				n->max_concurrent_tcp = s->cap < s->batch_names && !s->cap_stalls
				                            ? s->cap
				                            : s->batch_names;
			/* the batch source takes part in no ordinary attempt */
			w->busy_until[w->batch[b].ca][w->batch[b].site][w->batch[b].addr] =
			    UINT64_MAX;
		}
	}
	ordinary(w);
	if (s->busy_tcp)
		tcp_waves(w);
	attempts(w);
	batches(w);

	struct gen_mpic_expect *m = &g->exp.mpic;
	m->present = true;
	for (unsigned i = 0; i < GEN_FAULT_RESOLVERS; i++)
		m->resolvers += w->res_used[i];
	g->exp.fault.present = true;
	free(w);
	return g->failed ? -1 : 0;
}

void gen_fault_add_names(struct gen_finding_expect *f, const struct gen_fault_result *r,
                         bool ancestors)
{
	for (unsigned i = 0; i < r->nnames; i++) {
		const char *n = r->names[i];
		gen_finding_add_subject(f, n);
		if (!ancestors)
			continue;
		const char *apex = apex_of(n);
		while (n != apex) {
			n = strchr(n, '.') + 1;
			gen_finding_add_subject(f, n);
		}
	}
}

int gen_fault_scenario(struct gen_ctx *g, const struct gen_fault_spec *s,
                       void (*findings)(struct gen_expect *e, const struct gen_fault_result *r))
{
	struct gen_fault_result *r = malloc(sizeof(*r));
	if (r == NULL)
		return -1;
	int rc = gen_fault_run(g, s, r);
	if (rc == 0 && findings != NULL)
		findings(&g->exp, r);
	free(r);
	return rc;
}
