"""Tests for tools/benchread.py (no QEMU, no board needed)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.abspath(os.path.join(HERE, "..", "..", "tools"))
FIX = os.path.join(HERE, "fixtures")
sys.path.insert(0, TOOLS)
sys.path.insert(0, FIX)
import benchread  # noqa: E402
import make_bench_fixtures as fx  # noqa: E402

HAVE_MPL = importlib.util.find_spec("matplotlib") is not None
HAVE_SERIAL = importlib.util.find_spec("serial") is not None


def fixture(name):
    return os.path.join(FIX, name)


def read_fixture(name):
    with open(fixture(name), "rb") as f:
        return benchread.read_text(f.read(), name)


class TmpDir(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="benchread-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cli(self, *args, env=None, timeout=120):
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "benchread.py")] + list(args),
                           capture_output=True, text=True, timeout=timeout,
                           env=env or dict(os.environ, MPLBACKEND="Agg"))
        self.assertNotIn("Traceback", p.stderr)
        self.assertNotIn("Traceback", p.stdout)
        return p


class Reader(unittest.TestCase):
    def test_good(self):
        r = read_fixture("bench_good.log")
        self.assertEqual((r.errors, r.warnings), ([], []))
        self.assertEqual(len(r.results), len(fx.RESULTS))
        self.assertEqual(r.results, fx.RESULTS)

    def test_board_crlf_noise_garbage_duplicates(self):
        r = read_fixture("bench_board_crlf.log")
        self.assertEqual(r.errors, [])
        self.assertEqual(r.results, fx.RESULTS)
        self.assertEqual(r.duplicates, 1)
        self.assertEqual(len(r.garbage), 2)
        w = "\n".join(r.warnings)
        self.assertIn("ignored 2 garbage line(s)", w)
        self.assertIn("dropped 1 duplicate", w)

    def test_stream_in_small_chunks(self):
        with open(fixture("bench_board_crlf.log"), "rb") as f:
            data = f.read()
        r = benchread.BenchReader("chunks")
        for i in range(0, len(data), 7):
            r.feed_bytes(data[i:i + 7])
        r.finish()
        self.assertEqual((r.errors, r.results), ([], fx.RESULTS))

    def test_truncated_run(self):
        r = read_fixture("bench_truncated.log")
        self.assertEqual(len(r.results), 3)
        self.assertEqual(len(r.errors), 1)
        self.assertIn("run cut short: BENCH-BEGIN at line 1 without BENCH-END", r.errors[0])
        self.assertIn("no result at all for: fault", r.errors[0])
        self.assertTrue(any("line 5" in w and "no newline" in w for w in r.warnings))

    def test_partial_and_garbled_lines(self):
        r = read_fixture("bench_partial.log")
        # line 4 garbled, line 7 holds a cut line followed by a complete one
        self.assertEqual(len(r.results), len(fx.RESULTS) - 2)
        self.assertIn(fx.RESULTS[6], r.results)
        self.assertEqual(sum("invalid JSON" in w for w in r.warnings), 2)
        self.assertTrue(any(w.startswith("line 4:") for w in r.warnings))
        self.assertTrue(any(w.startswith("line 7:") for w in r.warnings))
        self.assertEqual(len(r.errors), 1)
        self.assertIn("announces 9 result(s) but 7 valid one(s) arrived: 2 missing", r.errors[0])

    def test_schema_mismatch(self):
        r = read_fixture("bench_schema2.log")
        self.assertEqual(len(r.errors), 1)
        self.assertIn("schema version 2", r.errors[0])
        self.assertIn("only understands schema version 1", r.errors[0])

    def test_begin_end_schema_mismatch(self):
        r = benchread.read_text('BENCH-BEGIN {"schema":3,"arch":"arm64","selected":[]}\n')
        self.assertTrue(any("BENCH-BEGIN has schema version 3" in e for e in r.errors))

    def test_missing_field(self):
        r = read_fixture("bench_missing_field.log")
        self.assertTrue(any("line 2:" in w and "missing required field 'cycles'" in w
                            for w in r.warnings))
        self.assertEqual(len(r.results), len(fx.RESULTS) - 1)
        self.assertIn("1 missing", r.errors[0])

    def test_no_bench_lines(self):
        r = read_fixture("bench_none.log")
        self.assertEqual(r.errors, ["no BENCH lines found in bench_none.log"])

    def test_bench_like_console_words_are_not_markers(self):
        r = benchread.read_text("BENCHMARKS: none\nXBENCH {}\n")
        self.assertEqual(r.bench_lines, 0)

    def test_end_count_larger_than_received_without_begin(self):
        text = "\n".join(fx.BENCH[:2] + ['BENCH-END {"schema":1,"count":3}']) + "\n"
        r = benchread.read_text(text)
        self.assertTrue(any("capture started late" in w for w in r.warnings))
        self.assertIn("1 missing", r.errors[0])

    def test_resent_begin_and_end_are_duplicates(self):
        lines = [fx.BEGIN, fx.BEGIN] + fx.BENCH + [fx.END, fx.END, fx.BENCH[0]]
        r = benchread.read_text("\n".join(lines) + "\n")
        self.assertEqual(r.errors, [])
        self.assertEqual(r.duplicates, 3)

    def test_two_runs_later_supersedes(self):
        second = json.loads(fx.BENCH[0][len("BENCH "):])
        second["cycles"]["median"] += 1
        lines = ([fx.BEGIN] + fx.BENCH + [fx.END] + [fx.BEGIN, "BENCH " + json.dumps(second),
                 'BENCH-END {"schema":1,"count":1}'])
        r = benchread.read_text("\n".join(lines) + "\n")
        self.assertEqual(r.errors, [])
        self.assertEqual(len(r.results), len(fx.RESULTS))
        self.assertEqual(r.results[0]["cycles"]["median"], fx.RESULTS[0]["cycles"]["median"] + 1)
        self.assertTrue(any("reported again" in w for w in r.warnings))

    def test_validate_result(self):
        good = fx.RESULTS[0]
        self.assertIsNone(benchread.validate_result(good))
        for mutate, needle in ((lambda o: o.pop("name"), "'name'"),
                               (lambda o: o.update(per={"unit": "page", "count": 0}),
                                "per.count"),
                               (lambda o: o.update(cycles={"min": 1}), "cycles.median"),
                               (lambda o: o.update(events={"x": "many"}), "events.x"),
                               (lambda o: o.update(reps="5"), "'reps'")):
            o = json.loads(json.dumps(good))
            mutate(o)
            self.assertIn(needle, benchread.validate_result(o))

    def test_unavailable_counter_is_null(self):
        # A board without a usable cycle counter reports null with a note: kept.
        o = json.loads(json.dumps(fx.RESULTS[0]))
        o.update(cycles=None, note="cycle counter does not advance")
        self.assertIsNone(benchread.validate_result(o))
        self.assertIsNone(benchread.median(o, "cycles"))
        o.pop("cycles")
        self.assertIn("'cycles'", benchread.validate_result(o))


class Report(unittest.TestCase):
    def table_rows(self, md, heading):
        part = md.split(heading, 1)[1].split("\n## ", 1)[0]
        rows = [l for l in part.splitlines() if l.startswith("| ")]
        head = [c.strip() for c in rows[0].strip("|").split("|")]
        return [dict(zip(head, (c.strip() for c in r.strip("|").split("|")))) for r in rows[1:]]

    def test_ratios_and_per_page(self):
        md, warnings = benchread.render_report(fx.RESULTS, "test")
        self.assertEqual(warnings, [])
        rows = self.table_rows(md, "## mprotect (size_kib=2048, folio_kib=64, op=ro->rw)")
        by = {r["variant"]: r for r in rows}
        self.assertEqual(by["per-page"]["cycles"], "204800")
        self.assertEqual(by["per-page"]["cycles/page"], "400")
        self.assertEqual(by["range"]["cycles/page"], "100")
        self.assertEqual(by["range"]["instr/page"], "75")
        self.assertEqual(by["range"]["tlbi_page"], "0")
        self.assertEqual(by["per-page"]["tlbi_page"], "512")
        self.assertEqual(by["range"]["cycles vs baseline"], "0.25x per-page")
        self.assertEqual(by["per-page"]["cycles vs baseline"], "baseline")
        rows = self.table_rows(md, "## fault (order=0)")
        by = {r["variant"]: r for r in rows}
        self.assertEqual(by["file"]["cycles vs baseline"], "1.40x anon")
        self.assertEqual(by["file"]["instr vs baseline"], "1.25x anon")

    def test_header_counter_source_and_icount_note(self):
        md, _ = benchread.render_report(fx.RESULTS, "test")
        self.assertIn("Counter source: cycles=pmccntr, instructions=inst_retired, time=cntvct",
                      md)
        self.assertIn("QEMU -icount shift=0: cycles are instruction counts, not real TLB "
                      "costs; real cycles come from boards", md)
        board = [dict(r, icount=False) for r in fx.RESULTS]
        md, _ = benchread.render_report(board, "board")
        self.assertNotIn("icount", md)

    def test_icount_and_board_cycles_never_share_a_column(self):
        board = [dict(r, icount=False, machine="Raspberry-Pi-4-Model-B") for r in fx.RESULTS]
        md, _ = benchread.render_report(list(fx.RESULTS) + board, "mixed")
        qemu_part, board_part = md.split("# Hardware counters: cycles are the CPU's cycle counter")
        self.assertIn("# QEMU -icount: cycles are instruction counts", qemu_part)
        # each part: one target, so no mixed "target" column; both parts hold every benchmark
        self.assertNotIn("| target |", md)
        self.assertEqual(qemu_part.count("| per-page |"), board_part.count("| per-page |"))
        self.assertGreater(board_part.count("| per-page |"), 0)
        self.assertIn("machine Raspberry-Pi-4-Model-B", md.split("\n\n")[2])

    def test_compare_skips_cycles_across_icount(self):
        board = [dict(r, icount=False) for r in fx.RESULTS]
        for r in board:
            r["cycles"] = {k: v * 3 for k, v in r["cycles"].items()}
        regs, imps, same, _, _ = benchread.compare(fx.RESULTS, board, 0.05, skip=("cycles", "time_ns"))
        self.assertFalse(any(m == "cycles" for _, m, *_ in regs + imps))
        regs, _, _, _, _ = benchread.compare(fx.RESULTS, board, 0.05)
        self.assertTrue(any(m == "cycles" for _, m, *_ in regs))

    def test_missing_baseline_is_flagged(self):
        only_range = [r for r in fx.RESULTS if r["variant"] == "range"]
        md, warnings = benchread.render_report(only_range)
        self.assertIn("n/a (no per-page)", md)
        self.assertEqual(len(warnings), 3)

    def test_csv(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.csv")
            benchread.write_csv(fx.RESULTS, path)
            import csv
            with open(path) as f:
                rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), len(fx.RESULTS))
        self.assertEqual(rows[1]["variant"], "range")
        self.assertEqual(rows[1]["param.size_kib"], "64")
        self.assertEqual(rows[1]["cycles_per_unit"], "100")
        self.assertEqual(rows[1]["events.tlbi_range"], "1")


@unittest.skipUnless(HAVE_MPL, "matplotlib not installed (apt-get install python3-matplotlib)")
class Plots(unittest.TestCase):
    def test_plots_written_and_not_empty(self):
        with tempfile.TemporaryDirectory() as d:
            paths = benchread.write_plots(fx.RESULTS, d)
            names = sorted(os.path.basename(p) for p in paths)
            self.assertEqual(names, ["fault.png", "fault.svg", "mprotect.png", "mprotect.svg"])
            for p in paths:
                self.assertGreater(os.path.getsize(p), 1000)
            with open(os.path.join(d, "plots", "mprotect.png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            with open(os.path.join(d, "plots", "fault.svg")) as f:
                svg = f.read()
            self.assertIn("<svg", svg)


class Cli(TmpDir):
    def test_file_good(self):
        out = os.path.join(self.tmp, "out")
        p = self.cli("file", fixture("bench_good.log"), "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        for name in ("raw.log", "results.jsonl", "results.csv", "report.md"):
            self.assertGreater(os.path.getsize(os.path.join(out, name)), 0, name)
        with open(os.path.join(out, "results.jsonl")) as f:
            self.assertEqual([json.loads(l) for l in f], fx.RESULTS)
        self.assertIn("| range |", p.stdout)
        self.assertIn("0.25x per-page", p.stdout)
        if HAVE_MPL:
            self.assertIn("plots: ", p.stdout)
            self.assertGreater(os.path.getsize(os.path.join(out, "plots", "mprotect.svg")), 0)
        else:
            self.assertIn("matplotlib", p.stderr)

    def check_error(self, fixture_name, rc, *needles):
        p = self.cli("file", fixture(fixture_name), "-o", os.path.join(self.tmp, "o"))
        self.assertEqual(p.returncode, rc, p.stderr)
        for n in needles:
            self.assertIn(n, p.stderr)
        for line in p.stderr.splitlines():
            self.assertTrue(line.startswith(("warning: ", "error: ")), line)
        return p

    def test_board_crlf(self):
        p = self.check_error("bench_board_crlf.log", 0, "warning: ignored 2 garbage line(s)",
                             "warning: dropped 1 duplicate line(s)")
        self.assertNotIn("error:", p.stderr)

    def test_truncated(self):
        self.check_error("bench_truncated.log", 1, "error: run cut short",
                         "no result at all for: fault")

    def test_partial(self):
        self.check_error("bench_partial.log", 1, "warning: line 4: invalid JSON after 'BENCH '",
                         "warning: line 7: invalid JSON", "error: run incomplete", "2 missing")

    def test_schema_mismatch(self):
        p = self.check_error("bench_schema2.log", 1, "error: line 2: BENCH has schema version 2")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "o", "results.jsonl")))

    def test_missing_field(self):
        self.check_error("bench_missing_field.log", 1,
                         "warning: line 2: BENCH result skipped: missing required field 'cycles'")

    def test_no_bench_lines(self):
        self.check_error("bench_none.log", 1, "error: no BENCH lines found")

    def test_missing_input_file(self):
        p = self.cli("file", fixture("does-not-exist.log"), "-o", self.tmp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("error: cannot read", p.stderr)

    def test_compare(self):
        old = os.path.join(self.tmp, "old.jsonl")
        new = os.path.join(self.tmp, "new.jsonl")
        benchread.write_jsonl(fx.RESULTS, old)
        changed = json.loads(json.dumps(fx.RESULTS))
        changed[1]["cycles"]["median"] = int(changed[1]["cycles"]["median"] * 1.10)   # +10%
        changed[2]["cycles"]["median"] = int(changed[2]["cycles"]["median"] * 1.02)   # +2%
        changed[4]["events"]["tlbi_range"] = 1                                         # 0 -> 1
        benchread.write_jsonl(changed, new)
        p = self.cli("compare", old, new, "--threshold", "5%")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        regs = [l for l in p.stdout.splitlines() if l.startswith("REGRESSION")]
        self.assertEqual(len(regs), 2, p.stdout)
        self.assertIn("mprotect[range; size_kib=64", regs[0])
        self.assertIn("cycles: 1600 -> 1760 (+10.0%)", regs[0])
        self.assertIn("events.tlbi_range", regs[1])
        p = self.cli("compare", old, new, "--threshold", "15")
        self.assertEqual(p.returncode, 1)   # the 0 -> 1 event still counts
        p = self.cli("compare", old, old)
        self.assertEqual(p.returncode, 0)
        self.assertIn("0 regression(s)", p.stdout)

    def test_compare_improvement_is_not_regression(self):
        old = os.path.join(self.tmp, "old.jsonl")
        new = os.path.join(self.tmp, "new.jsonl")
        benchread.write_jsonl(fx.RESULTS, old)
        faster = json.loads(json.dumps(fx.RESULTS))
        faster[0]["cycles"]["median"] //= 2
        benchread.write_jsonl(faster, new)
        p = self.cli("compare", old, new)
        self.assertEqual(p.returncode, 0)
        self.assertIn("improved", p.stdout)

    def test_compare_bad_input(self):
        bad = os.path.join(self.tmp, "bad.jsonl")
        with open(bad, "w") as f:
            f.write("{not json\n")
        p = self.cli("compare", bad, bad)
        self.assertEqual(p.returncode, 2)
        self.assertIn("line 1: invalid JSON", p.stderr)

    def test_threshold_parsing(self):
        self.assertAlmostEqual(benchread.parse_threshold("5%"), 0.05)
        self.assertAlmostEqual(benchread.parse_threshold("2.5"), 0.025)
        with self.assertRaises(benchread.BenchError):
            benchread.parse_threshold("fast")

    def test_serial_without_pyserial(self):
        fake = os.path.join(self.tmp, "fake")
        os.makedirs(fake)
        with open(os.path.join(fake, "serial.py"), "w") as f:
            f.write("raise ImportError('simulated missing pyserial')\n")
        env = dict(os.environ, PYTHONPATH=fake)
        p = self.cli("serial", "--port", "/dev/null", "-o", self.tmp, env=env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("apt-get install python3-serial", p.stderr)

    @unittest.skipUnless(HAVE_SERIAL, "pyserial not installed (apt-get install python3-serial)")
    def test_serial_from_pty(self):
        import pty
        master, slave = pty.openpty()
        slave_name = os.ttyname(slave)
        out = os.path.join(self.tmp, "ser")
        proc = subprocess.Popen([sys.executable, os.path.join(TOOLS, "benchread.py"), "serial",
                                 "--port", slave_name, "--timeout", "60", "-o", out],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, MPLBACKEND="Agg"))
        try:
            with open(fixture("bench_board_crlf.log"), "rb") as f:
                data = f.read()
            import time
            time.sleep(1.0)          # let the reader open the port
            for i in range(0, len(data), 256):
                os.write(master, data[i:i + 256])
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
            os.close(slave)
        self.assertNotIn("Traceback", stderr)
        self.assertEqual(proc.returncode, 0, stderr)
        with open(os.path.join(out, "results.jsonl")) as f:
            self.assertEqual(len(f.readlines()), len(fx.RESULTS))

    def test_qemu_mode_with_fake_qemu(self):
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        script = os.path.join(bindir, "qemu-system-aarch64")
        with open(script, "w") as f:
            f.write('#!/bin/sh\nprintf "%s\\n" "$@" > "$FAKE_ARGS"\ncat "$FAKE_LOG"\nexit 0\n')
        os.chmod(script, 0o755)
        elf = os.path.join(self.tmp, "kernel.elf")
        open(elf, "w").close()
        args_file = os.path.join(self.tmp, "args")
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
                   FAKE_ARGS=args_file, FAKE_LOG=fixture("bench_good.log"), MPLBACKEND="Agg")
        out = os.path.join(self.tmp, "q")
        p = self.cli("qemu", "--arch", "arm64", "--elf", elf, "--bench", "mprotect*",
                     "--timeout", "30", "-o", out, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(args_file) as f:
            argv = f.read().splitlines()
        self.assertEqual(argv[argv.index("-append") + 1], "bench=mprotect* exit=semihosting")
        self.assertIn("-icount", argv)
        with open(os.path.join(out, "raw.log"), "rb") as f, \
                open(fixture("bench_good.log"), "rb") as g:
            self.assertEqual(f.read(), g.read())

    def test_qemu_mode_missing_elf(self):
        p = self.cli("qemu", "--arch", "riscv64", "--build-dir", self.tmp, "-o", self.tmp)
        self.assertEqual(p.returncode, 2)
        self.assertTrue("run make ARCH=riscv64" in p.stderr or "qemu-system-misc" in p.stderr,
                        p.stderr)



# ------------------------------------------------------------------ hostile input
def bench_line(obj, **changes):
    o = json.loads(json.dumps(obj))
    o.update(changes)
    return "BENCH " + fx.dump(o)


def with_bad_lines(*bad):
    """A good run with the bad lines inserted after BENCH-BEGIN."""
    return "\n".join([fx.BEGIN, *bad] + fx.BENCH + [fx.END]) + "\n"


def key_of(r):
    return (r["name"], r["variant"], json.dumps(r["params"], sort_keys=True))


class Hostile(TmpDir):
    """Each bad line is skipped with a one-line warning; the valid results are
    kept and written; never a traceback, never exit 3 (internal error)."""

    def run_file(self, data, *needles):
        path = os.path.join(self.tmp, "in.log")
        with open(path, "wb") as f:
            f.write(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        out = os.path.join(self.tmp, "out")
        p = self.cli("file", path, "-o", out, timeout=60)
        self.assertNotEqual(p.returncode, 3, p.stderr[-2000:])
        self.assertNotIn("internal error", p.stderr)
        for line in p.stderr.splitlines():
            self.assertTrue(line.startswith(("warning: ", "error: ")), line[:300])
        for n in needles:
            self.assertIn(n, p.stderr)
        with open(os.path.join(out, "results.jsonl"), encoding="utf-8") as f:
            got = {key_of(json.loads(l)) for l in f}
        self.assertLessEqual({key_of(r) for r in fx.RESULTS}, got)
        for name in ("results.csv", "report.md"):
            self.assertGreater(os.path.getsize(os.path.join(out, name)), 0)
        return p

    def read(self, text, *needles):
        r = benchread.read_text(text)
        self.assertEqual(r.results, fx.RESULTS)
        w = "\n".join(r.warnings)
        for n in needles:
            self.assertIn(n, w)
        for x in r.warnings + r.errors:
            self.assertNotIn("\n", x)
        return r

    # 1. numbers with hundreds or thousands of digits
    def test_huge_numbers_rejected_naming_the_field(self):
        r0 = fx.RESULTS[0]
        lines = [
            bench_line(r0, variant="v400").replace('"median":6400,',
                                                   '"median":1' + "0" * 400 + ","),
            bench_line(r0, variant="v5000").replace('"median":6400,',
                                                    '"median":1' + "0" * 5000 + ","),
            bench_line(r0, variant="ev", events={"tlbi_page": 1}).replace(
                '"tlbi_page":1', '"tlbi_page":-' + "9" * 4400),
            bench_line(r0, variant="param").replace('"size_kib":64', '"size_kib":' + "7" * 300),
            bench_line(r0, variant="float").replace('"median":6400,', '"median":1' + "0" * 400
                                                      + ".5,"),
        ]
        r = self.read(with_bad_lines(*lines),
                      "line 2: BENCH result skipped: field 'cycles.median' holds a number out "
                      "of range (100000000000... (401 digits))",
                      "line 3: BENCH result skipped: field 'cycles.median' holds a number out "
                      "of range (100000000000... (5001 digits))",
                      "line 4: BENCH result skipped: field 'events.tlbi_page' holds a number out",
                      "line 5: BENCH result skipped: field 'params.size_kib' holds a number out",
                      "line 6: BENCH result skipped: field 'cycles.median' holds a number out")
        self.assertEqual(r.errors, [])
        self.run_file(with_bad_lines(*lines), "field 'cycles.median' holds a number out of range")
        # the largest 64-bit counters are fine
        big = bench_line(fx.RESULTS[0], variant="u64", per={"unit": "page", "count": 2 ** 64 - 1})
        r = benchread.read_text(with_bad_lines(big.replace('"median":6400,',
                                                           f'"median":{2 ** 64 - 1},')))
        self.assertEqual(len(r.results), len(fx.RESULTS) + 1)

    # 2. deep nesting
    def test_deep_nesting_rejected_before_decoding(self):
        deep = 'BENCH {"schema":1,"x":' + "[" * 2000 + "]" * 2000 + "}"
        unclosed = 'BENCH {"schema":1,"x":' + "[{\"a\":" * 3000
        in_string = bench_line(fx.RESULTS[0], variant="s", note="[" * 5000)   # not nesting
        r = benchread.read_text(with_bad_lines(deep, unclosed, in_string))
        self.assertTrue(any("line 2: BENCH payload nested deeper than 16 levels" in w
                            for w in r.warnings), r.warnings)
        self.assertTrue(any("line 3: BENCH payload nested deeper" in w for w in r.warnings))
        self.assertEqual(len(r.results), len(fx.RESULTS) + 1)
        self.run_file(with_bad_lines(deep, unclosed), "nested deeper than 16 levels")
        self.assertFalse(benchread.nesting_depth_exceeds('{"a":[[[[]]]]} [[[[[[[[[[[[[[[[[[[['))
        self.assertTrue(benchread.nesting_depth_exceeds("{" + '"a":[' * 16))

    # 3. wrong types in BEGIN/END/result fields
    def test_wrong_field_types_skip_the_line(self):
        text = "\n".join(['BENCH-BEGIN {"schema":1,"selected":[{}]}',
                          'BENCH-BEGIN {"schema":1,"arch":["arm64"],"selected":["x"]}',
                          fx.BEGIN]
                         + [bench_line(fx.RESULTS[0], variant="c", counters={"cycles": {}}),
                            bench_line(fx.RESULTS[0], variant="p", per={"unit": "page",
                                                                        "count": 2,
                                                                        "tlbi_milli": "x"}),
                            'BENCH-END {"schema":1,"count":"9"}',
                            'BENCH-END {"schema":1,"count":[]}',
                            'BENCH-END {"schema":"1","count":9}',
                            'BENCH {"schema":[1]}']
                         + fx.BENCH + [fx.END]) + "\n"
        r = benchread.read_text(text)
        self.assertEqual(r.results, fx.RESULTS)
        self.assertEqual(r.errors, [])
        w = "\n".join(r.warnings)
        self.assertIn("line 1: BENCH-BEGIN skipped: field 'selected' must be a list of "
                      "benchmark names", w)
        self.assertIn("line 2: BENCH-BEGIN skipped: field 'arch' must be a string", w)
        self.assertIn("line 4: BENCH result skipped: field 'counters.cycles' must be a string", w)
        self.assertIn("line 5: BENCH result skipped: field 'per.tlbi_milli' must be a number", w)
        self.assertIn("line 6: BENCH-END skipped: missing or invalid 'count'", w)
        self.assertIn("line 7: BENCH-END skipped", w)
        self.assertIn("line 8: BENCH-END has an invalid 'schema' field", w)
        self.assertIn("line 9: BENCH has an invalid 'schema' field", w)
        self.run_file(text)

    # 4. lone surrogates (and other unclean text) in any string, keys included
    def test_lone_surrogates_and_control_characters_rejected(self):
        r0 = fx.RESULTS[0]
        lines = [bench_line(r0, name="\ud800"), bench_line(r0, variant="x\udfff"),
                 bench_line(r0, variant="k", params={"\ud800": 1}),
                 bench_line(r0, variant="e", events={"tlbi\udc00": 1}),
                 bench_line(r0, variant="c", counters={"cycles": "pmc\ud83d"}),
                 bench_line(r0, variant="n", note="\ud800"),
                 bench_line(r0, variant="line\nbreak"),
                 bench_line(r0, variant="ctl", params={"a\x1b[2J": 1})]
        r = self.read(with_bad_lines(*lines),
                      "line 2: BENCH result skipped: field 'name' is not valid Unicode",
                      "line 3: BENCH result skipped: field 'variant' is not valid Unicode",
                      "line 4: BENCH result skipped: key 'params.\\ud800' is not valid Unicode",
                      "line 5: BENCH result skipped: key 'events.tlbi\\udc00' is not valid",
                      "line 6: BENCH result skipped: field 'counters.cycles' is not valid",
                      "line 7: BENCH result skipped: field 'note' is not valid Unicode",
                      "line 8: BENCH result skipped: field 'variant' holds control characters",
                      "line 9: BENCH result skipped: key 'params.a\\x1b[2J' holds control")
        self.assertEqual(r.errors, [])
        begin = 'BENCH-BEGIN {"schema":1,"arch":"arm64","selected":["mprotect","\\ud800"]}'
        text = with_bad_lines(*lines).replace(fx.BEGIN, begin + "\n" + fx.BEGIN, 1)
        p = self.run_file(text, "field 'selected[1]' is not valid Unicode")
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])

    # 5. a long line of repeated markers: linear, and lines over 1 MiB skipped
    def test_long_repeated_marker_line_is_linear(self):
        import time
        unit = 'BENCH {"schema":1,"n":"'
        line = unit * 40000                         # 920 kB: parsed, not skipped
        t0 = time.perf_counter()
        r = benchread.read_text(with_bad_lines(line))
        took = time.perf_counter() - t0
        self.assertLess(took, 3.0, "parsing a 920 kB line is not linear")
        self.assertEqual(r.results, fx.RESULTS)
        self.assertEqual(sum(w.startswith("line 2:") for w in r.warnings),
                         benchread.MAX_WARN_PER_LINE + 1)
        self.assertIn("line 2: 39995 more problem(s) on this line not shown", r.warnings)
        self.assertEqual(r.errors, [])
        self.assertEqual(r.bench_lines, 40000 + len(fx.BENCH))

    def test_line_over_one_mib_is_skipped_in_any_chunking(self):
        import time
        data = with_bad_lines('BENCH {"schema":1,"n":"' * 200000).encode()   # 4.6 MB
        for chunk in (len(data), 4096, 65536):
            t0 = time.perf_counter()
            r = benchread.BenchReader("chunks")
            for i in range(0, len(data), chunk):
                r.feed_bytes(data[i:i + chunk])
            r.finish()
            self.assertLess(time.perf_counter() - t0, 3.0)
            self.assertEqual(r.results, fx.RESULTS)
            self.assertIn("line 2: line longer than 1048576 bytes (4600000 bytes); ignored",
                          r.warnings)
            self.assertEqual(r.errors, [])
            self.assertEqual(r.bench_lines, 1 + len(fx.BENCH))     # counted as a bad BENCH line
        self.run_file(data, "warning: line 2: line longer than 1048576 bytes")
        r = benchread.read_text(fx.BEGIN + "\n" + "x" * (3 << 20))
        self.assertIn("line 2: line longer than 1048576 bytes (3145728 bytes); ignored (last "
                      "line has no newline: output cut off)", r.warnings)

    # 6. other hostile values and bytes
    def test_nan_and_infinity_rejected_everywhere(self):
        r0 = fx.RESULTS[0]
        lines = [bench_line(r0, variant="a").replace('"median":6400,', '"median":NaN,'),
                 bench_line(r0, variant="b").replace('"size_kib":64', '"size_kib":Infinity'),
                 bench_line(r0, variant="c").replace('"faults":0', '"faults":-Infinity'),
                 bench_line(r0, variant="d").replace('"median":6400,', '"median":1e400,')]
        self.read(with_bad_lines(*lines),
                  "line 2: BENCH result skipped: field 'cycles.median' holds NaN, which is not "
                  "a number",
                  "line 3: BENCH result skipped: field 'params.size_kib' holds Infinity",
                  "line 4: BENCH result skipped: field 'events.faults' holds -Infinity",
                  "line 5: BENCH result skipped: field 'cycles.median' holds a number out of "
                  "range (1e400)")
        self.run_file(with_bad_lines(*lines))

    def test_negative_counts_rejected(self):
        r0 = fx.RESULTS[0]
        lines = [bench_line(r0, variant="a", events=dict(r0["events"], faults=-1)),
                 bench_line(r0, variant="b", reps=0),
                 bench_line(r0, variant="c", cycles={"min": -5, "median": 1, "max": 2}),
                 bench_line(r0, variant="d", per={"unit": "page", "count": -16}),
                 bench_line(r0, variant="e", per={"unit": "page", "count": 1, "faults_milli": -1}),
                 'BENCH-END {"schema":1,"count":-1}']
        self.read(with_bad_lines(*lines),
                  "line 2: BENCH result skipped: field 'events.faults' must not be negative",
                  "line 3: BENCH result skipped: field 'reps' must be a positive integer",
                  "line 4: BENCH result skipped: field 'cycles.min' must not be negative",
                  "line 5: BENCH result skipped: field 'per.count' must be a positive number",
                  "line 6: BENCH result skipped: field 'per.faults_milli' must be a number >= 0",
                  "line 7: BENCH-END skipped: missing or invalid 'count'")

    def test_huge_per_count_and_non_object_params(self):
        r0 = fx.RESULTS[0]
        lines = [bench_line(r0, variant="a").replace('"count":16', '"count":1' + "0" * 400),
                 bench_line(r0, variant="b", params=[1, 2]),
                 bench_line(r0, variant="c", params="size=1"),
                 bench_line(r0, variant="d", params={"x": {"y": 1}}),
                 bench_line(r0, variant="e", per=[16])]
        self.read(with_bad_lines(*lines),
                  "line 2: BENCH result skipped: field 'per.count' holds a number out of range",
                  "line 3: BENCH result skipped: field 'params' must be an object",
                  "line 4: BENCH result skipped: field 'params' must be an object",
                  "line 5: BENCH result skipped: field 'params.x' must be a scalar",
                  "line 6: BENCH result skipped: field 'per' must be an object")
        # a huge but representable count: tiny per-unit figures, no crash
        ok = bench_line(r0, variant="huge", per={"unit": "page", "count": 2 ** 64 - 1})
        self.run_file(with_bad_lines(*lines, ok))

    def test_duplicate_keys_rejected(self):
        r0 = fx.RESULTS[0]
        lines = [bench_line(r0, variant="a").replace('"reps":5', '"reps":5,"reps":6'),
                 bench_line(r0, variant="b").replace('"schema":1', '"schema":1,"schema":2'),
                 bench_line(r0, variant="c").replace('"faults":0', '"faults":0,"faults":1')]
        self.read(with_bad_lines(*lines),
                  "line 2: BENCH payload duplicate key 'reps'; ignored",
                  "line 3: BENCH payload duplicate key 'schema'; ignored",
                  "line 4: BENCH payload duplicate key 'faults'; ignored")

    def test_bom_crlf_nul_and_invalid_utf8(self):
        r0 = fx.RESULTS[0]
        bad_name = bench_line(r0, variant="ZZ").encode().replace(b"ZZ", b"Z\xff")
        data = (b"\xef\xbb\xbf" + fx.BEGIN.encode() + b"\r\n"
                + b"\x00\x00BENCH \x00{\"schema\":1}\r\n"
                + bench_line(r0, variant="nul").encode().replace(b'"nul"', b'"n\x00l"') + b"\r\n"
                + bad_name + b"\r\n"
                + b"\xc3\x28 noise \xf0\x9f\r\n"
                + b"\r\n".join(l.encode() for l in fx.BENCH) + b"\r\n" + fx.END.encode() + b"\r\n")
        r = benchread.read_text(data)
        self.assertEqual((r.results, r.errors), (fx.RESULTS, []))
        w = "\n".join(r.warnings)
        self.assertIn("line 2: invalid JSON after 'BENCH '", w)
        self.assertIn("line 3: invalid JSON after 'BENCH '", w)     # raw NUL in a string
        self.assertIn("line 4: BENCH result skipped: field 'variant' holds bytes that are not "
                      "valid UTF-8", w)
        self.assertIn("ignored 1 garbage line(s) (non-text bytes) at line(s) 5", w)
        self.run_file(data)

    def test_line_cut_in_a_multibyte_character(self):
        r0 = fx.RESULTS[0]
        line = bench_line(r0, variant="caf\u00e9-\u20ac").encode()
        line = line.replace(b"\\u00e9", "\u00e9".encode()).replace(b"\\u20ac", "\u20ac".encode())
        cut = line[:line.index("\u20ac".encode()) + 1]
        data = "\n".join([fx.BEGIN] + fx.BENCH[:4]).encode() + b"\n" + cut + b"\n" + \
            "\n".join(fx.BENCH[4:] + [fx.END]).encode() + b"\n"
        r = benchread.read_text(data)
        self.assertEqual((r.results, r.errors), (fx.RESULTS, []))
        self.assertTrue(any(w.startswith("line 6: invalid JSON") for w in r.warnings))
        # cut at the end of the input, in every byte of the character
        for n in range(1, 3):
            r = benchread.read_text(b"\n".join(l.encode() for l in [fx.BEGIN] + fx.BENCH)
                                    + b"\n" + line[:line.index(b"\xe2") + n])
            self.assertEqual(r.results, fx.RESULTS)
            self.assertTrue(any("no newline" in w for w in r.warnings))
        r = benchread.read_text(with_bad_lines(line.decode()))
        self.assertEqual(len(r.results), len(fx.RESULTS) + 1)    # whole: fine

    def test_compare_rejects_hostile_jsonl(self):
        good = os.path.join(self.tmp, "good.jsonl")
        benchread.write_jsonl(fx.RESULTS, good)
        line = fx.dump(fx.RESULTS[0])
        for bad, needle in ((line.replace('"median":6400,', '"median":1' + "0" * 5000 + ","),
                             "field 'cycles.median' holds a number out of range"),
                            ('{"schema":1,"x":' + "[" * 5000 + "]" * 5000 + "}",
                             "nested deeper than 16 levels"),
                            (line.replace('"median":6400,', '"median":NaN,'), "holds NaN"),
                            (line[:-1] + ',"cpu":"x"}', "duplicate key 'cpu'"),
                            (line + " trailing", "invalid JSON"),
                            ('{"schema":"\\ud800"}', "schema version")):
            path = os.path.join(self.tmp, "bad.jsonl")
            with open(path, "w") as f:
                f.write(bad + "\n")
            p = self.cli("compare", good, path)
            self.assertEqual(p.returncode, 2, p.stderr[-2000:])
            self.assertIn(needle, p.stderr)
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr[-2000:])

    @unittest.skipUnless(HAVE_MPL, "matplotlib not installed")
    def test_plots_of_odd_but_valid_results(self):
        r0 = fx.RESULTS[0]
        odd = [bench_line(r0, name="$\\foo{$ x", variant="$\\bar$"),
               bench_line(r0, name="n" * 5000, variant="long")]
        odd += [bench_line(r0, name="many", variant="v", params={"k": i}) for i in range(70)]
        p = self.run_file(with_bad_lines(*odd), "warning: no plot for many: 70 parameter groups")
        self.assertNotIn("cannot draw", p.stderr)
        plots = os.listdir(os.path.join(self.tmp, "out", "plots"))
        self.assertIn("foo_x.png", plots)
        self.assertIn("n" * 100 + ".svg", plots)


if __name__ == "__main__":
    unittest.main()
