/*
 * txn.c - pending-query table.
 *
 * Invariants:
 *  1. Every open transaction is in one hash chain and in the FIFO, which is
 *     in query-time order of insertion; expiry pops from the FIFO head.
 *  2. open + free == max_pending.
 * Capture time that steps backwards (files given out of order) only delays
 * expiry; it never reports a transaction twice.
 */
#include "txn.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "big_table.h"
#include "hash.h"

#define TXN_NIL UINT32_MAX

/* Hash chains a new table starts with. The chain heads grow with the open
 * transactions (twice as many heads once there are more open than heads),
 * up to twice max_pending: a server with a few hundred queries in flight
 * keeps its heads in the CPU cache instead of missing it on every query
 * and response. */
#define TXN_HEADS_MIN 4096u

/* What a chain walk reads (hash, link, the key but the name) leads the
 * entry, in its first cache line: a step past a different transaction
 * costs one line. */
struct txn_entry {
	uint64_t hash;
	uint32_t chain_next;
	uint16_t client_port, server_port;
	uint16_t id, qtype;
	uint16_t qname_len; /* full length of the name */
	uint8_t transport;
	uint8_t kept; /* its list: LIST_OPEN, or LIST_KEPT (txn_set_keep()) */
	struct dcv_addr client, server;
	uint32_t fifo_prev, fifo_next;
	struct txn_query_info qi;
	uint64_t query_ts_ns;
	uint32_t retransmits;
	char qname[TXN_QNAME_KEEP + 1];
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct txn_entry, server) + sizeof(struct dcv_addr) <= 64,
               "a chain step must read one cache line");

/* Entries linked through fifo_prev/fifo_next, oldest first. */
struct txn_list {
	uint32_t head, tail;
};

enum { LIST_OPEN, LIST_KEPT };

struct txn_table {
	struct txn_config cfg;
	uint64_t timeout_ns;
	txn_done_fn done;
	void *ctx;
	uint64_t seed;
	struct txn_entry *entries;
	uint32_t *heads;
	uint32_t head_mask;
	uint32_t heads_max; /* the most heads the table grows to */
	uint32_t open;      /* transactions in the chains */
	uint32_t free_head; /* freed entries linked through chain_next */
	uint32_t fresh;     /* entries [fresh, max_pending) were never used: free
	                       without being linked, so a new table touches none
	                       of their pages */
	/* open queries, oldest first: list[LIST_OPEN], and those passed over
	 * for eviction, list[LIST_KEPT] */
	struct txn_list list[2];
	uint32_t kept_open; /* on list[LIST_KEPT] */
	txn_keep_fn keep;
	void *keep_ctx;
	struct txn_stats stats;
};

struct txn_table *txn_new(const struct txn_config *cfg, txn_done_fn done, void *ctx)
{
	struct txn_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (cfg != NULL)
		t->cfg = *cfg;
	if (t->cfg.timeout_ms == 0)
		t->cfg.timeout_ms = TXN_TIMEOUT_MS_DEFAULT;
	if (t->cfg.max_pending == 0)
		t->cfg.max_pending = TXN_MAX_PENDING_DEFAULT;
	t->timeout_ns = (uint64_t)t->cfg.timeout_ms * 1000000ULL;
	t->done = done;
	t->ctx = ctx;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ 0x2545f4914f6cdd1dULL;

	uint32_t nheads = 1;
	while (nheads < t->cfg.max_pending * 2u && nheads < (1u << 31))
		nheads <<= 1;
	t->heads_max = nheads;
	if (nheads > TXN_HEADS_MIN)
		nheads = TXN_HEADS_MIN;
	t->head_mask = nheads - 1;
	t->entries = big_table_alloc((size_t)t->cfg.max_pending * sizeof(*t->entries));
	t->heads = malloc((size_t)nheads * sizeof(*t->heads));
	if (t->entries == NULL || t->heads == NULL) {
		txn_free(t);
		return NULL;
	}
	memset(t->heads, 0xff, (size_t)nheads * sizeof(*t->heads));
	t->free_head = TXN_NIL;
	t->fresh = 0;
	for (int l = LIST_OPEN; l <= LIST_KEPT; l++)
		t->list[l].head = t->list[l].tail = TXN_NIL;
	return t;
}

