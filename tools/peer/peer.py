#!/usr/bin/python3
"""Linux side by side: `make peer` (issue 16).

Boots a real Linux kernel from Debian's archive in the testbed's QEMU under
-icount shift=0 with tools/peer/init.c as /init, which measures the
operations of the testbed's benchmarks and runs the write-upgrade semantics
scenarios; runs the testbed's own benchmarks and the same scenarios through
its serial shell; prints a performance table and a semantics table per
Linux kernel and feeds everything through tools/benchread.py (report.md,
plots with a linux-<version> series).

  tools/peer/peer.py run [--arch arm64] [--kernel PKG[/SUITE]]... [-o DIR]
  tools/peer/peer.py tables DIR            tables again from a finished run's files
  tools/peer/peer.py fetch PKG[/SUITE]     only fetch and unpack a kernel

PKG is a Debian package name: a kernel image (linux-image-<ver>-cloud-arm64
[-unsigned]), a metapackage (linux-image-cloud-arm64), or linux-binary-<ver>;
dependencies are followed to the package holding the kernel. SUITE picks
where to look (default: bookworm-backports and trixie-backports for arm64,
trixie and trixie-backports for riscv64; any Debian suite works). Packages
come from Debian's archive through apt-get with a separate configuration
under build/peer/apt (its own sources, lists, cache and empty dpkg status),
so the machine's own apt state is untouched; downloads are cached in
build/peer/cache.

Output files in DIR (default results/peer-<arch>): linux-<ver>.log (each
kernel's console), runs.json (which packages), testbed-bench/ (the testbed's
full benchmark report, benchread qemu), testbed-shell.log and
testbed-semantics.json, combined.log (the testbed results compared with and
every Linux log) and report/ (benchread file over it: report.md, CSV,
plots with linux-<ver> series), tables.md (what is printed).
"""
import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.dirname(HERE)
MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEFAULT_SUITES = {"arm64": ["bookworm-backports", "trixie-backports"],
                  "riscv64": ["trixie", "trixie-backports"]}
DEFAULT_KERNELS = {"arm64": ["linux-image-cloud-arm64/bookworm-backports",
                             "linux-image-cloud-arm64/trixie-backports"],
                   "riscv64": ["linux-image-riscv64/trixie"]}
DEB_ARCH = {"arm64": "arm64", "riscv64": "riscv64"}
SEM_VA = 0x2000000000
SEM_PAGES = 16
LINUX_TIMEOUT = 600.0
# The testbed's variant that does what Linux does (batched, Linux's TLB policy).
TESTBED_MPROTECT_VARIANT = "auto"

SCENARIOS = [
    # name, description (both sides do exactly this; the last write pass is counted)
    ("private-exclusive", "private anonymous, written, mprotect RO then RW, write"),
    ("zero-page", "private anonymous, read (zero page), mprotect RO then RW, write"),
    ("cow-parent", "written, fork; parent: mprotect RO then RW, write"),
    ("cow-child", "written, fork; child: mprotect RO then RW, write"),
    ("shared-dirty", "shared anonymous, written, mprotect RO then RW, write"),
    ("shared-clean", "shared anonymous, read, mprotect RO then RW, write"),
    ("softdirty-cleared", "written, soft-dirty clear, mprotect RO then RW, write"),
    ("softdirty-rewritten", "the above, then mprotect RO then RW, write again"),
    ("uffd-wp-unprotect", "written, uffd-wp protect, unprotect, write"),
]


class PeerError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ================================================================== parsing
_LINE = re.compile(r"(?<![A-Za-z0-9_-])(PEER-BEGIN|PEER-SEMANTICS|PEER-END|BENCH-BEGIN|BENCH-END|BENCH)"
                   r" +(\{.*)")


def _json_prefix(text):
    try:
        obj, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def parse_console(text):
    """A Linux peer console log -> {'begin', 'bench': [...], 'semantics': [...],
    'end', 'problems': [...]}. Kernel noise and bad lines are skipped (a bad
    PEER/BENCH line is named in problems)."""
    out = {"begin": None, "bench": [], "semantics": [], "end": None, "problems": []}
    for n, raw in enumerate(text.replace("\r", "").split("\n"), 1):
        m = _LINE.search(raw)
        if not m:
            continue
        kind, obj = m.group(1), _json_prefix(m.group(2))
        if obj is None or obj.get("schema") != 1:
            out["problems"].append(f"line {n}: unreadable {kind} line")
            continue
        if kind == "PEER-BEGIN":
            out["begin"] = obj
        elif kind == "PEER-END":
            out["end"] = obj
        elif kind == "PEER-SEMANTICS":
            if not all(k in obj for k in ("scenario", "folio_kib", "write_faults")):
                out["problems"].append(f"line {n}: PEER-SEMANTICS without scenario/folio_kib/write_faults")
                continue
            out["semantics"].append(obj)
        elif kind == "BENCH":
            out["bench"].append(obj)
    if out["begin"] is None:
        out["problems"].append("no PEER-BEGIN line: the init program did not start")
    elif out["end"] is None:
        out["problems"].append("no PEER-END line: the run was cut short")
    else:
        e = out["end"]
        if e.get("bench") != len(out["bench"]) or e.get("semantics") != len(out["semantics"]):
            out["problems"].append(
                f"PEER-END announces {e.get('bench')} BENCH and {e.get('semantics')} semantics "
                f"lines, {len(out['bench'])} and {len(out['semantics'])} arrived")
    return out


