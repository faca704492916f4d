/*
 * arm64 SMP: PSCI CPU_ON through the conduit /psci names, the GIC the
 * device tree names (v2: memory-mapped distributor + CPU interface; v3:
 * distributor, one redistributor per CPU, system-register CPU interface)
 * with SGI 0 as the only IPI, and the per-CPU pointer in TPIDR_EL1.
 *
 * Facts used (Arm DEN0022 PSCI; Arm IHI 0048 GICv2; Arm IHI 0069 GICv3):
 *   CPU_ON (SMC64/HVC64) 0xC4000003: x1 target MPIDR affinity, x2 entry
 *   (physical), x3 context id (in x0 at the entry); returns 0, or
 *   -2 INVALID_PARAMETERS, -4 ALREADY_ON, -5 ON_PENDING, -6 INTERNAL_FAILURE,
 *   -9 INVALID_ADDRESS. A CPU starts with its MMU and caches off.
 *   GICv2: GICD_CTLR 0x000, GICD_TYPER 0x004, GICD_ISENABLER0 0x100,
 *   GICD_ICENABLER0 0x180, GICD_IPRIORITYR 0x400,
 *   GICD_ITARGETSR0..7 0x800 (read: this CPU interface's bit, banked),
 *   GICD_SGIR 0xF00 (target list 23:16, SGI id 3:0); GICC_CTLR 0x000,
 *   GICC_PMR 0x004, GICC_IAR 0x00C, GICC_EOIR 0x010 (write back what IAR
 *   returned: it carries the source CPU for SGIs). Ids 1020-1023: spurious.
 *   GICv3: ICC_SRE_EL1 S3_0_C12_C12_5, ICC_PMR_EL1 S3_0_C4_C6_0,
 *   ICC_IGRPEN1_EL1 S3_0_C12_C12_7, ICC_IAR1_EL1 S3_0_C12_C12_0,
 *   ICC_EOIR1_EL1 S3_0_C12_C12_1, ICC_SGI1R_EL1 S3_0_C12_C11_5 (INTID 27:24,
 *   Aff3 55:48, RS 47:44, Aff2 39:32, Aff1 23:16, target list 15:0: bit
 *   Aff0 % 16 with RS = Aff0 / 16, asm/gic_sgi.h), ICC_CTLR_EL1
 *   S3_0_C12_C12_4 (RSS bit 18: Aff0 16..255 can be targeted);
 *   GICR_TYPER 0x08 (affinity 63:32, Last bit 4), GICR_WAKER 0x14
 *   (ProcessorSleep bit 1, ChildrenAsleep bit 2), SGI frame at +0x10000:
 *   GICR_IGROUPR0 0x80, GICR_ISENABLER0 0x100, GICR_ICENABLER0 0x180,
 *   GICR_IPRIORITYR 0x400;
 *   GICD_CTLR ARE bit 4, EnableGrp1 bit 1, RWP bit 31.
 * The store of the request must be visible before the SGI: dsb ishst
 * before the GICD_SGIR write / ICC_SGI1R_EL1 write (then isb).
 */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "boot/fdt.h"
#include "boot/smp.h"
#include "boot/timer.h"
#include <asm/sysreg.h>
#include <asm/counters.h>
#include <asm/gic_sgi.h>

#define PSCI_CPU_ON_64 0xC4000003ULL

enum gic_kind { GIC_NONE, GIC_V2, GIC_V3 };
static enum gic_kind gic;
static uint64_t icc_ctlr;       /* GICv3: the boot CPU's ICC_CTLR_EL1 (RSS: Aff0 >= 16 reachable) */
static uint64_t gicd, gicc, gicr_base, gicr_size;
static bool gic_ready;          /* distributor and the boot CPU's interface set up */
/* The EL1 virtual timer's PPI (INTID 16-31) from the device tree, 0 if none. */
static uint32_t vtimer_intid;
static const char *vtimer_why = "the interrupt controller was not probed";

/* Where secondary_el1 (boot/arm64/entry.S) reads its set-up, MMU off. */
struct smp_boot_ctx { uint64_t mair, tcr, ttbr0, sctlr, stack_top, cpu; };
static struct smp_boot_ctx boot_ctx[SMP_MAX_CPUS] __attribute__((aligned(64)));

