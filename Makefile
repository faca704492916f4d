# MMU testbed: one Makefile for the three architectures.
#   make [ARCH=arm64|riscv64|arm] [BOARD=rpi4|visionfive2|rpi2]   build build/$(ARCH)/kernel.elf (arm: 32-bit ARMv7-A LPAE) or a board image
#   make test                   host unit tests + every QEMU configuration (ARCH= narrows)
#   make run                    boot ARCH in QEMU and print the results (main job)
#   make bench                  every arch, full benchmark set, results under results/
#   make console                serial shell in QEMU
#   make debug                  QEMU waiting for gdb-multiarch, symbols loaded
#   make host-test              host unit tests only
#   make deps                   install (as root) or name the missing Debian packages
#   make mutants                planted bugs (tests/mutants/mutants.txt) must be caught; not in make test

# BOARD=rpi4|visionfive2|rpi2: a dev-board build; everything board specific
# (arch, load address, early map and console, image format, QEMU board model)
# is in boards/$(BOARD).mk and its linker script (rpi2: also the arm section
# below). Without BOARD: QEMU -M virt.
BOARDS := rpi4 visionfive2 rpi2
BOARD ?=
ifneq ($(BOARD),)
ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error BOARD=$(BOARD) is not supported: use BOARD=rpi4, BOARD=visionfive2, BOARD=rpi2 (or no BOARD for QEMU virt))
endif
include boards/$(BOARD).mk
ifneq ($(filter command line environment,$(origin ARCH)),)
ifneq ($(ARCH),$(BOARD_ARCH))
$(error BOARD=$(BOARD) is $(BOARD_ARCH), not ARCH=$(ARCH))
endif
endif
override ARCH := $(BOARD_ARCH)
endif
ARCH ?= arm64
ifneq ($(filter-out arm64 riscv64 arm,$(ARCH)),)
$(error ARCH=$(ARCH) is not supported: use ARCH=arm64, ARCH=riscv64 or ARCH=arm)
endif
# DEBUG=1 (make debug): -Og with frame pointers and .debug_frame unwind tables, so
# breakpoints land on source lines and backtraces walk to the entry; own build dir.
DEBUG ?= 0
BUILD := build/$(if $(BOARD),$(BOARD),$(ARCH))$(if $(filter 1,$(DEBUG)),-debug)
KERNEL := $(BUILD)/kernel.elf
OPT := $(if $(filter 1,$(DEBUG)),-Og -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables,-O2)
PYTHON ?= /usr/bin/python3

