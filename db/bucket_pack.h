/*
 * bucket_pack.h - a queued source_stats row in a few dozen bytes.
 *
 * The writer queue holds up to a batch of bucket rows (100 000) twice (the
 * queue being filled and the one being written). As structs with their
 * address text they took 280 bytes each, 56 MiB that the analysis thread
 * touched first (on the bench machine every fresh MiB costs about 3.5 ms).
 * Packed, a row is its run, its address bytes and its counters as LEB128
 * varints (most counters are small or zero): 30-50 bytes. The writer
 * thread sorts a batch by key (struct db_bucket_key) and unpacks each row
 * as it writes it.
 */
#ifndef DCV_BUCKET_PACK_H
#define DCV_BUCKET_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "db_internal.h"

/* Largest packed row: run and bucket start as full varints, 16 address
 * bytes, every counter as a full varint. */
#define DB_BUCKET_PACKED_MAX 320

/* db_bucket_pack() writes row of run_id into out (DB_BUCKET_PACKED_MAX
 * bytes) and returns the bytes written. The address family must be 4 or 6
 * (checked by the caller). */
size_t db_bucket_pack(uint8_t *out, int64_t run_id, const struct source_bucket *row);

/* db_bucket_unpack() reads one packed row at in (len bytes left) into
 * *run_id and *row and returns the bytes read, or 0 when the bytes are not
 * a whole packed row (never past len). */
size_t db_bucket_unpack(const uint8_t *in, size_t len, int64_t *run_id, struct source_bucket *row);

#endif
