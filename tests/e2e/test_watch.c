/*
 * test_watch.c - `dcvscope watch` end to end, as root, in the two-namespace
 * lab of tests/capture/live_lab.h (veth pair, a real knotd, dig): both
 * capture modes store exactly the queries sent, SIGTERM stores what was
 * counted so far and exits 0, SIGHUP keeps counting, --write-pcap files
 * give the same count and the same findings through `dcvscope analyze`,
 * and a flood of random sources keeps memory bounded with the evictions
 * counted.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <jansson.h>

#include "../capture/live_lab.h"
#include "pktbuild.h"
#include "rules.h"

/* Bound on the watch process's resident memory under the flood: its tables
 * are sized by --max-sources/--max-pending (FLOOD_ARGS), plus the database
 * queue and the capture buffers. Measured: about 64 MiB peak; the bound
 * leaves half again as much. */
#define FLOOD_RSS_MAX_KIB (96 * 1024)
#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer's shadow memory and quarantine: measured about 6x */
#undef FLOOD_RSS_MAX_KIB
#define FLOOD_RSS_MAX_KIB (6 * 96 * 1024)
#endif
#ifndef FLOOD_ARGS
#define FLOOD_ARGS "--capture ebpf --max-sources 4096 --max-pending 4096 --rules-s 0"
#endif
#define FLOOD_QUERIES 200000
#define FLOOD_SOURCES 100000

struct watch_proc {
	pid_t pid;
	char db[600], out[600], errlog[600];
};

