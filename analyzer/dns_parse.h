/*
 * dns_parse.h - the hot-path DNS wire parser: zero-copy, bounds-checked.
 *
 * dns_parse() reads one DNS message (RFC 1035 section 4) and summarizes it
 * in struct dns_msg: header and flags, the first question (name lowercased,
 * in presentation form), the EDNS OPT record (RFC 6891) and a walk over all
 * resource records. It never allocates and never reads outside [p, p+len).
 */
#ifndef DCV_DNS_PARSE_H
#define DCV_DNS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	DNS_HEADER_SIZE = 12,
	DNS_NAME_WIRE_MAX = 255, /* RFC 1035 2.3.4 */
	DNS_LABEL_MAX = 63,      /* RFC 1035 2.3.4 */
	DNS_RR_MIN_SIZE = 11,    /* root owner (1) + type, class, ttl, rdlength (10) */
	DNS_QUESTION_MIN_SIZE = 5,
	/* presentation form: every byte may become \DDD, plus dots, plus NUL */
	DNS_NAME_TEXT_MAX = 4 * DNS_NAME_WIRE_MAX + 2,
};

/* Record types the summary knows by name. */
enum {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_DS = 43,
	DNS_TYPE_RRSIG = 46,
	DNS_TYPE_NSEC = 47,
	DNS_TYPE_DNSKEY = 48,
	DNS_TYPE_NSEC3 = 50,
	DNS_TYPE_NSEC3PARAM = 51,
	DNS_TYPE_HTTPS = 65,
	DNS_TYPE_ANY = 255,
	DNS_TYPE_CAA = 257,
};

enum {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16, /* extended, RFC 6891 */
};

/* EDNS option codes the summary flags. */
enum {
	DNS_EDNS_NSID = 3,
	DNS_EDNS_ECS = 8,
	DNS_EDNS_COOKIE = 10,
	DNS_EDNS_EDE = 15,
};

/* Summary of one message. Fields past the header are valid only when the
 * corresponding has_* flag is set. */
struct dns_msg {
	/* header (RFC 1035 4.1.1); valid when header_ok */
	bool header_ok;
	uint16_t id;
	uint16_t flags; /* raw flags word */
	bool qr, aa, tc, rd, ra, ad, cd;
	uint8_t opcode;
	uint8_t header_rcode; /* the 4-bit RCODE in the header */
	uint16_t rcode;       /* full rcode: header + OPT extended bits when OPT present */
	uint16_t qdcount, ancount, nscount, arcount;

	/* first question */
	bool has_question;
	uint16_t qtype, qclass;
	uint8_t qname_labels;
	uint16_t qname_wire_len; /* uncompressed wire length of the name */
	bool qname_mixed_case; /* letters of both cases: 0x20 encoding (draft-vixie-dnsext-dns0x20)
	                        */
	uint16_t qname_len;    /* strlen(qname) */
	char qname[DNS_NAME_TEXT_MAX]; /* lowercased, presentation form, "." for root, no trailing
	                                  dot otherwise */

	/* EDNS (RFC 6891) */
	bool has_edns;
	uint16_t edns_udp_size;
	uint8_t edns_version;
	bool edns_do;
	uint16_t edns_options; /* number of options */
	bool edns_nsid, edns_ecs, edns_cookie, edns_ede;
	uint16_t edns_ede_code; /* first Extended DNS Error info-code (RFC 8914) when edns_ede */

	/* record walk over answer, authority and additional sections */
	uint16_t records;        /* records walked (excluding OPT) */
	uint32_t min_ttl;        /* smallest TTL over those records; UINT32_MAX if none */
	uint32_t answer_min_ttl; /* smallest TTL in the answer section; UINT32_MAX if none */
	bool has_rrsig, has_nsec, has_nsec3, has_dnskey, has_ds, has_soa, has_cname, has_caa;
	uint16_t answer_qtype_matches; /* answer records whose type equals qtype */
	bool trailing;                 /* bytes after the last record (counted, not fatal) */
};

/*
 * dns_parse() parses the message in p[0..len).
 * Returns the bytes consumed (> 0) on success, with *out filled.
 * Returns a negative DCV_E_DNS_* code when the message is malformed; then
 * the header fields of *out are valid if len >= DNS_HEADER_SIZE
 * (header_ok is what the caller checks), the rest unspecified.
 */
int dns_parse(const uint8_t *p, size_t len, struct dns_msg *out);

/*
 * dns_name_to_text() decodes the (possibly compressed) name at offset off in
 * msg[0..len) into lowercased presentation form in buf (at least
 * DNS_NAME_TEXT_MAX bytes). Returns the name's length on the wire at off
 * (compressed size) or a negative DCV_E_DNS_* code. Pointers must point
 * strictly backwards (RFC 1035 4.1.4), which also rules out loops.
 */
int dns_name_to_text(const uint8_t *msg, size_t len, size_t off, char *buf, bool *mixed_case);

/* dns_rcode_name() returns "NOERROR", "SERVFAIL", ... or NULL for unknown values. */
const char *dns_rcode_name(unsigned rcode);

/* dns_type_name() returns "A", "CAA", ... or NULL for types without a mnemonic here. */
const char *dns_type_name(unsigned type);

#endif
