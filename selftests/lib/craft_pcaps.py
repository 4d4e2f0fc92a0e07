#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
craft_pcaps.py - crafted TCP captures whose reassembled streams are known

Usage: selftests/lib/craft_pcaps.py OUTDIR [CASE...]
       selftests/craft_pcaps.py --list

Writes, for each case (all of them by default), into OUTDIR:

  NAME.pcap          Ethernet frames, timestamps 1 ms apart
  NAME.conns         one line per connection, in the order of their first
                     SYN: "K CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT";
                     lines starting with '#' describe the case
  NAME.K.c2s         the bytes connection K's client-to-server stream must
  NAME.K.s2c         hold, and its server-to-client stream, under overlap
                     policy FIRST (the default)
  NAME.K.last.c2s    the same under policy LAST, only for the cases where
  NAME.K.last.s2c    LAST gives other bytes

The expected bytes are those the receiving TCP ends up with: a segment
the receiver would drop (bad checksum, after the connection was reset)
adds nothing.  Where segments overlap with different bytes the answer
depends on the policy: FIRST keeps the bytes seen first, LAST the bytes
seen last as long as they were not yet delivered in order; bytes already
delivered in order never change.  Each case's docstring says what the
expected bytes are and why.

The packets come from pktlib.py, which checks every checksum again with
a sum written from RFC 1071 (every packet but those a case wants with a
bad checksum).  Every case has a full handshake and closes with FINs,
except where the case is about something else (rst_exact).

