#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libmosuser_abi.sh - libmosuser's exports are its public headers'
# functions, no more, no less:
#
# - every function the installed headers (libmosuser.h and mOS's
#   mos_api.h, mtcp_api.h, mtcp_epoll.h, mtcp_util.h, cpu.h) declare (as GCC's
#   -aux-info lists them) is in libmosuser.map, which names each export
#   (no wildcard) and nothing else;
# - a program that takes the address of each links against
#   build/lib/libmosuser.a (with -lpcap) and against build/lib's .so, and
#   both start, the second with LD_LIBRARY_PATH=build/lib alone;
# - nm -g --defined-only shows exactly the map's list in the .a and in
#   the .so (the .so's version nodes aside).
#
# Needs `make user`.  KTAP output.

. "$(dirname "$0")/../lib/lib.sh"
lib=$PROJ/build/lib
map=$PROJ/libmosuser/libmosuser.map
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
CFLAGS=(-Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -I"$PROJ/uapi" -I"$PROJ/libmosuser")

# same NAME A B: the lists in files A and B are the same
same() {
	local d
	if d=$(diff "$2" "$3"); then
		t_ok "$1"
	else
		t_fail "$1"
		echo "$d" | sed 's/^/# /'
	fi
}

ktap_begin
for f in libmosuser.a libmosuser.so; do
	[ -f "$lib/$f" ] || { echo "1..0 # SKIP $lib/$f missing (make user)"; exit "$KSFT_SKIP"; }
done

# The functions the public headers declare
hdrs=(libmosuser.h mos_api.h mtcp_api.h mtcp_epoll.h mtcp_util.h cpu.h)
printf '#include "%s"\n' "${hdrs[@]}" >"$tmp/hdrs.c"
"$CC" "${CFLAGS[@]}" -aux-info "$tmp/aux" -c -o "$tmp/hdrs.o" "$tmp/hdrs.c" || exit 1
grep -E "^/\* [^ ]*libmosuser/($(printf '%s\n' "${hdrs[@]%.h}" | paste -sd'|'))\.h:" "$tmp/aux" |
	sed -E 's|^/\* [^*]*\*/ extern ||; s/ \(.*$//; s/.*[ *]//' | sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || { echo "no declaration found in the public headers"; exit 1; }
echo "# $(wc -l <"$tmp/declared") functions declared"

# The map's exports: "name;" lines of its global sections
awk '/^[[:space:]]*global:/ { g = 1; next }
     /^[[:space:]]*local:/ { g = 0; next }
     /}/ { g = 0 }
     g { gsub(/[[:space:];]/, ""); if ($0 != "") print }' "$map" | sort >"$tmp/map"
if grep -q '[*?]' "$tmp/map"; then
	t_fail "libmosuser.map names each export" "$(grep '[*?]' "$tmp/map" | paste -sd' ')"
else
	t_ok "libmosuser.map names each export"
fi
same "libmosuser.map exports the declared functions, and only those" "$tmp/declared" "$tmp/map"

# A program that takes the address of each declared function
{
	printf '#include <stdio.h>\n'
	cat "$tmp/hdrs.c"
	printf '\n'
	printf 'static void *const fns[] = {\n'
	sed 's/.*/\t(void *)&,/' "$tmp/declared"
	printf '};\n\nint main(void)\n{\n\tunsigned int i, n = 0;\n\n'
	printf '\tfor (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)\n'
	printf '\t\tn += *(void *volatile *)&fns[i] != NULL;\n'
	printf '\tprintf("%%u functions\\n", n);\n'
	printf '\treturn n == sizeof(fns) / sizeof(fns[0]) ? 0 : 1;\n}\n'
} >"$tmp/link.c"

t_check "every declared function links from libmosuser.a" \
	"$CC" "${CFLAGS[@]}" -o "$tmp/link-static" "$tmp/link.c" "$lib/libmosuser.a" -lpcap
t_check "the program linked with libmosuser.a runs" "$tmp/link-static"
t_check "every declared function links from libmosuser.so" \
	"$CC" "${CFLAGS[@]}" -o "$tmp/link-shared" "$tmp/link.c" -L"$lib" -lmosuser
t_check "the program linked with libmosuser.so runs with LD_LIBRARY_PATH=build/lib" \
	env LD_LIBRARY_PATH="$lib" LD_BIND_NOW=1 "$tmp/link-shared"

# What the libraries export.  The .so's symbol table also holds its
# version nodes (absolute symbols named as the map's nodes).
nodes=$(sed -n 's/^\([A-Za-z_][A-Za-z0-9_.]*\)[[:space:]]*{.*/\1/p' "$map" | paste -sd'|')
nm -g --defined-only "$lib/libmosuser.a" 2>/dev/null | awk 'NF == 3 { print $3 }' |
	sort >"$tmp/nm-a"
same "nm -g --defined-only libmosuser.a: the map's list" "$tmp/map" "$tmp/nm-a"
nm -g --defined-only "$lib/libmosuser.so" 2>/dev/null | awk 'NF == 3 { print $3 }' |
	sed 's/@.*//' | grep -vxE "${nodes:-^$}" | sort -u >"$tmp/nm-so"
same "nm -g --defined-only libmosuser.so: the map's list" "$tmp/map" "$tmp/nm-so"
nm -D --defined-only "$lib/libmosuser.so" 2>/dev/null | awk 'NF == 3 { print $3 }' |
	sed 's/@.*//' | grep -vxE "${nodes:-^$}" | sort -u >"$tmp/nm-dyn"
same "nm -D --defined-only libmosuser.so: the map's list" "$tmp/map" "$tmp/nm-dyn"
ktap_end
