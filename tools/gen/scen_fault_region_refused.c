/*
 * scen_fault_region_refused.c - dcvscope-gen fault-region-refused: REFUSED to every question from
 * the validator sites of the RIPE region; the other regions are answered. World and traffic:
 * gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include <stdio.h>

#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "REGION_ASYMMETRY", "warning_or_critical", "region");
	gen_finding_add_subject(f, "ripe");
	snprintf(f->failure_kind, sizeof(f->failure_kind), "refused");
	f = gen_expect_add_finding(e, "REFUSED_TO_VALIDATORS", "warning_or_critical", "region");
	gen_finding_add_kind(f, "ca");
	gen_finding_add_kind(f, "source");
	gen_finding_add_subject(f, "ripe");
	gen_fault_add_cas_and_sources(f, r);
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
}

int scen_fault_region_refused(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_REGION_REFUSED,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .region = "ripe"};
	return gen_fault_scenario(g, &s, findings);
}
