#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel_cost.sh - mos.ko's and libmosuser's cost per packet in the kernel
# has not grown: bench/kernel's guest-instruction counts of configurations
# 1 (the floor), 3 (mos passive) and 4 (mos with a consumer of every event
# and byte), on one kernel, against the figures recorded in
# Documentation/bench_kernel_cost.txt
#
#   bench/kernel --kernel K --configs 1,3,4 --no-build --out build/check/kcost
#     one profiled boot (tools/vm/run --profile): every guest instruction
#     counted, the same traffic in each phase
#
# The figures, instructions per forwarded packet:
#   3-mos.mos         area mos (mos.ko's own code), mos passive
#   3-mos.above       the whole system less the floor's, mos passive
#   4-mos-cons.mos    area mos with the consumer: the records, the ring
#   4-mos-cons.user   user space with the consumer: libmosuser, the
#                     consumer and the traffic's own programs
#   4-mos-cons.above  the whole system less the floor's, with the consumer
#
# Checks: every phase ok (the traffic ran, the consumer read every byte
# the endpoints sent) and forwarded the recorded number of packets; then
# each figure is at most the recorded one plus MOS_COST_TOLERANCE percent
# (default 3).  The counts depend on the kernel, the compiler, the C
# library and qemu, which the recorded file names: where one differs the
# figures do not compare, and the check is skipped and says which.  The
# file also keeps the three phases' instruction counts: bench/kernel's
# boots repeat (its RAM root), and the output says whether this one
# executed exactly the recorded counts, as the same build in the same
# environment does.
#
# Usage: selftests/kernel_cost.sh            the check (make check)
#        selftests/kernel_cost.sh --record   measure and rewrite the
#                                            recorded file
#                                            (make bench-kernel-record)
# The binaries (make all kbench-bins) must be built.  The kernel is the
# recorded file's (6.12 if none); MOS_KCOST_KERNEL=6.1 with --record
# records on another.

. "$(dirname "$0")/lib/lib.sh"

REC=$PROJ/Documentation/bench_kernel_cost.txt
TOL=${MOS_COST_TOLERANCE:-3}
OUT=$PROJ/build/check/kcost
FIGS="3-mos.mos 3-mos.above 4-mos-cons.mos 4-mos-cons.user 4-mos-cons.above"
PHASES="1-floor 3-mos 4-mos-cons"
record=0
[ "${1:-}" = --record ] && record=1

# rec KEY: a value of the recorded file
rec() {
	sed -n "s/^$1=//p" "$REC" 2>/dev/null | head -n 1
}

kernel=$(rec kernel)
kernel=${kernel:-6.12}
[ $record = 1 ] && kernel=${MOS_KCOST_KERNEL:-$kernel}

# what the counts depend on, one line each, as recorded
environment() {
	echo "release=$("$PROJ/tools/vm/kernels.sh" release "$kernel" 2>/dev/null)"
	echo "cc=$(${CC:-gcc} --version | head -n 1)"
	echo "libc=$(ldd --version 2>&1 | head -n 1)"
	echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
}

ktap_begin

rm -rf "$OUT"
mkdir -p "$OUT"
if ! MOS_VM_NOLOCK=1 "$PROJ/bench/kernel" --kernel "$kernel" \
	--configs 1,3,4 --no-build --out "$OUT" >"$OUT/bench.log" 2>&1; then
	t_fail "kernel_cost: bench/kernel on $kernel" "the run failed"
	tail -n 30 "$OUT/bench.log" | sed 's/^/# /'
	ktap_end
fi
kv=$OUT/kernel-$kernel.kv

# val PHASE KEY: KEY of PHASE's line of the run's figures
val() {
	awk -v p="phase=$1" -v k="$2=" '$1 == p {
		for (i = 2; i <= NF; i++)
			if (index($i, k) == 1) { print substr($i, length(k) + 1); exit }
	}' "$kv"
}

