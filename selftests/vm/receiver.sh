#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# receiver.sh - stream integrity against a real Linux receiver: the bytes
# mos reports are the bytes the server's read() returned, and the end mos
# reports is the server's
#
#   +----------------+       +---------------------+       +----------------+
#   | client C       |       | router R            |       | server S       |
#   |  receiver.py:  | c0-r0 |  mos (inline)       | r1-s0 |  mos (passive) |
#   |  crafted       |       |  evtrace -c: router |       |  evtrace -c:   |
#   |  sender, from  |       |  verdict_app accept |       |   endpoint     |
#   |  10.0.1.3 and  |       |  (MOS_VERDICT=1)    |       |  receiver.py:  |
#   |  fd00:1::3     |       |                     |       |  the receiver  |
#   |  (frames in    |       |  rt0: tap, the      |       |  10.0.2.2:5000 |
#   |  through rt0,  |       |  sender's frames in |       |                |
#   |  answers on c0)|       |                     |       |                |
#   +----------------+       +---------------------+       +----------------+
#
# The sender's addresses are not C's: R reaches them through permanent
# neighbour entries (c0's MAC), C drops them in prerouting after its
# AF_PACKET socket has seen them, so C's kernel never answers the
# server's segments.  One run of the cases serves both placements of the
# monitor: R forwarding (router) and S, the receiver's own namespace
# (endpoint).  Checksums are left to the stack on r0 and s0 (rx offload
# off), so a bad checksum is the receiver's to find.
#
# The router is inline, with a verdict consumer that accepts everything
# (verdict_app accept: every packet of a flow of either family raises
# MOS_ON_PKT_IN at MOS_HK_SND and is held until its verdict) next to its
# evtrace: every segment the server reads went through a hold and a
# verdict, so the cases check that held packets leave unchanged and in
# their order, both directions (the server's ACKs and window are what the
# sender's next segments are built from).  The server's namespace stays
# passive, so one run covers both modes: a second run of the cases with
# an inline router would double the test's time (185-250 s per kernel in
# make check) for a passive router the endpoint placement already
# exercises.  After the last round the router's counters must show
# packets held (held > 0), as many accepts (verdict_accept) as the
# consumer's callback ran (verdict_app's "pkt_in N"), none timed out,
# dropped, refused, over the limit or released by the consumer's end, and
# both namespaces nothing lost for lack of ring room (ring_lost,
# ring_full).  held is verdict_accept plus held_order: a packet that
# raises no PKT_IN (a bad checksum, an orphan on a closed flow's 4-tuple)
# waits, accepted, behind a held packet of its 4-tuple
# (Documentation/uapi.rst, "Held packets and verdicts").
#
# receiver.py (selftests/lib) drives the cases, records what the server
# read and how each connection ended, then compares each case with the
# streams and lines of both evtraces: one check per case and placement,
# then "N/M cases: mos == receiver".  MOS_RECEIVER_CASES=REGEX selects the
# cases, MOS_RECEIVER_TIME=S (default 0) runs random connections for S
# seconds after them, from seed MOS_RECEIVER_SEED (default: the time), in
# rounds of MOS_RECEIVER_ROUND seconds (default 100): each round its own
# evtraces, compared, then its flows expire, so a long run (make
# check-receiver) holds one round's flows at a time.

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/verdict_lib.sh"

C=rxc-$$ R=rxr-$$ S=rxs-$$
work=$(mktemp -d)
evr='' eve='' app=''
defer_teardown evr eve app

EV=$PROJ/build/selftests/evtrace
APP=$PROJ/build/selftests/verdict_app
RX=$SELFTESTS/lib/receiver.py
PY=/usr/bin/python3
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
export MOS_RECEIVER_TIME=${MOS_RECEIVER_TIME:-0}

# start_ev NS NAME: evtrace -c in NS, its streams in $work/NAME/, its
# lines in $work/NAME.out; its pid in $pid
start_ev() {
	mkdir -p "$work/$2"
	ip netns exec "$1" "$EV" -c -d "$work/$2" \
		>"$work/$2.out" 2>"$work/$2.err" &
	pid=$!
	wait_ready "$work/$2.err" "$pid"
}

# stop_ev PID: SIGINT, and its exit status
stop_ev() {
	kill -INT "$1"
	wait_pid "$1" 60
}

# marker RXDIR NAME...: until each evtrace's lines have the FIN of the
# driver's last connection, 120 s at most: all the sender sent before is
# in them
marker() {
	local key n
	key=$(cat "$1/marker" 2>/dev/null) || return 1
	shift
	for n in "$@"; do
		for _ in $(seq 1 120); do
			grep -q "^$key RCV svr STATE_CHANGE:CLOSE_WAIT" "$work/$n" && break
			nap 1
		done
	done
}

# settle NAME...: until the evtraces' lines stop growing for a second
settle() {
	local a b n
	a=$(cat "${@/#/$work/}" | wc -c)
	for n in $(seq 1 60); do
		nap 1
		b=$(cat "${@/#/$work/}" | wc -c)
		[ "$a" = "$b" ] && return 0
		a=$b
	done
	log "evtrace still writing after $n s"
	return 1
}

