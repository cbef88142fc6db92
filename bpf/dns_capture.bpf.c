/*
 * dns_capture.bpf.c - TC (clsact) programs that pass DNS packets to userspace.
 *
 * dcv_tc_ingress and dcv_tc_egress run on one interface, in both directions.
 * For every packet they:
 *   1. walk the link header (Ethernet with up to 2 VLAN tags, or none),
 *   2. walk IPv4 or IPv6 (with up to DCV_IPV6_MAX_EXT extension headers),
 *   3. match UDP or TCP on one of the configured DNS ports (either side),
 *   4. count the packet for its client in an LRU hash (exact, whatever the
 *      ring buffer does),
 *   5. copy the frame head into a BPF ring buffer record (struct dcv_bpf_rec).
 * Non-first IP fragments carry no ports; they are passed up (flagged) so that
 * userspace can reassemble fragmented DNS responses.
 *
 * The programs never change or drop traffic: every path returns TC_ACT_OK.
 * Built against UAPI headers only (no vmlinux.h): no CO-RE relocations, so
 * the object loads on kernels without /sys/kernel/btf/vmlinux.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dns_capture.h"

/* ---- tunables: set by capture/ebpf_source.c before load ---- */

const volatile __u16 dns_ports[DCV_BPF_MAX_PORTS] = {53}; /* host order */
const volatile __u32 n_dns_ports = 1;
const volatile __u32 udp_snap = DCV_BPF_UDP_SNAP_DEFAULT;
const volatile __u32 tcp_snap = DCV_BPF_TCP_SNAP_DEFAULT;
const volatile __u32 wakeup_bytes = DCV_BPF_WAKEUP_BYTES_DEFAULT;
const volatile __u8 has_eth = 1;        /* 0: frames start at the IP header */
const volatile __u8 pass_fragments = 1; /* pass non-first IP fragments up */

/* ---- maps; userspace sizes ringbuf, sources and scratch before load ---- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, DCV_BPF_RINGBUF_DEFAULT);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct dcv_bpf_src_key);
	__type(value, struct dcv_bpf_src_counts);
} sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DCV_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* One record being built per CPU (too large for the 512-byte stack, and too
 * large for a per-CPU array, whose values are limited to 32 KiB). TC programs
 * run with bottom halves disabled, so two of them never share a CPU's slot at
 * once. max_entries = number of possible CPUs, set by userspace. */
struct dcv_scratch {
	__u8 buf[sizeof(struct dcv_bpf_rec) + DCV_BPF_SNAP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dcv_scratch);
} scratch SEC(".maps");

/* Link, network and transport constants the UAPI headers do not name. */
#define DCV_ETH_P_QINQ_OLD 0x9100 /* pre-802.1ad QinQ TPID, still seen */
#define DCV_MAX_VLAN_TAGS  2
#define DCV_IPV6_MAX_EXT   4      /* extension headers walked before giving up */
#define DCV_IP_OFFSET_MASK 0x1fff /* IPv4 fragment offset bits */
#define DCV_TCP_FLAGS_OFF  13     /* byte holding FIN/SYN/RST/PSH/ACK */
#define DCV_TCPF_SYN       0x02
#define DCV_TCPF_RST       0x04
#define DCV_TCPF_ACK       0x10

/* What the header walk found out about one packet. */
struct dcv_pkt_info {
	__u8 src[16], dst[16]; /* IPv4 as IPv4-mapped IPv6 */
	__u16 sport, dport;    /* host order */
	__u8 l4proto;
	__u8 tcp_flags;
	__u8 fragment; /* non-first fragment: no ports */
};

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);
	if (v)
		*v += n;
}

static __always_inline int is_dns_port(__u16 port)
{
#pragma unroll
	for (int i = 0; i < DCV_BPF_MAX_PORTS; i++)
		if (i < n_dns_ports && dns_ports[i] == port)
			return 1;
	return 0;
}

static __always_inline void map_v4(__u8 out[16], __be32 addr)
{
	__builtin_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, &addr, 4);
}

/* Walk the link header; returns the offset of the IP header (*proto = its
 * EtherType, network order) or -1 when the frame is not IPv4/IPv6. */
static __always_inline int walk_link(struct __sk_buff *skb, __be16 *proto)
{
	struct ethhdr eth;
	__u8 first;
	int off = 0;

	/* interfaces without a link header: the IP version nibble decides */
	if (!has_eth) {
		if (bpf_skb_load_bytes(skb, 0, &first, 1) < 0)
			return -1;
		*proto = (first >> 4) == 6 ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP);
		return 0;
	}
	/* Ethernet header */
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)) < 0)
		return -1;
	*proto = eth.h_proto;
	off = sizeof(eth);
	/* VLAN tags still in the frame (an offloaded outer tag is in skb->vlan_tci) */
