/*
 * report_data.h - everything the nightly report shows, read from the
 * database once (report_collect()) and then rendered by one of the
 * renderers (report_render.h): coverage, findings, per-CA and per-region
 * tables, DNSSEC / CAA / EDNS, attempts, failing names, time series, and the
 * previous period of the same length for comparison.
 */
#ifndef DCV_REPORT_DATA_H
#define DCV_REPORT_DATA_H

#include <stdint.h>

#include "db.h"
#include "findings_out.h"
#include "progress.h"
#include "report_queries.h"
#include "rules_config.h"

/* Names in the "top failing names" table. */
#define REPORT_TOP_NAMES 20
/* Points a time-series chart aims at (the step is the period divided by
 * this, rounded up to whole buckets). */
#define REPORT_CHART_POINTS 48
/* Points of a per-second chart (RATE_LIMITED): whole seconds, the busiest
 * second of each step. */
#define REPORT_SECOND_POINTS 180
/* SESSION_CAP / RATE_LIMITED findings that get a chart of their own. */
#define REPORT_CAP_CHARTS 4
/* Findings of one rule shown in full; the others of the same rule are
 * listed by subject only (a fault often fires one rule for many names). */
#define REPORT_FINDINGS_PER_RULE 3
/* Subjects listed on the "more findings" line. */
#define REPORT_MORE_SUBJECTS 12
/* Rows of each list of the "DNSSEC, CAA and EDNS" section (problems
 * first); the rest are counted ("and N more"). */
#define REPORT_DEPTH_ROWS 20
/* Per-source totals kept in memory for the rules (about 400 bytes each);
 * beyond this many they go to a temporary file the rules read back. */
#define REPORT_SOURCES_KEPT 250000
/* A success rate changed by less than this (fraction) is "same". */
#define REPORT_CHANGE_EPS 0.005

/* One row of the per-CA / per-region tables, or the total of every source:
 * sums of the per-source totals (db_rule_sources()), maxima for peak_qps and
 * max_concurrent_tcp. */
struct report_group {
	char key[64]; /* the CA id, the region, or "" for all traffic */
	uint64_t sources, queries, responses, noerror, nxdomain, servfail, refused;
	uint64_t other_rcode, truncated, unanswered;
	uint64_t tcp_sessions, tcp_rejected, tcp_filtered, tcp_stalled;
	uint64_t peak_qps, max_concurrent_tcp;
};

struct report_groups {
	struct report_group *g;
	unsigned n, cap;
};

struct report_series {
	struct db_report_point *p;
	unsigned n, cap;
};

struct report_rows {
	struct db_rule_row *r;
	unsigned n, cap;
};

/* One limit inferred by a rule, charted against what the source did. */
struct report_cap_chart {
	char rule[FINDING_RULE_MAX]; /* "SESSION_CAP" or "RATE_LIMITED" */
	char source[FINDING_SUBJECT_MAX];
	double cap; /* the finding's inferred_cap metric */
	struct report_series s;
};

/* One period's numbers. */
struct report_period {
	struct rules_scope scope;
	char text[128]; /* "FROM .. TO" */
	struct db_report_coverage cov;
	struct report_group total; /* every source */
	struct collected findings;
	struct report_groups cas, regions;
};

/* MPIC attempts of one CA, and how many perspectives succeeded in them. */
struct report_attempt_ca {
	char ca[64];
	uint64_t attempts, corroborated, at_risk, failed;
	uint64_t all_usable; /* attempts in which every perspective got a usable answer */
	char usable[256];    /* the others: "4 of 5: 2, 0 of 2: 7" (cut when long) */
};

/* The deeper look of the period (depth_store.h, report_queries.h): up to
 * REPORT_DEPTH_ROWS rows of each table, and what each table holds in all. */
struct report_depth {
	struct db_report_dnssec *dnssec;
	struct db_caa_row *caa;
	struct db_edns_row *edns;
	unsigned ndnssec, ncaa, nedns;
	struct db_report_tally dnssec_tally, caa_tally, edns_tally;
	double expiring_days; /* the rules' dnssec_expiring_days */
};

struct report {
	uint64_t generated_ns;
	uint64_t step_ns; /* of the time series */
	struct report_period cur, prev;
	struct report_rows malformed, attempts, names;
	struct report_series ca_series;
	struct report_attempt_ca *acas; /* from attempts, one per CA */
	unsigned nacas;
	struct report_cap_chart charts[REPORT_CAP_CHARTS];
	unsigned ncharts;
	struct report_depth depth;
};

/*
 * report_collect() reads the report of scope (a time span, run_id 0) and of
 * the span of the same length just before it, running the rules (cfg) over
 * both; nothing is written to the database. Each step is shown on prog (a
 * progress line; NULL = none). Returns 0, or -1 with a message in err
 * (database error or out of memory); *r must be released with report_free()
 * either way.
 */
int report_collect(struct db *db, const struct rules_scope *scope, const struct rules_config *cfg,
                   struct progress *prog, struct report *r, char *err, size_t errlen);

/* report_free() releases what report_collect() allocated. */
void report_free(struct report *r);

/* report_is_empty() returns 1 when the period holds no traffic at all. */
int report_is_empty(const struct report *r);

/* report_good() returns a group's usable answers (NOERROR + NXDOMAIN). */
uint64_t report_good(const struct report_group *g);

/* report_tcp_failed() returns a group's failed TCP connections, as
 * TCP53_REJECTED counts them (rule_tcp_failed()). */
uint64_t report_tcp_failed(const struct report_group *g);

