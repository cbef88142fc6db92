/*
 * test_dnssec.c - DNSSEC status of crafted answers: every status word and
 * error kind, from messages signed in the test with ldns (ECDSA P-256), and
 * the same judgement through the kept-answer table (depth.c) from wire.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "depth.h"
#include "dnssec.h"

#define NOW_S 1790000000u /* 2026-09-21: the "capture time" of the answers */
#define NS    1000000000ULL
#define DAY_S 86400u
#define ZONE  "example.test."

static ldns_key *make_key(uint32_t inception, uint32_t expiration)
{
	ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
	cr_assert_not_null(k);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str(ZONE));
	ldns_key_set_flags(k, 257);
	ldns_key_set_inception(k, inception);
	ldns_key_set_expiration(k, expiration);
	ldns_rr *pub = ldns_key2rr(k);
	ldns_key_set_keytag(k, ldns_calc_keytag(pub)); /* RRSIGs carry it */
	ldns_rr_free(pub);
	return k;
}

static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;
	cr_assert_eq(ldns_rr_new_frm_str(&r, text, 300, NULL, NULL), LDNS_STATUS_OK, "%s", text);
	return r;
}

/* Pushes rrset (taken) and, when key is not NULL, its RRSIG into section s. */
static void add_rrset(ldns_pkt *p, ldns_pkt_section s, ldns_rr_list *rrset, ldns_key *key)
{
	if (key != NULL) {
		ldns_key_list *kl = ldns_key_list_new();
		ldns_key_list_push_key(kl, key);
		ldns_rr_list *sigs = ldns_sign_public(rrset, kl);
		cr_assert_not_null(sigs);
		for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
			ldns_pkt_push_rr(p, s, ldns_rr_clone(ldns_rr_list_rr(sigs, i)));
		ldns_rr_list_deep_free(sigs);
		ldns_key_list_set_key_count(kl, 0);
		ldns_key_list_free(kl);
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++)
		ldns_pkt_push_rr(p, s, ldns_rr_clone(ldns_rr_list_rr(rrset, i)));
	ldns_rr_list_deep_free(rrset);
}

static ldns_rr_list *one(const char *text)
{
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr(text));
	return l;
}

static ldns_pkt *answer(const char *qname, ldns_rr_type t, ldns_pkt_rcode rcode)
{
	ldns_pkt *p = NULL;
	cr_assert_eq(ldns_pkt_query_new_frm_str(&p, qname, t, LDNS_RR_CLASS_IN, LDNS_RD),
	             LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	return p;
}

/* The DNSKEY answer of the zone, signed by key. */
static ldns_pkt *dnskey_answer(ldns_key *key)
{
	ldns_pkt *p = answer(ZONE, LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, ldns_key2rr(key));
	add_rrset(p, LDNS_SECTION_ANSWER, l, key);
	return p;
}

/* Keys learnt from the DNSKEY answer of key (or none when key is NULL). */
static void keys_of(struct dnssec_keys *keys, ldns_key *key)
{
	cr_assert_eq(dnssec_keys_init(keys, NULL), 0);
	if (key == NULL)
		return;
	ldns_pkt *p = dnskey_answer(key);
	cr_assert_eq(dnssec_keys_add_answer(keys, ZONE, p), 0);
	ldns_pkt_free(p);
}

static void judge(const struct dnssec_keys *keys, const char *qname, ldns_rr_type t,
                  const ldns_pkt *p, struct dnssec_verdict *v)
{
	dnssec_judge(keys, qname, (uint16_t)t, p, (uint64_t)NOW_S * NS, v);
}

Test(dnssec, signed_answer_with_published_key_is_secure_with_its_expiry)
{
	ldns_key *key = make_key(NOW_S - DAY_S, NOW_S + 10 * DAY_S);
	struct dnssec_keys keys;
	keys_of(&keys, key);
	ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_rrset(p, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), key);
	struct dnssec_verdict v;
	judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, &v);
	cr_expect_eq(v.status, DNSSEC_SECURE, "%s", v.detail);
	cr_expect_eq(v.error, DNSSEC_ERR_NONE);
	cr_expect_eq(v.expires_ns, (uint64_t)(NOW_S + 10 * DAY_S) * NS);
	cr_expect_str_eq(v.zone, ZONE);
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
	ldns_key_deep_free(key);
}

