#!/usr/bin/python3
"""Boot the testbed kernel in QEMU configurations and judge the KTAP results.

The core is importable and testable without QEMU:
  load_conf / parse_conf_text   read tests/qemu.conf
  build_command                 QEMU argv for one configuration
  run_qemu                      start QEMU, stream its lines, enforce a timeout
  judge                         console lines + exit status -> Verdict
"""

import argparse
import fnmatch
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktap  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONF = os.path.join("tests", "qemu.conf")
DEFAULT_TIMEOUT = 60.0
TAIL_LINES = 30
EXIT_GRACE = 10.0      # seconds QEMU may take to exit after the final line

ARCHES = {
    # arch: (qemu binary, Debian package providing it)
    "arm64": ("qemu-system-aarch64", "qemu-system-arm"),
    "riscv64": ("qemu-system-riscv64", "qemu-system-misc"),
    "arm": ("qemu-system-arm", "qemu-system-arm"),
}
# Arches whose runs end through semihosting (exit=semihosting, QEMU -semihosting).
SEMIHOSTING_ARCHES = ("arm64", "arm")

# Board models: the conf's arch field may name a board; it boots the board
# build (make BOARD=<board>) with the board's device tree, taken from Debian's
# kernel package at set-up time (tools/boardfiles.py, cached under build/).
# board: (arch, image under build/<board>/)
BOARDS = {
    "rpi4": ("arm64", "kernel8.img"),
}

STATUS_RE = re.compile(r"TESTBED:\s*status=(\w+)")
STATUS_CODE_RE = re.compile(r"TESTBED:\s*status=\w+ code=(\d+)")
# After its TESTBED line a kernel that cannot power the machine off (no PSCI on
# a Raspberry Pi 4, no SBI reset on sifive_u) says so and parks: the run ends
# there, judged by the TESTBED line, its code standing for the exit status.
PARKED_RE = re.compile(r"^# parked: ")
TOTALS_RE = re.compile(r"^# Totals: pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)\s*$")
REGISTERS_PREFIX = "REGISTERS"


class ConfError(Exception):
    pass


# ------------------------------------------------------------------ config
@dataclass
class Config:
    name: str
    arch: str
    qemu_args: List[str]
    bootargs: str = ""
    lineno: int = 0
    expect_fail: List[str] = field(default_factory=list)
    expect_reject: Optional[str] = None    # regex: boot arguments must be rejected
    expect_line: Optional[str] = None      # regex: a normal run that must print it
    board: Optional[str] = None            # a board model run (BOARDS), else QEMU virt