Needs python3-scapy (Debian's, hence /usr/bin/python3).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import M32, C, S, T0, Capture, blob  # noqa: E402
from scapy.all import (HBHOptUnknown, IPv6ExtHdrDestOpt,  # noqa: E402
                       IPv6ExtHdrHopByHop, IPv6ExtHdrSegmentRouting, Raw)

# ---------------------------------------------------------------------------
# the overlap model


def overlay(segs, policy, start=0):
    """
    The byte-level model of the overlap policies, used to check the
    hand-written expectations of the overlap cases: @segs are (offset,
    bytes) in arrival order.  FIRST: a byte not yet delivered keeps the
    first value seen; LAST: the last one.  Delivered bytes never change.
    Returns the in-order stream.
    """
    out = bytearray()
    pend = {}
    for off, data in segs:
        for i, b in enumerate(data):
            o = off + i
            if o < start + len(out):
                continue
            if policy == "last" or o not in pend:
                pend[o] = b
        while start + len(out) in pend:
            out.append(pend.pop(start + len(out)))
    return bytes(out)


# ---------------------------------------------------------------------------
# the cases
#
# Addresses: 10.1.0.1 / fd01::1 are clients, 10.2.0.1 / fd02::1 servers;
# each case has its own client port, so the captures can be merged.

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def overlap_same(cap):
    """
    Overlapping retransmissions that repeat the same bytes, in order and
    out of order: [0,1000), [2000,3000) early, [1500,2500) overlapping it,
    [500,1500) overlapping delivered bytes and filling the hole, then all
    of [0,3000) again.  IPv6.  Expected: the 3000 bytes once; the server's
    800-byte answer.  Policy does not matter.
    """
    c = cap.conn("fd01::1", 40001, "fd02::1", 80, 1000, 5000)
    D, R = blob(3000, 1), blob(800, 2)
    c.handshake()
    for a, b in ((0, 1000), (2000, 3000), (1500, 2500), (500, 1500)):
        c.send(C, a, D[a:b])
        if a == 0:
            c.ack(S, 1000)
    c.set_end(C, 3000)
    c.ack(S, 3000)
    c.stream(C, D, seg=1000)        # everything again
    c.stream(S, R, seg=800)
    c.close()
    c.expect(D, R)


def _check(name, got, want):
    if got != want:
        raise SystemExit("%s: the overlap model disagrees with the case" % name)


@case
def overlap_ooo(cap):
    """
    Out-of-order segments that overlap each other with different bytes,
    all held while [100,150) is missing:
      a [0,100) delivered; A [200,400); B [300,500); C [150,250);
      D [320,340); E [480,560); F [100,150) fills the hole; g [560,600).
    FIRST: a*100 F*50 C*50 A*200 B*100 E*60 g*40 (each byte from the
      earliest segment that carried it).
    LAST:  a*100 F*50 C*100 A*50 B*20 D*20 B*140 E*80 g*40 (each byte
      from the latest, since none was delivered before F arrived).
    """
    c = cap.conn("10.1.0.1", 40002, "10.2.0.1", 80, 77777, 99999)
    segs = [(0, b"a" * 100), (200, b"A" * 200), (300, b"B" * 200),
            (150, b"C" * 100), (320, b"D" * 20), (480, b"E" * 80),
            (100, b"F" * 50), (560, b"g" * 40)]
    c.handshake()
    for off, d in segs:
        c.send(C, off, d)
        if off in (0, 100, 560):
            c.ack(S, {0: 100, 100: 560, 560: 600}[off])
        else:
            c.ack(S)                # duplicate ACK
    c.set_end(C, 600)
    first = b"a" * 100 + b"F" * 50 + b"C" * 50 + b"A" * 200 + b"B" * 100 + b"E" * 60 + b"g" * 40
    last = (b"a" * 100 + b"F" * 50 + b"C" * 100 + b"A" * 50 + b"B" * 20 + b"D" * 20 +
            b"B" * 140 + b"E" * 80 + b"g" * 40)
    _check(cap.name, overlay(segs, "first"), first)
    _check(cap.name, overlay(segs, "last"), last)
    R = b"ok\n"
    c.stream(S, R)
    c.close()
    c.expect(first, R, c2s_last=last)


@case
def overlap_fill(cap):
    """
    The segment that fills the hole overlaps held bytes with different
    ones: a [0,100) delivered; A [150,250) held; F [100,200) arrives in
    order; g [250,300).
    FIRST: a*100 F*50 A*100 g*50 (A's [150,200) was seen before F's).
    LAST:  a*100 F*100 A*50 g*50 (F is the later for [150,200), and those
      bytes were not delivered before F arrived).
    Also in the other direction, s2c, the same pattern with other letters.
    """
    c = cap.conn("10.1.0.1", 40003, "10.2.0.1", 80, 3000000000, 12345)
    segs = [(0, b"a" * 100), (150, b"A" * 100), (100, b"F" * 100), (250, b"g" * 50)]
    rsegs = [(0, b"x" * 10), (20, b"Y" * 30), (10, b"Z" * 20), (50, b"w" * 5)]
    first = b"a" * 100 + b"F" * 50 + b"A" * 100 + b"g" * 50
    last = b"a" * 100 + b"F" * 100 + b"A" * 50 + b"g" * 50
    rfirst = b"x" * 10 + b"Z" * 10 + b"Y" * 30 + b"w" * 5
    rlast = b"x" * 10 + b"Z" * 20 + b"Y" * 20 + b"w" * 5
    _check(cap.name, overlay(segs, "first"), first)
    _check(cap.name, overlay(segs, "last"), last)
    _check(cap.name, overlay(rsegs, "first"), rfirst)
    _check(cap.name, overlay(rsegs, "last"), rlast)
    c.handshake()
    for (off, d), upto in zip(segs, (100, 100, 250, 300)):
        c.send(C, off, d)
        c.ack(S, upto)
    c.set_end(C, 300)
    for (off, d), upto in zip(rsegs, (10, 10, 50, 55)):
        c.send(S, off, d)
        c.ack(C, upto)
    c.set_end(S, 55)
    c.close()
    c.expect(first, rfirst, c2s_last=last, s2c_last=rlast)


@case
def rexmit_diff(cap):
    """
    Retransmissions of delivered bytes with other bytes: [0,300) 'a' is
    delivered and acknowledged; then R [200,400) 'R' and X [0,300) 'X'.
    Delivered bytes stand under both policies: a*300 R*100, then b*100.
    """
    c = cap.conn("10.1.0.1", 40004, "10.2.0.1", 80, 5, 6)
    c.handshake()
    c.send(C, 0, b"a" * 300)
    c.ack(S, 300)
    c.send(C, 200, b"R" * 200)
    c.ack(S, 400)
    c.send(C, 0, b"X" * 300)
    c.ack(S)
    c.send(C, 400, b"b" * 100)
    c.set_end(C, 500)
    c.ack(S, 500)
    c.stream(S, b"done")
    c.close()
    want = b"a" * 300 + b"R" * 100 + b"b" * 100
    _check(cap.name, overlay([(0, b"a" * 300), (200, b"R" * 200), (0, b"X" * 300),
                              (400, b"b" * 100)], "last"), want)
    c.expect(want, b"done")


@case
def ooo_holes(cap):
    """
    Out of order with holes filled later: the client's 6000 bytes arrive
    as segments 0, 2, 4, 5, 3, 1 (holes at 1 and 3); the server's 3000
    as 0, then 2 carrying the FIN, then 1.  Expected: both streams whole.
    """
    c = cap.conn("10.1.0.1", 40005, "10.2.0.1", 80, 424242, 2 ** 31)
    D, R = blob(6000, 5), blob(3000, 6)
    c.handshake()
    for i in (0, 2, 4, 5, 3, 1):
        c.send(C, i * 1000, D[i * 1000:(i + 1) * 1000])
        c.ack(S, 6000 if i == 1 else 1000)
    c.set_end(C, 6000)
    c.send(S, 0, R[0:1000])
    c.ack(C, 1000)
    c.send(S, 2000, R[2000:3000], flags="FPA")
    c.ack(C)
    c.send(S, 1000, R[1000:2000])
    c.set_end(S, 3000)
    c.acked[C] = 3001                # the FIN too
    c.pkt(C, "FA", 6000)
    c.acked[S] = 6001
    c.pkt(S, "A", 3001)
    c.expect(D, R)


@case
def rst_oow(cap):
    """
    RSTs outside the receiver's window, one each way (seq 300000 past the
    receiver's next expected byte, window 65535): ignored, the streams
    go on.  Expected: all 3000 + 1500 bytes.
    """
    c = cap.conn("10.1.0.1", 40006, "10.2.0.1", 8080, 1, 2)
    D, R = blob(3000, 7), blob(1500, 8)
    c.handshake()
    c.stream(C, D[:1000])
    c.stream(S, R[:500])
    c.pkt(C, "R", seq=c.seq(C, 1000 + 300000))
    c.pkt(S, "R", seq=c.seq(S, 500 + 300000))
    c.stream(C, D[1000:], start=1000)
    c.stream(S, R[500:], start=500)
    c.close()
    c.expect(D, R)


@case
def rst_inwin(cap):
    """
    An RST inside the server's window but not at its left edge (5000
    bytes past it): the server answers with a challenge ACK and stays
    open (RFC 5961 3.2); the client's data follows.  Expected: all of it.
    """
    c = cap.conn("10.1.0.1", 40007, "10.2.0.1", 8080, 100, 200)
    D, R = blob(3000, 9), blob(700, 10)
    c.handshake()
    c.stream(C, D[:1000])
    c.pkt(C, "R", seq=c.seq(C, 1000 + 5000))
    c.ack(S)                         # challenge ACK
    c.stream(C, D[1000:], start=1000)
    c.stream(S, R)
    c.close()
    c.expect(D, R)


@case
def rst_exact(cap):
    """
    An RST at the server's next expected sequence number closes the
    connection.  A data segment from each side follows on the same
    4-tuple ('X' * 500 continuing the client's stream, 'Y' * 200 the
    server's): the connection is gone, the real endpoints would answer
    them with RSTs, they belong to no stream.  Expected: the 1000 and 500
    bytes sent before the RST.  No FIN: the RST is the close.
    """
    c = cap.conn("10.1.0.1", 40008, "10.2.0.1", 8080, 1000, 2000)
    D, R = blob(1000, 11), blob(500, 12)
    c.handshake()
    c.stream(C, D)
    c.stream(S, R)
    c.pkt(C, "RA", 1000)
    c.send(C, 1000, b"X" * 500)
    c.send(S, 500, b"Y" * 200)
    c.expect(D, R)


@case
def hole_end(cap):
    """
    Bytes behind a hole nobody fills: the client's [0,1000) in order,
    then [2000,3000); the server acknowledges 1000 only (Linux's read()
    stops at the hole and its ACK says rcv_nxt).  Connection 0 ends with
    an exact RST at 1000, connection 1 with the capture, after a FIN at
    3000 that waits behind the hole.  Expected: [0,1000) each; the stored
    bytes are one gap per connection (hole and unread bytes), counted in
    end_unread.  tshark 4.0's follow writes the same: held out-of-order
    data is dropped at the end of the capture.
    """
    D = blob(3000, 40)
    for k, port in enumerate((40030, 40031)):
        c = cap.conn("10.1.0.1", port, "10.2.0.1", 80, 5000 + k, 9000 + k)
        c.handshake()
        c.send(C, 0, D[:1000])
        c.ack(S, 1000)
        if k == 0:
            c.send(C, 2000, D[2000:3000])
            c.ack(S, 1000)
            c.pkt(C, "RA", 1000)
        else:
            c.send(C, 2000, D[2000:3000], flags="FPA")
            c.ack(S, 1000)
        c.expect(D[:1000], b"")
    cap.gaps = 2


@case
def seq_wrap(cap):
    """
    Sequence numbers wrap: the client's ISN is 2^32 - 1500, so its data
    crosses 0 in the second segment; segment 2 (after the wrap) arrives
    before segment 1 (across it).  The server's ISN is 2^32 - 100.
    Expected: both streams whole.
    """
    c = cap.conn("10.1.0.1", 40009, "10.2.0.1", 80, M32 - 1500, M32 - 100)
    D, R = blob(4000, 13), blob(2500, 14)
    c.handshake()
    c.stream(C, D, order=(0, 2, 1, 3))
    c.stream(S, R, order=(0, 2, 1))
    c.close()
    c.expect(D, R)


@case
def zero_window(cap):
    """
    The server's window (2000, unscaled) fills and it acknowledges with
    window 0.  The client probes twice: Linux style (no data, sequence
    number one below the acknowledged one) and BSD style (the next byte,
    beyond the window; the server drops it and acknowledges 2000 again).
    Then the window opens and the client sends from 2000 on, that byte
    included.  Expected: the 4000 bytes once.
    """
    c = cap.conn("10.1.0.1", 40010, "10.2.0.1", 80, 31337, 4444)
    D = blob(4000, 15)
    c.win[S] = 2000
    c.handshake()
    c.send(C, 0, D[:1000])
    c.send(C, 1000, D[1000:2000])
    c.set_end(C, 2000)
    c.ack(S, 2000, win=0)
    c.pkt(C, "A", 1999)              # Linux: tcp_xmit_probe_skb()
    c.ack(S, win=0)
    c.send(C, 2000, D[2000:2001])    # one byte past the window
    c.ack(S, win=0)
    c.ack(S, win=65535)              # window update
    c.stream(C, D[2000:], start=2000)
    c.stream(S, b"thanks")
    c.close()
    c.expect(D, b"thanks")


@case
def bad_options(cap):
    """
    Data segments with malformed TCP options; the data offset is right,
    so the payload is where it says (Linux stops parsing options at a bad
    length and keeps the segment): kind 8 with length 0; MSS with length
    255 overrunning the header; SACK with length 1; a kind byte with no
    length at the header's end; window scale with length 4 running 2
    bytes past the header; s2c: window scale with length 0, MD5 with
    length 40 in a 12-byte option space.
    Expected: both streams whole.
    """
    c = cap.conn("10.1.0.1", 40011, "10.2.0.1", 80, 123, 456)
    D, R = blob(2500, 16), blob(600, 17)
    bad = [b"\x08\x00\x01\x01", b"\x02\xff\x05\xb4", b"\x05\x01\x00\x00",
           b"\x01\x01\x01\x08", b"\x01\x01\x01\x01\x01\x01\x03\x04"]
    c.handshake()
    for i in range(5):
        c.send(C, i * 500, D[i * 500:(i + 1) * 500], rawopts=bad[i])
    c.set_end(C, 2500)
    c.ack(S, 2500)
    c.send(S, 0, R[:300], rawopts=b"\x03\x00\x00\x00")
    c.send(S, 300, R[300:], rawopts=b"\x13\x28" + b"\0" * 10)   # MD5 length 40
    c.set_end(S, 600)
    c.ack(C, 600)
    c.close()
    c.expect(D, R)


@case
def syn_data(cap):
    """
    Data on the SYN, as TCP Fast Open sends it (cookie option 34): the
    SYN-ACK acknowledges the SYN and its 300 bytes.  Expected: those 300
    bytes, then the 700 sent after the handshake.
    """
    c = cap.conn("10.1.0.1", 40012, "10.2.0.1", 80, 7000, 8000)
    D, R = blob(1000, 18), blob(400, 19)
    mss = [("MSS", 1460)]
    c.pkt(C, "S", data=D[:300], opts=mss + [(34, b"\x11" * 8)])
    c.pkt(S, "SA", opts=mss, ack=c.seq(C, 300))
    c.acked[S] = 300
    c.set_end(C, 300)
    c.ack(C)
    c.stream(C, D[300:], start=300)
    c.stream(S, R)
    c.close()
    c.expect(D, R)


@case
def syn_data_rejected(cap):
    """
    Data on the SYN that the server does not take (its SYN-ACK
    acknowledges the SYN only, as when the TFO cookie is refused); the
    client sends the 300 bytes again after the handshake.  Expected: the
    1000 bytes once.
    """
    c = cap.conn("10.1.0.1", 40013, "10.2.0.1", 80, 17000, 18000)
    D, R = blob(1000, 20), blob(400, 21)
    mss = [("MSS", 1460)]
    c.pkt(C, "S", data=D[:300], opts=mss + [(34, b"\x22" * 8)])
    c.pkt(S, "SA", opts=mss, ack=c.seq(C, 0))
    c.ack(C)
    c.stream(C, D)
    c.stream(S, R)
    c.close()
    c.expect(D, R)


@case
def simultaneous_open(cap):
    """
    Simultaneous open (RFC 9293 3.5): both ends send a SYN, then both a
    SYN-ACK.  The client is the end whose SYN came first (10.1.0.1:40014).
    Expected: its 1500 bytes c2s, the other end's 900 s2c.
    """
    c = cap.conn("10.1.0.1", 40014, "10.2.0.1", 40015, 555, 666)
    D, R = blob(1500, 22), blob(900, 23)
    mss = [("MSS", 1460)]
    c.pkt(C, "S", opts=mss)
    c.pkt(S, "S", opts=mss)
    c.pkt(C, "SA", seq=c.isn[C], ack=c.seq(S, 0), opts=mss)
    c.pkt(S, "SA", seq=c.isn[S], ack=c.seq(C, 0), opts=mss)
    c.stream(C, D)
    c.stream(S, R)
    c.close(first=S)
    c.expect(D, R)


@case
def ipv6_ext(cap):
    """
    IPv6 with a hop-by-hop header (router alert) and a destination
    options header (PadN) before TCP, on every packet; one segment out
    of order each way.  Expected: both streams whole.
    """
    c = cap.conn("fd01::1", 40016, "fd02::1", 80, 9, 99, ext6=True)
    D, R = blob(3000, 24), blob(2000, 25)
    c.handshake()
    c.stream(C, D, order=(1, 0, 2))
    c.stream(S, R, order=(1, 0))
    c.close()
    c.expect(D, R)


@case
def wscale_15(cap):
    """
    The server's SYN-ACK carries window scale 15, which RFC 7323 2.3 says
    to take as 14.  After 20000 bytes the server advertises window 4,
    that is 4 << 14 = 65536 bytes, and the client sends 60000 more, which
    fits only if the scale is applied (unscaled, the window would end 4
    bytes past 20000, and the SYN-ACK's 65535 bytes end before 80000).
    Expected: all 80000 bytes, and the server's 2000.
    """
    c = cap.conn("10.1.0.1", 40017, "10.2.0.1", 80, 2 ** 30, 2 ** 29)
    D, R = blob(80000, 26), blob(2000, 27)
    c.handshake(copts=[("MSS", 1400), ("WScale", 7)],
                sopts=[("MSS", 1400), ("WScale", 15)])
    c.win = [1024, 4]                # 1024 << 7, 4 << 14
    c.stream(C, D[:20000], seg=1400)
    c.stream(C, D[20000:], seg=1400, start=20000)
    c.stream(S, R, seg=1400)
    c.close()
    c.expect(D, R)


@case
def bad_csum(cap):
    """
    Segments with a bad TCP checksum, as corruption on the wire leaves
    them: [1000,2000) first arrives with other bytes ('C' * 1000) and a
    bad checksum, then correctly; a bad-checksum FIN+data segment from
    the server comes before its real data; [2000,3000) first comes with
    corrupted flags that read SYN and a bad checksum (a tracker that looks
    at the flags before the checksum starts a new connection there, as
    tshark's stream numbering does).  The receivers drop the bad ones.
    Expected: the correct bytes only.
    """
    c = cap.conn("10.1.0.1", 40018, "10.2.0.1", 80, 4242, 2424)
    D, R = blob(3000, 28), blob(1000, 29)
    c.handshake()
    c.send(C, 0, D[:1000])
    c.send(C, 1000, b"C" * 1000, badsum=True)
    c.ack(S, 1000)
    c.send(C, 1000, D[1000:2000])
    c.send(C, 2000, D[2000:], flags="S", seq=c.seq(C, 2000), badsum=True)
    c.send(C, 2000, D[2000:])
    c.set_end(C, 3000)
    c.ack(S, 3000)
    c.send(S, 0, b"E" * 1000, flags="FPA", badsum=True)
    c.stream(S, R)
    c.close()
    c.expect(D, R)


@case
def csum_ffff(cap):
    """
    A segment whose checksum field is 0xffff where 0x0000 is computed:
    the same one's-complement zero (RFC 1624), which Linux sends and
    receivers accept.  [1000,2000) from the client and [0,1000) from the
    server carry it.  Expected: every byte, those segments' included.
    """
    c = cap.conn("10.1.0.1", 40020, "10.2.0.1", 80, 31337, 7331)
    D, R = bytearray(blob(3000, 34)), bytearray(blob(2000, 35))
    c.handshake()
    c.send(C, 0, bytes(D[:1000]))
    p = c.send(C, 1000, bytes(D[1000:2000]), ffff=True)
    D[1000:2000] = p[Raw].load
    c.send(C, 2000, bytes(D[2000:]))
    c.set_end(C, 3000)
    c.ack(S, 3000)
    p = c.send(S, 0, bytes(R[:1000]), ffff=True)
    R[:1000] = p[Raw].load
    c.send(S, 1000, bytes(R[1000:]))
    c.set_end(S, 2000)
    c.ack(C, 2000)
    c.close()
    c.expect(bytes(D), bytes(R))


@case
def ipv6_opt_drop(cap):
    """
    IPv6 segments the receiver's IPv6 layer drops before TCP sees them,
    each carrying other bytes than the segment that follows at the same
    offset: [0,1000) 'E' behind a destination options header whose option
    type 0x5e says "discard if unrecognised" (RFC 8200 4.2,
    ip6_tlvopt_unknown()); [0,1000) 'H' behind a hop-by-hop header that
    comes after a destination options header (ip6_protocol_deliver_rcu():
    unknown next header); [1000,2000) 'P' behind destination options with
    8 bytes of padding in a row (ip6_parse_tlv()); [2000,3000) 'S'
    behind a segment routing header with no segment left (refused while
    seg6_enabled is 0, ipv6_srh_rcv()).  The real segments follow, one
    behind an option of type 0x1e (00: skipped).  Expected: the real
    bytes, under both policies.
    """
    c = cap.conn("fd01::1", 40022, "fd02::1", 80, 31, 3100)
    D, R = blob(3000, 36), blob(500, 37)
    discard = IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x5E,
                                                       optdata=b"\0" * 4)])
    skip = IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x1E,
                                                    optdata=b"\0" * 4)])
    pad8 = IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=1,
                                                    optdata=b"\0" * 6),
                                      HBHOptUnknown(otype=0x1E,
                                                    optdata=b"\0" * 4)])
    c.handshake()
    c.send(C, 0, b"E" * 1000, exthdrs=[discard])
    c.send(C, 0, b"H" * 1000,
           exthdrs=[IPv6ExtHdrDestOpt(), IPv6ExtHdrHopByHop()])
    c.send(C, 1000, b"P" * 1000, exthdrs=[pad8])
    c.send(C, 2000, b"S" * 1000,
           exthdrs=[IPv6ExtHdrSegmentRouting(addresses=["fd02::1"],
                                             segleft=0)])
    c.send(C, 0, D[:1000], exthdrs=[skip])
    c.send(C, 1000, D[1000:2000])
    c.send(C, 2000, D[2000:])
    c.set_end(C, 3000)
    c.ack(S, 3000)
    c.stream(S, R)
    c.close()
    c.expect(D, R)


