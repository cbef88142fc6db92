/*
 * fleet_report.h - the fleet report (`dcvscope report --clickhouse URL`):
 * per server, per site and for the whole fleet, what every host shipped to
 * ClickHouse over a period, summed inside ClickHouse (db/ch_report.h), the
 * findings the hosts shipped, and the fleet rules' findings
 * (rules/fleet_rules.h). Read once (fleet_report_collect()), then written
 * by one of the renderers below.
 */
#ifndef DCV_FLEET_REPORT_H
#define DCV_FLEET_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "ch_report.h"
#include "clickhouse.h"
#include "findings_out.h"
#include "rules_config.h"

struct fleet_report {
	char target[160]; /* HOST:PORT/DATABASE */
	uint64_t generated_ns;
	uint64_t from_ns, to_ns; /* the period [from, to) */
	struct db_ch_report_row total;
	struct db_ch_report_row *sites, *servers;
	unsigned nsites, nservers;
	struct db_ch_host_finding *host_findings; /* per server, most severe first */
	unsigned nhost_findings;
	struct collected findings; /* of the fleet rules */
};

/*
 * fleet_report_collect() reads the report of [from_ns, to_ns) from ch and
 * runs the fleet rules (cfg) over it; nothing is written. Returns 0, or a
 * db_ch_result (< 0; db_ch_errmsg(ch)) when ClickHouse failed, or 1 when
 * memory ran out. *r must be released with fleet_report_free() either way.
 */
int fleet_report_collect(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                         const struct rules_config *cfg, struct fleet_report *r);

/* fleet_report_free() releases what fleet_report_collect() allocated. */
void fleet_report_free(struct fleet_report *r);

/* The renderers, one per format; every string from the data is escaped for
 * the format. Each returns 0, or -1 when writing failed. */
int fleet_render_text(FILE *out, const struct fleet_report *r);
int fleet_render_markdown(FILE *out, const struct fleet_report *r);
int fleet_render_json(FILE *out, const struct fleet_report *r);
int fleet_render_html(FILE *out, const struct fleet_report *r);

#endif
