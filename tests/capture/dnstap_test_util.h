/*
 * dnstap_test_util.h - builds dnstap payloads and Frame Streams files for
 * the dnstap tests (test_dnstap.c, test_dnstap_file.c). Header-only (static
 * inline). Messages are built with the protobuf-c code generated from
 * capture/dnstap.proto, files written with libfstrm's file writer: the
 * same libraries a server uses, not the decoder under test.
 */
#ifndef DCV_DNSTAP_TEST_UTIL_H
#define DCV_DNSTAP_TEST_UTIL_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fstrm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnstap.h"
#include "dnstap.pb-c.h"

#define TT_TS_SEC  1700000000ULL
#define TT_DNS_MAX 512

/* A DNS message: id, QR, rcode, one question qname/qtype IN. */
static inline size_t tt_dns(uint8_t *out, uint16_t id, int qr, unsigned rcode, const char *qname,
                            uint16_t qtype)
{
	size_t n = 0;
	out[n++] = (uint8_t)(id >> 8);
	out[n++] = (uint8_t)id;
	out[n++] = (uint8_t)(qr ? 0x84 : 0x00); /* QR + AA for responses */
	out[n++] = (uint8_t)(rcode & 0xf);
	memcpy(out + n, "\0\1\0\0\0\0\0\0", 8); /* QDCOUNT 1 */
	n += 8;
	const char *l = qname;
	while (*l) {
		const char *dot = strchr(l, '.');
		size_t len = dot ? (size_t)(dot - l) : strlen(l);
		out[n++] = (uint8_t)len;
		memcpy(out + n, l, len);
		n += len;
		l += len + (dot ? 1 : 0);
	}
	out[n++] = 0;
	out[n++] = (uint8_t)(qtype >> 8);
	out[n++] = (uint8_t)qtype;
	out[n++] = 0;
	out[n++] = 1;
	return n;
}

/* The fields of one test message; family 4 or 6 picks the addresses. */
struct tt_msg {
	int type; /* enum dnstap_msg_type */
	int family;
	int protocol; /* enum dnstap_protocol */
	uint16_t id;
	unsigned rcode;
	const char *qname;
	uint16_t qtype;
	uint32_t client_port, server_port;
	uint64_t sec;
	uint32_t nsec;
};

/*
 * tt_pack() packs a Dnstap MESSAGE for m into out (malloc'd) and returns its
 * length. edit, when not NULL, may change the Message before packing (drop
 * or spoil a field).
 */
static inline size_t tt_pack(const struct tt_msg *m, void (*edit)(Dnstap__Message *msg),
                             uint8_t **out)
{
	static uint8_t c4[4] = {192, 0, 2, 7}, s4[4] = {192, 0, 2, 1};
	static uint8_t c6[16], s6[16];
	inet_pton(AF_INET6, "2001:db8::7", c6);
	inet_pton(AF_INET6, "2001:db8::1", s6);
	uint8_t dns[TT_DNS_MAX];
	bool response = m->type % 2 == 0;
	size_t dlen = tt_dns(dns, m->id, response, m->rcode,
	                     m->qname ? m->qname : "www.example.com", m->qtype ? m->qtype : 1);
	Dnstap__Message msg = DNSTAP__MESSAGE__INIT;
	msg.type = (Dnstap__Message__Type)m->type;
	msg.has_socket_family = true;
	msg.socket_family =
	    m->family == 6 ? DNSTAP__SOCKET_FAMILY__INET6 : DNSTAP__SOCKET_FAMILY__INET;
	msg.has_socket_protocol = true;
	msg.socket_protocol =
	    (Dnstap__SocketProtocol)(m->protocol ? m->protocol : DNSTAP_PROTO_UDP);
	msg.has_query_address = msg.has_response_address = true;
	msg.query_address.data = m->family == 6 ? c6 : c4;
	msg.query_address.len = m->family == 6 ? 16 : 4;
	msg.response_address.data = m->family == 6 ? s6 : s4;
	msg.response_address.len = m->family == 6 ? 16 : 4;
	msg.has_query_port = msg.has_response_port = true;
	msg.query_port = m->client_port ? m->client_port : 40000;
	msg.response_port = m->server_port ? m->server_port : 53;
	uint64_t sec = m->sec ? m->sec : TT_TS_SEC;
	if (response) {
		msg.has_response_time_sec = msg.has_response_time_nsec = true;
		msg.response_time_sec = sec;
		msg.response_time_nsec = m->nsec;
		msg.has_response_message = true;
		msg.response_message.data = dns;
		msg.response_message.len = dlen;
	} else {
		msg.has_query_time_sec = msg.has_query_time_nsec = true;
		msg.query_time_sec = sec;
		msg.query_time_nsec = m->nsec;
		msg.has_query_message = true;
		msg.query_message.data = dns;
		msg.query_message.len = dlen;
	}
	if (edit != NULL)
		edit(&msg);
	Dnstap__Dnstap d = DNSTAP__DNSTAP__INIT;
	d.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	d.message = &msg;
	size_t n = dnstap__dnstap__get_packed_size(&d);
	*out = malloc(n);
	cr_assert_not_null(*out);
	cr_assert_eq(dnstap__dnstap__pack(&d, *out), n);
	return n;
}

/* A Frame Streams file writer with the given content type. */
static inline struct fstrm_writer *tt_writer_open(const char *path, const char *content_type)
{
	struct fstrm_file_options *fopt = fstrm_file_options_init();
	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	fstrm_file_options_set_file_path(fopt, path);
	cr_assert_eq(
	    fstrm_writer_options_add_content_type(wopt, content_type, strlen(content_type)),
	    fstrm_res_success);
	struct fstrm_writer *w = fstrm_file_writer_init(fopt, wopt);
	cr_assert_not_null(w, "fstrm_file_writer_init %s", path);
	cr_assert_eq(fstrm_writer_open(w), fstrm_res_success);
	fstrm_file_options_destroy(&fopt);
	fstrm_writer_options_destroy(&wopt);
	return w;
}

static inline void tt_writer_put(struct fstrm_writer *w, const uint8_t *p, size_t n)
{
	cr_assert_eq(fstrm_writer_write(w, p, n), fstrm_res_success);
}

static inline void tt_writer_close(struct fstrm_writer *w)
{
	cr_assert_eq(fstrm_writer_close(w), fstrm_res_success);
	fstrm_writer_destroy(&w);
}

#endif
