/* test_tcp_track.c - TCP session events and DNS messages rebuilt from segments. */
#include <criterion/criterion.h>
#include <string.h>

#include "dcv_error.h"
#include "tcp_track.h"
#include "wire.h"

#define MAX_REC 256
#define MS      1000000ull
#define C_ISN   1000u
#define S_ISN   5000u

struct rec_msg {
	uint64_t ts;
	bool to_server;
	uint16_t id;
	uint32_t len;
	uint16_t client_port;
	const uint8_t *ptr;
};

struct rec {
	struct tcp_session_event ev[MAX_REC];
	int nev;
	struct rec_msg msg[MAX_REC];
	int nmsg;
	int err[MAX_REC];
	int nerr;
};

static void on_session(void *ctx, const struct tcp_session_event *ev)
{
	struct rec *r = ctx;
	cr_assert_lt(r->nev, MAX_REC);
	r->ev[r->nev++] = *ev;
}

static void on_message(void *ctx, const struct tcp_dns_message *m)
{
	struct rec *r = ctx;
	cr_assert_lt(r->nmsg, MAX_REC);
	cr_assert_geq(m->len, 12);
	r->msg[r->nmsg++] = (struct rec_msg){m->ts_ns, m->to_server,   wire_read_u16(m->msg),
	                                     m->len,   m->client_port, m->msg};
}

static void on_error(void *ctx, int code)
{
	struct rec *r = ctx;
	cr_assert_lt(r->nerr, MAX_REC);
	r->err[r->nerr++] = code;
}

static struct rec R;

static struct tcp_tracker *new_tracker(const struct tcp_config *cfg)
{
	memset(&R, 0, sizeof(R));
	struct tcp_callbacks cb = {&R, on_session, on_message, on_error};
	struct tcp_tracker *t = tcp_tracker_new(cfg, &cb);
	cr_assert_not_null(t);
	return t;
}

/* dns() writes a length-prefixed DNS message of mlen bytes (>= 17) with
 * QDCOUNT 1 and the given id; returns 2 + mlen. */
static uint32_t dns(uint8_t *out, uint16_t id, bool response, uint16_t mlen)
{
	memset(out, 0, 2u + mlen);
	out[0] = (uint8_t)(mlen >> 8);
	out[1] = (uint8_t)mlen;
	out[2] = (uint8_t)(id >> 8);
	out[3] = (uint8_t)id;
	out[4] = response ? 0x80 : 0x00;
	out[7] = 1; /* QDCOUNT */
	for (uint32_t i = 14; i < 2u + mlen; i++)
		out[i] = (uint8_t)(i * 7 + id);
	return 2u + mlen;
}

static uint16_t cport = 40000;

static struct dcv_pkt seg(bool to_server, uint8_t flags, uint32_t seq, uint32_t ack,
                          const uint8_t *p, uint32_t len, uint64_t ts)
{
	static const uint8_t client[4] = {192, 0, 2, 1}, server[4] = {198, 51, 100, 53};
	struct dcv_pkt k;
	memset(&k, 0, sizeof(k));
	k.ts_ns = ts;
	k.proto = DCV_PROTO_TCP;
	k.src = dcv_addr_v4(to_server ? client : server);
	k.dst = dcv_addr_v4(to_server ? server : client);
	k.sport = to_server ? cport : 53;
	k.dport = to_server ? 53 : cport;
	k.tcp_flags = flags;
	k.tcp_seq = seq;
	k.tcp_ack = ack;
	k.payload = p;
	k.payload_len = len;
	k.payload_wire_len = len;
	return k;
}

static void feed(struct tcp_tracker *t, bool to_server, uint8_t flags, uint32_t seq,
                 const uint8_t *p, uint32_t len, uint64_t ts)
{
	struct dcv_pkt k = seg(to_server, flags, seq, 0, p, len, ts);
	tcp_tracker_packet(t, &k, to_server);
}

/* handshake() opens a connection on cport at ts (SYN, SYN-ACK, ACK). */
static void handshake(struct tcp_tracker *t, uint32_t c_isn, uint32_t s_isn, uint64_t ts)
{
	feed(t, true, DCV_TCP_SYN, c_isn, NULL, 0, ts);
	feed(t, false, DCV_TCP_SYN | DCV_TCP_ACK, s_isn, NULL, 0, ts + 1);
	feed(t, true, DCV_TCP_ACK, c_isn + 1, NULL, 0, ts + 2);
}

static int count_kind(enum tcp_event_kind k)
{
	int n = 0;
	for (int i = 0; i < R.nev; i++)
		n += R.ev[i].kind == k;
	return n;
}

static int count_err(int code)
{
	int n = 0;
	for (int i = 0; i < R.nerr; i++)
		n += R.err[i] == code;
	return n;
}

