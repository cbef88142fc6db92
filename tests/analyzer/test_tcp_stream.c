/* test_tcp_stream.c - one direction's reassembly and message cutting. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dcv_error.h"
#include "tcp_stream.h"
#include "wire.h"

#define MAX_MSGS 512

struct got {
	uint32_t n;
	uint16_t id[MAX_MSGS];
	uint32_t len[MAX_MSGS];
	uint8_t bytes[1 << 20];
	uint32_t used;
};

static struct got G;

static void emit(void *ctx, const uint8_t *msg, uint32_t len)
{
	struct got *g = ctx;
	cr_assert_lt(g->n, MAX_MSGS);
	cr_assert_leq(g->used + len, sizeof(g->bytes));
	g->id[g->n] = wire_read_u16(msg);
	g->len[g->n++] = len;
	memcpy(g->bytes + g->used, msg, len);
	g->used += len;
}

static const struct tcp_stream_sink SINK = {&G, emit};

static struct tcp_stream_env env_default(void)
{
	return (struct tcp_stream_env){.max_bytes = 131072,
	                               .budget = TCP_STREAM_BUDGET_BYTES_DEFAULT};
}

/* msg() writes a length-prefixed query-shaped message; returns its size. */
static uint32_t msg(uint8_t *out, uint16_t id, uint16_t mlen)
{
	out[0] = (uint8_t)(mlen >> 8);
	out[1] = (uint8_t)mlen;
	memset(out + 2, 0, 12);
	out[2] = (uint8_t)(id >> 8);
	out[3] = (uint8_t)id;
	out[7] = 1;
	for (uint32_t i = 14; i < 2u + mlen; i++)
		out[i] = (uint8_t)(id ^ i);
	return 2u + mlen;
}

/* ---- plausible start ------------------------------------------------------ */

struct start_case {
	const char *name;
	uint8_t b[16];
	size_t len;
	bool to_server;
	bool plausible;
};

static const struct start_case START_CASES[] = {
    {"query towards the server", {0, 17, 0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0}, 14, true, true},
    {"response from the server",
     {0, 40, 0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0},
     14,
     false,
     true},
    {"response towards the server",
     {0, 40, 0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0},
     14,
     true,
     false},
    {"length below header size", {0, 11, 0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0}, 14, true, false},
    {"two questions", {0, 40, 0, 1, 0x01, 0, 0, 2, 0, 0, 0, 0, 0, 0}, 14, true, false},
    {"unassigned opcode 3", {0, 40, 0, 1, 0x18, 0, 0, 1, 0, 0, 0, 0, 0, 0}, 14, true, false},
    {"records cannot fit the length",
     {0, 20, 0, 1, 0x01, 0, 0, 0, 0, 1, 0, 0, 0, 0},
     14,
     true,
     false},
    {"header cut short", {0, 17, 0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0}, 13, true, false},
    {"notify towards the server", {0, 40, 0, 1, 0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0}, 14, true, true},
};

Test(tcp_stream, plausible_start_accepts_dns_headers_and_rejects_the_rest)
{
	for (size_t i = 0; i < sizeof(START_CASES) / sizeof(START_CASES[0]); i++) {
		const struct start_case *c = &START_CASES[i];
		cr_expect_eq(tcp_stream_plausible_start(c->b, c->len, c->to_server), c->plausible,
		             "%s", c->name);
	}
}

/* ---- reassembly ----------------------------------------------------------- */

struct piece {
	uint32_t off, len;
};

/* Property: whatever the cut, order, duplication and overlap of segments,
 * every message comes out exactly once, in order, with its bytes. */
Test(tcp_stream, shuffled_duplicated_overlapping_segments_rebuild_the_exact_stream)
{
	static uint8_t stream[200000];
	static struct piece pieces[4096];
	srand(12345);
	for (int round = 0; round < 30; round++) {
		memset(&G, 0, sizeof(G));
		uint32_t total = 0, nmsg = 0;
		while (nmsg < 60) {
			uint16_t mlen = (uint16_t)(12 + rand() % (round % 3 == 0 ? 3000 : 200));
			total += msg(stream + total, (uint16_t)nmsg, mlen);
			nmsg++;
		}
		/* cut into pieces of 1..700 bytes, some overlapping their neighbour */
		uint32_t np = 0;
		for (uint32_t off = 0; off < total;) {
			uint32_t len = 1 + (uint32_t)rand() % 700;
			if (off + len > total)
				len = total - off;
			uint32_t back = (rand() % 4 == 0 && off >= 10) ? 10 : 0;
			pieces[np++] = (struct piece){off - back, len + back};
			off += len;
		}
		/* local shuffles within windows of 8, plus duplicates */
		for (uint32_t i = 0; i + 1 < np; i++) {
			uint32_t j = i + (uint32_t)rand() % 8;
			if (j < np) {
				struct piece tmp = pieces[i];
				pieces[i] = pieces[j];
				pieces[j] = tmp;
			}
		}
		uint32_t isn = 0xfffff000u + (uint32_t)round * 97; /* cross the wrap */
		struct tcp_stream s;
		struct tcp_stream_env env = env_default();
		tcp_stream_init(&s, true);
		tcp_stream_sync(&s, isn);
		for (uint32_t i = 0; i < np; i++) {
			int rc = tcp_stream_push(&s, &env, isn + pieces[i].off,
			                         stream + pieces[i].off, pieces[i].len, 0, &SINK);
			cr_assert_geq(rc, 0, "round %d piece %u: %d", round, i, rc);
			if (rand() % 5 == 0) {
				uint32_t k = (uint32_t)rand() % (i + 1);
				rc = tcp_stream_push(&s, &env, isn + pieces[k].off,
				                     stream + pieces[k].off, pieces[k].len, 0,
				                     &SINK);
				cr_assert_geq(rc, 0);
			}
		}
		cr_assert_eq(G.n, nmsg, "round %d", round);
		uint32_t pos = 0, boff = 0;
		for (uint32_t m = 0; m < nmsg; m++) {
			cr_assert_eq(G.id[m], m);
			uint32_t mlen = wire_read_u16(stream + pos);
			cr_assert_eq(G.len[m], mlen);
			cr_assert_eq(memcmp(G.bytes + boff, stream + pos + 2, mlen), 0);
			pos += 2 + mlen;
			boff += mlen;
		}
		cr_assert_eq(tcp_stream_finish(&s, &env), 0);
		cr_assert_eq(env.used, 0, "every buffer is given back");
	}
}

