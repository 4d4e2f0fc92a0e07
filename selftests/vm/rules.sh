#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rules.sh - filter rules and inline mode, the flow list, flow
# announcements, limits, permissions in user namespaces, and the control
# plane under churn
#
#   +----------+         +--------------------+          +-----------+
#   |  client  |--veth---| router (mos inline)|---veth---|  server   |
#   | 10.0.1.2 |  c0 r0  | 10.0.1.1  10.0.2.1 |  r1  s0  | 10.0.2.2  |
#   |          |         | rules:             |          | echo on   |
#   |          |         |  8001 drop         |          | 8001-8004 |
#   |          |         |  8002 reset        |          |           |
#   |          |         |  8003 ignore       |          |           |
#   +----------+         +--------------------+          +-----------+
#
#   pas: passive mode refuses drop and reset rules
#   oth: another namespace sees none of the router's rules, flows, counters
#   8005: flow reset of established connections, idle and busy
#   user namespaces of an unprivileged user: allow_userns
#   churn-N: namespaces created, enabled and deleted while rules change in
#   the router under iperf3 traffic; then the module unloads.

. "$(dirname "$0")/../lib/lib.sh"

sfx=$$
C=cli-$sfx R=rtr-$sfx S=srv-$sfx P=pas-$sfx O=oth-$sfx
work=$(mktemp -d)
bg_pids=()

# churn_cleanup: the namespaces the churn below may have left
# shellcheck disable=SC2317 # deferred
churn_cleanup() {
	ip netns list 2>/dev/null | awk -v p="churn-$sfx-" 'index($1, p) == 1 { print $1 }' |
		xargs -r -n1 ip netns del 2>/dev/null
}
defer rm -rf "$work"
defer mos_cleanup
defer churn_cleanup
defer ns_cleanup
defer kill_pids bg_pids

# jget EXPR [ARG...]: evaluate the Python expression EXPR on the JSON
# document read from stdin (d; the ARGs are a[0], a[1]...); strings print
# as they are, anything else as compact JSON with sorted keys; an error
# prints as "<jget N: ...>", N unique, so that two failed reads never
# compare equal.
#
# One Python process evaluates every expression: under TCG starting
# Python takes more than a second.  Requests and answers go through two
# FIFOs as NUL-terminated fields: EXPR, the number of ARGs, the ARGs, the
# document; the answer.
mkfifo "$work/jget.in" "$work/jget.out"
python3 -I -S -c '
import json, os, sys
rd = open(sys.argv[1], "rb", buffering=0)
wr = open(sys.argv[2], "wb", buffering=0)
buf = b""
def field():
    global buf
    while b"\0" not in buf:
        c = rd.read(65536)
        if not c:
            sys.exit(0)
        buf += c
    f, _, buf = buf.partition(b"\0")
    return f.decode()
n = 0
while True:
    expr = field()
    a = [field() for _ in range(int(field()))]
    doc = field()
    n += 1
    try:
        d = json.loads(doc)
        r = eval(expr, {"json": json, "os": os, "sys": sys, "a": a, "d": d})
    except Exception as e:
        r = "<jget %d: %s: %s>" % (n, type(e).__name__, e)
    r = r if isinstance(r, str) else json.dumps(r, sort_keys=True, separators=(",", ":"))
    wr.write(r.encode() + b"\0")
' "$work/jget.in" "$work/jget.out" &
bg_pids+=($!)
exec {jget_w}>"$work/jget.in" {jget_r}<"$work/jget.out"
jget() {
	local doc r
	IFS= read -r -d '' doc
	printf '%s\0' "$1" $(($# - 1)) "${@:2}" "$doc" >&"$jget_w"
	if IFS= read -r -d '' r <&"$jget_r"; then
		printf '%s\n' "$r"
	else
		# unique too: the shell's PID
		echo "<jget $BASHPID: no answer from the evaluator>"
	fi
}

# expect_rc NAME RC CMD...: CMD exits with RC
expect_rc() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ]; then
		t_ok "$name"
	else
		t_fail "$name" "expected exit $want, got $rc: $*"
		[ -n "$out" ] && while IFS= read -r l; do echo "# $l"; done <<<"$out"
	fi
}

# expect_err NAME VERB CMD...: CMD exits with 1 and one line on stderr,
# "mosctl: VERB: message"; the message is kept in $err
expect_err() {
	local name=$1 verb=$2 rc lines
	shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	lines=$(printf '%s\n' "$err" | wc -l)
	if [ "$rc" = 1 ] && [ "$lines" = 1 ] && [[ "$err" == "mosctl: $verb: "?* ]]; then
		t_ok "$name"
	else
		t_fail "$name" "expected exit 1 and one line 'mosctl: $verb: ...', got exit $rc: $err"
	fi
}

# add_rule NS LABEL ARGS...: mosctl -n NS -j rule add ARGS, an assertion;
# the new rule's id in $rid (empty when it failed)
add_rule() {
	local ns=$1 label=$2 out rc
	shift 2
	out=$("$MOSCTL" -n "$ns" -j rule add "$@" 2>&1); rc=$?
	rid=$(jget 'd["id"]' <<<"$out")
	if [ "$rc" = 0 ] && [[ "$rid" =~ ^[1-9][0-9]*$ ]]; then
		t_ok "rule add: $label (id $rid)"
	else
		t_fail "rule add: $label" "exit $rc: $out"
		rid=
	fi
}