static const uint8_t A = DCV_TCP_ACK, PA = DCV_TCP_ACK | DCV_TCP_PSH,
                     FA = DCV_TCP_FIN | DCV_TCP_ACK, RA = DCV_TCP_RST | DCV_TCP_ACK;

/* ---- messages ------------------------------------------------------------- */

Test(tcp_track, handshake_query_response_fin_gives_open_served_close_two_messages)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t q[64], a[128];
	uint32_t ql = dns(q, 0x1111, false, 40), al = dns(a, 0x1111, true, 100);
	handshake(t, C_ISN, S_ISN, 1000);
	feed(t, true, PA, C_ISN + 1, q, ql, 2000);
	feed(t, false, PA, S_ISN + 1, a, al, 3000);
	feed(t, false, FA, S_ISN + 1 + al, NULL, 0, 4000);
	feed(t, true, FA, C_ISN + 1 + ql, NULL, 0, 5000);
	feed(t, false, A, S_ISN + 2 + al, NULL, 0, 6000);
	tcp_tracker_finish(t, 7000);

	cr_assert_eq(R.nev, 3);
	cr_assert_eq(R.ev[0].kind, TCP_EV_OPEN);
	cr_assert_eq(R.ev[0].ts_ns, 1001);
	cr_assert_eq(R.ev[0].concurrent, 1);
	cr_assert_eq(R.ev[0].served, 0);
	cr_assert_eq(R.ev[0].client_port, cport);
	cr_assert_eq(R.ev[0].server_port, 53);
	cr_assert_eq(R.ev[1].kind, TCP_EV_SERVED);
	cr_assert_eq(R.ev[1].ts_ns, 3000);
	cr_assert_eq(R.ev[1].served, 1);
	cr_assert_eq(R.ev[2].kind, TCP_EV_CLOSE);
	cr_assert_eq(R.ev[2].ts_ns, 4000);
	cr_assert(R.ev[2].closed_by_server);
	cr_assert_not(R.ev[2].reset);
	cr_assert_not(R.ev[2].timed_out);
	cr_assert_not(R.ev[2].stalled);
	cr_assert_eq(R.ev[2].opened_ns, 1001);
	cr_assert_eq(R.ev[2].messages, 2);
	cr_assert_eq(R.ev[2].concurrent, 1);
	cr_assert_eq(R.ev[2].served, 1);

	cr_assert_eq(R.nmsg, 2);
	cr_assert(R.msg[0].to_server);
	cr_assert_eq(R.msg[0].len, 40);
	cr_assert_eq(R.msg[0].ts, 2000);
	cr_assert_not(R.msg[1].to_server);
	cr_assert_eq(R.msg[1].len, 100);
	cr_assert_eq(R.nerr, 0);
	const struct tcp_stats *st = tcp_tracker_get_stats(t);
	cr_assert_eq(st->connections, 1);
	cr_assert_eq(st->midstream_pickups, 0);
	tcp_tracker_free(t);
}

Test(tcp_track, message_inside_one_segment_is_delivered_without_copy)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t q[64];
	uint32_t ql = dns(q, 7, false, 30);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, PA, C_ISN + 1, q, ql, 10);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(R.msg[0].ptr, q + 2, "message must point into the segment payload");
	tcp_tracker_free(t);
}

Test(tcp_track, two_messages_in_one_segment_are_both_delivered)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[256];
	uint32_t l1 = dns(b, 1, false, 30);
	uint32_t l2 = dns(b + l1, 2, false, 50);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, PA, C_ISN + 1, b, l1 + l2, 10);
	cr_assert_eq(R.nmsg, 2);
	cr_assert_eq(R.msg[0].id, 1);
	cr_assert_eq(R.msg[0].len, 30);
	cr_assert_eq(R.msg[1].id, 2);
	cr_assert_eq(R.msg[1].len, 50);
	tcp_tracker_free(t);
}

Test(tcp_track, message_split_across_three_segments_is_delivered_at_the_last)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[512];
	uint32_t l = dns(b, 0x4242, true, 400);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, false, PA, S_ISN + 1, b, 100, 10);
	feed(t, false, PA, S_ISN + 101, b + 100, 200, 20);
	cr_assert_eq(R.nmsg, 0);
	feed(t, false, PA, S_ISN + 301, b + 300, l - 300, 30);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(R.msg[0].id, 0x4242);
	cr_assert_eq(R.msg[0].len, 400);
	cr_assert_eq(R.msg[0].ts, 30);
	cr_assert_not(R.msg[0].to_server);
	tcp_tracker_free(t);
}

Test(tcp_track, length_prefix_split_one_byte_each_is_reassembled)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[128];
	uint32_t l = dns(b, 9, false, 20);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, PA, C_ISN + 1, b, 1, 10);
	feed(t, true, PA, C_ISN + 2, b + 1, 1, 20);
	cr_assert_eq(R.nmsg, 0);
	feed(t, true, PA, C_ISN + 3, b + 2, l - 2, 30);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(R.msg[0].id, 9);
	cr_assert_eq(R.msg[0].len, 20);
	tcp_tracker_free(t);
}

