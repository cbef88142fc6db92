/*
 * ch_schema.c - the dcvscope schema inside ClickHouse and its migrations.
 * db/CLICKHOUSE.md documents the tables, their keys and partitions, and
 * how to run them on a sharded cluster; this file is the text they are
 * created from.
 *
 * SCHEMA VERSION
 *
 * Table schema_version holds one row per applied step (version, what,
 * applied_ns); the database is at max(version). A server whose version is
 * higher than this build knows is refused.
 *
 * MIGRATIONS
 *
 * ch_migrations[i] takes the database from version i to version i + 1:
 * its statements run one by one (the HTTP interface takes one statement
 * per request), then the step's row goes into schema_version. ClickHouse
 * has no transactions, and several hosts of a fleet may migrate the same
 * server at the same time, so every statement must be idempotent (CREATE
 * TABLE IF NOT EXISTS; 18.16 has no ADD COLUMN IF NOT EXISTS, so a step
 * that adds a column tolerates "already exists": added_already()). A step
 * that failed half-way is simply run again. A step is never edited after
 * release: a schema change is a new step appended at the end.
 *
 * Conventions, as in the SQLite file (schema.c): *_ns are nanoseconds
 * since the Unix epoch (UTC), counters UInt64, flags UInt8. Every table
 * carries the identity of the host that shipped the row (server, site),
 * the run's fingerprint (run_fp: the same capture analyzed again on the
 * same host has the same fingerprint, so it replaces instead of adding)
 * and shipped_ns, the version ReplacingMergeTree keeps the newest of.
 * `day` is MATERIALIZED from a time in the sorting key, in UTC, so that
 * the rows a key collapses always share a partition. Tables without a time
 * of their own (runs, validator_sources, findings) use run_start_ns, a time
 * that stays the same for every state of the run and for every analysis of
 * the same capture: the first packet of a capture-file run, the start of a
 * live run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clickhouse.h"
#include "db_internal.h"

/* The columns every shipped row starts with. */
#define CH_IDENTITY "server String, site String, run_fp String, run_id UInt64, "

/* The engine clause of every data table: newest shipped_ns wins. */
#define CH_ENGINE " ENGINE = ReplacingMergeTree(shipped_ns) PARTITION BY day "

/* day of a nanosecond column, in UTC. */
#define CH_DAY(col) "day Date MATERIALIZED toDate(toDateTime(intDiv(" col ", 1000000000)), 'UTC')"

/* At most this many statements per step. */
#define CH_STEP_STATEMENTS_MAX 16

struct ch_migration {
	const char *what; /* one line, for error messages and schema_version */
	const char *statements[CH_STEP_STATEMENTS_MAX]; /* NULL-terminated */
};

