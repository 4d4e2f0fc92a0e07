// SPDX-License-Identifier: GPL-2.0
/*
 * applib.c - a file of common/ that mOS's sample rule links into every
 * application (every .c of $(CMN_DIR)); it includes the four mOS headers as
 * mOS's own common/applib.c does
 */

#include <mos_api.h>
#include <mtcp_api.h>
#include <mtcp_epoll.h>
#include <mtcp_util.h>
#include "applib.h"

const char *ev_name(uint64_t ev)
{
	/* EventToString() of mtcp_epoll.h, whose char * is mOS's */
	const char *s = EventToString((uint32_t)ev);

	return ev >> 32 ? "?" : s;
}
