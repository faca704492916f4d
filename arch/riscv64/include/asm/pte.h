/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * riscv64 page-table entry interface (Sv39/Sv48, 4 KiB pages, Svnapot 64K).
 *
 * Pure bit logic: no inline asm, no memory access, host-testable.
 * The same API is provided by arch/arm64/include/asm/pte.h; generic code
 * includes <asm/pte.h> with -Iarch/$(ARCH)/include.
 *
 * Encodings follow the RISC-V privileged spec and Linux arch/riscv
 * (pgtable-bits.h, pgtable.h).  RSW bit 8 = soft-dirty and RSW bit 9 =
 * uffd-wp are this project's choice; that leaves no RSW bit for "special".
 *
 * Present entry:
 *
 *   63 62:61 60:54 53:10     9   8   7 6 5 4 3 2 1 0
 *  +--+-----+-----+---------+---+---+-+-+-+-+-+-+-+-+
 *  |N | PBMT| res0|PPN[43:0]|UWP|SDT|D|A|G|U|X|W|R|V|
 *  +--+-----+-----+---------+---+---+-+-+-+-+-+-+-+-+
 *   (UWP = uffd-wp, SDT = soft-dirty: the two RSW bits)
 *   V 0 valid   R 1 read   W 2 write   X 3 exec   U 4 user   G 5 global
 *   A 6 accessed (young)   D 7 dirty   RSW 9:8 software
 *   PBMT 62:61 Svpbmt (0 PMA, 1 NC, 2 IO)   N 63 Svnapot
 *   Non-leaf (table): V=1, R=W=X=0.
 *   Svnapot 64 KiB: N=1 and PPN[3:0]=0b1000; all 16 entries are identical.
 *
 * Software-present states with V=0 (Linux _PAGE_PROT_NONE == _PAGE_GLOBAL):
 *   protnone        V=0 G=1 (R kept)                 pte_protnone() true
 *   present-invalid V=0 G=0, some of R/W/X set       (pte_mkinvalid; like
 *                                                     Linux riscv pmd_present)
 *
 * Non-present entries (V=0, G=0 and R=W=X=0):
 *
 *   63:62 61:12            11:7 6   5 4 3:1 0
 *  +-----+----------------+----+---+-+-+---+-+
 *  |  0  |offset (50 bits)|type|TAG|0|0| 0 |0|
 *  +-----+----------------+----+---+-+-+---+-+
 *   TAG (bit 6) is always set so no swap/marker entry ever equals pte_none().
 *   type 0..30 = swap entry; type 31 = pte marker (offset holds marker flags).
 *
 * Define RISCV_PTE_SVPBMT to a non-zero value to give pgprot_kernel_device()
 * PBMT=IO (requires Svpbmt in hardware; QEMU virt relies on PMAs otherwise).
 */
#ifndef ARCH_RISCV64_ASM_PTE_H
#define ARCH_RISCV64_ASM_PTE_H

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

/* ---- riscv bit definitions -------------------------------------------- */

#define RISCV_PTE_V          (UINT64_C(1) << 0)
#define RISCV_PTE_R          (UINT64_C(1) << 1)
#define RISCV_PTE_W          (UINT64_C(1) << 2)
#define RISCV_PTE_X          (UINT64_C(1) << 3)
#define RISCV_PTE_U          (UINT64_C(1) << 4)
#define RISCV_PTE_G          (UINT64_C(1) << 5)
#define RISCV_PTE_A          (UINT64_C(1) << 6)
#define RISCV_PTE_D          (UINT64_C(1) << 7)
#define RISCV_PTE_SOFT_DIRTY (UINT64_C(1) << 8)   /* RSW[0] */
#define RISCV_PTE_UFFD_WP    (UINT64_C(1) << 9)   /* RSW[1] */
#define RISCV_PTE_PPN_SHIFT  10
#define RISCV_PTE_PPN_MASK   UINT64_C(0x003ffffffffffc00)  /* 53:10 */
#define RISCV_PTE_PBMT_NC    (UINT64_C(1) << 61)
#define RISCV_PTE_PBMT_IO    (UINT64_C(2) << 61)
#define RISCV_PTE_PBMT_MASK  (UINT64_C(3) << 61)
#define RISCV_PTE_N          (UINT64_C(1) << 63)

