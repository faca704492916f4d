/*
 * 32-bit Arm page-table entry interface: VMSAv7 long-descriptor format
 * (LPAE, TTBCR.EAE = 1), 4 KiB pages, 32-bit VA, 40-bit output address.
 *
 * Pure bit logic: no inline asm, no memory access, host-testable.
 * The same API as arch/arm64 and arch/riscv64 asm/pte.h; generic code
 * includes <asm/pte.h> with -Iarch/$(ARCH)/include.
 *
 * The hardware fields sit where arm64 has them (Arm ARM v7-A B3.6.2,
 * "Long-descriptor translation table format descriptors"), so this layout
 * mirrors arch/arm64's, except where LPAE differs:
 *   - the output address is PA[39:12]; bits 51:40 are UNK/SBZP (kept 0);
 *   - XN (bit 54) forbids execution at PL0 AND PL1; PXN (bit 53) at PL1 only;
 *   - there is no DBM and no hardware Access flag or dirty state: AF = 0
 *     always gives an Access flag fault, RDONLY always a Permission fault.
 *     Both are done in software (pte_hw_perms() with hw_af = hw_dirty = false);
 *   - bits 58:55 are "reserved for software use" and bits 63:59 are IGNORED
 *     by the v7 walker (ARMv8 in AArch32 gives 62:59 a meaning (PBHA) only
 *     when HTCR/TTBCR2.HWU59-62 are set, which this kernel never does). The
 *     software WRITE bit, whose arm64 position (DBM, 51) is SBZP here, is 59.
 * Linux's 32-bit LPAE code uses 55-58 for DIRTY, SPECIAL, NONE and RDONLY
 * and has no soft-dirty, uffd-wp or NUMA balancing on 32-bit Arm; this
 * project keeps arm64's meanings for 55-58 and puts the write bit at 59.
 *
 *   63:60 59  58  57  56  55  54  53  52  51:40 39:12          11 10 9:8 7  6  5  4:2   1 0
 *  +-----+---+---+---+---+---+---+---+---+-----+--------------+--+--+---+--+--+--+-----+-+-+
 *  | ign |WR |UWP|SDT|SPC|DTY|XN |PXN|CON| SBZ |OA = PA[39:12]|nG|AF| SH|RO|US|NS|AtIdx|T|V|
 *  +-----+---+---+---+---+---+---+---+---+-----+--------------+--+--+---+--+--+--+-----+-+-+
 *
 *   V   bit 0      valid (hardware)
 *   T   bit 1      with V: 1 = page (level 3) / table (levels 1-2), 0 = block
 *   AtIdx 4:2      AttrIndx, MAIR0 index: 0 = Normal WB, 1 = Device (set by boot)
 *   US  bit 6      AP[1]: PL0 accessible (user)
 *   RO  bit 7      AP[2]: read-only
 *   SH  bits 9:8   shareability, 0b11 = inner
 *   AF  bit 10     access flag (young): software-managed, AF = 0 faults
 *   nG  bit 11     not-global (user pages, tagged by the ASID); when V = 0
 *                  it is PRESENT_INVALID
 *   CON bit 52     contiguous hint (16 x 4 KiB)
 *   PXN bit 53     not executable at PL1;  XN bit 54: not executable at all
 *   DTY bit 55     software dirty      SPC bit 56  special
 *   SDT bit 57     soft-dirty          UWP bit 58  userfaultfd write-protect
 *   WR  bit 59     software writable (the role of arm64's DBM / PTE_WRITE)
 *
 * Dirty/write state (software dirty: the first write to a clean writable
 * page takes a Permission fault, whose handler clears RDONLY):
 *   WR=0 RO=1            read-only (maybe sw DIRTY)
 *   WR=1 RO=1            writable, clean
 *   WR=1 RO=0            writable, dirty
 *
 * NUMA hinting / PROT_NONE ("protnone"): V = 0, bit 11 (PRESENT_INVALID)
 * set, USER clear, XN set; PFN, AF, dirty and the software bits kept. With
 * V = 0 the walker ignores every other bit (Translation fault), so this is
 * pure software: the arm64 encoding, chosen so the two read alike.
 *
 * Non-present entries (V = 0 and bit 11 = 0): swap entries and markers,
 * as on arm64:
 *
 *   63:62 61:12            11 10:8 7:3  2   1 0
 *  +-----+----------------+--+----+----+---+-+-+
 *  |  0  |offset (50 bits)|0 | 0  |type|TAG|0|0|
 *  +-----+----------------+--+----+----+---+-+-+
 *   TAG (bit 2) is always set so no swap/marker entry ever equals pte_none().
 *   type 0..30 = swap entry; type 31 = pte marker (offset holds marker flags).
 */
