/*
 * agg.c - per-source bucket table.
 *
 * Invariants (checked by assert_agg_ok() in debug builds):
 *  1. Every used entry is in exactly one hash chain and in the FIFO list.
 *  2. The FIFO list is in creation order, so its head is the oldest entry;
 *     since capture time mostly moves forward, it is also (nearly) the
 *     entry whose bucket ends first. agg_advance() stops at the first entry
 *     that is still open, so an out-of-order timestamp delays an emit but
 *     never loses a row.
 *  3. used + free == max_entries.
 */
#include "agg.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "big_table.h"
#include "hash.h"

#define AGG_NIL UINT32_MAX

/* Hash chains a new table starts with; they double whenever more entries
 * are in use than there are heads, up to twice max_entries. A server with a
 * few thousand active sources keeps its heads in the CPU cache. */
#define AGG_HEADS_MIN 4096u

/* The fields a lookup compares (hash, chain link, and the row's source and
 * bucket start, which lead struct source_bucket) share the entry's first
 * cache line: walking a chain costs one line per entry. */
struct agg_entry {
	uint64_t hash;
	uint32_t chain_next; /* next entry in the hash chain */
	uint32_t fifo_prev, fifo_next;
	struct source_bucket row; /* row pointers convert back with entry_of() */
	struct source_second sec; /* the current second: queries, responses by rcode;
	                     sec.second_ns is the second, sec.source unused */
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct agg_entry, row) + offsetof(struct source_bucket, bucket_start_ns) +
                       sizeof(uint64_t) <=
                   64,
               "the lookup key must fit the entry's first cache line");

static struct agg_entry *entry_of(struct source_bucket *row)
{
	return (struct agg_entry *)((char *)row - offsetof(struct agg_entry, row));
}

struct agg {
	struct agg_config cfg;
	uint64_t bucket_ns;
	uint64_t cur_start; /* the bucket of the latest time asked about: most
	                       frames fall in it, and need no division */
	agg_emit_fn emit;
	agg_second_fn emit_second;
	void *ctx;
	uint64_t seed;

	struct agg_entry *entries;
	uint32_t *heads; /* hash chains */
	uint32_t head_mask;
	uint32_t heads_max; /* the most heads the table grows to */
	uint32_t free_head; /* freed entries linked through chain_next */
	uint32_t fresh;     /* entries [fresh, max_entries) were never used: they
	                       are free without being linked, so a new table
	                       touches no page of them */
	uint32_t fifo_head, fifo_tail;
	uint32_t used;
	uint32_t last; /* entry of the latest agg_get() (AGG_NIL: none): a
	                  response and its transaction's end hit the same row */

	uint64_t evictions;
	uint64_t emitted;
	int failed; /* an emit returned -1 */
};

#ifndef NDEBUG
static int assert_agg_ok(const struct agg *a)
{
	uint32_t n = 0;
	for (uint32_t i = a->fifo_head; i != AGG_NIL; i = a->entries[i].fifo_next)
		n++;
	uint32_t f = a->cfg.max_entries - a->fresh;
	for (uint32_t i = a->free_head; i != AGG_NIL; i = a->entries[i].chain_next)
		f++;
	return n == a->used && n + f == a->cfg.max_entries;
}
#endif

static uint64_t seed_random(void)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
		s = (uint64_t)(uintptr_t)&s ^ 0x5bd1e995u; /* weaker, still per process */
	return s;
}

struct agg *agg_new(const struct agg_config *cfg, agg_emit_fn emit, agg_second_fn emit_second,
                    void *ctx)
{
	struct agg *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	if (cfg != NULL)
		a->cfg = *cfg;
	if (a->cfg.bucket_len_s == 0)
		a->cfg.bucket_len_s = AGG_BUCKET_LEN_S_DEFAULT;
	if (a->cfg.max_entries == 0)
		a->cfg.max_entries = AGG_MAX_ENTRIES_DEFAULT;
	a->bucket_ns = (uint64_t)a->cfg.bucket_len_s * 1000000000ULL;
	a->emit = emit;
	a->emit_second = emit_second;
	a->ctx = ctx;
	if (a->cfg.second_min_queries == 0)
		a->cfg.second_min_queries = AGG_SECOND_MIN_QUERIES_DEFAULT;
	a->seed = seed_random();

	uint32_t nheads = 1;
	while (nheads < a->cfg.max_entries * 2u && nheads < (1u << 31))
		nheads <<= 1;
	a->heads_max = nheads;
	if (nheads > AGG_HEADS_MIN)
		nheads = AGG_HEADS_MIN;
	a->head_mask = nheads - 1;
	a->entries = big_table_alloc((size_t)a->cfg.max_entries * sizeof(*a->entries));
	a->heads = malloc((size_t)nheads * sizeof(*a->heads));
	if (a->entries == NULL || a->heads == NULL) {
		agg_free(a);
		return NULL;
	}
	memset(a->heads, 0xff, (size_t)nheads * sizeof(*a->heads));
	a->free_head = AGG_NIL;
	a->fresh = 0;
	a->fifo_head = a->fifo_tail = AGG_NIL;
	a->last = AGG_NIL;
	return a;
}

