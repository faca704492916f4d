#!/usr/bin/env python3
"""Instruction profile of a benchmark, by function (make profile).

Boots the kernel in QEMU (under -icount shift=0, as the benchmarks run) with
the TCG plugin tools/qemu_plugin/insn_profile.c, which counts the instructions
executed at each guest PC while a benchmark's timed operation runs (between
the kernel's kbench_profile_op_begin/_end markers, faults included), and
writes one record per measured case. This script maps the PCs to functions
with the kernel's ELF symbols (nm) and prints, for each selected result
line, the functions in order of instructions per unit (per page), with the
BENCH line's own figure next to the profile's sum as a check. For a slope
result (mprotect_slope) the figure per function is the marginal one:
(large-size count - small-size count) per extra unit.

    tools/insn_profile.py run --arch arm64 --bench mprotect_slope [--case REGEX]
                         [--config arm64-numa] [--top 25] [--lines 0] [-o DIR]
    tools/insn_profile.py run --arch arm64 --append test=boot --window kmain,boot_report_first_test
    tools/insn_profile.py report DIR [--case REGEX] [--top N] [--lines N]

Functions inlined into others count as their caller (the compiler decides;
--lines N adds the N hottest source lines, via addr2line, --pcs N the N
hottest instructions, disassembled). An instruction
that faults is counted twice (when it faults and when it is retried).
"""
import argparse
import bisect
import json
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CROSS = {"arm64": "aarch64-linux-gnu-", "riscv64": "riscv64-unknown-elf-", "arm": "arm-none-eabi-"}
QEMU = {"arm64": "qemu-system-aarch64", "riscv64": "qemu-system-riscv64", "arm": "qemu-system-arm"}
INSN_SHIFT = {"arm64": 2, "riscv64": 1, "arm": 1}     # arm: newlib is Thumb (2-byte aligned)
MARKERS = ("kbench_profile_op_begin", "kbench_profile_op_end", "kbench_profile_case_end",
           "kbench_profile_emit")


class ProfileError(Exception):
    """A one-line reason the profile cannot be made or read."""


# ---------------------------------------------------------------- symbols
class Symbols:
    """Text symbols of an ELF (from `nm -n -S --defined-only` output)."""

    def __init__(self, nm_text):
        self.addrs, self.names, self.ends = [], [], []
        self.all = {}
        rows = []
        for line in nm_text.splitlines():
            parts = line.split()
            if len(parts) == 4:
                addr, size, kind, name = parts
            elif len(parts) == 3:
                addr, kind, name = parts
                size = None
            else:
                continue
            try:
                a = int(addr, 16)
                sz = int(size, 16) if size is not None else None
            except ValueError:
                continue
            self.all[name] = a
            if kind not in "TtWw" or name.startswith(("$", ".L")):
                continue
            rows.append((a, sz, name))
        # At one address keep a sized symbol (a function) over a linker label,
        # and of aliases the first name.
        rows.sort(key=lambda r: (r[0], r[1] is None, r[2]))
        for a, sz, name in rows:
            if self.addrs and self.addrs[-1] == a:
                continue
            self.addrs.append(a)
            self.names.append(name)
            self.ends.append(a + sz if sz is not None else None)

    def function_of(self, pc):
        """The function holding pc, or '?' outside every text symbol."""
        i = bisect.bisect_right(self.addrs, pc) - 1
        if i < 0:
            return "?"
        end = self.ends[i]
        if end is not None and pc >= end:
            return "?"
        return self.names[i]

    def address(self, name):
        if name not in self.all:
            raise ProfileError("symbol %s not in the kernel (built without the profile markers?)" % name)
        return self.all[name]


# ---------------------------------------------------------------- plugin output
class Record:
    """Counts of one measured case (or the rest of the run, kind 'final')."""

    def __init__(self, kind, windows, outside):
        self.kind, self.windows, self.outside = kind, windows, outside
        self.counts = {}

    def total(self):
        return sum(self.counts.values()) + self.outside


