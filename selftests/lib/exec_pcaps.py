#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
exec_pcaps.py - a capture of IPv4 and IPv6 connections for the tests of
libmosuser's contexts and socket families (unit/exec_test.c)

Usage: selftests/lib/exec_pcaps.py OUTDIR

Writes mixed.pcap and mixed.conns (pktlib.py's Capture): sixteen
connections, Ethernet, 1 ms between packets, one after the other, each
a handshake, 100 + k bytes up and 50 + k down in one segment each way,
and FINs from the client:

  k 0..7    10.1.0.1:43000+k > 10.2.0.1:9000
  k 8..15   [fd01::1]:43000+k > [fd02::1]:9000

Needs python3-scapy (Debian's, hence /usr/bin/python3).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import C, S, T0, Capture, blob  # noqa: E402


def mixed(cap):
    for k in range(16):
        if k < 8:
            c = cap.conn("10.1.0.1", 43000 + k, "10.2.0.1", 9000,
                         1000 * k, 500000 + k)
        else:
            c = cap.conn("fd01::1", 43000 + k, "fd02::1", 9000,
                         1000 * k, 500000 + k)
        up, down = blob(100 + k, 2 * k), blob(50 + k, 2 * k + 1)
        c.handshake()
        c.stream(C, up)
        c.stream(S, down)
        c.close()
        c.expect(up, down)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[2])
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cap = Capture("mixed", __doc__.strip().splitlines()[0], T0)
    mixed(cap)
    cap.write(out)


if __name__ == "__main__":
    main()
