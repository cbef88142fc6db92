/*
 * fleet_rules.h - the fleet rules: checks over what every host of a fleet
 * shipped to ClickHouse (`dcvscope ship`), with the sums computed inside
 * ClickHouse (db/ch_fleet.h), never over the shipped rows themselves.
 *
 *   SITE_ASYMMETRY          one site fails a region's validators that the
 *                           other sites serve (rule_site_asymmetry.h);
 *                           subject "site/region"
 *   VALIDATOR_DROPS         the per-host rules of the same names, judged per
 *   REFUSED_TO_VALIDATORS   server over the whole period with the same
 *   SERVFAIL_TO_VALIDATORS  thresholds (rule_judge.h); subject
 *   TCP53_REJECTED          "site/server/ca" (kind "site/server/ca")
 *   MPIC_QUORUM_AT_RISK
 */
#ifndef DCV_FLEET_RULES_H
#define DCV_FLEET_RULES_H

#include <stdint.h>

#include "clickhouse.h"
#include "finding.h"
#include "rules_config.h"

/* fleet_rules_run() failed because fn did, or memory ran out. */
#define FLEET_RULES_ABORTED (-3)

/*
 * fleet_rules_run() runs every fleet rule over [from_ns, to_ns) (to_ns 0:
 * no end) with the thresholds of cfg (NULL = defaults) and calls fn for
 * each finding (SITE_ASYMMETRY first, then per site, server and CA).
 * Returns the number of findings, a db_ch_result (< 0; db_ch_errmsg()), or
 * FLEET_RULES_ABORTED.
 */
int fleet_rules_run(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                    const struct rules_config *cfg, finding_fn fn, void *ctx);

/* fleet_rules_count() returns how many fleet rules there are; fleet_rules_id()
 * the id of the i-th (NULL past the end). */
unsigned fleet_rules_count(void);
const char *fleet_rules_id(unsigned i);

#endif
