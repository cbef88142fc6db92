/*
 * capbench_read.c - the capture side of tools/bench/capture_bench.sh: reads a
 * live source (capture/live.h) on one interface and reports what it received
 * and what the source says it lost.
 *
 *   dcv-capbench-read --kind ebpf|pcap --iface IF [--buffer BYTES]
 *                     [--snaplen N] [--consumer-rate FPS] [--idle-ms MS] [--max-s S]
 *
 * Prints "ready CHOICE" once the source is open and attached, then reads until
 * SIGUSR1, SIGINT or SIGTERM (the sender is done) and drains the source until
 * nothing arrives for --idle-ms, or until --max-s seconds after the start,
 * whichever comes first. Then it prints, one "key=value" per line:
 *
 *   delivered        frames handed to this reader
 *   kernel_matched   eBPF: packets the program matched; pcap: ps_recv
 *   kernel_dropped   pcap: ps_drop (no room in the kernel ring)
 *   if_dropped       pcap: ps_ifdrop
 *   ringbuf_dropped  eBPF: records lost to a full ring buffer
 *   drained          1 if the source went idle, 0 if --max-s cut the drain
 *
 * and one line per source address: "usrc ADDR N" for frames delivered here
 * (Ethernet + IPv4 frames only, from the frame bytes), "ksrc ADDR N" for the
 * eBPF program's exact in-kernel count of packets the source sent to the DNS
 * port (none for pcap, which keeps no such counters).
 *
 * --consumer-rate makes a slow consumer: it takes at most FPS frames a
 * second (it sleeps when ahead), as an analyzer that cannot keep up would.
 * --buffer sets the pcap kernel buffer or the eBPF ring buffer (0 = the
 * source's default), --snaplen the bytes kept of each frame (0 = the source's
 * default).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <pcap/dlt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live.h"

#define READ_IDLE_MS_DEF 300  /* default --idle-ms */
#define READ_MAX_S_DEF   30.0 /* default --max-s */
#define READ_WAIT_MS     100  /* longest wait in cap_live_next() */
#define READ_PACE_EVERY  64   /* slow consumer: frames between clock checks */
#define USRC_SLOTS       1024 /* distinct IPv4 sources counted in userspace */
#define ETH_HDR_LEN      14
#define ETH_TYPE_OFFSET  12
#define ETH_TYPE_IPV4    0x0800
#define IPV4_SRC_OFFSET  12

static volatile sig_atomic_t sender_done;