ktap_begin
for b in "$EV" "$APP"; do
	[ -x "$b" ] || { t_fail "binaries" "$b missing (make user)"; ktap_end; }
done
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
ip -force -n "$R" -batch - <<-EOF
	neigh add 10.0.1.3 lladdr 02:00:00:00:01:02 dev r0 nud permanent
	neigh add fd00:1::3 lladdr 02:00:00:00:01:02 dev r0 nud permanent
EOF
t_check "the client's kernel leaves the sender's addresses alone" \
	ip netns exec "$C" nft -f - <<-EOF
	table inet rx {
		chain pre {
			type filter hook prerouting priority -500; policy accept;
			ip daddr 10.0.1.3 drop
			ip6 daddr fd00:1::3 drop
		}
	}
EOF
# The sender's frames enter the router through the tap rt0 (built as a
# NIC's driver builds them: see receiver.py); the server's answers leave
# through r0 to c0, where the sender reads them.  The debug kernel's tun
# is built by tools/vm/debug-extmods.  A kernel without tun gets them
# through c0, without the seeds that need the tap (TAP_SEEDS in
# receiver.py); MOS_RECEIVER_NOTAP=1 takes that path on any kernel.
tap=
kmod_load tun
if [ "${MOS_RECEIVER_NOTAP:-0}" != 1 ] &&
   ip -n "$R" tuntap add dev rt0 mode tap 2>/dev/null; then
	t_check "the tap in the router is up" \
		ip -n "$R" link set rt0 address 02:00:00:00:01:03 up
	ip netns exec "$R" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.rt0.rp_filter=0
	tap=$R:rt0
else
	log "no tap device (tun): the sender's frames go through c0"
fi
ip netns exec "$R" ethtool -K r0 rx off >/dev/null 2>&1
ip netns exec "$S" ethtool -K s0 rx off >/dev/null 2>&1
t_check "enable the monitor in the router, inline" "$MOSCTL" -n "$R" ns enable inline
t_check "enable the monitor in the server's namespace, passive" \
	"$MOSCTL" -n "$S" ns enable passive
for ns in "$R" "$S"; do
	t_check "nothing expires in $ns" mos_no_expiry "$ns"
done
# A verdict is late only if the consumer is stuck (10 s: the ASan build
# under TCG answers in well under one; 60 s on the debug kernel, where a
# run of 3,870 held packets on a loaded host had 273 answered later than
# 10 s); the random connections run 8 at a time, so the pool is made
# larger than the default 1024 before the consumer sets up its ring
vto=10
[ -e /sys/kernel/debug/kmemleak ] && vto=60
t_check "the router's verdicts: $vto s to answer, 8192 held at most" \
	"$MOSCTL" -n "$R" set verdict-timeout $((vto * 1000)) held-max 8192
MOS_VERDICT=1 ip netns exec "$R" "$APP" accept - >"$work/app.out" \
	2>"$work/app.err" &
app=$!
t_check "verdict_app accept in the router" wait_ready "$work/app.err" "$app"
# PAWS: the server's namespace keeps the default (auto: its receivers are
# local); the router sees the frames in the server's order (receiver.py
# sends them all from one CPU), so it refuses what PAWS discards too
t_check "the router refuses what PAWS discards" "$MOSCTL" -n "$R" set paws on
t_eq "the server's namespace: paws auto" "paws auto" \
	"$("$MOSCTL" -n "$S" ns show | grep '^paws ')"
# negative RXDIR EVDIR: the comparison finds a difference: baseline-v4
# with its 4th byte read as another and reset, against EVDIR
negative() {
	local n=$work/neg cp out
	cp=$(grep '^baseline-v4 ' "$1/cases" | cut -d' ' -f2)
	[ -n "$cp" ] || return 0
	mkdir -p "$n/srv"
	grep '^baseline-v4 ' "$1/cases" >"$n/cases"
	cp "$1/srv/$cp.data" "$1/srv/$cp.end" "$n/srv/"
	printf '#' | dd of="$n/srv/$cp.data" bs=1 seek=3 conv=notrunc 2>/dev/null
	echo reset >"$n/srv/$cp.end"
	out=$("$PY" "$RX" compare "$n" router="$2")
	t_eq "a byte and an end changed in what the receiver read: found" yes \
		"$(grep -q '^not ok baseline-v4@router: stream differs at offset 3: .*; end: mos fin, receiver reset' <<<"$out" &&
			grep -qx '0/1 cases: mos == receiver' <<<"$out" && echo yes)"
}

