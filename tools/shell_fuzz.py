#!/usr/bin/python3
"""Seeded fuzzer for the serial shell (boot argument `shell`).

Boots QEMU the way tools/shell_session.py does (same command line, same
prompt-driven pipe) and sends a few hundred random commands: valid commands
with random arguments, and malformed ones (truncated lines, garbage words,
huge numbers, control and non-ASCII bytes, terminal escape sequences,
backspace edits, too many words, over-long lines). After every command:

  * no `PANIC`, register dump, `UNEXPECTED EXCEPTION` or `Bail out` line;
  * the prompt comes back (per-command timeout);
  * the output ends with `ok` or `error: ...` (an empty or comment line:
    no output at all), and lines the fuzzer knows must be refused (a control
    byte, more than 256 characters, more than 8 words) give exactly the
    shell's message for that;
  * after an `error:` nothing changed: `mm list`, `vma`, `pte` over the
    command's range and `info` (free pages, limits, parameters) read the same
    before and after (a `touch` that segfaults may have touched pages before
    the fault, so then only `mm list` and `vma` are compared).

At the end every address space is deleted and the free page count from
`info` must be back at its value before the first command; `exit` must end
the run with `TESTBED: status=pass` and QEMU exit status 0.

The command mix keeps well below the kernel's limits (1,024 VMAs, all of
memory): commands work inside a 2 MiB region of the window, and the fuzzer
unmaps or deletes address spaces when the VMA count or the free memory runs
low. The address-space table is filled up to its limit now and then, to see
the clean `mm table full` error.

  /usr/bin/python3 tools/shell_fuzz.py [--arch arm64|riscv64|arm|all] [--seed N]
      [--count 300] [--time-limit 45] [--build-dir build] [--log FILE] [-v]

The seed is printed; the same seed replays the same commands (QEMU runs
under -icount, so the kernel's answers, on which the fuzzer's bookkeeping
depends, repeat too). Last line: `N passed, N failed` (one per arch).
Exit status 1 if any arch failed.
"""
import argparse
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shell_session as ss  # noqa: E402

ROOT = ss.ROOT
BASE, END, PAGE = 0x2000000000, 0x3000000000, 0x1000
REGION_PAGES = 512              # commands mostly work in [BASE, BASE + 2 MiB)
LINE_MAX = 256                  # SHELL_LINE_MAX in boot/shell.c
MAX_WORDS = 8                   # SHELL_MAX_ARGS
MAX_MMS = 32                    # MAX_MMS in mmu/mm.h (the shell's table has as many)
VMA_BUDGET = 300                # kernel: 1,024 VMAs in all
CMD_TIMEOUT = 15.0              # seconds for one command to give the prompt back
CRASH_RE = re.compile(r"PANIC|REGISTERS|UNEXPECTED EXCEPTION|Bail out")
READ_ONLY = {"pte", "vma", "info", "help", "list"}

# Bytes the fuzzer may put inside a line: every control byte except those
# that end or edit a line (LF, CR, BS, DEL), ^C (drops the line: the rest
# would become a second command), ^D (ends the shell on an empty line), ESC
# (sequences are generated separately), tab (a separator); and bytes 0x80+.
CTRL_BYTES = [b for b in range(0x20) if b not in (0x03, 0x04, 0x08, 0x09, 0x0a, 0x0d, 0x1b)]
HIGH_BYTES = list(range(0x80, 0x100))
ESC_SEQS = [b"\x1b[A", b"\x1b[B", b"\x1b[C", b"\x1b[D", b"\x1b[1;5C", b"\x1b[3~", b"\x1b[200~",
            b"\x1bOA", b"\x1bOP", b"\x1bx", b"\x1b[?25h", b"\x1b\x1b[H"]
HUGE = ["18446744073709551616", "18446744073709551615", "0xffffffffffffffff",
        "0x10000000000000000", "99999999999999999999999999", "-1", "0x", "1e3", "",
        "0xffffffffffffffffK", "17179869184G", "4294967296", "0x1000000000000", "+4096", "0b101"]


