#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdp_decap.sh - a remote mirror session over VXLAN: mos attached by XDP
# with decap to the port the encapsulated copies arrive on reports the
# connections the router forwards
#
#   +----------+          +--------------------+          +----------+
#   |  client  |  veth    |  router (mos, nf)  |  veth    |  server  |
#   | 10.0.1.2 |----------| r0              r1 |----------| 10.0.2.2 |
#   | fd00:1::2|          |  tc ingress of r0  |          | fd00:2::2|
#   +----------+          |  and r1: mirred    |          +----------+
#                         |  egress mirror vx0 |
#                         |  (VXLAN 42 to      |
#                         |  10.0.3.2 over m0) |
#                         +---------m0---------+
#                                    | veth, MTU 1600
#                         +---------m1---------+
#                         | monitor 10.0.3.2   |
#                         | (mos, XDP on m1    |
#                         | with decap)        |
#                         +--------------------+
#
# The router's kernel encapsulates each frame its tc filters mirror
# (Ethernet, IPv4, UDP 4789, VXLAN, the frame): real TCP transfers (curl,
# socat), IPv4 and IPv6 inside an IPv4 underlay.  The monitor's stack
# would discard the datagrams (no VXLAN socket): only mos looks inside.
# A consumer in each namespace (evtrace): the monitor's stream bytes
# equal the router's, the uploads equal what the server received.  The
# counters: every mirrored frame (tc's count of the mirror action) is a
# decapsulated frame or, for a frame without IP, decap_unknown; none is
# malformed or too deep; the monitor counts the TCP segments the router's
# netfilter hook counts, per family.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx R=rtr-$sfx S=srv-$sfx M=mon-$sfx
work=$(mktemp -d)
defer_teardown
EVTRACE=$PROJ/build/selftests/evtrace

need_btf
ktap_begin
t_check "load mos.ko" mos_load

router_topology "$C" "$R" "$S" || exit 1
ns_new "$M" || exit 1
link "$R" m0 1 "$M" m1 2 3 || exit 1
for d in "$R m0" "$M m1"; do
	set -- $d
	ip -n "$1" link set "$2" mtu 1600
done
ip -n "$R" link add vx0 type vxlan id 42 local 10.0.3.1 remote 10.0.3.2 \
	dstport 4789 dev m0
ip -n "$R" link set vx0 mtu 1550 up
mirror_router vx0 || exit 1

[ "$BLOB_SIZE" -gt 1000000 ] && BLOB_SIZE=1000000
blob=$work/blob
sum=$(make_blob "$blob" "$BLOB_SIZE")
http_server "$S" "$work" 8080
oracle_add "$R"


mkdir -p "$work/r" "$work/m"
quiet "$R"
for ns in "$R" "$M"; do
	t_check "enable monitoring in $ns" "$MOSCTL" -n "$ns" ns enable
	t_check "short TIME_WAIT in $ns" \
		"$MOSCTL" -n "$ns" set timeout TIME_WAIT 1 timeout CLOSED 1
done
t_check "attach mos to m1 by XDP with decap" "$MOSCTL" -n "$M" link attach m1 decap
# The flags mos's program was loaded with, read back from the device
t_eq "link show: native, passive, decap" \
	"m1 ifindex $(ip netns exec "$M" cat /sys/class/net/m1/ifindex) mode native prog ID mos flags passive,decap" \
	"$("$MOSCTL" -n "$M" link show | grep -v '^ ' | sed 's/ prog [1-9][0-9]* / prog ID /')"
t_eq "link show -j: the flags" '["passive", "decap"]' \
	"$("$MOSCTL" -n "$M" -j link show | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["links"][0]["flags"]))')"

ip netns exec "$R" "$EVTRACE" -c -d "$work/r" >"$work/r.ev" 2>"$work/r.err" &
evr=$!
ip netns exec "$M" "$EVTRACE" -c -d "$work/m" >"$work/m.ev" 2>"$work/m.err" &
evm=$!
wait_ready "$work/r.err" "$evr"
wait_ready "$work/m.err" "$evm"
before=$(mirrored)

transfers vxlan "$C" "$S" 10.0.2.2 fd00:2::2

wait_ends "$work/r.ev" || log "the router's evtrace did not see every end"
wait_ends "$work/m.ev" || log "the monitor's evtrace did not see every end"
kill -INT "$evr" "$evm"
wait_pid "$evr" 60
t_eq "router's evtrace exits 0" 0 "$?"
wait_pid "$evm" 60
t_eq "monitor's evtrace exits 0" 0 "$?"
t_eq "nothing on the monitor's evtrace stderr but the start" \
	"evtrace: ready" "$(cat "$work/m.err")"

t_eq "four connections seen by the monitor" 4 \
	"$(grep ' SND cli' "$work/m.ev" | grep -c 'CONN_START')"
t_eq "the same stream files" "$(cd "$work/r" && ls | sort | tr '\n' ' ')" \
	"$(cd "$work/m" && ls | sort | tr '\n' ' ')"
same=0 n=0
for f in "$work"/r/*; do
	n=$((n + 1))
	cmp -s "$f" "$work/m/${f##*/}" && same=$((same + 1))
done
t_eq "six streams" 6 "$n"
t_eq "every stream's bytes equal the router's" "$n" "$same"
ups=$(for f in "$work"/m/*-900[01].svr; do sha256sum <"$f" | cut -d' ' -f1; done | sort -u)
t_eq "the monitor's upload streams are the blob" "$sum" "$ups"

quiet "$R"
mir=$(($(mirrored) - before))
ms=$("$MOSCTL" -n "$M" stats)
rs=$("$MOSCTL" -n "$R" stats)
log "mirrored: $mir"
log "monitor: $("$MOSCTL" -n "$M" -j stats)"
t_eq "monitor: decap + decap_unknown = frames mirrored" "$mir" \
	"$(($(kv "$ms" decap) + $(kv "$ms" decap_unknown)))"
t_eq "monitor: decap_bad decap_deep xdp_unlinked parse_errors csum_bad gaps ring_lost" \
	"0 0 0 0 0 0 0" \
	"$(for k in decap_bad decap_deep xdp_unlinked parse_errors csum_bad gaps ring_lost; do kv "$ms" $k; done | xargs)"
t_eq "monitor: tcp4 tcp6 as the router's netfilter hook counts them" \
	"$(kv "$rs" tcp4) $(kv "$rs" tcp6)" "$(kv "$ms" tcp4) $(kv "$ms" tcp6)"

t_check "detach" "$MOSCTL" -n "$M" link detach m1
for ns in "$R" "$M"; do
	t_check "disable monitoring in $ns" "$MOSCTL" -n "$ns" ns disable
done
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
