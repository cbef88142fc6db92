/*
 * rule_servfail_to_validators.c - SERVFAIL_TO_VALIDATORS: a CA's validators
 * are answered SERVFAIL (rcode 2).
 *
 * Data and test: rule_validator_answers.c, with rcode SERVFAIL: per CA,
 * fires at >= validator_answer_min (3) SERVFAIL answers to its validators,
 * critical at >= validator_answer_critical_share (0.05) of its queries.
 * Evidence: counts by region and the names that failed (often the CAA of a
 * zone apex or a DNSSEC problem).
 */
#include "rule.h"

int rule_servfail_to_validators(struct rule_ctx *c)
{
	return rule_validator_rcode(c, "SERVFAIL_TO_VALIDATORS", 2, "SERVFAIL",
	                            rule_advice_servfail);
}
