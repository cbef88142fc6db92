/* rule_queries.c - the rules engine's read queries (rule_queries.h). */
#include "rule_queries.h"

#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "source_scan.h"

/* The scope condition (db_internal.h). */
#define SCOPE(run, t) DB_SCOPE(run, t)

/* Validator sources: medium confidence or above, as the summaries count them. */
/*
 * The transactions t of the scope's validator sources v (medium confidence
 * or above), followed by more WHERE terms. The validators drive the join
 * (CROSS JOIN keeps v outer, +t.run_id keeps the planner off the time
 * index): each one's transactions come from index transactions_client,
 * instead of every transaction of the scope being looked up in
 * validator_sources (0.1 s per query on a 5-million-packet capture with
 * fifty validators among 150 000 sources; 0.01 s this way).
 */
#define VALIDATOR_TXNS                                                                             \
	" FROM validator_sources v CROSS JOIN transactions t ON +t.run_id = v.run_id"              \
	" AND t.client = v.source WHERE v.confidence <> 'low' AND v.run_id IN"                     \
	" (SELECT id FROM runs WHERE " DB_SCOPE_RUNS ") AND t.query_ts_ns >= ?2"                   \
	" AND t.query_ts_ns < ?3 "

/* Shapes of challenge-record queries (dcv_shape_name()). */
#define CHALLENGE_SHAPES "('acme_dns01', 'acme_account01', 'persist01', 'dnsauth')"

sqlite3_stmt *db_prepare_scoped(struct db *db, const char *op, const char *sql,
                                const struct rules_scope *scope)
{
	if (db == NULL || scope == NULL || db_flush(db) != 0)
		return NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_sql_fail(db, op, rc);
		return NULL;
	}
	int run = scope->run_id > 0;
	sqlite3_bind_int64(st, 1, run ? scope->run_id : 0);
	db_bind_u64(st, 2, run ? 0 : scope->from_ns);
	db_bind_u64(st, 3, run ? UINT64_MAX : scope->to_ns); /* clamped to INT64_MAX */
	return st;
}

static void copy_text(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src != NULL ? (const char *)src : "");
}

int db_rows_run(struct db *db, const char *op, sqlite3_stmt *st, int ntext, db_rule_row_fn fn,
                void *ctx)
{
	if (st == NULL)
		return -1;
	int n = 0, rc, ncol = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_rule_row r;
		memset(&r, 0, sizeof(r));
		for (int c = 0; c < ncol; c++) {
			if (c < ntext && c < 3)
				copy_text(r.t[c], sizeof(r.t[c]), sqlite3_column_text(st, c));
			else if (c >= ntext && c - ntext < 8)
				r.n[c - ntext] = sqlite3_column_int64(st, c);
		}
		n++;
		if (fn(ctx, &r) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return n;
}

int db_rule_sources(struct db *db, const struct rules_scope *scope,
                    int (*fn)(void *ctx, const struct db_rule_source *s), void *ctx)
{
	struct db_source_scan scan = {.source = fn, .source_ctx = ctx};
	return db_source_scan(db, scope, &scan) == 0 ? scan.nsources : -1;
}

int db_rule_seconds(struct db *db, const struct rules_scope *scope,
                    int (*fn)(void *ctx, const struct db_rule_second *s), void *ctx)
{
	const char *op = "rules: read busy seconds";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT s.source, s.second_ns, s.queries, s.responses, s.noerror, s.nxdomain,"
	    " s.refused, s.servfail, s.other_rcode, s.truncated FROM source_seconds s"
	    " WHERE " SCOPE("s.run_id", "s.second_ns") " ORDER BY s.source, s.second_ns",
	    scope);
	if (st == NULL)
		return -1;
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_rule_second s;
		memset(&s, 0, sizeof(s));
		copy_text(s.source, sizeof(s.source), sqlite3_column_text(st, 0));
		uint64_t *out[] = {&s.second_ns, &s.queries,     &s.responses,
		                   &s.noerror,   &s.nxdomain,    &s.refused,
		                   &s.servfail,  &s.other_rcode, &s.truncated};
		for (size_t c = 0; c < sizeof(out) / sizeof(out[0]); c++)
			*out[c] = (uint64_t)sqlite3_column_int64(st, (int)c + 1);
		n++;
		if (fn(ctx, &s) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_sql_fail(db, op, rc);
	return n;
}

int db_rule_validator_names(struct db *db, const struct rules_scope *scope, int rcode,
                            db_rule_row_fn fn, void *ctx)
{
	const char *op = "rules: read validator transactions by name";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT v.ca, t.qname, count(*), min(t.query_ts_ns), max(t.query_ts_ns),"
	    " count(DISTINCT t.client)" VALIDATOR_TXNS
	    " AND ((?4 < 0 AND t.kind = 'unanswered') OR (?4 >= 0 AND t.kind = 'answered'"
	    " AND t.rcode = ?4)) GROUP BY v.ca, t.qname ORDER BY v.ca, count(*) DESC, t.qname",
	    scope);
	if (st != NULL)
		sqlite3_bind_int(st, 4, rcode);
	return db_rows_run(db, op, st, 2, fn, ctx);
}