#define RISCV_PTE_PROT_NONE  RISCV_PTE_G           /* only when V=0 */
#define RISCV_PTE_LEAF       (RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_X)

/* Svnapot 64 KiB: PPN[3:0] == 0b1000 */
#define RISCV_NAPOT_PPN_MASK (UINT64_C(0xf) << RISCV_PTE_PPN_SHIFT)
#define RISCV_NAPOT_64K_PPN  (UINT64_C(0x8) << RISCV_PTE_PPN_SHIFT)

#define RISCV_PAGE_SHIFT     12

#define RISCV_SWP_TAG          (UINT64_C(1) << 6)
#define RISCV_SWP_TYPE_SHIFT   7
#define RISCV_SWP_TYPE_MASK    UINT64_C(0x1f)
#define RISCV_SWP_OFFSET_SHIFT 12

/* Bits replaced by pte_modify() (Linux ~_PAGE_CHG_MASK); PPN, A, D, RSW
 * and N are kept. */
#define RISCV_PTE_MODIFY_MASK                                               \
	(RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_X | RISCV_PTE_U | \
	 RISCV_PTE_G | RISCV_PTE_PBMT_MASK)

/* Linux PAGE_NONE: _PAGE_PROT_NONE | _PAGE_READ */
#define RISCV_PAGE_NONE      (RISCV_PTE_PROT_NONE | RISCV_PTE_R)

/* ---- protections ------------------------------------------------------- */

static inline uint64_t pgprot_val(pgprot_t p) { return p.bits; }

/*
 * Convert PROT_* to a riscv pgprot.
 *  prot == 0            -> PAGE_NONE (G|R, V clear; user flag ignored).
 *  PROT_WRITE/PROT_EXEC imply read (same semantics as arm64; no W-only or
 *  X-only encodings are produced).
 *  user = true:  V|U|R (+W) (+X); A and D clear (old, clean: writable-clean).
 *  user = false: kernel: V|R (+W) (+X) | A|D|G (never takes A/D faults).
 *  pgprot_from_prot(RWX, false) == pgprot_kernel_normal().
 */
static inline pgprot_t pgprot_from_prot(unsigned prot, bool user)
{
	uint64_t v;

	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return (pgprot_t){ RISCV_PAGE_NONE };

	v = RISCV_PTE_V | RISCV_PTE_R;
	if (prot & PROT_WRITE)
		v |= RISCV_PTE_W;
	if (prot & PROT_EXEC)
		v |= RISCV_PTE_X;
	if (user)
		v |= RISCV_PTE_U;
	else
		v |= RISCV_PTE_A | RISCV_PTE_D | RISCV_PTE_G;
	return (pgprot_t){ v };
}

/* Kernel RWX normal memory: V|R|W|X|A|D|G. */
static inline pgprot_t pgprot_kernel_normal(void)
{
	return (pgprot_t){ RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_W |
			   RISCV_PTE_X | RISCV_PTE_A | RISCV_PTE_D |
			   RISCV_PTE_G };
}

/* Kernel device MMIO: V|R|W|A|D|G, plus PBMT=IO if RISCV_PTE_SVPBMT. */
static inline pgprot_t pgprot_kernel_device(void)
{
	uint64_t v = RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_A |
		     RISCV_PTE_D | RISCV_PTE_G;
#if defined(RISCV_PTE_SVPBMT) && RISCV_PTE_SVPBMT
	v |= RISCV_PTE_PBMT_IO;
#endif
	return (pgprot_t){ v };
}

/* ---- construction / decoding ------------------------------------------ */

/* Leaf pte for pfn; A comes only from prot (user prots: old). */
static inline pte_t pfn_pte(uint64_t pfn, pgprot_t prot)
{
	return ((pfn << RISCV_PTE_PPN_SHIFT) & RISCV_PTE_PPN_MASK) | prot.bits;
}

/*
 * PFN in the entry.  For a Svnapot pte (N set) this is the 64 KiB-aligned
 * base PFN of the block (PPN[3:0] encoding bits cleared, as Linux does);
 * use pte_napot_pfn() for the exact 4 KiB page.
 */
