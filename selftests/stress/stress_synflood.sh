#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_synflood.sh - a flood of SYNs from spoofed sources at the flow
# limit (make check-stress)
#
#   +--------------------------+        +------------------------------+
#   | client                   | c0--s0 | server (monitored, passive,  |
#   |  connhold client: 500    |        |   max-flows 2000)            |
#   |   established            |        |  connhold server :5001       |
#   |  synflood: SYNs from     |        |  ringcount                   |
#   |   172.16.0.0/12 to :7    |        |                              |
#   +--------------------------+        +------------------------------+
#
# Port 7 has no listener and the server has no route back to
# 172.16.0.0/12, so nothing answers the flood: each SYN leaves a flow
# that never completes its handshake.  Checked:
#   - the 500 established connections stay tracked through the flood:
#     all 500 still listed, and the 16 bytes each sends afterwards all
#     counted (bytes_c2s);
#   - the table never holds more than max-flows; the flood's flows evict
#     one another: every flood SYN made a flow or was counted in
#     flow_limit, and flows_evicted counts the ones that made room;
#   - after the flood, new connections are tracked at once (they evict
#     flood flows);
#   - every CONN_START, evicted flows' included, gets one CONN_END, once
#     the rest have idled out.
# MOS_STRESS_FLOOD sets the flood's size (default 50000, 10000 on the
# sanitizer kernel).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/stress_lib.sh"

C=stfc-$$ S=stfs-$$
work=$(mktemp -d)
stress_teardown

E=500 MAXF=2000 NEW=50
F=${MOS_STRESS_FLOOD:-50000}
[ $DEBUG_KERNEL = 1 ] && F=${MOS_STRESS_FLOOD:-10000}
DST=02:00:00:00:09:02		# s0

ktap_begin
stress_topology "$C" "$S" 1 || exit 1
t_check "load mos.ko" mos_load
t_check "enable" "$MOSCTL" -n "$S" ns enable
# Long timeouts: nothing may end by idling while the test counts
t_check "max-flows $MAXF, long timeouts" "$MOSCTL" -n "$S" set max-flows $MAXF \
	timeout SYN_SENT 3600 timeout SYN_RCVD 3600 timeout ESTABLISHED 3600
ip netns exec "$S" "$HOLD" server 5001 >"$work/server.out" 2>&1 &
wait_listen "$S" 5001 || exit 1
rc_start "$S" "$work/rc.out" -r $((1 << 25)) -b 4096 && t_ok "ringcount starts" || t_fail "ringcount starts"

hold_start "$C" "$work" 10.0.9.2 5001 $E 10.0.9.11
t_eq "$E connections open" "connected $E failed 0" "$(hold_wait connected 600)"
t_eq "all $E tracked" $E "$(wait_stat "$S" flows_active -ge $E 120)"
st0=$("$MOSCTL" -n "$S" stats)

# The flood, while the table's size is sampled
start=$SECONDS
ip netns exec "$C" "$SYNFLOOD" c0 $DST 10.0.9.2 7 "$F" >"$work/flood.out" 2>&1 &
flood=$!
maxact=0
while kill -0 $flood 2>/dev/null; do
	a=$(mos_stat "$S" flows_active)
	[ "${a:-0}" -gt $maxact ] && maxact=$a
	nap 0.5
done
wait $flood
t_eq "the flood sent" "sent $F" "$(cat "$work/flood.out")"
syn=$(wait_stat "$S" syn -ge $(($(kv "$st0" syn) + F)) 300)
log "flood of $F SYNs in $((SECONDS - start)) s; flows_active at most $maxact"
st1=$("$MOSCTL" -n "$S" stats)
d() { echo $(($(kv "$st1" "$1") - $(kv "$st0" "$1"))); }
t_eq "every flood SYN counted" "$F" "$(d syn)"
if [ $maxact -le $MAXF ] && [ "$(kv "$st1" flows_active)" -le $MAXF ]; then
	t_ok "the table stayed within max-flows ($maxact sampled at most)"
