#!/usr/bin/python3
"""Planted-bug (mutation) testing: `make mutants`.

Each entry of tests/mutants/mutants.txt changes ONE source line (a planted
bug) and names the test targets that should catch it. For every selected
mutant this tool copies the tree to build/mutants/<name>/src, applies the
change, builds what the targets need, runs them, and prints a table saying
whether some target failed (the bug was caught) and which.

    tools/mutants.py                      run every mutant (after a control run)
    tools/mutants.py --only 'tlb-*' -j 1  a subset, one at a time
    tools/mutants.py --arch riscv64       that arch's mutants and targets only
    tools/mutants.py --list               what the list holds
    tools/mutants.py --check              every find line matches once; no build

The list format is described at the top of tests/mutants/mutants.txt and in
parse_list_text(). Importable parts (tested by tests/tools/test_mutants.py):
parse_target, parse_list_text, apply_line_change, check_mutants.
"""

import argparse
import concurrent.futures
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402  (tests/qemu.conf parsing)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LIST = os.path.join("tests", "mutants", "mutants.txt")
WORK_DIR = os.path.join("build", "mutants")
CONTROL = "_control"           # the unmutated copy (mutant names cannot start with '_')
ARCHES = ("arm64", "riscv64", "arm")
BOTH = ("arm64", "riscv64")      # arch: both (the two 64-bit arches)
DEFAULT_TIMEOUT = 120.0       # seconds per QEMU configuration or host binary
BUILD_TIMEOUT = 900.0
NOT_COPIED = ("build/", "results/")   # never part of a copy, even if untracked


class ListError(Exception):
    """The mutant list is malformed; .problems holds one message per error."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


class StaleError(Exception):
    """A mutant's find line does not match exactly one line of its file."""


# ------------------------------------------------------------------ the list
@dataclass
class Target:
    kind: str                  # "qemu" or "host"
    name: str                  # configuration name glob, or host binary (test_x)
    bootargs: str = ""         # qemu: extra boot arguments
    env: Dict[str, str] = field(default_factory=dict)   # host: environment
    text: str = ""             # as written in the list

    def __str__(self):
        return self.text


@dataclass
class Mutant:
    name: str
    why: str
    file: str
    find: str
    replace: str
    arches: List[str]
    targets: List[Target]
    occurrence: Optional[int] = None
    lineno: int = 0


NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
HOST_BIN_RE = re.compile(r"test_[A-Za-z0-9_]+")
ENV_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)")
REQUIRED = ("why", "file", "find", "replace", "arch", "tests")
OPTIONAL = ("occurrence",)
CONTINUED = ("why", "tests")   # keys whose value may go on over indented lines


def parse_target(text):
    """'qemu:CONFIG_GLOB[:BOOTARGS]' or 'host:test_NAME[:VAR=value ...]' -> Target.

    Raises ValueError with a readable message."""
    text = text.strip()
    kind, _, rest = text.partition(":")
    if kind == "qemu":
        glob, _, boot = rest.partition(":")
        glob = glob.strip()
        if not glob or any(c.isspace() for c in glob):
            raise ValueError(f"'{text}': expected qemu:CONFIG_GLOB[:BOOTARGS]")
        return Target("qemu", glob, bootargs=" ".join(boot.split()), text=text)
    if kind == "host":
        binary, _, envtext = rest.partition(":")
        binary = binary.strip()
        if not HOST_BIN_RE.fullmatch(binary):
            raise ValueError(f"'{text}': expected host:test_NAME[:VAR=value ...], "
                             f"got binary '{binary}'")
        env = {}
        for word in envtext.split():
            m = ENV_RE.fullmatch(word)
            if not m:
                raise ValueError(f"'{text}': '{word}' is not VAR=value")
            env[m.group(1)] = m.group(2)
        return Target("host", binary, env=env, text=text)
    raise ValueError(f"'{text}': a target starts with 'qemu:' or 'host:'")


