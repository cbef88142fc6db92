/*
 * rules.h - checks over stored facts that produce findings: the rules engine.
 *
 * A rule reads statistics through db/ (source_stats, source_seconds,
 * transactions, validator_sources, attempts, attempt_perspectives, runs) and
 * knows nothing about packets, so the same rules serve live, offline and
 * merged databases. Each rule has a stable id (SESSION_CAP, TCP53_REJECTED,
 * ...), a precise definition in its file's top comment, and thresholds that
 * come from struct rules_config (defaults documented once, overridable from
 * a config file).
 */
#ifndef DCV_RULES_H
#define DCV_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "finding.h"
#include "rule_queries.h"

struct rules_config; /* rules_config.h */

/* Called for every finding. Return 0 to go on. */
typedef int (*finding_fn)(void *ctx, const struct finding *f);

/*
 * rules_run() runs every rule of the catalogue over the scope and calls fn
 * for each finding, most severe first within a rule. cfg NULL = defaults.
 * Returns the number of findings, or -1 on a database error (db_errmsg()).
 */
int rules_run(struct db *db, const struct rules_scope *scope, const struct rules_config *cfg,
              finding_fn fn, void *ctx);

/*
 * rules_run_with_sources() is rules_run() for a caller that has already
 * read the scope's per-source totals (db_rule_sources(), all of them, in its
 * order): the rules use src[0..nsrc) instead of reading them again. src
 * stays the caller's. src NULL = read them (rules_run()).
 */
int rules_run_with_sources(struct db *db, const struct rules_scope *scope,
                           const struct rules_config *cfg, const struct db_rule_source *src,
                           size_t nsrc, finding_fn fn, void *ctx);

/*
 * rules_early_start() starts, in a thread of its own with a second
 * connection to the database file at path, the rules that read only
 * transactions and attempts (CAA_BURST, ACME_TXT_TTL_HIGH: about half of
 * the rules' time on the bench capture), so that they run while the
 * caller stores the rest of the run (validator sources, DNSSEC names).
 * Start it once every transaction and attempt of scope is committed; the
 * connection reads what was committed when each of its queries began. cfg
 * NULL = defaults (copied). Returns NULL when the thread cannot start: the
 * rules then all run in rules_run_with_early().
 */
struct rules_early;
struct rules_early *rules_early_start(const char *path, const struct rules_scope *scope,
                                      const struct rules_config *cfg);

/*
 * rules_run_with_early() is rules_run_with_sources() that takes the
 * findings of the rules early ran (waiting for them where the catalogue
 * reaches the first), in catalogue order as always; a rule that could not
 * run early (the file would not open, a query failed) runs here. early
 * NULL = run every rule here; early stays the caller's (rules_early_free()).
 * With src NULL, spill (source_spill.h) may hold every source of the scope
 * as db_rule_sources() gives them, read back instead (more sources than
 * memory holds, written as the caller read them); it stays the caller's.
 */
struct source_spill;
int rules_run_with_early(struct db *db, const struct rules_scope *scope,
                         const struct rules_config *cfg, const struct db_rule_source *src,
                         size_t nsrc, struct source_spill *spill, struct rules_early *early,
                         finding_fn fn, void *ctx);

/* rules_early_free() waits for the early rules, if still running, and
 * frees what they found; NULL is a no-op. */
void rules_early_free(struct rules_early *e);

/* rules_catalogue_size() returns how many rules this build knows. */
unsigned rules_catalogue_size(void);

/* rules_catalogue_id() returns the id of the i-th rule (NULL past the end). */
const char *rules_catalogue_id(unsigned i);

#endif
