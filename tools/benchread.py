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

Hostile input (a garbled serial line, a corrupted log) is a bad line, skipped
with a one-line warning while the rest of the run is kept: invalid JSON, a
line over MAX_LINE bytes, nesting deeper than MAX_DEPTH, a number that is
NaN/Infinity or not below NUM_LIMIT in magnitude, a duplicate key, a string or
key that is not clean text (lone surrogate, control character, invalid UTF-8),
a field of the wrong type or a negative count. Reading is linear in the input.
"""

import argparse
import array
import csv
import itertools
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
_MARKER_BYTES = re.compile(rb"(?<![A-Za-z0-9_-])BENCH(-BEGIN|-END)?(?= )")
_KINDS = {None: "BENCH", "-BEGIN": "BENCH-BEGIN", "-END": "BENCH-END"}
_SPACES = re.compile(r" *")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")

# Limits on hostile input (a garbled serial line, a corrupted log). The
# kernel's lines are under 2 KiB, nest 2 levels deep and hold 64-bit
# unsigned integers; anything beyond these limits is a bad line.
MAX_LINE = 1 << 20          # bytes in one console line; longer lines are skipped
MAX_DEPTH = 16              # nesting of [] and {} in one BENCH payload
MAX_KEYS = 256              # entries in params, events, counters, per
NUM_LIMIT = 1 << 64         # |number| must be below this (the kernel prints u64)
MAX_WARN_PER_LINE = 5       # more problems on one line are summed up
MAX_PLOT_PANELS = 64        # a benchmark needing more panels is not plotted
PER_EXTRA = ("faults_milli", "tlbi_milli")   # per-unit figures shown in report.md

# A JSON string, or an unterminated one running to the end of the text: it
# always matches, so a scan with it never backtracks (linear in the text).
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")   # +1, +1, -1, -1 as int8
_CTRL_CHAR = re.compile(r"[\x00-\x1f\x7f]")
_BAD_TEXT = re.compile(r"[\ud800-\udfff]|[\x00-\x1f\x7f]|\ufffd")


class BenchError(Exception):
    """A fatal problem, reported as one line 'error: <message>'."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------ JSON payloads
class _BadNumber:
    """Stands in for a JSON number the reader refuses (NaN, Infinity, out of
    range): the payload is then rejected naming the field (see check_tree)."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def describe(self):
        t = self.text.lstrip("-")
        if t in ("NaN", "Infinity"):
            return f"{self.text}, which is not a number"
        what = "digits" if t.isdigit() else "characters"
        shown = self.text if len(self.text) <= 24 else f"{self.text[:12]}... ({len(t)} {what})"
        return f"a number out of range ({shown})"


class _PayloadError(Exception):
    """A payload problem found while decoding (raised from a decoder hook)."""


def _parse_int(text):
    # Never int() a long digit string: slow (quadratic) and, above 4300
    # digits, a ValueError in Python >= 3.11.
    if len(text) > 21:
        return _BadNumber(text)
    v = int(text)
    return v if -NUM_LIMIT < v < NUM_LIMIT else _BadNumber(text)


def _parse_float(text):
    v = float(text)
    return v if math.isfinite(v) and -NUM_LIMIT < v < NUM_LIMIT else _BadNumber(text)


def _object(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _PayloadError(f"duplicate key '{show(k)}'")
            seen.add(k)
    return d


_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float,
                            parse_constant=_BadNumber, object_pairs_hook=_object)


def show(text, limit=60):
    """Input text made safe for a one-line message: short, no control
    characters, no lone surrogates."""
    t = str(text)
    cut = len(t) > limit
    t = t[:limit].encode("utf-8", "backslashreplace").decode("utf-8")
    t = _CTRL_CHAR.sub(lambda m: "\\x%02x" % ord(m.group()), t)
    return t + "..." if cut else t


def nesting_depth_exceeds(text, limit=MAX_DEPTH):
    """True if the JSON value at the start of text nests [] and {} deeper than
    limit before it closes (or the text ends). Strings are skipped; the rest
    of the text is ignored, as raw_decode() ignores it. Linear in len(text),
    with the per-bracket work done in C (accumulate over +1/-1 steps)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if len(brackets) <= limit:
        return False
    steps = array.array("b", brackets.encode("ascii").translate(_BRACKET_STEPS))
    depth = 0
    for i in range(0, len(steps), 1 << 16):
        depths = list(itertools.accumulate(steps[i:i + (1 << 16)], initial=depth))[1:]
        if 0 in depths:                       # the value closed here
            return max(depths[:depths.index(0)], default=0) > limit
        if max(depths) > limit:
            return True
        depth = depths[-1]
    return False


