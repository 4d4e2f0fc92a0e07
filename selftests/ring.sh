#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ring.sh - the /dev/mos ring: ring_test in a monitored namespace
#
#   +------------------------------------+
#   | ring (mos passive, TIME_WAIT and   |
#   | CLOSED 1 s)                        |
#   |  ring_test: /dev/mos consumer,     |
#   |  TCP over 127.0.0.1                |
#   +------------------------------------+

. "$(dirname "$0")/lib.sh"

N=ring-$$
trap 'ns_cleanup; mos_loaded && mos_unload' EXIT

ktap_begin
t_check "load mos.ko" mos_load
ns_new "$N" || exit 1
t_check "enable the namespace, passive" "$MOSCTL" -n "$N" ns enable
t_check "set timeout TIME_WAIT 1 timeout CLOSED 1" "$MOSCTL" -n "$N" set timeout TIME_WAIT 1 timeout CLOSED 1
t_check "kselftest: the ring" ip netns exec "$N" "$PROJ/build/selftests/ring_test"
# The consumer is gone: the flows it saw end quietly
t_check "disable" "$MOSCTL" -n "$N" ns disable
ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
