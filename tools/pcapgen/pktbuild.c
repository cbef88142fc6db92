/* pktbuild.c - frame, IP fragment and DNS message construction. */
#include "pktbuild.h"

#include <stdio.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Link header; returns its length. ethertype: 0x0800 or 0x86dd. */
static size_t put_link(const struct pb_packet *p, uint8_t *out, uint16_t ethertype)
{
	static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x53};
	static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};
	size_t n = 0;
	switch (p->linktype) {
	case PB_LINK_ETHERNET:
		memcpy(out, mac_dst, 6);
		memcpy(out + 6, mac_src, 6);
		n = 12;
		for (int i = 0; i < p->vlans && i < 2; i++) {
			/* outer tag of a QinQ pair is 802.1ad (0x88a8) */
			put16(out + n, (p->vlans == 2 && i == 0) ? 0x88a8 : 0x8100);
			put16(out + n + 2, p->vlan_ids[i] & 0x0fff);
			n += 4;
		}
		put16(out + n, ethertype);
		return n + 2;
	case PB_LINK_LINUX_SLL:
		memset(out, 0, 16);
		put16(out, 0);     /* packet type: to us */
		put16(out + 2, 1); /* ARPHRD_ETHER */
		put16(out + 4, 6); /* address length */
		memcpy(out + 6, mac_src, 6);
		put16(out + 14, ethertype);
		return 16;
	case PB_LINK_LINUX_SLL2:
		memset(out, 0, 20);
		put16(out, ethertype);
		put32(out + 4, 2); /* interface index */
		put16(out + 8, 1); /* ARPHRD_ETHER */
		out[10] = 0;       /* packet type */
		out[11] = 6;
		memcpy(out + 12, mac_src, 6);
		return 20;
	case PB_LINK_NULL: {
		/* host byte order AF value: 2 = AF_INET, 24/28/30 = AF_INET6 (BSDs) */
		uint32_t af = ethertype == 0x0800 ? 2 : 30;
		memcpy(out, &af, 4);
		return 4;
	}
	case PB_LINK_RAW:
	default:
		return 0;
	}
}

/* Transport header + payload into out; returns length. Checksum filled
 * using the pseudo header. */
static size_t put_transport(const struct pb_packet *p, uint8_t *out, size_t cap)
{
	size_t hl = p->proto == 6 ? 20 : 8;
	if (hl + p->payload_len > cap || hl + p->payload_len > 65535)
		return 0;
	memset(out, 0, hl);
	put16(out, p->sport);
	put16(out + 2, p->dport);
	if (p->proto == 6) {
		put32(out + 4, p->seq);
		put32(out + 8, p->ack);
		out[12] = 5 << 4;
		out[13] = p->tcp_flags;
		put16(out + 14, 65535);
	} else {
		put16(out + 4, (uint16_t)(hl + p->payload_len));
	}
	if (p->payload_len)
		memcpy(out + hl, p->payload, p->payload_len);
	size_t len = hl + p->payload_len;
	uint32_t sum = 0;
	size_t alen = p->src.family == DCV_ADDR_V6 ? 16 : 4;
	sum = csum_add(sum, p->src.bytes, alen);
	sum = csum_add(sum, p->dst.bytes, alen);
	sum += p->proto;
	sum += (uint32_t)len;
	sum = csum_add(sum, out, len);
	uint16_t c = csum_fold(sum);
	if (p->proto == 17 && c == 0)
		c = 0xffff;
	put16(out + (p->proto == 6 ? 16 : 6), c);
	return len;
}

/* IP header for an (optionally fragmented) piece; returns its length. */
static size_t put_ip(const struct pb_packet *p, uint8_t *out, size_t payload_len,
                     uint16_t frag_off8, bool more, bool fragmented)
{
	if (p->src.family == DCV_ADDR_V4) {
		memset(out, 0, 20);
		out[0] = 0x45;
		put16(out + 2, (uint16_t)(20 + payload_len));
		put16(out + 4, p->ip_id);
		uint16_t ff = (uint16_t)(frag_off8 & 0x1fff);
		if (more)
			ff |= 0x2000;
		if (!fragmented)
			ff = 0x4000; /* DF */
		put16(out + 6, ff);
		out[8] = 64;
		out[9] = p->proto;
		memcpy(out + 12, p->src.bytes, 4);
		memcpy(out + 16, p->dst.bytes, 4);
		put16(out + 10, csum_fold(csum_add(0, out, 20)));
		return 20;
	}
	size_t hl = fragmented ? 48 : 40;
	memset(out, 0, hl);
	out[0] = 0x60;
	put16(out + 4, (uint16_t)(payload_len + (fragmented ? 8 : 0)));
	out[6] = fragmented ? 44 : p->proto;
	out[7] = 64;
	memcpy(out + 8, p->src.bytes, 16);
	memcpy(out + 24, p->dst.bytes, 16);
	if (fragmented) {
		out[40] = p->proto;
		put16(out + 42, (uint16_t)((frag_off8 << 3) | (more ? 1 : 0)));
		put32(out + 44, p->ip_id);
	}
	return hl;
}

