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
#
# The ports' own counters (link show): the frames each port's program
# saw are the frames the port received (its rx_packets), the packets it
# tracked the IP frames the bridge counts from that port (nft, bridge
# family, iifname) plus those it dropped, which are the SYNs to 9002.
#
# Trusting the wire (trust-csum): with the client's transmit checksum
# offload on, its segments cross b0 with the partial checksum of offload,
# which the server's stack accepts as the veth hands it on.  Without
# trust-csum every one of them is csum_bad (as many as the bridge counts
# TCP frames from b0) and no flow is tracked; with it every one is
# csum_trusted and the upload's stream is what the server received.
#
# The reset answer: a rule resets port 9003, where the server listens;
# the client's connect is refused (curl's exit 7), by the RST mos wrote
# into the SYN's frame and sent back out of b0 (XDP_TX): the client's
# stack counts one RST from 9003 per SYN it sent, b0 counts the resets,
# and neither the bridge nor the server ever sees port 9003.  Native (the
# client's c0 with an XDP program: a veth's XDP_TX goes to its peer's
# NAPI, which it wakes only for a peer with a program), then generic.
#
# Packets the tracker cannot parse (a TCP header of 12 bytes, from
# scapy): b0 counts each in parse_errors and drops it, as the namespace's
# parse_errors and unparsed_drop count them, and the bridge never sees
# them.  Native, then generic.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx B=br-$sfx S=srv-$sfx
work=$(mktemp -d)
defer_teardown
EVTRACE=$PROJ/build/selftests/evtrace

need_btf
ktap_begin
t_check "load mos.ko" mos_load

bridged "$C" "$B" "$S" || exit 1
bridge_host "$C" c0 1 2
bridge_host "$S" s0 2 1
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
	counter syn9003 { }
	counter rst9003 { }
	chain out {
		type filter hook output priority 0; policy accept;
		meta nfproto ipv4 tcp dport 9002 counter name syn4
		meta nfproto ipv6 tcp dport 9002 counter name syn6
		tcp dport 9003 tcp flags & (syn | ack) == syn counter name syn9003
	}
	chain in {
		type filter hook input priority 0; policy accept;
		tcp sport 9003 tcp flags & rst == rst counter name rst9003
	}
}
NFT
ip netns exec "$B" nft -f - <<'NFT' || exit 1
table bridge o {
	counter tcp4 { }
	counter tcp6 { }
	counter p9002 { }
	counter p9003 { }
	counter allb0 { }
	counter allb1 { }
	counter ipb0 { }
	counter ipb1 { }
	counter tcpb0 { }
	chain pre {
		type filter hook prerouting priority -200; policy accept;
		tcp dport 9002 counter name p9002
		tcp sport 9002 counter name p9002
		tcp dport 9003 counter name p9003
		tcp sport 9003 counter name p9003
		ether type ip meta l4proto tcp counter name tcp4
		ether type ip6 meta l4proto tcp counter name tcp6
		iifname "b0" counter name allb0
		iifname "b1" counter name allb1
		iifname "b0" ether type { ip, ip6 } counter name ipb0
		iifname "b1" ether type { ip, ip6 } counter name ipb1
		iifname "b0" meta l4proto tcp counter name tcpb0
	}
}
NFT
ip netns exec "$S" nft -f - <<'NFT' || exit 1
table inet o {
	counter in9002 { }
	counter in9003 { }
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport 9002 counter name in9002
		tcp dport 9003 counter name in9003
	}
}
NFT

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
ip netns exec "$S" socat -u TCP6-LISTEN:9003,reuseaddr,ipv6only=0,fork \
	"CREATE:$work/got9003" >/dev/null 2>&1 &
l9003=$!
defer eval "kill $l9003 2>/dev/null"
wait_listen "$S" 9003

# outside: the ports' rx_packets and the bridge's counters per port
outside() {
	echo "rx.b0 $(ip netns exec "$B" cat /sys/class/net/b0/statistics/rx_packets)"
	echo "rx.b1 $(ip netns exec "$B" cat /sys/class/net/b1/statistics/rx_packets)"
	for c in allb0 allb1 ipb0 ipb1 tcpb0; do
		echo "$c $(nft_pkts "$B" bridge o $c)"
	done
}

