#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
oooflood.py - connections that hold bytes behind a hole they never fill

Usage: oooflood.py N PORT PIECES [FIRST_CPORT]

Run in the client namespace of the router topology (c0 up, 10.0.1.3 routed
back to c0 by the router's permanent neighbour entry and dropped in the
client's prerouting, as receiver.sh sets it up).  Opens N connections
from 10.0.1.3 (client ports FIRST_CPORT, default 41000, and up) to a real
listener at 10.0.2.2:PORT, each with a real handshake, then sends on each
PIECES segments of 1000 bytes at stream offsets 1000, 2000, ...: the
first 1000 bytes, the hole, are never sent.  The frames are built here
and go out of one AF_PACKET socket (no scapy: a TCG guest runs it in
seconds).  A piece past the window the server's SYN-ACK granted is not
sent.  Prints "held BYTES" (bytes sent behind the holes, all connections)
and exits; the connections stay open at the server, which never gets the
hole and so keeps the bytes out of order, as a monitor must too.
OOOFLOOD_WAIT (seconds, default 120: the sanitizer kernel under TCG may
take minutes) bounds the wait for the handshakes; it ends when all are
done.
"""

import os
import select
import socket
import struct
import sys
import time

MAC_C0 = bytes.fromhex("020000000102")
MAC_R0 = bytes.fromhex("020000000101")
SRC = socket.inet_aton("10.0.1.3")
DST = socket.inet_aton("10.0.2.2")
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
PIECE = 1000
HOLE = 1000
ISN = 0x10000000


def csum16(data):
    """RFC 1071 Internet checksum"""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(sport, dport, seq, ack, flags, payload=b"", opts=b""):
    """an Ethernet frame: IPv4 and TCP from 10.0.1.3 to 10.0.2.2"""
    doff = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, doff << 4, flags, 65535, 0, 0)
    tcp += opts + payload
    ph = SRC + DST + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum16(ph + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, 6, 0, SRC, DST)
    ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
    return MAC_R0 + MAC_C0 + struct.pack("!H", ETH_P_IP) + ip + tcp


def synack(buf, port):
    """(client port, server ISN, window) of a SYN-ACK from PORT, or None"""
    if len(buf) < 54 or struct.unpack("!H", buf[12:14])[0] != ETH_P_IP:
        return None
    ip = buf[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6 or ip[16:20] != SRC:
        return None
    sp, dp, seq, _, _, fl, win = struct.unpack("!HHIIBBH", ip[ihl:ihl + 16])
    if sp != port or fl & 0x12 != 0x12:
        return None
    return dp, seq, win


def main():
    n, port, pieces = (int(a) for a in sys.argv[1:4])
    first = int(sys.argv[4]) if len(sys.argv) > 4 else 41000
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("c0", ETH_P_ALL))
    mss = struct.pack("!BBH", 2, 4, 1460)
    peers = {}
    deadline = time.monotonic() + float(os.environ.get("OOOFLOOD_WAIT", 120))
    while len(peers) < n and time.monotonic() < deadline:
        for i in range(n):
            if first + i not in peers:
                s.send(frame(first + i, port, ISN, 0, 0x02, opts=mss))
        end = time.monotonic() + 2
        while len(peers) < n and time.monotonic() < end:
            r, _, _ = select.select([s], [], [], 0.2)
            if not r:
                continue
            buf, addr = s.recvfrom(65536)
            if addr[2] == PACKET_OUTGOING:
                continue
            a = synack(buf, port)
            if a and first <= a[0] < first + n:
                # The handshake's ACK at once: a slow guest may take
                # longer for all of them than the server keeps a request
                # it retransmits its SYN-ACK for
                s.send(frame(a[0], port, ISN + 1, a[1] + 1, 0x10))
                peers[a[0]] = a[1:]
    if len(peers) < n:
        print("handshakes: %d of %d" % (len(peers), n), flush=True)
        return 1
    held = 0
    data = b"h" * PIECE
    for cport, (sisn, win) in sorted(peers.items()):
        for k in range(pieces):
            off = HOLE + k * PIECE
            if off + PIECE > win:
                break
            s.send(frame(cport, port, ISN + 1 + off, sisn + 1, 0x18, data))
            held += PIECE
    print("held %d" % held, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