static inline uint64_t pte_pfn(pte_t pte)
{
	uint64_t pfn = (pte & RISCV_PTE_PPN_MASK) >> RISCV_PTE_PPN_SHIFT;

	if (pte & RISCV_PTE_N)
		pfn &= ~UINT64_C(0xf);
	return pfn;
}

/* Exact PFN of the 4 KiB page that `va` hits through this pte: for a napot
 * pte, base PFN + VA[15:12]; otherwise pte_pfn(). */
static inline uint64_t pte_napot_pfn(pte_t pte, uint64_t va)
{
	uint64_t pfn = pte_pfn(pte);

	if (pte & RISCV_PTE_N)
		pfn |= (va >> RISCV_PAGE_SHIFT) & (CONT_PTES - 1);
	return pfn;
}

static inline bool pte_none(pte_t pte)  { return pte == 0; }
static inline bool pte_valid(pte_t pte) { return (pte & RISCV_PTE_V) != 0; }

/* Present: V, or protnone (G with V clear), or present-invalid (a leaf
 * permission bit with V clear).  Swap/marker entries keep V, G, R, W, X
 * all clear. */
static inline bool pte_present(pte_t pte)
{
	return (pte & (RISCV_PTE_V | RISCV_PTE_PROT_NONE | RISCV_PTE_LEAF)) != 0;
}

/* Present for software, invalid for hardware (protnone or pte_mkinvalid). */
static inline bool pte_present_invalid(pte_t pte)
{
	return pte_present(pte) && !(pte & RISCV_PTE_V);
}

/* PROT_NONE: V clear and G (_PAGE_PROT_NONE) set.  G means "global" only
 * when V is set. */
static inline bool pte_protnone(pte_t pte)
{
	return (pte & (RISCV_PTE_V | RISCV_PTE_PROT_NONE)) == RISCV_PTE_PROT_NONE;
}

/* The state/permission predicates below are raw bit tests, meaningful only
 * on present entries (as in Linux). */
static inline bool pte_write(pte_t pte)    { return (pte & RISCV_PTE_W) != 0; }
static inline bool pte_hw_dirty(pte_t pte) { return (pte & RISCV_PTE_D) != 0; }

/* riscv has one dirty bit (D); there is no separate software dirty. */
static inline bool pte_sw_dirty(pte_t pte) { (void)pte; return false; }
static inline bool pte_dirty(pte_t pte)    { return pte_hw_dirty(pte); }
static inline bool pte_young(pte_t pte)    { return (pte & RISCV_PTE_A) != 0; }
static inline bool pte_user(pte_t pte)     { return (pte & RISCV_PTE_U) != 0; }

/* X bit (user-exec for user ptes; kernel RWX ptes also read true). */
static inline bool pte_exec(pte_t pte)     { return (pte & RISCV_PTE_X) != 0; }

/* R set on a present, non-protnone pte (protnone keeps R but grants
 * nothing). */
static inline bool pte_read(pte_t pte)
{
	return (pte & RISCV_PTE_R) && pte_present(pte) && !pte_protnone(pte);
}

static inline bool pte_cont(pte_t pte)       { return (pte & RISCV_PTE_N) != 0; }

/* No free RSW bit: riscv has no special bit; pte_mkspecial is identity. */
static inline bool pte_special(pte_t pte)    { (void)pte; return false; }
static inline bool pte_soft_dirty(pte_t pte) { return (pte & RISCV_PTE_SOFT_DIRTY) != 0; }
static inline bool pte_uffd_wp(pte_t pte)    { return (pte & RISCV_PTE_UFFD_WP) != 0; }

/* ---- modifiers -------------------------------------------------------- */

static inline pte_t pte_mkdirty(pte_t pte)   { return pte | RISCV_PTE_D; }
static inline pte_t pte_mkclean(pte_t pte)   { return pte & ~RISCV_PTE_D; }
static inline pte_t pte_mkwrite(pte_t pte)   { return pte | RISCV_PTE_W; }

/* Clear W; D (dirty) is kept. */
static inline pte_t pte_wrprotect(pte_t pte) { return pte & ~RISCV_PTE_W; }
static inline pte_t pte_mkyoung(pte_t pte)   { return pte | RISCV_PTE_A; }
static inline pte_t pte_mkold(pte_t pte)     { return pte & ~RISCV_PTE_A; }