def parse_conf_text(text, source="qemu.conf"):
    """Parse the configuration file format; raise ConfError on bad lines.

    Lines: 'name | arch | qemu args | boot args [| EXPECTATION]'
    ('|' separates the fields, the boot args field may be empty or missing;
    lines starting with '#' are comments). The optional fifth field (the rest
    of the line, so a regex in it may contain '|') is one of:
      expect-fail GLOB[,GLOB]  expect-fail mode, as --expect-fail does
      expect-reject REGEX      the kernel must reject the boot arguments: a
                               line matching REGEX, status=fail, non-zero exit
      expect-line REGEX        judged as usual, and a line must match REGEX"""
    configs, seen = [], {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("|", 4)]
        if len(fields) == 3:
            fields.append("")
        expect, reject, want_line = [], None, None
        if len(fields) == 5:
            m = re.fullmatch(r"(expect-fail|expect-reject|expect-line)\s+(.+)", fields[4])
            if not m or (m.group(1) == "expect-fail" and re.search(r"\s", m.group(2))):
                raise ConfError(f"{source}:{lineno}: fifth field must be 'expect-fail GLOB', "
                                f"'expect-reject REGEX' or 'expect-line REGEX', "
                                f"got '{fields[4]}'")
            if m.group(1) == "expect-fail":
                expect = [g for g in m.group(2).split(",") if g]
            else:
                try:
                    re.compile(m.group(2))
                except re.error as e:
                    raise ConfError(f"{source}:{lineno}: bad regex '{m.group(2)}': {e}")
                if m.group(1) == "expect-reject":
                    reject = m.group(2)
                else:
                    want_line = m.group(2)
            fields = fields[:4]
        if len(fields) != 4:
            raise ConfError(f"{source}:{lineno}: expected 'name | arch | qemu args | "
                            f"boot args', got {len(fields)} field(s)")
        name, arch, args, boot = fields
        if not name or not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
            raise ConfError(f"{source}:{lineno}: bad configuration name '{name}'")
        board = None
        if arch in BOARDS:
            board, arch = arch, BOARDS[arch][0]
        if arch not in ARCHES:
            raise ConfError(f"{source}:{lineno}: unknown arch '{arch}' "
                            f"(known: {', '.join(list(ARCHES) + list(BOARDS))})")
        if name in seen:
            raise ConfError(f"{source}:{lineno}: configuration '{name}' already "
                            f"defined on line {seen[name]}")
        try:
            argv = shlex.split(args)
        except ValueError as e:
            raise ConfError(f"{source}:{lineno}: cannot split qemu args: {e}")
        seen[name] = lineno
        configs.append(Config(name, arch, argv, boot, lineno, expect, reject, want_line, board))
    return configs


