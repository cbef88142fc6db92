/*
 * gen_fault.h - the common world of the fault-* scenarios: GEN_FAULT_DURATION_S
 * seconds at the authoritative server 192.0.2.53 / 2001:db8::53 for
 * example.com, example.net and example.org, with
 *
 *  - ordinary traffic: GEN_FAULT_RESOLVERS resolvers (about 20 % IPv6; four
 *    big public-resolver-like sources carry big_share_pm of the queries), A,
 *    AAAA, MX, NS, SOA and TXT (never validation-shaped) for existing names,
 *    nx_pm per mille for nonexistent ones (NXDOMAIN); every query answered
 *    over UDP; in busy mode, waves of GEN_FAULT_WAVE_SESSIONS concurrent TCP
 *    sessions from each big resolver (never more at once);
 *  - CA validation traffic: attempts by the CAs of gen_ca.c (listed
 *    digicert/globalsign, unlisted letsencrypt/sectigo), each by one address
 *    of every site of the CA: DCV questions (dns-01 TXT _acme-challenge.X,
 *    DigiCert TXT _dnsauth.X and TXT X, HTTP-01 A+AAAA), then CAA for X and
 *    each ancestor down to the zone apex, in parallel; a CA other than
 *    Sectigo goes on to CAA only when its primary's challenge was answered
 *    and the failed remote perspectives stay within the BR quorum; one in
 *    ten TXT challenges holds GEN_FAULT_STALE_TOKENS records (TC=1 over UDP
 *    for 1232-byte resolvers, then a successful TCP retry);
 *  - exactly one fault (below), or none.
 *
 * Unanswered queries and unanswered SYNs are all sent at least 10 s before
 * the end of the capture. The scenarios' files (scen_fault_*.c) choose the
 * spec and turn the result into the expected findings (gen_expect.h).
 */
#ifndef DCV_GEN_FAULT_H
#define DCV_GEN_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_ca.h"
#include "gen_scenarios.h"

#define GEN_FAULT_DURATION_S    180
#define GEN_FAULT_RESOLVERS     300
#define GEN_FAULT_BIG           4  /* resolvers 0..3 are the big ones */
#define GEN_FAULT_WAVE_SESSIONS 12 /* busy: concurrent TCP sessions of a big resolver */
#define GEN_FAULT_STALE_TOKENS  24 /* 24 ACME tokens: over 1232 bytes with DO */
#define GEN_FAULT_BATCH_SOURCES 2
#define GEN_FAULT_NAMES_MAX     128 /* affected names kept for the findings */
#define GEN_FAULT_SOURCES_MAX   64  /* affected validator sources kept */
#define GEN_FAULT_NAME_MAX      128

enum gen_fault_kind {
	GEN_FAULT_NONE = 0,
	GEN_FAULT_SESSION_CAP,    /* batch sources: more than cap concurrent TCP sessions get RST */
	GEN_FAULT_TCP53_RST,      /* every validator SYN gets RST; TXT challenges need TCP */
	GEN_FAULT_TC_NO_TCP,      /* TXT challenges need TCP; no SYN is seen, or it is never
	                             answered */
	GEN_FAULT_REGION_SILENCE, /* every question from the region's sites is dropped */
	GEN_FAULT_REGION_REFUSED, /* every question from the region's sites gets REFUSED */
	GEN_FAULT_RATE_LIMIT,   /* at most cap responses per source in any 1 s: the rest dropped */
	GEN_FAULT_SERVFAIL_CAA, /* SERVFAIL to every CAA question in the zone */
	GEN_FAULT_ACME_MISSING, /* NXDOMAIN to every _acme-challenge question in the zone */
	GEN_FAULT_ACME_TTL,     /* _acme-challenge TXT answers carry TTL GEN_FAULT_ACME_TTL_S */
	GEN_FAULT_CAA_BURST,    /* deep names: CAA past the GEN_FAULT_BURST_ANSWERED-th of a
	                           perspective's burst is dropped (every try) */
};