void txn_set_keep(struct txn_table *t, txn_keep_fn keep, void *ctx)
{
	t->keep = keep;
	t->keep_ctx = ctx;
}

void txn_free(struct txn_table *t)
{
	if (t == NULL)
		return;
	big_table_free(t->entries, (size_t)t->cfg.max_pending * sizeof(*t->entries));
	free(t->heads);
	free(t);
}

/* Doubles the chain heads and relinks every open transaction (walking the
 * FIFO and the kept list). Without memory for it the table keeps its
 * heads: longer chains, same results. */
static void grow_heads(struct txn_table *t)
{
	uint32_t nheads = (t->head_mask + 1) * 2;
	uint32_t *heads = malloc((size_t)nheads * sizeof(*heads));
	if (heads == NULL)
		return;
	memset(heads, 0xff, (size_t)nheads * sizeof(*heads));
	for (int l = LIST_OPEN; l <= LIST_KEPT; l++)
		for (uint32_t i = t->list[l].head; i != TXN_NIL; i = t->entries[i].fifo_next) {
			uint32_t *head = &heads[t->entries[i].hash & (nheads - 1)];
			t->entries[i].chain_next = *head;
			*head = i;
		}
	free(t->heads);
	t->heads = heads;
	t->head_mask = nheads - 1;
}

uint64_t txn_key_hash(const struct txn_table *t, const struct txn_key *k)
{
	/* three independent hashes, so that the multiplies overlap */
	uint64_t small = (uint64_t)k->client_port << 48 | (uint64_t)k->server_port << 32 |
	                 (uint64_t)k->id << 16 | k->qtype;
	size_t n = k->qname_len < TXN_QNAME_KEEP ? k->qname_len : TXN_QNAME_KEEP;
	uint64_t hc = dcv_addr_hash(&k->client, t->seed);
	uint64_t hs = dcv_addr_hash(&k->server, ~t->seed);
	uint64_t hn = dcv_hash_table(k->qname, n, t->seed ^ small ^ ((uint64_t)k->transport << 63));
	return dcv_hash_mix(hc ^ (hs << 17 | hs >> 47) ^ hn);
}

void txn_prefetch(const struct txn_table *t, uint64_t h)
{
	__builtin_prefetch(&t->heads[h & t->head_mask]);
}

void txn_prefetch_entry(const struct txn_table *t, uint64_t h)
{
	uint32_t i = t->heads[h & t->head_mask];
	if (i == TXN_NIL)
		return;
	/* the key, then the name a match compares */
	const char *e = (const char *)&t->entries[i];
	__builtin_prefetch(e, 1);
	__builtin_prefetch(e + 64, 1);
}

static bool entry_matches(const struct txn_entry *e, uint64_t h, const struct txn_key *k)
{
	size_t n = k->qname_len < TXN_QNAME_KEEP ? k->qname_len : TXN_QNAME_KEEP;
	return e->hash == h && e->id == k->id && e->qtype == k->qtype &&
	       e->client_port == k->client_port && e->server_port == k->server_port &&
	       e->transport == (uint8_t)k->transport && e->qname_len == k->qname_len &&
	       dcv_addr_equal(&e->client, &k->client) && dcv_addr_equal(&e->server, &k->server) &&
	       memcmp(e->qname, k->qname, n) == 0;
}

static uint32_t *find_link(struct txn_table *t, uint64_t h, const struct txn_key *k)
{
	uint32_t *link = &t->heads[h & t->head_mask];
	while (*link != TXN_NIL) {
		if (entry_matches(&t->entries[*link], h, k))
			return link;
		link = &t->entries[*link].chain_next;
	}
	return link;
}

