/*
 * test_analyze_cli.c - `dcvscope analyze` end to end: real pcap files written
 * through libpcap, the real binary, a real SQLite file.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pktbuild.h"
#include "test_support.h"

#define MS  1000000ULL
#define SEC 1000000000ULL

static struct dcv_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t x[4] = {a, b, c, d};
	return dcv_addr_v4(x);
}

/* Write one UDP DNS message frame. */
static void udp_msg(struct pcapw *w, uint64_t ts, struct dcv_addr src, uint16_t sport,
                    struct dcv_addr dst, uint16_t dport, const struct dnsb *m)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct pb_packet p = {.linktype = PB_LINK_ETHERNET,
	                      .src = src,
	                      .dst = dst,
	                      .proto = 17,
	                      .sport = sport,
	                      .dport = dport,
	                      .payload = m->buf,
	                      .payload_len = m->len};
	size_t n = pb_build(&p, frame, sizeof(frame));
	cr_assert_gt(n, 0);
	pcapw_write(w, ts, frame, n);
}

/* Writes a packet that is not DNS (port 123) at ts, so that the capture's
 * end time moves on and the open queries come of age. */
static void not_dns(struct pcapw *w, uint64_t ts, struct dcv_addr src, struct dcv_addr dst)
{
	struct dnsb q;
	dnsb_init(&q, 1, 0);
	dnsb_question(&q, "ntp.example", 1, 1);
	udp_msg(w, ts, src, 123, dst, 123, &q);
}

/*
 * A small known capture: client A asks 3 questions (NOERROR, REFUSED, and one
 * never answered); client B asks one (SERVFAIL). Ends 10 s after the last
 * query so the drop is decided.
 */
static void write_small_capture(const char *path)
{
	struct pcapw *w = pcapw_open(path, PB_LINK_ETHERNET, 65535);
	cr_assert_not_null(w);
	struct dcv_addr srv = v4(192, 0, 2, 53), a = v4(198, 51, 100, 1), b = v4(203, 0, 113, 9);
	struct dnsb q, r;
	const char *names[3] = {"example.com", "Other.Example", "_acme-challenge.example.com"};
	const int rcodes[3] = {0, 5, -1};
	for (int i = 0; i < 3; i++) {
		dnsb_init(&q, (uint16_t)(100 + i), DNSB_RD);
		dnsb_question(&q, names[i], 16, 1);
		udp_msg(w, (uint64_t)(i + 1) * SEC, a, 40000, srv, 53, &q);
		if (rcodes[i] >= 0) {
			dnsb_init(&r, (uint16_t)(100 + i),
			          (uint16_t)(DNSB_QR | DNSB_AA | rcodes[i]));
			dnsb_question(&r, names[i], 16, 1);
			udp_msg(w, (uint64_t)(i + 1) * SEC + 2 * MS, srv, 53, a, 40000, &r);
		}
	}
	dnsb_init(&q, 7, 0);
	dnsb_question(&q, "example.com", 257, 1);
	udp_msg(w, 5 * SEC, b, 5353, srv, 53, &q);
	dnsb_init(&r, 7, DNSB_QR | 2);
	dnsb_question(&r, "example.com", 257, 1);
	udp_msg(w, 5 * SEC + 1 * MS, srv, 53, b, 5353, &r);
	not_dns(w, 15 * SEC, a, srv);
	cr_assert_eq(pcapw_close(w), 0);
}

static json_t *run_json(const char *args, int expect_rc)
{
	char cmd[2048], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s analyze --format json %s", DCV_BINARY, args);
	int rc = test_run(cmd, &out);
	cr_assert_eq(rc, expect_rc, "'%s' exited %d, expected %d", cmd, rc, expect_rc);
	json_error_t err;
	json_t *j = json_loads(out, 0, &err);
	cr_assert_not_null(j, "not JSON (%s): %s", err.text, out);
	free(out);
	return j;
}

static json_int_t jint(json_t *root, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = root;
	for (char *tok = strtok(buf, "."); tok != NULL; tok = strtok(NULL, ".")) {
		cur = json_object_get(cur, tok);
		cr_assert_not_null(cur, "JSON has no %s", path);
	}
	cr_assert(json_is_integer(cur), "%s is not an integer", path);
	return json_integer_value(cur);
}

Test(analyze_cli, known_capture_gives_exact_counts)
{
	const char *dir = test_tmpdir();
	char pcap[512], args[1200];
	snprintf(pcap, sizeof(pcap), "%s/small.pcap", dir);
	write_small_capture(pcap);
	snprintf(args, sizeof(args), "--db %s/t.db %s", dir, pcap);
	json_t *j = run_json(args, 0);
	cr_assert_eq(jint(j, "packets"), 8);
	cr_assert_eq(jint(j, "dns.queries"), 4);
	cr_assert_eq(jint(j, "dns.responses"), 3);
	cr_assert_eq(jint(j, "dns.udp"), 7);
	cr_assert_eq(jint(j, "dns.tcp"), 0);
	cr_assert_eq(jint(j, "dns.ipv6"), 0);
	cr_assert_eq(jint(j, "dns.malformed"), 0);
	cr_assert_eq(jint(j, "rcodes.NOERROR"), 1);
	cr_assert_eq(jint(j, "rcodes.REFUSED"), 1);
	cr_assert_eq(jint(j, "rcodes.SERVFAIL"), 1);
	cr_assert_eq(jint(j, "transactions.answered"), 3);
	cr_assert_eq(jint(j, "transactions.unanswered"), 1);
	cr_assert_eq(jint(j, "coverage.other_port"), 1);
	json_t *sources = json_object_get(j, "sources");
	cr_assert_eq(json_array_size(sources), 2);
	json_t *first = json_array_get(sources, 0);
	cr_assert_str_eq(json_string_value(json_object_get(first, "address")), "198.51.100.1");
	cr_assert_eq(jint(first, "queries"), 3);
	cr_assert_eq(jint(first, "unanswered"), 1);
	cr_assert_eq(jint(first, "refused"), 1);
	json_decref(j);

	char db[600];
	snprintf(db, sizeof(db), "%s/t.db", dir);
	/* notable transactions: REFUSED, SERVFAIL, and the drop */
	cr_assert_eq(test_sql_number(db, "SELECT count(*) FROM transactions"), 3);
	cr_assert_eq(test_sql_number(db, "SELECT count(*) FROM transactions WHERE rcode IS NULL"),
	             1);
}

/* Writes a validator range file at path: one listed range of CA "testca". */
static void write_validators(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f,
	        "#@ format ca-validators 1\n#@ updated 2026-12-01\n"
	        "#@ src test https://example.org/dcvscope/tests\n"
	        "# ca\tprefix\trole\tregion\tsource\tasof\tconf\n"
	        "testca\t%s\tprimary\tarin\t@test\t2026-12\tofficial\n",
	        prefix);
	cr_assert_eq(fclose(f), 0);
}

