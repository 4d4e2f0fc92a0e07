#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install_test.sh - make install-user into a staging root, then build the
# samples against what it installed, as an application would: headers
# and flags from pkg-config, linked with the shared and with the static
# library (libpcap, which the static one needs, stays shared); mOS's
# cpu.h, which midstat and simple_firewall include as mOS's samples do,
# from mOS's layout (UTIL_INC in an mOS Makefile).  KTAP output.

proj=$(cd "$(dirname "$0")/../.." && pwd)
root=$(mktemp -d) bin=$(mktemp -d)
trap 'rm -rf "$root" "$bin"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
}
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$2', got '$3'"; fi
}

echo "TAP version 13"
check "make install-user DESTDIR=... PREFIX=/usr" \
	make --no-print-directory -C "$proj" install-user DESTDIR="$root" PREFIX=/usr
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig
eq "pkg-config: version" \
	"$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$proj/dkms.conf")" \
	"$(pkg-config --modversion libmosuser)"
eq "pkg-config: flags" "-I$root/usr/include -L$root/usr/lib -lmosuser" \
	"$(pkg-config --cflags --libs libmosuser | sed 's/ *$//')"
eq "pkg-config: static flags" "-L$root/usr/lib -lmosuser -lpcap" \
	"$(pkg-config --static --libs libmosuser | sed 's/ *$//')"
eq "pkg-config: libdir" /usr/lib "$(PKG_CONFIG_SYSROOT_DIR='' pkg-config --variable=libdir libmosuser)"
util_inc=-I$root/usr/lib/mos/mtcp/include
for s in "$proj"/samples/*.c; do
	b=$(basename "$s" .c)
	# shellcheck disable=SC2046 # pkg-config's flags are words
	check "$b: builds with the installed headers and shared library" \
		cc -Wall -Wextra -Werror -o "$bin/$b" "$s" $(pkg-config --cflags --libs libmosuser) \
		"$util_inc"
	eq "$b: needs libmosuser.so.0" 1 \
		"$(readelf -d "$bin/$b" 2>/dev/null | grep -c 'NEEDED.*\[libmosuser\.so\.0\]')"
	# shellcheck disable=SC2046
	check "$b: links with libmosuser.a and pkg-config --static's flags" \
		cc -Wall -Wextra -Werror -o "$bin/$b-static" "$s" "$util_inc" \
		$(pkg-config --static --cflags --libs libmosuser |
		  sed 's/-lmosuser/-Wl,-Bstatic -lmosuser -Wl,-Bdynamic/')
	eq "$b: libmosuser linked in" 0 \
		"$(readelf -d "$bin/$b-static" 2>/dev/null | grep -c 'NEEDED.*libmosuser')"
done
# mOS's layout, for mOS's Makefiles (MTCP_FLD=/usr/lib/mos/mtcp)
eq "mOS's layout: include/" "cpu.h mos_api.h mtcp_api.h mtcp_epoll.h mtcp_util.h" \
	"$(ls "$root/usr/lib/mos/mtcp/include" | paste -sd' ')"
eq "mOS's layout: lib/libmtcp.a names the installed libmosuser.a" \
	"GROUP ( /usr/lib/libmosuser.a -lpcap )" "$(grep GROUP "$root/usr/lib/mos/mtcp/lib/libmtcp.a")"
for p in mtcp_init mtcp_getconf mtcp_peek mtcp_settimer; do
	eq "man 3 $p: installed, .so links followed" 1 \
		"$(MANPATH=$root/usr/share/man MANWIDTH=80 man 3 "$p" 2>/dev/null | grep -c "^SYNOPSIS")"
done
eq "man 7 libmosuser" 1 \
	"$(MANPATH=$root/usr/share/man MANWIDTH=80 man 7 libmosuser 2>/dev/null | grep -c "^DESCRIPTION")"
check "make uninstall removes it all" \
	make --no-print-directory -C "$proj" uninstall DESTDIR="$root" PREFIX=/usr
eq "nothing left but directories" "" \
	"$(find "$root" ! -type d | sed "s|^$root||")"
echo "1..$n"
[ $failed -eq 0 ]
