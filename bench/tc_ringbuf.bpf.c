// SPDX-License-Identifier: GPL-2.0
/*
 * tc_ringbuf.bpf.c - a TC ingress program that writes one record per TCP
 * packet into a BPF_MAP_TYPE_RINGBUF: the BPF peer of mos's PKT_IN
 * records in bench/ring
 *
 * DOC: Theory of Operation
 *
 * Attached at ingress of the interface the benchmark's traffic crosses
 * (lo in bench/ring_guest: every packet of the namespace passes it once,
 * where mos's PRE_ROUTING hook sees it), the program parses the Ethernet,
 * IPv4 or IPv6 and TCP headers, and for each TCP packet writes a record
 * of the size of mos's PKT_IN record body: a struct of the size of
 * struct mos_rec_event (%EV_SIZE; tc_ringbuf.c checks it), filled with the
 * packet's time and lengths, followed by the packet from its IP header,
 * whole (as mos copies it, up to 65535 bytes).  The ring buffer's own
 * 8-byte header stands for struct mos_rec.  The record is assembled in a
 * per-CPU slot of an array map (TC ingress runs with preemption off) and
 * copied with bpf_ringbuf_output(); a record that finds no room is
 * counted in @g.dropped.
 */

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PKT_MAX		65535
#define EV_SIZE		48	/* sizeof(struct mos_rec_event) */
#define CPUS_MAX	64

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);	/* set by the loader */
} rb SEC(".maps");

/* A record being assembled: the event body, then the packet */
struct slot {
	__u8 buf[EV_SIZE + PKT_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CPUS_MAX);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

/* The event body's leading fields, as in struct mos_rec_event */
struct ev_head {
	__u64 flow;
	__u64 ts_ns;
	__u64 off;
	__u32 len;
	__u8 type;
	__u8 hook;
};

/* the .bss map: read by tc_ringbuf.c at the end */
struct {
	__u64 written;
	__u64 dropped;
	__u64 bytes;
	__u64 skipped;
} g;

SEC("tc")
int pkt_in(struct __sk_buff *skb)
{
	__u32 cpu = bpf_get_smp_processor_id(), len;
	struct ev_head *h;
	struct slot *s;
	__u8 proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + 9, &proto, 1))
			return TC_ACT_OK;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + 6, &proto, 1))
			return TC_ACT_OK;
	} else {
		return TC_ACT_OK;
	}
	if (proto != IPPROTO_TCP) {
		g.skipped++;
		return TC_ACT_OK;
	}
	s = bpf_map_lookup_elem(&slots, &cpu);
	if (!s || skb->len <= ETH_HLEN)
		return TC_ACT_OK;
	len = skb->len - ETH_HLEN;
	if (len > PKT_MAX)
		len = PKT_MAX;
	/*
	 * Bounds the verifier sees, 1 to PKT_MAX + 1 (the slot has room for
	 * it), from an expression the compiler cannot fold away: the range
	 * above is hidden from it
	 */
	asm volatile("" : "+r"(len));
	len = ((len - 1) & PKT_MAX) + 1;
	h = (struct ev_head *)s->buf;
	h->flow = skb->hash;
	h->ts_ns = bpf_ktime_get_ns();
	h->off = 0;
	h->len = len;
	h->type = 1;
	h->hook = 0;
	/* The packet from its IP header, as mos's record carries it */
	if (bpf_skb_load_bytes(skb, ETH_HLEN, s->buf + EV_SIZE, len))
		return TC_ACT_OK;
	if (bpf_ringbuf_output(&rb, s->buf, EV_SIZE + len, 0)) {
		g.dropped++;
		return TC_ACT_OK;
	}
	g.written++;
	g.bytes += EV_SIZE + len;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
