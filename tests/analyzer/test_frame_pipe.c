/*
 * test_frame_pipe.c - frames that pass through the look-ahead pipe give the
 * analyzer the same results, row for row, as frames handed to it directly,
 * and decode_peek() sees what decode_frame() sees.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "frame_pipe.h"
#include "hash.h"
#include "pcap_file.h"
#include "test_support.h"

/* What the sink saw: counts and an order-sensitive digest of every row. */
struct seen {
	uint64_t buckets, txns, seconds, attempts;
	uint64_t digest;
};

static void mix(struct seen *s, const void *p, size_t n)
{
	s->digest = dcv_hash_bytes(p, n, s->digest * 31 + 7);
}

static int on_bucket(void *ctx, const struct source_bucket *row)
{
	struct seen *s = ctx;
	s->buckets++;
	mix(s, row, sizeof(*row)); /* rows start zeroed: no stray padding */
	return 0;
}

static int on_txn(void *ctx, const struct txn_record *r)
{
	struct seen *s = ctx;
	s->txns++;
	uint64_t f[] = {r->kind,        r->query_ts_ns, r->latency_us,
	                r->client_port, r->server_port, r->transport,
	                r->id,          r->qtype,       (uint64_t)r->rcode,
	                r->tc,          r->shape,       r->answer_ttl};
	mix(s, f, sizeof(f));
	mix(s, &r->client, sizeof(r->client));
	mix(s, &r->server, sizeof(r->server));
	mix(s, r->qname, strlen(r->qname));
	return 0;
}

static int on_second(void *ctx, const struct source_second *sec)
{
	struct seen *s = ctx;
	s->seconds++;
	uint64_t f[] = {sec->second_ns, sec->queries, sec->responses};
	mix(s, f, sizeof(f));
	mix(s, &sec->source, sizeof(sec->source));
	return 0;
}

static int on_attempt(void *ctx, const struct mpic_attempt *a)
{
	struct seen *s = ctx;
	s->attempts++;
	uint64_t f[] = {a->first_ns, a->last_ns, a->nperspectives, a->usable, a->failed, a->status};
	mix(s, f, sizeof(f));
	return 0;
}

struct outcome {
	struct seen seen;
	struct analyzer_totals totals;
	struct run_accounting acc;
};

/* Analyzes the file at path, through the pipe or frame by frame; extra
 * (may be NULL) is pushed after the third frame. */
static void analyze(const char *path, bool piped, const struct cap_frame *extra,
                    struct outcome *out)
{
	memset(out, 0, sizeof(*out));
	struct analyzer_config cfg = {.reproducible = true};
	struct analyzer_sink sink = {.ctx = &out->seen,
	                             .on_bucket = on_bucket,
	                             .on_txn = on_txn,
	                             .on_second = on_second,
	                             .on_attempt = on_attempt};
	struct analyzer *a = analyzer_new(&cfg, &sink);
	cr_assert_not_null(a);
	struct frame_pipe *p = piped ? frame_pipe_new(a) : NULL;
	cr_assert(!piped || p != NULL);
	char err[256];
	struct cap_file *f = cap_file_open(path, err, sizeof(err));
	cr_assert_not_null(f, "%s: %s", path, err);
	struct cap_frame fr;
	uint64_t n = 0;
	int rc;
	while ((rc = cap_file_next(f, &fr)) == CAP_NEXT_FRAME) {
		cr_assert_eq(piped ? frame_pipe_push(p, &fr) : analyzer_frame(a, &fr), 0);
		if (++n == 3 && extra != NULL)
			cr_assert_eq(piped ? frame_pipe_push(p, extra) : analyzer_frame(a, extra),
			             0);
	}
	cr_assert_eq(rc, CAP_NEXT_EOF, "%s", cap_file_error(f));
	cap_file_close(f);
	if (piped) {
		cr_assert_eq(frame_pipe_drain(p), 0);
		frame_pipe_free(p);
	}
	cr_assert_eq(analyzer_finish(a), 0);
	out->totals = *analyzer_get_totals(a);
	out->acc = *analyzer_accounting(a);
	analyzer_free(a);
}

static void expect_same(const char *path, const struct cap_frame *extra)
{
	struct outcome direct, piped;
	analyze(path, false, extra, &direct);
	analyze(path, true, extra, &piped);
	cr_assert_gt(direct.acc.frames, 0, "%s: no frames", path);
	cr_expect_eq(piped.acc.frames, direct.acc.frames, "%s: frames", path);
	cr_expect_eq(piped.totals.queries, direct.totals.queries, "%s: queries", path);
	cr_expect_eq(piped.totals.responses, direct.totals.responses, "%s: responses", path);
	cr_expect_eq(piped.seen.buckets, direct.seen.buckets, "%s: bucket rows", path);
	cr_expect_eq(piped.seen.txns, direct.seen.txns, "%s: transactions", path);
	cr_expect_eq(piped.seen.seconds, direct.seen.seconds, "%s: busy seconds", path);
	cr_expect_eq(piped.seen.attempts, direct.seen.attempts, "%s: attempts", path);
	cr_expect_eq(piped.seen.digest, direct.seen.digest, "%s: the rows differ", path);
	cr_expect(memcmp(&piped.totals, &direct.totals, sizeof(direct.totals)) == 0,
	          "%s: totals differ", path);
	cr_expect(memcmp(&piped.acc, &direct.acc, sizeof(direct.acc)) == 0,
	          "%s: accounting differs", path);
}

