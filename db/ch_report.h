/*
 * ch_report.h - the fleet report's numbers, read from ClickHouse: every sum
 * is a GROUP BY inside ClickHouse (per server, per site, for the fleet), so
 * only one row per group comes back, never the shipped rows themselves.
 * Every table is read with FINAL: a row shipped twice counts once.
 */
#ifndef DCV_CH_REPORT_H
#define DCV_CH_REPORT_H

#include <stdint.h>

#include "ch_fleet.h"
#include "clickhouse.h"

/* Findings of one server listed in the fleet report, most severe first;
 * the others are counted only. */
#define DB_CH_HOST_FINDINGS_MAX 20

/* What a row sums: one server, one site (server ""), or the whole fleet
 * (site and server ""). */
enum db_ch_level { DB_CH_BY_SERVER, DB_CH_BY_SITE, DB_CH_FLEET };

/* The numbers of one group over the period. */
struct db_ch_report_row {
	char site[DB_CH_NAME_MAX];   /* "" for the fleet */
	char server[DB_CH_NAME_MAX]; /* "" for a site or the fleet */
	uint64_t servers;            /* servers with statistics in the period */
	/* all traffic (source_stats); sources are distinct addresses */
	uint64_t sources, queries, responses, noerror, nxdomain, refused, servfail, unanswered;
	uint64_t first_ns, last_ns; /* first bucket start, last bucket end (0: no traffic) */
	/* the validators' traffic (source_stats of validator_sources of medium
	 * confidence or above, as the per-host summaries count them) */
	uint64_t v_sources, v_queries, v_unanswered, v_refused, v_servfail, v_tcp_failed;
	/* MPIC attempts that started in the period, by status */
	uint64_t attempts, corroborated, at_risk, failed;
	/* findings the hosts shipped (active ones: of each run's newest pass) */
	uint64_t critical, warning, info;
};

/* db_ch_report_v_failures() returns the validator lookups that failed:
 * unanswered, REFUSED, SERVFAIL, and TCP connections reset or unanswered. */
uint64_t db_ch_report_v_failures(const struct db_ch_report_row *r);

/* One finding a host shipped, folded over the runs that raised it. */
struct db_ch_host_finding {
	char site[DB_CH_NAME_MAX], server[DB_CH_NAME_MAX];
	char rule[32], severity[16], subject_kind[16];
	char subject[256];
	uint64_t runs; /* runs that raised it */
	uint64_t first_seen_ns, last_seen_ns;
	char evidence[1024]; /* of the newest pass */
};

/*
 * db_ch_report_rows() calls fn for every group with traffic, attempts or
 * findings whose times fall in [from_ns, to_ns) (to_ns 0: no end): one row
 * per (site, server), per site and for the fleet, with its level, ordered
 * by site then server (the fleet first, each site before its servers). fn
 * returns 0 to go on. Returns how many groups, or a db_ch_result (< 0;
 * db_ch_errmsg()).
 */
int db_ch_report_rows(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                      int (*fn)(void *ctx, enum db_ch_level level,
                                const struct db_ch_report_row *r),
                      void *ctx);

/*
 * db_ch_report_host_findings() calls fn for the active findings the hosts
 * shipped whose time span meets [from_ns, to_ns): per (site, server), most
 * severe first, at most DB_CH_HOST_FINDINGS_MAX. Returns how many, or a
 * db_ch_result (< 0).
 */
int db_ch_report_host_findings(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                               int (*fn)(void *ctx, const struct db_ch_host_finding *f), void *ctx);

/*
 * db_ch_report_newest() sets *out to the end of the newest bucket shipped
 * (0 when ClickHouse holds none). Returns DB_CH_OK or a failure.
 */
int db_ch_report_newest(struct db_ch *ch, uint64_t *out);

#endif
