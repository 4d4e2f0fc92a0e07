/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mos.h - the ABI between mos.ko and userspace
 *
 * Two interfaces, both requiring CAP_NET_ADMIN over the network namespace
 * they act on:
 *
 * - the generic netlink family "mos" (MOS_GENL_NAME, MOS_GENL_VERSION):
 *   per-namespace control and statistics;
 * - the misc character device /dev/mos: event delivery to monitoring
 *   applications: one ring of records per open, mapped with mmap().
 *
 * Every generic netlink command acts on one network namespace: the one
 * named by %MOS_A_NETNS_FD when the request carries it, else the one of
 * the sending socket.  Attributes are validated strictly: an unknown
 * attribute, a wrong type or length, or an attribute a command does not
 * take fails the request with -EINVAL and an extended-ack message.
 *
 * Permissions: every command needs CAP_NET_ADMIN in the user namespace
 * that owns the target network namespace.  Enabling monitoring of a
 * namespace owned by a user namespace other than the initial one also
 * needs the module parameter allow_userns (off by default), unless the
 * caller has CAP_NET_ADMIN in the initial user namespace.  A namespace
 * never sees or changes another's flows, rules or counters.
 */
#ifndef _UAPI_LINUX_MOS_H
#define _UAPI_LINUX_MOS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define MOS_GENL_NAME		"mos"
#define MOS_GENL_VERSION	1
/* Multicast group: %MOS_CMD_FLOW_NEW and %MOS_CMD_FLOW_END announcements */
#define MOS_GENL_MCGRP_FLOWS	"flows"

/**
 * enum mos_cmd - generic netlink commands of the "mos" family
 * @MOS_CMD_UNSPEC: invalid
 * @MOS_CMD_NS_ENABLE: start monitoring the namespace: zero its
 *	statistics, create its flow table with the configured limits and
 *	register the netfilter hooks.  Optional: %MOS_A_NETNS_FD,
 *	%MOS_A_MODE (default %MOS_MODE_PASSIVE).  Fails with -EEXIST if
 *	monitoring is already enabled, and with -EINVAL in passive mode
 *	while a rule's action needs inline mode.
 * @MOS_CMD_NS_DISABLE: stop monitoring the namespace: remove the hooks,
 *	free the flows.  Statistics are kept, final once the reply arrives,
 *	until the next enable; so are the limits and the rules.  Optional:
 *	%MOS_A_NETNS_FD.  Fails with -ENOENT if monitoring is not enabled.
 * @MOS_CMD_NS_GET: state of the namespace.  Optional: %MOS_A_NETNS_FD.
 *	Reply: %MOS_A_NS_ENABLED, %MOS_A_MODE, %MOS_A_MOD_VERSION,
 *	%MOS_A_LIMITS, %MOS_A_STATS.
 * @MOS_CMD_NS_SET: change limits.  Required: %MOS_A_LIMITS with at least
 *	one limit; optional: %MOS_A_NETNS_FD.  Limits apply at once to the
 *	flow table of a monitored namespace (flows already tracked keep
 *	their buffers) and are kept for the next enable.
 * @MOS_CMD_RULE_ADD: add a filter rule.  Required: %MOS_A_RULE_BPF,
 *	%MOS_A_RULE_ACTION; optional: %MOS_A_RULE_PRIO (default 0),
 *	%MOS_A_RULE_EXPR, %MOS_A_NETNS_FD.  Reply: %MOS_A_RULE_ID.
 *	%MOS_ACTION_DROP and %MOS_ACTION_RESET fail with -EINVAL while the
 *	namespace is monitored in passive mode.  At most %MOS_RULES_MAX rules
 *	per namespace (-ENOSPC).
 * @MOS_CMD_RULE_DEL: delete a rule.  Required: %MOS_A_RULE_ID.  Flows it
 *	matched keep their action.  -ENOENT if there is no such rule.
 * @MOS_CMD_RULE_GET: dump the rules, in evaluation order, one message
 *	each: %MOS_A_RULE_ID, %MOS_A_RULE_PRIO, %MOS_A_RULE_ACTION,
 *	%MOS_A_RULE_EXPR (when given), %MOS_A_RULE_HITS.
 * @MOS_CMD_RULE_FLUSH: delete all rules of the namespace.
 * @MOS_CMD_FLOW_GET: dump the flows the namespace tracks, one message
 *	each, with a %MOS_A_FLOW nest.  Flows of %MOS_ACTION_IGNORE rules are
 *	left out.  Optional: %MOS_A_NETNS_FD.
 * @MOS_CMD_FLOW_NEW: multicast only, group %MOS_GENL_MCGRP_FLOWS (joining
 *	it needs CAP_NET_ADMIN over the namespace): a monitored flow started.
 *	%MOS_A_EVENT_SEQ, %MOS_A_FLOW.
 * @MOS_CMD_FLOW_END: multicast only: a monitored flow ended, with its
 *	final counts.  %MOS_A_EVENT_SEQ, %MOS_A_FLOW.
 * @MOS_CMD_FLOW_RESET: reset a flow at both ends.  Required:
 *	%MOS_A_FLOW_ID; optional: %MOS_A_NETNS_FD.  Each end is sent an RST
 *	with the sequence number it expects next; the flow's sides end
 *	(reason RST) and every later packet of the connection is dropped and
 *	answered with RSTs to both ends, until the flow idles out.  Needs
 *	inline mode (-EINVAL in passive mode); -ENOENT if there is no such
 *	flow (flows of %MOS_ACTION_IGNORE and %MOS_ACTION_DROP rules are not
 *	found).
 * @MOS_CMD_LINK_ADD: record that mos's XDP program is (about to be)
 *	attached to a device of the namespace (Documentation/xdp.rst).
 *	Required: %MOS_A_IFINDEX.  From then on the program's frames from
 *	that device are tracked, and the netfilter hook leaves the device's
 *	packets alone at PRE_ROUTING, so that none is counted twice.
 *	-EEXIST if recorded already, -ENOSPC past %MOS_XDP_LINKS_MAX
 *	devices, -ENODEV if the namespace has no such device.
 * @MOS_CMD_LINK_DEL: forget a device recorded by %MOS_CMD_LINK_ADD.
 *	Required: %MOS_A_IFINDEX.  -ENOENT if it is not recorded.
 * @__MOS_CMD_MAX: one past the last command
 * @MOS_CMD_MAX: the last command
 */
enum mos_cmd {
	MOS_CMD_UNSPEC,
	MOS_CMD_NS_ENABLE,
	MOS_CMD_NS_DISABLE,
	MOS_CMD_NS_GET,
	MOS_CMD_NS_SET,
	MOS_CMD_RULE_ADD,
	MOS_CMD_RULE_DEL,
	MOS_CMD_RULE_GET,
	MOS_CMD_RULE_FLUSH,
	MOS_CMD_FLOW_GET,
	MOS_CMD_FLOW_NEW,
	MOS_CMD_FLOW_END,
	MOS_CMD_FLOW_RESET,
	MOS_CMD_LINK_ADD,
	MOS_CMD_LINK_DEL,

	__MOS_CMD_MAX,
	MOS_CMD_MAX = __MOS_CMD_MAX - 1
};

/**
 * enum mos_mode - how mos attaches to a namespace
 * @MOS_MODE_PASSIVE: observe only; every packet passes
 * @MOS_MODE_INLINE: rules may drop packets and reset flows
 */
enum mos_mode {
	MOS_MODE_PASSIVE,
	MOS_MODE_INLINE,
};

/**
 * enum mos_action - what a rule does with the flows it matches
 * @MOS_ACTION_MONITOR: track the flow and deliver it to consumers; the
 *	action of flows no rule matches
 * @MOS_ACTION_IGNORE: do not report the flow: no event, no stream byte,
 *	no flow-dump entry.  Its packets are still recognised as its own
 *	(they are not orphans) until it ends.
 * @MOS_ACTION_DROP: inline only: drop every packet of the flow
 * @MOS_ACTION_RESET: inline only: drop the flow's first packet and answer
 *	it with a TCP reset (a SYN's sender sees ECONNREFUSED)
 * @__MOS_ACTION_MAX: one past the last action
 */
enum mos_action {
	MOS_ACTION_MONITOR,
	MOS_ACTION_IGNORE,
	MOS_ACTION_DROP,
	MOS_ACTION_RESET,

	__MOS_ACTION_MAX,
};

/* Rules per namespace, instructions per rule program */
#define MOS_RULES_MAX		1024
#define MOS_RULE_INSNS_MAX	4096
/* Longest %MOS_A_RULE_EXPR, with its NUL */
#define MOS_RULE_EXPR_MAX	1024
/* Devices of a namespace recorded as XDP-attached (%MOS_CMD_LINK_ADD) */
#define MOS_XDP_LINKS_MAX	16

/**
 * enum mos_xdp_flags - the flags argument of the kfunc mos_xdp_input()
 * @MOS_XDP_F_INLINE: apply the verdict: a packet the namespace's inline
 *	mode drops is XDP_DROP; without it every frame is XDP_PASS
 * @MOS_XDP_F_DECAP: decapsulate: track the inner packet of IP in IP,
 *	GRE, ERSPAN II/III, VXLAN, Geneve, PPPoE and GTP-U frames, up to
 *	%MOS_DECAP_DEPTH_MAX encapsulations (Documentation/xdp.rst; ABI
 *	minor 10: an older module aborts, and the program passes, every
 *	frame with it)
 * @MOS_XDP_F_TRUST_CSUM: trust the wire's TCP checksums: no segment's
 *	checksum is verified, each is counted (%MOS_LSTAT_CSUM_TRUSTED) and
 *	tracked as if right; for mirror ports whose checksums were verified
 *	upstream (ABI minor 12)
 * @MOS_XDP_F_TX: the program returns XDP_TX when the kfunc does: with
 *	%MOS_XDP_F_INLINE, a packet a reset rule answers is rewritten into
 *	its reset and sent back by the device it came in by (ABI minor 12;
 *	without it, the packet is dropped, %MOS_STAT_XDP_RESET_UNSENT).  A
 *	multi-buffer frame's reset is sent as an skb, with or without it
 * @MOS_XDP_F_ALL: every flag
 */
enum mos_xdp_flags {
	MOS_XDP_F_INLINE	= 1 << 0,
	MOS_XDP_F_DECAP		= 1 << 1,
	MOS_XDP_F_TRUST_CSUM	= 1 << 2,
	MOS_XDP_F_TX		= 1 << 3,
	MOS_XDP_F_ALL		= MOS_XDP_F_INLINE | MOS_XDP_F_DECAP |
				  MOS_XDP_F_TRUST_CSUM | MOS_XDP_F_TX,
};

