/*
 * ship.h - shipping a host's SQLite statistics to a fleet's ClickHouse
 * (`dcvscope ship`, and `dcvscope watch --clickhouse` at every flush).
 *
 * What is shipped, and how each table's watermark (SQLite table
 * ship_watermarks, schema version 5) moves, is described at the top of
 * ship.c; the ClickHouse tables in db/CLICKHOUSE.md.
 *
 * Delivery is at least once: a batch is sent (with bounded retries and
 * exponential backoff), or, when ClickHouse cannot be reached, written to
 * the spool directory; only then does the watermark move. Batches sent
 * twice collapse in ClickHouse (ReplacingMergeTree on stable row keys), so
 * nothing is lost and nothing is counted twice.
 */
#ifndef DCV_SHIP_H
#define DCV_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clickhouse.h"
#include "db.h"

/* Rows per INSERT (--batch-rows). */
#define DB_SHIP_BATCH_ROWS_DEFAULT 10000

/* Most rows per INSERT accepted by --batch-rows. */
#define DB_SHIP_BATCH_ROWS_MAX 1000000

/* Tries per batch before ClickHouse counts as unreachable (--retries);
 * the waits between them double from DB_SHIP_BACKOFF_MS_FIRST up to
 * DB_SHIP_BACKOFF_MS_MAX. */
#define DB_SHIP_TRIES_DEFAULT    4
#define DB_SHIP_BACKOFF_MS_FIRST 250
#define DB_SHIP_BACKOFF_MS_MAX   4000

/* Bytes the spool may hold (--spool-max-mb). */
#define DB_SHIP_SPOOL_MAX_MB_DEFAULT 256

/* The ClickHouse tables shipped, in shipping order (ship.c). */
enum db_ship_table {
	DB_SHIP_SOURCE_STATS = 0,
	DB_SHIP_TRANSACTIONS,
	DB_SHIP_VALIDATOR_SOURCES,
	DB_SHIP_ATTEMPTS,
	DB_SHIP_ATTEMPT_PERSPECTIVES,
	DB_SHIP_FINDINGS,
	DB_SHIP_CAPTURE_INTERVALS,
	DB_SHIP_RUNS,
	DB_SHIP_TABLES
};

struct db_ship_opts {
	const char *server;       /* this host's name in the fleet (required) */
	const char *site;         /* its site (required) */
	const char *spool_dir;    /* NULL: no spool (undeliverable batches stay unshipped) */
	uint64_t spool_max_bytes; /* 0: DB_SHIP_SPOOL_MAX_MB_DEFAULT MiB */
	size_t batch_rows;        /* 0: DB_SHIP_BATCH_ROWS_DEFAULT */
	unsigned tries;           /* 0: DB_SHIP_TRIES_DEFAULT */
};

/* What one db_ship() did. */
struct db_ship_report {
	int schema_version; /* ClickHouse schema version (0 when unreachable) */
	struct {
		uint64_t rows;         /* rows delivered or spooled */
		uint64_t batches;      /* batches delivered */
		uint64_t spooled_rows; /* ... of the rows, spooled */
		uint64_t spooled_batches;
	} table[DB_SHIP_TABLES];
	uint64_t runs;              /* runs looked at */
	uint64_t retries;           /* failed tries that were tried again */
	uint64_t spool_replayed;    /* spooled batches delivered now */
	uint64_t spool_left;        /* batches in the spool after this call */
	uint64_t spool_bytes;       /* their size */
	uint64_t spool_rejected;    /* spooled batches ClickHouse refused (kept as *.rejected) */
	bool unreachable;           /* ClickHouse could not be reached */
	char err[DB_CH_ERRMSG_MAX]; /* the first failure, "" when none */
};

/* db_ship_table_name() returns the ClickHouse table's name ("source_stats"). */
const char *db_ship_table_name(enum db_ship_table t);

/*
 * db_ship() replays the spool, then ships every row of db that the target
 * ch does not have yet, and moves the watermarks. Returns:
 *    0  everything delivered (the spool is empty);
 *    1  ClickHouse was unreachable: what could not be delivered is in the
 *       spool (nothing lost; a later call delivers it);
 *   -1  something was not shipped and is not in the spool (ClickHouse
 *       refused a batch, the spool is full or absent, SQLite failed): the
 *       watermarks stop before it, so a later call tries it again; the
 *       reason is in rep->err.
 * rep is filled in every case.
 */
int db_ship(struct db *db, struct db_ch *ch, const struct db_ship_opts *o,
            struct db_ship_report *rep);

#endif
