#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# failclosed.sh - inline mode fails closed: no limit, allocation failure,
# bad checksum or unparseable header lets a packet past a drop rule; and a
# segment the router itself drops never enters a stream
#
#   +----------+         +---------------------+          +-----------+
#   |  client  |--veth---| router (mos inline) |---veth---|  server   |
#   | 10.0.1.2 |  c0 r0  | 10.0.1.1   10.0.2.1 |  r1  s0  | 10.0.2.2  |
#   | fd00:1::2|         | rule: 9001 drop     |          | echo on   |
#   |          |         | evtrace (streams)   |          | 9000-9003 |
#   +----------+         +---------------------+          +-----------+
#
#   orphan: a connection to 9001 open before monitoring (no flow) is cut
#	once the drop rule is there: its segments run the rules again
#   flow-limit: max-flows 16, filled with established connections (none
#	can be evicted): a client still cannot connect to 9001
#   mem-limit: mos.ko's mem_limit at 1 byte: no flow can be created, and
#	a client still cannot connect to 9001
#   unparsed: a TCP header with a data offset of 4 words (tcpmon's parser
#	refuses it; a router forwards it) does not cross the router by
#	default, and does with "mosctl set unparsed pass"
#   csum: a SYN to 9001 with a bad checksum is dropped; one to 9003 (no
#	rule) is not
#   insertion: crafted segments the router drops itself (IPv4 TTL 1,
#	IPv6 hop limit 1, an IPv4 loose source route option the router
#	refuses) carry other bytes at the sequence numbers of the real
#	data: the stream evtrace gets from mos must be what the server
#	read(), and the crafted ones counted in host_drops
#
# What crossed the router is counted by nft in the server namespace, at
# prerouting before anything else.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx R=rtr-$sfx S=srv-$sfx
work=$(mktemp -d)
bg_pids=()
ev=''
memlim=''
defer_teardown bg_pids
# shellcheck disable=SC2317 # deferred
restore_memlim() {
	[ -n "$memlim" ] && [ -w /sys/module/mos/parameters/mem_limit ] &&
		echo "$memlim" >/sys/module/mos/parameters/mem_limit
	return 0
}
defer restore_memlim
# shellcheck disable=SC2317 # deferred
stop_ev_at_exit() {
	[ -n "$ev" ] && kill -INT "$ev" 2>/dev/null
	return 0
}
defer stop_ev_at_exit

EV=$PROJ/build/selftests/evtrace
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

# The insertion server: every connection's bytes, as read(), go to
# DIR/CPORT once its peer closes
cat >"$work/sink.py" <<'EOF'
import os, socket, sys, threading

def serve(c, peer):
    got = b""
    with c:
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += b
    with open(os.path.join(sys.argv[1], "%d.tmp" % peer[1]), "wb") as f:
        f.write(got)
    os.rename(os.path.join(sys.argv[1], "%d.tmp" % peer[1]),
              os.path.join(sys.argv[1], str(peer[1])))

s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[2])))
s.listen(8)
while True:
    c, peer = s.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
EOF

# client.py HOST PORT TIMEOUT: connect and echo "hello": ok, timeout,
# refused, or what went wrong
# client.py HOST PORT TIMEOUT hold N FILE: N connections that echo, then
# "connected N"; once FILE exists, each echoes again: "echo ok" or
# "echo timeout"; then they stay open until killed
cat >"$work/client.py" <<'EOF'
import os, socket, sys, time

host, port, tmo = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])

def echo(s):
    s.sendall(b"hello")
    got = b""
    while len(got) < 5:
        b = s.recv(5 - len(got))
        if not b:
            break
        got += b
    return got == b"hello"

def conn():
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(tmo)
    s.connect((host, port))
    return s

if sys.argv[4:5] != ["hold"]:
    try:
        s = conn()
        print("ok" if echo(s) else "echo mismatch", flush=True)
    except socket.timeout:
        print("timeout", flush=True)
    except ConnectionRefusedError:
        print("refused", flush=True)
    except OSError as e:
        print("error", e, flush=True)
    sys.exit(0)

n, trig = int(sys.argv[5]), sys.argv[6]
socks = []
for _ in range(n):
    s = conn()
    if echo(s):
        socks.append(s)
print("connected", len(socks), flush=True)
while not os.path.exists(trig):
    time.sleep(0.2)
for s in socks:
    try:
        print("echo ok" if echo(s) else "echo mismatch", flush=True)
    except socket.timeout:
        print("echo timeout", flush=True)
    except OSError as e:
        print("echo error", e, flush=True)
