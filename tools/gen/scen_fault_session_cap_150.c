/*
 * scen_fault_session_cap_150.c - dcvscope-gen fault-session-cap-150: as fault-session-cap with a
 * cap of 150 sessions and 180-name batches (30 resets per batch): a warning. World and traffic:
 * gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include <stdio.h>

#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "SESSION_CAP", "warning", "source");
	gen_finding_add_kind(f, "ca");
	gen_fault_add_cas_and_sources(f, r);
	snprintf(f->metric, sizeof(f->metric), "inferred_cap");
	f->value = 150;
	f->tolerance = 15;
	gen_expect_allow(e, "TCP53_REJECTED");
	gen_expect_allow(e, "TC_WITHOUT_TCP");
	gen_expect_allow(e, "REGION_ASYMMETRY");
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
}

int scen_fault_session_cap_150(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_SESSION_CAP,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .cap = 150,
	                                 .batch_names = 180,
	                                 .batches = 6};
	return gen_fault_scenario(g, &s, findings);
}
