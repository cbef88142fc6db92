/*
 * tcp_stream.c - per-direction TCP reassembly and DNS message cutting.
 *
 * Invariants (checked by assert_stream_ok() in debug builds):
 *  1. buf == NULL implies pend == 0 and no out-of-order range.
 *  2. pend < 2 + length prefix at data[0] (less than one whole message
 *     waits between calls), and that prefix, once complete, is >= 12.
 *  3. ranges are sorted, disjoint, non-adjacent, all start after next_seq
 *     (serial) and pend + (last end - next_seq) <= cap <= env->max_bytes.
 *
 * Hot path: an in-order segment with nothing pending is cut in place and
 * its messages are emitted straight from the caller's payload; only the
 * tail of a message that continues in a later segment is copied.
 */
#include "tcp_stream.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "dcv_error.h"
#include "wire.h"

struct tcp_range {
	uint32_t start, end; /* sequence numbers, [start, end) */
};

struct tcp_stream_buf {
	uint32_t cap;     /* bytes at data */
	uint32_t nranges; /* out-of-order ranges in use */
	struct tcp_range r[TCP_STREAM_MAX_RANGES];
	uint8_t data[];
};

/* ---- serial arithmetic ---------------------------------------------------- */

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* ---- invariants ----------------------------------------------------------- */

static uint32_t ooo_extent(const struct tcp_stream *s)
{
	if (s->buf == NULL || s->buf->nranges == 0)
		return 0;
	return s->buf->r[s->buf->nranges - 1].end - s->next_seq;
}

#ifndef NDEBUG
static bool assert_stream_ok(const struct tcp_stream *s, const struct tcp_stream_env *env)
{
	if (s->buf == NULL)
		return s->pend == 0;
	const struct tcp_stream_buf *b = s->buf;
	if (b->cap > env->max_bytes || b->nranges > TCP_STREAM_MAX_RANGES)
		return false;
	if (s->pend >= TCP_DNS_LEN_PREFIX) {
		uint32_t mlen = wire_read_u16(b->data);
		if (mlen < TCP_DNS_HEADER_LEN || s->pend >= TCP_DNS_LEN_PREFIX + mlen)
			return false;
	}
	uint32_t prev_end = s->next_seq;
	for (uint32_t i = 0; i < b->nranges; i++) {
		if (!seq_lt(prev_end, b->r[i].start) || !seq_lt(b->r[i].start, b->r[i].end))
			return false;
		prev_end = b->r[i].end;
	}
	return (uint64_t)s->pend + ooo_extent(s) <= b->cap;
}
#endif

/* ---- buffer --------------------------------------------------------------- */

/* ensure_cap() makes room for need bytes, keeping the content. */
static int ensure_cap(struct tcp_stream *s, struct tcp_stream_env *env, uint64_t need)
{
	if (need > env->max_bytes)
		return DCV_E_TCP_OVERFLOW;
	uint32_t old = s->buf ? s->buf->cap : 0;
	if (need <= old)
		return 0;
	uint64_t cap = TCP_STREAM_MIN_ALLOC;
	while (cap < need)
		cap <<= 1;
	if (cap > env->max_bytes)
		cap = env->max_bytes;
	if (env->used - old + cap > env->budget)
		return DCV_E_TCP_OVERFLOW;
	struct tcp_stream_buf *b = realloc(s->buf, sizeof(*b) + cap);
	if (b == NULL)
		return DCV_ENOMEM;
	if (s->buf == NULL)
		b->nranges = 0;
	b->cap = (uint32_t)cap;
	s->buf = b;
	env->used = env->used - old + cap;
	return 0;
}

static void free_buf(struct tcp_stream *s, struct tcp_stream_env *env)
{
	if (s->buf) {
		env->used -= s->buf->cap;
		free(s->buf);
		s->buf = NULL;
	}
	s->pend = 0;
}

static void kill_stream(struct tcp_stream *s, struct tcp_stream_env *env)
{
	free_buf(s, env);
	s->state = TCP_STREAM_DEAD;
}

/* ---- cutting -------------------------------------------------------------- */

/* cut_in_place() emits the whole messages at the start of *p and advances
 * past them; stops at a partial message. */
static int cut_in_place(const uint8_t **p, uint32_t *len, const struct tcp_stream_sink *sink)
{
	while (*len >= TCP_DNS_LEN_PREFIX) {
		uint32_t mlen = wire_read_u16(*p);
		if (mlen < TCP_DNS_HEADER_LEN)
			return DCV_E_TCP_MSGLEN;
		if (*len - TCP_DNS_LEN_PREFIX < mlen)
			break;
		sink->emit(sink->ctx, *p + TCP_DNS_LEN_PREFIX, mlen);
		*p += TCP_DNS_LEN_PREFIX + mlen;
		*len -= TCP_DNS_LEN_PREFIX + mlen;
	}
	return 0;
}

/* cut_buffer() emits the whole messages in data[0..pend) and moves what
 * is left (partial message and out-of-order bytes) to the front. */
