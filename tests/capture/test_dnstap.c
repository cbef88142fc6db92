/* test_dnstap.c - one dnstap payload into one synthetic frame: addresses,
 * ports, times and transport as the decoder sees them, and every payload
 * that is not used counted by its reason. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "dnstap.h"
#include "dnstap_test_util.h"

static struct cap_dnstap_buf buf;

/* Decodes the frame that payload p turned into (it must turn into one). */
static void frame_of(const uint8_t *p, size_t n, struct cap_frame *f, struct dcv_pkt *pkt,
                     struct cap_dnstap_stats *st)
{
	cr_assert_eq(cap_dnstap_decode(p, n, &buf, f, NULL, st), DNSTAP_FRAME);
	struct decoder *d = decoder_new(NULL);
	cr_assert_eq(decode_frame(d, f, pkt), DECODE_PACKET);
	decoder_free(d);
}

static void assert_addr(const struct dcv_addr *a, const char *text)
{
	char buf_text[DCV_ADDR_TEXT_MAX];
	dcv_addr_format(a, buf_text, sizeof(buf_text));
	cr_assert_str_eq(buf_text, text);
}

Test(dnstap, udp_query_becomes_a_datagram_from_the_client)
{
	struct tt_msg m = {.type = DNSTAP_AUTH_QUERY,
	                   .family = 4,
	                   .id = 0x1234,
	                   .client_port = 41000,
	                   .nsec = 123456789};
	uint8_t *p;
	size_t n = tt_pack(&m, NULL, &p);
	struct cap_frame f;
	struct dcv_pkt pkt;
	struct cap_dnstap_stats st = {0};
	frame_of(p, n, &f, &pkt, &st);
	cr_assert_eq(f.ts_ns, TT_TS_SEC * 1000000000ULL + 123456789);
	cr_assert_eq(f.linktype, DNSTAP_LINKTYPE);
	cr_assert_eq(f.flags, 0);
	cr_assert_eq(pkt.proto, DCV_PROTO_UDP);
	assert_addr(&pkt.src, "192.0.2.7");
	assert_addr(&pkt.dst, "192.0.2.1");
	cr_assert_eq(pkt.sport, 41000);
	cr_assert_eq(pkt.dport, 53);
	uint8_t dns[TT_DNS_MAX];
	size_t dlen = tt_dns(dns, 0x1234, 0, 0, "www.example.com", 1);
	cr_assert_eq(pkt.payload_len, dlen);
	cr_assert_eq(memcmp(pkt.payload, dns, dlen), 0);
	cr_assert_eq(st.payloads, 1);
	cr_assert_eq(st.frames, 1);
	cr_assert_eq(st.by_type[DNSTAP_AUTH_QUERY], 1);
	cr_assert_eq(st.by_protocol[DNSTAP_PROTO_UDP], 1);
	free(p);
}

Test(dnstap, tcp_response_goes_to_the_client_and_is_marked_stream)
{
	struct tt_msg m = {.type = DNSTAP_AUTH_RESPONSE,
	                   .family = 6,
	                   .protocol = DNSTAP_PROTO_TCP,
	                   .rcode = 3,
	                   .client_port = 50000,
	                   .nsec = 5};
	uint8_t *p;
	size_t n = tt_pack(&m, NULL, &p);
	struct cap_frame f;
	struct dcv_pkt pkt;
	struct cap_dnstap_stats st = {0};
	frame_of(p, n, &f, &pkt, &st);
	cr_assert_eq(f.ts_ns, TT_TS_SEC * 1000000000ULL + 5);
	cr_assert_eq(f.flags, CAP_FRAME_STREAM);
	assert_addr(&pkt.src, "2001:db8::1");
	assert_addr(&pkt.dst, "2001:db8::7");
	cr_assert_eq(pkt.sport, 53);
	cr_assert_eq(pkt.dport, 50000);
	cr_assert_eq(pkt.payload[3] & 0xf, 3, "NXDOMAIN carried verbatim");
	cr_assert_eq(st.by_protocol[DNSTAP_PROTO_TCP], 1);
	free(p);
}

