/*
 * test_gen_faults.c - dcvscope-gen fault-*: determinism, size and speed, the
 * --expect counts and findings, and each injected fault checked in the frames
 * themselves (and its absence from fault-clean and fault-busy). The frames
 * are read with libpcap and decoded here (Ethernet, IPv4, IPv6, UDP, TCP with
 * one DNS message per segment, DNS header, question and the first answer's
 * TTL), independent of the project's analyzer.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_support.h"

#define NS_PER_S        1000000000ULL
#define UNANSWERED_NS   (5 * NS_PER_S)
#define MATCH_WINDOW_NS (10 * NS_PER_S)
#define SERVER_V4       "192.0.2.53"
#define SERVER_V6       "2001:db8::53"
#define ADDR_TEXT       46
#define NAME_TEXT       256
#define MAX_PACKETS     200000
#define RATE_CAP        50
#define BUSY_TCP_MAX    12

enum {
	QT_TXT = 16,
	QT_CAA = 257,
	RC_NOERROR = 0,
	RC_SERVFAIL = 2,
	RC_NXDOMAIN = 3,
	RC_REFUSED = 5
};
enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_ACK = 0x10 };

static const char *const scenarios[] = {"clean",
                                        "busy",
                                        "session-cap",
                                        "session-cap-150",
                                        "session-cap-backlog",
                                        "session-cap-drop",
                                        "session-cap-stall",
                                        "tcp53-rejected",
                                        "tc-without-tcp",
                                        "region-silence",
                                        "region-refused",
                                        "rate-limit",
                                        "servfail-caa",
                                        "acme-missing",
                                        "acme-ttl",
                                        "caa-burst"};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* ------------------------------------------------------- generation */

/* Runs dcvscope-gen fault-<name>; returns the expect JSON. */
static json_t *gen_fault(const char *dir, const char *name, const char *tag, const char *extra,
                         char *pcap, size_t cap)
{
	char json[512], cmd[2048];
	snprintf(pcap, cap, "%s/%s.pcap", dir, tag);
	snprintf(json, sizeof(json), "%s/%s.json", dir, tag);
	snprintf(cmd, sizeof(cmd), "%s fault-%s -o %s --expect %s %s", DCV_GEN_BINARY, name, pcap,
	         json, extra);
	cr_assert_eq(test_run(cmd, NULL), 0, "%s failed", cmd);
	json_error_t err;
	json_t *root = json_load_file(json, 0, &err);
	cr_assert_not_null(root, "%s: %s", json, err.text);
	return root;
}

static long long jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_integer(v), "missing integer %s", key);
	return json_integer_value(v);
}

/* ------------------------------------------------------- frame decoding */

struct rec {
	uint64_t ts;
	char src[ADDR_TEXT], dst[ADDR_TEXT];
	bool tcp;
	uint16_t sport, dport;
	uint8_t flags;
	bool dns;
	uint16_t id, qtype, ancount;
	bool qr, tc;
	uint8_t rcode;
	uint32_t ttl; /* first answer record's TTL (ancount > 0) */
	char qname[NAME_TEXT];
};

