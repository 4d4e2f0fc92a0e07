# SPDX-License-Identifier: GPL-2.0
#
# manifest.sh - reading the test manifest, selftests/TESTS, for
# selftests/check and selftests/vm/run_vm.  Sourced.

MANIFEST=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/TESTS

# manifest KIND: the tests of KIND, in order, one a line: PATH and its
# options (comments and blank lines left out)
manifest() {
	awk -v kind="$1" '$1 == kind { $1 = ""; sub(/^ +/, ""); print }' "$MANIFEST"
}

# manifest_opt KEY [OPTION...]: the value of the option KEY=VALUE among
# OPTION..., empty if it is absent
manifest_opt() {
	local key=$1 o
	shift
	for o in "$@"; do
		[ "${o%%=*}" = "$key" ] && { echo "${o#*=}"; return 0; }
	done
	return 0
}

# manifest_name PATH: the test's name in KTAP
manifest_name() {
	local n=${1##*/}
	echo "${n%.c}"
}
