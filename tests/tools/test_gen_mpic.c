/*
 * test_gen_mpic.c - dcvscope-gen mpic: determinism, size, and the validation
 * ground truth of --expect checked against the frames themselves. The frames
 * are read with libpcap and a small decoder of this file (Ethernet, IPv4,
 * IPv6, UDP, TCP with one DNS message per segment, the DNS header and
 * question), independent of the project's analyzer, and spot-checked with
 * tshark.
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

#include "test_support.h"

#define CHECK_PACKETS 100000 /* --packets of the capture most tests read */
#define NS_PER_S      1000000000ULL
#define SPAN_NS       (10 * NS_PER_S) /* GEN_ATTEMPT_SPAN_S */
#define SAME_NAME_NS  (30 * NS_PER_S) /* GEN_ATTEMPT_SAME_NAME_GAP_S */
#define UNANSWERED_NS (5 * NS_PER_S)
#define TRAP_OTHERS   100
#define SERVER_V4     "192.0.2.53"
#define SERVER_V6     "2001:db8::53"
#define ADDR_TEXT     46
#define NAME_TEXT     256
#define TABLE_SLOTS   (1u << 16)

enum { QT_CAA = 257, QT_TXT = 16 };

static int gen(const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null", DCV_GEN_BINARY, args);
	return test_run(cmd, NULL);
}

static json_t *gen_mpic(const char *dir, const char *tag, const char *extra, char *pcap, size_t cap)
{
	char json[512], args[1024];
	snprintf(pcap, cap, "%s/%s.pcap", dir, tag);
	snprintf(json, sizeof(json), "%s/%s.json", dir, tag);
	snprintf(args, sizeof(args), "mpic -o %s --expect %s %s", pcap, json, extra);
	cr_assert_eq(gen(args), 0, "dcvscope-gen %s failed", args);
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

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_string(v), "missing string %s", key);
	return json_string_value(v);
}

/* ------------------------------------------------------- frame decoding */

/* One frame as this test sees it. */
struct rec {
	uint64_t ts;
	char src[ADDR_TEXT], dst[ADDR_TEXT];
	bool tcp;
	uint16_t sport, dport;
	uint8_t flags; /* TCP */
	bool dns;      /* carries a whole DNS message with a question */
	uint16_t id, qtype, ancount;
	bool qr, tc;
	uint8_t rcode;
	char qname[NAME_TEXT]; /* lowercased */
};