def load_conf(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfError(f"cannot read {path}: {e.strerror}")
    configs = parse_conf_text(text, path)
    if not configs:
        raise ConfError(f"{path}: no configurations")
    return configs


def select_configs(configs, arch="all", globs=None):
    out = []
    for c in configs:
        if arch not in (None, "all") and c.arch != arch:
            continue
        if globs and not any(fnmatch.fnmatchcase(c.name, g) for g in globs):
            continue
        out.append(c)
    return out


# ------------------------------------------------------------------ command
def elf_path(build_dir, arch):
    return os.path.join(build_dir, arch, "kernel.elf")


def kernel_path(build_dir, config):
    """What -kernel boots: build/<arch>/kernel.elf, or a board's image."""
    if config.board:
        return os.path.join(build_dir, config.board, BOARDS[config.board][1])
    return elf_path(build_dir, config.arch)


def board_dtb(board):
    """The board's device tree (tools/boardfiles.py: cached, else fetched)."""
    import boardfiles
    return boardfiles.get_dtb(board)


def qemu_binary(arch):
    return ARCHES[arch][0]


def missing_qemu_message(arch):
    binary, pkg = ARCHES[arch]
    return (f"{binary} not found: install the Debian package {pkg} "
            f"(from bookworm-backports: apt-get install -t bookworm-backports {pkg})")


def join_bootargs(*parts):
    return " ".join(p.strip() for p in parts if p and p.strip())


def build_command(config, elf, extra_bootargs="", qemu=None, dtb=None):
    """QEMU argv for one configuration.

    arm64:   qemu-system-aarch64 <args> -nographic -semihosting -icount shift=0
             -no-reboot -kernel <elf> -append "<bootargs> exit=semihosting"
    arm:     the same with qemu-system-arm
    riscv64: qemu-system-riscv64 <args> -nographic -icount shift=0 -no-reboot
             -kernel <elf> -append "<bootargs>"
    board:   <qemu> <args> -nographic -icount shift=0 -no-reboot -dtb <dtb>
             -kernel <image> -append "<bootargs>"  (no semihosting: the board's
             kernel ends with its TESTBED line and parks)
    """
    args = list(config.qemu_args)
    # "-icount off" (ours, not QEMU's): run without -icount, counters as on hardware.
    icount_off = False
    for i in range(len(args) - 1):
        if args[i] == "-icount" and args[i + 1] == "off":
            del args[i:i + 2]
            icount_off = True
            break
    cmd = [qemu or qemu_binary(config.arch)] + args
    if "-nographic" not in args:
        cmd.append("-nographic")
    if config.arch in SEMIHOSTING_ARCHES and "-semihosting" not in args and not config.board:
        cmd.append("-semihosting")
    if "-icount" not in args and not icount_off and not any("thread=multi" in a for a in args):
        # (a configuration asking for multi-threaded TCG runs without it:
        # icount forces one thread.)
        # sleep=off: virtual time never waits for the host, so even the timer
        # figures repeat exactly from run to run.
        cmd += ["-icount", "shift=0,sleep=off"]
    if "-no-reboot" not in args:
        cmd.append("-no-reboot")
    boot = join_bootargs(config.bootargs, extra_bootargs)
    if config.arch in SEMIHOSTING_ARCHES and not config.board:
        boot = join_bootargs(boot, "exit=semihosting")
    if config.board:
        cmd += ["-dtb", dtb or f"<{config.board} device tree>"]
    if "-kernel" not in args:       # a configuration naming its own image (arm-rpi2)
        cmd += ["-kernel", elf]
    cmd += ["-append", boot]
    return cmd


def format_command(cmd):
    return shlex.join(cmd)


# ------------------------------------------------------------------ running
@dataclass
class RunResult:
    lines: List[str]
    exit_status: Optional[int]   # None when we had to kill QEMU
    timed_out: bool = False
    hung: bool = False           # final line seen but QEMU did not exit
    elapsed: float = 0.0
    parked: bool = False         # the kernel parked after its final line (QEMU stopped)


def _kill_group(proc):
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# QEMU processes running now (several with --jobs): killed, process group
# and all, if the run is interrupted.
LIVE = set()


def kill_live():
    for proc in list(LIVE):
        _kill_group(proc)


def run_qemu(cmd, timeout, on_line=None, is_final=None, grace=EXIT_GRACE,
             raw_sink=None, is_parked=None):
    """Run cmd in its own process group, feeding each output line to on_line.

    is_final(line) -> True marks the last expected line; QEMU then has
    `grace` seconds to exit before it is killed (RunResult.hung).
    raw_sink(bytes) receives everything read, unmodified.
    is_parked(line) -> True after the final line: the kernel parked, QEMU is
    stopped at once (RunResult.parked, exit_status None).
    """
    start = time.monotonic()
    deadline = start + timeout
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    LIVE.add(proc)
    fd = proc.stdout.fileno()
    lines, buf = [], b""
    timed_out = hung = parked = False
    final_seen = False

    def emit(raw):
        text = raw.decode("utf-8", "replace").rstrip("\r")
        lines.append(text)
        if on_line:
            on_line(text)
        return bool(is_final and is_final(text))

    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                if final_seen:
                    hung = True
                else:
                    timed_out = True
                break
            ready, _, _ = select.select([fd], [], [], min(deadline - now, 0.5))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break                      # EOF: QEMU closed its output
            if raw_sink:
                raw_sink(chunk)
            buf += chunk
            *complete, buf = buf.split(b"\n")
            for raw in complete:
                if emit(raw) and not final_seen:
                    final_seen = True
                    deadline = min(deadline, time.monotonic() + grace)
                elif final_seen and is_parked and is_parked(lines[-1]):
                    parked = True
            if parked:
                break
        if timed_out or hung or parked:
            _kill_group(proc)
            exit_status = None
        else:
            try:
                exit_status = proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                hung, exit_status = True, None
    except BaseException:
        _kill_group(proc)
        raise
    finally:
        proc.stdout.close()
        LIVE.discard(proc)
    if buf:
        emit(buf)
    return RunResult(lines, exit_status, timed_out, hung, time.monotonic() - start, parked)


# ------------------------------------------------------------------ judging
@dataclass
class Verdict:
    name: str
    passed: int = 0
    failed: int = 0            # failed cases + 1 if the configuration had problems
    skipped: int = 0
    problems: List[str] = field(default_factory=list)
    failing_cases: List[tuple] = field(default_factory=list)   # (path, reason)
    expected_failures: List[str] = field(default_factory=list)
    exit_status: Optional[int] = None
    status_line: Optional[str] = None
    elapsed: float = 0.0

    @property
    def ok(self):
        return self.failed == 0 and not self.problems

    def one_line(self):
        counts = f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"
        if self.ok:
            return f"PASS  {counts}"
        why = "; ".join(self.problems) if self.problems else \
            f"{len(self.failing_cases)} case(s) failed"
        return f"FAIL  {counts} -- {why}"


def _status_line(lines):
    status = None
    for line in lines:
        m = STATUS_RE.search(line)
        if m:
            status = m.group(1).lower()
    return status


def _has_register_dump(lines):
    return any(l.lstrip().startswith(REGISTERS_PREFIX) for l in lines)


def _qemu_errors(lines):
    # Warnings are not errors (QEMU's raspi4b warns about each device-tree
    # node it disables because it does not model the device).
    return [l.strip() for l in lines if re.match(r"\s*qemu-system-\w+: (?!warning: )", l)]


def judge_reject(name, lines, exit_status, regex, timed_out=False, timeout=None, hung=False,
                 summary=None):
    """Judge a run whose boot arguments the kernel must reject: a console line
    matches `regex` (re.search), the kernel printed 'TESTBED: status=fail',
    started no job (no KTAP case, no BENCH line, no shell prompt), did not
    crash, and QEMU exited with a non-zero status. Counts as one case."""
    if summary is None:
        _, summary = ktap.parse_lines(lines)
    v = Verdict(name, exit_status=exit_status)
    v.status_line = _status_line(lines)
    problems = v.problems
    tmo = f" after {timeout:g} s" if timeout else ""
    if not any(re.search(regex, l) for l in lines):
        problems.append(f"no line matching '{regex}' (expected the boot arguments rejected)")
    if v.status_line != "fail":
        problems.append("expected 'TESTBED: status=fail', got "
                        + (f"status={v.status_line}" if v.status_line else "no status line"))
    if summary.cases or any(l.startswith(("BENCH", "mm> ")) for l in lines):
        problems.append("the kernel ran a job although its boot arguments were to be rejected")
    if _has_register_dump(lines):
        problems.append("kernel crashed (register dump on the console)")
    for e in _qemu_errors(lines)[:3]:
        problems.append(f"QEMU error: {e}")
    if timed_out:
        problems.append(f"timed out{tmo} (expected a rejection and a non-zero exit)")
    elif hung:
        problems.append("QEMU did not exit after the final line (killed)")
    elif exit_status is None:
        problems.append("QEMU exit status unknown")
    elif exit_status < 0:
        problems.append(f"QEMU killed by signal {-exit_status}")
    elif exit_status == 0:
        problems.append("QEMU exited with status 0, expected non-zero")
    if problems:
        v.failed = 1
    else:
        v.passed = 1
    return v


def judge(name, lines, exit_status, timed_out=False, timeout=None, hung=False,
          expect_fail=None, summary=None, expect_line=None):
    """Judge one configuration run.

    lines        console output lines
    exit_status  QEMU's exit status (None if killed; negative = signal)
    summary      a ktap.Summary already built from `lines` (parsed if None)
    expect_fail  list of case globs expected to fail (self-test mode)
    expect_line  regex some console line must match (re.search), else a problem
    """
    if summary is None:
        _, summary = ktap.parse_lines(lines)
    v = Verdict(name, exit_status=exit_status)
    status = _status_line(lines)
    v.status_line = status
    crashed = _has_register_dump(lines)
    problems = v.problems
    tmo = f" after {timeout:g} s" if timeout else ""

    def matches(path):
        return any(fnmatch.fnmatchcase(path, g) for g in expect_fail or ())

    for c in summary.cases:
        if expect_fail and matches(c.path):
            if c.status == ktap.FAIL:
                v.passed += 1
                v.expected_failures.append(c.path)
            else:
                v.failed += 1
                v.failing_cases.append((c.path, f"expected to fail but {c.status}"))
            continue
        if c.status == ktap.PASS:
            v.passed += 1
        elif c.status == ktap.SKIP:
            v.skipped += 1
        else:
            v.failed += 1
            v.failing_cases.append((c.path, c.reason))

    for e in _qemu_errors(lines)[:3]:
        problems.append(f"QEMU error: {e}")

    if expect_fail:
        globs = ", ".join(expect_fail)
        if not any(matches(c.path) for c in summary.cases):
            problems.append(f"no case matching {globs} was reported")
        if not crashed:
            problems.append(f"no register dump (no line starting '{REGISTERS_PREFIX}')")
        if timed_out:
            problems.append(f"timed out{tmo} (expected a crash and a non-zero exit)")
        elif hung:
            problems.append("QEMU did not exit after the final line (killed)")
        elif exit_status is None:
            problems.append("QEMU exit status unknown")
        elif exit_status < 0:
            problems.append(f"QEMU killed by signal {-exit_status}")
        elif exit_status == 0:
            problems.append("QEMU exited with status 0, expected non-zero")
        if problems:
            v.failed += 1
        return v

    if timed_out:
        problems.append(f"timed out{tmo}")
    totals = [m for m in (TOTALS_RE.match(l) for l in lines) if m]
    if totals:
        p, f, s, t = (int(x) for x in totals[-1].groups())
        if (p, f, s) != (summary.passed, summary.failed, summary.skipped) or t != p + f + s:
            problems.append(f"the kernel's '# Totals: pass:{p} fail:{f} skip:{s} total:{t}' "
                            f"disagrees with its KTAP lines (pass:{summary.passed} "
                            f"fail:{summary.failed} skip:{summary.skipped})")
    elif summary.cases and summary.complete and not summary.bailed_out:
        problems.append("no '# Totals: pass:N fail:N skip:N total:N' line after the KTAP results")
    if expect_line and not any(re.search(expect_line, l) for l in lines):
        problems.append(f"no line matching '{expect_line}'")
    if crashed:
        problems.append("kernel crashed (register dump on the console)")
    for e in summary.errors:
        problems.append(f"KTAP: {e}")
    case_failed = summary.failed > 0
    if status is None:
        problems.append("run cut short: no 'TESTBED: status=' line")
    elif status not in ("pass", "fail"):
        problems.append(f"unknown final status 'TESTBED: status={status}'")
    elif status == "pass" and (case_failed or summary.errors):
        problems.append("kernel printed status=pass but KTAP reports failures")
    elif status == "fail" and not case_failed and not summary.errors:
        problems.append("kernel printed status=fail but all KTAP cases passed")

    kernel_failed = case_failed or bool(summary.errors) or status == "fail" or crashed
    if hung:
        problems.append("QEMU did not exit after the final status line (killed)")
    elif timed_out or exit_status is None:
        pass
    elif exit_status < 0:
        problems.append(f"QEMU killed by signal {-exit_status}")
    elif exit_status == 0 and case_failed:
        problems.append(f"QEMU exit status 0 but {summary.failed} case(s) failed")
    elif exit_status == 0 and kernel_failed:
        problems.append("QEMU exit status 0 although the run failed")
    elif exit_status != 0 and not kernel_failed:
        problems.append(f"QEMU exit status {exit_status} but all cases passed")
    elif exit_status != 0 and problems:
        problems.append(f"QEMU exit status {exit_status}")

    if problems:
        v.failed += 1
    return v


# ------------------------------------------------------------------ output
def describe_suite(ev):
    if ev.status == "incomplete":
        tail = "incomplete"
    else:
        tail = f"{ev.passed}/{ev.total} ok"
    if ev.skipped:
        tail += f", {ev.skipped} skipped"
    if ev.failed:
        tail += f", {ev.failed} FAILED"
    return f"{ev.path}: {tail}"


class Progress:
    """Turns KTAP events into progress lines while QEMU runs."""

    def __init__(self, name, out=sys.stdout, echo=False):
        self.name = name
        self.out = out
        self.echo = echo
        self.parser = ktap.KtapParser()

    def line(self, text):
        if self.echo:
            print(f"  | {text}", file=self.out, flush=True)
        for ev in self.parser.feed(text):
            self.show(ev)

    def show(self, ev):
        p = f"[{self.name}]"
        if isinstance(ev, ktap.SuiteFinished):
            print(f"{p} {'  ' * (ev.depth - 1)}{describe_suite(ev)}", file=self.out,
                  flush=True)
        elif isinstance(ev, ktap.CaseResult) and ev.depth == 1:
            word = {"pass": "ok", "fail": "FAILED", "skip": "skipped"}[ev.status]
            why = f" ({ev.reason})" if ev.reason and ev.status != "pass" else ""
            print(f"{p} {ev.path}: {word}{why}", file=self.out, flush=True)
        elif isinstance(ev, ktap.BailOut):
            print(f"{p} BAIL OUT: {ev.reason}", file=self.out, flush=True)

    def finish(self):
        summary = self.parser.finish()
        for ev in self.parser.final_events:
            self.show(ev)
        return summary


def print_failure(v, lines, out=sys.stdout):
    print(f"[{v.name}] FAILED", file=out)
    for p in v.problems:
        print(f"  problem: {p}", file=out)
    for path, reason in v.failing_cases:
        print(f"  not ok {path}" + (f": {reason}" if reason else ""), file=out)
    tail = lines[-TAIL_LINES:]
    print(f"  last {len(tail)} console line(s):", file=out)
    for line in tail:
        print(f"  | {line}", file=out)


def print_totals(verdicts, out=sys.stdout):
    width = max([len(v.name) for v in verdicts] + [4])
    print("Summary:", file=out)
    for v in verdicts:
        print(f"  {v.name:<{width}}  {v.one_line()}  ({v.elapsed:.1f} s)", file=out)
    print(f"skipped: {sum(v.skipped for v in verdicts)}", file=out)
    print(f"{sum(v.passed for v in verdicts)} passed, "
          f"{sum(v.failed for v in verdicts)} failed", file=out)


# ------------------------------------------------------------------ main
EPILOG = """\
configuration file: one configuration per line, fields separated by ' | ':
  name | arch | qemu args | boot args [| EXPECTATION]   ('#' starts a comment line)
  EXPECTATION: 'expect-fail GLOB' (as --expect-fail), 'expect-reject REGEX'
  (the kernel must reject the boot arguments: a line matching REGEX,
  'TESTBED: status=fail', no job run, no crash, a non-zero QEMU exit; counts
  as one case) or 'expect-line REGEX' (judged as usual, and some line must
  match REGEX).

a configuration passes when: every KTAP case is ok or skipped, the KTAP
stream is well formed (plans, numbering, no bail out), the kernel printed
'TESTBED: status=pass', no register dump appeared, QEMU exited with status 0
within the timeout. A configuration that crashed, timed out, had malformed
KTAP or an exit status / status line disagreeing with the KTAP results adds 1
to the failed count, on top of its failed cases.

--expect-fail GLOB (harness self-test, e.g. --append 'test=selftest.crash*'
--expect-fail 'selftest.crash*'): cases matching GLOB are expected to fail.
The configuration passes iff (a) at least one case matches and every
matching case is reported 'not ok', (b) the console has a line starting with
'REGISTERS' (register dump) and (c) QEMU exited with a non-zero status before
the timeout. Matching 'not ok' cases then count as passed; truncated KTAP and
a missing TESTBED status line are tolerated. Other cases count as usual.

output: progress per suite, failing cases with their reason and the last
30 console lines of a failed configuration, one line per configuration,
'skipped: N' and finally 'N passed, N failed' (leaf cases over all
configurations). Exit status: 0 no failures, 1 failures, 2 setup error.
"""


def make_parser():
    ap = argparse.ArgumentParser(
        prog="runner.py", description="Boot the testbed kernel in QEMU and check its KTAP output.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=["arm64", "riscv64", "arm", "all"], default="all")
    ap.add_argument("--config", action="append", metavar="NAME_GLOB",
                    help="only configurations whose name matches; repeatable, or "
                         "several globs separated by commas")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SEC",
                    help=f"per-configuration timeout (default {DEFAULT_TIMEOUT:g})")
    ap.add_argument("--conf", default=None, metavar="FILE",
                    help=f"configuration file (default {DEFAULT_CONF})")
    ap.add_argument("--build-dir", default="build", metavar="DIR",
                    help="kernel is DIR/<arch>/kernel.elf (default build)")
    ap.add_argument("--append", default="", metavar="BOOTARGS",
                    help="extra kernel boot arguments")
    ap.add_argument("--list", action="store_true",
                    help="list the selected configurations and their command lines")
    ap.add_argument("--keep-logs", metavar="DIR",
                    help="write each configuration's console output to DIR/<name>.log")
    ap.add_argument("--expect-fail", action="append", metavar="CASE_GLOB",
                    help="harness self-test mode, see below (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="echo the console output while running")
    ap.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                    help="run up to N configurations at once (default 1); a multi-threaded "
                         "TCG configuration (thread=multi) always runs alone; each "
                         "configuration's output is printed whole when it ends")
    return ap


def default_conf_path():
    if os.path.exists(DEFAULT_CONF):
        return DEFAULT_CONF
    return os.path.join(ROOT, DEFAULT_CONF)


def parked_exit_status(lines):
    """The exit status a parked run stands for: its TESTBED line's code."""
    for line in reversed(lines):
        m = STATUS_CODE_RE.search(line)
        if m:
            return int(m.group(1))
    return None


def run_config(c, args, out=sys.stdout):
    elf = kernel_path(args.build_dir, c)
    cmd = build_command(c, elf, args.append, dtb=board_dtb(c.board) if c.board else None)
    print(f"=== {c.name}: {format_command(cmd)}", file=out, flush=True)
    prog = Progress(c.name, out, args.verbose)
    res = run_qemu(cmd, args.timeout, prog.line,
                   is_final=lambda l: STATUS_RE.search(l) is not None,
                   is_parked=lambda l: PARKED_RE.match(l) is not None)
    summary = prog.finish()
    if res.parked:
        res.exit_status = parked_exit_status(res.lines)
    if c.expect_reject:
        v = judge_reject(c.name, res.lines, res.exit_status, c.expect_reject, res.timed_out,
                         args.timeout, res.hung, summary)
    else:
        v = judge(c.name, res.lines, res.exit_status, res.timed_out, args.timeout,
                  res.hung, (args.expect_fail or []) + c.expect_fail or None, summary,
                  c.expect_line)
    v.elapsed = res.elapsed
    if args.keep_logs:
        path = os.path.join(args.keep_logs, f"{c.name}.log")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(res.lines) + ("\n" if res.lines else ""))
    if not v.ok:
        print_failure(v, res.lines, out)
    elif v.expected_failures:
        print(f"[{c.name}] expected failures seen: {', '.join(v.expected_failures)}",
              file=out)
    elif c.expect_reject:
        seen = next(l for l in res.lines if re.search(c.expect_reject, l))
        print(f"[{c.name}] boot arguments rejected as expected: {seen.strip()}", file=out)
    return v


