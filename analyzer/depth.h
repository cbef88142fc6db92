/*
 * depth.h - a deeper look, with ldns, at selected complete answers: the
 * DNSSEC status of names (dnssec.h), the CAA decisions for the CAs whose
 * validators asked (caa.h), and the server's EDNS compliance (edns_check.h).
 *
 * The analyzer hands over every ended transaction it selects (the DO=1 and
 * CAA queries of CA validators, every DNSKEY query; answered or not) with
 * the complete answer. DNSSEC is judged for the validators' DO=1 answers
 * (ca set), CAA for the validators' CAA answers. Equal
 * answers to equal questions (the same bytes apart from the DNS id) are kept
 * once, with a count and their first and last time: the perspectives of an
 * MPIC attempt usually get the same answer. At most max_messages distinct
 * answers, and DEPTH_MAX_BYTES bytes of them, are kept; later ones are
 * counted as dropped, never judged. The
 * judgement runs once, at depth_finish(), because a DNSKEY answer may come
 * after the answers it signs.
 */
#ifndef DCV_DEPTH_H
#define DCV_DEPTH_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "caa.h"
#include "dns_parse.h"
#include "dnssec.h"
#include "edns_check.h"
#include "validators.h"

#define DEPTH_MAX_MESSAGES_DEFAULT 4096        /* distinct answers kept (each at most 64 KiB) */
#define DEPTH_MAX_BYTES            (64u << 20) /* and at most this many answer bytes */
#define DEPTH_CA_MAX               32
#define DEPTH_RRSET_TEXT_MAX       1024

struct depth_config {
	uint32_t max_messages;                /* 0 = DEPTH_MAX_MESSAGES_DEFAULT */
	const struct dnssec_anchors *anchors; /* not owned; may be NULL */
};

/* One ended transaction handed over. */
struct depth_txn {
	uint64_t ts_ns; /* query time */
	const char *qname;
	uint16_t qtype;
	bool do_bit;
	const char *ca;      /* the validator's CA id (range table), or NULL */
	int32_t rcode;       /* -1 when unanswered */
	const uint8_t *wire; /* the complete answer; NULL when unanswered, or when
	                        the answer was cut short (counted as incomplete,
	                        as are TC=1 answers) */
	uint32_t len;
};

/* DNSSEC status of one (name, type), the worst over its answers. */
struct depth_dnssec {
	char name[DNS_NAME_TEXT_MAX];
	uint16_t qtype;
	char ca[DEPTH_CA_MAX]; /* a CA whose validators got such an answer; "" none */
	struct dnssec_verdict v;
	uint64_t first_ns, last_ns;
	uint32_t responses;
};

/* CAA decision for one CA and one name its validators asked about. */
struct depth_caa {
	char ca[DEPTH_CA_MAX];
	char name[DNS_NAME_TEXT_MAX];
	char owner[DNS_NAME_TEXT_MAX];    /* owner of the relevant RRset; "" when none */
	char rrset[DEPTH_RRSET_TEXT_MAX]; /* its records, "0 issue \"x\"; ..." */
	bool allowed, wild_allowed;
	char why[256];
	char fix[512]; /* the record to add when not allowed */
	uint64_t first_ns, last_ns;
	uint32_t queries;
};

struct depth_stats {
	uint64_t handed;       /* transactions handed over */
	uint64_t kept;         /* distinct answers kept */
	uint64_t duplicates;   /* answers equal to a kept one */
	uint64_t dropped;      /* distinct answers not kept: the table was full */
	uint64_t unparsable;   /* answers ldns could not parse */
	uint64_t incomplete;   /* answers cut by the snap length: not judged */
	uint64_t edns_dropped; /* EDNS servers and names that did not fit */
};

struct depth;

/* depth_new() allocates; NULL on allocation failure. cfg may be NULL. */
struct depth *depth_new(const struct depth_config *cfg);

/* depth_free() frees everything. NULL is a no-op. */
void depth_free(struct depth *d);

/* depth_txn() hands over one ended transaction (copied as needed). */
void depth_txn(struct depth *d, const struct depth_txn *t);

/* depth_edns() hands one answered transaction to the EDNS checks. */
void depth_edns(struct depth *d, const struct edns_txn *t);

/*
 * depth_finish() judges what was kept: DNSKEYs first, then every DO=1
 * answer, then the CAA climbs with the CAA issuer domains of v (may be
 * NULL). A CA without any issuer domain in v gets no decision where a
 * CAA RRset applies: it cannot be told apart from a CA the RRset denies. Call once, after the input
 * ended. Returns 0, or -1 on allocation failure (results are then partial).
 */
int depth_finish(struct depth *d, const struct validators *v);

/* Results after depth_finish(); arrays owned by d. */
const struct depth_dnssec *depth_dnssec_results(const struct depth *d, size_t *n);
const struct depth_caa *depth_caa_results(const struct depth *d, size_t *n);
const struct edns_server *depth_edns_results(const struct depth *d, unsigned *n);
const struct depth_stats *depth_get_stats(const struct depth *d);

#endif
