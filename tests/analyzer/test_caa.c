/*
 * test_caa.c - CAA records (RFC 8659, RFC 8657 parameters) and issuance
 * decisions, alone and through the kept-answer table with the RFC 8659
 * climb and the built-in CAA issuer domains.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "caa.h"
#include "depth.h"
#include "validators.h"

/* issuer domain -> CA id for the decision tests */
static const char *lab_issuer(void *ctx, const char *domain)
{
	(void)ctx;
	if (strcmp(domain, "letsencrypt.org") == 0)
		return "letsencrypt";
	if (strcmp(domain, "digicert.com") == 0)
		return "digicert";
	return NULL;
}

static struct caa_record rec(uint8_t flags, const char *tag, const char *value)
{
	struct caa_record r;
	memset(&r, 0, sizeof(r));
	r.flags = flags;
	snprintf(r.tag, sizeof(r.tag), "%s", tag);
	snprintf(r.value, sizeof(r.value), "%s", value);
	return r;
}

Test(caa, issue_value_with_rfc8657_parameters_is_parsed)
{
	struct caa_issue is;
	cr_assert_eq(caa_issue_parse("LetsEncrypt.org; accounturi=https://acme-v02.api."
	                             "letsencrypt.org/acme/acct/1234 ; validationmethods=dns-01",
	                             &is),
	             0);
	cr_expect_str_eq(is.domain, "letsencrypt.org");
	cr_expect_str_eq(is.accounturi, "https://acme-v02.api.letsencrypt.org/acme/acct/1234");
	cr_expect_str_eq(is.methods, "dns-01");
	cr_assert_eq(caa_issue_parse(";", &is), 0);
	cr_expect_str_eq(is.domain, "");
}

/* Malformed issue values, each rejected. */
static const char *const bad_values[] = {
    "letsencrypt.org extra",  /* text after the domain without ';' */
    "lets_encrypt.org",       /* '_' is not a domain character */
    "letsencrypt.org; =x",    /* parameter without a name */
    "letsencrypt.org; a b=c", /* space inside the name */
    "letsencrypt.org; k=v w", /* text after a value without ';' */
};

Test(caa, malformed_issue_values_are_rejected)
{
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		struct caa_issue is;
		cr_expect_eq(caa_issue_parse(bad_values[i], &is), -1, "'%s' accepted",
		             bad_values[i]);
	}
}

Test(caa, record_is_read_through_ldns)
{
	ldns_rr *r = NULL;
	cr_assert_eq(ldns_rr_new_frm_str(&r, "example.test. 300 IN CAA 128 ISSUE \"digicert.com\"",
	                                 300, NULL, NULL),
	             LDNS_STATUS_OK);
	struct caa_record c;
	cr_assert_eq(caa_record_from_rr(r, &c), 0);
	cr_expect_eq(c.flags, 128);
	cr_expect_str_eq(c.tag, "issue");
	cr_expect_str_eq(c.value, "digicert.com");
	ldns_rr_free(r);
	cr_assert_eq(ldns_rr_new_frm_str(&r, "example.test. 300 IN A 192.0.2.1", 300, NULL, NULL),
	             LDNS_STATUS_OK);
	cr_expect_eq(caa_record_from_rr(r, &c), -1);
	ldns_rr_free(r);
}

/* One decision case: the RRset, the CA, the expected decisions. */
struct decide_case {
	const char *what;
	struct caa_record rrs[4];
	size_t n;
	const char *ca;
	bool allowed, wild_allowed;
};

