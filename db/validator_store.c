/* validator_store.c - validator sources and MPIC attempts in SQLite. */
#include "validator_store.h"

#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "scan_validators.h"

static void copy_text(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src != NULL ? (const char *)src : "");
}

/* ---- writing ---------------------------------------------------------- */

/* Binds and steps one queued perspective of the attempt stored as
 * attempt_id. Returns an SQLite code. */
static int write_perspective(struct db *db, const struct db_queue *q, int64_t run_id,
                             int64_t attempt_id, const struct db_queued_persp *p)
{
	sqlite3_stmt *st = db->st_persp_insert;
	char addr[DCV_ADDR_TEXT_MAX];
	dcv_addr_format(&p->source, addr, sizeof(addr));
	sqlite3_bind_int64(st, 1, attempt_id);
	sqlite3_bind_int64(st, 2, run_id);
	sqlite3_bind_text(st, 3, addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, q->arena + p->region_off, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, mpic_confidence_name(p->confidence), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, mpic_outcome_name(p->outcome), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, p->queries);
	sqlite3_bind_int64(st, 8, p->failures);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int db_attempts_write(struct db *db, const struct db_queue *q)
{
	sqlite3_stmt *st = db->st_attempt_insert;
	int rc = SQLITE_OK;
	for (size_t i = 0; i < q->n_attempts && rc == SQLITE_OK; i++) {
		const struct db_queued_attempt *a = &q->attempts[i];
		sqlite3_bind_int64(st, 1, a->run_id);
		db_bind_u64(st, 2, a->first_ns);
		db_bind_u64(st, 3, a->last_ns);
		sqlite3_bind_text(st, 4, q->arena + a->name_off, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, q->arena + a->ca_off, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, dcv_shape_name(a->method), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, a->caa_climb ? 1 : 0);
		sqlite3_bind_int(st, 8, a->caa_labels);
		sqlite3_bind_int64(st, 9, a->nperspectives);
		sqlite3_bind_int64(st, 10, a->usable);
		sqlite3_bind_int64(st, 11, a->failed);
		sqlite3_bind_text(st, 12, mpic_status_name(a->status), -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			break;
		rc = SQLITE_OK;
		int64_t id = sqlite3_last_insert_rowid(db->sql);
		for (uint32_t k = 0; k < a->persp_n && rc == SQLITE_OK; k++)
			rc =
			    write_perspective(db, q, a->run_id, id, &q->persps[a->persp_first + k]);
	}
	return rc;
}

/* Queues text (NULL: fallback) as a string of the queue; 0 or -1. */
static int queue_string(struct db_queue *q, const char *text, const char *fallback, uint32_t *off)
{
	const char *t = text != NULL ? text : fallback;
	return db_queue_text(q, t, strlen(t), off);
}

int db_attempt_add(struct db *db, int64_t run_id, const struct mpic_attempt *a)
{
	if (db == NULL || a == NULL)
		return -1;
	if (db_queue_room(db, run_id) != 0)
		return -1;
	struct db_queue *q = &db->q;
	size_t arena_len = q->arena_len; /* undone when the row cannot be queued */
	if (db_queue_grow((void **)&q->attempts, &q->cap_attempts, q->n_attempts + 1,
	                  sizeof(*q->attempts)) ||
	    db_queue_grow((void **)&q->persps, &q->cap_persps, q->n_persps + a->nkept,
	                  sizeof(*q->persps)))
		return db_set_err(db, "attempts: out of memory queueing a row");
	struct db_queued_attempt *r = &q->attempts[q->n_attempts];
	*r = (struct db_queued_attempt){
	    .run_id = run_id,
	    .first_ns = a->first_ns,
	    .last_ns = a->last_ns,
	    .method = (uint8_t)a->method,
	    .status = (uint8_t)a->status,
	    .caa_labels = a->caa_labels,
	    .caa_climb = a->caa_climb,
	    .nperspectives = a->nperspectives,
	    .usable = a->usable,
	    .failed = a->failed,
	    .persp_first = (uint32_t)q->n_persps,
	    .persp_n = a->nkept,
	};
	int bad = queue_string(q, a->name, "", &r->name_off) ||
	          queue_string(q, a->ca, "unknown", &r->ca_off);
	for (unsigned i = 0; i < a->nkept && !bad; i++) {
		const struct mpic_perspective *p = &a->perspectives[i];
		struct db_queued_persp *pr = &q->persps[q->n_persps + i];
		pr->source = p->source;
		pr->confidence = (uint8_t)p->confidence;
		pr->outcome = (uint8_t)p->outcome;
		pr->queries = p->queries;
		pr->failures = p->failures;
		bad = queue_string(q, p->region, "unknown", &pr->region_off);
	}
	if (bad) {
		q->arena_len = arena_len;
		return db_set_err(db, "attempts: out of memory queueing a row");
	}
	q->n_persps += a->nkept;
	q->n_attempts++;
	db_queue_added(db);
	return 0;
}

/* The CA and region a source's row stores (store_source()). */
static const char *ca_of(const struct mpic_source *s)
{
	return s->ca ? s->ca : "unknown";
}

static const char *region_of(const struct mpic_source *s)
{
	return s->region ? s->region : "unknown";
}

struct store_ctx {
	struct db *db;
	sqlite3_stmt *st;
	int64_t run_id;
	enum mpic_confidence below; /* sources at this confidence or above are skipped */
	int rc;
	int stored;
};

static void store_source(void *arg, const struct mpic_source *s)
{
	struct store_ctx *c = arg;
	if (c->rc != SQLITE_OK || s->confidence >= c->below)
		return;
	sqlite3_stmt *st = c->st;
	char addr[DCV_ADDR_TEXT_MAX];
	dcv_addr_format(&s->source, addr, sizeof(addr));
	sqlite3_bind_int64(st, 1, c->run_id);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, s->source.family);
	sqlite3_bind_blob(st, 4, s->source.bytes, sizeof(s->source.bytes), SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, ca_of(s), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, region_of(s), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, mpic_confidence_name(s->confidence), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, s->evidence, -1, SQLITE_TRANSIENT);
	db_bind_u64(st, 9, s->first_ns);
	db_bind_u64(st, 10, s->last_ns);
	db_bind_u64(st, 11, s->queries);
	db_bind_u64(st, 12, s->validation_queries);
	db_bind_u64(st, 13, s->failures);
	sqlite3_bind_int64(st, 14, s->attempts);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		c->rc = rc;
	else
		c->stored++;
}

int db_validator_sources_store(struct db *db, int64_t run_id, const struct mpic *m,
                               enum mpic_confidence min)
{
	return db_validator_sources_store_range(db, run_id, m, min, DB_VALIDATOR_CONF_ALL, true);
}

/* The sources one store writes: m's from min up to below, or a list. */
struct store_walk {
	const struct mpic *m;
	enum mpic_confidence min, below;
	const struct mpic_source *list;
	size_t n;
};

/* Stores w's sources (see db_validator_sources_store_range()). Returns how
 * many, or -1. */
static int store_walk(struct db *db, int64_t run_id, const struct store_walk *w, bool replace)
{
	db_writer_quiesce(db);
	/* the kept fold holds the CA and region of the old rows, unless it took
	 * them from m and the rows it reads (medium confidence and above) end
	 * up those of m: all of them stored anew, or none touched */
	bool same = w->m != NULL && db_source_fold_resolved_from(db, run_id, w->m) &&
	            ((replace && w->min <= MPIC_CONF_MEDIUM && w->below > MPIC_CONF_LISTED) ||
	             (!replace && w->below <= MPIC_CONF_MEDIUM));
	if (!same)
		db_source_fold_forget(db);
	if (db_begin(db, "store validators: begin") != 0)
		return -1;
	const char *op = "store validators";
	int rc = SQLITE_DONE;
	if (replace) {
		sqlite3_stmt *del =
		    db_prepare(db, op, "DELETE FROM validator_sources WHERE run_id = ?");
		if (del == NULL) {
			db_rollback(db);
			return -1;
		}
		sqlite3_bind_int64(del, 1, run_id);
		rc = sqlite3_step(del);
		sqlite3_finalize(del);
	}
	struct store_ctx c = {.db = db, .run_id = run_id, .below = w->below, .rc = SQLITE_OK};
	if (rc == SQLITE_DONE)
		c.st = db_prepare(
		    db, op,
		    "INSERT INTO validator_sources (run_id, source, family, source_bin, ca, "
		    "region, confidence, evidence, first_ns, last_ns, queries, "
		    "validation_queries, failures, attempts) VALUES "
		    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	else
		c.rc = rc;
	if (c.st != NULL) {
		/* in key order, each row goes at the end of the b-tree: 65 536
		 * rows in 0.13 s instead of 0.21 s in the table's hash order */
		if (w->m != NULL &&
		    mpic_foreach_source_by_address(w->m, w->min, store_source, &c) < 0)
			c.rc = SQLITE_NOMEM;
		for (size_t i = 0; w->m == NULL && i < w->n; i++)
			store_source(&c, &w->list[i]);
		sqlite3_finalize(c.st);
	} else if (c.rc == SQLITE_OK) {
		c.rc = SQLITE_ERROR;
	}
	if (c.rc != SQLITE_OK) {
		db_sql_fail(db, op, c.rc);
		db_rollback(db);
		return -1;
	}
	if (db_commit(db, "store validators: commit") != 0)
		return -1;
	return c.stored;
}

int db_validator_sources_store_range(struct db *db, int64_t run_id, const struct mpic *m,
                                     enum mpic_confidence min, enum mpic_confidence below,
                                     bool replace)
{
	if (db == NULL || m == NULL)
		return -1;
	/* the table has no "none" */
	struct store_walk w = {
	    .m = m, .min = min < MPIC_CONF_LOW ? MPIC_CONF_LOW : min, .below = below};
	return store_walk(db, run_id, &w, replace);
}

int db_validator_sources_store_list(struct db *db, int64_t run_id, const struct mpic_source *list,
                                    size_t n, bool replace)
{
	if (db == NULL || (list == NULL && n > 0))
		return -1;
	struct store_walk w = {.below = DB_VALIDATOR_CONF_ALL, .list = list, .n = n};
	return store_walk(db, run_id, &w, replace);
}

struct scan_set_ctx {
	struct scan_validators *v;
	int64_t run_id;
	bool oom;
};

static void add_to_scan_set(void *arg, const struct mpic_source *s)
{
	struct scan_set_ctx *c = arg;
	char addr[DCV_ADDR_TEXT_MAX];
	dcv_addr_format(&s->source, addr, sizeof(addr));
	if (!c->oom && scan_validators_add(c->v, c->run_id, addr, ca_of(s), region_of(s)) != 0)
		c->oom = true;
}

struct scan_validators *db_validators_scan_set(const struct mpic *m, int64_t run_id)
{
	struct scan_set_ctx c = {.v = scan_validators_new(), .run_id = run_id};
	if (c.v == NULL)
		return NULL;
	(void)mpic_foreach_source(m, MPIC_CONF_MEDIUM, add_to_scan_set, &c);
	if (c.oom || scan_validators_index(c.v) != 0) {
		scan_validators_free(c.v);
		return NULL;
	}
	return c.v;
}

int db_validator_source_add(struct db *db, int64_t run_id, const struct mpic_source *s)
{
	if (db == NULL || s == NULL || (s->source.family != 4 && s->source.family != 6))
		return -1;
	db_writer_quiesce(db);
	db_source_fold_forget(db);
	struct store_ctx c = {
	    .db = db, .run_id = run_id, .below = DB_VALIDATOR_CONF_ALL, .rc = SQLITE_OK};
	c.st =
	    db_prepare(db, "store validator source",
	               "INSERT OR REPLACE INTO validator_sources (run_id, source, family, "
	               "source_bin, ca, region, confidence, evidence, first_ns, last_ns, queries, "
	               "validation_queries, failures, attempts) VALUES "
	               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (c.st == NULL)
		return -1;
	store_source(&c, s);
	sqlite3_finalize(c.st);
	return c.rc == SQLITE_OK ? 0 : db_sql_fail(db, "store validator source", c.rc);
}

/* ---- reading ---------------------------------------------------------- */

static int conf_rank(const char *c)
{
	static const char *const order[] = {"low", "medium", "high", "listed"};
	for (int i = 0; i < 4; i++)
		if (strcmp(c, order[i]) == 0)
			return i;
	return 0;
}

int db_validators_read(struct db *db, int64_t run_id, const char *min_conf, unsigned limit,
                       int (*fn)(void *ctx, const struct db_validator_row *r), void *ctx)
{
	if (db == NULL || db_flush(db) != 0)
		return -1;
	const char *op = "read validators";
	sqlite3_stmt *st = db_prepare(
	    db, op,
	    "SELECT source, ca, region, confidence, evidence, queries, validation_queries, "
	    "failures, attempts FROM validator_sources WHERE run_id = ?1 AND "
	    "(CASE confidence WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END)"
	    " >= ?2 ORDER BY queries DESC, source LIMIT ?3");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, conf_rank(min_conf ? min_conf : "low"));
	sqlite3_bind_int64(st, 3, limit ? (sqlite3_int64)limit : -1);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_validator_row r;
		memset(&r, 0, sizeof(r));
		copy_text(r.address, sizeof(r.address), sqlite3_column_text(st, 0));
		copy_text(r.ca, sizeof(r.ca), sqlite3_column_text(st, 1));
		copy_text(r.region, sizeof(r.region), sqlite3_column_text(st, 2));
		copy_text(r.confidence, sizeof(r.confidence), sqlite3_column_text(st, 3));
		copy_text(r.evidence, sizeof(r.evidence), sqlite3_column_text(st, 4));
		r.queries = (uint64_t)sqlite3_column_int64(st, 5);
		r.validation_queries = (uint64_t)sqlite3_column_int64(st, 6);
		r.failures = (uint64_t)sqlite3_column_int64(st, 7);
		r.attempts = (uint64_t)sqlite3_column_int64(st, 8);
		n++;
		if (fn(ctx, &r) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return n;
}

int db_ca_region_read(struct db *db, int64_t run_id,
                      int (*fn)(void *ctx, const struct db_ca_region_row *r), void *ctx)
{
	if (db == NULL || db_flush(db) != 0)
		return -1;
	const char *op = "read per-CA statistics";
	sqlite3_stmt *st = db_prepare(
	    db, op,
	    "SELECT v.ca, v.region, count(DISTINCT v.source), sum(s.queries), sum(s.responses),"
	    " sum(s.unanswered), sum(s.servfail), sum(s.refused),"
	    " sum(s.formerr + s.notimp + s.other_rcode), sum(s.tcp_sessions), sum(s.tcp_rejected),"
	    " sum(s.tcp_filtered), sum(s.tcp_stalled), max(s.peak_qps), max(s.max_concurrent_tcp)"
	    " FROM validator_sources v JOIN source_stats s"
	    " ON s.run_id = v.run_id AND s.source = v.source"
	    " WHERE v.run_id = ?1 AND v.confidence <> 'low'"
	    " GROUP BY v.ca, v.region ORDER BY sum(s.queries) DESC, v.ca, v.region");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_ca_region_row r;
		memset(&r, 0, sizeof(r));
		copy_text(r.ca, sizeof(r.ca), sqlite3_column_text(st, 0));
		copy_text(r.region, sizeof(r.region), sqlite3_column_text(st, 1));
		int c = 2;
		r.sources = (uint64_t)sqlite3_column_int64(st, c++);
		r.queries = (uint64_t)sqlite3_column_int64(st, c++);
		r.responses = (uint64_t)sqlite3_column_int64(st, c++);
		r.unanswered = (uint64_t)sqlite3_column_int64(st, c++);
		r.servfail = (uint64_t)sqlite3_column_int64(st, c++);
		r.refused = (uint64_t)sqlite3_column_int64(st, c++);
		r.other_rcode = (uint64_t)sqlite3_column_int64(st, c++);
		r.tcp_sessions = (uint64_t)sqlite3_column_int64(st, c++);
		r.tcp_rejected = (uint64_t)sqlite3_column_int64(st, c++);
		r.tcp_filtered = (uint64_t)sqlite3_column_int64(st, c++);
		r.tcp_stalled = (uint64_t)sqlite3_column_int64(st, c++);
		r.peak_qps = (uint32_t)sqlite3_column_int64(st, c++);
		r.max_concurrent_tcp = (uint32_t)sqlite3_column_int64(st, c++);
		n++;
		if (fn(ctx, &r) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return n;
}

int db_attempt_totals(struct db *db, int64_t run_id, struct db_attempt_totals *out)
{
	if (db == NULL || out == NULL || db_flush(db) != 0)
		return -1;
	const char *op = "read attempt totals";
	sqlite3_stmt *st =
	    db_prepare(db, op,
	               "SELECT count(*), coalesce(sum(status = 'corroborated'), 0),"
	               " coalesce(sum(status = 'at_risk'), 0),"
	               " coalesce(sum(status = 'failed'), 0) FROM attempts WHERE run_id = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->total = (uint64_t)sqlite3_column_int64(st, 0);
		out->corroborated = (uint64_t)sqlite3_column_int64(st, 1);
		out->at_risk = (uint64_t)sqlite3_column_int64(st, 2);
		out->failed = (uint64_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_sql_fail(db, op, rc);
}

/* Reads the kept perspectives of one attempt into r. */
static int read_perspectives(struct db *db, sqlite3_stmt *st, struct db_attempt_row *r)
{
	sqlite3_bind_int64(st, 1, r->id);
	int rc;
	r->nkept = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r->nkept < MPIC_MAX_PERSPECTIVES) {
		unsigned k = r->nkept++;
		copy_text(r->kept[k].address, sizeof(r->kept[k].address),
		          sqlite3_column_text(st, 0));
		copy_text(r->kept[k].region, sizeof(r->kept[k].region), sqlite3_column_text(st, 1));
		copy_text(r->kept[k].outcome, sizeof(r->kept[k].outcome),
		          sqlite3_column_text(st, 2));
		r->kept[k].queries = (unsigned)sqlite3_column_int64(st, 3);
		r->kept[k].failures = (unsigned)sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_sql_fail(db, "read perspectives", rc);
}

int db_attempts_read(struct db *db, int64_t run_id, bool problems_only, unsigned limit,
                     int (*fn)(void *ctx, const struct db_attempt_row *r), void *ctx)
{
	if (db == NULL || db_flush(db) != 0)
		return -1;
	const char *op = "read attempts";
	sqlite3_stmt *st =
	    db_prepare(db, op,
	               "SELECT id, first_ns, last_ns, name, ca, method, status, caa_labels,"
	               " perspectives, usable, failed FROM attempts WHERE run_id = ?1 AND"
	               " (?2 = 0 OR status <> 'corroborated') ORDER BY first_ns, id"
	               " LIMIT ?3");
	sqlite3_stmt *per = db_prepare(db, op,
	                               "SELECT source, region, outcome, queries, failures FROM "
	                               "attempt_perspectives WHERE attempt_id = ? ORDER BY source");
	if (st == NULL || per == NULL) {
		sqlite3_finalize(st);
		sqlite3_finalize(per);
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, problems_only ? 1 : 0);
	sqlite3_bind_int64(st, 3, limit ? (sqlite3_int64)limit : -1);
	int n = 0, rc;
	struct db_attempt_row r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(st, 0);
		r.first_ns = (uint64_t)sqlite3_column_int64(st, 1);
		r.last_ns = (uint64_t)sqlite3_column_int64(st, 2);
		copy_text(r.name, sizeof(r.name), sqlite3_column_text(st, 3));
		copy_text(r.ca, sizeof(r.ca), sqlite3_column_text(st, 4));
		copy_text(r.method, sizeof(r.method), sqlite3_column_text(st, 5));
		copy_text(r.status, sizeof(r.status), sqlite3_column_text(st, 6));
		r.caa_labels = (unsigned)sqlite3_column_int(st, 7);
		r.perspectives = (unsigned)sqlite3_column_int(st, 8);
		r.usable = (unsigned)sqlite3_column_int(st, 9);
		r.failed = (unsigned)sqlite3_column_int(st, 10);
		if (read_perspectives(db, per, &r) != 0) {
			rc = SQLITE_ERROR;
			break;
		}
		n++;
		if (fn(ctx, &r) != 0)
			break;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(per);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc == SQLITE_ERROR ? -1 : db_sql_fail(db, op, rc);
	return n;
}
