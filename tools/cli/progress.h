/*
 * progress.h - one self-overwriting progress line on stderr, only when
 * stderr is a terminal (never in pipes, logs or CI).
 */
#ifndef DCV_PROGRESS_H
#define DCV_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;
	uint64_t last_ns; /* monotonic time of the last redraw */
	uint64_t start_ns;
};

/* progress_init() enables the line when stderr is a terminal and force_off is false. */
void progress_init(struct progress *p, bool force_off);

/* progress_update() redraws at most 4 times a second. Cheap when it does not redraw. */
void progress_update(struct progress *p, const char *what, uint64_t frames, uint64_t queries);

/* progress_step() shows what a command is doing now ("running the rules")
 * in place of the line; for commands made of a few long steps. */
void progress_step(struct progress *p, const char *what);

/* progress_done() clears the line. */
void progress_done(struct progress *p);

/* progress_now_ns() returns CLOCK_MONOTONIC in nanoseconds. */
uint64_t progress_now_ns(void);

#endif
