#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mosapi_conf.sh - mOS's semantics, offline: selftests/lib/mosapi_conf (an
# mOS application against mOS's headers only, ASan build) on crafted
# captures (conf_pcaps.py) through libmosuser's offline backend; and the
# samples midstat and simple_firewall on a capture of IPv4 and IPv6 flows
#
#   conf_pcaps.py -> fin.pcap, idle.pcap, timer.pcap
#     -> mosapi_conf with MOS_PCAP=FILE: one line per callback
#     -> compared with the sequences mOS gives, written out below
#
# The expected sequences come from mOS's behaviour (its core: the
# callbacks of one packet run at the sender's hook MOS_HK_SND first, then
# at the receiver's MOS_HK_RCV; at one hook, the built-in events in the
# order of their bits, MOS_ON_CONN_START before MOS_ON_TCP_STATE_CHANGE
# before MOS_ON_CONN_END; a flow's streams are destroyed at once when
# both sides are closed or in TIME_WAIT (tcp_tw_interval 0), the
# receiver of the last packet's first, and each destroyed side raises
# MOS_ON_TCP_STATE_CHANGE and MOS_ON_CONN_END at MOS_HK_RCV, then at
# MOS_HK_SND; user-defined events run after their parent's callback,
# a raised one after the callback that raised it), and from the capture
# itself (packet times, bytes).
#
# Usage: selftests/unit/mosapi_conf.sh

. "$(dirname "$0")/../lib/lib.sh"

CONF=$PROJ/build/selftests/mosapi_conf
MIDSTAT=$PROJ/build/selftests/midstat-san
FW=$PROJ/build/selftests/simple_firewall-san
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset MOS_PCAP MOS_PCAP_CHECKSUM
export LC_ALL=C

work=$(mktemp -d)
defer rm -rf "$work"

ktap_begin
for b in "$CONF" "$MIDSTAT" "$FW"; do
	if [ ! -x "$b" ]; then
		t_fail "binaries" "$b missing (make user)"
		ktap_end
	fi
done
scapy_python
"$PY" "$SELFTESTS/lib/conf_pcaps.py" "$work/cap" || exit 1
cap=$work/cap
# mOS's idle timeout, 30 s (its default), as mos.conf says it
printf 'tcp_timeout = 30\n' >"$work/mos.conf"

A=10.1.0.1:42001\>10.2.0.1:80
B=[fd01::1]:42002\>[fd02::1]:80
Cf=10.1.0.1:42003\>10.2.0.1:80
D=10.1.0.3:42004\>10.2.0.1:80
E=10.1.0.4:42005\>10.2.0.1:80
F=10.1.0.5:42006\>10.2.0.1:80

# conf NAME PCAP ARG...: mosapi_conf on PCAP; $work/NAME.out, .err, $rc
conf() {
	local name=$1 pcap=$2
	shift 2
	MOS_PCAP=$cap/$pcap "$CONF" -f "$work/mos.conf" "$@" \
		>"$work/$name.out" 2>"$work/$name.err"
	rc=$?
}

# cbseq NAME FLOW [FIELD...]: FLOW's callbacks in NAME's output, "EVENT HOOK
# SIDE", a STATE_CHANGE's with ":STATE" (the new state of its side), and
# the FIELDs asked for (key=value), joined with |
cbseq() {
	"$PY" - "$work/$1.out" "$2" "${@:3}" <<'PYEOF'
import sys
path, flow, fields = sys.argv[1], sys.argv[2], sys.argv[3:]
out = []
for line in open(path):
    w = line.split()
    if len(w) < 5 or w[4] != flow or w[1] == "TIMER":
        continue
    kv = dict(x.split("=", 1) for x in w[5:] if "=" in x)
    s = " ".join(w[1:4])
    if w[1] == "STATE_CHANGE":
        st = kv["st"].split("/")
        s += ":" + st[0 if w[3] == "cli" else 1]
    s += "".join(" %s=%s" % (f, kv.get(f, "-")) for f in fields)
    out.append(s)
print("|".join(out))
PYEOF
}

# flows NAME: the flows NAME's output has lines for, sorted, joined with |
flows() {
	awk 'NF > 4 && $1 ~ /^C[0-9]+$/ { print $5 }' "$work/$1.out" | sort -u | paste -sd'|'
}