/* every stream transport is marked; the datagram ones are not */
Test(dnstap, transports_map_to_udp_or_stream)
{
	static const struct {
		int proto;
		uint32_t flags;
	} cases[] = {
	    {DNSTAP_PROTO_UDP, 0},
	    {DNSTAP_PROTO_TCP, CAP_FRAME_STREAM},
	    {DNSTAP_PROTO_DOT, CAP_FRAME_STREAM},
	    {DNSTAP_PROTO_DOH, CAP_FRAME_STREAM},
	    {DNSTAP_PROTO_DNSCRYPT_UDP, 0},
	    {DNSTAP_PROTO_DNSCRYPT_TCP, CAP_FRAME_STREAM},
	    {DNSTAP_PROTO_DOQ, CAP_FRAME_STREAM},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tt_msg m = {
		    .type = DNSTAP_CLIENT_QUERY, .family = 4, .protocol = cases[i].proto};
		uint8_t *p;
		size_t n = tt_pack(&m, NULL, &p);
		struct cap_frame f;
		cr_assert_eq(cap_dnstap_decode(p, n, &buf, &f, NULL, NULL), DNSTAP_FRAME);
		cr_assert_eq(f.flags, cases[i].flags, "protocol %s",
		             cap_dnstap_protocol_name((unsigned)cases[i].proto));
		free(p);
	}
}

static void drop_server(Dnstap__Message *m)
{
	m->has_response_address = false;
	m->has_response_port = false;
}

Test(dnstap, response_without_server_address_uses_unspecified_and_port_53)
{
	struct tt_msg m = {.type = DNSTAP_AUTH_RESPONSE, .family = 4};
	uint8_t *p;
	size_t n = tt_pack(&m, drop_server, &p);
	struct cap_frame f;
	struct dcv_pkt pkt;
	frame_of(p, n, &f, &pkt, NULL);
	assert_addr(&pkt.src, "0.0.0.0");
	cr_assert_eq(pkt.sport, DNSTAP_SERVER_PORT_DEFAULT);
	assert_addr(&pkt.dst, "192.0.2.7");
	free(p);
}

/* ---- payloads that are not used, each with its reason ------------------ */

static void drop_family(Dnstap__Message *m)
{
	m->has_socket_family = false;
}
static void drop_protocol(Dnstap__Message *m)
{
	m->has_socket_protocol = false;
}
static void drop_client(Dnstap__Message *m)
{
	m->has_query_address = false;
}
static void drop_query_message(Dnstap__Message *m)
{
	m->has_query_message = false;
}
static void drop_query_time(Dnstap__Message *m)
{
	m->has_query_time_sec = false;
}
static void short_address(Dnstap__Message *m)
{
	m->query_address.len = 3;
}
static void v6_server_on_v4(Dnstap__Message *m)
{
	static uint8_t s6[16];
	m->response_address.data = s6;
	m->response_address.len = 16;
}
static void port_too_large(Dnstap__Message *m)
{
	m->query_port = 65536;
}
static void nsec_too_large(Dnstap__Message *m)
{
	m->query_time_nsec = 1000000000;
}
static void family_unknown(Dnstap__Message *m)
{
	m->socket_family = (Dnstap__SocketFamily)3;
}
static void protocol_unknown(Dnstap__Message *m)
{
	m->socket_protocol = (Dnstap__SocketProtocol)8;
}
static void seconds_overflow(Dnstap__Message *m)
{
	m->query_time_sec = UINT64_MAX / 1000000000ULL;
}