def median_of(r, metric="instructions"):
    s = r.get(metric)
    if isinstance(s, dict) and isinstance(s.get("median"), (int, float)):
        return s["median"]
    s = r.get("cycles")
    return s.get("median") if isinstance(s, dict) else None


def find(results, name, variant=None, variant_prefix=None, **params):
    for r in results:
        if r.get("name") != name:
            continue
        v = r.get("variant", "")
        if variant is not None and v != variant:
            continue
        if variant_prefix is not None and not v.startswith(variant_prefix):
            continue
        p = r.get("params", {})
        if all(p.get(k) == val for k, val in params.items()):
            return r
    return None


def mprotect_result(results, size_kib, folio_kib, op, variant=None, variant_prefix=None):
    name = "mprotect" if size_kib in (64, 2048) else "mprotect_full"
    return find(results, name, variant=variant, variant_prefix=variant_prefix,
                size_kib=size_kib, folio_kib=folio_kib, op=op)


def slope(r_small, r_big):
    """Marginal instructions per page between two sizes of the same operation."""
    if not r_small or not r_big:
        return None
    a, b = median_of(r_small), median_of(r_big)
    pa, pb = r_small["per"]["count"], r_big["per"]["count"]
    if a is None or b is None or pb == pa:
        return None
    return (b - a) / (pb - pa)


def fmt_num(x):
    if x is None:
        return "-"
    if abs(x) >= 1000 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def perf_rows(testbed, linux, variant):
    """Rows (label, testbed per op, linux per op, testbed per page, linux per
    page) for one Linux variant (e.g. 'linux-6.12.95')."""
    rows = []
    tv = TESTBED_MPROTECT_VARIANT
    for op, opname in (("rw->ro", "RW->RO"), ("ro->rw", "RO->RW")):
        for folio in (4, 64):
            for size in (64, 512, 2048, 8192, 32768):
                t = mprotect_result(testbed, size, folio, op, variant=tv)
                lx = mprotect_result(linux, size, folio, op, variant=variant)
                if not t and not lx:
                    continue
                rows.append(_row(f"mprotect {opname} {_size(size)}, {folio}K folios", t, lx))
            ts = slope(mprotect_result(testbed, 2048, folio, op, variant=tv),
                       mprotect_result(testbed, 8192, folio, op, variant=tv))
            ls = slope(mprotect_result(linux, 2048, folio, op, variant=variant),
                       mprotect_result(linux, 8192, folio, op, variant=variant))
            if ts is not None or ls is not None:
                rows.append((f"**mprotect {opname} {folio}K folios: marginal per page, 2->8 MiB**",
                             None, None, ts, ls))
    for folio in (4, 64):
        fv = f"folio-{folio}k"
        t = find(testbed, "anon_fault", variant=fv)
        lx = find(linux, "anon_fault", variant=f"{variant} {fv}")
        if t or lx:
            size = (t or lx)["params"].get("size_kib")
            rows.append(_row(f"first-touch write {_size(size)}, {folio}K folios", t, lx))
    for phase, label in (("fork", "fork"), ("cow-write", "COW write in the child")):
        for folio in (4, 64):
            fv = f"folio-{folio}k"
            t = find(testbed, "fork_cow", variant=fv, phase=phase)
            size = {"size_kib": t["params"]["size_kib"]} if t else {}
            lx = find(linux, "fork_cow", variant=f"{variant} {fv}", phase=phase, **size)
            if t or lx:
                size = (t or lx)["params"].get("size_kib")
                rows.append(_row(f"{label} {_size(size)}, {folio}K folios", t, lx))
            if phase == "fork" and folio == 4:
                base = find(linux, "fork_cow", variant=variant, phase="fork", size_kib=0)
                if base and lx:
                    marg = (median_of(lx) - median_of(base)) / lx["per"]["count"]
                    rows.append((f"fork {_size(lx['params']['size_kib'])}, 4K folios: per page above "
                                 "an empty fork", None, None,
                                 median_of(t) / t["per"]["count"] if t else None, marg))
    sc = find(linux, "syscall", variant=variant, op="getppid")
    if sc:
        rows.append(("null syscall (getppid): Linux's fixed cost per call", None, median_of(sc),
                     None, None))
    return rows


def _size(kib):
    if kib is None:
        return "?"
    return f"{kib // 1024} MiB" if kib >= 1024 and kib % 1024 == 0 else f"{kib} KiB"


def _row(label, t, lx):
    def per(r):
        m = median_of(r) if r else None
        return m / r["per"]["count"] if m is not None else None
    return (label, median_of(t) if t else None, median_of(lx) if lx else None, per(t), per(lx))


def counter_note(begin):
    """How the Linux figures were counted, from the PEER-BEGIN line."""
    if not begin:
        return ""
    hz = begin.get("counter_hz") or 0
    name = begin.get("counter", "?")
    note = f"Linux counter: {name}"
    if hz and hz != 1000000000:
        step = 1e9 / hz
        note += (f" at {hz / 1e6:g} MHz, so Linux figures come in steps of {step:g} instructions "
                 "(exact enough from 2 MiB up; the slope is taken over 6 MiB)")
    elif hz:
        note += " at 1 GHz: exact instruction counts"
    if not begin.get("icount", True):
        note += "; WARNING: the run did not say -icount was on"
    return note + "."