/* Starts dcvscope watch in the server namespace with extra arguments. */
static void watch_start(struct live_lab *lab, struct watch_proc *w, const char *name,
                        const char *args)
{
	snprintf(w->db, sizeof(w->db), "%s/%s.db", lab->dir, name);
	snprintf(w->out, sizeof(w->out), "%s/%s.out", lab->dir, name);
	snprintf(w->errlog, sizeof(w->errlog), "%s/%s.err", lab->dir, name);
	char cmd[LAB_CMD_MAX];
	snprintf(cmd, sizeof(cmd),
	         "exec ip netns exec %s %s watch -i %s --config /dev/null --db %s --flush-s 1 "
	         "%s >%s 2>%s",
	         lab->ns_srv, DCV_BINARY, lab->if_srv, w->db, args, w->out, w->errlog);
	w->pid = fork();
	cr_assert_neq(w->pid, -1);
	if (w->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* ready when it says what it captures with */
	for (int i = 0; i < 100; i++) {
		char *log = test_read_file(w->errlog, NULL);
		int ready = log != NULL && strstr(log, "capturing on") != NULL;
		free(log);
		if (ready)
			return;
		if (waitpid(w->pid, NULL, WNOHANG) != 0) {
			char said[2048];
			log = test_read_file(w->errlog, NULL);
			snprintf(said, sizeof(said), "%s", log ? log : "(nothing)");
			free(log);
			cr_assert_fail("watch exited early; its stderr:\n%s", said);
		}
		usleep(100000);
	}
	cr_assert_fail("watch did not start capturing");
}

/* Waits for the watch process to end (at most limit_s); returns its exit status. */
static int watch_wait(struct watch_proc *w, int limit_s)
{
	int status = 0;
	for (int i = 0; i < limit_s * 10; i++) {
		if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
			w->pid = 0;
			char *log = test_read_file(w->errlog, NULL);
			cr_assert(log == NULL ||
			              (!strstr(log, "Sanitizer") && !strstr(log, "runtime error")),
			          "sanitizer report: %s", log);
			free(log);
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		usleep(100000);
	}
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
	cr_assert_fail("watch did not stop within %d s", limit_s);
	return -1;
}

static void watch_stop(struct watch_proc *w, int sig)
{
	cr_assert_eq(kill(w->pid, sig), 0);
}

/* One integer from an SQL query over the database. */
static long long sql_int(const char *db, const char *sql)
{
	char cmd[1024], *out = NULL;
	snprintf(cmd, sizeof(cmd), "sqlite3 %s \"%s\"", db, sql);
	cr_assert_eq(test_run(cmd, &out), 0, "%s failed", cmd);
	long long v = out && out[0] ? atoll(out) : -1;
	free(out);
	return v;
}

static void wait_child(pid_t child)
{
	int status;
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the query child failed");
}

static void check_live_run(const char *db, long long queries)
{
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM runs WHERE kind = 'live'"), 1);
	cr_assert_eq(sql_int(db, "SELECT count(*) FROM runs WHERE finished_ns IS NOT NULL"), 1,
	             "the live run is finished");
	cr_assert_eq(sql_int(db, "SELECT coalesce(sum(queries), 0) FROM source_stats"), queries,
	             "source_stats holds exactly the queries sent");
	cr_assert_eq(sql_int(db, "SELECT queries FROM runs"), queries);
	cr_assert_geq(sql_int(db, "SELECT count(*) FROM capture_intervals"), 1);
	cr_assert_eq(sql_int(db, "SELECT sum(ringbuf_dropped + kernel_dropped) FROM "
	                         "capture_intervals"),
	             0, "no capture losses at this rate");
}

static struct live_lab lab;

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void setup(void)
{
	lab_up(&lab);
}

static void teardown(void)
{
	lab_down(&lab);
}

TestSuite(watch, .init = setup, .fini = teardown, .timeout = 60);

static void counts_exactly(const char *mode)
{
	struct watch_proc w;
	char args[64];
	snprintf(args, sizeof(args), "--capture %s --duration-s 6", mode);
	watch_start(&lab, &w, mode, args);
	wait_child(lab_mix_start(&lab, 20, 10, 5));
	cr_assert_eq(watch_wait(&w, 20), 0);
	check_live_run(w.db, 35);
	char *log = test_read_file(w.errlog, NULL);
	char want[64];
	snprintf(want, sizeof(want), "capturing on %s with %s", lab.if_srv, mode);
	cr_assert(log && strstr(log, want), "the capture mode is logged: %s", log ? log : "");
	free(log);
	cr_assert_eq(sql_int(w.db, "SELECT sum(tcp_sessions) FROM source_stats"), 5);
}

Test(watch, ebpf_capture_stores_exactly_the_queries_sent)
{
	counts_exactly("ebpf");
}

Test(watch, pcap_capture_stores_exactly_the_queries_sent)
{
	counts_exactly("pcap");
}

/* Statistics reach the database while watch runs, also when the interface
 * has gone quiet (the analyzer's clock follows the wall clock), and
 * SIGTERM stores the rest and exits 0. */
Test(watch, quiet_intervals_are_flushed_and_sigterm_stores_the_rest)
{
	struct watch_proc w;
	watch_start(&lab, &w, "term", "--capture ebpf --bucket-s 1 --timeout-ms 500");
	lab_queries(&lab, LAB_SRV_V4, 30, 0, "term1");
	/* stored within bucket + timeout grace + clock lag + a flush interval
	 * (about 3.6 s), while watch keeps running */
	long long stored = 0;
	for (int i = 0; i < 80 && stored != 30; i++) {
		usleep(100000);
		stored = sql_int(w.db, "SELECT coalesce(sum(queries), 0) FROM source_stats");
	}
	cr_assert_eq(stored, 30, "a quiet interface's buckets are stored while running");
	cr_assert_eq(waitpid(w.pid, NULL, WNOHANG), 0, "still running");
	cr_assert_geq(sql_int(w.db, "SELECT count(*) FROM capture_intervals"), 1,
	              "intervals are flushed while running");
	cr_assert_eq(sql_int(w.db, "SELECT count(*) FROM runs WHERE finished_ns IS NULL"), 1);
	cr_assert_eq(sql_int(w.db, "SELECT queries FROM runs"), 30, "run progress");
	lab_queries(&lab, LAB_SRV_V6, 12, 0, "term2");
	watch_stop(&w, SIGTERM);
	cr_assert_eq(watch_wait(&w, 20), 0);
	check_live_run(w.db, 42);
}

/* enum bpf_attach_type values of Linux 6.6; Debian 12's UAPI headers
 * predate them */
#define ATTACH_TCX_INGRESS 46
#define ATTACH_TCX_EGRESS  47

/* Programs attached to the server's interface through tcx links, both
 * directions, counted inside the server namespace (a child joins it). */
static int server_tcx_programs(void)
{
	pid_t child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		char path[128];
		snprintf(path, sizeof(path), "/var/run/netns/%s", lab.ns_srv);
		int nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0)
			_exit(255);
		int ifindex = (int)if_nametoindex(lab.if_srv);
		if (ifindex <= 0)
			_exit(255);
		unsigned n = 0;
		for (int type = ATTACH_TCX_INGRESS; type <= ATTACH_TCX_EGRESS; type++) {
			uint32_t ids[16], cnt = 16, flags = 0;
			if (bpf_prog_query(ifindex, (enum bpf_attach_type)type, 0, &flags, ids,
			                   &cnt) == 0)
				n += cnt;
		}
		_exit((int)(n > 100 ? 100 : n));
	}
	int status;
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 255, "tcx query failed");
	return WEXITSTATUS(status);
}