static const struct {
	const char *name;
	int type;
	void (*edit)(Dnstap__Message *m);
	int result;
	enum dnstap_field field;
} CASES[] = {
    {"resolver query is not used", DNSTAP_RESOLVER_QUERY, NULL, DNSTAP_NOT_USED, 0},
    {"forwarder response is not used", DNSTAP_FORWARDER_RESPONSE, NULL, DNSTAP_NOT_USED, 0},
    {"tool query is not used", DNSTAP_TOOL_QUERY, NULL, DNSTAP_NOT_USED, 0},
    {"type beyond the schema is not used", 42, NULL, DNSTAP_NOT_USED, 0},
    {"no socket_family", DNSTAP_AUTH_QUERY, drop_family, DNSTAP_MISSING, DNSTAP_FIELD_FAMILY},
    {"no socket_protocol", DNSTAP_AUTH_QUERY, drop_protocol, DNSTAP_MISSING, DNSTAP_FIELD_PROTOCOL},
    {"no query_address", DNSTAP_AUTH_QUERY, drop_client, DNSTAP_MISSING,
     DNSTAP_FIELD_QUERY_ADDRESS},
    {"query without query_message", DNSTAP_AUTH_QUERY, drop_query_message, DNSTAP_MISSING,
     DNSTAP_FIELD_DNS_MESSAGE},
    {"response carries no response_message", DNSTAP_AUTH_RESPONSE, drop_query_message, DNSTAP_FRAME,
     0},
    {"query without query_time", DNSTAP_CLIENT_QUERY, drop_query_time, DNSTAP_MISSING,
     DNSTAP_FIELD_TIME},
    {"3-byte IPv4 address", DNSTAP_AUTH_QUERY, short_address, DNSTAP_INVALID, 0},
    {"IPv6 server address on an IPv4 socket", DNSTAP_AUTH_QUERY, v6_server_on_v4, DNSTAP_INVALID,
     0},
    {"port above 65535", DNSTAP_AUTH_QUERY, port_too_large, DNSTAP_INVALID, 0},
    {"nanoseconds of a whole second", DNSTAP_AUTH_QUERY, nsec_too_large, DNSTAP_INVALID, 0},
    {"socket family 3", DNSTAP_AUTH_QUERY, family_unknown, DNSTAP_INVALID, 0},
    {"socket protocol 8", DNSTAP_AUTH_QUERY, protocol_unknown, DNSTAP_INVALID, 0},
    {"seconds that overflow nanoseconds", DNSTAP_AUTH_QUERY, seconds_overflow, DNSTAP_INVALID, 0},
};

Test(dnstap, unusable_messages_are_counted_by_reason)
{
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		struct tt_msg m = {.type = CASES[i].type, .family = 4};
		uint8_t *p;
		size_t n = tt_pack(&m, CASES[i].edit, &p);
		struct cap_dnstap_stats st = {0};
		struct cap_frame f;
		enum dnstap_field field = DNSTAP_FIELDS;
		int rc = cap_dnstap_decode(p, n, &buf, &f, &field, &st);
		cr_assert_eq(rc, CASES[i].result, "%s: got %d", CASES[i].name, rc);
		uint64_t counted = st.frames + st.not_used + st.missing_total + st.invalid +
		                   st.not_message + st.malformed + st.oversize;
		cr_assert_eq(st.payloads, 1, "%s", CASES[i].name);
		cr_assert_eq(counted, 1, "%s: counted once", CASES[i].name);
		if (rc == DNSTAP_MISSING) {
			cr_assert_eq(field, CASES[i].field, "%s: field %s", CASES[i].name,
			             cap_dnstap_field_name(field));
			cr_assert_eq(st.missing[CASES[i].field], 1, "%s", CASES[i].name);
		}
		if (rc == DNSTAP_NOT_USED)
			cr_assert_eq(
			    st.by_type[CASES[i].type <= DNSTAP_TYPE_MAX ? CASES[i].type : 0], 1,
			    "%s", CASES[i].name);
		free(p);
	}
}

