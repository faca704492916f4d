"""Tests for tools/ktap.py (KTAP version 1 streaming parser)."""
import os
import sys
import unittest

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, os.path.abspath(TOOLS))
import ktap  # noqa: E402

NESTED = """\
KTAP version 1
1..3
    KTAP version 1
    # Subtest: boot
    1..3
    ok 1 dtb_found
    # uart not found at 0x9000000
    not ok 2 uart_probe
    ok 3 counters # SKIP instret counter does not advance
  ...
not ok 1 boot
    KTAP version 1
    # Subtest: mmu
    1..2
    ok 1 - map_4k
    ok 2 write_fault
ok 2 mmu
ok 3 alloc # SKIP no numa
"""


def parse(text):
    return ktap.parse_text(text)


def errors_text(summary):
    return "\n".join(summary.errors)


class ValidStreams(unittest.TestCase):
    def test_nested_counts_and_paths(self):
        events, s = parse(NESTED)
        self.assertEqual(s.as_dict(), {"passed": 3, "failed": 1, "skipped": 2, "errors": []})
        paths = [(c.path, c.status) for c in s.cases]
        self.assertEqual(paths, [("boot.dtb_found", "pass"), ("boot.uart_probe", "fail"),
                                 ("boot.counters", "skip"), ("mmu.map_4k", "pass"),
                                 ("mmu.write_fault", "pass"), ("alloc", "skip")])
        self.assertTrue(s.complete)

    def test_event_order(self):
        events, _ = parse(NESTED)
        kinds = [type(e).__name__ for e in events]
        self.assertEqual(kinds[0], "StreamStarted")
        self.assertEqual(kinds[1], "SuiteStarted")
        fin = [e for e in events if isinstance(e, ktap.SuiteFinished)]
        self.assertEqual([(f.path, f.status, f.passed, f.failed, f.skipped) for f in fin],
                         [("boot", "fail", 1, 1, 1), ("mmu", "pass", 2, 0, 0)])
        # the suite finishes only after its cases
        self.assertLess(kinds.index("SuiteFinished"),
                        [i for i, k in enumerate(kinds) if k == "SuiteStarted"][1])

    def test_skip_reason_and_failure_reason_from_diagnostic(self):
        _, s = parse(NESTED)
        by = {c.path: c for c in s.cases}
        self.assertEqual(by["boot.counters"].reason, "instret counter does not advance")
        self.assertEqual(by["alloc"].reason, "no numa")
        self.assertEqual(by["boot.uart_probe"].reason, "uart not found at 0x9000000")

    def test_streaming_yields_events_as_lines_arrive(self):
        p = ktap.KtapParser()
        seen = []
        for line in NESTED.splitlines():
            evs = p.feed(line)
            seen.append(evs)
            if line == "    ok 1 dtb_found":
                self.assertTrue(any(isinstance(e, ktap.CaseResult)
                                    and e.path == "boot.dtb_found" for e in evs))
        self.assertEqual(p.finish().failed, 1)

    def test_noise_crlf_and_surrounding_output(self):
        text = ("OpenSBI v1.5\r\nBoot HART ID: 0\r\n\x1b[32mtestbed\x1b[0m starting\r\n"
                + NESTED.replace("\n", "\r\n").replace("ok 2 mmu", "ok 2 mmu")
                + "random console line\r\nTESTBED: status=fail\r\n")
        # console noise in the middle as well
        text = text.replace("    ok 1 - map_4k\r\n",
                            "    ok 1 - map_4k\r\nirq 3 spurious\r\nok mapping done\r\n")
        _, s = parse(text)
        self.assertEqual(s.as_dict(), {"passed": 3, "failed": 1, "skipped": 2, "errors": []})

    def test_subtest_line_before_nested_header_at_parent_indent(self):
        text = ("KTAP version 1\n1..1\n# Subtest: vm\n    KTAP version 1\n    1..1\n"
                "    ok 1 map\nok 1 vm\n")
        _, s = parse(text)
        self.assertEqual([c.path for c in s.cases], ["vm.map"])
        self.assertEqual(s.errors, [])

    def test_unnamed_nested_suite_takes_name_from_result(self):
        text = ("KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n"
                "        KTAP version 1\n        1..2\n        ok 1 a\n        ok 2 b\n"
                "    ok 1 inner\nok 1 outer\n")
        _, s = parse(text)
        self.assertEqual([c.path for c in s.cases], ["outer.inner.a", "outer.inner.b"])
        self.assertEqual(s.passed, 2)

    def test_top_level_leaf_counts_once_suite_result_not_counted(self):
        _, s = parse("KTAP version 1\n1..2\nok 1 single\n    # Subtest: s\n    1..1\n"
                     "    ok 1 x\nok 2 s\n")
        self.assertEqual((s.passed, s.failed, s.skipped), (2, 0, 0))

    def test_todo_counts_as_skip(self):
        _, s = parse("KTAP version 1\n1..1\nnot ok 1 later # TODO not written yet\n")
        self.assertEqual((s.passed, s.failed, s.skipped), (0, 0, 1))
        self.assertIn("TODO", s.cases[0].reason)

    def test_empty_suite_skipped(self):
        _, s = parse("KTAP version 1\n1..1\n    # Subtest: numa\n    1..0\n"
                     "ok 1 numa # SKIP single node\n")
        self.assertEqual((s.skipped, s.errors), (1, []))

    def test_text_before_header_ignored(self):
        _, s = parse("ok 7 looks like tap but is noise\nKTAP version 1\n1..1\nok 1 a\n")
        self.assertEqual((s.passed, s.errors), (1, []))