static uint16_t ethertype_of(const struct pb_packet *p)
{
	return p->src.family == DCV_ADDR_V6 ? 0x86dd : 0x0800;
}

size_t pb_build(const struct pb_packet *p, uint8_t *out, size_t cap)
{
	if (cap < 128 || p->src.family != p->dst.family)
		return 0;
	size_t n = put_link(p, out, ethertype_of(p));
	size_t iphl = p->src.family == DCV_ADDR_V6 ? 40 : 20;
	size_t tl = put_transport(p, out + n + iphl, cap - n - iphl);
	if (tl == 0)
		return 0;
	if (p->src.family == DCV_ADDR_V4 && tl + 20 > 65535)
		return 0;
	put_ip(p, out + n, tl, 0, false, false);
	return n + iphl + tl;
}

unsigned pb_build_fragments(const struct pb_packet *p, size_t frag_payload, pb_frame_fn fn,
                            void *ctx)
{
	static uint8_t l4[65536 + 64];
	static uint8_t frame[PB_FRAME_MAX];
	size_t tl = put_transport(p, l4, sizeof(l4));
	frag_payload &= ~(size_t)7;
	if (tl == 0 || frag_payload < 8)
		return 0;
	unsigned count = 0;
	for (size_t off = 0; off < tl; off += frag_payload) {
		size_t piece = tl - off < frag_payload ? tl - off : frag_payload;
		bool more = off + piece < tl;
		size_t n = put_link(p, frame, ethertype_of(p));
		n += put_ip(p, frame + n, piece, (uint16_t)(off / 8), more, true);
		memcpy(frame + n, l4 + off, piece);
		fn(ctx, frame, n + piece);
		count++;
	}
	return count;
}

/* ---- DNS ---- */

size_t dnsb_name(const char *name, uint8_t *out)
{
	size_t n = 0;
	if (strcmp(name, ".") == 0 || name[0] == '\0') {
		out[0] = 0;
		return 1;
	}
	const char *s = name;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || n + l + 2 > 255)
			return 0;
		out[n++] = (uint8_t)l;
		memcpy(out + n, s, l);
		n += l;
		s += l;
		if (*s == '.')
			s++;
	}
	out[n++] = 0;
	return n;
}

void dnsb_init(struct dnsb *m, uint16_t id, uint16_t flags)
{
	memset(m->buf, 0, 12);
	put16(m->buf, id);
	put16(m->buf + 2, flags);
	m->len = 12;
	m->overflow = false;
}

static void bump(struct dnsb *m, int count_off)
{
	uint16_t c = (uint16_t)(m->buf[count_off] << 8 | m->buf[count_off + 1]);
	put16(m->buf + count_off, (uint16_t)(c + 1));
}

static bool room(struct dnsb *m, size_t need)
{
	if (m->overflow || m->len + need > sizeof(m->buf)) {
		m->overflow = true;
		return false;
	}
	return true;
}

void dnsb_question(struct dnsb *m, const char *name, uint16_t qtype, uint16_t qclass)
{
	uint8_t wire[256];
	size_t nl = dnsb_name(name, wire);
	if (nl == 0 || !room(m, nl + 4)) {
		m->overflow = true;
		return;
	}
	memcpy(m->buf + m->len, wire, nl);
	put16(m->buf + m->len + nl, qtype);
	put16(m->buf + m->len + nl + 2, qclass);
	m->len += nl + 4;
	bump(m, 4);
}

void dnsb_rr(struct dnsb *m, int section, const char *name, uint16_t type, uint16_t rclass,
             uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t wire[256];
	size_t nl = dnsb_name(name, wire);
	if (nl == 0 || !room(m, nl + 10 + rdlen)) {
		m->overflow = true;
		return;
	}
	uint8_t *w = m->buf + m->len;
	memcpy(w, wire, nl);
	put16(w + nl, type);
	put16(w + nl + 2, rclass);
	put32(w + nl + 4, ttl);
	put16(w + nl + 8, rdlen);
	if (rdlen)
		memcpy(w + nl + 10, rdata, rdlen);
	m->len += nl + 10 + rdlen;
	bump(m, 6 + 2 * section);
}

void dnsb_opt(struct dnsb *m, uint16_t udp_size, uint8_t ext_rcode, uint8_t version, bool do_bit,
              const uint8_t *options, uint16_t options_len)
{
	uint32_t ttl = (uint32_t)ext_rcode << 24 | (uint32_t)version << 16 | (do_bit ? 0x8000u : 0);
	dnsb_rr(m, DNSB_ADDITIONAL, ".", 41, udp_size, ttl, options, options_len);
}
