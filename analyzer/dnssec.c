/*
 * dnssec.c - DNSSEC status of captured answers (dnssec.h), with ldns.
 *
 * RRSIG times are 32-bit serial numbers (RFC 4034 3.1.5): they are placed
 * in the 68-year window around the answer's capture time.
 */
#include "dnssec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000ULL

const char *dnssec_status_name(enum dnssec_status s)
{
	switch (s) {
	case DNSSEC_SECURE:
		return "SECURE";
	case DNSSEC_INSECURE:
		return "INSECURE";
	case DNSSEC_INDETERMINATE:
		return "INDETERMINATE";
	case DNSSEC_BOGUS:
		return "BOGUS";
	}
	return "INDETERMINATE";
}

const char *dnssec_error_name(enum dnssec_error e)
{
	switch (e) {
	case DNSSEC_ERR_NONE:
		return "";
	case DNSSEC_ERR_DNSKEY_MISSING:
		return "DNSKEY_MISSING";
	case DNSSEC_ERR_RSIGS_MISSING:
		return "RSIGS_MISSING";
	case DNSSEC_ERR_NSEC_MISSING:
		return "NSEC_MISSING";
	case DNSSEC_ERR_BOGUS:
		return "DNSSEC_BOGUS";
	case DNSSEC_ERR_IO:
		return "IO_EXCEPTION";
	}
	return "";
}

/* ---- anchors ----------------------------------------------------------- */

void dnssec_anchors_free(struct dnssec_anchors *a)
{
	if (a == NULL)
		return;
	ldns_rr_list_deep_free(a->dnskeys);
	ldns_rr_list_deep_free(a->ds);
	a->dnskeys = NULL;
	a->ds = NULL;
}

int dnssec_anchors_load(struct dnssec_anchors *out, const char *path, char *err, size_t errlen)
{
	int rc = -1;
	ldns_rdf *origin = NULL, *prev = NULL;
	uint32_t ttl = 3600;
	int line = 1;
	memset(out, 0, sizeof(*out));
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %m", path);
		return -1;
	}
	out->dnskeys = ldns_rr_list_new();
	out->ds = ldns_rr_list_new();
	if (out->dnskeys == NULL || out->ds == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	while (!feof(f)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE)
			continue;
		if (st != LDNS_STATUS_OK) {
			if (feof(f) && rr == NULL && st == LDNS_STATUS_SYNTAX_ERR)
				break;
			snprintf(err, errlen, "%s:%d: %s", path, line, ldns_get_errorstr_by_id(st));
			goto cleanup;
		}
		bool kept = false;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY)
			kept = ldns_rr_list_push_rr(out->dnskeys, rr);
		else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS)
			kept = ldns_rr_list_push_rr(out->ds, rr);
		if (!kept)
			ldns_rr_free(rr);
	}
	if (ldns_rr_list_rr_count(out->dnskeys) + ldns_rr_list_rr_count(out->ds) == 0) {
		snprintf(err, errlen, "%s: no DNSKEY or DS record", path);
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (rc != 0)
		dnssec_anchors_free(out);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	fclose(f);
	return rc;
}

/* ---- keys -------------------------------------------------------------- */

int dnssec_keys_init(struct dnssec_keys *keys, const struct dnssec_anchors *anchors)
{
	memset(keys, 0, sizeof(*keys));
	if (anchors != NULL && anchors->dnskeys != NULL)
		keys->dnskeys = ldns_rr_list_clone(anchors->dnskeys);
	else
		keys->dnskeys = ldns_rr_list_new();
	if (anchors != NULL)
		keys->ds = anchors->ds;
	return keys->dnskeys != NULL ? 0 : -1;
}

void dnssec_keys_free(struct dnssec_keys *keys)
{
	if (keys == NULL)
		return;
	ldns_rr_list_deep_free(keys->dnskeys);
	for (size_t i = 0; i < keys->nempty; i++)
		ldns_rdf_deep_free(keys->empty[i]);
	free(keys->empty);
	memset(keys, 0, sizeof(*keys));
}

/* The records of list whose owner is name (and type, unless 0): a new list
 * of clones, or NULL on allocation failure. */
