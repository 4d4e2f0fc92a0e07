#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_conns.sh - 100000 concurrent monitored connections in one
# namespace (make check-stress)
#
#   +-------------------------+        +-------------------------------+
#   | client                  | c0--s0 | server (monitored, passive)   |
#   | connhold client         |        |  connhold server :5001        |
#   | 10.0.9.11 .. 10.0.9.14  |        |  ringcount (every flow, side) |
#   +-------------------------+        +-------------------------------+
#
# The connections are opened from four source addresses (one address has
# about 64000 ports here), all held open at once, then each sends 16
# bytes, then all close.  Checked:
#   - every connection is tracked at once: flows_active and flows equal
#     the count, nothing refused (flow_limit, nomem, mem_limit all 0) with
#     max-flows set to 110% of it;
#   - per-flow memory: the mos_flow object size is the documented one (192
#     bytes, plus the per-consumer part), and the memory charged to the
#     enabling cgroup per flow is one to two objects (give or take the
#     cgroup's per-CPU charge stock, 5 bytes per flow at 100000);
#   - bytes_c2s is exactly count x 16, and the consumer got all of them;
#   - every side's CONN_START gets exactly one CONN_END (ringcount pairs
#     them per flow id), no record lost, and the kernel's event counters
#     agree: ev_conn_start = ev_conn_end = 2 x count;
#   - the table empties once the connections are closed.
# MOS_STRESS_CONNS sets the count (default 100000, 20000 on the
# sanitizer kernel).

. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/stress_lib.sh"

C=stcc-$$ S=stcs-$$
work=$(mktemp -d)
cg=/sys/fs/cgroup/mos-stress-$$
defer eval '[ ! -d "$cg" ] || rmdir "$cg" 2>/dev/null'
stress_teardown

N=${MOS_STRESS_CONNS:-100000}
[ $DEBUG_KERNEL = 1 ] && N=${MOS_STRESS_CONNS:-20000}
NSRC=$(((N + 24999) / 25000))
MAXF=$((N + N / 10))

ktap_begin
log "$N connections from $NSRC addresses, max-flows $MAXF"
stress_topology "$C" "$S" "$NSRC" || exit 1
t_check "load mos.ko" mos_load

# The enabler in its own cgroup: what the flows cost is charged there
charged=0
if mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; then
	if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
		mkdir "$cg" && charged=1
	fi
fi
if [ $charged = 1 ]; then
	t_check "enable from a cgroup" \
		sh -c "echo \$\$ >$cg/cgroup.procs && exec $MOSCTL -n $S ns enable"
else
	t_check "enable" "$MOSCTL" -n "$S" ns enable
fi
t_check "max-flows $MAXF, short TIME_WAIT and CLOSED" "$MOSCTL" -n "$S" set \
	max-flows "$MAXF" timeout TIME_WAIT 1 timeout CLOSED 1
ip netns exec "$S" "$HOLD" server 5001 >"$work/server.out" 2>&1 &
wait_listen "$S" 5001 || exit 1
rc_start "$S" "$work/rc.out" -r $((1 << 26)) -b 4096 && t_ok "ringcount starts" || t_fail "ringcount starts"
before=0
[ $charged = 1 ] && before=$(cat "$cg/memory.current")

start=$SECONDS
# shellcheck disable=SC2046 # the addresses are words
hold_start "$C" "$work" 10.0.9.2 5001 "$N" $(client_addrs "$NSRC")
line=$(hold_wait connected 1800)
log "connhold: $line after $((SECONDS - start)) s"
t_eq "$N connections open" "connected $N failed 0" "$line"
act=$(wait_stat "$S" flows_active -ge "$N" 300)
t_eq "all $N tracked at once (flows_active)" "$N" "$act"
st=$("$MOSCTL" -n "$S" stats)
t_eq "flows created" "$N" "$(kv "$st" flows)"
t_eq "nothing refused: flow_limit nomem mem_limit flows_evicted" "0 0 0 0" \
	"$(kv "$st" flow_limit) $(kv "$st" nomem) $(kv "$st" mem_limit) $(kv "$st" flows_evicted)"

