/* test_mpic.c - MPIC attempts and validator sources from transactions built by hand. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dns_parse.h"
#include "mpic.h"

#define MS  1000000ULL
#define SEC 1000000000ULL

/* ---- collecting output ---- */

struct att_copy {
	struct mpic_attempt a;
	struct mpic_perspective p[MPIC_MAX_PERSPECTIVES];
	char name[DCV_SHAPE_BASE_MAX];
	char ca[48];
};

struct got {
	struct att_copy at[64];
	int n;
};

static void on_attempt(void *ctx, const struct mpic_attempt *a)
{
	struct got *g = ctx;
	if (g->n < 64) {
		struct att_copy *c = &g->at[g->n];
		c->a = *a;
		memcpy(c->p, a->perspectives, a->nkept * sizeof(c->p[0]));
		snprintf(c->name, sizeof(c->name), "%s", a->name);
		snprintf(c->ca, sizeof(c->ca), "%s", a->ca);
		c->a.name = c->name;
		c->a.ca = c->ca;
		c->a.perspectives = c->p;
	}
	g->n++;
}

struct srcs {
	struct mpic_source s[64];
	char ca[64][48];
	int n;
};

static void on_source(void *ctx, const struct mpic_source *s)
{
	struct srcs *v = ctx;
	if (v->n < 64) {
		v->s[v->n] = *s;
		snprintf(v->ca[v->n], sizeof(v->ca[0]), "%s", s->ca);
	}
	v->n++;
}

static struct mpic *new_mpic(struct got *g, uint32_t max_attempts, uint32_t max_sources)
{
	struct mpic_config cfg = {.max_attempts = max_attempts, .max_sources = max_sources};
	struct mpic_callbacks cb = {.ctx = g, .on_attempt = on_attempt};
	struct mpic *m = mpic_new(&cfg, &cb);
	cr_assert_not_null(m);
	return m;
}

/* ---- building transactions ---- */

/* perspective i lives in its own /24 */
static struct dcv_addr net_addr(unsigned i, unsigned host)
{
	uint8_t b[4] = {(uint8_t)(100 + i / 256), (uint8_t)(i % 256), 7, (uint8_t)host};
	return dcv_addr_v4(b);
}

static struct mpic_txn txn(uint64_t ts, struct dcv_addr src, const char *name, uint16_t qtype,
                           int32_t rcode)
{
	struct mpic_txn t = {
	    .ts_ns = ts,
	    .source = src,
	    .qname = name,
	    .qname_len = (uint16_t)strlen(name),
	    .qtype = qtype,
	    .transport = DCV_TRANSPORT_UDP,
	    .mixed_case = true,
	    .edns = true,
	    .do_bit = true,
	    .edns_udp_size = 1232,
	    .rcode = rcode,
	    .answers = rcode == 0 ? 1 : 0,
	    .region = "unknown",
	};
	return t;
}

static const char *const CLIMB[] = {"a.b.example.com", "b.example.com", "example.com", "com"};

/*
 * One LE-style perspective: TXT _acme-challenge.a.b.example.com, then about
 * 0.25 s later CAA for the name and its three ancestors in parallel.
 * txt_rcode is the TXT's outcome (-1 unanswered); listed names its CA.
 */
static void le_perspective(struct mpic *m, uint64_t t0, struct dcv_addr src, int32_t txt_rcode,
                           const char *listed)
{
	struct mpic_txn t =
	    txn(t0, src, "_acme-challenge.a.b.example.com", DNS_TYPE_TXT, txt_rcode);
	t.listed_ca = listed;
	mpic_on_txn(m, &t);
	for (unsigned k = 0; k < 4; k++) {
		/* parallel: the ancestors arrive in a shuffled order */
		unsigned j = (k * 3 + (unsigned)(t0 / MS)) % 4;
		struct mpic_txn c = txn(t0 + 250 * MS + k * MS, src, CLIMB[j], DNS_TYPE_CAA, 0);
		c.answers = 0; /* NODATA: no CAA anywhere */
		c.listed_ca = listed;
		mpic_on_txn(m, &c);
	}
}