/**
 * enum mos_link_stat - the counters of one XDP-attached device, in its
 * %MOS_A_LINK_STATS nest (u64 attributes of these types), from the
 * moment it was recorded (%MOS_CMD_LINK_ADD)
 * @MOS_LSTAT_PAD: padding for the 64-bit attributes
 * @MOS_LSTAT_FRAMES: frames mos's XDP program handed over from the device
 * @MOS_LSTAT_BYTES: their bytes, from the Ethernet header, fragments
 *	included
 * @MOS_LSTAT_NONIP: frames passed untouched: not IPv4 or IPv6 (ARP, more
 *	than two VLAN tags, ...)
 * @MOS_LSTAT_TRACKED: IP packets handed to the tracker (the inner packet
 *	of a decapsulated frame)
 * @MOS_LSTAT_DECAP: of those, frames decapsulated (%MOS_XDP_F_DECAP)
 * @MOS_LSTAT_DECAP_ERR: frames whose encapsulation was unknown, malformed
 *	or too deep: passed, not tracked (%MOS_STAT_DECAP_UNKNOWN,
 *	%MOS_STAT_DECAP_BAD, %MOS_STAT_DECAP_DEEP)
 * @MOS_LSTAT_CSUM_BAD: TCP segments whose checksum, verified in software,
 *	was wrong (not tracked, %MOS_STAT_CSUM_BAD)
 * @MOS_LSTAT_CSUM_TRUSTED: TCP segments whose checksum was not verified
 *	(%MOS_XDP_F_TRUST_CSUM)
 * @MOS_LSTAT_DROPPED: frames dropped (XDP_DROP, %MOS_XDP_F_INLINE)
 * @MOS_LSTAT_RESETS: packets a reset rule answered: rewritten into their
 *	reset and sent back (XDP_TX, %MOS_XDP_F_TX)
 * @MOS_LSTAT_RESET_UNSENT: packets a reset rule matched whose reset was
 *	not sent (%MOS_STAT_XDP_RESET_UNSENT, or over the rate of
 *	%MOS_STAT_RESET_LIMITED)
 * @MOS_LSTAT_PARSE_ERR: IP packets handed to the tracker that it could not
 *	parse (%MOS_STAT_PARSE_ERR); inline, they are dropped unless the
 *	namespace's policy passes them (%MOS_LIMIT_UNPARSED)
 * @__MOS_LSTAT_MAX: one past the last counter
 * @MOS_LSTAT_MAX: the last counter
 */
enum mos_link_stat {
	MOS_LSTAT_PAD,
	MOS_LSTAT_FRAMES,
	MOS_LSTAT_BYTES,
	MOS_LSTAT_NONIP,
	MOS_LSTAT_TRACKED,
	MOS_LSTAT_DECAP,
	MOS_LSTAT_DECAP_ERR,
	MOS_LSTAT_CSUM_BAD,
	MOS_LSTAT_CSUM_TRUSTED,
	MOS_LSTAT_DROPPED,
	MOS_LSTAT_RESETS,
	MOS_LSTAT_RESET_UNSENT,
	MOS_LSTAT_PARSE_ERR,

	__MOS_LSTAT_MAX,
	MOS_LSTAT_MAX = __MOS_LSTAT_MAX - 1
};

/* Encapsulations removed from one frame at most (%MOS_XDP_F_DECAP) */
#define MOS_DECAP_DEPTH_MAX	4

/**
 * enum mos_attr - top-level attributes
 * @MOS_A_UNSPEC: invalid
 * @MOS_A_NS_ENABLED: u8, 1 when the namespace is monitored
 * @MOS_A_MOD_VERSION: string, the module's version
 * @MOS_A_STATS: nest of &enum mos_stat: the namespace's counters
 * @MOS_A_NETNS_FD: u32, a file descriptor of the target network namespace
 *	(/run/netns/NAME, /proc/PID/ns/net)
 * @MOS_A_MODE: u8, &enum mos_mode
 * @MOS_A_LIMITS: nest of &enum mos_limit
 * @MOS_A_RULE_ID: u32, a rule's id, unique in its namespace, never 0
 * @MOS_A_RULE_PRIO: u32, lower runs first; equal priorities run in the
 *	order they were added
 * @MOS_A_RULE_ACTION: u8, &enum mos_action
 * @MOS_A_RULE_BPF: binary, a classic BPF program (struct sock_filter[],
 *	1 to %MOS_RULE_INSNS_MAX instructions) run on the flow's first packet
 *	from its IP header on (libpcap's DLT_RAW); it matches when it returns
 *	non-zero
 * @MOS_A_RULE_EXPR: string, the rule's source text, for listings
 * @MOS_A_RULE_HITS: u64, times the rule's action was applied: flows it
 *	matched (for %MOS_ACTION_RESET: first packets answered), and for
 *	%MOS_ACTION_DROP and %MOS_ACTION_RESET also the segments of no
 *	tracked flow it dropped (%MOS_STAT_DROPPED_NOFLOW)
 * @MOS_A_FLOW: nest of &enum mos_flow_attr
 * @MOS_A_PAD: padding for 64-bit attributes
 * @MOS_A_EVENT_SEQ: u64, in %MOS_CMD_FLOW_NEW and %MOS_CMD_FLOW_END: the
 *	namespace's announcement counter, from 1.  A listener that sees it
 *	jump knows how many announcements it lost.
 * @MOS_A_FLOW_ID: u64, a flow's id (%MOS_FLOW_A_ID), for
 *	%MOS_CMD_FLOW_RESET
 * @MOS_A_IFINDEX: u32, a device's index in the namespace, for
 *	%MOS_CMD_LINK_ADD and %MOS_CMD_LINK_DEL
 * @MOS_A_LINKS: nest of %MOS_A_IFINDEX, in %MOS_CMD_NS_GET: the devices
 *	recorded as XDP-attached; each %MOS_A_IFINDEX is followed by the
 *	device's %MOS_A_LINK_STATS (ABI minor 12)
 * @MOS_A_LINK_STATS: nest of &enum mos_link_stat: the counters of the
 *	device named by the %MOS_A_IFINDEX before it, in %MOS_A_LINKS
 * @__MOS_A_MAX: one past the last attribute
 * @MOS_A_MAX: the last attribute
 */
enum mos_attr {
	MOS_A_UNSPEC,
	MOS_A_NS_ENABLED,
	MOS_A_MOD_VERSION,
	MOS_A_STATS,
	MOS_A_NETNS_FD,
	MOS_A_MODE,
	MOS_A_LIMITS,
	MOS_A_RULE_ID,
	MOS_A_RULE_PRIO,
	MOS_A_RULE_ACTION,
	MOS_A_RULE_BPF,
	MOS_A_RULE_EXPR,
	MOS_A_RULE_HITS,
	MOS_A_FLOW,
	MOS_A_PAD,
	MOS_A_EVENT_SEQ,
	MOS_A_FLOW_ID,
	MOS_A_IFINDEX,
	MOS_A_LINKS,
	MOS_A_LINK_STATS,

	__MOS_A_MAX,
	MOS_A_MAX = __MOS_A_MAX - 1
};

/**
 * enum mos_limit - limits of a namespace, inside %MOS_A_LIMITS
 * @MOS_LIMIT_UNSPEC: invalid
 * @MOS_LIMIT_MAX_FLOWS: u32, flows tracked at most (16 to 2^24)
 * @MOS_LIMIT_BUF_SIDE: u32, out-of-order bytes one side may hold (at
 *	least 4096)
 * @MOS_LIMIT_BUF_TOTAL: u64, out-of-order bytes of all flows (at least
 *	65536)
 * @MOS_LIMIT_MIDSTREAM: u8, 1: pick up flows whose handshake was not seen
 * @MOS_LIMIT_TIMEOUTS: nest: attribute type N + 1 (u32, seconds, 1 to
 *	2^22) is the idle timeout of a side in TCP state N (&enum
 *	mos_tcp_state).  A flow expires when it
 *	has been idle for the larger of its two sides' timeouts.
 * @MOS_LIMIT_PAD: padding for 64-bit attributes
 * @MOS_LIMIT_OVERLAP: u8, &enum mos_overlap: which bytes of overlapping
 *	segments enter the stream, for flows created from now on
 * @MOS_LIMIT_STALL_MS: u32, inline mode: how long (ms) a consumer may
 *	leave its full ring unread before it stalls: the namespace's packets
 *	stop waiting for room in it, and it loses records instead
 *	(%MOS_STAT_CONS_STALLED).  0: never (fail closed: packets are
 *	dropped while any consumer's ring is full).  Default
 *	%MOS_STALL_MS_DEFAULT.
 * @MOS_LIMIT_UNPARSED: u8, &enum mos_unparsed: inline mode, what becomes
 *	of a packet whose headers do not parse (%MOS_STAT_PARSE_ERR)
 * @MOS_LIMIT_SEG_SIDE: u32, out-of-order pieces one side may hold (16 to
 *	2^20; default 4096): contiguous bytes share a piece of up to 2 KiB,
 *	each run of bytes after a hole takes one (%MOS_STAT_SEG_SIDE)
 * @MOS_LIMIT_PAWS: u8, &enum mos_paws: for which receivers segments that
 *	PAWS discards are refused (%MOS_STAT_NACC_PAWS)
 * @MOS_LIMIT_STORE_AGE_MS: u32, ms (10 to 86400000): a side's out-of-order
 *	store whose hole has been open this long is given up as at the
 *	side's end: the stored bytes its receiver acknowledged are
 *	delivered, the hole and the bytes past that acknowledgment reported
 *	as a gap (%MOS_GAP_AGED, %MOS_STAT_END_UNREAD)
 *	(%MOS_STAT_STORE_AGED).  Default %MOS_STORE_AGE_MS_DEFAULT.
 * @MOS_LIMIT_VERDICT_MS: u32, inline mode, ms (1 to 60000): how long a
 *	packet held for a verdict (%MOS_RING_F_VERDICT) waits for it before
 *	it gets %MOS_LIMIT_VERDICT_POLICY (%MOS_STAT_VERDICT_TIMEOUT).
 *	Default %MOS_VERDICT_MS_DEFAULT.
 * @MOS_LIMIT_VERDICT_POLICY: u8, &enum mos_verdict_policy: what becomes
 *	of a held packet whose verdict does not come in time, whose
 *	consumer closes, or that finds no room to be held
 * @MOS_LIMIT_HELD_MAX: u32 (1 to 65536), packets held at once at most,
 *	per consumer and for the whole namespace (%MOS_STAT_HELD_FULL).
 *	Default %MOS_HELD_MAX_DEFAULT.
 * @__MOS_LIMIT_MAX: one past the last limit
 * @MOS_LIMIT_MAX: the last limit
 */
enum mos_limit {
	MOS_LIMIT_UNSPEC,
	MOS_LIMIT_MAX_FLOWS,
	MOS_LIMIT_BUF_SIDE,
	MOS_LIMIT_BUF_TOTAL,
	MOS_LIMIT_MIDSTREAM,
	MOS_LIMIT_TIMEOUTS,
	MOS_LIMIT_PAD,
	MOS_LIMIT_OVERLAP,
	MOS_LIMIT_STALL_MS,
	MOS_LIMIT_UNPARSED,
	MOS_LIMIT_SEG_SIDE,
	MOS_LIMIT_PAWS,
	MOS_LIMIT_STORE_AGE_MS,
	MOS_LIMIT_VERDICT_MS,
	MOS_LIMIT_VERDICT_POLICY,
	MOS_LIMIT_HELD_MAX,

	__MOS_LIMIT_MAX,
	MOS_LIMIT_MAX = __MOS_LIMIT_MAX - 1
};

/* The default of %MOS_LIMIT_STALL_MS */
#define MOS_STALL_MS_DEFAULT	2000
/* The default of %MOS_LIMIT_STORE_AGE_MS */
#define MOS_STORE_AGE_MS_DEFAULT	30000
/* The default of %MOS_LIMIT_VERDICT_MS */
#define MOS_VERDICT_MS_DEFAULT	1000
/* The default of %MOS_LIMIT_HELD_MAX */
#define MOS_HELD_MAX_DEFAULT	1024
/* The largest %MOS_LIMIT_HELD_MAX and %MOS_LIMIT_VERDICT_MS */
#define MOS_HELD_MAX_LIMIT	65536
#define MOS_VERDICT_MS_LIMIT	60000

