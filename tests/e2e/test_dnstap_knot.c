/*
 * test_dnstap_knot.c - dnstap from a real Knot DNS against a packet capture
 * of the same traffic.
 *
 * In a private network namespace (dcvT<pid>, loopback only): tcpdump on lo,
 * knotd with mod-dnstap writing a Frame Streams file, and kdig sending
 * queries over UDP and TCP, IPv4 and IPv6, with NOERROR, NXDOMAIN and
 * REFUSED (a zone not served) answers. knotd is stopped cleanly first, which
 * closes the log with its STOP frame. Then `dcvscope analyze --dnstap` over
 * the log must count exactly what `dcvscope analyze` counts over the
 * capture: queries, responses, rcodes, UDP/TCP and IPv4/IPv6 splits,
 * answered transactions; and the dnstap run has no TCP sessions and no
 * TCP-session findings. A second test has knotd write to the unix socket of
 * `dcvscope watch --dnstap` instead (the live path) and checks the stored
 * run's counts. Needs root (network namespaces) and the packages
 * knot, knot-module-dnstap, knot-dnsutils and tcpdump. With DCV_KEEP_LAB
 * set, the lab directory (log, capture, configuration) is kept.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

#define CMD_MAX 4096

/* The queries: what kdig sends, and what each batch adds up to. */
#define Q_UDP4 6 /* www A, www AAAA, nope A (NXDOMAIN), foo.org A (REFUSED), @ CAA, ns1 A */
#define Q_TCP4                                                                                     \
	3 /* one connection (+keepopen): www A, gone A (NXDOMAIN), example.net A (REFUSED)         \
	   */
#define Q_UDP6     2 /* www AAAA, x.y.example.com TXT (NXDOMAIN) */
#define Q_TCP6     2 /* two connections: www A, @ SOA */
#define Q_ALL      (Q_UDP4 + Q_TCP4 + Q_UDP6 + Q_TCP6)
#define N_NXDOMAIN 3
#define N_REFUSED  2

struct tap_lab {
	char ns[32];
	char dir[512];
	pid_t knotd, tcpdump;
	bool ns_up;
};

static struct tap_lab lab;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[CMD_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Starts argv inside the namespace; the child dies with the test process. */
static pid_t spawn_in_ns(const char *const *argv, const char *log)
{
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (log != NULL && freopen(log, "w", stderr) == NULL)
			_exit(126);
		const char *full[16] = {"ip", "netns", "exec", lab.ns};
		size_t n = 4;
		for (size_t i = 0; argv[i] != NULL && n < 15; i++)
			full[n++] = argv[i];
		full[n] = NULL;
		execvp("ip", (char *const *)full);
		_exit(127);
	}
	return pid;
}

/* Signals pid and waits for it (SIGKILL after 5 s). Returns its status. */
static int stop_pid(pid_t *pid, int sig)
{
	int status = -1;
	if (*pid <= 0)
		return -1;
	kill(*pid, sig);
	for (int i = 0; i < 50; i++) {
		if (waitpid(*pid, &status, WNOHANG) == *pid) {
			*pid = 0;
			return status;
		}
		usleep(100000);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, &status, 0);
	*pid = 0;
	return -1;
}

static void write_text(const char *name, const char *text)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", lab.dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void lab_fini(void)
{
	stop_pid(&lab.knotd, SIGTERM);
	stop_pid(&lab.tcpdump, SIGINT);
	if (lab.ns_up)
		sh("ip netns del %s 2>/dev/null", lab.ns);
	lab.ns_up = false;
	if (lab.dir[0] && getenv("DCV_KEEP_LAB") == NULL)
		sh("rm -rf '%s'", lab.dir);
	lab.dir[0] = '\0';
}

static void lab_init(void)
{
	cr_assert_eq(geteuid(), 0, "the dnstap end-to-end test needs root (a network namespace)");
	cr_assert_eq(sh("command -v knotd kdig tcpdump >/dev/null"), 0,
	             "needs knotd, kdig and tcpdump (packages knot, knot-dnsutils, tcpdump)");
	memset(&lab, 0, sizeof(lab));
	snprintf(lab.ns, sizeof(lab.ns), "dcvT%d", (int)getpid());
	snprintf(lab.dir, sizeof(lab.dir), "%s", test_tmpdir());
	sh("ip netns del %s 2>/dev/null", lab.ns);
	cr_assert_eq(sh("ip netns add %s && ip -n %s link set lo up", lab.ns, lab.ns), 0);
	lab.ns_up = true;
}

TestSuite(dnstap_knot, .init = lab_init, .fini = lab_fini, .timeout = 120);