#ifndef ARCH_ARM_ASM_PTE_H
#define ARCH_ARM_ASM_PTE_H

#include <stdbool.h>
#include <stdint.h>

/* ---- generic constants and types (identical on every arch) ------------ */

#define PTRS_PER_TABLE 512
#define CONT_PTES      16
/* The address-space window the mm manages (mmu/pgtable.h MM_VA_BASE/END):
 * the upper 2 GiB of the 32-bit VA space, level-1 entries 2 and 3; the
 * kernel's identity map of RAM and MMIO lives below (QEMU virt: MMIO in
 * GiB 0, RAM from 1 GiB; Raspberry Pi 2: RAM from 0, peripherals below
 * 1 GiB + 16 MiB). */
#define ARCH_MM_VA_BASE 0x80000000ULL
#define ARCH_MM_VA_END  0x100000000ULL

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

/* ---- LPAE bit definitions - -------------------------------------------- */

#define LPAE_PTE_VALID           (UINT64_C(1) << 0)
#define LPAE_PTE_TABLE_BIT       (UINT64_C(1) << 1)
#define LPAE_PTE_TYPE_MASK       UINT64_C(3)
#define LPAE_PTE_TYPE_PAGE       UINT64_C(3)   /* level 3 */
#define LPAE_PTE_TYPE_TABLE      UINT64_C(3)   /* levels 0..2 */
#define LPAE_PTE_TYPE_BLOCK      UINT64_C(1)   /* levels 1..2 */
#define LPAE_PTE_ATTRINDX(n)     ((uint64_t)(n) << 2)
#define LPAE_PTE_ATTRINDX_MASK   (UINT64_C(7) << 2)
#define LPAE_PTE_USER            (UINT64_C(1) << 6)   /* AP[1] */
#define LPAE_PTE_RDONLY          (UINT64_C(1) << 7)   /* AP[2] */
#define LPAE_PTE_SH_INNER        (UINT64_C(3) << 8)
#define LPAE_PTE_AF              (UINT64_C(1) << 10)
#define LPAE_PTE_NG              (UINT64_C(1) << 11)
#define LPAE_PTE_PRESENT_INVALID (UINT64_C(1) << 11)  /* only when VALID=0 */
#define LPAE_PTE_ADDR_MASK       UINT64_C(0x000000fffffff000) /* 39:12 */
#define LPAE_PTE_WRITE           (UINT64_C(1) << 59)  /* sw: writable */
#define LPAE_PTE_CONT            (UINT64_C(1) << 52)
#define LPAE_PTE_PXN             (UINT64_C(1) << 53)
#define LPAE_PTE_XN              (UINT64_C(1) << 54)
#define LPAE_PTE_DIRTY           (UINT64_C(1) << 55)  /* sw */
#define LPAE_PTE_SPECIAL         (UINT64_C(1) << 56)  /* sw */
#define LPAE_PTE_SOFT_DIRTY      (UINT64_C(1) << 57)  /* sw */
#define LPAE_PTE_UFFD_WP         (UINT64_C(1) << 58)  /* sw */

#define LPAE_MT_NORMAL           0   /* MAIR0 Attr0 = 0xff: Normal WB WA */
#define LPAE_MT_DEVICE_nGnRE     1   /* MAIR0 Attr1 = 0x04: Device (v7) / Device-nGnRE (v8) */

#define LPAE_PAGE_SHIFT          12

#define LPAE_SWP_TAG             (UINT64_C(1) << 2)
#define LPAE_SWP_TYPE_SHIFT      3
#define LPAE_SWP_TYPE_MASK       UINT64_C(0x1f)
#define LPAE_SWP_OFFSET_SHIFT    12

/* Bits replaced by pte_modify(); everything else (OA, AF, SH, type bit 1,
 * DIRTY, SPECIAL, SOFT_DIRTY, UFFD_WP, CONT) is kept. */