/**
 * enum mos_verdict_policy - %MOS_LIMIT_VERDICT_POLICY
 * @MOS_VPOLICY_ACCEPT: the packet goes on (the default)
 * @MOS_VPOLICY_DROP: the packet is dropped
 */
enum mos_verdict_policy {
	MOS_VPOLICY_ACCEPT,
	MOS_VPOLICY_DROP,
};

/**
 * enum mos_overlap - where segments overlap, which bytes the stream takes
 * @MOS_OVERLAP_FIRST: the bytes seen first
 * @MOS_OVERLAP_LAST: the bytes seen last, as long as they have not
 *	entered the stream yet (out-of-order bytes waiting behind a hole);
 *	bytes already delivered never change
 * @MOS_OVERLAP_LINUX: the bytes a Linux receiver's read() returns (the
 *	default): a segment at the stream's edge enters it whole; of
 *	segments waiting behind a hole, the one that starts first gives the
 *	bytes they share, and one that starts where a waiting one starts and
 *	ends after it replaces it (tcp_data_queue_ofo())
 *
 * Under every policy, overlapping bytes that differ count in
 * %MOS_STAT_OVERLAP_DIFF.  FIRST and LAST are the values of mOS's
 * MOS_OVERLAP_POLICY_FIRST and _LAST.
 */
enum mos_overlap {
	MOS_OVERLAP_FIRST,
	MOS_OVERLAP_LAST,
	MOS_OVERLAP_LINUX,
};

/**
 * enum mos_paws - for which receivers mos refuses what PAWS discards
 * @MOS_PAWS_AUTO: receivers on this host (the default): the destination
 *	address of the flow's SYN is local, or the SYN's sender is (sent
 *	from here); there the monitor sees segments in the receiver's order
 * @MOS_PAWS_ON: every receiver: for a monitor that sees the receivers'
 *	order, such as a router that forwards in order
 * @MOS_PAWS_OFF: none: away from a receiver the monitor may see another
 *	order than it, and refuse bytes it took
 */
enum mos_paws {
	MOS_PAWS_AUTO,
	MOS_PAWS_ON,
	MOS_PAWS_OFF,
};

/**
 * enum mos_unparsed - inline mode: the fate of a packet that does not parse
 * @MOS_UNPARSED_DROP: drop it (the default: no rule can run on it, so a
 *	drop or reset rule must not be bypassed by a malformed header);
 *	counted in %MOS_STAT_UNPARSED_DROP
 * @MOS_UNPARSED_PASS: let it go, untracked
 *
 * Passive mode passes every packet whatever this says.
 */
enum mos_unparsed {
	MOS_UNPARSED_DROP,
	MOS_UNPARSED_PASS,
};

/**
 * enum mos_tcp_state - TCP state of one side, as the monitor infers it
 * @MOS_TCP_CLOSED: no connection, or closed (FIN handshake done, or an RST)
 * @MOS_TCP_LISTEN: the server side before the client's SYN reached it
 * @MOS_TCP_SYN_SENT: sent a SYN
 * @MOS_TCP_SYN_RCVD: received a SYN
 * @MOS_TCP_ESTABLISHED: handshake complete
 * @MOS_TCP_FIN_WAIT_1: sent a FIN
 * @MOS_TCP_FIN_WAIT_2: its FIN was acknowledged
 * @MOS_TCP_CLOSE_WAIT: received the peer's FIN
 * @MOS_TCP_CLOSING: sent a FIN, then received the peer's before the ACK of
 *	its own
 * @MOS_TCP_LAST_ACK: sent its FIN after the peer's
 * @MOS_TCP_TIME_WAIT: both FINs done, its own acknowledged
 *
 * The values of mOS's enum tcpstate: in &mos_rec_event.state and
 * .old_state, %MOS_FLOW_A_CLI_STATE and %MOS_FLOW_A_SVR_STATE; the types
 * of the %MOS_LIMIT_TIMEOUTS nest are these plus one.
 */
enum mos_tcp_state {
	MOS_TCP_CLOSED,
	MOS_TCP_LISTEN,
	MOS_TCP_SYN_SENT,
	MOS_TCP_SYN_RCVD,
	MOS_TCP_ESTABLISHED,
	MOS_TCP_FIN_WAIT_1,
	MOS_TCP_FIN_WAIT_2,
	MOS_TCP_CLOSE_WAIT,
	MOS_TCP_CLOSING,
	MOS_TCP_LAST_ACK,
	MOS_TCP_TIME_WAIT,
};

/* The number of TCP states */
#define MOS_TCP_STATES		11

/**
 * enum mos_flow_attr - one flow, inside %MOS_A_FLOW
 * @MOS_FLOW_A_UNSPEC: invalid
 * @MOS_FLOW_A_ID: u64, the flow's id, unique in its namespace
 * @MOS_FLOW_A_FAMILY: u8, 4 or 6
 * @MOS_FLOW_A_CLI_ADDR: binary, 4 or 16 bytes, network order
 * @MOS_FLOW_A_SVR_ADDR: binary, 4 or 16 bytes, network order
 * @MOS_FLOW_A_CLI_PORT: u16, host order
 * @MOS_FLOW_A_SVR_PORT: u16, host order
 * @MOS_FLOW_A_CLI_STATE: u8, the client side's TCP state (&enum
 *	mos_tcp_state)
 * @MOS_FLOW_A_SVR_STATE: u8, the server side's TCP state
 * @MOS_FLOW_A_BYTES_C2S: u64, stream bytes delivered from the client
 * @MOS_FLOW_A_BYTES_S2C: u64, stream bytes delivered from the server
 * @MOS_FLOW_A_AGE_MS: u64, milliseconds since the flow was created
 * @MOS_FLOW_A_IDLE_MS: u64, milliseconds since its last packet
 * @MOS_FLOW_A_RULE_ID: u32, the rule that matched it; 0: none
 * @MOS_FLOW_A_ACTION: u8, &enum mos_action
 * @MOS_FLOW_A_MIDSTREAM: u8, 1: picked up without its handshake
 * @MOS_FLOW_A_PAD: padding for 64-bit attributes
 * @__MOS_FLOW_A_MAX: one past the last attribute
 * @MOS_FLOW_A_MAX: the last attribute
 */
enum mos_flow_attr {
	MOS_FLOW_A_UNSPEC,
	MOS_FLOW_A_ID,
	MOS_FLOW_A_FAMILY,
	MOS_FLOW_A_CLI_ADDR,
	MOS_FLOW_A_SVR_ADDR,
	MOS_FLOW_A_CLI_PORT,
	MOS_FLOW_A_SVR_PORT,
	MOS_FLOW_A_CLI_STATE,
	MOS_FLOW_A_SVR_STATE,
	MOS_FLOW_A_BYTES_C2S,
	MOS_FLOW_A_BYTES_S2C,
	MOS_FLOW_A_AGE_MS,
	MOS_FLOW_A_IDLE_MS,
	MOS_FLOW_A_RULE_ID,
	MOS_FLOW_A_ACTION,
	MOS_FLOW_A_MIDSTREAM,
	MOS_FLOW_A_PAD,

	__MOS_FLOW_A_MAX,
	MOS_FLOW_A_MAX = __MOS_FLOW_A_MAX - 1
};

