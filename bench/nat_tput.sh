#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nat_tput.sh - throughput of one bulk TCP transfer through an inline
# router, in one boot: mos inline with no consumer, with an accept-all
# verdict consumer (verdict_app ips with a marker that never comes: every
# packet held, its callback run, accepted) and with samples/nat (every
# packet held and both headers rewritten).  Run in the VM:
#
#   tools/vm/run --kernel 6.1 -- bench/nat_tput.sh [MiB]
#
#   client 10.0.1.2 -- router (mos inline) -- server 10.0.2.2
#
# Prints one line per case: "case MiB seconds MiB/s held".  Each case is a
# phase of the guest-instruction profiler (tools/vm/prof mark: nothing
# without it):
#
#   tools/vm/run --profile DIR --kernel 6.1 -- bench/nat_tput.sh 8
#   tools/vm/prof-report DIR --kv

. "$(dirname "$0")/../selftests/lib/lib.sh"

C=nt-c-$$ R=nt-r-$$ S=nt-s-$$
work=$(mktemp -d)
pids=()
defer_teardown pids
MB=${1:-16}
PORT=7200

cat >"$work/sink.py" <<'PYEOF'
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.0.2.2", int(sys.argv[1])))
l.listen(1)
c, _ = l.accept()
n = 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    n += len(b)
print(n)
PYEOF

# xfer LABEL: MB MiB client to server, timed at the client (until the
# server's close)
xfer() {
	ip netns exec "$S" python3 "$work/sink.py" "$PORT" >"$work/n" &
	local srv=$! t0 t1 h0
	wait_listen "$S" "$PORT"
	h0=$(mos_stat "$R" held)
	"$PROJ/tools/vm/prof" mark "$1"
	t0=$(date +%s.%N)
	head -c $((MB << 20)) /dev/zero |
		ip netns exec "$C" timeout 120 socat -u - TCP:10.0.2.2:$PORT
	wait_pid "$srv" 120
	t1=$(date +%s.%N)
	"$PROJ/tools/vm/prof" mark "between-$1"
	echo "$1 $(cat "$work/n") $t0 $t1 $(($(mos_stat "$R" held) - h0))" |
		awk '{ s = $4 - $3; printf "%s %.0f MiB %.2f s %.2f MiB/s held %d\n",
			$1, $2 / 1048576, s, $2 / 1048576 / s, $5 }'
	"$MOSCTL" -n "$R" stats | grep -E '^(held_full|verdict_timeout|verdict_bad|flow_alias)' |
		tr '\n' ' '
	echo
}

mos_load || exit 1
router_topology "$C" "$R" "$S" || exit 1
ip netns exec "$R" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.r0.rp_filter=0
"$MOSCTL" -n "$R" ns enable inline || exit 1

xfer inline

MOS_VERDICT=1 ip netns exec "$R" "$PROJ/build/selftests/verdict_app" ips \
	NEVER-SEEN-MARKER >/dev/null 2>"$work/va.err" &
app=$!
pids+=("$app")
wait_ready "$work/va.err" "$app" || exit 1
xfer accept-all
kill -INT "$app"
wait "$app"

# A packet nat does not translate must not leave: the policy drops it
"$MOSCTL" -n "$R" set verdict-policy drop
MOS_VERDICT=1 ip netns exec "$R" "$PROJ/build/bin/nat" -i 10.0.9.1 \
	>"$work/nat.out" 2>"$work/nat.err" &
app=$!
pids+=("$app")
wait_ready "$work/nat.err" "$app" || exit 1
xfer nat
kill -INT "$app"
wait "$app"
"$PROJ/tools/vm/prof" mark end
cat "$work/nat.out"
"$MOSCTL" -n "$R" stats | grep -E '^(held|verdict|flow_alias)'
"$MOSCTL" -n "$R" ns disable
ns_cleanup
mos_unload
