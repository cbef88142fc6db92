/*
 * live.h - live capture sources: one interface, frames as they arrive.
 *
 * Three sources implement it: the eBPF TC program with a ring buffer
 * (ebpf_source.h), live libpcap (pcap_live.h), and a dnstap Frame Streams
 * socket that the DNS server writes to (dnstap_socket.h; asked for by
 * name, never picked by CAP_LIVE_AUTO). cap_live_open() picks one
 * (CAP_LIVE_AUTO: eBPF when the kernel permits it, else libpcap) and says
 * which, and why, through cap_live_choice().
 *
 * Every source reports what it lost (struct cap_live_stats), so that coverage
 * is always known. Frame bytes are owned by the source and stay valid until
 * the next cap_live_next() or cap_live_close() on the same source.
 */
#ifndef DCV_LIVE_H
#define DCV_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "dnstap.h"
#include "frame.h"

#define CAP_LIVE_ERR_MAX      512
#define CAP_LIVE_MAX_PORTS    8  /* DNS ports one source matches */
#define CAP_LIVE_DEFAULT_PORT 53 /* used when n_ports == 0 */

enum cap_live_kind {
	CAP_LIVE_AUTO = 0, /* eBPF if it can be loaded and attached, else libpcap */
	CAP_LIVE_EBPF = 1,
	CAP_LIVE_PCAP = 2,
	CAP_LIVE_DNSTAP = 3, /* a dnstap socket (opts.dnstap_path), not an interface */
};

/* How the eBPF source attaches its programs. */
enum cap_ebpf_attach {
	CAP_EBPF_ATTACH_AUTO = 0, /* tcx link if the kernel has it (>= 6.6), else tc */
	CAP_EBPF_ATTACH_TCX = 1,  /* bpf_link: released by the kernel when we exit */
	CAP_EBPF_ATTACH_TC = 2,   /* clsact qdisc + filters: cleaned up on open/close */
};

/* Options; a zeroed struct plus ifname gives every default. */
struct cap_live_opts {
	const char *ifname;
	enum cap_live_kind kind;
	uint16_t ports[CAP_LIVE_MAX_PORTS]; /* DNS ports, host order */
	unsigned n_ports;                   /* 0 = just CAP_LIVE_DEFAULT_PORT */
	uint32_t snaplen;                   /* UDP (pcap: all) snap length; 0 = source default */
	uint32_t tcp_snaplen;               /* eBPF: TCP snap length; 0 = whole segments */
	uint32_t buffer_bytes; /* pcap: kernel buffer; eBPF: ring buffer; 0 = default */
	/* eBPF only */
	enum cap_ebpf_attach attach;
	uint32_t max_sources;  /* LRU entries for per-source counters; 0 = default */
	uint32_t wakeup_bytes; /* ring fill that wakes the reader; 0 = default */
	const char *state_dir; /* tc mode marker files; NULL = CAP_EBPF_STATE_DIR */
	/* dnstap only */
	const char *dnstap_path; /* unix socket to listen on */
};

/* Results of cap_live_next(). */
enum cap_live_next {
	CAP_LIVE_FRAME = 1,   /* *out holds a frame */
	CAP_LIVE_TIMEOUT = 0, /* nothing arrived within the timeout */
	CAP_LIVE_ERROR = -1,  /* the source failed; see cap_live_error() */
};

/* What a source received and lost since it was opened. */
struct cap_live_stats {
	uint64_t received;        /* frames delivered to the caller */
	uint64_t kernel_matched;  /* packets the kernel filter/program matched */
	uint64_t kernel_dropped;  /* pcap: dropped for lack of buffer (ps_drop) */
	uint64_t if_dropped;      /* pcap: dropped by the interface (ps_ifdrop) */
	uint64_t ringbuf_dropped; /* eBPF: records lost to a full ring buffer */
	uint64_t truncated;       /* eBPF: records cut by the snap length */
};

/* Exact per-source counters kept in the kernel (eBPF only). The client is the
 * side not on the DNS port; "to_dns" counts what it sent to the DNS port. */
struct cap_src_counters {
	uint8_t addr[16]; /* IPv6, or IPv4-mapped (::ffff:a.b.c.d) */
	uint64_t pkts_to_dns, pkts_from_dns;
	uint64_t bytes_to_dns, bytes_from_dns;
	uint64_t syn;    /* SYN without ACK from the client */
	uint64_t synack; /* SYN+ACK from the server */
	uint64_t rst_to_dns, rst_from_dns;
};

/* Called once per source; a non-zero return stops the walk and is returned. */
typedef int (*cap_src_fn)(const struct cap_src_counters *c, void *ctx);

struct cap_live;

/* cap_live_open() opens a live source on opts->ifname. Returns NULL with the
 * reason in err (for AUTO: why neither source could be opened). */
struct cap_live *cap_live_open(const struct cap_live_opts *opts, char *err, size_t errlen);

/* cap_live_kind_of() returns the source actually in use (EBPF or PCAP). */
enum cap_live_kind cap_live_kind_of(const struct cap_live *l);

/* cap_live_choice() describes the choice for the log, e.g. "ebpf (tcx)" or
 * "pcap (ebpf unavailable: ...)". Never NULL. */
const char *cap_live_choice(const struct cap_live *l);

/* cap_live_next() waits up to timeout_ms (0 = do not wait, < 0 = forever)
 * for the next frame. Returns enum cap_live_next. A signal interrupts the wait
 * (CAP_LIVE_TIMEOUT), so the caller can check its flags. */
int cap_live_next(struct cap_live *l, struct cap_frame *out, int timeout_ms);

/* cap_live_get_stats() fills *out; 0, or -1 with cap_live_error() set. */
int cap_live_get_stats(struct cap_live *l, struct cap_live_stats *out);

/* cap_live_sources() walks the kernel's per-source counters. Returns 0, the
 * callback's non-zero return, -1 on error, or -2 when the source keeps none
 * (libpcap). */
int cap_live_sources(struct cap_live *l, cap_src_fn fn, void *ctx);

/* cap_live_dnstap_stats() returns the payload counters of a dnstap source
 * (what was not used and why), or NULL for a packet source. */
const struct cap_dnstap_stats *cap_live_dnstap_stats(const struct cap_live *l);

/* cap_live_error() describes the last error. Never NULL. */
const char *cap_live_error(const struct cap_live *l);

/* cap_live_close() stops capturing and releases everything. NULL is a no-op. */
void cap_live_close(struct cap_live *l);

#endif
