/*
 * mpic.c - MPIC attempts (BR 3.2.2.9) seen from the authoritative side.
 *
 * An attempt is keyed by the validation name X (dcv_shape base) and opened by
 * the first validation-shaped query for X; it covers [first, first + window].
 * Queries that join it:
 *   - validation-shaped queries for X (TXT _acme-challenge.X, _dnsauth.X ...)
 *     from any source: each distinct source is a perspective;
 *   - CAA for X or an ancestor of X from a source already in the attempt
 *     (LE checks CAA about 0.25 s after the challenge, from the same
 *     perspectives; research 3), recorded as the climb's labels;
 *   - CAA climbs from a source with no attempt: held as a pending climb for
 *     MPIC_CLIMB_MS (Boulder asks every label in parallel, in no order), then
 *     joined to the attempt of the deepest name; if the same source asked
 *     A and AAAA for that name within the window, it is an HTTP-01 style
 *     attempt (method ADDRESS);
 *   - A/AAAA for X, DNSKEY/DS for X or an ancestor, TXT/CNAME X for a DigiCert
 *     _dnsauth attempt, from a perspective of it: their outcome counts;
 *   - TCP failures (mpic_on_tcp_failure) of a perspective during the window.
 *
 * Attempt life:
 *
 *   (none) --first validation query / climb resolved--> OPEN   [attempt_open]
 *   OPEN --query for X, CAA/DNSSEC of a perspective-->  OPEN   [mpic_on_txn]
 *   OPEN --now > first + window + late--------------->  CLOSED [mpic_advance]
 *   OPEN --table full, oldest---------------------->    CLOSED [attempt_open: evicted]
 *   OPEN --mpic_finish------------------------------->  CLOSED
 * CLOSED reports the attempt (on_attempt), updates its sources and frees it.
 * "late" (MPIC_LATE_MS_DEFAULT) keeps an attempt open after its window for
 * unanswered queries, which end only when the transaction timeout expires.
 * A query for X after the window opens a new attempt even while the old one
 * waits for late transactions.
 *
 * Invariants (assert_mpic_ok() in debug builds):
 *  1. Every open attempt is in exactly one hash chain and in the FIFO list,
 *     which is in opening order; used + free slots + (max - high) == max.
 *  2. A source reference (slot, gen) is valid only while the slot's
 *     generation is unchanged: closing an attempt bumps it.
 *  3. Sources with a pending climb are exactly those in the pending list.
 *
 * Quorum: the server cannot tell the primary perspective from the remote ones,
 * so with N perspectives seen one is taken as primary and N-1 as remote. The
 * count is a lower bound: Boulder cancels slow remote perspectives once the
 * outcome is known, and with several nameservers each perspective asks only
 * one of them, so an attempt may show fewer perspectives than the CA used.
 */
#include "mpic.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns_parse.h"
#include "big_table.h"
#include "hash.h"
#include "mpic_internal.h"

struct persp_ext {
	const char *listed_ca; /* interned, NULL when unlisted */
	uint32_t caa_mask;     /* bit k: CAA for the name k labels up */
	uint16_t tc_pending;   /* UDP answers with TC=1 not yet followed over TCP */
	bool has_outcome;
	bool has_a, has_aaaa;
};

struct attempt {
	uint64_t first_ns, last_ns, end_ns;
	uint64_t hash;
	uint64_t overflow_bloom; /* perspectives beyond the kept ones, approximately */
	enum dcv_shape method;
	uint16_t name_len;
	/* the listed CA of its listed perspectives (interned), NULL while none
	 * joined: the attempts of two CAs for one name at once stay apart */
	const char *ca_key;
	/* an unlisted perspective joined while another CA's attempt for the
	 * name was open too: it is not named after this attempt's CA */
	bool ca_mixed;
	unsigned nperspectives, nkept;
	struct mpic_perspective pub[MPIC_MAX_PERSPECTIVES];
	struct persp_ext ext[MPIC_MAX_PERSPECTIVES];
	char name[DCV_SHAPE_BASE_MAX];
};

struct attempt_slot {
	struct attempt *a; /* NULL when free */
	uint32_t gen;
	uint32_t chain_next, fifo_prev, fifo_next;
};

enum { ACACHE_A = 1, ACACHE_AAAA = 2, ACACHE_NS = 4 };

struct acache_slot {
	uint64_t key;
	uint64_t first_ns, last_ns;
	uint8_t bits;
	uint8_t worst; /* enum mpic_outcome over the A/AAAA answers */
	uint16_t n;    /* A/AAAA queries */
	uint16_t failures;
};

struct mpic {
	struct mpic_config cfg;
	struct mpic_callbacks cb;
	uint64_t window_ns, late_ns, seed;
	bool fed; /* a transaction or TCP failure was seen (mpic_reseed() refuses) */

	struct mpic_sources src;
	uint32_t pend_head, pend_tail; /* sources with a pending climb, oldest first */

	struct attempt_slot *slots;
	uint32_t slots_high, free_head, used;
	uint32_t *heads, head_mask;
	uint32_t fifo_head, fifo_tail;

	struct acache_slot *acache;
	struct mpic_intern intern;
	struct mpic_stats stats;
};

/* ---- helpers ---- */

static uint64_t seed_random(void)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
		s = (uint64_t)(uintptr_t)&s ^ 0x5bd1e995u; /* weaker, still per process */
	return s;
}

