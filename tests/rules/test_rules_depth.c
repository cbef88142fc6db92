/*
 * test_rules_depth.c - the DNSSEC, CAA and EDNS rules over stored results:
 * answers crafted and signed with ldns go through depth.c, db_depth_store()
 * and the rules; each rule fires on its fault with its evidence, and stays
 * silent on the near miss.
 */
#include <criterion/criterion.h>
#include <ldns/ldns.h>
#include <string.h>

#include "depth.h"
#include "depth_store.h"
#include "rules_fixture.h"

#define DAY_S 86400u
#define NOW_S ((uint32_t)(FX_T0 / FX_NS) + 3600u) /* the answers' capture time */

static ldns_key *zone_key(const char *zone, uint32_t expiration)
{
	ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
	cr_assert_not_null(k);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str(zone));
	ldns_key_set_flags(k, 257);
	ldns_key_set_inception(k, NOW_S - DAY_S);
	ldns_key_set_expiration(k, expiration);
	ldns_rr *pub = ldns_key2rr(k);
	ldns_key_set_keytag(k, ldns_calc_keytag(pub));
	ldns_rr_free(pub);
	return k;
}

/* Hands pkt (answering qname/qtype, from a letsencrypt validator) over. */
static void hand(struct depth *d, ldns_pkt *pkt, const char *qname, uint16_t qtype, bool do_bit)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	cr_assert_eq(ldns_pkt2wire(&wire, pkt, &len), LDNS_STATUS_OK);
	struct depth_txn t = {.ts_ns = (uint64_t)NOW_S * FX_NS,
	                      .qname = qname,
	                      .qtype = qtype,
	                      .do_bit = do_bit,
	                      .ca = "letsencrypt",
	                      .rcode = ldns_pkt_get_rcode(pkt),
	                      .wire = wire,
	                      .len = (uint32_t)len};
	depth_txn(d, &t);
	free(wire);
	ldns_pkt_free(pkt);
}

static ldns_pkt *answer(const char *qname, ldns_rr_type t)
{
	ldns_pkt *p = NULL;
	cr_assert_eq(ldns_pkt_query_new_frm_str(&p, qname, t, LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	return p;
}

/* Adds record text, signed by key unless key is NULL, to the answer. */
static void add(ldns_pkt *p, const char *text, ldns_key *key)
{
	ldns_rr *r = NULL;
	cr_assert_eq(ldns_rr_new_frm_str(&r, text, 300, NULL, NULL), LDNS_STATUS_OK, "%s", text);
	if (key != NULL) {
		ldns_rr_list *set = ldns_rr_list_new();
		ldns_rr_list_push_rr(set, r);
		ldns_key_list *kl = ldns_key_list_new();
		ldns_key_list_push_key(kl, key);
		ldns_rr_list *sigs = ldns_sign_public(set, kl);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(ldns_rr_list_rr(sigs, 0)));
		ldns_rr_list_deep_free(sigs);
		ldns_key_list_set_key_count(kl, 0);
		ldns_key_list_free(kl);
		ldns_rr_list_free(set);
	}
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, r);
}

static void dnskey_of(struct depth *d, const char *zone, ldns_key *key)
{
	ldns_pkt *p = answer(zone, LDNS_RR_TYPE_DNSKEY);
	ldns_rr *pub = ldns_key2rr(key);
	char *text = ldns_rr2str(pub);
	add(p, text, key);
	free(text);
	ldns_rr_free(pub);
	hand(d, p, zone, LDNS_RR_TYPE_DNSKEY, true);
}

/* Stores the results of d as the fixture's run, with its newest packet at
 * NOW_S, and runs the rules with cfg. */
static void store(struct fx *x, struct depth *d, const struct rules_config *cfg)
{
	struct validators *v = validators_new();
	cr_assert_geq(validators_load_defaults(v, "/nonexistent", NULL, NULL), 0);
	cr_assert_eq(depth_finish(d, v), 0);
	cr_assert_gt(db_depth_store(x->db, x->run, d), 0, "%s", db_errmsg(x->db));
	struct db_run_summary sum = {.finished_ns = FX_T0,
	                             .first_packet_ns = FX_T0,
	                             .last_packet_ns = (uint64_t)NOW_S * FX_NS,
	                             .complete = 1};
	cr_assert_geq(db_run_finish(x->db, x->run, &sum), 0, "%s", db_errmsg(x->db));
	fx_rules(x, cfg);
	validators_free(v);
}

