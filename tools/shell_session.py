#!/usr/bin/python3
"""End-to-end test of the serial shell (boot argument `shell`).

For every tests/shell/<name>.script a fresh QEMU boots the kernel with the
shell; each script line is sent after the prompt `mm> ` has been seen, and the
transcript is compared with tests/shell/<name>.<arch>.expected if present,
else tests/shell/<name>.expected.

The scripts and expected files name addresses in the 64-bit arches' managed
window (0x2000000000-0x3000000000). On arm (32-bit VA) it is 0x80000000-0x100000000:
hex numbers within 256 MiB of its base or end move there (move_window()), in the
commands and in the expected lines alike; --update writes <name>.arm.expected.

Script lines: one shell command each; blank lines and lines starting with
`#` are not sent. If the script does not end with exit/quit, `exit` is sent.

Transcript format (what the .expected files hold): for every command a line
`mm> <command>`, then the shell's output for it (the echoed command removed,
CRLF normalised); after the last command whatever the kernel printed until
QEMU ended (the `TESTBED: status=...` line). An expected line starting with
`~ ` is a Python regular expression that must match the whole actual line.

  /usr/bin/python3 tools/shell_session.py --arch arm64|riscv64|arm [--build-dir build]
      [--timeout 30] [--update] [name ...]

--update rewrites the expected file each session uses from the actual output,
keeping `~ ` regex lines that still match their line (review by hand!).
Exit status 1 if any session failed (a timeout counts as a failure).
"""
import argparse
import difflib
import os
import re
import selectors
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHELL_DIR = os.path.join(ROOT, "tests", "shell")
PROMPT = b"mm> "


# arch: (the window the scripts use, this arch's window), each [base, end)
WINDOW_MOVE = {"arm": ((0x2000000000, 0x3000000000), (0x80000000, 0x100000000))}
WINDOW_SPAN = 0x10000000        # addresses this close to a window's base or end move
HEX_RE = re.compile(r"0x([0-9a-fA-F]+)\b")


def move_window(arch, text):
    """Scripts' window addresses moved to arch's window (see the module doc):
    the ones near the base keep their offset from the base, the ones near
    the end (the end included) their distance to the end."""
    if arch not in WINDOW_MOVE:
        return text
    (ob, oe), (nb, ne) = WINDOW_MOVE[arch]

    def sub(m):
        v = int(m.group(1), 16)
        if ob <= v < ob + WINDOW_SPAN:
            return "0x%x" % (v - ob + nb)
        if oe - WINDOW_SPAN <= v <= oe:
            return "0x%x" % (ne - (oe - v))
        return m.group(0)
    return HEX_RE.sub(sub, text)


def qemu_command(arch, kernel):
    if arch == "arm":
        return ["qemu-system-arm", "-M", "virt", "-cpu", "cortex-a15", "-m", "256M", "-nographic",
                "-icount", "shift=0", "-semihosting", "-kernel", kernel,
                "-append", "shell exit=semihosting"]
    if arch == "arm64":
        return ["qemu-system-aarch64", "-M", "virt", "-cpu", "max", "-m", "256M", "-nographic",
                "-icount", "shift=0", "-semihosting", "-kernel", kernel,
                "-append", "shell exit=semihosting"]
    return ["qemu-system-riscv64", "-M", "virt", "-cpu", "max", "-m", "256M", "-nographic",
            "-icount", "shift=0", "-bios", "default", "-kernel", kernel, "-append", "shell"]


class Timeout(Exception):
    pass


