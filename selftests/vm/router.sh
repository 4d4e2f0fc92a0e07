#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# router.sh - mos in a router namespace counts forwarded traffic exactly
#
#   +----------+          +--------------------+          +----------+
#   |  client  |  veth    |  router (mos on)   |  veth    |  server  |
#   | 10.0.1.2 |----------| 10.0.1.1  10.0.2.1 |----------| 10.0.2.2 |
#   | fd00:1::2|          | fd00:1::1 fd00:2::1|          | fd00:2::2|
#   +----------+          +--------------------+          +----------+
#
# Real TCP transfers (curl against busybox's HTTP server, socat uploads),
# IPv4 and IPv6.  The router sees each packet once, at PRE_ROUTING; mos's
# counters must equal nft counters at the neighbouring priority.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx R=rtr-$sfx S=srv-$sfx
work=$(mktemp -d)
defer_teardown

ktap_begin
t_check "load mos.ko" mos_load

router_topology "$C" "$R" "$S" || exit 1

blob=$work/blob
sum=$(make_blob "$blob" "$BLOB_SIZE")
http_server "$S" "$work" 8080
oracle_add "$R"

quiet "$R"
oracle_reset "$R"
t_check "enable monitoring of the router" "$MOSCTL" -n "$R" ns enable

transfers router "$C" "$S" 10.0.2.2 fd00:2::2

quiet "$R"
t_check "disable monitoring of the router" "$MOSCTL" -n "$R" ns disable
log "mos: $("$MOSCTL" -n "$R" -j stats)"
compare "$R" router
# Four transfers of the blob crossed the router: at least that many bytes.
n=$(oracle_get "$R" pkts bytes)
[ "${n:-0}" -ge $((4 * BLOB_SIZE)) ] && t_ok "router: all transfers were seen ($n bytes)" ||
	t_fail "router: all transfers were seen" "only ${n:-0} bytes for $((4 * BLOB_SIZE)) transferred"

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