Test(tcp_track, out_of_order_segments_are_delivered_in_stream_order)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[512];
	uint32_t l1 = dns(b, 1, false, 60);
	uint32_t l2 = dns(b + l1, 2, false, 80);
	uint32_t l3 = dns(b + l1 + l2, 3, false, 40);
	handshake(t, C_ISN, S_ISN, 0);
	/* third, then second, then first */
	feed(t, true, PA, C_ISN + 1 + l1 + l2, b + l1 + l2, l3, 10);
	feed(t, true, PA, C_ISN + 1 + l1, b + l1, l2, 20);
	cr_assert_eq(R.nmsg, 0);
	feed(t, true, PA, C_ISN + 1, b, l1, 30);
	cr_assert_eq(R.nmsg, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(R.msg[i].id, i + 1);
		cr_assert_eq(R.msg[i].ts, 30);
	}
	cr_assert_eq(tcp_tracker_get_stats(t)->out_of_order_segments, 2);
	tcp_tracker_finish(t, 40);
	cr_assert_eq(R.nerr, 0);
	tcp_tracker_free(t);
}

Test(tcp_track, out_of_order_segment_splitting_a_message_is_joined)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[512];
	uint32_t l = dns(b, 5, true, 300);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, false, PA, S_ISN + 1 + 150, b + 150, l - 150, 10);
	feed(t, false, PA, S_ISN + 1, b, 150, 20);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(R.msg[0].len, 300);
	cr_assert_eq(R.msg[0].ts, 20);
	tcp_tracker_free(t);
}

Test(tcp_track, retransmitted_segment_delivers_its_message_once)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t q[64];
	uint32_t ql = dns(q, 3, false, 30);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, PA, C_ISN + 1, q, ql, 10);
	feed(t, true, PA, C_ISN + 1, q, ql, 20);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(tcp_tracker_get_stats(t)->retransmitted_segments, 1);
	tcp_tracker_free(t);
}

Test(tcp_track, overlapping_retransmission_with_new_bytes_adds_only_the_new_bytes)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[256];
	uint32_t l1 = dns(b, 1, false, 40);
	uint32_t l2 = dns(b + l1, 2, false, 40);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, PA, C_ISN + 1, b, 20, 10);
	/* resends bytes 10..20 and carries the rest */
	feed(t, true, PA, C_ISN + 11, b + 10, l1 + l2 - 10, 20);
	cr_assert_eq(R.nmsg, 2);
	cr_assert_eq(R.msg[0].id, 1);
	cr_assert_eq(R.msg[1].id, 2);
	cr_assert_eq(tcp_tracker_get_stats(t)->retransmitted_segments, 0);
	tcp_tracker_free(t);
}

Test(tcp_track, sequence_numbers_wrap_around)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[512];
	uint32_t l1 = dns(b, 1, false, 100);
	uint32_t l2 = dns(b + l1, 2, false, 100);
	uint32_t isn = 0xffffffc0u; /* the first message crosses 2^32 */
	handshake(t, isn, S_ISN, 0);
	feed(t, true, PA, isn + 1, b, 50, 10);
	feed(t, true, PA, isn + 1 + 50 + 30, b + 80, l1 + l2 - 80, 20); /* ahead, past the wrap */
	feed(t, true, PA, isn + 1 + 50, b + 50, 30, 30);                /* fills the gap */
	feed(t, true, PA, isn + 1, b, 50, 40);                          /* old: retransmission */
	cr_assert_eq(R.nmsg, 2);
	cr_assert_eq(R.msg[0].id, 1);
	cr_assert_eq(R.msg[1].id, 2);
	cr_assert_eq(tcp_tracker_get_stats(t)->retransmitted_segments, 1);
	cr_assert_eq(tcp_tracker_get_stats(t)->out_of_order_segments, 1);
	tcp_tracker_free(t);
}

Test(tcp_track, fast_open_data_on_the_syn_is_delivered)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t q[64];
	uint32_t ql = dns(q, 0x7777, false, 30);
	feed(t, true, DCV_TCP_SYN, C_ISN, q, ql, 0);
	feed(t, false, DCV_TCP_SYN | DCV_TCP_ACK, S_ISN, NULL, 0, 1);
	feed(t, true, A, C_ISN + 1 + ql, NULL, 0, 2);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(R.msg[0].id, 0x7777);
	tcp_tracker_free(t);
}