# rules NS: the rules as [[id, prio, action, hits, expr], ...]
rules() {
	"$MOSCTL" -n "$1" -j rule list | jget '[[r["id"], r["prio"], r["action"], r["hits"], r["expr"]] for r in d["rules"]]'
}

# snap NS: one snapshot of NS's counters (text); sv NAME reads it
snap() {
	_snap=$("$MOSCTL" -n "$1" stats)
}
sv() {
	kv "$_snap" "$1"
}

# client HOST PORT TIMEOUT [N [hold]]: N connections in a row from the
# client namespace, each sending "hello" and reading it back; one line
# each: "ok LOCAL_PORT", "timeout", "refused" (within a second: else
# "refused after T s"), "error ERRNO" or "echo ..."; with hold, the
# (single) connection stays open until the process is killed
cat >"$work/client.py" <<'EOF'
import errno, socket, sys, time

host, port, tmo = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
n = int(sys.argv[4]) if len(sys.argv) > 4 else 1
hold = sys.argv[5:] == ["hold"]
for _ in range(n):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(tmo)
    t = time.monotonic()
    try:
        s.connect((host, port))
    except socket.timeout:
        print("timeout", flush=True)
        s.close()
        continue
    except ConnectionRefusedError:
        dt = time.monotonic() - t
        print("refused" if dt < 1 else "refused after %.2f s" % dt, flush=True)
        s.close()
        continue
    except OSError as e:
        print("error", errno.errorcode.get(e.errno, e.errno), flush=True)
        s.close()
        continue
    lport = s.getsockname()[1]
    got = b""
    try:
        s.sendall(b"hello")
        while len(got) < 5:
            b = s.recv(5 - len(got))
            if not b:
                break
            got += b
    except OSError as e:
        print("echo error", e, flush=True)
        s.close()
        continue
    if got != b"hello":
        print("echo mismatch", repr(got), flush=True)
    else:
        print("ok", lport, flush=True)
    if hold:
        time.sleep(3600)
    s.close()
EOF
client() {
	ip netns exec "$C" python3 "$work/client.py" "$@"
}


# rst_peer.py srv PORT: an echo server that prints "srv ERRNO" (or
# "srv eof") when a connection fails.  rst_peer.py cli HOST PORT idle|ping:
# one connection, "up LOCAL_PORT" once it echoed a byte, then idle (a
# blocking read) or a byte echoed every 50 ms; "cli ERRNO" or "cli eof"
# when it fails
cat >"$work/rst_peer.py" <<'EOF'
import errno, socket, sys, threading, time

def fail(who, e):
    print(who, errno.errorcode.get(e.errno, e.errno) if e else "eof", flush=True)

def serve(c):
    with c:
        try:
            while True:
                b = c.recv(4096)
                if not b:
                    return fail("srv", None)
                c.sendall(b)
        except OSError as e:
            fail("srv", e)

if sys.argv[1] == "srv":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[2])))
    s.listen(8)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5)
s.settimeout(None)
s.sendall(b"x")
if s.recv(1) != b"x":
    sys.exit("no echo")
print("up", s.getsockname()[1], flush=True)
try:
    while True:
        if sys.argv[4] == "ping":
            s.sendall(b"p")
        if not s.recv(1):
            fail("cli", None)
            break
        time.sleep(0.05)
except OSError as e:
    fail("cli", e)
EOF

ktap_begin
t_check "load mos.ko" mos_load
router_topology "$C" "$R" "$S" || exit 1

# --- 1. Inline mode and limits ---------------------------------------------

t_check "enable the router, inline" "$MOSCTL" -n "$R" ns enable inline
t_eq "ns show: enabled, inline" '[true,"inline"]' \
	"$("$MOSCTL" -n "$R" -j ns show | jget '[d["enabled"], d["mode"]]')"
show=$("$MOSCTL" -n "$R" ns show)
t_eq "ns show, text: enabled yes, mode inline" "enabled yes|inline" \
	"$(head -n1 <<<"$show")|$(awk '$1 == "mode" { print $2 }' <<<"$show")"
before=$("$MOSCTL" -n "$R" -j ns show)
t_eq "ns show: 4096 out-of-order pieces per side by default" 4096 \
	"$(jget 'd["limits"]["buffer_pieces"]' <<<"$before")"
t_check "set max-flows, buffer-bytes, buffer-pieces, midstream, timeout in one command" \
	"$MOSCTL" -n "$R" set max-flows 1000 buffer-bytes 65536 buffer-pieces 1000 midstream off \
	timeout ESTABLISHED 600
after=$("$MOSCTL" -n "$R" -j ns show)
t_eq "ns show: the limits set" "[1000,65536,1000,false,600]" \
	"$(jget '[d["limits"][k] for k in ("max_flows", "buffer_bytes", "buffer_pieces", "midstream")] + [d["limits"]["timeouts"]["ESTABLISHED"]]' <<<"$after")"
t_eq "ns show, text: buffer-pieces 1000" 1000 \
	"$("$MOSCTL" -n "$R" ns show | awk '$1 == "buffer-pieces" { print $2 }')"
