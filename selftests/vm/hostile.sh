#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostile.sh - crafted, malformed and hostile packets through the kernel's
# tracker: counted as what they are, no other flow's stream touched
#
#   +--------+        +------------------------------------+
#   | sender | a0 -- b0 | monitor (passive, rx checksums   |
#   |        |        |   verified by mos: rx offload off) |
#   |        |        |   evtrace -c (ASan build)          |
#   +--------+        +------------------------------------+
#
# The packets are made on the host (selftests/check runs craft_pcaps.py
# and hostile_pcaps.py into build/pcaps; scapy is slow to start in a TCG
# guest) and go out of the sender through selftests/lib/pcap_send.c (AF_PACKET)
# to b0.  The monitor routes nothing, so its stack drops them after the
# hooks and nothing answers.  Nothing expires while the test runs (every
# timeout is made long), so each capture's effect on the counters is the
# tracker's answer to its packets alone.
#
# For each capture of craft_pcaps.py and hostile_pcaps.py:
#   - the namespace's counters move as mosreplay (the userspace build of
#     the same tracker, checksums verified) counts the same capture:
#     packets that parse as TCP, parse errors, flows, bad checksums,
#     stream bytes each way, gaps, orphans;
#   - truncated.pcap: one parse error per packet, as the generator counts;
#   - ipbad.pcap: IP headers the kernel drops before any hook: mos sees
#     none, and the namespace's IP counters (InHdrErrors, InCsumErrors,
#     InTruncatedPkts) rise by what the generator says.
# Then every crafted connection's streams, as evtrace peeked them, must
# be the bytes its case expects: the clean connection of mixed.pcap among
# out-of-window RSTs, SYNs, bad-checksum copies with other bytes and
# garbage; frag.pcap's segments in IPv4 fragments, some reversed.
#
# MOS_HOSTILE_VERDICT=1 (hostile_verdict.sh): the monitor inline, with a
# consumer that holds every packet of a flow and accepts it (verdict_app
# accept, MOS_VERDICT=1) next to evtrace.  The same counters must move as
# mosreplay counts and the same streams come out: the tracker sees each
# packet as it came before it is held, and nothing here is one the inline
# mode drops for the tracker's sake (no rule, no store limit reached)
# other than what it cannot parse, which is a parse error either way
# (unparsed_drop counts those it dropped; the host drops them anyway).
# Then packets were held (held > 0), as many accepted by a verdict as the
# consumer's callback ran, none late, dropped, over the limit or released
# by the consumer's end, and nothing lost for lack of ring room.  A run of
# its own, not this one made inline: the captures also keep their passive
# run.

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/verdict_lib.sh"

A=hoa-$$ B=hob-$$
work=$(mktemp -d)
ev='' app=''
defer_teardown ev app
VERDICT=${MOS_HOSTILE_VERDICT:-0}

SEND=$PROJ/build/selftests/pcap_send
EV=$PROJ/build/selftests/evtrace
MR=$PROJ/build/bin/mosreplay
APP=$PROJ/build/selftests/verdict_app
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
DST=02:00:00:00:01:02		# b0 (link() below)

# stats: the monitor's counters, "name value" lines
stats() {
	"$MOSCTL" -n "$B" stats
}

# ipstats: the monitor namespace's IP counters, "Ip:InHdrErrors N" lines
ipstats() {
	ip netns exec "$B" cat /proc/net/snmp /proc/net/netstat | awk '
		$1 ~ /:$/ { if (!($1 in hdr)) { n = split($0, hdr_f); hdr[$1] = 1
			for (i = 2; i <= n; i++) name[$1, i] = hdr_f[i]; next }
			for (i = 2; i <= NF; i++) print substr($1, 1, length($1) - 1) ":" name[$1, i], $i }'
}