Test(tcp_track, server_reply_after_client_half_close_is_still_delivered)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t q[64], a[64];
	uint32_t ql = dns(q, 1, false, 30), al = dns(a, 1, true, 40);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, PA | DCV_TCP_FIN, C_ISN + 1, q, ql, 10);
	cr_assert_eq(count_kind(TCP_EV_CLOSE), 1);
	cr_assert_not(R.ev[1].closed_by_server);
	cr_assert_eq(R.ev[1].messages, 1);
	feed(t, false, PA, S_ISN + 1, a, al, 20);
	cr_assert_eq(R.nmsg, 2);
	cr_assert_not(R.msg[1].to_server);
	tcp_tracker_free(t);
}

/* ---- mid-stream ----------------------------------------------------------- */

Test(tcp_track, midstream_connection_is_picked_up_at_a_plausible_length_prefix)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[256];
	uint32_t l1 = dns(b, 1, false, 60);
	uint32_t l2 = dns(b + l1, 2, false, 30);
	/* capture starts inside message 1: its tail is not a message start */
	feed(t, true, PA, 777000 + 40, b + 40, l1 - 40, 100);
	cr_assert_eq(R.nev, 1);
	cr_assert_eq(R.ev[0].kind, TCP_EV_OPEN);
	cr_assert_eq(R.nmsg, 0);
	feed(t, true, PA, 777000 + l1, b + l1, l2, 200);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(R.msg[0].id, 2);
	const struct tcp_stats *st = tcp_tracker_get_stats(t);
	cr_assert_eq(st->midstream_pickups, 1);
	cr_assert_eq(st->connections, 1);
	cr_assert_eq(st->unsynced_segments, 1);
	tcp_tracker_finish(t, 300);
	cr_assert_eq(R.nev, 2);
	cr_assert(R.ev[1].timed_out);
	cr_assert_eq(R.ev[1].messages, 1);
	tcp_tracker_free(t);
}

Test(tcp_track, ack_only_segment_picks_up_and_response_direction_syncs_separately)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t a[128];
	uint32_t al = dns(a, 0x99, true, 70);
	feed(t, true, A, 123, NULL, 0, 10);
	cr_assert_eq(count_kind(TCP_EV_OPEN), 1);
	/* a query-shaped start in the server direction is not a plausible sync */
	uint8_t q[64];
	uint32_t ql = dns(q, 0x98, false, 30);
	feed(t, false, PA, 9000, q, ql, 20);
	cr_assert_eq(R.nmsg, 0);
	feed(t, false, PA, 9000 + ql, a, al, 30);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(R.msg[0].id, 0x99);
	cr_assert_eq(tcp_tracker_get_stats(t)->midstream_pickups, 1);
	tcp_tracker_free(t);
}

Test(tcp_track, last_packets_of_an_unseen_connection_do_not_open_a_session)
{
	struct tcp_tracker *t = new_tracker(NULL);
	feed(t, false, FA, 100, NULL, 0, 10);
	feed(t, true, FA, 200, NULL, 0, 20);
	feed(t, false, A, 101, NULL, 0, 30);
	tcp_tracker_finish(t, 40);
	cr_assert_eq(R.nev, 0);
	tcp_tracker_free(t);
}

/* ---- handshake outcomes --------------------------------------------------- */

Test(tcp_track, syn_answered_by_rst_is_rejected)
{
	struct tcp_tracker *t = new_tracker(NULL);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 100);
	feed(t, false, RA, 0, NULL, 0, 200);
	cr_assert_eq(R.nev, 1);
	cr_assert_eq(R.ev[0].kind, TCP_EV_REJECTED);
	cr_assert_eq(R.ev[0].ts_ns, 200);
	tcp_tracker_finish(t, 10000 * MS);
	cr_assert_eq(R.nev, 1);
	tcp_tracker_free(t);
}

Test(tcp_track, unanswered_syn_is_filtered_after_the_timeout_and_not_before)
{
	struct tcp_config cfg = {.syn_timeout_ms = 3000};
	struct tcp_tracker *t = new_tracker(&cfg);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 0);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 1000 * MS); /* retransmission */
	tcp_tracker_expire(t, 2999 * MS);
	cr_assert_eq(R.nev, 0);
	tcp_tracker_expire(t, 3000 * MS);
	cr_assert_eq(R.nev, 1);
	cr_assert_eq(R.ev[0].kind, TCP_EV_FILTERED);
	cr_assert_eq(R.ev[0].ts_ns, 3000 * MS);
	/* later retransmissions of the same attempt stay one attempt */
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 7000 * MS);
	tcp_tracker_finish(t, 60000 * MS);
	cr_assert_eq(R.nev, 1);
	cr_assert_eq(tcp_tracker_get_stats(t)->connections, 1);
	cr_assert_eq(tcp_tracker_get_stats(t)->syn_pending_at_end, 0);
	tcp_tracker_free(t);
}

