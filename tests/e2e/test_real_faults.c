/*
 * test_real_faults.c - the real-nameserver fault lab end to end: a real BIND
 * on loopback in a private network namespace, a real fault (nftables per
 * client session cap or rate limit, region silence, TCP/53 reset, a named
 * ACL), real validator-like traffic from dcv-valsim, a tcpdump capture, then
 * `dcvscope analyze` and `dcvscope rules` (tests/lab/lab.sh does the lab part).
 *
 * Each scenario has two tests:
 *   <scenario>_analyze   what the stored statistics must show (analyze JSON);
 *   <scenario>_findings  the findings `dcvscope rules --format json` must give.
 * The lab runs once per scenario: the _analyze test (names sort before
 * _findings, tests run in name order with --jobs 1) leaves its output in
 * /tmp/dcvscope-lab-<runner pid>/<scenario>; the _findings test reuses it
 * (or runs the lab itself) and removes it. A missing `dcvscope rules` command
 * makes the _findings tests fail, never skip. Needs root.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_support.h"

#define LAB_SCRIPT  DCV_SOURCE_DIR "/tests/lab/lab.sh"
#define LAB_CMD_MAX (4 * PATH_MAX)
#define LAB_TIMEOUT 150 /* seconds per test; the lab itself caps valsim at 40 s */

/* the simulator's sources (tests/captures/validators-lab.tsv) */
#define SRC_CAPPED "127.10.1.10" /* first source: opens the TCP sessions, bursts */
#define N_SOURCES  6

#define SESSION_CAP_LOW  25  /* nftables ct count over 25 */
#define SESSION_CAP_HIGH 150 /* nftables ct count over 150 */
#define QPS_CAP          50  /* nftables limit rate over 50/second */
#define BURST_SECONDS    4
#define CAP_TOLERANCE    0.10

struct lab {
	char dir[PATH_MAX];
	json_t *valsim;
	json_t *analyze;
	int rules_rc;
	json_t *rules; /* NULL when rules did not print JSON */
	char *rules_err;
};

/* this test process's lab output, removed by the suite fini when a
 * _findings test (the last user of a scenario) ends, even on failure */
static char lab_current[PATH_MAX];
static bool lab_remove_at_fini;

static void lab_dir(const char *scen, char *out, size_t cap)
{
	snprintf(out, cap, "/tmp/dcvscope-lab-%ld/%s", (long)getppid(), scen);
}

static json_t *load_json(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	json_error_t err;
	return json_load_file(path, 0, &err);
}

static int load_int(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	char *s = test_read_file(path, NULL);
	int v = s ? atoi(s) : -1;
	free(s);
	return v;
}

/* lab_run() runs the scenario (or reuses its output) and loads the results. */
static void lab_run(struct lab *l, const char *scen)
{
	cr_assert_eq(geteuid(), 0, "the real-server lab needs root (CI runs as root)");
	memset(l, 0, sizeof(*l));
	lab_dir(scen, l->dir, sizeof(l->dir));
	snprintf(lab_current, sizeof(lab_current), "%s", l->dir);
	char rc_path[PATH_MAX + 32];
	snprintf(rc_path, sizeof(rc_path), "%s/rules.rc", l->dir);
	struct stat st;
	if (stat(rc_path, &st) != 0) {
		char valsim[PATH_MAX];
		snprintf(valsim, sizeof(valsim), "%s", DCV_BINARY);
		char *slash = strrchr(valsim, '/');
		cr_assert_not_null(slash);
		snprintf(slash, sizeof(valsim) - (size_t)(slash - valsim), "/lab/dcv-valsim");
		char cmd[LAB_CMD_MAX];
		snprintf(
		    cmd, sizeof(cmd),
		    "DCV_BINARY='%s' DCV_VALSIM='%s' DCV_SOURCE_DIR='%s' timeout -k 5 %d '%s' %s "
		    "'%s' >'%s.log' 2>&1",
		    DCV_BINARY, valsim, DCV_SOURCE_DIR, LAB_TIMEOUT - 20, LAB_SCRIPT, scen, l->dir,
		    l->dir);
		char mk[LAB_CMD_MAX];
		snprintf(mk, sizeof(mk), "mkdir -p '%s'", l->dir);
		cr_assert_eq(test_run(mk, NULL), 0);
		int rc = test_run(cmd, NULL);
		if (rc != 0) {
			char log[PATH_MAX + 8];
			snprintf(log, sizeof(log), "%s.log", l->dir);
			char *txt = test_read_file(log, NULL);
			cr_assert_fail("lab.sh %s failed (exit %d):\n%s", scen, rc, txt ? txt : "");
		}
	}
	l->valsim = load_json(l->dir, "valsim.json");
	cr_assert_not_null(l->valsim, "%s: valsim.json is not JSON", scen);
	cr_assert_eq(load_int(l->dir, "analyze.rc"), 0, "%s: dcvscope analyze failed", scen);
	l->analyze = load_json(l->dir, "analyze.json");
	cr_assert_not_null(l->analyze, "%s: analyze.json is not JSON", scen);
	l->rules_rc = load_int(l->dir, "rules.rc");
	l->rules = load_json(l->dir, "rules.json");
	char err[PATH_MAX + 16];
	snprintf(err, sizeof(err), "%s/rules.err", l->dir);
	l->rules_err = test_read_file(err, NULL);
}