/**
 * enum mos_stat - counters of one namespace, all u64, inside %MOS_A_STATS
 *
 * Counted since monitoring was last enabled, over the packets the hooks
 * saw: every IPv4 and IPv6 packet of the namespace once (received and
 * forwarded packets at PRE_ROUTING, locally generated ones at LOCAL_OUT,
 * loopback packets at LOCAL_OUT only), after IP defragmentation.  A GSO
 * aggregate is one packet.
 *
 * @MOS_STAT_UNSPEC: invalid
 * @MOS_STAT_PAD: padding for 64-bit attributes
 * @MOS_STAT_PACKETS: packets seen
 * @MOS_STAT_BYTES: bytes seen, as skb->len: from the IP header on
 * @MOS_STAT_TCP4: well-formed TCP segments over IPv4
 * @MOS_STAT_TCP6: well-formed TCP segments over IPv6
 * @MOS_STAT_SYN: TCP segments with SYN set (SYN-ACKs included)
 * @MOS_STAT_NONTCP: well-formed IP packets that carry no TCP header
 *	(other protocols, ESP, no next header)
 * @MOS_STAT_PARSE_ERR: packets whose IP or TCP header does not parse
 *	(truncated, bad header or data offset, bad length)
 *
 * The flow tracker's counters follow.  Their totals are kept when
 * monitoring is disabled, and zeroed when it is enabled again.
 *
 * @MOS_STAT_FLOWS: flows created
 * @MOS_STAT_FLOWS_MIDSTREAM: of which picked up mid-stream
 * @MOS_STAT_FLOWS_ENDED: flows removed
 * @MOS_STAT_FLOWS_ACTIVE: flows tracked now
 * @MOS_STAT_ORPHANS: packets of no tracked flow (TCP or not)
 * @MOS_STAT_REXMIT: retransmitted segments
 * @MOS_STAT_BYTES_C2S: stream bytes from clients to servers, in order
 * @MOS_STAT_BYTES_S2C: stream bytes from servers to clients, in order
 * @MOS_STAT_GAPS: holes a stream had to skip (a limit was hit, or the
 *	flow ended with bytes stored behind them)
 * @MOS_STAT_GAP_BYTES: bytes in those holes
 * @MOS_STAT_FLOW_LIMIT: SYNs not tracked: the flow limit was reached
 * @MOS_STAT_BUF_SIDE: segments a side's out-of-order store refused
 * @MOS_STAT_BUF_TOTAL: segments the namespace's out-of-order limit refused
 * @MOS_STAT_NOMEM: failed allocations on the packet path
 * @MOS_STAT_CSUM_BAD: TCP segments with a bad checksum, kept out of streams
 * @MOS_STAT_OOW: segments outside the receiver's window, ignored
 * @MOS_STAT_RST_INWIN: RSTs in the window but not at its edge
 * @MOS_STAT_RST_OOW: RSTs outside the window, ignored
 * @MOS_STAT_OVERLAP_DIFF: overlapping segments whose bytes differ
 * @MOS_STAT_TIMEOUTS: flows that idled out
 * @MOS_STAT_OOO_BYTES: bytes held in out-of-order stores now
 * @MOS_STAT_EV_PKT_IN: events raised, by type (the mOS MOS_ON_* event of
 *	the same name), through @MOS_STAT_EV_CONN_END
 * @MOS_STAT_EV_PKT_OUT: never raised
 * @MOS_STAT_EV_CONN_START: events CONN_START
 * @MOS_STAT_EV_CONN_SETUP: events CONN_SETUP
 * @MOS_STAT_EV_NEW_DATA: events CONN_NEW_DATA
 * @MOS_STAT_EV_ERROR: events ERROR
 * @MOS_STAT_EV_TIMEOUT: events TIMEOUT
 * @MOS_STAT_EV_STATE_CHANGE: events TCP_STATE_CHANGE
 * @MOS_STAT_EV_ORPHAN: events ORPHAN
 * @MOS_STAT_EV_REXMIT: events REXMIT
 * @MOS_STAT_EV_CONN_END: events CONN_END
 *
 * Rules and inline mode:
 *
 * @MOS_STAT_FLOWS_IGNORED: flows a %MOS_ACTION_IGNORE rule matched (not
 *	in @MOS_STAT_FLOWS)
 * @MOS_STAT_FLOWS_DROPPED: flows a %MOS_ACTION_DROP rule matched (not in
 *	@MOS_STAT_FLOWS)
 * @MOS_STAT_DROPPED: packets dropped, of those flows and of flows reset
 *	with %MOS_CMD_FLOW_RESET
 * @MOS_STAT_RESETS: TCP resets sent
 * @MOS_STAT_RESET_LIMITED: packets not answered with resets: over the
 *	rate limit; the packet is dropped all the same
 * @MOS_STAT_FLOWS_RESET: flows reset with %MOS_CMD_FLOW_RESET
 * @MOS_STAT_RESET_FAILED: resets that could not be sent (no route, no
 *	memory)
 * @MOS_STAT_MEM_LIMIT: flows and out-of-order segments refused because
 *	all namespaces together reached the module's mem_limit parameter
 * @MOS_STAT_RING_FULL: packets dropped in inline mode because a
 *	consumer's ring had no room for their records (TCP sends them
 *	again)
 * @MOS_STAT_RING_LOST: records a ring had no room for and that were
 *	counted in a %MOS_REC_LOST record instead, in any mode
 * @MOS_STAT_STORE_FULL: packets dropped in inline mode because their
 *	out-of-order bytes did not fit the store (TCP sends them again)
 * @MOS_STAT_FLOWS_EVICTED: flows that never completed their handshake,
 *	ended (%MOS_END_EVICT) so that a new flow could be tracked in a
 *	table at its flow limit
 * @MOS_STAT_ANNOUNCE_LOST: flow announcements (%MOS_CMD_FLOW_NEW,
 *	%MOS_CMD_FLOW_END) that could not be allocated or delivered to every
 *	listener of the "flows" group; %MOS_A_EVENT_SEQ shows the gap
 * @MOS_STAT_CONS_STALLED: consumers declared stalled in inline mode
 *	(%MOS_LIMIT_STALL_MS): each time one was passed over after leaving
 *	its full ring unread that long
 * @MOS_STAT_DROPPED_NOFLOW: inline mode: TCP segments of no tracked flow
 *	that a %MOS_ACTION_DROP or %MOS_ACTION_RESET rule matched, dropped
 *	(and for a reset rule answered, unless the checksum is bad): a
 *	connection whose flow could not be created (@MOS_STAT_FLOW_LIMIT,
 *	@MOS_STAT_MEM_LIMIT, @MOS_STAT_NOMEM), a segment with a bad checksum
 *	and no flow, or any other segment of no flow.  The rules fail closed.
 * @MOS_STAT_UNPARSED_DROP: inline mode: packets that did not parse
 *	(@MOS_STAT_PARSE_ERR) dropped by the %MOS_UNPARSED_DROP policy
 * @MOS_STAT_HOST_DROPS: packets not tracked because the host drops them
 *	itself after the hook: forwarded (not for a local address) with an
 *	IPv4 TTL or IPv6 hop limit of 1 or less, or IPv4 with a loose or
 *	strict source route option on a device that does not accept source
 *	routes (accept_source_route)
 *
 * Packets parsed but not tracked, because the receiver's TCP does not
 * get them as they are (Documentation/tcpmon.rst, "What the receiver
 * accepts"); each is passed, and is in neither @MOS_STAT_NONTCP nor
 * @MOS_STAT_PARSE_ERR:
 *
 * @MOS_STAT_IP_FRAG: IPv4 and IPv6 fragments (more fragments set, or an
 *	offset other than 0): only where defragmentation did not run
 * @MOS_STAT_IP6_OPT_DISCARD: IPv6 packets whose hop-by-hop or
 *	destination options Linux discards (ip6_parse_tlv() with the
 *	default sysctls: an unrecognised option of a "discard" type, over
 *	7 bytes of padding in a row, over 8 options, a known option that
 *	fails its checks)
 * @MOS_STAT_IP6_HBH_NOT_FIRST: IPv6 packets with a hop-by-hop options
 *	header that does not follow the IPv6 header directly; Linux drops
 *	them
 * @MOS_STAT_IP6_RH_DISCARD: IPv6 packets whose routing header Linux
 *	refuses with the default sysctls (segment routing, RPL, Mobile
 *	IPv6 type 2, a multicast destination) or that it sends on to
 *	another address (segments left)
 *
 * Segments, or parts of them, that the receiving TCP does not accept and
 * that are kept out of its stream (Documentation/tcpmon.rst, "What the
 * receiver accepts"):
 *
 * @MOS_STAT_NACC_NOACK: segments without ACK, which the receiver discards
 *	(%MOS_ERR_NOACK)
 * @MOS_STAT_NACC_ACK_UNSENT: segments acknowledging bytes the receiver never
 *	sent (%MOS_ERR_ACK_UNSENT)
 * @MOS_STAT_NACC_ACK_OLD: segments acknowledging bytes before the receiver's
 *	window (%MOS_ERR_ACK_OLD)
 * @MOS_STAT_NACC_PAWS: segments PAWS discards (%MOS_ERR_PAWS)
 * @MOS_STAT_NACC_SYN_DATA: SYNs whose payload the receiver did not take
 *	(%MOS_ERR_SYN_DATA)
 * @MOS_STAT_NACC_FIN: FINs the stream went past (%MOS_ERR_FIN)
 * @MOS_STAT_NACC_URG: urgent bytes left out of streams (%MOS_ERR_URG)
 * @MOS_STAT_SEG_SIDE: segments a side's out-of-order store refused because
 *	it held as many pieces as %MOS_LIMIT_SEG_SIDE allows (also counted
 *	in @MOS_STAT_BUF_SIDE, or in inline mode in @MOS_STAT_STORE_FULL)
 * @MOS_STAT_END_UNREAD: bytes a side stored behind a hole past the last
 *	acknowledgment its receiver sent, when the flow ended (FIN, RST,
 *	timeout, eviction, flush, disable) or its store was given up for
 *	age or pressure (%MOS_STAT_STORE_AGED, %MOS_STAT_STORE_TRIMMED):
 *	the receiver's read() had not returned them; reported in a gap
 *	(%MOS_ERR_GAP), not delivered, also in @MOS_STAT_GAP_BYTES
 * @MOS_STAT_IP4_OPT_DISCARD: IPv4 packets whose options Linux refuses
 *	(ip_options_compile(): bad lengths or pointers, a repeated option,
 *	CIPSO with no DOI configured); parsed, not tracked, passed
 * @MOS_STAT_FLOWS_EVICTED_IDLE: flows heard from both ends but idle for
 *	60 s at least, ended (%MOS_END_EVICT) so that a new flow could be
 *	tracked in a table at its flow limit with no half-open flow to end
 * @MOS_STAT_FLOWS_EVICTED_MID: flows picked up mid-stream and heard from
 *	one end only (what spoofed ACKs make), ended (%MOS_END_EVICT) so
 *	that a new flow could be tracked in a table at its flow limit
 * @MOS_STAT_STORE_SHARE: segments that would have taken their flow over its
 *	share of the namespace's out-of-order store (the budget
 *	%MOS_LIMIT_BUF_TOTAL split among the flows that hold stored bytes):
 *	passive mode, the side's store was given up (gap reason
 *	%MOS_GAP_SHARE); inline mode, the packet was dropped for its sender
 *	to send again (also in @MOS_STAT_STORE_FULL)
 * @MOS_STAT_STORE_AGED: out-of-order stores given up because their hole
 *	was older than %MOS_LIMIT_STORE_AGE_MS (gap reason %MOS_GAP_AGED)
 * @MOS_STAT_STORE_TRIMMED: flows over their share whose stores were given
 *	up, the namespace's store being full, to make room for a flow within
 *	its share (gap reason %MOS_GAP_PRESSURE)
 * @MOS_STAT_HELD: packets held for a consumer's verdict
 *	(%MOS_RING_F_VERDICT), with a %MOS_REC_HELD record, or queued
 *	behind a held packet of their flow
 * @MOS_STAT_HELD_FULL: packets that should have been held but found the
 *	consumer's or the namespace's %MOS_LIMIT_HELD_MAX reached, or no
 *	memory: they got %MOS_LIMIT_VERDICT_POLICY at once
 * @MOS_STAT_VERDICT_ACCEPT: held packets accepted by their consumer
 * @MOS_STAT_VERDICT_DROP: held packets dropped by their consumer
 * @MOS_STAT_VERDICT_MODIFIED: accepted held packets whose bytes the
 *	consumer rewrote
 * @MOS_STAT_VERDICT_BAD: verdicts refused (%MOS_IOC_VERDICT): a token
 *	not this consumer's, not held (any more), a bad range or flags
 * @MOS_STAT_VERDICT_TIMEOUT: held packets whose verdict did not come
 *	within %MOS_LIMIT_VERDICT_MS: they got %MOS_LIMIT_VERDICT_POLICY
 * @MOS_STAT_HELD_RELEASED: held packets released by policy without a
 *	verdict because their consumer closed or monitoring was disabled
 * @MOS_STAT_XDP_UNLINKED: frames mos's XDP program handed over from a
 *	device not recorded with %MOS_CMD_LINK_ADD: passed, not tracked
 * @MOS_STAT_XDP_RESET_UNSENT: packets a reset rule matched at XDP whose
 *	reset was not sent: a program without %MOS_XDP_F_TX (dropped, when
 *	inline) or without %MOS_XDP_F_INLINE (passed), a decapsulated or
 *	multi-buffer frame, a bad checksum, a multicast or broadcast address
 *	(Documentation/xdp.rst)
 * @MOS_STAT_DECAP: frames of a device attached with %MOS_XDP_F_DECAP
 *	whose inner IP packet was handed to the tracker after removing at
 *	least one encapsulation (IP in IP, GRE, ERSPAN, VXLAN, Geneve,
 *	PPPoE, GTP-U; Documentation/xdp.rst)
 * @MOS_STAT_DECAP_UNKNOWN: frames with %MOS_XDP_F_DECAP whose
 *	encapsulation carries something mos does not decapsulate (a GRE
 *	version or protocol, a Geneve protocol, a PPP protocol other than
 *	IP, a GTP-U message other than G-PDU, an inner frame that is not
 *	IP): passed, not tracked
 * @MOS_STAT_DECAP_BAD: frames with %MOS_XDP_F_DECAP whose encapsulation
 *	header is malformed (cut short, reserved bits or lengths wrong):
 *	passed, not tracked
 * @MOS_STAT_DECAP_DEEP: frames with %MOS_XDP_F_DECAP nested deeper than
 *	%MOS_DECAP_DEPTH_MAX encapsulations: passed, not tracked
 * @MOS_STAT_HELD_NOW: packets held for verdicts now, all consumers (a
 *	gauge)
 * @MOS_STAT_HELD_FLOWS: flows that have packets held now, counted once
 *	per verdict consumer holding some (a gauge)
 * @MOS_STAT_SENDPKT: packets sent with %MOS_IOC_SENDPKT
 * @MOS_STAT_SENDPKT_LIMITED: %MOS_IOC_SENDPKT requests refused over the
 *	namespace's rate (%MOS_SENDPKT_RATE a second)
 * @MOS_STAT_SENDPKT_INVALID: %MOS_IOC_SENDPKT requests refused for their
 *	packet: not a well-formed IPv4 or IPv6 TCP segment of the flow, from
 *	the side given, or no such flow
 * @MOS_STAT_SENDPKT_FAILED: %MOS_IOC_SENDPKT packets that could not be
 *	sent (no route, larger than the route's MTU, no memory)
 * @MOS_STAT_FLOW_ALIASES: flows given a second 4-tuple by a verdict that
 *	rewrote a packet's addresses or ports (NAT): the packets that carry
 *	it are tracked as the flow's
 * @MOS_STAT_FLOW_ALIAS_FAIL: second 4-tuples refused (another live
 *	flow's, more than max-flows of them, memory): their packets are
 *	orphans
 * @MOS_STAT_HELD_NONE: %MOS_REC_HELD records with token 0: a verdict
 *	consumer got event records of a packet that is not held for it
 *	(held for another verdict consumer, or not held at all): no verdict
 *	of its is due
 * @MOS_STAT_HELD_ORDER: of %MOS_STAT_HELD, packets queued only behind a
 *	held packet of their 4-tuple, to keep its order: no verdict of theirs
 *	is due (no %MOS_REC_HELD record), they leave, accepted, in their turn
 * @MOS_STAT_HELD_UNTRACKED: held packets that left after their flow had
 *	ended (or made way for a new connection on its 4-tuple) while they
 *	waited: their receiver's side was not tracked
 * @__MOS_STAT_MAX: one past the last counter
 * @MOS_STAT_MAX: the last counter
 */
