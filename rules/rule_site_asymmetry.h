/*
 * rule_site_asymmetry.h - SITE_ASYMMETRY, the first fleet rule: it judges
 * per-(site, region) totals that ClickHouse aggregated (db/ch_fleet.h),
 * not a single host's SQLite file.
 */
#ifndef DCV_RULE_SITE_ASYMMETRY_H
#define DCV_RULE_SITE_ASYMMETRY_H

#include <stddef.h>

#include "ch_fleet.h"
#include "finding.h"
#include "rules_config.h"

/*
 * rule_site_asymmetry() calls fn for every site whose validators of one
 * region fail significantly more than the same region's validators at the
 * other sites (thresholds: the region_* keys of cfg, NULL = defaults).
 * Returns the number of findings, or -1 when fn failed.
 */
int rule_site_asymmetry(const struct db_ch_site_group *g, size_t n, const struct rules_config *cfg,
                        finding_fn fn, void *ctx);

#endif
