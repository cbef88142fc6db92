/* gen_sign.c - real DNSSEC signatures for the generated answers (gen_sign.h). */
#include "gen_sign.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_parse.h"
#include "hash.h"

enum {
	SIG_BYTES = 256,                /* RSA-2048 */
	DNSKEY_RDATA_LEN = 4 + 4 + 256, /* flags, protocol, algorithm, exponent, modulus */
	RRSIG_FIXED = 18,               /* RRSIG RDATA before the signer name */
	SIGN_CACHE_SLOTS = 4096,        /* distinct RRsets remembered; a guess */
	MAX_RRS = 512,                  /* records of one message considered */
};

/* The generator's RSA-2048 zone key: test data that signs synthetic
 * captures only (documentation addresses, example names). */
static const char gen_key_text[] =
    "Private-key-format: v1.2\n"
    "Algorithm: 8 (RSASHA256)\n"
    "Modulus: "
    "3R7ugg2wLODBoNSf5S/"
    "e1Uoef2EO6sIEBTDK1OwPalYxQuUALaoqz6NAdRdepxEOUhX2ETrjDxixlTrAnO8Gl8MTMlDwfKAkJZj73Il9PeZSwHdX2"
    "KIYKJQFXVLVoUIQ0Wta8QA/MGUx+z/bApwFMysoD/pI3/RSZnd0vocoyMj2suIiwVUJquvB8N3jBg/"
    "T+5ando+4MIBnldr9ohS4n32tiLgeuqWn6d2p/Bz7YfRrPh+fwDKsVJCQTzjyE6k29YgN0EJeSvONshudH/"
    "P3GtCEhbQbnFb19B8cEfYhtmKzTV7vyBCVO1WMrV+ezwPyf3p7/qLVtm3cVzi2Lrrv6w==\n"
    "PublicExponent: AQAB\n"
    "PrivateExponent: "
    "TN8FfLoEfr2OIvr4MWWAerbfPlpAJNXZLvLE+NuuCkI3svFIrBdl9bRj4rECq2LvDxNqbZgCustTZTU9I/"
    "Gm4ZikMlBYIoNLvbRfDs7Pdvb82sNCi2HisyyuZsC22u5MSXmgbnsu/ISZqSaMXW5fEmhU76ULs6vM/"
    "6lUsS3svEwXovUrJIt99APOcHu0Uce4k0WN5t6/amGpnQqTa9/"
    "PKpuHKiCRgIPBkNCXlbD6XXr5P9QWw7QwKyuxcmyuhPf0hbAwb6iFgVPYgZ0wocdgXi28dU6IoH7A3ZrHdKDieFpHMVJU3"
    "hsqiWUuXx28AOlCJQMVvCB1caBQSzQ8qgQIlQ==\n"
    "Prime1: "
    "8Pqnyqmx+"
    "3xICCS3eGzhEDbV7wttOyRl1pRnmFXHItR8Hpkax6GcaOwOt75wOOqSV2ivo21sfCKWMFLhNfWHXAmVZ3CAK6lju7U5Q8/"
    "reWxrdg2ooVp1pcelmes4jCNudvyRPj/ft2vAJUuTZdbrPHbSwpF2gM0dhgV3Wsy7kX8=\n"
    "Prime2: "
    "6udk4Kvs2WOJY30rT94cVscJtXP29jpvdLur/LwJ9DekIFM4jj/wRc+exazJ9650G+dPeP83eRvIT4u7Z/"
    "wmDU8N7KQwAeEAyQh0i8N2ay4h4R0PTeKgZziEqk+Abh2OMBs8EId3PLd9oXKG+mShMlNcsoq6UqEle7O2UDG/P5U=\n"
    "Exponent1: "
    "GvS+/kGbQjl1yUtqJpNvXaP0rGfH0TzSE33IVNcLjo7cT4Pq5ffjCi2Vu+IWpZc/"
    "xX1VYF+"
    "mKgCockFjJekQOjBsQQTpoXiySlYMUNSaT5vcLXl7qoj27hN2J9CTI8H24mKAUMlOWjM4bDOXCmZPLBVSoCcrbV8EdXB5G"
    "HQcazs=\n"
    "Exponent2: "
    "pxMfn+EIm/H85QNBDBRpSZtVn3a0n5sebQOSpzbDSa1NkiQ+5IY7ihvKzMRB/"
    "mVZdgNGdkPoG76T8WfsSmCAXBTvTXHWJ2/2lAXshv/mOQNd23REz1uyRNhhG5ViPm/"
    "NExA733HKcCf+Nhd0Q6HROS8rjl23ek/djidbM5y+byU=\n"
    "Coefficient: "
    "t6+k/2k20vqQ1SsmzGycRGpiqlYaE64VWWDMJ164lSqhDNEXGF9g4UWQWnrQ/ehzAMmIljeBl0qV3uao/"
    "pLTE6hduSlMVCkyI0VOqSV01wSydhog9pDyRTuq+iuKolZaxABR2E5K3u9FKKXUvpeXUObySV7PBeYBwJp8ykChE5o=\n";