enum mos_stat {
	MOS_STAT_UNSPEC,
	MOS_STAT_PAD,
	MOS_STAT_PACKETS,
	MOS_STAT_BYTES,
	MOS_STAT_TCP4,
	MOS_STAT_TCP6,
	MOS_STAT_SYN,
	MOS_STAT_NONTCP,
	MOS_STAT_PARSE_ERR,
	MOS_STAT_FLOWS,
	MOS_STAT_FLOWS_MIDSTREAM,
	MOS_STAT_FLOWS_ENDED,
	MOS_STAT_FLOWS_ACTIVE,
	MOS_STAT_ORPHANS,
	MOS_STAT_REXMIT,
	MOS_STAT_BYTES_C2S,
	MOS_STAT_BYTES_S2C,
	MOS_STAT_GAPS,
	MOS_STAT_GAP_BYTES,
	MOS_STAT_FLOW_LIMIT,
	MOS_STAT_BUF_SIDE,
	MOS_STAT_BUF_TOTAL,
	MOS_STAT_NOMEM,
	MOS_STAT_CSUM_BAD,
	MOS_STAT_OOW,
	MOS_STAT_RST_INWIN,
	MOS_STAT_RST_OOW,
	MOS_STAT_OVERLAP_DIFF,
	MOS_STAT_TIMEOUTS,
	MOS_STAT_OOO_BYTES,
	MOS_STAT_EV_PKT_IN,
	MOS_STAT_EV_PKT_OUT,
	MOS_STAT_EV_CONN_START,
	MOS_STAT_EV_CONN_SETUP,
	MOS_STAT_EV_NEW_DATA,
	MOS_STAT_EV_ERROR,
	MOS_STAT_EV_TIMEOUT,
	MOS_STAT_EV_STATE_CHANGE,
	MOS_STAT_EV_ORPHAN,
	MOS_STAT_EV_REXMIT,
	MOS_STAT_EV_CONN_END,
	MOS_STAT_FLOWS_IGNORED,
	MOS_STAT_FLOWS_DROPPED,
	MOS_STAT_DROPPED,
	MOS_STAT_RESETS,
	MOS_STAT_RESET_LIMITED,
	MOS_STAT_FLOWS_RESET,
	MOS_STAT_RESET_FAILED,
	MOS_STAT_MEM_LIMIT,
	MOS_STAT_RING_FULL,
	MOS_STAT_RING_LOST,
	MOS_STAT_STORE_FULL,
	MOS_STAT_FLOWS_EVICTED,
	MOS_STAT_ANNOUNCE_LOST,
	MOS_STAT_CONS_STALLED,
	MOS_STAT_DROPPED_NOFLOW,
	MOS_STAT_UNPARSED_DROP,
	MOS_STAT_HOST_DROPS,
	MOS_STAT_IP_FRAG,
	MOS_STAT_IP6_OPT_DISCARD,
	MOS_STAT_IP6_HBH_NOT_FIRST,
	MOS_STAT_IP6_RH_DISCARD,
	MOS_STAT_NACC_NOACK,
	MOS_STAT_NACC_ACK_UNSENT,
	MOS_STAT_NACC_ACK_OLD,
	MOS_STAT_NACC_PAWS,
	MOS_STAT_NACC_SYN_DATA,
	MOS_STAT_NACC_FIN,
	MOS_STAT_NACC_URG,
	MOS_STAT_SEG_SIDE,
	MOS_STAT_END_UNREAD,
	MOS_STAT_IP4_OPT_DISCARD,
	MOS_STAT_FLOWS_EVICTED_IDLE,
	MOS_STAT_FLOWS_EVICTED_MID,
	MOS_STAT_STORE_SHARE,
	MOS_STAT_STORE_AGED,
	MOS_STAT_STORE_TRIMMED,
	MOS_STAT_HELD,
	MOS_STAT_HELD_FULL,
	MOS_STAT_VERDICT_ACCEPT,
	MOS_STAT_VERDICT_DROP,
	MOS_STAT_VERDICT_MODIFIED,
	MOS_STAT_VERDICT_BAD,
	MOS_STAT_VERDICT_TIMEOUT,
	MOS_STAT_HELD_RELEASED,
	MOS_STAT_XDP_UNLINKED,
	MOS_STAT_XDP_RESET_UNSENT,
	MOS_STAT_DECAP,
	MOS_STAT_DECAP_UNKNOWN,
	MOS_STAT_DECAP_BAD,
	MOS_STAT_DECAP_DEEP,
	MOS_STAT_HELD_NOW,
	MOS_STAT_HELD_FLOWS,
	MOS_STAT_SENDPKT,
	MOS_STAT_SENDPKT_LIMITED,
	MOS_STAT_SENDPKT_INVALID,
	MOS_STAT_SENDPKT_FAILED,
	MOS_STAT_FLOW_ALIASES,
	MOS_STAT_FLOW_ALIAS_FAIL,
	MOS_STAT_HELD_NONE,
	MOS_STAT_HELD_ORDER,
	MOS_STAT_HELD_UNTRACKED,

	__MOS_STAT_MAX,
	MOS_STAT_MAX = __MOS_STAT_MAX - 1
};

/* /dev/mos */

#define MOS_DEV_NAME		"mos"

/* Incompatible changes of the /dev/mos ABI bump the major number. */
#define MOS_ABI_MAJOR		0
/* Compatible additions bump the minor number. */
#define MOS_ABI_MINOR		14

/**
 * struct mos_ioc_version - argument of %MOS_IOC_VERSION
 * @abi_major: %MOS_ABI_MAJOR of the running module
 * @abi_minor: %MOS_ABI_MINOR of the running module
 * @genl_version: %MOS_GENL_VERSION of the running module
 * @reserved: zero
 */
struct mos_ioc_version {
	__u32 abi_major;
	__u32 abi_minor;
	__u32 genl_version;
	__u32 reserved;
};

/* ioctl type of /dev/mos (Documentation/uapi.rst) */
#define MOS_IOC_TYPE		0xB9

/* MOS_IOC_VERSION - fill a struct mos_ioc_version */
#define MOS_IOC_VERSION		_IOR(MOS_IOC_TYPE, 0x00, struct mos_ioc_version)

/*
 * The event ring of an open /dev/mos (Documentation/uapi.rst).
 *
 * MOS_IOC_RING_SETUP allocates it; mmap() then maps it, by page offset:
 *
 *   %MOS_RING_PGOFF_CONS   one page, struct mos_ring_pos: the consumer
 *                          position, the only page that may be mapped
 *                          writable
 *   %MOS_RING_PGOFF_HDR    one page, struct mos_ring_hdr, read-only
 *   %MOS_RING_PGOFF_PROD   one page, struct mos_ring_pos: the producer
 *                          position, read-only
 *   %MOS_RING_PGOFF_DATA   the data area, &mos_ring_hdr.data_size bytes,
 *                          mapped twice in a row (2 * data_size bytes),
 *                          read-only: a record that wraps is contiguous
 *
 * Positions count bytes since the ring was set up and never wrap (64
 * bits); a record at position P starts at byte P & (data_size - 1) of the
 * data area.  The kernel writes records at the producer position; the
 * consumer reads them from its position up to the producer's, then
 * stores its new position.  The kernel trusts no value it reads back but
 * the consumer position, and clamps that one.
 *
 * Memory ordering: read the producer position with acquire semantics,
 * then each record's &mos_rec.len with acquire semantics: while
 * %MOS_REC_BUSY is set the record is being written, and the consumer
 * stops there.  A record with %MOS_REC_DISCARD is skipped.  Store the
 * consumer position with release semantics once done with the records
 * before it.
 */
#define MOS_RING_PGOFF_CONS	0
#define MOS_RING_PGOFF_HDR	1
#define MOS_RING_PGOFF_PROD	2
#define MOS_RING_PGOFF_DATA	3

#define MOS_RING_MAGIC		0x6d6f7352	/* "mosR" */
/* Data area size: a power of two, 64 KiB to 256 MiB */
#define MOS_RING_MIN		(64U << 10)
#define MOS_RING_MAX		(256U << 20)

/**
 * struct mos_ring_hdr - the header page of a ring
 * @magic: %MOS_RING_MAGIC
 * @abi_major: %MOS_ABI_MAJOR
 * @abi_minor: %MOS_ABI_MINOR
 * @page_size: the kernel's page size: offsets of mmap() are in these
 * @reserved: zero
 * @data_size: bytes of the data area, a power of two
 */
struct mos_ring_hdr {
	__u32 magic;
	__u16 abi_major;
	__u16 abi_minor;
	__u32 page_size;
	__u32 reserved;
	__u64 data_size;
};

/**
 * struct mos_ring_pos - a position page
 * @pos: bytes produced (producer page) or consumed (consumer page)
 */
struct mos_ring_pos {
	__u64 pos;
};

/**
 * struct mos_rec - header of a record; its body follows
 * @len: body bytes, with %MOS_REC_BUSY and %MOS_REC_DISCARD; the record
 *	takes sizeof(struct mos_rec) + body bytes rounded up to 8
 * @type: &enum mos_rec_type
 * @sock: the monitor socket the record is for (%MOS_REC_EVENT), else 0
 */
struct mos_rec {
	__u32 len;
	__u16 type;
	__u16 sock;
};

#define MOS_REC_BUSY		0x80000000U
#define MOS_REC_DISCARD		0x40000000U
#define MOS_REC_LEN_MASK	(MOS_REC_DISCARD - 1)
#define MOS_REC_ALIGN		8