def exclusive(c):
    """A configuration whose vCPUs are host threads (MTTCG): it runs alone,
    so its real parallelism is not starved by another QEMU on the host."""
    return any("thread=multi" in a for a in c.qemu_args)


def run_parallel(configs, args):
    """Up to args.jobs configurations at once (threads waiting on QEMU
    processes); each one's output is buffered and printed when it ends;
    the verdicts come back in configuration order."""
    import io
    import threading
    results = [None] * len(configs)
    errors = [None] * len(configs)
    cond = threading.Condition()
    state = {"running": 0, "exclusive": False}
    print_lock = threading.Lock()

    def work(i, c):
        buf = io.StringIO()
        try:
            results[i] = run_config(c, args, out=buf)
        except Exception as e:      # this configuration's problem, reported with it
            errors[i] = e
            print(f"[{c.name}] error: {e}", file=buf)
        finally:
            with print_lock:
                sys.stdout.write(buf.getvalue())
                sys.stdout.flush()
            with cond:
                state["running"] -= 1
                state["exclusive"] = False
                cond.notify_all()

    threads = []
    for i, c in enumerate(configs):
        alone = exclusive(c)
        with cond:
            try:
                cond.wait_for(lambda: not state["exclusive"] and
                              (state["running"] == 0 if alone else state["running"] < args.jobs))
            except KeyboardInterrupt:
                kill_live()
                raise
            state["running"] += 1
            state["exclusive"] = alone
        t = threading.Thread(target=work, args=(i, c), daemon=True)
        t.start()
        threads.append(t)
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)     # (a bare join would not see Ctrl-C)
    except KeyboardInterrupt:
        kill_live()
        raise
    bad = [(configs[i].name, e) for i, e in enumerate(errors) if e is not None]
    if bad:
        raise OSError("; ".join(f"{n}: {e}" for n, e in bad))
    return results


