#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# overlap_linux.sh - the default overlap policy (linux) against a real
# Linux receiver: the stream mos writes is what the server's read() got
#
#   +-----------+         +---------------------+          +------------+
#   |  sender   |--veth---|  router (mos on,    |---veth---|  server    |
#   |  scapy    |  c0 r0  |  passive; evtrace)  |  r1  s0  |  socat      |
#   | 10.0.1.2  |         | 10.0.1.1  10.0.2.1  |          |  10.0.2.2  |
#   | fd00:1::2 |         | fd00:1::1 fd00:2::1 |          |  fd00:2::2 |
#   +-----------+         +---------------------+          +------------+
#
# overlap_live.py opens one connection per case to the server, IPv4 then
# IPv6, and sends segments that overlap with different bytes behind a
# hole, in every geometry tcp_data_queue_ofo() tells apart (a new segment
# over a stored one from the same start or from before, partial overlaps
# at either end, one inside another, an exact duplicate with other bytes,
# one appended to a stored one), then the segment that fills the hole;
# and segments at the stream's edge over stored bytes.  The sender's
# stack drops the RSTs it would answer the server with.  The server
# (socat, one process per connection) writes what read() returned to a
# file per client port; evtrace on the router writes the server's
# stream as mos reassembled it.  Each case: the two must be equal.
#
# MOS_OVERLAP_POLICY=first|last runs the cases under that policy instead
# of the namespace's default (the cases then show how it differs).

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=olc-$sfx R=olr-$sfx S=ols-$sfx
work=$(mktemp -d)
ev=''
srv=''
defer_teardown ev srv

EV=$PROJ/build/selftests/evtrace
LIVE=$SELFTESTS/lib/overlap_live.py
PORT=9000
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

ktap_begin
[ -x "$EV" ] || { t_fail "binaries" "$EV missing (make user)"; ktap_end; }
scapy_python
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
# The sender's stack has no socket for the connections scapy makes
ip netns exec "$C" nft -f - <<'NFT' || exit 1
table inet ovl {
	chain out {
		type filter hook output priority 0;
		tcp flags & rst == rst drop
	}
}
NFT
t_check "enable the monitor on the router, passive" \
	"$MOSCTL" -n "$R" ns enable passive
t_eq "the namespace's default overlap policy" "overlap linux" \
	"$("$MOSCTL" -n "$R" ns show | grep '^overlap ')"
if [ -n "${MOS_OVERLAP_POLICY:-}" ]; then
	t_check "overlap policy $MOS_OVERLAP_POLICY" \
		"$MOSCTL" -n "$R" set overlap "$MOS_OVERLAP_POLICY"
fi
t_check "ended flows go at once" \
	"$MOSCTL" -n "$R" set timeout TIME_WAIT 1 timeout CLOSED 1

mkdir -p "$work/srv" "$work/ev"
ip netns exec "$S" socat -u \
	"TCP6-LISTEN:$PORT,reuseaddr,fork,ipv6only=0" \
	SYSTEM:"cat >$work/srv/\$SOCAT_PEERPORT" >/dev/null 2>"$work/socat.err" &
srv=$!
wait_listen "$S" "$PORT" || exit 1
ip netns exec "$R" "$EV" -c -d "$work/ev" >"$work/ev.out" 2>"$work/ev.err" &
ev=$!
wait_ready "$work/ev.err" "$ev" || { t_fail "evtrace started" "$(cat "$work/ev.err")"; ktap_end; }

for f in 4 6; do
	if [ $f = 4 ]; then
		ip netns exec "$C" "$PY" "$LIVE" send 4 10.0.1.2 10.0.2.2 "$PORT"
	else
		ip netns exec "$C" "$PY" "$LIVE" send 6 fd00:1::2 fd00:2::2 "$PORT"
	fi 2>"$work/send$f.err"
	t_eq "IPv$f cases sent" 0 $?
	sed 's/^/# /' "$work/send$f.err"
done

# Every flow ended (the client's TIME_WAIT lasts 1 s): evtrace wrote all
for _ in $(seq 1 300); do
	[ "$("$MOSCTL" -n "$R" flows)" = "" ] && break
	nap 0.1
done
t_eq "every flow ended" "" "$("$MOSCTL" -n "$R" flows)"
kill -INT "$ev"
wait_pid "$ev" 60
t_eq "evtrace exits 0" 0 $?
ev=

"$PY" "$LIVE" list >"$work/cases"
while read -r sport name; do
	fam=IPv4
	[ "$sport" -ge 42000 ] && fam=IPv6
	t_check "$fam $name: the server read bytes" test -s "$work/srv/$sport"
	t_check "$fam $name: mos's stream is what the server read" \
		cmp "$work/srv/$sport" "$work/ev/$sport-$PORT.svr"
	log "$fam $name: server read $(cat "$work/srv/$sport" 2>/dev/null)," \
		"mos $(cat "$work/ev/$sport-$PORT.svr" 2>/dev/null)"
done <"$work/cases"
t_eq "no bytes missed, no INFO check failed" "" \
	"$(grep -E 'MISSED|INFO:bad' "$work/ev.out")"
t_no_sanitizer "evtrace" "$work/ev.err"
ktap_end
