/*
 * test_edns_check.c - EDNS compliance checks (edns_check.h): each check
 * fails on its fault and stays silent on a compliant answer.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "edns_check.h"

static struct dcv_addr server(void)
{
	struct dcv_addr a;
	memset(&a, 0, sizeof(a));
	a.family = DCV_ADDR_V4;
	a.bytes[0] = 192, a.bytes[1] = 0, a.bytes[2] = 2, a.bytes[3] = 53;
	return a;
}

/* A compliant answer with OPT version 0. */
static struct dns_msg good_answer(void)
{
	struct dns_msg m;
	memset(&m, 0, sizeof(m));
	m.header_ok = m.qr = true;
	m.has_edns = true;
	m.edns_udp_size = 1232;
	return m;
}

/* An EDNS(0) query for name/A with a 1232-byte UDP size, answered by r. */
static struct edns_txn edns_query(const char *name, const struct dns_msg *r, uint32_t len)
{
	struct edns_txn t = {.server = server(),
	                     .ts_ns = 1000,
	                     .qname = name,
	                     .qtype = 1,
	                     .udp = true,
	                     .q_edns = true,
	                     .q_udp_size = 1232,
	                     .resp = r,
	                     .resp_len = len};
	return t;
}

/* The single server's failures of check k after finishing. */
static uint64_t failures(struct edns_checker *c, enum edns_check k)
{
	edns_checker_finish(c);
	unsigned n;
	const struct edns_server *s = edns_checker_servers(c, &n);
	cr_assert_eq(n, 1);
	return s[0].fail[k];
}

static uint64_t total_failures(struct edns_checker *c)
{
	edns_checker_finish(c);
	unsigned n;
	const struct edns_server *s = edns_checker_servers(c, &n);
	uint64_t sum = 0;
	for (unsigned i = 0; i < n; i++)
		for (int k = 0; k < EDNS_CHECK_COUNT; k++)
			sum += s[i].fail[k];
	return sum;
}

Test(edns_check, compliant_answers_fail_no_check)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg r = good_answer();
	struct edns_txn t = edns_query("example.test", &r, 100);
	t.q_cookie = true;
	r.edns_cookie = true;
	r.edns_options = 1;
	edns_checker_txn(c, &t);
	/* a big answer with TC is fine too */
	struct dns_msg big = good_answer();
	big.tc = true;
	struct edns_txn t2 = edns_query("big.example.test", &big, 1400);
	edns_checker_txn(c, &t2);
	cr_expect_eq(total_failures(c), 0);
	edns_checker_free(c);
}

Test(edns_check, answer_without_opt_fails_no_opt)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg r = good_answer();
	r.has_edns = false;
	struct edns_txn t = edns_query("example.test", &r, 100);
	edns_checker_txn(c, &t);
	cr_expect_eq(failures(c, EDNS_CHK_NO_OPT), 1);
	unsigned n;
	cr_expect(strstr(edns_checker_servers(c, &n)[0].example[EDNS_CHK_NO_OPT],
	                 "example.test A") != NULL);
	edns_checker_free(c);
}

Test(edns_check, formerr_to_edns_only_fails_when_plain_query_is_fine)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg formerr = good_answer();
	formerr.rcode = 1;
	struct edns_txn t = edns_query("example.test", &formerr, 100);
	edns_checker_txn(c, &t);
	struct edns_txn other = edns_query("other.test", &formerr, 100);
	edns_checker_txn(c, &other);
	/* the plain query for example.test comes later in the capture */
	struct dns_msg plain;
	memset(&plain, 0, sizeof(plain));
	plain.qr = true;
	struct edns_txn p = edns_query("example.test", &plain, 60);
	p.q_edns = false;
	edns_checker_txn(c, &p);
	cr_expect_eq(failures(c, EDNS_CHK_ERROR_RCODE), 1, "other.test has no plain answer");
	edns_checker_free(c);
}

Test(edns_check, unknown_version_must_get_badvers_with_version_0)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg ok = good_answer();
	ok.rcode = DNS_RCODE_BADVERS;
	struct edns_txn t = edns_query("example.test", &ok, 100);
	t.q_version = 1;
	edns_checker_txn(c, &t);
	struct dns_msg noerror = good_answer();
	t.resp = &noerror;
	edns_checker_txn(c, &t);
	struct dns_msg v1 = good_answer();
	v1.rcode = DNS_RCODE_BADVERS;
	v1.edns_version = 1;
	t.resp = &v1;
	edns_checker_txn(c, &t);
	cr_expect_eq(failures(c, EDNS_CHK_BADVERS), 2);
	edns_checker_free(c);
}

Test(edns_check, udp_answer_over_the_requested_size_without_tc_fails)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg r = good_answer();
	struct edns_txn t = edns_query("example.test", &r, 1400);
	edns_checker_txn(c, &t);
	t.udp = false; /* over TCP any size is fine */
	edns_checker_txn(c, &t);
	cr_expect_eq(failures(c, EDNS_CHK_SIZE), 1);
	edns_checker_free(c);
}

