/*
 * scen_fault_busy.c - dcvscope-gen fault-busy: heavy but healthy traffic (four big resolvers at
 * about 60 queries per second each, waves of 12 concurrent TCP sessions per
 * big resolver, 4 % NXDOMAIN), no fault: no warning or critical finding.
 * World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include "gen_fault.h"

int scen_fault_busy(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_NONE,
	                                 .bg_queries = 60000,
	                                 .big_share_pm = 700,
	                                 .nx_pm = 40,
	                                 .busy_tcp = true,
	                                 .attempts = 200};
	return gen_fault_scenario(g, &s, NULL);
}
