#!/usr/bin/python3
"""Streaming parser for KTAP version 1 (Linux Documentation/dev-tools/ktap.rst).

The testbed kernel prints KTAP mixed with other console output. Feed the
parser one console line at a time; every call returns the events that line
completed:

    p = KtapParser()
    for line in console:
        for ev in p.feed(line):
            ...                     # StreamStarted, SuiteStarted, CaseResult,
                                    # SuiteFinished, BailOut, KtapError
    summary = p.finish()            # final validation, returns Summary
    summary.as_dict()  ->  {"passed":..,"failed":..,"skipped":..,"errors":[..]}

Accepted syntax
  * header   ``KTAP version 1`` (``TAP version 13/14`` is accepted too)
  * plan     ``1..N``
  * result   ``ok|not ok <n> [- ]<description> [# SKIP|# TODO <reason>]``
  * nesting  4 spaces of indentation per level; ``# Subtest: <name>`` names the
             nested suite and may come before or after its header, at the
             nested or at the parent's indentation.  The parent's result line
             (``ok 1 boot``) closes the nested suite and is the suite's own
             result.
  * ``Bail out! <reason>`` ends the stream (reported as an error).
  * ``# ...`` diagnostics; the diagnostics printed since the previous result
    become the reason of a failing case that gives no reason itself.
  Every other line is console noise and ignored.  CR, NUL and ANSI colour
  sequences are removed before parsing.

Counting: leaf test cases only.  The result of a suite that has nested
results is the suite's own result and not counted; a result without nested
results (top-level or nested) counts as one case.  ``# TODO`` is counted as
skipped.  Case paths join the suite names with dots: ``mmu.write_fault``.

Errors (Summary.errors, also streamed as KtapError events): no KTAP header,
missing plan, result count not matching the plan, numbering out of sequence,
results after the final one, a suite whose own result disagrees with its
cases, a second KTAP stream, bail out, run cut short inside a suite.

Run as a script to check a saved log:  tools/ktap.py console.log
"""

import re
import sys
from dataclasses import dataclass, field
from typing import List, Optional

PASS, FAIL, SKIP = "pass", "fail", "skip"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_VERSION = re.compile(r"^(K?TAP) version (\S+)$")
_PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#\s*(.*))?$")
_RESULT = re.compile(r"^(ok|not ok)\s+(\d+)(?:\s+(.*))?$")
_DIRECTIVE = re.compile(r"(?:^|\s)#\s*(SKIP|TODO)\S*(?:\s+(.*))?$", re.IGNORECASE)
_BAIL = re.compile(r"^Bail out!\s*(.*)$", re.IGNORECASE)
_SUBTEST = re.compile(r"^#\s*Subtest:\s*(.*)$")

SUPPORTED_VERSIONS = {("KTAP", "1"), ("TAP", "13"), ("TAP", "14")}


# --------------------------------------------------------------------- events
@dataclass
class StreamStarted:
    lineno: int
    version: str


@dataclass
class SuiteStarted:
    path: str
    name: str
    depth: int
    lineno: int


@dataclass
class CaseResult:
    path: str
    status: str           # pass / fail / skip
    reason: str
    number: int
    depth: int
    lineno: int
    directive: str = ""   # "", "SKIP" or "TODO"


@dataclass
class SuiteFinished:
    path: str
    name: str
    depth: int
    status: str           # pass / fail / skip / incomplete
    passed: int
    failed: int
    skipped: int
    reason: str
    lineno: int

    @property
    def total(self):
        return self.passed + self.failed + self.skipped


@dataclass
class BailOut:
    reason: str
    lineno: int


@dataclass
class KtapError:
    message: str
    lineno: Optional[int]


@dataclass
class Summary:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    cases: List[CaseResult] = field(default_factory=list)
    started: bool = False
    complete: bool = False
    bailed_out: Optional[str] = None

    @property
    def total(self):
        return self.passed + self.failed + self.skipped

    @property
    def ok(self):
        return self.failed == 0 and not self.errors

    def failing_cases(self):
        return [c for c in self.cases if c.status == FAIL]

    def as_dict(self):
        return {"passed": self.passed, "failed": self.failed,
                "skipped": self.skipped, "errors": list(self.errors)}