NUMA_NOTE = ("NUMA hinting is not compared: Linux makes PTEs protnone only from the task's "
             "own task_numa_work (run from the scheduler tick, first 1 s after the task "
             "starts, then once per scan period over at most scan_size_mb), so no system "
             "call scans a chosen range on demand and there is no single operation to time "
             "beside the testbed's `numa_hint` benchmark.")


def perf_table(testbed, linux, variant, kernel="", begin=None):
    head = (f"### Performance: testbed vs {variant}" + (f" ({kernel})" if kernel else ""),
            "",
            "Instructions under QEMU -icount shift=0 (1 instruction = 1 ns of virtual time), "
            "medians. Testbed: the in-kernel benchmark's `instructions` "
            f"(mprotect: variant `{TESTBED_MPROTECT_VARIANT}`, Linux's TLB policy, batched), "
            "one mm call with no syscall around it. Linux: whole-syscall instruction count "
            "(counter delta from user space: entry, work, exit, and whatever interrupt ran "
            "in between). Ratio = Linux / testbed. " + counter_note(begin),
            "",
            "| operation | testbed instr/op | Linux instr/op | ratio | testbed instr/page | "
            "Linux instr/page | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|")
    lines = list(head)
    for label, t_op, l_op, t_pg, l_pg in perf_rows(testbed, linux, variant):
        lines.append(f"| {label} | {fmt_num(t_op)} | {fmt_num(l_op)} | {fmt_ratio(l_op, t_op)} | "
                     f"{fmt_num(t_pg)} | {fmt_num(l_pg)} | {fmt_ratio(l_pg, t_pg)} |")
    lines += ["", NUMA_NOTE]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ semantics
def linux_semantics(parsed):
    """{(scenario, folio_kib): PEER-SEMANTICS object}."""
    return {(s["scenario"], s["folio_kib"]): s for s in parsed["semantics"]}


EXPLAIN = {
    # (scenario, why the answers differ) -- used when testbed and Linux disagree
    "uffd-wp-unprotect": "the testbed's `uffd off` only clears the uffd-wp marks and leaves the "
                         "PTEs read-only (write comes back through faults or mprotect); Linux's "
                         "UFFDIO_WRITEPROTECT unprotect goes through change_protection() with "
                         "MM_CP_UFFD_WP_RESOLVE and makes exclusive anonymous PTEs writable at "
                         "once (can_change_pte_writable)",
    "softdirty-cleared": "this Linux kernel has no soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY "
                         "needs HAVE_ARCH_SOFT_DIRTY, which arm64 does not select, nor riscv "
                         "in 6.12): clear_refs 4 "
                         "is accepted and changes nothing, pagemap bit 55 is never set, and "
                         "mprotect upgrades the exclusive pages as usual; the testbed implements "
                         "soft-dirty as Linux does where it exists (x86): the clear "
                         "write-protects, and can_change_pte_writable() refuses a PTE that is "
                         "not soft-dirty in a tracked VMA, so the next write faults",
    "zero-page": "",
}


def semantics_rows(testbed_sem, linux_sem):
    """Rows (scenario, folio, testbed faults, linux faults, verdict, linux status)."""
    rows = []
    for folio in (4, 64):
        for name, _ in SCENARIOS:
            t = testbed_sem.get((name, folio))
            lx = linux_sem.get((name, folio))
            if t is None and lx is None:
                continue
            tf = t.get("write_faults") if t else None
            lf = lx.get("write_faults") if lx else None
            status = lx.get("status", "ok") if lx else "not run"
            if status == "unsupported":
                status = lx.get("detail") or status
            if tf is None or lf is None or lf < 0:
                verdict = "n/a"
            elif tf == lf:
                verdict = "agree"
            else:
                verdict = "**differ**"
            rows.append((name, folio, tf, lf, verdict, status))
    return rows


def semantics_table(testbed_sem, linux_sem, variant):
    lines = [f"### Semantics: write faults on the final write pass over {SEM_PAGES} pages, "
             f"testbed vs {variant}",
             "",
             "| scenario | folio | testbed faults | Linux faults | verdict | Linux note |",
             "|---|---:|---:|---:|---|---|"]
    differ = []
    for name, folio, tf, lf, verdict, status in semantics_rows(testbed_sem, linux_sem):
        note = "" if status == "ok" else status
        lines.append(f"| {name} | {folio}K | {'-' if tf is None else tf} | "
                     f"{'-' if lf is None or lf < 0 else lf} | {verdict} | {note} |")
        if verdict == "**differ**" and name not in differ:
            differ.append(name)
    lines.append("")
    lines.append("Scenarios: " + "; ".join(f"`{n}`: {d}" for n, d in SCENARIOS) + ".")
    for n in differ:
        if EXPLAIN.get(n):
            lines.append("")
            lines.append(f"- `{n}` differs: {EXPLAIN[n]}.")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ testbed shell