def parse_plugin_output(text):
    """(groups, final, total): groups = the case records before each emit
    (one list per printed result line), final = the 'final' record or None,
    total = every instruction executed (None if the run was cut short)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("kprof 1"):
        raise ProfileError("not an insn_profile output (no 'kprof 1' header)")
    groups, pending, final, total, rec = [], [], None, None, None
    for n, line in enumerate(lines[1:], 2):
        parts = line.split()
        if not parts:
            continue
        try:
            if rec is not None:
                if parts[0] == "end":
                    if rec.kind == "final":
                        final = rec
                    else:
                        pending.append(rec)
                    rec = None
                else:
                    rec.counts[int(parts[0], 16)] = int(parts[1])
            elif parts[0] in ("case", "final"):
                rec = Record(parts[0], int(parts[1]), int(parts[2]))
            elif parts[0] == "emit":
                groups.append(pending)
                pending = []
            elif parts[0] == "total":
                total = int(parts[1])
            else:
                raise ValueError(parts[0])
        except (ValueError, IndexError):
            raise ProfileError("plugin output line %d malformed: %r" % (n, line[:80]))
    if rec is not None:
        raise ProfileError("plugin output cut short inside a record")
    return groups, final, total


def bench_lines(console_text):
    """The BENCH {json} result lines of a console log, in order."""
    out = []
    for line in console_text.splitlines():
        line = line.strip()
        if line.startswith("BENCH {"):
            try:
                out.append(json.loads(line[6:]))
            except ValueError:
                raise ProfileError("unreadable BENCH line: %s" % line[:80])
    return out


def case_label(r):
    return "%s %s %s" % (r.get("name"), r.get("variant"),
                         json.dumps(r.get("params", {}), separators=(",", ":")))


def grouped(counts, key_of):
    f = {}
    for pc, n in counts.items():
        k = key_of(pc)
        f[k] = f.get(k, 0) + n
    return f


def by_function(counts, syms):
    return grouped(counts, syms.function_of)


def per_op(rec, key_of):
    """Instructions per timed operation, by key_of(pc)."""
    w = max(rec.windows, 1)
    f = {k: v / w for k, v in grouped(rec.counts, key_of).items()}
    if rec.outside:
        f["[outside the kernel]"] = rec.outside / w
    return f


def is_slope(result, group):
    return "from_kib" in result.get("params", {}) and len(group) >= 2


def result_profile(result, group, key_of):
    """(figures by key_of(pc) per unit, what they are) for one result line
    and the case records measured for it."""
    per = result.get("per", {}).get("count") or 1
    unit = result.get("per", {}).get("unit", "unit")
    if not group:
        raise ProfileError("no profile record for %s" % case_label(result))
    if is_slope(result, group):
        small, large = per_op(group[-2], key_of), per_op(group[-1], key_of)
        f = {k: (large.get(k, 0.0) - small.get(k, 0.0)) / per for k in set(small) | set(large)}
        return f, "marginal instructions per %s (large - small size)" % unit
    return {k: v / per for k, v in per_op(group[-1], key_of).items()}, "instructions per %s" % unit


def format_table(figures, top, unit_label, bench_figure=None):
    rows = sorted(((k, v) for k, v in figures.items() if abs(v) >= 0.005), key=lambda kv: (-kv[1], kv[0]))
    total = sum(figures.values())
    out = []
    if bench_figure is not None:
        out.append("  BENCH: %.2f %s; profile sum %.2f (markers and counter reads included)"
                   % (bench_figure, unit_label, total))
    else:
        out.append("  profile sum: %.2f %s" % (total, unit_label))
    out.append("  %12s  %6s  %s" % ("instr", "share", "function"))
    for name, v in rows[:top]:
        share = 100.0 * v / total if total else 0.0
        out.append("  %12.2f  %5.1f%%  %s" % (v, share, name))
    rest = sum(v for _, v in rows[top:])
    if len(rows) > top:
        out.append("  %12.2f  %5.1f%%  (%d more functions)" % (rest, 100.0 * rest / total if total else 0.0,
                                                              len(rows) - top))
    return out


def line_table(group, result, elf, addr2line, top):
    """The hottest source lines (addr2line), per unit as the functions."""
    recs = group[-2:] if is_slope(result, group) else group[-1:]
    hot = {}
    for rec in recs:
        for pc, n in rec.counts.items():
            hot[pc] = hot.get(pc, 0) + n
    pcs = sorted(hot, key=lambda pc: -hot[pc])[:max(top * 16, 256)]
    if not pcs:
        return []
    try:
        p = subprocess.run([addr2line, "-e", elf] + ["%x" % pc for pc in pcs],
                           capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        return ["  (addr2line failed: %s)" % e]
    where = {}
    for pc, loc in zip(pcs, p.stdout.splitlines()):
        loc = loc.split(" (")[0]
        where[pc] = os.path.relpath(loc, ROOT) if loc.startswith("/") else loc
    f, _ = result_profile(result, group, lambda pc: where.get(pc, "(colder lines)"))
    f.pop("(colder lines)", None)
    out = ["  hottest source lines:"]
    for loc, v in sorted(f.items(), key=lambda kv: -kv[1])[:top]:
        if abs(v) >= 0.005:
            out.append("  %12.2f  %s" % (v, loc))
    return out


def hot_pcs(result, group, top):
    """The top instructions of a result, (pc, figure per unit) hottest first
    (marginal ones for a slope)."""
    f, _ = result_profile(result, group, lambda pc: pc)
    f.pop("[outside the kernel]", None)
    return sorted(((pc, v) for pc, v in f.items() if v >= 0.005), key=lambda kv: (-kv[1], kv[0]))[:top]


def pc_table(result, group, syms, elf, objdump, top):
    """The hottest instructions with their disassembly, in address order
    under their function's name (objdump -d)."""
    hot = dict(hot_pcs(result, group, top))
    if not hot:
        return []
    try:
        p = subprocess.run([objdump, "-d", "--no-show-raw-insn", elf], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        return ["  (objdump failed: %s)" % e]
    text = {}
    for line in p.stdout.splitlines():
        head, _, insn = line.partition(":")
        try:
            pc = int(head.strip(), 16)
        except ValueError:
            continue
        if pc in hot:
            text[pc] = " ".join(insn.split())
    out, last = ["  hottest instructions (per unit):"], None
    for pc in sorted(hot):
        fn = syms.function_of(pc)
        if fn != last:
            out.append("    %s:" % fn)
            last = fn
        out.append("  %10.2f  %x  %s" % (hot[pc], pc, text.get(pc, "?")))
    return out


def report(console_text, plugin_text, syms, case_re=None, top=25, lines=0, elf=None,
           addr2line=None, pcs=0, objdump=None):
    """The report text (list of lines) and a JSON-able summary."""
    groups, final, total = parse_plugin_output(plugin_text)
    results = bench_lines(console_text)
    out, summary = [], {"total_instructions": total, "results": []}
    if len(groups) != len(results):
        out.append("note: %d result lines but %d profile groups; pairing the first %d"
                   % (len(results), len(groups), min(len(groups), len(results))))
    pairs = list(zip(results, groups))
    if not pairs:
        if final is None:
            raise ProfileError("nothing profiled: no result line and no final record")
        f = {k: v for k, v in by_function(final.counts, syms).items()}
        if final.outside:
            f["[outside the kernel]"] = final.outside
        if final.windows:
            out.append("%d window(s): %d instructions (per window below)" % (final.windows, final.total()))
            f = {k: v / final.windows for k, v in f.items()}
        else:
            out.append("whole run: %d instructions" % final.total())
        out += format_table(f, top, "instructions")
        summary["results"].append({"name": "window" if final.windows else "whole run",
                                   "functions": dict(sorted(f.items(), key=lambda kv: -kv[1])[:top])})
        return out, summary
    sel = [(r, g) for r, g in pairs if case_re is None or re.search(case_re, case_label(r))]
    if not sel:
        raise ProfileError("--case %r matches none of: %s" % (case_re, "; ".join(case_label(r) for r, _ in pairs)))
    for r, g in sel:
        f, what = result_profile(r, g, syms.function_of)
        milli = r.get("per", {}).get("instructions_milli")
        out.append("== %s: %s" % (case_label(r), what))
        out += format_table(f, top, "per " + r.get("per", {}).get("unit", "unit"),
                            None if milli is None else milli / 1000.0)
        if lines and elf and addr2line:
            out += line_table(g, r, elf, addr2line, lines)
        if pcs and elf and objdump:
            out += pc_table(r, g, syms, elf, objdump, pcs)
        out.append("")
        summary["results"].append({"name": r.get("name"), "variant": r.get("variant"),
                                   "params": r.get("params"), "what": what,
                                   "functions": dict(sorted(f.items(), key=lambda kv: -kv[1])[:top])})
    return out, summary


# ---------------------------------------------------------------- running QEMU
def read_conf(path, name):
    with open(path) as fh:
        for line in fh:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = [f.strip() for f in line.rstrip("\n").split("|")]
            if fields[0] == name:
                return fields
    raise ProfileError("configuration %s not in %s" % (name, path))


def run(args):
    elf = args.elf or os.path.join(args.build_dir, args.arch, "kernel.elf")
    if not os.path.exists(elf):
        raise ProfileError("%s not found: make ARCH=%s kernel" % (elf, args.arch))
    if not os.path.exists(args.plugin):
        raise ProfileError("%s not found: make profile-plugin" % args.plugin)
    cross = CROSS[args.arch]
    nm = subprocess.run([cross + "nm", "-n", "-S", "--defined-only", elf], capture_output=True, text=True)
    if nm.returncode:
        raise ProfileError("%snm failed: %s" % (cross, nm.stderr.strip()[:200]))
    syms = Symbols(nm.stdout)
    base, end = syms.address("__image_start"), syms.address("__text_end")
    if args.window:
        # Count between the first instructions of two functions (say kmain
        # and boot_report_first_test); one record for the whole run.
        names = args.window.split(",")
        if len(names) != 2:
            raise ProfileError("--window takes START,END (two function names)")
        marks = [syms.address(names[0]), syms.address(names[1]), 0, 0]
    else:
        marks = [syms.address(m) for m in MARKERS]
    conf = read_conf(args.conf, args.config)
    if conf[1] != args.arch:
        raise ProfileError("configuration %s is for %s" % (args.config, conf[1]))
    os.makedirs(args.output, exist_ok=True)
    kprof = os.path.join(args.output, "kprof.txt")
    plugin = "%s,out=%s,base=0x%x,size=0x%x,shift=%d,begin=0x%x,end=0x%x" % (
        os.path.abspath(args.plugin), os.path.abspath(kprof), base, end - base, INSN_SHIFT[args.arch], *marks[:2])
    if marks[2]:
        plugin += ",case=0x%x,emit=0x%x" % tuple(marks[2:])
    job = args.append if args.append else "bench=" + (args.bench or "default")
    bootargs = " ".join(x for x in (conf[3] if len(conf) > 3 else "", job,
                                    "exit=semihosting" if args.arch in ("arm64", "arm") else "") if x)
    cmd = [QEMU[args.arch]] + shlex.split(conf[2]) + ["-nographic", "-icount", "shift=0,sleep=off",
                                                      "-no-reboot", "-kernel", elf, "-append", bootargs,
                                                      "-plugin", plugin]
    if args.arch in ("arm64", "arm"):
        cmd.insert(1, "-semihosting")
    print("running: %s" % " ".join(shlex.quote(c) for c in cmd), file=sys.stderr)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=args.timeout)
    except subprocess.TimeoutExpired:
        raise ProfileError("QEMU did not finish within %d s" % args.timeout)
    console = os.path.join(args.output, "console.log")
    with open(console, "w") as fh:
        fh.write(p.stdout)
    if not args.window and (p.returncode != 0 or "TESTBED: status=pass" not in p.stdout):
        raise ProfileError("the run failed (exit %d; %s): %s" % (p.returncode, console, p.stderr.strip()[:200]))
    with open(os.path.join(args.output, "symbols.txt"), "w") as fh:
        fh.write(nm.stdout)
    with open(os.path.join(args.output, "elf"), "w") as fh:
        fh.write(os.path.abspath(elf) + "\n" + args.arch + "\n")
    if args.window:
        # Only the window's record: the run's BENCH lines are not paired.
        with open(console, "w") as fh:
            fh.write("".join(line for line in p.stdout.splitlines(True) if not line.startswith("BENCH ")))
    return show(args.output, args)


