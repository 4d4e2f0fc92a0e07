#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcap_out.sh - MOS_PCAP_OUT: an inline application run on a capture
# (MOS_PCAP) writes the capture's packets as its verdicts leave them
#
# A crafted IPv4 connection (scapy): handshake, the client sends
# "hello\n", "MARKER-7f3a\n", "please OLDTEXT\n", "bye\n", each
# acknowledged, then FINs.  verdict_app pcapout (selftests/lib/
# verdict_app.c) drops the marker's segment, sends the client "injected"
# from the server's end in its callback (mtcp_sendpkt()), and rewrites
# OLDTEXT to NEWTEXT with the TOS set to 0x20 (MOS_UPDATE_TCP_CHKSUM,
# MOS_UPDATE_IP_CHKSUM).  The expected output is built by scapy from the
# input, independently of mos: every packet as it came, but the marker's
# segment replaced by the injected one (IP ID 0, TTL 64, DF, PSH|ACK,
# window 1024, at the marker's acknowledgment number, acknowledging the
# marker), and the rewritten one with scapy's own checksums.  The output
# read back must hold exactly those bytes, in that order; tshark (if
# installed) must find no bad checksum in it.  The server's stream as the
# app peeks it must be what those verdicts let through: "hello\n", the
# marker's 12 bytes missed, then the rewritten text and "bye\n".  A request whose packet is
# not the flow's is refused offline too (the unit test of the shared
# checks is the VM test's; here the program reports EINVAL).
#
# Needs `make user` and python3-scapy.  KTAP output.

. "$(dirname "$0")/../lib/lib.sh"
APP=$PROJ/build/selftests/verdict_app
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ktap_begin
[ -x "$APP" ] || { echo "1..0 # SKIP $APP missing (make user)"; exit "$KSFT_SKIP"; }
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	{ echo "1..0 # SKIP python3-scapy missing"; exit "$KSFT_SKIP"; }

cat >"$work/pcaps.py" <<'PYEOF'
import sys
from scapy.all import IP, TCP, Ether, Raw, wrpcap, rdpcap

mode, d = sys.argv[1], sys.argv[2]
C, S, CP, SP = "10.0.1.2", "10.0.2.2", 40000, 7000
ci, si = 1000, 5000


def seg(src, dst, sp, dp, seq, ack, flags, data=b""):
    p = IP(src=src, dst=dst, id=7, ttl=63) / TCP(sport=sp, dport=dp, seq=seq,
                                                ack=ack, flags=flags,
                                                window=65535)
    if data:
        p = p / Raw(data)
    return p


msgs = [b"hello\n", b"MARKER-7f3a\n", b"please OLDTEXT\n", b"bye\n"]
pkts = [seg(C, S, CP, SP, ci, 0, "S"),
        seg(S, C, SP, CP, si, ci + 1, "SA"),
        seg(C, S, CP, SP, ci + 1, si + 1, "A")]
cs = ci + 1
for m in msgs:
    pkts.append(seg(C, S, CP, SP, cs, si + 1, "PA", m))
    cs += len(m)
    pkts.append(seg(S, C, SP, CP, si + 1, cs, "A"))
pkts += [seg(C, S, CP, SP, cs, si + 1, "FA"),
         seg(S, C, SP, CP, si + 1, cs + 1, "FA"),
         seg(C, S, CP, SP, cs + 1, si + 2, "A")]
pkts = [IP(bytes(p)) for p in pkts]     # checksums computed once

if mode == "input":
    frames = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p
              for p in pkts]
    for i, f in enumerate(frames):
        f.time = 1700000000 + i * 0.001
    wrpcap(d + "/in.pcap", frames)
    sys.exit(0)

# the expected output, from the input
want = []
for p in pkts:
    pay = bytes(p[TCP].payload)
    if b"MARKER-7f3a" in pay:
        inj = IP(src=S, dst=C, id=0, ttl=64, flags="DF") / \
            TCP(sport=SP, dport=CP, seq=p[TCP].ack,
                ack=p[TCP].seq + len(pay), flags="PA", window=1024) / \
            Raw(b"injected")
        want.append(bytes(inj))
        continue
    if b"OLDTEXT" in pay:
        q = p.copy()
        q[IP].tos = 0x20
        q[Raw].load = pay.replace(b"OLDTEXT", b"NEWTEXT")
        del q[IP].chksum
        del q[TCP].chksum
        want.append(bytes(q))
        continue
    want.append(bytes(p))
got = [bytes(p) for p in rdpcap(d + "/out.pcap")]
print("packets %d %d" % (len(got), len(want)))
for i, (g, w) in enumerate(zip(got, want)):
    if g != w:
        print("differ %d got %s want %s" % (i, g.hex(), w.hex()))
if got == want:
    print("same")
PYEOF

/usr/bin/python3 "$work/pcaps.py" input "$work"
t_check "the crafted capture" test -s "$work/in.pcap"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
MOS_PCAP=$work/in.pcap MOS_PCAP_OUT=$work/out.pcap \
	"$APP" pcapout MARKER-7f3a OLDTEXT NEWTEXT injected \
	>"$work/app.out" 2>"$work/app.err"
t_eq "verdict_app exits 0 at the capture's end" 0 "$?"
t_eq "the callbacks: sent, dropped, rewrote" \
	"sent 5001|drop 1007|rewrote 1019 tos 0x20 please NEWTEXT" \
	"$(grep -v '^svr ' "$work/app.out" | tr '\n' '|' | sed 's/|$//')"
# The server's side is tracked as the packets leave: the marker's 12
# bytes never reached it, the rewritten bytes did
t_eq "the server's stream: what the verdicts let through, rewritten" \
	"svr hello|<12 missed>please NEWTEXT|bye|" \
	"$(grep '^svr ' "$work/app.out")"
t_no_sanitizer "verdict_app pcapout" "$work/app.err"
t_eq "link type RAW (101, in the pcap header)" 101 \
	"$(od -An -tu4 -j20 -N4 "$work/out.pcap" | tr -d ' ')"
res=$(/usr/bin/python3 "$work/pcaps.py" check "$work")
t_eq "the output holds exactly the expected packets, in order" \
	"packets 14 14|same" "$(echo "$res" | tr '\n' '|' | sed 's/|$//')"
if command -v tshark >/dev/null; then
	t_eq "tshark: no bad IP or TCP checksum in the output" 0 \
		"$(tshark -r "$work/out.pcap" -o ip.check_checksum:TRUE \
			-o tcp.check_checksum:TRUE \
			-Y 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"' \
			2>/dev/null | wc -l)"
fi

# Without MOS_PCAP_OUT nothing is sent offline, and MOS_DROP has no packet
MOS_PCAP=$work/in.pcap "$APP" pcapout MARKER-7f3a OLDTEXT NEWTEXT injected \
	>"$work/app2.out" 2>"$work/app2.err"
t_eq "without MOS_PCAP_OUT: mtcp_sendpkt() fails with EOPNOTSUPP" \
	"sendpkt EOPNOTSUPP" "$(grep -m1 '^sendpkt' "$work/app2.out")"
ktap_end
