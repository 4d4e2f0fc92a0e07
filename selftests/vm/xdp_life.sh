#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdp_life.sh - the XDP attachment's lifetime: attach and detach under
# traffic, rmmod with the program attached, a namespace deleted with the
# program attached
#
#   client c0 -- b0 [br0, mos, XDP on b0 and b1] b1 -- s0 server
#   (10.0.4.1)                                          (10.0.4.2)
#
# A connection runs through the bridge for the whole test, a line every
# 20 ms.  MOS_XDP_CYCLES times (4 by default, 20 for the long run), while
# it does: mos's program is attached to b0 and b1 (native and generic in
# turn), listed by link show, rmmod is refused (the module stays), the
# program is detached; and a namespace with a veth pair, monitored, with
# mos's program attached to both ends, one native, one generic, is
# deleted as it is.  Then: the connection's bytes at the server are the
# bytes the client sent (the attachments never disturbed it); attached
# once more, a new upload is tracked byte for byte against what the
# server received, and mos counts the TCP packets the bridge counts; no
# program is left on any device; rmmod is refused while attached and
# succeeds after detach; after a namespace's deletion with mos's program
# attached, rmmod succeeds once the kernel has freed the namespace (the
# device's program, and with it the module's reference, goes with it).
# The VM runner fails the run on any kernel splat.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx B=br-$sfx S=srv-$sfx
work=$(mktemp -d)
defer_teardown
EVTRACE=$PROJ/build/selftests/evtrace
CYCLES=${MOS_XDP_CYCLES:-4}

need_btf
ktap_begin
t_check "load mos.ko" mos_load

bridged "$C" "$B" "$S" || exit 1
# host NS DEV ADDR PEER: an end of the bridged subnet 10.0.4.0/24
host() {
	local pm
	pm=$(printf '02:00:00:00:04:%02x' "$4")
	ip -force -n "$1" -batch - <<-EOF
		addr add 10.0.4.$3/24 dev $2
		neigh add 10.0.4.$4 lladdr $pm dev $2 nud permanent
		link set $2 up
	EOF
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off >/dev/null 2>&1
}
host "$C" c0 1 2
host "$S" s0 2 1
ip netns exec "$B" nft -f - <<'NFT' || exit 1
table bridge o {
	counter tcp4 { }
	chain pre {
		type filter hook prerouting priority -200; policy accept;
		ether type ip meta l4proto tcp counter name tcp4
	}
}
NFT

t_check "enable monitoring of the bridge's namespace" "$MOSCTL" -n "$B" ns enable
t_check "short TIME_WAIT" "$MOSCTL" -n "$B" set timeout TIME_WAIT 1 timeout CLOSED 1
# The long connection's bytes sent while detached leave a hole in its
# stream that nothing fills: it must not age into a gap (30 s by default,
# which a slow run reaches) before the counters are compared
t_check "holes never age" "$MOSCTL" -n "$B" set store-age 3600000

# The long connection: numbered lines, every 20 ms, until $work/stop
# exists; what the client sent is in $work/sent
ip netns exec "$S" socat -u TCP-LISTEN:9100,reuseaddr "CREATE:$work/long" \
	>/dev/null 2>&1 &
long_srv=$!
defer eval "kill $long_srv 2>/dev/null"
wait_listen "$S" 9100
python3 -c '
import os, sys, time
i = 0
while not os.path.exists(sys.argv[1]):
	sys.stdout.write("line %08d\n" % i)
	sys.stdout.flush()
	i += 1
	time.sleep(0.02)
' "$work/stop" | tee "$work/sent" | ip netns exec "$C" socat -u - TCP:10.0.4.2:9100 &
long_cli=$!

# progs NS DEV...: those of the devices that have an XDP program
progs() {
	local ns=$1 d
	shift
	for d in "$@"; do
		ip -n "$ns" -d link show "$d" | grep -q 'prog/xdp' && echo "$d"
	done
}

