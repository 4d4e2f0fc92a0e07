#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
evseqs.py - each flow's events from an evtrace log, one line per hook and
side, in a form two runs (or two monitors) can be compared in

Usage: selftests/lib/evseqs.py [--norexmit] [--rexmit-runs] EVTRACE_LOG

The log has one event per line: "FLOW HOOK SIDE NAME[:ARG]" (FLOW a
port or a flow label, HOOK SND, RCV or NULL, SIDE cli or svr).  Output:
"FLOW HOOK SIDE EVENTS...", flows sorted, then per flow the hooks and
sides in the order SND cli, RCV cli, SND svr, RCV svr, NULL cli, NULL
svr.

- PKT_IN and INFO are left out;
- a run of NEW_DATA is one NEW_DATA with the bytes summed;
- with --rexmit-runs, a run of REXMIT is one REXMIT;
- with --norexmit, REXMIT and ERROR are left out: on a lossy,
  reordering link a late segment may be one the receiver refuses (PAWS,
  an old ACK), reported as an ERROR;
- an ORPHAN of a flow after that flow's CONN_END (the peer's ACK of a
  FIN or RST crossing it) is left out of the flow's lines;
- a live read of the ring in the middle of a packet's records runs the
  packet's events in two parts (Documentation/libmosuser.rst), so a
  STATE_CHANGE may come before the CONN_START or CONN_SETUP of the same
  packet: those pairs are put back in mOS's order (checked offline).
"""

import collections
import sys

ORDER = (("SND", "cli"), ("RCV", "cli"), ("SND", "svr"), ("RCV", "svr"),
         ("NULL", "cli"), ("NULL", "svr"))
SWAP = (("SYN_SENT", "CONN_START"), ("SYN_RCVD", "CONN_START"),
        ("ESTABLISHED", "CONN_SETUP"))


def seqs(lines, norexmit=False, rexmit_runs=False):
    out = collections.defaultdict(list)
    ended = set()
    for line in lines:
        flow, hook, side, ev = line.split()
        name, _, arg = ev.partition(":")
        if name == "CONN_END":
            ended.add(flow)
        if name == "ORPHAN" and flow in ended:
            continue
        if name in ("PKT_IN", "INFO"):
            continue
        if norexmit and name in ("REXMIT", "ERROR"):
            continue
        seq = out[(flow, hook, side)]
        if seq and seq[-1][0] == name:
            if name == "NEW_DATA":
                seq[-1][1] = str(int(seq[-1][1]) + int(arg))
                continue
            if name == "REXMIT" and rexmit_runs:
                continue
        seq.append([name, arg])
    for seq in out.values():
        for i in range(len(seq) - 1):
            if (seq[i][0] == "STATE_CHANGE" and
                    (seq[i][1], seq[i + 1][0]) in SWAP):
                seq[i], seq[i + 1] = seq[i + 1], seq[i]
    res = []
    for flow in sorted({k[0] for k in out}):
        for hook, side in ORDER:
            seq = out.get((flow, hook, side))
            if seq:
                res.append(" ".join([flow, hook, side] +
                                    [n + (":" + a if a else "")
                                     for n, a in seq]))
    return res


def main():
    args = sys.argv[1:]
    opts = {a for a in args if a.startswith("--")}
    files = [a for a in args if not a.startswith("--")]
    if len(files) != 1 or opts - {"--norexmit", "--rexmit-runs"}:
        raise SystemExit(__doc__.strip().splitlines()[3])
    with open(files[0]) as f:
        for line in seqs(f, "--norexmit" in opts, "--rexmit-runs" in opts):
            print(line)


if __name__ == "__main__":
    main()
