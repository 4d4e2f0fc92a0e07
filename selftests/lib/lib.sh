# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - helpers for the VM tests: KTAP output, the module, namespaces,
# traffic, and the nft counters used as an independent oracle.
#
# Sourced by each test script.  Tests run as root inside the test VM
# (tools/vm/run), with the project tree at the same path as on the host.

set -u

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJ=$(cd "$SELFTESTS/.." && pwd)
MOSCTL=${MOSCTL:-$PROJ/build/bin/mosctl}
MOS_KO=$PROJ/build/$(uname -r)/mos.ko
KSFT_SKIP=4
# Transfer size: smaller on the sanitizer kernel, several times slower.
BLOB_SIZE=3000000
[ -e /sys/kernel/debug/kmemleak ] && BLOB_SIZE=600000

# --- clean-up ---------------------------------------------------------
#
# A test undoes what it set up through defer: right after a step that
# leaves something behind (a directory, a namespace, a process, the
# module), it defers the command that undoes it.  When the test exits,
# however it exits (its end, exit after a failure, a signal, set -u), the
# EXIT trap set here runs the deferred commands last in, first out: the
# teardown is the setup in reverse, and a test that stops half-way undoes
# only what it did.  A test sets no EXIT trap of its own.
#
#   work=$(mktemp -d)
#   defer rm -rf "$work"
#   ...
#   ns_new "$N"
#   defer ip netns del "$N"
#
# defer_teardown defers at once what most VM tests leave behind.
# The arguments are taken when defer runs; for a value only known at
# exit, defer a function, or "defer eval 'COMMAND LINE'".  defer works in
# the test's own shell, not in a subshell or a pipeline.

_defer_cmds=()

# defer CMD [ARG...]: run CMD ARG... when the test exits
defer() {
	local cmd
	printf -v cmd '%q ' "$@"
	_defer_cmds+=("$cmd")
}

