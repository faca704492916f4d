/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 page-table entry interface (4 KiB granule, 48-bit VA/OA).
 *
 * Pure bit logic: no inline asm, no memory access, host-testable.
 * The same API is provided by arch/riscv64/include/asm/pte.h; generic code
 * includes <asm/pte.h> with -Iarch/$(ARCH)/include.
 *
 * Encodings follow Linux arch/arm64 (pgtable-hwdef.h, pgtable-prot.h,
 * pgtable.h); software bit 57 (SOFT_DIRTY) is this project's choice.
 *
 * Present entry (page at level 3, block at level 1/2; table at 0..2 uses
 * only bits 1:0 and 47:12):
 *
 *   63:59 58  57  56  55  54  53  52  51  50:48 47:12          11 10 9:8 7  6  5  4:2   1 0
 *  +-----+---+---+---+---+---+---+---+---+-----+--------------+--+--+---+--+--+--+-----+-+-+
 *  | res0|UWP|SDT|SPC|DTY|UXN|PXN|CON|DBM| res0|OA = PA[47:12]|nG|AF| SH|RO|US|NS|AtIdx|T|V|
 *  +-----+---+---+---+---+---+---+---+---+-----+--------------+--+--+---+--+--+--+-----+-+-+
 *   (UWP SDT SPC DTY: software bits; DBM = Linux PTE_WRITE; RO = AP[2],
 *   US = AP[1]; nG reads as PRESENT_INVALID when V = 0)
 *
 *   V   bit 0      valid (hardware)
 *   T   bit 1      with V: 1 = page (level 3) / table (levels 0-2), 0 = block
 *   AtIdx 4:2      AttrIndx, MAIR index: 0 = Normal WB, 1 = Device-nGnRE (MAIR set by boot)
 *   US  bit 6      AP[1]: EL0 accessible (PTE_USER)
 *   RO  bit 7      AP[2]: read-only (PTE_RDONLY)
 *   SH  bits 9:8   shareability, 0b11 = inner
 *   AF  bit 10     access flag (young)
 *   nG  bit 11     not-global (user pages); when V=0 it is PTE_PRESENT_INVALID
 *   DBM bit 51     dirty-bit modifier == Linux PTE_WRITE (writable, maybe clean)
 *   CON bit 52     contiguous hint (16 x 4 KiB)
 *   PXN bit 53, UXN bit 54   privileged / unprivileged execute-never
 *   DTY bit 55     software dirty      SPC bit 56  special
 *   SDT bit 57     soft-dirty          UWP bit 58  userfaultfd write-protect
 *
 * Dirty/write state (Linux DBM scheme):
 *   DBM=0 RO=1            read-only (maybe sw DIRTY)
 *   DBM=1 RO=1            writable, hardware-clean (first write sets RO=0 via DBM)
 *   DBM=1 RO=0            writable, hardware-dirty
 *
 * Non-present entries (V=0 and bit 11 = 0):
 *
 *   63:62 61:12            11 10:8 7:3  2   1 0
 *  +-----+----------------+--+----+----+---+-+-+
 *  |  0  |offset (50 bits)|0 | 0  |type|TAG|0|0|
 *  +-----+----------------+--+----+----+---+-+-+
 *   TAG (bit 2) is always set so no swap/marker entry ever equals pte_none().
 *   type 0..30 = swap entry; type 31 = pte marker (offset holds marker flags).
 */
#ifndef ARCH_ARM64_ASM_PTE_H
#define ARCH_ARM64_ASM_PTE_H

#include <stdbool.h>
#include <stdint.h>

/* ---- generic constants and types (identical on every arch) ------------ */

#define PTRS_PER_TABLE 512
#define CONT_PTES      16
/* The address-space window the mm manages (mmu/pgtable.h MM_VA_BASE/END). */
#define ARCH_MM_VA_BASE 0x2000000000ULL     /* 128 GiB: fits Sv39's positive half */
#define ARCH_MM_VA_END  0x3000000000ULL     /* 64 GiB window */

typedef uint64_t pte_t;
typedef struct { uint64_t bits; } pgprot_t;

/* Arch-neutral protection request; values match POSIX <sys/mman.h>. */
#ifndef PROT_NONE
#define PROT_NONE  0
#endif
#ifndef PROT_READ
#define PROT_READ  1
#endif
#ifndef PROT_WRITE
#define PROT_WRITE 2
#endif
#ifndef PROT_EXEC
#define PROT_EXEC  4
#endif