Test(tcp_track, syn_too_recent_at_finish_is_pending_not_filtered)
{
	struct tcp_tracker *t = new_tracker(NULL);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 10000 * MS);
	cport++;
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 12000 * MS);
	cport--;
	tcp_tracker_finish(t, 13500 * MS);
	cr_assert_eq(R.nev, 1);
	cr_assert_eq(R.ev[0].kind, TCP_EV_FILTERED);
	cr_assert_eq(R.ev[0].client_port, cport);
	cr_assert_eq(tcp_tracker_get_stats(t)->syn_pending_at_end, 1);
	tcp_tracker_free(t);
}

Test(tcp_track, new_syn_after_close_on_the_same_tuple_is_a_new_connection)
{
	struct tcp_tracker *t = new_tracker(NULL);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, FA, C_ISN + 1, NULL, 0, 10);
	feed(t, false, FA, S_ISN + 1, NULL, 0, 20);
	feed(t, true, A, C_ISN + 2, NULL, 0, 30);
	handshake(t, 90000, 70000, 1000);
	cr_assert_eq(count_kind(TCP_EV_OPEN), 2);
	cr_assert_eq(tcp_tracker_get_stats(t)->connections, 2);
	tcp_tracker_free(t);
}

/* ---- teardown ------------------------------------------------------------- */

Test(tcp_track, client_fin_first_is_not_closed_by_server)
{
	struct tcp_tracker *t = new_tracker(NULL);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, FA, C_ISN + 1, NULL, 0, 10);
	feed(t, false, FA, S_ISN + 1, NULL, 0, 20);
	cr_assert_eq(count_kind(TCP_EV_CLOSE), 1);
	cr_assert_not(R.ev[1].closed_by_server);
	cr_assert_eq(R.ev[1].ts_ns, 10);
	tcp_tracker_free(t);
}

Test(tcp_track, rst_from_server_closes_with_reset)
{
	struct tcp_tracker *t = new_tracker(NULL);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, false, RA, S_ISN + 1, NULL, 0, 50);
	cr_assert_eq(R.nev, 2);
	cr_assert_eq(R.ev[1].kind, TCP_EV_CLOSE);
	cr_assert(R.ev[1].reset);
	cr_assert(R.ev[1].closed_by_server);
	cr_assert_not(R.ev[1].timed_out);
	cr_assert_eq(R.ev[1].ts_ns, 50);
	feed(t, true, RA, C_ISN + 1, NULL, 0, 60); /* the client's RST changes nothing */
	tcp_tracker_finish(t, 100);
	cr_assert_eq(R.nev, 2);
	tcp_tracker_free(t);
}

Test(tcp_track, idle_connection_closes_timed_out)
{
	struct tcp_config cfg = {.idle_timeout_ms = 5000};
	struct tcp_tracker *t = new_tracker(&cfg);
	handshake(t, C_ISN, S_ISN, 0);
	/* the last packet (the ACK) came at 2 ns */
	tcp_tracker_expire(t, 5000 * MS + 1);
	cr_assert_eq(R.nev, 1);
	tcp_tracker_expire(t, 5000 * MS + 2);
	cr_assert_eq(R.nev, 2);
	cr_assert_eq(R.ev[1].kind, TCP_EV_CLOSE);
	cr_assert(R.ev[1].timed_out);
	cr_assert_eq(R.ev[1].ts_ns, 5000 * MS + 2);
	cr_assert_eq(R.ev[1].concurrent, 1);
	tcp_tracker_free(t);
}

Test(tcp_track, concurrent_count_rises_per_open_session_and_falls_after_closes)
{
	enum { N = 5 };
	struct tcp_tracker *t = new_tracker(NULL);
	uint16_t base = cport;
	for (int i = 0; i < N; i++) {
		cport = (uint16_t)(base + i);
		handshake(t, C_ISN, S_ISN, (uint64_t)i * 100);
		cr_assert_eq(R.ev[R.nev - 1].kind, TCP_EV_OPEN);
		cr_assert_eq(R.ev[R.nev - 1].concurrent, (uint32_t)i + 1);
	}
	/* another client does not count */
	cport = base;
	struct dcv_pkt other = seg(true, DCV_TCP_SYN, 1, 0, NULL, 0, 600);
	other.src.bytes[3] = 2;
	tcp_tracker_packet(t, &other, true);
	other = seg(false, DCV_TCP_SYN | DCV_TCP_ACK, 1, 2, NULL, 0, 601);
	other.dst.bytes[3] = 2;
	tcp_tracker_packet(t, &other, false);
	cr_assert_eq(R.ev[R.nev - 1].concurrent, 1);

	for (int i = 0; i < 2; i++) {
		cport = (uint16_t)(base + i);
		feed(t, true, FA, C_ISN + 1, NULL, 0, 1000 + (uint64_t)i);
		cr_assert_eq(R.ev[R.nev - 1].kind, TCP_EV_CLOSE);
		cr_assert_eq(R.ev[R.nev - 1].concurrent, (uint32_t)(N - i));
	}
	cport = (uint16_t)(base + N);
	handshake(t, C_ISN, S_ISN, 2000);
	cr_assert_eq(R.ev[R.nev - 1].concurrent, N - 2 + 1);
	/* a refused SYN reports the sessions the client holds */
	cport = (uint16_t)(base + N + 1);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 3000);
	feed(t, false, RA, 0, NULL, 0, 3001);
	cr_assert_eq(R.ev[R.nev - 1].kind, TCP_EV_REJECTED);
	cr_assert_eq(R.ev[R.nev - 1].concurrent, N - 1);
	cport = base;
	tcp_tracker_free(t);
}