def parse_list_text(text, source="mutants.txt"):
    """Parse the mutant list; return [Mutant] or raise ListError (all problems).

    Format: blocks starting with a '[name]' line, then 'key: value' lines.
    Lines starting with '#' and blank lines are ignored. An indented line
    continues the previous key ('why' joins it with a space, 'tests' takes it
    as one more target). See tests/mutants/mutants.txt for the keys."""
    problems = []
    blocks = []          # (name, lineno, {key: [(lineno, value), ...]})
    cur = None
    last_key = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{source}:{lineno}"
        if not raw.strip() or raw.startswith("#"):
            continue
        if raw[0].isspace():                       # continuation
            if cur is None or last_key not in CONTINUED:
                problems.append(f"{where}: indented line continues nothing "
                                f"(only {' and '.join(CONTINUED)} take several lines)")
            else:
                cur[2][last_key].append((lineno, raw.strip()))
            continue
        line = raw.strip()
        m = re.fullmatch(r"\[(.*)\]", line)
        if m:
            name = m.group(1).strip()
            if not NAME_RE.fullmatch(name):
                problems.append(f"{where}: bad mutant name '{name}' "
                                f"(lower case letters, digits, '.', '_', '-')")
            cur = (name, lineno, {})
            blocks.append(cur)
            last_key = None
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not re.fullmatch(r"[a-z]+", key):
            problems.append(f"{where}: expected '[name]' or 'key: value', got '{line}'")
            continue
        if cur is None:
            problems.append(f"{where}: '{key}:' before the first '[name]' line")
            continue
        if key not in REQUIRED + OPTIONAL:
            problems.append(f"{where}: unknown key '{key}' "
                            f"(known: {', '.join(REQUIRED + OPTIONAL)})")
            last_key = None
            continue
        if key in cur[2]:
            problems.append(f"{where}: '{key}' given twice in [{cur[0]}]")
            continue
        cur[2][key] = [(lineno, value.strip())]
        last_key = key

    mutants, seen = [], {}
    for name, lineno, fields in blocks:
        where = f"{source}:{lineno}"
        if name in seen:
            problems.append(f"{where}: mutant '{name}' already defined on line {seen[name]}")
        seen.setdefault(name, lineno)
        missing = [k for k in REQUIRED if k not in fields]
        if missing:
            problems.append(f"{where}: [{name}] lacks {', '.join(missing)}")
            continue

        def one(key):
            return fields[key][0][1]

        why = " ".join(v for _, v in fields["why"] if v)
        for key, value in (("why", why), ("file", one("file")), ("find", one("find")),
                           ("arch", one("arch"))):
            if not value:
                problems.append(f"{source}:{fields[key][0][0]}: [{name}] '{key}' is empty")
        arch = one("arch")
        if arch == "both":
            arches = list(BOTH)
        elif arch in ARCHES:
            arches = [arch]
        else:
            arches = []
            if arch:
                problems.append(f"{where}: [{name}] arch must be arm64, riscv64, arm or both, "
                                f"got '{arch}'")
        targets = []
        for tl, ttext in fields["tests"]:
            if not ttext:
                continue          # 'tests:' alone, the targets on the lines below
            try:
                targets.append(parse_target(ttext))
            except ValueError as e:
                problems.append(f"{source}:{tl}: [{name}] bad target {e}")
        if not any(ttext for _, ttext in fields["tests"]):
            problems.append(f"{where}: [{name}] 'tests' names no target")
        occurrence = None
        if "occurrence" in fields:
            occ = one("occurrence")
            if not re.fullmatch(r"[1-9][0-9]*", occ):
                problems.append(f"{where}: [{name}] occurrence must be a number >= 1, "
                                f"got '{occ}'")
            else:
                occurrence = int(occ)
        if one("find") and one("find") == one("replace"):
            problems.append(f"{where}: [{name}] replace is the same as find")
        mutants.append(Mutant(name, why, one("file"), one("find"), one("replace"),
                              arches, targets, occurrence, lineno))
    if problems:
        raise ListError(problems)
    return mutants