# pkt_us PCAP N...: the time of the capture's packets N... (from 0) from
# its first, in microseconds, as the file says
pkt_us() {
	"$PY" - "$cap/$1" "${@:2}" <<'PYEOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
le = b[:4] == b"\xd4\xc3\xb2\xa1"
e = "<" if le else ">"
off, ts = 24, []
while off + 16 <= len(b):
    s, us, incl, _ = struct.unpack(e + "IIII", b[off:off + 16])
    ts.append(s * 1000000 + us)
    off += 16 + incl
print(" ".join(str(ts[int(n)] - ts[0]) for n in sys.argv[2:]))
PYEOF
}

# near A B: A and B within 1 ms of each other
near() {
	[ "$1" -ge $(($2 - 1000)) ] && [ "$1" -le $(($2 + 1000)) ]
}

# --- registration: every event at every hook, then NULL deregisters ----

conf reg fin.pcap -r -e CONN_START
t_eq "registration: exits 0" 0 "$rc"
exp_reg='' exp_unreg=''
for ev in PKT_IN PKT_OUT CONN_START CONN_SETUP NEW_DATA ERROR TIMEOUT \
	STATE_CHANGE ORPHAN REXMIT CONN_END DEBUG_MESSAGE; do
	for hk in NULL SND RCV; do
		# mOS refuses at MOS_NULL the events of a side, at a side's
		# hook those of no side (stream data, orphans, errors)
		r=ok
		case "$hk:$ev" in
		NULL:CONN_START | NULL:REXMIT | NULL:STATE_CHANGE | NULL:CONN_END) r=EINVAL ;;
		SND:NEW_DATA | SND:ORPHAN | SND:ERROR | RCV:NEW_DATA | RCV:ORPHAN | RCV:ERROR) r=EINVAL ;;
		esac
		exp_reg+="REG $ev $hk $r|"
		[ $r = ok ] && exp_unreg+="UNREG $ev $hk ok|"
	done
done
t_eq "registration: what mOS accepts, EINVAL for what it refuses" \
	"$exp_reg" "$(grep '^REG ' "$work/reg.out" | tr '\n' '|')"
t_eq "registration: a NULL callback deregisters" \
	"$exp_unreg" "$(grep '^UNREG ' "$work/reg.out" | tr '\n' '|')"

# --- the callbacks of a normal close, a reset, per hook and side -------

conf seq fin.pcap -d unspec -e CONN_START,CONN_SETUP,STATE_CHANGE,CONN_END
t_eq "sequence: exits 0" 0 "$rc"
t_no_sanitizer "sequence" "$work/seq.err"
open='CONN_START SND cli|STATE_CHANGE SND cli:SYN_SENT|CONN_START RCV svr|STATE_CHANGE RCV svr:SYN_RCVD|CONN_SETUP RCV cli|STATE_CHANGE RCV cli:ESTABLISHED|CONN_SETUP RCV svr|STATE_CHANGE RCV svr:ESTABLISHED'
# destroyed: the server's side first (it received the last packet)
ends='STATE_CHANGE RCV svr:CLOSED|CONN_END RCV svr|STATE_CHANGE SND svr:CLOSED|CONN_END SND svr|STATE_CHANGE RCV cli:CLOSED|CONN_END RCV cli|STATE_CHANGE SND cli:CLOSED|CONN_END SND cli'
close4='STATE_CHANGE SND cli:FIN_WAIT_1|STATE_CHANGE RCV svr:CLOSE_WAIT|STATE_CHANGE RCV cli:FIN_WAIT_2|STATE_CHANGE SND svr:LAST_ACK|STATE_CHANGE RCV cli:TIME_WAIT|STATE_CHANGE RCV svr:CLOSED'
t_eq "IPv4 normal close: open, close, both sides destroyed at both hooks" \
	"$open|$close4|$ends" "$(cbseq seq "$A")"
t_eq "IPv6 normal close: the same" "$open|$close4|$ends" "$(cbseq seq "$B")"
t_eq "reset by the client: both sides closed, destroyed at both hooks" \
	"$open|STATE_CHANGE SND cli:CLOSED|STATE_CHANGE RCV svr:CLOSED|$ends" \
	"$(cbseq seq "$Cf")"
