"""Tests for tools/mutants.py: the list format, applying a mutant, targets,
copies, and --check on the real tests/mutants/mutants.txt (no QEMU, no build)."""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

TOOLS = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                     "tools"))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import mutants  # noqa: E402
import runner  # noqa: E402

GOOD = """\
# a comment
[stride]
why: the per-page loop steps by 16 pages
  so most pages keep stale entries
file: mmu/tlb.c
find: flush(asid, start, end, PAGE_SIZE);
replace: flush(asid, start, end, 16 * PAGE_SIZE);
arch: both
tests:
    qemu:arm64-el1:test=mmu.*,contpte.* seed=3
    host:test_mm_random:MM_RANDOM_STEPS=200 MM_RANDOM_SEEDS=1

[no-dsb]
why: no dsb after the TLBIs
file: arch/arm64/include/asm/mmu.h
find: dsb_ish();
replace:
occurrence: 2
arch: arm64
tests: qemu:arm64-*
"""


def parse(text):
    return mutants.parse_list_text(textwrap.dedent(text), "m.txt")


class ListFormat(unittest.TestCase):
    def test_good_file(self):
        a, b = parse(GOOD)
        self.assertEqual(a.name, "stride")
        self.assertEqual(a.why, "the per-page loop steps by 16 pages so most pages keep stale entries")
        self.assertEqual(a.file, "mmu/tlb.c")
        self.assertEqual(a.find, "flush(asid, start, end, PAGE_SIZE);")
        self.assertEqual(a.replace, "flush(asid, start, end, 16 * PAGE_SIZE);")
        self.assertEqual(a.arches, ["arm64", "riscv64"])
        self.assertIsNone(a.occurrence)
        self.assertEqual([t.kind for t in a.targets], ["qemu", "host"])
        self.assertEqual(a.targets[0].bootargs, "test=mmu.*,contpte.* seed=3")
        self.assertEqual(b.replace, "")
        self.assertEqual(b.occurrence, 2)
        self.assertEqual(b.arches, ["arm64"])
        self.assertEqual(b.targets[0].name, "arm64-*")
        self.assertEqual(b.lineno, 13)

    def problems(self, text):
        with self.assertRaises(mutants.ListError) as cm:
            parse(text)
        return cm.exception.problems

    def test_missing_fields(self):
        probs = self.problems("[x]\nwhy: w\nfile: f.c\nfind: a;\n")
        self.assertEqual(len(probs), 1)
        self.assertIn("m.txt:1: [x] lacks replace, arch, tests", probs[0])

    def test_empty_field(self):
        probs = self.problems(GOOD.replace("file: mmu/tlb.c", "file:"))
        self.assertEqual(probs, ["m.txt:5: [stride] 'file' is empty"])
        a, _ = parse(GOOD.replace("why: the per-page", "why:\n  the per-page"))
        self.assertTrue(a.why.startswith("the per-page loop"))

    def test_duplicate_names(self):
        probs = self.problems(GOOD + "\n" + GOOD.split("\n[no-dsb]")[0].replace("# a comment\n", ""))
        self.assertTrue(any("mutant 'stride' already defined on line 2" in p for p in probs), probs)

    def test_other_errors(self):
        cases = {
            "why: before any block\n": "before the first '[name]'",
            "[Bad Name]\n": "bad mutant name",
            GOOD.replace("arch: both", "arch: x86"): "arch must be arm64, riscv64, arm or both",
            GOOD.replace("occurrence: 2", "occurrence: 0"): "occurrence must be a number >= 1",
            GOOD.replace("arch: both", "arch: both\narch: arm64"): "'arch' given twice",
            GOOD.replace("arch: both", "arch: both\nlevel: 3"): "unknown key 'level'",
            GOOD.replace("tests: qemu:arm64-*", "tests: smoke:x"): "starts with 'qemu:' or 'host:'",
            GOOD.replace("tests: qemu:arm64-*", "tests:"): "'tests' names no target",
            GOOD.replace("replace:\n", "replace: dsb_ish();\n"): "replace is the same as find",
            GOOD.replace("file: mmu/tlb.c", "file: mmu/tlb.c\n  more"): "continues nothing",
            GOOD.replace("file: mmu/tlb.c", "file mmu/tlb.c"): "expected '[name]' or 'key: value'",
        }
        for text, want in cases.items():
            with self.subTest(want=want):
                probs = self.problems(text)
                self.assertTrue(any(want in p for p in probs), probs)

    def test_all_problems_reported_with_lines(self):
        probs = self.problems("[a]\nwhy: w\n[b]\narch: pdp11\n")
        self.assertEqual(len(probs), 2)
        self.assertTrue(probs[0].startswith("m.txt:1: [a] lacks"))
        self.assertTrue(probs[1].startswith("m.txt:3: [b] lacks"))