def load_list(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ListError([f"cannot read {path}: {e.strerror}"])
    mutants = parse_list_text(text, path)
    if not mutants:
        raise ListError([f"{path}: no mutants"])
    return mutants


# ------------------------------------------------------------------ applying
def apply_line_change(text, find, replace, occurrence=None):
    """Replace the line whose stripped text is `find` by `replace`, keeping
    the original indentation and line ending. Returns (new_text, lineno).

    Without `occurrence` the find text must match exactly one line; with it,
    the occurrence-th matching line (1-based) is changed. Raises StaleError."""
    lines = text.splitlines(keepends=True)
    find = find.strip()
    hits = [i for i, line in enumerate(lines) if line.strip() == find]
    if occurrence is None:
        if len(hits) != 1:
            raise StaleError(f"find line matches {len(hits)} lines, expected exactly 1"
                             + (f" (lines {', '.join(str(i + 1) for i in hits)}; "
                                f"add 'occurrence: N')" if hits else ""))
        i = hits[0]
    else:
        if occurrence > len(hits):
            raise StaleError(f"occurrence {occurrence} asked, but the find line "
                             f"matches {len(hits)} line(s)")
        i = hits[occurrence - 1]
    old = lines[i]
    body = old.rstrip("\r\n")
    ending = old[len(body):]
    indent = body[:len(body) - len(body.lstrip())]
    lines[i] = indent + replace.strip() + ending
    new = "".join(lines)
    if new == text:
        raise StaleError("the replacement leaves the file unchanged")
    return new, i + 1


def read_source(path):
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return f.read()


def mutate_file(root, m):
    """The mutated text of m.file under root: (text, lineno); raises StaleError."""
    path = os.path.join(root, m.file)
    try:
        text = read_source(path)
    except OSError as e:
        raise StaleError(f"cannot read {m.file}: {e.strerror}")
    return apply_line_change(text, m.find, m.replace, m.occurrence)


# ------------------------------------------------------------------ checking
def host_test_names(root):
    """Host test binaries the Makefile builds: every 'HOST_TESTS += a b' in tests/host/*.mk."""
    names = set()
    d = os.path.join(root, "tests", "host")
    for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if fn.endswith(".mk"):
            with open(os.path.join(d, fn), encoding="utf-8") as f:
                for m in re.finditer(r"^\s*HOST_TESTS\s*\+?=\s*(.*)$", f.read(), re.M):
                    names.update("test_" + w for w in m.group(1).split())
    return names


def target_configs(t, configs):
    """The tests/qemu.conf configurations a qemu target runs."""
    return [c for c in configs if fnmatch.fnmatchcase(c.name, t.name)]


def check_mutants(mutants, root, configs, host_names):
    """Problems of each mutant against the tree at root: {name: [message]}.

    A mutant is fine when its find line applies, each qemu target matches
    configurations of the mutant's arches, each host target is a host test
    the Makefile builds, and each of its arches has a target."""
    out = {}
    for m in mutants:
        probs = []
        try:
            mutate_file(root, m)
        except StaleError as e:
            probs.append(f"STALE: {m.file}: {e}")
        covered = set()
        for t in m.targets:
            if t.kind == "host":
                if t.name not in host_names:
                    probs.append(f"target {t}: no host test '{t.name}' in tests/host/*.mk")
                covered.update(ARCHES)
                continue
            cs = target_configs(t, configs)
            if not cs:
                probs.append(f"target {t}: no configuration in tests/qemu.conf matches "
                             f"'{t.name}'")
            other = sorted({c.arch for c in cs} - set(m.arches))
            if other:
                probs.append(f"target {t}: runs {', '.join(other)} configurations, but the "
                             f"mutant's arch is {'/'.join(m.arches)}")
            covered.update(c.arch for c in cs)
        for a in m.arches:
            if a not in covered:
                probs.append(f"no target runs on {a}")
        if probs:
            out[m.name] = probs
    return out


# ------------------------------------------------------------------ copies
def tree_files(root):
    """Files of the working tree that make up a copy: what git tracks plus new
    untracked files not ignored (so uncommitted edits and additions count)."""
    out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"], capture_output=True, check=True).stdout
    files = sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})
    return [p for p in files if not p.startswith(NOT_COPIED)
            and os.path.isfile(os.path.join(root, p))]


