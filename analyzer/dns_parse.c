/*
 * dns_parse.c - the hot-path DNS wire parser (see dns_parse.h).
 *
 * NOTES ON THE DESIGN
 *
 * 1. Bounds. The header is validated once at the entry (len >= 12); every
 *    later read is preceded by a check against len, written as
 *    "len - pos < need" (pos <= len always holds, so this cannot wrap).
 *    Messages longer than DNS_MSG_MAX are parsed as if they ended there
 *    (no DNS message can be longer: RFC 1035 4.2.2, RFC 6891 6.2.3), which
 *    keeps every offset and the return value inside int; the rest counts as
 *    trailing bytes.
 *
 * 2. Compression pointers (RFC 1035 4.1.4). A pointer is accepted only when
 *    its target lies strictly before the start of the label sequence that
 *    contains it: the name's first byte, or the previous pointer's target.
 *      - target >= the pointer's own position  -> DCV_E_DNS_PTR_FORWARD
 *        (this includes a pointer to itself);
 *      - start of the sequence <= target < pointer position
 *                                              -> DCV_E_DNS_PTR_LOOP
 *        (the usual Knot rule, "before the pointer", would accept these; read
 *        from a label boundary they revisit the same pointer forever, and a
 *        target inside a label is nothing a compressor ever writes).
 *    Each hop therefore moves strictly backwards, so no loop is possible; an
 *    explicit hop limit (DNS_PTR_HOPS_MAX) still bounds chains of pointers
 *    to pointers, which add no length to the name. -> DCV_E_DNS_PTR_LOOP.
 *
 * 3. Counts are claims: qdcount is bounded by the bytes after the header
 *    divided by DNS_QUESTION_MIN_SIZE, and an+ns+ar by the bytes left after
 *    the questions divided by DNS_RR_MIN_SIZE, before any loop (Knot's
 *    parse_payload() habit; written as a multiplication, which is the same
 *    test without a division). -> DCV_E_DNS_COUNT.
 *
 * 4. Which fields of struct dns_msg are written (the struct is ~1.1 KiB,
 *    mostly qname, so it is never cleared whole):
 *      - always: header_ok;
 *      - len >= 12: every field except the bytes of qname after its NUL.
 *        The fields before qname and those after it are cleared with two small
 *        memsets, qname[0] is set to NUL. On failure the header fields are
 *        valid and the others hold what was decoded before the error
 *        (zero/false otherwise); qname is then always a valid C string.
 *      - qtype, qclass, qname*: meaningful only when has_question;
 *        edns_*: only when has_edns; edns_ede_code: only when edns_ede.
 *
 * 5. TTLs are reported as sent (no RFC 2181 8 clamping of values with the top
 *    bit set): the analyzer describes the wire.
 *
 * 6. Presentation form (RFC 1035 5.1, RFC 4343 2.1): letters (lowercased),
 *    digits and the printable characters without a special meaning in zone
 *    files stay themselves, so a wildcard label reads "*"; '.' and '\\'
 *    become \. and \\; space, '"', '$', '(', ')', ';', '@' and every
 *    non-printable byte become \DDD. The output is unambiguous.
 *
 * 7. OPT (RFC 6891 6.1.1): the owner must be the root name; a compressed
 *    owner that reads as the root is accepted. An EDE option shorter than its
 *    INFO-CODE is a malformed option (DCV_E_DNS_OPT_BAD), as is a truncated
 *    option header or body.
 *
 * 8. Speed: names are skipped per label (no per-byte work outside the first
 *    question), the question name costs one table load per byte, and an
 *    owner that is a pointer to an uncompressed question name (the usual
 *    0xC00C) is not walked again: it is the name already checked.
 */
#include <stddef.h>
#include <string.h>

#include "dcv_error.h"
#include "dns_parse.h"
#include "wire.h"