/* The first finding of rule in analyze's JSON j; fails when there is none. */
static json_t *finding_of(json_t *j, const char *rule)
{
	json_t *f;
	size_t i;
	json_array_foreach(json_object_get(j, "findings"), i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "rule")), rule) == 0)
			return f;
	}
	cr_assert_fail("no %s finding", rule);
	return NULL;
}

/* A capture filtered on 'port 53' lacks the second fragments of BIND's
 * fragmented 2140-byte answers: each first fragment still counts as the
 * answer it starts (its size from the UDP header), not as a drop. */
Test(analyze_cli, answers_whose_later_fragments_are_missing_are_answers)
{
	const char *dir = test_tmpdir();
	char args[1200];
	snprintf(args, sizeof(args), "--db %s/t.db --timeout-ms 1000 %s", dir,
	         DCV_CAPTURES_DIR "/incomplete/bind-fragments-port53.pcap");
	json_t *j = run_json(args, 0);
	cr_assert_eq(jint(j, "dns.queries"), 85);
	cr_assert_eq(jint(j, "dns.responses"), 85);
	cr_assert_eq(jint(j, "dns.responses_partial"), 12);
	cr_assert_eq(jint(j, "transactions.unanswered"), 0);
	cr_assert_eq(json_object_size(
	                 json_object_get(json_object_get(j, "coverage"), "malformed_by_reason")),
	             0, "no fragment chain given up");
	json_decref(j);
	char db[600];
	snprintf(db, sizeof(db), "%s/t.db", dir);
	cr_assert_eq(test_sql_number(db, "SELECT count(*) FROM transactions WHERE fragmented = 1"
	                                 " AND resp_size = 2140 AND transport = 'udp'"),
	             12);
}

/* Large UDP answers that are not validation-shaped (a 3 KB TXT, sent in
 * fragments) are stored for a listed validator only: for everyone else
 * they would be a row per DNSKEY answer to every resolver. */
Test(analyze_cli, large_udp_answers_are_stored_for_listed_validators_only)
{
	const char *dir = test_tmpdir();
	char tsv[600], db[600], args[1600];
	snprintf(tsv, sizeof(tsv), "%s/v.tsv", dir);
	write_validators(tsv, "192.0.2.100/32");
	const char *sql = "SELECT count(*) FROM transactions WHERE fragmented = 1"
	                  " AND resp_size > 1232 AND transport = 'udp'";
	for (int listed = 0; listed < 2; listed++) {
		snprintf(db, sizeof(db), "%s/t%d.db", dir, listed);
		snprintf(args, sizeof(args), "--db %s --no-default-validators %s%s %s", db,
		         listed ? "--validators " : "", listed ? tsv : "",
		         DCV_CAPTURES_DIR "/vlan-dot1q.pcap");
		json_decref(run_json(args, 0));
		cr_assert_eq(test_sql_number(db, sql), listed, "listed %d", listed);
	}
}

/* A server whose NODATA answers to CAA leave out the SOA (a custom or
 * API-driven server): NEGATIVE_WITHOUT_SOA from the packets up. Its
 * NXDOMAIN with the SOA is fine. */
Test(analyze_cli, negative_answers_without_soa_are_found_from_the_packets)
{
	const char *dir = test_tmpdir();
	char pcap[512], args[1200];
	snprintf(pcap, sizeof(pcap), "%s/nosoa.pcap", dir);
	struct pcapw *w = pcapw_open(pcap, PB_LINK_ETHERNET, 65535);
	cr_assert_not_null(w);
	struct dcv_addr srv = v4(192, 0, 2, 53), cl = v4(198, 51, 100, 7);
	static const uint8_t soa[] = {1,  'n', 's', 0, 1,  'h', 0, 0, 0,  0, 1, 0, 0, 0,
	                              60, 0,   0,   0, 60, 0,   0, 0, 60, 0, 0, 0, 60};
	const char *names[] = {"a.example.test", "b.example.test", "c.example.test",
	                       "gone.example.test"};
	struct dnsb q, r;
	for (uint16_t i = 0; i < 4; i++) {
		uint16_t type = i < 3 ? 257 : 1;
		dnsb_init(&q, (uint16_t)(10 + i), 0);
		dnsb_question(&q, names[i], type, 1);
		udp_msg(w, (uint64_t)(i + 1) * SEC, cl, 40000, srv, 53, &q);
		dnsb_init(&r, (uint16_t)(10 + i), (uint16_t)(DNSB_QR | DNSB_AA | (i < 3 ? 0 : 3)));
		dnsb_question(&r, names[i], type, 1);
		if (i == 3)
			dnsb_rr(&r, DNSB_AUTHORITY, "example.test", 6, 1, 60, soa, sizeof(soa));
		udp_msg(w, (uint64_t)(i + 1) * SEC + MS, srv, 53, cl, 40000, &r);
	}
	cr_assert_eq(pcapw_close(w), 0);
	snprintf(args, sizeof(args), "--db %s/t.db %s", dir, pcap);
	json_t *j = run_json(args, 0);
	json_t *found = finding_of(j, "NEGATIVE_WITHOUT_SOA");
	cr_assert_str_eq(json_string_value(json_object_get(found, "subject")), "192.0.2.53");
	cr_assert_eq(
	    json_number_value(json_object_get(json_object_get(found, "metrics"), "answers")), 3);
	json_decref(j);
}

/* A listed validator whose challenge lookups are answered 1.5 s late (a
 * slow backend): SLOW_ANSWERS from the packets up. */
Test(analyze_cli, answers_later_than_ca_resolvers_wait_are_slow_answers)
{
	const char *dir = test_tmpdir();
	char pcap[512], tsv[512], args[1600];
	snprintf(pcap, sizeof(pcap), "%s/slow.pcap", dir);
	snprintf(tsv, sizeof(tsv), "%s/v.tsv", dir);
	write_validators(tsv, "198.51.100.0/24");
	struct pcapw *w = pcapw_open(pcap, PB_LINK_ETHERNET, 65535);
	cr_assert_not_null(w);
	struct dcv_addr srv = v4(192, 0, 2, 53), cl = v4(198, 51, 100, 7);
	struct dnsb q, r;
	for (uint16_t i = 0; i < 4; i++) {
		const char *name = "_acme-challenge.shop.example.test";
		dnsb_init(&q, (uint16_t)(20 + i), 0);
		dnsb_question(&q, name, 16, 1);
		udp_msg(w, (uint64_t)(i + 1) * 3 * SEC, cl, (uint16_t)(41000 + i), srv, 53, &q);
		dnsb_init(&r, (uint16_t)(20 + i), DNSB_QR | DNSB_AA);
		dnsb_question(&r, name, 16, 1);
		udp_msg(w, (uint64_t)(i + 1) * 3 * SEC + 1500 * MS, srv, 53, cl,
		        (uint16_t)(41000 + i), &r);
	}
	cr_assert_eq(pcapw_close(w), 0);
	snprintf(args, sizeof(args), "--db %s/t.db --no-default-validators --validators %s %s", dir,
	         tsv, pcap);
	json_t *j = run_json(args, 0);
	cr_assert_eq(jint(j, "transactions.answered"), 4);
	json_t *found = finding_of(j, "SLOW_ANSWERS");
	cr_assert_str_eq(json_string_value(json_object_get(found, "subject")), "testca");
	json_t *m = json_object_get(found, "metrics");
	cr_assert_eq(json_number_value(json_object_get(m, "slow")), 4);
	cr_assert_eq(json_number_value(json_object_get(m, "max_latency_ms")), 1500);
	json_decref(j);
}

