#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# replay_diff.sh - the differential test of the flow-tracking core:
# mosreplay's reassembled streams against what the endpoints really sent
# and against tshark's reassembly
#
# Usage: selftests/unit/replay_diff.sh [CAPDIR]
#
# CAPDIR holds NAME.pcap, NAME.conns and the expected streams NAME.K.c2s,
# NAME.K.s2c (optionally NAME.K.last.c2s, NAME.K.last.s2c): the format
# selftests/lib/craft_pcaps.py and selftests/vm/capture.sh write (see there).
# Without CAPDIR the crafted cases are made first, in build/replay/crafted.
#
# Three checks per capture, in KTAP:
#
#   NAME: tshark         tshark's "follow,tcp,raw" of every connection
#                        equals the expected bytes.  This checks the
#                        oracle: the crafted expectations against an
#                        independent reassembler, and the captures'
#                        payload files against what was captured.
#   NAME: mosreplay first   build/bin/mosreplay --checksum verify
#   NAME: mosreplay last    (--overlap first, then last) dumps exactly
#                        the expected bytes for every connection, nothing
#                        for any other, and its summary counts those bytes
#                        and no gap, or the gaps NAME.gaps says (bytes
#                        stored behind a hole that the receiver never
#                        read).  With LAST, the .last files where the
#                        case has them.
#
# The expected bytes are the reference, not tshark: for the captures made
# in the VM they are the payloads the endpoints sent and received intact;
# for the crafted cases, the bytes the receiving TCP keeps.  Where tshark
# agrees by design, its check confirms them.
#
# Checksums.  mosreplay runs with --checksum verify: capture.sh makes
# every checksum real (no transmit offload on the endpoints), so a bad one
# is a corrupted segment that the receiver dropped.  tshark 4.0's follow
# does not look at checksums, even with tcp.check_checksum on: it keeps
# the first bytes seen at each sequence number, corrupted or not.  So
# tshark first writes a copy of the capture without the segments whose
# checksum it finds bad (tcp.checksum.status 0), and follows that copy.
# Following the original with the same read filter is not enough: tshark
# assigns stream indexes while it evaluates the filter, so a corrupted
# segment whose flags now read SYN splits the connection into two streams
# even though the segment itself is dropped.  A checksum of 0xffff where 0x0000 is computed is
# the same one's-complement zero (RFC 1624): Linux sends it, the receiver
# and mos accept it, tshark calls it bad (tcp.checksum.ffff).  The filter
# keeps those segments.
#
# Where tshark differs by design (the tshark_differs table below), its
# check is skipped with the reason, and mosreplay is held to the crafted
# file alone.
#
# mosreplay is built by `make`: build/bin/mosreplay-san (ASan, UBSan) if
# it exists, else build/bin/mosreplay, or $MOSREPLAY.  While it is missing
# its checks are skipped.  Work files stay in build/replay/<label>/ for inspection.

proj=$(cd "$(dirname "$0")/../.." && pwd)
# The sanitizer build when there is one: a memory error on a real capture
# fails the check too.
if [ -z "${MOSREPLAY:-}" ]; then
	MOSREPLAY=$proj/build/bin/mosreplay
	[ -x "$MOSREPLAY-san" ] && MOSREPLAY=$MOSREPLAY-san
fi
PY=/usr/bin/python3

# The crafted cases where tshark's follow is not a reference, and why.
declare -A tshark_differs=(
	# tshark 4.0 (follow_tcp_tap_listener and check_follow_fragments in
	# packet-tcp.c) holds out-of-order segments in a list, and when the
	# hole is filled writes them in the order of their sequence
	# numbers, each cut to the bytes not yet written.  So of two held
	# segments that overlap with different bytes, the one that starts
	# lower wins, whatever the arrival order, and a segment arriving in
	# order wins over held bytes.  That is neither FIRST nor LAST:
	# overlap_ooo gives a*100 F*50 C*100 A*150 B*100 E*60 g*40.
	[overlap_ooo]="tshark writes held segments by start sequence number: neither FIRST nor LAST"
	# Same mechanism; here it happens to give LAST's bytes.
	[overlap_fill]="tshark lets the in-order segment overwrite held bytes: not FIRST"
	# tshark follows no TCP state: the segments sent after an exact RST
	# are in its streams, the receivers never took them.
	[rst_exact]="tshark keeps the data sent after the RST"
	# tshark follows every TCP segment it dissects: it does not apply
	# the receiver's IPv6 option processing (ip6_parse_tlv()) or its
	# rule that a hop-by-hop header comes first.
	[ipv6_opt_drop]="tshark follows segments the receiver's IPv6 layer drops"
)

