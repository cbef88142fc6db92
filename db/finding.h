/*
 * finding.h - one rule's conclusion, as the rules produce it and the store
 * keeps it (the record type between rules/ and db/).
 */
#ifndef DCV_FINDING_H
#define DCV_FINDING_H

#include <stdint.h>

enum rule_severity {
	RULE_INFO = 0,
	RULE_WARNING = 1,
	RULE_CRITICAL = 2,
};

#define FINDING_RULE_MAX    32
#define FINDING_SUBJECT_MAX 256
#define FINDING_TEXT_MAX    1024
#define FINDING_METRICS_MAX 16

/* One number of the evidence, for machines (the text is for people). */
struct finding_metric {
	char key[32]; /* "inferred_cap", "unanswered", ... */
	double value;
};

/* One rule's conclusion. */
struct finding {
	char rule[FINDING_RULE_MAX]; /* "SESSION_CAP" */
	enum rule_severity severity;
	char subject_kind[16];             /* "ca", "region", "source", "name", "server" */
	char subject[FINDING_SUBJECT_MAX]; /* "letsencrypt", "ripe", "198.51.100.7", "example.com";
	                                      several kinds may be combined: "letsencrypt/ripe" */
	uint64_t first_seen_ns, last_seen_ns;
	char evidence[FINDING_TEXT_MAX];       /* the numbers that prove it, in words */
	char recommendation[FINDING_TEXT_MAX]; /* what to change, in the operator's words */
	struct finding_metric metrics[FINDING_METRICS_MAX];
	unsigned nmetrics;
};

/* Called for every finding. Return 0 to go on. (Also declared, identically,
 * in rules.h; C11 allows the repeated typedef.) */
typedef int (*finding_fn)(void *ctx, const struct finding *f);

/* rule_severity_name() returns "info", "warning" or "critical". */
const char *rule_severity_name(enum rule_severity s);

/* What the rules look at: one run, or a time span across runs. */
struct rules_scope {
	int64_t run_id;          /* > 0: this run only */
	uint64_t from_ns, to_ns; /* run_id == 0: runs overlapping [from, to) */
};

#endif