def testbed_script():
    """[(command, tag)]: the scenarios as shell commands; tag (scenario,
    folio_kib) marks a counted write pass; '{child}' stands for the id the
    last fork printed, '{mm}' for the one the last 'mm new' printed."""
    a = f"0x{SEM_VA:x}"
    ln = f"{SEM_PAGES * 4}K"
    cmds = []
    for order, folio in ((0, 4), (4, 64)):
        cmds.append((f"folio {order}", None))

        def upgrade_write(tag):
            cmds.extend([(f"mprotect {a} {ln} r", None), (f"mprotect {a} {ln} rw", None),
                         (f"touch {a} {ln} w 7", (tag, folio))])

        for name, shared, first in (("private-exclusive", "", "w 1"), ("zero-page", "", "r"),
                                    ("shared-dirty", " shared", "w 1"), ("shared-clean", " shared", "r")):
            cmds += [("mm new", None), (f"map {a} {ln} rw{shared}", None), (f"touch {a} {ln} {first}", None)]
            upgrade_write(name)
            cmds.append(("mm del {mm}", None))
        for name in ("cow-parent", "cow-child"):
            cmds += [("mm new", None), (f"map {a} {ln} rw", None), (f"touch {a} {ln} w 1", None),
                     ("fork", None)]
            if name == "cow-child":
                cmds.append(("mm use {child}", None))
            upgrade_write(name)
            cmds += [("mm del {child}", None), ("mm del {mm}", None)]
        cmds += [("mm new", None), (f"map {a} {ln} rw", None), (f"touch {a} {ln} w 1", None),
                 ("softdirty clear", None)]
        upgrade_write("softdirty-cleared")
        upgrade_write("softdirty-rewritten")
        cmds.append(("mm del {mm}", None))
        cmds += [("mm new", None), (f"map {a} {ln} rw", None), (f"touch {a} {ln} w 1", None),
                 (f"uffd {a} {ln} on", None), (f"uffd {a} {ln} off", None),
                 (f"touch {a} {ln} w 7", ("uffd-wp-unprotect", folio)), ("mm del {mm}", None)]
    cmds.append(("exit", None))
    return cmds


_TOUCH = re.compile(r"pages=(\d+) faults=(\d+) unresolved=(\d+)")


def parse_testbed_transcript(lines, script=None):
    """Transcript lines ('mm> cmd' then output, as tools/shell_session.py
    writes) -> {(scenario, folio_kib): {'write_faults', 'pages', 'error'}}."""
    script = script or testbed_script()
    tags = [tag for _, tag in script]
    out, idx, cur = {}, -1, None
    for line in lines + ["mm> <end>"]:
        if line.startswith("mm> "):
            if cur is not None:
                tag, body = cur
                m = next((_TOUCH.search(b) for b in body if _TOUCH.search(b)), None)
                err = next((b for b in body if b.startswith("error:")), None)
                out[tag] = {"write_faults": int(m.group(2)) if m else None,
                            "pages": int(m.group(1)) if m else None, "error": err}
            idx += 1
            cur = (tags[idx], []) if idx < len(tags) and tags[idx] else None
        elif cur is not None:
            cur[1].append(line)
    return out


def run_testbed_shell(arch, kernel_elf, timeout=120.0):
    """Drive the testbed's shell through the scenarios; (transcript, results)."""
    sys.path.insert(0, TOOLS)
    import shell_session
    script = testbed_script()
    s = shell_session.Session(shell_session.qemu_command(arch, kernel_elf),
                              time.monotonic() + timeout)
    out, ids = [], {"mm": None, "child": None}
    try:
        if s.until_prompt() is None:
            raise PeerError("the testbed ended before its first shell prompt")
        for n, (cmd, _) in enumerate(script):
            cmd = cmd.format(**ids)
            s.send(cmd)
            last = n == len(script) - 1
            data = s.until_eof() if last else s.until_prompt()
            if data is None:
                raise PeerError(f"the testbed ended after '{cmd}'")
            got = shell_session.lines_of(data)
            if got and got[0] == cmd:
                got = got[1:]
            out.append("mm> " + cmd)
            out.extend(got)
            m = next((re.fullmatch(r"mm (\d+)", g) for g in got if re.fullmatch(r"mm (\d+)", g)), None)
            if m and cmd == "mm new":
                ids["mm"] = m.group(1)
            elif m and cmd == "fork":
                ids["child"] = m.group(1)
            if any(g.startswith("error:") for g in got) and not cmd.startswith("touch"):
                log(f"warning: testbed shell: '{cmd}' -> {' / '.join(got)}")
    except shell_session.Timeout:
        raise PeerError(f"the testbed shell timed out after {timeout:g} s")
    finally:
        s.close()
    return out, parse_testbed_transcript(out, script)