/* n perspectives from n networks; the first `fail` get txt_fail as rcode. */
static void le_attempt(struct mpic *m, uint64_t t0, unsigned n, unsigned fail, int32_t txt_fail,
                       int listed_index, const char *ca)
{
	for (unsigned i = 0; i < n; i++)
		le_perspective(m, t0 + i * 7 * MS, net_addr(i, 10), i < fail ? txt_fail : 0,
		               (int)i == listed_index ? ca : NULL);
}

/* ---- attempts ---- */

Test(mpic, five_answered_perspectives_make_one_corroborated_attempt)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	le_attempt(m, 10 * SEC, 5, 0, 0, -1, NULL);
	mpic_finish(m);
	cr_assert_eq(g.n, 1);
	const struct mpic_attempt *a = &g.at[0].a;
	cr_assert_str_eq(a->name, "a.b.example.com");
	cr_assert_eq(a->method, DCV_SHAPE_ACME_DNS01);
	cr_assert_eq(a->status, MPIC_CORROBORATED);
	cr_assert_eq(a->nperspectives, 5);
	cr_assert_eq(a->nkept, 5);
	cr_assert_eq(a->usable, 5);
	cr_assert_eq(a->failed, 0);
	cr_assert(a->caa_climb);
	cr_assert_eq(a->caa_labels, 4);
	cr_assert_str_eq(a->ca, "unknown");
	for (unsigned p = 0; p < 5; p++) {
		cr_assert_eq(a->perspectives[p].queries, 5, "TXT + 4 CAA");
		cr_assert_eq(a->perspectives[p].confidence, MPIC_CONF_HIGH);
	}
	const struct mpic_stats *st = mpic_get_stats(m);
	cr_assert_eq(st->attempts, 1);
	cr_assert_eq(st->corroborated, 1);

	struct srcs v = {0};
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_HIGH, on_source, &v), 5);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(v.s[i].confidence, MPIC_CONF_HIGH);
		cr_assert_str_eq(v.ca[i], "unknown");
		cr_assert_eq(v.s[i].attempts, 1);
		cr_assert_eq(v.s[i].validation_queries, 5);
	}
	mpic_free(m);
}

Test(mpic, one_listed_perspective_names_the_ca_of_all_five)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	le_attempt(m, 10 * SEC, 5, 0, 0, 2, "letsencrypt");
	mpic_finish(m);
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.at[0].a.ca, "letsencrypt");
	struct srcs v = {0};
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_HIGH, on_source, &v), 5);
	int listed = 0;
	for (int i = 0; i < 5; i++) {
		cr_assert_str_eq(v.ca[i], "letsencrypt");
		if (v.s[i].confidence == MPIC_CONF_LISTED)
			listed++;
		else
			cr_assert_eq(v.s[i].confidence, MPIC_CONF_HIGH);
	}
	cr_assert_eq(listed, 1);
	mpic_free(m);
}

/* Two CAs validating one name at once (a certificate ordered from both, an
 * ACME client falling back to a second CA): two attempts, each named after
 * its listed perspective; the unlisted co-perspectives could belong to
 * either, so they are not named. */
Test(mpic, listed_cas_validating_one_name_at_once_make_one_attempt_each)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	for (unsigned i = 0; i < 4; i++)
		le_perspective(m, SEC + i * MS, net_addr(i, 1), 0,
		               i == 0   ? "digicert"
		               : i == 1 ? "sectigo"
		                        : NULL);
	mpic_finish(m);
	cr_assert_eq(g.n, 2);
	cr_assert_str_eq(g.at[0].a.ca, "digicert");
	cr_assert_str_eq(g.at[1].a.ca, "sectigo");
	cr_assert_eq(g.at[0].a.nperspectives + g.at[1].a.nperspectives, 4);
	for (unsigned k = 0; k < 2; k++)
		cr_assert_eq(g.at[k].a.status, MPIC_CORROBORATED);
	struct srcs v = {0};
	mpic_foreach_source(m, MPIC_CONF_LOW, on_source, &v);
	int unknown = 0;
	for (int i = 0; i < v.n; i++)
		unknown += strcmp(v.ca[i], "unknown") == 0;
	cr_assert_eq(unknown, 2);
	mpic_free(m);
}

