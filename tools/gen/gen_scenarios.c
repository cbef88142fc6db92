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
    {NULL, NULL, false, false, 0, NULL},
};

const struct gen_scenario *gen_scenario_find(const char *name)
{
	for (const struct gen_scenario *s = gen_scenarios; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}
