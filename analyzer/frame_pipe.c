/* frame_pipe.c - a short queue of copied frames in front of the analyzer. */
#include "frame_pipe.h"

#include <stdlib.h>
#include <string.h>

/* Bytes each slot starts with: a DNS frame rarely needs more. */
#define SLOT_BYTES_INITIAL 2048u

struct slot {
	struct cap_frame f; /* f.data points into buf */
	uint8_t *buf;
	uint32_t cap;
	struct analyzer_hint hint;
};

struct frame_pipe {
	struct analyzer *a;
	uint64_t in, out; /* frames pushed, frames analyzed */
	struct slot s[FRAME_PIPE_DEPTH];
};

_Static_assert(FRAME_PIPE_SECOND_LOADS < FRAME_PIPE_DEPTH,
               "the second loads start before the frame is analyzed");

struct frame_pipe *frame_pipe_new(struct analyzer *a)
{
	struct frame_pipe *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->a = a;
	for (unsigned i = 0; i < FRAME_PIPE_DEPTH; i++) {
		if ((p->s[i].buf = malloc(SLOT_BYTES_INITIAL)) == NULL) {
			frame_pipe_free(p);
			return NULL;
		}
		p->s[i].cap = SLOT_BYTES_INITIAL;
	}
	return p;
}

void frame_pipe_free(struct frame_pipe *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < FRAME_PIPE_DEPTH; i++)
		free(p->s[i].buf);
	free(p);
}

/* Analyzes the oldest frame held. */
static int analyze_oldest(struct frame_pipe *p)
{
	const struct slot *s = &p->s[p->out++ % FRAME_PIPE_DEPTH];
	return analyzer_frame_hinted(p->a, &s->f, &s->hint);
}

int frame_pipe_drain(struct frame_pipe *p)
{
	int rc = 0;
	while (p->out < p->in)
		if (analyze_oldest(p) != 0)
			rc = -1;
	return rc;
}

/* Copies f into s; false without memory for it. */
static bool copy_frame(struct slot *s, const struct cap_frame *f)
{
	if (f->caplen > s->cap) {
		uint8_t *b = realloc(s->buf, f->caplen);
		if (b == NULL)
			return false;
		s->buf = b;
		s->cap = f->caplen;
	}
	s->f = *f;
	if (f->caplen > 0)
		memcpy(s->buf, f->data, f->caplen);
	s->f.data = s->buf;
	return true;
}

int frame_pipe_push(struct frame_pipe *p, const struct cap_frame *f)
{
	int rc = 0;
	if (p->in - p->out == FRAME_PIPE_DEPTH)
		rc = analyze_oldest(p);
	struct slot *s = &p->s[p->in % FRAME_PIPE_DEPTH];
	if (!copy_frame(s, f)) {
		if (frame_pipe_drain(p) != 0)
			rc = -1;
		return analyzer_frame(p->a, f) != 0 ? -1 : rc;
	}
	analyzer_hint_start(p->a, &s->f, &s->hint);
	p->in++;
	if (p->in - p->out > FRAME_PIPE_SECOND_LOADS)
		analyzer_hint_finish(
		    p->a, &p->s[(p->in - 1 - FRAME_PIPE_SECOND_LOADS) % FRAME_PIPE_DEPTH].hint);
	return rc;
}