# --------------------------------------------------------------------- parser
class _Suite:
    def __init__(self, depth, name, parent):
        self.depth = depth
        self.name = name
        self.parent = parent
        self.plan = None
        self.count = 0            # result lines recorded at this level
        self.version_seen = False
        self.pending_name = None  # from "# Subtest:" for the next child
        self.diag = []            # diagnostics since the previous result
        self.passed = self.failed = self.skipped = 0
        self.errors = 0

    @property
    def path(self):
        if self.parent is None:
            return ""
        base = self.parent.path
        name = self.name if self.name is not None else "<unnamed>"
        return f"{base}.{name}" if base else name

    def label(self):
        return f"suite '{self.path}'" if self.parent is not None else "top level"

    def join(self, name):
        base = self.path
        return f"{base}.{name}" if base else name


def _clean(line):
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    line = line.replace("\r", "").replace("\x00", "").rstrip("\n")
    line = _ANSI.sub("", line)
    return line.rstrip().expandtabs(8)


def _classify(body):
    m = _VERSION.match(body)
    if m:
        return "version", m
    m = _PLAN.match(body)
    if m:
        return "plan", m
    m = _RESULT.match(body)
    if m:
        return "result", m
    m = _BAIL.match(body)
    if m:
        return "bail", m
    m = _SUBTEST.match(body)
    if m:
        return "subtest", m
    if body.startswith("#"):
        return "diag", None
    return None, None


def _split_description(rest):
    """'- name # SKIP why' -> (name, directive, reason, comment)."""
    rest = (rest or "").strip()
    directive, reason, comment = "", "", ""
    m = _DIRECTIVE.search(rest)
    if m:
        directive = m.group(1).upper()
        reason = (m.group(2) or "").strip()
        rest = rest[:m.start()].strip()
    elif " # " in rest:
        rest, comment = rest.split(" # ", 1)
        rest, comment = rest.strip(), comment.strip()
    if rest.startswith("- "):
        rest = rest[2:].strip()
    elif rest == "-":
        rest = ""
    return rest, directive, reason, comment