/* Signer state, private to this file: the key and the signature cache. */
struct signer {
	ldns_key *key;
	uint8_t dnskey_rdata[DNSKEY_RDATA_LEN];
	uint16_t tag;
	struct {
		uint64_t hash; /* 0 = empty */
		uint8_t sig[SIG_BYTES];
	} cache[SIGN_CACHE_SLOTS];
};

/* Whether the run signs (gen_sign_enable()); one switch per process. */
static bool sign_on;

void gen_sign_enable(bool on)
{
	sign_on = on;
}

bool gen_sign_on(void)
{
	return sign_on;
}

static struct signer *signer_get(void)
{
	static struct signer *s;
	if (s != NULL)
		return s;
	s = calloc(1, sizeof(*s));
	FILE *f = fmemopen((void *)gen_key_text, sizeof(gen_key_text) - 1, "r");
	ldns_rr *pub = NULL;
	ldns_buffer *buf = ldns_buffer_new(DNSKEY_RDATA_LEN);
	if (s == NULL || f == NULL || buf == NULL ||
	    ldns_key_new_frm_fp(&s->key, f) != LDNS_STATUS_OK)
		goto fail;
	ldns_key_set_flags(s->key, LDNS_KEY_ZONE_KEY | LDNS_KEY_SEP_KEY);
	pub = ldns_key2rr(s->key);
	if (pub == NULL || ldns_rr_rdata2buffer_wire(buf, pub) != LDNS_STATUS_OK ||
	    ldns_buffer_position(buf) != DNSKEY_RDATA_LEN)
		goto fail;
	memcpy(s->dnskey_rdata, ldns_buffer_begin(buf), DNSKEY_RDATA_LEN);
	s->tag = ldns_calc_keytag(pub);
	ldns_buffer_free(buf);
	ldns_rr_free(pub);
	fclose(f);
	return s;
fail:
	fprintf(stderr, "dcvscope-gen: cannot load the built-in DNSSEC key\n");
	exit(1);
}

/* Where one record sits in the message. */
struct rr_pos {
	size_t rdata; /* offset of the RDATA */
	uint16_t type, rdlen;
	int section;  /* LDNS_SECTION_ANSWER, ... */
	size_t index; /* within the section's ldns list */
};

/* Skips a (possibly compressed) name at off; returns the offset after it,
 * or 0 when it runs past len. */
static size_t skip_name(const uint8_t *p, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = p[off];
		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		off += 1u + l;
	}
	return 0;
}

/* Lists the records of the message; returns how many (0 on a bad message). */
static size_t walk(const uint8_t *p, size_t len, struct rr_pos *out, size_t max)
{
	if (len < DNS_HEADER_SIZE)
		return 0;
	unsigned qd = (unsigned)p[4] << 8 | p[5];
	unsigned counts[3] = {(unsigned)p[6] << 8 | p[7], (unsigned)p[8] << 8 | p[9],
	                      (unsigned)p[10] << 8 | p[11]};
	static const int sections[3] = {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
	                                LDNS_SECTION_ADDITIONAL};
	size_t off = DNS_HEADER_SIZE, n = 0;
	for (unsigned i = 0; i < qd; i++) {
		off = skip_name(p, len, off);
		if (off == 0 || off + 4 > len)
			return 0;
		off += 4;
	}
	for (int s = 0; s < 3; s++)
		for (unsigned i = 0; i < counts[s]; i++) {
			off = skip_name(p, len, off);
			if (off == 0 || off + 10 > len || n == max)
				return 0;
			uint16_t rdlen = (uint16_t)(p[off + 8] << 8 | p[off + 9]);
			if (off + 10 + rdlen > len)
				return 0;
			out[n].type = (uint16_t)(p[off] << 8 | p[off + 1]);
			out[n].rdlen = rdlen;
			out[n].rdata = off + 10;
			out[n].section = sections[s];
			out[n].index = i;
			n++;
			off += 10u + rdlen;
		}
	return n;
}

static ldns_rr_list *section_of(const ldns_pkt *pkt, int section)
{
	return section == LDNS_SECTION_ANSWER      ? ldns_pkt_answer(pkt)
	       : section == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(pkt)
	                                           : ldns_pkt_additional(pkt);
}

/*
 * The signature of RRSIG rr (in section list sec) over the records it
 * covers, written to sig. The signed data is RFC 4034 3.1.8.1: the RRSIG
 * RDATA without the signature, then the RRset in canonical form and order
 * with the RRSIG's original TTL. Returns 0, or -1 when it cannot be made.
 */
