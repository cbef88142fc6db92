/* ip_frag.c - fragment reassembly table (see ip_frag.h for invariants and memory bound). */
#include "ip_frag.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "dcv_error.h"
#include "hash.h"

enum {
	FRAG_NONE = UINT32_MAX, /* "no slot" in the age list and free list */
	FRAG_BUF_STEP = 2048,   /* buffers grow in steps of this many bytes */
	FRAG_BUF_MAX = 65536,   /* no fragmentable part is longer */
};

struct frag_piece {
	uint32_t off;       /* first byte */
	uint32_t avail_end; /* end of the bytes held in buf */
	uint32_t wire_end;  /* end the header claims */
};

struct frag_dgram {
	struct frag_key key;
	uint64_t first_ts; /* arrival of the first fragment seen: drives expiry */
	uint32_t hnext;    /* next slot in the hash chain, FRAG_NONE at the end */
	uint32_t older;    /* age list neighbours */
	uint32_t newer;
	uint32_t total;  /* length of the fragmentable part, once have_last */
	uint32_t frames; /* fragment frames absorbed, duplicates included */
	uint8_t *buf;    /* fragment data at its offset; buf_cap bytes */
	uint32_t buf_cap;
	uint8_t npieces;
	uint8_t nh;     /* next header of the offset-0 fragment */
	bool have_last; /* the fragment without "more fragments" arrived */
	bool in_use;
	struct frag_piece pieces[DECODE_FRAG_MAX_FRAGS];
};

struct frag_table {
	struct frag_dgram *slots; /* max_datagrams entries */
	uint32_t *buckets;        /* heads of hash chains, FRAG_NONE if empty */
	uint32_t bucket_mask;
	uint32_t max_datagrams;
	uint32_t count;     /* slots in use */
	uint32_t free_head; /* free slots chained through hnext */
	uint32_t oldest;    /* age list head */
	uint32_t newest;    /* age list tail */
	uint64_t timeout_ns;
	size_t max_bytes;
	size_t bytes; /* sum of buf_cap over slots in use */
	uint64_t seed;
	struct decoder_stats *stats;
	uint8_t out[FRAG_BUF_MAX]; /* the last completed datagram */
};

#ifndef NDEBUG
/* Checks invariants 1, 2 (as far as ordering of ages), 3 and 4 of ip_frag.h. */
static bool frag_table_assert_ok(const struct frag_table *t)
{
	uint32_t n = 0;
	size_t bytes = 0;
	for (uint32_t i = t->oldest; i != FRAG_NONE; i = t->slots[i].newer) {
		const struct frag_dgram *g = &t->slots[i];
		if (!g->in_use || n++ > t->count)
			return false;
		bytes += g->buf_cap;
		for (unsigned j = 0; j < g->npieces; j++) {
			const struct frag_piece *pc = &g->pieces[j];
			if (pc->avail_end < pc->off || pc->wire_end < pc->avail_end ||
			    pc->wire_end == pc->off ||
			    (pc->avail_end > pc->off && pc->avail_end > g->buf_cap))
				return false;
			if (j > 0 && g->pieces[j - 1].off > pc->off)
				return false;
			if (g->have_last && pc->wire_end > g->total)
				return false;
		}
	}
	return n == t->count && bytes == t->bytes && bytes <= t->max_bytes;
}
#endif

static uint32_t frag_bucket(const struct frag_table *t, const struct frag_key *k)
{
	return (uint32_t)dcv_hash_table(k, sizeof(*k), t->seed) & t->bucket_mask;
}

