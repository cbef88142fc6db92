/* fleet_report.c - the fleet report's data from ClickHouse (fleet_report.h). */
#include "fleet_report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_rules.h"

/* A growing array of rows. */
struct rows {
	struct db_ch_report_row **p;
	unsigned *n;
	unsigned cap;
	int oom;
};

static int add_row(void *ctx, const struct db_ch_report_row *row)
{
	struct rows *a = ctx;
	if (*a->n == a->cap) {
		unsigned cap = a->cap ? a->cap * 2 : 32;
		struct db_ch_report_row *p = realloc(*a->p, cap * sizeof(*p));
		if (p == NULL) {
			a->oom = 1;
			return -1;
		}
		*a->p = p;
		a->cap = cap;
	}
	(*a->p)[(*a->n)++] = *row;
	return 0;
}

static int set_total(void *ctx, const struct db_ch_report_row *row)
{
	*(struct db_ch_report_row *)ctx = *row;
	return 0;
}

struct host_findings {
	struct fleet_report *r;
	unsigned cap;
	int oom;
};

static int add_host_finding(void *ctx, const struct db_ch_host_finding *f)
{
	struct host_findings *h = ctx;
	if (h->r->nhost_findings == h->cap) {
		unsigned cap = h->cap ? h->cap * 2 : 32;
		struct db_ch_host_finding *p = realloc(h->r->host_findings, cap * sizeof(*p));
		if (p == NULL) {
			h->oom = 1;
			return -1;
		}
		h->r->host_findings = p;
		h->cap = cap;
	}
	h->r->host_findings[h->r->nhost_findings++] = *f;
	return 0;
}

int fleet_report_collect(struct db_ch *ch, uint64_t from_ns, uint64_t to_ns,
                         const struct rules_config *cfg, struct fleet_report *r)
{
	memset(r, 0, sizeof(*r));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->generated_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snprintf(r->target, sizeof(r->target), "%s", db_ch_target(ch));
	r->from_ns = from_ns;
	r->to_ns = to_ns;
	struct rows servers = {&r->servers, &r->nservers, 0, 0};
	struct rows sites = {&r->sites, &r->nsites, 0, 0};
	int rc = db_ch_report_rows(ch, DB_CH_BY_SERVER, from_ns, to_ns, add_row, &servers);
	if (rc >= 0 && !servers.oom)
		rc = db_ch_report_rows(ch, DB_CH_BY_SITE, from_ns, to_ns, add_row, &sites);
	if (rc >= 0 && !sites.oom)
		rc = db_ch_report_rows(ch, DB_CH_FLEET, from_ns, to_ns, set_total, &r->total);
	struct host_findings hf = {r, 0, 0};
	if (rc >= 0 && !servers.oom && !sites.oom)
		rc = db_ch_report_host_findings(ch, from_ns, to_ns, add_host_finding, &hf);
	if (servers.oom || sites.oom || hf.oom)
		return 1;
	if (rc < 0)
		return rc;
	rc = fleet_rules_run(ch, from_ns, to_ns, cfg, findings_collect, &r->findings);
	if (rc == FLEET_RULES_ABORTED || r->findings.oom)
		return 1;
	return rc < 0 ? rc : 0;
}

void fleet_report_free(struct fleet_report *r)
{
	free(r->servers);
	free(r->sites);
	free(r->host_findings);
	free(r->findings.f);
	memset(r, 0, sizeof(*r));
}