Test(edns_check, unknown_option_echoed_fails)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg r = good_answer();
	r.edns_options = 1; /* an option the summary does not know */
	struct edns_txn t = edns_query("example.test", &r, 100);
	t.q_unknown_option = true;
	edns_checker_txn(c, &t);
	cr_expect_eq(failures(c, EDNS_CHK_OPTION_ECHO), 1);
	edns_checker_free(c);
}

Test(edns_check, cookie_answered_inconsistently_fails_and_never_is_fine)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg with = good_answer(), without = good_answer();
	with.edns_cookie = true;
	with.edns_options = 1;
	struct edns_txn t = edns_query("example.test", &with, 100);
	t.q_cookie = true;
	edns_checker_txn(c, &t);
	t.resp = &without;
	edns_checker_txn(c, &t);
	edns_checker_txn(c, &t);
	cr_expect_eq(failures(c, EDNS_CHK_COOKIE), 2);
	edns_checker_free(c);

	c = edns_checker_new();
	edns_checker_txn(c, &t); /* a server without cookies at all */
	cr_expect_eq(failures(c, EDNS_CHK_COOKIE), 0);
	edns_checker_free(c);
}

/* A server that answers a name fine with EDNS and has one sporadic SERVFAIL
 * for it (while plain queries also work) is not EDNS-broken; one that fails
 * the name's EDNS queries as a rule is. */
Test(edns_check, sporadic_servfail_among_good_edns_answers_is_no_edns_fault)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg good = good_answer();
	struct dns_msg servfail = good_answer();
	servfail.rcode = 2;
	struct dns_msg plain;
	memset(&plain, 0, sizeof(plain));
	plain.qr = true;
	const char *names[] = {"sporadic.test", "broken.test"};
	for (int n = 0; n < 2; n++) {
		struct edns_txn p = edns_query(names[n], &plain, 60);
		p.q_edns = false;
		edns_checker_txn(c, &p);
	}
	/* sporadic.test: one SERVFAIL, then ten good EDNS answers */
	struct edns_txn t = edns_query("sporadic.test", &servfail, 100);
	edns_checker_txn(c, &t);
	for (int i = 0; i < 10; i++) {
		struct edns_txn g = edns_query("sporadic.test", &good, 100);
		edns_checker_txn(c, &g);
	}
	/* broken.test: three SERVFAILs to EDNS, one good answer among them */
	for (int i = 0; i < 4; i++) {
		struct edns_txn b = edns_query("broken.test", i == 1 ? &good : &servfail, 100);
		edns_checker_txn(c, &b);
	}
	cr_expect_eq(failures(c, EDNS_CHK_ERROR_RCODE), 3,
	             "broken.test's three, none of sporadic.test");
	unsigned n;
	cr_expect(strstr(edns_checker_servers(c, &n)[0].example[EDNS_CHK_ERROR_RCODE],
	                 "broken.test") != NULL);
	edns_checker_free(c);
}

/* RFC 2308 3: an authoritative NXDOMAIN or NODATA carries the zone's SOA.
 * Without it: a failure, with or without EDNS in the query. With it, a
 * referral (AA=0), a TC=1 answer or an answer with records: none. */
Test(edns_check, negative_answers_without_soa_fail_negative_without_soa)
{
	struct edns_checker *c = edns_checker_new();
	struct dns_msg nx = good_answer();
	nx.aa = true;
	nx.rcode = nx.header_rcode = 3;
	struct edns_txn t = edns_query("gone.example.test", &nx, 60);
	t.q_edns = false; /* a plain query */
	edns_checker_txn(c, &t);
	struct dns_msg nodata = good_answer();
	nodata.aa = true;
	struct edns_txn t2 = edns_query("example.test", &nodata, 60);
	t2.qtype = 257;
	edns_checker_txn(c, &t2);

	struct dns_msg with_soa = nx;
	with_soa.has_soa = true;
	struct dns_msg referral = nodata;
	referral.aa = false;
	struct dns_msg truncated = nodata;
	truncated.tc = true;
	struct dns_msg answered = nodata;
	answered.ancount = 1;
	struct dns_msg notify = nodata; /* the answer to a NOTIFY */
	notify.opcode = 4;
	const struct dns_msg *fine[] = {&with_soa, &referral, &truncated, &answered, &notify};
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		struct edns_txn u = edns_query("fine.example.test", fine[i], 60);
		edns_checker_txn(c, &u);
	}
	cr_expect_eq(failures(c, EDNS_CHK_NEGATIVE_NO_SOA), 2);
	unsigned n;
	const char *ex = edns_checker_servers(c, &n)[0].example[EDNS_CHK_NEGATIVE_NO_SOA];
	cr_expect(strstr(ex, "gone.example.test A: NXDOMAIN without SOA") != NULL, "%s", ex);
	cr_expect_eq(total_failures(c), 2, "no EDNS check fails on them");
	edns_checker_free(c);
}
