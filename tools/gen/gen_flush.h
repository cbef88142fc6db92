/*
 * gen_flush.h - progressive output for long buffered scenarios.
 *
 * A buffered scenario (gen_out.h) may lay out conversations that overlap in
 * time, and gen_close() sorts every frame at the end: memory grows with the
 * capture. A scenario that generates in (roughly) increasing time can call
 * gen_flush_before() whenever it knows that no frame it will still make is
 * older than a horizon: the frames before the horizon are written in time
 * order and freed, so memory stays bounded by the frames that lie ahead.
 */
#ifndef DCV_GEN_FLUSH_H
#define DCV_GEN_FLUSH_H

#include <stdint.h>

#include "gen_out.h"

/*
 * gen_flush_before() writes every buffered frame with a timestamp below
 * horizon_ns, in time order (ties in the order they were made), and keeps
 * the rest buffered with their relative order. The caller promises that it
 * will make no frame below horizon_ns afterwards. No-op on a direct context.
 */
void gen_flush_before(struct gen_ctx *g, uint64_t horizon_ns);

#endif