class KtapParser:
    """Feed console lines with feed(); call finish() at the end."""

    def __init__(self):
        self.lineno = 0
        self.started = False
        self.done = False          # top-level plan satisfied
        self.bailed = None
        self.base_indent = 0
        self.root = None
        self.stack = []
        self.summary = Summary()
        self._held = []            # event factories waiting for suite names
        self._out = []
        self._orphans = 0          # KTAP-looking lines before any header
        self._finished = False
        self._ignore_rest = False

    # ------------------------------------------------------------ emission
    def _names_known(self):
        return all(s.name is not None for s in self.stack[1:])

    def _emit(self, factory):
        self._held.append(factory)
        if self._names_known():
            self._flush()

    def _flush(self):
        held, self._held = self._held, []
        for make in held:
            ev = make()
            if isinstance(ev, CaseResult):
                self.summary.cases.append(ev)
            self._out.append(ev)

    def _error(self, msg, lineno=None):
        text = f"line {lineno}: {msg}" if lineno else msg
        self.summary.errors.append(text)
        self._out.append(KtapError(text, lineno))

    def _warn(self, msg, lineno=None):
        self.summary.warnings.append(f"line {lineno}: {msg}" if lineno else msg)

    # ------------------------------------------------------------ structure
    def _open_child(self, lineno, name=None):
        parent = self.stack[-1]
        child = _Suite(parent.depth + 1, name or parent.pending_name, parent)
        parent.pending_name = None
        self.stack.append(child)
        self._emit(lambda s=child, ln=lineno:
                   SuiteStarted(s.path, s.name, s.depth, ln))
        return child

    def _open_to(self, depth, lineno):
        while self.stack[-1].depth < depth:
            self._open_child(lineno)
        return self.stack[-1]

    def _check_plan(self, suite, lineno, result_skip=False):
        if suite.plan is None:
            if suite.count or not result_skip:
                self._error(f"{suite.label()}: missing plan line (1..N)", lineno)
                suite.errors += 1
        elif suite.count < suite.plan:
            missing = (f"test {suite.plan}" if suite.count + 1 == suite.plan
                       else f"tests {suite.count + 1}..{suite.plan}")
            self._error(f"{suite.label()}: plan 1..{suite.plan} but only "
                        f"{suite.count} result(s) (missing {missing})", lineno)
            suite.errors += 1

    def _pop(self, suite):
        assert self.stack[-1] is suite
        self.stack.pop()
        p = suite.parent
        p.passed += suite.passed
        p.failed += suite.failed
        p.skipped += suite.skipped
        p.errors += suite.errors

    def _abandon(self, suite, lineno, why):
        """Close a nested suite that never got its result line."""
        if suite.name is None:
            suite.name = "<unnamed>"
        if why:
            self._error(f"{suite.label()}: {why}", lineno)
            suite.errors += 1
        self._pop(suite)
        self._emit(lambda s=suite, ln=lineno: SuiteFinished(
            s.path, s.name, s.depth, "incomplete", s.passed, s.failed,
            s.skipped, why, ln))

    # ------------------------------------------------------------ feeding
    def feed(self, line):
        """Parse one console line; return the list of completed events."""
        self.lineno += 1
        self._out = []
        if self._finished or self._ignore_rest:
            return []
        text = _clean(line)
        body = text.strip()
        if not body:
            return []
        kind, m = _classify(body)
        if kind is None:
            return []
        ln = self.lineno
        indent = len(text) - len(text.lstrip(" "))

        if self.bailed is not None:
            return []

        if not self.started:
            if kind == "version":
                if (m.group(1), m.group(2)) not in SUPPORTED_VERSIONS:
                    self._error(f"unsupported version '{body}' "
                                "(expected 'KTAP version 1')", ln)
                    return self._out
                self.started = True
                self.summary.started = True
                self.base_indent = indent
                self.root = _Suite(0, "", None)
                self.root.version_seen = True
                self.stack = [self.root]
                self._out.append(StreamStarted(ln, body))
            elif kind in ("plan", "result"):
                self._orphans += 1
            return self._out

        if indent < self.base_indent:
            return []       # less indented than the header: not ours
        depth = (indent - self.base_indent) // 4

        if self.done:
            if kind == "result":
                self._error(f"result after the final one (plan 1..{self.root.plan}): "
                            f"'{body}'", ln)
            elif kind == "version" and depth == 0:
                self._error("a second KTAP stream starts here; ignoring it", ln)
                self._ignore_rest = True
            elif kind == "bail":
                self._bail(m, ln)
            return self._out

        handler = getattr(self, "_on_" + kind)
        handler(m, depth, body, ln)
        return self._out

    def _on_diag(self, m, depth, body, ln):
        d = min(depth, self.stack[-1].depth)
        text = body[1:].strip()
        if text:
            self.stack[d].diag.append(text)

    def _bail(self, m, ln):
        reason = m.group(1).strip() or "(no reason given)"
        self.bailed = reason
        self.summary.bailed_out = reason
        while len(self.stack) > 1:
            self._abandon(self.stack[-1], ln, "")
        self._out.append(BailOut(reason, ln))
        self._error(f"bail out: {reason}", ln)

    def _on_bail(self, m, depth, body, ln):
        self._bail(m, ln)

    def _on_subtest(self, m, depth, body, ln):
        name = m.group(1).strip() or None
        cur = self.stack[-1]
        if depth > cur.depth:
            self._open_to(depth - 1, ln)
            self._open_child(ln, name)
        elif depth == cur.depth and cur.parent is not None and cur.name is None \
                and cur.count == 0:
            cur.name = name
            if self._names_known():
                self._flush()
        else:
            self.stack[depth].pending_name = name

    def _on_version(self, m, depth, body, ln):
        cur = self.stack[-1]
        if (m.group(1), m.group(2)) not in SUPPORTED_VERSIONS:
            self._warn(f"nested header '{body}' is not 'KTAP version 1'", ln)
        if depth > cur.depth:
            self._open_to(depth, ln).version_seen = True
        elif depth == cur.depth and cur.parent is not None \
                and not cur.version_seen and cur.count == 0 and cur.plan is None:
            cur.version_seen = True
        elif depth == 0 and cur.parent is None and cur.count == 0 \
                and cur.plan is None:
            self._warn("repeated 'KTAP version' header", ln)
        else:
            self._error(f"unexpected '{body}' inside {self.stack[min(depth, cur.depth)].label()}",
                        ln)

    def _on_plan(self, m, depth, body, ln):
        cur = self.stack[-1]
        if depth > cur.depth:
            cur = self._open_to(depth, ln)
        elif depth < cur.depth:
            self._error(f"plan '{body}' at the wrong indentation "
                        f"(inside {cur.label()})", ln)
            return
        n = int(m.group(1))
        if cur.plan is not None:
            self._error(f"{cur.label()}: second plan line '{body}' "
                        f"(already 1..{cur.plan})", ln)
            return
        cur.plan = n
        if cur.count > n:
            self._error(f"{cur.label()}: trailing plan 1..{n} but {cur.count} "
                        "results were reported", ln)
        elif cur is self.root and cur.count == n:
            self.done = True

    def _on_result(self, m, depth, body, ln):
        cur = self.stack[-1]
        if depth > cur.depth:
            cur = self._open_to(depth, ln)
        closed = None
        if depth < cur.depth:
            # results of deeper suites are over: the innermost ones that
            # never got a result line are abandoned, stack[depth+1] is the
            # suite this result line belongs to.
            while self.stack[-1].depth > depth + 1:
                self._abandon(self.stack[-1], ln,
                              "no result line for this suite")
            closed = self.stack[-1]
        owner = self.stack[depth]

        ok = m.group(1) == "ok"
        number = int(m.group(2))
        desc, directive, reason, comment = _split_description(m.group(3))
        if not desc:
            desc = closed.name if closed is not None and closed.name else f"#{number}"

        if directive:
            status = SKIP
            reason = f"TODO: {reason}" if directive == "TODO" and reason else reason
        else:
            status = PASS if ok else FAIL
        if not reason and status == FAIL:
            diag = owner.diag if closed is None else (closed.diag + owner.diag)
            reason = " | ".join(diag[-3:]) or comment
        owner.diag = []
        owner.pending_name = None

        expected = owner.count + 1
        if number != expected:
            self._error(f"{owner.label()}: test number {number} out of sequence "
                        f"(expected {expected})", ln)
        owner.count += 1
        if owner.plan is not None and owner.count > owner.plan:
            self._error(f"{owner.label()}: result after the final one "
                        f"(plan 1..{owner.plan}): '{body}'", ln)

        if closed is not None and closed.count == 0 and closed.plan in (None, 0):
            # a nested header without any nested result: the result line is
            # a case of its own (e.g. "1..0" then "ok 3 alloc # SKIP no numa")
            if closed.plan is None and status != SKIP:
                self._check_plan(closed, ln)
            if closed.name is None:
                closed.name = desc
            self._pop(closed)
            self._leaf(owner, desc, status, reason, number, directive, ln)
            self._emit(lambda s=closed, st=status, r=reason, ln=ln:
                       SuiteFinished(s.path, s.name, s.depth, st,
                                     int(st == PASS), int(st == FAIL),
                                     int(st == SKIP), r, ln))
        elif closed is not None:
            self._close_with_result(closed, desc, status, reason, ln)
        else:
            self._leaf(owner, desc, status, reason, number, directive, ln)

        if owner is self.root and owner.plan is not None \
                and owner.count >= owner.plan:
            self.done = True

    def _leaf(self, owner, desc, status, reason, number, directive, ln):
        if status == PASS:
            owner.passed += 1
        elif status == FAIL:
            owner.failed += 1
        else:
            owner.skipped += 1
        self._emit(lambda o=owner, d=desc, st=status, r=reason, n=number,
                   dv=directive, ln=ln:
                   CaseResult(o.join(d), st, r, n, o.depth + 1, ln, dv))

    def _close_with_result(self, suite, desc, status, reason, ln):
        if suite.name is None:
            suite.name = desc
        elif desc != suite.name:
            self._warn(f"result '{desc}' closes suite '{suite.name}'", ln)
        self._check_plan(suite, ln, result_skip=(status == SKIP))
        if status == PASS and suite.failed:
            self._error(f"{suite.label()} reported ok but {suite.failed} of its "
                        "case(s) failed", ln)
            suite.errors += 1
        elif status == FAIL and not suite.failed and not suite.errors:
            why = f" ({reason})" if reason else ""
            self._error(f"{suite.label()} reported not ok although none of its "
                        f"cases failed{why}", ln)
            suite.errors += 1
        self._pop(suite)
        self._emit(lambda s=suite, st=status, r=reason, ln=ln:
                   SuiteFinished(s.path, s.name, s.depth, st, s.passed,
                                 s.failed, s.skipped, r, ln))

    # ------------------------------------------------------------ the end
    def finish(self):
        """Validate the whole stream and return the Summary (idempotent)."""
        if self._finished:
            return self.summary
        self._out = []
        if not self.started:
            extra = (f" ({self._orphans} result/plan line(s) seen without it)"
                     if self._orphans else "")
            self._error(f"no 'KTAP version 1' header found in the output{extra}")
        elif self.bailed is None:
            while len(self.stack) > 1:
                s = self.stack[-1]
                got = f"{s.count} of {s.plan}" if s.plan is not None else f"{s.count}"
                self._abandon(s, None, f"run cut short inside this suite "
                                       f"({got} result(s))")
            root = self.root
            if root.plan is None:
                self._error("missing top-level plan line (1..N)")
            elif root.count < root.plan:
                missing = (f"test {root.plan}" if root.count + 1 == root.plan
                           else f"tests {root.count + 1}..{root.plan}")
                self._error(f"run cut short: {root.count} of {root.plan} "
                            f"top-level results (missing {missing})")
        self._flush()
        if self.root is not None:
            self.summary.passed = self.root.passed
            self.summary.failed = self.root.failed
            self.summary.skipped = self.root.skipped
        self.summary.complete = self.started and not self.summary.errors
        self._finished = True
        self.final_events = self._out
        return self.summary


def parse_lines(lines):
    """Parse an iterable of lines; return (events, summary)."""
    p = KtapParser()
    events = []
    for line in lines:
        events.extend(p.feed(line))
    summary = p.finish()
    events.extend(p.final_events)
    return events, summary


def parse_text(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return parse_lines(text.split("\n"))


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description="Check a console log containing KTAP.")
    ap.add_argument("log", nargs="?", default="-", help="log file (default: stdin)")
    args = ap.parse_args(argv)
    try:
        if args.log == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.log, "rb") as f:
                data = f.read()
    except OSError as e:
        print(f"error: cannot read {args.log}: {e.strerror}", file=sys.stderr)
        return 2
    events, s = parse_text(data)
    for ev in events:
        if isinstance(ev, CaseResult) and ev.status != PASS:
            why = f": {ev.reason}" if ev.reason else ""
            print(f"{ev.status.upper():4} {ev.path}{why}")
    for e in s.errors:
        print(f"error: {e}")
    print(f"skipped: {s.skipped}")
    print(f"{s.passed} passed, {s.failed} failed")
    return 0 if s.ok else 1


if __name__ == "__main__":
    sys.exit(main())
