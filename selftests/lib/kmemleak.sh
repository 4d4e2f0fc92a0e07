# SPDX-License-Identifier: GPL-2.0
#
# kmemleak.sh - reading kmemleak's reports, for run_vm and the baseline
#
# Sourced.  A report's signature is its backtrace's function names, the
# allocator's own frames left out, joined by '<': the same leak from the
# same path has the same signature on every boot, whatever the addresses.

KML=/sys/kernel/debug/kmemleak

# kml_scan: scan twice (an object must stay unreferenced across both),
# print the report
kml_scan() {
	echo scan >"$KML"
	sleep 5
	echo scan >"$KML"
	cat "$KML"
}

# kml_sigs: the signatures of the report on stdin, one per line, sorted,
# without duplicates
kml_sigs() {
	awk '
	function flush() { if (sig != "") print sig; sig = ""; nf = 0 }
	/^unreferenced object/ { flush(); inbt = 0; next }
	/backtrace/ { inbt = 1; next }
	inbt && /\[<[0-9a-f]+>\]/ {
		f = $2
		sub(/\+0x[0-9a-f]+\/0x[0-9a-f]+.*/, "", f)
		if (NF > 2)
			f = f $3
		if (f ~ /^(kmemleak_|__kmem_cache_alloc|kmem_cache_alloc|__kmalloc|kmalloc|slab_post_alloc|__alloc_pages|alloc_pages|__vmalloc|vmalloc|krealloc|kvmalloc|__kvmalloc)/)
			next
		if (nf++ < 8)
			sig = sig == "" ? f : sig "<" f
	}
	END { flush() }' | sort -u
}