struct cap {
	struct rec *r;
	size_t n;
	uint64_t last_ts;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Question name (no compression in questions) into out, lowercased; false if bad. */
static bool qname_text(const uint8_t *p, size_t len, size_t *off, char *out)
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
		if (w)
			out[w++] = '.';
		for (uint8_t i = 0; i < l; i++) {
			char c = (char)p[o + i];
			out[w++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		o += l;
	}
	out[w] = '\0';
	*off = o;
	return true;
}

static void parse_dns(struct rec *r, const uint8_t *p, size_t len)
{
	if (len < 12 || rd16(p + 4) != 1)
		return;
	size_t off = 12;
	if (!qname_text(p, len, &off, r->qname) || off + 4 > len)
		return;
	r->dns = true;
	r->id = rd16(p);
	r->qr = p[2] & 0x80;
	r->tc = p[2] & 0x02;
	r->rcode = p[3] & 0x0f;
	r->ancount = rd16(p + 6);
	r->qtype = rd16(p + off);
}

static struct cap read_capture(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	cr_assert_not_null(pc, "%s", err);
	cr_assert_eq(pcap_datalink(pc), DLT_EN10MB);
	struct cap c = {NULL, 0, 0};
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
		cr_assert_geq(r->ts, c.last_ts, "frame %zu goes back in time", c.n);
		c.last_ts = r->ts;
		size_t len = h->caplen, l4;
		uint8_t proto;
		if (len < 14)
			continue;
		uint16_t et = rd16(d + 12);
		if (et == 0x0800) {
			const uint8_t *ip = d + 14;
			if ((rd16(ip + 6) & 0x1fff) != 0)
				continue; /* a later fragment; the first has the DNS header and
				             question */
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
	return r->dns && !r->qr && r->dport == 53 && is_server(r->dst);
}

/* Validation-shaped, as gen_expect.h defines it for the traps (and more). */
static bool shaped(const struct rec *r)
{
	return r->qtype == QT_CAA || r->qname[0] == '_';
}

/* ------------------------------------------------------- small tables */

struct src {
	char addr[ADDR_TEXT];
	bool used;
	long queries, shaped, other;
	long other_before_shaped; /* other questions before the first validation-shaped one */
	const char *ca;           /* from the expect file, NULL for resolvers */
	bool listed;
	char region[16];
};

static uint32_t hash_text(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static struct src *src_get(struct src *t, const char *addr, bool add)
{
	uint32_t i = hash_text(addr) & (TABLE_SLOTS - 1);
	while (t[i].used && strcmp(t[i].addr, addr) != 0)
		i = (i + 1) & (TABLE_SLOTS - 1);
	if (!t[i].used) {
		if (!add)
			return NULL;
		t[i].used = true;
		snprintf(t[i].addr, sizeof(t[i].addr), "%s", addr);
	}
	return &t[i];
}

/* A response to query q: same client, port, id, transport; after it. Index or -1. */
static long find_response(const struct cap *c, size_t qi)
{
	const struct rec *q = &c->r[qi];
	for (size_t i = qi + 1; i < c->n && c->r[i].ts < q->ts + SPAN_NS; i++) {
		const struct rec *r = &c->r[i];
		if (r->dns && r->qr && r->tcp == q->tcp && r->id == q->id && r->dport == q->sport &&
		    strcmp(r->dst, q->src) == 0)
			return (long)i;
	}
	return -1;
}

/* ------------------------------------------------------- CIDR rows */

struct row {
	char ca[64], region[32];
	int family;
	uint8_t net[16];
	unsigned bits;
};

static size_t load_rows(struct row *rows, size_t max)
{
	char path[512], line[512];
	snprintf(path, sizeof(path), "%s/validators-test.tsv", DCV_CAPTURES_DIR);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char ca[64], prefix[80], role[32], region[32];
		cr_assert_eq(sscanf(line, "%63[^\t]\t%79[^\t]\t%31[^\t]\t%31[^\t]", ca, prefix,
		                    role, region),
		             4, "bad row: %s", line);
		cr_assert_lt(n, max);
		struct row *r = &rows[n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->ca, sizeof(r->ca), "%s", ca);
		snprintf(r->region, sizeof(r->region), "%s", region);
		char *slash = strchr(prefix, '/');
		cr_assert_not_null(slash);
		*slash = '\0';
		r->bits = (unsigned)atoi(slash + 1);
		r->family = strchr(prefix, ':') ? AF_INET6 : AF_INET;
		cr_assert_eq(inet_pton(r->family, prefix, r->net), 1, "%s", prefix);
	}
	fclose(f);
	return n;
}

static const struct row *covering_row(const struct row *rows, size_t n, const char *addr)
{
	uint8_t a[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	cr_assert_eq(inet_pton(fam, addr, a), 1);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].family != fam)
			continue;
		unsigned b = rows[i].bits, k;
		for (k = 0; k < b; k++)
			if (((a[k / 8] ^ rows[i].net[k / 8]) >> (7 - k % 8)) & 1)
				break;
		if (k == b)
			return &rows[i];
	}
	return NULL;
}

/* ------------------------------------------------------- outcomes */

static const char *const outcome_names[] = {"answered",    "negative",   "refused",    "servfail",
                                            "other_rcode", "unanswered", "tcp_failure"};
enum { O_ANSWERED, O_NEGATIVE, O_REFUSED, O_SERVFAIL, O_OTHER, O_UNANSWERED, O_TCP };

static int outcome_index(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (strcmp(s, outcome_names[i]) == 0)
			return i;
	cr_assert_fail("unknown outcome %s", s);
	return -1;
}

static int outcome_of(const struct rec *resp)
{
	switch (resp->rcode) {
	case 0:
		return resp->ancount ? O_ANSWERED : O_NEGATIVE;
	case 3:
		return O_NEGATIVE;
	case 5:
		return O_REFUSED;
	case 2:
		return O_SERVFAIL;
	default:
		return O_OTHER;
	}
}

/* true when qname belongs to the validation of base name x */
static bool related(const char *qname, const char *x)
{
	size_t lq = strlen(qname), lx = strlen(x);
	if (strcmp(qname, x) == 0)
		return true;
	if (lq > lx && qname[lq - lx - 1] == '.' && strcmp(qname + lq - lx, x) == 0)
		return qname[0] == '_'; /* a prefixed challenge name */
	/* an ancestor (CAA climb) */
	return lx > lq && x[lx - lq - 1] == '.' && strcmp(x + lx - lq, qname) == 0;
}

