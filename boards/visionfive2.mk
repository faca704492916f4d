# StarFive VisionFive 2 (JH7110, 4x SiFive U74: RV64GC, Sv39 only, no Svnapot,
# no Svadu). Everything board specific for `make BOARD=visionfive2` is here
# and in linker/riscv64-visionfive2.ld; the kernel takes the rest (memory,
# UART, CPUs, boot arguments) from the device tree.
#
# Boot: the board's own firmware (SPL, OpenSBI, U-Boot) runs boot.scr, which
# loads the payload at 0x40200000 (RAM starts at 0x40000000; OpenSBI keeps the
# first 2 MiB) and starts it with booti (RISC-V Image header) in S-mode,
# a0 = hartid, a1 = the DTB. The other harts stay in OpenSBI (HSM).
# Early console, before the device tree is read: the SBI debug console.
# The device tree's UART is the DesignWare 8250 (snps,dw-apb-uart, reg-shift 2,
# reg-io-width 4) at 0x10000000. SBI system reset ends the run where the
# firmware has it; otherwise the kernel parks after the TESTBED line.
BOARD_ARCH := riscv64
BOARD_LINKER_SCRIPT := linker/riscv64-visionfive2.ld
BOARD_CFLAGS := -DBOARD_IMAGE_HEADER -DBOARD_TEXT_OFFSET=0x200000
BOARD_IMAGE := Image
BOARD_LOAD_NOTE := U-Boot loads it at 0x40200000 and starts it with booti
BOARD_LOAD_ADDR := 0x40200000
# No QEMU model of the JH7110.
BOARD_QEMU :=
BOARD_SCRIPT := boot.scr
