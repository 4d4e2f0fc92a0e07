#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_faults.sh - consumers killed, namespaces deleted, the module
# unloaded, all under traffic (make check-stress)
#
#   +-------------------------+        +------------------------------+
#   | client                  | c0--s0 | server (monitored)           |
#   |  iperf3 -c: bursts,     |        |  iperf3 -s                   |
#   |   then paced            |        |  ringcount, killed and again |
#   |  connhold client        |        |  connhold server             |
#   +-------------------------+        +------------------------------+
#   doomed-N: monitored, traffic, a consumer attached, deleted
#
# 1. A slow consumer killed with SIGKILL while a burst of traffic fills
#    its ring, 20 times, in passive and in inline mode: each burst
#    completes (in inline mode, nothing holds it back once the consumer
#    is gone), and the next consumer gets exactly its flows' records.
# 2. A consumer that closes /dev/mos with records in flight (SIGTERM
#    while its ring is full and a burst goes on), 10 times.
# 3. Namespaces deleted while monitored with a consumer attached, the
#    consumer killed before and after the deletion.
# 4. The module unloaded while traffic flows and mosctl commands run,
#    50 times (MOS_STRESS_UNLOADS): every load works, every unload ends
#    with no reference left.
# The console is watched for splats by tools/vm/run; on the sanitizer
# kernel run_vm ends with a kmemleak scan.

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/stress_lib.sh"

C=stxc-$$ S=stxs-$$
work=$(mktemp -d)
loop=''
stress_teardown
defer kill_pids loop

U=${MOS_STRESS_UNLOADS:-50}

# traffic NS_C NS_S ADDR: a paced iperf3 from NS_C to NS_S for 10 minutes
traffic() {
	ip netns exec "$1" iperf3 -c "$3" -t 600 -b 20M -l 1400 --pacing-timer 50000 \
		>/dev/null 2>&1 &
	disown
}

# burst: a 2-second iperf3 from C to S, in the background (BURST its pid):
# new flows, so the consumers attached now get its records
burst() {
	BURST_FROM=$(mos_stat "$S" bytes_c2s)
	ip netns exec "$C" iperf3 -c 10.0.9.2 -t 2 -l 1400 >/dev/null 2>&1 &
	BURST=$!
}

# midstream: until the burst has sent 256 KiB (four 64 KiB rings' worth)
midstream() {
	wait_stat "$S" bytes_c2s -ge $((BURST_FROM + 262144)) 60 >/dev/null
}

ktap_begin
stress_topology "$C" "$S" 1 || exit 1
t_check "load mos.ko" mos_load
ip netns exec "$S" iperf3 -s -D
wait_listen "$S" 5201 || exit 1
ip netns exec "$S" "$HOLD" server 5001 >"$work/server.out" 2>&1 &
wait_listen "$S" 5001 || exit 1

# 1. SIGKILL mid-stream: a slow consumer, a burst it holds back (inline)
# or loses records of (passive), killed
for mode in passive inline; do
	t_check "$mode: enable" "$MOSCTL" -n "$S" ns enable "$mode"
	ok=1 held=$(mos_stat "$S" ring_full)
	for i in $(seq 1 20); do
		ip netns exec "$S" "$RINGCOUNT" -r 65536 -d 5000 >/dev/null 2>&1 &
		pid=$!
		nap 0.5
		burst
		midstream
		kill -9 $pid
		wait $pid 2>/dev/null
		# Once the consumer is gone, nothing holds the burst back
		wait_pid $BURST 60 || { ok=0; log "$mode: burst $i did not complete"; }
	done
	held=$(($(mos_stat "$S" ring_full) - held))
	[ $ok = 1 ] && t_ok "$mode: 20 consumers killed mid-stream, every burst completed (ring_full +$held)" ||
		t_fail "$mode: 20 consumers killed mid-stream, every burst completed"
	# The next consumer gets what it should
	mkdir -p "$work/$mode"
	rc_start "$S" "$work/rc-$mode.out" -r $((1 << 22))
	hold_start "$C" "$work/$mode" 10.0.9.2 5001 5 10.0.9.11
	hold_wait connected 60 >/dev/null
	hold_cmd "send 100"
	hold_wait sent 60 >/dev/null
	hold_cmd close
	hold_wait closed 60 >/dev/null
	hold_end
	nap 3
	rc_stop
	t_eq "$mode: the next consumer: 5 flows started, 500 bytes, nothing lost" "5 5 500 0" \
		"${RC[starts_cli]:-} ${RC[starts_svr]:-} ${RC[data_bytes]:-} $((RC[lost_events] + RC[lost_data]))"
	t_check "$mode: disable" "$MOSCTL" -n "$S" ns disable
done