/*
 * Recomputes a perspective's outcome from the frames of addr in
 * [first, first + SPAN): the worst over its questions, a TC=1 answer
 * deferring to the TCP retry, a SYN answered by RST or never answered being
 * a TCP failure. Also checks every query there belongs to the attempt.
 */
static int observed_outcome(const struct cap *c, size_t from, uint64_t first, const char *addr,
                            const char *x, long *queries)
{
	int worst = -1;
	*queries = 0;
	for (size_t i = from; i < c->n && c->r[i].ts < first + SPAN_NS; i++) {
		const struct rec *r = &c->r[i];
		if (strcmp(r->src, addr) != 0)
			continue;
		if (r->tcp && (r->flags & 0x12) == 0x02) { /* SYN: answered by SYN-ACK? */
			bool ok = false, seen = false;
			for (size_t k = i + 1; k < c->n && c->r[k].ts < r->ts + 3 * NS_PER_S; k++) {
				const struct rec *a = &c->r[k];
				if (a->tcp && strcmp(a->dst, addr) == 0 && a->dport == r->sport) {
					ok = (a->flags & 0x12) == 0x12;
					seen = true;
					break;
				}
			}
			if (!seen || !ok)
				worst = worst > O_TCP ? worst : O_TCP;
			continue;
		}
		if (!is_query(r))
			continue;
		(*queries)++;
		cr_assert(related(r->qname, x), "%s asks %s during the attempt for %s", addr,
		          r->qname, x);
		long ri = find_response(c, i);
		int o;
		if (ri < 0)
			o = O_UNANSWERED;
		else if (c->r[ri].tc)
			continue; /* the TCP retry decides */
		else
			o = outcome_of(&c->r[ri]);
		worst = worst > o ? worst : o;
	}
	return worst;
}

static size_t first_at_or_after(const struct cap *c, uint64_t ts)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->r[mid].ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ------------------------------------------------------- tests */

Test(gen_mpic, same_seed_gives_identical_files_and_another_seed_does_not)
{
	const char *dir = test_tmpdir();
	char a[512], b[512], c[512];
	json_t *ja = gen_mpic(dir, "a", "--seed 7 --packets 60000", a, sizeof(a));
	json_t *jb = gen_mpic(dir, "b", "--seed 7 --packets 60000", b, sizeof(b));
	json_t *jc = gen_mpic(dir, "c", "--seed 8 --packets 60000", c, sizeof(c));
	size_t la, lb, lc;
	char *x = test_read_file(a, &la), *y = test_read_file(b, &lb), *z = test_read_file(c, &lc);
	cr_assert(x && y && z);
	cr_assert(la == lb && memcmp(x, y, la) == 0, "same seed, different captures");
	cr_assert(la != lc || memcmp(x, z, la) != 0, "seeds 7 and 8 give the same capture");
	cr_assert(json_equal(ja, jb), "same seed, different expectations");
	cr_assert_not(json_equal(ja, jc));
	free(x), free(y), free(z);
	json_decref(ja), json_decref(jb), json_decref(jc);
}

Test(gen_mpic, default_capture_has_about_300k_frames_as_counted_and_consistent_counts)
{
	const char *dir = test_tmpdir();
	char pcap[512];
	json_t *e = gen_mpic(dir, "default", "", pcap, sizeof(pcap));
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(pcap, err);
	cr_assert_not_null(p, "%s", err);
	struct pcap_pkthdr *h;
	const u_char *d;
	long long n = 0;
	while (pcap_next_ex(p, &h, &d) == 1)
		n++;
	pcap_close(p);
	cr_assert_eq(n, jint(e, "packets"));
	cr_assert(n > 280000 && n < 320000, "%lld frames", n);

	json_t *dns = json_object_get(e, "dns"), *tx = json_object_get(e, "transactions");
	long long q = jint(dns, "queries"), r = jint(dns, "responses");
	cr_assert_eq(q + r, jint(dns, "udp") + jint(dns, "tcp"));
	cr_assert_eq(jint(tx, "answered"), r);
	cr_assert_eq(jint(tx, "answered") + jint(tx, "unanswered") + jint(tx, "retransmits"), q);
	long long rc = 0;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(e, "rcodes"), k, v) rc += json_integer_value(v);
	cr_assert_eq(rc, r);
	json_t *tcp = json_object_get(e, "tcp");
	cr_assert_gt(jint(tcp, "sessions"), 0);
	cr_assert_gt(jint(tcp, "rejected"), 0);
	cr_assert_gt(jint(tcp, "filtered"), 0);
	cr_assert_gt(jint(json_object_get(e, "rcodes"), "REFUSED"), 0);
	cr_assert_gt(jint(json_object_get(e, "rcodes"), "SERVFAIL"), 0);
	cr_assert_geq(jint(e, "resolvers"), 2000);
	json_t *att = json_object_get(e, "attempts");
	cr_assert_geq(jint(att, "total"), 200, "hundreds of attempts");
	json_decref(e);
}

