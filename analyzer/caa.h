/*
 * caa.h - CAA records (RFC 8659) and whether they let a CA issue.
 *
 * A CAA property is (flags, tag, value). "issue" and "issuewild" values are
 *   issuer-domain-name [ ";" [ name "=" value ] *( ";" name "=" value ) ]
 * (RFC 8659 4.2), with the RFC 8657 parameters accounturi and
 * validationmethods. An empty issuer domain (";") lets no CA issue.
 * The relevant RRset of a name is the first non-empty CAA RRset met when
 * climbing from the name towards the root (RFC 8659 3); a CA may issue when
 * that RRset is empty or has no issue property, or an issue property names
 * one of the CA's issuer domains. An unknown tag with the critical flag
 * (128) forbids issuance to every CA (RFC 8659 4.1).
 */
#ifndef DCV_CAA_H
#define DCV_CAA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#define CAA_TAG_MAX       16  /* longest tag kept (RFC 8659 4.1 allows 15) */
#define CAA_VALUE_MAX     256 /* value bytes kept; longer values are cut */
#define CAA_FLAG_CRITICAL 128

/* One CAA property. */
struct caa_record {
	uint8_t flags;
	char tag[CAA_TAG_MAX];     /* lowercased */
	char value[CAA_VALUE_MAX]; /* printable; other bytes as \DDD */
};

/* An issue / issuewild value, parsed. */
struct caa_issue {
	char domain[CAA_VALUE_MAX]; /* "" = no CA may issue */
	char accounturi[CAA_VALUE_MAX];
	char methods[CAA_VALUE_MAX]; /* validationmethods, as given */
};

/*
 * caa_record_from_rr() reads a CAA record through ldns. Returns 0, or -1
 * when rr is not a well-formed CAA record (wrong type, missing or empty
 * tag, tag not alphanumeric); *out is then unspecified.
 */
int caa_record_from_rr(const ldns_rr *rr, struct caa_record *out);

/*
 * caa_issue_parse() parses an issue/issuewild value. Returns 0, or -1 when
 * it does not follow the RFC 8659 4.2 grammar (a CA treats such a record as
 * naming no issuer: it still forbids issuance to others).
 */
int caa_issue_parse(const char *value, struct caa_issue *out);

/* The decision for one CA over one RRset. */
struct caa_decision {
	bool allowed;      /* the CA may issue (non-wildcard) */
	bool wild_allowed; /* the CA may issue a wildcard */
	int deciding;      /* index of the record that allowed, or -1 */
	char why[256];     /* in words */
};

/*
 * caa_decide() decides whether the CA behind issuer domains (ca_of_issuer
 * maps an issuer domain to a CA id, or NULL) may issue under the n records
 * of one RRset. Cannot fail.
 */
void caa_decide(const struct caa_record *rrs, size_t n, const char *ca,
                const char *(*ca_of_issuer)(void *ctx, const char *domain), void *ctx,
                struct caa_decision *out);

#endif
