# The randomized mm test (tests/model/random_core.c) on the host: the real mm
# core (mmu/) on a simulated arm64 MMU (tests/host/fakearch/), under
# ASan/UBSan, for many more steps and seeds than under QEMU.
# tests/host/fakearch/asm/mmu.h shadows arch/arm64/include/asm/mmu.h; the
# real arm64 asm/pte.h and asm/tlbi_range.h are used.
# Environment: MM_RANDOM_SEED (first seed), MM_RANDOM_SEEDS (seeds per
# configuration), MM_RANDOM_STEPS (steps per run).
HOST_TESTS += mm_random
mm_random_SRCS := tests/host/test_mm_random.c \
                  tests/host/fakearch/sim_mmu.c tests/host/fakearch/host_kernel.c boot/fault.c \
                  tests/model/random_core.c tests/model/model.c \
                  mmu/mm.c mmu/fault.c mmu/folio.c mmu/mprotect.c mmu/numa.c mmu/fork.c \
                  mmu/contpte.c mmu/batch.c mmu/pgtable.c mmu/tlb.c mmu/page_alloc.c \
                  mmu/events.c mmu/rule_check.c mmu/asid.c mmu/uffd.c
mm_random_CFLAGS := -Itests/host/fakearch -Iarch/arm64/include
# Headers the rule in the Makefile does not list.
$(HOST_OUT)/test_mm_random: tests/host/fakearch/asm/mmu.h tests/host/fakearch/sim.h \
                            tests/model/random_core.h tests/model/model.h