class MalformedStreams(unittest.TestCase):
    def assertError(self, text, *needles):
        _, s = parse(text)
        msg = errors_text(s)
        self.assertTrue(s.errors, "expected an error")
        for n in needles:
            self.assertIn(n, msg)
        self.assertFalse(s.ok)
        return s

    def test_no_header(self):
        self.assertError("1..2\nok 1 a\nok 2 b\n", "no 'KTAP version 1' header")

    def test_empty_output(self):
        self.assertError("", "no 'KTAP version 1' header")

    def test_missing_top_plan(self):
        self.assertError("KTAP version 1\nok 1 a\nok 2 b\n", "missing top-level plan")

    def test_trailing_plan_is_accepted(self):
        _, s = parse("KTAP version 1\nok 1 a\nok 2 b\n1..2\n")
        self.assertEqual(s.errors, [])

    def test_missing_nested_plan(self):
        self.assertError("KTAP version 1\n1..1\n    # Subtest: s\n    ok 1 a\nok 1 s\n",
                         "suite 's': missing plan")

    def test_count_mismatch_too_few(self):
        s = self.assertError("KTAP version 1\n1..3\nok 1 a\nok 2 b\n",
                             "run cut short", "2 of 3", "missing test 3")
        self.assertEqual(s.passed, 2)

    def test_count_mismatch_nested(self):
        self.assertError("KTAP version 1\n1..1\n    # Subtest: s\n    1..3\n    ok 1 a\n"
                         "ok 1 s\n", "suite 's'", "plan 1..3 but only 1", "tests 2..3")

    def test_results_after_final_one(self):
        self.assertError("KTAP version 1\n1..1\nok 1 a\nok 2 b\n", "result after the final one")

    def test_nested_result_beyond_plan(self):
        # the example of the design notes: plan 1..2 with three results
        self.assertError(NESTED.replace("    1..3\n", "    1..2\n", 1),
                         "result after the final one (plan 1..2)")

    def test_numbering_out_of_sequence(self):
        self.assertError("KTAP version 1\n1..2\nok 1 a\nok 3 c\n", "out of sequence")

    def test_cut_short_inside_suite(self):
        s = self.assertError("KTAP version 1\n1..2\n    # Subtest: mmu\n    1..4\n"
                             "    ok 1 a\n    ok 2 b\n", "suite 'mmu': run cut short",
                             "0 of 2 top-level")
        self.assertEqual(s.passed, 2)

    def test_bail_out(self):
        events, s = parse("KTAP version 1\n1..3\nok 1 a\nBail out! out of memory\nok 2 b\n")
        self.assertIn("bail out: out of memory", errors_text(s))
        self.assertEqual(s.bailed_out, "out of memory")
        self.assertTrue(any(isinstance(e, ktap.BailOut) for e in events))
        # nothing after bail out is parsed, and no extra count error
        self.assertEqual(s.passed, 1)
        self.assertEqual(len(s.errors), 1)

    def test_suite_ok_but_case_failed(self):
        self.assertError("KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n    not ok 1 a\n"
                         "ok 1 s\n", "reported ok but 1")

    def test_suite_not_ok_without_failed_case(self):
        self.assertError("KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n    ok 1 a\n"
                         "not ok 1 s # init failed\n", "reported not ok although")

    def test_second_stream(self):
        self.assertError("KTAP version 1\n1..1\nok 1 a\nKTAP version 1\n1..1\nnot ok 1 a\n",
                         "second KTAP stream")

    def test_unsupported_version(self):
        self.assertError("KTAP version 2\n1..1\nok 1 a\n", "unsupported version")

    def test_cli_exit_status(self):
        import subprocess
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
            f.write(NESTED)
        try:
            p = subprocess.run([sys.executable, os.path.join(TOOLS, "ktap.py"), f.name],
                               capture_output=True, text=True, timeout=60)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout.strip().splitlines()[-1], "3 passed, 1 failed")
        self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()
