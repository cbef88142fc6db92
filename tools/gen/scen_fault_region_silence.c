/*
 * scen_fault_region_silence.c - dcvscope-gen fault-region-silence: no answer at all to any
 * validator site of the RIPE region (geo-blocking by silence: letsencrypt 2 of 5 sites, digicert 2
 * of 7, sectigo 2 of 4 with its primary, globalsign 2 of 5), every try dropped; the other regions
 * are answered. World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include <stdio.h>

#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "REGION_ASYMMETRY", "warning_or_critical", "region");
	gen_finding_add_subject(f, "ripe");
	snprintf(f->failure_kind, sizeof(f->failure_kind), "unanswered");
	f = gen_expect_add_finding(e, "VALIDATOR_DROPS", "warning_or_critical", "region");
	gen_finding_add_kind(f, "ca");
	gen_finding_add_kind(f, "source");
	gen_finding_add_subject(f, "ripe");
	gen_fault_add_cas_and_sources(f, r);
	f = gen_expect_add_finding(e, "MPIC_QUORUM_AT_RISK", "warning_or_critical", "ca");
	gen_finding_add_kind(f, "region");
	gen_finding_add_kind(f, "source");
	gen_finding_add_subject(f, "ripe");
	gen_fault_add_cas_and_sources(f, r);
}

int scen_fault_region_silence(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_REGION_SILENCE,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .region = "ripe"};
	return gen_fault_scenario(g, &s, findings);
}
