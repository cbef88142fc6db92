/*
 * report_bench_db.c - builds the database the report benchmark reads: a week
 * (by default) of stored statistics for 10 000 sources, written through the
 * db/ writer directly (no capture): per-source buckets, the validator
 * sources of five CAs in six regions, their notable transactions and MPIC
 * attempts, with two faults in it (one source capped at 25 concurrent TCP
 * sessions for a day, one region's validators losing a share of their
 * queries) so that the report has findings and charts to draw.
 *
 * usage: dcv-report-bench-db --db FILE [--sources N] [--days D] [--bucket-s S]
 *                            [--active PERCENT] [--seed N]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "mpic.h"
#include "validator_store.h"

#define NS_PER_S 1000000000ull
/* 2024-01-01T00:00:00Z: where the week starts. */
#define BENCH_T0_S 1704067200ull

/* Defaults, each overridable by the option of the same name. */
#define BENCH_SOURCES_DEFAULT  10000
#define BENCH_DAYS_DEFAULT     7
#define BENCH_BUCKET_S_DEFAULT 300
#define BENCH_ACTIVE_DEFAULT   10 /* percent of buckets in which a source sends */

/* One source in VALIDATOR_EVERY is a validator. */
#define VALIDATOR_EVERY 10
/* Names the validators ask for (and fail on). */
#define BENCH_NAMES 500

static const char *const CAS[] = {"letsencrypt", "digicert", "sectigo", "globalsign", "google"};
static const char *const REGIONS[] = {"arin",   "ripe",    "apnic",
                                      "lacnic", "afrinic", "aws:us-east-1"};
#define NCAS     (sizeof(CAS) / sizeof(CAS[0]))
#define NREGIONS (sizeof(REGIONS) / sizeof(REGIONS[0]))
/* The faults: the source capped, and the region whose validators lose
 * FAULT_DROP_PCT percent of their queries. */
#define FAULT_CAPPED_SOURCE 7
#define FAULT_REGION        1
#define FAULT_DROP_PCT      20

struct bench_opts {
	const char *db;
	unsigned sources, days, bucket_s, active_pct;
	uint64_t seed;
};

/* xorshift64*: deterministic and fast; the benchmark needs no better. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void source_text(unsigned i, char *buf, size_t len)
{
	/* validators in 198.18.0.0/15, everybody else in 10.0.0.0/8 */
	if (i % VALIDATOR_EVERY == 0)
		snprintf(buf, len, "198.18.%u.%u", (i / 250) % 256, i % 250 + 1);
	else
		snprintf(buf, len, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: dcv-report-bench-db --db FILE [--sources N] [--days D] "
	             "[--bucket-s S] [--active PERCENT] [--seed N]\n");
	return rc;
}

static int parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},     {"sources", required_argument, NULL, 'n'},
	    {"days", required_argument, NULL, 'D'},   {"bucket-s", required_argument, NULL, 'b'},
	    {"active", required_argument, NULL, 'a'}, {"seed", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	*o = (struct bench_opts){NULL,
	                         BENCH_SOURCES_DEFAULT,
	                         BENCH_DAYS_DEFAULT,
	                         BENCH_BUCKET_S_DEFAULT,
	                         BENCH_ACTIVE_DEFAULT,
	                         1};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
		switch (c) {
		case 'd':
			o->db = optarg;
			break;
		case 'n':
			o->sources = (unsigned)v;
			break;
		case 'D':
			o->days = (unsigned)v;
			break;
		case 'b':
			o->bucket_s = (unsigned)v;
			break;
		case 'a':
			o->active_pct = (unsigned)v;
			break;
		case 's':
			o->seed = v ? v : 1;
			break;
		case 'h':
			exit(usage(stdout, 0));
		default:
			return -1;
		}
	}
	if (o->db == NULL || o->sources == 0 || o->days == 0 || o->bucket_s == 0 ||
	    o->active_pct == 0 || o->active_pct > 100)
		return -1;
	return 0;
}

/* One bucket of source i: validators send a few queries, others more. */
static void fill_bucket(struct source_bucket *b, unsigned i, uint64_t *rng, int capped)
{
	int validator = i % VALIDATOR_EVERY == 0;
	uint64_t q = validator ? 1 + rnd(rng) % 20 : 1 + rnd(rng) % 200;
	uint64_t lost = 0;
	if (validator && (i / VALIDATOR_EVERY) % NREGIONS == FAULT_REGION)
		lost = q * FAULT_DROP_PCT / 100;
	b->queries = q;
	b->queries_udp = q;
	b->responses = q - lost;
	b->unanswered = lost;
	b->rcode[RCODE_SLOT_NXDOMAIN] = (q - lost) / 10;
	b->rcode[RCODE_SLOT_NOERROR] = q - lost - b->rcode[RCODE_SLOT_NXDOMAIN];
	b->peak_qps = (uint32_t)(q / 10 + 1);
	b->latency_count = q - lost;
	b->latency_sum_us = (q - lost) * 900;
	b->latency_max_us = 4000;
	if (capped) {
		b->queries_tcp = 100;
		b->queries += 100;
		b->responses += 100;
		b->rcode[RCODE_SLOT_NOERROR] += 100;
		b->max_concurrent_tcp = 25;
		b->tcp_sessions = 100;
		b->tcp_rejected = 20;
	}
}

