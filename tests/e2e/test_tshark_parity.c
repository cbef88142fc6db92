/*
 * test_tshark_parity.c - on real captures (tests/captures/, recorded by
 * record.sh from nsd, knot and bind9 answering dig, kdig, drill, nsupdate and
 * dnsperf), dcvscope counts exactly the DNS queries, responses and rcodes
 * that tshark counts for port 53.
 *
 * The reference. For each capture tshark is run as
 *   tshark -r FILE -n <TSHARK_PREFS> -Y TSHARK_FILTER -T json --no-duplicate-keys -J dns
 * and every "dns" layer of every displayed frame is one DNS message:
 *   - response flag 0 -> a query, 1 -> a response;
 *   - a response's rcode is the 4-bit header rcode (dns.flags.rcode), widened
 *     by the OPT record's extended-rcode bits (dns.resp.ext_rcode, RFC 6891
 *     6.1.3) when the message has an OPT record, because that is what
 *     dcvscope's "rcodes" object counts: "dig +edns=1" answered with header
 *     rcode 0 and extended bits 1 is BADVERS (16), not NOERROR.
 * JSON, not "-T fields", because one TCP segment can carry several DNS
 * messages (dnsperf pipelining): "-T fields" then prints comma-separated
 * lists per field, and the list of dns.resp.ext_rcode is shorter than the list
 * of dns.flags.rcode whenever some of the messages have no OPT record, so the
 * values cannot be paired. With --no-duplicate-keys the JSON gives a frame's
 * several "dns" layers as an array, one object per message.
 *
 * What tshark does, checked on this corpus (tshark 4.0):
 *   - TCP: with desegmentation on, a message split over segments is shown
 *     once, in the frame that completes it; several messages in one segment
 *     are several "dns" layers of that frame.
 *   - TCP retransmissions (tcp.analysis.retransmission, also "spurious"
 *     retransmissions of data already acknowledged) are not dissected as DNS
 *     again when sequence analysis and desegmentation are on: each message
 *     counts once. Both preferences are set explicitly below so a user's
 *     preference file cannot change the reference.
 *   - UDP retries by the client (dig +tries=2 after a lost answer) are new
 *     datagrams on the wire and are counted again, by tshark and by us.
 *   - IPv4 and IPv6 fragments: with defragmentation on, the message is
 *     shown once, in the frame of the last fragment.
 *   - queries have no dns.flags.rcode field at all in tshark's output.
 *   - a query whose OPT record tshark calls malformed (dig +cookie=0102: a
 *     2-byte client cookie, RFC 7873 4.1 wants 8) is still counted as a query
 *     with the response flag 0; the header is intact.
 *   - DNS quoted inside ICMP errors is dissected by tshark as DNS too; it is
 *     not a message on the wire, so the filter excludes icmp/icmpv6 frames.
 *
 * expected.tsv (beside the captures) holds the counts per file, known from
 * how each capture was made and confirmed with tshark; the reference must
 * still equal it, so a change of tshark's behaviour is noticed too.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define TSHARK_PREFS                                                                               \
	"-o tcp.desegment_tcp_streams:TRUE -o tcp.analyze_sequence_numbers:TRUE "                  \
	"-o tcp.reassemble_out_of_order:FALSE -o tcp.no_subdissector_on_error:FALSE "              \
	"-o ip.defragment:TRUE -o ipv6.defragment:TRUE -o dns.desegment_dns_messages:TRUE"
#define TSHARK_FILTER "dns && (udp.port==53 || tcp.port==53) && !icmp && !icmpv6"

enum {
	CORPUS_MAX_FILES = 64, /* the corpus has a handful; a bound for the table */
	RCODE_FULL_MAX = 4096, /* 12-bit extended rcode (RFC 6891 6.1.3) */
	PATH_MAX_LEN = 512,
	CMD_MAX_LEN = 2048,
};

/* Counts of one capture, from tshark, from dcvscope or from expected.tsv. */
struct dns_counts {
	uint64_t queries;
	uint64_t responses;
	uint64_t rcode[RCODE_FULL_MAX]; /* responses by full rcode */
};

/* IANA "DNS RCODEs" mnemonics in the upper case dns_rcode_name() uses. */
static const char *rcode_name(unsigned rcode)
{
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",   "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",  "DSOTYPENI",
	    NULL,       NULL,      NULL,       NULL,       "BADVERS",  "BADKEY",
	    "BADTIME",  "BADMODE", "BADNAME",  "BADALG",   "BADTRUNC", "BADCOOKIE",
	};
	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return NULL;
}

