#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# verdict.sh - callbacks that decide the fate of the packet that raised
# them (MOS_VERDICT=1, an inline router): an IPS drops exactly the
# segments that carry a marker, a verdict that does not come in time gets
# the namespace's policy, a consumer killed with a packet held releases it
#
#   +-----------+        +----------------------------+        +-----------+
#   | vd-c      |  veth  | vd-r (mos inline)          |  veth  | vd-s      |
#   | 10.0.1.2  |--------| verdict_app (ASan),        |--------| 10.0.2.2  |
#   |           |        | MOS_VERDICT=1              |        | sink 7000 |
#   +-----------+        +----------------------------+        +-----------+
#
# The client sends "hello\n", one second later "MARKER-7f3a\n", then
# after a pause "after\n" and closes.  What the server read is what its
# read() returned; the retransmissions are the client's kernel's
# (/proc/net/snmp, Tcp RetransSegs); held packets and verdicts are the
# router's counters (mosctl stats).  A passive observer beside the app
# (evtrace) must get the server's stream as the server read it: mos
# tracks the receiver's side of a held packet as the packet leaves.

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/verdict_lib.sh"

C=vd-c-$$ R=vd-r-$$ S=vd-s-$$
work=$(mktemp -d)
pids=()
defer_teardown pids
APP=$PROJ/build/selftests/verdict_app
MARK=MARKER-7f3a

# The endpoints (verdict_lib.sh); the server stops after IDLE s idle
# (6, 20 on the sanitizer kernel)
IDLE=6
[ -e /sys/kernel/debug/kmemleak ] && IDLE=20
verdict_scripts

# start_app LABEL MODE ARGS...: verdict_app in the router, until it is
# ready (its pid in $app)
start_app() {
	local label=$1

	shift
	MOS_VERDICT=1 ip netns exec "$R" "$APP" "$@" >"$work/app.out" \
		2>"$work/app.err" &
	app=$!
	pids+=("$app")
	t_check "$label" wait_ready "$work/app.err" "$app"
}

# run PORT PAUSE: a connection, the server's bytes in $work/got.PORT
run() {
	ip netns exec "$S" python3 "$work/sink.py" "$1" "$work/got.$1" "$IDLE" &
	local srv=$!
	pids+=("$srv")
	wait_listen "$S" "$1"
	ip netns exec "$C" timeout 30 python3 "$work/client.py" "$1" "$MARK" "$2"
	wait_pid "$srv" 30
	log "server read on $1: $(od -An -c "$work/got.$1" | tr -s ' ' | tr '\n' ' ')"
}

stop_app() {
	kill -INT "$app"
	wait_pid "$app" 30
}

# obs_start LABEL: evtrace in the router beside the app, a passive
# consumer: the streams mos gives it go to $work/obs/PORT.cli and .svr
obs_start() {
	rm -rf "$work/obs"
	mkdir -p "$work/obs"
	ip netns exec "$R" "$PROJ/build/selftests/evtrace" -d "$work/obs" \
		>"$work/obs.ev" 2>"$work/obs.err" &
	obs=$!
	pids+=("$obs")
	t_check "$1" wait_ready "$work/obs.err" "$obs"
}

