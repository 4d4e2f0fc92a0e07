#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mosreplay_test.sh - mosreplay (ASan/UBSan build) on captures built with
# scapy, on the host
#
#   client 10.0.1.1:40000 / fd00:1::1:40000  ->  server 10.0.2.2:80 /
#   fd00:2::2:80, written as pcap files by the generator below: no
#   namespaces, no module, no VM.
#
# Checks: the exact bytes of the dumped streams, the core's events as far
# as tcpmon.h defines them, the summary's counts, each link type, reused
# 4-tuples, checksum modes, truncated records, the file limit, JSON, and
# the exit codes.
#
# Usage: selftests/unit/mosreplay_test.sh   (MOSREPLAY=path overrides the binary)

. "$(dirname "$0")/../lib/lib.sh"

BIN=${MOSREPLAY:-$PROJ/build/bin/mosreplay-san}
# ASan: a leak is a failure; keep going after nothing.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$(mktemp -d)
defer rm -rf "$work"

ktap_begin

if [ ! -x "$BIN" ]; then
	t_fail "mosreplay binary" "$BIN missing (make user)"
	ktap_end
fi

scapy_python

# --- the captures -----------------------------------------------------------

cat > "$work/gen.py" <<'EOF'
import struct, sys
from scapy.all import Ether, ARP, IP, UDP, Dot1Q, Dot1AD, CookedLinux, raw, \
    wrpcapng, fragment
from pktlib import tcp_segment, csum16

out = sys.argv[1]
C2S = [b"GET /index.html HTTP/1.1\r\n", b"Host: example\r\n", b"\r\n"]
S2C = [b"HTTP/1.1 200 OK\r\n", b"Content-Length: 5\r\n\r\n", b"hello"]
LT_EN10MB, LT_RAW, LT_SLL, LT_SLL2, LT_NULL = 1, 101, 113, 276, 0


def write_pcap(name, linktype, recs):
    """recs: (time, bytes[, wire length]); microsecond pcap, little-endian"""
    with open(f"{out}/{name}", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144,
                            linktype))
        for r in recs:
            t, data = r[0], r[1]
            wire = r[2] if len(r) > 2 else len(data)
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), wire))
            f.write(data)


class Conv:
    """One TCP connection; pkt() returns the IP packet's bytes (pktlib.py)."""

    def __init__(self, v6=False, cport=40000, isn_c=1000, isn_s=900000,
                 cli=None, svr=None):
        self.v6 = v6
        self.cli = cli or ("fd00:1::1" if v6 else "10.0.1.1")
        self.svr = svr or ("fd00:2::2" if v6 else "10.0.2.2")
        self.cport, self.sport = cport, 80
        self.nxt = {True: isn_c, False: isn_s}

    def pkt(self, from_cli, flags, data=b"", chksum=None, seq=None):
        src, dst = (self.cli, self.svr) if from_cli else (self.svr, self.cli)
        sp, dp = ((self.cport, self.sport) if from_cli
                  else (self.sport, self.cport))
        s = self.nxt[from_cli] if seq is None else seq
        a = self.nxt[not from_cli] if "A" in flags else 0
        p = tcp_segment(src, dst, sp, dp, flags, s, a, 65535, data,
                        chksum=chksum)
        if seq is None:
            self.nxt[from_cli] = (s + len(data) + ("S" in flags)
                                  + ("F" in flags)) & 0xffffffff
        return raw(p)

    def session(self, c2s=C2S, s2c=S2C, chksum=None):
        """handshake, the data each way with ACKs, FIN both ways"""
        k = {} if chksum is None else {"chksum": chksum}
        P = self.pkt
        ps = [P(True, "S", **k), P(False, "SA", **k), P(True, "A", **k)]
        for c, s in zip(c2s, s2c):
            ps += [P(True, "PA", c, **k), P(False, "A", **k),
                   P(False, "PA", s, **k), P(True, "A", **k)]
        ps += [P(True, "FA", **k), P(False, "A", **k),
               P(False, "FA", **k), P(True, "A", **k)]
        return ps


def eth(ip):
    t = 0x86dd if ip[0] >> 4 == 6 else 0x0800
    return raw(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02",
                     type=t)) + ip


def timed(pkts, t0=1700000000.0, step=0.001):
    return [(t0 + i * step, p) for i, p in enumerate(pkts)]


# (1) IPv4 over Ethernet, plus an ARP frame and a UDP datagram
ps = [eth(p) for p in Conv().session()]
ps.insert(0, raw(Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01")
                 / ARP(psrc="10.0.1.1", pdst="10.0.2.2")))
ps.append(eth(raw(IP(src="10.0.1.1", dst="10.0.2.2") / UDP(sport=53,
                                                         dport=53))))
write_pcap("v4.pcap", LT_EN10MB, timed(ps))

# (2) IPv6 over Linux cooked v1
sll = raw(CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6,
                      src=b"\x02\0\0\0\0\x01\0\0", proto=0x86dd))