t_eq "ns show: every other limit unchanged" \
	"$(jget 'dict(d["limits"], max_flows=1000, buffer_bytes=65536, buffer_pieces=1000, midstream=False, timeouts=dict(d["limits"]["timeouts"], ESTABLISHED=600))' <<<"$before")" \
	"$(jget 'd["limits"]' <<<"$after")"
expect_rc "set max-flows abc: usage error (2)" 2 "$MOSCTL" -n "$R" set max-flows abc
expect_rc "set timeout BOGUS 5: usage error (2)" 2 "$MOSCTL" -n "$R" set timeout BOGUS 5
expect_rc "set midstream maybe: usage error (2)" 2 "$MOSCTL" -n "$R" set midstream maybe
expect_rc "set overlap sideways: usage error (2)" 2 "$MOSCTL" -n "$R" set overlap sideways
t_eq "ns show: overlap linux by default" linux "$(jget 'd["limits"]["overlap"]' <<<"$after")"
t_check "set overlap last" "$MOSCTL" -n "$R" set overlap last
t_eq "ns show, text: overlap last" "overlap last" "$("$MOSCTL" -n "$R" ns show | grep '^overlap ')"
t_check "set overlap linux" "$MOSCTL" -n "$R" set overlap linux
expect_rc "ns enable sideways: usage error (2)" 2 "$MOSCTL" -n "$R" ns enable sideways
expect_err "set max-flows 1 (below 16): refused by the kernel" "set" \
	"$MOSCTL" -n "$R" set max-flows 1
t_eq "limits unchanged by the failed sets" "$(jget 'd["limits"]' <<<"$after")" \
	"$("$MOSCTL" -n "$R" -j ns show | jget 'd["limits"]')"

# --- 2. Servers and rules --------------------------------------------------

ip netns exec "$S" python3 "$SELFTESTS/lib/echo_server.py" 8001 8002 8003 8004 >/dev/null 2>&1 &
for p in 8001 8002 8003 8004; do
	wait_listen "$S" $p || exit 1
done

# Added first, evaluated last: 8003 must be ignored, not dropped.
add_rule "$R" "prio 10 'tcp dst port 8003' drop" prio 10 'tcp dst port 8003' action drop
id_low=$rid
add_rule "$R" "'tcp dst port 8001' drop" 'tcp dst port 8001' action drop
id_drop=$rid
out=$("$MOSCTL" -n "$R" rule add prio 5 'tcp dst port 8002' action reset 2>&1); rc=$?
if [ $rc = 0 ] && [[ "$out" =~ ^id\ ([1-9][0-9]*)$ ]]; then
	id_reset=${BASH_REMATCH[1]}
	t_ok "rule add: prio 5 'tcp dst port 8002' reset, text output 'id N' (id $id_reset)"
else
	id_reset=
	t_fail "rule add: prio 5 'tcp dst port 8002' reset, text output 'id N'" "exit $rc: $out"
fi
add_rule "$R" "'tcp dst port 8003' ignore" 'tcp dst port 8003' action ignore
id_ign=$rid
ids=$(printf '%s\n' "$id_low" "$id_drop" "$id_reset" "$id_ign" | sort -u | grep -c .)
t_eq "four distinct rule ids" 4 "$ids"

expect_err "rule add 'tcp port 80 and': refused" "rule add" \
	"$MOSCTL" -n "$R" rule add 'tcp port 80 and' action drop
if [[ "$err" == *"syntax error"* ]]; then
	t_ok "rule add 'tcp port 80 and': libpcap's message"
else
	t_fail "rule add 'tcp port 80 and': libpcap's message" "no 'syntax error' in: $err"
fi
expect_rc "rule add ... action frob: usage error (2)" 2 \
	"$MOSCTL" -n "$R" rule add 'tcp port 80' action frob

# --- 3. Traffic through the rules ------------------------------------------

t_eq "8001 (drop): connect times out" "timeout" "$(client 10.0.2.2 8001 3)"
t_eq "8002 (reset): ECONNREFUSED at once, three times" "refused refused refused" \
	"$(client 10.0.2.2 8002 5 3 | tr '\n' ' ' | sed 's/ $//')"
read -r st _ <<<"$(client 10.0.2.2 8003 5)"
t_eq "8003 (ignore): connects, echoes" "ok" "$st"

client 10.0.2.2 8004 5 1 hold >"$work/hold" 2>&1 &
hold_pid=$!
bg_pids+=("$hold_pid")
for _ in $(seq 1 100); do
	grep -q . "$work/hold" && break
	nap 0.1
done
read -r st hport <<<"$(cat "$work/hold")"
t_eq "8004 (no rule): connects, echoes, stays open" "ok" "$st"

flows=$("$MOSCTL" -n "$R" -j flows)
log "flows: $flows"
t_eq "flows: the open 8004 connection, exactly" \
	"[[4,\"10.0.1.2\",$hport,\"10.0.2.2\",8004,\"ESTABLISHED\",\"ESTABLISHED\",5,5,0,\"monitor\",false]]" \
	"$(jget '[[f[k] for k in ("family", "client", "client_port", "server", "server_port", "client_state", "server_state", "bytes_c2s", "bytes_s2c", "rule", "action", "midstream")] for f in d["flows"] if f["server_port"] == 8004]' <<<"$flows")"
