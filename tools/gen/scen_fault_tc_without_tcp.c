/*
 * scen_fault_tc_without_tcp.c - dcvscope-gen fault-tc-without-tcp: TXT challenge answers to
 * 1232-byte resolvers have TC=1 (stale tokens) and the TCP retry never reaches the server (a
 * firewall in front of the capture point: no SYN, two in three) or its SYNs are never answered (one
 * in three). World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include "gen_fault.h"

static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	(void)r;
	static const char *const rules[] = {"TC_WITHOUT_TCP"};
	for (unsigned i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct gen_finding_expect *f =
		    gen_expect_add_finding(e, rules[i], "warning_or_critical", "ca");
		gen_finding_add_kind(f, "source");
		gen_finding_add_kind(f, "server");
		gen_fault_add_cas_and_sources(f, r);
	}
	gen_expect_allow(e, "TCP53_REJECTED");
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
	gen_expect_allow(e, "REGION_ASYMMETRY");
}

int scen_fault_tc_without_tcp(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_TC_NO_TCP,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150};
	return gen_fault_scenario(g, &s, findings);
}
