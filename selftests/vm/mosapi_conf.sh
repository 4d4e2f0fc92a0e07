#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mosapi_conf.sh - an mOS application (selftests/lib/mosapi_conf, ASan
# build, two contexts) live on real TCP connections through a router, and
# offline on the router's capture of the same packets: the same callbacks
# for each flow
#
#   +-----------+        +-----------------------------+        +-----------+
#   | mc-c      |  veth  | mc-r (mos passive)          |  veth  | mc-s      |
#   | 10.0.1.2  |--------| mosapi_conf -c 2 -d unspec  |--------| 10.0.2.2  |
#   | fd00:1::2 | c0  r0 | tcpdump -i any -Q in        | r1  s0 | fd00:2::2 |
#   +-----------+        +-----------------------------+        +-----------+
#
# The client opens, from fixed ports, connections to port 9000: four over
# IPv4 and two over IPv6 that send a request, read the answer and close
# normally, one over IPv4 that it resets.  Segmentation offloads and GRO
# are off and the endpoints compute their checksums, so the capture holds
# the segments mos saw, as they were.
#
# Compared per flow: every callback's event, hook, side, both ends, both
# states, uctx, and for NEW_DATA the bytes peeked and the buffer's
# offsets; not the times, not the context (the split's hash key differs
# between the kernel and the offline backend), not the order between
# flows.

. "$(dirname "$0")/../lib/lib.sh"

C=mc-c-$$ R=mc-r-$$ S=mc-s-$$
CONF=$PROJ/build/selftests/mosapi_conf
work=$(mktemp -d)
pids=()
defer_teardown pids
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

# server.py: on port 9000, IPv4 and IPv6: read until the client's FIN,
# answer "bye", close
cat >"$work/server.py" <<'PYEOF'
import socket, threading
l = socket.socket(socket.AF_INET6)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l.bind(("::", 9000))
l.listen(16)

def serve(c):
    try:
        while c.recv(1000):
            pass
        c.sendall(b"bye")
    except OSError:
        pass
    c.close()

print("listening", flush=True)
while True:
    threading.Thread(target=serve, args=(l.accept()[0],), daemon=True).start()
PYEOF

# client.py: the connections, one after the other
cat >"$work/client.py" <<'PYEOF'
import socket, struct, time

def conn(fam, src, dst, port):
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, port))
    s.connect((dst, 9000))
    return s

for fam, src, dst, ports in ((socket.AF_INET, "10.0.1.2", "10.0.2.2",
                              (41001, 41002, 41003, 41004)),
                             (socket.AF_INET6, "fd00:1::2", "fd00:2::2",
                              (41011, 41012))):
    for p in ports:
        s = conn(fam, src, dst, p)
        s.sendall(b"request %d" % p)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(10)
        assert s.recv(10) == b"bye"
        s.close()
        time.sleep(0.2)