t_eq "flows: the dropped (8001) flow as drop, not the ignored (8003) one" \
	"[[8001,\"drop\",$id_drop]]" \
	"$(jget '[[f["server_port"], f["action"], f["rule"]] for f in d["flows"] if f["server_port"] in (8001, 8003)]' <<<"$flows")"
fid=$(jget '[f["id"] for f in d["flows"] if f["server_port"] == 8004][0]' <<<"$flows")
t_eq "flows 'tcp dst port 8004': that flow only" "[[$fid,8004]]" \
	"$("$MOSCTL" -n "$R" -j flows 'tcp dst port 8004' | jget '[[f["id"], f["server_port"]] for f in d["flows"]]')"
t_eq "flows 'tcp dst port 9': none" "[]" \
	"$("$MOSCTL" -n "$R" -j flows 'tcp dst port 9' | jget 'd["flows"]')"
expect_err "flows 'tcp port': bad filter refused" "flows" "$MOSCTL" -n "$R" flows 'tcp port'

# --- 4. Rules, hits and counters -----------------------------------------

# Lower priority first, equal priorities in the order added; hits count
# flows (the dropped SYN's retransmission is not a new hit) or, for
# reset, answered SYNs.
rules_r="[[$id_drop,0,\"drop\",1,\"tcp dst port 8001\"],[$id_ign,0,\"ignore\",1,\"tcp dst port 8003\"],[$id_reset,5,\"reset\",3,\"tcp dst port 8002\"],[$id_low,10,\"drop\",0,\"tcp dst port 8003\"]]"
t_eq "rule list: evaluation order, ids, prios, actions, hits, expressions" \
	"$rules_r" "$(rules "$R")"
snap "$R"
log "mos: $(tr '\n' ' ' <<<"$_snap")"
t_eq "stats: flows_dropped, flows_ignored, resets, reset_limited" "1 1 3 0" \
	"$(sv flows_dropped) $(sv flows_ignored) $(sv resets) $(sv reset_limited)"
d=$(sv dropped)
if [ "${d:-0}" -ge 2 ]; then
	t_ok "stats: dropped counts the SYN and its retransmission ($d)"
else
	t_fail "stats: dropped counts the SYN and its retransmission" "dropped=$d"
fi
hits=$(printf '%s\n' "$id_drop 1" "$id_ign 1" "$id_reset 3" "$id_low 0" | sort -n | tr '\n' ,)
t_eq "stats: 'rule ID hits N' lines" "$hits" \
	"$(awk '$1 == "rule" && $3 == "hits" { print $2, $4 }' <<<"$_snap" | sort -n | tr '\n' ,)"
t_eq "stats JSON: counters and rule hits" "1 1 3 $hits" \
	"$("$MOSCTL" -n "$R" -j stats | jget '"%d %d %d " % (d["flows_dropped"], d["flows_ignored"], d["resets"]) + "".join("%d %d," % (r["id"], r["hits"]) for r in sorted(d["rules"], key=lambda r: r["id"]))')"

# --- 6. Isolation: another namespace, while the router has rules and flows

ns_new "$O" || exit 1
t_check "enable another namespace, passive" "$MOSCTL" -n "$O" ns enable passive
t_eq "other namespace: rule list empty" "[]" "$(rules "$O")"
t_eq "other namespace: flows empty" "[]" "$("$MOSCTL" -n "$O" -j flows | jget 'd["flows"]')"
t_eq "other namespace: no flow, no rule counted" "[0,0,0,0,0,[]]" \
	"$("$MOSCTL" -n "$O" -j stats | jget '[d["flows"], d["flows_ignored"], d["flows_dropped"], d["dropped"], d["resets"], d["rules"]]')"
expect_err "other namespace: rule del of the router's rule id fails" "rule del" \
	"$MOSCTL" -n "$O" rule del "$id_drop"
add_rule "$O" "other namespace: 'tcp' monitor" 'tcp' action monitor
t_eq "other namespace: its own rule only" "[[$rid,0,\"monitor\",0,\"tcp\"]]" "$(rules "$O")"
t_eq "router: rules untouched by the other namespace" "$rules_r" "$(rules "$R")"
t_eq "router: its 8004 flow still listed" "[$fid]" \
	"$("$MOSCTL" -n "$R" -j flows | jget '[f["id"] for f in d["flows"] if f["server_port"] == 8004]')"
t_check "other namespace: rule flush" "$MOSCTL" -n "$O" rule flush
t_eq "router: rules untouched by the other's flush" "$rules_r" "$(rules "$R")"

# The held client itself (the job is the shell around ip netns exec):
# its socket closes with it, and the flow ends with a FIN handshake.
pkill -f "client.py 10.0.2.2 8004 5 1 hold" 2>/dev/null
kill "$hold_pid" 2>/dev/null
wait "$hold_pid" 2>/dev/null

# --- 6b. Resetting established flows --------------------------------------

# waitline FILE PATTERN [N]: wait up to 10 s for N (default 1) lines of
# FILE to match PATTERN
waitline() {
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ] && return 0
		nap 0.1
	done
	return 1
}
# port_flow PORT: the id of the flow of client port PORT
port_flow() {
	"$MOSCTL" -n "$R" -j flows |
		jget '[f["id"] for f in d["flows"] if f["client_port"] == int(a[0])][0]' "$1"
}
# c2s PORT: bytes from the client of that flow
c2s() {
	"$MOSCTL" -n "$R" -j flows |
		jget '[f["bytes_c2s"] for f in d["flows"] if f["client_port"] == int(a[0])][0]' "$1"
}

