# SPDX-License-Identifier: GPL-2.0
#
# stress_lib.sh - helpers of the stress tests (make check-stress), sourced
# after lib.sh: the two-namespace topology, the connection holder, the
# counting consumer, waiting on counters.

HOLD=$PROJ/build/selftests/connhold
RINGCOUNT=$PROJ/build/selftests/ringcount
SYNFLOOD=$PROJ/build/selftests/synflood
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}

# The sanitizer kernel is several times slower: smaller loads there
DEBUG_KERNEL=0
[ -e /sys/kernel/debug/kmemleak ] && DEBUG_KERNEL=1

# stress_teardown: defer what a stress test leaves behind: connhold,
# ringcount, the namespaces, the module, the work directory $work
stress_teardown() {
	defer_teardown RC_PID
	defer eval 'hold_end 2>/dev/null'
}

# stress_topology C S NSRC: client C and server S on a veth pair,
#   C: 10.0.9.1 and 10.0.9.11 .. 10.0.9.(10 + NSRC) on c0
#   S: 10.0.9.2 on s0, permanent neighbour entries for all of them
# with the sysctls many connections need on both ends.
stress_topology() {
	local c=$1 s=$2 n=$3 i
	ns_new "$c" && ns_new "$s" || return 1
	link "$c" c0 1 "$s" s0 2 9 || return 1
	for i in $(seq 1 "$n"); do
		echo "addr add 10.0.9.$((10 + i))/24 dev c0"
	done | ip -force -n "$c" -batch -
	for i in $(seq 1 "$n"); do
		echo "neigh add 10.0.9.$((10 + i)) lladdr 02:00:00:00:09:01 dev s0 nud permanent"
	done | ip -force -n "$s" -batch -
	ip netns exec "$c" sh -c '
		echo "1024 65535" >/proc/sys/net/ipv4/ip_local_port_range
		echo 0 >/proc/sys/net/ipv4/tcp_fin_timeout 2>/dev/null
		echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse'
	ip netns exec "$s" sh -c '
		echo 65535 >/proc/sys/net/core/somaxconn
		echo 65535 >/proc/sys/net/ipv4/tcp_max_syn_backlog'
	# The guest's kernel (global): 100000 sockets closed at once are
	# orphans for a while; past this limit TCP kills them, some silently
	echo 262144 >/proc/sys/net/ipv4/tcp_max_orphans
	# A veth delivers through the per-CPU backlog, which drops past
	# this length (softnet_stat's second column).  100000 sockets' FINs
	# and their retransmissions leave together: with the default 1000
	# the 6.1 guest dropped every retransmission of 64650 FINs, and the
	# server never saw them closed.
	echo 262144 >/proc/sys/net/core/netdev_max_backlog
}

# softnet_drops: packets the backlogs of all CPUs dropped, since boot
softnet_drops() {
	local d sum=0

	while read -r _ d _; do
		sum=$((sum + 16#$d))
	done </proc/net/softnet_stat
	echo "$sum"
}

# client_addrs NSRC: the client's source addresses
client_addrs() {
	local i
	for i in $(seq 1 "$1"); do
		printf '10.0.9.%d ' $((10 + i))
	done
}

# hold_start NS DIR ARGS...: connhold client ARGS in NS, commands through
# DIR/hold.in, answers in DIR/hold.out; HOLD_PID set
hold_start() {
	local ns=$1 dir=$2
	shift 2
	mkfifo "$dir/hold.in"
	ip netns exec "$ns" "$HOLD" client "$@" <"$dir/hold.in" >"$dir/hold.out" 2>&1 &
	HOLD_PID=$!
	exec {HOLD_FD}>"$dir/hold.in"
	HOLD_DIR=$dir
}

# hold_wait WORD SECONDS: the value after WORD in connhold's last answer
# that has WORD, once there is one
hold_wait() {
	local end=$((SECONDS + $2)) line
	while [ $SECONDS -lt $end ]; do
		line=$(grep "^$1 " "$HOLD_DIR/hold.out" | tail -n 1)
		if [ -n "$line" ]; then
			echo "$line"
			return 0
		fi
		kill -0 "$HOLD_PID" 2>/dev/null || break
		nap 0.5
	done
	log "connhold: no '$1' answer: $(tail -n 3 "$HOLD_DIR/hold.out")"
	return 1
}

# hold_cmd CMD: send connhold a command
hold_cmd() {
	echo "$1" >&"$HOLD_FD"
}

# hold_end: end connhold (its input closes)
hold_end() {
	[ -n "${HOLD_FD:-}" ] && exec {HOLD_FD}>&-
	HOLD_FD=
	[ -n "${HOLD_PID:-}" ] && wait_pid "$HOLD_PID" 120
	HOLD_PID=
}

# rc_start NS OUT ARGS...: ringcount ARGS in NS, its summary in OUT;
# returns once it is ready.  RC_PID set.
rc_start() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$RINGCOUNT" "$@" >"$out" 2>"$out.err" &
	RC_PID=$!
	RC_OUT=$out
	local end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ]; do
		grep -q 'ringcount: ready' "$out.err" && return 0
		kill -0 "$RC_PID" 2>/dev/null || break
		nap 0.2
	done
	log "ringcount did not start: $(cat "$out.err")"
	return 1
}

