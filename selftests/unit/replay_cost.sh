#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# replay_cost.sh - the tracker's cost per packet has not grown: mosreplay's
# instructions per packet (callgrind) on a small deterministic capture,
# against the figure recorded in Documentation/bench_replay_cost.txt
#
#   bench/gen_capture -n FLOWS -S SEED  ->  capture  ->  valgrind
#   --tool=callgrind build/bin/mosreplay --quiet --checksum ignore --flush
#
# The same capture, program and options as make bench, on fewer flows
# (the recorded file says how many), so that it takes seconds.  The count
# is whole-process instructions (start-up included) over packets; it does
# not depend on the machine's load, but it does on the compiler, libc and
# valgrind, which the recorded file names.
#
# Checks: the capture is the recorded one (same packet count) and every
# stream byte was delivered; then Ir/packet is at most the recorded
# figure plus MOS_COST_TOLERANCE percent (default 3).  With another
# compiler, libc or valgrind than the recorded ones the figures do not
# compare: the check is skipped and says so.
#
# Usage: selftests/unit/replay_cost.sh            the check (make check-user)
#        selftests/unit/replay_cost.sh --record   measure and rewrite the
#                                                 recorded file (make bench-record)
#        MOSREPLAY=path overrides the binary.

. "$(dirname "$0")/../lib/lib.sh"

REC=$PROJ/Documentation/bench_replay_cost.txt
BIN=${MOSREPLAY:-$PROJ/build/bin/mosreplay}
GEN=$PROJ/build/bench/gen_capture
TOL=${MOS_COST_TOLERANCE:-3}
record=0
[ "${1:-}" = --record ] && record=1

work=$(mktemp -d)
defer rm -rf "$work"

# kvw KEY LINE: the value of KEY in a line of key=value words
kvw() {
	local w
	for w in $2; do
		case $w in
		"$1="*) echo "${w#*=}"; return ;;
		esac
	done
}

# rec KEY: a value of the recorded file
rec() {
	sed -n "s/^$1=//p" "$REC" 2>/dev/null | head -n 1
}

# the toolchain the count depends on, one line each, as recorded
toolchain() {
	echo "cc=$(${CC:-gcc} --version | head -n 1)"
	echo "libc=$(ldd --version 2>&1 | head -n 1)"
	echo "valgrind=$(valgrind --version)"
}

flows=$(rec flows)
seed=$(rec seed)
flows=${flows:-300}
seed=${seed:-1}

ktap_begin

for b in "$BIN" "$GEN"; do
	if [ ! -x "$b" ]; then
		t_fail "replay_cost binaries" "$b missing (make user)"
		ktap_end
	fi
done
if ! command -v valgrind >/dev/null; then
	t_skip "replay_cost" "valgrind missing (make deps)"
	ktap_end
fi

"$GEN" -n "$flows" -S "$seed" -s "$work/capture.txt" -o "$work/replay.pcap"
capline=$(cat "$work/capture.txt")
packets=$(kvw packets "$capline")

valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
	"$BIN" --quiet --checksum ignore --flush "$work/replay.pcap" \
	>"$work/out.txt" 2>"$work/valgrind.log"
rc=$?
res=$(tail -n 1 "$work/out.txt")
ir=$(awk '$1 == "summary:" { print $2; exit }' "$work/cg.out" 2>/dev/null)
if [ "$rc" != 0 ] || [ -z "$ir" ]; then
	t_fail "replay_cost: mosreplay under callgrind" "exit $rc"
	sed 's/^/# /' "$work/valgrind.log" | tail -n 20
	ktap_end
fi
irpp=$(awk -v a="$ir" -v n="$packets" 'BEGIN { printf "%.1f", a / n }')

# The same work as when it was recorded: every stream byte delivered
t_eq "replay_cost: bytes c2s" "$(kvw bytes_c2s "$capline")" "$(kvw bytes_c2s "$res")"
t_eq "replay_cost: bytes s2c" "$(kvw bytes_s2c "$capline")" "$(kvw bytes_s2c "$res")"

if [ $record = 1 ]; then
	{
		echo "# mosreplay's instructions per packet, recorded by make bench-record"
		echo "# (selftests/unit/replay_cost.sh --record); make check-user compares"
		echo "# with ir_per_packet. Capture: bench/gen_capture -n FLOWS -S SEED."
		echo "flows=$flows"
		echo "seed=$seed"
		echo "packets=$packets"
		echo "ir=$ir"
		echo "ir_per_packet=$irpp"
		toolchain
		echo "commit=$(git -C "$PROJ" rev-parse --short HEAD 2>/dev/null || echo '?')"
	} >"$REC"
	log "recorded $irpp Ir/packet ($ir Ir, $packets packets) in $REC"
	ktap_end
fi

want_packets=$(rec packets)
want=$(rec ir_per_packet)
if [ -z "$want" ]; then
	t_fail "replay_cost: recorded figure" "no ir_per_packet in $REC (make bench-record)"
	ktap_end
fi
t_eq "replay_cost: the recorded capture ($flows flows, seed $seed)" "$want_packets" "$packets"

toolchain >"$work/tc.now"
grep -E '^(cc|libc|valgrind)=' "$REC" >"$work/tc.rec"
pct=$(awk -v m="$irpp" -v r="$want" 'BEGIN { printf "%+.1f", 100 * (m - r) / r }')
msg="recorded $want Ir/packet, measured $irpp ($pct%)"
if ! cmp -s "$work/tc.now" "$work/tc.rec"; then
	t_skip "replay_cost: Ir/packet within $TOL% of the recorded figure" \
		"$msg, but the toolchain differs from the recorded one"
	diff "$work/tc.rec" "$work/tc.now" |
		sed -n 's/^< /# recorded with: /p; s/^> /# here: /p'
	ktap_end
fi
if awk -v m="$irpp" -v r="$want" -v t="$TOL" 'BEGIN { exit !(m <= r * (1 + t / 100)) }'; then
	t_ok "replay_cost: Ir/packet within $TOL% of the recorded figure ($msg)"
else
	t_fail "replay_cost: Ir/packet within $TOL% of the recorded figure" \
		"$msg: more than +$TOL%." \
		"If the change is meant to cost this, re-record with make bench-record" \
		"and commit Documentation/bench_replay_cost.txt."
	callgrind_annotate "$work/cg.out" 2>/dev/null | sed -n '/file:function/,$p' |
		sed -n '2,16p' | sed 's/^/# /'
fi
ktap_end
