# The mprotect batch rule (mmu/batch.c) on both PTE encodings.
HOST_TESTS += batch_arm64 batch_riscv64
batch_arm64_SRCS := tests/host/test_batch.c mmu/batch.c
batch_arm64_CFLAGS := -Iarch/arm64/include
batch_riscv64_SRCS := tests/host/test_batch.c mmu/batch.c
batch_riscv64_CFLAGS := -Iarch/riscv64/include
