/*
 * scen_fault_acme_missing.c - dcvscope-gen fault-acme-missing: NXDOMAIN to every _acme-challenge
 * question in example.net (the record was published elsewhere: a
 * delegation or propagation problem).
 * World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	struct gen_finding_expect *f =
	    gen_expect_add_finding(e, "ACME_TXT_MISSING", "warning_or_critical", "name");
	gen_finding_add_subject(f, "example.net");
	gen_fault_add_names(f, r, false);
}

int scen_fault_acme_missing(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_ACME_MISSING,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .zone = "example.net"};
	return gen_fault_scenario(g, &s, findings);
}