write_pcap("v6-sll.pcap", LT_SLL,
           timed([sll + p for p in Conv(v6=True).session()]))

# (2b) the other link types: SLL2 (IPv6), raw IP, Ethernet with QinQ
sll2 = struct.pack(">HHIHBB8s", 0x86dd, 0, 2, 1, 0, 6, b"\x02\0\0\0\0\x01")
write_pcap("v6-sll2.pcap", LT_SLL2,
           timed([sll2 + p for p in Conv(v6=True).session()]))
write_pcap("v4-raw.pcap", LT_RAW, timed(Conv().session()))
qinq = raw(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
           / Dot1AD(vlan=10) / Dot1Q(vlan=20, type=0x0800))
write_pcap("v4-qinq.pcap", LT_EN10MB,
           timed([qinq + p for p in Conv().session()]))

# (3) one 4-tuple, three connections, one second apart
ps = []
for i in range(3):
    conv = Conv(isn_c=1000 + 100000 * i, isn_s=900000 + 100000 * i)
    ps += timed([eth(p) for p in conv.session(
        c2s=[b"req%d-a " % i, b"req%d-b " % i, b"req%d-c" % i],
        s2c=[b"resp%d-a " % i, b"resp%d-b " % i, b"resp%d-c" % i])],
        t0=1700000000.0 + i)
write_pcap("reuse.pcap", LT_EN10MB, ps)

# (4) a data segment with a bad checksum, then sent again intact
conv = Conv()
P = conv.pkt
ps = [P(True, "S"), P(False, "SA"), P(True, "A"), P(True, "PA", C2S[0])]
seq = conv.nxt[True]
ps += [P(True, "PA", C2S[1], chksum=0xdead, seq=seq),
       P(True, "PA", C2S[1], seq=seq)]
conv.nxt[True] = seq + len(C2S[1])
ps += [P(True, "PA", C2S[2]), P(False, "A"), P(False, "PA", S2C[0]),
       P(True, "FA"), P(False, "FA"), P(True, "A")]
write_pcap("csum.pcap", LT_EN10MB, timed([eth(p) for p in ps]))

# (4b) a data segment without ACK, which the receiving TCP discards, then
# the real bytes at its sequence number
conv = Conv()
P = conv.pkt
ps = [P(True, "S"), P(False, "SA"), P(True, "A"), P(True, "PA", C2S[0])]
ps += [P(True, "P", b"X" * len(C2S[1]), seq=conv.nxt[True]),
       P(True, "PA", C2S[1]), P(True, "PA", C2S[2]), P(False, "A"),
       P(False, "PA", S2C[0]), P(True, "FA"), P(False, "FA"), P(True, "A")]
write_pcap("noack.pcap", LT_EN10MB, timed([eth(p) for p in ps]))

# (5) every TCP checksum zero, as on a host with checksum offload
write_pcap("zero.pcap", LT_EN10MB,
           timed([eth(p) for p in Conv().session(chksum=0)]))

# (7) a data segment cut by the snap length, then sent again whole
conv = Conv()
P = conv.pkt
ps = [eth(p) for p in (P(True, "S"), P(False, "SA"), P(True, "A"))]
seq = conv.nxt[True]
cut = eth(P(True, "PA", C2S[0], seq=seq))
recs = timed(ps) + [(1700000000.01, cut[:60], len(cut))]
conv.nxt[True] = seq + len(C2S[0])
ps = [eth(P(True, "PA", C2S[0], seq=seq)), eth(P(True, "PA", C2S[1])),
      eth(P(True, "FA")), eth(P(False, "FA")), eth(P(True, "A"))]
recs += timed(ps, t0=1700000000.02)
write_pcap("trunc.pcap", LT_EN10MB, recs)

# (8) 40 connections open at once, their segments interleaved
convs = [Conv(cport=41000 + i, isn_c=5000 * i + 1) for i in range(40)]
ps = []
for step in range(3):
    for i, c in enumerate(convs):
        P = c.pkt
        if step == 0:
            ps += [P(True, "S"), P(False, "SA"), P(True, "A")]
        elif step == 1:
            ps += [P(True, "PA", b"c2s-%d " % i), P(False, "PA", b"s2c-%d " % i)]
        else:
            ps += [P(True, "PA", b"end-%d" % i), P(True, "FA"),
                   P(False, "FA"), P(True, "A")]
write_pcap("many.pcap", LT_EN10MB, timed([eth(p) for p in ps], step=0.0001))

# (9) overlapping segments that differ: "AAAA" at 4, then "BBBBBBBB" at 0
conv = Conv()
P = conv.pkt
ps = [P(True, "S"), P(False, "SA"), P(True, "A")]
seq = conv.nxt[True]
ps += [P(True, "PA", b"AAAA", seq=seq + 4), P(True, "PA", b"BBBBBBBB", seq=seq)]
conv.nxt[True] = seq + 8
ps += [P(True, "FA"), P(False, "FA"), P(True, "A")]
write_pcap("overlap.pcap", LT_EN10MB, timed([eth(p) for p in ps]))