/* pte marker flags (Linux values) */
#define PTE_MARKER_UFFD_WP  UINT64_C(1)
#define PTE_MARKER_POISONED UINT64_C(2)
#define PTE_MARKER_GUARD    UINT64_C(4)

#define SWP_NR_TYPES    31u     /* swap types 0..30 */
#define SWP_MARKER_TYPE 31u     /* reserved for pte markers */
#define SWP_OFFSET_BITS 50
#define SWP_OFFSET_MASK ((UINT64_C(1) << SWP_OFFSET_BITS) - 1)

/* ---- arm64 bit definitions -------------------------------------------- */

#define ARM64_PTE_VALID           (UINT64_C(1) << 0)
#define ARM64_PTE_TABLE_BIT       (UINT64_C(1) << 1)
#define ARM64_PTE_TYPE_MASK       UINT64_C(3)
#define ARM64_PTE_TYPE_PAGE       UINT64_C(3)   /* level 3 */
#define ARM64_PTE_TYPE_TABLE      UINT64_C(3)   /* levels 0..2 */
#define ARM64_PTE_TYPE_BLOCK      UINT64_C(1)   /* levels 1..2 */
#define ARM64_PTE_ATTRINDX(n)     ((uint64_t)(n) << 2)
#define ARM64_PTE_ATTRINDX_MASK   (UINT64_C(7) << 2)
#define ARM64_PTE_USER            (UINT64_C(1) << 6)   /* AP[1] */
#define ARM64_PTE_RDONLY          (UINT64_C(1) << 7)   /* AP[2] */
#define ARM64_PTE_SH_INNER        (UINT64_C(3) << 8)
#define ARM64_PTE_AF              (UINT64_C(1) << 10)
#define ARM64_PTE_NG              (UINT64_C(1) << 11)
#define ARM64_PTE_PRESENT_INVALID (UINT64_C(1) << 11)  /* only when VALID=0 */
#define ARM64_PTE_ADDR_MASK       UINT64_C(0x0000fffffffff000) /* 47:12 */
#define ARM64_PTE_WRITE           (UINT64_C(1) << 51)  /* DBM */
#define ARM64_PTE_CONT            (UINT64_C(1) << 52)
#define ARM64_PTE_PXN             (UINT64_C(1) << 53)
#define ARM64_PTE_UXN             (UINT64_C(1) << 54)
#define ARM64_PTE_DIRTY           (UINT64_C(1) << 55)  /* sw */
#define ARM64_PTE_SPECIAL         (UINT64_C(1) << 56)  /* sw */
#define ARM64_PTE_SOFT_DIRTY      (UINT64_C(1) << 57)  /* sw */
#define ARM64_PTE_UFFD_WP         (UINT64_C(1) << 58)  /* sw */

#define ARM64_MT_NORMAL           0   /* MAIR Attr0: Normal WB WA */
#define ARM64_MT_DEVICE_nGnRE     1   /* MAIR Attr1: Device-nGnRE */

#define ARM64_PAGE_SHIFT          12

#define ARM64_SWP_TAG             (UINT64_C(1) << 2)
#define ARM64_SWP_TYPE_SHIFT      3
#define ARM64_SWP_TYPE_MASK       UINT64_C(0x1f)
#define ARM64_SWP_OFFSET_SHIFT    12

/* Bits replaced by pte_modify(); everything else (OA, AF, SH, type bit 1,
 * DIRTY, SPECIAL, SOFT_DIRTY, UFFD_WP, CONT) is kept. */
#define ARM64_PTE_MODIFY_MASK                                               \
	(ARM64_PTE_USER | ARM64_PTE_PXN | ARM64_PTE_UXN | ARM64_PTE_RDONLY |   \
	 ARM64_PTE_PRESENT_INVALID | ARM64_PTE_VALID | ARM64_PTE_WRITE |       \
	 ARM64_PTE_ATTRINDX_MASK)

/* Linux PAGE_NONE minus AF: default attrs without VALID, + PRESENT_INVALID,
 * RDONLY, PXN, UXN.  (bit 11 doubles as nG once valid again.) */
