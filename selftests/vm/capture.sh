#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# capture.sh - real TCP transfers through a router, captured there, with
# netem impairments; the captures are what replay_diff.sh replays
#
#   +----------+          +--------------------+          +----------+
#   |  client  |  veth    |  router            |  veth    |  server  |
#   | 10.0.1.2 |----------| 10.0.1.1  10.0.2.1 |----------| 10.0.2.2 |
#   | fd00:1::2| c0    r0 | fd00:1::1 fd00:2::1| r1    s0 | fd00:2::2|
#   +----------+          +--------------------+          +----------+
#        netem on c0 and s0 (before the capture), sometimes r0 and r1 (after)
#
# The router captures with `tcpdump -i any -Q in`: each packet once, as it
# enters the router.  These are the packets mos sees at PRE_ROUTING, but
# for corrupted ones whose IP header the router drops before that hook.
# mos.ko is not loaded: the captures are replayed on the host, through
# the same core (build/bin/mosreplay).
#
# Each case writes into $MOS_RESULTS/captures (or $MOS_CAPTURE_DIR):
#   NAME.pcap                   the capture (Linux cooked, "any")
#   NAME.conns                  "K CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT"
#   NAME.K.c2s, NAME.K.s2c      the bytes the client and the server sent on
#                               connection K (empty for the unused
#                               direction); the receiver got exactly these
#                               bytes, which the test checks by sha256
# Payloads are files rather than only sums so that replay_diff.sh can
# print the offset where a replay goes wrong.
#
# Offloads.  All segmentation offloads and GRO are off on every veth, so
# each captured packet is one segment as a wire would carry it, and netem
# drops, reorders, duplicates or corrupts single segments, not 64 KB
# aggregates (a lost aggregate would be dozens of segments at once).
# Transmit checksum offload is off on c0 and s0, so the endpoints put
# real TCP checksums in every packet: on veth a CHECKSUM_PARTIAL packet
# crosses with its checksum unfinished, and the capture could not tell a
# corrupted segment from a merely unfinished one.  The corrupted segments
# then carry wrong checksums: the capture has them, the receiver drops
# them, and TCP sends the bytes again.  replay_diff.sh replays with
# --checksum verify.
#
# Impairments.  A netem qdisc on c0 or s0 acts before the capture point,
# so the capture shows its effect: holes filled later by retransmissions
# (loss), segments out of order (reorder), duplicates, bad checksums.  A
# netem qdisc on the router's own r0 or r1 acts after the capture point:
# the capture then has the segment and, later, its retransmission.  The
# loss case does both.
#
# Ports are fixed (socat sourceport=) so the file names of a replay are
# known; they differ between cases, so captures can be merged.

. "$(dirname "$0")/../lib/lib.sh"

# mos is not loaded here: on the sanitizer kernel there is nothing of
# mos's to check, and the captures come from the release kernels.
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo "# capture.sh: captures are made on the release kernels only"
	exit "$KSFT_SKIP"
fi

out=${MOS_CAPTURE_DIR:-${MOS_RESULTS:+$MOS_RESULTS/captures}}
if [ -z "$out" ]; then
	echo "# capture.sh: no MOS_RESULTS (run it with tools/vm/run) nor MOS_CAPTURE_DIR"
	exit "$KSFT_SKIP"
fi
for tool in tcpdump ethtool socat tc; do
	command -v $tool >/dev/null || { echo "# capture.sh: $tool missing (make deps)"; exit "$KSFT_SKIP"; }
done

sfx=$$
C=cli-$sfx R=rtr-$sfx S=srv-$sfx
work=$(mktemp -d)
dump_pid=
defer rm -rf "$work"
defer ns_cleanup
defer kill_pids dump_pid

ktap_begin
mkdir -p "$out" || exit 1

ns_new "$C" && ns_new "$R" && ns_new "$S" || exit 1
link "$C" c0 2 "$R" r0 1 1
link "$R" r1 1 "$S" s0 2 2
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n "$C" route add default via 10.0.1.1
ip -n "$C" -6 route add default via fd00:1::1
ip -n "$S" route add default via 10.0.2.1
ip -n "$S" -6 route add default via fd00:2::1
for nd in "$C c0" "$R r0" "$R r1" "$S s0"; do
	read -r ns dev <<<"$nd"
	ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1
