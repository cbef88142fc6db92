/* scan_validators.c - a scope's validator rows in an open-addressing table. */
#include "scan_validators.h"

#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

struct scan_validators {
	struct scan_validator *rows;
	size_t n, cap;
	uint32_t *slots; /* index + 1 into rows; 0 free */
	size_t nslots;   /* a power of two, at least twice n */
};

static uint64_t key_hash(int64_t run, const char *t, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)run * 0x9E3779B97F4A7C15ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)t[i]) * 1099511628211ull;
	return h;
}

void scan_validators_free(struct scan_validators *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->rows[i].source);
		free(v->rows[i].ca);
		free(v->rows[i].region);
	}
	free(v->rows);
	free(v->slots);
	free(v);
}

static char *copy(const char *t)
{
	return strdup(t != NULL ? t : "");
}

struct scan_validators *scan_validators_new(void)
{
	return calloc(1, sizeof(struct scan_validators));
}

int scan_validators_add(struct scan_validators *v, int64_t run, const char *source, const char *ca,
                        const char *region)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct scan_validator *r = realloc(v->rows, cap * sizeof(*r));
		if (r == NULL)
			return -1;
		v->rows = r;
		v->cap = cap;
	}
	struct scan_validator *r = &v->rows[v->n];
	r->run = run;
	r->source = copy(source);
	r->ca = copy(ca);
	r->region = copy(region);
	if (r->source == NULL || r->ca == NULL || r->region == NULL) {
		free(r->source);
		free(r->ca);
		free(r->region);
		return -1;
	}
	r->hash = key_hash(r->run, r->source, strlen(r->source));
	v->n++;
	return 0;
}

int scan_validators_index(struct scan_validators *v)
{
	v->nslots = 16;
	while (v->nslots < v->n * 2)
		v->nslots <<= 1;
	v->slots = calloc(v->nslots, sizeof(*v->slots));
	if (v->slots == NULL)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		size_t j = v->rows[i].hash & (v->nslots - 1);
		while (v->slots[j] != 0)
			j = (j + 1) & (v->nslots - 1);
		v->slots[j] = (uint32_t)(i + 1);
	}
	return 0;
}

int scan_validators_load(struct db *db, const struct rules_scope *scope, size_t max,
                         struct scan_validators **out)
{
	*out = NULL;
	const char *op = "read the validators of the scope";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT run_id, source, ca, region FROM validator_sources WHERE confidence <> 'low'"
	    " AND run_id IN (SELECT id FROM runs WHERE " DB_SCOPE_RUNS ")",
	    scope);
	if (st == NULL)
		return -1;
	struct scan_validators *v = scan_validators_new();
	int rc = v != NULL ? SQLITE_ROW : SQLITE_NOMEM;
	while (rc == SQLITE_ROW && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (v->n >= max || v->n >= UINT32_MAX - 1) {
			sqlite3_finalize(st);
			scan_validators_free(v);
			return 1;
		}
		if (scan_validators_add(v, sqlite3_column_int64(st, 0),
		                        (const char *)sqlite3_column_text(st, 1),
		                        (const char *)sqlite3_column_text(st, 2),
		                        (const char *)sqlite3_column_text(st, 3)) != 0)
			rc = SQLITE_NOMEM;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE && scan_validators_index(v) != 0)
		rc = SQLITE_NOMEM;
	if (rc != SQLITE_DONE) {
		scan_validators_free(v);
		return rc == SQLITE_NOMEM ? db_set_err(db, "%s: out of memory", op)
		                          : db_sql_fail(db, op, rc);
	}
	*out = v;
	return 0;
}

const struct scan_validator *scan_validators_find(const struct scan_validators *v, int64_t run,
                                                  const char *t, size_t len)
{
	uint64_t h = key_hash(run, t, len);
	for (size_t j = h & (v->nslots - 1); v->slots[j] != 0; j = (j + 1) & (v->nslots - 1)) {
		const struct scan_validator *r = &v->rows[v->slots[j] - 1];
		if (r->hash == h && r->run == run && strlen(r->source) == len &&
		    memcmp(r->source, t, len) == 0)
			return r;
	}
	return NULL;
}
