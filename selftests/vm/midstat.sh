#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# midstat.sh - samples/midstat as mOS runs it (a context per vCPU, each
# with its share of the flows): the table of monitored connections, with
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
#   40003        [fd00:2::2]    established, idle: IPv6, which midstat's
#                               AF_INET monitor sockets never see
#   40004        10.0.2.2:9000  established, then reset by the client: its
#                               line must go
#   40005        10.0.2.2:9000  established, then closed by both ends (a
#                               normal close): its line must go
#   40006, 40007 10.0.2.2:9000  established, idle
#
# The split between contexts is a keyed hash: which CPU shows a
# connection is not known in advance, only that each shows once.

. "$(dirname "$0")/../lib/lib.sh"

C=ms-c-$$ R=ms-r-$$ S=ms-s-$$
TABLES=15
# The debug kernel once took the 15 s of 15 tables to list all seven
# connections: midstat had ended before the client reset one
[ -e /sys/kernel/debug/kmemleak ] && TABLES=45
work=$(mktemp -d)
pids=()
defer_teardown pids

# hold.py: accept connections on port 9000, IPv4 and IPv6, and keep them;
# read each until its end, and close it then only if it comes from client
# port 40005 (the normal close)
cat >"$work/hold.py" <<'PYEOF'
import socket, threading
l = socket.socket(socket.AF_INET6)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l.bind(("::", 9000))
l.listen(16)
held = []

def serve(c, port):
    while c.recv(100):
        pass
    if port == 40005:
        c.close()

while True:
    c, peer = l.accept()
    held.append(c)
    threading.Thread(target=serve, args=(c, peer[1]), daemon=True).start()
PYEOF

# conns.py: prints "started", then on SIGUSR2 opens the connections, one
# after the other, from fixed ports, and prints "ready"; then, on
# SIGUSR1, resets 40004 and closes 40005 ("closed": the server closed it
# too).  Started before midstat, so that the interpreter's start (seconds
# in a slow guest) is not in midstat's time.
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
e = conn(socket.AF_INET, "10.0.1.2", "10.0.2.2", 40005)
f = conn(socket.AF_INET, "10.0.1.2", "10.0.2.2", 40006)
g = conn(socket.AF_INET, "10.0.1.2", "10.0.2.2", 40007)
print("ready", flush=True)
signal.sigwait({signal.SIGUSR1})
d.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
d.close()
e.shutdown(socket.SHUT_WR)
e.settimeout(10)
print("closed" if e.recv(10) == b"" else "not closed", flush=True)
e.close()
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

# rows FILE: the rows of FILE's last table, the CPU column as "*", sorted
# and joined with |; after the count and the header
last_table() {
	awk '/^midstat: /{ t = "" } { t = t $0 "\n" } END { printf "%s", t }' "$1"
}
rows() {
	last_table "$1" | awk 'NR > 2 && NF { $2 = "*"; print }' | sort | paste -sd'|'
}

ncpu=$(nproc)
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

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
ip netns exec "$R" "$PROJ/build/selftests/midstat-san" -i -n $TABLES \
	>"$work/out" 2>"$work/err" &
ms=$!
pids+=("$ms")
wait_for "$work/err" ready
t_eq "midstat started, a context per CPU" "midstat: $ncpu contexts, ready" \
	"$(cat "$work/err")"

kill -USR2 "$cl"
wait_for "$work/conns" ready
t_eq "seven connections open, one half-closed" "started|ready|" \
	"$(tr '\n' '|' <"$work/conns")"

est() {
	printf 'tcp * 10.0.1.2:%s ESTABLISHED 10.0.2.2:9000 ESTABLISHED' "$1"
}
half='tcp * 10.0.1.2:40002 FIN_WAIT_2 10.0.2.2:9000 CLOSE_WAIT'
# Wait for a table that lists all six IPv4 connections
for _ in $(seq 1 100); do
	[ "$(last_table "$work/out" | head -n1)" = "midstat: 6 connections" ] && break
	nap 0.2
done
t_eq "while open: the six IPv4 connections, each once, in their states" \
	"$(est 40001)|$half|$(est 40004)|$(est 40005)|$(est 40006)|$(est 40007)" \
	"$(rows "$work/out")"
t_eq "the CPU column names a context" "" \
	"$(last_table "$work/out" | awk -v n="$ncpu" 'NR > 2 && NF && !($2 ~ /^[0-9]+$/ && $2 < n)')"
log "connections per CPU: $(last_table "$work/out" | awk 'NR > 2 && NF { print $2 }' | sort | uniq -c | tr -s ' \n' ' ')"
log "ended after $(grep -c '^midstat: ' "$work/out") of $TABLES tables"
kill -USR1 "$cl"
wait_for "$work/conns" closed
t_eq "the client resets 40004, both ends close 40005" "started|ready|closed|" \
	"$(tr '\n' '|' <"$work/conns")"

wait_pid "$ms" $((TABLES + 30))
t_eq "midstat exits 0 after $TABLES tables" 0 "$?"
t_eq "$TABLES tables" $TABLES "$(grep -c '^midstat: ' "$work/out")"
log "last table: $(last_table "$work/out" | tr '\n' '|')"
t_eq "the last table: four connections; the reset and the closed one gone" \
	"midstat: 4 connections" "$(last_table "$work/out" | head -n1)"
t_eq "... in their states" "$(est 40001)|$half|$(est 40006)|$(est 40007)" \
	"$(rows "$work/out")"
t_eq "the header" \
	"Proto CPU Client Address        Client State Server Address        Server State" \
	"$(last_table "$work/out" | sed -n 2p)"
t_eq "never an IPv6 row" 0 "$(grep -c 'fd00:' "$work/out")"
t_eq "no terminal escapes in appended tables" 0 "$(grep -c $'\033' "$work/out")"
t_eq "nothing on stderr but the start" "midstat: $ncpu contexts, ready" \
	"$(cat "$work/err")"

# Without -n: until SIGINT, which destroys every context
ip netns exec "$R" "$PROJ/build/selftests/midstat-san" -i \
	>"$work/out2" 2>"$work/err2" &
ms=$!
pids+=("$ms")
wait_for "$work/err2" ready
wait_for "$work/out2" "^midstat: "
kill -INT "$ms"
wait_pid "$ms" 60
t_eq "midstat exits 0 on SIGINT" 0 "$?"
t_no_sanitizer "midstat on SIGINT" "$work/err2"
t_eq "... and says nothing but the start" "midstat: $ncpu contexts, ready" \
	"$(cat "$work/err2")"
t_eq "a new midstat sees no connection older than itself" \
	"midstat: 0 connections" "$(head -n1 "$work/out2")"

t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
