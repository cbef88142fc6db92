/*
 * gen_expect.h - the counts a scenario promises the analyzer must report.
 *
 * `dcvscope-gen SCENARIO --expect FILE.json` writes these counts with the key
 * names of dcvscope's JSON output. Every count is exact. Definitions (the
 * analyzer's contract, and what each scenario counts while it writes frames):
 *
 * packets                  frames in the file (every record, DNS or not).
 * dns.queries              well-formed DNS messages with QR=0 sent to the server
 *                          on port 53: one per UDP datagram (after IP fragment
 *                          reassembly) and one per DNS message rebuilt from a TCP
 *                          stream. A retransmitted UDP query counts again here.
 *                          A TCP message counts once even if a segment carrying
 *                          it was retransmitted, split, or reordered.
 * dns.responses            the same for QR=1 messages sent by the server.
 * dns.udp, dns.tcp         well-formed DNS messages (queries + responses) by
 *                          transport; dns.udp + dns.tcp = queries + responses.
 * dns.ipv6                 well-formed DNS messages carried over IPv6.
 * dns.malformed            DNS messages on port 53 the DNS parser rejects; they
 *                          count nowhere else in dns.* and open no transaction.
 * rcodes                   responses by header RCODE name ("NOERROR", "NXDOMAIN",
 *                          "SERVFAIL", "REFUSED", ...); a name absent means 0.
 *                          The sum equals dns.responses.
 * transactions.answered    queries matched with a response (same client, ports,
 *                          id, transport and connection). A query and its
 *                          retransmissions form one transaction.
 * transactions.unanswered  transactions with no response within the timeout
 *                          (5 s, the analyzer's default). Every unanswered
 *                          query is sent at least 5 s before the capture ends,
 *                          so none of them is merely pending at the end.
 * transactions.retransmits queries repeating an open query (same client, ports,
 *                          id, name and type) before its response.
 * tcp.sessions             TCP connections to port 53 that were established
 *                          (SYN-ACK seen) or picked up mid-stream (data without
 *                          a handshake).
 * tcp.rejected             connection attempts (distinct 4-tuples) whose SYN was
 *                          answered with RST.
 * tcp.filtered             connection attempts (distinct 4-tuples) whose SYNs
 *                          (a first SYN and possibly one retransmission 1 s later)
 *                          were never answered; the first SYN is sent at least 5 s
 *                          before the capture ends (SYN timeout: 3 s).
 * frames.not_dns           frames that are not DNS: not IP (ARP), IP but not
 *                          UDP/TCP (ICMP), UDP/TCP on other ports (NTP).
 * frames.snap_truncated    DNS frames cut by the snap length. A message cut
 *                          after its header counts in dns.* like any other
 *                          (a query still opens a transaction); the records
 *                          lost to the cut are not summarized.
 * frames.fragments         IPv4/IPv6 fragment frames (each fragment is a frame).
 * sources[]                per named source: queries (as dns.queries),
 *                          unanswered (as transactions.unanswered) and
 *                          max_concurrent_tcp (most established TCP sessions
 *                          of the source open at one instant).
 */
#ifndef DCV_GEN_EXPECT_H
#define DCV_GEN_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define GEN_NAMED_SOURCES_MAX 16
#define GEN_RCODES            16 /* header RCODE values 0..15 */

struct gen_source_expect {
	struct dcv_addr addr;
	uint64_t queries;
	uint64_t unanswered;
	uint32_t max_concurrent_tcp;
};

struct gen_expect {
	uint64_t packets;
	uint64_t queries, responses, udp, tcp, ipv6, malformed;
	uint64_t rcodes[GEN_RCODES];
	uint64_t answered, unanswered, retransmits;
	uint64_t tcp_sessions, tcp_rejected, tcp_filtered;
	uint64_t not_dns, snap_truncated, fragments;
	unsigned nsources;
	struct gen_source_expect sources[GEN_NAMED_SOURCES_MAX];
};

/* gen_expect_name_source() adds a named source (once) and returns its entry,
 * or NULL when GEN_NAMED_SOURCES_MAX are already named. */
struct gen_source_expect *gen_expect_name_source(struct gen_expect *e, const struct dcv_addr *a);

/* gen_expect_source() returns the named source's entry, or NULL if a is not named. */
struct gen_source_expect *gen_expect_source(struct gen_expect *e, const struct dcv_addr *a);

/* gen_expect_write_json() writes the counts as JSON to path.
 * Returns 0, or -1 when the file cannot be written (errno set). */
int gen_expect_write_json(const struct gen_expect *e, const char *scenario, uint64_t seed,
                          const char *path);

#endif
