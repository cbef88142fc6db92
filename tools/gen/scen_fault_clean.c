/*
 * scen_fault_clean.c - dcvscope-gen fault-clean: a healthy, busy-enough server and no fault:
 * no warning or critical finding.
 * World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include "gen_fault.h"

int scen_fault_clean(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_NONE,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150};
	return gen_fault_scenario(g, &s, NULL);
}