/* SIGTERM in the middle of a stream of queries: every interval flushed
 * while running is in the database, back to back, the last one ends at the
 * stop, everything captured is stored, and no eBPF program, filter or clsact
 * qdisc stays on the interface. */
Test(watch, sigterm_under_load_keeps_every_interval_and_leaves_nothing_attached)
{
	struct watch_proc w;
	watch_start(&lab, &w, "load", "--capture ebpf --flush-s 1 --timeout-ms 500");
	cr_assert(server_tcx_programs() == 2 ||
	              lab_sh("ip netns exec %s tc filter show dev %s ingress | grep -q bpf",
	                     lab.ns_srv, lab.if_srv) == 0,
	          "the capture is attached (tcx links or tc filters)");
	/* far more queries than dig sends in the time before the stop */
	pid_t traffic = lab_mix_start(&lab, 30000, 10000, 40);
	usleep(2500000);
	cr_assert_eq(waitpid(traffic, NULL, WNOHANG), 0, "the load still runs at the stop");
	watch_stop(&w, SIGTERM);
	cr_assert_eq(watch_wait(&w, 20), 0);
	kill(traffic, SIGKILL);
	waitpid(traffic, NULL, 0);

	long long intervals = sql_int(w.db, "SELECT count(*) FROM capture_intervals");
	cr_assert_geq(intervals, 2, "one interval per flush while running (2.5 s at --flush-s 1)");
	cr_assert_eq(sql_int(w.db,
	                     "SELECT count(*) FROM capture_intervals a WHERE a.start_ns > "
	                     "(SELECT min(start_ns) FROM capture_intervals) AND NOT EXISTS "
	                     "(SELECT 1 FROM capture_intervals b WHERE b.end_ns = a.start_ns)"),
	             0, "the intervals follow each other without a gap");
	cr_assert_eq(sql_int(w.db,
	                     "SELECT count(*) FROM runs r WHERE r.finished_ns IS NOT NULL AND "
	                     "(SELECT max(end_ns) FROM capture_intervals) >= r.finished_ns - "
	                     "1000000000"),
	             1, "the last interval reaches the stop");
	long long queries = sql_int(w.db, "SELECT queries FROM runs");
	cr_assert_gt(queries, 0);
	cr_assert_eq(sql_int(w.db, "SELECT sum(queries) FROM source_stats"), queries,
	             "every query counted is stored");
	cr_assert_eq(sql_int(w.db, "SELECT sum(ringbuf_dropped + kernel_dropped) FROM "
	                           "capture_intervals"),
	             0);
	cr_assert_eq(server_tcx_programs(), 0, "no tcx program left attached");
	cr_assert_neq(lab_sh("ip netns exec %s tc qdisc show dev %s | grep -q clsact", lab.ns_srv,
	                     lab.if_srv),
	              0, "no clsact qdisc left behind");
	cr_assert_neq(lab_sh("ip netns exec %s tc filter show dev %s ingress | grep -q .",
	                     lab.ns_srv, lab.if_srv),
	              0, "no tc filter left behind");
}