static void lab_remove(const char *dir)
{
	char cmd[LAB_CMD_MAX];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.log'; rmdir \"$(dirname '%s')\" 2>/dev/null",
	         dir, dir, dir);
	test_run(cmd, NULL);
}

static void lab_done(struct lab *l)
{
	json_decref(l->valsim);
	json_decref(l->analyze);
	json_decref(l->rules);
	free(l->rules_err);
}

static void lab_fini(void)
{
	if (lab_remove_at_fini && lab_current[0] != '\0')
		lab_remove(lab_current);
}

static long long jint(json_t *o, const char *path)
{
	/* path: dot-separated object keys */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = o;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	cr_assert(json_is_integer(cur), "%s is not an integer", path);
	return (long long)json_integer_value(cur);
}

static json_t *find_by(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		const char *v = json_string_value(json_object_get(e, key));
		if (v && strcmp(v, value) == 0)
			return e;
	}
	return NULL;
}

static json_t *analyze_source(struct lab *l, const char *addr)
{
	json_t *s = find_by(json_object_get(l->analyze, "sources"), "address", addr);
	cr_assert_not_null(s, "source %s missing from analyze JSON", addr);
	return s;
}

static json_t *valsim_source(struct lab *l, const char *addr)
{
	json_t *s = find_by(json_object_get(l->valsim, "sources"), "address", addr);
	cr_assert_not_null(s, "source %s missing from valsim JSON", addr);
	return s;
}

static long long rcode_count(struct lab *l, const char *name)
{
	json_t *v = json_object_get(json_object_get(l->analyze, "rcodes"), name);
	return v ? (long long)json_integer_value(v) : 0;
}

/* every (ca, region) row of validator_stats: 2 CAs x 3 regions */
static json_t *vstats(struct lab *l)
{
	json_t *a = json_object_get(l->analyze, "validator_stats");
	cr_assert_eq(json_array_size(a), N_SOURCES, "validator_stats rows: %zu",
	             json_array_size(a));
	return a;
}

static bool in_region(json_t *row, const char *region)
{
	return strcmp(json_string_value(json_object_get(row, "region")), region) == 0;
}

/* --- findings (dcvscope rules contract) ----------------------------------- */

static json_t *findings(struct lab *l)
{
	lab_remove_at_fini = true;
	cr_assert_eq(l->rules_rc, 0,
	             "`dcvscope rules --db FILE --format json` failed (exit %d): the rules "
	             "engine is missing or broken:\n%s",
	             l->rules_rc, l->rules_err ? l->rules_err : "");
	cr_assert_not_null(l->rules, "`dcvscope rules --format json` printed no JSON");
	json_t *f = json_object_get(l->rules, "findings");
	cr_assert(json_is_array(f), "rules JSON has no findings array");
	return f;
}

static const char *fstr(json_t *f, const char *key)
{
	const char *s = json_string_value(json_object_get(f, key));
	return s ? s : "";
}

static bool serious(json_t *f)
{
	return strcmp(fstr(f, "severity"), "warning") == 0 ||
	       strcmp(fstr(f, "severity"), "critical") == 0;
}

/* find_finding() returns the first finding of rule with that subject_kind
 * and subject (NULL: any). */
static json_t *find_finding(json_t *arr, const char *rule, const char *kind, const char *subject)
{
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		if (strcmp(fstr(f, "rule"), rule) != 0)
			continue;
		if (kind != NULL && strcmp(fstr(f, "subject_kind"), kind) != 0)
			continue;
		if (subject == NULL || strcmp(fstr(f, "subject"), subject) == 0)
			return f;
	}
	return NULL;
}

