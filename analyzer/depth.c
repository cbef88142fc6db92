/*
 * depth.c - kept answers and their judgement (depth.h).
 *
 * Invariants:
 *  1. nmsgs <= max_messages, bytes <= DEPTH_MAX_BYTES; every kept answer
 *     is in index[] exactly once.
 *  2. results are built only by depth_finish(), from msgs[] alone.
 */
#include "depth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

struct depth_msg {
	uint64_t hash;
	uint64_t first_ns, last_ns;
	uint32_t count;
	uint16_t qtype;
	bool do_bit;
	int32_t rcode;
	char ca[DEPTH_CA_MAX];
	char *qname;   /* owned */
	uint8_t *wire; /* owned; NULL when unanswered */
	uint32_t len;
};

struct depth {
	struct depth_config cfg;
	struct depth_msg *msgs;
	uint32_t nmsgs;
	uint64_t bytes;  /* answer bytes kept, <= DEPTH_MAX_BYTES */
	uint32_t *index; /* open addressing over msgs, UINT32_MAX = empty */
	uint32_t index_mask;
	struct edns_checker *edns;
	struct depth_stats stats;
	struct depth_dnssec *dnssec;
	size_t ndnssec, cap_dnssec;
	struct depth_caa *caa;
	size_t ncaa, cap_caa;
	bool finished;
};

struct depth *depth_new(const struct depth_config *cfg)
{
	struct depth *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	if (cfg != NULL)
		d->cfg = *cfg;
	if (d->cfg.max_messages == 0)
		d->cfg.max_messages = DEPTH_MAX_MESSAGES_DEFAULT;
	uint32_t slots = 1;
	while (slots < d->cfg.max_messages * 2u && slots < (1u << 30))
		slots <<= 1;
	d->index_mask = slots - 1;
	d->msgs = calloc(d->cfg.max_messages, sizeof(*d->msgs));
	d->index = malloc((size_t)slots * sizeof(*d->index));
	d->edns = edns_checker_new();
	if (d->msgs == NULL || d->index == NULL || d->edns == NULL) {
		depth_free(d);
		return NULL;
	}
	memset(d->index, 0xff, (size_t)slots * sizeof(*d->index));
	return d;
}

void depth_free(struct depth *d)
{
	if (d == NULL)
		return;
	for (uint32_t i = 0; d->msgs != NULL && i < d->nmsgs; i++) {
		free(d->msgs[i].qname);
		free(d->msgs[i].wire);
	}
	free(d->msgs);
	free(d->index);
	edns_checker_free(d->edns);
	free(d->dnssec);
	free(d->caa);
	free(d);
}

void depth_edns(struct depth *d, const struct edns_txn *t)
{
	edns_checker_txn(d->edns, t);
}

static bool msg_equal(const struct depth_msg *m, const struct depth_txn *t)
{
	uint32_t len = t->wire != NULL ? t->len : 0;
	const char *ca = t->ca != NULL ? t->ca : "";
	if (m->qtype != t->qtype || m->do_bit != t->do_bit || m->rcode != t->rcode ||
	    m->len != len || strcmp(m->qname, t->qname) != 0 ||
	    strncmp(m->ca, ca, DEPTH_CA_MAX) != 0)
		return false;
	/* the DNS id (first two bytes) differs between equal answers */
	return len <= 2 || memcmp(m->wire + 2, t->wire + 2, len - 2) == 0;
}

