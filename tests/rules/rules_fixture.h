/*
 * rules_fixture.h - building crafted databases for the rules tests through
 * the db/ API (no SQL text), and reading the findings back.
 * Header-only (static inline) so every tests/rules/test_*.c can use it.
 */
#ifndef DCV_RULES_FIXTURE_H
#define DCV_RULES_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "findings.h"
#include "mpic.h"
#include "rules.h"
#include "rules_config.h"
#include "test_support.h"
#include "validator_store.h"

#define FX_NS      1000000000ull
#define FX_T0      (1704067200ull * FX_NS) /* 2024-01-01T00:00:00Z */
#define FX_BUCKET  60
#define FX_FINDMAX 256

struct fx {
	struct db *db;
	int64_t run;
	char path[512];
	struct finding found[FX_FINDMAX];
	unsigned nfound;
};

static inline void fx_open(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->path, sizeof(x->path), "%s/rules.db", test_tmpdir());
	char err[256];
	cr_assert_eq(db_open(&x->db, x->path, err, sizeof(err)), 0, "%s", err);
	struct db_run_info info = {.kind = "offline",
	                           .inputs = "crafted",
	                           .fingerprint = "crafted",
	                           .started_ns = FX_T0,
	                           .bucket_len_s = FX_BUCKET,
	                           .timeout_ms = 5000};
	x->run = db_run_begin(x->db, &info);
	cr_assert_gt(x->run, 0);
}

static inline struct dcv_addr fx_addr(const char *text)
{
	struct dcv_addr a;
	cr_assert(dcv_addr_parse(text, &a), "bad address %s", text);
	return a;
}

/* A bucket row of source at minute m, counters to be filled by the caller. */
static inline struct source_bucket fx_b(const char *source, unsigned minute)
{
	struct source_bucket b;
	memset(&b, 0, sizeof(b));
	b.source = fx_addr(source);
	b.bucket_start_ns = FX_T0 + (uint64_t)minute * FX_BUCKET * FX_NS;
	b.bucket_len_s = FX_BUCKET;
	return b;
}

static inline void fx_add(struct fx *x, const struct source_bucket *b)
{
	cr_assert_eq(db_source_bucket_add(x->db, x->run, b), 0, "%s", db_errmsg(x->db));
}

/* A healthy bucket: q queries over UDP, all answered NOERROR. */
static inline void fx_healthy(struct fx *x, const char *source, unsigned minute, uint64_t q)
{
	struct source_bucket b = fx_b(source, minute);
	b.queries = b.queries_udp = b.responses = b.rcode[RCODE_SLOT_NOERROR] = q;
	b.peak_qps = (uint32_t)(q / 30 + 1);
	fx_add(x, &b);
}

static inline void fx_second(struct fx *x, const char *source, unsigned second, uint32_t queries,
                             uint32_t noerror, uint32_t refused, uint32_t truncated)
{
	struct source_second s;
	memset(&s, 0, sizeof(s));
	s.source = fx_addr(source);
	s.second_ns = FX_T0 + (uint64_t)second * FX_NS;
	s.queries = queries;
	s.rcode[RCODE_SLOT_NOERROR] = noerror;
	s.rcode[RCODE_SLOT_REFUSED] = refused;
	s.truncated = truncated;
	s.responses = noerror + refused;
	cr_assert_eq(db_source_second_add(x->db, x->run, &s), 0, "%s", db_errmsg(x->db));
}

static inline void fx_validator(struct fx *x, const char *source, const char *ca,
                                const char *region, enum mpic_confidence conf)
{
	struct mpic_source s;
	memset(&s, 0, sizeof(s));
	s.source = fx_addr(source);
	s.ca = ca;
	s.region = region;
	s.confidence = conf;
	snprintf(s.evidence, sizeof(s.evidence), "crafted");
	s.first_ns = FX_T0;
	s.last_ns = FX_T0 + 60 * FX_NS;
	cr_assert_eq(db_validator_source_add(x->db, x->run, &s), 0, "%s", db_errmsg(x->db));
}

/* Listed validators of ca, two per region (arin, ripe, apnic) at net.1,
 * net.2, net.11, net.12, net.21, net.22, each with q healthy queries in
 * the first bucket. */
static inline void fx_healthy_validators(struct fx *x, const char *ca, const char *net, uint64_t q)
{
	static const char *const regions[] = {"arin", "ripe", "apnic"};
	for (unsigned r = 0; r < 3; r++)
		for (unsigned k = 0; k < 2; k++) {
			char a[48];
			snprintf(a, sizeof(a), "%s.%u", net, r * 10 + k + 1);
			fx_validator(x, a, ca, regions[r], MPIC_CONF_LISTED);
			fx_healthy(x, a, 0, q);
		}
}

/* One stored transaction; rcode < 0 = unanswered. */
static inline struct txn_record fx_txn_rec(const char *client, uint64_t t_ms, int rcode, bool tc,
                                           enum dcv_transport tr, const char *qname, uint16_t qtype,
                                           enum dcv_shape shape)
{
	struct txn_record r;
	memset(&r, 0, sizeof(r));
	r.kind = rcode < 0 ? TXN_UNANSWERED : TXN_ANSWERED;
	r.query_ts_ns = FX_T0 + t_ms * 1000000ull;
	r.latency_us = rcode < 0 ? 0 : 1000;
	r.client = fx_addr(client);
	r.server = fx_addr(r.client.family == 4 ? "192.0.2.53" : "2001:db8::53");
	r.client_port = 40000;
	r.server_port = 53;
	r.transport = tr;
	r.id = 1;
	r.qtype = qtype;
	r.rcode = rcode;
	r.tc = tc;
	r.shape = (uint8_t)shape;
	r.answer_ttl = UINT32_MAX;
	snprintf(r.qname, sizeof(r.qname), "%s", qname);
	return r;
}

