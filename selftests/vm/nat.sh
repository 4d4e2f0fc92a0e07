#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nat.sh - samples/nat.c translates real TCP connections through an
# inline router (MOS_VERDICT=1): the server sees the NAT address and a
# port of the pool, the client the server's real address, the bytes
# arrive whole both ways, and every port is back in the pool at the end
#
#   +-----------+        +----------------------------+        +-----------+
#   | nat-c     |  veth  | nat-r (mos inline)         |  veth  | nat-s     |
#   | 10.0.1.2  |--------| nat -i 10.0.9.1 (ASan),    |--------| 10.0.2.2  |
#   | default   |        | MOS_VERDICT=1, rp_filter 0 |        | default   |
#   | via r     |        | ports 20000-20004          |        | via r     |
#   +-----------+        +----------------------------+        +-----------+
#
# 10.0.9.1 is none of the router's addresses: the server routes its
# answers to it through the router, whose nat translates them back before
# routing.  The endpoints are one Python program (nat_peer.py): the
# server logs each connection's peer as its accept() returned it and the
# sha256 of what its read() returned, or sends a file; the client logs
# the peer its connect() reached and the sha256 of what it read.  The
# expected digests are those of the files sent (sha256sum).
#
# The pool has five ports, given in turn and taken back at the tail, as
# mOS's: the sixth connection gets the first one's port while the tracker
# still keeps the first (the client's TIME_WAIT), so that port's 4-tuple
# names the new connection from then on (the second name is replaced).

. "$(dirname "$0")/../lib/lib.sh"

C=nat-c-$$ R=nat-r-$$ S=nat-s-$$
work=$(mktemp -d)
pids=()
defer_teardown pids
APP=$PROJ/build/selftests/nat-san
NATIP=10.0.9.1
PORT=7100


# client WHAT FILE OUT: one client connection, its line in OUT
client() {
	ip netns exec "$C" timeout 150 python3 "$SELFTESTS/lib/nat_peer.py" client \
		"$PORT" "$1" "$2" >"$3"
}

