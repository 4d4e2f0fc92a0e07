// SPDX-License-Identifier: GPL-2.0
/*
 * iface_fuzz.c - random and boundary arguments to /dev/mos and to the
 * "mos" generic netlink family, for a bounded time
 *
 * Usage: iface_fuzz SECONDS [SEED]
 *
 * Runs as root in a namespace of its own (the caller makes it): each
 * round picks one of the ioctls (with a random or a boundary size field,
 * random fields, bad user pointers), an mmap() at a random offset, a
 * random ioctl number, or a netlink request with a random command,
 * version, flags and attributes (nested ones too), and checks that the
 * call fails with one of the errors the interface documents, or
 * succeeds.  The /dev/mos file is closed and opened again now and then,
 * with its ring and sockets.  A crash of the module shows on the VM's
 * console; the caller unloads the module afterwards.
 *
 * Prints the seed, each errno seen with its count, and "unexpected: N";
 * exits 1 if N > 0.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/filter.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/mos.h>

static uint64_t g_rng;
static unsigned long g_seen[256], g_unexpected, g_ok;

static uint64_t rnd(void)
{
	/* xorshift64* */
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* A value worth trying for a field of @bits bits */
static uint64_t boundary(unsigned int bits)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 65, 255, 256, 4095, 4096,
		4097, 65535, 65536, 1U << 20, 1U << 28, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, ~0ULL,
	};
	uint64_t x = rnd_below(4) ? v[rnd_below(sizeof(v) / sizeof(v[0]))] :
				    rnd();

	return bits >= 64 ? x : x & ((1ULL << bits) - 1);
}

/* Count the result of a call: @ret < 0 with errno @err */
static void result(const char *what, int ret, int err, const int *allowed)
{
	int i;

	if (ret >= 0) {
		g_ok++;
		return;
	}
	g_seen[err < 255 ? err : 255]++;
	for (i = 0; allowed[i]; i++)
		if (allowed[i] == err)
			return;
	g_unexpected++;
	if (g_unexpected <= 20)
		printf("# unexpected: %s: %s\n", what, strerror(err));
}

/* Every errno the ioctls of /dev/mos document */
static const int dev_errs[] = {
	EINVAL, EOPNOTSUPP, ENOENT, EFAULT, E2BIG, ENOTTY, EBUSY, ENXIO,
	EMFILE, ENOMEM, EUSERS, EBADF, ENODEV, EAGAIN, 0,
};

/* mmap(): those, and EPERM for a writable mapping of a read-only page */
static const int mmap_errs[] = {
	EINVAL, ENXIO, EPERM, ENOMEM, EAGAIN, ENODEV, 0,
};

/* Fill @buf (@size bytes) with random or boundary bytes; set its size */
static void fuzz_arg(void *buf, size_t size, uint32_t real)
{
	uint8_t *b = buf;
	size_t i;

	memset(b, 0, size);
	/* Mostly sparse: most fields zero, a few set */
	for (i = 0; i < size; i++)
		if (!rnd_below(4))
			b[i] = (uint8_t)boundary(8);
	/* The size field: the right one, or not */
	switch (rnd_below(4)) {
	case 0:
		*(uint32_t *)b = (uint32_t)boundary(32);
		break;
	case 1:
		*(uint32_t *)b = real + 8 * rnd_below(3);
		break;
	default:
		*(uint32_t *)b = real;
	}
}

static const unsigned long ioc_cmds[] = {
	MOS_IOC_VERSION, MOS_IOC_RING_SETUP, MOS_IOC_SOCKET,
	MOS_IOC_SUBSCRIBE, MOS_IOC_FILTER, MOS_IOC_FLOW,
};

