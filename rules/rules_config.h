/*
 * rules_config.h - the rules' thresholds: one table of keys with their
 * defaults and one-line docs (defined once, in rules_config.c), overridable
 * from the [rules] section of an INI file.
 */
#ifndef DCV_RULES_CONFIG_H
#define DCV_RULES_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* Every threshold, X(id, "key", default, "doc"). The key is the INI name. */
#define RULES_CONFIG_KEYS(X)                                                                       \
	X(RC_SESSION_CAP_MIN_FAILED, "session_cap_min_failed", 5,                                  \
	  "TCP connections rejected/unanswered from one source before a cap is inferred")          \
	X(RC_SESSION_CAP_MIN_PLATEAU, "session_cap_min_plateau", 2,                                \
	  "smallest concurrent-session plateau taken as a cap (1 is a lone reset)")                \
	X(RC_SESSION_CAP_TOLERANCE, "session_cap_tolerance", 0.1,                                  \
	  "buckets with failures must reach this close (fraction) to the plateau")                 \
	X(RC_SESSION_CAP_CRITICAL, "session_cap_critical", 50,                                     \
	  "inferred cap below this is critical")                                                   \
	X(RC_SESSION_CAP_WARNING, "session_cap_warning", 200,                                      \
	  "inferred cap below this is a warning (CAs recommend >= 200 per client IP)")             \
	X(RC_TCP_MIN_FAILED, "tcp53_min_failed", 3,                                                \
	  "failed TCP/53 connections from a CA's validators before TCP53_REJECTED fires")          \
	X(RC_TCP_WARN_SHARE, "tcp53_warning_share", 0.05,                                          \
	  "share of a CA's TCP connection attempts failing for a warning")                         \
	X(RC_TCP_CRIT_SHARE, "tcp53_critical_share", 0.5,                                          \
	  "share failing for critical (TCP/53 essentially blocked)")                               \
	X(RC_TC_MIN, "tc_min_unretried", 2,                                                        \
	  "truncated validator answers without a successful TCP retry before TC_WITHOUT_TCP")      \
	X(RC_TC_RETRY_WINDOW_S, "tc_retry_window_s", 10,                                           \
	  "seconds after a TC=1 answer in which the TCP retry must be answered")                   \
	X(RC_TC_CRIT_SHARE, "tc_critical_share", 0.5,                                              \
	  "share of truncated answers never retried successfully for critical")                    \
	X(RC_REGION_MIN_SAMPLE, "region_min_sample", 30,                                           \
	  "queries (plus TCP attempts) needed on each side of the region test")                    \
	X(RC_REGION_Z, "region_z", 3.29,                                                           \
	  "one-sided two-proportion z score needed (3.29: p < 0.0005)")                            \
	X(RC_REGION_MIN_RATIO, "region_min_ratio", 2,                                              \
	  "region failure rate must be at least this multiple of the others' rate")                \
	X(RC_REGION_MIN_DIFF, "region_min_diff", 0.02,                                             \
	  "and at least this much higher in absolute terms (fraction)")                            \
	X(RC_REGION_CRIT_RATE, "region_critical_rate", 0.1,                                        \
	  "region failure rate at or above this is critical")                                      \
	X(RC_RATE_MIN_SECONDS, "rate_min_saturated_seconds", 3,                                    \
	  "saturated seconds (queries clearly above answers) needed to infer a QPS cap")           \
	X(RC_RATE_MIN_GAP, "rate_min_gap", 3,                                                      \
	  "a saturated second lacks at least this many good answers ...")                          \
	X(RC_RATE_MIN_GAP_SHARE, "rate_min_gap_share", 0.2,                                        \
	  "... and at least this share of its queries")                                            \
	X(RC_RATE_MAX_SPREAD, "rate_max_spread", 0.25,                                             \
	  "good answers in saturated seconds stay within this fraction of their median")           \
	X(RC_RATE_MIN_CONSISTENCY, "rate_min_consistency", 0.8,                                    \
	  "share of busy seconds above the cap that must be saturated")                            \
	X(RC_ANSWER_MIN, "validator_answer_min", 3,                                                \
	  "REFUSED / SERVFAIL answers to a CA's validators before a finding")                      \
	X(RC_ANSWER_CRIT_SHARE, "validator_answer_critical_share", 0.05,                           \
	  "share of a CA's validator queries REFUSED / SERVFAIL for critical")                     \
	X(RC_DROPS_MIN, "drops_min", 10, "unanswered validator queries of a CA before a finding")  \
	X(RC_DROPS_WARN_SHARE, "drops_warning_share", 0.02,                                        \
	  "share of a CA's validator queries unanswered for a warning")                            \
	X(RC_DROPS_CRIT_SHARE, "drops_critical_share", 0.1, "share unanswered for critical")       \
	X(RC_MPIC_MIN_ATTEMPTS, "mpic_min_attempts", 1,                                            \
	  "attempts of a CA with failing perspectives before MPIC_QUORUM_AT_RISK")                 \
	X(RC_MPIC_CRIT_SHARE, "mpic_critical_share", 0.1,                                          \
	  "share of a CA's attempts at risk or failed for critical ...")                           \
	X(RC_MPIC_CRIT_MIN, "mpic_critical_min", 3, "... and at least this many of them")          \
	X(RC_CAA_MIN_LABELS, "caa_min_labels", 3,                                                  \
	  "names a perspective climbs (CAA lookups per name) that make a burst")                   \
	X(RC_CAA_MIN_FAILED, "caa_min_failed", 3,                                                  \
	  "failed CAA lookups inside the bursts for one name before CAA_BURST")                    \
	X(RC_ACME_TTL_MAX, "acme_txt_ttl_max", 300,                                                \
	  "_acme-challenge TXT TTL above this (seconds) keeps stale tokens cached")                \
	X(RC_ACME_MISSING_MIN_SOURCES, "acme_missing_min_sources", 2,                              \
	  "distinct validator sources getting NXDOMAIN for one challenge name")                    \
	X(RC_DNSSEC_EXPIRING_DAYS, "dnssec_expiring_days", 3,                                      \
	  "RRSIGs expiring within this many days of the newest packet make DNSSEC_EXPIRING")       \
	X(RC_LARGE_UDP_SIZE, "large_udp_size", 1232,                                               \
	  "UDP answers larger than this (bytes) may not cross a path unfragmented")                \
	X(RC_LARGE_UDP_MIN, "large_udp_min_lost", 2,                                               \
	  "large UDP answers to a CA's validators asked again (lost) before LARGE_UDP_ANSWERS")    \
	X(RC_LARGE_UDP_RETRY_S, "large_udp_retry_window_s", 5,                                     \
	  "seconds in which the same question again means the large answer was lost")              \
	X(RC_LARGE_UDP_CRIT_SHARE, "large_udp_critical_share", 0.5,                                \
	  "share of a CA's large UDP answers lost for critical")                                   \
	X(RC_NEGATIVE_SOA_MIN, "negative_soa_min", 2,                                              \
	  "authoritative NXDOMAIN/NODATA answers without SOA from one server before a finding")    \
	X(RC_CAA_ODD_MIN, "caa_odd_min", 2,                                                        \
	  "CAA lookups of a CA answered FORMERR, NOTIMP or another odd rcode before a finding")    \
	X(RC_CAA_DROP_MIN, "caa_drop_min", 3,                                                      \
	  "unanswered CAA lookups of a CA before CAA_UNSUPPORTED calls them dropped ...")          \
	X(RC_CAA_DROP_SHARE, "caa_drop_share", 0.9,                                                \
	  "... and at least this share of its CAA lookups (a rate limit drops a part)")            \
	X(RC_SLOW_MS, "slow_answer_ms", 1000,                                                      \
	  "an answer this many ms after the query comes after CA resolvers gave up or retried")    \
	X(RC_SLOW_MIN, "slow_min", 3, "slow answers to a CA's validators before SLOW_ANSWERS")     \
	X(RC_SLOW_CRIT_SHARE, "slow_critical_share", 0.1,                                          \
	  "share of a CA's answered lookups that are slow for critical")

enum rules_config_key {
#define RC_ENUM(id, key, def, doc) id,
	RULES_CONFIG_KEYS(RC_ENUM)
#undef RC_ENUM
	    RC_COUNT
};

/* The thresholds in force. */
struct rules_config {
	double v[RC_COUNT];
};

/* rules_config_defaults() fills cfg with every default. Cannot fail. */
void rules_config_defaults(struct rules_config *cfg);

/*
 * rules_config_load() applies the [rules] section of the INI file at path
 * over cfg (keys of other sections are ignored). Returns 0, or -1 with a
 * message in err (unknown key, value not a non-negative number, unreadable
 * file, syntax error with its line); cfg may be partly updated on -1.
 */
int rules_config_load(struct rules_config *cfg, const char *path, char *err, size_t errlen);

/* rules_config_get() returns a threshold; cfg NULL = the default. */
double rules_config_get(const struct rules_config *cfg, enum rules_config_key k);

/* rules_config_print() writes every key with its value, default and doc as
 * a commented INI [rules] section (a valid config file). */
void rules_config_print(const struct rules_config *cfg, FILE *out);

#endif