Test(dnssec, unsigned_zone_without_keys_is_insecure)
{
	struct dnssec_keys keys;
	keys_of(&keys, NULL);
	ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_rrset(p, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), NULL);
	struct dnssec_verdict v;
	judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, &v);
	cr_expect_eq(v.status, DNSSEC_INSECURE, "%s", v.detail);
	cr_expect_eq(v.error, DNSSEC_ERR_NONE);
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
}

/* One bogus case: the key's validity window, an optional tampering. */
struct bogus_case {
	const char *what;
	uint32_t inception, expiration;
	bool tamper;
	const char *detail_has;
};

static const struct bogus_case bogus_cases[] = {
    {"expired", NOW_S - 20 * DAY_S, NOW_S - DAY_S, false, "expired at 2026-09-20T"},
    {"not yet valid", NOW_S + DAY_S, NOW_S + 20 * DAY_S, false, "is not valid before"},
    {"changed after signing", NOW_S - DAY_S, NOW_S + DAY_S, true, "does not verify"},
};

Test(dnssec, expired_premature_and_failing_signatures_are_bogus)
{
	for (size_t i = 0; i < sizeof(bogus_cases) / sizeof(bogus_cases[0]); i++) {
		const struct bogus_case *c = &bogus_cases[i];
		ldns_key *key = make_key(c->inception, c->expiration);
		struct dnssec_keys keys;
		keys_of(&keys, key);
		ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
		add_rrset(p, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), key);
		if (c->tamper) {
			ldns_rr *a = ldns_rr_list_rr(ldns_pkt_answer(p), 1);
			cr_assert_eq(ldns_rr_get_type(a), LDNS_RR_TYPE_A);
			ldns_rdf_deep_free(ldns_rr_set_rdf(
			    a, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.0.2.66"), 0));
		}
		struct dnssec_verdict v;
		judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, &v);
		cr_expect_eq(v.status, DNSSEC_BOGUS, "%s: %s", c->what, v.detail);
		cr_expect_eq(v.error, DNSSEC_ERR_BOGUS, "%s", c->what);
		cr_expect(strstr(v.detail, c->detail_has) != NULL, "%s: %s", c->what, v.detail);
		cr_expect_str_eq(dnssec_error_name(v.error), "DNSSEC_BOGUS");
		ldns_pkt_free(p);
		dnssec_keys_free(&keys);
		ldns_key_deep_free(key);
	}
}

Test(dnssec, answer_of_signed_zone_without_rrsig_is_rsigs_missing)
{
	ldns_key *key = make_key(NOW_S - DAY_S, NOW_S + DAY_S);
	struct dnssec_keys keys;
	keys_of(&keys, key);
	ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_rrset(p, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), NULL);
	struct dnssec_verdict v;
	judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, &v);
	cr_expect_eq(v.status, DNSSEC_BOGUS, "%s", v.detail);
	cr_expect_eq(v.error, DNSSEC_ERR_RSIGS_MISSING);
	cr_expect_str_eq(dnssec_error_name(v.error), "RSIGS_MISSING");
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
	ldns_key_deep_free(key);
}