# ================================================================== kernel fetch
class Apt:
    """apt-get/apt-cache with a configuration of its own under `base`: its own
    sources (Debian's archive, the given suites, arch-qualified), lists,
    cache and an empty dpkg status. Nothing of the machine's apt or dpkg
    state is read or written."""

    def __init__(self, base, arch, suites):
        self.base = os.path.abspath(base)
        self.arch = arch
        self.suites = sorted(set(suites))
        for d in ("etc/sources.list.d", "etc/preferences.d", "etc/apt.conf.d", "lists/partial",
                  "cache/archives/partial"):
            os.makedirs(os.path.join(self.base, d), exist_ok=True)
        status = os.path.join(self.base, "status")
        if not os.path.exists(status):
            open(status, "w").close()
        sources = "".join(f"deb [arch={arch} signed-by={KEYRING}] {MIRROR} {s} main\n"
                          for s in self.suites)
        self._write("etc/sources.list", sources)
        # Low priority for everything: this configuration only downloads.
        self._write("etc/preferences", "Package: *\nPin: release o=Debian\nPin-Priority: 100\n")

    def _write(self, rel, text):
        path = os.path.join(self.base, rel)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            with open(path, "w") as f:
                f.write(text)
            if rel == "etc/sources.list":
                stamp = os.path.join(self.base, "updated")
                if os.path.exists(stamp):
                    os.remove(stamp)

    def options(self):
        b = self.base
        o = {"Dir::Etc": f"{b}/etc", "Dir::Etc::SourceList": f"{b}/etc/sources.list",
             "Dir::Etc::SourceParts": f"{b}/etc/sources.list.d",
             "Dir::Etc::Preferences": f"{b}/etc/preferences",
             "Dir::Etc::PreferencesParts": f"{b}/etc/preferences.d",
             "Dir::Etc::Parts": f"{b}/etc/apt.conf.d",
             "Dir::Etc::TrustedParts": "/etc/apt/trusted.gpg.d",
             "Dir::State::Lists": f"{b}/lists", "Dir::State::status": f"{b}/status",
             "Dir::Cache": f"{b}/cache", "APT::Architecture": self.arch,
             "APT::Architectures::": self.arch, "Acquire::Languages": "none",
             "APT::Sandbox::User": "root", "Debug::NoLocking": "1"}
        args = []
        for k, v in o.items():
            args += ["-o", f"{k}={v}"]
        return args

    def run(self, tool, *args, cwd=None):
        cmd = [tool] + self.options() + list(args)
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive"))
        if p.returncode != 0:
            msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
            first = next((m for m in msg if m.startswith("E:")), msg[-1] if msg else str(p.returncode))
            raise PeerError(f"{tool} {' '.join(args)} failed: {first}")
        return p.stdout

    def update(self, max_age=86400):
        stamp = os.path.join(self.base, "updated")
        if os.path.exists(stamp) and time.time() - os.path.getmtime(stamp) < max_age:
            return
        log(f"peer: apt-get update (own configuration, {self.arch}: {', '.join(self.suites)})")
        try:
            self.run("apt-get", "update")
        except PeerError as e:
            # A suite whose index did not arrive (mirror mid-sync) is left out;
            # the others are usable. Try again next time.
            if not any(f.endswith("_Packages") or "_Packages." in f
                       for f in os.listdir(os.path.join(self.base, "lists"))):
                raise
            log(f"warning: {e} (going on with the indexes that arrived)")
            return
        open(stamp, "w").close()

    def versions(self, pkg):
        """[(version, suite)] from apt-cache madison, newest first."""
        out = self.run("apt-cache", "madison", pkg)
        res = []
        for line in out.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) >= 3 and parts[0] == pkg:
                m = re.search(r"\s(\S+?)/\S+\s+\S+\s+Packages", parts[2])
                res.append((parts[1], m.group(1) if m else ""))
        return res

    def depends(self, pkg, version):
        out = self.run("apt-cache", "show", f"{pkg}={version}")
        m = re.search(r"^Depends: (.*)$", out, re.M)
        return [d.strip() for d in m.group(1).split(",")] if m else []

    def download(self, pkg, version, dest):
        os.makedirs(dest, exist_ok=True)
        self.run("apt-get", "download", f"{pkg}={version}", cwd=dest)
        name = f"{pkg}_{version.replace(':', '%3a')}_{self.arch}.deb"
        path = os.path.join(dest, name)
        if not os.path.exists(path):
            cands = [f for f in os.listdir(dest) if f.startswith(pkg + "_") and f.endswith(".deb")]
            if not cands:
                raise PeerError(f"apt-get download {pkg}={version} left no .deb in {dest}")
            path = os.path.join(dest, sorted(cands)[-1])
        return path


def _kernel_dependency(deps):
    """The dependency holding the kernel proper: linux-image-<ver>-... or
    linux-binary-<ver>-..., with its version pin if any."""
    for d in deps:
        for alt in d.split("|"):
            m = re.match(r"\s*(linux-(?:image|binary)-(?:unsigned-)?\d\S*)\s*(?:\(= (\S+)\))?", alt)
            if m:
                return m.group(1), m.group(2)
    return None, None


def _deb_members(deb):
    p = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True)
    if p.returncode != 0:
        raise PeerError(f"dpkg-deb -c {deb}: {p.stderr.strip()}")
    return [line.split()[-1] if " -> " not in line else line.split(" -> ")[0].split()[-1]
            for line in p.stdout.splitlines()]


def _kernel_member(members):
    for m in members:
        m2 = m.lstrip(".")
        if re.fullmatch(r"/boot/vmlinu[xz]-\S+", m2) or re.fullmatch(r"/usr/lib/modules/[^/]+/vmlinu[xz]", m2):
            return m
    return None