/* Let's Encrypt's three perspectives all answered, DigiCert's three at the
 * same moment for the same name, two of them unanswered: DigiCert's attempt
 * fails its quorum, Let's Encrypt's is corroborated. */
Test(mpic, one_cas_failing_perspectives_do_not_spill_into_another_cas_attempt)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	for (unsigned i = 0; i < 6; i++) {
		bool le = i % 2 == 0;
		le_perspective(m, SEC + i * 3 * MS, net_addr(i, le ? 1 : 2), !le && i < 4 ? -1 : 0,
		               le ? "letsencrypt" : "digicert");
	}
	mpic_finish(m);
	cr_assert_eq(g.n, 2);
	for (int k = 0; k < 2; k++) {
		const struct mpic_attempt *a = &g.at[k].a;
		bool le = strcmp(a->ca, "letsencrypt") == 0;
		cr_assert(le || strcmp(a->ca, "digicert") == 0, "%s", a->ca);
		cr_assert_eq(a->nperspectives, 3);
		cr_assert_eq(a->failed, le ? 0 : 2);
		cr_assert_eq(a->status, le ? MPIC_CORROBORATED : MPIC_FAILED);
	}
	mpic_free(m);
}

struct quorum_case {
	const char *what;
	unsigned perspectives, failing;
	int32_t rcode;
	enum mpic_status status;
	enum mpic_outcome outcome;
};

static const struct quorum_case QUORUM_CASES[] = {
    {"5 with one unanswered is at risk", 5, 1, -1, MPIC_AT_RISK, MPIC_OUT_UNANSWERED},
    {"5 with two unanswered failed", 5, 2, -1, MPIC_FAILED, MPIC_OUT_UNANSWERED},
    {"7 with two failures is at risk", 7, 2, DNS_RCODE_SERVFAIL, MPIC_AT_RISK, MPIC_OUT_SERVFAIL},
    {"7 with three failures failed", 7, 3, DNS_RCODE_SERVFAIL, MPIC_FAILED, MPIC_OUT_SERVFAIL},
    {"5 with one REFUSED is at risk", 5, 1, DNS_RCODE_REFUSED, MPIC_AT_RISK, MPIC_OUT_REFUSED},
    {"5 with one NOTIMP is at risk", 5, 1, DNS_RCODE_NOTIMP, MPIC_AT_RISK, MPIC_OUT_OTHER_RCODE},
    {"5 with NXDOMAIN everywhere is corroborated", 5, 5, DNS_RCODE_NXDOMAIN, MPIC_CORROBORATED,
     MPIC_OUT_NEGATIVE},
    {"one perspective that failed failed", 1, 1, DNS_RCODE_SERVFAIL, MPIC_FAILED,
     MPIC_OUT_SERVFAIL},
    {"3 with one failure is at risk", 3, 1, DNS_RCODE_SERVFAIL, MPIC_AT_RISK, MPIC_OUT_SERVFAIL},
};

