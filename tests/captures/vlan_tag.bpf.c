/*
 * vlan_tag.bpf.c - tc (clsact) programs that record.sh attaches to the veth
 * pair so that real traffic crosses the link 802.1Q-tagged (VID 100) or
 * QinQ-tagged (802.1ad S-VID 200 outside, 802.1Q C-VID 100 inside). The
 * kernel of the capture host has no 8021q module and no tc vlan action, so
 * the tags are pushed and popped with the kernel's own helpers
 * (bpf_skb_vlan_push/pop); the payloads stay those of the real servers and
 * clients, and tcpdump on the veth sees the tagged frames.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

enum { C_VID = 100, S_VID = 200 };

SEC("tc") int push_dot1q(struct __sk_buff *skb)
{
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), C_VID);
	return TC_ACT_OK;
}

SEC("tc") int push_qinq(struct __sk_buff *skb)
{
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), C_VID);
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), S_VID);
	return TC_ACT_OK;
}

SEC("tc") int pop_one(struct __sk_buff *skb)
{
	bpf_skb_vlan_pop(skb);
	return TC_ACT_OK;
}

SEC("tc") int pop_two(struct __sk_buff *skb)
{
	bpf_skb_vlan_pop(skb);
	bpf_skb_vlan_pop(skb);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
