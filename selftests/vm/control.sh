#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# control.sh - enabling and disabling, while traffic flows; hooks exist
# only where monitoring is on; each namespace sees only its own state;
# errors and permissions of the netlink family
#
#   +---------------------------+     +---------------------------+
#   | mon (mos on and off)      |     | other (never monitored)   |
#   |  iperf3 -c 127.0.0.1 ---> |     |  iperf3 -c 127.0.0.1 ---> |
#   |  iperf3 -s                |     |  iperf3 -s                |
#   +---------------------------+     +---------------------------+

. "$(dirname "$0")/../lib/lib.sh"

M=mon-$$ O=other-$$
defer_teardown

# mos_hooks NS: how many of mos's hooks nft lists in NS; "-" when the
# kernel cannot list hooks (CONFIG_NETFILTER_NETLINK_HOOK: 6.12 has it)
have_hook_list=0
modprobe -q nfnetlink_hook 2>/dev/null
[ -d /sys/module/nfnetlink_hook ] && have_hook_list=1
mos_hooks() {
	if [ $have_hook_list = 1 ]; then
		ip netns exec "$1" nft list hooks 2>/dev/null | grep -c 'mos_nf_'
	else
		echo -
	fi
}
hooks_on=4 hooks_off=0
[ $have_hook_list = 1 ] || hooks_on=- hooks_off=-

ktap_begin
t_check "load mos.ko" mos_load
ns_new "$M" && ns_new "$O" || exit 1
for ns in "$M" "$O"; do
	ip netns exec "$ns" iperf3 -s -D -1 >/dev/null 2>&1 || ip netns exec "$ns" iperf3 -s -D
	wait_listen "$ns" 5201
	# Paced every 50 ms rather than every 1 ms: iperf3 wakes up at each
	# pacing tick, and under TCG 1000 wake-ups a second take most of the
	# guest's CPU away from the commands under test.
	ip netns exec "$ns" iperf3 -c 127.0.0.1 -t 3600 -b 2M -l 1400 --pacing-timer 50000 \
		>/dev/null 2>&1 &
	disown
done

t_eq "no hooks before enable" $hooks_off "$(mos_hooks "$M")"
t_eq "ns show before enable" "enabled no" "$("$MOSCTL" -n "$M" ns show | head -n1)"

ok=1
for i in $(seq 1 10); do
	"$MOSCTL" -n "$M" ns enable || { ok=0; log "enable $i failed"; break; }
	[ "$(mos_hooks "$M")" = $hooks_on ] || { ok=0; log "enable $i: $(mos_hooks "$M") hooks"; }
	nap 0.3
	a=$(mos_stat "$M" packets)
	nap 0.3
	b=$(mos_stat "$M" packets)
	[ "$b" -gt "$a" ] || { ok=0; log "enable $i: counters did not move ($a, $b)"; }
	"$MOSCTL" -n "$M" ns disable || { ok=0; log "disable $i failed"; break; }
	[ "$(mos_hooks "$M")" = $hooks_off ] || { ok=0; log "disable $i: hooks left"; }
	a=$(mos_stat "$M" packets)
	nap 0.3
	b=$(mos_stat "$M" packets)
	[ "$a" = "$b" ] || { ok=0; log "disable $i: counters moved ($a, $b)"; }
done
[ $ok = 1 ] && t_ok "enable/disable 10 times under traffic: 4 hooks while on, none and frozen counters while off" ||
	t_fail "enable/disable 10 times under traffic"

"$MOSCTL" -n "$M" ns enable
if [ $have_hook_list = 1 ]; then
	t_eq "hooks at priority -350, after defrag at -400" 4 \
		"$(ip netns exec "$M" nft list hooks | grep -cE -- '-0*350 mos_nf_')"
	t_eq "the other namespace has no hooks" 0 "$(mos_hooks "$O")"
else
	t_skip "hooks at priority -350" "this kernel cannot list hooks (no nfnetlink_hook)"
fi
t_eq "the other namespace is not monitored" "enabled no" "$("$MOSCTL" -n "$O" ns show | head -n1)"
t_eq "the other namespace counted nothing" 0 "$(mos_stat "$O" packets)"
t_eq "the initial namespace is not monitored" "enabled no" "$("$MOSCTL" ns show | head -n1)"

err=$("$MOSCTL" -n "$M" ns enable 2>&1); rc=$?
t_eq "enable twice fails with the kernel's message" \
	"1 mosctl: ns enable: monitoring is already enabled in this namespace" "$rc $err"
"$MOSCTL" -n "$M" ns disable
err=$("$MOSCTL" -n "$M" ns disable 2>&1); rc=$?
t_eq "disable when off fails with the kernel's message" \
	"1 mosctl: ns disable: monitoring is not enabled in this namespace" "$rc $err"

# A user namespace with its own network namespace: CAP_NET_ADMIN there
# is not enough to enable, but enough to read its own (empty) state.
if unshare -U true 2>/dev/null; then
	err=$(unshare -Urn "$MOSCTL" ns enable 2>&1); rc=$?
	t_eq "enable from a user namespace is refused" \
		"1 mosctl: ns enable: this namespace belongs to a user namespace: enabling needs the allow_userns module parameter" \
		"$rc $err"
	t_eq "a user namespace reads its own state" "enabled no" "$(unshare -Urn "$MOSCTL" ns show | head -n1)"
	"$MOSCTL" -n "$M" ns enable
	err=$(ip netns exec "$M" unshare -Ur "$MOSCTL" ns disable 2>&1); rc=$?
	t_eq "disable from a user namespace is refused" \
		"1 mosctl: ns disable: Operation not permitted (needs CAP_NET_ADMIN)" "$rc $err"
	t_eq "monitoring stays on" "enabled yes" "$("$MOSCTL" -n "$M" ns show | head -n1)"
	"$MOSCTL" -n "$M" ns disable
else
	t_skip "enable from a user namespace is refused" "kernel without user namespaces"
	t_skip "a user namespace reads its own state" "kernel without user namespaces"
	t_skip "disable from a user namespace is refused" "kernel without user namespaces"
	t_skip "monitoring stays on" "kernel without user namespaces"
fi
err=$(setpriv --inh-caps=-all --bounding-set=-net_admin "$MOSCTL" -n "$M" stats 2>&1); rc=$?
t_eq "stats without CAP_NET_ADMIN are refused" \
	"1 mosctl: stats: Operation not permitted (needs CAP_NET_ADMIN)" "$rc $err"
err=$("$MOSCTL" ns frobnicate 2>&1); rc=$?
t_eq "unknown verb: usage, exit 2" "2" "$rc"

t_check "kselftest: /dev/mos" "$PROJ/build/selftests/dev_test"
t_check "kselftest: generic netlink requests" ip netns exec "$O" "$PROJ/build/selftests/genl_test"

ns_cleanup
t_check "unload mos.ko" mos_unload
t_check "load with enable_init_net=1" mos_load enable_init_net=1
t_eq "the initial namespace is monitored" "enabled yes" "$("$MOSCTL" ns show | head -n1)"
# A connection refused over loopback: one SYN, one RST, each counted once.
a=$(mos_stat "" packets) s=$(mos_stat "" syn)
curl -s --max-time 5 http://127.0.0.1:1/ >/dev/null
t_eq "the initial namespace counts its packets (SYN, RST)" "2 1" \
	"$(($(mos_stat "" packets) - a)) $(($(mos_stat "" syn) - s))"
t_check "unload mos.ko" mos_unload
ktap_end