Test(analyze_cli, same_capture_twice_is_counted_once)
{
	const char *dir = test_tmpdir();
	char pcap[512], args[1200], db[600];
	snprintf(pcap, sizeof(pcap), "%s/small.pcap", dir);
	snprintf(db, sizeof(db), "%s/t.db", dir);
	write_small_capture(pcap);
	snprintf(args, sizeof(args), "--db %s %s", db, pcap);
	json_decref(run_json(args, 0));
	long long rows = test_sql_number(db, "SELECT count(*) FROM source_stats");
	json_t *j = run_json(args, 0);
	cr_assert_eq(jint(j, "run.replaced_runs"), 1);
	json_decref(j);
	cr_assert_eq(test_sql_number(db, "SELECT count(*) FROM runs"), 1);
	cr_assert_eq(test_sql_number(db, "SELECT count(*) FROM source_stats"), rows);
	cr_assert_eq(test_sql_number(db, "SELECT count(*) FROM transactions"), 3);
}

Test(analyze_cli, stdin_input_counts_like_the_file)
{
	const char *dir = test_tmpdir();
	char pcap[512], cmd[1400], *out = NULL;
	snprintf(pcap, sizeof(pcap), "%s/small.pcap", dir);
	write_small_capture(pcap);
	snprintf(cmd, sizeof(cmd), "%s analyze --format json --db %s/t.db - < %s", DCV_BINARY, dir,
	         pcap);
	cr_assert_eq(test_run(cmd, &out), 0);
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j);
	cr_assert_eq(jint(j, "dns.queries"), 4);
	cr_assert_eq(jint(j, "transactions.unanswered"), 1);
	json_decref(j);
	free(out);
}

Test(analyze_cli, truncated_file_reports_how_far_and_keeps_what_was_read)
{
	const char *dir = test_tmpdir();
	char pcap[512], cut[600], cmd[1600], *out = NULL;
	snprintf(pcap, sizeof(pcap), "%s/small.pcap", dir);
	snprintf(cut, sizeof(cut), "%s/cut.pcap", dir);
	write_small_capture(pcap);
	size_t len;
	char *bytes = test_read_file(pcap, &len);
	cr_assert_not_null(bytes);
	FILE *f = fopen(cut, "wb");
	fwrite(bytes, 1, len - 20, f); /* cut inside the last frame */
	fclose(f);
	free(bytes);
	snprintf(cmd, sizeof(cmd), "%s analyze --format json --db %s/t.db %s 2>%s/err.txt",
	         DCV_BINARY, dir, cut, dir);
	cr_assert_eq(test_run(cmd, &out), 3);
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j);
	cr_assert_eq(jint(j, "packets"), 7, "frames before the damage still count");
	cr_assert_eq(jint(j, "dns.queries"), 4);
	json_decref(j);
	free(out);
	char errpath[600];
	snprintf(errpath, sizeof(errpath), "%s/err.txt", dir);
	char *err = test_read_file(errpath, NULL);
	cr_assert_not_null(strstr(err, "cut.pcap"), "error names the file: %s", err);
	cr_assert_not_null(strstr(err, "after 7 frames"), "error says how far: %s", err);
	free(err);
}

Test(analyze_cli, unsupported_link_type_is_named_and_nothing_is_stored)
{
	const char *dir = test_tmpdir();
	char pcap[512], cmd[1400], *out = NULL;
	snprintf(pcap, sizeof(pcap), "%s/usb.pcap", dir);
	struct pcapw *w = pcapw_open(pcap, 147 /* USER0 */, 65535);
	uint8_t junk[20] = {0};
	pcapw_write(w, SEC, junk, sizeof(junk));
	pcapw_close(w);
	snprintf(cmd, sizeof(cmd), "%s analyze --db %s/t.db %s 2>&1", DCV_BINARY, dir, pcap);
	cr_assert_eq(test_run(cmd, &out), 3);
	cr_assert_not_null(strstr(out, "link type 147"), "%s", out);
	cr_assert_not_null(strstr(out, "usb.pcap"), "%s", out);
	free(out);
}

Test(analyze_cli, usage_errors_exit_2_and_help_exits_0)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s analyze 2>/dev/null", DCV_BINARY);
	cr_assert_eq(test_run(cmd, NULL), 2);
	snprintf(cmd, sizeof(cmd), "%s analyze --port 0 x.pcap 2>/dev/null", DCV_BINARY);
	cr_assert_eq(test_run(cmd, NULL), 2);
	snprintf(cmd, sizeof(cmd), "%s analyze --format xml x.pcap 2>/dev/null", DCV_BINARY);
	cr_assert_eq(test_run(cmd, NULL), 2);
	snprintf(cmd, sizeof(cmd), "%s frobnicate 2>/dev/null", DCV_BINARY);
	cr_assert_eq(test_run(cmd, NULL), 2);
	char *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s analyze --help", DCV_BINARY);
	cr_assert_eq(test_run(cmd, &out), 0);
	cr_assert_not_null(strstr(out, "--timeout-ms"));
	free(out);
}

Test(analyze_cli, a_bad_rules_configuration_exits_2_before_any_work)
{
	const char *dir = test_tmpdir();
	char cmd[1000], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s demo -o %s/demo.pcap >/dev/null", DCV_GEN_BINARY, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --db %s/t.db --rules-config %s/none.ini %s/demo.pcap 2>&1", DCV_BINARY,
	         dir, dir, dir);
	cr_assert_eq(test_run(cmd, &out), 2, "%s", out);
	cr_assert_not_null(strstr(out, "none.ini"), "%s", out);
	char db[600];
	snprintf(db, sizeof(db), "%s/t.db", dir);
	cr_assert_eq(access(db, F_OK), -1, "the database was created: %s", db);
	free(out);
}

Test(analyze_cli, missing_file_exits_3_naming_it)
{
	const char *dir = test_tmpdir();
	char cmd[800], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s analyze --db %s/t.db %s/nope.pcap 2>&1", DCV_BINARY, dir,
	         dir);
	cr_assert_eq(test_run(cmd, &out), 3);
	cr_assert_not_null(strstr(out, "nope.pcap"), "%s", out);
	free(out);
}

