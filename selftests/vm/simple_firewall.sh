#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# simple_firewall.sh - samples/simple_firewall in an inline namespace:
# the connections its rules name are reset or dropped, the others work
#
#   +----------------------------------------------------+
#   | fw (mos inline)                                    |
#   |  simple_firewall (ASan build), rules:              |
#   |   reset 127.0.0.1 any 8001                         |
#   |   drop  any 127.0.0.0/8 8002                       |
#   |   reset ::1/128 ::1 8004                           |
#   |  echo servers on 127.0.0.1 and ::1, 8001 to 8004   |
#   +----------------------------------------------------+

. "$(dirname "$0")/../lib/lib.sh"

N=fw-$$
work=$(mktemp -d)
pids=()
defer_teardown pids

# Echo servers on both loopback addresses, ports 8001 to 8004
cat >"$work/echo.py" <<'PYEOF'
import socket, threading, sys

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

for host, fam in (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)):
    for port in range(8001, 8005):
        l = socket.socket(fam)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((host, port))
        l.listen(8)
        threading.Thread(target=serve, args=(l,), daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
PYEOF

# try HOST PORT: connect, wait 1.5 s (the firewall acts on the
# connection's start once it has seen it: after the handshake may have
# passed), send "hi", read the echo within 3 s; prints ok, reset
# (connection refused or reset) or timeout
cat >"$work/try.py" <<'PYEOF'
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
try:
    s = socket.create_connection((host, port), timeout=3)
    time.sleep(1.5)
    s.sendall(b"hi")
    print("ok" if s.recv(10) == b"hi" else "short")
except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
    print("reset")
except socket.timeout:
    print("timeout")
PYEOF

cat >"$work/rules" <<'EOF2'
# action source destination port
reset 127.0.0.1 any 8001
drop  any 127.0.0.0/8 8002   # the SYN-ACK never comes back
reset ::1/128 ::1 8004
EOF2

ktap_begin
t_check "load mos.ko" mos_load
ns_new "$N" || exit 1
t_check "enable, inline" "$MOSCTL" -n "$N" ns enable inline

ip netns exec "$N" python3 "$work/echo.py" >"$work/echo.out" 2>&1 &
pids+=($!)
ip netns exec "$N" "$PROJ/build/selftests/simple_firewall-san" "$work/rules" \
	>"$work/out" 2>"$work/err" &
fw=$!
pids+=("$fw")
for _ in $(seq 1 100); do
	grep -q ready "$work/err" && grep -q listening "$work/echo.out" && break
	nap 0.1
done
t_eq "simple_firewall started" "simple_firewall: 3 rules, ready" "$(cat "$work/err")"

try() {
	ip netns exec "$N" python3 "$work/try.py" "$1" "$2"
}
t_eq "rule 1: 127.0.0.1 port 8001 is reset" reset "$(try 127.0.0.1 8001)"
t_eq "rule 2: 127.0.0.1 port 8002 is dropped" timeout "$(try 127.0.0.1 8002)"
t_eq "no rule: 127.0.0.1 port 8003 works" ok "$(try 127.0.0.1 8003)"
t_eq "no rule: ::1 port 8001 works (rule 1 is IPv4)" ok "$(try ::1 8001)"
t_eq "no rule: ::1 port 8002 works (rule 2 is IPv4)" ok "$(try ::1 8002)"
t_eq "rule 3: ::1 port 8004 is reset" reset "$(try ::1 8004)"
t_eq "no rule: 127.0.0.1 port 8004 works" ok "$(try 127.0.0.1 8004)"

kill -INT "$fw"
wait_pid "$fw" 60
t_eq "simple_firewall exits 0 on SIGINT" 0 "$?"
log "simple_firewall: $(tr '\n' '|' <"$work/out")"
# One line per matched connection, the client's port aside
t_eq "the three matched connections, in order" \
	"reset 127.0.0.1 > 127.0.0.1:8001 (rule 1)|drop 127.0.0.1 > 127.0.0.1:8002 (rule 2)|reset [::1] > [::1]:8004 (rule 3)|" \
	"$(sed -E 's/:[0-9]+ >/ >/' "$work/out" | tr '\n' '|')"
t_check "resets were sent" test "$(mos_stat "$N" resets)" -gt 0
t_check "dropped packets counted" test "$(mos_stat "$N" dropped)" -gt 0
t_eq "nothing on stderr but the start" "simple_firewall: 3 rules, ready" "$(cat "$work/err")"

t_check "disable" "$MOSCTL" -n "$N" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