# round R SECONDS FIXED [last]: one run of receiver.py (the fixed cases with
# FIXED=1, then SECONDS of random connections) between two fresh
# evtraces, compared; every flow of both monitors gone after it unless
# it is the last
round() {
	local r=$1 l w
	local d=$work/rx.$r
	start_ev "$R" "router.$r" ||
		t_fail "evtrace in the router" "$(cat "$work/router.$r.err")"
	evr=$pid
	start_ev "$S" "endpoint.$r" ||
		t_fail "evtrace in the server" "$(cat "$work/endpoint.$r.err")"
	eve=$pid
	RX_FIXED=$3 RX_PORT=$port RX_TAP=$tap MOS_RECEIVER_SEED=$seed \
		MOS_RECEIVER_TIME=$2 \
		"$PY" "$RX" run "$d" "$C" "$S"
	t_eq "round $r: the cases ran" 0 $?
	# What the server's receive memory dropped (nothing on the wire
	# shows it, and mos does not model it), and how its queues merged
	# segments, since the first round
	log "round $r: the server's drops and merges:$(ip netns exec "$S" nstat -asz \
		TcpExtTCPRcvQDrop TcpExtTCPOFODrop TcpExtTCPBacklogDrop \
		TcpExtPruneCalled TcpExtRcvPruned TcpExtOfoPruned \
		TcpExtTCPRcvCollapsed TcpExtTCPZeroWindowDrop \
		TcpExtTCPOFOQueue TcpExtTCPOFOMerge TcpExtTCPRcvCoalesce \
		TcpExtTCPBacklogCoalesce \
		2>/dev/null |
		awk '!/^#/ { printf " %s=%s", substr($1, 7), $2 }')"
	t0=$SECONDS
	marker "$d" "router.$r.out" "endpoint.$r.out"
	settle "router.$r.out" "endpoint.$r.out"
	log "round $r: the monitors settled in $((SECONDS - t0)) s"
	log "round $r: the router's verdicts so far:$(verdicts)"
	stop_ev "$evr"
	t_eq "round $r: evtrace in the router exits 0" 0 $?
	evr=
	stop_ev "$eve"
	t_eq "round $r: evtrace in the server exits 0" 0 $?
	eve=
	cat "$work/router.$r.err" "$work/endpoint.$r.err" >>"$work/ev.err"
	"$PY" "$RX" compare "$d" router:on="$work/router.$r" \
		endpoint:auto="$work/endpoint.$r" >"$work/compare.$r"
	while IFS= read -r l; do
		case $l in
		"ok "*) t_ok "${l#ok }" ;;
		"not ok "*)
			w=${l#not ok }
			t_fail "${w%%: *}" "${w#*: }"
			;;
		*" cases: mos == receiver")
			w=${l%% *}
			same=$((same + ${w%/*}))
			all=$((all + ${w#*/}))
			;;
		*) echo "$l" ;;
		esac
	done <"$work/compare.$r"
	[ "$r" = 0 ] && negative "$d" "$work/router.$r"
	read -r seed port <"$d/next"
	[ "${4:-}" = last ] && return
	# The flows of the round expire, then monitoring goes on without
	# expiry; the server's sockets closed with receiver.py
	for ns in "$R" "$S"; do
		"$MOSCTL" -n "$ns" set timeout ESTABLISHED 1 timeout CLOSE_WAIT 1 \
			timeout CLOSED 1 timeout SYN_RCVD 1 timeout SYN_SENT 1 \
			timeout FIN_WAIT_1 1 timeout FIN_WAIT_2 1 timeout LAST_ACK 1 \
			timeout CLOSING 1 timeout TIME_WAIT 1
	done
	for _ in $(seq 1 60); do
		[ -z "$("$MOSCTL" -n "$R" flows)$("$MOSCTL" -n "$S" flows)" ] && break
		nap 1
	done
	mos_no_expiry "$R" && mos_no_expiry "$S"
	rm -rf "$d" "$work/router.$r" "$work/endpoint.$r"
}

# verdicts: the router's counters of held packets and verdicts, and of
# packets it dropped inline, " name=value" each
verdicts() {
	"$MOSCTL" -n "$R" stats | awk '$1 ~ /^(held|verdict_|dropped|unparsed_drop|ring_|csum_bad)/ {
		printf " %s=%s", $1, $2 }'
}

same=0 all=0
seed=${MOS_RECEIVER_SEED:-$(date +%s)}
port=30000
left=$MOS_RECEIVER_TIME
per=${MOS_RECEIVER_ROUND:-100}
r=0
start=$SECONDS
while :; do
	t=$((left < per ? left : per))
	last=
	[ $((left - t)) -gt 0 ] || last=last
	round $r $t $((r == 0)) $last
	left=$((left - t))
	[ -z "$last" ] || break
	r=$((r + 1))
done
log "$((r + 1)) round(s), $((SECONDS - start)) s"
echo "$same/$all cases: mos == receiver"
t_eq "every case: mos == receiver" "$all/$all" "$same/$all"
t_no_sanitizer "evtrace" "$work/ev.err"

kill -INT "$app"
wait_pid "$app" 60
t_eq "verdict_app exits 0 on SIGINT" 0 $?
app=
t_no_sanitizer "verdict_app" "$work/app.err"
log "the router's verdicts:$(verdicts)"
t_accepted_all "$R" "$work/app.out"
for ns in "$R" "$S"; do
	t_eq "nothing lost for lack of ring room in $ns (ring_lost ring_full)" "0 0" \
		"$(mos_stat "$ns" ring_lost) $(mos_stat "$ns" ring_full)"
done
ktap_end