# rc_stop: stop ringcount; its counters in the associative array RC
declare -A RC
rc_stop() {
	local k v
	RC=()
	[ -n "${RC_PID:-}" ] || return 1
	kill -TERM "$RC_PID" 2>/dev/null
	wait_pid "$RC_PID" 300
	RC_PID=
	set -- $(tail -n 1 "$RC_OUT")
	while [ $# -ge 2 ]; do
		k=$1 v=$2
		shift 2
		# starts and ends carry two values: client, server
		if [ "$k" = starts ] || [ "$k" = ends ]; then
			RC[${k}_cli]=$v
			RC[${k}_svr]=$1
			shift
		else
			RC[$k]=$v
		fi
	done
	log "ringcount: $(tail -n 1 "$RC_OUT")"
	t_no_sanitizer "ringcount" "$RC_OUT.err"
}

# flood_connect NS DIR NEW SENT SYNFLOOD-ARGS...: synflood SYNFLOOD-ARGS in
# NS in the background while NEW connections from 10.0.9.11 open to
# 10.0.9.2:5002 (connhold in DIR) and each sends 16 bytes; checks that
# all connected and sent, and that the flood sent SENT packets
flood_connect() {
	local ns=$1 dir=$2 new=$3 sent=$4 flood t1
	shift 4
	ip netns exec "$ns" "$SYNFLOOD" "$@" >"$dir/flood.out" 2>&1 &
	flood=$!
	nap 0.5
	hold_start "$ns" "$dir" 10.0.9.2 5002 "$new" 10.0.9.11
	t1=$SECONDS
	t_eq "$new new connections open" "connected $new failed 0" \
		"$(hold_wait connected 300)"
	log "$new connections opened in $((SECONDS - t1)) s"
	if kill -0 $flood 2>/dev/null; then
		log "the flood was still running when all $new had connected"
	else
		log "the flood had ended when all $new had connected"
	fi
	hold_cmd "send 16"
	t_eq "16 bytes sent on each" "sent $((new * 16))" "$(hold_wait sent 300)"
	wait $flood
	t_eq "the flood sent" "sent $sent" "$(cat "$dir/flood.out")"
}

# new_tracked NS NEW BYTES0 BYTES ATTACK: the NEW connections to :5002 are
# all listed in NS's flows, and bytes_c2s went from BYTES0 to BYTES
new_tracked() {
	local n

	n=$("$MOSCTL" -n "$1" flows | grep -c -- '-> 10.0.9.2:5002 ')
	log "new connections tracked under $5: $n/$2"
	t_eq "all $2 new connections tracked" "$2" "$n"
	t_eq "their bytes all counted" $(($3 + $2 * 16)) "$4"
}

# wait_stat NS KEY OP VALUE SECONDS: until "mosctl stats" KEY OP VALUE
# (OP as test(1): -eq, -ge, -le ...); prints the last value
wait_stat() {
	local end=$((SECONDS + $5)) v
	while :; do
		v=$(mos_stat "$1" "$2")
		[ "${v:-0}" "$3" "$4" ] && break
		[ $SECONDS -ge $end ] && { echo "${v:-0}"; return 1; }
		nap 1
	done
	echo "$v"
}

# slab_object_size: the bytes of one flow object (the mos_flow cache)
slab_object_size() {
	cat /sys/kernel/slab/mos_flow/object_size 2>/dev/null ||
		awk '$1 == "mos_flow" { print $4 }' /proc/slabinfo
}