t_check "enable monitoring of the bridge's namespace, inline" \
	"$MOSCTL" -n "$B" ns enable inline
t_check "short TIME_WAIT" "$MOSCTL" -n "$B" set timeout TIME_WAIT 1 timeout CLOSED 1
t_check "rule: drop port 9002" "$MOSCTL" -n "$B" rule add 'tcp dst port 9002' action drop


ms0=$("$MOSCTL" -n "$B" stats)
for mode in native generic; do
	rm -rf "$work/b" && mkdir -p "$work/b"
	for d in b0 b1; do
		t_check "$mode: attach mos to $d by XDP, inline" \
			"$MOSCTL" -n "$B" link attach $d mode $mode inline
	done
	t_eq "$mode: link show" \
		"b0 mode $mode mos flags inline|b1 mode $mode mos flags inline|" \
		"$("$MOSCTL" -n "$B" link show | grep -v '^ ' | sed 's/ ifindex [0-9]*//; s/ prog [1-9][0-9]* / /' | tr '\n' '|')"
	ip netns exec "$B" "$EVTRACE" -c -d "$work/b" >"$work/b.ev" 2>"$work/b.err" &
	evb=$!
	wait_ready "$work/b.err" "$evb"
	xd0=$(ip netns exec "$B" ethtool -S b0 2>/dev/null | sed -n 's/.*rx_queue_0_xdp_drops: *//p')
	link_snap "$B"
	lk0=$lk ox0=$ox

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

	wait_ends "$work/b.ev" || log "$mode: evtrace did not see every end"
	kill -INT "$evb"
	wait_pid "$evb" 60
	t_eq "$mode: evtrace exits 0" 0 "$?"
	t_eq "$mode: nothing on evtrace's stderr but the start" \
		"evtrace: ready" "$(cat "$work/b.err")"
	t_eq "$mode: four connections tracked, none to 9002" "4 0" \
		"$(grep ' SND cli' "$work/b.ev" | grep -c 'CONN_START') $(grep -c -- '-9002 ' "$work/b.ev")"
	# The uploads: mos's server streams are what the server received
	transfer_streams "$mode" "$work/b"

	# The ports' counters, against the ports' and the bridge's
	link_snap "$B"
	s4=$(nft_pkts "$C" inet o syn4) s6=$(nft_pkts "$C" inet o syn6)
	log "$mode: ports: $(echo $lk) outside: $(echo $ox)"
	t_eq "$mode: b0, b1: frames seen are the frames received (rx_packets)" \
		"$(grown rx.b0) $(grown rx.b1)" "$(grown b0.frames) $(grown b1.frames)"
	t_eq "$mode: b0, b1: dropped: the client's SYNs to 9002, none" \
		"$((s4 + s6)) 0" "$(grown b0.dropped) $(grown b1.dropped)"
	t_eq "$mode: b0, b1: tracked: the IP frames the bridge got from them, and the dropped" \
		"$(($(grown ipb0) + s4 + s6)) $(grown ipb1)" "$(grown b0.tracked) $(grown b1.tracked)"
	t_eq "$mode: b0, b1: nonip: the other frames the bridge got from them" \
		"$(($(grown allb0) - $(grown ipb0))) $(($(grown allb1) - $(grown ipb1)))" \
		"$(grown b0.nonip) $(grown b1.nonip)"
	t_eq "$mode: b0: decap decap_err csum_bad csum_trusted resets reset_unsent parse_errors" \
		"0 0 0 0 0 0 0" \
		"$(for k in decap decap_err csum_bad csum_trusted resets reset_unsent parse_errors; do grown b0.$k; done | xargs)"
	# The text output: the same counters, indented under each device
	for _ in 1 2 3 4 5; do
		txt=$("$MOSCTL" -n "$B" link show | sed -n '/^b0 /{n;p}')
		js=" $(link_kv "$B" | while read -r k v; do
			case $k in b0.*) printf ' %s %s' "${k#b0.}" "$v" ;; esac
		done)"
		[ "$txt" = "$js" ] && break
	done
	t_eq "$mode: link show's text: b0's counters, as in JSON" "$js" "$txt"

	for d in b0 b1; do
		t_check "$mode: detach from $d" "$MOSCTL" -n "$B" link detach $d
	done

	# The counters: the SYNs the client sent to 9002, the bridge's and
	# the server's counts of them, mos's
	ms=$("$MOSCTL" -n "$B" stats)
	s4=$(nft_pkts "$C" inet o syn4) s6=$(nft_pkts "$C" inet o syn6)
	log "$mode: client SYNs to 9002: $s4 IPv4, $s6 IPv6"
	log "$mode: $("$MOSCTL" -n "$B" -j stats)"
	t_eq "$mode: the bridge never saw port 9002" 0 "$(nft_pkts "$B" bridge o p9002)"
	t_eq "$mode: nor did the server" 0 "$(nft_pkts "$S" inet o in9002)"
	t_eq "$mode: mos dropped every SYN the client sent" \
		"$((s4 + s6))" "$(($(kv "$ms" dropped) - $(kv "$ms0" dropped)))"
	t_eq "$mode: flows_dropped" 2 \
		"$(($(kv "$ms" flows_dropped) - $(kv "$ms0" flows_dropped)))"
	t_eq "$mode: mos's tcp4 tcp6: the bridge's and the dropped SYNs" \
		"$(($(nft_pkts "$B" bridge o tcp4) + s4)) $(($(nft_pkts "$B" bridge o tcp6) + s6))" \
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

