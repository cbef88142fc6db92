/*
 * rule_queries.h - the read queries of the rules engine (rules/): every SQL
 * text the rules need lives in rule_queries.c.
 *
 * Every query takes a struct rules_scope: run_id > 0 reads that run only;
 * run_id == 0 reads the rows of every run whose time (bucket start, second,
 * query time, attempt start) falls in [from_ns, to_ns). Validator sources
 * are those of validator_sources at confidence medium or above.
 */
#ifndef DCV_RULE_QUERIES_H
#define DCV_RULE_QUERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "finding.h"

/* One source's totals over the scope (sums; maxima for peaks). */
struct db_rule_source {
	char source[DCV_ADDR_TEXT_MAX];
	char ca[64];     /* "" when not a validator */
	char region[64]; /* "" when not a validator */
	uint64_t queries, queries_udp, queries_tcp, responses;
	uint64_t noerror, nxdomain, servfail, refused, truncated, unanswered;
	uint64_t other_rcode;     /* every other rcode, FORMERR and NOTIMP included */
	uint64_t formerr, notimp; /* of other_rcode */
	uint64_t retransmits;     /* queries repeated before an answer */
	uint64_t peak_qps, max_concurrent_tcp;
	uint64_t tcp_sessions, tcp_rejected, tcp_filtered, tcp_server_closed;
	uint64_t first_ns, last_ns; /* span of its buckets */
	/* buckets in which TCP connections failed (rejected or filtered): */
	uint64_t fail_buckets;
	uint64_t fail_conc_max, fail_conc_min; /* max_concurrent_tcp over them */
	uint64_t fail_first_ns, fail_last_ns;
	uint64_t tcp_stalled;    /* sessions that carried a query, never answered */
	uint64_t max_served_tcp; /* most sessions open at once that the server answered on */
	/* buckets with stalled sessions: */
	uint64_t stall_buckets;
	uint64_t stall_served_max, stall_served_min; /* max_served_tcp over them */
	uint64_t stall_first_ns, stall_last_ns;
};

/* db_rule_sources() calls fn for every source of the scope, in address-text
 * order (one pass of db_source_scan(), source_scan.h). Returns how many, or
 * -1 (db_errmsg()). */
int db_rule_sources(struct db *db, const struct rules_scope *scope,
                    int (*fn)(void *ctx, const struct db_rule_source *s), void *ctx);

/* One busy second of one source (table source_seconds). */
struct db_rule_second {
	char source[DCV_ADDR_TEXT_MAX];
	uint64_t second_ns;
	uint64_t queries, responses, noerror, nxdomain, refused, servfail, other_rcode, truncated;
};

/* db_rule_seconds() calls fn for every stored second of the scope, ordered
 * by source then time. Returns how many, or -1. */
int db_rule_seconds(struct db *db, const struct rules_scope *scope,
                    int (*fn)(void *ctx, const struct db_rule_second *s), void *ctx);

/* A grouped row: up to three texts and up to eight numbers; each query
 * below says what its columns are. */
struct db_rule_row {
	char t[3][256];
	int64_t n[8];
};

typedef int (*db_rule_row_fn)(void *ctx, const struct db_rule_row *r);

/* db_rule_validator_names() groups validator transactions with the given
 * outcome (rcode >= 0: answered with that rcode; rcode < 0: unanswered) by
 * CA and name, most frequent first within a CA.
 * t = {ca, qname}; n = {count, first_ns, last_ns, sources}. */
int db_rule_validator_names(struct db *db, const struct rules_scope *scope, int rcode,
                            db_rule_row_fn fn, void *ctx);

/* db_rule_tc_retries() counts, per CA, the validators' UDP answers with
 * TC=1 and how many of them had no answered TCP query for the same name and
 * type from the same source within window_ns.
 * t = {ca, example qname not retried}; n = {truncated, unretried, first_ns,
 * last_ns, sources_unretried}. */
int db_rule_tc_retries(struct db *db, const struct rules_scope *scope, uint64_t window_ns,
                       db_rule_row_fn fn, void *ctx);

/* db_rule_attempt_cas() gives per CA the attempts of the scope.
 * t = {ca}; n = {attempts, at_risk, failed, first_ns, last_ns}. */
int db_rule_attempt_cas(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                        void *ctx);

/* db_rule_attempt_failures() gives per CA, region and outcome the
 * perspectives without a usable answer in attempts not corroborated, most
 * first. t = {ca, region, outcome}; n = {perspectives, distinct sources}. */
int db_rule_attempt_failures(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                             void *ctx);

/* db_rule_attempt_names() gives per CA the names of attempts not
 * corroborated, most first. t = {ca, name}; n = {attempts}. */
int db_rule_attempt_names(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                          void *ctx);

