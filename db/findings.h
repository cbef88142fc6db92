/*
 * findings.h - storing and reading the rules' findings (table findings,
 * schema version 3, documented in schema.c).
 */
#ifndef DCV_FINDINGS_H
#define DCV_FINDINGS_H

#include <stdint.h>

#include "db.h"
#include "finding.h"

/*
 * db_findings_replace() replaces the findings stored for the scope's run
 * (run_id > 0) or for the time span (run_id == 0, findings with run_id NULL
 * whose span overlaps it) with the given ones, in one transaction.
 * Returns 0 or -1.
 */
int db_findings_replace(struct db *db, const struct rules_scope *scope, const struct finding *f,
                        unsigned n);

/* db_findings_read() calls fn for the scope's stored findings, most severe
 * first. Returns how many, or -1. */
int db_findings_read(struct db *db, const struct rules_scope *scope, finding_fn fn, void *ctx);

#endif