Test(mpic, failures_against_the_quorum_give_the_status_the_table_says)
{
	for (size_t c = 0; c < sizeof(QUORUM_CASES) / sizeof(QUORUM_CASES[0]); c++) {
		const struct quorum_case *q = &QUORUM_CASES[c];
		struct got g = {0};
		struct mpic *m = new_mpic(&g, 0, 0);
		le_attempt(m, 10 * SEC, q->perspectives, q->failing, q->rcode, -1, NULL);
		mpic_finish(m);
		if (q->perspectives < MPIC_ATTEMPT_MIN_PERSPECTIVES) {
			/* one unlisted source is a lookup, not an attempt */
			cr_expect_eq(g.n, 0, "%s", q->what);
			cr_expect_eq(mpic_get_stats(m)->single_source, 1, "%s", q->what);
			mpic_free(m);
			continue;
		}
		cr_assert_eq(g.n, 1, "%s", q->what);
		const struct mpic_attempt *a = &g.at[0].a;
		cr_expect_eq(a->status, q->status, "%s: %s", q->what, mpic_status_name(a->status));
		cr_expect_eq(a->nperspectives, q->perspectives, "%s", q->what);
		bool usable = q->outcome == MPIC_OUT_NEGATIVE;
		cr_expect_eq(a->failed, usable ? 0 : q->failing, "%s", q->what);
		for (unsigned p = 0; p < a->nkept; p++) {
			/* perspectives are kept in order of arrival: the first fail */
			enum mpic_outcome want = p < q->failing ? q->outcome : MPIC_OUT_NEGATIVE;
			if (p >= q->failing)
				want = MPIC_OUT_ANSWERED; /* TXT answered: best wins over NODATA */
			enum mpic_outcome got = a->perspectives[p].outcome;
			if (p >= q->failing)
				cr_expect(mpic_outcome_usable(got), "%s: p%u %s", q->what, p,
				          mpic_outcome_name(got));
			else
				cr_expect_eq(got, want, "%s: p%u %s", q->what, p,
				             mpic_outcome_name(got));
		}
		mpic_free(m);
	}
}

Test(mpic, tcp_failure_of_a_perspective_during_the_window_counts)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	le_attempt(m, 10 * SEC, 5, 0, 0, -1, NULL);
	struct dcv_addr p1 = net_addr(1, 10);
	mpic_on_tcp_failure(m, 10 * SEC + 300 * MS, &p1, true);
	/* a TCP failure of a stranger changes nothing */
	struct dcv_addr x = net_addr(99, 1);
	mpic_on_tcp_failure(m, 10 * SEC + 300 * MS, &x, false);
	mpic_finish(m);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.at[0].a.status, MPIC_AT_RISK);
	cr_assert_eq(g.at[0].a.failed, 1);
	cr_assert_eq(g.at[0].p[1].outcome, MPIC_OUT_TCP_FAILURE);
	mpic_free(m);
}

Test(mpic, truncated_answer_without_tcp_retry_is_a_tcp_failure)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	le_attempt(m, 10 * SEC, 5, 0, 0, -1, NULL);
	/* perspective 0: its CAA for a.b.example.com truncated, never asked over TCP */
	struct mpic_txn t =
	    txn(10 * SEC + 260 * MS, net_addr(0, 10), "a.b.example.com", DNS_TYPE_CAA, 0);
	t.tc = true;
	mpic_on_txn(m, &t);
	/* perspective 1: truncated, then answered over TCP */
	t.source = net_addr(1, 10);
	mpic_on_txn(m, &t);
	t.tc = false;
	t.transport = DCV_TRANSPORT_TCP;
	t.ts_ns += 20 * MS;
	mpic_on_txn(m, &t);
	mpic_finish(m);
	cr_assert_eq(g.at[0].p[0].outcome, MPIC_OUT_TCP_FAILURE);
	cr_assert(mpic_outcome_usable(g.at[0].p[1].outcome));
	cr_assert_eq(g.at[0].a.status, MPIC_AT_RISK);
	mpic_free(m);
}

Test(mpic, window_close_ends_the_attempt_and_later_queries_start_a_new_one)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	le_attempt(m, 10 * SEC, 3, 0, 0, -1, NULL);
	/* window 10 s + 5 s for late unanswered queries */
	mpic_advance(m, 24 * SEC);
	cr_assert_eq(g.n, 0, "still waiting for late transactions");
	/* a late unanswered query of the window still lands in it */
	struct mpic_txn late = txn(10 * SEC + 500 * MS, net_addr(7, 1),
	                           "_acme-challenge.a.b.example.com", DNS_TYPE_TXT, -1);
	mpic_on_txn(m, &late);
	mpic_advance(m, 25 * SEC + 1);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.at[0].a.nperspectives, 4);
	cr_assert_eq(g.at[0].a.status, MPIC_AT_RISK);
	le_attempt(m, 60 * SEC, 3, 0, 0, -1, NULL);
	mpic_finish(m);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.at[1].a.first_ns, 60 * SEC);
	cr_assert_eq(g.at[1].a.nperspectives, 3);
	cr_assert_eq(g.at[1].a.status, MPIC_CORROBORATED);
	mpic_free(m);
}

