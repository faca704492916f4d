"""Seeded, bounded fuzz test of tools/benchread.py (file mode).

A few thousand console lines mix the fixtures' valid results (and valid
variations of them) with every kind of bad line the reader must survive:
random truncations and byte flips, deep nesting, huge numbers, NaN,
surrogates, wrong types, duplicate keys, NUL and invalid UTF-8 bytes, long
lines of repeated markers. The reader must keep every valid result, write its
outputs, never print a traceback nor exit 3 (internal error), and stay fast.

Replay or explore with BENCHREAD_FUZZ_SEED=<n> (the seed is printed).
"""
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.abspath(os.path.join(HERE, "..", "..", "tools"))
FIX = os.path.join(HERE, "fixtures")
sys.path.insert(0, TOOLS)
sys.path.insert(0, FIX)
import benchread  # noqa: E402
import make_bench_fixtures as fx  # noqa: E402

SEED = int(os.environ.get("BENCHREAD_FUZZ_SEED", "20240917"))
N_BAD = 2500                 # bad lines
N_EXTRA_VALID = 16           # valid results besides the fixtures' ones
CPU_BUDGET = 10.0            # seconds of CPU for the whole file-mode run
# Byte flips stay after this prefix: a schema version other than 1 is a fatal
# error by design (the whole run is refused), not a bad line.
PREFIX = len('BENCH {"schema":1,')

NUMERIC_PATHS = [("cycles", "min"), ("cycles", "median"), ("cycles", "max"),
                 ("instructions", "median"), ("time_ns", "max"), ("events", "tlbi_page"),
                 ("events", "faults"), ("per", "count"), ("params", "size_kib"), ("reps",)]
WRONG_TYPES = [("name", 1), ("name", ""), ("variant", None), ("arch", ["arm64"]),
               ("params", [1]), ("params", "x"), ("params", {"a": {"b": 1}}),
               ("params", {"a": [1]}), ("reps", "5"), ("reps", 1.5), ("reps", True),
               ("counters", {"cycles": {}}), ("counters", {"cycles": None}),
               ("counters", []), ("events", {"x": "y"}), ("events", {"x": None}),
               ("events", []), ("per", [16]), ("per", {"unit": "", "count": 1}),
               ("per", {"unit": "page", "count": "16"}), ("per", {"unit": 7, "count": 1}),
               ("per", {"unit": "page", "count": 1, "tlbi_milli": "1"}),
               ("cycles", 5), ("cycles", {"min": 1}), ("cycles", {"median": "1"}),
               ("time_ns", []), ("icount", "yes"), ("machine", 1), ("cpu", {}),
               ("baseline", 1), ("baseline", ["per-page"])]


def dump(o):
    return json.dumps(o, separators=(",", ":"))


def result_key(r):
    return (r["name"], r["variant"], json.dumps(r["params"], sort_keys=True))


def copy(o):
    return json.loads(json.dumps(o))


# ------------------------------------------------------------------ valid lines
def valid_results(rng):
    """The fixtures' results plus valid variations (odd but legal values)."""
    out = copy(fx.RESULTS)
    for i in range(N_EXTRA_VALID):
        o = copy(rng.choice(fx.RESULTS))
        o["variant"] = f"fz-{i}"
        o.pop("baseline", None)
        kind = i % 8
        if kind == 1:
            o["variant"] = f"caf\u00e9-{i}-\u20ac"
        elif kind == 2:
            o["instructions"] = None
            o["note"] = "instructions: counter does not advance"
        elif kind == 3:
            o["events"]["tlbi_page"] = 2 ** 64 - 1
            o["per"]["count"] = 2 ** 64 - 1
        elif kind == 4:
            o["cycles"] = {"min": 0.5, "median": 1.25, "max": 1e18}
        elif kind == 5:
            o["variant"] = f"$\\x_{i}$ | [odd]"
        elif kind == 6:
            o["baseline"] = "per-page" if o["name"] == "mprotect" else "anon"
        elif kind == 7:
            o["params"] = dict(o["params"], extra=rng.choice([None, True, "s", 1.5]))
        out.append(o)
    return out


def valid_line(rng, r):
    """One valid result line, maybe decorated as a real console would."""
    line = "BENCH " + dump(r)
    k = rng.random()
    if k < 0.1:
        line = "\x1b[32m" + line + "\x1b[0m"
    elif k < 0.2:
        line = "[   12.345] " + line
    elif k < 0.25:
        line = "BENCH " + json.dumps(r, indent=None)       # spaces after separators
    return line


# ------------------------------------------------------------------ bad lines
def bad_huge_number(rng, r):
    o = copy(r)
    path = rng.choice(NUMERIC_PATHS)
    digits = rng.choice([25, 309, 400, 4299, 4301, 6000])
    big = rng.choice(["", "-"]) + "9" * digits + rng.choice(["", ".5", "e5", "e400"])
    target = o
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = "@@BIG@@"
    return ("BENCH " + dump(o)).replace('"@@BIG@@"', big)


