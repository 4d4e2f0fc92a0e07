#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# httplog.sh - samples/httplog: a user-defined event on new stream data
# logs each HTTP request, whole, split across segments, or pipelined
#
#   +------------------------------------------------+
#   | hl (mos passive)                               |
#   |  httplog (ASan build)                          |
#   |  sink server on 127.0.0.1:8080 and [::1]:8080  |
#   |  clients sending requests in scripted segments |
#   +------------------------------------------------+

. "$(dirname "$0")/../lib/lib.sh"

N=hl-$$
work=$(mktemp -d)
pids=()
defer_teardown pids

# sink.py: read each connection to its end, answer one line, close
cat >"$work/sink.py" <<'PYEOF'
import socket, threading

def serve(c):
    with c:
        while c.recv(65536):
            pass
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\n")

def listen(fam, host):
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 8080))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

threading.Thread(target=listen, args=(socket.AF_INET6, "::1"), daemon=True).start()
listen(socket.AF_INET, "127.0.0.1")
PYEOF

# send.py HOST PIECE...: one connection, each PIECE a segment of its own
# (\r and \n as escapes), 200 ms apart; prints "ok" once answered
cat >"$work/send.py" <<'PYEOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 8080))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i, p in enumerate(sys.argv[2:]):
    if i:
        time.sleep(0.2)
    s.sendall(p.encode().decode("unicode_escape").encode())
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
print("ok" if got.startswith(b"HTTP/1.0 200") else "bad answer %r" % got)
PYEOF
send() {
	ip netns exec "$N" python3 "$work/send.py" "$@"
}

ktap_begin
t_check "load mos.ko" mos_load
ns_new "$N" || exit 1
t_check "enable, passive" "$MOSCTL" -n "$N" ns enable
ip netns exec "$N" python3 "$work/sink.py" >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$N" "$PROJ/build/selftests/httplog-san" >"$work/out" 2>"$work/err" &
hl=$!
pids+=("$hl")
for _ in $(seq 1 100); do
	grep -q ready "$work/err" && break
	nap 0.1
done
t_eq "httplog started" "httplog: ready" "$(cat "$work/err")"
wait_listen "$N" 8080

t_eq "a request in one segment" ok \
	"$(send 127.0.0.1 'GET /a/b?x=1 HTTP/1.1\r\nHost: one.test\r\nUser-Agent: t\r\n\r\n')"
t_eq "a request in three segments" ok \
	"$(send 127.0.0.1 'GET /split/path HTTP/1.1\r\nHo' 'st: split.test\r\nAccept: */*' '\r\n\r\n')"
t_eq "two pipelined requests in one segment" ok \
	"$(send 127.0.0.1 'POST /p1 HTTP/1.1\r\nHost: pipe.test\r\nContent-Length: 0\r\n\r\nGET /p2 HTTP/1.1\r\nHost: pipe.test\r\n\r\n')"
t_eq "IPv6, no Host header" ok "$(send ::1 'HEAD / HTTP/1.0\r\n\r\n')"
for _ in $(seq 1 50); do
	[ "$(wc -l <"$work/out")" -ge 5 ] && break
	nap 0.1
done
kill -INT "$hl"
wait_pid "$hl" 60
t_eq "httplog exits 0 on SIGINT" 0 "$?"
log "httplog: $(tr '\n' '|' <"$work/out")"
t_eq "the five requests, in order, with their client" \
	"127.0.0.1 GET one.test /a/b?x=1|127.0.0.1 GET split.test /split/path|127.0.0.1 POST pipe.test /p1|127.0.0.1 GET pipe.test /p2|::1 HEAD - /|" \
	"$(sed 's/^\(.*\):[0-9]* /\1 /' "$work/out" | tr '\n' '|')"
t_eq "nothing on stderr but the start" "httplog: ready" "$(cat "$work/err")"

t_check "disable" "$MOSCTL" -n "$N" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
