#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# man_check.sh - the manual pages of Documentation/man: each formats with
# no groff warning, each .so link names a page that exists, and every
# mtcp_* call the public headers declare has a page; and each
# Documentation/*.rst parses with no docutils warning.  KTAP output.

proj=$(cd "$(dirname "$0")/../.." && pwd)
man=$proj/Documentation/man
cd "$man" || exit 1

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
}

echo "TAP version 13"
command -v groff >/dev/null || { echo "1..0 # SKIP groff missing (make deps)"; exit 4; }
for f in *.3 *.7; do
	target=$(sed -n 's|^\.so man[0-9]/||p' "$f")
	if [ -n "$target" ]; then
		if [ "$(wc -l <"$f")" = 1 ] && [ -f "$target" ] && ! grep -q '^\.so' "$target"; then
			ok "$f: link to $target"
		else
			not_ok "$f: link to $target" "the link must be one line, to a page that is not a link"
		fi
		continue
	fi
	out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
	if [ -z "$out" ]; then
		ok "$f: formats without warnings"
	else
		not_ok "$f: formats without warnings" "$out"
	fi
done
for fn in $(grep -ho '\bmtcp_[a-z_]*(' "$proj/libmosuser/mos_api.h" \
		"$proj/libmosuser/mtcp_api.h" | tr -d '(' | sort -u); do
	if [ -f "$fn.3" ] && grep -q "^\.BI\? .*\b$fn(" "$(sed -n 's|^\.so man3/||p' "$fn.3" | grep . || echo "$fn.3")"; then
		ok "$fn: a page, whose synopsis declares it"
	else
		not_ok "$fn: a page, whose synopsis declares it"
	fi
done
# reStructuredText: titles, tables and literals as docutils reads them
for f in "$proj"/Documentation/*.rst; do
	out=$(/usr/bin/python3 - "$f" 2>&1 <<'PYEOF'
import io, sys
import docutils.core
err = io.StringIO()
docutils.core.publish_doctree(open(sys.argv[1]).read(), source_path=sys.argv[1],
                              settings_overrides={"warning_stream": err,
                                                  "report_level": 2})
sys.stdout.write(err.getvalue())
PYEOF
)
	if [ -z "$out" ]; then
		ok "${f##*/}: parses without warnings"
	else
		not_ok "${f##*/}: parses without warnings" "$out"
	fi
done
echo "1..$n"
[ $failed -eq 0 ]
