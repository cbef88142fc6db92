/* gen_scenarios.c - the scenario table. */
#include "gen_scenarios.h"

#include <string.h>

const struct gen_scenario gen_scenarios[] = {
    {"demo",
     "20 s at an authoritative server: resolvers, CA validators, drops, REFUSED, "
     "SERVFAIL, TCP, rejected/filtered TCP, fragments, IPv6, a retransmission",
     true, false, 0, scen_demo},
    {"bench", "large realistic mix for throughput (--packets, default 5000000)", false, false, 0,
     scen_bench},
    {"many-sources",
     "--packets queries (default 2000000) from packets/2 distinct sources, all answered", false,
     false, 0, scen_many_sources},
    {"tcp-sessions",
     "exact TCP patterns: concurrent sessions, rejected, filtered, server close, mid-stream", true,
     false, 0, scen_tcp_sessions},
    {"edge",
     "decoding edge cases: VLAN/QinQ, IPv6 extension headers, fragments, TCP "
     "segmentation, non-DNS, malformed DNS, snap length (Ethernet only)",
     true, true, EDGE_SNAPLEN, scen_edge},
    {"mpic",
     "CA validation (MPIC) attempts of four CAs with injected failures inside heavy "
     "ordinary traffic from 2,500 resolvers; --packets: about that many frames "
     "(default ~300000)",
     true, false, 0, scen_mpic},
    {"fault-clean",
     "no fault: validators of four CAs and 300 resolvers, 3 minutes; no warning or critical "
     "finding",
     true, false, 0, scen_fault_clean},
    {"fault-busy",
     "no fault, heavy: big resolvers at ~60 QPS, 12 concurrent TCP sessions each, NXDOMAIN; no "
     "warning or critical finding",
     true, false, 0, scen_fault_busy},
    {"fault-session-cap",
     "TCP sessions per client capped at 25: two validator sources' TC-forced TCP batches reset "
     "beyond 25 (SESSION_CAP critical)",
     true, false, 0, scen_fault_session_cap},
    {"fault-session-cap-150", "TCP sessions per client capped at 150 (SESSION_CAP warning)", true,
     false, 0, scen_fault_session_cap_150},
    {"fault-session-cap-backlog",
     "TCP sessions per client capped at 25 while the listen queue overflows: handshakes complete "
     "on the SYN's retransmission, after the resets and across a minute boundary (SESSION_CAP "
     "critical)",
     true, false, 0, scen_fault_session_cap_backlog},
    {"fault-session-cap-drop",
     "TCP sessions per client capped at 25, SYNs beyond the cap dropped, not reset: they time out "
     "after the sessions closed, in the next minute (SESSION_CAP critical)",
     true, false, 0, scen_fault_session_cap_drop},
    {"fault-session-cap-stall",
     "the server serves 25 TCP clients at once and refuses nothing: the connections beyond are "
     "completed by the kernel and never answered (SESSION_CAP critical, from stalled sessions)",
     true, false, 0, scen_fault_session_cap_stall},
    {"fault-tcp53-rejected",
     "every validator TCP SYN reset while TC=1 answers need TCP (TCP53_REJECTED, TC_WITHOUT_TCP)",
     true, false, 0, scen_fault_tcp53_rejected},
    {"fault-tc-without-tcp",
     "TC=1 answers to validators, TCP retry never seen or never answered (TC_WITHOUT_TCP)", true,
     false, 0, scen_fault_tc_without_tcp},
    {"fault-region-silence",
     "RIPE validator sites get no answers (REGION_ASYMMETRY, VALIDATOR_DROPS, MPIC_QUORUM_AT_RISK)",
     true, false, 0, scen_fault_region_silence},
    {"fault-region-refused",
     "RIPE validator sites get REFUSED (REGION_ASYMMETRY, REFUSED_TO_VALIDATORS)", true, false, 0,
     scen_fault_region_refused},
    {"fault-rate-limit",
     "50 responses per second per source, rest dropped; validator batches exceed it (RATE_LIMITED, "
     "cap 50)",
     true, false, 0, scen_fault_rate_limit},
    {"fault-servfail-caa", "SERVFAIL to CAA for example.org (SERVFAIL_TO_VALIDATORS)", true, false,
     0, scen_fault_servfail_caa},
    {"fault-acme-missing", "NXDOMAIN for _acme-challenge names in example.net (ACME_TXT_MISSING)",
     true, false, 0, scen_fault_acme_missing},
    {"fault-acme-ttl", "_acme-challenge TXT with TTL 3600 (ACME_TXT_TTL_HIGH)", true, false, 0,
     scen_fault_acme_ttl},
    {"fault-caa-burst", "CAA bursts of 6-8 label names dropped past the 4th question (CAA_BURST)",
     true, false, 0, scen_fault_caa_burst},
    {NULL, NULL, false, false, 0, NULL},
};

const struct gen_scenario *gen_scenario_find(const char *name)
{
	for (const struct gen_scenario *s = gen_scenarios; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}