Test(gen_mpic, packets_option_scales_the_ordinary_traffic_only)
{
	const char *dir = test_tmpdir();
	char a[512], b[512];
	json_t *small = gen_mpic(dir, "small", "--packets 100000", a, sizeof(a));
	json_t *big = gen_mpic(dir, "big", "--packets 600000", b, sizeof(b));
	long long ps = jint(small, "packets"), pb = jint(big, "packets");
	cr_assert(ps > 90000 && ps < 125000, "%lld", ps);
	cr_assert(pb > 560000 && pb < 640000, "%lld", pb);
	cr_assert(
	    json_equal(json_object_get(small, "validators"), json_object_get(big, "validators")));
	cr_assert_eq(jint(json_object_get(small, "attempts"), "total"),
	             jint(json_object_get(big, "attempts"), "total"));
	json_decref(small);
	json_decref(big);
}

/* Shared by the ground-truth tests: one capture, read once. */
struct world {
	json_t *e;
	struct cap c;
	struct src *t;
	char pcap[512];
};

static void load_world(struct world *w, const char *extra)
{
	const char *dir = test_tmpdir();
	w->e = gen_mpic(dir, "check", extra, w->pcap, sizeof(w->pcap));
	w->c = read_capture(w->pcap);
	w->t = calloc(TABLE_SLOTS, sizeof(*w->t));
	cr_assert_not_null(w->t);
	for (size_t i = 0; i < w->c.n; i++) {
		const struct rec *r = &w->c.r[i];
		if (!is_query(r))
			continue;
		struct src *s = src_get(w->t, r->src, true);
		s->queries++;
		if (shaped(r) && s->shaped++ == 0)
			s->other_before_shaped = s->other;
		else if (!shaped(r))
			s->other++;
	}
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(w->e, "validators"), i, v)
	{
		struct src *s = src_get(w->t, jstr(v, "address"), false);
		cr_assert_not_null(s, "validator %s sent no query", jstr(v, "address"));
		cr_assert_null(s->ca, "validator %s listed twice", s->addr);
		s->ca = jstr(v, "ca");
		s->listed = json_is_true(json_object_get(v, "listed"));
		snprintf(s->region, sizeof(s->region), "%s", jstr(v, "region"));
	}
}

static void free_world(struct world *w)
{
	json_decref(w->e);
	free(w->c.r);
	free(w->t);
}

Test(gen_mpic, validators_and_resolvers_account_for_every_query_source)
{
	struct world w;
	load_world(&w, "--seed 3 --packets "
	               "100000");
	struct row rows[64];
	size_t nrows = load_rows(rows, 64);
	size_t nsrc = 0, nval = 0, v6val = 0, v6res = 0;
	long long nres = jint(w.e, "resolvers");
	static const char *const rirs[] = {"arin", "ripe", "apnic", "lacnic", "afrinic"};
	for (size_t i = 0; i < TABLE_SLOTS; i++) {
		const struct src *s = &w.t[i];
		if (!s->used)
			continue;
		nsrc++;
		bool v6 = strchr(s->addr, ':') != NULL;
		const struct row *row = covering_row(rows, nrows, s->addr);
		if (s->ca == NULL) {
			v6res += v6;
			cr_assert_null(row, "resolver %s is in validators-test.tsv", s->addr);
			continue;
		}
		nval++;
		v6val += v6;
		cr_assert_gt(s->shaped, 0, "validator %s sent no validation-shaped query", s->addr);
		bool rir = false;
		for (int k = 0; k < 5; k++)
			rir |= strcmp(s->region, rirs[k]) == 0;
		cr_assert(rir, "%s: region %s", s->addr, s->region);
		bool listed_ca = strcmp(s->ca, "digicert") == 0 || strcmp(s->ca, "globalsign") == 0;
		cr_assert_eq(s->listed, listed_ca, "%s (%s)", s->addr, s->ca);
		if (s->listed) {
			cr_assert_not_null(row, "listed %s has no row", s->addr);
			cr_assert_str_eq(row->ca, s->ca);
			cr_assert_str_eq(row->region, s->region, "%s", s->addr);
		} else {
			cr_assert_null(row, "unlisted %s has a row", s->addr);
		}
	}
	cr_assert_eq((long long)nsrc, (long long)nval + nres,
	             "%zu sources, %zu validators, %lld resolvers", nsrc, nval, nres);
	cr_assert_eq(nval, json_array_size(json_object_get(w.e, "validators")));
	cr_assert_geq(nres, 2000);
	cr_assert_gt(v6val, 0);
	cr_assert_gt(v6res, 100);
	free_world(&w);
}