/* SIGHUP re-reads the file and the validator ranges: 192.0.2.2 becomes a
 * listed digicert validator for the queries after the reload (the
 * analyzer's cached "unlisted" from before must be forgotten), and the
 * statistics before and after stay in one run. */
Test(watch, sighup_reloads_the_ranges_and_keeps_counting)
{
	struct watch_proc w;
	char conf[600], vfile[600], args[1400];
	snprintf(vfile, sizeof(vfile), "%s/validators.tsv", lab.dir);
	lab_write(vfile, "#@ format  ca-validators 1\n");
	snprintf(conf, sizeof(conf), "%s/watch.conf", lab.dir);
	lab_write(conf, "[watch]\ncapture = pcap\nrules-s = 0\n");
	snprintf(args, sizeof(args), "--config %s --validators %s --no-default-validators", conf,
	         vfile);
	watch_start(&lab, &w, "hup", args);
	lab_queries(&lab, LAB_SRV_V4, 10, 0, "hup1");
	cr_assert_eq(lab_sh("ip netns exec %s dig +tries=1 @%s _acme-challenge.before.example.com "
	                    "TXT >/dev/null",
	                    lab.ns_cli, LAB_SRV_V4),
	             0);
	lab_write(vfile, "#@ format  ca-validators 1\n#@ src t https://example.org/t\n"
	                 "digicert\t192.0.2.0/24\tprimary\tarin\t@t\t2026-08\tofficial\n");
	lab_write(conf, "[watch]\ncapture = pcap\nrules-s = 0\nflush-s = 2\n");
	watch_stop(&w, SIGHUP);
	int reloaded = 0;
	for (int i = 0; i < 50 && !reloaded; i++) {
		char *log = test_read_file(w.errlog, NULL);
		reloaded = log && strstr(log, "reloaded");
		free(log);
		if (!reloaded)
			usleep(100000);
	}
	cr_assert(reloaded, "the reload is logged");
	lab_queries(&lab, LAB_SRV_V6, 10, 0, "hup2");
	cr_assert_eq(lab_sh("ip netns exec %s dig +tries=1 @%s _acme-challenge.after.example.com "
	                    "TXT >/dev/null",
	                    lab.ns_cli, LAB_SRV_V4),
	             0);
	usleep(300000);
	watch_stop(&w, SIGTERM);
	cr_assert_eq(watch_wait(&w, 20), 0);
	check_live_run(w.db, 22);
	cr_assert_eq(sql_int(w.db, "SELECT count(*) FROM validator_sources WHERE source = "
	                           "'192.0.2.2' AND ca = 'digicert' AND confidence = 'listed'"),
	             1, "the reloaded ranges are used");
}

