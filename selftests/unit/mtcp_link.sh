#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mtcp_link.sh - an application written and built as mOS's samples are
# builds against build/mtcp and runs offline
#
#   selftests/lib/mosapp/{flowsum,common}   copied to a scratch directory
#     flowsum/Makefile: mOS's sample Makefile; only its MTCP_FLD and
#     UTIL_INC lines changed (sed), to build/mtcp as
#     Documentation/libmosuser.rst says
#     -> make: the rule of mOS's samples, libmtcp.a on the line, -lmtcp
#        -lssl -lcrypto -lnuma -lpthread -lrt, no -lpcap
#     -> flowsum -f mos.conf -n 2 on xfer.pcap (offline_pcaps.py): the
#        IPv4 connection's bytes each way, which the capture's script
#        sends (100000 up, 5000 down)
#
# Also: mOS's four headers and cpu.h compile with mOS's sample flags and
# with -std=c99 -Wextra; the binary needs no libmosuser.so (libmtcp.a is
# libmosuser.a).  Needs `make user`.  KTAP output.

. "$(dirname "$0")/../lib/lib.sh"

MTCP=$PROJ/build/mtcp
work=$(mktemp -d)
defer rm -rf "$work"
unset MOS_PCAP MOS_PCAP_CHECKSUM

ktap_begin
[ -f "$MTCP/lib/libmtcp.a" ] || { t_fail "build/mtcp" "missing (make user)"; ktap_end; }

printf '#include <%s>\n' mos_api.h mtcp_api.h mtcp_epoll.h mtcp_util.h cpu.h >"$work/hdrs.c"
t_check "the headers compile with mOS's sample flags" \
	cc -m64 -Wall -Werror -fgnu89-inline -O3 -I"$MTCP/include" -c -o /dev/null "$work/hdrs.c"
t_check "the headers compile with -std=c99 -Wall -Wextra -Werror" \
	cc -std=c99 -Wall -Wextra -Werror -I"$MTCP/include" -c -o /dev/null "$work/hdrs.c"

cp -r "$SELFTESTS/lib/mosapp" "$work/samples"
mk=$work/samples/flowsum/Makefile
sed -i -e "s|^MTCP_FLD .*|MTCP_FLD    = $MTCP|" \
	-e "s|^UTIL_INC .*|UTIL_INC    = -I\$(MTCP_FLD)/include|" "$mk"
# Two lines changed, nothing else
t_eq "the Makefile differs from mOS's shape in two lines" 2 \
	"$(diff "$SELFTESTS/lib/mosapp/flowsum/Makefile" "$mk" | grep -c '^>')"
t_check "mOS's rule builds flowsum" make -C "$work/samples/flowsum" V=1
t_eq "flowsum needs libpcap, no libmosuser.so" "[libpcap.so.0.8]" \
	"$(readelf -d "$work/samples/flowsum/flowsum" 2>&1 |
	   sed -n 's/.*NEEDED.*\(\[lib\(mosuser\|pcap\)[^]]*\]\)/\1/p' | paste -sd' ')"

scapy_python
"$PY" "$SELFTESTS/lib/offline_pcaps.py" "$work/cap" >/dev/null || exit 1
printf 'mos {\n\tmax_concurrency = 1000\n\trmem_size = 8192\n\tpcap_file = %s\n}\n' \
	"$work/cap/xfer.pcap" >"$work/mos.conf"
out=$("$work/samples/flowsum/flowsum" -f "$work/mos.conf" -n 2 2>&1)
t_eq "flowsum offline, two contexts: the IPv4 connection's bytes" \
	"10.1.0.1:41000 > 10.2.0.1:9000 up 100000 down 5000 (MOS_ON_CONN_END)" "$out"

# A capture libpcap cannot read: mtcp_init() fails, libpcap says why
echo "not a capture" >"$work/text.pcap"
printf 'mos {\n\tpcap_file = %s\n}\n' "$work/text.pcap" >"$work/bad.conf"
out=$("$work/samples/flowsum/flowsum" -f "$work/bad.conf" 2>&1)
t_eq "flowsum on a text file: mtcp_init() fails with libpcap's words" \
	"mtcp_init: $work/text.pcap: unknown file format" "$out"
ktap_end
