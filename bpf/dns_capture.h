/*
 * dns_capture.h - the record layout shared by bpf/dns_capture.bpf.c (kernel)
 * and capture/ebpf_source.c (userspace).
 *
 * Byte order: every integer field below is in HOST byte order (both sides run
 * on the same machine), except the fields whose names end in _be, which are
 * in network byte order as on the wire. Packet bytes (data[]) are as on the
 * wire. Only fixed-width types are used; the sizes are checked below so that
 * a change on one side cannot silently shift the other.
 *
 * Ring buffer record (one per matched packet):
 *
 *   offset size field
 *        0    8 ts_ns        bpf_ktime_get_ns() (CLOCK_MONOTONIC)
 *        8    4 wirelen      skb->len (bytes of the frame in the kernel, without
 *                            an offloaded VLAN tag)
 *       12    4 caplen       bytes in data[] (min(wirelen, snap length))
 *       16    4 ifindex      interface the program ran on
 *       20    1 direction    DCV_DIR_INGRESS or DCV_DIR_EGRESS
 *       21    1 flags        DCV_REC_F_*
 *       22    2 vlan_tci     offloaded (not in data[]) VLAN tag, if DCV_REC_F_VLAN_ACCEL
 *       24    2 vlan_proto_be   its TPID, network order (0x8100 or 0x88a8)
 *       26    6 reserved     zero
 *       32    - data[caplen] frame from the link header (or the IP header on
 *                            interfaces without one)
 */
#ifndef DCV_BPF_DNS_CAPTURE_H
#define DCV_BPF_DNS_CAPTURE_H

#include <linux/types.h>

/* Most DNS ports the program matches (dns_ports[] tunable). */
#define DCV_BPF_MAX_PORTS 8

/* Largest snap length either tunable may take: one whole IP packet (a GSO
 * super-packet on egress can be up to 64 KiB; longer ones are cut here). */
#define DCV_BPF_SNAP_MAX 65535u

/* Default snap lengths. UDP: Ethernet + 2 VLAN tags + IPv6 + UDP headers (70)
 * and 442 bytes of DNS, which holds the header, a question with a 255-byte
 * name and an OPT record with a cookie (a guess at "typical", generous).
 * TCP: the whole segment, because the userspace reassembler needs every byte
 * of the stream. */
#define DCV_BPF_UDP_SNAP_DEFAULT 512u
#define DCV_BPF_TCP_SNAP_DEFAULT DCV_BPF_SNAP_MAX

/* Default ring buffer size (a power of two, page multiple). */
#define DCV_BPF_RINGBUF_DEFAULT (8u << 20)

/* Default wakeup threshold: the program asks the kernel to wake the reader
 * only once this many bytes are queued; the reader also polls on a timer, so
 * this bounds batching, not latency. 0 = wake up whenever the reader caught up. */
#define DCV_BPF_WAKEUP_BYTES_DEFAULT (256u << 10)

enum dcv_bpf_dir {
	DCV_DIR_INGRESS = 1,
	DCV_DIR_EGRESS = 2,
};

enum dcv_bpf_rec_flags {
	DCV_REC_F_VLAN_ACCEL = 0x01, /* vlan_tci/vlan_proto_be hold a tag that the
	                              * kernel keeps outside the frame bytes */
	DCV_REC_F_FRAGMENT = 0x02,   /* a non-first IP fragment: no ports, passed up
	                              * so that userspace can reassemble */
};

struct dcv_bpf_rec {
	__u64 ts_ns;
	__u32 wirelen;
	__u32 caplen;
	__u32 ifindex;
	__u8 direction;
	__u8 flags;
	__u16 vlan_tci;
	__u16 vlan_proto_be;
	__u8 reserved[6];
	__u8 data[];
};

/* Per-source counter key: the client address (the side not on the DNS port),
 * IPv4 as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), network byte order. */
struct dcv_bpf_src_key {
	__u8 addr[16];
};

/* Per-source counters. "to_dns" = packets sent by the client to a DNS port,
 * "from_dns" = packets from a DNS port to the client. Bytes are skb->len. */
struct dcv_bpf_src_counts {
	__u64 pkts_to_dns;
	__u64 pkts_from_dns;
	__u64 bytes_to_dns;
	__u64 bytes_from_dns;
	__u64 syn;          /* TCP SYN without ACK, client to server */
	__u64 synack;       /* TCP SYN+ACK, server to client */
	__u64 rst_to_dns;   /* TCP RST from the client */
	__u64 rst_from_dns; /* TCP RST from the server */
};

/* Index into the per-CPU stats array. */
enum dcv_bpf_stat {
	DCV_STAT_SEEN = 0,  /* packets the program ran on */
	DCV_STAT_MATCHED,   /* packets matched (DNS port or passed fragment) */
	DCV_STAT_RB_DROP,   /* matched, but the ring buffer had no room */
	DCV_STAT_FRAGMENTS, /* non-first IP fragments passed up */
	DCV_STAT_SRC_FAIL,  /* per-source entry could not be created */
	DCV_STAT_TRUNCATED, /* matched records shorter than the packet */
	DCV_STAT_COUNT
};

_Static_assert(sizeof(struct dcv_bpf_rec) == 32, "dcv_bpf_rec header layout changed");
_Static_assert(sizeof(struct dcv_bpf_src_key) == 16, "dcv_bpf_src_key layout changed");
_Static_assert(sizeof(struct dcv_bpf_src_counts) == 64, "dcv_bpf_src_counts layout changed");

#endif
