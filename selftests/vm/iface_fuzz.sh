#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iface_fuzz.sh - /dev/mos and the netlink family under random and
# boundary arguments (selftests/lib/iface_fuzz.c, ASan build) for a bounded
# time, in a namespace of their own that sees traffic meanwhile
#
#   +-------------------------------------+
#   | fuzz (mos passive at the start)     |
#   |   iface_fuzz: ioctls, mmap, netlink |
#   |   TCP over 127.0.0.1 meanwhile      |
#   +-------------------------------------+
#
# Every call must succeed or fail with an errno the interface documents;
# afterwards the module still answers, another namespace's state is
# untouched, and it unloads (no reference left behind).
# MOS_IFACE_FUZZ_TIME: seconds of fuzzing (default 30).

. "$(dirname "$0")/../lib/lib.sh"

N=fz-$$ O=fzo-$$
work=$(mktemp -d)
defer_teardown
FZ=$PROJ/build/selftests/iface_fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

ktap_begin
[ -x "$FZ" ] || { t_fail "binaries" "$FZ missing (make user)"; ktap_end; }
t_check "load mos.ko" mos_load
ns_new "$N" && ns_new "$O" || exit 1
t_check "enable the fuzzed namespace, passive" "$MOSCTL" -n "$N" ns enable
t_check "enable another namespace, inline" "$MOSCTL" -n "$O" ns enable inline
t_check "a rule in the other namespace" "$MOSCTL" -n "$O" rule add 'tcp port 9' action drop
other=$("$MOSCTL" -n "$O" -j ns show; "$MOSCTL" -n "$O" -j rule list)
# Traffic in the fuzzed namespace meanwhile: flows for the rings
ip netns exec "$N" sh -c 'while :; do
	socat -u TCP-LISTEN:7000,reuseaddr,fork /dev/null 2>/dev/null & sl=$!
	sleep 0.5
	for i in 1 2 3 4 5; do echo x | socat -u - TCP:127.0.0.1:7000 2>/dev/null; done
	kill $sl 2>/dev/null; wait $sl 2>/dev/null
done' >/dev/null 2>&1 &
traffic=$!
ip netns exec "$N" "$FZ" "${MOS_IFACE_FUZZ_TIME:-30}" >"$work/fz.out" 2>&1
rc=$?
kill "$traffic" 2>/dev/null
wait "$traffic" 2>/dev/null
sed 's/^/# /' "$work/fz.out"
t_eq "every call succeeded or failed as documented" "0 unexpected: 0" \
	"$rc $(grep '^unexpected:' "$work/fz.out")"
t_no_sanitizer "iface_fuzz" "$work/fz.out"
t_check "the module still answers in the fuzzed namespace" "$MOSCTL" -n "$N" ns show
t_eq "the other namespace's state and rules are untouched" "$other" \
	"$("$MOSCTL" -n "$O" -j ns show; "$MOSCTL" -n "$O" -j rule list)"
ns_cleanup
t_check "unload mos.ko: nothing holds it" mos_unload
ktap_end