t_eq "uctx: set at the flow's first callback, the same at every later one" \
	"u=new $(printf 'u=ok %.0s' $(seq 2 "$(grep -c " $A " "$work/seq.out")"))" \
	"$(awk -v f="$A" '$5 == f { for (i = 6; i <= NF; i++) if ($i ~ /^u=/) printf "%s ", $i }' "$work/seq.out")"

# CONN_END: at once (tcp_tw_interval 0), at the last ACK or the RST; the
# times from the flow's CONN_START at its SYN
conf end fin.pcap -e CONN_START,CONN_END
ends_of() {
	cbseq end "$1" "${@:2}" | tr '|' '\n' | grep '^CONN_END' | paste -sd'|'
}
fourends='CONN_END RCV svr|CONN_END SND svr|CONN_END RCV cli|CONN_END SND cli'
t_eq "CONN_END, normal close: each side at both hooks" "$fourends" "$(ends_of "$A")"
t_eq "CONN_END, reset: each side at both hooks" "$fourends" "$(ends_of "$Cf")"
# A is packets 0-10 of the capture: SYN, SYN-ACK, ACK, data, ACK, data,
# ACK, FIN, ACK, FIN, last ACK; C packets 22-27, its RST the last
read -r lastA rstC <<<"$(pkt_us fin.pcap 10 27)"
read -r synC <<<"$(pkt_us fin.pcap 22)"
rstC=$((rstC - synC))
dtA=$(ends_of "$A" dt | tr '|' '\n' | sed 's/.*dt=//' | sort -u | paste -sd' ')
dtC=$(ends_of "$Cf" dt | tr '|' '\n' | sed 's/.*dt=//' | sort -u | paste -sd' ')
t_check "CONN_END at the last ACK ($lastA us after the SYN), all four: dt $dtA" \
	eval '[ "${dtA//[0-9]/}" = "" ] && near "$dtA" "$lastA"'
t_check "CONN_END at the RST ($rstC us after the SYN), all four: dt $dtC" \
	eval '[ "${dtC//[0-9]/}" = "" ] && near "$dtC" "$rstC"'

# --- idle timeout (tcp_timeout 30 s): ended before the next flow -------

conf idle idle.pcap -e CONN_START,CONN_END
t_eq "idle: exits 0" 0 "$rc"
t_eq "idle: the idle flow's both sides end at both hooks, on the timeout (before the next flow starts)" \
	"$D CONN_END RCV cli|$D CONN_END RCV svr|$D CONN_END SND cli|$D CONN_END SND svr" \
	"$(awk -v f="$E" '$5 == f { exit } $2 == "CONN_END" { print $5, $2, $3, $4 }' "$work/idle.out" | sort | paste -sd'|')"
t_eq "idle: the next flow as any normal close" \
	"CONN_START SND cli|CONN_START RCV svr|$fourends" "$(cbseq idle "$E")"

# --- units: stream bytes, buffer offsets, fragments, time --------------

conf data fin.pcap -e CONN_START,NEW_DATA
fnv() {
	"$PY" -c 'import sys
h = 2166136261
for c in sys.argv[1].encode():
    h = ((h ^ c) * 16777619) & 0xffffffff
print("%08x" % h)' "$1"
}
t_eq "NEW_DATA: each side's bytes peeked, read again by mtcp_ppeek at their offset, tcp_buf_info as stream offsets, one fragment" \
	"NEW_DATA NULL svr data=5:$(fnv hello) pp=5:$(fnv hello) bi=5/5/5 frag=1|NEW_DATA NULL cli data=6:$(fnv world!) pp=6:$(fnv world!) bi=6/6/6 frag=1" \
	"$(cbseq data "$A" data pp bi frag | tr '|' '\n' | grep NEW_DATA | paste -sd'|')"
read -r t3 t5 <<<"$(pkt_us fin.pcap 3 5)"
# the NEW_DATA lines' dt and mts, from the flow's CONN_START at its SYN
read -r d3 m3 d5 m5 <<<"$(cbseq data "$A" dt mts | tr '|' '\n' | grep NEW_DATA |
	sed 's/.* dt=\([^ ]*\) mts=\(.*\)/\1 \2/' | tr '\n' ' ')"
t_check "mtcp_cb_get_ts in microseconds: the packets' times from the SYN ($d3 $d5 for $t3 $t5)" \
	eval 'near "$d3" "$t3" && near "$d5" "$t5"'