Test(analyze_cli, text_summary_shows_coverage_rcodes_and_sources)
{
	const char *dir = test_tmpdir();
	char pcap[512], cmd[1400], *out = NULL;
	snprintf(pcap, sizeof(pcap), "%s/small.pcap", dir);
	write_small_capture(pcap);
	snprintf(cmd, sizeof(cmd), "%s analyze --db %s/t.db %s", DCV_BINARY, dir, pcap);
	cr_assert_eq(test_run(cmd, &out), 0);
	cr_assert_not_null(strstr(out, "Coverage"));
	cr_assert_not_null(strstr(out, "REFUSED"));
	cr_assert_not_null(strstr(out, "198.51.100.1"));
	cr_assert_not_null(strstr(out, "unanswered"));
	free(out);
}

/* 40 ordinary queries 100 ms apart that no answer follows, then (not DNS) 20 s of
 * silence: all of them are unanswered. */
static void write_dropped_capture(const char *path)
{
	struct pcapw *w = pcapw_open(path, PB_LINK_ETHERNET, 65535);
	cr_assert_not_null(w);
	struct dcv_addr srv = v4(192, 0, 2, 53), c = v4(198, 51, 100, 7);
	struct dnsb q;
	for (int i = 0; i < 40; i++) {
		dnsb_init(&q, (uint16_t)i, 0);
		dnsb_question(&q, "www.example.com", 1, 1); /* A: nothing to keep */
		udp_msg(w, SEC + (uint64_t)i * 100 * MS, c, (uint16_t)(41000 + i), srv, 53, &q);
	}
	not_dns(w, 25 * SEC, c, srv);
	cr_assert_eq(pcapw_close(w), 0);
}

/* The count on the text summary's line that starts with label (after its
 * two-space indent), and the line in *line; fails the test without it. */
static unsigned long long summary_count(const char *out, const char *label, const char **line)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "  %s ", label);
	*line = strstr(out, prefix);
	cr_assert_not_null(*line, "no \"%s\" line: %s", label, out);
	unsigned long long n = 0;
	cr_assert_eq(sscanf(*line + strlen(prefix), "%llu", &n), 1, "%s", *line);
	return n;
}

Test(analyze_cli, queries_dropped_from_a_full_table_are_named_beside_the_unanswered)
{
	const char *dir = test_tmpdir();
	char pcap[512], cmd[1400], *out = NULL;
	snprintf(pcap, sizeof(pcap), "%s/dropped.pcap", dir);
	write_dropped_capture(pcap);
	/* a table of 16 open queries: the 24 oldest are dropped before their
	 * timeout, unjudged, and the summary says that unanswered is short */
	snprintf(cmd, sizeof(cmd), "%s analyze --db %s/t.db --max-pending 16 %s", DCV_BINARY, dir,
	         pcap);
	cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
	const char *line = NULL;
	cr_assert_eq(summary_count(out, "not followed", &line), 24);
	cr_assert_not_null(strstr(line, "unanswered is a lower bound"), "%s", line);
	cr_assert_null(strstr(out, "validation kept"), "nothing to keep: %s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "--db %s/t.db --max-pending 16 %s", dir, pcap);
	json_t *j = run_json(cmd, 0);
	cr_assert_eq(jint(j, "transactions.evicted"), 24);
	cr_assert_eq(jint(j, "transactions.unanswered"), 16);
	json_decref(j);
	/* a table large enough follows every one of them, and says nothing */
	snprintf(cmd, sizeof(cmd), "%s analyze --db %s/t.db %s", DCV_BINARY, dir, pcap);
	cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
	cr_assert_null(strstr(out, "not followed"), "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "--db %s/t.db %s", dir, pcap);
	j = run_json(cmd, 0);
	cr_assert_eq(jint(j, "transactions.evicted"), 0);
	cr_assert_eq(jint(j, "transactions.unanswered"), 40);
	json_decref(j);
}

/* A CA's three validation queries (CAA, dns-01 TXT) from one address and
 * an ordinary one from an address of a listed validator range (203.0.113.1,
 * validators-test.tsv), then 40 ordinary queries of a flood from others,
 * 100 ms apart; nothing is answered, and 20 s of silence (not DNS) follow. */
static void write_validation_in_flood_capture(const char *path)
{
	struct pcapw *w = pcapw_open(path, PB_LINK_ETHERNET, 65535);
	cr_assert_not_null(w);
	struct dcv_addr srv = v4(192, 0, 2, 53), ca = v4(203, 0, 113, 77);
	struct dnsb q;
	const char *names[3] = {"www.example.com", "example.com", "_acme-challenge.example.com"};
	const uint16_t types[3] = {257, 257, 16};
	for (int i = 0; i < 3; i++) {
		dnsb_init(&q, (uint16_t)(500 + i), 0);
		dnsb_question(&q, names[i], types[i], 1);
		udp_msg(w, SEC + (uint64_t)i * MS, ca, (uint16_t)(33000 + i), srv, 53, &q);
	}
	dnsb_init(&q, 600, 0);
	dnsb_question(&q, "www.example.com", 1, 1);
	udp_msg(w, SEC + 3 * MS, v4(203, 0, 113, 1), 33010, srv, 53, &q);
	for (int i = 0; i < 40; i++) {
		struct dcv_addr c = v4(198, 18, (uint8_t)(i / 200), (uint8_t)(1 + i % 200));
		dnsb_init(&q, (uint16_t)i, 0);
		dnsb_question(&q, "flood.example.com", 1, 1);
		udp_msg(w, 2 * SEC + (uint64_t)i * 100 * MS, c, 41000, srv, 53, &q);
	}
	not_dns(w, 30 * SEC, ca, srv);
	cr_assert_eq(pcapw_close(w), 0);
}

/* Unanswered rows of the run in db from client, or of every client. */
static long long unanswered_rows(const char *db, const char *client)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM transactions WHERE kind = 'unanswered' AND"
	         " (client = '%s' OR '%s' = '')",
	         client, client);
	return test_sql_number(db, sql);
}

