/* test_dns_parse.c - the hot-path DNS parser: malformed messages get their
 * exact code, well-formed ones an exact summary. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dcv_error.h"
#include "dns_parse.h"
#include "pktbuild.h"

/* ---- a tiny byte writer for messages dnsb cannot express (compression,
 * reserved label types, broken lengths) ---- */

struct mb {
	uint8_t b[4096];
	size_t n;
};

static void put8(struct mb *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xFF);
}

static void put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xFFFF);
}

static void putbytes(struct mb *m, const void *s, size_t n)
{
	memcpy(m->b + m->n, s, n);
	m->n += n;
}

/* putname() writes a text name uncompressed (labels split on '.'). */
static void putname(struct mb *m, const char *name)
{
	m->n += dnsb_name(name, m->b + m->n);
}

static void putptr(struct mb *m, unsigned off)
{
	put16(m, 0xC000 | off);
}

static void put_header(struct mb *m, uint16_t flags, unsigned qd, unsigned an, unsigned ns,
                       unsigned ar)
{
	m->n = 0;
	put16(m, 0xBEEF);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* put_rr_fixed() writes type, class, ttl and rdlength after an owner name. */
static void put_rr_fixed(struct mb *m, unsigned type, unsigned rclass, uint32_t ttl, unsigned rdlen)
{
	put16(m, type);
	put16(m, rclass);
	put32(m, ttl);
	put16(m, rdlen);
}

static int parse(const struct mb *m, struct dns_msg *out)
{
	return dns_parse(m->b, m->n, out);
}

/* ---- malformed messages, one table ---- */

/* Header strings: id 0x1234, flags, qd, an, ns, ar. Octal escapes for label
 * lengths, because a hex escape would swallow the letters after it. */
#define H_Q(qd, an, ns, ar)                                                                        \
	"\x12\x34\x01\x00"                                                                         \
	"\x00" qd "\x00" an "\x00" ns "\x00" ar
#define EXAMPLE   "\007example\003com\000"
#define A_IN      "\x00\x01\x00\x01"
#define OPT_FIXED "\x00\x29\x04\xd0\x00\x00\x00\x00" /* type OPT, udp 1232, ttl 0 */

struct bad_case {
	const char *what;
	const char *bytes;
	size_t len;
	int expect;
};

#define BAD(what, expect, bytes)                                                                   \
	{                                                                                          \
		what, bytes, sizeof(bytes) - 1, expect                                             \
	}

static const struct bad_case bad_cases[] = {
    BAD("partial header", DCV_E_DNS_SHORT, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00"),
    BAD("empty message", DCV_E_DNS_SHORT, ""),
    BAD("question name past end", DCV_E_DNS_NAME_TRUNC, H_Q("\1", "\0", "\0", "\0") "\007example"),
    BAD("label longer than the rest", DCV_E_DNS_NAME_TRUNC,
        H_Q("\1", "\0", "\0", "\0") "\024exa\0\0\0\0\0"),
    BAD("question with no terminating root", DCV_E_DNS_NAME_TRUNC,
        H_Q("\1", "\0", "\0", "\0") "\007example\003com"),
    BAD("pointer cut after its first byte", DCV_E_DNS_NAME_TRUNC,
        H_Q("\1", "\0", "\0", "\0") "\003www\xc0"),
    BAD("forward pointer", DCV_E_DNS_PTR_FORWARD,
        H_Q("\1", "\0", "\0", "\0") "\xc0\x12" A_IN "\001a\000"),
    BAD("pointer to itself", DCV_E_DNS_PTR_FORWARD, H_Q("\1", "\0", "\0", "\0") "\xc0\x0c" A_IN),
    BAD("pointer back into its own label sequence (loop)", DCV_E_DNS_PTR_LOOP,
        H_Q("\1", "\0", "\0", "\0") "\001a\xc0\x0c" A_IN),
    BAD("pointer into the middle of a label of its own sequence", DCV_E_DNS_PTR_LOOP,
        H_Q("\1", "\0", "\0", "\0") "\003a\001b\xc0\x0d" A_IN),
    BAD("label type 0x40", DCV_E_DNS_LABEL_TYPE,
        H_Q("\1", "\0", "\0", "\0") "\x41"
                                    "abcdefgh" A_IN),
    BAD("label type 0x80", DCV_E_DNS_LABEL_TYPE, H_Q("\1", "\0", "\0", "\0") "\003www\x80\0" A_IN),
    BAD("qdcount larger than the message can hold", DCV_E_DNS_COUNT,
        H_Q("\5", "\0", "\0", "\0") EXAMPLE A_IN),
    BAD("ancount larger than the message can hold", DCV_E_DNS_COUNT,
        "\x12\x34\x81\x00\x00\x01\xff\xff\x00\x00\x00\x00" EXAMPLE A_IN "\xc0\x0c" A_IN
        "\0\0\0\x3c\0\x04\1\2\3\4"),
    BAD("sum of section counts larger than the message can hold", DCV_E_DNS_COUNT,
        H_Q("\1", "\1", "\1", "\1") EXAMPLE A_IN "\0" A_IN "\0\0\0\0\0\0"),
    BAD("question without type and class", DCV_E_DNS_QUESTION_TRUNC,
        H_Q("\1", "\0", "\0", "\0") EXAMPLE "\0\1"),
    BAD("second question truncated", DCV_E_DNS_QUESTION_TRUNC,
        H_Q("\2", "\0", "\0", "\0") EXAMPLE A_IN "\xc0\x0c\0\1\0"),
    BAD("second question with bad name", DCV_E_DNS_PTR_FORWARD,
        H_Q("\2", "\0", "\0", "\0") EXAMPLE A_IN "\xc0\x30" A_IN),
    BAD("truncated RR", DCV_E_DNS_RR_TRUNC,
        H_Q("\1", "\1", "\0", "\0") EXAMPLE A_IN "\003www\xc0\x0c\0\1\0\1\0\0"),
    BAD("truncated RDATA", DCV_E_DNS_RDATA_TRUNC,
        H_Q("\1", "\1", "\0", "\0") EXAMPLE A_IN "\xc0\x0c" A_IN "\0\0\0\x3c\0\x04\1\2"),
    BAD("RR owner with reserved label type", DCV_E_DNS_LABEL_TYPE,
        H_Q("\1", "\1", "\0", "\0") EXAMPLE A_IN "\x80" A_IN "\0\0\0\x3c\0\0"),
    BAD("authority RR owner pointing forward", DCV_E_DNS_PTR_FORWARD,
        H_Q("\1", "\0", "\1", "\0") EXAMPLE A_IN "\xc0\x30" A_IN "\0\0\0\x3c\0\0"),
    BAD("OPT with non-root owner", DCV_E_DNS_OPT_BAD,
        H_Q("\1", "\0", "\0", "\1") EXAMPLE A_IN "\xc0\x0c" OPT_FIXED "\0\0"),
    BAD("OPT in the answer section", DCV_E_DNS_OPT_BAD,
        H_Q("\1", "\1", "\0", "\0") EXAMPLE A_IN "\0" OPT_FIXED "\0\0"),
    BAD("two OPT records", DCV_E_DNS_OPT_DUP,
        H_Q("\1", "\0", "\0", "\2") EXAMPLE A_IN "\0" OPT_FIXED "\0\0"
                                                 "\0" OPT_FIXED "\0\0"),
    BAD("truncated EDNS option", DCV_E_DNS_OPT_BAD,
        H_Q("\1", "\0", "\0", "\1") EXAMPLE A_IN "\0" OPT_FIXED "\0\x06"
                                                 "\0\x0a\0\x08\1\2"),
    BAD("EDNS option header cut short", DCV_E_DNS_OPT_BAD,
        H_Q("\1", "\0", "\0", "\1") EXAMPLE A_IN "\0" OPT_FIXED "\0\x06"
                                                 "\0\x03\0\0\0\x0a"),
    BAD("EDE option without INFO-CODE", DCV_E_DNS_OPT_BAD,
        H_Q("\1", "\0", "\0", "\1") EXAMPLE A_IN "\0" OPT_FIXED "\0\x05"
                                                 "\0\x0f\0\x01\x12"),
};

Test(dns_parse, malformed_messages_get_their_exact_code)
{
	struct dns_msg *m = malloc(sizeof(*m));
	cr_assert_not_null(m);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		int r = dns_parse((const uint8_t *)c->bytes, c->len, m);
		cr_expect_eq(r, c->expect, "%s: got %d (%s), want %d (%s)", c->what, r,
		             dcv_error_name(r), c->expect, dcv_error_name(c->expect));
		/* the header is reported whenever it is complete */
		cr_expect_eq(m->header_ok, c->len >= DNS_HEADER_SIZE, "%s: header_ok", c->what);
		if (c->len >= DNS_HEADER_SIZE)
			cr_expect_eq(m->id, 0x1234, "%s: id", c->what);
		if (m->header_ok)
			cr_expect_not_null(memchr(m->qname, 0, sizeof(m->qname)),
			                   "%s: qname is a string", c->what);
	}
	free(m);
}

/* Every proper prefix of a well-formed message is rejected, never read past. */
Test(dns_parse, every_truncation_of_a_valid_response_is_rejected)
{
	static struct dnsb d;
	static const uint8_t a[4] = {192, 0, 2, 1};
	static const uint8_t cookie[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
	dnsb_init(&d, 7, DNSB_QR | DNSB_AA);
	dnsb_question(&d, "example.com", DNS_TYPE_A, 1);
	dnsb_rr(&d, DNSB_ANSWER, "example.com", DNS_TYPE_A, 1, 300, a, 4);
	dnsb_opt(&d, 1232, 0, 0, true, cookie, sizeof(cookie));
	cr_assert(!d.overflow);
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	for (size_t n = 0; n < d.len; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan catches overreads */
		memcpy(copy, d.buf, n);
		int r = dns_parse(copy, n, &m);
		cr_expect_lt(r, 0, "prefix of %zu bytes accepted (%d)", n, r);
		free(copy);
	}
}

/* ---- questions and names ---- */

Test(dns_parse, simple_query_is_summarized)
{
	static struct dnsb d;
	dnsb_init(&d, 0xABCD, DNSB_RD | DNSB_CD);
	dnsb_question(&d, "_acme-challenge.example.com", 257, 1);
	struct dns_msg m;
	int r = dns_parse(d.buf, d.len, &m);
	cr_assert_eq(r, (int)d.len);
	cr_assert(m.header_ok);
	cr_expect_eq(m.id, 0xABCD);
	cr_expect_eq(m.flags, DNSB_RD | DNSB_CD);
	cr_expect(!m.qr && !m.aa && !m.tc && m.rd && !m.ra && !m.ad && m.cd);
	cr_expect_eq(m.opcode, 0);
	cr_expect_eq(m.qdcount, 1);
	cr_expect_eq(m.ancount + m.nscount + m.arcount, 0);
	cr_expect(m.has_question);
	cr_expect_str_eq(m.qname, "_acme-challenge.example.com");
	cr_expect_eq(m.qname_len, strlen("_acme-challenge.example.com"));
	cr_expect_eq(m.qname_labels, 3);
	cr_expect_eq(m.qname_wire_len, 29);
	cr_expect(!m.qname_mixed_case);
	cr_expect_eq(m.qtype, DNS_TYPE_CAA);
	cr_expect_eq(m.qclass, 1);
	cr_expect(!m.has_edns);
	cr_expect_eq(m.rcode, 0);
	cr_expect_eq(m.records, 0);
	cr_expect_eq(m.min_ttl, UINT32_MAX);
	cr_expect_eq(m.answer_min_ttl, UINT32_MAX);
	cr_expect(!m.trailing);
}

Test(dns_parse, header_flags_and_opcode_are_decoded)
{
	struct mb b;
	/* QR, opcode 5 (UPDATE), AA TC RD RA AD, rcode 3 */
	put_header(&b, 0x8000 | 5 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 3, 0, 0, 0,
	           0);
	struct dns_msg m;
	cr_assert_eq(parse(&b, &m), 12);
	cr_expect(m.qr && m.aa && m.tc && m.rd && m.ra && m.ad && !m.cd);
	cr_expect_eq(m.opcode, 5);
	cr_expect_eq(m.header_rcode, 3);
	cr_expect_eq(m.rcode, 3);
}

Test(dns_parse, mixed_case_name_is_lowercased_and_flagged)
{
	static struct dnsb d;
	dnsb_init(&d, 1, 0);
	dnsb_question(&d, "ExAmPlE.CoM", DNS_TYPE_A, 1);
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_str_eq(m.qname, "example.com");
	cr_expect(m.qname_mixed_case);

	dnsb_init(&d, 1, 0);
	dnsb_question(&d, "EXAMPLE.COM", DNS_TYPE_A, 1);
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_str_eq(m.qname, "example.com");
	cr_expect(!m.qname_mixed_case, "upper case only is not 0x20 mixing");
}

Test(dns_parse, root_name_is_a_single_dot)
{
	static struct dnsb d;
	dnsb_init(&d, 1, 0);
	dnsb_question(&d, ".", DNS_TYPE_NS, 1);
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_str_eq(m.qname, ".");
	cr_expect_eq(m.qname_len, 1);
	cr_expect_eq(m.qname_labels, 0);
	cr_expect_eq(m.qname_wire_len, 1);
}

Test(dns_parse, special_bytes_in_labels_are_escaped)
{
	struct mb b;
	put_header(&b, 0, 1, 0, 0, 0);
	static const uint8_t label[] = {'a', '.', 'b', '\\', 0, ' ', '*', 0xFF, 'Z', '/', 9};
	put8(&b, sizeof(label));
	putbytes(&b, label, sizeof(label));
	putname(&b, "x_y-1");
	put16(&b, DNS_TYPE_TXT);
	put16(&b, 1);
	struct dns_msg m;
	cr_assert_eq(parse(&b, &m), (int)b.n);
	cr_expect_str_eq(m.qname, "a\\.b\\\\\\000\\032*\\255z/\\009.x_y-1");
	cr_expect_eq(m.qname_len, strlen(m.qname));
	cr_expect_eq(m.qname_labels, 2);
	cr_expect(m.qname_mixed_case);
}

Test(dns_parse, name_of_255_bytes_is_accepted_and_256_rejected)
{
	for (int extra = 0; extra <= 1; extra++) {
		struct mb b;
		put_header(&b, 0, 1, 0, 0, 0);
		/* 3 labels of 63 (192 bytes) + one of 61 or 62 + root = 255 or 256 */
		for (int l = 0; l < 3; l++) {
			put8(&b, 63);
			memset(b.b + b.n, 'a' + l, 63);
			b.n += 63;
		}
		put8(&b, 61 + extra);
		memset(b.b + b.n, 'z', 61 + extra);
		b.n += 61 + extra;
		put8(&b, 0);
		put16(&b, DNS_TYPE_A);
		put16(&b, 1);
		struct dns_msg m;
		int r = parse(&b, &m);
		if (extra) {
			cr_expect_eq(r, DCV_E_DNS_NAME_TOO_LONG);
			cr_expect_str_eq(m.qname, "");
		} else {
			cr_expect_eq(r, (int)b.n);
			cr_expect_eq(m.qname_wire_len, 255);
			cr_expect_eq(m.qname_labels, 4);
			cr_expect_eq(m.qname_len, 3 * 63 + 61 + 3);
		}
	}
}

Test(dns_parse, compressed_name_longer_than_255_bytes_is_rejected)
{
	struct mb b;
	put_header(&b, 0x8400, 1, 1, 0, 0);
	/* question name of 4 + 64 * 2 + 64 = ... 200 bytes uncompressed */
	for (int l = 0; l < 3; l++) {
		put8(&b, 63);
		memset(b.b + b.n, 'q', 63);
		b.n += 63;
	}
	put8(&b, 6);
	putbytes(&b, "qqqqqq", 6);
	put8(&b, 0); /* 3*64 + 7 + 1 = 200 */
	put16(&b, DNS_TYPE_A);
	put16(&b, 1);
	/* answer owner: a 55-byte label + pointer to the question: 56 + 200 = 256 */
	put8(&b, 55);
	memset(b.b + b.n, 'o', 55);
	b.n += 55;
	putptr(&b, 12);
	put_rr_fixed(&b, DNS_TYPE_A, 1, 60, 4);
	put32(&b, 0xC0000201);
	struct dns_msg m;
	cr_expect_eq(parse(&b, &m), DCV_E_DNS_NAME_TOO_LONG);
	cr_expect(m.has_question);
	cr_expect_eq(m.qname_wire_len, 200);
}

/* ---- compression ---- */

Test(dns_parse, compressed_owners_and_pointer_chains_are_followed)
{
	struct mb b;
	put_header(&b, 0x8180, 1, 2, 0, 0);
	putname(&b, "www.Example.com");
	put16(&b, DNS_TYPE_A);
	put16(&b, 1);
	size_t cname_owner = b.n;
	putptr(&b, 12); /* www.example.com */
	size_t rdata = b.n + 10;
	put_rr_fixed(&b, DNS_TYPE_CNAME, 1, 300, 6);
	putbytes(&b, "\003cdn", 4);
	putptr(&b, 16); /* cdn + example.com */
	size_t a_owner = b.n;
	putptr(&b, rdata); /* pointer to a name that ends in a pointer */
	put_rr_fixed(&b, DNS_TYPE_A, 1, 30, 4);
	put32(&b, 0xC0000201);

	struct dns_msg m;
	cr_assert_eq(parse(&b, &m), (int)b.n);
	cr_expect_str_eq(m.qname, "www.example.com");
	cr_expect(m.qname_mixed_case);
	cr_expect_eq(m.records, 2);
	cr_expect(m.has_cname);
	cr_expect_eq(m.answer_qtype_matches, 1);
	cr_expect_eq(m.answer_min_ttl, 30);

	char text[DNS_NAME_TEXT_MAX];
	bool mixed = true;
	cr_expect_eq(dns_name_to_text(b.b, b.n, cname_owner, text, &mixed), 2);
	cr_expect_str_eq(text, "www.example.com");
	cr_expect(mixed);
	cr_expect_eq(dns_name_to_text(b.b, b.n, rdata, text, &mixed), 6);
	cr_expect_str_eq(text, "cdn.example.com");
	cr_expect(mixed, "'cdn' plus 'Example' is mixed");
	cr_expect_eq(dns_name_to_text(b.b, b.n, a_owner, text, NULL), 2);
	cr_expect_str_eq(text, "cdn.example.com");
}

Test(dns_parse, pointer_into_earlier_sequence_is_allowed_but_not_into_the_current_one)
{
	/* Bytes: [0] "\1a\0"  [3] "\1b" ptr->0  [7] "\1c" ptr->3 */
	static const uint8_t w[] = {1, 'a', 0, 1, 'b', 0xC0, 0, 1, 'c', 0xC0, 3, 1, 'd', 0xC0, 11};
	char text[DNS_NAME_TEXT_MAX];
	cr_expect_eq(dns_name_to_text(w, sizeof(w), 7, text, NULL), 4);
	cr_expect_str_eq(text, "c.b.a");
	/* at 11: "\1d" then a pointer to 11 itself's sequence start: a loop */
	cr_expect_eq(dns_name_to_text(w, sizeof(w), 11, text, NULL), DCV_E_DNS_PTR_LOOP);
	cr_expect_str_eq(text, "");
}

/* Builds a chain: [0] root, [1] ptr->0, [3] ptr->1, ... ; returns the offset
 * of the pointer that needs `hops` hops to reach the root. */
static size_t build_chain(uint8_t *w, unsigned hops)
{
	w[0] = 0;
	size_t prev = 0, at = 1;
	for (unsigned i = 0; i < hops; i++) {
		w[at] = (uint8_t)(0xC0 | prev >> 8);
		w[at + 1] = (uint8_t)prev;
		prev = at;
		at += 2;
	}
	return prev;
}

Test(dns_parse, pointer_chain_hop_limit_is_enforced)
{
	uint8_t w[1024];
	char text[DNS_NAME_TEXT_MAX];
	size_t off = build_chain(w, 127);
	cr_expect_eq(dns_name_to_text(w, off + 2, off, text, NULL), 2);
	cr_expect_str_eq(text, ".");
	off = build_chain(w, 128);
	cr_expect_eq(dns_name_to_text(w, off + 2, off, text, NULL), DCV_E_DNS_PTR_LOOP);
}

Test(dns_parse, pointer_chain_in_an_owner_name_is_a_loop_error)
{
	/* RR1 carries a 128-pointer chain in its RDATA; RR2's owner points at its
	 * end, so reading it takes 129 hops. */
	struct mb b;
	put_header(&b, 0x8000, 0, 2, 0, 0);
	put8(&b, 0);
	put_rr_fixed(&b, 10 /* NULL */, 1, 0, 1 + 2 * 128);
	size_t base = b.n;
	put8(&b, 0);
	size_t prev = base;
	for (int i = 0; i < 128; i++) {
		size_t at = b.n;
		putptr(&b, prev);
		prev = at;
	}
	putptr(&b, prev);
	put_rr_fixed(&b, DNS_TYPE_A, 1, 0, 0);
	struct dns_msg m;
	cr_expect_eq(parse(&b, &m), DCV_E_DNS_PTR_LOOP);
	cr_expect(!m.has_question);
}

/* ---- counts, question sections ---- */

Test(dns_parse, qdcount_zero_cookie_only_query_is_valid)
{
	static struct dnsb d;
	static const uint8_t cookie[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
	dnsb_init(&d, 9, 0);
	dnsb_opt(&d, 4096, 0, 0, false, cookie, sizeof(cookie));
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect(!m.has_question);
	cr_expect_str_eq(m.qname, "");
	cr_expect(m.has_edns);
	cr_expect(m.edns_cookie);
	cr_expect_eq(m.edns_options, 1);
	cr_expect_eq(m.records, 0, "OPT is not counted");
}

Test(dns_parse, second_question_is_checked_and_first_reported)
{
	static struct dnsb d;
	dnsb_init(&d, 9, 0);
	dnsb_question(&d, "first.example", DNS_TYPE_AAAA, 1);
	dnsb_question(&d, "second.example", DNS_TYPE_A, 3);
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_eq(m.qdcount, 2);
	cr_expect_str_eq(m.qname, "first.example");
	cr_expect_eq(m.qtype, DNS_TYPE_AAAA);
	cr_expect_eq(m.qclass, 1);
}

Test(dns_parse, trailing_bytes_are_flagged_not_fatal)
{
	static struct dnsb d;
	dnsb_init(&d, 9, 0);
	dnsb_question(&d, "example.org", DNS_TYPE_A, 1);
	size_t msg_len = d.len;
	memcpy(d.buf + d.len, "\0\0\0", 3);
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, msg_len + 3, &m), (int)msg_len);
	cr_expect(m.trailing);
	cr_assert_eq(dns_parse(d.buf, msg_len, &m), (int)msg_len);
	cr_expect(!m.trailing);
}

Test(dns_parse, input_longer_than_64k_is_cut_there)
{
	size_t n = 70000;
	uint8_t *buf = calloc(1, n);
	static struct dnsb d;
	dnsb_init(&d, 9, 0);
	dnsb_question(&d, "example.org", DNS_TYPE_A, 1);
	memcpy(buf, d.buf, d.len);
	struct dns_msg m;
	cr_expect_eq(dns_parse(buf, n, &m), (int)d.len);
	cr_expect(m.trailing);
	free(buf);
}

/* ---- EDNS ---- */

Test(dns_parse, edns_options_and_do_bit_are_summarized)
{
	static struct dnsb d;
	static const uint8_t opts[] = {
	    0,    3,    0, 0,                              /* NSID, empty (request) */
	    0,    8,    0, 7, 0, 1,  24,  0, 192, 0, 2,    /* ECS 192.0.2.0/24 */
	    0,    10,   0, 8, 1, 2,  3,   4, 5,   6, 7, 8, /* COOKIE, client only */
	    0,    15,   0, 3, 0, 18, 'x',                  /* EDE 18 Prohibited, text "x" */
	    0,    15,   0, 2, 0, 6,                        /* EDE 6 DNSSEC Bogus */
	    0xfd, 0xe9, 0, 0,                              /* local-use option */
	};
	dnsb_init(&d, 9, DNSB_QR | DNSB_AA | 5);
	dnsb_question(&d, "example.net", DNS_TYPE_TXT, 1);
	dnsb_opt(&d, 1232, 0, 0, true, opts, sizeof(opts));
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect(m.has_edns);
	cr_expect_eq(m.edns_udp_size, 1232);
	cr_expect_eq(m.edns_version, 0);
	cr_expect(m.edns_do);
	cr_expect_eq(m.edns_options, 6);
	cr_expect(m.edns_nsid && m.edns_ecs && m.edns_cookie && m.edns_ede);
	cr_expect_eq(m.edns_ede_code, 18, "the first EDE wins");
	cr_expect_eq(m.rcode, DNS_RCODE_REFUSED);
	cr_expect_eq(m.records, 0);
	cr_expect_eq(m.min_ttl, UINT32_MAX, "OPT TTL is not a TTL");
}

Test(dns_parse, edns_without_options_has_no_option_flags)
{
	static struct dnsb d;
	dnsb_init(&d, 9, 0);
	dnsb_question(&d, "example.net", DNS_TYPE_A, 1);
	dnsb_opt(&d, 512, 0, 1, false, NULL, 0);
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect(m.has_edns && !m.edns_do);
	cr_expect_eq(m.edns_version, 1);
	cr_expect_eq(m.edns_options, 0);
	cr_expect(!m.edns_nsid && !m.edns_ecs && !m.edns_cookie && !m.edns_ede);
}

Test(dns_parse, extended_rcode_combines_opt_and_header_bits)
{
	static struct dnsb d;
	dnsb_init(&d, 9, DNSB_QR);
	dnsb_question(&d, "example.net", DNS_TYPE_A, 1);
	dnsb_opt(&d, 1232, 1, 0, false, NULL, 0);
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_eq(m.header_rcode, 0);
	cr_expect_eq(m.rcode, DNS_RCODE_BADVERS);
	cr_expect_str_eq(dns_rcode_name(m.rcode), "BADVERS");

	dnsb_init(&d, 9, DNSB_QR | 7);
	dnsb_question(&d, "example.net", DNS_TYPE_A, 1);
	dnsb_opt(&d, 1232, 1, 0, false, NULL, 0);
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_eq(m.rcode, 23);
	cr_expect_str_eq(dns_rcode_name(m.rcode), "BADCOOKIE");

	dnsb_init(&d, 9, DNSB_QR | 3);
	dnsb_question(&d, "example.net", DNS_TYPE_A, 1);
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_eq(m.rcode, DNS_RCODE_NXDOMAIN, "without OPT the header rcode stands");
}

/* ---- record walk ---- */

Test(dns_parse, dnssec_records_and_ttls_are_summarized)
{
	static struct dnsb d;
	static const uint8_t rd[8] = {0};
	dnsb_init(&d, 9, DNSB_QR | DNSB_AA | DNSB_AD);
	dnsb_question(&d, "Example.com", DNS_TYPE_CAA, 1);
	dnsb_rr(&d, DNSB_ANSWER, "example.com", DNS_TYPE_CAA, 1, 3600, rd, 8);
	dnsb_rr(&d, DNSB_ANSWER, "example.com", DNS_TYPE_CAA, 1, 300, rd, 8);
	dnsb_rr(&d, DNSB_ANSWER, "example.com", DNS_TYPE_RRSIG, 1, 600, rd, 8);
	dnsb_rr(&d, DNSB_AUTHORITY, "example.com", DNS_TYPE_NSEC, 1, 60, rd, 8);
	dnsb_rr(&d, DNSB_AUTHORITY, "x.example.com", DNS_TYPE_NSEC3, 1, 86400, rd, 8);
	dnsb_rr(&d, DNSB_AUTHORITY, "com", DNS_TYPE_DS, 1, 7200, rd, 8);
	dnsb_rr(&d, DNSB_ADDITIONAL, "example.com", DNS_TYPE_DNSKEY, 1, 100, rd, 8);
	dnsb_opt(&d, 1232, 0, 0, true, NULL, 0);
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_eq(m.records, 7);
	cr_expect_eq(m.answer_qtype_matches, 2);
	cr_expect_eq(m.answer_min_ttl, 300);
	cr_expect_eq(m.min_ttl, 60);
	cr_expect(m.has_caa && m.has_rrsig && m.has_nsec && m.has_nsec3 && m.has_ds &&
	          m.has_dnskey);
	cr_expect(!m.has_soa && !m.has_cname);
	cr_expect(m.has_edns && m.edns_do);
	cr_expect(m.ad);
}

Test(dns_parse, negative_answer_with_soa_has_no_answer_ttl)
{
	static struct dnsb d;
	static const uint8_t rd[22] = {0};
	dnsb_init(&d, 9, DNSB_QR | DNSB_AA | 3);
	dnsb_question(&d, "nope.example.com", DNS_TYPE_A, 1);
	dnsb_rr(&d, DNSB_AUTHORITY, "example.com", DNS_TYPE_SOA, 1, 900, rd, sizeof(rd));
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect(m.has_soa);
	cr_expect_eq(m.records, 1);
	cr_expect_eq(m.min_ttl, 900);
	cr_expect_eq(m.answer_min_ttl, UINT32_MAX);
	cr_expect_eq(m.answer_qtype_matches, 0);
	cr_expect_eq(m.rcode, DNS_RCODE_NXDOMAIN);
}

Test(dns_parse, opt_ttl_does_not_lower_min_ttl)
{
	static struct dnsb d;
	static const uint8_t a[4] = {192, 0, 2, 1};
	dnsb_init(&d, 9, DNSB_QR);
	dnsb_question(&d, "example.com", DNS_TYPE_A, 1);
	dnsb_rr(&d, DNSB_ANSWER, "example.com", DNS_TYPE_A, 1, 100000, a, 4);
	dnsb_opt(&d, 1232, 0, 0, true, NULL, 0); /* TTL field 0x00008000 = 32768 */
	struct dns_msg m;
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect_eq(m.min_ttl, 100000);
	cr_expect_eq(m.answer_min_ttl, 100000);
}

Test(dns_parse, parse_does_not_depend_on_previous_contents_of_out)
{
	static struct dnsb d;
	static const uint8_t a[4] = {192, 0, 2, 1};
	dnsb_init(&d, 9, DNSB_QR);
	dnsb_question(&d, "example.com", DNS_TYPE_A, 1);
	dnsb_rr(&d, DNSB_ANSWER, "example.com", DNS_TYPE_A, 1, 5, a, 4);
	struct dns_msg m;
	memset(&m, 0xA5, sizeof(m));
	cr_assert_eq(dns_parse(d.buf, d.len, &m), (int)d.len);
	cr_expect(!m.has_edns && !m.trailing && !m.has_rrsig && !m.has_caa);
	cr_expect_eq(m.records, 1);
	cr_expect_eq(m.min_ttl, 5);
	cr_expect_eq(m.answer_qtype_matches, 1);
}

/* ---- dns_name_to_text ---- */

Test(dns_name_to_text, errors_leave_an_empty_string)
{
	static const uint8_t w[] = {3, 'a', 'b'};
	char text[DNS_NAME_TEXT_MAX];
	memset(text, 'x', sizeof(text));
	cr_expect_eq(dns_name_to_text(w, sizeof(w), 0, text, NULL), DCV_E_DNS_NAME_TRUNC);
	cr_expect_str_eq(text, "");
	cr_expect_eq(dns_name_to_text(w, sizeof(w), 3, text, NULL), DCV_E_DNS_NAME_TRUNC,
	             "offset at the end");
	cr_expect_eq(dns_name_to_text(w, sizeof(w), 100, text, NULL), DCV_E_DNS_NAME_TRUNC,
	             "offset past the end");
}

/* ---- mnemonics ---- */

Test(dns_names, rcode_mnemonics)
{
	static const struct {
		unsigned v;
		const char *name;
	} t[] = {{0, "NOERROR"}, {1, "FORMERR"},   {2, "SERVFAIL"},  {3, "NXDOMAIN"},
	         {4, "NOTIMP"},  {5, "REFUSED"},   {6, "YXDOMAIN"},  {7, "YXRRSET"},
	         {8, "NXRRSET"}, {9, "NOTAUTH"},   {10, "NOTZONE"},  {16, "BADVERS"},
	         {17, "BADKEY"}, {18, "BADTIME"},  {19, "BADMODE"},  {20, "BADNAME"},
	         {21, "BADALG"}, {22, "BADTRUNC"}, {23, "BADCOOKIE"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_str_eq(dns_rcode_name(t[i].v), t[i].name);
	cr_expect_null(dns_rcode_name(12));
	cr_expect_null(dns_rcode_name(24));
	cr_expect_null(dns_rcode_name(4095));
}

Test(dns_names, type_mnemonics)
{
	static const struct {
		unsigned v;
		const char *name;
	} t[] = {{1, "A"},           {2, "NS"},     {5, "CNAME"},  {6, "SOA"},      {12, "PTR"},
	         {15, "MX"},         {16, "TXT"},   {28, "AAAA"},  {33, "SRV"},     {41, "OPT"},
	         {43, "DS"},         {46, "RRSIG"}, {47, "NSEC"},  {48, "DNSKEY"},  {50, "NSEC3"},
	         {51, "NSEC3PARAM"}, {52, "TLSA"},  {59, "CDS"},   {60, "CDNSKEY"}, {64, "SVCB"},
	         {65, "HTTPS"},      {251, "IXFR"}, {252, "AXFR"}, {255, "ANY"},    {257, "CAA"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_str_eq(dns_type_name(t[i].v), t[i].name);
	cr_expect_null(dns_type_name(0));
	cr_expect_null(dns_type_name(65280));
}

Test(dns_parse, question_name_compressed_into_the_header_is_followed_by_owners)
{
	/* id 0x0161 reads as the label "a", the flags' first byte 0 ends it */
	struct mb b;
	put_header(&b, 0x0000, 1, 1, 0, 1);
	b.b[0] = 0x01;
	b.b[1] = 'A';
	putptr(&b, 0);
	put16(&b, DNS_TYPE_A);
	put16(&b, 1);
	putptr(&b, 12); /* owner: pointer to a pointer */
	put_rr_fixed(&b, DNS_TYPE_A, 1, 60, 4);
	put32(&b, 0xC0000201);
	putptr(&b, 12); /* OPT owner "a": not the root */
	put_rr_fixed(&b, DNS_TYPE_OPT, 1232, 0, 0);
	struct dns_msg m;
	cr_expect_eq(parse(&b, &m), DCV_E_DNS_OPT_BAD);
	cr_expect_str_eq(m.qname, "a");
	cr_expect_eq(m.qname_wire_len, 3);
	cr_expect_eq(m.answer_qtype_matches, 1);
	b.n -= 12;
	b.b[11] = 0; /* arcount 0 */
	cr_expect_eq(parse(&b, &m), (int)b.n);
}

Test(dns_parse, opt_owner_may_be_a_pointer_to_a_root_question)
{
	struct mb b;
	put_header(&b, 0x0000, 1, 0, 0, 1);
	put8(&b, 0);
	put16(&b, DNS_TYPE_NS);
	put16(&b, 1);
	putptr(&b, 12);
	put_rr_fixed(&b, DNS_TYPE_OPT, 4096, 0x8000, 0);
	struct dns_msg m;
	cr_assert_eq(parse(&b, &m), (int)b.n);
	cr_expect(m.has_edns && m.edns_do);
	cr_expect_eq(m.edns_udp_size, 4096);
}
