/*
 * scen_fault_acme_ttl.c - dcvscope-gen fault-acme-ttl: every _acme-challenge TXT answer carries TTL
 * 3600 (threshold 300 s); nothing else changes.
 * World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "ACME_TXT_TTL_HIGH", "warning_or_critical", "name");
	gen_finding_add_subject(f, "example.com");
	gen_finding_add_subject(f, "example.net");
	gen_finding_add_subject(f, "example.org");
	gen_fault_add_names(f, r, false);
}

int scen_fault_acme_ttl(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_ACME_TTL,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150};
	return gen_fault_scenario(g, &s, findings);
}
