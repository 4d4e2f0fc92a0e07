// SPDX-License-Identifier: GPL-2.0
/*
 * recdump.c - every /dev/mos record a consumer gets, one line each, from
 * the kernel or from libmosuser's offline backend
 *
 * Usage: recdump [-r FILE]
 *
 * Without -r: opens /dev/mos in the current namespace, says "recdump:
 * ready" on standard error once subscribed, and prints records until
 * SIGINT or SIGTERM, then what is left in the ring.  With -r: the records
 * the offline backend makes from capture FILE (TCP checksums verified,
 * as the kernel does where the device does not).
 *
 * Event records carry %PKT_MAX bytes of each packet (not the default).
 * The consumer subscribes as broadly as the interface allows, so that
 * every routing rule of kmod/deliver.c writes something:
 *   socket 1, stream: every event at every hook (each bit the kernel
 *     accepts), stream bytes of both sides;
 *   socket 2, raw: PKT_IN, raw filter "tcp or ip6";
 *   socket 3, stream: every event at every hook, no stream bytes, SYN
 *     filter "ip" (IPv4 flows only), orphan filter
 *     "tcp[tcpflags] & tcp-rst != 0".
 *
 * A line: the record's type, socket, length word (with
 * %MOS_REC_DISCARD), "pkt=1" for an event that carries a packet, then
 * the body in hex.  What is normalised, and why:
 *   - &mos_rec_event.ts_ns, zeroed: the kernel's monotonic clock against
 *     the capture's timestamps.
 * Nothing else: flow ids count from 1 in each flow table (selftests/
 * deliver.sh enables the namespace afresh for each capture), addresses,
 * states, offsets, packet bytes and stream bytes are the tracker's and
 * must be the same.
 *
 * Exit status: 0, 1 on an error (said on standard error).
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "libmosuser.h"

#define RING_SIZE	(16U << 20)
/*
 * Packet bytes per event record: not the default, so that the limit a
 * consumer sets is compared too; below a full-sized Ethernet frame, so
 * that both backends cut packets there
 */
#define PKT_MAX		1000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *const type_names[] = {
	[MOS_REC_FLOW_OPEN] = "FLOW_OPEN",
	[MOS_REC_EVENT] = "EVENT",
	[MOS_REC_DATA] = "DATA",
	[MOS_REC_FLOW_CLOSE] = "FLOW_CLOSE",
	[MOS_REC_LOST] = "LOST",
};

static void dump(const struct mos_rec *rec)
{
	uint32_t len = rec->len & MOS_REC_LEN_MASK, i;
	const uint8_t *b = (const uint8_t *)(rec + 1);
	struct mos_rec_event ev;
	int pkt = 0;

	if (rec->type == MOS_REC_EVENT && len >= sizeof(ev)) {
		memcpy(&ev, b, sizeof(ev));
		pkt = ev.pkt_len != 0;
	}
	printf("%s sock=%u len=%08x pkt=%d ",
	       rec->type < sizeof(type_names) / sizeof(type_names[0]) &&
	       type_names[rec->type] ? type_names[rec->type] : "?",
	       rec->sock, rec->len, pkt);
	for (i = 0; i < len; i++) {
		uint8_t c = b[i];

		/* The event's time: the only field the two clocks make differ */
		if (rec->type == MOS_REC_EVENT &&
		    i >= offsetof(struct mos_rec_event, ts_ns) &&
		    i < offsetof(struct mos_rec_event, ts_ns) + sizeof(ev.ts_ns))
			c = 0;
		printf("%02x", c);
	}
	putchar('\n');
}

static int drain(struct mos_ring_user *r)
{
	const struct mos_rec *rec;
	int n = 0;

	while ((rec = mos_ring__next(r))) {
		dump(rec);
		mos_ring__advance(r, rec);
		n++;
	}
	return n;
}

typedef int (*ioc_fn)(void *ctx, unsigned long cmd, void *arg);

static int dev_ioctl(void *ctx, unsigned long cmd, void *arg)
{
	return ioctl(*(int *)ctx, cmd, arg) ? -errno : 0;
}

static int off_ioctl(void *ctx, unsigned long cmd, void *arg)
{
	return mos_offline__ioctl(ctx, cmd, arg);
}

static int new_sock(ioc_fn ioc, void *ctx, unsigned int type, uint32_t *id)
{
	struct mos_ioc_socket s = { .size = sizeof(s), .type = type };
	int err = ioc(ctx, MOS_IOC_SOCKET, &s);

	*id = s.id;
	return err;
}