def decode_payload(text, whole=False):
    """Decode the JSON value at the start of text (trailing text is ignored
    unless whole). Return (value, None) or (None, problem). Nesting is
    limited; numbers beyond the limits become _BadNumber (see check_tree)."""
    if len(text) > MAX_LINE:
        return None, f"longer than {MAX_LINE} bytes"
    if nesting_depth_exceeds(text):
        return None, f"nested deeper than {MAX_DEPTH} levels"
    try:
        obj, end = _DECODER.raw_decode(text)
        if whole and text[end:].strip():
            return None, "invalid JSON"
    except _PayloadError as e:
        return None, str(e)
    except (ValueError, RecursionError):
        return None, "invalid JSON"
    return obj, None


def _text_problem(t):
    m = _BAD_TEXT.search(t)
    if m is None:
        return None
    c = m.group()
    if "\ud800" <= c <= "\udfff":
        return "is not valid Unicode (lone surrogate)"
    if c == "\ufffd":
        return "holds bytes that are not valid UTF-8 (line garbled?)"
    return "holds control characters"


def check_tree(obj):
    """Return None if every number in obj is finite and in range and every
    string (keys included) is clean text, else the problem naming the field."""
    # Fast pass without paths (the common case: nothing wrong); the slow
    # pass below only runs to name the field of a problem.
    strings, stack = [], [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            strings.extend(o)
            stack.extend(o.values())
        elif isinstance(o, list):
            stack.extend(o)
        elif isinstance(o, str):
            strings.append(o)
        elif isinstance(o, _BadNumber):
            break
    else:
        if not _BAD_TEXT.search("".join(strings)):
            return None
    stack = [(obj, "")]
    while stack:
        o, path = stack.pop()
        if isinstance(o, dict):
            items = []
            for k, v in o.items():
                sub = f"{path}.{show(k)}" if path else show(k)
                problem = _text_problem(k)
                if problem:
                    return f"key '{sub}' {problem}"
                items.append((v, sub))
            stack.extend(reversed(items))
        elif isinstance(o, list):
            stack.extend(reversed([(v, f"{path}[{i}]") for i, v in enumerate(o)]))
        elif isinstance(o, str):
            problem = _text_problem(o)
            if problem:
                return f"field '{path}' {problem}"
        elif isinstance(o, _BadNumber):
            return f"field '{path}' holds {o.describe()}"
    return None


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
def _is_count(x):
    return _is_num(x) and x >= 0


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
        if k in s and s[k] < 0:
            return f"field '{field}.{k}' must not be negative"
    return None


def validate_result(obj):
    """Return None if obj is a usable schema-1 BENCH result, else the problem.
    Expects a decoded payload that passed check_tree (see decode_payload)."""
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
    if obj["reps"] < 1:
        return "field 'reps' must be a positive integer"
    for f in ("machine", "cpu"):
        if f in obj and not isinstance(obj[f], str):
            return f"field '{f}' must be a string"
    if "icount" in obj and not isinstance(obj["icount"], bool):
        return "field 'icount' must be true or false"
    if obj.get("baseline") is not None and not isinstance(obj["baseline"], str):
        return "field 'baseline' must be a variant name"
    for f in ("params", "events", "counters", "per"):
        if len(obj[f]) > MAX_KEYS:
            return f"field '{f}' has more than {MAX_KEYS} entries"
    for k, v in obj["params"].items():
        if isinstance(v, (dict, list)):
            return f"field 'params.{show(k)}' must be a scalar"
    for k, v in obj["events"].items():
        if not _is_num(v):
            return f"field 'events.{show(k)}' must be a number"
        if v < 0:
            return f"field 'events.{show(k)}' must not be negative"
    for k, v in obj["counters"].items():
        if not isinstance(v, str):
            return f"field 'counters.{show(k)}' must be a string"
    problem = (_check_stats(obj, "cycles", True) or _check_stats(obj, "instructions", False)
               or _check_stats(obj, "time_ns", False))
    if problem:
        return problem
    per = obj["per"]
    if not isinstance(per.get("unit"), str) or not per.get("unit"):
        return "field 'per.unit' must be a non-empty string"
    if not _is_num(per.get("count")) or per["count"] <= 0:
        return "field 'per.count' must be a positive number"
    for k in PER_EXTRA:
        if k in per and not _is_count(per[k]):
            return f"field 'per.{k}' must be a number >= 0"
    return None


def validate_begin(obj):
    """None if a schema-1 BENCH-BEGIN payload is usable, else the problem."""
    if "arch" in obj and not isinstance(obj["arch"], str):
        return "field 'arch' must be a string"
    sel = obj.get("selected")
    if sel is not None and (not isinstance(sel, list)
                            or not all(isinstance(n, str) for n in sel)):
        return "field 'selected' must be a list of benchmark names"
    return None


def validate_end(obj):
    """None if a schema-1 BENCH-END payload is usable, else the problem."""
    n = obj.get("count")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        return "missing or invalid 'count' (must be an integer >= 0)"
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
    """Streaming reader: feed_line()/feed_bytes(), then finish().

    Bad input never raises: a bad line (invalid or garbled JSON, a payload
    nested too deeply, a number out of range, NaN, a duplicate key, a string
    that is not clean UTF-8 text, a field of the wrong type, a line longer
    than MAX_LINE) is skipped with a one-line warning. The work is linear in
    the input."""

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
        self._buf = bytearray()    # the current line, while shorter than MAX_LINE
        self._over = None          # (bytes so far, had a BENCH marker) once longer
        self._no_begin_warned = False
        self._finished = False
        self._warn_line = None
        self._warn_count = 0

    def warn(self, msg, lineno=None):
        if lineno is not None and lineno == self._warn_line:
            self._warn_count += 1
            if self._warn_count > MAX_WARN_PER_LINE:
                return
        self.warnings.append(f"line {lineno}: {msg}" if lineno else msg)

    # -- input
    def feed_bytes(self, data):
        """Feed raw console bytes (any chunking). Lines are split on b"\\n"
        and decoded as UTF-8 with invalid bytes replaced."""
        data = bytes(data)
        pos, n = 0, len(data)
        while pos < n:
            nl = data.find(b"\n", pos)
            if nl < 0:
                self._add_partial(data, pos, n)
                return
            if not self._buf and self._over is None and nl - pos <= MAX_LINE:
                self.feed_line(data[pos:nl].decode("utf-8", "replace"))
            else:
                self._add_partial(data, pos, nl)
                self._end_line()
            pos = nl + 1

    def _add_partial(self, data, start, end):
        if self._over is not None:
            self._over = (self._over[0] + end - start, self._over[1])
            return
        if len(self._buf) + end - start <= MAX_LINE:
            self._buf += data[start:end]
            return
        # Too long: keep only the length and whether it looked like a BENCH
        # line, so memory and time stay bounded whatever comes.
        head = bytes(self._buf) + data[start:min(end, start + MAX_LINE)]
        self._over = (len(self._buf) + end - start, _MARKER_BYTES.search(head) is not None)
        self._buf = bytearray()

    def _end_line(self):
        if self._over is not None:
            size, bench = self._over
            self._over = None
            self._overlong(size, bench)
        else:
            data = bytes(self._buf)
            self._buf = bytearray()
            self.feed_line(data.decode("utf-8", "replace"))

    def _overlong(self, size, bench):
        self.lineno += 1
        if bench:
            self.bench_lines += 1
            if self.cur is not None:
                self.cur.invalid += 1
        self.warn(f"line longer than {MAX_LINE} bytes ({size} bytes); ignored", self.lineno)

    def feed_line(self, text):
        """Feed one console line (str, without its newline)."""
        if len(text) > MAX_LINE:
            self._overlong(len(text), _MARKER.search(text, 0, MAX_LINE) is not None)
            return
        self.lineno += 1
        ln = self.lineno
        self._warn_line, self._warn_count = ln, 0
        text = _ANSI.sub("", text.replace("\r", ""))
        marks = list(_MARKER.finditer(text))
        if not marks and _CONTROL.search(text):
            self.garbage.append(ln)
        # Each payload ends where the next marker starts: a line cut short and
        # glued to the next one is two payloads, and no payload is scanned
        # twice, so a line costs time linear in its length whatever it holds.
        for i, m in enumerate(marks):
            kind = _KINDS[m.group(1)]
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            start = _SPACES.match(text, m.end(), end).end()
            if start < end and text[start] == "{":
                obj, problem = decode_payload(text[start:end])
            else:
                obj, problem = None, "no JSON object"
            if problem is None:
                self._handle(kind, obj, ln)
                continue
            if kind == "BENCH":
                self.bench_lines += 1
                if self.cur is not None:
                    self.cur.invalid += 1
            if problem in ("invalid JSON", "no JSON object"):
                self.warn(f"invalid JSON after '{kind} ' (line cut short or garbled); "
                          "ignored", ln)
            else:
                self.warn(f"{kind} payload {problem}; ignored", ln)
        if self._warn_count > MAX_WARN_PER_LINE:
            self.warnings.append(f"line {ln}: {self._warn_count - MAX_WARN_PER_LINE} more "
                                 "problem(s) on this line not shown")
        self._warn_line = None

    # -- records
    def _schema_ok(self, kind, obj, ln):
        if not isinstance(obj, dict):
            self.warn(f"{kind} payload is not a JSON object; ignored", ln)
            return False
        v = obj.get("schema")
        if _is_num(v) and v == SCHEMA:
            return True
        if v is None:
            self.warn(f"{kind} has no 'schema' field; ignored", ln)
        elif not _is_num(v):
            self.warn(f"{kind} has an invalid 'schema' field (not a version number); "
                      "ignored", ln)
        else:
            msg = (f"line {ln}: {kind} has schema version {v!r}; {TOOL} only understands "
                   f"schema version {SCHEMA}")
            if msg not in self.fatal:
                self.fatal.append(msg)
        return False

    def _handle(self, kind, obj, ln):
        if kind == "BENCH":
            self.bench_lines += 1
        if not self._schema_ok(kind, obj, ln):
            if kind == "BENCH" and self.cur is not None:
                self.cur.invalid += 1
            return
        if kind == "BENCH":
            self._result(obj, ln)
            return
        problem = check_tree(obj) or (validate_begin(obj) if kind == "BENCH-BEGIN"
                                      else validate_end(obj))
        if problem:
            self.warn(f"{kind} skipped: {problem}", ln)
            return
        if kind == "BENCH-BEGIN":
            cur = self.cur
            if cur is not None and cur.begin is not None and canon(cur.begin) == canon(obj) \
                    and not cur.results:
                self.duplicates += 1          # resent BEGIN
                return
            self.cur = _Run(obj, ln)
            self.runs.append(self.cur)
        else:
            last = self.runs[-1] if self.runs else None
            if self.cur is None and last is not None and last.end is not None \
                    and canon(last.end) == canon(obj):
                self.duplicates += 1          # resent END
                return
            if self.cur is None:
                self.cur = _Run()
                self.runs.append(self.cur)
            self.cur.end, self.cur.end_line = obj, ln
            self.cur = None
            self.end_seen = True

    def _result(self, obj, ln):
        problem = check_tree(obj)      # before canon(): _BadNumber is not JSON
        key = None if problem else canon(obj)
        if self.cur is None:
            last = self.runs[-1] if self.runs else None
            if key is not None and last is not None and key in last.seen:
                self.duplicates += 1          # resent after END
                return
            if not self._no_begin_warned:
                self._no_begin_warned = True
                self.warn("BENCH result outside BENCH-BEGIN/BENCH-END "
                          "(capture started late?)", ln)
            self.cur = _Run()
            self.runs.append(self.cur)
        run = self.cur
        if key is not None and key in run.seen:
            self.duplicates += 1
            return
        problem = problem or validate_result(obj)
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
        if self._buf or self._over is not None:
            n_before = len(self.warnings)
            self._end_line()
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
                    self.warnings.append(f"line {ln}: {show(describe(obj), 200)} reported "
                                         "again with different figures; keeping the later one")
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
        missing = list(dict.fromkeys(n for n in selected if n not in names)) \
            if isinstance(selected, list) else []
        miss = f"; no result at all for: {show(', '.join(missing), 200)}" if missing else ""
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
    """Markdown tables per benchmark. Results run under QEMU -icount (their
    "cycles" are instruction counts) and results from hardware counters are
    never put in one column: each kind gets its own set of tables."""
    kinds = {bool(r.get("icount")) for r in results}
    if len(kinds) > 1:
        out = []
        for ic in (True, False):
            part = [r for r in results if bool(r.get("icount")) == ic]
            out.append("# " + ("QEMU -icount: cycles are instruction counts" if ic else
                               "Hardware counters: cycles are the CPU's cycle counter"))
            out.append("")
            out.append(_render_tables(part, warnings_out))
        return "\n".join(out)
    return _render_tables(results, warnings_out)


def _render_tables(results, warnings_out=None):
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
        events = list(dict.fromkeys(e for r in group for e in r["events"]))
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
        # faults_milli counts resolved faults (EV_FAULT_RESOLVED); say so.
        per_extra = [(k, {"faults": "resolved faults"}.get(k.split("_")[0], k.split("_")[0]))
                     for k in PER_EXTRA
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
    pkeys = list(dict.fromkeys(k for r in results for k in r["params"]))
    ekeys = list(dict.fromkeys(k for r in results for k in r["events"]))
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
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name[:100]).strip("._") or "bench"


def _label(text, limit=80):
    """Input text for matplotlib: short, and '$' is not a mathtext delimiter."""
    t = str(text)
    t = t[:limit] + "..." if len(t) > limit else t
    return t.replace("$", r"\$")


def _size_param(group):
    """A numeric parameter with 'size' in its name that varies, or None."""
    for k in dict.fromkeys(k for r in group for k in r["params"]):
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


class _SkipPlot(Exception):
    pass


def write_plots(results, outdir, warnings_out=None):
    """One figure per benchmark name: plots/<name>.png and .svg. Returns paths.
    A benchmark too big to draw is skipped, saying why in warnings_out."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")    # matplotlib/pyparsing deprecation noise
        return _write_plots(results, outdir, warnings_out)


def _write_plots(results, outdir, warnings_out=None):
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
        try:
            fig = _family_figure(plt, name, group)
        except _SkipPlot as e:
            if warnings_out is not None:
                warnings_out.append(f"no plot for {show(name)}: {e}")
            continue
        base = os.path.join(pdir, _safe(name))
        for ext in ("png", "svg"):
            fig.savefig(f"{base}.{ext}", dpi=110, bbox_inches="tight")
            written.append(f"{base}.{ext}")
        plt.close(fig)
    return written


TLBI_EVENTS = ("tlbi_page", "tlbi_range", "tlbi_sinval", "tlbi_asid", "tlbi_all")


def _tlbi_total(r):
    ev = r.get("events") or {}
    if not any(k in ev for k in TLBI_EVENTS):
        return None     # counts no invalidates (e.g. a Linux peer): no point, not a zero
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
    if len(keys) > MAX_PLOT_PANELS:
        raise _SkipPlot(f"{len(keys)} parameter groups, more than {MAX_PLOT_PANELS} panels")
    if len({r["variant"] for r in group}) > MAX_PLOT_PANELS:
        raise _SkipPlot(f"more than {MAX_PLOT_PANELS} variants")
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
                ax.set_ylabel(f"median {metric} / op\n({_label(', '.join(sources))})")
            if size_key:
                for var in dict.fromkeys(r["variant"] for r in rs):
                    pts = sorted((r["params"][size_key], val(r)) for r in rs
                                 if r["variant"] == var and val(r) is not None)
                    if pts:
                        h, = ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                                     label=_label(var))
                        handles.setdefault(var, h)
                xs = [r["params"][size_key] for r in rs]
                if min(xs) > 0 and max(xs) / min(xs) >= 8:
                    ax.set_xscale("log", base=2)
                unit = _unit_of(size_key)
                ax.set_xlabel(_label(size_key) + (f" ({unit})" if unit else ""))
            else:
                vs = [r for r in rs if val(r) is not None]
                cmap = plt.get_cmap("tab10")
                for i, r in enumerate(vs):
                    h = ax.bar(i, val(r), color=cmap(i % 10), label=_label(r["variant"]))
                    handles.setdefault(r["variant"], h)
                ax.set_xticks(range(len(vs)))
                ax.set_xticklabels([_label(r["variant"]) for r in vs], rotation=30, ha="right",
                                   fontsize="small")
            title = ", ".join(f"{k}={v}" for k, v in key) or name
            ax.set_title(_label(title), fontsize="small")
            ax.grid(True, axis="y", alpha=0.3)
    for k in range(len(keys), nrows_per * ncols):
        for ri in range(len(rows)):
            axes[ri * nrows_per + k // ncols][k % ncols].set_visible(False)
    targets = sorted({f"{r['arch']}/{r.get('machine', '?')}/{r.get('cpu', '?')}" for r in group})
    fig.suptitle(_label(f"{name} - {', '.join(targets)}", 160)
                 + ("\nQEMU -icount shift=0: cycles are instruction counts, not real TLB costs"
                    if icount else ""), fontsize="medium")
    if size_key and handles:
        fig.legend(list(handles.values()), [_label(h) for h in handles], loc="lower center",
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
        obj, problem = decode_payload(line.strip(), whole=True)
        if problem:
            raise BenchError(f"{path} line {i}: {problem}", 2)
        v = obj.get("schema") if isinstance(obj, dict) else None
        if not (_is_num(v) and v == SCHEMA):
            v = v.text if isinstance(v, _BadNumber) else v
            raise BenchError(f"{path} line {i}: schema version {show(repr(v))} is not "
                             f"supported ({TOOL} understands {SCHEMA})", 2)
        problem = check_tree(obj) or validate_result(obj)
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


def compare(old, new, threshold, skip=()):
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
            if metric not in mn or metric in skip:
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
    mixed = {bool(r.get("icount")) for r in old} != {bool(r.get("icount")) for r in new}
    if mixed:
        warn("one side ran under QEMU -icount (cycles are instruction counts) and the other "
             "did not: cycles and time are not compared, only instructions and events")
    regs, imps, same, only_old, only_new = compare(old, new, thr,
                                                   skip=("cycles", "time_ns") if mixed else ())
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
    plots, plot_warnings = [], []
    try:
        plots = write_plots(results, outdir, plot_warnings)
    except PlotsUnavailable as e:
        warn(str(e))
    except Exception as e:  # matplotlib is not ours: the other outputs stand
        errors.append(f"cannot draw the plots: {type(e).__name__}: {show(e, 200)}")
    for w in plot_warnings:
        warn(w)
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
    q.add_argument("--arch", required=True, choices=["arm64", "riscv64", "arm"])
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
