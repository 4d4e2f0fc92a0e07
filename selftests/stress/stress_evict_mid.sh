#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_evict_mid.sh - a flood of spoofed bare ACKs, picked up mid-stream,
# while new connections open (make check-stress)
#
#   +--------------------------+        +------------------------------+
#   | client                   | c0--s0 | server (monitored, passive,  |
#   |  synflood ack: ACKs from |        |   mid-stream pickup on,      |
#   |   172.16.0.0/12 to :7    |        |   max-flows 2000)            |
#   |  connhold: 100 new to    |        |  connhold server :5002       |
#   |   :5002 during the flood |        |                              |
#   +--------------------------+        +------------------------------+
#
# Port 7 has no listener and the server no route back to 172.16.0.0/12:
# each ACK leaves a flow picked up mid-stream and heard from one end
# only.  2000 of them fill the table; then a second flood runs while 100
# new connections open and each sends 16 bytes.  Checked:
#   - every ACK and every new connection made a flow (flow_limit stays
#     0), each pushing one out: evictions counted (flows_evicted_midstream
#     + flows_evicted) = flows created = flows ended, none idle;
#   - the new connections are all tracked from their handshake: all 100
#     listed, none picked up again mid-stream (flows_midstream grew by the
#     ACKs alone), their 1600 bytes all counted; the success rate logged.
# MOS_STRESS_FLOOD sets the second flood's size (default 100000, 10000 on the
# sanitizer kernel).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/stress_lib.sh"

C=stmc-$$ S=stms-$$
work=$(mktemp -d)
stress_teardown

MAXF=2000 NEW=100
F=${MOS_STRESS_FLOOD:-100000}
# The sanitizer kernel is several times slower: a smaller flood there
[ $DEBUG_KERNEL = 1 ] && F=${MOS_STRESS_FLOOD:-10000}
DST=02:00:00:00:09:02		# s0

ktap_begin
stress_topology "$C" "$S" 1 || exit 1
t_check "load mos.ko" mos_load
t_check "enable" "$MOSCTL" -n "$S" ns enable
t_check "max-flows $MAXF, pickup, long timeouts" "$MOSCTL" -n "$S" set \
	max-flows $MAXF midstream on timeout SYN_SENT 3600 \
	timeout SYN_RCVD 3600 timeout ESTABLISHED 3600
ip netns exec "$S" "$HOLD" server 5002 >"$work/server2.out" 2>&1 &
wait_listen "$S" 5002 || exit 1

t_eq "the first flood sent" "sent $MAXF" \
	"$(ip netns exec "$C" "$SYNFLOOD" c0 $DST 10.0.9.2 7 $MAXF 1 ack)"
t_eq "the table fills with mid-stream flows" $MAXF \
	"$(wait_stat "$S" flows_midstream -ge $MAXF 120)"
t_eq "all active" $MAXF "$(mos_stat "$S" flows_active)"
st0=$("$MOSCTL" -n "$S" stats)

flood_connect "$C" "$work" $NEW "$F" c0 $DST 10.0.9.2 7 "$F" 7 ack
wait_stat "$S" flows -ge $(($(kv "$st0" flows) + F + NEW)) 60 >/dev/null
b=$(wait_stat "$S" bytes_c2s -ge $(($(kv "$st0" bytes_c2s) + NEW * 16)) 60)
st1=$("$MOSCTL" -n "$S" stats)
d() { echo $(($(kv "$st1" "$1") - $(kv "$st0" "$1"))); }
ev=$(($(d flows_evicted) + $(d flows_evicted_idle) + $(d flows_evicted_midstream)))
log "flows +$(d flows) flow_limit +$(d flow_limit) flows_evicted +$(d flows_evicted) flows_evicted_midstream +$(d flows_evicted_midstream) flows_ended +$(d flows_ended)"
t_eq "every ACK and new connection made a flow" "$((F + NEW)) 0" \
	"$(d flows) $(d flow_limit)"
[ "$(d flows)" = $((F + NEW)) ] ||
	while read -r k v; do
		[ "$v" != "$(kv "$st0" "$k")" ] && log "$k +$((v - $(kv "$st0" "$k")))"
	done <<<"$st1"
t_eq "each pushed one out: evictions counted = flows created" "$(d flows)" "$ev"
t_eq "no flow ended but by eviction" "$ev" "$(d flows_ended)"
t_eq "none idle evicted" 0 "$(d flows_evicted_idle)"
t_eq "picked up mid-stream: the ACKs alone" "$F" "$(d flows_midstream)"
t_eq "the table is full, not over" $MAXF "$(kv "$st1" flows_active)"
new_tracked "$S" $NEW "$(kv "$st0" bytes_c2s)" "$b" "an ACK flood"

hold_cmd close
hold_wait closed 120 >/dev/null
hold_end
t_check "disable" "$MOSCTL" -n "$S" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
