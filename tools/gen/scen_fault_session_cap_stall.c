/*
 * scen_fault_session_cap_stall.c - dcvscope-gen fault-session-cap-stall: the server's own TCP
 * client limit (BIND tcp-clients, NSD tcp-count) is 25: it refuses nothing, the kernel completes
 * every handshake, and the 15 connections of a 40-name batch beyond the 25 it serves carry their
 * query and are never answered; the client gives up on each after 1 s. One batch per source; the
 * first source's batch starts 0.3 s before a minute ends. World and traffic: gen_fault.h.
 * Expected findings: below, and gen_expect.h.
 */
#include <stdio.h>

#include "gen_fault.h"

/* one finding per batch source, from its stalled sessions */
static void findings(struct gen_expect *e, const struct gen_fault_result *r)
{
	for (unsigned b = 0; b < r->nbatch; b++) {
		char text[DCV_ADDR_TEXT_MAX];
		struct gen_finding_expect *f =
		    gen_expect_add_finding(e, "SESSION_CAP", "critical", "source");
		gen_finding_add_subject(f, dcv_addr_format(&r->batch[b], text, sizeof(text)));
		snprintf(f->metric, sizeof(f->metric), "inferred_cap");
		f->value = 25;
		f->tolerance = 0;
	}
	gen_expect_allow(e, "VALIDATOR_DROPS");
	gen_expect_allow(e, "TC_WITHOUT_TCP");
	gen_expect_allow(e, "REGION_ASYMMETRY");
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
}

int scen_fault_session_cap_stall(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	const struct gen_fault_spec s = {.kind = GEN_FAULT_SESSION_CAP,
	                                 .bg_queries = 20000,
	                                 .big_share_pm = 250,
	                                 .nx_pm = 20,
	                                 .attempts = 150,
	                                 .cap = 25,
	                                 .batch_names = 40,
	                                 .batches = 1,
	                                 .batch_first_ms = 59700,
	                                 .cap_stalls = true};
	return gen_fault_scenario(g, &s, findings);
}
