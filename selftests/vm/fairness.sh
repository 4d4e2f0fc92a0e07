#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fairness.sh - a flow that holds the namespace's out-of-order store
# behind a hole it never fills does not take it from a flow that needs it
#
#   +----------------+       +---------------------+  netem  +-----------+
#   | client C       |--c0---| router R (mos)      |---s0----| server S  |
#   |  socat (real   |   r0  |  buffer-total 65536 | r1      |  socat    |
#   |  TCP download) |       |  evtrace -c         | reorder |  holder   |
#   |  oooflood.py   |       |                     |         |  (9100)   |
#   +----------------+       +---------------------+         +-----------+
#
# One holder (oooflood.py: a real handshake with the server, then 63
# pieces of 1000 bytes behind a 1000-byte hole) fills the router's store:
# the budget is set to 65536 bytes, or to what the pieces and their
# headers take if that is more.  Then a real download (256 KiB,
# reordered by netem on the server's egress) needs the store.  The
# holder, alone, had all of it as its share; with two holders its share
# is half, so the download's first stored segment finds the store full
# and the holder gives its store up: one trim, one gap of the hole's 1000
# bytes and the 63000 after it, which the server never acknowledged
# (end_unread), none delivered.  The download's
# bytes as mos delivered them (evtrace) are exactly what the server sent
# and what the client read, with no gap, within 60 s.  Passive, then
# inline (lossless: a segment that does not fit is dropped, not skipped,
# and here none is dropped).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/fair_lib.sh"

sfx=$$
C=cli-$sfx R=rtr-$sfx S=srv-$sfx
work=$(mktemp -d)
evpid=
defer_teardown
defer eval '[ -z "$evpid" ] || kill "$evpid" 2>/dev/null'

ktap_begin
t_check "load mos.ko" mos_load
fair_setup || exit 1
blob=$work/blob
sum=$(make_blob "$blob" 262144)

# one_mode MODE CPORT: the case above, mos in MODE, the holder from CPORT
one_mode() {
	local mode=$1 d=$work/$1 held s o b
	t_check "$mode: enable the router" "$MOSCTL" -n "$R" ns enable "$mode"
	# Holes age out after 30 s by default: here they stay, so that only
	# the share and the pressure act (the last case ages them)
	t_check "$mode: holes kept 10 min" \
		"$MOSCTL" -n "$R" set store-age 600000
	# (not under t_check: evtrace's pid is this shell's to keep)
	if fair_evtrace "$d"; then
		t_ok "$mode: evtrace ready"
	else
		t_fail "$mode: evtrace ready" "$(cat "$d.err")"
	fi
	held=$(fair_flood 1 "$2")
	t_eq "$mode: the holder holds 63 pieces" "held 63000" "$held"
	mos_settle "$R" ooo_bytes
	# 63000 bytes and a header per piece; the budget, at least 65536, is
	# then set to what they take (if more): not one 1448-byte segment
	# more fits
	o=$(mos_stat "$R" ooo_bytes)
	b=$((o > 65536 ? o : 65536))
	t_check "$mode: store budget $b bytes" "$MOSCTL" -n "$R" set buffer-total "$b"
	if [ "${o:-0}" -gt 63000 ] && [ $((b - o)) -lt 1448 ]; then
		t_ok "$mode: the holder fills the store ($o bytes)"
	else
		t_fail "$mode: the holder fills the store" "ooo_bytes $o"
	fi
	t_check "$mode: the download completes within 60 s" \
		fair_download 9001 "$blob" "$work/got.$mode" 60
	t_eq "$mode: the client read the server's bytes" "$sum" \
		"$(sha256sum <"$work/got.$mode" | cut -d' ' -f1)"
	nap 1
	t_eq "$mode: nothing held after the download" 0 \
		"$(mos_stat "$R" ooo_bytes)"
	# Disabling ends the flows still open (the holder's, the download's
	# in TIME_WAIT), with their CONN_ENDs: evtrace ends with no flow;
	# the counters stay, final
	t_check "$mode: disable" "$MOSCTL" -n "$R" ns disable
	nap 1
	fair_stop_evtrace
	t_eq "$mode: evtrace exits 0" 0 "$?"
	t_eq "$mode: nothing on evtrace's stderr but the start" "evtrace: ready" \
		"$(cat "$d.err")"
	evpid=
	t_eq "$mode: the download's stream has no gap" "" \
		"$(grep -- '-9001 NULL cli MISSED' "$d.out")"
	t_eq "$mode: mos delivered the download's bytes exactly" "$sum" \
		"$(fair_delivered "$d" 9001)"
	s=$("$MOSCTL" -n "$R" stats)
	log "$mode: $(tr '\n' ' ' <<<"$s")"
	t_eq "$mode: the holder was trimmed once" 1 "$(kv "$s" store_trimmed)"
	t_eq "$mode: one gap, the holder's" 1 "$(kv "$s" gaps)"
	t_eq "$mode: of the hole's 1000 bytes and the 63000 its server never acknowledged" \
		"64000 63000" "$(kv "$s" gap_bytes) $(kv "$s" end_unread)"
	t_eq "$mode: none of the holder's bytes delivered" 0 "$(kv "$s" bytes_c2s)"
	t_eq "$mode: the download's bytes delivered" 262144 "$(kv "$s" bytes_s2c)"
	t_eq "$mode: no share exceeded" 0 "$(kv "$s" store_share)"
	t_eq "$mode: no store aged" 0 "$(kv "$s" store_aged)"
	t_eq "$mode: no segment refused by the budget" 0 "$(kv "$s" buf_total_limit)"
	t_eq "$mode: no packet dropped for the store" 0 "$(kv "$s" store_full)"
}

one_mode passive 41000
one_mode inline 42000

# Ageing: a holder alone, holes kept 8 s (the flood must be over before
# its first piece ages: on a slow guest, the debug kernel's, sending 63
# pieces took over a second).  The namespace's expiry sweep passes every
# flow within 4 s: within 30 s the holder's store is given up, its hole
# and its bytes, which the server never acknowledged, a gap.
t_check "aged: enable the router" "$MOSCTL" -n "$R" ns enable
t_check "aged: holes kept 8 s" "$MOSCTL" -n "$R" set store-age 8000
t_eq "aged: ns show says so" 8000 \
	"$("$MOSCTL" -n "$R" -j ns show | python3 -c 'import json, sys; print(json.load(sys.stdin)["limits"]["store_age_ms"])')"
t_eq "aged: the holder holds 63 pieces" "held 63000" "$(fair_flood 1 43000)"
for _ in $(seq 1 120); do
	[ "$(mos_stat "$R" ooo_bytes)" = 0 ] && break
	nap 0.25
done
s=$("$MOSCTL" -n "$R" stats)
log "aged: $(tr '\n' ' ' <<<"$s")"
t_eq "aged: nothing held" 0 "$(kv "$s" ooo_bytes)"
t_eq "aged: one store aged" 1 "$(kv "$s" store_aged)"
t_eq "aged: one gap of the hole's 1000 bytes and the 63000 after it" \
	"1 64000 63000" "$(kv "$s" gaps) $(kv "$s" gap_bytes) $(kv "$s" end_unread)"
t_eq "aged: none of the holder's bytes delivered" 0 "$(kv "$s" bytes_c2s)"
t_eq "aged: nothing trimmed, no share exceeded" "0 0" \
	"$(kv "$s" store_trimmed) $(kv "$s" store_share)"
t_check "aged: disable" "$MOSCTL" -n "$R" ns disable

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
