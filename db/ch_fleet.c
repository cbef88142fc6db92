/* ch_fleet.c - fleet-wide reads from ClickHouse (ch_fleet.h). */
#include "ch_fleet.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* The source_stats columns the fleet rules sum (FINAL reads the key and
 * version columns besides). */
#define STATS_COLUMNS                                                                              \
	"site, server, run_fp, source, bucket_start_ns, bucket_len_s, queries, responses,"         \
	" unanswered, refused, servfail, tcp_sessions, tcp_rejected, tcp_filtered, tcp_stalled"

/* Per (site, region) totals of the validators' statistics. The region is
 * the newest judgement of each (server, run, source); the join keeps the
 * statistics of validator sources only. Checked on clickhouse-server 18.16. */
static const char site_groups_sql[] =
    "SELECT site, region, arrayStringConcat(groupUniqArray(server), ','),"
    " uniqExact(server, source), sum(queries), sum(unanswered), sum(refused),"
    " sum(servfail), sum(tcp_rejected), sum(tcp_filtered), min(bucket_start_ns),"
    " max(bucket_start_ns + bucket_len_s * 1000000000)"
    " FROM (SELECT " STATS_COLUMNS " FROM source_stats FINAL WHERE bucket_start_ns >= %" PRIu64
    " AND bucket_start_ns < %" PRIu64 ")"
    " ANY INNER JOIN (SELECT server, run_fp, source, argMax(region, shipped_ns) AS region"
    " FROM validator_sources GROUP BY server, run_fp, source) USING (server, run_fp, source)"
    " WHERE region != 'unknown' AND region != ''"
    " GROUP BY site, region ORDER BY site, region FORMAT TabSeparated";

/* Copies the next tab-separated field of *p into out; advances *p. */
static void next_field(char **p, char *out, size_t len)
{
	size_t n = strcspn(*p, "\t\n");
	snprintf(out, len, "%.*s", (int)n, *p);
	*p += n;
	if (**p == '\t')
		(*p)++;
}

static uint64_t next_number(char **p)
{
	char buf[32];
	next_field(p, buf, sizeof(buf));
	return strtoull(buf, NULL, 10);
}

int db_ch_site_groups_read(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                           int (*fn)(void *ctx, const struct db_ch_site_group *g), void *ctx)
{
	int rc = db_ch_schema_migrate(ch);
	if (rc != DB_CH_OK)
		return rc;
	char sql[sizeof(site_groups_sql) + 64];
	snprintf(sql, sizeof(sql), site_groups_sql, from_ns, to_ns ? to_ns : UINT64_MAX);
	char *text = NULL;
	rc = db_ch_exec(ch, sql, true, &text);
	if (rc != DB_CH_OK)
		return rc;
	int count = 0;
	for (char *line = text; *line != '\0';) {
		char *end = strchr(line, '\n');
		if (end != NULL)
			*end = '\0';
		struct db_ch_site_group g;
		memset(&g, 0, sizeof(g));
		char *p = line;
		next_field(&p, g.site, sizeof(g.site));
		next_field(&p, g.region, sizeof(g.region));
		next_field(&p, g.servers, sizeof(g.servers));
		g.sources = next_number(&p);
		g.queries = next_number(&p);
		g.unanswered = next_number(&p);
		g.refused = next_number(&p);
		g.servfail = next_number(&p);
		g.tcp_rejected = next_number(&p);
		g.tcp_filtered = next_number(&p);
		g.first_ns = next_number(&p);
		g.last_ns = next_number(&p);
		count++;
		if (fn(ctx, &g) != 0)
			break;
		if (end == NULL)
			break;
		line = end + 1;
	}
	free(text);
	return count;
}

/* Per (site, server, CA, region) totals of the validators' statistics; CA
 * and region are the newest judgement of each (server, run, source), low
 * confidence left out as the per-host rules do. Checked on 18.16. */
static const char ca_groups_sql[] =
    "SELECT site, server, ca, region, uniqExact(source), sum(queries), sum(responses),"
    " sum(unanswered), sum(refused), sum(servfail), sum(tcp_sessions), sum(tcp_rejected),"
    " sum(tcp_filtered), sum(tcp_stalled), min(bucket_start_ns),"
    " max(bucket_start_ns + bucket_len_s * 1000000000)"
    " FROM (SELECT " STATS_COLUMNS " FROM source_stats FINAL WHERE bucket_start_ns >= %" PRIu64
    " AND bucket_start_ns < %" PRIu64 ")"
    " ANY INNER JOIN (SELECT server, run_fp, source, ca, region FROM (SELECT server, run_fp,"
    " source, argMax(ca, shipped_ns) AS ca, argMax(region, shipped_ns) AS region,"
    " argMax(confidence, shipped_ns) AS conf FROM validator_sources"
    " GROUP BY server, run_fp, source) WHERE conf != 'low' AND ca != '')"
    " USING (server, run_fp, source)"
    " GROUP BY site, server, ca, region ORDER BY site, server, ca, region";

