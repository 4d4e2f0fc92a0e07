/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * mtcp_util.h - mOS's utility calls that applications use
 *
 * GetRSSCPUCore() names the context that sees a 4-tuple's flow; in mOS,
 * the core whose NIC queue RSS gives it.  StrToArgs() splits a command
 * line.  mOS's header also declares xxHash's XXH32() and XXH64(): not
 * provided here.
 */
#ifndef _MTCP_UTIL_H
#define _MTCP_UTIL_H

#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The index, below @num_queues, of the context among @num_queues that
 * gets the IPv4 flow of these endpoints (addresses and ports in network
 * order, either direction: the split is symmetric), by the split the
 * kernel (or offline, the capture reader) uses.  Live it asks /dev/mos;
 * offline (MOS_PCAP or pcap_file) it computes the capture reader's.
 * -1 with errno set on failure.
 */
int GetRSSCPUCore(in_addr_t sip, in_addr_t dip, in_port_t sp, in_port_t dp,
		  int num_queues);

/*
 * Split @str in place into at most @max_argc words, separated by white
 * space; a word in single or double quotes keeps its spaces (the quotes
 * are dropped).  @argv gets pointers into @str, *@argc their number.
 * 0, or -1 with errno EINVAL (NULL argument) or E2BIG (more words than
 * @max_argc; the first @max_argc are set).
 */
int StrToArgs(char *str, int *argc, char **argv, int max_argc);

#ifdef __cplusplus
}
#endif

#endif /* _MTCP_UTIL_H */
