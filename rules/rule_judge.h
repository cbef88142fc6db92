/*
 * rule_judge.h - the threshold tests of the validator-facing rules over one
 * CA's totals, shared by the per-host rules (rules.h, over a SQLite file)
 * and the fleet rules (fleet_rules.h, over what ClickHouse summed per
 * server), so that both decide with the same thresholds in the same way.
 * Each test returns 1 and sets *sev when the rule fires, 0 when it does
 * not (*sev then unchanged). cfg NULL = the defaults.
 */
#ifndef DCV_RULE_JUDGE_H
#define DCV_RULE_JUDGE_H

#include <stdint.h>

#include "finding.h"
#include "rules_config.h"

/* VALIDATOR_DROPS: unanswered >= drops_min and unanswered / queries >=
 * drops_warning_share; critical at drops_critical_share. */
int rule_judge_drops(const struct rules_config *cfg, const char *ca, uint64_t unanswered,
                     uint64_t queries, enum rule_severity *sev);

/* REFUSED_TO_VALIDATORS and SERVFAIL_TO_VALIDATORS: answers of the rcode
 * >= validator_answer_min; critical when they are at least
 * validator_answer_critical_share of the queries. */
int rule_judge_rcode(const struct rules_config *cfg, const char *ca, uint64_t answers,
                     uint64_t queries, enum rule_severity *sev);

/* The TCP connections TCP53_REJECTED (and every per-CA table) counts as
 * failed: reset, never accepted (SYN unanswered), or accepted and their
 * query never answered (stalled). */
uint64_t rule_tcp_failed(uint64_t rejected, uint64_t filtered, uint64_t stalled);

/* The TCP connections tried: reset, never accepted, or established (the
 * stalled ones are among the established sessions). */
uint64_t rule_tcp_attempts(uint64_t rejected, uint64_t filtered, uint64_t sessions);

/* TCP53_REJECTED: UDP works (responses > 0), failed connections >=
 * tcp53_min_failed and failed / attempts >= tcp53_warning_share; critical
 * at tcp53_critical_share. */
int rule_judge_tcp53(const struct rules_config *cfg, const char *ca, uint64_t responses,
                     uint64_t failed, uint64_t attempts, enum rule_severity *sev);

/* MPIC_QUORUM_AT_RISK: attempts at risk or failed (bad) >= 1 and >=
 * mpic_min_attempts; critical when bad / attempts >= mpic_critical_share
 * and bad >= mpic_critical_min. */
int rule_judge_mpic(const struct rules_config *cfg, const char *ca, uint64_t bad, uint64_t attempts,
                    enum rule_severity *sev);

/* What to do, the same for a host's finding and a server's in the fleet. */
extern const char rule_advice_drops[];    /* VALIDATOR_DROPS */
extern const char rule_advice_refused[];  /* REFUSED_TO_VALIDATORS */
extern const char rule_advice_servfail[]; /* SERVFAIL_TO_VALIDATORS */
extern const char rule_advice_tcp53[];    /* TCP53_REJECTED */
extern const char rule_advice_mpic[];     /* MPIC_QUORUM_AT_RISK */

/* rule_ca_severity() caps sev at warning when ca is "unknown" or empty:
 * such sources were judged validators from their traffic alone, and the
 * heuristic can take a resolver that checks CAA for a validator (the
 * demo's resolvers), so they never make a finding critical on their own. */
enum rule_severity rule_ca_severity(const char *ca, enum rule_severity sev);

/* rule_share() returns part / whole (0 when whole is 0). */
double rule_share(uint64_t part, uint64_t whole);

#endif
