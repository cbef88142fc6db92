/*
 * scope_opts.h - the time scope options shared by `rules` and `report`
 * (--since DURATION, --from T, --to T) and how they resolve against the
 * newest stored data into a struct rules_scope.
 */
#ifndef DCV_SCOPE_OPTS_H
#define DCV_SCOPE_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "finding.h"

/* The time options as given; all zero = none given. */
struct scope_opts {
	uint64_t since_ns, from_ns, to_ns;
	int have_since, have_from, have_to;
};

/* scope_parse_duration() parses "24h", "7d", "90m", "30s" or "3600"
 * (seconds) into ns. Returns 0, or -1 with *out unchanged. */
int scope_parse_duration(const char *s, uint64_t *out);

/* scope_parse_time() parses Unix seconds or UTC YYYY-MM-DD[THH:MM[:SS]][Z]
 * into ns. Returns 0, or -1 with *out unchanged. */
int scope_parse_time(const char *s, uint64_t *out);

/* Which of the three options. */
enum scope_opt { SCOPE_OPT_SINCE, SCOPE_OPT_FROM, SCOPE_OPT_TO };

/* scope_opts_set() parses the value of --since (a duration > 0), --from or
 * --to into o. On a bad value it prints "CMD: --since: bad duration ..."
 * on stderr and returns -1 with o unchanged; else 0. */
int scope_opts_set(struct scope_opts *o, enum scope_opt which, const char *arg, const char *cmd);

/* scope_opts_given() returns 1 when any of --since/--from/--to was given. */
int scope_opts_given(const struct scope_opts *o);

/* Outcome of scope_opts_resolve(). */
enum scope_resolve {
	SCOPE_OK = 0,
	SCOPE_DB_ERROR = -1, /* reading the newest data failed (db_errmsg()) */
	SCOPE_EMPTY = -2,    /* --from >= --to */
};

/*
 * scope_opts_resolve() turns the options into a time span across runs:
 * --to defaults to just after the newest stored data, --since counts back
 * from the end, --from alone after all data gives an empty span (not an
 * error). Fills *scope (run_id 0) and, when text is non-NULL, "FROM .. TO"
 * in text. Returns SCOPE_OK, SCOPE_DB_ERROR or SCOPE_EMPTY.
 */
enum scope_resolve scope_opts_resolve(const struct scope_opts *o, struct db *db,
                                      struct rules_scope *scope, char *text, size_t textlen);

#endif