static void on_signal(int sig)
{
	(void)sig;
	sender_done = 1;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Frames delivered per IPv4 source: open addressing, address 0 = empty. */
struct usrc_table {
	uint32_t addr[USRC_SLOTS];
	uint64_t n[USRC_SLOTS];
	uint64_t other; /* not Ethernet + IPv4, or the table is full */
};

static void usrc_count(struct usrc_table *t, const struct cap_frame *f)
{
	uint32_t a;
	if (f->linktype != DLT_EN10MB || f->caplen < ETH_HDR_LEN + IPV4_SRC_OFFSET + 4 ||
	    ((f->data[ETH_TYPE_OFFSET] << 8) | f->data[ETH_TYPE_OFFSET + 1]) != ETH_TYPE_IPV4) {
		t->other++;
		return;
	}
	memcpy(&a, f->data + ETH_HDR_LEN + IPV4_SRC_OFFSET, 4);
	for (uint32_t i = 0, h = (ntohl(a) * 2654435761u) % USRC_SLOTS; i < USRC_SLOTS;
	     i++, h = (h + 1) % USRC_SLOTS) {
		if (t->addr[h] == a || t->addr[h] == 0) {
			t->addr[h] = a;
			t->n[h]++;
			return;
		}
	}
	t->other++;
}

/* Print one eBPF per-source counter: IPv4-mapped addresses as IPv4. */
static int print_ksrc(const struct cap_src_counters *c, void *ctx)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char a[INET6_ADDRSTRLEN];
	(void)ctx;
	if (memcmp(c->addr, mapped, sizeof(mapped)) == 0)
		inet_ntop(AF_INET, c->addr + 12, a, sizeof(a));
	else
		inet_ntop(AF_INET6, c->addr, a, sizeof(a));
	printf("ksrc %s %llu\n", a, (unsigned long long)c->pkts_to_dns);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: dcv-capbench-read --kind ebpf|pcap --iface IF [--buffer BYTES]\n"
	                "                         [--snaplen N] [--consumer-rate FPS] [--idle-ms "
	                "MS] [--max-s S]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"kind", required_argument, NULL, 'k'},
	                                         {"iface", required_argument, NULL, 'i'},
	                                         {"buffer", required_argument, NULL, 'b'},
	                                         {"consumer-rate", required_argument, NULL, 'c'},
	                                         {"idle-ms", required_argument, NULL, 'I'},
	                                         {"max-s", required_argument, NULL, 'm'},
	                                         {"snaplen", required_argument, NULL, 's'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	struct cap_live_opts o = {.kind = CAP_LIVE_EBPF};
	static struct usrc_table us;
	char err[CAP_LIVE_ERR_MAX];
	double consumer_rate = 0, max_s = READ_MAX_S_DEF;
	int idle_ms = READ_IDLE_MS_DEF, c, rc = 1;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (strcmp(optarg, "ebpf") == 0)
				o.kind = CAP_LIVE_EBPF;
			else if (strcmp(optarg, "pcap") == 0)
				o.kind = CAP_LIVE_PCAP;
			else
				return usage();
			break;
		case 'i':
			o.ifname = optarg;
			break;
		case 'b':
			o.buffer_bytes = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			o.snaplen = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			consumer_rate = atof(optarg);
			break;
		case 'I':
			idle_ms = atoi(optarg);
			break;
		case 'm':
			max_s = atof(optarg);
			break;
		default:
			return usage();
		}
	}
	if (o.ifname == NULL || consumer_rate < 0 || idle_ms <= 0 || max_s <= 0)
		return usage();

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct cap_live *l = cap_live_open(&o, err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "dcv-capbench-read: %s\n", err);
		return 1;
	}
	printf("ready %s\n", cap_live_choice(l));
	fflush(stdout);

	/* read until the sender is done, then until the source is idle */
	double t0 = now_s(), first = 0;
	uint64_t n = 0;
	int drained = 0;
	for (;;) {
		struct cap_frame f;
		/* the signal itself ends a wait early: only a wait begun after it
		 * counts as the idle time that ends the drain */
		int draining = sender_done;
		int r = cap_live_next(l, &f, draining ? idle_ms : READ_WAIT_MS);
		if (r == CAP_LIVE_ERROR) {
			fprintf(stderr, "dcv-capbench-read: %s\n", cap_live_error(l));
			goto out;
		}
		if (r == CAP_LIVE_FRAME) {
			usrc_count(&us, &f);
			if (n++ == 0)
				first = now_s();
			/* slow consumer: no more than consumer_rate frames a second */
			if (consumer_rate > 0 && n % READ_PACE_EVERY == 0) {
				double due = first + (double)n / consumer_rate, t = now_s();
				if (due > t) {
					struct timespec ts = {
					    .tv_sec = (time_t)(due - t),
					    .tv_nsec =
					        (long)((due - t - (double)(time_t)(due - t)) *
					               1e9)};
					nanosleep(&ts, NULL);
				}
			}
		} else if (draining) {
			drained = 1; /* idle for idle_ms after the sender finished */
			break;
		}
		if (now_s() - t0 >= max_s)
			break;
	}

	struct cap_live_stats s;
	if (cap_live_get_stats(l, &s) < 0) {
		fprintf(stderr, "dcv-capbench-read: %s\n", cap_live_error(l));
		goto out;
	}
	printf("choice=%s\ndelivered=%llu\nkernel_matched=%llu\nkernel_dropped=%llu\n"
	       "if_dropped=%llu\nringbuf_dropped=%llu\ndrained=%d\nother_frames=%llu\n",
	       cap_live_choice(l), (unsigned long long)n, (unsigned long long)s.kernel_matched,
	       (unsigned long long)s.kernel_dropped, (unsigned long long)s.if_dropped,
	       (unsigned long long)s.ringbuf_dropped, drained, (unsigned long long)us.other);
	for (int i = 0; i < USRC_SLOTS; i++) {
		char a[INET_ADDRSTRLEN];
		if (us.addr[i] == 0)
			continue;
		inet_ntop(AF_INET, &us.addr[i], a, sizeof(a));
		printf("usrc %s %llu\n", a, (unsigned long long)us.n[i]);
	}
	int k = cap_live_sources(l, print_ksrc, NULL);
	if (k == -1) {
		fprintf(stderr, "dcv-capbench-read: %s\n", cap_live_error(l));
		goto out;
	}
	rc = 0;
out:
	cap_live_close(l);
	return rc;
}