static void dev_round(int *fd)
{
	static struct sock_filter prog[MOS_FILTER_MAX_INSNS + 2];
	uint8_t arg[512] __attribute__((aligned(8)));
	unsigned long cmd;
	uint32_t real;
	size_t len;
	void *p;
	int ret, err, i;

	if (*fd < 0 || !rnd_below(200)) {
		if (*fd >= 0)
			close(*fd);
		*fd = open("/dev/mos", O_RDWR | O_CLOEXEC);
		if (*fd < 0) {
			printf("# open /dev/mos: %s\n", strerror(errno));
			g_unexpected++;
			return;
		}
	}
	switch (rnd_below(10)) {
	case 0: {	/* a ring of a plausible size, so the rest gets further */
		struct mos_ioc_ring r = {
			.size = sizeof(r),
			.data_size = MOS_RING_MIN << rnd_below(3),
			.split_count = rnd_below(3) ? 0 : rnd_below(5),
			.split_index = rnd_below(3),
		};
		errno = 0;
		ret = ioctl(*fd, MOS_IOC_RING_SETUP, &r);
		result("RING_SETUP", ret, errno, dev_errs);
		return;
	}
	case 1:		/* mmap at a random page offset */
		errno = 0;
		len = 4096 * (1 + rnd_below(40));
		p = mmap(NULL, len,
			 rnd_below(2) ? PROT_READ : PROT_READ | PROT_WRITE,
			 MAP_SHARED, *fd, 4096 * (off_t)rnd_below(8));
		if (p == MAP_FAILED) {
			result("mmap", -1, errno, mmap_errs);
			return;
		}
		g_ok++;
		munmap(p, len);
		return;
	case 2:		/* an ioctl number of its type that does not exist */
		cmd = _IOC(rnd_below(4), MOS_IOC_TYPE, 6 + rnd_below(250),
			   rnd_below(512));
		errno = 0;
		ret = ioctl(*fd, cmd, arg);
		result("unknown ioctl", ret, errno, dev_errs);
		return;
	case 3:		/* a filter with random instructions */
		fuzz_arg(arg, sizeof(struct mos_ioc_filter),
			 sizeof(struct mos_ioc_filter));
		{
			struct mos_ioc_filter *f = (void *)arg;
			uint32_t n = rnd_below(3) ? rnd_below(64) :
				     (uint32_t)boundary(13);

			if (n > MOS_FILTER_MAX_INSNS + 2)
				n = MOS_FILTER_MAX_INSNS + 2;
			for (i = 0; i < (int)n; i++) {
				prog[i].code = (uint16_t)(rnd_below(2) ?
					       boundary(16) : rnd_below(0x100));
				prog[i].jt = (uint8_t)rnd();
				prog[i].jf = (uint8_t)rnd();
				prog[i].k = (uint32_t)boundary(32);
			}
			if (rnd_below(4)) {
				/* ends with "ret #1" most of the time */
				if (n)
					prog[n - 1] = (struct sock_filter)
						BPF_STMT(BPF_RET | BPF_K, 1);
				f->insns = (uintptr_t)prog;
				f->len = n;
			} else if (rnd_below(2)) {
				f->insns = (uintptr_t)boundary(64);	/* bad */
			}
			f->sock = rnd_below(4);
			f->which = rnd_below(4);
			if (rnd_below(2))
				f->reserved = 0;
		}
		errno = 0;
		ret = ioctl(*fd, MOS_IOC_FILTER, arg);
		result("FILTER", ret, errno, dev_errs);
		return;
	case 4:		/* a bad pointer as the argument */
		errno = 0;
		ret = ioctl(*fd, ioc_cmds[rnd_below(6)], (void *)(uintptr_t)
			    (rnd_below(2) ? 0 : boundary(64)));
		result("bad pointer", ret, errno, dev_errs);
		return;
	default:	/* one of the ioctls, random fields */
		i = 1 + rnd_below(5);
		cmd = ioc_cmds[i];
		real = _IOC_SIZE(cmd);
		fuzz_arg(arg, sizeof(arg), real);
		/* small ids and ops now and then, so checks pass further */
		if (rnd_below(2)) {
			((uint32_t *)arg)[1] = rnd_below(8);
			((uint32_t *)arg)[2] = rnd_below(4);
			((uint32_t *)arg)[3] = rnd_below(3);
		}
		errno = 0;
		ret = ioctl(*fd, cmd, arg);
		err = errno;
		result("ioctl", ret, err, dev_errs);
		return;
	}
}

/* --- netlink --------------------------------------------------------- */