class Session:
    """A QEMU process with a pipe on stdin and the serial output collected."""

    def __init__(self, cmd, deadline):
        self.deadline = deadline
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.buf = b""
        self.eof = False

    def _read_some(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout()
        if not self.sel.select(timeout=min(left, 1.0)):
            return
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            self.eof = True
        self.buf += data

    def until_prompt(self):
        """Output up to and including the next prompt at a line start; None at EOF."""
        while True:
            i = self.buf.find(b"\n" + PROMPT)
            j = 0 if self.buf.startswith(PROMPT) else -1
            if j == 0 or i >= 0:
                end = len(PROMPT) if j == 0 else i + 1 + len(PROMPT)
                out, self.buf = self.buf[:end - len(PROMPT)], self.buf[end:]
                return out
            if self.eof:
                return None
            self._read_some()

    def until_eof(self):
        while not self.eof:
            self._read_some()
        out, self.buf = self.buf, b""
        return out

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        try:
            self.proc.stdin.close()
        except OSError:
            pass


def lines_of(data):
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def script_commands(path):
    cmds = []
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cmds.append(line)
    if not cmds or cmds[-1].split()[0] not in ("exit", "quit"):
        cmds.append("exit")
    return cmds


def run_session(arch, kernel, cmds, timeout):
    """Returns (transcript lines, error or None)."""
    out = []
    s = Session(qemu_command(arch, kernel), time.monotonic() + timeout)
    try:
        if s.until_prompt() is None:
            return out, "QEMU ended before the first prompt"
        for n, cmd in enumerate(cmds):
            s.send(cmd)
            last = n == len(cmds) - 1
            data = s.until_eof() if last else s.until_prompt()
            if data is None:
                data, ended = s.until_eof(), True
            else:
                ended = False
            got = lines_of(data)
            if got and got[0] == cmd:
                got = got[1:]               # the echo
            out.append("mm> " + cmd)
            out.extend(got)
            if ended and not last:
                return out, "QEMU ended after '%s'" % cmd
        rc = s.proc.wait(timeout=max(1, s.deadline - time.monotonic()))
        if rc != 0:
            return out, "QEMU exited with status %d" % rc
        return out, None
    except (Timeout, subprocess.TimeoutExpired):
        out.append("<timeout after %g s>" % timeout)
        return out, "timeout after %g s" % timeout
    except BrokenPipeError:
        return out, "QEMU stopped reading its input"
    finally:
        s.close()


def line_matches(exp, act):
    if exp.startswith("~ "):
        try:
            return re.fullmatch(exp[2:], act) is not None
        except re.error:
            return False
    return exp == act


def compare(expected, actual):
    """Returns a diff (list of lines) or [] if the transcript matches."""
    if len(expected) == len(actual) and all(map(line_matches, expected, actual)):
        return []
    # Show regex lines that match as the actual text so the diff is readable.
    shown = [a if i < len(actual) and line_matches(e, a) else e
             for i, (e, a) in enumerate(zip(expected, actual + [""] * len(expected)))]
    return list(difflib.unified_diff(shown, actual, "expected", "actual", lineterm=""))


def expected_path(name, arch):
    p = os.path.join(SHELL_DIR, "%s.%s.expected" % (name, arch))
    return p if os.path.exists(p) else os.path.join(SHELL_DIR, name + ".expected")


def updated(old, actual):
    """Actual output, keeping the old regex lines that still match at the same place."""
    sm = difflib.SequenceMatcher(None, [l if not l.startswith("~ ") else None for l in old], actual,
                                 autojunk=False)
    res = list(actual)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                if old[i1 + k].startswith("~ ") and line_matches(old[i1 + k], actual[j1 + k]):
                    res[j1 + k] = old[i1 + k]
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", required=True, choices=["arm64", "riscv64", "arm"])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--update", action="store_true", help="rewrite the expected files")
    ap.add_argument("names", nargs="*", help="sessions to run (default: all)")
    args = ap.parse_args()

    kernel = os.path.join(args.build_dir, args.arch, "kernel.elf")
    if not os.path.exists(kernel):
        print("error: %s not found: run 'make ARCH=%s'" % (kernel, args.arch))
        return 1
    scripts = sorted(f[:-len(".script")] for f in os.listdir(SHELL_DIR) if f.endswith(".script"))
    if args.names:
        unknown = [n for n in args.names if n not in scripts]
        if unknown:
            print("error: no session %s (have: %s)" % (", ".join(unknown), ", ".join(scripts)))
            return 1
        scripts = [n for n in scripts if n in args.names]

    passed = failed = 0
    for name in scripts:
        cmds = [move_window(args.arch, c) for c in script_commands(os.path.join(SHELL_DIR, name + ".script"))]
        actual, err = run_session(args.arch, kernel, cmds, args.timeout)
        exp_path = expected_path(name, args.arch)
        if args.update and err is None:
            old = []
            if os.path.exists(exp_path):
                with open(exp_path) as f:
                    old = [move_window(args.arch, l) for l in f.read().splitlines()]
            if args.arch in WINDOW_MOVE:        # never write moved addresses into a shared file
                exp_path = os.path.join(SHELL_DIR, "%s.%s.expected" % (name, args.arch))
            with open(exp_path, "w") as f:
                f.write("\n".join(updated(old, actual)) + "\n")
            print("# updated %s" % os.path.relpath(exp_path, ROOT))
        diff = []
        if err is None:
            if not os.path.exists(exp_path):
                err = "no expected output %s (run with --update)" % os.path.relpath(exp_path, ROOT)
            else:
                with open(exp_path) as f:
                    diff = compare([move_window(args.arch, l) for l in f.read().splitlines()], actual)
        if err is None and not diff:
            print("ok %s" % name)
            passed += 1
            continue
        failed += 1
        print("not ok %s%s" % (name, " (%s)" % err if err else ""))
        if not diff:
            diff = ["# output:"] + actual[-40:]
        for l in diff:
            print("#   " + l)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