/* names_region() says whether any finding of rule has a subject mentioning
 * region (as "region" or "ca/region"). */
static bool names_region(json_t *arr, const char *rule, const char *region)
{
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		const char *subj = fstr(f, "subject");
		const char *slash = strchr(subj, '/');
		if (strcmp(fstr(f, "rule"), rule) == 0 &&
		    (strcmp(subj, region) == 0 || (slash && strcmp(slash + 1, region) == 0)))
			return true;
	}
	return false;
}

static char *dump(json_t *j)
{
	return json_dumps(j, JSON_COMPACT);
}

static double metric(json_t *f, const char *name)
{
	json_t *v = json_object_get(json_object_get(f, "metrics"), name);
	cr_assert(json_is_number(v), "finding %s has no numeric metrics.%s", fstr(f, "rule"), name);
	return json_number_value(v);
}

static void assert_within(double got, double want, const char *what)
{
	cr_assert(got >= want * (1.0 - CAP_TOLERANCE) && got <= want * (1.0 + CAP_TOLERANCE),
	          "%s: inferred %.1f, configured %.0f (must be within 10%%)", what, got, want);
}

/* --- clean --------------------------------------------------------------- */

TestSuite(real_faults, .timeout = LAB_TIMEOUT, .fini = lab_fini);

Test(real_faults, clean_analyze)
{
	struct lab l;
	lab_run(&l, "clean");
	json_t *vs;
	size_t i;
	json_array_foreach(json_object_get(l.valsim, "sources"), i, vs)
	{
		cr_assert_eq(jint(vs, "udp_timeouts"), 0);
		cr_assert_eq(jint(vs, "tcp_connect_ok"), jint(vs, "udp_tc"));
		cr_assert_eq(jint(vs, "tcp_answers"), jint(vs, "udp_tc"));
	}
	cr_assert_eq(jint(l.analyze, "transactions.unanswered"), 0);
	cr_assert_eq(jint(l.analyze, "transactions.pending_at_end"), 0);
	cr_assert_eq(jint(l.analyze, "tcp.rejected"), 0);
	cr_assert_gt(jint(l.analyze, "tcp.sessions"), 0, "TC=1 answers must have led to TCP");
	cr_assert_eq(rcode_count(&l, "REFUSED") + rcode_count(&l, "SERVFAIL"), 0);
	json_t *row;
	json_array_foreach(vstats(&l), i, row)
	{
		cr_assert_gt(jint(row, "queries"), 0);
		cr_assert_eq(jint(row, "responses"), jint(row, "queries"));
		cr_assert_eq(jint(row, "unanswered") + jint(row, "refused") +
		                 jint(row, "servfail") + jint(row, "tcp_rejected"),
		             0);
	}
	lab_done(&l);
}

Test(real_faults, clean_findings)
{
	struct lab l;
	lab_run(&l, "clean");
	json_t *arr = findings(&l);
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		char *s = dump(f);
		cr_expect(!serious(f), "clean run gave a %s finding: %s", fstr(f, "severity"), s);
		free(s);
	}
	lab_done(&l);
}

/* --- session cap: nftables ct count over N per source, reject with RST ---- */

static void session_cap_analyze(const char *scen, long long cap, long long conns)
{
	struct lab l;
	lab_run(&l, scen);
	json_t *vs = valsim_source(&l, SRC_CAPPED);
	/* the attempts' TCP retries (one per TC answer) plus the capped ones */
	cr_assert_eq(jint(vs, "tcp_connect_ok"), jint(vs, "udp_tc") + cap);
	cr_assert_eq(jint(vs, "tcp_connect_refused"), conns - cap);
	json_t *s = analyze_source(&l, SRC_CAPPED);
	cr_assert_eq(jint(s, "max_concurrent_tcp"), cap);
	cr_assert_eq(jint(s, "tcp_rejected"), conns - cap);
	cr_assert_eq(jint(l.analyze, "tcp.rejected"), conns - cap, "only the capped source");
	cr_assert_eq(jint(s, "unanswered"), 0);
	lab_done(&l);
}

static void session_cap_findings(const char *scen, double cap, const char *severity)
{
	struct lab l;
	lab_run(&l, scen);
	json_t *arr = findings(&l);
	json_t *f = find_finding(arr, "SESSION_CAP", "source", SRC_CAPPED);
	char *all = dump(arr);
	cr_assert_not_null(f, "no SESSION_CAP finding for " SRC_CAPPED ": %s", all);
	free(all);
	cr_expect_str_eq(fstr(f, "subject_kind"), "source");
	cr_expect_str_eq(fstr(f, "severity"), severity);
	assert_within(metric(f, "inferred_cap"), cap, "SESSION_CAP inferred_cap");
	lab_done(&l);
}

