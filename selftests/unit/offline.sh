#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# offline.sh - samples/flowstats and samples/httplog (ASan builds) on
# captures, through libmosuser's offline backend (MOS_PCAP), on the host
#
#   captures built with scapy (craft_pcaps.py, offline_pcaps.py)
#     -> flowstats-san, httplog-san with MOS_PCAP=FILE: exact lines
#     -> mosreplay-san on the same files: what flowstats must print,
#        derived from its events
#
# Flows that end with the capture (both sides' CONN_END by the flush,
# or a TIME_WAIT side's) end in the order of the flow table, whose hash
# key is random: those lines are compared sorted.
#
# Usage: selftests/unit/offline.sh

. "$(dirname "$0")/../lib/lib.sh"

FS=$PROJ/build/selftests/flowstats-san
HL=$PROJ/build/selftests/httplog-san
MR=$PROJ/build/bin/mosreplay-san
EV=$PROJ/build/selftests/evtrace
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset MOS_PCAP MOS_PCAP_CHECKSUM
# sort as python sorts
export LC_ALL=C

work=$(mktemp -d)
defer rm -rf "$work"

ktap_begin
for b in "$FS" "$HL" "$MR" "$EV"; do
	if [ ! -x "$b" ]; then
		t_fail "binaries" "$b missing (make user)"
		ktap_end
	fi
done
scapy_python
"$PY" "$SELFTESTS/lib/craft_pcaps.py" "$work/craft" >/dev/null || exit 1
"$PY" "$SELFTESTS/lib/offline_pcaps.py" "$work/cap" || exit 1
cap=$work/cap

# run NAME BIN [VAR=VALUE...] [-- ARG...]: BIN with the variables set;
# $work/NAME.out, $work/NAME.err, $rc
run() {
	local name=$1 bin=$2 vars=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	env "${vars[@]}" "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
}

# sorted NAME: the output's lines, sorted, joined with |
sorted() {
	sort "$work/$1.out" | paste -sd'|'
}

# expect_from_mosreplay FILE [MOSREPLAY-ARG...]: the lines flowstats must
# print for FILE, from mosreplay's events, sorted and joined with |
expect_from_mosreplay() {
	local f=$1
	shift
	"$MR" --flush "$@" "$f" 2>/dev/null | "$PY" -c '
import re, sys
st, out = {}, []
for l in sys.stdin:
    w = l.split()
    if len(w) < 6 or not w[5].startswith("id="):
        continue
    hook, side, ev, fid = w[2], w[3], w[4], w[5]
    s = st.setdefault(fid, {"pkts": [0, 0], "rx": [0, 0], "bytes": [0, 0],
                            "missed": [0, 0], "ended": 0, "flow": w[6]})
    i = 1 if side == "svr" else 0
    kv = dict(x.split("=", 1) for x in w[7:] if "=" in x)
    if hook == "SND" and ev == "PKT_IN":
        s["pkts"][i] += 1
    elif hook == "SND" and ev == "REXMIT":
        s["rx"][i] += 1
    elif ev == "NEW_DATA":
        s["bytes"][i] += int(kv["len"])
    elif ev == "ERROR" and kv.get("err") == "gap":
        s["missed"][i] += int(kv["len"])
        s["bytes"][i] -= int(kv["len"])
    elif ev == "CONN_END":
        s["ended"] += 1
        if s["ended"] == 2:
            c, v = s["flow"].split(">")
            line = "flow %s > %s pkts %d/%d rexmit %d/%d bytes %d/%d" % (
                c, v, s["pkts"][0], s["pkts"][1], s["rx"][0], s["rx"][1],
                s["bytes"][1], s["bytes"][0])
            if any(s["missed"]):
                line += " missed %d/%d" % (s["missed"][1], s["missed"][0])
            out.append(line)
print("|".join(sorted(out)))
'
}

# --- flowstats: a transfer with a retransmission, and IPv6 -----------------

XFER4="flow 10.1.0.1:41000 > 10.2.0.1:9000 pkts 106/17 rexmit 1/0 bytes 100000/5000"
XFER6="flow [fd01::1]:41001 > [fd02::1]:9000 pkts 6/4 rexmit 0/0 bytes 1/1"
run xfer "$FS" MOS_PCAP="$cap/xfer.pcap"
t_eq "xfer: flowstats exits 0 at the end of the capture" 0 "$rc"
t_eq "xfer: 100000 bytes up, 5000 down, one retransmission; IPv6 1/1" \
	"$XFER4|$XFER6" "$(sorted xfer)"
t_eq "xfer: mosreplay's events say the same" "$(sorted xfer)" \
	"$(expect_from_mosreplay "$cap/xfer.pcap")"
