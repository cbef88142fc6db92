/*
 * batch_size.h - how many rows a write batch holds.
 *
 * A commit writes every page its batch touched, once. Rows that append
 * (the next bucket, new transactions) touch about as many pages as they
 * fill, and the batch size hardly matters. Rows that land all over a large
 * table (a flood of random sources whose bucket rows come in parts, the
 * transactions' per-client index under a flood of clients) touch nearly
 * every page of it at each commit, however few they are: there each
 * commit costs about the table's size, and fewer, larger batches cost
 * proportionally less (measured on a flood of 1,000,000 sources: 11.0 s
 * with batches of 100,000 rows, 8.1 s with 400,000, no better with
 * 800,000). So a batch that filled its limit, while its writer was the
 * slower side, and wrote far more pages than the file grew by doubles the
 * limit for the next ones, up to DB_BATCH_GROWTH times the base; one
 * that appended halves it back towards the base, so that runs that keep
 * up keep short batches (and a short last batch after the packet loop).
 * A batch that took DB_BATCH_GROW_MAX_NS or longer grows no further:
 * another process waits for the write lock at most about one batch.
 */
#ifndef DCV_BATCH_SIZE_H
#define DCV_BATCH_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest limit, as a multiple of the base (DB_BATCH_ROWS_DEFAULT). */
#define DB_BATCH_GROWTH 4
/* Pages written per page the file grew by from which a batch counts as
 * scattered. Measured: batches of source_stats rows of the next buckets
 * 1.0-1.4 (the bench capture); the flood of random sources 3-5 while its
 * table grows, and hundreds once the rows are the second parts of rows
 * stored (the file no longer grows); transactions 1-6, as their
 * per-client index grows (their random clients land all over it). */
#define DB_BATCH_SCATTERED 2
/* A batch that took this long does not make the next one larger. */
#define DB_BATCH_GROW_MAX_NS 1000000000ull

/* What writing one batch cost. */
struct db_batch_cost {
	size_t rows;            /* rows written */
	uint64_t pages_written; /* pages the commit and its spills wrote */
	uint64_t pages_grown;   /* pages the database file grew by */
	uint64_t elapsed_ns;    /* from the start of the batch to its commit */
};

/* db_batch_next_limit() returns the limit for the next batches after one
 * written under `limit` cost c, base being the limit to come back to: the
 * same limit when the batch did not fill it (the writer kept up), twice it
 * (at most DB_BATCH_GROWTH * base) when it was scattered and quick, half
 * of it (at least base) when it appended. */
size_t db_batch_next_limit(size_t limit, size_t base, const struct db_batch_cost *c);

#endif
