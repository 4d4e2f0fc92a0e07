/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libmosuser.h - userspace side of mos
 *
 * Native calls are named mos_<object>__<verb> and return a negative errno
 * on failure; they never exit or abort.  The mOS API (mtcp_*) is built on
 * them.
 */
#ifndef _LIBMOSUSER_H
#define _LIBMOSUSER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/mos.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * mos_dev__open() - open /dev/mos
 *
 * Return: a file descriptor, or -errno (-ENOENT: the module is not loaded;
 * -EPERM: CAP_NET_ADMIN is missing over this network namespace).
 */
int mos_dev__open(void);

/**
 * mos_dev__version() - the ABI versions of the running module
 * @fd: from mos_dev__open()
 * @v: filled
 *
 * Return: 0, -EPROTO if the module speaks an incompatible ABI, or -errno.
 */
int mos_dev__version(int fd, struct mos_ioc_version *v);

/**
 * struct mos_ring_user - a mapped ring, the consumer's view
 * @fd: the /dev/mos file
 * @page_size: the kernel's page size
 * @cons: the consumer position (written here)
 * @hdr: the header page
 * @prod: the producer position
 * @data: the data area (mapped twice in a row)
 * @mask: data size minus one (all ones for an offline context's buffer,
 *	mos_offline__ring())
 */
struct mos_ring_user {
	int fd;
	long page_size;
	struct mos_ring_pos *cons;
	const struct mos_ring_hdr *hdr;
	const struct mos_ring_pos *prod;
	const uint8_t *data;
	uint64_t mask;
};

/**
 * mos_ring__open() - set up the ring of an open /dev/mos and map it
 * @r: filled
 * @fd: from mos_dev__open()
 * @data_size: bytes of the data area (a power of two, %MOS_RING_MIN to
 *	%MOS_RING_MAX)
 *
 * Return: 0 or -errno (-EPROTO: the ring's header is not what this
 * library knows).
 */
int mos_ring__open(struct mos_ring_user *r, int fd, uint64_t data_size);

/**
 * mos_ring__open_split() - mos_ring__open() for one of several consumers
 * that share the namespace's flows
 * @r: filled
 * @fd: from mos_dev__open()
 * @data_size: as for mos_ring__open()
 * @split_count: consumers sharing the flows (0 or 1: this one gets all)
 * @split_index: this one's index, below @split_count
 *
 * Each flow goes to the consumer whose index is its symmetric hash modulo
 * @split_count (&mos_ioc_ring.split_count).
 *
 * Return: 0 or -errno.
 */
int mos_ring__open_split(struct mos_ring_user *r, int fd, uint64_t data_size,
			 uint32_t split_count, uint32_t split_index);

/**
 * struct mos_ring_opts - how mos_ring__open_opts() sets up a ring
 * @sz: sizeof(struct mos_ring_opts), so that the struct can grow
 * @data_size: as for mos_ring__open()
 * @split_count: as for mos_ring__open_split() (0: every flow)
 * @split_index: as for mos_ring__open_split()
 * @pkt_max: packet bytes an event record carries at most
 *	(&mos_ioc_ring.pkt_max): 0 for %MOS_PKT_COPY_MAX (2048), up to
 *	%MOS_PKT_COPY_LIMIT (65535) for whole packets
 * @flags: &mos_ioc_ring.flags: 0 or %MOS_RING_F_PKT_ONCE (a module
 *	before ABI minor 7 refuses it: -EOPNOTSUPP), with it
 *	%MOS_RING_F_DATA_PKT (before ABI minor 8: -EOPNOTSUPP);
 *	%MOS_RING_F_VERDICT; %MOS_RING_F_WAKEUP is set from @wakeup_bytes
 * @wakeup_bytes: 0, or the consumer is woken only once this many bytes
 *	of records wait (&mos_ioc_ring.wakeup_bytes; a module before ABI
 *	minor 14 refuses it: -EOPNOTSUPP)
 *
 * @flags took what was the struct's padding; @wakeup_bytes came later: a
 * caller whose @sz ends at @flags gets none.
 */
struct mos_ring_opts {
	size_t sz;
	uint64_t data_size;
	uint32_t split_count;
	uint32_t split_index;
	uint32_t pkt_max;
	uint32_t flags;
	uint32_t wakeup_bytes;
};

/* The first &mos_ring_opts.sz: the struct without @wakeup_bytes */
#define MOS_RING_OPTS_SZ_VER0	32

