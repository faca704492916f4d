# Raspberry Pi 2 Model B (BCM2836, 4x Cortex-A7), 32-bit Arm: `make ARCH=arm
# BOARD=rpi2` -> kernel7.img. The arm section of the Makefile holds the rest
# (link address 0x8000, early map, early PL011 at 0x3f201000, build/arm-rpi2);
# the device tree comes from Debian's armhf kernel package
# (tools/fetch-rpi2-dtb.sh, at set-up time). Only CPU 0 runs (no SMP on arm).
BOARD_ARCH := arm
BOARD_QEMU := qemu-system-arm -M raspi2b
BOARD_DTB := /usr/local/share/testbed/bcm2836-rpi-2-b.dtb
BOARD_LINKER_SCRIPT := linker/arm-rpi2.ld