class Targets(unittest.TestCase):
    def test_qemu(self):
        t = mutants.parse_target("qemu:riscv64-sv*:test=mm.*  steps=50")
        self.assertEqual((t.kind, t.name, t.bootargs), ("qemu", "riscv64-sv*", "test=mm.* steps=50"))
        self.assertEqual(mutants.parse_target("qemu:arm64-el1").bootargs, "")
        self.assertEqual(str(t), "qemu:riscv64-sv*:test=mm.*  steps=50")

    def test_host(self):
        t = mutants.parse_target("host:test_mm_random:MM_RANDOM_STEPS=20000 MM_RANDOM_SEED=7")
        self.assertEqual((t.kind, t.name), ("host", "test_mm_random"))
        self.assertEqual(t.env, {"MM_RANDOM_STEPS": "20000", "MM_RANDOM_SEED": "7"})
        self.assertEqual(mutants.parse_target("host:test_fdt").env, {})

    def test_bad(self):
        for text in ("qemu:", "qemu::test=x", "host:mm_random", "host:test_x:STEPS",
                     "host:test_x:1X=2", "ktap:foo", "arm64-el1"):
            with self.subTest(text=text):
                with self.assertRaises(ValueError):
                    mutants.parse_target(text)


SOURCE = "int a;\n    x = f(1);\n\ty = g(2);  \n    x = f(1);\nend\n"


class Apply(unittest.TestCase):
    def test_exact_once_keeps_indentation(self):
        new, line = mutants.apply_line_change(SOURCE, "y = g(2);", "y = g(3);")
        self.assertEqual(line, 3)
        self.assertEqual(new, SOURCE.replace("\ty = g(2);  \n", "\ty = g(3);\n"))

    def test_find_is_stripped_and_whole_line(self):
        new, _ = mutants.apply_line_change(SOURCE, "  int a;  ", "long a;")
        self.assertTrue(new.startswith("long a;\n"))
        with self.assertRaises(mutants.StaleError):
            mutants.apply_line_change(SOURCE, "g(2)", "g(3)")      # a part of a line

    def test_missing_and_ambiguous(self):
        with self.assertRaisesRegex(mutants.StaleError, "matches 0 lines"):
            mutants.apply_line_change(SOURCE, "z = h();", "z = 0;")
        with self.assertRaisesRegex(mutants.StaleError, r"matches 2 lines.*lines 2, 4.*occurrence"):
            mutants.apply_line_change(SOURCE, "x = f(1);", "x = 0;")

    def test_occurrence(self):
        new, line = mutants.apply_line_change(SOURCE, "x = f(1);", "x = 0;", occurrence=2)
        self.assertEqual(line, 4)
        self.assertEqual(new.splitlines()[1:4], ["    x = f(1);", "\ty = g(2);  ", "    x = 0;"])
        with self.assertRaisesRegex(mutants.StaleError, "occurrence 3"):
            mutants.apply_line_change(SOURCE, "x = f(1);", "x = 0;", occurrence=3)

    def test_crlf_and_blanking(self):
        new, _ = mutants.apply_line_change("a;\r\n  b;\r\nc;", "b;", "")
        self.assertEqual(new, "a;\r\n  \r\nc;")
        new, _ = mutants.apply_line_change("a;\nc;", "c;", "d;")      # no final newline
        self.assertEqual(new, "a;\nd;")

    def test_unchanged_is_stale(self):
        with self.assertRaisesRegex(mutants.StaleError, "unchanged"):
            mutants.apply_line_change("  a;\n", "a;", "a;")


