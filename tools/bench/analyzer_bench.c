/*
 * analyzer_bench.c - the analyzer alone: a capture held in memory goes
 * through the frame look-ahead (frame_pipe.h) and the analyzer with sinks
 * that only count, as `dcvscope analyze` drives them but without reading
 * the file, the database and its writer thread. tools/bench/bench.sh
 * reports it beside the end-to-end time, so that a change to the packet
 * path is measured on its own (and with less of the machine's noise).
 *
 * usage: dcv-analyzer-bench [--runs N] FILE
 * output: one line "frames=F seconds=S buckets=B transactions=T", S the
 * fastest of N runs (default 3), each from a new analyzer to its finish.
 * exit: 0, 2 usage, 3 the file cannot be read or held, 1 analyzer failure.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"
#include "frame_pipe.h"
#include "validators.h"

/* The capture, frames and bytes, held in memory. */
struct held {
	struct cap_frame *f;
	size_t n, cap;
	uint8_t *bytes;
	size_t len, bytes_cap;
};

struct counts {
	uint64_t buckets, txns;
};

static int count_bucket(void *ctx, const struct source_bucket *r)
{
	(void)r;
	((struct counts *)ctx)->buckets++;
	return 0;
}

static int count_txn(void *ctx, const struct txn_record *r)
{
	(void)r;
	((struct counts *)ctx)->txns++;
	return 0;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Grows *buf to hold need elements of sz bytes; 0 or -1. */
static int grow(void **buf, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	void *p = realloc(*buf, n * sz);
	if (p == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* Reads every frame of path into h; 0, or -1 with a message on stderr. */
static int hold(const char *path, struct held *h)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (p == NULL) {
		fprintf(stderr, "dcv-analyzer-bench: %s\n", err);
		return -1;
	}
	int linktype = pcap_datalink(p);
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		if (grow((void **)&h->f, &h->cap, h->n + 1, sizeof(*h->f)) != 0 ||
		    grow((void **)&h->bytes, &h->bytes_cap, h->len + hdr->caplen, 1) != 0) {
			fprintf(stderr,
			        "dcv-analyzer-bench: %s: no memory to hold it (%zu frames)\n", path,
			        h->n);
			pcap_close(p);
			return -1;
		}
		memcpy(h->bytes + h->len, data, hdr->caplen);
		h->f[h->n++] = (struct cap_frame){
		    .ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000ULL + (uint64_t)hdr->ts.tv_usec,
		    .data = NULL, /* set below: the bytes may still move */
		    .caplen = hdr->caplen,
		    .wirelen = hdr->len,
		    .linktype = linktype,
		};
		h->len += hdr->caplen;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "dcv-analyzer-bench: %s: %s after %zu frames\n", path,
		        pcap_geterr(p), h->n);
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	size_t off = 0;
	for (size_t i = 0; i < h->n; i++) {
		h->f[i].data = h->bytes + off;
		off += h->f[i].caplen;
	}
	return 0;
}

/* One run from a new analyzer to its finish; the seconds, or -1. */
static double run_once(const struct held *h, const struct validators *v, struct counts *c)
{
	memset(c, 0, sizeof(*c));
	struct analyzer_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.validators = v;
	struct analyzer_sink sink = {.ctx = c, .on_bucket = count_bucket, .on_txn = count_txn};
	double t0 = now_s();
	struct analyzer *a = analyzer_new(&cfg, &sink);
	struct frame_pipe *pipe = a != NULL ? frame_pipe_new(a) : NULL;
	int rc = pipe != NULL ? 0 : -1;
	for (size_t i = 0; i < h->n && rc == 0; i++)
		rc = frame_pipe_push(pipe, &h->f[i]);
	if (rc == 0)
		rc = frame_pipe_drain(pipe);
	if (rc == 0)
		rc = analyzer_finish(a);
	double t = now_s() - t0;
	frame_pipe_free(pipe);
	analyzer_free(a);
	return rc == 0 ? t : -1;
}

int main(int argc, char **argv)
{
	unsigned runs = 3;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			unsigned long n = strtoul(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || n == 0 || n > 100) {
				fprintf(stderr, "dcv-analyzer-bench: --runs takes 1 to 100\n");
				return 2;
			}
			runs = (unsigned)n;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: dcv-analyzer-bench [--runs N] FILE\n"
			       "Runs the analyzer over FILE held in memory, without a database;\n"
			       "prints frames=F seconds=S (fastest of N runs, default 3) "
			       "buckets=B transactions=T.\n");
			return 0;
		} else if (argv[i][0] == '-' || path != NULL) {
			fprintf(stderr, "usage: dcv-analyzer-bench [--runs N] FILE\n");
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (path == NULL) {
		fprintf(stderr, "usage: dcv-analyzer-bench [--runs N] FILE\n");
		return 2;
	}
	struct held h = {0};
	if (hold(path, &h) != 0) {
		free(h.f);
		free(h.bytes);
		return 3;
	}
	/* the range table analyze loads by default (built in, then /etc/dcvscope) */
	struct validators *v = validators_new();
	if (v == NULL || validators_load_defaults(v, NULL, NULL, NULL) < 0) {
		fprintf(stderr, "dcv-analyzer-bench: cannot load the validator ranges\n");
		return 1;
	}
	double best = -1;
	struct counts c;
	for (unsigned r = 0; r < runs; r++) {
		double t = run_once(&h, v, &c);
		if (t < 0) {
			fprintf(stderr, "dcv-analyzer-bench: the analyzer failed\n");
			return 1;
		}
		if (best < 0 || t < best)
			best = t;
	}
	printf("frames=%zu seconds=%.6f buckets=%llu transactions=%llu\n", h.n, best,
	       (unsigned long long)c.buckets, (unsigned long long)c.txns);
	validators_free(v);
	free(h.f);
	free(h.bytes);
	return 0;
}