int db_rule_tc_retries(struct db *db, const struct rules_scope *scope, uint64_t window_ns,
                       db_rule_row_fn fn, void *ctx)
{
	const char *op = "rules: read truncated answers and their TCP retries";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "WITH tc AS (SELECT v.ca AS ca, t.client AS client, t.qname AS qname,"
	    " t.query_ts_ns AS ts, NOT EXISTS (SELECT 1 FROM transactions u WHERE"
	    " u.client = t.client AND u.transport = 'tcp' AND u.kind = 'answered'"
	    " AND u.qname = t.qname AND u.qtype = t.qtype AND u.query_ts_ns >= t.query_ts_ns"
	    " AND u.query_ts_ns <= t.query_ts_ns + ?4) AS unretried" VALIDATOR_TXNS
	    " AND t.kind = 'answered' AND t.tc = 1 AND t.transport = 'udp')"
	    " SELECT ca, max(CASE WHEN unretried THEN qname END), count(*), sum(unretried),"
	    " min(ts), max(ts), count(DISTINCT CASE WHEN unretried THEN client END)"
	    " FROM tc GROUP BY ca ORDER BY ca",
	    scope);
	if (st != NULL)
		db_bind_u64(st, 4, window_ns);
	return db_rows_run(db, op, st, 2, fn, ctx);
}

int db_rule_attempt_cas(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                        void *ctx)
{
	const char *op = "rules: read attempts per CA";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT a.ca, count(*), sum(a.status = 'at_risk'), sum(a.status = 'failed'),"
	    " min(CASE WHEN a.status <> 'corroborated' THEN a.first_ns END),"
	    " max(CASE WHEN a.status <> 'corroborated' THEN a.last_ns END)"
	    " FROM attempts a WHERE " SCOPE("a.run_id",
	                                    "a.first_ns") " GROUP BY a.ca ORDER BY a.ca",
	    scope);
	return db_rows_run(db, op, st, 1, fn, ctx);
}

int db_rule_attempt_failures(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                             void *ctx)
{
	const char *op = "rules: read failed perspectives";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT a.ca, p.region, p.outcome, count(*), count(DISTINCT p.source)"
	    " FROM attempts a JOIN attempt_perspectives p ON p.attempt_id = a.id"
	    " WHERE " SCOPE("a.run_id",
	                    "a.first_ns") " AND a.status <> 'corroborated'"
	                                  " AND p.outcome NOT IN ('answered', 'negative')"
	                                  " GROUP BY a.ca, p.region, p.outcome ORDER BY a.ca, "
	                                  "count(*) DESC, p.region",
	    scope);
	return db_rows_run(db, op, st, 3, fn, ctx);
}

int db_rule_attempt_names(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                          void *ctx)
{
	const char *op = "rules: read names of attempts at risk";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT a.ca, a.name, count(*) FROM attempts a WHERE " SCOPE(
	        "a.run_id", "a.first_ns") " AND a.status <> 'corroborated' GROUP BY a.ca, a.name"
	                                  " ORDER BY a.ca, count(*) DESC, a.name",
	    scope);
	return db_rows_run(db, op, st, 2, fn, ctx);
}

