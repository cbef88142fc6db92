/*
 * source_spill.h - the scope's per-source totals written once to a
 * temporary file, for the rules that read every source after the first.
 *
 * Up to RULE_SOURCES_CACHE_MAX sources the rules runner keeps the totals in
 * memory; beyond that (a flood of random sources) each of the three rules
 * that read every source (SESSION_CAP, TCP53_REJECTED, RATE_LIMITED) made
 * the database sort every bucket row of the scope again (1.6 s each for a
 * million sources). The first reading now also writes each source, compact
 * (varints: most counters of a flood's source are 0 or 1, about 50 bytes a
 * source), to an unnamed temporary file, and the others read that file
 * back: memory stays a stdio buffer, the file goes when it is closed.
 */
#ifndef DCV_SOURCE_SPILL_H
#define DCV_SOURCE_SPILL_H

#include "rule_queries.h"

struct source_spill;

/* source_spill_new() opens an empty spill (tmpfile(3)); NULL when the file
 * cannot be made (the caller reads from the database instead). */
struct source_spill *source_spill_new(void);

/* source_spill_add() appends s. Returns 0, or -1 when it cannot be
 * written (the spill is then of no use). */
int source_spill_add(struct source_spill *sp, const struct db_rule_source *s);

/* source_spill_add_or_drop() appends s to *sp; when it cannot be written
 * it frees the spill and sets *sp to NULL, for its readers to read the
 * sources themselves. A NULL *sp is left as it is. */
void source_spill_add_or_drop(struct source_spill **sp, const struct db_rule_source *s);

/* source_spill_replay() calls fn for every source added, in the order
 * added, each field as it was given (texts cut as in struct
 * db_rule_source); a non-zero answer from fn stops the list. Returns how
 * many fn saw (the one that stopped included), or -1 when the file cannot
 * be read back whole. It may be called again. */
int source_spill_replay(struct source_spill *sp,
                        int (*fn)(void *ctx, const struct db_rule_source *s), void *ctx);

/* source_spill_free() closes and frees sp (NULL is a no-op). */
void source_spill_free(struct source_spill *sp);

#endif