s = conn(socket.AF_INET, "10.0.1.2", "10.0.2.2", 41005)
s.sendall(b"x")
time.sleep(0.5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("done", flush=True)
PYEOF

# per_flow FILE: FILE's callback lines without the context, dt and mts,
# grouped by flow (in their order within it), flows sorted
per_flow() {
	python3 - "$1" <<'PYEOF'
import sys, collections
flows = collections.OrderedDict()
for line in open(sys.argv[1]):
    w = line.split()
    if len(w) < 5 or not w[0].startswith("C") or w[1] == "TIMER":
        continue
    keep = [x for x in w[1:] if not x.startswith(("dt=", "mts="))]
    flows.setdefault(w[4], []).append(" ".join(keep))
for f in sorted(flows):
    print("\n".join(flows[f]))
PYEOF
}

ktap_begin
for tool in tcpdump ethtool; do
	command -v $tool >/dev/null || { echo "# $tool missing"; exit "$KSFT_SKIP"; }
done
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
for nd in "$C c0" "$R r0" "$R r1" "$S s0"; do
	read -r ns dev <<<"$nd"
	ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1
done
ip netns exec "$C" ethtool -K c0 tx off >/dev/null 2>&1
ip netns exec "$S" ethtool -K s0 tx off >/dev/null 2>&1
t_check "enable the router, passive" "$MOSCTL" -n "$R" ns enable

ip netns exec "$S" python3 "$work/server.py" >"$work/server.out" 2>&1 &
pids+=($!)
wait_listen "$S" 9000

ip netns exec "$R" tcpdump -i any -Q in -s 0 -B 16384 -Z root \
	-w "$work/cap.pcap" tcp 2>"$work/tcpdump.err" &
dump=$!
pids+=("$dump")
for _ in $(seq 1 100); do
	grep -q 'listening on' "$work/tcpdump.err" && break
	nap 0.1
done

ip netns exec "$R" "$CONF" -c 2 -d unspec >"$work/live.out" 2>"$work/live.err" &
mc=$!
pids+=("$mc")
wait_ready "$work/live.err" "$mc"
t_eq "mosapi_conf started, two contexts" "mosapi_conf: 2 contexts, ready" \
	"$(cat "$work/live.err")"

t_eq "the client's connections all ran" done \
	"$(ip netns exec "$C" timeout 120 python3 "$work/client.py" 2>&1)"
# The last ACKs through the router, the records read
nap 3
kill -INT "$mc"
wait_pid "$mc" 60
t_eq "mosapi_conf exits 0 on SIGINT" 0 "$?"
t_no_sanitizer "mosapi_conf, live" "$work/live.err"
nap 1.5
kill -INT "$dump"
wait "$dump"
t_eq "capture complete" 0 \
	"$(awk '/packets dropped by kernel/ { print $1 }' "$work/tcpdump.err")"

MOS_PCAP=$work/cap.pcap "$CONF" -c 2 -d unspec >"$work/off.out" 2>"$work/off.err"
t_eq "mosapi_conf offline on the capture exits 0" 0 "$?"
t_no_sanitizer "mosapi_conf, offline" "$work/off.err"

flows_of() {
	awk 'NF > 4 && $1 ~ /^C[0-9]/ && $2 != "TIMER" { print $5 }' "$1" | sort -u | paste -sd'|'
}
all=$(for p in 41001 41002 41003 41004 41005; do echo "10.0.1.2:$p>10.0.2.2:9000"; done
      for p in 41011 41012; do echo "[fd00:1::2]:$p>[fd00:2::2]:9000"; done)
all=$(echo "$all" | sort | paste -sd'|')
t_eq "live: the seven flows" "$all" "$(flows_of "$work/live.out")"
t_eq "live: each flow in one context" "$all" \
	"$(awk 'NF > 4 && $1 ~ /^C[0-9]/ && $2 != "TIMER" { print $1, $5 }' "$work/live.out" | sort -u | awk '{ print $2 }' | sort | paste -sd'|')"
log "live, flows per context: $(awk 'NF > 4 && $1 ~ /^C[0-9]/ { print $1, $5 }' "$work/live.out" | sort -u | awk '{ print $1 }' | uniq -c | tr -s ' \n' ' ')"
t_eq "live: each flow's both sides end at both hooks" \
	"$(for _ in $(seq 1 7); do printf 'CONN_END RCV cli,CONN_END RCV svr,CONN_END SND cli,CONN_END SND svr,|'; done)" \
	"$(for f in $(flows_of "$work/live.out" | tr '|' ' '); do
		awk -v f="$f" '$5 == f && $2 == "CONN_END" { print $2, $3, $4 }' "$work/live.out" | sort | tr '\n' ','; printf '|'; done)"
per_flow "$work/live.out" >"$work/live.flows"
per_flow "$work/off.out" >"$work/off.flows"
log "live: $(wc -l <"$work/live.flows") callbacks; offline: $(wc -l <"$work/off.flows")"
t_check "live: callbacks for every flow, seen by both runs" test -s "$work/live.flows"
t_eq "live and offline: the same callbacks for each flow" "" \
	"$(diff "$work/live.flows" "$work/off.flows" | head -n 20)"

t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
