/*
 * decode.c - one frame in, one UDP/TCP packet out: link layer (link.c),
 * IPv4/IPv6 (ipv4.c, ipv6.c), fragment reassembly (ip_frag.c), and the UDP
 * and TCP headers (here).
 *
 * Hot path: no allocation and no struct-wide memset per frame; every field
 * of struct dcv_pkt is written once on the DECODE_PACKET path.
 */
#include "decode.h"

#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "dcv_error.h"
#include "hash.h"
#include "ip.h"
#include "ip_frag.h"
#include "link.h"
#include "wire.h"

enum {
	UDP_HDR_LEN = 8,
	UDP_OFF_LEN = 4,
	TCP_HDR_MIN = 20,
	TCP_OFF_SEQ = 4,
	TCP_OFF_ACK = 8,
	TCP_OFF_DOFF = 12,
	TCP_OFF_FLAGS = 13,
};

struct decoder {
	struct decoder_stats stats;
	struct frag_table *frags;
	uint64_t partial_ns; /* decoder_take_partial()'s wait */
	bool verify_ipv4_checksum;
};

static uint64_t decoder_seed(const struct decoder *d)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	/* no entropy yet (early boot): still differs per process and run */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return dcv_hash_mix((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uintptr_t)d);
}

struct decoder *decoder_new(const struct decoder_config *cfg)
{
	struct decoder *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	struct decoder_config c = {0};
	if (cfg != NULL)
		c = *cfg;
	d->verify_ipv4_checksum = c.verify_ipv4_checksum;
	d->partial_ns =
	    (uint64_t)(c.frag_partial_ms ? c.frag_partial_ms : DECODE_FRAG_PARTIAL_MS_DEFAULT) *
	    1000000u;
	d->frags = frag_table_new(c.frag_max_datagrams, (uint64_t)c.frag_timeout_ms * 1000000u,
	                          c.frag_max_bytes, decoder_seed(d), &d->stats);
	if (d->frags == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void decoder_free(struct decoder *d)
{
	if (d == NULL)
		return;
	frag_table_free(d->frags);
	free(d);
}

const struct decoder_stats *decoder_get_stats(const struct decoder *d)
{
	return &d->stats;
}

bool decode_linktype_supported(int linktype)
{
	return link_type_supported(linktype);
}

unsigned decoder_expire(struct decoder *d, uint64_t now_ns)
{
	return frag_table_expire(d->frags, now_ns);
}

/* ---- transport ---- */

/*
 * Validated here, once, for UDP (RFC 768) and TCP (RFC 9293 3.1). The IP
 * layer guarantees l4_len <= l4_wire_len and that l4_len bytes are there.
 */
static int decode_transport(const struct ip_info *ii, struct dcv_pkt *out)
{
	const uint8_t *p = ii->l4;
	uint32_t len = ii->l4_len;
	uint32_t wire = ii->l4_wire_len;
	uint32_t hl, end;
	if (ii->proto == DCV_PROTO_UDP) {
		if (wire < UDP_HDR_LEN || len < UDP_HDR_LEN)
			return DCV_E_UDP_SHORT;
		uint32_t ulen = wire_read_u16(p + UDP_OFF_LEN);
		/* the IP header's claim, not the captured bytes, bounds the UDP
		 * length, so a snap-truncated datagram is not malformed */
		if (ulen < UDP_HDR_LEN || ulen > wire)
			return DCV_E_UDP_LEN;
		hl = UDP_HDR_LEN;
		end = ulen; /* bytes after the UDP length are IP-level trailer */
		out->tcp_flags = 0;
		out->tcp_seq = 0;
		out->tcp_ack = 0;
	} else {
		if (wire < TCP_HDR_MIN || len < TCP_HDR_MIN)
			return DCV_E_TCP_SHORT;
		hl = (uint32_t)(p[TCP_OFF_DOFF] >> 4) * 4;
		if (hl < TCP_HDR_MIN || hl > wire)
			return DCV_E_TCP_HDRLEN;
		if (hl > len)
			return DCV_E_TCP_SHORT; /* options cut by the snap length */
		end = wire;
		out->tcp_flags = p[TCP_OFF_FLAGS];
		out->tcp_seq = wire_read_u32(p + TCP_OFF_SEQ);
		out->tcp_ack = wire_read_u32(p + TCP_OFF_ACK);
	}
	out->proto = ii->proto;
	out->sport = wire_read_u16(p);
	out->dport = wire_read_u16(p + 2);
	out->payload = p + hl;
	out->payload_wire_len = end - hl;
	out->payload_len = (len < end ? len : end) - hl;
	out->snap_truncated = out->payload_len < out->payload_wire_len;
	return DECODE_PACKET;
}

static bool is_transport(uint8_t proto)
{
	return proto == DCV_PROTO_UDP || proto == DCV_PROTO_TCP;
}

/* ---- fragments ---- */

/* ip_hl: bytes from the IP header start to the fragment data. */
static int decode_fragment(struct decoder *d, uint64_t ts_ns, bool v6, int ip_hl,
                           struct ip_info *ii, struct dcv_pkt *out)
{
	d->stats.fragments++;
	struct frag_key k;
	struct frag_in in;
	k.src = out->src;
	k.dst = out->dst;
	k.id = ii->frag_id;
	k.pad_[0] = k.pad_[1] = k.pad_[2] = 0;
	if (v6) {
		/* every fragment carries the next header of the fragmentable
		 * part (RFC 8200 4.5); ICMPv6, ESP, ... are not reassembled */
		if (!is_transport(ii->proto) && !ip6_nh_is_exthdr(ii->proto))
			return DECODE_OTHER_PROTO;
		k.proto = 0;
		/* payload length (16 bits) covers the unfragmentable extension
		 * headers and the fragmentable part */
		in.max_end = IP6_MAX_PAYLOAD - (uint32_t)(ip_hl - IP6_HDR_LEN - IP6_FRAG_HDR_LEN);
	} else {
		if (!is_transport(ii->proto))
			return DECODE_OTHER_PROTO;
		k.proto = ii->proto;
		in.max_end = IP4_MAX_TOTAL - (uint32_t)ip_hl;
	}
	in.data = ii->l4;
	in.off = ii->frag_off;
	in.len = ii->l4_len;
	in.wire_len = ii->l4_wire_len;
	in.more = ii->frag_more;
	in.nh = ii->proto;

	struct frag_out fo;
	int rc = frag_table_add(d->frags, &k, ts_ns, &in, &fo);
	if (rc < 0)
		return rc;
	if (rc == FRAG_PENDING)
		return DECODE_FRAGMENT;

	ii->l4 = fo.data;
	ii->l4_len = fo.len;
	ii->l4_wire_len = fo.wire_len;
	if (v6) {
		rc = ip6_walk_reassembled(fo.nh, fo.data, fo.len, fo.wire_len, ii);
		if (rc < 0)
			return rc;
	}
	out->reassembled = true;
	if (!is_transport(ii->proto))
		return DECODE_OTHER_PROTO;
	return decode_transport(ii, out);
}

int decoder_take_partial(struct decoder *d, uint64_t now_ns, struct dcv_pkt *out)
{
	struct frag_key k;
	struct frag_out fo;
	uint64_t first_ts;
	if (frag_table_take_partial(d->frags, now_ns, d->partial_ns, &k, &fo, &first_ts) !=
	    FRAG_DONE)
		return 0;
	struct ip_info ii = {.l4 = fo.data, .l4_len = fo.len, .proto = DCV_PROTO_UDP};
	/* the UDP header knows the length the missing fragments would make */
	uint32_t ulen = wire_read_u16(fo.data + UDP_OFF_LEN);
	ii.l4_wire_len = ulen > fo.wire_len ? ulen : fo.wire_len;
	out->ts_ns = first_ts;
	out->src = k.src;
	out->dst = k.dst;
	out->reassembled = true;
	int rc = decode_transport(&ii, out);
	if (rc < 0)
		d->stats.frag_expired++; /* given up, as a datagram that never completes */
	return rc;
}

/* ---- frame ---- */

/* The link and IP layers of f: fills out->src, dst, ts_ns, *ii, *v6 and
 * *ip_hl (bytes from the IP header to l4) and returns 0, or returns a
 * decode_status or DCV_E_* code when there is no IP packet. Reads and
 * changes no state. */
static int decode_ip(const struct cap_frame *f, bool verify_checksum, struct dcv_pkt *out,
                     struct ip_info *ii, bool *v6, int *ip_hl)
{
	size_t len = f->caplen;
	size_t wire = f->wirelen > f->caplen ? f->wirelen : f->caplen;
	size_t link_hl = 0;
	int net = link_decode(f->linktype, f->data, len, &link_hl);
	if (net < 0)
		return net;
	if (net == LINK_NET_NOT_IP)
		return DECODE_NOT_IP;
	if (net == LINK_NET_UNSUPPORTED)
		return DECODE_UNSUPPORTED_LINK;
	const uint8_t *p = f->data + link_hl;
	len -= link_hl;
	wire -= link_hl;

	if (net == LINK_NET_IP_ANY) {
		if (len < 1)
			return DCV_E_IP_SHORT;
		unsigned version = p[0] >> 4;
		if (version == 4)
			net = LINK_NET_IPV4;
		else if (version == 6)
			net = LINK_NET_IPV6;
		else
			return DCV_E_IP_VERSION;
	}

	*v6 = net == LINK_NET_IPV6;
	*ip_hl = *v6 ? ip6_decode(p, len, wire, &out->src, &out->dst, ii)
	             : ip4_decode(p, len, wire, verify_checksum, &out->src, &out->dst, ii);
	if (*ip_hl < 0)
		return *ip_hl;
	out->ts_ns = f->ts_ns;
	out->reassembled = false;
	return 0;
}

int decode_frame(struct decoder *d, const struct cap_frame *f, struct dcv_pkt *out)
{
	if (frag_table_count(d->frags) != 0)
		frag_table_expire(d->frags, f->ts_ns);
	struct ip_info ii;
	bool v6;
	int ip_hl;
	int rc = decode_ip(f, d->verify_ipv4_checksum, out, &ii, &v6, &ip_hl);
	if (rc != 0)
		return rc;
	if (ii.fragment)
		return decode_fragment(d, f->ts_ns, v6, ip_hl, &ii, out);
	if (!is_transport(ii.proto))
		return DECODE_OTHER_PROTO;
	return decode_transport(&ii, out);
}

int decode_frame_peeked(struct decoder *d, const struct cap_frame *f, int peek_rc,
                        const struct dcv_pkt *peeked, struct dcv_pkt *out)
{
	if (peek_rc != DECODE_PACKET || d->verify_ipv4_checksum)
		return decode_frame(d, f, out);
	/* not a fragment: only decode_frame()'s expiry step is left to do */
	if (frag_table_count(d->frags) != 0)
		frag_table_expire(d->frags, f->ts_ns);
	*out = *peeked;
	return DECODE_PACKET;
}

int decode_peek(const struct cap_frame *f, struct dcv_pkt *out)
{
	struct ip_info ii;
	bool v6;
	int ip_hl;
	int rc = decode_ip(f, false, out, &ii, &v6, &ip_hl);
	if (rc != 0)
		return rc;
	if (ii.fragment || !is_transport(ii.proto))
		return DECODE_OTHER_PROTO;
	return decode_transport(&ii, out);
}
