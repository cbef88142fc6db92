/*
 * mpic_source.c - candidate validator sources: the bounded table, the
 * query-count sketch that remembers every source's volume cheaply, and the
 * confidence verdict over a source's whole history.
 *
 * Invariants:
 *  1. A used entry is in exactly one hash chain; used + free-list + (max -
 *     high) == max.
 *  2. Only sources that sent a validation-shaped query get an entry; every
 *     other source costs two sketch counters and nothing else.
 *  3. prior is the sketch estimate when the entry was made (an upper bound
 *     of the queries the source sent before, fading by halving), so that
 *     prior + ordinary + related covers the source's whole recent history.
 *
 * Confidence (research 1 "classify primarily on query shape", 2.1, 4):
 *   LISTED  listed in the range table;
 *   NONE    no validation-related query;
 *   LOW     validation-shaped queries only, or validation share below
 *           MPIC_SHARE_MIN_PCT (an ordinary resolver stays here), or it
 *           polls answered questions (an ACME client's propagation check);
 *   HIGH    in an attempt spanning >= MPIC_FANOUT_HIGH_NETS networks and
 *           >= MPIC_FP_HIGH fingerprints;
 *   MEDIUM  fan-out over >= MPIC_FANOUT_MEDIUM_NETS networks, or 0x20 plus
 *           another fingerprint over >= MPIC_FP_ONLY_MIN_ATTEMPTS attempts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "big_table.h"
#include "hash.h"
#include "mpic_internal.h"

/* ---- interned strings ---- */

const char *mpic_intern(struct mpic_intern *t, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return "unknown";
	size_t n = strnlen(s, MPIC_INTERN_LEN);
	if (n >= MPIC_INTERN_LEN)
		return "unknown";
	for (unsigned i = 0; i < t->n; i++)
		if (strcmp(t->s[i], s) == 0)
			return t->s[i];
	if (t->n >= MPIC_INTERN_MAX)
		return "unknown";
	memcpy(t->s[t->n], s, n + 1);
	return t->s[t->n++];
}

/* ---- names ---- */

/* Offset just past the label starting at i (at the separating '.' or len). */
static size_t label_end(const char *n, size_t len, size_t i)
{
	while (i < len && n[i] != '.') {
		if (n[i] == '\\') {
			/* \DDD or \X (dns_parse.h note 6) */
			if (i + 1 < len && n[i + 1] >= '0' && n[i + 1] <= '9')
				i += 4;
			else
				i += 2;
		} else {
			i++;
		}
	}
	return i < len ? i : len;
}

unsigned mpic_name_labels(const char *n, size_t len)
{
	if (len == 0 || (len == 1 && n[0] == '.'))
		return 0;
	unsigned labels = 0;
	for (size_t i = 0; i < len;) {
		i = label_end(n, len, i) + 1;
		labels++;
	}
	return labels;
}

int mpic_name_ancestor_depth(const char *desc, size_t dlen, const char *anc, size_t alen)
{
	if (alen == 0 || alen > dlen)
		return -1;
	int k = 0;
	for (size_t i = 0; i < dlen; k++) {
		size_t rest = dlen - i;
		if (rest == alen)
			return memcmp(desc + i, anc, alen) == 0 ? k : -1;
		if (rest < alen)
			return -1;
		i = label_end(desc, dlen, i) + 1;
	}
	return -1;
}

/* ---- table ---- */