/**
 * enum mos_rec_type - what a record's body is
 * @MOS_REC_UNSPEC: never written
 * @MOS_REC_FLOW_OPEN: struct mos_rec_flow: a flow starts, before any
 *	other record of it
 * @MOS_REC_EVENT: struct mos_rec_event, then the packet's first bytes
 * @MOS_REC_DATA: struct mos_rec_data, then the stream bytes
 * @MOS_REC_FLOW_CLOSE: struct mos_rec_flow: the flow is gone; no record of
 *	it follows
 * @MOS_REC_LOST: struct mos_rec_lost: records the ring had no room for
 *	(passive mode), since the last LOST record
 * @MOS_REC_HELD: struct mos_rec_held: the packet of the event records
 *	just before is held for this consumer's verdict (%MOS_IOC_VERDICT),
 *	or with token 0 is not; every packet whose event records about a
 *	flow a consumer with %MOS_RING_F_VERDICT gets has one after them,
 *	for those consumers only (ABI minor 8)
 */
enum mos_rec_type {
	MOS_REC_UNSPEC,
	MOS_REC_FLOW_OPEN,
	MOS_REC_EVENT,
	MOS_REC_DATA,
	MOS_REC_FLOW_CLOSE,
	MOS_REC_LOST,
	MOS_REC_HELD,
};

/**
 * struct mos_rec_flow - body of %MOS_REC_FLOW_OPEN and %MOS_REC_FLOW_CLOSE
 * @flow: the flow's id, unique in its namespace (as the flow dump's)
 * @family: 4 or 6
 * @reserved: zero
 * @cli_addr: the client's address, network order (IPv4: 4 bytes)
 * @svr_addr: the server's address
 * @cli_port: the client's port, network order
 * @svr_port: the server's port, network order
 * @reserved2: zero
 * @socks: %MOS_REC_FLOW_OPEN: the stream sockets the flow is for, bit
 *	N - 1 for socket N: those whose SYN filter accepted its first
 *	packet, or that have none.  Event records of the flow may also come
 *	for the others (one of the consumer's sockets wanted it); they are
 *	not for those sockets.  %MOS_REC_FLOW_CLOSE: zero.
 *
 * Also the flow's name in %MOS_IOC_FLOW: @flow and the endpoints find it.
 */
struct mos_rec_flow {
	__u64 flow;
	__u8 family;
	__u8 reserved[7];
	__u8 cli_addr[16];
	__u8 svr_addr[16];
	__be16 cli_port;
	__be16 svr_port;
	__u32 reserved2;
	__u64 socks;
};

/**
 * enum mos_ev_type - the event of an event record (&mos_rec_event.type)
 * @MOS_EV_PKT_IN: a packet of a tracked flow (hooks SND and RCV); for a
 *	raw socket, an IP packet its filter accepts (hook NULL, flow 0)
 * @MOS_EV_PKT_OUT: reserved, never raised
 * @MOS_EV_CONN_START: a side starts: the client on its SYN, the server on
 *	the SYN it receives; once per side
 * @MOS_EV_CONN_SETUP: a side completed the handshake
 * @MOS_EV_NEW_DATA: in-order bytes entered the stream a side receives
 *	(hook NULL)
 * @MOS_EV_ERROR: &enum mos_err says what happened (hook NULL)
 * @MOS_EV_TIMEOUT: the flow idled out; before its CONN_END events (hook
 *	NULL)
 * @MOS_EV_STATE_CHANGE: a side's TCP state changed
 * @MOS_EV_ORPHAN: a packet of no tracked flow (hook NULL, flow 0)
 * @MOS_EV_REXMIT: a retransmission: data, SYN, SYN-ACK or FIN sent again,
 *	or bytes overlapping bytes already seen
 * @MOS_EV_CONN_END: a side ended (&enum mos_end_reason); once per side
 *	that had a CONN_START
 * @__MOS_EV_MAX: one past the last: the number of event types
 *
 * Each value is the event's bit number in mOS's event mask (MOS_ON_PKT_IN
 * is 1 << %MOS_EV_PKT_IN, and so on), the mask of
 * &mos_ioc_subscribe.events.  The counters %MOS_STAT_EV_PKT_IN to
 * %MOS_STAT_EV_CONN_END are in the same order.
 */
enum mos_ev_type {
	MOS_EV_PKT_IN,
	MOS_EV_PKT_OUT,
	MOS_EV_CONN_START,
	MOS_EV_CONN_SETUP,
	MOS_EV_NEW_DATA,
	MOS_EV_ERROR,
	MOS_EV_TIMEOUT,
	MOS_EV_STATE_CHANGE,
	MOS_EV_ORPHAN,
	MOS_EV_REXMIT,
	MOS_EV_CONN_END,

	__MOS_EV_MAX
};

/**
 * enum mos_hook - where an event is raised, as mOS's hook points
 * @MOS_HOOK_NULL: outside any side's update (mOS's MOS_NULL)
 * @MOS_HOOK_SND: after the sending side's state was updated (MOS_HK_SND)
 * @MOS_HOOK_RCV: after the receiving side's state was updated
 *	(MOS_HK_RCV)
 *
 * Events are subscribed per hook (&mos_ioc_subscribe.hook); an event
 * record says which it was raised at (&mos_rec_event.hook).
 */
enum mos_hook {
	MOS_HOOK_NULL,
	MOS_HOOK_SND,
	MOS_HOOK_RCV,
};

/* The number of hooks */
#define MOS_HOOKS		3

/**
 * enum mos_err - what a %MOS_EV_ERROR reports (&mos_rec_event.err)
 * @MOS_ERR_NONE: not an error event
 * @MOS_ERR_FLOW_LIMIT: a SYN found the flow table full; no flow was
 *	created (flow 0)
 * @MOS_ERR_NOMEM: an allocation failed (a flow or an out-of-order segment)
 * @MOS_ERR_BUF_SIDE: the side's out-of-order store is full
 *	(%MOS_LIMIT_BUF_SIDE)
 * @MOS_ERR_BUF_TOTAL: the namespace's out-of-order bytes are at their
 *	limit (%MOS_LIMIT_BUF_TOTAL)
 * @MOS_ERR_GAP: bytes were skipped: &mos_rec_event.off and .len say which,
 *	&mos_rec_event.reason why (&enum mos_gap_reason)
 * @MOS_ERR_OOW: a segment outside the receiver's window was ignored
 * @MOS_ERR_CSUM: a segment with a bad TCP checksum was ignored
 * @MOS_ERR_OVERLAP_DIFF: overlapping bytes differ from those seen first
 * @MOS_ERR_RST_INWIN: an RST inside the window but not at its left edge
 *	(the receiver answers with a challenge ACK and stays open)
 * @MOS_ERR_RST_OOW: an RST outside the window, ignored
 * @MOS_ERR_MEM_LIMIT: the module's mem_limit, over all namespaces,
 *	refused a flow or an out-of-order segment
 * @MOS_ERR_NOACK: a segment without ACK (nor SYN, RST): the receiver
 *	discards it; ignored
 * @MOS_ERR_ACK_UNSENT: a segment acknowledging bytes the receiver never
 *	sent (RFC 5961 5.2): the receiver discards it; ignored
 * @MOS_ERR_ACK_OLD: a segment acknowledging bytes before the receiver's
 *	window (RFC 5961 5.2): the receiver discards it; ignored
 * @MOS_ERR_PAWS: a segment with a timestamp older than the last one the
 *	receiver took (RFC 7323 5): the receiver discards it; ignored
 * @MOS_ERR_SYN_DATA: a SYN's payload the receiver did not take (no TCP
 *	Fast Open cookie, or the SYN-ACK did not acknowledge it): not in the
 *	stream
 * @MOS_ERR_FIN: a FIN the receiver never processed: its stream went past the
 *	FIN's sequence number before reaching it
 * @MOS_ERR_URG: the urgent byte, left out of the stream as a reader without
 *	SO_OOBINLINE never reads it there; .off is where it would have been,
 *	.len 1
 * @__MOS_ERR_MAX: one past the last
 */
enum mos_err {
	MOS_ERR_NONE,
	MOS_ERR_FLOW_LIMIT,
	MOS_ERR_NOMEM,
	MOS_ERR_BUF_SIDE,
	MOS_ERR_BUF_TOTAL,
	MOS_ERR_GAP,
	MOS_ERR_OOW,
	MOS_ERR_CSUM,
	MOS_ERR_OVERLAP_DIFF,
	MOS_ERR_RST_INWIN,
	MOS_ERR_RST_OOW,
	MOS_ERR_MEM_LIMIT,
	MOS_ERR_NOACK,
	MOS_ERR_ACK_UNSENT,
	MOS_ERR_ACK_OLD,
	MOS_ERR_PAWS,
	MOS_ERR_SYN_DATA,
	MOS_ERR_FIN,
	MOS_ERR_URG,

	__MOS_ERR_MAX
};

/**
 * enum mos_end_reason - why a side ended (&mos_rec_event.reason of
 * %MOS_EV_CONN_END)
 * @MOS_END_FIN: the FIN handshake completed (or TIME_WAIT ran out)
 * @MOS_END_RST: an RST the receiver accepts
 * @MOS_END_TIMEOUT: the flow idled out
 * @MOS_END_REUSE: a new SYN reused the 4-tuple of a closing flow
 * @MOS_END_FLUSH: the flow table was flushed (monitoring disabled, the
 *	end of a capture offline)
 * @MOS_END_EVICT: a new flow took its place in a table at its flow
 *	limit: it never completed its handshake, or was picked up mid-stream
 *	and heard from one end only, or had been idle for 60 s at least
 *	(%MOS_STAT_FLOWS_EVICTED, %MOS_STAT_FLOWS_EVICTED_MID,
 *	%MOS_STAT_FLOWS_EVICTED_IDLE)
 * @__MOS_END_MAX: one past the last
 */
enum mos_end_reason {
	MOS_END_FIN,
	MOS_END_RST,
	MOS_END_TIMEOUT,
	MOS_END_REUSE,
	MOS_END_FLUSH,
	MOS_END_EVICT,

	__MOS_END_MAX
};

/**
 * enum mos_gap_reason - why a stream skipped bytes (&mos_rec_event.reason
 * of a %MOS_ERR_GAP error)
 * @MOS_GAP_LOSS: mos never saw the bytes (capture loss: dropped before
 *	the hook, or never sent) and the side ended (FIN, RST, timeout,
 *	flush) or its stream went on past them; also what a module before
 *	ABI minor 6 says of every gap
 * @MOS_GAP_LIMIT: a limit refused a segment the store needed: the ERROR
 *	event before the gap names it (%MOS_ERR_BUF_SIDE,
 *	%MOS_ERR_BUF_TOTAL, %MOS_ERR_MEM_LIMIT, %MOS_ERR_NOMEM)
 * @MOS_GAP_SHARE: the flow would have held more than its share of the
 *	namespace's store (%MOS_STAT_STORE_SHARE)
 * @MOS_GAP_AGED: the hole was older than %MOS_LIMIT_STORE_AGE_MS
 *	(%MOS_STAT_STORE_AGED)
 * @MOS_GAP_PRESSURE: the namespace's store was full and this flow, over its
 *	share, gave its store up to a flow within its own
 *	(%MOS_STAT_STORE_TRIMMED)
 * @__MOS_GAP_MAX: one past the last
 */
enum mos_gap_reason {
	MOS_GAP_LOSS,
	MOS_GAP_LIMIT,
	MOS_GAP_SHARE,
	MOS_GAP_AGED,
	MOS_GAP_PRESSURE,

	__MOS_GAP_MAX
};

