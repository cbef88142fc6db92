/*
 * mpic_internal.h - state shared by mpic.c (attempts, CAA climbs, glue) and
 * mpic_source.c (candidate sources, query-share sketch, confidence).
 * Not a public interface: only the mpic files include it.
 *
 * Thresholds. Every number is a named constant with its reason; "guess" marks
 * the ones no source fixes (research = shared/research/validators.md).
 */
#ifndef DCV_MPIC_INTERNAL_H
#define DCV_MPIC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mpic.h"

#define MPIC_NIL UINT32_MAX
#define MPIC_MS  1000000ULL /* ns per ms */

/* CAA queries for a name and its ancestors from one source within this long
 * are one RFC 8659 climb. Boulder sends every label in parallel (research
 * 3, boulder va/caa.go), so a climb arrives within milliseconds; 1 s leaves
 * room for resolver jitter (guess). */
#define MPIC_CLIMB_MS 1000

/* How long after its window an attempt stays open for late transactions:
 * an unanswered query is reported only when the transaction timeout expires
 * (txn.h TXN_TIMEOUT_MS_DEFAULT, 5 s), with the query's own timestamp. */
#define MPIC_LATE_MS_DEFAULT 5000

/* A source's minimised lookup (A/NS for X) this close before its validation
 * query for X counts as qname minimisation; LE's Unbound runs with
 * qname-minimisation: no (research 4.1), ordinary Unbound/BIND minimise. */
#define MPIC_QMIN_LOOKBACK_MS 2000

/* Cache-cold: the same validation question from one source again in a later
 * attempt (more than the attempt window after the last ask) and at most
 * MPIC_REPEAT_MAX_S later. A caching resolver answers a repeat from cache
 * within the TTL; LE's Unbound has cache-max-ttl 0 (research 4.1). One hour
 * is below most CAA/SOA TTLs (guess).
 * Polling: the same question again within the window although the last
 * answer was usable. Perspectives ask each question once per attempt and
 * retry only failures (Boulder retries only timeouts, research 4.1); an ACME
 * client checking propagation re-asks every few seconds and, since the CA
 * follows right after, would otherwise look like a co-perspective. A repeat
 * sooner than MPIC_REPEAT_MIN_GAP_MS is a retransmission, neither. */
#define MPIC_REPEAT_MIN_GAP_MS 1000
#define MPIC_REPEAT_MAX_S      3600

/* Validation share: related queries / all queries of the source. Validators
 * send almost nothing else (LE's Unbound serves only Boulder, research 4.1);
 * ordinary resolvers' traffic is mostly other names. Below this share a
 * source stays LOW whatever else it shows (guess: validators measure ~1.0,
 * busy resolvers < 0.01; 0.5 tolerates a cold validator's NS/DNSKEY fetches
 * counted before its first validation query). */
#define MPIC_SHARE_MIN_PCT 50

/* Fan-out: an attempt whose perspectives come from this many distinct
 * networks (/24, /48) is MPIC (BR 3.2.2.9 requires >= 2 remote perspectives
 * 500 km apart, >= 3 from 2026-03-15; research 2.1). Two networks are only
 * MEDIUM evidence: an operator's check plus a resolver can look like that. */
#define MPIC_FANOUT_HIGH_NETS   3
#define MPIC_FANOUT_MEDIUM_NETS 2
#define MPIC_NET_PREFIX_V4      24
#define MPIC_NET_PREFIX_V6      48

/* Fingerprints needed for HIGH alongside the fan-out (of: 0x20 mixed case,
 * validation share, cache-cold repeats, no qname minimisation; research 4). */
#define MPIC_FP_HIGH 2
/* Fingerprints alone give MEDIUM only with 0x20 plus at least this many
 * attempts: one dig through a 0x20 resolver must stay LOW (guess). */
#define MPIC_FP_ONLY_MIN_ATTEMPTS 2

/* Recent attempts remembered per source: CAA and DNSSEC queries of the
 * source attach to them. A big SAN order has more names; older ones fall
 * back to lookups by exact name. */
#define MPIC_SRC_RECENT 8
/* Recent validation questions per source (cache-cold test). */
#define MPIC_SRC_QUESTIONS 8

/* Direct-mapped cache of recent A/AAAA/NS questions per (source, name):
 * HTTP-01 pairs (research 3) and qname-minimisation evidence. Overwritten
 * on collision; sized for a busy server's last seconds of address queries
 * (guess). */
#define MPIC_ADDR_CACHE_SLOTS (1u << 16)

/* Sources examined per eviction (lowest confidence, then oldest, goes). */
#define MPIC_EVICT_SAMPLE 8

/* Query-count sketch: 2 rows of counters, halved every MPIC_SKETCH_DECAY_S
 * so that history fades (guess: one hour, like MPIC_REPEAT_MAX_S). */
#define MPIC_SKETCH_ROWS    2
#define MPIC_SKETCH_DECAY_S 3600

/* Interned CA and region strings (txn strings live only during the call). */
#define MPIC_INTERN_MAX 256
#define MPIC_INTERN_LEN 48

struct mpic_intern {
	unsigned n;
	char s[MPIC_INTERN_MAX][MPIC_INTERN_LEN];
};

/* mpic_intern() returns a stable copy of s; "unknown" for NULL, empty,
 * too long, or when the table is full. */
const char *mpic_intern(struct mpic_intern *t, const char *s);

/* A pending CAA climb of one source: the deepest name so far and which
 * ancestors were asked (bit k: the name k labels up). */
