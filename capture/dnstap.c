/* dnstap.c - one dnstap protobuf payload into one synthetic raw IP frame. */
#include "dnstap.h"

#include <stdbool.h>
#include <string.h>

#include "dnstap.pb-c.h"

/* Header sizes and field values of the synthetic frames. */
enum {
	IP4_HDR = 20,
	IP6_HDR = 40,
	UDP_HDR = 8,
	IP_MAX_LEN = 65535, /* IPv4 total length / IPv6 payload length field */
	IP4_VER_IHL = 0x45, /* version 4, 5 words of header */
	IP4_DONT_FRAGMENT = 0x4000,
	IP6_VERSION = 0x60,
	IP_TTL = 64,
	IP_PROTO_UDP = 17,
	ADDR4_LEN = 4,
	ADDR6_LEN = 16,
	PORT_MAX = 65535,
};

#define NSEC_PER_SEC 1000000000ULL

static const char *const type_names[DNSTAP_TYPE_MAX + 1] = {
    NULL,
    "AUTH_QUERY",
    "AUTH_RESPONSE",
    "RESOLVER_QUERY",
    "RESOLVER_RESPONSE",
    "CLIENT_QUERY",
    "CLIENT_RESPONSE",
    "FORWARDER_QUERY",
    "FORWARDER_RESPONSE",
    "STUB_QUERY",
    "STUB_RESPONSE",
    "TOOL_QUERY",
    "TOOL_RESPONSE",
    "UPDATE_QUERY",
    "UPDATE_RESPONSE",
};

static const char *const protocol_names[DNSTAP_PROTO_MAX + 1] = {
    NULL, "UDP", "TCP", "DOT", "DOH", "DNSCryptUDP", "DNSCryptTCP", "DOQ",
};

static const char *const field_names[DNSTAP_FIELDS] = {
    [DNSTAP_FIELD_FAMILY] = "socket_family",
    [DNSTAP_FIELD_PROTOCOL] = "socket_protocol",
    [DNSTAP_FIELD_QUERY_ADDRESS] = "query_address",
    [DNSTAP_FIELD_DNS_MESSAGE] = "dns_message",
    [DNSTAP_FIELD_TIME] = "time",
};

/* What a server's dnstap point does not see: it logs messages after the
 * kernel and the TCP stack have handled the packets. */
static const struct cap_dnstap_gap gaps[] = {
    {"tcp_sessions", "TCP session states: SYNs, resets, concurrent sessions, connections "
                     "rejected or never answered (SESSION_CAP and TCP53_REJECTED cannot fire)"},
    {"unseen_packets", "packets the server never saw: kernel drops, and queries dropped before "
                       "the server's dnstap point (a firewall, a full socket buffer)"},
    {"ip_fragments", "IP fragments (messages arrive reassembled)"},
    {"snap_length", "snap length cuts (dnstap logs whole messages)"},
};

const struct cap_dnstap_gap *cap_dnstap_gaps(size_t *n)
{
	*n = sizeof(gaps) / sizeof(gaps[0]);
	return gaps;
}

const char *cap_dnstap_type_name(unsigned type)
{
	return type <= DNSTAP_TYPE_MAX ? type_names[type] : NULL;
}

const char *cap_dnstap_protocol_name(unsigned proto)
{
	return proto <= DNSTAP_PROTO_MAX ? protocol_names[proto] : NULL;
}

const char *cap_dnstap_field_name(enum dnstap_field f)
{
	return (unsigned)f < DNSTAP_FIELDS ? field_names[f] : "unknown";
}

void cap_dnstap_stats_add(struct cap_dnstap_stats *a, const struct cap_dnstap_stats *b)
{
	a->payloads += b->payloads;
	a->frames += b->frames;
	for (int i = 0; i <= DNSTAP_TYPE_MAX; i++)
		a->by_type[i] += b->by_type[i];
	for (int i = 0; i <= DNSTAP_PROTO_MAX; i++)
		a->by_protocol[i] += b->by_protocol[i];
	a->not_used += b->not_used;
	for (int i = 0; i < DNSTAP_FIELDS; i++)
		a->missing[i] += b->missing[i];
	a->missing_total += b->missing_total;
	a->invalid += b->invalid;
	a->not_message += b->not_message;
	a->malformed += b->malformed;
	a->oversize += b->oversize;
	a->out_of_order += b->out_of_order;
	a->released_early += b->released_early;
}

