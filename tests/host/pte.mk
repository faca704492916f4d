# <asm/pte.h> (arm64, riscv64, arm LPAE, with its TLB-maintenance decoder) and the
# arm64 range-TLBI operand encoder.
HOST_TESTS += pte_arm64 pte_riscv64 pte_arm tlbi_range
pte_arm64_SRCS := tests/host/test_pte_arm64.c
pte_arm64_CFLAGS := -Iarch/arm64/include
pte_riscv64_SRCS := tests/host/test_pte_riscv64.c
pte_riscv64_CFLAGS := -Iarch/riscv64/include
pte_arm_SRCS := tests/host/test_pte_arm.c
pte_arm_CFLAGS := -Iarch/arm/include
tlbi_range_SRCS := tests/host/test_tlbi_range.c
tlbi_range_CFLAGS := -Iarch/arm64/include
