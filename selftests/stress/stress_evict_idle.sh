#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_evict_idle.sh - a SYN flood into a table full of idle
# established connections, while new connections open (make check-stress)
#
#   +--------------------------+        +------------------------------+
#   | client                   | c0--s0 | server (monitored, passive,  |
#   |  connhold: 1900 idle     |        |   max-flows 2000)            |
#   |   connections to :5001   |        |  connhold server :5001       |
#   |  synflood: SYNs from     |        |  connhold server :5002       |
#   |   172.16.0.0/12 to :7    |        |                              |
#   |  connhold: 100 new to    |        |                              |
#   |   :5002 during the flood |        |                              |
#   +--------------------------+        +------------------------------+
#
# The table holds 1900 established connections silent for longer than
# the eviction idle time (60 s, tcpmon.rst "Flow limit and eviction"),
# then a flood of SYNs nothing answers arrives while 100 new connections
# open and each sends 16 bytes.  Checked:
#   - every flood SYN and every new connection made a flow (flow_limit
#     stays 0): each pushed out one flow once the table was full, and the
#     evictions counted (flows_evicted + flows_evicted_idle) are exactly
#     the flows created beyond the room left, and the flows ended;
#   - the new connections are all tracked: all 100 listed, their 1600
#     bytes all counted (bytes_c2s), the success rate logged;
#   - the idle connections still listed are exactly those not evicted.
# MOS_STRESS_FLOOD sets the flood's size (default 100000, 10000 on the
# sanitizer kernel).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/stress_lib.sh"

C=stec-$$ S=stes-$$
work=$(mktemp -d)
stress_teardown

E=1900 MAXF=2000 NEW=100
F=${MOS_STRESS_FLOOD:-100000}
# The sanitizer kernel is several times slower: a smaller flood there
[ $DEBUG_KERNEL = 1 ] && F=${MOS_STRESS_FLOOD:-10000}
DST=02:00:00:00:09:02		# s0

ktap_begin
stress_topology "$C" "$S" 1 || exit 1
t_check "load mos.ko" mos_load
t_check "enable" "$MOSCTL" -n "$S" ns enable
# Long timeouts: nothing may end by idling while the test counts
t_check "max-flows $MAXF, long timeouts" "$MOSCTL" -n "$S" set max-flows $MAXF \
	timeout SYN_SENT 3600 timeout SYN_RCVD 3600 timeout ESTABLISHED 3600
ip netns exec "$S" "$HOLD" server 5001 >"$work/server1.out" 2>&1 &
ip netns exec "$S" "$HOLD" server 5002 >"$work/server2.out" 2>&1 &
wait_listen "$S" 5001 || exit 1
wait_listen "$S" 5002 || exit 1

hold_start "$C" "$work" 10.0.9.2 5001 $E 10.0.9.11
t_eq "$E connections open" "connected $E failed 0" "$(hold_wait connected 600)"
t_eq "all $E tracked" $E "$(wait_stat "$S" flows_active -ge $E 120)"
# Idle past the eviction idle time (60 s)
nap 62
st0=$("$MOSCTL" -n "$S" stats)

# The flood, and new connections while it runs
mkdir "$work/new"
HOLD_PID_OLD=$HOLD_PID HOLD_FD_OLD=$HOLD_FD HOLD_FD=
flood_connect "$C" "$work/new" $NEW "$F" c0 $DST 10.0.9.2 7 "$F"
wait_stat "$S" syn -ge $(($(kv "$st0" syn) + F + NEW)) 300 >/dev/null
b=$(wait_stat "$S" bytes_c2s -ge $(($(kv "$st0" bytes_c2s) + NEW * 16)) 60)
st1=$("$MOSCTL" -n "$S" stats)
d() { echo $(($(kv "$st1" "$1") - $(kv "$st0" "$1"))); }
ev=$(($(d flows_evicted) + $(d flows_evicted_idle) + $(d flows_evicted_midstream)))
log "flows +$(d flows) flow_limit +$(d flow_limit) flows_evicted +$(d flows_evicted) flows_evicted_idle +$(d flows_evicted_idle) flows_ended +$(d flows_ended)"
t_eq "every flood SYN and new connection made a flow" "$((F + NEW)) 0" \
	"$(d flows) $(d flow_limit)"
t_eq "evictions counted = flows created beyond the room left" \
	$(($(d flows) - (MAXF - E))) "$ev"
t_eq "no flow ended but by eviction" "$ev" "$(d flows_ended)"
t_eq "no mid-stream flow (pickup off)" 0 "$(d flows_evicted_midstream)"
t_eq "the table is full, not over" $MAXF "$(kv "$st1" flows_active)"
new_tracked "$S" $NEW "$(kv "$st0" bytes_c2s)" "$b" "a SYN flood"
n=$("$MOSCTL" -n "$S" flows | grep -c -- '-> 10.0.9.2:5001 ')
log "idle connections evicted: $(d flows_evicted_idle) of $E"
t_eq "idle connections listed = those not evicted" $((E - $(d flows_evicted_idle))) "$n"

hold_cmd close
hold_wait closed 120 >/dev/null
hold_end
HOLD_PID=$HOLD_PID_OLD HOLD_FD=$HOLD_FD_OLD HOLD_DIR=$work
hold_cmd close
hold_wait closed 120 >/dev/null
hold_end
t_check "disable" "$MOSCTL" -n "$S" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