int mpic_sources_init(struct mpic_sources *t, uint32_t max, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	t->seed = seed;
	t->free_head = MPIC_NIL;
	uint32_t nheads = 1;
	while (nheads < max * 2u && nheads < (1u << 30))
		nheads <<= 1;
	t->head_mask = nheads - 1;
	/* sketch: twice the table, at least 4096 counters a row */
	uint32_t w = 4096;
	while (w < max * 2u && w < (1u << 30))
		w <<= 1;
	t->sketch_mask = w - 1;
	t->heads = malloc((size_t)nheads * sizeof(*t->heads));
	t->e = big_table_alloc((size_t)max * sizeof(*t->e)); /* untouched pages stay unmapped */
	t->sketch = big_table_alloc((size_t)w * MPIC_SKETCH_ROWS * sizeof(*t->sketch));
	if (t->heads == NULL || t->e == NULL || t->sketch == NULL) {
		mpic_sources_free(t);
		return -1;
	}
	memset(t->heads, 0xff, (size_t)nheads * sizeof(*t->heads));
	return 0;
}

void mpic_sources_free(struct mpic_sources *t)
{
	if (t->e != NULL)
		for (uint32_t i = 0; i < t->high; i++)
			free(t->e[i].climb);
	free(t->heads);
	big_table_free(t->e, (size_t)t->max * sizeof(*t->e));
	big_table_free(t->sketch,
	               ((size_t)t->sketch_mask + 1) * MPIC_SKETCH_ROWS * sizeof(*t->sketch));
	t->heads = NULL;
	t->e = NULL;
	t->sketch = NULL;
}

uint64_t mpic_sources_hash(const struct mpic_sources *t, const struct dcv_addr *a)
{
	return dcv_addr_hash(a, t->seed);
}

static void sketch_decay(struct mpic_sources *t, uint64_t now_ns)
{
	const uint64_t period = (uint64_t)MPIC_SKETCH_DECAY_S * 1000 * MPIC_MS;
	if (t->sketch_decay_ns == 0) {
		t->sketch_decay_ns = now_ns + period;
		return;
	}
	if (now_ns < t->sketch_decay_ns)
		return;
	size_t n = ((size_t)t->sketch_mask + 1) * MPIC_SKETCH_ROWS;
	for (size_t i = 0; i < n; i++)
		t->sketch[i] >>= 1;
	t->sketch_decay_ns = now_ns + period;
}

static uint32_t *sketch_cell(const struct mpic_sources *t, uint64_t h, unsigned row)
{
	uint32_t idx = (uint32_t)(row == 0 ? h : h >> 32) & t->sketch_mask;
	return &t->sketch[(size_t)row * (t->sketch_mask + 1) + idx];
}

void mpic_sources_count(struct mpic_sources *t, uint64_t h, uint64_t now_ns)
{
	sketch_decay(t, now_ns);
	/* conservative update: raise only the smallest counters */
	uint32_t *a = sketch_cell(t, h, 0), *b = sketch_cell(t, h, 1);
	uint32_t m = *a < *b ? *a : *b;
	if (m == UINT32_MAX)
		return;
	if (*a == m)
		(*a)++;
	if (*b == m)
		(*b)++;
}

void mpic_sources_prefetch(const struct mpic_sources *t, uint64_t h)
{
	__builtin_prefetch(sketch_cell(t, h, 0), 1);
	__builtin_prefetch(sketch_cell(t, h, 1), 1);
	__builtin_prefetch(&t->heads[h & t->head_mask]);
}

void mpic_sources_prefetch_entry(const struct mpic_sources *t, uint64_t h)
{
	uint32_t i = t->heads[h & t->head_mask];
	if (i != MPIC_NIL)
		__builtin_prefetch(&t->e[i], 1);
}

static uint32_t sketch_estimate(const struct mpic_sources *t, uint64_t h)
{
	uint32_t a = *sketch_cell(t, h, 0), b = *sketch_cell(t, h, 1);
	return a < b ? a : b;
}

struct mpic_src *mpic_sources_find(const struct mpic_sources *t, const struct dcv_addr *a,
                                   uint64_t h)
{
	for (uint32_t i = t->heads[h & t->head_mask]; i != MPIC_NIL; i = t->e[i].chain_next)
		if (t->e[i].hash == h && dcv_addr_equal(&t->e[i].addr, a))
			return &t->e[i];
	return NULL;
}