Test(caa, decisions_follow_rfc8659)
{
	const struct decide_case cases[] = {
	    {"issue names the CA",
	     {rec(0, "issue", "letsencrypt.org")},
	     1,
	     "letsencrypt",
	     true,
	     true},
	    {"issue names another CA",
	     {rec(0, "issue", "digicert.com")},
	     1,
	     "letsencrypt",
	     false,
	     false},
	    {"one of two issue records names the CA",
	     {rec(0, "issue", "digicert.com"), rec(0, "issue", "letsencrypt.org; accounturi=x")},
	     2,
	     "letsencrypt",
	     true,
	     true},
	    {"only iodef: no restriction",
	     {rec(0, "iodef", "mailto:a@example.test")},
	     1,
	     "letsencrypt",
	     true,
	     true},
	    {"issue ';' forbids every CA", {rec(0, "issue", ";")}, 1, "letsencrypt", false, false},
	    {"issuewild narrows wildcards only",
	     {rec(0, "issue", "letsencrypt.org"), rec(0, "issuewild", "digicert.com")},
	     2,
	     "letsencrypt",
	     true,
	     false},
	    {"unknown critical tag forbids issuance",
	     {rec(0, "issue", "letsencrypt.org"), rec(128, "tbs", "x")},
	     2,
	     "letsencrypt",
	     false,
	     false},
	    {"unknown non-critical tag is ignored",
	     {rec(0, "issue", "letsencrypt.org"), rec(0, "tbs", "x")},
	     2,
	     "letsencrypt",
	     true,
	     true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct caa_decision d;
		caa_decide(cases[i].rrs, cases[i].n, cases[i].ca, lab_issuer, NULL, &d);
		cr_expect_eq(d.allowed, cases[i].allowed, "%s: %s", cases[i].what, d.why);
		cr_expect_eq(d.wild_allowed, cases[i].wild_allowed, "%s (wildcard)", cases[i].what);
	}
}

/* ---- the climb, through the kept-answer table ----------------------- */

static void hand_caa(struct depth *d, const char *qname, const char *record, const char *ca,
                     uint64_t ts)
{
	ldns_pkt *p = NULL;
	cr_assert_eq(ldns_pkt_query_new_frm_str(&p, qname, LDNS_RR_TYPE_CAA, LDNS_RR_CLASS_IN, 0),
	             LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	if (record != NULL) {
		ldns_rr *r = NULL;
		cr_assert_eq(ldns_rr_new_frm_str(&r, record, 300, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, r);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	cr_assert_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	struct depth_txn t = {.ts_ns = ts,
	                      .qname = qname,
	                      .qtype = LDNS_RR_TYPE_CAA,
	                      .ca = ca,
	                      .rcode = 0,
	                      .wire = wire,
	                      .len = (uint32_t)len};
	depth_txn(d, &t);
	free(wire);
	ldns_pkt_free(p);
}

Test(caa, climb_finds_the_parent_rrset_and_names_the_record_to_add)
{
	struct validators *v = validators_new();
	cr_assert_not_null(v);
	cr_assert_geq(validators_load_defaults(v, "/nonexistent", NULL, NULL), 0);
	struct depth *d = depth_new(NULL);
	cr_assert_not_null(d);
	/* letsencrypt climbs www.shop.example.test (empty) -> shop (empty) -> example.test */
	hand_caa(d, "www.shop.example.test", NULL, "letsencrypt", 1);
	hand_caa(d, "shop.example.test", NULL, "letsencrypt", 2);
	hand_caa(d, "example.test", "example.test. 300 IN CAA 0 issue \"digicert.com\"",
	         "letsencrypt", 3);
	/* digicert asks only the apex, and may issue */
	hand_caa(d, "example.test", "example.test. 300 IN CAA 0 issue \"digicert.com\"", "digicert",
	         4);
	/* a resolver that is no validator: no decision */
	hand_caa(d, "other.test", "other.test. 300 IN CAA 0 issue \";\"", NULL, 5);
	cr_assert_eq(depth_finish(d, v), 0);
	size_t n;
	const struct depth_caa *c = depth_caa_results(d, &n);
	cr_assert_eq(n, 2, "one decision per (CA, deepest name)");
	const struct depth_caa *le = strcmp(c[0].ca, "letsencrypt") == 0 ? &c[0] : &c[1];
	const struct depth_caa *dc = le == &c[0] ? &c[1] : &c[0];
	cr_expect_str_eq(le->name, "www.shop.example.test");
	cr_expect_str_eq(le->owner, "example.test");
	cr_expect_not(le->allowed);
	cr_expect_str_eq(le->rrset, "0 issue \"digicert.com\"");
	cr_expect_str_eq(le->fix, "example.test. CAA 0 issue \"letsencrypt.org\"");
	cr_expect_str_eq(dc->ca, "digicert");
	cr_expect_str_eq(dc->name, "example.test");
	cr_expect(dc->allowed, "%s", dc->why);
	cr_expect_str_eq(dc->fix, "");
	depth_free(d);
	validators_free(v);
}

Test(caa, no_rrset_on_the_climb_allows_every_ca)
{
	struct depth *d = depth_new(NULL);
	cr_assert_not_null(d);
	hand_caa(d, "www.example.test", NULL, "letsencrypt", 1);
	hand_caa(d, "example.test", NULL, "letsencrypt", 2);
	cr_assert_eq(depth_finish(d, NULL), 0);
	size_t n;
	const struct depth_caa *c = depth_caa_results(d, &n);
	cr_assert_eq(n, 1);
	cr_expect(c[0].allowed);
	cr_expect_str_eq(c[0].owner, "");
	depth_free(d);
}
