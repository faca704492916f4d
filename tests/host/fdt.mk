# Host test for boot/fdt.c (device tree reader).
#
# build/host/test_fdt reads its DTB fixtures from the directory named by argv[1], else by
# the FDT_FIXTURES environment variable, else build/host/fixtures (relative to the current
# directory: run it from the repo root). It also runs `fdtget` and `dtc` (package
# device-tree-compiler) to compute the expected values.
#
# Fixtures (all under $(HOST_OUT)/fixtures/):
#   fdt-*.dtb   compiled from tests/fixtures/fdt-*.dts with dtc
#   qemu-*.dtb  QEMU's own virt-machine DTBs, dumped by tests/fixtures/gen-qemu-dtbs.sh
#               (needs qemu-system-aarch64, qemu-system-riscv64, opensbi)
#   board-*.dtb the Raspberry Pi 4 and VisionFive 2 device trees from Debian's kernel
#               packages (tools/boardfiles.py, fetched at set-up, never committed)

HOST_OUT ?= build/host

# Keep whatever default goal the including Makefile has (restored at the end).
FDT_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

FDT_FIXTURE_DIR := $(HOST_OUT)/fixtures
FDT_DTS_NAMES := fdt-cells32 fdt-numa fdt-fallback
FDT_QEMU_NAMES := qemu-arm64 qemu-arm64-numa qemu-arm64-append \
                  qemu-riscv64 qemu-riscv64-numa qemu-riscv64-append
FDT_DTS_DTBS := $(FDT_DTS_NAMES:%=$(FDT_FIXTURE_DIR)/%.dtb)
FDT_QEMU_DTBS := $(FDT_QEMU_NAMES:%=$(FDT_FIXTURE_DIR)/%.dtb)

HOST_TESTS += fdt
fdt_SRCS := tests/host/test_fdt.c boot/fdt.c
FDT_BOARD_NAMES := rpi4 visionfive2
FDT_BOARD_DTBS := $(FDT_BOARD_NAMES:%=$(FDT_FIXTURE_DIR)/board-%.dtb)
fdt_DEPS := $(FDT_DTS_DTBS) $(FDT_QEMU_DTBS) $(FDT_BOARD_DTBS)

$(FDT_BOARD_DTBS): $(FDT_FIXTURE_DIR)/board-%.dtb: tools/boardfiles.py
	@mkdir -p $(@D)
	@src=$$(/usr/bin/python3 tools/boardfiles.py dtb $*) && cp "$$src" $@

$(FDT_DTS_DTBS): $(FDT_FIXTURE_DIR)/%.dtb: tests/fixtures/%.dts
	@mkdir -p $(@D)
	dtc -q -I dts -O dtb -o $@ $<

# One script run writes all of them (grouped target, GNU make >= 4.3).
$(FDT_QEMU_DTBS) &: tests/fixtures/gen-qemu-dtbs.sh
	tests/fixtures/gen-qemu-dtbs.sh $(FDT_FIXTURE_DIR)

.PHONY: fdt-fixtures
fdt-fixtures: $(fdt_DEPS)

.DEFAULT_GOAL := $(FDT_SAVED_DEFAULT_GOAL)