/*
 * Make a valid pte hardware-invalid but still present: clear V and G (G
 * would otherwise read as protnone), keeping R/W/X/U so pte_present() is
 * true and pte_protnone() false (Linux riscv pmd_mkinvalid + pmd_present).
 * A kernel-global pte therefore loses G.  Entries that are already
 * invalid (protnone, present-invalid, none, swap, marker) are returned
 * unchanged, so protnone stays protnone.
 */
static inline pte_t pte_mkinvalid(pte_t pte)
{
	if (!(pte & RISCV_PTE_V))
		return pte;
	return pte & ~(RISCV_PTE_V | RISCV_PTE_G);
}

/*
 * Svnapot 64 KiB: set N and replace PPN[3:0] with 0b1000.  Any pte of the
 * block (pfn_pte(base + i)) yields the same entry; write it to all
 * CONT_PTES slots.  The block base PFN must be 16-aligned.
 */
static inline pte_t pte_mkcont(pte_t pte)
{
	return (pte & ~RISCV_NAPOT_PPN_MASK) | RISCV_NAPOT_64K_PPN | RISCV_PTE_N;
}

/* Clear N; a napot pte becomes a plain pte for the block's first page
 * (PPN[3:0] = 0).  A non-napot pte is returned unchanged. */
static inline pte_t pte_mknoncont(pte_t pte)
{
	if (!(pte & RISCV_PTE_N))
		return pte;
	return pte & ~(RISCV_PTE_N | RISCV_NAPOT_PPN_MASK);
}

static inline pte_t pte_mksoft_dirty(pte_t pte)     { return pte | RISCV_PTE_SOFT_DIRTY; }
static inline pte_t pte_clear_soft_dirty(pte_t pte) { return pte & ~RISCV_PTE_SOFT_DIRTY; }
static inline pte_t pte_mkuffd_wp(pte_t pte)        { return pte | RISCV_PTE_UFFD_WP; }
static inline pte_t pte_clear_uffd_wp(pte_t pte)    { return pte & ~RISCV_PTE_UFFD_WP; }

/* Identity: no RSW bit left for "special" (see pte_special). */
static inline pte_t pte_mkspecial(pte_t pte)        { return pte; }

/*
 * Change protection (V, R, W, X, U, G, PBMT) keeping PPN, A, D, soft-dirty,
 * uffd-wp and N.  D is the only dirty bit, so dirty is never lost.
 */
static inline pte_t pte_modify(pte_t pte, pgprot_t newprot)
{
	return (pte & ~RISCV_PTE_MODIFY_MASK) |
	       (newprot.bits & RISCV_PTE_MODIFY_MASK);
}

/* ---- swap entries and markers (never valid / present / protnone) ------ */

/* type must be 0..30 (31 is the marker type); offset is masked to 50 bits. */
static inline pte_t swp_entry_pte(unsigned type, uint64_t offset)
{
	return RISCV_SWP_TAG |
	       (((uint64_t)type & RISCV_SWP_TYPE_MASK) << RISCV_SWP_TYPE_SHIFT) |
	       ((offset & SWP_OFFSET_MASK) << RISCV_SWP_OFFSET_SHIFT);
}

static inline unsigned pte_swp_type(pte_t pte)
{
	return (unsigned)((pte >> RISCV_SWP_TYPE_SHIFT) & RISCV_SWP_TYPE_MASK);
}

static inline uint64_t pte_swp_offset(pte_t pte)
{
	return (pte >> RISCV_SWP_OFFSET_SHIFT) & SWP_OFFSET_MASK;
}

/* Non-present, tagged, type 0..30.  Markers are NOT reported as swap. */
static inline bool pte_is_swap(pte_t pte)
{
	return !pte_present(pte) && (pte & RISCV_SWP_TAG) &&
	       pte_swp_type(pte) != SWP_MARKER_TYPE;
}

/* Marker: a swap-format entry of type 31 whose offset holds the flags. */
static inline pte_t pte_marker(uint64_t flags)
{
	return swp_entry_pte(SWP_MARKER_TYPE, flags);
}