static enum mpic_outcome outcome_of(const struct mpic_txn *t)
{
	switch (t->rcode) {
	case -1:
		return MPIC_OUT_UNANSWERED;
	case DNS_RCODE_NOERROR:
		return t->answers > 0 ? MPIC_OUT_ANSWERED : MPIC_OUT_NEGATIVE;
	case DNS_RCODE_NXDOMAIN:
		return MPIC_OUT_NEGATIVE;
	case DNS_RCODE_REFUSED:
		return MPIC_OUT_REFUSED;
	case DNS_RCODE_SERVFAIL:
		return MPIC_OUT_SERVFAIL;
	default:
		return MPIC_OUT_OTHER_RCODE;
	}
}

/* A UDP answer with TC=1 is no outcome yet: the resolver retries over TCP. */
static bool is_tc_udp(const struct mpic_txn *t)
{
	return t->tc && t->transport == DCV_TRANSPORT_UDP && t->rcode >= 0;
}

static bool is_tcp_answer(const struct mpic_txn *t)
{
	return t->transport == DCV_TRANSPORT_TCP && t->rcode >= 0;
}

static uint64_t name_hash(const struct mpic *m, const char *n, size_t len)
{
	return dcv_hash_table(n, len, m->seed ^ 0x6e616d65u);
}

static bool in_window(const struct attempt *a, uint64_t ts, uint64_t window_ns)
{
	return ts <= a->end_ns && ts + window_ns >= a->first_ns;
}

static void worsen(enum mpic_outcome *cur, bool *has, enum mpic_outcome o)
{
	if (!*has || o > *cur)
		*cur = o;
	*has = true;
}

#ifndef NDEBUG
static int assert_mpic_ok(const struct mpic *m)
{
	uint32_t n = 0;
	for (uint32_t i = m->fifo_head; i != MPIC_NIL; i = m->slots[i].fifo_next) {
		if (m->slots[i].a == NULL)
			return 0;
		n++;
	}
	return n == m->used;
}
#endif

/* ---- A/AAAA/NS cache ---- */

static uint64_t acache_key(const struct mpic *m, uint64_t src_h, const char *n, size_t len)
{
	return dcv_hash_mix(src_h ^ name_hash(m, n, len)) | 1; /* 0 marks an empty slot */
}

static struct acache_slot *acache_slot(struct mpic *m, uint64_t src_h, const char *n, size_t len,
                                       uint64_t *key)
{
	*key = acache_key(m, src_h, n, len);
	return &m->acache[*key & (MPIC_ADDR_CACHE_SLOTS - 1)];
}

static void acache_note(struct mpic *m, uint64_t src_h, const struct mpic_txn *t)
{
	uint64_t key;
	struct acache_slot *c = acache_slot(m, src_h, t->qname, t->qname_len, &key);
	if (c->key != key || t->ts_ns > c->last_ns + m->window_ns) {
		memset(c, 0, sizeof(*c));
		c->key = key;
		c->first_ns = t->ts_ns;
	}
	if (t->ts_ns > c->last_ns)
		c->last_ns = t->ts_ns;
	if (t->qtype == DNS_TYPE_NS) {
		c->bits |= ACACHE_NS;
		return;
	}
	c->bits |= t->qtype == DNS_TYPE_A ? ACACHE_A : ACACHE_AAAA;
	enum mpic_outcome o = outcome_of(t);
	if (c->n == 0 || o > c->worst)
		c->worst = (uint8_t)o;
	if (c->n < UINT16_MAX)
		c->n++;
	if (!mpic_outcome_usable(o) && c->failures < UINT16_MAX)
		c->failures++;
}

static const struct acache_slot *acache_probe(struct mpic *m, uint64_t src_h, const char *n,
                                              size_t len)
{
	uint64_t key;
	struct acache_slot *c = acache_slot(m, src_h, n, len, &key);
	return c->key == key ? c : NULL;
}

/* ---- attempts ---- */

/*
 * attempt_find() returns the open attempt for name at ts that a perspective
 * of CA ca (listed, interned; NULL when unlisted) joins, or MPIC_NIL. A
 * listed perspective joins its own CA's attempt, else one no listed
 * perspective has joined yet; an unlisted one joins the latest. *mixed
 * (may be NULL) is set when an unlisted perspective had the attempts of
 * several CAs to choose from.
 */
static uint32_t attempt_find(const struct mpic *m, const char *name, size_t len, uint64_t h,
                             uint64_t ts, const char *ca, bool *mixed)
{
	uint32_t best = MPIC_NIL;
	const char *seen_ca = NULL;
	bool several = false;
	for (uint32_t i = m->heads[h & m->head_mask]; i != MPIC_NIL; i = m->slots[i].chain_next) {
		const struct attempt *a = m->slots[i].a;
		if (a->hash != h || a->name_len != len || memcmp(a->name, name, len) != 0)
			continue;
		if (!in_window(a, ts, m->window_ns))
			continue;
		if (ca != NULL && a->ca_key != NULL && a->ca_key != ca)
			continue; /* another CA's attempt */
		if (a->ca_key != NULL) {
			several |= seen_ca != NULL && seen_ca != a->ca_key;
			seen_ca = a->ca_key;
		}
		const struct attempt *b = best != MPIC_NIL ? m->slots[best].a : NULL;
		bool own = ca != NULL && a->ca_key == ca;
		bool best_own = b != NULL && ca != NULL && b->ca_key == ca;
		if (b == NULL || (own && !best_own) ||
		    (own == best_own && a->first_ns > b->first_ns))
			best = i;
	}
	if (mixed != NULL)
		*mixed = ca == NULL && several;
	return best;
}

static void attempt_close(struct mpic *m, uint32_t i, bool evicted);