class Failure(Exception):
    pass


HISTORY_MAX = 8


def model_line(raw, hist=()):
    """What boot/shell.c read_line makes of the bytes of one line, given the
    shell's history (lines it read before, oldest first; up/down recall them).

    Returns ('long', None), ('bad', byte) or ('ok', text)."""
    hist = list(hist)[-HISTORY_MAX:]
    buf, overflow, esc, params, back = [], False, None, False, 0
    for c in raw:
        if esc == "start":
            if c == 0x1b:
                continue
            esc = "csi" if c == 0x5b else "ss3" if c == 0x4f else None
            params = False
            if c >= 0x20:
                continue
        elif esc in ("csi", "ss3"):
            if esc == "csi" and 0x20 <= c < 0x40:
                params = True
                continue
            final = c >= 0x20 if esc == "ss3" else 0x40 <= c <= 0x7e
            esc = None
            if final:
                if c in (0x41, 0x42) and not params and not overflow:
                    to = min(back + 1, len(hist)) if c == 0x41 else max(back - 1, 0)
                    if to != back:
                        back = to
                        buf = list(hist[-back].encode("ascii")) if back else []
                continue
        if c == 0x1b:
            esc = "start"
            continue
        if c in (0x7f, 0x08):
            if buf and not overflow:
                buf.pop()
            continue
        if len(buf) + 1 >= LINE_MAX + 1:
            overflow = True
        else:
            buf.append(c)
    if overflow:
        return "long", None
    for b in buf:
        if (b < 0x20 and b != 0x09) or b > 0x7e:
            return "bad", b
    return "ok", bytes(buf).decode("ascii")


def history_add(hist, kind, text):
    """The shell's history after a line read as (kind, text): model of history_add."""
    if kind == "ok" and text and (not hist or hist[-1] != text):
        hist.append(text)
        del hist[:-HISTORY_MAX]


def words_of(text):
    return text.replace("\t", " ").split()


class Shell:
    """A QEMU process running the shell, driven line by line."""

    def __init__(self, arch, kernel, log):
        self.arch = arch
        self.log = log
        self.s = ss.Session(ss.qemu_command(arch, kernel), time.monotonic() + 30)
        banner = self.s.until_prompt()
        if banner is None:
            raise Failure("QEMU ended before the first prompt")
        self.check_crash(ss.lines_of(banner), "boot")

    def check_crash(self, lines, what):
        bad = [l for l in lines if CRASH_RE.search(l)]
        if bad:
            raise Failure("%s: the kernel crashed: %s" % (what, bad[0]))

    def run(self, raw):
        """Send one line (bytes, no newline); return the output lines after the echo."""
        # The fixed lines name the 64-bit window; moved to a 32-bit arch's.
        raw = ss.move_window(self.arch, raw.decode("latin-1")).encode("latin-1")
        self.s.deadline = time.monotonic() + CMD_TIMEOUT
        try:
            # QEMU's -nographic console multiplexer takes ^A as its escape
            # character: ^A ^A sends one ^A to the guest.
            self.s.proc.stdin.write(raw.replace(b"\x01", b"\x01\x01") + b"\n")
            self.s.proc.stdin.flush()
            data = self.s.until_prompt()
        except ss.Timeout:
            raise Failure("no prompt within %g s after %r" % (CMD_TIMEOUT, raw))
        except BrokenPipeError:
            raise Failure("QEMU stopped reading its input at %r" % raw)
        if data is None:
            rest = ss.lines_of(self.s.buf)
            self.check_crash(rest, repr(raw))
            raise Failure("QEMU ended after %r: %s" % (raw, " | ".join(rest[-5:])))
        lines = ss.lines_of(data)
        out = lines[1:]                     # lines[0]: the echo of what was typed
        if self.log:
            self.log.write("mm> %r\n" % raw)
            for l in out:
                self.log.write(l + "\n")
        self.check_crash(out, repr(raw))
        return out

    def finish(self):
        """exit: returns (lines, QEMU exit status)."""
        self.s.deadline = time.monotonic() + 20
        self.s.proc.stdin.write(b"exit\n")
        self.s.proc.stdin.flush()
        try:
            out = ss.lines_of(self.s.until_eof())
            rc = self.s.proc.wait(timeout=10)
        except Exception as e:  # noqa: BLE001 - timeout of any kind
            raise Failure("exit did not end QEMU: %s" % e)
        return out, rc

    def close(self):
        self.s.close()


