#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
conf_pcaps.py - captures for mosapi_conf (selftests/unit/mosapi_conf.sh)

Usage: selftests/lib/conf_pcaps.py OUTDIR

Writes, with pktlib.py's connections (Ethernet, 1 ms apart, MSS option
on the SYNs: 24-byte TCP headers; DF):

  fin.pcap    A 10.1.0.1:42001 > 10.2.0.1:80: handshake, "hello" from the
              client, acked, "world!" from the server, acked; then a
              close in four packets: FIN from the client, the server's
              ACK, the server's FIN, the client's last ACK
              B [fd01::1]:42002 > [fd02::1]:80: the same over IPv6
              C 10.1.0.1:42003 > 10.2.0.1:80: handshake, "x" from the
              client, acked, then the client's RST
  idle.pcap   D 10.1.0.3:42004 > 10.2.0.1:80: handshake, then silence;
              three hours later E 10.1.0.4:42005 > 10.2.0.1:80: a
              handshake and a close as A's
  timer.pcap  F 10.1.0.5:42006 > 10.2.0.1:80: handshake, 2 s of silence,
              "late" from the client, acked, the close as A's

Each packet's offset from its flow's SYN is its index in the flow in
milliseconds (but for the silences).  Needs python3-scapy (Debian's,
hence /usr/bin/python3).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import C, S, T0, Capture  # noqa: E402


def talk(c, up, down):
    """handshake, @up from the client, @down from the server, each acked"""
    c.handshake()
    if up:
        c.stream(C, up)
    if down:
        c.stream(S, down)


def close4(c):
    """FIN from the client, ACK, FIN from the server, last ACK"""
    ec, es = c.sent_end(C), c.sent_end(S)
    c.pkt(C, "FA", ec)
    c.acked[S] = ec + 1
    c.pkt(S, "A", es)
    c.pkt(S, "FA", es)
    c.acked[C] = es + 1
    c.pkt(C, "A", ec + 1)


def fin(out):
    cap = Capture("fin", __doc__, T0)
    a = cap.conn("10.1.0.1", 42001, "10.2.0.1", 80, 1000, 2000)
    talk(a, b"hello", b"world!")
    close4(a)
    a.expect(b"hello", b"world!")
    b = cap.conn("fd01::1", 42002, "fd02::1", 80, 3000, 4000)
    talk(b, b"hello", b"world!")
    close4(b)
    b.expect(b"hello", b"world!")
    c = cap.conn("10.1.0.1", 42003, "10.2.0.1", 80, 5000, 6000)
    talk(c, b"x", b"")
    c.pkt(C, "R", 1)
    c.expect(b"x", b"")
    cap.write(out)


def idle(out):
    cap = Capture("idle", __doc__, T0)
    d = cap.conn("10.1.0.3", 42004, "10.2.0.1", 80, 7000, 8000)
    talk(d, b"", b"")
    d.expect(b"", b"")
    cap.t += 3 * 3600
    e = cap.conn("10.1.0.4", 42005, "10.2.0.1", 80, 9000, 10000)
    talk(e, b"", b"")
    close4(e)
    e.expect(b"", b"")
    cap.write(out)


def timer(out):
    cap = Capture("timer", __doc__, T0)
    f = cap.conn("10.1.0.5", 42006, "10.2.0.1", 80, 11000, 12000)
    f.handshake()
    cap.t += 2
    f.stream(C, b"late")
    close4(f)
    f.expect(b"late", b"")
    cap.write(out)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    fin(out)
    idle(out)
    timer(out)


if __name__ == "__main__":
    main()
