/* watch_pcap.c - rotating pcap files of the captured frames (watch_pcap.h). */
#include "watch_pcap.h"

#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Same-second file names tried before giving up. */
#define WATCH_PCAP_NAME_TRIES 1000

struct watch_pcap {
	char *dir;
	uint64_t rotate_bytes, rotate_ns;
	pcap_t *dead;        /* pcap_open_dead() handle of the current link type */
	pcap_dumper_t *dump; /* current file; NULL when none is open */
	int linktype;
	uint64_t opened_ns; /* wall clock when the current file was opened */
	uint64_t bytes;     /* written to the current file, headers included */
	unsigned files;
};

struct watch_pcap *watch_pcap_new(const char *dir, uint64_t rotate_bytes, uint64_t rotate_ns,
                                  char *err, size_t errlen)
{
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return NULL;
	}
	struct watch_pcap *w = calloc(1, sizeof(*w));
	if (w == NULL || (w->dir = strdup(dir)) == NULL) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->rotate_bytes = rotate_bytes;
	w->rotate_ns = rotate_ns;
	w->linktype = -1;
	return w;
}

static void close_file(struct watch_pcap *w)
{
	if (w->dump != NULL)
		pcap_dump_close(w->dump);
	w->dump = NULL;
}

static int open_file(struct watch_pcap *w, int linktype, uint64_t now_ns, char *err, size_t errlen)
{
	close_file(w);
	if (w->dead == NULL || w->linktype != linktype) {
		if (w->dead != NULL)
			pcap_close(w->dead);
		w->dead = pcap_open_dead_with_tstamp_precision(linktype, WATCH_PCAP_SNAPLEN,
		                                               PCAP_TSTAMP_PRECISION_NANO);
		if (w->dead == NULL) {
			snprintf(err, errlen, "pcap_open_dead: out of memory");
			return -1;
		}
		w->linktype = linktype;
	}
	time_t secs = (time_t)(now_ns / 1000000000ULL);
	struct tm tm;
	char stamp[32], path[PATH_MAX];
	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned i = 0; i < WATCH_PCAP_NAME_TRIES; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s/dcvscope-%s.pcap", w->dir, stamp);
		else
			snprintf(path, sizeof(path), "%s/dcvscope-%s-%u.pcap", w->dir, stamp, i);
		if (access(path, F_OK) != 0)
			break;
	}
	w->dump = pcap_dump_open(w->dead, path);
	if (w->dump == NULL) {
		snprintf(err, errlen, "%s", pcap_geterr(w->dead));
		return -1;
	}
	w->opened_ns = now_ns;
	w->bytes = 24; /* file header */
	w->files++;
	return 0;
}

int watch_pcap_write(struct watch_pcap *w, const struct cap_frame *f, uint64_t now_ns, char *err,
                     size_t errlen)
{
	bool rotate =
	    w->dump == NULL || w->linktype != f->linktype ||
	    (w->rotate_bytes != 0 && w->bytes + 16 + f->caplen > w->rotate_bytes &&
	     w->bytes > 24) ||
	    (w->rotate_ns != 0 && now_ns >= w->opened_ns && now_ns - w->opened_ns >= w->rotate_ns);
	if (rotate && open_file(w, f->linktype, now_ns, err, errlen) != 0)
		return -1;
	struct pcap_pkthdr h;
	/* with nanosecond precision the dumper reads tv_usec as nanoseconds */
	h.ts.tv_sec = (time_t)(f->ts_ns / 1000000000ULL);
	h.ts.tv_usec = (suseconds_t)(f->ts_ns % 1000000000ULL);
	h.caplen = f->caplen;
	h.len = f->wirelen;
	pcap_dump((u_char *)w->dump, &h, f->data);
	w->bytes += 16 + f->caplen;
	return 0;
}

int watch_pcap_flush(struct watch_pcap *w)
{
	return w->dump != NULL ? pcap_dump_flush(w->dump) : 0;
}

unsigned watch_pcap_files(const struct watch_pcap *w)
{
	return w->files;
}

void watch_pcap_free(struct watch_pcap *w)
{
	if (w == NULL)
		return;
	close_file(w);
	if (w->dead != NULL)
		pcap_close(w->dead);
	free(w->dir);
	free(w);
}
