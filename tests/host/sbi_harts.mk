# SBI hart masks: (hart_mask, hart_mask_base) windows for any hart id.
HOST_TESTS += sbi_harts
sbi_harts_SRCS := tests/host/test_sbi_harts.c
sbi_harts_CFLAGS := -Iarch/riscv64/include