ip netns exec "$S" python3 "$work/rst_peer.py" srv 8005 >"$work/srv" 2>&1 &
bg_pids+=($!)
wait_listen "$S" 8005
ip netns exec "$C" python3 "$work/rst_peer.py" cli 10.0.2.2 8005 idle >"$work/idle" 2>&1 &
bg_pids+=($!)
ip netns exec "$C" python3 "$work/rst_peer.py" cli 10.0.2.2 8005 ping >"$work/ping" 2>&1 &
bg_pids+=($!)
waitline "$work/idle" '^up ' && waitline "$work/ping" '^up '
read -r _ iport <"$work/idle"
read -r _ pport <"$work/ping"
ifid=$(port_flow "$iport")
pfid=$(port_flow "$pport")
log "idle connection: port $iport flow $ifid; pinging: port $pport flow $pfid"
snap "$R"
rs0=$(sv resets)
# The reset flow stays listed for the check below, however slow the guest
# (the default 10 s in CLOSED ran out before it once, on the debug kernel)
t_check "set timeout CLOSED 120" "$MOSCTL" -n "$R" set timeout CLOSED 120

t_check "flow reset of the idle connection" "$MOSCTL" -n "$R" flow reset "$ifid"
waitline "$work/idle" '^cli ' && waitline "$work/srv" '^srv '
t_eq "idle connection: the client's socket fails with ECONNRESET" "cli ECONNRESET" \
	"$(grep '^cli ' "$work/idle")"
t_eq "idle connection: the server's socket fails with ECONNRESET" "srv ECONNRESET" \
	"$(grep '^srv ' "$work/srv")"
# Before it idles out (120 s after the reset)
t_eq "the reset flow: both sides CLOSED" '["CLOSED","CLOSED"]' \
	"$("$MOSCTL" -n "$R" -j flows | jget '[[f["client_state"], f["server_state"]] for f in d["flows"] if f["id"] == int(a[0])][0]' "$ifid")"
b0=$(c2s "$pport")
nap 1
b1=$(c2s "$pport")
if [ -n "$b0" ] && [ -n "$b1" ] && [ "$b1" -gt "$b0" ] 2>/dev/null; then
	t_ok "the pinging connection carries on ($b0 then $b1 bytes)"
else
	t_fail "the pinging connection carries on" "bytes_c2s $b0 then $b1"
fi
t_eq "the pinging connection: no error" "up $pport" "$(cat "$work/ping")"

# A connection that sends all the time: whatever the first resets miss,
# its next packets are answered with exact ones.
t_check "flow reset of the pinging connection" "$MOSCTL" -n "$R" flow reset "$pfid"
waitline "$work/ping" '^cli ' && waitline "$work/srv" '^srv ' 2
t_eq "pinging connection: the client's socket fails with ECONNRESET" "cli ECONNRESET" \
	"$(grep '^cli ' "$work/ping")"
t_eq "pinging connection: the server's socket fails with ECONNRESET" \
	"srv ECONNRESET,srv ECONNRESET," "$(grep '^srv ' "$work/srv" | tr '\n' ,)"
snap "$R"
t_eq "stats: flows_reset 2, reset_failed 0" "2 0" "$(sv flows_reset) $(sv reset_failed)"
rs1=$(sv resets)
if [ $((rs1 - rs0)) -ge 4 ]; then
	t_ok "stats: resets counts the four at least ($((rs1 - rs0)))"
else
	t_fail "stats: resets counts the four at least" "resets $rs0 then $rs1"
fi
read -r st _ <<<"$(client 10.0.2.2 8005 5)"
t_eq "a new connection to the same server works" "ok" "$st"

expect_err "flow reset 999999: no such flow" "flow reset" "$MOSCTL" -n "$R" flow reset 999999
t_eq "its message" "mosctl: flow reset: no such flow in this namespace" "$err"
expect_rc "flow reset abc: usage error (2)" 2 "$MOSCTL" -n "$R" flow reset abc
expect_rc "flow reset 0: usage error (2)" 2 "$MOSCTL" -n "$R" flow reset 0
expect_err "flow reset in a passive namespace: refused" "flow reset" \
	"$MOSCTL" -n "$O" flow reset 1
t_eq "its message" "mosctl: flow reset: resetting a flow needs inline mode" "$err"

# --- 5. Passive mode refuses drop and reset ---------------------------------

ns_new "$P" || exit 1
t_check "passive: enable" "$MOSCTL" -n "$P" ns enable passive
t_eq "passive: ns show" '[true,"passive"]' \
	"$("$MOSCTL" -n "$P" -j ns show | jget '[d["enabled"], d["mode"]]')"
expect_err "passive: rule add ... drop refused" "rule add" \
	"$MOSCTL" -n "$P" rule add 'tcp dst port 80' action drop
expect_err "passive: rule add ... reset refused" "rule add" \
	"$MOSCTL" -n "$P" rule add 'tcp dst port 80' action reset