static uint32_t attempt_open(struct mpic *m, const char *name, size_t len, uint64_t h, uint64_t ts,
                             enum dcv_shape method, const char *ca)
{
	if (m->used >= m->cfg.max_attempts && m->fifo_head != MPIC_NIL)
		attempt_close(m, m->fifo_head, true);
	uint32_t i;
	if (m->free_head != MPIC_NIL) {
		i = m->free_head;
		m->free_head = m->slots[i].chain_next;
	} else if (m->slots_high < m->cfg.max_attempts) {
		i = m->slots_high++;
	} else {
		return MPIC_NIL;
	}
	struct attempt *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		m->slots[i].chain_next = m->free_head;
		m->free_head = i;
		return MPIC_NIL;
	}
	a->first_ns = a->last_ns = ts;
	a->end_ns = ts + m->window_ns;
	a->hash = h;
	a->method = method;
	a->ca_key = ca;
	a->name_len = (uint16_t)len;
	memcpy(a->name, name, len);
	a->name[len] = '\0';

	struct attempt_slot *s = &m->slots[i];
	s->a = a;
	uint32_t *head = &m->heads[h & m->head_mask];
	s->chain_next = *head;
	*head = i;
	s->fifo_next = MPIC_NIL;
	s->fifo_prev = m->fifo_tail;
	if (m->fifo_tail != MPIC_NIL)
		m->slots[m->fifo_tail].fifo_next = i;
	else
		m->fifo_head = i;
	m->fifo_tail = i;
	m->used++;
	return i;
}

/* attempt_get() returns the attempt for name at ts that a perspective of
 * CA ca (NULL when unlisted) joins (attempt_find()), opened when there is
 * none; MPIC_NIL when none can be opened. */
static uint32_t attempt_get(struct mpic *m, const char *name, size_t len, uint64_t ts,
                            enum dcv_shape method, const char *ca)
{
	uint64_t h = name_hash(m, name, len);
	bool mixed;
	uint32_t i = attempt_find(m, name, len, h, ts, ca, &mixed);
	if (i == MPIC_NIL)
		return attempt_open(m, name, len, h, ts, method, ca);
	struct attempt *a = m->slots[i].a;
	if (a->ca_key == NULL)
		a->ca_key = ca;
	a->ca_mixed |= mixed;
	if (ts < a->first_ns)
		a->first_ns = ts;
	/* the challenge query names the method even when CAA came first */
	if (a->method == DCV_SHAPE_CAA && method != DCV_SHAPE_CAA)
		a->method = method;
	return i;
}

static int persp_find(const struct attempt *a, const struct dcv_addr *src)
{
	for (unsigned p = 0; p < a->nkept; p++)
		if (dcv_addr_equal(&a->pub[p].source, src))
			return (int)p;
	return -1;
}

/* The perspective of s in a, added when new; -1 when beyond the kept list. */
static int persp_join(struct attempt *a, const struct mpic_src *s)
{
	int p = persp_find(a, &s->addr);
	if (p >= 0)
		return p;
	if (a->nkept < MPIC_MAX_PERSPECTIVES) {
		p = (int)a->nkept++;
		memset(&a->pub[p], 0, sizeof(a->pub[p]));
		memset(&a->ext[p], 0, sizeof(a->ext[p]));
		a->pub[p].source = s->addr;
		a->pub[p].region = s->region != NULL ? s->region : "unknown";
		a->pub[p].outcome = MPIC_OUT_ANSWERED;
		a->ext[p].listed_ca = s->listed_ca;
		a->nperspectives++;
		return p;
	}
	uint64_t bit = 1ULL << (s->hash & 63);
	if (!(a->overflow_bloom & bit)) {
		a->overflow_bloom |= bit;
		a->nperspectives++;
	}
	return -1;
}

/* Count one transaction against perspective p of a. */
static void persp_credit(struct attempt *a, int p, const struct mpic_txn *t)
{
	if (t->ts_ns > a->last_ns)
		a->last_ns = t->ts_ns;
	if (p < 0)
		return;
	struct mpic_perspective *pub = &a->pub[p];
	struct persp_ext *x = &a->ext[p];
	pub->queries++;
	if (is_tc_udp(t)) {
		x->tc_pending++;
		return;
	}
	if (is_tcp_answer(t) && x->tc_pending > 0)
		x->tc_pending--;
	enum mpic_outcome o = outcome_of(t);
	worsen(&pub->outcome, &x->has_outcome, o);
	if (!mpic_outcome_usable(o))
		pub->failures++;
	if (t->qtype == DNS_TYPE_A)
		x->has_a = true;
	if (t->qtype == DNS_TYPE_AAAA)
		x->has_aaaa = true;
}

static void src_remember(struct mpic *m, struct mpic_src *s, uint32_t slot)
{
	uint32_t gen = m->slots[slot].gen;
	for (unsigned r = 0; r < MPIC_SRC_RECENT; r++)
		if (s->recent[r].slot == slot && s->recent[r].gen == gen)
			return;
	s->recent[s->recent_next].slot = slot;
	s->recent[s->recent_next].gen = gen;
	s->recent_next = (uint8_t)((s->recent_next + 1) % MPIC_SRC_RECENT);
}

/* The open attempt a recent reference points at, or NULL. */
static struct attempt *ref_get(const struct mpic *m, const struct mpic_ref *r)
{
	if (r->slot == MPIC_NIL || r->slot >= m->slots_high)
		return NULL;
	const struct attempt_slot *s = &m->slots[r->slot];
	return s->gen == r->gen ? s->a : NULL;
}

