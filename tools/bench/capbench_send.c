/*
 * capbench_send.c - the paced UDP sender (and the UDP sink) of
 * tools/bench/capture_bench.sh.
 *
 *   dcv-capbench-send --dst ADDR --count N [--rate PPS] [--port P]
 *                     [--src ADDR --sources K] [--max-s S]
 *   dcv-capbench-send --sink ADDR [--port P]
 *
 * Sender: exactly N DNS-query-shaped packets (A queries for q<id>.example.com
 * with an OPT record, a distinct DNS id per packet) to ADDR:P, spread round
 * robin over K sockets bound to K consecutive IPv4 source addresses starting
 * at --src (each must be configured on the sending interface; without --src,
 * one socket with the kernel's choice). --rate paces the packets: packet n
 * leaves no earlier than n / PPS seconds after the start (absolute deadlines,
 * so the average rate is exact even when one sleep overshoots); 0 = as fast
 * as sendmmsg() goes. --max-s bounds the run: a sender that cannot reach its
 * count in time stops and says so (complete=0).
 *
 * What "sent" means: the packets sendmmsg() accepted. Whether they reached
 * the receiving interface is for its rx counter to say (a veth drops when
 * the receiving CPU's backlog is full).
 *
 * Output, one "key=value" per line, then one line per source:
 *   sent=N complete=0|1 elapsed_s=S rate=PPS send_errors=E
 *   src ADDR PACKETS
 *
 * Sink: binds a UDP socket to ADDR:P and waits for a signal, never reading,
 * so that the flood meets an open port (no ICMP port unreachable) and costs
 * the receiver no copy to userspace.
 *
 * For benchmarks inside private network namespaces only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SEND_BATCH_MAX  64   /* messages per sendmmsg() */
#define SEND_TICK_PPS   2000 /* paced: about this many sendmmsg() per second */
#define SEND_SOURCES    256  /* most source addresses */
#define SEND_MAX_S_DEF  10.0 /* default --max-s */
#define SEND_DNS_PORT   53   /* default --port */
#define QUERY_ID_OFFSET 0    /* DNS id: first two bytes of the message */
#define QUERY_NAME_NUM  14   /* the 5 digits of "q00000" in the query below */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sleep until the CLOCK_MONOTONIC time t (seconds). */
static void sleep_until(double t)
{
	struct timespec ts;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

static int usage(void)
{
	fprintf(stderr, "usage: dcv-capbench-send --dst ADDR --count N [--rate PPS] [--port P]\n"
	                "                         [--src ADDR --sources K] [--max-s S]\n"
	                "       dcv-capbench-send --sink ADDR [--port P]\n");
	return 2;
}

static int run_sink(const char *addr, unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return usage();
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("sink");
		return 1;
	}
	printf("sink ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	/* "q00000.example.com A" with an OPT record (4096-byte payload) */
	static const uint8_t query[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	                                0x00, 0x01, 6,    'q',  '0',  '0',  '0',  '0',  '0',  7,
	                                'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',
	                                'm',  0,    0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x10,
	                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	static const struct option longopts[] = {
	    {"dst", required_argument, NULL, 'd'},   {"count", required_argument, NULL, 'n'},
	    {"rate", required_argument, NULL, 'r'},  {"port", required_argument, NULL, 'p'},
	    {"src", required_argument, NULL, 's'},   {"sources", required_argument, NULL, 'k'},
	    {"max-s", required_argument, NULL, 'm'}, {"sink", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
	const char *dst = NULL, *src = NULL, *sink = NULL;
	unsigned long long count = 0;
	double rate = 0, max_s = SEND_MAX_S_DEF;
	unsigned port = SEND_DNS_PORT, nsrc = 1;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dst = optarg;
			break;
		case 'n':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'p':
			port = (unsigned)atoi(optarg);
			break;
		case 's':
			src = optarg;
			break;
		case 'k':
			nsrc = (unsigned)atoi(optarg);
			break;
		case 'm':
			max_s = atof(optarg);
			break;
		case 'S':
			sink = optarg;
			break;
		default:
			return usage();
		}
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (port == 0 || port > 65535)
		return usage();
	if (sink)
		return run_sink(sink, port);
	if (dst == NULL || count == 0 || rate < 0 || max_s <= 0 || nsrc < 1 ||
	    nsrc > SEND_SOURCES || (nsrc > 1 && src == NULL))
		return usage();

	/* one connected socket per source address */
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct in_addr from = {0};
	if (inet_pton(AF_INET, dst, &to.sin_addr) != 1 ||
	    (src && inet_pton(AF_INET, src, &from) != 1))
		return usage();
	int fds[SEND_SOURCES];
	unsigned long long per_src[SEND_SOURCES] = {0};
	for (unsigned i = 0; i < nsrc; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] < 0) {
			perror("socket");
			return 1;
		}
		if (src) {
			struct sockaddr_in a = {.sin_family = AF_INET};
			a.sin_addr.s_addr = htonl(ntohl(from.s_addr) + i);
			if (bind(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0) {
				fprintf(stderr, "bind %s + %u: %s\n", src, i, strerror(errno));
				return 1;
			}
		}
		if (connect(fds[i], (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("connect");
			return 1;
		}
	}

	/* a batch of distinct messages: each gets its DNS id and name per send */
	static uint8_t bufs[SEND_BATCH_MAX][sizeof(query)];
	struct iovec iov[SEND_BATCH_MAX];
	struct mmsghdr msgs[SEND_BATCH_MAX];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < SEND_BATCH_MAX; i++) {
		memcpy(bufs[i], query, sizeof(query));
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(query);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	unsigned batch = SEND_BATCH_MAX;
	if (rate > 0) {
		double b = rate / SEND_TICK_PPS;
		batch = b < 1 ? 1 : b > SEND_BATCH_MAX ? SEND_BATCH_MAX : (unsigned)b;
	}

	unsigned long long sent = 0, errors = 0, id = 0;
	unsigned s = 0;
	double t0 = now_s(), t = t0;
	while (sent < count && !stop) {
		if (rate > 0)
			sleep_until(t0 + (double)sent / rate);
		t = now_s();
		if (t - t0 >= max_s)
			break;
		unsigned n = count - sent < batch ? (unsigned)(count - sent) : batch;
		for (unsigned i = 0; i < n; i++) {
			unsigned long long q = id + i;
			bufs[i][QUERY_ID_OFFSET] = (uint8_t)(q >> 8);
			bufs[i][QUERY_ID_OFFSET + 1] = (uint8_t)q;
			for (int d = 4; d >= 0; d--, q /= 10)
				bufs[i][QUERY_NAME_NUM + d] = (uint8_t)('0' + q % 10);
		}
		int r = sendmmsg(fds[s], msgs, n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("sendmmsg");
				return 1;
			}
			errors++;
			continue;
		}
		sent += (unsigned long long)r;
		per_src[s] += (unsigned long long)r;
		id += (unsigned long long)r;
		s = (s + 1) % nsrc;
	}
	double el = now_s() - t0;

	printf("sent=%llu\ncomplete=%d\nelapsed_s=%.6f\nrate=%.0f\nsend_errors=%llu\n", sent,
	       sent == count, el, el > 0 ? (double)sent / el : 0.0, errors);
	for (unsigned i = 0; i < nsrc; i++) {
		char a[INET_ADDRSTRLEN] = "any";
		if (src) {
			struct in_addr x = {.s_addr = htonl(ntohl(from.s_addr) + i)};
			inet_ntop(AF_INET, &x, a, sizeof(a));
		}
		printf("src %s %llu\n", a, per_src[i]);
	}
	return sent == count ? 0 : 3;
}
