/*
 * rate_netblock.h - the busy seconds of CA validator sources grouped by the
 * netblock a response rate limiter counts as one client (RATE_LIMITED).
 *
 * BIND, Knot and NSD response rate limiting, and dnsdist's MaxQPSIPRule
 * with a mask, account clients by /24 (IPv4) and /56 (IPv6): validators of
 * one netblock share one limit. The store keeps each validator source's
 * seconds, groups the sources by netblock, and folds a group's seconds into
 * one series with, per second, how many members lost answers.
 */
#ifndef DCV_RATE_NETBLOCK_H
#define DCV_RATE_NETBLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "rule_queries.h"

/* IPv4 and IPv6 prefix lengths that response rate limiting counts as one
 * client (BIND's ipv4-prefix-length / ipv6-prefix-length defaults). */
#define RATE_NETBLOCK_V4 24
#define RATE_NETBLOCK_V6 56

/* "192.0.2.0/24" or "2001:db8:1:200::/56", plus NUL. */
#define RATE_NETBLOCK_TEXT_MAX (DCV_ADDR_TEXT_MAX + 4)

/* One validator source and its busy seconds (in time order). */
struct rate_member {
	char netblock[RATE_NETBLOCK_TEXT_MAX];
	char source[DCV_ADDR_TEXT_MAX];
	char ca[64];
	bool tcp; /* the source also sent TCP queries */
	struct db_rule_second *s;
	size_t n;
};

/* Every stored member; rate_members_group() sorts them by netblock. */
struct rate_members {
	struct rate_member *m;
	size_t n, cap;
};

/* One second of a netblock: the members' counts summed. */
struct rate_folded {
	struct db_rule_second s;
	unsigned losing; /* of them, those that lost answers (rate_lost()) */
};

/* rate_netblock_of() writes the netblock of an address text into out (at
 * least RATE_NETBLOCK_TEXT_MAX bytes). false when source is not an
 * address. */
bool rate_netblock_of(const char *source, char *out, size_t len);

/* rate_lost() says whether a source lost answers in second s: fewer good
 * answers (NOERROR or NXDOMAIN without TC=1) than queries, unless tcp and
 * every query was answered, none REFUSED (TC=1 answers retried over TCP). */
bool rate_lost(const struct db_rule_second *s, bool tcp);

/* rate_good() is the second's good answers: NOERROR + NXDOMAIN - TC=1. */
unsigned long long rate_good(const struct db_rule_second *s);

/* rate_members_add() stores a copy of n seconds of one source. 0, or -1
 * when out of memory or source is not an address. */
int rate_members_add(struct rate_members *ms, const char *source, const char *ca, bool tcp,
                     const struct db_rule_second *s, size_t n);

/* rate_members_group() sorts the members by netblock, then source. */
void rate_members_group(struct rate_members *ms);

/* rate_netblock_fold() folds the members m[0..n) (one netblock) into one
 * series in time order; *out is malloc'd (free it). 0 or -1. */
int rate_netblock_fold(const struct rate_member *m, size_t n, struct rate_folded **out,
                       size_t *nout);

/* rate_members_free() releases everything the store holds. */
void rate_members_free(struct rate_members *ms);

#endif