/* Every event the socket may have at every hook: each bit accepted */
static int subscribe_all(ioc_fn ioc, void *ctx, uint32_t id, uint32_t buf)
{
	unsigned int hook, bit, n = 0;

	for (hook = 0; hook < MOS_HOOKS; hook++) {
		uint64_t mask = 0;

		for (bit = 0; bit < 64; bit++) {
			struct mos_ioc_subscribe a = {
				.size = sizeof(a), .sock = id, .hook = hook,
				.events = mask | (1ULL << bit),
				.buf = { buf, buf },
			};

			if (!ioc(ctx, MOS_IOC_SUBSCRIBE, &a)) {
				mask = a.events;
				n++;
			}
		}
	}
	return n ? 0 : -EINVAL;
}

static int setup(ioc_fn ioc, void *ctx)
{
	char msg[256];
	uint32_t s1, s2, s3;
	int err;

	err = new_sock(ioc, ctx, MOS_MSOCK_STREAM, &s1);
	if (!err)
		err = subscribe_all(ioc, ctx, s1, 1U << 20);
	if (!err)
		err = new_sock(ioc, ctx, MOS_MSOCK_RAW, &s2);
	if (!err)
		err = subscribe_all(ioc, ctx, s2, 0);
	if (!err)
		err = mos_sock__filter_via(ioc, ctx, s2, MOS_FILTER_RAW,
					   "tcp or ip6", msg, sizeof(msg));
	if (!err)
		err = new_sock(ioc, ctx, MOS_MSOCK_STREAM, &s3);
	if (!err)
		err = subscribe_all(ioc, ctx, s3, 0);
	if (!err)
		err = mos_sock__filter_via(ioc, ctx, s3, MOS_FILTER_SYN, "ip",
					   msg, sizeof(msg));
	if (!err)
		err = mos_sock__filter_via(ioc, ctx, s3, MOS_FILTER_ORPHAN,
					   "tcp[tcpflags] & tcp-rst != 0",
					   msg, sizeof(msg));
	if (err)
		fprintf(stderr, "recdump: setting up the sockets: %s\n",
			strerror(-err));
	return err;
}

static int run_offline(const char *path)
{
	struct mos_ring_user r;
	struct mos_offline *o;
	char msg[512];
	int rc;

	rc = mos_offline__open(&o, path, "verify", msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "recdump: %s\n", msg);
		return 1;
	}
	rc = mos_offline__ioctl(o, MOS_IOC_RING_SETUP, &(struct mos_ioc_ring){
		.size = sizeof(struct mos_ioc_ring), .pkt_max = PKT_MAX });
	if (!rc)
		rc = setup(off_ioctl, o);
	mos_offline__ring(o, &r);
	while (!rc && (rc = mos_offline__pump(o, UINT64_MAX)) == 1) {
		drain(&r);
		rc = 0;
	}
	if (rc)
		fprintf(stderr, "recdump: %s: %s\n", path,
			rc < 0 ? strerror(-rc) : "setup failed");
	mos_offline__close(o);
	return rc ? 1 : 0;
}

static int run_live(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct mos_ring_user r;
	struct pollfd p;
	int fd, err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fd = mos_dev__open();
	if (fd < 0) {
		fprintf(stderr, "recdump: /dev/mos: %s\n", strerror(-fd));
		return 1;
	}
	err = mos_ring__open_opts(&r, fd, &(struct mos_ring_opts){
		.sz = sizeof(struct mos_ring_opts), .data_size = RING_SIZE,
		.pkt_max = PKT_MAX });
	if (!err)
		err = setup(dev_ioctl, &fd);
	if (err) {
		fprintf(stderr, "recdump: %s\n", strerror(-err));
		close(fd);
		return 1;
	}
	fprintf(stderr, "recdump: ready\n");
	p.fd = fd;
	p.events = POLLIN;
	while (!stop) {
		drain(&r);
		poll(&p, 1, 100);
	}
	drain(&r);
	mos_ring__close(&r);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc == 3 && !strcmp(argv[1], "-r"))
		rc = run_offline(argv[2]);
	else if (argc == 1)
		rc = run_live();
	else {
		fprintf(stderr, "usage: recdump [-r FILE]\n");
		return 2;
	}
	if (fflush(stdout))
		rc = 1;
	return rc;
}