# --- Trusting the wire's checksums ---------------------------------------
# sniff_csum: count, until SIGTERM, the IPv4 TCP frames b0 receives by
# whether their checksum is right (RFC 1071, over the pseudo-header): an
# AF_PACKET socket, the checksum summed here; "GOOD BAD" into $work/sniff
sniff_csum() {
	ip netns exec "$B" python3 -c 'import signal, socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE: no frame lost
s.bind(("b0", 0))
n = [0, 0]
def out(*_):
    print(n[0], n[1], flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, out)
print("ready", file=sys.stderr, flush=True)
while True:
    f, a = s.recvfrom(65536)
    if a[2] == socket.PACKET_OUTGOING or f[12:14] != b"\x08\x00" or f[23] != 6:
        continue
    ip = f[14:]
    ihl = (ip[0] & 15) * 4
    seg = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
    b = ip[12:20] + struct.pack("!BBH", 0, 6, len(seg)) + seg + b"\0" * (len(seg) & 1)
    v = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while v >> 16:
        v = (v & 0xffff) + (v >> 16)
    n[v != 0xffff] += 1' >"$work/sniff" 2>"$work/sniff.err" &
	sniff=$!
	wait_ready "$work/sniff.err" "$sniff"
}
ip netns exec "$C" ethtool -K c0 tx on >/dev/null 2>&1
# One frame, one segment, for the socket as for mos
ip netns exec "$B" ethtool -K b0 gro off >/dev/null 2>&1
for trust in "" trust-csum; do
	tag=${trust:-verified}
	rm -rf "$work/b" && mkdir -p "$work/b"
	t_check "$tag: attach to b0 (passive${trust:+, $trust})" \
		"$MOSCTL" -n "$B" link attach b0 $trust
	t_check "$tag: attach to b1" "$MOSCTL" -n "$B" link attach b1
	t_eq "$tag: link show: b0's flags" "b0 mode native mos flags passive${trust:+,$trust}" \
		"$("$MOSCTL" -n "$B" link show | grep '^b0 ' | sed 's/ ifindex [0-9]*//; s/ prog [1-9][0-9]* / /')"
	ip netns exec "$B" "$EVTRACE" -c -d "$work/b" >"$work/b.ev" 2>"$work/b.err" &
	evb=$!
	wait_ready "$work/b.err" "$evb"
	ms0=$("$MOSCTL" -n "$B" stats)
	sniff_csum
	link_snap "$B"
	lk0=$lk ox0=$ox
	sink_server "$S" 9000 "$work/up4"
	upload "$C" "$blob" 10.0.4.2 9000
	wait_pid $sink_pid 60
	t_eq "$tag: IPv4 upload, the client's checksums left to offload" "$sum" \
		"$(sha256sum <"$work/up4" | cut -d' ' -f1)"
	# Trusted: both sides' ends (hooks RCV and SND); else nothing to wait for
	for _ in $(seq 1 200); do
		[ -z "$trust" ] && break
		[ "$(grep -c ' CONN_END' "$work/b.ev")" -ge 4 ] && break
		nap 0.3
	done
	nap 1
	link_snap "$B"
	ms=$("$MOSCTL" -n "$B" stats)
	kill -INT "$evb"
	wait_pid "$evb" 60
	kill -TERM "$sniff"
	wait_pid "$sniff" 30
	read -r good bad <"$work/sniff"
	log "$tag: ports: $(echo $lk) outside: $(echo $ox)"
	log "$tag: TCP frames into b0 with a right checksum: $good, a wrong one: $bad"
	n=$(grown tcpb0)
	t_eq "$tag: the socket on b0 saw every TCP frame the bridge counted from it" \
		"$n" "$((good + bad))"
	[ "${bad:-0}" -gt 0 ] || t_fail "$tag: frames with the partial checksum of offload" "none"
	if [ -z "$trust" ]; then
		t_eq "$tag: b0: csum_bad is every TCP frame with a wrong checksum, csum_trusted 0" \
			"$bad 0" "$(grown b0.csum_bad) $(grown b0.csum_trusted)"
		t_eq "$tag: the namespace's csum_bad" "$bad" \
			"$(($(kv "$ms" csum_bad) - $(kv "$ms0" csum_bad)))"
		t_eq "$tag: no connection tracked" 0 "$(grep -c 'CONN_START' "$work/b.ev")"
	else
		t_eq "$tag: b0: csum_trusted is every TCP frame from b0, csum_bad 0" \
			"$n 0" "$(grown b0.csum_trusted) $(grown b0.csum_bad)"
		t_eq "$tag: the namespace's csum_bad" 0 \
			"$(($(kv "$ms" csum_bad) - $(kv "$ms0" csum_bad)))"
		t_eq "$tag: the upload's stream is what the server received" "$sum" \
			"$(cat "$work"/b/*-9000.svr | sha256sum | cut -d' ' -f1)"
	fi
	t_eq "$tag: b1: csum_bad csum_trusted" "0 0" "$(grown b1.csum_bad) $(grown b1.csum_trusted)"
	for dv in b0 b1; do
		t_check "$tag: detach from $dv" "$MOSCTL" -n "$B" link detach $dv
	done
