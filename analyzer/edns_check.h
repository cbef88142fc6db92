/*
 * edns_check.h - EDNS compliance of a server, judged from its answers the
 * way ISC's EDNS compliance tests (ednscomp) judge it, but passively: every
 * answer to an EDNS query is checked against RFC 6891 and RFC 7873.
 *
 *   check                    fails when
 *   no_opt                   an EDNS(0) query is answered without OPT
 *   edns_error_rcode         FORMERR/NOTIMP/SERVFAIL to an EDNS query while
 *                            the same name and type is answered without EDNS,
 *                            and at least half of its EDNS answers from the
 *                            first error on are errors (a sporadic SERVFAIL
 *                            among good EDNS answers is no EDNS fault)
 *   badvers                  an EDNS version > 0 query is not answered
 *                            BADVERS with an OPT of version 0 (RFC 6891 6.1.3)
 *   size_without_tc          a UDP answer larger than the query's UDP size
 *                            (at least 512) without TC (RFC 6891 6.2.5)
 *   unknown_option_echoed    the query had an option unknown to the server
 *                            and the answer carries one back (RFC 6891 6.1.2)
 *   cookie_not_echoed        the server answers COOKIE queries with a COOKIE
 *                            option, but not all of them (RFC 7873 5.2)
 *
 * One check beside EDNS, on every answer, with or without EDNS, kept in the
 * same table because it is judged the same way (per server, count and
 * first example); rule NEGATIVE_WITHOUT_SOA reads it, EDNS_NONCOMPLIANT not:
 *   negative_without_soa     an authoritative (AA=1) NXDOMAIN or NODATA
 *                            (NOERROR, no answer record) to a standard
 *                            query (opcode 0), without TC, has no
 *                            SOA record (RFC 2308 3: negative answers carry
 *                            the zone's SOA; Unbound 1.18 and later, Let's
 *                            Encrypt's resolver among them, SERVFAIL them)
 *
 * Memory is bounded: EDNS_MAX_SERVERS servers, and EDNS_NAME_SLOTS names
 * remembered for the comparison with and without EDNS; what does not fit is
 * counted in dropped.
 */
#ifndef DCV_EDNS_CHECK_H
#define DCV_EDNS_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "dns_parse.h"

#define EDNS_MAX_SERVERS 64    /* server addresses judged; one nameserver has few */
#define EDNS_NAME_SLOTS  16384 /* (server, name, type) kept per kind of answer */
#define EDNS_EXAMPLE_MAX 300

enum edns_check {
	EDNS_CHK_NO_OPT,
	EDNS_CHK_ERROR_RCODE,
	EDNS_CHK_BADVERS,
	EDNS_CHK_SIZE,
	EDNS_CHK_OPTION_ECHO,
	EDNS_CHK_COOKIE,
	EDNS_CHK_NEGATIVE_NO_SOA,
	EDNS_CHECK_COUNT
};

/* edns_check_name() returns the check's stable key ("no_opt", ...). */
const char *edns_check_name(enum edns_check c);

/* One answered query, as far as the checks need it. */
struct edns_txn {
	struct dcv_addr server;
	uint64_t ts_ns;
	const char *qname;
	uint16_t qtype;
	bool udp;
	bool q_edns;
	uint8_t q_version;
	uint16_t q_udp_size;
	bool q_cookie, q_unknown_option;
	const struct dns_msg *resp; /* the answer's summary */
	uint32_t resp_len;          /* the answer's size in bytes */
};

/* What one server did. */
struct edns_server {
	struct dcv_addr server;
	uint64_t edns_queries;                            /* answered EDNS queries */
	uint64_t fail[EDNS_CHECK_COUNT];                  /* failures per check */
	uint64_t first_ns, last_ns;                       /* span of the failures */
	char example[EDNS_CHECK_COUNT][EDNS_EXAMPLE_MAX]; /* first failing query, in words */
	uint64_t cookie_answers, cookie_echoed;           /* answers to COOKIE queries */
};

struct edns_checker;

/* edns_checker_new() allocates; NULL on allocation failure. */
struct edns_checker *edns_checker_new(void);

/* edns_checker_free() frees. NULL is a no-op. */
void edns_checker_free(struct edns_checker *c);

/* edns_checker_txn() checks one answered query (EDNS or not: answers
 * without EDNS are the baseline of edns_error_rcode). */
void edns_checker_txn(struct edns_checker *c, const struct edns_txn *t);

/* edns_checker_finish() settles the checks that need the whole input
 * (edns_error_rcode, cookie_not_echoed). Call once, at the end. */
void edns_checker_finish(struct edns_checker *c);

/* edns_checker_servers() returns the servers seen so far (*n of them). */
const struct edns_server *edns_checker_servers(const struct edns_checker *c, unsigned *n);

/* edns_checker_dropped() counts servers and names that did not fit. */
uint64_t edns_checker_dropped(const struct edns_checker *c);

#endif
