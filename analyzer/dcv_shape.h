/*
 * dcv_shape.h - what a query name and type say about domain-control
 * validation (research/validators.md section 3).
 *
 * dcv_shape_classify() looks only at one query: its lowercased name and
 * type. Patterns that need several queries (CAA tree climbing, A+AAAA pairs
 * before HTTP validation, MPIC fan-out) are recognised by mpic.h.
 */
#ifndef DCV_DCV_SHAPE_H
#define DCV_DCV_SHAPE_H

#include <stdint.h>

enum dcv_shape {
	DCV_SHAPE_NONE = 0,       /* nothing validation-specific */
	DCV_SHAPE_ACME_DNS01,     /* TXT _acme-challenge.X (RFC 8555 8.4) */
	DCV_SHAPE_ACME_ACCOUNT01, /* TXT _<16 base32>._acme-challenge.X (dns-account-01) */
	DCV_SHAPE_PERSIST01,      /* TXT _validation-persist.X (dns-persist-01) */
	DCV_SHAPE_DNSAUTH,        /* TXT/CNAME/CAA _dnsauth.X (DigiCert) */
	DCV_SHAPE_CONTACT,        /* TXT _validation-contactemail/phone.X */
	DCV_SHAPE_CNAME_TOKEN,    /* CNAME _<32 hex>.X (AWS ACM style) */
	DCV_SHAPE_ACME_CNAME,     /* CNAME _acme-challenge.X (delegated dns-01) */
	DCV_SHAPE_CAA,            /* CAA X (one step of RFC 8659 climbing, or the only one) */
	DCV_SHAPE_DNSSEC,         /* DNSKEY or DS: chain of trust */
	DCV_SHAPE_ADDRESS,        /* A or AAAA (HTTP-01/TLS-ALPN-01 precede with A+AAAA) */
	DCV_SHAPE_COUNT
};

/* Longest base name kept (text form). */
#define DCV_SHAPE_BASE_MAX 256

struct dcv_shape_result {
	enum dcv_shape shape;
	/* The name being validated: X without the validation prefix, lowercased
	 * text form, pointing into the qname given (no copy). For CAA and other
	 * shapes it is the qname itself. */
	const char *base;
	uint16_t base_len;
};

/* dcv_shape_classify() classifies one query. qname is lowercased
 * presentation form without trailing dot (dns_parse output). Never fails. */
void dcv_shape_classify(const char *qname, uint16_t qname_len, uint16_t qtype,
                        struct dcv_shape_result *out);

/* dcv_shape_name() returns the stable key of a shape ("acme_dns01", "caa", ...). */
const char *dcv_shape_name(enum dcv_shape s);

/* dcv_shape_is_validation() is true for shapes that only validation uses
 * (everything but NONE, DNSSEC and ADDRESS, which resolvers send too). */
int dcv_shape_is_validation(enum dcv_shape s);

#endif
