/* source_scan.c - per-source totals and per-CA series in one pass (source_scan.h). */
#include "source_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "big_table.h"
#include "db_internal.h"
#include "scan_validators.h"

#define SCOPE(run, t) DB_SCOPE(run, t)

/* What a step of a series counts as failed. */
#define FAILURES "(s.unanswered + s.servfail + s.refused + s.tcp_rejected + s.tcp_filtered)"

#define NS_PER_S 1000000000ull

/* ---- the validators' series through SQL, for more sources than memory holds ---- */

/* Copies src (NULL: "") into dst of len bytes, cut to fit. */
static void copy_text(char *dst, size_t len, const void *src)
{
	const char *t = src != NULL ? src : "";
	size_t n = strlen(t);
	if (n >= len)
		n = len - 1;
	memcpy(dst, t, n);
	dst[n] = '\0';
}

static int series_sql(struct db *db, const struct rules_scope *scope, struct db_source_scan *scan)
{
	const char *op = "read the time series per CA";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT v.ca, (s.bucket_start_ns / ?4) * ?4 AS step, sum(s.queries),"
	    " sum(s.noerror + s.nxdomain), sum(" FAILURES "), max(s.peak_qps),"
	    " max(s.max_concurrent_tcp), sum(s.tcp_rejected + s.tcp_filtered)"
	    " FROM source_stats s JOIN validator_sources v ON v.run_id = s.run_id"
	    " AND v.source = s.source AND v.confidence <> 'low'"
	    " WHERE " SCOPE("s.run_id", "s.bucket_start_ns") " GROUP BY v.ca, step"
	                                                     " ORDER BY v.ca, step",
	    scope);
	if (st == NULL)
		return -1;
	db_bind_u64(st, 4, scan->step_ns);
	int n = db_run_points(db, op, st, scan->point, scan->point_ctx);
	if (n < 0)
		return -1;
	scan->npoints += n;
	return 0;
}

/* ---- the in-memory pass ----------------------------------------------- */

/* The totals of a source, in the order of struct db_rule_source. */
enum {
	A_QUERIES,
	A_QUERIES_UDP,
	A_QUERIES_TCP,
	A_RESPONSES,
	A_NOERROR,
	A_NXDOMAIN,
	A_SERVFAIL,
	A_REFUSED,
	A_OTHER_RCODE,
	A_TRUNCATED,
	A_UNANSWERED,
	A_PEAK_QPS,
	A_MAX_CONC,
	A_TCP_SESSIONS,
	A_TCP_REJECTED,
	A_TCP_FILTERED,
	A_TCP_SERVER_CLOSED,
	A_FIRST_NS,
	A_LAST_NS,
	A_FAIL_BUCKETS,
	A_FAIL_CONC_MAX,
	A_FAIL_CONC_MIN,
	A_FAIL_FIRST_NS,
	A_FAIL_LAST_NS,
	A_FORMERR,
	A_NOTIMP,
	A_RETRANSMITS,
	A_TCP_STALLED,
	A_MAX_SERVED,
	A_STALL_BUCKETS,
	A_STALL_SERVED_MAX,
	A_STALL_SERVED_MIN,
	A_STALL_FIRST_NS,
	A_STALL_LAST_NS,
	A_COUNT
};

/* One source's running totals. The texts are owned; ca and region are the
 * greatest of the source's validator rows over the runs, as max() in SQL. */
struct src_acc {
	char inl[DCV_ADDR_TEXT_MAX]; /* the source text when it fits (an address) */
	char *heap;                  /* else a copy of it */
	size_t len;                  /* of the text */
	char *ca, *region;           /* NULL: no validator row (yet) */
	int64_t run;                 /* the run of the last row seen, 0 none */
	int run_ca;                  /* index into cas[] of its validator CA in that run, -1 none */
	uint64_t rows;               /* bucket rows added */
	uint64_t last_start;         /* bucket start of the last row (the writer's fold) */
	uint64_t n[A_COUNT];
};

/* A slot of the source table: the text's hash, and the index + 1 of its
 * accumulator (0: free), so probing reads no accumulator. */
struct slot {
	uint64_t hash;
	size_t i;
};

/* The source text of a. */
static const char *src_key(const struct src_acc *a)
{
	return a->heap != NULL ? a->heap : a->inl;
}

/* One point of the series: (CA index, step). */
struct pt_acc {
	int ca;
	int used;
	const char *ca_name; /* set for sorting */
	struct db_report_point p;
};

/* Columns of the row query, in order: run_id, source, then these. */
enum {
	C_START = 2,
	C_LEN,
	C_QUERIES,
	C_QUERIES_UDP,
	C_QUERIES_TCP,
	C_RESPONSES,
	C_NOERROR,
	C_NXDOMAIN,
	C_SERVFAIL,
	C_REFUSED,
	C_OTHER_RCODE, /* formerr + notimp + other_rcode */
	C_TRUNCATED,
	C_UNANSWERED,
	C_PEAK_QPS,
	C_MAX_CONC,
	C_TCP_SESSIONS,
	C_TCP_REJECTED,
	C_TCP_FILTERED,
	C_TCP_SERVER_CLOSED,
	C_FORMERR,
	C_NOTIMP,
	C_RETRANSMITS,
	C_TCP_STALLED,
	C_MAX_SERVED,
	C_LAST = C_MAX_SERVED
};

/* Rows waiting to be added (see queue_row()). A guess: deep enough to
 * cover a memory access with the work of the rows before it. */
#define QUEUE_ROWS 16

struct queued_row {
	int64_t run;
	uint64_t hash;
	size_t len;
	unsigned char text[DCV_ADDR_TEXT_MAX]; /* longer texts are not queued */
	uint64_t c[C_LAST + 1];
};

