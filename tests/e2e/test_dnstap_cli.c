/*
 * test_dnstap_cli.c - `dcvscope analyze --dnstap` end to end on logs written
 * with libfstrm: the text and JSON summaries, what is not used and why,
 * logs cut short, foreign files, and runs replaced by the same log again.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../capture/dnstap_test_util.h"
#include "test_support.h"

static char dir[512];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
}

static void teardown(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

TestSuite(dnstap_cli, .init = setup, .fini = teardown);

static void put(struct fstrm_writer *w, const struct tt_msg *m, void (*edit)(Dnstap__Message *msg))
{
	uint8_t *p;
	size_t n = tt_pack(m, edit, &p);
	tt_writer_put(w, p, n);
	free(p);
}

static void drop_time(Dnstap__Message *m)
{
	m->has_query_time_sec = false;
}

/*
 * The log: 3 UDP queries from 192.0.2.7 (NOERROR, NXDOMAIN, SERVFAIL) and 2
 * TCP queries over IPv6 (NOERROR, REFUSED), each answered 2 ms later; a
 * CLIENT_QUERY never answered; a FORWARDER_QUERY, a TOOL_RESPONSE, an
 * AUTH_QUERY without its time and a payload that is not protobuf; then a
 * transaction 10 s later, which makes the CLIENT_QUERY a drop. 17 payloads,
 * 13 frames.
 */
static const char *write_log(const char *name)
{
	static char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct fstrm_writer *w = tt_writer_open(path, DNSTAP_CONTENT_TYPE);
	static const unsigned rcodes[] = {0, 3, 2, 0, 5};
	for (unsigned i = 0; i < 5; i++) {
		bool tcp = i >= 3;
		struct tt_msg q = {.type = DNSTAP_AUTH_QUERY,
		                   .family = tcp ? 6 : 4,
		                   .protocol = tcp ? DNSTAP_PROTO_TCP : DNSTAP_PROTO_UDP,
		                   .id = (uint16_t)(100 + i),
		                   .client_port = 2000 + i,
		                   .nsec = i * 10000000};
		struct tt_msg r = q;
		r.type = DNSTAP_AUTH_RESPONSE;
		r.rcode = rcodes[i];
		r.nsec = q.nsec + 2000000;
		put(w, &q, NULL);
		put(w, &r, NULL);
	}
	struct tt_msg lost = {.type = DNSTAP_CLIENT_QUERY, .family = 4, .id = 7, .nsec = 900000000};
	put(w, &lost, NULL);
	struct tt_msg fq = {.type = DNSTAP_FORWARDER_QUERY, .family = 4};
	struct tt_msg tr = {.type = DNSTAP_TOOL_RESPONSE, .family = 4};
	struct tt_msg nt = {.type = DNSTAP_AUTH_QUERY, .family = 4, .id = 8};
	put(w, &fq, NULL);
	put(w, &tr, NULL);
	put(w, &nt, drop_time);
	tt_writer_put(w, (const uint8_t *)"not protobuf", 12);
	/* later traffic: the lost query's timeout passes */
	struct tt_msg late = {
	    .type = DNSTAP_AUTH_QUERY, .family = 4, .id = 9, .sec = TT_TS_SEC + 10};
	struct tt_msg late_r = late;
	late_r.type = DNSTAP_AUTH_RESPONSE;
	put(w, &late, NULL);
	put(w, &late_r, NULL);
	tt_writer_close(w);
	return path;
}

static int run(const char *args, char **out)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "%s analyze --no-progress --db %s/t.db %s 2>%s/err", DCV_BINARY,
	         dir, args, dir);
	return test_run(cmd, out);
}

static json_t *run_json(const char *args, int expect_rc)
{
	char *out = NULL;
	char a[1600];
	snprintf(a, sizeof(a), "--format json %s", args);
	int rc = run(a, &out);
	cr_assert_eq(rc, expect_rc, "exit %d: %s", rc, out);
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j, "not JSON: %.300s", out);
	free(out);
	return j;
}

static int64_t get(json_t *j, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = j;
	for (char *tok = strtok(buf, "."); tok != NULL; tok = strtok(NULL, "."))
		cur = json_object_get(cur, tok);
	cr_assert(json_is_integer(cur), "%s is not an integer", path);
	return json_integer_value(cur);
}