def _same_content(path, data):
    try:
        if os.path.getsize(path) != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def sync_tree(src, files, dst, overrides=None):
    """Make dst hold exactly `files` from src (build/ excepted), with
    overrides {path: bytes} in place of some files' content.

    A file new to dst is copied with its modification time; a file whose
    content differs is rewritten now (so make rebuilds what depends on it,
    also when a mutation is undone); identical files are left alone, so a
    reused copy rebuilds only what changed. Returns the number written."""
    overrides = overrides or {}
    written = 0
    for rel in files:
        s, d = os.path.join(src, rel), os.path.join(dst, rel)
        if rel in overrides:
            data = overrides[rel]
        else:
            with open(s, "rb") as f:
                data = f.read()
        if _same_content(d, data):
            continue
        fresh = not os.path.exists(d)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if fresh and rel not in overrides:
            shutil.copy2(s, d)
        else:
            if os.path.exists(d):
                os.unlink(d)       # never write through a hard link or into the source
            with open(d, "wb") as f:
                f.write(data)
            shutil.copymode(s, d)
        written += 1
    keep = set(files)
    for dirpath, dirnames, filenames in os.walk(dst):
        rel_dir = os.path.relpath(dirpath, dst)
        if rel_dir == ".":
            dirnames[:] = [n for n in dirnames if n != "build"]
        dirnames[:] = [n for n in dirnames if n != "__pycache__"]
        for fn in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, fn))
            if rel not in keep:
                os.unlink(os.path.join(dirpath, fn))
    return written


# ------------------------------------------------------------------ running
@dataclass
class Job:
    """One copy to build and test: a mutant, or the control (mutant None)."""
    name: str
    arches: List[str]                  # arches whose targets run
    targets: List[Target]
    mutant: Optional[Mutant] = None


@dataclass
class Outcome:
    job: Job
    state: str          # mutant: caught | survived | stale | build-failed | error
                        # control: passed | failed | build-failed
    by: str = ""        # the catching target
    detail: str = ""    # first failing case / rule violation / error message
    elapsed: float = 0.0
    results: List[tuple] = field(default_factory=list)   # control: (target, failed, detail, error)


RULE_RE = re.compile(r"RULE VIOLATION.*")
CASE_RE = re.compile(r"^\s*not ok (\S+?)(?::\s+(.*))?$")     # runner.py's failing-case line
KTAP_NOT_OK_RE = re.compile(r"^\s*not ok \d+ (\S+)")          # the kernel's own result line
OTHER_RES = [
    re.compile(r"^\s*# FAILED.*"),                             # host mm_random
    re.compile(r"\[  FAILED  \] (?![0-9]+ test).*"),           # cmocka
    re.compile(r"(ERROR: AddressSanitizer|runtime error:).*"),
    re.compile(r"^\s*problem: .*"),                            # runner.py: crash, timeout...
]


def first_rule_violation(texts):
    """(violation line, name of the case it belongs to or None): a KTAP case's
    diagnostics come before its 'not ok N name' line."""
    for text in texts:
        rule = None
        for line in text.splitlines():
            if rule is None:
                m = RULE_RE.search(line)
                if m:
                    rule = m.group(0).strip()
            else:
                m = KTAP_NOT_OK_RE.match(line)
                if m:
                    return rule, m.group(1)
        if rule:
            return rule, None
    return None, None