def fetch_kernel(spec, arch, cache_dir, apt_dir, refresh=False):
    """spec 'pkg[/suite]' -> dict(package, version, release, vmlinuz, config).
    Downloads (cached) and unpacks only the kernel image and its config."""
    pkg, _, suite = spec.partition("/")
    suites = [suite] if suite else DEFAULT_SUITES[arch]
    apt = Apt(os.path.join(apt_dir, arch), DEB_ARCH[arch], set(DEFAULT_SUITES[arch]) | set(suites))
    index = os.path.join(cache_dir, "resolved.json")
    resolved = json.load(open(index)) if os.path.exists(index) else {}
    key = f"{arch}:{spec}"
    try:
        apt.update(max_age=0 if refresh else 86400)
    except PeerError as e:
        hit = resolved.get(key)
        if hit and os.path.exists(hit["vmlinuz"]):
            log(f"warning: {e}; using the cached {hit['package']} {hit['version']}")
            return hit
        raise
    chain, name, want = [], pkg, None
    for _ in range(4):
        vers = apt.versions(name)
        if suite and name == pkg:
            vers = [v for v in vers if v[1] == suite]
        if want:
            vers = [v for v in vers if v[0] == want]
        if not vers:
            where = f" in {suite}" if suite and name == pkg else f" in {', '.join(apt.suites)}"
            raise PeerError(f"no Debian package {name}{'=' + want if want else ''} for {arch}{where} "
                            "(apt-cache madison finds none); pick another with PEER_KERNEL=")
        version = vers[0][0]
        chain.append(f"{name}={version}")
        deb = apt.download(name, version, cache_dir) if not _cached_deb(cache_dir, name, version, arch) \
            else _cached_deb(cache_dir, name, version, arch)
        member = _kernel_member(_deb_members(deb))
        if member:
            break
        name, want = _kernel_dependency(apt.depends(name, version))
        if not name:
            raise PeerError(f"{chain[-1]} holds no kernel and depends on no linux-image-/linux-binary- package")
    else:
        raise PeerError(f"no kernel found following {' -> '.join(chain)}")
    release = re.search(r"(?:vmlinu[xz]-(\S+)$|modules/([^/]+)/vmlinu[xz]$)", member)
    release = release.group(1) or release.group(2)
    out = os.path.join(cache_dir, f"vmlinuz-{release}")
    cfg = os.path.join(cache_dir, f"config-{release}")
    if not os.path.exists(out):
        tmp = os.path.join(cache_dir, "unpack")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
        shutil.copyfile(os.path.join(tmp, member.lstrip("./")), out)
        for c in (f"boot/config-{release}", f"usr/lib/modules/{release}/config"):
            if os.path.exists(os.path.join(tmp, c)):
                shutil.copyfile(os.path.join(tmp, c), cfg)
        shutil.rmtree(tmp, ignore_errors=True)
    info = {"spec": spec, "package": name, "version": version, "chain": chain, "release": release,
            "deb": deb, "vmlinuz": out, "config": cfg if os.path.exists(cfg) else None}
    resolved[key] = info
    with open(index, "w") as f:
        json.dump(resolved, f, indent=1)
    return info


def _cached_deb(cache_dir, name, version, arch):
    path = os.path.join(cache_dir, f"{name}_{version.replace(':', '%3a')}_{DEB_ARCH[arch]}.deb")
    return path if os.path.exists(path) else None


# ================================================================== initramfs
def cpio_newc(entries):
    """entries: [(path, mode, data bytes, rdev (major, minor))] -> cpio newc archive bytes."""
    out = bytearray()

    def pad4():
        while len(out) % 4:
            out.append(0)
    ino = 1
    for path, mode, data, rdev in list(entries) + [("TRAILER!!!", 0, b"", (0, 0))]:
        name = path.encode() + b"\0"
        hdr = "070701" + "".join(f"{x:08x}" for x in (
            ino, mode, 0, 0, 1 if path != "TRAILER!!!" else 1, 0, len(data), 0, 0,
            rdev[0], rdev[1], len(name), 0))
        out += hdr.encode() + name
        pad4()
        out += data
        pad4()
        ino += 1
    return bytes(out)


def build_initramfs(init_bin, dest):
    with open(init_bin, "rb") as f:
        init = f.read()
    entries = [("dev", 0o040755, b"", (0, 0)), ("dev/console", 0o020600, b"", (5, 1)),
               ("proc", 0o040555, b"", (0, 0)), ("sys", 0o040555, b"", (0, 0)),
               ("init", 0o100755, init, (0, 0))]
    with open(dest, "wb") as f:
        f.write(gzip.compress(cpio_newc(entries), mtime=0))
    return dest