Test(mpic, query_after_the_window_opens_a_new_attempt_before_the_old_one_closes)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	le_perspective(m, SEC, net_addr(0, 1), 0, NULL);
	le_perspective(m, SEC, net_addr(2, 1), 0, NULL);
	le_perspective(m, 12 * SEC, net_addr(1, 1), 0, NULL);
	le_perspective(m, 12 * SEC, net_addr(3, 1), 0, NULL);
	mpic_finish(m);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.at[0].a.nperspectives, 2);
	cr_assert_eq(g.at[1].a.nperspectives, 2);
	mpic_free(m);
}

Test(mpic, caa_only_climb_in_any_order_joins_the_deepest_name)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	static const char *const order[] = {"com", "example.com", "www.example.com"};
	for (unsigned p = 0; p < 3; p++)
		for (unsigned k = 0; k < 3; k++) {
			struct mpic_txn t = txn(SEC + p * 5 * MS + k * MS, net_addr(p, 1),
			                        order[(k + p) % 3], DNS_TYPE_CAA, 0);
			mpic_on_txn(m, &t);
		}
	mpic_finish(m);
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.at[0].a.name, "www.example.com");
	cr_assert_eq(g.at[0].a.method, DCV_SHAPE_CAA);
	cr_assert_eq(g.at[0].a.nperspectives, 3);
	cr_assert_eq(g.at[0].a.caa_labels, 3);
	mpic_free(m);
}

Test(mpic, address_pairs_before_caa_make_an_http01_attempt)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	for (unsigned p = 0; p < 4; p++) {
		uint64_t t0 = SEC + p * 3 * MS;
		struct mpic_txn a = txn(t0, net_addr(p, 1), "www.example.com", DNS_TYPE_A, 0);
		struct mpic_txn aaaa = txn(t0, net_addr(p, 1), "www.example.com", DNS_TYPE_AAAA, 0);
		mpic_on_txn(m, &a);
		mpic_on_txn(m, &aaaa);
		struct mpic_txn c1 =
		    txn(t0 + 900 * MS, net_addr(p, 1), "www.example.com", DNS_TYPE_CAA, 0);
		struct mpic_txn c2 =
		    txn(t0 + 900 * MS, net_addr(p, 1), "example.com", DNS_TYPE_CAA, 0);
		mpic_on_txn(m, &c1);
		mpic_on_txn(m, &c2);
	}
	mpic_finish(m);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.at[0].a.method, DCV_SHAPE_ADDRESS);
	cr_assert_eq(g.at[0].a.nperspectives, 4);
	cr_assert_eq(g.at[0].p[0].queries, 4, "A + AAAA + 2 CAA");
	struct srcs v = {0};
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_HIGH, on_source, &v), 4);
	mpic_free(m);
}

Test(mpic, failed_address_lookup_of_an_http01_perspective_counts)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	for (unsigned p = 0; p < 3; p++) {
		struct mpic_txn c = txn(SEC, net_addr(p, 1), "www.example.com", DNS_TYPE_CAA, 0);
		mpic_on_txn(m, &c);
	}
	mpic_advance(m, 3 * SEC); /* climbs joined */
	/* CAA first (another CA's order), then A/AAAA; the AAAA of p0 is refused */
	for (unsigned p = 0; p < 3; p++) {
		struct mpic_txn a = txn(4 * SEC, net_addr(p, 1), "www.example.com", DNS_TYPE_A, 0);
		struct mpic_txn b = txn(4 * SEC, net_addr(p, 1), "www.example.com", DNS_TYPE_AAAA,
		                        p == 0 ? DNS_RCODE_REFUSED : 0);
		mpic_on_txn(m, &a);
		mpic_on_txn(m, &b);
	}
	mpic_finish(m);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.at[0].a.method, DCV_SHAPE_ADDRESS);
	cr_assert_eq(g.at[0].p[0].outcome, MPIC_OUT_REFUSED);
	cr_assert_eq(g.at[0].a.status, MPIC_AT_RISK);
	mpic_free(m);
}

