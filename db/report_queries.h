/*
 * report_queries.h - the read queries of the nightly report (`dcvscope
 * report`): every SQL text the report needs lives in report_queries.c.
 *
 * Scopes are those of rule_queries.h: run_id > 0 reads one run; run_id 0
 * reads the rows whose time falls in [from_ns, to_ns) across runs. As in the
 * rules, validators are the sources of validator_sources at confidence
 * medium or above. The report's per-CA, per-region and total tables fold
 * db_rule_sources() (rule_queries.h), the per-source totals the rules read;
 * the report reads them together with db_report_ca_series() in one pass
 * (db_source_scan(), source_scan.h).
 */
#ifndef DCV_REPORT_QUERIES_H
#define DCV_REPORT_QUERIES_H

#include <stdint.h>

#include "db.h"
#include "depth_store.h"
#include "finding.h"
#include "rule_queries.h"

/*
 * What the capture saw and lost. Run counters (frames .. evictions) are the
 * totals of the runs overlapping the scope, whole runs (a run's accounting
 * is not stored per bucket); capture interval counters are those of the
 * live capture intervals ending inside the scope.
 */
struct db_report_coverage {
	uint64_t runs, runs_live, runs_incomplete;
	uint64_t first_packet_ns, last_packet_ns; /* of those runs; 0 when none */
	uint64_t bucket_len_s;                    /* longest bucket of those runs */
	uint64_t frames, dns_frames, not_dns, queries, responses;
	uint64_t kernel_dropped, snap_truncated, malformed_frames, dns_malformed;
	uint64_t unsupported_link, evictions;
	uint64_t intervals, iv_frames, iv_kernel_dropped, iv_if_dropped, iv_ringbuf_dropped;
	uint64_t iv_truncated;
};

/* db_report_coverage() fills *out for the scope. Returns 0, or -1 with *out
 * unchanged (db_errmsg()). */
int db_report_coverage(struct db *db, const struct rules_scope *scope,
                       struct db_report_coverage *out);

/* db_report_malformed() gives the malformed packets of the runs overlapping
 * the scope by reason, most first. t = {reason}; n = {count}. */
int db_report_malformed(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                        void *ctx);

/* One step of a time series. */
struct db_report_point {
	char key[64];      /* CA id or source address */
	uint64_t t_ns;     /* start of the step */
	uint64_t queries;  /* sum over the step (per-second series: the busiest second) */
	uint64_t answered; /* NOERROR + NXDOMAIN answers (per-second: the busiest second) */
	uint64_t failures; /* unanswered + SERVFAIL + REFUSED + TCP rejected/filtered */
	uint64_t peak_qps; /* maximum over the step */
	uint64_t max_concurrent_tcp; /* maximum over the step */
	uint64_t tcp_failed;         /* TCP connections rejected or never answered */
};

typedef int (*db_report_point_fn)(void *ctx, const struct db_report_point *p);

/* db_report_ca_series() gives the validators' traffic per CA per step_ns
 * (> 0) step, ordered by CA then time; steps without rows are absent.
 * Returns how many, or -1. */
int db_report_ca_series(struct db *db, const struct rules_scope *scope, uint64_t step_ns,
                        db_report_point_fn fn, void *ctx);

/* db_report_source_series() gives one source's buckets per step_ns step
 * (source_stats), in time order. Returns how many, or -1. */
int db_report_source_series(struct db *db, const struct rules_scope *scope, const char *source,
                            uint64_t step_ns, db_report_point_fn fn, void *ctx);

/* db_report_source_seconds() gives one source's busy seconds
 * (source_seconds) per step_ns step: the most queries and the most usable
 * answers in one second of the step, in time order. Returns how many, or -1. */
int db_report_source_seconds(struct db *db, const struct rules_scope *scope, const char *source,
                             uint64_t step_ns, db_report_point_fn fn, void *ctx);

/* db_report_attempts() gives the MPIC attempts of the scope per CA and
 * number of perspectives with a usable answer, by CA, then most
 * perspectives and most usable first.
 * t = {ca}; n = {perspectives, usable, attempts, corroborated, at_risk,
 * failed}. */
int db_report_attempts(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                       void *ctx);

/* db_report_failing_names() gives up to limit query names with the most
 * failed transactions (unanswered, or any rcode but NOERROR and NXDOMAIN),
 * most first. t = {qname, CAs of the validators among the clients, comma
 * separated}; n = {failures, unanswered, servfail, refused, other_rcode,
 * sources, validator_failures}. */
int db_report_failing_names(struct db *db, const struct rules_scope *scope, unsigned limit,
                            db_rule_row_fn fn, void *ctx);

/*
 * The deeper look of the scope (tables dnssec_names, caa_decisions,
 * edns_checks), one row per key across the runs, problems first and at most
 * limit rows; the tally counts every row of the scope (the rows left out
 * are tally.rows minus those given).
 */
struct db_report_tally {
	uint64_t rows;
	uint64_t bogus, indeterminate, expiring; /* DNSSEC: worst status, expiring */
	uint64_t denied;                         /* CAA: decisions denying the CA */
};

/* One name and type of dnssec_names folded over the runs of the scope:
 * status, error, detail and ca of its worst row (the latest of equals;
 * BOGUS, INDETERMINATE, INSECURE, SECURE from worst), responses summed,
 * first_ns the earliest, last_ns the latest, expires_ns the earliest
 * expiry (0 none); zone is left "". */
struct db_report_dnssec {
	struct db_dnssec_row d;
	int expiring; /* SECURE, and the earliest expiry is less than within_ns
	                 after the newest packet of the scope (as DNSSEC_EXPIRING) */
};

typedef int (*db_report_dnssec_fn)(void *ctx, const struct db_report_dnssec *r);

/* db_report_dnssec() gives up to limit names: BOGUS, then INDETERMINATE,
 * then expiring (soonest first), then the others, each by name and type.
 * Fills *tally. Returns how many fn got, or -1 with *tally unchanged. */
int db_report_dnssec(struct db *db, const struct rules_scope *scope, uint64_t within_ns,
                     unsigned limit, db_report_dnssec_fn fn, void *ctx,
                     struct db_report_tally *tally);

typedef int (*db_report_caa_fn)(void *ctx, const struct db_caa_row *r);

/* db_report_caa() gives up to limit CAA decisions per CA and name folded
 * over the runs: owner, rrset, allowed, wild_allowed, reason and fix of a
 * denying row when one run denied (the latest), else of the latest row;
 * queries summed. Denials first, then by CA and name. Fills *tally.
 * Returns how many fn got, or -1 with *tally unchanged. */
int db_report_caa(struct db *db, const struct rules_scope *scope, unsigned limit,
                  db_report_caa_fn fn, void *ctx, struct db_report_tally *tally);

typedef int (*db_report_edns_fn)(void *ctx, const struct db_edns_row *r);

/* db_report_edns() gives up to limit failing EDNS checks per server and
 * check folded over the runs: failures and edns_queries summed (the EDNS
 * queries of the runs in which the check failed), the example of the
 * earliest failing run. By server, then check. Fills *tally. Returns how
 * many fn got, or -1 with *tally unchanged. */
int db_report_edns(struct db *db, const struct rules_scope *scope, unsigned limit,
                   db_report_edns_fn fn, void *ctx, struct db_report_tally *tally);

#endif
