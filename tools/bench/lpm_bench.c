/*
 * lpm_bench.c - lookups per second of the longest-prefix match (lpm.h) and of
 * validators_lookup() with 100,000 prefixes loaded: random lengths /8-/32
 * (IPv4) and /16-/128 (IPv6), random lookup addresses, one core.
 *
 * usage: dcv-lpm-bench [PREFIXES [LOOKUPS [clustered]]]
 * "clustered" puts every prefix and address in 10.0.0.0/8 and 2001::/16, the
 * worst case for the /16 index (one bucket holds most ranges).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lpm.h"
#include "validators.h"

#define BENCH_PREFIXES_DEFAULT 100000
#define BENCH_LOOKUPS_DEFAULT  20000000
#define BENCH_ADDR_POOL        (1u << 20) /* precomputed random addresses, reused cyclically */

static uint64_t rng = 0x243f6a8885a308d3ull;
static bool clustered;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void random_prefix(struct lpm_prefix *p, int family, uint32_t value)
{
	unsigned width = family == DCV_ADDR_V4 ? 4 : 16;
	unsigned minlen = family == DCV_ADDR_V4 ? 8 : 16, maxlen = width * 8;
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)family;
	p->len = (uint8_t)(minlen + rnd() % (maxlen - minlen + 1));
	for (unsigned b = 0; b < width; b++)
		p->bytes[b] = (uint8_t)rnd();
	if (clustered) {
		p->bytes[0] = family == DCV_ADDR_V4 ? 10 : 0x20;
		p->bytes[1] = family == DCV_ADDR_V4 ? p->bytes[1] : 0x01;
	}
	p->value = value;
}

static void random_addr(struct dcv_addr *a, int family)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	unsigned width = family == DCV_ADDR_V4 ? 4 : 16;
	for (unsigned b = 0; b < width; b++)
		a->bytes[b] = (uint8_t)rnd();
	if (clustered) {
		a->bytes[0] = family == DCV_ADDR_V4 ? 10 : 0x20;
		a->bytes[1] = family == DCV_ADDR_V4 ? a->bytes[1] : 0x01;
	}
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void bench_lpm(int family, size_t nprefix, size_t nlookup, struct dcv_addr *pool)
{
	struct lpm_prefix *p = malloc(nprefix * sizeof(*p));
	if (p == NULL)
		exit(1);
	for (size_t i = 0; i < nprefix; i++)
		random_prefix(&p[i], family, (uint32_t)i);
	double t0 = now_s();
	struct lpm *t = lpm_build(p, nprefix);
	double build = now_s() - t0;
	free(p);
	if (t == NULL)
		exit(1);
	for (size_t i = 0; i < BENCH_ADDR_POOL; i++)
		random_addr(&pool[i], family);
	uint64_t sink = 0, hits = 0;
	t0 = now_s();
	for (size_t i = 0; i < nlookup; i++) {
		uint32_t v = lpm_lookup(t, &pool[i & (BENCH_ADDR_POOL - 1)]);
		sink += v;
		hits += v != LPM_NONE;
	}
	double dt = now_s() - t0;
	printf("lpm %s: %zu prefixes, %zu ranges, build %.3f s, %.1f M lookups/s (%.1f ns each), "
	       "%.1f%% matched, memory %.2f MiB (sink %llu)\n",
	       family == DCV_ADDR_V4 ? "IPv4" : "IPv6", nprefix, lpm_ranges(t, family), build,
	       (double)nlookup / dt / 1e6, dt * 1e9 / (double)nlookup,
	       100.0 * (double)hits / (double)nlookup, (double)lpm_memory(t) / (1024.0 * 1024.0),
	       (unsigned long long)(sink & 0xff));
	lpm_free(t);
}

/* The full validators_lookup() path over a 100k-row table loaded from TSV. */
static int bench_validators(size_t nprefix, size_t nlookup, struct dcv_addr *pool)
{
	char path[] = "/tmp/dcv-lpm-bench-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "#@ format ca-validators 1\n#@ src b https://example.org/bench\n");
	for (size_t i = 0; i < nprefix; i++) {
		struct lpm_prefix p;
		int family = i % 2 ? DCV_ADDR_V6 : DCV_ADDR_V4;
		random_prefix(&p, family, 0);
		/* the file format refuses host bits: clear them */
		unsigned width = family == DCV_ADDR_V4 ? 4 : 16;
		for (unsigned b = 0; b < width; b++) {
			int keep = (int)p.len - (int)b * 8;
			p.bytes[b] &= keep >= 8   ? 0xff
			              : keep <= 0 ? 0
			                          : (uint8_t)(0xff << (8 - keep));
		}
		struct dcv_addr a;
		memset(&a, 0, sizeof(a));
		a.family = (uint8_t)family;
		memcpy(a.bytes, p.bytes, 16);
		char text[DCV_ADDR_TEXT_MAX];
		fprintf(f, "ca%zu\t%s/%u\tdcv\t-\t@b\t2026\tthirdparty\n", i % 50,
		        dcv_addr_format(&a, text, sizeof(text)), p.len);
	}
	fclose(f);
	struct validators *v = validators_new();
	long before = rss_kb();
	double t0 = now_s();
	int rows = v ? validators_load_file(v, path, NULL, NULL) : -1;
	double load = now_s() - t0;
	long after = rss_kb();
	unlink(path);
	if (rows < 0)
		return -1;
	for (size_t i = 0; i < BENCH_ADDR_POOL; i++)
		random_addr(&pool[i], i % 2 ? DCV_ADDR_V6 : DCV_ADDR_V4);
	struct validator_match m[VALIDATORS_MATCH_MAX];
	uint64_t hits = 0;
	t0 = now_s();
	for (size_t i = 0; i < nlookup; i++)
		hits += validators_lookup(v, &pool[i & (BENCH_ADDR_POOL - 1)], 0, m,
		                          VALIDATORS_MATCH_MAX) != 0;
	double dt = now_s() - t0;
	printf("validators_lookup (v4+v6 mixed): %d rows loaded in %.3f s, %.1f M lookups/s "
	       "(%.1f ns each), %.1f%% matched, table RSS about %.1f MiB\n",
	       rows, load, (double)nlookup / dt / 1e6, dt * 1e9 / (double)nlookup,
	       100.0 * (double)hits / (double)nlookup, (double)(after - before) / 1024.0);
	validators_free(v);
	return 0;
}

int main(int argc, char **argv)
{
	size_t nprefix = argc > 1 ? strtoul(argv[1], NULL, 10) : BENCH_PREFIXES_DEFAULT;
	size_t nlookup = argc > 2 ? strtoul(argv[2], NULL, 10) : BENCH_LOOKUPS_DEFAULT;
	clustered = argc > 3 && strcmp(argv[3], "clustered") == 0;
	struct dcv_addr *pool = malloc(BENCH_ADDR_POOL * sizeof(*pool));
	if (pool == NULL || nprefix == 0 || nlookup == 0) {
		fprintf(stderr, "usage: dcv-lpm-bench [PREFIXES [LOOKUPS [clustered]]]\n");
		return 2;
	}
	bench_lpm(DCV_ADDR_V4, nprefix, nlookup, pool);
	bench_lpm(DCV_ADDR_V6, nprefix, nlookup, pool);
	int rc = bench_validators(nprefix, nlookup, pool);
	free(pool);
	return rc == 0 ? 0 : 1;
}