class Fuzzer:
    def __init__(self, arch, seed, shell, count, time_limit, verbose=False):
        self.arch = arch
        self.seed = seed
        self.rng = random.Random("%s:%d" % (arch, seed))
        self.sh = shell
        self.count = count
        self.deadline = time.monotonic() + time_limit
        self.verbose = verbose
        self.history = []               # (index, raw, output lines)
        self.maps = {}                  # mm id -> [(addr, len)] of recent maps that succeeded
        self.ids = []                   # mm ids from the last `mm list`
        self.cur = None
        self.vmas = 0
        self.free_start = None
        self.free_now = None
        self.stats = {"commands": 0, "ok": 0, "error": 0, "silent": 0, "checked": 0}
        self.errors_seen = {}
        self.slowest = []               # (seconds, raw) of the slowest commands
        self.lines_read = []            # the shell's command history (model)

    # ---- talking to the shell ------------------------------------------------
    def send(self, raw):
        kind, text = model_line(raw, self.lines_read)
        history_add(self.lines_read, kind, text)
        t = time.monotonic()
        out = self.sh.run(raw)
        dt = time.monotonic() - t
        self.slowest = sorted(self.slowest + [(dt, raw)], reverse=True)[:5]
        self.history.append((len(self.history), raw, out))
        if self.verbose:
            print("  mm> %r" % raw)
            for l in out:
                print("      " + l)
        return out

    def expect_ok(self, raw):
        out = self.send(raw)
        if not out or out[-1] != "ok":
            raise Failure("%r: expected ok, got %s" % (raw, out[-3:]))
        return out

    def refresh(self):
        """mm list and info: the fuzzer's bookkeeping (ids, VMAs, free pages)."""
        out = self.expect_ok(b"mm list")
        self.ids, self.cur, self.vmas = [], None, 0
        for l in out[:-1]:
            m = re.fullmatch(r"mm (\d+) vmas=(\d+)( current)?", l)
            if not m:
                raise Failure("mm list: unexpected line %r" % l)
            self.ids.append(int(m.group(1)))
            self.vmas += int(m.group(2))
            if m.group(3):
                self.cur = int(m.group(1))
        out = self.expect_ok(b"info")
        free = [int(m.group(1)) for l in out for m in [re.search(r"^node \d+ .*free=(\d+)", l)] if m]
        self.free_now = sum(free)
        lim = [l for l in out if l.startswith("limits ")]
        if not lim or ("/%d " % MAX_MMS) not in lim[0]:
            raise Failure("info: no 'limits mms=N/%d' line: %s" % (MAX_MMS, lim))
        return out

    def snapshot(self, rng_range, full=True):
        """Text of the state a failing command must not change."""
        parts = [self.send(b"mm list")]
        if self.cur is not None or full:
            parts.append(self.send(b"vma"))
        if full:
            a, n = rng_range
            parts.append(self.send(b"pte 0x%x %d" % (a, n)))
            parts.append(self.send(b"info"))
        return parts

    # ---- generating commands ---------------------------------------------------
    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def num(self, v, size=False):
        r = self.rng.random()
        if r < 0.6:
            return "0x%x" % v
        if r < 0.8 or v % 1024 or not size:
            return "%d" % v
        return "%dK" % (v // 1024) if v % (1 << 20) else "%dM" % (v >> 20)

    def size(self, v):
        return self.num(v, size=True)

    def addr(self):
        r = self.rng.random()
        if r < 0.85:
            page = self.rng.randrange(REGION_PAGES)
            if self.rng.random() < 0.3:
                page &= ~15                     # 64 KiB aligned: folios, CONT/Svnapot
            return BASE + page * PAGE
        return self.pick([END - PAGE, END, BASE - PAGE, 0, BASE + 0x800, BASE + 8,
                          BASE + REGION_PAGES * PAGE, END - 16 * PAGE, 1 << 63])

    def length(self):
        r = self.rng.random()
        if r < 0.9:
            return self.pick([1, 1, 1, 2, 3, 4, 8, 15, 16, 16, 17, 31, 32, 48, 64]) * PAGE
        return self.pick([0, 1, PAGE - 1, PAGE + 8, 2 << 20, END - BASE])

    def flags(self):
        r = self.rng.random()
        if r < 0.45:
            return "rw"
        if r < 0.9:
            f = "".join(c for c in "rwx" if self.rng.random() < 0.5)
            return f or "-"
        return self.pick(["rq", "rww", "W", "x-", "--", "rwxr", "0"])

    def mm_id(self):
        if self.ids and self.rng.random() < 0.85:
            return str(self.pick(self.ids))
        return self.pick(["0", "33", "999", "-1", "0x1", "18446744073709551616"])

    def valid_command(self):
        """A command with random (mostly sensible) arguments: (words, range)."""
        a, l = self.addr(), self.length()
        r = self.rng.random()
        if self.cur is None and r < 0.9:
            return ["mm", "new"], (a, l)
        maps = self.maps.get(self.cur)
        ma, ml = a, l
        if maps and self.rng.random() < 0.7:
            # map: where it may well be free; the others: in or around a
            # range mapped before (if still there)
            pa, pl = self.pick(maps)
            a = pa + self.rng.randrange(max(1, pl // PAGE)) * PAGE
            l = self.pick([PAGE, pl - (a - pa), 2 * PAGE, 16 * PAGE])
        rng = (a, l)
        table = [
            (22, lambda: ["map", self.num(ma), self.size(ml), self.flags()]
             + (["shared"] if self.rng.random() < 0.2 else [])
             + (["notify"] if self.rng.random() < 0.1 else [])),
            (7, lambda: ["unmap", self.num(a), self.size(l)]),
            (12, lambda: ["mprotect", self.num(a), self.size(l), self.flags()]),
            (20, lambda: ["touch", self.num(a)]
             + ([self.size(self.pick([8, PAGE, 4 * PAGE, 16 * PAGE, 64 * PAGE]))]
                if self.rng.random() < 0.5 else [])
             + (["w", self.num(self.rng.randrange(1 << 16))] if self.rng.random() < 0.5
                else ["w"] if self.rng.random() < 0.5 else ["r"])),
            (3, lambda: ["fork"]),
            (3, lambda: ["mm", "new"]),
            (3, lambda: ["mm", "use", self.mm_id()]),
            (3, lambda: ["mm", "del", self.mm_id()]),
            (2, lambda: ["mm", "list"]),
            (2, lambda: ["softdirty", "clear"]),
            (3, lambda: ["uffd", self.num(a), self.size(l), self.pick(["on", "off"])]),
            (3, lambda: ["numa", "scan", self.num(a), self.size(l), self.pick(["0", "none", "1"])]),
            (1, lambda: ["numa", "policy", self.pick(["none", "savedwrite", "can_change"])]),
            (2, lambda: ["migrate", self.num(a), self.pick(["0", "0", "1"])]),
            (2, lambda: ["folio", self.pick(["0", "4", "4", "2"])]),
            (2, lambda: ["tlbi", self.pick(["auto", "per-page", "range", "asid"])]
             + ([str(self.pick([0, 1, 16, 64, 512]))] if self.rng.random() < 0.5 else [])),
            (1, lambda: ["batch", self.pick(["on", "off"])]),
            (3, lambda: ["pte", self.num(a)] + ([str(self.pick([1, 4, 16, 64]))]
                                                if self.rng.random() < 0.7 else [])),
            (2, lambda: ["vma"]),
            (1, lambda: ["events"] + (["reset"] if self.rng.random() < 0.3 else [])),
            (1, lambda: ["info"]),
            (1, lambda: ["help"]),
            (1, lambda: [self.pick(["test", "bench"]), "nomatch_" + str(self.rng.randrange(100))]),
        ]
        total = sum(w for w, _ in table)
        x = self.rng.randrange(total)
        for w, f in table:
            if x < w:
                return f(), rng
            x -= w
        raise AssertionError

    def join(self, words):
        if self.rng.random() < 0.15:
            seps = [self.pick([" ", "  ", "\t", " \t "]) for _ in words]
            s = "".join(w + sep for w, sep in zip(words, seps)).rstrip(" \t")
            return self.pick(["", " ", "\t"]) + s + self.pick(["", " ", "  "])
        return " ".join(words)

    def malform(self, words):
        """A malformed line (bytes) built from a valid command's words."""
        kind = self.rng.randrange(12)
        line = self.join(words).encode()
        if kind == 0 and len(line) > 1:           # truncated
            return line[:self.rng.randrange(1, len(line))]
        if kind == 1:                             # an argument replaced by garbage or a huge number
            w = list(words)
            i = self.rng.randrange(len(w))
            w[i] = self.pick(HUGE) if self.rng.random() < 0.6 else \
                "".join(chr(self.rng.randrange(0x21, 0x7f)) for _ in range(self.rng.randrange(1, 12)))
            return self.join([x for x in w if x] or ["x"]).encode()
        if kind == 2:                             # a control byte inside (never run)
            i = self.rng.randrange(len(line) + 1)
            return line[:i] + bytes([self.pick(CTRL_BYTES)]) + line[i:]
        if kind == 3:                             # a non-ASCII byte inside (never run)
            i = self.rng.randrange(len(line) + 1)
            return line[:i] + bytes([self.pick(HIGH_BYTES)]) + line[i:]
        if kind == 4:                             # escape sequences: ignored
            i = self.rng.randrange(len(line) + 1)
            return line[:i] + self.pick(ESC_SEQS) + line[i:]
        if kind == 5:                             # typed wrong, erased with BS or DEL
            i = self.rng.randrange(len(line) + 1)
            junk = bytes(self.rng.randrange(0x21, 0x7f) for _ in range(self.rng.randrange(1, 4)))
            return line[:i] + junk + self.pick([b"\x7f", b"\x08"]) * len(junk) + line[i:]
        if kind == 6:                             # more than 8 words
            extra = MAX_WORDS + 1 - len(words) + self.rng.randrange(3)
            return (line.decode() + " x" * max(extra, 1)).encode()
        if kind == 7:                             # over-long line (or exactly at the limit)
            n = self.pick([LINE_MAX - len(line), LINE_MAX + 1 - len(line),
                           self.rng.randrange(300, 1200)])
            return line + b" " + b"9" * max(n - 1, 1)
        if kind == 8:                             # printable garbage
            return bytes(self.rng.randrange(0x20, 0x7f) for _ in range(self.rng.randrange(1, 60)))
        if kind == 9:                             # any bytes but the line-ending/editing ones
            pool = CTRL_BYTES + HIGH_BYTES + list(range(0x20, 0x7f)) * 3
            return bytes(self.pick(pool) for _ in range(self.rng.randrange(1, 40)))
        if kind == 10:                            # unknown command / wrong subcommand
            return self.pick([b"frobnicate", b"MAP 0x2000000000 4K rw", b"mm", b"mm frob",
                              b"numa", b"numa scan", b"tlbi", b"softdirty set", b"uffd",
                              b"touch", b"touch 0x2000000000 x", b"exit now", b"quit 1",
                              b"pte", b"# a comment", b"   ", b""])
        return line + b" " + self.pick(HUGE).encode()   # a trailing extra argument

    # ---- checking ------------------------------------------------------------------
    def expected_refusal(self, raw):
        """The exact error line a line must give, '' for no output, or None."""
        kind, val = model_line(raw, self.lines_read)
        if kind == "long":
            return "error: line longer than %d characters" % LINE_MAX
        if kind == "bad":
            what = "control character" if val < 0x20 else "non-ASCII byte"
            return "error: %s 0x%02x in the command" % (what, val)
        w = words_of(val)
        if not w or w[0].startswith("#"):
            return ""
        if len(w) > MAX_WORDS:
            return "error: too many arguments (at most %d words)" % MAX_WORDS
        return None

    def one(self, raw, rng):
        kind, text = model_line(raw, self.lines_read)
        words = words_of(text) if kind == "ok" else []
        name = words[0] if words else ""
        sub = words[1] if len(words) > 1 else ""
        if name in ("exit", "quit"):
            if len(words) == 1:
                return ""                           # would end the shell: not sent
        read_only = name in READ_ONLY or (name == "mm" and sub == "list") or \
            (name == "events" and len(words) == 1)
        before = None if read_only else self.snapshot(rng)
        refusal = self.expected_refusal(raw)     # before send: it adds raw to the history
        out = self.send(raw)
        self.stats["commands"] += 1
        if refusal == "":
            if out:
                raise Failure("%r: expected no output (empty or comment line), got %s"
                              % (raw, out[:3]))
            self.stats["silent"] += 1
            return refusal
        if not out:
            raise Failure("%r: no output (expected ok or error:)" % raw)
        last = out[-1]
        if refusal is not None and out != [refusal]:
            raise Failure("%r: expected exactly %r, got %s" % (raw, refusal, out[-3:]))
        if last == "ok":
            self.stats["ok"] += 1
            if name == "map" and len(words) >= 3:
                try:
                    a = int(words[1], 0)
                    l = int(words[2][:-1], 0) << {"K": 10, "M": 20}[words[2][-1]] \
                        if words[2][-1] in "KM" else int(words[2], 0)
                    self.maps[self.cur] = (self.maps.get(self.cur, []) + [(a, l)])[-24:]
                except (ValueError, KeyError):
                    pass
            if name == "fork" and len(out) >= 2 and re.fullmatch(r"mm \d+", out[-2]):
                self.maps[int(out[-2].split()[1])] = list(self.maps.get(self.cur, []))
        elif last.startswith("error: "):
            self.stats["error"] += 1
            key = re.sub(r"0x[0-9a-f]+|\d+|'[^']*'", "N", last)[:60]
            self.errors_seen[key] = self.errors_seen.get(key, 0) + 1
            if before is not None:
                segv = name == "touch" and last.startswith("error: segv at")
                after = self.snapshot(rng, full=not segv)
                if after != before[:len(after)]:
                    diff = [(b, a) for b, a in zip(before, after) if b != a]
                    raise Failure("%r ended in %r but changed the state:\n  before: %s\n  after:  %s"
                                  % (raw, last, diff[0][0][:8], diff[0][1][:8]))
                self.stats["checked"] += 1
        else:
            raise Failure("%r: the output does not end with ok or error: (last line %r)"
                          % (raw, last))
        return refusal

    # ---- the run ---------------------------------------------------------------------
    def fixed(self):
        """Regression lines run first, whatever the seed."""
        self.expect_ok(b"mm new")
        self.expect_ok(b"map 0x2000000000 8K rw")
        checks = [
            b"unm\x00ap 0x2000000000 8K",           # a NUL inside a word: refused, not unmap
            b"unm\x01ap 0x2000000000 8K",
            b"unmap 0x2000000000\x1f 8K",
            b"unmap 0x2000000000 8K\xc3\xa9",
            b"vma", b"\x1b[A", b"\x1b[A\x1b[B", b"\x1bOA",  # history: vma again; up+down: empty
            b"\x1b[A\x7f\x7fma",                     # recalled, edited: vma
            b"vmx\x7fa", b"vmx\x08a",               # erased typo: vma
            b"\x1b[1;5Cvma",
            b"touch 0x3000000000 r",
            b"x" * (LINE_MAX + 1),
            b"vma " + b" " * (LINE_MAX - 4),         # exactly 256 characters: runs
            b"a b c d e f g h i",
        ]
        for raw in checks:
            self.one(raw, (BASE, 2))
        # The last word of the window: an access (a segfault, nothing mapped
        # there), not "outside the managed window" as with a 4 KiB default.
        for rw in (b"w", b"r"):
            last = b"0x%x" % (END - 8)
            out = self.send(b"touch " + last + b" " + rw)
            if not out[-1].startswith("error: segv at %s (" % last.decode()):
                raise Failure("touch %s %s: %s" % (last.decode(), rw.decode(), out[-2:]))
        self.expect_ok(b"unmap 0x2000000000 8K")
        self.expect_ok(b"mm del %d" % self.ids_after_refresh()[0])

    def ids_after_refresh(self):
        self.refresh()
        return self.ids

    def fill_table(self):
        """mm new until the table is full: the limit must be a clean error."""
        for _ in range(MAX_MMS + 1):
            out = self.send(b"mm new")
            self.stats["commands"] += 1
            if out[-1] == "ok":
                continue
            if out[-1] not in ("error: mm table full (%d address spaces)" % MAX_MMS,
                               "error: mm_create failed (out of memory or address spaces)"):
                raise Failure("mm new on a full table: %s" % out[-2:])
            break
        else:
            raise Failure("mm new succeeded %d times (limit %d)" % (MAX_MMS + 1, MAX_MMS))
        self.refresh()
        if len(self.ids) != MAX_MMS:
            raise Failure("table full at %d address spaces, expected %d" % (len(self.ids), MAX_MMS))
        out = self.send(b"fork")
        if out[-1] != "error: mm table full (%d address spaces)" % MAX_MMS:
            raise Failure("fork on a full table: %s" % out[-2:])
        for i in self.ids[4:]:
            self.expect_ok(b"mm del %d" % i)

    def housekeeping(self):
        """Stay well clear of the VMA pool and of memory."""
        self.refresh()
        low_mem = self.free_now < self.free_start // 2
        if self.vmas > VMA_BUDGET or low_mem or len(self.ids) > MAX_MMS - 4:
            victims = [i for i in self.ids if i != self.cur]
            for i in victims[:max(1, len(victims) // 2)]:
                self.expect_ok(b"mm del %d" % i)
            if self.cur is not None:
                self.expect_ok(b"unmap 0x%x 0x%x" % (BASE, REGION_PAGES * PAGE))
            self.refresh()

    def run(self):
        out = self.send(b"info")
        self.free_start = sum(int(m.group(1)) for l in out
                              for m in [re.search(r"^node \d+ .*free=(\d+)", l)] if m)
        self.fixed()
        self.refresh()
        n = 0
        while n < self.count:
            if time.monotonic() > self.deadline:
                print("# %s: time limit reached after %d commands" % (self.arch, n))
                break
            if n % 16 == 0:
                self.housekeeping()
            if n == self.count // 2:
                self.fill_table()
                self.refresh()
            words, rng = self.valid_command()
            raw = self.malform(words) if self.rng.random() < 0.35 else self.join(words).encode()
            if bytes(b for b in raw if 0x20 <= b <= 0x7e).startswith(ss.PROMPT):
                raw = b"x" + raw                # its echo would read as the next prompt
            a, l = rng
            a = a if BASE <= a < END and a % PAGE == 0 else BASE
            pages = max(1, min(16, l // PAGE, (END - a) // PAGE))
            refusal = self.one(raw, (a, pages))
            n += 1
            if words[0] in ("mm", "fork") and refusal is None:
                self.refresh()
        # Clean up: every address space deleted, every page back.
        self.refresh()
        for i in self.ids:
            self.expect_ok(b"mm del %d" % i)
        self.refresh()
        if self.ids:
            raise Failure("address spaces left after deleting all: %s" % self.ids)
        if self.free_now != self.free_start:
            raise Failure("free pages %d after deleting every address space, %d at the start"
                          % (self.free_now, self.free_start))
        out, rc = self.sh.finish()
        self.sh.check_crash(out, "exit")
        if not any("TESTBED: status=pass" in l for l in out) or rc != 0:
            raise Failure("exit: QEMU status %s, output %s" % (rc, out[-3:]))


def fuzz_arch(arch, kernel, seed, count, time_limit, log, verbose):
    global BASE, END
    BASE, END = ss.WINDOW_MOVE[arch][1] if arch in ss.WINDOW_MOVE else (0x2000000000, 0x3000000000)
    start = time.monotonic()
    sh = None
    fz = None
    try:
        sh = Shell(arch, kernel, log)
        fz = Fuzzer(arch, seed, sh, count, time_limit, verbose)
        fz.run()
        err = None
    except Failure as e:
        err = str(e)
    finally:
        if sh:
            sh.close()
    elapsed = time.monotonic() - start
    return fz, err, elapsed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", default="all", choices=["arm64", "riscv64", "arm", "all"])
    ap.add_argument("--seed", default="random",
                    help="integer seed, or 'random' (default; printed for replay)")
    ap.add_argument("--count", type=int, default=300, help="random commands per arch (300)")
    ap.add_argument("--time-limit", type=float, default=45,
                    help="stop generating commands after this many seconds per arch (45)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--log", metavar="FILE", help="write every command and its output")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the session")
    args = ap.parse_args(argv)
    if args.seed == "random":
        seed = random.SystemRandom().randrange(1 << 32)
    else:
        try:
            seed = int(args.seed, 0)
        except ValueError:
            print("error: --seed must be an integer or 'random'")
            return 2
    arches = ["arm64", "riscv64", "arm"] if args.arch == "all" else [args.arch]
    log = open(args.log, "w") if args.log else None
    passed = failed = 0
    try:
        for arch in arches:
            kernel = os.path.join(args.build_dir, arch, "kernel.elf")
            if not os.path.exists(kernel):
                print("not ok shell_fuzz %s (%s not found: run 'make ARCH=%s')"
                      % (arch, kernel, arch))
                failed += 1
                continue
            print("# shell_fuzz %s seed=%d count=%d" % (arch, seed, args.count), flush=True)
            if log:
                log.write("# %s seed=%d\n" % (arch, seed))
            fz, err, elapsed = fuzz_arch(arch, kernel, seed, args.count, args.time_limit, log,
                                         args.verbose)
            st = fz.stats if fz else {}
            summary = "%d commands (%d ok, %d error, %d silent; %d errors checked unchanged) " \
                      "in %.1f s" % (st.get("commands", 0), st.get("ok", 0), st.get("error", 0),
                                     st.get("silent", 0), st.get("checked", 0), elapsed)
            replay = "replay: /usr/bin/python3 tools/shell_fuzz.py --arch %s --seed %d --count %d -v" \
                     % (arch, seed, args.count)
            if err is None:
                print("ok shell_fuzz %s seed=%d: %s" % (arch, seed, summary))
                if fz and args.verbose:
                    for k, v in sorted(fz.errors_seen.items(), key=lambda kv: -kv[1]):
                        print("#   %4d  %s" % (v, k))
                    for dt, raw in fz.slowest:
                        print("#   slowest: %.3f s  %r" % (dt, raw))
                passed += 1
                continue
            failed += 1
            print("not ok shell_fuzz %s seed=%d: %s" % (arch, seed, err))
            print("#   after %s" % summary)
            print("#   " + replay)
            if fz:
                print("#   last commands:")
                for i, raw, out in fz.history[-12:]:
                    print("#     %4d mm> %r" % (i, raw))
                    for l in out[-4:]:
                        print("#          " + l)
    finally:
        if log:
            log.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