static inline void fx_txn(struct fx *x, const char *client, uint64_t t_ms, int rcode, bool tc,
                          enum dcv_transport tr, const char *qname, uint16_t qtype,
                          enum dcv_shape shape)
{
	struct txn_record r = fx_txn_rec(client, t_ms, rcode, tc, tr, qname, qtype, shape);
	cr_assert_eq(db_txn_add(x->db, x->run, &r), 0, "%s", db_errmsg(x->db));
}

/* One NOERROR answer of size bytes, sent in IP fragments or not. */
static inline void fx_sized(struct fx *x, const char *client, uint64_t t_ms, enum dcv_transport tr,
                            const char *qname, uint16_t qtype, uint32_t size, bool fragmented)
{
	struct txn_record r = fx_txn_rec(client, t_ms, 0, false, tr, qname, qtype, DCV_SHAPE_NONE);
	r.resp_size = size;
	r.fragmented = fragmented;
	cr_assert_eq(db_txn_add(x->db, x->run, &r), 0, "%s", db_errmsg(x->db));
}

/* One answered challenge TXT transaction whose smallest answer TTL is ttl. */
static inline void fx_txt_ttl(struct fx *x, const char *client, uint64_t t_ms, const char *qname,
                              uint32_t ttl)
{
	struct txn_record r;
	memset(&r, 0, sizeof(r));
	r.kind = TXN_ANSWERED;
	r.query_ts_ns = FX_T0 + t_ms * 1000000ull;
	r.client = fx_addr(client);
	r.server = fx_addr("192.0.2.53");
	r.server_port = 53;
	r.qtype = 16;
	r.shape = DCV_SHAPE_ACME_DNS01;
	r.answer_ttl = ttl;
	snprintf(r.qname, sizeof(r.qname), "%s", qname);
	cr_assert_eq(db_txn_add(x->db, x->run, &r), 0, "%s", db_errmsg(x->db));
}

/* One attempt of ca for name with n perspectives, nfail of them with outcome bad. */
static inline void fx_attempt(struct fx *x, uint64_t t_ms, const char *name, const char *ca,
                              unsigned n, unsigned nfail, enum mpic_outcome bad,
                              enum mpic_status status, uint8_t caa_labels)
{
	struct mpic_perspective p[8];
	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i < n && i < 8; i++) {
		char a[32];
		snprintf(a, sizeof(a), "203.0.113.%u", 100 + i);
		p[i].source = fx_addr(a);
		p[i].region = i % 2 ? "ripe" : "arin";
		p[i].confidence = MPIC_CONF_LISTED;
		p[i].outcome = i < nfail ? bad : MPIC_OUT_ANSWERED;
		p[i].queries = 3;
		p[i].failures = i < nfail ? 1 : 0;
	}
	struct mpic_attempt a = {.first_ns = FX_T0 + t_ms * 1000000ull,
	                         .last_ns = FX_T0 + (t_ms + 2000) * 1000000ull,
	                         .name = name,
	                         .ca = ca,
	                         .method = DCV_SHAPE_ACME_DNS01,
	                         .caa_climb = caa_labels > 1,
	                         .caa_labels = caa_labels,
	                         .nperspectives = n,
	                         .usable = n - nfail,
	                         .failed = nfail,
	                         .status = status,
	                         .perspectives = p,
	                         .nkept = n < 8 ? n : 8};
	cr_assert_eq(db_attempt_add(x->db, x->run, &a), 0, "%s", db_errmsg(x->db));
}

static inline int fx_collect(void *ctx, const struct finding *f)
{
	struct fx *x = ctx;
	cr_assert_lt(x->nfound, FX_FINDMAX);
	x->found[x->nfound++] = *f;
	return 0;
}

/* Runs the catalogue over the run; cfg NULL = defaults. */
static inline void fx_rules(struct fx *x, const struct rules_config *cfg)
{
	x->nfound = 0;
	struct rules_scope scope = {.run_id = x->run};
	cr_assert_geq(rules_run(x->db, &scope, cfg, fx_collect, x), 0, "%s", db_errmsg(x->db));
}

/* The finding of rule about subject (NULL subject: any), or NULL. */
static inline const struct finding *fx_find(const struct fx *x, const char *rule,
                                            const char *subject)
{
	for (unsigned i = 0; i < x->nfound; i++)
		if (strcmp(x->found[i].rule, rule) == 0 &&
		    (subject == NULL || strcmp(x->found[i].subject, subject) == 0))
			return &x->found[i];
	return NULL;
}

static inline unsigned fx_count(const struct fx *x, const char *rule)
{
	unsigned n = 0;
	for (unsigned i = 0; i < x->nfound; i++)
		n += strcmp(x->found[i].rule, rule) == 0;
	return n;
}

static inline double fx_metric(const struct finding *f, const char *key)
{
	for (unsigned i = 0; i < f->nmetrics; i++)
		if (strcmp(f->metrics[i].key, key) == 0)
			return f->metrics[i].value;
	cr_assert_fail("finding %s has no metric %s", f->rule, key);
	return -1;
}

static inline void fx_close(struct fx *x)
{
	cr_assert_eq(db_close(x->db), 0);
	x->db = NULL;
}

#endif
