"""Tests for tools/bench_guard.py (the benchmark regression guard of make test):
matching by (name, variant, params), the 2% rule, missing and new results,
the baseline file it writes."""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, os.path.abspath(TOOLS))
import bench_guard as guard  # noqa: E402


def result(name, variant, params, median, arch="arm64"):
    ins = None if median is None else {"min": median, "median": median, "max": median}
    return json.dumps({"schema": 1, "name": name, "arch": arch, "variant": variant, "params": params,
                       "instructions": ins, "per": {"unit": "page", "count": 1}})


BASE_RUN = [
    result("mprotect", "range", {"size_kib": 64, "op": "rw->ro"}, 1000),
    result("mprotect", "range", {"size_kib": 2048, "op": "rw->ro"}, 50000),
    result("anon_fault", "folio-4k", {"op": "first-write", "size_kib": 1024}, 300000),
    result("overhead", "back-to-back", {}, 10),
]


class GuardTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.baseline = os.path.join(self.dir, "baseline.json")
        self.run_file = self.write("base.jsonl", BASE_RUN)
        self.call("update", "--baseline", self.baseline, self.run_file, "--reason", "first")

    def tearDown(self):
        for f in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, f))
        os.rmdir(self.dir)

    def write(self, name, lines):
        path = os.path.join(self.dir, name)
        with open(path, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        return path

    def call(self, *argv):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = guard.main(list(argv))
        return rc, out.getvalue()

    def check(self, lines, *extra):
        return self.call("check", "--baseline", self.baseline, self.write("run.jsonl", lines), *extra)

    def test_baseline_file(self):
        with open(self.baseline) as fh:
            doc = json.load(fh)
        self.assertEqual(doc["schema"], 1)
        self.assertEqual(doc["arch"], "arm64")
        self.assertEqual(doc["reason"], "first")
        self.assertEqual(doc["threshold_percent"], 2.0)
        self.assertEqual(len(doc["results"]), 4)
        names = [(e["name"], e["variant"]) for e in doc["results"]]
        self.assertEqual(names, sorted(names))
        with open(self.baseline) as fh:
            self.assertEqual(sum(1 for line in fh if '"instructions"' in line), 4)   # one per line

    def test_identical_run_passes(self):
        rc, out = self.check(BASE_RUN)
        self.assertEqual(rc, 0, out)
        self.assertIn("4 checked, 0 failed", out)

    def test_params_order_does_not_matter(self):
        run = list(BASE_RUN)
        run[0] = result("mprotect", "range", {"op": "rw->ro", "size_kib": 64}, 1000)
        self.assertEqual(self.check(run)[0], 0)

    def test_growth_within_two_percent_passes(self):
        run = list(BASE_RUN)
        run[1] = result("mprotect", "range", {"size_kib": 2048, "op": "rw->ro"}, 51000)   # exactly +2%
        self.assertEqual(self.check(run)[0], 0)

    def test_growth_beyond_two_percent_fails(self):
        run = list(BASE_RUN)
        run[1] = result("mprotect", "range", {"size_kib": 2048, "op": "rw->ro"}, 51001)
        rc, out = self.check(run)
        self.assertEqual(rc, 1)
        self.assertIn("FAIL grew +2.00%: mprotect/range", out)
        self.assertIn("make bench-baseline", out)

    def test_small_figure_one_more_fails(self):
        run = list(BASE_RUN)
        run[3] = result("overhead", "back-to-back", {}, 11)
        self.assertEqual(self.check(run)[0], 1)

    def test_threshold_option(self):
        run = list(BASE_RUN)
        run[1] = result("mprotect", "range", {"size_kib": 2048, "op": "rw->ro"}, 52000)
        self.assertEqual(self.check(run)[0], 1)
        self.assertEqual(self.check(run, "--threshold", "5")[0], 0)

    def test_missing_fails_new_is_reported(self):
        run = BASE_RUN[:2] + BASE_RUN[3:] + [result("mprotect_slope", "range", {"from_kib": 2048}, 400)]
        rc, out = self.check(run)
        self.assertEqual(rc, 1)
        self.assertIn("FAIL missing: anon_fault/folio-4k", out)
        self.assertIn("note new (not in the baseline): mprotect_slope/range", out)

    def test_new_alone_passes(self):
        rc, out = self.check(BASE_RUN + [result("numa_hint", "none", {}, 5)])
        self.assertEqual(rc, 0)
        self.assertIn("1 new", out)

    def test_improvement_passes_and_is_reported(self):
        run = list(BASE_RUN)
        run[2] = result("anon_fault", "folio-4k", {"op": "first-write", "size_kib": 1024}, 150000)
        rc, out = self.check(run)
        self.assertEqual(rc, 0)
        self.assertIn("improved -50.00%: anon_fault/folio-4k", out)

    def test_null_count_fails(self):
        run = list(BASE_RUN)
        run[0] = result("mprotect", "range", {"size_kib": 64, "op": "rw->ro"}, None)
        rc, out = self.check(run)
        self.assertEqual(rc, 1)
        self.assertIn("no instruction count", out)

    def test_unusable_inputs(self):
        for lines in ([], ["not json"], [BASE_RUN[0], BASE_RUN[0]], ['{"name": "x"}']):
            rc, out = self.check(lines)
            self.assertEqual(rc, 1, lines)
            self.assertTrue(out.startswith("bench guard: "), out)
        rc, out = self.call("check", "--baseline", os.path.join(self.dir, "none.json"), self.run_file)
        self.assertEqual(rc, 1)
        self.assertIn("make bench-baseline", out)
        bad = self.write("bad.json", ['{"schema": 2, "results": []}'])
        self.assertEqual(self.call("check", "--baseline", bad, self.run_file)[0], 1)

    def test_update_refuses_null_counts(self):
        run = self.write("null.jsonl", [result("x", "y", {}, None)])
        rc, out = self.call("update", "--baseline", os.path.join(self.dir, "b2.json"), run)
        self.assertEqual(rc, 1)
        self.assertIn("-icount", out)


if __name__ == "__main__":
    unittest.main()
