/*
 * watch_pcap.h - the raw evidence of a live capture: frames written to pcap
 * files (libpcap dumper, nanosecond timestamps, the capture's link type),
 * rotated by size and/or time. Files are named
 *   DIR/dcvscope-YYYYmmddTHHMMSSZ.pcap      (UTC time the file was opened)
 * with "-N" before ".pcap" when that name is taken.
 */
#ifndef DCV_WATCH_PCAP_H
#define DCV_WATCH_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* Snap length written in the file headers: the longest frame any source delivers. */
#define WATCH_PCAP_SNAPLEN 262144

struct watch_pcap;

/* watch_pcap_new() prepares a writer into dir (created if missing; no file is
 * opened before the first frame). rotate_bytes / rotate_ns: 0 = no limit.
 * Returns NULL with the reason in err. */
struct watch_pcap *watch_pcap_new(const char *dir, uint64_t rotate_bytes, uint64_t rotate_ns,
                                  char *err, size_t errlen);

/* watch_pcap_write() appends a frame, first opening a new file when none is
 * open, the link type changed or a rotation limit was reached. now_ns is the
 * frame's capture time, so files split where the packets were captured, not
 * where the reader happened to wake up; a frame older than the open file's
 * start (records of several CPUs interleave) never starts a new file.
 * Returns 0, or -1 with the reason in err (the writer stays usable: the next
 * frame tries a new file). */
int watch_pcap_write(struct watch_pcap *w, const struct cap_frame *f, uint64_t now_ns, char *err,
                     size_t errlen);

/* watch_pcap_flush() pushes buffered frames to the file. Returns 0 or -1. */
int watch_pcap_flush(struct watch_pcap *w);

/* watch_pcap_files() returns how many files were opened so far. */
unsigned watch_pcap_files(const struct watch_pcap *w);

/* watch_pcap_free() closes the current file and frees the writer. NULL is a no-op. */
void watch_pcap_free(struct watch_pcap *w);

#endif