/*
 * What the family's requests fail with; ENOBUFS and EAGAIN are netlink's
 * own, a reply that found this socket's receive queue full
 */
static const int nl_errs[] = {
	EINVAL, EOPNOTSUPP, ENOENT, EEXIST, ERANGE, EMSGSIZE, E2BIG, EPERM,
	ENOMEM, EBUSY, ENOSPC, EBADF, ENODATA, EAFNOSUPPORT,
	ESRCH, ENOBUFS, EAGAIN, 0,
};

static int g_family, g_kerr;

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	(void)nla;
	(void)arg;
	g_kerr = e->error;
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	g_kerr = 0;
	return NL_STOP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static void put_attrs(struct nl_msg *msg, int depth)
{
	uint8_t data[300];
	int n = rnd_below(5), i, len;

	for (i = 0; i < n; i++) {
		int type = rnd_below(2) ? (int)rnd_below(16) : (int)boundary(14);

		if (depth < 2 && !rnd_below(3)) {
			struct nlattr *nest = nla_nest_start(msg, type);

			if (!nest)
				return;
			put_attrs(msg, depth + 1);
			nla_nest_end(msg, nest);
			continue;
		}
		len = rnd_below(3) ? (int)(1U << rnd_below(4)) :
		      (int)rnd_below(sizeof(data));
		for (int j = 0; j < len; j++)
			data[j] = (uint8_t)boundary(8);
		nla_put(msg, type, len, data);
	}
}

/* A socket of its own per request: no reply of an earlier one is left */
static struct nl_sock *nl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk)
		return NULL;
	if (genl_connect(sk)) {
		nl_socket_free(sk);
		return NULL;
	}
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, err_cb, NULL);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, NULL);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, NULL);
	return sk;
}

static void nl_round(void)
{
	struct nl_sock *sk = nl_open();
	int cmd = rnd_below(3) ? (int)(1 + rnd_below(MOS_CMD_MAX)) :
		  (int)boundary(8);
	int flags = NLM_F_REQUEST | NLM_F_ACK;
	struct nl_msg *msg;

	/* Monitoring on and off is fine; resetting a namespace's rules too */
	if (!rnd_below(8))
		flags |= NLM_F_DUMP;
	if (!sk)
		return;
	msg = nlmsg_alloc_size(8192);
	if (!msg) {
		nl_socket_free(sk);
		return;
	}
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g_family, 0, flags, cmd,
		    rnd_below(4) ? MOS_GENL_VERSION : (int)boundary(8));
	put_attrs(msg, 0);
	g_kerr = 1;
	if (nl_send_auto(sk, msg) < 0) {
		nlmsg_free(msg);
		nl_socket_free(sk);
		return;
	}
	nlmsg_free(msg);
	nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	if (g_kerr < 0)
		result("netlink", -1, -g_kerr, nl_errs);
	else
		g_ok++;
}

int main(int argc, char **argv)
{
	struct nl_sock *sk;
	time_t end;
	int fd = -1, i;
	uint64_t seed;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: iface_fuzz SECONDS [SEED]\n");
		return 2;
	}
	seed = argc == 3 ? strtoull(argv[2], NULL, 0) :
	       (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	g_rng = seed | 1;
	printf("# seed %llu\n", (unsigned long long)seed);
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "iface_fuzz: netlink socket\n");
		return 1;
	}
	g_family = genl_ctrl_resolve(sk, MOS_GENL_NAME);
	if (g_family < 0) {
		fprintf(stderr, "iface_fuzz: no %s family\n", MOS_GENL_NAME);
		return 1;
	}
	nl_socket_free(sk);
	end = time(NULL) + atoi(argv[1]);
	for (i = 0; time(NULL) < end; i++) {
		if (rnd_below(3))
			dev_round(&fd);
		else
			nl_round();
	}
	if (fd >= 0)
		close(fd);
	printf("# rounds %d, ok %lu\n", i, g_ok);
	for (i = 0; i < 256; i++)
		if (g_seen[i])
			printf("# %s: %lu\n", strerror(i), g_seen[i]);
	printf("unexpected: %lu\n", g_unexpected);
	return g_unexpected ? 1 : 0;
}
