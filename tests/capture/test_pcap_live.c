/* test_pcap_live.c - live libpcap against a real knotd in a network namespace:
 * exact delivery, no drops, no non-DNS traffic, the filter expression, and
 * the timeout of next(). Needs root. */
#include <pcap/pcap.h>

#include "live_lab.h"
#include "pcap_live.h"

#define UDP4_QUERIES 200
#define UDP6_QUERIES 50
#define TCP4_QUERIES 20
#define QUIET_MS     300

static struct live_lab lab;

static void setup(void)
{
	lab_up(&lab);
	lab_enter_server(&lab);
}

static void teardown(void)
{
	lab_down(&lab);
}

TestSuite(pcap_live, .timeout = 90);

static struct cap_live *open_pcap(const char *ifname)
{
	char err[CAP_LIVE_ERR_MAX];
	struct cap_live_opts o = {.ifname = ifname, .kind = CAP_LIVE_PCAP};
	struct cap_live *l = cap_live_open(&o, err, sizeof(err));
	cr_assert_not_null(l, "libpcap capture cannot be opened on %s: %s", ifname, err);
	cr_assert_eq(cap_live_kind_of(l), CAP_LIVE_PCAP);
	cr_assert_str_eq(cap_live_choice(l), "pcap");
	return l;
}

Test(pcap_live, delivers_every_query_and_response_with_no_drops, .init = setup, .fini = teardown)
{
	struct cap_live *l = open_pcap(lab.if_srv);
	struct lab_counts c = {0};
	struct cap_live_stats s;

	pid_t traffic = lab_mix_start(&lab, UDP4_QUERIES, UDP6_QUERIES, TCP4_QUERIES);
	lab_drain_while(l, &c, traffic, QUIET_MS);
	cr_assert_eq(cap_live_get_stats(l, &s), 0);
	cr_log_info("frames %u undecoded %u non-dns %u; pcap recv %llu drop %llu ifdrop %llu",
	            c.frames, c.undecoded, c.non_dns, (unsigned long long)s.kernel_matched,
	            (unsigned long long)s.kernel_dropped, (unsigned long long)s.if_dropped);

	cr_expect_eq(c.udp_q[0], UDP4_QUERIES);
	cr_expect_eq(c.udp_r[0], UDP4_QUERIES);
	cr_expect_eq(c.udp_q[1], UDP6_QUERIES);
	cr_expect_eq(c.udp_r[1], UDP6_QUERIES);
	cr_expect_eq(c.tcp_q[0], TCP4_QUERIES);
	cr_expect_eq(c.tcp_r[0], TCP4_QUERIES);
	cr_expect_eq(c.syn[0], TCP4_QUERIES);
	cr_expect_eq(c.synack[0], TCP4_QUERIES);
	cr_expect_eq(c.to_dns[1], UDP6_QUERIES);
	cr_expect_eq(c.from_dns[1], UDP6_QUERIES);
	cr_expect_eq(c.undecoded, 0);
	cr_expect_eq(c.non_dns, 0);
	cr_assert_eq(cap_live_get_stats(l, &s), 0);
	cr_expect_eq(s.kernel_dropped, 0);
	cr_expect_eq(s.received, c.frames);
	cr_expect_eq(s.kernel_matched, c.frames);
	cr_expect_eq(cap_live_sources(l, lab_src_cb, NULL), -2, "libpcap keeps no per-source map");
	cap_live_close(l);
}

Test(pcap_live, ping_and_udp_to_port_123_are_not_delivered, .init = setup, .fini = teardown)
{
	struct cap_live *l = open_pcap(lab.if_srv);
	struct lab_counts c = {0};
	struct cap_live_stats s;
	lab_non_dns(&lab);
	lab_drain(l, &c, QUIET_MS);
	cr_expect_eq(c.frames, 0);
	cr_assert_eq(cap_live_get_stats(l, &s), 0);
	cr_expect_eq(s.kernel_matched, 0);
	cap_live_close(l);
}

