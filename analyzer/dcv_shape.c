/*
 * dcv_shape.c - what one query's name and type say about domain-control
 * validation (research/validators.md section 3).
 *
 * Input contract (dns_parse.h note 6): qname is lowercased presentation form
 * without a trailing dot. A literal '.' or '\' inside a label reads "\." or
 * "\\" and every odd byte reads \DDD, so a label separator is always an
 * unescaped '.', and every prefix below (plain letters, digits, '-', '_')
 * can only match real label bytes: "_acme-challenge\.x" is one label and
 * matches nothing.
 *
 * Shapes by query type:
 *   TXT    _acme-challenge.X                    ACME_DNS01   (RFC 8555 8.4)
 *          _<16 base32>._acme-challenge.X       ACME_ACCOUNT01 (boulder va/dns.go)
 *          _validation-persist.X                PERSIST01    (BR 3.2.2.4.22)
 *          _dnsauth.X                           DNSAUTH      (dcvlib DcvConfiguration)
 *          _validation-contactemail|phone.X     CONTACT      (BR App. A.2)
 *   CNAME  _acme-challenge.X                    ACME_CNAME   (delegated dns-01)
 *          _<32 hex>.X                          CNAME_TOKEN  (AWS ACM)
 *          _dnsauth.X                           DNSAUTH
 *   CAA    _dnsauth.X                           DNSAUTH
 *          X                                    CAA          (RFC 8659 3)
 *   DNSKEY, DS                                  DNSSEC
 *   A, AAAA                                     ADDRESS
 * X must be a non-empty name. Everything else is NONE with base = qname.
 */
#include "dcv_shape.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "dns_parse.h"

/* dns-account-01 label: '_' + 16 chars of lowercase base32 (RFC 4648 6),
 * the first 10 bytes of SHA-256(account URI) (boulder va/dns.go l.109-124). */
#define ACCOUNT_LABEL_CHARS 16
/* AWS ACM token label: '_' + 32 hex digits (ACM API DomainValidation). */
#define CNAME_TOKEN_HEX_CHARS 32

#define LIT(s) s, sizeof(s) - 1

/* If qname starts with the label prefix (given with its separating '.'),
 * followed by at least one byte of X, return X's offset; else 0. */
static size_t strip_label(const char *q, size_t len, const char *prefix, size_t plen)
{
	if (len <= plen || memcmp(q, prefix, plen) != 0)
		return 0;
	return plen;
}

static bool is_base32_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A first label of '_' + exactly n chars accepted by ok, then '.', then X:
 * returns X's offset, or 0. */
static size_t strip_token_label(const char *q, size_t len, size_t n, bool (*ok)(char))
{
	if (len < n + 3 || q[0] != '_' || q[n + 1] != '.')
		return 0;
	for (size_t i = 1; i <= n; i++)
		if (!ok(q[i]))
			return 0;
	return n + 2;
}

static void set(struct dcv_shape_result *out, enum dcv_shape s, const char *qname, size_t off,
                size_t len)
{
	out->shape = s;
	out->base = qname + off;
	out->base_len = (uint16_t)(len - off);
}

/* TXT names: all start with '_'. */
static bool classify_txt(const char *q, size_t len, struct dcv_shape_result *out)
{
	size_t off;
	if ((off = strip_label(q, len, LIT("_acme-challenge.")))) {
		set(out, DCV_SHAPE_ACME_DNS01, q, off, len);
		return true;
	}
	if ((off = strip_token_label(q, len, ACCOUNT_LABEL_CHARS, is_base32_lower))) {
		size_t off2 = strip_label(q + off, len - off, LIT("_acme-challenge."));
		if (off2) {
			set(out, DCV_SHAPE_ACME_ACCOUNT01, q, off + off2, len);
			return true;
		}
		return false;
	}
	if ((off = strip_label(q, len, LIT("_validation-persist.")))) {
		set(out, DCV_SHAPE_PERSIST01, q, off, len);
		return true;
	}
	if ((off = strip_label(q, len, LIT("_dnsauth.")))) {
		set(out, DCV_SHAPE_DNSAUTH, q, off, len);
		return true;
	}
	if ((off = strip_label(q, len, LIT("_validation-contactemail."))) ||
	    (off = strip_label(q, len, LIT("_validation-contactphone.")))) {
		set(out, DCV_SHAPE_CONTACT, q, off, len);
		return true;
	}
	return false;
}

static bool classify_cname(const char *q, size_t len, struct dcv_shape_result *out)
{
	size_t off;
	if ((off = strip_label(q, len, LIT("_acme-challenge.")))) {
		set(out, DCV_SHAPE_ACME_CNAME, q, off, len);
		return true;
	}
	if ((off = strip_token_label(q, len, CNAME_TOKEN_HEX_CHARS, is_hex_lower))) {
		set(out, DCV_SHAPE_CNAME_TOKEN, q, off, len);
		return true;
	}
	if ((off = strip_label(q, len, LIT("_dnsauth.")))) {
		set(out, DCV_SHAPE_DNSAUTH, q, off, len);
		return true;
	}
	return false;
}

void dcv_shape_classify(const char *qname, uint16_t qname_len, uint16_t qtype,
                        struct dcv_shape_result *out)
{
	out->shape = DCV_SHAPE_NONE;
	out->base = qname;
	out->base_len = qname_len;
	if (qname == NULL) {
		out->base = "";
		out->base_len = 0;
		return;
	}
	size_t len = qname_len;
	/* the common case (an ordinary name) costs one byte compare per type */
	bool under = len > 0 && qname[0] == '_';
	switch (qtype) {
	case DNS_TYPE_TXT:
		if (under)
			classify_txt(qname, len, out);
		return;
	case DNS_TYPE_CNAME:
		if (under)
			classify_cname(qname, len, out);
		return;
	case DNS_TYPE_CAA: {
		size_t off;
		if (under && (off = strip_label(qname, len, LIT("_dnsauth.")))) {
			set(out, DCV_SHAPE_DNSAUTH, qname, off, len);
			return;
		}
		if (len > 0)
			out->shape = DCV_SHAPE_CAA;
		return;
	}
	case DNS_TYPE_DNSKEY:
	case DNS_TYPE_DS:
		if (len > 0)
			out->shape = DCV_SHAPE_DNSSEC;
		return;
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (len > 0)
			out->shape = DCV_SHAPE_ADDRESS;
		return;
	default:
		return;
	}
}

const char *dcv_shape_name(enum dcv_shape s)
{
	switch (s) {
	case DCV_SHAPE_NONE:
		return "none";
	case DCV_SHAPE_ACME_DNS01:
		return "acme_dns01";
	case DCV_SHAPE_ACME_ACCOUNT01:
		return "acme_account01";
	case DCV_SHAPE_PERSIST01:
		return "persist01";
	case DCV_SHAPE_DNSAUTH:
		return "dnsauth";
	case DCV_SHAPE_CONTACT:
		return "contact";
	case DCV_SHAPE_CNAME_TOKEN:
		return "cname_token";
	case DCV_SHAPE_ACME_CNAME:
		return "acme_cname";
	case DCV_SHAPE_CAA:
		return "caa";
	case DCV_SHAPE_DNSSEC:
		return "dnssec";
	case DCV_SHAPE_ADDRESS:
		return "address";
	case DCV_SHAPE_COUNT:
		break;
	}
	return "unknown";
}

int dcv_shape_is_validation(enum dcv_shape s)
{
	return s > DCV_SHAPE_NONE && s < DCV_SHAPE_COUNT && s != DCV_SHAPE_DNSSEC &&
	       s != DCV_SHAPE_ADDRESS;
}