Test(analyze_cli, a_flood_that_fills_the_table_does_not_push_validation_queries_out)
{
	const char *dir = test_tmpdir();
	char pcap[512], db[600], args[1400];
	snprintf(pcap, sizeof(pcap), "%s/flood.pcap", dir);
	snprintf(db, sizeof(db), "%s/t.db", dir);
	write_validation_in_flood_capture(pcap);
	/* 44 queries through 16 slots: 28 go unjudged, all of them the flood's;
	 * the CA's three and the listed range's one are kept until their
	 * timeout calls them unanswered */
	snprintf(args, sizeof(args),
	         "--db %s --max-pending 16 --no-default-validators --validators "
	         "%s/validators-test.tsv %s",
	         db, DCV_CAPTURES_DIR, pcap);
	json_t *j = run_json(args, 0);
	cr_assert_eq(jint(j, "transactions.evicted"), 28);
	cr_assert_eq(jint(j, "transactions.kept"), 4);
	cr_assert_eq(jint(j, "transactions.unanswered"), 16);
	json_decref(j);
	cr_assert_eq(unanswered_rows(db, "203.0.113.77"), 3);
	cr_assert_eq(unanswered_rows(db, "203.0.113.1"), 1);
	cr_assert_eq(test_sql_number(db, "SELECT count(*) FROM transactions WHERE kind ="
	                                 " 'unanswered' AND qname = '_acme-challenge.example.com'"
	                                 " AND qtype = 16"),
	             1);
	/* without the range table the listed address's ordinary query is one
	 * of the flood: the oldest of it, it goes first */
	snprintf(args, sizeof(args), "--db %s --max-pending 16 --no-default-validators %s", db,
	         pcap);
	j = run_json(args, 0);
	cr_assert_eq(jint(j, "transactions.evicted"), 28);
	cr_assert_eq(jint(j, "transactions.kept"), 3);
	json_decref(j);
	cr_assert_eq(unanswered_rows(db, "203.0.113.77"), 3);
	cr_assert_eq(unanswered_rows(db, "203.0.113.1"), 0);
	cr_assert_eq(unanswered_rows(db, ""), 16);
	/* and the summary says how many it kept */
	char cmd[1600], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s analyze %s", DCV_BINARY, args);
	cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
	const char *line = NULL;
	cr_assert_eq(summary_count(out, "validation kept", &line), 3);
	free(out);
}

/* One query and its answer on port 5353, split over two files. */
static void write_split_capture(const char *first, const char *second, uint16_t port)
{
	struct dcv_addr srv = v4(192, 0, 2, 53), c = v4(198, 51, 100, 5);
	struct dnsb q, r;
	dnsb_init(&q, 42, 0);
	dnsb_question(&q, "caa.example", 257, 1);
	dnsb_init(&r, 42, DNSB_QR | DNSB_AA);
	dnsb_question(&r, "caa.example", 257, 1);
	struct pcapw *w = pcapw_open(first, PB_LINK_ETHERNET, 65535);
	cr_assert_not_null(w);
	udp_msg(w, 1 * SEC, c, 40000, srv, port, &q);
	cr_assert_eq(pcapw_close(w), 0);
	w = pcapw_open(second, PB_LINK_ETHERNET, 65535);
	cr_assert_not_null(w);
	udp_msg(w, 1 * SEC + 3 * MS, srv, port, c, 40000, &r);
	udp_msg(w, 20 * SEC, srv, port, c, 40001, &r); /* moves time on */
	cr_assert_eq(pcapw_close(w), 0);
}

Test(analyze_cli, files_of_one_run_continue_each_other)
{
	const char *dir = test_tmpdir();
	char a[512], b[512], args[1400];
	snprintf(a, sizeof(a), "%s/a.pcap", dir);
	snprintf(b, sizeof(b), "%s/b.pcap", dir);
	write_split_capture(a, b, 53);
	snprintf(args, sizeof(args), "--db %s/t.db %s %s", dir, a, b);
	json_t *j = run_json(args, 0);
	cr_assert_eq(jint(j, "transactions.answered"), 1, "the answer in the second file matches");
	cr_assert_eq(jint(j, "transactions.unanswered"), 0);
	cr_assert_eq(jint(j, "transactions.unmatched_responses"), 1);
	cr_assert_eq(json_array_size(json_object_get(json_object_get(j, "run"), "inputs")), 2);
	json_decref(j);
}

Test(analyze_cli, other_ports_are_dns_only_when_asked)
{
	const char *dir = test_tmpdir();
	char a[512], b[512], args[1400];
	snprintf(a, sizeof(a), "%s/a.pcap", dir);
	snprintf(b, sizeof(b), "%s/b.pcap", dir);
	write_split_capture(a, b, 5353);
	snprintf(args, sizeof(args), "--db %s/t.db %s %s", dir, a, b);
	json_t *j = run_json(args, 0);
	cr_assert_eq(jint(j, "dns.queries"), 0);
	cr_assert_eq(jint(j, "coverage.other_port"), 3);
	json_decref(j);
	snprintf(args, sizeof(args), "--db %s/t.db --port 5353 %s %s", dir, a, b);
	j = run_json(args, 0);
	cr_assert_eq(jint(j, "dns.queries"), 1);
	cr_assert_eq(jint(j, "dns.responses"), 2);
	cr_assert_eq(jint(j, "transactions.answered"), 1);
	json_decref(j);
}

/* Every row sql selects from db_path, as text ('|' between columns, a line
 * per row); owned by the caller. */
static char *sql_rows(const char *db_path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	cr_assert_not_null(out);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const unsigned char *v = sqlite3_column_text(st, c);
			fprintf(out, "%s%s", c ? "|" : "", v ? (const char *)v : "NULL");
		}
		fputc('\n', out);
	}
	fclose(out);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return text;
}

/* Writes dir/b.pcap: 100,000 packets of the bench mix (dcvscope-gen), with
 * validators of every confidence, attempts and findings. */
static void gen_bench_capture(const char *dir)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "%s bench --packets 100000 -o %s/b.pcap >/dev/null",
	         DCV_GEN_BINARY, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
}

/* The validator recognition keeps bounded tables (an address cache, a query
 * sketch) whose collisions depend on its hash seed; analyze seeds it from
 * the capture, so two analyses of one capture agree row for row on the
 * attempts, the validator sources (evidence included) and the findings. A
 * random seed made them differ on most runs of this capture. */
Test(analyze_cli, the_same_capture_gives_the_same_validators_attempts_and_findings, .timeout = 300)
{
	const char *dir = test_tmpdir();
	gen_bench_capture(dir);
	char cmd[1600];
	static const char *const tables[] = {
	    "SELECT first_ns, name, ca, method, status, perspectives, usable, failed FROM attempts"
	    " ORDER BY first_ns, name, id",
	    "SELECT a.first_ns, a.name, p.source, p.outcome, p.queries, p.failures FROM"
	    " attempt_perspectives p JOIN attempts a ON a.id = p.attempt_id"
	    " ORDER BY a.first_ns, a.name, a.id, p.source",
	    "SELECT source, ca, region, confidence, evidence, queries, validation_queries, "
	    "failures,"
	    " attempts FROM validator_sources ORDER BY source",
	    "SELECT rule, severity, subject, evidence FROM findings ORDER BY rule, subject"};
	char *first[4] = {NULL};
	for (int run = 0; run < 2; run++) {
		char db[600];
		snprintf(db, sizeof(db), "%s/run%d.db", dir, run);
		snprintf(cmd, sizeof(cmd), "%s analyze --db %s --no-progress %s/b.pcap >/dev/null",
		         DCV_BINARY, db, dir);
		cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
		for (int t = 0; t < 4; t++) {
			char *rows = sql_rows(db, tables[t]);
			if (run == 0) {
				/* not a vacuous comparison: attempts, perspectives and
				 * validator sources exist */
				if (t < 3)
					cr_assert_gt(strlen(rows), 0, "no rows: %s", tables[t]);
				first[t] = rows;
				continue;
			}
			cr_expect_str_eq(rows, first[t], "%s differs between two analyses",
			                 tables[t]);
			free(rows);
			free(first[t]);
		}
	}
}

