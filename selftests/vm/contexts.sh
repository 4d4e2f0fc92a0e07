#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# contexts.sh - mOS's execution model, live: a context per vCPU
# (lib/ctxflows.c, ASan build) on a router, each flow seen by exactly one
# context on a thread pinned to its cpu; SIGINT ends the program cleanly
#
#   +-----------+        +----------------------+        +-----------+
#   | cx-c      |  veth  | cx-r (mos passive)   |  veth  | cx-s      |
#   | 10.0.1.2  |--------| ctxflows: GetNumCPUs |--------| 10.0.2.2  |
#   | fd00:1::2 |        | contexts, joined in  |        | fd00:2::2 |
#   +-----------+        | turn; SIGINT handler |        +-----------+
#                        +----------------------+
#
#   client ports 41001..41012 to 10.0.2.2:9000, 41013..41016 to
#   [fd00:2::2]:9000: each sends a line, the server echoes it and both
#   close.  Then a ctxflows with -f 4 and one with -f 6, each over
#   41021..41023 (IPv4) and 41024..41026 (IPv6), then 41031..41036: the
#   IPv4 or the IPv6 connections only.

. "$(dirname "$0")/../lib/lib.sh"

C=cx-c-$$ R=cx-r-$$ S=cx-s-$$
CF=$PROJ/build/selftests/ctxflows
work=$(mktemp -d)
pids=()
defer_teardown pids
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# echo.py: echo one line per connection on port 9000, IPv4 and IPv6
cat >"$work/echo.py" <<'PYEOF'
import socket
l = socket.socket(socket.AF_INET6)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l.bind(("::", 9000))
l.listen(64)
while True:
    s = l.accept()[0]
    s.sendall(s.recv(100))
    s.close()
PYEOF

# conns.py FIRST LAST V6: the connections of client ports FIRST..LAST,
# one after the other, IPv6 from port V6 on; prints "CLIENT>SERVER" for
# each that echoed its line
cat >"$work/conns.py" <<'PYEOF'
import socket, sys
for port in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    v6 = port >= int(sys.argv[3])
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    src, dst = ("fd00:1::2", "fd00:2::2") if v6 else ("10.0.1.2", "10.0.2.2")
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, port))
    s.connect((dst, 9000))
    s.sendall(b"line %d\n" % port)
    got = s.recv(100)
    s.close()
    if got == b"line %d\n" % port:
        print("[%s]:%d>[%s]:9000" % (src, port, dst) if v6 else
              "%s:%d>%s:9000" % (src, port, dst))
PYEOF

# run_ctxflows NAME [ARG...]: start ctxflows in the router, wait for it
run_ctxflows() {
	local name=$1
	shift
	ip netns exec "$R" "$CF" "$@" >"$work/$name.out" 2>"$work/$name.err" &
	cf=$!
	pids+=("$cf")
	wait_ready "$work/$name.err" "$cf"
}

# wait_lines FILE N: until FILE has N lines, 30 s at most
wait_lines() {
	for _ in $(seq 1 300); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		nap 0.1
	done
	return 1
}

# stop_ctxflows NAME: SIGINT, then its exit status in $rc
stop_ctxflows() {
	kill -INT "$cf"
	wait_pid "$cf" 60
	rc=$?
}

ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
t_check "enable the router, passive" "$MOSCTL" -n "$R" ns enable
ncpu=$(nproc)
log "$ncpu vCPUs"

ip netns exec "$S" python3 "$work/echo.py" >/dev/null 2>&1 &
pids+=($!)
wait_listen "$S" 9000

run_ctxflows all
t_eq "ctxflows started" "ctxflows: ready" "$(cat "$work/all.err")"
ip netns exec "$C" python3 "$work/conns.py" 41001 41016 41013 >"$work/conns"
t_eq "16 connections echoed their line" 16 "$(wc -l <"$work/conns")"
wait_lines "$work/all.out" 16
stop_ctxflows all
t_eq "SIGINT: ctxflows exits 0" 0 "$rc"
t_eq "SIGINT: every context joined, destroyed, then mtcp_destroy()" \
	"ctxflows: ready|ctxflows: end|" "$(tr '\n' '|' <"$work/all.err")"
t_no_sanitizer "ctxflows" "$work/all.err"

# Each connection once, in one context
t_eq "each connection seen exactly once, all of them" \
	"$(sort "$work/conns" | tr '\n' '|')" \
	"$(awk '{ print $2 }' "$work/all.out" | sort | tr '\n' '|')"
for ((i = 0; i < ncpu; i++)); do
	n=$(awk -v c="$i" '$1 == c' "$work/all.out" | wc -l)
	log "context $i: $n flows"
	if [ "$n" -gt 0 ]; then
		t_ok "context $i has flows"
	else
		t_fail "context $i has flows" "none of 16"
	fi
done
t_eq "no context outside 0..$((ncpu - 1))" "" \
	"$(awk -v n="$ncpu" '$1 < 0 || $1 >= n' "$work/all.out")"
t_eq "every callback on its context's pinned thread" "" \
	"$(grep -v ' pinned$' "$work/all.out")"

# One family each
for fam in 4 6; do
	first=$((41021 + (fam - 4) * 5))
	run_ctxflows "v$fam" -f "$fam"
	ip netns exec "$C" python3 "$work/conns.py" $first $((first + 5)) \
		$((first + 3)) >"$work/conns$fam"
	t_eq "-f $fam: 6 connections echoed their line" 6 \
		"$(wc -l <"$work/conns$fam")"
	wait_lines "$work/v$fam.out" 3
	mos_settle "$R"
	stop_ctxflows "v$fam"
	t_eq "-f $fam: exits 0 on SIGINT" 0 "$rc"
	t_no_sanitizer "ctxflows -f $fam" "$work/v$fam.err"
	if [ "$fam" = 4 ]; then
		want=$(grep -v '^\[' "$work/conns$fam" | sort | tr '\n' '|')
	else
		want=$(grep '^\[' "$work/conns$fam" | sort | tr '\n' '|')
	fi
	t_eq "-f $fam: that family's connections only" "$want" \
		"$(awk '{ print $2 }' "$work/v$fam.out" | sort | tr '\n' '|')"
done

t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
