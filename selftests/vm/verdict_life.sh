#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# verdict_life.sh - packets held for a verdict that never comes leave on
# every way out, once: the consumer killed, monitoring disabled, the
# router's namespace deleted, the module unloaded (20 times); a flow's
# packets wait behind its held one
#
#   +-----------+        +----------------------------+        +-----------+
#   | vl-c      |  veth  | vl-r (mos inline)          |  veth  | vl-s      |
#   | 10.0.1.2  |--------| verdict_app hang (ASan),   |--------| 10.0.2.2  |
#   |           |        | MOS_VERDICT=1,             |        | sink      |
#   |           |        | verdict-timeout 60000      |        |           |
#   +-----------+        +----------------------------+        +-----------+
#
# The client sends "hello\n", one second later "MARKER-7f3a\n", then
# after a pause "after\n" and closes.  The app's callback never returns
# for the marker's packet: it stays held until its consumer goes.  What
# the server read is what its read() returned; the client's
# retransmissions are its kernel's (/proc/net/snmp, Tcp RetransSegs); held
# packets are the router's counters (mosctl stats: held_now, held_flows,
# held_released).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/verdict_lib.sh"

C=vl-c-$$ R=vl-r-$$ S=vl-s-$$
work=$(mktemp -d)
pids=()
defer_teardown pids
APP=$PROJ/build/selftests/verdict_app
MARK=MARKER-7f3a
ALL="hello|$MARK|after"
# Load/hold/unload cycles: MOS_VERDICT_CYCLES, 5 by default (make check's
# time; 20 take some 4 minutes more under TCG)
CYCLES=${MOS_VERDICT_CYCLES:-5}

# The endpoints (verdict_lib.sh); the server stops after 60 s idle
verdict_scripts

# start_app LABEL: verdict_app hang in the router, until it is ready (its
# pid in $app)
start_app() {
	MOS_VERDICT=1 ip netns exec "$R" "$APP" hang "$MARK" >"$work/app.out" \
		2>"$work/app.err" &
	app=$!
	pids+=("$app")
	t_check "$1: verdict_app started" wait_ready "$work/app.err" "$app"
	grep -q ready "$work/app.err" || sed 's/^/# app: /' "$work/app.err"
}

# start_conn PORT PAUSE: the server and the client in the background
# ($srv, $cli); the server's bytes go to $work/got.PORT
start_conn() {
	rm -f "$work/got.$1"
	ip netns exec "$S" python3 "$work/sink.py" "$1" "$work/got.$1" 60 &
	srv=$!
	pids+=("$srv")
	wait_listen "$S" "$1"
	ip netns exec "$C" timeout 60 python3 "$work/client.py" "$1" "$MARK" "$2" &
	cli=$!
	pids+=("$cli")
}

# wait_held: until the callback of the marker's packet runs (the app's
# "hang") and the router holds a packet (held_now > 0), 20 s at most
wait_held() {
	local n
	for _ in $(seq 1 200); do
		n=$(mos_stat "$R" held_now)
		grep -q '^hang' "$work/app.out" && [ "${n:-0}" -gt 0 ] &&
			return 0
		nap 0.1
	done
	return 1
}

# got PORT: what the server read, lines joined by |
got() {
	tr '\n' '|' <"$work/got.$1" 2>/dev/null | sed 's/|$//'
}

