#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
tshark_follow.py - split tshark's "follow,tcp,raw" output into the two
streams of each connection a .conns file names

Usage: selftests/lib/tshark_follow.py FOLLOW_OUTPUT OUTDIR NAME.conns...

FOLLOW_OUTPUT is what `tshark -q -z follow,tcp,raw,N ...` printed, for
one or more stream indexes N (tshark 4.0: a block per stream, between
lines of '=', with "Filter: tcp.stream eq N", "Node 0: ADDR:PORT",
"Node 1: ADDR:PORT" ([ADDR]:PORT for IPv6), then one hex line per chunk of payload, indented by
a tab when node 1 sent it; a stream index with no packets has nodes
":0").

For each connection "K CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT" of
each NAME.conns, the tshark streams between those two endpoints are
taken in the order of their indexes (a 4-tuple used again is a new
stream for tshark, and a new connection K in the .conns file), and
OUTDIR/NAME.K.c2s and OUTDIR/NAME.K.s2c get the bytes the client and the
server sent.  Node 0 is whichever end sent the stream's first packet, so
the direction comes from the node's address, not its number.  A
connection tshark has no stream for gets no files.  Prints the stream
index used for each connection: "NAME K INDEX".
"""

import ipaddress
import os
import sys


def endpoint(s):
    """'ADDR:PORT' or '[ADDR]:PORT'; ':0' for a stream that has no packets"""
    addr, port = s.rsplit(":", 1)
    addr = addr.strip("[]")
    if not addr:
        return None
    return (ipaddress.ip_address(addr), int(port))


def parse(text):
    """-> {index: (node0, node1, [bytearray, bytearray])}"""
    streams = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("====="):
            cur = None
            continue
        if line.startswith("Follow: "):
            continue
        if line.startswith("Filter: tcp.stream eq "):
            idx = int(line.split()[-1])
            cur = [idx, None, None, [bytearray(), bytearray()]]
            continue
        if cur is None:
            continue
        if line.startswith("Node 0: "):
            cur[1] = endpoint(line[8:])
        elif line.startswith("Node 1: "):
            cur[2] = endpoint(line[8:])
            if cur[1] is not None:
                streams[cur[0]] = (cur[1], cur[2], cur[3])
        elif line.strip():
            node = 1 if line.startswith("\t") else 0
            cur[3][node] += bytes.fromhex(line.strip())
    return streams


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__.strip().splitlines()[3])
    with open(sys.argv[1]) as f:
        streams = parse(f.read())
    outdir = sys.argv[2]
    used = set()
    for conns in sys.argv[3:]:
        name = os.path.basename(conns)[:-len(".conns")]
        with open(conns) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                k, cip, cport, sip, sport = line.split()
                cli = (ipaddress.ip_address(cip), int(cport))
                srv = (ipaddress.ip_address(sip), int(sport))
                for idx in sorted(streams):
                    n0, n1, data = streams[idx]
                    if idx in used or {n0, n1} != {cli, srv}:
                        continue
                    used.add(idx)
                    c2s, s2c = (data[0], data[1]) if n0 == cli else (data[1], data[0])
                    base = os.path.join(outdir, "%s.%s" % (name, k))
                    with open(base + ".c2s", "wb") as o:
                        o.write(c2s)
                    with open(base + ".s2c", "wb") as o:
                        o.write(s2c)
                    print(name, k, idx)
                    break


if __name__ == "__main__":
    main()