Test(dnstap_cli, json_counts_what_was_analyzed_and_what_was_not)
{
	char args[700];
	snprintf(args, sizeof(args), "--dnstap %s", write_log("a.tap"));
	json_t *j = run_json(args, 0);
	cr_assert_eq(get(j, "dnstap.messages"), 17);
	cr_assert_eq(get(j, "dnstap.analyzed"), 13);
	cr_assert_eq(get(j, "dnstap.type_not_used"), 2);
	cr_assert_eq(get(j, "dnstap.missing_fields"), 1);
	cr_assert_eq(get(j, "dnstap.missing_by_field.time"), 1);
	cr_assert_eq(get(j, "dnstap.malformed"), 1);
	cr_assert_eq(get(j, "dnstap.by_type.AUTH_QUERY"), 7);
	cr_assert_eq(get(j, "dnstap.by_type.CLIENT_QUERY"), 1);
	cr_assert_eq(get(j, "dnstap.by_type.FORWARDER_QUERY"), 1);
	cr_assert_eq(get(j, "dnstap.by_protocol.TCP"), 4);
	cr_assert_eq(get(j, "dnstap.by_protocol.UDP"), 9);
	cr_assert(json_is_string(json_object_get(
	    json_object_get(json_object_get(j, "dnstap"), "unavailable"), "unseen_packets")));
	cr_assert_eq(get(j, "dns.queries"), 7);
	cr_assert_eq(get(j, "dns.responses"), 6);
	cr_assert_eq(get(j, "dns.tcp"), 4);
	cr_assert_eq(get(j, "dns.ipv6"), 4);
	cr_assert_eq(get(j, "rcodes.NXDOMAIN"), 1);
	cr_assert_eq(get(j, "rcodes.SERVFAIL"), 1);
	cr_assert_eq(get(j, "rcodes.REFUSED"), 1);
	cr_assert_eq(get(j, "transactions.answered"), 6);
	cr_assert_eq(get(j, "transactions.unanswered"), 1);
	cr_assert_eq(get(j, "tcp.sessions"), 0);
	json_t *in = json_array_get(json_object_get(json_object_get(j, "run"), "inputs"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(in, "format")), "dnstap");
	cr_assert_eq(json_integer_value(json_object_get(in, "frames")), 13);
	json_decref(j);

	/* the same log again replaces the run */
	j = run_json(args, 0);
	cr_assert_eq(get(j, "run.replaced_runs"), 1);
	json_decref(j);
}

Test(dnstap_cli, text_summary_says_what_dnstap_cannot_show)
{
	char args[700], *out = NULL;
	snprintf(args, sizeof(args), "--dnstap %s", write_log("t.tap"));
	cr_assert_eq(run(args, &out), 0);
	cr_assert_not_null(strstr(out, "\ndnstap\n  messages                    17  (13 analyzed)"),
	                   "%s", out);
	cr_assert_not_null(strstr(out, "not available from dnstap"), "%s", out);
	cr_assert_not_null(strstr(out, "TCP (not measured: dnstap has no TCP session states)"),
	                   "%s", out);
	free(out);
}

Test(dnstap_cli, log_cut_short_is_stored_and_reported_incomplete)
{
	const char *full = write_log("full.tap");
	size_t len;
	char *bytes = test_read_file(full, &len);
	cr_assert_not_null(bytes);
	char cut[600];
	snprintf(cut, sizeof(cut), "%s/cut.tap", dir);
	FILE *f = fopen(cut, "wb");
	cr_assert_eq(fwrite(bytes, 1, len - 20, f), len - 20);
	fclose(f);
	free(bytes);
	char args[700];
	snprintf(args, sizeof(args), "--dnstap %s", cut);
	json_t *j = run_json(args, 3);
	cr_assert(json_is_false(json_object_get(json_object_get(j, "run"), "complete")));
	json_t *in = json_array_get(json_object_get(json_object_get(j, "run"), "inputs"), 0);
	cr_assert_not_null(strstr(json_string_value(json_object_get(in, "error")), "cut short"));
	cr_assert_eq(get(j, "dns.queries"), 7, "everything before the cut is analyzed");
	cr_assert_eq(get(j, "dns.responses"), 5);
	json_decref(j);
}

Test(dnstap_cli, capture_given_as_dnstap_is_refused_before_anything_is_stored)
{
	char args[1400];
	snprintf(args, sizeof(args), "--dnstap %s %s/bind-sll2.pcap", write_log("ok.tap"),
	         DCV_CAPTURES_DIR);
	cr_assert_eq(run(args, NULL), 3);
	char errpath[600];
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	char *err = test_read_file(errpath, NULL);
	cr_assert_not_null(strstr(err, "bind-sll2.pcap: not a Frame Streams (dnstap) file (it "
	                               "looks like a pcap/pcapng capture"),
	                   "%s", err);
	free(err);
	char check[700];
	snprintf(check, sizeof(check), "sqlite3 %s/t.db 'SELECT count(*) FROM runs' 2>/dev/null",
	         dir);
	char *out = NULL;
	test_run(check, &out);
	cr_assert(out == NULL || atoi(out) == 0, "no run stored: %s", out);
	free(out);
}
