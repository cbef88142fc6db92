/*
 * clickhouse.h - one ClickHouse server over its HTTP interface, and the
 * dcvscope schema inside it (db/CLICKHOUSE.md documents the tables).
 *
 * Every statement is one HTTP POST (libcurl, one connection kept alive).
 * A failure is one of two kinds, and callers treat them differently:
 *   DB_CH_UNREACHABLE  nothing or no answer came back (connection refused,
 *                      timeout, connection lost, HTTP 502/503/504): the
 *                      statement may be retried later, unchanged;
 *   DB_CH_REJECTED     the server answered with an error (syntax, unknown
 *                      column, authentication): sending it again as it is
 *                      will fail again.
 * The message of the last failure is in db_ch_errmsg().
 */
#ifndef DCV_CLICKHOUSE_H
#define DCV_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>

/* The database used when the URL names none. */
#define DB_CH_DATABASE_DEFAULT "dcvscope"

/* Longest error message kept; longer ones are cut. */
#define DB_CH_ERRMSG_MAX 512

/* How long connecting may take before the server counts as unreachable. */
#define DB_CH_CONNECT_TIMEOUT_MS 3000

/* How long one statement may take in all (an INSERT of a full batch on a
 * busy server). A guess, generous: a batch of DB_SHIP_BATCH_ROWS_DEFAULT
 * rows takes well under a second on an idle server. */
#define DB_CH_STATEMENT_TIMEOUT_MS 60000

enum db_ch_result {
	DB_CH_OK = 0,
	DB_CH_UNREACHABLE = -1,
	DB_CH_REJECTED = -2,
};

struct db_ch;

/*
 * db_ch_open() parses url, "http[s]://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE]"
 * (DATABASE: letters, digits and '_'; default DB_CH_DATABASE_DEFAULT), and
 * prepares a connection; it does not connect yet. Returns 0 and *out, or -1
 * with a message in err (a malformed URL, out of memory) and *out unchanged.
 */
int db_ch_open(struct db_ch **out, const char *url, char *err, size_t errlen);

/* db_ch_close() closes the connection and frees ch (NULL is ignored). */
void db_ch_close(struct db_ch *ch);

/* db_ch_target() returns "HOST:PORT/DATABASE": the server's identity without
 * credentials, for messages and the shipping watermarks. */
const char *db_ch_target(const struct db_ch *ch);

/* db_ch_database() returns the database name. */
const char *db_ch_database(const struct db_ch *ch);

/* db_ch_errmsg() returns the message of the last failure (never NULL). */
const char *db_ch_errmsg(const struct db_ch *ch);

/*
 * db_ch_exec() runs one statement of constant text (no data in it) in the
 * database (in_database) or outside any (to create it). When out is not
 * NULL it receives the answer's body (malloc'd, NUL-terminated; the caller
 * frees it). Returns DB_CH_OK or a failure (enum db_ch_result).
 */
int db_ch_exec(struct db_ch *ch, const char *sql, bool in_database, char **out);

/*
 * db_ch_insert() sends body, rows in JSONEachRow format (one JSON object per
 * line), as "INSERT INTO table FORMAT JSONEachRow". ClickHouse takes the
 * block whole or not at all. Returns DB_CH_OK or a failure; after
 * DB_CH_UNREACHABLE the rows may or may not have been stored (the tables
 * deduplicate a block sent twice, see db/CLICKHOUSE.md).
 */
int db_ch_insert(struct db_ch *ch, const char *table, const char *body, size_t len);

/*
 * db_ch_schema_migrate() creates the database and brings its schema to the
 * version this build knows (ch_schema.c), once per handle (later calls
 * return at once). Refuses a database whose schema is newer (rejected).
 * Returns DB_CH_OK or a failure.
 */
int db_ch_schema_migrate(struct db_ch *ch);

/* db_ch_schema_version() returns the schema version this build writes. */
int db_ch_schema_version(void);

#endif
