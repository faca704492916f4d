#!/usr/bin/python3
"""Read the testbed kernel's benchmark output and report it.

The kernel prints, among other console output:
  BENCH-BEGIN {"schema":1,"arch":"arm64","selected":["mprotect",...]}
  BENCH {"schema":1,"name":"mprotect","variant":"range",...}     one per result
  BENCH-END {"schema":1,"count":N}                                N = BENCH lines

Sub-commands (see --help of each):
  qemu     boot build/<arch>/kernel.elf in QEMU with bench=<glob>, read the output
  serial   read a board's serial console (pyserial)
  file     parse a saved console log
  compare  compare two results.jsonl files, flag regressions (exit 1)

qemu/serial/file write into -o DIR: raw.log, results.jsonl, results.csv,
report.md and plots/<name>.png|.svg, print the Markdown report and the plot
paths. Problems are one-line messages on stderr ("warning: ..." or
"error: ..."); an error gives a non-zero exit status (1: the data is
incomplete or unusable, 2: setup problem such as a missing tool or file).
"""

import argparse
import csv
import json
import math
import os
import re
import sys
import time

SCHEMA = 1
TOOL = "benchread.py"
ICOUNT_NOTE = ("QEMU -icount shift=0: cycles are instruction counts, not real TLB "
               "costs; real cycles come from boards")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_MARKER = re.compile(r"(?<![A-Za-z0-9_-])BENCH(-BEGIN|-END)?(?= )")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")
_DECODER = json.JSONDecoder()


