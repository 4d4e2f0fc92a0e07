#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdp_jumbo.sh - jumbo frames: mos attached by XDP to the ports of a
# bridge whose links have an MTU of 9000 tracks frames of several buffers,
# and answers a SYN of several buffers with its reset
#
#   +-----------+          +----------------------+          +-----------+
#   |  client   |  veth    |  bridge br0          |  veth    |  server   |
#   | 10.0.4.1  |----------| b0                b1 |----------| 10.0.4.2  |
#   | fd00:4::1 | MTU 9000 | mos inline, XDP on   | MTU 9000 | fd00:4::2 |
#   +-----c0----+          | b0 and b1            |          +----s0-----+
#                          +----------------------+
#
# A veth's native XDP puts a frame in one page, headroom and shared info
# included: 3520 bytes of IP packet at most (4096 - 256 - 320).  A longer
# one comes as a frame of several buffers, and only to a program loaded
# with fragments (BPF_F_XDP_HAS_FRAGS): a veth refuses any other while its
# peer's MTU is above that.  So attaching mos natively to c0, whose peer
# b0 has an MTU of 9000, must succeed, and the frames longer than 3520
# bytes that the bridge counts from b0 and b1 (nft, bridge family) went
# through mos's kfunc as multi-buffer frames (natively; generic XDP on 6.1
# makes them linear, on 6.12 it keeps them in fragments).
#
# Native, then generic: downloads and uploads over IPv4 and IPv6, one
# segment per frame (no TSO or GSO at the ends, which compute their
# checksums): the server's received bytes are mos's streams (evtrace),
# and the ports' counters are the bridge's (every frame seen, the IP ones
# tracked, no bad checksum).  Then a reset rule on port 9003 and a SYN
# with 5000 bytes of data from scapy, IPv4 and IPv6: the client receives
# an RST with ACK, sequence number 0, acknowledging the SYN and its 5000
# bytes, bare IP and TCP headers and nothing after them; b0 counts the
# resets, none unsent, and neither the bridge nor the server sees port
# 9003.  A SYN of several buffers is dropped and its reset sent as an skb
# (xdp.rst, "Resets"): b0's driver counts the drops, and no XDP_TX.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx B=br-$sfx S=srv-$sfx
work=$(mktemp -d)
defer_teardown
EVTRACE=$PROJ/build/selftests/evtrace
MTU=9000

need_btf
ktap_begin
t_check "load mos.ko" mos_load

bridged "$C" "$B" "$S" || exit 1
for d in "$C c0" "$B b0" "$B b1" "$S s0" "$B br0"; do
	set -- $d
	ip -n "$1" link set "$2" mtu $MTU || exit 1
done
bridge_host "$C" c0 1 2
bridge_host "$S" s0 2 1

ip netns exec "$B" nft -f - <<'NFT' || exit 1
table bridge o {
	counter big4 { }
	counter big6 { }
	counter p9003 { }
	counter ipb0 { }
	counter ipb1 { }
	chain pre {
		type filter hook prerouting priority -200; policy accept;
		ether type ip ip length > 3520 counter name big4
		ether type ip6 ip6 length > 3480 counter name big6
		tcp dport 9003 counter name p9003
		tcp sport 9003 counter name p9003
		iifname "b0" ether type { ip, ip6 } counter name ipb0
		iifname "b1" ether type { ip, ip6 } counter name ipb1
	}
}
NFT
ip netns exec "$S" nft -f - <<'NFT' || exit 1
table inet o {
	counter in9003 { }
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport 9003 counter name in9003
	}
}
NFT

[ "$BLOB_SIZE" -gt 300000 ] && BLOB_SIZE=300000
blob=$work/blob
sum=$(make_blob "$blob" "$BLOB_SIZE")
http_server "$S" "$work" 8080

