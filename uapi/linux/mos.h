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
 * Every generic netlink command acts on the network namespace of the
 * netlink socket that sends it.  Requests carry no attributes; one that
 * does is rejected with -EINVAL.
 */
#ifndef _UAPI_LINUX_MOS_H
#define _UAPI_LINUX_MOS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define MOS_GENL_NAME		"mos"
#define MOS_GENL_VERSION	1

/**
 * enum mos_cmd - generic netlink commands of the "mos" family
 * @MOS_CMD_UNSPEC: invalid
 * @MOS_CMD_NS_ENABLE: start monitoring the namespace: zero its statistics
 *	and register the netfilter hooks.  No attributes.  Needs
 *	CAP_NET_ADMIN in the initial user namespace.  Fails with -EEXIST if
 *	monitoring is already enabled.
 * @MOS_CMD_NS_DISABLE: stop monitoring the namespace: remove the hooks.
 *	Statistics are kept, final once the reply arrives, until the next
 *	enable.  No attributes.  Needs CAP_NET_ADMIN in the initial user
 *	namespace.  Fails with -ENOENT if monitoring is not enabled.
 * @MOS_CMD_NS_GET: state of the namespace.  No attributes.  Needs
 *	CAP_NET_ADMIN over the namespace.  Reply:
 *	%MOS_A_NS_ENABLED, %MOS_A_MOD_VERSION, %MOS_A_STATS.
 * @__MOS_CMD_MAX: one past the last command
 * @MOS_CMD_MAX: the last command
 */
enum mos_cmd {
	MOS_CMD_UNSPEC,
	MOS_CMD_NS_ENABLE,
	MOS_CMD_NS_DISABLE,
	MOS_CMD_NS_GET,

	__MOS_CMD_MAX,
	MOS_CMD_MAX = __MOS_CMD_MAX - 1
};

/**
 * enum mos_attr - top-level attributes
 * @MOS_A_UNSPEC: invalid
 * @MOS_A_NS_ENABLED: u8, 1 when the namespace is monitored
 * @MOS_A_MOD_VERSION: string, the module's version
 * @MOS_A_STATS: nest of &enum mos_stat: the namespace's counters
 * @__MOS_A_MAX: one past the last attribute
 * @MOS_A_MAX: the last attribute
 */
enum mos_attr {
	MOS_A_UNSPEC,
	MOS_A_NS_ENABLED,
	MOS_A_MOD_VERSION,
	MOS_A_STATS,

	__MOS_A_MAX,
	MOS_A_MAX = __MOS_A_MAX - 1
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