static unsigned popcount32(uint32_t v)
{
	unsigned n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

static unsigned attempt_networks(const struct attempt *a)
{
	unsigned n = 0;
	for (unsigned p = 0; p < a->nkept; p++) {
		const struct dcv_addr *x = &a->pub[p].source;
		size_t keep =
		    x->family == DCV_ADDR_V4 ? MPIC_NET_PREFIX_V4 / 8 : MPIC_NET_PREFIX_V6 / 8;
		bool seen = false;
		for (unsigned q = 0; q < p && !seen; q++) {
			const struct dcv_addr *y = &a->pub[q].source;
			seen = y->family == x->family && memcmp(x->bytes, y->bytes, keep) == 0;
		}
		n += !seen;
	}
	return n;
}

static void attempt_close(struct mpic *m, uint32_t i, bool evicted)
{
	struct attempt_slot *slot = &m->slots[i];
	struct attempt *a = slot->a;

	/* CA: every listed perspective agrees, else unknown */
	const char *ca = NULL;
	bool conflict = false;
	for (unsigned p = 0; p < a->nkept; p++) {
		const char *l = a->ext[p].listed_ca;
		if (l == NULL)
			continue;
		if (ca == NULL)
			ca = l;
		else if (ca != l)
			conflict = true;
	}
	if (conflict)
		ca = NULL;

	unsigned usable = 0, failed = 0, caa_labels = 0;
	for (unsigned p = 0; p < a->nkept; p++) {
		struct mpic_perspective *pub = &a->pub[p];
		struct persp_ext *x = &a->ext[p];
		/* TC=1 with no TCP answer afterwards: TCP/53 blocked (research 8) */
		if (x->tc_pending > 0)
			worsen(&pub->outcome, &x->has_outcome, MPIC_OUT_TCP_FAILURE);
		if (mpic_outcome_usable(pub->outcome))
			usable++;
		else
			failed++;
		unsigned l = popcount32(x->caa_mask);
		if (l > caa_labels)
			caa_labels = l;
	}
	unsigned nets = attempt_networks(a);

	/* update the sources first, then read their verdicts */
	for (unsigned p = 0; p < a->nkept; p++) {
		uint64_t h = mpic_sources_hash(&m->src, &a->pub[p].source);
		struct mpic_src *s = mpic_sources_find(&m->src, &a->pub[p].source, h);
		if (s == NULL)
			continue;
		s->attempts++;
		if (nets > s->max_networks)
			s->max_networks = nets;
		if (s->listed_ca == NULL && ca != NULL && !a->ca_mixed) {
			if (s->inferred_ca == NULL)
				s->inferred_ca = ca;
			else if (s->inferred_ca != ca)
				s->ca_conflict = true;
		}
	}
	for (unsigned p = 0; p < a->nkept; p++) {
		uint64_t h = mpic_sources_hash(&m->src, &a->pub[p].source);
		const struct mpic_src *s = mpic_sources_find(&m->src, &a->pub[p].source, h);
		if (s != NULL)
			a->pub[p].confidence = mpic_source_confidence(s);
		else
			a->pub[p].confidence =
			    a->ext[p].listed_ca ? MPIC_CONF_LISTED : MPIC_CONF_LOW;
	}

	unsigned remote = a->nperspectives > 0 ? a->nperspectives - 1 : 0;
	unsigned allowed = mpic_quorum_failures_allowed(remote);
	struct mpic_attempt out = {
	    .first_ns = a->first_ns,
	    .last_ns = a->last_ns,
	    .name = a->name,
	    .ca = ca != NULL ? ca : "unknown",
	    .method = a->method,
	    .caa_climb = caa_labels >= 2,
	    .caa_labels = (uint8_t)(caa_labels > UINT8_MAX ? UINT8_MAX : caa_labels),
	    .nperspectives = a->nperspectives,
	    .usable = usable,
	    .failed = failed,
	    .status = failed == 0         ? MPIC_CORROBORATED
	              : failed <= allowed ? MPIC_AT_RISK
	                                  : MPIC_FAILED,
	    .perspectives = a->pub,
	    .nkept = a->nkept,
	};
	/* One unlisted source asking for a validation name is a person or a
	 * monitor checking a record, not a multi-perspective validation: since
	 * the BR 3.2.2.9 phase-in every CA uses at least 2 remote perspectives.
	 * Its sources were updated above; it is not reported as an attempt. */
	if (a->nperspectives < MPIC_ATTEMPT_MIN_PERSPECTIVES && ca == NULL) {
		m->stats.single_source++;
		if (evicted)
			m->stats.evicted_attempts++;
		goto unlink;
	}
	m->stats.attempts++;
	if (out.status == MPIC_CORROBORATED)
		m->stats.corroborated++;
	else if (out.status == MPIC_AT_RISK)
		m->stats.at_risk++;
	else
		m->stats.failed++;
	if (evicted)
		m->stats.evicted_attempts++;
	if (m->cb.on_attempt != NULL)
		m->cb.on_attempt(m->cb.ctx, &out);

unlink:; /* a declaration cannot follow a label before C23 */
	/* unlink: hash chain, FIFO */
	uint32_t *pp = &m->heads[a->hash & m->head_mask];
	while (*pp != i)
		pp = &m->slots[*pp].chain_next;
	*pp = slot->chain_next;
	if (slot->fifo_prev != MPIC_NIL)
		m->slots[slot->fifo_prev].fifo_next = slot->fifo_next;
	else
		m->fifo_head = slot->fifo_next;
	if (slot->fifo_next != MPIC_NIL)
		m->slots[slot->fifo_next].fifo_prev = slot->fifo_prev;
	else
		m->fifo_tail = slot->fifo_prev;
	free(a);
	slot->a = NULL;
	slot->gen++;
	slot->chain_next = m->free_head;
	m->free_head = i;
	m->used--;
	assert(assert_mpic_ok(m));
}

/* ---- pending CAA climbs ---- */

static void pend_unlink(struct mpic *m, struct mpic_src *s)
{
	struct mpic_src *e = m->src.e;
	if (s->pend_prev != MPIC_NIL)
		e[s->pend_prev].pend_next = s->pend_next;
	else
		m->pend_head = s->pend_next;
	if (s->pend_next != MPIC_NIL)
		e[s->pend_next].pend_prev = s->pend_prev;
	else
		m->pend_tail = s->pend_prev;
	s->pend_prev = s->pend_next = MPIC_NIL;
}

/* Join the pending climb of s to the attempt of its deepest name. */
static void climb_resolve(struct mpic *m, struct mpic_src *s)
{
	struct mpic_climb *c = s->climb;
	pend_unlink(m, s);
	s->climb = NULL;
	uint32_t i = attempt_get(m, c->name, c->name_len, c->first_ns, DCV_SHAPE_CAA, s->listed_ca);
	if (i == MPIC_NIL) {
		free(c);
		return;
	}
	struct attempt *a = m->slots[i].a;
	int p = persp_join(a, s);
	if (c->last_ns > a->last_ns)
		a->last_ns = c->last_ns;
	if (p >= 0) {
		struct mpic_perspective *pub = &a->pub[p];
		struct persp_ext *x = &a->ext[p];
		pub->queries += c->queries;
		pub->failures += c->failures;
		x->tc_pending = (uint16_t)(x->tc_pending + c->tc_pending);
		x->caa_mask |= c->mask;
		if (c->has_outcome)
			worsen(&pub->outcome, &x->has_outcome, (enum mpic_outcome)c->worst);
		/* A+AAAA for the name shortly before its CAA: HTTP-01 style */
		const struct acache_slot *ac = acache_probe(m, s->hash, c->name, c->name_len);
		if (ac != NULL &&
		    (ac->bits & (ACACHE_A | ACACHE_AAAA)) == (ACACHE_A | ACACHE_AAAA) &&
		    ac->last_ns + m->window_ns >= c->first_ns && ac->first_ns <= c->last_ns) {
			if (a->method == DCV_SHAPE_CAA)
				a->method = DCV_SHAPE_ADDRESS;
			x->has_a = x->has_aaaa = true;
			pub->queries += ac->n;
			pub->failures += ac->failures;
			worsen(&pub->outcome, &x->has_outcome, (enum mpic_outcome)ac->worst);
			if (ac->first_ns < a->first_ns)
				a->first_ns = ac->first_ns;
			/* those queries were counted as ordinary (or prior): move them */
			uint64_t n = ac->n, take = n < s->ordinary ? n : s->ordinary;
			s->ordinary -= take;
			n -= take;
			s->prior -= n < s->prior ? n : s->prior;
			s->related += ac->n;
		}
	}
	src_remember(m, s, i);
	free(c);
}

static void climb_credit(struct mpic_climb *c, const struct mpic_txn *t)
{
	c->queries++;
	if (t->ts_ns > c->last_ns)
		c->last_ns = t->ts_ns;
	if (is_tc_udp(t)) {
		c->tc_pending++;
		return;
	}
	if (is_tcp_answer(t) && c->tc_pending > 0)
		c->tc_pending--;
	enum mpic_outcome o = outcome_of(t);
	if (!c->has_outcome || o > c->worst)
		c->worst = (uint8_t)o;
	c->has_outcome = true;
	if (!mpic_outcome_usable(o))
		c->failures++;
}

static void climb_start(struct mpic *m, struct mpic_src *s, const struct mpic_txn *t,
                        const char *name, size_t len)
{
	struct mpic_climb *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->first_ns = c->last_ns = t->ts_ns;
	c->mask = 1;
	c->name_len = (uint16_t)len;
	memcpy(c->name, name, len);
	c->name[len] = '\0';
	climb_credit(c, t);
	s->climb = c;
	uint32_t i = mpic_sources_index(&m->src, s);
	s->pend_next = MPIC_NIL;
	s->pend_prev = m->pend_tail;
	if (m->pend_tail != MPIC_NIL)
		m->src.e[m->pend_tail].pend_next = i;
	else
		m->pend_head = i;
	m->pend_tail = i;
}

static void climb_add(struct mpic *m, struct mpic_src *s, const struct mpic_txn *t,
                      const char *name, size_t len)
{
	struct mpic_climb *c = s->climb;
	if (c != NULL && t->ts_ns > c->first_ns + MPIC_CLIMB_MS * MPIC_MS) {
		climb_resolve(m, s);
		c = NULL;
	}
	if (c != NULL) {
		int k = mpic_name_ancestor_depth(c->name, c->name_len, name, len);
		if (k >= 0) {
			if (k < 32)
				c->mask |= 1u << k;
			climb_credit(c, t);
			return;
		}
		k = mpic_name_ancestor_depth(name, len, c->name, c->name_len);
		if (k > 0) {
			/* deeper name: it becomes the climb's name */
			c->mask = k < 32 ? (c->mask << k) | 1u : 1u;
			c->name_len = (uint16_t)len;
			memcpy(c->name, name, len);
			c->name[len] = '\0';
			climb_credit(c, t);
			return;
		}
		climb_resolve(m, s); /* another branch: a separate climb */
	}
	climb_start(m, s, t, name, len);
}

/* ---- sources ---- */

static struct mpic_src *source_get(struct mpic *m, const struct mpic_txn *t, uint64_t h)
{
	struct mpic_src *s = mpic_sources_find(&m->src, &t->source, h);
	if (s != NULL)
		return s;
	if (m->src.used >= m->src.max) {
		struct mpic_src *v = mpic_sources_pick_victim(&m->src);
		if (v == NULL)
			return NULL;
		if (v->climb != NULL)
			climb_resolve(m, v);
		mpic_sources_remove(&m->src, v);
		m->stats.evicted_sources++;
	}
	return mpic_sources_insert(&m->src, &t->source, h, t->ts_ns);
}

static void source_note(struct mpic *m, struct mpic_src *s, const struct mpic_txn *t)
{
	if (t->ts_ns > s->last_ns)
		s->last_ns = t->ts_ns;
	if (t->ts_ns < s->first_ns)
		s->first_ns = t->ts_ns;
	if (t->listed_ca != NULL)
		s->listed_ca = mpic_intern(&m->intern, t->listed_ca);
	if (s->region == NULL || (t->region != NULL && strcmp(s->region, t->region) != 0))
		s->region = mpic_intern(&m->intern, t->region);
	if (!is_tc_udp(t) && !mpic_outcome_usable(outcome_of(t)))
		s->failures++;
}

/*
 * A query of a known candidate that is not validation-shaped: related when
 * it asks the name (or an ancestor) of one of its open attempts. A/AAAA of
 * the name, DNSKEY/DS of the name or an ancestor, and TXT/CNAME of the name
 * of a DigiCert _dnsauth attempt count for the perspective's outcome.
 */
static bool credit_related(struct mpic *m, struct mpic_src *s, const struct mpic_txn *t,
                           enum dcv_shape shape)
{
	bool related = false;
	for (unsigned r = 0; r < MPIC_SRC_RECENT; r++) {
		struct attempt *a = ref_get(m, &s->recent[r]);
		if (a == NULL || !in_window(a, t->ts_ns, m->window_ns))
			continue;
		int k = mpic_name_ancestor_depth(a->name, a->name_len, t->qname, t->qname_len);
		if (k < 0)
			continue;
		related = true;
		bool counts = (shape == DCV_SHAPE_ADDRESS && k == 0) || shape == DCV_SHAPE_DNSSEC ||
		              (a->method == DCV_SHAPE_DNSAUTH && k == 0 &&
		               (t->qtype == DNS_TYPE_TXT || t->qtype == DNS_TYPE_CNAME));
		if (!counts)
			continue;
		int p = persp_find(a, &s->addr);
		persp_credit(a, p, t);
		if (shape == DCV_SHAPE_ADDRESS && p >= 0 && a->method == DCV_SHAPE_CAA &&
		    a->ext[p].has_a && a->ext[p].has_aaaa)
			a->method = DCV_SHAPE_ADDRESS;
	}
	return related;
}

static bool is_prefixed(enum dcv_shape s)
{
	return s != DCV_SHAPE_CAA && dcv_shape_is_validation(s);
}

static void on_validation(struct mpic *m, struct mpic_src *s, const struct mpic_txn *t,
                          const struct dcv_shape_result *r)
{
	s->shaped++;
	s->related++;
	if (t->mixed_case)
		s->mixed++;
	uint64_t qh = name_hash(m, t->qname, t->qname_len) ^ t->qtype;
	bool usable = !is_tc_udp(t) && mpic_outcome_usable(outcome_of(t));
	switch (mpic_source_note_question(s, qh, t->ts_ns, usable, m->window_ns)) {
	case MPIC_Q_COLD:
		s->repeats++;
		break;
	case MPIC_Q_POLL:
		s->polls++;
		break;
	default:
		break;
	}
	if (r->base_len == 0 || r->base_len >= DCV_SHAPE_BASE_MAX)
		return; /* counted, but not a name an attempt can keep */

	if (is_prefixed(r->shape)) {
		s->prefixed++;
		/* qname minimisation: A/NS for X just before asking for the prefix */
		const struct acache_slot *ac = acache_probe(m, s->hash, r->base, r->base_len);
		if (ac != NULL && (ac->bits & (ACACHE_A | ACACHE_NS)) && ac->last_ns <= t->ts_ns &&
		    ac->last_ns + MPIC_QMIN_LOOKBACK_MS * MPIC_MS >= t->ts_ns)
			s->minimised++;
		uint32_t i = attempt_get(m, r->base, r->base_len, t->ts_ns, r->shape, s->listed_ca);
		if (i == MPIC_NIL)
			return;
		struct attempt *a = m->slots[i].a;
		int p = persp_join(a, s);
		persp_credit(a, p, t);
		src_remember(m, s, i);
		return;
	}

	/* CAA: part of a climb for one of its attempts? */
	bool matched = false;
	for (unsigned k = 0; k < MPIC_SRC_RECENT; k++) {
		struct attempt *a = ref_get(m, &s->recent[k]);
		if (a == NULL || !in_window(a, t->ts_ns, m->window_ns))
			continue;
		int d = mpic_name_ancestor_depth(a->name, a->name_len, r->base, r->base_len);
		if (d < 0)
			continue;
		int p = persp_join(a, s);
		persp_credit(a, p, t);
		if (p >= 0 && d < 32)
			a->ext[p].caa_mask |= 1u << d;
		matched = true;
	}
	if (matched)
		return;
	/* an attempt for exactly this name that s is already part of */
	uint32_t i = attempt_find(m, r->base, r->base_len, name_hash(m, r->base, r->base_len),
	                          t->ts_ns, s->listed_ca, NULL);
	if (i != MPIC_NIL) {
		struct attempt *a = m->slots[i].a;
		int p = persp_find(a, &s->addr);
		if (p >= 0) {
			persp_credit(a, p, t);
			a->ext[p].caa_mask |= 1u;
			src_remember(m, s, i);
			return;
		}
	}
	climb_add(m, s, t, r->base, r->base_len);
}

/* ---- public ---- */

struct mpic *mpic_new(const struct mpic_config *cfg, const struct mpic_callbacks *cb)
{
	struct mpic *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	if (cfg != NULL)
		m->cfg = *cfg;
	if (cb != NULL)
		m->cb = *cb;
	if (m->cfg.window_ms == 0)
		m->cfg.window_ms = MPIC_WINDOW_MS_DEFAULT;
	if (m->cfg.max_attempts == 0)
		m->cfg.max_attempts = MPIC_MAX_ATTEMPTS_DEFAULT;
	if (m->cfg.max_sources == 0)
		m->cfg.max_sources = MPIC_MAX_SOURCES_DEFAULT;
	if (m->cfg.late_ms == 0)
		m->cfg.late_ms = MPIC_LATE_MS_DEFAULT;
	m->window_ns = (uint64_t)m->cfg.window_ms * MPIC_MS;
	m->late_ns = (uint64_t)m->cfg.late_ms * MPIC_MS;
	m->seed = seed_random();
	m->pend_head = m->pend_tail = MPIC_NIL;
	m->free_head = m->fifo_head = m->fifo_tail = MPIC_NIL;

	uint32_t nheads = 1;
	while (nheads < m->cfg.max_attempts * 2u && nheads < (1u << 30))
		nheads <<= 1;
	m->head_mask = nheads - 1;
	m->heads = malloc((size_t)nheads * sizeof(*m->heads));
	m->slots = calloc(m->cfg.max_attempts, sizeof(*m->slots));
	m->acache = big_table_alloc(MPIC_ADDR_CACHE_SLOTS * sizeof(*m->acache));
	if (m->heads == NULL || m->slots == NULL || m->acache == NULL ||
	    mpic_sources_init(&m->src, m->cfg.max_sources, dcv_hash_mix(m->seed)) != 0) {
		mpic_free(m);
		return NULL;
	}
	memset(m->heads, 0xff, (size_t)nheads * sizeof(*m->heads));
	return m;
}

void mpic_free(struct mpic *m)
{
	if (m == NULL)
		return;
	if (m->slots != NULL)
		for (uint32_t i = 0; i < m->slots_high; i++)
			free(m->slots[i].a);
	free(m->slots);
	free(m->heads);
	big_table_free(m->acache, MPIC_ADDR_CACHE_SLOTS * sizeof(*m->acache));
	mpic_sources_free(&m->src);
	free(m);
}

int mpic_reseed(struct mpic *m, uint64_t seed)
{
	if (m->fed)
		return -1;
	m->seed = seed;
	m->src.seed = dcv_hash_mix(seed);
	return 0;
}

uint64_t mpic_prefetch(const struct mpic *m, const struct dcv_addr *source)
{
	uint64_t h = mpic_sources_hash(&m->src, source);
	mpic_sources_prefetch(&m->src, h);
	return h;
}

void mpic_prefetch_entry(const struct mpic *m, uint64_t h)
{
	mpic_sources_prefetch_entry(&m->src, h);
}

void mpic_prefetch_name(const struct mpic *m, uint64_t h, const char *name, size_t len)
{
	uint64_t key = acache_key(m, h, name, len);
	__builtin_prefetch(&m->acache[key & (MPIC_ADDR_CACHE_SLOTS - 1)], 1);
}

void mpic_on_txn(struct mpic *m, const struct mpic_txn *t)
{
	struct dcv_shape_result r;
	if (t->shape != NULL)
		r = *t->shape;
	else
		dcv_shape_classify(t->qname, t->qname_len, t->qtype, &r);
	m->fed = true;
	uint64_t h = mpic_sources_hash(&m->src, &t->source);
	mpic_sources_count(&m->src, h, t->ts_ns);

	if (dcv_shape_is_validation(r.shape)) {
		struct mpic_src *s = source_get(m, t, h);
		if (s == NULL)
			return;
		source_note(m, s, t);
		on_validation(m, s, t, &r);
		return;
	}

	/* the ordinary path: one lookup; address/NS questions go to the cache */
	bool cacheable = r.shape == DCV_SHAPE_ADDRESS || t->qtype == DNS_TYPE_NS;
	if (cacheable && t->qname != NULL)
		acache_note(m, h, t);
	struct mpic_src *s = mpic_sources_find(&m->src, &t->source, h);
	if (s == NULL)
		return;
	if (t->ts_ns > s->last_ns)
		s->last_ns = t->ts_ns;
	if (t->qname != NULL && credit_related(m, s, t, r.shape))
		s->related++;
	else
		s->ordinary++;
}

void mpic_on_tcp_failure(struct mpic *m, uint64_t ts_ns, const struct dcv_addr *source,
                         bool rejected)
{
	(void)rejected; /* both mean the CA's resolver could not ask over TCP */
	m->fed = true;
	uint64_t h = mpic_sources_hash(&m->src, source);
	struct mpic_src *s = mpic_sources_find(&m->src, source, h);
	if (s == NULL)
		return;
	s->failures++;
	for (unsigned r = 0; r < MPIC_SRC_RECENT; r++) {
		struct attempt *a = ref_get(m, &s->recent[r]);
		if (a == NULL || !in_window(a, ts_ns, m->window_ns))
			continue;
		int p = persp_find(a, source);
		if (p < 0)
			continue;
		worsen(&a->pub[p].outcome, &a->ext[p].has_outcome, MPIC_OUT_TCP_FAILURE);
		a->pub[p].failures++;
		if (a->ext[p].tc_pending > 0)
			a->ext[p].tc_pending--;
	}
	struct mpic_climb *c = s->climb;
	if (c != NULL && ts_ns + MPIC_CLIMB_MS * MPIC_MS >= c->first_ns) {
		c->worst = MPIC_OUT_TCP_FAILURE;
		c->has_outcome = true;
		c->failures++;
		if (c->tc_pending > 0)
			c->tc_pending--;
	}
}

void mpic_advance(struct mpic *m, uint64_t now_ns)
{
	while (m->pend_head != MPIC_NIL) {
		struct mpic_src *s = &m->src.e[m->pend_head];
		if (s->climb->first_ns + MPIC_CLIMB_MS * MPIC_MS >= now_ns)
			break;
		climb_resolve(m, s);
	}
	while (m->fifo_head != MPIC_NIL) {
		const struct attempt *a = m->slots[m->fifo_head].a;
		if (a->end_ns + m->late_ns >= now_ns)
			break;
		attempt_close(m, m->fifo_head, false);
	}
}

void mpic_finish(struct mpic *m)
{
	while (m->pend_head != MPIC_NIL)
		climb_resolve(m, &m->src.e[m->pend_head]);
	while (m->fifo_head != MPIC_NIL)
		attempt_close(m, m->fifo_head, false);
}

/* Whether entry s is a source judged a validator at confidence min or above. */
static bool source_qualifies(const struct mpic_src *s, enum mpic_confidence min)
{
	if (!s->used)
		return false;
	enum mpic_confidence c = mpic_source_confidence(s);
	return c >= min && c != MPIC_CONF_NONE;
}

unsigned mpic_foreach_source(const struct mpic *m, enum mpic_confidence min,
                             void (*fn)(void *ctx, const struct mpic_source *s), void *ctx)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < m->src.high; i++) {
		const struct mpic_src *s = &m->src.e[i];
		if (!source_qualifies(s, min))
			continue;
		struct mpic_source out;
		mpic_source_fill(s, &out);
		if (fn != NULL)
			fn(ctx, &out);
		n++;
	}
	return n;
}

