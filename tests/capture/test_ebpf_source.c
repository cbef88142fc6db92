/* test_ebpf_source.c - the eBPF TC source against a real knotd in a network
 * namespace: exact delivery, exact per-source counters, no non-DNS traffic,
 * clean detach, and no stale filters after a SIGKILL. Needs root; fails (does
 * not skip) where BPF is not permitted. */
#include "live_lab.h"

#ifdef DCV_HAVE_EBPF
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <net/if.h>

#include "ebpf_source.h"

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

TestSuite(ebpf_source, .init = setup, .fini = teardown, .timeout = 90);

static struct cap_live *open_ebpf(enum cap_ebpf_attach mode, const char *ifname)
{
	char err[CAP_LIVE_ERR_MAX];
	struct cap_live_opts o = {
	    .ifname = ifname, .kind = CAP_LIVE_EBPF, .attach = mode, .state_dir = lab.dir};
	struct cap_live *l = cap_live_open(&o, err, sizeof(err));
	cr_assert_not_null(l,
	                   "eBPF capture cannot be opened on %s (is BPF permitted here? "
	                   "needs CAP_BPF+CAP_NET_ADMIN): %s",
	                   ifname, err);
	return l;
}

static int tc_has(const char *ns, const char *what, const char *dev, const char *needle)
{
	return lab_sh("ip netns exec %s tc %s show dev %s %s | grep -q '%s'", ns, what, dev,
	              strcmp(what, "filter") == 0 ? "ingress" : "", needle) == 0 ||
	       (strcmp(what, "filter") == 0 &&
	        lab_sh("ip netns exec %s tc filter show dev %s egress | grep -q '%s'", ns, dev,
	               needle) == 0);
}

/* Programs attached through tcx links in one direction (0 if none). */
static unsigned tcx_count(const char *ifname, int egress)
{
	uint32_t ids[16], cnt = 16, flags = 0;
	int ifindex = (int)if_nametoindex(ifname);
	cr_assert_gt(ifindex, 0);
	if (bpf_prog_query(ifindex, egress ? 47 : 46, 0, &flags, ids, &cnt) < 0)
		return 0;
	return cnt;
}

static void check_exact_delivery(enum cap_ebpf_attach mode)
{
	struct cap_live *l = open_ebpf(mode, lab.if_srv);
	struct lab_counts c = {0};
	struct cap_live_stats s;

	pid_t traffic = lab_mix_start(&lab, UDP4_QUERIES, UDP6_QUERIES, TCP4_QUERIES);
	lab_drain_while(l, &c, traffic, QUIET_MS);

	/* every DNS message, nothing else */
	cr_expect_eq(c.udp_q[0], UDP4_QUERIES);
	cr_expect_eq(c.udp_r[0], UDP4_QUERIES);
	cr_expect_eq(c.udp_q[1], UDP6_QUERIES);
	cr_expect_eq(c.udp_r[1], UDP6_QUERIES);
	cr_expect_eq(c.tcp_q[0], TCP4_QUERIES);
	cr_expect_eq(c.tcp_r[0], TCP4_QUERIES);
	cr_expect_eq(c.syn[0], TCP4_QUERIES);
	cr_expect_eq(c.synack[0], TCP4_QUERIES);
	cr_expect_eq(c.undecoded, 0);
	cr_expect_eq(c.non_dns, 0);
	/* nothing lost, kernel and userspace agree */
	cr_assert_eq(cap_live_get_stats(l, &s), 0);
	cr_expect_eq(s.ringbuf_dropped, 0);
	cr_expect_eq(s.received, c.frames);
	cr_expect_eq(s.kernel_matched, c.frames);

	/* exact per-source counters: the IPv6 client only sent UDP */
	struct lab_src_find v4 = {0}, v6 = {0};
	lab_mapped_v4(v4.addr, 192, 0, 2, 2);
	cr_assert_eq(inet_pton(AF_INET6, LAB_CLI_V6, v6.addr), 1);
	cr_assert_eq(cap_live_sources(l, lab_src_cb, &v4), 0);
	cr_assert_eq(cap_live_sources(l, lab_src_cb, &v6), 0);
	cr_assert_eq(v4.found, 1);
	cr_assert_eq(v6.found, 1);
	cr_expect_eq(v6.c.pkts_to_dns, UDP6_QUERIES);
	cr_expect_eq(v6.c.pkts_from_dns, UDP6_QUERIES);
	cr_expect_eq(v6.c.bytes_to_dns, c.to_dns_bytes[1]);
	cr_expect_eq(v6.c.bytes_from_dns, c.from_dns_bytes[1]);
	cr_expect_eq(v4.c.pkts_to_dns, c.to_dns[0]);
	cr_expect_eq(v4.c.pkts_from_dns, c.from_dns[0]);
	cr_expect_eq(v4.c.bytes_to_dns, c.to_dns_bytes[0]);
	cr_expect_eq(v4.c.bytes_from_dns, c.from_dns_bytes[0]);
	cr_expect_eq(v4.c.syn, TCP4_QUERIES);
	cr_expect_eq(v4.c.synack, TCP4_QUERIES);
	cr_expect_geq(v4.c.pkts_to_dns, UDP4_QUERIES + 3 * TCP4_QUERIES); /* SYN, ACK, query */
	cap_live_close(l);
}

