#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# endpoint.sh - mos in the server's own namespace: local traffic at
# LOCAL_OUT (TSO/GSO aggregates, CHECKSUM_PARTIAL) and PRE_ROUTING (GRO)
#
#   +-----------+   veth    +------------------+
#   |  client   |-----------|  server (mos on) |
#   | 10.0.1.2  |           | 10.0.1.1         |
#   | fd00:1::2 |           | fd00:1::1        |
#   +-----------+           +------------------+
#
# The server sends with TSO on its veth, so its LOCAL_OUT hook sees
# aggregates far larger than the MTU, with checksums left to the device.
# mos's counters must equal the nft oracle's, bytes included.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx S=srv-$sfx
work=$(mktemp -d)
defer_teardown

ktap_begin
t_check "load mos.ko" mos_load

ns_new "$C" && ns_new "$S" || exit 1
link "$S" s0 1 "$C" c0 2 1
log "server veth offloads: $(ip netns exec "$S" ethtool -k s0 | grep -E '^(tcp-segmentation-offload|tx-checksumming|generic-receive-offload):' | tr '\n' ' ')"

blob=$work/blob
sum=$(make_blob "$blob" "$BLOB_SIZE")
http_server "$S" "$work" 8080
oracle_add "$S"

quiet "$S"
oracle_reset "$S"
t_check "enable monitoring of the server" "$MOSCTL" -n "$S" ns enable

transfers endpoint "$C" "$S" 10.0.1.1 fd00:1::1

quiet "$S"
t_check "disable monitoring of the server" "$MOSCTL" -n "$S" ns disable
log "mos: $("$MOSCTL" -n "$S" -j stats)"
compare "$S" endpoint
big=$(oracle_get "$S" big)
[ "${big:-0}" -gt 0 ] && t_ok "endpoint: GSO aggregates seen at LOCAL_OUT ($big)" ||
	t_fail "endpoint: GSO aggregates seen at LOCAL_OUT" "none larger than 1514 bytes"

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