enum {
	DNS_MSG_MAX = 65535,     /* RFC 1035 4.2.2 length prefix; larger input is cut here */
	DNS_PTR_HOPS_MAX = 127,  /* as many hops as a 255-byte name can have labels */
	DNS_RR_FIXED_SIZE = 10,  /* type, class, ttl, rdlength */
	DNS_QFIXED_SIZE = 4,     /* qtype, qclass */
	DNS_EDNS_OPT_HDR = 4,    /* option code, option length (RFC 6891 6.1.2) */
	DNS_EDE_INFO_SIZE = 2,   /* EDE INFO-CODE (RFC 8914 2) */
	DNS_PTR_MASK = 0xC0,     /* top bits 11: compression pointer */
	DNS_LABEL_EXT_MIN = 0x40 /* 01 and 10: reserved label types (RFC 6891 5) */
};

enum { SEC_ANSWER = 0, SEC_AUTHORITY = 1, SEC_ADDITIONAL = 2 };

/*
 * One entry per byte value: the low 8 bits are the byte in presentation form
 * when it stays itself (letters lowercased, digits, '-' and '_'), or zero
 * when it must be escaped (\. \\ or \DDD, RFC 1035 5.1, RFC 4343 2.1);
 * NAME_UPPER / NAME_LOWER mark letters of each case, so one load per byte
 * gives both the output and the 0x20 (mixed case) evidence. A const table,
 * not mutable state.
 */
enum { NAME_UPPER = 0x100, NAME_LOWER = 0x200, NAME_CHAR = 0xFF };
#define K(c) (c)
#define L(c) (NAME_LOWER | (c))
#define U(c) (NAME_UPPER | (c))
/* clang-format off */
static const uint16_t name_char[256] = {
	/* 0x00 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0x10 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0x20 */ 0, K('!'), 0, K('#'), 0, K('%'), K('&'), K('\''), 0, 0, K('*'), K('+'), K(','), K('-'), 0, K('/'),
	/* 0x30 */ K('0'), K('1'), K('2'), K('3'), K('4'), K('5'), K('6'), K('7'), K('8'), K('9'), K(':'), 0, K('<'), K('='), K('>'), K('?'),
	/* 0x40 */ 0,      U('a'), U('b'), U('c'), U('d'), U('e'), U('f'), U('g'), U('h'), U('i'), U('j'), U('k'), U('l'), U('m'), U('n'), U('o'),
	/* 0x50 */ U('p'), U('q'), U('r'), U('s'), U('t'), U('u'), U('v'), U('w'), U('x'), U('y'), U('z'), K('['), 0, K(']'), K('^'), K('_'),
	/* 0x60 */ K('`'), L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'), L('j'), L('k'), L('l'), L('m'), L('n'), L('o'),
	/* 0x70 */ L('p'), L('q'), L('r'), L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'), K('{'), K('|'), K('}'), K('~'), 0,
	/* 0x80 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0x90 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0xA0 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0xB0 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0xC0 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0xD0 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0xE0 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
	/* 0xF0 */ 0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,      0,
};
/* clang-format on */
#undef K
#undef L
#undef U

/* ---- names ---- */

/* What a name walk learned besides its compressed length. */
struct name_info {
	unsigned wire_len; /* uncompressed length, root byte included */
	unsigned labels;   /* labels, root excluded */
	size_t text_len;   /* strlen of the text written (0 when no text) */
	bool upper, lower; /* letters of each case seen (text walks only) */
};

/*
 * name_walk() validates the name at msg[off] and, when text is not NULL,
 * writes it there in presentation form. Returns its compressed length at off
 * or a negative DCV_E_DNS_* code. With text == NULL (a constant at every
 * call site) the compiler drops all per-byte work: skipping is per label.
 * On error the text written so far is left unterminated.
 */