#pragma unroll
	for (int i = 0; i < DCV_MAX_VLAN_TAGS; i++) {
		if (*proto != bpf_htons(ETH_P_8021Q) && *proto != bpf_htons(ETH_P_8021AD) &&
		    *proto != bpf_htons(DCV_ETH_P_QINQ_OLD))
			break;
		if (bpf_skb_load_bytes(skb, off + 2, proto, sizeof(*proto)) < 0)
			return -1;
		off += 4;
	}
	return off;
}

/* Walk IPv4; returns the L4 offset or -1. */
static __always_inline int walk_ipv4(struct __sk_buff *skb, int off, struct dcv_pkt_info *pi)
{
	struct iphdr ip;

	/* fixed header, then the options length from IHL */
	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) < 0)
		return -1;
	if (ip.ihl < 5)
		return -1;
	map_v4(pi->src, ip.saddr);
	map_v4(pi->dst, ip.daddr);
	pi->l4proto = ip.protocol;
	/* a non-first fragment has no transport header */
	if (bpf_ntohs(ip.frag_off) & DCV_IP_OFFSET_MASK)
		pi->fragment = 1;
	return off + ip.ihl * 4;
}

/* Walk IPv6 and its extension headers; returns the L4 offset or -1. */
static __always_inline int walk_ipv6(struct __sk_buff *skb, int off, struct dcv_pkt_info *pi)
{
	struct ipv6hdr ip6;
	struct {
		__u8 nexthdr;
		__u8 len;
		__be16 frag_off; /* fragment header only */
	} ext;
	__u8 nexthdr;

	/* fixed header */
	if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)) < 0)
		return -1;
	__builtin_memcpy(pi->src, &ip6.saddr, 16);
	__builtin_memcpy(pi->dst, &ip6.daddr, 16);
	nexthdr = ip6.nexthdr;
	off += sizeof(ip6);
	/* extension headers, bounded */
#pragma unroll
	for (int i = 0; i < DCV_IPV6_MAX_EXT; i++) {
		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_DSTOPTS && nexthdr != IPPROTO_FRAGMENT &&
		    nexthdr != IPPROTO_AH)
			break;
		if (bpf_skb_load_bytes(skb, off, &ext, sizeof(ext)) < 0)
			return -1;
		if (nexthdr == IPPROTO_FRAGMENT) {
			/* offset is the upper 13 bits: non-first fragments stop here */
			if (bpf_ntohs(ext.frag_off) & ~7)
				pi->fragment = 1;
			off += 8;
		} else if (nexthdr == IPPROTO_AH) {
			off += (ext.len + 2) * 4;
		} else {
			off += (ext.len + 1) * 8;
		}
		nexthdr = ext.nexthdr;
		if (pi->fragment)
			break;
	}
	pi->l4proto = nexthdr;
	return off;
}

/* Count the packet for its client (the side not on the DNS port). */
static __always_inline void count_source(const struct dcv_pkt_info *pi, int to_dns, __u64 len)
{
	struct dcv_bpf_src_key key;
	struct dcv_bpf_src_counts zero = {}, *c;

	/* key: the client address */
	__builtin_memcpy(key.addr, to_dns ? pi->src : pi->dst, 16);
	/* find or create the entry; a racing CPU may create it first (EEXIST) */
	c = bpf_map_lookup_elem(&sources, &key);
	if (!c) {
		bpf_map_update_elem(&sources, &key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&sources, &key);
	}
	if (!c) {
		stat_add(DCV_STAT_SRC_FAIL, 1);
		return;
	}
	/* packets and bytes by direction (atomic: other CPUs update it too) */
	if (to_dns) {
		__sync_fetch_and_add(&c->pkts_to_dns, 1);
		__sync_fetch_and_add(&c->bytes_to_dns, len);
	} else {
		__sync_fetch_and_add(&c->pkts_from_dns, 1);
		__sync_fetch_and_add(&c->bytes_from_dns, len);
	}
	/* TCP connection events */
	if (pi->l4proto != IPPROTO_TCP)
		return;
	if ((pi->tcp_flags & (DCV_TCPF_SYN | DCV_TCPF_ACK)) == DCV_TCPF_SYN && to_dns)
		__sync_fetch_and_add(&c->syn, 1);
	if ((pi->tcp_flags & (DCV_TCPF_SYN | DCV_TCPF_ACK)) == (DCV_TCPF_SYN | DCV_TCPF_ACK) &&
	    !to_dns)
		__sync_fetch_and_add(&c->synack, 1);
	if (pi->tcp_flags & DCV_TCPF_RST) {
		if (to_dns)
			__sync_fetch_and_add(&c->rst_to_dns, 1);
		else
			__sync_fetch_and_add(&c->rst_from_dns, 1);
	}
}

