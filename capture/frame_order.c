/* frame_order.c - a min-heap of frame copies on (time, arrival). */
#include "frame_order.h"

#include <stdlib.h>
#include <string.h>

struct held {
	uint64_t ts_ns, seq;
	uint8_t *data;
	uint32_t len, wirelen;
	int linktype;
	uint32_t flags;
};

struct cap_frame_order {
	uint64_t window_ns;
	uint32_t max;
	struct held *heap;
	uint32_t n, cap;
	uint64_t seq;
	uint64_t newest_ns; /* latest time pushed */
	uint8_t *out_data;  /* bytes of the frame last popped */
	struct cap_frame_order_stats stats;
};

static bool before(const struct held *a, const struct held *b)
{
	return a->ts_ns < b->ts_ns || (a->ts_ns == b->ts_ns && a->seq < b->seq);
}

static void swap(struct held *a, struct held *b)
{
	struct held t = *a;
	*a = *b;
	*b = t;
}

struct cap_frame_order *cap_frame_order_new(uint64_t window_ns, uint32_t max_frames)
{
	struct cap_frame_order *o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->window_ns = window_ns ? window_ns : FRAME_ORDER_WINDOW_NS;
	o->max = max_frames ? max_frames : FRAME_ORDER_MAX_FRAMES;
	return o;
}

int cap_frame_order_push(struct cap_frame_order *o, const struct cap_frame *f)
{
	if (o->n == o->cap) {
		uint32_t cap = o->cap ? o->cap * 2 : 1024;
		struct held *grown = realloc(o->heap, (size_t)cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		o->heap = grown;
		o->cap = cap;
	}
	uint8_t *copy = malloc(f->caplen ? f->caplen : 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, f->data, f->caplen);
	if (f->ts_ns < o->newest_ns)
		o->stats.out_of_order++;
	else
		o->newest_ns = f->ts_ns;
	uint32_t i = o->n++;
	o->heap[i] = (struct held){.ts_ns = f->ts_ns,
	                           .seq = o->seq++,
	                           .data = copy,
	                           .len = f->caplen,
	                           .wirelen = f->wirelen,
	                           .linktype = f->linktype,
	                           .flags = f->flags};
	while (i > 0 && before(&o->heap[i], &o->heap[(i - 1) / 2])) {
		swap(&o->heap[i], &o->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	return 0;
}

bool cap_frame_order_pop(struct cap_frame_order *o, struct cap_frame *out, bool flush)
{
	if (o->n == 0)
		return false;
	bool full = o->n >= o->max;
	bool due = o->newest_ns - o->heap[0].ts_ns >= o->window_ns;
	if (!flush && !full && !due)
		return false;
	if (full && !due && !flush)
		o->stats.released_early++;
	struct held top = o->heap[0];
	o->heap[0] = o->heap[--o->n];
	for (uint32_t i = 0;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < o->n && before(&o->heap[l], &o->heap[m]))
			m = l;
		if (r < o->n && before(&o->heap[r], &o->heap[m]))
			m = r;
		if (m == i)
			break;
		swap(&o->heap[i], &o->heap[m]);
		i = m;
	}
	free(o->out_data);
	o->out_data = top.data;
	memset(out, 0, sizeof(*out));
	out->ts_ns = top.ts_ns;
	out->data = top.data;
	out->caplen = top.len;
	out->wirelen = top.wirelen;
	out->linktype = top.linktype;
	out->flags = top.flags;
	return true;
}

const struct cap_frame_order_stats *cap_frame_order_get_stats(const struct cap_frame_order *o)
{
	return &o->stats;
}

void cap_frame_order_free(struct cap_frame_order *o)
{
	if (o == NULL)
		return;
	for (uint32_t i = 0; i < o->n; i++)
		free(o->heap[i].data);
	free(o->heap);
	free(o->out_data);
	free(o);
}