Test(rules_depth, signatures_expiring_within_the_threshold_and_not_after)
{
	struct fx x;
	fx_open(&x);
	struct depth *d = depth_new(NULL);
	ldns_key *soon = zone_key("soon.test.", NOW_S + 2 * DAY_S);
	ldns_key *later = zone_key("later.test.", NOW_S + 4 * DAY_S);
	dnskey_of(d, "soon.test", soon);
	dnskey_of(d, "later.test", later);
	ldns_pkt *p = answer("www.soon.test.", LDNS_RR_TYPE_A);
	add(p, "www.soon.test. 300 IN A 192.0.2.1", soon);
	hand(d, p, "www.soon.test", LDNS_RR_TYPE_A, true);
	p = answer("www.later.test.", LDNS_RR_TYPE_A);
	add(p, "www.later.test. 300 IN A 192.0.2.2", later);
	hand(d, p, "www.later.test", LDNS_RR_TYPE_A, true);
	store(&x, d, NULL);
	const struct finding *f = fx_find(&x, "DNSSEC_EXPIRING", "www.soon.test");
	cr_assert_not_null(f);
	cr_expect_eq(f->severity, RULE_WARNING);
	cr_expect_float_eq(fx_metric(f, "days_left"), 2.0, 1e-6);
	cr_expect(strstr(f->evidence, "zone soon.test.") != NULL, "%s", f->evidence);
	cr_expect_null(fx_find(&x, "DNSSEC_EXPIRING", "www.later.test"), "4 days is no finding");
	cr_expect_eq(fx_count(&x, "DNSSEC_BOGUS"), 0);

	/* the threshold is the configuration's */
	struct rules_config cfg;
	rules_config_defaults(&cfg);
	cfg.v[RC_DNSSEC_EXPIRING_DAYS] = 5;
	fx_rules(&x, &cfg);
	cr_expect_not_null(fx_find(&x, "DNSSEC_EXPIRING", "www.later.test"));
	depth_free(d);
	ldns_key_deep_free(soon);
	ldns_key_deep_free(later);
	fx_close(&x);
}

Test(rules_depth, missing_rrsig_is_critical_and_unseen_keys_are_silent)
{
	struct fx x;
	fx_open(&x);
	struct depth *d = depth_new(NULL);
	ldns_key *key = zone_key("signed.test.", NOW_S + 30 * DAY_S);
	ldns_key *unseen = zone_key("unseen.test.", NOW_S + 30 * DAY_S);
	dnskey_of(d, "signed.test", key);
	ldns_pkt *p = answer("www.signed.test.", LDNS_RR_TYPE_A);
	add(p, "www.signed.test. 300 IN A 192.0.2.1", NULL);
	hand(d, p, "www.signed.test", LDNS_RR_TYPE_A, true);
	/* signed, but the capture has no DNSKEY answer of the zone */
	p = answer("www.unseen.test.", LDNS_RR_TYPE_A);
	add(p, "www.unseen.test. 300 IN A 192.0.2.3", unseen);
	hand(d, p, "www.unseen.test", LDNS_RR_TYPE_A, true);
	store(&x, d, NULL);
	const struct finding *f = fx_find(&x, "DNSSEC_RRSIG_MISSING", "www.signed.test");
	cr_assert_not_null(f);
	cr_expect_eq(f->severity, RULE_CRITICAL);
	cr_expect(strstr(f->evidence, "RSIGS_MISSING") != NULL, "%s", f->evidence);
	cr_expect_eq(fx_count(&x, "DNSSEC_DNSKEY_MISSING"), 0);
	cr_expect_eq(fx_count(&x, "DNSSEC_RRSIG_MISSING"), 1);
	depth_free(d);
	ldns_key_deep_free(key);
	ldns_key_deep_free(unseen);
	fx_close(&x);
}

