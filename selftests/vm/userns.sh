#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# userns.sh - containers: root in a user namespace that owns its network
# namespace reads that namespace's monitoring state, but changes nothing
# the host set up, and raises no limit above its default
#
#   +------------------------------------------+
#   | container: unshare -Urn as user 65534     |
#   |   mosctl (via nsenter -U -n): CAP_NET_ADMIN |
#   |   over its own user namespace only        |
#   +------------------------------------------+
#        ^ mosctl -n /proc/PID/ns/net (the host: CAP_NET_ADMIN in the
#          initial user namespace)
#
# The expected answers are Documentation/uapi.rst's permission model:
# every state-changing command of a namespace the host enabled or gave a
# rule fails with EPERM for the container; reads work.

. "$(dirname "$0")/../lib/lib.sh"

work=$(mktemp -d)
cpid=''
defer_teardown cpid

# jget EXPR: EXPR of the JSON document d read from stdin, as JSON
jget() {
	python3 -c 'import json, sys; d = json.load(sys.stdin); print(json.dumps(eval(sys.argv[1])))' "$1"
}

ktap_begin
# A copy of mosctl that user 65534 can run, wherever the tree is
umosctl=$work/mosctl
cp "$MOSCTL" "$umosctl"
chmod 755 "$work" "$umosctl"

if ! setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn true 2>/dev/null; then
	t_skip "containers" "unprivileged user namespaces are not allowed here"
	ktap_end
	exit 0
fi

t_check "load mos.ko allow_userns=1" mos_load allow_userns=1

# The container: a process of user 65534 in its own user and network
# namespaces; its namespaces stay as long as it sleeps
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn sleep 600 &
cpid=$!
for _ in $(seq 1 100); do
	[ "$(readlink /proc/$cpid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	nap 0.1
done
cns=/proc/$cpid/ns/net
t_eq "the container has its own network namespace" 1 \
	"$([ "$(readlink "$cns")" != "$(readlink /proc/self/ns/net)" ] && echo 1)"

# cmosctl ARG...: mosctl as the container's root
cmosctl() {
	nsenter -t "$cpid" -U -n "$umosctl" "$@"
}

# refused NAME VERB MSG ARG...: the container's mosctl ARG... fails with
# exit 1 and exactly "mosctl: VERB: MSG"
held="this namespace's monitoring was set up from the initial user namespace: only CAP_NET_ADMIN there may change it"
refused() {
	local name=$1 verb=$2 msg=$3 err rc
	shift 3
	err=$(cmosctl "$@" 2>&1 >/dev/null); rc=$?
	t_eq "$name" "1 mosctl: $verb: $msg" "$rc $err"
}

# --- 1. A namespace the host enabled and gave a rule ---------------------

t_check "host: enable the container's namespace, inline" "$MOSCTL" -n "$cns" ns enable inline
rid=$("$MOSCTL" -n "$cns" -j rule add tcp dst port 9 action drop | jget 'd["id"]')
t_eq "host: a drop rule there" 1 "$([[ "$rid" =~ ^[1-9][0-9]*$ ]] && echo 1)"
"$MOSCTL" -n "$cns" set max-flows 1000
state() {
	"$MOSCTL" -n "$cns" -j ns show |
		jget '[d["enabled"], d["mode"], d["limits"]["max_flows"]]'
	"$MOSCTL" -n "$cns" -j rule list | jget '[[r["id"], r["action"]] for r in d["rules"]]'
}
before=$(state)
t_eq "host: the state set up" "[true, \"inline\", 1000] [[$rid, \"drop\"]]" "$(echo $before)"

t_eq "container: reads its namespace" "[true, \"inline\"]" \
	"$(cmosctl -j ns show | jget '[d["enabled"], d["mode"]]')"
t_eq "container: reads its rules" "[[$rid, \"drop\"]]" \
	"$(cmosctl -j rule list | jget '[[r["id"], r["action"]] for r in d["rules"]]')"
t_check "container: reads its counters" cmosctl stats
t_check "container: lists its flows" cmosctl flows

refused "container: ns disable refused" "ns disable" "$held" ns disable
refused "container: rule flush refused" "rule flush" "$held" rule flush
refused "container: rule del refused" "rule del" "$held" rule del "$rid"
refused "container: rule add refused" "rule add" "$held" rule add tcp action ignore
refused "container: set max-flows refused" "set" "$held" set max-flows 500
refused "container: set overlap refused" "set" "$held" set overlap last
refused "container: flow reset refused" "flow reset" "$held" flow reset 1
after=$(state)
t_eq "host: the state is unchanged" "$(echo $before)" "$(echo $after)"

# --- 2. Once the host let go, the container's own ------------------------

"$MOSCTL" -n "$cns" rule flush
"$MOSCTL" -n "$cns" ns disable
t_check "container: enables its own namespace (allow_userns)" cmosctl ns enable
def=$(cmosctl -j ns show | jget 'd["limits"]["max_flows"]')
t_check "container: lowers its flow limit" cmosctl set max-flows 100
t_eq "container: the limit is set" 100 "$(cmosctl -j ns show | jget 'd["limits"]["max_flows"]')"
refused "container: a flow limit above the default refused" "set" \
	"only CAP_NET_ADMIN in the initial user namespace may set a limit above its default" \
	set max-flows 16777216
refused "container: an out-of-order budget above the default refused" "set" \
	"only CAP_NET_ADMIN in the initial user namespace may set a limit above its default" \
	set buffer-total 18446744073709551615
t_check "container: the default itself is allowed" cmosctl set max-flows "$def"
t_check "container: adds a rule" cmosctl rule add tcp action monitor
t_check "host: raises the limit above the default" "$MOSCTL" -n "$cns" set max-flows $((def + 1))
refused "container: after the host's change, disable refused" "ns disable" "$held" ns disable
t_check "host: disables" "$MOSCTL" -n "$cns" ns disable
t_check "host: flushes" "$MOSCTL" -n "$cns" rule flush
t_check "container: enables again" cmosctl ns enable
t_check "container: disables" cmosctl ns disable

kill "$cpid"
wait "$cpid" 2>/dev/null
cpid=
t_check "unload mos.ko" mos_unload
ktap_end