static inline __attribute__((always_inline)) int
name_walk(const uint8_t *msg, size_t len, size_t off, char *text, struct name_info *ni)
{
	size_t pos = off;
	size_t run = off;  /* start of the label sequence being read */
	size_t end = 0;    /* position after the name at off, once known */
	unsigned wire = 1; /* root byte */
	unsigned labels = 0;
	unsigned hops = 0;
	unsigned cls = 0; /* NAME_UPPER | NAME_LOWER bits seen */
	char *w = text;

	for (;;) {
		if (pos >= len)
			return DCV_E_DNS_NAME_TRUNC;
		unsigned b = msg[pos];
		if (b == 0) {
			pos++;
			break;
		}
		if (b < DNS_LABEL_EXT_MIN) {
			if (len - pos - 1 < b)
				return DCV_E_DNS_NAME_TRUNC;
			wire += b + 1;
			if (wire > DNS_NAME_WIRE_MAX)
				return DCV_E_DNS_NAME_TOO_LONG;
			if (text) {
				/* lowercased presentation form; the case flags are
				 * locals so that the char stores cannot alias them */
				const uint8_t *s = msg + pos + 1;
				if (labels)
					*w++ = '.';
				for (unsigned i = 0; i < b; i++) {
					uint8_t c = s[i];
					unsigned e = name_char[c];
					cls |= e;
					if (e & NAME_CHAR) {
						*w++ = (char)e;
					} else if (c == '.' || c == '\\') {
						w[0] = '\\';
						w[1] = (char)c;
						w += 2;
					} else {
						w[0] = '\\';
						w[1] = (char)('0' + c / 100);
						w[2] = (char)('0' + c / 10 % 10);
						w[3] = (char)('0' + c % 10);
						w += 4;
					}
				}
			}
			labels++;
			pos += 1 + b;
			continue;
		}
		if ((b & DNS_PTR_MASK) != DNS_PTR_MASK)
			return DCV_E_DNS_LABEL_TYPE;
		if (len - pos < 2)
			return DCV_E_DNS_NAME_TRUNC;
		size_t target = (size_t)(b & 0x3F) << 8 | msg[pos + 1];
		if (target >= pos)
			return DCV_E_DNS_PTR_FORWARD;
		if (target >= run)
			return DCV_E_DNS_PTR_LOOP;
		if (++hops > DNS_PTR_HOPS_MAX)
			return DCV_E_DNS_PTR_LOOP;
		if (!end)
			end = pos + 2;
		pos = run = target;
	}
	if (!end)
		end = pos;
	if (text) {
		if (!labels)
			*w++ = '.';
		*w = '\0';
		ni->text_len = (size_t)(w - text);
		ni->upper = cls & NAME_UPPER;
		ni->lower = cls & NAME_LOWER;
	}
	ni->wire_len = wire;
	ni->labels = labels;
	return (int)(end - off);
}

/* name_skip() validates the name at off; returns its compressed length or a
 * negative code, and sets *labels (0 for the root). */
static int name_skip(const uint8_t *msg, size_t len, size_t off, unsigned *labels)
{
	struct name_info ni;
	int r = name_walk(msg, len, off, NULL, &ni);
	if (r > 0)
		*labels = ni.labels;
	return r;
}

int dns_name_to_text(const uint8_t *msg, size_t len, size_t off, char *buf, bool *mixed_case)
{
	struct name_info ni = {0};
	if (len > DNS_MSG_MAX)
		len = DNS_MSG_MAX;
	int r = name_walk(msg, len, off, buf, &ni);
	if (r < 0) {
		buf[0] = '\0';
		ni.upper = ni.lower = false;
	}
	if (mixed_case)
		*mixed_case = ni.upper && ni.lower;
	return r;
}

/* ---- header, question, records ---- */

static void parse_header(const uint8_t *p, struct dns_msg *out)
{
	uint16_t f = wire_read_u16(p + 2);
	out->header_ok = true;
	out->id = wire_read_u16(p);
	out->flags = f;
	out->qr = f & 0x8000;
	out->opcode = (uint8_t)(f >> 11 & 0xF);
	out->aa = f & 0x0400;
	out->tc = f & 0x0200;
	out->rd = f & 0x0100;
	out->ra = f & 0x0080;
	out->ad = f & 0x0020;
	out->cd = f & 0x0010;
	out->header_rcode = (uint8_t)(f & 0xF);
	out->rcode = out->header_rcode;
	out->qdcount = wire_read_u16(p + 4);
	out->ancount = wire_read_u16(p + 6);
	out->nscount = wire_read_u16(p + 8);
	out->arcount = wire_read_u16(p + 10);
}

/* Reads the first question into out; returns the position after it or a
 * negative code. */
