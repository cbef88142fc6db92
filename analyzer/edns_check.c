/* edns_check.c - EDNS compliance from observed answers (edns_check.h). */
#include "edns_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define EDNS_PLAIN_UDP_MAX 512  /* RFC 1035 4.2.1: the size without EDNS */
#define EDNS_PENDING_MAX   1024 /* EDNS error answers awaiting the comparison */
#define EDNS_ERRKEY_SLOTS  2048 /* (server, name, type) that got an EDNS error answer */

/*
 * An error answer to an EDNS query counts against the server only when the
 * name and type fail with EDNS as a rule: at least EDNS_ERROR_SHARE_PCT of
 * its EDNS answers from the first error on were errors. A server that is
 * broken for EDNS fails every such query; one that has a sporadic SERVFAIL
 * (an upstream hiccup, a zone reload) answers the next ones fine, and that
 * is no EDNS fault.
 */
#define EDNS_ERROR_SHARE_PCT 50

/* EDNS answers of one (server, name, type) since its first error answer. */
struct edns_errkey {
	uint64_t key; /* 0 = empty */
	uint32_t answers, errors;
};

/* An EDNS error answer waiting for the end of input: was the same name and
 * type answered fine without EDNS? */
struct edns_pending {
	uint64_t key;
	unsigned server;
	uint64_t ts_ns;
	char example[EDNS_EXAMPLE_MAX];
};

struct edns_checker {
	struct edns_server servers[EDNS_MAX_SERVERS];
	unsigned nservers;
	uint64_t plain_ok[EDNS_NAME_SLOTS]; /* open addressing; 0 = empty */
	unsigned nplain;
	struct edns_pending pending[EDNS_PENDING_MAX];
	unsigned npending;
	struct edns_errkey errkeys[EDNS_ERRKEY_SLOTS]; /* open addressing */
	unsigned nerrkeys;
	uint64_t dropped;
};

const char *edns_check_name(enum edns_check c)
{
	static const char *const names[EDNS_CHECK_COUNT] = {
	    [EDNS_CHK_NO_OPT] = "no_opt",
	    [EDNS_CHK_ERROR_RCODE] = "edns_error_rcode",
	    [EDNS_CHK_BADVERS] = "badvers",
	    [EDNS_CHK_SIZE] = "size_without_tc",
	    [EDNS_CHK_OPTION_ECHO] = "unknown_option_echoed",
	    [EDNS_CHK_COOKIE] = "cookie_not_echoed",
	    [EDNS_CHK_NEGATIVE_NO_SOA] = "negative_without_soa",
	};
	return (unsigned)c < EDNS_CHECK_COUNT ? names[c] : "unknown";
}

struct edns_checker *edns_checker_new(void)
{
	return calloc(1, sizeof(struct edns_checker));
}

void edns_checker_free(struct edns_checker *c)
{
	free(c);
}

static struct edns_server *server_of(struct edns_checker *c, const struct dcv_addr *a,
                                     unsigned *index)
{
	for (unsigned i = 0; i < c->nservers; i++)
		if (dcv_addr_equal(&c->servers[i].server, a)) {
			*index = i;
			return &c->servers[i];
		}
	if (c->nservers == EDNS_MAX_SERVERS) {
		c->dropped++;
		return NULL;
	}
	struct edns_server *s = &c->servers[c->nservers];
	memset(s, 0, sizeof(*s));
	s->server = *a;
	*index = c->nservers++;
	return s;
}

static uint64_t name_key(unsigned server, const char *qname, uint16_t qtype)
{
	uint64_t h = dcv_hash_table(qname, strlen(qname), ((uint64_t)server << 16) | qtype);
	return h != 0 ? h : 1;
}

static bool plain_has(const struct edns_checker *c, uint64_t key)
{
	for (unsigned i = 0; i < EDNS_NAME_SLOTS; i++) {
		uint64_t v = c->plain_ok[(key + i) % EDNS_NAME_SLOTS];
		if (v == key)
			return true;
		if (v == 0)
			return false;
	}
	return false;
}

static void plain_add(struct edns_checker *c, uint64_t key)
{
	if (plain_has(c, key))
		return;
	if (c->nplain >= EDNS_NAME_SLOTS / 2) { /* keep probes short */
		c->dropped++;
		return;
	}
	unsigned i = (unsigned)(key % EDNS_NAME_SLOTS);
	while (c->plain_ok[i] != 0)
		i = (i + 1) % EDNS_NAME_SLOTS;
	c->plain_ok[i] = key;
	c->nplain++;
}