else
	t_fail "the table stayed within max-flows" "sampled $maxact, now $(kv "$st1" flows_active)"
fi
log "flows +$(d flows) flow_limit +$(d flow_limit) flows_evicted +$(d flows_evicted) flows_ended +$(d flows_ended)"
t_eq "each flood SYN made a flow or was counted in flow_limit" "$F" \
	$(($(d flows) + $(d flow_limit)))
t_eq "no flood SYN refused: there was always a half-open flow to evict" 0 "$(d flow_limit)"
t_eq "the flows made room by eviction: evicted = created - room left" \
	"$(d flows_evicted)" $(($(d flows) - (MAXF - E)))
t_eq "no flow ended but by eviction" "$(d flows_evicted)" "$(d flows_ended)"
t_eq "nothing refused for memory" "0 0" "$(d nomem) $(d mem_limit)"

# The established connections are all still tracked
n=$("$MOSCTL" -n "$S" flows | grep -c -- '-> 10.0.9.2:5001 ')
t_eq "all $E established connections still listed" $E "$n"
b0=$(kv "$st1" bytes_c2s)
hold_cmd "send 16"
t_eq "16 bytes sent on each" "sent $((E * 16))" "$(hold_wait sent 300)"
t_eq "all counted" $((b0 + E * 16)) "$(wait_stat "$S" bytes_c2s -ge $((b0 + E * 16)) 120)"

# New connections are tracked at once, in place of flood flows
ev0=$(mos_stat "$S" flows_evicted)
f0=$(mos_stat "$S" flows)
mkdir "$work/new"
HOLD_PID_OLD=$HOLD_PID HOLD_FD_OLD=$HOLD_FD HOLD_FD=
hold_start "$C" "$work/new" 10.0.9.2 5001 $NEW 10.0.9.11
t_eq "$NEW new connections open" "connected $NEW failed 0" "$(hold_wait connected 300)"
t_eq "all $NEW tracked" $((f0 + NEW)) "$(wait_stat "$S" flows -ge $((f0 + NEW)) 60)"
t_eq "each took a flood flow's place" $((ev0 + NEW)) "$(mos_stat "$S" flows_evicted)"
n=$("$MOSCTL" -n "$S" flows | grep -c -- '-> 10.0.9.2:5001 ')
t_eq "$((E + NEW)) connections to :5001 listed" $((E + NEW)) "$n"
hold_cmd close
hold_wait closed 120 >/dev/null
hold_end
HOLD_PID=$HOLD_PID_OLD HOLD_FD=$HOLD_FD_OLD HOLD_DIR=$work
hold_cmd close
hold_wait closed 120 >/dev/null
hold_end

# Everything ends: the flood's flows idle out.  Then every side that
# started has ended, once.
t_check "short timeouts" "$MOSCTL" -n "$S" set timeout SYN_SENT 1 \
	timeout SYN_RCVD 1 timeout TIME_WAIT 1 timeout CLOSED 1
t_eq "every flow ends" 0 "$(wait_stat "$S" flows_active -eq 0 600)"
nap 1
rc_stop
st=$("$MOSCTL" -n "$S" stats)
t_check "disable" "$MOSCTL" -n "$S" ns disable
t_eq "consumer: every CONN_START has one CONN_END, none open" "0 0 0" \
	"${RC[bad]} ${RC[open_cli]} ${RC[open_svr]}"
t_eq "consumer: starts = ends" "${RC[starts_cli]} ${RC[starts_svr]}" \
	"${RC[ends_cli]} ${RC[ends_svr]}"
t_eq "consumer: nothing lost" "0 0 0 0" \
	"${RC[lost_events]} ${RC[lost_data]} ${RC[lost_bytes]} ${RC[lost_other]}"
t_eq "kernel: ev_conn_start = ev_conn_end = what the consumer saw" \
	"$(kv "$st" ev_conn_start) $(kv "$st" ev_conn_start)" \
	"$((RC[starts_cli] + RC[starts_svr])) $(kv "$st" ev_conn_end)"
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
