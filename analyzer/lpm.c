/*
 * lpm.c - longest-prefix match by sorted ranges with a /16 direct index.
 *
 * Invariants of a built family table (checked by assert_fam_ok() in debug
 * builds):
 *  - start[0] == 0: the first range begins at the lowest address, so every
 *    address falls in exactly one range;
 *  - start[] is strictly increasing and value[i] != value[i + 1];
 *  - index[b] is the first range whose start lies in bucket b or later (the
 *    bucket function is monotonic in the address), and the last entry is
 *    nranges; hence the range holding an address of bucket b lies in
 *    [index[b] - 1, index[b + 1] - 1].
 */
#include "lpm.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "wire.h"

#define LPM_INDEX_BITS    16
#define LPM_INDEX_BUCKETS (1u << LPM_INDEX_BITS)
#define LPM_V6_MAX_DEPTH  129 /* nesting depth of /0 ... /128 */
#define LPM_V6_SKIP_MAX   48  /* index bits stay inside the high 64 bits */
/* IPv6 buckets: 0 = below the cluster, 1..65536 = inside, 65537 = above */
#define LPM_V6_BUCKETS (LPM_INDEX_BUCKETS + 2)

/* A 128-bit address as two host-order halves; IPv4 uses lo only. */
struct u128 {
	uint64_t hi, lo;
};

struct lpm_v4 {
	size_t n;
	uint32_t *start;
	uint32_t *value;
	uint32_t *index; /* LPM_INDEX_BUCKETS + 1 */
};

/*
 * IPv6 space is used in clusters (2000::/3, and one table often sits in one
 * /32), so the index does not use the top 16 bits as such: it skips the
 * `skip` leading bits that every range start after the first shares (`top`),
 * and indexes the 16 bits after them. Addresses outside the cluster fall in
 * bucket 0 or LPM_V6_BUCKETS - 1. The bucket function is monotonic in the
 * address, which is all the index needs.
 */
struct lpm_v6 {
	size_t n;
	struct u128 *start;
	uint32_t *value;
	uint32_t *index; /* LPM_V6_BUCKETS + 1 */
	unsigned skip;   /* 0..LPM_V6_SKIP_MAX */
	uint64_t top;    /* the shared leading bits, when skip > 0 */
};

struct lpm {
	struct lpm_v4 v4;
	struct lpm_v6 v6;
};

/* ---- 128-bit helpers ---------------------------------------------------- */

static inline int u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static inline bool u128_le(struct u128 a, struct u128 b)
{
	return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo);
}

static struct u128 u128_inc(struct u128 a)
{
	a.lo++;
	if (a.lo == 0)
		a.hi++;
	return a;
}

static inline struct u128 u128_of_v6(const uint8_t *b)
{
	struct u128 r;
	r.hi = (uint64_t)wire_read_u32(b) << 32 | wire_read_u32(b + 4);
	r.lo = (uint64_t)wire_read_u32(b + 8) << 32 | wire_read_u32(b + 12);
	return r;
}

/* Mask of the low (width - len) bits of a width-bit word, for one half. */
static uint64_t host_mask(unsigned width, unsigned len)
{
	if (len >= width)
		return 0;
	unsigned host = width - len;
	return host >= 64 ? UINT64_MAX : ((uint64_t)1 << host) - 1;
}

/* ---- building ------------------------------------------------------------ */

/* One prefix as a closed range [first, last], with its input position. */
struct span {
	struct u128 first, last;
	uint32_t value;
	uint8_t len;
	size_t order;
};

