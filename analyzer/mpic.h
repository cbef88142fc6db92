/*
 * mpic.h - recognising CA validators and their multi-perspective validation
 * attempts (MPIC, CA/B Forum BR 3.2.2.9) from the transactions they make.
 *
 * Input: every ended transaction (answered or unanswered) with the query's
 * shape, resolver fingerprints, outcome and what the range table and the
 * geo databases know about the source; plus TCP connection failures.
 * Output:
 *  - attempts: the queries that the perspectives of one CA send for one
 *    validation name within a window, with each perspective's outcome and
 *    whether the attempt reaches the quorum;
 *  - validator sources: every source judged to be a validator, with its CA
 *    (named only when a range lists it or a listed co-perspective of the same
 *    attempt names it; otherwise "unknown"), region, confidence and evidence.
 *
 * All state is bounded (named limits below); evictions are counted.
 */
#ifndef DCV_MPIC_H
#define DCV_MPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "dcv_shape.h"
#include "records.h"

#define MPIC_WINDOW_MS_DEFAULT        10000 /* perspectives of one attempt query within this window */
#define MPIC_MAX_ATTEMPTS_DEFAULT     65536 /* attempts open at once */
#define MPIC_MAX_SOURCES_DEFAULT      65536 /* validator (candidate) sources tracked */
#define MPIC_MAX_PERSPECTIVES         16 /* perspectives kept per attempt (more are counted only) */
#define MPIC_EVIDENCE_MAX             160 /* evidence text per source */
#define MPIC_ATTEMPT_MIN_PERSPECTIVES 2   /* fewer (and none listed) is a lookup, not an attempt */

enum mpic_confidence {
	MPIC_CONF_NONE = 0, /* not a validator as far as we can tell */
	MPIC_CONF_LOW,
	MPIC_CONF_MEDIUM,
	MPIC_CONF_HIGH,
	MPIC_CONF_LISTED, /* in the validator range table */
};

/* A perspective's outcome in an attempt, worst it saw. */
enum mpic_outcome {
	MPIC_OUT_ANSWERED = 0, /* NOERROR with data */
	MPIC_OUT_NEGATIVE,     /* NXDOMAIN or NODATA: a usable answer */
	MPIC_OUT_REFUSED,
	MPIC_OUT_SERVFAIL,
	MPIC_OUT_OTHER_RCODE, /* FORMERR, NOTIMP, ... */
	MPIC_OUT_UNANSWERED,
	MPIC_OUT_TCP_FAILURE, /* its TCP connection was rejected or never answered */
	MPIC_OUT_COUNT
};

/* mpic_outcome_usable() is true when the perspective got an answer the CA can use. */
static inline bool mpic_outcome_usable(enum mpic_outcome o)
{
	return o == MPIC_OUT_ANSWERED || o == MPIC_OUT_NEGATIVE;
}

enum mpic_status {
	MPIC_CORROBORATED = 0, /* every perspective got a usable answer */
	MPIC_AT_RISK,          /* some failed, but no more than the quorum allows */
	MPIC_FAILED,           /* more failed than the quorum allows */
};

/* One ended transaction, as the analyzer sees it. Strings live during the call. */
struct mpic_txn {
	uint64_t ts_ns; /* query time */
	struct dcv_addr source;
	const char *qname; /* lowercased text form */
	uint16_t qname_len;
	uint16_t qtype;
	enum dcv_transport transport;
	bool mixed_case; /* 0x20 encoding seen in the query */
	bool edns, do_bit;
	uint16_t edns_udp_size;
	int32_t rcode;    /* -1 when unanswered */
	uint16_t answers; /* answer records of the query type (0 with NOERROR = NODATA) */
	bool tc;
	/* what the tables say about the source */
	const char *listed_ca; /* CA of the strongest range row, NULL when unlisted */
	const char *region;    /* range row's region, else geo region, else "unknown" */
	uint32_t asn;          /* 0 when unknown */
	/* the query's shape when the caller has classified it already, else NULL;
	 * listed_ca/region/asn are read only for validation-shaped queries */
	const struct dcv_shape_result *shape;
};

struct mpic_perspective {
	struct dcv_addr source;
	const char *region;
	enum mpic_confidence confidence;
	enum mpic_outcome outcome;
	uint32_t queries;
	uint32_t failures;
};

struct mpic_attempt {
	uint64_t first_ns, last_ns;
	const char *name;        /* the validation name (base), text form */
	const char *ca;          /* "unknown" unless evidence names it */
	enum dcv_shape method;   /* the validation query shape that opened it (CAA if only CAA) */
	bool caa_climb;          /* CAA for the name and its ancestors was seen */
	uint8_t caa_labels;      /* most ancestors climbed by one perspective */
	unsigned nperspectives;  /* distinct sources (may exceed the kept list) */
	unsigned usable, failed; /* perspectives with / without a usable answer */
	enum mpic_status status;
	const struct mpic_perspective *perspectives; /* the first MPIC_MAX_PERSPECTIVES */
	unsigned nkept;
};

