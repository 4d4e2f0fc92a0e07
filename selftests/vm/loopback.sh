#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# loopback.sh - loopback traffic inside a monitored namespace is counted
# once, though it passes both LOCAL_OUT and PRE_ROUTING
#
#   +---------------------------------------+
#   |  host (mos on)                        |
#   |   curl --lo--> busybox httpd          |
#   |   127.0.0.1, ::1                      |
#   |                                       |
#   |   socat --multicast--> m0 ===== m1    |
#   |   239.1.1.1   (member on m0: a local  |
#   |   copy re-enters PRE_ROUTING on m0)   |
#   +---------------------------------------+

. "$(dirname "$0")/../lib/lib.sh"

H=lo-$$
work=$(mktemp -d)
defer_teardown

ktap_begin
t_check "load mos.ko" mos_load
ns_new "$H" || exit 1

blob=$work/blob
sum=$(make_blob "$blob" "$BLOB_SIZE")
http_server "$H" "$work" 8080
ip -n "$H" link add m0 type veth peer name m1
ip -n "$H" addr add 10.9.0.1/24 dev m0
ip -n "$H" addr add 10.9.0.2/24 dev m1
ip -n "$H" link set m0 up
ip -n "$H" link set m1 up
ip -n "$H" route add 239.0.0.0/8 dev m0
ip netns exec "$H" socat -u UDP4-RECV:5000,reuseaddr,ip-add-membership=239.1.1.1:m0 \
	"OPEN:$work/mcast,creat,append" &
disown
wait_listen "$H" 5000 u
oracle_add "$H"
# Only the local copies of what this host sends enter on m0 (m1 never
# transmits): those mos must skip, as it counted them at LOCAL_OUT.
ip netns exec "$H" nft insert rule inet mos_oracle pre iifname m0 counter name mcloop return

quiet "$H"
oracle_reset "$H"
t_check "enable monitoring" "$MOSCTL" -n "$H" ns enable
transfers loopback "$H" "$H" 127.0.0.1 ::1
for i in $(seq 1 10); do
	echo "datagram $i" | ip netns exec "$H" socat -u - \
		UDP4-DATAGRAM:239.1.1.1:5000,ip-multicast-if=10.9.0.1
done
quiet "$H"
t_check "disable monitoring" "$MOSCTL" -n "$H" ns disable
log "mos: $("$MOSCTL" -n "$H" -j stats)"
compare "$H" loopback
# Every packet passed prerouting on lo as well as output, yet mos counted
# each once (compare above).  Prerouting may see more packets than output
# when an aggregate is segmented on its way through lo (6.12 does).
loout=$(oracle_get "$H" loout) lopre=$(oracle_get "$H" lopre)
log "oracle: $loout packets out to lo, $lopre in from lo"
[ "$loout" -gt 0 ] && [ "$lopre" -ge "$loout" ] &&
	t_ok "loopback: every packet out to lo came back in at prerouting" ||
	t_fail "loopback: every packet out to lo came back in at prerouting" "out $loout, in $lopre"

t_eq "multicast: the member received all 10 datagrams" 10 "$(grep -c datagram "$work/mcast")"
t_eq "multicast: 10 local copies re-entered PRE_ROUTING (skipped)" 10 "$(oracle_get "$H" mcloop)"

ns_cleanup
t_check "unload mos.ko" mos_unload
ktap_end