static const struct ch_migration ch_migrations[] = {
    /* version 1: the tables of `dcvscope ship` */
    {"create the initial schema",
     {
         "CREATE TABLE IF NOT EXISTS runs (" CH_IDENTITY
         "run_start_ns UInt64, kind String, inputs String, started_ns UInt64, finished_ns UInt64,"
         " first_packet_ns UInt64, last_packet_ns UInt64, bucket_len_s UInt32,"
         " timeout_ms UInt32, complete UInt8, frames UInt64, bytes UInt64,"
         " dns_frames UInt64, not_ip UInt64, other_proto UInt64, other_port UInt64,"
         " fragments_held UInt64, malformed_frames UInt64, unsupported_link UInt64,"
         " snap_truncated UInt64, fragments UInt64, reassembled UInt64,"
         " tcp_streams UInt64, dns_messages UInt64, queries UInt64, responses UInt64,"
         " dns_malformed UInt64, dns_trailing UInt64, kernel_dropped UInt64,"
         " evictions UInt64, shipped_ns UInt64, " CH_DAY(
             "run_start_ns") ")" CH_ENGINE "ORDER BY (server, run_fp, run_start_ns)",

         "CREATE TABLE IF NOT EXISTS capture_intervals (" CH_IDENTITY
         "start_ns UInt64, end_ns UInt64, capture String, frames UInt64,"
         " kernel_matched UInt64, kernel_dropped UInt64, if_dropped UInt64,"
         " ringbuf_dropped UInt64, truncated UInt64, evictions UInt64,"
         " shipped_ns UInt64, " CH_DAY("start_ns") ")" CH_ENGINE
                                                   "ORDER BY (server, run_fp, start_ns)",

         "CREATE TABLE IF NOT EXISTS source_stats (" CH_IDENTITY
         "source String, family UInt8, bucket_start_ns UInt64, bucket_len_s UInt32,"
         " queries UInt64, queries_udp UInt64, queries_tcp UInt64, queries_edns UInt64,"
         " queries_do UInt64, retransmits UInt64, responses UInt64, noerror UInt64,"
         " formerr UInt64, servfail UInt64, nxdomain UInt64, notimp UInt64,"
         " refused UInt64, other_rcode UInt64, truncated UInt64, unanswered UInt64,"
         " peak_qps UInt64, max_concurrent_tcp UInt64, tcp_sessions UInt64,"
         " tcp_rejected UInt64, tcp_filtered UInt64, tcp_server_closed UInt64,"
         " latency_count UInt64, latency_sum_us UInt64, latency_max_us UInt64,"
         " shipped_ns UInt64, " CH_DAY(
             "bucket_start_ns") ")" CH_ENGINE "ORDER BY (server, run_fp, bucket_start_ns, source)",

         "CREATE TABLE IF NOT EXISTS transactions (" CH_IDENTITY
         "kind String, query_ts_ns UInt64, latency_us Nullable(UInt64), family UInt8,"
         " client String, client_port UInt16, server_addr String, server_port UInt16,"
         " transport String, msg_id UInt16, qname String, qtype UInt16,"
         " rcode Nullable(Int32), tc UInt8, query_edns UInt8, query_do UInt8,"
         " shape String, answer_ttl Nullable(UInt32), shipped_ns UInt64, " CH_DAY(
             "query_ts_ns") ")" CH_ENGINE "ORDER BY (server, run_fp, query_ts_ns, client, "
                            "client_port, msg_id, qtype, qname,"
                            " transport)",

         "CREATE TABLE IF NOT EXISTS validator_sources (" CH_IDENTITY
         "run_start_ns UInt64, source String, family UInt8, ca String, region String,"
         " confidence String, evidence String, first_ns UInt64, last_ns UInt64,"
         " queries UInt64, validation_queries UInt64, failures UInt64, attempts UInt64,"
         " shipped_ns UInt64, " CH_DAY(
             "run_start_ns") ")" CH_ENGINE "ORDER BY (server, run_fp, run_start_ns, source)",

         "CREATE TABLE IF NOT EXISTS attempts (" CH_IDENTITY
         "attempt_id UInt64, first_ns UInt64, last_ns UInt64, name String, ca String,"
         " method String, caa_climb UInt8, caa_labels UInt32, perspectives UInt32,"
         " usable UInt32, failed UInt32, status String, shipped_ns UInt64, " CH_DAY(
             "first_ns") ")" CH_ENGINE "ORDER BY (server, run_fp, first_ns, ca, name, method)",

         "CREATE TABLE IF NOT EXISTS attempt_perspectives (" CH_IDENTITY
         "attempt_first_ns UInt64, attempt_ca String, attempt_name String,"
         " attempt_method String, source String, region String, confidence String,"
         " outcome String, queries UInt32, failures UInt32, shipped_ns UInt64, " CH_DAY(
             "attempt_first_ns") ")" CH_ENGINE "ORDER BY (server, run_fp, attempt_first_ns, "
                                 "attempt_ca, attempt_name,"
                                 " attempt_method, source)",

         "CREATE TABLE IF NOT EXISTS findings (" CH_IDENTITY
         "run_start_ns UInt64, rule String, severity String, subject_kind String,"
         " subject String, first_seen_ns UInt64, last_seen_ns UInt64, evidence String,"
         " recommendation String, metrics String, created_ns UInt64,"
         " shipped_ns UInt64, " CH_DAY(
             "run_start_ns") ")" CH_ENGINE
                             "ORDER BY (server, run_fp, run_start_ns, rule, subject_kind, subject)",
         NULL,
     }},
    /* version 2: source_stats gains the stalled sessions (SQLite version 7) */
    {"add the stalled-session counters to source_stats",
     {
         "ALTER TABLE source_stats ADD COLUMN tcp_stalled UInt64 DEFAULT 0",
         "ALTER TABLE source_stats ADD COLUMN max_served_tcp UInt64 DEFAULT 0",
         NULL,
     }},
};

