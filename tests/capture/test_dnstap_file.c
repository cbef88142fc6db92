/* test_dnstap_file.c - dnstap Frame Streams files as a frame source: what is
 * delivered, what is counted, how damage and foreign files are reported, and
 * what the analyzer makes of the frames. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"
#include "dnstap_file.h"
#include "dnstap_test_util.h"
#include "pktbuild.h"
#include "test_support.h"

static char path[600];

static const char *tmp_path(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	return path;
}

static void put_msg(struct fstrm_writer *w, const struct tt_msg *m,
                    void (*edit)(Dnstap__Message *msg))
{
	uint8_t *p;
	size_t n = tt_pack(m, edit, &p);
	tt_writer_put(w, p, n);
	free(p);
}

static void drop_client(Dnstap__Message *m)
{
	m->has_query_address = false;
}

/*
 * The mixed log: three transactions (UDP NOERROR over IPv4, TCP NXDOMAIN
 * over IPv6, UDP REFUSED), an unanswered UDP query, and four payloads that
 * are not used: a RESOLVER_QUERY, a query without its client address, a
 * garbage payload and a STUB_RESPONSE.
 */
static const char *write_mixed(const char *name)
{
	const char *p = tmp_path(name);
	struct fstrm_writer *w = tt_writer_open(p, DNSTAP_CONTENT_TYPE);
	struct tt_msg q1 = {.type = DNSTAP_AUTH_QUERY, .family = 4, .id = 1, .client_port = 1001};
	struct tt_msg r1 = q1;
	r1.type = DNSTAP_AUTH_RESPONSE;
	r1.nsec = 300000;
	struct tt_msg q2 = {.type = DNSTAP_AUTH_QUERY,
	                    .family = 6,
	                    .protocol = DNSTAP_PROTO_TCP,
	                    .id = 2,
	                    .client_port = 1002,
	                    .qname = "nope.example.com",
	                    .nsec = 1000000};
	struct tt_msg r2 = q2;
	r2.type = DNSTAP_AUTH_RESPONSE;
	r2.rcode = 3;
	r2.nsec = 1500000;
	struct tt_msg q3 = {.type = DNSTAP_AUTH_QUERY,
	                    .family = 4,
	                    .id = 3,
	                    .client_port = 1003,
	                    .qname = "foo.org",
	                    .nsec = 2000000};
	struct tt_msg r3 = q3;
	r3.type = DNSTAP_AUTH_RESPONSE;
	r3.rcode = 5;
	r3.nsec = 2100000;
	struct tt_msg q4 = {
	    .type = DNSTAP_AUTH_QUERY, .family = 4, .id = 4, .client_port = 1004, .nsec = 3000000};
	struct tt_msg rq = {.type = DNSTAP_RESOLVER_QUERY, .family = 4, .id = 9};
	struct tt_msg sr = {.type = DNSTAP_STUB_RESPONSE, .family = 4, .id = 9};
	static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef};
	put_msg(w, &q1, NULL);
	put_msg(w, &rq, NULL);
	put_msg(w, &r1, NULL);
	put_msg(w, &q2, NULL);
	put_msg(w, &q1, drop_client);
	put_msg(w, &r2, NULL);
	tt_writer_put(w, garbage, sizeof(garbage));
	put_msg(w, &q3, NULL);
	put_msg(w, &r3, NULL);
	put_msg(w, &sr, NULL);
	put_msg(w, &q4, NULL);
	tt_writer_close(w);
	return p;
}