Test(real_faults, session_cap_analyze)
{
	session_cap_analyze("session_cap", SESSION_CAP_LOW, 40);
}

Test(real_faults, session_cap_findings)
{
	session_cap_findings("session_cap", SESSION_CAP_LOW, "critical");
}

Test(real_faults, session_cap_warning_analyze)
{
	session_cap_analyze("session_cap_150", SESSION_CAP_HIGH, 170);
}

Test(real_faults, session_cap_warning_findings)
{
	session_cap_findings("session_cap_150", SESSION_CAP_HIGH, "warning");
}

/* --- tcp_clients: BIND tcp-clients 25, nothing refused -------------------- */

#define TCP_CLIENTS 25 /* lab.sh: named.conf tcp-clients */

Test(real_faults, tcp_clients_analyze)
{
	struct lab l;
	lab_run(&l, "tcp_clients");
	json_t *vs = valsim_source(&l, SRC_CAPPED);
	/* the kernel completes every handshake; BIND answers on 25 of them */
	cr_assert_eq(jint(vs, "tcp_connect_ok"), jint(vs, "udp_tc") + 40);
	cr_assert_eq(jint(vs, "tcp_connect_refused") + jint(vs, "tcp_connect_timeout"), 0);
	cr_assert_eq(jint(vs, "tcp_answers"), jint(vs, "udp_tc") + TCP_CLIENTS);
	cr_assert_eq(jint(vs, "tcp_failed"), 40 - TCP_CLIENTS);
	json_t *s = analyze_source(&l, SRC_CAPPED);
	cr_assert_eq(jint(s, "max_concurrent_tcp"), 40);
	cr_assert_eq(jint(s, "tcp_rejected") + jint(s, "tcp_filtered"), 0);
	cr_assert_eq(jint(s, "unanswered"), 40 - TCP_CLIENTS);
	cr_assert_eq(jint(l.analyze, "tcp.stalled"), 40 - TCP_CLIENTS, "only the capped source");
	lab_done(&l);
}

Test(real_faults, tcp_clients_findings)
{
	struct lab l;
	lab_run(&l, "tcp_clients");
	json_t *arr = findings(&l);
	json_t *f = find_finding(arr, "SESSION_CAP", "source", SRC_CAPPED);
	char *all = dump(arr);
	cr_assert_not_null(f, "no SESSION_CAP finding for " SRC_CAPPED ": %s", all);
	free(all);
	cr_expect_str_eq(fstr(f, "severity"), "critical");
	cr_expect_eq(metric(f, "stalled"), 1, "inferred from the stalled sessions");
	cr_expect_eq(metric(f, "stalled_sessions"), 40 - TCP_CLIENTS);
	assert_within(metric(f, "inferred_cap"), TCP_CLIENTS, "SESSION_CAP inferred_cap");
	lab_done(&l);
}

/* --- rate limit: nftables limit rate over 50/second per source, drop ----- */

Test(real_faults, rate_limit_analyze)
{
	struct lab l;
	lab_run(&l, "rate_limit");
	json_t *vs = valsim_source(&l, SRC_CAPPED);
	long long sent = jint(vs, "burst_sent"), got = jint(vs, "burst_answered");
	cr_assert_eq(sent, 100 * BURST_SECONDS);
	/* what got through is the configured rate (plus the 5 packet burst) */
	assert_within((double)got / BURST_SECONDS, QPS_CAP, "answered burst rate");
	json_t *s = analyze_source(&l, SRC_CAPPED);
	cr_assert_geq(jint(s, "peak_qps"), 90, "the burst is 100 q/s");
	cr_assert_eq(jint(s, "unanswered"), jint(vs, "udp_timeouts"),
	             "analyze counts exactly the drops valsim saw");
	cr_assert_eq(jint(s, "responses"), jint(vs, "udp_answers") + jint(vs, "tcp_answers"));
	cr_assert_eq(jint(l.analyze, "transactions.unanswered"), jint(s, "unanswered"),
	             "no other source lost anything");
	lab_done(&l);
}