Test(pcap_live, next_returns_timeout_when_nothing_arrives, .init = setup, .fini = teardown)
{
	struct cap_live *l = open_pcap(lab.if_srv);
	struct cap_frame f;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_expect_eq(cap_live_next(l, &f, 150), CAP_LIVE_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_expect(ms >= 140 && ms < 1000, "waited %ld ms for a 150 ms timeout", ms);
	cr_expect_eq(cap_live_next(l, &f, 0), CAP_LIVE_TIMEOUT);
	cap_live_close(l);
}

/* The expression compiles for Ethernet, and it matches what it should. */
static int filter_matches(const char *expr, const uint8_t *frame, size_t len)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program prog;
	cr_assert_eq(pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN), 0, "%s: %s", expr,
	             pcap_geterr(dead));
	struct pcap_pkthdr h = {.caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};
	int m = pcap_offline_filter(&prog, &h, frame) != 0;
	pcap_freecode(&prog);
	pcap_close(dead);
	return m;
}

/* Ethernet (+ tags) + IPv4 + UDP with the given ports and fragment offset. */
static size_t udp4_frame(uint8_t *b, unsigned tags, uint16_t sport, uint16_t dport,
                         uint16_t frag_off)
{
	size_t o = 12;
	memset(b, 0, 128);
	for (unsigned i = 0; i < tags; i++) {
		b[o] = 0x81;
		b[o + 1] = 0x00;
		b[o + 3] = 100;
		o += 4;
	}
	b[o] = 0x08;
	b[o + 1] = 0x00;
	o += 2;
	b[o] = 0x45;
	b[o + 3] = 36;
	b[o + 6] = (uint8_t)(frag_off >> 8);
	b[o + 7] = (uint8_t)frag_off;
	b[o + 8] = 64;
	b[o + 9] = 17;
	o += 20;
	b[o] = (uint8_t)(sport >> 8);
	b[o + 1] = (uint8_t)sport;
	b[o + 2] = (uint8_t)(dport >> 8);
	b[o + 3] = (uint8_t)dport;
	b[o + 5] = 16;
	return o + 16;
}

Test(pcap_live, filter_matches_dns_ports_behind_vlan_tags_and_fragments)
{
	char expr[CAP_PCAP_FILTER_MAX];
	uint16_t ports[2] = {53, 5353};
	uint8_t f[128];
	cr_assert_eq(cap_pcap_live_filter(ports, 2, expr, sizeof(expr)), 0);
	for (unsigned tags = 0; tags <= 2; tags++) {
		cr_expect(filter_matches(expr, f, udp4_frame(f, tags, 40000, 53, 0)), "tags %u",
		          tags);
		cr_expect(filter_matches(expr, f, udp4_frame(f, tags, 5353, 40000, 0)), "tags %u",
		          tags);
		cr_expect_not(filter_matches(expr, f, udp4_frame(f, tags, 40000, 123, 0)),
		              "tags %u", tags);
		/* a non-first fragment has no ports but belongs to a datagram that may */
		cr_expect(filter_matches(expr, f, udp4_frame(f, tags, 1, 2, 185)), "tags %u", tags);
	}
	cr_assert_eq(cap_pcap_live_filter(NULL, 0, expr, sizeof(expr)), 0);
	cr_expect(filter_matches(expr, f, udp4_frame(f, 0, 40000, 53, 0)));
	cr_expect_not(filter_matches(expr, f, udp4_frame(f, 0, 40000, 5353, 0)));
}

Test(pcap_live, open_on_a_missing_interface_names_it)
{
	char err[CAP_LIVE_ERR_MAX] = "";
	struct cap_live_opts o = {.ifname = "dcv-no-such0", .kind = CAP_LIVE_PCAP};
	cr_assert_null(cap_live_open(&o, err, sizeof(err)));
	cr_expect(strstr(err, "dcv-no-such0") != NULL, "%s", err);
}
