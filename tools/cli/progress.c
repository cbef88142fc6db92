/* progress.c - the progress line. */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_REDRAW_NS 250000000ULL

uint64_t progress_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void progress_init(struct progress *p, bool force_off)
{
	p->enabled = !force_off && isatty(STDERR_FILENO);
	p->start_ns = progress_now_ns();
	p->last_ns = 0;
}

void progress_update(struct progress *p, const char *what, uint64_t frames, uint64_t queries)
{
	if (!p->enabled)
		return;
	uint64_t now = progress_now_ns();
	if (now - p->last_ns < PROGRESS_REDRAW_NS)
		return;
	p->last_ns = now;
	double secs = (double)(now - p->start_ns) / 1e9;
	fprintf(stderr, "\r\033[K%s: %llu frames, %llu queries, %.0f frames/s", what,
	        (unsigned long long)frames, (unsigned long long)queries,
	        secs > 0 ? (double)frames / secs : 0.0);
	fflush(stderr);
}

void progress_step(struct progress *p, const char *what)
{
	if (!p->enabled)
		return;
	fprintf(stderr, "\r\033[K%s ...", what);
	fflush(stderr);
}

void progress_done(struct progress *p)
{
	if (p->enabled)
		fputs("\r\033[K", stderr);
}