static int parse_first_question(const uint8_t *p, size_t len, size_t pos, struct dns_msg *out)
{
	struct name_info ni = {0};
	int r = name_walk(p, len, pos, out->qname, &ni);
	if (r < 0) {
		out->qname[0] = '\0';
		return r;
	}
	pos += (size_t)r;
	if (len - pos < DNS_QFIXED_SIZE) {
		out->qname[0] = '\0';
		return DCV_E_DNS_QUESTION_TRUNC;
	}
	out->has_question = true;
	out->qname_len = (uint16_t)ni.text_len;
	out->qname_labels = (uint8_t)ni.labels;
	out->qname_wire_len = (uint16_t)ni.wire_len;
	out->qname_mixed_case = ni.upper && ni.lower;
	out->qtype = wire_read_u16(p + pos);
	out->qclass = wire_read_u16(p + pos + 2);
	return (int)(pos + DNS_QFIXED_SIZE);
}

/* Walks the options of an OPT RDATA (RFC 6891 6.1.2); a truncated option,
 * or an EDE option too short for its INFO-CODE, is DCV_E_DNS_OPT_BAD. */
static int parse_edns_options(const uint8_t *o, size_t n, struct dns_msg *out)
{
	size_t i = 0;
	while (i < n) {
		if (n - i < DNS_EDNS_OPT_HDR)
			return DCV_E_DNS_OPT_BAD;
		uint16_t code = wire_read_u16(o + i);
		size_t olen = wire_read_u16(o + i + 2);
		i += DNS_EDNS_OPT_HDR;
		if (n - i < olen)
			return DCV_E_DNS_OPT_BAD;
		switch (code) {
		case DNS_EDNS_NSID:
			out->edns_nsid = true;
			break;
		case DNS_EDNS_ECS:
			out->edns_ecs = true;
			break;
		case DNS_EDNS_COOKIE:
			out->edns_cookie = true;
			break;
		case DNS_EDNS_EDE:
			if (olen < DNS_EDE_INFO_SIZE)
				return DCV_E_DNS_OPT_BAD;
			if (!out->edns_ede) {
				out->edns_ede = true;
				out->edns_ede_code = wire_read_u16(o + i);
			}
			break;
		default:
			break;
		}
		out->edns_options++;
		i += olen;
	}
	return 0;
}

/* Takes the OPT pseudo-record (RFC 6891 6.1.2, 6.1.3) into out. */
static int parse_opt(const uint8_t *rr, const uint8_t *rdata, size_t rdlen, struct dns_msg *out)
{
	if (out->has_edns)
		return DCV_E_DNS_OPT_DUP;
	uint32_t ttl = wire_read_u32(rr + 4);
	out->has_edns = true;
	out->edns_udp_size = wire_read_u16(rr + 2);
	out->rcode = (uint16_t)((ttl >> 24) << 4 | out->header_rcode);
	out->edns_version = (uint8_t)(ttl >> 16);
	out->edns_do = ttl & 0x8000;
	return parse_edns_options(rdata, rdlen, out);
}

/* Walks count records of one section from pos; returns the position after
 * them or a negative code. qname_plain: the question name at offset 12 was
 * validated and holds no pointer. */