void agg_free(struct agg *a)
{
	if (a == NULL)
		return;
	big_table_free(a->entries, (size_t)a->cfg.max_entries * sizeof(*a->entries));
	free(a->heads);
	free(a);
}

static uint64_t key_hash(const struct agg *a, const struct dcv_addr *src, uint64_t bucket_start)
{
	return dcv_addr_hash(src, a->seed ^ bucket_start);
}

/* Closes the entry's current second: its query count is a peak-QPS
 * candidate, and a busy second is reported. */
static void close_second(struct agg *a, struct agg_entry *e)
{
	if (e->sec.queries > e->row.peak_qps)
		e->row.peak_qps = e->sec.queries;
	if (a->emit_second != NULL && e->sec.queries >= a->cfg.second_min_queries) {
		e->sec.source = e->row.source;
		if (a->emit_second(a->ctx, &e->sec) != 0)
			a->failed = 1;
	}
	memset(&e->sec, 0, sizeof(e->sec));
}

/* Moves the entry to the second of ts_ns, closing the previous one. */
static void enter_second(struct agg *a, struct agg_entry *e, uint64_t ts_ns)
{
	uint64_t second = ts_ns - ts_ns % 1000000000ULL;
	if (second == e->sec.second_ns)
		return;
	close_second(a, e);
	e->sec.second_ns = second;
}

/* Unlink entry i from its hash chain and the FIFO, emit it, free its slot. */
static void emit_entry(struct agg *a, uint32_t i)
{
	struct agg_entry *e = &a->entries[i];
	uint32_t *link = &a->heads[e->hash & a->head_mask];
	while (*link != i)
		link = &a->entries[*link].chain_next;
	*link = e->chain_next;

	if (e->fifo_prev != AGG_NIL)
		a->entries[e->fifo_prev].fifo_next = e->fifo_next;
	else
		a->fifo_head = e->fifo_next;
	if (e->fifo_next != AGG_NIL)
		a->entries[e->fifo_next].fifo_prev = e->fifo_prev;
	else
		a->fifo_tail = e->fifo_prev;

	if (a->last == i)
		a->last = AGG_NIL;
	close_second(a, e);
	if (a->emit != NULL && a->emit(a->ctx, &e->row) != 0)
		a->failed = 1;
	a->emitted++;
	a->used--;
	e->chain_next = a->free_head;
	a->free_head = i;
}

/* Doubles the chain heads and relinks every entry in use (walking the
 * FIFO). Without memory for it the table keeps its heads: longer chains,
 * same rows. */
static void grow_heads(struct agg *a)
{
	uint32_t nheads = (a->head_mask + 1) * 2;
	uint32_t *heads = malloc((size_t)nheads * sizeof(*heads));
	if (heads == NULL)
		return;
	memset(heads, 0xff, (size_t)nheads * sizeof(*heads));
	for (uint32_t i = a->fifo_head; i != AGG_NIL; i = a->entries[i].fifo_next) {
		uint32_t *head = &heads[a->entries[i].hash & (nheads - 1)];
		a->entries[i].chain_next = *head;
		*head = i;
	}
	free(a->heads);
	a->heads = heads;
	a->head_mask = nheads - 1;
}

/* The start of the bucket holding ts_ns. */
static uint64_t bucket_start(struct agg *a, uint64_t ts_ns)
{
	if (ts_ns - a->cur_start >= a->bucket_ns) /* also when ts_ns < cur_start */
		a->cur_start = ts_ns - ts_ns % a->bucket_ns;
	return a->cur_start;
}

uint64_t agg_hash(struct agg *a, const struct dcv_addr *source, uint64_t ts_ns)
{
	return key_hash(a, source, bucket_start(a, ts_ns));
}