Test(frame_pipe, real_captures_give_the_same_rows_through_the_pipe)
{
	static const char *const files[] = {"bind-sll2.pcap",  "knot-sll.pcap",
	                                    "nsd-ether.pcap",  "tcp-pipelined.pcapng",
	                                    "vlan-dot1q.pcap", "vlan-qinq.pcapng"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", DCV_CAPTURES_DIR, files[i]);
		expect_same(path, NULL);
	}
}

/* Generated captures: fragments, TCP sessions, validators' attempts, and
 * more sources than fit the CPU cache (the pipe's reason to be). */
Test(frame_pipe, generated_captures_give_the_same_rows_through_the_pipe)
{
	static const char *const scenarios[] = {"demo", "edge", "mpic", "tcp-sessions"};
	const char *dir = test_tmpdir();
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		char cmd[1024], path[512];
		snprintf(path, sizeof(path), "%s/%s.pcap", dir, scenarios[i]);
		snprintf(cmd, sizeof(cmd), "%s %s -o %s --packets 60000 >/dev/null", DCV_GEN_BINARY,
		         scenarios[i], path);
		cr_assert_eq(system(cmd), 0, "%s", cmd);
		expect_same(path, NULL);
	}
}

/* A frame larger than a slot starts with (a jumbo frame, or a snap length
 * of 64 KiB) is copied whole. */
Test(frame_pipe, a_frame_larger_than_a_slot_is_copied_whole)
{
	static uint8_t big[9000];
	memset(big, 0xab, sizeof(big));
	big[12] = 0x88; /* EtherType 0x88cc (LLDP): not IP */
	big[13] = 0xcc;
	struct cap_frame extra = {
	    .ts_ns = 1, .data = big, .caplen = sizeof(big), .wirelen = sizeof(big), .linktype = 1};
	char path[512];
	snprintf(path, sizeof(path), "%s/nsd-ether.pcap", DCV_CAPTURES_DIR);
	struct outcome piped;
	analyze(path, true, &extra, &piped);
	expect_same(path, &extra);
	struct outcome plain;
	analyze(path, true, NULL, &plain);
	cr_expect_eq(piped.acc.frames, plain.acc.frames + 1);
	cr_expect_eq(piped.acc.not_ip, plain.acc.not_ip + 1);
	cr_expect_eq(piped.acc.bytes, plain.acc.bytes + sizeof(big));
}

/* decode_peek() agrees with decode_frame() on every frame that is not an IP
 * fragment, and says nothing about fragments. */
Test(frame_pipe, decode_peek_sees_what_decode_frame_sees)
{
	const char *dir = test_tmpdir();
	char cmd[1024], path[512];
	snprintf(path, sizeof(path), "%s/edge.pcap", dir);
	snprintf(cmd, sizeof(cmd), "%s edge -o %s >/dev/null", DCV_GEN_BINARY, path);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	struct decoder *d = decoder_new(NULL);
	char err[256];
	struct cap_file *f = cap_file_open(path, err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	struct cap_frame fr;
	unsigned same = 0, fragments = 0;
	while (cap_file_next(f, &fr) == CAP_NEXT_FRAME) {
		struct dcv_pkt a, b;
		int rp = decode_peek(&fr, &a);
		uint64_t held = decoder_get_stats(d)->fragments;
		int rf = decode_frame(d, &fr, &b);
		if (decoder_get_stats(d)->fragments != held) {
			fragments++;
			cr_expect_eq(rp, DECODE_OTHER_PROTO, "a fragment peeked as %d", rp);
			continue;
		}
		cr_expect_eq(rp, rf, "frame %llu: peek %d, decode %d",
		             (unsigned long long)cap_file_frames(f), rp, rf);
		if (rp != DECODE_PACKET || rf != DECODE_PACKET)
			continue;
		cr_expect(dcv_addr_equal(&a.src, &b.src) && dcv_addr_equal(&a.dst, &b.dst));
		cr_expect(a.sport == b.sport && a.dport == b.dport && a.proto == b.proto);
		cr_expect(a.payload == b.payload && a.payload_len == b.payload_len);
		cr_expect(a.snap_truncated == b.snap_truncated && a.ts_ns == b.ts_ns);
		same++;
	}
	cap_file_close(f);
	decoder_free(d);
	cr_expect_gt(same, 10);
	cr_expect_gt(fragments, 0, "the edge capture has fragments");
}