# Per-flow memory
osz=$(slab_object_size)
log "mos_flow object size: $osz bytes"
if [ -e /proc/lockdep ]; then
	t_ok "mos_flow object: $osz bytes (lock debugging on: not the production size) # SKIP"
else
	# 296 bytes of struct tm_flow, and the per-consumer part of deliver.c (24)
	if [ "${osz:-0}" -ge 296 ] && [ "$osz" -le 320 ]; then
		t_ok "mos_flow object: $osz bytes, within the 320-byte budget"
	else
		t_fail "mos_flow object within the 320-byte budget" "object_size ${osz:-?}"
	fi
fi
if [ $charged = 1 ]; then
	after=$(cat "$cg/memory.current")
	per=$(((after - before) / N))
	# The memory cgroup charges through a per-CPU stock of 64 pages:
	# memory.current is that much off either way, per CPU
	slack=$(($(nproc) * 64 * 4096))
	log "cgroup memory.current $before -> $after: $per bytes per flow"
	if [ $((after - before + slack)) -ge $((N * osz)) ] &&
	   [ $((after - before - slack)) -le $((2 * N * osz)) ]; then
		t_ok "charged per flow: $per bytes, between 1 and 2 objects (+-$((slack / N)))"
	else
		t_fail "charged per flow between 1 and 2 objects ($osz bytes each, +-$((slack / N)))" "$per bytes"
	fi
else
	t_skip "memory charged per flow" "no cgroup2 memory controller"
fi

start=$SECONDS
hold_cmd "send 16"
line=$(hold_wait sent 1800)
t_eq "16 bytes sent on each" "sent $((N * 16))" "$line"
b=$(wait_stat "$S" bytes_c2s -ge $((N * 16)) 600)
log "bytes_c2s $b after $((SECONDS - start)) s"
t_eq "bytes_c2s is exactly $N x 16" "$((N * 16))" "$b"

start=$SECONDS
hold_cmd close
line=$(hold_wait closed 600)
t_eq "all closed" "closed $N" "$line"
act=$(wait_stat "$S" flows_active -eq 0 1200)
log "flows_active $act $((SECONDS - start)) s after close"
if [ "$act" != 0 ]; then
	# What the two stacks say about the connections mos still tracks
	log "still tracked: $("$MOSCTL" -n "$S" flows | head -n 3)"
	log "client sockets: $(ip netns exec "$C" ss -s | grep '^TCP:')"
	log "server sockets: $(ip netns exec "$S" ss -s | grep '^TCP:')"
	log "client TcpExt aborts: $(ip netns exec "$C" nstat -az 'TcpExtTCPAbort*' | awk 'NR > 1 && $2 { printf "%s %s ", $1, $2 }')"
fi
log "backlog drops since boot: $(softnet_drops)"
t_eq "the table empties" 0 "$act"
hold_end
nap 1
rc_stop
st=$("$MOSCTL" -n "$S" stats)
t_eq "consumer: flows, starts and ends per side" "$N $N $N $N $N" \
	"${RC[flows]} ${RC[starts_cli]} ${RC[starts_svr]} ${RC[ends_cli]} ${RC[ends_svr]}"
t_eq "consumer: every CONN_START has one CONN_END, none open" "0 0 0" \
	"${RC[bad]} ${RC[open_cli]} ${RC[open_svr]}"
t_eq "consumer: nothing lost" "0 0 0 0" \
	"${RC[lost_events]} ${RC[lost_data]} ${RC[lost_bytes]} ${RC[lost_other]}"
t_eq "consumer: stream bytes" "$((N * 16))" "${RC[data_bytes]}"
t_eq "kernel: ev_conn_start ev_conn_end" "$((2 * N)) $((2 * N))" \
	"$(kv "$st" ev_conn_start) $(kv "$st" ev_conn_end)"
t_eq "kernel: ring_lost" 0 "$(kv "$st" ring_lost)"
t_check "disable" "$MOSCTL" -n "$S" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
