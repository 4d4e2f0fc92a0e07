#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flowstats.sh - an mOS application on libmosuser: samples/flowstats
# against real connections, checked against tcpdump's count of packets
#
#   +--------------------------------------------+
#   | fs (mos passive, TIME_WAIT and CLOSED 1 s) |
#   |  flowstats (ASan build)                    |
#   |  tcpdump -i lo                             |
#   |  127.0.0.1 and ::1, port 9000:             |
#   |   100000 bytes up, 5000 down; 1 and 1      |
#   +--------------------------------------------+
#
# Then flowstats again, offline, on tcpdump's capture: the same lines.

. "$(dirname "$0")/../lib/lib.sh"

N=fs-$$
work=$(mktemp -d)
pids=()
defer_teardown pids

# xfer HOST UP DOWN: one connection to HOST:9000 sending UP bytes, then
# reading DOWN bytes back; prints "ok"
cat >"$work/xfer.py" <<'PYEOF'
import socket, sys, threading

def serve(l, down):
    c, _ = l.accept()
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    c.sendall(b"s" * down)
    c.close()

host, up, down = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
l = socket.socket(fam)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((host, 9000))
l.listen(1)
t = threading.Thread(target=serve, args=(l, down))
t.start()
s = socket.create_connection((host, 9000))
s.sendall(b"c" * up)
s.shutdown(socket.SHUT_WR)
got = 0
while True:
    b = s.recv(65536)
    if not b:
        break
    got += len(b)
s.close()
t.join()
print("ok" if got == down else "got %d" % got)
PYEOF

ktap_begin
t_check "load mos.ko" mos_load
ns_new "$N" || exit 1
t_check "enable, passive" "$MOSCTL" -n "$N" ns enable
t_check "set timeout TIME_WAIT 1 timeout CLOSED 1" \
	"$MOSCTL" -n "$N" set timeout TIME_WAIT 1 timeout CLOSED 1

ip netns exec "$N" tcpdump -i lo -U --immediate-mode -w "$work/cap.pcap" 'tcp port 9000' \
	>/dev/null 2>"$work/tcpdump.err" &
pids+=($!)
ip netns exec "$N" "$PROJ/build/selftests/flowstats-san" >"$work/out" \
	2>"$work/err" &
fs=$!
pids+=("$fs")
for _ in $(seq 1 100); do
	grep -q ready "$work/err" && grep -q listening "$work/tcpdump.err" && break
	nap 0.1
done
t_eq "flowstats started" "flowstats: ready" "$(cat "$work/err")"

t_eq "IPv4: 100000 bytes up, 5000 down" "ok" \
	"$(ip netns exec "$N" python3 "$work/xfer.py" 127.0.0.1 100000 5000)"
t_eq "IPv6: 1 byte up, 1 down" "ok" \
	"$(ip netns exec "$N" python3 "$work/xfer.py" ::1 1 1)"
for _ in $(seq 1 100); do
	[ "$(grep -c '^flow ' "$work/out")" -ge 2 ] && break
	nap 0.1
done
kill -INT "$fs"
wait_pid "$fs" 60
t_eq "flowstats exits 0 on SIGINT" 0 "$?"
log "flowstats: $(tr '\n' '|' <"$work/out")"
# flowstats prints a flow when both its sides have ended, at the last
# ACK: tcpdump may not have written that ACK yet.  Stop it once its
# capture has stopped growing.
n=-1
for _ in $(seq 1 30); do
	m=$(tcpdump -nr "$work/cap.pcap" 2>/dev/null | wc -l)
	[ "$m" = "$n" ] && break
	n=$m
	nap 0.5
done
kill -INT "${pids[0]}"
wait "${pids[0]}" 2>/dev/null

# What tcpdump saw of one family: "pkts C/S rexmit C/S", packets and
# retransmitted data segments (payload starting below the highest
# sequence number already sent) each end sent
seen() {
	tcpdump -nr "$work/cap.pcap" -S "$1" 2>/dev/null | python3 -c '
import re, sys
pk, rx, top = [0, 0], [0, 0], [None, None]
for l in sys.stdin:
    d = 1 if re.search(r"\.9000 >", l) else 0
    pk[d] += 1
    m = re.search(r"seq (\d+):(\d+)", l)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if top[d] is not None and (a - top[d]) % 2**32 >= 2**31:
            rx[d] += 1
        if top[d] is None or (b - top[d]) % 2**32 < 2**31:
            top[d] = b
print("pkts %d/%d rexmit %d/%d" % (pk[0], pk[1], rx[0], rx[1]))
'
}
w4=$(seen ip) w6=$(seen ip6)
log "tcpdump: IPv4 $w4, IPv6 $w6"
p4=$(grep '^flow 127.0.0.1:' "$work/out" | sed 's/.*:9000 //')
p6=$(grep '^flow \[::1\]:' "$work/out" | sed 's/.*:9000 //')
t_eq "IPv4 flow: packets and retransmissions as tcpdump saw them, exact bytes" \
	"$w4 bytes 100000/5000" "$p4"
t_eq "IPv6 flow: the same" "$w6 bytes 1/1" "$p6"
t_eq "two flows, nothing else" 2 "$(wc -l <"$work/out")"
t_eq "nothing on stderr but the start" "flowstats: ready" "$(cat "$work/err")"

# The same application on tcpdump's capture of that traffic, offline:
# the same lines (flows end in the order the capture closes them)
MOS_PCAP="$work/cap.pcap" "$PROJ/build/selftests/flowstats-san" \
	>"$work/off.out" 2>"$work/off.err"
t_eq "offline on the capture: exits 0 at its end" 0 "$?"
log "offline: $(tr '\n' '|' <"$work/off.out")"
t_eq "offline on the capture: the live lines" \
	"$(sort "$work/out")" "$(sort "$work/off.out")"

t_check "disable" "$MOSCTL" -n "$N" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