static inline bool pte_is_marker(pte_t pte)
{
	return !pte_present(pte) && (pte & RISCV_SWP_TAG) &&
	       pte_swp_type(pte) == SWP_MARKER_TYPE;
}

static inline uint64_t pte_marker_flags(pte_t pte) { return pte_swp_offset(pte); }

/* ---- table / block level (level 0..3, 3 = last, 4 KiB) -----------------
 * Level numbering is the arm64 one: 3 = 4 KiB, 2 = 2 MiB, 1 = 1 GiB,
 * 0 = 512 GiB (Sv48 root; Sv39 uses levels 1..3). */

/* Non-leaf entry: V with R=W=X=0. */
static inline pte_t pte_mktable(uint64_t table_pa)
{
	return (((table_pa >> RISCV_PAGE_SHIFT) << RISCV_PTE_PPN_SHIFT) &
		RISCV_PTE_PPN_MASK) | RISCV_PTE_V;
}

static inline bool pte_is_table(pte_t pte, int level)
{
	return level >= 0 && level <= 2 &&
	       (pte & (RISCV_PTE_V | RISCV_PTE_LEAF)) == RISCV_PTE_V;
}

static inline uint64_t pte_table_pa(pte_t pte)
{
	return ((pte & RISCV_PTE_PPN_MASK) >> RISCV_PTE_PPN_SHIFT) << RISCV_PAGE_SHIFT;
}

/* Valid leaf above the last level (superpage).  Allowed at levels 0..2. */
static inline bool pte_is_block(pte_t pte, int level)
{
	return level >= 0 && level <= 2 && (pte & RISCV_PTE_V) &&
	       (pte & RISCV_PTE_LEAF);
}

/* Leaf entry for pfn at `level` (0..3): the leaf format is the same at
 * every level.  pfn must be aligned to the superpage size.  Any other
 * level returns 0 (pte_none). */
static inline pte_t pfn_block(uint64_t pfn, pgprot_t prot, int level)
{
	if (level < 0 || level > 3)
		return 0;
	return pfn_pte(pfn, prot);
}

/* ---- what a TLB entry made from a descriptor allows (the TLB model) ---- */

/* Accesses a cached copy of leaf descriptor v lets through without a page
 * fault: HWP_READ, HWP_WRITE, HWP_UEXEC (X on a U page), HWP_USER (U),
 * HWP_KEXEC (X on a supervisor page), HWP_SILENT_WRITE (D set: a write
 * leaves the entry as it is). Without hardware A/D (Svade) an entry with A
 * clear faults on any access and a write to one with D clear faults. 0 for
 * an invalid entry. */
enum { HWP_READ = 1, HWP_WRITE = 2, HWP_UEXEC = 4, HWP_USER = 8, HWP_KEXEC = 16, HWP_SILENT_WRITE = 32 };
static inline unsigned pte_hw_perms(pte_t v, bool hw_af, bool hw_dirty)
{
	if (!(v & RISCV_PTE_V) || !(v & RISCV_PTE_LEAF) || (!(v & RISCV_PTE_A) && !hw_af))
		return 0;
	unsigned p = 0;
	if (v & RISCV_PTE_R)
		p |= HWP_READ;
	if ((v & RISCV_PTE_W) && (v & RISCV_PTE_D))
		p |= HWP_WRITE | HWP_SILENT_WRITE;
	else if ((v & RISCV_PTE_W) && hw_dirty)
		p |= HWP_WRITE;
	if (v & RISCV_PTE_U)
		p |= HWP_USER | ((v & RISCV_PTE_X) ? HWP_UEXEC : 0);
	else if (v & RISCV_PTE_X)
		p |= HWP_KEXEC;
	return p;
}
/* Memory type (Svpbmt): changing it on a valid entry needs break-before-make. */
static inline uint64_t pte_hw_memattr(pte_t v) { return v & RISCV_PTE_PBMT_MASK; }
/* G: the entry matches every ASID. Kept worst case for invalid entries too:
 * a hart that caches an invalid entry may tag it global. */
static inline bool pte_hw_global(pte_t v) { return (v & RISCV_PTE_G) != 0; }

#endif /* ARCH_RISCV64_ASM_PTE_H */