int db_rule_caa_bursts(struct db *db, const struct rules_scope *scope, unsigned min_labels,
                       db_rule_row_fn fn, void *ctx)
{
	const char *op = "rules: read failed CAA lookups in tree-climbing bursts";
	/* a: the climbing attempts; f: the failed CAA lookups of their runs,
	 * through index transactions_run_outcome (one branch per outcome: an OR
	 * made SQLite walk every transaction of the run, and each attempt's
	 * window of them); then the lookups in an attempt's window for its name
	 * or an ancestor, from a source that also got usable CAA answers there
	 * (+u.run_id: that source's own lookups, by index transactions_client) */
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "WITH a AS (SELECT id, run_id, name, first_ns, last_ns, caa_labels FROM attempts"
	    " WHERE " SCOPE(
	        "run_id",
	        "first_ns") " AND caa_labels >= ?4),"
	                    " f AS (SELECT id, run_id, client, qname, query_ts_ns, kind FROM "
	                    "transactions"
	                    " WHERE run_id IN (SELECT run_id FROM a) AND kind = 'unanswered' AND "
	                    "shape = 'caa'"
	                    " UNION ALL SELECT id, run_id, client, qname, query_ts_ns, kind FROM "
	                    "transactions"
	                    " WHERE run_id IN (SELECT run_id FROM a) AND kind = 'answered' AND "
	                    "rcode = 5"
	                    " AND shape = 'caa')"
	                    " SELECT a.name, count(DISTINCT t.id), count(DISTINCT a.id), "
	                    "max(a.caa_labels),"
	                    " min(t.query_ts_ns), max(t.query_ts_ns), count(DISTINCT t.client),"
	                    " count(DISTINCT CASE WHEN t.kind = 'unanswered' THEN t.id END)"
	                    " FROM a CROSS JOIN f t ON t.run_id = a.run_id"
	                    " AND t.query_ts_ns >= a.first_ns AND t.query_ts_ns <= a.last_ns"
	                    " AND (t.qname = a.name OR substr(a.name, -length(t.qname) - 1) = '.' "
	                    "|| t.qname)"
	                    " AND EXISTS (SELECT 1 FROM transactions u WHERE +u.run_id = a.run_id"
	                    " AND u.client = t.client AND u.shape = 'caa' AND u.kind = 'answered'"
	                    " AND u.rcode IN (0, 3) AND u.query_ts_ns >= a.first_ns AND "
	                    "u.query_ts_ns <= a.last_ns"
	                    " AND (u.qname = a.name OR substr(a.name, -length(u.qname) - 1) = '.' "
	                    "|| u.qname))"
	                    " GROUP BY a.name ORDER BY count(DISTINCT t.id) DESC, a.name",
	    scope);
	if (st != NULL)
		sqlite3_bind_int64(st, 4, min_labels);
	return db_rows_run(db, op, st, 1, fn, ctx);
}

int db_rule_large_answers(struct db *db, const struct rules_scope *scope, uint64_t max_size,
                          uint64_t window_ns, db_rule_row_fn fn, void *ctx)
{
	const char *op = "rules: read large UDP answers to validators";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT v.ca, max(t.qname), count(*), sum(t.fragmented), max(t.resp_size),"
	    " count(DISTINCT t.client), min(t.query_ts_ns), max(t.query_ts_ns),"
	    " sum(EXISTS (SELECT 1 FROM transactions u WHERE u.client = t.client"
	    " AND u.query_ts_ns > t.query_ts_ns AND u.query_ts_ns <= t.query_ts_ns + ?5"
	    " AND u.qname = t.qname AND u.qtype = t.qtype))" VALIDATOR_TXNS
	    " AND t.kind = 'answered' AND t.transport = 'udp'"
	    " AND (t.fragmented = 1 OR t.resp_size > ?4) GROUP BY v.ca ORDER BY v.ca",
	    scope);
	if (st != NULL) {
		db_bind_u64(st, 4, max_size);
		db_bind_u64(st, 5, window_ns);
	}
	return db_rows_run(db, op, st, 2, fn, ctx);
}

/* A CAA lookup answered with an rcode other than NOERROR, NXDOMAIN, SERVFAIL
 * and REFUSED (those have their own rules). */
#define CAA_ODD "(t.qtype = 257 AND t.kind = 'answered' AND t.rcode NOT IN (0, 2, 3, 5))"

