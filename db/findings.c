/* findings.c - the rules' findings in SQLite (table findings, schema v3). */
#include "findings.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"

const char *rule_severity_name(enum rule_severity s)
{
	switch (s) {
	case RULE_CRITICAL:
		return "critical";
	case RULE_WARNING:
		return "warning";
	default:
		return "info";
	}
}

static enum rule_severity severity_of(const char *s)
{
	if (s != NULL && strcmp(s, "critical") == 0)
		return RULE_CRITICAL;
	if (s != NULL && strcmp(s, "warning") == 0)
		return RULE_WARNING;
	return RULE_INFO;
}

/* Writes the metrics as one JSON object; keys are identifiers (no escaping
 * needed, anything else is replaced by '_'). Returns 0, or -1 if too long. */
static int metrics_json(const struct finding *f, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "{");
	for (unsigned i = 0; i < f->nmetrics && i < FINDING_METRICS_MAX; i++) {
		char key[sizeof(f->metrics[i].key)];
		snprintf(key, sizeof(key), "%s", f->metrics[i].key);
		for (char *k = key; *k; k++)
			if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_'))
				*k = '_';
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s\"%s\": %.17g",
		                      i ? ", " : "", key, f->metrics[i].value);
	}
	n += (size_t)snprintf(out + n, n < len ? len - n : 0, "}");
	return n < len ? 0 : -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int db_findings_replace(struct db *db, const struct rules_scope *scope, const struct finding *f,
                        unsigned n)
{
	if (db == NULL || scope == NULL || (f == NULL && n > 0))
		return -1;
	if (db_flush(db) != 0)
		return -1;
	const char *op = "store findings";
	if (db_begin(db, "store findings: begin") != 0)
		return -1;
	sqlite3_stmt *del = NULL, *ins = NULL;
	int rc = sqlite3_prepare_v2(
	    db->sql,
	    "DELETE FROM findings WHERE (?1 > 0 AND run_id = ?1) OR (?1 = 0 AND run_id IS NULL"
	    " AND first_seen_ns < ?3 AND last_seen_ns >= ?2)",
	    -1, &del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(
		    db->sql,
		    "INSERT INTO findings (run_id, rule, severity, subject_kind, subject,"
		    " first_seen_ns, last_seen_ns, evidence, recommendation, metrics, created_ns)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    -1, &ins, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(del, 1, scope->run_id > 0 ? scope->run_id : 0);
	db_bind_u64(del, 2, scope->from_ns);
	db_bind_u64(del, 3, scope->to_ns);
	rc = sqlite3_step(del);
	if (rc != SQLITE_DONE)
		goto fail;
	uint64_t created = now_ns();
	for (unsigned i = 0; i < n; i++) {
		char metrics[FINDING_METRICS_MAX * 80];
		if (metrics_json(&f[i], metrics, sizeof(metrics)) != 0) {
			rc = SQLITE_TOOBIG;
			goto fail;
		}
		if (scope->run_id > 0)
			sqlite3_bind_int64(ins, 1, scope->run_id);
		else
			sqlite3_bind_null(ins, 1);
		sqlite3_bind_text(ins, 2, f[i].rule, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 3, rule_severity_name(f[i].severity), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, f[i].subject_kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 5, f[i].subject, -1, SQLITE_TRANSIENT);
		db_bind_u64(ins, 6, f[i].first_seen_ns);
		db_bind_u64(ins, 7, f[i].last_seen_ns);
		sqlite3_bind_text(ins, 8, f[i].evidence, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 9, f[i].recommendation, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 10, metrics, -1, SQLITE_TRANSIENT);
		db_bind_u64(ins, 11, created);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	return db_commit(db, "store findings: commit");
fail:
	db_sql_fail(db, op, rc);
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	db_rollback(db);
	return -1;
}

static void copy_text(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src != NULL ? (const char *)src : "");
}

int db_findings_read(struct db *db, const struct rules_scope *scope, finding_fn fn, void *ctx)
{
	if (db == NULL || scope == NULL || db_flush(db) != 0)
		return -1;
	const char *op = "read findings";
	sqlite3_stmt *st = NULL, *met = NULL;
	int rc = sqlite3_prepare_v2(
	    db->sql,
	    "SELECT rule, severity, subject_kind, subject, first_seen_ns, last_seen_ns, evidence,"
	    " recommendation, metrics FROM findings WHERE (?1 > 0 AND run_id = ?1) OR (?1 = 0"
	    " AND run_id IS NULL AND first_seen_ns < ?3 AND last_seen_ns >= ?2) ORDER BY"
	    " CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, id",
	    -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db->sql, "SELECT key, value FROM json_each(?)", -1, &met,
		                        NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return db_sql_fail(db, op, rc);
	}
	sqlite3_bind_int64(st, 1, scope->run_id > 0 ? scope->run_id : 0);
	db_bind_u64(st, 2, scope->from_ns);
	db_bind_u64(st, 3, scope->to_ns);
	int n = 0;
	static struct finding zero;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct finding f = zero;
		copy_text(f.rule, sizeof(f.rule), sqlite3_column_text(st, 0));
		f.severity = severity_of((const char *)sqlite3_column_text(st, 1));
		copy_text(f.subject_kind, sizeof(f.subject_kind), sqlite3_column_text(st, 2));
		copy_text(f.subject, sizeof(f.subject), sqlite3_column_text(st, 3));
		f.first_seen_ns = (uint64_t)sqlite3_column_int64(st, 4);
		f.last_seen_ns = (uint64_t)sqlite3_column_int64(st, 5);
		copy_text(f.evidence, sizeof(f.evidence), sqlite3_column_text(st, 6));
		copy_text(f.recommendation, sizeof(f.recommendation), sqlite3_column_text(st, 7));
		sqlite3_bind_text(met, 1, (const char *)sqlite3_column_text(st, 8), -1,
		                  SQLITE_TRANSIENT);
		int mrc;
		while ((mrc = sqlite3_step(met)) == SQLITE_ROW &&
		       f.nmetrics < FINDING_METRICS_MAX) {
			struct finding_metric *m = &f.metrics[f.nmetrics++];
			copy_text(m->key, sizeof(m->key), sqlite3_column_text(met, 0));
			m->value = sqlite3_column_double(met, 1);
		}
		sqlite3_reset(met);
		if (mrc != SQLITE_ROW && mrc != SQLITE_DONE) {
			rc = mrc;
			break;
		}
		n++;
		if (fn(ctx, &f) != 0)
			break;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(met);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return n;
}
