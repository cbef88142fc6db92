/*
 * dnstap_file.h - dnstap Frame Streams files (what Knot's mod-dnstap,
 * BIND's dnstap-output file, NSD and Unbound write) as a frame source.
 *
 * Files are read with libfstrm's reader, which checks the content type
 * (DNSTAP_CONTENT_TYPE). Each data frame goes through cap_dnstap_decode()
 * (dnstap.h): messages the analysis uses come out as frames, every other
 * payload is counted in the source's struct cap_dnstap_stats. A file cut short
 * is not fatal for what came before: those frames are delivered, then
 * cap_dnstap_file_next() reports the error with how far the file was read.
 * Frames come out in time order: a log is only roughly ordered (each
 * server worker queues its own messages), so they pass through a
 * frame_order window (frame_order.h) first; what was out of order is
 * counted in the stats. A log that lacks the closing STOP frame (the server is still writing it,
 * or stopped uncleanly) is reported the same way: its end is not known.
 */
#ifndef DCV_DNSTAP_FILE_H
#define DCV_DNSTAP_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "dnstap.h"
#include "frame.h"
#include "pcap_file.h" /* enum cap_next, CAP_ERR_MAX */

struct cap_dnstap_file;

/*
 * cap_dnstap_file_open() opens path ("-" = standard input) as a dnstap
 * Frame Streams file. Returns
 * the handle, or NULL with a message naming the file in err: cannot be
 * opened, not a Frame Streams file, or another content type (named).
 */
struct cap_dnstap_file *cap_dnstap_file_open(const char *path, char *err, size_t errlen);

/*
 * cap_dnstap_file_next() delivers the next message the analysis uses as a
 * frame (enum cap_next); payloads it does not use are counted on the way.
 * Frame bytes stay valid until the next call.
 */
int cap_dnstap_file_next(struct cap_dnstap_file *f, struct cap_frame *out);

/* cap_dnstap_file_error() describes the last CAP_NEXT_ERROR: file name and
 * how many data frames were read. Never NULL. */
const char *cap_dnstap_file_error(const struct cap_dnstap_file *f);

/* cap_dnstap_file_frames() returns how many frames were delivered so far. */
uint64_t cap_dnstap_file_frames(const struct cap_dnstap_file *f);

/* cap_dnstap_file_stats() returns the payload counters so far, with the
 * order counters as of the last cap_dnstap_file_next() (never NULL). */
const struct cap_dnstap_stats *cap_dnstap_file_stats(const struct cap_dnstap_file *f);

/* cap_dnstap_file_close() closes the file. NULL is a no-op. */
void cap_dnstap_file_close(struct cap_dnstap_file *f);

#endif