Test(tcp_stream, too_many_holes_overflow)
{
	uint8_t b[4] = {1, 2, 3, 4};
	struct tcp_stream s;
	struct tcp_stream_env env = env_default();
	tcp_stream_init(&s, true);
	tcp_stream_sync(&s, 100);
	for (uint32_t i = 0; i < TCP_STREAM_MAX_RANGES; i++)
		cr_assert_eq(tcp_stream_push(&s, &env, 110 + i * 10, b, 4, 0, &SINK),
		             TCP_PUSH_OUT_OF_ORDER);
	/* inside an existing range: a retransmission, not a new hole */
	cr_assert_eq(tcp_stream_push(&s, &env, 111, b, 2, 0, &SINK), TCP_PUSH_RETRANS);
	/* touching a range merges instead of adding one */
	cr_assert_eq(tcp_stream_push(&s, &env, 114, b, 2, 0, &SINK), TCP_PUSH_OUT_OF_ORDER);
	cr_assert_eq(tcp_stream_push(&s, &env, 500, b, 4, 0, &SINK), DCV_E_TCP_OVERFLOW);
	cr_assert_eq(s.state, TCP_STREAM_DEAD);
	cr_assert_eq(env.used, 0);
	cr_assert_eq(tcp_stream_push(&s, &env, 100, b, 4, 0, &SINK), TCP_PUSH_IGNORED);
}

Test(tcp_stream, budget_limits_all_buffers_together)
{
	uint8_t b[8] = {0};
	struct tcp_stream s1, s2;
	struct tcp_stream_env env = {.max_bytes = 131072, .budget = 3000};
	tcp_stream_init(&s1, true);
	tcp_stream_init(&s2, true);
	tcp_stream_sync(&s1, 0);
	tcp_stream_sync(&s2, 0);
	cr_assert_eq(tcp_stream_push(&s1, &env, 1500, b, 8, 0, &SINK), TCP_PUSH_OUT_OF_ORDER);
	cr_assert_eq(env.used, 2048);
	cr_assert_eq(tcp_stream_push(&s2, &env, 10, b, 8, 0, &SINK), DCV_E_TCP_OVERFLOW);
	cr_assert_eq(tcp_stream_finish(&s1, &env), DCV_E_TCP_GAP);
	cr_assert_eq(env.used, 0);
}

Test(tcp_stream, unsynced_stream_skips_until_a_message_start)
{
	uint8_t b[256];
	uint32_t l = msg(b, 0x55, 60);
	struct tcp_stream s;
	struct tcp_stream_env env = env_default();
	memset(&G, 0, sizeof(G));
	tcp_stream_init(&s, true);
	cr_assert_eq(tcp_stream_push(&s, &env, 1000, b + 20, 10, 0, &SINK), TCP_PUSH_UNSYNCED);
	cr_assert_eq(tcp_stream_push(&s, &env, 5000, b, l, 0, &SINK), TCP_PUSH_ACCEPTED);
	cr_assert_eq(G.n, 1);
	cr_assert_eq(G.id[0], 0x55);
	cr_assert_eq(s.next_seq, 5000 + l);
}

Test(tcp_stream, large_emptied_buffer_is_given_back)
{
	static uint8_t b[40000];
	uint32_t l = msg(b, 1, 39000);
	struct tcp_stream s;
	struct tcp_stream_env env = env_default();
	memset(&G, 0, sizeof(G));
	tcp_stream_init(&s, false);
	tcp_stream_sync(&s, 0);
	cr_assert_eq(tcp_stream_push(&s, &env, 0, b, 1000, 0, &SINK), TCP_PUSH_ACCEPTED);
	cr_assert_geq(env.used, 39002);
	cr_assert_eq(tcp_stream_push(&s, &env, 1000, b + 1000, l - 1000, 0, &SINK),
	             TCP_PUSH_ACCEPTED);
	cr_assert_eq(G.n, 1);
	cr_assert_eq(env.used, 0);
}
