#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_slow.sh - a consumer that reads slowly for minutes, in passive
# and in inline mode (make check-stress)
#
#   +-------------------------+        +--------------------------------+
#   | client                  | c0--s0 | server (monitored)             |
#   |  connhold client: 20    |        |  connhold server :5001         |
#   |   connections, rounds   |        |  ringcount -r 64 KiB, sleeping |
#   |   of 64 KiB on each     |        |   2 ms every 16 records        |
#   +-------------------------+        +--------------------------------+
#
# Passive mode: traffic goes at its own speed, the ring overflows, and
# the consumer is told what it lost.  Checked, exactly:
#   - stream bytes delivered + bytes reported lost = the kernel's
#     bytes_c2s + bytes_s2c;
#   - event records delivered + events reported lost = the kernel's
#     CONN_START, CONN_END and NEW_DATA counters;
#   - records reported lost (events, data, flow records) = ring_lost;
#   - no stream offset goes back or jumps further than the lost bytes;
#   - the module's memory stays bounded: out-of-order bytes held never
#     pass buffer-total, the flow count stays at the connection count.
# Inline mode: the full ring holds packets back (ring_full), TCP sends
# them again, and every byte sent reaches the consumer: no data record
# lost.  Only records no packet caused (ends by a timer) can be lost
# there; events delivered and reported lost still add up exactly.
# MOS_STRESS_SLOW_TIME sets how long each mode runs (default 120 s).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/stress_lib.sh"

C=stsc-$$ S=stss-$$
work=$(mktemp -d)
stress_teardown

T=${MOS_STRESS_SLOW_TIME:-120}
K=20 CHUNK=65536

# run MODE: T seconds of rounds through a slow consumer; SENT set
run() {
	local mode=$1 end maxooo=0 o a n=0 dir=$work/$1
	mkdir "$dir"
	t_check "$mode: enable" "$MOSCTL" -n "$S" ns enable "$mode"
	t_check "$mode: short TIME_WAIT and CLOSED" "$MOSCTL" -n "$S" set \
		timeout TIME_WAIT 1 timeout CLOSED 1
	rc_start "$S" "$dir/rc.out" -r 65536 -b 65536 -d 2000 -n 16 &&
		t_ok "$mode: slow ringcount starts" || t_fail "$mode: slow ringcount starts"
	hold_start "$C" "$dir" 10.0.9.2 5001 $K 10.0.9.11
	t_eq "$mode: $K connections open" "connected $K failed 0" "$(hold_wait connected 300)"
	end=$((SECONDS + T))
	SENT=0
	while [ $SECONDS -lt $end ]; do
		n=$((n + 1))
		hold_cmd "send $CHUNK"
		# One answer per round: wait for the n-th
		while [ "$(grep -c '^sent ' "$dir/hold.out")" -lt $n ]; do
			kill -0 "$HOLD_PID" 2>/dev/null || break 2
			o=$(mos_stat "$S" ooo_bytes)
			[ "${o:-0}" -gt $maxooo ] && maxooo=$o
			nap 0.5
		done
		SENT=$((SENT + $(grep '^sent ' "$dir/hold.out" | tail -n 1 | cut -d' ' -f2)))
	done
	a=$(mos_stat "$S" flows_active)
	log "$mode: $n rounds, $SENT bytes sent in $T s; ooo_bytes at most $maxooo; flows_active $a"
	t_eq "$mode: flows_active stayed at $K" $K "${a:-?}"
	if [ $maxooo -le "$(kv "$("$MOSCTL" -n "$S" ns show)" buffer-total)" ]; then
		t_ok "$mode: out-of-order bytes held within buffer-total ($maxooo at most)"
	else
		t_fail "$mode: out-of-order bytes held within buffer-total" "$maxooo"
	fi
	hold_cmd close
	hold_wait closed 600 >/dev/null
	hold_end
	# The consumer catches up at full speed; then one more connection,
	# whose records follow the last report of losses
	kill -USR1 "$RC_PID"
	nap 3
	ip netns exec "$C" "$HOLD" client 10.0.9.2 5001 1 10.0.9.11 </dev/null >/dev/null
	t_eq "$mode: every flow ends" 0 "$(wait_stat "$S" flows_active -eq 0 300)"
	nap 1
	rc_stop
	ST=$("$MOSCTL" -n "$S" stats)
	t_check "$mode: disable" "$MOSCTL" -n "$S" ns disable
}

ktap_begin
stress_topology "$C" "$S" 1 || exit 1
t_check "load mos.ko" mos_load
ip netns exec "$S" "$HOLD" server 5001 >"$work/server.out" 2>&1 &
wait_listen "$S" 5001 || exit 1

run passive
stream=$(($(kv "$ST" bytes_c2s) + $(kv "$ST" bytes_s2c)))
evs=$(($(kv "$ST" ev_conn_start) + $(kv "$ST" ev_conn_end) + $(kv "$ST" ev_new_data)))
log "passive: kernel stream bytes $stream, events $evs, ring_lost $(kv "$ST" ring_lost)"
if [ "${RC[lost_bytes]:-0}" -gt 0 ]; then
	t_ok "passive: the slow consumer lost bytes (${RC[lost_bytes]} of $stream)"
else
	t_fail "passive: the slow consumer lost bytes" "none lost: the test did not overflow the ring"
fi
t_eq "passive: bytes delivered + reported lost = the kernel's stream bytes" \
	"$stream" $((RC[data_bytes] + RC[lost_bytes]))
t_eq "passive: events delivered + reported lost = the kernel's events" \
	"$evs" $((RC[events] + RC[lost_events]))
t_eq "passive: records reported lost = ring_lost" "$(kv "$ST" ring_lost)" \
	$((RC[lost_events] + RC[lost_data] + RC[lost_other]))
t_eq "passive: stream offsets consistent with the losses" 0 "${RC[bad_off]}"

run inline
stream=$(($(kv "$ST" bytes_c2s) + $(kv "$ST" bytes_s2c)))
log "inline: ring_full $(kv "$ST" ring_full), kernel stream bytes $stream"
if [ "$(kv "$ST" ring_full)" -gt 0 ]; then
	t_ok "inline: the full ring held packets back (ring_full $(kv "$ST" ring_full))"
else
	t_fail "inline: the full ring held packets back" "ring_full 0"
fi
# Records no packet caused (a timer's: a flow's end, what its store
# still held) cannot hold anything back: those alone
# may be lost, and are counted
t_eq "inline: no stream byte lost, no offset inconsistent" "0 0 0" \
	"${RC[lost_data]} ${RC[lost_bytes]} ${RC[bad_off]}"
evs=$(($(kv "$ST" ev_conn_start) + $(kv "$ST" ev_conn_end) + $(kv "$ST" ev_new_data)))
log "inline: events lost (no packet to hold back) ${RC[lost_events]}"
t_eq "inline: events delivered + reported lost = the kernel's events" \
	"$evs" $((RC[events] + RC[lost_events]))
t_eq "inline: every byte sent reached the consumer" "$SENT" "${RC[data_bytes]}"
x=$((RC[bad] + RC[open_cli] + RC[open_svr]))
if [ $x -le "${RC[lost_events]}" ]; then
	t_ok "inline: every side's CONN_START has its CONN_END, but for lost events ($x unpaired)"
else
	t_fail "inline: every side's CONN_START has its CONN_END, but for lost events" \
		"bad ${RC[bad]} open ${RC[open_cli]}/${RC[open_svr]}, lost_events ${RC[lost_events]}"
fi
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