t_check "MOS_TIMESTAMP (the last activity) in microseconds ($m3 $m5)" \
	eval 'near "$m3" "$t3" && near "$m5" "$t5"'

conf pkt fin.pcap -d unspec -p -e PKT_IN
# pkt=ETH/IP/PAYLOAD/OFFSET/FLAGS: mOS's eth_len is the frame's length,
# its Ethernet header (14 bytes, synthesised here) and the IP packet
t_eq "getlastpkt, IPv4: the frame's and the IP packet's lengths, the payload and its offset" \
	"PKT_IN SND cli pkt=58/44/0/0/S|PKT_IN RCV svr pkt=58/44/0/0/S|PKT_IN SND svr pkt=58/44/0/0/SA|PKT_IN RCV cli pkt=58/44/0/0/SA|PKT_IN SND cli pkt=54/40/0/0/A|PKT_IN RCV svr pkt=54/40/0/0/A|PKT_IN SND cli pkt=59/45/5/0/PA|PKT_IN RCV svr pkt=59/45/5/0/PA" \
	"$(cbseq pkt "$A" pkt | cut -d'|' -f1-8)"
t_eq "getlastpkt, IPv6: the same from the IPv6 header" \
	"PKT_IN SND cli pkt=78/64/0/0/S|PKT_IN RCV svr pkt=78/64/0/0/S|PKT_IN SND svr pkt=78/64/0/0/SA|PKT_IN RCV cli pkt=78/64/0/0/SA|PKT_IN SND cli pkt=74/60/0/0/A|PKT_IN RCV svr pkt=74/60/0/0/A|PKT_IN SND cli pkt=79/65/5/0/PA|PKT_IN RCV svr pkt=79/65/5/0/PA" \
	"$(cbseq pkt "$B" pkt | cut -d'|' -f1-8)"

conf timer timer.pcap -t 1500 -e CONN_SETUP,NEW_DATA
t_eq "timer: fires in the 2 s of silence, between the handshake and the data" \
	"CONN_SETUP RCV cli|CONN_SETUP RCV svr|TIMER|NEW_DATA NULL svr" \
	"$(awk -v f="$F" '$5 == f { print ($2 == "TIMER" ? "TIMER" : $2 " " $3 " " $4) }' "$work/timer.out" | paste -sd'|')"
tdt=$(awk '$2 == "TIMER" { print substr($6, 4) }' "$work/timer.out")
t_check "timer: 1.5 s after it was set, in microseconds ($tdt)" near "${tdt:-0}" 1500000

# --- socket options, filters, actions ------------------------------------

conf noclibuf fin.pcap -z -e CONN_START,NEW_DATA
t_eq "per-flow MOS_CLIBUF 0 at the flow's start: the client side has no stream, the server's has" \
	"CONN_START SND cli u=new|CONN_START RCV svr u=ok|NEW_DATA NULL svr u=ok" \
	"$(cbseq noclibuf "$A" u)"
conf stop fin.pcap -s -e CONN_SETUP,STATE_CHANGE,CONN_END
# after the stop (the order within its packet is the sequences' above)
after=$(cbseq stop "$A" stop | tr '|' '\n' | sed -n '/stop=0/,$p' | tail -n +2 |
	sed 's/ stop=-//' | grep -v ':ESTABLISHED$')
t_eq "MOS_STOP_MON of the client side at the server's CONN_SETUP: no callback of that side after it" \
	"" "$(echo "$after" | grep ' cli' | paste -sd'|')"
t_eq "... the server side's, to its end" \
	"STATE_CHANGE RCV svr:CLOSE_WAIT|STATE_CHANGE SND svr:LAST_ACK|STATE_CHANGE RCV svr:CLOSED|STATE_CHANGE RCV svr:CLOSED|CONN_END RCV svr|STATE_CHANGE SND svr:CLOSED|CONN_END SND svr" \
	"$(echo "$after" | grep ' svr' | paste -sd'|')"
conf filter fin.pcap -d unspec -F "tcp port 42003" -e CONN_START
t_eq "mtcp_bind_monitor_filter: the SYN filter chooses the flows" "$Cf" "$(flows filter)"
conf reset fin.pcap -R -D -e CONN_SETUP
t_eq "mtcp_reset_conn and MOS_DROP offline: EOPNOTSUPP (a capture has no connection to act on)" \
	"CONN_SETUP RCV cli reset=- drop=-|CONN_SETUP RCV svr reset=EOPNOTSUPP drop=EOPNOTSUPP" \
	"$(cbseq reset "$A" reset drop)"