Test(dnstap, garbage_and_truncated_protobuf_are_malformed)
{
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	struct cap_dnstap_stats st = {0};
	struct cap_frame f;
	cr_assert_eq(cap_dnstap_decode(garbage, sizeof(garbage), &buf, &f, NULL, &st),
	             DNSTAP_MALFORMED);
	struct tt_msg m = {.type = DNSTAP_AUTH_QUERY, .family = 4};
	uint8_t *p;
	size_t n = tt_pack(&m, NULL, &p);
	/* protobuf-c writes fields by number, so the required type (15) comes
	 * last: every proper prefix is cut inside a field or lacks the type */
	for (size_t cut = 0; cut < n; cut++)
		cr_assert_neq(cap_dnstap_decode(p, cut, &buf, &f, NULL, &st), DNSTAP_FRAME,
		              "prefix %zu of %zu", cut, n);
	cr_assert_eq(st.frames, 0);
	cr_assert_eq(st.payloads, n + 1);
	cr_assert_eq(st.malformed, n + 1);
	free(p);
}

Test(dnstap, dnstap_without_message_is_not_a_message)
{
	Dnstap__Dnstap d = DNSTAP__DNSTAP__INIT;
	d.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	uint8_t out[64];
	size_t n = dnstap__dnstap__pack(&d, out);
	struct cap_dnstap_stats st = {0};
	struct cap_frame f;
	cr_assert_eq(cap_dnstap_decode(out, n, &buf, &f, NULL, &st), DNSTAP_NOT_MESSAGE);
	cr_assert_eq(st.not_message, 1);
}

/* a DNS message that one UDP datagram cannot carry */
static size_t big_len;
static uint8_t *big;
static void big_message(Dnstap__Message *m)
{
	m->query_message.data = big;
	m->query_message.len = big_len;
}

Test(dnstap, message_beyond_one_datagram_is_oversize)
{
	static const struct {
		int family;
		size_t len;
		int result;
	} cases[] = {
	    {4, 65507, DNSTAP_FRAME},
	    {4, 65508, DNSTAP_OVERSIZE},
	    {6, 65527, DNSTAP_FRAME},
	    {6, 65528, DNSTAP_OVERSIZE},
	};
	big = calloc(1, 65535);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		big_len = cases[i].len;
		memcpy(big, "\x12\x34\x00\x00\x00\x01", 6);
		struct tt_msg m = {.type = DNSTAP_AUTH_QUERY,
		                   .family = cases[i].family,
		                   .protocol = DNSTAP_PROTO_TCP};
		uint8_t *p;
		size_t n = tt_pack(&m, big_message, &p);
		struct cap_dnstap_stats st = {0};
		struct cap_frame f;
		cr_assert_eq(cap_dnstap_decode(p, n, &buf, &f, NULL, &st), cases[i].result,
		             "IPv%d, %zu bytes", cases[i].family, cases[i].len);
		if (cases[i].result == DNSTAP_FRAME) {
			struct dcv_pkt pkt;
			struct decoder *d = decoder_new(NULL);
			cr_assert_eq(decode_frame(d, &f, &pkt), DECODE_PACKET);
			cr_assert_eq(pkt.payload_len, cases[i].len);
			decoder_free(d);
		} else {
			cr_assert_eq(st.oversize, 1);
		}
		free(p);
	}
	free(big);
}

Test(dnstap, names_cover_the_schema)
{
	cr_assert_str_eq(cap_dnstap_type_name(DNSTAP_AUTH_QUERY), "AUTH_QUERY");
	cr_assert_str_eq(cap_dnstap_type_name(DNSTAP_UPDATE_RESPONSE), "UPDATE_RESPONSE");
	cr_assert_null(cap_dnstap_type_name(0));
	cr_assert_null(cap_dnstap_type_name(15));
	cr_assert_str_eq(cap_dnstap_protocol_name(DNSTAP_PROTO_DOQ), "DOQ");
	cr_assert_null(cap_dnstap_protocol_name(8));
	size_t n;
	const struct cap_dnstap_gap *g = cap_dnstap_gaps(&n);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(g[0].key, "tcp_sessions");
}