/* A capped server's listen queue was full: SYNs 3 and 4 wait for their
 * retransmission while SYNs 6 and 7 are refused. The refusals report the
 * five connections the server counted, not the three that had opened. */
Test(tcp_track, refusal_counts_the_older_attempts_still_in_their_handshake)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint16_t base = cport;
	/* another client's pending SYN, older than the refusals, does not count */
	cport = (uint16_t)(base + 7);
	struct dcv_pkt other = seg(true, DCV_TCP_SYN, 1, 0, NULL, 0, 90);
	other.src.bytes[3] = 2;
	tcp_tracker_packet(t, &other, true);
	for (int i = 0; i < 7; i++) {
		cport = (uint16_t)(base + i);
		feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 100 + (uint64_t)i * 10);
		if (i < 2 || i == 4)
			feed(t, false, DCV_TCP_SYN | DCV_TCP_ACK, S_ISN, NULL, 0,
			     101 + (uint64_t)i * 10);
		else if (i >= 5)
			feed(t, false, RA, 0, NULL, 0, 101 + (uint64_t)i * 10);
	}
	cr_assert_eq(count_kind(TCP_EV_OPEN), 3);
	cr_assert_eq(count_kind(TCP_EV_REJECTED), 2);
	cr_assert_eq(R.ev[3].kind, TCP_EV_REJECTED);
	cr_assert_eq(R.ev[3].concurrent, 5, "3 open + 2 older pending: %u", R.ev[3].concurrent);
	cr_assert_eq(R.ev[4].concurrent, 5);
	/* the retransmitted SYNs are answered: five open, as the server counted */
	for (int i = 2; i < 4; i++) {
		cport = (uint16_t)(base + i);
		feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 1000 * MS + (uint64_t)i);
		feed(t, false, DCV_TCP_SYN | DCV_TCP_ACK, S_ISN, NULL, 0,
		     1000 * MS + 10 + (uint64_t)i);
	}
	cr_assert_eq(R.ev[R.nev - 1].kind, TCP_EV_OPEN);
	cr_assert_eq(R.ev[R.nev - 1].concurrent, 5);
	/* a SYN pending behind the refused one is not counted */
	cport = (uint16_t)(base + 8);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 2000 * MS);
	cport = (uint16_t)(base + 9);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 2000 * MS + 1);
	cport = (uint16_t)(base + 8);
	feed(t, false, RA, 0, NULL, 0, 2000 * MS + 2);
	cr_assert_eq(R.ev[R.nev - 1].kind, TCP_EV_REJECTED);
	cr_assert_eq(R.ev[R.nev - 1].concurrent, 5);
	cport = base;
	tcp_tracker_free(t);
}

/* A server whose own client limit is full (BIND tcp-clients): the kernel
 * completes every handshake, the server answers on three connections and
 * never on two more, whose client gives up (FIN) after the served ones
 * closed. Their CLOSE is stalled and reports the three served while they
 * waited; a session cut by the end of input is not judged. */