/* Waits until the capture file has its header: tcpdump is capturing. */
static void wait_tcpdump(const char *pcap)
{
	struct stat st;
	for (int i = 0; i < 100; i++) {
		if (stat(pcap, &st) == 0 && st.st_size >= 24) {
			usleep(200000);
			return;
		}
		usleep(50000);
	}
	cr_assert_fail("tcpdump did not start capturing (%s)", pcap);
}

static int kdig(const char *args)
{
	return sh("ip netns exec %s kdig +retry=0 +timeout=2 %s >/dev/null 2>&1", lab.ns, args);
}

/* Waits until knotd answers over TCP: refused connections carry no DNS
 * message, so they show in neither the log nor the DNS counts. */
static void wait_knotd(void)
{
	for (int i = 0; i < 50; i++) {
		if (kdig("+tcp @127.0.0.1 ns1.example.com A") == 0)
			return;
		usleep(100000);
	}
	cr_assert_fail("knotd does not answer");
}

static json_t *analyze(const char *args, const char *db)
{
	char cmd[CMD_MAX];
	char *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s analyze --db %s/%s --no-progress --format json %s",
	         DCV_BINARY, lab.dir, db, args);
	int rc = test_run(cmd, &out);
	cr_assert_eq(rc, 0, "%s exited %d", cmd, rc);
	json_error_t err;
	json_t *j = json_loads(out, 0, &err);
	cr_assert_not_null(j, "%s: not JSON (%s): %.300s", cmd, err.text, out);
	free(out);
	return j;
}

static int64_t num(json_t *j, const char *obj, const char *key)
{
	json_t *o = obj ? json_object_get(j, obj) : j;
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_integer(v), "%s.%s is not an integer", obj ? obj : "", key);
	return json_integer_value(v);
}

static bool has_finding(json_t *j, const char *rule)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(j, "findings"), i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "rule")), rule) == 0)
			return true;
	}
	return false;
}

/* Writes the zone and a knot.conf whose mod-dnstap writes to sink (a file
 * path, or unix:PATH); returns the configuration's path (static). */
static const char *write_knot_conf(const char *sink)
{
	static char conf[700];
	char text[4096];
	snprintf(conf, sizeof(conf), "%s/knot.conf", lab.dir);
	write_text("example.com.zone", "$ORIGIN example.com.\n$TTL 300\n"
	                               "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
	                               "@ IN NS ns1\n@ IN CAA 0 issue \"ca.example.net\"\n"
	                               "ns1 IN A 127.0.0.1\nwww IN A 192.0.2.80\n"
	                               "www IN AAAA 2001:db8::80\n");
	snprintf(text, sizeof(text),
	         "server:\n    listen: [ 127.0.0.1@53, ::1@53 ]\n    rundir: %s\n"
	         "    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
	         "database:\n    storage: %s\nlog:\n  - target: stderr\n    any: error\n"
	         "mod-dnstap:\n  - id: tap\n    sink: %s\n    log-queries: on\n"
	         "    log-responses: on\n"
	         "template:\n  - id: default\n    global-module: mod-dnstap/tap\n"
	         "zone:\n  - domain: example.com\n    file: %s/example.com.zone\n"
	         "    journal-content: none\n",
	         lab.dir, lab.dir, sink, lab.dir);
	write_text("knot.conf", text);
	return conf;
}

static void start_knotd(const char *conf)
{
	char klog[700];
	snprintf(klog, sizeof(klog), "%s/knotd.log", lab.dir);
	const char *knotd[] = {"knotd", "-c", conf, NULL};
	lab.knotd = spawn_in_ns(knotd, klog);
	wait_knotd(); /* one TCP query: ns1 A, NOERROR */
}

/* The queries of the Q_* batches. */
static void send_queries(void)
{
	cr_assert_eq(kdig("@127.0.0.1 www.example.com A www.example.com AAAA nope.example.com A "
	                  "foo.org A example.com CAA ns1.example.com A"),
	             0);
	cr_assert_eq(kdig("+tcp +keepopen @127.0.0.1 www.example.com A gone.example.com A "
	                  "example.net A"),
	             0);
	cr_assert_eq(kdig("@::1 www.example.com AAAA x.y.example.com TXT"), 0);
	cr_assert_eq(kdig("+tcp @::1 www.example.com A"), 0);
	cr_assert_eq(kdig("+tcp @::1 example.com SOA"), 0);
}