static inline void mmio_w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }
static inline uint32_t mmio_r32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline uint64_t mmio_r64(uint64_t a) { return *(volatile uint64_t *)(uintptr_t)a; }

bool arch_smp_supported(void) { return true; }
struct cpu *this_cpu(void)
{
    struct cpu *c = (struct cpu *)(uintptr_t)read_sysreg(tpidr_el1);
    return c ? c : &cpus[0];
}

void arch_set_this_cpu(struct cpu *c) { write_sysreg(tpidr_el1, (uint64_t)(uintptr_t)c); }
void arch_cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }
/* wfi with IRQs masked: a pending IRQ still wakes it, and is taken once
 * unmasked; masked across check-and-sleep so the wake-up IPI cannot be
 * consumed between them. A sleeping vCPU also costs QEMU no host time (a
 * wfe loop would spin under multi-threaded TCG). */
void arch_cpu_idle(void)
{
    struct cpu *c = this_cpu();
    __asm__ volatile("msr daifset, #2" ::: "memory");
    if (__atomic_load_n(&c->call_seq, __ATOMIC_ACQUIRE) == c->done_seq)
        __asm__ volatile("dsb sy; wfi" ::: "memory");
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}
void arch_send_ipi(struct cpu *c);
void arch_cpu_wake(struct cpu *c) { arch_send_ipi(c); }
void arch_irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
const char *arch_ipi_name(void) { return gic == GIC_V3 ? "GICv3 SGI 0" : gic == GIC_V2 ? "GICv2 SGI 0" : "none (no GIC found)"; }

static long psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    if (boot.dt.psci_smc)
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (long)x0;
}

const char *arch_cpu_start_error(long err)
{
    switch (err) {
    case -1: return "PSCI NOT_SUPPORTED";
    case -2: return "PSCI INVALID_PARAMETERS";
    case -3: return "PSCI DENIED";
    case -4: return "PSCI ALREADY_ON";
    case -5: return "PSCI ON_PENDING";
    case -6: return "PSCI INTERNAL_FAILURE";
    case -9: return "PSCI INVALID_ADDRESS";
    case -100: return "the device tree names no PSCI conduit (/psci method)";
    case -101: return "its Aff0 is 16 or more and the GICv3 CPU interface has no Range Selector Support "
                      "(ICC_CTLR_EL1.RSS = 0): no SGI could reach it";
    default: return "PSCI error";
    }
}

long arch_cpu_start(struct cpu *c)
{
    extern char arm64_secondary_entry[];
    if (!boot.dt.psci_hvc && !boot.dt.psci_smc)
        return -100;
    if (gic == GIC_V3 && !gicv3_sgi_reachable(icc_ctlr, c->hwid))
        return -101;    /* not started: it could never be sent a shootdown IPI */
    struct smp_boot_ctx *x = &boot_ctx[c->id];
    x->mair = read_sysreg(mair_el1);
    x->tcr = read_sysreg(tcr_el1);
    x->ttbr0 = read_sysreg(ttbr0_el1) & 0x0000ffffffffffffULL;     /* ASID 0: the kernel's table */
    x->sctlr = read_sysreg(sctlr_el1);
    x->stack_top = c->stack_top;
    x->cpu = (uint64_t)(uintptr_t)c;
    /* The new CPU reads ctx with its MMU off (non-cacheable): clean it to
     * the PoC. It reads the rest (text, its struct cpu, its stack) with
     * the MMU on, coherent with this CPU. */
    __asm__ volatile("dc cvac, %0; dsb sy" :: "r"(x) : "memory");
    return psci_call(PSCI_CPU_ON_64, c->hwid, (uint64_t)(uintptr_t)arm64_secondary_entry,
                     (uint64_t)(uintptr_t)x);
}

/* ---- the GIC ---- */
static bool compat_in(const char *list, uint32_t len, const char *want)
{
    size_t wl = strlen(want);
    for (uint32_t i = 0; i < len;) {
        size_t l = 0;
        while (i + l < len && list[i + l])
            l++;
        if (l == wl && memcmp(list + i, want, wl) == 0)
            return true;
        i += (uint32_t)l + 1;
    }
    return false;
}