/**
 * mos_ring__open_opts() - mos_ring__open() with options
 * @r: filled
 * @fd: from mos_dev__open()
 * @opts: the options; @opts->sz at least %MOS_RING_OPTS_SZ_VER0, the
 *	bytes past sizeof(struct mos_ring_opts) zero
 *
 * Return: 0 or -errno (-EINVAL: a bad size or option, -E2BIG: unknown
 * options set, -EPROTO as mos_ring__open()).
 */
int mos_ring__open_opts(struct mos_ring_user *r, int fd,
			const struct mos_ring_opts *opts);

/**
 * mos_flow__split_index() - the context (consumer of a split) a flow
 * goes to
 * @fd: an open /dev/mos (with or without a ring: %MOS_IOC_SPLIT), or a
 *	negative number for the offline backend's split
 *	(mos_offline__split())
 * @family: AF_INET or AF_INET6 (4 and 6 are taken too)
 * @saddr: one endpoint's address (struct in_addr, struct in6_addr)
 * @daddr: the other's
 * @sport: @saddr's port, network order
 * @dport: @daddr's port, network order
 * @count: consumers in the split, 1 to %MOS_SPLIT_MAX
 *
 * Either direction of the 4-tuple gives the same answer.  Live, the
 * answer is the namespace's flow table's keyed hash: it holds until
 * monitoring is enabled again.
 *
 * Return: the index, below @count, or -errno (-EINVAL: bad arguments;
 * -ENOENT: the namespace is not monitored).
 */
int mos_flow__split_index(int fd, int family, const void *saddr,
			  const void *daddr, uint16_t sport, uint16_t dport,
			  uint32_t count);

/**
 * mos_ring__close() - unmap a ring (the file stays open)
 * @r: the ring
 */
void mos_ring__close(struct mos_ring_user *r);

/**
 * mos_ring__next() - the next complete record
 * @r: the ring
 *
 * Return: the record (valid until mos_ring__advance()), or NULL when none
 * is ready.  Records with %MOS_REC_DISCARD are returned too.
 */
const struct mos_rec *mos_ring__next(struct mos_ring_user *r);

/**
 * mos_ring__advance() - give a record's room back to the kernel
 * @r: the ring
 * @rec: what mos_ring__next() returned
 */
void mos_ring__advance(struct mos_ring_user *r, const struct mos_rec *rec);

/**
 * mos_sock__filter() - set or remove a filter of a monitor socket
 * @fd: from mos_dev__open(), with its ring set up
 * @sock: the kernel's id of the socket (&mos_ioc_socket.id)
 * @which: %MOS_FILTER_SYN, %MOS_FILTER_ORPHAN or %MOS_FILTER_RAW
 * @expr: a pcap filter expression (pcap-filter(7)), compiled for packets
 *	that start at their IP header; NULL or "" removes the filter
 * @err: filled with libpcap's message when @expr does not compile, or
 *	the kernel's refusal; may be NULL
 * @errlen: bytes at @err
 *
 * Return: 0, -EINVAL if @expr does not compile (or the kernel refuses the
 * program), or another -errno of %MOS_IOC_FILTER.
 */
int mos_sock__filter(int fd, uint32_t sock, unsigned int which,
		     const char *expr, char *err, size_t errlen);

/**
 * typedef mos_ioctl_fn - an ioctl of /dev/mos, or what stands for it
 * @ctx: the caller's
 * @cmd: %MOS_IOC_*
 * @arg: its argument
 *
 * Return: 0 or -errno.
 */
typedef int (*mos_ioctl_fn)(void *ctx, unsigned long cmd, void *arg);

/**
 * mos_sock__filter_via() - mos_sock__filter() through @ioc
 * @ioc: makes the %MOS_IOC_FILTER call (the offline backend's, say)
 * @ctx: its argument
 * @sock: as mos_sock__filter()'s
 * @which: as mos_sock__filter()'s
 * @expr: as mos_sock__filter()'s
 * @err: as mos_sock__filter()'s
 * @errlen: as mos_sock__filter()'s
 *
 * Return: as mos_sock__filter().
 */
int mos_sock__filter_via(mos_ioctl_fn ioc, void *ctx, uint32_t sock,
			 unsigned int which, const char *expr, char *err,
			 size_t errlen);
/*
 * The offline backend: the records of /dev/mos made from a capture file
 * by the userspace build of the tracker, into memory (offline.c,
 * Documentation/libmosuser.rst).
 */
struct mos_offline;