# (10) a connection whose handshake is not in the capture
conv = Conv()
P = conv.pkt
write_pcap("midstream.pcap", LT_EN10MB, timed([eth(p) for p in (
    P(True, "PA", b"abc"), P(False, "PA", b"xyz"), P(True, "PA", b"def"),
    P(False, "PA", b"uvw"))]))

# (11) a SYN, then an hour of silence before a UDP datagram
write_pcap("timeout.pcap", LT_EN10MB, [
    (1700000000.0, eth(Conv().pkt(True, "S"))),
    (1700003600.0, eth(raw(IP(src="10.0.9.9", dst="10.0.9.8") / UDP())))])

# (12) pcapng; and a pcap cut in the middle of its last record
ps = []
for t, b in timed([eth(p) for p in Conv().session()]):
    e = Ether(b)
    e.time = t
    ps.append(e)
wrpcapng(f"{out}/v4.pcapng", ps)
with open(f"{out}/v4.pcap", "rb") as f:
    whole = f.read()
with open(f"{out}/cut.pcap", "wb") as f:
    f.write(whole[:-10])

# (13) ten bytes never captured: a hole the flush skips
conv = Conv()
P = conv.pkt
ps = [P(True, "S"), P(False, "SA"), P(True, "A"), P(True, "PA", b"0123456789")]
seq = conv.nxt[True]
ps += [P(True, "PA", b"klmnopqrst", seq=seq + 10)]
conv.nxt[True] = seq + 20
ps += [P(True, "PA", b"uvwxyz"), P(False, "A")]
write_pcap("gap.pcap", LT_EN10MB, timed([eth(p) for p in ps]))

# (14) a data segment in four IPv4 fragments
conv = Conv()
P = conv.pkt
ps = [P(True, "S"), P(False, "SA"), P(True, "A")]
ps += [raw(f) for f in fragment(IP(P(True, "PA", b"x" * 3000)), fragsize=1000)]
write_pcap("frag.pcap", LT_EN10MB, timed([eth(p) for p in ps]))

# (15) TSO super-frames, as a host capture holds them: a 3000-byte
# segment in one frame whose IPv4 total length is 0, then the same in
# IPv6 with a payload length of 0; then the IPv4 one cut by the capture
def tso(v6, cut=False):
    conv = Conv(v6=v6)
    P = conv.pkt
    ps = [P(True, "S"), P(False, "SA"), P(True, "A")]
    big = bytearray(P(True, "PA", b"y" * 3000))
    if v6:
        big[4:6] = b"\0\0"
    else:
        big[2:4] = b"\0\0"
        big[10:12] = b"\0\0"
        big[10:12] = struct.pack("!H", csum16(bytes(big[:20])))
    ps += [bytes(big), P(False, "A")]
    recs = timed([eth(p) for p in ps])
    if cut:
        t, data = recs[3]
        recs[3] = (t, data[:200], len(data))
    return recs


write_pcap("tso4.pcap", LT_EN10MB, tso(False))
write_pcap("tso6.pcap", LT_EN10MB, tso(True))
write_pcap("tso4cut.pcap", LT_EN10MB, tso(False, True))


# (16) IPv6 packets the receiver's IPv6 layer drops: a segment behind a
# destination options header with an option of type 0x5e (01: discard
# if unrecognised), one whose hop-by-hop header comes second, one behind
# a segment routing header (type 4, seg6_enabled off); each with other
# bytes than the segment that follows at the same sequence number
def ext6(ip, hdrs):
    """insert extension headers (nexthdr, bytes after it) after the
    IPv6 header: the TCP checksum does not change"""
    ip = bytearray(ip)
    nh, chain = ip[6], b""
    for t, body in reversed(hdrs):
        chain = bytes([nh]) + body + chain
        nh = t
    ip[6] = nh
    ip[4:6] = struct.pack("!H", len(ip) - 40 + len(chain))
    return bytes(ip[:40]) + chain + bytes(ip[40:])


conv = Conv(v6=True)
P = conv.pkt
ps = [P(True, "S"), P(False, "SA"), P(True, "A")]
s = conv.nxt[True]
ps += [ext6(P(True, "PA", b"EVIL", seq=s),
            [(60, b"\0\x5e\x04\0\0\0\0")])]
ps += [ext6(P(True, "PA", b"BAD!", seq=s),
            [(60, b"\0\x01\x04\0\0\0\0"), (0, b"\0\x01\x04\0\0\0\0")])]
ps += [ext6(P(True, "PA", b"SRH!", seq=s),
            [(43, b"\x02\x04\0\0\0\0\0" + bytes(16))])]