kill_app() {
	kill -KILL "$app"
	wait "$app" 2>/dev/null
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline
t_check "set verdict-timeout 60000" "$MOSCTL" -n "$R" set verdict-timeout 60000
t_eq "setting verdict-timeout keeps held-max" \
	"verdict-timeout 60000|verdict-policy accept|held-max 1024" \
	"$("$MOSCTL" -n "$R" ns show | grep -E '^(verdict|held)' | tr '\n' '|' | sed 's/|$//')"
st=$("$MOSCTL" -n "$R" ns show | grep '^stall-timeout')
t_check "set unparsed drop" "$MOSCTL" -n "$R" set unparsed drop
t_eq "setting unparsed keeps stall-timeout" "$st" \
	"$("$MOSCTL" -n "$R" ns show | grep '^stall-timeout')"
t_eq "nothing held at first" "0 0" \
	"$(mos_stat "$R" held_now) $(mos_stat "$R" held_flows)"

# --- 1. order, then the consumer killed -------------------------------------
start_app "kill"
r0=$(retrans)
start_conn 7101 15
t_check "kill: the marker's packet is held" wait_held
# Let the client retransmit it (RTO 200 ms, doubling)
nap 2.5
# One reading between two equal readings of the client's counter
for _ in 1 2 3 4 5; do
	ra=$(retrans)
	nap 0.3
	now=$(mos_stat "$R" held_now)
	flows=$(mos_stat "$R" held_flows)
	[ "$(retrans)" = "$ra" ] && break
done
rx=$((ra - r0))
log "kill: the client retransmitted $rx times; held_now $now, held_flows $flows"
t_check "kill: the client retransmitted the held segment" test "$rx" -ge 1
t_eq "kill: held: the marker's packet and every retransmission of it" \
	$((1 + rx)) "$now"
t_eq "kill: held: one flow" 1 "$flows"
t_eq "kill: while held, the server has read hello only" "hello" "$(got 7101)"
h0=$(mos_stat "$R" held_released)
t0=$(mos_stat "$R" verdict_timeout)
kill_app
t_eq "kill: released at once: one packet waiting for a verdict" 1 \
	$(($(mos_stat "$R" held_released) - h0))
t_eq "kill: nothing held now" "0 0" \
	"$(mos_stat "$R" held_now) $(mos_stat "$R" held_flows)"
wait_pid "$cli" 30
wait_pid "$srv" 30
t_eq "kill: the connection completed, in order" "$ALL" "$(got 7101)"
t_eq "kill: no verdict timed out" 0 $(($(mos_stat "$R" verdict_timeout) - t0))
t_no_sanitizer "verdict_app (kill)" "$work/app.err"

# --- 2. monitoring disabled with a packet held ------------------------------
start_app "disable"
start_conn 7103 4
t_check "disable: the marker's packet is held" wait_held
h0=$(mos_stat "$R" held_released)
t_check "disable: ns disable" "$MOSCTL" -n "$R" ns disable
t_eq "disable: released by policy: one packet waiting" 1 \
	$(($(mos_stat "$R" held_released) - h0))
t_eq "disable: nothing held now" "0 0" \
	"$(mos_stat "$R" held_now) $(mos_stat "$R" held_flows)"
wait_pid "$cli" 30
wait_pid "$srv" 30
t_eq "disable: the connection completed, in order" "$ALL" "$(got 7103)"
kill_app
t_check "disable: enable again" "$MOSCTL" -n "$R" ns enable inline
t_check "disable: set verdict-timeout 60000" \
	"$MOSCTL" -n "$R" set verdict-timeout 60000

# --- 3. the router's namespace deleted with a packet held -------------------
start_app "netns"
start_conn 7104 30
t_check "netns: the marker's packet is held" wait_held
t_eq "netns: the server has read hello only" "hello" "$(got 7104)"
t_check "netns: ip netns del" ip netns del "$R"
# The app keeps the namespace (its file, its process) until it dies; then
# the namespace goes, and its veths with it, which a packet or device
# reference left behind would stop.
kill_app
gone=no
for _ in $(seq 1 300); do
	ip -n "$C" link show c0 >/dev/null 2>&1 || { gone=yes; break; }
	nap 0.1
done
t_eq "netns: the router's namespace went, its veth peers with it" yes "$gone"
kill "$cli" "$srv" 2>/dev/null
wait "$cli" "$srv" 2>/dev/null
t_eq "netns: the server read the released marker, nothing after" \
	"hello|$MARK" "$(got 7104)"
t_check "netns: rmmod" mos_unload

# --- 4. load, enable, hold, rmmod: $CYCLES times ----------------------------
ns_cleanup
router_topology "$C" "$R" "$S" || exit 1
: >"$work/apps.err"
refused=0 released=0 empty=0 unloaded=0 bytes=0
for i in $(seq 1 "$CYCLES"); do
	mos_load || { t_fail "cycle $i: insmod"; break; }
	"$MOSCTL" -n "$R" ns enable inline &&
		"$MOSCTL" -n "$R" set verdict-timeout 60000 ||
		{ t_fail "cycle $i: enable"; break; }
	MOS_VERDICT=1 ip netns exec "$R" "$APP" hang "$MARK" >"$work/app.out" \
		2>"$work/app.err" &
	app=$!
	pids+=("$app")
	wait_ready "$work/app.err" "$app" || {
		t_fail "cycle $i: app" "$(cat "$work/app.err")"
		break
	}
	# "after" 6 s after the marker: the consumer is killed before it
	start_conn $((7200 + i)) 6
	if ! wait_held; then
		t_fail "cycle $i: held"
		break
	fi
	if out=$(rmmod mos 2>&1); then
		t_fail "cycle $i: rmmod refused while the consumer is open"
		break
	fi
	case $out in *"in use"*) refused=$((refused + 1)) ;; esac
	kill_app
	n=$(mos_stat "$R" held_released)
	[ "$n" = 1 ] && released=$((released + 1))
	[ "$n" = 1 ] || log "cycle $i: held_released $n"
	[ "$(mos_stat "$R" held_now) $(mos_stat "$R" held_flows)" = "0 0" ] &&
		empty=$((empty + 1))
	mos_unload && unloaded=$((unloaded + 1))
	wait_pid "$cli" 30
	wait_pid "$srv" 30
	[ "$(got $((7200 + i)))" = "$ALL" ] && bytes=$((bytes + 1))
	cat "$work/app.err" >>"$work/apps.err"
done
log "cycles: refused $refused, released $released, empty $empty, unloaded $unloaded, bytes $bytes"
t_eq "cycles: rmmod refused, 'in use', while the consumer held a packet" \
	"$CYCLES" "$refused"
t_eq "cycles: the killed consumer released exactly one packet" \
	"$CYCLES" "$released"
t_eq "cycles: nothing held after" "$CYCLES" "$empty"
t_eq "cycles: rmmod then succeeded" "$CYCLES" "$unloaded"
t_eq "cycles: every server read hello, the marker, after" "$CYCLES" "$bytes"
t_no_sanitizer "verdict_app (the cycles)" "$work/apps.err"
ns_cleanup
ktap_end
