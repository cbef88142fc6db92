/*
 * gen_txn.h - one DNS transaction (query, then the server's answer or none)
 * over UDP or over an open TCP connection, counted in the expectations.
 */
#ifndef DCV_GEN_TXN_H
#define DCV_GEN_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_dns.h"
#include "gen_out.h"

/* The authoritative server of every scenario. */
#define GEN_SERVER_V4 192, 0, 2, 53
#define GEN_SERVER_V6 "2001:db8::53"

/* gen_server_for() returns the server address of the client's family. */
struct dcv_addr gen_server_for(const struct dcv_addr *client);

/* gen_flow_to_server() makes a flow from client (random ephemeral port) to port 53. */
struct gen_flow gen_flow_to_server(struct gen_ctx *g, const struct dcv_addr *client);

/* gen_random_id() returns a random DNS message id. */
uint16_t gen_random_id(struct gen_ctx *g);

/*
 * gen_udp_txn() sends q on f at ts; when answered, the response with rcode
 * follows after latency_ns and counts as answered, otherwise the query counts
 * as unanswered (the caller keeps ts >= 5 s before the capture ends).
 * Returns the time of the last frame written.
 */
uint64_t gen_udp_txn(struct gen_ctx *g, uint64_t ts_ns, const struct gen_flow *f,
                     const struct gen_query *q, int rcode, bool answered, uint64_t latency_ns);

/* gen_tcp_txn() sends q on the open connection and the answer after latency_ns
 * (counted as answered). Returns the time of the response. */
uint64_t gen_tcp_txn(struct gen_ctx *g, uint64_t ts_ns, struct gen_tcp *t,
                     const struct gen_query *q, int rcode, uint64_t latency_ns);

#endif
