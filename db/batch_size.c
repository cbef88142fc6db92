/* batch_size.c - how many rows a write batch holds (batch_size.h). */
#include "batch_size.h"

size_t db_batch_next_limit(size_t limit, size_t base, const struct db_batch_cost *c)
{
	size_t most = base * DB_BATCH_GROWTH;
	if (limit < base)
		limit = base;
	if (limit > most)
		limit = most;
	if (c == NULL || c->rows < limit)
		return limit;
	uint64_t grown = c->pages_grown > 0 ? c->pages_grown : 1;
	bool scattered = c->pages_written >= grown * DB_BATCH_SCATTERED;
	if (!scattered)
		return limit / 2 > base ? limit / 2 : base;
	if (c->elapsed_ns >= DB_BATCH_GROW_MAX_NS)
		return limit;
	return limit * 2 < most ? limit * 2 : most;
}

_Static_assert(DB_BATCH_GROWTH == 4, "db.h promises batches of up to 4 times their size");