# defer_run: the deferred commands, the newest first, each once; one that
# fails does not stop the others
defer_run() {
	local i
	for ((i = ${#_defer_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_defer_cmds[i]}"
	done
	_defer_cmds=()
}
trap defer_run EXIT

# defer_teardown [NAME...]: defer the teardown of a VM test: when it
# exits, kill the processes in the variables NAME... (kill_pids), remove
# the namespaces of ns_new (ns_cleanup), unload mos.ko if it is loaded
# (mos_cleanup), remove the directory $work if the test has one.  What is
# deferred after it runs before it.
defer_teardown() {
	[ -n "${work:-}" ] && defer rm -rf "$work"
	defer mos_cleanup
	defer ns_cleanup
	[ $# -eq 0 ] || defer kill_pids "$@"
}

# kill_pids NAME...: kill the processes whose ids the variables or arrays
# NAME hold (now: "defer kill_pids pids" kills those in pids at exit);
# unset or empty ones and processes already gone are no error
kill_pids() {
	local name ids p
	for name in "$@"; do
		declare -p "$name" >/dev/null 2>&1 || continue
		ids="${name}[@]"
		for p in "${!ids}"; do
			[ -n "$p" ] && kill "$p" 2>/dev/null
		done
	done
	return 0
}

# --- KTAP -------------------------------------------------------------

_t_n=0
_t_failed=0
_t_last=$EPOCHREALTIME

# _t_time: with MOS_CHECK_TIMES set, how long the check just reported took
_t_time() {
	[ -n "${MOS_CHECK_TIMES:-}" ] || return 0
	local now=$EPOCHREALTIME
	printf '# %.1fs\n' "$(echo "$now - $_t_last" | bc)"
	_t_last=$now
}

ktap_begin() {
	echo "TAP version 13"
}

# t_ok NAME: a passed check
t_ok() {
	_t_n=$((_t_n + 1))
	echo "ok $_t_n $1"
	_t_time
}

# t_fail NAME [WHY...]: a failed check
t_fail() {
	_t_n=$((_t_n + 1))
	_t_failed=$((_t_failed + 1))
	echo "not ok $_t_n $1"
	_t_time
	shift
	[ $# -gt 0 ] && echo "# $*"
	return 0
}

# t_skip NAME WHY: a check whose prerequisite is absent
t_skip() {
	_t_n=$((_t_n + 1))
	echo "ok $_t_n $1 # SKIP $2"
	_t_time
}

# t_check NAME COMMAND...: run COMMAND, ok if it succeeds
t_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		t_ok "$name"
	else
		t_fail "$name" "command failed: $*"
		[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	fi
}

# t_eq NAME EXPECTED SEEN
t_eq() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1" "expected '$2', got '$3'"
	fi
}

# ktap_end: the plan and the exit status
ktap_end() {
	echo "1..$_t_n"
	[ $_t_failed -eq 0 ]
	exit $?
}

log() {
	echo "# $*"
}

# t_no_sanitizer NAME FILE: fail if ASan or UBSan said anything in FILE
t_no_sanitizer() {
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$2"; then
		t_fail "$1: no sanitizer report" "$(grep -m3 -E 'Sanitizer|runtime error' "$2")"
	else
		t_ok "$1: no sanitizer report"
	fi
}

# scapy_python: set PY to a python3 with scapy, or skip the whole test
# (the python3 first in PATH may be a private one without scapy).  The
# package is looked for, not imported: importing scapy.all takes a TCG
# guest about 5 s, which the test's own script pays again.
scapy_python() {
	local p
	PY=
	for p in python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null &&
		   "$p" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("scapy") is None)' 2>/dev/null; then
			PY=$p
			return 0
		fi
	done
	echo "# python3 with scapy not found (tools/deps installs python3-scapy)"
	echo "1..0 # SKIP no scapy"
	exit "$KSFT_SKIP"
}

# need_btf: mos.ko's XDP kfunc is resolved against the kernel's BTF; on a
# kernel built without it (the prebuilt debug kernel) mos cannot attach by
# XDP at all, and the XDP tests skip.  Debian's kernels and the debug
# kernel tools/vm/build-debug-kernel --btf builds have it.
need_btf() {
	[ -e /sys/kernel/btf/vmlinux ] && return 0
	echo "1..0 # SKIP kernel $(uname -r) has no BTF: no XDP attachment (Documentation/xdp.rst)"
	exit "$KSFT_SKIP"
}

# nap SECONDS: sleep without starting a process.  Under TCG every
# program started costs a tenth of a second or more of the guest's only
# host thread, which polling loops would take from what they wait for:
# this is a read that times out on a FIFO nobody writes.
_nap_dir=$(mktemp -d) && mkfifo "$_nap_dir/fifo" && exec {_nap_fd}<>"$_nap_dir/fifo"
rm -rf "$_nap_dir"
nap() {
	read -r -t "$1" -u "$_nap_fd" _
	return 0
}

# kv TEXT KEY: the value of every "KEY VALUE" line of TEXT (the output of
# mosctl stats), without starting awk
kv() {
	local k v _
	while read -r k v _; do
		[ "$k" = "$2" ] && echo "$v"
	done <<<"$1"
}

# --- the module ------------------------------------------------------------

mos_load() {
	local m
	[ -f "$MOS_KO" ] || { echo "# $MOS_KO missing (make)"; return 1; }
	# The Debian kernels have nf_defrag_* as modules; the debug kernel
	# has them built in and no /lib/modules tree.  Once loaded they stay:
	# modprobe runs only while one is missing.
	if [ -d "/lib/modules/$(uname -r)" ]; then
		for m in nf_defrag_ipv4 nf_defrag_ipv6 nf_reject_ipv4 nf_reject_ipv6; do
			[ -d "/sys/module/$m" ] && continue
			modprobe -a nf_defrag_ipv4 nf_defrag_ipv6 nf_reject_ipv4 nf_reject_ipv6 || return 1
			break
		done
	fi
	insmod "$MOS_KO" "$@"
}

# kmod_load NAME: load kernel module NAME; a kernel whose tree lacks it
# (the debug kernel has no tun) takes build/RELEASE/extra/NAME.ko when
# tools/vm/debug-extmods built one
kmod_load() {
	local ko=$PROJ/build/$(uname -r)/extra/$1.ko

	[ -d "/sys/module/$1" ] && return 0
	modprobe -q "$1" 2>/dev/null && return 0
	[ -f "$ko" ] && insmod "$ko"
}

mos_unload() {
	rmmod mos
}

mos_loaded() {
	[ -d /sys/module/mos ]
}

# mos_cleanup: unload mos.ko if it is loaded (deferred by the tests)
mos_cleanup() {
	! mos_loaded || mos_unload
}

# mos_stat NS NAME: one counter of namespace NS ("" = this one)
mos_stat() {
	local ns=${1:+-n $1}
	# shellcheck disable=SC2086
	kv "$("$MOSCTL" $ns stats)" "$2"
}

# wait_ready FILE PID: wait until FILE (a program's stderr) says "ready",
# 30 s at most, or until process PID has ended; false if it never did
wait_ready() {
	for _ in $(seq 1 300); do
		grep -q ready "$1" && return 0
		kill -0 "$2" 2>/dev/null || break
		nap 0.1
	done
	grep -q ready "$1"
}

# mos_settle NS [COUNTER]: wait until a counter of the monitor in NS
# (packets by default) stops moving (15 s at most); false if it never does
mos_settle() {
	local a b c=${2:-packets}
	a=$(mos_stat "$1" "$c")
	for _ in $(seq 1 50); do
		nap 0.3
		b=$(mos_stat "$1" "$c")
		[ "$a" = "$b" ] && return 0
		a=$b
	done
	return 1
}

# mos_no_expiry NS: no flow of NS's monitor times out during the test
mos_no_expiry() {
	local s set=()
	for s in CLOSED LISTEN SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 \
		 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT; do
		set+=(timeout "$s" 100000)
	done
	# Nor does a store's hole age: a day
	"$MOSCTL" -n "$1" set "${set[@]}" store-age 86400000
}

# replay_pcaps: set PCAPS to the directory of the crafted and hostile
# captures: build/pcaps, which selftests/check makes on the host before
# the VMs boot, or, when a test runs by hand, $work/pcaps, made now
replay_pcaps() {
	PCAPS=$PROJ/build/pcaps
	[ -d "$PCAPS/hostile" ] && return 0
	scapy_python || return 1
	PCAPS=$work/pcaps
	"$PY" "$SELFTESTS/lib/craft_pcaps.py" "$PCAPS/craft" >/dev/null &&
		"$PY" "$SELFTESTS/lib/hostile_pcaps.py" "$PCAPS/hostile"
}

# --- namespaces ------------------------------------------------------------

_ns_list=()

# ns_new NAME: a namespace with lo up and quiet: no DAD, no router
# solicitations, no link-local addresses, MLD and IGMP reports sent once
# at once.  The sysctls are written by the shell itself (/proc/sys in the
# namespace), not by one sysctl process each.
ns_new() {
	ip netns add "$1" || return 1
	_ns_list+=("$1")
	ip -n "$1" link set lo up
	ip netns exec "$1" sh -c '
		w() { echo "$2" >"/proc/sys/$1"; }
		for c in all default; do
			for k in accept_dad=0 router_solicitations=0 accept_ra=0 \
				addr_gen_mode=1 mldv2_unsolicited_report_interval=1 \
				mldv1_unsolicited_report_interval=1; do
				w "net/ipv6/conf/$c/${k%%=*}" "${k#*=}"
			done
		done
		w net/ipv6/mld_qrv 1 2>/dev/null
		w net/ipv4/igmp_qrv 1 2>/dev/null
		for c in all default; do
			w "net/ipv4/conf/$c/igmpv3_unsolicited_report_interval" 1
			w "net/ipv4/conf/$c/igmpv2_unsolicited_report_interval" 1
		done
		true'
}

ns_cleanup() {
	local ns
	for ns in "${_ns_list[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	_ns_list=()
}

# veth NS1 DEV1 ADDR1 NS2 DEV2 ADDR2 IDX: the veth pair of link(), down,
# without addresses; the MACs are 02:00:00:00:IDX:ADDR.
veth() {
	ip link add "$2" netns "$1" address "$(printf '02:00:00:00:%02x:%02x' "$7" "$3")" \
		type veth peer name "$5" netns "$4" \
		address "$(printf '02:00:00:00:%02x:%02x' "$7" "$6")"
}

# link NS1 DEV1 ADDR1 NS2 DEV2 ADDR2 IDX: a veth pair with fixed MACs,
# IPv4 10.0.IDX.{1,2}/24 on ADDR1/ADDR2 = 1|2, IPv6 fd00:IDX::{1,2}/64, and
# permanent neighbour entries both ways, so no ARP or ND runs.
link() {
	local ns1=$1 d1=$2 h1=$3 ns2=$4 d2=$5 h2=$6 i=$7
	local m1 m2
	m1=$(printf '02:00:00:00:%02x:%02x' "$i" "$h1")
	m2=$(printf '02:00:00:00:%02x:%02x' "$i" "$h2")
	veth "$@" || return 1
	# One ip process per namespace (-force: go on after an error, as
	# separate commands would).
	ip -force -n "$ns1" -batch - <<-EOF
		addr add 10.0.$i.$h1/24 dev $d1
		addr add fd00:$i::$h1/64 dev $d1 nodad
		neigh add 10.0.$i.$h2 lladdr $m2 dev $d1 nud permanent
		neigh add fd00:$i::$h2 lladdr $m2 dev $d1 nud permanent
		link set $d1 up
	EOF
	ip -force -n "$ns2" -batch - <<-EOF
		addr add 10.0.$i.$h2/24 dev $d2
		addr add fd00:$i::$h2/64 dev $d2 nodad
		neigh add 10.0.$i.$h1 lladdr $m1 dev $d2 nud permanent
		neigh add fd00:$i::$h1 lladdr $m1 dev $d2 nud permanent
		link set $d2 up
	EOF
}

# link_bare NS1 DEV1 ADDR1 NS2 DEV2 ADDR2 IDX: the veth pair of link(), up,
# without addresses, for packets sent over AF_PACKET.  Neither end then
# sends anything of its own: with an IPv6 address, each end joins that
# address's solicited-node group and reports it (MLDv2) once the link is
# up, up to a second later, which a test counting the packets a monitor
# sees would count.
link_bare() {
	veth "$@" || return 1
	ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}

# router_topology C R S: client C and server S on both sides of router R
#
#   C 10.0.1.2 fd00:1::2 (c0) -- (r0) 10.0.1.1 fd00:1::1  R
#   R 10.0.2.1 fd00:2::1 (r1) -- (s0) 10.0.2.2 fd00:2::2  S
router_topology() {
	local c=$1 r=$2 s=$3
	ns_new "$c" && ns_new "$r" && ns_new "$s" || return 1
	link "$c" c0 2 "$r" r0 1 1 || return 1
	link "$r" r1 1 "$s" s0 2 2 || return 1
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$c" route add default via 10.0.1.1
	ip -n "$c" -6 route add default via fd00:1::1
	ip -n "$s" route add default via 10.0.2.1
	ip -n "$s" -6 route add default via fd00:2::1
}

# bridged C B S: namespaces C, B and S, C's c0 and S's s0 linked to the
# ports b0 and b1 (MACs 02:00:00:00:04:11 and :12) of the bridge br0 in
# B, which has no address of its own (IPv6 off on br0, b0, b1), all up;
# c0 and s0 down, without addresses (MACs 02:00:00:00:04:01 and :02)
bridged() {
	local d

	ns_new "$1" && ns_new "$2" && ns_new "$3" || return 1
	veth "$1" c0 1 "$2" b0 11 4 || return 1
	veth "$3" s0 2 "$2" b1 12 4 || return 1
	ip -n "$2" link add br0 type bridge stp_state 0 || return 1
	for d in br0 b0 b1; do
		ip netns exec "$2" sh -c \
			"echo 1 >/proc/sys/net/ipv6/conf/$d/disable_ipv6"
	done
	ip -n "$2" link set b0 master br0 &&
		ip -n "$2" link set b1 master br0 || return 1
	for d in b0 b1 br0; do
		ip -n "$2" link set $d up || return 1
	done
}

# bridge_host NS DEV ADDR PEER: NS's DEV, an end of bridged()'s subnet:
# 10.0.4.ADDR/24 and fd00:4::ADDR/64, permanent neighbour entries for the
# end PEER (MAC 02:00:00:00:04:PEER), up; it computes its checksums and
# sends one segment per frame, as on a wire
bridge_host() {
	local pm
	pm=$(printf '02:00:00:00:04:%02x' "$4")
	ip -force -n "$1" -batch - <<-EOF
		addr add 10.0.4.$3/24 dev $2
		addr add fd00:4::$3/64 dev $2 nodad
		neigh add 10.0.4.$4 lladdr $pm dev $2 nud permanent
		neigh add fd00:4::$4 lladdr $pm dev $2 nud permanent
		link set $2 up
	EOF
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off >/dev/null 2>&1
}

# transfer_streams TAG DIR: the streams that evtrace -d wrote to DIR for
# the connections of transfers(): the uploads' server streams are what
# the server received ($work/up4, $work/up6), the downloads' client
# streams end with the blob ($sum)
transfer_streams() {
	local tag=$1 dir=$2
	t_eq "$tag: the IPv4 upload's stream is what the server received" \
		"$(sha256sum <"$work/up4" | cut -d' ' -f1)" \
		"$(cat "$dir"/*-9000.svr | sha256sum | cut -d' ' -f1)"
	t_eq "$tag: the IPv6 upload's stream is what the server received" \
		"$(sha256sum <"$work/up6" | cut -d' ' -f1)" \
		"$(cat "$dir"/*-9001.svr | sha256sum | cut -d' ' -f1)"
	t_eq "$tag: the downloads' client streams end with the blob" "$sum $sum" \
		"$(for f in "$dir"/*-8080.cli; do
			tail -c "$BLOB_SIZE" "$f" | sha256sum | cut -d' ' -f1
		done | xargs)"
}

# nft_pkts NS FAMILY TABLE NAME: the packets of NS's named nft counter
nft_pkts() {
	ctr_get "$(ip netns exec "$1" nft list counter "$2" "$3" "$4")" "$4" packets
}

# link_kv NS: "DEV.KEY VALUE" for every counter of NS's link show -j
link_kv() {
	"$MOSCTL" -n "$1" -j link show | python3 -c 'import json, sys
for l in json.load(sys.stdin)["links"]:
    for k, v in l.get("stats", {}).items():
        print(l["dev"] + "." + k, v)'
}

# link_snap NS: $lk, NS's link counters (link_kv), and $ox, the counters
# outside mos the test's outside() prints ("KEY VALUE" lines), read again
# until no frame arrived while they were read
link_snap() {
	local o1
	for _ in $(seq 1 30); do
		o1=$(outside)
		lk=$(link_kv "$1")
		ox=$(outside)
		[ "$o1" = "$ox" ] && return 0
		nap 0.3
	done
	log "frames kept arriving while the counters were read"
	return 1
}

# grown KEY: KEY's growth from $lk0/$ox0 to $lk/$ox (link_snap)
grown() {
	local a b nl=$'\n'
	a=$(kv "$lk$nl$ox" "$1") b=$(kv "$lk0$nl$ox0" "$1")
	echo $((${a:-0} - ${b:-0}))
}

# wait_ends FILE: wait until evtrace's FILE has the CONN_ENDs of four
# connections: each side ends at hook RCV, then SND (180 s)
wait_ends() {
	for _ in $(seq 1 600); do
		[ "$(grep -c ' CONN_END' "$1")" -ge 16 ] && return 0
		nap 0.3
	done
	return 1
}

# mirrored: the packets the mirror actions of $R's r0 and r1 sent
# (mirror_router())
mirrored() {
	local n=0 d
	for d in r0 r1; do
		n=$((n + $(tc -n "$R" -s filter show dev $d ingress |
			sed -n 's/.*Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' | head -n 1)))
	done
	echo $n
}

# mirror_router DEV: the router $R copies every packet r0 and r1 receive
# out of DEV (tc mirred), each one segment with a real checksum as on a
# wire: no TSO/GSO at the ends ($C's c0, $S's s0), no GRO in the router,
# every sender computing its checksums; the router's links and the
# monitor's m1 (in $M, peer of the router's m0) each go through one CPU's
# backlog (RPS), so the router sees each direction in the order it was
# sent and the monitor both in the order the router mirrored them
mirror_router() {
	local dev=$1 d
	for d in "$C c0" "$S s0" "$R r0" "$R r1" "$R m0"; do
		set -- $d
		ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1
	done
	ip netns exec "$M" sh -c 'echo 1 >/sys/class/net/m1/queues/rx-0/rps_cpus'
	ip netns exec "$R" sh -c 'for d in r0 r1; do echo 1 >/sys/class/net/$d/queues/rx-0/rps_cpus; done'
	for d in r0 r1; do
		tc -n "$R" qdisc add dev $d clsact || return 1
		tc -n "$R" filter add dev $d ingress matchall action mirred egress mirror dev "$dev" ||
			return 1
	done
}

# --- the oracle: nft counters next to mos's hooks ---------------------------
#
# mos hooks at -350.  The oracle's chains run at -351 (after defrag at
# -400, nothing between them and mos) and count what mos counts: every
# packet at output, every packet at prerouting except those from lo,
# already counted at output; "bytes" is skb->len for both.  nft cannot
# tell the local copies of sent multicast (PACKET_LOOPBACK) from received
# multicast: a test that makes them adds its own rule (loopback.sh).

oracle_add() {
	ip netns exec "$1" nft -f - <<'NFT'
table inet mos_oracle {
	counter pkts { }
	counter tcp4 { }
	counter tcp6 { }
	counter syn { }
	counter other { }
	counter big { }
	counter lopre { }
	counter mcloop { }
	counter loout { }
	chain count {
		counter name pkts
		meta nfproto ipv4 meta l4proto tcp counter name tcp4
		meta nfproto ipv6 meta l4proto tcp counter name tcp6
		meta l4proto != tcp counter name other
		tcp flags & syn == syn counter name syn
	}
	chain pre {
		type filter hook prerouting priority -351; policy accept;
		iifname "lo" counter name lopre return
		jump count
	}
	chain out {
		type filter hook output priority -351; policy accept;
		meta length > 1514 counter name big
		oifname "lo" counter name loout
		jump count
	}
}
NFT
}

# oracle_get NS NAME [bytes]: a counter's packets (or bytes)
oracle_get() {
	ctr_get "$(ip netns exec "$1" nft list counter inet mos_oracle "$2")" "$2" "${3:-packets}"
}

# ctr_get TEXT NAME FIELD: FIELD (packets or bytes) of counter NAME in
# TEXT, the output of nft list counter(s)
ctr_get() {
	local l name='' f
	while read -r l; do
		case $l in
		"counter "*" {") name=${l#counter }; name=${name% \{} ;;
		*" $3 "* | "$3 "*)
			[ "$name" = "$2" ] || continue
			f=" $l "
			f=${f#* $3 }
			echo "${f%% *}"
			return
			;;
		esac
	done <<<"$1"
}

# quiet NS: wait until nothing moves the oracle's counters for a second
quiet() {
	local ns=$1 a b i
	a=$(oracle_get "$ns" pkts)
	for i in $(seq 1 40); do
		nap 0.5
		b=$(oracle_get "$ns" pkts)
		if [ "$a" = "$b" ]; then
			nap 0.5
			[ "$(oracle_get "$ns" pkts)" = "$b" ] && return 0
		fi
		a=$b
	done
	log "namespace $ns never went quiet"
	return 1
}

# --- traffic ------------------------------------------------------------

# A file to serve, and its checksum.
make_blob() {
	head -c "$2" /dev/urandom >"$1"
	sha256sum <"$1" | cut -d' ' -f1
}

# http_server NS DIR PORT: an HTTP server on all addresses, IPv4 and
# IPv6: busybox's httpd, static, which starts at once where Python's
# http.server took seconds under TCG
http_server() {
	ip netns exec "$1" busybox httpd -f -c /dev/null -p "$3" -h "$2" \
		>/dev/null 2>&1 &
	wait_listen "$1" "$3"
}

# sink_server NS PORT FILE: receive one upload into FILE
sink_server() {
	ip netns exec "$1" socat -u "TCP6-LISTEN:$2,reuseaddr,ipv6only=0" "CREATE:$3" \
		>/dev/null 2>&1 &
	sink_pid=$!
	wait_listen "$1" "$2"
}

# wait_listen NS PORT [u]: wait for a TCP listener (a UDP socket with u),
# 60 s at most
wait_listen() {
	local end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ]; do
		[ -n "$(ss -N "$1" -Hl"${3:-t}"n "sport = :$2")" ] && return 0
		nap 0.1
	done
	log "nothing listens on port $2 in $1"
	return 1
}

# fetch NS URL: print the sha256 of what curl downloads
fetch() {
	ip netns exec "$1" curl -sSf --max-time 60 "$2" | sha256sum | cut -d' ' -f1
}

# upload NS FILE HOST PORT
upload() {
	local host=$3
	case "$host" in *:*) host="[$host]" ;; esac
	ip netns exec "$1" socat -u "FILE:$2" "TCP:$host:$4"
}

