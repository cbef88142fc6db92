/*
 * agg.h - per-source statistics over fixed time buckets.
 *
 * The aggregation table holds one struct source_bucket per (source, bucket)
 * that saw traffic recently. A bucket is emitted once it can no longer
 * change: when capture time has passed its end plus the grace period (the
 * transaction timeout, so that queries from the end of the bucket can still
 * be found unanswered and counted in it). Late updates to an emitted bucket
 * are emitted as further parts; storage merges parts (records.h).
 *
 * Memory is bounded: when the table is full, the oldest entry is emitted
 * early as a part and its slot reused (counted in evictions). A flood of
 * random sources therefore costs at most max_entries entries.
 */
#ifndef DCV_AGG_H
#define DCV_AGG_H

#include <stdint.h>

#include "records.h"

#define AGG_BUCKET_LEN_S_DEFAULT 60
#define AGG_MAX_ENTRIES_DEFAULT  (1u << 18) /* 262144 entries, about 70 MiB */
/* A source's second is stored (struct source_second) when it sent at least
 * this many queries in it: enough to see a per-client rate limit (they sit
 * at tens to hundreds per second), few enough rows for ordinary clients. A
 * guess, overridable. */
#define AGG_SECOND_MIN_QUERIES_DEFAULT 10

struct agg_config {
	uint32_t bucket_len_s;       /* 0 = default */
	uint32_t max_entries;        /* 0 = default */
	uint64_t grace_ns;           /* how long after its end a bucket stays open */
	uint32_t second_min_queries; /* 0 = default */
};

/* Called for every emitted row (or part). Returns 0, or -1 to report a
 * storage failure (remembered and returned by later agg_* calls). */
typedef int (*agg_emit_fn)(void *ctx, const struct source_bucket *row);

/* Called for every busy second of a source (may be NULL in agg_new()). */
typedef int (*agg_second_fn)(void *ctx, const struct source_second *sec);

struct agg;

/* agg_new() allocates the table; NULL on allocation failure. emit_second may
 * be NULL (busy seconds are then not reported). */
struct agg *agg_new(const struct agg_config *cfg, agg_emit_fn emit, agg_second_fn emit_second,
                    void *ctx);

/* agg_free() frees without emitting. NULL is a no-op. */
void agg_free(struct agg *a);

/*
 * agg_get() returns the row of source for the bucket containing ts_ns,
 * creating it (and possibly evicting the oldest row) if needed. Never NULL:
 * the table always has room after an eviction. The pointer is valid until
 * the next agg_get() or agg_advance().
 */
struct source_bucket *agg_get(struct agg *a, const struct dcv_addr *source, uint64_t ts_ns);

/* agg_prefetch() asks the CPU to start loading the row agg_get() will
 * return for source and ts_ns, so that the cache miss overlaps with the work
 * done before that call (parsing the message). A hint: no effect on
 * results. */
void agg_prefetch(struct agg *a, const struct dcv_addr *source, uint64_t ts_ns);

/* The same in two steps, for a caller that looks several frames ahead:
 * agg_hash() is the row's hash for source and ts_ns, agg_prefetch_head()
 * loads its chain head, and agg_prefetch_row() (some time later, when the
 * head is in the cache) the first row of the chain. Hints only. */
uint64_t agg_hash(struct agg *a, const struct dcv_addr *source, uint64_t ts_ns);
void agg_prefetch_head(const struct agg *a, uint64_t h);
void agg_prefetch_row(const struct agg *a, uint64_t h);

/* agg_count_query() adds one query at ts_ns to row, updating peak_qps and
 * the second's counts. */
void agg_count_query(struct agg *a, struct source_bucket *row, uint64_t ts_ns);

/* agg_count_response() adds one response sent to row's source at ts_ns with
 * the (full) rcode and TC flag, to the bucket and to the second's counts. */
void agg_count_response(struct agg *a, struct source_bucket *row, uint64_t ts_ns, unsigned rcode,
                        bool tc);

/* agg_advance() emits every row whose bucket ended more than grace_ns before
 * now_ns. Returns 0 or -1 if an emit failed. */
int agg_advance(struct agg *a, uint64_t now_ns);

/* agg_flush() emits every row. Returns 0 or -1 if an emit failed. */
int agg_flush(struct agg *a);

/* agg_evictions() returns how many rows were emitted early for lack of room. */
uint64_t agg_evictions(const struct agg *a);

/* agg_rows_emitted() returns how many rows or parts were emitted. */
uint64_t agg_rows_emitted(const struct agg *a);

#endif
