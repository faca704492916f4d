"""Tests for tools/shell_fuzz.py without QEMU: the model of the shell's line
editing, the refusals the fuzzer insists on, and seeded replay."""
import os
import sys
import unittest

TOOLS = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                     "tools"))
sys.path.insert(0, TOOLS)
import shell_fuzz as sf  # noqa: E402


class ModelLine(unittest.TestCase):
    def test_plain_and_edits(self):
        self.assertEqual(sf.model_line(b"vma"), ("ok", "vma"))
        self.assertEqual(sf.model_line(b"vmx\x7fa"), ("ok", "vma"))
        self.assertEqual(sf.model_line(b"vmx\x08a"), ("ok", "vma"))
        self.assertEqual(sf.model_line(b"\x7f\x7fvma"), ("ok", "vma"))
        self.assertEqual(sf.model_line(b"map\t0x1\t4K"), ("ok", "map\t0x1\t4K"))

    def test_control_and_high_bytes_refuse_the_line(self):
        self.assertEqual(sf.model_line(b"unm\x00ap 0x2000000000 8K"), ("bad", 0))
        self.assertEqual(sf.model_line(b"vma\x1f"), ("bad", 0x1f))
        self.assertEqual(sf.model_line(b"vma\xc3\xa9"), ("bad", 0xc3))
        # a control byte erased before Enter is gone
        self.assertEqual(sf.model_line(b"vma\x02\x7f"), ("ok", "vma"))

    def test_escape_sequences_are_ignored(self):
        for seq in sf.ESC_SEQS:
            self.assertEqual(sf.model_line(seq + b"vma"), ("ok", "vma"), seq)
            self.assertEqual(sf.model_line(b"v" + seq + b"ma"), ("ok", "vma"), seq)
        self.assertEqual(sf.model_line(b"\x1b[A"), ("ok", ""))

    def test_history(self):
        h = []
        for raw in (b"vma", b"mm list", b"mm list", b"pte 0x2000000000"):
            sf.history_add(h, *sf.model_line(raw, h))
        self.assertEqual(h, ["vma", "mm list", "pte 0x2000000000"])     # no repeats
        self.assertEqual(sf.model_line(b"\x1b[A", h), ("ok", "pte 0x2000000000"))
        self.assertEqual(sf.model_line(b"\x1b[A\x1b[A\x1b[A\x1b[A", h), ("ok", "vma"))
        self.assertEqual(sf.model_line(b"\x1b[A\x1b[A\x1b[B", h), ("ok", "pte 0x2000000000"))
        self.assertEqual(sf.model_line(b"\x1bOA\x1bOB", h), ("ok", ""))
        self.assertEqual(sf.model_line(b"x\x1b[A", h), ("ok", "pte 0x2000000000"))
        self.assertEqual(sf.model_line(b"\x1b[1A", h), ("ok", ""))      # with a parameter: ignored
        for i in range(20):
            sf.history_add(h, "ok", "c%d" % i)
        self.assertEqual(len(h), sf.HISTORY_MAX)
        self.assertEqual(sf.model_line(b"\x1b[A" * 20, h), ("ok", "c12"))
        # a control byte ends a sequence and is then judged as usual
        self.assertEqual(sf.model_line(b"\x1b[1\x02vma"), ("bad", 2))

    def test_length_limit(self):
        self.assertEqual(sf.model_line(b"x" * sf.LINE_MAX), ("ok", "x" * sf.LINE_MAX))
        self.assertEqual(sf.model_line(b"x" * (sf.LINE_MAX + 1)), ("long", None))
        self.assertEqual(sf.model_line(b"x" * (sf.LINE_MAX + 1) + b"\x7f"), ("long", None))


class Refusals(unittest.TestCase):
    def setUp(self):
        self.f = sf.Fuzzer("arm64", 1, None, 10, 10)

    def test_messages(self):
        self.assertEqual(self.f.expected_refusal(b"unm\x00ap 1 2"),
                         "error: control character 0x00 in the command")
        self.assertEqual(self.f.expected_refusal(b"vma\xff"),
                         "error: non-ASCII byte 0xff in the command")
        self.assertEqual(self.f.expected_refusal(b"y" * 300),
                         "error: line longer than 256 characters")
        self.assertEqual(self.f.expected_refusal(b"a b c d e f g h i"),
                         "error: too many arguments (at most 8 words)")
        self.assertEqual(self.f.expected_refusal(b"  # comment"), "")
        self.assertEqual(self.f.expected_refusal(b"\x1b[A"), "")
        self.assertIsNone(self.f.expected_refusal(b"a b c d e f g h"))


class Replay(unittest.TestCase):
    def lines(self, seed, arch="arm64", n=200):
        f = sf.Fuzzer(arch, seed, None, n, 10)
        f.cur, f.ids = 1, [1, 2]
        out = []
        for _ in range(n):
            words, _ = f.valid_command()
            out.append(f.malform(words) if f.rng.random() < 0.35 else f.join(words).encode())
        return out

    def test_same_seed_same_commands(self):
        self.assertEqual(self.lines(7), self.lines(7))
        self.assertNotEqual(self.lines(7), self.lines(8))
        self.assertNotEqual(self.lines(7, "arm64"), self.lines(7, "riscv64"))

    def test_lines_never_end_or_split_the_session(self):
        for raw in self.lines(3, n=2000):
            self.assertNotIn(b"\n", raw)
            self.assertNotIn(b"\r", raw)
            self.assertNotIn(b"\x03", raw)            # ^C would split the line in two
            self.assertFalse(raw.startswith(b"\x04"))  # ^D on an empty line ends the shell
            self.assertFalse(raw.startswith(b"mm> "))


if __name__ == "__main__":
    unittest.main()