ps += [ext6(P(True, "PA", b"GOOD"),
            [(0, b"\0\x01\x04\0\0\0\0"), (60, b"\0\x1e\x04\0\0\0\0")])]
ps += [P(False, "A")]
write_pcap("opt6.pcap", LT_EN10MB, timed([eth(p) for p in ps]))

# an unsupported link type (IEEE 802.11, 105)
write_pcap("wlan.pcap", 105, [(1700000000.0, bytes(24) +
                               Conv().pkt(True, "S"))])
EOF
if ! PYTHONPATH=$SELFTESTS/lib "$PY" "$work/gen.py" "$work" 2> "$work/gen.err"; then
	t_fail "build the captures with scapy" "$(tail -3 "$work/gen.err")"
	ktap_end
fi
t_ok "build the captures with scapy"

# --- helpers ----------------------------------------------------------------

C2S=$'GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n'
S2C=$'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'

# run NAME ARGS...: mosreplay ARGS into $work/NAME.{out,err}, status in $rc
run() {
	local name=$1
	shift
	"$BIN" "$@" > "$work/$name.out" 2> "$work/$name.err"
	rc=$?
}

# sum_field NAME KEY: a key of the summary line of $work/NAME.out
sum_field() {
	tail -n 1 "$work/$1.out" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# sanitizer NAME: fail if ASan or UBSan said anything
sanitizer() {
	t_no_sanitizer "$1" "$work/$1.err"
}

# same_file NAME FILE EXPECTED: FILE's bytes are EXPECTED exactly
same_file() {
	if [ ! -f "$2" ]; then
		t_fail "$1" "$2 missing"
	elif [ "$(od -An -c "$2")" = "$(printf '%s' "$3" | od -An -c)" ]; then
		t_ok "$1"
	else
		t_fail "$1" "$(basename "$2"): got '$(od -An -c "$2" | tr -s ' ' | head -c 200)'"
	fi
}

# packets_add_up NAME: the summary's record counts add up to packets
packets_add_up() {
	local s=0 k
	for k in tcp other parse_errors truncated non_ip ip_fragments \
		 ip6_opt_discard ip6_hbh_not_first ip6_rh_discard \
		 decap_unknown decap_bad decap_deep; do
		s=$((s + $(sum_field "$1" $k)))
	done
	t_eq "$1: packets = tcp + other + parse_errors + truncated + non_ip + ip_fragments + ip6_opt_discard + ip6_hbh_not_first + ip6_rh_discard + decap_unknown + decap_bad + decap_deep" \
		"$(sum_field "$1" packets)" "$s"
}

# events NAME EVENT: number of EVENT lines in the text output
events() {
	awk -v e="$2" '$5 == e' "$work/$1.out" | wc -l
}

# --- (1) IPv4 over Ethernet -------------------------------------------------

run v4 --flush --dump-streams "$work/d-v4" "$work/v4.pcap"
t_eq "v4: exit 0" 0 "$rc"
sanitizer v4
base=$work/d-v4/10.0.1.1.40000-10.0.2.2.80
same_file "v4: client-to-server bytes" "$base.c2s" "$C2S"
same_file "v4: server-to-client bytes" "$base.s2c" "$S2C"
t_eq "v4: summary: records" "packets=21 tcp=19 other=1 parse_errors=0 truncated=0 non_ip=1" \
	"$(tail -n 1 "$work/v4.out" | grep -oE 'packets=.* non_ip=[0-9]+')"
packets_add_up v4
t_eq "v4: summary: flows, open" "1 0" "$(sum_field v4 flows) $(sum_field v4 open)"
t_eq "v4: summary: stream bytes" "${#C2S} ${#S2C}" \
	"$(sum_field v4 bytes_c2s) $(sum_field v4 bytes_s2c)"
t_eq "v4: summary: no gaps, no bad checksums" "0 0 0" \
	"$(sum_field v4 gaps) $(sum_field v4 gap_bytes) $(sum_field v4 csum_bad)"
t_eq "v4: CONN_START and CONN_END, 2 each, counted as printed" "2 2 2 2" \
	"$(sum_field v4 CONN_START) $(sum_field v4 CONN_END) $(events v4 CONN_START) $(events v4 CONN_END)"
t_eq "v4: summary counts every event line" \
	"$(($(wc -l < "$work/v4.out") - 1))" \
	"$(tail -n 1 "$work/v4.out" | sed 's/.*events: //' | tr ' ' '\n' | grep -E '^[A-Z_]+=' | awk -F= '{ s += $2 } END { print s }')"
# tcpmon.h: the client starts on SYN_SENT, the server on SYN_RCVD, when
# each side's state is updated for the SYN: SND hook, then RCV hook.
t_eq "v4: the SYN starts the client at SND, then the server at RCV" \
	"2 SND cli CONN_START|2 RCV svr CONN_START" \
	"$(awk '$5 == "CONN_START" { print $1, $3, $4, $5 }' "$work/v4.out" | paste -sd'|')"
# tcpmon.h: SND and RCV hooks come "after the side's state was updated",
# so a CONN_START shows the state the side started in.
t_eq "v4: CONN_START lines show the flow and the states" \
	"10.0.1.1:40000>10.0.2.2:80 cli=SYN_SENT|10.0.1.1:40000>10.0.2.2:80 svr=SYN_RCVD" \
	"$(awk '$5 == "CONN_START" { print $7, ($4 == "cli" ? $8 : $9) }' "$work/v4.out" | paste -sd'|')"
t_eq "v4: both sides set up by the third packet" "2" \
	"$(awk '$5 == "CONN_SETUP" && $1 <= 4' "$work/v4.out" | wc -l)"
# NEW_DATA: the receiving side, the stream offset, the length
t_eq "v4: NEW_DATA in order, with offsets" \
	"svr off=0 len=26|cli off=0 len=17|svr off=26 len=15|cli off=17 len=21|svr off=41 len=2|cli off=38 len=5" \
	"$(awk '$5 == "NEW_DATA" { print $4, $(NF-1), $NF }' "$work/v4.out" | paste -sd'|')"
t_eq "v4: the server ends by the FIN handshake" "svr reason=fin" \
	"$(awk '$5 == "CONN_END" && $1 != "-" { print $4, $NF }' "$work/v4.out" | paste -sd'|')"
t_eq "v4: the client (TIME_WAIT) ends at the flush" "cli reason=flush" \
	"$(awk '$5 == "CONN_END" && $1 == "-" { print $4, $NF }' "$work/v4.out" | paste -sd'|')"
t_eq "v4: the UDP datagram is an orphan without ports" \
	"21 NULL - ORPHAN id=0 10.0.1.1>10.0.2.2" \
	"$(awk '$5 == "ORPHAN" { print $1, $3, $4, $5, $6, $7 }' "$work/v4.out")"

run v4-noflush --quiet "$work/v4.pcap"
t_eq "v4 without --flush: the client stays open" "1 1" \
	"$(sum_field v4-noflush CONN_END) $(sum_field v4-noflush open)"
t_eq "v4 --quiet: only the summary" "1" "$(wc -l < "$work/v4-noflush.out")"

# JSON: every line an object, the same events, the summary last
run v4-json --json --flush "$work/v4.pcap"
t_eq "v4 --json: exit 0" 0 "$rc"
t_check "v4 --json: objects with the text's fields, summary last" "$PY" - "$work/v4-json.out" "$work/v4.out" <<'EOF'
import json, sys
js = [json.loads(l) for l in open(sys.argv[1])]
txt = [l.split() for l in open(sys.argv[2])]
assert len(js) == len(txt), (len(js), len(txt))
assert js[-1]["summary"] is True and js[-1]["packets"] == 21
assert js[-1]["events"]["CONN_START"] == 2
for j, t in zip(js[:-1], txt[:-1]):
    assert j["pkt"] == (None if t[0] == "-" else int(t[0])), (j, t)
    assert "%.6f" % j["ts"] == t[1], (j, t)
    assert [j["hook"], j["side"] or "-", j["event"]] == t[2:5], (j, t)
    assert "id=%d" % j["id"] == t[5], (j, t)
    if j["event"] != "ORPHAN":
        assert "%s>%s" % (j["cli"], j["svr"]) == t[6], (j, t)
        assert "cli=" + j["cli_state"] == t[7] and "svr=" + j["svr_state"] == t[8]
    for k in ("off", "len", "err", "from", "to", "reason"):
        if k in j:
            assert "%s=%s" % (k, j[k]) in t, (k, j, t)
EOF

# --- (2) IPv6: Linux cooked v1 and v2 -------------------------------------

for lt in sll sll2; do
	run "v6-$lt" --flush --dump-streams "$work/d-v6-$lt" "$work/v6-$lt.pcap"
	t_eq "v6 $lt: exit 0" 0 "$rc"
	sanitizer "v6-$lt"
	base="$work/d-v6-$lt/fd00:1::1.40000-fd00:2::2.80"
	same_file "v6 $lt: client-to-server bytes" "$base.c2s" "$C2S"
	same_file "v6 $lt: server-to-client bytes" "$base.s2c" "$S2C"
	t_eq "v6 $lt: 19 TCP segments, 2 CONN_START, 2 CONN_END" "19 2 2" \
		"$(sum_field "v6-$lt" tcp) $(sum_field "v6-$lt" CONN_START) $(sum_field "v6-$lt" CONN_END)"
	t_eq "v6 $lt: addresses in brackets" "[fd00:1::1]:40000>[fd00:2::2]:80" \
		"$(awk '$5 == "CONN_START" { print $7; exit }' "$work/v6-$lt.out")"
done

for lt in raw qinq; do
	run "v4-$lt" --dump-streams "$work/d-v4-$lt" "$work/v4-$lt.pcap"
	base=$work/d-v4-$lt/10.0.1.1.40000-10.0.2.2.80
	same_file "v4 $lt: client-to-server bytes" "$base.c2s" "$C2S"
	same_file "v4 $lt: server-to-client bytes" "$base.s2c" "$S2C"
done

# --- (3) a 4-tuple used three times -----------------------------------------

run reuse --flush --dump-streams "$work/d-reuse" "$work/reuse.pcap"
t_eq "reuse: exit 0" 0 "$rc"
sanitizer reuse
base=$work/d-reuse/10.0.1.1.40000-10.0.2.2.80
for i in 0 1 2; do
	sfx=; [ $i = 0 ] || sfx=.$i
	same_file "reuse: connection $i, client-to-server" "$base$sfx.c2s" "req$i-a req$i-b req$i-c"
	same_file "reuse: connection $i, server-to-client" "$base$sfx.s2c" "resp$i-a resp$i-b resp$i-c"
done
t_eq "reuse: six files" 6 "$(ls "$work/d-reuse" | wc -l)"
t_eq "reuse: 3 flows, 6 CONN_START, 6 CONN_END" "3 6 6" \
	"$(sum_field reuse flows) $(sum_field reuse CONN_START) $(sum_field reuse CONN_END)"

# --- (4) --checksum verify, a corrupted segment sent again ------------------

run csum --checksum verify --dump-streams "$work/d-csum" "$work/csum.pcap"
t_eq "csum verify: exit 0" 0 "$rc"
sanitizer csum
base=$work/d-csum/10.0.1.1.40000-10.0.2.2.80
same_file "csum verify: client-to-server bytes" "$base.c2s" "$C2S"
same_file "csum verify: server-to-client bytes" "$base.s2c" "${S2C:0:17}"
t_eq "csum verify: csum_bad=1, no gap" "1 0" "$(sum_field csum csum_bad) $(sum_field csum gaps)"
t_eq "csum verify: the bad segment is an ERROR" "5" \
	"$(awk '$5 == "ERROR" && tolower($0) ~ /err=[a-z_]*csum/ { print $1 }' "$work/csum.out")"

run csum-ignore --checksum ignore --quiet "$work/csum.pcap"
t_eq "csum ignore: csum_bad=0" 0 "$(sum_field csum-ignore csum_bad)"

# --- (4b) a segment without ACK: kept out of the stream, counted ------------

run noack --dump-streams "$work/d-noack" "$work/noack.pcap"
t_eq "noack: exit 0" 0 "$rc"
sanitizer noack
base=$work/d-noack/10.0.1.1.40000-10.0.2.2.80
same_file "noack: client-to-server bytes, the real ones only" "$base.c2s" "$C2S"
t_eq "noack: summary: nacc_noack=1, no retransmission" "1 0" \
	"$(sum_field noack nacc_noack) $(sum_field noack REXMIT)"
t_eq "noack: the segment is an ERROR" "5" \
	"$(awk '$5 == "ERROR" && $0 ~ /err=noack/ { print $1 }' "$work/noack.out")"

# --- (5) --checksum auto on a capture of zero checksums ---------------------

run zero --flush --dump-streams "$work/d-zero" "$work/zero.pcap"
t_eq "csum auto, zero checksums: exit 0" 0 "$rc"
t_eq "csum auto, zero checksums: the notice" \
	"mosreplay: 19 of 19 TCP checksums in the first 19 segments are wrong: checksum offload in the capture; not verifying (use --checksum verify to force)" \
	"$(grep -v '^#' "$work/zero.err" | head -n 1)"
base=$work/d-zero/10.0.1.1.40000-10.0.2.2.80
same_file "csum auto, zero checksums: client-to-server bytes" "$base.c2s" "$C2S"
same_file "csum auto, zero checksums: server-to-client bytes" "$base.s2c" "$S2C"
t_eq "csum auto, zero checksums: csum_bad=0" 0 "$(sum_field zero csum_bad)"

run v4-auto --quiet "$work/v4.pcap"
t_eq "csum auto, good checksums: no notice" "" "$(cat "$work/v4-auto.err")"

# --- (7) a record cut by the snap length ------------------------------------

run trunc --flush --dump-streams "$work/d-trunc" "$work/trunc.pcap"
t_eq "truncated: exit 0" 0 "$rc"
t_eq "truncated: counted, not tracked" "1 8" \
	"$(sum_field trunc truncated) $(sum_field trunc tcp)"
t_check "truncated: said on stderr" grep -q 'truncated records' "$work/trunc.err"
same_file "truncated: the intact copy fills the stream" \
	"$work/d-trunc/10.0.1.1.40000-10.0.2.2.80.c2s" "${C2S:0:41}"

# --- (8) more flows than file descriptors -----------------------------------

( ulimit -n 24 && run many --flush --dump-streams "$work/d-many" "$work/many.pcap"; exit $rc )
rc=$?
t_eq "40 flows with 24 file descriptors: exit 0" 0 "$rc"
bad=0
for i in $(seq 0 39); do
	b=$work/d-many/10.0.1.1.$((41000 + i))-10.0.2.2.80
	[ "$(cat "$b.c2s" 2>/dev/null)" = "c2s-$i end-$i" ] &&
		[ "$(cat "$b.s2c" 2>/dev/null)" = "s2c-$i " ] || bad=$((bad + 1))
done
t_eq "40 flows with 24 file descriptors: every stream exact" 0 "$bad"

# --- (8b) a stream file that cannot be written stops the replay -------------
# A flow's stream files open at its SYN; the SYN of many.pcap's eleventh
# connection (port 41010) is its 31st record (ten handshakes of three
# first): with a directory where its file goes, the replay ends there,
# says why and exits 1.

mkdir -p "$work/d-stop/10.0.1.1.41010-10.0.2.2.80.c2s"
run stop --dump-streams "$work/d-stop" "$work/many.pcap"
t_eq "dump that fails: exit 1" 1 "$rc"
t_check "dump that fails: said on stderr" \
	grep -q '10.0.1.1.41010-10.0.2.2.80.c2s: cannot open' "$work/stop.err"
t_eq "dump that fails: no record read after the failing one" 31 \
	"$(sum_field stop packets)"
sanitizer stop

# --- (9) overlap policy ------------------------------------------------------

run overlap-first --overlap first --flush --dump-streams "$work/d-ovf" "$work/overlap.pcap"
same_file "--overlap first: the bytes seen first win" \
	"$work/d-ovf/10.0.1.1.40000-10.0.2.2.80.c2s" "BBBBAAAA"
# Linux queues a segment at the stream's edge whole (tcp_data_queue())
run overlap-linux --flush --dump-streams "$work/d-ovx" "$work/overlap.pcap"
same_file "--overlap linux (default): the in-order segment's bytes" \
	"$work/d-ovx/10.0.1.1.40000-10.0.2.2.80.c2s" "BBBBBBBB"
run overlap-last --overlap last --flush --dump-streams "$work/d-ovl" "$work/overlap.pcap"
same_file "--overlap last: the bytes seen last win" \
	"$work/d-ovl/10.0.1.1.40000-10.0.2.2.80.c2s" "BBBBBBBB"
sanitizer overlap-last

# --- (10) --midstream -------------------------------------------------------

run mid-off --dump-streams "$work/d-mid-off" "$work/midstream.pcap"
t_eq "no --midstream: no flow, 4 orphans, no files" "0 4 0" \
	"$(sum_field mid-off flows) $(sum_field mid-off ORPHAN) $(ls "$work/d-mid-off" | wc -l)"
run mid-on --midstream --flush --dump-streams "$work/d-mid-on" "$work/midstream.pcap"
t_eq "--midstream: one flow" 1 "$(sum_field mid-on flows)"
sanitizer mid-on
same_file "--midstream: client-to-server bytes" \
	"$work/d-mid-on/10.0.1.1.40000-10.0.2.2.80.c2s" "abcdef"
same_file "--midstream: server-to-client bytes" \
	"$work/d-mid-on/10.0.1.1.40000-10.0.2.2.80.s2c" "xyzuvw"

# --- (11) expiry on capture time --------------------------------------------

run timeout "$work/timeout.pcap"
t_eq "an hour later: TIMEOUT, then both sides end by timeout, before record 2" \
	"- 1700003600.000000 TIMEOUT|- 1700003600.000000 CONN_END reason=timeout|- 1700003600.000000 CONN_END reason=timeout|2 1700003600.000000 ORPHAN" \
	"$(awk '$5 == "TIMEOUT" { print $1, $2, $5 } $5 == "CONN_END" { print $1, $2, $5, $NF } $5 == "ORPHAN" { print $1, $2, $5 }' "$work/timeout.out" | paste -sd'|')"
t_eq "an hour later: nothing open" 0 "$(sum_field timeout open)"

# --- (12) pcapng; a capture cut in a record ---------------------------------

run pcapng --flush --dump-streams "$work/d-ng" "$work/v4.pcapng"
t_eq "pcapng: exit 0" 0 "$rc"
same_file "pcapng: client-to-server bytes" \
	"$work/d-ng/10.0.1.1.40000-10.0.2.2.80.c2s" "$C2S"
run cut --quiet "$work/cut.pcap"
t_eq "capture cut in its last record: exit 1" 1 "$rc"
t_check "capture cut in its last record: libpcap's message" \
	grep -q "^mosreplay: $work/cut.pcap: .*truncated" "$work/cut.err"
t_eq "capture cut in its last record: the summary of what was read" 20 \
	"$(sum_field cut packets)"

# --- (13) a hole in a stream -----------------------------------------------

run gap --flush --dump-streams "$work/d-gap" "$work/gap.pcap"
t_eq "hole: exit 0" 0 "$rc"
same_file "hole: the file holds the delivered bytes, no filler" \
	"$work/d-gap/10.0.1.1.40000-10.0.2.2.80.c2s" "0123456789klmnopqrstuvwxyz"
t_eq "hole: one gap of 10 bytes, 26 bytes in the stream" "1 10 26" \
	"$(sum_field gap gaps) $(sum_field gap gap_bytes) $(sum_field gap bytes_c2s)"
t_eq "hole: the core's GAP error says where" "1" \
	"$(awk '$5 == "ERROR" && tolower($0) ~ /err=[a-z_]*gap off=10 len=10/' "$work/gap.out" | wc -l)"
t_eq "hole: the writer and the core agree" "" "$(cat "$work/gap.err")"

# --- (14) IP fragments -------------------------------------------------------

run frag --checksum verify --quiet "$work/frag.pcap"
t_eq "fragments: none is a TCP segment, the first included (tcp other ip_fragments csum_bad)" \
	"3 0 4 0" "$(sum_field frag tcp) $(sum_field frag other) $(sum_field frag ip_fragments) $(sum_field frag csum_bad)"
t_eq "fragments: no byte of the fragmented segment in the stream" \
	"0" "$(sum_field frag bytes_c2s)"
packets_add_up frag

# --- (15) TSO super-frames --------------------------------------------------

for v in 4 6; do
	run tso$v --checksum verify --flush --dump-streams "$work/d-tso$v" "$work/tso$v.pcap"
	sanitizer tso$v
	t_eq "tso$v: the zero-length frame is a 3000-byte segment (tcp parse_errors bytes_c2s gaps csum_bad)" \
		"5 0 3000 0 0" \
		"$(sum_field tso$v tcp) $(sum_field tso$v parse_errors) $(sum_field tso$v bytes_c2s) $(sum_field tso$v gaps) $(sum_field tso$v csum_bad)"
done
same_file "tso4: the stream holds the frame's payload" \
	"$work/d-tso4/10.0.1.1.40000-10.0.2.2.80.c2s" "$(printf 'y%.0s' $(seq 3000))"
run tso4cut --checksum verify --quiet "$work/tso4cut.pcap"
t_eq "tso4cut: a cut zero-length frame is truncated, not a segment (tcp truncated parse_errors bytes_c2s)" \
	"4 1 0 0" \
	"$(sum_field tso4cut tcp) $(sum_field tso4cut truncated) $(sum_field tso4cut parse_errors) $(sum_field tso4cut bytes_c2s)"
packets_add_up tso4cut

# --- (16) IPv6 packets the receiver drops ----------------------------------

run opt6 --checksum verify --flush --dump-streams "$work/d-opt6" "$work/opt6.pcap"
sanitizer opt6
t_eq "opt6: the discard option, the misplaced hop-by-hop header and the routing header are counted, not tracked (tcp ip6_opt_discard ip6_hbh_not_first ip6_rh_discard parse_errors)" \
	"5 1 1 1 0" \
	"$(sum_field opt6 tcp) $(sum_field opt6 ip6_opt_discard) $(sum_field opt6 ip6_hbh_not_first) $(sum_field opt6 ip6_rh_discard) $(sum_field opt6 parse_errors)"
same_file "opt6: the stream holds the bytes the receiver takes" \
	"$work/d-opt6/fd00:1::1.40000-fd00:2::2.80.c2s" "GOOD"
packets_add_up opt6

# --- (6) exit codes ---------------------------------------------------------

run noarg
t_eq "no file: exit 2" 2 "$rc"
run badopt --bogus "$work/v4.pcap"
t_eq "unknown option: exit 2" 2 "$rc"
run badoverlap --overlap middle "$work/v4.pcap"
t_eq "--overlap middle: exit 2" 2 "$rc"
run badcsum --checksum maybe "$work/v4.pcap"
t_eq "--checksum maybe: exit 2" 2 "$rc"
run twofiles "$work/v4.pcap" "$work/v4.pcap"
t_eq "two files: exit 2" 2 "$rc"
t_check "usage on stderr" grep -q '^Usage: mosreplay' "$work/twofiles.err"
run missing "$work/nonexistent.pcap"
t_eq "missing file: exit 1" 1 "$rc"
t_check "missing file: libpcap's message" grep -q "^mosreplay: $work/nonexistent.pcap: " "$work/missing.err"
run wlan "$work/wlan.pcap"
t_eq "unsupported link type: exit 1" 1 "$rc"
t_check "unsupported link type: said so" grep -q 'unsupported link type 105' "$work/wlan.err"
run overlap-ok --overlap last --midstream --quiet "$work/v4.pcap"
t_eq "--overlap last --midstream: exit 0" 0 "$rc"

ktap_end