Test(rules_depth, caa_for_another_ca_names_the_record_to_add)
{
	struct fx x;
	fx_open(&x);
	struct depth *d = depth_new(NULL);
	ldns_pkt *p = answer("shop.example.test.", LDNS_RR_TYPE_CAA);
	add(p, "shop.example.test. 300 IN CAA 0 issue \"digicert.com\"", NULL);
	hand(d, p, "shop.example.test", LDNS_RR_TYPE_CAA, false);
	p = answer("ok.example.test.", LDNS_RR_TYPE_CAA);
	add(p, "ok.example.test. 300 IN CAA 0 issue \"letsencrypt.org\"", NULL);
	hand(d, p, "ok.example.test", LDNS_RR_TYPE_CAA, false);
	store(&x, d, NULL);
	cr_assert_eq(fx_count(&x, "CAA_DENIES_CA"), 1);
	const struct finding *f = fx_find(&x, "CAA_DENIES_CA", "letsencrypt/shop.example.test");
	cr_assert_not_null(f);
	cr_expect_eq(f->severity, RULE_CRITICAL);
	cr_expect(strstr(f->recommendation, "shop.example.test. CAA 0 issue \"letsencrypt.org\"") !=
	              NULL,
	          "%s", f->recommendation);
	cr_expect(strstr(f->evidence, "0 issue \"digicert.com\"") != NULL, "%s", f->evidence);
	depth_free(d);
	fx_close(&x);
}

Test(rules_depth, edns_failures_of_a_server_make_one_finding_naming_each_check)
{
	struct fx x;
	fx_open(&x);
	struct depth *d = depth_new(NULL);
	struct dns_msg no_opt, big;
	memset(&no_opt, 0, sizeof(no_opt));
	no_opt.qr = true;
	big = no_opt;
	big.has_edns = true;
	struct edns_txn t = {.server = fx_addr("192.0.2.53"),
	                     .ts_ns = FX_T0,
	                     .qname = "example.test",
	                     .qtype = 1,
	                     .udp = true,
	                     .q_edns = true,
	                     .q_udp_size = 1232,
	                     .resp = &no_opt,
	                     .resp_len = 100};
	depth_edns(d, &t);
	t.resp = &big;
	t.resp_len = 1400;
	depth_edns(d, &t);
	/* another server answers correctly */
	t.server = fx_addr("192.0.2.54");
	t.resp_len = 100;
	depth_edns(d, &t);
	store(&x, d, NULL);
	cr_assert_eq(fx_count(&x, "EDNS_NONCOMPLIANT"), 1);
	const struct finding *f = fx_find(&x, "EDNS_NONCOMPLIANT", "192.0.2.53");
	cr_assert_not_null(f);
	cr_expect_eq(f->severity, RULE_CRITICAL);
	cr_expect(strstr(f->evidence, "no_opt x1") != NULL, "%s", f->evidence);
	cr_expect(strstr(f->evidence, "size_without_tc x1") != NULL, "%s", f->evidence);
	cr_expect_float_eq(fx_metric(f, "failures"), 2.0, 1e-9);
	depth_free(d);
	fx_close(&x);
}

/* A server whose NXDOMAIN and NODATA answers lack the SOA: one critical
 * NEGATIVE_WITHOUT_SOA for it, and no EDNS_NONCOMPLIANT (its EDNS is fine);
 * one such answer stays below the minimum. */
Test(rules_depth, negative_answers_without_soa_are_named_per_server)
{
	struct fx x;
	fx_open(&x);
	struct depth *d = depth_new(NULL);
	struct dns_msg nodata;
	memset(&nodata, 0, sizeof(nodata));
	nodata.qr = nodata.aa = nodata.has_edns = true;
	struct edns_txn t = {.server = fx_addr("192.0.2.53"),
	                     .ts_ns = FX_T0,
	                     .qname = "shop.example.test",
	                     .qtype = 257,
	                     .udp = true,
	                     .q_edns = true,
	                     .q_udp_size = 1232,
	                     .resp = &nodata,
	                     .resp_len = 60};
	for (int i = 0; i < 3; i++)
		depth_edns(d, &t);
	t.server = fx_addr("192.0.2.54");
	depth_edns(d, &t);
	store(&x, d, NULL);
	cr_assert_eq(fx_count(&x, "NEGATIVE_WITHOUT_SOA"), 1);
	const struct finding *f = fx_find(&x, "NEGATIVE_WITHOUT_SOA", "192.0.2.53");
	cr_assert_not_null(f);
	cr_expect_eq(f->severity, RULE_CRITICAL);
	cr_expect_eq(fx_metric(f, "answers"), 3);
	cr_expect(strstr(f->evidence, "shop.example.test CAA: NODATA") != NULL, "%s", f->evidence);
	cr_expect_eq(fx_count(&x, "EDNS_NONCOMPLIANT"), 0);
	depth_free(d);
	fx_close(&x);
}