def first_failure(output, consoles=()):
    """One line saying what failed, from a target's output (runner.py's or a
    host binary's) and the kernel console logs: the first rule-checker
    violation with the case it failed, else the first failing case with its
    first diagnostic, else (host binaries, crashes) the first failure line."""
    cases = [m for m in (CASE_RE.match(l) for l in output.splitlines()) if m]
    rule, rule_case = first_rule_violation(list(consoles) + [output])
    if rule:
        for m in cases:
            if rule_case and (m.group(1) == rule_case or m.group(1).endswith("." + rule_case)):
                return f"{m.group(1)}: {rule}"
        return rule
    if cases:
        reason = (cases[0].group(2) or "").split(" | ")[0]
        return f"{cases[0].group(1)}: {reason}" if reason else cases[0].group(1)
    for pattern in OTHER_RES:
        for line in output.splitlines():
            m = pattern.search(line)
            if m:
                return m.group(0).strip()
    return ""


def child_env(extra=None):
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(k, None)        # our makes are not sub-makes of `make mutants`
    env.update(extra or {})
    return env


def run_logged(cmd, cwd, env, log, timeout, append=False):
    """Run cmd with its output in the file log; its exit status, or None if
    it ran out of time and was killed. It stays in our process group, so
    Ctrl-C reaches it (runner.py then stops its QEMU)."""
    with open(log, "a" if append else "w", encoding="utf-8") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=f,
                                stderr=subprocess.STDOUT)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            f.write(f"\n(killed after {timeout:g} s)\n")
            return None


