#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""overlap_live.py - overlapping segments with different bytes, sent to a
real Linux TCP server over one connection per case

Usage: overlap_live.py list
       overlap_live.py send 4|6 SRC DST DPORT

"list" prints each case as "SPORT NAME", IPv4's then IPv6's.  "send"
opens one connection per case from SRC to DST:DPORT (the handshake with
the server's own ISN), sends the case's segments in their order, every
one but the last after the hole at stream offset 0, the last filling it,
then a FIN, and acknowledges the server's FIN.  The sender's own stack
has no socket for these connections: the caller keeps it from answering
them (it drops the RSTs it would send).  The server records what read()
returned; a monitor between them must write the same bytes.
"""

import sys

# (name, [(stream offset, bytes), ...]): the last segment fills the hole
HOLE = b"0123456789"
CASES = [
    ("same-start-new-longer", [(10, b"AAAA"), (10, b"BBBBBB"), (0, HOLE)]),
    ("same-start-new-shorter", [(10, b"AAAAAA"), (10, b"BBBB"), (0, HOLE)]),
    ("duplicate-other-bytes", [(10, b"AAAA"), (10, b"BBBB"), (0, HOLE)]),
    ("new-inside-old", [(10, b"AAAAAA"), (12, b"BB"), (0, HOLE)]),
    ("new-inside-old-same-end", [(10, b"AAAAAA"), (12, b"BBBB"), (0, HOLE)]),
    ("new-covers-old-from-before", [(12, b"AAAA"), (10, b"BBBBBBBB"), (0, HOLE)]),
    ("new-covers-old-same-end", [(12, b"AAAA"), (10, b"BBBBBB"), (0, HOLE)]),
    ("partial-at-old-end", [(10, b"AAAA"), (12, b"BBBB"), (0, HOLE)]),
    ("partial-at-old-start", [(12, b"AAAA"), (10, b"BBBB"), (0, HOLE)]),
    ("appended-then-inside",
     [(10, b"AAAA"), (14, b"NNNN"), (12, b"XXXX"), (0, HOLE)]),
    ("split-then-cover",
     [(12, b"AAAAAA"), (10, b"BBBB"), (11, b"CCCCCCCC"), (0, HOLE)]),
    ("covers-two-and-gap",
     [(12, b"AA"), (16, b"CC"), (10, b"BBBBBBBB"), (0, HOLE)]),
    ("in-order-over-stored", [(12, b"AAAA"), (0, HOLE + b"BBBB")]),
    ("across-the-edge",
     [(20, b"CCCC"), (0, HOLE), (8, b"89DDDDDDDDDD"), (10, b"EE")]),
]
DPORT_BASE = {4: 41000, 6: 42000}


def sports(fam):
    return [DPORT_BASE[fam] + i for i in range(len(CASES))]


def send_all(fam, src, dst, dport):
    from scapy.all import (IP, IPv6, TCP, Raw, AsyncSniffer, conf, send,
                           sr1)
    conf.verb = 0
    mk = (lambda: IP(src=src, dst=dst)) if fam == 4 else \
        (lambda: IPv6(src=src, dst=dst))
    rc = 0
    for i, (name, segs) in enumerate(CASES):
        sport = DPORT_BASE[fam] + i
        isn = 100000 * (i + 1) + fam
        sa = sr1(mk() / TCP(sport=sport, dport=dport, flags="S", seq=isn,
                            window=65535), timeout=10, retry=3)
        if sa is None or TCP not in sa or (sa[TCP].flags & 0x12) != 0x12:
            print("%s: no SYN-ACK" % name, file=sys.stderr)
            rc = 1
            continue
        ack = sa[TCP].seq + 1

        def seg(off, flags, data=b""):
            p = mk() / TCP(sport=sport, dport=dport, flags=flags,
                           seq=(isn + 1 + off) & 0xffffffff, ack=ack,
                           window=65535)
            return p / Raw(data) if data else p

        send(seg(0, "A"))
        for off, data in segs:
            send(seg(off, "PA", data))
        end = max(off + len(data) for off, data in segs)
        sn = AsyncSniffer(
            count=1, timeout=20,
            lfilter=lambda p: TCP in p and p[TCP].sport == dport and
            p[TCP].dport == sport and p[TCP].flags & 0x01)
        sn.start()
        send(seg(end, "FA"))
        sn.join()
        if not sn.results:
            print("%s: no FIN from the server" % name, file=sys.stderr)
            rc = 1
            continue
        fin = sn.results[0][TCP]
        ack = fin.seq + len(fin.payload) + 1
        send(seg(end + 1, "A"))
    return rc


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "list":
        for fam in (4, 6):
            for sport, (name, _) in zip(sports(fam), CASES):
                print(sport, name)
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "send":
        return send_all(int(sys.argv[2]), sys.argv[3], sys.argv[4],
                        int(sys.argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
