/*
 * test_gen.c - dcvscope-gen: determinism, packet counts against --expect,
 * internal consistency of the expectations, CLI exit codes, and frame-level
 * details of the edge and tcp-sessions scenarios (checked with libpcap and
 * tshark, independently of the project's decoder).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define SMALL_BENCH 20000 /* packets: enough for every bench event kind */
#define SMALL_MANY  20000 /* queries */

/* Runs dcvscope-gen with args; returns its exit status. */
static int gen(const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null", DCV_GEN_BINARY, args);
	return test_run(cmd, NULL);
}

/* Generates scenario into dir/name.pcap and dir/name.json; returns the parsed JSON. */
static json_t *gen_with_expect(const char *dir, const char *scenario, const char *extra, char *pcap,
                               size_t pcaplen)
{
	char json[512], args[1024];
	snprintf(pcap, pcaplen, "%s/%s.pcap", dir, scenario);
	snprintf(json, sizeof(json), "%s/%s.json", dir, scenario);
	snprintf(args, sizeof(args), "%s -o %s --expect %s %s", scenario, pcap, json, extra);
	cr_assert_eq(gen(args), 0, "dcvscope-gen %s failed", args);
	json_error_t err;
	json_t *root = json_load_file(json, 0, &err);
	cr_assert_not_null(root, "%s: %s", json, err.text);
	return root;
}

static long long jint(json_t *root, const char *obj, const char *key)
{
	json_t *o = obj ? json_object_get(root, obj) : root;
	cr_assert_not_null(o, "missing object %s", obj);
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_integer(v), "missing integer %s.%s", obj ? obj : "", key);
	return json_integer_value(v);
}

struct pcap_summary {
	long long packets;
	long long cut; /* frames with caplen < len */
	int linktype;
	unsigned cut_caplen;
};

static struct pcap_summary read_pcap(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_summary s = {0, 0, -1, 0};
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	cr_assert_not_null(p, "%s", err);
	s.linktype = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t last_ts = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
		cr_assert_geq(ts, last_ts, "frame %lld goes back in time", s.packets + 1);
		last_ts = ts;
		s.packets++;
		if (h->caplen < h->len) {
			s.cut++;
			s.cut_caplen = h->caplen;
		}
	}
	pcap_close(p);
	return s;
}

static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = test_read_file(a, &la), *y = test_read_file(b, &lb);
	cr_assert(x && y);
	bool same = la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

static const char *const scenarios[] = {"demo", "bench --packets 20000",
                                        "many-sources --packets 20000", "tcp-sessions", "edge"};

Test(gen, same_seed_gives_byte_identical_files_and_another_seed_does_not)
{
	const char *dir = test_tmpdir();
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		char a[512], b[512], c[512], args[1024];
		snprintf(a, sizeof(a), "%s/a%zu.pcap", dir, i);
		snprintf(b, sizeof(b), "%s/b%zu.pcap", dir, i);
		snprintf(c, sizeof(c), "%s/c%zu.pcap", dir, i);
		snprintf(args, sizeof(args), "%s --seed 7 -o %s", scenarios[i], a);
		cr_assert_eq(gen(args), 0);
		snprintf(args, sizeof(args), "%s --seed 7 -o %s", scenarios[i], b);
		cr_assert_eq(gen(args), 0);
		snprintf(args, sizeof(args), "%s --seed 8 -o %s", scenarios[i], c);
		cr_assert_eq(gen(args), 0);
		cr_assert(same_file(a, b), "%s: same seed, different files", scenarios[i]);
		cr_assert_not(same_file(a, c), "%s: seeds 7 and 8 give the same file",
		              scenarios[i]);
	}
}

