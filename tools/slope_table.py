#!/usr/bin/env python3
"""The mprotect marginal cost per page next to Linux's (make mprotect-slope).

Reads the mprotect_slope results of a run (results.jsonl from
tools/benchread.py) and prints a Markdown table: per operation and folio
size, this kernel's batched and unbatched instructions per page, Linux's
figures where the result's note carries them (arm64: "Linux 6.12/6.16/6.17/7.3
on this QEMU: a/b/c/d", measured on the same QEMU under -icount shift=0;
see tests/bench/bench_mm.c) and the ratio of this kernel's batched figure to
the best and to the latest Linux.

    tools/slope_table.py results/arm64/results.jsonl
"""
import json
import re
import sys

LINUX_RE = re.compile(r"Linux ([0-9.]+(?:/[0-9.]+)*) on this QEMU: ([0-9.]+(?:/[0-9.]+)*)")
ROWS = [("rw->ro", 4), ("ro->rw", 4), ("rw->ro", 64), ("ro->rw", 64)]


def linux_figures(note):
    """{version: instructions per page} from a result's note, {} if none."""
    m = LINUX_RE.search(note or "")
    if not m:
        return {}
    versions, figures = m.group(1).split("/"), m.group(2).split("/")
    if len(versions) != len(figures):
        return {}
    return {v: float(f) for v, f in zip(versions, figures)}


def per_page(r):
    milli = r.get("per", {}).get("instructions_milli")
    return None if milli is None else milli / 1000.0


def table(results):
    """Markdown lines for the mprotect_slope results of one run."""
    slope = [r for r in results if r.get("name") == "mprotect_slope"]
    if not slope:
        return ["no mprotect_slope result in this run (bench=mprotect_slope or bench=default)"]
    arch = slope[0].get("arch", "?")
    versions = []
    for r in slope:
        for v in linux_figures(r.get("note")):
            if v not in versions:
                versions.append(v)
    head = ["operation", "folio", "batched", "unbatched"] + ["Linux %s" % v for v in versions]
    if versions:
        head += ["batched / best Linux", "batched / Linux %s" % versions[-1]]
    params = slope[0].get("params", {})
    out = ["mprotect, marginal instructions per page (%s; %s KiB -> %s KiB regions)"
           % (arch, params.get("from_kib", "?"), params.get("to_kib", "?")),
           "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for op, folio in ROWS:
        pick = {}
        for r in slope:
            p = r.get("params", {})
            if p.get("op") == op and p.get("folio_kib") == folio:
                pick["unbatched" if r.get("variant", "").endswith("-unbatched") else "batched"] = r
        if not pick:
            continue
        b, u = pick.get("batched"), pick.get("unbatched")
        fb = per_page(b) if b else None
        lx = linux_figures((b or u).get("note"))
        cells = [op.upper(), "%d KiB" % folio,
                 "%.1f" % fb if fb is not None else "-", "%.1f" % per_page(u) if u and per_page(u) is not None else "-"]
        cells += ["%g" % lx[v] if v in lx else "-" for v in versions]
        if versions:
            best = min(lx.values()) if lx else None
            last = lx.get(versions[-1])
            cells.append("%.2fx" % (fb / best) if fb is not None and best else "-")
            cells.append("%.2fx" % (fb / last) if fb is not None and last else "-")
        out.append("| " + " | ".join(cells) + " |")
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: tools/slope_table.py RESULTS_JSONL", file=sys.stderr)
        return 2
    try:
        with open(argv[0]) as fh:
            results = [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError) as e:
        print("slope table: cannot read %s: %s" % (argv[0], e), file=sys.stderr)
        return 1
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