/* Unlinks entry i from its list (e->kept says which). */
static void list_unlink(struct txn_table *t, uint32_t i)
{
	struct txn_entry *e = &t->entries[i];
	struct txn_list *l = &t->list[e->kept];
	if (e->fifo_prev != TXN_NIL)
		t->entries[e->fifo_prev].fifo_next = e->fifo_next;
	else
		l->head = e->fifo_next;
	if (e->fifo_next != TXN_NIL)
		t->entries[e->fifo_next].fifo_prev = e->fifo_prev;
	else
		l->tail = e->fifo_prev;
}

/* Appends entry i to the end of its list (e->kept says which). */
static void list_append(struct txn_table *t, uint32_t i)
{
	struct txn_entry *e = &t->entries[i];
	struct txn_list *l = &t->list[e->kept];
	e->fifo_next = TXN_NIL;
	e->fifo_prev = l->tail;
	if (l->tail != TXN_NIL)
		t->entries[l->tail].fifo_next = i;
	else
		l->head = i;
	l->tail = i;
}

/* Remove entry i (whose chain link is *link) from the chain and its list. */
static void release(struct txn_table *t, uint32_t *link, uint32_t i)
{
	struct txn_entry *e = &t->entries[i];
	*link = e->chain_next;
	list_unlink(t, i);
	if (e->kept == LIST_KEPT)
		t->kept_open--;
	e->chain_next = t->free_head;
	t->free_head = i;
	t->open--;
}

static uint32_t *chain_link_of(struct txn_table *t, uint32_t i)
{
	uint32_t *link = &t->heads[t->entries[i].hash & t->head_mask];
	while (*link != i)
		link = &t->entries[*link].chain_next;
	return link;
}

/* The key of entry e (its name cut to TXN_QNAME_KEEP bytes). */
static struct txn_key key_of(const struct txn_entry *e)
{
	return (struct txn_key){
	    .client = e->client,
	    .server = e->server,
	    .client_port = e->client_port,
	    .server_port = e->server_port,
	    .id = e->id,
	    .qtype = e->qtype,
	    .transport = (enum dcv_transport)e->transport,
	    .qname = e->qname,
	    .qname_len = e->qname_len < TXN_QNAME_KEEP ? e->qname_len : TXN_QNAME_KEEP,
	};
}

static void report(struct txn_table *t, const struct txn_entry *e, uint64_t end_ns,
                   const struct txn_answer_info *ai)
{
	if (t->done == NULL)
		return;
	struct txn_key k = key_of(e);
	struct txn_result r = {
	    .key = &k,
	    .query_ts_ns = e->query_ts_ns,
	    .end_ts_ns = end_ns,
	    .retransmits = e->retransmits,
	    .query = e->qi,
	    .rcode = ai->rcode,
	    .tc = ai->tc,
	    .answers = ai->answers,
	    .answer_ttl = ai->ttl,
	};
	t->done(t->ctx, &r);
}

/* Makes room for one open query in a full table: the oldest goes,
 * unjudged; while it is one to keep and the kept list has room, it moves
 * there and the next oldest is looked at instead. */
static void evict_one(struct txn_table *t)
{
	uint32_t kept_max = t->cfg.max_pending / TXN_KEPT_SHARE;
	struct txn_list *open = &t->list[LIST_OPEN];
	while (t->keep != NULL && open->head != TXN_NIL && t->kept_open < kept_max) {
		uint32_t i = open->head;
		struct txn_key k = key_of(&t->entries[i]);
		if (!t->keep(t->keep_ctx, &k))
			break;
		list_unlink(t, i);
		t->entries[i].kept = LIST_KEPT;
		list_append(t, i);
		t->kept_open++;
		t->stats.kept++;
	}
	uint32_t old = open->head != TXN_NIL ? open->head : t->list[LIST_KEPT].head;
	release(t, chain_link_of(t, old), old);
	t->stats.evicted++;
}