Test(real_faults, rate_limit_findings)
{
	struct lab l;
	lab_run(&l, "rate_limit");
	json_t *arr = findings(&l);
	json_t *f = find_finding(arr, "RATE_LIMITED", "source", SRC_CAPPED);
	char *all = dump(arr);
	cr_assert_not_null(f, "no RATE_LIMITED finding for " SRC_CAPPED ": %s", all);
	free(all);
	cr_expect_str_eq(fstr(f, "subject_kind"), "source");
	cr_expect(serious(f));
	assert_within(metric(f, "inferred_qps_cap"), QPS_CAP, "RATE_LIMITED inferred_qps_cap");
	/* the burst is a CAA climb: the limit eats part of it while the rest of
	 * the same climb is answered */
	json_t *burst = find_finding(arr, "CAA_BURST", "name", "a.b.lab.example");
	cr_expect_not_null(burst, "no CAA_BURST finding for a.b.lab.example");
	lab_done(&l);
}

/* --- rrl: BIND's response rate limiting, 20 answers/s, slip 2 ------------ */

#define RRL_RATE      20 /* lab.sh RRL_RATE */
#define RRL_FIRST_QPS 15 /* the burst's first second, under the limit */
#define RRL_SECONDS   5

Test(real_faults, rrl_analyze)
{
	struct lab l;
	lab_run(&l, "rrl");
	json_t *vs = valsim_source(&l, SRC_CAPPED);
	long long sent = jint(vs, "burst_sent"), got = jint(vs, "burst_answered");
	cr_assert_eq(sent, RRL_FIRST_QPS + 100 * (RRL_SECONDS - 1));
	/* above the limit about half the answers are dropped, half slip TC=1 */
	cr_assert(got > sent / 4 && got < sent * 3 / 4, "answered %lld of %lld", got, sent);
	json_t *s = analyze_source(&l, SRC_CAPPED);
	cr_assert_eq(jint(s, "unanswered"), jint(vs, "udp_timeouts"),
	             "analyze counts exactly the drops valsim saw");
	cr_assert_eq(jint(s, "responses"), jint(vs, "udp_answers") + jint(vs, "tcp_answers"));
	cr_assert_geq(jint(s, "truncated"), jint(vs, "udp_tc"), "every slip is counted");
	cr_assert_eq(jint(l.analyze, "transactions.unanswered"), jint(s, "unanswered"),
	             "no other source lost anything");
	lab_done(&l);
}

Test(real_faults, rrl_findings)
{
	struct lab l;
	lab_run(&l, "rrl");
	json_t *arr = findings(&l);
	json_t *f = find_finding(arr, "RATE_LIMITED", "source", SRC_CAPPED);
	char *all = dump(arr);
	cr_assert_not_null(f, "no RATE_LIMITED finding for " SRC_CAPPED ": %s", all);
	free(all);
	cr_expect_str_eq(fstr(f, "severity"), "critical");
	cr_expect_eq(metric(f, "suppressed"), 1, "answers collapse, not level off");
	assert_within(metric(f, "inferred_qps_cap"), RRL_RATE, "RATE_LIMITED inferred_qps_cap");
	cr_expect_gt(metric(f, "slips"), 0);
	lab_done(&l);
}

/* --- rrl_netblock: RRL of 40 answers/s counts 127.10.1.0/24 as one client - */

#define RRL_NETBLOCK_RATE 40 /* lab.sh RRL_NETBLOCK_RATE */
#define NETBLOCK          "127.10.1.0/24"
static const char *const netblock_sources[] = {"127.10.1.21", "127.10.1.22", "127.10.1.23"};

/* each source sends 12 then 20 queries a second: 36 together, answered,
 * then 60, limited; each alone stays below the limit */
Test(real_faults, rrl_netblock_analyze)
{
	struct lab l;
	lab_run(&l, "rrl_netblock");
	long long unanswered = 0;
	for (size_t i = 0; i < 3; i++) {
		json_t *vs = valsim_source(&l, netblock_sources[i]);
		cr_assert_eq(jint(vs, "burst_sent"), 12 + 20 * (RRL_SECONDS - 1));
		json_t *s = analyze_source(&l, netblock_sources[i]);
		cr_assert_eq(jint(s, "unanswered"), jint(vs, "udp_timeouts"),
		             "analyze counts exactly the drops valsim saw");
		cr_assert_geq(jint(s, "truncated"), jint(vs, "udp_tc"), "every slip is counted");
		cr_assert_lt(jint(s, "peak_qps"), RRL_NETBLOCK_RATE,
		             "each alone is below the limit");
		unanswered += jint(s, "unanswered");
	}
	cr_assert_gt(unanswered, 0, "the netblock together passed the limit");
	cr_assert_eq(jint(l.analyze, "transactions.unanswered"), unanswered,
	             "no other source lost anything");
	lab_done(&l);
}