Test(dnssec, denial_of_signed_zone_without_nsec_is_nsec_missing)
{
	ldns_key *key = make_key(NOW_S - DAY_S, NOW_S + DAY_S);
	struct dnssec_keys keys;
	keys_of(&keys, key);
	ldns_pkt *p = answer("nothere." ZONE, LDNS_RR_TYPE_CAA, LDNS_RCODE_NXDOMAIN);
	add_rrset(p, LDNS_SECTION_AUTHORITY,
	          one(ZONE " 300 IN SOA ns." ZONE " h." ZONE " 1 3600 900 604800 300"), key);
	struct dnssec_verdict v;
	judge(&keys, "nothere.example.test", LDNS_RR_TYPE_CAA, p, &v);
	cr_expect_eq(v.status, DNSSEC_BOGUS, "%s", v.detail);
	cr_expect_eq(v.error, DNSSEC_ERR_NSEC_MISSING, "%s", v.detail);
	ldns_pkt_free(p);

	/* with a signed NSEC the same denial is secure */
	p = answer("nothere." ZONE, LDNS_RR_TYPE_CAA, LDNS_RCODE_NXDOMAIN);
	add_rrset(p, LDNS_SECTION_AUTHORITY,
	          one(ZONE " 300 IN SOA ns." ZONE " h." ZONE " 1 3600 900 604800 300"), key);
	add_rrset(p, LDNS_SECTION_AUTHORITY,
	          one(ZONE " 300 IN NSEC www." ZONE " A NS SOA RRSIG NSEC DNSKEY"), key);
	judge(&keys, "nothere.example.test", LDNS_RR_TYPE_CAA, p, &v);
	cr_expect_eq(v.status, DNSSEC_SECURE, "%s", v.detail);
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
	ldns_key_deep_free(key);
}

Test(dnssec, rrsig_without_any_known_key_is_indeterminate_dnskey_missing)
{
	ldns_key *key = make_key(NOW_S - DAY_S, NOW_S + DAY_S);
	struct dnssec_keys keys;
	keys_of(&keys, NULL);
	ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_rrset(p, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), key);
	struct dnssec_verdict v;
	judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, &v);
	cr_expect_eq(v.status, DNSSEC_INDETERMINATE, "%s", v.detail);
	cr_expect_eq(v.error, DNSSEC_ERR_DNSKEY_MISSING);
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
	ldns_key_deep_free(key);
}

Test(dnssec, rrsig_by_a_key_the_zone_does_not_publish_is_bogus_dnskey_missing)
{
	ldns_key *published = make_key(NOW_S - DAY_S, NOW_S + DAY_S);
	ldns_key *other = make_key(NOW_S - DAY_S, NOW_S + DAY_S);
	struct dnssec_keys keys;
	keys_of(&keys, published);
	ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_rrset(p, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), other);
	struct dnssec_verdict v;
	judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, &v);
	cr_expect_eq(v.status, DNSSEC_BOGUS, "%s", v.detail);
	cr_expect_eq(v.error, DNSSEC_ERR_DNSKEY_MISSING, "%s", v.detail);
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
	ldns_key_deep_free(published);
	ldns_key_deep_free(other);
}

Test(dnssec, zone_answering_rrsigs_but_no_dnskey_is_bogus_dnskey_missing)
{
	ldns_key *key = make_key(NOW_S - DAY_S, NOW_S + DAY_S);
	struct dnssec_keys keys;
	keys_of(&keys, NULL);
	ldns_pkt *empty = answer(ZONE, LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	cr_assert_eq(dnssec_keys_add_answer(&keys, ZONE, empty), 0);
	ldns_pkt_free(empty);
	ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_rrset(p, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), key);
	struct dnssec_verdict v;
	judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, &v);
	cr_expect_eq(v.status, DNSSEC_BOGUS, "%s", v.detail);
	cr_expect_eq(v.error, DNSSEC_ERR_DNSKEY_MISSING);
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
	ldns_key_deep_free(key);
}

Test(dnssec, no_answer_and_servfail_are_indeterminate_io_exception)
{
	struct dnssec_keys keys;
	keys_of(&keys, NULL);
	struct dnssec_verdict v;
	judge(&keys, "www.example.test", LDNS_RR_TYPE_A, NULL, &v);
	cr_expect_eq(v.status, DNSSEC_INDETERMINATE);
	cr_expect_eq(v.error, DNSSEC_ERR_IO);
	cr_expect_str_eq(dnssec_error_name(v.error), "IO_EXCEPTION");
	ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL);
	judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, &v);
	cr_expect_eq(v.error, DNSSEC_ERR_IO);
	cr_expect(strstr(v.detail, "SERVFAIL") != NULL, "%s", v.detail);
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
}