#define LPAE_PTE_MODIFY_MASK                                               \
	(LPAE_PTE_USER | LPAE_PTE_PXN | LPAE_PTE_XN | LPAE_PTE_RDONLY |   \
	 LPAE_PTE_PRESENT_INVALID | LPAE_PTE_VALID | LPAE_PTE_WRITE |       \
	 LPAE_PTE_ATTRINDX_MASK)

/* Linux PAGE_NONE minus AF: default attrs without VALID, + PRESENT_INVALID,
 * RDONLY, PXN, XN.  (bit 11 doubles as nG once valid again.) */
#define LPAE_PAGE_NONE                                                     \
	((LPAE_PTE_TYPE_PAGE & ~LPAE_PTE_VALID) |                             \
	 LPAE_PTE_ATTRINDX(LPAE_MT_NORMAL) | LPAE_PTE_SH_INNER |             \
	 LPAE_PTE_PRESENT_INVALID | LPAE_PTE_RDONLY | LPAE_PTE_PXN |         \
	 LPAE_PTE_XN)

/* ---- protections ------------------------------------------------------- */

static inline uint64_t pgprot_val(pgprot_t p) { return p.bits; }

/*
 * Convert PROT_* to an LPAE pgprot.
 *  prot == 0            -> PAGE_NONE (protnone; user flag ignored).
 *  PROT_WRITE/PROT_EXEC imply read (no write-only / exec-only encodings).
 *  user = true:  USER|nG|PXN, XN unless PROT_EXEC, AF clear (pfn_pte makes
 *                an old pte), writable = WRITE|RDONLY (writable but clean).
 *  user = false: kernel mapping: global, AF set, XN|PXN unless PROT_EXEC,
 *                writable = WRITE with RDONLY clear (dirty, like PAGE_KERNEL).
 *  pgprot_from_prot(RWX, false) == pgprot_kernel_normal().
 */
static inline pgprot_t pgprot_from_prot(unsigned prot, bool user)
{
	uint64_t v;

	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return (pgprot_t){ LPAE_PAGE_NONE };

	v = LPAE_PTE_TYPE_PAGE | LPAE_PTE_ATTRINDX(LPAE_MT_NORMAL) |
	    LPAE_PTE_SH_INNER;
	if (user) {
		v |= LPAE_PTE_USER | LPAE_PTE_NG | LPAE_PTE_PXN | LPAE_PTE_RDONLY;
		if (prot & PROT_WRITE)
			v |= LPAE_PTE_WRITE;
		if (!(prot & PROT_EXEC))
			v |= LPAE_PTE_XN;
	} else {
		v |= LPAE_PTE_AF;
		if (prot & PROT_WRITE)
			v |= LPAE_PTE_WRITE;
		else
			v |= LPAE_PTE_RDONLY;
		if (!(prot & PROT_EXEC))
			v |= LPAE_PTE_XN | LPAE_PTE_PXN;
	}
	return (pgprot_t){ v };
}

/* Kernel RWX normal memory: AttrIndx 0, inner-shareable, AF, global,
 * XN and PXN clear, writable+dirty. */
static inline pgprot_t pgprot_kernel_normal(void)
{
	return (pgprot_t){ LPAE_PTE_TYPE_PAGE |
			   LPAE_PTE_ATTRINDX(LPAE_MT_NORMAL) |
			   LPAE_PTE_SH_INNER | LPAE_PTE_AF | LPAE_PTE_WRITE };
}

/* Kernel device MMIO: AttrIndx 1 (Device), AF, global, XN|PXN, RW. */
static inline pgprot_t pgprot_kernel_device(void)
{
	return (pgprot_t){ LPAE_PTE_TYPE_PAGE |
			   LPAE_PTE_ATTRINDX(LPAE_MT_DEVICE_nGnRE) |
			   LPAE_PTE_SH_INNER | LPAE_PTE_AF | LPAE_PTE_WRITE |
			   LPAE_PTE_PXN | LPAE_PTE_XN };
}

/* ---- construction / decoding ------------------------------------------ */

/* Leaf (level 3) pte for pfn; AF comes only from prot (user prots: old). */
static inline pte_t pfn_pte(uint64_t pfn, pgprot_t prot)
{
	return ((pfn << LPAE_PAGE_SHIFT) & LPAE_PTE_ADDR_MASK) | prot.bits;
}

