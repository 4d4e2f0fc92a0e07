#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# events_drive.py - the scripted connections of events.sh, from one
# process: each server runs in a thread moved into the server namespace,
# each client in one moved into the client namespace (setns() moves only
# the calling thread), so no interpreter starts per connection.
#
# Usage: events_drive.py CLIENT_NS ROUTER_NS SERVER_NS SIZE...
#
# Prints "ready" once the orphan connection (port 7100) is established,
# then waits for a line on stdin ("go": monitoring is on) before the
# scenarios, each on its own server port:
#   7100  the orphan connection: 5 bytes each way, then FIN close
#   7001  IPv4: 5 bytes up, 6 down, client FIN first
#   7002  IPv4: 1 byte up, echoed, client aborts (RST)
#   7003  IPv4: 1000 bytes up while the router drops everything to the
#         server for 1.2 s, then 6 down, FIN close
#   7004-7006  the same over IPv6
#   7010+i IPv4 and 7030+i IPv6: SIZE[i] bytes of a seeded pattern up,
#         the same count of another down, FIN close, with netem delaying
#         (2 ms), reordering and losing (1%) segments on both sides of the
#         router; then "sha PORT SIDE SHA256" of what each side received
# and prints "done" (or the first failure, and exits 1).

import ctypes
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    """Move the calling thread into network namespace NS."""
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
    finally:
        os.close(fd)


def recv_all(s, n):
    b = bytearray()
    while len(b) < n:
        c = s.recv(min(65536, n - len(b)))
        if not c:
            break
        b += c
    return bytes(b)


def recv_eof(s):
    b = bytearray()
    while True:
        c = s.recv(65536)
        if not c:
            return bytes(b)
        b += c


class Server:
    """A listener in NS; each accepted connection runs HANDLER in its own
    thread; errors are kept for the report."""

    def __init__(self, ns, fam, port, handler):
        self.errors = []
        self.done = threading.Event()
        ready = threading.Event()

        def run():
            enter(ns)
            addr = "10.0.2.2" if fam == socket.AF_INET else "fd00:2::2"
            l = socket.socket(fam, socket.SOCK_STREAM)
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind((addr, port))
            l.listen(4)
            ready.set()
            c, _ = l.accept()
            c.settimeout(300)
            try:
                handler(c)
            except Exception as e:  # reported by the client's side
                self.errors.append("server %d: %r" % (port, e))
            finally:
                c.close()
                l.close()
                self.done.set()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(300)