def show(directory, args):
    def read(name):
        try:
            with open(os.path.join(directory, name), errors="replace") as fh:
                return fh.read()
        except OSError as e:
            raise ProfileError("cannot read %s: %s" % (os.path.join(directory, name), e.strerror))
    syms = Symbols(read("symbols.txt"))
    elf, arch = (read("elf").split() + ["", ""])[:2]
    lines, summary = report(read("console.log"), read("kprof.txt"), syms, args.case, args.top,
                            args.lines, elf, CROSS.get(arch, "") + "addr2line", args.pcs,
                            CROSS.get(arch, "") + "objdump")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(directory, "profile.txt"), "w") as fh:
        fh.write(text)
    with open(os.path.join(directory, "profile.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    sys.stdout.write(text)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="boot QEMU with the plugin and report")
    r.add_argument("--arch", required=True, choices=sorted(CROSS))
    r.add_argument("--bench", metavar="GLOB", help="benchmarks to run (bench=; default: the default set)")
    r.add_argument("--append", metavar="BOOTARGS", help="boot arguments instead of bench=GLOB (say test=boot)")
    r.add_argument("--window", metavar="START,END",
                   help="count between the first instructions of two functions instead of the "
                        "benchmarks' timed operations (say kmain,boot_report_first_test)")
    r.add_argument("--config", help="tests/qemu.conf configuration (default ARCH-numa)")
    r.add_argument("--conf", default=os.path.join(ROOT, "tests", "qemu.conf"))
    r.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    r.add_argument("--elf")
    r.add_argument("--plugin", default=os.path.join(ROOT, "build", "tools", "insn_profile.so"))
    r.add_argument("--timeout", type=int, default=900)
    r.add_argument("-o", "--output", help="directory (default results/profile-ARCH)")
    s = sub.add_parser("report", help="report again from a run's directory")
    s.add_argument("output", metavar="DIR")
    for p in (r, s):
        p.add_argument("--case", metavar="REGEX", help="only result lines matching (name variant params)")
        p.add_argument("--top", type=int, default=25)
        p.add_argument("--lines", type=int, default=0, metavar="N", help="also the N hottest source lines")
        p.add_argument("--pcs", type=int, default=0, metavar="N",
                       help="also the N hottest instructions, disassembled")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "run":
            args.config = args.config or args.arch + "-numa"
            args.output = args.output or os.path.join(ROOT, "results", "profile-" + args.arch)
            return run(args)
        return show(args.output, args)
    except ProfileError as e:
        print("profile: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