ifeq ($(ARCH),arm64)
CROSS ?= aarch64-linux-gnu-
CROSS_PKG := gcc-aarch64-linux-gnu
LIBC_PKG := picolibc-aarch64-linux-gnu
LIBC_CFLAGS := --specs=picolibc.specs -DPICOLIBC_INTEGER_PRINTF_SCANF
ARCH_CFLAGS := -march=armv8-a -mgeneral-regs-only -mstrict-align -mno-outline-atomics -DBOARD_DTB_PROBE=0x40000000ULL
ARCH_ASFLAGS := -march=armv8.4-a
ARCH_LDFLAGS := -march=armv8-a
LINKER_SCRIPT := linker/arm64-virt.ld
QEMU := qemu-system-aarch64
QEMU_PKG := qemu-system-arm
QEMU_MACHINE := -M virt -cpu max -m 256M
else ifeq ($(ARCH),arm)
# 32-bit Arm, ARMv7-A with the Virtualization Extensions (so LPAE, and
# ldrd/strd single-copy atomic for 64-bit descriptors), A32 code, soft float.
# C library: newlib (Debian packages it only for arm-none-eabi; picolibc is
# used on the other two arches).
CROSS ?= arm-none-eabi-
CROSS_PKG := gcc-arm-none-eabi
LIBC_PKG := libnewlib-arm-none-eabi
LIBC_CFLAGS :=
ARCH_CFLAGS := -march=armv7ve -marm -mfloat-abi=soft -DBOARD_DTB_PROBE=0x40000000ULL
ARCH_ASFLAGS := $(ARCH_CFLAGS)
ARCH_LDFLAGS := -march=armv7ve -marm -mfloat-abi=soft
LINKER_SCRIPT := linker/arm-virt.ld
QEMU := qemu-system-arm
QEMU_PKG := qemu-system-arm
QEMU_MACHINE := -M virt -cpu cortex-a15 -m 256M
# BOARD=rpi2: Raspberry Pi 2 (BCM2836, Cortex-A7): a raw kernel7.img linked at
# 0x8000, where the firmware (and QEMU -M raspi2b) loads it and enters in HYP
# mode with the DTB in r2; RAM from 0, peripherals from 0x3f000000, PL011 at
# 0x3f201000. A Pi 3 or 4 booted in AArch32 takes the same image family
# (kernel7.img, kernel7l.img) with its own addresses: not built here.
ifeq ($(BOARD),rpi2)
BUILD := build/arm-rpi2$(if $(filter 1,$(DEBUG)),-debug)
KERNEL := $(BUILD)/kernel.elf
ARCH_CFLAGS := $(filter-out -DBOARD_DTB_PROBE=%,$(ARCH_CFLAGS)) -DEARLY_PL011_BASE=0x3f201000ULL \
               -DEARLY_RAM_START=0x0u -DEARLY_RAM_END=0x3f000000u
ARCH_ASFLAGS := $(ARCH_CFLAGS)
LINKER_SCRIPT := linker/arm-rpi2.ld
IMAGE := $(BUILD)/kernel7.img
RPI2_DTB ?= /usr/local/share/testbed/bcm2836-rpi-2-b.dtb
QEMU_MACHINE := -M raspi2b -dtb $(RPI2_DTB)
QEMU_KERNEL := $(IMAGE)
endif
else
CROSS ?= riscv64-unknown-elf-
CROSS_PKG := gcc-riscv64-unknown-elf
LIBC_PKG := picolibc-riscv64-unknown-elf
LIBC_CFLAGS := --specs=picolibc.specs -DPICOLIBC_INTEGER_PRINTF_SCANF
ARCH_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -msmall-data-limit=0
ARCH_ASFLAGS := $(ARCH_CFLAGS)
# picolibc's multilib is picked by the plain ISA string
ARCH_LDFLAGS := -march=rv64imac -mabi=lp64 -mcmodel=medany
LINKER_SCRIPT := linker/riscv64-virt.ld
QEMU := qemu-system-riscv64
QEMU_PKG := qemu-system-misc
QEMU_MACHINE := -M virt -cpu max -m 256M -bios default
endif

ifneq ($(BOARD),)
ARCH_CFLAGS := $(filter-out -DBOARD_DTB_PROBE=%,$(ARCH_CFLAGS)) $(BOARD_CFLAGS)
ARCH_ASFLAGS += $(BOARD_CFLAGS)
LINKER_SCRIPT := $(BOARD_LINKER_SCRIPT)
endif

CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
CPPFLAGS := -I. -Iarch/$(ARCH)/include
CFLAGS := -std=c11 -ffreestanding -fno-common -fno-builtin-printf $(OPT) -g \
          -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-zero-length $(ARCH_CFLAGS) $(LIBC_CFLAGS)
ASFLAGS := -g $(ARCH_ASFLAGS) $(LIBC_CFLAGS)
LDFLAGS := -nostartfiles \
           -T $(LINKER_SCRIPT) -Wl,--no-warn-rwx-segments -static -Wl,-Map=$(BUILD)/kernel.map