static ldns_rr_list *select_rrs(const ldns_rr_list *list, const ldns_rdf *name, ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; out != NULL && list != NULL && i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		if ((type != 0 && ldns_rr_get_type(rr) != type) ||
		    ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		ldns_rr *c = ldns_rr_clone(rr);
		if (c == NULL || !ldns_rr_list_push_rr(out, c)) {
			ldns_rr_free(c);
			ldns_rr_list_deep_free(out);
			return NULL;
		}
	}
	return out;
}

static bool list_has(const ldns_rr_list *list, const ldns_rr *rr)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++)
		if (ldns_rr_compare(ldns_rr_list_rr(list, i), rr) == 0)
			return true;
	return false;
}

static int keys_push(struct dnssec_keys *keys, const ldns_rr *rr)
{
	if (list_has(keys->dnskeys, rr))
		return 0;
	ldns_rr *c = ldns_rr_clone(rr);
	if (c == NULL || !ldns_rr_list_push_rr(keys->dnskeys, c)) {
		ldns_rr_free(c);
		return -1;
	}
	return 0;
}

static bool name_listed(ldns_rdf *const *names, size_t n, const ldns_rdf *name)
{
	for (size_t i = 0; i < n; i++)
		if (ldns_dname_compare(names[i], name) == 0)
			return true;
	return false;
}

int dnssec_keys_add_answer(struct dnssec_keys *keys, const char *qname, const ldns_pkt *pkt)
{
	int rc = -1;
	ldns_rdf *owner = ldns_dname_new_frm_str(qname);
	ldns_rr_list *found = NULL, *sigs = NULL, *ds = NULL, *trusted = NULL;
	if (owner == NULL)
		return -1;
	found = select_rrs(ldns_pkt_answer(pkt), owner, LDNS_RR_TYPE_DNSKEY);
	sigs = select_rrs(ldns_pkt_answer(pkt), owner, LDNS_RR_TYPE_RRSIG);
	ds = select_rrs(keys->ds, owner, LDNS_RR_TYPE_DS);
	trusted = ldns_rr_list_new();
	if (found == NULL || sigs == NULL || ds == NULL || trusted == NULL)
		goto cleanup;
	if (ldns_rr_list_rr_count(found) == 0) {
		if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOERROR &&
		    !name_listed(keys->empty, keys->nempty, owner)) {
			if (keys->nempty == keys->cap_empty) {
				size_t cap = keys->cap_empty ? keys->cap_empty * 2 : 8;
				ldns_rdf **p = realloc(keys->empty, cap * sizeof(*p));
				if (p == NULL)
					goto cleanup;
				keys->empty = p;
				keys->cap_empty = cap;
			}
			keys->empty[keys->nempty++] = owner;
			owner = NULL;
		}
		rc = 0;
		goto cleanup;
	}
	if (ldns_rr_list_rr_count(ds) == 0) {
		/* no DS to hold them against: every key the zone publishes */
		for (size_t i = 0; i < ldns_rr_list_rr_count(found); i++)
			if (keys_push(keys, ldns_rr_list_rr(found, i)) != 0)
				goto cleanup;
		rc = 0;
		goto cleanup;
	}
	/* with DS records: the keys they name, and all keys when one of those
	 * signs the DNSKEY RRset (RFC 4035 5.2) */
	for (size_t i = 0; i < ldns_rr_list_rr_count(found); i++)
		for (size_t j = 0; j < ldns_rr_list_rr_count(ds); j++)
			if (ldns_rr_compare_ds(ldns_rr_list_rr(found, i), ldns_rr_list_rr(ds, j))) {
				ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(found, i));
				if (c == NULL || !ldns_rr_list_push_rr(trusted, c)) {
					ldns_rr_free(c);
					goto cleanup;
				}
				break;
			}
	bool vouched = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs) && !vouched; i++)
		vouched = ldns_verify_rrsig_keylist_notime(found, ldns_rr_list_rr(sigs, i), trusted,
		                                           NULL) == LDNS_STATUS_OK;
	const ldns_rr_list *add = vouched ? found : trusted;
	for (size_t i = 0; i < ldns_rr_list_rr_count(add); i++)
		if (keys_push(keys, ldns_rr_list_rr(add, i)) != 0)
			goto cleanup;
	rc = 0;