struct frag_table *frag_table_new(uint32_t max_datagrams, uint64_t timeout_ns, size_t max_bytes,
                                  uint64_t seed, struct decoder_stats *stats)
{
	if (max_datagrams == 0)
		max_datagrams = DECODE_FRAG_MAX_DATAGRAMS_DEFAULT;
	if (timeout_ns == 0)
		timeout_ns = (uint64_t)DECODE_FRAG_TIMEOUT_MS_DEFAULT * 1000000u;
	if (max_bytes == 0)
		max_bytes = DECODE_FRAG_MAX_BYTES_DEFAULT;
	if (max_bytes < DECODE_FRAG_MAX_BYTES_MIN)
		max_bytes = DECODE_FRAG_MAX_BYTES_MIN;
	uint32_t nb = 1;
	while (nb < max_datagrams && nb < (1u << 31))
		nb <<= 1;

	struct frag_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slots = calloc(max_datagrams, sizeof(*t->slots));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	if (t->slots == NULL || t->buckets == NULL) {
		free(t->slots);
		free(t->buckets);
		free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		t->buckets[i] = FRAG_NONE;
	for (uint32_t i = 0; i < max_datagrams; i++)
		t->slots[i].hnext = i + 1 < max_datagrams ? i + 1 : FRAG_NONE;
	t->free_head = 0;
	t->bucket_mask = nb - 1;
	t->max_datagrams = max_datagrams;
	t->oldest = t->newest = FRAG_NONE;
	t->timeout_ns = timeout_ns;
	t->max_bytes = max_bytes;
	t->seed = seed;
	t->stats = stats;
	return t;
}

void frag_table_free(struct frag_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->max_datagrams; i++)
		free(t->slots[i].buf);
	free(t->slots);
	free(t->buckets);
	free(t);
}

uint32_t frag_table_count(const struct frag_table *t)
{
	return t->count;
}

/* Unlinks slot i from its chain and the age list, frees its data, and returns it to the free list.
 */
static void frag_remove(struct frag_table *t, uint32_t i)
{
	struct frag_dgram *g = &t->slots[i];
	uint32_t *pp = &t->buckets[frag_bucket(t, &g->key)];
	while (*pp != i)
		pp = &t->slots[*pp].hnext;
	*pp = g->hnext;

	if (g->older != FRAG_NONE)
		t->slots[g->older].newer = g->newer;
	else
		t->oldest = g->newer;
	if (g->newer != FRAG_NONE)
		t->slots[g->newer].older = g->older;
	else
		t->newest = g->older;

	free(g->buf);
	t->bytes -= g->buf_cap;
	g->buf = NULL;
	g->buf_cap = 0;
	g->in_use = false;
	g->hnext = t->free_head;
	t->free_head = i;
	t->count--;
}

/* Drops the oldest datagram other than keep to make room; counts it as evicted. */
static bool frag_evict_oldest(struct frag_table *t, uint32_t keep)
{
	uint32_t i = t->oldest;
	if (i == keep && i != FRAG_NONE)
		i = t->slots[i].newer;
	if (i == FRAG_NONE)
		return false;
	t->stats->frag_evicted++;
	t->stats->frag_expired_fragments += t->slots[i].frames;
	frag_remove(t, i);
	return true;
}

/* Drops datagram i because the fragment at hand made it invalid. */
static void frag_drop(struct frag_table *t, uint32_t i)
{
	t->stats->frag_dropped++;
	t->stats->frag_dropped_fragments += t->slots[i].frames;
	frag_remove(t, i);
}

unsigned frag_table_expire(struct frag_table *t, uint64_t now_ns)
{
	unsigned n = 0;
	while (t->oldest != FRAG_NONE) {
		struct frag_dgram *g = &t->slots[t->oldest];
		/* timestamps going backwards expire nothing */
		if (now_ns <= g->first_ts || now_ns - g->first_ts <= t->timeout_ns)
			break;
		t->stats->frag_expired++;
		t->stats->frag_expired_fragments += g->frames;
		frag_remove(t, t->oldest);
		n++;
	}
	return n;
}

/* The contiguous captured prefix of g, from offset 0. */
static uint32_t frag_prefix(const struct frag_dgram *g)
{
	uint32_t have = 0;
	for (unsigned j = 0; j < g->npieces && g->pieces[j].off <= have; j++)
		if (g->pieces[j].avail_end > have)
			have = g->pieces[j].avail_end;
	return have;
}