/* The first CPU this process may run on, or -1 when it may run on one only. */
static int first_of_several_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) < 2)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

/* With a second CPU, analyze hands work to threads: the writer, the fold of
 * the source totals, the early rules, the low-confidence validators on a
 * connection of their own. Pinned to one CPU it does all of it in line. The
 * two ways store the same rows and print the same summary. */
Test(analyze_cli, one_cpu_and_several_store_the_same_rows_and_summary, .timeout = 300)
{
	int cpu = first_of_several_cpus();
	if (cpu < 0)
		cr_skip_test("one CPU only: the threaded way cannot be compared");
	const char *dir = test_tmpdir();
	gen_bench_capture(dir);
	char cmd[1600];
	static const char *const tables[] = {
	    "SELECT source, ca, region, confidence, evidence, queries, validation_queries, "
	    "failures, attempts FROM validator_sources ORDER BY source",
	    "SELECT source, bucket_start_ns, queries, responses, unanswered, peak_qps, "
	    "max_concurrent_tcp, tcp_sessions FROM source_stats ORDER BY bucket_start_ns, source",
	    "SELECT query_ts_ns, client, client_port, msg_id, qname, rcode FROM transactions"
	    " ORDER BY query_ts_ns, client, client_port, msg_id",
	    "SELECT rule, severity, subject, evidence FROM findings ORDER BY rule, subject"};
	enum { NT = sizeof(tables) / sizeof(tables[0]) };
	char *rows[2][NT];
	json_t *summary[2];
	for (int way = 0; way < 2; way++) {
		char db[600], out[600], pin[32] = "";
		snprintf(db, sizeof(db), "%s/way%d.db", dir, way);
		snprintf(out, sizeof(out), "%s/way%d.json", dir, way);
		if (way == 1)
			snprintf(pin, sizeof(pin), "taskset -c %d ", cpu);
		snprintf(cmd, sizeof(cmd),
		         "%s%s analyze --db %s --format json --no-progress %s/b.pcap > %s", pin,
		         DCV_BINARY, db, dir, out);
		cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
		json_error_t jerr;
		summary[way] = json_load_file(out, 0, &jerr);
		cr_assert_not_null(summary[way], "%s: %s", out, jerr.text);
		json_t *run = json_object_get(summary[way], "run");
		cr_assert_eq(json_object_del(run, "elapsed_s"), 0, "run.elapsed_s");
		cr_assert_eq(json_object_del(run, "database"), 0, "run.database");
		for (int t = 0; t < NT; t++)
			rows[way][t] = sql_rows(db, tables[t]);
		/* not vacuous: both the rows the summary reads and the rest */
		char *low = sql_rows(db, "SELECT count(*) FROM validator_sources"
		                         " WHERE confidence = 'low'");
		char *other = sql_rows(db, "SELECT count(*) FROM validator_sources"
		                           " WHERE confidence <> 'low'");
		cr_assert_gt(atoi(low), 0, "no low-confidence validators");
		cr_assert_gt(atoi(other), 0, "no validators above low confidence");
		free(low);
		free(other);
	}
	for (int t = 0; t < NT; t++) {
		cr_assert_gt(strlen(rows[0][t]), 0, "no rows: %s", tables[t]);
		cr_expect_str_eq(rows[1][t], rows[0][t], "%s differs on one CPU", tables[t]);
		free(rows[0][t]);
		free(rows[1][t]);
	}
	cr_expect(json_equal(summary[0], summary[1]), "the summaries differ on one CPU");
	json_decref(summary[0]);
	json_decref(summary[1]);
}

/* Writes the keys of object o, texts as they are and numbers as integers,
 * separated by '|' (what names o in a failure). */
static void json_fields(FILE *out, const json_t *o, const char *const *keys, size_t n,
                        const char *what)
{
	for (size_t k = 0; k < n; k++) {
		json_t *v = json_object_get(o, keys[k]);
		cr_assert_not_null(v, "%s has no %s", what, keys[k]);
		if (json_is_string(v))
			fprintf(out, "%s%s", k ? "|" : "", json_string_value(v));
		else
			fprintf(out, "%s%lld", k ? "|" : "", (long long)json_integer_value(v));
	}
}

/* One line per source of a JSON source list, in the column order of
 * SOURCE_TOTALS_SQL. */
static char *json_source_lines(json_t *list)
{
	static const char *const keys[] = {
	    "address",      "queries",      "queries_udp",  "queries_tcp", "responses",
	    "unanswered",   "retransmits",  "truncated",    "peak_qps",    "max_concurrent_tcp",
	    "tcp_sessions", "tcp_rejected", "tcp_filtered", "failures"};
	static const char *const rcodes[] = {"noerror", "formerr", "servfail", "nxdomain",
	                                     "notimp",  "refused", "other"};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	cr_assert_not_null(out);
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s)
	{
		json_fields(out, s, keys, sizeof(keys) / sizeof(keys[0]), "a source");
		json_t *rc = json_object_get(s, "rcodes");
		for (size_t k = 0; k < sizeof(rcodes) / sizeof(rcodes[0]); k++)
			fprintf(out, "|%lld",
			        (long long)json_integer_value(json_object_get(rc, rcodes[k])));
		fputc('\n', out);
	}
	fclose(out);
	return text;
}

/* The per-source totals as SQL sums them, in the order of
 * json_source_lines(); %s: HAVING and ORDER BY. */
#define SOURCE_TOTALS_SQL                                                                          \
	"SELECT source, sum(queries), sum(queries_udp), sum(queries_tcp), sum(responses),"         \
	" sum(unanswered), sum(retransmits), sum(truncated), max(peak_qps),"                       \
	" max(max_concurrent_tcp), sum(tcp_sessions), sum(tcp_rejected), sum(tcp_filtered),"       \
	" sum(unanswered + servfail + refused + tcp_rejected + tcp_filtered) AS failures,"         \
	" sum(noerror), sum(formerr), sum(servfail), sum(nxdomain), sum(notimp), sum(refused),"    \
	" sum(other_rcode) FROM source_stats GROUP BY source %s"

/* Answers with FORMERR, NOTIMP and YXDOMAIN (other) to one client, a
 * retransmitted query from another. */