bool txn_query(struct txn_table *t, const struct txn_key *k, uint64_t ts_ns,
               const struct txn_query_info *qi)
{
	if (t->open * 2 >= t->head_mask + 1 && t->head_mask + 1 < t->heads_max)
		grow_heads(t);
	uint64_t h = txn_key_hash(t, k);
	uint32_t *link = find_link(t, h, k);
	if (*link != TXN_NIL) {
		t->entries[*link].retransmits++;
		t->stats.retransmits++;
		return true;
	}
	if (t->free_head == TXN_NIL && t->fresh == t->cfg.max_pending) {
		evict_one(t);
		link = find_link(t, h, k); /* the chain may have changed */
	}
	uint32_t i;
	if (t->free_head != TXN_NIL) {
		i = t->free_head;
		t->free_head = t->entries[i].chain_next;
	} else {
		i = t->fresh++;
	}
	struct txn_entry *e = &t->entries[i];
	e->client = k->client;
	e->server = k->server;
	e->client_port = k->client_port;
	e->server_port = k->server_port;
	e->id = k->id;
	e->qtype = k->qtype;
	e->transport = (uint8_t)k->transport;
	if (qi != NULL)
		e->qi = *qi;
	else
		memset(&e->qi, 0, sizeof(e->qi));
	e->qname_len = k->qname_len;
	size_t n = k->qname_len < TXN_QNAME_KEEP ? k->qname_len : TXN_QNAME_KEEP;
	memcpy(e->qname, k->qname, n);
	e->qname[n] = '\0';
	e->hash = h;
	e->query_ts_ns = ts_ns;
	e->retransmits = 0;
	e->chain_next = TXN_NIL;
	*link = i;
	t->open++;
	e->kept = LIST_OPEN;
	list_append(t, i);
	return false;
}

bool txn_response(struct txn_table *t, const struct txn_key *k, uint64_t ts_ns,
                  const struct txn_answer_info *ai)
{
	uint64_t h = txn_key_hash(t, k);
	uint32_t *link = find_link(t, h, k);
	if (*link == TXN_NIL) {
		t->stats.unmatched_responses++;
		return false;
	}
	uint32_t i = *link;
	t->stats.answered++;
	report(t, &t->entries[i], ts_ns, ai);
	release(t, link, i);
	return true;
}

/* The older of the two lists' first entries, TXN_NIL when both are empty:
 * both lists are in time order, so this is the oldest open query. */
static uint32_t oldest(const struct txn_table *t)
{
	uint32_t f = t->list[LIST_OPEN].head, k = t->list[LIST_KEPT].head;
	if (k == TXN_NIL)
		return f;
	if (f == TXN_NIL || t->entries[k].query_ts_ns < t->entries[f].query_ts_ns)
		return k;
	return f;
}

void txn_expire(struct txn_table *t, uint64_t now_ns)
{
	for (uint32_t i = oldest(t); i != TXN_NIL; i = oldest(t)) {
		const struct txn_entry *e = &t->entries[i];
		if (e->query_ts_ns + t->timeout_ns > now_ns)
			break;
		t->stats.unanswered++;
		static const struct txn_answer_info none = {.rcode = -1, .ttl = UINT32_MAX};
		report(t, e, e->query_ts_ns + t->timeout_ns, &none);
		release(t, chain_link_of(t, i), i);
	}
}

void txn_finish(struct txn_table *t, uint64_t last_ns)
{
	txn_expire(t, last_ns);
	for (uint32_t i = oldest(t); i != TXN_NIL; i = oldest(t)) {
		t->stats.pending_at_end++;
		release(t, chain_link_of(t, i), i);
	}
}

const struct txn_stats *txn_get_stats(const struct txn_table *t)
{
	return &t->stats;
}
