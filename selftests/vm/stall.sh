#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stall.sh - inline mode with a consumer that stops reading: after the
# namespace's stall timeout its full ring stops holding the traffic
# hostage; with the timeout 0 it does (fail closed)
#
#   +--------+      +--------------------------------+      +--------+
#   | client | c0 - r0  router (mos inline)    r1 - s0 | server |
#   |  curl  |      |   ringcount -r 64 KiB, stopped  |      | httpd  |
#   +--------+      +--------------------------------+      +--------+
#
# Expected values: curl's exit status (a real TCP client that gets its
# file or times out), the file's sha256, and the counters of
# Documentation/uapi.rst (cons_stalled once per stall; ring_lost for what
# the stalled consumer lost; the LOST record it reads when it resumes).

. "$(dirname "$0")/../lib/lib.sh"

C=stc-$$ R=str-$$ S=sts-$$
work=$(mktemp -d)
rc_pid='' http=''
defer_teardown rc_pid http

ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
sum=$(make_blob "$work/blob" 1048576)
http_server "$S" "$work" 8080
http=$(pgrep -f "busybox httpd -f -c /dev/null -p 8080")

# get TIMEOUT: fetch the blob through the router; "ok" if it came whole
get() {
	local got
	got=$(ip netns exec "$C" curl -sf --max-time "$1" http://10.0.2.2:8080/blob | sha256sum | cut -d' ' -f1)
	[ "$got" = "$sum" ] && echo ok || echo fail
}

t_check "router: inline" "$MOSCTL" -n "$R" ns enable inline
t_eq "the default stall timeout" 2000 \
	"$("$MOSCTL" -n "$R" -j ns show | python3 -c 'import json, sys; print(json.load(sys.stdin)["limits"]["stall_timeout_ms"])')"
t_check "set stall-timeout 1000" "$MOSCTL" -n "$R" set stall-timeout 1000

# A consumer of every flow, its stream bytes too, in the smallest ring
ip netns exec "$R" "$PROJ/build/selftests/ringcount" -r 65536 \
	>"$work/rc.out" 2>"$work/rc.err" &
rc_pid=$!
wait_ready "$work/rc.err" "$rc_pid" || log "ringcount: $(cat "$work/rc.err")"
t_eq "a reading consumer: the file comes" ok "$(get 30)"

kill -STOP "$rc_pid"
full0=$(mos_stat "$R" ring_full)
t_eq "a stopped consumer, stalled after 1 s: the file still comes" ok "$(get 60)"
t_eq "stalled once (cons_stalled)" 1 "$(mos_stat "$R" cons_stalled)"
full=$(($(mos_stat "$R" ring_full) - full0))
t_check "packets were held back before the stall (ring_full +$full)" test "$full" -gt 0
lost=$(mos_stat "$R" ring_lost)
t_check "the stalled consumer lost records (ring_lost $lost)" test "$lost" -gt 0

# Fail closed: while it does not read, nothing passes
t_check "set stall-timeout 0" "$MOSCTL" -n "$R" set stall-timeout 0
t_eq "stall-timeout 0, the consumer still stopped: the file does not come" fail "$(get 8)"
t_eq "no new stall" 1 "$(mos_stat "$R" cons_stalled)"

# It resumes: it reads what its ring holds, learns what it lost, and
# the traffic flows again
kill -CONT "$rc_pid"
t_eq "resumed: the file comes" ok "$(get 60)"
kill -INT "$rc_pid"
wait_pid "$rc_pid" 60
rc_pid=
log "ringcount: $(cat "$work/rc.out")"
rc_kv() {
	kv "$(tr ' ' '\n' <"$work/rc.out" | paste - - | tr '\t' ' ')" "$1"
}
lr=$(rc_kv lost_events)
t_check "the consumer read a LOST record (lost_events $lr)" test "${lr:-0}" -gt 0
t_eq "its stream offsets jump only by what it lost (bad_off)" 0 "$(rc_kv bad_off)"
t_check "unload mos.ko" mos_unload
ktap_end