# 2. Close with records in flight: a consumer stopped while its ring is
# full and a burst goes on
t_check "enable" "$MOSCTL" -n "$S" ns enable
ok=1
for i in $(seq 1 10); do
	ip netns exec "$S" "$RINGCOUNT" -r 65536 -d 100000 -n 1 >/dev/null 2>&1 &
	pid=$!
	nap 0.5
	burst
	midstream
	kill -TERM $pid
	wait $pid 2>/dev/null
	wait_pid $BURST 60 || ok=0
done
lost=$(mos_stat "$S" ring_lost)
log "ring_lost $lost after 10 consumers that stopped with a full ring"
if [ $ok = 1 ] && [ "${lost:-0}" -gt 0 ]; then
	t_ok "10 consumers closed with their rings full (ring_lost $lost)"
else
	t_fail "10 consumers closed with their rings full" "ring_lost ${lost:-?}, bursts completed: $ok"
fi
t_check "disable" "$MOSCTL" -n "$S" ns disable

# 3. Namespaces deleted with a consumer attached
ok=1
for i in 1 2 3 4; do
	D=doomed-$$-$i
	ns_new "$D" || { ok=0; break; }
	ip netns exec "$D" iperf3 -s -D
	wait_listen "$D" 5201
	ip netns exec "$D" iperf3 -c 127.0.0.1 -t 600 -b 5M -l 1400 --pacing-timer 50000 \
		>/dev/null 2>&1 &
	disown
	"$MOSCTL" -n "$D" ns enable $([ $((i % 2)) = 0 ] && echo inline) || ok=0
	ip netns exec "$D" "$RINGCOUNT" -r 65536 -d 1000 >/dev/null 2>&1 &
	pid=$!
	nap 1
	if [ $i -le 2 ]; then
		# The namespace's name goes first, its processes (the
		# consumer last) after
		pids=$(ip netns pids "$D")
		ip netns del "$D"
		nap 0.5
		# shellcheck disable=SC2086 # the pids are words
		kill -9 $(echo "$pids" | grep -vx "$pid")
		nap 0.5
		kill -9 $pid
	else
		kill -9 $pid
		ip netns pids "$D" | xargs -r kill -9
		ip netns del "$D"
	fi
	wait $pid 2>/dev/null
done
# The deleted namespaces go away asynchronously
for _ in $(seq 1 30); do
	[ "$(cat /sys/module/mos/refcnt)" = 0 ] && break
	nap 1
done
[ $ok = 1 ] && t_ok "4 monitored namespaces deleted with a consumer attached" ||
	t_fail "4 monitored namespaces deleted with a consumer attached"
t_eq "no reference left" 0 "$(cat /sys/module/mos/refcnt)"
t_check "unload mos.ko" mos_unload

# 4. Unload under traffic and mosctl
traffic "$C" "$S" 10.0.9.2
( while :; do
	"$MOSCTL" -n "$S" stats >/dev/null 2>&1
	"$MOSCTL" -n "$S" flows >/dev/null 2>&1
	"$MOSCTL" -n "$S" ns show >/dev/null 2>&1
	"$MOSCTL" -n "$S" set max-flows 5000 >/dev/null 2>&1
done ) &
loop=$!
ok=1 busy=0
start=$SECONDS
for i in $(seq 1 "$U"); do
	mos_load || { ok=0; log "load $i failed"; break; }
	"$MOSCTL" -n "$S" ns enable $([ $((i % 2)) = 0 ] && echo inline) >/dev/null 2>&1
	if [ $((i % 3)) = 0 ]; then
		ip netns exec "$S" "$RINGCOUNT" -r 65536 >/dev/null 2>&1 &
		pid=$!
		nap 0.3
		kill -9 $pid
		wait $pid 2>/dev/null
	fi
	nap 0.3
	# mosctl may hold the module for the length of one request
	for _ in $(seq 1 50); do
		rmmod mos 2>/dev/null && break
		busy=$((busy + 1))
		nap 0.1
	done
	if mos_loaded; then
		ok=0
		log "unload $i failed: refcnt $(cat /sys/module/mos/refcnt)"
		break
	fi
done
kill $loop
wait $loop 2>/dev/null
loop=''
log "$U loads and unloads in $((SECONDS - start)) s ($busy unload attempts found it busy)"
[ $ok = 1 ] && t_ok "$U loads and unloads under traffic and mosctl" ||
	t_fail "$U loads and unloads under traffic and mosctl"
t_check "load again" mos_load
t_check "enable" "$MOSCTL" -n "$S" ns enable
burst
wait_pid $BURST 60
n=$(mos_stat "$S" packets)
t_check "it counts packets ($n)" test "${n:-0}" -gt 0
t_check "disable" "$MOSCTL" -n "$S" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
