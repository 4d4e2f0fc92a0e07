#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# nat_peer.py - both ends of the NAT tests (selftests/vm/nat.sh,
# mos_nat.sh): the server logs each connection's peer as its accept()
# returned it and the sha256 of what its read() returned, or sends a
# file; the client logs the peer its connect() reached and the sha256 of
# what it read.
#
#   nat_peer.py server PORT LOG FILE COUNT
#   nat_peer.py client PORT UP|DOWN FILE
import hashlib, socket, sys, threading
role = sys.argv[1]
if role == "server":
    # server PORT LOG FILE COUNT: COUNT connections; each first sends a
    # line, "UP" (then its bytes, until EOF) or "DOWN" (FILE is sent)
    port, log, path, count = int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    lock = threading.Lock()
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("10.0.2.2", port))
    l.listen(16)
    def serve(c, peer):
        c.settimeout(120)
        f = c.makefile("rb")
        what = f.readline().strip().decode()
        if what == "UP":
            h, n = hashlib.sha256(), 0
            while True:
                b = f.read1(65536)
                if not b:
                    break
                h.update(b)
                n += len(b)
            line = "up %s:%d %d %s" % (peer[0], peer[1], n, h.hexdigest())
        else:
            with open(path, "rb") as src:
                c.sendall(src.read())
            c.shutdown(socket.SHUT_WR)
            f.read()
            line = "down %s:%d" % peer
        c.close()
        with lock, open(log, "a") as o:
            o.write(line + "\n")
    ts = []
    for _ in range(count):
        c, peer = l.accept()
        t = threading.Thread(target=serve, args=(c, peer))
        t.start()
        ts.append(t)
    for t in ts:
        t.join()
else:
    # client PORT UP|DOWN FILE: sends FILE, or reads until EOF
    port, what, path = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    s = socket.create_connection(("10.0.2.2", port), timeout=120)
    peer = s.getpeername()
    s.sendall(what.encode() + b"\n")
    h, n = hashlib.sha256(), 0
    if what == "UP":
        with open(path, "rb") as src:
            s.sendall(src.read())
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
    else:
        while True:
            b = s.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
        s.shutdown(socket.SHUT_WR)
    s.close()
    print("%s %s:%d %d %s" % (what.lower(), peer[0], peer[1], n, h.hexdigest()))