#define CH_SCHEMA_VERSION ((int)(sizeof(ch_migrations) / sizeof(ch_migrations[0])))

int db_ch_schema_version(void)
{
	return CH_SCHEMA_VERSION;
}

static unsigned long long wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Whether statement sql failed only because what it adds is there already:
 * a column added by another host migrating at the same time, or by a step
 * that failed half-way (18.16 has no ADD COLUMN IF NOT EXISTS; it answers
 * "Code: 44 ... column with this name already exists", later versions
 * "Code: 15 ... already exists"). */
static bool added_already(struct db_ch *ch, const char *sql, int rc)
{
	return rc == DB_CH_REJECTED && strstr(sql, " ADD COLUMN ") != NULL &&
	       strstr(db_ch_errmsg(ch), "already exists") != NULL;
}

/* Reads max(version) from schema_version into *out. */
static int read_version(struct db_ch *ch, long *out)
{
	char *text = NULL;
	int rc = db_ch_exec(ch, "SELECT max(version) FROM schema_version FORMAT TabSeparated", true,
	                    &text);
	if (rc != DB_CH_OK)
		return rc;
	char *end = NULL;
	long v = strtol(text, &end, 10);
	bool ok = end != text && (*end == '\n' || *end == '\0') && v >= 0;
	free(text);
	if (!ok)
		return db_ch_fail(ch, DB_CH_REJECTED, "schema_version holds no readable version");
	*out = v;
	return DB_CH_OK;
}

int db_ch_schema_apply(struct db_ch *ch)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS %s", db_ch_database(ch));
	int rc = db_ch_exec(ch, sql, false, NULL);
	if (rc == DB_CH_OK)
		rc = db_ch_exec(ch,
		                "CREATE TABLE IF NOT EXISTS schema_version (version UInt32,"
		                " what String, applied_ns UInt64)"
		                " ENGINE = ReplacingMergeTree ORDER BY version",
		                true, NULL);
	long version = 0;
	if (rc == DB_CH_OK)
		rc = read_version(ch, &version);
	if (rc != DB_CH_OK)
		return rc;
	if (version > CH_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql),
		         "schema version %ld is newer than this build of dcvscope knows (%d); use "
		         "a newer dcvscope",
		         version, CH_SCHEMA_VERSION);
		return db_ch_fail(ch, DB_CH_REJECTED, sql);
	}
	for (int v = (int)version; v < CH_SCHEMA_VERSION; v++) {
		const struct ch_migration *m = &ch_migrations[v];
		for (int i = 0; i < CH_STEP_STATEMENTS_MAX && m->statements[i] != NULL; i++) {
			rc = db_ch_exec(ch, m->statements[i], true, NULL);
			if (rc != DB_CH_OK && !added_already(ch, m->statements[i], rc))
				return rc;
		}
		/* what is constant text without quotes: no escaping needed */
		snprintf(sql, sizeof(sql),
		         "INSERT INTO schema_version (version, what, applied_ns) VALUES (%d, '%s', "
		         "%llu)",
		         v + 1, m->what, wall_ns());
		rc = db_ch_exec(ch, sql, true, NULL);
		if (rc != DB_CH_OK)
			return rc;
	}
	return DB_CH_OK;
}