/* The notable transactions of a bucket: its unanswered queries. */
static int add_txns(struct db *db, int64_t run, const struct source_bucket *b, uint64_t *rng)
{
	for (uint64_t k = 0; k < b->unanswered; k++) {
		struct txn_record r;
		memset(&r, 0, sizeof(r));
		r.kind = TXN_UNANSWERED;
		r.query_ts_ns = b->bucket_start_ns + rnd(rng) % (b->bucket_len_s * NS_PER_S);
		r.client = b->source;
		dcv_addr_parse("192.0.2.53", &r.server);
		r.client_port = 40000;
		r.server_port = 53;
		r.transport = DCV_TRANSPORT_UDP;
		r.qtype = 257; /* CAA */
		r.rcode = -1;
		r.answer_ttl = UINT32_MAX;
		snprintf(r.qname, sizeof(r.qname), "n%llu.example.com",
		         (unsigned long long)(rnd(rng) % BENCH_NAMES));
		if (db_txn_add(db, run, &r) != 0)
			return -1;
	}
	return 0;
}

static int add_validators(struct db *db, int64_t run, const struct bench_opts *o, uint64_t end_ns)
{
	for (unsigned i = 0; i < o->sources; i += VALIDATOR_EVERY) {
		char text[64];
		source_text(i, text, sizeof(text));
		struct mpic_source s;
		memset(&s, 0, sizeof(s));
		dcv_addr_parse(text, &s.source);
		s.ca = CAS[(i / VALIDATOR_EVERY) % NCAS];
		s.region = REGIONS[(i / VALIDATOR_EVERY) % NREGIONS];
		s.confidence = MPIC_CONF_LISTED;
		snprintf(s.evidence, sizeof(s.evidence), "benchmark");
		s.first_ns = BENCH_T0_S * NS_PER_S;
		s.last_ns = end_ns;
		if (db_validator_source_add(db, run, &s) != 0)
			return -1;
	}
	return 0;
}

/* A few attempts per bucket, one CA each; the faulty region's perspective
 * fails in some. */
static int add_attempts(struct db *db, int64_t run, uint64_t t_ns, unsigned bucket_s, uint64_t *rng)
{
	for (unsigned k = 0; k < 5; k++) {
		char name[64];
		snprintf(name, sizeof(name), "n%llu.example.com",
		         (unsigned long long)(rnd(rng) % BENCH_NAMES));
		struct mpic_attempt a;
		memset(&a, 0, sizeof(a));
		a.first_ns = t_ns + rnd(rng) % (bucket_s * NS_PER_S / 2);
		a.last_ns = a.first_ns + 2 * NS_PER_S;
		a.name = name;
		a.ca = CAS[k % NCAS];
		a.method = DCV_SHAPE_CAA;
		a.nperspectives = 5;
		a.failed = rnd(rng) % 5 == 0 ? 1 : 0;
		a.usable = a.nperspectives - a.failed;
		a.status = a.failed ? MPIC_AT_RISK : MPIC_CORROBORATED;
		if (db_attempt_add(db, run, &a) != 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	if (parse(argc, argv, &o) != 0)
		return usage(stderr, 2);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct db *db = NULL;
	char err[512];
	if (db_open(&db, o.db, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcv-report-bench-db: %s\n", err);
		return 4;
	}
	int rc = 1;
	uint64_t rng = o.seed * 0x9E3779B97F4A7C15ull;
	uint64_t buckets = (uint64_t)o.days * 86400 / o.bucket_s;
	uint64_t end_ns = (BENCH_T0_S + buckets * o.bucket_s) * NS_PER_S;
	struct db_run_info info = {.kind = "live",
	                           .inputs = "benchmark",
	                           .fingerprint = "report-bench",
	                           .started_ns = BENCH_T0_S * NS_PER_S,
	                           .bucket_len_s = o.bucket_s,
	                           .timeout_ms = 5000};
	int64_t run = db_run_begin(db, &info);
	if (run <= 0 || add_validators(db, run, &o, end_ns) != 0)
		goto cleanup;
	uint64_t rows = 0, txns = 0;
	uint64_t capped_from = buckets / 2, capped_to = capped_from + 86400 / o.bucket_s;
	for (uint64_t k = 0; k < buckets; k++) {
		uint64_t t_ns = (BENCH_T0_S + k * o.bucket_s) * NS_PER_S;
		for (unsigned i = 0; i < o.sources; i++) {
			int capped = i == FAULT_CAPPED_SOURCE && k >= capped_from && k < capped_to;
			if (!capped && rnd(&rng) % 100 >= o.active_pct)
				continue;
			struct source_bucket b;
			memset(&b, 0, sizeof(b));
			char text[64];
			source_text(i, text, sizeof(text));
			dcv_addr_parse(text, &b.source);
			b.bucket_start_ns = t_ns;
			b.bucket_len_s = o.bucket_s;
			fill_bucket(&b, i, &rng, capped);
			if (db_source_bucket_add(db, run, &b) != 0 ||
			    add_txns(db, run, &b, &rng) != 0)
				goto cleanup;
			rows++;
			txns += b.unanswered;
		}
		if (add_attempts(db, run, t_ns, o.bucket_s, &rng) != 0)
			goto cleanup;
	}
	struct run_accounting acc;
	memset(&acc, 0, sizeof(acc));
	struct db_run_summary sum = {.finished_ns = end_ns,
	                             .first_packet_ns = BENCH_T0_S * NS_PER_S,
	                             .last_packet_ns = end_ns - 1,
	                             .acc = &acc,
	                             .complete = 1};
	if (db_run_finish(db, run, &sum) < 0)
		goto cleanup;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("built %s: %u sources, %u days, %u s buckets: %llu bucket rows, %llu transactions, "
	       "%llu attempts in %.1f s\n",
	       o.db, o.sources, o.days, o.bucket_s, (unsigned long long)rows,
	       (unsigned long long)txns, (unsigned long long)(buckets * 5),
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = 0;
cleanup:
	if (rc != 0)
		fprintf(stderr, "dcv-report-bench-db: %s\n", db_errmsg(db));
	if (db_close(db) != 0)
		rc = 4;
	return rc;
}