Test(mpic, digicert_dnsauth_and_plain_txt_share_one_attempt)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	for (unsigned p = 0; p < 4; p++) {
		struct mpic_txn a =
		    txn(SEC + p * MS, net_addr(p, 1), "_dnsauth.shop.example.net", DNS_TYPE_TXT, 0);
		a.mixed_case = false;
		struct mpic_txn b = a;
		b.qname = "shop.example.net";
		b.qname_len = (uint16_t)strlen(b.qname);
		b.rcode = p == 3 ? DNS_RCODE_SERVFAIL : 0;
		mpic_on_txn(m, &a);
		mpic_on_txn(m, &b);
	}
	mpic_finish(m);
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.at[0].a.name, "shop.example.net");
	cr_assert_eq(g.at[0].a.method, DCV_SHAPE_DNSAUTH);
	cr_assert_eq(g.at[0].p[3].outcome, MPIC_OUT_SERVFAIL);
	cr_assert_eq(g.at[0].a.status, MPIC_AT_RISK);
	/* no 0x20, but fan-out over 4 networks and only validation traffic */
	struct srcs v = {0};
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_HIGH, on_source, &v), 4);
	mpic_free(m);
}

Test(mpic, sources_by_address_come_in_address_text_order)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	/* first seen 100.0.7.10, 100.1.7.10, ... 100.11.7.10: in text order
	 * 100.10 and 100.11 come before 100.2 */
	le_attempt(m, 10 * SEC, 12, 0, 0, -1, NULL);
	mpic_finish(m);
	struct srcs any = {0}, sorted = {0};
	unsigned n = mpic_foreach_source(m, MPIC_CONF_LOW, on_source, &any);
	cr_assert_eq(n, 12);
	cr_assert_eq(mpic_foreach_source_by_address(m, MPIC_CONF_LOW, on_source, &sorted), 12);
	char text[12][DCV_ADDR_TEXT_MAX];
	for (int i = 0; i < 12; i++) {
		dcv_addr_format(&sorted.s[i].source, text[i], sizeof(text[i]));
		if (i > 0)
			cr_assert_lt(strcmp(text[i - 1], text[i]), 0, "%s before %s", text[i - 1],
			             text[i]);
	}
	cr_assert_str_eq(text[0], "100.0.7.10");
	cr_assert_str_eq(text[1], "100.1.7.10");
	cr_assert_str_eq(text[2], "100.10.7.10");
	cr_assert_str_eq(text[3], "100.11.7.10");
	cr_assert_str_eq(text[11], "100.9.7.10");
	/* the same sources with the same facts, only in another order */
	for (int i = 0; i < 12; i++) {
		int j = 0;
		while (j < 12 && !dcv_addr_equal(&any.s[j].source, &sorted.s[i].source))
			j++;
		cr_assert_lt(j, 12, "%s is one of the sources", text[i]);
		cr_assert_eq(any.s[j].confidence, sorted.s[i].confidence);
		cr_assert_eq(any.s[j].queries, sorted.s[i].queries);
		cr_assert_str_eq(any.s[j].evidence, sorted.s[i].evidence);
	}
	mpic_free(m);
}

Test(mpic, dnssec_failure_of_a_perspective_counts_for_the_attempt)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	le_attempt(m, SEC, 5, 0, 0, -1, NULL);
	struct mpic_txn k = txn(SEC + 100 * MS, net_addr(4, 10), "example.com", DNS_TYPE_DNSKEY,
	                        DNS_RCODE_SERVFAIL);
	mpic_on_txn(m, &k);
	mpic_finish(m);
	cr_assert_eq(g.at[0].p[4].outcome, MPIC_OUT_SERVFAIL);
	cr_assert_eq(g.at[0].a.status, MPIC_AT_RISK);
	mpic_free(m);
}

/* ---- sources ---- */

