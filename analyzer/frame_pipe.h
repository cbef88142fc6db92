/*
 * frame_pipe.h - frames reach the analyzer a few frames after they are read,
 * so that the memory its lookups need is loading meanwhile.
 *
 * With many sources, the analyzer's per-source tables (bucket rows,
 * validator candidates, the source facts cache) are far larger than the CPU
 * cache, and each frame waits on several memory loads, one after the other.
 * The pipe copies each frame it is given, asks the analyzer to start the
 * loads for it (analyzer_hint_start()), a few frames later to start the
 * dependent ones (analyzer_hint_finish()), and a few frames after that hands
 * it to analyzer_frame_hinted() (which takes the headers the look-ahead
 * decoded instead of decoding them again): the loads of several frames
 * overlap instead of adding up. Frames are analyzed in the order given,
 * unchanged; only when they are analyzed moves. For captures read from files, where the next
 * frames are at hand; a live capture that waits for packets feeds
 * analyzer_frame() directly.
 */
#ifndef DCV_FRAME_PIPE_H
#define DCV_FRAME_PIPE_H

#include "analyzer.h"

/* Frames held between frame_pipe_push() and analyzer_frame(), and how many
 * pushes after the first loads the second ones start. */
#define FRAME_PIPE_DEPTH        8
#define FRAME_PIPE_SECOND_LOADS 4

struct frame_pipe;

/* frame_pipe_new() makes an empty pipe into a (not owned; it must outlive
 * the pipe). NULL on allocation failure. */
struct frame_pipe *frame_pipe_new(struct analyzer *a);

/* frame_pipe_free() frees the pipe and drops the frames it holds (call
 * frame_pipe_drain() first to analyze them). NULL is a no-op. */
void frame_pipe_free(struct frame_pipe *p);

/* frame_pipe_push() copies f into the pipe and analyzes the frame that
 * leaves it, if any. Without memory for the copy it drains the pipe and
 * analyzes f at once. Returns 0, or -1 when analyzer_frame() did. */
int frame_pipe_push(struct frame_pipe *p, const struct cap_frame *f);

/* frame_pipe_drain() analyzes every frame the pipe holds, in order. Returns
 * 0, or -1 when analyzer_frame() did for one of them (all are analyzed). */
int frame_pipe_drain(struct frame_pipe *p);

#endif
