/*
 * watch_ship.h - `dcvscope watch --clickhouse`: shipping in a thread of its
 * own.
 *
 * A pass (db_ship(): read the new rows, send them over HTTP, spool what
 * ClickHouse does not take) can take a connect timeout per batch when the
 * server is unreachable, and up to the statement timeout when it hangs.
 * In the capture loop that would stop reading frames for as long; here the
 * loop only asks for a pass after each flush, and the pass runs on a
 * second connection to the same database (SQLite in WAL mode lets it read
 * while the loop writes). Requests made while a pass runs fold into one
 * more pass. At stop the thread is joined, and the caller makes the last
 * pass (with the full retries) itself.
 */
#ifndef DCV_WATCH_SHIP_H
#define DCV_WATCH_SHIP_H

#include <stdbool.h>
#include <stddef.h>

#include "ship.h"

struct watch_ship;

/* watch_ship_start() opens db_path and the ClickHouse at ch_url for the
 * thread and starts it; o (strings included) is copied. NULL with a
 * message in err when the database, the server handle or the thread
 * cannot be had. */
struct watch_ship *watch_ship_start(const char *db_path, const char *ch_url,
                                    const struct db_ship_opts *o, char *err, size_t errlen);

/* watch_ship_request() asks for a pass soon; it never waits. */
void watch_ship_request(struct watch_ship *s);

/* watch_ship_result() reports the newest pass that ended since the last
 * call: returns true and sets *rc (db_ship()'s return) and msg (its first
 * failure, "" when none); false when no pass ended since. */
bool watch_ship_result(struct watch_ship *s, int *rc, char *msg, size_t msglen);

/* watch_ship_stop() waits for a running pass, ends the thread and frees
 * everything. NULL is a no-op. */
void watch_ship_stop(struct watch_ship *s);

#endif