static int span_cmp(const void *pa, const void *pb)
{
	const struct span *a = pa, *b = pb;
	int c = u128_cmp(a->first, b->first);
	if (c != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Growing list of range starts while building. */
struct bounds {
	struct u128 *start;
	uint32_t *value;
	size_t n, cap;
};

/* bounds_emit() says "from pos on, the value is val": replaces a boundary at
 * the same position and drops boundaries that would not change the value. */
static int bounds_emit(struct bounds *b, struct u128 pos, uint32_t val)
{
	if (b->n > 0 && u128_cmp(b->start[b->n - 1], pos) == 0) {
		b->value[b->n - 1] = val;
		if (b->n >= 2 && b->value[b->n - 2] == val)
			b->n--;
		return 0;
	}
	if (b->n > 0 && b->value[b->n - 1] == val)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct u128 *s = realloc(b->start, cap * sizeof(*s));
		if (s == NULL)
			return -1;
		b->start = s;
		uint32_t *v = realloc(b->value, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		b->value = v;
		b->cap = cap;
	}
	b->start[b->n] = pos;
	b->value[b->n] = val;
	b->n++;
	return 0;
}

/*
 * flatten() turns sorted spans (by first address, then shorter first) into
 * boundaries. A stack holds the prefixes enclosing the current position; when
 * the next prefix starts past the end of the top one, the top is closed and
 * the enclosing prefix's value (or LPM_NONE) resumes after it.
 */
static int flatten(const struct span *s, size_t n, struct u128 space_last, struct bounds *out)
{
	const struct span *stack[LPM_V6_MAX_DEPTH];
	size_t depth = 0;
	struct u128 zero = {0, 0};
	if (bounds_emit(out, zero, LPM_NONE) < 0)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		/* close every enclosing prefix that ends before s[i] starts (all at the end) */
		while (depth > 0 && (i == n || u128_cmp(stack[depth - 1]->last, s[i].first) < 0)) {
			const struct span *t = stack[--depth];
			if (u128_cmp(t->last, space_last) == 0)
				continue;
			uint32_t resume = depth > 0 ? stack[depth - 1]->value : LPM_NONE;
			if (bounds_emit(out, u128_inc(t->last), resume) < 0)
				return -1;
		}
		if (i == n)
			break;
		/* a duplicate of the top prefix: the later one (sorted after) replaces it */
		if (depth > 0 && u128_cmp(stack[depth - 1]->first, s[i].first) == 0 &&
		    stack[depth - 1]->len == s[i].len)
			depth--;
		if (bounds_emit(out, s[i].first, s[i].value) < 0)
			return -1;
		assert(depth < LPM_V6_MAX_DEPTH);
		stack[depth++] = &s[i];
	}
	return 0;
}

/* collect() extracts the spans of one family; returns how many, or -1. */
static ssize_t collect(const struct lpm_prefix *p, size_t n, int family, struct span **out)
{
	unsigned width = family == DCV_ADDR_V4 ? 32 : 128;
	struct span *s = malloc((n ? n : 1) * sizeof(*s));
	if (s == NULL)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i].family != family || p[i].len > width || p[i].value == LPM_NONE)
			continue;
		struct span *x = &s[k++];
		if (family == DCV_ADDR_V4) {
			uint64_t m = host_mask(32, p[i].len);
			x->first.hi = x->last.hi = 0;
			x->first.lo = wire_read_u32(p[i].bytes) & ~m & 0xffffffffu;
			x->last.lo = x->first.lo | m;
		} else {
			struct u128 a = u128_of_v6(p[i].bytes);
			uint64_t mhi = p[i].len >= 64 ? 0 : host_mask(64, p[i].len);
			uint64_t mlo = p[i].len >= 64 ? host_mask(64, p[i].len - 64u) : UINT64_MAX;
			x->first.hi = a.hi & ~mhi;
			x->first.lo = a.lo & ~mlo;
			x->last.hi = a.hi | mhi;
			x->last.lo = a.lo | mlo;
		}
		x->value = p[i].value;
		x->len = p[i].len;
		x->order = i;
	}
	qsort(s, k, sizeof(*s), span_cmp);
	*out = s;
	return (ssize_t)k;
}

/* bucket_of() gives an address's index bucket: its top 16 bits. */
static inline uint32_t bucket_v4(uint32_t a)
{
	return a >> (32 - LPM_INDEX_BITS);
}

static inline uint32_t bucket_v6(unsigned skip, uint64_t top, struct u128 a)
{
	if (skip == 0)
		return 1 + (uint32_t)(a.hi >> (64 - LPM_INDEX_BITS));
	uint64_t t = a.hi >> (64 - skip);
	if (t != top)
		return t < top ? 0 : LPM_V6_BUCKETS - 1;
	return 1 + (uint32_t)((a.hi << skip) >> (64 - LPM_INDEX_BITS));
}

/* choose_skip() finds the leading bits shared by every range start but the
 * first (which is always ::). */
static void choose_skip(const struct u128 *start, size_t n, unsigned *skip, uint64_t *top)
{
	*skip = 0;
	*top = 0;
	if (n < 3)
		return;
	uint64_t diff = start[1].hi ^ start[n - 1].hi;
	unsigned c = diff == 0 ? 64 : (unsigned)__builtin_clzll(diff);
	*skip = c > LPM_V6_SKIP_MAX ? LPM_V6_SKIP_MAX : c;
	*top = *skip ? start[1].hi >> (64 - *skip) : 0;
}

static uint32_t *build_index(const struct u128 *start, size_t n, bool v4, unsigned skip,
                             uint64_t top)
{
	uint32_t nb = v4 ? LPM_INDEX_BUCKETS : LPM_V6_BUCKETS;
	uint32_t *index = malloc((nb + 1) * sizeof(*index));
	if (index == NULL)
		return NULL;
	size_t i = 0;
	for (uint32_t b = 0; b < nb; b++) {
		/* first range starting at or after bucket b */
		while (i < n &&
		       (v4 ? bucket_v4((uint32_t)start[i].lo) : bucket_v6(skip, top, start[i])) < b)
			i++;
		index[b] = (uint32_t)i;
	}
	index[nb] = (uint32_t)n;
	return index;
}