/* report_rate() returns part / whole as a fraction (0 when whole is 0). */
double report_rate(uint64_t part, uint64_t whole);

/* The change of one thing against the previous period. */
enum report_change {
	REPORT_SAME,
	REPORT_BETTER,
	REPORT_WORSE,
	REPORT_NEW,      /* absent in the previous period */
	REPORT_RESOLVED, /* a finding of the previous period that is gone */
	REPORT_NO_DATA,  /* nothing stored for the previous period to compare with */
};

/* report_change_name() returns "same", "better", "worse", "new", "resolved"
 * or "n/a". */
const char *report_change_name(enum report_change c);

/* report_group_change() compares a group's success rate with the group of
 * the same key in prev (absent: REPORT_NEW; prev empty: REPORT_NO_DATA). */
enum report_change report_group_change(const struct report_group *g,
                                       const struct report_groups *prev);

/* report_group_find() returns the group with this key, or NULL. */
const struct report_group *report_group_find(const struct report_groups *gs, const char *key);

/* report_finding_change() says whether finding i of the current period is
 * REPORT_NEW, or was there before (REPORT_WORSE: more severe now,
 * REPORT_BETTER: less severe, REPORT_SAME); REPORT_NO_DATA when the
 * previous period holds no traffic. */
enum report_change report_finding_change(const struct report *r, unsigned i);

/* report_finding_resolved() returns 1 when finding i of the previous period
 * (same rule and subject) is absent from the current one. */
int report_finding_resolved(const struct report *r, unsigned i);

/* report_finding_rank() returns how many findings of the same rule come
 * before current finding i (shown in full while < REPORT_FINDINGS_PER_RULE). */
unsigned report_finding_rank(const struct report *r, unsigned i);

/* report_finding_more() writes, for the finding of rank
 * REPORT_FINDINGS_PER_RULE of its rule, the subjects of it and the rule's
 * later findings ("a, b, c and 7 more") into buf and returns how many
 * findings that line stands for (0 for any other finding). The subjects are
 * data: renderers escape buf. */
unsigned report_finding_more(const struct report *r, unsigned i, char *buf, size_t len);

/* One entry of the findings section, in the order every format shows it. */
struct report_finding_item {
	const struct finding *f;
	enum report_change change; /* against the previous period (REPORT_RESOLVED: f
	                              is a finding of the previous period gone now) */
	unsigned more;             /* > 0: one line standing for f and the rule's later
	                              findings, whose subjects are in more_subjects */
	const char *more_subjects; /* data: escape it */
};

/* report_findings_each() calls fn for the findings section: most severe
 * first, each rule's first REPORT_FINDINGS_PER_RULE findings in full and
 * one "more" item for the rest of the rule, then the previous period's
 * findings that are resolved. */
void report_findings_each(const struct report *r,
                          void (*fn)(void *ctx, const struct report_finding_item *it), void *ctx);

/* The headline numbers, formatted for people. */
struct report_headline {
	char queries[32], sources[32], answered[32]; /* this period */
	char prev_queries[32], prev_answered[32];    /* the previous period */
	unsigned critical, warning, info;
};

/* report_headline() fills h. */
void report_headline(const struct report *r, struct report_headline *h);

/* report_severity_count() counts the current findings of one severity. */
unsigned report_severity_count(const struct report *r, enum rule_severity s);

/* report_format_count() writes n with thousands separators ("12,345"). */
void report_format_count(uint64_t n, char *buf, size_t len);

/* report_format_pct() writes a fraction as a percentage ("99.87%", "-"
 * when whole is 0). */
void report_format_pct(uint64_t part, uint64_t whole, char *buf, size_t len);

/* The columns of the per-CA and per-region tables, with their cells
 * formatted for people; every renderer shows these. */
enum report_group_col {
	RG_NAME,
	RG_SOURCES,
	RG_QUERIES,
	RG_SUCCESS,
	RG_UNANSWERED,
	RG_REFUSED,
	RG_SERVFAIL,
	RG_TCP_REJECTED,
	RG_PEAK_QPS,
	RG_MAX_SESSIONS,
	RG_CHANGE,
	RG_COLS
};
#define REPORT_CELL_MAX 64

/* report_group_header() returns the title of column col. */
const char *report_group_header(enum report_group_col col);

/* report_group_cells() formats g's row; prev is the previous period's
 * groups of the same kind (for the change column). */
void report_group_cells(const struct report_group *g, const struct report_groups *prev,
                        char cells[RG_COLS][REPORT_CELL_MAX]);

/* One line of the coverage section. */
struct report_coverage_line {
	const char *key;   /* JSON key ("frames", "kernel_dropped", ...) */
	const char *label; /* for people */
	uint64_t value;
	int loss; /* 1 when the value is traffic that was not analyzed */
};
#define REPORT_COVERAGE_LINES 10

/* report_coverage_lines() fills out with the coverage section's lines and
 * returns how many (at most REPORT_COVERAGE_LINES). */
unsigned report_coverage_lines(const struct report *r,
                               struct report_coverage_line out[REPORT_COVERAGE_LINES]);

/* report_depth_is_empty() returns 1 when the period holds no DNSSEC, CAA
 * or EDNS row. */
int report_depth_is_empty(const struct report *r);

/* report_depth_more() returns how many rows of a table the list leaves
 * out (the tally's rows beyond the shown ones). */
uint64_t report_depth_more(const struct db_report_tally *t, unsigned shown);

/* report_lost() returns the packets lost before analysis (kernel, interface,
 * ring buffer, snap length, malformed). */
uint64_t report_lost(const struct report *r);

#endif