int frag_table_take_partial(struct frag_table *t, uint64_t now_ns, uint64_t after_ns,
                            struct frag_key *key, struct frag_out *out, uint64_t *first_ts)
{
	for (uint32_t i = t->oldest; i != FRAG_NONE; i = t->slots[i].newer) {
		const struct frag_dgram *g = &t->slots[i];
		/* the age list is in arrival order: the rest is younger */
		if (now_ns <= g->first_ts || now_ns - g->first_ts <= after_ns)
			break;
		bool udp =
		    g->key.proto == DCV_PROTO_UDP || (g->key.proto == 0 && g->nh == DCV_PROTO_UDP);
		if (!udp || g->npieces == 0 || g->pieces[0].off != 0)
			continue;
		uint32_t have = frag_prefix(g);
		if (have < 8) /* a UDP header */
			continue;
		uint32_t wire = g->total;
		for (unsigned j = 0; !g->have_last && j < g->npieces; j++)
			if (g->pieces[j].wire_end > wire)
				wire = g->pieces[j].wire_end;
		memcpy(t->out, g->buf, have);
		out->data = t->out;
		out->len = have;
		out->wire_len = wire;
		out->nh = g->nh;
		*key = g->key;
		*first_ts = g->first_ts;
		t->stats->frag_partial++;
		frag_remove(t, i);
		return FRAG_DONE;
	}
	return FRAG_PENDING;
}

static uint32_t frag_lookup(struct frag_table *t, const struct frag_key *k, uint32_t b)
{
	for (uint32_t i = t->buckets[b]; i != FRAG_NONE; i = t->slots[i].hnext)
		if (memcmp(&t->slots[i].key, k, sizeof(*k)) == 0)
			return i;
	return FRAG_NONE;
}