Test(dnstap_file, used_messages_become_frames_and_the_rest_is_counted)
{
	char err[CAP_ERR_MAX];
	struct cap_dnstap_file *f =
	    cap_dnstap_file_open(write_mixed("mixed.tap"), err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	struct cap_frame fr;
	unsigned frames = 0, stream = 0;
	uint64_t last_ts = 0;
	int rc;
	while ((rc = cap_dnstap_file_next(f, &fr)) == CAP_NEXT_FRAME) {
		frames++;
		stream += (fr.flags & CAP_FRAME_STREAM) != 0;
		cr_assert_geq(fr.ts_ns, last_ts);
		last_ts = fr.ts_ns;
	}
	cr_assert_eq(rc, CAP_NEXT_EOF, "%s", cap_dnstap_file_error(f));
	cr_assert_eq(frames, 7);
	cr_assert_eq(stream, 2);
	cr_assert_eq(cap_dnstap_file_frames(f), 7);
	const struct cap_dnstap_stats *st = cap_dnstap_file_stats(f);
	cr_assert_eq(st->payloads, 11);
	cr_assert_eq(st->frames, 7);
	cr_assert_eq(st->not_used, 2);
	cr_assert_eq(st->missing_total, 1);
	cr_assert_eq(st->missing[DNSTAP_FIELD_QUERY_ADDRESS], 1);
	cr_assert_eq(st->malformed, 1);
	cr_assert_eq(st->by_type[DNSTAP_AUTH_QUERY], 5);
	cr_assert_eq(st->by_type[DNSTAP_AUTH_RESPONSE], 3);
	cr_assert_eq(st->by_type[DNSTAP_RESOLVER_QUERY], 1);
	cr_assert_eq(st->by_type[DNSTAP_STUB_RESPONSE], 1);
	cr_assert_eq(st->by_protocol[DNSTAP_PROTO_UDP], 5);
	cr_assert_eq(st->by_protocol[DNSTAP_PROTO_TCP], 2);
	cap_dnstap_file_close(f);
}

/* The analyzer counts the frames as it counts packets; TCP messages are TCP
 * queries without any TCP session. */
Test(dnstap_file, analyzer_counts_dnstap_like_packets_without_tcp_sessions)
{
	char err[CAP_ERR_MAX];
	struct cap_dnstap_file *f = cap_dnstap_file_open(write_mixed("an.tap"), err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	struct analyzer *an = analyzer_new(NULL, NULL);
	cr_assert_not_null(an);
	struct cap_frame fr;
	while (cap_dnstap_file_next(f, &fr) == CAP_NEXT_FRAME)
		cr_assert_eq(analyzer_frame(an, &fr), 0);
	cr_assert_eq(analyzer_finish(an), 0);
	const struct analyzer_totals *t = analyzer_get_totals(an);
	const struct run_accounting *acc = analyzer_accounting(an);
	cr_assert_eq(acc->frames, 7);
	cr_assert_eq(acc->dns_frames, 7);
	cr_assert_eq(t->queries, 4);
	cr_assert_eq(t->responses, 3);
	cr_assert_eq(t->udp, 5);
	cr_assert_eq(t->tcp, 2);
	cr_assert_eq(t->ipv6, 2);
	cr_assert_eq(t->rcodes[0], 1);
	cr_assert_eq(t->rcodes[3], 1);
	cr_assert_eq(t->rcodes[5], 1);
	cr_assert_eq(t->answered, 3);
	cr_assert_eq(t->pending_at_end, 1, "the last query is too recent to call unanswered");
	cr_assert_eq(t->unmatched_responses, 0);
	cr_assert_eq(t->tcp_sessions, 0);
	cr_assert_eq(t->tcp_midstream, 0);
	cr_assert_eq(t->tcp_rejected + t->tcp_filtered, 0);
	cr_assert_eq(acc->tcp_streams, 0);
	analyzer_free(an);
	cap_dnstap_file_close(f);
}

/* A copy of the mixed log without its last drop bytes. */
static const char *write_cut(const char *name, size_t drop)
{
	const char *full = write_mixed("whole.tap");
	size_t len;
	char *bytes = test_read_file(full, &len);
	cr_assert_not_null(bytes);
	const char *cut = tmp_path(name);
	FILE *fp = fopen(cut, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(bytes, 1, len - drop, fp), len - drop);
	fclose(fp);
	free(bytes);
	return cut;
}

/* Reads f to its end; returns the frames delivered and the last result. */
static unsigned read_all(struct cap_dnstap_file *f, int *rc)
{
	struct cap_frame fr;
	unsigned frames = 0;
	while ((*rc = cap_dnstap_file_next(f, &fr)) == CAP_NEXT_FRAME)
		frames++;
	return frames;
}

/* The STOP control frame that ends a log: escape, length 4, type STOP. */
#define STOP_FRAME_LEN 12

Test(dnstap_file, cut_file_delivers_what_came_before_then_reports)
{
	/* 30 bytes: the STOP frame and the end of the last message (~60 bytes) */
	const char *cut = write_cut("cut.tap", 30);
	char err[CAP_ERR_MAX];
	struct cap_dnstap_file *f = cap_dnstap_file_open(cut, err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	int rc;
	cr_assert_eq(read_all(f, &rc), 6);
	cr_assert_eq(rc, CAP_NEXT_ERROR);
	const char *e = cap_dnstap_file_error(f);
	cr_assert_not_null(strstr(e, "cut.tap: read stopped after 10 dnstap messages"), "%s", e);
	cr_assert_not_null(strstr(e, "ends inside a frame"), "%s", e);
	cap_dnstap_file_close(f);
}

Test(dnstap_file, log_without_stop_frame_is_reported_incomplete)
{
	const char *cut = write_cut("nostop.tap", STOP_FRAME_LEN);
	char err[CAP_ERR_MAX];
	struct cap_dnstap_file *f = cap_dnstap_file_open(cut, err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	int rc;
	cr_assert_eq(read_all(f, &rc), 7, "every message is delivered");
	cr_assert_eq(rc, CAP_NEXT_ERROR);
	const char *e = cap_dnstap_file_error(f);
	cr_assert_not_null(strstr(e, "after 11 dnstap messages"), "%s", e);
	cr_assert_not_null(strstr(e, "without the STOP frame"), "%s", e);
	cap_dnstap_file_close(f);
}

Test(dnstap_file, whole_log_ends_at_its_stop_frame)
{
	char err[CAP_ERR_MAX];
	struct cap_dnstap_file *f = cap_dnstap_file_open(write_mixed("ok.tap"), err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	int rc;
	cr_assert_eq(read_all(f, &rc), 7);
	cr_assert_eq(rc, CAP_NEXT_EOF, "%s", cap_dnstap_file_error(f));
	cap_dnstap_file_close(f);
}

Test(dnstap_file, empty_log_ends_cleanly)
{
	const char *p = tmp_path("empty.tap");
	tt_writer_close(tt_writer_open(p, DNSTAP_CONTENT_TYPE));
	char err[CAP_ERR_MAX];
	struct cap_dnstap_file *f = cap_dnstap_file_open(p, err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	struct cap_frame fr;
	cr_assert_eq(cap_dnstap_file_next(f, &fr), CAP_NEXT_EOF);
	cr_assert_eq(cap_dnstap_file_stats(f)->payloads, 0);
	cap_dnstap_file_close(f);
}

static void assert_open_fails(const char *p, const char *expect)
{
	char err[CAP_ERR_MAX] = "";
	struct cap_dnstap_file *f = cap_dnstap_file_open(p, err, sizeof(err));
	cr_assert_null(f, "%s opened", p);
	cr_assert_not_null(strstr(err, expect), "error for %s: \"%s\", expected \"%s\"", p, err,
	                   expect);
}

Test(dnstap_file, foreign_files_are_refused_with_the_reason)
{
	assert_open_fails(tmp_path("missing.tap"), "missing.tap: No such file or directory");

	const char *other = tmp_path("other.fstrm");
	tt_writer_close(tt_writer_open(other, "protobuf:other.Thing"));
	assert_open_fails(
	    other, "content type is \"protobuf:other.Thing\", not \"protobuf:dnstap.Dnstap\"");

	const char *pcap = tmp_path("capture.pcap");
	struct pcapw *w = pcapw_open(pcap, 1, 0);
	cr_assert_not_null(w);
	cr_assert_eq(pcapw_close(w), 0);
	assert_open_fails(pcap, "looks like a pcap/pcapng capture");

	const char *text = tmp_path("text.tap");
	FILE *fp = fopen(text, "w");
	fputs("this is not a dnstap log at all\n", fp);
	fclose(fp);
	assert_open_fails(text, "text.tap: not a Frame Streams (dnstap) file");
}

/* A log whose workers' queues interleave: frames come out in time order,
 * and the disorder is counted. */
Test(dnstap_file, messages_logged_out_of_order_come_out_in_time_order)
{
	const char *p = tmp_path("disorder.tap");
	struct fstrm_writer *w = tt_writer_open(p, DNSTAP_CONTENT_TYPE);
	static const uint32_t ms[] = {100, 400, 200, 500, 300, 900, 600};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct tt_msg m = {.type = DNSTAP_AUTH_QUERY,
		                   .family = 4,
		                   .id = (uint16_t)i,
		                   .nsec = ms[i] * 1000000};
		put_msg(w, &m, NULL);
	}
	tt_writer_close(w);
	char err[CAP_ERR_MAX];
	struct cap_dnstap_file *f = cap_dnstap_file_open(p, err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	static const uint32_t sorted[] = {100, 200, 300, 400, 500, 600, 900};
	struct cap_frame fr;
	for (size_t i = 0; i < sizeof(sorted) / sizeof(sorted[0]); i++) {
		cr_assert_eq(cap_dnstap_file_next(f, &fr), CAP_NEXT_FRAME);
		cr_assert_eq(fr.ts_ns, TT_TS_SEC * 1000000000ULL + sorted[i] * 1000000ULL,
		             "frame %zu", i);
	}
	cr_assert_eq(cap_dnstap_file_next(f, &fr), CAP_NEXT_EOF);
	cr_assert_eq(cap_dnstap_file_stats(f)->out_of_order, 3);
	cap_dnstap_file_close(f);
}
