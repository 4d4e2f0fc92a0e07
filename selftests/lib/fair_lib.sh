# SPDX-License-Identifier: GPL-2.0
#
# fair_lib.sh - what fairness.sh and stress_fair.sh share: flows that
# hold bytes behind holes (oooflood.py) against real TCP downloads that
# need the out-of-order store, through a router that monitors them
#
#   +----------------+       +---------------------+  netem  +-----------+
#   | client C       |       | router R (mos on)   | reorder | server S  |
#   |  real TCP:     |--c0---|  evtrace -c: bytes  |---s0----|  socat    |
#   |  downloads     |   r0  |  mos delivered per  | r1      |  sends    |
#   |  oooflood.py   |       |  flow               |         |  files;   |
#   |  (AF_PACKET,   |       | 10.0.1.3 -> c0      |         |  a holder |
#   |  from 10.0.1.3)|       |  (neighbour entry)  |         |  never    |
#   +----------------+       +---------------------+         |  reads    |
#                                                            +-----------+
#
# Needs lib.sh, $C $R $S $work.

# fair_setup: the topology; reordering on the server's egress, so the
# router sees the downloads out of order; 10.0.1.3 routed back to c0 and
# dropped there (the client's kernel never answers for it)
fair_setup() {
	router_topology "$C" "$R" "$S" || return 1
	ip -n "$R" neigh add 10.0.1.3 lladdr 02:00:00:00:01:02 dev r0 nud permanent
	ip netns exec "$C" nft -f - <<-EOF
	table ip fair {
		chain pre {
			type filter hook prerouting priority -500; policy accept;
			ip daddr 10.0.1.3 drop
		}
	}
	EOF
	# Segments one by one: a GSO aggregate as large as the download's
	# window would go through netem whole, in order.  Every fourth
	# segment skips the 20 ms the others wait: it overtakes whatever was
	# sent in the 20 ms before it.  A random choice with a shorter delay
	# (25%, 5 ms) once reordered nothing in a whole download on a loaded
	# guest that sent a segment per ACK.
	ip netns exec "$S" ethtool -K s0 tso off gso off >/dev/null 2>&1
	ip netns exec "$S" tc qdisc add dev s0 root netem delay 20ms reorder 100% gap 4
	# The holder: accepts nothing, reads nothing
	ip netns exec "$S" python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9100))
s.listen(4096)
time.sleep(3600)' >/dev/null 2>&1 &
	wait_listen "$S" 9100
}

# fair_flood N FIRST_CPORT: N holders of 63 pieces of 1000 bytes each
# (as much as the server's first window takes); prints "held BYTES"
fair_flood() {
	ip netns exec "$C" python3 "$PROJ/selftests/lib/oooflood.py" "$1" 9100 63 "$2"
}

# fair_evtrace DIR: evtrace on the router, each flow's bytes in DIR.
# evtrace frees a flow's state at its last CONN_END: a flow the kernel
# still tracks when it stops (the holder's) is not a leak to report;
# every other sanitizer report is.
fair_evtrace() {
	mkdir -p "$1"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	ip netns exec "$R" "$PROJ/build/selftests/evtrace" -c -d "$1" \
		>"$1.out" 2>"$1.err" &
	evpid=$!
	wait_ready "$1.err" "$evpid"
}

# fair_stop_evtrace
fair_stop_evtrace() {
	kill -INT "$evpid" 2>/dev/null
	wait_pid "$evpid" 60
}

# fair_download PORT FILE OUT SECONDS: one download of FILE from the
# server's PORT into OUT with a small receive buffer (its window, so
# the bytes it has out of order, stays well under the store's budget);
# false unless it completed within SECONDS
fair_download() {
	local port=$1 file=$2 out=$3 pid
	ip netns exec "$S" socat -u "FILE:$file" "TCP-LISTEN:$port,reuseaddr" \
		>/dev/null 2>&1 &
	pid=$!
	wait_listen "$S" "$port" || return 1
	timeout "$4" ip netns exec "$C" socat -u "TCP:10.0.2.2:$port,rcvbuf=16384" \
		"CREATE:$out" || return 1
	wait_pid $pid 10
}

# fair_delivered DIR PORT: the sha256 of the bytes mos delivered to the
# client side of the flow to PORT (what the server sent)
fair_delivered() {
	local f
	for f in "$1"/*-"$2".cli; do
		[ -f "$f" ] && sha256sum <"$f" | cut -d' ' -f1 && return
	done
	echo none
}