def in_thread(ns, fn):
    """Run FN in a thread moved into NS; its exception is raised here."""
    out = {}

    def run():
        try:
            enter(ns)
            out["r"] = fn()
        except Exception as e:
            out["e"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "e" in out:
        raise out["e"]
    return out.get("r")


def fin_server(c):
    assert recv_all(c, 5) == b"hello"
    c.sendall(b"world!")
    assert recv_eof(c) == b""
    c.shutdown(socket.SHUT_WR)


def fin_client(fam, port):
    def run():
        s = socket.create_connection((addr(fam), port), timeout=300)
        s.sendall(b"hello")
        assert recv_all(s, 6) == b"world!"
        s.shutdown(socket.SHUT_WR)
        assert recv_eof(s) == b""
        s.close()
    return run


def rst_server(c):
    b = recv_all(c, 1)
    c.sendall(b)
    try:
        recv_eof(c)
    except ConnectionResetError:
        return
    raise AssertionError("no ECONNRESET")


def rst_client(fam, port):
    def run():
        s = socket.create_connection((addr(fam), port), timeout=300)
        s.sendall(b"x")
        assert recv_all(s, 1) == b"x"
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    return run


def loss_server(c):
    assert recv_all(c, 1000) == b"L" * 1000
    c.sendall(b"world!")
    assert recv_eof(c) == b""
    c.shutdown(socket.SHUT_WR)


def loss_client(fam, port, router):
    def run():
        s = socket.create_connection((addr(fam), port), timeout=300)
        tc(router, "add")
        s.sendall(b"L" * 1000)
        threading.Event().wait(1.2)
        tc(router, "del")
        assert recv_all(s, 6) == b"world!"
        s.shutdown(socket.SHUT_WR)
        assert recv_eof(s) == b""
        s.close()
    return run


def tc(router, op):
    cmd = ["ip", "netns", "exec", router, "tc", "qdisc", op, "dev", "r1",
           "root"]
    if op == "add":
        cmd += ["netem", "loss", "100%"]
    subprocess.run(cmd, check=True)


CHUNK = 65536


def chunks(seed, n):
    """N bytes of a seeded pattern, in chunks (SHAKE-128 of seed and
    chunk index: cheap to make, never the same twice)."""
    i = 0
    while n > 0:
        k = min(CHUNK, n)
        yield hashlib.shake_128(b"%d:%d" % (seed, i)).digest(k)
        n -= k
        i += 1


def send_pattern(s, seed, n):
    h = hashlib.sha256()
    for c in chunks(seed, n):
        s.sendall(c)
        h.update(c)
    return h.hexdigest()


def recv_hash(s, n):
    """sha256 of the next N bytes, and how many came"""
    h = hashlib.sha256()
    got = 0
    while got < n:
        c = s.recv(min(CHUNK, n - got))
        if not c:
            break
        h.update(c)
        got += len(c)
    return h.hexdigest(), got


def size_server(n, seed, hashes):
    def run(c):
        got = recv_hash(c, n)
        hashes["up-rcvd"] = got[0]
        assert got[1] == n, "server got %d of %d bytes" % (got[1], n)
        hashes["down"] = send_pattern(c, seed + 1, n)
        assert recv_eof(c) == b""
        c.shutdown(socket.SHUT_WR)
    return run


def size_client(fam, port, n, seed, hashes):
    def run():
        s = socket.create_connection((addr(fam), port), timeout=300)
        up = {}
        t = threading.Thread(target=lambda: up.update(
            h=send_pattern(s, seed, n)), daemon=True)
        t.start()
        got = recv_hash(s, n)
        t.join()
        hashes["up"] = up.get("h")
        hashes["down-rcvd"] = got[0]
        assert got[1] == n, "client got %d of %d bytes" % (got[1], n)
        s.shutdown(socket.SHUT_WR)
        assert recv_eof(s) == b""
        s.close()
    return run


def addr(fam):
    return "10.0.2.2" if fam == socket.AF_INET else "fd00:2::2"


def main():
    cns, rns, sns = sys.argv[1:4]
    sizes = [int(x) for x in sys.argv[4:]]

    # The orphan connection: established before monitoring starts
    orphan = {}

    def orphan_server(c):
        assert recv_all(c, 5) == b"late1"
        c.sendall(b"late2")
        assert recv_eof(c) == b""
        c.shutdown(socket.SHUT_WR)

    osrv = Server(sns, socket.AF_INET, 7100, orphan_server)
    orphan["s"] = in_thread(cns, lambda: socket.create_connection(
        ("10.0.2.2", 7100), timeout=300))
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1

    def orphan_client():
        s = orphan["s"]
        s.sendall(b"late1")
        assert recv_all(s, 5) == b"late2"
        s.shutdown(socket.SHUT_WR)
        assert recv_eof(s) == b""
        s.close()

    steps = [(osrv, orphan_client)]
    names = ["orphan 7100"]
    for fam, base in ((socket.AF_INET, 7001), (socket.AF_INET6, 7004)):
        steps.append((Server(sns, fam, base, fin_server),
                      fin_client(fam, base)))
        steps.append((Server(sns, fam, base + 1, rst_server),
                      rst_client(fam, base + 1)))
        steps.append((Server(sns, fam, base + 2, loss_server),
                      loss_client(fam, base + 2, rns)))
        names += ["fin %d" % base, "rst %d" % (base + 1),
                  "loss %d" % (base + 2)]
    nfixed = len(steps)
    hashes = {}
    for i, n in enumerate(sizes):
        for fam, base in ((socket.AF_INET, 7010), (socket.AF_INET6, 7030)):
            port = base + i
            h = hashes[port] = {}
            steps.append((Server(sns, fam, port, size_server(n, port, h)),
                          size_client(fam, port, n, port, h)))
            names.append("%d bytes %d" % (n, port))
    for i, (srv, cli) in enumerate(steps):
        if i == nfixed:
            # The transfers: lost, delayed and reordered segments on both
            # sides of the router, before mos sees them
            for ns, dev in ((cns, "c0"), (sns, "s0")):
                subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc",
                                "add", "dev", dev, "root", "netem", "delay",
                                "2ms", "reorder", "90%", "50%", "loss", "1%"],
                               check=True)
        t0 = time.monotonic()
        try:
            in_thread(cns, cli)
        except Exception as e:
            print("%s: client: %r after %.1f s" %
                  (names[i], e, time.monotonic() - t0), flush=True)
            return 1
        if not srv.done.wait(300) or srv.errors:
            print("%s: server: %s" % (names[i], srv.errors or
                                      "did not finish"), flush=True)
            return 1
    for port, h in sorted(hashes.items()):
        if h["up"] != h["up-rcvd"] or h["down"] != h["down-rcvd"]:
            print("port %d: the endpoints' hashes differ: %s" % (port, h))
            return 1
        print("sha %d svr %s" % (port, h["up"]))
        print("sha %d cli %s" % (port, h["down"]))
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