static int sign_one(struct signer *s, const ldns_rr *rrsig, const ldns_rr_list *sec,
                    uint8_t sig[SIG_BYTES])
{
	int rc = -1;
	ldns_rr_type covered = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rrsig));
	uint32_t orig_ttl = ldns_rdf2native_int32(ldns_rr_rrsig_origttl(rrsig));
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_buffer *buf = ldns_buffer_new(4096);
	ldns_rr *tmpl = ldns_rr_clone(rrsig);
	ldns_rdf *out = NULL;
	if (set == NULL || buf == NULL || tmpl == NULL)
		goto cleanup;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sec); i++) {
		const ldns_rr *r = ldns_rr_list_rr(sec, i);
		if (ldns_rr_get_type(r) != covered ||
		    ldns_dname_compare(ldns_rr_owner(r), ldns_rr_owner(rrsig)) != 0)
			continue;
		ldns_rr *c = ldns_rr_clone(r);
		if (c == NULL || !ldns_rr_list_push_rr(set, c)) {
			ldns_rr_free(c);
			goto cleanup;
		}
		ldns_rr_set_ttl(c, orig_ttl);
		ldns_rr2canonical(c);
	}
	if (ldns_rr_list_rr_count(set) == 0)
		goto cleanup;
	ldns_rr_list_sort(set);
	ldns_rdf_deep_free(
	    ldns_rr_set_rdf(tmpl, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, s->tag), 6));
	if (ldns_rrsig2buffer_wire(buf, tmpl) != LDNS_STATUS_OK ||
	    ldns_rr_list2buffer_wire(buf, set) != LDNS_STATUS_OK)
		goto cleanup;
	uint64_t h =
	    dcv_hash_bytes(ldns_buffer_begin(buf), ldns_buffer_position(buf), 0x5349474eULL);
	h = h ? h : 1;
	size_t slot = h % SIGN_CACHE_SLOTS;
	if (s->cache[slot].hash == h) {
		memcpy(sig, s->cache[slot].sig, SIG_BYTES);
		rc = 0;
		goto cleanup;
	}
	out = ldns_sign_public_buffer(buf, s->key);
	if (out == NULL || ldns_rdf_size(out) != SIG_BYTES)
		goto cleanup;
	memcpy(sig, ldns_rdf_data(out), SIG_BYTES);
	s->cache[slot].hash = h;
	memcpy(s->cache[slot].sig, sig, SIG_BYTES);
	rc = 0;
cleanup:
	ldns_rdf_deep_free(out);
	ldns_rr_free(tmpl);
	ldns_buffer_free(buf);
	ldns_rr_list_deep_free(set);
	return rc;
}

void gen_sign_message(struct dnsb *m)
{
	if (!sign_on)
		return;
	struct rr_pos pos[MAX_RRS];
	size_t n = walk(m->buf, m->len, pos, MAX_RRS);
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any |= pos[i].type == DNS_TYPE_RRSIG || pos[i].type == DNS_TYPE_DNSKEY;
	if (!any)
		return;
	struct signer *s = signer_get();
	/* the first KSK placeholder of each DNSKEY RRset becomes the real key */
	bool key_done = false;
	for (size_t i = 0; i < n && !key_done; i++) {
		const uint8_t *rd = m->buf + pos[i].rdata;
		if (pos[i].type == DNS_TYPE_DNSKEY && pos[i].rdlen == DNSKEY_RDATA_LEN &&
		    rd[0] == 0x01 && rd[1] == 0x01 && rd[3] == LDNS_RSASHA256) {
			memcpy(m->buf + pos[i].rdata, s->dnskey_rdata, DNSKEY_RDATA_LEN);
			key_done = true;
		}
	}
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, m->buf, m->len) != LDNS_STATUS_OK)
		return; /* not a message ldns reads: left unsigned */
	for (size_t i = 0; i < n; i++) {
		if (pos[i].type != DNS_TYPE_RRSIG || pos[i].rdlen < RRSIG_FIXED + 1 + SIG_BYTES)
			continue;
		const ldns_rr_list *sec = section_of(pkt, pos[i].section);
		const ldns_rr *rrsig = ldns_rr_list_rr(sec, pos[i].index);
		uint8_t sig[SIG_BYTES];
		if (rrsig == NULL || ldns_rr_get_type(rrsig) != LDNS_RR_TYPE_RRSIG ||
		    sign_one(s, rrsig, sec, sig) != 0)
			continue;
		uint8_t *rd = m->buf + pos[i].rdata;
		rd[16] = (uint8_t)(s->tag >> 8);
		rd[17] = (uint8_t)s->tag;
		memcpy(rd + pos[i].rdlen - SIG_BYTES, sig, SIG_BYTES);
	}
	ldns_pkt_free(pkt);
}