Test(watch, write_pcap_files_analyze_to_the_same_count)
{
	struct watch_proc w;
	char dir[600], args[700], cmd[2048];
	snprintf(dir, sizeof(dir), "%s/pcaps", lab.dir);
	snprintf(args, sizeof(args), "--capture ebpf --write-pcap %s --rotate-s 1", dir);
	watch_start(&lab, &w, "pcapw", args);
	lab_queries(&lab, LAB_SRV_V4, 20, 0, "pw1");
	usleep(1200000);
	lab_queries(&lab, LAB_SRV_V4, 20, 1, "pw2");
	usleep(300000);
	watch_stop(&w, SIGINT);
	cr_assert_eq(watch_wait(&w, 20), 0);
	check_live_run(w.db, 40);
	char *out = NULL;
	snprintf(cmd, sizeof(cmd), "ls %s/dcvscope-*Z*.pcap | wc -l", dir);
	cr_assert_eq(test_run(cmd, &out), 0);
	cr_assert_geq(atoi(out), 2, "rotated by time: %s", out);
	free(out);
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --no-progress --db %s/offline.db %s/*.pcap >/dev/null", DCV_BINARY,
	         lab.dir, dir);
	cr_assert_eq(test_run(cmd, NULL), 0);
	snprintf(cmd, sizeof(cmd), "%s/offline.db", lab.dir);
	cr_assert_eq(sql_int(cmd, "SELECT sum(queries) FROM source_stats"), 40);
	cr_assert_eq(sql_int(cmd, "SELECT sum(tcp_sessions) FROM source_stats"), 20);
}

/* Validator ranges that make the client (192.0.2.2) a listed "digicert"
 * validator; returns the file's path in v. */
static void write_digicert_ranges(char *v, size_t cap)
{
	snprintf(v, cap, "%s/v.tsv", lab.dir);
	lab_write(v, "#@ format  ca-validators 1\n#@ src t https://example.org/t\n"
	             "digicert\t192.0.2.0/24\tprimary\tarin\t@t\t2026-08\tofficial\n");
}

/* Validation-shaped queries over UDP that are answered, and TCP/53 to an
 * address without a listener, which resets it. */
static void tcp53_rejected_traffic(void)
{
	cr_assert_eq(lab_sh("ip -n %s addr add 192.0.2.9/24 dev %s", lab.ns_srv, lab.if_srv), 0);
	for (int i = 0; i < 4; i++)
		lab_sh("ip netns exec %s dig +tries=1 @%s _acme-challenge.www%d.example.com TXT "
		       ">/dev/null 2>&1; ip netns exec %s dig +tries=1 @%s www%d.example.com CAA "
		       ">/dev/null 2>&1",
		       lab.ns_cli, LAB_SRV_V4, i, lab.ns_cli, LAB_SRV_V4, i);
	for (int i = 0; i < 6; i++)
		lab_sh("ip netns exec %s dig +tcp +tries=1 +retry=0 +time=1 @192.0.2.9 "
		       "x%d.example.com >/dev/null 2>&1",
		       lab.ns_cli, i);
}

/* With a rules engine linked: TCP/53 reset for a listed CA's validator
 * (192.0.2.2 made a "digicert" range) while UDP works is reported as a new
 * TCP53_REJECTED finding on standard output. */
Test(watch, new_findings_are_printed_as_json_lines)
{
	if (rules_catalogue_size() == 0)
		cr_skip_test("this build has no rules engine (rules_run) yet");
	struct watch_proc w;
	char v[600], args[800];
	write_digicert_ranges(v, sizeof(v));
	snprintf(args, sizeof(args), "--rules-s 1 --duration-s 5 --timeout-ms 500 --validators %s",
	         v);
	watch_start(&lab, &w, "rules", args);
	tcp53_rejected_traffic();
	cr_assert_eq(watch_wait(&w, 20), 0);
	char *out = test_read_file(w.out, NULL);
	cr_assert(out && strstr(out, "{\"event\":\"finding_new\",\"rule\":\"TCP53_REJECTED\""),
	          "stdout: %s", out ? out : "");
	/* one line per change: the same finding is not reported new twice */
	cr_assert_null(strstr(strstr(out, "TCP53_REJECTED") + 1, "\"TCP53_REJECTED\""));
	free(out);
}

/* The findings of a JSON document (its "findings" array) as sorted
 * "rule kind subject" lines. */
static char *finding_keys(const char *json_text)
{
	json_error_t err;
	json_t *root = json_loads(json_text, 0, &err);
	cr_assert_not_null(root, "not JSON (%s): %s", err.text, json_text);
	json_t *arr = json_object_get(root, "findings"), *f;
	cr_assert(json_is_array(arr), "no findings array: %s", json_text);
	size_t n = json_array_size(arr), i;
	char **keys = calloc(n + 1, sizeof(*keys));
	cr_assert_not_null(keys);
	json_array_foreach(arr, i, f)
	{
		cr_assert_gt(asprintf(&keys[i], "%s %s %s\n",
		                      json_string_value(json_object_get(f, "rule")),
		                      json_string_value(json_object_get(f, "subject_kind")),
		                      json_string_value(json_object_get(f, "subject"))),
		             0);
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	size_t len = 1;
	for (i = 0; i < n; i++)
		len += strlen(keys[i]);
	char *all = calloc(1, len);
	cr_assert_not_null(all);
	for (i = 0; i < n; i++) {
		strcat(all, keys[i]);
		free(keys[i]);
	}
	free(keys);
	json_decref(root);
	return all;
}

/* The same analyzer path live and offline: the findings over what watch
 * stored equal the findings of `dcvscope analyze` over the frames watch
 * wrote with --write-pcap. */
Test(watch, findings_match_analyze_over_the_written_pcap)
{
	struct watch_proc w;
	char v[600], dir[600], args[1600], cmd[4096];
	write_digicert_ranges(v, sizeof(v));
	snprintf(dir, sizeof(dir), "%s/fpcaps", lab.dir);
	snprintf(args, sizeof(args),
	         "--rules-s 1 --duration-s 5 --timeout-ms 500 --validators %s --write-pcap %s", v,
	         dir);
	watch_start(&lab, &w, "fparity", args);
	tcp53_rejected_traffic();
	cr_assert_eq(watch_wait(&w, 20), 0);

	char *live = NULL, *offline = NULL;
	snprintf(cmd, sizeof(cmd), "%s rules --db %s --format json", DCV_BINARY, w.db);
	cr_assert_eq(test_run(cmd, &live), 0, "%s failed", cmd);
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --no-progress --timeout-ms 500 --validators %s --db %s/foff.db "
	         "--format json %s/*.pcap",
	         DCV_BINARY, v, lab.dir, dir);
	cr_assert_eq(test_run(cmd, &offline), 0, "%s failed", cmd);
	char *a = finding_keys(live), *b = finding_keys(offline);
	cr_assert(strstr(a, "TCP53_REJECTED ca digicert\n") != NULL, "live findings:\n%s", a);
	cr_assert_str_eq(a, b, "watch found:\n%s\nanalyze of its pcap found:\n%s", a, b);
	free(a);
	free(b);
	free(live);
	free(offline);
}

/* Sends FLOOD_QUERIES UDP queries from FLOOD_SOURCES random IPv4 sources as
 * raw Ethernet broadcast frames on the client's veth (child process). */
static int flood(struct live_lab *l)
{
	char path[128];
	snprintf(path, sizeof(path), "/var/run/netns/%s", l->ns_cli);
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0)
		return 1;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(l->if_cli), .sll_halen = 6};
	if (fd < 0 || sll.sll_ifindex == 0)
		return 1;
	static struct dnsb q;
	static uint8_t frame[2048];
	uint32_t rng = 12345;
	for (unsigned i = 0; i < FLOOD_QUERIES; i++) {
		rng = rng * 1103515245u + 12345u;
		uint32_t src = 0x0a000000u | ((rng >> 8) % FLOOD_SOURCES); /* 10.x.y.z */
		dnsb_init(&q, (uint16_t)i, 0);
		dnsb_question(&q, "flood.example.com", 1, 1);
		struct pb_packet p = {.linktype = PB_LINK_ETHERNET,
		                      .proto = 17,
		                      .sport = (uint16_t)(1024 + i % 60000),
		                      .dport = 53,
		                      .payload = q.buf,
		                      .payload_len = q.len};
		uint8_t a[4] = {(uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8),
		                (uint8_t)src};
		uint8_t d[4] = {192, 0, 2, 1};
		p.src = dcv_addr_v4(a);
		p.dst = dcv_addr_v4(d);
		size_t n = pb_build(&p, frame, sizeof(frame));
		memset(frame, 0xff, 6); /* broadcast: every tap sees it */
		if (n == 0 || sendto(fd, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			return 1;
		if (i % 2000 == 1999)
			usleep(2000); /* about 1M frames/s at most */
	}
	close(fd);
	return 0;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

Test(watch, flood_of_random_sources_keeps_memory_bounded_and_counts_evictions)
{
	struct watch_proc w;
	watch_start(&lab, &w, "flood", FLOOD_ARGS);
	pid_t child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(flood(&lab));
	}
	long peak = 0;
	int status = 0;
	while (waitpid(child, &status, WNOHANG) != child) {
		long r = rss_kib(w.pid);
		peak = r > peak ? r : peak;
		usleep(50000);
	}
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the flood child failed");
	for (int i = 0; i < 20; i++) {
		long r = rss_kib(w.pid);
		peak = r > peak ? r : peak;
		usleep(100000);
	}
	watch_stop(&w, SIGTERM);
	cr_assert_eq(watch_wait(&w, 30), 0);
	cr_assert_gt(peak, 0);
	cr_assert_lt(peak, FLOOD_RSS_MAX_KIB, "RSS peaked at %ld KiB", peak);
	long long q = sql_int(w.db, "SELECT queries FROM runs");
	long long lost = sql_int(w.db, "SELECT kernel_dropped FROM runs");
	cr_log_info("flood: peak RSS %ld KiB, %lld queries, %lld lost, %lld evictions", peak, q,
	            lost, sql_int(w.db, "SELECT evictions FROM runs"));
	cr_assert_geq(q + lost, FLOOD_QUERIES, "every query is counted or counted as lost");
	cr_assert_gt(sql_int(w.db, "SELECT evictions FROM runs"), 0, "evictions are counted");
	cr_assert_eq(sql_int(w.db, "SELECT sum(evictions) FROM capture_intervals"),
	             sql_int(w.db, "SELECT evictions FROM runs"));
	cr_assert_eq(sql_int(w.db, "SELECT sum(queries) FROM source_stats"), q);
}

/* ---- configuration file and command line (no capture needed) ---------- */

static int watch_cli(const char *conf_text, const char *args, char **err_out)
{
	const char *dir = test_tmpdir();
	char conf[600], errf[600], cmd[2048];
	snprintf(conf, sizeof(conf), "%s/c.conf", dir);
	snprintf(errf, sizeof(errf), "%s/c.err", dir);
	FILE *f = fopen(conf, "w");
	cr_assert_not_null(f);
	fputs(conf_text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s watch --config %s --db %s/c.db --capture pcap %s 2>%s",
	         DCV_BINARY, conf, dir, args, errf);
	int rc = test_run(cmd, NULL);
	*err_out = test_read_file(errf, NULL);
	return rc;
}

Test(watch_config, the_file_names_the_interface_and_the_command_line_overrides_it)
{
	char *err = NULL;
	cr_assert_eq(watch_cli("[watch]\ninterface = dcvnoif0\n", "", &err), 3);
	cr_assert(err && strstr(err, "dcvnoif0"), "%s", err ? err : "");
	free(err);
	cr_assert_eq(watch_cli("[watch]\ninterface = dcvnoif0\n", "-i dcvnoif1", &err), 3);
	cr_assert(err && strstr(err, "dcvnoif1") && !strstr(err, "dcvnoif0"), "%s", err ? err : "");
	free(err);
}

Test(watch_config, an_unknown_key_is_a_usage_error_with_its_line)
{
	char *err = NULL;
	cr_assert_eq(watch_cli("[watch]\ninterface = lo\nflush-sec = 3\n", "", &err), 2);
	cr_assert(err && strstr(err, "c.conf:3: unknown key 'flush-sec'"), "%s", err ? err : "");
	free(err);
	cr_assert_eq(watch_cli("[watch]\nflush-s = 0\n", "-i lo", &err), 2);
	cr_assert(err && strstr(err, "c.conf:2: flush-s needs 1..3600"), "%s", err ? err : "");
	free(err);
	cr_assert_eq(watch_cli("[other]\ninterface = lo\n", "", &err), 2);
	free(err);
}

Test(watch_config, a_missing_interface_is_a_usage_error)
{
	char *err = NULL;
	cr_assert_eq(watch_cli("# nothing\n", "", &err), 2);
	cr_assert(err && strstr(err, "no interface"), "%s", err ? err : "");
	free(err);
}