Test(tcp_track, sessions_never_answered_stall_and_report_the_served_ones)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint16_t base = cport;
	uint8_t q[64], a[128];
	uint32_t ql = dns(q, 0x2222, false, 40), al = dns(a, 0x2222, true, 100);
	for (int i = 0; i < 6; i++) {
		cport = (uint16_t)(base + i);
		handshake(t, C_ISN, S_ISN, 100 + (uint64_t)i * 10);
		feed(t, true, PA, C_ISN + 1, q, ql, 200 + (uint64_t)i * 10);
	}
	for (int i = 0; i < 3; i++) {
		cport = (uint16_t)(base + i);
		feed(t, false, PA, S_ISN + 1, a, al, 300 + (uint64_t)i);
		cr_assert_eq(R.ev[R.nev - 1].kind, TCP_EV_SERVED);
		cr_assert_eq(R.ev[R.nev - 1].served, (uint32_t)i + 1);
		cr_assert_eq(R.ev[R.nev - 1].concurrent, 6);
	}
	for (int i = 0; i < 5; i++) { /* the served ones first, then two waiting */
		cport = (uint16_t)(base + i);
		feed(t, true, FA, C_ISN + 1 + ql, NULL, 0, 1000 * MS + (uint64_t)i);
		const struct tcp_session_event *ev = &R.ev[R.nev - 1];
		cr_assert_eq(ev->kind, TCP_EV_CLOSE);
		cr_assert_eq(ev->stalled, i >= 3, "session %d", i);
		cr_assert_eq(ev->served, i < 3 ? 3u - (uint32_t)i : 3u, "session %d", i);
	}
	tcp_tracker_finish(t, 2000 * MS);
	cr_assert_eq(R.ev[R.nev - 1].kind, TCP_EV_CLOSE);
	cr_assert(R.ev[R.nev - 1].timed_out);
	cr_assert_not(R.ev[R.nev - 1].stalled, "the end of input says nothing");
	/* once nothing waits, the high-water mark starts again from 0 */
	cport = (uint16_t)(base + 10);
	handshake(t, C_ISN, S_ISN, 3000 * MS);
	feed(t, true, PA, C_ISN + 1, q, ql, 3000 * MS + 10);
	feed(t, true, RA, C_ISN + 1 + ql, NULL, 0, 3000 * MS + 20);
	cr_assert(R.ev[R.nev - 1].stalled);
	cr_assert_eq(R.ev[R.nev - 1].served, 0);
	cport = base;
	tcp_tracker_free(t);
}

/* A server that drops SYNs over its cap: the three sessions that filled it
 * close before the dropped SYN times out; the FILTERED event still reports
 * them. */
Test(tcp_track, unanswered_syn_reports_the_sessions_open_when_it_came)
{
	struct tcp_config cfg = {.syn_timeout_ms = 3000};
	struct tcp_tracker *t = new_tracker(&cfg);
	uint16_t base = cport;
	for (int i = 0; i < 3; i++) {
		cport = (uint16_t)(base + i);
		handshake(t, C_ISN, S_ISN, (uint64_t)i * 10);
	}
	cport = (uint16_t)(base + 3);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 100);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 1000 * MS); /* retransmission */
	for (int i = 0; i < 3; i++) {
		cport = (uint16_t)(base + i);
		feed(t, true, FA, C_ISN + 1, NULL, 0, 1500 * MS + (uint64_t)i);
	}
	/* a SYN after the closes finds none open */
	cport = (uint16_t)(base + 4);
	feed(t, true, DCV_TCP_SYN, C_ISN, NULL, 0, 1600 * MS);
	tcp_tracker_expire(t, 5000 * MS);
	cr_assert_eq(count_kind(TCP_EV_FILTERED), 2);
	cr_assert_eq(R.ev[R.nev - 2].kind, TCP_EV_FILTERED);
	cr_assert_eq(R.ev[R.nev - 2].client_port, base + 3);
	cr_assert_eq(R.ev[R.nev - 2].ts_ns, 3000 * MS + 100);
	cr_assert_eq(R.ev[R.nev - 2].concurrent, 3);
	cr_assert_eq(R.ev[R.nev - 1].client_port, base + 4);
	cr_assert_eq(R.ev[R.nev - 1].concurrent, 0);
	cport = base;
	tcp_tracker_free(t);
}

Test(tcp_track, full_table_evicts_least_recently_active_connection)
{
	struct tcp_config cfg = {.max_connections = 2};
	struct tcp_tracker *t = new_tracker(&cfg);
	uint16_t base = cport;
	cport = base;
	handshake(t, C_ISN, S_ISN, 0);
	cport = (uint16_t)(base + 1);
	handshake(t, C_ISN, S_ISN, 10);
	cport = base;
	feed(t, true, A, C_ISN + 1, NULL, 0, 20); /* base is now the most recent */
	cport = (uint16_t)(base + 2);
	handshake(t, C_ISN, S_ISN, 30);
	cr_assert_eq(R.nev, 4);
	cr_assert_eq(R.ev[2].kind, TCP_EV_CLOSE);
	cr_assert_eq(R.ev[2].client_port, base + 1);
	cr_assert(R.ev[2].timed_out);
	cr_assert_eq(R.ev[3].kind, TCP_EV_OPEN);
	cr_assert_eq(R.ev[3].concurrent, 2);
	const struct tcp_stats *st = tcp_tracker_get_stats(t);
	cr_assert_eq(st->evicted, 1);
	cr_assert_eq(st->connections, 3);
	cport = base;
	tcp_tracker_free(t);
}

Test(tcp_track, full_table_reuses_closed_entries_before_evicting_live_ones)
{
	struct tcp_config cfg = {.max_connections = 2};
	struct tcp_tracker *t = new_tracker(&cfg);
	uint16_t base = cport;
	handshake(t, C_ISN, S_ISN, 0);
	cport = (uint16_t)(base + 1);
	handshake(t, C_ISN, S_ISN, 10);
	feed(t, true, FA, C_ISN + 1, NULL, 0, 20); /* closed, lingering */
	cport = (uint16_t)(base + 2);
	handshake(t, C_ISN, S_ISN, 30);
	cr_assert_eq(tcp_tracker_get_stats(t)->evicted, 0);
	cr_assert_eq(count_kind(TCP_EV_CLOSE), 1);
	cport = base;
	tcp_tracker_free(t);
}

