/*
 * ebpf_source.h - live capture through the TC programs of bpf/dns_capture.bpf.c.
 *
 * The programs run on ingress and egress of one interface, copy DNS packets
 * (and non-first IP fragments) into a BPF ring buffer, and count every DNS
 * packet per client in an LRU map that stays exact when the ring overflows.
 *
 * Attachment and cleanup (no stale filters after a crash or kill -9):
 *  - tcx (kernel >= 6.6): the programs hang off bpf_links that only this
 *    process holds (never pinned), so the kernel detaches them when the
 *    process exits, however it exits.
 *  - tc (older kernels): a clsact qdisc and two filters with dcvscope's own
 *    handle and priority (CAP_EBPF_TC_HANDLE/PRIO). cap_ebpf_open() replaces
 *    a leftover filter of a crashed run (after checking it is ours by program
 *    name), and a marker file in the state directory remembers that dcvscope
 *    created the clsact qdisc, so the close of the next run removes it. A
 *    clsact that existed before us is never removed. One dcvscope per
 *    interface.
 */
#ifndef DCV_EBPF_SOURCE_H
#define DCV_EBPF_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "live.h"

#define CAP_EBPF_STATE_DIR     "/run/dcvscope"
#define CAP_EBPF_TC_HANDLE     0xdc5 /* tc filter handle of our programs */
#define CAP_EBPF_TC_PRIO       0xdc5 /* tc filter priority of our programs */
#define CAP_EBPF_MAX_SOURCES   65536 /* LRU entries by default */
#define CAP_EBPF_POLL_SLICE_MS 10    /* longest sleep between ring checks */

/* Kernel counters of the program (summed over CPUs). */
struct cap_ebpf_kstats {
	uint64_t seen;      /* packets the programs ran on */
	uint64_t matched;   /* DNS packets and passed fragments */
	uint64_t rb_drop;   /* matched but lost: ring buffer full */
	uint64_t fragments; /* non-first IP fragments passed */
	uint64_t src_fail;  /* per-source entry could not be created */
	uint64_t truncated; /* records cut by a snap length */
};

struct cap_ebpf;

/* cap_ebpf_open() loads the programs (tunables from opts), attaches them to
 * opts->ifname in the calling thread's network namespace and maps the ring
 * buffer. Returns NULL with the reason in err; nothing stays attached then. */
struct cap_ebpf *cap_ebpf_open(const struct cap_live_opts *opts, char *err, size_t errlen);

/* cap_ebpf_next(): as cap_live_next(). Timestamps are wall clock (the
 * kernel's CLOCK_MONOTONIC plus the REALTIME-MONOTONIC offset, re-read every
 * second). An offloaded VLAN tag is put back into the frame bytes. */
int cap_ebpf_next(struct cap_ebpf *e, struct cap_frame *out, int timeout_ms);

/* cap_ebpf_get_stats(): as cap_live_get_stats(). */
int cap_ebpf_get_stats(struct cap_ebpf *e, struct cap_live_stats *out);

/* cap_ebpf_kernel_stats() reads the program's counters; 0 or -1. */
int cap_ebpf_kernel_stats(struct cap_ebpf *e, struct cap_ebpf_kstats *out);

/* cap_ebpf_sources(): as cap_live_sources(). */
int cap_ebpf_sources(struct cap_ebpf *e, cap_src_fn fn, void *ctx);

/* cap_ebpf_attach_mode() returns "tcx" or "tc". */
const char *cap_ebpf_attach_mode(const struct cap_ebpf *e);

/* cap_ebpf_linktype() returns the link type of the frames (DLT_EN10MB, or
 * DLT_RAW on interfaces without a link header). */
int cap_ebpf_linktype(const struct cap_ebpf *e);

/* cap_ebpf_error() describes the last error. Never NULL. */
const char *cap_ebpf_error(const struct cap_ebpf *e);

/* cap_ebpf_close() detaches (tc: filters, and the clsact qdisc if dcvscope
 * created it) and frees everything. NULL is a no-op. */
void cap_ebpf_close(struct cap_ebpf *e);

#endif
