"""Tests for tools/insn_profile.py (the instruction profile's reader): symbols,
the plugin's output format, pairing records with BENCH lines, per-unit and
marginal (slope) figures. No QEMU: the plugin's output is written by hand."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, os.path.abspath(TOOLS))
import insn_profile as prof  # noqa: E402

NM = """\
0000000040200000 T __image_start
0000000040200000 0000000000000010 T _start
0000000040200010 0000000000000008 t $x
0000000040200100 0000000000000020 T walk
0000000040200100 0000000000000020 T walk_alias
0000000040200120 0000000000000010 T change
0000000040200200 0000000000000004 T kbench_profile_op_begin
0000000040200204 0000000000000004 T kbench_profile_op_end
000000004020e000 R __text_end
0000000040300000 0000000000000008 D some_data
"""


def bench(name, variant, params, per, milli):
    return "BENCH " + json.dumps({"schema": 1, "name": name, "variant": variant, "params": params,
                                  "per": {"unit": "page", "count": per, "instructions_milli": milli}},
                                 separators=(",", ":"))


# Two ordinary results (one case record each), then a slope result (two
# records: the small size, then the large one).
PLUGIN = """\
kprof 1 base=0x40200000 shift=2
case 6 0
40200100 600
40200104 600
40200120 1200
end
emit
case 2 0
40200120 40
end
emit
case 6 0
40200100 6000
40200120 600
end
case 6 12
40200100 24000
40200120 600
end
emit
final 0 0
40200000 5
end
total 123456
"""

CONSOLE = "\n".join([
    "# some comment",
    bench("mprotect", "range", {"size_kib": 64, "op": "rw->ro"}, 16, 25000),
    "noise BENCH not at the start",
    bench("mprotect", "asid", {"size_kib": 64, "op": "rw->ro"}, 16, 1250),
    bench("mprotect_slope", "range", {"from_kib": 64, "to_kib": 256, "op": "rw->ro"}, 48, 62500),
    "TESTBED: status=pass code=0",
]) + "\n"


class SymbolsTest(unittest.TestCase):
    def setUp(self):
        self.s = prof.Symbols(NM)

    def test_function_of(self):
        self.assertEqual(self.s.function_of(0x40200100), "walk")      # first of two aliases
        self.assertEqual(self.s.function_of(0x4020011c), "walk")
        self.assertEqual(self.s.function_of(0x40200124), "change")
        self.assertEqual(self.s.function_of(0x40200014), "?")          # past _start's size; $x ignored
        self.assertEqual(self.s.function_of(0x40100000), "?")          # below every symbol
        self.assertEqual(self.s.function_of(0x40200300), "?")          # past the last function

    def test_addresses(self):
        self.assertEqual(self.s.address("__text_end"), 0x4020e000)
        self.assertEqual(self.s.address("kbench_profile_op_end"), 0x40200204)
        with self.assertRaises(prof.ProfileError):
            self.s.address("kbench_profile_emit")


class PluginOutputTest(unittest.TestCase):
    def test_groups(self):
        groups, final, total = prof.parse_plugin_output(PLUGIN)
        self.assertEqual([len(g) for g in groups], [1, 1, 2])
        self.assertEqual(groups[0][0].windows, 6)
        self.assertEqual(groups[0][0].counts[0x40200120], 1200)
        self.assertEqual(groups[2][1].outside, 12)
        self.assertEqual(groups[2][1].total(), 24612)
        self.assertEqual(final.counts, {0x40200000: 5})
        self.assertEqual(total, 123456)

    def test_malformed(self):
        for bad in ("", "something else\n", "kprof 1\ncase 1\nend\n", "kprof 1\ncase 1 0\nzz 1\nend\n",
                    "kprof 1\ncase 1 0\n40200000 1\n", "kprof 1\nbogus\n"):
            with self.assertRaises(prof.ProfileError, msg=repr(bad)):
                prof.parse_plugin_output(bad)

    def test_no_total_when_cut_short(self):
        groups, final, total = prof.parse_plugin_output("kprof 1\ncase 1 0\n40200000 3\nend\nemit\n")
        self.assertEqual(len(groups), 1)
        self.assertIsNone(final)
        self.assertIsNone(total)


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.s = prof.Symbols(NM)

    def test_bench_lines(self):
        lines = prof.bench_lines(CONSOLE)
        self.assertEqual([r["variant"] for r in lines], ["range", "asid", "range"])
        with self.assertRaises(prof.ProfileError):
            prof.bench_lines("BENCH {not json\n")

    def test_per_unit(self):
        groups, _, _ = prof.parse_plugin_output(PLUGIN)
        results = prof.bench_lines(CONSOLE)
        f, what = prof.result_profile(results[0], groups[0], self.s.function_of)
        # 1200 instructions in walk over 6 windows = 200 per op, 16 pages per op
        self.assertAlmostEqual(f["walk"], 12.5)
        self.assertAlmostEqual(f["change"], 12.5)
        self.assertIn("per page", what)

    def test_slope_is_marginal(self):
        groups, _, _ = prof.parse_plugin_output(PLUGIN)
        results = prof.bench_lines(CONSOLE)
        f, what = prof.result_profile(results[2], groups[2], self.s.function_of)
        self.assertIn("marginal", what)
        # walk: (24000 - 6000) / 6 windows / 48 extra pages
        self.assertAlmostEqual(f["walk"], 62.5)
        self.assertAlmostEqual(f["change"], 0.0)
        self.assertAlmostEqual(f["[outside the kernel]"], 2 / 48)

    def test_hot_pcs(self):
        groups, _, _ = prof.parse_plugin_output(PLUGIN)
        results = prof.bench_lines(CONSOLE)
        # per page: 600 / 6 / 16 = 6.25 at each of 0x40200100 and 0x40200104, 12.5 at 0x40200120
        self.assertEqual(prof.hot_pcs(results[0], groups[0], 2), [(0x40200120, 12.5), (0x40200100, 6.25)])
        # a slope: the marginal figure per instruction; unchanged ones left out
        self.assertEqual(prof.hot_pcs(results[2], groups[2], 5), [(0x40200100, 62.5)])

    def test_report_selects_cases(self):
        lines, summary = prof.report(CONSOLE, PLUGIN, self.s, case_re="asid", top=5)
        text = "\n".join(lines)
        self.assertIn("mprotect asid", text)
        self.assertNotIn("mprotect range", text)
        self.assertIn("BENCH: 1.25 per page; profile sum 1.25", text)
        self.assertEqual(len(summary["results"]), 1)
        self.assertEqual(summary["total_instructions"], 123456)
        with self.assertRaises(prof.ProfileError):
            prof.report(CONSOLE, PLUGIN, self.s, case_re="nomatch")

    def test_report_all_and_top(self):
        lines, summary = prof.report(CONSOLE, PLUGIN, self.s, top=1)
        self.assertEqual(len(summary["results"]), 3)
        self.assertTrue(any("(1 more functions)" in line for line in lines))

    def test_mismatch_is_noted(self):
        extra = CONSOLE + bench("anon_fault", "folio-4k", {}, 4, 1000) + "\n"
        lines, summary = prof.report(extra, PLUGIN, self.s)
        self.assertIn("4 result lines but 3 profile groups", lines[0])
        self.assertEqual(len(summary["results"]), 3)

    def test_whole_run(self):
        plugin = "kprof 1 base=0x40200000 shift=2\nfinal 0 0\n40200100 7\n40200120 3\nend\ntotal 10\n"
        lines, _ = prof.report("no bench lines\n", plugin, self.s)
        self.assertIn("whole run", lines[0])
        self.assertTrue(any(line.strip().endswith("walk") for line in lines))


class ConfTest(unittest.TestCase):
    def test_read_conf(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as fh:
            fh.write("# comment\nx-numa | arm64 | -M virt -m 256M |\nx-el1 | arm64 | -M virt | test=boot\n")
        try:
            self.assertEqual(prof.read_conf(fh.name, "x-numa")[:3], ["x-numa", "arm64", "-M virt -m 256M"])
            self.assertEqual(prof.read_conf(fh.name, "x-el1")[3], "test=boot")
            with self.assertRaises(prof.ProfileError):
                prof.read_conf(fh.name, "missing")
        finally:
            os.unlink(fh.name)


@unittest.skipUnless(shutil.which("cc"), "no host C compiler")
class PluginBuildsTest(unittest.TestCase):
    def test_compiles(self):
        src = os.path.join(TOOLS, "qemu_plugin", "insn_profile.c")
        r = subprocess.run(["cc", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", src],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