static inline uint64_t pte_pfn(pte_t pte)
{
	return (pte & LPAE_PTE_ADDR_MASK) >> LPAE_PAGE_SHIFT;
}

/*
 * PFN of the 4 KiB page that `va` hits through this pte.  LPAE CONT ptes
 * each hold their own output address, so this is pte_pfn() and va is unused
 * (the riscv Svnapot version needs va).
 */
static inline uint64_t pte_napot_pfn(pte_t pte, uint64_t va)
{
	(void)va;
	return pte_pfn(pte);
}

static inline bool pte_none(pte_t pte)  { return pte == 0; }
static inline bool pte_valid(pte_t pte) { return (pte & LPAE_PTE_VALID) != 0; }

/* Present: VALID, or VALID clear with PRESENT_INVALID (bit 11) set.
 * Swap/marker entries keep both clear. */
static inline bool pte_present(pte_t pte)
{
	return (pte & (LPAE_PTE_VALID | LPAE_PTE_PRESENT_INVALID)) != 0;
}

/* Present for software, invalid for hardware (protnone or pte_mkinvalid).
 * A VALID pte with nG (bit 11) set is NOT present-invalid. */
static inline bool pte_present_invalid(pte_t pte)
{
	return (pte & (LPAE_PTE_VALID | LPAE_PTE_PRESENT_INVALID)) ==
	       LPAE_PTE_PRESENT_INVALID;
}

/* PROT_NONE: present-invalid, not USER, not executable (XN set).
 * A pte_mkinvalid()'d user pte keeps USER and so is not protnone. */
static inline bool pte_protnone(pte_t pte)
{
	return pte_present_invalid(pte) && !(pte & LPAE_PTE_USER) &&
	       (pte & LPAE_PTE_XN);
}

/* The state/permission predicates below are raw bit tests, meaningful only
 * on present entries (as in Linux). */
static inline bool pte_write(pte_t pte) { return (pte & LPAE_PTE_WRITE) != 0; }

static inline bool pte_hw_dirty(pte_t pte)
{
	return pte_write(pte) && !(pte & LPAE_PTE_RDONLY);
}

static inline bool pte_sw_dirty(pte_t pte) { return (pte & LPAE_PTE_DIRTY) != 0; }
static inline bool pte_dirty(pte_t pte)    { return pte_hw_dirty(pte) || pte_sw_dirty(pte); }
static inline bool pte_young(pte_t pte)    { return (pte & LPAE_PTE_AF) != 0; }
static inline bool pte_user(pte_t pte)     { return (pte & LPAE_PTE_USER) != 0; }

/* Executable (XN clear).  Kernel data ptes read false. */
static inline bool pte_exec(pte_t pte)     { return !(pte & LPAE_PTE_XN); }

/* Readable at the owning privilege level: every present non-protnone LPAE
 * pte is readable (no write-only/exec-only encodings are produced). */
static inline bool pte_read(pte_t pte)
{
	return pte_present(pte) && !pte_protnone(pte);
}

static inline bool pte_cont(pte_t pte)       { return (pte & LPAE_PTE_CONT) != 0; }
static inline bool pte_special(pte_t pte)    { return (pte & LPAE_PTE_SPECIAL) != 0; }
static inline bool pte_soft_dirty(pte_t pte) { return (pte & LPAE_PTE_SOFT_DIRTY) != 0; }
static inline bool pte_uffd_wp(pte_t pte)    { return (pte & LPAE_PTE_UFFD_WP) != 0; }

/* ---- modifiers -------------------------------------------------------- */

/* Set sw DIRTY; a writable pte also becomes hardware-dirty (RDONLY clear). */
static inline pte_t pte_mkdirty(pte_t pte)
{
	pte |= LPAE_PTE_DIRTY;
	if (pte_write(pte))
		pte &= ~LPAE_PTE_RDONLY;
	return pte;
}

/* Clean: clear sw DIRTY and set RDONLY; WRITE (writability) is kept, so a
 * writable pte becomes writable-clean. */
static inline pte_t pte_mkclean(pte_t pte)
{
	return (pte & ~LPAE_PTE_DIRTY) | LPAE_PTE_RDONLY;
}

