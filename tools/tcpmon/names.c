// SPDX-License-Identifier: GPL-2.0
/*
 * names.c - the names of the tcpmon core's states, events and errors
 *
 * Userspace only: built into libtcpmon.a and libmosuser with the core's
 * files, and linked alone by mosctl.  One table per enum, tied to it by
 * static_assert; mOS numbers its TCP states as &enum tm_state does
 * (uapi/linux/mos.h), so mosctl and the mOS applications under selftests
 * print those names too.
 */

#include "tcpmon.h"
#include "tm_names.h"

static const char * const tm_state_names[TM_NSTATES] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
	"TIME_WAIT",
};

static const char * const tm_event_names[TM_EV_MAX] = {
	"PKT_IN", "PKT_OUT", "CONN_START", "CONN_SETUP", "NEW_DATA", "ERROR",
	"TIMEOUT", "STATE_CHANGE", "ORPHAN", "REXMIT", "CONN_END",
};

static const char * const tm_err_names[TM_ERR_MAX] = {
	"none", "flow_limit", "nomem", "buf_side", "buf_total", "gap", "oow",
	"csum", "overlap_diff", "rst_inwin", "rst_oow", "mem_limit",
	"noack", "ack_unsent", "ack_old", "paws", "syn_data", "fin", "urg",
};

static_assert(ARRAY_SIZE(tm_state_names) == TM_NSTATES, "state names");
static_assert(ARRAY_SIZE(tm_event_names) == TM_EV_MAX, "event names");
static_assert(ARRAY_SIZE(tm_err_names) == TM_ERR_MAX, "error names");

/**
 * mos_tm_state_name() - name of a TCP state
 * @state: &enum tm_state
 *
 * Return: "ESTABLISHED" and so on, "?" when out of range.
 */
const char *mos_tm_state_name(unsigned int state)
{
	return state < TM_NSTATES ? tm_state_names[state] : "?";
}

/**
 * mos_tm_event_name() - name of an event
 * @ev: &enum tm_event
 *
 * Return: "CONN_START" and so on, "?" when out of range.
 */
const char *mos_tm_event_name(unsigned int ev)
{
	return ev < TM_EV_MAX ? tm_event_names[ev] : "?";
}

/**
 * mos_tm_err_name() - name of an error code
 * @err: &enum tm_err
 *
 * Return: "gap" and so on, "?" when out of range.
 */
const char *mos_tm_err_name(unsigned int err)
{
	return err < TM_ERR_MAX ? tm_err_names[err] : "?";
}