class Runner:
    def __init__(self, args, configs, files):
        self.args = args
        self.configs = configs
        self.files = files
        self.work = os.path.abspath(args.work_dir)
        self.lock = threading.Lock()

    def say(self, msg):
        with self.lock:
            print(msg, flush=True)

    def job_dir(self, job):
        return os.path.join(self.work, job.name)

    # -- targets of a mutant for the selected arches
    def applicable(self, m, arches):
        out = []
        for t in m.targets:
            if t.kind == "host" or {c.arch for c in target_configs(t, self.configs)} & set(arches):
                out.append(t)
        return out

    def qemu_arches(self, job, t):
        return sorted({c.arch for c in target_configs(t, self.configs)} & set(job.arches))

    # -- steps
    def prepare(self, job, snapshot):
        """Copy the snapshot to <job>/src (a fresh copy starts from the
        control's build directory) and apply the mutation."""
        if job.mutant is None:
            return snapshot                   # the control runs in the snapshot itself
        src = os.path.join(self.job_dir(job), "src")
        rel = job.mutant.file
        text, _ = mutate_file(snapshot, job.mutant)
        mutated = text.encode("utf-8", "surrogateescape")
        ctrl_build = os.path.join(snapshot, "build")
        if not os.path.isdir(os.path.join(src, "build")) and os.path.isdir(ctrl_build):
            shutil.copytree(ctrl_build, os.path.join(src, "build"), symlinks=True)
        os.makedirs(src, exist_ok=True)
        sync_tree(snapshot, self.files, src, {rel: mutated})
        with open(os.path.join(src, rel), "rb") as f:
            in_copy = f.read()
        with open(os.path.join(snapshot, rel), "rb") as f:
            original = f.read()
        if in_copy != mutated or in_copy == original:
            raise StaleError("the copy's file is not the mutated one")
        return src

    def make(self, src, goal, log, label):
        cmd = ["make", "--no-print-directory", "-s", f"-j{self.args.make_jobs}"] + goal
        rc = run_logged(cmd, src, child_env(), log, BUILD_TIMEOUT, append=True)
        if rc != 0:
            return f"build of {label} failed ({'timed out' if rc is None else f'exit {rc}'})"
        return ""

    def build(self, job, src, targets, log):
        """Build what `targets` need in src: the kernels of their arches and
        their host binaries. Returns an error message, "" if all built."""
        arches = sorted({a for t in targets if t.kind == "qemu" for a in self.qemu_arches(job, t)})
        for a in arches:
            err = self.make(src, [f"ARCH={a}", "kernel"], log, f"the {a} kernel")
            if err:
                return err
        bins = sorted({f"build/host/{t.name}" for t in targets if t.kind == "host"})
        if bins:
            return self.make(src, bins, log, ", ".join(os.path.basename(b) for b in bins))
        return ""

    def run_target(self, job, src, index, t):
        """Run one target; (failed, detail, error). error: could not judge."""
        d = self.job_dir(job)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{t.kind}-{t.name}")[:60]
        log = os.path.join(d, f"{index}-{slug}.log")
        timeout = self.args.timeout
        if t.kind == "qemu":
            arches = self.qemu_arches(job, t)
            console = os.path.join(d, f"{index}-console")
            shutil.rmtree(console, ignore_errors=True)
            cmd = [sys.executable, os.path.join(src, "tools", "runner.py"),
                   "--arch", arches[0] if len(arches) == 1 else "all",
                   "--config", t.name, "--build-dir", os.path.join(src, "build"),
                   "--timeout", f"{timeout:g}", "--keep-logs", console]
            if t.bootargs:
                cmd += ["--append", t.bootargs]
            limit = timeout * max(1, len(target_configs(t, self.configs))) + 60
            env = child_env()
        else:
            console = None
            cmd = [os.path.join(src, "build", "host", t.name)]
            limit = timeout
            env = child_env(t.env)
        rc = run_logged(cmd, src, env, log, limit)
        out = read_source(log)
        texts = []
        if console and os.path.isdir(console):
            for fn in sorted(os.listdir(console)):
                texts.append(read_source(os.path.join(console, fn)))
        if rc is None:
            return True, f"timed out after {limit:g} s", ""
        if t.kind == "qemu":
            if rc == 2:
                return False, "", f"runner setup error: {first_line_with(out, 'error:')}"
            last = out.strip().splitlines()[-1:] or [""]
            m = re.match(r"(\d+) passed, (\d+) failed", last[0])
            failed = rc != 0 or not m or int(m.group(2)) > 0
        else:
            failed = rc != 0
        if not failed:
            return False, "", ""
        detail = first_failure(out, texts) or f"exit status {rc}"
        return True, detail, ""

    def run_job(self, job, snapshot):
        """A mutant: copy, mutate, build, run its targets until one fails."""
        start = time.monotonic()
        os.makedirs(self.job_dir(job), exist_ok=True)

        def done(state, by="", detail=""):
            o = Outcome(job, state, by, detail, time.monotonic() - start)
            self.say(f"[{job.name}] {state}" + (f" by {by}" if by else "")
                     + (f": {detail}" if detail else "") + f" ({o.elapsed:.1f} s)")
            return o

        try:
            src = self.prepare(job, snapshot)
        except StaleError as e:
            return done("stale", detail=f"{job.mutant.file}: {e}")
        # Each target's needs are built just before it runs (make does nothing
        # the second time), so a mutant caught early is not built further.
        log = os.path.join(self.job_dir(job), "build.log")
        open(log, "w").close()
        for i, t in enumerate(job.targets, 1):
            err = self.build(job, src, [t], log)
            if err:
                return done("build-failed", detail=f"{err}: {shown_path(log)}")
            failed, detail, error = self.run_target(job, src, i, t)
            if error:
                return done("error", by=t.text, detail=error)
            if failed:
                return done("caught", by=t.text, detail=detail)
        return done("survived")

    def run_control(self, job, snapshot, pool):
        """The unmutated snapshot: build, then run every target (in parallel)."""
        start = time.monotonic()
        os.makedirs(self.job_dir(job), exist_ok=True)
        log = os.path.join(self.job_dir(job), "build.log")
        open(log, "w").close()
        err = self.build(job, snapshot, job.targets, log)
        if err:
            return Outcome(job, "build-failed", detail=f"{err}: {shown_path(log)}",
                           elapsed=time.monotonic() - start)
        results = list(pool.map(lambda it: (it[1],) + self.run_target(job, snapshot, *it),
                                enumerate(job.targets, 1)))
        bad = [r for r in results if r[1] or r[3]]
        return Outcome(job, "failed" if bad else "passed", elapsed=time.monotonic() - start,
                       results=results)