/* Set WRITE; a sw-dirty pte becomes hardware-dirty (RDONLY clear), a clean
 * one stays RDONLY (writable-clean). */
static inline pte_t pte_mkwrite(pte_t pte)
{
	pte |= LPAE_PTE_WRITE;
	if (pte_sw_dirty(pte))
		pte &= ~LPAE_PTE_RDONLY;
	return pte;
}

/* Read-only: hw dirtiness is first saved as sw DIRTY (never lost), then
 * WRITE is cleared and RDONLY set. */
static inline pte_t pte_wrprotect(pte_t pte)
{
	if (pte_hw_dirty(pte))
		pte |= LPAE_PTE_DIRTY;
	return (pte & ~LPAE_PTE_WRITE) | LPAE_PTE_RDONLY;
}

static inline pte_t pte_mkyoung(pte_t pte) { return pte | LPAE_PTE_AF; }
static inline pte_t pte_mkold(pte_t pte)   { return pte & ~LPAE_PTE_AF; }

/*
 * Make a present pte hardware-invalid but still present (Linux
 * pmd_mkinvalid): clear VALID, set PRESENT_INVALID.  A user pte keeps USER,
 * so it is not protnone; a protnone pte stays protnone.  Note: a kernel pte
 * (USER clear, XN set) would read as protnone, exactly as in Linux arm64.
 * Non-present entries (none/swap/marker) are returned unchanged.
 */
static inline pte_t pte_mkinvalid(pte_t pte)
{
	if (!pte_present(pte))
		return pte;
	return (pte & ~LPAE_PTE_VALID) | LPAE_PTE_PRESENT_INVALID;
}

/* CONT hint.  Each of the CONT_PTES entries keeps its own PFN. */
static inline pte_t pte_mkcont(pte_t pte)    { return pte | LPAE_PTE_CONT; }
static inline pte_t pte_mknoncont(pte_t pte) { return pte & ~LPAE_PTE_CONT; }

static inline pte_t pte_mksoft_dirty(pte_t pte)    { return pte | LPAE_PTE_SOFT_DIRTY; }
static inline pte_t pte_clear_soft_dirty(pte_t pte) { return pte & ~LPAE_PTE_SOFT_DIRTY; }
static inline pte_t pte_mkuffd_wp(pte_t pte)        { return pte | LPAE_PTE_UFFD_WP; }
static inline pte_t pte_clear_uffd_wp(pte_t pte)    { return pte & ~LPAE_PTE_UFFD_WP; }
static inline pte_t pte_mkspecial(pte_t pte)        { return pte | LPAE_PTE_SPECIAL; }

/*
 * Change protection, keeping PFN, AF, SH, DIRTY, SPECIAL, SOFT_DIRTY,
 * UFFD_WP and CONT (Linux pte_modify).  Hardware dirtiness is moved into sw
 * DIRTY first, so a read-only result keeps dirty as DIRTY|RDONLY; a
 * writable result of a dirty pte is made hardware-dirty again.
 */
static inline pte_t pte_modify(pte_t pte, pgprot_t newprot)
{
	if (pte_hw_dirty(pte))
		pte |= LPAE_PTE_DIRTY;
	pte = (pte & ~LPAE_PTE_MODIFY_MASK) |
	      (newprot.bits & LPAE_PTE_MODIFY_MASK);
	if (pte_sw_dirty(pte))
		pte = pte_mkdirty(pte);
	return pte;
}

/* ---- swap entries and markers (never valid / present / protnone) ------ */

/* type must be 0..30 (31 is the marker type); offset is masked to 50 bits. */
static inline pte_t swp_entry_pte(unsigned type, uint64_t offset)
{
	return LPAE_SWP_TAG |
	       (((uint64_t)type & LPAE_SWP_TYPE_MASK) << LPAE_SWP_TYPE_SHIFT) |
	       ((offset & SWP_OFFSET_MASK) << LPAE_SWP_OFFSET_SHIFT);
}

static inline unsigned pte_swp_type(pte_t pte)
{
	return (unsigned)((pte >> LPAE_SWP_TYPE_SHIFT) & LPAE_SWP_TYPE_MASK);
}

static inline uint64_t pte_swp_offset(pte_t pte)
{
	return (pte >> LPAE_SWP_OFFSET_SHIFT) & SWP_OFFSET_MASK;
}