/* rcode_by_name() is the inverse of rcode_name(); -1 when unknown. */
static int rcode_by_name(const char *name)
{
	for (unsigned r = 0; r < RCODE_FULL_MAX; r++) {
		const char *n = rcode_name(r);
		if (n != NULL && strcmp(n, name) == 0)
			return (int)r;
		if (r > 64)
			break;
	}
	return -1;
}

/* ---------------------------------------------------------------- corpus */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

/* corpus_list() fills names[] with the *.pcap and *.pcapng files of
 * DCV_CAPTURES_DIR, sorted, and returns how many (malloc'd strings). */
static size_t corpus_list(char *names[CORPUS_MAX_FILES])
{
	DIR *d = opendir(DCV_CAPTURES_DIR);
	cr_assert_not_null(d, "capture folder %s cannot be opened", DCV_CAPTURES_DIR);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!has_suffix(e->d_name, ".pcap") && !has_suffix(e->d_name, ".pcapng"))
			continue;
		cr_assert_lt(n, CORPUS_MAX_FILES, "more than %d captures", CORPUS_MAX_FILES);
		cr_assert_null(strchr(e->d_name, '\''), "capture name with a quote: %s", e->d_name);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	return n;
}

static void corpus_free(char *names[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
}

/* ---------------------------------------------------------------- tshark */

/* json_find() returns the first value under key anywhere below v, depth
 * first, or NULL. */
static json_t *json_find(json_t *v, const char *key)
{
	if (json_is_object(v)) {
		json_t *hit = json_object_get(v, key);
		if (hit != NULL)
			return hit;
		const char *k;
		json_t *child;
		json_object_foreach(v, k, child)
		{
			hit = json_find(child, key);
			if (hit != NULL)
				return hit;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child)
		{
			json_t *hit = json_find(child, key);
			if (hit != NULL)
				return hit;
		}
	}
	return NULL;
}

/* json_uint() reads tshark's string numbers ("0", "0x01"); -1 if absent/bad. */
static long json_uint(json_t *v)
{
	if (!json_is_string(v))
		return -1;
	char *end;
	long x = strtol(json_string_value(v), &end, 0);
	return (*end == '\0' && x >= 0) ? x : -1;
}

/* count_message() adds one tshark "dns" layer (one message) to c. */
static void count_message(json_t *dns, const char *file, struct dns_counts *c)
{
	long qr = json_uint(json_find(dns, "dns.flags.response"));
	cr_assert(qr == 0 || qr == 1, "%s: tshark gave a DNS message without a response flag",
	          file);
	if (qr == 0) {
		c->queries++;
		return;
	}
	c->responses++;
	long rcode = json_uint(json_find(dns, "dns.flags.rcode"));
	cr_assert(rcode >= 0 && rcode < 16, "%s: tshark gave a response without an rcode", file);
	json_t *ext = json_find(dns, "dns.resp.ext_rcode"); /* only with an OPT record */
	if (ext != NULL) {
		long hi = json_uint(ext);
		cr_assert(hi >= 0 && hi < 256, "%s: bad dns.resp.ext_rcode", file);
		rcode |= hi << 4;
	}
	c->rcode[rcode]++;
}

/* tshark_counts() computes the reference for one capture. */
static void tshark_counts(const char *file, struct dns_counts *c)
{
	char cmd[CMD_MAX_LEN];
	snprintf(cmd, sizeof(cmd),
	         "tshark -r '%s/%s' -n " TSHARK_PREFS " -Y '" TSHARK_FILTER "'"
	         " -T json --no-duplicate-keys -J dns 2>/dev/null",
	         DCV_CAPTURES_DIR, file);
	char *out = NULL;
	int rc = test_run(cmd, &out);
	cr_assert_eq(rc, 0, "%s: tshark exited with %d: %s", file, rc, cmd);
	json_error_t err;
	json_t *frames = json_loads(out, 0, &err);
	cr_assert_not_null(frames, "%s: tshark JSON does not parse: %s (line %d)", file, err.text,
	                   err.line);
	cr_assert(json_is_array(frames), "%s: tshark JSON is not an array", file);
	memset(c, 0, sizeof(*c));
	size_t i;
	json_t *frame;
	json_array_foreach(frames, i, frame)
	{
		json_t *dns = json_object_get(
		    json_object_get(json_object_get(frame, "_source"), "layers"), "dns");
		cr_assert_not_null(dns, "%s: frame %zu has no dns layer", file, i);
		if (json_is_array(dns)) {
			size_t j;
			json_t *msg;
			json_array_foreach(dns, j, msg) count_message(msg, file, c);
		} else {
			count_message(dns, file, c);
		}
	}
	json_decref(frames);
	free(out);
}

/* ---------------------------------------------------------------- expected.tsv */

/* expected_counts() reads the line of file from expected.tsv:
 * file <TAB> queries <TAB> responses <TAB> NAME=n,NAME=n,...
 * Returns false when the file has no line. */
static bool expected_counts(const char *file, struct dns_counts *c)
{
	char *tsv = test_read_file(DCV_CAPTURES_DIR "/expected.tsv", NULL);
	cr_assert_not_null(tsv, "expected.tsv is missing from %s", DCV_CAPTURES_DIR);
	bool found = false;
	char *save = NULL;
	for (char *line = strtok_r(tsv, "\n", &save); line != NULL && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *fsave = NULL;
		char *name = strtok_r(line, "\t", &fsave);
		if (name == NULL || strcmp(name, file) != 0)
			continue;
		char *q = strtok_r(NULL, "\t", &fsave);
		char *r = strtok_r(NULL, "\t", &fsave);
		char *hist = strtok_r(NULL, "\t", &fsave);
		cr_assert(q && r && hist, "expected.tsv: short line for %s", file);
		memset(c, 0, sizeof(*c));
		c->queries = strtoull(q, NULL, 10);
		c->responses = strtoull(r, NULL, 10);
		char *hsave = NULL;
		for (char *kv = strtok_r(hist, ",", &hsave); kv != NULL;
		     kv = strtok_r(NULL, ",", &hsave)) {
			char *eq = strchr(kv, '=');
			cr_assert_not_null(eq, "expected.tsv: bad rcode entry '%s' for %s", kv,
			                   file);
			*eq = '\0';
			int code = rcode_by_name(kv);
			cr_assert_geq(code, 0, "expected.tsv: unknown rcode %s for %s", kv, file);
			c->rcode[code] = strtoull(eq + 1, NULL, 10);
		}
		found = true;
	}
	free(tsv);
	return found;
}

/* ---------------------------------------------------------------- dcvscope */

/* json_count() reads a non-negative integer member; -1 when absent. */
static long long json_count(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* dcvscope_counts() runs "dcvscope analyze" on one capture and reads its JSON. */
static void dcvscope_counts(const char *file, struct dns_counts *c)
{
	const char *tmp = test_tmpdir();
	char cmd[CMD_MAX_LEN];
	snprintf(cmd, sizeof(cmd), "'%s' analyze --db '%s/x.db' --format json '%s/%s'", DCV_BINARY,
	         tmp, DCV_CAPTURES_DIR, file);
	char *out = NULL;
	int rc = test_run(cmd, &out);
	cr_assert_eq(rc, 0, "%s: dcvscope exited with %d: %s", file, rc, cmd);
	json_error_t err;
	json_t *root = json_loads(out, 0, &err);
	cr_assert_not_null(root, "%s: dcvscope JSON does not parse: %s (line %d)", file, err.text,
	                   err.line);
	json_t *dns = json_object_get(root, "dns");
	json_t *rcodes = json_object_get(root, "rcodes");
	cr_assert(json_is_object(dns), "%s: dcvscope JSON has no \"dns\" object", file);
	cr_assert(json_is_object(rcodes), "%s: dcvscope JSON has no \"rcodes\" object", file);
	long long q = json_count(dns, "queries"), r = json_count(dns, "responses");
	cr_assert(q >= 0 && r >= 0, "%s: dns.queries or dns.responses missing", file);
	memset(c, 0, sizeof(*c));
	c->queries = (uint64_t)q;
	c->responses = (uint64_t)r;
	const char *name;
	json_t *v;
	json_object_foreach(rcodes, name, v)
	{
		int code = rcode_by_name(name);
		cr_assert_geq(code, 0, "%s: dcvscope reports rcode \"%s\" that the test cannot map",
		              file, name);
		cr_assert(json_is_integer(v), "%s: rcodes.%s is not an integer", file, name);
		c->rcode[code] = (uint64_t)json_integer_value(v);
	}
	json_decref(root);
	free(out);
	char rm[CMD_MAX_LEN];
	snprintf(rm, sizeof(rm), "rm -rf '%s'", tmp);
	test_run(rm, NULL);
}

/* ---------------------------------------------------------------- comparison */

static void format_counts(const struct dns_counts *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "queries=%llu responses=%llu", (unsigned long long)c->queries,
	                 (unsigned long long)c->responses);
	for (unsigned r = 0; r < RCODE_FULL_MAX && n > 0 && (size_t)n < len; r++) {
		if (c->rcode[r] == 0)
			continue;
		const char *name = rcode_name(r);
		if (name != NULL)
			n += snprintf(buf + n, len - (size_t)n, " %s=%llu", name,
			              (unsigned long long)c->rcode[r]);
		else
			n += snprintf(buf + n, len - (size_t)n, " RCODE%u=%llu", r,
			              (unsigned long long)c->rcode[r]);
	}
}

/* diff_counts() logs each field where got differs from want; returns how many. */
static int diff_counts(const char *file, const char *what, const struct dns_counts *want,
                       const struct dns_counts *got)
{
	int diffs = 0;
	if (want->queries != got->queries) {
		cr_log_error("%s: queries: %s %llu, tshark %llu", file, what,
		             (unsigned long long)got->queries, (unsigned long long)want->queries);
		diffs++;
	}
	if (want->responses != got->responses) {
		cr_log_error("%s: responses: %s %llu, tshark %llu", file, what,
		             (unsigned long long)got->responses,
		             (unsigned long long)want->responses);
		diffs++;
	}
	for (unsigned r = 0; r < RCODE_FULL_MAX; r++) {
		if (want->rcode[r] == got->rcode[r])
			continue;
		const char *name = rcode_name(r);
		cr_log_error("%s: rcode %s (%u): %s %llu, tshark %llu", file, name ? name : "?", r,
		             what, (unsigned long long)got->rcode[r],
		             (unsigned long long)want->rcode[r]);
		diffs++;
	}
	return diffs;
}

/* ---------------------------------------------------------------- tests */

Test(tshark_parity, tshark_is_installed_and_the_corpus_is_not_empty)
{
	cr_assert_eq(test_run("tshark -v >/dev/null 2>&1", NULL), 0,
	             "tshark is required for the parity test (Debian package tshark)");
	char *names[CORPUS_MAX_FILES];
	size_t n = corpus_list(names);
	corpus_free(names, n);
	cr_assert_geq(n, 1, "no *.pcap or *.pcapng in %s", DCV_CAPTURES_DIR);
}

Test(tshark_parity, tshark_reference_equals_the_counts_recorded_in_expected_tsv)
{
	char *names[CORPUS_MAX_FILES];
	size_t n = corpus_list(names);
	cr_assert_geq(n, 1, "no *.pcap or *.pcapng in %s", DCV_CAPTURES_DIR);
	static struct dns_counts ref, exp;
	int diffs = 0;
	for (size_t i = 0; i < n; i++) {
		tshark_counts(names[i], &ref);
		char buf[1024];
		format_counts(&ref, buf, sizeof(buf));
		cr_log_info("%s: tshark %s", names[i], buf);
		if (!expected_counts(names[i], &exp)) {
			cr_log_error("%s: no line in expected.tsv", names[i]);
			diffs++;
			continue;
		}
		diffs += diff_counts(names[i], "expected.tsv", &ref, &exp);
	}
	corpus_free(names, n);
	cr_assert_eq(diffs, 0, "%d differences between tshark and expected.tsv (see log)", diffs);
}

Test(tshark_parity, dcvscope_counts_equal_tshark_on_every_capture)
{
	char *names[CORPUS_MAX_FILES];
	size_t n = corpus_list(names);
	cr_assert_geq(n, 1, "no *.pcap or *.pcapng in %s", DCV_CAPTURES_DIR);
	static struct dns_counts ref, got;
	int diffs = 0;
	for (size_t i = 0; i < n; i++) {
		tshark_counts(names[i], &ref);
		dcvscope_counts(names[i], &got);
		diffs += diff_counts(names[i], "dcvscope", &ref, &got);
	}
	corpus_free(names, n);
	cr_assert_eq(diffs, 0, "%d differences between dcvscope and tshark (see log)", diffs);
}
