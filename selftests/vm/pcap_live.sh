#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcap_live.sh - libmosuser's live capture (MOS_PCAP_IFACE): an mOS
# application without mos.ko, as an unprivileged user with CAP_NET_RAW
# only, watching the server's interface
#
#   +-------------+  veth  +--------------------------------------+
#   | lc-c        |--------| lc-s  s0: 10.0.1.1 fd00:1::1          |
#   | c0 10.0.1.2 |        |  evtrace -c -d DIR, MOS_PCAP_IFACE=s0 |
#   | fd00:1::2   |        |  (uid nobody, CAP_NET_RAW)            |
#   +-------------+        +--------------------------------------+
#
# One connection over IPv4 and one over IPv6, each with random bytes both
# ways: the bytes each side's stream holds must be what the receiving
# socket read(), byte for byte (sha256), and each flow's CONN_START and
# CONN_END events come once per side and hook.  MOS_PCAP_COUNT ends the
# capture by itself; an interface that does not exist and a user without
# CAP_NET_RAW are clear errors.  mosreplay -i on the same interface
# writes the same streams, and reads every packet libpcap received.
# mos.ko is never loaded.

. "$(dirname "$0")/../lib/lib.sh"

C=lc-c-$$ S=lc-s-$$
EVTRACE=$PROJ/build/selftests/evtrace
work=$(mktemp -d)
pids=()
defer_teardown pids
defer rm -rf "$work"
chmod 755 "$work"

# As user nobody, with CAP_NET_RAW and nothing else
raw=(setpriv --reuid=65534 --regid=65534 --clear-groups
     --inh-caps=-all,+net_raw --ambient-caps=+net_raw --bounding-set=-all,+net_raw)
# As user nobody, with no capability
nocap=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
       --bounding-set=-all)

# srv.py HOST PORT SEND RECV: one connection; what it reads to its end
# goes to RECV, then SEND is sent back and the connection closed
cat >"$work/srv.py" <<'PYEOF'
import socket, sys
host, port, send, recv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
l = socket.socket(fam)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((host, port))
l.listen(1)
c, _ = l.accept()
with open(recv, "wb") as f:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
c.sendall(open(send, "rb").read())
c.close()
PYEOF
# cli.py HOST PORT SEND RECV [HOLD]: SEND, then half-close and read the
# answer to its end into RECV; prints the local port.  With HOLD, only
# connects, prints the port and holds the connection HOLD seconds.
cat >"$work/cli.py" <<'PYEOF'
import socket, sys, time
host, port, send, recv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port))
print(s.getsockname()[1], flush=True)
if len(sys.argv) > 5:
    time.sleep(float(sys.argv[5]))
    sys.exit(0)
s.sendall(open(send, "rb").read())
s.shutdown(socket.SHUT_WR)
with open(recv, "wb") as f:
    while True:
        b = s.recv(65536)
        if not b:
            break
        f.write(b)
s.close()
PYEOF

sha() { sha256sum <"$1" | cut -d' ' -f1; }
# val LINE KEY: the value of KEY=VALUE in a summary line
val() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# evt FILE FLOW: the flow's CONN_START and CONN_END lines, without its name
evt() {
	grep "^$2 " "$1" | grep -E ' (CONN_START|CONN_END)$' | cut -d' ' -f2-
}

# The events of one connection, in mOS's order for its SYN (the sender's
# side at SND, then the receiver's at RCV), and each side's end once at
# each hook (in the order the close made them: compared sorted)
START=$'SND cli CONN_START\nRCV svr CONN_START'
ENDS=$'RCV cli CONN_END\nRCV svr CONN_END\nSND cli CONN_END\nSND svr CONN_END'

ktap_begin
ns_new "$C" && ns_new "$S" || exit 1
link "$C" c0 2 "$S" s0 1 1 || exit 1
t_check "mos.ko is not loaded" sh -c '! grep -q "^mos " /proc/modules'

