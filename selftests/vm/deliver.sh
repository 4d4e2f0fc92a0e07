#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deliver.sh - the kernel and the offline backend write the same records
# for the same capture, byte for byte
#
#   +--------+        +------------------------------------+
#   | sender | a0 -- b0 | monitor (passive, rx checksums   |
#   |        |        |   verified by mos: rx offload off) |
#   |        |        |   recdump (ASan build)             |
#   +--------+        +------------------------------------+
#
# kmod/deliver.c routes the tracker's records to consumers in mos.ko and
# in libmosuser's offline backend.  For each replay capture (craft_pcaps.py,
# offline_pcaps.py, hostile_pcaps.py's that the kernel sees as the capture
# reader does), recdump subscribes to everything in the monitor (every
# event at every hook, stream bytes of both sides, filtered and raw
# sockets) while selftests/lib/pcap_send puts the capture on a0; then recdump
# -r makes the offline backend's records of the same file.  The two dumps
# must be equal, ts_ns aside (recdump.c says why).  The monitor routes
# nothing: its stack drops the packets after the hooks and nothing
# answers.  The namespace is enabled afresh for each capture, so flow ids
# count from 1 in both, and nothing expires (every timeout is long).  The
# last capture is replayed twice: once with recdump attached after the
# namespace is enabled, as all the others, once with it attached before.
#
# Compared: every record up to the last one that carries a packet.  What
# comes after is how the flows still open end: offline, the capture's end
# flushes them (CONN_END reason flush, FLOW_CLOSE, in the order of the
# table's keyed hash); live, they would time out much later.
#
# Not compared: hostile_pcaps.py's frag.pcap (the kernel reassembles IP
# fragments, the capture reader does not) and ipbad.pcap (the kernel drops
# its packets before any hook); truncated.pcap makes no record.

. "$(dirname "$0")/../lib/lib.sh"

A=dla-$$ B=dlb-$$
work=$(mktemp -d)
rd=''
defer_teardown rd

SEND=$PROJ/build/selftests/pcap_send
RD=$PROJ/build/selftests/recdump
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
DST=02:00:00:00:01:02		# b0 (link_bare() below)

# upto_last_packet: the lines up to the last record that carries a packet
upto_last_packet() {
	tac | sed -n '/ pkt=1 /,$p' | tac
}

# live NAME FILE [first]: the kernel's records of FILE into $work/NAME.live;
# with "first", recdump attaches before the namespace is enabled (the
# table then starts with a listener: mos_tm_set_heard())
live() {
	local name=$1 f=$2 first=${3:-} rc
	if [ -z "$first" ]; then
		"$MOSCTL" -n "$B" ns enable passive || return 1
	fi
	ip netns exec "$B" "$RD" >"$work/$name.live" 2>"$work/$name.err" &
	rd=$!
	wait_ready "$work/$name.err" "$rd" &&
		{ [ -z "$first" ] || "$MOSCTL" -n "$B" ns enable passive; } &&
		ip netns exec "$A" "$SEND" a0 "$DST" "$f" >/dev/null &&
		mos_settle "$B"
	rc=$?
	kill -INT "$rd"
	wait_pid "$rd" 60 || rc=1
	rd=
	"$MOSCTL" -n "$B" ns disable || rc=1
	return $rc
}

ktap_begin
for b in "$SEND" "$RD"; do
	[ -x "$b" ] || { t_fail "binaries" "$b missing (make user)"; ktap_end; }
done
replay_pcaps || exit 1
pc=$PCAPS
caps=("$pc"/craft/*.pcap)
for n in flags random mixed; do
	caps+=("$pc/hostile/$n.pcap")
done

t_check "load mos.ko" mos_load
ns_new "$A" && ns_new "$B" && link_bare "$A" a0 1 "$B" b0 2 1 || exit 1
# mos verifies TCP checksums only when the device did not; so does
# recdump -r (checksum mode verify)
t_check "b0 leaves checksums to the stack" ip netns exec "$B" ethtool -K b0 rx off
t_check "nothing expires during the test" mos_no_expiry "$B"

# The last capture again, with the consumer attached before enabling
last=${caps[-1]}
caps+=("$last:first")
for c in "${caps[@]}"; do
	f=${c%:first} first=
	name=$(basename "$f" .pcap)
	if [ "$c" != "$f" ]; then
		first=first name=$name.first
	fi
	if ! live "$name" "$f" $first; then
		t_fail "$name: the kernel's records" "$(cat "$work/$name.err")"
		continue
	fi
	if ! "$RD" -r "$f" >"$work/$name.off" 2>>"$work/$name.err"; then
		t_fail "$name: the offline backend's records" "$(cat "$work/$name.err")"
		continue
	fi
	upto_last_packet <"$work/$name.live" >"$work/$name.live.cmp"
	upto_last_packet <"$work/$name.off" >"$work/$name.off.cmp"
	n=$(wc -l <"$work/$name.off.cmp")
	if [ "$n" -gt 0 ] && cmp -s "$work/$name.live.cmp" "$work/$name.off.cmp"; then
		t_ok "$name: the same $n records, live and offline"
	else
		t_fail "$name: the same records, live and offline" \
			"$(wc -l <"$work/$name.live.cmp") live, $n offline"
		diff "$work/$name.live.cmp" "$work/$name.off.cmp" | cut -c1-160 |
			head -20 | sed 's/^/# /'
	fi
done
t_no_sanitizer "recdump" <(cat "$work"/*.err)
ktap_end