/* The slot of key among the names with an EDNS error; with add, a new one
 * (NULL when the table is half full: the name is then not judged). */
static struct edns_errkey *errkey_of(struct edns_checker *c, uint64_t key, bool add)
{
	for (unsigned i = 0; i < EDNS_ERRKEY_SLOTS; i++) {
		struct edns_errkey *e = &c->errkeys[(key + i) % EDNS_ERRKEY_SLOTS];
		if (e->key == key)
			return e;
		if (e->key != 0)
			continue;
		if (!add || c->nerrkeys >= EDNS_ERRKEY_SLOTS / 2)
			return NULL;
		e->key = key;
		c->nerrkeys++;
		return e;
	}
	return NULL;
}

/* Counts an answer to an EDNS(0) query for the error share of its name. */
static void count_edns_answer(struct edns_checker *c, unsigned server, const struct edns_txn *t,
                              bool error)
{
	if (!error && c->nerrkeys == 0)
		return; /* no name to judge yet */
	struct edns_errkey *e = errkey_of(c, name_key(server, t->qname, t->qtype), error);
	if (e == NULL)
		return;
	e->answers++;
	if (error)
		e->errors++;
}

/* Whether key's EDNS answers fail as a rule (EDNS_ERROR_SHARE_PCT). A name
 * the table had no room for is judged by its error alone. */
static bool fails_as_a_rule(struct edns_checker *c, uint64_t key)
{
	const struct edns_errkey *e = errkey_of(c, key, false);
	if (e == NULL)
		return true;
	return (uint64_t)e->errors * 100 >= (uint64_t)e->answers * EDNS_ERROR_SHARE_PCT;
}

static void fail(struct edns_server *s, enum edns_check k, const struct edns_txn *t,
                 const char *what)
{
	if (s->fail[k]++ == 0)
		snprintf(s->example[k], sizeof(s->example[k]), "%s %s: %s", t->qname,
		         dns_type_name(t->qtype) ? dns_type_name(t->qtype) : "?", what);
	if (s->first_ns == 0 || t->ts_ns < s->first_ns)
		s->first_ns = t->ts_ns;
	if (t->ts_ns > s->last_ns)
		s->last_ns = t->ts_ns;
}

static const char *rc_name(unsigned rcode)
{
	return dns_rcode_name(rcode) != NULL ? dns_rcode_name(rcode) : "?";
}

static bool error_rcode(unsigned rcode)
{
	return rcode == DNS_RCODE_FORMERR || rcode == DNS_RCODE_NOTIMP ||
	       rcode == DNS_RCODE_SERVFAIL;
}

/* negative_without_soa (edns_check.h): an authoritative NXDOMAIN or NODATA
 * without SOA. */
static void check_negative(struct edns_checker *c, const struct edns_txn *t, unsigned rcode)
{
	const struct dns_msg *r = t->resp;
	bool negative =
	    rcode == DNS_RCODE_NXDOMAIN || (rcode == DNS_RCODE_NOERROR && r->ancount == 0);
	/* a NOTIFY answer (opcode 4) is AA=1, NOERROR and empty by design */
	if (!negative || r->opcode != 0 || !r->aa || r->tc || r->has_soa)
		return;
	unsigned idx;
	struct edns_server *s = server_of(c, &t->server, &idx);
	if (s != NULL)
		fail(s, EDNS_CHK_NEGATIVE_NO_SOA, t,
		     rcode == DNS_RCODE_NXDOMAIN ? "NXDOMAIN without SOA"
		                                 : "NODATA (NOERROR, no answer) without SOA");
}

