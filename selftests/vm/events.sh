#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# events.sh - the exact events of scripted connections, per hook and side,
# through the mOS API (selftests/lib/evtrace.c), on a router in inline mode; and
# the exact stream bytes of transfers under loss and reordering
#
#   +--------+      +-------------------------+      +--------+
#   | client | c0 - | r0  router (inline)  r1 | - s0 | server |
#   +--------+      |  evtrace (ASan build)   |      +--------+
#                   +-------------------------+
#
# The connections are events_drive.py's: FIN close, RST close, loss of
# everything to the server for 1.2 s (retransmissions), over IPv4 and
# IPv6; a connection established before monitoring (orphans); transfers
# of 1 byte to EVENTS_MAX_SIZE bytes each way; a FIN close whose end the
# application sees at once, the tracker's TIME_WAIT at 120 s.
#
# evtrace takes its records in batches (MOS_RING_WAKEUP_MS, 5 ms unless
# EVENTS_WAKEUP_MS says otherwise; 0: woken by each record): the events
# and bytes must be the same either way.  The other tests of libmosuser on
# /dev/mos run with the default, each record waking the context.

. "$(dirname "$0")/../lib/lib.sh"

C=evc-$$ R=evr-$$ S=evs-$$
work=$(mktemp -d)
drv='' ev='' srv=''
defer_teardown
defer eval 'exec 8>&- 2>/dev/null'
defer kill_pids ev drv srv

# 64 MiB each way on the release kernels, 1 MiB on the sanitizer kernel
max=${EVENTS_MAX_SIZE:-67108864}
[ -e /sys/kernel/debug/kmemleak ] && max=${EVENTS_MAX_SIZE:-1048576}
sizes=(1 1000 100000 "$max")

ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1
mkdir "$work/data"
mkfifo "$work/go"
python3 "$SELFTESTS/lib/events_drive.py" "$C" "$R" "$S" "${sizes[@]}" \
	<"$work/go" >"$work/drive" 2>&1 &
drv=$!
exec 8>"$work/go"
wait_ready "$work/drive" "$drv"
t_eq "the orphan connection is established, unmonitored" ready "$(head -n1 "$work/drive")"

# Ended sides go at once: TIME_WAIT and CLOSED last 1 s.  A side's
# out-of-order store takes 16 KiB: the lossy transfers overflow it, and
# inline mode must drop rather than skip.
t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline
t_check "TIME_WAIT and CLOSED last 1 s, 16 KiB out-of-order store per side" \
	"$MOSCTL" -n "$R" set timeout TIME_WAIT 1 timeout CLOSED 1 buffer-bytes 16384
ip netns exec "$R" env MOS_RING_WAKEUP_MS="${EVENTS_WAKEUP_MS:-5}" \
	"$PROJ/build/selftests/evtrace" -d "$work/data" \
	>"$work/ev" 2>"$work/ev.err" &
ev=$!
wait_ready "$work/ev.err" "$ev"
t_eq "evtrace started" "evtrace: ready" "$(cat "$work/ev.err")"

echo go >&8
wait_pid "$drv" 840
rc=$?
drv=
t_eq "every connection ran as scripted" "0 done" "$rc $(tail -n1 "$work/drive")"
[ "$rc" = 0 ] || sed 's/^/# /' "$work/drive"

# Every flow ends: the monitor lists none
for _ in $(seq 1 100); do
	[ "$(mos_stat "$R" flows_active)" = 0 ] && break
	nap 0.3
done
# The flows are gone from the tracker; evtrace may still be reading their
# records from the ring (its ASan build on the debug kernel was once
# behind by a whole connection): until its output has not grown for 3 s
# (5 minutes at most)
prev=-1 same=0
for _ in $(seq 1 300); do
	cur=$(stat -c %s "$work/ev")
	if [ "$cur" = "$prev" ]; then
		same=$((same + 1))
		[ $same -ge 3 ] && break
	else
		same=0
	fi
	prev=$cur
	nap 1
done
kill -INT "$ev"
wait_pid "$ev" 60
t_eq "evtrace exits 0" 0 "$?"
ev=
t_eq "nothing on evtrace's stderr but the start" "evtrace: ready" "$(cat "$work/ev.err")"