static enum mpic_confidence confidence_of(struct mpic *m, struct dcv_addr a)
{
	struct srcs v = {0};
	mpic_foreach_source(m, MPIC_CONF_LOW, on_source, &v);
	for (int i = 0; i < v.n && i < 64; i++)
		if (dcv_addr_equal(&v.s[i].source, &a))
			return v.s[i].confidence;
	return MPIC_CONF_NONE;
}

static void ordinary_traffic(struct mpic *m, struct dcv_addr r, uint64_t t0, unsigned n, bool mixed)
{
	static const uint16_t types[] = {DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_MX};
	char name[64];
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "host%u.example.com", i % 50);
		struct mpic_txn t = txn(t0 + i * 20 * MS, r, name, types[i % 3], 0);
		t.mixed_case = mixed;
		mpic_on_txn(m, &t);
	}
}

Test(mpic, ordinary_resolver_asking_one_acme_name_stays_below_medium)
{
	for (int order = 0; order < 2; order++) {
		struct got g = {0};
		struct mpic *m = new_mpic(&g, 0, 0);
		struct dcv_addr r = net_addr(200, 53);
		struct mpic_txn t =
		    txn(order ? SEC : 100 * SEC, r, "_acme-challenge.example.com", DNS_TYPE_TXT, 0);
		if (order)
			mpic_on_txn(m, &t);
		ordinary_traffic(m, r, 2 * SEC, 1000, true);
		if (!order)
			mpic_on_txn(m, &t);
		/* meanwhile, a real 3-network attempt for the same name */
		for (unsigned p = 0; p < 3; p++) {
			struct mpic_txn v = txn(t.ts_ns + (p + 1) * MS, net_addr(p, 1),
			                        "_acme-challenge.example.com", DNS_TYPE_TXT, 0);
			mpic_on_txn(m, &v);
		}
		mpic_finish(m);
		cr_assert_eq(g.at[0].a.nperspectives, 4);
		enum mpic_confidence c = confidence_of(m, r);
		cr_assert_eq(c, MPIC_CONF_LOW, "order %d: %s", order, mpic_confidence_name(c));
		cr_assert_eq(confidence_of(m, net_addr(0, 1)), MPIC_CONF_HIGH);
		mpic_free(m);
	}
}

Test(mpic, single_source_dig_of_a_validation_name_stays_low)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	struct dcv_addr r = net_addr(9, 9);
	struct mpic_txn t = txn(SEC, r, "_acme-challenge.example.com", DNS_TYPE_TXT, 0);
	mpic_on_txn(m, &t);
	mpic_finish(m);
	cr_assert_eq(g.n, 0, "one source looking up a record is not an MPIC attempt");
	cr_assert_eq(mpic_get_stats(m)->single_source, 1);
	cr_assert_eq(confidence_of(m, r), MPIC_CONF_LOW);
	struct srcs v = {0};
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_MEDIUM, on_source, &v), 0);
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_LOW, on_source, &v), 1);
	mpic_free(m);
}

Test(mpic, source_never_asking_validation_names_is_not_listed)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	ordinary_traffic(m, net_addr(3, 3), SEC, 100, false);
	mpic_finish(m);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_NONE, NULL, NULL), 0);
	mpic_free(m);
}

Test(mpic, acme_client_polling_before_the_ca_is_not_a_validator)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	struct dcv_addr client = net_addr(50, 5);
	for (unsigned i = 0; i < 4; i++) {
		struct mpic_txn t = txn(SEC + i * 2 * SEC, client,
		                        "_acme-challenge.a.b.example.com", DNS_TYPE_TXT, 0);
		t.mixed_case = false;
		mpic_on_txn(m, &t);
	}
	le_attempt(m, 8 * SEC, 5, 0, 0, -1, NULL);
	mpic_finish(m);
	cr_assert_eq(confidence_of(m, client), MPIC_CONF_LOW);
	cr_assert_eq(confidence_of(m, net_addr(0, 10)), MPIC_CONF_HIGH);
	mpic_free(m);
}

