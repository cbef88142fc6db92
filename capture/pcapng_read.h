/*
 * pcapng_read.h - a pcapng reader for the files libpcap refuses: sections
 * whose interfaces have different link types (dumpcap on an Ethernet and a
 * tunnel interface, mergecap of captures from different hosts). libpcap
 * reads every other capture file (pcap_file.c); it stops at the first
 * interface whose link type differs from the first one's, and
 * pcap_file.c then reads the file again with this reader.
 *
 * Blocks read: Section Header, Interface Description (link type, snap
 * length, if_tsresol, if_tsoffset), Enhanced Packet, Simple Packet and the
 * obsolete Packet block; every other block is skipped. Every frame carries
 * its interface's link type. Every length is checked against its block, a
 * block against PCAPNG_BLOCK_MAX; damage ends the read with a message that
 * says where (frames read before it are delivered).
 */
#ifndef DCV_PCAPNG_READ_H
#define DCV_PCAPNG_READ_H

#include <stdint.h>
#include <stdio.h>

#include "frame.h"

/* The largest block read (libpcap's own limit for a pcapng block). */
#define PCAPNG_BLOCK_MAX (16u << 20)

struct pcapng_reader;

/* pcapng_open() reads pcapng from fp (not closed by the reader), from its
 * current position, which must be the start of a Section Header Block.
 * NULL when out of memory. */
struct pcapng_reader *pcapng_open(FILE *fp);

/* pcapng_next() reads the next frame into *out: 1 a frame, 0 the end of
 * the file, -1 damage or a read error (pcapng_error()). The frame's bytes
 * stay valid until the next call. */
int pcapng_next(struct pcapng_reader *r, struct cap_frame *out);

/* pcapng_error() says what ended the read and at which byte of the file
 * (counted from where pcapng_open() started). Never NULL. */
const char *pcapng_error(const struct pcapng_reader *r);

/* pcapng_close() frees the reader. NULL is a no-op. */
void pcapng_close(struct pcapng_reader *r);

#endif
