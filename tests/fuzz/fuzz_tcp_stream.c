/*
 * fuzz_tcp_stream.c - libFuzzer target for the TCP tracker and its stream
 * reassembly.
 *
 * The input is a sequence of segments, each a 6-byte header and its payload:
 *   byte 0     TCP flags (DCV_TCP_*)
 *   byte 1     bit 0: towards the server; bits 1-2: which of 4 client ports;
 *              bit 3: snap-truncated (100 bytes lost after the payload);
 *              bits 4-7: time step in units of 250 ms
 *   bytes 2-3  signed sequence delta (little endian) from where this
 *              direction's previous segment ended
 *   bytes 4-5  payload length (little endian), cut to what remains
 * The table holds 3 connections so the 4 ports also exercise eviction.
 * Checked at the end: every OPEN has exactly one CLOSE and no message is
 * shorter than a DNS header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_track.h"
#include "wire.h"

enum { HDR = 6, PORTS = 4 };

struct fz {
	int64_t open; /* OPEN minus CLOSE */
	uint64_t sum; /* touches every message byte */
};

static void on_session(void *ctx, const struct tcp_session_event *ev)
{
	struct fz *f = ctx;
	if (ev->kind == TCP_EV_OPEN) {
		if (ev->concurrent == 0)
			__builtin_trap();
		f->open++;
	} else if (ev->kind == TCP_EV_CLOSE) {
		if (ev->concurrent == 0 || ev->opened_ns > ev->ts_ns + 1)
			__builtin_trap();
		f->open--;
	}
}

static void on_message(void *ctx, const struct tcp_dns_message *m)
{
	struct fz *f = ctx;
	if (m->len < 12)
		__builtin_trap();
	for (uint32_t i = 0; i < m->len; i++)
		f->sum += m->msg[i];
}

static void on_error(void *ctx, int code)
{
	(void)ctx;
	if (code >= 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t client[4] = {192, 0, 2, 1}, server[4] = {198, 51, 100, 53};
	struct fz f = {0, 0};
	struct tcp_callbacks cb = {&f, on_session, on_message, on_error};
	struct tcp_config cfg = {.max_connections = 3,
	                         .syn_timeout_ms = 1000,
	                         .idle_timeout_ms = 5000,
	                         .stream_max_bytes = 2 + 65535};
	struct tcp_tracker *t = tcp_tracker_new(&cfg, &cb);
	if (t == NULL)
		return 0;
	uint32_t cursor[PORTS][2];
	for (int i = 0; i < PORTS; i++) {
		cursor[i][0] = 0xffffff00u + (uint32_t)i * 1000;
		cursor[i][1] = 0x7fffff00u + (uint32_t)i * 1000;
	}
	uint64_t now = 1000000000ull;
	size_t pos = 0;
	while (size - pos >= HDR) {
		const uint8_t *h = data + pos;
		pos += HDR;
		bool to_server = h[1] & 1;
		unsigned port = (h[1] >> 1) & 3;
		int16_t delta = (int16_t)wire_read_u16le(h + 2);
		uint32_t len = wire_read_u16le(h + 4);
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		now += (uint64_t)(h[1] >> 4) * 250000000ull;

		struct dcv_pkt p;
		memset(&p, 0, sizeof(p));
		p.ts_ns = now;
		p.proto = DCV_PROTO_TCP;
		p.src = dcv_addr_v4(to_server ? client : server);
		p.dst = dcv_addr_v4(to_server ? server : client);
		p.sport = to_server ? (uint16_t)(40000 + port) : 53;
		p.dport = to_server ? 53 : (uint16_t)(40000 + port);
		p.tcp_flags = h[0] & 0x1f;
		uint32_t *cur = &cursor[port][to_server ? 0 : 1];
		p.tcp_seq = *cur + (uint32_t)(int32_t)delta;
		p.tcp_ack = cursor[port][to_server ? 1 : 0];
		/* the payload is copied so reads past it are caught */
		uint8_t *copy = malloc(len ? len : 1);
		if (copy == NULL)
			break;
		memcpy(copy, data + pos, len);
		p.payload = copy;
		p.payload_len = len;
		p.payload_wire_len = len + ((h[1] & 8) ? 100 : 0);
		p.snap_truncated = (h[1] & 8) != 0;
		pos += len;
		tcp_tracker_packet(t, &p, to_server);
		free(copy);
		*cur = p.tcp_seq + len + ((p.tcp_flags & (DCV_TCP_SYN | DCV_TCP_FIN)) ? 1 : 0);
		tcp_tracker_expire(t, now);
	}
	tcp_tracker_finish(t, now);
	if (f.open != 0)
		__builtin_trap();
	tcp_tracker_free(t);
	return 0;
}