/* RRL suppresses the whole netblock: each source alone shows the collapse
 * too, so the sources keep their findings, and each names the netblock and
 * its limit */
Test(real_faults, rrl_netblock_findings)
{
	struct lab l;
	lab_run(&l, "rrl_netblock");
	json_t *arr = findings(&l);
	char *all = dump(arr);
	for (size_t i = 0; i < 3; i++) {
		json_t *f = find_finding(arr, "RATE_LIMITED", "source", netblock_sources[i]);
		cr_assert_not_null(f, "no RATE_LIMITED finding for %s: %s", netblock_sources[i],
		                   all);
		cr_expect_str_eq(fstr(f, "severity"), "critical");
		cr_expect_eq(metric(f, "suppressed"), 1, "answers collapse, not level off");
		cr_expect_eq(metric(f, "netblock_sources"), 3);
		assert_within(metric(f, "netblock_cap"), RRL_NETBLOCK_RATE,
		              "RATE_LIMITED netblock_cap");
		cr_expect_not_null(strstr(fstr(f, "evidence"), NETBLOCK), "%s",
		                   fstr(f, "evidence"));
	}
	free(all);
	lab_done(&l);
}

/* --- fragments: 2140-byte UDP answers in IP fragments, second ones dropped - */

/* each TXT answer leaves in fragments and never arrives: the validator asks
 * again at EDNS 1232, gets TC=1 and the answer over TCP */
Test(real_faults, fragments_analyze)
{
	struct lab l;
	lab_run(&l, "fragments");
	cr_assert_eq(jint(l.analyze, "transactions.unanswered"), 0,
	             "every fragmented answer is in the capture");
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(l.valsim, "sources"), i, row)
	{
		cr_assert_gt(jint(row, "udp_timeouts"), 0, "%s lost its answers",
		             fstr(row, "address"));
		cr_assert_eq(jint(row, "tcp_answers"), jint(row, "udp_tc"),
		             "every retry at 1232 bytes was truncated and answered over TCP");
	}
	lab_done(&l);
}

Test(real_faults, fragments_findings)
{
	struct lab l;
	lab_run(&l, "fragments");
	json_t *arr = findings(&l);
	char *all = dump(arr);
	const char *cas[] = {"letsencrypt", "digicert"};
	for (size_t k = 0; k < 2; k++) {
		json_t *f = find_finding(arr, "LARGE_UDP_ANSWERS", "ca", cas[k]);
		cr_assert_not_null(f, "no LARGE_UDP_ANSWERS for %s: %s", cas[k], all);
		cr_expect_str_eq(fstr(f, "severity"), "critical");
		cr_expect_gt(metric(f, "fragmented"), 0);
		cr_expect_eq(metric(f, "asked_again"), metric(f, "answers"));
	}
	free(all);
	lab_done(&l);
}

/* --- region silence: nftables drop for 127.20.0.0/16 ("ripe") ------------ */

Test(real_faults, region_silence_analyze)
{
	struct lab l;
	lab_run(&l, "region_silence");
	size_t i;
	json_t *row;
	json_array_foreach(vstats(&l), i, row)
	{
		if (in_region(row, "ripe")) {
			cr_assert_gt(jint(row, "queries"), 0);
			cr_assert_eq(jint(row, "responses"), 0);
			cr_assert_eq(jint(row, "unanswered"), jint(row, "queries"));
		} else {
			cr_assert_eq(jint(row, "unanswered"), 0);
			cr_assert_eq(jint(row, "responses"), jint(row, "queries"));
		}
	}
	lab_done(&l);
}

Test(real_faults, region_silence_findings)
{
	struct lab l;
	lab_run(&l, "region_silence");
	json_t *arr = findings(&l);
	json_t *f = find_finding(arr, "REGION_ASYMMETRY", "region", "ripe");
	char *all = dump(arr);
	cr_assert_not_null(f, "no REGION_ASYMMETRY finding for region ripe: %s", all);
	cr_expect(serious(f));
	cr_expect(!names_region(arr, "REGION_ASYMMETRY", "arin"), "arin is healthy: %s", all);
	cr_expect(!names_region(arr, "REGION_ASYMMETRY", "apnic"), "apnic is healthy: %s", all);
	/* the silence is also unanswered validator queries and failed attempts */
	cr_expect_not_null(find_finding(arr, "VALIDATOR_DROPS", NULL, NULL), "%s", all);
	cr_expect_not_null(find_finding(arr, "MPIC_QUORUM_AT_RISK", NULL, NULL), "%s", all);
	free(all);
	lab_done(&l);
}