cleanup:
	ldns_rdf_deep_free(owner);
	ldns_rr_list_deep_free(found);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(trusted);
	return rc;
}

/* ---- judging ----------------------------------------------------------- */

/* The longest name among the keys' owners, the DS anchors' owners and the
 * names without DNSKEY that is name or an ancestor of it (NULL: none). */
static const ldns_rdf *zone_of(const struct dnssec_keys *keys, const ldns_rdf *name)
{
	const ldns_rdf *best = NULL;
	const ldns_rr_list *lists[2] = {keys->dnskeys, keys->ds};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] != NULL && i < ldns_rr_list_rr_count(lists[l]); i++) {
			const ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(lists[l], i));
			if ((ldns_dname_compare(o, name) == 0 ||
			     ldns_dname_is_subdomain(name, o)) &&
			    (best == NULL ||
			     ldns_dname_label_count(o) > ldns_dname_label_count(best)))
				best = o;
		}
	for (size_t i = 0; i < keys->nempty; i++) {
		const ldns_rdf *o = keys->empty[i];
		if ((ldns_dname_compare(o, name) == 0 || ldns_dname_is_subdomain(name, o)) &&
		    (best == NULL || ldns_dname_label_count(o) > ldns_dname_label_count(best)))
			best = o;
	}
	return best;
}

static void set_verdict(struct dnssec_verdict *v, enum dnssec_status s, enum dnssec_error e,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_verdict(struct dnssec_verdict *v, enum dnssec_status s, enum dnssec_error e,
                        const char *fmt, ...)
{
	v->status = s;
	v->error = e;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
}

static void rdf_text(const ldns_rdf *rdf, char *buf, size_t len)
{
	char *s = rdf != NULL ? ldns_rdf2str(rdf) : NULL;
	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
}

static const char *type_text(ldns_rr_type t, char *buf, size_t len)
{
	char *s = ldns_rr_type2str(t);
	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
	return buf;
}

/* An RRSIG time field as nanoseconds, in the serial window around now_s. */
static uint64_t rrsig_time_ns(const ldns_rdf *rdf, uint64_t now_s)
{
	uint32_t t = ldns_rdf2native_int32(rdf);
	int64_t delta = (int32_t)(t - (uint32_t)now_s);
	int64_t s = (int64_t)now_s + delta;
	return s > 0 ? (uint64_t)s * NS_PER_S : 0;
}

static void time_text(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / NS_PER_S);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Verifies one RRset against its covering RRSIGs (sigs of the section).
 * Returns true when one verifies (and lowers *expires_ns), else false with
 * the verdict set (missing RRSIG, missing key, expired, failing).
 */
static bool verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
                         const ldns_rr_list *zone_keys, uint64_t ts_ns, struct dnssec_verdict *v)
{
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	ldns_rr_type type = ldns_rr_get_type(first);
	char owner[DNSSEC_DETAIL_MAX], tname[16];
	rdf_text(ldns_rr_owner(first), owner, sizeof(owner));
	type_text(type, tname, sizeof(tname));
	uint64_t now_s = ts_ns / NS_PER_S;
	ldns_status worst = LDNS_STATUS_OK;
	const ldns_rr *worst_sig = NULL;
	unsigned covering = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		if (ldns_dname_compare(ldns_rr_owner(sig), ldns_rr_owner(first)) != 0 ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) != type)
			continue;
		covering++;
		ldns_status st =
		    ldns_verify_rrsig_keylist_time(rrset, sig, zone_keys, (time_t)now_s, NULL);
		if (st == LDNS_STATUS_OK) {
			uint64_t exp = rrsig_time_ns(ldns_rr_rrsig_expiration(sig), now_s);
			if (v->expires_ns == 0 || exp < v->expires_ns)
				v->expires_ns = exp;
			return true;
		}
		/* keep the most telling failure: a time problem over a key problem */
		if (worst_sig == NULL || st == LDNS_STATUS_CRYPTO_SIG_EXPIRED ||
		    (st == LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED &&
		     worst != LDNS_STATUS_CRYPTO_SIG_EXPIRED)) {
			worst = st;
			worst_sig = sig;
		}
	}
	if (covering == 0) {
		set_verdict(v, DNSSEC_BOGUS, DNSSEC_ERR_RSIGS_MISSING,
		            "%s %s has no RRSIG although the zone is signed", owner, tname);
		return false;
	}
	char when[32];
	switch (worst) {
	case LDNS_STATUS_CRYPTO_SIG_EXPIRED:
		time_text(rrsig_time_ns(ldns_rr_rrsig_expiration(worst_sig), now_s), when,
		          sizeof(when));
		set_verdict(v, DNSSEC_BOGUS, DNSSEC_ERR_BOGUS, "RRSIG %s %s expired at %s", owner,
		            tname, when);
		break;
	case LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED:
		time_text(rrsig_time_ns(ldns_rr_rrsig_inception(worst_sig), now_s), when,
		          sizeof(when));
		set_verdict(v, DNSSEC_BOGUS, DNSSEC_ERR_BOGUS, "RRSIG %s %s is not valid before %s",
		            owner, tname, when);
		break;
	case LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY:
	case LDNS_STATUS_CRYPTO_NO_DNSKEY:
		set_verdict(
		    v, DNSSEC_BOGUS, DNSSEC_ERR_DNSKEY_MISSING,
		    "RRSIG %s %s is made with key tag %u, which is not in the zone's DNSKEY "
		    "RRset",
		    owner, tname, (unsigned)ldns_rdf2native_int16(ldns_rr_rrsig_keytag(worst_sig)));
		break;
	default:
		set_verdict(v, DNSSEC_BOGUS, DNSSEC_ERR_BOGUS, "RRSIG %s %s does not verify: %s",
		            owner, tname, ldns_get_errorstr_by_id(worst));
		break;
	}
	return false;
}

