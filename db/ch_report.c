/*
 * ch_report.c - the fleet report's numbers from ClickHouse (ch_report.h).
 *
 * Three GROUP BY site, server WITH ROLLUP queries: the traffic of
 * source_stats with the validators' share of it (a LEFT JOIN on the newest
 * validator_sources judgement marks their rows), the attempts by status,
 * and the active findings counted by severity. ROLLUP adds the per-site
 * rows (server '') and the fleet's (site and server ''); shipped rows never
 * have an empty server or site (db_ship() refuses them). Their rows are
 * merged here by (site, server): one row per group and query comes back,
 * never the shipped rows. Checked on clickhouse-server 18.16.
 */
#include "ch_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* The newest judgement of each (server, run, source) of validator_sources,
 * v = 1 for the sources of medium confidence or above. */
#define VALIDATORS_JUDGED                                                                          \
	"(SELECT server, run_fp, source, toUInt8(1) AS v FROM (SELECT server, run_fp, source,"     \
	" argMax(confidence, shipped_ns) AS conf FROM validator_sources"                           \
	" GROUP BY server, run_fp, source) WHERE conf != 'low')"

/* The active findings (each run's newest pass, see db/CLICKHOUSE.md) whose
 * span meets the period, one row per (site, server, rule, subject); %s: the
 * time condition. */
#define ACTIVE_FINDINGS                                                                            \
	"(SELECT site, server, rule, subject_kind, subject,"                                       \
	" argMax(severity, created_ns) AS sev, uniqExact(run_fp) AS runs,"                         \
	" min(first_seen_ns) AS first_seen, max(last_seen_ns) AS last_seen,"                       \
	" argMax(evidence, created_ns) AS ev"                                                      \
	" FROM (SELECT * FROM findings FINAL WHERE %s)"                                            \
	" ANY INNER JOIN (SELECT server, run_fp, max(created_ns) AS newest"                        \
	" FROM findings FINAL GROUP BY server, run_fp) USING (server, run_fp)"                     \
	" WHERE created_ns = newest GROUP BY site, server, rule, subject_kind, subject)"

enum { Q_TRAFFIC, Q_ATTEMPTS, Q_FINDINGS, Q_COUNT };

/* Each query takes the period's condition (%s) and groups by site, server
 * WITH ROLLUP. The source_stats subquery reads only the columns it sums
 * (FINAL reads the key and version columns besides). */
static const char *const report_sql[Q_COUNT] = {
    [Q_TRAFFIC] = "SELECT site, server, uniqExact(server), uniqExact(source), sum(queries),"
                  " sum(responses), sum(noerror), sum(nxdomain), sum(refused), sum(servfail),"
                  " sum(unanswered), min(bucket_start_ns),"
                  " max(bucket_start_ns + bucket_len_s * 1000000000),"
                  " uniqExactIf(source, v = 1), sumIf(queries, v = 1),"
                  " sumIf(unanswered, v = 1), sumIf(refused, v = 1), sumIf(servfail, v = 1),"
                  " sumIf(tcp_rejected + tcp_filtered, v = 1)"
                  " FROM (SELECT site, server, run_fp, source, bucket_start_ns, bucket_len_s,"
                  " queries, responses, noerror, nxdomain, refused, servfail, unanswered,"
                  " tcp_rejected, tcp_filtered FROM source_stats FINAL WHERE %s)"
                  " ANY LEFT JOIN " VALIDATORS_JUDGED " USING (server, run_fp, source)"
                  " GROUP BY site, server WITH ROLLUP",
    [Q_ATTEMPTS] = "SELECT site, server, count(), countIf(status = 'corroborated'),"
                   " countIf(status = 'at_risk'), countIf(status = 'failed')"
                   " FROM (SELECT site, server, status FROM attempts FINAL WHERE %s)"
                   " GROUP BY site, server WITH ROLLUP",
    [Q_FINDINGS] = "SELECT site, server, countIf(sev = 'critical'), countIf(sev = 'warning'),"
                   " countIf(sev != 'critical' AND sev != 'warning')"
                   " FROM " ACTIVE_FINDINGS " GROUP BY site, server WITH ROLLUP",
};

