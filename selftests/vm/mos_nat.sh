#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mos_nat.sh - mOS's own nat sample (samples/nat/nat.c of mOS's tree,
# unmodified, built by its own Makefile rule with its paths changed only:
# make mos-nat MOS_SRC=DIR, tools/mos_sample) translates real TCP
# connections through an inline router, as nat.sh checks samples/nat.c
#
#   +-----------+        +----------------------------+        +-----------+
#   | mn-c      |  veth  | mn-r (mos inline)          |  veth  | mn-s      |
#   | 10.0.1.2  |--------| mOS's nat -i 10.0.9.1      |--------| 10.0.2.2  |
#   | default   |        | -f mos.conf, MOS_VERDICT=1 |        | default   |
#   | via r     |        | rp_filter 0, policy drop   |        | via r     |
#   +-----------+        +----------------------------+        +-----------+
#
# nat runs as mOS runs it: one context per CPU (GetNumCPUs()), ports
# 1025-65534 picked so that the translated 4-tuple's RSS hash names the
# context's CPU (GetRSSCPUCore()), given back at MOS_ON_CONN_END.  The
# endpoints are selftests/lib/nat_peer.py: the server logs each
# connection's peer as accept() returned it and the sha256 of what its
# read() returned, or sends a file; the client logs the peer connect()
# reached and the sha256 of what it read.  The expected digests are the
# files' (sha256sum).
#
# mOS's source is not part of this tree: without the binary
# (build/mos-samples/samples/nat/nat) the test skips, saying how to build
# it.  Not in selftests/TESTS: run it with
#   tools/vm/run --kernel 6.1 -- selftests/vm/mos_nat.sh

. "$(dirname "$0")/../lib/lib.sh"

APP=$PROJ/build/mos-samples/samples/nat/nat
if [ ! -x "$APP" ]; then
	echo "# SKIP mOS's nat not built: make mos-nat MOS_SRC=<mOS's source tree>"
	exit 4
fi

C=mn-c-$$ R=mn-r-$$ S=mn-s-$$
work=$(mktemp -d)
pids=()
defer_teardown pids
NATIP=10.0.9.1
PORT=7200
PEER=$SELFTESTS/lib/nat_peer.py

client() {
	ip netns exec "$C" timeout 150 python3 "$PEER" client "$PORT" "$1" \
		"$2" >"$3"
}

server() {
	: >"$work/server.log"
	ip netns exec "$S" python3 "$PEER" server "$PORT" "$work/server.log" \
		"$work/down.bin" "$1" &
	srv=$!
	pids+=("$srv")
	wait_listen "$S" "$PORT"
}

ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
ip netns exec "$R" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.r0.rp_filter=0
t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline
t_check "set verdict-policy drop" "$MOSCTL" -n "$R" set verdict-policy drop
t_check "set verdict-timeout 10000" "$MOSCTL" -n "$R" set verdict-timeout 10000

head -c $((2 << 20)) /dev/urandom >"$work/up.bin"
head -c $((2 << 20)) /dev/urandom >"$work/down.bin"
head -c $((256 << 10)) /dev/urandom >"$work/small.bin"
up=$(sha256sum <"$work/up.bin" | cut -d' ' -f1)
down=$(sha256sum <"$work/down.bin" | cut -d' ' -f1)
small=$(sha256sum <"$work/small.bin" | cut -d' ' -f1)

ncpu=$(nproc)
printf 'mos {\n\tnum_cores = %s\n\tmax_concurrency = 10000\n}\n' "$ncpu" >"$work/mos.conf"
(cd "$work" && MOS_VERDICT=1 exec ip netns exec "$R" "$APP" -f "$work/mos.conf" \
	-i "$NATIP" >"$work/nat.out" 2>"$work/nat.err") &
app=$!
pids+=("$app")
# One /dev/mos per context, then a second for their subscriptions
for _ in $(seq 1 300); do
	[ "$(find "/proc/$app/fd" -lname /dev/mos 2>/dev/null | wc -l)" -ge "$ncpu" ] && break
	kill -0 "$app" 2>/dev/null || break
	nap 0.1
done
nap 1
t_check "mOS's nat runs, $ncpu contexts" kill -0 "$app"

# --- 1. 2 MiB from the client to the server
server 1
client UP "$work/up.bin" "$work/c1"
wait_pid "$srv" 60
t_eq "upload: the server read the client's 2 MiB (sha256)" \
	"$((2 << 20)) $up" "$(awk '{print $3, $4}' "$work/server.log")"
t_check "upload: the server's peer is the NAT address ($(awk '{print $2}' "$work/server.log"))" \
	grep -qE "^up 10\.0\.9\.1:[0-9]+ " "$work/server.log"
t_eq "upload: the client's peer is the server's address" "10.0.2.2:$PORT" \
	"$(awk '{print $2}' "$work/c1")"

# --- 2. 2 MiB from the server to the client
server 1
client DOWN "$work/down.bin" "$work/c2"
wait_pid "$srv" 60
t_eq "download: the client read the server's 2 MiB (sha256)" \
	"10.0.2.2:$PORT $((2 << 20)) $down" "$(awk '{print $2, $3, $4}' "$work/c2")"
t_check "download: the server's peer is the NAT address ($(awk '{print $2}' "$work/server.log"))" \
	grep -qE '^down 10\.0\.9\.1:[0-9]+$' "$work/server.log"

# --- 3. four connections at once
server 4
cl=()
for i in 1 2; do
	client UP "$work/small.bin" "$work/u$i" &
	cl+=($!)
	client DOWN "$work/down.bin" "$work/d$i" &
	cl+=($!)
done
for p in "${cl[@]}"; do
	wait "$p"
done
wait_pid "$srv" 60
t_eq "concurrent: both uploads arrived whole" \
	"$((256 << 10)) $small|$((256 << 10)) $small" \
	"$(awk '/^up/ {print $3, $4}' "$work/server.log" | tr '\n' '|' | sed 's/|$//')"
t_eq "concurrent: both downloads arrived whole" \
	"$((2 << 20)) $down|$((2 << 20)) $down" \
	"$(cat "$work/d1" "$work/d2" | awk '{print $3, $4}' | tr '\n' '|' | sed 's/|$//')"
t_eq "concurrent: four NAT ports at once, all different" 4 \
	"$(sed -n 's/^[a-z]* 10\.0\.9\.1:\([0-9]*\).*/\1/p' "$work/server.log" | sort -u | wc -l)"

log "nat: $(head -c 2000 "$work/nat.out" "$work/nat.err" | tr '\n' ' ')"
t_eq "each flow got its NAT 4-tuple as second name, none refused" "6 0" \
	"$(mos_stat "$R" flow_aliases) $(mos_stat "$R" flow_alias_failed)"
t_check "packets rewritten ($(mos_stat "$R" verdict_modified))" \
	test "$(mos_stat "$R" verdict_modified)" -gt 0
t_eq "no verdict refused, late or a drop; none over the limit" "0 0 0 0" \
	"$(mos_stat "$R" verdict_bad) $(mos_stat "$R" verdict_timeout) $(mos_stat "$R" verdict_drop) $(mos_stat "$R" held_full)"
kill -TERM "$app"
wait_pid "$app" 30
log "stats: $("$MOSCTL" -n "$R" stats | grep -E '^(held|verdict|flow|orphans)' | tr '\n' ' ')"
t_eq "nothing held once nat is gone" 0 "$(mos_stat "$R" held_now)"
t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