#define ARM64_PAGE_NONE                                                     \
	((ARM64_PTE_TYPE_PAGE & ~ARM64_PTE_VALID) |                             \
	 ARM64_PTE_ATTRINDX(ARM64_MT_NORMAL) | ARM64_PTE_SH_INNER |             \
	 ARM64_PTE_PRESENT_INVALID | ARM64_PTE_RDONLY | ARM64_PTE_PXN |         \
	 ARM64_PTE_UXN)

/* ---- protections ------------------------------------------------------- */

static inline uint64_t pgprot_val(pgprot_t p) { return p.bits; }

/*
 * Convert PROT_* to an arm64 pgprot.
 *  prot == 0            -> PAGE_NONE (protnone; user flag ignored).
 *  PROT_WRITE/PROT_EXEC imply read (no write-only / exec-only encodings).
 *  user = true:  USER|nG|PXN, UXN unless PROT_EXEC, AF clear (pfn_pte makes
 *                an old pte), writable = DBM|RDONLY (writable but clean).
 *  user = false: kernel mapping: global, AF set, UXN, PXN unless PROT_EXEC,
 *                writable = DBM with RDONLY clear (hw-dirty, like PAGE_KERNEL).
 *  pgprot_from_prot(RWX, false) == pgprot_kernel_normal().
 */
static inline pgprot_t pgprot_from_prot(unsigned prot, bool user)
{
	uint64_t v;

	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return (pgprot_t){ ARM64_PAGE_NONE };

	v = ARM64_PTE_TYPE_PAGE | ARM64_PTE_ATTRINDX(ARM64_MT_NORMAL) |
	    ARM64_PTE_SH_INNER | ARM64_PTE_UXN;
	if (user) {
		v |= ARM64_PTE_USER | ARM64_PTE_NG | ARM64_PTE_PXN | ARM64_PTE_RDONLY;
		if (prot & PROT_WRITE)
			v |= ARM64_PTE_WRITE;
		if (prot & PROT_EXEC)
			v &= ~ARM64_PTE_UXN;
	} else {
		v |= ARM64_PTE_AF;
		if (prot & PROT_WRITE)
			v |= ARM64_PTE_WRITE;
		else
			v |= ARM64_PTE_RDONLY;
		if (!(prot & PROT_EXEC))
			v |= ARM64_PTE_PXN;
	}
	return (pgprot_t){ v };
}

/* Kernel RWX normal memory: AttrIndx 0, inner-shareable, AF, global,
 * PXN clear, UXN set, writable+dirty. */
static inline pgprot_t pgprot_kernel_normal(void)
{
	return (pgprot_t){ ARM64_PTE_TYPE_PAGE |
			   ARM64_PTE_ATTRINDX(ARM64_MT_NORMAL) |
			   ARM64_PTE_SH_INNER | ARM64_PTE_AF | ARM64_PTE_WRITE |
			   ARM64_PTE_UXN };
}

/* Kernel device MMIO: AttrIndx 1 (Device-nGnRE), AF, global, PXN|UXN, RW. */
static inline pgprot_t pgprot_kernel_device(void)
{
	return (pgprot_t){ ARM64_PTE_TYPE_PAGE |
			   ARM64_PTE_ATTRINDX(ARM64_MT_DEVICE_nGnRE) |
			   ARM64_PTE_SH_INNER | ARM64_PTE_AF | ARM64_PTE_WRITE |
			   ARM64_PTE_PXN | ARM64_PTE_UXN };
}

/* ---- construction / decoding ------------------------------------------ */

/* Leaf (level 3) pte for pfn; AF comes only from prot (user prots: old). */
static inline pte_t pfn_pte(uint64_t pfn, pgprot_t prot)
{
	return ((pfn << ARM64_PAGE_SHIFT) & ARM64_PTE_ADDR_MASK) | prot.bits;
}

static inline uint64_t pte_pfn(pte_t pte)
{
	return (pte & ARM64_PTE_ADDR_MASK) >> ARM64_PAGE_SHIFT;
}

/*
 * PFN of the 4 KiB page that `va` hits through this pte.  arm64 CONT ptes
 * each hold their own output address, so this is pte_pfn() and va is unused
 * (the riscv Svnapot version needs va).
 */
static inline uint64_t pte_napot_pfn(pte_t pte, uint64_t va)
{
	(void)va;
	return pte_pfn(pte);
}

