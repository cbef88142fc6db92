/*
 * big_table.h - memory for the analyzer's large, randomly accessed tables
 * (per-source buckets, open transactions, validator candidates).
 *
 * Such a table is touched all over: with 4 KiB pages every lookup risks a
 * TLB miss and every new page a fault. big_table_alloc() backs it with
 * transparent huge pages where the kernel offers them (madvise mode), so
 * that tens of MiB of entries need a handful of TLB entries and faults.
 * Pages are still touched lazily: a large table that stays mostly unused
 * costs only the pages (2 MiB at a time) it uses.
 */
#ifndef DCV_BIG_TABLE_H
#define DCV_BIG_TABLE_H

#include <stddef.h>

/* big_table_alloc() returns n zeroed bytes (n > 0) aligned to 2 MiB when n
 * is at least that, asking the kernel for huge pages (a hint: without them
 * the memory is ordinary pages). NULL on failure. */
void *big_table_alloc(size_t n);

/* big_table_free() releases what big_table_alloc(n) returned; NULL is a
 * no-op. n must be the size it was allocated with. */
void big_table_free(void *p, size_t n);

#endif