/* Takes a free slot (evicting the oldest datagram when none is free) and links it in. */
static uint32_t frag_create(struct frag_table *t, const struct frag_key *k, uint64_t ts_ns)
{
	if (t->free_head == FRAG_NONE)
		frag_evict_oldest(t, FRAG_NONE);
	uint32_t i = t->free_head;
	struct frag_dgram *g = &t->slots[i];
	t->free_head = g->hnext;
	uint32_t b = frag_bucket(t, k);
	g->key = *k;
	g->first_ts = ts_ns;
	g->hnext = t->buckets[b];
	t->buckets[b] = i;
	g->older = t->newest;
	g->newer = FRAG_NONE;
	if (t->newest != FRAG_NONE)
		t->slots[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
	g->total = 0;
	g->frames = 0;
	g->npieces = 0;
	g->nh = 0;
	g->have_last = false;
	g->in_use = true;
	t->count++;
	return i;
}

/* Makes buf of slot i hold at least need bytes, within the byte budget. */
static int frag_reserve(struct frag_table *t, uint32_t i, uint32_t need)
{
	struct frag_dgram *g = &t->slots[i];
	if (need <= g->buf_cap)
		return 0;
	uint32_t cap = (need + FRAG_BUF_STEP - 1) / FRAG_BUF_STEP * FRAG_BUF_STEP;
	if (cap < g->buf_cap * 2)
		cap = g->buf_cap * 2;
	if (cap > FRAG_BUF_MAX)
		cap = FRAG_BUF_MAX;
	/* budget: older datagrams go first; max_bytes >= FRAG_BUF_MAX keeps one always possible */
	while (t->bytes - g->buf_cap + cap > t->max_bytes)
		if (!frag_evict_oldest(t, i))
			return DCV_ENOMEM;
	uint8_t *nb = realloc(g->buf, cap);
	if (nb == NULL)
		return DCV_ENOMEM;
	t->bytes += cap - g->buf_cap;
	g->buf = nb;
	g->buf_cap = cap;
	return 0;
}

/* Returns FRAG_DONE when [0, total) is covered; sets *avail to the contiguous captured prefix. */
static int frag_complete(const struct frag_dgram *g, uint32_t *avail)
{
	if (!g->have_last)
		return FRAG_PENDING;
	uint32_t wire = 0, have = 0;
	bool have_gap = false;
	for (unsigned j = 0; j < g->npieces; j++) {
		const struct frag_piece *pc = &g->pieces[j];
		if (pc->off > wire)
			return FRAG_PENDING;
		if (pc->wire_end > wire)
			wire = pc->wire_end;
		if (pc->off > have)
			have_gap = true;
		if (!have_gap && pc->avail_end > have)
			have = pc->avail_end;
	}
	if (wire < g->total)
		return FRAG_PENDING;
	*avail = have;
	return FRAG_DONE;
}

int frag_table_add(struct frag_table *t, const struct frag_key *k, uint64_t ts_ns,
                   const struct frag_in *in, struct frag_out *out)
{
	/* The fragment alone: checked before the table is touched. */
	if (in->wire_len == 0 || in->len > in->wire_len)
		return DCV_E_FRAG_OFFSET;
	/* RFC 791 / RFC 8200 4.5: all but the last fragment carry multiples of 8 bytes */
	if (in->more && in->wire_len % 8 != 0)
		return DCV_E_FRAG_OFFSET;
	uint32_t end = in->off + in->wire_len;
	if (end > in->max_end || end > FRAG_BUF_MAX)
		return DCV_E_FRAG_TOO_BIG;
	uint32_t avail_end = in->off + in->len;

	uint32_t b = frag_bucket(t, k);
	uint32_t i = frag_lookup(t, k, b);
	if (i == FRAG_NONE)
		i = frag_create(t, k, ts_ns);
	struct frag_dgram *g = &t->slots[i];

	/* Against what the datagram already holds. */
	if (!in->more) {
		if (g->have_last && g->total != end)
			goto bad_offset; /* two different ends */
		for (unsigned j = 0; j < g->npieces; j++)
			if (g->pieces[j].wire_end > end)
				goto bad_offset; /* data beyond the end */
	} else if (g->have_last && end > g->total) {
		goto bad_offset;
	}
	bool duplicate = false;
	for (unsigned j = 0; j < g->npieces; j++) {
		const struct frag_piece *pc = &g->pieces[j];
		uint32_t lo = in->off > pc->off ? in->off : pc->off;
		uint32_t hi = avail_end < pc->avail_end ? avail_end : pc->avail_end;
		if (lo < hi && memcmp(g->buf + lo, in->data + (lo - in->off), hi - lo) != 0) {
			frag_drop(t, i);
			return DCV_E_FRAG_OVERLAP;
		}
		if (pc->off <= in->off && end <= pc->wire_end && avail_end <= pc->avail_end)
			duplicate = true;
	}
	if (!duplicate) {
		if (g->npieces == DECODE_FRAG_MAX_FRAGS) {
			frag_drop(t, i);
			return DCV_E_FRAG_TOO_MANY;
		}
		if (in->len > 0) {
			int rc = frag_reserve(t, i, avail_end);
			if (rc < 0) {
				frag_drop(t, i);
				return rc;
			}
			memcpy(g->buf + in->off, in->data, in->len);
		}
		unsigned j = g->npieces;
		while (j > 0 && g->pieces[j - 1].off > in->off) {
			g->pieces[j] = g->pieces[j - 1];
			j--;
		}
		g->pieces[j] = (struct frag_piece){in->off, avail_end, end};
		g->npieces++;
	}
	g->frames++;
	if (in->off == 0)
		g->nh = in->nh;
	if (!in->more) {
		g->have_last = true;
		g->total = end;
	}
	assert(frag_table_assert_ok(t));

	uint32_t avail;
	if (frag_complete(g, &avail) != FRAG_DONE)
		return FRAG_PENDING;
	if (avail > 0)
		memcpy(t->out, g->buf, avail);
	out->data = t->out;
	out->len = avail;
	out->wire_len = g->total;
	out->nh = g->nh;
	t->stats->reassembled++;
	frag_remove(t, i);
	return FRAG_DONE;

bad_offset:
	frag_drop(t, i);
	return DCV_E_FRAG_OFFSET;
}
