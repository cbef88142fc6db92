/*
 * ship_opts.h - the shipping options that `dcvscope ship` and `dcvscope
 * watch --clickhouse` share: the host's identity in the fleet and the
 * spool. Defaults are defined here once and printed by both --help texts.
 */
#ifndef DCV_SHIP_OPTS_H
#define DCV_SHIP_OPTS_H

#include <stddef.h>

#include "ship.h"

/* --site when none is given. */
#define SHIP_SITE_DEFAULT "default"

/* Most tries per batch accepted by --tries. */
#define SHIP_TRIES_MAX 20

/* Longest host name kept for the default --server. */
#define SHIP_HOSTNAME_MAX 256

struct ship_opts {
	const char *server;    /* NULL: the host name */
	const char *site;      /* SHIP_SITE_DEFAULT unless given */
	const char *spool_dir; /* NULL: no spool */
	unsigned spool_max_mb; /* 0: DB_SHIP_SPOOL_MAX_MB_DEFAULT */
	size_t batch_rows;     /* 0: DB_SHIP_BATCH_ROWS_DEFAULT */
	unsigned tries;        /* 0: DB_SHIP_TRIES_DEFAULT */
	char hostname[SHIP_HOSTNAME_MAX];
};

/* ship_opts_init() sets the defaults (and reads the host name). */
void ship_opts_init(struct ship_opts *so);

/* ship_opts_check() returns 0 when the server name and the site are not
 * empty, else -1. */
int ship_opts_check(const struct ship_opts *so);

/* ship_opts_to_db() fills the options db_ship() takes; o points into so,
 * which must outlive it. */
void ship_opts_to_db(const struct ship_opts *so, struct db_ship_opts *o);

#endif