struct mpic_source {
	struct dcv_addr source;
	const char *ca; /* "unknown" unless evidence names it */
	const char *region;
	enum mpic_confidence confidence;
	char evidence[MPIC_EVIDENCE_MAX];
	uint64_t first_ns, last_ns;
	uint64_t queries, validation_queries, failures;
	uint32_t attempts;
};

struct mpic_callbacks {
	void *ctx;
	/* an attempt whose window closed; pointers valid during the call */
	void (*on_attempt)(void *ctx, const struct mpic_attempt *a);
};

struct mpic_config {
	uint32_t window_ms;    /* 0 = default */
	uint32_t max_attempts; /* 0 = default */
	uint32_t max_sources;  /* 0 = default */
	/* Added: how long after its window an attempt waits for late
	 * transactions (unanswered queries end only at the transaction timeout);
	 * 0 = default, the transaction timeout TXN_TIMEOUT_MS_DEFAULT (5 s). */
	uint32_t late_ms;
};

struct mpic_stats {
	uint64_t attempts, corroborated, at_risk, failed;
	uint64_t evicted_attempts, evicted_sources;
	uint64_t single_source; /* validation-name lookups by one unlisted source: not attempts */
};

struct mpic;

/* mpic_new() allocates; NULL on allocation failure. cfg may be NULL. */
struct mpic *mpic_new(const struct mpic_config *cfg, const struct mpic_callbacks *cb);

/* mpic_free() frees without emitting. NULL is a no-op. */
void mpic_free(struct mpic *m);

/* mpic_reseed() replaces the random hash seed (drawn by mpic_new()) with
 * seed, so that the same input gives the same attempts and confidences:
 * the address cache and the query sketch are bounded and their collisions
 * depend on the seed. Only before the first transaction; later it is
 * ignored (returns -1). Returns 0. */
int mpic_reseed(struct mpic *m, uint64_t seed);

/* mpic_prefetch() starts loading what mpic_on_txn() will touch for a
 * transaction of source and returns the hash that mpic_prefetch_entry()
 * takes to load the source's entry once the first loads are in. Hints for
 * a caller that looks ahead; no effect on results. */
uint64_t mpic_prefetch(const struct mpic *m, const struct dcv_addr *source);
void mpic_prefetch_entry(const struct mpic *m, uint64_t h);
/* mpic_prefetch_name() starts loading the address-cache slot that a
 * transaction of the source with hash h (from mpic_prefetch()) about name
 * (lowercased presentation form, cut as txn_result cuts it) will use. */
void mpic_prefetch_name(const struct mpic *m, uint64_t h, const char *name, size_t len);

/* mpic_on_txn() feeds one ended transaction (call for every transaction, not
 * only validation-shaped ones: ordinary traffic is evidence against). */
void mpic_on_txn(struct mpic *m, const struct mpic_txn *t);

/* mpic_on_tcp_failure() records a TCP connection from source that was
 * rejected (RST) or never answered. */
void mpic_on_tcp_failure(struct mpic *m, uint64_t ts_ns, const struct dcv_addr *source,
                         bool rejected);

/* mpic_advance() closes attempts whose window (plus late_ms for late
 * unanswered transactions) ended before now_ns, after joining CAA climbs
 * older than the climb window to their attempts. */
void mpic_advance(struct mpic *m, uint64_t now_ns);

/* mpic_finish() closes every attempt. */
void mpic_finish(struct mpic *m);

/* mpic_foreach_source() calls fn for every source judged a validator
 * (confidence >= min), in no particular order. Returns how many. */
unsigned mpic_foreach_source(const struct mpic *m, enum mpic_confidence min,
                             void (*fn)(void *ctx, const struct mpic_source *s), void *ctx);

/* mpic_foreach_source_by_address() is mpic_foreach_source() in address
 * text order (strcmp, SQLite's BINARY collation: the order of a table
 * keyed on the address, written fastest in that order). Returns how many,
 * or -1 when memory for the order ran out (fn not called). */
int mpic_foreach_source_by_address(const struct mpic *m, enum mpic_confidence min,
                                   void (*fn)(void *ctx, const struct mpic_source *s), void *ctx);

/* mpic_get_stats() returns the counters (never NULL). */
const struct mpic_stats *mpic_get_stats(const struct mpic *m);

/* Stable keys for output: "listed", "high", ...; "answered", "unanswered", ...;
 * "corroborated", "at_risk", "failed". */
const char *mpic_confidence_name(enum mpic_confidence c);
const char *mpic_outcome_name(enum mpic_outcome o);
const char *mpic_status_name(enum mpic_status s);

/*
 * mpic_quorum_failures_allowed() is the CA/B Forum table (BR 3.2.2.9):
 * with 2-5 remote perspectives 1 may fail, with 6 or more 2; below 2, 0.
 */
unsigned mpic_quorum_failures_allowed(unsigned remote_perspectives);

#endif