/* --- TCP/53 reset for validator prefixes, answers need TCP (TC=1) --------- */

/* The TC=1 answers of every source, each retried over TCP with outcome
 * (a valsim counter) while UDP works; returns how many in all. */
static long long tc_retried_over_tcp(struct lab *l, const char *outcome)
{
	long long tc = 0;
	size_t i;
	json_t *vs;
	json_array_foreach(json_object_get(l->valsim, "sources"), i, vs)
	{
		cr_assert_gt(jint(vs, "udp_tc"), 0);
		cr_assert_eq(jint(vs, outcome), jint(vs, "udp_tc"), "%s", outcome);
		cr_assert_eq(jint(vs, "udp_timeouts"), 0, "UDP works");
		tc += jint(vs, "udp_tc");
	}
	return tc;
}

Test(real_faults, tcp53_rejected_analyze)
{
	struct lab l;
	lab_run(&l, "tcp53_rejected");
	long long tc = tc_retried_over_tcp(&l, "tcp_connect_refused");
	size_t i;
	cr_assert_eq(jint(l.analyze, "tcp.rejected"), tc);
	cr_assert_eq(jint(l.analyze, "tcp.sessions"), 0);
	cr_assert_eq(jint(l.analyze, "dns.responses_tc"), tc);
	json_t *row;
	json_array_foreach(vstats(&l), i, row)
	{
		cr_assert_gt(jint(row, "tcp_rejected"), 0);
		cr_assert_eq(jint(row, "unanswered"), 0);
	}
	lab_done(&l);
}

Test(real_faults, tcp53_rejected_findings)
{
	struct lab l;
	lab_run(&l, "tcp53_rejected");
	json_t *arr = findings(&l);
	json_t *f = find_finding(arr, "TCP53_REJECTED", NULL, NULL);
	char *all = dump(arr);
	cr_assert_not_null(f, "no TCP53_REJECTED finding: %s", all);
	cr_expect(serious(f));
	/* every TC=1 answer's TCP retry was reset */
	json_t *tc = find_finding(arr, "TC_WITHOUT_TCP", NULL, NULL);
	cr_expect_not_null(tc, "no TC_WITHOUT_TCP finding: %s", all);
	free(all);
	lab_done(&l);
}

/* --- TCP/53 accepted, its DNS dropped for validator prefixes (TC=1) ------- */

Test(real_faults, tcp53_silent_analyze)
{
	struct lab l;
	lab_run(&l, "tcp53_silent");
	/* every TC=1 answer's TCP retry connected and got nothing back */
	long long tc = tc_retried_over_tcp(&l, "tcp_connect_ok");
	cr_assert_eq(tc_retried_over_tcp(&l, "tcp_failed"), tc);
	size_t i;
	cr_assert_eq(jint(l.analyze, "tcp.sessions"), tc);
	cr_assert_eq(jint(l.analyze, "tcp.stalled"), tc,
	             "every session carried an unanswered query");
	cr_assert_eq(jint(l.analyze, "tcp.rejected") + jint(l.analyze, "tcp.filtered"), 0);
	cr_assert_eq(jint(l.analyze, "transactions.unanswered"), tc);
	json_t *row;
	json_array_foreach(vstats(&l), i, row)
	{
		cr_assert_gt(jint(row, "tcp_stalled"), 0);
		cr_assert_eq(jint(row, "unanswered"), jint(row, "tcp_stalled"));
	}
	lab_done(&l);
}

Test(real_faults, tcp53_silent_findings)
{
	struct lab l;
	lab_run(&l, "tcp53_silent");
	long long tc = tc_retried_over_tcp(&l, "tcp_failed");
	json_t *arr = findings(&l);
	char *all = dump(arr);
	/* both CAs' validators: TCP/53 fails for them although nothing resets */
	double stalled = 0;
	const char *cas[] = {"letsencrypt", "digicert"};
	for (size_t k = 0; k < 2; k++) {
		json_t *f = find_finding(arr, "TCP53_REJECTED", "ca", cas[k]);
		cr_assert_not_null(f, "no TCP53_REJECTED finding for %s: %s", cas[k], all);
		cr_expect_str_eq(fstr(f, "severity"), "critical");
		cr_expect_eq(metric(f, "tcp_rejected") + metric(f, "tcp_filtered"), 0);
		cr_expect_eq(metric(f, "failed_share"), 1.0);
		stalled += metric(f, "tcp_stalled");
	}
	cr_expect_eq(stalled, (double)tc, "every stalled session of the validators");
	/* the sessions stall from the first one: no cap to infer */
	cr_expect_null(find_finding(arr, "SESSION_CAP", NULL, NULL), "%s", all);
	free(all);
	lab_done(&l);
}