uint32_t mpic_sources_index(const struct mpic_sources *t, const struct mpic_src *s)
{
	return (uint32_t)(s - t->e);
}

struct mpic_src *mpic_sources_pick_victim(struct mpic_sources *t)
{
	struct mpic_src *best = NULL;
	enum mpic_confidence best_c = MPIC_CONF_LISTED;
	for (unsigned n = 0; n < MPIC_EVICT_SAMPLE * 4 && n < t->high; n++) {
		struct mpic_src *s = &t->e[t->cursor];
		t->cursor = t->cursor + 1 < t->high ? t->cursor + 1 : 0;
		if (!s->used)
			continue;
		enum mpic_confidence c = mpic_source_confidence(s);
		if (best == NULL || c < best_c || (c == best_c && s->last_ns < best->last_ns)) {
			best = s;
			best_c = c;
		}
		if (n + 1 >= MPIC_EVICT_SAMPLE)
			break;
	}
	return best;
}

struct mpic_src *mpic_sources_insert(struct mpic_sources *t, const struct dcv_addr *a, uint64_t h,
                                     uint64_t ts_ns)
{
	uint32_t i;
	if (t->free_head != MPIC_NIL) {
		i = t->free_head;
		t->free_head = t->e[i].chain_next;
	} else if (t->high < t->max) {
		i = t->high++;
	} else {
		return NULL;
	}
	struct mpic_src *s = &t->e[i];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->addr = *a;
	s->hash = h;
	s->first_ns = s->last_ns = ts_ns;
	s->pend_prev = s->pend_next = MPIC_NIL;
	for (unsigned r = 0; r < MPIC_SRC_RECENT; r++)
		s->recent[r].slot = MPIC_NIL;
	/* the current query was already counted in the sketch */
	uint32_t est = sketch_estimate(t, h);
	s->prior = est > 0 ? est - 1 : 0;
	uint32_t *head = &t->heads[h & t->head_mask];
	s->chain_next = *head;
	*head = i;
	t->used++;
	return s;
}

void mpic_sources_remove(struct mpic_sources *t, struct mpic_src *s)
{
	uint32_t i = mpic_sources_index(t, s);
	uint32_t *pp = &t->heads[s->hash & t->head_mask];
	while (*pp != MPIC_NIL && *pp != i)
		pp = &t->e[*pp].chain_next;
	if (*pp == i)
		*pp = s->chain_next;
	s->used = false;
	s->chain_next = t->free_head;
	t->free_head = i;
	t->used--;
}

/* ---- verdict ---- */

unsigned mpic_source_share_pct(const struct mpic_src *s)
{
	uint64_t all = s->prior + s->ordinary + s->related;
	if (all == 0)
		return 0;
	return (unsigned)(s->related * 100 / all);
}

static bool fp_mixed_case(const struct mpic_src *s)
{
	return s->shaped > 0 && s->mixed * 2 >= s->shaped;
}

static bool fp_no_qmin(const struct mpic_src *s)
{
	return s->prefixed > 0 && s->minimised == 0;
}

static unsigned fingerprints(const struct mpic_src *s)
{
	return (unsigned)fp_mixed_case(s) + (mpic_source_share_pct(s) >= MPIC_SHARE_MIN_PCT) +
	       (s->repeats > 0) + fp_no_qmin(s);
}

enum mpic_confidence mpic_source_confidence(const struct mpic_src *s)
{
	if (s->listed_ca != NULL)
		return MPIC_CONF_LISTED;
	if (s->shaped == 0 && s->related == 0)
		return MPIC_CONF_NONE;
	/* ordinary guard: most of its traffic is not validation */
	if (mpic_source_share_pct(s) < MPIC_SHARE_MIN_PCT)
		return MPIC_CONF_LOW;
	/* polling guard: re-asks answered questions more often than it validates */
	if (s->polls > 0 && s->polls >= s->attempts)
		return MPIC_CONF_LOW;
	unsigned fp = fingerprints(s);
	if (s->max_networks >= MPIC_FANOUT_HIGH_NETS && fp >= MPIC_FP_HIGH)
		return MPIC_CONF_HIGH;
	if (s->max_networks >= MPIC_FANOUT_MEDIUM_NETS)
		return MPIC_CONF_MEDIUM;
	if (fp_mixed_case(s) && fp >= 3 && s->attempts >= MPIC_FP_ONLY_MIN_ATTEMPTS)
		return MPIC_CONF_MEDIUM;
	return MPIC_CONF_LOW;
}