int db_rule_caa_answers(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                        void *ctx)
{
	const char *op = "rules: read the validators' CAA lookups";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT v.ca, max(CASE WHEN t.qtype = 257 AND (t.kind = 'unanswered' OR " CAA_ODD
	    ") THEN t.qname END), max(CASE WHEN " CAA_ODD " THEN t.rcode END),"
	    " sum(t.qtype = 257), sum(t.qtype = 257 AND t.kind = 'unanswered'), sum(" CAA_ODD "),"
	    " sum(t.qtype <> 257), sum(t.qtype <> 257 AND t.kind = 'unanswered'),"
	    " count(DISTINCT t.client), min(t.query_ts_ns), max(t.query_ts_ns)" VALIDATOR_TXNS
	    " GROUP BY v.ca ORDER BY v.ca",
	    scope);
	return db_rows_run(db, op, st, 3, fn, ctx);
}

int db_rule_slow_answers(struct db *db, const struct rules_scope *scope, uint64_t slow_us,
                         db_rule_row_fn fn, void *ctx)
{
	const char *op = "rules: read slow answers to validators";
#define SLOW "(t.kind = 'answered' AND t.latency_us >= ?4)"
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT v.ca, max(CASE WHEN " SLOW " THEN t.qname END), sum(t.kind = 'answered'),"
	    " sum(" SLOW "), max(t.latency_us), count(DISTINCT CASE WHEN " SLOW
	    " THEN t.client END),"
	    " min(CASE WHEN " SLOW " THEN t.query_ts_ns END),"
	    " max(CASE WHEN " SLOW " THEN t.query_ts_ns END)" VALIDATOR_TXNS
	    " GROUP BY v.ca ORDER BY v.ca",
	    scope);
#undef SLOW
	if (st != NULL)
		db_bind_u64(st, 4, slow_us);
	return db_rows_run(db, op, st, 2, fn, ctx);
}

int db_rule_acme_nxdomain(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                          void *ctx)
{
	const char *op = "rules: read NXDOMAIN for challenge names";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT t.qname, group_concat(DISTINCT v.ca), count(*), count(DISTINCT "
	    "t.client),"
	    " min(t.query_ts_ns), max(t.query_ts_ns)" VALIDATOR_TXNS
	    " AND t.shape IN " CHALLENGE_SHAPES " AND t.kind = 'answered' AND t.rcode = 3"
	    " GROUP BY t.qname ORDER BY count(*) DESC, t.qname",
	    scope);
	return db_rows_run(db, op, st, 2, fn, ctx);
}

int db_rule_has_answer_ttl(struct db *db)
{
	if (db == NULL || db_flush(db) != 0)
		return -1;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql,
	                            "SELECT count(*) FROM pragma_table_info('transactions')"
	                            " WHERE name = 'answer_ttl'",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, "rules: look for answer_ttl", rc);
	rc = sqlite3_step(st);
	int has = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) > 0 : -1;
	sqlite3_finalize(st);
	return has < 0 ? db_sql_fail(db, "rules: look for answer_ttl", rc) : has;
}

int db_rule_acme_ttl(struct db *db, const struct rules_scope *scope, uint64_t ttl_max,
                     db_rule_row_fn fn, void *ctx)
{
	const char *op = "rules: read challenge TXT TTLs";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT t.qname, count(*), max(t.answer_ttl), min(t.query_ts_ns),"
	    " max(t.query_ts_ns) FROM transactions t WHERE " SCOPE(
	        "t.run_id", "t.query_ts_ns") " AND t.shape IN " CHALLENGE_SHAPES
	                                     " AND t.qtype = 16 AND t.kind = 'answered'"
	                                     " AND t.answer_ttl > ?4 GROUP BY t.qname ORDER BY "
	                                     "max(t.answer_ttl) DESC,"
	                                     " t.qname",
	    scope);
	if (st != NULL)
		db_bind_u64(st, 4, ttl_max);
	return db_rows_run(db, op, st, 1, fn, ctx);
}

