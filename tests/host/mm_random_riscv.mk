# The randomized mm test (tests/model/random_core.c) on the host over a
# simulated riscv64 hart MMU (tests/host/fakearch-riscv/: Sv48/Sv39, Svnapot,
# Svinval, Svadu/Svade, negative caching and walk caches), under ASan/UBSan:
# the same test as mm_random (tests/host/test_mm_random.c, built with
# -DSIM_RISCV) on the riscv PTE encoding and fence rules.
# tests/host/fakearch-riscv/asm/mmu.h shadows arch/riscv64/include/asm/mmu.h;
# the real riscv64 asm/pte.h and asm/tlb_decode.h are used. The arch-neutral
# host services (tests/host/fakearch/host_kernel.c, sim.h) are shared.
# Environment: MM_RANDOM_SEED (first seed), MM_RANDOM_SEEDS (seeds per
# configuration), MM_RANDOM_STEPS (steps per run).
HOST_TESTS += mm_random_riscv
# The sources of mm_random (tests/host/mm_random.mk), the arm64 simulator
# swapped for the riscv one; recursive (=) so the order the Makefile
# includes the two files in does not matter.
mm_random_riscv_SRCS = $(patsubst tests/host/fakearch/sim_mmu.c,tests/host/fakearch-riscv/sim_mmu_riscv.c,$(mm_random_SRCS))
mm_random_riscv_CFLAGS := -DSIM_RISCV -Itests/host/fakearch-riscv -Iarch/riscv64/include
# Headers the rule in the Makefile does not list.
$(HOST_OUT)/test_mm_random_riscv: tests/host/fakearch-riscv/asm/mmu.h tests/host/fakearch/sim.h \
                                  tests/model/random_core.h tests/model/model.h
