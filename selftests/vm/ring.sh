#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ring.sh - the /dev/mos ring: ring_test in a monitored namespace
#
#   +------------------------------------+
#   | ring (mos passive, then inline;    |
#   | TIME_WAIT and CLOSED 1 s)          |
#   |  ring_test: /dev/mos consumer,     |
#   |  TCP and UDP over 127.0.0.1        |
#   +------------------------------------+
#
# ring_test runs once per mode: in inline mode a full ring holds packets
# back (ring_full counts them) and nothing is lost.

. "$(dirname "$0")/../lib/lib.sh"

N=ring-$$
defer_teardown

ktap_begin
t_check "load mos.ko" mos_load
ns_new "$N" || exit 1
t_check "enable the namespace, passive" "$MOSCTL" -n "$N" ns enable
t_check "set timeout TIME_WAIT 1 timeout CLOSED 1" "$MOSCTL" -n "$N" set timeout TIME_WAIT 1 timeout CLOSED 1
t_check "kselftest: the ring, passive" ip netns exec "$N" "$PROJ/build/selftests/ring_test"
t_eq "passive: no packet held back (ring_full)" 0 "$(mos_stat "$N" ring_full)"
lost=$(mos_stat "$N" ring_lost)
t_check "passive: records lost and counted (ring_lost $lost)" test "$lost" -gt 0
# The consumer is gone: the flows it saw end quietly
t_check "disable" "$MOSCTL" -n "$N" ns disable
t_check "enable the namespace, inline" "$MOSCTL" -n "$N" ns enable inline
t_check "set timeout TIME_WAIT 1 timeout CLOSED 1" "$MOSCTL" -n "$N" set timeout TIME_WAIT 1 timeout CLOSED 1
t_check "kselftest: the ring, inline" env MOS_RING_MODE=inline ip netns exec "$N" "$PROJ/build/selftests/ring_test"
full=$(mos_stat "$N" ring_full)
t_check "inline: packets held back (ring_full $full)" test "$full" -gt 0
t_eq "inline: no record lost (ring_lost)" 0 "$(mos_stat "$N" ring_lost)"
t_check "disable" "$MOSCTL" -n "$N" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