class TempTree(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mutants-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rel, text, root=None):
        path = os.path.join(root or self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path


class Check(TempTree):
    CONF = runner.parse_conf_text("arm64-el1 | arm64 | -M virt |\nriscv64-sv48 | riscv64 | -M virt |\n")

    def mutant(self, **kw):
        fields = dict(name="m", why="w", file="a.c", find="x = 1;", replace="x = 2;",
                      arches=["arm64"], targets=[mutants.parse_target("qemu:arm64-el1")])
        fields.update(kw)
        return mutants.Mutant(**fields)

    def test_fine_stale_and_targets(self):
        self.write("a.c", "int x;\n  x = 1;\n")
        ok = self.mutant()
        stale = self.mutant(name="s", find="x = 3;")
        notarget = self.mutant(name="t", targets=[mutants.parse_target("qemu:arm64-nope"),
                                                  mutants.parse_target("host:test_nope")])
        wrongarch = self.mutant(name="w", targets=[mutants.parse_target("qemu:*")])
        uncovered = self.mutant(name="u", arches=["arm64", "riscv64"])
        host_only = self.mutant(name="h", arches=["arm64", "riscv64"],
                                targets=[mutants.parse_target("host:test_known")])
        missing_file = self.mutant(name="f", file="b.c")
        probs = mutants.check_mutants([ok, stale, notarget, wrongarch, uncovered, host_only,
                                       missing_file], self.tmp, self.CONF, {"test_known"})
        self.assertNotIn("m", probs)
        self.assertNotIn("h", probs)
        self.assertIn("STALE: a.c: find line matches 0 lines", probs["s"][0])
        self.assertEqual(len(probs["t"]), 2, probs["t"])    # no such config, no such host test
        self.assertIn("runs riscv64 configurations", probs["w"][0])
        self.assertEqual(probs["u"], ["no target runs on riscv64"])
        self.assertIn("STALE: b.c: cannot read", probs["f"][0])

    def test_host_test_names(self):
        self.write("tests/host/a.mk", "HOST_TESTS += pte_arm64 pte_riscv64\nx_SRCS := a.c\n")
        self.write("tests/host/b.mk", "  HOST_TESTS += fdt\n")
        self.assertEqual(mutants.host_test_names(self.tmp),
                         {"test_pte_arm64", "test_pte_riscv64", "test_fdt"})

    def test_real_makefile_host_tests(self):
        self.assertIn("test_mm_random", mutants.host_test_names(ROOT))


class Sync(TempTree):
    def test_copy_reuse_and_mutation_undone(self):
        src, dst = os.path.join(self.tmp, "src"), os.path.join(self.tmp, "dst")
        self.write("a.c", "one\n", src)
        self.write("sub/b.h", "two\n", src)
        files = ["a.c", "sub/b.h"]
        self.assertEqual(mutants.sync_tree(src, files, dst), 2)
        self.write("build/obj.o", "keep", dst)
        self.write("stray.c", "gone", dst)
        old = os.path.getmtime(os.path.join(dst, "a.c"))
        os.utime(os.path.join(dst, "a.c"), (old - 100, old - 100))
        # a mutation: only that file is written, nothing else
        self.assertEqual(mutants.sync_tree(src, files, dst, {"a.c": b"ONE\n"}), 1)
        with open(os.path.join(dst, "a.c")) as f:
            self.assertEqual(f.read(), "ONE\n")
        self.assertGreater(os.path.getmtime(os.path.join(dst, "a.c")), old - 50)
        self.assertFalse(os.path.exists(os.path.join(dst, "stray.c")))
        self.assertTrue(os.path.exists(os.path.join(dst, "build", "obj.o")))
        # the same mutation again: nothing to write
        self.assertEqual(mutants.sync_tree(src, files, dst, {"a.c": b"ONE\n"}), 1 - 1)
        # undone: the original comes back with a new modification time
        os.utime(os.path.join(dst, "a.c"), (old - 100, old - 100))
        self.assertEqual(mutants.sync_tree(src, files, dst), 1)
        with open(os.path.join(dst, "a.c")) as f:
            self.assertEqual(f.read(), "one\n")
        self.assertGreater(os.path.getmtime(os.path.join(dst, "a.c")), old - 50)


class Failures(unittest.TestCase):
    OUT = ("=== arm64-el1: qemu ...\n"
           "  not ok mmu.flush: mmu_tests.c:479: expected 32 | more | more\n"
           "  not ok contpte.unmap: dsb ishst | tlbi asid 7 | end of operation\n"
           "  last 30 console line(s):\n"
           "  |     not ok 2 unmap\n")
    CONSOLE = ("    # Subtest: mmu\n        # mmu_tests.c:479: expected 32\n    not ok 1 flush\n"
               "    # Subtest: contpte\n    ok 1 map\n"
               "        # RULE VIOLATION R5 barriers: TLBIs not completed\n"
               "        # recent events: ...\n    not ok 2 unmap\nnot ok 2 contpte\n")

    def test_rule_violation_with_its_case(self):
        self.assertEqual(mutants.first_failure(self.OUT, [self.CONSOLE]),
                         "contpte.unmap: RULE VIOLATION R5 barriers: TLBIs not completed")

    def test_case_first_diagnostic(self):
        console = self.CONSOLE.replace("RULE VIOLATION", "note")
        self.assertEqual(mutants.first_failure(self.OUT, [console]),
                         "mmu.flush: mmu_tests.c:479: expected 32")

    def test_host_and_problems(self):
        self.assertEqual(mutants.first_failure(
            "        # RULE VIOLATION R3 missing invalidate: va 0x2000\n"
            "[  FAILED  ] random_policies\n[  FAILED  ] 1 test(s), listed below:\n"),
            "RULE VIOLATION R3 missing invalidate: va 0x2000")
        self.assertEqual(mutants.first_failure(
            "[ RUN      ] a\n[  FAILED  ] random_policies\n[  FAILED  ] 1 test(s), listed below:\n"),
            "[  FAILED  ] random_policies")
        self.assertEqual(mutants.first_failure("  problem: timed out after 60 s\n"),
                         "problem: timed out after 60 s")
        self.assertEqual(mutants.first_failure("all fine\n"), "")


class RealList(unittest.TestCase):
    def test_check_real_list(self):
        """Every entry of tests/mutants/mutants.txt applies to the tree as it is."""
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "mutants.py"), "--check"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"(?m)^\d+ ok, 0 with problems$")

    def test_list_mode(self):
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "mutants.py"), "--list"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"(?m)^\d+ mutant\(s\)$")

    def test_bad_list_exit_2(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("[x]\nwhy: w\n")
        try:
            p = subprocess.run([sys.executable, os.path.join(TOOLS, "mutants.py"),
                                "--list-file", f.name, "--check"],
                               capture_output=True, text=True, timeout=60)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 2)
        self.assertIn("[x] lacks", p.stderr)


if __name__ == "__main__":
    unittest.main()