Test(gen_mpic, traps_are_exactly_the_resolvers_asking_validation_shaped_names)
{
	struct world w;
	load_world(&w, "--seed 3 --packets 100000");
	json_t *sample = json_object_get(w.e, "resolvers_sample");
	cr_assert_geq(json_array_size(sample), 3);
	json_t *v;
	size_t i;
	json_array_foreach(sample, i, v)
	{
		struct src *s = src_get(w.t, json_string_value(v), false);
		cr_assert_not_null(s);
		cr_assert_null(s->ca, "trap %s is a validator", s->addr);
		cr_assert_geq(s->shaped, 1, "%s", s->addr);
		cr_assert_geq(s->other_before_shaped, TRAP_OTHERS, "%s asked %ld others first",
		              s->addr, s->other_before_shaped);
		s->ca = "trap"; /* mark */
	}
	for (size_t k = 0; k < TABLE_SLOTS; k++)
		if (w.t[k].used && w.t[k].ca == NULL)
			cr_assert_eq(w.t[k].shaped, 0,
			             "resolver %s asked %s, not in resolvers_sample", w.t[k].addr,
			             "validation-shaped names");
	free_world(&w);
}

Test(gen_mpic, attempts_match_the_frames_of_their_perspectives)
{
	struct world w;
	load_world(&w, "--seed 3 --packets 100000");
	json_t *att = json_object_get(w.e, "attempts"), *list = json_object_get(att, "list");
	long long total = jint(att, "total");
	cr_assert_eq(total, jint(att, "corroborated") + jint(att, "at_risk") + jint(att, "failed"));
	cr_assert_gt(jint(att, "corroborated"), 0);
	cr_assert_gt(jint(att, "at_risk"), 0);
	cr_assert_gt(jint(att, "failed"), 0);
	cr_assert_eq((long long)json_array_size(list), total < 200 ? total : 200);

	int seen_outcome[7] = {0};
	uint64_t prev = 0;
	json_t *a;
	size_t i;
	json_array_foreach(list, i, a)
	{
		const char *name = jstr(a, "name"), *ca = jstr(a, "ca");
		uint64_t first = (uint64_t)jint(a, "first_ns");
		cr_assert_geq(first, prev, "list in first-query order");
		prev = first;
		/* the same name: 30 s apart */
		for (size_t k = 0; k < i; k++) {
			json_t *b = json_array_get(list, k);
			if (strcmp(jstr(b, "name"), name) == 0)
				cr_assert_geq(first - (uint64_t)jint(b, "first_ns"), SAME_NAME_NS,
				              "%s", name);
		}
		json_t *ps = json_object_get(a, "perspectives");
		size_t np = json_array_size(ps);
		cr_assert(np >= 3 && np <= 8, "%s: %zu perspectives", name, np);
		size_t from = first_at_or_after(&w.c, first);
		bool first_seen = false;
		unsigned failed = 0;
		json_t *p;
		size_t k;
		json_array_foreach(ps, k, p)
		{
			const char *addr = jstr(p, "address");
			struct src *s = src_get(w.t, addr, false);
			cr_assert(s && s->ca, "perspective %s is not a validator", addr);
			cr_assert_str_eq(s->ca, ca, "%s of %s attempt", addr, ca);
			for (size_t j = 0; j < k; j++)
				cr_assert_str_neq(jstr(json_array_get(ps, j), "address"), addr);
			int want = outcome_index(jstr(p, "outcome"));
			seen_outcome[want]++;
			failed += want > O_NEGATIVE;
			long queries;
			int got = observed_outcome(&w.c, from, first, addr, name, &queries);
			cr_assert_gt(queries, 0, "%s sent nothing for %s", addr, name);
			cr_assert_eq(got, want, "%s for %s at %llu: frames say %s, expect says %s",
			             addr, name, (unsigned long long)first, outcome_names[got],
			             outcome_names[want]);
			for (size_t j = from; j < w.c.n && w.c.r[j].ts == first; j++)
				first_seen |=
				    is_query(&w.c.r[j]) && strcmp(w.c.r[j].src, addr) == 0;
		}
		cr_assert(first_seen, "no perspective query at first_ns of %s", name);
		unsigned remote = (unsigned)np - 1, allowed = remote >= 6 ? 2 : remote >= 2 ? 1 : 0;
		const char *status = failed == 0         ? "corroborated"
		                     : failed <= allowed ? "at_risk"
		                                         : "failed";
		cr_assert_str_eq(jstr(a, "status"), status, "%s at %llu", name,
		                 (unsigned long long)first);
	}
	for (int o = 0; o < 7; o++)
		cr_assert_gt(seen_outcome[o], 0, "no perspective with outcome %s",
		             outcome_names[o]);
	free_world(&w);
}

