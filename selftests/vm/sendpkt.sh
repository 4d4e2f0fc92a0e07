#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sendpkt.sh - mtcp_sendpkt() (MOS_IOC_SENDPKT) on an inline router: the
# server's end of a flow sends the client data, or a reset, that the
# client's own kernel takes; a packet that is not the flow's is refused;
# the namespace's rate refuses a burst beyond it; a passive monitor sends
# nothing
#
#   +-----------+        +----------------------------+        +-----------+
#   | sp-c      |  veth  | sp-r (mos inline)          |  veth  | sp-s      |
#   | 10.0.1.2  |--------| verdict_app send|rst|burst |--------| 10.0.2.2  |
#   | fd00:1::2 |        | send6                      |        | fd00:2::2 |
#   +-----------+        +----------------------------+        +-----------+
#
# The client sends "hello\n", one second later "MARKER-7f3a\n", then
# reads for three seconds: what its read() returned (or ECONNRESET) is
# what the client's kernel took.  The server only reads.  At the marker's
# packet the app sends, as the server's end (sequence number: what the
# client acknowledged of the server, the marker's acknowledgment number).
# Counters are the router's (mosctl stats); the rate is
# MOS_SENDPKT_RATE, 1000 a second (Documentation/uapi.rst).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/verdict_lib.sh"

C=sp-c-$$ R=sp-r-$$ S=sp-s-$$
work=$(mktemp -d)
pids=()
defer_teardown pids
APP=$PROJ/build/selftests/verdict_app
MARK=MARKER-7f3a
TEXT="from-mos-$$"
IDLE=6
[ -e /sys/kernel/debug/kmemleak ] && IDLE=20
verdict_scripts

cat >"$work/reader.py" <<'PYEOF'
import socket, sys, time
s = socket.create_connection((sys.argv[3], int(sys.argv[1])), timeout=5)
s.sendall(b"hello\n")
time.sleep(1)
s.sendall(sys.argv[2].encode() + b"\n")
s.settimeout(3)
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
except socket.timeout:
    pass
except ConnectionResetError:
    print("ECONNRESET " + got.decode(errors="replace"))
    sys.exit(0)
print("read " + got.decode(errors="replace"))
s.close()
PYEOF

# start_app LABEL ARGS...: verdict_app in the router, until it is ready
start_app() {
	local label=$1

	shift
	ip netns exec "$R" "$APP" "$@" >"$work/app.out" 2>"$work/app.err" &
	app=$!
	pids+=("$app")
	t_check "$label" wait_ready "$work/app.err" "$app"
}

# The server for IPv6
sed -e 's/"10.0.2.2"/"fd00:2::2"/' \
	-e 's/socket.socket()/socket.socket(socket.AF_INET6)/' \
	"$work/sink.py" >"$work/sink6.py"

# run PORT [6]: one connection (IPv6 with 6); what the client read in
# $work/cli.PORT
run() {
	local sink=sink.py addr=10.0.2.2

	[ "${2:-}" = 6 ] && sink=sink6.py addr=fd00:2::2
	ip netns exec "$S" python3 "$work/$sink" "$1" "$work/got.$1" "$IDLE" &
	local srv=$!
	pids+=("$srv")
	wait_listen "$S" "$1"
	ip netns exec "$C" timeout 30 python3 "$work/reader.py" "$1" "$MARK" \
		"$addr" >"$work/cli.$1"
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	log "client on $1: $(cat "$work/cli.$1")"
}

stop_app() {
	kill -INT "$app"
	wait_pid "$app" 30
}

