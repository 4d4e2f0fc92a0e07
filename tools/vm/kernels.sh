#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh - where the kernels the VM tests boot are, and how to boot them
#
# Sourced by tools/vm/run; also a command for the Makefile:
#   kernels.sh release 6.1|6.12|debug    print the kernel release
#   kernels.sh kdir 6.1|6.12|debug       print the tree to build modules against
#
# 6.1 and 6.12 are Debian bookworm's packaged kernels (linux-image-amd64 and
# linux-image-6.12.*+deb12-amd64); the newest installed of each series wins.
# "debug" is the sanitizer kernel: $MOS_DEBUG_KERNEL_DIR if set, else the
# one built by tools/vm/build-debug-kernel --btf in ~/.cache/mos/debug-6.12-btf
# (BTF, so the XDP tests run there), else ../shared/kernels/debug-6.12 when
# present, else the one built by tools/vm/build-debug-kernel in
# ~/.cache/mos/debug-6.12.

_mos_proj=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

mos_debug_dir() {
	local d
	local cache=${XDG_CACHE_HOME:-$HOME/.cache}/mos

	for d in "${MOS_DEBUG_KERNEL_DIR:-}" "$cache/debug-6.12-btf" \
		"$_mos_proj/../shared/kernels/debug-6.12" "$cache/debug-6.12"; do
		[ -n "$d" ] && [ -f "$d/bzImage" ] && [ -f "$d/release" ] && { echo "$d"; return 0; }
	done
	return 1
}

# Newest installed Debian kernel of a series, by release string.
mos_debian_release() {
	local pat
	case "$1" in
	6.1) pat='6.1.0-*-amd64' ;;
	6.12) pat='6.12.*+deb12-amd64' ;;
	*) return 1 ;;
	esac
	# shellcheck disable=SC2086
	ls -d /boot/vmlinuz-$pat 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1
}

mos_vm_kernel() {
	local d
	# la57 off: KASAN trips in early boot with 5-level paging.  pcid and
	# invpcid off: with them a 6.12 guest took a double fault in
	# copy_process() while modules were loaded and unloaded under TCG
	# (Documentation/testing.rst).  The profiler's guest (vm_prof_cpu)
	# has that model, which its recorded figures were measured on.  The
	# test guests have neither ERMS/FSRM nor AVX: TCG runs the kernel's
	# and glibc's string functions for CPUs without them faster (rep
	# movsq rather than rep movsb, SSE2 rather than AVX2), and the VM
	# suite took 15% less time.
	vm_prof_cpu="${MOS_VM_CPU:-max,la57=off,pcid=off,invpcid=off}"
	vm_cpu="${MOS_VM_CPU:-$vm_prof_cpu,erms=off,fsrm=off,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off}"
	vm_extra_append=""
	case "$1" in
	6.1|6.12)
		vm_release=$(mos_debian_release "$1")
		[ -n "$vm_release" ] || { echo "vm: no Debian $1 kernel installed (make deps)" >&2; return 1; }
		vm_image=/boot/vmlinuz-$vm_release
		vm_moddir=/lib/modules/$vm_release
		[ -r "$vm_image" ] || { echo "vm: cannot read $vm_image" >&2; return 1; }
		;;
	debug)
		d=$(mos_debug_dir) || { echo "vm: no debug kernel (../shared/kernels/debug-6.12, or tools/vm/build-debug-kernel)" >&2; return 1; }
		vm_release=$(cat "$d/release")
		vm_image=$d/bzImage
		vm_moddir=
		# KASAN makes ACPI's PCI routing methods crawl; route PCI IRQs without it.
		vm_extra_append="pci=noacpi"
		;;
	*)
		echo "vm: unknown kernel '$1' (6.1, 6.12 or debug)" >&2
		return 1
		;;
	esac
}

# The module build tree: Debian's headers package, or the debug kernel's
# build.tar.xz unpacked once into build/kdir-debug-RELEASE.
mos_vm_kdir() {
	local d rel out
	case "$1" in
	6.1|6.12)
		rel=$(mos_debian_release "$1")
		[ -n "$rel" ] && [ -d "/lib/modules/$rel/build" ] || return 1
		echo "/lib/modules/$rel/build"
		;;
	debug)
		d=$(mos_debug_dir) || return 1
		rel=$(cat "$d/release")
		out="$_mos_proj/build/kdir-debug-$rel"
		# .unpacked names the tarball: the prebuilt kernel and a
		# built one have the same release, not the same tree
		if [ "$(cat "$out/.unpacked" 2>/dev/null)" != "$d/build.tar.xz" ] ||
		   [ "$d/build.tar.xz" -nt "$out/.unpacked" ]; then
			rm -rf "$out" && mkdir -p "$out" &&
				tar -xJf "$d/build.tar.xz" -C "$out" &&
				echo "$d/build.tar.xz" >"$out/.unpacked" || return 1
		fi
		echo "$out"
		;;
	*) return 1 ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	release)
		case "${2:-}" in
		debug) d=$(mos_debug_dir) && cat "$d/release" ;;
		*) r=$(mos_debian_release "${2:-}") && [ -n "$r" ] && echo "$r" ;;
		esac
		;;
	kdir) mos_vm_kdir "${2:-}" ;;
	btf)
		# Whether the debug kernel found has BTF for its modules, which
		# mos.ko's kfunc, hence XDP, needs (Debian's kernels have it)
		[ "${2:-}" = debug ] || { echo "usage: kernels.sh btf debug" >&2; exit 2; }
		d=$(mos_debug_dir) && grep -qx 'CONFIG_DEBUG_INFO_BTF_MODULES=y' "$d/config"
		;;
	*) echo "usage: kernels.sh release|kdir 6.1|6.12|debug, kernels.sh btf debug" >&2; exit 2 ;;
	esac
fi
