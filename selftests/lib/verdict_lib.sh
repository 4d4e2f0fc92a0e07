#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# verdict_lib.sh - the endpoints of the verdict tests (verdict.sh,
# verdict_life.sh): a client that sends "hello\n", the marker a second
# later, then "after\n" PAUSE seconds later, and closes; a server that
# writes one connection's bytes to a file; the client kernel's
# retransmissions; the checks of an accept-all consumer (receiver.sh,
# hostile.sh).
#
# Needs lib.sh, $C (the client's namespace) and $work.

# verdict_scripts: write $work/sink.py (PORT FILE IDLE: one connection's
# bytes into FILE, until EOF or IDLE seconds idle) and $work/client.py
# (PORT MARKER PAUSE [AFTER [INFO]]: AFTER instead of "after"; INFO gets
# "retrans N", the segments the client's kernel retransmitted on the
# connection, tcp_info's tcpi_total_retrans; with GO=FILE in the
# environment it connects once FILE exists)
verdict_scripts() {
	cat >"$work/sink.py" <<-'PYEOF'
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.0.2.2", int(sys.argv[1])))
l.listen(1)
c, _ = l.accept()
c.settimeout(float(sys.argv[3]))
with open(sys.argv[2], "wb", buffering=0) as f:
    while True:
        try:
            b = c.recv(65536)
        except socket.timeout:
            break
        if not b:
            break
        f.write(b)
	PYEOF
	cat >"$work/client.py" <<-'PYEOF'
import os, socket, struct, sys, time
# GO=FILE: connect once FILE exists (started ahead, the connection's
# moment is the test's)
while os.environ.get("GO") and not os.path.exists(os.environ["GO"]):
    time.sleep(0.05)
s = socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=5)
s.sendall(b"hello\n")
time.sleep(1)
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(float(sys.argv[3]))
after = sys.argv[4] if len(sys.argv) > 4 else "after"
try:
    s.sendall(after.encode() + b"\n")
    s.shutdown(socket.SHUT_WR)
    time.sleep(1)
except OSError:
    pass
if len(sys.argv) > 5:
    # struct tcp_info: 8 bytes, then tcpi_total_retrans is the 24th __u32
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    with open(sys.argv[5], "w") as f:
        f.write("retrans %d\n" % struct.unpack_from("I", info, 8 + 23 * 4)[0])
s.close()
	PYEOF
}

# retrans: the client kernel's TCP retransmissions so far (RetransSegs)
retrans() {
	ip netns exec "$C" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++)
		if ($i == "RetransSegs") c = i; h = 1 } else print $c }' \
		/proc/net/snmp
}

# t_accepted_all NS OUT: the checks of an accept-all consumer (verdict_app
# accept, its "pkt_in N" in OUT) in NS: packets were held, each callback's
# packet was accepted by its verdict, the other packets held waited
# behind a held packet of their 4-tuple (no PKT_IN of their own: a bad
# checksum, a segment of no flow on a closed flow's 4-tuple), and nothing
# was dropped, refused, late, over the limit or left held.  Called once
# the consumer has exited: a packet that came as it did (a late
# retransmission) was released by the policy then (held_released), as
# documented; logged, not an error.
t_accepted_all() {
	local ns=$1 held acc ord rel k

	held=$(mos_stat "$ns" held) acc=$(mos_stat "$ns" verdict_accept)
	ord=$(mos_stat "$ns" held_order) rel=$(mos_stat "$ns" held_released)
	t_check "packets held ($held)" test "${held:-0}" -gt 0
	t_eq "each packet that ran the callback held and accepted by its verdict" \
		"pkt_in $acc" "$(cat "$2")"
	log "held when the consumer exited, released: $rel"
	# held_released may count packets of either kind
	if [ "$rel" = 0 ]; then
		t_eq "the others held waited for their flow's turn (held_order)" \
			"$((held - acc))" "$ord"
	else
		t_check "the others held waited for their flow's turn (held_order $ord)" \
			test "$((held - acc - ord))" -ge 0 -a "$((held - acc - ord))" -le "$rel"
	fi
	t_eq "none dropped, refused, late, over the limit, still held" \
		"verdict_drop=0 verdict_modified=0 verdict_bad=0 verdict_timeout=0 held_full=0 held_now=0" \
		"$(for k in verdict_drop verdict_modified verdict_bad \
			verdict_timeout held_full held_now; do
			printf '%s=%s ' "$k" "$(mos_stat "$ns" "$k")"; done |
			sed 's/ $//')"
}
