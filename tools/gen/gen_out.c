/* gen_out.c - frame output (direct or time-sorted) and DNS-over-UDP/TCP helpers. */
#include "gen_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int gen_open(struct gen_ctx *g, const char *path, int linktype, uint32_t snaplen, bool buffered,
             uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	gen_rng_seed(&g->rng, seed);
	g->linktype = linktype;
	g->buffered = buffered;
	g->ip_id = (uint16_t)gen_rng_next(&g->rng);
	g->frags = malloc(GEN_FRAGS_MAX * sizeof(*g->frags));
	if (g->frags == NULL)
		return -1;
	g->w = pcapw_open(path, linktype, snaplen ? snaplen : GEN_SNAPLEN_DEFAULT);
	if (g->w == NULL) {
		free(g->frags);
		return -1;
	}
	return 0;
}

static int frame_cmp(const void *a, const void *b)
{
	const struct gen_frame_rec *x = a, *y = b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int gen_close(struct gen_ctx *g)
{
	if (g->buffered && g->nframes)
		qsort(g->frames, g->nframes, sizeof(*g->frames), frame_cmp);
	for (size_t i = 0; i < g->nframes; i++) {
		pcapw_write(g->w, g->frames[i].ts_ns, g->frames[i].data, g->frames[i].len);
		free(g->frames[i].data);
	}
	free(g->frames);
	free(g->frags);
	int rc = pcapw_close(g->w);
	return rc == 0 && !g->failed ? 0 : -1;
}

void gen_frame(struct gen_ctx *g, uint64_t ts_ns, const uint8_t *frame, size_t len)
{
	if (len == 0) {
		g->failed = true; /* a frame the builder refused: a generator bug */
		return;
	}
	g->exp.packets++;
	if (!g->buffered) {
		pcapw_write(g->w, ts_ns, frame, len);
		return;
	}
	if (g->nframes == g->capframes) {
		size_t cap = g->capframes ? 2 * g->capframes : 4096;
		struct gen_frame_rec *n = realloc(g->frames, cap * sizeof(*n));
		if (n == NULL) {
			g->failed = true;
			return;
		}
		g->frames = n;
		g->capframes = cap;
	}
	uint8_t *copy = malloc(len);
	if (copy == NULL) {
		g->failed = true;
		return;
	}
	memcpy(copy, frame, len);
	g->frames[g->nframes] = (struct gen_frame_rec){ts_ns, g->nframes, (uint32_t)len, copy};
	g->nframes++;
}

size_t gen_build(struct gen_ctx *g, struct pb_packet *p)
{
	p->linktype = g->linktype;
	if (g->linktype == PB_LINK_ETHERNET) {
		p->vlans = g->vlans;
		p->vlan_ids[0] = g->vlan_ids[0];
		p->vlan_ids[1] = g->vlan_ids[1];
	}
	return pb_build(p, g->frame, sizeof(g->frame));
}

void gen_count_dns(struct gen_ctx *g, const uint8_t *msg, size_t len, bool tcp, bool v6,
                   const struct dcv_addr *client)
{
	if (len < 12)
		return;
	bool qr = msg[2] & 0x80;
	if (qr) {
		g->exp.responses++;
		g->exp.rcodes[msg[3] & 0x0f]++;
	} else {
		g->exp.queries++;
		if (g->exp.nsources) {
			struct gen_source_expect *s = gen_expect_source(&g->exp, client);
			if (s != NULL)
				s->queries++;
		}
	}
	if (tcp)
		g->exp.tcp++;
	else
		g->exp.udp++;
	if (v6)
		g->exp.ipv6++;
}

static void flow_packet(struct gen_ctx *g, struct pb_packet *p, const struct gen_flow *f,
                        bool to_server, uint8_t proto)
{
	memset(p, 0, sizeof(*p));
	p->src = to_server ? f->client : f->server;
	p->dst = to_server ? f->server : f->client;
	p->sport = to_server ? f->cport : f->sport;
	p->dport = to_server ? f->sport : f->cport;
	p->proto = proto;
	p->ip_id = g->ip_id++;
}

static void collect_fragment(void *ctx, const uint8_t *frame, size_t len)
{
	struct gen_ctx *g = ctx;
	if (g->nfrags >= GEN_FRAGS_MAX || len > GEN_FRAG_FRAME_MAX) {
		g->failed = true;
		return;
	}
	memcpy(g->frags[g->nfrags], frame, len);
	g->frag_len[g->nfrags++] = len;
}

unsigned gen_udp_fragments(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f,
                           bool to_server, const struct dnsb *m, size_t frag_payload, bool reverse)
{
	struct pb_packet p;
	flow_packet(g, &p, f, to_server, DCV_PROTO_UDP);
	p.linktype = g->linktype;
	p.vlans = g->linktype == PB_LINK_ETHERNET ? g->vlans : 0;
	p.vlan_ids[0] = g->vlan_ids[0];
	p.vlan_ids[1] = g->vlan_ids[1];
	p.payload = m->buf;
	p.payload_len = m->len;
	g->nfrags = 0;
	unsigned n = pb_build_fragments(&p, frag_payload, collect_fragment, g);
	if (n == 0 || n != g->nfrags) {
		g->failed = true;
		return 0;
	}
	/* fragments leave back to back: 1 microsecond apart */
	for (unsigned i = 0; i < n; i++) {
		unsigned k = reverse ? n - 1 - i : i;
		gen_frame(g, ts_ns + i * 1000, g->frags[k], g->frag_len[k]);
	}
	g->exp.fragments += n;
	gen_count_dns(g, m->buf, m->len, false, f->client.family == DCV_ADDR_V6, &f->client);
	return n;
}

unsigned gen_udp(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f, bool to_server,
                 const struct dnsb *m)
{
	if (f->client.family == DCV_ADDR_V4 && 20 + 8 + m->len > GEN_MTU)
		return gen_udp_fragments(g, ts_ns, f, to_server, m, GEN_FRAG_PAYLOAD, false);
	struct pb_packet p;
	flow_packet(g, &p, f, to_server, DCV_PROTO_UDP);
	p.payload = m->buf;
	p.payload_len = m->len;
	gen_frame(g, ts_ns, g->frame, gen_build(g, &p));
	gen_count_dns(g, m->buf, m->len, false, f->client.family == DCV_ADDR_V6, &f->client);
	return 1;
}

void gen_tcp_init(struct gen_ctx *g, struct gen_tcp *t, const struct gen_flow *f)
{
	t->f = *f;
	t->cseq = (uint32_t)gen_rng_next(&g->rng);
	t->sseq = (uint32_t)gen_rng_next(&g->rng);
}

void gen_tcp_seg(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t, bool from_client,
                 uint8_t flags, const uint8_t *payload, size_t len)
{
	struct pb_packet p;
	flow_packet(g, &p, &t->f, from_client, DCV_PROTO_TCP);
	uint32_t *mine = from_client ? &t->cseq : &t->sseq;
	uint32_t *theirs = from_client ? &t->sseq : &t->cseq;
	p.seq = *mine;
	p.ack = (flags & DCV_TCP_ACK) ? *theirs : 0;
	p.tcp_flags = flags;
	p.payload = payload;
	p.payload_len = len;
	gen_frame(g, ts_ns, g->frame, gen_build(g, &p));
	*mine += (uint32_t)len + ((flags & (DCV_TCP_SYN | DCV_TCP_FIN)) ? 1 : 0);
}

uint64_t gen_tcp_handshake(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t, uint64_t rtt_ns)
{
	gen_tcp_seg(g, ts_ns, t, true, DCV_TCP_SYN, NULL, 0);
	gen_tcp_seg(g, ts_ns + rtt_ns / 2, t, false, DCV_TCP_SYN | DCV_TCP_ACK, NULL, 0);
	gen_tcp_seg(g, ts_ns + rtt_ns, t, true, DCV_TCP_ACK, NULL, 0);
	g->exp.tcp_sessions++;
	return ts_ns + rtt_ns;
}

void gen_tcp_syn_lost(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t)
{
	uint32_t isn = t->cseq;
	gen_tcp_seg(g, ts_ns, t, true, DCV_TCP_SYN, NULL, 0);
	t->cseq = isn;
}

void gen_tcp_dns(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t, bool from_client,
                 const struct dnsb *m)
{
	static uint8_t seg[2 + sizeof(m->buf)];
	seg[0] = (uint8_t)(m->len >> 8);
	seg[1] = (uint8_t)m->len;
	memcpy(seg + 2, m->buf, m->len);
	gen_tcp_seg(g, ts_ns, t, from_client, DCV_TCP_PSH | DCV_TCP_ACK, seg, m->len + 2);
	gen_count_dns(g, m->buf, m->len, true, t->f.client.family == DCV_ADDR_V6, &t->f.client);
}

uint64_t gen_tcp_close(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t, bool server_first,
                       uint64_t gap_ns)
{
	gen_tcp_seg(g, ts_ns, t, !server_first, DCV_TCP_FIN | DCV_TCP_ACK, NULL, 0);
	gen_tcp_seg(g, ts_ns + gap_ns, t, server_first, DCV_TCP_FIN | DCV_TCP_ACK, NULL, 0);
	gen_tcp_seg(g, ts_ns + 2 * gap_ns, t, !server_first, DCV_TCP_ACK, NULL, 0);
	return ts_ns + 2 * gap_ns;
}

void gen_tcp_reject(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f, uint64_t rtt_ns)
{
	struct gen_tcp t;
	gen_tcp_init(g, &t, f);
	gen_tcp_seg(g, ts_ns, &t, true, DCV_TCP_SYN, NULL, 0);
	gen_tcp_seg(g, ts_ns + rtt_ns, &t, false, DCV_TCP_RST | DCV_TCP_ACK, NULL, 0);
	g->exp.tcp_rejected++;
}

void gen_tcp_filtered(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f)
{
	struct gen_tcp t;
	gen_tcp_init(g, &t, f);
	gen_tcp_syn_lost(g, ts_ns, &t);
	gen_tcp_seg(g, ts_ns + GEN_NS_PER_S, &t, true, DCV_TCP_SYN, NULL, 0);
	g->exp.tcp_filtered++;
}

void gen_answered(struct gen_ctx *g)
{
	g->exp.answered++;
}

void gen_unanswered(struct gen_ctx *g, const struct dcv_addr *client)
{
	g->exp.unanswered++;
	struct gen_source_expect *s = gen_expect_source(&g->exp, client);
	if (s != NULL)
		s->unanswered++;
}

void gen_retransmit(struct gen_ctx *g)
{
	g->exp.retransmits++;
}

struct dcv_addr gen_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t b4[4] = {a, b, c, d};
	return dcv_addr_v4(b4);
}

struct dcv_addr gen_v6(const char *text)
{
	struct dcv_addr a;
	memset(&a, 0, sizeof(a));
	if (!dcv_addr_parse(text, &a))
		abort(); /* generator constants always parse */
	return a;
}
