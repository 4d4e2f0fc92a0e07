#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# overlap.sh - the overlap policy, live: crafted segments that overlap
# with different bytes, through the kernel's tracker to the mOS API
#
#   +--------+        +------------------------------+
#   | sender | a0 -- b0 | monitor (passive)          |
#   |        |        |   evtrace (ASan build)       |
#   +--------+        +------------------------------+
#
# craft_pcaps.py's overlap_fill and overlap_ooo connections (both
# directions recorded as one capture) go out of the sender by
# selftests/lib/pcap_send.c, addressed to b0: the monitor's stack drops them
# after the hooks (they are for 10.2.0.1, which it does not route), so
# mos sees each packet once and nothing answers.  The streams evtrace
# writes must be the bytes FIRST or LAST gives, whichever is in force
# (the default, LINUX, is overlap_linux.sh's, against a real receiver):
#
#   - the namespace's (mosctl set overlap first|last);
#   - the monitor socket's (evtrace -o: MOS_CLIOVERLAP, MOS_SVROVERLAP on
#     the stream socket, applied as its flows open);
#   - the flow's own (evtrace -f: set on the flow's first event).
#
# The last two take effect when libmosuser has read the flow's first
# records: the handshake goes first, the rest once evtrace has printed
# the flow's CONN_START.

. "$(dirname "$0")/../lib/lib.sh"

A=ova-$$ B=ovb-$$
work=$(mktemp -d)
ev=''
defer_teardown ev

SEND=$PROJ/build/selftests/pcap_send
EV=$PROJ/build/selftests/evtrace
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
# b0's address (link() below)
DST=02:00:00:00:01:02

# start_ev NAME [ARG...]: evtrace in the monitor, its streams in
# $work/NAME/, its lines in $work/NAME.out
start_ev() {
	local name=$1
	shift
	mkdir -p "$work/$name"
	ip netns exec "$B" "$EV" -d "$work/$name" "$@" \
		>"$work/$name.out" 2>"$work/$name.err" &
	ev=$!
	wait_ready "$work/$name.err" "$ev"
}

# stop_ev: SIGINT, and its exit status
stop_ev() {
	local rc
	kill -INT "$ev"
	wait_pid "$ev" 60
	rc=$?
	ev=
	return $rc
}

# wait_line NAME PATTERN: until evtrace's output has a line matching
wait_line() {
	for _ in $(seq 1 300); do
		grep -q "$2" "$work/$1.out" && return 0
		nap 0.1
	done
	return 1
}

# send FILE [FIRST [END]]
send() {
	ip netns exec "$A" "$SEND" a0 "$DST" "$@" >/dev/null
}

# run_case NAME CASE POLICY [EVTRACE-ARG...]: one capture through evtrace;
# the streams must be CASE's under POLICY (first or last)
run_case() {
	local name=$1 c=$2 pol=$3 sfx=
	shift 3
	[ "$pol" = last ] && sfx=.last
	# The previous case's flow, on the same endpoints, is gone
	for _ in $(seq 1 100); do
		[ "$("$MOSCTL" -n "$B" flows)" = "" ] && break
		nap 0.1
	done
	if ! start_ev "$name" "$@"; then
		t_fail "$name: evtrace started" "$(cat "$work/$name.err")"
		return
	fi
	# The handshake, then the rest once the flow is open in evtrace
	send "$work/craft/$c.pcap" 0 3 &&
		wait_line "$name" '^80 SND cli CONN_START$' &&
		send "$work/craft/$c.pcap" 3
	t_eq "$name: packets sent" 0 $?
	# Both sides end (the client's TIME_WAIT lasts 1 s), so evtrace has
	# freed what it keeps per flow when it exits
	wait_line "$name" '^80 [A-Z]* svr CONN_END$' &&
		wait_line "$name" '^80 [A-Z]* cli CONN_END$'
	stop_ev
	t_eq "$name: evtrace exits 0" 0 $?
	t_check "$name: what the server received is $c's $pol" \
		cmp "$work/$name/80.svr" "$work/craft/$c.0$sfx.c2s"
	t_check "$name: what the client received is $c's $pol" \
		cmp "$work/$name/80.cli" "$work/craft/$c.0$sfx.s2c"
}

ktap_begin
for b in "$SEND" "$EV"; do
	[ -x "$b" ] || { t_fail "binaries" "$b missing (make user)"; ktap_end; }
done
# selftests/check made the captures on the host; by hand, make them here
if [ -d "$PROJ/build/pcaps/craft" ]; then
	ln -s "$PROJ/build/pcaps/craft" "$work/craft"
else
	scapy_python
	"$PY" "$SELFTESTS/lib/craft_pcaps.py" "$work/craft" >/dev/null || exit 1
fi
t_check "load mos.ko" mos_load
ns_new "$A" && ns_new "$B" && link_bare "$A" a0 1 "$B" b0 2 1 || exit 1
t_check "enable the monitor, passive" "$MOSCTL" -n "$B" ns enable passive
t_check "ended flows go at once" \
	"$MOSCTL" -n "$B" set timeout TIME_WAIT 1 timeout CLOSED 1
t_check "namespace: overlap first" "$MOSCTL" -n "$B" set overlap first

diff0=$(mos_stat "$B" overlap_diff)
run_case first-fill overlap_fill first
t_eq "the overlaps that differ are counted, as mosreplay counts them" \
	"$("$PROJ/build/bin/mosreplay" --overlap first "$work/craft/overlap_fill.pcap" | grep -c err=overlap_diff)" \
	$(($(mos_stat "$B" overlap_diff) - diff0))
run_case first-ooo overlap_ooo first
t_check "namespace default: overlap last" "$MOSCTL" -n "$B" set overlap last
run_case ns-fill overlap_fill last
run_case ns-ooo overlap_ooo last
t_check "namespace default: overlap first" "$MOSCTL" -n "$B" set overlap first
run_case sock-fill overlap_fill last -o last
run_case sock-ooo overlap_ooo last -o last
run_case flow-fill overlap_fill last -f last
run_case flow-ooo overlap_ooo last -f last
t_eq "-f: set once per flow, without error" "80 NULL cli OVERLAP:last" \
	"$(grep OVERLAP "$work/flow-fill.out" | paste -sd'|')"
t_check "namespace default: overlap last, again" "$MOSCTL" -n "$B" set overlap last
# A flow that asks for FIRST gets it, whatever the namespace's default
run_case flow-first overlap_ooo first -f first
t_eq "no bytes missed, no INFO check failed" "" \
	"$(cat "$work"/*.out | grep -E 'MISSED|INFO:bad')"
t_no_sanitizer "evtrace" <(cat "$work"/*.err)
ktap_end
