#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdp_mirror.sh - mos attached by XDP to a mirror port reports what mos
# reports by netfilter on the router whose traffic is mirrored
#
#   +----------+          +--------------------+          +----------+
#   |  client  |  veth    |  router (mos, nf)  |  veth    |  server  |
#   | 10.0.1.2 |----------| r0              r1 |----------| 10.0.2.2 |
#   | fd00:1::2|          |  tc ingress of r0  |          | fd00:2::2|
#   +----------+          |  and r1: mirred    |          +----------+
#                         |  egress mirror m0  |
#                         +---------m0---------+
#                                    | veth
#                         +---------m1---------+
#                         | monitor (mos, XDP  |
#                         | on m1), no address |
#                         +--------------------+
#
# Real TCP transfers (curl, socat), IPv4 and IPv6.  The copies reach the
# monitor as PACKET_OTHERHOST frames its stack drops after XDP: only mos
# sees them.  m0 computes checksums in software (tx offload off), as a
# NIC puts them on a wire.  A consumer in each namespace (evtrace): the
# monitor's events for each connection equal the router's (PKT_IN left
# out, runs of NEW_DATA summed), its stream bytes equal the router's, and the
# uploads' bytes equal what the server received.  With native XDP, then
# generic.  Then with VLAN tags, smaller transfers: the router mirrors
# out of a VLAN device on m0 (802.1Q, id 100; native XDP), then out of an
# 802.1Q device (id 200) on an 802.1ad device (id 300) on m0 (generic
# XDP); m0 inserts the tags in the frames (no VLAN transmit offload), so
# they reach m1's XDP in the frame's bytes: every mirrored frame (tc's
# count) arrives at m1 tagged as sent (an nft netdev counter at m1's
# ingress), and the monitor's events and bytes equal the router's as
# untagged.  The m0-m1 link's MTU is 1600 for the 8 bytes of two tags (a
# veth drops a frame longer than MTU + 18).  While the program is
# attached, rmmod is refused.  Then the router with netfilter and XDP at
# once counts each packet once.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx R=rtr-$sfx S=srv-$sfx M=mon-$sfx
work=$(mktemp -d)
defer_teardown
EVTRACE=$PROJ/build/selftests/evtrace

need_btf
ktap_begin
t_check "load mos.ko" mos_load
if [ -d /sys/kernel/btf/mos ] || [ -f /sys/kernel/btf/mos ]; then
	t_ok "mos.ko's BTF is loaded (/sys/kernel/btf/mos)"
else
	t_fail "mos.ko's BTF is loaded (/sys/kernel/btf/mos)" "absent"
fi
if command -v bpftool >/dev/null; then
	t_eq "its BTF has the kfunc mos_xdp_input" 1 \
		"$(bpftool btf dump file /sys/kernel/btf/mos | grep -c "FUNC 'mos_xdp_input'")"
fi

router_topology "$C" "$R" "$S" || exit 1
ns_new "$M" || exit 1
veth "$R" m0 1 "$M" m1 2 3 || exit 1
ip -n "$R" link set m0 mtu 1600
ip -n "$M" link set m1 mtu 1600
ip -n "$R" link add link m0 name m0.100 type vlan id 100 || exit 1
ip -n "$R" link add link m0 name m0.300 type vlan proto 802.1ad id 300 || exit 1
ip -n "$R" link add link m0.300 name m0.300.200 type vlan id 200 || exit 1
for d in "$R m0" "$M m1" "$R m0.100" "$R m0.300" "$R m0.300.200"; do
	set -- $d
	ip netns exec "$1" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$2/disable_ipv6"
	ip -n "$1" link set "$2" up
done
mirror_router m0 || exit 1
ip netns exec "$R" ethtool -K m0 txvlan off tx-vlan-stag-hw-insert off >/dev/null
t_eq "m0 inserts VLAN tags in software" \
	"tx-vlan-offload: off|tx-vlan-stag-hw-insert: off|" \
	"$(ip netns exec "$R" ethtool -k m0 | grep -E '^tx-vlan-(offload|stag-hw-insert):' |
		sed 's/ \[fixed\]//' | tr '\n' '|')"