# seqs: each flow's events, one line per hook and side in the order SND
# cli, RCV cli, SND svr, RCV svr, NULL cli, NULL svr; PKT_IN left out, a
# run of REXMIT counted as one, a run of NEW_DATA as one with the bytes
# summed.  With "norexmit", REXMIT and ERROR left out too: on a lossy,
# reordering link a late segment may be one the receiver refuses (PAWS,
# an old ACK), reported as an ERROR, its bytes taken from the
# retransmission (the streams' sha256 and the gap counters are checked
# apart).  Orphans: "PORT NULL cli
# ORPHAN:FLAGS ...", PORT the packets' destination.  A packet that comes
# after its flow's CONN_END (the peer's ACK of a FIN or RST crossing it)
# is an orphan, which the orphan checks below count; a flow's lines
# leave it out.
seqs() {
	python3 "$SELFTESTS/lib/evseqs.py" --rexmit-runs ${1:+--$1} "$work/ev"
}
seqs >"$work/seqs"
seqs norexmit >"$work/seqs-norexmit"

# A packet's events at one hook run as mOS's: from the lowest event bit
# up (CONN_START and CONN_SETUP before STATE_CHANGE).
# The end of a flow is mOS's: once both sides are in TIME_WAIT or CLOSED,
# after the last ACK (or the RST), each side (the one that received that
# packet first) gets STATE_CHANGE to CLOSED and CONN_END at hook RCV,
# then at hook SND.
#
# fin PORT UP DOWN [REXMIT]: the events of a connection where the client
# sends UP bytes, the server DOWN, and the client closes first; with
# REXMIT, the client's first data was retransmitted
fin() {
	local r=${4:+ REXMIT}
	cat <<-EOF
	$1 SND cli CONN_START STATE_CHANGE:SYN_SENT$r STATE_CHANGE:FIN_WAIT_1 STATE_CHANGE:CLOSED CONN_END
	$1 RCV cli CONN_SETUP STATE_CHANGE:ESTABLISHED STATE_CHANGE:FIN_WAIT_2 STATE_CHANGE:TIME_WAIT STATE_CHANGE:CLOSED CONN_END
	$1 SND svr STATE_CHANGE:LAST_ACK STATE_CHANGE:CLOSED CONN_END
	$1 RCV svr CONN_START STATE_CHANGE:SYN_RCVD CONN_SETUP STATE_CHANGE:ESTABLISHED$r STATE_CHANGE:CLOSE_WAIT STATE_CHANGE:CLOSED STATE_CHANGE:CLOSED CONN_END
	$1 NULL cli NEW_DATA:$3
	$1 NULL svr NEW_DATA:$2
	EOF
}

# rst PORT: one byte each way, then the client aborts
rst() {
	cat <<-EOF
	$1 SND cli CONN_START STATE_CHANGE:SYN_SENT STATE_CHANGE:CLOSED STATE_CHANGE:CLOSED CONN_END
	$1 RCV cli CONN_SETUP STATE_CHANGE:ESTABLISHED STATE_CHANGE:CLOSED CONN_END
	$1 SND svr STATE_CHANGE:CLOSED CONN_END
	$1 RCV svr CONN_START STATE_CHANGE:SYN_RCVD CONN_SETUP STATE_CHANGE:ESTABLISHED STATE_CHANGE:CLOSED STATE_CHANGE:CLOSED CONN_END
	$1 NULL cli NEW_DATA:1
	$1 NULL svr NEW_DATA:1
	EOF
}

