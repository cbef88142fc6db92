/*
 * scen_fault_session_cap.c - dcvscope-gen fault-session-cap: the server completes at most 25
 * concurrent TCP sessions per client. Two validator sources (letsencrypt's primary 198.18.10.11,
 * unlisted; digicert 203.0.113.17, ripe, listed) validate 40-name batches whose TXT answers have
 * TC=1: 40 TCP retries at once, the first 25 established, the other 15 reset, six times each. World
 * and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include <stdio.h>

#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "SESSION_CAP", "critical", "source");
	gen_finding_add_kind(f, "ca");
	gen_fault_add_cas_and_sources(f, r);
	snprintf(f->metric, sizeof(f->metric), "inferred_cap");
	f->value = 25;
	f->tolerance = 2.5;
	gen_expect_allow(e, "TCP53_REJECTED");
	gen_expect_allow(e, "TC_WITHOUT_TCP");
	gen_expect_allow(e, "REGION_ASYMMETRY");
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
}

int scen_fault_session_cap(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_SESSION_CAP,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .cap = 25,
	                                 .batch_names = 40,
	                                 .batches = 6};
	return gen_fault_scenario(g, &s, findings);
}