# delta BEFORE AFTER: the counters that moved, as mosreplay names them
# (awk, not python: the debug kernel's guest takes long to start python)
delta() {
	awk '
		NR == FNR { a[$1] = $2; next }
		{ b[$1] = $2 }
		END {
			printf "bytes_c2s=%d bytes_s2c=%d csum_bad=%d flows=%d gaps=%d orphans=%d parse_errors=%d tcp=%d ip6_opt_discard=%d ip6_hbh_not_first=%d ip6_rh_discard=%d\n",
				b["bytes_c2s"] - a["bytes_c2s"], b["bytes_s2c"] - a["bytes_s2c"],
				b["csum_bad"] - a["csum_bad"], b["flows"] - a["flows"],
				b["gaps"] - a["gaps"], b["orphans"] - a["orphans"],
				b["parse_errors"] - a["parse_errors"],
				b["tcp4"] + b["tcp6"] - a["tcp4"] - a["tcp6"],
				b["ip6_opt_discard"] - a["ip6_opt_discard"],
				b["ip6_hbh_not_first"] - a["ip6_hbh_not_first"],
				b["ip6_rh_discard"] - a["ip6_rh_discard"]
		}' <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# replayed FILE: what mosreplay counts for FILE, as delta() prints it
replayed() {
	"$MR" -q --overlap first --checksum verify "$1" | awk '
		{ for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) v[kv[1]] = kv[2] }
		END {
			printf "bytes_c2s=%d bytes_s2c=%d csum_bad=%d flows=%d gaps=%d orphans=%d parse_errors=%d tcp=%d ip6_opt_discard=%d ip6_hbh_not_first=%d ip6_rh_discard=%d\n",
				v["bytes_c2s"], v["bytes_s2c"], v["csum_bad"], v["flows"],
				v["gaps"], v["ORPHAN"], v["parse_errors"], v["tcp"],
				v["ip6_opt_discard"], v["ip6_hbh_not_first"],
				v["ip6_rh_discard"]
		}'
}

ktap_begin
for b in "$SEND" "$EV" "$MR" "$APP"; do
	[ -x "$b" ] || { t_fail "binaries" "$b missing (make user)"; ktap_end; }
done
replay_pcaps || exit 1
pc=$PCAPS
t_check "load mos.ko" mos_load
ns_new "$A" && ns_new "$B" && link_bare "$A" a0 1 "$B" b0 2 1 || exit 1
# mos verifies TCP checksums only when the device did not
t_check "b0 leaves checksums to the stack" ip netns exec "$B" ethtool -K b0 rx off
if [ "$VERDICT" = 1 ]; then
	t_check "enable the monitor, inline" "$MOSCTL" -n "$B" ns enable inline
	# A verdict is late only if the consumer is stuck
	t_check "verdicts: 10 s to answer" "$MOSCTL" -n "$B" set verdict-timeout 10000
else
	t_check "enable the monitor, passive" "$MOSCTL" -n "$B" ns enable passive
fi
# The crafted captures' streams are what FIRST makes of their overlaps
t_check "overlap first" "$MOSCTL" -n "$B" set overlap first
t_check "nothing expires during the test" mos_no_expiry "$B"
mkdir "$work/s"
ip netns exec "$B" "$EV" -c -d "$work/s" >"$work/ev.out" 2>"$work/ev.err" &
ev=$!
wait_ready "$work/ev.err" "$ev"
t_eq "evtrace started" "evtrace: ready" "$(cat "$work/ev.err")"
if [ "$VERDICT" = 1 ]; then
	MOS_VERDICT=1 ip netns exec "$B" "$APP" accept - >"$work/app.out" \
		2>"$work/app.err" &
	app=$!
	t_check "verdict_app accept in the monitor" wait_ready "$work/app.err" "$app"
fi

caps=()
for f in "$pc"/craft/*.pcap; do
	caps+=("$f")
done
for n in truncated flags random mixed frag ipbad; do
	caps+=("$pc/hostile/$n.pcap")
done
for f in "${caps[@]}"; do
	name=$(basename "$f" .pcap)
	before=$(stats)
	ipb=$(ipstats)
	out=$(ip netns exec "$A" "$SEND" a0 "$DST" "$f" 2>&1)
	if [ $? != 0 ]; then
		t_fail "$name: sent" "$out"
		continue
	fi
	mos_settle "$B" || t_fail "$name: the counters settle"
	after=$(stats)
	got=$(delta "$before" "$after")
	case $name in
	frag)
		# The capture reader does not reassemble: the kernel's
		# defragmentation gives the tracker whole segments
		t_eq "$name: the tracker sees whole segments (30000 bytes up, 3000 down)" \
			"bytes_c2s=30000 bytes_s2c=3000 csum_bad=0 flows=1 gaps=0 orphans=0 parse_errors=0 tcp=21 ip6_opt_discard=0 ip6_hbh_not_first=0 ip6_rh_discard=0" "$got"
		;;
	ipbad)
		t_eq "$name: mos sees none of them" \
			"bytes_c2s=0 bytes_s2c=0 csum_bad=0 flows=0 gaps=0 orphans=0 parse_errors=0 tcp=0 ip6_opt_discard=0 ip6_hbh_not_first=0 ip6_rh_discard=0" "$got"
		ipa=$(ipstats)
		while read -r k v; do
			b=$(awk -v k="$k" '$1 == k { print $2 }' <<<"$ipb")
			a=$(awk -v k="$k" '$1 == k { print $2 }' <<<"$ipa")
			t_eq "$name: $k rose by $v" "$v" "$((a - b))"
		done <"$pc/hostile/ipbad.expect"
		;;
	*)
		t_eq "$name: the counters move as mosreplay counts" "$(replayed "$f")" "$got"
		;;
	esac
	if [ "$name" = ipv6_opt_drop ]; then
		# craft_pcaps.py: two segments whose destination options Linux
		# discards (type 0x5e; 8 bytes of padding), one whose hop-by-hop
		# header comes second, one behind a segment routing header
		t_eq "$name: the tracker counts them and takes none (ip6_opt_discard ip6_hbh_not_first ip6_rh_discard)" \
			"ip6_opt_discard=2 ip6_hbh_not_first=1 ip6_rh_discard=1" \
			"$(grep -oE 'ip6_opt_discard=[0-9]+ ip6_hbh_not_first=[0-9]+ ip6_rh_discard=[0-9]+' <<<"$got")"
	fi
	if [ "$name" = truncated ]; then
		t_eq "$name: one parse error per packet" \
			"$(awk '{ print $2 }' "$pc/hostile/truncated.expect")" \
			"$(sed 's/.*parse_errors=\([0-9]*\).*/\1/' <<<"$got")"
	fi
