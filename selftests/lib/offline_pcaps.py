#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
offline_pcaps.py - captures for the samples on libmosuser's offline backend

Usage: selftests/lib/offline_pcaps.py OUTDIR

Writes, with craft_pcaps.py's connections (Ethernet, 1 ms apart):

  xfer.pcap      10.1.0.1:41000 > 10.2.0.1:9000, 100000 bytes up in 1000-byte
                 segments, acknowledged every ten (the 20th sent again
                 before its ack), 5000 down; then
                 [fd01::1]:41001 > [fd02::1]:9000, 1 byte each way
  offload.pcap   the IPv4 connection of xfer.pcap, every TCP checksum 0
  open.pcap      two connections the capture ends in: 10.1.0.1:41002 with
                 3000 bytes up and 700 down; 10.1.0.1:41003 with 500 up and
                 the client's FIN
  http.pcap      HTTP requests to port 8080 from 10.1.0.1:42001..42007: whole,
                 in three segments, pipelined, over IPv6 without Host (42004,
                 fd01::1), a segment retransmitted, two segments out of
                 order, and one whose connection the capture ends in

Needs python3-scapy (Debian's, hence /usr/bin/python3).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import C, S, T0, Capture, blob  # noqa: E402
from scapy.all import TCP, Ether, wrpcap  # noqa: E402

ANSWER = b"HTTP/1.0 200 OK\r\n\r\n"


def xfer(cap):
    c = cap.conn("10.1.0.1", 41000, "10.2.0.1", 9000, 7000, 90000)
    up, down = blob(100000, 41), blob(5000, 42)
    c.handshake()
    for i in range(0, len(up), 10000):
        c.stream(C, up[i:i + 10000], start=i, ack=i != 10000)
        if i == 10000:
            c.send(C, 19000, up[19000:20000])
            c.ack(S, 20000)
    c.stream(S, down)
    c.close()
    d = cap.conn("fd01::1", 41001, "fd02::1", 9000, 1, 2)
    d.handshake()
    d.stream(C, b"c")
    d.stream(S, b"s")
    d.close()


def still_open(cap):
    c = cap.conn("10.1.0.1", 41002, "10.2.0.1", 9000, 100, 200)
    c.handshake()
    c.stream(C, blob(3000, 43))
    c.stream(S, blob(700, 44))
    d = cap.conn("10.1.0.1", 41003, "10.2.0.1", 9000, 300, 400)
    d.handshake()
    d.stream(C, blob(500, 45))
    d.pkt(C, "FA", 500)


def request(cap, cport, pieces, order=None, rexmit=None, close=True,
            cip="10.1.0.1", sip="10.2.0.1"):
    """one connection: the request in @pieces (sent in @order, piece
    @rexmit sent once more after them), the answer, FINs if @close"""
    c = cap.conn(cip, cport, sip, 8080, cport * 1000, 77777)
    c.handshake()
    offs, at = [], 0
    for p in pieces:
        offs.append(at)
        at += len(p)
    for i in order if order is not None else range(len(pieces)):
        c.send(C, offs[i], pieces[i])
    if rexmit is not None:
        c.send(C, offs[rexmit], pieces[rexmit])
    c.set_end(C, at)
    c.ack(S, at)
    c.stream(S, ANSWER)
    if close:
        c.close()


def http(cap):
    request(cap, 42001, [b"GET /a/b?x=1 HTTP/1.1\r\nHost: one.test\r\n"
                         b"User-Agent: t\r\n\r\n"])
    request(cap, 42002, [b"GET /split/path HTTP/1.1\r\nHo",
                         b"st: split.test\r\nAccept: */*", b"\r\n\r\n"])
    request(cap, 42003, [b"POST /p1 HTTP/1.1\r\nHost: pipe.test\r\n"
                         b"Content-Length: 0\r\n\r\nGET /p2 HTTP/1.1\r\n"
                         b"Host: pipe.test\r\n\r\n"])
    request(cap, 42004, [b"HEAD / HTTP/1.0\r\n\r\n"], cip="fd01::1",
            sip="fd02::1")
    request(cap, 42005, [b"GET /again HTTP/1.1\r\nHo",
                         b"st: rx.test\r\n\r\n"], rexmit=0)
    request(cap, 42006, [b"GET /ooo HTTP/1.1\r\nHo",
                         b"st: ooo.test\r\n\r\n"], order=[1, 0])
    request(cap, 42007, [b"GET /open HTTP/1.1\r\nHost: open.test\r\n\r\n"],
            close=False)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[2])
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, (name, fn) in enumerate((("xfer", xfer), ("open", still_open),
                                    ("http", http))):
        cap = Capture(name, fn.__doc__ or name, T0 + 100 * i)
        fn(cap)
        wrpcap(os.path.join(out, name + ".pcap"), cap.pkts)
        if name == "xfer":
            # The IPv4 connection as a host with checksum offload took it
            off = []
            for p in cap.pkts:
                if p.haslayer("IP"):
                    p = p.copy()
                    p[TCP].chksum = 0
                    p = Ether(bytes(p))
                    p.time = cap.pkts[len(off)].time
                    off.append(p)
            wrpcap(os.path.join(out, "offload.pcap"), off)


if __name__ == "__main__":
    main()
