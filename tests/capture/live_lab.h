/*
 * live_lab.h - a two-namespace test bed for the live capture tests
 * (test_ebpf_source.c, test_pcap_live.c). Header-only (static inline) so each
 * test binary takes what it uses.
 *
 *   netns dcvS<pid>: veth dv<pid>s 192.0.2.1/24 2001:db8::1/64, knotd on :53
 *   netns dcvC<pid>: veth dv<pid>c 192.0.2.2/24 2001:db8::2/64, dig
 *
 * Only documentation addresses (RFC 5737, RFC 3849), only inside the
 * namespaces. lab_up() first removes namespaces of earlier runs whose test
 * process is gone (a crashed or timed-out worker cannot run its fini);
 * knotd gets SIGTERM when the test process dies (PR_SET_PDEATHSIG).
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for setns, CAP_BPF).
 */
#ifndef DCV_LIVE_LAB_H
#define DCV_LIVE_LAB_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "dns_parse.h"
#include "frame.h"
#include "live.h"
#include "test_support.h"

#define LAB_SRV_V4  "192.0.2.1"
#define LAB_CLI_V4  "192.0.2.2"
#define LAB_SRV_V6  "2001:db8::1"
#define LAB_CLI_V6  "2001:db8::2"
#define LAB_CMD_MAX 2048

struct live_lab {
	char ns_srv[32], ns_cli[32];
	char if_srv[16], if_cli[16];
	char dir[512];
	pid_t knotd;
	int up;
};