done

kill -INT "$ev"
wait_pid "$ev" 60
t_eq "evtrace exits 0" 0 $?
ev=

# Every crafted connection's streams: DIR/CPORT-SPORT.svr is what the
# server received (c2s), .cli what the client received (s2c); connections
# on the same 4-tuple (port_reuse) follow each other in one file.  Prints
# "ok NAME" or "bad NAME: why" lines.
streams() {
	python3 - "$work/s" "$@" <<-'EOF'
	import os, sys
	got_dir = sys.argv[1]
	for conns in sys.argv[2:]:
	    d, name = os.path.dirname(conns), os.path.basename(conns)[:-6]
	    want = {}
	    for line in open(conns):
	        if line.startswith("#"):
	            continue
	        k, cip, cport, sip, sport = line.split()
	        for way, side in (("c2s", "svr"), ("s2c", "cli")):
	            data = open(os.path.join(d, "%s.%s.%s" % (name, k, way)), "rb").read()
	            key = "%s-%s.%s" % (cport, sport, side)
	            want[key] = want.get(key, b"") + data
	    for key, data in sorted(want.items()):
	        p = os.path.join(got_dir, key)
	        got = open(p, "rb").read() if os.path.exists(p) else b""
	        if got == data:
	            print("ok %s %s" % (name, key))
	        else:
	            print("bad %s %s: %d bytes, expected %d" % (name, key, len(got), len(data)))
	EOF
}
printf '0 10.1.0.9 52000 10.2.0.1 8001\n' >"$work/mixed.conns"
printf '0 10.1.0.10 52001 10.2.0.1 8002\n' >"$work/frag.conns"
for n in mixed frag; do
	ln -s "$pc/hostile/$n.0.c2s" "$work/$n.0.c2s"
	ln -s "$pc/hostile/$n.0.s2c" "$work/$n.0.s2c"
done
while read -r st name key rest; do
	if [ "$st" = ok ]; then
		t_ok "$name: the stream $key"
	else
		t_fail "$name: the stream ${key%:}" "$rest"
	fi
done < <(streams "$pc"/craft/*.conns "$work/mixed.conns" "$work/frag.conns")
# hole_end's first connection ends with an exact RST while bytes wait
# behind its hole the server never filled: one gap, of the hole and the
# bytes its server never acknowledged (1000 + 1000), after which the
# stream's next byte is not the one before the gap.  Its second
# connection does not end here (nothing expires): its bytes stay stored.
t_eq "no bytes missed but hole_end's, no INFO check failed but after its gap" \
	"40030-80 NULL svr MISSED:2000
40030-80 NULL svr INFO:bad:next_byte_expected" \
	"$(grep -E 'MISSED|INFO:bad' "$work/ev.out")"
t_no_sanitizer "evtrace" "$work/ev.err"

if [ "$VERDICT" = 1 ]; then
	kill -INT "$app"
	wait_pid "$app" 60
	t_eq "verdict_app exits 0 on SIGINT" 0 $?
	app=
	t_no_sanitizer "verdict_app" "$work/app.err"
	log "verdicts:$(stats | awk '$1 ~ /^(held|verdict_|dropped|unparsed_drop|ring_|csum_bad)/ {
		printf " %s=%s", $1, $2 }')"
	t_accepted_all "$B" "$work/app.out"
	t_eq "nothing lost for lack of ring room (ring_lost ring_full)" "0 0" \
		"$(mos_stat "$B" ring_lost) $(mos_stat "$B" ring_full)"
fi
ktap_end