Test(dnstap_knot, dnstap_log_counts_exactly_what_the_capture_shows)
{
	char pcap[700], tap[700];
	snprintf(pcap, sizeof(pcap), "%s/lo.pcap", lab.dir);
	snprintf(tap, sizeof(tap), "%s/knot.tap", lab.dir);
	const char *conf = write_knot_conf(tap);

	/* the capture first, so that it sees every message the log will hold */
	const char *tcpdump[] = {"tcpdump", "-i",   "lo", "-n", "--immediate-mode", "-U", "-w",
	                         pcap,      "port", "53", NULL};
	char tlog[700];
	snprintf(tlog, sizeof(tlog), "%s/tcpdump.log", lab.dir);
	lab.tcpdump = spawn_in_ns(tcpdump, tlog);
	wait_tcpdump(pcap);
	start_knotd(conf);
	send_queries();

	/* knotd first: a clean stop writes the log's STOP frame; then the
	 * capture (immediate mode: nothing waits in a buffer block) */
	cr_assert_eq(stop_pid(&lab.knotd, SIGTERM), 0, "knotd did not stop cleanly");
	usleep(500000);
	stop_pid(&lab.tcpdump, SIGINT);

	char args[1600];
	snprintf(args, sizeof(args), "--dnstap %s", tap);
	json_t *d = analyze(args, "dnstap.db");
	json_t *p = analyze(pcap, "pcap.db");

	/* the log is whole and every message in it was used */
	json_t *dt = json_object_get(d, "dnstap");
	cr_assert(json_is_object(dt), "no dnstap object");
	int64_t all = Q_ALL + 1; /* + the readiness query */
	cr_assert_eq(num(dt, NULL, "messages"), 2 * all);
	cr_assert_eq(num(dt, NULL, "analyzed"), 2 * all);
	cr_assert_eq(num(json_object_get(dt, "by_type"), NULL, "AUTH_QUERY"), all);
	cr_assert_eq(num(json_object_get(dt, "by_type"), NULL, "AUTH_RESPONSE"), all);
	cr_assert_eq(num(dt, NULL, "malformed") + num(dt, NULL, "missing_fields") +
	                 num(dt, NULL, "type_not_used") + num(dt, NULL, "invalid"),
	             0);
	cr_assert(json_is_true(json_object_get(json_object_get(d, "run"), "complete")));
	cr_assert(json_is_null(json_object_get(p, "dnstap")), "a capture run has no dnstap object");

	/* exact counts, and the same in both */
	cr_assert_eq(num(d, "dns", "queries"), all);
	cr_assert_eq(num(d, "dns", "responses"), all);
	cr_assert_eq(num(d, "dns", "tcp"), 2 * (Q_TCP4 + Q_TCP6 + 1));
	cr_assert_eq(num(d, "dns", "udp"), 2 * (Q_UDP4 + Q_UDP6));
	cr_assert_eq(num(d, "dns", "ipv6"), 2 * (Q_UDP6 + Q_TCP6));
	cr_assert_eq(num(d, "rcodes", "NXDOMAIN"), N_NXDOMAIN);
	cr_assert_eq(num(d, "rcodes", "REFUSED"), N_REFUSED);
	cr_assert_eq(num(d, "rcodes", "NOERROR"), all - N_NXDOMAIN - N_REFUSED);
	static const char *dns_keys[] = {"messages", "queries", "responses", "udp",         "tcp",
	                                 "ipv4",     "ipv6",    "malformed", "queries_edns"};
	for (size_t i = 0; i < sizeof(dns_keys) / sizeof(dns_keys[0]); i++)
		cr_assert_eq(num(d, "dns", dns_keys[i]), num(p, "dns", dns_keys[i]),
		             "dns.%s: dnstap %lld, capture %lld", dns_keys[i],
		             (long long)num(d, "dns", dns_keys[i]),
		             (long long)num(p, "dns", dns_keys[i]));
	cr_assert(json_equal(json_object_get(d, "rcodes"), json_object_get(p, "rcodes")),
	          "rcodes differ");
	static const char *txn_keys[] = {"answered", "unanswered", "unmatched_responses",
	                                 "retransmits"};
	for (size_t i = 0; i < sizeof(txn_keys) / sizeof(txn_keys[0]); i++)
		cr_assert_eq(num(d, "transactions", txn_keys[i]),
		             num(p, "transactions", txn_keys[i]), "transactions.%s", txn_keys[i]);
	cr_assert_eq(num(d, "transactions", "answered"), all);
	cr_assert_eq(num(d, NULL, "source_count"), num(p, NULL, "source_count"));

	/* the capture saw TCP sessions; dnstap has none to show, and no
	 * TCP-session rule fires from their absence */
	cr_assert_geq(num(p, "tcp", "sessions"), Q_TCP6 + 2);
	cr_assert_eq(num(d, "tcp", "sessions"), 0);
	cr_assert_eq(num(d, "tcp", "connections"), 0);
	cr_assert_not_null(json_object_get(json_object_get(dt, "unavailable"), "tcp_sessions"));
	cr_assert(!has_finding(d, "SESSION_CAP") && !has_finding(d, "TCP53_REJECTED"));
	json_decref(d);
	json_decref(p);
}