void depth_txn(struct depth *d, const struct depth_txn *t)
{
	d->stats.handed++;
	/* TC=1 answers are not final: the resolver asks again over TCP */
	bool tc = t->wire != NULL && t->len > 2 && (t->wire[2] & 0x02);
	if ((t->rcode >= 0 && t->wire == NULL) || tc) {
		d->stats.incomplete++;
		return;
	}
	uint32_t len = t->wire != NULL ? t->len : 0;
	uint64_t h = dcv_hash_bytes(t->qname, strlen(t->qname),
	                            (uint64_t)t->qtype << 32 ^ (uint64_t)(uint32_t)t->rcode ^
	                                (t->do_bit ? 1ULL << 48 : 0));
	if (t->ca != NULL)
		h = dcv_hash_bytes(t->ca, strlen(t->ca), h);
	if (len > 2)
		h = dcv_hash_bytes(t->wire + 2, len - 2, h);
	uint32_t slot = (uint32_t)h & d->index_mask;
	while (d->index[slot] != UINT32_MAX) {
		struct depth_msg *m = &d->msgs[d->index[slot]];
		if (m->hash == h && msg_equal(m, t)) {
			m->count++;
			if (t->ts_ns < m->first_ns)
				m->first_ns = t->ts_ns;
			if (t->ts_ns > m->last_ns)
				m->last_ns = t->ts_ns;
			d->stats.duplicates++;
			return;
		}
		slot = (slot + 1) & d->index_mask;
	}
	if (d->nmsgs == d->cfg.max_messages || d->bytes + len > DEPTH_MAX_BYTES) {
		d->stats.dropped++;
		return;
	}
	struct depth_msg *m = &d->msgs[d->nmsgs];
	memset(m, 0, sizeof(*m));
	m->qname = strdup(t->qname);
	if (len > 0)
		m->wire = malloc(len);
	if (m->qname == NULL || (len > 0 && m->wire == NULL)) {
		free(m->qname);
		free(m->wire);
		d->stats.dropped++;
		return;
	}
	if (len > 0)
		memcpy(m->wire, t->wire, len);
	m->len = len;
	d->bytes += len;
	m->hash = h;
	m->first_ns = m->last_ns = t->ts_ns;
	m->count = 1;
	m->qtype = t->qtype;
	m->do_bit = t->do_bit;
	m->rcode = t->rcode;
	snprintf(m->ca, sizeof(m->ca), "%s", t->ca != NULL ? t->ca : "");
	d->index[slot] = d->nmsgs++;
	d->stats.kept++;
}

/* ---- DNSSEC ------------------------------------------------------------ */

static struct depth_dnssec *dnssec_slot(struct depth *d, const char *name, uint16_t qtype)
{
	for (size_t i = 0; i < d->ndnssec; i++)
		if (d->dnssec[i].qtype == qtype && strcmp(d->dnssec[i].name, name) == 0)
			return &d->dnssec[i];
	if (d->ndnssec == d->cap_dnssec) {
		size_t cap = d->cap_dnssec ? d->cap_dnssec * 2 : 32;
		struct depth_dnssec *p = realloc(d->dnssec, cap * sizeof(*p));
		if (p == NULL)
			return NULL;
		d->dnssec = p;
		d->cap_dnssec = cap;
	}
	struct depth_dnssec *r = &d->dnssec[d->ndnssec++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->qtype = qtype;
	r->v.status = DNSSEC_SECURE;
	return r;
}

/* Merges one verdict into a result: the worst status wins; among SECURE
 * verdicts the earliest expiry is kept. */
static void dnssec_merge(struct depth_dnssec *r, const struct depth_msg *m,
                         const struct dnssec_verdict *v)
{
	bool first = r->responses == 0;
	r->responses += m->count;
	if (first || m->first_ns < r->first_ns)
		r->first_ns = m->first_ns;
	if (m->last_ns > r->last_ns)
		r->last_ns = m->last_ns;
	if (r->ca[0] == '\0')
		snprintf(r->ca, sizeof(r->ca), "%s", m->ca);
	uint64_t exp = r->v.expires_ns;
	if (first || v->status > r->v.status)
		r->v = *v;
	if (exp != 0 && (r->v.expires_ns == 0 || exp < r->v.expires_ns))
		r->v.expires_ns = exp;
	if (v->expires_ns != 0 && v->expires_ns < r->v.expires_ns)
		r->v.expires_ns = v->expires_ns;
}

static int judge_dnssec(struct depth *d, ldns_pkt **pkts)
{
	struct dnssec_keys keys;
	if (dnssec_keys_init(&keys, d->cfg.anchors) != 0)
		return -1;
	int rc = 0;
	for (uint32_t i = 0; i < d->nmsgs; i++)
		if (d->msgs[i].qtype == DNS_TYPE_DNSKEY && pkts[i] != NULL &&
		    dnssec_keys_add_answer(&keys, d->msgs[i].qname, pkts[i]) != 0)
			rc = -1;
	for (uint32_t i = 0; i < d->nmsgs; i++) {
		const struct depth_msg *m = &d->msgs[i];
		if (!m->do_bit || m->ca[0] == '\0' || (m->wire != NULL && pkts[i] == NULL))
			continue; /* validators' DO=1 answers only (DNSKEY answers of others give
			             keys) */
		struct dnssec_verdict v;
		dnssec_judge(&keys, m->qname, m->qtype, pkts[i], m->last_ns, &v);
		/* a signature not yet valid shows at the first answer, not the last */
		if (v.status != DNSSEC_BOGUS && m->first_ns != m->last_ns) {
			struct dnssec_verdict early;
			dnssec_judge(&keys, m->qname, m->qtype, pkts[i], m->first_ns, &early);
			if (early.status > v.status)
				v = early;
		}
		struct depth_dnssec *r = dnssec_slot(d, m->qname, m->qtype);
		if (r == NULL) {
			rc = -1;
			break;
		}
		dnssec_merge(r, m, &v);
	}
	dnssec_keys_free(&keys);
	return rc;
}

/* ---- CAA --------------------------------------------------------------- */

#define DEPTH_CAA_RECORDS_MAX 32 /* records of one RRset considered */

/* The CAA RRset captured for one owner name. */
struct caa_set {
	const char *owner; /* a kept message's qname */
	struct caa_record rrs[DEPTH_CAA_RECORDS_MAX];
	size_t n;
};

static const struct caa_set *caa_set_of(const struct caa_set *sets, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(sets[i].owner, name) == 0)
			return &sets[i];
	return NULL;
}