/* One qualifying source of mpic_foreach_source_by_address(): its index
 * into the source table and its address text. */
struct src_order {
	uint32_t i;
	char text[DCV_ADDR_TEXT_MAX];
};

static int src_order_cmp(const void *a, const void *b)
{
	return strcmp(((const struct src_order *)a)->text, ((const struct src_order *)b)->text);
}

int mpic_foreach_source_by_address(const struct mpic *m, enum mpic_confidence min,
                                   void (*fn)(void *ctx, const struct mpic_source *s), void *ctx)
{
	size_t n = 0;
	for (uint32_t i = 0; i < m->src.high; i++)
		n += source_qualifies(&m->src.e[i], min);
	struct src_order *order = malloc((n ? n : 1) * sizeof(*order));
	if (order == NULL)
		return -1;
	size_t k = 0;
	for (uint32_t i = 0; i < m->src.high && k < n; i++) {
		const struct mpic_src *s = &m->src.e[i];
		if (!source_qualifies(s, min))
			continue;
		order[k].i = i;
		dcv_addr_format(&s->addr, order[k].text, sizeof(order[k].text));
		k++;
	}
	qsort(order, k, sizeof(*order), src_order_cmp);
	for (size_t j = 0; j < k; j++) {
		struct mpic_source out;
		mpic_source_fill(&m->src.e[order[j].i], &out);
		if (fn != NULL)
			fn(ctx, &out);
	}
	free(order);
	return (int)k;
}

