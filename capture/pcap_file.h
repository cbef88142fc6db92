/*
 * pcap_file.h - captures from pcap and pcapng files (or stdin) via libpcap.
 *
 * A truncated or corrupt file is not fatal for what came before it: frames
 * read before the damage are delivered, then cap_file_next() reports the
 * error with the file name and how far the file was read.
 */
#ifndef DCV_PCAP_FILE_H
#define DCV_PCAP_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define CAP_ERR_MAX 512

struct cap_file;

/* Result codes of cap_file_next(). */
enum cap_next {
	CAP_NEXT_FRAME = 1, /* *out holds a frame */
	CAP_NEXT_EOF = 0,   /* clean end of file */
	CAP_NEXT_ERROR = -1 /* read error or corrupt data; see cap_file_error() */
};

/*
 * cap_file_open() opens path ("-" = standard input) as pcap or pcapng.
 * Returns the handle, or NULL with a message naming the file in err.
 */
struct cap_file *cap_file_open(const char *path, char *err, size_t errlen);

/* cap_file_next() reads the next frame; frame bytes stay valid until the next call. */
int cap_file_next(struct cap_file *f, struct cap_frame *out);

/* cap_file_error() describes the last CAP_NEXT_ERROR: file name, frames read,
 * byte offset reached, and libpcap's message. Never NULL. */
const char *cap_file_error(const struct cap_file *f);

/* cap_file_linktype() returns the file's (first interface's) link type. */
int cap_file_linktype(const struct cap_file *f);

/* cap_file_frames() returns how many frames were read so far. */
uint64_t cap_file_frames(const struct cap_file *f);

/* cap_file_close() closes the file. NULL is a no-op. */
void cap_file_close(struct cap_file *f);

#endif