# --- errors -----------------------------------------------------------
out=$(ip netns exec "$S" env MOS_PCAP_IFACE=nosuch0 "${raw[@]}" "$EVTRACE" 2>&1)
rc=$?
log "nosuch0: $out"
t_eq "no such interface: exit 1" 1 "$rc"
t_eq "no such interface: the message" \
	"evtrace: mtcp_create_context: No such device: nosuch0: " \
	"$(printf '%s' "$out" | head -1 | cut -c1-55)"
out=$(ip netns exec "$S" env MOS_PCAP_IFACE=s0 "${nocap[@]}" "$EVTRACE" 2>&1)
rc=$?
log "no CAP_NET_RAW: $out"
t_eq "without CAP_NET_RAW: exit 1" 1 "$rc"
t_eq "without CAP_NET_RAW: the message" \
	"evtrace: mtcp_create_context: Operation not permitted: s0: " \
	"$(printf '%s' "$out" | head -1 | cut -c1-59)"
out=$(ip netns exec "$S" env MOS_PCAP_IFACE=s0 MOS_PCAP=/dev/null "${raw[@]}" \
	"$EVTRACE" 2>&1)
t_eq "an interface and a file: refused" \
	"evtrace: mtcp_init: Invalid argument: MOS_PCAP and MOS_PCAP_IFACE are both set: one source of packets" \
	"$out"

# --- two transfers, both ways -----------------------------------------
head -c 300000 /dev/urandom >"$work/up"
head -c 200000 /dev/urandom >"$work/down"
mkdir -m 777 "$work/d"
ip netns exec "$S" env MOS_PCAP_IFACE=s0 "${raw[@]}" "$EVTRACE" -c -d "$work/d" \
	>"$work/out" 2>"$work/err" &
ev=$!
pids+=("$ev")
for _ in $(seq 1 200); do
	grep -q ready "$work/err" && break
	nap 0.1
done
t_eq "evtrace started on s0" "evtrace: ready" "$(cat "$work/err")"
# mosreplay on the same interface at the same time
mkdir -m 777 "$work/mr"
ip netns exec "$S" "${raw[@]}" "$PROJ/build/bin/mosreplay" -q -i s0 \
	--dump-streams "$work/mr" >"$work/mr.out" 2>"$work/mr.err" &
mr=$!
pids+=("$mr")
nap 1

declare -A port
for a in 10.0.1.1 fd00:1::1; do
	p=9000
	[ "$a" = fd00:1::1 ] && p=9001
	ip netns exec "$S" python3 "$work/srv.py" "$a" $p "$work/down" \
		"$work/srv$p" &
	srv=$!
	wait_listen "$S" $p
	port[$p]=$(ip netns exec "$C" python3 "$work/cli.py" "$a" $p "$work/up" \
		"$work/cli$p")
	wait_pid $srv 60
	t_eq "$a: the server read what the client sent" "$(sha "$work/up")" \
		"$(sha "$work/srv$p")"
	t_eq "$a: the client read what the server sent" "$(sha "$work/down")" \
		"$(sha "$work/cli$p")"
done
for _ in $(seq 1 300); do
	[ "$(grep -c ' CONN_END$' "$work/out")" -ge 8 ] && break
	nap 0.1
done
kill -INT "$ev"
wait_pid "$ev" 60
t_eq "evtrace exits 0 on SIGINT" 0 "$?"
kill -INT "$mr"
wait_pid "$mr" 60
t_eq "mosreplay -i exits 0 on SIGINT" 0 "$?"
sum=$(cat "$work/mr.out")
log "mosreplay -i: $sum"
t_check "mosreplay -i: packets read" test "$(val "$sum" packets)" -gt 0
t_eq "mosreplay -i: read every packet libpcap received" \
	"$(val "$sum" pcap_recv)" "$(val "$sum" packets)"