t_eq "xfer: nothing on stderr but the start" "flowstats: ready" \
	"$(cat "$work/xfer.err")"

# --- checksum modes: a capture of checksum offload (every checksum 0) -------

run offload "$FS" MOS_PCAP="$cap/offload.pcap"
t_eq "offload, auto: not verified, the flow is whole" "$XFER4" "$(sorted offload)"
run offload-ignore "$FS" MOS_PCAP="$cap/offload.pcap" MOS_PCAP_CHECKSUM=ignore
t_eq "offload, ignore: the same" "$XFER4" "$(sorted offload-ignore)"
run offload-verify "$FS" MOS_PCAP="$cap/offload.pcap" MOS_PCAP_CHECKSUM=verify
t_eq "offload, verify: every segment is bad, no flow" "0 " \
	"$rc $(sorted offload-verify)"
t_eq "offload, verify: as mosreplay --checksum verify" "" \
	"$(expect_from_mosreplay "$cap/offload.pcap" --checksum verify)"
run csum-ignore "$FS" MOS_PCAP="$work/craft/bad_csum.pcap" MOS_PCAP_CHECKSUM=ignore
t_eq "one bad checksum, ignore: as mosreplay --checksum ignore" \
	"$(expect_from_mosreplay "$work/craft/bad_csum.pcap" --checksum ignore)" \
	"$(sorted csum-ignore)"

# --- flows still open when the capture ends ---------------------------------

run open "$FS" MOS_PCAP="$cap/open.pcap"
t_eq "open at the end: both flows end with the capture" \
	"flow 10.1.0.1:41002 > 10.2.0.1:9000 pkts 6/3 rexmit 0/0 bytes 3000/700|flow 10.1.0.1:41003 > 10.2.0.1:9000 pkts 4/2 rexmit 0/0 bytes 500/0" \
	"$(sorted open)"
t_eq "open at the end: mosreplay --flush ends their four sides" 4 \
	"$("$MR" --flush "$cap/open.pcap" | grep -c 'CONN_END .*reason=flush')"

# --- httplog: whole, split, pipelined, IPv6, retransmitted, out of order ----

run http "$HL" MOS_PCAP="$cap/http.pcap"
t_eq "httplog exits 0 at the end of the capture" 0 "$rc"
t_eq "httplog: every request once, in order, with its client" \
	"10.1.0.1:42001 GET one.test /a/b?x=1|10.1.0.1:42002 GET split.test /split/path|10.1.0.1:42003 POST pipe.test /p1|10.1.0.1:42003 GET pipe.test /p2|fd01::1:42004 HEAD - /|10.1.0.1:42005 GET rx.test /again|10.1.0.1:42006 GET ooo.test /ooo|10.1.0.1:42007 GET open.test /open" \
	"$(paste -sd'|' "$work/http.out")"
t_eq "httplog: nothing on stderr but the start" "httplog: ready" \
	"$(cat "$work/http.err")"
run http-fs "$FS" MOS_PCAP="$cap/http.pcap"
t_eq "http: flowstats as mosreplay's events say" \
	"$(expect_from_mosreplay "$cap/http.pcap")" "$(sorted http-fs)"
t_eq "http: seven flows" 7 "$(wc -l <"$work/http-fs.out")"

# --- the crafted captures: as mosreplay, and the known stream bytes ---------

for f in "$work"/craft/*.pcap; do
	c=$(basename "$f" .pcap)
	run "craft-$c" "$FS" MOS_PCAP="$f"
	# bytes each way: the sizes of the streams the case expects
	want=$(expect_from_mosreplay "$f")
	sizes=$(grep -v '^#' "$work/craft/$c.conns" | while read -r k _; do
		echo "$(stat -c %s "$work/craft/$c.$k.c2s")/$(stat -c %s "$work/craft/$c.$k.s2c")"
	done | sort | paste -sd' ')
	got_sizes=$(sed 's/.* bytes \([0-9/]*\).*/\1/' "$work/craft-$c.out" | sort | paste -sd' ')
	t_eq "$c: flowstats as mosreplay's events say" "$want" "$(sorted "craft-$c")"
	t_eq "$c: the bytes each way the case expects" "$sizes" "$got_sizes"
done
t_no_sanitizer "crafted captures" <(cat "$work"/craft-*.err)

# mtcp_getlastpkt() past IPv6 extension headers: hop-by-hop and
# destination options before TCP on every packet.  The packets each
# side sends (at SND) and their payload: SYN, SYN-ACK, ACK, the data,
# its ACKs, the FINs.
run ext6 "$EV" MOS_PCAP="$work/craft/ipv6_ext.pcap"
t_eq "ipv6_ext: mtcp_getlastpkt finds TCP after the extension headers" \
	"S/0 SA/0 5000 0" \
	"$(awk '$2 == "SND" && $4 ~ /^PKT_IN:/ { split(substr($4, 8), a, "/"); n++
		if (n <= 2) printf "%s ", substr($4, 8); bytes += a[2]; if (a[1] == "?") bad++ }
		END { print bytes, bad + 0 }' "$work/ext6.out")"
