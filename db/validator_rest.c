/*
 * validator_rest.c - the validator sources nobody reads at once, stored by
 * a thread of their own (validator_store.h).
 *
 * analyze stores every source it judged a validator, down to low
 * confidence, and then reads the medium-or-above ones for the summary and
 * the rules. On a busy server the low ones are nearly all of them (65,486
 * of 65,536 on the 5M-packet bench capture) and their inserts took a fifth
 * of a second in which the rules could not start. With this thread they go
 * in on a second connection while the first reads: SQLite's WAL lets one
 * connection write while others read what was committed before.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validator_store.h"

/* Page cache of the thread's connection, in KiB: its rows go in key order
 * at the end of one b-tree, which touches few pages; the analysis's
 * connection keeps its large cache. */
#define REST_CACHE_KIB 2048

struct db_validators_rest {
	pthread_t thread;
	char *path;
	int64_t run_id;
	const struct mpic *m;
	enum mpic_confidence min, below;
	int stored; /* the thread's result: rows, or -1 */
	char err[512];
};

static void *rest_main(void *arg)
{
	struct db_validators_rest *r = arg;
	struct db *db = NULL;
	if (db_open(&db, r->path, r->err, sizeof(r->err)) != 0) {
		r->stored = -1;
		return NULL;
	}
	(void)db_set_cache_kib(db, REST_CACHE_KIB);
	r->stored = db_validator_sources_store_range(db, r->run_id, r->m, r->min, r->below, false);
	if (r->stored < 0)
		snprintf(r->err, sizeof(r->err), "%s", db_errmsg(db));
	if (db_close(db) != 0 && r->stored >= 0) {
		snprintf(r->err, sizeof(r->err), "%s: closing the validators' connection failed",
		         r->path);
		r->stored = -1;
	}
	return NULL;
}

struct db_validators_rest *db_validators_rest_start(const char *path, int64_t run_id,
                                                    const struct mpic *m, enum mpic_confidence min,
                                                    enum mpic_confidence below)
{
	if (path == NULL || m == NULL)
		return NULL;
	struct db_validators_rest *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		return NULL;
	}
	r->run_id = run_id;
	r->m = m;
	r->min = min;
	r->below = below;
	if (pthread_create(&r->thread, NULL, rest_main, r) != 0) {
		free(r->path);
		free(r);
		return NULL;
	}
	return r;
}

int db_validators_rest_finish(struct db_validators_rest *r, char *err, size_t errlen)
{
	if (r == NULL)
		return -1;
	pthread_join(r->thread, NULL);
	int stored = r->stored;
	if (stored < 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", r->err);
	free(r->path);
	free(r);
	return stored;
}