time.sleep(3600)
EOF

# craft.py KIND...: one crafted packet from the client per KIND
#   unparsed  TCP sport 4242 to 10.0.2.2:9003 with a data offset of 4
#   csum-drop SYN sport 4243 to 10.0.2.2:9001 with a bad checksum
#   csum-pass SYN sport 4244 to 10.0.2.2:9003 with a bad checksum
#   insert DIR  connections to 9002 over IPv4 and IPv6, handshake and
#            data crafted here: for each real segment at sequence number
#            X, a crafted one at X with other bytes goes first, dropped
#            by the router (TTL 1, hop limit 1, LSRR); the client's
#            own stack must not answer (its resets are dropped by nft)
cat >"$work/craft.py" <<'EOF'
import sys
from scapy.all import (IP, IPv6, TCP, Raw, IPOption_LSRR, conf, send, sr1)
conf.verb = 0
S4, S6 = "10.0.2.2", "fd00:2::2"

def unparsed():
    p = IP(dst=S4) / TCP(sport=4242, dport=9003, flags="A", seq=1, ack=1,
                         dataofs=4) / Raw(b"x" * 8)
    send(p)

def csum(sport, dport):
    send(IP(dst=S4) / TCP(sport=sport, dport=dport, flags="S", seq=77,
                          chksum=0xbad))

def conn(ip, sport, ins):
    syn = ip() / TCP(sport=sport, dport=9002, flags="S", seq=1000)
    sa = sr1(syn, timeout=10, retry=3)
    if sa is None or TCP not in sa or (sa[TCP].flags & 0x12) != 0x12:
        print("no SYN-ACK on", sport, flush=True)
        return
    ack = sa[TCP].seq + 1
    send(ip() / TCP(sport=sport, dport=9002, flags="A", seq=1001, ack=ack))
    seq = 1001
    for evil, good, how in ins:
        send(how() / TCP(sport=sport, dport=9002, flags="PA", seq=seq,
                         ack=ack) / Raw(evil))
        send(ip() / TCP(sport=sport, dport=9002, flags="PA", seq=seq,
                        ack=ack) / Raw(good))
        seq += len(good)
    send(ip() / TCP(sport=sport, dport=9002, flags="FA", seq=seq, ack=ack))
    print("sent", sport, flush=True)

for k in sys.argv[1:]:
    if k == "unparsed":
        unparsed()
    elif k == "csum-drop":
        csum(4243, 9001)
    elif k == "csum-pass":
        csum(4244, 9003)
    elif k == "insert":
        v4 = lambda: IP(dst=S4)
        conn(v4, 40001, [
            (b"EVIL", b"GOOD", lambda: IP(dst=S4, ttl=1)),
            (b"BAD!", b"FINE", lambda: IP(dst=S4, options=[
                IPOption_LSRR(routers=[S4])])),
        ])
        v6 = lambda: IPv6(dst=S6)
        conn(v6, 40002, [
            (b"evil6", b"good6", lambda: IPv6(dst=S6, hlim=1)),
        ])
EOF

client() {
	ip netns exec "$C" python3 "$work/client.py" "$@"
}

craft() {
	ip netns exec "$C" "$PY" "$work/craft.py" "$@"
}

# arrived SPORT: TCP packets from source port SPORT the server got
arrived() {
	ip netns exec "$S" nft list counter inet fc "p$1" |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

snap() {
	_snap=$("$MOSCTL" -n "$R" stats)
}
# d NAME: counter NAME's change since the last snap
d() {
	echo $(($(mos_stat "$R" "$1") - $(kv "$_snap" "$1")))
}
# hits ID: the hits of rule ID
hits() {
	"$MOSCTL" -n "$R" -j rule list |
		python3 -c 'import json, sys; print([r["hits"] for r in json.load(sys.stdin)["rules"] if r["id"] == int(sys.argv[1])][0])' "$1"
}

ktap_begin
[ -x "$EV" ] || { t_fail "binaries" "$EV missing (make user)"; ktap_end; }
scapy_python
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
ip netns exec "$R" sysctl -qw net.ipv4.conf.all.accept_source_route=0 \
	net.ipv4.conf.r0.accept_source_route=0
mkdir "$work/srv"
ip netns exec "$S" python3 "$SELFTESTS/lib/echo_server.py" 9000 9001 9003 &
bg_pids+=($!)
ip netns exec "$S" python3 "$work/sink.py" "$work/srv" 9002 &
bg_pids+=($!)
wait_listen "$S" 9001 && wait_listen "$S" 9002 || exit 1
ip netns exec "$S" nft -f - <<'NFT'
table inet fc {
	counter p4242 { }
	counter p4243 { }
	counter p4244 { }
	chain pre {
		type filter hook prerouting priority -500; policy accept;
		tcp sport 4242 counter name p4242
		tcp sport 4243 counter name p4243
		tcp sport 4244 counter name p4244
	}
}
NFT
# The crafted connections' client is scapy: the client's stack must not
# reset them
ip netns exec "$C" nft -f - <<'NFT'
table inet fc {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp sport { 40001, 40002 } tcp flags & rst == rst drop
	}
}
NFT

