/*
 * rule.h - what the rule files share (not public): the context a rule runs
 * in, finding construction helpers, and per-CA/region validator totals.
 *
 * A rule is `int rule_<id>(struct rule_ctx *c)`: it reads through db/ (only
 * rule_queries.h), builds findings and hands each to rule_emit(). It returns
 * 0, or -1 on a database error.
 */
#ifndef DCV_RULE_H
#define DCV_RULE_H

#include <stdarg.h>
#include <stddef.h>

#include "finding.h"
#include "rule_judge.h"
#include "rule_queries.h"
#include "rules_config.h"

struct rule_ctx {
	struct db *db;
	const struct rules_scope *scope;
	const struct rules_config *cfg; /* NULL = defaults */
	int (*emit)(struct rule_ctx *c, const struct finding *f);
	void *priv; /* the runner's */
};

/* Sources of the scope kept by rule_sources() for the rules after the first
 * (one row is about 400 bytes); beyond this many the first reading also
 * writes them to a temporary file that the others read back
 * (source_spill.h). */
#define RULE_SOURCES_CACHE_MAX 250000

/* rule_sources() calls fn for every source of the scope, as
 * db_rule_sources() does and in the same order, but reads them from the
 * database only once per rules_run() (the rules that need per-source totals
 * would otherwise each group the scope's buckets again). Returns how many
 * rows were delivered, or -1. */
int rule_sources(struct rule_ctx *c, int (*fn)(void *ctx, const struct db_rule_source *s),
                 void *ctx);

/* The threshold k of c's configuration. */
double rule_cfg(const struct rule_ctx *c, enum rules_config_key k);

/* rule_finding_init() clears f and sets its identity. */
void rule_finding_init(struct finding *f, const char *rule, enum rule_severity sev,
                       const char *kind, const char *subject);

/* rule_metric() adds one machine number (ignored past FINDING_METRICS_MAX). */
void rule_metric(struct finding *f, const char *key, double value);

/* rule_append() appends formatted text to buf (cut at len; stays terminated). */
void rule_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* rule_emit() hands f to the runner. Returns 0 or -1. */
int rule_emit(struct rule_ctx *c, const struct finding *f);

/* Validator totals of one (CA, region) over the scope. */
struct rule_group {
	char ca[64], region[64];
	uint64_t sources, queries, queries_tcp, responses, servfail, refused, other_rcode;
	uint64_t truncated, unanswered, tcp_sessions, tcp_rejected, tcp_filtered, tcp_stalled;
	uint64_t peak_qps, first_ns, last_ns;
};

/* rule_groups_read() sums the validator sources of the scope per (CA,
 * region) into *out (malloc'd, caller frees), sorted by CA then region.
 * Returns 0 or -1. */
int rule_groups_read(struct rule_ctx *c, struct rule_group **out, size_t *n);

/* The runner keeps rule_groups_read()'s answer for the rules after the
 * first that asks (four rules read the groups; with more sources than
 * RULE_SOURCES_CACHE_MAX each read was a pass over every bucket row).
 * rule_groups_cached() returns it (NULL: not kept yet), and
 * rule_groups_remember() keeps a copy of g (best effort). */
const struct rule_group *rule_groups_cached(struct rule_ctx *c, size_t *n);
void rule_groups_remember(struct rule_ctx *c, const struct rule_group *g, size_t n);

/* rule_group_add() adds b's counters into a (keeps a's names). */
void rule_group_add(struct rule_group *a, const struct rule_group *b);

/* rule_z_score() is the one-sided two-proportion z score (pooled standard
 * error) of x1/n1 above x2/n2; 0 when the pooled rate is 0 or 1 (the two
 * rates are then equal). n1 and n2 must not be 0. */
double rule_z_score(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2);

/* rule_validator_rcode() is the shared test of REFUSED_TO_VALIDATORS and
 * SERVFAIL_TO_VALIDATORS (rule_validator_answers.c): findings with id for
 * the CAs whose validators got rcode. Returns 0 or -1. */
int rule_validator_rcode(struct rule_ctx *c, const char *id, int rcode, const char *rcode_name,
                         const char *advice);

/* The catalogue, in order (rules.c). */
int rule_session_cap(struct rule_ctx *c);
int rule_tcp53_rejected(struct rule_ctx *c);
int rule_tc_without_tcp(struct rule_ctx *c);
int rule_region_asymmetry(struct rule_ctx *c);
int rule_rate_limited(struct rule_ctx *c);
int rule_refused_to_validators(struct rule_ctx *c);
int rule_servfail_to_validators(struct rule_ctx *c);
int rule_validator_drops(struct rule_ctx *c);
int rule_mpic_quorum_at_risk(struct rule_ctx *c);
int rule_caa_burst(struct rule_ctx *c);
int rule_acme_txt_ttl_high(struct rule_ctx *c);
int rule_acme_txt_missing(struct rule_ctx *c);
int rule_dnssec_bogus(struct rule_ctx *c);
int rule_dnssec_rrsig_missing(struct rule_ctx *c);
int rule_dnssec_nsec_missing(struct rule_ctx *c);
int rule_dnssec_dnskey_missing(struct rule_ctx *c);
int rule_dnssec_expiring(struct rule_ctx *c);
int rule_caa_denies_ca(struct rule_ctx *c);
int rule_edns_noncompliant(struct rule_ctx *c);
int rule_large_udp_answers(struct rule_ctx *c);
int rule_negative_without_soa(struct rule_ctx *c);
int rule_caa_unsupported(struct rule_ctx *c);
int rule_slow_answers(struct rule_ctx *c);

#endif