done
# The receivers' windows stay below the monitor's out-of-order store per
# side (TM_DEF_BUF_SIDE, 256 KiB): with tcp_rmem at most 256 KiB the
# largest window advertised in the corrupt case's capture on 6.1 was
# 131,072 bytes (850,688 with the default).  A corrupted segment sent again
# only on timeout once left a hole while some 400 KB came after it: the
# store refused the rest (ERROR events), and the replay reported a gap the
# receiver never had.
for ns in "$C" "$S"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 131072 262144" || exit 1
done
# tx off also turns scatter-gather off; ethtool lists what changed.
ip netns exec "$C" ethtool -K c0 tx off >/dev/null 2>&1
ip netns exec "$S" ethtool -K s0 tx off >/dev/null 2>&1
log "c0: $(ip netns exec "$C" ethtool -k c0 | grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' | tr -s '\n\t ' ' ')"

# --- capture ------------------------------------------------------------

# cap_start NAME: start capturing in the router
cap_start() {
	name=$1
	cap_t0=$(date +%s)
	: >"$work/$name.conns"
	ip netns exec "$R" tcpdump -i any -Q in -s 0 -B 16384 -Z root \
		-w "$work/$name.pcap" tcp \
		2>"$work/$name.tcpdump" &
	dump_pid=$!
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$work/$name.tcpdump" && return 0
		nap 0.1
	done
	t_fail "$name: tcpdump starts" "$(cat "$work/$name.tcpdump")"
	kill "$dump_pid" 2>/dev/null
	dump_pid=
	return 1
}

# settle: wait until no connection is open in the client or the server
# (TIME-WAIT is done: its last ACK has passed the router), 60 s at most
settle() {
	local ns busy st _ end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ]; do
		busy=
		for ns in "$C" "$S"; do
			# the first column is the state
			while read -r st _; do
				[ -n "$st" ] && [ "$st" != TIME-WAIT ] && busy=1
			done <<<"$(ss -N "$ns" -Htan state connected state listening)"
		done
		[ -z "$busy" ] && return 0
		nap 0.1
	done
	log "connections still open after 60 s:"
	for ns in "$C" "$S"; do ss -N "$ns" -Htan | sed 's/^/#   /'; done
	return 1
}

# cap_stop: stop capturing, check nothing was dropped, keep the files
cap_stop() {
	local dropped
	settle
	# libpcap's TPACKET_V3 ring hands packets over a block at a time, when
	# the block is full or tcpdump's 1 s timeout retires it; the block
	# still open when tcpdump stops is lost, and not counted as dropped.
	# So let it retire first.  (--immediate-mode would avoid the wait but
	# uses TPACKET_V2, whose frames are snaplen-sized: with -s 0 the ring
	# holds a few dozen packets and drops most of a transfer.)
	nap 1.5
	kill -INT "$dump_pid"
	wait "$dump_pid"
	dump_pid=
	dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$work/$name.tcpdump")
	t_eq "$name: capture complete, no packet dropped by the kernel" 0 "${dropped:-?}"
	log "$name: $(grep 'captured' "$work/$name.tcpdump"), $(($(date +%s) - cap_t0)) s"
	cp "$work/$name.pcap" "$work/$name.conns" "$out/" &&
		cp "$work/$name".[0-9]*.c2s "$work/$name".[0-9]*.s2c "$out/"
}

# netem NS DEV ARGS...: impair DEV's egress
netem() {
	local ns=$1 dev=$2 err
	shift 2
	err=$(tc -n "$ns" qdisc replace dev "$dev" root netem "$@" 2>&1) ||
		t_fail "netem $* on $dev" "$err"
}

netem_clear() {
	tc -n "$C" qdisc del dev c0 root 2>/dev/null
	tc -n "$S" qdisc del dev s0 root 2>/dev/null
	tc -n "$R" qdisc del dev r0 root 2>/dev/null
	tc -n "$R" qdisc del dev r1 root 2>/dev/null
	return 0
}

# --- transfers ----------------------------------------------------------

