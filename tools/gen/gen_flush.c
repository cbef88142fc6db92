/* gen_flush.c - write the buffered frames that lie before a horizon. */
#include "gen_flush.h"

#include <stdlib.h>
#include <string.h>

/* The same order as gen_close(): time, then insertion. */
static int frame_cmp(const void *a, const void *b)
{
	const struct gen_frame_rec *x = a, *y = b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void gen_flush_before(struct gen_ctx *g, uint64_t horizon_ns)
{
	if (!g->buffered || g->nframes == 0)
		return;
	qsort(g->frames, g->nframes, sizeof(*g->frames), frame_cmp);
	size_t k = 0;
	while (k < g->nframes && g->frames[k].ts_ns < horizon_ns) {
		pcapw_write(g->w, g->frames[k].ts_ns, g->frames[k].data, g->frames[k].len);
		free(g->frames[k].data);
		k++;
	}
	size_t rest = g->nframes - k;
	memmove(g->frames, g->frames + k, rest * sizeof(*g->frames));
	/* gen_frame() numbers new frames from nframes: renumber what stays so
	 * that it keeps sorting before frames made later with the same time */
	for (size_t i = 0; i < rest; i++)
		g->frames[i].order = i;
	g->nframes = rest;
}