#define GEN_FAULT_ACME_TTL_S     3600
#define GEN_FAULT_BURST_ANSWERED 4 /* CAA questions of one burst the server still answers */

struct gen_fault_spec {
	enum gen_fault_kind kind;
	unsigned bg_queries;   /* ordinary queries */
	unsigned big_share_pm; /* per mille of them from the big resolvers */
	unsigned nx_pm;        /* per mille of them for nonexistent names */
	bool busy_tcp;         /* TCP waves from the big resolvers */
	unsigned attempts;     /* validation attempts */
	unsigned deep_pm;      /* per mille of attempts for names of 6-8 labels */
	unsigned cap;          /* SESSION_CAP: sessions; RATE_LIMIT: responses per second */
	unsigned batch_names;  /* SESSION_CAP, RATE_LIMIT: names of one batch */
	unsigned batches;      /* batches per batch source */
	unsigned backlog; /* SESSION_CAP: of each batch's first cap handshakes, the last backlog
	                     lose their SYN to the server's full listen queue and complete on
	                     the retransmission 1 s later (after the refusals) */
	unsigned batch_first_ms; /* SESSION_CAP, RATE_LIMIT: first batch this far into the capture
	                            (0: BATCH_FIRST_S + 0.1 s) */
	bool cap_drops;          /* SESSION_CAP: SYNs over the cap are dropped (retransmitted once,
	                            never answered) instead of reset */
	bool cap_stalls;         /* SESSION_CAP: connections over the cap are completed by the
	                            kernel and never answered (a full server client limit); the
	                            client gives up on each after 1 s */
	const char *region;      /* REGION_*: the region */
	const char *zone;        /* SERVFAIL_CAA, ACME_MISSING: the zone */
};

/* What the fault hit, as generated (lowercase names). */
struct gen_fault_result {
	unsigned nbatch;
	struct dcv_addr batch[GEN_FAULT_BATCH_SOURCES]; /* SESSION_CAP, RATE_LIMIT sources */
	const char *batch_ca[GEN_FAULT_BATCH_SOURCES];
	unsigned nnames; /* base names and question names the fault hit */
	char names[GEN_FAULT_NAMES_MAX][GEN_FAULT_NAME_MAX];
	unsigned nsources; /* validator sources the fault hit */
	struct dcv_addr sources[GEN_FAULT_SOURCES_MAX];
	bool ca_hit[GEN_NCAS];
	uint64_t failed_questions; /* validator questions the fault made fail */
	uint64_t resets;           /* SYNs answered by RST */
	uint64_t tc_answers;       /* TC=1 answers to validators */
};

/*
 * gen_fault_run() writes the scenario into g (a buffered context), names the
 * big resolvers and batch sources in the expectations (queries, unanswered,
 * max_concurrent_tcp), writes the validators ground truth, and fills *r.
 * Returns 0, or -1 on a generator failure.
 */
int gen_fault_run(struct gen_ctx *g, const struct gen_fault_spec *s, struct gen_fault_result *r);

/* gen_fault_add_cas_and_sources() adds the hit CAs' ids and the hit
 * validator sources' addresses to the finding's acceptable subjects. */
void gen_fault_add_cas_and_sources(struct gen_finding_expect *f, const struct gen_fault_result *r);

/* gen_fault_add_names() adds the hit names (and, with ancestors, every
 * ancestor of each down to its zone apex) to the acceptable subjects. */
void gen_fault_add_names(struct gen_finding_expect *f, const struct gen_fault_result *r,
                         bool ancestors);

/* gen_fault_scenario() runs the spec and then lets findings() write the
 * expected findings from the result (NULL: none expected). Returns as
 * gen_fault_run(). */
int gen_fault_scenario(struct gen_ctx *g, const struct gen_fault_spec *s,
                       void (*findings)(struct gen_expect *e, const struct gen_fault_result *r));

#endif