def build_init(arch, dest):
    cc = {"arm64": "aarch64-linux-gnu-gcc", "riscv64": "riscv64-linux-gnu-gcc"}[arch]
    src = os.path.join(HERE, "init.c")
    if os.path.exists(dest) and os.path.getmtime(dest) >= os.path.getmtime(src):
        return dest
    if shutil.which(cc) is None:
        raise PeerError(f"{cc} not found: run tools/peer/setup.sh {arch}")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    p = subprocess.run([cc, "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", dest, src],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise PeerError(f"building the peer's init failed:\n{p.stderr}")
    return dest


# ================================================================== running QEMU
def qemu_linux_command(arch, vmlinuz, initrd, extra=""):
    append = f"quiet nokaslr norandmaps panic=-1 peer.icount=1 {extra}".strip()
    if arch == "arm64":
        return ["qemu-system-aarch64", "-M", "virt", "-cpu", "max", "-m", "1G", "-icount", "shift=0",
                "-nographic", "-no-reboot", "-kernel", vmlinuz, "-initrd", initrd,
                "-append", "console=ttyAMA0 " + append]
    return ["qemu-system-riscv64", "-M", "virt", "-cpu", "max", "-m", "1G", "-icount", "shift=0",
            "-nographic", "-no-reboot", "-bios", "default", "-kernel", vmlinuz, "-initrd", initrd,
            "-append", "console=ttyS0 " + append]


def run_console(cmd, timeout, log_path, final=None):
    """Run cmd with its output into log_path; stop at timeout or when a line
    contains `final` (then give QEMU 10 s to exit). Returns (text, status, timed_out)."""
    start = time.monotonic()
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        data, timed_out, deadline = b"", False, start + timeout
        try:
            import selectors
            sel = selectors.DefaultSelector()
            sel.register(proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                if not sel.select(timeout=min(left, 1.0)):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                logf.write(chunk)
                logf.flush()
                data += chunk
                if final and final.encode() in data[-len(chunk) - 200:] and deadline > time.monotonic() + 10:
                    deadline = time.monotonic() + 10
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, 15)
                except ProcessLookupError:
                    pass
            try:
                status = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                status = proc.wait()
            proc.stdout.close()
    return data.decode("utf-8", "replace"), status, timed_out


def run_linux(info, arch, outdir, timeout, quick=False):
    init = build_init(arch, os.path.join(ROOT, "build", "peer", f"init-{arch}"))
    initrd = build_initramfs(init, os.path.join(ROOT, "build", "peer", f"initramfs-{arch}.cpio.gz"))
    cmd = qemu_linux_command(arch, info["vmlinuz"], initrd, "peer.quick=1" if quick else "")
    variant = "linux-" + re.split(r"[+-]", info["release"])[0]
    log_path = os.path.join(outdir, f"{variant}.log")
    log(f"peer: booting Linux {info['release']} ({info['package']} {info['version']}) under "
        f"-icount shift=0: {' '.join(cmd)}")
    t0 = time.monotonic()
    text, status, timed_out = run_console(cmd, timeout, log_path, final="PEER-END")
    parsed = parse_console(text)
    log(f"peer: Linux {info['release']}: {len(parsed['bench'])} BENCH and "
        f"{len(parsed['semantics'])} semantics lines in {time.monotonic() - t0:.0f} s")
    if timed_out:
        parsed["problems"].append(f"timed out after {timeout:g} s (console in {log_path})")
    parsed["log"] = log_path
    parsed["info"] = info
    parsed["elapsed"] = time.monotonic() - t0
    return parsed


def run_testbed_bench(arch, outdir, timeout=1200.0):
    out = os.path.join(outdir, "testbed-bench")
    cmd = [sys.executable, os.path.join(TOOLS, "benchread.py"), "qemu", "--arch", arch,
           "--config", f"{arch}-numa", "--bench", "mprotect,mprotect_full,anon_fault,fork_cow",
           "--timeout", str(timeout), "-o", out]
    log(f"peer: testbed benchmarks: {' '.join(cmd[1:])}")
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    log(f"peer: testbed benchmarks done in {time.monotonic() - t0:.0f} s (exit {p.returncode})")
    jsonl = os.path.join(out, "results.jsonl")
    if not os.path.exists(jsonl):
        raise PeerError(f"the testbed benchmarks gave no results: {p.stderr.strip()[-400:]}")
    if p.returncode != 0:
        log(f"warning: benchread.py qemu exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return load_jsonl(jsonl)


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def combined_log(testbed, linux_logs):
    """One console log for tools/benchread.py: the testbed results Linux is
    compared with (mprotect variant `auto` and its baseline, every anon_fault/fork_cow
    variant) as a BENCH-BEGIN/END run of their own, then each Linux console
    log as it came. The full testbed report stays in testbed-bench/."""
    keep = [r for r in testbed
            if (r.get("name") in ("mprotect", "mprotect_full")
                and r.get("variant") in (TESTBED_MPROTECT_VARIANT, r.get("baseline") or "", "per-page"))
            or r.get("name") in ("anon_fault", "fork_cow")]
    parts = []
    if keep:
        arch = keep[0].get("arch", "")
        names = list(dict.fromkeys(r["name"] for r in keep))
        parts.append("BENCH-BEGIN " + json.dumps({"schema": 1, "arch": arch, "selected": names},
                                                  separators=(",", ":")))
        parts += ["BENCH " + json.dumps(r, separators=(",", ":")) for r in keep]
        parts.append("BENCH-END " + json.dumps({"schema": 1, "count": len(keep)}, separators=(",", ":")))
    text = "\n".join(parts) + ("\n" if parts else "")
    for lg in linux_logs:
        text += lg if lg.endswith("\n") else lg + "\n"
    return text


# ================================================================== commands
def render_all(testbed, testbed_sem, linuxes):
    parts = []
    for lx in linuxes:
        b = lx["begin"] or {}
        variant = b.get("variant", "linux-?")
        info = lx.get("info") or {}
        kernel = f"{b.get('kernel', '?')}, Debian {info.get('package', '?')} {info.get('version', '')}".strip()
        parts.append(f"## Linux {b.get('kernel', '?')}\n")
        parts.append(perf_table(testbed, lx["bench"], variant, kernel, b))
        parts.append(semantics_table(testbed_sem, linux_semantics(lx), variant))
        if lx["problems"]:
            parts.append("Problems: " + "; ".join(lx["problems"]) + "\n")
    return "\n".join(parts)


def cmd_run(args):
    arch = args.arch
    outdir = args.output or os.path.join(ROOT, "results", f"peer-{arch}")
    os.makedirs(outdir, exist_ok=True)
    cache = os.path.join(ROOT, "build", "peer", "cache")
    aptdir = os.path.join(ROOT, "build", "peer", "apt")
    os.makedirs(cache, exist_ok=True)
    kernels = args.kernel or DEFAULT_KERNELS[arch]
    timings = {}
    t_all = time.monotonic()

    infos, failed = [], []
    for spec in kernels:
        t0 = time.monotonic()
        try:
            info = fetch_kernel(spec, arch, cache, aptdir, refresh=args.refresh)
        except PeerError as e:
            log(f"error: {spec}: {e}")
            failed.append(f"{spec}: {e}")
            continue
        timings[f"fetch {spec}"] = time.monotonic() - t0
        log(f"peer: {spec} -> {' -> '.join(info['chain'])}: {info['vmlinuz']}")
        infos.append(info)
    if not infos:
        raise PeerError("no kernel could be fetched")

    linuxes = []
    for info in infos:
        lx = run_linux(info, arch, outdir, args.timeout, quick=args.quick)
        timings[f"boot+run Linux {info['release']}"] = lx["elapsed"]
        linuxes.append(lx)

    elf = os.path.join(ROOT, "build", arch, "kernel.elf")
    testbed, testbed_sem, transcript = [], {}, []
    if not args.skip_testbed:
        if not os.path.exists(elf):
            raise PeerError(f"{elf} not found: run make ARCH={arch} kernel")
        t0 = time.monotonic()
        testbed = run_testbed_bench(arch, outdir)
        timings["testbed benchmarks"] = time.monotonic() - t0
        t0 = time.monotonic()
        transcript, testbed_sem = run_testbed_shell(arch, elf)
        timings["testbed shell scenarios"] = time.monotonic() - t0
        with open(os.path.join(outdir, "testbed-shell.log"), "w") as f:
            f.write("\n".join(transcript) + "\n")
        with open(os.path.join(outdir, "testbed-semantics.json"), "w") as f:
            json.dump([dict(scenario=k[0], folio_kib=k[1], **v) for k, v in testbed_sem.items()], f, indent=1)

    # Everything through the usual reader: report.md and plots with a linux-<ver> series.
    combined = os.path.join(outdir, "combined.log")
    with open(combined, "w") as f:
        f.write(combined_log(testbed, [open(lx["log"], encoding="utf-8", errors="replace").read()
                                       for lx in linuxes]))
    with open(os.path.join(outdir, "runs.json"), "w") as f:
        json.dump([{"info": lx["info"], "begin": lx["begin"], "problems": lx["problems"],
                    "log": os.path.basename(lx["log"])} for lx in linuxes], f, indent=1)
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "benchread.py"), "file", combined,
                        "-o", os.path.join(outdir, "report")], capture_output=True, text=True)
    timings["benchread report"] = time.monotonic() - t0
    if p.returncode != 0:
        log(f"warning: benchread.py file exited {p.returncode}: {p.stderr.strip()[-600:]}")

    tables = render_all(testbed, testbed_sem, linuxes)
    timings["total"] = time.monotonic() - t_all
    with open(os.path.join(outdir, "tables.md"), "w") as f:
        f.write(tables)
    print(tables)
    print(f"files: {outdir}/tables.md, {outdir}/report/report.md, {outdir}/report/plots/, "
          f"{', '.join(os.path.basename(lx['log']) for lx in linuxes)}")
    print("timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    bad = failed + [p for lx in linuxes for p in lx["problems"]]
    for b in bad:
        print(f"error: {b}", file=sys.stderr)
    return 1 if bad or not linuxes else 0


def cmd_tables(args):
    """Tables again from a finished run directory (no QEMU, no network)."""
    d = args.dir
    testbed = load_jsonl(os.path.join(d, "testbed-bench", "results.jsonl")) \
        if os.path.exists(os.path.join(d, "testbed-bench", "results.jsonl")) else []
    sem = {}
    if os.path.exists(os.path.join(d, "testbed-shell.log")):
        sem = parse_testbed_transcript(open(os.path.join(d, "testbed-shell.log")).read().splitlines())
    runs = json.load(open(os.path.join(d, "runs.json"))) if os.path.exists(os.path.join(d, "runs.json")) else []
    linuxes = []
    for r in runs:
        lx = parse_console(open(os.path.join(d, r["log"]), encoding="utf-8", errors="replace").read())
        lx["info"] = r["info"]
        linuxes.append(lx)
    print(render_all(testbed, sem, linuxes))
    return 0


def cmd_fetch(args):
    cache = os.path.join(ROOT, "build", "peer", "cache")
    os.makedirs(cache, exist_ok=True)
    info = fetch_kernel(args.spec, args.arch, cache, os.path.join(ROOT, "build", "peer", "apt"),
                        refresh=args.refresh)
    print(json.dumps(info, indent=1))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="fetch, boot, measure, compare")
    r.add_argument("--arch", default="arm64", choices=["arm64", "riscv64"])
    r.add_argument("--kernel", action="append", metavar="PKG[/SUITE]",
                   help="Debian kernel package (repeatable); default: linux-image-cloud-arm64 "
                        "from bookworm-backports and from trixie-backports")
    r.add_argument("-o", "--output", metavar="DIR")
    r.add_argument("--timeout", type=float, default=LINUX_TIMEOUT, metavar="S")
    r.add_argument("--refresh", action="store_true", help="apt-get update even if the lists are fresh")
    r.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    r.add_argument("--skip-testbed", action="store_true", help="Linux only")
    t = sub.add_parser("tables", help="print the tables of a finished run directory")
    t.add_argument("dir")
    f = sub.add_parser("fetch", help="fetch and unpack one kernel")
    f.add_argument("spec")
    f.add_argument("--arch", default="arm64", choices=["arm64", "riscv64"])
    f.add_argument("--refresh", action="store_true")
    args = ap.parse_args(argv)
    try:
        return {"run": cmd_run, "tables": cmd_tables, "fetch": cmd_fetch}[args.command](args)
    except PeerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