/**
 * mos_offline__open() - open a capture, as a /dev/mos consumer would see it
 * @o: set to the backend, or NULL on failure
 * @path: a pcap or pcapng file ("-": standard input)
 * @checksum_mode: "auto" (or NULL, or ""), "verify" or "ignore", as
 *	mosreplay's --checksum
 * @err: on failure, why (libpcap's message, or the setting that is
 *	wrong); may be NULL: mos_offline__error(NULL) says it too
 * @errlen: room in @err
 *
 * The capture is ready: nothing is read from it (but its first record,
 * whose time the clock then reads) until mos_offline__pump().
 *
 * Return: 0; -errno of the file (-ENOENT, -EACCES...), -EINVAL for a
 * file libpcap cannot read, an unsupported link type or a bad
 * @checksum_mode, -ESPIPE for the auto mode on standard input, -ENOMEM.
 */
int mos_offline__open(struct mos_offline **o, const char *path,
		      const char *checksum_mode, char *err, size_t errlen);

/**
 * mos_offline__open_live() - capture from an interface, as a /dev/mos
 *	consumer would see it
 * @o: set to the backend, or NULL on failure
 * @iface: the interface (libpcap's name: "any" is every interface, with
 *	Linux cooked headers)
 * @checksum_mode: as mos_offline__open()'s; "auto" verifies nothing
 * @count: packets to read before the capture ends as a file's end
 *	would; 0: no end (until mos_offline__close())
 * @err: as mos_offline__open()'s
 * @errlen: room in @err
 *
 * Both directions of the interface, through libpcap (TPACKET_V3 on
 * Linux); needs CAP_NET_RAW.  The clock is the realtime clock of the
 * packets' timestamps; mos_offline__pump() returns %MOS_OFFLINE_WAIT when
 * no packet is ready: poll mos_offline__fd() then.
 *
 * Return: 0; -ENODEV (no such interface), -EPERM (no CAP_NET_RAW),
 * -ENETDOWN (the interface is down), -EINVAL (a bad @checksum_mode, a
 * link type not supported), -EIO (other errors of libpcap), -ENOMEM.
 */
int mos_offline__open_live(struct mos_offline **o, const char *iface,
			   const char *checksum_mode, uint64_t count,
			   char *err, size_t errlen);

/**
 * mos_offline__fd() - the descriptor to poll for packets
 * @o: the backend
 *
 * Return: live, a descriptor that polls readable (POLLIN) when packets
 * are ready; -1 for a file.
 */
int mos_offline__fd(const struct mos_offline *o);

/**
 * struct mos_offline_stats - what the capture's reader counted
 * @packets: records (packets) read
 * @tcp: TCP segments given to the tracker
 * @other: other IP packets given to the tracker
 * @parse_errors: packets (or link or encapsulation headers) that do not
 *	parse, and packets in more than 4 encapsulations
 * @truncated: packets the capture cut short; not tracked
 * @non_ip: frames of other protocols, and encapsulations of something
 *	other than IP
 * @ip_fragments: IP fragments; not tracked
 * @ip_discard: IP packets the receiver's IP layer would discard
 *	(options, IPv6 extension headers); not tracked
 * @csum_bad: TCP segments with a wrong checksum (verified only)
 * @pcap_recv: live: packets the kernel passed to the capture (libpcap's
 *	ps_recv)
 * @pcap_drop: live: packets the kernel dropped, the capture's buffer
 *	full (ps_drop): holes in the streams
 * @pcap_ifdrop: live: packets the interface dropped (ps_ifdrop)
 */
struct mos_offline_stats {
	uint64_t packets;
	uint64_t tcp;
	uint64_t other;
	uint64_t parse_errors;
	uint64_t truncated;
	uint64_t non_ip;
	uint64_t ip_fragments;
	uint64_t ip_discard;
	uint64_t csum_bad;
	uint64_t pcap_recv;
	uint64_t pcap_drop;
	uint64_t pcap_ifdrop;
};

/**
 * mos_offline__stats() - the capture's counts
 * @o: the backend
 * @st: filled; live, libpcap's counts are read now
 *
 * Return: 0, or -EINVAL.
 */
int mos_offline__stats(struct mos_offline *o, struct mos_offline_stats *st);

/**
 * mos_offline__ioctl() - what an ioctl of /dev/mos does, offline
 * @o: the backend
 * @cmd: %MOS_IOC_SOCKET, %MOS_IOC_SUBSCRIBE, %MOS_IOC_FILTER,
 *	%MOS_IOC_FLOW, %MOS_IOC_SPLIT (offline hash; @o may be NULL), or
 *	%MOS_IOC_RING_SETUP (split and packet copy limit, before the first
 *	pump, once; &mos_ioc_ring.data_size is not read), with the kernel's
 *	checks and errors (Documentation/uapi.rst); the ring needs no setup
 * @arg: the argument struct
 *
 * Return: 0, -errno as the kernel's, -EOPNOTSUPP for other commands.
 */