add_rule "$P" "passive: 'tcp dst port 80' monitor" 'tcp dst port 80' action monitor
id_p=$rid
t_eq "passive: the monitor rule only" "[[$id_p,0,\"monitor\",0,\"tcp dst port 80\"]]" "$(rules "$P")"
t_check "passive: disable" "$MOSCTL" -n "$P" ns disable
add_rule "$P" "disabled: 'tcp dst port 81' drop" 'tcp dst port 81' action drop
id_p2=$rid
expect_err "with a drop rule: ns enable passive refused" "ns enable" \
	"$MOSCTL" -n "$P" ns enable passive
expect_err "with a drop rule: ns enable (passive by default) refused" "ns enable" \
	"$MOSCTL" -n "$P" ns enable
t_eq "still disabled after the refused enables" "false" \
	"$("$MOSCTL" -n "$P" -j ns show | jget 'd["enabled"]')"
t_check "with a drop rule: ns enable inline" "$MOSCTL" -n "$P" ns enable inline
t_eq "inline: ns show" '[true,"inline"]' \
	"$("$MOSCTL" -n "$P" -j ns show | jget '[d["enabled"], d["mode"]]')"
t_eq "rules kept across disable and enable" \
	"[[$id_p,0,\"monitor\",0,\"tcp dst port 80\"],[$id_p2,0,\"drop\",0,\"tcp dst port 81\"]]" "$(rules "$P")"

# --- 7. Deleting rules ----------------------------------------------------

t_check "rule del $id_low" "$MOSCTL" -n "$R" rule del "$id_low"
t_eq "rule list without it" "[$id_drop,$id_ign,$id_reset]" \
	"$("$MOSCTL" -n "$R" -j rule list | jget '[r["id"] for r in d["rules"]]')"
expect_err "rule del 9999: no such rule" "rule del" "$MOSCTL" -n "$R" rule del 9999
expect_rc "rule del abc: usage error (2)" 2 "$MOSCTL" -n "$R" rule del abc
t_check "rule flush" "$MOSCTL" -n "$R" rule flush
t_eq "rule list empty after flush" "[]" "$(rules "$R")"
t_eq "stats: no rule line after flush" "" "$("$MOSCTL" -n "$R" stats | awk '$1 == "rule"')"
read -r st _ <<<"$(client 10.0.2.2 8001 5)"
t_eq "after flush: 8001 connects, echoes" "ok" "$st"
read -r st _ <<<"$(client 10.0.2.2 8002 5)"
t_eq "after flush: 8002 connects, echoes" "ok" "$st"

# --- 8. Flow announcements ------------------------------------------------

# Closed flows end at once: TIME_WAIT and CLOSED sides expire after 1 s.
t_check "set timeout TIME_WAIT 1 timeout CLOSED 1" \
	"$MOSCTL" -n "$R" set timeout TIME_WAIT 1 timeout CLOSED 1
# listed NS: the flows NS lists, as their client ports
# the monitored flows (a drop flow stays listed until it idles out)
listed() {
	"$MOSCTL" -n "$1" -j flows |
		jget '[f["client_port"] for f in d["flows"] if f["action"] == "monitor"]'
}
# Let the earlier connections end first: their ends are not announced
# to the monitor started below.
for _ in $(seq 1 40); do
	[ "$(listed "$R")" = "[]" ] && break
	nap 0.25
done
t_eq "earlier flows ended" "[]" "$(listed "$R")"

"$MOSCTL" -n "$R" -j monitor >"$work/mon" 2>"$work/mon.err" &
mon_pid=$!
bg_pids+=("$mon_pid")
nap 1
out=$(client 10.0.2.2 8004 5 2)
p1=$(sed -n '1s/^ok //p' <<<"$out") p2=$(sed -n '2s/^ok //p' <<<"$out")
t_eq "two connections to 8004, closed" "ok ok" "$(awk '{ print $1 }' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
for _ in $(seq 1 40); do
	[ "$(listed "$R")" = "[]" ] && break
	nap 0.25
done
t_eq "both flows ended" "[]" "$(listed "$R")"
nap 0.5
kill -INT "$mon_pid"
wait_pid "$mon_pid" 60
log "monitor exit status $?, stderr: $(cat "$work/mon.err")"
evs=$(python3 -c 'import json, sys; print(json.dumps([json.loads(l) for l in sys.stdin if l.strip()]))' <"$work/mon")
log "events: $evs"
t_eq "monitor: four events (two flows, new and end each)" 4 "$(jget 'len(d)' <<<"$evs")"
t_eq "monitor: seq strictly increasing by 1" "true" \
	"$(jget 'len(d) > 0 and all(y["seq"] == x["seq"] + 1 for x, y in zip(d, d[1:]))' <<<"$evs")"
for p in "$p1" "$p2"; do
	t_eq "monitor: port $p: new then end, same flow id" '[["new","end"],1]' \
		"$(jget '[[e["event"] for e in d if e["client_port"] == int(a[0])], len(set(e["id"] for e in d if e["client_port"] == int(a[0])))]' "$p" <<<"$evs")"
	t_eq "monitor: port $p: end with the flow's final counts" \
		'[[4,"10.0.1.2","10.0.2.2",8004,5,5,0,"monitor"]]' \
		"$(jget '[[e[k] for k in ("family", "client", "server", "server_port", "bytes_c2s", "bytes_s2c", "rule", "action")] for e in d if e["client_port"] == int(a[0]) and e["event"] == "end"]' "$p" <<<"$evs")"
