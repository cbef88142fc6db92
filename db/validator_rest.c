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
 * connection write while others read what was committed before. The
 * thread copies the sources (their evidence text formatted, in address
 * order) as soon as it starts, while the last batch of the run is still
 * being written, and writes once it is told to go.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validator_store.h"

struct db_validators_rest {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go, store; /* told to go on; to store (not: give up) */
	char *path;
	int64_t run_id;
	const struct mpic *m;
	enum mpic_confidence min, below;
	struct mpic_source *list; /* the copied sources */
	size_t n, cap;
	bool oom;
	int stored; /* the thread's result: rows, or -1 */
	char err[512];
};

/* Copies one source below r->below (mpic_foreach_source_by_address()). */
static void copy_source(void *arg, const struct mpic_source *s)
{
	struct db_validators_rest *r = arg;
	if (r->oom || s->confidence >= r->below)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct mpic_source *p = realloc(r->list, cap * sizeof(*p));
		if (p == NULL) {
			r->oom = true;
			return;
		}
		r->list = p;
		r->cap = cap;
	}
	r->list[r->n++] = *s;
}

static void *rest_main(void *arg)
{
	struct db_validators_rest *r = arg;
	if (mpic_foreach_source_by_address(r->m, r->min, copy_source, r) < 0)
		r->oom = true;
	pthread_mutex_lock(&r->lock);
	while (!r->go)
		pthread_cond_wait(&r->cond, &r->lock);
	bool store = r->store;
	pthread_mutex_unlock(&r->lock);
	r->stored = -1;
	if (!store) {
		snprintf(r->err, sizeof(r->err), "%s: not stored", r->path);
		return NULL;
	}
	if (r->oom) {
		snprintf(r->err, sizeof(r->err), "%s: out of memory copying the sources", r->path);
		return NULL;
	}
	struct db *db = NULL;
	/* its rows go in key order at the end of one b-tree: few pages */
	if (db_open_beside(&db, r->path, r->err, sizeof(r->err)) != 0)
		return NULL;
	r->stored = db_validator_sources_store_list(db, r->run_id, r->list, r->n, false);
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
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r->path);
		free(r);
		return NULL;
	}
	pthread_cond_init(&r->cond, NULL);
	if (pthread_create(&r->thread, NULL, rest_main, r) != 0) {
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		free(r->path);
		free(r);
		return NULL;
	}
	(void)pthread_setname_np(r->thread, "dcv-validators"); /* top -H, perf */
	return r;
}

/* Tells the thread to go on, storing or not, unless it was told already. */
static void tell(struct db_validators_rest *r, bool store)
{
	pthread_mutex_lock(&r->lock);
	if (!r->go) {
		r->go = true;
		r->store = store;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
}

void db_validators_rest_go(struct db_validators_rest *r)
{
	if (r != NULL)
		tell(r, true);
}

int db_validators_rest_finish(struct db_validators_rest *r, bool store, char *err, size_t errlen)
{
	if (r == NULL)
		return -1;
	tell(r, store);
	pthread_join(r->thread, NULL);
	int stored = r->stored;
	if (stored < 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", r->err);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->list);
	free(r->path);
	free(r);
	return stored;
}
