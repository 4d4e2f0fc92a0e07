#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lifecycle.sh - load and unload with traffic in flight; namespaces that
# die while monitored
#
#   +---------------------------+
#   | busy (mos on, load after  |
#   | load)                     |
#   |  iperf3 -c 127.0.0.1 ---> |
#   |  iperf3 -s                |
#   |  connections to :9        |
#   |   (closed), announced to  |
#   |   mosctl monitor          |
#   +---------------------------+
#   doomed-N: monitored, traffic, deleted while monitored

. "$(dirname "$0")/../lib/lib.sh"

B=busy-$$
defer_teardown

ktap_begin
ns_new "$B" || exit 1
ip netns exec "$B" iperf3 -s -D
wait_listen "$B" 5201
# Paced every 50 ms, not every 1 ms (control.sh says why)
ip netns exec "$B" iperf3 -c 127.0.0.1 -t 600 -b 5M -l 1400 --pacing-timer 50000 \
	>/dev/null 2>&1 &
busy=$!
disown

# Connections to a closed port, opened and reset all the time: each
# flow's start and end are announced to a listener of the "flows" group
# (mosctl monitor) until the module unloads, hooks still registered or not
ip netns exec "$B" bash -c \
	'while :; do (exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null; done' &
churn=$!
disown
defer kill $churn

ok=1
for i in $(seq 1 20); do
	mos_load || { ok=0; log "load $i failed"; break; }
	"$MOSCTL" -n "$B" ns enable || { ok=0; log "enable $i failed"; }
	"$MOSCTL" -n "$B" monitor >/dev/null 2>&1 &
	mon=$!
	nap 0.2
	n=$(mos_stat "$B" packets)
	[ "${n:-0}" -gt 0 ] || { ok=0; log "load $i: no packet counted"; }
	# Every other time, unload with the hooks still registered.
	[ $((i % 2)) = 0 ] && "$MOSCTL" -n "$B" ns disable
	mos_unload || { ok=0; log "unload $i failed"; break; }
	kill $mon 2>/dev/null
	wait $mon 2>/dev/null
done
[ $ok = 1 ] && t_ok "load, enable, count, unload: 20 times with traffic in flight and flows announced" ||
	t_fail "load, enable, count, unload: 20 times with traffic in flight and flows announced"
t_check "iperf3 kept running across it all" kill -0 $busy

# Namespaces deleted while monitored, with traffic and an open /dev/mos.
t_check "load mos.ko" mos_load
ok=1
for i in 1 2 3; do
	D=doomed-$$-$i
	ns_new "$D"
	ip netns exec "$D" iperf3 -s -D
	wait_listen "$D" 5201
	ip netns exec "$D" iperf3 -c ::1 -t 600 -b 2M -l 1400 --pacing-timer 50000 \
		>/dev/null 2>&1 &
	disown
	"$MOSCTL" -n "$D" ns enable || ok=0
	nap 0.3
	ip netns exec "$D" sh -c 'exec 3<>/dev/mos; sleep 1' &
	disown
	nap 0.3
	ip netns pids "$D" | xargs -r kill -9
	ip netns del "$D"
done

[ $ok = 1 ] && t_ok "three monitored namespaces deleted under traffic" ||
	t_fail "three monitored namespaces deleted under traffic"
# The namespaces go away asynchronously; unloading waits for nothing of
# theirs and must leave no reference behind.
nap 1
t_eq "module not in use" 0 "$(cat /sys/module/mos/refcnt)"
t_check "unload mos.ko" mos_unload
t_check "load again" mos_load
t_check "unload again" mos_unload
ktap_end