def first_line_with(text, word):
    for line in text.splitlines():
        if word in line:
            return line.strip()
    return text.strip().splitlines()[-1] if text.strip() else ""


# ------------------------------------------------------------------ output
STATE_WORDS = {
    "caught": "yes",
    "survived": "NO",
    "stale": "NO (STALE)",
    "build-failed": "NO (build failed)",
    "error": "NO (error)",
}


def clip(s, n):
    return s if len(s) <= n else s[:n - 3] + "..."


def print_table(outcomes, out=sys.stdout):
    rows = [("bug", "arch", "caught?", "by", "first failure", "time")]
    for o in outcomes:
        rows.append((o.job.name, "+".join(o.job.arches), STATE_WORDS.get(o.state, o.state),
                     o.by, clip(o.detail, 100), f"{o.elapsed:.0f} s"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for j, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |", file=out)
        if j == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)


# ------------------------------------------------------------------ main
def make_parser():
    ap = argparse.ArgumentParser(
        prog="mutants.py",
        description="Planted-bug testing: apply each one-line mutant of the list to a copy "
                    "of the tree, build, run its targets, and report whether they catch it.",
        epilog="Exit status: 0 every selected mutant caught (and the control passed), "
               "1 otherwise, 2 bad list or usage. Copies and logs: build/mutants/<name>/.")
    ap.add_argument("--list-file", default=None, metavar="FILE",
                    help=f"the mutant list (default {DEFAULT_LIST})")
    ap.add_argument("--only", action="append", metavar="GLOB",
                    help="only mutants whose name matches (repeatable, or comma separated)")
    ap.add_argument("--arch", action="append", choices=list(ARCHES),
                    help="only this arch's mutants and targets (repeatable; default both)")
    ap.add_argument("-j", "--jobs", type=int, default=2, metavar="N",
                    help="mutants run in parallel (default 2)")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SEC",
                    help=f"per QEMU configuration / host binary (default {DEFAULT_TIMEOUT:g})")
    ap.add_argument("--no-control", action="store_true",
                    help="skip the run of the targets on the unmutated tree")
    ap.add_argument("--list", action="store_true", help="list the selected mutants")
    ap.add_argument("--check", action="store_true",
                    help="only check that every find line applies and targets exist (no build)")
    ap.add_argument("--work-dir", default=None, metavar="DIR",
                    help=f"where copies and logs go (default {WORK_DIR})")
    return ap


def select(mutants, only, arches):
    out = []
    for m in mutants:
        if only and not any(fnmatch.fnmatchcase(m.name, g) for g in only):
            continue
        if not set(m.arches) & set(arches):
            continue
        out.append(m)
    return out


def do_list(mutants):
    for m in mutants:
        print(f"[{m.name}]  {'/'.join(m.arches)}  {m.file}"
              + (f"  (occurrence {m.occurrence})" if m.occurrence else ""))
        print(f"    why:  {m.why}")
        print(f"    find: {m.find}")
        print(f"    ->    {m.replace}")
        for t in m.targets:
            print(f"    test: {t}")
    print(f"{len(mutants)} mutant(s)")
    return 0


def do_check(mutants, root, configs):
    problems = check_mutants(mutants, root, configs, host_test_names(root))
    for m in mutants:
        if m.name in problems:
            for p in problems[m.name]:
                print(f"[{m.name}] {p}")
        else:
            _, lineno = mutate_file(root, m)
            print(f"[{m.name}] ok: {m.file}:{lineno}")
    print(f"{len(mutants) - len(problems)} ok, {len(problems)} with problems")
    return 1 if problems else 0


