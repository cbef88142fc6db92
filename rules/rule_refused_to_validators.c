/*
 * rule_refused_to_validators.c - REFUSED_TO_VALIDATORS: a CA's validators
 * are answered REFUSED (rcode 5).
 *
 * Data and test: rule_validator_answers.c, with rcode REFUSED: per CA, fires
 * at >= validator_answer_min (3) REFUSED answers to its validators, critical
 * at >= validator_answer_critical_share (0.05) of its queries. Evidence:
 * counts by region and the most refused names.
 */
#include "rule.h"

int rule_refused_to_validators(struct rule_ctx *c)
{
	return rule_validator_rcode(c, "REFUSED_TO_VALIDATORS", 5, "REFUSED", rule_advice_refused);
}
