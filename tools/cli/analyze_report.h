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

#include "analyzer.h"
#include "db_summary.h"

struct analyze_input {
	const char *path;
	uint64_t frames;
	int linktype;
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
	double elapsed_s; /* wall time of the analysis */
};

/* summary_text() prints the human summary. */
void summary_text(FILE *out, const struct analyze_report *r);

/* summary_json() prints one JSON object (the machine interface; keys are
 * only ever added, never renamed or removed). Returns 0 or -1. */
int summary_json(FILE *out, const struct analyze_report *r);

#endif