def main(argv=None):
    args = make_parser().parse_args(argv)
    for name in ("list_file", "work_dir"):      # given relative to where we were started
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    os.chdir(ROOT)
    only = [g.strip() for v in args.only or [] for g in v.split(",") if g.strip()]
    arches = args.arch or list(ARCHES)
    try:
        mutants = load_list(args.list_file or DEFAULT_LIST)
        configs = runner.load_conf(runner.DEFAULT_CONF)
    except (ListError, runner.ConfError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    selected = select(mutants, only, arches)
    if not selected:
        print(f"error: no mutant matches" + (f" --only {','.join(only)}" if only else "")
              + f" --arch {' '.join(arches)}", file=sys.stderr)
        return 2
    if args.list:
        return do_list(selected)
    if args.check:
        return do_check(selected, ROOT, configs)
    if args.jobs < 1 or args.timeout <= 0:
        print("error: -j and --timeout must be positive", file=sys.stderr)
        return 2

    # Targets problems (not staleness, which the table reports) stop the run.
    problems = check_mutants(selected, ROOT, configs, host_test_names(ROOT))
    fatal = [f"[{n}] {p}" for n, ps in problems.items() for p in ps if not p.startswith("STALE")]
    if fatal:
        print("error: the mutant list has problems:\n  " + "\n  ".join(fatal), file=sys.stderr)
        return 2
    args.work_dir = args.work_dir or WORK_DIR
    args.make_jobs = max(1, (os.cpu_count() or 1) // args.jobs)
    try:
        files = tree_files(ROOT)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"error: cannot list the tree's files with git: {e}", file=sys.stderr)
        return 2
    r = Runner(args, configs, files)

    jobs = []
    for m in selected:
        ja = [a for a in m.arches if a in arches]
        jobs.append(Job(m.name, ja, r.applicable(m, ja), m))

    # The snapshot: one copy of the working tree that the control runs in and
    # every mutant starts from, so all see the same sources.
    started = time.monotonic()
    control = Job(CONTROL, sorted({a for j in jobs for a in j.arches}), [])
    for j in jobs:
        for t in j.targets:
            if all(t.text != c.text for c in control.targets):
                control.targets.append(t)
    snapshot = os.path.join(r.job_dir(control), "src")
    os.makedirs(snapshot, exist_ok=True)
    sync_tree(ROOT, files, snapshot)
    print(f"mutants: {len(jobs)} selected, snapshot of {len(files)} files in "
          f"{shown_path(snapshot)}", flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        if args.no_control:
            print("control run: skipped (--no-control)", flush=True)
        else:
            c = r.run_control(control, snapshot, pool)
            if not report_control(c, r.job_dir(control)):
                return 1
        outcomes = list(pool.map(lambda j: r.run_job(j, snapshot), jobs))

    print()
    print_table(outcomes)
    caught = sum(o.state == "caught" for o in outcomes)
    print(f"\n{caught} of {len(outcomes)} mutants caught in {time.monotonic() - started:.0f} s"
          + ("" if args.no_control else f" (control run {c.elapsed:.1f} s)")
          + f"; copies and logs in {shown_path(args.work_dir)}/<name>/")
    return 0 if caught == len(outcomes) else 1


def shown_path(path):
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def report_control(c, logs):
    """Print the control run's result; False if the mutant table would mean nothing."""
    n = len(c.job.targets)
    if c.state == "passed":
        print(f"control run: {n} target(s) pass on the unmutated tree ({c.elapsed:.1f} s)",
              flush=True)
        return True
    print(f"control run: {c.state} ({c.elapsed:.1f} s)")
    if c.detail:
        print(f"  {c.detail}")
    for t, failed, detail, error in c.results:
        word = "ERROR " if error else "FAILED" if failed else "ok    "
        print(f"  {word} {t}" + (f": {error or detail}" if error or detail else ""))
    print("error: the targets fail without any mutation, so whether they catch a mutant "
          f"would mean nothing (logs: {shown_path(logs)}/)")
    return False


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