static int parse_section(const uint8_t *p, size_t len, size_t pos, unsigned count, int section,
                         bool qname_plain, struct dns_msg *out)
{
	for (unsigned i = 0; i < count; i++) {
		unsigned labels;
		if (qname_plain && len - pos >= 2 && p[pos] == DNS_PTR_MASK &&
		    p[pos + 1] == DNS_HEADER_SIZE) {
			/* Fast path for the usual owner, a pointer to the question
			 * name: walking it would give the same result (one hop,
			 * target before the pointer, a name already checked whole). */
			labels = out->qname_labels;
			pos += 2;
		} else {
			int r = name_skip(p, len, pos, &labels);
			if (r < 0)
				return r;
			pos += (size_t)r;
		}
		if (len - pos < DNS_RR_FIXED_SIZE)
			return DCV_E_DNS_RR_TRUNC;
		const uint8_t *rr = p + pos;
		uint16_t type = wire_read_u16(rr);
		uint32_t ttl = wire_read_u32(rr + 4);
		size_t rdlen = wire_read_u16(rr + 8);
		pos += DNS_RR_FIXED_SIZE;
		if (len - pos < rdlen)
			return DCV_E_DNS_RDATA_TRUNC;

		if (type == DNS_TYPE_OPT) {
			/* RFC 6891 6.1.1: only in the additional section, owner is the root */
			if (section != SEC_ADDITIONAL || labels != 0)
				return DCV_E_DNS_OPT_BAD;
			int r = parse_opt(rr, p + pos, rdlen, out);
			if (r < 0)
				return r;
			pos += rdlen;
			continue;
		}
		pos += rdlen;

		out->records++;
		if (ttl < out->min_ttl)
			out->min_ttl = ttl;
		if (section == SEC_ANSWER) {
			if (ttl < out->answer_min_ttl)
				out->answer_min_ttl = ttl;
			if (out->has_question && type == out->qtype)
				out->answer_qtype_matches++;
		}
		switch (type) {
		case DNS_TYPE_RRSIG:
			out->has_rrsig = true;
			break;
		case DNS_TYPE_NSEC:
			out->has_nsec = true;
			break;
		case DNS_TYPE_NSEC3:
			out->has_nsec3 = true;
			break;
		case DNS_TYPE_DNSKEY:
			out->has_dnskey = true;
			break;
		case DNS_TYPE_DS:
			out->has_ds = true;
			break;
		case DNS_TYPE_SOA:
			out->has_soa = true;
			break;
		case DNS_TYPE_CNAME:
			out->has_cname = true;
			break;
		case DNS_TYPE_CAA:
			out->has_caa = true;
			break;
		default:
			break;
		}
	}
	return (int)pos;
}

/* Clears every field except the qname buffer (note 4 at the top). */
static void msg_clear(struct dns_msg *out)
{
	memset(out, 0, offsetof(struct dns_msg, qname));
	out->qname[0] = '\0';
	memset(&out->has_edns, 0, sizeof(*out) - offsetof(struct dns_msg, has_edns));
	out->min_ttl = UINT32_MAX;
	out->answer_min_ttl = UINT32_MAX;
}

int dns_parse(const uint8_t *p, size_t len, struct dns_msg *out)
{
	if (len < DNS_HEADER_SIZE) {
		out->header_ok = false;
		return DCV_E_DNS_SHORT;
	}
	size_t whole = len;
	if (len > DNS_MSG_MAX)
		len = DNS_MSG_MAX;
	msg_clear(out);
	parse_header(p, out);
	/* from here on the header is known to be there: every read below is
	 * checked against len before it happens */

	size_t pos = DNS_HEADER_SIZE;
	size_t qname_end = 0; /* end of the first question */
	unsigned qd = out->qdcount;
	/* qd > remaining / DNS_QUESTION_MIN_SIZE, without a division */
	if (qd * DNS_QUESTION_MIN_SIZE > len - pos)
		return DCV_E_DNS_COUNT;
	if (qd) {
		int r = parse_first_question(p, len, pos, out);
		if (r < 0)
			return r;
		pos = qname_end = (size_t)r;
		/* further questions (RFC 9619: at most one in practice) must still be well formed
		 */
		for (unsigned i = 1; i < qd; i++) {
			unsigned labels;
			r = name_skip(p, len, pos, &labels);
			if (r < 0)
				return r;
			pos += (size_t)r;
			if (len - pos < DNS_QFIXED_SIZE)
				return DCV_E_DNS_QUESTION_TRUNC;
			pos += DNS_QFIXED_SIZE;
		}
	}

	unsigned an = out->ancount, ns = out->nscount, ar = out->arcount;
	/* an + ns + ar > remaining / DNS_RR_MIN_SIZE, without a division */
	if ((an + ns + ar) * DNS_RR_MIN_SIZE > len - pos)
		return DCV_E_DNS_COUNT;
	if (an + ns + ar) {
		bool plain = out->has_question &&
		             qname_end - DNS_HEADER_SIZE - DNS_QFIXED_SIZE == out->qname_wire_len;
		int r = parse_section(p, len, pos, an, SEC_ANSWER, plain, out);
		if (r >= 0)
			r = parse_section(p, len, (size_t)r, ns, SEC_AUTHORITY, plain, out);
		if (r >= 0)
			r = parse_section(p, len, (size_t)r, ar, SEC_ADDITIONAL, plain, out);
		if (r < 0)
			return r;
		pos = (size_t)r;
	}
	out->trailing = pos < whole;
	return (int)pos;
}
