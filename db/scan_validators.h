/*
 * scan_validators.h - the validator rows of a scope held in memory, for the
 * per-source pass of db_source_scan().
 *
 * The pass meets every source of every run of its scope and needs the CA
 * and region of the few that are validators. One statement per source
 * (150,000 lookups for fifty validators on a 5-million-packet capture) cost
 * a sixth of the pass; the scope's validator rows (medium confidence or
 * above, as the rules count them) are read once instead.
 */
#ifndef DCV_SCAN_VALIDATORS_H
#define DCV_SCAN_VALIDATORS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "rule_queries.h"

/* Validator rows held before the pass looks each source up instead: a
 * guess, far above the validators a scope has (a few thousand per run). */
#define SCAN_VALIDATORS_MAX 262144

/* One validator row. */
struct scan_validator {
	int64_t run;
	uint64_t hash; /* of run and source */
	char *source, *ca, *region;
};

struct scan_validators;

/* scan_validators_load() reads the rows of the runs of scope into *out.
 * Returns 0, 1 when they are more than max (*out NULL: look sources up one
 * by one), or -1 (db_errmsg()). */
int scan_validators_load(struct db *db, const struct rules_scope *scope, size_t max,
                         struct scan_validators **out);

/* scan_validators_new() returns an empty set (NULL: out of memory);
 * scan_validators_add() appends one row (copied; 0, or -1 out of memory);
 * scan_validators_index() makes the rows findable, once all are added (0,
 * or -1 out of memory). */
struct scan_validators *scan_validators_new(void);
int scan_validators_add(struct scan_validators *v, int64_t run, const char *source, const char *ca,
                        const char *region);
int scan_validators_index(struct scan_validators *v);

/* db_validators_scan_set() returns the rows of run_id that
 * db_validator_sources_store() would store for m and that the scan reads
 * (medium confidence or above), without the file; NULL when memory ran
 * out. validator_store.c. */
struct mpic;
struct scan_validators *db_validators_scan_set(const struct mpic *m, int64_t run_id);

/* scan_validators_find() returns the row of source text t (len bytes) in
 * run, or NULL. */
const struct scan_validator *scan_validators_find(const struct scan_validators *v, int64_t run,
                                                  const char *t, size_t len);

/* scan_validators_free() frees v; NULL is a no-op. */
void scan_validators_free(struct scan_validators *v);

#endif