void edns_checker_txn(struct edns_checker *c, const struct edns_txn *t)
{
	const struct dns_msg *r = t->resp;
	unsigned idx;
	unsigned rcode = r->rcode & 0xfff;
	check_negative(c, t, rcode);
	if (!t->q_edns) {
		if (rcode == DNS_RCODE_NOERROR || rcode == DNS_RCODE_NXDOMAIN) {
			struct edns_server *s = server_of(c, &t->server, &idx);
			if (s != NULL)
				plain_add(c, name_key(idx, t->qname, t->qtype));
		}
		return;
	}
	struct edns_server *s = server_of(c, &t->server, &idx);
	if (s == NULL)
		return;
	s->edns_queries++;
	char what[128];
	if (t->q_version > 0) {
		if (rcode != DNS_RCODE_BADVERS || !r->has_edns || r->edns_version != 0) {
			snprintf(what, sizeof(what),
			         "EDNS version %u answered %s%s, not BADVERS with OPT version 0",
			         t->q_version, rc_name(rcode), r->has_edns ? "" : " without OPT");
			fail(s, EDNS_CHK_BADVERS, t, what);
		}
		return; /* the other checks are about EDNS(0) */
	}
	if (!r->has_edns)
		fail(s, EDNS_CHK_NO_OPT, t, "EDNS(0) query answered without OPT");
	count_edns_answer(c, idx, t, error_rcode(rcode));
	if (error_rcode(rcode)) {
		if (c->npending < EDNS_PENDING_MAX) {
			struct edns_pending *p = &c->pending[c->npending++];
			p->key = name_key(idx, t->qname, t->qtype);
			p->server = idx;
			p->ts_ns = t->ts_ns;
			snprintf(p->example, sizeof(p->example), "%s %s: %s to the EDNS query",
			         t->qname, dns_type_name(t->qtype) ? dns_type_name(t->qtype) : "?",
			         rc_name(rcode));
		} else {
			c->dropped++;
		}
	}
	unsigned limit = t->q_udp_size > EDNS_PLAIN_UDP_MAX ? t->q_udp_size : EDNS_PLAIN_UDP_MAX;
	if (t->udp && t->resp_len > limit && !r->tc) {
		snprintf(what, sizeof(what), "%u-byte answer to a %u-byte UDP size, TC=0",
		         t->resp_len, t->q_udp_size);
		fail(s, EDNS_CHK_SIZE, t, what);
	}
	if (r->has_edns && t->q_unknown_option) {
		unsigned known = r->edns_nsid + r->edns_ecs + r->edns_cookie + r->edns_ede;
		if (r->edns_options > known)
			fail(s, EDNS_CHK_OPTION_ECHO, t,
			     "an unknown EDNS option of the query came back in the answer");
	}
	if (t->q_cookie && rcode != DNS_RCODE_FORMERR) {
		s->cookie_answers++;
		if (r->has_edns && r->edns_cookie)
			s->cookie_echoed++;
		else if (s->cookie_answers - s->cookie_echoed == 1)
			snprintf(s->example[EDNS_CHK_COOKIE], sizeof(s->example[EDNS_CHK_COOKIE]),
			         "%s %s: COOKIE query answered without COOKIE", t->qname,
			         dns_type_name(t->qtype) ? dns_type_name(t->qtype) : "?");
	}
}

void edns_checker_finish(struct edns_checker *c)
{
	for (unsigned i = 0; i < c->npending; i++) {
		struct edns_pending *p = &c->pending[i];
		if (!plain_has(c, p->key) || !fails_as_a_rule(c, p->key))
			continue;
		struct edns_server *s = &c->servers[p->server];
		if (s->fail[EDNS_CHK_ERROR_RCODE]++ == 0)
			snprintf(s->example[EDNS_CHK_ERROR_RCODE], EDNS_EXAMPLE_MAX,
			         "%.260s, fine without EDNS", p->example);
		if (s->first_ns == 0 || p->ts_ns < s->first_ns)
			s->first_ns = p->ts_ns;
		if (p->ts_ns > s->last_ns)
			s->last_ns = p->ts_ns;
	}
	c->npending = 0;
	for (unsigned i = 0; i < c->nservers; i++) {
		struct edns_server *s = &c->servers[i];
		/* a server that never echoes does not do cookies, which is allowed */
		if (s->cookie_echoed > 0 && s->cookie_answers > s->cookie_echoed)
			s->fail[EDNS_CHK_COOKIE] = s->cookie_answers - s->cookie_echoed;
	}
}

const struct edns_server *edns_checker_servers(const struct edns_checker *c, unsigned *n)
{
	*n = c->nservers;
	return c->servers;
}

uint64_t edns_checker_dropped(const struct edns_checker *c)
{
	return c->dropped;
}