int mos_offline__ioctl(struct mos_offline *o, unsigned long cmd, void *arg);

/**
 * struct mos_offline_out_stats - what the output capture got
 * @written: packets written
 * @dropped: held packets a verdict dropped (not written)
 * @modified: held packets written with new bytes or checksums
 * @sent: packets of %MOS_IOC_SENDPKT written
 * @send_invalid: %MOS_IOC_SENDPKT requests refused for their packet
 */
struct mos_offline_out_stats {
	uint64_t written;
	uint64_t dropped;
	uint64_t modified;
	uint64_t sent;
	uint64_t send_invalid;
};

/**
 * mos_offline__output() - write the capture's packets, as an inline
 * consumer's verdicts leave them, to a pcap file
 * @o: the backend, before the first pump
 * @path: the file (link type RAW: packets from their IP header)
 *
 * From then on a packet that raised an event record with its bytes is
 * held: a %MOS_REC_HELD record follows its records, and %MOS_IOC_VERDICT
 * drops or rewrites it (one not decided before the next pump is written
 * as it came); %MOS_IOC_SENDPKT packets are checked as the kernel does
 * and written where they are sent.  The file is complete after
 * mos_offline__close().
 *
 * Return: 0, -EINVAL (called twice, or after a pump), -ENOMEM, or -EIO:
 * the file cannot be written (mos_offline__error() says why).
 */
int mos_offline__output(struct mos_offline *o, const char *path);

/**
 * mos_offline__out_stats() - the output capture's counts
 * @o: the backend
 * @st: filled
 *
 * Return: 0, or -EINVAL without an output.
 */
int mos_offline__out_stats(const struct mos_offline *o,
			   struct mos_offline_out_stats *st);

/**
 * mos_offline__ring() - the consumer's view of the backend's records
 * @o: the backend
 * @r: filled; read it with mos_ring__next() and mos_ring__advance().  @o
 *	keeps it up to date (its buffer may move) until mos_offline__close():
 *	@r must stay where it is, and mos_ring__close() must not be called
 *	on it.
 */
void mos_offline__ring(struct mos_offline *o, struct mos_ring_user *r);

/**
 * mos_offline__pump() - make records from the capture
 * @o: the backend
 * @until: capture time (ns) not to pass: a packet later than that stays
 *	unread, and the clock moves to @until (UINT64_MAX: no bound)
 *
 * Reads packets only while the ring has nothing left to read, and stops
 * after the first that made records.  At the end of the capture, every
 * flow still open ends (CONN_END, reason flush, then FLOW_CLOSE).
 *
 * Live, when no packet is ready, the clock moves to the current time.
 *
 * Return: 1: records may be read, or the clock reached @until;
 * %MOS_OFFLINE_WAIT: live, no packet is ready and the clock is before
 * @until (poll mos_offline__fd()); 0: the
 * capture is over and every record was read; -EIO: the same, but the
 * capture could not be read to its end (mos_offline__error() says why);
 * -ENOMEM: records could not be written.
 */
int mos_offline__pump(struct mos_offline *o, uint64_t until);

/* mos_offline__pump(): live, nothing to read yet */
#define MOS_OFFLINE_WAIT	2

/**
 * mos_offline__split() - take only some of the capture's flows
 * @o: the backend, before its first pump
 * @count: 0 or 1: every flow; N > 1: the flows whose hash modulo N is
 *	@index (as &mos_ioc_ring.split_count), so N backends on the same
 *	capture with indexes 0 to N - 1 share its flows; orphans go to
 *	index 0
 * @index: below @count
 *
 * The hash is of the flow's endpoints, the same in every process.
 *
 * Return: 0, or -EINVAL.
 */
int mos_offline__split(struct mos_offline *o, uint32_t count, uint32_t index);

/**
 * mos_offline__now() - the capture's clock
 * @o: the backend
 *
 * Return: nanoseconds: the time of the last packet read, or where
 * mos_offline__pump() stopped the clock; before the first packet, its
 * time; 0 for an empty capture.
 */
uint64_t mos_offline__now(const struct mos_offline *o);

/**
 * mos_offline__error() - why something failed
 * @o: a backend, or NULL
 *
 * Return: with @o, why its capture ended early ("" if it did not); with
 * NULL, why the last mos_offline__open() of this thread failed (so also
 * mtcp_create_context() in offline mode).  Never NULL.
 */
const char *mos_offline__error(const struct mos_offline *o);

/**
 * mos_offline__close() - free a backend
 * @o: the backend, or NULL
 */
void mos_offline__close(struct mos_offline *o);

#ifdef __cplusplus
}
#endif

#endif /* _LIBMOSUSER_H */