static inline bool pte_none(pte_t pte)  { return pte == 0; }
static inline bool pte_valid(pte_t pte) { return (pte & ARM64_PTE_VALID) != 0; }

/* Present: VALID, or VALID clear with PRESENT_INVALID (bit 11) set.
 * Swap/marker entries keep both clear. */
static inline bool pte_present(pte_t pte)
{
	return (pte & (ARM64_PTE_VALID | ARM64_PTE_PRESENT_INVALID)) != 0;
}

/* Present for software, invalid for hardware (protnone or pte_mkinvalid).
 * A VALID pte with nG (bit 11) set is NOT present-invalid. */
static inline bool pte_present_invalid(pte_t pte)
{
	return (pte & (ARM64_PTE_VALID | ARM64_PTE_PRESENT_INVALID)) ==
	       ARM64_PTE_PRESENT_INVALID;
}

/* PROT_NONE: present-invalid, not USER, not user-executable (UXN set).
 * A pte_mkinvalid()'d user pte keeps USER and so is not protnone. */
static inline bool pte_protnone(pte_t pte)
{
	return pte_present_invalid(pte) && !(pte & ARM64_PTE_USER) &&
	       (pte & ARM64_PTE_UXN);
}

/* The state/permission predicates below are raw bit tests, meaningful only
 * on present entries (as in Linux). */
static inline bool pte_write(pte_t pte) { return (pte & ARM64_PTE_WRITE) != 0; }

static inline bool pte_hw_dirty(pte_t pte)
{
	return pte_write(pte) && !(pte & ARM64_PTE_RDONLY);
}

static inline bool pte_sw_dirty(pte_t pte) { return (pte & ARM64_PTE_DIRTY) != 0; }
static inline bool pte_dirty(pte_t pte)    { return pte_hw_dirty(pte) || pte_sw_dirty(pte); }
static inline bool pte_young(pte_t pte)    { return (pte & ARM64_PTE_AF) != 0; }
static inline bool pte_user(pte_t pte)     { return (pte & ARM64_PTE_USER) != 0; }

/* User-executable (UXN clear).  Kernel ptes always read false. */
static inline bool pte_exec(pte_t pte)     { return !(pte & ARM64_PTE_UXN); }

/* Readable at the owning privilege level: every present non-protnone arm64
 * pte is readable (no write-only/exec-only encodings are produced). */
static inline bool pte_read(pte_t pte)
{
	return pte_present(pte) && !pte_protnone(pte);
}

static inline bool pte_cont(pte_t pte)       { return (pte & ARM64_PTE_CONT) != 0; }
static inline bool pte_special(pte_t pte)    { return (pte & ARM64_PTE_SPECIAL) != 0; }
static inline bool pte_soft_dirty(pte_t pte) { return (pte & ARM64_PTE_SOFT_DIRTY) != 0; }
static inline bool pte_uffd_wp(pte_t pte)    { return (pte & ARM64_PTE_UFFD_WP) != 0; }

/* ---- modifiers -------------------------------------------------------- */

/* Set sw DIRTY; a writable pte also becomes hardware-dirty (RDONLY clear). */
static inline pte_t pte_mkdirty(pte_t pte)
{
	pte |= ARM64_PTE_DIRTY;
	if (pte_write(pte))
		pte &= ~ARM64_PTE_RDONLY;
	return pte;
}

/* Clean: clear sw DIRTY and set RDONLY; DBM (writability) is kept, so a
 * writable pte becomes writable-clean. */
static inline pte_t pte_mkclean(pte_t pte)
{
	return (pte & ~ARM64_PTE_DIRTY) | ARM64_PTE_RDONLY;
}

/* Set DBM; a sw-dirty pte becomes hardware-dirty (RDONLY clear), a clean
 * one stays RDONLY (writable-clean). */
static inline pte_t pte_mkwrite(pte_t pte)
{
	pte |= ARM64_PTE_WRITE;
	if (pte_sw_dirty(pte))
		pte &= ~ARM64_PTE_RDONLY;
	return pte;
}

/* Read-only: hw dirtiness is first saved as sw DIRTY (never lost), then
 * DBM is cleared and RDONLY set. */