static const char *parent_of(const char *name)
{
	const char *dot = strchr(name, '.');
	return dot != NULL && dot[1] != '\0' ? dot + 1 : NULL;
}

static bool is_subdomain(const char *sub, const char *parent)
{
	size_t ls = strlen(sub), lp = strlen(parent);
	return ls > lp && sub[ls - lp - 1] == '.' && strcmp(sub + ls - lp, parent) == 0;
}

static const char *issuer_ca(void *ctx, const char *domain)
{
	return validators_ca_of_issuer(ctx, domain);
}

static void rrset_text(const struct caa_set *s, char *buf, size_t len)
{
	buf[0] = '\0';
	size_t o = 0;
	for (size_t i = 0; i < s->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u %s \"%s\"", i ? "; " : "",
		                      s->rrs[i].flags, s->rrs[i].tag, s->rrs[i].value);
}

static int caa_add(struct depth *d, const struct depth_caa *c)
{
	if (d->ncaa == d->cap_caa) {
		size_t cap = d->cap_caa ? d->cap_caa * 2 : 16;
		struct depth_caa *p = realloc(d->caa, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		d->caa = p;
		d->cap_caa = cap;
	}
	d->caa[d->ncaa++] = *c;
	return 0;
}

/* Decides for the CA and name of message m (climbing through sets). */
static int caa_decide_one(struct depth *d, const struct validators *v, const struct depth_msg *m,
                          const struct caa_set *sets, size_t nsets)
{
	struct depth_caa c;
	memset(&c, 0, sizeof(c));
	snprintf(c.ca, sizeof(c.ca), "%s", m->ca);
	snprintf(c.name, sizeof(c.name), "%s", m->qname);
	c.first_ns = m->first_ns;
	c.last_ns = m->last_ns;
	c.queries = m->count;
	const struct caa_set *rel = NULL;
	for (const char *n = m->qname; n != NULL && rel == NULL; n = parent_of(n)) {
		const struct caa_set *s = caa_set_of(sets, nsets, n);
		if (s != NULL && s->n > 0)
			rel = s;
	}
	if (rel == NULL) {
		c.allowed = c.wild_allowed = true;
		snprintf(c.why, sizeof(c.why), "no CAA RRset on the way from %s to the top",
		         m->qname);
		return caa_add(d, &c);
	}
	const char *issuer = validators_issuer_of_ca(v, m->ca);
	if (issuer == NULL)
		return 0; /* no issuer domain of the CA is known: nothing to decide with */
	snprintf(c.owner, sizeof(c.owner), "%s", rel->owner);
	rrset_text(rel, c.rrset, sizeof(c.rrset));
	struct caa_decision dec;
	caa_decide(rel->rrs, rel->n, m->ca, issuer_ca, (void *)v, &dec);
	c.allowed = dec.allowed;
	c.wild_allowed = dec.wild_allowed;
	snprintf(c.why, sizeof(c.why), "%s", dec.why);
	if (!c.allowed)
		snprintf(c.fix, sizeof(c.fix), "%s. CAA 0 issue \"%s\"", rel->owner, issuer);
	return caa_add(d, &c);
}

static int judge_caa(struct depth *d, const struct validators *v, ldns_pkt **pkts)
{
	struct caa_set *sets = calloc(d->nmsgs ? d->nmsgs : 1, sizeof(*sets));
	size_t nsets = 0;
	int rc = 0;
	if (sets == NULL)
		return -1;
	/* the captured RRsets: CAA records of NOERROR answers, and the empty
	 * RRsets of NODATA and NXDOMAIN */
	for (uint32_t i = 0; i < d->nmsgs; i++) {
		const struct depth_msg *m = &d->msgs[i];
		if (m->qtype != DNS_TYPE_CAA || pkts[i] == NULL ||
		    (m->rcode != DNS_RCODE_NOERROR && m->rcode != DNS_RCODE_NXDOMAIN) ||
		    caa_set_of(sets, nsets, m->qname) != NULL)
			continue;
		struct caa_set *s = &sets[nsets++];
		s->owner = m->qname;
		const ldns_rr_list *an = ldns_pkt_answer(pkts[i]);
		for (size_t k = 0; k < ldns_rr_list_rr_count(an) && s->n < DEPTH_CAA_RECORDS_MAX;
		     k++)
			if (ldns_rr_get_type(ldns_rr_list_rr(an, k)) == LDNS_RR_TYPE_CAA &&
			    caa_record_from_rr(ldns_rr_list_rr(an, k), &s->rrs[s->n]) == 0)
				s->n++;
	}
	for (uint32_t i = 0; i < d->nmsgs && rc == 0; i++) {
		const struct depth_msg *m = &d->msgs[i];
		if (m->qtype != DNS_TYPE_CAA || m->ca[0] == '\0' ||
		    caa_set_of(sets, nsets, m->qname) == NULL)
			continue;
		/* one decision per (CA, name): merge equal ones, skip the names the
		 * CA only climbed through on the way from a deeper name */
		bool skip = false;
		for (size_t k = 0; k < d->ncaa && !skip; k++)
			if (strcmp(d->caa[k].ca, m->ca) == 0 &&
			    strcmp(d->caa[k].name, m->qname) == 0) {
				d->caa[k].queries += m->count;
				if (m->first_ns < d->caa[k].first_ns)
					d->caa[k].first_ns = m->first_ns;
				if (m->last_ns > d->caa[k].last_ns)
					d->caa[k].last_ns = m->last_ns;
				skip = true;
			}
		for (uint32_t k = 0; k < d->nmsgs && !skip; k++)
			skip = d->msgs[k].qtype == DNS_TYPE_CAA &&
			       strcmp(d->msgs[k].ca, m->ca) == 0 &&
			       is_subdomain(d->msgs[k].qname, m->qname);
		if (!skip)
			rc = caa_decide_one(d, v, m, sets, nsets);
	}
	free(sets);
	return rc;
}

/* ---- finish and results ----------------------------------------------- */

int depth_finish(struct depth *d, const struct validators *v)
{
	if (d->finished)
		return 0;
	d->finished = true;
	edns_checker_finish(d->edns);
	d->stats.edns_dropped = edns_checker_dropped(d->edns);
	ldns_pkt **pkts = calloc(d->nmsgs ? d->nmsgs : 1, sizeof(*pkts));
	if (pkts == NULL)
		return -1;
	for (uint32_t i = 0; i < d->nmsgs; i++) {
		if (d->msgs[i].wire == NULL)
			continue;
		if (ldns_wire2pkt(&pkts[i], d->msgs[i].wire, d->msgs[i].len) != LDNS_STATUS_OK) {
			pkts[i] = NULL;
			d->stats.unparsable += d->msgs[i].count;
		}
	}
	int rc = judge_dnssec(d, pkts);
	if (judge_caa(d, v, pkts) != 0)
		rc = -1;
	for (uint32_t i = 0; i < d->nmsgs; i++)
		ldns_pkt_free(pkts[i]);
	free(pkts);
	return rc;
}

const struct depth_dnssec *depth_dnssec_results(const struct depth *d, size_t *n)
{
	*n = d->ndnssec;
	return d->dnssec;
}

const struct depth_caa *depth_caa_results(const struct depth *d, size_t *n)
{
	*n = d->ncaa;
	return d->caa;
}

const struct edns_server *depth_edns_results(const struct depth *d, unsigned *n)
{
	return edns_checker_servers(d->edns, n);
}

const struct depth_stats *depth_get_stats(const struct depth *d)
{
	return &d->stats;
}
