/*
 * Instruction profile of the testbed kernel: a QEMU TCG plugin that counts,
 * per guest PC, the instructions executed while a benchmark's measured
 * operation runs. Driven by tools/insn_profile.py (make profile), which maps
 * PCs to functions with the kernel's ELF symbols.
 *
 * Arguments (-plugin insn_profile.so,ARG=VALUE,...; numbers in C syntax):
 *   out=FILE        where the counts go (required)
 *   base=ADDR       first byte of the kernel text; size=BYTES its length
 *   shift=N         log2 of the smallest instruction size (2 arm64, 1 riscv C)
 *   begin=PC end=PC first instructions of kbench_profile_op_begin/_end:
 *                   count only between them (the timed operation, its
 *                   faults included); without begin, count the whole run
 *   case=PC         kbench_profile_case_end: write the counts of the windows
 *                   so far as one record and start again
 *   emit=PC         kbench_profile_emit: a BENCH line is being printed
 *
 * Output (text; tools/insn_profile.py reads it):
 *   kprof 1 base=0x.. shift=N
 *   case WINDOWS OUTSIDE      per measured case: windows counted (warm-up
 *   PC COUNT ...              and repetitions), instructions outside the
 *   end                       kernel text, then "pc count" lines (hex, dec)
 *   emit                      a result line was printed for the cases before
 *   final WINDOWS OUTSIDE     what was counted after the last case record
 *   ... end                   (the whole run without markers)
 *   total N                   every instruction the guest executed
 * An instruction that faults is counted when it faults and again when it
 * is retried (the PMU counts it once): one extra per fault.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qemu_plugin_api.h"

__attribute__((visibility("default"))) int qemu_plugin_version = PROFILE_PLUGIN_API_VERSION;

static FILE *out;
static uint64_t base, size, begin_pc, end_pc, case_pc, emit_pc;
static unsigned shift = 2;
static uint64_t *counts;        /* one per possible instruction slot of the text */
static uint64_t nslots;
static uint64_t outside;        /* counted instructions outside the text (firmware) */
static uint64_t total;          /* every executed instruction, counted or not */
static uint64_t windows;
static bool counting;

static void on_insn(unsigned int vcpu, void *slot)
{
    (void)vcpu;
    total++;
    if (counting)
        ++*(uint64_t *)slot;
}

static void on_begin(unsigned int vcpu, void *unused)
{
    (void)vcpu, (void)unused;
    counting = true;
    windows++;
}

static void on_end(unsigned int vcpu, void *unused)
{
    (void)vcpu, (void)unused;
    counting = false;
}

/* Write the counts gathered so far as one record and clear them. */
static void write_record(const char *kind)
{
    fprintf(out, "%s %" PRIu64 " %" PRIu64 "\n", kind, windows, outside);
    for (uint64_t i = 0; i < nslots; i++)
        if (counts[i]) {
            fprintf(out, "%" PRIx64 " %" PRIu64 "\n", base + (i << shift), counts[i]);
            counts[i] = 0;
        }
    fprintf(out, "end\n");
    windows = 0;
    outside = 0;
}

static void on_case(unsigned int vcpu, void *unused)
{
    (void)vcpu, (void)unused;
    write_record("case");
}

static void on_emit(unsigned int vcpu, void *unused)
{
    (void)vcpu, (void)unused;
    fprintf(out, "emit\n");
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        /* Marker callbacks first: the first instruction of begin counts,
         * that of end does not. */
        if (begin_pc && pc == begin_pc)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (end_pc && pc == end_pc)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (case_pc && pc == case_pc)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_case, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (emit_pc && pc == emit_pc)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_emit, QEMU_PLUGIN_CB_NO_REGS, NULL);
        uint64_t *slot = &outside;
        if (pc >= base && pc - base < size)
            slot = &counts[(pc - base) >> shift];
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS, slot);
    }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *unused)
{
    (void)id, (void)unused;
    write_record("final");
    fprintf(out, "total %" PRIu64 "\n", total);
    fclose(out);
    out = NULL;
}

static bool parse_number(const char *s, uint64_t *v)
{
    char *e;
    *v = strtoull(s, &e, 0);
    return *s && !*e;
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const struct qemu_info_t *info,
                                                               int argc, char **argv)
{
    (void)info;
    const char *path = NULL;
    uint64_t sh = 2;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        if (!eq) {
            fprintf(stderr, "insn_profile: argument '%s' is not NAME=VALUE\n", a);
            return -1;
        }
        size_t klen = (size_t)(eq - a);
        const char *v = eq + 1;
        bool ok = true;
#define KEY(k) (klen == strlen(k) && strncmp(a, k, klen) == 0)
        if (KEY("out"))
            path = v;
        else if (KEY("base"))
            ok = parse_number(v, &base);
        else if (KEY("size"))
            ok = parse_number(v, &size);
        else if (KEY("shift"))
            ok = parse_number(v, &sh) && sh <= 4;
        else if (KEY("begin"))
            ok = parse_number(v, &begin_pc);
        else if (KEY("end"))
            ok = parse_number(v, &end_pc);
        else if (KEY("case"))
            ok = parse_number(v, &case_pc);
        else if (KEY("emit"))
            ok = parse_number(v, &emit_pc);
        else
            ok = false;
#undef KEY
        if (!ok) {
            fprintf(stderr, "insn_profile: bad argument '%s'\n", a);
            return -1;
        }
    }
    shift = (unsigned)sh;
    if (!path || !size || (begin_pc && !end_pc)) {
        fprintf(stderr, "insn_profile: needs out=FILE, base=, size= (and end= with begin=)\n");
        return -1;
    }
    nslots = (size >> shift) + 1;
    counts = calloc(nslots, sizeof(*counts));
    out = fopen(path, "w");
    if (!counts || !out) {
        fprintf(stderr, "insn_profile: cannot allocate counters or open %s\n", path);
        return -1;
    }
    fprintf(out, "kprof 1 base=0x%" PRIx64 " shift=%u\n", base, shift);
    counting = begin_pc == 0;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