# snap: the sendpkt counters now; sdelta NAME: how much NAME moved since
declare -A s0
snap() {
	for k in sendpkt sendpkt_limited sendpkt_invalid sendpkt_failed; do
		s0[$k]=$(mos_stat "$R" $k)
	done
}
sdelta() {
	echo $(($(mos_stat "$R" "$1") - s0[$1]))
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline

# --- 1. data from the server's end; a packet of another port refused
snap
start_app "send: verdict_app started" send "$MARK" "$TEXT"
run 7101
t_eq "send: the client's read() got exactly the bytes sent" "read $TEXT" \
	"$(cat "$work/cli.7101")"
t_eq "send: the packet to another port refused with EINVAL" "EINVAL" \
	"$(sed -n 's/^bad //p' "$work/app.out")"
t_check "send: mtcp_sendpkt() succeeded" grep -q '^sent ' "$work/app.out"
t_eq "send: sendpkt sendpkt_invalid sendpkt_limited sendpkt_failed" \
	"1 1 0 0" "$(sdelta sendpkt) $(sdelta sendpkt_invalid) $(sdelta sendpkt_limited) $(sdelta sendpkt_failed)"
stop_app
t_eq "send: verdict_app exits 0 on SIGINT" 0 "$?"
t_no_sanitizer "verdict_app send" "$work/app.err"

# --- 2. a reset from the server's end
snap
start_app "rst: verdict_app started" rst "$MARK"
run 7102
t_eq "rst: the client's read() failed with ECONNRESET" "ECONNRESET" \
	"$(sed 's/ *$//' "$work/cli.7102")"
t_eq "rst: one packet sent" 1 "$(sdelta sendpkt)"
stop_app
t_no_sanitizer "verdict_app rst" "$work/app.err"

# --- 3. a burst beyond the rate: its first MOS_SENDPKT_RATE go, within
# the second the first one opened (the last send was seconds ago)
N=1100
nap 1.5
snap
start_app "burst: verdict_app started" burst "$MARK" "$N"
run 7103
read -r _ ok again other ms < <(grep '^burst ' "$work/app.out")
log "burst: $ok sent, $again refused, $other failed, in $ms ms"
if [ -e /sys/kernel/debug/kmemleak ] && [ "${ms:-0}" -ge 1000 ]; then
	# The sanitizer kernel with an ASan app makes about 500 calls a
	# second: the rate's second ends before the 1000th call, so the
	# limit cannot be reached.  What is still exact: every call sent or
	# refused, each counted as the app saw it, at most 1000 sent in
	# each second begun.
	log "burst: $N calls in $ms ms, longer than the rate's second: the limit is not reached (sanitizer kernel)"
	t_eq "burst: every call sent or refused with EAGAIN, none failed otherwise" \
		"$N 0" "$((ok + again)) $other"
	t_check "burst: at most 1000 sent per second begun" \
		test "$ok" -le $(((ms / 1000 + 1) * 1000))
	t_eq "burst: sendpkt sendpkt_limited counted exactly" "$ok $again" \
		"$(sdelta sendpkt) $(sdelta sendpkt_limited)"
else
	t_check "burst: the $N calls took less than the rate's second" \
		test "${ms:-9999}" -lt 1000
	t_eq "burst: calls that succeeded, failed with EAGAIN, failed otherwise" \
		"1000 100 0" "$ok $again $other"
	t_eq "burst: sendpkt sendpkt_limited counted exactly" "1000 100" \
		"$(sdelta sendpkt) $(sdelta sendpkt_limited)"
fi
stop_app
t_no_sanitizer "verdict_app burst" "$work/app.err"

# --- 4. IPv6: data from the server's end (ip6_local_out())
snap
start_app "send6: verdict_app started" send6 "$MARK" "$TEXT"
run 7105 6
t_eq "send6: the client's read() got exactly the bytes sent" "read $TEXT" \
	"$(cat "$work/cli.7105")"
t_eq "send6: the packet to another port refused with EINVAL" "EINVAL" \
	"$(sed -n 's/^bad //p' "$work/app.out")"
t_eq "send6: sendpkt sendpkt_invalid sendpkt_limited sendpkt_failed" \
	"1 1 0 0" "$(sdelta sendpkt) $(sdelta sendpkt_invalid) $(sdelta sendpkt_limited) $(sdelta sendpkt_failed)"
stop_app
t_no_sanitizer "verdict_app send6" "$work/app.err"

# --- 5. a passive monitor sends nothing
t_check "disable" "$MOSCTL" -n "$R" ns disable
t_check "enable the router, passive" "$MOSCTL" -n "$R" ns enable passive
snap
start_app "passive: verdict_app started" send "$MARK" "$TEXT"
run 7104
t_eq "passive: refused with EOPNOTSUPP (both packets)" \
	"bad EOPNOTSUPP|sendpkt EOPNOTSUPP" \
	"$(grep -E '^(bad|sendpkt|sent) ' "$work/app.out" | tr '\n' '|' | sed 's/|$//')"
t_eq "passive: the client read nothing" "read " "$(cat "$work/cli.7104")"
t_eq "passive: nothing sent or counted" "0 0 0" \
	"$(sdelta sendpkt) $(sdelta sendpkt_invalid) $(sdelta sendpkt_limited)"
stop_app
t_no_sanitizer "verdict_app passive" "$work/app.err"

log "stats: $("$MOSCTL" -n "$R" stats | grep -E '^sendpkt' | tr '\n' ' ')"
t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
