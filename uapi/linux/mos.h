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
 *   applications.  For now it answers MOS_IOC_VERSION only.
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
 * @MOS_A_RULE_HITS: u64, flows the rule matched (for %MOS_ACTION_RESET:
 *	first packets answered)
 * @MOS_A_FLOW: nest of &enum mos_flow_attr
 * @MOS_A_PAD: padding for 64-bit attributes
 * @MOS_A_EVENT_SEQ: u64, in %MOS_CMD_FLOW_NEW and %MOS_CMD_FLOW_END: the
 *	namespace's announcement counter, from 1.  A listener that sees it
 *	jump knows how many announcements it lost.
 * @MOS_A_FLOW_ID: u64, a flow's id (%MOS_FLOW_A_ID), for
 *	%MOS_CMD_FLOW_RESET
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
 *	2^22) is the idle timeout of a side in TCP state N (&enum tcpstate
 *	numbering of mOS: 0 CLOSED to 10 TIME_WAIT).  A flow expires when it
 *	has been idle for the larger of its two sides' timeouts.
 * @MOS_LIMIT_PAD: padding for 64-bit attributes
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

	__MOS_LIMIT_MAX,
	MOS_LIMIT_MAX = __MOS_LIMIT_MAX - 1
};

/* TCP states, as mOS numbers them (types of the timeout nest minus one) */
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
 * @MOS_FLOW_A_CLI_STATE: u8, the client side's TCP state (mOS numbering)
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
 *	(other protocols, non-first fragments, ESP)
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
 * @MOS_STAT_GAPS: holes a stream had to skip (a limit was hit)
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

	__MOS_STAT_MAX,
	MOS_STAT_MAX = __MOS_STAT_MAX - 1
};

/* /dev/mos */

#define MOS_DEV_NAME		"mos"

/* Incompatible changes of the /dev/mos ABI bump the major number. */
#define MOS_ABI_MAJOR		0
/* Compatible additions bump the minor number. */
#define MOS_ABI_MINOR		1

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

#endif /* _UAPI_LINUX_MOS_H */
