/*
 * frame_order.h - puts frames back in time order within a window.
 *
 * A message log is not in time order: a server's workers each queue their
 * dnstap messages and the writer takes the queues in turn (Knot's UDP and
 * TCP workers showed 0.4 s of disorder on an idle loopback; fstrm flushes
 * a queue about once a second). The analyzer expects capture order, so the
 * dnstap file source holds frames in a min-heap on (time, arrival) and
 * releases the oldest once the newest frame is FRAME_ORDER_WINDOW_NS later,
 * or when the heap is full (bounded memory), or at the end of the input.
 * Frames equal in time keep their arrival order.
 */
#ifndef DCV_FRAME_ORDER_H
#define DCV_FRAME_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* A guess: a few of fstrm's 1-s flush intervals. */
#define FRAME_ORDER_WINDOW_NS 3000000000ULL
/* Frames held at most; past it the oldest is released early (counted). */
#define FRAME_ORDER_MAX_FRAMES 262144u

struct cap_frame_order_stats {
	uint64_t out_of_order;   /* frames older than a frame that arrived before them */
	uint64_t released_early; /* frames released because the heap was full */
};

struct cap_frame_order;

/* cap_frame_order_new() makes an empty buffer (window_ns, max_frames: 0 = the
 * defaults above). NULL when out of memory. */
struct cap_frame_order *cap_frame_order_new(uint64_t window_ns, uint32_t max_frames);

/* cap_frame_order_push() copies f in. Returns 0, or -1 when out of memory (f
 * is then not held). */
int cap_frame_order_push(struct cap_frame_order *o, const struct cap_frame *f);

/*
 * cap_frame_order_pop() takes the oldest frame out when it is due: older than
 * the newest by the window, or the buffer is full, or flush is set (end of
 * input). Returns true with *out filled; its bytes stay valid until the next
 * pop or cap_frame_order_free(). false when nothing is due.
 */
bool cap_frame_order_pop(struct cap_frame_order *o, struct cap_frame *out, bool flush);

/* cap_frame_order_get_stats() returns the counters (never NULL). */
const struct cap_frame_order_stats *cap_frame_order_get_stats(const struct cap_frame_order *o);

/* cap_frame_order_free() frees everything held. NULL is a no-op. */
void cap_frame_order_free(struct cap_frame_order *o);

#endif