class BenchError(Exception):
    """A fatal problem, reported as one line 'error: <message>'."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------ helpers
def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def _is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def params_text(params):
    return ", ".join(f"{k}={v}" for k, v in params.items()) if params else "(no params)"


def result_key(r):
    return (r["name"], r["arch"], r.get("machine", ""), r.get("cpu", ""),
            r["variant"], canon(r["params"]))


def describe(r):
    where = "/".join(x for x in (r["arch"], r.get("machine", ""), r.get("cpu", "")) if x)
    return f"{r['name']}[{r['variant']}; {params_text(r['params'])}; {where}]"


def median(r, metric):
    s = r.get(metric)
    if isinstance(s, dict) and _is_num(s.get("median")):
        return s["median"]
    return None


def fmt(x, digits=2):
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def ratio_text(r):
    return "-" if r is None else f"{r:.2f}x"


# ------------------------------------------------------------------ validation
def _check_stats(obj, field, required):
    # A counter that does not run on this CPU is reported as null (the kernel
    # says why in "note"): the field must be there, its value may be null.
    if field not in obj:
        return f"missing required field '{field}'" if required else None
    s = obj[field]
    if s is None:
        return None
    if not isinstance(s, dict):
        return f"field '{field}' must be an object with min/median/max"
    if "median" not in s:
        return f"missing required field '{field}.median'"
    for k in ("min", "median", "max"):
        if k in s and not _is_num(s[k]):
            return f"field '{field}.{k}' must be a number"
    return None


def validate_result(obj):
    """Return None if obj is a usable schema-1 BENCH result, else the problem."""
    if not isinstance(obj, dict):
        return "BENCH payload is not a JSON object"
    for f, typ, desc in (("name", str, "a string"), ("arch", str, "a string"),
                         ("variant", str, "a string"), ("params", dict, "an object"),
                         ("reps", int, "an integer"), ("counters", dict, "an object"),
                         ("events", dict, "an object"), ("per", dict, "an object")):
        if f not in obj:
            return f"missing required field '{f}'"
        if not isinstance(obj[f], typ) or isinstance(obj[f], bool):
            return f"field '{f}' must be {desc}"
    if not obj["name"] or not obj["variant"]:
        return "fields 'name' and 'variant' must not be empty"
    for f in ("machine", "cpu"):
        if f in obj and not isinstance(obj[f], str):
            return f"field '{f}' must be a string"
    if "icount" in obj and not isinstance(obj["icount"], bool):
        return "field 'icount' must be true or false"
    if obj.get("baseline") is not None and not isinstance(obj["baseline"], str):
        return "field 'baseline' must be a variant name"
    for k, v in obj["params"].items():
        if isinstance(v, (dict, list)):
            return f"field 'params.{k}' must be a scalar"
    for k, v in obj["events"].items():
        if not _is_num(v):
            return f"field 'events.{k}' must be a number"
    problem = (_check_stats(obj, "cycles", True) or _check_stats(obj, "instructions", False)
               or _check_stats(obj, "time_ns", False))
    if problem:
        return problem
    per = obj["per"]
    if not isinstance(per.get("unit"), str) or not per.get("unit"):
        return "field 'per.unit' must be a non-empty string"
    if not _is_num(per.get("count")) or per["count"] <= 0:
        return "field 'per.count' must be a positive number"
    return None


# ------------------------------------------------------------------ stream reader
class _Run:
    def __init__(self, begin=None, begin_line=None):
        self.begin = begin
        self.begin_line = begin_line
        self.end = None
        self.end_line = None
        self.results = []          # (obj, lineno)
        self.seen = set()
        self.invalid = 0


class BenchReader:
    """Streaming reader: feed_line()/feed_bytes(), then finish()."""

    def __init__(self, source="input", on_result=None):
        self.source = source
        self.on_result = on_result
        self.lineno = 0
        self.runs = []
        self.cur = None
        self.warnings = []
        self.errors = []
        self.fatal = []            # unknown schema: results unusable
        self.garbage = []
        self.duplicates = 0
        self.bench_lines = 0       # lines with a BENCH result marker
        self.end_seen = False
        self._buf = b""
        self._no_begin_warned = False
        self._finished = False

    def warn(self, msg, lineno=None):
        self.warnings.append(f"line {lineno}: {msg}" if lineno else msg)

    # -- input
    def feed_bytes(self, data):
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        for raw in lines:
            self.feed_line(raw.decode("utf-8", "replace"))

    def feed_line(self, text):
        self.lineno += 1
        ln = self.lineno
        text = _ANSI.sub("", text.replace("\r", ""))
        pos, found = 0, False
        while True:
            m = _MARKER.search(text, pos)
            if not m:
                break
            found = True
            kind = {None: "BENCH", "-BEGIN": "BENCH-BEGIN", "-END": "BENCH-END"}[m.group(1)]
            start = m.end()
            while start < len(text) and text[start] == " ":
                start += 1
            try:
                if start >= len(text) or text[start] != "{":
                    raise ValueError("no JSON object")
                obj, end = _DECODER.raw_decode(text, start)
            except ValueError:
                if kind == "BENCH":
                    self.bench_lines += 1
                    if self.cur is not None:
                        self.cur.invalid += 1
                self.warn(f"invalid JSON after '{kind} ' (line cut short or garbled); "
                          "ignored", ln)
                pos = start
                continue
            pos = end
            self._handle(kind, obj, ln)
        if not found and _CONTROL.search(text):
            self.garbage.append(ln)

    # -- records
    def _schema_ok(self, kind, obj, ln):
        if not isinstance(obj, dict):
            self.warn(f"{kind} payload is not a JSON object; ignored", ln)
            return False
        v = obj.get("schema")
        if v == SCHEMA and not isinstance(v, bool):
            return True
        what = "has no 'schema' field" if v is None else f"has schema version {v!r}"
        msg = (f"line {ln}: {kind} {what}; {TOOL} only understands schema "
               f"version {SCHEMA}")
        if v is None:
            self.warn(f"{kind} {what}; ignored", ln)
        elif msg not in self.fatal:
            self.fatal.append(msg)
        return False

    def _handle(self, kind, obj, ln):
        if kind == "BENCH":
            self.bench_lines += 1
        if not self._schema_ok(kind, obj, ln):
            if kind == "BENCH" and self.cur is not None:
                self.cur.invalid += 1
            return
        if kind == "BENCH-BEGIN":
            cur = self.cur
            if cur is not None and cur.begin is not None and canon(cur.begin) == canon(obj) \
                    and not cur.results:
                self.duplicates += 1          # resent BEGIN
                return
            self.cur = _Run(obj, ln)
            self.runs.append(self.cur)
        elif kind == "BENCH-END":
            last = self.runs[-1] if self.runs else None
            if self.cur is None and last is not None and last.end is not None \
                    and canon(last.end) == canon(obj):
                self.duplicates += 1          # resent END
                return
            if not isinstance(obj.get("count"), int) or isinstance(obj.get("count"), bool) \
                    or obj["count"] < 0:
                self.warn("BENCH-END without a valid 'count'", ln)
            if self.cur is None:
                self.cur = _Run()
                self.runs.append(self.cur)
            self.cur.end, self.cur.end_line = obj, ln
            self.cur = None
            self.end_seen = True
        else:
            self._result(obj, ln)

    def _result(self, obj, ln):
        key = canon(obj)
        if self.cur is None:
            last = self.runs[-1] if self.runs else None
            if last is not None and key in last.seen:
                self.duplicates += 1          # resent after END
                return
            if not self._no_begin_warned:
                self._no_begin_warned = True
                self.warn("BENCH result outside BENCH-BEGIN/BENCH-END "
                          "(capture started late?)", ln)
            self.cur = _Run()
            self.runs.append(self.cur)
        run = self.cur
        if key in run.seen:
            self.duplicates += 1
            return
        problem = validate_result(obj)
        if problem:
            run.invalid += 1
            self.warn(f"BENCH result skipped: {problem}", ln)
            return
        run.seen.add(key)
        run.results.append((obj, ln))
        if self.on_result:
            self.on_result(obj)

    # -- end of input
    def finish(self):
        """Check completeness; fill self.errors/warnings; return results."""
        if self._finished:
            return self.results
        self._finished = True
        if self._buf:
            n_before = len(self.warnings)
            self.feed_line(self._buf.decode("utf-8", "replace"))
            self._buf = b""
            if len(self.warnings) > n_before:
                self.warnings[-1] += " (last line has no newline: output cut off)"
        if self.garbage:
            shown = ", ".join(map(str, self.garbage[:10]))
            more = ", ..." if len(self.garbage) > 10 else ""
            self.warnings.append(f"ignored {len(self.garbage)} garbage line(s) "
                                 f"(non-text bytes) at line(s) {shown}{more}")
        if self.duplicates:
            self.warnings.append(f"dropped {self.duplicates} duplicate line(s)")

        self.results = []
        index = {}
        for run in self.runs:
            for obj, ln in run.results:
                k = result_key(obj)
                if k in index:
                    self.warnings.append(f"line {ln}: {describe(obj)} reported again with "
                                         "different figures; keeping the later one")
                    self.results[index[k]] = obj
                else:
                    index[k] = len(self.results)
                    self.results.append(obj)

        if self.fatal:
            self.errors.extend(self.fatal)
            return self.results
        if self.bench_lines == 0:
            self.errors.append(f"no BENCH lines found in {self.source}")
            return self.results
        if not self.results:
            self.errors.append(f"no valid BENCH result in {self.source} "
                               f"({self.bench_lines} BENCH line(s), all invalid)")
        for run in self.runs:
            self._check_run(run)
        return self.results

    def _check_run(self, run):
        got = len(run.results)
        names = {o["name"] for o, _ in run.results}
        selected = run.begin.get("selected") if run.begin else None
        missing = [n for n in selected if n not in names] \
            if isinstance(selected, list) else []
        miss = f"; no result at all for: {', '.join(map(str, missing))}" if missing else ""
        bad = f"; {run.invalid} BENCH line(s) were invalid" if run.invalid else ""
        if run.end is None:
            start = (f"BENCH-BEGIN at line {run.begin_line}" if run.begin
                     else "BENCH output")
            self.errors.append(f"run cut short: {start} without BENCH-END "
                               f"({got} result(s) received{bad}{miss})")
            return
        want = run.end.get("count")
        if not isinstance(want, int) or isinstance(want, bool):
            return
        if got < want:
            self.errors.append(
                f"run incomplete: BENCH-END at line {run.end_line} announces {want} "
                f"result(s) but {got} valid one(s) arrived: {want - got} missing{bad}{miss}")
        elif got > want:
            self.errors.append(
                f"BENCH-END at line {run.end_line} announces {want} result(s) but "
                f"{got} arrived")


def read_text(text, source="input"):
    """Convenience: parse a whole log (str or bytes); return the reader."""
    r = BenchReader(source)
    r.feed_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    r.finish()
    return r


# ------------------------------------------------------------------ grouping
def group_results(results):
    """{(name, params canon): [results in order]} keeping first-seen order."""
    groups = {}
    for r in results:
        groups.setdefault((r["name"], canon(r["params"])), []).append(r)
    return groups


def baseline_ratios(group):
    """For each result in one (name, params) group: (cycles ratio, instr ratio,
    baseline variant name or None, problem or None)."""
    by_variant = {}
    for r in group:
        by_variant.setdefault((r["arch"], r.get("machine", ""), r.get("cpu", ""),
                               r["variant"]), r)
    out = []
    for r in group:
        b = r.get("baseline")
        if not b:
            out.append((None, None, None, None))
            continue
        base = by_variant.get((r["arch"], r.get("machine", ""), r.get("cpu", ""), b))
        if base is None:
            out.append((None, None, b, f"baseline variant '{b}' not found"))
            continue
        rat = []
        for metric in ("cycles", "instructions"):
            v, bv = median(r, metric), median(base, metric)
            rat.append(v / bv if v is not None and bv else None)
        out.append((rat[0], rat[1], b, None))
    return out


def counters_text(r):
    c = r.get("counters") or {}
    return ", ".join(f"{k}={v}" for k, v in c.items()) or "unknown"


# ------------------------------------------------------------------ report.md
def render_tables(results, warnings_out=None):
    lines = []
    multi_target = len({(r["arch"], r.get("machine", ""), r.get("cpu", ""))
                        for r in results}) > 1
    for (name, _), group in group_results(results).items():
        params = group[0]["params"]
        lines.append(f"## {name} ({params_text(params)})")
        lines.append("")
        units = {r["per"]["unit"] for r in group}
        unit = units.pop() if len(units) == 1 else "unit"
        have_time = any(median(r, "time_ns") is not None for r in group)
        have_instr = any(median(r, "instructions") is not None for r in group)
        events = []
        for r in group:
            for e in r["events"]:
                if e not in events:
                    events.append(e)
        # Only the events that happened in this comparison (every event is
        # still in results.csv / results.jsonl); say which were all zero.
        zero = [e for e in events if not any(r["events"].get(e) for r in group)]
        events = [e for e in events if e not in zero]
        head = (["target"] if multi_target else []) + ["variant", "cycles"]
        if have_instr:
            head.append("instructions")
        if have_time:
            head.append("time ns")
        head.append(f"cycles/{unit}")
        if have_instr:
            head.append(f"instr/{unit}")
        # Per-unit event figures the kernel computed (integers in thousandths).
        per_extra = [(k, lbl) for k, lbl in (("faults_milli", "faults"), ("tlbi_milli", "tlbi"))
                     if any(_is_num(r["per"].get(k)) for r in group)]
        head += [f"{lbl}/{unit}" for _, lbl in per_extra]
        head += events
        head += ["cycles vs baseline"] + (["instr vs baseline"] if have_instr else [])
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join(["---"] * (1 + int(multi_target))
                                    + ["---:"] * (len(head) - 1 - int(multi_target))) + "|")
        referenced = {r.get("baseline") for r in group if r.get("baseline")}
        for r, (rc, ri, b, problem) in zip(group, baseline_ratios(group)):
            per = r["per"]["count"]
            cyc, ins, tns = median(r, "cycles"), median(r, "instructions"), median(r, "time_ns")
            suffix = "" if unit != "unit" else f" /{r['per']['unit']}"
            row = ([f"{r['arch']}/{r.get('machine', '')}/{r.get('cpu', '')}"]
                   if multi_target else [])
            row += [r["variant"], fmt(cyc)]
            if have_instr:
                row.append(fmt(ins))
            if have_time:
                row.append(fmt(tns))
            row.append(fmt(cyc / per if cyc is not None else None) + suffix)
            if have_instr:
                row.append(fmt(ins / per if ins is not None else None) + suffix)
            row += [fmt(r["per"][k] / 1000 if _is_num(r["per"].get(k)) else None, 3)
                    for k, _ in per_extra]
            row += [fmt(r["events"].get(e)) for e in events]
            if problem:
                if warnings_out is not None:
                    warnings_out.append(f"{name} ({params_text(params)}) variant "
                                        f"'{r['variant']}': {problem}")
                row += ["n/a (no " + b + ")"] + (["n/a"] if have_instr else [])
            elif b:
                row += [f"{ratio_text(rc)} {b}"] + ([f"{ratio_text(ri)} {b}"]
                                                    if have_instr else [])
            elif r["variant"] in referenced:
                row += ["baseline"] + (["baseline"] if have_instr else [])
            else:
                row += ["-"] + (["-"] if have_instr else [])
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        if zero:
            lines.append(f"Zero for every variant here: {', '.join(zero)}.")
            lines.append("")
    return "\n".join(lines)


def render_report(results, source="", warnings=()):
    targets = sorted({(r["arch"], r.get("machine", "?"), r.get("cpu", "?")) for r in results})
    counters = sorted({counters_text(r) for r in results})
    icount = any(r.get("icount") for r in results)
    out = ["# Benchmark report", ""]
    if source:
        out.append(f"Source: {source}; {len(results)} result(s).")
        out.append("")
    out.append("Target: " + "; ".join(f"arch {a}, machine {m}, cpu {c}"
                                      for a, m, c in targets) + ".")
    out.append("")
    out.append("Counter source: " + "; ".join(counters) + ".")
    out.append("")
    if icount:
        out.append(f"> **{ICOUNT_NOTE}**")
        out.append("")
    out.append("Figures are medians over the repetitions, per operation; "
               "`cycles/<unit>` = median / per.count; event columns are per "
               "operation; `vs baseline` = median / baseline variant's median "
               "(below 1.00x is cheaper).")
    out.append("")
    table_warnings = []
    out.append(render_tables(results, table_warnings))
    all_w = list(warnings) + table_warnings
    if all_w:
        out.append("## Warnings")
        out.append("")
        out += [f"- {w}" for w in all_w]
        out.append("")
    return "\n".join(out), table_warnings


# ------------------------------------------------------------------ csv / jsonl
def write_jsonl(results, path):
    with open(path, "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


def write_csv(results, path):
    pkeys, ekeys = [], []
    for r in results:
        for k in r["params"]:
            if k not in pkeys:
                pkeys.append(k)
        for k in r["events"]:
            if k not in ekeys:
                ekeys.append(k)
    head = ["name", "arch", "machine", "cpu", "variant"] + [f"param.{k}" for k in pkeys]
    head += ["reps", "icount", "counter.cycles", "counter.instructions", "counter.time"]
    for m in ("cycles", "instructions", "time_ns"):
        head += [f"{m}.min", f"{m}.median", f"{m}.max"]
    head += ["per.unit", "per.count", "cycles_per_unit", "instructions_per_unit"]
    head += [f"events.{k}" for k in ekeys] + ["baseline"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        for r in results:
            c = r.get("counters", {})
            row = [r["name"], r["arch"], r.get("machine", ""), r.get("cpu", ""), r["variant"]]
            row += [r["params"].get(k, "") for k in pkeys]
            row += [r["reps"], str(bool(r.get("icount", False))).lower(),
                    c.get("cycles", ""), c.get("instructions", ""), c.get("time", "")]
            for m in ("cycles", "instructions", "time_ns"):
                s = r.get(m) if isinstance(r.get(m), dict) else {}
                row += [s.get("min", ""), s.get("median", ""), s.get("max", "")]
            per = r["per"]["count"]
            cyc, ins = median(r, "cycles"), median(r, "instructions")
            row += [r["per"]["unit"], per,
                    "" if cyc is None else f"{cyc / per:.6g}",
                    "" if ins is None else f"{ins / per:.6g}"]
            row += [r["events"].get(k, "") for k in ekeys]
            row.append(r.get("baseline") or "")
            w.writerow(row)


# ------------------------------------------------------------------ plots
class PlotsUnavailable(Exception):
    pass


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "bench"


def _size_param(group):
    """A numeric parameter with 'size' in its name that varies, or None."""
    keys = []
    for r in group:
        for k in r["params"]:
            if k not in keys:
                keys.append(k)
    for k in keys:
        vals = [r["params"].get(k) for r in group]
        if "size" in k.lower() and all(_is_num(v) for v in vals) and len(set(vals)) > 1:
            return k
    return None


def _unit_of(param):
    for suf, unit in (("_kib", "KiB"), ("_mib", "MiB"), ("_gib", "GiB"),
                      ("_kb", "KB"), ("_bytes", "bytes"), ("_pages", "pages")):
        if param.lower().endswith(suf):
            return unit
    return ""


def write_plots(results, outdir):
    """One figure per benchmark name: plots/<name>.png and .svg. Returns paths."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")    # matplotlib/pyparsing deprecation noise
        return _write_plots(results, outdir)