static int build_family(const struct lpm_prefix *p, size_t n, int family, struct lpm *t)
{
	struct span *s = NULL;
	ssize_t k = collect(p, n, family, &s);
	if (k < 0)
		return -1;
	struct bounds b = {0};
	struct u128 space_last = {0, 0xffffffffu};
	if (family == DCV_ADDR_V6)
		space_last.hi = space_last.lo = UINT64_MAX;
	int rc = flatten(s, (size_t)k, space_last, &b);
	free(s);
	if (rc < 0 || b.n > UINT32_MAX)
		goto fail;
	unsigned skip = 0;
	uint64_t top = 0;
	if (family == DCV_ADDR_V6)
		choose_skip(b.start, b.n, &skip, &top);
	uint32_t *index = build_index(b.start, b.n, family == DCV_ADDR_V4, skip, top);
	if (index == NULL)
		goto fail;
	if (family == DCV_ADDR_V4) {
		uint32_t *start = malloc(b.n * sizeof(*start));
		if (start == NULL) {
			free(index);
			goto fail;
		}
		for (size_t i = 0; i < b.n; i++)
			start[i] = (uint32_t)b.start[i].lo;
		free(b.start);
		t->v4 = (struct lpm_v4){.n = b.n, .start = start, .value = b.value, .index = index};
	} else {
		t->v6 = (struct lpm_v6){.n = b.n,
		                        .start = b.start,
		                        .value = b.value,
		                        .index = index,
		                        .skip = skip,
		                        .top = top};
	}
	return 0;
fail:
	free(b.start);
	free(b.value);
	return -1;
}

#ifndef NDEBUG
static bool assert_fam_ok(const struct lpm *t)
{
	for (size_t i = 1; i < t->v4.n; i++)
		if (t->v4.start[i - 1] >= t->v4.start[i] || t->v4.value[i - 1] == t->v4.value[i])
			return false;
	for (size_t i = 1; i < t->v6.n; i++)
		if (u128_cmp(t->v6.start[i - 1], t->v6.start[i]) >= 0 ||
		    t->v6.value[i - 1] == t->v6.value[i])
			return false;
	return t->v4.n > 0 && t->v4.start[0] == 0 && t->v6.n > 0 && t->v6.start[0].hi == 0 &&
	       t->v6.start[0].lo == 0 && t->v4.index[LPM_INDEX_BUCKETS] == t->v4.n &&
	       t->v6.index[LPM_V6_BUCKETS] == t->v6.n;
}
#endif

struct lpm *lpm_build(const struct lpm_prefix *prefixes, size_t n)
{
	struct lpm *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (build_family(prefixes, n, DCV_ADDR_V4, t) < 0 ||
	    build_family(prefixes, n, DCV_ADDR_V6, t) < 0) {
		lpm_free(t);
		return NULL;
	}
	assert(assert_fam_ok(t));
	return t;
}

void lpm_free(struct lpm *t)
{
	if (t == NULL)
		return;
	free(t->v4.start);
	free(t->v4.value);
	free(t->v4.index);
	free(t->v6.start);
	free(t->v6.value);
	free(t->v6.index);
	free(t);
}

/* ---- lookup -------------------------------------------------------------- */

static inline uint32_t lookup_v4(const struct lpm_v4 *f, uint32_t a)
{
	uint32_t b = bucket_v4(a);
	uint32_t lo = f->index[b], hi = f->index[b + 1];
	/* last range in [lo, hi) starting at or before a; else the one before lo */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (f->start[mid] <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return f->value[lo - 1];
}

static inline uint32_t lookup_v6(const struct lpm_v6 *f, struct u128 a)
{
	uint32_t b = bucket_v6(f->skip, f->top, a);
	uint32_t lo = f->index[b], hi = f->index[b + 1];
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (u128_le(f->start[mid], a))
			lo = mid + 1;
		else
			hi = mid;
	}
	return f->value[lo - 1];
}

uint32_t lpm_lookup(const struct lpm *t, const struct dcv_addr *addr)
{
	if (t == NULL)
		return LPM_NONE;
	if (addr->family == DCV_ADDR_V4)
		return lookup_v4(&t->v4, wire_read_u32(addr->bytes));
	if (addr->family == DCV_ADDR_V6)
		return lookup_v6(&t->v6, u128_of_v6(addr->bytes));
	return LPM_NONE;
}

size_t lpm_memory(const struct lpm *t)
{
	if (t == NULL)
		return 0;
	return sizeof(*t) + (LPM_INDEX_BUCKETS + 1 + LPM_V6_BUCKETS + 1) * sizeof(uint32_t) +
	       t->v4.n * (sizeof(uint32_t) + sizeof(uint32_t)) +
	       t->v6.n * (sizeof(struct u128) + sizeof(uint32_t));
}

size_t lpm_ranges(const struct lpm *t, int family)
{
	if (t == NULL)
		return 0;
	return family == DCV_ADDR_V4 ? t->v4.n : family == DCV_ADDR_V6 ? t->v6.n : 0;
}