static inline pte_t pte_wrprotect(pte_t pte)
{
	if (pte_hw_dirty(pte))
		pte |= ARM64_PTE_DIRTY;
	return (pte & ~ARM64_PTE_WRITE) | ARM64_PTE_RDONLY;
}

static inline pte_t pte_mkyoung(pte_t pte) { return pte | ARM64_PTE_AF; }
static inline pte_t pte_mkold(pte_t pte)   { return pte & ~ARM64_PTE_AF; }

/*
 * Make a present pte hardware-invalid but still present (Linux
 * pmd_mkinvalid): clear VALID, set PRESENT_INVALID.  A user pte keeps USER,
 * so it is not protnone; a protnone pte stays protnone.  Note: a kernel pte
 * (USER clear, UXN set) would read as protnone, exactly as in Linux.
 * Non-present entries (none/swap/marker) are returned unchanged.
 */
static inline pte_t pte_mkinvalid(pte_t pte)
{
	if (!pte_present(pte))
		return pte;
	return (pte & ~ARM64_PTE_VALID) | ARM64_PTE_PRESENT_INVALID;
}

/* CONT hint.  Each of the CONT_PTES entries keeps its own PFN. */
static inline pte_t pte_mkcont(pte_t pte)    { return pte | ARM64_PTE_CONT; }
static inline pte_t pte_mknoncont(pte_t pte) { return pte & ~ARM64_PTE_CONT; }

static inline pte_t pte_mksoft_dirty(pte_t pte)    { return pte | ARM64_PTE_SOFT_DIRTY; }
static inline pte_t pte_clear_soft_dirty(pte_t pte) { return pte & ~ARM64_PTE_SOFT_DIRTY; }
static inline pte_t pte_mkuffd_wp(pte_t pte)        { return pte | ARM64_PTE_UFFD_WP; }
static inline pte_t pte_clear_uffd_wp(pte_t pte)    { return pte & ~ARM64_PTE_UFFD_WP; }
static inline pte_t pte_mkspecial(pte_t pte)        { return pte | ARM64_PTE_SPECIAL; }

/*
 * Change protection, keeping PFN, AF, SH, DIRTY, SPECIAL, SOFT_DIRTY,
 * UFFD_WP and CONT (Linux pte_modify).  Hardware dirtiness is moved into sw
 * DIRTY first, so a read-only result keeps dirty as DIRTY|RDONLY; a
 * writable result of a dirty pte is made hardware-dirty again.
 */
static inline pte_t pte_modify(pte_t pte, pgprot_t newprot)
{
	if (pte_hw_dirty(pte))
		pte |= ARM64_PTE_DIRTY;
	pte = (pte & ~ARM64_PTE_MODIFY_MASK) |
	      (newprot.bits & ARM64_PTE_MODIFY_MASK);
	if (pte_sw_dirty(pte))
		pte = pte_mkdirty(pte);
	return pte;
}

/* ---- swap entries and markers (never valid / present / protnone) ------ */

/* type must be 0..30 (31 is the marker type); offset is masked to 50 bits. */
static inline pte_t swp_entry_pte(unsigned type, uint64_t offset)
{
	return ARM64_SWP_TAG |
	       (((uint64_t)type & ARM64_SWP_TYPE_MASK) << ARM64_SWP_TYPE_SHIFT) |
	       ((offset & SWP_OFFSET_MASK) << ARM64_SWP_OFFSET_SHIFT);
}

static inline unsigned pte_swp_type(pte_t pte)
{
	return (unsigned)((pte >> ARM64_SWP_TYPE_SHIFT) & ARM64_SWP_TYPE_MASK);
}

static inline uint64_t pte_swp_offset(pte_t pte)
{
	return (pte >> ARM64_SWP_OFFSET_SHIFT) & SWP_OFFSET_MASK;
}

/* Non-present, tagged, type 0..30.  Markers are NOT reported as swap. */
static inline bool pte_is_swap(pte_t pte)
{
	return !pte_present(pte) && (pte & ARM64_SWP_TAG) &&
	       pte_swp_type(pte) != SWP_MARKER_TYPE;
}

/* Marker: a swap-format entry of type 31 whose offset holds the flags. */
static inline pte_t pte_marker(uint64_t flags)
{
	return swp_entry_pte(SWP_MARKER_TYPE, flags);
}