done
ip netns exec "$C" ethtool -K c0 tx off >/dev/null 2>&1

# --- The reset answer -------------------------------------------------------
t_check "rule: reset port 9003" "$MOSCTL" -n "$B" rule add 'tcp dst port 9003' action reset
# A veth wakes its peer's NAPI for an XDP_TX frame only when the peer has
# an XDP program: mos's, passive, in the client's unmonitored namespace
t_check "attach mos to the client's c0 (passive, unmonitored)" \
	"$MOSCTL" -n "$C" link attach c0
ip netns exec "$C" nft reset counters table inet o >/dev/null
ip netns exec "$B" nft reset counters table bridge o >/dev/null
for mode in native generic; do
	for dv in b0 b1; do
		t_check "$mode: attach to $dv, inline" \
			"$MOSCTL" -n "$B" link attach $dv mode $mode inline
	done
	ms0=$("$MOSCTL" -n "$B" stats)
	link_snap "$B"
	lk0=$lk ox0=$ox
	for a in 10.0.4.2 '[fd00:4::2]'; do
		ip netns exec "$C" curl -sS --connect-timeout 5 "telnet://$a:9003" \
			</dev/null >/dev/null 2>"$work/curl.err"
		rc=$?
		t_eq "$mode: connect to $a:9003 is refused (curl exit 7)" 7 "$rc"
		grep -q 'refused' "$work/curl.err" ||
			log "$mode: curl said: $(cat "$work/curl.err")"
	done
	link_snap "$B"
	ms=$("$MOSCTL" -n "$B" stats)
	syn=$(nft_pkts "$C" inet o syn9003) rst=$(nft_pkts "$C" inet o rst9003)
	log "$mode: ports: $(echo $lk)"
	t_eq "$mode: the client sent two SYNs and received a reset for each" "2 2" \
		"$syn $rst"
	t_eq "$mode: b0: resets reset_unsent dropped" "2 0 0" \
		"$(grown b0.resets) $(grown b0.reset_unsent) $(grown b0.dropped)"
	t_eq "$mode: the namespace's resets, xdp_reset_unsent" "2 0" \
		"$(($(kv "$ms" resets) - $(kv "$ms0" resets))) $(($(kv "$ms" xdp_reset_unsent) - $(kv "$ms0" xdp_reset_unsent)))"
	t_eq "$mode: neither the bridge nor the server saw port 9003" "0 0" \
		"$(nft_pkts "$B" bridge o p9003) $(nft_pkts "$S" inet o in9003)"
	for dv in b0 b1; do
		t_check "$mode: detach from $dv" "$MOSCTL" -n "$B" link detach $dv
	done
	ip netns exec "$C" nft reset counters table inet o >/dev/null