const struct mpic_stats *mpic_get_stats(const struct mpic *m)
{
	return &m->stats;
}

const char *mpic_confidence_name(enum mpic_confidence c)
{
	switch (c) {
	case MPIC_CONF_NONE:
		return "none";
	case MPIC_CONF_LOW:
		return "low";
	case MPIC_CONF_MEDIUM:
		return "medium";
	case MPIC_CONF_HIGH:
		return "high";
	case MPIC_CONF_LISTED:
		return "listed";
	}
	return "unknown";
}

const char *mpic_outcome_name(enum mpic_outcome o)
{
	switch (o) {
	case MPIC_OUT_ANSWERED:
		return "answered";
	case MPIC_OUT_NEGATIVE:
		return "negative";
	case MPIC_OUT_REFUSED:
		return "refused";
	case MPIC_OUT_SERVFAIL:
		return "servfail";
	case MPIC_OUT_OTHER_RCODE:
		return "other_rcode";
	case MPIC_OUT_UNANSWERED:
		return "unanswered";
	case MPIC_OUT_TCP_FAILURE:
		return "tcp_failure";
	case MPIC_OUT_COUNT:
		break;
	}
	return "unknown";
}

const char *mpic_status_name(enum mpic_status s)
{
	switch (s) {
	case MPIC_CORROBORATED:
		return "corroborated";
	case MPIC_AT_RISK:
		return "at_risk";
	case MPIC_FAILED:
		return "failed";
	}
	return "unknown";
}

unsigned mpic_quorum_failures_allowed(unsigned remote_perspectives)
{
	/* BR 3.2.2.9 (research 2.1): 2-5 remote -> 1, 6+ -> 2, below 2 -> 0 */
	if (remote_perspectives >= 6)
		return 2;
	if (remote_perspectives >= 2)
		return 1;
	return 0;
}