SRCS_C := $(wildcard boot/*.c arch/$(ARCH)/*.c mmu/*.c tests/kernel/*.c tests/bench/*.c)
SRCS_S := $(wildcard boot/$(ARCH)/*.S arch/$(ARCH)/*.S)
OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SRCS_C)) $(patsubst %.S,$(BUILD)/%.o,$(SRCS_S))

.PHONY: all kernel test host-test host-build tools-test run bench console debug deps check-toolchain clean mutants
all: kernel
kernel: $(KERNEL) $(if $(BOARD_IMAGE),$(BUILD)/$(BOARD_IMAGE)) $(IMAGE)

check-toolchain:
	@command -v $(CC) >/dev/null || { echo "error: $(CC) not found: install the Debian package $(CROSS_PKG) (or run 'make deps' as root)"; exit 1; }
ifeq ($(ARCH),arm)
	@lib=$$($(CC) $(ARCH_LDFLAGS) -print-file-name=libc.a); test "$$lib" != libc.a -a -f "$$lib" || { echo "error: newlib for arm not found: install the Debian package $(LIBC_PKG)"; exit 1; }
else
	@test -f $$($(CC) --specs=picolibc.specs -print-file-name=picolibc.specs 2>/dev/null) -a -n "$$(ls /usr/lib/picolibc/$(patsubst %-,%,$(CROSS)) 2>/dev/null)" || { echo "error: picolibc for $(ARCH) not found: install the Debian package $(LIBC_PKG)"; exit 1; }
endif

$(BUILD)/%.o: %.c | check-toolchain
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.S | check-toolchain
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ASFLAGS) -MMD -MP -c $< -o $@

$(KERNEL): $(OBJS) $(LINKER_SCRIPT) linker/common.ld
	$(CC) $(filter-out -march=%,$(CFLAGS)) $(ARCH_LDFLAGS) $(LDFLAGS) $(OBJS) -o $@
	@echo "built $@"

# A raw image for boards whose firmware loads one (BOARD=rpi2: kernel7.img).
$(BUILD)/%.img: $(KERNEL)
	$(CROSS)objcopy -O binary $< $@
	@echo "built $@"

-include $(OBJS:.o=.d)

# A board's raw image (Image header first): what its loader takes; for U-Boot
# boards also the boot script (BOARD_SCRIPT, mkimage) with the boot arguments.
BOOTARGS ?=
$(BUILD)/$(BOARD_IMAGE): $(KERNEL)
	$(OBJCOPY) -O binary $< $@
	@echo "built $@ ($(BOARD): $(BOARD_LOAD_NOTE))"
ifneq ($(BOARD_SCRIPT),)
kernel: $(BUILD)/$(BOARD_SCRIPT)
.PHONY: $(BUILD)/$(BOARD_SCRIPT)
$(BUILD)/$(BOARD_SCRIPT): $(BUILD)/$(BOARD_IMAGE)
	@$(PYTHON) tools/sdcard.py script $@ --bootargs '$(BOOTARGS)'
endif

# make sdcard BOARD=rpi4|visionfive2 [BOOTARGS='bench=default']: a FAT card image
# (build/<board>/sdcard.img) with the image, the board's device tree and boot
# files from Debian's packages (tools/sdcard.py), then checked.
.PHONY: sdcard
sdcard: deps
	@test -n "$(BOARD)" || { echo "error: make sdcard needs BOARD=rpi4 or BOARD=visionfive2"; exit 1; }
	@$(MAKE) --no-print-directory -s BOARD=$(BOARD) BOOTARGS='$(BOOTARGS)' kernel
	@$(PYTHON) tools/sdcard.py build --board $(BOARD) --bootargs '$(BOOTARGS)' -o $(BUILD)/sdcard.img
	@$(PYTHON) tools/sdcard.py check $(BUILD)/sdcard.img --board $(BOARD) --build-dir build --bootargs '$(BOOTARGS)'

# ---- host unit tests -------------------------------------------------------
include tests/host/host.mk
-include $(wildcard tests/host/*.mk)
HOST_BINS := $(foreach t,$(HOST_TESTS),$(HOST_OUT)/test_$(t))
define host_test_rule
$(HOST_OUT)/test_$(1): $$($(1)_SRCS) $$(wildcard boot/*.h mmu/*.h arch/*/include/asm/*.h tests/host/*.h) | $$($(1)_DEPS)
	@mkdir -p $$(dir $$@)
	$$(HOST_CC) $$(HOST_CFLAGS) $$($(1)_CFLAGS) $$($(1)_SRCS) $$(HOST_LDLIBS) -o $$@
endef
$(foreach t,$(HOST_TESTS),$(eval $(call host_test_rule,$(t))))

host-build: $(HOST_BINS) $(foreach t,$(HOST_TESTS),$($(t)_DEPS))
host-test: deps host-build
	@tools/test.sh --host-only

tools-test:
	@$(PYTHON) -m unittest discover -s tests/tools -t . 

# ---- commands from README.md ----------------------------------------------
TEST_ARCHES := $(if $(filter command line environment,$(origin ARCH)),$(ARCH),arm64 riscv64 arm)

deps:
	@tools/setup-deps.sh

test: deps
	@tools/test.sh $(TEST_ARCHES)

# The main job: boot ARCH (2 NUMA nodes) under -icount shift=0, run the default
# benchmark set, print the Markdown table; results and plots in results/run-ARCH.
run: deps
	@$(MAKE) --no-print-directory -s ARCH=$(ARCH) kernel
	@$(PYTHON) tools/benchread.py qemu --arch $(ARCH) --config $(ARCH)-numa --bench default -o results/run-$(ARCH)

# Every arch, the full benchmark set, results under results/<arch>; then
# first_access again with software A/D (arm64 hwad=off, riscv Svade) under
# results/<arch>-swad, since that variant needs another machine configuration
# (arm has software A/D only: its own run already shows it).
bench: deps
	@set -e; for a in arm64 riscv64 arm; do \
	  $(MAKE) --no-print-directory -s ARCH=$$a kernel; \
	  $(PYTHON) tools/benchread.py qemu --arch $$a --config $$a-numa --bench '*' --timeout 600 -o results/$$a; \
	done
	@$(PYTHON) tools/benchread.py qemu --arch arm64 --config arm64-va39-hwad-off --bench first_access -o results/arm64-swad
	@$(PYTHON) tools/benchread.py qemu --arch riscv64 --config riscv64-svade --bench first_access -o results/riscv64-swad

# The SMP benchmarks (smp_shootdown, ipi_roundtrip: not in the default set)
# on 4 CPUs and 2 NUMA nodes, arm64 and riscv64, results in results/<arch>-smp.
# tests/bench/smp.conf holds the smp4 machines of tests/qemu.conf without
# their test= arguments (a run either tests or benchmarks).
.PHONY: bench-smp
bench-smp: deps
	@set -e; for a in arm64 riscv64; do \
	  $(MAKE) --no-print-directory -s ARCH=$$a kernel; \
	  $(PYTHON) tools/benchread.py qemu --arch $$a --conf tests/bench/smp.conf --config $$a-smp4-bench \
	    --bench 'smp_shootdown,ipi_roundtrip' --timeout 1800 -o results/$$a-smp; \
	done

# BOARD=rpi4: the board build on QEMU's model of the board (-M raspi4b) with
# the board's device tree (tools/boardfiles.py). Leave QEMU with Ctrl-A x.
console: deps kernel
	@if [ -n "$(BOARD)" ] && [ -z "$(BOARD_QEMU)" ]; then echo "error: QEMU has no model of $(BOARD): see README.md, Dev boards"; exit 1; fi
	$(if $(BOARD),$(BOARD_QEMU) -dtb $(or $(BOARD_DTB),$$($(PYTHON) tools/boardfiles.py dtb $(BOARD))),$(QEMU) $(QEMU_MACHINE)) \
	  -nographic -kernel $(or $(QEMU_KERNEL),$(if $(BOARD_IMAGE),$(BUILD)/$(BOARD_IMAGE),$(KERNEL))) -append "shell"

# An -Og build of its own (DEBUG=1, build/<arch>-debug/), QEMU stopped at reset
# with its gdb stub on the loopback interface only (-s would listen on every
# interface). GDB_PORT= picks another port.
GDB_PORT ?= 1234
DEBUG_KERNEL := build/$(if $(filter rpi2,$(BOARD)),arm-rpi2,$(if $(BOARD),$(BOARD),$(ARCH)))-debug/kernel.elf
debug: deps
	@if [ -n "$(BOARD)" ] && [ -z "$(BOARD_QEMU)" ]; then echo "error: QEMU has no model of $(BOARD): see README.md, Dev boards"; exit 1; fi
	@$(MAKE) --no-print-directory -s ARCH=$(ARCH) $(if $(BOARD),BOARD=$(BOARD)) DEBUG=1 kernel
	@echo "QEMU waits for gdb on 127.0.0.1:$(GDB_PORT) (leave QEMU with Ctrl-A x). In another terminal:"
	@echo "  gdb-multiarch $(DEBUG_KERNEL) -ex 'target remote 127.0.0.1:$(GDB_PORT)'"
	$(if $(BOARD),$(BOARD_QEMU) -dtb $(or $(BOARD_DTB),$$($(PYTHON) tools/boardfiles.py dtb $(BOARD))),$(QEMU) $(QEMU_MACHINE)) \
	  -nographic -kernel $(if $(QEMU_KERNEL),$(dir $(DEBUG_KERNEL))$(notdir $(QEMU_KERNEL)),$(if $(BOARD_IMAGE),$(dir $(DEBUG_KERNEL))$(BOARD_IMAGE),$(DEBUG_KERNEL))) -S -gdb tcp:127.0.0.1:$(GDB_PORT)

clean:
	rm -rf build

# ---- planted-bug (mutation) testing, not part of `make test` ---------------
# tools/mutants.py applies each one-line bug of tests/mutants/mutants.txt to a
# copy of the tree (build/mutants/<name>/), builds it and runs the targets the
# entry names: some must fail. ARCH= narrows to that arch's mutants, as for
# make test; MUTANTS_ARGS passes options, e.g. MUTANTS_ARGS="--only 'tlb-*' -j 1",
# "--check" (every entry still applies; no build) or "--list".
mutants: deps
	@$(PYTHON) tools/mutants.py $(addprefix --arch ,$(TEST_ARCHES)) $(MUTANTS_ARGS)

# ---- Linux side by side (issue 16), not part of `make test`: it downloads kernels
# Boots Debian's Linux kernels in the same QEMU under -icount shift=0 with
# tools/peer/init.c as /init, runs the testbed's own benchmarks and the same
# semantics scenarios through its shell, prints the tables; files in
# results/peer-$(ARCH)/. PEER_KERNEL: Debian packages, each PKG[/SUITE].
PEER_KERNEL_arm64 := linux-image-cloud-arm64/bookworm-backports linux-image-cloud-arm64/trixie-backports
PEER_KERNEL_riscv64 := linux-image-riscv64/trixie
PEER_KERNEL ?= $(PEER_KERNEL_$(ARCH))
PEER_ARGS ?=
.PHONY: peer
peer: deps
	@tools/peer/setup.sh $(ARCH)
	@$(MAKE) --no-print-directory -s ARCH=$(ARCH) kernel
	@$(PYTHON) tools/peer/peer.py run --arch $(ARCH) $(addprefix --kernel ,$(PEER_KERNEL)) $(PEER_ARGS)

# ---- instruction profile by function (issue 10), not part of `make test` ---
# A QEMU TCG plugin built from the tree (tools/qemu_plugin/) counts the
# instructions executed at each PC while each benchmark's timed operation runs
# (faults included); tools/insn_profile.py maps PCs to functions (nm) and
# prints the top ones per result line, per unit (marginal per page for
# mprotect_slope), next to the BENCH line's own figure. BENCH= benchmarks as
# bench= (default: the default set), CASE= a regex over "name variant params"
# narrowing the lines, TOP= functions shown, LINES=N also the N hottest source
# lines, PCS=N the N hottest instructions (disassembled), PROFILE_CONFIG= the
# QEMU configuration. Files in results/profile-ARCH/ (`tools/insn_profile.py
# report results/profile-ARCH --case ...` reports again without a run).
PROFILE_PLUGIN := build/tools/insn_profile.so
BENCH ?= default
PROFILE_CONFIG ?= $(ARCH)-numa
TOP ?= 25
LINES ?= 0
PCS ?= 0
.PHONY: profile profile-plugin
profile-plugin: $(PROFILE_PLUGIN)
$(PROFILE_PLUGIN): tools/qemu_plugin/insn_profile.c tools/qemu_plugin/qemu_plugin_api.h
	@mkdir -p $(dir $@)
	$(HOST_CC) -shared -fPIC -O2 -Wall -Wextra -Werror -fvisibility=hidden $< -o $@
profile: deps $(PROFILE_PLUGIN)
	@$(MAKE) --no-print-directory -s ARCH=$(ARCH) kernel
	@$(PYTHON) tools/insn_profile.py run --arch $(ARCH) --bench '$(BENCH)' --config $(PROFILE_CONFIG) \
	  --top $(TOP) --lines $(LINES) --pcs $(PCS) $(if $(CASE),--case '$(CASE)') -o results/profile-$(ARCH)

# ---- benchmark regression guard (issue 10) ----------------------------------
# make test compares the default set's median instruction counts (exact under
# -icount shift=0) with tests/bench/baseline-ARCH.json and fails when one grows
# by more than 2% or goes missing (tools/bench_guard.py; new results are
# reported). A deliberate change regenerates the baseline from the current tree
# and is committed with its reason: make bench-baseline [ARCH=..] REASON='...'.
.PHONY: bench-baseline
bench-baseline: deps
	@set -e; for a in $(TEST_ARCHES); do \
	  $(MAKE) --no-print-directory -s ARCH=$$a kernel; \
	  rm -rf build/bench-baseline/$$a; \
	  $(PYTHON) tools/benchread.py qemu --arch $$a --config $$a-numa --bench default \
	    -o build/bench-baseline/$$a > build/bench-baseline-$$a.log 2>&1 || { tail -5 build/bench-baseline-$$a.log; exit 1; }; \
	  $(PYTHON) tools/bench_guard.py update --baseline tests/bench/baseline-$$a.json \
	    build/bench-baseline/$$a/results.jsonl --config $$a-numa --reason "$(REASON)"; \
	done

# ---- mprotect marginal cost next to Linux's (issue 10) ------------------------
# Runs bench=mprotect_slope on ARCH's 2-node layout and prints, per operation
# and folio size, the batched and unbatched instructions per page between a
# 2 MiB and an 8 MiB region, Linux's figures measured the same way (arm64) and
# the ratios (tools/slope_table.py; files in results/slope-ARCH/).
.PHONY: mprotect-slope
mprotect-slope: deps
	@$(MAKE) --no-print-directory -s ARCH=$(ARCH) kernel
	@mkdir -p results
	@$(PYTHON) tools/benchread.py qemu --arch $(ARCH) --config $(ARCH)-numa --bench mprotect_slope \
	  -o results/slope-$(ARCH) > results/slope-$(ARCH).log 2>&1 || { tail -5 results/slope-$(ARCH).log; exit 1; }
	@$(PYTHON) tools/slope_table.py results/slope-$(ARCH)/results.jsonl