struct mpic_climb {
	uint64_t first_ns, last_ns;
	uint32_t mask;
	uint32_t queries, failures;
	uint16_t tc_pending;
	bool has_outcome;
	uint8_t worst;
	uint8_t labels;
	uint16_t name_len;
	char name[DCV_SHAPE_BASE_MAX];
};

struct mpic_ref {
	uint32_t slot, gen;
};

/* One candidate source: any source that sent a validation-shaped query. */
struct mpic_src {
	struct dcv_addr addr;
	uint64_t hash;
	uint32_t chain_next;
	uint32_t pend_prev, pend_next; /* list of sources with a pending climb */
	bool used;

	uint64_t first_ns, last_ns;
	uint64_t prior;    /* sketch estimate of its queries before the entry */
	uint64_t ordinary; /* queries since, unrelated to validation */
	uint64_t related;  /* validation-shaped, or credited to one of its attempts */
	uint64_t shaped;   /* validation-shaped */
	uint64_t prefixed; /* validation-shaped with a prefix label (_acme-challenge...) */
	uint64_t mixed;    /* validation-shaped with 0x20 mixed case */
	uint64_t failures;
	uint32_t attempts, max_networks;
	uint32_t repeats;   /* cache-cold evidence */
	uint32_t polls;     /* propagation-check polling evidence */
	uint32_t minimised; /* qname-minimisation evidence */

	const char *listed_ca;   /* interned, NULL when unlisted */
	const char *inferred_ca; /* from listed co-perspectives, NULL until named */
	bool ca_conflict;        /* co-perspectives named different CAs */
	const char *region;      /* interned */

	struct mpic_ref recent[MPIC_SRC_RECENT];
	uint8_t recent_next;
	struct {
		uint64_t qhash, ts_ns;
		bool usable;
	} questions[MPIC_SRC_QUESTIONS];
	uint8_t questions_next;

	struct mpic_climb *climb; /* pending CAA climb or NULL */
};

struct mpic_sources {
	uint32_t max;
	uint32_t used, high; /* entries in use; entries ever handed out */
	uint32_t free_head;
	uint32_t cursor; /* eviction sampling */
	uint32_t head_mask;
	uint32_t *heads;
	struct mpic_src *e;
	uint32_t *sketch; /* MPIC_SKETCH_ROWS rows of sketch_mask + 1 */
	uint32_t sketch_mask;
	uint64_t sketch_decay_ns; /* next halving */
	uint64_t seed;
};

/* mpic_sources_init() allocates the table; -1 on allocation failure. */
int mpic_sources_init(struct mpic_sources *t, uint32_t max, uint64_t seed);
void mpic_sources_free(struct mpic_sources *t);

/* mpic_sources_hash() is the source's table hash (also the sketch's). */
uint64_t mpic_sources_hash(const struct mpic_sources *t, const struct dcv_addr *a);

/* mpic_sources_prefetch() loads the sketch cells and the chain head of hash
 * h; mpic_sources_prefetch_entry() (later) the chain's first entry. Hints. */
void mpic_sources_prefetch(const struct mpic_sources *t, uint64_t h);
void mpic_sources_prefetch_entry(const struct mpic_sources *t, uint64_t h);

/* mpic_sources_count() adds one query to the sketch. */
void mpic_sources_count(struct mpic_sources *t, uint64_t h, uint64_t now_ns);

/* mpic_sources_find() returns the entry or NULL. */
struct mpic_src *mpic_sources_find(const struct mpic_sources *t, const struct dcv_addr *a,
                                   uint64_t h);

/* mpic_sources_index() is the entry's slot number. */
uint32_t mpic_sources_index(const struct mpic_sources *t, const struct mpic_src *s);

/* mpic_sources_pick_victim() chooses the entry to evict (table full). */
struct mpic_src *mpic_sources_pick_victim(struct mpic_sources *t);

/* mpic_sources_insert() adds a fresh entry (table not full). */
struct mpic_src *mpic_sources_insert(struct mpic_sources *t, const struct dcv_addr *a, uint64_t h,
                                     uint64_t ts_ns);

/* mpic_sources_remove() unlinks an entry (its climb must be gone). */
void mpic_sources_remove(struct mpic_sources *t, struct mpic_src *s);

/* mpic_source_confidence() weighs the whole history of the source. */
enum mpic_confidence mpic_source_confidence(const struct mpic_src *s);

/* mpic_source_share_pct() is the validation share in percent. */
unsigned mpic_source_share_pct(const struct mpic_src *s);

/* mpic_source_ca() is the CA to report: listed, else inferred, else "unknown". */
const char *mpic_source_ca(const struct mpic_src *s);

/* mpic_source_fill() fills the public view, evidence text included. */
void mpic_source_fill(const struct mpic_src *s, struct mpic_source *out);

enum mpic_repeat { MPIC_Q_NEW = 0, MPIC_Q_RETRANSMIT, MPIC_Q_COLD, MPIC_Q_POLL };

/* mpic_source_note_question() remembers a validation question (and whether
 * its answer was usable) and says how it relates to the last ask. */
enum mpic_repeat mpic_source_note_question(struct mpic_src *s, uint64_t qhash, uint64_t ts_ns,
                                           bool usable, uint64_t window_ns);

/* Names (presentation form, escapes honoured). */

/* mpic_name_labels() counts labels; 0 for "" and ".". */
unsigned mpic_name_labels(const char *n, size_t len);

/* mpic_name_ancestor_depth() returns k >= 0 when anc is desc itself (0) or
 * the ancestor k labels up, else -1. */
int mpic_name_ancestor_depth(const char *desc, size_t dlen, const char *anc, size_t alen);

#endif