t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline
t_eq "unparsed: drop by default" "drop" \
	"$(kv "$("$MOSCTL" -n "$R" ns show)" unparsed)"
out=$("$MOSCTL" -n "$R" -j rule add 'tcp dst port 9001' action drop)
rid=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$out")
[ -n "$rid" ] && t_ok "rule add 'tcp dst port 9001' drop (id $rid)" ||
	t_fail "rule add 'tcp dst port 9001' drop" "$out"

# --- flow-limit ----------------------------------------------------------
t_check "max-flows 16" "$MOSCTL" -n "$R" set max-flows 16
client 10.0.2.2 9000 10 hold 16 "$work/never" >"$work/hold.out" &
hold=$!
bg_pids+=("$hold")
for _ in $(seq 1 600); do
	grep -q connected "$work/hold.out" && break
	nap 0.1
done
t_eq "flow-limit: 16 established connections through the router" \
	"connected 16" "$(cat "$work/hold.out")"
t_eq "flow-limit: the table is full" 16 "$(mos_stat "$R" flows_active)"
snap
h0=$(hits "$rid")
t_eq "flow-limit: a client cannot connect to 9001" timeout \
	"$(client 10.0.2.2 9001 4)"
n=$(d dropped_noflow)
[ "$n" -ge 1 ] && [ "$(d flow_limit)" -ge "$n" ] &&
	t_ok "flow-limit: its SYNs refused a flow (flow_limit $(d flow_limit)) and dropped (dropped_noflow $n)" ||
	t_fail "flow-limit: its SYNs refused a flow and dropped" \
		"flow_limit $(d flow_limit) dropped_noflow $n"
t_eq "flow-limit: a hit of the rule per SYN dropped" "$n" $(($(hits "$rid") - h0))
t_eq "flow-limit: no flow evicted, none dropped as a flow" "0 0" \
	"$(d flows_evicted) $(d flows_dropped)"
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null

# --- mem-limit -----------------------------------------------------------
t_check "max-flows 65536" "$MOSCTL" -n "$R" set max-flows 65536
memlim=$(cat /sys/module/mos/parameters/mem_limit)
echo 1 >/sys/module/mos/parameters/mem_limit
snap
h0=$(hits "$rid")
t_eq "mem-limit: a client cannot connect to 9001" timeout \
	"$(client 10.0.2.2 9001 4)"
n=$(d dropped_noflow)
[ "$n" -ge 1 ] && [ "$(d mem_limit)" -ge "$n" ] &&
	t_ok "mem-limit: its SYNs refused a flow (mem_limit $(d mem_limit)) and dropped (dropped_noflow $n)" ||
	t_fail "mem-limit: its SYNs refused a flow and dropped" \
		"mem_limit $(d mem_limit) dropped_noflow $n"
t_eq "mem-limit: a hit of the rule per SYN dropped" "$n" $(($(hits "$rid") - h0))
restore_memlim
memlim=
t_eq "mem-limit lifted: 9003 connects" ok "$(client 10.0.2.2 9003 10)"

# --- unparsed ------------------------------------------------------------
snap
craft unparsed
t_eq "unparsed: did not cross the router" 0 "$(arrived 4242)"
t_eq "unparsed: parse_errors, unparsed_drop" "1 1" \
	"$(d parse_errors) $(d unparsed_drop)"
t_check "set unparsed pass" "$MOSCTL" -n "$R" set unparsed pass
t_eq "ns show: unparsed pass" "pass" \
	"$(kv "$("$MOSCTL" -n "$R" ns show)" unparsed)"
craft unparsed
t_eq "unparsed pass: crossed the router" 1 "$(arrived 4242)"
t_eq "unparsed pass: parse_errors, unparsed_drop" "2 1" \
	"$(d parse_errors) $(d unparsed_drop)"