/* db_rule_caa_bursts() gives per attempt name, over attempts whose
 * perspectives climbed at least min_labels names, the CAA lookups for the
 * name or an ancestor during the attempt that were dropped (unanswered) or
 * REFUSED while the same source got a usable CAA answer (NOERROR/NXDOMAIN)
 * for another step of the same climb: the burst, not the source, failed.
 * t = {name}; n = {failed_lookups, attempts, max_labels,
 * first_ns, last_ns, sources, unanswered}. */
int db_rule_caa_bursts(struct db *db, const struct rules_scope *scope, unsigned min_labels,
                       db_rule_row_fn fn, void *ctx);

/* db_rule_large_answers() counts, per CA, the validators' UDP answers
 * larger than max_size bytes or sent in IP fragments (stored with version 8
 * of the schema), and how many of them the same source asked again (same
 * name and type) within window_ns: the answer was lost on its way.
 * t = {ca, example qname}; n = {answers, fragmented,
 * largest, sources, first_ns, last_ns, asked_again}. */
int db_rule_large_answers(struct db *db, const struct rules_scope *scope, uint64_t max_size,
                          uint64_t window_ns, db_rule_row_fn fn, void *ctx);

/* db_rule_caa_answers() sums, per CA, its validators' stored CAA lookups
 * and their other lookups: t = {ca, example qname of a failed CAA lookup,
 * an rcode (number) a CAA lookup got that is not NOERROR, NXDOMAIN,
 * SERVFAIL or REFUSED}; n = {caa, caa_unanswered, caa_odd_rcode, other,
 * other_unanswered, sources, first_ns, last_ns}. */
int db_rule_caa_answers(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                        void *ctx);

/* db_rule_slow_answers() counts, per CA, its validators' answered stored
 * lookups and those answered slow_us or more after the query: t = {ca,
 * example qname of a slow one}; n = {answered, slow, max_latency_us,
 * sources_slow, first_ns, last_ns (of the slow ones)}. */
int db_rule_slow_answers(struct db *db, const struct rules_scope *scope, uint64_t slow_us,
                         db_rule_row_fn fn, void *ctx);

/* db_rule_acme_nxdomain() groups NXDOMAIN answers to validators for
 * challenge names (_acme-challenge, _validation-persist, _dnsauth shapes)
 * by name. t = {qname, cas}; n = {count, sources, first_ns, last_ns}. */
int db_rule_acme_nxdomain(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                          void *ctx);

/* db_rule_has_answer_ttl() returns 1 when the transactions table has the
 * column answer_ttl (files created before it was added lack it), 0 when
 * not, -1 on error. */
int db_rule_has_answer_ttl(struct db *db);

/* db_rule_acme_ttl() groups answered challenge TXT transactions whose
 * answer_ttl exceeds ttl_max by name (only when db_rule_has_answer_ttl()).
 * t = {qname}; n = {count, max_ttl, first_ns, last_ns}. */
int db_rule_acme_ttl(struct db *db, const struct rules_scope *scope, uint64_t ttl_max,
                     db_rule_row_fn fn, void *ctx);

/* db_rule_latest_run() returns the newest run's id, 0 when there is none,
 * or -1. */
int64_t db_rule_latest_run(struct db *db);

/* db_rule_newest_packet() returns the latest last_packet_ns (or started_ns
 * of a run still going) of all runs, 0 when none, or -1 on error. */
int64_t db_rule_newest_packet(struct db *db);

/* db_rule_dnssec_errors() groups the DO=1 names of the scope that are
 * BOGUS with the DNSSEC error kind error ("DNSSEC_BOGUS", "RSIGS_MISSING", ...), by name.
 * t = {name, detail of one of them, status}; n = {qtype, responses,
 * first_ns, last_ns}. */
int db_rule_dnssec_errors(struct db *db, const struct rules_scope *scope, const char *error,
                          db_rule_row_fn fn, void *ctx);

/* db_rule_dnssec_expiring() gives the SECURE names of the scope whose
 * earliest RRSIG expiry is less than within_ns after the newest packet of
 * the scope's runs, soonest first.
 * t = {name, zone, detail}; n = {qtype, expires_ns, newest_packet_ns,
 * first_ns, last_ns}. */
int db_rule_dnssec_expiring(struct db *db, const struct rules_scope *scope, uint64_t within_ns,
                            db_rule_row_fn fn, void *ctx);

/* db_rule_caa_denials() gives the CAA decisions of the scope that deny the
 * asking CA. t = {"ca name", rrset (with its owner first: "owner: ..."), fix};
 * n = {queries, first_ns, last_ns, wild_allowed}. */
int db_rule_caa_denials(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                        void *ctx);

/* db_rule_edns_failures() gives the failing EDNS checks of the scope, by
 * server then check (all but negative_without_soa). t = {server, check,
 * example}; n = {failures, edns_queries, first_ns, last_ns}. */
int db_rule_edns_failures(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                          void *ctx);

/* db_rule_negative_no_soa() gives, per server, the authoritative negative
 * answers without SOA (edns_checks row negative_without_soa). t = {server,
 * example}; n = {failures, first_ns, last_ns}. */
int db_rule_negative_no_soa(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                            void *ctx);

#endif
