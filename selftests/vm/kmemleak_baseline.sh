#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak_baseline.sh - what kmemleak reports on this kernel without mos
#
# Runs in the debug VM before the suite (selftests/check): the traffic and
# the namespace, veth, netem, nft and user-namespace churn of the tests,
# with mos.ko never loaded; then writes the signatures of kmemleak's
# reports (selftests/lib/kmemleak.sh) to $MOS_RESULTS/kmemleak-baseline.  A
# report of the suite run that is not among them fails it (run_vm).

. "$(dirname "$0")/../lib/lib.sh"
. "$SELFTESTS/lib/kmemleak.sh"

C=blc-$$ R=blr-$$ S=bls-$$
www=$(mktemp -d)
defer rm -rf "$www"
defer ns_cleanup
make_blob "$www/blob" 300000 >/dev/null

ktap_begin
if [ ! -w "$KML" ]; then
	t_skip "kmemleak baseline" "this kernel has no kmemleak"
	ktap_end
fi
t_eq "mos.ko is not loaded" no "$(mos_loaded && echo yes || echo no)"
for round in 1 2; do
	router_topology "$C" "$R" "$S" || exit 1
	ip netns exec "$R" nft -f - <<-'NFT' || t_fail "round $round: nft"
	table inet bl {
		chain seen {
			type filter hook forward priority 0;
			counter
		}
	}
	NFT
	ip netns exec "$S" tc qdisc add dev s0 root netem delay 1ms loss 1% ||
		t_fail "round $round: netem"
	http_server "$S" "$www" 8080
	for a in 10.0.2.2 '[fd00:2::2]'; do
		ip netns exec "$C" curl -s --max-time 60 "http://$a:8080/blob" >/dev/null
	done
	unshare -Urn true 2>/dev/null
	ns_cleanup
	t_ok "round $round: traffic through a router, namespaces deleted"
done
kml_scan >"$MOS_RESULTS/kmemleak-report"
kml_sigs <"$MOS_RESULTS/kmemleak-report" >"$MOS_RESULTS/kmemleak-baseline"
log "$(wc -l <"$MOS_RESULTS/kmemleak-baseline") report signatures without mos"
t_ok "baseline written"
ktap_end
