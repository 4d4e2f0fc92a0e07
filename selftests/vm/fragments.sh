#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fragments.sh - TCP inside IP fragments reaches mos reassembled
#
#   +----------+  mtu 1500  +------------------------+  mtu 1000 | 1500  +-----------------+
#   |  client  |------------|        router          |-------------------| server (mos on) |
#   | 10.0.1.2 |            | 10.0.1.1      10.0.2.1 |                   | 10.0.2.2        |
#   +----------+            +------------------------+                   +-----------------+
#
# The client sends without DF (ip_no_pmtu_disc) and with an MSS the
# server's 1500-byte MTU allows; the router's 1000-byte link fragments
# every full segment.  The server's hooks run after defragmentation: mos's
# counters equal the oracle's (itself after defrag), and an nft counter
# before defrag (-450) proves fragments were on the wire.  IPv4 only:
# IPv6 routers do not fragment.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx R=rtr-$sfx S=srv-$sfx
work=$(mktemp -d)
defer_teardown

ktap_begin
t_check "load mos.ko" mos_load

router_topology "$C" "$R" "$S" || exit 1
ip -n "$R" link set r1 mtu 1000
ip netns exec "$C" sysctl -qw net.ipv4.ip_no_pmtu_disc=1

blob=$work/blob
sum=$(make_blob "$blob" 1000000)
oracle_add "$S"
ip netns exec "$S" nft -f - <<'NFT'
table ip mos_frag {
	counter frags { }
	chain pre {
		type filter hook prerouting priority -450; policy accept;
		ip frag-off & 0x3fff != 0 counter name frags
	}
}
NFT

quiet "$S"
oracle_reset "$S"
t_check "enable monitoring of the server" "$MOSCTL" -n "$S" ns enable
sink_server "$S" 9000 "$work/up"
upload "$C" "$blob" 10.0.2.2 9000
wait_pid "$sink_pid" 60
t_eq "fragmented upload arrives intact" "$sum" "$(sha256sum <"$work/up" | cut -d' ' -f1)"
quiet "$S"
t_check "disable monitoring of the server" "$MOSCTL" -n "$S" ns disable

frags=$(ip netns exec "$S" nft list counter ip mos_frag frags | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
[ "${frags:-0}" -gt 100 ] && t_ok "fragments on the wire ($frags)" ||
	t_fail "fragments on the wire" "only ${frags:-0}"
log "mos: $("$MOSCTL" -n "$S" -j stats)"
compare "$S" fragments
t_eq "fragments: no non-TCP packet (no fragment counted alone)" 0 "$(mos_stat "$S" nontcp)"

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
