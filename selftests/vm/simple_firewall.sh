#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# simple_firewall.sh - samples/simple_firewall as mOS runs it (a context
# per vCPU) on a router in inline mode, with a rule file in mOS's syntax:
# the connections a DROP rule names never connect, a RESET rule's are
# reset, the others work
#
#   +-----------+        +----------------------------+        +-----------+
#   | fw-c      |  veth  | fw-r (mos inline)          |  veth  | fw-s      |
#   | 10.0.1.2  |--------| simple_firewall (ASan)     |--------| 10.0.2.2  |
#   | fd00:1::2 |        |                            |        | fd00:2::2 |
#   +-----------+        +----------------------------+        +-----------+
#                          echo servers on 10.0.2.2 and fd00:2::2, 8001-8004
#
# What a connection became is the client's view (it connects and gets its
# echo, is reset, or times out) and the router's counters (mosctl stats),
# never the sample's own output, which is checked on its own.

. "$(dirname "$0")/../lib/lib.sh"

C=fw-c-$$ R=fw-r-$$ S=fw-s-$$
work=$(mktemp -d)
pids=()
defer_teardown pids

# Echo servers on both addresses, ports 8001 to 8004
cat >"$work/echo.py" <<'PYEOF'
import socket, threading

def serve(l):
    while True:
        c, _ = l.accept()
        try:
            c.settimeout(5)
            b = c.recv(100)
            if b:
                c.sendall(b)
        except OSError:
            pass
        c.close()

for host, fam in (("10.0.2.2", socket.AF_INET), ("fd00:2::2", socket.AF_INET6)):
    for port in range(8001, 8005):
        l = socket.socket(fam)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((host, port))
        l.listen(8)
        threading.Thread(target=serve, args=(l,), daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
PYEOF

# try HOST PORT [SPORT]: connect (from SPORT), wait 1.5 s (the firewall
# acts once it has seen the SYN: the handshake may have passed), send
# "hi", read the echo within 3 s; prints ok, reset (connection refused or
# reset) or timeout
cat >"$work/try.py" <<'PYEOF'
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
src = ("", int(sys.argv[3])) if len(sys.argv) > 3 else None
try:
    s = socket.create_connection((host, port), timeout=3, source_address=src)
    time.sleep(1.5)
    s.sendall(b"hi")
    print("ok" if s.recv(10) == b"hi" else "short")
except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
    print("reset")
except socket.timeout:
    print("timeout")
PYEOF

# mOS's syntax: ACTION SRC[/BITS] DST[/BITS] [sport:N] [dport:N]; 0.0.0.0
# is any.  RESET is simple_firewall's beyond mOS.
cat >"$work/rules" <<'EOF2'
# Simple firewall rules
#(act)  (src)        (dst)        (port)
DROP    10.0.1.0/24  10.0.2.0/24  dport:8002
RESET   10.0.1.2     10.0.2.2     dport:8001
ACCEPT  10.0.1.2     0.0.0.0      sport:40010   # before the next rule
DROP    0.0.0.0      10.0.2.2     dport:8003
EOF2

ncpu=$(nproc)
ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline

ip netns exec "$S" python3 "$work/echo.py" >"$work/echo.out" 2>&1 &
pids+=($!)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
ip netns exec "$R" "$PROJ/build/selftests/simple_firewall-san" \
	-f "$work/rules" >"$work/out" 2>"$work/err" &
fw=$!
pids+=("$fw")
for _ in $(seq 1 100); do
	grep -q ready "$work/err" && grep -q listening "$work/echo.out" && break
	nap 0.1
done
t_eq "simple_firewall started, a context per CPU" \
	"simple_firewall: 4 rules, $ncpu contexts, ready" "$(cat "$work/err")"

try() {
	ip netns exec "$C" python3 "$work/try.py" "$@"
}
drop0=$(mos_stat "$R" dropped)
t_eq "rule 1, DROP 10.0.1.0/24 10.0.2.0/24 dport:8002: never connects" \
	timeout "$(try 10.0.2.2 8002)"
drop1=$(mos_stat "$R" dropped)
t_check "... the router dropped its packets" test "$drop1" -gt "$drop0"
t_eq "rule 2, RESET: 10.0.2.2 port 8001 is reset" reset "$(try 10.0.2.2 8001)"
t_eq "rule 3, ACCEPT sport:40010: port 8003 from 40010 works" ok \
	"$(try 10.0.2.2 8003 40010)"
t_eq "rule 4, DROP 0.0.0.0 10.0.2.2 dport:8003: from another port, never connects" \
	timeout "$(try 10.0.2.2 8003 40011)"
drop2=$(mos_stat "$R" dropped)
t_check "... the router dropped its packets" test "$drop2" -gt "$drop1"
t_eq "no rule: port 8004 works" ok "$(try 10.0.2.2 8004)"
t_eq "IPv6, which the AF_INET sockets never see: port 8002 works" ok \
	"$(try fd00:2::2 8002)"
t_eq "IPv6: port 8001 works" ok "$(try fd00:2::2 8001)"
t_check "resets were sent" test "$(mos_stat "$R" resets)" -gt 0

kill -INT "$fw"
wait_pid "$fw" 60
t_eq "simple_firewall exits 0 on SIGINT" 0 "$?"
t_no_sanitizer "simple_firewall on SIGINT" "$work/err"
log "simple_firewall: $(grep -v -e '^----' -e '^idx' -e '^[0-9]' "$work/out" | tr '\n' '|')"
# One line per flow a rule matched, the client's port aside
t_eq "the flows the rules matched, in order" \
	"drop 10.0.1.2 > 10.0.2.2:8002 (rule 1)|reset 10.0.1.2 > 10.0.2.2:8001 (rule 2)|accept 10.0.1.2 > 10.0.2.2:8003 (rule 3)|drop 10.0.1.2 > 10.0.2.2:8003 (rule 4)|" \
	"$(grep -E '^(drop|reset|accept) ' "$work/out" |
		sed -E 's/^([a-z]+ [0-9.]+):[0-9]+ >/\1 >/' |
		tr '\n' '|')"
last=$(awk '/^---- firewall rules/{ t = "" } { t = t $0 "|" } END { printf "%s", t }' "$work/out")
log "last rule table: $last"
t_eq "the rule table, with the flows each rule matched" \
	"---- firewall rules|idx   flows   target   client             server             port|1     1       DROP     10.0.1.0/24        10.0.2.0/24        dport:8002  |2     1       RESET    10.0.1.2           10.0.2.2           dport:8001  |3     1       ACCEPT   10.0.1.2           0.0.0.0            sport:40010 |4     1       DROP     0.0.0.0            10.0.2.2           dport:8003  |----|" \
	"$last"
t_eq "nothing on stderr but the start" \
	"simple_firewall: 4 rules, $ncpu contexts, ready" "$(cat "$work/err")"

t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
