/*
 * scen_fault_session_cap_drop.c - dcvscope-gen fault-session-cap-drop: as fault-session-cap
 * (25 sessions per client, 40-name batches), one batch per source, but the server drops the SYNs
 * over the cap instead of resetting them (a firewall's "ct count over 25 drop", a server that
 * stops accepting): each is retransmitted once and never answered. The 25 open sessions close
 * 1.5 s after the batch, before the dropped SYNs time out; the first source's batch starts 2.5 s
 * before a minute ends, so its dropped SYNs time out in the next minute, where it has no session
 * open. World and traffic: gen_fault.h. Expected findings: below, and gen_expect.h.
 */
#include <stdio.h>

#include "gen_fault.h"

/* one finding per batch source: the first one's failures and plateau lie in
 * different minutes */
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
	gen_expect_allow(e, "TCP53_REJECTED");
	gen_expect_allow(e, "TC_WITHOUT_TCP");
	gen_expect_allow(e, "REGION_ASYMMETRY");
	gen_expect_allow(e, "MPIC_QUORUM_AT_RISK");
}

int scen_fault_session_cap_drop(struct gen_ctx *g, const struct gen_options *o)
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
	                                 .batch_first_ms = 57500,
	                                 .cap_drops = true};
	return gen_fault_scenario(g, &s, findings);
}