Test(gen, every_scenario_reads_back_with_the_expected_packet_count_and_consistent_counts)
{
	const char *dir = test_tmpdir();
	static const char *const names[] = {"demo", "bench", "many-sources", "tcp-sessions",
	                                    "edge"};
	static const char *const extra[] = {"", "--packets 20000", "--packets 20000", "", ""};
	for (size_t i = 0; i < 5; i++) {
		char pcap[512];
		json_t *e = gen_with_expect(dir, names[i], extra[i], pcap, sizeof(pcap));
		struct pcap_summary s = read_pcap(pcap);
		cr_assert_eq(s.linktype, DLT_EN10MB);
		cr_assert_eq(s.packets, jint(e, NULL, "packets"), "%s: %lld frames, expected %lld",
		             names[i], s.packets, jint(e, NULL, "packets"));
		cr_assert_eq(s.cut, jint(e, "frames", "snap_truncated"), "%s", names[i]);

		long long q = jint(e, "dns", "queries"), r = jint(e, "dns", "responses");
		cr_assert_gt(q, 0);
		cr_assert_eq(q + r, jint(e, "dns", "udp") + jint(e, "dns", "tcp"), "%s", names[i]);
		long long rc_sum = 0;
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(e, "rcodes"), k, v) rc_sum +=
		    json_integer_value(v);
		cr_assert_eq(rc_sum, r, "%s: rcodes do not add up to responses", names[i]);
		cr_assert_eq(jint(e, "transactions", "answered"), r, "%s", names[i]);
		cr_assert_eq(jint(e, "transactions", "answered") +
		                 jint(e, "transactions", "unanswered") +
		                 jint(e, "transactions", "retransmits"),
		             q, "%s: every query is one transaction or a retransmission", names[i]);
		json_t *sources = json_object_get(e, "sources");
		cr_assert(json_array_size(sources) > 0, "%s names no source", names[i]);
		json_decref(e);
	}
}

Test(gen, bench_writes_exactly_the_requested_packets_with_the_promised_mix)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *e = gen_with_expect(dir, "bench", "--packets 100001", pcap, sizeof(pcap));
	cr_assert_eq(read_pcap(pcap).packets, 100001);
	cr_assert_eq(jint(e, NULL, "packets"), 100001);
	long long q = jint(e, "dns", "queries");
	long long tcp_q = jint(e, "dns", "tcp") / 2;
	cr_assert(tcp_q * 100 > q * 7 && tcp_q * 100 < q * 13, "TCP share %lld of %lld", tcp_q, q);
	long long un = jint(e, "transactions", "unanswered");
	cr_assert(un * 100 > q * 1 && un * 100 < q * 4, "unanswered %lld of %lld", un, q);
	long long v6 = jint(e, "dns", "ipv6");
	cr_assert(v6 * 100 > (q * 2) * 15 && v6 * 100 < (q * 2) * 25, "IPv6 %lld", v6);
	cr_assert_gt(jint(e, "tcp", "sessions"), 0);
	json_decref(e);
}

/* Counts distinct IPv4/IPv6 sources of UDP packets to port 53 (Ethernet, no VLAN). */
static size_t distinct_query_sources(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	cr_assert_not_null(p);
	size_t cap = 1 << 16, n = 0;
	struct key {
		uint8_t b[17];
	} *set = calloc(cap, sizeof(*set));
	bool *used = calloc(cap, 1);
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(p, &h, &d) == 1) {
		struct key k = {{0}};
		size_t l4;
		if (d[12] == 0x08 && d[13] == 0x00) {
			k.b[0] = 4;
			memcpy(k.b + 1, d + 14 + 12, 4);
			l4 = 14 + 20;
		} else {
			k.b[0] = 6;
			memcpy(k.b + 1, d + 14 + 8, 16);
			l4 = 14 + 40;
		}
		if (d[l4 + 2] != 0 || d[l4 + 3] != 53)
			continue;
		uint32_t hsh = 2166136261u;
		for (int i = 0; i < 17; i++)
			hsh = (hsh ^ k.b[i]) * 16777619u;
		size_t i = hsh & (cap - 1);
		while (used[i] && memcmp(set[i].b, k.b, 17) != 0)
			i = (i + 1) & (cap - 1);
		if (!used[i]) {
			used[i] = true;
			set[i] = k;
			n++;
			cr_assert_lt(n, cap / 2);
		}
	}
	pcap_close(p);
	free(set);
	free(used);
	return n;
}