static inline bool pte_is_marker(pte_t pte)
{
	return !pte_present(pte) && (pte & ARM64_SWP_TAG) &&
	       pte_swp_type(pte) == SWP_MARKER_TYPE;
}

static inline uint64_t pte_marker_flags(pte_t pte) { return pte_swp_offset(pte); }

/* ---- table / block level (level 0..3, 3 = last, 4 KiB) ----------------- */

/* Next-level table descriptor (levels 0..2). */
static inline pte_t pte_mktable(uint64_t table_pa)
{
	return (table_pa & ARM64_PTE_ADDR_MASK) | ARM64_PTE_TYPE_TABLE;
}

static inline bool pte_is_table(pte_t pte, int level)
{
	return level >= 0 && level <= 2 &&
	       (pte & ARM64_PTE_TYPE_MASK) == ARM64_PTE_TYPE_TABLE;
}

static inline uint64_t pte_table_pa(pte_t pte) { return pte & ARM64_PTE_ADDR_MASK; }

/* Valid block descriptor.  With a 4 KiB granule blocks exist only at
 * level 1 (1 GiB) and level 2 (2 MiB). */
static inline bool pte_is_block(pte_t pte, int level)
{
	return (level == 1 || level == 2) &&
	       (pte & ARM64_PTE_TYPE_MASK) == ARM64_PTE_TYPE_BLOCK;
}

/*
 * Leaf entry for pfn at `level`: level 3 -> pfn_pte(); level 1/2 -> block
 * (pfn_pte with the table bit cleared, like Linux pmd_mkhuge, so a protnone
 * block keeps bits 1:0 = 0b00).  pfn must be aligned to the block size.
 * Any other level returns 0 (pte_none).
 */
static inline pte_t pfn_block(uint64_t pfn, pgprot_t prot, int level)
{
	if (level == 3)
		return pfn_pte(pfn, prot);
	if (level == 1 || level == 2)
		return pfn_pte(pfn, prot) & ~ARM64_PTE_TABLE_BIT;
	return 0;
}

/* ---- what a TLB entry made from a descriptor allows (the TLB model) ---- */

/* Accesses a cached copy of leaf descriptor v lets through, without a fault:
 * HWP_READ (EL1 data), HWP_WRITE, HWP_UEXEC (EL0 fetch), HWP_USER (EL0 data),
 * HWP_KEXEC (EL1 fetch), and HWP_SILENT_WRITE: a write that leaves the
 * descriptor as it is (RDONLY clear: hardware-dirty already), so a cached
 * dirty entry for a descriptor made clean would lose the next write's dirty
 * state. With hardware dirty (TCR.HD) a DBM entry is writable (the CPU
 * clears RDONLY in the descriptor itself); without hardware AF an entry
 * with AF clear is never cached (Access flag fault). 0 for an invalid
 * entry. */
enum { HWP_READ = 1, HWP_WRITE = 2, HWP_UEXEC = 4, HWP_USER = 8, HWP_KEXEC = 16, HWP_SILENT_WRITE = 32 };
static inline unsigned pte_hw_perms(pte_t v, bool hw_af, bool hw_dirty)
{
	if (!(v & ARM64_PTE_VALID) || (!(v & ARM64_PTE_AF) && !hw_af))
		return 0;
	unsigned p = HWP_READ;
	if (!(v & ARM64_PTE_RDONLY))
		p |= HWP_WRITE | HWP_SILENT_WRITE;
	else if (hw_dirty && (v & ARM64_PTE_WRITE))
		p |= HWP_WRITE;
	if (v & ARM64_PTE_USER)
		p |= HWP_USER;
	if (!(v & ARM64_PTE_UXN))
		p |= HWP_UEXEC;
	if (!(v & ARM64_PTE_PXN))
		p |= HWP_KEXEC;
	return p;
}
/* Memory type and shareability: changing them on a valid entry needs
 * break-before-make. */
static inline uint64_t pte_hw_memattr(pte_t v)
{
	return v & (ARM64_PTE_ATTRINDX_MASK | ARM64_PTE_SH_INNER);
}
/* A TLB entry made from v matches every ASID (nG clear on a valid entry). */
static inline bool pte_hw_global(pte_t v)
{
	return (v & ARM64_PTE_VALID) && !(v & ARM64_PTE_NG);
}

#endif /* ARCH_ARM64_ASM_PTE_H */
