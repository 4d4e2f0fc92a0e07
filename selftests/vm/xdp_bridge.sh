#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdp_bridge.sh - a transparent bridge filtered by mos at the driver: mos
# attached by XDP, inline, to the ports of a Linux bridge drops a flow
# before the bridge sees it, and tracks the flows it passes
#
#   +-----------+          +----------------------+          +-----------+
#   |  client   |  veth    |  bridge br0          |  veth    |  server   |
#   | 10.0.4.1  |----------| b0                b1 |----------| 10.0.4.2  |
#   | fd00:4::1 |          | mos inline, XDP on   |          | fd00:4::2 |
#   +-----c0----+          | b0 and b1, no address|          +----s0-----+
#                          +----------------------+
#
# The client's packets reach the monitor at b0, the server's at b1: the
# two directions of a flow on two ports.  A rule drops port 9002: the
# client's connect times out (curl's exit 28, not 7 for a refusal), and
# each of its SYNs, as counted leaving the client (nft, output), is
# counted by mos (dropped) and never by the bridge (nft, bridge family,
# prerouting: the first hook a bridged frame passes) nor by the server
# (nft, input), whose listener on 9002 accepts nothing.  Every other
# packet passes: downloads and uploads, IPv4 and IPv6, whose bytes the
# server received are the bytes of mos's streams (evtrace), and mos
# counts per family the TCP packets the bridge counts plus the SYNs it
# dropped.  Native XDP, then generic.  The senders compute their
# checksums, as on a wire (a veth hands on the partial checksum of
# offload, which no XDP program can verify).

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx B=br-$sfx S=srv-$sfx
work=$(mktemp -d)
defer_teardown
EVTRACE=$PROJ/build/selftests/evtrace

ktap_begin
t_check "load mos.ko" mos_load

bridged "$C" "$B" "$S" || exit 1
# host NS DEV ADDR PEER: the end of the bridged subnet 10.0.4.0/24
host() {
	local pm
	pm=$(printf '02:00:00:00:04:%02x' "$4")
	ip -force -n "$1" -batch - <<-EOF
		addr add 10.0.4.$3/24 dev $2
		addr add fd00:4::$3/64 dev $2 nodad
		neigh add 10.0.4.$4 lladdr $pm dev $2 nud permanent
		neigh add fd00:4::$4 lladdr $pm dev $2 nud permanent
		link set $2 up
	EOF
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off >/dev/null 2>&1
}
host "$C" c0 1 2
host "$S" s0 2 1
# The bridge learns nothing before the first frames: flood, as it would
if [ -d "/proc/sys/net/bridge" ]; then
	log "br_netfilter is loaded: bridged packets also pass the IP hooks"
fi

# Counters outside mos: what leaves the client for 9002, what the bridge
# layer receives (prerouting of the bridge family, before forwarding),
# what the server's stack receives for 9002
ip netns exec "$C" nft -f - <<'NFT' || exit 1
table inet o {
	counter syn4 { }
	counter syn6 { }
	chain out {
		type filter hook output priority 0; policy accept;
		meta nfproto ipv4 tcp dport 9002 counter name syn4
		meta nfproto ipv6 tcp dport 9002 counter name syn6
	}
}
NFT
ip netns exec "$B" nft -f - <<'NFT' || exit 1
table bridge o {
	counter tcp4 { }
	counter tcp6 { }
	counter p9002 { }
	chain pre {
		type filter hook prerouting priority -200; policy accept;
		tcp dport 9002 counter name p9002
		tcp sport 9002 counter name p9002
		ether type ip meta l4proto tcp counter name tcp4
		ether type ip6 meta l4proto tcp counter name tcp6
	}
}
NFT
ip netns exec "$S" nft -f - <<'NFT' || exit 1
table inet o {
	counter in9002 { }
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport 9002 counter name in9002
	}
}
NFT
# cnt NS FAMILY TABLE NAME: a counter's packets
cnt() {
	ctr_get "$(ip netns exec "$1" nft list counter "$2" "$3" "$4")" "$4" packets
}

[ "$BLOB_SIZE" -gt 300000 ] && BLOB_SIZE=300000
blob=$work/blob
sum=$(make_blob "$blob" "$BLOB_SIZE")
http_server "$S" "$work" 8080
# A listener on the dropped port: without the drop, connects succeed
ip netns exec "$S" socat -u TCP6-LISTEN:9002,reuseaddr,ipv6only=0 \
	"CREATE:$work/got9002" >/dev/null 2>&1 &
l9002=$!
defer eval "kill $l9002 2>/dev/null"
wait_listen "$S" 9002

t_check "enable monitoring of the bridge's namespace, inline" \
	"$MOSCTL" -n "$B" ns enable inline
t_check "short TIME_WAIT" "$MOSCTL" -n "$B" set timeout TIME_WAIT 1 timeout CLOSED 1
t_check "rule: drop port 9002" "$MOSCTL" -n "$B" rule add 'tcp dst port 9002' action drop

# ends FILE: wait until evtrace's FILE has the CONN_ENDs of the four
# connections: each side ends at hook RCV, then SND (180 s)
ends() {
	for _ in $(seq 1 600); do
		[ "$(grep -c ' CONN_END' "$1")" -ge 16 ] && return 0
		nap 0.3
	done
	return 1
}