/*
 * The generic timer node (compatible "arm,armv8-timer", or "arm,armv7-timer")
 * among the root's children: its `interrupts` lists, in this order, the
 * secure physical, non-secure physical, virtual and hypervisor timers'
 * interrupts (Linux's binding, Documentation/devicetree/bindings/timer/
 * arm,arch_timer.yaml), each as a GIC specifier: with #interrupt-cells = 3,
 * <type number flags>, type 1 = PPI, INTID = 16 + number (QEMU virt: PPI 11,
 * INTID 27). The third entry is taken: the kernel reads the virtual counter.
 * The timer's interrupt parent is assumed to be the GIC gic_find() found
 * (true on QEMU virt: the root's interrupt-parent).
 */
static void timer_find(const struct dt_blob *b, uint32_t icells)
{
    struct dt_iter it;
    struct dt_token tok;
    const void *val;
    uint32_t len;
    char path[64] = "";
    const char *name = NULL;
    dt_iter_init(&it, b);
    while (dt_iter_next(&it, &tok) == DT_OK && tok.type != DT_TOK_END) {
        if (tok.type == DT_TOK_BEGIN_NODE && tok.depth == 2)
            name = tok.name;
        if (tok.type == DT_TOK_PROP && tok.depth == 2 && name && strcmp(tok.name, "compatible") == 0 &&
            (compat_in(tok.val, tok.len, "arm,armv8-timer") || compat_in(tok.val, tok.len, "arm,armv7-timer"))) {
            snprintf(path, sizeof(path), "/%s", name);
            break;
        }
    }
    if (!path[0]) {
        vtimer_why = "the device tree has no arm,armv8-timer node among the root's children";
        return;
    }
    if (icells != 3) {
        vtimer_why = "the GIC node's #interrupt-cells is not 3";
        return;
    }
    if (dt_get_prop_b(b, path, strlen(path), "interrupts", &val, &len) != DT_OK || len < 3 * 12) {
        vtimer_why = "the timer node's interrupts lists no virtual timer (third entry)";
        return;
    }
    const uint8_t *e = (const uint8_t *)val + 2 * 12;
    uint32_t type = dt_be32(e), num = dt_be32(e + 4);
    if (type != 1 || num > 15) {
        vtimer_why = "the virtual timer's interrupt is not a PPI";
        return;
    }
    vtimer_intid = 16 + num;
}

/* The interrupt controller node among the root's children, its reg read
 * with the root's #address-cells / #size-cells; then the timer's PPI. */
static void gic_find(void)
{
    struct dt_blob b;
    struct dt_iter it;
    struct dt_token tok;
    const void *val;
    uint32_t len;
    if (dt_check_header(boot.dtb, boot.dt.total_size, &b) < 0)
        return;
    uint32_t ac = 2, sc = 2;
    if (dt_get_prop_b(&b, "/", 1, "#address-cells", &val, &len) == DT_OK && len == 4)
        ac = dt_be32(val);
    if (dt_get_prop_b(&b, "/", 1, "#size-cells", &val, &len) == DT_OK && len == 4)
        sc = dt_be32(val);
    char path[64] = "";
    const char *name = NULL;
    dt_iter_init(&it, &b);
    while (dt_iter_next(&it, &tok) == DT_OK && tok.type != DT_TOK_END) {
        if (tok.type == DT_TOK_BEGIN_NODE && tok.depth == 2)
            name = tok.name;
        if (tok.type != DT_TOK_PROP || tok.depth != 2 || strcmp(tok.name, "compatible") != 0)
            continue;
        if (compat_in(tok.val, tok.len, "arm,gic-v3"))
            gic = GIC_V3;
        else if (compat_in(tok.val, tok.len, "arm,cortex-a15-gic") ||
                 compat_in(tok.val, tok.len, "arm,gic-400") ||
                 compat_in(tok.val, tok.len, "arm,cortex-a9-gic"))
            gic = GIC_V2;
        else
            continue;
        snprintf(path, sizeof(path), "/%s", name);
        break;
    }
    if (gic == GIC_NONE || ac < 1 || ac > 2 || sc > 2 ||
        dt_get_prop_b(&b, path, strlen(path), "reg", &val, &len) != DT_OK ||
        len < 2 * 4 * (ac + sc)) {
        gic = GIC_NONE;
        return;
    }
    const uint8_t *p = val;
    uint64_t r[4] = { 0 };
    for (int i = 0; i < 4 && (uint32_t)(i + 1) * 4 * (ac + sc) / 2 <= len; i++) {
        uint64_t v = 0;
        unsigned cells = i % 2 ? sc : ac;
        for (unsigned k = 0; k < cells; k++, p += 4)
            v = v << 32 | dt_be32(p);
        r[i] = v;
    }
    gicd = r[0];
    if (gic == GIC_V2) {
        gicc = r[2];
    } else {
        gicr_base = r[2];
        gicr_size = r[3];
    }
    uint32_t icells = 0;
    if (dt_get_prop_b(&b, path, strlen(path), "#interrupt-cells", &val, &len) == DT_OK && len == 4)
        icells = dt_be32(val);
    timer_find(&b, icells);
}