void agg_prefetch_head(const struct agg *a, uint64_t h)
{
	__builtin_prefetch(&a->heads[h & a->head_mask]);
}

void agg_prefetch(struct agg *a, const struct dcv_addr *source, uint64_t ts_ns)
{
	agg_prefetch_row(a, agg_hash(a, source, ts_ns));
}

void agg_prefetch_row(const struct agg *a, uint64_t h)
{
	uint32_t i = a->heads[h & a->head_mask];
	if (i != AGG_NIL) {
		/* all of it: a query touches the key, the query counters and the
		 * current second; a response the rcodes, latency and second */
		const char *e = (const char *)&a->entries[i];
		for (size_t off = 0; off < sizeof(struct agg_entry); off += 64)
			__builtin_prefetch(e + off, 1);
	}
}

struct source_bucket *agg_get(struct agg *a, const struct dcv_addr *source, uint64_t ts_ns)
{
	uint64_t start = bucket_start(a, ts_ns);
	if (a->last != AGG_NIL) {
		struct agg_entry *e = &a->entries[a->last];
		if (e->row.bucket_start_ns == start && dcv_addr_equal(&e->row.source, source))
			return &e->row;
	}
	uint64_t h = key_hash(a, source, start);
	for (uint32_t i = a->heads[h & a->head_mask]; i != AGG_NIL; i = a->entries[i].chain_next) {
		struct agg_entry *e = &a->entries[i];
		if (e->hash == h && e->row.bucket_start_ns == start &&
		    dcv_addr_equal(&e->row.source, source)) {
			a->last = i;
			return &e->row;
		}
	}
	if (a->free_head == AGG_NIL && a->fresh == a->cfg.max_entries) {
		emit_entry(a, a->fifo_head); /* full: the oldest goes out early */
		a->evictions++;
	}
	if (a->used * 2 >= a->head_mask + 1 && a->head_mask + 1 < a->heads_max)
		grow_heads(a);
	uint32_t i;
	if (a->free_head != AGG_NIL) {
		i = a->free_head;
		a->free_head = a->entries[i].chain_next;
	} else {
		i = a->fresh++;
	}
	struct agg_entry *e = &a->entries[i];
	memset(e, 0, sizeof(*e));
	e->row.source = *source;
	e->row.bucket_start_ns = start;
	e->row.bucket_len_s = a->cfg.bucket_len_s;
	e->hash = h;
	e->chain_next = a->heads[h & a->head_mask];
	a->heads[h & a->head_mask] = i;
	e->fifo_next = AGG_NIL;
	e->fifo_prev = a->fifo_tail;
	if (a->fifo_tail != AGG_NIL)
		a->entries[a->fifo_tail].fifo_next = i;
	else
		a->fifo_head = i;
	a->fifo_tail = i;
	a->used++;
	a->last = i;
	assert(a->used <= a->cfg.max_entries);
	return &e->row;
}

void agg_count_query(struct agg *a, struct source_bucket *row, uint64_t ts_ns)
{
	struct agg_entry *e = entry_of(row);
	row->queries++;
	enter_second(a, e, ts_ns);
	e->sec.queries++;
}

void agg_count_response(struct agg *a, struct source_bucket *row, uint64_t ts_ns, unsigned rcode,
                        bool tc)
{
	struct agg_entry *e = entry_of(row);
	enum rcode_slot slot = rcode_slot_of(rcode);
	row->responses++;
	row->rcode[slot]++;
	enter_second(a, e, ts_ns);
	e->sec.responses++;
	e->sec.rcode[slot]++;
	if (tc) {
		row->truncated++;
		e->sec.truncated++;
	}
}

int agg_advance(struct agg *a, uint64_t now_ns)
{
	while (a->fifo_head != AGG_NIL) {
		const struct agg_entry *e = &a->entries[a->fifo_head];
		if (e->row.bucket_start_ns + a->bucket_ns + a->cfg.grace_ns > now_ns)
			break;
		emit_entry(a, a->fifo_head);
	}
	assert(assert_agg_ok(a));
	return a->failed ? -1 : 0;
}

int agg_flush(struct agg *a)
{
	while (a->fifo_head != AGG_NIL)
		emit_entry(a, a->fifo_head);
	return a->failed ? -1 : 0;
}

uint64_t agg_evictions(const struct agg *a)
{
	return a->evictions;
}

uint64_t agg_rows_emitted(const struct agg *a)
{
	return a->emitted;
}