# server COUNT: the server, for COUNT connections (its pid in $srv)
server() {
	: >"$work/server.log"
	ip netns exec "$S" python3 "$SELFTESTS/lib/nat_peer.py" server "$PORT" \
		"$work/server.log" "$work/down.bin" "$1" &
	srv=$!
	pids+=("$srv")
	wait_listen "$S" "$PORT"
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
# The client's packets leave the router's PRE_ROUTING with 10.0.9.1 as
# their source: no reverse-path check may refuse them
ip netns exec "$R" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.r0.rp_filter=0
t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline
# What nat does not translate must not leave (libmosuser.rst)
t_check "set verdict-policy drop" "$MOSCTL" -n "$R" set verdict-policy drop
# The app is an ASan build on a TCG guest that may share its host: a
# verdict late by the default second would drop a packet the test counts
t_check "set verdict-timeout 10000" "$MOSCTL" -n "$R" set verdict-timeout 10000

head -c $((2 << 20)) /dev/urandom >"$work/up.bin"
head -c $((2 << 20)) /dev/urandom >"$work/down.bin"
head -c $((256 << 10)) /dev/urandom >"$work/small.bin"
up=$(sha256sum <"$work/up.bin" | cut -d' ' -f1)
down=$(sha256sum <"$work/down.bin" | cut -d' ' -f1)
small=$(sha256sum <"$work/small.bin" | cut -d' ' -f1)

MOS_VERDICT=1 ip netns exec "$R" "$APP" -i "$NATIP" -p 20000-20004 \
	>"$work/nat.out" 2>"$work/nat.err" &
app=$!
pids+=("$app")
t_check "nat started" wait_ready "$work/nat.err" "$app"

# --- 1. 2 MiB from the client to the server
server 1
client UP "$work/up.bin" "$work/c1"
wait_pid "$srv" 60
speer=$(awk '{print $2}' "$work/server.log")
t_eq "upload: the server read the client's 2 MiB (sha256)" \
	"$((2 << 20)) $up" "$(awk '{print $3, $4}' "$work/server.log")"
t_check "upload: the server's peer is the NAT address, a port of the pool ($speer)" \
	grep -qE '^up 10\.0\.9\.1:200[0-9][0-9] ' "$work/server.log"
t_eq "upload: the client's peer is the server's address" "10.0.2.2:$PORT" \
	"$(awk '{print $2}' "$work/c1")"

# --- 2. 2 MiB from the server to the client
server 1
client DOWN "$work/down.bin" "$work/c2"
wait_pid "$srv" 60
t_eq "download: the client read the server's 2 MiB (sha256)" \
	"10.0.2.2:$PORT $((2 << 20)) $down" "$(awk '{print $2, $3, $4}' "$work/c2")"
t_check "download: the server's peer is the NAT address ($(awk '{print $2}' "$work/server.log"))" \
	grep -qE '^down 10\.0\.9\.1:200[0-9][0-9]$' "$work/server.log"

# --- 3. four connections at once: two uploads of 256 KiB, two downloads
# of 2 MiB
server 4
cl=()
for i in 1 2; do
	client UP "$work/small.bin" "$work/u$i" &
	cl+=($!)
	client DOWN "$work/small.bin" "$work/d$i" &
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
t_eq "concurrent: four NAT ports in use at once, all different" 4 \
	"$(sed -n 's/^[a-z]* 10\.0\.9\.1:\(200[0-9][0-9]\).*/\1/p' "$work/server.log" | sort -u | wc -l)"

# --- 4. the connections ended: every port is back.  The client ends each
# connection in TIME_WAIT, which the tracker keeps 120 s by default
t_check "set timeout TIME_WAIT 1" "$MOSCTL" -n "$R" set timeout TIME_WAIT 1
for _ in $(seq 1 300); do
	[ "$(mos_stat "$R" flows_ended)" = 6 ] && break
	nap 0.1
done
t_eq "six flows tracked, all ended" "6 6" \
	"$(mos_stat "$R" flows) $(mos_stat "$R" flows_ended)"
kill -INT "$app"
wait_pid "$app" 30
t_eq "nat exits 0 on SIGINT" 0 "$?"
read -r _ _ assigned _ released _ inuse _ c2s s2c _ dropped <"$work/nat.out"
log "nat: $(cat "$work/nat.out")"
t_eq "nat: six ports assigned, six released, none in use, no drop" \
	"6 6 0 0" "$assigned $released $inuse $dropped"
t_eq "each flow got its NAT 4-tuple as second name, none refused" "6 0" \
	"$(mos_stat "$R" flow_aliases) $(mos_stat "$R" flow_alias_failed)"
# The server's packets raised the flows' events: nat translated them
# (each connection's SYN-ACK and FIN at least)
t_check "nat translated the server's packets back ($s2c)" test "$s2c" -ge 12
log "orphans $(mos_stat "$R" orphans), held $(mos_stat "$R" held)"
t_eq "every translated packet was one modified verdict" $((c2s + s2c)) \
	"$(mos_stat "$R" verdict_modified)"
t_check "packets were held for verdicts ($(mos_stat "$R" held))" \
	test "$(mos_stat "$R" held)" -gt 0
t_eq "no verdict refused, late or a drop; none held over the limit, none now" \
	"0 0 0 0 0" \
	"$(mos_stat "$R" verdict_bad) $(mos_stat "$R" verdict_timeout) $(mos_stat "$R" verdict_drop) $(mos_stat "$R" held_full) $(mos_stat "$R" held_now)"
t_no_sanitizer "nat" "$work/nat.err"

log "stats: $("$MOSCTL" -n "$R" stats | grep -E '^(held|verdict|flow|orphans)' | tr '\n' ' ')"
t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