# outside: the ports' rx_packets and the bridge's counters
outside() {
	echo "rx.b0 $(ip netns exec "$B" cat /sys/class/net/b0/statistics/rx_packets)"
	echo "rx.b1 $(ip netns exec "$B" cat /sys/class/net/b1/statistics/rx_packets)"
	for c in big4 big6 p9003 ipb0 ipb1; do
		echo "$c $(nft_pkts "$B" bridge o $c)"
	done
}
# xstats: b0's driver's XDP counters (veth, queue 0): "xdp_drops N", ...
xstats() {
	ip netns exec "$B" ethtool -S b0 | sed -n 's/^ *rx_queue_0_\(xdp_[a-z_]*\): */\1 /p'
}
# kver_ge MAJOR MINOR: the kernel is MAJOR.MINOR or later
kver_ge() {
	local v
	v=$(uname -r)
	v=${v%%-*}
	[ "$(printf '%s\n' "$1.$2" "$v" | sort -V | head -n 1)" = "$1.$2" ]
}
# t_ge NAME VALUE MIN: VALUE is at least MIN
t_ge() {
	if [ "$2" -ge "$3" ]; then t_ok "$1"; else t_fail "$1" "$2 < $3"; fi
}

t_check "enable monitoring of the bridge's namespace, inline" \
	"$MOSCTL" -n "$B" ns enable inline
t_check "short TIME_WAIT" "$MOSCTL" -n "$B" set timeout TIME_WAIT 1 timeout CLOSED 1
# A veth wakes its peer's NAPI for an XDP_TX frame only when the peer has
# an XDP program: mos's, passive, in the client's unmonitored namespace.
# c0's peer has an MTU of 9000: only a program with fragments attaches.
t_check "attach mos natively to c0, whose peer's MTU is $MTU" \
	"$MOSCTL" -n "$C" link attach c0 mode native

for mode in native generic; do
	rm -rf "$work/b" && mkdir -p "$work/b"
	for dv in b0 b1; do
		t_check "$mode: attach mos to $dv by XDP, inline" \
			"$MOSCTL" -n "$B" link attach $dv mode $mode inline
	done
	ip netns exec "$B" "$EVTRACE" -c -d "$work/b" >"$work/b.ev" 2>"$work/b.err" &
	evb=$!
	wait_ready "$work/b.err" "$evb"
	ms0=$("$MOSCTL" -n "$B" stats)
	link_snap "$B"
	lk0=$lk ox0=$ox

	transfers "$mode" "$C" "$S" 10.0.4.2 fd00:4::2

	wait_ends "$work/b.ev" || log "$mode: evtrace did not see every end"
	kill -INT "$evb"
	wait_pid "$evb" 60
	t_eq "$mode: evtrace exits 0" 0 "$?"
	t_eq "$mode: nothing on evtrace's stderr but the start" \
		"evtrace: ready" "$(cat "$work/b.err")"
	t_eq "$mode: four connections tracked" 4 \
		"$(grep ' SND cli' "$work/b.ev" | grep -c 'CONN_START')"
	transfer_streams "$mode" "$work/b"

	link_snap "$B"
	ms=$("$MOSCTL" -n "$B" stats)
	log "$mode: ports: $(echo $lk) outside: $(echo $ox)"
	big4=$(grown big4) big6=$(grown big6)
	# Two transfers per family, in frames of the MTU mostly: at least
	# half of their bytes in frames longer than a page holds
	t_ge "$mode: IPv4 frames longer than 3520 bytes (bridge): $big4" "$big4" \
		$((BLOB_SIZE / MTU))
	t_ge "$mode: IPv6 frames longer than 3520 bytes (bridge): $big6" "$big6" \
		$((BLOB_SIZE / MTU))
	t_eq "$mode: b0, b1: frames seen are the frames received (rx_packets)" \
		"$(grown rx.b0) $(grown rx.b1)" "$(grown b0.frames) $(grown b1.frames)"
	t_eq "$mode: b0, b1: tracked: the IP frames the bridge got from them" \
		"$(grown ipb0) $(grown ipb1)" "$(grown b0.tracked) $(grown b1.tracked)"
	t_eq "$mode: b0, b1: csum_bad parse_errors dropped" "0 0 0 0 0 0" \
		"$(for k in csum_bad parse_errors dropped; do echo "$(grown b0.$k) $(grown b1.$k)"; done | xargs)"
	t_eq "$mode: gaps ring_lost csum_bad parse_errors" "0 0 0 0" \
		"$(for k in gaps ring_lost csum_bad parse_errors; do
			echo $(($(kv "$ms" $k) - $(kv "$ms0" $k)))
		done | xargs)"
	for dv in b0 b1; do
		t_check "$mode: detach from $dv" "$MOSCTL" -n "$B" link detach $dv
	done
done

