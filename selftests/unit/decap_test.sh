#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# decap_test.sh - the capture reader through encapsulations and link types
#
#   decap_pcaps.py: one TCP exchange in each encapsulation (IP in IP, GRE,
#   ERSPAN I, II and III, VXLAN, Geneve, PPPoE, GTP-U, three nested) and each
#   link type (NULL, LOOP, PPP, PPP_SERIAL, C_HDLC, PPP_ETHER, NFLOG)
#     -> replay_diff.sh on them: tshark's follow and mosreplay-san's
#        streams (--overlap first and last) both equal the bytes the
#        exchange sent, exactly
#     -> mosreplay-san's summary: every record decapsulated ("decap")
#        for the encapsulations, none for the plain link types
#   decap_pcaps.py --bad: frames whose encapsulation is unknown,
#   malformed or five deep
#     -> mosreplay-san exits 0 (no sanitizer report) with decap_unknown,
#        decap_bad, decap_deep and other as bad.want counts them, no flow
#
# Usage: selftests/unit/decap_test.sh  (MOSREPLAY=BINARY: another mosreplay)

. "$(dirname "$0")/../lib/lib.sh"

MR=${MOSREPLAY:-$PROJ/build/bin/mosreplay-san}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$PROJ/build/replay/decap
rm -rf "$work"
mkdir -p "$work/caps"

ktap_begin
if [ ! -x "$MR" ]; then
	t_fail "binaries" "$MR missing (make user)"
	ktap_end
fi
scapy_python
if ! "$PY" "$SELFTESTS/lib/decap_pcaps.py" "$work/caps" >"$work/craft.log" 2>&1 ||
	! "$PY" "$SELFTESTS/lib/decap_pcaps.py" --bad "$work/bad" >>"$work/craft.log" 2>&1; then
	t_fail "build the captures" "$(tail -n 5 "$work/craft.log")"
	ktap_end
fi
t_ok "build the captures"

# tshark and mosreplay against the exchange's bytes, one result per check
MOSREPLAY=$MR "$SELFTESTS/unit/replay_diff.sh" "$work/caps" >"$work/diff.tap" 2>&1
diff_rc=$?
while read -r line; do
	case $line in
	"ok "*"# SKIP"*) t_skip "${line#ok * - }" "skipped" ;;
	"ok "*) t_ok "${line#ok * - }" ;;
	"not ok "*) t_fail "${line#not ok * - }" \
		"$(awk -v l="$line" '$0 == l { on = 1; next } /^(not )?ok / { on = 0 }
			on && /^#/' "$work/diff.tap" | head -n 5)" ;;
	esac
done < <(grep -E '^(not )?ok ' "$work/diff.tap")
t_eq "replay_diff.sh: exit 0" 0 "$diff_rc"

# sfield FILE KEY: a field of mosreplay's summary line
sfield() {
	tail -n 1 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

for p in "$work"/caps/*.pcap; do
	n=$(basename "$p" .pcap)
	"$MR" --quiet --checksum verify --flush "$p" >"$work/$n.sum" 2>"$work/$n.err"
	rc=$?
	t_eq "$n: mosreplay exit 0, no sanitizer report" "0 0" \
		"$rc $(grep -c 'Sanitizer' "$work/$n.err")"
	t_eq "$n: decap tcp decap_unknown decap_bad decap_deep" \
		"$(cat "$work/caps/$n.decap") 13 0 0 0" \
		"$(for k in decap tcp decap_unknown decap_bad decap_deep; do sfield "$work/$n.sum" $k; done | xargs)"
done

"$MR" --quiet --checksum verify --flush "$work/bad/bad.pcap" >"$work/bad.sum" 2>"$work/bad.err"
rc=$?
t_eq "bad: mosreplay exit 0, no sanitizer report" "0 0" \
	"$rc $(grep -c 'Sanitizer' "$work/bad.err")"
for k in decap_unknown decap_bad decap_deep other; do
	t_eq "bad: $k" "$(grep -cx "$k" "$work/bad/bad.want")" "$(sfield "$work/bad.sum" $k)"
done
t_eq "bad: packets, tcp, decap, parse_errors, flows" \
	"$(wc -l <"$work/bad/bad.want") 0 0 0 0" \
	"$(for k in packets tcp decap parse_errors flows; do sfield "$work/bad.sum" $k; done | xargs)"

# An NFLOG TLV whose padded length does not fit 16 bits: read past, in
# time (it once looped on it forever)
timeout 60 "$MR" --quiet --checksum verify --flush "$work/bad/nflog_pad.pcap" \
	>"$work/nflog_pad.sum" 2>"$work/nflog_pad.err"
rc=$?
t_eq "nflog_pad: mosreplay exit 0 within 60 s, no sanitizer report" "0 0" \
	"$rc $(grep -c 'Sanitizer' "$work/nflog_pad.err")"
t_eq "nflog_pad: packets, tcp, flows" "1 0 0" \
	"$(for k in packets tcp flows; do sfield "$work/nflog_pad.sum" $k; done | xargs)"

ktap_end