/* Non-present, tagged, type 0..30.  Markers are NOT reported as swap. */
static inline bool pte_is_swap(pte_t pte)
{
	return !pte_present(pte) && (pte & LPAE_SWP_TAG) &&
	       pte_swp_type(pte) != SWP_MARKER_TYPE;
}

/* Marker: a swap-format entry of type 31 whose offset holds the flags. */
static inline pte_t pte_marker(uint64_t flags)
{
	return swp_entry_pte(SWP_MARKER_TYPE, flags);
}

static inline bool pte_is_marker(pte_t pte)
{
	return !pte_present(pte) && (pte & LPAE_SWP_TAG) &&
	       pte_swp_type(pte) == SWP_MARKER_TYPE;
}

static inline uint64_t pte_marker_flags(pte_t pte) { return pte_swp_offset(pte); }

/* ---- table / block level (level 0..3, 3 = last, 4 KiB) ----------------- */

/* Next-level table descriptor (levels 0..2). */
static inline pte_t pte_mktable(uint64_t table_pa)
{
	return (table_pa & LPAE_PTE_ADDR_MASK) | LPAE_PTE_TYPE_TABLE;
}

static inline bool pte_is_table(pte_t pte, int level)
{
	return level >= 0 && level <= 2 &&
	       (pte & LPAE_PTE_TYPE_MASK) == LPAE_PTE_TYPE_TABLE;
}

static inline uint64_t pte_table_pa(pte_t pte) { return pte & LPAE_PTE_ADDR_MASK; }

/* Valid block descriptor.  With a 4 KiB granule blocks exist only at
 * level 1 (1 GiB) and level 2 (2 MiB). */
static inline bool pte_is_block(pte_t pte, int level)
{
	return (level == 1 || level == 2) &&
	       (pte & LPAE_PTE_TYPE_MASK) == LPAE_PTE_TYPE_BLOCK;
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
		return pfn_pte(pfn, prot) & ~LPAE_PTE_TABLE_BIT;
	return 0;
}

/* ---- what a TLB entry made from a descriptor allows (the TLB model) ---- */

/* Accesses a cached copy of leaf descriptor v lets through, without a fault:
 * HWP_READ (PL1 data), HWP_WRITE, HWP_UEXEC (PL0 fetch), HWP_USER (PL0 data),
 * HWP_KEXEC (PL1 fetch), and HWP_SILENT_WRITE: a write that leaves the
 * descriptor as it is (RDONLY clear: dirty already), so a cached dirty entry
 * for a descriptor made clean would lose the next write's dirty state.
 * LPAE has no hardware AF or dirty update: an entry with AF clear is never
 * cached (Access flag fault), a RDONLY one never writable, whatever hw_af
 * and hw_dirty say (the arguments keep the contract's signature). XN stops
 * fetches at every level, PXN at PL1 only. 0 for an invalid entry. */
enum { HWP_READ = 1, HWP_WRITE = 2, HWP_UEXEC = 4, HWP_USER = 8, HWP_KEXEC = 16, HWP_SILENT_WRITE = 32 };
static inline unsigned pte_hw_perms(pte_t v, bool hw_af, bool hw_dirty)
{
	(void)hw_af, (void)hw_dirty;
	if (!(v & LPAE_PTE_VALID) || !(v & LPAE_PTE_AF))
		return 0;
	unsigned p = HWP_READ;
	if (!(v & LPAE_PTE_RDONLY))
		p |= HWP_WRITE | HWP_SILENT_WRITE;
	if (v & LPAE_PTE_USER)
		p |= HWP_USER;
	if (!(v & LPAE_PTE_XN)) {
		p |= HWP_UEXEC;
		if (!(v & LPAE_PTE_PXN))
			p |= HWP_KEXEC;
	}
	return p;
}
/* Memory type and shareability: changing them on a valid entry needs
 * break-before-make. */
static inline uint64_t pte_hw_memattr(pte_t v)
{
	return v & (LPAE_PTE_ATTRINDX_MASK | LPAE_PTE_SH_INNER);
}
/* A TLB entry made from v matches every ASID (nG clear on a valid entry). */
static inline bool pte_hw_global(pte_t v)
{
	return (v & LPAE_PTE_VALID) && !(v & LPAE_PTE_NG);
}

#endif /* ARCH_ARM_ASM_PTE_H */
