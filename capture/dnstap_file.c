/* dnstap_file.c - dnstap Frame Streams files through libfstrm's file reader. */
#include "dnstap_file.h"

#include <errno.h>
#include <stdbool.h>
#include <fstrm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_order.h"

struct cap_dnstap_file {
	struct fstrm_reader *reader;
	FILE *fp;
	char *path; /* as given; "-" = standard input */
	uint64_t frames;
	uint64_t offset; /* file bytes handed to fstrm */
	int eof;         /* 0, EOF_AT_FRAME or EOF_IN_FRAME */
	int read_errno;  /* a read error's errno, 0 if none */
	struct cap_dnstap_stats stats;
	struct cap_dnstap_buf *buf;
	struct cap_frame_order *order; /* frames waiting to be delivered in time order */
	bool ended;                    /* the file ended: end_rc says how */
	int end_rc;                    /* CAP_NEXT_EOF or CAP_NEXT_ERROR */
	char error[CAP_ERR_MAX];
};

/*
 * libfstrm's own file reader ends a file cut short as if it had ended
 * cleanly. So the file is read through an fstrm_rdwr of ours, which
 * remembers where the bytes ran out: a clean end is the STOP control frame
 * a writer puts at the end; running out before it means the server is
 * still writing, stopped uncleanly, or the file was cut.
 */
enum { EOF_NONE = 0, EOF_AT_FRAME = 1, EOF_IN_FRAME = 2 };

static fstrm_res rdwr_noop(void *obj)
{
	(void)obj;
	return fstrm_res_success;
}

static fstrm_res rdwr_read(void *obj, void *data, size_t count)
{
	struct cap_dnstap_file *f = obj;
	size_t got = fread(data, 1, count, f->fp);
	f->offset += got;
	if (got == count)
		return fstrm_res_success;
	if (ferror(f->fp)) {
		f->read_errno = errno ? errno : EIO;
		return fstrm_res_failure;
	}
	/* fstrm reads a frame's length word, then its body: running out at
	 * the start of a length word is the end of the last whole frame */
	f->eof = got == 0 && count == sizeof(uint32_t) ? EOF_AT_FRAME : EOF_IN_FRAME;
	return fstrm_res_stop;
}

static const char *display_name(const struct cap_dnstap_file *f)
{
	return strcmp(f->path, "-") == 0 ? "<stdin>" : f->path;
}

/*
 * The start of a Frame Streams file (fstrm's control.h): a zero "escape"
 * length, the control frame length, then the control type START with an
 * optional CONTENT_TYPE field. Read by hand only to say why fstrm refused
 * a file: another content type, or not Frame Streams at all.
 */
enum {
	FSTRM_HEAD_WORDS = 5,    /* escape, length, START, field type, field length */
	CONTENT_TYPE_SHOWN = 64, /* bytes of a foreign content type quoted */
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The first word of pcap (microsecond and nanosecond, either byte order)
 * and pcapng files. */
static bool looks_like_pcap(uint32_t magic)
{
	return magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
	       magic == 0x4d3cb2a1 || magic == 0x0a0d0d0a;
}

/* Why fstrm could not open path, as well as the file itself tells. */
static void explain_open_failure(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return;
	}
	uint8_t head[FSTRM_HEAD_WORDS * 4];
	char type[CONTENT_TYPE_SHOWN + 1] = "";
	size_t n = fread(head, 1, sizeof(head), fp);
	bool is_fstrm =
	    n == sizeof(head) && be32(head) == 0 && be32(head + 8) == FSTRM_CONTROL_START;
	if (is_fstrm && be32(head + 12) == FSTRM_CONTROL_FIELD_CONTENT_TYPE) {
		uint32_t tlen = be32(head + 16);
		size_t want = tlen < CONTENT_TYPE_SHOWN ? tlen : CONTENT_TYPE_SHOWN;
		size_t got = fread(type, 1, want, fp);
		type[got] = '\0';
		for (size_t i = 0; i < got; i++)
			if (type[i] < 0x20 || type[i] > 0x7e)
				type[i] = '?';
	}
	fclose(fp);
	if (!is_fstrm)
		snprintf(err, errlen, "%s: not a Frame Streams (dnstap) file%s", path,
		         n >= 4 && looks_like_pcap(be32(head))
		             ? " (it looks like a pcap/pcapng capture: analyze it without --dnstap)"
		             : "");
	else if (type[0])
		snprintf(err, errlen, "%s: Frame Streams content type is \"%s\", not \"%s\"", path,
		         type, DNSTAP_CONTENT_TYPE);
	else
		snprintf(err, errlen, "%s: Frame Streams file without content type \"%s\"", path,
		         DNSTAP_CONTENT_TYPE);
}