# What arrives at m1, by its outer Ethertype (nft sees an outer tag the
# stack took out of the frame after XDP as it was on the wire)
ip netns exec "$M" nft -f - <<'NFT' || exit 1
table netdev o {
	counter q { }
	counter ad { }
	counter plain { }
	chain in {
		type filter hook ingress device m1 priority 0; policy accept;
		ether type 8021q counter name q
		ether type 8021ad counter name ad
		ether type { ip, ip6 } counter name plain
	}
}
NFT
# m1in NAME: a counter of m1's ingress
m1in() {
	ctr_get "$(ip netns exec "$M" nft list counter netdev o "$1")" "$1" packets
}
# mirror_to DEV: the router's mirror actions send out of DEV
mirror_to() {
	local d
	for d in r0 r1; do
		tc -n "$R" filter del dev $d ingress || return 1
		tc -n "$R" filter add dev $d ingress matchall action mirred egress mirror dev "$1" ||
			return 1
	done
}

# 1 MB transfers: evtrace (ASan, under TCG) in each namespace keeps up
# with them; with 3 MB its ring overflowed at times (ring_lost, checked)
[ "$BLOB_SIZE" -gt 1000000 ] && BLOB_SIZE=1000000
blob=$work/blob
sum=$(make_blob "$blob" "$BLOB_SIZE")
http_server "$S" "$work" 8080
oracle_add "$R"

# seqs FILE: each flow's events, one line per hook and side
# (selftests/lib/evseqs.py, as events.sh)
seqs() {
	python3 "$PROJ/selftests/lib/evseqs.py" "$1"
}

# no_flows NS: wait until the monitor of NS tracks no flow (30 s)
no_flows() {
	for _ in $(seq 1 100); do
		[ "$(mos_stat "$1" flows_active)" = 0 ] && return 0
		nap 0.3
	done
	return 1
}