/* ---- frame building ------------------------------------------------- */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One's complement sum of (p, n) added to sum (RFC 1071). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Writes IP header, UDP header and the DNS message into buf; the caller has
 * checked that the message fits. src/dst are addr_len bytes (4 or 16).
 * Returns the frame length. The checksums are real (a frame written out to
 * a pcap reads as valid in any tool).
 */
static uint32_t build_frame(uint8_t *buf, size_t addr_len, const uint8_t *src, const uint8_t *dst,
                            uint16_t sport, uint16_t dport, const uint8_t *dns, size_t dns_len)
{
	size_t ip_hdr = addr_len == ADDR4_LEN ? IP4_HDR : IP6_HDR;
	size_t udp_len = UDP_HDR + dns_len;
	uint8_t *ip = buf, *udp = buf + ip_hdr;
	memset(buf, 0, ip_hdr + UDP_HDR);
	if (addr_len == ADDR4_LEN) {
		ip[0] = IP4_VER_IHL;
		put16(ip + 2, (uint32_t)(IP4_HDR + udp_len));
		put16(ip + 6, IP4_DONT_FRAGMENT);
		ip[8] = IP_TTL;
		ip[9] = IP_PROTO_UDP;
		memcpy(ip + 12, src, ADDR4_LEN);
		memcpy(ip + 16, dst, ADDR4_LEN);
		put16(ip + 10, csum_fold(csum_add(0, ip, IP4_HDR)));
	} else {
		ip[0] = IP6_VERSION;
		put16(ip + 4, (uint32_t)udp_len);
		ip[6] = IP_PROTO_UDP;
		ip[7] = IP_TTL;
		memcpy(ip + 8, src, ADDR6_LEN);
		memcpy(ip + 24, dst, ADDR6_LEN);
	}
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint32_t)udp_len);
	if (dns_len > 0) /* an empty message has no data pointer at all */
		memcpy(udp + UDP_HDR, dns, dns_len);
	/* pseudo-header: addresses, protocol, UDP length (RFC 768, RFC 8200 8.1) */
	uint32_t sum = csum_add(0, src, addr_len);
	sum = csum_add(sum, dst, addr_len);
	sum += IP_PROTO_UDP + (uint32_t)udp_len;
	uint16_t c = csum_fold(csum_add(sum, udp, udp_len));
	put16(udp + 6, c == 0 ? 0xffff : c); /* 0 means "no checksum" */
	return (uint32_t)(ip_hdr + udp_len);
}

/* ---- decoding ----------------------------------------------------------- */

static bool is_query_type(unsigned t)
{
	return t == DNSTAP_AUTH_QUERY || t == DNSTAP_CLIENT_QUERY || t == DNSTAP_UPDATE_QUERY;
}

static bool is_response_type(unsigned t)
{
	return t == DNSTAP_AUTH_RESPONSE || t == DNSTAP_CLIENT_RESPONSE ||
	       t == DNSTAP_UPDATE_RESPONSE;
}

/* Stream transports: the message arrived in a byte stream, not a datagram. */
static bool is_stream_protocol(unsigned p)
{
	return p == DNSTAP_PROTO_TCP || p == DNSTAP_PROTO_DOT || p == DNSTAP_PROTO_DOH ||
	       p == DNSTAP_PROTO_DNSCRYPT_TCP || p == DNSTAP_PROTO_DOQ;
}

/* Checks and converts an unpacked message. Returns an enum dnstap_result. */
static int message_to_frame(const Dnstap__Message *m, struct cap_dnstap_buf *buf,
                            struct cap_frame *out, enum dnstap_field *field,
                            struct cap_dnstap_stats *st)
{
	unsigned type = (unsigned)m->type;
	st->by_type[type <= DNSTAP_TYPE_MAX ? type : 0]++;
	bool query = is_query_type(type);
	if (!query && !is_response_type(type))
		return DNSTAP_NOT_USED;

	/* the fields a frame needs, in the order they are reported */
	bool has_msg = query ? m->has_query_message : m->has_response_message;
	bool has_time = query ? m->has_query_time_sec : m->has_response_time_sec;
	enum dnstap_field missing = DNSTAP_FIELDS;
	if (!m->has_socket_family)
		missing = DNSTAP_FIELD_FAMILY;
	else if (!m->has_socket_protocol)
		missing = DNSTAP_FIELD_PROTOCOL;
	else if (!m->has_query_address)
		missing = DNSTAP_FIELD_QUERY_ADDRESS;
	else if (!has_msg)
		missing = DNSTAP_FIELD_DNS_MESSAGE;
	else if (!has_time)
		missing = DNSTAP_FIELD_TIME;
	if (missing != DNSTAP_FIELDS) {
		if (field != NULL)
			*field = missing;
		st->missing[missing]++;
		return DNSTAP_MISSING;
	}

