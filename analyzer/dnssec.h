/*
 * dnssec.h - DNSSEC status of captured answers, the way a CA's validating
 * resolver would judge them (CA/B ballot SC-085v2: a CA refuses to issue on
 * a bogus chain). ldns does the parsing and the signature checks.
 *
 * The judgement is local to the zone: the keys are the DNSKEY RRsets seen in
 * the capture (answers to DNSKEY queries) and the trust anchors given by the
 * operator (struct dnssec_anchors: DNSKEY or DS records, `--dnskeys FILE`).
 * A capture cannot see the parent's DS, so a zone counts as signed when it
 * has a DNSKEY, when an anchor names it, or when an answer carries RRSIGs.
 *
 *   status         error kind         when
 *   SECURE         -                  every RRset of the answer verifies at
 *                                     the answer's capture time
 *   INSECURE       -                  the zone is not signed
 *   BOGUS          RSIGS_MISSING      signed zone, an RRset without RRSIG
 *   BOGUS          NSEC_MISSING       signed zone, a denial without NSEC/NSEC3
 *   BOGUS          DNSKEY_MISSING     RRSIGs by a key the zone does not have
 *                                     (or the DNSKEY query got none)
 *   BOGUS          DNSSEC_BOGUS       expired, not yet valid, or failing
 *   INDETERMINATE  DNSKEY_MISSING     RRSIGs, but no DNSKEY seen or given
 *   INDETERMINATE  IO_EXCEPTION       no answer, or an error rcode
 */
#ifndef DCV_DNSSEC_H
#define DCV_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* The status words CAs report (Let's Encrypt/Boulder, CA/B SC-085v2). */
enum dnssec_status {
	DNSSEC_SECURE = 0,
	DNSSEC_INSECURE = 1,
	DNSSEC_INDETERMINATE = 2,
	DNSSEC_BOGUS = 3,
};

/* Why a status is not SECURE/INSECURE. */
enum dnssec_error {
	DNSSEC_ERR_NONE = 0,
	DNSSEC_ERR_DNSKEY_MISSING,
	DNSSEC_ERR_RSIGS_MISSING,
	DNSSEC_ERR_NSEC_MISSING,
	DNSSEC_ERR_BOGUS,
	DNSSEC_ERR_IO,
};

#define DNSSEC_DETAIL_MAX 256

/* dnssec_status_name() returns "SECURE", ... ; dnssec_error_name() returns
 * "", "DNSKEY_MISSING", "RSIGS_MISSING", "NSEC_MISSING", "DNSSEC_BOGUS",
 * "IO_EXCEPTION". Never NULL. */
const char *dnssec_status_name(enum dnssec_status s);
const char *dnssec_error_name(enum dnssec_error e);

/* Trust anchors: DNSKEY and DS records the operator vouches for. */
struct dnssec_anchors {
	ldns_rr_list *dnskeys; /* owned */
	ldns_rr_list *ds;      /* owned */
};

/*
 * dnssec_anchors_load() reads DNSKEY and DS records (zone-file syntax, one
 * record per line, $ORIGIN/$TTL honoured; other types are ignored) from
 * path into *out. Returns 0, or -1 with a message naming the file and line
 * in err (an unreadable file, a record ldns cannot parse, no DNSKEY or DS
 * at all); *out is then empty.
 */
int dnssec_anchors_load(struct dnssec_anchors *out, const char *path, char *err, size_t errlen);

/* dnssec_anchors_free() frees the lists; the struct itself is the caller's. */
void dnssec_anchors_free(struct dnssec_anchors *a);

/* The keys known for the zones of one run. */
struct dnssec_keys {
	ldns_rr_list *dnskeys; /* owned: every DNSKEY seen or given */
	ldns_rr_list *ds;      /* not owned: the anchors' DS records */
	ldns_rdf **empty;      /* owned: names whose DNSKEY query was answered without one */
	size_t nempty, cap_empty;
};

/* The judgement of one answer. */
struct dnssec_verdict {
	enum dnssec_status status;
	enum dnssec_error error;
	char zone[DNSSEC_DETAIL_MAX];   /* signer or key owner; "" when unsigned */
	char detail[DNSSEC_DETAIL_MAX]; /* why, in words ("RRSIG A expired 2026-...") */
	uint64_t expires_ns;            /* earliest expiry of the verified RRSIGs; 0 none */
};

/*
 * dnssec_keys_add_answer() adds the DNSKEY RRset of an answer to a DNSKEY
 * query for qname (owner in presentation form) to keys; an answer without
 * DNSKEY marks the name as having none. When the anchors given to
 * dnssec_keys_init() hold DS records for the owner, only the keys matching one of them, and the
 * keys their RRset's signature vouches for, are kept. Returns 0, or -1 on allocation failure.
 */
int dnssec_keys_add_answer(struct dnssec_keys *keys, const char *qname, const ldns_pkt *pkt);

/* dnssec_keys_init() starts an empty key set with the anchors' DNSKEYs
 * (anchors may be NULL). Returns 0 or -1 (allocation). */
int dnssec_keys_init(struct dnssec_keys *keys, const struct dnssec_anchors *anchors);

/* dnssec_keys_free() frees what dnssec_keys_init() and _add_answer() built. */
void dnssec_keys_free(struct dnssec_keys *keys);

/*
 * dnssec_judge() judges the answer pkt (NULL = no answer) to a DO=1 query
 * for qname/qtype captured at ts_ns, with the zone keys in keys. Fills *out;
 * cannot fail (allocation failures make the verdict INDETERMINATE).
 */
void dnssec_judge(const struct dnssec_keys *keys, const char *qname, uint16_t qtype,
                  const ldns_pkt *pkt, uint64_t ts_ns, struct dnssec_verdict *out);

#endif