# fig NAME: the figure NAME (PHASE.WHAT) per packet, one decimal
fig() {
	local p=${1%.*} w=${1##*.} n i f
	n=$(val "$p" pkts)
	case $w in
	above)
		i=$(val "$p" insns)
		f=$(val 1-floor insns)
		awk -v i="$i" -v n="$n" -v f="$f" -v m="$(val 1-floor pkts)" \
			'BEGIN { printf "%.1f", i / n - f / m }' ;;
	*)
		i=$(val "$p" "area.$w")
		awk -v i="$i" -v n="$n" 'BEGIN { printf "%.1f", i / n }' ;;
	esac
}

for p in $PHASES; do
	t_eq "kernel_cost: $p ok (traffic and consumer complete)" 1 "$(val "$p" ok)"
done
[ "$_t_failed" = 0 ] || { grep -A12 '^| configuration' "$OUT/kernel-$kernel.md" |
	sed 's/^/# /'; ktap_end; }

if [ $record = 1 ]; then
	{
		echo "# mos's guest instructions per forwarded packet, recorded by"
		echo "# make bench-kernel-record (selftests/kernel_cost.sh --record);"
		echo "# make check compares with each figure (bench/kernel, configurations"
		echo "# 1, 3 and 4; Documentation/bench.rst, \"The guard in make check\")."
		echo "kernel=$kernel"
		echo "packets=$(val 3-mos pkts)"
		for f in $FIGS; do
			echo "$f=$(fig "$f")"
		done
		for p in $PHASES; do
			echo "insns.$p=$(val "$p" insns)"
		done
		environment
		echo "commit=$(git -C "$PROJ" rev-parse --short HEAD 2>/dev/null || echo '?')"
	} >"$REC"
	log "recorded in $REC:"
	sed 's/^/# /' "$REC"
	ktap_end
fi

want_packets=$(rec packets)
if [ -z "$want_packets" ]; then
	t_fail "kernel_cost: recorded figures" "no packets= in $REC (make bench-kernel-record)"
	ktap_end
fi
for p in $PHASES; do
	t_eq "kernel_cost: $p forwarded the recorded packets" "$want_packets" "$(val "$p" pkts)"
done

environment >"$OUT/env.now"
grep -E '^(release|cc|libc|qemu)=' "$REC" >"$OUT/env.rec"
same=1
cmp -s "$OUT/env.now" "$OUT/env.rec" || same=0
for f in $FIGS; do
	want=$(rec "$f")
	got=$(fig "$f")
	if [ -z "$want" ]; then
		t_fail "kernel_cost: $f" "no $f in $REC (make bench-kernel-record)"
		continue
	fi
	pct=$(awk -v m="$got" -v r="$want" 'BEGIN { printf "%+.1f", 100 * (m - r) / r }')
	msg="recorded $want insns/packet, measured $got ($pct%)"
	name="kernel_cost: $f within $TOL% of the recorded figure"
	if [ $same = 0 ]; then
		t_skip "$name" "$msg, but the environment differs from the recorded one"
	elif awk -v m="$got" -v r="$want" -v t="$TOL" 'BEGIN { exit !(m <= r * (1 + t / 100)) }'; then
		t_ok "$name ($msg)"
	else
		t_fail "$name" "$msg: more than +$TOL%." \
			"If the change is meant to cost this, re-record with" \
			"make bench-kernel-record and commit Documentation/bench_kernel_cost.txt."
	fi
done
# The boot is deterministic (bench/kernel's RAM root): with the recorded
# build and environment, the phases' counts are the recorded ones exactly
exact=0
for p in $PHASES; do
	[ "$(rec "insns.$p")" = "$(val "$p" insns)" ] && exact=$((exact + 1))
done
if [ $exact = 3 ]; then
	log "the three phases executed the recorded instruction counts exactly"
else
	log "$exact of the three phases executed the recorded instruction counts" \
		"(another build or environment than the record's)"
fi
if [ $same = 0 ]; then
	diff "$OUT/env.rec" "$OUT/env.now" |
		sed -n 's/^< /# recorded with: /p; s/^> /# here: /p'
fi
if [ "$_t_failed" != 0 ]; then
	grep -A8 '^| configuration' "$OUT/kernel-$kernel.md" | sed 's/^/# /'
	awk '/^mos.s functions in 4-mos-cons/ { p = 1 } p && /^ / { print; n++ }
		p && n == 15 { exit }' "$OUT/kernel-$kernel.md" | sed 's/^/# /'
fi
ktap_end
