/*
 * scen_fault_caa_burst.c - dcvscope-gen fault-caa-burst: half of the attempts are for names of 6-8
 * labels under example.com (5-7 CAA questions per perspective, in
 * parallel); the server answers the first 4 CAA questions of a burst and
 * drops the rest, every try. Names of 5 labels or fewer are never hit.
 * World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "CAA_BURST", "warning_or_critical", "name");
	gen_finding_add_kind(f, "ca");
	gen_finding_add_kind(f, "source");
	gen_fault_add_names(f, r, true);
	gen_fault_add_cas_and_sources(f, r);
	gen_expect_allow(e, "VALIDATOR_DROPS");
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
	gen_expect_allow(e, "RATE_LIMITED");
}

int scen_fault_caa_burst(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_CAA_BURST,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .deep_pm = 500};
	return gen_fault_scenario(g, &s, findings);
}