flow() {
	grep "^$1 " "$work/$2"
}
for fam in 4:7001 6:7004; do
	v=${fam%:*} p=${fam#*:}
	t_eq "IPv$v FIN close: the events per hook and side" \
		"$(fin "$p" 5 6)" "$(flow "$p" seqs)"
	t_eq "IPv$v FIN close: the bytes each side received" "world! hello" \
		"$(cat "$work/data/$p.cli") $(cat "$work/data/$p.svr")"
	t_eq "IPv$v RST close: the events per hook and side" \
		"$(rst $((p + 1)))" "$(flow $((p + 1)) seqs)"
	t_eq "IPv$v loss: retransmissions seen on both hooks" \
		"$(fin $((p + 2)) 1000 6 rexmit)" "$(flow $((p + 2)) seqs)"
	t_eq "IPv$v loss: the bytes the server received, once" "0 1000" \
		"$(tr -d L <"$work/data/$((p + 2)).svr" | wc -c) $(wc -c <"$work/data/$((p + 2)).svr")"
done

i=0
for n in "${sizes[@]}"; do
	for fam in 4:$((7010 + i)) 6:$((7030 + i)); do
		v=${fam%:*} p=${fam#*:}
		t_eq "IPv$v $n bytes each way, lossy: the events, retransmissions and refusals aside" \
			"$(fin "$p" "$n" "$n")" "$(flow "$p" seqs-norexmit)"
		t_eq "IPv$v $n bytes each way, lossy: sha256 of the bytes each side received" \
			"$(awk -v p="$p" '$1 == "sha" && $2 == p { print $4 }' "$work/drive" | tr '\n' ' ')" \
			"$(for sd in svr cli; do sha256sum <"$work/data/$p.$sd" | cut -d' ' -f1; done | tr '\n' ' ')"
	done
	i=$((i + 1))
done

# MOS_INFO_*BUF and MOS_FRAGINFO_*BUF after every NEW_DATA: the sequence
# numbers from the SYNs' ISNs, the offsets from the bytes peeked
bad=$(grep ' INFO:bad' "$work/ev" | head -n 5 | tr '\n' '|')
t_eq "getsockopt MOS_INFO, MOS_FRAGINFO: as the ISNs and the bytes say, after every NEW_DATA" "" "$bad"
t_eq "... checked on both sides of each of the $((6 + 2 * ${#sizes[@]})) connections" \
	"$((2 * (6 + 2 * ${#sizes[@]}))) 0" \
	"$(awk '$4 ~ /^INFO:[0-9]+$/ { n++; if (substr($4, 6) + 0 == 0) z++ } END { print n + 0, z + 0 }' "$work/ev")"

log "router: $("$MOSCTL" -n "$R" stats | grep -E '^(gaps|gap_bytes|store_full|ring_full|ring_lost|rexmit) ' | tr '\n' ' ')"
t_eq "inline: no hole skipped, no record lost" "0 0 0" \
	"$(mos_stat "$R" gaps) $(mos_stat "$R" gap_bytes) $(mos_stat "$R" ring_lost)"
t_check "inline: segments the full store had no room for were dropped, not skipped" \
	test "$(mos_stat "$R" store_full)" -gt 0

# The orphan connection: every packet, both ways, an orphan and nothing
# else; as many as the orphan counter says
t_eq "orphans: no flow events for the connection monitoring missed the start of" \
	"7100 NULL cli" "$(flow 7100 seqs | cut -d' ' -f1-3)"
o_to=$(awk '$1 == 7100 && $4 ~ /^ORPHAN:/ { printf "%s ", substr($4, 8) }' "$work/ev")
o_from=$(awk '$1 !~ /^7[01][0-9][0-9]$/ && $4 ~ /^ORPHAN:/ { printf "%s ", substr($4, 8) }' "$work/ev")
log "orphans to the server: $o_to; to the client: $o_from"
both=no
[[ " $o_to" == *" PA "* && " $o_to" == *" FA "* && " $o_from" == *" PA "* && " $o_from" == *" FA "* ]] && both=yes
t_eq "orphans: the data and the FIN of both ends" yes "$both"
t_eq "orphans: one event per packet the orphan counter counted" \
	"$(mos_stat "$R" orphans)" "$(grep -c ' ORPHAN:' "$work/ev")"

# A FIN close with the tracker's TIME_WAIT at 120 s: the flow ends for
# the application at the last ACK (mOS's tcp_tw_interval 0), CONN_END at
# both hooks for both sides, while the tracker still holds the client's
# TIME_WAIT
t_check "TIME_WAIT and CLOSED last 120 s" \
	"$MOSCTL" -n "$R" set timeout TIME_WAIT 120 timeout CLOSED 120
ip netns exec "$R" "$PROJ/build/selftests/evtrace" >"$work/ev2" 2>"$work/ev2.err" &
ev=$!
wait_ready "$work/ev2.err" "$ev"
ip netns exec "$S" python3 -c '
import socket
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.0.2.2", 7200))
l.listen(1)
c = l.accept()[0]
while c.recv(100):
    pass
c.close()
' &
srv=$!
wait_listen "$S" 7200
ip netns exec "$C" python3 -c '
import socket, time
s = socket.create_connection(("10.0.2.2", 7200))
s.sendall(b"bye")
s.shutdown(socket.SHUT_WR)
s.recv(100)
s.close()
'
wait_pid "$srv" 30
srv=
ends=''
for _ in $(seq 1 50); do
	ends=$(grep '^7200 [A-Z]* [a-z]* CONN_END$' "$work/ev2" | tr '\n' '|')
	[ "$(tr -cd '|' <<<"$ends")" = '||||' ] && break
	nap 0.1
done
t_eq "FIN close: CONN_END at both hooks for both sides within 5 s, the server first" \
	"7200 RCV svr CONN_END|7200 SND svr CONN_END|7200 RCV cli CONN_END|7200 SND cli CONN_END|" \
	"$ends"
t_eq "... while the tracker holds the flow in TIME_WAIT" 1 \
	"$("$MOSCTL" -n "$R" -j flows | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["flows"]))')"
kill -INT "$ev"
wait_pid "$ev" 60
t_eq "evtrace exits 0" 0 "$?"
ev=
t_eq "nothing on evtrace's stderr but the start" "evtrace: ready" "$(cat "$work/ev2.err")"

t_check "disable" "$MOSCTL" -n "$R" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