@case
def port_reuse(cap):
    """
    The same 4-tuple twice: a connection closes with FINs, then a new SYN
    with a higher ISN opens another.  Expected: two connections with
    their own bytes (mosreplay names the second <base>.1.c2s).
    """
    c = cap.conn("10.1.0.1", 40019, "10.2.0.1", 80, 10000, 20000)
    D1, R1 = blob(1200, 30), blob(300, 31)
    c.handshake()
    c.stream(C, D1)
    c.stream(S, R1)
    c.close()
    c.expect(D1, R1)
    d = cap.conn("10.1.0.1", 40019, "10.2.0.1", 80, 10000 + 500000, 777)
    D2, R2 = blob(900, 32), blob(2200, 33)
    d.handshake()
    d.stream(C, D2)
    d.stream(S, R2)
    d.close()
    d.expect(D2, R2)


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(f.__name__ for f in CASES))
        return
    if len(sys.argv) < 2:
        raise SystemExit(__doc__.strip().splitlines()[2])
    outdir = sys.argv[1]
    want = sys.argv[2:]
    os.makedirs(outdir, exist_ok=True)
    names = [f.__name__ for f in CASES]
    for w in want:
        if w not in names:
            raise SystemExit("no case %s (--list)" % w)
    for i, fn in enumerate(CASES):
        if want and fn.__name__ not in want:
            continue
        # Each case at its own time, 100 s apart, so merged captures keep
        # each case's packets together and in order.
        cap = Capture(fn.__name__, fn.__doc__, T0 + 100 * i)
        fn(cap)
        cap.write(outdir)


if __name__ == "__main__":
    main()