struct cap_dnstap_file *cap_dnstap_file_open(const char *path, char *err, size_t errlen)
{
	struct fstrm_reader_options *ropt = NULL;
	struct fstrm_rdwr *rdwr = NULL;
	bool is_stdin = strcmp(path, "-") == 0;
	struct cap_dnstap_file *f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto oom;
	f->path = strdup(path);
	f->buf = malloc(sizeof(*f->buf));
	f->order = cap_frame_order_new(0, 0);
	ropt = fstrm_reader_options_init();
	rdwr = fstrm_rdwr_init(f);
	if (f->path == NULL || f->buf == NULL || f->order == NULL || ropt == NULL || rdwr == NULL)
		goto oom;
	f->fp = is_stdin ? stdin : fopen(path, "rb");
	if (f->fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstrm_reader_options_add_content_type(ropt, DNSTAP_CONTENT_TYPE,
	                                          strlen(DNSTAP_CONTENT_TYPE)) != fstrm_res_success)
		goto oom;
	fstrm_rdwr_set_open(rdwr, rdwr_noop);
	fstrm_rdwr_set_close(rdwr, rdwr_noop);
	fstrm_rdwr_set_read(rdwr, rdwr_read);
	f->reader = fstrm_reader_init(ropt, &rdwr); /* owns rdwr from here on */
	if (f->reader == NULL)
		goto oom;
	if (fstrm_reader_open(f->reader) != fstrm_res_success) {
		if (is_stdin)
			snprintf(err, errlen,
			         "<stdin>: not a Frame Streams file with content type %s",
			         DNSTAP_CONTENT_TYPE);
		else
			explain_open_failure(path, err, errlen);
		goto fail;
	}
	fstrm_reader_options_destroy(&ropt);
	return f;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	fstrm_reader_options_destroy(&ropt);
	if (rdwr != NULL)
		fstrm_rdwr_destroy(&rdwr);
	cap_dnstap_file_close(f);
	return NULL;
}

/* Reads payloads until one becomes a frame (held in f->order) or the file
 * ends (f->end_rc set, f->error for CAP_NEXT_ERROR). */
static void read_one(struct cap_dnstap_file *f)
{
	for (;;) {
		const uint8_t *data;
		size_t len;
		struct cap_frame fr;
		fstrm_res res = fstrm_reader_read(f->reader, &data, &len);
		if (res == fstrm_res_success) {
			if (cap_dnstap_decode(data, len, f->buf, &fr, NULL, &f->stats) !=
			    DNSTAP_FRAME)
				continue;
			if (cap_frame_order_push(f->order, &fr) == 0)
				return;
			snprintf(f->error, sizeof(f->error),
			         "%s: out of memory after %llu dnstap messages", display_name(f),
			         (unsigned long long)f->stats.payloads);
			f->ended = true;
			f->end_rc = CAP_NEXT_ERROR;
			return;
		}
		f->ended = true;
		if (res == fstrm_res_stop && f->eof == EOF_NONE) {
			f->end_rc = CAP_NEXT_EOF; /* the STOP frame */
			return;
		}
		const char *why =
		    f->eof == EOF_AT_FRAME
		        ? "the log ends without the STOP frame a server writes when it closes it "
		          "(still being written, or the server stopped uncleanly)"
		    : f->eof == EOF_IN_FRAME ? "the file ends inside a frame (cut short)"
		    : f->read_errno          ? strerror(f->read_errno)
		                             : "corrupt Frame Streams data";
		snprintf(
		    f->error, sizeof(f->error),
		    "%s: read stopped after %llu dnstap messages (at byte %llu of the file): %s",
		    display_name(f), (unsigned long long)f->stats.payloads,
		    (unsigned long long)f->offset, why);
		f->end_rc = CAP_NEXT_ERROR;
		return;
	}
}

/* The order counters live in f->order; f->stats gets a copy. */
static void sync_order_stats(struct cap_dnstap_file *f)
{
	const struct cap_frame_order_stats *os = cap_frame_order_get_stats(f->order);
	f->stats.out_of_order = os->out_of_order;
	f->stats.released_early = os->released_early;
}

int cap_dnstap_file_next(struct cap_dnstap_file *f, struct cap_frame *out)
{
	for (;;) {
		bool ended = f->ended;
		if (cap_frame_order_pop(f->order, out, ended)) {
			f->frames++;
			sync_order_stats(f);
			return CAP_NEXT_FRAME;
		}
		if (ended) {
			sync_order_stats(f);
			return f->end_rc;
		}
		read_one(f);
	}
}

const char *cap_dnstap_file_error(const struct cap_dnstap_file *f)
{
	return f->error;
}

uint64_t cap_dnstap_file_frames(const struct cap_dnstap_file *f)
{
	return f->frames;
}

const struct cap_dnstap_stats *cap_dnstap_file_stats(const struct cap_dnstap_file *f)
{
	return &f->stats;
}

void cap_dnstap_file_close(struct cap_dnstap_file *f)
{
	if (f == NULL)
		return;
	if (f->reader != NULL)
		fstrm_reader_destroy(&f->reader);
	if (f->fp != NULL && f->fp != stdin)
		fclose(f->fp);
	cap_frame_order_free(f->order);
	free(f->buf);
	free(f->path);
	free(f);
}
