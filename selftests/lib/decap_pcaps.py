#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
decap_pcaps.py - a TCP exchange wrapped in each encapsulation and link type

Usage: decap_pcaps.py OUTDIR

Writes, in the format of craft_pcaps.py (NAME.pcap, NAME.conns and the
expected streams NAME.K.c2s, NAME.K.s2c, for selftests/unit/replay_diff.sh),
one capture per encapsulation or link type, each holding one connection
(handshake, 3000 bytes from the client in three segments, 2000 from the
server in two, FINs), and NAME.decap: the number of records whose packet
is inside at least one encapsulation (mosreplay's summary "decap").
The headers follow their specifications:

  ipip, sit, ip6ip6, ip4ip6  IPv4 in IPv4 (RFC 2003), IPv6 in IPv4
                   (protocol 41, RFC 4213), IPv6 in IPv6 and IPv4 in
                   IPv6 (RFC 2473)
  gre, gre6_teb    GRE with checksum, key and sequence number (RFC 2784,
                   RFC 2890) carrying IPv4; over IPv6 carrying Ethernet
                   (0x6558) with an 802.1Q tag
  erspan1          GRE 0x88BE without a sequence number: ERSPAN type I, the
                   mirrored Ethernet frame right after the GRE header
  erspan2          GRE (sequence number) 0x88BE, ERSPAN type II header
                   (version 1), the mirrored Ethernet frame
  erspan3          GRE 0x22EB, ERSPAN type III header (version 2, frame
                   type Ethernet)
  vxlan            UDP 4789, VXLAN (RFC 7348, I flag, VNI 42), Ethernet
  geneve           UDP 6081, Geneve (RFC 8926) with an 8-byte option,
                   protocol 0x6558, Ethernet
  pppoe            PPPoE session (RFC 2516) with PPP protocol 0x0021; the
                   Ethernet frames padded to 60 bytes
  gtpu             UDP 2152, GTP-U G-PDU (3GPP TS 29.281) with the E flag
                   and a PDU session container extension header
  nested           IPv4 in IPv4, in GRE, in VXLAN over IPv4 (three
                   encapsulations)
  ipip4            four IPv4 in IPv4 encapsulations, the most allowed
  dlt_null, dlt_loop  BSD loopback: AF_INET in host (little-endian) order,
                   AF_INET6 (24) in network order
  dlt_ppp, dlt_ppp_hdlc, dlt_c_hdlc, dlt_ppp_ether  PPP without framing
                   (IPv6, 0x0057), PPP in HDLC-like framing (ff 03),
                   Cisco HDLC, PPPoE without Ethernet
  dlt_nflog        NFLOG: header, NFULA_PACKET_HDR, NFULA_PREFIX, then
                   NFULA_PAYLOAD (TLV lengths in host order)

With --bad OUTDIR: bad.pcap, frames that are counted and never tracked,
one line per frame in bad.want ("COUNTER" each frame adds to).
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import Capture, C, S, blob, T0  # noqa: E402
from scapy.all import IP, IPv6, UDP, GRE, Ether, Dot1Q, Raw, raw, wrpcap  # noqa: E402

DLT_NULL, DLT_EN10MB, DLT_PPP, DLT_PPP_SERIAL, DLT_PPP_ETHER = 0, 1, 9, 50, 51
DLT_C_HDLC, DLT_LOOP, DLT_NFLOG = 104, 108, 239

V4 = ("10.9.0.1", 41000, "10.9.0.2", 80)
V6 = ("fd00:9::1", 41001, "fd00:9::2", 80)
OUT4 = dict(src="192.0.2.1", dst="192.0.2.2")
OUT6 = dict(src="2001:db8::1", dst="2001:db8::2")
VTEP_MAC = dict(src="02:00:00:00:aa:01", dst="02:00:00:00:aa:02")


def exchange(name, addrs, seed):
    """the connection, as Ethernet frames, in a Capture"""
    cap = Capture(name, __doc__.split("\n\n")[0], T0)
    cip, cport, sip, sport = addrs
    c = cap.conn(cip, cport, sip, sport, 1000 + seed, 900000 + seed)
    d1, d2 = blob(3000, seed), blob(2000, seed + 1)
    c.handshake()
    c.stream(C, d1)
    c.stream(S, d2)
    c.close()
    c.expect(d1, d2)
    return cap


def ip_of(frame):
    """the IP packet of an Ethernet frame, as bytes"""
    return bytes(frame)[14:]


def pad60(b):
    return b + b"\0" * max(0, 60 - len(b))


def outer(payload, proto, v6=False):
    """an Ethernet frame with an outer IP header of @proto around @payload"""
    if v6:
        return raw(Ether(**VTEP_MAC) / IPv6(nh=proto, **OUT6) / Raw(payload))
    return raw(Ether(**VTEP_MAC) / IP(proto=proto, **OUT4) / Raw(payload))


def udp_outer(payload, dport, sport=50000):
    return raw(Ether(**VTEP_MAC) / IP(**OUT4) /
               UDP(sport=sport, dport=dport) / Raw(payload))


def gre_hdr(proto, csum=False, key=None, seq=None, body=b""):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | \
            (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", flags, proto)
    opt = b""
    if csum:
        opt += b"\0\0\0\0"
    if key is not None:
        opt += struct.pack("!I", key)
    if seq is not None:
        opt += struct.pack("!I", seq)
    if csum:
        # RFC 2784 2.5: the checksum of the GRE header and payload
        from pktlib import csum16
        c = csum16(h + opt + body)
        opt = struct.pack("!H", c) + opt[2:]
    return h + opt


def vxlan(frame, vni=42):
    return b"\x08\0\0\0" + struct.pack("!I", vni << 8) + frame


def erspan2(frame, session=5):
    # version 1, VLAN 0; COS, En, T 0, session; reserved, index 0
    return struct.pack("!HHI", 0x1000, session, 0) + frame


def erspan3(frame, session=6):
    # version 2, VLAN 0; COS, BSO, T 0, session; timestamp; SGT, P, FT 0
    # (Ethernet), hardware id, D, granularity, O 0
    return struct.pack("!HHIHH", 0x2000, session, 123456, 0, 0) + frame


def geneve(frame):
    # version 0, 2 words of options, protocol 0x6558, VNI 7
    opt = struct.pack("!HBB", 0x0102, 0x01, 1) + b"\xde\xad\xbe\xef"
    return struct.pack("!BBHI", 2, 0, 0x6558, 7 << 8) + opt + frame


def gtpu(ip, teid=0x1234):
    # E flag: sequence, N-PDU, next type 0x85 (PDU session container),
    # then the container: length 1 (4 bytes), PDU type and QFI, next 0
    ext = struct.pack("!HBB", 0, 0, 0x85) + bytes([1, 0x10, 0x09, 0])
    return struct.pack("!BBHI", 0x34, 0xFF, len(ext) + len(ip), teid) + ext + ip


def pppoe(ppp_payload, session=0x11):
    return struct.pack("!BBHH", 0x11, 0, session, len(ppp_payload)) + ppp_payload


def nflog(ip, family=2):
    def tlv(t, v):
        b = struct.pack("=HH", 4 + len(v), t) + v
        return b + b"\0" * (-len(b) % 4)
    return (struct.pack("!BBH", family, 0, 7) +
            tlv(1, struct.pack("!HBB", 0x0800, 0, 0)) +
            tlv(10, b"mos\0") + tlv(9, ip))


def nested(f):
    """IPv4 in IPv4, in GRE, in VXLAN over IPv4"""
    ipip = raw(IP(proto=4, src="203.0.113.1", dst="203.0.113.2") / Raw(ip_of(f)))
    gre = raw(Ether(**VTEP_MAC) /
              IP(proto=47, src="198.51.100.1", dst="198.51.100.2") /
              Raw(gre_hdr(0x0800) + ipip))
    return udp_outer(vxlan(gre), 4789)


def ipip4(f):
    """four IPv4 in IPv4 encapsulations: the most a frame may have"""
    p = ip_of(f)
    for i in range(4):
        p = raw(IP(proto=4, src="198.18.0.%d" % (2 * i + 1),
                   dst="198.18.0.%d" % (2 * i + 2)) / Raw(p))
    return raw(Ether(type=0x0800, **VTEP_MAC) / Raw(p))


# name: (addresses, link type, frame -> record, records are encapsulated)
CASES = {
    "ipip": (V4, DLT_EN10MB, lambda f: outer(ip_of(f), 4), True),
    "sit": (V6, DLT_EN10MB, lambda f: outer(ip_of(f), 41), True),
    "ip6ip6": (V6, DLT_EN10MB, lambda f: outer(ip_of(f), 41, v6=True), True),
    "ip4ip6": (V4, DLT_EN10MB, lambda f: outer(ip_of(f), 4, v6=True), True),
    "gre": (V4, DLT_EN10MB,
            lambda f: outer(gre_hdr(0x0800, csum=True, key=77, seq=1,
                                    body=ip_of(f)) + ip_of(f), 47), True),
    "gre6_teb": (V4, DLT_EN10MB,
                 lambda f: outer(gre_hdr(0x6558, key=3) +
                                 raw(Ether(bytes(f)[:12] + b"\x81\x00\x00\x0a" +
                                           bytes(f)[12:])), 47, v6=True), True),
    "erspan1": (V6, DLT_EN10MB,
                lambda f: outer(gre_hdr(0x88BE) + bytes(f), 47), True),
    "erspan2": (V4, DLT_EN10MB,
                lambda f: outer(gre_hdr(0x88BE, seq=9) + erspan2(bytes(f)), 47),
                True),
    "erspan3": (V6, DLT_EN10MB,
                lambda f: outer(gre_hdr(0x22EB, seq=9) + erspan3(bytes(f)), 47),
                True),
    "vxlan": (V4, DLT_EN10MB, lambda f: udp_outer(vxlan(bytes(f)), 4789), True),
    "geneve": (V6, DLT_EN10MB, lambda f: udp_outer(geneve(bytes(f)), 6081),
               True),
    "pppoe": (V4, DLT_EN10MB,
              lambda f: pad60(raw(Ether(**VTEP_MAC, type=0x8864)) +
                              pppoe(b"\x00\x21" + ip_of(f))), True),
    "gtpu": (V4, DLT_EN10MB,
             lambda f: udp_outer(gtpu(ip_of(f)), 2152, sport=2152), True),
    "nested": (V4, DLT_EN10MB, lambda f: nested(f), True),
    "ipip4": (V4, DLT_EN10MB, lambda f: ipip4(f), True),
    "dlt_null": (V4, DLT_NULL, lambda f: struct.pack("<I", 2) + ip_of(f), False),
    "dlt_loop": (V6, DLT_LOOP, lambda f: struct.pack("!I", 24) + ip_of(f), False),
    "dlt_ppp": (V6, DLT_PPP, lambda f: b"\x00\x57" + ip_of(f), False),
    "dlt_ppp_hdlc": (V4, DLT_PPP_SERIAL, lambda f: b"\xff\x03\x00\x21" + ip_of(f),
                     False),
    "dlt_c_hdlc": (V4, DLT_C_HDLC, lambda f: b"\x0f\x00\x08\x00" + ip_of(f), False),
    "dlt_ppp_ether": (V4, DLT_PPP_ETHER, lambda f: pppoe(b"\x00\x21" + ip_of(f)),
                      True),
    "dlt_nflog": (V4, DLT_NFLOG, lambda f: nflog(ip_of(f)), False),
}


def write_raw(path, recs, times, linktype):
    pkts = []
    for b, t in zip(recs, times):
        p = Raw(b)
        p.time = t
        pkts.append(p)
    wrpcap(path, pkts, linktype=linktype)


def bad_frames(f):
    """(record, counter) pairs of Ethernet frames that are never tracked"""
    ip = ip_of(f)
    deep = ip
    for _ in range(5):
        deep = raw(IP(proto=4, **OUT4) / Raw(deep))
    return [
        # GRE version 1 (PPTP's enhanced GRE): not decapsulated
        (outer(struct.pack("!HH", 0x0001, 0x880B) + ip, 47), "decap_unknown"),
        # GRE carrying MPLS
        (outer(gre_hdr(0x8847) + ip, 47), "decap_unknown"),
        # GTP-U echo request, not a G-PDU
        (udp_outer(struct.pack("!BBHI", 0x32, 1, 4, 0) + b"\0\0\0\0", 2152,
                   sport=2152), "decap_unknown"),
        # VXLAN carrying ARP
        (udp_outer(vxlan(raw(Ether(type=0x0806) / Raw(b"\0" * 28))), 4789),
         "decap_unknown"),
        # Geneve version 1
        (udp_outer(b"\x40\x00\x65\x58" + b"\0" * 4 + bytes(f), 6081), "decap_unknown"),
        # PPPoE with LCP
        (pad60(raw(Ether(type=0x8864)) + pppoe(b"\xc0\x21\x01\x01\x00\x04")),
         "decap_unknown"),
        # GRE with the routing bit (RFC 1701), which RFC 2784 removed
        (outer(struct.pack("!HH", 0x4000, 0x0800) + b"\0" * 4 + ip, 47), "decap_bad"),
        # VXLAN without the I flag
        (udp_outer(b"\0" * 8 + bytes(f), 4789), "decap_bad"),
        # a UDP length past the IP packet
        (raw(Ether(**VTEP_MAC) / IP(**OUT4) /
             UDP(sport=1, dport=4789, len=2000) / Raw(vxlan(bytes(f)))), "decap_bad"),
        # a VXLAN header cut short by the UDP length
        (raw(Ether(**VTEP_MAC) / IP(**OUT4) / UDP(sport=1, dport=4789) /
             Raw(b"\x08\0\0")), "decap_bad"),
        # PPPoE version 2
        (pad60(raw(Ether(type=0x8864)) + b"\x21" + pppoe(b"\x00\x21" + ip)[1:]),
         "decap_bad"),
        # GTP-U length past the UDP payload
        (udp_outer(struct.pack("!BBHI", 0x30, 0xFF, len(ip) + 40, 1) + ip, 2152),
         "decap_bad"),
        # ERSPAN type III version under the type II protocol
        (outer(gre_hdr(0x88BE, seq=1) + erspan3(bytes(f)), 47), "decap_bad"),
        # GTP-U extension header of length 0
        (udp_outer(struct.pack("!BBHI", 0x34, 0xFF, len(ip) + 8, 1) +
                   b"\0\0\0\x85" + b"\0\0\0\0" + ip, 2152), "decap_bad"),
        # six IP headers: five IP in IP encapsulations
        (raw(Ether(type=0x0800, **VTEP_MAC) / Raw(deep)), "decap_deep"),
        # a plain UDP datagram to another port: not a tunnel
        (udp_outer(b"hello", 53), "other"),
    ]


def write_nflog_pad(path):
    """
    One NFLOG record of 65544 bytes, in a file whose snapshot length
    (262144) lets it through whole: a TLV of 65533 bytes (type 10, a
    prefix), whose length padded to 4 bytes is 65536, past a u16, then
    the packet's TLV
    """
    tlv = struct.pack("=HH", 65533, 10) + b"p" * 65529 + b"\0" * 3
    rec = struct.pack("!BBH", 2, 0, 7) + tlv + struct.pack("=HH", 4, 9)
    with open(path, "wb") as f:
        f.write(struct.pack("=IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144,
                            DLT_NFLOG))
        f.write(struct.pack("=IIII", int(T0), 0, len(rec), len(rec)))
        f.write(rec)


def main():
    args = sys.argv[1:]
    bad = args[:1] == ["--bad"]
    if bad:
        args = args[1:]
    if len(args) != 1:
        raise SystemExit(__doc__.strip().splitlines()[2])
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    if bad:
        cap = exchange("bad", V4, 99)
        frames = bad_frames(cap.pkts[3])
        for i, (b, _) in enumerate(frames):
            # an Ethernet frame: IPv4 outer headers get their Ethernet
            if b[12:14] not in (b"\x08\x00", b"\x86\xdd", b"\x88\x64", b"\x81\x00"):
                raise SystemExit("bad frame %d is not Ethernet" % i)
        write_raw(os.path.join(outdir, "bad.pcap"), [b for b, _ in frames],
                  [T0 + i * 0.001 for i in range(len(frames))], DLT_EN10MB)
        with open(os.path.join(outdir, "bad.want"), "w") as f:
            for _, what in frames:
                f.write(what + "\n")
        write_nflog_pad(os.path.join(outdir, "nflog_pad.pcap"))
        return
    for i, (name, (addrs, dlt, wrap, enc)) in enumerate(CASES.items()):
        cap = exchange(name, addrs, 10 * i)
        cap.write(outdir)
        recs = [wrap(p) for p in cap.pkts]
        write_raw(os.path.join(outdir, name + ".pcap"), recs,
                  [p.time for p in cap.pkts], dlt)
        with open(os.path.join(outdir, name + ".decap"), "w") as f:
            f.write("%d\n" % (len(recs) if enc else 0))


if __name__ == "__main__":
    main()
