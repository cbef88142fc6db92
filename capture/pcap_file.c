/* pcap_file.c - pcap and pcapng files (or stdin) through libpcap. */
#include "pcap_file.h"

#include "pcapng_read.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

struct cap_file {
	pcap_t *pcap;
	char *path;
	char *iobuf;    /* the stream's stdio buffer (files; stdin has its own) */
	char *ng_iobuf; /* ng_fp's */
	uint64_t frames;
	uint64_t bytes_read; /* file bytes consumed: record headers + captured data */
	int nano;            /* timestamps are nanoseconds */
	int pcapng;          /* pcapng: bytes_read is only a lower bound */
	/* a pcapng file with several link types, which libpcap refuses, is
	 * read again by pcapng_read.c from where libpcap stopped */
	struct pcapng_reader *ng;
	FILE *ng_fp;
	char error[CAP_ERR_MAX];
};

/* The end of libpcap's message for an interface whose link type differs
 * from the first one's (sf-pcapng.c). */
#define PCAPNG_MIXED_LINKTYPES "different from the type of the first interface"

/* pcap file and record header sizes: for pcap files bytes_read is exact.
 * pcapng blocks vary in size, so for pcapng the error offset comes from the
 * stream position instead (libpcap reports pcapng as version 1.0). */
enum { PCAP_FILE_HEADER_SIZE = 24, PCAP_RECORD_HEADER_SIZE = 16, PCAPNG_VERSION_MAJOR = 1 };

/* stdio buffer of a capture stream. The default is the file system's
 * block size (4 KiB): one read() system call per 4 KiB, 213,000 for the
 * 5M-packet bench capture, which cost a bare libpcap loop 0.62 s instead
 * of 0.33 s (1 MiB: 0.31 s, 64 KiB: 0.38 s) on a virtual machine where
 * system calls are dear. */
#define CAP_FILE_IOBUF (256u << 10)

/* Files open at once with such a buffer: analyze opens every input before
 * reading the first, and opening fills the buffer; beyond these the
 * default buffer keeps a thousand inputs from taking 256 MiB. */
#define CAP_FILE_IOBUFS_MAX 64
static unsigned iobufs_live;

/* Buffer of stdin, which libpcap never closes: it must live as long as
 * the process, and is given only before stdin's first read. */
static char stdin_iobuf[CAP_FILE_IOBUF];
static bool stdin_buffered;

/* Opens path ("-": stdin) for libpcap with a large stdio buffer (*iobuf,
 * owned by the caller after fclose) and without stdio locking: libpcap
 * reads every record with two fread() calls, and one thread reads a
 * capture file. NULL with errno set. */
static FILE *open_stream(const char *path, char **iobuf)
{
	*iobuf = NULL;
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *fp = is_stdin ? stdin : fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	char *buf = NULL; /* none: stdio's own buffer will do */
	if (is_stdin) {
		buf = stdin_buffered ? NULL : stdin_iobuf;
		stdin_buffered = true;
	} else if (iobufs_live < CAP_FILE_IOBUFS_MAX && (buf = malloc(CAP_FILE_IOBUF)) != NULL) {
		*iobuf = buf;
		iobufs_live++;
	}
	if (buf != NULL)
		setvbuf(fp, buf, _IOFBF, CAP_FILE_IOBUF);
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	return fp;
}

struct cap_file *cap_file_open(const char *path, char *err, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct cap_file *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	f->path = strdup(path);
	if (f->path == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(f);
		return NULL;
	}
	FILE *fp = open_stream(path, &f->iobuf);
	if (fp != NULL) {
		f->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO,
		                                                   pcap_err);
		if (f->pcap == NULL && fp != stdin)
			fclose(fp); /* libpcap closes it only once it has taken it */
	}
	if (f->pcap == NULL) {
		snprintf(err, errlen, "%s: %s", strcmp(path, "-") == 0 ? "<stdin>" : path,
		         pcap_err[0] ? pcap_err : strerror(errno));
		iobufs_live -= f->iobuf != NULL;
		free(f->iobuf);
		free(f->path);
		free(f);
		return NULL;
	}
	f->nano = pcap_get_tstamp_precision(f->pcap) == PCAP_TSTAMP_PRECISION_NANO;
	f->pcapng = pcap_major_version(f->pcap) == PCAPNG_VERSION_MAJOR;
	f->bytes_read = PCAP_FILE_HEADER_SIZE;
	return f;
}

/* Reads the file again with pcapng_read.c, past the frames libpcap
 * delivered. Returns 0, or -1 with f->error set. */