Test(gen_mpic, unanswered_queries_are_counted_and_end_5_s_before_the_capture)
{
	struct world w;
	load_world(&w, "--seed 3 --packets 100000");
	long long unanswered = 0;
	for (size_t i = 0; i < w.c.n; i++) {
		if (!is_query(&w.c.r[i]) || find_response(&w.c, i) >= 0)
			continue;
		unanswered++;
		cr_assert_leq(w.c.r[i].ts + UNANSWERED_NS, w.c.last_ts, "%s asks %s too late",
		              w.c.r[i].src, w.c.r[i].qname);
	}
	cr_assert_eq(unanswered, jint(json_object_get(w.e, "transactions"), "unanswered"));
	cr_assert_gt(unanswered, 0);
	free_world(&w);
}

/* tshark: number of frames matching a display filter. */
static long tshark_count(const char *pcap, const char *filter)
{
	char cmd[2048], *out;
	snprintf(cmd, sizeof(cmd), "tshark -n -r %s -Y '%s' 2>/dev/null | wc -l", pcap, filter);
	cr_assert_eq(test_run(cmd, &out), 0);
	long n = atol(out);
	free(out);
	return n;
}

Test(gen_mpic, tshark_sees_the_same_challenge_caa_and_rst_counts)
{
	struct world w;
	load_world(&w, "--seed 3 --packets 100000");
	long acme = 0, caa = 0, rst = 0;
	for (size_t i = 0; i < w.c.n; i++) {
		const struct rec *r = &w.c.r[i];
		if (is_query(r) && r->qtype == QT_TXT && strstr(r->qname, "_acme-challenge"))
			acme++;
		if (is_query(r) && r->qtype == QT_CAA)
			caa++;
		if (r->tcp && (r->flags & 0x04) && is_server(r->src)) {
			rst++;
			struct src *s = src_get(w.t, r->dst, false);
			cr_assert(s && s->ca, "RST to %s, not a validator", r->dst);
		}
	}
	cr_assert_gt(acme, 100);
	cr_assert_gt(caa, 100);
	cr_assert_eq(rst, jint(json_object_get(w.e, "tcp"), "rejected"));
	cr_assert_eq(tshark_count(w.pcap, "dns.flags.response == 0 && dns.qry.type == 16 && "
	                                  "dns.qry.name matches \"(?i)_acme-challenge\""),
	             acme);
	cr_assert_eq(tshark_count(w.pcap, "dns.flags.response == 0 && dns.qry.type == 257"), caa);
	cr_assert_eq(tshark_count(w.pcap, "tcp.flags.reset == 1 && (ip.src == " SERVER_V4
	                                  " || ipv6.src == " SERVER_V6 ")"),
	             rst);
	/* 0x20: some challenge queries carry upper case letters ("matches" ignores
	 * case, "contains" does not) */
	cr_assert_gt(tshark_count(w.pcap, "dns.flags.response == 0 && dns.qry.name matches "
	                                  "\"^_acme-\" && !(dns.qry.name contains \"_acme-\")"),
	             0);
	free_world(&w);
}
