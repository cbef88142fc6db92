/* gen_dns.c - queries and authoritative answers for the generated traffic. */
#include "gen_dns.h"
#include "gen_sign.h"

#include <string.h>

enum {
	T_A = 1,
	T_NS = 2,
	T_SOA = 6,
	T_MX = 15,
	T_TXT = 16,
	T_AAAA = 28,
	T_RRSIG = 46,
	T_NSEC = 47,
	T_DNSKEY = 48,
	T_CAA = 257,
	C_IN = 1,
	TTL = 3600,
	RSA_2048_BYTES = 256,       /* modulus and signature size of RSA-2048 */
	DNSKEY_RDATA = 4 + 4 + 256, /* flags, proto, alg + exponent (3) length (1) + modulus */
};

/* Filler bytes for keys and signatures: content does not matter, length does. */
static const uint8_t filler[512] = {
    0x03, 0x01, 0x00, 0x01, 0xa7, 0x5c, 0x31, 0x9e, 0x42, 0xd8, 0x11, 0x6b, 0xf0, 0x3d, 0x88, 0x27,
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* The zone apex of a name: its last two labels. */
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

static bool is_apex(const char *name)
{
	return zone_of(name) == name;
}

void gen_dns_query(struct dnsb *m, const struct gen_query *q)
{
	dnsb_init(m, q->id, 0);
	dnsb_question(m, q->qname, q->qtype, C_IN);
	if (q->edns)
		dnsb_opt(m, q->udp_size, 0, 0, q->do_bit, NULL, 0);
}

size_t gen_dns_udp_limit(const struct gen_query *q)
{
	if (!q->edns)
		return GEN_PLAIN_UDP_MAX;
	uint16_t s = q->udp_size < GEN_PLAIN_UDP_MAX ? GEN_PLAIN_UDP_MAX : q->udp_size;
	return s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void add_rrsig(struct dnsb *m, int section, const char *owner, uint16_t covered,
                      const char *zone)
{
	uint8_t rd[18 + 256 + RSA_2048_BYTES];
	put16(rd, covered);
	rd[2] = 8; /* RSASHA256 */
	uint8_t labels = 1;
	for (const char *s = owner; *s; s++)
		labels += *s == '.';
	rd[3] = labels;
	put32(rd + 4, TTL);
	put32(rd + 8, 1706745600u);  /* expiration 2024-02-01 */
	put32(rd + 12, 1704067200u); /* inception 2024-01-01 */
	put16(rd + 16, (uint16_t)name_hash(zone));
	size_t n = dnsb_name(zone, rd + 18);
	memcpy(rd + 18 + n, filler, RSA_2048_BYTES);
	dnsb_rr(m, section, owner, T_RRSIG, C_IN, TTL, rd, (uint16_t)(18 + n + RSA_2048_BYTES));
}

static void add_soa(struct dnsb *m, const char *zone, bool do_bit)
{
	uint8_t rd[2 * 256 + 20];
	char text[300];
	size_t n;
	strcpy(text, "ns1.");
	strncat(text, zone, sizeof(text) - 5);
	n = dnsb_name(text, rd);
	strcpy(text, "hostmaster.");
	strncat(text, zone, sizeof(text) - 12);
	n += dnsb_name(text, rd + n);
	put32(rd + n, 2024010101u);
	put32(rd + n + 4, 7200);
	put32(rd + n + 8, 3600);
	put32(rd + n + 12, 1209600);
	put32(rd + n + 16, 300);
	dnsb_rr(m, DNSB_AUTHORITY, zone, T_SOA, C_IN, 300, rd, (uint16_t)(n + 20));
	if (do_bit)
		add_rrsig(m, DNSB_AUTHORITY, zone, T_SOA, zone);
}

/* The NSEC record proving a negative answer in a signed zone (RFC 4035
 * 3.1.3): at the name itself for NODATA (its types: RRSIG and NSEC only),
 * at the apex for NXDOMAIN, pointing just past the name asked for. */
static void add_nsec(struct dnsb *m, const char *qname, const char *zone, bool nxdomain)
{
	uint8_t rd[2 + 256 + 8];
	size_t n;
	if (nxdomain) {
		rd[0] = 1; /* the label "\000": the first name after qname in canonical order */
		rd[1] = 0;
		n = 2 + dnsb_name(qname, rd + 2);
	} else {
		n = dnsb_name(zone, rd); /* the last name of the zone: the chain wraps */
	}
	/* type bitmap window 0: RRSIG (46) and NSEC (47) */
	const uint8_t bitmap[8] = {0, 6, 0, 0, 0, 0, 0, 0x03};
	memcpy(rd + n, bitmap, sizeof(bitmap));
	const char *owner = nxdomain ? zone : qname;
	dnsb_rr(m, DNSB_AUTHORITY, owner, T_NSEC, C_IN, 300, rd, (uint16_t)(n + sizeof(bitmap)));
	add_rrsig(m, DNSB_AUTHORITY, owner, T_NSEC, zone);
}

static void add_name_rr(struct dnsb *m, const char *owner, uint16_t type, uint16_t pref,
                        const char *label, const char *zone)
{
	uint8_t rd[2 + 256];
	char text[300];
	size_t off = 0;
	if (type == T_MX) {
		put16(rd, pref);
		off = 2;
	}
	strcpy(text, label);
	strncat(text, zone, sizeof(text) - strlen(label) - 1);
	size_t n = dnsb_name(text, rd + off);
	dnsb_rr(m, DNSB_ANSWER, owner, type, C_IN, TTL, rd, (uint16_t)(off + n));
}

/* Records of the answer section; returns false when the name has no data of the type. */
static bool add_answer(struct dnsb *m, const struct gen_query *q, const char *zone)
{
	uint32_t h = name_hash(q->qname);
	uint8_t rd[DNSKEY_RDATA + 64];
	switch (q->qtype) {
	case T_A: {
		const uint8_t a[4] = {192, 0, 2, (uint8_t)(1 + h % 250)};
		dnsb_rr(m, DNSB_ANSWER, q->qname, T_A, C_IN, 300, a, 4);
		return true;
	}
	case T_AAAA: {
		uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
		put32(a + 12, h);
		dnsb_rr(m, DNSB_ANSWER, q->qname, T_AAAA, C_IN, 300, a, 16);
		return true;
	}
	case T_MX:
		add_name_rr(m, q->qname, T_MX, 10, "mail.", zone);
		add_name_rr(m, q->qname, T_MX, 20, "mail2.", zone);
		return true;
	case T_NS:
		add_name_rr(m, q->qname, T_NS, 0, "ns1.", zone);
		add_name_rr(m, q->qname, T_NS, 0, "ns2.", zone);
		return true;
	case T_TXT: {
		/* an ACME token is 43 base64url characters (RFC 8555 8.4) */
		static const char token[] = "+LhOPnTDJSHd9sE8b4iQzV5kXrRmGwY0aC1f2Ug3Hq7";
		static const char spf[] = "+v=spf1 -all";
		const char *t = strncmp(q->qname, "_acme-challenge.", 16) == 0 ? token : spf;
		size_t len = strlen(t);
		memcpy(rd, t, len);
		rd[0] = (uint8_t)(len - 1); /* character-string length byte replaces the '+' */
		dnsb_rr(m, DNSB_ANSWER, q->qname, T_TXT, C_IN, 300, rd, (uint16_t)len);
		return true;
	}
	case T_CAA: {
		if (!is_apex(q->qname))
			return false; /* CAA lives at the apex: clients climb the tree (RFC 8659 3)
			               */
		/* one issue record per CA the generator simulates (gen_ca.c), so
		 * that each of them may issue (RFC 8659 4.2) */
		static const char *const caa[] = {
		    "\x00\x05issueletsencrypt.org", "\x00\x05issuedigicert.com",
		    "\x00\x05issuesectigo.com", "\x00\x05issueglobalsign.com"};
		for (size_t i = 0; i < sizeof(caa) / sizeof(caa[0]); i++)
			dnsb_rr(m, DNSB_ANSWER, q->qname, T_CAA, C_IN, TTL, (const uint8_t *)caa[i],
			        (uint16_t)(strlen(caa[i] + 1) + 1));
		return true;
	}
	case T_DNSKEY: {
		if (!is_apex(q->qname))
			return false;
		/* two KSKs and two ZSKs (a rollover in progress), RSA-2048 */
		for (int i = 0; i < 4; i++) {
			put16(rd, i < 2 ? 257 : 256);
			rd[2] = 3;
			rd[3] = 8;
			rd[4] = 3; /* exponent length */
			rd[5] = 0x01;
			rd[6] = 0x00;
			rd[7] = 0x01;
			memcpy(rd + 8, filler, RSA_2048_BYTES);
			rd[8] = (uint8_t)(0xc0 + i);
			dnsb_rr(m, DNSB_ANSWER, q->qname, T_DNSKEY, C_IN, TTL, rd, DNSKEY_RDATA);
		}
		if (q->do_bit) /* signed by both KSKs */
			add_rrsig(m, DNSB_ANSWER, q->qname, T_DNSKEY, zone);
		if (q->do_bit)
			add_rrsig(m, DNSB_ANSWER, q->qname, T_DNSKEY, zone);
		return true;
	}
	default:
		return false;
	}
}

void gen_dns_response(struct dnsb *m, const struct gen_query *q, int rcode, size_t max_len)
{
	uint16_t flags = DNSB_QR | (uint16_t)(rcode & 0x0f);
	if (rcode == GEN_NOERROR || rcode == GEN_NXDOMAIN)
		flags |= DNSB_AA;
	dnsb_init(m, q->id, flags);
	dnsb_question(m, q->qname, q->qtype, C_IN);
	const char *zone = zone_of(q->qname);
	if (rcode == GEN_NOERROR) {
		if (add_answer(m, q, zone)) {
			if (q->do_bit && q->qtype != T_DNSKEY)
				add_rrsig(m, DNSB_ANSWER, q->qname, q->qtype, zone);
		} else {
			add_soa(m, zone, q->do_bit);
			if (q->do_bit && gen_sign_on())
				add_nsec(m, q->qname, zone, false);
		}
	} else if (rcode == GEN_NXDOMAIN) {
		add_soa(m, zone, q->do_bit);
		if (q->do_bit && gen_sign_on())
			add_nsec(m, q->qname, zone, true);
	}
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