_n=0 _failed=0
ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() {
	_n=$((_n + 1)) _failed=$((_failed + 1))
	echo "not ok $_n - $1"
	shift
	for l in "$@"; do echo "# $l"; done
}
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }

echo "TAP version 13"

if ! command -v tshark >/dev/null; then
	echo "1..0 # SKIP tshark missing (make deps)"
	exit 4
fi

if [ $# -gt 0 ]; then
	capdir=$(cd "$1" && pwd) || exit 1
	label=$(basename "$(dirname "$capdir")")
else
	capdir=$proj/build/replay/crafted
	label=crafted
	rm -rf "$capdir"
	if ! "$PY" "$proj/selftests/lib/craft_pcaps.py" "$capdir" >"$proj/build/replay-craft.log" 2>&1; then
		echo "1..1"
		not_ok "craft_pcaps.py" "$(cat "$proj/build/replay-craft.log")"
		exit 1
	fi
fi
work=$proj/build/replay/work-$label
rm -rf "$work"
mkdir -p "$work"

mapfile -t caps < <(cd "$capdir" && ls -- *.pcap 2>/dev/null | sed 's/\.pcap$//')
echo "# captures in $capdir: ${#caps[@]}"
echo "# mosreplay: $MOSREPLAY"
if [ ${#caps[@]} -eq 0 ]; then
	echo "1..1"
	not_ok "captures in $capdir" "none"
	exit 1
fi
echo "1..$((3 * ${#caps[@]}))"

have_mosreplay=1
[ -x "$MOSREPLAY" ] || have_mosreplay=0

# conns NAME: the connection lines of NAME.conns
conns() {
	grep -v '^#' "$capdir/$1.conns"
}

# cmp_file WANT GOT WHAT: say how GOT differs from WANT; false if it does
cmp_file() {
	local want=$1 got=$2 what=$3 ws gs at n
	if [ ! -f "$got" ]; then
		echo "$what: no stream ($(basename "$got") missing)"
		return 1
	fi
	cmp -s "$want" "$got" && return 0
	ws=$(stat -c %s "$want") gs=$(stat -c %s "$got")
	at=$(cmp "$want" "$got" 2>/dev/null | sed -n 's/.* differ: byte \([0-9]*\),.*/\1/p')
	if [ -n "$at" ]; then
		n=$(cmp -l "$want" "$got" 2>/dev/null | wc -l)
		echo "$what: $gs bytes, $ws expected; first difference at offset $((at - 1)); bytes differing in the common length: $n"
	elif [ "$gs" -lt "$ws" ]; then
		echo "$what: $gs bytes, $ws expected: the bytes from offset $gs on are missing"
	else
		echo "$what: $gs bytes, $ws expected: $((gs - ws)) extra bytes at offset $ws"
	fi
	return 1
}

# want NAME K DIR POLICY: the expected file
want() {
	local f=$capdir/$1.$2
	if [ "$4" = last ] && [ -f "$f.last.$3" ]; then
		echo "$f.last.$3"
	else
		echo "$f.$3"
	fi
}

# --- tshark -------------------------------------------------------------

# The segments tshark follows: a good checksum, or 0xffff for 0x0000
tshark_keep='!(tcp.checksum.status == 0) || tcp.checksum.ffff'

# tshark_follow NAME: tshark's streams of NAME's connections into
# $work/tshark/NAME.K.{c2s,s2c}
tshark_follow() {
	local name=$1 n idx z i
	local pcap=$work/tshark/$name.good.pcap out=$work/tshark
	mkdir -p "$out"
	tshark -r "$capdir/$name.pcap" -o tcp.check_checksum:TRUE -2 -R "$tshark_keep" \
		-w "$pcap" 2>"$out/$name.err"
	# Follow stream indexes 0 .. connections + 3 in one run: besides the
	# real connections, a capture may hold a few streams tshark makes from
	# corrupted headers.  Only when a connection is still not found, ask
	# tshark for the indexes and follow them all.
	n=$(conns "$name" | wc -l)
	z=()
	for i in $(seq 0 $((n + 3))); do z+=(-z "follow,tcp,raw,$i"); done
	tshark -r "$pcap" -q "${z[@]}" >"$out/$name.follow" 2>>"$out/$name.err"
	"$PY" "$proj/selftests/lib/tshark_follow.py" "$out/$name.follow" "$out" \
		"$capdir/$name.conns" >"$out/$name.map"
	[ "$(wc -l <"$out/$name.map")" -eq "$n" ] && return
	idx=$(tshark -r "$pcap" -T fields -e tcp.stream 2>/dev/null | sort -un)
	z=()
	for i in $idx; do z+=(-z "follow,tcp,raw,$i"); done
	[ ${#z[@]} -gt 0 ] &&
		tshark -r "$pcap" -q "${z[@]}" >"$out/$name.follow" 2>>"$out/$name.err"
	"$PY" "$proj/selftests/lib/tshark_follow.py" "$out/$name.follow" "$out" \
		"$capdir/$name.conns" >"$out/$name.map"
}

check_tshark() {
	local name=$1 k d diag=() line
	if [ -n "${tshark_differs[$name]:-}" ]; then
		skip "$name: tshark" "${tshark_differs[$name]}"
		return
	fi
	tshark_follow "$name"
	while read -r k _; do
		for d in c2s s2c; do
			line=$(cmp_file "$(want "$name" "$k" "$d" first)" \
				"$work/tshark/$name.$k.$d" "connection $k $d") || diag+=("$line")
		done
	done < <(conns "$name")
	if [ ${#diag[@]} -eq 0 ]; then
		ok "$name: tshark"
	else
		not_ok "$name: tshark" "${diag[@]}" \
			"tshark -r $capdir/$name.pcap -o tcp.check_checksum:TRUE -2 -R '$tshark_keep' -w $work/tshark/$name.good.pcap; tshark -r $work/tshark/$name.good.pcap -q -z follow,tcp,raw,<index> (indexes: $work/tshark/$name.map)" \
			"tshark's streams: $(tr '\n' ';' <"$work/tshark/$name.map")"
	fi
}

# --- mosreplay ----------------------------------------------------------

# summary FILE KEY: a field of mosreplay's summary line
summary() {
	tail -n 1 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

check_mosreplay() {
	local name=$1 policy=$2 out=$work/mosreplay-$2/$1 k cip cport sip sport
	local d base f diag=() line rc seen=() c2s=0 s2c=0 cmd gaps
	if [ $have_mosreplay = 0 ]; then
		skip "$name: mosreplay $policy" "$MOSREPLAY missing (make)"
		return
	fi
	mkdir -p "$out"
	cmd="$MOSREPLAY --quiet --checksum verify --overlap $policy --flush --dump-streams $out $capdir/$name.pcap"
	$cmd >"$out.stdout" 2>"$out.stderr"
	rc=$?
	[ $rc -eq 0 ] || diag+=("exit status $rc: $(head -c 300 "$out.stderr")")
	declare -A gen=()
	while read -r k cip cport sip sport; do
		base="$cip.$cport-$sip.$sport"
		f=$base
		[ -n "${gen[$base]:-}" ] && f=$base.${gen[$base]}
		gen[$base]=$((${gen[$base]:-0} + 1))
		for d in c2s s2c; do
			line=$(cmp_file "$(want "$name" "$k" "$d" "$policy")" "$out/$f.$d" \
				"connection $k $d") || diag+=("$line")
			seen+=("$f.$d")
		done
		c2s=$((c2s + $(stat -c %s "$(want "$name" "$k" c2s "$policy")")))
		s2c=$((s2c + $(stat -c %s "$(want "$name" "$k" s2c "$policy")")))
	done < <(conns "$name")
	# No stream for a connection that is not in the capture.
	while read -r f; do
		[[ " ${seen[*]} " == *" $f "* ]] ||
			diag+=("a stream no connection has: $f ($(stat -c %s "$out/$f") bytes)")
	done < <(cd "$out" && ls)
	if [ $rc -eq 0 ]; then
		line=$(tail -n 1 "$out.stdout")
		gaps=0
		[ -f "$capdir/$name.gaps" ] && gaps=$(cat "$capdir/$name.gaps")
		[ "$(summary "$out.stdout" bytes_c2s)" = $c2s ] &&
			[ "$(summary "$out.stdout" bytes_s2c)" = $s2c ] &&
			[ "$(summary "$out.stdout" gaps)" = "$gaps" ] ||
			diag+=("summary: $line" "expected bytes_c2s=$c2s bytes_s2c=$s2c gaps=$gaps")
	fi
	if [ ${#diag[@]} -eq 0 ]; then
		ok "$name: mosreplay $policy"
	else
		not_ok "$name: mosreplay $policy" "${diag[@]}" "reproduce: $cmd"
	fi
}

start=$(date +%s)
for name in "${caps[@]}"; do
	if [ ! -f "$capdir/$name.conns" ]; then
		for c in tshark "mosreplay first" "mosreplay last"; do
			not_ok "$name: $c" "$capdir/$name.conns missing"
		done
		continue
	fi
	check_tshark "$name"
	check_mosreplay "$name" first
	check_mosreplay "$name" last
done
echo "# $label: ${#caps[@]} captures in $(($(date +%s) - start)) s; work files in $work"
[ $_failed -eq 0 ]