Test(gen, many_sources_sends_from_half_as_many_distinct_sources_as_queries)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *e = gen_with_expect(dir, "many-sources", "--packets 20000", pcap, sizeof(pcap));
	cr_assert_eq(jint(e, "dns", "queries"), 20000);
	cr_assert_eq(jint(e, NULL, "packets"), 40000);
	cr_assert_eq(distinct_query_sources(pcap), 10000);
	json_decref(e);
}

Test(gen, every_link_type_reads_back_with_its_dlt)
{
	const char *dir = test_tmpdir();
	static const struct {
		const char *name;
		int dlt;
	} types[] = {{"ethernet", DLT_EN10MB},
	             {"sll", DLT_LINUX_SLL},
	             {"sll2", DLT_LINUX_SLL2},
	             {"raw", DLT_RAW},
	             {"null", DLT_NULL}};
	long long packets = -1;
	for (size_t i = 0; i < 5; i++) {
		char pcap[512], args[1024];
		snprintf(pcap, sizeof(pcap), "%s/%s.pcap", dir, types[i].name);
		snprintf(args, sizeof(args), "tcp-sessions --linktype %s -o %s", types[i].name,
		         pcap);
		cr_assert_eq(gen(args), 0);
		struct pcap_summary s = read_pcap(pcap);
		cr_assert_eq(s.linktype, types[i].dlt, "%s", types[i].name);
		if (packets >= 0)
			cr_assert_eq(s.packets, packets);
		packets = s.packets;
		char cmd[1024], *out;
		snprintf(cmd, sizeof(cmd),
		         "tshark -n -r %s -Y 'dns.flags.response==0' 2>/dev/null | wc -l", pcap);
		cr_assert_eq(test_run(cmd, &out), 0);
		cr_assert_eq(atoi(out), 22, "%s: tshark sees %s queries", types[i].name, out);
		free(out);
	}
}

Test(gen, cli_exit_codes)
{
	const char *dir = test_tmpdir();
	char args[1024], *out;
	cr_assert_eq(gen("--help"), 0);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s --list", DCV_GEN_BINARY);
	cr_assert_eq(test_run(cmd, &out), 0);
	for (size_t i = 0; i < 5; i++) {
		char name[32];
		sscanf(scenarios[i], "%31s", name);
		cr_assert_not_null(strstr(out, name), "--list lacks %s", name);
	}
	free(out);
	cr_assert_eq(gen("demo"), 2, "missing -o is a usage error");
	snprintf(args, sizeof(args), "nosuch -o %s/x.pcap", dir);
	cr_assert_eq(gen(args), 2);
	snprintf(args, sizeof(args), "edge --linktype sll -o %s/x.pcap", dir);
	cr_assert_eq(gen(args), 2, "edge needs Ethernet");
	snprintf(args, sizeof(args), "demo --linktype token-ring -o %s/x.pcap", dir);
	cr_assert_eq(gen(args), 2);
	snprintf(args, sizeof(args), "bench --packets 0 -o %s/x.pcap", dir);
	cr_assert_eq(gen(args), 2);
	cr_assert_eq(gen("demo -o /nonexistent-dir/x.pcap"), 3);
	snprintf(args, sizeof(args), "edge -o %s/x.pcap --expect /nonexistent-dir/x.json", dir);
	cr_assert_eq(gen(args), 3);
}

/* Runs tshark over file with a display filter and returns the number of lines printed. */
static int tshark_count(const char *file, const char *opts, const char *filter, const char *fields)
{
	char cmd[2048], *out;
	snprintf(cmd, sizeof(cmd), "tshark -n %s -r %s -Y '%s' %s 2>/dev/null | wc -l", opts, file,
	         filter, fields ? fields : "");
	cr_assert_eq(test_run(cmd, &out), 0);
	int n = atoi(out);
	free(out);
	return n;
}

/* tshark output of fields for filter, one line per frame (malloc'd). */
static char *tshark_fields(const char *file, const char *opts, const char *filter,
                           const char *fields)
{
	char cmd[2048], *out;
	snprintf(cmd, sizeof(cmd), "tshark -n %s -r %s -Y '%s' -T fields %s 2>/dev/null", opts,
	         file, filter, fields);
	cr_assert_eq(test_run(cmd, &out), 0);
	return out;
}