/*
 * Packet bytes an event record carries at most (&mos_rec_event.pkt_len)
 * by default: when &mos_ioc_ring.pkt_max is 0
 */
#define MOS_PKT_COPY_MAX	2048
/* The largest &mos_ioc_ring.pkt_max: what &mos_rec_event.pkt_len holds */
#define MOS_PKT_COPY_LIMIT	65535

/**
 * struct mos_rec_event - body of %MOS_REC_EVENT
 * @flow: the flow's id; 0 for an orphan and flow-less errors
 * @ts_ns: when, CLOCK_MONOTONIC nanoseconds; the records of one packet
 *	have the time of its first (ABI minor 14; before, each its own)
 * @off: see @len
 * @len: NEW_DATA: bytes added at stream offset @off; ERROR GAP: bytes
 *	skipped at @off; REXMIT: payload length at @off
 * @type: the event, &enum mos_ev_type
 * @hook: where it was raised, &enum mos_hook
 * @side: the side the event is about: 0 client, 1 server
 * @err: for %MOS_EV_ERROR, what happened: &enum mos_err
 * @old_state: for %MOS_EV_STATE_CHANGE, the side's previous state
 * @reason: for %MOS_EV_CONN_END, &enum mos_end_reason; for a
 *	%MOS_ERR_GAP error, &enum mos_gap_reason (since ABI minor 6); else 0
 * @state: both sides' TCP states after the event (&enum mos_tcp_state)
 * @pkt_from: the side that sent the packet (0 or 1)
 * @flags: %MOS_EVF_SEQ0 when @seq0 is set; %MOS_EVF_PKT_PREV when the
 *	packet's bytes are not in this record (ABI minor 7)
 * @pkt_len: bytes of the packet that follow this struct, from its IP
 *	header (at most the consumer's &mos_ioc_ring.pkt_max, by default
 *	%MOS_PKT_COPY_MAX); 0: the event has no packet.  With
 *	%MOS_EVF_PKT_PREV, none follow: @pkt_len is what the record that
 *	carried them carried
 * @pkt_total: the packet's length from its IP header (a GSO aggregate's
 *	may exceed 65535; @pkt_len is less when the packet was cut)
 * @seq0: the TCP sequence number of offset 0 of the stream @side
 *	receives (its peer's ISN + 1), once the tracker knows it
 *	(%MOS_EVF_SEQ0); stream offsets map to sequence numbers through it
 */
struct mos_rec_event {
	__u64 flow;
	__u64 ts_ns;
	__u64 off;
	__u32 len;
	__u8 type;
	__u8 hook;
	__u8 side;
	__u8 err;
	__u8 old_state;
	__u8 reason;
	__u8 state[2];
	__u8 pkt_from;
	__u8 flags;
	__u16 pkt_len;
	__u32 pkt_total;
	__u32 seq0;
};

/* &mos_rec_event.flags */
#define MOS_EVF_SEQ0	0x01
/*
 * The packet is the one of the flow's last event record that carried
 * packet bytes (its @pkt_len bytes): a consumer that set up its ring with
 * %MOS_RING_F_PKT_ONCE gets each packet's bytes once per packet, in the
 * first of the packet's event records it gets
 */
#define MOS_EVF_PKT_PREV	0x02

/**
 * struct mos_rec_data - body of %MOS_REC_DATA
 * @flow: the flow's id
 * @off: stream offset of the first byte
 * @side: the side that receives these bytes (0: the client receives,
 *	server-to-client bytes)
 * @flags: 0, or %MOS_DATAF_PKT (ABI minor 8; zero before)
 * @pkt_off: with %MOS_DATAF_PKT, where the bytes start in the packet;
 *	else zero
 * @len: stream bytes: those that follow, or with %MOS_DATAF_PKT those
 *	of the packet from @pkt_off
 */
struct mos_rec_data {
	__u64 flow;
	__u64 off;
	__u8 side;
	__u8 flags;
	__u16 pkt_off;
	__u32 len;
};

/*
 * &mos_rec_data.flags: no bytes follow the body; the @len stream bytes
 * are bytes @pkt_off to @pkt_off + @len - 1 of the packet of the flow's
 * last event record that carried packet bytes (the record of the same
 * packet, before this one in the ring).  Only for a consumer that set up
 * its ring with %MOS_RING_F_DATA_PKT.
 */
#define MOS_DATAF_PKT	0x01

#define MOS_LOST_FLOWS	8

/**
 * struct mos_rec_lost - body of %MOS_REC_LOST
 * @events: event records lost
 * @data: data records lost
 * @bytes: stream bytes in them
 * @other: flow records lost
 * @nflows: flows that lost records, in @flows (at most %MOS_LOST_FLOWS;
 *	more if @nflows is %MOS_LOST_FLOWS + 1, the rest not named)
 * @reserved: zero
 * @flows: their ids
 */
struct mos_rec_lost {
	__u64 events;
	__u64 data;
	__u64 bytes;
	__u64 other;
	__u32 nflows;
	__u32 reserved;
	__u64 flows[MOS_LOST_FLOWS];
};

/**
 * struct mos_ioc_ring - argument of %MOS_IOC_RING_SETUP
 * @size: sizeof(struct mos_ioc_ring)
 * @flags: 0, %MOS_RING_F_PKT_ONCE (ABI minor 7), and with it
 *	%MOS_RING_F_DATA_PKT (ABI minor 8); %MOS_RING_F_VERDICT;
 *	%MOS_RING_F_WAKEUP (ABI minor 14)
 * @data_size: bytes of the data area, a power of two from %MOS_RING_MIN
 *	to %MOS_RING_MAX
 * @split_count: 0 or 1: this consumer gets every flow; N > 1: it gets the
 *	flows whose symmetric hash is @split_index modulo N (at most
 *	%MOS_SPLIT_MAX), so N consumers with indexes 0 to N - 1 share the
 *	namespace's flows, each flow's records in one ring
 * @split_index: see @split_count; below it
 * @reserved: zero
 * @pkt_max: packet bytes each event record carries at most (the packet
 *	is cut there; &mos_rec_event.pkt_total says how long it was): 0 for
 *	%MOS_PKT_COPY_MAX, else at most %MOS_PKT_COPY_LIMIT.  A record never
 *	takes more than half the data area: make it at least four times the
 *	largest record wanted (for whole 64 KiB packets, 256 KiB).
 * @wakeup_bytes: with %MOS_RING_F_WAKEUP, the records handed over in
 *	batches: poll() reports the ring readable, and wakes a consumer
 *	waiting in it, once at least this many bytes of records wait (from
 *	the consumer's position); at most half the data area.  The consumer
 *	bounds how long fewer bytes wait by its poll() timeout.  Zero
 *	without the flag: the consumer is woken by the first record it
 *	waits for.
 *
 * The struct grew: a caller whose @size is %MOS_IOC_RING_SIZE_VER0 (it
 * ends at @reserved) gets @pkt_max 0.
 */
struct mos_ioc_ring {
	__u32 size;
	__u32 flags;
	__u64 data_size;
	__u32 split_count;
	__u32 split_index;
	__u64 reserved;
	__u32 pkt_max;
	__u32 wakeup_bytes;
};

/*
 * &mos_ioc_ring.flags: a flow's packet's bytes go in the first of its
 * event records only; the next ones of the same packet have
 * %MOS_EVF_PKT_PREV instead (ABI minor 7)
 */
#define MOS_RING_F_PKT_ONCE	0x01
/*
 * &mos_ioc_ring.flags, inline mode: a packet of a tracked flow that
 * raises an event this consumer subscribed to is held until the consumer
 * gives its verdict (%MOS_REC_HELD, %MOS_IOC_VERDICT) or
 * %MOS_LIMIT_VERDICT_MS passes (ABI minor 8).  Passive mode ignores it.
 */
#define MOS_RING_F_VERDICT	0x02

/**
 * struct mos_rec_held - body of %MOS_REC_HELD
 * @token: names the packet in %MOS_IOC_VERDICT, for this consumer only;
 *	0: the packet is not held for this consumer, no verdict of its is
 *	due: held for another verdict consumer, or not held at all
 *	(%MOS_LIMIT_HELD_MAX reached or the hook could not take it: it got
 *	the policy; the tracker dropped it; passive mode)
 * @flow: the flow's id
 * @pkt_total: the packet's length from its IP header
 * @pkt_from: the side that sent it (0 client, 1 server)
 * @reserved: zero
 */
struct mos_rec_held {
	__u64 token;
	__u64 flow;
	__u32 pkt_total;
	__u8 pkt_from;
	__u8 reserved[3];
};

/* &mos_verdict.verdict */
#define MOS_VERDICT_ACCEPT	1
#define MOS_VERDICT_DROP	2

/*
 * &mos_verdict.flags: after the rewrite, recompute the IPv4 header
 * checksum; update the TCP checksum for the bytes that changed (its
 * pseudo-header's addresses included): what mOS's MOS_UPDATE_IP_CHKSUM
 * and MOS_UPDATE_TCP_CHKSUM ask for
 */
#define MOS_VERDICT_F_IP_CSUM	0x01
#define MOS_VERDICT_F_TCP_CSUM	0x02

/**
 * struct mos_verdict - one verdict of %MOS_IOC_VERDICT
 * @token: &mos_rec_held.token
 * @data: with %MOS_VERDICT_ACCEPT and @len: user pointer to @len bytes
 *	that replace the packet's bytes from @off (same length: the packet
 *	keeps its length)
 * @verdict: %MOS_VERDICT_ACCEPT or %MOS_VERDICT_DROP
 * @flags: %MOS_VERDICT_F_IP_CSUM, %MOS_VERDICT_F_TCP_CSUM
 * @off: where the new bytes go, from the IP header
 * @len: new bytes, 0: none; @off + @len at most the packet's length
 * @res: out: 0, or the negative errno this verdict failed with
 * @reserved: zero
 */
struct mos_verdict {
	__u64 token;
	__u64 data;
	__u32 verdict;
	__u32 flags;
	__u32 off;
	__u32 len;
	__s32 res;
	__u32 reserved;
};

/**
 * struct mos_ioc_verdict - argument of %MOS_IOC_VERDICT
 * @size: sizeof(struct mos_ioc_verdict)
 * @n: verdicts in @vec (at most %MOS_VERDICT_BATCH)
 * @vec: user pointer to @n struct mos_verdict; each one's @res is
 *	written back
 */
struct mos_ioc_verdict {
	__u32 size;
	__u32 n;
	__u64 vec;
};

#define MOS_VERDICT_BATCH	256

/*
 * &mos_ioc_ring.flags, only with %MOS_RING_F_PKT_ONCE: stream bytes that
 * a packet's record carried already are not copied again; their data
 * record refers to them (%MOS_DATAF_PKT) (ABI minor 9)
 */
#define MOS_RING_F_DATA_PKT	0x04
/*
 * &mos_ioc_ring.flags: the consumer is woken by &mos_ioc_ring.wakeup_bytes
 * of records, not by the first (ABI minor 14).  Not with
 * %MOS_RING_F_VERDICT: a held packet waits for its consumer to see it.
 */
#define MOS_RING_F_WAKEUP	0x08
/* The &mos_ioc_ring.flags this module knows */
#define MOS_RING_F__ALL		(MOS_RING_F_PKT_ONCE | MOS_RING_F_VERDICT | \
				 MOS_RING_F_DATA_PKT | MOS_RING_F_WAKEUP)