for i in $(seq 1 "$CYCLES"); do
	mode=native
	[ $((i % 2)) = 0 ] && mode=generic
	ok=1
	for d in b0 b1; do
		"$MOSCTL" -n "$B" link attach $d mode $mode || ok=0
	done
	[ "$("$MOSCTL" -n "$B" link show | grep -v '^ ' | sed 's/ ifindex [0-9]*//; s/ prog [1-9][0-9]* / /' |
		tr '\n' '|')" = "b0 mode $mode mos flags passive|b1 mode $mode mos flags passive|" ] ||
		ok=0
	rmmod mos 2>/dev/null && ok=0
	mos_loaded || { t_fail "cycle $i: the module is still loaded" "unloaded"; exit 1; }
	nap 0.3
	for d in b0 b1; do
		"$MOSCTL" -n "$B" link detach $d || ok=0
	done
	[ -z "$(progs "$B" b0 b1)" ] || ok=0
	[ -z "$("$MOSCTL" -n "$B" link show)" ] || ok=0
	# A namespace deleted with mos's program attached
	D=del-$sfx-$i
	ip netns add "$D" &&
		ip -n "$D" link add x0 type veth peer name x1 &&
		ip -n "$D" link set x0 up && ip -n "$D" link set x1 up &&
		"$MOSCTL" -n "$D" ns enable &&
		"$MOSCTL" -n "$D" link attach x0 mode native &&
		"$MOSCTL" -n "$D" link attach x1 mode generic &&
		[ "$(progs "$D" x0 x1 | xargs)" = "x0 x1" ] || ok=0
	ip netns del "$D" || ok=0
	if [ $ok = 1 ]; then
		t_ok "cycle $i ($mode): attach, show, rmmod refused, detach, namespace deleted attached"
	else
		t_fail "cycle $i ($mode): attach, show, rmmod refused, detach, namespace deleted attached" \
			"a step failed"
	fi
done

touch "$work/stop"
wait_pid "$long_cli" 30
t_eq "the long connection's client exits 0" 0 "$?"
wait_pid "$long_srv" 30
t_eq "the long connection: the server received what the client sent" \
	"$(sha256sum <"$work/sent" | cut -d' ' -f1) $(wc -l <"$work/sent")" \
	"$(sha256sum <"$work/long" | cut -d' ' -f1) $(wc -l <"$work/long")"
log "the long connection: $(wc -c <"$work/sent") bytes"

# Attached once more: a new connection is tracked, and mos's TCP count is
# the bridge's
for d in b0 b1; do
	t_check "attach mos to $d (native)" "$MOSCTL" -n "$B" link attach $d
done
ip netns exec "$B" nft reset counters table bridge o >/dev/null
ms0=$("$MOSCTL" -n "$B" stats)
mkdir -p "$work/b"
ip netns exec "$B" "$EVTRACE" -c -d "$work/b" >"$work/b.ev" 2>"$work/b.err" &
evb=$!
wait_ready "$work/b.err" "$evb"
blob=$work/blob
sum=$(make_blob "$blob" 200000)
sink_server "$S" 9000 "$work/up4"
upload "$C" "$blob" 10.0.4.2 9000
wait_pid "$sink_pid" 60
t_eq "the upload arrived" "$sum" "$(sha256sum <"$work/up4" | cut -d' ' -f1)"
for _ in $(seq 1 300); do
	[ "$(grep -c ' CONN_END' "$work/b.ev")" -ge 4 ] && break
	nap 0.2
done
kill -INT "$evb"
wait_pid "$evb" 60
t_eq "evtrace exits 0" 0 "$?"
t_eq "one connection tracked, its server stream is what the server received" \
	"1 $sum" \
	"$(grep ' SND cli' "$work/b.ev" | grep -c CONN_START) $(cat "$work"/b/*-9000.svr | sha256sum | cut -d' ' -f1)"
ms=$("$MOSCTL" -n "$B" stats)
t_eq "mos's tcp4 is the bridge's count" "$(ctr_get "$(ip netns exec "$B" nft list counter bridge o tcp4)" tcp4 packets)" \
	"$(($(kv "$ms" tcp4) - $(kv "$ms0" tcp4)))"
t_eq "xdp_unlinked csum_bad parse_errors gaps ring_lost" "0 0 0 0 0" \
	"$(for k in xdp_unlinked csum_bad parse_errors gaps ring_lost; do kv "$ms" $k; done | xargs)"
log "$("$MOSCTL" -n "$B" -j stats)"

if ! rmmod mos 2>/dev/null && mos_loaded; then
	t_ok "rmmod refused while attached"
else
	t_fail "rmmod refused while attached" "rmmod succeeded"
fi
for d in b0 b1; do
	t_check "detach from $d" "$MOSCTL" -n "$B" link detach $d
done
t_eq "no program on b0 or b1" "" "$(progs "$B" b0 b1)"
t_check "disable monitoring" "$MOSCTL" -n "$B" ns disable
ns_cleanup
# The deleted namespaces are freed by a kernel worker: rmmod succeeds
# once they are (30 s at most)
for _ in $(seq 1 100); do
	rmmod mos 2>/dev/null && break
	nap 0.3
done
if mos_loaded; then
	t_fail "rmmod after detach and the namespaces' deletion" "still loaded"
else
	t_ok "rmmod after detach and the namespaces' deletion"
fi
if command -v bpftool >/dev/null; then
	t_eq "no mos_xdp program left in the kernel" 0 \
		"$(bpftool prog show | grep -c 'name mos_xdp')"
fi
ktap_end