/* Verifies every RRset of one section (RRSIGs excluded; delegation NS and
 * their glue are not signed, RFC 4035 2.2). Returns false at the first
 * RRset that does not verify (verdict set). */
static bool verify_section(const ldns_rr_list *section, const ldns_rdf *zone,
                           const ldns_rr_list *zone_keys, uint64_t ts_ns, struct dnssec_verdict *v)
{
	bool ok = true;
	ldns_rr_list *sigs = ldns_rr_list_new();
	ldns_rr_list *rest = ldns_rr_list_new();
	for (size_t i = 0; sigs != NULL && rest != NULL && i < ldns_rr_list_rr_count(section);
	     i++) {
		ldns_rr *rr = ldns_rr_list_rr(section, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t == LDNS_RR_TYPE_RRSIG)
			ldns_rr_list_push_rr(sigs, rr);
		else if (t == LDNS_RR_TYPE_NS && ldns_dname_compare(ldns_rr_owner(rr), zone) != 0)
			continue; /* delegation */
		else if (t != LDNS_RR_TYPE_OPT)
			ldns_rr_list_push_rr(rest, rr);
	}
	if (sigs == NULL || rest == NULL) {
		set_verdict(v, DNSSEC_INDETERMINATE, DNSSEC_ERR_NONE, "out of memory");
		ok = false;
	}
	ldns_rr_list *rrset;
	/* sorted, so that every RRset comes out in one piece */
	if (rest != NULL)
		ldns_rr_list_sort(rest);
	while (ok && rest != NULL && (rrset = ldns_rr_list_pop_rrset(rest)) != NULL) {
		ok = verify_rrset(rrset, sigs, zone_keys, ts_ns, v);
		ldns_rr_list_free(rrset);
	}
	ldns_rr_list_free(sigs); /* the records belong to the packet */
	ldns_rr_list_free(rest);
	return ok;
}

static size_t count_type(const ldns_rr_list *l, ldns_rr_type t)
{
	size_t n = 0;
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++)
		n += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t;
	return n;
}