/* ---- stream errors -------------------------------------------------------- */

Test(tcp_track, length_prefix_below_header_size_stops_that_direction)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t bad[16] = {0, 5, 1, 2, 3, 4, 5};
	uint8_t q[64], a[64];
	uint32_t ql = dns(q, 1, false, 30), al = dns(a, 2, true, 30);
	handshake(t, C_ISN, S_ISN, 0);
	struct dcv_pkt k = seg(true, PA, C_ISN + 1, 0, bad, 7, 10);
	cr_assert_eq(tcp_tracker_packet(t, &k, true), DCV_E_TCP_MSGLEN);
	cr_assert_eq(R.nerr, 1);
	cr_assert_eq(R.err[0], DCV_E_TCP_MSGLEN);
	feed(t, true, PA, C_ISN + 8, q, ql, 20); /* same direction: ignored */
	feed(t, false, PA, S_ISN + 1, a, al, 30);
	cr_assert_eq(R.nmsg, 1);
	cr_assert_eq(R.msg[0].id, 2);
	cr_assert_eq(R.nerr, 1);
	tcp_tracker_free(t);
}

Test(tcp_track, out_of_order_data_beyond_the_buffer_limit_overflows)
{
	struct tcp_config cfg = {.stream_max_bytes = 70000};
	struct tcp_tracker *t = new_tracker(&cfg);
	uint8_t junk[100] = {0};
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, PA, C_ISN + 1 + 69900, junk, 100, 10); /* ends exactly at the limit */
	cr_assert_eq(R.nerr, 0);
	struct dcv_pkt k = seg(true, PA, C_ISN + 1 + 69950, 0, junk, 100, 20);
	cr_assert_eq(tcp_tracker_packet(t, &k, true), DCV_E_TCP_OVERFLOW);
	cr_assert_eq(count_err(DCV_E_TCP_OVERFLOW), 1);
	tcp_tracker_finish(t, 30);
	cr_assert_eq(R.nerr, 1, "an abandoned direction reports no gap");
	tcp_tracker_free(t);
}

Test(tcp_track, gap_never_filled_is_reported_at_finish)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[256];
	uint32_t l = dns(b, 1, false, 100);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, true, PA, C_ISN + 1 + 50, b + 50, l - 50, 10);
	cr_assert_eq(R.nerr, 0);
	tcp_tracker_finish(t, 20);
	cr_assert_eq(R.nerr, 1);
	cr_assert_eq(R.err[0], DCV_E_TCP_GAP);
	cr_assert_eq(R.nmsg, 0);
	cr_assert_eq(count_kind(TCP_EV_CLOSE), 1);
	tcp_tracker_free(t);
}

Test(tcp_track, gap_is_reported_when_rst_ends_the_connection)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[256];
	uint32_t l = dns(b, 1, true, 100);
	handshake(t, C_ISN, S_ISN, 0);
	feed(t, false, PA, S_ISN + 1 + 50, b + 50, l - 50, 10);
	feed(t, true, RA, C_ISN + 1, NULL, 0, 20);
	cr_assert_eq(count_err(DCV_E_TCP_GAP), 1);
	cr_assert_not(R.ev[1].closed_by_server);
	tcp_tracker_free(t);
}

Test(tcp_track, snap_truncated_segment_with_new_bytes_is_a_gap)
{
	struct tcp_tracker *t = new_tracker(NULL);
	uint8_t b[256];
	uint32_t l = dns(b, 1, true, 200);
	handshake(t, C_ISN, S_ISN, 0);
	struct dcv_pkt k = seg(false, PA, S_ISN + 1, 0, b, 96, 10);
	k.payload_wire_len = l;
	k.snap_truncated = true;
	cr_assert_eq(tcp_tracker_packet(t, &k, false), DCV_E_TCP_GAP);
	feed(t, false, PA, S_ISN + 1, b, l, 20); /* direction abandoned */
	cr_assert_eq(R.nmsg, 0);
	tcp_tracker_free(t);
}

Test(tcp_track, non_tcp_packet_is_an_invalid_argument)
{
	struct tcp_tracker *t = new_tracker(NULL);
	struct dcv_pkt k = seg(true, 0, 0, 0, NULL, 0, 0);
	k.proto = DCV_PROTO_UDP;
	cr_assert_eq(tcp_tracker_packet(t, &k, true), DCV_EINVAL);
	cr_assert_eq(R.nev, 0);
	tcp_tracker_free(t);
}
