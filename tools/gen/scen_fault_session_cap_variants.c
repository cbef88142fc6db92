/*
 * scen_fault_session_cap_variants.c - the ways a cap of 25 concurrent TCP sessions per client
 * shows besides fault-session-cap's plain resets, each as fault-session-cap's world (gen_fault.h)
 * with one 40-name batch per source, the first source's batch starting just before a minute
 * ends so that what fails and the plateau it fails at can fall in different time buckets:
 *
 *  - fault-session-cap-backlog: the server's listen queue overflows: of the 25 handshakes the cap
 *    lets through, the last 6 SYNs are dropped and complete on their retransmission 1 s later,
 *    after the 15 resets (the first batch starts 0.3 s before the minute ends);
 *  - fault-session-cap-drop: the SYNs over the cap are dropped, not reset (a firewall's "ct count
 *    over 25 drop"): retransmitted once, never answered; the 25 sessions close before they time
 *    out, in the next minute (2.5 s before);
 *  - fault-session-cap-stall: the server's own client limit (BIND tcp-clients, NSD tcp-count)
 *    refuses nothing: the kernel completes every handshake and the 15 connections beyond the 25
 *    served carry their query, are never answered, and the client gives up on each after 1 s
 *    (0.3 s before).
 *
 * Expected: SESSION_CAP critical at exactly 25 for each batch source (gen_expect.h).
 */
#include <stdio.h>

#include "gen_fault.h"

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
	gen_expect_allow(e, "VALIDATOR_DROPS");
}

/* Runs the variant: the common world with the way of failing set in s. */
static int variant(struct gen_ctx *g, struct gen_fault_spec s)
{
	s.kind = GEN_FAULT_SESSION_CAP;
	s.bg_queries = 20000;
	s.big_share_pm = 250;
	s.nx_pm = 20;
	s.attempts = 150;
	s.cap = 25;
	s.batch_names = 40;
	s.batches = 1;
	return gen_fault_scenario(g, &s, findings);
}

int scen_fault_session_cap_backlog(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	return variant(g, (struct gen_fault_spec){.backlog = 6, .batch_first_ms = 59700});
}

int scen_fault_session_cap_drop(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	return variant(g, (struct gen_fault_spec){.cap_drops = true, .batch_first_ms = 57500});
}

int scen_fault_session_cap_stall(struct gen_ctx *g, const struct gen_options *o)
{
	(void)o;
	return variant(g, (struct gen_fault_spec){.cap_stalls = true, .batch_first_ms = 59700});
}
