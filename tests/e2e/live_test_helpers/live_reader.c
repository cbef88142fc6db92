/* live_reader.c - opens a live source (ebpf|pcap) on IFACE, reads for
 * SECONDS and prints frames/s and what each counter says was lost.
 * Usage: live_reader ebpf|pcap IFACE SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "live.h"

int main(int argc, char **argv)
{
	char err[CAP_LIVE_ERR_MAX];
	if (argc != 4) {
		fprintf(stderr, "usage: live_reader ebpf|pcap IFACE SECONDS\n");
		return 2;
	}
	struct cap_live_opts o = {.ifname = argv[2],
	                          .kind =
	                              strcmp(argv[1], "pcap") == 0 ? CAP_LIVE_PCAP : CAP_LIVE_EBPF};
	struct cap_live *l = cap_live_open(&o, err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	fprintf(stderr, "ready %s\n", cap_live_choice(l));
	double secs = atof(argv[3]);
	struct timespec t0, t, first = {0}, last = {0};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long n = 0;
	for (;;) {
		struct cap_frame f;
		int rc = cap_live_next(l, &f, 100);
		if (rc == CAP_LIVE_ERROR) {
			fprintf(stderr, "next: %s\n", cap_live_error(l));
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (rc == CAP_LIVE_FRAME) {
			if (n++ == 0)
				first = t;
			last = t;
		}
		if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= secs)
			break;
	}
	struct cap_live_stats s;
	cap_live_get_stats(l, &s);
	double span =
	    (double)(last.tv_sec - first.tv_sec) + (double)(last.tv_nsec - first.tv_nsec) / 1e9;
	printf("%s: delivered %llu in %.2f s = %.0f/s; kernel matched %llu, kernel dropped %llu, "
	       "ringbuf dropped %llu\n",
	       cap_live_choice(l), n, span, span > 0 ? (double)n / span : 0.0,
	       (unsigned long long)s.kernel_matched, (unsigned long long)s.kernel_dropped,
	       (unsigned long long)s.ringbuf_dropped);
	cap_live_close(l);
	return 0;
}
