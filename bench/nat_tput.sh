#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nat_tput.sh - held packets against NFQUEUE, in one boot: throughput of
# one bulk TCP transfer, and time per round of a request/response
# ping-pong, through an inline router.  Run in the VM:
#
#   tools/vm/run --kernel 6.1 -- bench/nat_tput.sh [MiB [ROUNDS]]
#
#   client 10.0.1.2 -- router (mos inline) -- server 10.0.2.2
#
# Bulk transfers (MiB MiB, socat to a sink), mos inline:
#   inline      no consumer
#   accept-all  verdict_app ips with a marker that never comes (every
#               packet held, its callback searches the payload, accepted;
#               an ASan build)
#   accept      bench's verdict_app accept (every packet held, its
#               callback returns at once; no sanitizers)
#   nat         samples/nat (every packet held, both headers rewritten)
# then mos disabled in the router, its packets of the test port queued
# instead (nft "queue" in prerouting, where mos holds them):
#   off         nothing queued
#   nfq-accept  bench/nfq_app accept (libnetfilter_queue, NF_ACCEPT)
#   nfq-nat     bench/nfq_app nat (the same translation as nat)
# Ping-pong (ROUNDS rounds of a 64-byte request and its 64-byte answer on
# one TCP connection, TCP_NODELAY at both ends): lat-inline and lat-accept
# (mos inline, no consumer; verdict_app accept), lat-off and lat-nfq (mos
# disabled; nothing queued; nfq_app accept).
#
# Prints a line per case: "case MiB seconds MiB/s held N peer ADDR:PORT"
# (held: packets held by mos or queued by NFQUEUE during the case; peer:
# the client as the server saw it), or "case rounds N seconds S us/round
# U held N".  Each case is a phase of the guest-instruction profiler
# (tools/vm/prof mark: nothing without it); a ping-pong's phase is its
# rounds only:
#
#   tools/vm/run --profile DIR --kernel 6.1 -- bench/nat_tput.sh 8
#   tools/vm/prof-report DIR --kv
#
# Needs make nat-bench-bins.  Fails if a transfer does not deliver its
# bytes, or a consumer reports a failure.

. "$(dirname "$0")/../selftests/lib/lib.sh"

C=nt-c-$$ R=nt-r-$$ S=nt-s-$$
work=$(mktemp -d)
pids=()
defer_teardown pids
MB=${1:-16}
ROUNDS=${2:-1000}
PORT=7200
NFQ=$PROJ/build/bench/nfq_app
VAPP=$PROJ/build/bench/verdict_app
fail=0

for b in "$NFQ" "$VAPP" "$PROJ/build/bin/nat" "$PROJ/build/selftests/verdict_app"; do
	[ -x "$b" ] || { echo "# $b missing (make nat-bench-bins)"; exit 1; }
done

cat >"$work/sink.py" <<'PYEOF'
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.0.2.2", int(sys.argv[1])))
l.listen(1)
c, peer = l.accept()
n = 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    n += len(b)
print(n, "%s:%d" % peer)
PYEOF

# The ping-pong: "server PORT" answers each 64-byte request with the same
# 64 bytes; "client PORT ROUNDS PHASE PROF COUNT" connects, marks PHASE
# (the profiler), runs ROUNDS rounds, marks between-PHASE; COUNT (a shell
# command printing the held packets) runs before and after
cat >"$work/pingpong.py" <<'PYEOF'
import socket, subprocess, sys, time
MSG = 64
def full(s, n):
    b = b""
    while len(b) < n:
        r = s.recv(n - len(b))
        if not r:
            raise SystemExit("pingpong: connection closed")
        b += r
    return b
if sys.argv[1] == "server":
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("10.0.2.2", int(sys.argv[2])))
    l.listen(1)
    c, _ = l.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        b = c.recv(MSG)
        if not b:
            break
        c.sendall(b + full(c, MSG - len(b)))
    sys.exit(0)
port, rounds, phase, prof, count = sys.argv[2:7]
rounds = int(rounds)
s = socket.create_connection(("10.0.2.2", int(port)))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = bytes(range(MSG))
s.sendall(req)
if full(s, MSG) != req:
    raise SystemExit("pingpong: wrong answer")
h0 = int(subprocess.check_output(count, shell=True))
subprocess.check_call([prof, "mark", phase])
t0 = time.perf_counter()
for i in range(rounds):
    s.sendall(req)
    if full(s, MSG) != req:
        raise SystemExit("pingpong: wrong answer")
t1 = time.perf_counter()
subprocess.check_call([prof, "mark", "between-" + phase])
h1 = int(subprocess.check_output(count, shell=True))
s.close()
print("%s rounds %d seconds %.3f us/round %.1f held %d" %
      (phase, rounds, t1 - t0, (t1 - t0) * 1e6 / rounds, h1 - h0))
PYEOF

# The packets held by mos in the router, or queued by NFQUEUE there (the
# id_sequence of /proc/net/netfilter/nfnetlink_queue: 0 without a queue)
COUNT_MOS="$MOSCTL -n $R stats | sed -n 's/^held //p'"
COUNT_NFQ="ip netns exec $R awk '{ n += \$8 } END { print n + 0 }' /proc/net/netfilter/nfnetlink_queue"
count=$COUNT_MOS

