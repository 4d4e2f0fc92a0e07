#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# memory.sh - flows are charged to the memory cgroup of whoever enabled
# monitoring, and bounded by the module's mem_limit
#
#   +--------------------------------------------------+
#   | mem (mos passive; nft drops SYNs to port 7 after  |
#   | mos saw them, so each connect() leaves a flow)    |
#   |  2000 non-blocking connects to 127.0.0.1:7        |
#   +--------------------------------------------------+
#   cgroup mos-enabler: mosctl ns enable runs there

. "$(dirname "$0")/../lib/lib.sh"

N=mem-$$
cg=/sys/fs/cgroup/mos-enabler-$$
work=$(mktemp -d)
defer eval '[ ! -d "$cg" ] || rmdir "$cg" 2>/dev/null'
defer_teardown
defer pkill -f "$work/syns.py"

# syns.py N: N connects to 127.0.0.1:7 that never complete; waits
cat >"$work/syns.py" <<'PYEOF'
import resource, socket, sys, time
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
socks = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", 7))
    socks.append(s)
print("sent", flush=True)
time.sleep(3600)
PYEOF

# flows_after N: start N connects, wait for them to be tracked, print
# "flows_active nomem mem_limit"
flows_after() {
	ip netns exec "$N" python3 "$work/syns.py" "$1" >"$work/syns.out" 2>&1 &
	local i
	for i in $(seq 1 100); do
		grep -q sent "$work/syns.out" && break
		nap 0.1
	done
	nap 0.5
	echo "$(mos_stat "$N" flows_active) $(mos_stat "$N" nomem) $(mos_stat "$N" mem_limit)"
}

ktap_begin
if ! mountpoint -q /sys/fs/cgroup; then
	mount -t cgroup2 none /sys/fs/cgroup || true
fi
if ! grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	t_skip "memory cgroup charging" "no cgroup2 memory controller"
	ktap_end
	exit 0
fi
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir "$cg"

t_check "load mos.ko" mos_load
ns_new "$N" || exit 1
ip netns exec "$N" nft -f - <<'NFT'
table inet t {
	chain out {
		type filter hook output priority 0;
		tcp dport 7 tcp flags syn drop
	}
}
NFT
# The enabler in the cgroup: its table and flows are charged there
t_check "ns enable from the cgroup" \
	sh -c "echo \$\$ >$cg/cgroup.procs && exec $MOSCTL -n $N ns enable"
# slab: the slab bytes charged to the cgroup (memory.stat).  Its
# memory.current moves by batches of 64 pages per CPU, and a batch
# charged before may pay for the flows: not a measure of them.
slab() {
	awk '$1 == "slab" { print $2 }' "$cg/memory.stat"
}
before=$(cat "$cg/memory.current") sbefore=$(slab)
read -r act nomem ml <<<"$(flows_after 2000)"
after=$(cat "$cg/memory.current") safter=$(slab)
log "cgroup memory.current $before -> $after, slab $sbefore -> $safter; flows_active $act nomem $nomem mem_limit $ml"
t_eq "2000 flows tracked, none refused" "2000 0 0" "$act $nomem $ml"
# A flow takes 200 bytes in its slab: the cgroup pays for at least that
if [ $((safter - sbefore)) -ge 300000 ]; then
	t_ok "the enabler's cgroup is charged for them ($((safter - sbefore)) bytes of slab)"
else
	t_fail "the enabler's cgroup is charged for them" "slab $sbefore -> $safter"
fi
pkill -f "$work/syns.py"
t_check "disable" "$MOSCTL" -n "$N" ns disable

# A cgroup at its limit: flows fail, counted as nomem
t_check "ns enable again from the cgroup" \
	sh -c "echo \$\$ >$cg/cgroup.procs && exec $MOSCTL -n $N ns enable"
cur=$(cat "$cg/memory.current")
echo $((cur + 65536)) >"$cg/memory.max"
read -r act nomem ml <<<"$(flows_after 2000)"
log "memory.max $((cur + 65536)): flows_active $act nomem $nomem mem_limit $ml"
# (a refused SYN sent again is refused again: nomem may count it twice)
if [ "${act:-2000}" -lt 2000 ] && [ "${nomem:-0}" -gt 0 ] &&
   [ $((act + nomem)) -ge 2000 ]; then
	t_ok "at the cgroup's limit, flows are refused and counted ($act tracked, $nomem nomem)"
else
	t_fail "at the cgroup's limit, flows are refused and counted" "flows_active $act nomem $nomem"
fi
pkill -f "$work/syns.py"
echo max >"$cg/memory.max"
t_check "disable" "$MOSCTL" -n "$N" ns disable
t_check "unload mos.ko" mos_unload

# The limit of all namespaces together
t_check "load mos.ko mem_limit=102400" mos_load mem_limit=102400
t_check "enable" "$MOSCTL" -n "$N" ns enable
read -r act nomem ml <<<"$(flows_after 2000)"
log "mem_limit 102400: flows_active $act nomem $nomem mem_limit $ml"
# 102400 / 200 bytes a flow (more on the debug kernel) = 512 flows at most
if [ "${act:-0}" -gt 0 ] && [ "$act" -le 512 ] && [ "${nomem:-1}" = 0 ] &&
   [ $((act + ml)) -ge 2000 ]; then
	t_ok "mem_limit: at most 512 flows ($act), the rest refused and counted ($ml)"
else
	t_fail "mem_limit: at most 512 flows, the rest refused and counted" \
		"flows_active $act nomem $nomem mem_limit $ml"
fi
pkill -f "$work/syns.py"
t_check "disable" "$MOSCTL" -n "$N" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