for c in native generic vlan qinq; do
	mode=$c xm=$c
	case $c in
	vlan)
		xm=native
		mirror_to m0.100 || exit 1
		sum=$(make_blob "$blob" 300000)
		;;
	qinq)
		xm=generic
		mirror_to m0.300.200 || exit 1
		;;
	esac
	rm -rf "$work/r" "$work/m" && mkdir -p "$work/r" "$work/m"
	quiet "$R"
	for ns in "$R" "$M"; do
		t_check "$mode: enable monitoring in $ns" "$MOSCTL" -n "$ns" ns enable
		t_check "$mode: short TIME_WAIT in $ns" \
			"$MOSCTL" -n "$ns" set timeout TIME_WAIT 1 timeout CLOSED 1
	done
	t_check "$mode: attach mos to m1 by XDP ($xm)" "$MOSCTL" -n "$M" link attach m1 mode $xm
	t_eq "$mode: link show" \
		"m1 ifindex $(ip netns exec "$M" cat /sys/class/net/m1/ifindex) mode $xm prog ID mos flags passive" \
		"$("$MOSCTL" -n "$M" link show | grep -v '^ ' | sed 's/ prog [1-9][0-9]* / prog ID /')"
	! rmmod mos 2>/dev/null && t_ok "$mode: rmmod refused while the program is attached" ||
		t_fail "$mode: rmmod refused while the program is attached" "rmmod succeeded"

	ip netns exec "$R" "$EVTRACE" -c -d "$work/r" >"$work/r.ev" 2>"$work/r.err" &
	evr=$!
	ip netns exec "$M" "$EVTRACE" -c -d "$work/m" >"$work/m.ev" 2>"$work/m.err" &
	evm=$!
	wait_ready "$work/r.err" "$evr"
	wait_ready "$work/m.err" "$evm"
	ip netns exec "$M" nft reset counters table netdev o >/dev/null
	before=$(mirrored)

	transfers "$mode" "$C" "$S" 10.0.2.2 fd00:2::2

	no_flows "$R" || log "$mode: the router still tracks flows"
	no_flows "$M" || log "$mode: the monitor still tracks flows"
	# The consumers may lag behind the kernel: every CONN_END
	wait_ends "$work/r.ev" || log "$mode: the router's evtrace did not see every end"
	wait_ends "$work/m.ev" || log "$mode: the monitor's evtrace did not see every end"
	kill -INT "$evr" "$evm"
	wait_pid "$evr" 60
	t_eq "$mode: router's evtrace exits 0" 0 "$?"
	wait_pid "$evm" 60
	t_eq "$mode: monitor's evtrace exits 0" 0 "$?"
	t_eq "$mode: nothing on the monitor's evtrace stderr but the start" \
		"evtrace: ready" "$(cat "$work/m.err")"

	seqs "$work/r.ev" >"$work/r.seqs"
	seqs "$work/m.ev" >"$work/m.seqs"
	t_eq "$mode: four connections seen by the router" 4 \
		"$(grep -c ' SND cli .*CONN_START' "$work/r.seqs")"
	if cmp -s "$work/r.seqs" "$work/m.seqs"; then
		t_ok "$mode: the monitor's events equal the router's"
	else
		t_fail "$mode: the monitor's events equal the router's" "they differ"
		diff "$work/r.seqs" "$work/m.seqs" | head -20 | sed 's/^/# /'
	fi
	t_eq "$mode: no failed buffer check in the monitor" 0 "$(grep -c 'INFO:bad' "$work/m.ev")"
	t_eq "$mode: the same stream files" "$(cd "$work/r" && ls | sort | tr '\n' ' ')" \
		"$(cd "$work/m" && ls | sort | tr '\n' ' ')"
	same=0 n=0
	for f in "$work"/r/*; do
		n=$((n + 1))
		cmp -s "$f" "$work/m/${f##*/}" && same=$((same + 1))
	done
	t_eq "$mode: every stream's bytes equal the router's" "$n" "$same"
	# Downloads: a request and a response; uploads: the client's bytes
	t_eq "$mode: six streams" 6 "$n"
	# The uploads: what the server received, byte for byte
	ups=$(for f in "$work"/m/*-900[01].svr; do sha256sum <"$f" | cut -d' ' -f1; done | sort -u)
	t_eq "$mode: the monitor's upload streams are the blob" "$sum" "$ups"
	t_eq "$mode: router: no record lost by its consumer" 0 "$(mos_stat "$R" ring_lost)"
	ms=$("$MOSCTL" -n "$M" stats)
	t_eq "$mode: monitor: no record lost by its consumer" 0 "$(kv "$ms" ring_lost)"
	t_eq "$mode: monitor: no gap" 0 "$(kv "$ms" gaps)"
	t_eq "$mode: monitor: csum_bad" 0 "$(kv "$ms" csum_bad)"
	t_eq "$mode: monitor: xdp_unlinked" 0 "$(kv "$ms" xdp_unlinked)"
	t_eq "$mode: monitor: parse_errors" 0 "$(kv "$ms" parse_errors)"
	quiet "$R"
	mir=$(($(mirrored) - before))
	case $c in
	vlan) want="$mir 0 0" ;;
	qinq) want="0 $mir 0" ;;
	*) want="0 0 $mir" ;;
	esac
	t_eq "$mode: m1 received every mirrored frame: 802.1Q 802.1ad untagged" \
		"$want" "$(m1in q) $(m1in ad) $(m1in plain)"
	log "$mode: monitor: $("$MOSCTL" -n "$M" -j stats)"
	log "$mode: router: $("$MOSCTL" -n "$R" -j stats)"

	t_check "$mode: detach" "$MOSCTL" -n "$M" link detach m1
	t_eq "$mode: link show lists nothing" "" "$("$MOSCTL" -n "$M" link show)"
	t_eq "$mode: no XDP program on m1" "" \
		"$(ip -n "$M" -d link show m1 | grep -o 'prog/xdp.*')"
	for ns in "$R" "$M"; do
		t_check "$mode: disable monitoring in $ns" "$MOSCTL" -n "$ns" ns disable
	done
done

# Netfilter and XDP in one namespace: the router, monitored by netfilter,
# with mos's program also on r0 and r1 (generic).  Each received packet is
# tracked by XDP and skipped at PRE_ROUTING: mos's counters equal the nft
# oracle's at PRE_ROUTING and LOCAL_OUT, as netfilter alone does
# (router.sh); counted twice, they would not.
quiet "$R"
oracle_reset "$R"
t_check "both: enable monitoring of the router" "$MOSCTL" -n "$R" ns enable
for d in r0 r1; do
	t_check "both: attach mos to $d by XDP" "$MOSCTL" -n "$R" link attach $d mode generic
done
transfers both "$C" "$S" 10.0.2.2 fd00:2::2
quiet "$R"
for d in r0 r1; do
	t_check "both: detach from $d" "$MOSCTL" -n "$R" link detach $d
done
t_check "both: disable monitoring of the router" "$MOSCTL" -n "$R" ns disable
log "both: router: $("$MOSCTL" -n "$R" -j stats)"
compare "$R" "both"
t_eq "both: xdp_unlinked" 0 "$(mos_stat "$R" xdp_unlinked)"

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