void dnssec_judge(const struct dnssec_keys *keys, const char *qname, uint16_t qtype,
                  const ldns_pkt *pkt, uint64_t ts_ns, struct dnssec_verdict *out)
{
	memset(out, 0, sizeof(*out));
	if (pkt == NULL) {
		set_verdict(out, DNSSEC_INDETERMINATE, DNSSEC_ERR_IO,
		            "no answer to the DO=1 query");
		return;
	}
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(pkt);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		char *r = ldns_pkt_rcode2str(rcode);
		set_verdict(out, DNSSEC_INDETERMINATE, DNSSEC_ERR_IO, "answered %s", r ? r : "?");
		free(r);
		return;
	}
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	ldns_rr_list *zone_keys = NULL;
	if (name == NULL) {
		set_verdict(out, DNSSEC_INDETERMINATE, DNSSEC_ERR_NONE, "name %s unusable", qname);
		return;
	}
	const ldns_rr_list *an = ldns_pkt_answer(pkt), *au = ldns_pkt_authority(pkt);
	size_t nsig = count_type(an, LDNS_RR_TYPE_RRSIG) + count_type(au, LDNS_RR_TYPE_RRSIG);
	/* the zone: the signer of the first RRSIG, else the closest known zone */
	const ldns_rdf *zone = NULL;
	for (size_t s = 0; s < 2 && zone == NULL; s++) {
		const ldns_rr_list *l = s == 0 ? an : au;
		for (size_t i = 0; i < ldns_rr_list_rr_count(l) && zone == NULL; i++)
			if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == LDNS_RR_TYPE_RRSIG)
				zone = ldns_rr_rrsig_signame(ldns_rr_list_rr(l, i));
	}
	if (zone == NULL)
		zone = zone_of(keys, name);
	if (zone != NULL) {
		rdf_text(zone, out->zone, sizeof(out->zone));
		for (char *c = out->zone; *c; c++) /* 0x20-encoded signer names */
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	if (zone != NULL)
		zone_keys = select_rrs(keys->dnskeys, zone, LDNS_RR_TYPE_DNSKEY);
	size_t nkeys = zone_keys != NULL ? ldns_rr_list_rr_count(zone_keys) : 0;
	bool ds_says_signed = false;
	for (size_t i = 0; zone != NULL && keys->ds != NULL && i < ldns_rr_list_rr_count(keys->ds);
	     i++)
		ds_says_signed |=
		    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(keys->ds, i)), zone) == 0;
	bool no_dnskey = zone != NULL && name_listed(keys->empty, keys->nempty, zone);

	if (nsig == 0 && nkeys == 0 && !ds_says_signed) {
		set_verdict(out, DNSSEC_INSECURE, DNSSEC_ERR_NONE, "zone %s is not signed",
		            zone != NULL ? out->zone : "of the name");
		goto cleanup;
	}
	if (nkeys == 0) {
		if (no_dnskey || ds_says_signed)
			set_verdict(out, DNSSEC_BOGUS, DNSSEC_ERR_DNSKEY_MISSING,
			            "zone %s %s but publishes no DNSKEY", out->zone,
			            ds_says_signed ? "has a DS record" : "answers with RRSIGs");
		else
			set_verdict(out, DNSSEC_INDETERMINATE, DNSSEC_ERR_DNSKEY_MISSING,
			            "no DNSKEY of %s in the capture or given with --dnskeys",
			            out->zone);
		goto cleanup;
	}
	/* a denial (NXDOMAIN, or NOERROR without the type) must be proven */
	bool denial = rcode == LDNS_RCODE_NXDOMAIN ||
	              (count_type(an, (ldns_rr_type)qtype) == 0 &&
	               count_type(an, LDNS_RR_TYPE_CNAME) == 0 && qtype != LDNS_RR_TYPE_ANY);
	if (denial && count_type(au, LDNS_RR_TYPE_NSEC) + count_type(au, LDNS_RR_TYPE_NSEC3) == 0) {
		set_verdict(out, DNSSEC_BOGUS, DNSSEC_ERR_NSEC_MISSING,
		            "%s for %s without NSEC or NSEC3 although zone %s is signed",
		            rcode == LDNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "NODATA", qname, out->zone);
		goto cleanup;
	}
	if (!verify_section(an, zone, zone_keys, ts_ns, out) ||
	    !verify_section(au, zone, zone_keys, ts_ns, out))
		goto cleanup;
	char when[32] = "";
	if (out->expires_ns != 0)
		time_text(out->expires_ns, when, sizeof(when));
	set_verdict(out, DNSSEC_SECURE, DNSSEC_ERR_NONE,
	            "signatures of zone %s verify; the first expires %s", out->zone, when);
cleanup:
	ldns_rr_list_deep_free(zone_keys);
	ldns_rdf_deep_free(name);
}
