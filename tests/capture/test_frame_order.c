/* test_frame_order.c - frames back in time order within a window: release
 * rules, ties in arrival order, a full buffer, and the bytes of each frame. */
#include <criterion/criterion.h>
#include <string.h>

#include "frame_order.h"

#define MS 1000000ULL

/* A one-byte frame at ts carrying tag. */
static void push(struct cap_frame_order *o, uint64_t ts, uint8_t tag)
{
	struct cap_frame f = {.ts_ns = ts,
	                      .data = &tag,
	                      .caplen = 1,
	                      .wirelen = 1,
	                      .linktype = 101,
	                      .flags = tag & 1};
	cr_assert_eq(cap_frame_order_push(o, &f), 0);
}

static uint8_t pop_tag(struct cap_frame_order *o, bool flush, uint64_t *ts)
{
	struct cap_frame f;
	cr_assert(cap_frame_order_pop(o, &f, flush), "a frame is due");
	cr_assert_eq(f.caplen, 1);
	cr_assert_eq(f.linktype, 101);
	cr_assert_eq(f.flags, f.data[0] & 1u, "flags travel with the frame");
	*ts = f.ts_ns;
	return f.data[0];
}

Test(frame_order, frames_wait_for_the_window_then_come_out_sorted)
{
	struct cap_frame_order *o = cap_frame_order_new(1000 * MS, 0);
	struct cap_frame f;
	push(o, 500 * MS, 1);
	push(o, 100 * MS, 2); /* logged late by another worker */
	push(o, 300 * MS, 3);
	cr_assert(!cap_frame_order_pop(o, &f, false), "nothing is a window older than the newest");
	push(o, 1200 * MS, 4); /* 100 ms is now 1.1 s older than the newest */
	uint64_t ts;
	cr_assert_eq(pop_tag(o, false, &ts), 2);
	cr_assert_eq(ts, 100 * MS);
	cr_assert(!cap_frame_order_pop(o, &f, false), "300 ms is only 0.9 s older");
	cr_assert_eq(pop_tag(o, true, &ts), 3);
	cr_assert_eq(pop_tag(o, true, &ts), 1);
	cr_assert_eq(pop_tag(o, true, &ts), 4);
	cr_assert(!cap_frame_order_pop(o, &f, true), "empty");
	cr_assert_eq(cap_frame_order_get_stats(o)->out_of_order, 2);
	cr_assert_eq(cap_frame_order_get_stats(o)->released_early, 0);
	cap_frame_order_free(o);
}

Test(frame_order, equal_times_keep_their_arrival_order)
{
	struct cap_frame_order *o = cap_frame_order_new(0, 0);
	for (uint8_t t = 0; t < 50; t++)
		push(o, 7 * MS, t);
	uint64_t ts;
	for (uint8_t t = 0; t < 50; t++)
		cr_assert_eq(pop_tag(o, true, &ts), t);
	cr_assert_eq(cap_frame_order_get_stats(o)->out_of_order, 0);
	cap_frame_order_free(o);
}

Test(frame_order, full_buffer_releases_the_oldest_early_and_counts_it)
{
	struct cap_frame_order *o = cap_frame_order_new(1000 * MS, 4);
	struct cap_frame f;
	for (uint8_t t = 0; t < 3; t++)
		push(o, (10 - t) * MS, t);
	cr_assert(!cap_frame_order_pop(o, &f, false));
	push(o, 1 * MS, 3);
	uint64_t ts;
	cr_assert_eq(pop_tag(o, false, &ts), 3, "the oldest goes when the buffer is full");
	cr_assert_eq(cap_frame_order_get_stats(o)->released_early, 1);
	cr_assert(!cap_frame_order_pop(o, &f, false));
	cap_frame_order_free(o);
}

Test(frame_order, random_times_come_out_sorted)
{
	struct cap_frame_order *o = cap_frame_order_new(1000 * MS, 0);
	uint32_t x = 12345;
	uint64_t last = 0, base = 0;
	unsigned out = 0;
	struct cap_frame f;
	for (unsigned i = 0; i < 20000; i++) {
		x = x * 1103515245u + 12345u;
		base += MS / 10;
		push(o, base + (x >> 8) % (900 * MS / 1000) * 1000, (uint8_t)i);
		while (cap_frame_order_pop(o, &f, false)) {
			cr_assert_geq(f.ts_ns, last);
			last = f.ts_ns;
			out++;
		}
	}
	while (cap_frame_order_pop(o, &f, true)) {
		cr_assert_geq(f.ts_ns, last);
		last = f.ts_ns;
		out++;
	}
	cr_assert_eq(out, 20000);
	cap_frame_order_free(o);
}