t_eq "mosreplay -i: no packet dropped" "0 0" \
	"$(val "$sum" pcap_drop) $(val "$sum" pcap_ifdrop)"
t_eq "mosreplay -i: nothing on stderr" "" "$(cat "$work/mr.err")"
for p in 9000 9001; do
	f=${port[$p]}-$p
	t_eq "port $p: the server side's stream is what the server read()" \
		"$(sha "$work/srv$p")" "$(sha "$work/d/$f.svr")"
	t_eq "port $p: the client side's stream is what the client read()" \
		"$(sha "$work/cli$p")" "$(sha "$work/d/$f.cli")"
	t_eq "port $p: CONN_START, client at SND then server at RCV" "$START" \
		"$(evt "$work/out" "$f" | grep CONN_START)"
	t_eq "port $p: CONN_END, each side at each hook, once" "$ENDS" \
		"$(evt "$work/out" "$f" | grep CONN_END | sort)"
	a=10.0.1.2 b=10.0.1.1
	[ $p = 9001 ] && a=fd00:1::2 b=fd00:1::1
	t_eq "port $p: mosreplay -i: client to server, what the server read()" \
		"$(sha "$work/srv$p")" "$(sha "$work/mr/$a.${port[$p]}-$b.$p.c2s")"
	t_eq "port $p: mosreplay -i: server to client, what the client read()" \
		"$(sha "$work/cli$p")" "$(sha "$work/mr/$a.${port[$p]}-$b.$p.s2c")"
	t_eq "port $p: no byte missed" "" \
		"$(grep "^$f " "$work/out" | grep -E 'bad|ERROR')"
done
t_eq "two flows and nothing else" \
	"$(printf '%s\n' "${port[9000]}-9000" "${port[9001]}-9001" | sort)" \
	"$(cut -d' ' -f1 "$work/out" | sort -u)"
t_eq "nothing on stderr but the start" "evtrace: ready" "$(cat "$work/err")"

# --- MOS_PCAP_COUNT: the capture ends after N packets ------------------
# The handshake's three packets, then the end: each open side ends
# (flush) and the application returns by itself, the connection still
# open.
ip netns exec "$S" python3 "$work/srv.py" 10.0.1.1 9002 /dev/null /dev/null &
srv=$!
pids+=("$srv")
wait_listen "$S" 9002
ip netns exec "$S" env MOS_PCAP_IFACE=s0 MOS_PCAP_COUNT=3 "${raw[@]}" "$EVTRACE" \
	>"$work/cout" 2>"$work/cerr" &
ev=$!
pids+=("$ev")
for _ in $(seq 1 200); do
	grep -q ready "$work/cerr" && break
	nap 0.1
done
ip netns exec "$C" python3 "$work/cli.py" 10.0.1.1 9002 /dev/null /dev/null 30 \
	>"$work/cport" &
cl=$!
pids+=("$cl")
wait_pid "$ev" 30
t_eq "MOS_PCAP_COUNT=3: evtrace ends by itself, exit 0" 0 "$?"
t_check "MOS_PCAP_COUNT=3: before the connection closes" kill -0 "$cl"
log "count: $(tr '\n' '|' <"$work/cout")"
t_eq "MOS_PCAP_COUNT=3: CONN_START as for the transfers" "$START" \
	"$(evt "$work/cout" 9002 | grep CONN_START)"
t_eq "MOS_PCAP_COUNT=3: every side ends at the end" "$ENDS" \
	"$(evt "$work/cout" 9002 | grep CONN_END | sort)"
t_eq "MOS_PCAP_COUNT=3: three packets, SYN, SYN-ACK, ACK" \
	$'SND cli PKT_IN:S/0\nSND svr PKT_IN:SA/0\nSND cli PKT_IN:A/0' \
	"$(grep '^9002 SND .* PKT_IN' "$work/cout" | cut -d' ' -f2-)"

ns_cleanup
ktap_end
