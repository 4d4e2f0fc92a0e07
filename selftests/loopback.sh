#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# loopback.sh - loopback traffic inside a monitored namespace is counted
# once, though it passes both LOCAL_OUT and PRE_ROUTING
#
#   +---------------------------------------+
#   |  host (mos on)                        |
#   |   curl --lo--> python http.server     |
#   |   127.0.0.1, ::1                      |
#   +---------------------------------------+

. "$(dirname "$0")/lib.sh"

H=lo-$$
work=$(mktemp -d)
trap 'ns_cleanup; mos_loaded && mos_unload; rm -rf "$work"' EXIT

ktap_begin
t_check "load mos.ko" mos_load
ns_new "$H" || exit 1

blob=$work/blob
sum=$(make_blob "$blob" 3000000)
http_server "$H" "$work" 8080
oracle_add "$H"

quiet "$H"
oracle_reset "$H"
t_check "enable monitoring" "$MOSCTL" -n "$H" ns enable
transfers loopback "$H" "$H" 127.0.0.1 ::1
quiet "$H"
t_check "disable monitoring" "$MOSCTL" -n "$H" ns disable
log "mos: $("$MOSCTL" -n "$H" -j stats)"
compare "$H" loopback
# Every packet passed prerouting on lo as well as output, yet mos counted
# each once (compare above).  Prerouting may see more packets than output
# when an aggregate is segmented on its way through lo (6.12 does).
pkts=$(oracle_get "$H" pkts) lopre=$(oracle_get "$H" lopre)
log "oracle: $pkts packets at output, $lopre at prerouting on lo"
[ "$pkts" -gt 0 ] && [ "$lopre" -ge "$pkts" ] &&
	t_ok "loopback: every packet also passed prerouting on lo" ||
	t_fail "loopback: every packet also passed prerouting on lo" "output $pkts, prerouting on lo $lopre"

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