static int cut_buffer(struct tcp_stream *s, const struct tcp_stream_sink *sink)
{
	const uint8_t *p = s->buf->data;
	uint32_t left = s->pend;
	int rc = cut_in_place(&p, &left, sink);
	if (rc < 0)
		return rc;
	uint32_t used = s->pend - left;
	if (used > 0) {
		uint32_t extent = s->pend + ooo_extent(s);
		memmove(s->buf->data, s->buf->data + used, extent - used);
		s->pend = left;
	}
	return 0;
}

/* append_in_order() handles new in-order bytes when nothing is waiting out
 * of order: complete messages are emitted from p directly, bytes of a
 * message that continues later are copied. */
static int append_in_order(struct tcp_stream *s, struct tcp_stream_env *env, const uint8_t *p,
                           uint32_t len, const struct tcp_stream_sink *sink)
{
	while (len > 0) {
		if (s->pend == 0) {
			int rc = cut_in_place(&p, &len, sink);
			if (rc < 0)
				return rc;
			if (len == 0)
				break;
		}
		/* the unit being completed: the prefix, then prefix + message */
		uint32_t need = TCP_DNS_LEN_PREFIX;
		if (s->pend >= TCP_DNS_LEN_PREFIX)
			need += wire_read_u16(s->buf->data);
		int rc = ensure_cap(s, env, need);
		if (rc < 0)
			return rc;
		uint32_t take = need - s->pend;
		if (take > len)
			take = len;
		memcpy(s->buf->data + s->pend, p, take);
		s->pend += take;
		p += take;
		len -= take;
		if (s->pend == TCP_DNS_LEN_PREFIX) {
			if (wire_read_u16(s->buf->data) < TCP_DNS_HEADER_LEN)
				return DCV_E_TCP_MSGLEN;
		} else if (s->pend > TCP_DNS_LEN_PREFIX &&
		           s->pend == TCP_DNS_LEN_PREFIX + wire_read_u16(s->buf->data)) {
			sink->emit(sink->ctx, s->buf->data + TCP_DNS_LEN_PREFIX,
			           s->pend - TCP_DNS_LEN_PREFIX);
			s->pend = 0;
		}
	}
	return 0;
}

/* fill_gap() handles new in-order bytes while out-of-order ranges wait:
 * the bytes go to their place in the buffer, ranges that now touch the
 * in-order data join it, and the buffer is cut. */
static int fill_gap(struct tcp_stream *s, struct tcp_stream_env *env, const uint8_t *p,
                    uint32_t len, const struct tcp_stream_sink *sink)
{
	int rc = ensure_cap(s, env, (uint64_t)s->pend + len);
	if (rc < 0)
		return rc;
	/* next_seq already counts these bytes: data[pend + (seq - next_seq)] stays
	 * the place of every out-of-order byte */
	memcpy(s->buf->data + s->pend, p, len);
	s->pend += len;
	struct tcp_stream_buf *b = s->buf;
	uint32_t drop = 0;
	while (drop < b->nranges && seq_le(b->r[drop].start, s->next_seq)) {
		if (seq_lt(s->next_seq, b->r[drop].end)) {
			s->pend += b->r[drop].end - s->next_seq;
			s->next_seq = b->r[drop].end;
		}
		drop++;
	}
	if (drop > 0) {
		memmove(b->r, b->r + drop, (b->nranges - drop) * sizeof(b->r[0]));
		b->nranges -= drop;
	}
	return cut_buffer(s, sink);
}

/* store_ahead() keeps a segment that starts after next_seq. */
static int store_ahead(struct tcp_stream *s, struct tcp_stream_env *env, uint32_t seq,
                       const uint8_t *p, uint32_t len)
{
	uint32_t off = seq - s->next_seq; /* > 0 and < 2^31 (serial order) */
	uint32_t end_off = off + len;     /* no wrap: len <= 65535 in practice, checked below */
	if (end_off < off)
		return DCV_E_TCP_OVERFLOW;
	struct tcp_stream_buf *b = s->buf;
	if (b) {
		for (uint32_t i = 0; i < b->nranges; i++) {
			uint32_t rs = b->r[i].start - s->next_seq, re = b->r[i].end - s->next_seq;
			if (rs <= off && end_off <= re)
				return TCP_PUSH_RETRANS;
		}
	}
	int rc = ensure_cap(s, env, (uint64_t)s->pend + end_off);
	if (rc < 0)
		return rc;
	b = s->buf;
	memcpy(b->data + s->pend + off, p, len);

	/* merge [off, end_off) with every range it overlaps or touches */
	struct tcp_range out[TCP_STREAM_MAX_RANGES + 1];
	uint32_t n = 0;
	bool placed = false;
	for (uint32_t i = 0; i < b->nranges; i++) {
		uint32_t rs = b->r[i].start - s->next_seq, re = b->r[i].end - s->next_seq;
		if (re < off) {
			out[n++] = b->r[i];
		} else if (end_off < rs) {
			if (!placed) {
				out[n++] =
				    (struct tcp_range){s->next_seq + off, s->next_seq + end_off};
				placed = true;
			}
			out[n++] = b->r[i];
		} else {
			if (rs < off)
				off = rs;
			if (re > end_off)
				end_off = re;
		}
	}
	if (!placed)
		out[n++] = (struct tcp_range){s->next_seq + off, s->next_seq + end_off};
	if (n > TCP_STREAM_MAX_RANGES)
		return DCV_E_TCP_OVERFLOW;
	memcpy(b->r, out, n * sizeof(out[0]));
	b->nranges = n;
	return TCP_PUSH_OUT_OF_ORDER;
}

