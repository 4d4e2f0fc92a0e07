#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
pktlib.py - the packet builder of the Python test scripts

craft_pcaps.py, hostile_pcaps.py, offline_pcaps.py and the generator of
mosreplay_test.sh build their captures from these pieces:

  tcp_segment  one TCP segment over IPv4 or IPv6, as a scapy packet
  Capture      packets in order, 1 ms apart, with the connections they
               belong to and what each connection's streams must hold;
               write() checks every checksum and writes NAME.pcap,
               NAME.conns and the expected streams
  Conn         one TCP connection of such segments over Ethernet
               (02:00:00:00:00:01 the client, :02 the server), IPv4 (DF)
               or IPv6 (optionally with extension headers): handshake,
               streams in segments in any order, ACKs, FINs, and single
               segments with any flags, options (scapy's or raw bytes),
               a bad checksum, or 0xffff for a computed 0x0000
  blob         deterministic pseudo-random bytes
  csum16       the RFC 1071 checksum; pseudo_hdr, tcp_csum and
               tcp_csum_ok for TCP over IPv4 and IPv6 (the convention of
               tools/lib/csum.h: a segment checks when its sum with the
               pseudo-header is 0, which a 0xffff field for a computed
               0x0000 also gives)

Checksums are computed by scapy and checked again with csum16 when a
capture is written.  Needs python3-scapy (Debian's, hence
/usr/bin/python3).
"""

import os
import random
import socket
import struct

from scapy.all import (IP, TCP, Ether, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrHopByHop, PadN, Raw, RouterAlert, raw,
                       wrpcap, conf)

conf.verb = 0

M32 = 1 << 32
C, S = 0, 1
T0 = 1700000000.0
MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")


def blob(n, seed):
    """n deterministic pseudo-random bytes"""
    return random.Random(seed).randbytes(n)


def csum16(data):
    """RFC 1071 Internet checksum of @data"""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo_hdr(addrs, length):
    """
    The TCP pseudo-header of a segment of @length bytes: @addrs is the
    source and destination address as in the IP header (8 bytes: IPv4,
    32: IPv6)
    """
    if len(addrs) == 8:
        return addrs + struct.pack("!BBH", 0, 6, length)
    return addrs + struct.pack("!IxxxB", length, 6)


def tcp_csum(src, dst, seg):
    """the TCP checksum of @seg (its checksum field zero) from @src to @dst"""
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    addrs = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst)
    return csum16(pseudo_hdr(addrs, len(seg)) + seg)


def tcp_csum_ok(frame):
    """Recompute the TCP checksum of an Ethernet frame from its bytes."""
    b = bytes(frame)
    et = struct.unpack("!H", b[12:14])[0]
    p = b[14:]
    if et == 0x0800:
        ihl = (p[0] & 15) * 4
        tot = struct.unpack("!H", p[2:4])[0]
        if csum16(p[:ihl]) != 0:
            return False
        seg = p[ihl:tot]
        addrs = p[12:20]
    else:
        plen = struct.unpack("!H", p[4:6])[0]
        nh, off = p[6], 40
        # hop-by-hop, routing, destination options; the cases' routing
        # headers have no segment left, so the IPv6 destination is the
        # final one that the pseudo-header takes (RFC 8200 8.1)
        while nh in (0, 43, 60):
            nh, off = p[off], off + (p[off + 1] + 1) * 8
        seg = p[off:40 + plen]
        addrs = p[8:40]
    return csum16(pseudo_hdr(addrs, len(seg)) + seg) == 0


def tcp_segment(src, dst, sport, dport, flags, seq=0, ack=0, window=65535,
                data=b"", opts=None, rawopts=b"", df=False, ext6=False,
                chksum=None, exthdrs=None):
    """
    One TCP segment as a scapy packet, from its IP header on: IPv4 (TTL
    64, @df: don't fragment) or IPv6 (hop limit 64; @ext6: behind a
    hop-by-hop header with a router alert and a destination options
    header with PadN), by the form of @src.  @opts: options for scapy to
    encode; @rawopts: option bytes as they are (scapy would "fix" bad
    ones), put before @data with the data offset set by hand.  @chksum:
    a TCP checksum field of the caller's instead of scapy's.  @exthdrs:
    IPv6 extension headers (scapy layers) before TCP, instead of @ext6's.
    """
    if ":" in src:
        l3 = IPv6(src=src, dst=dst, hlim=64)
        if exthdrs:
            for h in exthdrs:
                l3 = l3 / h
        elif ext6:
            l3 = (l3 / IPv6ExtHdrHopByHop(options=[RouterAlert()]) /
                  IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]))
    elif df:
        l3 = IP(src=src, dst=dst, ttl=64, flags="DF")
    else:
        l3 = IP(src=src, dst=dst, ttl=64)
    tcp = TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags,
              window=window)
    if opts:
        tcp.options = opts
    if rawopts:
        assert len(rawopts) % 4 == 0
        tcp.dataofs = 5 + len(rawopts) // 4
        data = rawopts + data
    if chksum is not None:
        tcp.chksum = chksum
    p = l3 / tcp
    if data:
        p = p / Raw(data)
    return p


class Conn:
    """
    One connection.  Stream offsets count from the byte after the SYN;
    self.acked[side] is how much of the peer's stream @side acknowledges,
    self.end[side] where @side's next new byte goes (its FIN, by close()).
    """

    def __init__(self, cap, cip, cport, sip, sport, cisn, sisn, ext6=False):
        self.cap = cap
        self.ip = (cip, sip)
        self.port = (cport, sport)
        self.isn = [cisn % M32, sisn % M32]
        self.v6 = ":" in cip
        self.ext6 = ext6
        self.acked = [0, 0]
        self.end = [0, 0]
        self.win = [65535, 65535]
        self.exp = None
        cap.conns.append(self)

    def seq(self, side, off):
        """sequence number of @side's stream offset @off"""
        return (self.isn[side] + 1 + off) % M32

    def pkt(self, side, flags, off=0, data=b"", seq=None, ack=None,
            win=None, opts=None, rawopts=b"", badsum=False, ffff=False,
            exthdrs=None):
        """
        Append one segment from @side; returns it.  With @ffff, the first
        two bytes of @data change so that the checksum computes to 0x0000,
        and the segment carries the other one's-complement zero, 0xffff.
        @exthdrs: IPv6 extension headers for this segment (tcp_segment()).
        """
        peer = 1 - side
        if seq is None:
            seq = self.isn[side] if "S" in flags else self.seq(side, off)
        if ack is None:
            ack = self.seq(peer, self.acked[side]) if "A" in flags else 0
        eth = Ether(src=MACS[side], dst=MACS[peer])
        seg = dict(src=self.ip[side], dst=self.ip[peer],
                   sport=self.port[side], dport=self.port[peer], flags=flags,
                   seq=seq, ack=ack,
                   window=self.win[side] if win is None else win,
                   opts=opts, rawopts=rawopts, df=True, ext6=self.ext6,
                   exthdrs=exthdrs)
        p = Ether(raw(eth / tcp_segment(data=data, **seg)))
        if ffff:
            # A word at an even offset of the segment: adding the checksum
            # to it brings the sum to 0xffff, which complements to 0.
            assert len(data) >= 2 and not rawopts and not self.ext6
            w = struct.unpack("!H", data[:2])[0] + p[TCP].chksum
            w = (w & 0xFFFF) + (w >> 16)
            data = struct.pack("!H", w) + data[2:]
            p = Ether(raw(eth / tcp_segment(data=data, **seg)))
            assert p[TCP].chksum == 0
            p[TCP].chksum = 0xFFFF
            p = Ether(raw(p))
        if badsum:
            p[TCP].chksum ^= 0x5a5a
            p = Ether(raw(p))
        self.cap.add(p, badsum)
        return p

    def send(self, side, off, data, flags="PA", **kw):
        return self.pkt(side, flags, off, data, **kw)

    def ack(self, side, upto=None, **kw):
        """@side acknowledges the peer's stream up to @upto (a pure ACK)"""
        if upto is not None:
            self.acked[side] = upto
        return self.pkt(side, "A", self.sent_end(side), **kw)

    def sent_end(self, side):
        """end of what @side has sent, as a stream offset"""
        return self.end[side]

    def set_end(self, side, off):
        self.end[side] = off

    def handshake(self, copts=None, sopts=None):
        mss = [("MSS", 1460)]
        self.pkt(C, "S", opts=copts if copts is not None else mss)
        self.pkt(S, "SA", opts=sopts if sopts is not None else mss,
                 ack=(self.isn[C] + 1) % M32)
        self.ack(C)

    def stream(self, side, data, seg=1000, start=0, order=None, ack=True):
        """
        Send @data from @side as the stream bytes at @start, in segments
        of @seg bytes (in the order of the segment indexes @order), then
        the peer acknowledges all of it.
        """
        pieces = [(start + i, data[i:i + seg]) for i in range(0, len(data), seg)]
        for i in (order if order is not None else range(len(pieces))):
            self.send(side, *pieces[i])
        self.set_end(side, start + len(data))
        if ack:
            self.ack(1 - side, start + len(data))

    def close(self, first=C):
        """FIN from @first, FIN+ACK from the other, last ACK"""
        a, b = first, 1 - first
        ea, eb = self.sent_end(a), self.sent_end(b)
        self.pkt(a, "FA", ea)
        self.acked[b] = ea + 1
        self.pkt(b, "FA", eb)
        self.acked[a] = eb + 1
        self.pkt(a, "A", ea + 1)

    def expect(self, c2s, s2c, c2s_last=None, s2c_last=None):
        self.exp = (c2s, s2c, c2s_last, s2c_last)


class Capture:
    def __init__(self, name, doc, t0):
        self.name = name
        self.doc = doc
        self.t = t0
        self.pkts = []
        self.bad = []
        self.conns = []
        self.gaps = 0       # gaps mos reports over the whole capture

    def add(self, p, bad=False):
        p.time = self.t
        self.t += 0.001
        self.pkts.append(p)
        self.bad.append(bad)

    def conn(self, *a, **kw):
        return Conn(self, *a, **kw)

    def write(self, outdir):
        for p, bad in zip(self.pkts, self.bad):
            if tcp_csum_ok(p) == bad:
                raise SystemExit("%s: packet %s: checksum %s" %
                                 (self.name, p.summary(),
                                  "good, wanted bad" if bad else "bad"))
        wrpcap(os.path.join(outdir, self.name + ".pcap"), self.pkts)
        if self.gaps:
            with open(os.path.join(outdir, self.name + ".gaps"), "w") as f:
                f.write("%d\n" % self.gaps)
        with open(os.path.join(outdir, self.name + ".conns"), "w") as f:
            for line in self.doc.strip().splitlines():
                f.write("# " + line.strip() + "\n")
            for k, c in enumerate(self.conns):
                f.write("%d %s %d %s %d\n" % (k, c.ip[0], c.port[0],
                                              c.ip[1], c.port[1]))
        for k, c in enumerate(self.conns):
            assert c.exp is not None, "%s: conn %d has no expectation" % (self.name, k)
            c2s, s2c, c2s_last, s2c_last = c.exp
            base = os.path.join(outdir, "%s.%d" % (self.name, k))
            for suffix, data in ((".c2s", c2s), (".s2c", s2c)):
                with open(base + suffix, "wb") as f:
                    f.write(data)
            if c2s_last is not None or s2c_last is not None:
                # Both .last files, the direction LAST does not change
                # being a copy of its FIRST file.
                for suffix, data in ((".last.c2s", c2s if c2s_last is None else c2s_last),
                                     (".last.s2c", s2c if s2c_last is None else s2c_last)):
                    with open(base + suffix, "wb") as f:
                        f.write(data)
