#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
receiver.py - the differential stream-integrity harness of receiver.sh:
the bytes mos reports are the bytes a real Linux receiver read()

Usage:
  receiver.py run DIR CLIENT_NS SERVER_NS
  receiver.py compare DIR PLACEMENT=EVDIR...
  receiver.py script SEED

run: a crafted sender in CLIENT_NS talks TCP to a real Linux server in
SERVER_NS, one scripted connection per case, all at once, from one
process (threads moved into the namespaces with setns(), no interpreter
per connection, no scapy: the frames are built here and written to the
tap device RX_TAP (NS:DEV, the router's rt0) or, without it, to an
AF_PACKET socket on c0, which takes the server's answers either way).

  - The sender uses addresses the client namespace does not own
    (10.0.1.3, fd00:1::3, routed back to c0 by the router's permanent
    neighbour entries), and receiver.sh drops them in the client's
    prerouting: the client kernel never answers the server's segments
    with RSTs.  Each connection starts with a real handshake: the server's
    ISN, timestamps and window come from its SYN-ACK and later segments.
  - The server is one thread polling every accepted socket: port 5000
    reads at once; port 5001 has a tiny SO_RCVBUF and leaves each
    connection unread for ZW_DELAY seconds (the zero-window case).  For
    each connection it keeps exactly what recv() returned and how the
    connection ended: "fin" (recv() returned 0), "reset" (recv() failed,
    or the socket is CLOSE), "fin+reset" (EOF, then the socket was reset),
    "open" (none of those at the deadline), "none" (never accepted).  It
    writes DIR/srv/CPORT.data and DIR/srv/CPORT.end, CPORT the client's
    port, and DIR/cases lists "NAME CPORT SPORT" of every connection.

The cases (CASES below) are small scripts after the handshake, each in
IPv4 and IPv6 (some only in one); MOS_RECEIVER_CASES=REGEX selects them
by name (NAME-v4, NAME-v6, random-SEED).  With MOS_RECEIVER_TIME=S > 0,
after the fixed cases, random connections run for S seconds: each draws
its family, options, ISN and its segments (split, duplicated with other
bytes, reordered, dropped, RST/FIN/SYN injected, bad checksums, bad
options, PAWS-old timestamps, no ACK flag, ACK beyond) from
random.Random(SEED); MOS_RECEIVER_SEED sets the first seed (the time by
default), MOS_RECEIVER_COUNT=N stops them after N seeds.  SEEDS lists the seeds that once failed: they run every time,
as fixed cases.

compare: for each case and each PLACEMENT (router, endpoint; as
PLACEMENT:PAWS, the placement's PAWS mode, printed with PAWS_CASES), the
client-to-server stream that evtrace -c wrote (EVDIR/CPORT-SPORT.svr)
must be exactly the server's DIR/srv/CPORT.data, and the server side's
end as mos reports it (evtrace's lines in EVDIR.out: STATE_CHANGE of
side svr to CLOSE_WAIT, LAST_ACK, CLOSING or TIME_WAIT is "fin"; to
CLOSED, or its CONN_END, "reset"; the server never closes) must be the
server's.  Prints "ok NAME@PLACEMENT" or "not ok NAME@PLACEMENT: WHY"
per case, then "N/M cases: mos == receiver"; exits 1 unless N == M.
Expected values come only from the server's recv().

script: what random connection SEED sends, one line per segment (stream
offset, payload length, flags, what is special about it), without
sending anything: to read a failing seed.
"""

import ctypes
import errno
import fcntl
import os
import random
import re
import resource
import select
import socket
import struct
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)

M32 = 1 << 32
CLI4, SRV4 = "10.0.1.3", "10.0.2.2"
CLI6, SRV6 = "fd00:1::3", "fd00:2::2"
MAC_C0 = bytes.fromhex("020000000102")
MAC_R0 = bytes.fromhex("020000000101")
MAC_T0 = bytes.fromhex("020000000103")     # receiver.sh's tap in the router
TUNSETIFF = 0x400454ca
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
PORT, PORT_ZW = 5000, 5001
ZW_DELAY = 2.0
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
TCP_INFO = 11
TCP_CLOSE, TCP_CLOSE_WAIT = 7, 8

# Seeds of random connections that once failed: fixed cases from then on.
# What mos did then, against the receiver:
SEEDS = [
    1796453649,     # other bytes at 1032, where a segment has bad options
    1796453683,     # stops at 645: a FIN at 792 behind a hole, then data
                    # over it; open where the receiver had a FIN
    1796453647,     # open where the receiver had a FIN: a FIN at 970 out
                    # of order, then one at 853
    1796453705,     # stops at 829 after an old FIN at 0
    1796453667,     # other bytes at 372 (no-ACK data), reset where the
                    # receiver is open
    1796453856,     # no-ACK data taken, so an exact RST missed: open
                    # where the receiver was reset
    1796453849,     # reset where the receiver is open: an RST below the
                    # receiver's next byte, taken when the server's ACK
                    # of the bytes before it had not passed yet (timing)
    1796453704,     # bytes past a hole after an exact RST: mos delivered
                    # what was stored behind the hole at the flow's end,
                    # the receiver never read past it
    1796453757,     # the same, the receiver read none (ISN just below
                    # 2^32, an exact RST at 0)
    1796453690,     # other bytes at 191, reset where the receiver had a
                    # FIN: a SYN far out of the window after a FIN behind
                    # a hole was taken as a new connection on the 4-tuple
    # a 60 s run from 1800000000 (mos then delivered stored bytes at a
    # flow's end, took a SYN behind a FIN for a new connection, and
    # refused no PAWS-old segment), all now pass:
    1800000044,
    1800000056,
    1800000071,
    1800000123,
    1800000167,
    1800000175,
    1800000184,
    1800000197,
    1800000228,
    1800000244,
    1800000255,
    1800000282,
    1800000311,
    1800000329,
    1800000436,
    1800000464,
    1800000507,
    1800000516,
    1800000572,
    1800000578,
    1800000584,
    1800000593,
    1800000649,
    1800000664,
    1800000680,
    1800000789,
    1800000840,
    1800000861,
    1800000868,
]

# Cases mos does not pass by default: run with the random connections
# only (make check-receiver).
OPEN_CASES = set()

# Cases whose result depends on the placement's PAWS setting (mosctl set
# paws): each placement's mode is printed with them.  mos refuses what
# PAWS discards where it sees the receiver's order: at the server's own
# namespace (auto: the receiver is local), and at the router only with
# "paws on", which receiver.sh sets there: all frames leave from one CPU
# (cmd_run), so the router forwards them in the order it saw them.
PAWS_CASES = {"paws"}

# Seeds that need the sender's frames to enter the router through a tap
# (RX_TAP): a stored segment continued by one that starts exactly at its
# end, overlapped across that junction by one with other bytes that
# starts inside the first.  Linux appends the continuation to the stored
# segment (tcp_ooo_try_coalesce()) when skb_try_coalesce() can: always
# for a NIC's (or a tap's) page-fragment skbs, only when the bytes fit
# the stored skb's tailroom for AF_PACKET's kmalloc'd heads.
TAP_SEEDS = [
    1800000007,
    1800000059,
    1800000149,
    1800000314,
    1800000481,
    # Linux tries to append a segment to a stored one only when its walk
    # down the out-of-order queue's rbtree (tcp_data_queue_ofo()) meets
    # that one first, or it is the last one (ooo_last_skb): which bytes
    # read() returns depends on the tree's shape.  mos once appended only
    # where nothing else was stored at the segment's start; it now keeps a
    # shadow of the receiver's queue (Documentation/tcpmon.rst, LINUX
    # policy).
    1800000013,
    1800000157,
    1800000209,
    1800000312,
    1800000533,
    1800000798,
    1800000993,
    # a FIN without data behind the hole is an skb of the receiver's
    # queue too: its node changed which segments were appended
    1810001841,
    # the stream ends at the FIN Linux reads: an in-order segment's FIN
    # that a stored segment overlaps (tcp_data_queue() -> tcp_fin()
    # purges the out-of-order queue), or a stored segment's FIN reached
    # before a stored one that starts later and goes past it
    # (tcp_ofo_queue() stops at the first skb with a FIN); mos once went
    # on past the FIN and forgot it
    1810001076,
    1810001339,
    1810001883,
    1820000232,
    1820001336,
    1820001588,
    1820001773,
]

# Seeds that still fail (with the tap): run with the random connections
# only, and not in make check (MOS_RECEIVER_OPEN=0), until mos reads them
# as the receiver does.  None at present.
OPEN_SEEDS = []


def enter(ns):
    """Move the calling thread into network namespace NS."""
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
    finally:
        os.close(fd)


# --- frames ---------------------------------------------------------------

def csum16(data):
    """RFC 1071 Internet checksum"""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, payload, ttl=64, ident=1, off=0, mf=False, proto=6,
        opts=b""):
    """an IPv4 header (DF unless a fragment) with options @opts (a
    multiple of 4 bytes) and @payload"""
    flags = (0x2000 if mf else 0) | (0x4000 if not mf and not off else 0)
    hl = 20 + len(opts)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(payload),
                    ident, flags | off, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + opts
    h = h[:10] + struct.pack("!H", csum16(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def opt_hdr(opts=b""):
    """the body of a hop-by-hop or destination options header (after its
    next-header byte): its length byte, @opts, padded with PadN to 8n"""
    n = (2 + len(opts) + 7) // 8 * 8
    pad = n - 2 - len(opts)
    if pad == 1:
        opts += b"\0"
    elif pad:
        opts += bytes([1, pad - 2]) + bytes(pad - 2)
    return bytes([n // 8 - 1]) + opts


TCPF = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16, "U": 32}


def tcp_seg(src, dst, sport, dport, seq, ack, flags, win, opts, data,
            urp=0, bad=False):
    """a TCP segment, its checksum right (or wrong by one with @bad)"""
    if len(opts) % 4:
        opts += b"\1" * (4 - len(opts) % 4)
    f = 0
    for ch in flags:
        f |= TCPF[ch]
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                    ack & 0xFFFFFFFF, (5 + len(opts) // 4) << 4, f,
                    win, 0, urp) + opts
    seg = h + data
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    ph = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst)
    if fam == socket.AF_INET:
        ph += struct.pack("!BBH", 0, 6, len(seg))
    else:
        ph += struct.pack("!IxxxB", len(seg), 6)
    c = csum16(ph + seg)
    if bad:
        c = (c + 1) & 0xFFFF or 1
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def swap_words(b, start, end):
    """@b with the 16-bit words of [start, end) reversed in pairs: other
    bytes, the same one's-complement sum (start, end even)"""
    b = bytearray(b)
    for i in range(start, end - 3, 4):
        b[i:i + 4] = b[i + 2:i + 4] + b[i:i + 2]
    return bytes(b)


def parse(frame):
    """(cport, sport, seq, ack, flags, win, tsval, wscale) of a TCP
    segment to the sender, or None"""
    if len(frame) < 14:
        return None
    et = struct.unpack("!H", frame[12:14])[0]
    p = frame[14:]
    if et == 0x0800 and len(p) >= 20 and p[9] == 6:
        ihl = (p[0] & 15) * 4
        tot = struct.unpack("!H", p[2:4])[0]
        t = p[ihl:tot]
    elif et == 0x86DD and len(p) >= 40 and p[6] == 6:
        t = p[40:40 + struct.unpack("!H", p[4:6])[0]]
    else:
        return None
    if len(t) < 20:
        return None
    sport, dport, seq, ack, doff, fl, win = struct.unpack("!HHIIBBH", t[:16])
    doff = (doff >> 4) * 4
    tsval = ws = None
    o = t[20:doff]
    i = 0
    while i < len(o):
        k = o[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            break
        if k == 8 and o[i + 1] == 10:
            tsval = struct.unpack("!I", o[i + 2:i + 6])[0]
        if k == 3 and o[i + 1] == 3 and i + 2 < len(o):
            ws = o[i + 2]
        i += o[i + 1]
    return dport, sport, seq, ack, fl, win, tsval, ws


# --- the sender -------------------------------------------------------------

class Wait:
    """what a script waits for: @cond() true, or @timeout seconds"""

    def __init__(self, timeout, cond=None):
        self.deadline = time.monotonic() + timeout
        self.cond = cond


class Conn:
    """one crafted client connection; offsets are stream offsets of the
    client's bytes (0 = the byte after its SYN)"""

    def __init__(self, h, name, fam, port, sport=PORT, isn=None, ts=False,
                 sack=False, wscale=None):
        self.h, self.name, self.fam = h, name, fam
        self.cport, self.sport = port, sport
        self.isn = isn if isn is not None else \
            random.Random(port).randrange(M32)
        self.ts, self.sack, self.wscale = ts, sack, wscale
        self.src, self.dst = (CLI4, SRV4) if fam == 4 else (CLI6, SRV6)
        self.sisn = None        # the server's ISN, from its SYN-ACK
        self.sack_seen = None   # the highest ACK the server sent
        self.swin = 0           # its last window, scaled
        self.sws = 0            # its window scale
        self.stsval = 0         # its last TSval
        self.rst_seen = False
        self.tsval = 1000
        self.ident = 1

    def seq(self, off):
        return (self.isn + 1 + off) % M32

    def acked(self):
        """the server's highest ACK as a stream offset (-1: none)"""
        if self.sack_seen is None:
            return -1
        return (self.sack_seen - self.isn - 1) % M32

    def on_pkt(self, seq, ack, fl, win, tsval, ws):
        if fl & TCPF["R"]:
            self.rst_seen = True
            return
        if fl & TCPF["S"] and fl & TCPF["A"] and self.sisn is None:
            self.sisn = seq
            if ws is not None and self.wscale is not None:
                self.sws = ws
        if fl & TCPF["A"]:
            if self.sack_seen is None or \
               (ack - self.sack_seen) % M32 < M32 // 2:
                self.sack_seen = ack
            self.swin = win << (self.sws if not fl & TCPF["S"] else 0)
        if tsval is not None:
            self.stsval = tsval

    def opts(self, syn=False, tsval=None):
        o = b""
        if syn:
            o += struct.pack("!BBH", 2, 4, 1400)
            if self.sack:
                o += b"\1\1\4\2"
            if self.wscale is not None:
                o += bytes([1, 3, 3, self.wscale])
        if self.ts:
            tv = self.tsval if tsval is None else tsval
            o += b"\1\1" + struct.pack("!BBII", 8, 10, tv % M32,
                                       0 if syn else self.stsval)
        return o

    def send(self, off=0, data=b"", flags="A", ack=None, win=65535,
             opts=None, seq=None, ttl=64, bad=False, ext=None, urp=0,
             tsval=None, frags=None, ipopts=None):
        """one segment at stream offset @off (or sequence number @seq):
        ext: IPv6 extension headers, [(TYPE, BODY)] (BODY from opt_hdr);
        ipopts: IPv4 options (4n bytes);
        frags: IP fragments of the segment, [(START, END or BYTES)], in
        sending order (END: the segment's own bytes [START, END), None
        for its end)"""
        if self.h.trace:
            extra = {"ack": ack, "opts": opts, "seq": seq,
                     "ttl": ttl if ttl != 64 else None, "bad": bad,
                     "ext": ext, "urp": urp, "tsval": tsval, "frags": frags,
                     "ipopts": ipopts}
            print("%s off %d len %d %s%s" % (
                self.name, off if seq is None else
                (seq - self.isn - 1 + M32 // 2) % M32 - M32 // 2,
                len(data), flags or "-", "".join(
                    " %s=%r" % (k, v) for k, v in extra.items()
                    if v not in (None, False, 0))))
        if seq is None:
            seq = self.seq(off)
        if ack is None:
            ack = (self.sisn + 1) if self.sisn is not None else 0
        if opts is None:
            opts = self.opts(syn="S" in flags, tsval=tsval)
        self.tsval += 1
        seg = tcp_seg(self.src, self.dst, self.cport, self.sport, seq, ack,
                      flags, win, opts, data, urp, bad)
        self.ident += 1
        if frags:
            for start, b in frags:
                if b is None or isinstance(b, int):
                    b = seg[start:b]
                self.h.xmit(self.ip(b"", ttl, ext, frag=(start, b, len(seg))))
        else:
            self.h.xmit(self.ip(seg, ttl, ext, ipopts=ipopts or b""))

    def ip(self, seg, ttl, ext, frag=None, ipopts=b""):
        if self.fam == 4:
            if frag:
                start, b, total = frag
                return b"\x08\x00", ip4(self.src, self.dst, b, ttl,
                                         self.ident, start // 8,
                                         start + len(b) < total)
            return b"\x08\x00", ip4(self.src, self.dst, seg, ttl, self.ident,
                                     opts=ipopts)
        chain = list(ext or [])
        if frag:
            start, b, total = frag
            chain.append((44, struct.pack("!BHI", 0,
                                          start | (start + len(b) < total),
                                          self.ident)))
            seg = b
        # each header's next-header byte is the type of the one after it
        nh, body = 6, seg
        for t, hb in reversed(chain):
            body = bytes([nh]) + hb + body
            nh = t
        return b"\x86\xdd", ip6(self.src, self.dst, nh, body, ttl)

    def handshake(self, syn_data=b""):
        """SYN (again each 2 s, 10 times: a debug kernel under load
        answers the last of many at once late), SYN-ACK, ACK"""
        for _ in range(10):
            self.send(0, syn_data, "S", ack=0, seq=self.isn)
            yield Wait(2.0, lambda: self.sisn is not None)
            if self.sisn is not None:
                break
        if self.sisn is None:
            return False
        self.send(0)
        return True

    def wait_acked(self, off, timeout=3.0):
        yield Wait(timeout, lambda: self.acked() >= off and
                   self.acked() < M32 // 2)

    def reliable(self, off, end, data, timeout=15.0):
        """@data (the stream's bytes [off, end)) from where the server
        has acked, within its window, with zero-window probes of one
        byte, until all is acked or @timeout"""
        t_end = time.monotonic() + timeout
        while time.monotonic() < t_end:
            a = max(self.acked(), off)
            if a >= end:
                return
            w = self.swin
            n = min(end - a, max(w, 1), 500)
            self.send(a, data[a - off:a - off + n])
            yield Wait(0.4 if w else 0.5, lambda a=a: self.acked() > a)


# --- the fixed cases ---------------------------------------------------------
#
# Each is a generator function of a connection (made by the harness with
# the keyword arguments of its table entry), run after nothing: it does
# its own handshake.  A segment the receiver must be shown is usually
# followed by a clean one over the same bytes, so that what read()
# returns tells which one it took.

def c_baseline(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"hello, ")
    c.send(7, b"world: ")
    c.send(14, b"in order", "PA")
    c.send(22, b"", "FA")


def probe(c, **kw):
    """ABCD, then a suspect segment at 4 (@kw), then clean bytes over it
    and beyond"""
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"EVIL", **kw)
    c.send(4, b"good-bytes")
    c.send(14, b"-tail", "PA")


def c_noack(c):
    yield from probe(c, flags="P")


def c_ackbeyond(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"EVIL", ack=c.sisn + 1 + 100000)
    c.send(4, b"good-bytes")
    c.send(14, b"-tail", "PA")


def c_paws(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"OLDT", tsval=c.tsval - 5000)
    c.send(4, b"good-bytes")
    c.send(14, b"-tail", "PA")


def c_finnoack(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"XY", "F")
    c.send(4, b"more")


def c_finoow(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4 + 3000000, b"", "FA")
    c.send(4, b"more")


def c_finold(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCDEFGH")
    c.send(2, b"", "FA")
    c.send(8, b"more")


def c_finhole(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(8, b"IJKL", "FA")
    yield Wait(0.3)
    c.send(4, b"EFGH")


def c_finjoin(c):
    """a segment right after a FIN behind the hole: tcp_try_coalesce()
    appends it to the FIN's skb, whose bytes the receiver then reads in
    one run, and the FIN after them"""
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(8, b"IJKL", "FA")
    c.send(13, b"MNOP")
    yield Wait(0.3)
    c.send(4, b"EFGH")


def c_finjoinin(c):
    """the same skb, the hole filled in order past its FIN: the receiver
    reads the skb from byte rcv_nxt - seq, the FIN taking none"""
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(8, b"IJKL", "FA")
    c.send(13, b"MNOP")
    yield Wait(0.3)
    c.send(4, b"efghijklmn")


def c_syndata(c):
    if not (yield from c.handshake(syn_data=b"SYN-DATA")):
        return
    c.send(0, b"real-data", "PA")


def c_destopt5e(c):
    yield from probe(c, ext=[(60, opt_hdr(b"\x5e\x00"))])


def c_hbhlate(c):
    yield from probe(c, ext=[(60, opt_hdr()), (0, opt_hdr())])


def c_ext10(c):
    yield from probe(c, ext=[(60, opt_hdr())] * 10)


def c_ext8(c):
    yield from probe(c, ext=[(60, opt_hdr())] * 8)


def c_urgent(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"efgh", "PAU", urp=3)
    c.send(8, b"IJKL", "PA")


def c_rstnonexact(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4 + 100, b"", "R")
    c.send(4, b"more", "PA")


def c_rstexact(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"", "R")
    c.send(4, b"more", "PA")


def c_rstack(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"", "RA")
    c.send(4, b"more", "PA")


def c_rstoow(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4 + 5000000, b"", "R")
    c.send(4, b"more", "PA")


def c_rstold(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(1, b"", "R")
    c.send(4, b"more", "PA")


def c_rstdata(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"RSTDATA", "RA")


def c_syninwin(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4 + 10, b"", "S", ack=0)
    c.send(4, b"more", "PA")


def c_synoow(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4 + 5000000, b"", "S", ack=0)
    c.send(4, b"more", "PA")


def c_synsame(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(-1, b"", "S", ack=0)
    c.send(4, b"more", "PA")


def c_holerst(c):
    """bytes behind a hole the receiver never sees filled, then an exact
    RST: read() stops at the hole"""
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(8, b"IJKL")
    yield from c.wait_acked(4, 2.0)
    c.send(4, b"", "R")


def c_finsyn(c):
    """a FIN behind a hole, a SYN out of the window, then the hole filled:
    the receiver's socket is ESTABLISHED, the SYN opens nothing"""
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(8, b"IJKL", "FA")
    c.send(4 + 5000000, b"", "S", ack=0)
    c.send(4, b"EFGH")


def c_finrst(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"", "FA")
    c.send(5, b"", "R")


def c_rstfin(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"", "R")
    c.send(4, b"", "FA")


def c_finrstseg(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"", "FRA")


def c_finrstlate(c):
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"", "FA")
    yield from c.wait_acked(5, 2.0)
    c.send(5, b"", "RA")


def c_wrap(c):
    if not (yield from c.handshake()):
        return
    for i in range(5):
        c.send(4 * i, b"w%03d" % i)
    c.send(20, b"", "FA")


def c_wrapooo(c):
    if not (yield from c.handshake()):
        return
    c.send(12, b"CCCCCCCC")
    c.send(4, b"BBBBBBBB")
    c.send(0, b"AAAA")
    c.send(20, b"", "FA")


def c_wrapovl(c):
    if not (yield from c.handshake()):
        return
    c.send(12, b"CCCCCCCC")
    c.send(4, b"BBBBBBBB")
    c.send(8, b"xxxxxxxx")
    c.send(0, b"AAAA")
    c.send(20, b"", "FA")


ZW_END = 14000         # the zero-window case's stream
ZW_FAR = 12000         # past any window its receiver grants in the burst


def c_zerowin(c):
    """a burst past the window, probes while the server does not read,
    then the rest within its window.  The burst's bytes up to 6000 are
    those sent again later: which of its segments the receiver takes
    depends on when its ACKs close the window during the burst (the
    load decides: a burst segment at rcv_nxt after the window closed is
    dropped, TCPZeroWindowDrop, one that starts exactly at that edge is
    taken by mos, Documentation/tcpmon.rst, "Windows"), and either copy
    gives the same bytes.  So do the probes of a zero window: one that
    reaches the receiver before its window opens is dropped there, and
    taken by mos at the edge, as a real sender sends the byte again.
    Its segments from ZW_FAR have other bytes: no window reaches them
    then (the server's buffer holds some 4 KiB, and its window ends at
    most that far after the 6000 bytes sent), so the receiver drops
    them, and mos must too."""
    if not (yield from c.handshake()):
        return
    a = random.Random(1).randbytes(ZW_END)
    b = random.Random(2).randbytes(ZW_END)
    for off in range(0, 6000, 500):
        c.send(off, b[off:off + 500])
    for off in (ZW_FAR, ZW_FAR + 500):
        c.send(off, a[off:off + 500])
    yield Wait(0.5)
    for _ in range(4):
        k = max(c.acked(), 0)
        c.send(k, b[k:k + 1])
        yield Wait(0.3)
    yield from c.reliable(0, ZW_END, b, 30.0)
    c.send(ZW_END, b"", "FA")


def c_sack(c):
    if not (yield from c.handshake()):
        return
    d = bytes(range(256)) * 2
    for s in (100, 300, 0, 400, 200):
        c.send(s, d[s:s + 100])
    c.send(500, b"", "FA")


# IPv4 options ip_options_compile() refuses (the router's and the
# server's ip_rcv_options() drop the packet), and one it takes
IP4OPTS = {
    "badlen": b"\x9e\x01\x00\x00",                # length 1
    "pastend": b"\x9e\x08\x00\x00",               # past the options
    "rrdup": b"\x07\x03\x08\x07\x03\x08\x00\x00",  # record route twice
    "tsover": b"\x44\x04\x05\xf0",                # full, overflow 15
    "cipso": b"\x86\x08\x00\x00\x00\x01\x00\x00",  # no DOI configured
    "unknown": b"\x9e\x04\x00\x00",               # taken
}


def c_ttl1(c):
    yield from probe(c, ttl=1)


def c_badcsum(c):
    yield from probe(c, bad=True)


def c_frag(c):
    """a segment in two IP fragments, the second first"""
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    c.send(4, b"fragmented-payload-" * 4, frags=[(48, None), (0, 48)])
    c.send(80, b"-tail", "PA")


def c_fragovl(c):
    """a segment in IP fragments that overlap with other bytes (the TCP
    checksum right either way); then the same bytes unfragmented, other
    content: which one the receiver took tells which reassembly it did"""
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    data = bytes(range(65, 65 + 60))
    seq = c.seq(4)
    ack = c.sisn + 1
    seg = tcp_seg(c.src, c.dst, c.cport, c.sport, seq, ack, "A", 65535,
                  c.opts(), data)
    alt = swap_words(seg, 40, 48)
    c.send(4, data, frags=[(0, seg[:48]), (40, alt[40:])])
    c.send(4, b"z" * 60)
    c.send(64, b"-tail", "PA")


def c_fragdup(c):
    """fragments of one segment sent twice, the second copy of the second
    fragment with other bytes (checksum right either way)"""
    if not (yield from c.handshake()):
        return
    c.send(0, b"ABCD")
    data = bytes(range(97, 97 + 60))
    seg = tcp_seg(c.src, c.dst, c.cport, c.sport, c.seq(4), c.sisn + 1,
                  "A", 65535, c.opts(), data)
    alt = swap_words(seg, 48, len(seg) // 4 * 4)
    c.send(4, data, frags=[(48, alt[48:]), (48, seg[48:]), (0, seg[:48])])
    c.send(4, b"z" * 60)
    c.send(64, b"-tail", "PA")


# overlapping and retransmitted segments with other bytes: a first
# segment X, then Y with other bytes in a geometry relative to X, then
# clean bytes C over everything still missing.  In order: X at [0,16);
# out of order: X at [16,32) behind a hole.
GEOMS = {
    "same": (0, 16),
    "inside": (4, 12),
    "before": (-8, 8),
    "after": (8, 24),
    "covering": (-4, 20),
    "startsame": (0, 24),
    "endsame": (-8, 16),
}


def overlap(c, base, geom):
    if not (yield from c.handshake()):
        return
    X = b"X" * 16
    y0, y1 = GEOMS[geom]
    y0, y1 = max(base + y0, 0), base + y1
    c.send(base, X)
    c.send(y0, bytes(random.Random(y0).choice(b"abcdefgh")
                     for _ in range(y1 - y0)))
    # fill what is missing below 40 with C, in pieces of what neither
    # X nor Y covers
    have = set(range(base, base + 16)) | set(range(y0, y1))
    i = 0
    while i < 40:
        if i in have:
            i += 1
            continue
        j = i
        while j < 40 and j not in have:
            j += 1
        c.send(i, b"C" * (j - i))
        i = j
    c.send(40, b"", "FA")


CASES = [
    ("baseline", c_baseline, {}),
    ("noack", c_noack, {}),
    ("ackbeyond", c_ackbeyond, {}),
    ("paws", c_paws, {"ts": True}),
    ("finnoack", c_finnoack, {}),
    ("finoow", c_finoow, {}),
    ("finold", c_finold, {}),
    ("finhole", c_finhole, {}),
    ("finjoin", c_finjoin, {}),
    ("finjoinin", c_finjoinin, {}),
    ("syndata", c_syndata, {}),
    ("destopt5e", c_destopt5e, {"fams": (6,)}),
    ("hbhlate", c_hbhlate, {"fams": (6,)}),
    ("ext8", c_ext8, {"fams": (6,)}),
    ("ext10", c_ext10, {"fams": (6,)}),
    ("urgent", c_urgent, {}),
    ("rstnonexact", c_rstnonexact, {}),
    ("rstexact", c_rstexact, {}),
    ("rstack", c_rstack, {}),
    ("rstoow", c_rstoow, {}),
    ("rstold", c_rstold, {}),
    ("rstdata", c_rstdata, {}),
    ("syninwin", c_syninwin, {}),
    ("synoow", c_synoow, {}),
    ("synsame", c_synsame, {}),
    ("holerst", c_holerst, {}),
    ("finsyn", c_finsyn, {}),
    ("finrst", c_finrst, {}),
    ("rstfin", c_rstfin, {}),
    ("finrstseg", c_finrstseg, {}),
    ("finrstlate", c_finrstlate, {}),
    ("wrap", c_wrap, {"isn": M32 - 10}),
    ("wrapooo", c_wrapooo, {"isn": M32 - 7}),
    ("wrapovl", c_wrapovl, {"isn": M32 - 7}),
    ("zerowin", c_zerowin, {"sport": PORT_ZW}),
    ("sack", c_sack, {"sack": True, "ts": True, "wscale": 7}),
    ("ttl1", c_ttl1, {}),
    ("badcsum", c_badcsum, {}),
    ("frag", c_frag, {}),
    ("fragovl", c_fragovl, {}),
    ("fragdup", c_fragdup, {}),
]
for _k, _o in IP4OPTS.items():
    CASES.append(("ip4opt-" + _k, lambda c, o=_o: probe(c, ipopts=o),
                  {"fams": (4,)}))
for _g in GEOMS:
    CASES.append(("ovl-in-" + _g, lambda c, g=_g: overlap(c, 0, g), {}))
    CASES.append(("ovl-ooo-" + _g, lambda c, g=_g: overlap(c, 16, g), {}))


# --- random connections ------------------------------------------------------

def bad_options(rng):
    return rng.choice([
        b"\x08\x00\x00\x00",            # length 0
        b"\x02\x03\x05\xb4",            # MSS, wrong length
        b"\x05\x03\x00\x00",            # SACK, odd length
        b"\x08\x09" + bytes(8) + b"\0\0",  # timestamps, wrong length
        b"\x1e\x28",                    # longer than the header
        b"\xfe\x02\x00\x00",            # experimental, empty
    ])


def random_conn(rng):
    """a random connection's family and options"""
    fam = rng.choice((4, 6))
    isn = rng.choice([rng.randrange(M32), M32 - rng.randint(1, 3000)])
    return {"fam": fam, "isn": isn, "ts": rng.random() < 0.5,
            "sack": rng.random() < 0.5, "wscale": rng.choice([None, 0, 7])}


def random_case(c, rng):
    """a random script: the stream in random pieces, each maybe mangled"""
    L = rng.randint(1, 2500)
    data = rng.randbytes(L)
    if not (yield from c.handshake(
            syn_data=rng.randbytes(rng.randint(1, 40))
            if rng.random() < 0.05 else b"")):
        return
    acts = []
    off = 0
    late = []
    while off < L:
        n = min(rng.randint(1, 700), L - off)
        piece = ("seg", off, data[off:off + n], {})
        off += n
        r = rng.random()
        if r < 0.08:
            if rng.random() < 0.7:
                late.append(piece)
            continue
        acts.append(piece)
        if rng.random() < 0.2:
            o = max(0, rng.randint(piece[1] - 300, piece[1] + 300))
            acts.append(("seg", o, rng.randbytes(rng.randint(1, 400)), {}))
        r = rng.random()
        other = rng.randbytes(rng.randint(1, 200))
        o2 = max(0, piece[1] + rng.randint(-200, 600))
        if r < 0.03:
            acts.append(("seg", o2, other, {"bad": True}))
        elif r < 0.06:
            # the options as sent then (a TSval of then), and bad ones
            acts.append(("seg", o2, other, {"badopts": bad_options(rng)}))
        elif r < 0.08:
            acts.append(("seg", o2, other,
                         {"flags": rng.choice(["P", "", "F"])}))
        elif r < 0.10:
            acts.append(("seg", o2, other,
                         {"ack": c.sisn + 1 + rng.randint(1, 1 << 20)}))
        elif r < 0.12 and c.ts:
            acts.append(("seg", o2, other,
                         {"tsval": c.tsval - rng.randint(2, 1 << 30)}))
        elif r < 0.14:
            acts.append(("rst", rng.choice(["inwin", "oow", "old", "exact"])))
        elif r < 0.16:
            acts.append(("seg", o2, other if rng.random() < 0.5 else b"",
                         {"flags": "FA"}))
        elif r < 0.18:
            acts.append(("syn", rng.choice(["inwin", "oow"])))
        elif r < 0.21:
            acts.append(("pause",))
    acts += late
    for i in range(len(acts) - 1):
        if rng.random() < 0.15:
            acts[i], acts[i + 1] = acts[i + 1], acts[i]
    r = rng.random()
    if r < 0.6:
        acts.append(("seg", L, b"", {"flags": "FA"}))
    if r > 0.85:
        acts.append(("rst", "exact"))
    sent = 0    # what the client has sent in order, an estimate of rcv_nxt
    for a in acts:
        if a[0] == "seg":
            _, o, d, kw = a
            if "badopts" in kw:
                kw = {"opts": c.opts() + kw["badopts"]}
            c.send(o, d, **kw)
            if o <= sent and not kw:
                sent = max(sent, o + len(d))
        elif a[0] == "rst":
            k = a[1]
            o = {"exact": sent, "inwin": sent + rng.randint(1, 30000),
                 "oow": sent + rng.randint(1 << 20, 1 << 30),
                 "old": sent - rng.randint(1, 1 << 20)}[k]
            c.send(o, b"", rng.choice(["R", "RA"]))
        elif a[0] == "syn":
            o = sent + (rng.randint(0, 30000) if a[1] == "inwin"
                        else rng.randint(1 << 20, 1 << 30))
            c.send(o, b"", "S", ack=0)
        elif a[0] == "pause":
            yield Wait(rng.uniform(0.05, 0.3))


# --- the server -------------------------------------------------------------

class Server(threading.Thread):
    """the real receiver: reads every accepted connection, records what
    recv() returned and how the connection ended"""

    def __init__(self, ns):
        super().__init__(daemon=True)
        self.ns = ns
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.done = threading.Event()
        self.conns = {}     # cport -> record
        self.error = None

    def run(self):
        try:
            self.serve()
        except Exception as e:  # pylint: disable=broad-except
            self.error = repr(e)
            self.ready.set()
        self.done.set()

    def listener(self, port, rcvbuf=None):
        ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        ls.bind(("::", port))
        ls.listen(1024)
        ls.setblocking(False)
        return ls

    def serve(self):
        enter(self.ns)
        # One descriptor per connection still open: random rounds leave
        # many open until the round's flows expire
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.ls = [self.listener(PORT), self.listener(PORT_ZW, 1)]
        by_fd = {ls.fileno(): ls for ls in self.ls}
        ep = select.epoll()
        for ls in self.ls:
            ep.register(ls.fileno(), select.EPOLLIN)
        self.ready.set()
        socks = {}      # fd -> record
        while True:
            last = self.stop.is_set()
            evs = ep.poll(0 if last else 0.1)
            now = time.monotonic()
            for fd, _ in evs:
                if fd in by_fd:
                    self.accept(by_fd[fd], ep, socks, now)
                elif fd in socks:
                    self.read(socks[fd], ep, now)
            # the zero-window connections, once their delay is over
            for r in list(socks.values()):
                if r["delayed"] and now >= r["t"] + ZW_DELAY:
                    r["delayed"] = False
                    ep.register(r["s"].fileno(), select.EPOLLIN)
                    self.read(r, ep, now)
            if last:
                for ls in self.ls:
                    self.accept(ls, ep, socks, now)
                for r in socks.values():
                    r["delayed"] = False
                    self.read(r, ep, now)
                    self.finish(r)
                return

    def accept(self, ls, ep, socks, now):
        while True:
            try:
                s, peer = ls.accept()
            except (BlockingIOError, InterruptedError):
                return
            s.setblocking(False)
            r = {"s": s, "cport": peer[1], "data": bytearray(), "eof": False,
                 "err": None, "t": now,
                 "delayed": ls.getsockname()[1] == PORT_ZW,
                 "end": None}
            self.conns[peer[1]] = r
            socks[s.fileno()] = r
            if not r["delayed"]:
                ep.register(s.fileno(), select.EPOLLIN)
                self.read(r, ep, now)

    def read(self, r, ep, now):
        if r["delayed"] or r["eof"] or r["err"]:
            return
        while True:
            try:
                b = r["s"].recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                r["err"] = errno.errorcode.get(e.errno, str(e.errno))
                self.unreg(r, ep)
                return
            if not b:
                r["eof"] = True
                self.unreg(r, ep)
                return
            r["data"] += b

    @staticmethod
    def unreg(r, ep):
        try:
            ep.unregister(r["s"].fileno())
        except (OSError, ValueError):
            pass

    @staticmethod
    def finish(r):
        info = r["s"].getsockopt(socket.IPPROTO_TCP, TCP_INFO, 8)
        st = info[0]
        err = r["s"].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        reset = bool(r["err"]) or st == TCP_CLOSE or err != 0
        if r["eof"]:
            r["end"] = "fin+reset" if reset else "fin"
        else:
            r["end"] = "reset" if reset else "open"
        r["state"] = st


# --- the harness -------------------------------------------------------------

def tap_open(ns, name):
    """a file descriptor on tap device NAME of network namespace NS,
    non-blocking"""
    enter(ns)
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    ifr = struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    return fd


class Harness:
    def __init__(self, cns, tap=None):
        # With TAP ("NS:DEV"), frames enter the router through that tap
        # device.  A non-blocking write to a tap builds the skb around a
        # page fragment, as a NIC's driver does, so the receiver can
        # append a segment to the stored one before it (skb_try_coalesce()
        # steals its head) whatever its size, as it does with real
        # traffic.  Frames written to c0's AF_PACKET socket are kmalloc'd
        # heads, appended only when they fit the stored one's tailroom:
        # then which bytes read() returns for some overlaps depends on that
        # room, not on the wire.  The answers come back through c0 either
        # way.
        self.tap = tap_open(*tap.split(":", 1)) if tap else None
        enter(cns)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.bind(("c0", ETH_P_ALL))
        self.sock.setblocking(False)
        self.conns = {}
        self.sent = 0
        self.trace = False

    def xmit(self, l3):
        et, pkt = l3
        if self.tap is not None:
            os.write(self.tap, MAC_T0 + MAC_C0 + et + pkt)
        else:
            self.sock.send(MAC_R0 + MAC_C0 + et + pkt)
        self.sent += 1

    def drain(self):
        while True:
            try:
                frame, addr = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            p = parse(frame)
            if not p:
                continue
            c = self.conns.get(p[0])
            if c and p[1] == c.sport:
                c.on_pkt(*p[2:8])

    def run(self, tasks, more=None, width=0):
        """run the (conn, generator) @tasks to their end; while @more()
        gives new ones, keep @width running"""
        active = []
        pending = list(tasks)

        def start(c, g):
            self.conns[c.cport] = c
            active.append([g, None])

        for c, g in pending:
            start(c, g)
        while active or more:
            if more and len(active) < width:
                nt = more()
                if nt is None:
                    more = None
                else:
                    start(*nt)
                    continue
            if not active:
                break
            now = time.monotonic()
            for t in list(active):
                w = t[1]
                if w is not None and not (now >= w.deadline or
                                          (w.cond and w.cond())):
                    continue
                try:
                    t[1] = next(t[0])
                except StopIteration:
                    active.remove(t)
            dl = min([t[1].deadline for t in active if t[1]] or [now + 0.05])
            tmo = max(0.0, min(dl - time.monotonic(), 0.05))
            if any(t[1] is None for t in active):
                tmo = 0
            select.select([self.sock], [], [], tmo)
            self.drain()


def cmd_run(d, cns, sns):
    # One CPU for every thread: a veth hands a frame to the backlog of the
    # CPU that sent it, and frames sent from two CPUs can pass each other
    # on the way to the router and on to the server: the receiver would
    # see another order than the router's monitor.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.makedirs(d + "/srv", exist_ok=True)
    pat = re.compile(os.environ.get("MOS_RECEIVER_CASES") or ".")
    rtime = float(os.environ.get("MOS_RECEIVER_TIME") or 0)
    seed0 = int(os.environ.get("MOS_RECEIVER_SEED") or int(time.time()))
    rcount = int(os.environ.get("MOS_RECEIVER_COUNT") or 0)
    # receiver.sh's later rounds: no fixed cases, random ports from here
    fixed = os.environ.get("RX_FIXED", "1") == "1"
    port0 = int(os.environ.get("RX_PORT") or 30000)
    srv = Server(sns)
    srv.start()
    srv.ready.wait(60)
    if srv.error:
        print("server: " + srv.error)
        return 1
    h = Harness(cns, os.environ.get("RX_TAP"))
    cases = []      # (name, cport, sport)
    tasks = []
    cport = 10000
    for name, fn, kw in CASES:
        if name in OPEN_CASES and rtime <= 0:
            continue
        kw = dict(kw)
        fams = kw.pop("fams", (4, 6))
        for fam in fams:
            n = "%s-v%d" % (name, fam)
            cport += 1
            if not fixed or not pat.search(n):
                continue
            c = Conn(h, n, fam, cport, **kw)
            cases.append((n, cport, c.sport))
            tasks.append((c, fn(c)))

    def rand_conn(seed, port):
        rng = random.Random(seed)
        c = Conn(h, "random-%d" % seed, port=port, **random_conn(rng))
        cases.append((c.name, port, c.sport))
        return c, random_case(c, rng)

    if fixed:
        seeds = SEEDS
        if h.tap is not None:
            seeds = seeds + TAP_SEEDS
            if rtime > 0 and os.environ.get("MOS_RECEIVER_OPEN") != "0":
                seeds = seeds + OPEN_SEEDS
        for i, s in enumerate(seeds):
            if pat.search("random-%d" % s):
                tasks.append(rand_conn(s, 29000 + i))
    t0 = time.monotonic()
    h.run(tasks)
    log("fixed cases: %d connections, %d frames, %.1f s" %
        (len(cases), h.sent, time.monotonic() - t0))
    nxt = [seed0, port0]
    if rtime > 0 and pat.search("random-%d" % seed0):
        t1 = time.monotonic()

        def more():
            if (time.monotonic() - t1 >= rtime or
                    (rcount and nxt[0] - seed0 >= rcount)):
                return None
            t = rand_conn(nxt[0], nxt[1])
            nxt[0] += 1
            nxt[1] = nxt[1] + 1 if nxt[1] < 59999 else 30000
            return t
        n0 = len(cases)
        h.run([], more, width=8)
        log("random: seeds %d..%d, %d connections, %.1f s" %
            (seed0, nxt[0] - 1, len(cases) - n0, time.monotonic() - t1))
    # The last connection, a baseline: once a monitor has reported its
    # FIN, it has reported everything the sender sent before it.  Its
    # port is the next random one: a port of an earlier round may still
    # have the server's socket of then (FIN_WAIT_1, its FIN unanswered).
    c = Conn(h, "marker-v4", 4, nxt[1])
    nxt[1] = nxt[1] + 1 if nxt[1] < 59999 else 30000
    cases.append((c.name, c.cport, c.sport))
    h.run([(c, c_baseline(c))])
    with open(d + "/marker", "w") as f:
        f.write("%d-%d\n" % (c.cport, c.sport))
    with open(d + "/next", "w") as f:
        f.write("%d %d\n" % tuple(nxt))
    # what is in flight lands, the zero-window reads catch up
    time.sleep(1.0)
    srv.stop.set()
    srv.done.wait(60)
    if srv.error:
        print("server: " + srv.error)
        return 1
    with open(d + "/cases", "w") as f:
        for n, p, sp in cases:
            f.write("%s %d %d\n" % (n, p, sp))
            r = srv.conns.get(p)
            with open("%s/srv/%d.data" % (d, p), "wb") as g:
                g.write(bytes(r["data"]) if r else b"")
            with open("%s/srv/%d.end" % (d, p), "w") as g:
                g.write((r["end"] if r else "none") + "\n")
    return 0


def log(s):
    print("# " + s)
    sys.stdout.flush()


# --- the comparison ----------------------------------------------------------

FIN_STATES = ("CLOSE_WAIT", "LAST_ACK", "CLOSING", "TIME_WAIT")


def mos_ends(path):
    """{"CPORT-SPORT": (end, missed)} from evtrace's lines: the server
    side's end, and the bytes mos said it missed before the server"""
    ends = {}
    missed = {}
    try:
        lines = open(path).read().split("\n")
    except OSError:
        return ends
    for l in lines:
        w = l.split()
        if len(w) < 4 or w[2] != "svr":
            continue
        k = w[0]
        if w[3].startswith("MISSED:"):
            missed[k] = missed.get(k, 0) + int(w[3][7:])
            continue
        # what the client's segments did to the server's side: hook RCV
        if w[1] != "RCV":
            continue
        e = ends.setdefault(k, [False, False])
        if w[3].startswith("STATE_CHANGE:"):
            st = w[3].split(":", 1)[1]
            if st in FIN_STATES:
                e[0] = True
            elif st == "CLOSED":
                e[1] = True
    return {k: ("fin+reset" if f and r else "fin" if f else
                "reset" if r else "open", missed.get(k, 0))
            for k, (f, r) in ends.items()}


def show(b):
    return repr(bytes(b[:12]))


def cmd_compare(d, specs):
    cases = [l.split() for l in open(d + "/cases").read().split("\n") if l]
    n = m = 0
    failed_seeds = set()
    for spec in specs:
        place, ev = spec.split("=", 1)
        place, _, paws = place.partition(":")
        ends = mos_ends(ev + ".out")
        for name, cport, sport in cases:
            m += 1
            key = "%s-%s" % (cport, sport)
            want = open("%s/srv/%s.data" % (d, cport), "rb").read()
            wend = open("%s/srv/%s.end" % (d, cport)).read().strip()
            try:
                got = open("%s/%s.svr" % (ev, key), "rb").read()
            except OSError:
                got = b""
            gend, gmiss = ends.get(key, ("none", 0))
            # a connection the server never accepted: mos may follow a
            # flow, but with no bytes to the server and no end
            if wend == "none" and gend == "open":
                gend = "none"
            why = []
            if got != want:
                i = 0
                while i < min(len(got), len(want)) and got[i] == want[i]:
                    i += 1
                why.append("stream differs at offset %d: mos %d bytes, "
                           "receiver %d bytes; mos[%d:] %s, receiver[%d:] %s"
                           % (i, len(got), len(want), i, show(got[i:]),
                              i, show(want[i:])))
            if gend != wend:
                why.append("end: mos %s, receiver %s" % (gend, wend))
            if gmiss and why:
                why.append("mos reported %d bytes missed" % gmiss)
            if why:
                print("not ok %s@%s: %s (%d bytes read)" %
                      (name, place, "; ".join(why), len(want)))
                if name.startswith("random-"):
                    failed_seeds.add(name[7:])
            else:
                n += 1
                print("ok %s@%s (%d bytes, %s%s)" %
                      (name, place, len(want), wend,
                       ", paws " + paws if paws and
                       name.rsplit("-", 1)[0] in PAWS_CASES else ""))
    if failed_seeds:
        print("# failing seeds: " + " ".join(sorted(failed_seeds, key=int)))
    print("%d/%d cases: mos == receiver" % (n, m))
    return 0 if n == m else 1


class Dry:
    """a harness that sends nothing: receiver.py script SEED"""
    trace = True

    def xmit(self, l3):
        pass


def cmd_script(seed):
    """print what random connection @seed sends, without sending it (the
    server's ISN taken as 0, its ACKs as never coming)"""
    rng = random.Random(seed)
    c = Conn(Dry(), "random-%d" % seed, port=0, **random_conn(rng))
    print("# IPv%d isn %d ts %s sack %s wscale %s" %
          (c.fam, c.isn, c.ts, c.sack, c.wscale))
    c.sisn = 0
    for _ in random_case(c, rng):
        pass
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "run":
        return cmd_run(*argv[2:])
    if len(argv) == 3 and argv[1] == "script":
        return cmd_script(int(argv[2]))
    if len(argv) >= 4 and argv[1] == "compare":
        return cmd_compare(argv[2], argv[3:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
