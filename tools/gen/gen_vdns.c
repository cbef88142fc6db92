/* gen_vdns.c - answers to validation questions, and 0x20 case randomisation. */
#include "gen_vdns.h"
#include "gen_sign.h"

#include <stdio.h>
#include <string.h>

enum {
	T_CNAME = 5,
	T_TXT = 16,
	T_RRSIG = 46,
	C_IN = 1,
	TXT_TTL = 60,    /* challenge records are short-lived */
	SIG_BYTES = 256, /* RSA-2048 signature */
	TOKEN_LEN = 43,  /* base64url SHA-256 digest, RFC 8555 8.4 */
};

static uint32_t fnv(const char *s, uint32_t h)
{
	while (*s) {
		char c = *s++;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a'); /* case does not change the records */
		h = (h ^ (uint8_t)c) * 16777619u;
	}
	return h;
}

/* The zone: the last two labels (as gen_dns.c). */
static const char *zone_of(const char *name)
{
	const char *last = NULL, *prev = NULL;
	for (const char *s = name; *s; s++)
		if (*s == '.') {
			prev = last;
			last = s;
		}
	return prev ? prev + 1 : name;
}

/* One TXT string of the kind into rd (character-string form); returns its length. */
static size_t txt_string(enum gen_vrec kind, uint32_t seed, unsigned i, uint8_t *rd)
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char text[200];
	size_t n;
	uint32_t h = seed ^ (i * 0x9e3779b9u);
	switch (kind) {
	case GEN_VREC_PERSIST:
		n = (size_t)snprintf(
		    text, sizeof(text),
		    "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/"
		    "acme/acct/%u",
		    (unsigned)(h % 900000000u + 100000000u));
		break;
	case GEN_VREC_DNSAUTH:
		/* DigiCert random value: 32 lowercase alphanumerics */
		for (n = 0; n < 32; n++) {
			h = h * 1103515245u + 12345u;
			text[n] = "0123456789abcdefghijklmnopqrstuvwxyz"[(h >> 16) % 36];
		}
		break;
	default:
		for (n = 0; n < TOKEN_LEN; n++) {
			h = h * 1103515245u + 12345u;
			text[n] = b64url[(h >> 16) & 63];
		}
		break;
	}
	rd[0] = (uint8_t)n;
	memcpy(rd + 1, text, n);
	return n + 1;
}

static void add_rrsig(struct dnsb *m, const char *owner, uint16_t covered, const char *zone)
{
	uint8_t rd[18 + 256 + SIG_BYTES];
	memset(rd, 0, 18);
	rd[0] = (uint8_t)(covered >> 8);
	rd[1] = (uint8_t)covered;
	rd[2] = 8; /* RSASHA256 */
	uint8_t labels = 1;
	for (const char *s = owner; *s; s++)
		labels += *s == '.';
	rd[3] = labels;
	rd[7] = TXT_TTL;
	/* expiration 2024-02-01, inception 2024-01-01 (as gen_dns.c) */
	const uint32_t exp = 1706745600u, inc = 1704067200u;
	for (int k = 0; k < 4; k++) {
		rd[8 + k] = (uint8_t)(exp >> (24 - 8 * k));
		rd[12 + k] = (uint8_t)(inc >> (24 - 8 * k));
	}
	uint32_t tag = fnv(zone, 2166136261u);
	rd[16] = (uint8_t)(tag >> 8);
	rd[17] = (uint8_t)tag;
	size_t n = dnsb_name(zone, rd + 18);
	memset(rd + 18 + n, 0x5a, SIG_BYTES);
	dnsb_rr(m, DNSB_ANSWER, owner, T_RRSIG, C_IN, TXT_TTL, rd, (uint16_t)(18 + n + SIG_BYTES));
}

void gen_vdns_response(struct dnsb *m, const struct gen_query *q, enum gen_vrec kind, unsigned ntxt,
                       int rcode, size_t max_len)
{
	bool txt = kind != GEN_VREC_NONE && q->qtype == T_TXT;
	bool cname = kind == GEN_VREC_DNSAUTH && q->qtype == T_CNAME;
	if (rcode != GEN_NOERROR || !(txt || cname)) {
		gen_dns_response(m, q, rcode, max_len);
		return;
	}
	if (ntxt < 1)
		ntxt = 1;
	if (ntxt > GEN_VDNS_TXT_MAX)
		ntxt = GEN_VDNS_TXT_MAX;
	uint16_t flags = DNSB_QR | DNSB_AA;
	dnsb_init(m, q->id, flags);
	dnsb_question(m, q->qname, q->qtype, C_IN);
	const char *zone = zone_of(q->qname);
	uint32_t seed = fnv(q->qname, 2166136261u);
	uint8_t rd[256];
	if (txt) {
		for (unsigned i = 0; i < ntxt; i++) {
			size_t n = txt_string(kind, seed, i, rd);
			dnsb_rr(m, DNSB_ANSWER, q->qname, T_TXT, C_IN, TXT_TTL, rd, (uint16_t)n);
		}
	} else {
		size_t n = dnsb_name("dcv.digicert.com", rd);
		dnsb_rr(m, DNSB_ANSWER, q->qname, T_CNAME, C_IN, TXT_TTL, rd, (uint16_t)n);
	}
	if (q->do_bit)
		add_rrsig(m, q->qname, q->qtype, zone);
	if (q->edns)
		dnsb_opt(m, GEN_SERVER_UDP_SIZE, 0, 0, q->do_bit, NULL, 0);
	gen_sign_message(m);
	if (max_len == 0 || m->len <= max_len)
		return;
	dnsb_init(m, q->id, flags | DNSB_TC);
	dnsb_question(m, q->qname, q->qtype, C_IN);
	if (q->edns)
		dnsb_opt(m, GEN_SERVER_UDP_SIZE, 0, 0, q->do_bit, NULL, 0);
}

unsigned gen_vdns_answer_count(const struct dnsb *m)
{
	if (m->len < 12)
		return 0;
	return (unsigned)m->buf[6] << 8 | m->buf[7];
}

void gen_vdns_0x20(struct gen_rng *r, const char *name, char *out, size_t cap)
{
	size_t i = 0;
	uint64_t bits = 0;
	unsigned left = 0;
	for (; name[i] && i + 1 < cap; i++) {
		char c = name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			if (left == 0) {
				bits = gen_rng_next(r);
				left = 64;
			}
			bool upper = bits & 1;
			bits >>= 1;
			left--;
			c = (char)(upper ? (c & ~0x20) : (c | 0x20));
		}
		out[i] = c;
	}
	out[i] = '\0';
}
