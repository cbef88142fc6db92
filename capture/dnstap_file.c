/* dnstap_file.c - dnstap Frame Streams files through libfstrm's file reader. */
#include "dnstap_file.h"

#include <errno.h>
#include <stdbool.h>
#include <fstrm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cap_dnstap_file {
	struct fstrm_reader *reader;
	char *path;
	uint64_t frames;
	struct dnstap_stats stats;
	struct dnstap_buf *buf;
	char error[CAP_ERR_MAX];
};

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
		         n >= 4 && (be32(head) == 0xa1b2c3d4 || be32(head) == 0xd4c3b2a1 ||
		                    be32(head) == 0x0a0d0d0a)
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
	struct fstrm_file_options *fopt = NULL;
	struct fstrm_reader_options *ropt = NULL;
	struct cap_dnstap_file *f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto oom;
	f->path = strdup(path);
	f->buf = malloc(sizeof(*f->buf));
	fopt = fstrm_file_options_init();
	ropt = fstrm_reader_options_init();
	if (f->path == NULL || f->buf == NULL || fopt == NULL || ropt == NULL)
		goto oom;
	fstrm_file_options_set_file_path(fopt, path);
	if (fstrm_reader_options_add_content_type(ropt, DNSTAP_CONTENT_TYPE,
	                                          strlen(DNSTAP_CONTENT_TYPE)) != fstrm_res_success)
		goto oom;
	f->reader = fstrm_file_reader_init(fopt, ropt);
	if (f->reader == NULL || fstrm_reader_open(f->reader) != fstrm_res_success) {
		explain_open_failure(path, err, errlen);
		goto fail;
	}
	fstrm_file_options_destroy(&fopt);
	fstrm_reader_options_destroy(&ropt);
	return f;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	fstrm_file_options_destroy(&fopt);
	fstrm_reader_options_destroy(&ropt);
	cap_dnstap_file_close(f);
	return NULL;
}

int cap_dnstap_file_next(struct cap_dnstap_file *f, struct cap_frame *out)
{
	for (;;) {
		const uint8_t *data;
		size_t len;
		fstrm_res res = fstrm_reader_read(f->reader, &data, &len);
		if (res == fstrm_res_stop)
			return CAP_NEXT_EOF;
		if (res != fstrm_res_success) {
			snprintf(
			    f->error, sizeof(f->error),
			    "%s: read stopped after %llu dnstap messages: truncated or corrupt "
			    "Frame Streams data",
			    f->path, (unsigned long long)f->stats.payloads);
			return CAP_NEXT_ERROR;
		}
		if (dnstap_decode(data, len, f->buf, out, NULL, &f->stats) == DNSTAP_FRAME) {
			f->frames++;
			return CAP_NEXT_FRAME;
		}
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

const struct dnstap_stats *cap_dnstap_file_stats(const struct cap_dnstap_file *f)
{
	return &f->stats;
}

void cap_dnstap_file_close(struct cap_dnstap_file *f)
{
	if (f == NULL)
		return;
	if (f->reader != NULL)
		fstrm_reader_destroy(&f->reader);
	free(f->buf);
	free(f->path);
	free(f);
}