Test(gen, edge_frames_carry_each_case_as_described)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *e = gen_with_expect(dir, "edge", "", pcap, sizeof(pcap));
	const char *ooo = "-o tcp.reassemble_out_of_order:TRUE";

	cr_assert_eq(tshark_count(pcap, "", "vlan", NULL), 4, "2 single-tagged + 2 QinQ frames");
	cr_assert_eq(tshark_count(pcap, "", "eth.type == 0x88a8 && vlan.id == 300 && dns", NULL),
	             2);
	cr_assert_eq(tshark_count(pcap, "",
	                          "ipv6.hopopts && ipv6.dstopts && udp.dstport == 53 && dns", NULL),
	             1);
	cr_assert_eq(tshark_count(pcap, "", "ip.flags.mf == 1 || ip.frag_offset > 0", NULL), 5);
	/* the fragments are written last first: the first fragment frame has the highest offset */
	char *offs = tshark_fields(pcap, "", "ip.src == 192.0.2.53 && ip.dst == 192.0.2.22",
	                           "-e ip.frag_offset");
	cr_assert_str_eq(offs, "128\n96\n64\n32\n0\n"); /* in 8-byte units */
	free(offs);
	cr_assert_eq(tshark_count(pcap, "", "dns.id == 0x0e04 && dns.flags.response == 1", NULL), 1,
	             "the reassembled answer");

	/* TCP: five queries, each seen once by tshark's reassembly */
	char *ids = tshark_fields(pcap, ooo, "ip.src == 192.0.2.30 && dns", "-e dns.id");
	cr_assert_str_eq(ids, "0x0a01\n0x0a02,0x0a03\n0x0a04\n0x0a05\n");
	free(ids);
	cr_assert_eq(tshark_count(pcap, "", "ip.src == 192.0.2.30 && tcp.len > 0", NULL), 8,
	             "3 + 1 + 1 (+1 retransmission) + 2 data segments");
	cr_assert_eq(tshark_count(pcap, "", "tcp.analysis.retransmission && tcp.len == 47", NULL),
	             1);

	cr_assert_eq(tshark_count(pcap, "", "icmp || ntp || arp", NULL), 6);
	cr_assert_eq(jint(e, "frames", "not_dns"), 6);
	cr_assert_eq(tshark_count(pcap, "", "dns.id == 0x0e05 && _ws.expert", NULL), 1,
	             "the pointer loop is flagged by tshark");
	cr_assert_eq(jint(e, "dns", "malformed"), 1);

	struct pcap_summary s = read_pcap(pcap);
	cr_assert_eq(s.cut, 1);
	cr_assert_eq(s.cut_caplen, 512);
	cr_assert_eq(jint(e, "dns", "queries"), 11, "the cut query still counts as a query");
	cr_assert_eq(jint(e, "transactions", "answered"), 11, "and its answer matches it");
	cr_assert_eq(jint(e, "dns", "tcp"), 10);
	json_decref(e);
}

