#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# prof_report.sh - tools/vm/prof-report on a profile written by hand: the
# phases are the differences of the snapshots, each block goes to the
# area of Documentation/bench.rst ("Areas"), a module known only from a
# saved /proc/modules keeps its area, the idle spinner is left out,
# user code is split by the saved maps.  KTAP output.

proj=$(cd "$(dirname "$0")/../.." && pwd)
report=$proj/tools/vm/prof-report
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

n=0 failed=0
check() {
	local name=$1 want=$2 got=$3
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n $name"
	else
		failed=$((failed + 1))
		echo "not ok $n $name"
		printf '# want: %s\n# got:  %s\n' "$want" "$got"
	fi
}

cat >"$d/kallsyms" <<'X'
ffffffff81000000 T _stext
ffffffff81000100 T tcp_v4_rcv
ffffffff81000200 T nf_hook_slow
ffffffff81000300 T _raw_spin_lock
ffffffff81000400 T packet_rcv
ffffffff81000500 T __netif_receive_skb_core
ffffffff81000600 D some_data
ffffffff81000700 T schedule
ffffffffc0001000 t mos_hook_in	[mos]
ffffffffc0001100 t mos_track	[mos]
ffffffffc0002000 t nf_ct_get_tuple	[nf_conntrack]
X
# xt_gone was unloaded before the end: only modules.1 knows it
cat >"$d/modules.1" <<'X'
mos 4096 0 - Live 0xffffffffc0001000
nf_conntrack 8192 0 - Live 0xffffffffc0002000
xt_gone 4096 0 - Live 0xffffffffc0004000
X
grep -v xt_gone "$d/modules.1" >"$d/modules.end"
printf '# exe /usr/bin/socat\n00400000-00402000 r-xp 00000000 00:1f 12 /usr/bin/socat\n' >"$d/maps.7"
# A program of phase a, mapped at 0x10000000 from its file's start, and
# another process, of a phase that is not a, over the same addresses:
# phase a's block at prog_work+4 is prog_work of prog
cat >"$d/prog.c" <<'X'
int prog_work(int x) { return x * 3 + 1; }
int main(int argc, char **argv) { (void)argv; return prog_work(argc); }
X
gcc -O0 -no-pie -o "$d/prog" "$d/prog.c" || exit 1
fn=$(nm "$d/prog" | awk '$3 == "prog_work" { print $1 }')
base=$(readelf -lW "$d/prog" | awk '$1 == "LOAD" && $2 ~ /^0x0+$/ { print $3; exit }')
blk=$(printf '%x' $((0x10000000 + 0x$fn - base + 4)))
printf '# exe %s\n# phase a\n10000000-10100000 r-xp 00000000 00:1f 13 %s\n' \
	"$d/prog" "$d/prog" >"$d/maps.8"
printf '# exe /usr/bin/socat\n# phase b\n10000000-10100000 r-xp 00000000 00:1f 12 /usr/bin/socat\n' \
	>"$d/maps.9"
printf 'a\nend\n' >"$d/phases"
snap() {
	local name=$1
	shift
	printf 'mosprof 1\nsnap %s\nvcpus 1\nhost_ns 0\ncpu 0 0\nidle 0 0\n' "$name"
	printf 'tb %s\n' "$@"
}
# before phase a
snap 1 "ffffffff81000100 20 1000" "ffffffffc0001000 30 500" >"$d/snap.1"
# at "mark end": the differences are phase a
snap 2 "ffffffff81000100 20 1700" "ffffffffc0001000 30 800" \
	"ffffffffc0001180 10 40" "ffffffffc0002010 12 60" "ffffffffc0004010 8 9" \
	"ffffffff81000210 16 5" "ffffffff81000300 4 11" "ffffffff81000400 30 13" \
	"ffffffff81000740 9 17" "401000 7 100" "7f0000001000 5 3" "$blk 6 50" \
	"5f0000001000 2 1000000" >"$d/snap.2"
# after the phases: not counted
snap final "ffffffff81000100 20 99999" >"$d/snap.final"

got=$("$report" "$d" --kv 2>&1)
# tcpip: tcp_v4_rcv 700; mos: 300 + 40 (mos_track); conntrack: 60;
# netfilter: xt_gone 9 + nf_hook_slow 5; af_packet: packet_rcv 13;
# kernel: _raw_spin_lock 11 + schedule 17; user: 100 socat + 3 unknown
# + 50 prog
check "--kv of phase a" \
	"phase=a insns=1308 cpu0=1308 area.mos=340 area.netfilter=14 area.conntrack=60 area.tcpip=700 area.af_packet=13 area.xdp=0 area.kernel=28 area.user=153 user.prog=50 user.socat=100 idle=1000000" \
	"$got"

got=$("$report" "$d" --phase a --top 20 2>&1 | awk '$3 == "user" {print $1, $4, $5}' | tr '\n' ' ')
check "user functions by the phase's maps" "100.0 [user:socat]  50.0 prog_work [prog] 3.0 [user:?]  " "$got"

got=$("$report" "$d" --phase a --top 3 2>&1 | tail -n 3 | awk '{print $1, $NF}' | tr '\n' ' ')
check "--phase a --top 3" "700.0 tcp_v4_rcv 300.0 [mos] 100.0 [user:socat] " "$got"

got=$("$report" "$d" --phase a --per 10 2>&1 | awk '$1 == "tcpip" {print $2}')
check "--per 10: tcpip per packet" "70.0" "$got"

got=$("$report" "$d" --tbs 2>&1 | grep -c .)
check "--tbs: the blocks that ran in phase a" "13" "$got"

got=$("$report" "$d" --phase nosuch 2>&1 >/dev/null; echo "rc=$?")
check "an unknown phase is an error" "prof-report: no phase nosuch in $d rc=2" "$(echo $got)"

rm "$d/snap.2"
got=$("$report" "$d" --kv 2>&1 >/dev/null; echo "rc=$?")
check "a missing snapshot is an error" "prof-report: $d/snap.2 missing: the marker did not fire for phase end rc=2" "$(echo $got)"

echo "1..$n"
[ $failed -eq 0 ]