/* --- REFUSED: named allow-query { !127.30.0.0/16; any; } ("apnic") ------- */

Test(real_faults, refused_analyze)
{
	struct lab l;
	lab_run(&l, "refused");
	long long refused = 0;
	size_t i;
	json_t *row;
	json_array_foreach(vstats(&l), i, row)
	{
		if (in_region(row, "apnic")) {
			cr_assert_gt(jint(row, "queries"), 0);
			cr_assert_eq(jint(row, "refused"), jint(row, "queries"));
			refused += jint(row, "refused");
		} else {
			cr_assert_eq(jint(row, "refused"), 0);
		}
	}
	cr_assert_eq(rcode_count(&l, "REFUSED"), refused);
	cr_assert_eq(jint(l.analyze, "transactions.unanswered"), 0);
	lab_done(&l);
}

Test(real_faults, refused_findings)
{
	struct lab l;
	lab_run(&l, "refused");
	json_t *arr = findings(&l);
	json_t *f = find_finding(arr, "REFUSED_TO_VALIDATORS", NULL, NULL);
	char *all = dump(arr);
	cr_assert_not_null(f, "no REFUSED_TO_VALIDATORS finding: %s", all);
	cr_expect(serious(f));
	/* both CAs' apnic perspectives are refused, nothing else */
	cr_expect_not_null(find_finding(arr, "REFUSED_TO_VALIDATORS", "ca", "letsencrypt"), "%s",
	                   all);
	cr_expect_not_null(find_finding(arr, "REFUSED_TO_VALIDATORS", "ca", "digicert"), "%s", all);
	cr_expect(!names_region(arr, "REFUSED_TO_VALIDATORS", "arin"), "%s", all);
	cr_expect(!names_region(arr, "REFUSED_TO_VALIDATORS", "ripe"), "%s", all);
	free(all);
	lab_done(&l);
}

/* The zone lab.example is configured but does not load: BIND answers SERVFAIL
 * for every name in it, the challenge and most of the CAA climb. */
Test(real_faults, servfail_findings)
{
	struct lab l;
	lab_run(&l, "servfail");
	cr_assert_gt(rcode_count(&l, "SERVFAIL"), 0, "the broken zone gave no SERVFAIL");
	json_t *arr = findings(&l);
	char *all = dump(arr);
	json_t *f = find_finding(arr, "SERVFAIL_TO_VALIDATORS", NULL, NULL);
	cr_assert_not_null(f, "no SERVFAIL_TO_VALIDATORS finding: %s", all);
	cr_expect(serious(f));
	cr_expect_not_null(strstr(fstr(f, "evidence"), "lab.example"),
	                   "the evidence names the failing names: %s", fstr(f, "evidence"));
	free(all);
	lab_done(&l);
}

/* _acme-challenge TXT served with TTL 3600: stale tokens stay cached. */
Test(real_faults, acme_ttl_findings)
{
	struct lab l;
	lab_run(&l, "acme_ttl");
	json_t *arr = findings(&l);
	char *all = dump(arr);
	json_t *f = find_finding(arr, "ACME_TXT_TTL_HIGH", NULL, NULL);
	cr_assert_not_null(f, "no ACME_TXT_TTL_HIGH finding: %s", all);
	cr_expect_not_null(strstr(fstr(f, "subject"), "a.b.lab.example"), "%s", fstr(f, "subject"));
	free(all);
	lab_done(&l);
}

/* No _acme-challenge record on this server: validators get NXDOMAIN. */
Test(real_faults, acme_missing_findings)
{
	struct lab l;
	lab_run(&l, "acme_missing");
	cr_assert_gt(rcode_count(&l, "NXDOMAIN"), 0, "the missing record gave no NXDOMAIN");
	json_t *arr = findings(&l);
	char *all = dump(arr);
	json_t *f = find_finding(arr, "ACME_TXT_MISSING", NULL, NULL);
	cr_assert_not_null(f, "no ACME_TXT_MISSING finding: %s", all);
	cr_expect_not_null(strstr(fstr(f, "subject"), "a.b.lab.example"), "%s", fstr(f, "subject"));
	free(all);
	lab_done(&l);
}