# --- The reset of a SYN of several buffers -------------------------------
ip netns exec "$S" socat -u TCP6-LISTEN:9003,reuseaddr,ipv6only=0,fork \
	"CREATE:$work/got9003" >/dev/null 2>&1 &
l9003=$!
defer eval "kill $l9003 2>/dev/null"
wait_listen "$S" 9003
t_check "rule: reset port 9003" "$MOSCTL" -n "$B" rule add 'tcp dst port 9003' action reset
scapy_python
# syn.py ADDR: a SYN with 5000 bytes of data to ADDR:9003 from c0; prints
# what came back from 9003: "FLAGS SEQ ACK IPLEN FRAMELEN", IPLEN the IP
# packet's length (IPv6: its payload's + 40), FRAMELEN what the frame held
# after its Ethernet header: the fragments, had they stayed, would be
# there
cat >"$work/syn.py" <<'EOF'
import sys, time
from scapy.all import Ether, IP, IPv6, TCP, Raw, AsyncSniffer, conf, sendp
conf.verb = 0
dst = sys.argv[1]
e = Ether(src=open("/sys/class/net/c0/address").read().strip(),
          dst="02:00:00:00:04:02")
l3 = IPv6(src="fd00:4::1", dst=dst) if ":" in dst else IP(src="10.0.4.1", dst=dst)
sn = AsyncSniffer(iface="c0", count=1, timeout=20,
                  lfilter=lambda p: TCP in p and p[TCP].sport == 9003)
sn.start()
time.sleep(1)
sendp(e / l3 / TCP(sport=40200, dport=9003, flags="S", seq=1000) / Raw(b"j" * 5000),
      iface="c0")
sn.join()
for p in sn.results or []:
    t = p[TCP]
    n = p[IP].len if IP in p else p[IPv6].plen + 40
    print(str(t.flags), t.seq, t.ack, n, len(bytes(p)) - 14)
EOF
for mode in native generic; do
	for dv in b0 b1; do
		t_check "$mode: attach to $dv, inline" \
			"$MOSCTL" -n "$B" link attach $dv mode $mode inline
	done
	ms0=$("$MOSCTL" -n "$B" stats)
	x0=$(xstats)
	link_snap "$B"
	lk0=$lk ox0=$ox
	for a in 10.0.4.2:40 fd00:4::2:60; do
		t_eq "$mode: ${a%:*}: the client gets RST+ACK, seq 0, ack 1000 + 1 + 5000, bare headers, nothing after" \
			"RA 0 6001 ${a##*:} ${a##*:}" "$(ip netns exec "$C" "$PY" "$work/syn.py" "${a%:*}")"
	done
	link_snap "$B"
	ms=$("$MOSCTL" -n "$B" stats)
	# The SYN's frame is of several buffers natively, and in generic XDP
	# on 6.12 (6.1's generic XDP makes it linear): then it is dropped
	# and its reset sent as an skb; a linear one is its reset
	mb=2
	[ "$mode" = generic ] && ! kver_ge 6 12 && mb=0
	t_eq "$mode: b0: resets reset_unsent dropped" "2 0 $mb" \
		"$(grown b0.resets) $(grown b0.reset_unsent) $(grown b0.dropped)"
	if [ "$mode" = native ]; then
		x1=$(xstats)
		t_eq "native: b0's driver: XDP_DROP twice, no XDP_TX" "2 0" \
			"$(($(kv "$x1" xdp_drops) - $(kv "$x0" xdp_drops))) $(($(kv "$x1" xdp_tx) - $(kv "$x0" xdp_tx)))"
	fi
	t_eq "$mode: the namespace's resets, xdp_reset_unsent" "2 0" \
		"$(($(kv "$ms" resets) - $(kv "$ms0" resets))) $(($(kv "$ms" xdp_reset_unsent) - $(kv "$ms0" xdp_reset_unsent)))"
	t_eq "$mode: neither the bridge nor the server saw port 9003" "0 0" \
		"$(grown p9003) $(nft_pkts "$S" inet o in9003)"
	for dv in b0 b1; do
		t_check "$mode: detach from $dv" "$MOSCTL" -n "$B" link detach $dv
	done
done
t_check "detach from c0" "$MOSCTL" -n "$C" link detach c0
t_eq "the listener on 9003 received nothing" 0 "$(stat -c %s "$work/got9003" 2>/dev/null || echo 0)"

t_check "disable monitoring" "$MOSCTL" -n "$B" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