/* Copy the frame head into the ring buffer. */
static __always_inline void emit(struct __sk_buff *skb, __u8 dir, __u8 flags, __u32 snap)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct dcv_scratch *s;
	struct dcv_bpf_rec *rec;
	__u64 len = skb->len;
	__u64 rb_flags = 0;

	/* this CPU's scratch record */
	s = bpf_map_lookup_elem(&scratch, &cpu);
	if (!s) {
		stat_add(DCV_STAT_RB_DROP, 1);
		return;
	}
	rec = (struct dcv_bpf_rec *)s->buf;
	/* captured length: 64-bit and explicitly bounded for the verifier */
	if (len > snap)
		len = snap;
	barrier_var(len);
	if (len < 1 || len > DCV_BPF_SNAP_MAX)
		return;
	if (len < skb->len)
		stat_add(DCV_STAT_TRUNCATED, 1);
	/* header */
	rec->ts_ns = bpf_ktime_get_ns();
	rec->wirelen = skb->len;
	rec->caplen = len;
	rec->ifindex = skb->ifindex;
	rec->direction = dir;
	rec->flags = flags;
	rec->vlan_tci = 0;
	rec->vlan_proto_be = 0;
	__builtin_memset(rec->reserved, 0, sizeof(rec->reserved));
	/* an outer VLAN tag the kernel keeps outside the frame bytes */
	if (skb->vlan_present) {
		rec->flags |= DCV_REC_F_VLAN_ACCEL;
		rec->vlan_tci = skb->vlan_tci;
		rec->vlan_proto_be = skb->vlan_proto;
	}
	/* frame bytes */
	if (bpf_skb_load_bytes(skb, 0, s->buf + sizeof(*rec), len) < 0)
		return;
	/* adaptive wakeup: wake the reader only when enough data is queued */
	if (wakeup_bytes)
		rb_flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes
		               ? BPF_RB_FORCE_WAKEUP
		               : BPF_RB_NO_WAKEUP;
	/* submit; on a full ring only the per-CPU counter knows */
	if (bpf_ringbuf_output(&events, s->buf, sizeof(*rec) + len, rb_flags) < 0)
		stat_add(DCV_STAT_RB_DROP, 1);
}

static __always_inline int handle(struct __sk_buff *skb, __u8 dir)
{
	struct dcv_pkt_info pi = {};
	struct {
		__be16 sport, dport;
	} ports;
	__be16 proto = 0;
	int off, to_dns;

	/* every packet is seen */
	stat_add(DCV_STAT_SEEN, 1);
	/* link header */
	off = walk_link(skb, &proto);
	if (off < 0)
		return TC_ACT_OK;
	/* network header */
	if (proto == bpf_htons(ETH_P_IP))
		off = walk_ipv4(skb, off, &pi);
	else if (proto == bpf_htons(ETH_P_IPV6))
		off = walk_ipv6(skb, off, &pi);
	else
		return TC_ACT_OK;
	if (off < 0)
		return TC_ACT_OK;
	/* non-first fragments: no ports to match, pass up for reassembly */
	if (pi.fragment) {
		if (!pass_fragments)
			return TC_ACT_OK;
		stat_add(DCV_STAT_MATCHED, 1);
		stat_add(DCV_STAT_FRAGMENTS, 1);
		emit(skb, dir, DCV_REC_F_FRAGMENT, udp_snap > tcp_snap ? udp_snap : tcp_snap);
		return TC_ACT_OK;
	}
	/* transport ports (UDP and TCP both start with them) */
	if (pi.l4proto != IPPROTO_UDP && pi.l4proto != IPPROTO_TCP)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, off, &ports, sizeof(ports)) < 0)
		return TC_ACT_OK;
	pi.sport = bpf_ntohs(ports.sport);
	pi.dport = bpf_ntohs(ports.dport);
	if (pi.l4proto == IPPROTO_TCP &&
	    bpf_skb_load_bytes(skb, off + DCV_TCP_FLAGS_OFF, &pi.tcp_flags, 1) < 0)
		return TC_ACT_OK;
	/* DNS port on either side; the client is the other side */
	if (is_dns_port(pi.dport))
		to_dns = 1;
	else if (is_dns_port(pi.sport))
		to_dns = 0;
	else
		return TC_ACT_OK;
	stat_add(DCV_STAT_MATCHED, 1);
	/* exact per-source counters, before the ring buffer can fail */
	count_source(&pi, to_dns, skb->len);
	/* frame head to userspace */
	emit(skb, dir, 0, pi.l4proto == IPPROTO_TCP ? tcp_snap : udp_snap);
	return TC_ACT_OK;
}

SEC("tc")
int dcv_tc_ingress(struct __sk_buff *skb)
{
	return handle(skb, DCV_DIR_INGRESS);
}

SEC("tc")
int dcv_tc_egress(struct __sk_buff *skb)
{
	return handle(skb, DCV_DIR_EGRESS);
}

char LICENSE[] SEC("license") = "GPL";