Test(mpic, single_visible_perspective_with_fingerprints_reaches_medium_over_attempts)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	struct dcv_addr p = net_addr(1, 1);
	le_perspective(m, SEC, p, 0, NULL);
	mpic_advance(m, 100 * SEC);
	cr_assert_eq(confidence_of(m, p), MPIC_CONF_LOW, "one attempt alone");
	le_perspective(m, 200 * SEC, p, 0, NULL);
	mpic_finish(m);
	cr_assert_eq(confidence_of(m, p), MPIC_CONF_MEDIUM);
	mpic_free(m);
}

/* ---- bounds ---- */

Test(mpic, full_attempt_table_evicts_and_reports_the_oldest)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 2, 0);
	const char *names[] = {"_acme-challenge.a.example", "_acme-challenge.b.example",
	                       "_acme-challenge.c.example"};
	for (unsigned i = 0; i < 3; i++) {
		/* two perspectives each, so that every one is an attempt */
		struct mpic_txn t = txn(SEC + i * MS, net_addr(i, 1), names[i], DNS_TYPE_TXT, 0);
		mpic_on_txn(m, &t);
		t = txn(SEC + i * MS, net_addr(i + 10, 1), names[i], DNS_TYPE_TXT, 0);
		mpic_on_txn(m, &t);
	}
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.at[0].a.name, "a.example");
	cr_assert_eq(mpic_get_stats(m)->evicted_attempts, 1);
	mpic_finish(m);
	cr_assert_eq(g.n, 3);
	cr_assert_eq(mpic_get_stats(m)->attempts, 3);
	mpic_free(m);
}

Test(mpic, full_source_table_evicts_and_counts)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 2);
	for (unsigned i = 0; i < 5; i++) {
		struct mpic_txn t =
		    txn(SEC + i * MS, net_addr(i, 1), "_acme-challenge.x.example", DNS_TYPE_TXT, 0);
		mpic_on_txn(m, &t);
	}
	cr_assert_eq(mpic_get_stats(m)->evicted_sources, 3);
	cr_assert_eq(mpic_foreach_source(m, MPIC_CONF_LOW, NULL, NULL), 2);
	mpic_finish(m);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.at[0].a.nperspectives, 5);
	mpic_free(m);
}

Test(mpic, many_perspectives_are_counted_beyond_the_kept_list)
{
	struct got g = {0};
	struct mpic *m = new_mpic(&g, 0, 0);
	for (unsigned i = 0; i < 20; i++) {
		struct mpic_txn t =
		    txn(SEC + i * MS, net_addr(i, 1), "_acme-challenge.x.example", DNS_TYPE_TXT, 0);
		mpic_on_txn(m, &t);
		mpic_on_txn(m, &t); /* a retransmission is not a new perspective */
	}
	mpic_finish(m);
	cr_assert_eq(g.at[0].a.nkept, MPIC_MAX_PERSPECTIVES);
	cr_assert_geq(g.at[0].a.nperspectives, 18); /* beyond 16: approximate */
	cr_assert_leq(g.at[0].a.nperspectives, 20);
	mpic_free(m);
}

/* ---- tables ---- */

Test(mpic, quorum_follows_br_3_2_2_9)
{
	static const unsigned want[] = {0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
	for (unsigned r = 0; r < sizeof(want) / sizeof(want[0]); r++)
		cr_assert_eq(mpic_quorum_failures_allowed(r), want[r], "%u remote", r);
	cr_assert_eq(mpic_quorum_failures_allowed(100), 2);
}

Test(mpic, names_are_stable_keys)
{
	cr_assert_str_eq(mpic_confidence_name(MPIC_CONF_LISTED), "listed");
	cr_assert_str_eq(mpic_confidence_name(MPIC_CONF_HIGH), "high");
	cr_assert_str_eq(mpic_outcome_name(MPIC_OUT_UNANSWERED), "unanswered");
	cr_assert_str_eq(mpic_outcome_name(MPIC_OUT_TCP_FAILURE), "tcp_failure");
	cr_assert_str_eq(mpic_status_name(MPIC_AT_RISK), "at_risk");
	cr_assert_str_eq(mpic_status_name(MPIC_CORROBORATED), "corroborated");
}