# obs_stop: once its streams have not grown for 2 s (30 s at most)
obs_stop() {
	local prev=-1 cur same=0

	for _ in $(seq 1 30); do
		cur=$(cat "$work"/obs/* 2>/dev/null | wc -c)
		if [ "$cur" = "$prev" ]; then
			same=$((same + 1))
			[ $same -ge 2 ] && break
		else
			same=0
		fi
		prev=$cur
		nap 1
	done
	kill -INT "$obs"
	wait_pid "$obs" 30
}

# obs_stream PORT: the server's stream as the observer got it, in hex
obs_stream() {
	od -An -tx1 "$work/obs/$1.svr" 2>/dev/null | tr -d ' \n'
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline
t_eq "verdict settings' defaults" "verdict-timeout 1000|verdict-policy accept|held-max 1024" \
	"$("$MOSCTL" -n "$R" ns show | grep -E '^(verdict|held)' | tr '\n' '|' | sed 's/|$//')"

# The ASan app on the sanitizer kernel may take more than the default
# second to answer: the cases that expect every verdict in time wait 10 s
if [ -e /sys/kernel/debug/kmemleak ]; then
	t_check "set verdict-timeout 10000 (sanitizer kernel)" \
		"$MOSCTL" -n "$R" set verdict-timeout 10000
fi

# --- 1. IPS: the marker's segments are dropped, each retransmission too
obs_start "ips: the observer started"
start_app "ips: verdict_app started" ips "$MARK"
r0=$(retrans)
run 7001 3
t_eq "ips: the server read hello and nothing after it" "hello" \
	"$(cat "$work/got.7001")"
# mos tracks the server's side as the packets leave: the dropped
# segments never reach its stream, nor "after" (behind the hole).  (Once
# the app stops, the client's next retransmission goes through.)
obs_stop
# The client's kernel retransmits until the app stops: count after
stop_app
t_eq "ips: verdict_app exits 0 on SIGINT" 0 "$?"
t_eq "ips: the observer's server stream is what the server read" \
	"$(od -An -tx1 "$work/got.7001" | tr -d ' \n')" "$(obs_stream 7001)"
t_eq "ips: the observer saw no marker byte" 0 \
	"$(grep -c "$MARK" "$work/obs/7001.svr" 2>/dev/null)"
ndrop=$(grep -c '^drop ' "$work/app.out")
t_check "ips: the client retransmitted the marker's segment" \
	test $(($(retrans) - r0)) -ge 1
t_check "ips: the app dropped the segment and its retransmissions ($ndrop)" \
	test "$ndrop" -ge 2
t_eq "ips: every drop the app asked is counted" "$ndrop" \
	"$(mos_stat "$R" verdict_drop)"
t_eq "ips: one sequence number dropped, again and again" 1 \
	"$(awk '/^drop /{print $2}' "$work/app.out" | sort -u | wc -l)"
t_eq "ips: no verdict refused, none late" "0 0" \
	"$(mos_stat "$R" verdict_bad) $(mos_stat "$R" verdict_timeout)"
t_no_sanitizer "verdict_app ips" "$work/app.err"

# --- 2. rewrite: the marker's bytes and the TOS, checksums updated
NEW="REWRITTEN!!"
ip netns exec "$S" nft -f - <<'NFT'
table ip vd {
	chain in {
		type filter hook input priority 0;
		tcp dport 7004 ip dscp cs1 counter
	}
}
NFT
m0=$(mos_stat "$R" verdict_modified)
obs_start "rewrite: the observer started"
start_app "rewrite: verdict_app started" rewrite "$MARK" "$NEW"
run 7004 1
t_eq "rewrite: the server read the new bytes (checksums right)" \
	"hello|$NEW|after" "$(tr '\n' '|' <"$work/got.7004" | sed 's/|$//')"
obs_stop
t_eq "rewrite: the observer's server stream is what the server read" \
	"$(od -An -tx1 "$work/got.7004" | tr -d ' \n')" "$(obs_stream 7004)"
t_eq "rewrite: mtcp_getlastpkt() showed the new bytes and TOS" \
	"tos 0x20 $NEW" "$(sed -n 's/^rewrote [0-9]* //p' "$work/app.out" | sort -u)"
t_eq "rewrite: the server got one packet with the new TOS (DSCP CS1)" 1 \
	"$(ip netns exec "$S" nft list chain ip vd in |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"
t_eq "rewrite: modified verdicts counted, one per rewritten packet" \
	"$(grep -c '^rewrote ' "$work/app.out")" \
	$(($(mos_stat "$R" verdict_modified) - m0))
stop_app
t_eq "rewrite: verdict_app exits 0 on SIGINT" 0 "$?"
t_no_sanitizer "verdict_app rewrite" "$work/app.err"

# --- 2. a verdict that does not come in time: accept policy
# The timeout, the callback's sleep and the client's pause before "after"
# (longer than the sleep, so that "after" is answered in time): longer on
# the sanitizer kernel, where the ASan app answers more slowly
VT=300 SLEEP=1500 PAUSE=2.5
[ -e /sys/kernel/debug/kmemleak ] && VT=3000 SLEEP=6000 PAUSE=7
t_check "set verdict-timeout $VT" "$MOSCTL" -n "$R" set verdict-timeout "$VT"
t0=$(mos_stat "$R" verdict_timeout)
b0=$(mos_stat "$R" verdict_bad)
start_app "sleep: verdict_app started" sleep "$MARK" "$SLEEP"
run 7002 "$PAUSE"
t_eq "sleep: the server read everything" "hello|$MARK|after" \
	"$(tr '\n' '|' <"$work/got.7002" | sed 's/|$//')"
t_eq "sleep: exactly one verdict timed out" 1 \
	$(($(mos_stat "$R" verdict_timeout) - t0))
t_eq "sleep: the late verdict is no error" 0 $(($(mos_stat "$R" verdict_bad) - b0))
t_eq "sleep: the callback slept once" "sleep|awake" \
	"$(tr '\n' '|' <"$work/app.out" | sed 's/|$//')"
stop_app
t_eq "sleep: verdict_app exits 0 on SIGINT" 0 "$?"
t_no_sanitizer "verdict_app sleep" "$work/app.err"

# --- 3. a consumer killed with a packet held releases it at once
t_check "set verdict-timeout 60000" "$MOSCTL" -n "$R" set verdict-timeout 60000
h0=$(mos_stat "$R" held_released)
start_app "hang: verdict_app started" hang "$MARK"
ip netns exec "$S" python3 "$work/sink.py" 7003 "$work/got.7003" "$IDLE" &
srv=$!
pids+=("$srv")
wait_listen "$S" 7003
ip netns exec "$C" timeout 30 python3 "$work/client.py" 7003 "$MARK" 4 &
cli=$!
pids+=("$cli")
# Until the callback of the marker's packet runs and the packet is held
# (held_now), 20 s at most
for _ in $(seq 1 200); do
	grep -q '^hang' "$work/app.out" &&
		[ "$(mos_stat "$R" held_now)" -gt 0 ] && break
	nap 0.1
done
t_eq "hang: while held, the server has read hello only" "hello" \
	"$(tr -d '\n' <"$work/got.7003")"
kill -KILL "$app"
wait "$app" 2>/dev/null
wait_pid "$cli" 30
wait_pid "$srv" 30
t_eq "hang: released, the connection went on" "hello|$MARK|after" \
	"$(tr '\n' '|' <"$work/got.7003" | sed 's/|$//')"
t_eq "hang: one packet released by the killed consumer" 1 \
	$(($(mos_stat "$R" held_released) - h0))

log "stats: $("$MOSCTL" -n "$R" stats | grep -E '^(held|verdict)' | tr '\n' ' ')"
t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