struct ca_groups_ctx {
	int (*fn)(void *ctx, const struct db_ch_ca_group *g);
	void *ctx;
};

static int on_ca_group(void *ctx, json_t *row)
{
	struct ca_groups_ctx *c = ctx;
	struct db_ch_ca_group g;
	memset(&g, 0, sizeof(g));
	size_t i = 0;
	db_ch_row_text(row, i++, g.site, sizeof(g.site));
	db_ch_row_text(row, i++, g.server, sizeof(g.server));
	db_ch_row_text(row, i++, g.ca, sizeof(g.ca));
	db_ch_row_text(row, i++, g.region, sizeof(g.region));
	g.sources = db_ch_row_u64(row, i++);
	g.queries = db_ch_row_u64(row, i++);
	g.responses = db_ch_row_u64(row, i++);
	g.unanswered = db_ch_row_u64(row, i++);
	g.refused = db_ch_row_u64(row, i++);
	g.servfail = db_ch_row_u64(row, i++);
	g.tcp_sessions = db_ch_row_u64(row, i++);
	g.tcp_rejected = db_ch_row_u64(row, i++);
	g.tcp_filtered = db_ch_row_u64(row, i++);
	g.tcp_stalled = db_ch_row_u64(row, i++);
	g.first_ns = db_ch_row_u64(row, i++);
	g.last_ns = db_ch_row_u64(row, i++);
	return c->fn(c->ctx, &g);
}

int db_ch_ca_groups_read(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                         int (*fn)(void *ctx, const struct db_ch_ca_group *g), void *ctx)
{
	int rc = db_ch_schema_migrate(ch);
	if (rc != DB_CH_OK)
		return rc;
	char sql[sizeof(ca_groups_sql) + 64];
	snprintf(sql, sizeof(sql), ca_groups_sql, from_ns, to_ns ? to_ns : UINT64_MAX);
	struct ca_groups_ctx c = {fn, ctx};
	return db_ch_select(ch, sql, on_ca_group, &c);
}

/* Per (site, server, CA) attempts by status, as the per-host
 * MPIC_QUORUM_AT_RISK counts them. Checked on 18.16. */
static const char attempt_groups_sql[] =
    "SELECT site, server, ca, count(), countIf(status = 'at_risk'),"
    " countIf(status = 'failed'), minIf(first_ns, status != 'corroborated'),"
    " maxIf(last_ns, status != 'corroborated')"
    " FROM (SELECT site, server, ca, status, first_ns, last_ns FROM attempts FINAL"
    " WHERE first_ns >= %" PRIu64 " AND first_ns < %" PRIu64 ")"
    " GROUP BY site, server, ca ORDER BY site, server, ca";

struct attempt_groups_ctx {
	int (*fn)(void *ctx, const struct db_ch_attempt_group *g);
	void *ctx;
};

static int on_attempt_group(void *ctx, json_t *row)
{
	struct attempt_groups_ctx *c = ctx;
	struct db_ch_attempt_group g;
	memset(&g, 0, sizeof(g));
	db_ch_row_text(row, 0, g.site, sizeof(g.site));
	db_ch_row_text(row, 1, g.server, sizeof(g.server));
	db_ch_row_text(row, 2, g.ca, sizeof(g.ca));
	g.attempts = db_ch_row_u64(row, 3);
	g.at_risk = db_ch_row_u64(row, 4);
	g.failed = db_ch_row_u64(row, 5);
	g.first_ns = db_ch_row_u64(row, 6);
	g.last_ns = db_ch_row_u64(row, 7);
	return c->fn(c->ctx, &g);
}

int db_ch_attempt_groups_read(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                              int (*fn)(void *ctx, const struct db_ch_attempt_group *g), void *ctx)
{
	int rc = db_ch_schema_migrate(ch);
	if (rc != DB_CH_OK)
		return rc;
	char sql[sizeof(attempt_groups_sql) + 64];
	snprintf(sql, sizeof(sql), attempt_groups_sql, from_ns, to_ns ? to_ns : UINT64_MAX);
	struct attempt_groups_ctx c = {fn, ctx};
	return db_ch_select(ch, sql, on_attempt_group, &c);
}