	/* values the schema bounds */
	size_t addr_len = m->socket_family == DNSTAP__SOCKET_FAMILY__INET    ? ADDR4_LEN
	                  : m->socket_family == DNSTAP__SOCKET_FAMILY__INET6 ? ADDR6_LEN
	                                                                     : 0;
	unsigned proto = (unsigned)m->socket_protocol;
	uint32_t nsec = query ? m->query_time_nsec : m->response_time_nsec;
	uint64_t sec = query ? m->query_time_sec : m->response_time_sec;
	if (addr_len == 0 || proto == 0 || proto > DNSTAP_PROTO_MAX ||
	    m->query_address.len != addr_len ||
	    (m->has_response_address && m->response_address.len != addr_len) ||
	    m->query_port > PORT_MAX || m->response_port > PORT_MAX || nsec >= NSEC_PER_SEC ||
	    sec > (UINT64_MAX - NSEC_PER_SEC) / NSEC_PER_SEC)
		return DNSTAP_INVALID;

	const ProtobufCBinaryData *dns = query ? &m->query_message : &m->response_message;
	/* IPv4 counts its header in the length field, IPv6 does not */
	size_t room = IP_MAX_LEN - UDP_HDR - (addr_len == ADDR4_LEN ? IP4_HDR : 0);
	if (dns->len > room)
		return DNSTAP_OVERSIZE;
	_Static_assert(IP6_HDR + IP_MAX_LEN <= DNSTAP_FRAME_MAX, "frame buffer too small");

	static const uint8_t unspecified[ADDR6_LEN];
	const uint8_t *client = m->query_address.data;
	const uint8_t *server = m->has_response_address ? m->response_address.data : unspecified;
	uint16_t cport = m->has_query_port ? (uint16_t)m->query_port : 0;
	uint16_t sport =
	    m->has_response_port ? (uint16_t)m->response_port : DNSTAP_SERVER_PORT_DEFAULT;
	uint32_t n = query ? build_frame(buf->bytes, addr_len, client, server, cport, sport,
	                                 dns->data, dns->len)
	                   : build_frame(buf->bytes, addr_len, server, client, sport, cport,
	                                 dns->data, dns->len);
	memset(out, 0, sizeof(*out));
	out->ts_ns = sec * NSEC_PER_SEC + nsec;
	out->data = buf->bytes;
	out->caplen = n;
	out->wirelen = n;
	out->linktype = DNSTAP_LINKTYPE;
	out->flags = is_stream_protocol(proto) ? CAP_FRAME_STREAM : 0;
	st->by_protocol[proto]++;
	return DNSTAP_FRAME;
}

int cap_dnstap_decode(const uint8_t *p, size_t len, struct cap_dnstap_buf *buf,
                      struct cap_frame *out, enum dnstap_field *field, struct cap_dnstap_stats *st)
{
	struct cap_dnstap_stats scratch;
	if (st == NULL) {
		memset(&scratch, 0, sizeof(scratch));
		st = &scratch;
	}
	st->payloads++;
	Dnstap__Dnstap *d = dnstap__dnstap__unpack(NULL, len, p);
	if (d == NULL) {
		st->malformed++;
		return DNSTAP_MALFORMED;
	}
	int rc;
	if (d->type != DNSTAP__DNSTAP__TYPE__MESSAGE || d->message == NULL)
		rc = DNSTAP_NOT_MESSAGE;
	else
		rc = message_to_frame(d->message, buf, out, field, st);
	dnstap__dnstap__free_unpacked(d, NULL);
	switch (rc) {
	case DNSTAP_FRAME:
		st->frames++;
		break;
	case DNSTAP_NOT_USED:
		st->not_used++;
		break;
	case DNSTAP_MISSING:
		st->missing_total++;
		break;
	case DNSTAP_INVALID:
		st->invalid++;
		break;
	case DNSTAP_NOT_MESSAGE:
		st->not_message++;
		break;
	default:
		st->oversize++;
		break;
	}
	return rc;
}