done
t_check "detach from c0" "$MOSCTL" -n "$C" link detach c0
t_eq "the listener on 9003 received nothing" 0 "$(stat -c %s "$work/got9003" 2>/dev/null || echo 0)"

# --- Packets the tracker cannot parse ------------------------------------
# TCP headers of 12 bytes (data offset 3), three IPv4 and three IPv6,
# written by scapy on the client's c0: b0 counts each in parse_errors and
# drops it (inline; unparsed packets are dropped by default), the
# namespace counts them in parse_errors and unparsed_drop, and the bridge
# never sees them
scapy_python
ip netns exec "$B" nft add counter bridge o p8099 &&
ip netns exec "$B" nft add rule bridge o pre tcp dport 8099 counter name p8099 || exit 1
cat >"$work/bad.py" <<'EOF2'
import sys
from scapy.all import Ether, IP, IPv6, TCP, Raw, conf, sendp
conf.verb = 0
src = open("/sys/class/net/c0/address").read().strip()
e = Ether(src=src, dst="02:00:00:00:04:02")
t = TCP(sport=40100, dport=8099, flags="A", seq=1, ack=1, dataofs=3) / Raw(b"x" * 8)
sendp([e / IP(src="10.0.4.1", dst="10.0.4.2") / t] * 3 +
      [e / IPv6(src="fd00:4::1", dst="fd00:4::2") / t] * 3, iface="c0")
EOF2
for mode in native generic; do
	t_check "$mode: attach to b0, inline" \
		"$MOSCTL" -n "$B" link attach b0 mode $mode inline
	ms0=$("$MOSCTL" -n "$B" stats)
	link_snap "$B"
	lk0=$lk ox0=$ox
	t_check "$mode: scapy sends six segments with a 12-byte TCP header" \
		ip netns exec "$C" "$PY" "$work/bad.py"
	nap 0.5
	link_snap "$B"
	ms=$("$MOSCTL" -n "$B" stats)
	t_eq "$mode: b0: parse_errors dropped" "6 6" \
		"$(grown b0.parse_errors) $(grown b0.dropped)"
	t_eq "$mode: the namespace's parse_errors, unparsed_drop" "6 6" \
		"$(($(kv "$ms" parse_errors) - $(kv "$ms0" parse_errors))) $(($(kv "$ms" unparsed_drop) - $(kv "$ms0" unparsed_drop)))"
	t_eq "$mode: the bridge never saw them" 0 "$(nft_pkts "$B" bridge o p8099)"
	t_check "$mode: detach from b0" "$MOSCTL" -n "$B" link detach b0
done

t_check "disable monitoring" "$MOSCTL" -n "$B" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