Test(ebpf_source, tcx_mode_delivers_every_query_and_response_and_counts_sources_exactly)
{
	check_exact_delivery(CAP_EBPF_ATTACH_TCX);
}

Test(ebpf_source, tc_mode_delivers_every_query_and_response_and_counts_sources_exactly)
{
	check_exact_delivery(CAP_EBPF_ATTACH_TC);
}

Test(ebpf_source, frames_carry_wall_clock_timestamps_and_ethernet_linktype)
{
	struct cap_live *l = open_ebpf(CAP_EBPF_ATTACH_AUTO, lab.if_srv);
	struct cap_frame f;
	struct timespec t0, t1;
	clock_gettime(CLOCK_REALTIME, &t0);
	lab_queries(&lab, LAB_SRV_V4, 1, 0, "clock");
	clock_gettime(CLOCK_REALTIME, &t1);
	cr_assert_eq(cap_live_next(l, &f, 1000), CAP_LIVE_FRAME);
	uint64_t lo = (uint64_t)t0.tv_sec * 1000000000ull + (uint64_t)t0.tv_nsec;
	uint64_t hi = (uint64_t)t1.tv_sec * 1000000000ull + (uint64_t)t1.tv_nsec;
	cr_expect(f.ts_ns >= lo && f.ts_ns <= hi, "ts %llu not within [%llu, %llu]",
	          (unsigned long long)f.ts_ns, (unsigned long long)lo, (unsigned long long)hi);
	cr_expect_eq(f.linktype, 1 /* DLT_EN10MB */);
	cr_expect_eq(f.caplen, f.wirelen);
	cap_live_close(l);
}

Test(ebpf_source, udp_snap_length_cuts_records_and_keeps_wire_length)
{
	char err[CAP_LIVE_ERR_MAX];
	struct cap_live_opts o = {.ifname = lab.if_srv, .kind = CAP_LIVE_EBPF, .snaplen = 60};
	struct cap_live *l = cap_live_open(&o, err, sizeof(err));
	cr_assert_not_null(l, "%s", err);
	struct cap_frame f;
	struct cap_live_stats s;
	lab_queries(&lab, LAB_SRV_V4, 1, 0, "snap");
	cr_assert_eq(cap_live_next(l, &f, 1000), CAP_LIVE_FRAME);
	cr_expect_eq(f.caplen, 60);
	cr_expect_gt(f.wirelen, 60);
	cr_assert_eq(cap_live_next(l, &f, 1000), CAP_LIVE_FRAME);
	cr_assert_eq(cap_live_get_stats(l, &s), 0);
	cr_expect_eq(s.truncated, 2);
	cap_live_close(l);
}

Test(ebpf_source, ping_and_udp_to_port_123_are_not_delivered)
{
	struct cap_live *l = open_ebpf(CAP_EBPF_ATTACH_AUTO, lab.if_srv);
	struct lab_counts c = {0};
	struct cap_live_stats s;
	lab_non_dns(&lab);
	lab_drain(l, &c, QUIET_MS);
	cr_expect_eq(c.frames, 0);
	cr_assert_eq(cap_live_get_stats(l, &s), 0);
	cr_expect_eq(s.kernel_matched, 0);
	struct lab_src_find v4 = {0};
	lab_mapped_v4(v4.addr, 192, 0, 2, 2);
	cr_assert_eq(cap_live_sources(l, lab_src_cb, &v4), 0);
	cr_expect_eq(v4.found, 0);
	cap_live_close(l);
}

Test(ebpf_source, loopback_gives_ethernet_frames_seen_in_both_directions)
{
	/* the server asks itself: the packets cross lo, out and back in */
	struct cap_live *l = open_ebpf(CAP_EBPF_ATTACH_AUTO, "lo");
	struct lab_counts c = {0};
	cr_assert_eq(lab_sh("ip netns exec %s dig +tries=1 +retry=0 +time=2 +short @%s "
	                    "self.example.com A >/dev/null",
	                    lab.ns_srv, LAB_SRV_V4),
	             0);
	lab_drain(l, &c, QUIET_MS);
	cr_expect_eq(c.frames, 4);
	cr_expect_eq(c.udp_q[0], 2);
	cr_expect_eq(c.udp_r[0], 2);
	cr_expect_eq(c.undecoded, 0);
	cap_live_close(l);
}

