/*
 * frame.h - the one frame interface between capture sources and the analyzer.
 *
 * Every source (pcap/pcapng file, live libpcap, eBPF ring buffer) produces a
 * stream of these. The bytes are owned by the source and stay valid only
 * until the next call that reads a frame from the same source.
 */
#ifndef DCV_FRAME_H
#define DCV_FRAME_H

#include <stdint.h>

struct cap_frame {
	uint64_t ts_ns;      /* capture time, nanoseconds since the Unix epoch */
	const uint8_t *data; /* first caplen bytes of the frame */
	uint32_t caplen;     /* bytes captured (may be less than wirelen) */
	uint32_t wirelen;    /* bytes on the wire */
	int linktype;        /* DLT_* / LINKTYPE_* value of the frame */
	uint32_t flags;      /* CAP_FRAME_* (0 for every packet capture) */
};

/* flags: the frame is one UDP datagram standing for one whole DNS message
 * that reached the server over a stream transport (TCP, DoT, DoH, ...). Set
 * only by sources that log messages rather than packets (dnstap.h): the
 * analyzer counts the message as TCP and tracks no session for it. */
#define CAP_FRAME_STREAM 0x1u

#endif
