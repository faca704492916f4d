# Raspberry Pi 4 Model B (BCM2711, 4x Cortex-A72). Everything board specific
# for `make BOARD=rpi4` is here and in linker/arm64-rpi4.ld; the kernel takes
# the rest (memory, UART, CPUs, boot arguments) from the device tree.
#
# Boot: the GPU firmware (start4.elf) loads kernel8.img at 0x80000
# (config.txt: arm_64bit=1, kernel_address=0x80000) and enters it at EL2 on
# every core with x0 = the DTB; cores 1-3 wait in the firmware's spin table
# (enable-method "spin-table", cpu-release-addr 0xd8/0xe0/0xe8) and are not
# released. No PSCI: the run ends with the TESTBED line and parks.
# Early map (arch/arm64/early_mmu.c): GiB 0-2 Normal, GiB 3 Device
# (peripherals at 0xfc000000-0xff7fffff). Early console, before the device tree
# is read: the mini UART at 0xfe215040, which the Pi 4's device tree names in
# /chosen/stdout-path (serial1, GPIO 14/15).
BOARD_ARCH := arm64
BOARD_LINKER_SCRIPT := linker/arm64-rpi4.ld
BOARD_CFLAGS := -DBOARD_IMAGE_HEADER -DBOARD_TEXT_OFFSET=0x80000 -DBOARD_EARLY_DEVICE_GIB=3 \
                -DEARLY_BCM2835_AUX_BASE=0xfe215040ULL
BOARD_IMAGE := kernel8.img
BOARD_LOAD_NOTE := firmware loads it at 0x80000
# QEMU's model of the board: the serial ports are the PL011 (first) and the
# mini UART (second); the device tree's console is the mini UART.
BOARD_QEMU := qemu-system-aarch64 -M raspi4b -serial null -serial mon:stdio
