/* fleet_report.c - the fleet report's data from ClickHouse (fleet_report.h). */
#include "fleet_report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_rules.h"

/* The rows of the three levels, as they come. */
struct rows {
	struct fleet_report *r;
	unsigned site_cap, server_cap;
	int oom;
};

/* Appends row to *arr (n, cap). Returns 0 or -1. */
static int append(struct db_ch_report_row **arr, unsigned *n, unsigned *cap,
                  const struct db_ch_report_row *row)
{
	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 32;
		struct db_ch_report_row *p = realloc(*arr, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		*arr = p;
		*cap = ncap;
	}
	(*arr)[(*n)++] = *row;
	return 0;
}

static int add_row(void *ctx, enum db_ch_level level, const struct db_ch_report_row *row)
{
	struct rows *a = ctx;
	struct fleet_report *r = a->r;
	int rc = 0;
	if (level == DB_CH_FLEET)
		r->total = *row;
	else if (level == DB_CH_BY_SITE)
		rc = append(&r->sites, &r->nsites, &a->site_cap, row);
	else
		rc = append(&r->servers, &r->nservers, &a->server_cap, row);
	if (rc != 0)
		a->oom = 1;
	return rc;
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
	struct rows rows = {r, 0, 0, 0};
	int rc = db_ch_report_rows(ch, from_ns, to_ns, add_row, &rows);
	struct host_findings hf = {r, 0, 0};
	if (rc >= 0 && !rows.oom)
		rc = db_ch_report_host_findings(ch, from_ns, to_ns, add_host_finding, &hf);
	if (rows.oom || hf.oom)
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
