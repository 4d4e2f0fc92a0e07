# SPDX-License-Identifier: GPL-2.0
#
# mos: everything builds from here.
#
#   make              mos.ko for every supported kernel whose headers are
#                     installed, plus the userspace parts
#   make KDIR=DIR     mos.ko for that kernel tree only
#   make deps         install the packages (apt-get, idempotent)
#   make check        deps, build, userspace tests, VM tests on 6.1 and 6.12
#                     (those with check=K in selftests/TESTS on K only)
#   make check-vm     every VM test on 6.1 and on 6.12
#   make check-debug  the VM tests on the debug kernel
#   make demo         deps, build, boot a VM and show mos counting traffic
#   make style        checkpatch on kmod/ and uapi/
#   make bench        instructions and time per packet: mosreplay, libnids, libpcap
#   make bench-record record mosreplay's Ir/packet, which make check-user guards
#   make bench-ring   /dev/mos ring delivery in the VM: MB/s, events/s, baselines
#   make prof         the guest-instruction profiler (build/vm/mosprof.so,
#                     build/vm/prof-mark; tools/vm/run --profile)
#   make prof-selftest  its determinism check: a marked transfer twice in
#                     the 6.1 VM, the figures compared
#   make bench-ooo    instructions per segment of the out-of-order store
#                     (BEFORE=REV: also against revision REV's tracker)
#   make bench-kernel guest instructions per packet in the VM: mos, conntrack, AF_PACKET
#   make check-kernel-cost  mos's instructions per packet in the 6.12 VM
#                     against Documentation/bench_kernel_cost.txt (in make check)
#   make bench-kernel-record  record them anew
#   make bench-mirror the mirror-port capacity in the VM: packets a second
#                     tracked without loss, mos by XDP against AF_PACKET + libnids
#   make nat-bench-bins  bench/nat_tput.sh's consumers: held packets against NFQUEUE
#   make fuzz         the tcpmon fuzzer for FUZZ_TIME seconds (600)
#   make install      install-module and install-user
#   make install-module  mos.ko for the running kernel
#   make install-user mosctl, libmosuser (headers, pkg-config, man pages)
#   make uninstall    removes what install put in place

PROJ	:= $(CURDIR)
B	:= $(PROJ)/build
O	:= $(B)/obj

CC	?= gcc
WARN	:= -Wall -Wextra -Werror
CFLAGS	?= -O2 -g
# Paths in the objects relative to the project, as in mos.ko
# (tools/build-module): the same binaries from any checkout, for the
# profiler's boots that repeat (Documentation/bench.rst)
PREFIX_MAP := -ffile-prefix-map=$(PROJ)=.
UCFLAGS	:= $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(PROJ)/uapi \
	   -I$(PROJ)/libmosuser -I$(PROJ)/kmod/tcpmon -I$(PROJ)/tools/tcpmon \
	   -I$(PROJ)/tools/lib $(PREFIX_MAP)
# Release objects carry link-time optimisation: on every packet the core's
# files call one another (input.c -> track.c -> reasm.c), as mos.ko's do
# inside one module. Fat objects keep libtcpmon.a usable without it.
LTO	:= -flto=auto -ffat-lto-objects
AR	:= gcc-ar
SAN	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS	:= $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
KSRC	:= $(B)/ksrc
LINUX_SRC_TAR := /usr/src/linux-source-6.1.tar.xz

# Kernels: Debian bookworm's 6.1 and 6.12 series, those installed.
ifdef KDIR
KDIRS	:= $(KDIR)
else
KDIRS	:= $(sort $(wildcard /lib/modules/6.1.0-*-amd64/build) \
	   $(wildcard /lib/modules/6.12.*+deb12-amd64/build))
endif
VM_KERNELS ?= 6.1 6.12
# make check builds with a job per CPU
NPROC := $(shell nproc 2>/dev/null || echo 1)
STRESS_KERNELS ?= 6.1 6.12