int db_rule_dnssec_errors(struct db *db, const struct rules_scope *scope, const char *error,
                          db_rule_row_fn fn, void *ctx)
{
	const char *op = "rules: DNSSEC errors";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT d.name, max(d.detail), max(d.status), min(d.qtype), sum(d.responses),"
	    " min(d.first_ns), max(d.last_ns) FROM dnssec_names d WHERE " SCOPE(
	        "d.run_id", "d.last_ns") " AND d.error = ?4 AND d.status = 'BOGUS' GROUP BY d.name"
	                                 " ORDER BY d.name",
	    scope);
	if (st != NULL)
		sqlite3_bind_text(st, 4, error, -1, SQLITE_TRANSIENT);
	return db_rows_run(db, op, st, 3, fn, ctx);
}

int db_rule_dnssec_expiring(struct db *db, const struct rules_scope *scope, uint64_t within_ns,
                            db_rule_row_fn fn, void *ctx)
{
	const char *op = "rules: expiring DNSSEC signatures";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "WITH newest AS (SELECT max(coalesce(r.last_packet_ns, r.started_ns)) AS ns FROM runs r"
	    " WHERE " SCOPE(
	        "r.id",
	        "r.last_packet_ns") ")"
	                            " SELECT d.name, max(d.zone), max(d.detail), min(d.qtype), "
	                            "min(d.expires_ns),"
	                            " (SELECT ns FROM newest), min(d.first_ns), max(d.last_ns) "
	                            "FROM dnssec_names d WHERE " SCOPE(
	                                "d.run_id",
	                                "d.last_ns") " AND d.status = 'SECURE' AND d.expires_ns IS "
	                                             "NOT NULL"
	                                             " GROUP BY d.name HAVING min(d.expires_ns) < "
	                                             "(SELECT ns FROM newest) + ?4"
	                                             " ORDER BY min(d.expires_ns), d.name",
	    scope);
	if (st != NULL)
		db_bind_u64(st, 4, within_ns);
	return db_rows_run(db, op, st, 3, fn, ctx);
}

int db_rule_caa_denials(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                        void *ctx)
{
	const char *op = "rules: CAA denials";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT c.ca || ' ' || c.name, c.owner || ': ' || max(c.rrset), max(c.fix),"
	    " sum(c.queries), min(c.first_ns), max(c.last_ns), max(c.wild_allowed)"
	    " FROM caa_decisions c WHERE " SCOPE(
	        "c.run_id", "c.last_ns") " AND c.allowed = 0"
	                                 " GROUP BY c.ca, c.name ORDER BY c.ca, c.name",
	    scope);
	return db_rows_run(db, op, st, 3, fn, ctx);
}

int db_rule_edns_failures(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                          void *ctx)
{
	const char *op = "rules: EDNS failures";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT e.server, e.check_name, min(e.example), sum(e.failures), sum(e.edns_queries),"
	    " min(e.first_ns), max(e.last_ns) FROM edns_checks e WHERE " SCOPE(
	        "e.run_id", "e.last_ns") " AND e.check_name <> 'negative_without_soa'"
	                                 " GROUP BY e.server, e.check_name"
	                                 " ORDER BY e.server, e.check_name",
	    scope);
	return db_rows_run(db, op, st, 3, fn, ctx);
}

int db_rule_negative_no_soa(struct db *db, const struct rules_scope *scope, db_rule_row_fn fn,
                            void *ctx)
{
	const char *op = "rules: negative answers without SOA";
	sqlite3_stmt *st = db_prepare_scoped(
	    db, op,
	    "SELECT e.server, min(e.example), sum(e.failures), min(e.first_ns), max(e.last_ns)"
	    " FROM edns_checks e WHERE " SCOPE("e.run_id", "e.last_ns") " AND e.check_name ="
	                                                                " 'negative_without_soa'"
	                                                                " GROUP BY e.server"
	                                                                " ORDER BY e.server",
	    scope);
	return db_rows_run(db, op, st, 2, fn, ctx);
}

static int64_t single_int(struct db *db, const char *op, const char *sql)
{
	if (db == NULL || db_flush(db) != 0)
		return -1;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sql_fail(db, op, rc);
	rc = sqlite3_step(st);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? v : db_sql_fail(db, op, rc);
}

int64_t db_rule_latest_run(struct db *db)
{
	return single_int(db, "rules: latest run", "SELECT coalesce(max(id), 0) FROM runs");
}

int64_t db_rule_newest_packet(struct db *db)
{
	return single_int(
	    db, "rules: newest packet",
	    "SELECT coalesce(max(coalesce(last_packet_ns, started_ns)), 0) FROM runs");
}