Test(gen, tcp_sessions_follow_the_described_patterns)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *e = gen_with_expect(dir, "tcp-sessions", "", pcap, sizeof(pcap));

	/* X: 8 SYNs, all before its first FIN */
	char *flags = tshark_fields(pcap, "",
	                            "ip.addr == 192.0.2.101 && (tcp.flags.syn == 1 || "
	                            "tcp.flags.fin == 1) && ip.src == 192.0.2.101",
	                            "-e tcp.flags.syn");
	cr_assert_str_eq(flags, "1\n1\n1\n1\n1\n1\n1\n1\n0\n0\n0\n0\n0\n0\n0\n0\n");
	free(flags);
	/* Y: every SYN answered by RST */
	cr_assert_eq(tshark_count(pcap, "", "ip.src == 198.51.100.31 && tcp.flags.syn == 1", NULL),
	             3);
	cr_assert_eq(
	    tshark_count(pcap, "", "ip.dst == 198.51.100.31 && tcp.flags.reset == 1", NULL), 3);
	/* Z: 3 SYNs sent twice, nothing back */
	cr_assert_eq(tshark_count(pcap, "", "ip.src == 203.0.113.32 && tcp.flags.syn == 1", NULL),
	             6);
	cr_assert_eq(tshark_count(pcap, "", "ip.dst == 203.0.113.32", NULL), 0);
	/* W: the server sends the first FIN */
	char *fin =
	    tshark_fields(pcap, "", "ip.addr == 192.0.2.102 && tcp.flags.fin == 1", "-e ip.src");
	cr_assert_str_eq(fin, "192.0.2.53\n192.0.2.102\n");
	free(fin);
	/* M: picked up mid-stream: no SYN, the first frame carries a query */
	cr_assert_eq(tshark_count(pcap, "", "ip.addr == 192.0.2.103 && tcp.flags.syn == 1", NULL),
	             0);
	char *first = tshark_fields(pcap, "", "ip.addr == 192.0.2.103", "-e dns.flags.response");
	cr_assert(strncmp(first, "0\n", 2) == 0, "first frame of M: %s", first);
	free(first);

	cr_assert_eq(jint(e, "tcp", "sessions"), 11);
	cr_assert_eq(jint(e, "tcp", "rejected"), 3);
	cr_assert_eq(jint(e, "tcp", "filtered"), 3);
	json_t *x = json_array_get(json_object_get(e, "sources"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(x, "address")), "192.0.2.101");
	cr_assert_eq(json_integer_value(json_object_get(x, "max_concurrent_tcp")), 8);
	cr_assert_eq(tshark_count(pcap, "", "dns.flags.response == 0", NULL), 22);
	json_decref(e);
}

Test(gen, demo_contains_the_promised_situations)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *e = gen_with_expect(dir, "demo", "", pcap, sizeof(pcap));
	/* CAA tree climbing for a.b.c.example.com by one perspective within ~50 ms */
	char *caa = tshark_fields(
	    pcap, "", "ip.src == 198.51.100.10 && dns.qry.type == 257 && frame.time_relative < 3",
	    "-e dns.qry.name");
	cr_assert_str_eq(caa, "a.b.c.example.com\nb.c.example.com\nc.example.com\nexample.com\n");
	free(caa);
	cr_assert_eq(
	    tshark_count(
	        pcap, "",
	        "dns.qry.name == \"_acme-challenge.a.b.c.example.com\" && dns.flags.response == 0",
	        NULL),
	    12, "6 perspectives x 2 attempts");
	cr_assert_eq(tshark_count(pcap, "", "dns.flags.rcode == 5", NULL),
	             jint(e, "rcodes", "REFUSED"));
	cr_assert_eq(tshark_count(pcap, "", "dns.flags.rcode == 2", NULL),
	             jint(e, "rcodes", "SERVFAIL"));
	cr_assert_eq(tshark_count(pcap, "", "dns.flags.rcode == 3", NULL),
	             jint(e, "rcodes", "NXDOMAIN"));
	cr_assert_eq(tshark_count(pcap, "", "dns.id == 0x5a5a && dns.flags.response == 0", NULL), 2,
	             "the retransmitted query");
	cr_assert_eq(tshark_count(pcap, "", "ip.flags.mf == 1 || ip.frag_offset > 0", NULL),
	             jint(e, "frames", "fragments"));
	cr_assert_eq(tshark_count(pcap, "",
	                          "dns.qry.type == 48 && dns.flags.response == 1 && ip.frag_offset "
	                          "== 0 && ip.flags.mf == 0 && ip.src == 192.0.2.53 && ip.dst == "
	                          "192.0.2.12 && frame.len > 1500",
	                          NULL),
	             0);
	cr_assert_eq(jint(e, "tcp", "rejected"), 2);
	cr_assert_eq(jint(e, "tcp", "filtered"), 2);
	cr_assert_eq(jint(e, "transactions", "retransmits"), 1);
	cr_assert_gt(jint(e, "transactions", "unanswered"), 0);
	cr_assert_gt(jint(e, "dns", "ipv6"), 0);
	/* unanswered queries are at least 5 s before the end: the capture spans 20 s */
	struct pcap_summary s = read_pcap(pcap);
	cr_assert_eq(s.packets, jint(e, NULL, "packets"));
	json_decref(e);
}