Test(ebpf_source, close_removes_the_clsact_qdisc_it_created)
{
	struct cap_live *l = open_ebpf(CAP_EBPF_ATTACH_TC, lab.if_srv);
	cr_expect(tc_has(lab.ns_srv, "qdisc", lab.if_srv, "clsact"));
	cr_expect(tc_has(lab.ns_srv, "filter", lab.if_srv, "dcv_tc_ingress"));
	cr_expect(tc_has(lab.ns_srv, "filter", lab.if_srv, "dcv_tc_egress"));
	cap_live_close(l);
	cr_expect_not(tc_has(lab.ns_srv, "qdisc", lab.if_srv, "clsact"));
	cr_expect_not(tc_has(lab.ns_srv, "filter", lab.if_srv, "dcv_tc"));
}

Test(ebpf_source, close_keeps_a_clsact_qdisc_that_existed_before)
{
	cr_assert_eq(lab_sh("ip netns exec %s tc qdisc add dev %s clsact", lab.ns_srv, lab.if_srv),
	             0);
	struct cap_live *l = open_ebpf(CAP_EBPF_ATTACH_TC, lab.if_srv);
	cr_expect(tc_has(lab.ns_srv, "filter", lab.if_srv, "dcv_tc_ingress"));
	cap_live_close(l);
	cr_expect(tc_has(lab.ns_srv, "qdisc", lab.if_srv, "clsact"));
	cr_expect_not(tc_has(lab.ns_srv, "filter", lab.if_srv, "dcv_tc"));
}

Test(ebpf_source, tcx_mode_leaves_no_tc_state_and_detaches_on_close)
{
	struct cap_live *l = open_ebpf(CAP_EBPF_ATTACH_TCX, lab.if_srv);
	cr_expect_eq(tcx_count(lab.if_srv, 0), 1);
	cr_expect_eq(tcx_count(lab.if_srv, 1), 1);
	cr_expect_not(tc_has(lab.ns_srv, "qdisc", lab.if_srv, "clsact"));
	cap_live_close(l);
	cr_expect_eq(tcx_count(lab.if_srv, 0), 0);
	cr_expect_eq(tcx_count(lab.if_srv, 1), 0);
}

/* A child captures; the test SIGKILLs it (by PID) once it is attached. */
static void kill_capturing_child(enum cap_ebpf_attach mode)
{
	int pfd[2];
	char ok = 0;
	cr_assert_eq(pipe(pfd), 0);
	pid_t child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		char err[CAP_LIVE_ERR_MAX];
		struct cap_live_opts o = {.ifname = lab.if_srv,
		                          .kind = CAP_LIVE_EBPF,
		                          .attach = mode,
		                          .state_dir = lab.dir};
		struct cap_live *l = cap_live_open(&o, err, sizeof(err));
		char r = l ? 1 : 0;
		if (write(pfd[1], &r, 1) != 1)
			_exit(1);
		for (int i = 0; i < 600; i++)
			pause();
		_exit(0);
	}
	close(pfd[1]);
	cr_assert_eq(read(pfd[0], &ok, 1), 1);
	close(pfd[0]);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	cr_assert_eq(ok, 1, "the child could not attach");
}

Test(ebpf_source, killed_tc_capture_leaves_nothing_after_the_next_open_and_close)
{
	kill_capturing_child(CAP_EBPF_ATTACH_TC);
	/* kill -9 leaves tc filters behind: that is what the next run cleans */
	cr_expect(tc_has(lab.ns_srv, "filter", lab.if_srv, "dcv_tc_ingress"));
	struct cap_live *l = open_ebpf(CAP_EBPF_ATTACH_TC, lab.if_srv);
	cap_live_close(l);
	cr_expect_not(tc_has(lab.ns_srv, "filter", lab.if_srv, "dcv_tc"));
	cr_expect_not(tc_has(lab.ns_srv, "qdisc", lab.if_srv, "clsact"));
}

Test(ebpf_source, killed_tcx_capture_leaves_nothing_attached)
{
	kill_capturing_child(CAP_EBPF_ATTACH_TCX);
	cr_expect_eq(tcx_count(lab.if_srv, 0), 0);
	cr_expect_eq(tcx_count(lab.if_srv, 1), 0);
	cr_expect_not(tc_has(lab.ns_srv, "qdisc", lab.if_srv, "clsact"));
}

#else

Test(ebpf_source, built_without_ebpf)
{
	cr_skip_test("dcvscope was configured with -DDCV_EBPF=OFF: no eBPF source to test");
}

#endif