/* One number from the watch database (sqlite3 prints it). */
static int64_t db_number(const char *db, const char *sql)
{
	char cmd[CMD_MAX];
	char *out = NULL;
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"%s\"", db, sql);
	cr_assert_eq(test_run(cmd, &out), 0, "%s", cmd);
	int64_t v = strtoll(out, NULL, 10);
	free(out);
	return v;
}

/* `dcvscope watch --dnstap unix:PATH` takes the same messages live from
 * knotd's dnstap writer (Frame Streams handshake on the socket). */
Test(dnstap_knot, watch_takes_the_live_dnstap_socket)
{
	char sock[700], db[700], wlog[700];
	snprintf(sock, sizeof(sock), "%s/tap.sock", lab.dir);
	snprintf(db, sizeof(db), "%s/watch.db", lab.dir);
	snprintf(wlog, sizeof(wlog), "%s/watch.log", lab.dir);
	char wout[700], wconf[700];
	snprintf(wout, sizeof(wout), "%s/watch.out", lab.dir);
	snprintf(wconf, sizeof(wconf), "%s/watch.conf", lab.dir);
	write_text("watch.conf", "[watch]\n"); /* nothing from /etc/dcvscope */
	char dnstap_arg[720];
	snprintf(dnstap_arg, sizeof(dnstap_arg), "unix:%s", sock);
	pid_t watch = fork();
	cr_assert_neq(watch, -1);
	if (watch == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (freopen(wlog, "w", stderr) == NULL || freopen(wout, "w", stdout) == NULL)
			_exit(126);
		execl(DCV_BINARY, "dcvscope", "watch", "--dnstap", dnstap_arg, "--db", db,
		      "--config", wconf, "--rules-s", "0", "--flush-s", "1", (char *)NULL);
		_exit(127);
	}
	struct stat st;
	for (int i = 0; i < 100 && stat(sock, &st) != 0; i++)
		usleep(50000);
	cr_assert_eq(stat(sock, &st), 0, "watch did not create %s", sock);

	char sink[720];
	snprintf(sink, sizeof(sink), "unix:%s", sock);
	start_knotd(write_knot_conf(sink));
	send_queries();
	/* knotd's clean stop sends STOP; then watch stores everything and exits 0 */
	cr_assert_eq(stop_pid(&lab.knotd, SIGTERM), 0, "knotd did not stop cleanly");
	usleep(500000);
	cr_assert_eq(stop_pid(&watch, SIGINT), 0, "watch did not exit 0 (see %s)", wlog);
	cr_assert_eq(access(sock, F_OK), -1, "watch removes its socket");

	int64_t all = Q_ALL + 1;
	cr_assert_eq(
	    db_number(db, "SELECT count(*) FROM runs WHERE kind = 'live' AND complete = 1"), 1);
	cr_assert_eq(db_number(db, "SELECT queries FROM runs"), all);
	cr_assert_eq(db_number(db, "SELECT responses FROM runs"), all);
	cr_assert_eq(db_number(db, "SELECT sum(queries_tcp) FROM source_stats"),
	             Q_TCP4 + Q_TCP6 + 1);
	cr_assert_eq(db_number(db, "SELECT sum(queries_udp) FROM source_stats"), Q_UDP4 + Q_UDP6);
	cr_assert_eq(db_number(db, "SELECT sum(nxdomain) FROM source_stats"), N_NXDOMAIN);
	cr_assert_eq(db_number(db, "SELECT sum(refused) FROM source_stats"), N_REFUSED);
	cr_assert_eq(db_number(db, "SELECT sum(unanswered) FROM source_stats"), 0);
	cr_assert_eq(db_number(db, "SELECT sum(tcp_sessions) FROM source_stats"), 0);
	char *log = test_read_file(wlog, NULL);
	cr_assert_not_null(log);
	cr_assert_not_null(strstr(log, "with dnstap (unix:"), "%s", log);
	char expect[96];
	snprintf(expect, sizeof(expect),
	         "dnstap: %lld messages, %lld analyzed, 0 of types not used", (long long)(2 * all),
	         (long long)(2 * all));
	cr_assert_not_null(strstr(log, expect), "%s", log);
	free(log);
}