done
t_eq "monitor: new events in connection order, two distinct flow ids" "[[$p1,$p2],2]" \
	"$(jget '[[e["client_port"] for e in d if e["event"] == "new"], len(set(e["id"] for e in d if e["event"] == "new"))]' <<<"$evs")"

# A listener that stops reading while 600 connections come and go: its
# socket overflows (1200 announcements; mosctl asks for 4 MiB, the
# kernel gives it twice net.core.rmem_max, set to 64 KiB meanwhile).
# Every announcement it lost is one the kernel counts (announce_lost:
# mosctl asks for NETLINK_BROADCAST_ERROR) and one its
# sequence numbers show missing, which mosctl reports; one more connection
# after it resumes puts every loss before a number it receives.  Built on
# two CPUs, announcements may also arrive out of order: that is no loss.
rmem_max=$(sysctl -n net.core.rmem_max)
sysctl -qw net.core.rmem_max=65536
"$MOSCTL" -n "$R" -j monitor >"$work/mon3" 2>"$work/mon3.err" &
mon_pid=$!
bg_pids+=("$mon_pid")
nap 1
lost0=$(mos_stat "$R" announce_lost)
kill -STOP "$mon_pid"
sysctl -qw net.core.rmem_max="$rmem_max"
out=$(client 10.0.2.2 8004 5 600)
t_eq "stopped listener: 600 connections" 600 "$(grep -c '^ok ' <<<"$out")"
nap 2
kill -CONT "$mon_pid"
nap 1
client 10.0.2.2 8004 5 1 >/dev/null
nap 1
kill -INT "$mon_pid"
wait_pid "$mon_pid" 60
missing=$(python3 -c '
import json, sys
s = [json.loads(l)["seq"] for l in open(sys.argv[1]) if l.strip()]
print(max(s) - min(s) + 1 - len(set(s)) if len(s) == len(set(s)) else "duplicates")' "$work/mon3")
reported=$(awk '/events lost/ { n += $3 } END { print n + 0 }' "$work/mon3.err")
lost=$(($(mos_stat "$R" announce_lost) - lost0))
log "stopped listener: $missing missing, $reported reported lost, announce_lost +$lost"
t_eq "stopped listener: some lost, as many as the numbers miss, reported and counted" \
	"1 $missing $missing" "$((missing > 0)) $reported $lost"

# --- 9. Permissions: user namespaces of an unprivileged user ---------------

userns=(setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn)
# A copy of mosctl that the unprivileged user can run wherever the tree is
umosctl=$work/mosctl
cp "$MOSCTL" "$umosctl"
chmod 755 "$work" "$umosctl"
if ! command -v setpriv >/dev/null || ! command -v unshare >/dev/null; then
	why="no setpriv or unshare"
elif ! "${userns[@]}" true 2>/dev/null; then
	why="unprivileged user namespaces are not allowed"
else
	why=
fi
if [ -z "$why" ]; then
	expect_err "userns, allow_userns=0: enable refused" "ns enable" \
		"${userns[@]}" "$umosctl" ns enable
	t_check "unload mos.ko" mos_unload
	t_check "load mos.ko allow_userns=1" mos_load allow_userns=1
	# One user namespace, with its own network namespace, for the four
	# commands: their output, the two JSON documents, on two lines
	# shellcheck disable=SC2016
	out=$("${userns[@]}" sh -c '"$0" ns enable >/dev/null && "$0" rule add tcp action monitor >/dev/null &&
		"$0" -j ns show && echo && "$0" -j rule list' "$umosctl" 2>&1); rc=$?
	log "userns: exit $rc: $(tr '\n' ' ' <<<"$out")"
	t_eq "userns, allow_userns=1: enable its own namespace" '[true,"passive"]' \
		"$(grep . <<<"$out" | sed -n 1p | jget '[d["enabled"], d["mode"]]')"
	t_eq "userns, allow_userns=1: add a rule there" '[["monitor","tcp"]]' \
		"$(grep . <<<"$out" | sed -n 2p | jget '[[r["action"], r["expr"]] for r in d["rules"]]')"
	t_check "router: enable again, inline" "$MOSCTL" -n "$R" ns enable inline
	add_rule "$R" "router: 'tcp dst port 7999' drop" 'tcp dst port 7999' action drop
	rules_r="[[$rid,0,\"drop\",0,\"tcp dst port 7999\"]]"
	expect_rc "userns, allow_userns=1: -n router rule flush refused" 1 \
		"${userns[@]}" "$umosctl" -n "$R" rule flush
	expect_rc "userns, allow_userns=1: -n router ns disable refused" 1 \
		"${userns[@]}" "$umosctl" -n "$R" ns disable
	t_eq "router: still enabled, its rule kept" "[true,\"inline\"] $rules_r" \
		"$("$MOSCTL" -n "$R" -j ns show | jget '[d["enabled"], d["mode"]]') $(rules "$R")"
else
	for n in "userns, allow_userns=0: enable refused" \
		"userns, allow_userns=1: enable its own namespace" \
		"userns, allow_userns=1: add a rule there" \
		"userns, allow_userns=1: -n router rule flush refused" \
		"userns, allow_userns=1: -n router ns disable refused"; do
		t_skip "$n" "$why"
	done
	t_check "unload mos.ko" mos_unload
	t_check "load mos.ko" mos_load
	t_check "router: enable again, inline" "$MOSCTL" -n "$R" ns enable inline
	add_rule "$R" "router: 'tcp dst port 7999' drop" 'tcp dst port 7999' action drop
	rules_r="[[$rid,0,\"drop\",0,\"tcp dst port 7999\"]]"
fi

# --- 10. The control plane under churn, with traffic ------------------------

ip netns exec "$S" iperf3 -s -D
wait_listen "$S" 5201
# Paced every 50 ms, not every 1 ms (control.sh says why)
ip netns exec "$C" iperf3 -c 10.0.2.2 -t 14 -b 2M -l 1400 --pacing-timer 50000 \
	>"$work/iperf" 2>&1 &
iperf_pid=$!
bg_pids+=("$iperf_pid")
"$MOSCTL" -n "$R" -j monitor >"$work/mon2" 2>&1 &
mon_pid=$!
bg_pids+=("$mon_pid")
nap 1
end=$(($(date +%s) + 10))
actions=(monitor ignore drop reset)
(
	n=0 bad=0
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		out=$("$MOSCTL" -n "$R" rule add prio $((n % 7)) "tcp dst port $((7000 + n % 100))" \
			action "${actions[n % 4]}") || { bad=$((bad + 1)); echo "# rule add: $out"; }
		"$MOSCTL" -n "$R" -j flows >/dev/null || bad=$((bad + 1))
		"$MOSCTL" -n "$R" set max-flows $((1000 + n)) buffer-bytes $((65536 + n)) \
			timeout ESTABLISHED $((600 + n)) || bad=$((bad + 1))
		"$MOSCTL" -n "$R" rule list >/dev/null || bad=$((bad + 1))
		"$MOSCTL" -n "$R" rule del "${out#id }" || bad=$((bad + 1))
		"$MOSCTL" -n "$R" stats >/dev/null || bad=$((bad + 1))
	done
	echo "$n $bad" >"$work/loop_ctl"
) &
ctl_pid=$!
(
	n=0 bad=0
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		X=churn-$sfx-$n
		ip netns add "$X" || { bad=$((bad + 1)); continue; }
		"$MOSCTL" -n "$X" ns enable passive || bad=$((bad + 1))
		"$MOSCTL" -n "$X" rule add 'tcp port 80' action monitor >/dev/null || bad=$((bad + 1))
		[ $((n % 2)) = 0 ] && { "$MOSCTL" -n "$X" -j flows >/dev/null || bad=$((bad + 1)); }
		ip netns del "$X" || bad=$((bad + 1))
	done
	echo "$n $bad" >"$work/loop_ns"
) &
ns_pid=$!
wait "$ctl_pid" "$ns_pid"
read -r n bad <"$work/loop_ctl"
log "control loop: $n rounds, $bad failures"
if [ "${n:-0}" -gt 0 ] && [ "$bad" = 0 ]; then
	t_ok "churn: rule add/del, flows, set, stats in the router, none failed ($n rounds)"
else
	t_fail "churn: rule add/del, flows, set, stats in the router" "$n rounds, $bad failures"
fi
read -r n bad <"$work/loop_ns"
log "namespace loop: $n rounds, $bad failures"
if [ "${n:-0}" -gt 0 ] && [ "$bad" = 0 ]; then
	t_ok "churn: namespaces created, enabled, given a rule, deleted, none failed ($n rounds)"
else
	t_fail "churn: namespaces created, enabled, given a rule, deleted" "$n rounds, $bad failures"
fi
t_eq "churn: no namespace left" 0 \
	"$(ip netns list | awk -v p="churn-$sfx-" 'index($1, p) == 1' | wc -l)"
wait_pid "$iperf_pid" 30
rc=$?
if [ $rc = 0 ]; then
	t_ok "churn: iperf3 through the router ran to its end"
else
	t_fail "churn: iperf3 through the router ran to its end" "exit $rc: $(tail -n 3 "$work/iperf")"
fi
t_check "churn: the monitor still runs" kill -0 "$mon_pid"
kill -INT "$mon_pid" 2>/dev/null
wait_pid "$mon_pid" 60

t_eq "after churn: ns show" '[true,"inline"]' \
	"$("$MOSCTL" -n "$R" -j ns show | jget '[d["enabled"], d["mode"]]')"
t_eq "after churn: rule list back to the one rule" "$rules_r" "$(rules "$R")"
t_check "after churn: stats" "$MOSCTL" -n "$R" stats
t_check "after churn: flows" "$MOSCTL" -n "$R" flows
t_check "after churn: set max-flows 2000" "$MOSCTL" -n "$R" set max-flows 2000
t_eq "after churn: max_flows 2000" 2000 \
	"$("$MOSCTL" -n "$R" -j ns show | jget 'd["limits"]["max_flows"]')"
n=$(mos_stat "$R" flows)
if [ "${n:-0}" -ge 2 ]; then
	t_ok "after churn: the iperf3 flows were tracked ($n)"
else
	t_fail "after churn: the iperf3 flows were tracked" "flows=$n"
fi

# Unload with the router still monitored inline, with a rule.
t_check "unload mos.ko" mos_unload
ns_cleanup
ktap_end
