/*
 * pcap_live.h - live capture through libpcap: immediate mode, a
 * configurable kernel buffer and a kernel BPF filter for the DNS ports (also
 * behind one or two VLAN tags, and non-first IP fragments, which carry no
 * ports). Drops come from pcap_stats().
 *
 * Immediate mode makes libpcap (1.10, pcap-linux.c) use TPACKET_V2, not
 * TPACKET_V3, whose blocks would hold packets back until a block fills or
 * times out. TPACKET_V2's ring has fixed frame slots sized from the snap
 * length; on an interface with offloads (GRO/TSO) libpcap keeps 64 KiB
 * slots, so the default buffer holds only a few hundred packets. A smaller
 * --snaplen or a larger --buffer raises the rate it keeps up with
 * (tools/bench/capture_bench.sh measures both); the eBPF source has no such
 * limit.
 */
#ifndef DCV_PCAP_LIVE_H
#define DCV_PCAP_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "live.h"

#define CAP_PCAP_SNAPLEN_DEFAULT 65535u      /* whole packets */
#define CAP_PCAP_BUFFER_DEFAULT  (16u << 20) /* kernel ring, bytes */
#define CAP_PCAP_FILTER_MAX      1024        /* bytes of the filter expression */

struct cap_pcap_live;

/* cap_pcap_live_open() opens opts->ifname (ports, snaplen, buffer_bytes are
 * used). Returns NULL with the reason in err. */
struct cap_pcap_live *cap_pcap_live_open(const struct cap_live_opts *opts, char *err,
                                         size_t errlen);

/* cap_pcap_live_filter() writes the filter expression used for these ports
 * into buf; returns 0, or -1 if it does not fit. */
int cap_pcap_live_filter(const uint16_t *ports, unsigned n_ports, char *buf, size_t len);

/* cap_pcap_live_next(): as cap_live_next(). */
int cap_pcap_live_next(struct cap_pcap_live *p, struct cap_frame *out, int timeout_ms);

/* cap_pcap_live_get_stats(): as cap_live_get_stats(). */
int cap_pcap_live_get_stats(struct cap_pcap_live *p, struct cap_live_stats *out);

/* cap_pcap_live_linktype() returns the interface's link type. */
int cap_pcap_live_linktype(const struct cap_pcap_live *p);

/* cap_pcap_live_error() describes the last error. Never NULL. */
const char *cap_pcap_live_error(const struct cap_pcap_live *p);

/* cap_pcap_live_close() closes the capture. NULL is a no-op. */
void cap_pcap_live_close(struct cap_pcap_live *p);

#endif