/* ---- public --------------------------------------------------------------- */

void tcp_stream_init(struct tcp_stream *s, bool to_server)
{
	memset(s, 0, sizeof(*s));
	s->state = TCP_STREAM_UNSYNCED;
	s->to_server = to_server;
}

void tcp_stream_sync(struct tcp_stream *s, uint32_t next_seq)
{
	if (s->state == TCP_STREAM_UNSYNCED) {
		s->next_seq = next_seq;
		s->state = TCP_STREAM_SYNCED;
	}
}

bool tcp_stream_plausible_start(const uint8_t *p, size_t len, bool to_server)
{
	enum { OFF_FLAGS = 2, OFF_QD = 4, OFF_AN = 6, OFF_NS = 8, OFF_AR = 10 };
	enum { MIN_QUESTION = 5, MIN_RR = 11 }; /* root name + fixed fields */
	if (len < TCP_DNS_LEN_PREFIX + TCP_DNS_HEADER_LEN)
		return false;
	uint32_t mlen = wire_read_u16(p);
	if (mlen < TCP_DNS_HEADER_LEN)
		return false;
	const uint8_t *h = p + TCP_DNS_LEN_PREFIX;
	bool qr = (h[OFF_FLAGS] & 0x80) != 0;
	unsigned opcode = (h[OFF_FLAGS] >> 3) & 0x0f;
	if (qr == to_server || opcode == 3 || opcode > 6) /* 0-2, 4-6 are assigned */
		return false;
	uint32_t qd = wire_read_u16(h + OFF_QD);
	uint32_t rrs = (uint32_t)wire_read_u16(h + OFF_AN) + wire_read_u16(h + OFF_NS) +
	               wire_read_u16(h + OFF_AR);
	if (qd > 1)
		return false;
	return (uint64_t)qd * MIN_QUESTION + (uint64_t)rrs * MIN_RR <= mlen - TCP_DNS_HEADER_LEN;
}

int tcp_stream_push(struct tcp_stream *s, struct tcp_stream_env *env, uint32_t seq,
                    const uint8_t *p, uint32_t len, uint32_t lost,
                    const struct tcp_stream_sink *sink)
{
	if (s->state == TCP_STREAM_DEAD || s->state == TCP_STREAM_DONE)
		return TCP_PUSH_IGNORED;
	if (len == 0 && lost == 0)
		return TCP_PUSH_IGNORED;
	if (s->state == TCP_STREAM_UNSYNCED) {
		if (!tcp_stream_plausible_start(p, len, s->to_server))
			return TCP_PUSH_UNSYNCED;
		tcp_stream_sync(s, seq);
	}

	int rc = TCP_PUSH_RETRANS;
	uint32_t wire_end = seq + len + lost;
	if (len > 0 && seq_lt(s->next_seq, seq + len)) {
		if (seq_lt(seq, s->next_seq)) { /* overlap: keep only the new bytes */
			uint32_t old = s->next_seq - seq;
			p += old;
			len -= old;
			seq = s->next_seq;
		}
		if (seq == s->next_seq) {
			s->next_seq += len;
			if (s->buf && s->buf->nranges > 0)
				rc = fill_gap(s, env, p, len, sink);
			else
				rc = append_in_order(s, env, p, len, sink);
			if (rc == 0)
				rc = TCP_PUSH_ACCEPTED;
		} else {
			rc = store_ahead(s, env, seq, p, len);
		}
	}
	if (rc >= 0 && lost > 0 && seq_lt(s->next_seq, wire_end))
		rc = DCV_E_TCP_GAP;
	if (rc < 0) {
		kill_stream(s, env);
		return rc;
	}
	/* an emptied large buffer goes back to the budget */
	if (s->buf && s->pend == 0 && s->buf->nranges == 0 && s->buf->cap > TCP_STREAM_KEEP_BYTES)
		free_buf(s, env);
	assert(assert_stream_ok(s, env));
	return rc;
}

bool tcp_stream_has_gap(const struct tcp_stream *s)
{
	return s->buf != NULL && s->buf->nranges > 0;
}

int tcp_stream_finish(struct tcp_stream *s, struct tcp_stream_env *env)
{
	bool gap = (s->state == TCP_STREAM_SYNCED) && tcp_stream_has_gap(s);
	free_buf(s, env);
	if (s->state != TCP_STREAM_DEAD)
		s->state = TCP_STREAM_DONE;
	return gap ? DCV_E_TCP_GAP : 0;
}

void tcp_stream_release(struct tcp_stream *s, struct tcp_stream_env *env)
{
	free_buf(s, env);
}