# ready: in a transfer's subshell, once its server listens: say so, and
# wait for xfer_wait's go, so that concurrent transfers start together
ready() {
	touch "$b.ready"
	while [ ! -e "$work/go" ]; do nap 0.05; done
}

# xfer KIND K FAMILY CLIENT_PORT SERVER_PORT C2S_BYTES S2C_BYTES
#   KIND: down (the server sends S2C_BYTES), up (the client sends
#   C2S_BYTES), both (the client sends, half-closes; the server reads all,
#   then answers).  Runs in the background; xfer_wait starts the clients
#   and checks.
xfer() {
	local kind=$1 k=$2 fam=$3 cport=$4 sport=$5 nc=$6 ns=$7
	local b=$work/$name.$k cip sip to
	if [ "$fam" = 6 ]; then
		cip=fd00:1::2 sip=fd00:2::2 to="[fd00:2::2]"
	else
		cip=10.0.1.2 sip=10.0.2.2 to=10.0.2.2
	fi
	echo "$k $cip $cport $sip $sport" >>"$work/$name.conns"
	head -c "$nc" /dev/urandom >"$b.c2s"
	head -c "$ns" /dev/urandom >"$b.s2c"
	(
		case $kind in
		down)
			ip netns exec "$S" socat -u "FILE:$b.s2c" \
				"TCP6-LISTEN:$sport,reuseaddr,ipv6only=0" &
			srv=$!
			wait_listen "$S" "$sport" >/dev/null
			ready
			ip netns exec "$C" timeout 120 socat -u \
				"TCP:$to:$sport,sourceport=$cport" "CREATE:$b.got.s2c"
			;;
		up)
			ip netns exec "$S" socat -u \
				"TCP6-LISTEN:$sport,reuseaddr,ipv6only=0" "CREATE:$b.got.c2s" &
			srv=$!
			wait_listen "$S" "$sport" >/dev/null
			ready
			ip netns exec "$C" timeout 120 socat -u "FILE:$b.c2s" \
				"TCP:$to:$sport,sourceport=$cport"
			;;
		both)
			ip netns exec "$S" socat -t 120 \
				"TCP6-LISTEN:$sport,reuseaddr,ipv6only=0" \
				"SYSTEM:cat >$b.got.c2s; cat $b.s2c" &
			srv=$!
			wait_listen "$S" "$sport" >/dev/null
			ready
			ip netns exec "$C" timeout 120 socat -t 120 \
				"OPEN:$b.c2s,rdonly!!CREATE:$b.got.s2c" \
				"TCP:$to:$sport,sourceport=$cport"
			;;
		esac
		echo "client exit $?" >"$b.rc"
		wait_pid "$srv" 120 >/dev/null
		echo "server exit $?" >>"$b.rc"
	) &
	xfer_pids+=($!)
	xfer_list+=("$kind:$k")
}

# xfer_wait: wait for the transfers, check every received byte
xfer_wait() {
	local p x kind k b d got
	# Every server listens (60 s at most): start the clients.
	local end=$((SECONDS + 60))
	for x in "${xfer_list[@]}"; do
		b=$work/$name.${x#*:}
		while [ $SECONDS -lt $end ] && [ ! -e "$b.ready" ]; do
			nap 0.05
		done
	done
	touch "$work/go"
	for p in "${xfer_pids[@]}"; do
		wait "$p"
	done
	rm -f "$work/go" "$work/$name".*.ready
	for x in "${xfer_list[@]}"; do
		kind=${x%%:*} k=${x#*:}
		b=$work/$name.$k
		for d in c2s s2c; do
			case $kind$d in upc2s | downs2c | both*) ;; *) continue ;; esac
			got=$(sha256sum <"$b.got.$d" 2>/dev/null | cut -d' ' -f1)
			t_eq "$name: connection $k: $d bytes arrived intact ($(stat -c %s "$b.$d") bytes)" \
				"$(sha256sum <"$b.$d" | cut -d' ' -f1)" "$got"
		done
		grep -q 'client exit 0' "$b.rc" && grep -q 'server exit 0' "$b.rc" ||
			log "$name: connection $k: $(tr '\n' ' ' <"$b.rc")"
		rm -f "$b.got.c2s" "$b.got.s2c" "$b.rc"
	done
	xfer_pids=() xfer_list=()
}
xfer_pids=() xfer_list=()