static void write_rcode_capture(const char *path)
{
	struct pcapw *w = pcapw_open(path, PB_LINK_ETHERNET, 65535);
	cr_assert_not_null(w);
	struct dcv_addr srv = v4(192, 0, 2, 53), a = v4(198, 51, 100, 7), b = v4(198, 51, 100, 8);
	struct dnsb q, r;
	const int rcodes[] = {1, 4, 6, 1};
	for (int i = 0; i < 4; i++) {
		dnsb_init(&q, (uint16_t)(200 + i), 0);
		dnsb_question(&q, "example.com", 1, 1);
		udp_msg(w, (uint64_t)(i + 1) * SEC, a, 41000, srv, 53, &q);
		dnsb_init(&r, (uint16_t)(200 + i), (uint16_t)(DNSB_QR | rcodes[i]));
		dnsb_question(&r, "example.com", 1, 1);
		udp_msg(w, (uint64_t)(i + 1) * SEC + MS, srv, 53, a, 41000, &r);
	}
	dnsb_init(&q, 9, 0);
	dnsb_question(&q, "example.net", 28, 1);
	udp_msg(w, 6 * SEC, b, 42000, srv, 53, &q);
	udp_msg(w, 7 * SEC, b, 42000, srv, 53, &q); /* the same query again */
	dnsb_init(&r, 9, DNSB_QR);
	dnsb_question(&r, "example.net", 28, 1);
	udp_msg(w, 7 * SEC + MS, srv, 53, b, 42000, &r);
	cr_assert_eq(pcapw_close(w), 0);
}

/* The summary's source lists (every source by queries, the failing ones by
 * failures, the source count) are what SQL sums from the stored buckets,
 * in the same order, whole and cut to --top. */
Test(analyze_cli, source_lists_equal_the_sums_of_the_stored_buckets)
{
	const char *dir = test_tmpdir();
	static const char *const scenarios[] = {"rcodes", "demo", "edge", "tcp-sessions"};
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		char cmd[1600], db[600], args[1400], sql[1024];
		snprintf(cmd, sizeof(cmd), "%s %s -o %s/%s.pcap >/dev/null", DCV_GEN_BINARY,
		         scenarios[i], dir, scenarios[i]);
		if (i == 0) {
			snprintf(cmd, sizeof(cmd), "%s/rcodes.pcap", dir);
			write_rcode_capture(cmd);
		} else {
			cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
		}
		for (int top = 0; top <= 3; top += 3) {
			snprintf(db, sizeof(db), "%s/%s-%d.db", dir, scenarios[i], top);
			snprintf(args, sizeof(args), "--db %s --top %d --no-rules %s/%s.pcap", db,
			         top, dir, scenarios[i]);
			json_t *j = run_json(args, 0);
			char limit[32] = "";
			if (top > 0)
				snprintf(limit, sizeof(limit), " LIMIT %d", top);
			char order[128];
			snprintf(order, sizeof(order), "ORDER BY sum(queries) DESC, source%s",
			         limit);
			snprintf(sql, sizeof(sql), SOURCE_TOTALS_SQL, order);
			char *want = sql_rows(db, sql),
			     *got = json_source_lines(json_object_get(j, "sources"));
			cr_assert_gt(strlen(want), 0, "%s: no sources", scenarios[i]);
			cr_expect_str_eq(got, want, "%s --top %d: sources", scenarios[i], top);
			free(want);
			free(got);
			snprintf(order, sizeof(order),
			         "HAVING failures > 0 ORDER BY failures DESC, source%s", limit);
			snprintf(sql, sizeof(sql), SOURCE_TOTALS_SQL, order);
			want = sql_rows(db, sql);
			got = json_source_lines(json_object_get(j, "failing_sources"));
			cr_expect_str_eq(got, want, "%s --top %d: failing sources", scenarios[i],
			                 top);
			if (strcmp(scenarios[i], "demo") == 0)
				cr_expect_gt(strlen(want), 0, "the demo has failing sources");
			if (i == 0 && top == 0) {
				/* not a vacuous comparison: the rcodes and the retransmission */
				cr_expect_eq(jint(json_array_get(json_object_get(j, "sources"), 0),
				                  "rcodes.formerr"),
				             2);
				cr_expect_eq(jint(json_array_get(json_object_get(j, "sources"), 0),
				                  "rcodes.other"),
				             1);
				cr_expect_eq(jint(json_array_get(json_object_get(j, "sources"), 1),
				                  "retransmits"),
				             1);
			}
			free(want);
			free(got);
			cr_expect_eq(
			    jint(j, "source_count"),
			    test_sql_number(db, "SELECT count(DISTINCT source) FROM source_stats"));
			json_decref(j);
		}
	}
}

/* The per-CA/region validator numbers of the summary equal what SQL adds
 * up from the stored validator rows and buckets (analyze adds them up as
 * it walks the sources). */
Test(analyze_cli, validator_stats_equal_the_sums_of_the_stored_rows, .timeout = 300)
{
	const char *dir = test_tmpdir();
	char cmd[1600], db[600], args[1400];
	snprintf(cmd, sizeof(cmd), "%s mpic -o %s/mpic.pcap >/dev/null", DCV_GEN_BINARY, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(db, sizeof(db), "%s/mpic.db", dir);
	snprintf(args, sizeof(args),
	         "--db %s --no-rules --no-default-validators --validators %s/validators-test.tsv"
	         " %s/mpic.pcap",
	         db, DCV_CAPTURES_DIR, dir);
	json_t *j = run_json(args, 0);
	char *want = sql_rows(
	    db, "SELECT v.ca, v.region, count(DISTINCT v.source), sum(s.queries),"
	        " sum(s.responses), sum(s.unanswered), sum(s.servfail), sum(s.refused),"
	        " sum(s.formerr + s.notimp + s.other_rcode), sum(s.tcp_sessions),"
	        " sum(s.tcp_rejected), sum(s.tcp_filtered), sum(s.tcp_stalled), max(s.peak_qps),"
	        " max(s.max_concurrent_tcp)"
	        " FROM validator_sources v JOIN source_stats s"
	        " ON s.run_id = v.run_id AND s.source = v.source WHERE v.confidence <> 'low'"
	        " GROUP BY v.ca, v.region ORDER BY sum(s.queries) DESC, v.ca, v.region");
	static const char *const keys[] = {
	    "ca",           "region",       "sources",     "queries",     "responses",
	    "unanswered",   "servfail",     "refused",     "other_rcode", "tcp_sessions",
	    "tcp_rejected", "tcp_filtered", "tcp_stalled", "peak_qps",    "max_concurrent_tcp"};
	char *got = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&got, &len);
	cr_assert_not_null(out);
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(j, "validator_stats"), i, g)
	{
		json_fields(out, g, keys, sizeof(keys) / sizeof(keys[0]), "a CA/region row");
		fputc('\n', out);
	}
	fclose(out);
	cr_assert_gt(i, 4, "the mpic capture has validators of four CAs, several regions:\n%s",
	             want);
	cr_expect_str_eq(got, want);
	free(got);
	free(want);
	json_decref(j);
}