/* Writes text into a fresh temp file; returns its path (static buffer). */
static const char *temp_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/dcv-dnskeys-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(dnssec, ds_anchor_makes_an_unsigned_answer_rrsig_missing)
{
	ldns_key *key = make_key(NOW_S - DAY_S, NOW_S + DAY_S);
	ldns_rr *dnskey = ldns_key2rr(key);
	ldns_rr *ds = ldns_key_rr2ds(dnskey, LDNS_SHA256);
	char *ds_text = ldns_rr2str(ds);
	char file[2048];
	snprintf(file, sizeof(file), "; the zone's DS\n$TTL 300\n%s", ds_text);
	const char *path = temp_file(file);
	struct dnssec_anchors anchors;
	char err[256];
	cr_assert_eq(dnssec_anchors_load(&anchors, path, err, sizeof(err)), 0, "%s", err);
	unlink(path);
	cr_expect_eq(ldns_rr_list_rr_count(anchors.ds), 1);

	struct dnssec_keys keys;
	cr_assert_eq(dnssec_keys_init(&keys, &anchors), 0);
	ldns_pkt *p = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_rrset(p, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), NULL);
	struct dnssec_verdict v;
	dnssec_judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, (uint64_t)NOW_S * NS, &v);
	/* DS but no DNSKEY seen: the zone should be signed and publishes no key */
	cr_expect_eq(v.status, DNSSEC_BOGUS, "%s", v.detail);
	cr_expect_eq(v.error, DNSSEC_ERR_DNSKEY_MISSING, "%s", v.detail);
	/* the DNSKEY matching the DS: now the missing RRSIG is the error */
	ldns_pkt *k = dnskey_answer(key);
	cr_assert_eq(dnssec_keys_add_answer(&keys, ZONE, k), 0);
	ldns_pkt_free(k);
	dnssec_judge(&keys, "www.example.test", LDNS_RR_TYPE_A, p, (uint64_t)NOW_S * NS, &v);
	cr_expect_eq(v.error, DNSSEC_ERR_RSIGS_MISSING, "%s", v.detail);
	ldns_pkt_free(p);
	dnssec_keys_free(&keys);
	dnssec_anchors_free(&anchors);
	free(ds_text);
	ldns_rr_free(ds);
	ldns_rr_free(dnskey);
	ldns_key_deep_free(key);
}

Test(dnssec, anchors_file_errors_name_the_file)
{
	struct dnssec_anchors anchors;
	char err[256];
	cr_expect_eq(dnssec_anchors_load(&anchors, "/nonexistent/keys", err, sizeof(err)), -1);
	cr_expect(strstr(err, "/nonexistent/keys") != NULL, "%s", err);
	const char *path = temp_file("example.test. 300 IN A 192.0.2.1\n");
	cr_expect_eq(dnssec_anchors_load(&anchors, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "no DNSKEY or DS") != NULL, "%s", err);
	unlink(path);
	path = temp_file("example.test. 300 IN DNSKEY 257 3 13 !!notbase64!!\n");
	cr_expect_eq(dnssec_anchors_load(&anchors, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, path) != NULL, "%s", err);
	unlink(path);
}

/* ---- the same through the kept-answer table, from wire ---------------- */

static void hand(struct depth *d, ldns_pkt *p, const char *qname, uint16_t qtype, uint64_t ts_s)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	cr_assert_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	struct depth_txn t = {.ts_ns = ts_s * NS,
	                      .qname = qname,
	                      .qtype = qtype,
	                      .do_bit = true,
	                      .ca = "letsencrypt",
	                      .rcode = ldns_pkt_get_rcode(p),
	                      .wire = wire,
	                      .len = (uint32_t)len};
	depth_txn(d, &t);
	free(wire);
}