t_check "set unparsed drop" "$MOSCTL" -n "$R" set unparsed drop

# --- csum ----------------------------------------------------------------
snap
h0=$(hits "$rid")
craft csum-drop csum-pass
t_eq "csum: the bad SYN to 9001 did not cross, the one to 9003 did" "0 1" \
	"$(arrived 4243) $(arrived 4244)"
t_eq "csum: csum_bad, dropped_noflow, flows, rule hits" "2 1 0 1" \
	"$(d csum_bad) $(d dropped_noflow) $(d flows) $(($(hits "$rid") - h0))"

# --- insertion -----------------------------------------------------------
mkdir "$work/ev"
ip netns exec "$R" "$EV" -d "$work/ev" -c >"$work/ev.out" 2>"$work/ev.err" &
ev=$!
if wait_ready "$work/ev.err" "$ev"; then
	t_ok "insertion: evtrace started"
else
	t_fail "insertion: evtrace started" "$(cat "$work/ev.err")"
fi
snap
craft insert >"$work/craft.out" 2>&1
t_eq "insertion: both connections sent" "sent 40001|sent 40002" \
	"$(grep -E '^(sent|no)' "$work/craft.out" | paste -sd'|')"
for _ in $(seq 1 300); do
	[ -f "$work/srv/40001" ] && [ -f "$work/srv/40002" ] && break
	nap 0.1
done
t_eq "insertion: the server read the real bytes" "GOODFINE|good6" \
	"$(cat "$work/srv/40001" 2>&1)|$(cat "$work/srv/40002" 2>&1)"
# The crafted connections never close cleanly: they idle out, so that
# evtrace sees them end and frees what it keeps per flow
short=()
for st in CLOSED LISTEN SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 \
	CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT; do
	short+=(timeout "$st" 1)
done
"$MOSCTL" -n "$R" set "${short[@]}"
for _ in $(seq 1 200); do
	[ -z "$("$MOSCTL" -n "$R" flows)" ] && break
	nap 0.1
done
t_eq "insertion: the crafted connections ended" "" "$("$MOSCTL" -n "$R" flows)"
kill -INT "$ev"
wait_pid "$ev" 60
ev=
t_eq "insertion: mos's IPv4 stream is what the server read" \
	"$(cat "$work/srv/40001" 2>&1)" "$(cat "$work/ev/40001-9002.svr" 2>&1)"
t_eq "insertion: mos's IPv6 stream is what the server read" \
	"$(cat "$work/srv/40002" 2>&1)" "$(cat "$work/ev/40002-9002.svr" 2>&1)"
t_eq "insertion: host_drops counts the 3 crafted segments, no overlap differs" \
	"3 0" "$(d host_drops) $(d overlap_diff)"
t_no_sanitizer "evtrace" "$work/ev.err"

# --- orphan: a connection older than monitoring ---------------------------
# Last: its segments go on being sent (and dropped) until the end
t_check "orphan: disable the router" "$MOSCTL" -n "$R" ns disable
client 10.0.2.2 9001 5 hold 1 "$work/go" >"$work/old.out" &
bg_pids+=($!)
for _ in $(seq 1 300); do
	grep -q connected "$work/old.out" && break
	nap 0.1
done
t_eq "orphan: a connection to 9001 while not monitored" "connected 1" \
	"$(cat "$work/old.out")"
t_check "orphan: enable the router again, inline" "$MOSCTL" -n "$R" ns enable inline
t_eq "orphan: the rule is still there" "$rid" \
	"$("$MOSCTL" -n "$R" -j rule list | python3 -c 'import json, sys; print(",".join(str(r["id"]) for r in json.load(sys.stdin)["rules"]))')"
snap
h0=$(hits "$rid")
touch "$work/go"
for _ in $(seq 1 300); do
	grep -q echo "$work/old.out" && break
	nap 0.1
done
t_eq "orphan: its next echo does not get through" "echo timeout" \
	"$(grep echo "$work/old.out")"
# Its retransmissions stop here, so that the counters below hold still
ip netns exec "$C" nft add rule inet fc out tcp dport 9001 drop
nap 1
n=$(d dropped_noflow)
[ "$n" -ge 1 ] && t_ok "orphan: dropped_noflow counts its segments ($n)" ||
	t_fail "orphan: dropped_noflow counts its segments" "$n"
t_eq "orphan: as many hits of the rule" "$n" $(($(hits "$rid") - h0))
t_eq "orphan: no flow created for it" "0 0" "$(d flows) $(d flows_dropped)"

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
