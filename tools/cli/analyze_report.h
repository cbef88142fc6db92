/*
 * analyze_report.h - what `dcvscope analyze` found, ready to be printed as
 * text or JSON. Filled by cmd_analyze.c, read by summary_text.c and
 * summary_json.c.
 */
#ifndef DCV_ANALYZE_REPORT_H
#define DCV_ANALYZE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze_sources.h"
#include "analyzer.h"
#include "db.h"
#include "db_summary.h"
#include "dnstap.h"
#include "depth_store.h"
#include "findings_out.h"
#include "validator_store.h"

struct analyze_input {
	const char *path;
	uint64_t frames;
	int linktype;
	bool dnstap;       /* a dnstap log (frames synthesized from its messages) */
	bool complete;     /* read to the end */
	const char *error; /* NULL, or why reading stopped */
};

struct analyze_report {
	struct analyze_input *inputs;
	unsigned ninputs;
	const struct run_accounting *acc;
	const struct analyzer_totals *totals;
	uint32_t timeout_ms;
	uint32_t bucket_len_s;
	const char *db_path;
	int64_t run_id;
	int replaced_runs;
	int64_t source_count;
	struct db_source_total *top_queries;
	unsigned ntop_queries;
	struct db_source_total *top_failures;
	unsigned ntop_failures;
	/* validators (confidence medium or above) and their attempts */
	struct db_validator_row *validators;
	unsigned nvalidators;
	struct db_ca_region_row *ca_regions;
	unsigned nca_regions;
	struct db_attempt_totals attempts;
	struct db_attempt_row *problem_attempts; /* not corroborated, first ones */
	unsigned nproblem_attempts;
	unsigned table_warnings;               /* bad lines in the validator range files */
	const struct collected *findings;      /* NULL when the rules did not run */
	const struct cap_dnstap_stats *dnstap; /* NULL unless the inputs are dnstap logs */
	/* the deeper look: DNSSEC per name, CAA decisions, failing EDNS checks */
	struct db_dnssec_row *dnssec;
	unsigned ndnssec;
	struct db_caa_row *caa;
	unsigned ncaa;
	struct db_edns_row *edns;
	unsigned nedns;
	double elapsed_s; /* wall time of the analysis */
};

/* analyze_collect() reads back from db what the summaries show of run_id:
 * top sources (top of each kind, 0 = all; from sources, the run's totals
 * read by analyze_sources_read()), validators, per-CA rows and attempts.
 * Returns 0, or -1 on a database error (db_errmsg()). */
int analyze_collect(struct db *db, int64_t run_id, unsigned top,
                    const struct analyze_sources *sources, struct analyze_report *r);

/* analyze_collect_free() frees what analyze_collect() allocated. */
void analyze_collect_free(struct analyze_report *r);

/* summary_text() prints the human summary. */
void summary_text(FILE *out, const struct analyze_report *r);

/* summary_json() prints one JSON object (the machine interface; keys are
 * only ever added, never renamed or removed). Returns 0 or -1. */
int summary_json(FILE *out, const struct analyze_report *r);

#endif