# --- user-defined events -------------------------------------------------

conf ude fin.pcap -u -e CONN_SETUP,NEW_DATA
t_eq "UDE: ids above the built-in events, the same definition the same id, alloc gives new ids" \
	"UDE above=yes dedup=same distinct=yes" "$(head -n1 "$work/ude.out")"
t_eq "UDE: a raised event after the callback that raised it; a filtered one after its parent's, with its id and a copy of its argument" \
	"CONN_SETUP RCV cli raise=0 ev=- arg=-|U2 RCV cli raise=- ev=U2 arg=NULL|CONN_SETUP RCV svr raise=0 ev=- arg=-|U2 RCV svr raise=- ev=U2 arg=NULL|NEW_DATA NULL svr raise=- ev=- arg=-|U1 NULL svr raise=- ev=U1 arg=u1-arg|NEW_DATA NULL cli raise=- ev=- arg=-|U1 NULL cli raise=- ev=U1 arg=u1-arg" \
	"$(cbseq ude "$A" raise ev arg)"

# --- address families of the monitor socket ------------------------------

for d in inet:"$A|$Cf" inet6:"$B" unspec:"$A|$Cf|$B"; do
	conf fam fin.pcap -d "${d%%:*}" -e CONN_START
	t_eq "mtcp_socket(AF_${d%%:*}): the flows of that family" \
		"$(echo "${d#*:}" | tr '|' '\n' | sort | paste -sd'|')" "$(flows fam)"
done

# --- two contexts: each flow in one, the same callbacks ------------------

conf one fin.pcap -d unspec
conf two fin.pcap -d unspec -c 2
t_eq "two contexts: exit 0" 0 "$rc"
t_eq "two contexts: ready" "mosapi_conf: 2 contexts, ready" "$(cat "$work/two.err")"
log "flows per context: $(awk 'NF > 4 && $1 ~ /^C/ { print $1, $5 }' "$work/two.out" | sort -u | tr '\n' ' ')"
all=$(printf '%s\n' "$A" "$B" "$Cf" | sort | paste -sd'|')
t_eq "two contexts: every flow" "$all" "$(flows two)"
t_eq "two contexts: each flow in exactly one context" "$all" \
	"$(awk 'NF > 4 && $1 ~ /^C/ { print $1, $5 }' "$work/two.out" | sort -u | awk '{ print $2 }' | sort | paste -sd'|')"
same=yes
for f in "$A" "$B" "$Cf"; do
	[ -n "$(cbseq one "$f")" ] &&
		[ "$(cbseq one "$f" data bi frag u dt)" = "$(cbseq two "$f" data bi frag u dt)" ] ||
		same="no: $f"
done
t_eq "two contexts: each flow's callbacks as with one" yes "$same"

# --- the samples on IPv4 and IPv6 flows ----------------------------------

MOS_PCAP=$cap/fin.pcap "$MIDSTAT" -i >"$work/ms.out" 2>"$work/ms.err"
t_eq "midstat, offline: exits 0" 0 "$?"
t_no_sanitizer "midstat, offline" "$work/ms.err"
t_eq "midstat, offline: nothing on stderr but the start" \
	"midstat: $(nproc) contexts, ready" "$(cat "$work/ms.err")"
printf 'DROP 10.1.0.0/24 10.2.0.0/16 dport:80\n' >"$work/fw.conf"
MOS_PCAP=$cap/fin.pcap "$FW" -f "$work/fw.conf" >"$work/fw.out" 2>"$work/fw.err"
t_eq "simple_firewall, offline: exits 0" 0 "$?"
t_no_sanitizer "simple_firewall, offline" "$work/fw.err"
t_eq "simple_firewall, offline: the IPv4 flows only (MOS_DROP cannot act on a capture)" \
	"drop 10.1.0.1:42001 > 10.2.0.1:80 (rule 1) failed: Operation not supported|drop 10.1.0.1:42003 > 10.2.0.1:80 (rule 1) failed: Operation not supported" \
	"$(grep -E '^(drop|accept|reset) ' "$work/fw.out" | sort | paste -sd'|')"

ktap_end
