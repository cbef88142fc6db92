/* pcap_file.c - pcap and pcapng files (or stdin) through libpcap. */
#include "pcap_file.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cap_file {
	pcap_t *pcap;
	char *path;
	uint64_t frames;
	uint64_t bytes_read; /* file bytes consumed: record headers + captured data */
	int nano;            /* timestamps are nanoseconds */
	char error[CAP_ERR_MAX];
};

/* Record header size in both formats' common case; pcapng records are
 * larger, so the offset reported for pcapng is a lower bound. */
enum { PCAP_FILE_HEADER_SIZE = 24, PCAP_RECORD_HEADER_SIZE = 16 };

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
	if (strcmp(path, "-") == 0)
		f->pcap = pcap_fopen_offline_with_tstamp_precision(
		    stdin, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	else
		f->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
		                                                  pcap_err);
	if (f->pcap == NULL) {
		snprintf(err, errlen, "%s: %s", strcmp(path, "-") == 0 ? "<stdin>" : path,
		         pcap_err[0] ? pcap_err : strerror(errno));
		free(f->path);
		free(f);
		return NULL;
	}
	f->nano = pcap_get_tstamp_precision(f->pcap) == PCAP_TSTAMP_PRECISION_NANO;
	f->bytes_read = PCAP_FILE_HEADER_SIZE;
	return f;
}

int cap_file_next(struct cap_file *f, struct cap_frame *out)
{
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
		f->frames++;
		f->bytes_read += PCAP_RECORD_HEADER_SIZE + h->caplen;
		return CAP_NEXT_FRAME;
	}
	if (rc == PCAP_ERROR_BREAK)
		return CAP_NEXT_EOF;
	/* rc == PCAP_ERROR: truncated record, bad record length, bad block ... */
	snprintf(f->error, sizeof(f->error),
	         "%s: read stopped after %llu frames (about %llu bytes into the file): %s",
	         strcmp(f->path, "-") == 0 ? "<stdin>" : f->path, (unsigned long long)f->frames,
	         (unsigned long long)f->bytes_read, pcap_geterr(f->pcap));
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
	pcap_close(f->pcap);
	free(f->path);
	free(f);
}
