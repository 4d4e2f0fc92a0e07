#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
hostile_pcaps.py - malformed and hostile packets for the VM tests

Usage: selftests/lib/hostile_pcaps.py OUTDIR

Writes into OUTDIR (Ethernet frames, 1 ms apart, every packet to the
server side 10.2.0.1 / fd02::1, so a monitor that routes nothing drops
them after its hooks):

  truncated.pcap   TCP headers cut short (0 to 19 bytes after the IP
                   header), data offsets 0 to 4, data offsets past the
                   packet; IPv4 and IPv6.  truncated.expect: the
                   parse_errors they make.
  flags.pcap       every value of the TCP flags byte, each on its own
                   4-tuple (10.1.0.20 ports 50000..50255 to port 81),
                   random sequence numbers, 0 to 3 payload bytes
  random.pcap      600 IPv4 packets of protocol 6 whose TCP header and
                   payload are random bytes (ports kept in 51000..51099
                   to port 82, so some land on the same flows); every
                   other one with a correct TCP checksum
  mixed.pcap       a clean connection 10.1.0.9:52000 > 10.2.0.1:8001,
                   60000 bytes up and 9000 down, whose segments are
                   interleaved with: RSTs and SYNs on its 4-tuple out of
                   its window, its own segments again with other bytes
                   and a bad checksum, truncated headers on its 4-tuple,
                   and packets of flags.pcap's and random.pcap's kinds on
                   other 4-tuples.  mixed.0.c2s, .s2c: its streams.
  frag.pcap        a connection 10.1.0.10:52001 > 10.2.0.1:8002 whose
                   3000-byte segments travel as IPv4 fragments of 1000
                   bytes, some in reverse order.  frag.0.c2s, .s2c.
  ipbad.pcap       IPv4 headers the kernel drops before any netfilter
                   hook: 10 with IHL 3, 10 with a bad header checksum, 10
                   with a total length below the header's, 10 with a
                   total length past the frame.  ipbad.expect: the
                   counters of /proc/net/snmp and /proc/net/netstat they
                   raise.

Seeded: the same files every run.  Needs python3-scapy.
"""

import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import (C, S, T0, MACS, Capture, blob, csum16,  # noqa: E402
                    tcp_csum, tcp_segment)
from scapy.all import IP, TCP, Ether, IPv6, Raw, fragment, raw, wrpcap  # noqa: E402

SVR4, SVR6 = "10.2.0.1", "fd02::1"


def eth():
    return Ether(src=MACS[0], dst=MACS[1])


class Out:
    """packets in order, 1 ms apart"""

    def __init__(self, t0):
        self.t = t0
        self.pkts = []

    def add(self, p):
        p = Ether(raw(p))
        p.time = self.t
        self.t += 0.001
        self.pkts.append(p)

    def extend(self, pkts):
        for p in pkts:
            self.add(p)


def truncated(out, sport=49000, dport=80):
    """TCP headers that do not parse; returns how many"""
    n = 0
    for v6 in (False, True):
        l3 = (IPv6(src="fd01::1", dst=SVR6, nh=6) if v6 else
              IP(src="10.1.0.1", dst=SVR4, proto=6))
        hdr = bytes(TCP(sport=sport, dport=dport, seq=1, flags="A"))
        for cut in range(20):           # shorter than a TCP header
            out.add(eth() / l3 / Raw(hdr[:cut]))
            n += 1
        for doff in range(5):           # data offset below 5
            h = bytearray(hdr)
            h[12] = doff << 4
            out.add(eth() / l3 / Raw(bytes(h) + b"x" * 8))
            n += 1
        for doff in range(6, 16):       # data offset past the packet
            h = bytearray(hdr)
            h[12] = doff << 4
            out.add(eth() / l3 / Raw(bytes(h) + b"y" * (doff * 4 - 24)))
            n += 1
    return n


def flag_soup(out, rng, sport0=50000, dport=81, count=256):
    for f in range(count):
        out.add(eth() / tcp_segment(
            "10.1.0.20", SVR4, sport0 + f, dport, f,
            seq=rng.getrandbits(32), ack=rng.getrandbits(32),
            window=rng.getrandbits(16),
            data=bytes(rng.getrandbits(8) for _ in range(f % 4))))


def random_tcp(out, rng, count, sport0=51000, nports=100, dport=82):
    for i in range(count):
        seg = bytearray(rng.randbytes(rng.randint(20, 200)))
        struct.pack_into("!HH", seg, 0, sport0 + rng.randrange(nports), dport)
        struct.pack_into("!H", seg, 16, 0)
        if i % 2 == 0:
            struct.pack_into("!H", seg, 16,
                             tcp_csum("10.1.0.30", SVR4, bytes(seg)))
        out.add(eth() / IP(src="10.1.0.30", dst=SVR4, proto=6) /
                Raw(bytes(seg)))


def mixed(outdir):
    """a clean connection among hostile packets"""
    rng = random.Random(7)
    cap = Capture("mixed", "", T0)
    c = cap.conn("10.1.0.9", 52000, SVR4, 8001, 0xfffff000, 0x7ffffff0)
    D, R = blob(60000, 50), blob(9000, 51)
    c.handshake()
    junk = Out(0)

    def hostile():
        """a few hostile packets after the connection's last one"""
        kind = rng.randrange(5)
        base = (c.isn[C] + 1 + c.sent_end(C) + (1 << 31)) % (1 << 32)
        if kind == 0:       # RST out of the window, either way
            side = rng.randrange(2)
            c.pkt(side, "R", seq=(c.isn[side] + (1 << 31)) % (1 << 32), ack=0)
        elif kind == 1:     # a SYN on the 4-tuple, another ISN
            c.pkt(C, "S", seq=base)
        elif kind == 2:     # a truncated header on the 4-tuple
            p = eth() / IP(src="10.1.0.9", dst=SVR4, proto=6) / Raw(
                bytes(TCP(sport=52000, dport=8001))[:rng.randrange(20)])
            cap.add(Ether(raw(p)), bad=True)
        elif kind == 3:     # flag soup elsewhere
            cap.add(Ether(raw(eth() / tcp_segment(
                "10.1.0.20", SVR4, 53000 + rng.randrange(100), 81,
                rng.randrange(256), seq=rng.getrandbits(32),
                ack=rng.getrandbits(32), window=8192))), bad=None)
        else:               # random bytes elsewhere
            junk.pkts = []
            random_tcp(junk, rng, 1, sport0=54000)
            cap.add(junk.pkts[0], bad=None)

    for i in range(0, len(D), 1000):
        # the segment with other bytes and a bad checksum first: dropped
        c.send(C, i, bytes(255 - b for b in D[i:i + 1000]), badsum=True)
        c.send(C, i, D[i:i + 1000])
        hostile()
        if i % 10000 == 9000:
            c.set_end(C, i + 1000)
            c.ack(S, i + 1000)
    c.set_end(C, len(D))
    c.ack(S, len(D))
    for i in range(0, len(R), 1000):
        c.send(S, i, R[i:i + 1000])
        hostile()
    c.set_end(S, len(R))
    c.ack(C, len(R))
    c.close()
    c.expect(D, R)
    write(cap, outdir)


