#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_fair.sh - 256 flows hold the namespace's whole out-of-order store
# behind holes they never fill; real downloads that need the store still
# get every byte, in passive and in inline mode (make check-stress)
#
#   +----------------+       +---------------------+  netem  +-----------+
#   | client C       |--c0---| router R (mos)      |---s0----| server S  |
#   |  socat: M real |   r0  |  buffer-total = what| r1      |  socat    |
#   |  downloads     |       |  the holders hold   | reorder |  holder   |
#   |  oooflood.py:  |       |  evtrace -c         |         |  (9100)   |
#   |  256 holders   |       |                     |         |           |
#   +----------------+       +---------------------+         +-----------+
#
# 256 holders (oooflood.py, 63 pieces of 1000 bytes behind a 1000-byte
# hole each); the budget is then set to exactly what they hold, so every
# byte a download stores needs a holder trimmed.  M downloads of 256 KiB
# (MOS_STRESS_FAIR_DOWNLOADS, default 8), reordered by netem, one after
# the other: each must complete within 60 s and the bytes mos delivered
# for it (evtrace) must be exactly the server's.  The success rate,
# downloads byte-exact over downloads, is printed and must be 100%; the
# holders' trims are counted (store_trimmed, at least one, at most 256)
# and no download's stream has a gap (gaps = the holders' trims: one
# each, of the hole and the 63000 bytes behind it, which the holder's
# server never acknowledged: end_unread).  Holes are kept a day (store-age): only pressure frees the
# store here (with the default 30 s, ageing frees the holders' stores
# while the downloads run, as it should).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/fair_lib.sh"

sfx=$$
C=sfc-$sfx R=sfr-$sfx S=sfs-$sfx
work=$(mktemp -d)
evpid=
defer_teardown
defer eval '[ -z "$evpid" ] || kill "$evpid" 2>/dev/null'

H=256
M=${MOS_STRESS_FAIR_DOWNLOADS:-8}

ktap_begin
t_check "load mos.ko" mos_load
fair_setup || exit 1
blob=$work/blob
sum=$(make_blob "$blob" 262144)

# one_mode MODE FIRST_CPORT
one_mode() {
	local mode=$1 d=$work/$1 held o s ok=0 i
	t_check "$mode: enable the router" "$MOSCTL" -n "$R" ns enable "$mode"
	# The holes stay: only the pressure frees the store
	t_check "$mode: holes kept a day" "$MOSCTL" -n "$R" set store-age 86400000
	if fair_evtrace "$d"; then
		t_ok "$mode: evtrace ready"
	else
		t_fail "$mode: evtrace ready" "$(cat "$d.err")"
	fi
	# A namespace keeps its limits across disable (mosctl.rst, "ns
	# enable"): without this, the inline run's holders would store under
	# the budget the passive run measured, each ending at exactly its
	# share (budget / 256), and a holder whose pieces took a header more
	# than in the passive run (their layout depends on the order the
	# router saw them in) would be over it by the rules: its segment
	# dropped.  The holders flood under the default budget, as in the
	# passive run, and the budget is set from what they hold afterwards.
	t_check "$mode: the default budget for the holders" \
		"$MOSCTL" -n "$R" set buffer-total 67108864
	held=$(fair_flood "$H" "$2")
	t_eq "$mode: $H holders hold 63 pieces each" "held $((H * 63000))" "$held"
	mos_settle "$R" ooo_bytes
	o=$(mos_stat "$R" ooo_bytes)
	t_check "$mode: the budget is what they hold ($o bytes)" \
		"$MOSCTL" -n "$R" set buffer-total "$o"
	for i in $(seq 1 "$M"); do
		if fair_download $((9200 + i)) "$blob" "$work/got" 60 &&
		   [ "$(sha256sum <"$work/got" | cut -d' ' -f1)" = "$sum" ] &&
		   [ "$(fair_delivered "$d" $((9200 + i)))" = "$sum" ]; then
			ok=$((ok + 1))
		else
			log "$mode: download $i: not byte-exact"
		fi
	done
	log "$mode: byte-exact downloads: $ok of $M ($((100 * ok / M))%)"
	t_eq "$mode: every download byte-exact" "$M" "$ok"
	s=$("$MOSCTL" -n "$R" stats)
	log "$mode: $(tr '\n' ' ' <<<"$s")"
	o=$(kv "$s" store_trimmed)
	if [ "${o:-0}" -ge 1 ] && [ "$o" -le "$H" ]; then
		t_ok "$mode: holders trimmed for the downloads ($o)"
	else
		t_fail "$mode: holders trimmed for the downloads" "store_trimmed $o"
	fi
	t_eq "$mode: the only gaps are the trimmed holders' holes" "$o" "$(kv "$s" gaps)"
	# A trimmed store goes as a side's end does (Documentation/tcpmon.rst,
	# "Sharing the out-of-order store"): its hole and the 63000 bytes its
	# server never acknowledged are one gap, none delivered
	t_eq "$mode: of the hole's 1000 bytes and the 63000 never acknowledged, each" \
		"$((o * 64000)) $((o * 63000))" \
		"$(kv "$s" gap_bytes) $(kv "$s" end_unread)"
	t_eq "$mode: the downloads' bytes delivered" $((M * 262144)) "$(kv "$s" bytes_s2c)"
	t_eq "$mode: no store aged" 0 "$(kv "$s" store_aged)"
	[ "$mode" = inline ] &&
		t_eq "$mode: no packet dropped for the store" 0 "$(kv "$s" store_full)"
	t_check "$mode: disable" "$MOSCTL" -n "$R" ns disable
	nap 1
	fair_stop_evtrace
	evpid=
	t_eq "$mode: nothing on evtrace's stderr but the start" "evtrace: ready" \
		"$(cat "$d.err")"
}

one_mode passive 41000
one_mode inline 42000

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