static inline int lab_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int lab_sh(const char *fmt, ...)
{
	char cmd[LAB_CMD_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Remove dcvS<pid>/dcvC<pid> namespaces whose pid is not running any more. */
static inline void lab_reap_stale(void)
{
	FILE *f = popen("ip netns list 2>/dev/null", "r");
	char line[256];
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		int pid;
		char kind;
		if (sscanf(line, "dcv%c%d", &kind, &pid) == 2 && (kind == 'S' || kind == 'C') &&
		    kill(pid, 0) < 0 && errno == ESRCH)
			lab_sh("ip netns del dcv%c%d 2>/dev/null", kind, pid);
	}
	pclose(f);
}

static inline void lab_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* Ask the server until it answers (at most ~5 s). */
static inline int lab_wait_server(struct live_lab *lab)
{
	for (int i = 0; i < 50; i++) {
		if (lab_sh("ip netns exec %s dig +tries=1 +time=1 +short @%s ns1.example.com A "
		           ">/dev/null 2>&1",
		           lab->ns_cli, LAB_SRV_V4) == 0 &&
		    lab_sh("ip netns exec %s dig +tries=1 +time=1 +short @%s ns1.example.com A "
		           ">/dev/null 2>&1",
		           lab->ns_cli, LAB_SRV_V6) == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

static inline void lab_up(struct live_lab *lab)
{
	char path[600], text[4096];
	int pid = (int)getpid();
	cr_assert_eq(geteuid(), 0,
	             "the live capture tests need root (CAP_NET_ADMIN to build network "
	             "namespaces, CAP_BPF for eBPF); run them as root");
	lab_reap_stale();
	memset(lab, 0, sizeof(*lab));
	snprintf(lab->ns_srv, sizeof(lab->ns_srv), "dcvS%d", pid);
	snprintf(lab->ns_cli, sizeof(lab->ns_cli), "dcvC%d", pid);
	snprintf(lab->if_srv, sizeof(lab->if_srv), "dv%ds", pid);
	snprintf(lab->if_cli, sizeof(lab->if_cli), "dv%dc", pid);
	snprintf(lab->dir, sizeof(lab->dir), "%s", test_tmpdir());
	lab->up = 1;

	/* namespaces and the veth pair */
	cr_assert_eq(lab_sh("ip netns add %s && ip netns add %s && "
	                    "ip link add %s netns %s type veth peer name %s netns %s",
	                    lab->ns_srv, lab->ns_cli, lab->if_srv, lab->ns_srv, lab->if_cli,
	                    lab->ns_cli),
	             0, "cannot create the namespaces and veth pair");
	cr_assert_eq(lab_sh("ip -n %s addr add %s/24 dev %s && ip -n %s addr add %s/64 dev %s nodad"
	                    " && ip -n %s link set %s up && ip -n %s link set lo up"
	                    " && ip -n %s addr add %s/24 dev %s && ip -n %s addr add %s/64 dev %s "
	                    "nodad && ip -n %s link set %s up && ip -n %s link set lo up",
	                    lab->ns_srv, LAB_SRV_V4, lab->if_srv, lab->ns_srv, LAB_SRV_V6,
	                    lab->if_srv, lab->ns_srv, lab->if_srv, lab->ns_srv, lab->ns_cli,
	                    LAB_CLI_V4, lab->if_cli, lab->ns_cli, LAB_CLI_V6, lab->if_cli,
	                    lab->ns_cli, lab->if_cli, lab->ns_cli),
	             0, "cannot configure the veth pair");

	/* knotd with a wildcard zone */
	snprintf(path, sizeof(path), "%s/example.com.zone", lab->dir);
	lab_write(path, "$ORIGIN example.com.\n$TTL 300\n"
	                "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\n"
	                "ns1 IN A 192.0.2.1\n* IN A 192.0.2.80\n* IN AAAA 2001:db8::80\n");
	snprintf(text, sizeof(text),
	         "server:\n    listen: [ %s@53, %s@53 ]\n    rundir: %s\n"
	         "    background-workers: 1\n    udp-workers: 1\n    tcp-workers: 1\n"
	         "database:\n    storage: %s\nlog:\n  - target: stderr\n    any: error\n"
	         "zone:\n  - domain: example.com\n    file: %s\n    journal-content: none\n",
	         LAB_SRV_V4, LAB_SRV_V6, lab->dir, lab->dir, path);
	snprintf(path, sizeof(path), "%s/knot.conf", lab->dir);
	lab_write(path, text);
	pid_t child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execlp("ip", "ip", "netns", "exec", lab->ns_srv, "knotd", "-c", path, (char *)NULL);
		_exit(127);
	}
	lab->knotd = child;
	cr_assert_eq(lab_wait_server(lab), 0, "knotd in %s does not answer", lab->ns_srv);
}

static inline void lab_down(struct live_lab *lab)
{
	if (!lab->up)
		return;
	/* knotd by its PID, then the namespaces (which take the veth with them) */
	if (lab->knotd > 0) {
		kill(lab->knotd, SIGTERM);
		for (int i = 0; i < 50; i++) {
			if (waitpid(lab->knotd, NULL, WNOHANG) == lab->knotd) {
				lab->knotd = 0;
				break;
			}
			usleep(100000);
		}
		if (lab->knotd > 0) {
			kill(lab->knotd, SIGKILL);
			waitpid(lab->knotd, NULL, 0);
		}
		lab->knotd = 0;
	}
	lab_sh("ip netns del %s 2>/dev/null", lab->ns_srv);
	lab_sh("ip netns del %s 2>/dev/null", lab->ns_cli);
	lab->up = 0;
}

/* Move the calling thread into the server namespace (capture happens there). */
static inline void lab_enter_server(struct live_lab *lab)
{
	char path[128];
	snprintf(path, sizeof(path), "/var/run/netns/%s", lab->ns_srv);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(setns(fd, CLONE_NEWNET), 0, "setns %s: %s", path, strerror(errno));
	close(fd);
}

/* n queries, one dig process: names q<i>.<tag>.example.com, A or AAAA.
 * Returns dig's exit status (no assertions: also used in a child process). */
static inline int lab_queries_rc(struct live_lab *lab, const char *server, unsigned n, int tcp,
                                 const char *tag)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/queries-%s.txt", lab->dir, tag);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "q%u.%s.example.com %s\n", i, tag, i % 2 ? "AAAA" : "A");
	fclose(f);
	return lab_sh("ip netns exec %s dig -f %s @%s %s +tries=1 +retry=0 +time=3 +short "
	              ">/dev/null",
	              lab->ns_cli, path, server, tcp ? "+tcp" : "+notcp");
}

static inline void lab_queries(struct live_lab *lab, const char *server, unsigned n, int tcp,
                               const char *tag)
{
	cr_assert_eq(lab_queries_rc(lab, server, n, tcp, tag), 0, "dig batch %s failed", tag);
}

/* The standard mix, sent by a child process while the test reads the capture
 * (as the sidecar does): UDP over IPv4, UDP over IPv6, TCP over IPv4. */
static inline pid_t lab_mix_start(struct live_lab *lab, unsigned udp4, unsigned udp6, unsigned tcp4)
{
	pid_t child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int rc = lab_queries_rc(lab, LAB_SRV_V4, udp4, 0, "udp4") |
		         lab_queries_rc(lab, LAB_SRV_V6, udp6, 0, "udp6") |
		         lab_queries_rc(lab, LAB_SRV_V4, tcp4, 1, "tcp4");
		_exit(rc == 0 ? 0 : 1);
	}
	return child;
}

/* Traffic that must not be delivered: ping (v4, v6) and UDP to port 123. */
static inline void lab_non_dns(struct live_lab *lab)
{
	cr_assert_eq(
	    lab_sh("ip netns exec %s ping -q -c 5 -i 0.01 %s >/dev/null", lab->ns_cli, LAB_SRV_V4),
	    0);
	cr_assert_eq(
	    lab_sh("ip netns exec %s ping -q -c 5 -i 0.01 %s >/dev/null", lab->ns_cli, LAB_SRV_V6),
	    0);
	cr_assert_eq(lab_sh("ip netns exec %s bash -c 'for i in $(seq 20); do "
	                    "echo ntp > /dev/udp/%s/123; done'",
	                    lab->ns_cli, LAB_SRV_V4),
	             0);
}

/* What the tests count in the captured frames. Index 0 = IPv4, 1 = IPv6. */
struct lab_counts {
	unsigned frames;
	unsigned undecoded; /* frames that are not a UDP/TCP packet */
	unsigned non_dns;   /* packets not on port 53 */
	unsigned udp_q[2], udp_r[2];
	unsigned tcp_q[2], tcp_r[2]; /* one length-prefixed message per segment */
	unsigned syn[2], synack[2];
	unsigned to_dns[2], from_dns[2]; /* packets */
	uint64_t to_dns_bytes[2], from_dns_bytes[2];
};

static inline void lab_count(struct lab_counts *c, struct decoder *d, const struct cap_frame *f)
{
	struct dcv_pkt p;
	struct dns_msg m;
	c->frames++;
	if (decode_frame(d, f, &p) != DECODE_PACKET) {
		c->undecoded++;
		return;
	}
	int v6 = p.src.family == DCV_ADDR_V6;
	int to_dns = p.dport == 53;
	if (!to_dns && p.sport != 53) {
		c->non_dns++;
		return;
	}
	if (to_dns) {
		c->to_dns[v6]++;
		c->to_dns_bytes[v6] += f->wirelen;
	} else {
		c->from_dns[v6]++;
		c->from_dns_bytes[v6] += f->wirelen;
	}
	if (p.proto == DCV_PROTO_TCP) {
		if ((p.tcp_flags & (DCV_TCP_SYN | DCV_TCP_ACK)) == DCV_TCP_SYN)
			c->syn[v6]++;
		if ((p.tcp_flags & (DCV_TCP_SYN | DCV_TCP_ACK)) == (DCV_TCP_SYN | DCV_TCP_ACK))
			c->synack[v6]++;
		if (p.payload_len < 2 + DNS_HEADER_SIZE)
			return;
		uint32_t mlen = ((uint32_t)p.payload[0] << 8) | p.payload[1];
		if (mlen + 2 != p.payload_len || dns_parse(p.payload + 2, mlen, &m) < 0 ||
		    !m.header_ok)
			return;
		if (m.qr)
			c->tcp_r[v6]++;
		else
			c->tcp_q[v6]++;
		return;
	}
	if (dns_parse(p.payload, p.payload_len, &m) < 0 || !m.header_ok)
		return;
	if (m.qr)
		c->udp_r[v6]++;
	else
		c->udp_q[v6]++;
}

/* Read and count frames while the traffic child (0 = none) runs, then until
 * none arrives for quiet_ms. Asserts that the child succeeded. */
static inline void lab_drain_while(struct cap_live *l, struct lab_counts *c, pid_t traffic,
                                   int quiet_ms)
{
	struct decoder *d = decoder_new(NULL);
	struct cap_frame f;
	int status = 0;
	cr_assert_not_null(d);
	for (;;) {
		int rc = cap_live_next(l, &f, traffic ? 20 : quiet_ms);
		cr_assert_neq(rc, CAP_LIVE_ERROR, "next: %s", cap_live_error(l));
		if (rc == CAP_LIVE_FRAME) {
			lab_count(c, d, &f);
			continue;
		}
		if (traffic == 0)
			break;
		if (waitpid(traffic, &status, WNOHANG) == traffic) {
			cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			          "the query child failed");
			traffic = 0;
		}
	}
	decoder_free(d);
}

static inline void lab_drain(struct cap_live *l, struct lab_counts *c, int quiet_ms)
{
	lab_drain_while(l, c, 0, quiet_ms);
}

/* Per-source kernel counters of one client address. */
struct lab_src_find {
	uint8_t addr[16];
	int found;
	struct cap_src_counters c;
};

static inline int lab_src_cb(const struct cap_src_counters *c, void *ctx)
{
	struct lab_src_find *s = ctx;
	if (memcmp(c->addr, s->addr, 16) == 0) {
		s->c = *c;
		s->found++;
	}
	return 0;
}

static inline void lab_mapped_v4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

#endif