uint64_t db_ch_report_v_failures(const struct db_ch_report_row *r)
{
	return r->v_unanswered + r->v_refused + r->v_servfail + r->v_tcp_failed;
}

/* The rows being merged. */
struct rows_acc {
	struct db_ch_report_row *r;
	size_t n, cap;
	int query;
	int oom;
};

/* The row of (site, server), a new one when there is none (NULL: out of
 * memory). */
static struct db_ch_report_row *row_of(struct rows_acc *a, const char *site, const char *server)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->r[i].site, site) == 0 && strcmp(a->r[i].server, server) == 0)
			return &a->r[i];
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct db_ch_report_row *p = realloc(a->r, cap * sizeof(*p));
		if (p == NULL)
			return NULL;
		a->r = p;
		a->cap = cap;
	}
	struct db_ch_report_row *r = &a->r[a->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->site, sizeof(r->site), "%s", site);
	snprintf(r->server, sizeof(r->server), "%s", server);
	return r;
}

static int on_row(void *ctx, json_t *row)
{
	struct rows_acc *a = ctx;
	char site[DB_CH_NAME_MAX], server[DB_CH_NAME_MAX];
	db_ch_row_text(row, 0, site, sizeof(site));
	db_ch_row_text(row, 1, server, sizeof(server));
	struct db_ch_report_row *r = row_of(a, site, server);
	if (r == NULL) {
		a->oom = 1;
		return -1;
	}
	size_t c = 2;
	switch (a->query) {
	case Q_TRAFFIC:
		r->servers = db_ch_row_u64(row, c++);
		r->sources = db_ch_row_u64(row, c++);
		r->queries = db_ch_row_u64(row, c++);
		r->responses = db_ch_row_u64(row, c++);
		r->noerror = db_ch_row_u64(row, c++);
		r->nxdomain = db_ch_row_u64(row, c++);
		r->refused = db_ch_row_u64(row, c++);
		r->servfail = db_ch_row_u64(row, c++);
		r->unanswered = db_ch_row_u64(row, c++);
		r->first_ns = db_ch_row_u64(row, c++);
		r->last_ns = db_ch_row_u64(row, c++);
		r->v_sources = db_ch_row_u64(row, c++);
		r->v_queries = db_ch_row_u64(row, c++);
		r->v_unanswered = db_ch_row_u64(row, c++);
		r->v_refused = db_ch_row_u64(row, c++);
		r->v_servfail = db_ch_row_u64(row, c++);
		r->v_tcp_failed = db_ch_row_u64(row, c++);
		break;
	case Q_ATTEMPTS:
		r->attempts = db_ch_row_u64(row, c++);
		r->corroborated = db_ch_row_u64(row, c++);
		r->at_risk = db_ch_row_u64(row, c++);
		r->failed = db_ch_row_u64(row, c++);
		break;
	default:
		r->critical = db_ch_row_u64(row, c++);
		r->warning = db_ch_row_u64(row, c++);
		r->info = db_ch_row_u64(row, c++);
		break;
	}
	return 0;
}

static int row_cmp(const void *x, const void *y)
{
	const struct db_ch_report_row *a = x, *b = y;
	int d = strcmp(a->site, b->site);
	return d ? d : strcmp(a->server, b->server);
}

/* The condition "col in [from, to)". */
static void period_cond(char *buf, size_t len, const char *col, uint64_t from_ns, uint64_t to_ns)
{
	snprintf(buf, len, "%s >= %" PRIu64 " AND %s < %" PRIu64, col, from_ns, col,
	         to_ns ? to_ns : UINT64_MAX);
}

/* The condition of findings whose span meets [from, to). */
static void findings_cond(char *buf, size_t len, uint64_t from_ns, uint64_t to_ns)
{
	snprintf(buf, len, "last_seen_ns >= %" PRIu64 " AND first_seen_ns < %" PRIu64, from_ns,
	         to_ns ? to_ns : UINT64_MAX);
}

/* The level of a merged row. */
static enum db_ch_level level_of(const struct db_ch_report_row *r)
{
	if (r->server[0] != '\0')
		return DB_CH_BY_SERVER;
	return r->site[0] != '\0' ? DB_CH_BY_SITE : DB_CH_FLEET;
}