TCPMON_SRC := $(wildcard kmod/tcpmon/*.c) tools/tcpmon/port_user.c tools/tcpmon/names.c \
	tools/tcpmon/rbtree_user.c
# A capture file as the tracker's input: mosreplay and libmosuser (-lpcap)
CAPTURE_SRC := tools/tcpmon/capture.c
MOSUSER_SRC := $(wildcard libmosuser/*.c) kmod/deliver.c
# libmosuser carries the tracker for its offline backend (hidden in the .so)
MOSUSER_OBJS := $(patsubst %.c,$(O)/%.o,$(MOSUSER_SRC) $(TCPMON_SRC) $(CAPTURE_SRC))
MOSUSER_SAN_OBJS := $(patsubst %.c,$(O)/san/%.o,$(MOSUSER_SRC) $(TCPMON_SRC) $(CAPTURE_SRC))
MOSREPLAY_SRC := $(wildcard tools/mosreplay/*.c) tools/lib/json.c
HDRS	:= $(wildcard uapi/linux/*.h kmod/rec.h kmod/abi.h kmod/deliver.h kmod/tcpmon/*.h \
	   libmosuser/*.h tools/tcpmon/*.h tools/lib/*.h)
# tools/lib: what the tools, tests and benchmarks share: the Internet
# checksum (csum.h, inline), the packet builder, the JSON writer
PKT_SRC	:= tools/lib/pkt.c

BINS	:= $(B)/bin/mosctl $(B)/bin/mosreplay $(B)/bin/flowstats $(B)/bin/httplog \
	   $(B)/bin/simple_firewall $(B)/bin/midstat $(B)/bin/nat
LIBS	:= $(B)/lib/libtcpmon.a $(B)/lib/libmosuser.a $(B)/lib/libmosuser.so.0 \
	   $(B)/lib/libmosuser.so
# mOS's layout for mOS's Makefiles (below)
MTCP_HDRS := libmosuser/mos_api.h libmosuser/mtcp_api.h libmosuser/mtcp_epoll.h \
	libmosuser/mtcp_util.h libmosuser/cpu.h
MTCP_LAYOUT := $(B)/mtcp/lib/libmtcp.a $(addprefix $(B)/mtcp/include/,$(notdir $(MTCP_HDRS)))
# The unit tests in C of the test manifest, by what they are built
# against (link=): build/selftests/NAME for selftests/unit/NAME.c
MANIFEST := selftests/TESTS
manifest_c = $(patsubst unit/%.c,$(B)/selftests/%,$(shell awk '$$1 == "unit" && \
	$$2 ~ /\.c$$/ { for (i = 3; i <= NF; i++) if ($$i == "link=$(1)") print $$2 }' $(MANIFEST)))
UNIT_TCPMON := $(call manifest_c,tcpmon)
UNIT_TM_UTIL := $(call manifest_c,tm_util)
UNIT_MOSUSER := $(call manifest_c,libmosuser)
UNIT_NETLINK := $(call manifest_c,netlink)
# and the programs the tests run (selftests/lib/)
TESTS	:= $(UNIT_TCPMON) $(UNIT_TM_UTIL) $(UNIT_MOSUSER) $(UNIT_NETLINK) \
	   $(B)/selftests/evtrace $(B)/selftests/pcap_send $(B)/selftests/iface_fuzz \
	   $(B)/selftests/ringcount $(B)/selftests/connhold $(B)/selftests/synflood \
	   $(B)/selftests/recdump $(B)/selftests/ctxflows \
	   $(B)/selftests/mosapi_conf $(B)/selftests/verdict_app

.PHONY: all modules user deps check check-user check-vm check-receiver check-debug check-stress demo \
	style install install-module install-user uninstall man-check abi-check clean bench \
	bench-record bench-bins fuzz bench-ring ring-bench-bins bench-ooo bench-flows prof \
	prof-selftest kbench-bins bench-kernel bench-mirror nat-bench-bins mos-nat \
	check-kernel-cost bench-kernel-record

all: modules user prof

# The guest-instruction profiler: a QEMU TCG plugin and the guest's marker
# (Documentation/bench.rst)
PROF_BINS := $(B)/vm/mosprof.so $(B)/vm/prof-mark $(B)/vm/prof-spin
prof: $(PROF_BINS)

$(B)/vm/mosprof.so: tools/vm/mosprof/mosprof.c tools/vm/mosprof/qemu-plugin-abi.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CFLAGS) $(WARN) -std=gnu11 -fPIC -shared -fvisibility=hidden -o $@ $<

# static: run from the guest's tmpfs, it opens nothing over 9p
$(B)/vm/prof-mark: tools/vm/mosprof/prof-mark.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CFLAGS) $(WARN) $(PREFIX_MAP) -std=gnu11 -static -o $@ $<

# the idle spinner at a fixed address, no libc (its text: 0x5f0000000000
# up to 1 MiB, the range tools/vm/run and tools/vm/prof-report leave out)
$(B)/vm/prof-spin: tools/vm/mosprof/prof-spin.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -O2 $(WARN) -nostdlib -static -no-pie -Wl,-Ttext-segment=0x5f0000000000 \
		-Wl,--build-id=none -o $@ $<

prof-selftest: prof
	tools/vm/prof-selftest

modules:
	@[ -n "$(strip $(KDIRS))" ] || { echo "no kernel headers installed (make deps)"; exit 1; }
	+@for k in $(KDIRS); do tools/build-module $$k || exit 1; done

user: $(BINS) $(LIBS) $(MTCP_LAYOUT) $(TESTS) $(B)/bin/mosreplay-san $(B)/fuzz/tm_fuzz \
	$(B)/selftests/flowstats-san $(B)/selftests/httplog-san \
	$(B)/selftests/simple_firewall-san $(B)/selftests/midstat-san $(B)/selftests/nat-san \
	$(B)/bench/gen_capture

$(O)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(UCFLAGS) $(LTO) -fPIC -c -o $@ $<

$(O)/san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(UCFLAGS) $(SAN) -c -o $@ $<

$(B)/lib/libtcpmon.a: $(TCPMON_SRC:%.c=$(O)/%.o)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@rm -f $@ && $(AR) rcs $@ $^

# libmosuser exports the functions libmosuser.map lists, from the .so as
# from the .a: the .a holds one relocatable object, link-time optimised as
# the .so is, in which every other symbol (the tracker it carries, siphash)
# is made local.  Static users link -lpcap too.
$(O)/libmosuser.syms: libmosuser/libmosuser.map
	@mkdir -p $(dir $@)
	@sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);$$/\1/p' $< >$@

$(O)/libmosuser.o: $(MOSUSER_OBJS) $(O)/libmosuser.syms
	@echo "  LD -r   $@"
	@$(CC) $(UCFLAGS) $(LTO) -fPIC -r -nostdlib -flinker-output=nolto-rel \
		-o $@.tmp $(MOSUSER_OBJS)
	@objcopy --keep-global-symbols=$(O)/libmosuser.syms $@.tmp $@ && rm -f $@.tmp

$(B)/lib/libmosuser.a: $(O)/libmosuser.o
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@rm -f $@ && $(AR) rcs $@ $^

$(B)/lib/libmosuser.so.0: $(MOSUSER_OBJS) libmosuser/libmosuser.map
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(UCFLAGS) $(LTO) -shared -Wl,--version-script=libmosuser/libmosuser.map \
		-Wl,-soname,libmosuser.so.0 -o $@ $(MOSUSER_OBJS) -lpcap

# The link-time name, as installed: programs linked against build/lib
# start with LD_LIBRARY_PATH=build/lib
$(B)/lib/libmosuser.so: $(B)/lib/libmosuser.so.0
	@ln -sf libmosuser.so.0 $@

# mOS's layout, so that an mOS application's own Makefile builds with
# MTCP_FLD (and UTIL_INC) pointing here: build/mtcp/include holds mOS's
# four headers and util's cpu.h, build/mtcp/lib libmtcp.a, a linker
# script that names libmosuser.a and libpcap, which it needs.  mOS's rule
# names libmtcp.a before the application's files and -lmtcp after them,
# which finds it again (there is no libmtcp.so): applications link
# libmosuser statically, as they linked mOS's libmtcp.a.  Installed under
# $(MTCPDIR).

# $(call mtcp_lib,FILE,LIBDIR): libmtcp.a, naming LIBDIR's libmosuser.a
mtcp_lib = printf '/* mOS link name: libmosuser.a, and libpcap */\nGROUP ( %s/libmosuser.a -lpcap )\n' \
	'$(2)' >$(1)

$(B)/mtcp/lib/libmtcp.a: $(B)/lib/libmosuser.a
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$(call mtcp_lib,$@,$(B)/lib)

$(B)/mtcp/include/%.h: libmosuser/%.h
	@mkdir -p $(dir $@)
	@cp $< $@

# mOS's own nat sample (MOS_SRC: mOS's source tree, a checkout or a bare
# git directory), unmodified, built by its own Makefile.in with its paths
# changed only (tools/mos_sample), into build/mos-samples; without
# MOS_SRC, a message and nothing built.  Not part of make check:
# selftests/vm/mos_nat.sh runs it when it is there.
MOS_SRC ?=
mos-nat: $(MTCP_LAYOUT)
	@tools/mos_sample "$(MOS_SRC)" nat $(B)/mos-samples

# mosctl: libnl-genl-3 for the netlink family, libpcap for rule and flow
# filters, libbpf for the XDP program (xdp/), which it carries as a
# skeleton (bpftool gen skeleton)
MOSCTL_SRC := $(wildcard tools/mosctl/*.c) tools/lib/json.c $(PKT_SRC)
BPF_CFLAGS := -target bpf -O2 -g $(WARN) $(PREFIX_MAP) -I/usr/include/$(shell $(CC) -dumpmachine)

$(O)/xdp/mos_xdp.bpf.o: xdp/mos_xdp.bpf.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	@clang $(BPF_CFLAGS) -c -o $@ $<

$(O)/xdp/mos_xdp.skel.h: $(O)/xdp/mos_xdp.bpf.o
	@echo "  GEN     $@"
	@bpftool gen skeleton $< name mos_xdp >$@.tmp && mv $@.tmp $@

$(B)/bin/mosctl: $(MOSCTL_SRC) tools/mosctl/mosctl.h tools/mosctl/link_bpf.h tools/tcpmon/names.c $(HDRS) \
		$(O)/xdp/mos_xdp.skel.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(NL_CFLAGS) -I$(O)/xdp -o $@ $(MOSCTL_SRC) tools/tcpmon/names.c \
		$(NL_LIBS) -lpcap -lbpf

# Sample mOS applications, against libmosuser; -san for the tests.
$(B)/bin/%: samples/%.c $(MOSUSER_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(LTO) -o $@ $< $(MOSUSER_OBJS) -lpcap

$(B)/selftests/%-san: samples/%.c $(MOSUSER_SAN_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $< $(MOSUSER_SAN_OBJS) -lpcap

# mosreplay: the core over pcap files; -san (ASan, UBSan) for the tests.
$(MOSREPLAY_SRC:%.c=$(O)/%.o) $(MOSREPLAY_SRC:%.c=$(O)/san/%.o): tools/mosreplay/mosreplay.h

$(B)/bin/mosreplay: $(MOSREPLAY_SRC:%.c=$(O)/%.o) $(CAPTURE_SRC:%.c=$(O)/%.o) $(B)/lib/libtcpmon.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(LTO) -o $@ $^ -lpcap

$(B)/bin/mosreplay-san: $(MOSREPLAY_SRC:%.c=$(O)/san/%.o) $(CAPTURE_SRC:%.c=$(O)/san/%.o) \
		$(TCPMON_SRC:%.c=$(O)/san/%.o)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $^ -lpcap

# kselftest headers and checkpatch.pl come from Debian's linux-source-6.1.
$(KSRC)/.stamp:
	@[ -f $(LINUX_SRC_TAR) ] || { echo "$(LINUX_SRC_TAR) missing (make deps)"; exit 1; }
	@echo "  EXTRACT kselftest headers, checkpatch.pl"
	@rm -rf $(KSRC) && mkdir -p $(KSRC)
	@tar -xJf $(LINUX_SRC_TAR) -C $(KSRC) --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/kernel-doc \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h
	@touch $@

# The harness compares int literals with typed values: sign-compare is noise there.
KSFT_CFLAGS = -isystem $(KSRC)/tools/testing/selftests -Wno-sign-compare -Wno-unused-parameter

# Unit tests run with ASan and UBSan.
$(UNIT_TCPMON): $(B)/selftests/%: selftests/unit/%.c $(TCPMON_SRC:%.c=$(O)/san/%.o) $(KSRC)/.stamp $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) $(KSFT_CFLAGS) -o $@ $< $(TCPMON_SRC:%.c=$(O)/san/%.o)

# Tracking and reassembly tests: packets built and events recorded by tm_util.c
$(UNIT_TM_UTIL): $(B)/selftests/%: selftests/unit/%.c \
		selftests/lib/tm_util.c selftests/lib/tm_util.h $(PKT_SRC) $(TCPMON_SRC:%.c=$(O)/san/%.o) $(KSRC)/.stamp $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) $(KSFT_CFLAGS) -I$(PROJ)/selftests/lib -o $@ $< selftests/lib/tm_util.c $(PKT_SRC) \
		$(TCPMON_SRC:%.c=$(O)/san/%.o)

# libFuzzer target: the core's sources compiled with it, by clang.
FUZZ_CC	?= clang
FUZZ_TIME ?= 600
# The fuzzing in make check, after the regression inputs
CHECK_FUZZ_TIME ?= 15
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	$(WARN) -std=gnu11 -D_GNU_SOURCE -I$(PROJ)/uapi -I$(PROJ)/kmod/tcpmon \
	-I$(PROJ)/tools/tcpmon -I$(PROJ)/tools/lib

$(B)/fuzz/tm_fuzz: selftests/unit/fuzz/tm_fuzz.c $(TCPMON_SRC) $(PKT_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(TCPMON_SRC) $(PKT_SRC)

fuzz: $(B)/fuzz/tm_fuzz
	@selftests/unit/fuzz/tm_fuzz --time $(FUZZ_TIME)

# Tests of libmosuser: against its sanitized objects.
$(UNIT_MOSUSER): $(B)/selftests/%: selftests/unit/%.c $(MOSUSER_SAN_OBJS) $(PKT_SRC:%.c=$(O)/san/%.o) \
		$(KSRC)/.stamp $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) $(KSFT_CFLAGS) -o $@ $< $(MOSUSER_SAN_OBJS) \
		$(PKT_SRC:%.c=$(O)/san/%.o) -lpcap

# The event tracer of events.sh, sanitized
$(B)/selftests/evtrace: selftests/lib/evtrace.c $(MOSUSER_SAN_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $< $(MOSUSER_SAN_OBJS) -lpcap

$(B)/selftests/ctxflows: selftests/lib/ctxflows.c $(MOSUSER_SAN_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $< $(MOSUSER_SAN_OBJS) -lpcap

# The records of /dev/mos or of a capture, one line each (deliver.sh)
$(B)/selftests/recdump: selftests/lib/recdump.c $(MOSUSER_SAN_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $< $(MOSUSER_SAN_OBJS) -lpcap

# An mOS application against mOS's headers only: a line per callback
# (selftests/unit/mosapi_conf.sh, selftests/vm/mosapi_conf.sh)
$(B)/selftests/mosapi_conf: selftests/lib/mosapi_conf.c $(MOSUSER_SAN_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $< $(MOSUSER_SAN_OBJS) -lpcap

# An mOS application whose callbacks drop or hold packets (vm/verdict.sh)
$(B)/selftests/verdict_app: selftests/lib/verdict_app.c $(MOSUSER_SAN_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $< $(MOSUSER_SAN_OBJS) -lpcap

# Puts crafted packets on an interface (the VM tests)
$(B)/selftests/pcap_send: selftests/lib/pcap_send.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $< -lpcap

# The stress tests' consumer, load and flood (make check-stress)
$(B)/selftests/ringcount: selftests/lib/ringcount.c $(MOSUSER_SAN_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) -o $@ $< $(MOSUSER_SAN_OBJS) -lpcap

$(B)/selftests/synflood: $(PKT_SRC) $(HDRS)
$(B)/selftests/connhold $(B)/selftests/synflood: $(B)/selftests/%: selftests/lib/%.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $(filter %.c,$^)

# Random and boundary arguments to /dev/mos and the netlink family
$(B)/selftests/iface_fuzz: selftests/lib/iface_fuzz.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) $(NL_CFLAGS) -o $@ $< $(NL_LIBS)

$(UNIT_NETLINK): $(B)/selftests/%: selftests/unit/%.c $(KSRC)/.stamp $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(SAN) $(KSFT_CFLAGS) $(NL_CFLAGS) -o $@ $< $(NL_LIBS)

# bench/: the replay benchmark.  nids.h and pcap.h build clean with $(WARN).
BENCH_BINS := $(B)/bench/gen_capture $(B)/bench/pcap_baseline $(B)/bench/nids_baseline

$(B)/bench/gen_capture: bench/gen_capture.c $(PKT_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $< $(PKT_SRC)

$(B)/bench/pcap_baseline: bench/pcap_baseline.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $< -lpcap

$(B)/bench/nids_baseline: bench/nids_baseline.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $< -lnids -lpcap

# The same mosreplay without link-time optimisation: a row of its own.
$(B)/bench/mosreplay-nolto: $(MOSREPLAY_SRC) $(CAPTURE_SRC) $(TCPMON_SRC) $(HDRS) tools/mosreplay/mosreplay.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $(MOSREPLAY_SRC) $(CAPTURE_SRC) $(TCPMON_SRC) -lpcap

bench-bins: $(BENCH_BINS) $(B)/bin/mosreplay $(B)/bench/mosreplay-nolto

bench:
	@bench/replay

# The figure selftests/unit/replay_cost.sh (make check-user) compares with:
# re-record it after a change meant to cost more, or one that costs less.
bench-record: $(B)/bin/mosreplay $(B)/bench/gen_capture
	@selftests/unit/replay_cost.sh --record

# bench/: the ring delivery benchmark (bench/ring, in the VM).  The BPF
# ring buffer baseline is a BPF object built with clang and loaded by
# libbpf (Debian's libbpf-dev).
RING_BENCH_BINS := $(B)/bench/ring_bench $(B)/bench/ringbuf_bench \
	$(B)/bench/ringbuf_bench.bpf.o $(B)/bench/tc_ringbuf \
	$(B)/bench/tc_ringbuf.bpf.o
$(B)/bench/ring_bench: bench/ring_bench.c $(B)/lib/libmosuser.a $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -pthread -o $@ $< $(B)/lib/libmosuser.a -lpcap

$(B)/bench/ringbuf_bench: bench/ringbuf_bench.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -pthread -o $@ $< -lbpf

$(B)/bench/tc_ringbuf: bench/tc_ringbuf.c uapi/linux/mos.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $< -lbpf

$(B)/bench/tc_ringbuf.bpf.o: bench/tc_ringbuf.bpf.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	@clang $(BPF_CFLAGS) -c -o $@ $<

$(B)/bench/ringbuf_bench.bpf.o: bench/ringbuf_bench.bpf.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	@clang $(BPF_CFLAGS) -c -o $@ $<

ring-bench-bins: $(RING_BENCH_BINS) $(B)/bin/mosctl
	@for k in $(KDIRS); do r=$$(basename $$(dirname $$k)); \
		[ -f $(B)/$$r/mos.ko ] || { echo "$(B)/$$r/mos.ko missing (make modules)"; exit 1; }; done

bench-ring:
	@bench/ring

# bench/ooo: the out-of-order store's cost per segment (callgrind)
bench-ooo:
	@bench/ooo $(if $(BEFORE),--before $(BEFORE))

# Memory per flow with 1000000 concurrent flows, in a 4 GiB VM
bench-flows:
	@bench/flows

# bench/kernel: mos's kernel cost per packet against conntrack and
# AF_PACKET, in guest instructions (the profiler of tools/vm/run --profile)
KBENCH_BINS := $(B)/bench/kernel_traffic $(B)/bench/kernel_consumer $(B)/bench/kernel_nids \
	$(B)/bench/kernel_syn

$(B)/bench/kernel_traffic: bench/kernel_traffic.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $<

$(B)/bench/kernel_syn: bench/kernel_syn.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $<

$(B)/bench/kernel_consumer: bench/kernel_consumer.c $(MOSUSER_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(LTO) -o $@ $< $(MOSUSER_OBJS) -lpcap

$(B)/bench/kernel_nids: bench/kernel_nids.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) -o $@ $< -lnids -lpcap

kbench-bins: $(KBENCH_BINS) $(B)/bin/mosctl

# bench/nat_tput.sh: held packets against NFQUEUE.  nfq_app: the
# libnetfilter_queue consumer; verdict_app: the tests' verdict consumer
# built as the samples are (no sanitizers), for its accept-all
NFQ_CFLAGS := $(shell pkg-config --cflags libnetfilter_queue libmnl 2>/dev/null)
NFQ_LIBS := $(shell pkg-config --libs libnetfilter_queue libmnl 2>/dev/null)
NAT_BENCH_BINS := $(B)/bench/nfq_app $(B)/bench/verdict_app

$(B)/bench/nfq_app: bench/nfq_app.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(NFQ_CFLAGS) -o $@ $< $(NFQ_LIBS)

$(B)/bench/verdict_app: selftests/lib/verdict_app.c $(MOSUSER_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(UCFLAGS) $(LTO) -o $@ $< $(MOSUSER_OBJS) -lpcap

nat-bench-bins: $(NAT_BENCH_BINS) $(B)/bin/nat $(B)/bin/mosctl $(B)/selftests/verdict_app

bench-kernel:
	@bench/kernel

# mos's cost per packet in the kernel against
# Documentation/bench_kernel_cost.txt (also in make check), and recording
# it anew
check-kernel-cost: all kbench-bins
	@selftests/kernel_cost.sh

bench-kernel-record: all kbench-bins
	@selftests/kernel_cost.sh --record

bench-mirror:
	@bench/mirror_rate

deps:
	@tools/deps

# The random connections receiver.sh runs per kernel in make check and
# check-vm, after its fixed cases: CHECK_RECEIVER_COUNT seeds from
# CHECK_RECEIVER_SEED, or fewer if CHECK_RECEIVER_TIME seconds pass first.
# The seeds are a fixed range that passes on both kernels, so the test is
# the same whatever the speed of the guest (Documentation/testing.rst)
CHECK_RECEIVER_TIME ?= 60
CHECK_RECEIVER_SEED ?= 1820000233
CHECK_RECEIVER_COUNT ?= 1100
CHECK_RECEIVER_ENV = MOS_RECEIVER_TIME=$(CHECK_RECEIVER_TIME) \
	MOS_RECEIVER_SEED=$(CHECK_RECEIVER_SEED) MOS_RECEIVER_OPEN=0 \
	MOS_RECEIVER_COUNT=$(CHECK_RECEIVER_COUNT)

check: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all kbench-bins
	@CHECK_FUZZ_TIME=$(CHECK_FUZZ_TIME) $(CHECK_RECEIVER_ENV) CHECK_SPLIT=1 \
		CHECK_KERNEL_COST=1 selftests/check $(VM_KERNELS)

check-user: user
	@CHECK_FUZZ_TIME=$(CHECK_FUZZ_TIME) selftests/check --user-only

man-check:
	@selftests/unit/man_check.sh

# libmosuser's exports against its public headers (also in check-user)
abi-check: $(LIBS)
	@selftests/unit/libmosuser_abi.sh

check-vm: all
	@$(CHECK_RECEIVER_ENV) selftests/check --vm-only $(VM_KERNELS)

# receiver.sh alone, MOS_RECEIVER_TIME seconds of random connections per
# kernel after its fixed cases (Documentation/testing.rst)
MOS_RECEIVER_TIME ?= 1800
check-receiver: all
	@for k in $(VM_KERNELS); do \
		MOS_RECEIVER_TIME=$(MOS_RECEIVER_TIME) \
		MOS_TEST_FILTER='^(receiver)\.sh$$' \
		MOS_TEST_TIMEOUT=$$(($(MOS_RECEIVER_TIME) * 2 + 600)) \
		tools/vm/run --kernel $$k \
			--timeout $$(($(MOS_RECEIVER_TIME) * 2 + 900)) -- \
			selftests/vm/run_vm || exit 1; \
	done

# The stress suite, not part of check: 100000 connections, a SYN flood at
# the flow limit, a slow consumer, faults (Documentation/testing.rst)
check-stress: deps
	@$(MAKE) --no-print-directory all
	@if echo " $(STRESS_KERNELS) " | grep -q ' debug '; then \
		tools/vm/kernels.sh kdir debug >/dev/null || tools/vm/build-debug-kernel; \
		$(MAKE) --no-print-directory modules KDIR=$$(tools/vm/kernels.sh kdir debug); \
	fi
	@selftests/check --stress $(STRESS_KERNELS)

# The suite's XDP tests need BTF: without MOS_DEBUG_KERNEL_DIR, a debug kernel
# without it (the prebuilt one) is passed over for the one built with --btf.
check-debug: deps
	@if [ -n "$$MOS_DEBUG_KERNEL_DIR" ]; then \
		tools/vm/kernels.sh kdir debug >/dev/null || \
		{ echo "check-debug: no debug kernel in $$MOS_DEBUG_KERNEL_DIR"; exit 1; }; \
	 else \
		tools/vm/kernels.sh btf debug || tools/vm/build-debug-kernel --btf; \
	 fi
	@$(MAKE) --no-print-directory all KDIR=$$(tools/vm/kernels.sh kdir debug)
	@tools/vm/debug-extmods $$(tools/vm/kernels.sh kdir debug)
	@selftests/check --vm-only debug

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo

style: $(KSRC)/.stamp
	@echo "  CHECKPATCH kmod/ uapi/"
	@perl $(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
		--file $$(find kmod uapi -name '*.[ch]' | sort) > $(B)/checkpatch.log; \
	 n=$$(grep -cE ': (ERROR|WARNING|CHECK):' $(B)/checkpatch.log); \
	 if [ "$$n" != 0 ]; then cat $(B)/checkpatch.log; echo "checkpatch: $$n problems"; exit 1; fi; \
	 echo "checkpatch: clean"
	@echo "  KERNEL-DOC kmod/ uapi/"
	@perl $(KSRC)/scripts/kernel-doc -none $$(find kmod uapi -name '*.[ch]' | sort) \
		> $(B)/kernel-doc.log 2>&1; \
	 if [ -s $(B)/kernel-doc.log ]; then cat $(B)/kernel-doc.log; exit 1; fi; \
	 echo "kernel-doc: clean"

# Installation.  PREFIX, LIBDIR, INCLUDEDIR and MANDIR may be set on the
# command line; DESTDIR stages everything under another root (packaging).
# install-module builds mos.ko for the running kernel and needs its headers;
# install-user needs no kernel at all.
PREFIX	?= /usr/local
LIBDIR	?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR	?= $(PREFIX)/share/man
VERSION	:= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
MAN3	:= $(wildcard Documentation/man/*.3)
MAN7	:= $(wildcard Documentation/man/*.7)
KREL	?= $(shell uname -r)
MOSUSER_HDRS := libmosuser/libmosuser.h libmosuser/mos_api.h libmosuser/mtcp_api.h \
	libmosuser/mtcp_epoll.h libmosuser/mtcp_util.h
# mOS's layout (MTCP_FLD of mOS's Makefiles)
MTCPDIR	?= $(LIBDIR)/mos/mtcp

install: install-module install-user

install-module:
	@kdir=/lib/modules/$(KREL)/build; \
	 [ -d $$kdir ] || { echo "install-module: no headers for $(KREL) (apt-get install linux-headers-$(KREL))"; exit 1; }; \
	 tools/build-module $$kdir
	install -D -m 0644 $(B)/$(KREL)/mos.ko $(DESTDIR)/lib/modules/$(KREL)/updates/mos.ko
	[ -n "$(DESTDIR)" ] || depmod -a $(KREL)

# libmosuser.pc: the static library needs libpcap (the offline backend's
# capture reader, and the filters) beyond libc: Libs.private.
install-user: $(BINS) $(LIBS)
	install -D -m 0755 $(B)/bin/mosctl $(DESTDIR)$(PREFIX)/sbin/mosctl
	install -D -m 0644 tools/mosctl/mosctl.bash \
		$(DESTDIR)/usr/share/bash-completion/completions/mosctl
	install -D -m 0644 $(B)/lib/libmosuser.so.0 $(DESTDIR)$(LIBDIR)/libmosuser.so.0
	ln -sf libmosuser.so.0 $(DESTDIR)$(LIBDIR)/libmosuser.so
	install -D -m 0644 $(B)/lib/libmosuser.a $(DESTDIR)$(LIBDIR)/libmosuser.a
	install -d $(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0644 $(MOSUSER_HDRS) $(DESTDIR)$(INCLUDEDIR)/
	install -d $(DESTDIR)$(MTCPDIR)/include $(DESTDIR)$(MTCPDIR)/lib
	install -m 0644 $(MTCP_HDRS) $(DESTDIR)$(MTCPDIR)/include/
	$(call mtcp_lib,$(DESTDIR)$(MTCPDIR)/lib/libmtcp.a,$(LIBDIR))
	install -m 0644 uapi/linux/mos.h $(DESTDIR)$(INCLUDEDIR)/linux/mos.h
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|' \
	    libmosuser/libmosuser.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/libmosuser.pc
	install -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	install -m 0644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	install -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	[ -n "$(DESTDIR)" ] || ldconfig

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/mosctl \
	      $(DESTDIR)/usr/share/bash-completion/completions/mosctl \
	      $(DESTDIR)$(LIBDIR)/libmosuser.so.0 $(DESTDIR)$(LIBDIR)/libmosuser.so \
	      $(DESTDIR)$(LIBDIR)/libmosuser.a $(DESTDIR)$(LIBDIR)/pkgconfig/libmosuser.pc \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(MOSUSER_HDRS))) \
	      $(DESTDIR)$(INCLUDEDIR)/linux/mos.h \
	      $(addprefix $(DESTDIR)$(MTCPDIR)/include/,$(notdir $(MTCP_HDRS))) \
	      $(DESTDIR)$(MTCPDIR)/lib/libmtcp.a \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7))) \
	      $(DESTDIR)/lib/modules/$(KREL)/updates/mos.ko
	[ -n "$(DESTDIR)" ] || { ldconfig; ! [ -d /lib/modules/$(KREL) ] || depmod -a $(KREL); }

clean:
	rm -rf $(O) $(B)/bin $(B)/lib $(B)/mtcp $(B)/mos-samples $(B)/selftests $(B)/bench $(B)/[0-9]* $(B)/fuzz/tm_fuzz
