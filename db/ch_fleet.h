/*
 * ch_fleet.h - fleet-wide reads from ClickHouse for the fleet rules: the
 * aggregation runs inside ClickHouse, only the per-group totals come back.
 */
#ifndef DCV_CH_FLEET_H
#define DCV_CH_FLEET_H

#include <stdint.h>

#include "clickhouse.h"

#define DB_CH_NAME_MAX    64
#define DB_CH_SERVERS_MAX 256

/* The validators of one region as one site saw them: source_stats of the
 * sources in validator_sources (region from the newest judgement), summed. */
struct db_ch_site_group {
	char site[DB_CH_NAME_MAX];
	char region[DB_CH_NAME_MAX];
	char servers[DB_CH_SERVERS_MAX]; /* the site's servers, comma-separated (cut) */
	uint64_t sources, queries, unanswered, refused, servfail, tcp_rejected, tcp_filtered;
	uint64_t first_ns, last_ns; /* first bucket start, last bucket end */
};

/*
 * db_ch_site_groups_read() calls fn for every (site, region) of the
 * validators with a known region whose buckets start in [from_ns, to_ns)
 * (to_ns 0: no end), reading each row once (FINAL). fn returns 0 to go on.
 * Returns how many groups, or a db_ch_result (< 0; db_ch_errmsg()).
 */
int db_ch_site_groups_read(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                           int (*fn)(void *ctx, const struct db_ch_site_group *g), void *ctx);

/* The validators of one CA and region as one server saw them: source_stats
 * of the sources in validator_sources of medium confidence or above (CA
 * and region from the newest judgement), summed, as the per-host rules
 * group them (rule_groups_read()). */
struct db_ch_ca_group {
	char site[DB_CH_NAME_MAX], server[DB_CH_NAME_MAX];
	char ca[DB_CH_NAME_MAX], region[DB_CH_NAME_MAX];
	uint64_t sources, queries, responses, unanswered, refused, servfail;
	uint64_t tcp_sessions, tcp_rejected, tcp_filtered, tcp_stalled;
	uint64_t first_ns, last_ns; /* first bucket start, last bucket end */
};

/*
 * db_ch_ca_groups_read() calls fn for every (site, server, CA, region) of
 * the validators whose buckets start in [from_ns, to_ns) (to_ns 0: no
 * end), ordered by site, server, CA, region, reading each row once
 * (FINAL). fn returns 0 to go on. Returns how many groups, or a
 * db_ch_result (< 0; db_ch_errmsg()).
 */
int db_ch_ca_groups_read(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                         int (*fn)(void *ctx, const struct db_ch_ca_group *g), void *ctx);

/* The MPIC attempts of one CA at one server (attempts, by status). */
struct db_ch_attempt_group {
	char site[DB_CH_NAME_MAX], server[DB_CH_NAME_MAX], ca[DB_CH_NAME_MAX];
	uint64_t attempts, at_risk, failed;
	uint64_t first_ns, last_ns; /* of the attempts not corroborated in full (0: none) */
};

/*
 * db_ch_attempt_groups_read() calls fn for every (site, server, CA) with
 * attempts that started in [from_ns, to_ns) (to_ns 0: no end), ordered by
 * site, server, CA, reading each row once (FINAL). fn returns 0 to go on.
 * Returns how many groups, or a db_ch_result (< 0; db_ch_errmsg()).
 */
int db_ch_attempt_groups_read(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                              int (*fn)(void *ctx, const struct db_ch_attempt_group *g), void *ctx);

#endif
