/*
 * scen_fault_servfail_caa.c - dcvscope-gen fault-servfail-caa: SERVFAIL to every CAA question for
 * names in example.org (a broken zone signer, say); everything else is
 * answered.
 * World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "SERVFAIL_TO_VALIDATORS", "warning_or_critical", "name");
	gen_finding_add_kind(f, "ca");
	gen_finding_add_kind(f, "source");
	gen_finding_add_subject(f, "example.org");
	gen_fault_add_names(f, r, false);
	gen_fault_add_cas_and_sources(f, r);
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
}

int scen_fault_servfail_caa(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_SERVFAIL_CAA,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .zone = "example.org"};
	return gen_fault_scenario(g, &s, findings);
}
