#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# midstat.sh - samples/midstat: the table of monitored connections, with
# connections held in known states through a router
#
#   +-----------+        +----------------------+        +-----------+
#   | ms-c      |  veth  | ms-r (mos passive)   |  veth  | ms-s      |
#   | 10.0.1.2  |--------| midstat -i -n 15     |--------| 10.0.2.2  |
#   | fd00:1::2 |        | (ASan build)         |        | fd00:2::2 |
#   +-----------+        +----------------------+        +-----------+
#
#   client port  to             held as
#   40001        10.0.2.2:9000  established, idle
#   40002        10.0.2.2:9000  half-closed by the client: FIN_WAIT_2 and
#                               CLOSE_WAIT (the server never closes)
#   40003        [fd00:2::2]    established, idle
#   40004        10.0.2.2:9000  established, then reset by the client: its
#                               line must go

. "$(dirname "$0")/../lib/lib.sh"

C=ms-c-$$ R=ms-r-$$ S=ms-s-$$
TABLES=15
work=$(mktemp -d)
pids=()
defer_teardown pids

# hold.py: accept connections on port 9000, IPv4 and IPv6, and keep them,
# never reading, never closing
cat >"$work/hold.py" <<'PYEOF'
import socket
l = socket.socket(socket.AF_INET6)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l.bind(("::", 9000))
l.listen(16)
held = []
while True:
    held.append(l.accept()[0])
PYEOF

# conns.py: prints "started", then on SIGUSR2 opens the four connections,
# one after the other, from fixed ports, and prints "ready"; then resets
# the last one on SIGUSR1 ("reset").  Started before midstat, so that the
# interpreter's start (seconds in a slow guest) is not in midstat's time.
cat >"$work/conns.py" <<'PYEOF'
import signal, socket, struct, time

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2})
print("started", flush=True)
signal.sigwait({signal.SIGUSR2})

def conn(fam, src, dst, port):
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, port))
    s.connect((dst, 9000))
    return s

a = conn(socket.AF_INET, "10.0.1.2", "10.0.2.2", 40001)
b = conn(socket.AF_INET, "10.0.1.2", "10.0.2.2", 40002)
b.shutdown(socket.SHUT_WR)
c = conn(socket.AF_INET6, "fd00:1::2", "fd00:2::2", 40003)
d = conn(socket.AF_INET, "10.0.1.2", "10.0.2.2", 40004)
print("ready", flush=True)
signal.sigwait({signal.SIGUSR1})
d.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
d.close()
print("reset", flush=True)
while True:
    time.sleep(3600)
PYEOF

# wait_for FILE REGEX: wait up to 20 s for a line of FILE to match
wait_for() {
	for _ in $(seq 1 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
t_check "enable the router, passive" "$MOSCTL" -n "$R" ns enable

ip netns exec "$S" python3 "$work/hold.py" >/dev/null 2>&1 &
pids+=($!)
wait_listen "$S" 9000

ip netns exec "$C" python3 "$work/conns.py" >"$work/conns" 2>&1 &
cl=$!
pids+=("$cl")
wait_for "$work/conns" started

ip netns exec "$R" "$PROJ/build/selftests/midstat-san" -i -n $TABLES \
	>"$work/out" 2>"$work/err" &
ms=$!
pids+=("$ms")
wait_for "$work/err" ready
t_eq "midstat started" "midstat: ready" "$(cat "$work/err")"

kill -USR2 "$cl"
wait_for "$work/conns" ready
t_eq "four connections open, one half-closed" "started|ready|" \
	"$(tr '\n' '|' <"$work/conns")"

row4='tcp   10.0.1.2:40004          ESTABLISHED  10.0.2.2:9000           ESTABLISHED'
wait_for "$work/out" "^tcp   10.0.1.2:40004 "
t_eq "the connection to be reset, listed as established" "$row4" \
	"$(grep -m1 '^tcp   10.0.1.2:40004 ' "$work/out")"
log "reset after $(grep -c '^midstat: ' "$work/out") of $TABLES tables"
kill -USR1 "$cl"
wait_for "$work/conns" reset
t_eq "the client resets it" "started|ready|reset|" "$(tr '\n' '|' <"$work/conns")"

wait_pid "$ms" $((TABLES + 30))
t_eq "midstat exits 0 after $TABLES tables" 0 "$?"
t_eq "$TABLES tables" $TABLES "$(grep -c '^midstat: ' "$work/out")"
last=$(awk '/^midstat: /{ t = "" } { t = t $0 "|" } END { printf "%s", t }' "$work/out")
log "last table: $last"
t_eq "the last table: three connections in their states, the reset one gone" \
	"midstat: 3 connections|Proto Client                  Client state Server                  Server state|tcp   10.0.1.2:40001          ESTABLISHED  10.0.2.2:9000           ESTABLISHED|tcp   10.0.1.2:40002          FIN_WAIT_2   10.0.2.2:9000           CLOSE_WAIT|tcp6  [fd00:1::2]:40003       ESTABLISHED  [fd00:2::2]:9000        ESTABLISHED||" \
	"$last"
t_eq "no terminal escapes in appended tables" 0 "$(grep -c $'\033' "$work/out")"
t_eq "nothing on stderr but the start" "midstat: ready" "$(cat "$work/err")"

# Without -n: until SIGINT
ip netns exec "$R" "$PROJ/build/selftests/midstat-san" -i \
	>"$work/out2" 2>"$work/err2" &
ms=$!
pids+=("$ms")
wait_for "$work/err2" ready
wait_for "$work/out2" "^midstat: "
kill -INT "$ms"
wait_pid "$ms" 60
t_eq "midstat exits 0 on SIGINT" 0 "$?"
t_eq "a new midstat sees no connection older than itself" \
	"midstat: 0 connections" "$(head -n1 "$work/out2")"

t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