def _write_plots(results, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotsUnavailable("matplotlib is missing (apt-get install python3-matplotlib): "
                               "plots skipped")
    except Exception as e:
        raise PlotsUnavailable(f"matplotlib cannot be loaded ({type(e).__name__}: {e}): "
                               "plots skipped")
    pdir = os.path.join(outdir, "plots")
    os.makedirs(pdir, exist_ok=True)
    families = {}
    for r in results:
        families.setdefault(r["name"], []).append(r)
    written = []
    for name, group in families.items():
        fig = _family_figure(plt, name, group)
        base = os.path.join(pdir, _safe(name))
        for ext in ("png", "svg"):
            fig.savefig(f"{base}.{ext}", dpi=110, bbox_inches="tight")
            written.append(f"{base}.{ext}")
        plt.close(fig)
    return written


TLBI_EVENTS = ("tlbi_page", "tlbi_range", "tlbi_sinval", "tlbi_asid", "tlbi_all")


def _tlbi_total(r):
    ev = r.get("events") or {}
    return sum(ev.get(k, 0) for k in TLBI_EVENTS if _is_num(ev.get(k, 0)))


def _family_figure(plt, name, group):
    """One panel per parameter group (other than a varying size), a row for the
    cost metric and, where the family invalidates, a row for TLB invalidates
    per operation; one legend for the whole figure."""
    icount = any(r.get("icount") for r in group)
    # Under icount cycles == instructions: show the instruction count, named as such.
    metric = "instructions" if icount or all(median(r, "cycles") is None for r in group) else "cycles"
    if all(median(r, metric) is None for r in group):
        metric = "cycles"
    sources = sorted({(r.get("counters") or {}).get(metric, "?") for r in group})
    size_key = _size_param(group)
    sub = {}
    for r in group:
        key = tuple(sorted((k, canon(v)) for k, v in r["params"].items() if k != size_key))
        sub.setdefault(key, []).append(r)
    keys = list(sub)
    rows = [metric] + (["tlbi"] if any(_tlbi_total(r) for r in group) else [])
    ncols = min(len(keys), 4)
    nrows_per = (len(keys) + ncols - 1) // ncols
    fig, axes = plt.subplots(len(rows) * nrows_per, ncols, squeeze=False,
                             figsize=(4.6 * ncols, 3.4 * len(rows) * nrows_per))
    handles = {}
    for gi, key in enumerate(keys):
        for ri, row in enumerate(rows):
            ax = axes[ri * nrows_per + gi // ncols][gi % ncols]
            rs = sub[key]
            if row == "tlbi":
                val = _tlbi_total
                ax.set_ylabel("TLB invalidates / op\n(event counter)")
                ax.set_yscale("symlog", linthresh=1)
            else:
                val = lambda r, m=metric: median(r, m)  # noqa: E731
                ax.set_ylabel(f"median {metric} / op\n({', '.join(sources)})")
            if size_key:
                for var in dict.fromkeys(r["variant"] for r in rs):
                    pts = sorted((r["params"][size_key], val(r)) for r in rs
                                 if r["variant"] == var and val(r) is not None)
                    if pts:
                        h, = ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=var)
                        handles.setdefault(var, h)
                xs = [r["params"][size_key] for r in rs]
                if min(xs) > 0 and max(xs) / min(xs) >= 8:
                    ax.set_xscale("log", base=2)
                unit = _unit_of(size_key)
                ax.set_xlabel(size_key + (f" ({unit})" if unit else ""))
            else:
                vs = [r for r in rs if val(r) is not None]
                cmap = plt.get_cmap("tab10")
                for i, r in enumerate(vs):
                    h = ax.bar(i, val(r), color=cmap(i % 10), label=r["variant"])
                    handles.setdefault(r["variant"], h)
                ax.set_xticks(range(len(vs)))
                ax.set_xticklabels([r["variant"] for r in vs], rotation=30, ha="right",
                                   fontsize="small")
            title = ", ".join(f"{k}={v}" for k, v in key) or name
            ax.set_title(title, fontsize="small")
            ax.grid(True, axis="y", alpha=0.3)
    for k in range(len(keys), nrows_per * ncols):
        for ri in range(len(rows)):
            axes[ri * nrows_per + k // ncols][k % ncols].set_visible(False)
    targets = sorted({f"{r['arch']}/{r.get('machine', '?')}/{r.get('cpu', '?')}" for r in group})
    fig.suptitle(f"{name} - {', '.join(targets)}"
                 + ("\nQEMU -icount shift=0: cycles are instruction counts, not real TLB costs"
                    if icount else ""), fontsize="medium")
    if size_key and handles:
        fig.legend(list(handles.values()), list(handles), loc="lower center",
                   ncol=min(len(handles), 6), fontsize="small", bbox_to_anchor=(0.5, -0.02))
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        fig.tight_layout()
    return fig


def _series_label(r, size_key, varying):
    extra = ", ".join(f"{k}={r['params'].get(k)}" for k in varying if k != size_key)
    return r["variant"] + (f" ({extra})" if extra else "")


def _varying_params(group):
    keys = {k for r in group for k in r["params"]}
    return sorted(k for k in keys
                  if len({canon(r["params"].get(k)) for r in group}) > 1)


def _plot_lines(ax, group, metric, size_key):
    varying = _varying_params(group)
    series = {}
    for r in group:
        v = median(r, metric)
        if v is not None:
            series.setdefault(_series_label(r, size_key, varying), []).append(
                (r["params"][size_key], v))
    for label, pts in series.items():
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    xs = [r["params"][size_key] for r in group]
    if min(xs) > 0 and max(xs) / min(xs) >= 8:
        ax.set_xscale("log", base=2)
    unit = _unit_of(size_key)
    ax.set_xlabel(f"{size_key}" + (f" ({unit})" if unit else ""))
    ax.legend(fontsize="small")


def _plot_bars(ax, group, metric):
    cats, variants = [], []
    for r in group:
        c = params_text(r["params"])
        if c not in cats:
            cats.append(c)
        if r["variant"] not in variants:
            variants.append(r["variant"])
    width = 0.8 / max(len(variants), 1)
    for i, var in enumerate(variants):
        xs, ys = [], []
        for j, c in enumerate(cats):
            for r in group:
                if r["variant"] == var and params_text(r["params"]) == c \
                        and median(r, metric) is not None:
                    xs.append(j + (i - (len(variants) - 1) / 2) * width)
                    ys.append(median(r, metric))
                    break
        ax.bar(xs, ys, width, label=var)
    ax.set_xticks(range(len(cats)))
    ax.set_xticklabels(cats, rotation=20 if len(cats) > 2 else 0, ha="right"
                       if len(cats) > 2 else "center", fontsize="small")
    ax.set_xlabel("parameters")
    ax.legend(fontsize="small")


# ------------------------------------------------------------------ compare
def parse_threshold(text):
    t = text.strip()
    try:
        v = float(t[:-1] if t.endswith("%") else t)
    except ValueError:
        raise BenchError(f"bad --threshold '{text}' (use a percentage such as 5%)", 2)
    if v < 0 or not math.isfinite(v):
        raise BenchError(f"bad --threshold '{text}' (must be >= 0)", 2)
    return v / 100.0


def load_jsonl(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        raise BenchError(f"cannot read {path}: {e.strerror}", 2)
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise BenchError(f"{path} line {i}: invalid JSON", 2)
        if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
            v = obj.get("schema") if isinstance(obj, dict) else None
            raise BenchError(f"{path} line {i}: schema version {v!r} is not supported "
                             f"({TOOL} understands {SCHEMA})", 2)
        problem = validate_result(obj)
        if problem:
            raise BenchError(f"{path} line {i}: {problem}", 2)
        out.append(obj)
    if not out:
        raise BenchError(f"{path}: no results", 2)
    return out


def metrics_of(r):
    m = {}
    for k in ("cycles", "instructions", "time_ns"):
        v = median(r, k)
        if v is not None:
            m[k] = v
    for k, v in r["events"].items():
        m[f"events.{k}"] = v
    return m


def compare(old, new, threshold):
    """Return (regressions, improvements, unchanged, only_old, only_new).
    A regression is a metric that grew by more than `threshold` (fraction)."""
    o = {result_key(r): r for r in old}
    n = {result_key(r): r for r in new}
    regs, imps, same = [], [], 0
    for k in o:
        if k not in n:
            continue
        mo, mn = metrics_of(o[k]), metrics_of(n[k])
        for metric in mo:
            if metric not in mn:
                continue
            a, b = mo[metric], mn[metric]
            if a == b:
                same += 1
                continue
            change = (b - a) / a if a else math.inf
            item = (n[k], metric, a, b, change)
            if change > threshold:
                regs.append(item)
            elif change < -threshold:
                imps.append(item)
            else:
                same += 1
    only_old = [r for k, r in o.items() if k not in n]
    only_new = [r for k, r in n.items() if k not in o]
    return regs, imps, same, only_old, only_new


def _change_text(c):
    return "new" if math.isinf(c) else f"{c * 100:+.1f}%"


def cmd_compare(args):
    thr = parse_threshold(args.threshold)
    old, new = load_jsonl(args.old), load_jsonl(args.new)
    if {bool(r.get("icount")) for r in old} != {bool(r.get("icount")) for r in new}:
        warn("one side ran under QEMU -icount and the other did not")
    regs, imps, same, only_old, only_new = compare(old, new, thr)
    if not regs and not imps and not same:
        raise BenchError(f"no benchmark in common between {args.old} and {args.new}", 2)
    for k, metric, a, b, c in regs:
        print(f"REGRESSION  {describe(k)} {metric}: {fmt(a)} -> {fmt(b)} ({_change_text(c)})")
    for k, metric, a, b, c in imps:
        print(f"improved    {describe(k)} {metric}: {fmt(a)} -> {fmt(b)} ({_change_text(c)})")
    for k in only_old:
        print(f"only in {args.old}: {describe(k)}")
    for k in only_new:
        print(f"only in {args.new}: {describe(k)}")
    print(f"{len(regs)} regression(s), {len(imps)} improvement(s), {same} unchanged "
          f"metric(s) within {thr * 100:g}%")
    return 1 if regs else 0


# ------------------------------------------------------------------ capture modes
def warn(msg):
    print(f"warning: {msg}", file=sys.stderr)


def _open_out(outdir):
    try:
        os.makedirs(outdir, exist_ok=True)
        return open(os.path.join(outdir, "raw.log"), "wb")
    except OSError as e:
        raise BenchError(f"cannot write to {outdir}: {e.strerror}", 2)


def _progress(obj):
    print(f"  {obj['name']}/{obj['variant']} {params_text(obj['params'])}: "
          f"cycles {fmt(median(obj, 'cycles'))}", file=sys.stderr, flush=True)


def finish_and_report(reader, outdir, extra_errors=(), extra_warnings=()):
    """Common end of qemu/serial/file: validate, write outputs, print, exit code."""
    results = reader.finish()
    for w in list(extra_warnings) + reader.warnings:
        warn(w)
    errors = list(reader.errors) + list(extra_errors)
    if reader.fatal or not results:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        write_jsonl(results, os.path.join(outdir, "results.jsonl"))
        write_csv(results, os.path.join(outdir, "results.csv"))
        report, table_warnings = render_report(results, reader.source, reader.warnings)
        with open(os.path.join(outdir, "report.md"), "w", encoding="utf-8") as f:
            f.write(report)
    except OSError as e:
        raise BenchError(f"cannot write to {outdir}: {e.strerror}", 2)
    for w in table_warnings:
        warn(w)
    plots = []
    try:
        plots = write_plots(results, outdir)
    except PlotsUnavailable as e:
        warn(str(e))
    except (OSError, ValueError, RuntimeError) as e:
        errors.append(f"cannot draw the plots: {type(e).__name__}: {e}")
    print(report)
    print(f"results: {os.path.join(outdir, 'results.jsonl')}, "
          f"{os.path.join(outdir, 'results.csv')}, {os.path.join(outdir, 'report.md')}")
    if plots:
        print("plots: " + ", ".join(p for p in plots))
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    return 1 if errors else 0


def cmd_file(args):
    try:
        if args.log == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.log, "rb") as f:
                data = f.read()
    except OSError as e:
        raise BenchError(f"cannot read {args.log}: {e.strerror}", 2)
    with _open_out(args.output) as raw:
        raw.write(data)
    reader = BenchReader(args.log if args.log != "-" else "stdin")
    reader.feed_bytes(data)
    return finish_and_report(reader, args.output)


def cmd_qemu(args):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import runner
    import shutil
    conf = args.conf or runner.default_conf_path()
    try:
        configs = runner.select_configs(runner.load_conf(conf), args.arch,
                                        [args.config] if args.config else None)
    except runner.ConfError as e:
        raise BenchError(str(e), 2)
    if not configs:
        raise BenchError(f"no configuration for arch {args.arch}"
                         + (f" named {args.config}" if args.config else "") + f" in {conf}", 2)
    config = configs[0]
    elf = args.elf or runner.elf_path(args.build_dir, args.arch)
    if shutil.which(runner.qemu_binary(args.arch)) is None:
        raise BenchError(runner.missing_qemu_message(args.arch), 2)
    if not os.path.isfile(elf):
        raise BenchError(f"{elf} not found: run make ARCH={args.arch}", 2)
    cmd = runner.build_command(config, elf, f"bench={args.bench}")
    print(f"running {config.name}: {runner.format_command(cmd)}", file=sys.stderr, flush=True)
    reader = BenchReader(f"QEMU {config.name} (bench={args.bench})", _progress)
    errors, warnings = [], []
    with _open_out(args.output) as raw:
        try:
            res = runner.run_qemu(cmd, args.timeout, reader.feed_line,
                                  is_final=lambda l: "BENCH-END" in l, raw_sink=raw.write)
        except OSError as e:
            raise BenchError(f"cannot run QEMU: {e}", 2)
    if res.timed_out:
        errors.append(f"timed out after {args.timeout:g} s")
    elif res.hung:
        warnings.append("QEMU did not exit after BENCH-END; killed it")
    elif res.exit_status:
        warnings.append(f"QEMU exited with status {res.exit_status}")
    if any(l.lstrip().startswith("REGISTERS") for l in res.lines):
        errors.append("the kernel crashed (register dump on the console, see raw.log)")
    return finish_and_report(reader, args.output, errors, warnings)


def cmd_serial(args):
    try:
        import serial
    except ImportError:
        raise BenchError("pyserial is missing: apt-get install python3-serial", 2)
    try:
        port = serial.Serial(args.port, args.baud, timeout=0.2)
    except (serial.SerialException, OSError, ValueError) as e:
        raise BenchError(f"cannot open {args.port}: {e}", 2)
    reader = BenchReader(f"serial {args.port} at {args.baud} baud", _progress)
    print(f"listening on {args.port} at {args.baud} baud for up to {args.timeout:g} s: "
          "reset or start the board now", file=sys.stderr, flush=True)
    errors = []
    deadline = time.monotonic() + args.timeout
    with _open_out(args.output) as raw, port:
        try:
            while True:
                if time.monotonic() >= deadline:
                    errors.append(f"timed out after {args.timeout:g} s waiting for BENCH-END")
                    break
                data = port.read(4096)
                if data:
                    raw.write(data)
                    raw.flush()
                    reader.feed_bytes(data)
                    if reader.end_seen and reader.cur is None:
                        break
        except serial.SerialException as e:
            errors.append(f"serial port error: {e}")
    return finish_and_report(reader, args.output, errors)


# ------------------------------------------------------------------ main
def make_parser():
    ap = argparse.ArgumentParser(prog="benchread.py", description=__doc__.split("\n\n")[0],
                                 epilog="Run '<command> --help' for details.")
    sub = ap.add_subparsers(dest="command", metavar="{qemu,serial,file,compare}")
    sub.required = True

    q = sub.add_parser("qemu", help="run the benchmarks in QEMU")
    q.add_argument("--arch", required=True, choices=["arm64", "riscv64"])
    q.add_argument("--elf", help="kernel ELF (default BUILD_DIR/<arch>/kernel.elf)")
    q.add_argument("--build-dir", default="build")
    q.add_argument("--bench", default="*", metavar="GLOB",
                   help="benchmarks to run, passed as bench=GLOB (default *)")
    q.add_argument("--timeout", type=float, default=300.0, metavar="S")
    q.add_argument("--conf", help="QEMU configuration file (default tests/qemu.conf)")
    q.add_argument("--config", metavar="NAME",
                   help="configuration to use (default: the first one for --arch)")
    q.add_argument("-o", "--output", required=True, metavar="DIR")

    s = sub.add_parser("serial", help="read a board's serial console")
    s.add_argument("--port", required=True)
    s.add_argument("--baud", type=int, default=115200)
    s.add_argument("--timeout", type=float, default=300.0, metavar="S")
    s.add_argument("-o", "--output", required=True, metavar="DIR")

    f = sub.add_parser("file", help="parse a saved console log")
    f.add_argument("log", help="console log ('-' for stdin)")
    f.add_argument("-o", "--output", required=True, metavar="DIR")

    c = sub.add_parser("compare", help="compare two results.jsonl files",
                       description="Flag metrics (median cycles, instructions, time_ns "
                       "and events) that grew by more than the threshold. Exit 1 if "
                       "any did, 0 otherwise, 2 on unreadable input.")
    c.add_argument("old")
    c.add_argument("new")
    c.add_argument("--threshold", default="5%",
                   help="percentage, with or without %% (default 5%%)")
    return ap


def main(argv=None):
    if not os.environ.get("BENCHREAD_DEBUG"):
        import warnings
        warnings.simplefilter("ignore")   # library warnings are not for our users
    args = make_parser().parse_args(argv)
    handler = {"qemu": cmd_qemu, "serial": cmd_serial, "file": cmd_file,
               "compare": cmd_compare}[args.command]
    try:
        return handler(args)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as e:  # never a traceback for users
        if os.environ.get("BENCHREAD_DEBUG"):
            raise
        print(f"error: internal error: {type(e).__name__}: {e} "
              "(set BENCHREAD_DEBUG=1 for details)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