t_eq "ipv6_ext: MOS_INFO, MOS_FRAGINFO after each NEW_DATA as the ISNs and bytes say, both sides" \
	"0 2" "$(grep -c 'INFO:bad' "$work/ext6.out") $(awk '$4 ~ /^INFO:[1-9][0-9]*$/' "$work/ext6.out" | wc -l)"

# --- overlap policy and SYN filter, through the mOS API ------------------------

# The crafted overlap cases' streams: FIRST or LAST when the monitor
# socket asks for it (-o) or each flow does at its first event (-f)
for c in overlap_fill overlap_ooo; do
	for mode in first o-last f-last; do
		d=$work/ov-$c-$mode
		mkdir -p "$d"
		case $mode in
		first) args=(-o first) ;;
		o-last) args=(-o last) ;;
		f-last) args=(-f last) ;;
		esac
		run "ov-$c-$mode" "$EV" MOS_PCAP="$work/craft/$c.pcap" -- -d "$d" "${args[@]}"
		sfx=${mode#?-}
		[ "$sfx" = last ] && sfx=.last || sfx=
		t_check "$c, $mode: what the server received" \
			cmp "$d/80.svr" "$work/craft/$c.0$sfx.c2s"
		t_check "$c, $mode: what the client received" \
			cmp "$d/80.cli" "$work/craft/$c.0$sfx.s2c"
	done
	t_eq "$c, f-last: set once, on the flow's first event" \
		"80 NULL cli OVERLAP:last" \
		"$(grep OVERLAP "$work/ov-$c-f-last.out" | paste -sd'|')"
done
run ov-bad "$EV" MOS_PCAP="$work/craft/overlap_fill.pcap" -- -o sideways
t_eq "evtrace -o sideways: usage error" 2 "$rc"

# A SYN filter: only the IPv6 flow of xfer.pcap (1 byte each way)
mkdir -p "$work/flt"
run flt "$EV" MOS_PCAP="$cap/xfer.pcap" -- -d "$work/flt" -F ip6
t_eq "SYN filter 'ip6': only the IPv6 flow's bytes" "c s" \
	"$(cat "$work/flt/9000.svr") $(cat "$work/flt/9000.cli")"
t_eq "SYN filter 'ip6': one CONN_START per side" 2 \
	"$(grep -c ' CONN_START$' "$work/flt.out")"
run flt-bad "$EV" MOS_PCAP="$cap/xfer.pcap" -- -F 'tcp port'
t_eq "a filter that does not compile: exit 1 with libpcap's syntax error" \
	"1 1" "$rc $(grep -c '^evtrace: filter: .*syntax error' "$work/flt-bad.err")"

# Two contexts (num_cores 2) share the flows of http.pcap: each flow's
# streams in exactly one of them, together those of one context alone
for sp in all 2/0 2/1; do
	mkdir -p "$work/split-${sp/\//-}"
	args=()
	[ "$sp" = all ] || args=(-s "$sp")
	run "split-${sp/\//-}" "$EV" MOS_PCAP="$cap/http.pcap" -- -c -d "$work/split-${sp/\//-}" "${args[@]}"
done
files() {
	(cd "$work/$1" && ls | sort)
}
t_eq "split: the two shares hold no flow in common" "" \
	"$(comm -12 <(files split-2-0) <(files split-2-1))"
t_eq "split: together, every flow's streams of one context" "$(files split-all)" \
	"$(sort <(files split-2-0) <(files split-2-1))"
t_eq "split: both shares have flows" "1 1" \
	"$(files split-2-0 | grep -c . | sed 's/[1-9][0-9]*/1/') $(files split-2-1 | grep -c . | sed 's/[1-9][0-9]*/1/')"
for f in $(files split-all); do
	cmp -s "$work/split-all/$f" "$work/split-2-0/$f" ||
		cmp -s "$work/split-all/$f" "$work/split-2-1/$f" || echo "$f"
done >"$work/split-diff"
t_eq "split: the same bytes in the share that has the flow" "" "$(cat "$work/split-diff")"

# --- where the capture comes from ---------------------------------------------

run stdin "$FS" MOS_PCAP=- MOS_PCAP_CHECKSUM=verify <"$cap/xfer.pcap"
t_eq "standard input (checksums verified)" "$XFER4|$XFER6" "$(sorted stdin)"
printf '# offline\npcap_file = %s\npcap_checksum = ignore\n' "$cap/offload.pcap" >"$work/conf"
run conf "$FS" -- -f "$work/conf"
t_eq "pcap_file in the configuration file" "$XFER4" "$(sorted conf)"
run conf-env "$FS" MOS_PCAP="$cap/xfer.pcap" -- -f "$work/conf"
t_eq "MOS_PCAP wins over the configuration file" "$XFER4|$XFER6" "$(sorted conf-env)"

# --- errors -----------------------------------------------------------------

# mtcp_init() reads the capture through libpcap: its errors come first
run missing "$FS" MOS_PCAP="$work/nonexistent.pcap"
t_eq "missing capture: exit 1, ENOENT, the file named" \
	"1 flowstats: mtcp_init: No such file or directory: $work/nonexistent.pcap: No such file or directory" \
	"$rc $(cat "$work/missing.err")"
run notcap "$FS" MOS_PCAP="$work/conf"
t_eq "not a capture: EINVAL, libpcap's words" \
	"1 flowstats: mtcp_init: Invalid argument: $work/conf: unknown file format" \
	"$rc $(cat "$work/notcap.err")"
run badmode "$FS" MOS_PCAP="$cap/xfer.pcap" MOS_PCAP_CHECKSUM=sometimes
t_eq "MOS_PCAP_CHECKSUM=sometimes: EINVAL" \
	"1 flowstats: mtcp_create_context: Invalid argument: checksum mode \"sometimes\" is not one of auto verify ignore" \
	"$rc $(cat "$work/badmode.err")"
run stdin-auto "$FS" MOS_PCAP=- <"$cap/xfer.pcap"
t_eq "standard input, auto checksums: ESPIPE" \
	"1 flowstats: mtcp_create_context: Illegal seek: -: the auto checksum policy reads the capture twice: with standard input, use verify or ignore" \
	"$rc $(cat "$work/stdin-auto.err")"
# Live capture (selftests/vm/pcap_live.sh captures): its settings
run both "$FS" MOS_PCAP="$cap/xfer.pcap" MOS_PCAP_IFACE=lo
t_eq "MOS_PCAP and MOS_PCAP_IFACE: EINVAL" \
	"1 flowstats: mtcp_init: Invalid argument: MOS_PCAP and MOS_PCAP_IFACE are both set: one source of packets" \
	"$rc $(cat "$work/both.err")"
printf 'pcap_file = %s\npcap_iface = lo\n' "$cap/xfer.pcap" >"$work/conf-both"
run conf-both "$FS" -- -f "$work/conf-both"
t_eq "pcap_file and pcap_iface: EINVAL" \
	"1 flowstats: mtcp_init: Invalid argument: pcap_file and pcap_iface are both set: one source of packets" \
	"$rc $(cat "$work/conf-both.err")"
run badcount "$FS" MOS_PCAP_IFACE=lo MOS_PCAP_COUNT=12x
t_eq "MOS_PCAP_COUNT=12x: EINVAL" \
	"1 flowstats: mtcp_init: Invalid argument: packet count \"12x\" is not a number" \
	"$rc $(cat "$work/badcount.err")"
# The ring's wake-up time: a number of ms from 0 to 1000, or EINVAL;
# offline it changes nothing
run badwake "$FS" MOS_PCAP="$cap/xfer.pcap" MOS_RING_WAKEUP_MS=5ms
t_eq "MOS_RING_WAKEUP_MS=5ms: EINVAL" \
	"1 flowstats: mtcp_init: Invalid argument: MOS_RING_WAKEUP_MS \"5ms\": milliseconds from 0 to 1000" \
	"$rc $(cat "$work/badwake.err")"
printf 'pcap_file = %s\nring_wakeup_ms = 1001\n' "$cap/xfer.pcap" >"$work/conf-wake"
run conf-wake "$FS" -- -f "$work/conf-wake"
t_eq "ring_wakeup_ms = 1001: EINVAL" \
	"1 flowstats: mtcp_init: Invalid argument: ring_wakeup_ms 1001: milliseconds from 0 to 1000" \
	"$rc $(cat "$work/conf-wake.err")"
run wake "$FS" MOS_PCAP="$cap/xfer.pcap" MOS_RING_WAKEUP_MS=1000
t_eq "MOS_RING_WAKEUP_MS=1000, offline: the same flows" "$XFER4|$XFER6" \
	"$(sorted wake)"
printf 'pcap_file = %s\npcap_iface = lo\n' "$cap/xfer.pcap" >"$work/conf-iface"
run env-file "$FS" MOS_PCAP="$cap/xfer.pcap" -- -f "$work/conf-iface"
t_eq "MOS_PCAP wins over a configuration file with both" "$XFER4|$XFER6" \
	"$(sorted env-file)"

t_no_sanitizer "all runs" <(cat "$work"/*.err)
ktap_end