# xfer LABEL [PEER]: MB MiB client to server, timed at the client (until
# the server's close); the server must have seen the client as PEER
# (ADDR:PORT, default 10.0.1.2 and any port)
xfer() {
	local srv t0 t1 h0 h1 n peer pat
	ip netns exec "$S" python3 "$work/sink.py" "$PORT" >"$work/n" &
	srv=$!
	wait_listen "$S" "$PORT"
	h0=$(eval "$count")
	"$PROJ/tools/vm/prof" mark "$1"
	t0=$(date +%s.%N)
	head -c $((MB << 20)) /dev/zero |
		ip netns exec "$C" timeout 120 socat -u - TCP:10.0.2.2:$PORT
	wait_pid "$srv" 120
	t1=$(date +%s.%N)
	"$PROJ/tools/vm/prof" mark "between-$1"
	h1=$(eval "$count")
	read -r n peer <"$work/n"
	if [ "${n:-0}" != $((MB << 20)) ]; then
		echo "# $1: the server received ${n:-nothing}, not $((MB << 20)) bytes"
		fail=1
	fi
	pat=${2:-10.0.1.2:*}
	# shellcheck disable=SC2254
	case "${peer:-none}" in
	$pat) ;;
	*)	echo "# $1: the server saw the client as ${peer:-none}, not ${2:-10.0.1.2}"
		fail=1 ;;
	esac
	echo "$1 ${n:-0} $t0 $t1 $((h1 - h0)) ${peer:-none}" |
		awk '{ s = $4 - $3; printf "%s %.0f MiB %.2f s %.2f MiB/s held %d peer %s\n",
			$1, $2 / 1048576, s, $2 / 1048576 / s, $5, $6 }'
}

# lat LABEL: the ping-pong, ROUNDS rounds
lat() {
	local srv
	ip netns exec "$S" python3 "$work/pingpong.py" server "$PORT" &
	srv=$!
	wait_listen "$S" "$PORT"
	ip netns exec "$C" timeout 600 python3 "$work/pingpong.py" client "$PORT" \
		"$ROUNDS" "$1" "$PROJ/tools/vm/prof" "$count" || fail=1
	wait_pid "$srv" 60 || fail=1
}

# start PHASE COMMAND...: a consumer in the router, until it says
# "ready"; its mappings saved for the profile of PHASE (its functions
# named there)
start() {
	local name=$1
	shift
	ip netns exec "$R" "$@" >"$work/$name.out" 2>"$work/$name.err" &
	app=$!
	pids+=("$app")
	wait_ready "$work/$name.err" "$app" || { cat "$work/$name.err"; exit 1; }
	MOS_PROF_PHASE=$name "$PROJ/tools/vm/prof" maps "$app"
}

# stop NAME: end the consumer; its output, a failure counted
stop() {
	kill -INT "$app"
	wait "$app" || { echo "# $1 failed"; fail=1; }
	cat "$work/$1.out"
	grep -v ready "$work/$1.err"
}

mos_load || exit 1
router_topology "$C" "$R" "$S" || exit 1
ip netns exec "$R" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.r0.rp_filter=0
"$MOSCTL" -n "$R" ns enable inline || exit 1

xfer inline

MOS_VERDICT=1 start accept-all "$PROJ/build/selftests/verdict_app" ips NEVER-SEEN-MARKER
xfer accept-all
stop accept-all

MOS_VERDICT=1 start accept "$VAPP" accept -
xfer accept
stop accept

# A packet nat does not translate must not leave: the policy drops it
"$MOSCTL" -n "$R" set verdict-policy drop
MOS_VERDICT=1 start nat "$PROJ/build/bin/nat" -i 10.0.9.1
xfer nat 10.0.9.1:1025
stop nat
"$MOSCTL" -n "$R" set verdict-policy accept

lat lat-inline
MOS_VERDICT=1 start lat-accept "$VAPP" accept -
lat lat-accept
stop lat-accept
"$MOSCTL" -n "$R" stats | grep -E '^(held|verdict|flow_alias)'

# NFQUEUE: mos out of the way, the same packets queued where mos holds
# them (mos: NF_IP_PRI_CONNTRACK_DEFRAG + 50)
"$MOSCTL" -n "$R" ns disable || exit 1
modprobe -a nft_queue nfnetlink_queue || exit 1
count=$COUNT_NFQ
xfer off
lat lat-off

ip netns exec "$R" nft -f - <<NFT || exit 1
table inet nfqbench {
	chain pre {
		type filter hook prerouting priority -350; policy accept;
		tcp dport $PORT queue num 0
		tcp sport $PORT queue num 0
	}
}
NFT
# queue_number portid queue_total copy_mode copy_range queue_dropped
# user_dropped id_sequence 1
start nfq-accept "$NFQ" accept
xfer nfq-accept
ip netns exec "$R" cat /proc/net/netfilter/nfnetlink_queue
stop nfq-accept

start lat-nfq "$NFQ" accept
lat lat-nfq
ip netns exec "$R" cat /proc/net/netfilter/nfnetlink_queue
stop lat-nfq

start nfq-nat "$NFQ" nat -i 10.0.9.1
xfer nfq-nat 10.0.9.1:1025
ip netns exec "$R" cat /proc/net/netfilter/nfnetlink_queue
stop nfq-nat
"$PROJ/tools/vm/prof" mark end
ip netns exec "$R" nft delete table inet nfqbench

ns_cleanup
mos_unload
exit $fail