static int switch_to_own_reader(struct cap_file *f, const char *name)
{
	f->ng_fp = open_stream(f->path, &f->ng_iobuf);
	f->ng = f->ng_fp != NULL ? pcapng_open(f->ng_fp) : NULL;
	if (f->ng == NULL) {
		snprintf(f->error, sizeof(f->error), "%s: cannot read it again: %s", name,
		         f->ng_fp == NULL ? strerror(errno) : "out of memory");
		return -1;
	}
	struct cap_frame skip;
	for (uint64_t i = 0; i < f->frames; i++)
		if (pcapng_next(f->ng, &skip) != 1) {
			snprintf(
			    f->error, sizeof(f->error),
			    "%s: read stopped after %llu frames: the file changed while read: %s",
			    name, (unsigned long long)f->frames, pcapng_error(f->ng));
			return -1;
		}
	return 0;
}

static int own_reader_next(struct cap_file *f, struct cap_frame *out, const char *name)
{
	int rc = pcapng_next(f->ng, out);
	if (rc == 1) {
		f->frames++;
		return CAP_NEXT_FRAME;
	}
	if (rc == 0)
		return CAP_NEXT_EOF;
	snprintf(f->error, sizeof(f->error), "%s: read stopped after %llu frames: %s", name,
	         (unsigned long long)f->frames, pcapng_error(f->ng));
	return CAP_NEXT_ERROR;
}

int cap_file_next(struct cap_file *f, struct cap_frame *out)
{
	const char *name = strcmp(f->path, "-") == 0 ? "<stdin>" : f->path;
	if (f->ng != NULL)
		return own_reader_next(f, out, name);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(f->pcap, &h, &data);
	if (rc == 1) {
		uint64_t sub = (uint64_t)h->ts.tv_usec;
		out->ts_ns =
		    (uint64_t)h->ts.tv_sec * 1000000000ULL + (f->nano ? sub : sub * 1000ULL);
		out->data = data;
		out->caplen = h->caplen;
		out->wirelen = h->len;
		out->linktype = pcap_datalink(f->pcap);
		out->flags = 0;
		f->frames++;
		f->bytes_read += PCAP_RECORD_HEADER_SIZE + h->caplen;
		return CAP_NEXT_FRAME;
	}
	if (rc == PCAP_ERROR_BREAK)
		return CAP_NEXT_EOF;
	/* several link types in one pcapng file: every frame carries its own,
	 * so the file is read on past libpcap's refusal (not standard input,
	 * which cannot be read again) */
	bool mixed = f->pcapng && strstr(pcap_geterr(f->pcap), PCAPNG_MIXED_LINKTYPES) != NULL;
	if (mixed && strcmp(f->path, "-") != 0)
		return switch_to_own_reader(f, name) == 0 ? own_reader_next(f, out, name)
		                                          : CAP_NEXT_ERROR;
	/* rc == PCAP_ERROR: truncated record, bad record length, bad block ...
	 * pcap: the offset where the bad record starts. pcapng: how far
	 * libpcap read (stdin cannot tell; then the pcap-sized lower bound). */
	long pos = f->pcapng ? ftell(pcap_file(f->pcap)) : -1;
	const char *hint = mixed ? " (several link types are read from a named file, not from "
	                           "standard input)"
	                         : "";
	if (pos >= 0)
		snprintf(f->error, sizeof(f->error),
		         "%s: read stopped after %llu frames (at byte %ld of the file): %s%s", name,
		         (unsigned long long)f->frames, pos, pcap_geterr(f->pcap), hint);
	else
		snprintf(f->error, sizeof(f->error),
		         "%s: read stopped after %llu frames (%s%llu bytes into the file): %s%s",
		         name, (unsigned long long)f->frames, f->pcapng ? "at least " : "",
		         (unsigned long long)f->bytes_read, pcap_geterr(f->pcap), hint);
	return CAP_NEXT_ERROR;
}

const char *cap_file_error(const struct cap_file *f)
{
	return f->error;
}

int cap_file_linktype(const struct cap_file *f)
{
	return pcap_datalink(f->pcap);
}

uint64_t cap_file_frames(const struct cap_file *f)
{
	return f->frames;
}

void cap_file_close(struct cap_file *f)
{
	if (f == NULL)
		return;
	pcap_close(f->pcap); /* closes the file, which no longer uses iobuf */
	iobufs_live -= f->iobuf != NULL;
	free(f->iobuf);
	pcapng_close(f->ng);
	if (f->ng_fp != NULL)
		fclose(f->ng_fp);
	iobufs_live -= f->ng_iobuf != NULL;
	free(f->ng_iobuf);
	free(f->path);
	free(f);
}