struct pass {
	struct db *db;
	struct db_source_scan *scan;
	struct scan_validators *vals; /* the validator rows of the scope, or NULL: */
	sqlite3_stmt *vst;            /* the validator row of (run, source) */
	struct src_acc *src;
	struct slot *slots; /* open addressing on the source text */
	size_t nsrc, capsrc, nslots;
	size_t big_src, big_slots; /* bytes of src, slots from big_table_alloc(); 0: malloc() */
	char **cas;                /* CA names of the series */
	size_t ncas;
	struct pt_acc *pts; /* open addressing on (ca, step) */
	size_t npts, nptslots;
	struct queued_row queue[QUEUE_ROWS];
	unsigned qhead, qlen;
	size_t max;      /* sources held before giving up */
	int status, oom; /* add_row()'s last result; memory ran out */
	bool full;       /* a new source found max sources held */
	bool sorted;     /* src is in address-text order (handed on before) */
	bool folding;    /* a fold's pass: rows go through fold_add() */
};

static uint64_t hash_text(const unsigned char *t, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ t[i]) * 1099511628211ull;
	return h;
}

static uint64_t hash_point(int ca, uint64_t step)
{
	uint64_t h = (step ^ ((uint64_t)ca << 56)) * 0x9E3779B97F4A7C15ull;
	return h ^ (h >> 29);
}

/* Frees p: big bytes of a big_table_alloc(), or (big 0) a malloc(). */
static void table_free(void *p, size_t big)
{
	if (big)
		big_table_free(p, big);
	else
		free(p);
}

static void free_src(struct pass *x)
{
	table_free(x->src, x->big_src);
	x->src = NULL;
	x->big_src = 0;
}

static void free_slots(struct pass *x)
{
	table_free(x->slots, x->big_slots);
	x->slots = NULL;
	x->big_slots = 0;
}

/* Puts every source of x into slots (n of them, zeroed, a power of two
 * more than twice the sources), which replace x's; big: the bytes of a
 * big_table_alloc(), or 0. */
static void move_slots(struct pass *x, struct slot *slots, size_t n, size_t big)
{
	for (size_t k = 0; k < x->nslots; k++) {
		if (x->slots[k].i == 0)
			continue;
		size_t j = x->slots[k].hash & (n - 1);
		while (slots[j].i != 0)
			j = (j + 1) & (n - 1);
		slots[j] = x->slots[k];
	}
	free_slots(x);
	x->slots = slots;
	x->nslots = n;
	x->big_slots = big;
}

/* Doubles the source table. */
static int grow_slots(struct pass *x)
{
	size_t n = x->nslots ? x->nslots * 2 : 4096;
	struct slot *slots = calloc(n, sizeof(*slots));
	if (slots == NULL)
		return -1;
	move_slots(x, slots, n, 0);
	return 0;
}

/*
 * Sizes x for `sources` sources at once: the table's slots and the
 * accumulators' array, which then do not move until it holds more. The
 * memory is big_table_alloc()'s: only the pages written become memory (2
 * MiB at a time: a run of few sources costs a few MiB more). On the bench
 * capture (151,337 sources) the fold's thread took 0.40 s with the table
 * doubling as it filled (every source re-inserted at each step, the array
 * moved), 0.27 s reserved in 4 KiB pages, and 0.10 s now: the faults of
 * 4 KiB pages were most of the rest. Returns 0, or -1 out of memory (x
 * unchanged: it grows as it fills).
 */
static int reserve_sources(struct pass *x, size_t sources)
{
	size_t n = 4096;
	while (n / 2 <= sources)
		n *= 2;
	size_t src_bytes = sources * sizeof(struct src_acc), slot_bytes = n * sizeof(struct slot);
	struct src_acc *src = big_table_alloc(src_bytes);
	struct slot *slots = big_table_alloc(slot_bytes);
	if (src == NULL || slots == NULL) {
		big_table_free(src, src_bytes);
		big_table_free(slots, slot_bytes);
		return -1;
	}
	move_slots(x, slots, n, slot_bytes);
	if (x->nsrc > 0)
		memcpy(src, x->src, x->nsrc * sizeof(*src));
	free_src(x);
	x->src = src;
	x->big_src = src_bytes;
	x->capsrc = sources;
	return 0;
}

/* Makes a an empty accumulator of source text t (len bytes); 0, or -1 out
 * of memory. */
static int acc_start(struct src_acc *a, const unsigned char *t, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->run_ca = -1;
	a->len = len;
	char *key = a->inl;
	if (len >= sizeof(a->inl) && (key = a->heap = malloc(len + 1)) == NULL)
		return -1;
	memcpy(key, t, len);
	key[len] = '\0';
	return 0;
}

/* Frees what a owns. */
static void acc_free(struct src_acc *a)
{
	free(a->heap);
	free(a->ca);
	free(a->region);
}

/* The accumulator of source text t (len bytes, hash h), added when new;
 * NULL when memory ran out or the sources exceed max (x->oom says which). */
static struct src_acc *find_source(struct pass *x, const unsigned char *t, size_t len, uint64_t h,
                                   size_t max)
{
	size_t j = h & (x->nslots - 1);
	for (; x->slots[j].i != 0; j = (j + 1) & (x->nslots - 1)) {
		if (x->slots[j].hash != h)
			continue;
		struct src_acc *a = &x->src[x->slots[j].i - 1];
		if (a->len == len && memcmp(src_key(a), t, len) == 0)
			return a;
	}
	if (x->nsrc == max) {
		x->full = true;
		return NULL;
	}
	if (x->nsrc == x->capsrc) {
		size_t cap = x->capsrc ? x->capsrc * 2 : 1024;
		struct src_acc *p =
		    x->big_src ? malloc(cap * sizeof(*p)) : realloc(x->src, cap * sizeof(*p));
		if (p == NULL)
			goto oom;
		if (x->big_src) {
			memcpy(p, x->src, x->nsrc * sizeof(*p));
			free_src(x);
		}
		x->src = p;
		x->capsrc = cap;
	}
	struct src_acc *a = &x->src[x->nsrc];
	if (acc_start(a, t, len) != 0)
		goto oom;
	x->slots[j] = (struct slot){h, ++x->nsrc};
	if (x->nsrc * 2 > x->nslots && grow_slots(x) != 0)
		goto oom;
	return &x->src[x->nsrc - 1];
oom:
	x->oom = 1;
	return NULL;
}