struct cap {
	struct rec *r;
	size_t n;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Uncompressed name at *off (lowercased into out when out != NULL). */
static bool name_text(const uint8_t *p, size_t len, size_t *off, char *out)
{
	size_t o = *off, w = 0;
	for (;;) {
		if (o >= len)
			return false;
		uint8_t l = p[o++];
		if (l == 0)
			break;
		if (l > 63 || o + l > len || w + l + 2 > NAME_TEXT)
			return false;
		if (out && w)
			out[w++] = '.';
		for (uint8_t i = 0; i < l && out; i++) {
			char c = (char)p[o + i];
			out[w++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		o += l;
	}
	if (out)
		out[w] = '\0';
	*off = o;
	return true;
}

static void parse_dns(struct rec *r, const uint8_t *p, size_t len)
{
	if (len < 12 || rd16(p + 4) != 1)
		return;
	size_t off = 12;
	if (!name_text(p, len, &off, r->qname) || off + 4 > len)
		return;
	r->dns = true;
	r->id = rd16(p);
	r->qr = p[2] & 0x80;
	r->tc = p[2] & 0x02;
	r->rcode = p[3] & 0x0f;
	r->ancount = rd16(p + 6);
	r->qtype = rd16(p + off);
	off += 4;
	if (r->ancount && name_text(p, len, &off, NULL) && off + 10 <= len)
		r->ttl = (uint32_t)rd16(p + off + 4) << 16 | rd16(p + off + 6);
}

static struct cap read_capture(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	cr_assert_not_null(pc, "%s", err);
	struct cap c = {NULL, 0};
	size_t cap = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (c.n == cap) {
			cap = cap ? 2 * cap : 65536;
			c.r = realloc(c.r, cap * sizeof(*c.r));
			cr_assert_not_null(c.r);
		}
		struct rec *r = &c.r[c.n++];
		memset(r, 0, sizeof(*r));
		r->ts = (uint64_t)h->ts.tv_sec * NS_PER_S + (uint64_t)h->ts.tv_usec;
		size_t len = h->caplen, l4;
		uint8_t proto;
		if (len < 14)
			continue;
		uint16_t et = rd16(d + 12);
		if (et == 0x0800) {
			const uint8_t *ip = d + 14;
			if ((rd16(ip + 6) & 0x1fff) != 0)
				continue; /* a later fragment */
			inet_ntop(AF_INET, ip + 12, r->src, ADDR_TEXT);
			inet_ntop(AF_INET, ip + 16, r->dst, ADDR_TEXT);
			proto = ip[9];
			l4 = 14 + (size_t)(ip[0] & 15) * 4;
		} else if (et == 0x86dd) {
			const uint8_t *ip = d + 14;
			inet_ntop(AF_INET6, ip + 8, r->src, ADDR_TEXT);
			inet_ntop(AF_INET6, ip + 24, r->dst, ADDR_TEXT);
			proto = ip[6];
			l4 = 14 + 40;
		} else {
			continue;
		}
		if (proto == 17 && l4 + 8 <= len) {
			r->sport = rd16(d + l4);
			r->dport = rd16(d + l4 + 2);
			parse_dns(r, d + l4 + 8, len - l4 - 8);
		} else if (proto == 6 && l4 + 20 <= len) {
			r->tcp = true;
			r->sport = rd16(d + l4);
			r->dport = rd16(d + l4 + 2);
			r->flags = d[l4 + 13];
			size_t hl = (size_t)(d[l4 + 12] >> 4) * 4;
			if (l4 + hl + 2 < len && rd16(d + l4 + hl) == len - l4 - hl - 2)
				parse_dns(r, d + l4 + hl + 2, len - l4 - hl - 2);
		}
	}
	pcap_close(pc);
	return c;
}

static bool is_server(const char *a)
{
	return strcmp(a, SERVER_V4) == 0 || strcmp(a, SERVER_V6) == 0;
}

static bool is_query(const struct rec *r)
{
	return r->dns && !r->qr && is_server(r->dst);
}

static bool is_response(const struct rec *r)
{
	return r->dns && r->qr && is_server(r->src);
}

/* The response to query qi (same client, port, id, transport), or -1. */
static long find_response(const struct cap *c, size_t qi)
{
	const struct rec *q = &c->r[qi];
	for (size_t i = qi + 1; i < c->n && c->r[i].ts < q->ts + MATCH_WINDOW_NS; i++) {
		const struct rec *r = &c->r[i];
		if (r->dns && r->qr && r->tcp == q->tcp && r->id == q->id && r->dport == q->sport &&
		    strcmp(r->dst, q->src) == 0)
			return (long)i;
	}
	return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0 && (a == b || s[a - b - 1] == '.');
}

/* ------------------------------------------------------- validators from the expect file */

/* Region of a validator address in the expect file, NULL for other sources. */
static const char *validator_region(json_t *root, const char *addr)
{
	json_t *vs = json_object_get(root, "validators"), *v;
	size_t i;
	json_array_foreach(vs, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "address")), addr) == 0)
			return json_string_value(json_object_get(v, "region"));
	}
	return NULL;
}

/* ------------------------------------------------------- summaries of a capture */

