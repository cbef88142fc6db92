/*
 * watch_findings.h - the rules of a live run, every rules interval: run the
 * rules engine over the run, compare with the previous pass by rule and
 * subject, and print what changed as JSON lines:
 *   {"event":"finding_new", "rule":..., "severity":..., "subject_kind":...,
 *    "subject":..., "first_seen_ns":..., "last_seen_ns":..., "evidence":...,
 *    "recommendation":..., "metrics":{...}}
 *   {"event":"finding_resolved", ...the last seen fields of the finding}
 * (and one syslog line each with --syslog).
 */
#ifndef DCV_WATCH_FINDINGS_H
#define DCV_WATCH_FINDINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "db.h"
#include "finding.h"

/* Findings tracked at once; a guess far above the catalogue times the
 * subjects an operator can act on. Beyond it findings are not tracked. */
#define WATCH_FINDINGS_MAX 4096

struct watch_findings;

/* watch_findings_new() returns an empty tracker writing to out, or NULL. */
struct watch_findings *watch_findings_new(FILE *out, bool syslog);

/* watch_findings_set_syslog() turns the syslog copies on or off (reload). */
void watch_findings_set_syslog(struct watch_findings *wf, bool on);

/* watch_findings_run() runs the rules over scope and prints the changes.
 * Returns the number of current findings, -1 on a database error
 * (db_errmsg()), or -2 when no rules engine is linked (nothing printed). */
int watch_findings_run(struct watch_findings *wf, struct db *db, const struct rules_scope *scope);

/* watch_findings_free() frees the tracker. NULL is a no-op. */
void watch_findings_free(struct watch_findings *wf);

#endif