/* The first &mos_ioc_ring.size: ABI 0.4, without @pkt_max */
#define MOS_IOC_RING_SIZE_VER0	32

/* Consumers (opens of /dev/mos with a ring) per namespace at most */
#define MOS_CONSUMERS_MAX	64
#define MOS_SPLIT_MAX		MOS_CONSUMERS_MAX

/*
 * Monitor socket types: the values of mOS's MOS_SOCK_MONITOR_STREAM and
 * MOS_SOCK_MONITOR_RAW (enum socket_type of mtcp_api.h)
 */
#define MOS_MSOCK_STREAM	3
#define MOS_MSOCK_RAW		7
/* Monitor sockets per open of /dev/mos at most */
#define MOS_SOCKS_MAX		64

/**
 * struct mos_ioc_socket - argument of %MOS_IOC_SOCKET
 * @size: sizeof(struct mos_ioc_socket)
 * @type: %MOS_MSOCK_STREAM, or %MOS_MSOCK_RAW: a raw socket gets a
 *	%MOS_ON_PKT_IN event (hook %MOS_HOOK_NULL, flow 0) for every IP
 *	packet its raw filter accepts, TCP or not, tracked or not; nothing
 *	else
 * @id: out: the socket's id, from 1, in &mos_rec.sock of its records
 * @reserved: zero
 */
struct mos_ioc_socket {
	__u32 size;
	__u32 type;
	__u32 id;
	__u32 reserved;
};

/**
 * struct mos_ioc_subscribe - argument of %MOS_IOC_SUBSCRIBE
 * @size: sizeof(struct mos_ioc_subscribe)
 * @sock: the monitor socket
 * @hook: %MOS_HOOK_NULL, %MOS_HOOK_SND or %MOS_HOOK_RCV
 * @flags: zero
 * @events: the events the socket gets at that hook from now on, as the
 *	mOS event mask (bit N: event N); replaces the previous mask.  Bits
 *	of events the hook never raises are refused (-EINVAL).
 * @buf: stream bytes each side's buffer may hold, indexed by side (0:
 *	what the client receives); 0: no %MOS_REC_DATA for that side.  The
 *	largest of all the sockets' applies.
 * @reserved: zero
 */
struct mos_ioc_subscribe {
	__u32 size;
	__u32 sock;
	__u32 hook;
	__u32 flags;
	__u64 events;
	__u32 buf[2];
	__u64 reserved;
};

/* Filters of a monitor socket (struct mos_ioc_filter) */
#define MOS_FILTER_SYN		0
#define MOS_FILTER_ORPHAN	1
#define MOS_FILTER_RAW		2
/* Classic BPF instructions per filter at most (BPF_MAXINSNS) */
#define MOS_FILTER_MAX_INSNS	4096

/**
 * struct mos_ioc_filter - argument of %MOS_IOC_FILTER
 * @size: sizeof(struct mos_ioc_filter)
 * @sock: the monitor socket
 * @which: %MOS_FILTER_SYN (stream sockets: run on the packet that
 *	creates a flow; the flow is for the socket if it accepts), or
 *	%MOS_FILTER_ORPHAN (stream sockets: run on each orphan; the
 *	%MOS_ON_ORPHAN event is for the socket if it accepts), or
 *	%MOS_FILTER_RAW (raw sockets: run on every packet)
 * @len: instructions at @insns; 0 removes the filter (everything passes)
 * @insns: user pointer to @len struct sock_filter: classic BPF that sees
 *	the packet from its IP header (libpcap's DLT_RAW); a non-zero
 *	return accepts
 * @reserved: zero
 *
 * A filter applies to flows and packets seen after it is set.
 */
struct mos_ioc_filter {
	__u32 size;
	__u32 sock;
	__u32 which;
	__u32 len;
	__u64 insns;
	__u64 reserved;
};

/**
 * struct mos_ioc_split - argument of %MOS_IOC_SPLIT
 * @size: sizeof(struct mos_ioc_split)
 * @count: consumers that share the flows (&mos_ioc_ring.split_count), 1
 *	to %MOS_SPLIT_MAX
 * @index: out (not read): the index (&mos_ioc_ring.split_index) of the consumer a
 *	split in @count gives the flow of these endpoints, below @count
 * @family: 4 or 6
 * @reserved: zero
 * @saddr: one endpoint's address, network order (IPv4: 4 bytes, the
 *	other 12 zero)
 * @daddr: the other endpoint's address
 * @sport: @saddr's port, network order
 * @dport: @daddr's port, network order
 * @reserved2: zero
 *
 * The flow's key does not depend on the direction: swapping (@saddr,
 * @sport) with (@daddr, @dport) gives the same @index.  The answer is the
 * namespace's flow table's own keyed hash, so it holds while monitoring
 * stays enabled; enabling it again draws a new key.
 */
struct mos_ioc_split {
	__u32 size;
	__u32 count;
	__u32 index;
	__u8 family;
	__u8 reserved[3];
	__u8 saddr[16];
	__u8 daddr[16];
	__be16 sport;
	__be16 dport;
	__u32 reserved2;
};

/* Operations of %MOS_IOC_FLOW */
#define MOS_FLOW_STOP		1
#define MOS_FLOW_RESET		2
#define MOS_FLOW_DROP		3
#define MOS_FLOW_OVERLAP	4

/* Sides, as bits, for %MOS_FLOW_STOP */
#define MOS_SIDE_BIT_CLI	0x1
#define MOS_SIDE_BIT_SVR	0x2

/**
 * struct mos_ioc_flow - argument of %MOS_IOC_FLOW
 * @size: sizeof(struct mos_ioc_flow)
 * @op: %MOS_FLOW_STOP: this consumer gets no more record about the
 *	@sides of the flow (events about that side, the bytes it receives);
 *	with both sides, not even %MOS_REC_FLOW_CLOSE.
 *	%MOS_FLOW_RESET: reset the connection at both ends, as mosctl's
 *	"flow reset" (inline mode only, else -EOPNOTSUPP).
 *	%MOS_FLOW_DROP: drop every later packet of the flow, untracked,
 *	until it idles out (inline mode only, else -EOPNOTSUPP).
 *	%MOS_FLOW_OVERLAP: set the overlap policy (&enum mos_overlap) of
 *	the streams the @sides receive, for the segments seen from now on.
 *	The flow has one stream per side for all consumers: the last
 *	setting wins.
 * @sides: %MOS_FLOW_STOP and %MOS_FLOW_OVERLAP: %MOS_SIDE_BIT_CLI,
 *	%MOS_SIDE_BIT_SVR or both; otherwise zero
 * @arg: %MOS_FLOW_OVERLAP: &enum mos_overlap; otherwise zero
 * @flow: the flow as its %MOS_REC_FLOW_OPEN record names it: @flow.flow,
 *	family, addresses and ports must match (-ENOENT if no such flow
 *	lives); its reserved fields and socks are ignored
 */
struct mos_ioc_flow {
	__u32 size;
	__u32 op;
	__u32 sides;
	__u32 arg;
	struct mos_rec_flow flow;
};

/* &mos_ioc_sendpkt.flags: compute the TCP checksum */
#define MOS_SENDPKT_F_TCP_CSUM	0x01
#define MOS_SENDPKT_F__ALL	MOS_SENDPKT_F_TCP_CSUM
/* Bytes of a packet %MOS_IOC_SENDPKT sends at most */
#define MOS_SENDPKT_MAX		65535
/* Packets %MOS_IOC_SENDPKT sends per second and namespace at most */
#define MOS_SENDPKT_RATE	1000

/**
 * struct mos_ioc_sendpkt - argument of %MOS_IOC_SENDPKT (ABI minor 11)
 * @size: sizeof(struct mos_ioc_sendpkt)
 * @flags: %MOS_SENDPKT_F_TCP_CSUM, or 0: the TCP checksum as given
 * @side: the end of the flow the packet comes from: 0 the client, 1 the
 *	server; it goes to the other end
 * @len: bytes at @pkt, from the IP header, at most %MOS_SENDPKT_MAX
 * @pkt: user pointer to the packet: an IPv4 header without options or
 *	an IPv6 header without extension headers, in the flow's family,
 *	then a TCP header and its payload.  The IP header's length field
 *	is @len; its addresses and the TCP ports are those of the flow,
 *	from @side to the other end.  IPv4: no fragment; the header
 *	checksum is always computed.
 * @flow: the flow as its %MOS_REC_FLOW_OPEN record names it (as in
 *	&mos_ioc_flow.flow)
 */
struct mos_ioc_sendpkt {
	__u32 size;
	__u32 flags;
	__u32 side;
	__u32 len;
	__u64 pkt;
	struct mos_rec_flow flow;
};

/* MOS_IOC_RING_SETUP - allocate the ring; once per open (-EBUSY) */
#define MOS_IOC_RING_SETUP	_IOW(MOS_IOC_TYPE, 0x01, struct mos_ioc_ring)
/* MOS_IOC_SOCKET - create a monitor socket */
#define MOS_IOC_SOCKET		_IOWR(MOS_IOC_TYPE, 0x02, struct mos_ioc_socket)
/* MOS_IOC_SUBSCRIBE - set a socket's events at a hook, and its buffers */
#define MOS_IOC_SUBSCRIBE	_IOW(MOS_IOC_TYPE, 0x03, struct mos_ioc_subscribe)
/* MOS_IOC_FILTER - set or remove a filter of a monitor socket */
#define MOS_IOC_FILTER		_IOW(MOS_IOC_TYPE, 0x04, struct mos_ioc_filter)
/* MOS_IOC_FLOW - act on one flow: stop monitoring, reset, drop, overlap */
#define MOS_IOC_FLOW		_IOW(MOS_IOC_TYPE, 0x05, struct mos_ioc_flow)
/*
 * MOS_IOC_SPLIT - which consumer of a split a 4-tuple's flow goes to;
 * with or without a ring.  -ENOENT while the namespace is not monitored
 * (its flow table, and the table's hash key, do not exist).
 */
#define MOS_IOC_SPLIT		_IOWR(MOS_IOC_TYPE, 0x06, struct mos_ioc_split)
/*
 * MOS_IOC_VERDICT - verdicts on held packets (%MOS_RING_F_VERDICT):
 * each is applied in turn; 0 if all were, else -EINVAL (the refused ones
 * have their &mos_verdict.res set and are counted in
 * %MOS_STAT_VERDICT_BAD)
 */
#define MOS_IOC_VERDICT		_IOW(MOS_IOC_TYPE, 0x07, struct mos_ioc_verdict)
/*
 * MOS_IOC_SENDPKT - send a packet of a live flow as one of its ends
 * would, untracked by mos (inline mode only, else -EOPNOTSUPP);
 * rate-limited per namespace (-EAGAIN over %MOS_SENDPKT_RATE a second)
 */
#define MOS_IOC_SENDPKT		_IOW(MOS_IOC_TYPE, 0x08, struct mos_ioc_sendpkt)
/*
 * MOS_IOC_RING_SETUP_VER0 - %MOS_IOC_RING_SETUP as ABI 0.4 numbered it
 * (the number encodes the struct's size, which grew); still taken, with
 * an argument of any size the ring's takes
 */
#define MOS_IOC_RING_SETUP_VER0	_IOC(_IOC_WRITE, MOS_IOC_TYPE, 0x01, \
				     MOS_IOC_RING_SIZE_VER0)

#endif /* _UAPI_LINUX_MOS_H */
