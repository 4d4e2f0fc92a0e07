/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * mtcp_api.h - the lifecycle part of the mOS API: configuration, contexts,
 * monitor sockets, socket options
 *
 * The names, types and values are mOS's, so that mOS monitoring
 * applications build unchanged.  The end-host calls of mTCP (bind, listen,
 * accept, connect, read, write, pipe...) are declared with mOS's
 * prototypes and link, but fail with -1 and errno ENOTSUP: mos monitors,
 * it does not terminate connections.
 */
#ifndef _MTCP_API_H
#define _MTCP_API_H

#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef UNUSED
#define UNUSED(x)	(void)(x)
#endif

#ifndef INPORT_ANY
#define INPORT_ANY	(uint16_t)0
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned char byte;

/* A context: one per core, as in mOS; one consumer of /dev/mos */
struct mtcp_context {
	int cpu;
};
typedef struct mtcp_context *mctx_t;

typedef void (*mtcp_sighandler_t)(int);

enum socket_type {
	MOS_SOCK_UNUSED,
	MOS_SOCK_STREAM_LISTEN,
	MOS_SOCK_PROXY_LISTEN,
	MOS_SOCK_MONITOR_STREAM,
	MOS_SOCK_STREAM,
	MOS_SOCK_PROXY,
	MOS_SOCK_MONITOR_STREAM_ACTIVE,
	MOS_SOCK_MONITOR_RAW,
	MOS_SOCK_EPOLL,
	MOS_SOCK_PIPE,
};

#define MOS_APP		20
#define MOS_APP_ARGC	20
#define APP_NAME_LEN	40

/**
 * struct mtcp_conf - the configuration (mtcp_getconf(), mtcp_setconf())
 * @num_cores: contexts the application will create at most
 * @max_concurrency: flows per context at most: per-flow socket ids are
 *	below it
 * @cpu_mask: unused
 * @max_num_buffers: unused
 * @rcvbuf_size: bytes each side's stream buffer holds (mtcp_peek())
 * @sndbuf_size: unused
 * @tcp_timewait: seconds a side stays in TIME_WAIT before its flow ends
 *	for the application (mos.conf's tcp_tw_interval); 0: none (mOS's)
 * @tcp_timeout: seconds without a packet before a flow ends for the
 *	application, with MOS_ON_TIMEOUT; 0 or less: none
 * @app_cpu_mask: unused
 * @app_argv: unused
 * @app_argc: unused
 * @num_app: unused
 */
struct mtcp_conf {
	int num_cores;
	int max_concurrency;
	uint64_t cpu_mask;
	int max_num_buffers;
	int rcvbuf_size;
	int sndbuf_size;
	int tcp_timewait;
	int tcp_timeout;
	uint64_t app_cpu_mask[MOS_APP];
	char *app_argv[MOS_APP][MOS_APP_ARGC];
	int app_argc[MOS_APP];
	int num_app;
};

/* mOS's; not used by mos */
struct app_context {
	mctx_t mctx;
	int socket_id;
	struct conn_filter *cf;
	int ep_id;
};

/* mOS's; not used by mos */
struct app_ops {
	void (*app_init)(int argc, char **argv);
	void (*thread_init)(mctx_t mctx, void **app_ctx);
	void (*run)(mctx_t mctx, void **app_ctx);
	int enable;
};

int mtcp_init(const char *config_file);
int mtcp_destroy(void);
int mtcp_getconf(struct mtcp_conf *conf);
int mtcp_setconf(const struct mtcp_conf *conf);
int mtcp_core_affinitize(int cpu);
mctx_t mtcp_create_context(int cpu);
int mtcp_destroy_context(mctx_t mctx);
mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler);
int mtcp_socket(mctx_t mctx, int domain, int type, int protocol);
int mtcp_close(mctx_t mctx, int sock);
int mtcp_getsockopt(mctx_t mctx, int sock, int level, int optname,
		    void *optval, socklen_t *optlen);
int mtcp_setsockopt(mctx_t mctx, int sock, int level, int optname,
		    const void *optval, socklen_t optlen);

/* End-host calls: declared as in mOS, each fails with ENOTSUP */
int mtcp_pipe(mctx_t mctx, int pipeid[2]);
int mtcp_setsock_nonblock(mctx_t mctx, int sock);
int mtcp_ioctl(mctx_t mctx, int sock, int request, void *argp);
int mtcp_bind(mctx_t mctx, int sock, const struct sockaddr *addr,
	      socklen_t addrlen);
int mtcp_listen(mctx_t mctx, int sock, int backlog);
int mtcp_accept(mctx_t mctx, int sock, struct sockaddr *addr,
		socklen_t *addrlen);
int mtcp_init_rss(mctx_t mctx, in_addr_t saddr_base, int num_addr,
		  in_addr_t daddr, in_addr_t dport);
int mtcp_connect(mctx_t mctx, int sock, const struct sockaddr *addr,
		 socklen_t addrlen);
int mtcp_abort(mctx_t mctx, int sock);
int mtcp_getsockname(mctx_t mctx, int sock, struct sockaddr *addr,
		     socklen_t *addrlen);
ssize_t mtcp_recv(mctx_t mctx, int sockid, char *buf, size_t len, int flags);
ssize_t mtcp_read(mctx_t mctx, int sock, char *buf, size_t len);
ssize_t mtcp_readv(mctx_t mctx, int sock, const struct iovec *iov,
		   int numIOV);
ssize_t mtcp_write(mctx_t mctx, int sock, const char *buf, size_t len);
ssize_t mtcp_writev(mctx_t mctx, int sock, const struct iovec *iov,
		    int numIOV);
/* The context's flows being followed (not an end-host call: it works) */
uint32_t mtcp_get_connection_cnt(mctx_t mctx);

/*
 * libmosuser's own: the message of the context's last failure (libpcap's
 * words for a filter expression that does not compile, or for a capture
 * that could not be read to its end offline); with NULL, that of the last
 * failed mtcp_init() (a capture libpcap cannot read), of the last capture
 * that broke off in a context's loop, or else of the calling thread's
 * last failed mtcp_create_context().  "" if none.
 */
const char *mtcp_errmsg(mctx_t mctx);

#ifdef __cplusplus
}
#endif

#endif /* _MTCP_API_H */