/* The findings as lines: rule, severity, subject, evidence, metrics. */
static char *finding_lines(const json_t *findings)
{
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	cr_assert_not_null(out);
	out[0] = '\0';
	size_t i;
	const json_t *f;
	json_array_foreach(findings, i, f)
	{
		char *metrics = json_dumps(json_object_get(f, "metrics"), JSON_SORT_KEYS);
		char line[4096];
		int n = snprintf(line, sizeof(line), "%s|%s|%s|%s|%s\n",
		                 json_string_value(json_object_get(f, "rule")),
		                 json_string_value(json_object_get(f, "severity")),
		                 json_string_value(json_object_get(f, "subject")),
		                 json_string_value(json_object_get(f, "evidence")),
		                 metrics != NULL ? metrics : "");
		free(metrics);
		cr_assert_lt((size_t)n, sizeof(line));
		while (len + (size_t)n + 1 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			cr_assert_not_null(out);
		}
		memcpy(out + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	return out;
}

/* The finding lines of `dcvscope COMMAND --db DB --format json` (rules or
 * report: both list their findings under "findings"). */
static char *command_finding_lines(const char *command, const char *db)
{
	char cmd[1400], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s %s --db %s --format json", DCV_BINARY, command, db);
	cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
	json_error_t err;
	json_t *r = json_loads(out, 0, &err);
	cr_assert_not_null(r, "not JSON (%s): %s", err.text, out);
	char *lines = finding_lines(json_object_get(r, "findings"));
	json_decref(r);
	free(out);
	return lines;
}

/* analyze's rules walk the per-source totals it holds in memory; `dcvscope
 * rules` reads the stored rows: the same findings, per-source rules
 * (SESSION_CAP, RATE_LIMITED) included. */
Test(analyze_cli, rules_in_analyze_find_what_the_rules_command_finds, .timeout = 300)
{
	const char *dir = test_tmpdir();
	/* the last two fire rules that analyze runs early, beside its last writes */
	static const char *const scenarios[][2] = {{"fault-session-cap", "SESSION_CAP"},
	                                           {"fault-rate-limit", "RATE_LIMITED"},
	                                           {"fault-caa-burst", "CAA_BURST"},
	                                           {"fault-acme-ttl", "ACME_TXT_TTL_HIGH"}};
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		char cmd[1600], db[600], args[1400];
		snprintf(cmd, sizeof(cmd), "%s %s -o %s/%s.pcap >/dev/null", DCV_GEN_BINARY,
		         scenarios[i][0], dir, scenarios[i][0]);
		cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
		snprintf(db, sizeof(db), "%s/%s.db", dir, scenarios[i][0]);
		snprintf(args, sizeof(args), "--db %s %s/%s.pcap", db, dir, scenarios[i][0]);
		json_t *a = run_json(args, 0);
		char *got = finding_lines(json_object_get(a, "findings")),
		     *want = command_finding_lines("rules", db);
		cr_assert(strstr(want, scenarios[i][1]) != NULL, "%s: no %s finding:\n%s",
		          scenarios[i][0], scenarios[i][1], want);
		cr_expect_str_eq(got, want, "%s: analyze and rules disagree", scenarios[i][0]);
		free(got);
		free(want);
		json_decref(a);
	}
}

/* A fault among more sources than memory holds (a quarter of a million
 * random resolvers merged into the SESSION_CAP capture, the rules then
 * reading the sources through the runner's temporary file): analyze finds
 * exactly what it finds in the fault's capture alone, and the rules and
 * report commands what analyze found. */
Test(analyze_cli, a_fault_among_more_sources_than_memory_holds_is_found_as_alone, .timeout = 600)
{
	const char *dir = test_tmpdir();
	char cmd[2000], args[1400];
	snprintf(cmd, sizeof(cmd),
	         "%s fault-session-cap -o %s/fault.pcap >/dev/null && "
	         "%s many-sources --packets 520000 -o %s/many.pcap >/dev/null && "
	         "mergecap -w %s/both.pcap %s/fault.pcap %s/many.pcap",
	         DCV_GEN_BINARY, dir, DCV_GEN_BINARY, dir, dir, dir, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(args, sizeof(args), "--db %s/alone.db --no-progress %s/fault.pcap", dir, dir);
	json_t *alone = run_json(args, 0);
	snprintf(args, sizeof(args), "--db %s/both.db --no-progress %s/both.pcap", dir, dir);
	json_t *both = run_json(args, 0);
	cr_assert_gt(jint(both, "source_count"), 250000);
	char *want = finding_lines(json_object_get(alone, "findings")),
	     *got = finding_lines(json_object_get(both, "findings"));
	cr_assert(strstr(want, "SESSION_CAP|critical|") != NULL, "no SESSION_CAP finding:\n%s",
	          want);
	cr_expect_str_eq(got, want);
	char db[1200];
	snprintf(db, sizeof(db), "%s/both.db", dir);
	char *again = command_finding_lines("rules", db);
	cr_expect_str_eq(again, got, "analyze and rules disagree");
	free(again);
	/* the report's rules, over its own reading of the sources */
	char *reported = command_finding_lines("report", db);
	cr_expect_str_eq(reported, got, "analyze and report disagree");
	free(reported);
	free(want);
	free(got);
	json_decref(alone);
	json_decref(both);
}

/* More sources than analyze keeps in memory (250,000): the count and the
 * top lists come from a pass over them one at a time in source order, and
 * still equal the sums of the stored buckets. */
Test(analyze_cli, more_sources_than_memory_holds_give_the_same_lists, .timeout = 600)
{
	const char *dir = test_tmpdir();
	char cmd[1600], db[600], args[1400], sql[1024];
	snprintf(cmd, sizeof(cmd), "%s many-sources --packets 520000 -o %s/many.pcap >/dev/null",
	         DCV_GEN_BINARY, dir);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s", cmd);
	snprintf(db, sizeof(db), "%s/many.db", dir);
	snprintf(args, sizeof(args), "--db %s --top 3 --no-progress %s/many.pcap", db, dir);
	json_t *j = run_json(args, 0);
	cr_assert_gt(jint(j, "source_count"), 250000);
	cr_expect_eq(jint(j, "source_count"),
	             test_sql_number(db, "SELECT count(DISTINCT source) FROM source_stats"));
	snprintf(sql, sizeof(sql), SOURCE_TOTALS_SQL, "ORDER BY sum(queries) DESC, source LIMIT 3");
	char *want = sql_rows(db, sql), *got = json_source_lines(json_object_get(j, "sources"));
	cr_expect_str_eq(got, want);
	free(want);
	free(got);
	json_decref(j);
}