def write(cap, outdir):
    """a Capture's packets and its connections' streams, unchecked"""
    wrpcap(os.path.join(outdir, cap.name + ".pcap"), cap.pkts)
    for k, c in enumerate(cap.conns):
        for suffix, data in ((".c2s", c.exp[0]), (".s2c", c.exp[1])):
            with open(os.path.join(outdir, "%s.%d%s" % (cap.name, k, suffix)),
                      "wb") as f:
                f.write(data)


def frag(outdir):
    """a connection whose segments travel in IPv4 fragments"""
    cap = Capture("frag", "", T0)
    c = cap.conn("10.1.0.10", 52001, SVR4, 8002, 4000, 9000)
    D, R = blob(30000, 52), blob(3000, 53)
    c.handshake()
    for n, i in enumerate(range(0, len(D), 3000)):
        p = c.send(C, i, D[i:i + 3000])
        cap.pkts.pop()
        cap.bad.pop()
        p[IP].flags = 0
        p[IP].id = 100 + n
        frags = fragment(p[IP], fragsize=1000)
        if n % 2:
            frags.reverse()
        for f in frags:
            cap.add(Ether(raw(eth() / f)))
    c.set_end(C, len(D))
    c.ack(S, len(D))
    c.stream(S, R)
    c.close()
    c.expect(D, R)
    write(cap, outdir)


def ipbad(out):
    """IPv4 headers that ip_rcv() drops; the counters they raise"""
    good = raw(IP(src="10.1.0.40", dst=SVR4, id=1) /
               TCP(sport=55000, dport=83, flags="S"))

    def ip4(h):
        # An Ethernet header that says IPv4 (scapy's default before raw
        # bytes is another type)
        return Ether(src=MACS[0], dst=MACS[1], type=0x0800) / Raw(bytes(h))

    def fix(h):
        h[10:12] = b"\0\0"
        h[10:12] = struct.pack("!H", csum16(bytes(h[:(h[0] & 15) * 4])))
        return h

    for i in range(10):
        h = bytearray(good)
        h[0] = 0x43                     # IHL 3
        out.add(ip4(fix(h)))
    for i in range(10):
        h = fix(bytearray(good))
        h[10] ^= 0x55                   # bad header checksum
        out.add(ip4(h))
    for i in range(10):
        h = bytearray(good)
        h[2:4] = struct.pack("!H", 12)  # total length below the header
        out.add(ip4(fix(h)))
    for i in range(10):
        h = bytearray(good)
        h[2:4] = struct.pack("!H", len(good) + 100)  # past the frame
        out.add(ip4(fix(h)))
    return {"Ip:InHdrErrors": 30, "IpExt:InCsumErrors": 10,
            "IpExt:InTruncatedPkts": 10}


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[2])
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(1)

    out = Out(T0)
    n = truncated(out)
    wrpcap(os.path.join(outdir, "truncated.pcap"), out.pkts)
    with open(os.path.join(outdir, "truncated.expect"), "w") as f:
        f.write("parse_errors %d\n" % n)

    out = Out(T0)
    flag_soup(out, rng)
    wrpcap(os.path.join(outdir, "flags.pcap"), out.pkts)

    out = Out(T0)
    random_tcp(out, rng, 600)
    wrpcap(os.path.join(outdir, "random.pcap"), out.pkts)

    mixed(outdir)
    frag(outdir)

    out = Out(T0)
    exp = ipbad(out)
    wrpcap(os.path.join(outdir, "ipbad.pcap"), out.pkts)
    with open(os.path.join(outdir, "ipbad.expect"), "w") as f:
        for k, v in exp.items():
            f.write("%s %d\n" % (k, v))


if __name__ == "__main__":
    main()