# A KiB, or a quarter of one on the sanitizer kernel (as BLOB_SIZE): the
# sizes below are in KB.
KB=1024
[ -e /sys/kernel/debug/kmemleak ] && KB=256

# 1. IPv4, clean: a download.
cap_start clean4 &&
	{ xfer down 0 4 40001 9001 0 $((768 * KB)); xfer_wait; cap_stop; }

# 2. IPv6, clean: an upload.
cap_start clean6 &&
	{ xfer up 0 6 40002 9002 $((768 * KB)) 0; xfer_wait; cap_stop; }

# 3. Loss: 3% before the capture point (holes the router never sees
# filled), 2% after it (segments the router saw, sent again).
netem "$C" c0 loss 3%
netem "$S" s0 loss 3%
netem "$R" r0 loss 2%
netem "$R" r1 loss 2%
cap_start loss &&
	{ xfer down 0 4 40003 9003 0 $((768 * KB)); xfer_wait
	  xfer up 1 6 40004 9004 $((512 * KB)) 0; xfer_wait; cap_stop; }
netem_clear

# 4. Reordering: a quarter of the segments (correlated 50%) skip the
# 10 ms delay the others get.
netem "$C" c0 delay 10ms reorder 25% 50%
netem "$S" s0 delay 10ms reorder 25% 50%
cap_start reorder &&
	{ xfer down 0 4 40005 9005 0 $((768 * KB)); xfer_wait; cap_stop; }
netem_clear

# 5. Duplicates: 5% of the segments twice.
netem "$C" c0 duplicate 5%
netem "$S" s0 duplicate 5%
cap_start duplicate &&
	{ xfer down 0 4 40006 9006 0 $((768 * KB)); xfer_wait
	  xfer up 1 6 40007 9007 $((256 * KB)) 0; xfer_wait; cap_stop; }
netem_clear

# 6. Corruption: a bit flipped in some packets; the receivers drop those
# (bad checksum) and the bytes come again.  Measured in the guests, 5%
# leaves some 30 bad segments in 1450 packets; 1% once left only 2.
netem "$C" c0 corrupt 5%
netem "$S" s0 corrupt 5%
cap_start corrupt &&
	{ xfer down 0 4 40008 9008 0 $((1024 * KB)); xfer_wait
	  xfer up 1 6 40009 9009 $((512 * KB)) 0; xfer_wait; cap_stop
	  # tcpdump -v checks TCP checksums: "incorrect" for a bad one.
	  n=$(tcpdump -r "$out/corrupt.pcap" -nn -v 2>/dev/null | grep -c 'cksum 0x[0-9a-f]* (incorrect')
	  if [ "$n" -gt 0 ]; then
		t_ok "corrupt: $n segments with a bad TCP checksum in the capture"
	  else
		t_fail "corrupt: segments with a bad TCP checksum in the capture" "none: nothing tests --checksum verify"
	  fi; }
netem_clear

# 7. Both directions on one connection: the client uploads, half-closes,
# the server answers.
cap_start exchange &&
	{ xfer both 0 4 40010 9010 $((300 * KB)) $((500 * KB)); xfer_wait; cap_stop; }

# 8. Concurrent connections, both families, both directions.  Under TCG
# starting a client takes longer than a transfer at full speed, so the
# links are slowed to 4 Mbit/s for the transfers to overlap.
netem "$C" c0 delay 5ms rate 4mbit
netem "$S" s0 delay 5ms rate 4mbit
cap_start concurrent &&
	{ xfer down 0 4 40011 9011 0 $((300 * KB))
	  xfer down 1 6 40012 9012 0 $((300 * KB))
	  xfer up 2 4 40013 9013 $((300 * KB)) 0
	  xfer both 3 6 40014 9014 $((200 * KB)) $((200 * KB))
	  xfer_wait; cap_stop; }
netem_clear

log "captures in $out: $(cd "$out" && ls ./*.pcap | wc -l) files, $(du -sh "$out" | cut -f1)"
ns_cleanup
ktap_end