const char *mpic_source_ca(const struct mpic_src *s)
{
	if (s->listed_ca != NULL)
		return s->listed_ca;
	if (s->inferred_ca != NULL && !s->ca_conflict)
		return s->inferred_ca;
	return "unknown";
}

void mpic_source_fill(const struct mpic_src *s, struct mpic_source *out)
{
	memset(out, 0, sizeof(*out));
	out->source = s->addr;
	out->ca = mpic_source_ca(s);
	out->region = s->region != NULL ? s->region : "unknown";
	out->confidence = mpic_source_confidence(s);
	out->first_ns = s->first_ns;
	out->last_ns = s->last_ns;
	out->queries = s->prior + s->ordinary + s->related;
	out->validation_queries = s->related;
	out->failures = s->failures;
	out->attempts = s->attempts;
	unsigned mixed_pct = s->shaped ? (unsigned)(s->mixed * 100 / s->shaped) : 0;
	snprintf(out->evidence, sizeof(out->evidence),
	         "%s%s%s; %" PRIu32 " attempts, fan-out %" PRIu32
	         " nets; validation %u%% of %" PRIu64 "; 0x20 %u%%%s%s%s",
	         s->listed_ca ? "listed " : "", s->listed_ca ? s->listed_ca : "",
	         s->listed_ca                          ? ""
	         : (s->inferred_ca && !s->ca_conflict) ? "ca via co-perspective"
	                                               : "unlisted",
	         s->attempts, s->max_networks, mpic_source_share_pct(s), out->queries, mixed_pct,
	         s->repeats ? "; cache-cold" : "", fp_no_qmin(s) ? "; no qmin" : "",
	         s->polls ? "; polls" : "");
}

enum mpic_repeat mpic_source_note_question(struct mpic_src *s, uint64_t qhash, uint64_t ts_ns,
                                           bool usable, uint64_t window_ns)
{
	if (ts_ns == 0)
		ts_ns = 1; /* 0 marks an empty slot */
	for (unsigned i = 0; i < MPIC_SRC_QUESTIONS; i++) {
		if (s->questions[i].qhash != qhash || s->questions[i].ts_ns == 0)
			continue;
		uint64_t prev = s->questions[i].ts_ns;
		bool prev_usable = s->questions[i].usable;
		if (ts_ns < prev)
			return MPIC_Q_RETRANSMIT; /* a late transaction: nothing new */
		s->questions[i].ts_ns = ts_ns;
		s->questions[i].usable = usable;
		uint64_t gap = ts_ns - prev;
		if (gap < MPIC_REPEAT_MIN_GAP_MS * MPIC_MS)
			return MPIC_Q_RETRANSMIT;
		if (gap <= window_ns)
			return prev_usable ? MPIC_Q_POLL : MPIC_Q_RETRANSMIT;
		if (gap <= (uint64_t)MPIC_REPEAT_MAX_S * 1000 * MPIC_MS)
			return MPIC_Q_COLD;
		return MPIC_Q_NEW;
	}
	s->questions[s->questions_next].qhash = qhash;
	s->questions[s->questions_next].ts_ns = ts_ns;
	s->questions[s->questions_next].usable = usable;
	s->questions_next = (uint8_t)((s->questions_next + 1) % MPIC_SRC_QUESTIONS);
	return MPIC_Q_NEW;
}