def main(argv=None):
    args = make_parser().parse_args(argv)
    if args.config:
        args.config = [g.strip() for v in args.config for g in v.split(",") if g.strip()]
    conf = args.conf or default_conf_path()
    try:
        configs = select_configs(load_conf(conf), args.arch, args.config)
    except ConfError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not configs:
        print(f"error: no configuration in {conf} matches --arch {args.arch}"
              + (f" --config {' '.join(args.config)}" if args.config else ""),
              file=sys.stderr)
        return 2
    if args.list:
        for c in configs:
            cmd = build_command(c, kernel_path(args.build_dir, c), args.append)
            print(f"{c.name:<16} {c.board or c.arch:<8} {format_command(cmd)}")
        return 0
    if args.timeout <= 0:
        print("error: --timeout must be positive", file=sys.stderr)
        return 2
    for arch in sorted({c.arch for c in configs}):
        if shutil.which(qemu_binary(arch)) is None:
            print(f"error: {missing_qemu_message(arch)}", file=sys.stderr)
            return 2
    for c in configs:
        elf = kernel_path(args.build_dir, c)
        if not os.path.isfile(elf):
            make = f"make BOARD={c.board}" if c.board else f"make ARCH={c.arch}"
            print(f"error: {elf} not found: run {make}", file=sys.stderr)
            return 2
        if c.board:
            try:
                board_dtb(c.board)
            except Exception as e:
                print(f"error: the {c.board} device tree: {e}", file=sys.stderr)
                return 2
    if args.keep_logs:
        try:
            os.makedirs(args.keep_logs, exist_ok=True)
        except OSError as e:
            print(f"error: cannot create {args.keep_logs}: {e.strerror}", file=sys.stderr)
            return 2
    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    verdicts = []
    try:
        if args.jobs == 1 or args.verbose:
            for c in configs:
                verdicts.append(run_config(c, args))
        else:
            verdicts = run_parallel(configs, args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except OSError as e:
        print(f"error: cannot run QEMU: {e}", file=sys.stderr)
        return 2
    print_totals(verdicts)
    return 0 if all(v.ok for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