def bad_deep(rng, r):
    n = rng.choice([17, 50, 999, 1001, 3000])
    opening = rng.choice(["[", '{"a":', '[{"b":'])
    closing = {"[": "]", '{"a":': "}", '[{"b":': "}]"}[opening]
    tail = closing * n if rng.random() < 0.5 else ""
    return rng.choice(["BENCH", "BENCH-BEGIN", "BENCH-END"]) + ' {"schema":1,"x":' + \
        opening * n + "1" + tail + "}"


def bad_wrong_type(rng, r):
    k = rng.random()
    if k < 0.2:
        sel = rng.choice([[{}], [1], "mprotect", [["a"]], {"a": 1}, [None]])
        return "BENCH-BEGIN " + dump({"schema": 1, "arch": "arm64", "selected": sel})
    if k < 0.35:
        return "BENCH-END " + dump({"schema": 1, "count": rng.choice(
            ["9", [], {}, -1, 1.5, None, True])})
    o = copy(r)
    field, value = rng.choice(WRONG_TYPES)
    o[field] = value
    if rng.random() < 0.2:
        del o[rng.choice(["name", "variant", "params", "reps", "per", "cycles", "events"])]
    return "BENCH " + dump(o)


def bad_text(rng, r):
    """Lone surrogates, control characters, U+FFFD in a string or a key."""
    o = copy(r)
    bad = rng.choice(["\ud800", "\udfff", "x\udc00y", "\n", "a\x00b", "\x1b[2J", "\ufffd"])
    where = rng.randrange(6)
    if where == 0:
        o["name"] = bad
    elif where == 1:
        o["variant"] += bad
    elif where == 2:
        o["params"][bad] = 1
    elif where == 3:
        o["events"][bad] = 1
    elif where == 4:
        o["counters"]["cycles"] = bad
    else:
        o["note"] = bad
    return "BENCH " + dump(o)            # json.dumps escapes them: \ud800, \n, ...


def bad_constant(rng, r):
    o = copy(r)
    path = rng.choice(NUMERIC_PATHS)
    target = o
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = "@@C@@"
    return ("BENCH " + dump(o)).replace('"@@C@@"', rng.choice(["NaN", "Infinity", "-Infinity"]))


def bad_negative(rng, r):
    o = copy(r)
    k = rng.randrange(5)
    if k == 0:
        o["events"]["faults"] = -rng.randint(1, 10 ** 6)
    elif k == 1:
        o["reps"] = rng.choice([0, -5])
    elif k == 2:
        o["cycles"]["min"] = -1
    elif k == 3:
        o["per"]["count"] = rng.choice([0, -16, -0.5])
    else:
        o["per"]["tlbi_milli"] = -1
    return "BENCH " + dump(o)


def bad_duplicate_key(rng, r):
    line = "BENCH " + dump(r)
    key = rng.choice(['"reps":5', '"arch":"arm64"', '"unit":"page"', '"faults":0'])
    return line.replace(key, key + "," + key, 1)


def bad_truncated(rng, r):
    line = rng.choice(["BENCH " + dump(r), fx.BEGIN, fx.END]).encode()
    return line[:rng.randrange(1, len(line) - 1)]


def bad_flipped(rng, r):
    line = bytearray(("BENCH " + dump(r)).encode())
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(PREFIX, len(line))
        line[i] = rng.choice([rng.randrange(256), ord('"'), ord("{"), ord("]"), ord("\\"), 0])
    return bytes(line).replace(b"\n", b" ")


def bad_bytes(rng, r):
    """NUL bytes, invalid UTF-8, BOM, a line cut inside a multibyte character."""
    k = rng.randrange(6)
    good = ("BENCH " + dump(dict(r, variant="mb-\u00e9\u20ac\U0001f600"))).encode("utf-8")
    good = good.replace(b"\\u00e9\\u20ac\\ud83d\\ude00", "\u00e9\u20ac\U0001f600".encode())
    if k == 0:
        cut = good.index("\u20ac".encode()) + rng.randint(1, 2)
        return good[:cut]
    if k == 1:
        return good.replace(b"mb-", b"mb-\xff\xfe", 1)
    if k == 2:
        i = rng.randrange(PREFIX, len(good))
        return good[:i] + b"\x00" + good[i:]
    if k == 3:
        return b"\xef\xbb\xbf" + b"BENCH \xef\xbb\xbf" + good[6:]
    if k == 4:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))).replace(b"\n", b"")
    return b"\x00\x00\xff BENCH \x00" + good[6:40]


def bad_repeated(rng, r):
    unit = rng.choice(['BENCH {"schema":1,"n":"', "BENCH ", 'BENCH {"a":[', 'BENCH {"\\',
                       'BENCH-END {"schema":1,"count":'])
    return unit * int(rng.choice([10, 100, 1000]) * rng.uniform(1, 4))


