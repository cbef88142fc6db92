/*
 * scen_fault_rate_limit.c - dcvscope-gen fault-rate-limit: the server sends each source at most 50
 * responses in any one second and drops the rest (response rate limiting
 * without slip). Two validator sources (letsencrypt 198.18.10.11, unlisted;
 * globalsign 198.51.100.25, ripe, listed) validate 36-name batches in 0.5 s
 * (TXT plus three CAA per name: 144 queries), starting 100 ms into a
 * second: 50 answered, 94 dropped, every 10 s. Every other source stays
 * far below 50 queries per second.
 * World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include <stdio.h>

#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "RATE_LIMITED", "warning_or_critical", "source");
	gen_finding_add_kind(f, "ca");
	gen_fault_add_cas_and_sources(f, r);
	snprintf(f->metric, sizeof(f->metric), "inferred_cap");
	f->value = 50;
	f->tolerance = 5;
	gen_expect_allow(e, "VALIDATOR_DROPS");
	gen_expect_allow(e, "CAA_BURST");
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
	gen_expect_allow(e, "REGION_ASYMMETRY");
}

int scen_fault_rate_limit(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_RATE_LIMIT,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .cap = 50,
	                                 .batch_names = 36,
	                                 .batches = 14};
	return gen_fault_scenario(g, &s, findings);
}