#define ICC_SRE_EL1     "S3_0_C12_C12_5"
#define ICC_PMR_EL1     "S3_0_C4_C6_0"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_IAR1_EL1    "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1   "S3_0_C12_C12_1"
#define ICC_SGI1R_EL1   "S3_0_C12_C11_5"
#define ICC_CTLR_EL1    "S3_0_C12_C12_4"

/* GICv3: this CPU's redistributor frame pair (RD + SGI, 128 KiB each). */
static uint64_t gicr_of_this_cpu(void)
{
    uint64_t mpidr = read_sysreg(mpidr_el1);
    uint32_t aff = (uint32_t)(((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff));
    for (uint64_t r = gicr_base; r < gicr_base + gicr_size; r += 0x20000) {
        uint64_t typer = mmio_r64(r + 0x08);
        if ((uint32_t)(typer >> 32) == aff)
            return r;
        if (typer & (1u << 4))
            break;
    }
    return 0;
}

/* A banked INTID's priority byte (GICD_IPRIORITYR / GICR_IPRIORITYR: four
 * INTIDs a word), read-modify-write of the word. */
static void gic_set_prio(uint64_t ipriorityr, uint32_t intid, uint8_t prio)
{
    uint64_t a = ipriorityr + (intid / 4) * 4;
    unsigned sh = (intid % 4) * 8;
    mmio_w32(a, (mmio_r32(a) & ~(0xffu << sh)) | (uint32_t)prio << sh);
}

/* Per CPU: accept SGI 0 and the virtual timer's PPI (banked registers /
 * own redistributor). The timer is disabled first: CNTV_CTL_EL0 resets to
 * an UNKNOWN value on real CPUs, and firmware may leave it running. */
static void gic_cpu_init(void)
{
    write_sysreg(cntv_ctl_el0, 0);
    isb();
    /* The PPIs this kernel does not handle are disabled (firmware may have
     * left some enabled): ICENABLER0 bits 16-31 but the timer's. */
    uint32_t other_ppis = 0xffff0000u & ~(vtimer_intid ? 1u << vtimer_intid : 0);
    if (gic == GIC_V2) {
        mmio_w32(gicd + 0x180, other_ppis);             /* ICENABLER0 (banked) */
        mmio_w32(gicd + 0x100, 1u << 0);                /* ISENABLER0: SGI 0 */
        mmio_w32(gicd + 0x400, 0x80);                   /* IPRIORITYR0 byte 0 */
        if (vtimer_intid) {                             /* group 0 as SGI 0 */
            gic_set_prio(gicd + 0x400, vtimer_intid, 0x80);
            mmio_w32(gicd + 0x100, 1u << vtimer_intid);
        }
        uint32_t m = 0;
        for (int i = 0; i < 8 && !m; i++)               /* this interface's bit */
            m = mmio_r32(gicd + 0x800 + 4 * (uint64_t)i) & 0xff;
        this_cpu()->gic_mask = m;
        mmio_w32(gicc + 0x004, 0xf0);                   /* PMR */
        mmio_w32(gicc + 0x000, 1);                      /* enable */
    } else if (gic == GIC_V3) {
        uint64_t rd = gicr_of_this_cpu();
        if (!rd)
            return;
        mmio_w32(rd + 0x14, mmio_r32(rd + 0x14) & ~(1u << 1));     /* wake */
        for (int i = 0; i < 1000000 && (mmio_r32(rd + 0x14) & (1u << 2)); i++)
            ;
        uint64_t sgi = rd + 0x10000;
        mmio_w32(sgi + 0x180, other_ppis);                          /* GICR_ICENABLER0 */
        mmio_w32(sgi + 0x80, mmio_r32(sgi + 0x80) | 1u);            /* SGI 0: group 1 */
        mmio_w32(sgi + 0x400, (mmio_r32(sgi + 0x400) & ~0xffu) | 0x80);
        mmio_w32(sgi + 0x100, 1u);                                  /* enable SGI 0 */
        if (vtimer_intid) {                                         /* group 1 as SGI 0 */
            mmio_w32(sgi + 0x80, mmio_r32(sgi + 0x80) | 1u << vtimer_intid);
            gic_set_prio(sgi + 0x400, vtimer_intid, 0x80);
            mmio_w32(sgi + 0x100, 1u << vtimer_intid);
        }
        uint64_t sre;
        __asm__ volatile("mrs %0, " ICC_SRE_EL1 : "=r"(sre));
        __asm__ volatile("msr " ICC_SRE_EL1 ", %0; isb" :: "r"(sre | 1) : "memory");
        __asm__ volatile("msr " ICC_PMR_EL1 ", %0" :: "r"(0xf0ULL));
        __asm__ volatile("msr " ICC_IGRPEN1_EL1 ", %0; isb" :: "r"(1ULL) : "memory");
        if (this_cpu()->id == 0)
            __asm__ volatile("mrs %0, " ICC_CTLR_EL1 : "=r"(icc_ctlr));
    }
}

/* Boot CPU, once: find the GIC (and the timer's PPI), turn the distributor
 * and this CPU's interface on. False if there is no GIC this code drives. */
static bool gic_setup(void)
{
    if (gic_ready)
        return true;
    gic_find();
    if (gic != GIC_NONE) {
        /* Every SPI off (GICD_ICENABLERn, n >= 1; GICD_TYPER.ITLinesNumber
         * bits 4:0 = N: 32 * (N + 1) INTIDs): none is handled here, and
         * firmware may have left some enabled. */
        uint32_t lines = mmio_r32(gicd + 0x004) & 0x1f;
        for (uint32_t n = 1; n <= lines; n++)
            mmio_w32(gicd + 0x180 + 4 * (uint64_t)n, ~0u);
    }
    if (gic == GIC_V2) {
        mmio_w32(gicd + 0x000, 1);                      /* distributor on (group 0) */
    } else if (gic == GIC_V3) {
        mmio_w32(gicd + 0x000, (1u << 4) | (1u << 1) | 1u);     /* ARE, Grp1, Grp0 */
        for (int i = 0; i < 1000000 && (mmio_r32(gicd) & (1u << 31)); i++)
            ;
    } else {
        return false;
    }
    gic_cpu_init();
    gic_ready = true;
    return true;
}

void arch_ipi_init(void)
{
    if (!gic_setup())
        printf("# smp: warning: the device tree names no GICv2/GICv3: no IPIs\n");
}

/* ---- the per-CPU timer (boot/timer.h): the EL1 virtual timer ---- */
bool arch_timer_init(void)
{
    if (!gic_setup()) {
        vtimer_why = "no GICv2/GICv3 among the device tree root's children";
        return false;
    }
    if (gic == GIC_V3 && !gicr_of_this_cpu()) {
        vtimer_why = "no GICv3 redistributor for the boot CPU";
        return false;
    }
    if (!vtimer_intid)
        return false;
    arch_irq_enable();      /* the boot CPU (smp_boot did it when CPUs started) */
    return true;
}
const char *arch_timer_why(void) { return vtimer_why; }
const char *arch_timer_name(void)
{
    static char name[64];
    snprintf(name, sizeof(name), "EL1 virtual timer (CNTV), PPI INTID %u, %s", vtimer_intid,
             gic == GIC_V3 ? "GICv3" : "GICv2");
    return name;
}
/* CNTV_CTL_EL0: ENABLE bit 0, IMASK bit 1, ISTATUS bit 2 (read-only). The
 * interrupt is asserted while ENABLE && !IMASK && CNTVCT >= CNTV_CVAL. */
void arch_timer_arm(uint64_t deadline)
{
    write_sysreg(cntv_cval_el0, deadline);
    write_sysreg(cntv_ctl_el0, 1);
    isb();
}
void arch_timer_mask(void)
{
    write_sysreg(cntv_ctl_el0, 2);      /* disabled, masked: the level drops */
    isb();
}

void arch_secondary_init(struct cpu *c)
{
    (void)c;
    extern void arch_counters_enable(void);
    arch_counters_enable();
    gic_cpu_init();
    arch_irq_enable();
}

void arch_send_ipi(struct cpu *c)
{
    if (gic == GIC_V2) {
        __asm__ volatile("dsb ishst" ::: "memory");
        mmio_w32(gicd + 0xF00, (c->gic_mask & 0xff) << 16 | 0);
    } else if (gic == GIC_V3) {
        uint64_t v = gicv3_sgi1r_value(c->hwid, 0);    /* SGI 0; RS for Aff0 >= 16 */
        __asm__ volatile("dsb ishst; msr " ICC_SGI1R_EL1 ", %0; isb" :: "r"(v) : "memory");
    }
}

/* The IRQ vector (arch/arm64/exception.c): acknowledge, handle, EOI.
 * No FP/SIMD, no C library (the vectors do not save FP/SIMD state).
 * Returns -1, or an INTID this kernel did not expect (after its EOI): the
 * caller reports it with the registers. The timer is masked before its
 * EOI, so its level does not make it pending again; a late level (the GIC
 * sampled it before the mask took: ISTATUS clear or IMASK set) is EOI'd
 * and dropped without touching an armed one-shot. */
int arm64_irq(void)
{
    for (;;) {
        uint64_t iar;
        if (gic == GIC_V2)
            iar = mmio_r32(gicc + 0x00C);
        else if (gic == GIC_V3)
            __asm__ volatile("mrs %0, " ICC_IAR1_EL1 "; dsb sy" : "=r"(iar) :: "memory");
        else
            return -1;
        uint32_t id = (uint32_t)iar & 0x3ff;
        if (id >= 1020)
            return -1;                                  /* spurious: nothing pending */
        bool known = true;
        if (id == 0) {
            smp_ipi_received();
        } else if (id == vtimer_intid && vtimer_intid) {
            /* Firing: enabled, not masked, and the condition met
             * (ISTATUS). Anything else is a late level from an earlier
             * shot: EOI'd, not counted, the armed shot left alone. */
            bool firing = (read_sysreg(cntv_ctl_el0) & 7) == 5;
            if (firing) {
                arch_timer_mask();
                known = timer_interrupt();
            }
        } else {
            known = false;
        }
        if (gic == GIC_V2)
            mmio_w32(gicc + 0x010, (uint32_t)iar);
        else
            __asm__ volatile("msr " ICC_EOIR1_EL1 ", %0; isb" :: "r"(iar) : "memory");
        if (!known)
            return (int)id;
    }
}

/* No firmware shootdown on arm64 (ARCH_FIRMWARE_SHOOTDOWN is 0): the
 * hardware broadcast or IPIs. */
unsigned arch_firmware_remote_fence(uint32_t cpu_mask, uint16_t asid, uint64_t start, uint64_t size)
{
    (void)cpu_mask, (void)asid, (void)start, (void)size;
    panic("arch_firmware_remote_fence: no firmware shootdown on arm64");
}

bool arch_cpu_can_join(const struct dt_cpu *c) { (void)c; return true; }
const char *arch_cpu_cannot_join_why(const struct dt_cpu *c) { (void)c; return ""; }