int db_ch_report_rows(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                      int (*fn)(void *ctx, enum db_ch_level level,
                                const struct db_ch_report_row *r),
                      void *ctx)
{
	int rc = db_ch_schema_migrate(ch);
	if (rc != DB_CH_OK)
		return rc;
	struct rows_acc a = {0};
	for (int q = 0; q < Q_COUNT; q++) {
		char cond[160], sql[2048];
		if (q == Q_FINDINGS)
			findings_cond(cond, sizeof(cond), from_ns, to_ns);
		else
			period_cond(cond, sizeof(cond),
			            q == Q_ATTEMPTS ? "first_ns" : "bucket_start_ns", from_ns,
			            to_ns);
		snprintf(sql, sizeof(sql), report_sql[q], cond);
		a.query = q;
		rc = db_ch_select(ch, sql, on_row, &a);
		if (a.oom)
			rc = db_ch_fail(ch, DB_CH_REJECTED, "out of memory");
		if (rc < 0) {
			free(a.r);
			return rc;
		}
	}
	if (a.n > 1)
		qsort(a.r, a.n, sizeof(*a.r), row_cmp);
	size_t i = 0;
	while (i < a.n && fn(ctx, level_of(&a.r[i]), &a.r[i]) == 0)
		i++;
	int count = (int)a.n;
	free(a.r);
	return count;
}

/* Hands one listed finding to the caller. */
struct host_findings_ctx {
	int (*fn)(void *ctx, const struct db_ch_host_finding *f);
	void *ctx;
};

static int on_finding(void *ctx, json_t *row)
{
	struct host_findings_ctx *h = ctx;
	struct db_ch_host_finding f;
	memset(&f, 0, sizeof(f));
	db_ch_row_text(row, 0, f.site, sizeof(f.site));
	db_ch_row_text(row, 1, f.server, sizeof(f.server));
	db_ch_row_text(row, 2, f.rule, sizeof(f.rule));
	db_ch_row_text(row, 3, f.severity, sizeof(f.severity));
	db_ch_row_text(row, 4, f.subject_kind, sizeof(f.subject_kind));
	db_ch_row_text(row, 5, f.subject, sizeof(f.subject));
	f.runs = db_ch_row_u64(row, 6);
	f.first_seen_ns = db_ch_row_u64(row, 7);
	f.last_seen_ns = db_ch_row_u64(row, 8);
	db_ch_row_text(row, 9, f.evidence, sizeof(f.evidence));
	return h->fn(h->ctx, &f);
}

int db_ch_report_host_findings(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                               int (*fn)(void *ctx, const struct db_ch_host_finding *f), void *ctx)
{
	int rc = db_ch_schema_migrate(ch);
	if (rc != DB_CH_OK)
		return rc;
	char cond[160], sql[2048];
	findings_cond(cond, sizeof(cond), from_ns, to_ns);
	snprintf(sql, sizeof(sql),
	         "SELECT site, server, rule, sev, subject_kind, subject, runs, first_seen,"
	         " last_seen, ev FROM " ACTIVE_FINDINGS
	         " ORDER BY site, server, multiIf(sev = 'critical', 0, sev = 'warning', 1, 2),"
	         " rule, subject LIMIT %d BY site, server",
	         cond, DB_CH_HOST_FINDINGS_MAX);
	struct host_findings_ctx h = {fn, ctx};
	return db_ch_select(ch, sql, on_finding, &h);
}

static int on_newest(void *ctx, json_t *row)
{
	*(uint64_t *)ctx = db_ch_row_u64(row, 0);
	return 0;
}

int db_ch_report_newest(struct db_ch *ch, uint64_t *out)
{
	int rc = db_ch_schema_migrate(ch);
	if (rc != DB_CH_OK)
		return rc;
	*out = 0;
	rc = db_ch_select(
	    ch, "SELECT max(bucket_start_ns + bucket_len_s * 1000000000) FROM source_stats",
	    on_newest, out);
	return rc < 0 ? rc : DB_CH_OK;
}
