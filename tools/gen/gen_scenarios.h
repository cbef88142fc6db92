/*
 * gen_scenarios.h - the scenarios dcvscope-gen can write, one file each
 * (scen_<name>.c). A scenario writes its frames through the context and
 * counts every expectation as it goes (see gen_expect.h for definitions).
 */
#ifndef DCV_GEN_SCENARIOS_H
#define DCV_GEN_SCENARIOS_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_out.h"

struct gen_options {
	uint64_t seed;
	uint64_t packets; /* --packets; 0 = the scenario's default */
};

struct gen_scenario {
	const char *name;
	const char *summary;
	bool buffered;      /* frames sorted by time at the end (small scenarios) */
	bool ethernet_only; /* needs Ethernet framing (VLAN tags, ARP) */
	uint32_t snaplen;   /* 0 = GEN_SNAPLEN_DEFAULT */
	/* run() writes the scenario; returns 0, or -1 on a generator failure */
	int (*run)(struct gen_ctx *g, const struct gen_options *o);
};

/* The scenario table, ended by an entry whose name is NULL. */
extern const struct gen_scenario gen_scenarios[];

/* gen_scenario_find() returns the scenario called name, or NULL. */
const struct gen_scenario *gen_scenario_find(const char *name);

int scen_demo(struct gen_ctx *g, const struct gen_options *o);
int scen_bench(struct gen_ctx *g, const struct gen_options *o);
int scen_many_sources(struct gen_ctx *g, const struct gen_options *o);
int scen_tcp_sessions(struct gen_ctx *g, const struct gen_options *o);
int scen_edge(struct gen_ctx *g, const struct gen_options *o);
int scen_mpic(struct gen_ctx *g, const struct gen_options *o);
/* fault scenarios: gen_fault.h */
int scen_fault_clean(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_busy(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_session_cap(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_session_cap_150(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_session_cap_backlog(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_session_cap_drop(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_session_cap_stall(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_tcp53_rejected(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_tc_without_tcp(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_region_silence(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_region_refused(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_rate_limit(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_servfail_caa(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_acme_missing(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_acme_ttl(struct gen_ctx *g, const struct gen_options *o);
int scen_fault_caa_burst(struct gen_ctx *g, const struct gen_options *o);

#define BENCH_PACKETS_DEFAULT        5000000ULL
#define MANY_SOURCES_QUERIES_DEFAULT 2000000ULL
#define EDGE_SNAPLEN                 512 /* tcpdump -s 512: one frame is cut */

#endif
