#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# verdict_lib.sh - the endpoints of the verdict tests (verdict.sh,
# verdict_life.sh): a client that sends "hello\n", the marker a second
# later, then "after\n" PAUSE seconds later, and closes; a server that
# writes one connection's bytes to a file; the client kernel's
# retransmissions.
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