ms0=$("$MOSCTL" -n "$B" stats)
for mode in native generic; do
	rm -rf "$work/b" && mkdir -p "$work/b"
	for d in b0 b1; do
		t_check "$mode: attach mos to $d by XDP, inline" \
			"$MOSCTL" -n "$B" link attach $d mode $mode inline
	done
	t_eq "$mode: link show" \
		"b0 mode $mode mos flags inline|b1 mode $mode mos flags inline|" \
		"$("$MOSCTL" -n "$B" link show | sed 's/ ifindex [0-9]*//; s/ prog [1-9][0-9]* / /' | tr '\n' '|')"
	ip netns exec "$B" "$EVTRACE" -c -d "$work/b" >"$work/b.ev" 2>"$work/b.err" &
	evb=$!
	wait_ready "$work/b.err" "$evb"
	xd0=$(ip netns exec "$B" ethtool -S b0 2>/dev/null | sed -n 's/.*rx_queue_0_xdp_drops: *//p')

	# The dropped flows: what the client sees
	for a in 10.0.4.2 '[fd00:4::2]'; do
		ip netns exec "$C" curl -sS --connect-timeout 2 "telnet://$a:9002" \
			</dev/null >/dev/null 2>"$work/curl.err"
		rc=$?
		t_eq "$mode: connect to $a:9002 times out (curl exit 28)" 28 "$rc"
		grep -q 'timed out' "$work/curl.err" ||
			log "$mode: curl said: $(cat "$work/curl.err")"
	done

	transfers "$mode" "$C" "$S" 10.0.4.2 fd00:4::2

	ends "$work/b.ev" || log "$mode: evtrace did not see every end"
	kill -INT "$evb"
	wait_pid "$evb" 60
	t_eq "$mode: evtrace exits 0" 0 "$?"
	t_eq "$mode: nothing on evtrace's stderr but the start" \
		"evtrace: ready" "$(cat "$work/b.err")"
	t_eq "$mode: four connections tracked, none to 9002" "4 0" \
		"$(grep ' SND cli' "$work/b.ev" | grep -c 'CONN_START') $(grep -c -- '-9002 ' "$work/b.ev")"
	# The uploads: mos's server streams are what the server received
	t_eq "$mode: the IPv4 upload's stream is what the server received" \
		"$(sha256sum <"$work/up4" | cut -d' ' -f1)" \
		"$(cat "$work"/b/*-9000.svr | sha256sum | cut -d' ' -f1)"
	t_eq "$mode: the IPv6 upload's stream is what the server received" \
		"$(sha256sum <"$work/up6" | cut -d' ' -f1)" \
		"$(cat "$work"/b/*-9001.svr | sha256sum | cut -d' ' -f1)"
	t_eq "$mode: the downloads' client streams end with the blob" "$sum $sum" \
		"$(for f in "$work"/b/*-8080.cli; do
			tail -c "$BLOB_SIZE" "$f" | sha256sum | cut -d' ' -f1
		done | xargs)"

	for d in b0 b1; do
		t_check "$mode: detach from $d" "$MOSCTL" -n "$B" link detach $d
	done

	# The counters: the SYNs the client sent to 9002, the bridge's and
	# the server's counts of them, mos's
	ms=$("$MOSCTL" -n "$B" stats)
	s4=$(cnt "$C" inet o syn4) s6=$(cnt "$C" inet o syn6)
	log "$mode: client SYNs to 9002: $s4 IPv4, $s6 IPv6"
	log "$mode: $("$MOSCTL" -n "$B" -j stats)"
	t_eq "$mode: the bridge never saw port 9002" 0 "$(cnt "$B" bridge o p9002)"
	t_eq "$mode: nor did the server" 0 "$(cnt "$S" inet o in9002)"
	t_eq "$mode: mos dropped every SYN the client sent" \
		"$((s4 + s6))" "$(($(kv "$ms" dropped) - $(kv "$ms0" dropped)))"
	t_eq "$mode: flows_dropped" 2 \
		"$(($(kv "$ms" flows_dropped) - $(kv "$ms0" flows_dropped)))"
	t_eq "$mode: mos's tcp4 tcp6: the bridge's and the dropped SYNs" \
		"$(($(cnt "$B" bridge o tcp4) + s4)) $(($(cnt "$B" bridge o tcp6) + s6))" \
		"$(($(kv "$ms" tcp4) - $(kv "$ms0" tcp4))) $(($(kv "$ms" tcp6) - $(kv "$ms0" tcp6)))"
	if [ "$mode" = native ] && [ -n "$xd0" ]; then
		t_eq "$mode: b0's driver counted the drops (rx_queue_0_xdp_drops)" \
			"$((s4 + s6))" \
			"$(($(ip netns exec "$B" ethtool -S b0 | sed -n 's/.*rx_queue_0_xdp_drops: *//p') - xd0))"
	fi
	t_eq "$mode: xdp_unlinked csum_bad parse_errors gaps ring_lost" "0 0 0 0 0" \
		"$(for k in xdp_unlinked csum_bad parse_errors gaps ring_lost; do kv "$ms" $k; done | xargs)"
	ms0=$ms
	ip netns exec "$C" nft reset counters table inet o >/dev/null
	ip netns exec "$B" nft reset counters table bridge o >/dev/null
done
t_eq "the listener on 9002 received nothing" 0 "$(stat -c %s "$work/got9002" 2>/dev/null || echo 0)"

t_check "disable monitoring" "$MOSCTL" -n "$B" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