struct summary {
	long queries, responses, rcodes[16], unanswered, late_unanswered;
	long rst, synack, syn_unanswered, tc;
};

static struct summary summarize(const struct cap *c)
{
	struct summary s;
	memset(&s, 0, sizeof(s));
	uint64_t end = c->n ? c->r[c->n - 1].ts : 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rec *r = &c->r[i];
		if (is_query(r)) {
			s.queries++;
			if (find_response(c, i) < 0) {
				s.unanswered++;
				if (r->ts + UNANSWERED_NS > end)
					s.late_unanswered++;
			}
		} else if (is_response(r)) {
			s.responses++;
			s.rcodes[r->rcode]++;
			s.tc += r->tc;
		}
		if (r->tcp && is_server(r->src) && (r->flags & TH_RST))
			s.rst++;
		if (r->tcp && is_server(r->src) &&
		    (r->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
			s.synack++;
	}
	return s;
}

/* Most established TCP sessions one client had open at once, and whether
 * every RST to it came while exactly that many were open. */
static unsigned max_concurrent(const struct cap *c, const char *client, bool *rst_at_max)
{
	unsigned open = 0, max = 0;
	uint16_t ports[1024];
	unsigned nports = 0;
	unsigned rst_open_min = ~0u, rst_open_max = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rec *r = &c->r[i];
		if (!r->tcp)
			continue;
		if (is_server(r->src) && strcmp(r->dst, client) == 0) {
			if ((r->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
				cr_assert_lt(nports, 1024);
				ports[nports++] = r->dport;
				open++;
				if (open > max)
					max = open;
			} else if (r->flags & TH_RST) {
				if (open < rst_open_min)
					rst_open_min = open;
				if (open > rst_open_max)
					rst_open_max = open;
			}
		} else if (strcmp(r->src, client) == 0 && (r->flags & TH_FIN)) {
			for (unsigned k = 0; k < nports; k++)
				if (ports[k] == r->sport) {
					ports[k] = ports[--nports];
					open--;
					break;
				}
		}
	}
	if (rst_at_max)
		*rst_at_max = rst_open_min == max && rst_open_max == max;
	return max;
}

struct resp_ts {
	char dst[ADDR_TEXT];
	uint64_t ts;
};

static int resp_cmp(const void *a, const void *b)
{
	const struct resp_ts *x = a, *y = b;
	int d = strcmp(x->dst, y->dst);
	if (d)
		return d;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Most responses any one client received within a sliding window of 1 s. */
static long max_responses_per_second(const struct cap *c, char *who)
{
	struct resp_ts *v = malloc(c->n * sizeof(*v));
	cr_assert_not_null(v);
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (is_response(&c->r[i])) {
			snprintf(v[n].dst, ADDR_TEXT, "%s", c->r[i].dst);
			v[n++].ts = c->r[i].ts;
		}
	qsort(v, n, sizeof(*v), resp_cmp);
	long best = 0;
	for (size_t i = 0, j = 0; i < n; i++) {
		if (i == 0 || strcmp(v[i].dst, v[i - 1].dst) != 0)
			j = i;
		while (v[i].ts - v[j].ts >= NS_PER_S)
			j++;
		if ((long)(i - j + 1) > best) {
			best = (long)(i - j + 1);
			if (who)
				snprintf(who, ADDR_TEXT, "%s", v[i].dst);
		}
	}
	free(v);
	return best;
}

/* ------------------------------------------------------- tests */

Test(gen_faults, same_seed_gives_identical_files_and_another_seed_differs)
{
	const char *dir = test_tmpdir();
	char a[512], b[512], c[512];
	json_decref(gen_fault(dir, "session-cap", "a", "--seed 7", a, sizeof(a)));
	json_decref(gen_fault(dir, "session-cap", "b", "--seed 7", b, sizeof(b)));
	json_decref(gen_fault(dir, "session-cap", "c", "--seed 8", c, sizeof(c)));
	size_t la, lb, lc;
	char *da = test_read_file(a, &la), *db = test_read_file(b, &lb),
	     *dc = test_read_file(c, &lc);
	cr_assert(da && db && dc);
	cr_assert(la == lb && memcmp(da, db, la) == 0, "same seed, different pcap");
	cr_assert(la != lc || memcmp(da, dc, la) != 0, "another seed, same pcap");
	free(da), free(db), free(dc);
	char ja[512], jb[512];
	snprintf(ja, sizeof(ja), "%s/a.json", dir);
	snprintf(jb, sizeof(jb), "%s/b.json", dir);
	char *xa = test_read_file(ja, &la), *xb = test_read_file(jb, &lb);
	cr_assert(xa && xb && la == lb && memcmp(xa, xb, la) == 0, "same seed, different expect");
	free(xa), free(xb);
}

/* Speed is the benchmarks' business (tools/bench), not a timed test's. */
Test(gen_faults, every_scenario_is_small_and_its_counts_match_the_frames)
{
	const char *dir = test_tmpdir();
	for (size_t k = 0; k < NSCEN; k++) {
		char pcap[512];
		json_t *root = gen_fault(dir, scenarios[k], scenarios[k], "", pcap, sizeof(pcap));
		struct cap c = read_capture(pcap);
		cr_assert_eq((long long)c.n, jint(root, "packets"), "%s packets", scenarios[k]);
		cr_assert_lt(c.n, MAX_PACKETS, "%s: %zu packets", scenarios[k], c.n);
		struct summary s = summarize(&c);
		json_t *dns = json_object_get(root, "dns"),
		       *tx = json_object_get(root, "transactions");
		json_t *tcp = json_object_get(root, "tcp"), *rc = json_object_get(root, "rcodes");
		cr_assert_eq(s.queries, jint(dns, "queries"), "%s queries", scenarios[k]);
		cr_assert_eq(s.responses, jint(dns, "responses"), "%s responses", scenarios[k]);
		cr_assert_eq(s.unanswered, jint(tx, "unanswered"), "%s unanswered", scenarios[k]);
		cr_assert_eq(s.late_unanswered, 0, "%s: unanswered within 5 s of the end",
		             scenarios[k]);
		cr_assert_eq(s.rst, jint(tcp, "rejected"), "%s rejected", scenarios[k]);
		static const char *const names[] = {"NOERROR", "SERVFAIL", "NXDOMAIN", "REFUSED"};
		static const int codes[] = {RC_NOERROR, RC_SERVFAIL, RC_NXDOMAIN, RC_REFUSED};
		for (int i = 0; i < 4; i++) {
			json_t *v = json_object_get(rc, names[i]);
			long want = v ? (long)json_integer_value(v) : 0;
			cr_assert_eq(s.rcodes[codes[i]], want, "%s %s", scenarios[k], names[i]);
		}
		/* the capture lasts about three minutes */
		uint64_t span = c.r[c.n - 1].ts - c.r[0].ts;
		cr_assert(span > 170 * NS_PER_S && span < 181 * NS_PER_S, "%s span", scenarios[k]);
		free(c.r);
		json_decref(root);
	}
}

/* The rules each scenario promises, in order, and the rules it allows. */
static const struct {
	const char *scenario;
	const char *rules;
} expected_rules[] = {
    {"clean", ""},
    {"busy", ""},
    {"session-cap", "SESSION_CAP"},
    {"session-cap-150", "SESSION_CAP"},
    {"session-cap-backlog", "SESSION_CAP SESSION_CAP"},
    {"session-cap-drop", "SESSION_CAP SESSION_CAP"},
    {"session-cap-stall", "SESSION_CAP SESSION_CAP"},
    {"tcp53-rejected", "TCP53_REJECTED TC_WITHOUT_TCP"},
    {"tc-without-tcp", "TC_WITHOUT_TCP"},
    {"region-silence", "REGION_ASYMMETRY VALIDATOR_DROPS MPIC_QUORUM_AT_RISK"},
    {"region-refused", "REGION_ASYMMETRY REFUSED_TO_VALIDATORS"},
    {"rate-limit", "RATE_LIMITED"},
    {"servfail-caa", "SERVFAIL_TO_VALIDATORS"},
    {"acme-missing", "ACME_TXT_MISSING"},
    {"acme-ttl", "ACME_TXT_TTL_HIGH"},
    {"caa-burst", "CAA_BURST"},
};

Test(gen_faults, expect_files_list_the_findings_of_their_fault_and_none_for_baselines)
{
	const char *dir = test_tmpdir();
	for (size_t k = 0; k < sizeof(expected_rules) / sizeof(expected_rules[0]); k++) {
		char pcap[512], got[256] = "";
		json_t *root =
		    gen_fault(dir, expected_rules[k].scenario, "f", "", pcap, sizeof(pcap));
		json_t *fs = json_object_get(root, "findings"), *f;
		cr_assert(json_is_array(fs), "%s: no findings array", expected_rules[k].scenario);
		cr_assert(json_is_array(json_object_get(root, "findings_allowed")));
		cr_assert_null(json_object_get(root, "attempts"));
		size_t i;
		json_array_foreach(fs, i, f)
		{
			const char *rule = json_string_value(json_object_get(f, "rule"));
			const char *sev = json_string_value(json_object_get(f, "severity"));
			cr_assert(rule && sev);
			cr_assert(strcmp(sev, "critical") == 0 || strcmp(sev, "warning") == 0 ||
			          strcmp(sev, "warning_or_critical") == 0);
			json_t *subj = json_object_get(f, "subject");
			cr_assert(json_is_array(subj) && json_array_size(subj) > 0, "%s %s subject",
			          expected_rules[k].scenario, rule);
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
			         rule);
		}
		cr_assert_str_eq(got, expected_rules[k].rules, "%s", expected_rules[k].scenario);
		json_decref(root);
	}
}

Test(gen_faults, session_cap_plateaus_at_the_cap_with_resets_beyond_it)
{
	const char *dir = test_tmpdir();
	static const struct {
		const char *name;
		unsigned cap;
		const char *severity;
	} cases[] = {{"session-cap", 25, "critical"}, {"session-cap-150", 150, "warning"}};
	for (size_t k = 0; k < 2; k++) {
		char pcap[512];
		json_t *root = gen_fault(dir, cases[k].name, "s", "", pcap, sizeof(pcap));
		struct cap c = read_capture(pcap);
		json_t *f = json_array_get(json_object_get(root, "findings"), 0);
		cr_assert_str_eq(json_string_value(json_object_get(f, "severity")),
		                 cases[k].severity);
		cr_assert_str_eq(json_string_value(json_object_get(f, "metric")), "inferred_cap");
		cr_assert_float_eq(json_number_value(json_object_get(f, "value")), cases[k].cap,
		                   1e-9);
		static const char *const batch[] = {"198.18.10.11", "203.0.113.17"};
		long rst_total = 0;
		for (int b = 0; b < 2; b++) {
			bool at_max = false;
			unsigned m = max_concurrent(&c, batch[b], &at_max);
			cr_assert_eq(m, cases[k].cap, "%s %s: max %u", cases[k].name, batch[b], m);
			cr_assert(at_max, "%s %s: a reset below the cap", cases[k].name, batch[b]);
		}
		for (size_t i = 0; i < c.n; i++) {
			const struct rec *r = &c.r[i];
			if (r->tcp && is_server(r->src) && (r->flags & TH_RST)) {
				cr_assert(strcmp(r->dst, batch[0]) == 0 ||
				              strcmp(r->dst, batch[1]) == 0,
				          "RST to %s", r->dst);
				rst_total++;
			}
		}
		cr_assert_gt(rst_total, 0);
		json_t *src, *srcs = json_object_get(root, "sources");
		size_t i;
		json_array_foreach(srcs, i, src)
		{
			const char *a = json_string_value(json_object_get(src, "address"));
			if (strcmp(a, batch[0]) == 0 || strcmp(a, batch[1]) == 0)
				cr_assert_eq(jint(src, "max_concurrent_tcp"), cases[k].cap);
		}
		free(c.r);
		json_decref(root);
	}
}

Test(gen_faults, session_cap_backlog_resets_before_the_lost_syns_complete_a_minute_later)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *root = gen_fault(dir, "session-cap-backlog", "s", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	static const char *const batch[] = {"198.18.10.11", "203.0.113.17"};
	const uint64_t minute = 1704067260ULL * NS_PER_S; /* the capture's first minute ends */
	for (int b = 0; b < 2; b++) {
		bool at_max = true;
		cr_assert_eq(max_concurrent(&c, batch[b], &at_max), 25, "%s", batch[b]);
		cr_assert_not(at_max, "%s: the resets must come while SYNs wait", batch[b]);
		unsigned syn = 0, synack = 0, rst = 0;
		uint64_t last_rst = 0, last_synack = 0;
		for (size_t i = 0; i < c.n; i++) {
			const struct rec *r = &c.r[i];
			if (!r->tcp)
				continue;
			if (strcmp(r->src, batch[b]) == 0 && r->flags == TH_SYN)
				syn++;
			if (!is_server(r->src) || strcmp(r->dst, batch[b]) != 0)
				continue;
			if (r->flags & TH_RST)
				rst++, last_rst = r->ts;
			else if ((r->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
				synack++, last_synack = r->ts;
		}
		cr_assert_eq(syn, 40 + 6, "%s: 40 SYNs and 6 retransmissions", batch[b]);
		cr_assert_eq(synack, 25);
		cr_assert_eq(rst, 15);
		cr_assert_geq(last_synack, last_rst + NS_PER_S - NS_PER_S / 10, "%s", batch[b]);
		if (b == 0)
			cr_assert(last_rst < minute && last_synack > minute,
			          "first source straddles");
		else
			cr_assert_gt(last_rst, minute);
	}
	free(c.r);
	json_decref(root);
}

Test(gen_faults, baselines_show_no_fault_in_the_frames)
{
	const char *dir = test_tmpdir();
	static const char *const names[] = {"clean", "busy"};
	for (int k = 0; k < 2; k++) {
		char pcap[512];
		json_t *root = gen_fault(dir, names[k], names[k], "", pcap, sizeof(pcap));
		struct cap c = read_capture(pcap);
		struct summary s = summarize(&c);
		cr_assert_eq(s.unanswered, 0, "%s", names[k]);
		cr_assert_eq(s.rst, 0, "%s", names[k]);
		cr_assert_eq(s.rcodes[RC_REFUSED] + s.rcodes[RC_SERVFAIL], 0, "%s", names[k]);
		cr_assert_gt(s.tc, 0, "%s: no healthy TCP retry", names[k]);
		cr_assert_geq(s.synack, s.tc, "%s: a TC=1 answer without a TCP retry", names[k]);
		/* no _acme-challenge answer with a high TTL, no NXDOMAIN for one */
		for (size_t i = 0; i < c.n; i++) {
			const struct rec *r = &c.r[i];
			if (is_response(r) && strncmp(r->qname, "_acme-challenge.", 16) == 0) {
				cr_assert_neq(r->rcode, RC_NXDOMAIN);
				cr_assert(r->ancount == 0 || r->ttl <= 300, "TTL %u", r->ttl);
			}
		}
		/* TCP sessions of every client stay well under any cap */
		for (int b = 0; b < 4; b++) {
			static const char *const big[] = {"100.64.8.8", "100.64.1.1",
			                                  "2001:db8:aaaa::8888",
			                                  "2001:db8:aaaa::1111"};
			unsigned m = max_concurrent(&c, big[b], NULL);
			cr_assert_eq(m, k == 1 ? BUSY_TCP_MAX : 0u, "%s %s: %u", names[k], big[b],
			             m);
		}
		char who[ADDR_TEXT];
		long mx = max_responses_per_second(&c, who);
		if (k == 1)
			cr_assert_gt(mx, RATE_CAP,
			             "busy: big resolvers should exceed 50 answers/s");
		cr_assert_eq(json_array_size(json_object_get(root, "findings")), 0);
		free(c.r);
		json_decref(root);
	}
}

Test(gen_faults, tcp53_rejected_resets_every_validator_syn_while_udp_works)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *root = gen_fault(dir, "tcp53-rejected", "t", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	struct summary s = summarize(&c);
	cr_assert_eq(s.synack, 0);
	cr_assert_gt(s.rst, 100);
	cr_assert_eq(s.rst, s.tc, "every TC=1 answer is followed by a reset retry");
	cr_assert_eq(s.unanswered, 0);
	for (size_t i = 0; i < c.n; i++)
		if (c.r[i].tcp && !is_server(c.r[i].src))
			cr_assert_not_null(validator_region(root, c.r[i].src), "TCP from %s",
			                   c.r[i].src);
	free(c.r);
	json_decref(root);
}

Test(gen_faults, tc_without_tcp_never_completes_a_tcp_retry)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *root = gen_fault(dir, "tc-without-tcp", "t", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	struct summary s = summarize(&c);
	cr_assert_gt(s.tc, 100);
	cr_assert_eq(s.synack, 0);
	cr_assert_eq(s.rst, 0);
	long syns = 0;
	for (size_t i = 0; i < c.n; i++)
		syns += c.r[i].tcp && (c.r[i].flags & TH_SYN) && !is_server(c.r[i].src);
	json_t *tcp = json_object_get(root, "tcp");
	cr_assert_eq(syns, 2 * jint(tcp, "filtered"), "first SYN and its retransmission");
	cr_assert_lt(jint(tcp, "filtered"), s.tc, "most retries never appear at all");
	free(c.r);
	json_decref(root);
}

/* Region faults: every query from a RIPE validator fails that way, no other does. */
static void check_region(const char *scenario, bool silence)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *root = gen_fault(dir, scenario, "r", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	long ripe = 0, other_regions[8] = {0};
	for (size_t i = 0; i < c.n; i++) {
		const struct rec *q = &c.r[i];
		if (!is_query(q))
			continue;
		const char *region = validator_region(root, q->src);
		long ri = find_response(&c, i);
		bool hit = region && strcmp(region, "ripe") == 0;
		if (silence) {
			cr_assert_eq(ri < 0, hit, "%s from %s", q->qname, q->src);
		} else {
			cr_assert_geq(ri, 0);
			cr_assert_eq(c.r[ri].rcode == RC_REFUSED, hit, "%s from %s", q->qname,
			             q->src);
		}
		if (hit)
			ripe++;
		else if (region) {
			static const char *const regions[] = {"arin", "apnic", "lacnic", "afrinic"};
			for (int k = 0; k < 4; k++)
				other_regions[k] += strcmp(region, regions[k]) == 0;
		}
	}
	cr_assert_gt(ripe, 100, "ripe: %ld queries", ripe);
	for (int k = 0; k < 4; k++)
		cr_assert_geq(other_regions[k], 30, "region %d: %ld queries", k, other_regions[k]);
	json_t *f = json_array_get(json_object_get(root, "findings"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(f, "kind")),
	                 silence ? "unanswered" : "refused");
	free(c.r);
	json_decref(root);
}

Test(gen_faults, region_silence_drops_every_ripe_validator_query_only)
{
	check_region("region-silence", true);
}

Test(gen_faults, region_refused_refuses_every_ripe_validator_query_only)
{
	check_region("region-refused", false);
}

Test(gen_faults, rate_limit_never_sends_more_than_50_answers_a_second_to_a_source)
{
	const char *dir = test_tmpdir();
	char pcap[512], who[ADDR_TEXT];
	json_t *root = gen_fault(dir, "rate-limit", "r", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	long mx = max_responses_per_second(&c, who);
	cr_assert_eq(mx, RATE_CAP, "most answers in 1 s: %ld (%s)", mx, who);
	/* the batch sources hit the cap in aligned seconds with far more queries */
	static const char *const batch[] = {"198.18.10.11", "198.51.100.25"};
	for (int b = 0; b < 2; b++) {
		long q[200] = {0}, a[200] = {0};
		uint64_t t0 = c.r[0].ts - c.r[0].ts % NS_PER_S;
		for (size_t i = 0; i < c.n; i++) {
			const struct rec *r = &c.r[i];
			size_t sec = (size_t)((r->ts - t0) / NS_PER_S);
			if (sec >= 200)
				continue;
			if (is_query(r) && strcmp(r->src, batch[b]) == 0)
				q[sec]++;
			if (is_response(r) && strcmp(r->dst, batch[b]) == 0)
				a[sec]++;
		}
		int limited = 0;
		for (int k = 0; k < 200; k++)
			if (q[k] > RATE_CAP) {
				cr_assert_eq(a[k], RATE_CAP, "%s second %d: %ld answers", batch[b],
				             k, a[k]);
				limited++;
			}
		cr_assert_geq(limited, 10, "%s: %d limited seconds", batch[b], limited);
	}
	json_t *f = json_array_get(json_object_get(root, "findings"), 0);
	cr_assert_float_eq(json_number_value(json_object_get(f, "value")), RATE_CAP, 1e-9);
	free(c.r);
	json_decref(root);
}

Test(gen_faults, servfail_caa_hits_exactly_the_caa_questions_of_the_zone)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *root = gen_fault(dir, "servfail-caa", "s", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	long sf = 0;
	for (size_t i = 0; i < c.n; i++) {
		const struct rec *r = &c.r[i];
		if (!is_response(r))
			continue;
		bool in_zone = r->qtype == QT_CAA && ends_with(r->qname, "example.org");
		cr_assert_eq(r->rcode == RC_SERVFAIL, in_zone, "%s %u", r->qname, r->qtype);
		sf += in_zone;
	}
	cr_assert_gt(sf, 100);
	free(c.r);
	json_decref(root);
}

Test(gen_faults, acme_missing_answers_nxdomain_for_the_zone_challenges_only)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *root = gen_fault(dir, "acme-missing", "a", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	long nx = 0;
	for (size_t i = 0; i < c.n; i++) {
		const struct rec *r = &c.r[i];
		if (!is_response(r) || strncmp(r->qname, "_acme-challenge.", 16) != 0)
			continue;
		bool in_zone = ends_with(r->qname, "example.net");
		cr_assert_eq(r->rcode == RC_NXDOMAIN, in_zone, "%s", r->qname);
		nx += in_zone;
	}
	cr_assert_gt(nx, 20);
	free(c.r);
	json_decref(root);
}

Test(gen_faults, acme_ttl_answers_challenges_with_ttl_3600)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *root = gen_fault(dir, "acme-ttl", "a", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	long n = 0;
	for (size_t i = 0; i < c.n; i++) {
		const struct rec *r = &c.r[i];
		if (is_response(r) && r->ancount && r->qtype == QT_TXT &&
		    strncmp(r->qname, "_acme-challenge.", 16) == 0) {
			cr_assert_eq(r->ttl, 3600u, "%s TTL %u", r->qname, r->ttl);
			n++;
		} else if (is_response(r) && r->ancount && r->qtype == QT_TXT) {
			cr_assert_leq(r->ttl, 300u, "%s TTL %u", r->qname, r->ttl);
		}
	}
	cr_assert_gt(n, 100);
	free(c.r);
	json_decref(root);
}

static unsigned labels(const char *name)
{
	unsigned n = 1;
	for (; *name; name++)
		n += *name == '.';
	return n;
}

Test(gen_faults, caa_burst_drops_only_caa_of_deep_names_past_the_fourth)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *root = gen_fault(dir, "caa-burst", "c", "", pcap, sizeof(pcap));
	struct cap c = read_capture(pcap);
	long dropped = 0;
	for (size_t i = 0; i < c.n; i++) {
		const struct rec *q = &c.r[i];
		if (!is_query(q) || find_response(&c, i) >= 0)
			continue;
		cr_assert_eq(q->qtype, QT_CAA, "%s", q->qname);
		/* a dropped CAA is for an ancestor at most 3 labels from the apex of a
		 * name of 6 or more labels: the burst's 5th question or later */
		cr_assert_leq(labels(q->qname), 4u, "%s", q->qname);
		cr_assert(ends_with(q->qname, "example.com"), "%s", q->qname);
		dropped++;
	}
	cr_assert_gt(dropped, 50);
	json_t *f = json_array_get(json_object_get(root, "findings"), 0);
	json_t *subj = json_object_get(f, "subject"), *v;
	size_t i;
	bool deep = false;
	json_array_foreach(subj, i, v)
	{
		deep |= labels(json_string_value(v)) >= 6;
	}
	cr_assert(deep, "no deep name among the subjects");
	free(c.r);
	json_decref(root);
}