Test(dnssec, kept_answers_are_judged_after_their_dnskey_and_counted_once)
{
	ldns_key *key = make_key(NOW_S - DAY_S, NOW_S + 2 * DAY_S);
	struct depth *d = depth_new(NULL);
	cr_assert_not_null(d);
	ldns_pkt *a = answer("www." ZONE, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	add_rrset(a, LDNS_SECTION_ANSWER, one("www." ZONE " 300 IN A 192.0.2.1"), key);
	/* the same answer three times (perspectives), the DNSKEY only after */
	for (int i = 0; i < 3; i++) {
		ldns_pkt_set_id(a, (uint16_t)(100 + i));
		hand(d, a, "www.example.test", LDNS_RR_TYPE_A, NOW_S + (uint64_t)i);
	}
	ldns_pkt *k = dnskey_answer(key);
	hand(d, k, "example.test", LDNS_RR_TYPE_DNSKEY, NOW_S + 5);
	cr_assert_eq(depth_finish(d, NULL), 0);
	const struct depth_stats *st = depth_get_stats(d);
	cr_expect_eq(st->kept, 2);
	cr_expect_eq(st->duplicates, 2);
	size_t n;
	const struct depth_dnssec *r = depth_dnssec_results(d, &n);
	cr_assert_eq(n, 2);
	const struct depth_dnssec *www = strcmp(r[0].name, "www.example.test") == 0 ? &r[0] : &r[1];
	cr_expect_str_eq(www->name, "www.example.test");
	cr_expect_eq(www->v.status, DNSSEC_SECURE, "%s", www->v.detail);
	cr_expect_eq(www->responses, 3);
	cr_expect_eq(www->first_ns, (uint64_t)NOW_S * NS);
	cr_expect_eq(www->last_ns, (uint64_t)(NOW_S + 2) * NS);
	cr_expect_eq(www->v.expires_ns, (uint64_t)(NOW_S + 2 * DAY_S) * NS);
	cr_expect_str_eq(www->ca, "letsencrypt");
	ldns_pkt_free(a);
	ldns_pkt_free(k);
	depth_free(d);
	ldns_key_deep_free(key);
}

Test(dnssec, answers_of_sources_that_are_no_validator_are_not_judged)
{
	struct depth *d = depth_new(NULL);
	cr_assert_not_null(d);
	struct depth_txn t = {.ts_ns = NOW_S * NS,
	                      .qname = "www.example.test",
	                      .qtype = LDNS_RR_TYPE_A,
	                      .do_bit = true,
	                      .rcode = -1};
	depth_txn(d, &t);
	cr_assert_eq(depth_finish(d, NULL), 0);
	size_t n;
	depth_dnssec_results(d, &n);
	cr_expect_eq(n, 0);
	depth_free(d);
}

Test(dnssec, a_full_table_counts_what_it_drops)
{
	struct depth_config cfg = {.max_messages = 2};
	struct depth *d = depth_new(&cfg);
	cr_assert_not_null(d);
	const char *names[] = {"a.example.test", "b.example.test", "c.example.test",
	                       "d.example.test"};
	for (int i = 0; i < 4; i++) {
		struct depth_txn t = {.ts_ns = NOW_S * NS,
		                      .qname = names[i],
		                      .qtype = LDNS_RR_TYPE_A,
		                      .do_bit = true,
		                      .ca = "letsencrypt",
		                      .rcode = -1};
		depth_txn(d, &t);
	}
	/* an answer cut by the snap length is counted, not judged */
	struct depth_txn cut = {.qname = "e.example.test", .qtype = 1, .do_bit = true, .rcode = 0};
	depth_txn(d, &cut);
	cr_assert_eq(depth_finish(d, NULL), 0);
	const struct depth_stats *st = depth_get_stats(d);
	cr_expect_eq(st->handed, 5);
	cr_expect_eq(st->kept, 2);
	cr_expect_eq(st->dropped, 2);
	cr_expect_eq(st->incomplete, 1);
	size_t n;
	const struct depth_dnssec *r = depth_dnssec_results(d, &n);
	cr_expect_eq(n, 2);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(r[i].v.error, DNSSEC_ERR_IO);
	depth_free(d);
}