# wait_pid PID SECONDS: wait for a background job, kill it past SECONDS
wait_pid() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return; }
		nap 0.05
	done
	log "process $1 still running after $2 s: killed"
	kill "$1" 2>/dev/null
	wait "$1"
	return 1
}

# --- the counting check -------------------------------------------------------

# compare NS LABEL: mos's counters of NS against the oracle's, exactly
# (Both sides are frozen here: one reading of each serves every pair.)
compare() {
	local ns=$1 label=$2 m o ms os
	ms=$("$MOSCTL" -n "$ns" stats)
	os=$(ip netns exec "$ns" nft list counters table inet mos_oracle)
	for pair in packets:pkts bytes:pkts:bytes tcp4:tcp4 tcp6:tcp6 syn:syn nontcp:other; do
		IFS=: read -r mk ok of <<<"$pair"
		m=$(kv "$ms" "$mk")
		o=$(ctr_get "$os" "$ok" "${of:-packets}")
		t_eq "$label: $mk as counted by nft" "$o" "$m"
	done
	t_eq "$label: parse_errors" 0 "$(kv "$ms" parse_errors)"
}

# oracle_reset NS: zero the oracle's counters
oracle_reset() {
	ip netns exec "$1" nft reset counters table inet mos_oracle >/dev/null
}

# transfers TAG CLIENT_NS SERVER_NS ADDR4 ADDR6: downloads and uploads
# over IPv4 and IPv6, each checked byte for byte.  Needs $blob, $sum,
# http_server on port 8080 in SERVER_NS.
transfers() {
	local tag=$1 cns=$2 sns=$3 a4=$4 a6=$5 got
	t_eq "$tag: IPv4 download" "$sum" "$(fetch "$cns" "http://$a4:8080/blob")"
	t_eq "$tag: IPv6 download" "$sum" "$(fetch "$cns" "http://[$a6]:8080/blob")"
	sink_server "$sns" 9000 "$work/up4"
	upload "$cns" "$blob" "$a4" 9000
	wait_pid $sink_pid 60
	got=$(sha256sum <"$work/up4" | cut -d' ' -f1)
	t_eq "$tag: IPv4 upload" "$sum" "$got"
	sink_server "$sns" 9001 "$work/up6"
	upload "$cns" "$blob" "$a6" 9001
	wait_pid $sink_pid 60
	got=$(sha256sum <"$work/up6" | cut -d' ' -f1)
	t_eq "$tag: IPv6 upload" "$sum" "$got"
}