def bad_other(rng, r):
    return rng.choice([
        "BENCHMARKS: none", "XBENCH {}", "BENCH", "BENCH ", "BENCH {", "BENCH []", "BENCH 1",
        'BENCH "schema"', "BENCH {}", 'BENCH {"schema":null}', 'BENCH {"schema":true}',
        'BENCH {"schema":"1"}', 'BENCH {"schema":1}', 'BENCH {"schema":1} trailing',
        "KTAP version 1", "1..3", "ok 1 mm.map", "not ok 2 mm.unmap # FAIL", "# bench x: note",
        "        # BENCH-TEST {\"schema\":1}", "\r", "", "\t\t", "BENCH-BEGIN {",
        'BENCH-BEGIN {"schema":1,"selected":[]} BENCH-END {"schema":1}',
        "BENCH " + dump(dict(r, schema=None)),
        "BENCH " + dump(r)[:-1] + "," + dump(r)[1:]])


BAD = [bad_huge_number, bad_deep, bad_wrong_type, bad_text, bad_constant, bad_negative,
       bad_duplicate_key, bad_truncated, bad_flipped, bad_bytes, bad_repeated, bad_other]


def generate(rng):
    """Return (console bytes, the valid results in it)."""
    valid = valid_results(rng)
    bad = []
    for i in range(N_BAD):
        gen = BAD[i % len(BAD)] if i < 4 * len(BAD) else rng.choice(BAD)
        line = gen(rng, rng.choice(fx.RESULTS))
        bad.append(line.encode("utf-8") if isinstance(line, str) else line)
    # one line over the limit, and a cut line glued to a valid one
    max_line = getattr(benchread, "MAX_LINE", 1 << 20)
    bad.append(b'BENCH {"schema":1,"n":"' * (max_line // 20))
    lines = [(b, False) for b in bad]
    for r in valid:
        line = valid_line(rng, r).encode("utf-8")
        if rng.random() < 0.1:
            cut = bad_truncated(rng, r).rstrip(
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
            line = cut + line
        lines.append((line, True))
    rng.shuffle(lines)
    # BEGIN at the start, END at the end, a few resent / extra ones in between
    out = [fx.BEGIN.encode()] + [b for b, _ in lines] + [fx.END.encode()]
    for _ in range(5):
        out.insert(rng.randrange(1, len(out)), rng.choice([fx.BEGIN, fx.END]).encode())
    eol = [b"\n", b"\r\n", b"\r\r\n"]
    data = b"".join(b + rng.choice(eol) for b in out)
    if rng.random() < 0.5:
        data = data[:-1]                     # no final newline
    return data, valid


class Fuzz(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="benchread-fuzz-")
        sys.stderr.write(f"\nbenchread fuzz seed {SEED} (BENCHREAD_FUZZ_SEED to replay) ... ")
        self.data, self.valid = generate(random.Random(SEED))
        self.want = {result_key(r) for r in self.valid}

    def tearDown(self):
        import shutil
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_file_mode_keeps_every_valid_result(self):
        path = os.path.join(self.tmp, "fuzz.log")
        with open(path, "wb") as f:
            f.write(self.data)
        out = os.path.join(self.tmp, "out")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "benchread.py"), "file", path,
                            "-o", out], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, MPLBACKEND="Agg"))
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        nlines = self.data.count(b"\n") + 1
        sys.stderr.write(f"{len(self.data)} bytes, {nlines} lines: exit {p.returncode}, "
                         f"{cpu:.2f} s CPU, {wall:.2f} s ... ")
        ctx = f"seed {SEED}: " + p.stderr[-3000:]
        self.assertNotIn("Traceback", p.stdout + p.stderr, ctx)
        self.assertNotIn("internal error", p.stderr, ctx)
        self.assertIn(p.returncode, (0, 1), ctx)
        for line in p.stderr.splitlines():
            self.assertTrue(line.startswith(("warning: ", "error: ")), f"seed {SEED}: {line!r}")
        with open(os.path.join(out, "results.jsonl"), encoding="utf-8") as f:
            got = {result_key(json.loads(line)) for line in f}
        missing = self.want - got
        self.assertFalse(missing, f"seed {SEED}: valid results lost: {sorted(missing)[:5]}")
        for name in ("raw.log", "results.csv", "report.md"):
            self.assertGreater(os.path.getsize(os.path.join(out, name)), 0, name)
        with open(os.path.join(out, "raw.log"), "rb") as f:
            self.assertEqual(f.read(), self.data)
        self.assertLess(cpu, CPU_BUDGET, f"seed {SEED}: too slow")

    def test_chunking_does_not_matter(self):
        rng = random.Random(SEED + 1)
        t0 = time.process_time()
        whole = benchread.read_text(self.data, "fuzz")
        self.assertTrue(self.want <= {result_key(r) for r in whole.results}, f"seed {SEED}")
        r = benchread.BenchReader("fuzz")
        i = 0
        while i < len(self.data):
            n = rng.choice([1, 2, 3, 7, 64, 4096, 65536])
            r.feed_bytes(self.data[i:i + n])
            i += n
        r.finish()
        self.assertEqual(r.results, whole.results, f"seed {SEED}")
        self.assertEqual(r.warnings, whole.warnings, f"seed {SEED}")
        self.assertEqual(r.errors, whole.errors, f"seed {SEED}")
        self.assertLess(time.process_time() - t0, CPU_BUDGET, f"seed {SEED}: too slow")


if __name__ == "__main__":
    unittest.main()
