/*
 * validator_store.h - storing and reading CA validator sources and MPIC
 * attempts (tables validator_sources, attempts, attempt_perspectives; view
 * validator_stats: schema version 2, documented in schema.c).
 */
#ifndef DCV_VALIDATOR_STORE_H
#define DCV_VALIDATOR_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "mpic.h"

/*
 * db_attempt_add() queues one attempt with its kept perspectives (copied,
 * strings included) for the next batch, like db_txn_add(): it never waits
 * for the background writer unless the queue is full. Returns 0 or -1.
 */
int db_attempt_add(struct db *db, int64_t run_id, const struct mpic_attempt *a);

/*
 * db_validator_sources_store() replaces the run's validator sources with the
 * sources m judges validators at confidence min or above, in one
 * transaction. Returns how many were stored, or -1.
 */
int db_validator_sources_store(struct db *db, int64_t run_id, const struct mpic *m,
                               enum mpic_confidence min);

/* The `below` of db_validator_sources_store_range() that bounds nothing. */
#define DB_VALIDATOR_CONF_ALL (MPIC_CONF_LISTED + 1)

/*
 * db_validator_sources_store_range() stores, in one transaction, the sources
 * m judges validators at confidence min or above but below `below`; with
 * replace the run's validator sources are deleted first, without it they
 * are added to (a source stored before is an error). Returns how many were
 * stored, or -1.
 */
int db_validator_sources_store_range(struct db *db, int64_t run_id, const struct mpic *m,
                                     enum mpic_confidence min, enum mpic_confidence below,
                                     bool replace);

/*
 * db_validator_sources_store_list() stores the n sources of list (address
 * text order is fastest) as db_validator_sources_store_range() does.
 */
int db_validator_sources_store_list(struct db *db, int64_t run_id, const struct mpic_source *list,
                                    size_t n, bool replace);

/*
 * The rest of the validator sources stored by a thread of their own: the
 * rows the summary and the rules never read (low confidence: tens of
 * thousands on a busy server, a fifth of a second of inserts) go in while
 * the caller's connection goes on reading.
 *
 * db_validators_rest_start() starts a thread that copies the sources m
 * judges validators at confidence min up to, not including, below (m must
 * not change until db_validators_rest_finish()), then waits. NULL when the
 * thread cannot start: store them in line.
 *
 * db_validators_rest_go() lets it open a connection of its own to path and
 * add them to run_id's validator sources (no replace). The caller must not
 * write to the file from then on until db_validators_rest_finish() (its
 * write would wait for the thread's).
 *
 * db_validators_rest_finish() waits for the thread and frees r; if it was
 * not told to go, it is told to now, and with store false to store nothing
 * (the run failed). Returns how many rows it stored, or -1 with the reason
 * in err.
 */
struct db_validators_rest;
struct db_validators_rest *db_validators_rest_start(const char *path, int64_t run_id,
                                                    const struct mpic *m, enum mpic_confidence min,
                                                    enum mpic_confidence below);
void db_validators_rest_go(struct db_validators_rest *r);
int db_validators_rest_finish(struct db_validators_rest *r, bool store, char *err, size_t errlen);

/*
 * db_validator_source_add() stores one validator source row of a run (or
 * replaces the row of the same source), for merged databases and tests
 * that build data without an MPIC table. Returns 0, or -1 (bad address,
 * database error).
 */
int db_validator_source_add(struct db *db, int64_t run_id, const struct mpic_source *s);

/* One validator source as read back. */
struct db_validator_row {
	char address[DCV_ADDR_TEXT_MAX];
	char ca[64];
	char region[64];
	char confidence[16];
	char evidence[MPIC_EVIDENCE_MAX];
	uint64_t queries, validation_queries, failures, attempts;
};

/* db_validators_read() calls fn for the run's validator sources with
 * confidence >= min_conf ("low", "medium", "high", "listed"), most queries
 * first, up to limit (0 = all). Returns how many, or -1. */
int db_validators_read(struct db *db, int64_t run_id, const char *min_conf, unsigned limit,
                       int (*fn)(void *ctx, const struct db_validator_row *r), void *ctx);

/* Per CA and region totals of a run (validator sources at medium or above). */
struct db_ca_region_row {
	char ca[64];
	char region[64];
	uint64_t sources, queries, responses, unanswered, servfail, refused, other_rcode,
	    tcp_sessions, tcp_rejected, tcp_filtered, tcp_stalled;
	uint32_t peak_qps, max_concurrent_tcp;
};

/* db_ca_region_read() calls fn per (CA, region), most queries first. Returns
 * how many, or -1. */
int db_ca_region_read(struct db *db, int64_t run_id,
                      int (*fn)(void *ctx, const struct db_ca_region_row *r), void *ctx);

/* Attempt totals of a run. */
struct db_attempt_totals {
	uint64_t total, corroborated, at_risk, failed;
};

/* db_attempt_totals() fills *out. Returns 0 or -1. */
int db_attempt_totals(struct db *db, int64_t run_id, struct db_attempt_totals *out);

/* One attempt as read back, with its kept perspectives. */
struct db_attempt_row {
	int64_t id;
	uint64_t first_ns, last_ns;
	char name[DCV_SHAPE_BASE_MAX];
	char ca[64];
	char method[32];
	char status[16];
	unsigned caa_labels, perspectives, usable, failed;
	unsigned nkept;
	struct {
		char address[DCV_ADDR_TEXT_MAX];
		char region[64];
		char outcome[16];
		unsigned queries, failures;
	} kept[MPIC_MAX_PERSPECTIVES];
};

/* db_attempts_read() calls fn for the run's attempts in time order, only
 * those not corroborated when problems_only, up to limit (0 = all).
 * Returns how many, or -1. */
int db_attempts_read(struct db *db, int64_t run_id, bool problems_only, unsigned limit,
                     int (*fn)(void *ctx, const struct db_attempt_row *r), void *ctx);

#endif