/* Keeps the greater of *cur and t (a copy), as max() over texts. */
static int keep_max(char **cur, const unsigned char *t)
{
	if (t == NULL || (*cur != NULL && strcmp(*cur, (const char *)t) >= 0))
		return 0;
	char *c = strdup((const char *)t);
	if (c == NULL)
		return -1;
	free(*cur);
	*cur = c;
	return 0;
}

/* The index of CA name ca in x->cas, added when new; -1 out of memory. */
static int ca_index(struct pass *x, const char *ca)
{
	for (size_t i = 0; i < x->ncas; i++)
		if (strcmp(x->cas[i], ca) == 0)
			return (int)i;
	char **p = realloc(x->cas, (x->ncas + 1) * sizeof(*p));
	if (p == NULL)
		return -1;
	x->cas = p;
	if ((x->cas[x->ncas] = strdup(ca)) == NULL)
		return -1;
	return (int)x->ncas++;
}

/* Reads the validator row of (run, a's source) when a's run changes:
 * folds its CA and region into a's, and notes its CA for the series. */
static int enter_run(struct pass *x, struct src_acc *a, int64_t run)
{
	a->run = run;
	a->run_ca = -1;
	const unsigned char *ca, *region;
	if (x->vals != NULL) {
		const struct scan_validator *v =
		    scan_validators_find(x->vals, run, src_key(a), a->len);
		if (v == NULL)
			return 0;
		ca = (const unsigned char *)v->ca;
		region = (const unsigned char *)v->region;
	} else {
		sqlite3_reset(x->vst);
		sqlite3_bind_int64(x->vst, 1, run);
		sqlite3_bind_text(x->vst, 2, src_key(a), (int)a->len, SQLITE_TRANSIENT);
		int rc = sqlite3_step(x->vst);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return db_sql_fail(x->db, "read the validator of a source", rc);
		ca = sqlite3_column_text(x->vst, 0);
		region = sqlite3_column_text(x->vst, 1);
	}
	if (keep_max(&a->ca, ca) != 0 || keep_max(&a->region, region) != 0)
		goto oom;
	if (x->scan->point != NULL && ca != NULL && (a->run_ca = ca_index(x, (const char *)ca)) < 0)
		goto oom;
	return 0;
oom:
	x->oom = 1;
	return -1;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The accumulators of a group of failure buckets, from its first one
 * (A_FAIL_BUCKETS, A_STALL_BUCKETS) on. */
enum { P_BUCKETS, P_MAX, P_MIN, P_FIRST_NS, P_LAST_NS };
_Static_assert(A_FAIL_CONC_MAX - A_FAIL_BUCKETS == P_MAX &&
                   A_FAIL_CONC_MIN - A_FAIL_BUCKETS == P_MIN &&
                   A_FAIL_FIRST_NS - A_FAIL_BUCKETS == P_FIRST_NS &&
                   A_FAIL_LAST_NS - A_FAIL_BUCKETS == P_LAST_NS &&
                   A_STALL_SERVED_MAX - A_STALL_BUCKETS == P_MAX &&
                   A_STALL_SERVED_MIN - A_STALL_BUCKETS == P_MIN &&
                   A_STALL_FIRST_NS - A_STALL_BUCKETS == P_FIRST_NS &&
                   A_STALL_LAST_NS - A_STALL_BUCKETS == P_LAST_NS,
               "a failure group's accumulators lie in P_* order");

/* Adds a bucket [start, end) of the group g at value (the minima start at
 * its first bucket). */
static void plateau_add(uint64_t *g, uint64_t value, uint64_t start, uint64_t end)
{
	int first = g[P_BUCKETS]++ == 0;
	g[P_MAX] = max_u64(g[P_MAX], value);
	if (first || value < g[P_MIN])
		g[P_MIN] = value;
	if (first || start < g[P_FIRST_NS])
		g[P_FIRST_NS] = start;
	g[P_LAST_NS] = max_u64(g[P_LAST_NS], end);
}

/* Adds one bucket row (c: its columns from C_START on) to a's totals. */
static void acc_add(struct src_acc *a, const uint64_t *c)
{
	uint64_t start = c[C_START], end = c[C_START] + c[C_LEN] * NS_PER_S;
	static const int sums[][2] = {{A_QUERIES, C_QUERIES},
	                              {A_QUERIES_UDP, C_QUERIES_UDP},
	                              {A_QUERIES_TCP, C_QUERIES_TCP},
	                              {A_RESPONSES, C_RESPONSES},
	                              {A_NOERROR, C_NOERROR},
	                              {A_NXDOMAIN, C_NXDOMAIN},
	                              {A_SERVFAIL, C_SERVFAIL},
	                              {A_REFUSED, C_REFUSED},
	                              {A_OTHER_RCODE, C_OTHER_RCODE},
	                              {A_TRUNCATED, C_TRUNCATED},
	                              {A_UNANSWERED, C_UNANSWERED},
	                              {A_TCP_SESSIONS, C_TCP_SESSIONS},
	                              {A_TCP_REJECTED, C_TCP_REJECTED},
	                              {A_TCP_FILTERED, C_TCP_FILTERED},
	                              {A_TCP_SERVER_CLOSED, C_TCP_SERVER_CLOSED},
	                              {A_FORMERR, C_FORMERR},
	                              {A_NOTIMP, C_NOTIMP},
	                              {A_RETRANSMITS, C_RETRANSMITS},
	                              {A_TCP_STALLED, C_TCP_STALLED}};
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
		a->n[sums[i][0]] += c[sums[i][1]];
	a->n[A_PEAK_QPS] = max_u64(a->n[A_PEAK_QPS], c[C_PEAK_QPS]);
	a->n[A_MAX_CONC] = max_u64(a->n[A_MAX_CONC], c[C_MAX_CONC]);
	a->n[A_MAX_SERVED] = max_u64(a->n[A_MAX_SERVED], c[C_MAX_SERVED]);
	if (a->rows++ == 0 || start < a->n[A_FIRST_NS])
		a->n[A_FIRST_NS] = start;
	a->n[A_LAST_NS] = max_u64(a->n[A_LAST_NS], end);
	/* buckets with failed connections at their session count, and with
	 * stalled sessions at their served count */
	if (c[C_TCP_REJECTED] + c[C_TCP_FILTERED] > 0)
		plateau_add(&a->n[A_FAIL_BUCKETS], c[C_MAX_CONC], start, end);
	if (c[C_TCP_STALLED] > 0)
		plateau_add(&a->n[A_STALL_BUCKETS], c[C_MAX_SERVED], start, end);
}

/* Adds one validator bucket row to the point (ca, step) of the series. */
static int point_add(struct pass *x, int ca, const uint64_t *c)
{
	if (x->npts * 2 >= x->nptslots) {
		size_t n = x->nptslots ? x->nptslots * 2 : 1024;
		struct pt_acc *p = calloc(n, sizeof(*p));
		if (p == NULL)
			return -1;
		for (size_t i = 0; i < x->nptslots; i++) {
			if (!x->pts[i].used)
				continue;
			size_t j = hash_point(x->pts[i].ca, x->pts[i].p.t_ns) & (n - 1);
			while (p[j].used)
				j = (j + 1) & (n - 1);
			p[j] = x->pts[i];
		}
		free(x->pts);
		x->pts = p;
		x->nptslots = n;
	}
	uint64_t step = c[C_START] / x->scan->step_ns * x->scan->step_ns;
	size_t j = hash_point(ca, step) & (x->nptslots - 1);
	while (x->pts[j].used && (x->pts[j].ca != ca || x->pts[j].p.t_ns != step))
		j = (j + 1) & (x->nptslots - 1);
	struct pt_acc *pt = &x->pts[j];
	if (!pt->used) {
		pt->used = 1;
		pt->ca = ca;
		pt->p.t_ns = step;
		x->npts++;
	}
	pt->p.queries += c[C_QUERIES];
	pt->p.answered += c[C_NOERROR] + c[C_NXDOMAIN];
	pt->p.failures +=
	    c[C_UNANSWERED] + c[C_SERVFAIL] + c[C_REFUSED] + c[C_TCP_REJECTED] + c[C_TCP_FILTERED];
	pt->p.peak_qps = max_u64(pt->p.peak_qps, c[C_PEAK_QPS]);
	pt->p.max_concurrent_tcp = max_u64(pt->p.max_concurrent_tcp, c[C_MAX_CONC]);
	pt->p.tcp_failed += c[C_TCP_REJECTED] + c[C_TCP_FILTERED];
	return 0;
}

/* Adds one row (run, source text t of len bytes and hash h, columns c
 * from C_START on) to x. Returns 0, 1 when the sources exceed x->max, or
 * -1. */
static int add_row(struct pass *x, int64_t run, const unsigned char *t, size_t len, uint64_t h,
                   const uint64_t *c)
{
	struct src_acc *a = find_source(x, t, len, h, x->max);
	if (a == NULL)
		return x->oom ? -1 : 1;
	if (a->run != run && enter_run(x, a, run) != 0)
		return -1;
	acc_add(a, c);
	if (a->run_ca >= 0 && x->scan->point != NULL && point_add(x, a->run_ca, c) != 0) {
		x->oom = 1;
		return -1;
	}
	return 0;
}

/*
 * The rows wait in a short queue before they are added, so that the memory
 * a row will touch is fetched while the rows before it are added: a row's
 * slot is prefetched when it enters the queue, its accumulator (found
 * through the slot, now in cache) half-way, and the row is added when it
 * leaves. With 10 000 sources the accumulators do not fit in a core's
 * cache, and waiting for each one was a fifth of the scan. Prefetches are
 * hints only: a row is looked up in full when it is added, so sources
 * added meanwhile are found. The order rows are added in changes no total.
 */
static void prefetch_slot(const struct pass *x, const struct queued_row *q)
{
	__builtin_prefetch(&x->slots[q->hash & (x->nslots - 1)]);
}

static void prefetch_acc(const struct pass *x, const struct queued_row *q)
{
	for (size_t j = q->hash & (x->nslots - 1); x->slots[j].i != 0;
	     j = (j + 1) & (x->nslots - 1))
		if (x->slots[j].hash == q->hash) {
			const char *a = (const char *)&x->src[x->slots[j].i - 1];
			for (size_t off = 0; off < sizeof(struct src_acc); off += 64)
				__builtin_prefetch(a + off, 1);
			return;
		}
}

/* Adds one row of a fold (struct db_source_fold): as add_row(), but a row
 * that does not start after its source's last one returns 1 (the fold
 * gives up), and no validator is looked up. */
static int fold_add(struct pass *x, int64_t run, const unsigned char *t, size_t len, uint64_t h,
                    const uint64_t *c)
{
	struct src_acc *a = find_source(x, t, len, h, x->max);
	if (a == NULL)
		return x->oom ? -1 : 1;
	if (a->rows > 0 && c[C_START] <= a->last_start)
		return 1;
	a->run = run;
	a->last_start = c[C_START];
	acc_add(a, c);
	return 0;
}

/* Adds one row the way the pass adds them. */
static int add_now(struct pass *x, int64_t run, const unsigned char *t, size_t len, uint64_t h,
                   const uint64_t *c)
{
	return x->folding ? fold_add(x, run, t, len, h, c) : add_row(x, run, t, len, h, c);
}

/* Adds the oldest queued row. Returns add_now()'s result. */
static int add_oldest(struct pass *x)
{
	struct queued_row *q = &x->queue[x->qhead];
	x->qhead = (x->qhead + 1) % QUEUE_ROWS;
	x->qlen--;
	return add_now(x, q->run, q->text, q->len, q->hash, q->c);
}

/* Queues one row (adding the oldest when the queue is full), or adds it
 * at once when its text is longer than a queue entry holds. Returns 0,
 * 1 when the sources exceed x->max, or -1. */
static int queue_row(struct pass *x, int64_t run, const unsigned char *t, size_t len,
                     const uint64_t *c)
{
	uint64_t h = hash_text(t, len);
	if (len >= sizeof(x->queue[0].text))
		return add_now(x, run, t, len, h, c);
	int rc = x->qlen == QUEUE_ROWS ? add_oldest(x) : 0;
	if (rc != 0)
		return rc;
	struct queued_row *q = &x->queue[(x->qhead + x->qlen++) % QUEUE_ROWS];
	q->run = run;
	q->hash = h;
	q->len = len;
	memcpy(q->text, t, len);
	q->text[len] = '\0';
	memcpy(q->c, c, sizeof(q->c));
	prefetch_slot(x, q);
	if (x->qlen > QUEUE_ROWS / 2)
		prefetch_acc(x, &x->queue[(x->qhead + x->qlen - 1 - QUEUE_ROWS / 2) % QUEUE_ROWS]);
	return 0;
}

/* Adds every queued row. Returns 0, 1 or -1 as add_row(). */
static int drain_queue(struct pass *x)
{
	int rc = 0;
	while (x->qlen > 0 && rc == 0)
		rc = add_oldest(x);
	return rc;
}

/* The pointer type of the pass handed to dcv_fold_rows() (sqlite3_bind_pointer()). */
#define PASS_POINTER "dcv_source_scan_pass"

/*
 * dcv_fold_rows(pass, run_id, source, columns...) is an SQL function that adds
 * its row to the pass: the rows are folded as SQLite reads them, which
 * costs a fifth less than stepping a SELECT and fetching 21 columns of
 * each of 2 million rows through the column interface. It returns 0, or
 * fails the statement (too many sources, out of memory, a failed read:
 * the pass says which).
 */
static void fold_rows(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct pass *x = sqlite3_value_pointer(argv[0], PASS_POINTER);
	if (x == NULL || argc != C_LAST + 2) {
		sqlite3_result_error(ctx, "dcv_fold_rows: not called by db_source_scan()", -1);
		return;
	}
	sqlite3_value **col = argv + 1; /* col[k]: column k of the row query */
	const unsigned char *t = sqlite3_value_text(col[1]);
	size_t len = t != NULL ? (size_t)sqlite3_value_bytes(col[1]) : 0;
	t = t != NULL ? t : (const unsigned char *)"";
	uint64_t c[C_LAST + 1];
	for (int k = C_START; k <= C_LAST; k++)
		c[k] = (uint64_t)sqlite3_value_int64(col[k]);
	x->status = queue_row(x, sqlite3_value_int64(col[0]), t, len, c);
	if (x->status != 0)
		sqlite3_result_error(ctx, "dcv_fold_rows: stopped", -1);
	else
		sqlite3_result_int(ctx, 0);
}

int db_source_scan_register(struct db *db)
{
	int rc = sqlite3_create_function_v2(db->sql, "dcv_fold_rows", C_LAST + 2,
	                                    SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, fold_rows, NULL,
	                                    NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_sql_fail(db, "db_open: register dcv_fold_rows", rc);
}

/* The columns of a row, in the order of C_*: run_id, source, then these. */
#define ROW_COLUMNS                                                                                \
	"s.run_id, s.source, s.bucket_start_ns, s.bucket_len_s, s.queries,"                        \
	" s.queries_udp, s.queries_tcp, s.responses, s.noerror, s.nxdomain, s.servfail,"           \
	" s.refused, s.formerr + s.notimp + s.other_rcode, s.truncated, s.unanswered,"             \
	" s.peak_qps, s.max_concurrent_tcp, s.tcp_sessions, s.tcp_rejected, s.tcp_filtered,"       \
	" s.tcp_server_closed, s.formerr, s.notimp, s.retransmits, s.tcp_stalled, "                \
	"s.max_served_tcp"

/* Reads every row of the scope into x. Returns 0, 1 when the sources
 * exceed x->max (nothing handed on yet), or -1. */
static int read_rows(struct pass *x, const struct rules_scope *scope)
{
	const char *op = "read source buckets";
	sqlite3_stmt *st = db_prepare_scoped(
	    x->db, op,
	    "SELECT count(dcv_fold_rows(?4, " ROW_COLUMNS
	    ")) FROM source_stats s WHERE " SCOPE("s.run_id", "s.bucket_start_ns"),
	    scope);
	if (st == NULL)
		return -1;
	sqlite3_bind_pointer(st, 4, x, PASS_POINTER, NULL);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (x->status == 0 && rc == SQLITE_ROW)
		x->status = drain_queue(x);
	if (x->status != 0) {
		if (x->oom)
			return db_set_err(x->db, "%s: out of memory", op);
		return x->status; /* 1, or -1 with the message of the failed read */
	}
	if (rc != SQLITE_ROW)
		return db_sql_fail(x->db, op, rc);
	return 0;
}

static int src_cmp(const void *p, const void *q)
{
	return strcmp(src_key(p), src_key(q));
}

static int pt_cmp(const void *p, const void *q)
{
	const struct pt_acc *a = p, *b = q;
	int c = a->ca == b->ca ? 0 : strcmp(a->ca_name, b->ca_name);
	if (c != 0)
		return c;
	return a->p.t_ns < b->p.t_ns ? -1 : a->p.t_ns > b->p.t_ns;
}

/* Hands a's totals on to scan->source; its answer (non-zero: stop). */
static int deliver_one(struct db_source_scan *scan, const struct src_acc *a)
{
	struct db_rule_source s;
	memset(&s, 0, sizeof(s));
	copy_text(s.source, sizeof(s.source), src_key(a));
	copy_text(s.ca, sizeof(s.ca), a->ca);
	copy_text(s.region, sizeof(s.region), a->region);
	uint64_t *const out[A_COUNT] = {[A_QUERIES] = &s.queries,
	                                [A_QUERIES_UDP] = &s.queries_udp,
	                                [A_QUERIES_TCP] = &s.queries_tcp,
	                                [A_RESPONSES] = &s.responses,
	                                [A_NOERROR] = &s.noerror,
	                                [A_NXDOMAIN] = &s.nxdomain,
	                                [A_SERVFAIL] = &s.servfail,
	                                [A_REFUSED] = &s.refused,
	                                [A_OTHER_RCODE] = &s.other_rcode,
	                                [A_TRUNCATED] = &s.truncated,
	                                [A_UNANSWERED] = &s.unanswered,
	                                [A_PEAK_QPS] = &s.peak_qps,
	                                [A_MAX_CONC] = &s.max_concurrent_tcp,
	                                [A_TCP_SESSIONS] = &s.tcp_sessions,
	                                [A_TCP_REJECTED] = &s.tcp_rejected,
	                                [A_TCP_FILTERED] = &s.tcp_filtered,
	                                [A_TCP_SERVER_CLOSED] = &s.tcp_server_closed,
	                                [A_FIRST_NS] = &s.first_ns,
	                                [A_LAST_NS] = &s.last_ns,
	                                [A_FAIL_BUCKETS] = &s.fail_buckets,
	                                [A_FAIL_CONC_MAX] = &s.fail_conc_max,
	                                [A_FAIL_CONC_MIN] = &s.fail_conc_min,
	                                [A_FAIL_FIRST_NS] = &s.fail_first_ns,
	                                [A_FAIL_LAST_NS] = &s.fail_last_ns,
	                                [A_FORMERR] = &s.formerr,
	                                [A_NOTIMP] = &s.notimp,
	                                [A_RETRANSMITS] = &s.retransmits,
	                                [A_TCP_STALLED] = &s.tcp_stalled,
	                                [A_MAX_SERVED] = &s.max_served_tcp,
	                                [A_STALL_BUCKETS] = &s.stall_buckets,
	                                [A_STALL_SERVED_MAX] = &s.stall_served_max,
	                                [A_STALL_SERVED_MIN] = &s.stall_served_min,
	                                [A_STALL_FIRST_NS] = &s.stall_first_ns,
	                                [A_STALL_LAST_NS] = &s.stall_last_ns};
	for (int k = 0; k < A_COUNT; k++)
		*out[k] = a->n[k];
	scan->nsources++;
	return scan->source(scan->source_ctx, &s);
}

/* Hands on the sources in address-text order. */
static void deliver_sources(struct pass *x)
{
	struct db_source_scan *scan = x->scan;
	if (scan->source == NULL)
		return;
	if (x->nsrc > 1 && !x->sorted) /* an empty scope has no array at all */
		qsort(x->src, x->nsrc, sizeof(*x->src), src_cmp);
	x->sorted = true; /* the slots no longer match: nothing is added after */
	for (size_t i = 0; i < x->nsrc; i++)
		if (deliver_one(scan, &x->src[i]) != 0)
			break;
}

/* Hands on the series ordered by CA, then time. */
static void deliver_points(struct pass *x)
{
	struct db_source_scan *scan = x->scan;
	if (scan->point == NULL)
		return;
	size_t n = 0;
	for (size_t i = 0; i < x->nptslots; i++)
		if (x->pts[i].used) {
			x->pts[n] = x->pts[i];
			x->pts[n++].ca_name = x->cas[x->pts[i].ca];
		}
	if (n > 1)
		qsort(x->pts, n, sizeof(*x->pts), pt_cmp);
	for (size_t i = 0; i < n; i++) {
		struct db_report_point p = x->pts[i].p;
		snprintf(p.key, sizeof(p.key), "%s", x->pts[i].ca_name);
		scan->npoints++;
		if (scan->point(scan->point_ctx, &p) != 0)
			break;
	}
}

/* Frees x's sources and series, and empties them; the validators stay. */
static void pass_free_sources(struct pass *x)
{
	for (size_t i = 0; i < x->nsrc; i++)
		acc_free(&x->src[i]);
	for (size_t i = 0; i < x->ncas; i++)
		free(x->cas[i]);
	free_src(x);
	free_slots(x);
	free(x->cas);
	free(x->pts);
	x->cas = NULL;
	x->pts = NULL;
	x->nsrc = x->capsrc = x->nslots = x->ncas = x->npts = x->nptslots = 0;
}

static void pass_free(struct pass *x)
{
	pass_free_sources(x);
	sqlite3_finalize(x->vst);
	scan_validators_free(x->vals);
}

/* The rows of a scope in source order, then run. */
#define SORTED_ROWS                                                                                \
	"SELECT " ROW_COLUMNS " FROM source_stats s WHERE " SCOPE(                                 \
	    "s.run_id", "s.bucket_start_ns") " ORDER BY s.source, s.run_id"

/*
 * Hands on the scope's sources from its rows read in source order: SQLite
 * sorts them (in its cache, then in its temporary file) and each source is
 * added up in turn and handed on when its rows end, so memory holds one
 * source however many there are. x holds the validators of the scope
 * (x->vals or x->vst) and no source. Returns 0 or -1.
 */
static int sources_sorted(struct pass *x, const struct rules_scope *scope)
{
	const char *op = "read source buckets in source order";
	sqlite3_stmt *st = db_prepare_scoped(x->db, op, SORTED_ROWS, scope);
	if (st == NULL)
		return -1;
	struct src_acc a;
	bool open = false, stop = false, failed = false;
	int rc = SQLITE_DONE;
	while (!stop && !failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);
		size_t len = t != NULL ? (size_t)sqlite3_column_bytes(st, 1) : 0;
		t = t != NULL ? t : (const unsigned char *)"";
		if (!open || a.len != len || memcmp(src_key(&a), t, len) != 0) {
			if (open) {
				stop = deliver_one(x->scan, &a) != 0;
				acc_free(&a);
				open = false;
			}
			if (stop)
				break;
			if (acc_start(&a, t, len) != 0) {
				x->oom = 1;
				failed = true;
				break;
			}
			open = true;
		}
		int64_t run = sqlite3_column_int64(st, 0);
		if (a.run != run && enter_run(x, &a, run) != 0) {
			failed = true;
			break;
		}
		uint64_t c[C_LAST + 1];
		for (int k = C_START; k <= C_LAST; k++)
			c[k] = (uint64_t)sqlite3_column_int64(st, k);
		acc_add(&a, c);
	}
	sqlite3_finalize(st);
	if (open && !failed && rc == SQLITE_DONE)
		deliver_one(x->scan, &a);
	if (open)
		acc_free(&a);
	if (x->oom)
		return db_set_err(x->db, "%s: out of memory", op);
	if (failed)
		return -1; /* enter_run() said why */
	if (!stop && rc != SQLITE_DONE)
		return db_sql_fail(x->db, op, rc);
	return 0;
}

/* ---- the fold ---------------------------------------------------------- */

/*
 * The rows of one run added up as the store accepts them (see
 * db_source_fold_start()), in the thread that adds them. A source's rows
 * come in order of their bucket start, each bucket once, unless the
 * analyzer emitted a bucket in parts (its table was full, or packets came
 * late): the store merges the parts, which per-bucket numbers (the buckets
 * with failed TCP connections, the smallest session count among them)
 * cannot do after the fact. A row that does not start after its source's
 * last one makes the fold give up, as do more sources than it holds; the
 * scan then reads the stored rows.
 */
struct db_source_fold {
	struct pass x;
	int64_t run;
	bool gave_up;
	size_t full_at; /* gave up with this many sources held, 0: another cause */
	bool resolved;  /* the CA and region of every validator source are set */
	/* the MPIC table they were set from (db_source_scan_early()), or NULL:
	 * from the stored rows */
	const struct mpic *resolved_from;
};

void db_source_fold_give_up(struct db_source_fold *f)
{
	f->gave_up = true;
	f->full_at = f->x.full ? f->x.max : 0;
	pass_free(&f->x);
	memset(&f->x, 0, sizeof(f->x));
}

int db_source_fold_start(struct db *db, int64_t run_id, unsigned max_sources)
{
	if (db == NULL || run_id <= 0)
		return -1;
	db_writer_quiesce(db);
	db_fold_feed_wait(db);
	db_source_fold_free(db->fold);
	db_source_fold_free(db->fold_kept);
	db->fold = db->fold_kept = NULL;
	struct db_source_fold *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return db_set_err(db, "source totals: out of memory");
	f->run = run_id;
	f->x.folding = true;
	f->x.max = max_sources ? max_sources : DB_SOURCE_SCAN_MAX_DEFAULT;
	size_t most = f->x.max < DB_SOURCE_SCAN_MAX_DEFAULT ? f->x.max : DB_SOURCE_SCAN_MAX_DEFAULT;
	if (reserve_sources(&f->x, most) != 0 && grow_slots(&f->x) != 0) {
		free(f);
		return db_set_err(db, "source totals: out of memory");
	}
	db->fold = f;
	return 0;
}

void db_source_fold_row(struct db_source_fold *f, int64_t run_id, const char *source,
                        const struct source_bucket *b)
{
	if (f->gave_up || run_id != f->run)
		return;
	uint64_t c[C_LAST + 1] = {
	    [C_START] = b->bucket_start_ns,
	    [C_LEN] = b->bucket_len_s,
	    [C_QUERIES] = b->queries,
	    [C_QUERIES_UDP] = b->queries_udp,
	    [C_QUERIES_TCP] = b->queries_tcp,
	    [C_RESPONSES] = b->responses,
	    [C_NOERROR] = b->rcode[RCODE_SLOT_NOERROR],
	    [C_NXDOMAIN] = b->rcode[RCODE_SLOT_NXDOMAIN],
	    [C_SERVFAIL] = b->rcode[RCODE_SLOT_SERVFAIL],
	    [C_REFUSED] = b->rcode[RCODE_SLOT_REFUSED],
	    [C_OTHER_RCODE] = b->rcode[RCODE_SLOT_FORMERR] + b->rcode[RCODE_SLOT_NOTIMP] +
	                      b->rcode[RCODE_SLOT_OTHER],
	    [C_TRUNCATED] = b->truncated,
	    [C_UNANSWERED] = b->unanswered,
	    [C_PEAK_QPS] = b->peak_qps,
	    [C_MAX_CONC] = b->max_concurrent_tcp,
	    [C_TCP_SESSIONS] = b->tcp_sessions,
	    [C_TCP_REJECTED] = b->tcp_rejected,
	    [C_TCP_FILTERED] = b->tcp_filtered,
	    [C_TCP_SERVER_CLOSED] = b->tcp_server_closed,
	    [C_FORMERR] = b->rcode[RCODE_SLOT_FORMERR],
	    [C_NOTIMP] = b->rcode[RCODE_SLOT_NOTIMP],
	    [C_RETRANSMITS] = b->retransmits,
	    [C_TCP_STALLED] = b->tcp_stalled,
	    [C_MAX_SERVED] = b->max_served_tcp,
	};
	/* through the pass's queue: the source's accumulator loads meanwhile */
	if (queue_row(&f->x, run_id, (const unsigned char *)source, strlen(source), c) != 0)
		db_source_fold_give_up(f);
}

void db_source_fold_flush(struct db_source_fold *f)
{
	if (!f->gave_up && drain_queue(&f->x) != 0)
		db_source_fold_give_up(f);
}

/* Hands on the fold's sources for scan, with their validator CA and
 * region. Returns 0, 1 when the fold cannot answer (nothing handed on), or
 * -1. */
static int fold_deliver(struct db *db, struct db_source_fold *f, const struct rules_scope *scope,
                        struct db_source_scan *scan, const struct scan_validators *given)
{
	size_t max = scan->max_sources ? scan->max_sources : DB_SOURCE_SCAN_MAX_DEFAULT;
	db_source_fold_flush(f); /* the last rows, still in the queue */
	if (f->gave_up || scan->point != NULL || scope->run_id != f->run || f->x.nsrc > max)
		return 1;
	if (f->resolved)
		goto deliver;
	struct scan_validators *v = NULL;
	if (given == NULL) {
		int rc = scan_validators_load(db, scope, SCAN_VALIDATORS_MAX, &v);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < f->x.nsrc; i++) {
		struct src_acc *a = &f->x.src[i];
		const struct scan_validator *r =
		    scan_validators_find(given != NULL ? given : v, f->run, src_key(a), a->len);
		if (r != NULL && (keep_max(&a->ca, (const unsigned char *)r->ca) != 0 ||
		                  keep_max(&a->region, (const unsigned char *)r->region) != 0)) {
			scan_validators_free(v);
			/* db->err may be the writer thread's (db_source_scan_early()) */
			return given != NULL ? 1
			                     : db_set_err(db, "read source totals: out of memory");
		}
	}
	scan_validators_free(v);
	f->resolved = true;
deliver:
	f->x.scan = scan;
	scan->from_fold = true;
	deliver_sources(&f->x);
	return 0;
}

int db_source_scan_early(struct db *db, int64_t run_id, const struct mpic *m,
                         struct db_source_scan *scan)
{
	if (db == NULL || m == NULL || scan == NULL)
		return 1;
	scan->nsources = scan->npoints = 0;
	scan->from_fold = false;
	db_fold_feed_wait(db); /* every accepted row in the fold (note 8) */
	struct db_source_fold *f = db->fold;
	if (f == NULL || f->run != run_id || scan->point != NULL)
		return 1;
	struct scan_validators *v = db_validators_scan_set(m, run_id);
	if (v == NULL)
		return 1;
	const struct rules_scope scope = {.run_id = run_id};
	bool resolved = f->resolved;
	int rc = fold_deliver(db, f, &scope, scan, v);
	scan_validators_free(v);
	if (!resolved && f->resolved)
		f->resolved_from = m;
	if (rc == 0) { /* kept for later scans of the run, as db_source_scan() does */
		db->fold = NULL;
		db_source_fold_free(db->fold_kept);
		db->fold_kept = f;
	}
	return rc;
}

bool db_source_fold_resolved_from(const struct db *db, int64_t run_id, const struct mpic *m)
{
	const struct db_source_fold *f = db->fold_kept;
	return f != NULL && !f->gave_up && f->run == run_id && f->resolved && f->resolved_from == m;
}

void db_source_fold_forget(struct db *db)
{
	db_source_fold_free(db->fold_kept);
	db->fold_kept = NULL;
}

void db_source_scan_forget(struct db *db)
{
	db->many.known = false;
}

bool db_source_scan_in_memory(const struct db *db, const struct rules_scope *scope)
{
	const struct db_source_fold *f = db != NULL ? db->fold_kept : NULL;
	return f != NULL && scope != NULL && !f->gave_up && scope->run_id == f->run;
}

void db_source_fold_free(struct db_source_fold *f)
{
	if (f == NULL)
		return;
	pass_free(&f->x);
	free(f);
}

/* Whether a and b select the same rows (a run's scope ignores the span). */
static bool same_scope(const struct rules_scope *a, const struct rules_scope *b)
{
	if (a->run_id > 0 || b->run_id > 0)
		return a->run_id == b->run_id;
	return a->from_ns == b->from_ns && a->to_ns == b->to_ns;
}

/* Whether the scope is known to have more than max sources. */
static bool known_too_many(const struct db *db, const struct rules_scope *scope, size_t max)
{
	const struct db_source_many *k = &db->many;
	return k->known && k->over >= max && same_scope(&k->scope, scope);
}

/* Remembers that scope has more than over sources. */
static void learn_too_many(struct db *db, const struct rules_scope *scope, size_t over)
{
	db->many = (struct db_source_many){.known = true, .scope = *scope, .over = over};
}

int db_source_scan(struct db *db, const struct rules_scope *scope, struct db_source_scan *scan)
{
	if (db == NULL || scope == NULL || scan == NULL)
		return -1;
	scan->nsources = scan->npoints = 0;
	scan->from_fold = false;
	if (scan->point != NULL && scan->step_ns == 0)
		return db_set_err(db, "read the time series per CA: step must be > 0");
	size_t max = scan->max_sources ? scan->max_sources : DB_SOURCE_SCAN_MAX_DEFAULT;
	struct pass x = {.db = db, .scan = scan};
	int rc = -1;
	if (db_flush(db) != 0)
		goto done;
	db_fold_feed_wait(db); /* every accepted row in the fold (note 8) */
	if (db->fold != NULL || db->fold_kept != NULL) {
		/* the run's rows were added up as they were stored: handed on
		 * from memory, then kept for the next scan of the run */
		bool kept = db->fold == NULL;
		struct db_source_fold *f = kept ? db->fold_kept : db->fold;
		if (kept)
			db->fold_kept = NULL;
		else
			db->fold = NULL;
		rc = fold_deliver(db, f, scope, scan, NULL);
		if (f->gave_up && f->full_at > 0) /* the run's sources outgrew it */
			learn_too_many(db, &(struct rules_scope){.run_id = f->run}, f->full_at);
		if (rc == 0 || (rc == 1 && kept)) {
			db_source_fold_free(db->fold_kept);
			db->fold_kept = f;
		} else {
			db_source_fold_free(f);
		}
		if (rc != 1)
			goto done;
		rc = -1;
	}
	bool too_many = known_too_many(db, scope, max);
	if (too_many && scan->memory_only) {
		rc = 1;
		goto done;
	}
	int prc = scan_validators_load(
	    db, scope, scan->max_validators ? scan->max_validators : SCAN_VALIDATORS_MAX, &x.vals);
	if (prc < 0)
		goto done;
	if (prc == 1)
		prc =
		    sqlite3_prepare_v2(db->sql,
		                       "SELECT ca, region FROM validator_sources WHERE run_id = ?1"
		                       " AND source = ?2 AND confidence <> 'low'",
		                       -1, &x.vst, NULL);
	else
		prc = SQLITE_OK;
	if (prc != SQLITE_OK) {
		db_sql_fail(db, "read the validator of a source", prc);
		goto done;
	}
	if (grow_slots(&x) != 0) {
		db_set_err(db, "read source buckets: out of memory");
		goto done;
	}
	x.max = max;
	rc = too_many ? 1 : read_rows(&x, scope);
	if (rc == 1 && !too_many) /* remembered: the next scan reads no row in vain */
		learn_too_many(db, scope, max);
	if (rc == 0) {
		deliver_sources(&x);
		deliver_points(&x);
	} else if (rc == 1 && !scan->memory_only) {
		/* too many sources for memory: one at a time from the rows in
		 * source order, with the pass's memory given back first */
		pass_free_sources(&x);
		rc = scan->source != NULL ? sources_sorted(&x, scope) : 0;
		if (rc == 0 && scan->point != NULL)
			rc = series_sql(db, scope, scan);
	}
done:
	pass_free(&x);
	return rc;
}
